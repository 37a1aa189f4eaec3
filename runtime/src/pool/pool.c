/* SPDX-License-Identifier: MIT */
/* pool.c: the pool behaviour: forwards normal mail round-robin to workers. */
#include "erg/pool.h"

#include <stdio.h>
#include <string.h>

#include "core/actor.h"
#include "sup/spawn_wait.h"
#include "util/alloc.h"

static const char pool_req_type[] = "erg.pool.req";
static const char pool_rep_type[] = "erg.pool.rep";

typedef enum op_e { OP_ADD = 1, OP_REMOVE, OP_LIST } op_t;

typedef struct req_s {
    op_t op;
    unsigned n;
} req_t;

typedef struct rep_s {
    erg_err_t err;
    unsigned size;
    size_t n;
    erg_pid_t list[];
} rep_t;

typedef struct pool_s {
    erg_pool_spec_t spec;
    erg_pid_t *ring; /* the workers, picked from next on */
    size_t n, cap, next;
    /* Workers removed or failed in init: their exit is expected and is not
     * a reason to replace them or to end the pool. */
    erg_pid_t *retired;
    size_t nretired, capretired;
    uint64_t forwarded, restarts, unhandled;
} pool_t;

/*
 * from_main says whether the mail being handled came from the main queue
 * (normal priority: forward it) or from the system or urgent queue (high or
 * max priority, downs, exits: the pool's own).
 */
static bool from_main(erg_proc_t *self) {
    return erg_current_priority(self) == ERG_PRIORITY_NORMAL;
}

static bool retire(pool_t *p, erg_pid_t pid) {
    if (!erg__grow((void **)&p->retired, &p->capretired, p->nretired,
              sizeof(erg_pid_t)))
        return false;
    p->retired[p->nretired++] = pid;
    return true;
}

/* spawn_worker starts one worker, linked both ways, and waits for its init
 * (Ergo's Spawn). A worker whose init failed is retired: its exit comes. */
static erg_err_t spawn_worker(erg_proc_t *self, pool_t *p, erg_pid_t *pid) {
    erg_spawn_opts_t o = p->spec.worker_opts;
    o.link_parent = true;
    o.link_child = true;
    *pid = (erg_pid_t){0};
    erg_err_t rv =
        erg__spawn_wait(self, p->spec.worker, &o, p->spec.worker_args, pid);
    if (rv != ERG_OK && !erg_pid_is_nil(*pid))
        (void)retire(p, *pid);
    return rv;
}

/* add_workers appends n workers to the ring; the first error stops it. */
static erg_err_t add_workers(erg_proc_t *self, pool_t *p, unsigned n) {
    for (unsigned i = 0; i < n; i++) {
        if (!erg__grow((void **)&p->ring, &p->cap, p->n, sizeof(erg_pid_t)))
            return ERG_ENOMEM;
        erg_pid_t pid;
        erg_err_t rv = spawn_worker(self, p, &pid);
        if (rv != ERG_OK)
            return rv;
        p->ring[p->n++] = pid;
    }
    return ERG_OK;
}

/* Takes slot i out of the ring, keeping the round-robin position. */
static void ring_drop(pool_t *p, size_t i) {
    memmove(&p->ring[i], &p->ring[i + 1], (p->n - i - 1) * sizeof(erg_pid_t));
    p->n--;
    if (p->next > i)
        p->next--;
    if (p->next >= p->n)
        p->next = 0;
}

/* remove_workers stops the n workers picked last (those before next). */
static erg_err_t remove_workers(erg_proc_t *self, pool_t *p, unsigned n) {
    if (n > p->n)
        return ERG_EINVAL;
    for (unsigned k = 0; k < n; k++) {
        size_t i = (p->next + p->n - 1) % p->n;
        erg_pid_t pid = p->ring[i];
        if (!retire(p, pid))
            return ERG_ENOMEM;
        (void)erg_send_exit(self, pid, ERG_REASON_NORMAL);
        ring_drop(p, i);
    }
    return ERG_OK;
}

/*
 * forward hands msg to the next worker that takes it, as Ergo's forward
 * does: a full mailbox (ERG_EMBOXFULL) or a worker already gone (its exit
 * is on the way) moves on to the next one. A call keeps the caller's pid
 * and ref, so the worker's answer goes straight to the caller. When no
 * worker takes it the message is counted as unhandled and logged; a call
 * is answered with the error (Ergo leaves the caller to time out).
 */
static void forward(erg_proc_t *self, pool_t *p, erg_pid_t from, erg_msg_t *msg,
                    bool call, erg_ref_t ref) {
    erg_node_t *node = erg_proc_node(self);
    erg_err_t rv = ERG_ENOPROC;
    erg_msg_retain(msg); /* handlers borrow; the send takes a reference */
    for (size_t k = 0; k < p->n; k++) {
        size_t i = (p->next + k) % p->n;
        erg_err_t r = erg__deliver(node, self, from, erg_to_pid(p->ring[i]),
                                   msg, ERG_PRIORITY_NORMAL,
                                   call ? ERG__MAIL_CALL : ERG__MAIL_MSG, ref);
        if (r == ERG_OK) {
            p->next = (i + 1) % p->n;
            p->forwarded++;
            return;
        }
        if (r != ERG_ENOPROC && r != ERG_EMBOXFULL) {
            rv = r; /* the message itself is refused (accept hook) */
            break;
        }
        if (rv == ERG_ENOPROC)
            rv = r;
    }
    erg_msg_release(msg);
    p->unhandled++;
    char buf[48];
    erg_log(self, ERG_LOG_ERROR, "pool: no worker took a %s from %s: %s",
            call ? "call" : "message", erg_pid_format(from, buf, sizeof(buf)),
            erg_strerror(rv));
    if (call)
        (void)erg_reply_error(self, from, ref, rv);
}

/* on_exit replaces a worker that exited, drops a retired one's exit, and
 * ends the pool on any other (as Ergo's pool does on every exit). */
static erg_reason_t on_exit(erg_proc_t *self, pool_t *p, const erg_exit_t *e) {
    if (e->target.kind != ERG_TARGET_PID)
        return e->reason;
    erg_pid_t pid = e->target.pid;
    for (size_t i = 0; i < p->nretired; i++)
        if (erg_pid_equal(p->retired[i], pid)) {
            p->retired[i] = p->retired[--p->nretired];
            return ERG_REASON_NONE;
        }
    for (size_t i = 0; i < p->n; i++) {
        if (!erg_pid_equal(p->ring[i], pid))
            continue;
        erg_pid_t fresh;
        erg_err_t rv = spawn_worker(self, p, &fresh);
        if (rv == ERG_OK) {
            p->ring[i] = fresh; /* same place: the round stays fair */
            p->restarts++;
            return ERG_REASON_NONE;
        }
        erg_log(self, ERG_LOG_ERROR, "pool: unable to replace a worker: %s",
                erg_strerror(rv));
        ring_drop(p, i);
        return ERG_REASON_NONE;
    }
    return e->reason;
}

static erg_reason_t pool_init(erg_proc_t *self, void *args) {
    pool_t *p = erg_proc_state(self);
    const erg_pool_spec_t *spec = args;
    if (spec == NULL || spec->worker == NULL || spec->worker->init == NULL ||
        spec->worker_opts.register_name != NULL)
        return ERG_EINVAL;
    p->spec = *spec;
    if (p->spec.size == 0)
        p->spec.size = ERG_POOL_SIZE;
    erg_set_trap_exit(self, true);
    /* On failure the workers started so far end with the pool: they are
     * linked to it as their parent. */
    erg_err_t rv = add_workers(self, p, p->spec.size);
    return rv == ERG_OK ? ERG_REASON_NONE : (erg_reason_t)rv;
}

static erg_reason_t pool_message(erg_proc_t *self, erg_pid_t from,
                                 erg_msg_t *msg) {
    pool_t *p = erg_proc_state(self);
    if (from_main(self)) {
        forward(self, p, from, msg, false, (erg_ref_t){0});
        return ERG_REASON_NONE;
    }
    if (erg_msg_type(msg) == ERG_TYPE_EXIT)
        return on_exit(self, p, erg_msg_data(msg));
    if (p->spec.handle_message != NULL)
        return p->spec.handle_message(self, from, msg);
    erg_log(self, ERG_LOG_DEBUG, "pool: dropped a high-priority message");
    return ERG_REASON_NONE;
}

/* Events go to the pool's own handler (Ergo's pool forwards nothing but
 * messages and calls it got with normal priority). */
static erg_reason_t pool_event(erg_proc_t *self, const erg_event_msg_t *ev) {
    pool_t *p = erg_proc_state(self);
    if (p->spec.handle_event != NULL)
        return p->spec.handle_event(self, ev);
    return ERG_REASON_NONE;
}

static erg_err_t control(erg_proc_t *self, pool_t *p, const req_t *q,
                         erg_msg_t **reply) {
    erg_err_t rv = ERG_OK;
    if (q->op == OP_ADD)
        rv = add_workers(self, p, q->n);
    else if (q->op == OP_REMOVE)
        rv = remove_workers(self, p, q->n);
    else if (q->op != OP_LIST)
        rv = ERG_EINVAL;
    size_t n = q->op == OP_LIST ? p->n : 0;
    erg_msg_t *m;
    erg_err_t mrv =
        erg_msg_new(pool_rep_type, sizeof(rep_t) + n * sizeof(erg_pid_t), &m);
    if (mrv != ERG_OK)
        return mrv;
    rep_t *rep = erg_msg_data(m);
    rep->err = rv;
    rep->size = (unsigned)p->n;
    rep->n = n;
    for (size_t k = 0; k < n; k++)
        rep->list[k] = p->ring[(p->next + k) % p->n];
    *reply = m;
    return ERG_OK;
}

static erg_reason_t pool_call(erg_proc_t *self, erg_pid_t from, erg_ref_t ref,
                              erg_msg_t *request, erg_msg_t **reply) {
    pool_t *p = erg_proc_state(self);
    if (from_main(self)) {
        forward(self, p, from, request, true, ref);
        return ERG_REASON_NONE;
    }
    if (erg_msg_type(request) == pool_req_type &&
        erg_msg_size(request) == sizeof(req_t)) {
        erg_err_t rv = control(self, p, erg_msg_data(request), reply);
        if (rv != ERG_OK)
            (void)erg_reply_error(self, from, ref, rv);
        return ERG_REASON_NONE;
    }
    if (p->spec.handle_call != NULL)
        return p->spec.handle_call(self, from, ref, request, reply);
    (void)erg_reply_error(self, from, ref, ERG_ENOTSUP);
    return ERG_REASON_NONE;
}

static void pool_inspect(erg_proc_t *self, erg_pid_t from, erg_inspect_t *out) {
    (void)from;
    pool_t *p = erg_proc_state(self);
    char buf[32];
    /* Ergo's keys. */
    snprintf(buf, sizeof(buf), "%zu", p->n);
    (void)erg_inspect_add(out, "pool_size", buf);
    (void)erg_inspect_add(out, "worker_behavior",
                          p->spec.worker->name ? p->spec.worker->name : "");
    snprintf(buf, sizeof(buf), "%u", p->spec.worker_opts.mailbox_limit);
    (void)erg_inspect_add(out, "worker_mailbox_size", buf);
    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)p->restarts);
    (void)erg_inspect_add(out, "worker_restarts", buf);
    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)p->forwarded);
    (void)erg_inspect_add(out, "messages_forwarded", buf);
    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)p->unhandled);
    (void)erg_inspect_add(out, "messages_unhandled", buf);
}

static void pool_terminate(erg_proc_t *self, erg_reason_t reason) {
    (void)reason;
    pool_t *p = erg_proc_state(self);
    erg__free(p->ring);
    erg__free(p->retired);
}

const erg_behavior_t erg_pool_behavior = {
    .name = "erg.pool",
    .state_size = sizeof(pool_t),
    .init = pool_init,
    .handle_message = pool_message,
    .handle_call = pool_call,
    .handle_event = pool_event,
    .handle_inspect = pool_inspect,
    .terminate = pool_terminate,
};

erg_err_t erg_pool_start(erg_node_t *node, const erg_pool_spec_t *spec,
                         const erg_spawn_opts_t *opts, erg_pid_t *pid) {
    if (node == NULL || spec == NULL || pid == NULL)
        return ERG_EINVAL;
    return erg_node_spawn(node, &erg_pool_behavior, opts, (void *)spec, pid);
}

void *erg_pool_arg(erg_proc_t *self) {
    return ((pool_t *)erg_proc_state(self))->spec.arg;
}

static erg_err_t self_resize(erg_proc_t *self, op_t op, unsigned n,
                             unsigned *size) {
    if (self == NULL || self->beh != &erg_pool_behavior)
        return ERG_EINVAL;
    pool_t *p = erg_proc_state(self);
    erg_err_t rv =
        op == OP_ADD ? add_workers(self, p, n) : remove_workers(self, p, n);
    if (size != NULL)
        *size = (unsigned)p->n;
    return rv;
}

erg_err_t erg_pool_self_add_workers(erg_proc_t *self, unsigned n,
                                    unsigned *size) {
    return self_resize(self, OP_ADD, n, size);
}

erg_err_t erg_pool_self_remove_workers(erg_proc_t *self, unsigned n,
                                       unsigned *size) {
    return self_resize(self, OP_REMOVE, n, size);
}

/* request asks the pool for q with a high-priority call (the pool's own
 * mail) and returns its reply, which the caller releases. */
static erg_err_t request(erg_node_t *node, erg_pid_t pool, req_t q,
                         uint32_t timeout_ms, erg_msg_t **out) {
    return erg__node_call_copy(node, pool, pool_req_type, &q, sizeof(q),
                               ERG_PRIORITY_HIGH, timeout_ms, pool_rep_type,
                               sizeof(rep_t), out);
}

static erg_err_t resize(erg_node_t *node, erg_pid_t pool, op_t op, unsigned n,
                        unsigned *size) {
    erg_msg_t *reply;
    /* Each new worker's init is waited for (up to 15 s each). */
    erg_err_t rv = request(node, pool, (req_t){op, n}, 60000, &reply);
    if (rv != ERG_OK)
        return rv;
    const rep_t *rep = erg_msg_data(reply);
    rv = rep->err;
    if (size != NULL)
        *size = rep->size;
    erg_msg_release(reply);
    return rv;
}

erg_err_t erg_pool_add_workers(erg_node_t *node, erg_pid_t pool, unsigned n,
                               unsigned *size) {
    return resize(node, pool, OP_ADD, n, size);
}

erg_err_t erg_pool_remove_workers(erg_node_t *node, erg_pid_t pool, unsigned n,
                                  unsigned *size) {
    return resize(node, pool, OP_REMOVE, n, size);
}

erg_err_t erg_pool_workers(erg_node_t *node, erg_pid_t pool, erg_pid_t **out,
                           size_t *n) {
    if (out == NULL || n == NULL)
        return ERG_EINVAL;
    erg_msg_t *reply;
    erg_err_t rv = request(node, pool, (req_t){OP_LIST, 0}, 0, &reply);
    if (rv != ERG_OK)
        return rv;
    const rep_t *rep = erg_msg_data(reply);
    *out = erg__malloc((rep->n ? rep->n : 1) * sizeof(erg_pid_t));
    if (*out == NULL) {
        erg_msg_release(reply);
        return ERG_ENOMEM;
    }
    memcpy(*out, rep->list, rep->n * sizeof(erg_pid_t));
    *n = rep->n;
    erg_msg_release(reply);
    return ERG_OK;
}

void erg_pool_workers_free(erg_pid_t *list) {
    erg__free(list);
}
