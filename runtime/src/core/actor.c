/* SPDX-License-Identifier: MIT */
/* actor.c: processes: spawn, turns, delivery, calls, links, monitors, exits. */
#include "core/actor.h"
#include "net/remote.h"

#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "core/event.h"
#include "util/alloc.h"

static _Thread_local erg_proc_t *current;

erg_proc_t *erg__current(void) {
    return current;
}

static void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield" ::: "memory");
#endif
}

void erg__spin_lock(erg__spin_t *l) {
    for (unsigned i = 0;; i++) {
        int expected = 0;
        if (atomic_load_explicit(l, memory_order_relaxed) == 0 &&
            atomic_compare_exchange_weak_explicit(
                l, &expected, 1, memory_order_acquire, memory_order_relaxed))
            return;
        /* A holder may have been preempted: stop burning its core. */
        if (i < 128)
            cpu_relax();
        else
            sched_yield();
    }
}

void erg__spin_unlock(erg__spin_t *l) {
    atomic_store_explicit(l, 0, memory_order_release);
}

/* --- References ---------------------------------------------------------- */

void erg__proc_retain(erg_proc_t *p) {
    atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
}

void erg__proc_release(erg_proc_t *p) {
    if (atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) != 1)
        return;
    /* Senders read the fallback until they let go, so it goes last. */
    erg__free(p->fallback_name);
    erg__free(p->fallback_tag);
    erg__mailbox_fini(&p->mb);
    erg__pool_put(p->node, p, p->block_size);
}

bool erg__proc_idmap_retain(void *obj) {
    erg__proc_retain(obj);
    return true;
}

erg_err_t erg__node_lookup(erg_node_t *node, erg_pid_t pid, erg_proc_t **out) {
    erg_err_t rv = erg__node_check_pid(node, pid);
    if (rv != ERG_OK)
        return rv;
    erg_proc_t *p = erg__idmap_get(node->procs, pid.id);
    if (p == NULL)
        return ERG_ENOPROC;
    *out = p;
    return ERG_OK;
}

static void set_state(erg_proc_t *p, erg_proc_state_t st) {
    /* Once dead, the killer's TERMINATED/ZOMBIE stands. Written only on a
     * change: this runs for every message. */
    if (atomic_load_explicit(&p->state, memory_order_relaxed) != (int)st &&
        !atomic_load_explicit(&p->dead, memory_order_relaxed))
        atomic_store_explicit(&p->state, (int)st, memory_order_relaxed);
}

/* --- Delivery -------------------------------------------------------------*/

erg_err_t erg__proc_push(erg_proc_t *p, erg__mail_t *mail,
                         erg__mailbox_queue_t q) {
    bool must_schedule;
    erg_err_t rv = erg__mailbox_push(&p->mb, q, &mail->node, &must_schedule);
    if (rv == ERG_OK && must_schedule)
        erg__sched_submit(p->node->sched, &p->task);
    return rv;
}

static erg__mailbox_queue_t queue_of(erg_priority_t prio) {
    switch (prio) {
    case ERG_PRIORITY_MAX:
        return ERG__MAILBOX_URGENT;
    case ERG_PRIORITY_HIGH:
        return ERG__MAILBOX_SYSTEM;
    default:
        return ERG__MAILBOX_MAIN;
    }
}

static erg_err_t lookup_id(erg_node_t *node, uint64_t id, erg_err_t missing,
                           erg_proc_t **out) {
    erg_proc_t *p = id != 0 ? erg__idmap_get(node->procs, id) : NULL;
    if (p == NULL)
        return missing;
    *out = p;
    return ERG_OK;
}

/* The local process target names; callers route other nodes' targets to
 * the network first (erg__net_is_remote). */
static erg_err_t resolve(erg_node_t *node, erg_target_t t, erg_proc_t **out) {
    uint64_t id;
    switch (t.kind) {
    case ERG_TARGET_PID:
        return erg__node_lookup(node, t.pid, out);
    case ERG_TARGET_NAME:
        if (t.name == NULL)
            return ERG_EINVAL;
        pthread_mutex_lock(&node->names_lock);
        id = (uint64_t)(uintptr_t)erg__hmap_get_str(&node->names, t.name);
        pthread_mutex_unlock(&node->names_lock);
        return lookup_id(node, id, ERG_ENONAME, out);
    case ERG_TARGET_ALIAS:
        if (t.alias.creation != node->creation)
            return ERG_EINCARNATION;
        pthread_mutex_lock(&node->names_lock);
        id = (uint64_t)(uintptr_t)erg__hmap_get_u64(&node->aliases,
                                                    t.alias.id);
        pthread_mutex_unlock(&node->names_lock);
        return lookup_id(node, id, ERG_ENOALIAS, out);
    default:
        return ERG_EINVAL;
    }
}

/*
 * A worker thread's last resolved pids. A sender usually sends many
 * messages to a few processes, and the id map's shard lock plus two atomic
 * reference-count operations (on a line the receiver also writes) were
 * about a fifth of a local one-way send. The cache is direct-mapped by the
 * id's low bits, so two processes messaging each other on one worker (ids
 * are sequential) keep both entries. An entry holds a reference, dropped
 * when another pid takes its slot, when its process is found dead, and
 * when the thread exits: only a node's own workers use the cache, and they
 * exit before the node frees anything.
 */
/* 16: a pool forwarding round-robin to its workers keeps them all
 * (ids are mostly consecutive); a miss costs a retain and a release more
 * than no cache would. */
enum { PID_CACHE_SLOTS = 16 };

typedef struct pid_slot_s {
    erg_node_t *node;
    uint64_t id;
    erg_proc_t *p;
} pid_slot_t;

typedef struct pid_cache_s {
    pid_slot_t slot[PID_CACHE_SLOTS];
    bool keyed; /* the exit destructor is registered */
} pid_cache_t;

static _Thread_local pid_cache_t pid_cache;
static pthread_key_t pid_cache_key;
static pthread_once_t pid_cache_once = PTHREAD_ONCE_INIT;

static void pid_slot_drop(pid_slot_t *e) {
    erg_proc_t *p = e->p;
    *e = (pid_slot_t){NULL, 0, NULL};
    if (p != NULL)
        erg__proc_release(p);
}

static void pid_cache_exit(void *unused) {
    (void)unused;
    for (int i = 0; i < PID_CACHE_SLOTS; i++)
        pid_slot_drop(&pid_cache.slot[i]);
}

static void pid_cache_make_key(void) {
    (void)pthread_key_create(&pid_cache_key, pid_cache_exit);
}

/* Keeps p (whose reference the caller holds) in slot e, taking a
 * reference of its own. */
static void pid_slot_put(pid_slot_t *e, erg_node_t *node, erg_proc_t *p) {
    if (!pid_cache.keyed) {
        pthread_once(&pid_cache_once, pid_cache_make_key);
        if (pthread_setspecific(pid_cache_key, &pid_cache) != 0)
            return; /* no destructor: do not hold references */
        pid_cache.keyed = true;
    }
    pid_slot_drop(e);
    erg__proc_retain(p);
    *e = (pid_slot_t){node, p->pid.id, p};
}

/*
 * resolve for a send: *borrowed tells whether *out is the thread cache's
 * reference (release it with unresolve, never erg__proc_release).
 */
static erg_err_t resolve_for_send(erg_node_t *node, erg_target_t t,
                                  erg_proc_t **out, bool *borrowed) {
    *borrowed = false;
    if (t.kind != ERG_TARGET_PID || !erg__sched_on_worker(node->sched))
        return resolve(node, t, out);
    pid_slot_t *e = &pid_cache.slot[t.pid.id % PID_CACHE_SLOTS];
    if (e->p != NULL && e->id == t.pid.id && e->node == node &&
        t.pid.creation == node->creation && t.pid.node == node->hash) {
        if (!atomic_load_explicit(&e->p->dead, memory_order_acquire)) {
            *out = e->p;
            *borrowed = true;
            return ERG_OK;
        }
        pid_slot_drop(e); /* dead: the id map says so too */
    }
    erg_err_t rv = resolve(node, t, out);
    if (rv == ERG_OK)
        pid_slot_put(e, node, *out);
    return rv;
}

static void unresolve(erg_proc_t *p, bool borrowed) {
    if (!borrowed)
        erg__proc_release(p);
}

static void fallback_dtor(erg_msg_t *m) {
    erg_fallback_t *fb = erg_msg_data(m);
    erg_msg_release(fb->msg);
}

/* Wraps msg for p's fallback process; ERG_OK if the wrapper was taken. */
static erg_err_t fallback(erg_node_t *node, erg_proc_t *p, erg_pid_t from,
                          erg_msg_t *msg) {
    const char *tag = p->fallback_tag != NULL ? p->fallback_tag : "";
    size_t taglen = strlen(tag) + 1;
    erg_msg_t *wrap;
    if (erg__msg_new_sys(ERG_TYPE_FALLBACK, sizeof(erg_fallback_t), taglen,
                         fallback_dtor, &wrap) != ERG_OK)
        return ERG_EMBOXFULL;
    erg_fallback_t *fb = erg_msg_data(wrap);
    char *copy = (char *)(fb + 1);
    memcpy(copy, tag, taglen);
    fb->pid = p->pid;
    fb->tag = copy;
    fb->msg = msg;
    erg_msg_retain(msg);
    erg_err_t rv =
        erg__deliver(node, NULL, from, erg_to_name(p->fallback_name), wrap,
                     ERG_PRIORITY_NORMAL, ERG__MAIL_MSG, (erg_ref_t){0});
    if (rv != ERG_OK) {
        erg_msg_release(wrap);
        return ERG_EMBOXFULL;
    }
    return ERG_OK;
}

/*
 * erg__deliver's body. With inline_task non-NULL, a target that was idle is
 * not submitted to the scheduler: *inline_task is set and the caller must
 * run or submit it (the caller holds the duty to schedule it).
 */
static erg_err_t deliver_ex(erg_node_t *node, erg_proc_t *self,
                            erg_pid_t from, erg_target_t target,
                            erg_msg_t *msg, erg_priority_t prio,
                            erg__mail_kind_t kind, erg_ref_t ref,
                            erg__task_t **inline_task);

erg_err_t erg__deliver(erg_node_t *node, erg_proc_t *self, erg_pid_t from,
                       erg_target_t target, erg_msg_t *msg,
                       erg_priority_t prio, erg__mail_kind_t kind,
                       erg_ref_t ref) {
    return deliver_ex(node, self, from, target, msg, prio, kind, ref, NULL);
}

static erg_err_t deliver_ex(erg_node_t *node, erg_proc_t *self,
                            erg_pid_t from, erg_target_t target,
                            erg_msg_t *msg, erg_priority_t prio,
                            erg__mail_kind_t kind, erg_ref_t ref,
                            erg__task_t **inline_task) {
    if (msg == NULL)
        return ERG_EINVAL;
    if (self != NULL)
        self->sends++;
    if (erg__net_is_remote(node, target))
        return erg__net_deliver(node, from, target, msg, prio,
                                kind == ERG__MAIL_CALL, false, ref);
    erg_proc_t *p;
    bool borrowed;
    erg_err_t rv = resolve_for_send(node, target, &p, &borrowed);
    if (rv != ERG_OK)
        return rv;
    if (kind == ERG__MAIL_CALL && p == self) {
        unresolve(p, borrowed);
        return ERG_ENOTALLOWED;
    }
    erg_msg_t *up = NULL;
    /* Only user messages and calls face the accept hook: runtime messages
     * (event start/stop notes, fallback wrappers, ...) are system traffic
     * and are never refused, whatever the target's schema says. */
    if (p->beh->accept != NULL &&
        (kind == ERG__MAIL_MSG || kind == ERG__MAIL_CALL) &&
        !erg__msg_is_runtime(msg)) {
        rv = p->beh->accept(p->beh->accept_table, msg,
                            kind == ERG__MAIL_CALL, &up);
        /* Another version of a type the actor accepts is converted to
         * one it takes, as a receiving node does for remote senders. */
        if (rv == ERG_ENOTACCEPTED &&
            erg__net_adapt(node, p->beh, msg, &up) == ERG_OK)
            rv = ERG_OK;
        if (rv != ERG_OK) {
            unresolve(p, borrowed);
            return rv;
        }
    }
    erg_msg_t *m = up != NULL ? up : msg;
    erg__mail_t *mail = erg__mail_new(kind, m);
    if (mail == NULL) {
        erg_msg_release(up);
        unresolve(p, borrowed);
        return ERG_ENOMEM;
    }
    mail->from = from;
    mail->ref = ref;
    bool must_schedule = false;
    rv = erg__mailbox_push(&p->mb, queue_of(prio), &mail->node,
                           &must_schedule);
    if (must_schedule) {
        if (inline_task != NULL)
            *inline_task = &p->task;
        else
            erg__sched_submit(node->sched, &p->task);
    }
    bool pushed = rv == ERG_OK; /* m's reference moved into the mail */
    if (!pushed) {
        erg__mail_discard(mail);
        if (rv == ERG_EMBOXFULL && kind == ERG__MAIL_MSG &&
            p->fallback_name != NULL)
            rv = fallback(node, p, from, m);
        else if (rv == ERG_ECLOSED)
            rv = ERG_ENOPROC;
    }
    if (rv == ERG_OK) {
        /* The send consumed the caller's reference: in the mail, or given
         * up here when a wrapper or an upgrade holds its own. */
        if (!pushed)
            erg_msg_release(m);
        if (up != NULL)
            erg_msg_release(msg);
    } else {
        erg_msg_release(up);
    }
    unresolve(p, borrowed);
    return rv;
}

/* --- Exit and down notes --------------------------------------------------*/

/* Builds an erg_exit_t or erg_down_t message whose name lives inside it. */
static erg_err_t make_note(bool is_exit, erg_target_kind_t tkind,
                           erg_pid_t pid, erg_alias_t alias, const char *name,
                           erg_ref_t ref, erg_reason_t reason,
                           erg_msg_t **out) {
    size_t head = is_exit ? sizeof(erg_exit_t) : sizeof(erg_down_t);
    size_t namelen = name != NULL ? strlen(name) + 1 : 0;
    erg_msg_t *m;
    erg_err_t rv = erg__msg_new_sys(is_exit ? ERG_TYPE_EXIT : ERG_TYPE_DOWN,
                                    head, namelen, NULL, &m);
    if (rv != ERG_OK)
        return rv;
    char *copy = NULL;
    if (name != NULL) {
        copy = (char *)erg_msg_data(m) + head;
        memcpy(copy, name, namelen);
    }
    erg_target_t t = {tkind, 0, pid, alias, copy, NULL};
    if (tkind == ERG_TARGET_PID)
        t.node = pid.node;
    if (is_exit) {
        erg_exit_t *ex = erg_msg_data(m);
        ex->target = t;
        ex->reason = reason;
    } else {
        erg_down_t *d = erg_msg_data(m);
        d->ref = ref;
        d->target = t;
        d->reason = reason;
    }
    *out = m;
    return ERG_OK;
}

erg_err_t erg__send_exit(erg_node_t *node, erg_pid_t from, erg_pid_t to,
                         erg_reason_t reason) {
    if (to.node != node->hash)
        return erg__net_exit(node, from, to, reason);
    erg_proc_t *p;
    erg_err_t rv = erg__node_lookup(node, to, &p);
    if (rv != ERG_OK)
        return rv;
    erg_msg_t *m;
    rv = make_note(true, ERG_TARGET_PID, from, (erg_alias_t){0}, NULL,
                   (erg_ref_t){0}, reason, &m);
    erg__mail_t *mail = rv == ERG_OK ? erg__mail_new(ERG__MAIL_EXIT, m) : NULL;
    if (mail == NULL) {
        if (rv == ERG_OK)
            erg_msg_release(m);
        erg__proc_release(p);
        return ERG_ENOMEM;
    }
    mail->from = from;
    rv = erg__proc_push(p, mail, ERG__MAILBOX_URGENT);
    if (rv != ERG_OK) {
        erg__mail_free(mail);
        rv = ERG_ENOPROC;
    }
    erg__proc_release(p);
    return rv;
}

/* What a fired watch tells its owner, copied out of the watch. */
typedef struct note_s {
    uint8_t kind;
    erg_target_kind_t tkind;
    erg_pid_t owner;
    erg_ref_t ref;
    erg_alias_t alias;
} note_t;

/* Sends the exit (link) or down (monitor) of note to its owner (owner_ref,
 * if given, is a reference the caller holds on it). */
static void notify(erg_node_t *node, const note_t *n, erg_proc_t *owner_ref,
                   const char *name, erg_pid_t from, erg_reason_t reason) {
    if (n->owner.node != node->hash) {
        /* The watcher is on another node: it learns over the network. */
        erg__net_down(node, n->owner, n->ref, from,
                      n->kind == ERG__WATCH_LINK, reason);
        return;
    }
    erg_proc_t *owner = owner_ref;
    if (owner == NULL && erg__node_lookup(node, n->owner, &owner) != ERG_OK)
        return;
    bool is_exit = n->kind == ERG__WATCH_LINK;
    erg_msg_t *m;
    if (make_note(is_exit, n->tkind, from, n->alias, name, n->ref, reason,
                  &m) == ERG_OK) {
        erg__mail_t *mail =
            erg__mail_new(is_exit ? ERG__MAIL_EXIT : ERG__MAIL_DOWN, m);
        if (mail == NULL) {
            erg_msg_release(m);
        } else {
            mail->from = from;
            mail->ref = n->ref;
            if (erg__proc_push(owner, mail, ERG__MAILBOX_URGENT) != ERG_OK)
                erg__mail_free(mail);
        }
    }
    if (owner_ref == NULL)
        erg__proc_release(owner);
}

void erg__notify_watch(erg_node_t *node, erg__watch_t *w, erg_pid_t from,
                       const char *event_name, erg_reason_t reason) {
    (void)event_name;
    /* A fired record only waited for its owner to remove it. */
    if (!w->fired) {
        note_t n = {w->kind, w->tkind, w->owner, w->ref, w->alias};
        const char *name = w->tkind == ERG_TARGET_NAME ||
                                   w->tkind == ERG_TARGET_EVENT
                               ? w->name
                               : NULL;
        notify(node, &n, w->proc, name, from, reason);
    }
    /* An event watch holds a reference to its owner. */
    if (w->proc != NULL)
        erg__proc_release(w->proc);
    erg__free(w);
}

/* --- Responses ------------------------------------------------------------*/

erg_err_t erg__respond(erg_node_t *node, erg_pid_t to, erg_ref_t ref,
                       erg_msg_t *msg, erg_err_t status) {
    if (to.node != node->hash)
        return erg__net_respond(node, to, ref, msg, status);
    if (erg__waiter_complete(node, ref.id, status, msg, NULL))
        return ERG_OK;
    erg_proc_t *p = NULL;
    if (to.creation == node->creation && to.id != node->pid.id)
        p = erg__idmap_get(node->procs, to.id);
    if (p == NULL) {
        erg_msg_release(msg); /* nobody waits: a late response */
        return ERG_OK;
    }
    erg__mail_t *mail = erg__mail_new(ERG__MAIL_RESPONSE, msg);
    if (mail == NULL) {
        erg__proc_release(p);
        return ERG_ENOMEM;
    }
    mail->ref = ref;
    mail->status = status;
    if (erg__proc_push(p, mail, ERG__MAILBOX_SYSTEM) != ERG_OK)
        erg__mail_free(mail);
    erg__proc_release(p);
    return ERG_OK;
}

/* --- Termination ----------------------------------------------------------*/

static erg_err_t init_status(erg_reason_t reason) {
    return reason < 0 ? (erg_err_t)reason : ERG_ETERMINATED;
}

/* Answers erg_node_spawn's waiter, once, from whichever thread gets here
 * first: the process after init, or a killer while init still runs. */
static void answer_init(erg_proc_t *p, erg_err_t status) {
    uint64_t ref = atomic_exchange(&p->init_waiter, 0);
    if (ref != 0)
        erg__waiter_complete(p->node, ref, status, NULL, NULL);
}


/*
 * Makes p unaddressable and fires what watches it, exactly once whoever
 * calls it (p itself, or a killer on another thread). Returns false if p
 * was already unpublished.
 */
static bool unpublish(erg_proc_t *p, erg_reason_t reason) {
    erg_node_t *node = p->node;
    erg__spin_lock(&p->lock);
    if (atomic_load_explicit(&p->dead, memory_order_relaxed)) {
        erg__spin_unlock(&p->lock);
        return false;
    }
    p->reason = reason;
    atomic_store_explicit(&p->dead, true, memory_order_release);
    erg__queue_t watches;
    erg__queue_move(&p->incoming, &watches);
    char *name = p->name;
    uint64_t *aliases = p->aliases;
    unsigned naliases = p->naliases;
    p->name = NULL;
    p->aliases = NULL;
    p->naliases = p->aliases_cap = 0;
    uint64_t wait_ref = p->wait_ref;
    unsigned nevents = p->nevents;
    erg__spin_unlock(&p->lock);

    erg__idmap_remove(node->procs, p->pid.id);
    pthread_mutex_lock(&node->names_lock);
    if (name != NULL &&
        (uint64_t)(uintptr_t)erg__hmap_get_str(&node->names, name) ==
            p->pid.id)
        erg__hmap_del_str(&node->names, name);
    for (unsigned i = 0; i < naliases; i++)
        erg__hmap_del_u64(&node->aliases, aliases[i]);
    pthread_mutex_unlock(&node->names_lock);
    erg__free(name);
    erg__free(aliases);
    /* A call this process is blocked in (it was killed) returns now. */
    if (wait_ref != 0)
        erg__waiter_complete(node, wait_ref, ERG_ETERMINATED, NULL, NULL);
    answer_init(p, init_status(reason));
    if (nevents > 0)
        erg__events_owner_gone(node, p->pid, reason);
    erg__log_forget_pid(node, p->pid);
    while (!erg__queue_empty(&watches)) {
        erg__queue_t *q = erg__queue_head(&watches);
        erg__queue_remove(q);
        erg__notify_watch(node, ERG__QUEUE_DATA(q, erg__watch_t, link),
                          p->pid, NULL, reason);
    }
    return true;
}

void erg__kill(erg_proc_t *p, erg_reason_t reason) {
    int st = atomic_load_explicit(&p->state, memory_order_relaxed);
    if (!unpublish(p, reason))
        return;
    bool busy = st == ERG_PROC_RUNNING || st == ERG_PROC_WAIT_RESPONSE ||
                st == ERG_PROC_INIT;
    atomic_store_explicit(&p->state,
                          busy ? ERG_PROC_ZOMBIE : ERG_PROC_TERMINATED,
                          memory_order_relaxed);
    /* Wake it to finish: a push either schedules an idle process or is
     * seen before a running one can block its mailbox. */
    bool must_schedule;
    if (erg__mailbox_push(&p->mb, ERG__MAILBOX_URGENT, &p->kill_node,
                          &must_schedule) == ERG_OK &&
        must_schedule)
        erg__sched_submit(p->node->sched, &p->task);
}

/*
 * Removes watch w from holder's incoming list in O(1). While the holder is
 * alive only the owner removes its watches (a fired one stays as a record
 * until then), so w is still there; once the holder is dead its own
 * unpublish owns the list and frees w.
 */
/* Takes w out of holder h's incoming list and its counts; under h's lock. */
static void unhook_watch(erg_proc_t *h, erg__watch_t *w) {
    erg__queue_remove(&w->link);
    if (!w->fired && w->kind == ERG__WATCH_LINK)
        h->nlinks_in--;
    else if (!w->fired)
        h->nmonitors_in--;
}

static void drop_watch(erg_node_t *node, erg_pid_t holder, erg__watch_t *w) {
    erg_proc_t *h = erg__idmap_get(node->procs, holder.id);
    if (h == NULL)
        return;
    erg__spin_lock(&h->lock);
    bool mine = !atomic_load_explicit(&h->dead, memory_order_relaxed);
    if (mine)
        unhook_watch(h, w);
    erg__spin_unlock(&h->lock);
    if (mine)
        erg__free(w);
    erg__proc_release(h);
}

static void undo_sub(erg_proc_t *p, erg__sub_t *s) {
    if (s->remote)
        erg__net_unwatch(p->node, s->ref);
    else if (s->tkind == ERG_TARGET_EVENT)
        erg__event_unsubscribe(p->node, s);
    else
        drop_watch(p->node, s->holder, s->watch);
}

/* Answers what is left in a closed mailbox, so nobody waits in vain. */
static void drain(erg_proc_t *p) {
    erg__mailbox_node_t *n;
    while ((n = erg__mailbox_pop(&p->mb)) != NULL) {
        if (n == &p->kill_node)
            continue;
        erg__mail_t *mail = (erg__mail_t *)n;
        if (mail->kind == ERG__MAIL_CALL) {
            erg__respond(p->node, mail->from, mail->ref, NULL,
                         ERG_ETERMINATED);
        } else if (mail->kind == ERG__MAIL_INSPECT) {
            erg__waiter_complete(p->node, mail->ref.id, ERG_ETERMINATED, NULL,
                                 NULL);
        } else if (mail->kind == ERG__MAIL_EVENT) {
            erg__event_release(mail->ptr);
        }
        erg__mail_free(mail);
    }
}

/* The owner's last steps, once no handler of p runs any more. */
static void finalize(erg_proc_t *p) {
    erg_node_t *node = p->node;
    erg_reason_t reason = p->reason;
    /* Every continuation gets its one status before terminate runs. */
    while (p->pending != NULL) {
        erg__pending_t *pr = p->pending;
        p->pending = pr->next;
        if (pr->timer != 0)
            erg__timers_cancel(node->timers, pr->timer);
        (void)pr->cb(p, pr->ref, ERG_ECANCELED, NULL, pr->arg);
        erg__free(pr);
    }
    if (p->init_called && p->beh->terminate != NULL)
        p->beh->terminate(p, reason);
    answer_init(p, init_status(reason));
    erg__mailbox_close(&p->mb);
    drain(p);
    while (!erg__queue_empty(&p->outgoing)) {
        erg__queue_t *q = erg__queue_head(&p->outgoing);
        erg__queue_remove(q);
        erg__sub_t *s = ERG__QUEUE_DATA(q, erg__sub_t, link);
        undo_sub(p, s);
        erg__free(s);
    }
    erg__penv_release(p->env);
    p->env = NULL;
    atomic_store_explicit(&p->state, ERG_PROC_TERMINATED,
                          memory_order_relaxed);
    current = NULL;
    erg__node_proc_gone(node);
    erg__proc_release(p);
}

/* p ends itself with reason (or the reason a killer gave first). */
static void exit_self(erg_proc_t *p, erg_reason_t reason) {
    if (reason != ERG_REASON_NORMAL && reason != ERG_REASON_SHUTDOWN &&
        !atomic_load(&p->dead)) {
        char buf[32], pbuf[ERG_PID_STRLEN];
        erg__node_logf(p->node, ERG_LOG_WARNING, "%s %s terminated: %s",
                       erg_pid_format(p->pid, pbuf, sizeof(pbuf)),
                       p->beh->name != NULL ? p->beh->name : "process",
                       erg_reason_string(reason, buf, sizeof(buf)));
    }
    unpublish(p, reason);
    finalize(p);
}

/* --- Dispatch ------------------------------------------------------------ */

static erg__sub_t *take_sub(erg_proc_t *p, uint64_t ref_id) {
    erg__queue_t *q;
    ERG__QUEUE_FOREACH(q, &p->outgoing) {
        erg__sub_t *s = ERG__QUEUE_DATA(q, erg__sub_t, link);
        if (s->ref.id == ref_id) {
            erg__queue_remove(q);
            return s;
        }
    }
    return NULL;
}

/* A watch of s fired: a name or alias that went away leaves the record at
 * a live holder, which is removed now; otherwise the holder is gone. */
static void sub_done(erg_proc_t *p, erg__sub_t *s) {
    if (!s->remote &&
        (s->tkind == ERG_TARGET_NAME || s->tkind == ERG_TARGET_ALIAS))
        drop_watch(p->node, s->holder, s->watch);
    erg__free(s);
}

static erg__pending_t *take_pending(erg_proc_t *p, uint64_t ref_id) {
    for (erg__pending_t **pp = &p->pending; *pp != NULL;
         pp = &(*pp)->next) {
        if ((*pp)->ref_id == ref_id) {
            erg__pending_t *pr = *pp;
            *pp = pr->next;
            return pr;
        }
    }
    return NULL;
}

static erg_reason_t on_message(erg_proc_t *p, erg_pid_t from,
                               erg_msg_t *msg) {
    if (p->beh->handle_message == NULL)
        return ERG_REASON_NONE;
    return p->beh->handle_message(p, from, msg);
}

static erg_reason_t on_exit_signal(erg_proc_t *p, erg__mail_t *mail) {
    erg_exit_t *ex = erg_msg_data(mail->msg);
    if (mail->ref.id != 0) {
        /* From a link: dropped if self unlinked meanwhile. */
        erg__sub_t *s = take_sub(p, mail->ref.id);
        if (s == NULL)
            return ERG_REASON_NONE;
        sub_done(p, s);
    }
    /* A kill sent straight to us is untrappable; a linked process that
     * was killed reports it like any other reason (Erlang's killed). */
    bool direct_kill = ex->reason == ERG_REASON_KILL && mail->ref.id == 0;
    bool trappable = !direct_kill &&
                     !erg_pid_equal(mail->from, p->parent) &&
                     !erg_pid_equal(mail->from, p->node->pid);
    if (trappable && atomic_load_explicit(&p->trap_exit, memory_order_relaxed))
        return on_message(p, mail->from, mail->msg);
    return ex->reason;
}

static void on_inspect(erg_proc_t *p, erg__mail_t *mail);

static erg_reason_t dispatch(erg_proc_t *p, erg__mail_t *mail) {
    erg_reason_t r = ERG_REASON_NONE;
    erg__pending_t *pr;
    switch (mail->kind) {
    case ERG__MAIL_MSG:
        r = on_message(p, mail->from, mail->msg);
        break;
    case ERG__MAIL_CALL:
        if (p->beh->handle_call == NULL) {
            erg__respond(p->node, mail->from, mail->ref, NULL, ERG_ENOTSUP);
        } else {
            erg_msg_t *reply = NULL;
            r = p->beh->handle_call(p, mail->from, mail->ref, mail->msg,
                                    &reply);
            if (reply != NULL &&
                erg__respond(p->node, mail->from, mail->ref, reply,
                             ERG_OK) != ERG_OK)
                erg_msg_release(reply);
        }
        break;
    case ERG__MAIL_RESPONSE:
    case ERG__MAIL_REQ_TIMEOUT:
        pr = take_pending(p, mail->ref.id);
        if (pr == NULL)
            break; /* late: the request already completed */
        if (mail->kind == ERG__MAIL_RESPONSE && pr->timer != 0)
            erg__timers_cancel(p->node->timers, pr->timer);
        if (mail->kind == ERG__MAIL_RESPONSE)
            r = pr->cb(p, pr->ref, mail->status, mail->msg, pr->arg);
        else
            r = pr->cb(p, pr->ref, ERG_ETIMEDOUT, NULL, pr->arg);
        erg__free(pr);
        break;
    case ERG__MAIL_EXIT:
        r = on_exit_signal(p, mail);
        break;
    case ERG__MAIL_DOWN: {
        erg__sub_t *s = take_sub(p, mail->ref.id);
        if (s != NULL) {
            sub_done(p, s);
            r = on_message(p, mail->from, mail->msg);
        }
        break;
    }
    case ERG__MAIL_EVENT: {
        erg__event_t *ev = mail->ptr;
        if (p->beh->handle_event != NULL) {
            erg_event_msg_t em = {ev->name, ev->producer,
                                  (int64_t)mail->ref.deadline_ms,
                                  mail->msg};
            r = p->beh->handle_event(p, &em);
        }
        erg__event_release(ev);
        break;
    }
    case ERG__MAIL_INSPECT:
        on_inspect(p, mail);
        break;
    default: /* ERG__MAIL_KILL: the dead check does the rest */
        break;
    }
    erg__mail_free(mail);
    return r;
}

/*
 * Runs init; true if p is finished (failed or killed). The init timeout
 * costs nothing when init is quick: an init that starts past its deadline
 * (queued too long) fails at once, and one that runs or blocks past it is
 * reported by the scheduler's monitor (erg__proc_init_overrun).
 */
static bool run_init(erg_proc_t *p) {
    erg__sched_deadline_t d = {p->init_deadline_ns, p->pid.id};
    if (d.deadline_ns != 0 && erg__mono_ns() >= d.deadline_ns)
        erg__kill(p, (erg_reason_t)ERG_ETIMEDOUT);
    erg_reason_t r = ERG_REASON_NONE;
    if (!atomic_load_explicit(&p->dead, memory_order_acquire)) {
        erg__sched_deadline_t outer = erg__sched_deadline_set(d);
        p->init_called = true; /* from here on, terminate runs too */
        r = p->beh->init(p, p->init_args);
        erg__sched_deadline_set(outer);
    }
    atomic_store_explicit(&p->init_done, true, memory_order_release);
    if (atomic_load_explicit(&p->dead, memory_order_acquire)) {
        finalize(p);
        return true;
    }
    if (r != ERG_REASON_NONE) {
        /* unpublish answers the spawner once the name is free again, so
         * a retry under the same name cannot find it taken. */
        exit_self(p, r);
        return true;
    }
    answer_init(p, ERG_OK);
    set_state(p, ERG_PROC_SLEEP);
    return false;
}

static erg__task_status_t proc_run(erg__task_t *task, unsigned max) {
    erg_proc_t *p = ERG__QUEUE_DATA(task, erg_proc_t, task);
    current = p;
    if (!p->init_called) {
        /* Killed before init could start: it never runs. */
        if (atomic_load_explicit(&p->dead, memory_order_acquire)) {
            finalize(p);
            return ERG__TASK_IDLE;
        }
        if (run_init(p))
            return ERG__TASK_IDLE;
    }
    /* Let urgent mail that arrived since the last turn overtake. */
    erg__mailbox_fetch(&p->mb);
    /* A turn's budget counts what the process handled and what it sent,
     * as Erlang's reductions do: a sender flooding an idle receiver yields
     * the worker as often as the receiver does, so the backlog stays
     * small (a handler itself still cannot be preempted). */
    p->sends = 0;
    unsigned n = 0;
    for (; n + p->sends < max; n++) {
        if (atomic_load_explicit(&p->dead, memory_order_acquire)) {
            finalize(p);
            return ERG__TASK_IDLE;
        }
        erg__mailbox_node_t *node = erg__mailbox_pop(&p->mb);
        if (node == NULL)
            break;
        if (node == &p->kill_node)
            continue; /* a wake-up: the dead check above finishes us */
        /* The turn goes on: whoever the last handler woke may run
         * elsewhere meanwhile. */
        if (n > 0)
            erg__sched_release_next();
        set_state(p, ERG_PROC_RUNNING);
        p->cur_queue = (uint8_t)node->queue;
        uint64_t in = atomic_load_explicit(&p->messages_in,
                                           memory_order_relaxed);
        atomic_store_explicit(&p->messages_in, in + 1, memory_order_relaxed);
        erg_reason_t r = dispatch(p, (erg__mail_t *)node);
        if (r != ERG_REASON_NONE) {
            exit_self(p, r);
            return ERG__TASK_IDLE;
        }
    }
    if (atomic_load_explicit(&p->dead, memory_order_acquire)) {
        finalize(p);
        return ERG__TASK_IDLE;
    }
    set_state(p, ERG_PROC_SLEEP);
    current = NULL;
    /* Out of budget or out of mail, a process with nothing left blocks
     * (asking for another turn would keep a worker's local queue busy for
     * nothing). After a successful block another worker may run p: hands
     * off. */
    if (erg__mailbox_try_block(&p->mb))
        return ERG__TASK_IDLE;
    return ERG__TASK_MORE;
}

/* --- Timers owned by processes ---------------------------------------------*/

enum { PT_SEND, PT_EXIT, PT_REQ_TIMEOUT };

typedef struct ptimer_s {
    erg__timer_t t; /* first: the timer module frees the whole record */
    erg_node_t *node;
    int what;
    erg_pid_t from;
    erg_pid_t to;
    erg_target_t target;
    erg_msg_t *msg;
    erg_priority_t prio;
    erg_reason_t reason;
    erg_ref_t ref;
    char name[];
} ptimer_t;

static void ptimer_fire(erg__timer_t *t) {
    ptimer_t *pt = (ptimer_t *)t;
    erg_node_t *node = pt->node;
    erg_proc_t *p;
    erg_err_t rv = ERG_OK;
    switch (pt->what) {
    case PT_SEND:
        rv = erg__deliver(node, NULL, pt->from, pt->target, pt->msg, pt->prio,
                          ERG__MAIL_MSG, (erg_ref_t){0});
        if (rv != ERG_OK) {
            erg_msg_release(pt->msg);
            erg__node_logf(node, ERG_LOG_DEBUG, "delayed send failed: %s",
                           erg_strerror(rv));
        }
        break;
    case PT_EXIT:
        rv = erg__send_exit(node, pt->from, pt->to, pt->reason);
        if (rv != ERG_OK)
            erg__node_logf(node, ERG_LOG_DEBUG, "delayed exit failed: %s",
                           erg_strerror(rv));
        break;
    case PT_REQ_TIMEOUT:
        if (erg__node_lookup(node, pt->to, &p) == ERG_OK) {
            erg__mail_t *mail = erg__mail_new(ERG__MAIL_REQ_TIMEOUT, NULL);
            if (mail != NULL) {
                mail->ref = pt->ref;
                if (erg__proc_push(p, mail, ERG__MAILBOX_SYSTEM) != ERG_OK)
                    erg__mail_discard(mail);
            }
            erg__proc_release(p);
        }
        break;
    }
}

static void ptimer_drop(erg__timer_t *t) {
    erg_msg_release(((ptimer_t *)t)->msg);
}

static erg_err_t ptimer_new(erg_node_t *node, int what, const char *name,
                            ptimer_t **out) {
    size_t namelen = name != NULL ? strlen(name) + 1 : 0;
    ptimer_t *pt = erg__calloc(1, sizeof(*pt) + namelen);
    if (pt == NULL)
        return ERG_ENOMEM;
    pt->t.fire = ptimer_fire;
    pt->t.drop = ptimer_drop;
    pt->node = node;
    pt->what = what;
    if (name != NULL)
        memcpy(pt->name, name, namelen);
    *out = pt;
    return ERG_OK;
}

static erg_err_t ptimer_post(ptimer_t *pt, uint32_t delay_ms, uint64_t *id) {
    erg_ref_t ref = erg__node_make_ref(pt->node);
    erg_err_t rv = erg__timers_add(pt->node->timers, &pt->t, ref.id, delay_ms);
    if (rv != ERG_OK) {
        erg__free(pt);
        return rv == ERG_ECLOSED ? ERG_ENODE : rv;
    }
    if (id != NULL)
        *id = ref.id;
    return ERG_OK;
}

void erg__proc_init_overrun(void *node, uint64_t id) {
    erg_proc_t *p = erg__idmap_get(((erg_node_t *)node)->procs, id);
    if (p == NULL)
        return;
    if (!atomic_load_explicit(&p->init_done, memory_order_acquire))
        erg__kill(p, (erg_reason_t)ERG_ETIMEDOUT);
    erg__proc_release(p);
}

/* --- Spawning -------------------------------------------------------------*/

erg__watch_t *erg__watch_new(erg__watch_kind_t kind, erg_target_t t,
                             erg_pid_t owner, erg_ref_t ref) {
    const char *name =
        t.kind == ERG_TARGET_NAME || t.kind == ERG_TARGET_EVENT ? t.name
                                                                : NULL;
    size_t namelen = name != NULL ? strlen(name) + 1 : 0;
    erg__watch_t *w = erg__calloc(1, sizeof(*w) + namelen);
    if (w == NULL)
        return NULL;
    erg__queue_init(&w->link);
    w->kind = (uint8_t)kind;
    w->tkind = t.kind;
    w->owner = owner;
    w->ref = ref;
    w->alias = t.alias;
    if (name != NULL)
        memcpy(w->name, name, namelen);
    return w;
}

static erg__sub_t *sub_new(erg__watch_kind_t kind, erg_target_t t,
                           erg_ref_t ref, erg_pid_t holder) {
    const char *name = t.kind == ERG_TARGET_NAME ||
                               t.kind == ERG_TARGET_EVENT ||
                               t.kind == ERG_TARGET_NODE
                           ? t.name
                           : NULL;
    size_t namelen = name != NULL ? strlen(name) + 1 : 0;
    erg__sub_t *s = erg__calloc(1, sizeof(*s) + namelen);
    if (s == NULL)
        return NULL;
    erg__queue_init(&s->link);
    s->kind = (uint8_t)kind;
    s->tkind = t.kind;
    s->ref = ref;
    s->holder = holder;
    s->pid = t.pid;
    s->alias = t.alias;
    if (name != NULL)
        memcpy(s->name, name, namelen);
    return s;
}

/* Puts w at holder unless holder is already dead. */
static erg_err_t add_watch(erg_proc_t *holder, erg__watch_t *w) {
    erg__spin_lock(&holder->lock);
    bool dead = atomic_load_explicit(&holder->dead, memory_order_relaxed);
    if (!dead) {
        erg__queue_insert_tail(&holder->incoming, &w->link);
        if (w->kind == ERG__WATCH_LINK)
            holder->nlinks_in++;
        else
            holder->nmonitors_in++;
    }
    erg__spin_unlock(&holder->lock);
    return dead ? ERG_ENOPROC : ERG_OK;
}

/* owner links to (or monitors) holder, which it named as t. */
static erg_err_t watch_proc(erg_proc_t *owner, erg_proc_t *holder,
                            erg__watch_kind_t kind, erg_target_t t,
                            erg_ref_t *ref_out) {
    erg_ref_t ref = erg__node_make_ref(owner->node);
    erg__watch_t *w = erg__watch_new(kind, t, owner->pid, ref);
    erg__sub_t *s = w != NULL ? sub_new(kind, t, ref, holder->pid) : NULL;
    if (s == NULL) {
        erg__free(w);
        return ERG_ENOMEM;
    }
    s->watch = w;
    erg_err_t rv = add_watch(holder, w);
    if (rv != ERG_OK) {
        erg__free(w);
        erg__free(s);
        return rv;
    }
    erg__queue_insert_tail(&owner->outgoing, &s->link);
    if (ref_out != NULL)
        *ref_out = ref;
    return ERG_OK;
}

static erg_err_t set_name(erg_proc_t *p, const char *name);

/* Undoes a spawn that failed before the process was published. */
static void spawn_undo(erg_node_t *node, erg_proc_t *p) {
    (void)node;
    erg__penv_release(p->env);
    erg__proc_release(p);
}

erg_err_t erg__spawn(erg_node_t *node, erg_proc_t *parent,
                     const erg_behavior_t *beh, const erg_spawn_opts_t *opts,
                     void *args, uint64_t init_waiter, erg_pid_t *pid) {
    erg_spawn_opts_t defaults;
    if (beh == NULL || beh->init == NULL || pid == NULL)
        return ERG_EINVAL;
    if (opts == NULL) {
        erg_spawn_opts_init(&defaults);
        opts = &defaults;
    }
    if (opts->register_name != NULL &&
        (opts->register_name[0] == '\0' || strlen(opts->register_name) > 255))
        return ERG_EINVAL;
    if (beh->state_size > SIZE_MAX / 2)
        return ERG_EINVAL;
    size_t size = sizeof(erg_proc_t) + beh->state_size;
    size_t block_size;
    erg_proc_t *p = erg__pool_get(node, size, &block_size);
    if (p == NULL)
        return ERG_ENOMEM;
    memset(p, 0, size);
    p->block_size = block_size;
    erg__mailbox_init(&p->mb, opts->mailbox_limit);
    erg__task_init(&p->task, proc_run);
    p->node = node;
    p->beh = beh;
    p->parent = parent != NULL ? parent->pid : node->pid;
    atomic_init(&p->refs, 1);
    atomic_init(&p->state, ERG_PROC_INIT);
    atomic_init(&p->dead, false);
    atomic_init(&p->init_done, false);
    atomic_init(&p->trap_exit, false);
    atomic_init(&p->messages_in, 0);
    atomic_init(&p->lock, 0);
    int level = opts->log_level_set ? (int)opts->log_level
                : parent != NULL    ? atomic_load(&parent->log_level)
                                    : atomic_load(&node->log_level);
    atomic_init(&p->log_level, level);
    erg__queue_init(&p->incoming);
    erg__queue_init(&p->outgoing);
    p->priority = (uint8_t)opts->priority;
    p->init_args = args;
    atomic_init(&p->init_waiter, init_waiter);
    erg__penv_t *penv = parent != NULL ? parent->env : NULL;
    erg_err_t rv = ERG_OK;
    if (opts->nenv > 0)
        rv = erg__penv_new(penv, opts->env, opts->nenv, &p->env);
    else if ((p->env = penv) != NULL)
        erg__penv_retain(penv);
    if (rv == ERG_OK && opts->fallback_name != NULL &&
        ((p->fallback_name = erg__strdup(opts->fallback_name)) == NULL ||
         (p->fallback_tag = erg__strdup(opts->fallback_tag != NULL
                                            ? opts->fallback_tag
                                            : "")) == NULL))
        rv = ERG_ENOMEM;
    uint64_t id = 0;
    if (rv == ERG_OK)
        rv = erg__idmap_add(node->procs, p, &id);
    if (rv != ERG_OK) {
        spawn_undo(node, p);
        return rv;
    }
    p->pid = (erg_pid_t){node->hash, node->creation, id};
    /* Counted under the lock stop sets stopping under: a process that
     * passes is in the id map before stop collects the map. */
    pthread_mutex_lock(&node->count_lock);
    bool stopping = node->stopping;
    if (!stopping)
        node->nprocs++;
    pthread_mutex_unlock(&node->count_lock);
    if (stopping) {
        erg__idmap_remove(node->procs, id);
        spawn_undo(node, p);
        return ERG_ENODE;
    }
    if (opts->register_name != NULL &&
        (rv = set_name(p, opts->register_name)) != ERG_OK) {
        /* Published already (a node stop may have seen it): end it the
         * normal way, before init, and tell nobody's waiter. */
        atomic_store(&p->init_waiter, 0);
        unpublish(p, (erg_reason_t)rv);
        if (erg__mailbox_unblock(&p->mb))
            erg__sched_submit(node->sched, &p->task);
        return rv;
    }
    /* Links before the child can run, so no exit is missed. A failure
     * here (ENOMEM, or a parent killed meanwhile) ends the child at once
     * with that reason, like a failed init. */
    erg_err_t lrv = ERG_OK;
    if (parent != NULL && opts->link_parent)
        lrv = watch_proc(p, parent, ERG__WATCH_LINK, erg_to_pid(parent->pid),
                         NULL);
    if (lrv == ERG_OK && parent != NULL && opts->link_child)
        lrv = watch_proc(parent, p, ERG__WATCH_LINK, erg_to_pid(p->pid),
                         NULL);
    if (lrv != ERG_OK)
        unpublish(p, (erg_reason_t)lrv);
    uint32_t timeout = opts->init_timeout_ms == 0 ? ERG_INIT_TIMEOUT_MS
                       : opts->init_timeout_ms > ERG_INIT_TIMEOUT_MAX_MS
                           ? ERG_INIT_TIMEOUT_MAX_MS
                           : opts->init_timeout_ms;
    p->init_deadline_ns = erg__mono_ns() + (uint64_t)timeout * 1000000u;
    *pid = p->pid;
    /* The mailbox starts blocked; we take the duty of scheduling init. */
    if (erg__mailbox_unblock(&p->mb))
        erg__sched_submit(node->sched, &p->task);
    return ERG_OK;
}

void erg_spawn_opts_init(erg_spawn_opts_t *opts) {
    memset(opts, 0, sizeof(*opts));
}

erg_err_t erg_spawn(erg_proc_t *self, const erg_behavior_t *beh,
                    const erg_spawn_opts_t *opts, void *args, erg_pid_t *pid) {
    if (self == NULL)
        return ERG_EINVAL;
    return erg__spawn(self->node, self, beh, opts, args, 0, pid);
}

/* --- Who am I -------------------------------------------------------------*/

erg_pid_t erg_self(const erg_proc_t *self) {
    return self->pid;
}

erg_pid_t erg_parent(const erg_proc_t *self) {
    return self->parent;
}

erg_node_t *erg_proc_node(const erg_proc_t *self) {
    return self->node;
}

void *erg_proc_state(erg_proc_t *self) {
    return self->state_data;
}

erg_proc_state_t erg_proc_get_state(const erg_proc_t *self) {
    return (erg_proc_state_t)atomic_load_explicit(
        &((erg_proc_t *)self)->state, memory_order_relaxed);
}

erg_err_t erg_env_get(erg_proc_t *self, const char *name, void **value) {
    if (self == NULL || name == NULL || value == NULL)
        return ERG_EINVAL;
    if (erg__penv_get(self->env, name, value))
        return ERG_OK;
    return erg_node_env_get(self->node, name, value);
}

erg_priority_t erg_current_priority(const erg_proc_t *self) {
    switch (self->cur_queue) {
    case ERG__MAILBOX_URGENT:
        return ERG_PRIORITY_MAX;
    case ERG__MAILBOX_SYSTEM:
        return ERG_PRIORITY_HIGH;
    default:
        return ERG_PRIORITY_NORMAL;
    }
}

void erg_set_trap_exit(erg_proc_t *self, bool trap) {
    atomic_store_explicit(&self->trap_exit, trap, memory_order_relaxed);
}

bool erg_trap_exit(const erg_proc_t *self) {
    return atomic_load_explicit(&((erg_proc_t *)self)->trap_exit,
                                memory_order_relaxed);
}

void erg_set_send_priority(erg_proc_t *self, erg_priority_t prio) {
    self->priority = (uint8_t)prio;
}

/* --- Sending ---------------------------------------------------------------*/

erg_err_t erg_send(erg_proc_t *self, erg_target_t target, erg_msg_t *msg) {
    return erg_send_priority(self, target, msg,
                             (erg_priority_t)self->priority);
}

erg_err_t erg_send_priority(erg_proc_t *self, erg_target_t target,
                            erg_msg_t *msg, erg_priority_t prio) {
    if (self == NULL)
        return ERG_EINVAL;
    return erg__deliver(self->node, self, self->pid, target, msg, prio,
                        ERG__MAIL_MSG, (erg_ref_t){0});
}

erg_err_t erg_send_after(erg_proc_t *self, erg_target_t target,
                         erg_msg_t *msg, uint32_t delay_ms,
                         erg_priority_t prio, uint64_t *timer) {
    if (self == NULL || msg == NULL)
        return ERG_EINVAL;
    bool named = target.kind == ERG_TARGET_NAME;
    if (named && target.name == NULL)
        return ERG_EINVAL;
    ptimer_t *pt;
    erg_err_t rv = ptimer_new(self->node, PT_SEND, named ? target.name : NULL,
                              &pt);
    if (rv != ERG_OK)
        return rv;
    pt->from = self->pid;
    pt->target = target;
    if (named)
        pt->target.name = pt->name;
    pt->prio = prio;
    pt->msg = msg;
    rv = ptimer_post(pt, delay_ms, timer);
    return rv; /* on failure ptimer_post freed pt without dropping msg */
}

erg_err_t erg_send_exit_after(erg_proc_t *self, erg_pid_t pid,
                              erg_reason_t reason, uint32_t delay_ms,
                              uint64_t *timer) {
    if (self == NULL || reason == ERG_REASON_NONE)
        return ERG_EINVAL;
    ptimer_t *pt;
    erg_err_t rv = ptimer_new(self->node, PT_EXIT, NULL, &pt);
    if (rv != ERG_OK)
        return rv;
    pt->from = self->pid;
    pt->to = pid;
    pt->reason = reason;
    return ptimer_post(pt, delay_ms, timer);
}

erg_err_t erg_timer_cancel(erg_node_t *node, uint64_t timer) {
    if (node == NULL || timer == 0)
        return ERG_EINVAL;
    return erg__timers_cancel(node->timers, timer);
}

erg_err_t erg_send_exit(erg_proc_t *self, erg_pid_t pid,
                        erg_reason_t reason) {
    if (self == NULL || reason == ERG_REASON_NONE)
        return ERG_EINVAL;
    return erg__send_exit(self->node, self->pid, pid, reason);
}

/* --- Calls -----------------------------------------------------------------*/

/*
 * A call to an idle process runs the callee's turn right here, on the
 * caller's thread, instead of queueing it for another worker (a direct
 * handoff, like Go's runnext, or Erlang running both on one scheduler):
 * the caller would only wait meanwhile, and the answer needs no wake-up
 * across cores. Nesting is bounded so chains of calls cannot exhaust the
 * stack; past the bound the callee is queued as usual.
 */
enum { MAX_INLINE = 8 };
static _Thread_local unsigned inline_depth;

static void run_inline(erg_node_t *node, erg_proc_t *self,
                       erg__task_t *callee) {
    inline_depth++;
    erg__task_status_t st =
        callee->run(callee, erg__sched_max_per_turn(node->sched));
    inline_depth--;
    current = self; /* the callee's turn took over this thread's slot */
    if (st == ERG__TASK_MORE)
        erg__sched_submit(node->sched, callee);
}

erg_err_t erg__await_begin(erg_node_t *node, erg_proc_t *self, erg_ref_t ref,
                           erg__waiter_t *w) {
    erg__waiter_init(w);
    erg_err_t rv = erg__waiter_add(node, ref.id, w);
    if (rv != ERG_OK) {
        erg__waiter_fini(w);
        return rv;
    }
    if (self != NULL) { /* a killer completes the waiter through this */
        erg__spin_lock(&self->lock);
        self->wait_ref = ref.id;
        erg__spin_unlock(&self->lock);
    }
    return ERG_OK;
}

erg_err_t erg__await_end(erg_node_t *node, erg_proc_t *self, erg_ref_t ref,
                         erg__waiter_t *w, erg_err_t sent, uint32_t timeout_ms,
                         erg_msg_t **reply) {
    erg_err_t rv = sent;
    if (sent == ERG_OK) {
        if (self != NULL)
            set_state(self, ERG_PROC_WAIT_RESPONSE);
        rv = erg__waiter_wait(node, ref.id, w,
                              timeout_ms == 0 ? ERG_CALL_TIMEOUT_MS
                                              : timeout_ms,
                              true);
        if (self != NULL)
            set_state(self, ERG_PROC_RUNNING);
    } else {
        erg__waiter_remove(node, ref.id);
    }
    if (self != NULL) {
        erg__spin_lock(&self->lock);
        self->wait_ref = 0;
        erg__spin_unlock(&self->lock);
    }
    if (rv == ERG_OK && reply != NULL)
        *reply = w->reply;
    else
        erg_msg_release(w->reply);
    erg__waiter_fini(w);
    return rv;
}

erg_err_t erg_call(erg_proc_t *self, erg_target_t target, erg_msg_t *request,
                   uint32_t timeout_ms, erg_msg_t **reply) {
    if (self == NULL)
        return ERG_EINVAL;
    return erg_call_priority(self, target, request, timeout_ms,
                             (erg_priority_t)self->priority, reply);
}

erg_err_t erg_call_priority(erg_proc_t *self, erg_target_t target,
                            erg_msg_t *request, uint32_t timeout_ms,
                            erg_priority_t prio, erg_msg_t **reply) {
    if (self == NULL || request == NULL || reply == NULL)
        return ERG_EINVAL;
    erg_node_t *node = self->node;
    erg_ref_t ref = erg__node_make_ref(node);
    erg__waiter_t w;
    erg_err_t rv = erg__await_begin(node, self, ref, &w);
    if (rv != ERG_OK)
        return rv;
    /* The mail gets a reference of its own, so the caller keeps request
     * on every failure, a timeout included, and loses it only on ERG_OK. */
    erg_msg_retain(request);
    erg__task_t *callee = NULL;
    rv = deliver_ex(node, self, self->pid, target, request, prio,
                    ERG__MAIL_CALL, ref, inline_depth < MAX_INLINE ? &callee
                                                                   : NULL);
    if (rv != ERG_OK)
        erg_msg_release(request);
    if (callee != NULL)
        run_inline(node, self, callee);
    rv = erg__await_end(node, self, ref, &w, rv, timeout_ms, reply);
    if (rv == ERG_OK)
        erg_msg_release(request);
    return rv;
}

/* A remote important send: the target node acknowledges (or refuses) the
 * message under ref, and we wait for that like a call's response. */
static erg_err_t send_important(erg_node_t *node, erg_proc_t *self,
                                erg_pid_t from, erg_target_t target,
                                erg_msg_t *msg, erg_priority_t prio) {
    if (msg == NULL)
        return ERG_EINVAL;
    if (!erg__net_is_remote(node, target))
        return erg__deliver(node, self, from, target, msg, prio,
                            ERG__MAIL_MSG, (erg_ref_t){0});
    erg_ref_t ref = erg__node_make_ref(node);
    erg__waiter_t w;
    erg_err_t rv = erg__await_begin(node, self, ref, &w);
    if (rv != ERG_OK)
        return rv;
    /* The network takes a reference of its own: the caller keeps msg on
     * every failure, the remote refusal included. */
    erg_msg_retain(msg);
    rv = erg__net_deliver(node, from, target, msg, prio, false, true, ref);
    if (rv != ERG_OK)
        erg_msg_release(msg);
    rv = erg__await_end(node, self, ref, &w, rv, 0, NULL);
    if (rv == ERG_OK)
        erg_msg_release(msg);
    return rv;
}

erg_err_t erg_send_important(erg_proc_t *self, erg_target_t target,
                             erg_msg_t *msg) {
    if (self == NULL)
        return ERG_EINVAL;
    return send_important(self->node, self, self->pid, target, msg,
                          (erg_priority_t)self->priority);
}

erg_err_t erg_node_send_important(erg_node_t *node, erg_target_t target,
                                  erg_msg_t *msg) {
    if (node == NULL)
        return ERG_EINVAL;
    return send_important(node, NULL, node->pid, target, msg,
                          ERG_PRIORITY_NORMAL);
}

erg_err_t erg_request(erg_proc_t *self, erg_target_t target,
                      erg_msg_t *request, uint32_t timeout_ms,
                      erg_response_cb cb, void *arg, erg_ref_t *ref_out) {
    if (self == NULL || request == NULL || cb == NULL)
        return ERG_EINVAL;
    erg_node_t *node = self->node;
    erg__pending_t *pr = erg__calloc(1, sizeof(*pr));
    ptimer_t *pt = NULL;
    if (pr == NULL || ptimer_new(node, PT_REQ_TIMEOUT, NULL, &pt) != ERG_OK) {
        erg__free(pr);
        return ERG_ENOMEM;
    }
    erg_ref_t ref = erg__node_make_ref(node);
    pr->ref = ref;
    pr->ref_id = ref.id;
    pr->cb = cb;
    pr->arg = arg;
    erg_err_t rv =
        erg__deliver(node, self, self->pid, target, request,
                     (erg_priority_t)self->priority, ERG__MAIL_CALL, ref);
    if (rv != ERG_OK) {
        erg__free(pt);
        erg__free(pr);
        return rv;
    }
    /* The response cannot be handled before this handler returns, so the
     * pending entry and its timer are in place in time. */
    pt->to = self->pid;
    pt->ref = ref;
    if (ptimer_post(pt, timeout_ms == 0 ? ERG_CALL_TIMEOUT_MS : timeout_ms,
                    &pr->timer) != ERG_OK)
        pr->timer = 0; /* node stopping: no timeout, cancelled at exit */
    pr->next = self->pending;
    self->pending = pr;
    if (ref_out != NULL)
        *ref_out = ref;
    return ERG_OK;
}

erg_err_t erg_reply(erg_proc_t *self, erg_pid_t to, erg_ref_t ref,
                    erg_msg_t *msg) {
    if (self == NULL || msg == NULL)
        return ERG_EINVAL;
    return erg__respond(self->node, to, ref, msg, ERG_OK);
}

erg_err_t erg_reply_error(erg_proc_t *self, erg_pid_t to, erg_ref_t ref,
                          erg_err_t err) {
    if (self == NULL || err >= 0)
        return ERG_EINVAL;
    return erg__respond(self->node, to, ref, NULL, err);
}

/* --- Names and aliases -----------------------------------------------------*/

static erg_err_t set_name(erg_proc_t *p, const char *name) {
    erg_node_t *node = p->node;
    char *copy = erg__strdup(name);
    if (copy == NULL)
        return ERG_ENOMEM;
    erg__spin_lock(&p->lock);
    bool ok = p->name == NULL && !atomic_load(&p->dead);
    if (ok)
        p->name = copy;
    erg__spin_unlock(&p->lock);
    if (!ok) {
        erg__free(copy);
        return ERG_ETAKEN;
    }
    pthread_mutex_lock(&node->names_lock);
    erg_err_t rv = erg__hmap_put_str(&node->names, name,
                                     (void *)(uintptr_t)p->pid.id);
    pthread_mutex_unlock(&node->names_lock);
    if (rv != ERG_OK) {
        erg__spin_lock(&p->lock);
        p->name = NULL;
        erg__spin_unlock(&p->lock);
        erg__free(copy);
        return rv == ERG_EEXIST ? ERG_ETAKEN : rv;
    }
    return ERG_OK;
}

erg_err_t erg_register_name(erg_proc_t *self, const char *name) {
    if (self == NULL || name == NULL || name[0] == '\0' || strlen(name) > 255)
        return ERG_EINVAL;
    return set_name(self, name);
}

/*
 * Fires p's watches on a name or alias that went away. They stay in the
 * list, marked fired, until their owners remove them (in O(1)); what the
 * notes need is copied under the lock, since an owner may free its record
 * as soon as the lock is released.
 */
static void fire_named_watches(erg_proc_t *p, erg_target_kind_t tkind,
                               const char *name, uint64_t alias_id) {
    erg__spin_lock(&p->lock);
    unsigned cap = p->nlinks_in + p->nmonitors_in;
    erg__spin_unlock(&p->lock);
    note_t *notes = cap > 0 ? erg__malloc(cap * sizeof(*notes)) : NULL;
    unsigned n = 0;
    erg__spin_lock(&p->lock);
    for (erg__queue_t *q = p->incoming.next; q != &p->incoming;) {
        erg__watch_t *w = ERG__QUEUE_DATA(q, erg__watch_t, link);
        q = q->next;
        if (w->fired || w->tkind != tkind ||
            (tkind == ERG_TARGET_NAME ? strcmp(w->name, name) != 0
                                      : w->alias.id != alias_id))
            continue;
        /* Without room (out of memory, or watches added meanwhile) the
         * rest stay live and fire when p terminates. */
        if (n == cap || notes == NULL)
            break;
        notes[n++] = (note_t){w->kind, w->tkind, w->owner, w->ref, w->alias};
        /* A local owner removes the fired record itself; a remote one
         * never comes back for it (its node only gets the down). */
        if (w->owner.node != p->node->hash) {
            unhook_watch(p, w);
            erg__free(w);
        } else {
            w->fired = true;
            if (w->kind == ERG__WATCH_LINK)
                p->nlinks_in--;
            else
                p->nmonitors_in--;
        }
    }
    erg__spin_unlock(&p->lock);
    for (unsigned i = 0; i < n; i++)
        notify(p->node, &notes[i], NULL,
               tkind == ERG_TARGET_NAME ? name : NULL, p->pid,
               (erg_reason_t)ERG_EUNREGISTERED);
    erg__free(notes);
}

erg_err_t erg_unregister_name(erg_proc_t *self) {
    if (self == NULL)
        return ERG_EINVAL;
    erg_node_t *node = self->node;
    erg__spin_lock(&self->lock);
    char *name = self->name;
    self->name = NULL;
    erg__spin_unlock(&self->lock);
    if (name == NULL)
        return ERG_ENONAME;
    pthread_mutex_lock(&node->names_lock);
    erg__hmap_del_str(&node->names, name);
    pthread_mutex_unlock(&node->names_lock);
    fire_named_watches(self, ERG_TARGET_NAME, name, 0);
    erg__free(name);
    return ERG_OK;
}

erg_err_t erg_alias_create(erg_proc_t *self, erg_alias_t *alias) {
    if (self == NULL || alias == NULL)
        return ERG_EINVAL;
    erg_node_t *node = self->node;
    erg_ref_t ref = erg__node_make_ref(node);
    erg__spin_lock(&self->lock);
    erg_err_t rv = ERG_OK;
    if (self->naliases == self->aliases_cap) {
        unsigned cap = self->aliases_cap == 0 ? 4 : self->aliases_cap * 2;
        uint64_t *a = erg__realloc(self->aliases, cap * sizeof(*a));
        if (a == NULL) {
            rv = ERG_ENOMEM;
        } else {
            self->aliases = a;
            self->aliases_cap = cap;
        }
    }
    if (rv == ERG_OK)
        self->aliases[self->naliases++] = ref.id;
    erg__spin_unlock(&self->lock);
    if (rv != ERG_OK)
        return rv;
    pthread_mutex_lock(&node->names_lock);
    rv = erg__hmap_put_u64(&node->aliases, ref.id,
                           (void *)(uintptr_t)self->pid.id);
    pthread_mutex_unlock(&node->names_lock);
    if (rv != ERG_OK) {
        erg__spin_lock(&self->lock);
        self->naliases--;
        erg__spin_unlock(&self->lock);
        return rv;
    }
    *alias = (erg_alias_t){node->hash, node->creation, ref.id};
    return ERG_OK;
}

erg_err_t erg_alias_delete(erg_proc_t *self, erg_alias_t alias) {
    if (self == NULL)
        return ERG_EINVAL;
    bool found = false;
    erg__spin_lock(&self->lock);
    for (unsigned i = 0; i < self->naliases; i++) {
        if (self->aliases[i] == alias.id) {
            self->aliases[i] = self->aliases[--self->naliases];
            found = true;
            break;
        }
    }
    erg__spin_unlock(&self->lock);
    if (!found || alias.node != self->node->hash ||
        alias.creation != self->node->creation)
        return ERG_ENOALIAS;
    pthread_mutex_lock(&self->node->names_lock);
    erg__hmap_del_u64(&self->node->aliases, alias.id);
    pthread_mutex_unlock(&self->node->names_lock);
    fire_named_watches(self, ERG_TARGET_ALIAS, NULL, alias.id);
    return ERG_OK;
}

/* --- Links and monitors ----------------------------------------------------*/

static bool same_target(const erg__sub_t *s, erg_target_t t) {
    if (s->tkind != t.kind)
        return false;
    switch (t.kind) {
    case ERG_TARGET_PID:
        return erg_pid_equal(s->pid, t.pid);
    case ERG_TARGET_ALIAS:
        return erg_alias_equal(s->alias, t.alias);
    default:
        return t.name != NULL && strcmp(s->name, t.name) == 0;
    }
}

static erg__sub_t *find_sub(erg_proc_t *self, erg__watch_kind_t kind,
                            erg_target_t t) {
    erg__queue_t *q;
    ERG__QUEUE_FOREACH(q, &self->outgoing) {
        erg__sub_t *s = ERG__QUEUE_DATA(q, erg__sub_t, link);
        if (s->kind == kind && same_target(s, t))
            return s;
    }
    return NULL;
}

/* A watch of something on another node: the owner's record here, the
 * rest in net/watch.c (and at the other node). */
static erg_err_t watch_remote(erg_proc_t *self, erg__watch_kind_t kind,
                              erg_target_t t, erg_ref_t *ref_out) {
    if (t.kind != ERG_TARGET_PID && t.kind != ERG_TARGET_ALIAS &&
        t.name == NULL)
        return ERG_EINVAL;
    erg_ref_t ref = erg__node_make_ref(self->node);
    erg__sub_t *s = sub_new(kind, t, ref, (erg_pid_t){0, 0, 0});
    if (s == NULL)
        return ERG_ENOMEM;
    s->remote = true;
    erg_err_t rv = erg__net_watch(self->node, self->pid,
                                  kind == ERG__WATCH_LINK, t, ref);
    if (rv != ERG_OK) {
        erg__free(s);
        return rv;
    }
    erg__queue_insert_tail(&self->outgoing, &s->link);
    if (ref_out != NULL)
        *ref_out = ref;
    return ERG_OK;
}

erg_err_t erg__watch_for_remote(erg_node_t *node, erg_pid_t owner,
                                bool link, erg_target_t t, erg_ref_t ref,
                                erg_pid_t *holder) {
    erg_proc_t *h;
    erg_err_t rv = resolve(node, t, &h);
    if (rv != ERG_OK)
        return rv;
    erg__watch_t *w = erg__watch_new(
        link ? ERG__WATCH_LINK : ERG__WATCH_MONITOR, t, owner, ref);
    rv = w != NULL ? add_watch(h, w) : ERG_ENOMEM;
    if (rv != ERG_OK)
        erg__free(w);
    if (rv == ERG_ENOPROC && t.kind == ERG_TARGET_NAME)
        rv = ERG_ENONAME;
    else if (rv == ERG_ENOPROC && t.kind == ERG_TARGET_ALIAS)
        rv = ERG_ENOALIAS;
    *holder = h->pid;
    erg__proc_release(h);
    return rv;
}

void erg__unwatch_for_remote(erg_node_t *node, erg_pid_t holder,
                             erg_ref_t ref) {
    erg_proc_t *h = erg__idmap_get(node->procs, holder.id);
    if (h == NULL)
        return;
    erg__watch_t *found = NULL;
    erg__spin_lock(&h->lock);
    if (!atomic_load_explicit(&h->dead, memory_order_relaxed)) {
        erg__queue_t *q;
        ERG__QUEUE_FOREACH(q, &h->incoming) {
            erg__watch_t *w = ERG__QUEUE_DATA(q, erg__watch_t, link);
            if (erg_ref_equal(w->ref, ref)) {
                found = w;
                break;
            }
        }
        if (found != NULL)
            unhook_watch(h, found);
    }
    erg__spin_unlock(&h->lock);
    erg__free(found);
    erg__proc_release(h);
}

void erg__notify_remote(erg_node_t *node, bool link, erg_target_kind_t tkind,
                        erg_pid_t owner, erg_ref_t ref, erg_alias_t alias,
                        const char *name, erg_pid_t from,
                        erg_reason_t reason) {
    note_t n = {link ? ERG__WATCH_LINK : ERG__WATCH_MONITOR, tkind, owner,
                ref, alias};
    notify(node, &n, NULL, name, from, reason);
}

static erg_err_t watch(erg_proc_t *self, erg__watch_kind_t kind,
                       erg_target_t t, erg_ref_t *ref_out) {
    if (self == NULL)
        return ERG_EINVAL;
    erg_node_t *node = self->node;
    if (kind == ERG__WATCH_LINK && find_sub(self, kind, t) != NULL)
        return ERG_EEXIST;
    if (erg__net_is_remote(node, t))
        return watch_remote(self, kind, t, ref_out);
    if (t.kind == ERG_TARGET_NODE)
        return ERG_EINVAL;
    if (t.kind == ERG_TARGET_EVENT) {
        if (t.name == NULL)
            return ERG_EINVAL;
        erg_ref_t ref = erg__node_make_ref(node);
        erg__watch_t *w = erg__watch_new(kind, t, self->pid, ref);
        erg__sub_t *s = w != NULL ? sub_new(kind, t, ref, self->pid) : NULL;
        if (s == NULL) {
            erg__free(w);
            return ERG_ENOMEM;
        }
        w->proc = self;
        erg__proc_retain(self);
        /* Queued first: the buffer delivery may need it to be found. */
        erg__queue_insert_tail(&self->outgoing, &s->link);
        erg_err_t rv = erg__event_subscribe(self, t.name, w, s);
        if (rv != ERG_OK) {
            erg__queue_remove(&s->link);
            erg__free(s);
            erg__proc_release(self);
            erg__free(w);
            return rv;
        }
        if (ref_out != NULL)
            *ref_out = ref;
        return ERG_OK;
    }
    erg_proc_t *holder;
    erg_err_t rv = resolve(node, t, &holder);
    if (rv != ERG_OK)
        return rv;
    if (holder == self) {
        erg__proc_release(holder);
        return ERG_EINVAL;
    }
    rv = watch_proc(self, holder, kind, t, ref_out);
    erg__proc_release(holder);
    if (rv == ERG_ENOPROC && t.kind == ERG_TARGET_NAME)
        rv = ERG_ENONAME;
    else if (rv == ERG_ENOPROC && t.kind == ERG_TARGET_ALIAS)
        rv = ERG_ENOALIAS;
    return rv;
}

static erg_err_t unwatch(erg_proc_t *self, erg__watch_kind_t kind,
                         erg_target_t t) {
    if (self == NULL)
        return ERG_EINVAL;
    erg__sub_t *s = find_sub(self, kind, t);
    if (s == NULL)
        return ERG_ENOENT;
    erg__queue_remove(&s->link);
    undo_sub(self, s);
    erg__free(s);
    return ERG_OK;
}

erg_err_t erg_link(erg_proc_t *self, erg_target_t target) {
    return watch(self, ERG__WATCH_LINK, target, NULL);
}

erg_err_t erg_unlink(erg_proc_t *self, erg_target_t target) {
    return unwatch(self, ERG__WATCH_LINK, target);
}

erg_err_t erg_monitor(erg_proc_t *self, erg_target_t target, erg_ref_t *ref) {
    return watch(self, ERG__WATCH_MONITOR, target, ref);
}

erg_err_t erg_demonitor(erg_proc_t *self, erg_target_t target) {
    return unwatch(self, ERG__WATCH_MONITOR, target);
}

/* --- Inspection ------------------------------------------------------------*/

struct erg_inspect_s {
    size_t n, cap;
    char **kv; /* key, value, key, value... */
};

erg_err_t erg_inspect_add(erg_inspect_t *out, const char *key,
                          const char *value) {
    if (out == NULL || key == NULL || value == NULL)
        return ERG_EINVAL;
    if (out->n == out->cap) {
        size_t cap = out->cap == 0 ? 16 : out->cap * 2;
        char **kv = erg__realloc(out->kv, cap * 2 * sizeof(*kv));
        if (kv == NULL)
            return ERG_ENOMEM;
        out->kv = kv;
        out->cap = cap;
    }
    char *k = erg__strdup(key);
    char *v = erg__strdup(value);
    if (k == NULL || v == NULL) {
        erg__free(k);
        erg__free(v);
        return ERG_ENOMEM;
    }
    out->kv[2 * out->n] = k;
    out->kv[2 * out->n + 1] = v;
    out->n++;
    return ERG_OK;
}

erg_inspect_t *erg__inspect_new(void) {
    return erg__calloc(1, sizeof(erg_inspect_t));
}

size_t erg_inspect_count(const erg_inspect_t *in) {
    return in->n;
}

const char *erg_inspect_key(const erg_inspect_t *in, size_t i) {
    return i < in->n ? in->kv[2 * i] : NULL;
}

const char *erg_inspect_value(const erg_inspect_t *in, size_t i) {
    return i < in->n ? in->kv[2 * i + 1] : NULL;
}

const char *erg_inspect_find(const erg_inspect_t *in, const char *key) {
    for (size_t i = 0; i < in->n; i++)
        if (strcmp(in->kv[2 * i], key) == 0)
            return in->kv[2 * i + 1];
    return NULL;
}

void erg_inspect_free(erg_inspect_t *in) {
    if (in == NULL)
        return;
    for (size_t i = 0; i < 2 * in->n; i++)
        erg__free(in->kv[i]);
    erg__free(in->kv);
    erg__free(in);
}

static void on_inspect(erg_proc_t *p, erg__mail_t *mail) {
    erg_inspect_t *in = erg__calloc(1, sizeof(*in));
    erg_err_t rv = in != NULL ? ERG_OK : ERG_ENOMEM;
    char buf[64];
    if (rv == ERG_OK)
        rv = erg_inspect_add(in, "behavior",
                             p->beh->name != NULL ? p->beh->name : "");
    if (rv == ERG_OK)
        rv = erg_inspect_add(in, "state",
                             erg_proc_state_string(erg_proc_get_state(p)));
    static const char *const qnames[] = {"queue_urgent", "queue_system",
                                         "queue_main", "queue_log"};
    for (int q = 0; q < ERG__MAILBOX_NQUEUES && rv == ERG_OK; q++) {
        snprintf(buf, sizeof(buf), "%u",
                 erg__mailbox_len(&p->mb, (erg__mailbox_queue_t)q));
        rv = erg_inspect_add(in, qnames[q], buf);
    }
    if (rv == ERG_OK && p->beh->handle_inspect != NULL)
        p->beh->handle_inspect(p, mail->from, in);
    if (!erg__waiter_complete(p->node, mail->ref.id, rv, NULL,
                              rv == ERG_OK ? in : NULL) ||
        rv != ERG_OK)
        erg_inspect_free(in);
}
