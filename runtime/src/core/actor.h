/* SPDX-License-Identifier: MIT */
/* actor.h: the process control block, delivery, links, monitors, exits. */
#ifndef ERG_CORE_ACTOR_H
#define ERG_CORE_ACTOR_H

#include <stdatomic.h>
#include <stdbool.h>

#include "core/mailbox.h"
#include "core/msg.h"
#include "core/node.h"
#include "core/sched.h"
#include "util/queue.h"

/*
 * A watch: a link or monitor record kept at what is watched (a process, or
 * an event in event.c), under its lock. It fires once, when the target
 * terminates or its name/alias/event goes away, or is removed by unlink,
 * demonitor or the owner's termination, whichever comes first.
 */
typedef enum { ERG__WATCH_LINK = 0, ERG__WATCH_MONITOR = 1 } erg__watch_kind_t;

typedef struct erg__watch_s {
    erg__queue_t link;
    uint8_t kind;              /* erg__watch_kind_t */
    bool fired;                /* its name/alias went away: only a record
                                  left for the owner to remove in O(1) */
    erg_target_kind_t tkind;   /* how the owner named the target */
    erg_pid_t owner;
    erg_ref_t ref;             /* identifies the watch in both records */
    erg_alias_t alias;         /* for ERG_TARGET_ALIAS */
    struct erg_proc_s *proc;   /* event watches: the owner, retained */
    char name[];               /* for ERG_TARGET_NAME and _EVENT */
} erg__watch_t;

/* The owner's side of a watch (owner thread only): what to undo. */
typedef struct erg__sub_s {
    erg__queue_t link;
    uint8_t kind;
    erg_target_kind_t tkind;
    erg_ref_t ref;
    erg_pid_t holder; /* the process holding the watch (not for events) */
    erg_pid_t pid;    /* the target as given, for unlink/demonitor */
    erg_alias_t alias;
    /* Where the watch is, so leaving costs O(1), not a list walk; checked
     * before use (the holder still alive, or the event registration still
     * the same: see drop_watch and erg__event_unsubscribe). */
    void *event;
    uint64_t event_token;
    erg__watch_t *watch;
    bool remote; /* the target is on another node: net/watch.c holds it */
    char name[];
} erg__sub_t;

typedef struct erg__pending_s {
    struct erg__pending_s *next;
    uint64_t ref_id;
    erg_ref_t ref;
    uint64_t timer;
    erg_response_cb cb;
    void *arg;
} erg__pending_t;

/* A tiny lock: critical sections are a few list operations, and a
 * pthread mutex would cost 40 bytes in every process. */
typedef atomic_int erg__spin_t;
void erg__spin_lock(erg__spin_t *l);
void erg__spin_unlock(erg__spin_t *l);

struct erg_proc_s {
    /* Senders write the refcount (a lookup retains) and the mailbox head:
     * together, on one line, away from what the owner writes per message
     * (the mailbox's reader half, state, counters), so the two sides do
     * not false-share. */
    atomic_uint refs;
    erg__mailbox_t mb;
    erg__task_t task;
    erg_node_t *node;
    const erg_behavior_t *beh;
    erg_pid_t pid;
    erg_pid_t parent;
    atomic_int state;       /* erg_proc_state_t */
    atomic_bool dead;       /* unpublished: unaddressable, notified */
    atomic_bool init_done;
    atomic_bool trap_exit;
    atomic_int log_level;
    atomic_uint_fast64_t messages_in;
    erg_reason_t reason;    /* set with dead */
    erg__spin_t lock;       /* incoming, name, aliases, wait_ref, dead */
    erg__queue_t incoming;  /* erg__watch_t: who watches us */
    erg__queue_t outgoing;  /* erg__sub_t: whom we watch (owner only) */
    char *name;
    uint64_t *aliases;
    unsigned naliases, aliases_cap;
    unsigned nlinks_in, nmonitors_in, nevents;
    uint64_t wait_ref;      /* the ref a blocked call of ours waits on */
    atomic_uint_fast64_t init_waiter; /* the ref erg_node_spawn waits on */
    uint64_t init_deadline_ns; /* CLOCK_MONOTONIC; 0: untimed */
    erg__penv_t *env;
    void *init_args;
    erg__pending_t *pending;
    char *fallback_name;
    char *fallback_tag;
    size_t block_size;
    /* Pushed once by a killer to wake the process; needs no allocation. */
    erg__mailbox_node_t kill_node;
    uint8_t priority;
    uint8_t cur_queue; /* the queue of the mail being handled */
    unsigned sends;    /* sends this turn: they count toward its budget */
    bool init_called;
    max_align_t state_data[];
};

void erg__proc_retain(erg_proc_t *p);
void erg__proc_release(erg_proc_t *p);

/* erg__node_lookup: the live process for pid, retained; errors as
 * erg__node_check_pid, or ERG_ENOPROC. */
erg_err_t erg__node_lookup(erg_node_t *node, erg_pid_t pid, erg_proc_t **out);

/* erg__proc_push queues mail (ownership moves on ERG_OK) and schedules p
 * if it was idle. ERG_EMBOXFULL, ERG_ECLOSED. */
erg_err_t erg__proc_push(erg_proc_t *p, erg__mail_t *mail,
                         erg__mailbox_queue_t q);

/*
 * erg__deliver sends msg (ownership moves on ERG_OK) as a MSG or CALL mail
 * from `from` to target, applying the accept hook, priorities, the mailbox
 * limit and the fallback.
 */
erg_err_t erg__deliver(erg_node_t *node, erg_proc_t *self, erg_pid_t from,
                       erg_target_t target, erg_msg_t *msg,
                       erg_priority_t prio, erg__mail_kind_t kind,
                       erg_ref_t ref);

/* erg__respond answers the call ref of `to`: a blocked waiter, or a
 * RESPONSE mail for an erg_request; dropped if nobody waits. msg (may be
 * NULL) is taken on ERG_OK. */
erg_err_t erg__respond(erg_node_t *node, erg_pid_t to, erg_ref_t ref,
                       erg_msg_t *msg, erg_err_t status);

/* erg__send_exit: an exit signal from `from`. */
erg_err_t erg__send_exit(erg_node_t *node, erg_pid_t from, erg_pid_t to,
                         erg_reason_t reason);

/* erg__kill: unpublish p with reason and wake it to finish. */
void erg__kill(erg_proc_t *p, erg_reason_t reason);

/* erg__spawn: the common part of erg_spawn and erg_node_spawn. */
erg_err_t erg__spawn(erg_node_t *node, erg_proc_t *parent,
                     const erg_behavior_t *beh, const erg_spawn_opts_t *opts,
                     void *args, uint64_t init_waiter, erg_pid_t *pid);

/*
 * erg__proc_init_overrun ends the process with id if its init still runs
 * (ERG_ETIMEDOUT): the scheduler's overrun callback for init deadlines.
 */
void erg__proc_init_overrun(void *node, uint64_t id);

/* erg__watch_new: a watch of target t by owner under ref (the name of a
 * name or event target copied in), not yet in any list; NULL without
 * memory. */
erg__watch_t *erg__watch_new(erg__watch_kind_t kind, erg_target_t t,
                             erg_pid_t owner, erg_ref_t ref);

/*
 * erg__notify_watch sends what a fired watch means to its owner: an exit
 * (link) or a down (monitor) naming the target as the owner named it, from
 * `from`, with reason. Frees w.
 */
void erg__notify_watch(erg_node_t *node, erg__watch_t *w, erg_pid_t from,
                       const char *event_name, erg_reason_t reason);

/* idmap retain callback for processes. */
bool erg__proc_idmap_retain(void *obj);

/*
 * Watches across nodes (net/watch.c calls these on the loop thread):
 * erg__watch_for_remote puts a watch of the remote process owner on the
 * local target t, under ref: ERG_OK, or the error the owner is told with a
 * down at once. erg__unwatch_for_remote removes it again.
 * erg__notify_remote tells a local owner that what it watched on another
 * node went away, as a local watch's firing would.
 */
erg_err_t erg__watch_for_remote(erg_node_t *node, erg_pid_t owner,
                                bool link, erg_target_t t, erg_ref_t ref,
                                erg_pid_t *holder);
void erg__unwatch_for_remote(erg_node_t *node, erg_pid_t holder,
                             erg_ref_t ref);
void erg__notify_remote(erg_node_t *node, bool link, erg_target_kind_t tkind,
                        erg_pid_t owner, erg_ref_t ref, erg_alias_t alias,
                        const char *name, erg_pid_t from,
                        erg_reason_t reason);

/*
 * Waiting for the answer to a request sent under ref (a call, an
 * important send, a remote spawn): erg__await_begin registers the waiter
 * before the request goes out, and for a process (self may be NULL) lets a
 * killer complete it; erg__await_end waits for it when the send returned
 * ERG_OK (sent) with the worker handed over, up to timeout_ms (0 = 5 s),
 * or unregisters it, and returns the answer's status, storing its message
 * in *reply (reply may be NULL: the message is dropped).
 */
erg_err_t erg__await_begin(erg_node_t *node, erg_proc_t *self, erg_ref_t ref,
                           erg__waiter_t *w);
erg_err_t erg__await_end(erg_node_t *node, erg_proc_t *self, erg_ref_t ref,
                         erg__waiter_t *w, erg_err_t sent, uint32_t timeout_ms,
                         erg_msg_t **reply);

/* An empty inspect answer (freed with erg_inspect_free), or NULL. */
erg_inspect_t *erg__inspect_new(void);

/* The process running on this thread, if any (NULL outside handlers). */
erg_proc_t *erg__current(void);

#endif /* ERG_CORE_ACTOR_H */
