/* SPDX-License-Identifier: MIT */
/* main.c: a tour of erg's processes: ping-pong, a call, a link and an exit. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "erg/erg.h"

/*
 * Message types are addresses: any object of ours will do. Generated code
 * (idlc) uses descriptors instead; the runtime only compares pointers.
 */
static const char ping_type[] = "example.ping";
static const char add_type[] = "example.add";

typedef struct add_s {
    int a, b;
} add_t;

static atomic_int finished; /* each demo adds one when it is done */

/* --- pong: answers every ping with the same message ----------------------- */

static erg_reason_t pong_init(erg_proc_t *self, void *args) {
    (void)args;
    return (erg_reason_t)erg_register_name(self, "pong");
}

static erg_reason_t pong_message(erg_proc_t *self, erg_pid_t from,
                                 erg_msg_t *msg) {
    if (erg_msg_type(msg) != (const void *)ping_type)
        return ERG_REASON_NONE;
    /* We only borrow msg: retain it to send it back. */
    erg_msg_retain(msg);
    if (erg_send(self, erg_to_pid(from), msg) != ERG_OK)
        erg_msg_release(msg);
    return ERG_REASON_NONE;
}

static const erg_behavior_t pong = {
    .name = "pong", .init = pong_init, .handle_message = pong_message};

/* --- ping: sends a ball to "pong" and counts the returns ------------------ */

typedef struct ping_state_s {
    int left;
} ping_state_t;

static erg_reason_t ping_init(erg_proc_t *self, void *args) {
    ping_state_t *st = erg_proc_state(self);
    st->left = *(int *)args;
    erg_msg_t *ball;
    erg_err_t rv = erg_msg_new(ping_type, 0, &ball);
    if (rv == ERG_OK && (rv = erg_send(self, erg_to_name("pong"), ball)) !=
                            ERG_OK)
        erg_msg_release(ball);
    return (erg_reason_t)rv; /* ERG_OK is ERG_REASON_NONE: keep running */
}

static erg_reason_t ping_message(erg_proc_t *self, erg_pid_t from,
                                 erg_msg_t *msg) {
    (void)from;
    ping_state_t *st = erg_proc_state(self);
    if (--st->left == 0) {
        erg_log(self, ERG_LOG_INFO, "ping-pong done");
        atomic_fetch_add(&finished, 1);
        return ERG_REASON_NORMAL; /* terminate, normally */
    }
    erg_msg_retain(msg);
    if (erg_send(self, erg_to_name("pong"), msg) != ERG_OK)
        erg_msg_release(msg);
    return ERG_REASON_NONE;
}

static const erg_behavior_t ping = {.name = "ping",
                                    .state_size = sizeof(ping_state_t),
                                    .init = ping_init,
                                    .handle_message = ping_message};

/* --- adder: a server answering calls -------------------------------------- */

static erg_reason_t adder_init(erg_proc_t *self, void *args) {
    (void)self;
    (void)args;
    return ERG_REASON_NONE;
}

static erg_reason_t adder_call(erg_proc_t *self, erg_pid_t from,
                               erg_ref_t ref, erg_msg_t *request,
                               erg_msg_t **reply) {
    (void)self;
    (void)from;
    (void)ref;
    const add_t *in = erg_msg_data(request);
    int sum = in->a + in->b;
    /* The runtime takes *reply and sends it to the caller. */
    return erg_msg_new_copy(NULL, &sum, sizeof(sum), reply) == ERG_OK
               ? ERG_REASON_NONE
               : ERG_REASON_PANIC;
}

static const erg_behavior_t adder = {
    .name = "adder", .init = adder_init, .handle_call = adder_call};

/* --- supervisor-ish: links to a worker and traps its exit ----------------- */

static erg_reason_t worker_init(erg_proc_t *self, void *args) {
    (void)args;
    /* Ask to be stopped in 50 ms with a reason of our own. */
    return (erg_reason_t)erg_send_exit_after(self, erg_self(self),
                                             ERG_REASON_USER + 42, 50, NULL);
}

static const erg_behavior_t worker = {.name = "worker", .init = worker_init};

static erg_reason_t watcher_init(erg_proc_t *self, void *args) {
    (void)args;
    erg_set_trap_exit(self, true);
    erg_pid_t child;
    erg_err_t rv = erg_spawn(self, &worker, NULL, NULL, &child);
    if (rv == ERG_OK)
        rv = erg_link(self, erg_to_pid(child));
    return (erg_reason_t)rv;
}

static erg_reason_t watcher_message(erg_proc_t *self, erg_pid_t from,
                                    erg_msg_t *msg) {
    if (erg_msg_type(msg) == ERG_TYPE_EXIT) {
        const erg_exit_t *ex = erg_msg_data(msg);
        char pid[ERG_PID_STRLEN], why[32];
        erg_log(self, ERG_LOG_INFO, "linked %s exited: %s",
                erg_pid_format(from, pid, sizeof(pid)),
                erg_reason_string(ex->reason, why, sizeof(why)));
        atomic_fetch_add(&finished, 1);
        return ERG_REASON_NORMAL;
    }
    return ERG_REASON_NONE;
}

static const erg_behavior_t watcher = {.name = "watcher",
                                       .init = watcher_init,
                                       .handle_message = watcher_message};

int main(void) {
    erg_node_t *node;
    erg_err_t rv = erg_node_start("example@localhost", NULL, &node);
    if (rv != ERG_OK) {
        fprintf(stderr, "node: %s\n", erg_strerror(rv));
        return 1;
    }
    erg_pid_t pid;
    int rounds = 1000;
    if ((rv = erg_node_spawn(node, &pong, NULL, NULL, &pid)) != ERG_OK ||
        (rv = erg_node_spawn(node, &ping, NULL, &rounds, &pid)) != ERG_OK ||
        (rv = erg_node_spawn(node, &watcher, NULL, NULL, &pid)) != ERG_OK ||
        (rv = erg_node_spawn(node, &adder, NULL, NULL, &pid)) != ERG_OK) {
        fprintf(stderr, "spawn: %s\n", erg_strerror(rv));
        erg_node_stop(node);
        return 1;
    }

    /* A call from outside any process; the request is ours until ERG_OK. */
    add_t in = {2, 40};
    erg_msg_t *req, *reply;
    if (erg_msg_new_copy(add_type, &in, sizeof(in), &req) == ERG_OK) {
        rv = erg_node_call(node, erg_to_pid(pid), req, 1000, &reply);
        if (rv == ERG_OK) {
            printf("2 + 40 = %d\n", *(int *)erg_msg_data(reply));
            erg_msg_release(reply);
        } else {
            printf("call failed: %s\n", erg_strerror(rv));
            erg_msg_release(req);
        }
    }

    while (atomic_load(&finished) < 2) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    printf("processes left: %llu\n",
           (unsigned long long)erg_node_process_count(node));
    /* Graceful: the rest get a shutdown exit and terminate. */
    return erg_node_stop(node) == ERG_OK ? 0 : 1;
}
