/* SPDX-License-Identifier: MIT */
/* timer_test.c: the timer thread, and send/exit after a delay with cancel. */
#include "probe.h"

#include "core/timer.h"
#include "util/alloc.h"

typedef struct tick_s {
    erg__timer_t t;
    atomic_long *fired;
    atomic_long *dropped;
    long order;
    atomic_long *seq;
    long at;
} tick_t;

static void tick_fire(erg__timer_t *t) {
    tick_t *k = (tick_t *)t;
    k->at = atomic_fetch_add(k->seq, 1);
    atomic_fetch_add(k->fired, 1);
}

static void tick_drop(erg__timer_t *t) {
    atomic_fetch_add(((tick_t *)t)->dropped, 1);
}

static void test_timer_fires_once_and_cancel_drops(void **state) {
    (void)state;
    erg__timers_t *tm;
    ERG_PASS(erg__timers_new(&tm));
    atomic_long fired = 0, dropped = 0, seq = 0;
    enum { N = 20 };
    for (int i = 0; i < N; i++) {
        tick_t *k = erg__calloc(1, sizeof(*k));
        assert_non_null(k);
        k->t.fire = tick_fire;
        k->t.drop = tick_drop;
        k->fired = &fired;
        k->dropped = &dropped;
        k->seq = &seq;
        ERG_PASS(erg__timers_add(tm, &k->t, (uint64_t)i + 1,
                                 i % 2 == 0 ? 10 : 5000));
    }
    /* Cancel the long ones: half right away, half once they are armed. */
    for (int i = 1; i < N / 2; i += 2)
        ERG_PASS(erg__timers_cancel(tm, (uint64_t)i + 1));
    probe_sleep_ms(30);
    for (int i = N / 2 + 1; i < N; i += 2)
        ERG_PASS(erg__timers_cancel(tm, (uint64_t)i + 1));
    assert_true(probe_wait(&fired, N / 2));
    assert_true(probe_wait(&dropped, N / 2));
    ERG_FAIL(erg__timers_cancel(tm, 1), ERG_ENOENT); /* fired */
    ERG_FAIL(erg__timers_cancel(tm, 2), ERG_ENOENT); /* cancelled */
    /* Pending timers at free are dropped, never fired. */
    tick_t *k = erg__calloc(1, sizeof(*k));
    k->t.fire = tick_fire;
    k->t.drop = tick_drop;
    k->fired = &fired;
    k->dropped = &dropped;
    k->seq = &seq;
    ERG_PASS(erg__timers_add(tm, &k->t, 100, 60000));
    erg__timers_free(tm);
    assert_int_equal(atomic_load(&fired), N / 2);
    assert_int_equal(atomic_load(&dropped), N / 2 + 1);
}

static erg_reason_t later_init(erg_proc_t *self, void *args) {
    probe_t *p = args;
    ((probe_state_t *)erg_proc_state(self))->p = p;
    p->pid = erg_self(self);
    uint64_t keep, drop;
    erg_msg_t *a = probe_val_msg(1, -1), *b = probe_val_msg(2, -1);
    if (erg_send_after(self, erg_to_pid(p->pid), a, 30, ERG_PRIORITY_NORMAL,
                       &keep) != ERG_OK ||
        erg_send_after(self, erg_to_pid(p->pid), b, 30, ERG_PRIORITY_HIGH,
                       &drop) != ERG_OK)
        return ERG_REASON_PANIC;
    if (erg_timer_cancel(erg_proc_node(self), drop) != ERG_OK)
        return ERG_REASON_PANIC;
    if (erg_send_exit_after(self, p->pid, ERG_REASON_USER + 4, 80, NULL) !=
        ERG_OK)
        return ERG_REASON_PANIC;
    return ERG_REASON_NONE;
}

static erg_reason_t later_message(erg_proc_t *self, erg_pid_t from,
                                  erg_msg_t *msg) {
    return probe_handle_message(self, from, msg);
}

static const erg_behavior_t later_behavior = {
    .name = "later",
    .state_size = sizeof(probe_state_t),
    .init = later_init,
    .handle_message = later_message,
    .terminate = probe_terminate,
};

static void test_timer_send_after_delivers_cancel_and_exit_after(
    void **state) {
    (void)state;
    erg_node_t *node = probe_node(2);
    probe_t p;
    probe_init(&p, 0);
    erg_pid_t pid;
    ERG_PASS(erg_node_spawn(node, &later_behavior, NULL, &p, &pid));
    assert_true(probe_wait(&p.values, 1));
    assert_int_equal(atomic_load(&p.last_val), 1);
    assert_true(probe_wait(&p.terminated, 1));
    assert_int_equal(atomic_load(&p.term_reason), ERG_REASON_USER + 4);
    assert_int_equal(atomic_load(&p.values), 1); /* the cancelled one */
    ERG_PASS(erg_node_stop(node));
}

#define T(f) ERG_TEST_WITH_ALLOC(f)

int main(void) {
    const struct CMUnitTest tests[] = {
        T(test_timer_fires_once_and_cancel_drops),
        T(test_timer_send_after_delivers_cancel_and_exit_after),
    };
    return cmocka_run_group_tests_name("core.timer", tests, NULL, NULL);
}
