/* SPDX-License-Identifier: MIT */
/* probe.h: a scriptable test actor and helpers for node-level tests. */
#ifndef ERG_TEST_PROBE_H
#define ERG_TEST_PROBE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "erg/erg.h"
#include "testutil.h"

/* Generous: these only bound a hang, they never decide a pass. */
enum { PROBE_TIMEOUT_MS = 30000 };

static inline void probe_sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Waits until *v >= target; false after PROBE_TIMEOUT_MS. */
static inline bool probe_wait(atomic_long *v, long target) {
    for (long i = 0; i < PROBE_TIMEOUT_MS * 10L; i++) {
        if (atomic_load(v) >= target)
            return true;
        struct timespec ts = {0, 100000};
        nanosleep(&ts, NULL);
    }
    return atomic_load(v) >= target;
}

static inline erg_node_t *probe_node(unsigned workers) {
    erg_node_opts_t o;
    erg_node_opts_init(&o);
    o.workers = workers;
    o.no_default_logger = true;
    erg_node_t *node = NULL;
    ERG_PASS(erg_node_start("test@localhost", &o, &node));
    return node;
}

/* Commands a probe runs when it receives them (payload of a message whose
 * type is PROBE_CMD). */
static const char probe_cmd_type[] = "probe.cmd";
#define PROBE_CMD ((const void *)probe_cmd_type)

typedef enum probe_op_e {
    OP_NOP = 0,
    OP_SEND,       /* send n messages (seq numbered) to target */
    OP_CALL,       /* erg_call target, store the status and the reply value */
    OP_REQUEST,    /* erg_request target */
    OP_LINK,       /* erg_link target */
    OP_UNLINK,
    OP_MONITOR,    /* erg_monitor target */
    OP_DEMONITOR,
    OP_EXIT,       /* return reason */
    OP_SEND_EXIT,  /* erg_send_exit(pid, reason) */
    OP_GATE,       /* spin until probe->gate is open */
    OP_REG_NAME,
    OP_UNREG_NAME,
    OP_REPLY,      /* erg_reply to the stored caller with value n */
    OP_TRAP,       /* erg_set_trap_exit(n) */
    OP_SPAWN,      /* spawn a probe child, linked to the parent (n = 1)
                      or the parent linked to it (n = 2), with
                      init_timeout_ms = timeout_ms */
} probe_op_t;

typedef struct probe_cmd_s {
    probe_op_t op;
    erg_target_t target;
    char name[32];
    long n;
    erg_reason_t reason;
    uint32_t timeout_ms;
} probe_cmd_t;

/* A value message: one long. */
static const char probe_val_type[] = "probe.val";
#define PROBE_VAL ((const void *)probe_val_type)

typedef struct probe_val_s {
    long seq;
    int sender; /* index of the sending probe, or -1 */
} probe_val_t;

/* What a probe records; shared with the test thread, all atomics. */
typedef struct probe_s {
    int index;
    atomic_bool gate;      /* OP_GATE waits until this is true */
    atomic_bool in_gate;
    atomic_bool init_release; /* init spins until true if init_blocks */
    atomic_bool in_init;
    bool init_blocks;
    erg_reason_t init_reason; /* what init returns */
    const char *init_call_name; /* init calls this name, if set */
    atomic_long init_call_status;
    erg_pid_t pid;
    atomic_long values;    /* PROBE_VAL messages */
    atomic_long last_val;
    atomic_long exits;     /* trapped ERG_TYPE_EXIT */
    atomic_long exit_reason;
    atomic_long downs;
    atomic_long down_reason;
    atomic_long down_kind;
    atomic_long fallbacks;
    atomic_long fallback_val;
    atomic_long starts, stops; /* event notes */
    atomic_long events;
    atomic_long last_event;
    atomic_long logs;
    atomic_long calls;     /* handle_call invocations */
    atomic_long call_status;
    atomic_long call_value;
    atomic_long responses;
    atomic_long terminated;
    atomic_long term_reason;
    atomic_long order[16]; /* first values, in arrival order */
    atomic_long norder;
    atomic_long fifo_errors;
    atomic_long send_status; /* of OP_SEND's last send */
    atomic_long sends_done;  /* OP_SEND commands finished */
    long last_seq[64];     /* per sender; owner only */
    bool reply_later;      /* handle_call keeps (from, ref) */
    erg_pid_t caller;
    erg_ref_t caller_ref;
    atomic_bool have_caller;
    erg_pid_t child;
} probe_t;

static inline void probe_init(probe_t *p, int index) {
    memset(p, 0, sizeof(*p));
    p->index = index;
    atomic_store(&p->exit_reason, 0);
    for (int i = 0; i < 64; i++)
        p->last_seq[i] = -1;
}

static inline erg_msg_t *probe_val_msg(long seq, int sender) {
    erg_msg_t *m = NULL;
    probe_val_t v = {seq, sender};
    ERG_PASS(erg_msg_new_copy(PROBE_VAL, &v, sizeof(v), &m));
    return m;
}

static inline erg_msg_t *probe_cmd_msg(probe_cmd_t cmd) {
    erg_msg_t *m = NULL;
    ERG_PASS(erg_msg_new_copy(PROBE_CMD, &cmd, sizeof(cmd), &m));
    /* Names in targets must live with the message. */
    probe_cmd_t *c = erg_msg_data(m);
    if (c->target.kind == ERG_TARGET_NAME ||
        c->target.kind == ERG_TARGET_EVENT)
        c->target.name = c->name;
    return m;
}

static inline void probe_do(erg_node_t *node, erg_pid_t to, probe_cmd_t cmd) {
    ERG_PASS(erg_node_send(node, erg_to_pid(to), probe_cmd_msg(cmd), 0));
}

typedef struct probe_state_s {
    probe_t *p;
} probe_state_t;

static inline probe_t *P(erg_proc_t *self) {
    return ((probe_state_t *)erg_proc_state(self))->p;
}

static erg_reason_t probe_on_response(erg_proc_t *self, erg_ref_t ref,
                                      erg_err_t status, erg_msg_t *reply,
                                      void *arg) {
    (void)ref;
    (void)arg;
    probe_t *p = P(self);
    atomic_store(&p->call_status, status);
    if (reply != NULL)
        atomic_store(&p->call_value,
                     ((probe_val_t *)erg_msg_data(reply))->seq);
    atomic_fetch_add(&p->responses, 1);
    return ERG_REASON_NONE;
}

static const erg_behavior_t probe_behavior;

static erg_reason_t probe_run(erg_proc_t *self, probe_cmd_t *c) {
    probe_t *p = P(self);
    erg_msg_t *reply = NULL;
    erg_err_t rv;
    switch (c->op) {
    case OP_SEND:
        for (long i = 0; i < c->n; i++) {
            erg_msg_t *m = probe_val_msg(i, p->index);
            erg_err_t srv = erg_send(self, c->target, m);
            atomic_store(&p->send_status, srv);
            if (srv != ERG_OK)
                erg_msg_release(m);
        }
        atomic_fetch_add(&p->sends_done, 1);
        break;
    case OP_CALL: {
        erg_msg_t *req = probe_val_msg(c->n, p->index);
        rv = erg_call(self, c->target, req, c->timeout_ms, &reply);
        if (rv == ERG_OK) {
            atomic_store(&p->call_value,
                         ((probe_val_t *)erg_msg_data(reply))->seq);
            erg_msg_release(reply);
        } else {
            erg_msg_release(req); /* a failed call leaves it ours */
        }
        atomic_store(&p->call_status, rv);
        atomic_fetch_add(&p->responses, 1);
        break;
    }
    case OP_REQUEST: {
        erg_msg_t *m = probe_val_msg(c->n, p->index);
        rv = erg_request(self, c->target, m, c->timeout_ms, probe_on_response,
                         NULL, NULL);
        if (rv != ERG_OK) {
            erg_msg_release(m);
            atomic_store(&p->call_status, rv);
            atomic_fetch_add(&p->responses, 1);
        }
        break;
    }
    case OP_LINK:
        atomic_store(&p->call_status, erg_link(self, c->target));
        atomic_fetch_add(&p->responses, 1);
        break;
    case OP_UNLINK:
        atomic_store(&p->call_status, erg_unlink(self, c->target));
        atomic_fetch_add(&p->responses, 1);
        break;
    case OP_MONITOR:
        atomic_store(&p->call_status, erg_monitor(self, c->target, NULL));
        atomic_fetch_add(&p->responses, 1);
        break;
    case OP_DEMONITOR:
        atomic_store(&p->call_status, erg_demonitor(self, c->target));
        atomic_fetch_add(&p->responses, 1);
        break;
    case OP_EXIT:
        return c->reason;
    case OP_SEND_EXIT:
        atomic_store(&p->call_status,
                     erg_send_exit(self, c->target.pid, c->reason));
        atomic_fetch_add(&p->responses, 1);
        break;
    case OP_GATE:
        atomic_store(&p->in_gate, true);
        while (!atomic_load(&p->gate))
            probe_sleep_ms(1);
        atomic_store(&p->in_gate, false);
        break;
    case OP_REG_NAME:
        atomic_store(&p->call_status, erg_register_name(self, c->name));
        atomic_fetch_add(&p->responses, 1);
        break;
    case OP_UNREG_NAME:
        atomic_store(&p->call_status, erg_unregister_name(self));
        atomic_fetch_add(&p->responses, 1);
        break;
    case OP_REPLY:
        atomic_store(&p->call_status,
                     erg_reply(self, p->caller, p->caller_ref,
                               probe_val_msg(c->n, p->index)));
        atomic_fetch_add(&p->responses, 1);
        break;
    case OP_TRAP:
        erg_set_trap_exit(self, c->n != 0);
        atomic_fetch_add(&p->responses, 1);
        break;
    case OP_SPAWN: {
        erg_spawn_opts_t o;
        erg_spawn_opts_init(&o);
        o.link_parent = c->n == 1;
        o.link_child = c->n == 2;
        o.init_timeout_ms = c->timeout_ms;
        probe_t *child = (probe_t *)(uintptr_t)c->target.pid.id;
        rv = erg_spawn(self, &probe_behavior, &o, child, &p->child);
        atomic_store(&p->call_status, rv);
        atomic_fetch_add(&p->responses, 1);
        break;
    }
    default:
        break;
    }
    return ERG_REASON_NONE;
}

static erg_reason_t probe_handle_message(erg_proc_t *self, erg_pid_t from,
                                         erg_msg_t *msg) {
    (void)from;
    probe_t *p = P(self);
    const void *t = erg_msg_type(msg);
    if (t == PROBE_CMD)
        return probe_run(self, erg_msg_data(msg));
    if (t == PROBE_VAL) {
        probe_val_t *v = erg_msg_data(msg);
        if (v->sender >= 0 && v->sender < 64) {
            if (v->seq != p->last_seq[v->sender] + 1)
                atomic_fetch_add(&p->fifo_errors, 1);
            p->last_seq[v->sender] = v->seq;
        }
        long n = atomic_fetch_add(&p->norder, 1);
        if (n < 16)
            atomic_store(&p->order[n], v->seq);
        atomic_store(&p->last_val, v->seq);
        atomic_fetch_add(&p->values, 1);
    } else if (t == ERG_TYPE_EXIT) {
        erg_exit_t *ex = erg_msg_data(msg);
        atomic_store(&p->exit_reason, ex->reason);
        atomic_fetch_add(&p->exits, 1);
    } else if (t == ERG_TYPE_DOWN) {
        erg_down_t *d = erg_msg_data(msg);
        atomic_store(&p->down_reason, d->reason);
        atomic_store(&p->down_kind, d->target.kind);
        atomic_fetch_add(&p->downs, 1);
    } else if (t == ERG_TYPE_FALLBACK) {
        erg_fallback_t *fb = erg_msg_data(msg);
        atomic_store(&p->fallback_val,
                     ((probe_val_t *)erg_msg_data(fb->msg))->seq);
        atomic_fetch_add(&p->fallbacks, 1);
    } else if (t == ERG_TYPE_EVENT_START) {
        atomic_fetch_add(&p->starts, 1);
    } else if (t == ERG_TYPE_EVENT_STOP) {
        atomic_fetch_add(&p->stops, 1);
    } else if (t == ERG_TYPE_LOG) {
        atomic_fetch_add(&p->logs, 1);
    }
    return ERG_REASON_NONE;
}

static erg_reason_t probe_handle_call(erg_proc_t *self, erg_pid_t from,
                                      erg_ref_t ref, erg_msg_t *request,
                                      erg_msg_t **reply) {
    probe_t *p = P(self);
    atomic_fetch_add(&p->calls, 1);
    if (p->reply_later) {
        p->caller = from;
        p->caller_ref = ref;
        atomic_store(&p->have_caller, true);
        return ERG_REASON_NONE;
    }
    probe_val_t *v = erg_msg_data(request);
    *reply = probe_val_msg(v->seq + 1, p->index);
    return ERG_REASON_NONE;
}

static erg_reason_t probe_handle_event(erg_proc_t *self,
                                       const erg_event_msg_t *ev) {
    probe_t *p = P(self);
    atomic_store(&p->last_event, ((probe_val_t *)erg_msg_data(ev->msg))->seq);
    atomic_fetch_add(&p->events, 1);
    return ERG_REASON_NONE;
}

static void probe_terminate(erg_proc_t *self, erg_reason_t reason) {
    probe_t *p = P(self);
    atomic_store(&p->term_reason, reason);
    atomic_fetch_add(&p->terminated, 1);
}

static erg_reason_t probe_init_cb(erg_proc_t *self, void *args) {
    probe_t *p = args;
    ((probe_state_t *)erg_proc_state(self))->p = p;
    p->pid = erg_self(self);
    atomic_store(&p->in_init, true);
    if (p->init_blocks)
        while (!atomic_load(&p->init_release))
            probe_sleep_ms(1);
    if (p->init_call_name != NULL) {
        erg_msg_t *reply = NULL;
        erg_msg_t *req = probe_val_msg(41, p->index);
        erg_err_t rv = erg_call(self, erg_to_name(p->init_call_name), req, 0,
                                &reply);
        if (rv == ERG_OK) {
            atomic_store(&p->call_value,
                         ((probe_val_t *)erg_msg_data(reply))->seq);
            erg_msg_release(reply);
        } else {
            erg_msg_release(req);
        }
        atomic_store(&p->init_call_status, rv);
    }
    return p->init_reason;
}

static const erg_behavior_t probe_behavior = {
    .name = "probe",
    .state_size = sizeof(probe_state_t),
    .init = probe_init_cb,
    .handle_message = probe_handle_message,
    .handle_call = probe_handle_call,
    .handle_event = probe_handle_event,
    .terminate = probe_terminate,
};

static inline erg_pid_t probe_spawn(erg_node_t *node, probe_t *p,
                                    const erg_spawn_opts_t *opts) {
    erg_pid_t pid;
    ERG_PASS(erg_node_spawn(node, &probe_behavior, opts, p, &pid));
    return pid;
}

static inline probe_cmd_t probe_op(probe_op_t op, erg_target_t t) {
    probe_cmd_t c;
    memset(&c, 0, sizeof(c));
    c.op = op;
    c.target = t;
    if ((t.kind == ERG_TARGET_NAME || t.kind == ERG_TARGET_EVENT) &&
        t.name != NULL)
        snprintf(c.name, sizeof(c.name), "%s", t.name);
    return c;
}

#endif /* ERG_TEST_PROBE_H */
