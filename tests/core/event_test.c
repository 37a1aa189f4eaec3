/* SPDX-License-Identifier: MIT */
/* event_test.c: registration, publishing, the buffer, notes, subscriptions. */
#include "probe.h"

#include "erg/event.h"

typedef struct producer_s {
    erg_event_opts_t opts;
    erg_ref_t token;
    atomic_long registered;
    atomic_long starts, stops;
    atomic_long status;
} producer_t;

static const char publish_type[] = "test.publish";
static const char unregister_type[] = "test.unregister";

static erg_reason_t producer_init(erg_proc_t *self, void *args) {
    producer_t *pr = args;
    *(producer_t **)erg_proc_state(self) = pr;
    erg_err_t rv = erg_event_register(self, "news", &pr->opts, &pr->token);
    if (rv != ERG_OK)
        return (erg_reason_t)rv;
    /* A second registration of the same name is refused. */
    erg_ref_t t2;
    if (erg_event_register(self, "news", NULL, &t2) != ERG_ETAKEN)
        return ERG_REASON_PANIC;
    atomic_fetch_add(&pr->registered, 1);
    return ERG_REASON_NONE;
}

static erg_reason_t producer_message(erg_proc_t *self, erg_pid_t from,
                                     erg_msg_t *msg) {
    (void)from;
    producer_t *pr = *(producer_t **)erg_proc_state(self);
    const void *t = erg_msg_type(msg);
    if (t == ERG_TYPE_EVENT_START) {
        atomic_fetch_add(&pr->starts, 1);
    } else if (t == ERG_TYPE_EVENT_STOP) {
        atomic_fetch_add(&pr->stops, 1);
    } else if (t == (const void *)publish_type) {
        long v = *(long *)erg_msg_data(msg);
        erg_msg_t *m = probe_val_msg(v, -1);
        erg_err_t rv = erg_event_send(self, "news", pr->token, m);
        if (rv != ERG_OK)
            erg_msg_release(m);
        atomic_store(&pr->status, rv);
    } else if (t == (const void *)unregister_type) {
        atomic_store(&pr->status, erg_event_unregister(self, "news"));
    }
    return ERG_REASON_NONE;
}

static const erg_behavior_t producer_behavior = {
    .name = "producer",
    .state_size = sizeof(producer_t *),
    .init = producer_init,
    .handle_message = producer_message,
};

static void publish(erg_node_t *node, erg_pid_t pid, long v) {
    erg_msg_t *m;
    ERG_PASS(erg_msg_new_copy(publish_type, &v, sizeof(v), &m));
    ERG_PASS(erg_node_send(node, erg_to_pid(pid), m, 0));
}

static void test_event_subscribers_get_buffer_then_new_messages(
    void **state) {
    (void)state;
    erg_node_t *node = probe_node(2);
    producer_t pr = {.opts = {.notify = true, .buffer = 2}};
    erg_pid_t ppid;
    ERG_PASS(erg_node_spawn(node, &producer_behavior, NULL, &pr, &ppid));
    for (long v = 1; v <= 3; v++)
        publish(node, ppid, v);
    probe_sleep_ms(20);
    probe_t a, b;
    probe_init(&a, 0);
    probe_init(&b, 1);
    erg_pid_t apid = probe_spawn(node, &a, NULL);
    erg_pid_t bpid = probe_spawn(node, &b, NULL);
    probe_do(node, apid, probe_op(OP_LINK, erg_to_event("news")));
    assert_true(probe_wait(&a.responses, 1));
    ERG_PASS((erg_err_t)atomic_load(&a.call_status));
    /* The buffer keeps the last two: 2 and 3. */
    assert_true(probe_wait(&a.events, 2));
    assert_int_equal(atomic_load(&a.last_event), 3);
    assert_true(probe_wait(&pr.starts, 1));
    probe_do(node, bpid, probe_op(OP_MONITOR, erg_to_event("news")));
    assert_true(probe_wait(&b.responses, 1));
    unsigned n = 0;
    ERG_PASS(erg_node_event_subscribers(node, "news", &n));
    assert_int_equal(n, 2);
    publish(node, ppid, 4);
    assert_true(probe_wait(&a.events, 3));
    assert_true(probe_wait(&b.events, 3));
    assert_int_equal(atomic_load(&a.last_event), 4);
    assert_int_equal(atomic_load(&b.last_event), 4);
    /* Unsubscribing everyone tells the producer once. */
    probe_do(node, apid, probe_op(OP_UNLINK, erg_to_event("news")));
    probe_do(node, bpid, probe_op(OP_DEMONITOR, erg_to_event("news")));
    assert_true(probe_wait(&pr.stops, 1));
    assert_int_equal(atomic_load(&pr.starts), 1);
    ERG_PASS(erg_node_stop(node));
}

static void test_event_unregister_and_producer_exit_notify_once(
    void **state) {
    (void)state;
    erg_node_t *node = probe_node(2);
    producer_t pr = {.opts = {0}};
    erg_pid_t ppid;
    ERG_PASS(erg_node_spawn(node, &producer_behavior, NULL, &pr, &ppid));
    probe_t l, m;
    probe_init(&l, 0);
    probe_init(&m, 1);
    erg_pid_t lpid = probe_spawn(node, &l, NULL);
    erg_pid_t mpid = probe_spawn(node, &m, NULL);
    probe_cmd_t trap = probe_op(OP_TRAP, erg_to_pid(lpid));
    trap.n = 1;
    probe_do(node, lpid, trap);
    probe_do(node, lpid, probe_op(OP_LINK, erg_to_event("news")));
    probe_do(node, mpid, probe_op(OP_MONITOR, erg_to_event("news")));
    assert_true(probe_wait(&l.responses, 2));
    assert_true(probe_wait(&m.responses, 1));
    erg_msg_t *u;
    ERG_PASS(erg_msg_new(unregister_type, 0, &u));
    ERG_PASS(erg_node_send(node, erg_to_pid(ppid), u, 0));
    assert_true(probe_wait(&l.exits, 1));
    assert_true(probe_wait(&m.downs, 1));
    assert_int_equal(atomic_load(&l.exit_reason), ERG_EUNREGISTERED);
    assert_int_equal(atomic_load(&m.down_reason), ERG_EUNREGISTERED);
    assert_int_equal(atomic_load(&m.down_kind), ERG_TARGET_EVENT);
    unsigned n;
    ERG_FAIL(erg_node_event_subscribers(node, "news", &n), ERG_ENOEVENT);
    /* Subscribing to an unknown event fails at once. */
    probe_do(node, mpid, probe_op(OP_MONITOR, erg_to_event("news")));
    assert_true(probe_wait(&m.responses, 2));
    assert_int_equal(atomic_load(&m.call_status), ERG_ENOEVENT);

    /* A new producer; its exit reason reaches the subscribers. */
    producer_t pr2 = {.opts = {0}};
    erg_pid_t p2;
    ERG_PASS(erg_node_spawn(node, &producer_behavior, NULL, &pr2, &p2));
    probe_do(node, mpid, probe_op(OP_MONITOR, erg_to_event("news")));
    assert_true(probe_wait(&m.responses, 3));
    ERG_PASS((erg_err_t)atomic_load(&m.call_status));
    ERG_PASS(erg_node_send_exit(node, p2, ERG_REASON_USER + 9));
    assert_true(probe_wait(&m.downs, 2));
    assert_int_equal(atomic_load(&m.down_reason), ERG_REASON_USER + 9);
    probe_sleep_ms(20);
    assert_int_equal(atomic_load(&m.downs), 2);
    assert_int_equal(atomic_load(&l.exits), 1);
    ERG_PASS(erg_node_stop(node));
}

static void test_event_publishing_needs_the_token(void **state) {
    (void)state;
    erg_node_t *node = probe_node(1);
    producer_t pr = {.opts = {0}};
    erg_pid_t ppid;
    ERG_PASS(erg_node_spawn(node, &producer_behavior, NULL, &pr, &ppid));
    pr.token.id += 1; /* a wrong token */
    publish(node, ppid, 1);
    for (int i = 0; i < 1000 && atomic_load(&pr.status) == 0; i++)
        probe_sleep_ms(1);
    assert_int_equal(atomic_load(&pr.status), ERG_ENOTOWNER);
    ERG_PASS(erg_node_stop(node));
}

#define T(f) ERG_TEST_WITH_ALLOC(f)

int main(void) {
    const struct CMUnitTest tests[] = {
        T(test_event_subscribers_get_buffer_then_new_messages),
        T(test_event_unregister_and_producer_exit_notify_once),
        T(test_event_publishing_needs_the_token),
    };
    return cmocka_run_group_tests_name("core.event", tests, NULL, NULL);
}
