/* SPDX-License-Identifier: MIT */
/* sup.h: the supervisor's call protocol, shared by its API and behaviour. */
#ifndef ERG_SRC_SUP_SUP_H
#define ERG_SRC_SUP_SUP_H

#include "erg/sup.h"

/* What a call to a supervisor asks for. */
typedef enum erg__sup_op_e {
    ERG__SUP_START_CHILD = 1,
    ERG__SUP_ADD_CHILD,
    ERG__SUP_ENABLE_CHILD,
    ERG__SUP_DISABLE_CHILD,
    ERG__SUP_CHILDREN
} erg__sup_op_t;

/* The request payload. Pointers are the caller's: it blocks in the call
 * while the supervisor copies what it keeps. */
typedef struct erg__sup_req_s {
    erg__sup_op_t op;
    const char *name;
    void *args;
    const erg_sup_child_spec_t *child;
} erg__sup_req_t;

/* The reply payload: a status, a pid, and for ERG__SUP_CHILDREN n entries. */
typedef struct erg__sup_rep_s {
    erg_err_t err;
    erg_pid_t pid;
    size_t n;
    erg_sup_child_info_t list[];
} erg__sup_rep_t;

#endif /* ERG_SRC_SUP_SUP_H */
