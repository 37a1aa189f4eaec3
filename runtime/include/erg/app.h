/* SPDX-License-Identifier: MIT */
/* app.h: applications (Ergo's gen.Application): process groups as one unit. */
#ifndef ERG_APP_H
#define ERG_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "erg/actor.h"
#include "erg/defs.h"
#include "erg/err.h"
#include "erg/log.h"
#include "erg/node.h"
#include "erg/pid.h"

/*
 * An application is a named group of processes (its members) that a node
 * loads, starts (dependencies first), watches and stops as one unit. Its
 * mode says what the termination of a member does to the others; see
 * docs/applications.md. Application names are a namespace of their own,
 * apart from process names. All functions below may be called from any
 * thread, handlers included (they block as erg_node_call does), except
 * where noted.
 */

/* Modes (Ergo's ApplicationMode): what a member's termination does. */
typedef enum erg_app_mode_e {
    ERG_APP_MODE_DEFAULT = 0, /* in a spec: temporary; at start: the spec's */
    ERG_APP_TEMPORARY = 1,    /* nothing; the app ends with its last member */
    ERG_APP_TRANSIENT = 2,    /* an abnormal exit stops the other members */
    ERG_APP_PERMANENT = 3     /* any exit stops the other members */
} erg_app_mode_t;

/* States (Ergo's ApplicationState). */
typedef enum erg_app_state_e {
    ERG_APP_LOADED = 1,  /* loaded, not running (also while starting) */
    ERG_APP_RUNNING = 2, /* its members were started */
    ERG_APP_STOPPING = 3 /* waiting for its members to terminate */
} erg_app_state_t;

/* Default timeout of erg_app_stop, as Ergo's ApplicationStop. */
#define ERG_APP_STOP_TIMEOUT_MS 5000u

/*
 * A member (Ergo's ApplicationMemberSpec): a process the application
 * starts, in group order. name (may be NULL: no name) is registered for it,
 * replacing opts.register_name. The application sets opts.link_parent and
 * opts.link_child itself. beh, args and what opts points to must outlive
 * the application's load; name is copied.
 */
typedef struct erg_app_member_s {
    const char *name;
    const erg_behavior_t *beh; /* required */
    erg_spawn_opts_t opts;
    void *args; /* passed to init */
} erg_app_member_t;

/* One entry of an application's map: a logical role and the name of the
 * process that plays it (Ergo's ApplicationSpec.Map). */
typedef struct erg_app_role_s {
    const char *role;
    const char *process;
} erg_app_role_t;

/*
 * Callbacks of an application (Ergo's ApplicationBehavior Start and
 * Terminate), both optional, with the spec's cb_arg. on_start runs in the
 * thread that called erg_app_start (or erg_node_start) once every member
 * started and the application is running. on_stop runs when a run ends,
 * once the last member is gone and the application is loaded, with the
 * reason the run ended with, inside the application's master process;
 * erg_app_stop returns after it. A start that fails calls neither. Both
 * may use the erg_node_* and erg_app_* calls.
 */
typedef void (*erg_app_start_cb)(erg_node_t *node, const char *name,
                                 erg_app_mode_t mode, void *arg);
typedef void (*erg_app_stop_cb)(erg_node_t *node, const char *name,
                                erg_reason_t reason, void *arg);

/*
 * An application spec (Ergo's ApplicationSpec). erg_app_load copies the
 * strings and arrays; only the members' beh, args and opts pointees are
 * kept by reference. Env values are opaque pointers the caller keeps alive.
 */
typedef struct erg_app_spec_s {
    const char *name;           /* required, unique on the node, <= 255 bytes */
    const char *description;    /* may be NULL */
    const char *version;        /* may be NULL */
    const char *const *depends; /* names of applications started first */
    size_t ndepends;
    const erg_env_var_t *env; /* inherited by every member (Node > App >
                               * Parent > Process) */
    unsigned nenv;
    const erg_app_member_t *members; /* the group; at least one */
    size_t nmembers;
    erg_app_mode_t mode; /* DEFAULT = temporary */
    int weight;          /* for load balancing between nodes; reported */
    const char *const *tags;
    size_t ntags;
    const erg_app_role_t *map;
    size_t nmap;
    erg_log_level_t log_level; /* the members' default level ... */
    bool log_level_set;        /* ... if set, else the node's */
    erg_app_start_cb on_start; /* may be NULL */
    erg_app_stop_cb on_stop;   /* may be NULL */
    void *cb_arg;
} erg_app_spec_t;

/*
 * erg_app_load validates spec and registers a copy of it on node in state
 * loaded. Errors: ERG_EINVAL (no name, a member without behaviour or init,
 * an empty member name or dependency, a bad mode), ERG_EAPPEMPTY (no
 * members), ERG_ETAKEN (an application of that name is loaded),
 * ERG_ENOMEM.
 */
ERG_EXTERN erg_err_t erg_app_load(erg_node_t *node, const erg_app_spec_t *spec);

/*
 * erg_app_unload removes a loaded application that is not running.
 * ERG_ENOAPP (unknown), ERG_EAPPSTATE (running, stopping or starting).
 */
ERG_EXTERN erg_err_t erg_app_unload(erg_node_t *node, const char *name);

/*
 * erg_app_start starts the loaded application name in its spec's mode.
 * First each dependency, in spec order: one already running is left as it
 * is, one loaded is started (its own dependencies first, in its own mode).
 * Then the members, one after another, each spawned and its init awaited
 * (as erg_node_spawn). If a member fails to start, the members started
 * before it are killed and the member's error returned; the application
 * is loaded again, and dependencies started for it keep running (as in
 * Ergo). Errors: ERG_ENOAPP (unknown), ERG_EAPPSTATE (not loaded: running,
 * stopping, or being started), ERG_EAPPDEPENDS (a dependency is not
 * loaded, failed to start, or depends on itself through others), the
 * member's spawn or init error, ERG_ENOMEM, ERG_ENODE.
 */
ERG_EXTERN erg_err_t erg_app_start(erg_node_t *node, const char *name);

/* erg_app_start_mode is erg_app_start in mode instead of the spec's (Ergo's
 * ApplicationStartTemporary/Transient/Permanent); dependencies still start
 * in their own modes. */
ERG_EXTERN erg_err_t erg_app_start_mode(erg_node_t *node, const char *name,
                                        erg_app_mode_t mode);

/*
 * erg_app_stop stops a running application: every member gets an exit
 * signal with ERG_REASON_SHUTDOWN from its parent (untrappable), and the
 * call waits up to ERG_APP_STOP_TIMEOUT_MS for all of them to terminate.
 * A member counts as terminated once it is unregistered, so the last
 * members' terminate callbacks may still be running when this returns.
 * ERG_OK also if the application is already stopped (loaded). Errors:
 * ERG_ENOAPP, ERG_EAPPSTATE (being started, or already stopping),
 * ERG_ETIMEDOUT (members still run after the timeout: the application
 * stays stopping and becomes loaded when the last one terminates).
 */
ERG_EXTERN erg_err_t erg_app_stop(erg_node_t *node, const char *name);

/* erg_app_stop_timeout is erg_app_stop waiting up to timeout_ms (0 = the
 * default). */
ERG_EXTERN erg_err_t erg_app_stop_timeout(erg_node_t *node, const char *name,
                                          uint32_t timeout_ms);

/*
 * erg_app_stop_force kills every member (erg_node_kill_process) and waits
 * for the application to be loaded again; it also works on an application
 * that is already stopping. ERG_ENOAPP, ERG_EAPPSTATE (being started).
 */
ERG_EXTERN erg_err_t erg_app_stop_force(erg_node_t *node, const char *name);

/*
 * What erg_app_info reports (Ergo's ApplicationInfo), in one block freed by
 * erg_app_info_free. Strings and arrays point into the block.
 */
typedef struct erg_app_info_s {
    const char *name;
    const char *description; /* "" if none */
    const char *version;     /* "" if none */
    erg_app_state_t state;
    erg_app_mode_t mode; /* the mode it runs (or last ran) in */
    int weight;
    uint64_t uptime_ms;  /* since the start; 0 unless running or stopping */
    erg_reason_t reason; /* why it last stopped; 0 if it never did */
    const erg_pid_t *members; /* the members running now */
    size_t nmembers;
    const char *const *depends;
    size_t ndepends;
    const char *const *tags;
    size_t ntags;
    const erg_app_role_t *map;
    size_t nmap;
} erg_app_info_t;

/* erg_app_info stores a snapshot of application name in *out. ERG_ENOAPP,
 * ERG_ENOMEM. */
ERG_EXTERN erg_err_t erg_app_info(erg_node_t *node, const char *name,
                                  erg_app_info_t **out);
/* erg_app_info_free frees an info; NULL is a no-op. */
ERG_EXTERN void erg_app_info_free(erg_app_info_t *info);

/*
 * erg_app_role resolves role through the application's map to the pid of
 * the process registered under the mapped name. ERG_ENOAPP, ERG_ENOENT (no
 * such role), ERG_ENONAME (nobody has that name now).
 */
ERG_EXTERN erg_err_t erg_app_role(erg_node_t *node, const char *name,
                                  const char *role, erg_pid_t *pid);

/* erg_app_mode_string: "temporary", "transient", "permanent".
 * erg_app_state_string: "loaded", "running", "stopping". Thread-safe. */
ERG_EXTERN const char *erg_app_mode_string(erg_app_mode_t mode);
ERG_EXTERN const char *erg_app_state_string(erg_app_state_t state);

#endif /* ERG_APP_H */
