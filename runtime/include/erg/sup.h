/* SPDX-License-Identifier: MIT */
/* sup.h: supervisors (Ergo's act.Supervisor): restart children by a spec. */
#ifndef ERG_SUP_H
#define ERG_SUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "erg/actor.h"
#include "erg/defs.h"
#include "erg/err.h"
#include "erg/pid.h"

/* Supervisor types (Ergo's SupervisorType). */
typedef enum erg_sup_type_e {
    ERG_SUP_ONE_FOR_ONE = 0,       /* restart the child that exited */
    ERG_SUP_ALL_FOR_ONE = 1,       /* stop the others, restart all */
    ERG_SUP_REST_FOR_ONE = 2,      /* stop those started after, restart */
    ERG_SUP_SIMPLE_ONE_FOR_ONE = 3 /* instances of specs, started on demand */
} erg_sup_type_t;

/* Restart strategies (Ergo's SupervisorStrategy). */
typedef enum erg_sup_restart_e {
    ERG_SUP_RESTART_DEFAULT = 0, /* child: the spec's; spec: transient */
    ERG_SUP_TRANSIENT = 1,       /* restart unless normal or shutdown */
    ERG_SUP_TEMPORARY = 2,       /* never restart */
    ERG_SUP_PERMANENT = 3        /* always restart */
} erg_sup_restart_t;

/* Defaults of intensity and period, as in Ergo: 5 restarts in 5 s. */
#define ERG_SUP_INTENSITY 5u
#define ERG_SUP_PERIOD_MS 5000u

/* A child spec (Ergo's SupervisorChildSpec). The supervisor copies name and
 * the struct; beh, args and what opts points to must outlive it. */
typedef struct erg_sup_child_spec_s {
    const char *name;          /* unique in the supervisor, required */
    const erg_behavior_t *beh; /* required */
    erg_spawn_opts_t opts;     /* link flags are set by the supervisor */
    void *args;                /* passed to init on every (re)start */
    erg_sup_restart_t restart; /* DEFAULT: the spec's strategy */
    bool significant;          /* see docs/supervision.md */
} erg_sup_child_spec_t;

/* A callback run in the supervisor when a child starts (started, reason 0)
 * or terminates (not started, its reason). */
typedef void (*erg_sup_child_cb)(erg_proc_t *sup, const char *name,
                                 erg_pid_t pid, bool started,
                                 erg_reason_t reason, void *arg);

/* A supervisor spec (Ergo's SupervisorSpec). Copied at start; the children
 * array may be freed afterwards. */
typedef struct erg_sup_spec_s {
    erg_sup_type_t type;
    erg_sup_restart_t strategy; /* children's default; DEFAULT=transient */
    uint32_t intensity;         /* 0 = 5 */
    uint32_t period_ms;         /* 0 = 5000 */
    bool keep_order;            /* all/rest-for-one: stop one by one */
    bool disable_auto_shutdown; /* keep running with no child running */
    const erg_sup_child_spec_t *children;
    size_t nchildren;
    erg_sup_child_cb on_child; /* may be NULL */
    void *on_child_arg;
} erg_sup_spec_t;

/* The supervisor behaviour: spawn it with a const erg_sup_spec_t * as args
 * (erg_node_spawn, erg_spawn, or as a child spec of another supervisor). */
ERG_EXTERN extern const erg_behavior_t erg_sup_behavior;

/*
 * erg_sup_start starts a supervisor of spec (copied) on node and waits for
 * its init, which starts the children in spec order, each init finished
 * before the next starts (as Ergo's Spawn). opts may be NULL. A child that
 * fails to start fails the start with its error (ERG_ETERMINATED for a
 * positive reason); the children started before it are sent an exit with
 * that error, and the call returns once they are gone. Errors: those of erg_node_spawn; ERG_EINVAL (a bad spec: no
 * name or behaviour, a duplicate name). Any thread.
 */
ERG_EXTERN erg_err_t erg_sup_start(erg_node_t *node, const erg_sup_spec_t *spec,
                                   const erg_spawn_opts_t *opts,
                                   erg_pid_t *pid);

/*
 * erg_sup_start_child starts the child spec name. Simple-one-for-one: a new
 * instance with args (NULL = the spec's args), restarted with the same args.
 * Others: the stopped child name, with args (if not NULL) replacing the
 * spec's from now on: ERG_ECHILDRUNNING if it runs. *pid (may be NULL) gets the
 * new pid. Errors: ERG_ENOCHILD, ERG_ECHILDDISABLED, ERG_ESUPACTIVE (a restart
 * strategy is running), spawn and call errors. Any thread, like all calls
 * below; from a handler it blocks as erg_node_call does.
 */
ERG_EXTERN erg_err_t erg_sup_start_child(erg_node_t *node, erg_pid_t sup,
                                         const char *name, void *args,
                                         erg_pid_t *pid);

/* erg_sup_add_child adds a child spec (copied as in the spec) and, except in
 * simple-one-for-one, starts it. ERG_EEXIST, ERG_EINVAL, as above. */
ERG_EXTERN erg_err_t erg_sup_add_child(erg_node_t *node, erg_pid_t sup,
                                       const erg_sup_child_spec_t *child);

/* erg_sup_enable_child enables a disabled child spec and, except in
 * simple-one-for-one, starts it. ERG_ENOCHILD, ERG_ESUPACTIVE. */
ERG_EXTERN erg_err_t erg_sup_enable_child(erg_node_t *node, erg_pid_t sup,
                                          const char *name);

/* erg_sup_disable_child disables a child spec and stops what runs of it
 * (reason shutdown) without restarting it. ERG_ENOCHILD, ERG_ESUPACTIVE. */
ERG_EXTERN erg_err_t erg_sup_disable_child(erg_node_t *node, erg_pid_t sup,
                                           const char *name);

/* One child, as erg_sup_children lists it. */
typedef struct erg_sup_child_info_s {
    char name[64]; /* the spec's name, truncated */
    erg_pid_t pid; /* nil if not running */
    bool disabled;
} erg_sup_child_info_t;

/*
 * erg_sup_children lists the children: one entry per spec in spec order
 * (pid nil if stopped), or in simple-one-for-one one per running instance.
 * *out is freed with erg_sup_children_free. ERG_ESUPACTIVE, call errors.
 */
ERG_EXTERN erg_err_t erg_sup_children(erg_node_t *node, erg_pid_t sup,
                                      erg_sup_child_info_t **out, size_t *n);
ERG_EXTERN void erg_sup_children_free(erg_sup_child_info_t *list);

#endif /* ERG_SUP_H */
