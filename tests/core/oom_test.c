/* SPDX-License-Identifier: MIT */
/* oom_test.c: the process layer under allocation failure. For every n, the
 * nth allocation from a point on (and all after it) fails while a burst of
 * operations runs: spawn, send, call, request, link, monitor, names,
 * aliases, events, timers. Every operation must either work or fail with
 * an error; then allocation works again, the node stops, and nothing
 * leaked. */
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "erg/erg.h"
#include "testutil.h"

static erg_reason_t echo_init(erg_proc_t *self, void *args) {
    (void)self;
    (void)args;
    return ERG_REASON_NONE;
}

static erg_reason_t echo_call(erg_proc_t *self, erg_pid_t from, erg_ref_t ref,
                              erg_msg_t *request, erg_msg_t **reply) {
    (void)self;
    (void)from;
    (void)ref;
    erg_msg_retain(request);
    *reply = request;
    return ERG_REASON_NONE;
}

static const erg_behavior_t echo = {
    .name = "echo",
    .init = echo_init,
    .handle_call = echo_call,
};

static erg_reason_t on_response(erg_proc_t *self, erg_ref_t ref,
                                erg_err_t status, erg_msg_t *reply,
                                void *arg) {
    (void)self;
    (void)ref;
    (void)status;
    (void)reply;
    (void)arg;
    return ERG_REASON_NONE;
}

/* Runs in a process: everything a handler may do, each allowed to fail. */
static erg_reason_t burst_init(erg_proc_t *self, void *args) {
    erg_pid_t peer = *(erg_pid_t *)args;
    erg_msg_t *m = NULL;
    if (erg_msg_new(NULL, 16, &m) == ERG_OK &&
        erg_send(self, erg_to_pid(peer), m) != ERG_OK)
        erg_msg_release(m);
    erg_msg_t *reply = NULL;
    /* A call takes the request only when it succeeds. */
    if (erg_msg_new(NULL, 16, &m) == ERG_OK) {
        if (erg_call(self, erg_to_pid(peer), m, 2000, &reply) == ERG_OK)
            erg_msg_release(reply);
        else
            erg_msg_release(m);
    }
    if (erg_msg_new(NULL, 16, &m) == ERG_OK &&
        erg_request(self, erg_to_pid(peer), m, 2000, on_response, NULL,
                    NULL) != ERG_OK)
        erg_msg_release(m);
    erg_link(self, erg_to_pid(peer));
    erg_ref_t ref;
    erg_monitor(self, erg_to_pid(peer), &ref);
    erg_register_name(self, "burst");
    erg_alias_t alias;
    erg_alias_create(self, &alias);
    erg_event_opts_t eo = {true, 2};
    erg_ref_t token;
    if (erg_event_register(self, "burst-event", &eo, &token) == ERG_OK &&
        erg_msg_new(NULL, 8, &m) == ERG_OK &&
        erg_event_send(self, "burst-event", token, m) != ERG_OK)
        erg_msg_release(m);
    uint64_t timer;
    if (erg_msg_new(NULL, 8, &m) == ERG_OK &&
        erg_send_after(self, erg_to_pid(peer), m, 1, ERG_PRIORITY_NORMAL,
                       &timer) != ERG_OK)
        erg_msg_release(m);
    erg_pid_t child;
    erg_spawn(self, &echo, NULL, NULL, &child);
    return ERG_REASON_NONE;
}

static const erg_behavior_t burst = {.name = "burst", .init = burst_init};

static void test_process_layer_out_of_memory(void **state) {
    (void)state;
    /* Until n is past the burst's last allocation: every failure point
     * was visited. */
    bool covered = false;
    for (long n = 1; n <= 4000 && !covered; n++) {
        erg_test_alloc_install();
        erg_node_opts_t o;
        erg_node_opts_init(&o);
        o.workers = 2;
        o.no_default_logger = true;
        erg_node_t *node = NULL;
        ERG_PASS(erg_node_start("oom@localhost", &o, &node));
        erg_pid_t peer, pid;
        ERG_PASS(erg_node_spawn(node, &echo, NULL, NULL, &peer));
        long before = erg_test_alloc_count();
        erg_test_alloc_fail_after(n);
        erg_err_t rv = erg_node_spawn(node, &burst, NULL, &peer, &pid);
        assert_true(rv == ERG_OK || rv < 0);
        erg_msg_t *m = NULL, *reply = NULL;
        if (erg_msg_new(NULL, 8, &m) == ERG_OK) {
            if (erg_node_call(node, erg_to_pid(peer), m, 2000, &reply) ==
                ERG_OK)
                erg_msg_release(reply);
            else
                erg_msg_release(m);
        }
        /* Let what the burst started (timers, requests) settle first. */
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
        covered = erg_test_alloc_count() - before < n;
        erg_test_alloc_fail_after(0);
        ERG_PASS(erg_node_stop(node));
        erg_test_alloc_check_and_remove();
    }
    assert_true(covered);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_process_layer_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
