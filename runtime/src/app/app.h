/* SPDX-License-Identifier: MIT */
/* app.h: the node's application registry and the master behind each run. */
#ifndef ERG_APP_APP_H
#define ERG_APP_APP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "erg/app.h"
#include "erg/node.h"

/*
 * A loaded application. The registry holds one reference; a start or stop
 * in progress and a running master hold one each, so a record unloaded
 * while its last master finishes stays valid until that master is gone.
 * Everything below spec is guarded by the registry lock.
 */
typedef struct erg__app_s {
    unsigned refs;
    erg_app_spec_t spec; /* a deep copy (beh, args, opts pointees shared) */
    erg_app_state_t state;
    bool starting;       /* a start owns the record until it is done */
    erg_app_mode_t mode; /* the mode of the current (or last) run */
    erg_pid_t master;    /* the process watching the members, or nil */
    uint64_t started_ns; /* monotonic; 0 when not running */
    uint64_t seq;        /* start order: node stop goes newest first */
    erg_reason_t reason; /* why the last run ended */
    erg_pid_t *members;  /* running members */
    size_t nmembers, cap;
} erg__app_t;

typedef struct erg__apps_s {
    pthread_mutex_t lock;
    erg__app_t **apps; /* in load order */
    size_t n, cap;
    uint64_t seq;
} erg__apps_t;

/* Node hooks (core/node.c): the registry's life, the applications named
 * in erg_node_opts_t, and stopping what runs before a graceful node stop. */
erg_err_t erg__apps_init(erg_node_t *node);
void erg__apps_fini(erg_node_t *node);
erg_err_t erg__apps_node_start(erg_node_t *node, const erg_app_spec_t *specs,
                               unsigned n);
void erg__apps_node_stop(erg_node_t *node);

/* erg__app_release drops a reference taken under the registry lock. */
void erg__app_release(erg__apps_t *reg, erg__app_t *app);

/*
 * The master (master.c): one process per run of an application, parent of
 * its members. erg__app_master_run spawns it and has it start the members
 * in mode (the caller set app->starting and holds a reference); it returns
 * the first member's error after the rollback. erg__app_master_stop asks
 * master to stop the members (or kill them, force) and waits up to
 * timeout_ms for the last one.
 */
erg_err_t erg__app_master_run(erg_node_t *node, erg__apps_t *reg,
                              erg__app_t *app, erg_app_mode_t mode);
erg_err_t erg__app_master_stop(erg_node_t *node, erg_pid_t master, bool force,
                               uint32_t timeout_ms);

#endif /* ERG_APP_APP_H */
