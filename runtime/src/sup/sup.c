/* SPDX-License-Identifier: MIT */
/* sup.c: the supervisor behaviour, written on the public process API. */
#include "sup/sup.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/actor.h"
#include "core/sched.h"
#include "erg/node.h"
#include "sup/spawn_wait.h"
#include "core/node.h"
#include "util/alloc.h"

static const char sup_req_type[] = "erg.sup.req";
static const char sup_rep_type[] = "erg.sup.rep";

/* A child spec and, outside simple-one-for-one, its one running process. */
typedef struct kid_s {
    char *name;
    const erg_behavior_t *beh;
    erg_spawn_opts_t opts;
    void *args;
    erg_sup_restart_t restart;
    bool significant;
    bool disabled;
    bool pending;  /* to be started when the running strategy finishes */
    bool stopping; /* disabled and sent a stop: its exit is expected */
    erg_pid_t pid;
} kid_t;

/* A running simple-one-for-one instance with its own arguments. */
typedef struct inst_s {
    size_t kid;
    void *args;
    erg_pid_t pid;
    bool stopping;
} inst_t;

typedef struct pend_s {
    erg_pid_t pid;
    erg_reason_t reason;
} pend_t;

typedef enum phase_e { PHASE_IDLE, PHASE_RESTART, PHASE_SHUTDOWN } phase_t;

typedef struct sup_s {
    erg_sup_type_t type;
    erg_sup_restart_t strategy;
    uint32_t intensity, period_ms;
    bool keep_order, disable_auto_shutdown;
    erg_sup_child_cb on_child;
    void *on_child_arg;
    kid_t *kids;
    size_t nkids, capkids;
    inst_t *insts;
    size_t ninsts, capinsts;
    int64_t *restarts; /* times (ms) of the restarts in the last period */
    size_t nrestarts;
    uint64_t restarts_total;
    phase_t phase;
    erg_reason_t final_reason;
    erg_reason_t stop_reason; /* sent to the children being stopped */
    erg_pid_t *wait;          /* children being stopped, in stop order */
    size_t nwait, capwait;
    pend_t *pend; /* exits that came in while a strategy ran */
    size_t npend, cappend;
} sup_t;

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static kid_t *kid_find(sup_t *s, const char *name) {
    for (size_t i = 0; i < s->nkids; i++)
        if (strcmp(s->kids[i].name, name) == 0)
            return &s->kids[i];
    return NULL;
}

static erg_err_t kid_add(sup_t *s, const erg_sup_child_spec_t *c) {
    if (c->name == NULL || c->name[0] == '\0' || c->beh == NULL ||
        c->beh->init == NULL || (unsigned)c->restart > ERG_SUP_PERMANENT)
        return ERG_EINVAL;
    if (kid_find(s, c->name) != NULL)
        return ERG_EEXIST;
    if (!erg__grow((void **)&s->kids, &s->capkids, s->nkids, sizeof(kid_t)))
        return ERG_ENOMEM;
    char *name = erg__strdup(c->name);
    if (name == NULL)
        return ERG_ENOMEM;
    kid_t *k = &s->kids[s->nkids++];
    memset(k, 0, sizeof(*k));
    k->name = name;
    k->beh = c->beh;
    k->opts = c->opts;
    k->args = c->args;
    k->restart = c->restart ? c->restart : s->strategy;
    k->significant = c->significant;
    return ERG_OK;
}

static void notify(erg_proc_t *self, sup_t *s, const kid_t *k, erg_pid_t pid,
                   bool started, erg_reason_t reason) {
    if (s->on_child != NULL)
        s->on_child(self, k->name, pid, started, reason, s->on_child_arg);
}

/* wait_gone waits (a bounded while: a child stuck in a handler is left to
 * its parent link) until pid no longer exists, handing the worker over so
 * the child can run its exit even on a one-worker node. */
static void wait_gone(erg_node_t *node, erg_pid_t pid) {
    erg_proc_info_t info;
    struct timespec ts = {0, 500000};
    erg__sched_block_begin();
    for (int i = 0; i < 10000 && !erg_pid_is_nil(pid) &&
                    erg_node_process_info(node, pid, &info) == ERG_OK;
         i++)
        nanosleep(&ts, NULL);
    erg__sched_block_end();
}

/* orphan_holder: the process holding name if its parent is gone, so it is
 * about to end through its parent link (a child of a supervisor that was
 * ended from outside); nil otherwise. */
static erg_pid_t orphan_holder(erg_node_t *node, const char *name) {
    erg_pid_t holder, none = {0};
    erg_proc_info_t info;
    if (erg_node_resolve_name(node, name, &holder) != ERG_OK ||
        erg_node_process_info(node, holder, &info) != ERG_OK ||
        erg_pid_equal(info.parent, erg_node_pid(node)) ||
        erg_node_process_info(node, info.parent, &info) != ERG_ENOPROC)
        return none;
    return holder;
}

/*
 * spawn starts one process of k, linked both ways to the supervisor; with
 * wait, it returns after the child's init (erg__spawn_wait). A supervisor
 * restarted at once after it was ended from outside (a nested one) may find
 * its child's name still held by the old child, which its parent link is
 * ending: that one is waited for, then the spawn is tried once more.
 */
static erg_err_t spawn(erg_proc_t *self, sup_t *s, kid_t *k, void *args,
                       bool wait, erg_pid_t *pid) {
    erg_spawn_opts_t o = k->opts;
    /* As in Ergo, a child of a spec that runs one process at a time is
     * registered under the spec's name unless its options name another. */
    if (o.register_name == NULL && s->type != ERG_SUP_SIMPLE_ONE_FOR_ONE)
        o.register_name = k->name;
    o.link_parent = true;
    o.link_child = true;
    erg_err_t rv = wait ? erg__spawn_wait(self, k->beh, &o, args, pid)
                        : erg_spawn(self, k->beh, &o, args, pid);
    if (rv == ERG_ETAKEN && wait) {
        erg_pid_t old = orphan_holder(erg_proc_node(self), o.register_name);
        if (!erg_pid_is_nil(old)) {
            wait_gone(erg_proc_node(self), old);
            rv = erg__spawn_wait(self, k->beh, &o, args, pid);
        }
    }
    if (rv == ERG_OK)
        notify(self, s, k, *pid, true, ERG_REASON_NONE);
    return rv;
}

static erg_err_t kid_start(erg_proc_t *self, sup_t *s, kid_t *k) {
    return spawn(self, s, k, k->args, false, &k->pid);
}

static erg_err_t inst_start(erg_proc_t *self, sup_t *s, size_t kid, void *args,
                            erg_pid_t *pid) {
    if (!erg__grow((void **)&s->insts, &s->capinsts, s->ninsts, sizeof(inst_t)))
        return ERG_ENOMEM;
    inst_t *in = &s->insts[s->ninsts];
    in->kid = kid;
    in->args = args;
    in->stopping = false;
    erg_err_t rv = spawn(self, s, &s->kids[kid], args, false, &in->pid);
    if (rv != ERG_OK)
        return rv;
    s->ninsts++;
    if (pid != NULL)
        *pid = in->pid;
    return ERG_OK;
}

static bool any_running(const sup_t *s) {
    if (s->ninsts > 0)
        return true;
    for (size_t i = 0; i < s->nkids; i++)
        if (!erg_pid_is_nil(s->kids[i].pid))
            return true;
    return false;
}

/* auto_shutdown: no child is left running and the spec lets the supervisor
 * end then, with the reason of the last child's exit (as Ergo does). */
static bool auto_shutdown(const sup_t *s) {
    return s->type != ERG_SUP_SIMPLE_ONE_FOR_ONE && !s->disable_auto_shutdown &&
           !any_running(s);
}

static bool wait_push(sup_t *s, erg_pid_t pid) {
    if (!erg__grow((void **)&s->wait, &s->capwait, s->nwait, sizeof(erg_pid_t)))
        return false;
    s->wait[s->nwait++] = pid;
    return true;
}

/* ordered: a restart of all- or rest-for-one keeping order. As in Ergo, a
 * shutdown of the whole tree stops all children at once. */
static bool ordered(const sup_t *s) {
    return s->keep_order && s->phase == PHASE_RESTART;
}

/* stop_waiting sends the exit signals, with the reason that set the
 * strategy off (as Ergo does): to the first child to stop when ordered (the
 * next goes when its exit arrives), else to all. A child already gone still
 * delivers its link exit, so each is waited for. */
static void stop_waiting(erg_proc_t *self, sup_t *s) {
    size_t n = ordered(s) ? (s->nwait > 0 ? 1 : 0) : s->nwait;
    for (size_t i = 0; i < n; i++)
        (void)erg_send_exit(self, s->wait[i], s->stop_reason);
}

/* stop_tree stops every child in reverse start order, then the supervisor
 * terminates with reason. Returns the reason to terminate with now, or
 * ERG_REASON_NONE while children are still stopping. */
static erg_reason_t stop_tree(erg_proc_t *self, sup_t *s, erg_reason_t reason) {
    s->nwait = 0;
    for (size_t i = s->ninsts; i-- > 0;)
        if (!wait_push(s, s->insts[i].pid))
            return ERG_ENOMEM;
    for (size_t i = s->nkids; i-- > 0;)
        if (!erg_pid_is_nil(s->kids[i].pid) && !wait_push(s, s->kids[i].pid))
            return ERG_ENOMEM;
    if (s->nwait == 0)
        return reason;
    s->phase = PHASE_SHUTDOWN;
    s->final_reason = reason;
    s->stop_reason = reason;
    stop_waiting(self, s);
    return ERG_REASON_NONE;
}

/* intensity_exceeded records a restart and says whether there were more
 * than intensity of them within the period. */
static bool intensity_exceeded(sup_t *s) {
    int64_t now = now_ms();
    size_t keep = 0;
    for (size_t i = 0; i < s->nrestarts; i++)
        if (now - s->restarts[i] < (int64_t)s->period_ms)
            s->restarts[keep++] = s->restarts[i];
    s->nrestarts = keep;
    s->restarts_total++;
    if (s->nrestarts >= s->intensity)
        return true;
    s->restarts[s->nrestarts++] = now;
    return false;
}

static bool is_normal(erg_reason_t reason) {
    return reason == ERG_REASON_NORMAL || reason == ERG_REASON_SHUTDOWN;
}

static erg_reason_t handle_exit(erg_proc_t *self, sup_t *s, erg_pid_t pid,
                                erg_reason_t reason);

/* finish runs when the last child a strategy waited for has exited. */
static erg_reason_t finish(erg_proc_t *self, sup_t *s) {
    if (s->phase == PHASE_SHUTDOWN)
        return s->final_reason;
    s->phase = PHASE_IDLE;
    for (size_t i = 0; i < s->nkids; i++) {
        kid_t *k = &s->kids[i];
        if (!k->pending)
            continue;
        k->pending = false;
        if (k->disabled || !erg_pid_is_nil(k->pid))
            continue;
        erg_err_t rv = kid_start(self, s, k);
        if (rv != ERG_OK)
            return stop_tree(self, s, rv);
    }
    while (s->phase == PHASE_IDLE && s->npend > 0) {
        pend_t p = s->pend[0];
        memmove(s->pend, s->pend + 1, --s->npend * sizeof(pend_t));
        erg_reason_t r = handle_exit(self, s, p.pid, p.reason);
        if (r != ERG_REASON_NONE)
            return r;
    }
    return ERG_REASON_NONE;
}

/* restart_from stops the running children from index first on (every one
 * for all-for-one, those after the failed one for rest-for-one) in reverse
 * start order, then starts every enabled spec from index first on in spec
 * order, stopped before or not, as Ergo does; a temporary one (possible
 * only through a child's own restart) is not started again. */
static erg_reason_t restart_from(erg_proc_t *self, sup_t *s, size_t first,
                                 erg_reason_t reason) {
    s->nwait = 0;
    for (size_t i = s->nkids; i-- > first;) {
        kid_t *k = &s->kids[i];
        k->pending = !k->disabled && k->restart != ERG_SUP_TEMPORARY;
        if (erg_pid_is_nil(k->pid))
            continue;
        if (!wait_push(s, k->pid))
            return stop_tree(self, s, ERG_ENOMEM);
    }
    s->phase = PHASE_RESTART;
    s->stop_reason = reason;
    if (s->nwait == 0)
        return finish(self, s);
    stop_waiting(self, s);
    return ERG_REASON_NONE;
}

/* handle_exit applies the spec to a child's exit while no strategy runs. */
static erg_reason_t handle_exit(erg_proc_t *self, sup_t *s, erg_pid_t pid,
                                erg_reason_t reason) {
    kid_t *k = NULL;
    size_t ki = 0, ii = 0;
    bool inst = false;
    for (size_t i = 0; i < s->ninsts && k == NULL; i++)
        if (erg_pid_equal(s->insts[i].pid, pid)) {
            ii = i;
            ki = s->insts[i].kid;
            k = &s->kids[ki];
            inst = true;
        }
    for (size_t i = 0; i < s->nkids && k == NULL; i++)
        if (erg_pid_equal(s->kids[i].pid, pid)) {
            ki = i;
            k = &s->kids[i];
        }
    if (k == NULL) /* an exit from a linked non-child ends the supervisor */
        return stop_tree(self, s, reason);
    void *args = NULL;
    bool stopping;
    if (inst) {
        args = s->insts[ii].args;
        stopping = s->insts[ii].stopping;
        /* Keep start order for the instances that remain. */
        memmove(&s->insts[ii], &s->insts[ii + 1],
                (--s->ninsts - ii) * sizeof(inst_t));
    } else {
        k->pid = (erg_pid_t){0};
        stopping = k->stopping;
        k->stopping = false;
    }
    notify(self, s, k, pid, false, reason);
    if (stopping || k->disabled) {
        /* Stopped on purpose by erg_sup_disable_child: no strategy. If it
         * was enabled again meanwhile, it starts now. */
        if (!k->disabled && !inst && s->type != ERG_SUP_SIMPLE_ONE_FOR_ONE) {
            erg_err_t rv = kid_start(self, s, k);
            return rv == ERG_OK ? ERG_REASON_NONE : stop_tree(self, s, rv);
        }
        return auto_shutdown(s) ? reason : ERG_REASON_NONE;
    }
    bool again = k->restart == ERG_SUP_PERMANENT ||
                 (k->restart == ERG_SUP_TRANSIENT && !is_normal(reason));
    if (!again) {
        if (s->type == ERG_SUP_SIMPLE_ONE_FOR_ONE)
            return ERG_REASON_NONE;
        if (k->significant && k->restart != ERG_SUP_PERMANENT)
            return stop_tree(self, s, reason);
        return auto_shutdown(s) ? reason : ERG_REASON_NONE;
    }
    if (intensity_exceeded(s)) {
        erg_log(self, ERG_LOG_ERROR,
                "supervisor: restart intensity %u in "
                "%u ms exceeded (child %s)",
                s->intensity, s->period_ms, k->name);
        return stop_tree(self, s, ERG_ERESTARTS);
    }
    erg_err_t rv = ERG_OK;
    switch (s->type) {
    case ERG_SUP_SIMPLE_ONE_FOR_ONE:
        rv = inst_start(self, s, ki, args, NULL);
        break;
    case ERG_SUP_ONE_FOR_ONE:
        rv = kid_start(self, s, k);
        break;
    case ERG_SUP_ALL_FOR_ONE:
        k->pending = true;
        return restart_from(self, s, 0, reason);
    case ERG_SUP_REST_FOR_ONE:
        return restart_from(self, s, ki, reason);
    }
    return rv == ERG_OK ? ERG_REASON_NONE : stop_tree(self, s, rv);
}

/* on_exit takes an exit message: while a strategy runs it only tracks the
 * children it waits for and queues other exits for later. */
static erg_reason_t on_exit(erg_proc_t *self, sup_t *s, erg_pid_t pid,
                            erg_reason_t reason) {
    if (s->phase == PHASE_IDLE)
        return handle_exit(self, s, pid, reason);
    for (size_t i = 0; i < s->nwait; i++) {
        if (!erg_pid_equal(s->wait[i], pid))
            continue;
        memmove(&s->wait[i], &s->wait[i + 1],
                (s->nwait - i - 1) * sizeof(erg_pid_t));
        s->nwait--;
        for (size_t j = 0; j < s->nkids; j++)
            if (erg_pid_equal(s->kids[j].pid, pid)) {
                s->kids[j].pid = (erg_pid_t){0};
                notify(self, s, &s->kids[j], pid, false, reason);
            }
        for (size_t j = 0; j < s->ninsts; j++)
            if (erg_pid_equal(s->insts[j].pid, pid)) {
                notify(self, s, &s->kids[s->insts[j].kid], pid, false, reason);
                memmove(&s->insts[j], &s->insts[j + 1],
                        (--s->ninsts - j) * sizeof(inst_t));
                break;
            }
        if (s->nwait == 0)
            return finish(self, s);
        if (ordered(s) && i == 0)
            stop_waiting(self, s);
        return ERG_REASON_NONE;
    }
    if (!erg__grow((void **)&s->pend, &s->cappend, s->npend, sizeof(pend_t)))
        return ERG_ENOMEM;
    s->pend[s->npend++] = (pend_t){pid, reason};
    return ERG_REASON_NONE;
}

/*
 * start_failed ends a start in which child `failed` could not start
 * (Ergo's supervisor fails its own init then): the children started before
 * it are ended, newest first, with the error as reason, and the error
 * becomes the supervisor's init result, so erg_sup_start returns it. They
 * are killed here rather than sent exits, so, like the failed child, each
 * is unregistered before this returns and a retry finds its name free.
 */
static erg_reason_t start_failed(erg_proc_t *self, sup_t *s, size_t failed,
                                 erg_err_t rv) {
    char buf[32];
    erg_log(self, ERG_LOG_ERROR, "supervisor: child %s failed to start: %s",
            s->kids[failed].name, erg_reason_string(rv, buf, sizeof(buf)));
    erg_node_t *node = erg_proc_node(self);
    for (size_t i = failed; i-- > 0;) {
        erg_proc_t *p;
        if (erg__node_lookup(node, s->kids[i].pid, &p) == ERG_OK) {
            erg__kill(p, (erg_reason_t)rv);
            erg__proc_release(p);
        }
        s->kids[i].pid = (erg_pid_t){0};
    }
    return rv;
}

static erg_reason_t sup_init(erg_proc_t *self, void *args) {
    sup_t *s = erg_proc_state(self);
    const erg_sup_spec_t *spec = args;
    if (spec == NULL || (unsigned)spec->type > ERG_SUP_SIMPLE_ONE_FOR_ONE ||
        (unsigned)spec->strategy > ERG_SUP_PERMANENT || spec->nchildren == 0 ||
        spec->children == NULL)
        return ERG_EINVAL;
    s->type = spec->type;
    s->strategy = spec->strategy ? spec->strategy : ERG_SUP_TRANSIENT;
    s->intensity = spec->intensity ? spec->intensity : ERG_SUP_INTENSITY;
    s->period_ms = spec->period_ms ? spec->period_ms : ERG_SUP_PERIOD_MS;
    /* Ordered stops concern all- and rest-for-one only (Ergo). */
    s->keep_order = spec->keep_order && (s->type == ERG_SUP_ALL_FOR_ONE ||
                                         s->type == ERG_SUP_REST_FOR_ONE);
    s->disable_auto_shutdown = spec->disable_auto_shutdown;
    s->on_child = spec->on_child;
    s->on_child_arg = spec->on_child_arg;
    s->restarts = erg__calloc(s->intensity, sizeof(int64_t));
    if (s->restarts == NULL)
        return ERG_ENOMEM;
    for (size_t i = 0; i < spec->nchildren; i++) {
        erg_err_t rv = kid_add(s, &spec->children[i]);
        if (rv != ERG_OK)
            return rv == ERG_EEXIST ? ERG_EINVAL : rv;
    }
    erg_set_trap_exit(self, true);
    if (s->type == ERG_SUP_SIMPLE_ONE_FOR_ONE)
        return ERG_REASON_NONE;
    for (size_t i = 0; i < s->nkids; i++) {
        kid_t *k = &s->kids[i];
        erg_err_t rv = spawn(self, s, k, k->args, true, &k->pid);
        if (rv != ERG_OK) {
            k->pid = (erg_pid_t){0};
            return start_failed(self, s, i, rv);
        }
    }
    return ERG_REASON_NONE;
}

static erg_reason_t sup_message(erg_proc_t *self, erg_pid_t from,
                                erg_msg_t *msg) {
    (void)from;
    sup_t *s = erg_proc_state(self);
    if (erg_msg_type(msg) != ERG_TYPE_EXIT)
        return ERG_REASON_NONE; /* a supervisor takes no other mail */
    const erg_exit_t *e = erg_msg_data(msg);
    if (e->target.kind != ERG_TARGET_PID)
        return ERG_REASON_NONE;
    return on_exit(self, s, e->target.pid, e->reason);
}

/* stop_kid stops what runs of k without restarting it (k is disabled). */
static void stop_kid(erg_proc_t *self, sup_t *s, size_t ki) {
    kid_t *k = &s->kids[ki];
    if (!erg_pid_is_nil(k->pid)) {
        k->stopping = true;
        (void)erg_send_exit(self, k->pid, ERG_REASON_SHUTDOWN);
    }
    for (size_t i = 0; i < s->ninsts; i++)
        if (s->insts[i].kid == ki) {
            s->insts[i].stopping = true;
            (void)erg_send_exit(self, s->insts[i].pid, ERG_REASON_SHUTDOWN);
        }
}

static erg_err_t op_children(sup_t *s, erg_msg_t **reply) {
    size_t n = s->type == ERG_SUP_SIMPLE_ONE_FOR_ONE ? s->ninsts : s->nkids;
    erg_msg_t *m;
    erg_err_t rv = erg_msg_new(
        sup_rep_type, sizeof(erg__sup_rep_t) + n * sizeof(erg_sup_child_info_t),
        &m);
    if (rv != ERG_OK)
        return rv;
    erg__sup_rep_t *rep = erg_msg_data(m);
    memset(rep, 0, sizeof(*rep) + n * sizeof(erg_sup_child_info_t));
    rep->n = n;
    for (size_t i = 0; i < n; i++) {
        erg_sup_child_info_t *ci = &rep->list[i];
        const kid_t *k;
        if (s->type == ERG_SUP_SIMPLE_ONE_FOR_ONE) {
            k = &s->kids[s->insts[i].kid];
            ci->pid = s->insts[i].pid;
        } else {
            k = &s->kids[i];
            ci->pid = k->pid;
        }
        snprintf(ci->name, sizeof(ci->name), "%s", k->name);
        ci->disabled = k->disabled;
    }
    *reply = m;
    return ERG_OK;
}

static erg_err_t dispatch(erg_proc_t *self, sup_t *s, const erg__sup_req_t *q,
                          erg_pid_t *pid) {
    bool sofo = s->type == ERG_SUP_SIMPLE_ONE_FOR_ONE;
    if (s->phase != PHASE_IDLE)
        return ERG_ESUPACTIVE;
    if (q->op == ERG__SUP_ADD_CHILD) {
        if (q->child == NULL)
            return ERG_EINVAL;
        erg_err_t rv = kid_add(s, q->child);
        if (rv != ERG_OK || sofo)
            return rv;
        kid_t *k = &s->kids[s->nkids - 1];
        rv = kid_start(self, s, k);
        if (rv != ERG_OK) {
            /* A spec that could not start is not kept. */
            erg__free(k->name);
            s->nkids--;
            return rv;
        }
        *pid = k->pid;
        return ERG_OK;
    }
    kid_t *k = q->name ? kid_find(s, q->name) : NULL;
    if (k == NULL)
        return ERG_ENOCHILD;
    size_t ki = (size_t)(k - s->kids);
    erg_err_t rv;
    switch (q->op) {
    case ERG__SUP_START_CHILD:
        if (k->disabled)
            return ERG_ECHILDDISABLED;
        if (sofo)
            return inst_start(self, s, ki, q->args ? q->args : k->args, pid);
        if (!erg_pid_is_nil(k->pid))
            return ERG_ECHILDRUNNING;
        if (q->args != NULL) /* kept for its restarts, as in Ergo */
            k->args = q->args;
        rv = kid_start(self, s, k);
        *pid = k->pid;
        return rv;
    case ERG__SUP_ENABLE_CHILD:
        if (!k->disabled)
            return ERG_OK;
        k->disabled = false;
        if (sofo || !erg_pid_is_nil(k->pid))
            return ERG_OK;
        rv = kid_start(self, s, k);
        *pid = k->pid;
        return rv;
    case ERG__SUP_DISABLE_CHILD:
        k->disabled = true;
        stop_kid(self, s, ki);
        return ERG_OK;
    default:
        return ERG_EINVAL;
    }
}

static erg_reason_t sup_call(erg_proc_t *self, erg_pid_t from, erg_ref_t ref,
                             erg_msg_t *request, erg_msg_t **reply) {
    (void)from;
    (void)ref;
    sup_t *s = erg_proc_state(self);
    if (erg_msg_type(request) != sup_req_type ||
        erg_msg_size(request) != sizeof(erg__sup_req_t)) {
        (void)erg_reply_error(self, from, ref, ERG_ENOTSUP);
        return ERG_REASON_NONE;
    }
    const erg__sup_req_t *q = erg_msg_data(request);
    erg_err_t rv;
    if (q->op == ERG__SUP_CHILDREN && s->phase == PHASE_IDLE) {
        rv = op_children(s, reply);
        if (rv == ERG_OK)
            return ERG_REASON_NONE;
    } else {
        erg_pid_t pid = {0};
        rv = q->op == ERG__SUP_CHILDREN ? ERG_ESUPACTIVE
                                        : dispatch(self, s, q, &pid);
        erg_msg_t *m;
        if (erg_msg_new(sup_rep_type, sizeof(erg__sup_rep_t), &m) == ERG_OK) {
            erg__sup_rep_t *rep = erg_msg_data(m);
            memset(rep, 0, sizeof(*rep));
            rep->err = rv;
            rep->pid = pid;
            *reply = m;
            return ERG_REASON_NONE;
        }
        rv = ERG_ENOMEM;
    }
    (void)erg_reply_error(self, from, ref, rv);
    return ERG_REASON_NONE;
}

static const char *type_name(erg_sup_type_t t) {
    static const char *names[] = {"one-for-one", "all-for-one", "rest-for-one",
                                  "simple-one-for-one"};
    return names[t];
}

static const char *restart_name(erg_sup_restart_t r) {
    static const char *names[] = {"default", "transient", "temporary",
                                  "permanent"};
    return names[r];
}

static void sup_inspect(erg_proc_t *self, erg_pid_t from, erg_inspect_t *out) {
    (void)from;
    sup_t *s = erg_proc_state(self);
    static const char *phases[] = {"idle", "restarting", "shutting-down"};
    size_t running = s->ninsts, disabled = 0;
    for (size_t i = 0; i < s->nkids; i++) {
        running += !erg_pid_is_nil(s->kids[i].pid);
        disabled += s->kids[i].disabled;
    }
    char buf[32];
    (void)erg_inspect_add(out, "sup_type", type_name(s->type));
    (void)erg_inspect_add(out, "sup_strategy", restart_name(s->strategy));
    snprintf(buf, sizeof(buf), "%u", s->intensity);
    (void)erg_inspect_add(out, "sup_intensity", buf);
    snprintf(buf, sizeof(buf), "%u", s->period_ms);
    (void)erg_inspect_add(out, "sup_period_ms", buf);
    (void)erg_inspect_add(out, "sup_keep_order",
                          s->keep_order ? "true" : "false");
    (void)erg_inspect_add(out, "sup_auto_shutdown",
                          s->disable_auto_shutdown ? "false" : "true");
    (void)erg_inspect_add(out, "sup_phase", phases[s->phase]);
    snprintf(buf, sizeof(buf), "%zu", s->nkids);
    (void)erg_inspect_add(out, "sup_specs", buf);
    snprintf(buf, sizeof(buf), "%zu", running);
    (void)erg_inspect_add(out, "sup_running", buf);
    snprintf(buf, sizeof(buf), "%zu", disabled);
    (void)erg_inspect_add(out, "sup_disabled", buf);
    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)s->restarts_total);
    (void)erg_inspect_add(out, "sup_restarts", buf);
}

static void sup_terminate(erg_proc_t *self, erg_reason_t reason) {
    (void)reason;
    sup_t *s = erg_proc_state(self);
    for (size_t i = 0; i < s->nkids; i++)
        erg__free(s->kids[i].name);
    erg__free(s->kids);
    erg__free(s->insts);
    erg__free(s->restarts);
    erg__free(s->wait);
    erg__free(s->pend);
}

const erg_behavior_t erg_sup_behavior = {
    .name = "erg.supervisor",
    .state_size = sizeof(sup_t),
    .init = sup_init,
    .handle_message = sup_message,
    .handle_call = sup_call,
    .handle_inspect = sup_inspect,
    .terminate = sup_terminate,
};

erg_err_t erg_sup_start(erg_node_t *node, const erg_sup_spec_t *spec,
                        const erg_spawn_opts_t *opts, erg_pid_t *pid) {
    if (node == NULL || spec == NULL || pid == NULL)
        return ERG_EINVAL;
    return erg_node_spawn(node, &erg_sup_behavior, opts, (void *)spec, pid);
}

/* request calls sup with q and returns its reply (the caller releases). */
static erg_err_t request(erg_node_t *node, erg_pid_t sup,
                         const erg__sup_req_t *q, erg_msg_t **out) {
    erg_msg_t *reply;
    erg_err_t rv = erg__node_call_copy(node, sup, sup_req_type, q,
                                       sizeof(*q), ERG_PRIORITY_NORMAL, 0,
                                       sup_rep_type, sizeof(erg__sup_rep_t),
                                       &reply);
    if (rv != ERG_OK)
        return rv;
    rv = ((const erg__sup_rep_t *)erg_msg_data(reply))->err;
    if (rv != ERG_OK) {
        erg_msg_release(reply);
        return rv;
    }
    *out = reply;
    return ERG_OK;
}

static erg_err_t simple(erg_node_t *node, erg_pid_t sup, erg__sup_req_t q,
                        erg_pid_t *pid) {
    erg_msg_t *reply;
    erg_err_t rv = request(node, sup, &q, &reply);
    if (rv != ERG_OK)
        return rv;
    if (pid != NULL)
        *pid = ((const erg__sup_rep_t *)erg_msg_data(reply))->pid;
    erg_msg_release(reply);
    return ERG_OK;
}

erg_err_t erg_sup_start_child(erg_node_t *node, erg_pid_t sup, const char *name,
                              void *args, erg_pid_t *pid) {
    if (name == NULL)
        return ERG_EINVAL;
    return simple(node, sup,
                  (erg__sup_req_t){ERG__SUP_START_CHILD, name, args, NULL},
                  pid);
}

erg_err_t erg_sup_add_child(erg_node_t *node, erg_pid_t sup,
                            const erg_sup_child_spec_t *child) {
    if (child == NULL)
        return ERG_EINVAL;
    return simple(node, sup,
                  (erg__sup_req_t){ERG__SUP_ADD_CHILD, NULL, NULL, child},
                  NULL);
}

erg_err_t erg_sup_enable_child(erg_node_t *node, erg_pid_t sup,
                               const char *name) {
    if (name == NULL)
        return ERG_EINVAL;
    return simple(node, sup,
                  (erg__sup_req_t){ERG__SUP_ENABLE_CHILD, name, NULL, NULL},
                  NULL);
}

erg_err_t erg_sup_disable_child(erg_node_t *node, erg_pid_t sup,
                                const char *name) {
    if (name == NULL)
        return ERG_EINVAL;
    return simple(node, sup,
                  (erg__sup_req_t){ERG__SUP_DISABLE_CHILD, name, NULL, NULL},
                  NULL);
}

erg_err_t erg_sup_children(erg_node_t *node, erg_pid_t sup,
                           erg_sup_child_info_t **out, size_t *n) {
    if (out == NULL || n == NULL)
        return ERG_EINVAL;
    erg__sup_req_t q = {ERG__SUP_CHILDREN, NULL, NULL, NULL};
    erg_msg_t *reply;
    erg_err_t rv = request(node, sup, &q, &reply);
    if (rv != ERG_OK)
        return rv;
    const erg__sup_rep_t *rep = erg_msg_data(reply);
    *n = rep->n;
    *out = erg__malloc((rep->n ? rep->n : 1) * sizeof(erg_sup_child_info_t));
    if (*out == NULL) {
        erg_msg_release(reply);
        return ERG_ENOMEM;
    }
    memcpy(*out, rep->list, rep->n * sizeof(erg_sup_child_info_t));
    erg_msg_release(reply);
    return ERG_OK;
}

void erg_sup_children_free(erg_sup_child_info_t *list) {
    erg__free(list);
}
