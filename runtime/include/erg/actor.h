/* SPDX-License-Identifier: MIT */
/* actor.h: behaviours, spawning, and what a process can do from a handler. */
#ifndef ERG_ACTOR_H
#define ERG_ACTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "erg/defs.h"
#include "erg/err.h"
#include "erg/log.h"
#include "erg/msg.h"
#include "erg/node.h"
#include "erg/pid.h"

/*
 * erg_proc_t is the process a handler runs for ("self"). The pointer is
 * valid only inside that process's callbacks, on the thread calling them;
 * everything else refers to processes by pid. None of the erg_proc_* and
 * erg_* functions taking self may be called with another process's self.
 */
typedef struct erg_proc_s erg_proc_t;

/* An inspect answer: key/value strings, filled by handle_inspect. */
typedef struct erg_inspect_s erg_inspect_t;

/* Event delivered to handle_event (see event.h). All fields are borrowed. */
typedef struct erg_event_msg_s {
    const char *event;  /* the event's name */
    erg_pid_t producer; /* the process that registered it */
    int64_t time_ns;    /* when it was published */
    erg_msg_t *msg;
} erg_event_msg_t;

/*
 * erg_accept_fn is the hook for per-actor accept tables, the seam between the
 * runtime and generated code (idlc). The runtime calls it on the *sender's*
 * thread for every ordinary message and call request sent to a local process
 * whose behaviour sets it, before the message is queued, so a send of a type
 * the actor does not take fails at once. call says whether msg is a call
 * request (erg_call, erg_request) or an ordinary message, so a hook can
 * refuse a call's type sent as a message and the reverse. It returns
 *   ERG_OK        accepted; if the message must be upgraded to a newer
 *                 version first, *out is set to a new message (one
 *                 reference, given to the runtime) that the handler gets
 *                 instead, and msg is left untouched; otherwise *out = NULL;
 *   ERG_ENOTACCEPTED, ERG_EVERSION, ERG_ESCHEMA, ERG_EBOUNDS...
 *                 refused: the send fails with this code and the sender
 *                 keeps msg.
 * It must be thread-safe and must not call into the runtime. A behaviour with
 * accept == NULL (any actor written in C without a schema) accepts anything.
 * System traffic (exit and down signals, responses, inspect requests, events
 * and log records) never passes through it and is never refused.
 */
typedef erg_err_t (*erg_accept_fn)(const void *accept_table,
                                   const erg_msg_t *msg, bool call,
                                   erg_msg_t **out);

/*
 * erg_behavior_t is an actor's operations table (Ergo's act.Actor), usually a
 * static const. Every callback gets self; erg_proc_state(self) is the state
 * block of state_size bytes, zeroed at spawn, allocated with the control
 * block in one allocation. Callbacks that return erg_reason_t return
 * ERG_REASON_NONE to keep running and any other reason to terminate with it.
 * Every callback but init may be NULL.
 */
typedef struct erg_behavior_s {
    const char *name; /* for logs and inspection; may be NULL */
    size_t state_size;
    /* Runs first, on a worker, with the args given to spawn. It may already
     * send, call, link, monitor, register names and events and create
     * aliases. */
    erg_reason_t (*init)(erg_proc_t *self, void *args);
    /* An ordinary message, or a runtime message (ERG_TYPE_EXIT for trapped
     * exits, ERG_TYPE_DOWN, ERG_TYPE_FALLBACK, ERG_TYPE_EVENT_START/STOP,
     * ERG_TYPE_LOG). from is the sender (the zero pid if none). */
    erg_reason_t (*handle_message)(erg_proc_t *self, erg_pid_t from,
                                   erg_msg_t *msg);
    /* A call: set *reply to a message (one reference, given to the
     * runtime) to answer now, or leave it NULL and answer later with
     * erg_reply (from this or any other process), or never (the caller
     * times out). With no handle_call, calls fail with ERG_ENOTSUP. */
    erg_reason_t (*handle_call)(erg_proc_t *self, erg_pid_t from,
                                erg_ref_t ref, erg_msg_t *request,
                                erg_msg_t **reply);
    /* A message published to an event this process linked or monitored. */
    erg_reason_t (*handle_event)(erg_proc_t *self, const erg_event_msg_t *ev);
    /* An inspect request: add pairs with erg_inspect_add. */
    void (*handle_inspect)(erg_proc_t *self, erg_pid_t from,
                           erg_inspect_t *out);
    /* Last call, exactly once for a process whose init was called: release
     * what the state holds. The process is already unregistered. */
    void (*terminate)(erg_proc_t *self, erg_reason_t reason);
    /* The accept hook and its table (see erg_accept_fn); NULL = any. */
    erg_accept_fn accept;
    const void *accept_table;
} erg_behavior_t;

/* Send priorities (Ergo's MessagePriority): normal mail goes to the main
 * queue, high to the system queue, max to the urgent queue; the mailbox
 * limit applies to normal mail only. */
typedef enum erg_priority_e {
    ERG_PRIORITY_NORMAL = 0,
    ERG_PRIORITY_HIGH = 1,
    ERG_PRIORITY_MAX = 2
} erg_priority_t;

/* Default and cap of the init timeout, as in Ergo. */
#define ERG_INIT_TIMEOUT_MS     5000u
#define ERG_INIT_TIMEOUT_MAX_MS 15000u
/* Default timeout of calls. */
#define ERG_CALL_TIMEOUT_MS 5000u

typedef struct erg_spawn_opts_s {
    uint32_t mailbox_limit;   /* main (and log) queue size; 0 = unlimited */
    erg_priority_t priority;  /* default priority of this process's sends */
    uint32_t init_timeout_ms; /* 0 = 5 s; more than 15 s is capped */
    const erg_env_var_t *env; /* added to the inherited env; may be NULL */
    unsigned nenv;
    bool link_parent; /* the child links to its parent: the parent's exit
                       * terminates the child (untrappable) */
    bool link_child;  /* the parent links to the child (parent processes
                       * only): the child's exit reaches the parent */
    const char *fallback_name; /* on a full mailbox, wrap the message in an
                                * erg_fallback_t and send it here */
    const char *fallback_tag;
    const char *register_name; /* register this name before init runs */
    erg_log_level_t log_level; /* 0 (TRACE) means: inherit */
    bool log_level_set;        /* true: use log_level as given */
} erg_spawn_opts_t;

/* erg_spawn_opts_init zeroes opts: the defaults above. */
ERG_EXTERN void erg_spawn_opts_init(erg_spawn_opts_t *opts);

/*
 * erg_spawn starts a child of self running beh with args and stores its pid
 * in *pid. It returns as soon as the child exists; the child's init runs on
 * a worker afterwards, so a child may call its parent from init without a
 * deadlock. If init returns a reason, the child terminates with it (links
 * and monitors see it, and it is logged); an init still running after the
 * init timeout is killed with reason ERG_ETIMEDOUT (within a millisecond or
 * two, even while it computes or blocks), and one that could not start
 * before it (every worker busy meanwhile) ends with that reason without
 * running, so terminate does not run either. Errors: ERG_EINVAL (no
 * beh or init), ERG_ENOMEM, ERG_ETAKEN (register_name in use), ERG_ENODE
 * (the node is stopping). Call from self's callbacks only.
 */
ERG_EXTERN erg_err_t erg_spawn(erg_proc_t *self, const erg_behavior_t *beh,
                               const erg_spawn_opts_t *opts, void *args,
                               erg_pid_t *pid);

/*
 * erg_node_spawn starts a process with no parent but the node and waits for
 * its init (Ergo's Spawn): ERG_OK with *pid once init returned
 * ERG_REASON_NONE; the init's reason as an error if it is negative,
 * ERG_ETERMINATED if it is positive or the process was killed during init,
 * ERG_ETIMEDOUT if init outlived the init timeout (the process is killed).
 * Other errors as erg_spawn. Any thread; from a handler the worker is handed
 * over while waiting.
 */
ERG_EXTERN erg_err_t erg_node_spawn(erg_node_t *node,
                                    const erg_behavior_t *beh,
                                    const erg_spawn_opts_t *opts, void *args,
                                    erg_pid_t *pid);

/* --- Who am I ----------------------------------------------------------- */

ERG_EXTERN erg_pid_t erg_self(const erg_proc_t *self);
ERG_EXTERN erg_pid_t erg_parent(const erg_proc_t *self);
ERG_EXTERN erg_node_t *erg_proc_node(const erg_proc_t *self);
ERG_EXTERN void *erg_proc_state(erg_proc_t *self);
ERG_EXTERN erg_proc_state_t erg_proc_get_state(const erg_proc_t *self);

/* erg_env_get looks name up in the process env (its spawn env, then its
 * parent's, inherited at spawn), then the node's. ERG_ENOENT if unset. */
ERG_EXTERN erg_err_t erg_env_get(erg_proc_t *self, const char *name,
                                 void **value);

/* Trap exits: exit signals arrive as ERG_TYPE_EXIT messages instead of
 * terminating the process, except those from its parent or the node and an
 * erg_send_exit with ERG_REASON_KILL (a linked process that was killed is
 * reported like any other reason). */
ERG_EXTERN void erg_set_trap_exit(erg_proc_t *self, bool trap);
ERG_EXTERN bool erg_trap_exit(const erg_proc_t *self);

/* The priority of this process's erg_send calls. */
ERG_EXTERN void erg_set_send_priority(erg_proc_t *self, erg_priority_t prio);

/* --- Messages ----------------------------------------------------------- */

/*
 * erg_send sends msg to target (pid, name or alias) with the process's send
 * priority. On ERG_OK the runtime owns msg; on error the caller still does.
 * Errors: ERG_ENOPROC, ERG_ENONAME, ERG_ENOALIAS (no such target),
 * ERG_EINCARNATION (a pid of an earlier node incarnation), ERG_EMBOXFULL
 * (the target's mailbox is full and it has no fallback), ERG_ENOTACCEPTED /
 * ERG_EVERSION and friends (the target's accept hook refused), ERG_ENOCONN
 * (a remote target), ERG_EINVAL. Delivery is FIFO per sender and priority.
 */
ERG_EXTERN erg_err_t erg_send(erg_proc_t *self, erg_target_t target,
                              erg_msg_t *msg);

/*
 * erg_current_priority: inside a handler, the priority the mail being
 * handled was sent with (ERG_PRIORITY_NORMAL for the main queue, _HIGH for
 * the system queue, _MAX for the urgent queue, where exits and downs also
 * arrive). A pool uses it to forward only normal mail, as Ergo's does.
 */
ERG_EXTERN erg_priority_t erg_current_priority(const erg_proc_t *self);

/* erg_send_priority is erg_send with an explicit priority. */
ERG_EXTERN erg_err_t erg_send_priority(erg_proc_t *self, erg_target_t target,
                                       erg_msg_t *msg, erg_priority_t prio);

/*
 * erg_send_important is erg_send with confirmed delivery (Ergo's
 * SendImportant): ERG_OK means the message is in the target's mailbox. To
 * a process on another node it waits (up to 5 s, handing the worker over
 * like a call) for the target node's acknowledgement, so a missing process
 * comes back as ERG_ENOPROC (ERG_ENONAME, ERG_ENOALIAS), a full mailbox as
 * ERG_EMBOXFULL, a type the target refuses as ERG_ENOTACCEPTED, a lost
 * connection as ERG_ENOCONN, silence as ERG_ETIMEDOUT, and a peer that does
 * not allow important delivery as ERG_ENOTSUP. To a local process it is
 * erg_send, whose ERG_OK already means "in the mailbox". Ownership as in
 * erg_send: msg is taken only on ERG_OK.
 */
ERG_EXTERN erg_err_t erg_send_important(erg_proc_t *self, erg_target_t target,
                                        erg_msg_t *msg);

/*
 * erg_send_after sends msg to target after delay_ms, from self, with prio,
 * and stores a timer id in *timer (may be NULL) for erg_timer_cancel. On
 * ERG_OK msg belongs to the timer (the delivery's errors are logged at debug
 * level, as the sender may be gone). The timer thread owns the deadline.
 */
ERG_EXTERN erg_err_t erg_send_after(erg_proc_t *self, erg_target_t target,
                                    erg_msg_t *msg, uint32_t delay_ms,
                                    erg_priority_t prio, uint64_t *timer);

/* erg_send_exit_after sends an exit signal with reason to pid after
 * delay_ms; *timer (may be NULL) as above. */
ERG_EXTERN erg_err_t erg_send_exit_after(erg_proc_t *self, erg_pid_t pid,
                                         erg_reason_t reason,
                                         uint32_t delay_ms, uint64_t *timer);

/* erg_timer_cancel cancels a pending timer of node: ERG_OK if it will not
 * fire (its message is released), ERG_ENOENT if it already fired or was
 * cancelled. Thread-safe. */
ERG_EXTERN erg_err_t erg_timer_cancel(erg_node_t *node, uint64_t timer);

/*
 * erg_send_exit sends an exit signal with reason to pid. If pid traps exits
 * (and self is not its parent) it gets an ERG_TYPE_EXIT message; otherwise
 * it terminates with reason. ERG_ENOPROC, ERG_EINCARNATION, ERG_ENOCONN.
 */
ERG_EXTERN erg_err_t erg_send_exit(erg_proc_t *self, erg_pid_t pid,
                                   erg_reason_t reason);

/* --- Calls ----------------------------------------------------------------*/

/*
 * erg_call sends request to target's handle_call and blocks this handler up
 * to timeout_ms (0 = 5 s) for the response, stored in *reply (owned by the
 * caller). The response is matched by ref; one arriving after the timeout
 * is dropped. An idle callee runs its turn on the caller's thread at once;
 * otherwise the caller spins briefly, then hands its worker to another
 * thread while blocked, so callers never starve the node (docs/runtime.md).
 * request is taken only on ERG_OK.
 * Errors: those of erg_send; ERG_ETIMEDOUT; ERG_ENOTALLOWED (target is
 * self); ERG_ENOTSUP (target has no handle_call); ERG_ETERMINATED (the
 * target terminated before answering, or self was killed meanwhile); an
 * error the responder passed to erg_reply_error.
 */
ERG_EXTERN erg_err_t erg_call(erg_proc_t *self, erg_target_t target,
                              erg_msg_t *request, uint32_t timeout_ms,
                              erg_msg_t **reply);

/* erg_call_priority is erg_call whose request goes with priority prio. */
ERG_EXTERN erg_err_t erg_call_priority(erg_proc_t *self, erg_target_t target,
                                       erg_msg_t *request,
                                       uint32_t timeout_ms,
                                       erg_priority_t prio,
                                       erg_msg_t **reply);

/*
 * A continuation of erg_request: runs in self's context exactly once, with
 * status ERG_OK and the borrowed reply, or an error and a NULL reply
 * (ERG_ETIMEDOUT, ERG_ETERMINATED, the responder's error, or ERG_ECANCELED
 * if self terminates first, before its terminate callback). Its return
 * value acts like a handler's.
 */
typedef erg_reason_t (*erg_response_cb)(erg_proc_t *self, erg_ref_t ref,
                                        erg_err_t status, erg_msg_t *reply,
                                        void *arg);

/*
 * erg_request sends request as a call without blocking; cb(arg) runs later
 * with the response or a timeout after timeout_ms (0 = 5 s). *ref (may be
 * NULL) receives the call's ref. On error cb is never called and request
 * stays the caller's. Errors as erg_send.
 */
ERG_EXTERN erg_err_t erg_request(erg_proc_t *self, erg_target_t target,
                                 erg_msg_t *request, uint32_t timeout_ms,
                                 erg_response_cb cb, void *arg,
                                 erg_ref_t *ref);

/*
 * erg_reply answers the call (to, ref) with msg (taken on ERG_OK), from any
 * process: the one that got the call or one it passed (to, ref) to. A
 * response nobody waits for any more is dropped and still returns ERG_OK.
 * erg_reply_error answers with an error instead. ERG_ENOCONN for a remote
 * caller.
 */
ERG_EXTERN erg_err_t erg_reply(erg_proc_t *self, erg_pid_t to, erg_ref_t ref,
                               erg_msg_t *msg);
ERG_EXTERN erg_err_t erg_reply_error(erg_proc_t *self, erg_pid_t to,
                                     erg_ref_t ref, erg_err_t err);

/* --- Names and aliases --------------------------------------------------- */

/* erg_register_name gives self name (one per process, 1..255 bytes):
 * ERG_ETAKEN if the name is used or self already has one. */
ERG_EXTERN erg_err_t erg_register_name(erg_proc_t *self, const char *name);
/* erg_unregister_name: ERG_ENONAME if self has none. Monitors and links on
 * the name fire with reason ERG_EUNREGISTERED. */
ERG_EXTERN erg_err_t erg_unregister_name(erg_proc_t *self);

/* erg_alias_create adds an alias of self; erg_alias_delete removes one
 * (ERG_ENOALIAS if not self's); monitors and links on it fire with reason
 * ERG_EUNREGISTERED. */
ERG_EXTERN erg_err_t erg_alias_create(erg_proc_t *self, erg_alias_t *alias);
ERG_EXTERN erg_err_t erg_alias_delete(erg_proc_t *self, erg_alias_t alias);

/* --- Links and monitors ---------------------------------------------------*/

/*
 * erg_link makes self receive an exit signal when target (pid, name, alias
 * or event) goes away: the target's reason, or ERG_EUNREGISTERED when a name,
 * alias or event is unregistered. Links are one-way, as in Ergo: the target
 * learns nothing when self terminates. A non-trapping process terminates
 * with the reason it receives. Exactly one signal per link. Errors:
 * ERG_ENOPROC / ERG_ENONAME / ERG_ENOALIAS / ERG_ENOEVENT (the target does
 * not exist now), ERG_EEXIST (already linked), ERG_ENOCONN (remote target or
 * node), ERG_EINVAL (self or the local node).
 */
ERG_EXTERN erg_err_t erg_link(erg_proc_t *self, erg_target_t target);
/* erg_unlink removes the link; a signal already on its way is dropped.
 * ERG_ENOENT if there is none. */
ERG_EXTERN erg_err_t erg_unlink(erg_proc_t *self, erg_target_t target);

/*
 * erg_monitor makes self receive one ERG_TYPE_DOWN message when target goes
 * away, and stores the monitor's ref in *ref (may be NULL). Errors as
 * erg_link.
 */
ERG_EXTERN erg_err_t erg_monitor(erg_proc_t *self, erg_target_t target,
                                 erg_ref_t *ref);
/* erg_demonitor removes the monitor on target; a down message already on its
 * way is dropped. ERG_ENOENT if there is none. */
ERG_EXTERN erg_err_t erg_demonitor(erg_proc_t *self, erg_target_t target);

/* --- Logging and inspection -----------------------------------------------*/

/* erg_log emits a record from self if level >= its log level. */
ERG_EXTERN void erg_log(erg_proc_t *self, erg_log_level_t level,
                        const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* erg_log_fields is erg_log with structured fields. */
ERG_EXTERN void erg_log_fields(erg_proc_t *self, erg_log_level_t level,
                               const erg_log_field_t *fields,
                               unsigned nfields, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
ERG_EXTERN void erg_set_log_level(erg_proc_t *self, erg_log_level_t level);
ERG_EXTERN erg_log_level_t erg_get_log_level(const erg_proc_t *self);

/* erg_inspect_add appends key=value (both copied) to an inspect answer.
 * ERG_ENOMEM. */
ERG_EXTERN erg_err_t erg_inspect_add(erg_inspect_t *out, const char *key,
                                     const char *value);
/* Reading an answer. */
ERG_EXTERN size_t erg_inspect_count(const erg_inspect_t *in);
ERG_EXTERN const char *erg_inspect_key(const erg_inspect_t *in, size_t i);
ERG_EXTERN const char *erg_inspect_value(const erg_inspect_t *in, size_t i);
/* erg_inspect_find: the value for key, or NULL. */
ERG_EXTERN const char *erg_inspect_find(const erg_inspect_t *in,
                                        const char *key);
ERG_EXTERN void erg_inspect_free(erg_inspect_t *in);

/*
 * erg_node_inspect asks pid's handle_inspect for key/value pairs and waits
 * up to timeout_ms (0 = 5 s); *out is freed with erg_inspect_free. The
 * runtime adds "state", "behavior", "queue_main" and friends first.
 * ERG_ENOPROC, ERG_ETIMEDOUT, ERG_ENOMEM. Any thread.
 */
ERG_EXTERN erg_err_t erg_node_inspect(erg_node_t *node, erg_pid_t pid,
                                      uint32_t timeout_ms,
                                      erg_inspect_t **out);

#endif /* ERG_ACTOR_H */
