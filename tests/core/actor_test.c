/* SPDX-License-Identifier: MIT */
/* actor_test.c: spawning, delivery order, limits, kill, exits, links, calls. */
#include "probe.h"

#include <stdlib.h>
#include <time.h>

#include "erg/event.h"

static erg_pid_t spawn_probe(erg_node_t *node, probe_t *p, int index) {
    probe_init(p, index);
    return probe_spawn(node, p, NULL);
}

static void test_actor_spawn_runs_init_and_handles_messages(void **state) {
    (void)state;
    erg_node_t *node = probe_node(2);
    probe_t p;
    erg_pid_t pid = spawn_probe(node, &p, 0);
    assert_true(erg_pid_equal(pid, p.pid));
    for (long i = 0; i < 100; i++)
        ERG_PASS(erg_node_send(node, erg_to_pid(pid), probe_val_msg(i, 0), 0));
    assert_true(probe_wait(&p.values, 100));
    assert_int_equal(atomic_load(&p.fifo_errors), 0);
    assert_int_equal(erg_node_process_count(node), 1);
    ERG_PASS(erg_node_stop(node));
    assert_int_equal(atomic_load(&p.terminated), 1);
    assert_int_equal(atomic_load(&p.term_reason), ERG_REASON_SHUTDOWN);
}

static void test_actor_keeps_fifo_per_sender(void **state) {
    (void)state;
    enum { SENDERS = 8, EACH = 20000 };
    erg_node_t *node = probe_node(2);
    probe_t rx, tx[SENDERS];
    erg_pid_t rpid = spawn_probe(node, &rx, 100);
    erg_pid_t tpid[SENDERS];
    for (int i = 0; i < SENDERS; i++)
        tpid[i] = spawn_probe(node, &tx[i], i);
    for (int i = 0; i < SENDERS; i++) {
        probe_cmd_t c = probe_op(OP_SEND, erg_to_pid(rpid));
        c.n = EACH;
        probe_do(node, tpid[i], c);
    }
    assert_true(probe_wait(&rx.values, SENDERS * EACH));
    assert_int_equal(atomic_load(&rx.fifo_errors), 0);
    for (int i = 0; i < SENDERS; i++)
        assert_int_equal(rx.last_seq[i], EACH - 1);
    ERG_PASS(erg_node_stop(node));
}

static void test_actor_drains_max_then_high_then_normal(void **state) {
    (void)state;
    erg_node_t *node = probe_node(2);
    probe_t p;
    erg_pid_t pid = spawn_probe(node, &p, 0);
    probe_do(node, pid, probe_op(OP_GATE, erg_to_pid(pid)));
    while (!atomic_load(&p.in_gate))
        probe_sleep_ms(1);
    /* Values encode the priority: 0.. normal, 10.. high, 20.. max. */
    for (long i = 0; i < 3; i++) {
        ERG_PASS(erg_node_send(node, erg_to_pid(pid), probe_val_msg(i, -1),
                               ERG_PRIORITY_NORMAL));
        ERG_PASS(erg_node_send(node, erg_to_pid(pid),
                               probe_val_msg(10 + i, -1), ERG_PRIORITY_HIGH));
        ERG_PASS(erg_node_send(node, erg_to_pid(pid),
                               probe_val_msg(20 + i, -1), ERG_PRIORITY_MAX));
    }
    atomic_store(&p.gate, true);
    assert_true(probe_wait(&p.values, 9));
    static const long want[9] = {20, 21, 22, 10, 11, 12, 0, 1, 2};
    for (int i = 0; i < 9; i++)
        assert_int_equal(atomic_load(&p.order[i]), want[i]);
    ERG_PASS(erg_node_stop(node));
}

static void test_actor_full_mailbox_refuses_then_uses_fallback(void **state) {
    (void)state;
    erg_node_t *node = probe_node(2);
    probe_t full, fb;
    erg_spawn_opts_t o;
    erg_spawn_opts_init(&o);
    o.mailbox_limit = 2;
    probe_init(&full, 0);
    erg_pid_t pid = probe_spawn(node, &full, &o);
    probe_do(node, pid, probe_op(OP_GATE, erg_to_pid(pid)));
    while (!atomic_load(&full.in_gate))
        probe_sleep_ms(1);
    ERG_PASS(erg_node_send(node, erg_to_pid(pid), probe_val_msg(0, -1), 0));
    ERG_PASS(erg_node_send(node, erg_to_pid(pid), probe_val_msg(1, -1), 0));
    erg_msg_t *m = probe_val_msg(2, -1);
    ERG_FAIL(erg_node_send(node, erg_to_pid(pid), m, 0), ERG_EMBOXFULL);
    /* High priority mail is not limited. */
    ERG_PASS(erg_node_send(node, erg_to_pid(pid), probe_val_msg(3, -1),
                           ERG_PRIORITY_HIGH));
    erg_msg_release(m); /* refused: still ours */
    atomic_store(&full.gate, true);
    assert_true(probe_wait(&full.values, 3));

    probe_init(&fb, 1);
    o.register_name = "fallback";
    erg_pid_t fbpid = probe_spawn(node, &fb, &o);
    (void)fbpid;
    erg_spawn_opts_init(&o);
    o.mailbox_limit = 1;
    o.fallback_name = "fallback";
    o.fallback_tag = "overflow";
    probe_t small;
    probe_init(&small, 2);
    erg_pid_t spid = probe_spawn(node, &small, &o);
    probe_do(node, spid, probe_op(OP_GATE, erg_to_pid(spid)));
    while (!atomic_load(&small.in_gate))
        probe_sleep_ms(1);
    ERG_PASS(erg_node_send(node, erg_to_pid(spid), probe_val_msg(7, -1), 0));
    ERG_PASS(erg_node_send(node, erg_to_pid(spid), probe_val_msg(8, -1), 0));
    assert_true(probe_wait(&fb.fallbacks, 1));
    assert_int_equal(atomic_load(&fb.fallback_val), 8);
    atomic_store(&small.gate, true);
    assert_true(probe_wait(&small.values, 1));
    assert_int_equal(atomic_load(&small.last_val), 7);
    ERG_PASS(erg_node_stop(node));
}

typedef struct spawner_s {
    erg_node_t *node;
    probe_t *p;
    erg_spawn_opts_t opts;
    erg_err_t rv;
    erg_pid_t pid;
} spawner_t;

static void *spawn_thread(void *arg) {
    spawner_t *s = arg;
    s->rv = erg_node_spawn(s->node, &probe_behavior, &s->opts, s->p, &s->pid);
    return NULL;
}

static void test_actor_kill_during_init_fires_once_and_fails_spawn(
    void **state) {
    (void)state;
    erg_node_t *node = probe_node(2);
    probe_t w, slow;
    erg_pid_t wpid = spawn_probe(node, &w, 0);
    probe_init(&slow, 1);
    slow.init_blocks = true;
    spawner_t s = {.node = node, .p = &slow};
    erg_spawn_opts_init(&s.opts);
    s.opts.register_name = "slow";
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, spawn_thread, &s), 0);
    while (!atomic_load(&slow.in_init))
        probe_sleep_ms(1);
    /* Registered before init, so it can be monitored by name already. */
    probe_do(node, wpid, probe_op(OP_MONITOR, erg_to_name("slow")));
    assert_true(probe_wait(&w.responses, 1));
    assert_int_equal(atomic_load(&w.call_status), ERG_OK);
    erg_proc_info_t info;
    ERG_PASS(erg_node_process_info(node, slow.pid, &info));
    assert_int_equal(info.state, ERG_PROC_INIT);
    ERG_PASS(erg_node_kill_process(node, slow.pid));
    ERG_FAIL(erg_node_kill_process(node, slow.pid), ERG_ENOPROC);
    assert_true(probe_wait(&w.downs, 1));
    assert_int_equal(atomic_load(&w.down_reason), ERG_REASON_KILL);
    assert_int_equal(atomic_load(&w.down_kind), ERG_TARGET_NAME);
    /* The name is free at once, while init still runs. */
    erg_pid_t none;
    ERG_FAIL(erg_node_resolve_name(node, "slow", &none), ERG_ENONAME);
    atomic_store(&slow.init_release, true);
    pthread_join(th, NULL);
    assert_int_equal(s.rv, ERG_ETERMINATED);
    assert_true(probe_wait(&slow.terminated, 1));
    assert_int_equal(atomic_load(&slow.term_reason), ERG_REASON_KILL);
    probe_sleep_ms(20);
    assert_int_equal(atomic_load(&w.downs), 1);
    ERG_PASS(erg_node_stop(node));
    assert_int_equal(atomic_load(&slow.terminated), 1);
}

static void test_actor_init_failure_and_timeout_fail_spawn(void **state) {
    (void)state;
    erg_node_t *node = probe_node(2);
    probe_t a, b, c;
    erg_pid_t pid;
    probe_init(&a, 0);
    a.init_reason = (erg_reason_t)ERG_EINCORRECT;
    ERG_FAIL(erg_node_spawn(node, &probe_behavior, NULL, &a, &pid),
             ERG_EINCORRECT);
    probe_init(&b, 1);
    b.init_reason = ERG_REASON_USER + 1;
    ERG_FAIL(erg_node_spawn(node, &probe_behavior, NULL, &b, &pid),
             ERG_ETERMINATED);
    /* terminate runs for a process whose init ran. */
    assert_true(probe_wait(&b.terminated, 1));
    assert_int_equal(atomic_load(&b.term_reason), ERG_REASON_USER + 1);
    probe_init(&c, 2);
    c.init_blocks = true;
    erg_spawn_opts_t o;
    erg_spawn_opts_init(&o);
    o.init_timeout_ms = 100;
    ERG_FAIL(erg_node_spawn(node, &probe_behavior, &o, &c, &pid),
             ERG_ETIMEDOUT);
    atomic_store(&c.init_release, true);
    assert_true(probe_wait(&c.terminated, 1));
    assert_int_equal(atomic_load(&c.term_reason), ERG_ETIMEDOUT);
    ERG_FAIL(erg_node_spawn(node, NULL, NULL, NULL, &pid), ERG_EINVAL);
    /* A registered name is free again by the time the failed spawn
     * returns: a retry under it cannot find it taken. */
    for (int i = 0; i < 50; i++) {
        probe_t d;
        probe_init(&d, 3);
        d.init_reason = ERG_REASON_USER + 2;
        erg_spawn_opts_t named;
        erg_spawn_opts_init(&named);
        named.register_name = "retry";
        ERG_FAIL(erg_node_spawn(node, &probe_behavior, &named, &d, &pid),
                 ERG_ETERMINATED);
        erg_pid_t holder;
        ERG_FAIL(erg_node_resolve_name(node, "retry", &holder), ERG_ENONAME);
        assert_true(probe_wait(&d.terminated, 1));
    }
    ERG_PASS(erg_node_stop(node));
}

/* The init deadline without a timer per spawn: an init blocked in a call,
 * an init that hangs in C under an asynchronous spawn, and an init that
 * could not start in time. */
static uint64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void test_actor_init_blocked_in_a_call_times_out(void **state) {
    (void)state;
    erg_node_t *node = probe_node(2);
    probe_t mute, c;
    spawn_probe(node, &mute, 0);
    mute.reply_later = true; /* keeps callers waiting */
    probe_do(node, mute.pid, probe_op(OP_REG_NAME, erg_to_name("mute")));
    assert_true(probe_wait(&mute.responses, 1));
    probe_init(&c, 1);
    c.init_call_name = "mute";
    erg_spawn_opts_t o;
    erg_spawn_opts_init(&o);
    o.init_timeout_ms = 100;
    uint64_t t0 = mono_ms();
    erg_pid_t pid;
    ERG_FAIL(erg_node_spawn(node, &probe_behavior, &o, &c, &pid),
             ERG_ETIMEDOUT);
    /* Ended at the init deadline, not at the call's own 5 s timeout
     * (generous: this only tells the two apart). */
    assert_true(mono_ms() - t0 < 4000);
    assert_true(probe_wait(&c.terminated, 1));
    assert_int_equal(atomic_load(&c.term_reason), ERG_ETIMEDOUT);
    assert_int_equal(atomic_load(&c.init_call_status), ERG_ETERMINATED);
    ERG_PASS(erg_node_stop(node));
}

static void test_actor_hung_init_of_async_child_reaches_its_parent(
    void **state) {
    (void)state;
    erg_node_t *node = probe_node(2);
    probe_t parent, child;
    erg_pid_t ppid = spawn_probe(node, &parent, 0);
    probe_cmd_t trap = probe_op(OP_TRAP, erg_to_pid(ppid));
    trap.n = 1;
    probe_do(node, ppid, trap);
    assert_true(probe_wait(&parent.responses, 1));
    probe_init(&child, 1);
    child.init_blocks = true; /* spins in C until released */
    probe_cmd_t sp = probe_op(
        OP_SPAWN, erg_to_pid((erg_pid_t){0, 0, (uint64_t)(uintptr_t)&child}));
    sp.n = 2; /* the parent links to the child */
    sp.timeout_ms = 100;
    probe_do(node, ppid, sp);
    assert_true(probe_wait(&parent.responses, 2));
    ERG_PASS((erg_err_t)atomic_load(&parent.call_status));
    /* The parent learns while the child's init still spins. */
    assert_true(probe_wait(&parent.exits, 1));
    assert_int_equal(atomic_load(&parent.exit_reason), ERG_ETIMEDOUT);
    assert_true(atomic_load(&child.in_init));
    assert_int_equal(atomic_load(&child.terminated), 0);
    atomic_store(&child.init_release, true);
    assert_true(probe_wait(&child.terminated, 1));
    assert_int_equal(atomic_load(&child.term_reason), ERG_ETIMEDOUT);
    ERG_PASS(erg_node_stop(node));
}

static void *open_gate_later(void *arg) {
    probe_sleep_ms(300);
    atomic_store(&((probe_t *)arg)->gate, true);
    return NULL;
}

static void test_actor_init_that_cannot_start_in_time_never_runs(
    void **state) {
    (void)state;
    /* One worker, held by a handler spinning in a gate. */
    erg_node_t *node = probe_node(1);
    probe_t hog, c;
    erg_pid_t hpid = spawn_probe(node, &hog, 0);
    probe_do(node, hpid, probe_op(OP_GATE, erg_to_pid(hpid)));
    while (!atomic_load(&hog.in_gate))
        probe_sleep_ms(1);
    pthread_t opener;
    assert_int_equal(pthread_create(&opener, NULL, open_gate_later, &hog), 0);
    probe_init(&c, 1);
    erg_spawn_opts_t o;
    erg_spawn_opts_init(&o);
    o.init_timeout_ms = 50;
    erg_pid_t pid;
    ERG_FAIL(erg_node_spawn(node, &probe_behavior, &o, &c, &pid),
             ERG_ETIMEDOUT);
    pthread_join(opener, NULL);
    assert_false(atomic_load(&c.in_init));
    probe_sleep_ms(20);
    assert_int_equal(atomic_load(&c.terminated), 0); /* init never ran */
    assert_int_equal(erg_node_process_count(node), 1);
    ERG_PASS(erg_node_stop(node));
}

static void test_actor_names_route_and_free(void **state) {
    (void)state;
    erg_node_t *node = probe_node(2);
    probe_t a, b;
    erg_pid_t apid = spawn_probe(node, &a, 0);
    erg_pid_t bpid = spawn_probe(node, &b, 1);
    probe_cmd_t c = probe_op(OP_REG_NAME, erg_to_name("alpha"));
    probe_do(node, apid, c);
    assert_true(probe_wait(&a.responses, 1));
    ERG_PASS((erg_err_t)atomic_load(&a.call_status));
    probe_do(node, bpid, c);
    assert_true(probe_wait(&b.responses, 1));
    assert_int_equal(atomic_load(&b.call_status), ERG_ETAKEN);
    erg_pid_t got;
    ERG_PASS(erg_node_resolve_name(node, "alpha", &got));
    assert_true(erg_pid_equal(got, apid));
    char buf[64];
    ERG_PASS(erg_node_name_of(node, apid, buf, sizeof(buf)));
    assert_string_equal(buf, "alpha");
    ERG_PASS(erg_node_send(node, erg_to_name("alpha"), probe_val_msg(5, -1),
                           0));
    assert_true(probe_wait(&a.values, 1));
    erg_msg_t *m = probe_val_msg(6, -1);
    ERG_FAIL(erg_node_send(node, erg_to_name("beta"), m, 0), ERG_ENONAME);
    erg_msg_release(m);
    probe_do(node, apid, probe_op(OP_UNREG_NAME, erg_to_name("alpha")));
    assert_true(probe_wait(&a.responses, 2));
    ERG_FAIL(erg_node_resolve_name(node, "alpha", &got), ERG_ENONAME);
    ERG_PASS(erg_node_stop(node));
}

static void test_actor_stale_pid_and_remote_pid_fail_cleanly(void **state) {
    (void)state;
    erg_node_t *node = probe_node(1);
    probe_t a;
    erg_pid_t old = spawn_probe(node, &a, 0);
    ERG_PASS(erg_node_stop(node));
    node = probe_node(1);
    probe_t b;
    erg_pid_t fresh = spawn_probe(node, &b, 0);
    /* Same node name and, here, the same process id: only the creation
     * tells them apart. */
    assert_int_equal(old.id, fresh.id);
    assert_int_not_equal(old.creation, fresh.creation);
    erg_msg_t *m = probe_val_msg(1, -1);
    ERG_FAIL(erg_node_send(node, erg_to_pid(old), m, 0), ERG_EINCARNATION);
    erg_pid_t remote = fresh;
    remote.node = erg_node_hash("other@host");
    ERG_FAIL(erg_node_send(node, erg_to_pid(remote), m, 0), ERG_ENOCONN);
    erg_pid_t gone = fresh;
    gone.id += 1000;
    ERG_FAIL(erg_node_send(node, erg_to_pid(gone), m, 0), ERG_ENOPROC);
    erg_msg_release(m);
    probe_sleep_ms(10);
    assert_int_equal(atomic_load(&b.values), 0);
    ERG_PASS(erg_node_stop(node));
}

static void test_actor_process_sending_to_a_dead_pid_fails(void **state) {
    (void)state;
    /* One worker, so every send comes from the thread that keeps its
     * last resolved pid: the kept entry must not outlive the process. */
    erg_node_t *node = probe_node(1);
    probe_t a, b;
    erg_pid_t apid = spawn_probe(node, &a, 0);
    erg_pid_t bpid = spawn_probe(node, &b, 1);
    probe_cmd_t c = probe_op(OP_SEND, erg_to_pid(bpid));
    c.n = 10;
    probe_do(node, apid, c);
    assert_true(probe_wait(&b.values, 10));
    assert_int_equal(atomic_load(&a.send_status), ERG_OK);
    ERG_PASS(erg_node_kill_process(node, bpid));
    assert_true(probe_wait(&b.terminated, 1));
    probe_do(node, apid, c);
    assert_true(probe_wait(&a.sends_done, 2));
    assert_int_equal(atomic_load(&a.send_status), ERG_ENOPROC);
    assert_int_equal(atomic_load(&b.values), 10);
    ERG_PASS(erg_node_stop(node));
}

static void test_actor_monitors_fire_exactly_once_with_reason(void **state) {
    (void)state;
    enum { N = 50 };
    erg_node_t *node = probe_node(2);
    probe_t target, w[N];
    erg_pid_t tpid = spawn_probe(node, &target, 0);
    erg_pid_t wpid[N];
    for (int i = 0; i < N; i++) {
        wpid[i] = spawn_probe(node, &w[i], i + 1);
        probe_do(node, wpid[i], probe_op(OP_MONITOR, erg_to_pid(tpid)));
    }
    for (int i = 0; i < N; i++) {
        assert_true(probe_wait(&w[i].responses, 1));
        ERG_PASS((erg_err_t)atomic_load(&w[i].call_status));
    }
    /* A demonitor drops the down message. */
    probe_do(node, wpid[0], probe_op(OP_DEMONITOR, erg_to_pid(tpid)));
    assert_true(probe_wait(&w[0].responses, 2));
    probe_cmd_t c = probe_op(OP_EXIT, erg_to_pid(tpid));
    c.reason = ERG_REASON_USER + 7;
    probe_do(node, tpid, c);
    for (int i = 1; i < N; i++) {
        assert_true(probe_wait(&w[i].downs, 1));
        assert_int_equal(atomic_load(&w[i].down_reason), ERG_REASON_USER + 7);
    }
    probe_sleep_ms(20);
    for (int i = 1; i < N; i++)
        assert_int_equal(atomic_load(&w[i].downs), 1);
    assert_int_equal(atomic_load(&w[0].downs), 0);
    /* Monitoring what is gone fails at once. */
    probe_do(node, wpid[1], probe_op(OP_MONITOR, erg_to_pid(tpid)));
    assert_true(probe_wait(&w[1].responses, 2));
    assert_int_equal(atomic_load(&w[1].call_status), ERG_ENOPROC);
    ERG_PASS(erg_node_stop(node));
}

static void test_actor_links_terminate_or_deliver_when_trapped(void **state) {
    (void)state;
    erg_node_t *node = probe_node(2);
    probe_t target, trapper, plain, watcher;
    erg_pid_t tpid = spawn_probe(node, &target, 0);
    erg_pid_t trpid = spawn_probe(node, &trapper, 1);
    erg_pid_t plpid = spawn_probe(node, &plain, 2);
    erg_pid_t wpid = spawn_probe(node, &watcher, 3);
    probe_cmd_t trap = probe_op(OP_TRAP, erg_to_pid(trpid));
    trap.n = 1;
    probe_do(node, trpid, trap);
    probe_do(node, trpid, probe_op(OP_LINK, erg_to_pid(tpid)));
    probe_do(node, plpid, probe_op(OP_LINK, erg_to_pid(tpid)));
    probe_do(node, wpid, probe_op(OP_MONITOR, erg_to_pid(plpid)));
    assert_true(probe_wait(&trapper.responses, 2));
    assert_true(probe_wait(&plain.responses, 1));
    assert_true(probe_wait(&watcher.responses, 1));
    ERG_PASS((erg_err_t)atomic_load(&trapper.call_status));
    /* Linking twice is refused. */
    probe_do(node, plpid, probe_op(OP_LINK, erg_to_pid(tpid)));
    assert_true(probe_wait(&plain.responses, 2));
    assert_int_equal(atomic_load(&plain.call_status), ERG_EEXIST);
    probe_cmd_t c = probe_op(OP_EXIT, erg_to_pid(tpid));
    c.reason = ERG_REASON_USER + 3;
    probe_do(node, tpid, c);
    assert_true(probe_wait(&trapper.exits, 1));
    assert_int_equal(atomic_load(&trapper.exit_reason), ERG_REASON_USER + 3);
    assert_true(probe_wait(&plain.terminated, 1));
    assert_int_equal(atomic_load(&plain.term_reason), ERG_REASON_USER + 3);
    assert_true(probe_wait(&watcher.downs, 1));
    assert_int_equal(atomic_load(&watcher.down_reason), ERG_REASON_USER + 3);
    assert_int_equal(atomic_load(&trapper.terminated), 0);
    /* One-way: the trapper's own exit reaches nobody that did not link. */
    ERG_PASS(erg_node_stop(node));
    assert_int_equal(atomic_load(&trapper.exits), 1);
}

static void test_actor_parent_exit_cannot_be_trapped(void **state) {
    (void)state;
    erg_node_t *node = probe_node(2);
    probe_t parent, child;
    erg_pid_t ppid = spawn_probe(node, &parent, 0);
    probe_init(&child, 1);
    probe_cmd_t c = probe_op(OP_SPAWN, erg_to_pid(ppid));
    c.target.pid.id = (uint64_t)(uintptr_t)&child; /* the child's probe */
    c.n = 1;                                        /* link_parent */
    probe_do(node, ppid, c);
    assert_true(probe_wait(&parent.responses, 1));
    ERG_PASS((erg_err_t)atomic_load(&parent.call_status));
    while (erg_pid_is_nil(child.pid))
        probe_sleep_ms(1);
    probe_cmd_t trap = probe_op(OP_TRAP, erg_to_pid(child.pid));
    trap.n = 1;
    probe_do(node, child.pid, trap);
    assert_true(probe_wait(&child.responses, 1));
    /* A trapped exit from a non-parent arrives as a message... */
    probe_t other;
    erg_pid_t opid = spawn_probe(node, &other, 2);
    probe_cmd_t ex = probe_op(OP_SEND_EXIT, erg_to_pid(child.pid));
    ex.reason = ERG_REASON_USER + 1;
    probe_do(node, opid, ex);
    assert_true(probe_wait(&child.exits, 1));
    /* ...but the parent's exit terminates the child anyway. */
    probe_cmd_t die = probe_op(OP_EXIT, erg_to_pid(ppid));
    die.reason = ERG_REASON_USER + 2;
    probe_do(node, ppid, die);
    assert_true(probe_wait(&child.terminated, 1));
    assert_int_equal(atomic_load(&child.term_reason), ERG_REASON_USER + 2);
    assert_int_equal(atomic_load(&child.exits), 1);
    ERG_PASS(erg_node_stop(node));
}


static void test_actor_kill_wakes_a_blocked_call_and_leaves_a_zombie(
    void **state) {
    (void)state;
    erg_node_t *node = probe_node(2);
    probe_t srv, cli, w;
    probe_init(&srv, 0);
    srv.reply_later = true;
    erg_pid_t spid = probe_spawn(node, &srv, NULL);
    erg_pid_t cpid = spawn_probe(node, &cli, 1);
    erg_pid_t wpid = spawn_probe(node, &w, 2);
    probe_do(node, wpid, probe_op(OP_MONITOR, erg_to_pid(cpid)));
    assert_true(probe_wait(&w.responses, 1));
    probe_cmd_t c = probe_op(OP_CALL, erg_to_pid(spid));
    c.timeout_ms = 20000;
    probe_do(node, cpid, c);
    while (!atomic_load(&srv.have_caller))
        probe_sleep_ms(1);
    erg_proc_info_t info;
    for (int i = 0; i < 1000; i++) {
        ERG_PASS(erg_node_process_info(node, cpid, &info));
        if (info.state == ERG_PROC_WAIT_RESPONSE)
            break;
        probe_sleep_ms(1);
    }
    assert_int_equal(info.state, ERG_PROC_WAIT_RESPONSE);
    ERG_PASS(erg_node_kill_process(node, cpid));
    /* Unregistered at once; the call returns well before its timeout. */
    ERG_FAIL(erg_node_process_info(node, cpid, &info), ERG_ENOPROC);
    assert_true(probe_wait(&cli.responses, 1));
    assert_int_equal(atomic_load(&cli.call_status), ERG_ETERMINATED);
    assert_true(probe_wait(&cli.terminated, 1));
    assert_int_equal(atomic_load(&cli.term_reason), ERG_REASON_KILL);
    assert_true(probe_wait(&w.downs, 1));
    assert_int_equal(atomic_load(&w.down_reason), ERG_REASON_KILL);
    /* The late reply to the dead caller is dropped quietly. */
    probe_do(node, spid, probe_op(OP_REPLY, erg_to_pid(cpid)));
    assert_true(probe_wait(&srv.responses, 1));
    ERG_PASS((erg_err_t)atomic_load(&srv.call_status));
    ERG_PASS(erg_node_stop(node));
}

static void test_actor_racing_kills_and_exits_notify_exactly_once(
    void **state) {
    (void)state;
    enum { N = 200 };
    erg_node_t *node = probe_node(2);
    probe_t *t = calloc(N, sizeof(*t));
    probe_t w;
    assert_non_null(t);
    erg_pid_t wpid = spawn_probe(node, &w, 0);
    erg_pid_t *pids = calloc(N, sizeof(*pids));
    for (int i = 0; i < N; i++) {
        pids[i] = spawn_probe(node, &t[i], 1);
        probe_do(node, wpid, probe_op(OP_MONITOR, erg_to_pid(pids[i])));
        probe_do(node, wpid, probe_op(OP_LINK, erg_to_pid(pids[i])));
    }
    probe_cmd_t trap = probe_op(OP_TRAP, erg_to_pid(wpid));
    trap.n = 1;
    probe_do(node, wpid, trap);
    assert_true(probe_wait(&w.responses, 2 * N + 1));
    /* Each target ends itself while the test thread kills it too. */
    for (int i = 0; i < N; i++) {
        probe_cmd_t c = probe_op(OP_EXIT, erg_to_pid(pids[i]));
        c.reason = ERG_REASON_USER + 1;
        probe_do(node, pids[i], c);
        (void)erg_node_kill_process(node, pids[i]);
    }
    assert_true(probe_wait(&w.downs, N));
    assert_true(probe_wait(&w.exits, N));
    probe_sleep_ms(50);
    assert_int_equal(atomic_load(&w.downs), N);
    assert_int_equal(atomic_load(&w.exits), N);
    for (int i = 0; i < N; i++)
        assert_int_equal(atomic_load(&t[i].terminated), 1);
    ERG_PASS(erg_node_stop(node));
    free(t);
    free(pids);
}

static void test_actor_name_monitor_fires_on_unregister(void **state) {
    (void)state;
    erg_node_t *node = probe_node(2);
    probe_t a, w;
    erg_pid_t apid = spawn_probe(node, &a, 0);
    erg_pid_t wpid = spawn_probe(node, &w, 1);
    probe_do(node, apid, probe_op(OP_REG_NAME, erg_to_name("svc")));
    assert_true(probe_wait(&a.responses, 1));
    probe_do(node, wpid, probe_op(OP_MONITOR, erg_to_name("svc")));
    probe_do(node, wpid, probe_op(OP_MONITOR, erg_to_name("nope")));
    assert_true(probe_wait(&w.responses, 2));
    assert_int_equal(atomic_load(&w.call_status), ERG_ENONAME);
    probe_do(node, apid, probe_op(OP_UNREG_NAME, erg_to_name("svc")));
    assert_true(probe_wait(&w.downs, 1));
    assert_int_equal(atomic_load(&w.down_reason), ERG_EUNREGISTERED);
    assert_int_equal(atomic_load(&w.down_kind), ERG_TARGET_NAME);
    /* The process lives on, and its own exit later is no longer seen. */
    ERG_PASS(erg_node_send_exit(node, apid, ERG_REASON_NORMAL));
    assert_true(probe_wait(&a.terminated, 1));
    probe_sleep_ms(20);
    assert_int_equal(atomic_load(&w.downs), 1);
    ERG_PASS(erg_node_stop(node));
}

static void test_actor_node_kill_ends_everything_at_once(void **state) {
    (void)state;
    erg_node_t *node = probe_node(2);
    probe_t a, b;
    probe_init(&a, 0);
    probe_init(&b, 1);
    probe_spawn(node, &a, NULL);
    erg_pid_t bpid = probe_spawn(node, &b, NULL);
    probe_cmd_t trap = probe_op(OP_TRAP, erg_to_pid(bpid));
    trap.n = 1;
    probe_do(node, bpid, trap);
    assert_true(probe_wait(&b.responses, 1));
    ERG_PASS(erg_node_kill(node));
    assert_int_equal(atomic_load(&a.term_reason), ERG_REASON_KILL);
    assert_int_equal(atomic_load(&b.term_reason), ERG_REASON_KILL);
}


/* Everything Ergo 3.2 allows during init, done from init. */
typedef struct busy_init_s {
    erg_pid_t target;
    erg_pid_t child;
    atomic_long ok;
} busy_init_t;

static erg_reason_t busy_init(erg_proc_t *self, void *args) {
    busy_init_t *b = args;
    *(busy_init_t **)erg_proc_state(self) = b;
    erg_alias_t alias;
    erg_ref_t token, mref;
    erg_spawn_opts_t o;
    erg_spawn_opts_init(&o);
    o.link_child = true;
    probe_t *child = (probe_t *)(uintptr_t)b->child.id;
    if (erg_register_name(self, "busy") != ERG_OK ||
        erg_alias_create(self, &alias) != ERG_OK ||
        erg_event_register(self, "busy.news", NULL, &token) != ERG_OK ||
        erg_monitor(self, erg_to_pid(b->target), &mref) != ERG_OK ||
        erg_link(self, erg_to_pid(b->target)) != ERG_OK ||
        erg_spawn(self, &probe_behavior, &o, child, &b->child) != ERG_OK)
        return ERG_REASON_PANIC;
    erg_set_trap_exit(self, true);
    atomic_store(&b->ok, 1);
    return ERG_REASON_NONE;
}

static erg_reason_t busy_message(erg_proc_t *self, erg_pid_t from,
                                 erg_msg_t *msg) {
    (void)self;
    (void)from;
    busy_init_t *b = *(busy_init_t **)erg_proc_state(self);
    if (erg_msg_type(msg) == ERG_TYPE_EXIT)
        atomic_fetch_add(&b->ok, 10);
    if (erg_msg_type(msg) == ERG_TYPE_DOWN)
        atomic_fetch_add(&b->ok, 100);
    return ERG_REASON_NONE;
}

static const erg_behavior_t busy_b = {.name = "busy",
                                      .state_size = sizeof(void *),
                                      .init = busy_init,
                                      .handle_message = busy_message};

static void test_actor_init_may_register_link_monitor_and_spawn(
    void **state) {
    (void)state;
    erg_node_t *node = probe_node(2);
    probe_t target, child;
    erg_pid_t tpid = spawn_probe(node, &target, 0);
    probe_init(&child, 1);
    busy_init_t b = {.target = tpid};
    b.child.id = (uint64_t)(uintptr_t)&child;
    erg_pid_t bpid;
    ERG_PASS(erg_node_spawn(node, &busy_b, NULL, &b, &bpid));
    assert_int_equal(atomic_load(&b.ok), 1);
    erg_pid_t got;
    ERG_PASS(erg_node_resolve_name(node, "busy", &got));
    assert_true(erg_pid_equal(got, bpid));
    unsigned subs;
    ERG_PASS(erg_node_event_subscribers(node, "busy.news", &subs));
    erg_proc_info_t info;
    ERG_PASS(erg_node_process_info(node, bpid, &info));
    assert_int_equal(info.aliases, 1);
    /* link_child: the child's exit reaches the (trapping) parent. */
    while (erg_pid_is_nil(child.pid))
        probe_sleep_ms(1);
    ERG_PASS(erg_node_send_exit(node, child.pid, ERG_REASON_USER + 1));
    assert_true(probe_wait(&b.ok, 11));
    /* The target's exit: one exit (link) and one down (monitor). */
    ERG_PASS(erg_node_send_exit(node, tpid, ERG_REASON_USER + 2));
    assert_true(probe_wait(&b.ok, 121));
    probe_sleep_ms(20);
    assert_int_equal(atomic_load(&b.ok), 121);
    ERG_PASS(erg_node_stop(node));
}


static void test_actor_watchers_leaving_remove_their_watches(void **state) {
    (void)state;
    enum { N = 300 };
    erg_node_t *node = probe_node(2);
    probe_t target, *w = calloc(N, sizeof(*w));
    assert_non_null(w);
    erg_pid_t tpid = spawn_probe(node, &target, 0);
    probe_do(node, tpid, probe_op(OP_REG_NAME, erg_to_name("hub")));
    assert_true(probe_wait(&target.responses, 1));
    erg_pid_t *wp = calloc(N, sizeof(*wp));
    for (int i = 0; i < N; i++) {
        wp[i] = spawn_probe(node, &w[i], 1);
        probe_do(node, wp[i], probe_op(OP_MONITOR, erg_to_pid(tpid)));
        probe_do(node, wp[i], probe_op(OP_LINK, erg_to_name("hub")));
        assert_true(probe_wait(&w[i].responses, 2));
    }
    erg_proc_info_t info;
    ERG_PASS(erg_node_process_info(node, tpid, &info));
    assert_int_equal(info.monitors, N);
    assert_int_equal(info.links, N);
    /* Half leave: their watches go with them. */
    for (int i = 0; i < N / 2; i++)
        ERG_PASS(erg_node_send_exit(node, wp[i], ERG_REASON_NORMAL));
    for (int i = 0; i < N / 2; i++)
        assert_true(probe_wait(&w[i].terminated, 1));
    /* terminate runs before a process lets go of its watches. */
    for (int i = 0; i < PROBE_TIMEOUT_MS; i++) {
        ERG_PASS(erg_node_process_info(node, tpid, &info));
        if (info.monitors == N / 2 && info.links == N / 2)
            break;
        probe_sleep_ms(1);
    }
    assert_int_equal(info.monitors, N / 2);
    assert_int_equal(info.links, N / 2);
    /* The name goes: the rest see it once; the link did not end them. */
    for (int i = N / 2; i < N; i++) {
        probe_cmd_t trap = probe_op(OP_TRAP, erg_to_pid(wp[i]));
        trap.n = 1;
        probe_do(node, wp[i], trap);
        assert_true(probe_wait(&w[i].responses, 3));
    }
    probe_do(node, tpid, probe_op(OP_UNREG_NAME, erg_to_name("hub")));
    for (int i = N / 2; i < N; i++)
        assert_true(probe_wait(&w[i].exits, 1));
    ERG_PASS(erg_node_process_info(node, tpid, &info));
    assert_int_equal(info.links, 0); /* counted down when fired */
    assert_int_equal(info.monitors, N / 2);
    ERG_PASS(erg_node_send_exit(node, tpid, ERG_REASON_USER + 5));
    for (int i = N / 2; i < N; i++)
        assert_true(probe_wait(&w[i].downs, 1));
    probe_sleep_ms(20);
    for (int i = 0; i < N; i++) {
        assert_int_equal(atomic_load(&w[i].downs), i < N / 2 ? 0 : 1);
        assert_int_equal(atomic_load(&w[i].exits), i < N / 2 ? 0 : 1);
    }
    ERG_PASS(erg_node_stop(node));
    free(w);
    free(wp);
}

/* --- Calls ------------------------------------------------------------- */

static void test_actor_call_gets_reply_matched_by_ref(void **state) {
    (void)state;
    erg_node_t *node = probe_node(2);
    probe_t srv, cli;
    erg_pid_t spid = spawn_probe(node, &srv, 0);
    erg_pid_t cpid = spawn_probe(node, &cli, 1);
    probe_cmd_t c = probe_op(OP_CALL, erg_to_pid(spid));
    c.n = 41;
    probe_do(node, cpid, c);
    assert_true(probe_wait(&cli.responses, 1));
    ERG_PASS((erg_err_t)atomic_load(&cli.call_status));
    assert_int_equal(atomic_load(&cli.call_value), 42);
    /* From outside processes too. */
    erg_msg_t *reply = NULL;
    ERG_PASS(erg_node_call(node, erg_to_pid(spid), probe_val_msg(9, -1), 0,
                           &reply));
    assert_int_equal(((probe_val_t *)erg_msg_data(reply))->seq, 10);
    erg_msg_release(reply);
    ERG_PASS(erg_node_call_priority(node, erg_to_pid(spid),
                                    probe_val_msg(20, -1), 0,
                                    ERG_PRIORITY_MAX, &reply));
    assert_int_equal(((probe_val_t *)erg_msg_data(reply))->seq, 21);
    erg_msg_release(reply);
    erg_msg_t *bad = probe_val_msg(1, -1);
    ERG_FAIL(erg_node_call_priority(node, erg_to_pid(spid), bad, 0, 7,
                                    &reply),
             ERG_EINVAL);
    erg_msg_release(bad);
    /* Calling oneself is refused. */
    c.target = erg_to_pid(cpid);
    probe_do(node, cpid, c);
    assert_true(probe_wait(&cli.responses, 2));
    assert_int_equal(atomic_load(&cli.call_status), ERG_ENOTALLOWED);
    ERG_PASS(erg_node_stop(node));
}

static void test_actor_call_times_out_and_late_reply_is_dropped(
    void **state) {
    (void)state;
    erg_node_t *node = probe_node(2);
    probe_t srv, cli;
    probe_init(&srv, 0);
    srv.reply_later = true;
    erg_pid_t spid = probe_spawn(node, &srv, NULL);
    erg_pid_t cpid = spawn_probe(node, &cli, 1);
    probe_cmd_t c = probe_op(OP_CALL, erg_to_pid(spid));
    c.timeout_ms = 100;
    probe_do(node, cpid, c);
    assert_true(probe_wait(&cli.responses, 1));
    assert_int_equal(atomic_load(&cli.call_status), ERG_ETIMEDOUT);
    assert_true(atomic_load(&srv.have_caller));
    probe_do(node, spid, probe_op(OP_REPLY, erg_to_pid(cpid)));
    assert_true(probe_wait(&srv.responses, 1));
    ERG_PASS((erg_err_t)atomic_load(&srv.call_status));
    /* The caller lives on and saw nothing of the late response. */
    ERG_PASS(erg_node_send(node, erg_to_pid(cpid), probe_val_msg(1, -1), 0));
    assert_true(probe_wait(&cli.values, 1));
    probe_sleep_ms(20);
    assert_int_equal(atomic_load(&cli.values), 1);
    assert_int_equal(atomic_load(&cli.responses), 1);
    ERG_PASS(erg_node_stop(node));
}

static void test_actor_request_continuation_and_reply_later(void **state) {
    (void)state;
    erg_node_t *node = probe_node(2);
    probe_t srv, cli;
    probe_init(&srv, 0);
    srv.reply_later = true;
    erg_pid_t spid = probe_spawn(node, &srv, NULL);
    erg_pid_t cpid = spawn_probe(node, &cli, 1);
    probe_cmd_t c = probe_op(OP_REQUEST, erg_to_pid(spid));
    c.n = 5;
    probe_do(node, cpid, c);
    while (!atomic_load(&srv.have_caller))
        probe_sleep_ms(1);
    /* The client keeps handling mail while its request is pending. */
    ERG_PASS(erg_node_send(node, erg_to_pid(cpid), probe_val_msg(1, -1), 0));
    assert_true(probe_wait(&cli.values, 1));
    assert_int_equal(atomic_load(&cli.responses), 0);
    probe_cmd_t r = probe_op(OP_REPLY, erg_to_pid(cpid));
    r.n = 77;
    probe_do(node, spid, r);
    assert_true(probe_wait(&cli.responses, 1));
    ERG_PASS((erg_err_t)atomic_load(&cli.call_status));
    assert_int_equal(atomic_load(&cli.call_value), 77);
    /* A request nobody answers times out through the timer thread, once. */
    c.timeout_ms = 50;
    atomic_store(&srv.have_caller, false);
    probe_do(node, cpid, c);
    assert_true(probe_wait(&cli.responses, 2));
    assert_int_equal(atomic_load(&cli.call_status), ERG_ETIMEDOUT);
    probe_do(node, spid, r); /* late */
    assert_true(probe_wait(&srv.responses, 2));
    probe_sleep_ms(20);
    assert_int_equal(atomic_load(&cli.responses), 2);
    ERG_PASS(erg_node_stop(node));
}


static atomic_long selfcall_status;

static erg_reason_t selfcall_message(erg_proc_t *self, erg_pid_t from,
                                     erg_msg_t *msg) {
    (void)from;
    (void)msg;
    erg_msg_t *reply = NULL, *req = probe_val_msg(1, -1);
    erg_node_t *node = erg_proc_node(self);
    erg_err_t rv =
        erg_node_call(node, erg_to_pid(erg_self(self)), req, 5000, &reply);
    if (rv != ERG_OK)
        erg_msg_release(req);
    else
        erg_msg_release(reply);
    atomic_store(&selfcall_status, rv == ERG_OK ? 1 : rv);
    return ERG_REASON_NONE;
}

static const erg_behavior_t selfcall_b = {.name = "selfcall",
                                          .init = probe_init_cb,
                                          .state_size = sizeof(probe_state_t),
                                          .handle_message = selfcall_message,
                                          .handle_call = probe_handle_call};

static void test_actor_node_call_to_own_process_is_refused(void **state) {
    (void)state;
    erg_node_t *node = probe_node(2);
    probe_t p;
    probe_init(&p, 0);
    erg_pid_t pid;
    ERG_PASS(erg_node_spawn(node, &selfcall_b, NULL, &p, &pid));
    atomic_store(&selfcall_status, 0);
    ERG_PASS(erg_node_send(node, erg_to_pid(pid), probe_val_msg(0, -1), 0));
    for (int i = 0; i < 3000 && atomic_load(&selfcall_status) == 0; i++)
        probe_sleep_ms(1);
    assert_int_equal(atomic_load(&selfcall_status), ERG_ENOTALLOWED);
    ERG_PASS(erg_node_stop(node));
}

/* A chain of callers: link i calls link i+1; the last one answers. With
 * more blocked callers than workers this only completes if blocked
 * workers are replaced. */
typedef struct chain_s {
    int depth;
    atomic_long *done;
} chain_t;

typedef struct chain_state_s {
    int index;
    chain_t *chain;
} chain_state_t;

static const erg_behavior_t chain_behavior;

static erg_reason_t chain_init(erg_proc_t *self, void *args) {
    chain_state_t *st = erg_proc_state(self);
    st->chain = args;
    return ERG_REASON_NONE;
}

static erg_reason_t chain_call(erg_proc_t *self, erg_pid_t from,
                               erg_ref_t ref, erg_msg_t *request,
                               erg_msg_t **reply) {
    (void)from;
    (void)ref;
    chain_state_t *st = erg_proc_state(self);
    probe_val_t *v = erg_msg_data(request);
    char name[32];
    snprintf(name, sizeof(name), "chain-%ld-%ld", v->seq / 1000,
             v->seq % 1000 + 1);
    if (v->seq % 1000 + 1 >= st->chain->depth) {
        *reply = probe_val_msg(v->seq, -1);
        return ERG_REASON_NONE;
    }
    erg_msg_t *r = NULL;
    erg_msg_t *req = probe_val_msg(v->seq + 1, -1);
    erg_err_t rv = erg_call(self, erg_to_name(name), req, 20000, &r);
    if (rv != ERG_OK) {
        erg_msg_release(req);
        return (erg_reason_t)rv;
    }
    *reply = r;
    return ERG_REASON_NONE;
}

static erg_reason_t chain_message(erg_proc_t *self, erg_pid_t from,
                                  erg_msg_t *msg) {
    (void)from;
    chain_state_t *st = erg_proc_state(self);
    probe_val_t *v = erg_msg_data(msg);
    char name[32];
    snprintf(name, sizeof(name), "chain-%ld-1", v->seq);
    erg_msg_t *r = NULL;
    erg_msg_t *req = probe_val_msg(v->seq * 1000 + 1, -1);
    erg_err_t rv = erg_call(self, erg_to_name(name), req, 20000, &r);
    if (rv != ERG_OK) {
        erg_msg_release(req);
        return (erg_reason_t)rv;
    }
    erg_msg_release(r);
    atomic_fetch_add(st->chain->done, 1);
    return ERG_REASON_NONE;
}

static const erg_behavior_t chain_behavior = {
    .name = "chain",
    .state_size = sizeof(chain_state_t),
    .init = chain_init,
    .handle_message = chain_message,
    .handle_call = chain_call,
};

static void test_actor_call_chains_outnumber_workers_and_complete(
    void **state) {
    (void)state;
    enum { CHAINS = 4, DEPTH = 75 };
    erg_node_t *node = probe_node(2);
    atomic_long done = 0;
    chain_t chain = {DEPTH, &done};
    erg_pid_t heads[CHAINS];
    for (int c = 0; c < CHAINS; c++) {
        for (int i = 0; i < DEPTH; i++) {
            char name[32];
            snprintf(name, sizeof(name), "chain-%d-%d", c, i);
            erg_spawn_opts_t o;
            erg_spawn_opts_init(&o);
            o.register_name = name;
            erg_pid_t pid;
            ERG_PASS(erg_node_spawn(node, &chain_behavior, &o, &chain, &pid));
            if (i == 0)
                heads[c] = pid;
        }
    }
    /* All heads start at once: CHAINS * (DEPTH - 1) blocked callers. */
    for (int c = 0; c < CHAINS; c++)
        ERG_PASS(erg_node_send(node, erg_to_pid(heads[c]),
                               probe_val_msg(c, -1), 0));
    assert_true(probe_wait(&done, CHAINS));
    ERG_PASS(erg_node_stop(node));
}

static void test_actor_child_calls_parent_from_init(void **state) {
    (void)state;
    erg_node_t *node = probe_node(2);
    probe_t parent, child;
    probe_init(&parent, 0);
    erg_spawn_opts_t o;
    erg_spawn_opts_init(&o);
    o.register_name = "parent";
    erg_pid_t ppid = probe_spawn(node, &parent, &o);
    probe_init(&child, 1);
    child.init_call_name = "parent";
    probe_cmd_t c = probe_op(OP_SPAWN, erg_to_pid(ppid));
    c.target.pid.id = (uint64_t)(uintptr_t)&child;
    probe_do(node, ppid, c);
    assert_true(probe_wait(&parent.responses, 1));
    ERG_PASS((erg_err_t)atomic_load(&parent.call_status));
    assert_true(probe_wait(&parent.calls, 1));
    while (!atomic_load(&child.in_init) || erg_pid_is_nil(child.pid))
        probe_sleep_ms(1);
    for (int i = 0; i < 3000 && atomic_load(&child.call_value) != 42; i++)
        probe_sleep_ms(1);
    assert_int_equal(atomic_load(&child.init_call_status), ERG_OK);
    assert_int_equal(atomic_load(&child.call_value), 42);
    ERG_PASS(erg_node_stop(node));
}


/* --- Aliases ------------------------------------------------------------ */

static const char alias_cmd[] = "alias.cmd";


static erg_alias_t shared_alias;
static atomic_long alias_ready;

static erg_reason_t aliased_message(erg_proc_t *self, erg_pid_t from,
                                    erg_msg_t *msg) {
    if (erg_msg_type(msg) == (const void *)alias_cmd) {
        long op = *(long *)erg_msg_data(msg);
        if (op == 1 && erg_alias_create(self, &shared_alias) == ERG_OK)
            atomic_store(&alias_ready, 1);
        if (op == 2 && erg_alias_delete(self, shared_alias) == ERG_OK)
            atomic_store(&alias_ready, 2);
        return ERG_REASON_NONE;
    }
    return probe_handle_message(self, from, msg);
}

static const erg_behavior_t aliased = {
    .name = "aliased",
    .state_size = sizeof(probe_state_t),
    .init = probe_init_cb,
    .handle_message = aliased_message,
};

static void alias_op(erg_node_t *node, erg_pid_t pid, long op) {
    erg_msg_t *m;
    ERG_PASS(erg_msg_new_copy(alias_cmd, &op, sizeof(op), &m));
    ERG_PASS(erg_node_send(node, erg_to_pid(pid), m, 0));
}

static void test_actor_alias_routes_and_delete_fires_monitors(void **state) {
    (void)state;
    erg_node_t *node = probe_node(2);
    probe_t a, w;
    probe_init(&a, 0);
    erg_pid_t apid;
    ERG_PASS(erg_node_spawn(node, &aliased, NULL, &a, &apid));
    erg_pid_t wpid = spawn_probe(node, &w, 1);
    atomic_store(&alias_ready, 0);
    alias_op(node, apid, 1);
    assert_true(probe_wait(&alias_ready, 1));
    ERG_PASS(erg_node_send(node, erg_to_alias(shared_alias),
                           probe_val_msg(3, -1), 0));
    assert_true(probe_wait(&a.values, 1));
    probe_do(node, wpid, probe_op(OP_MONITOR, erg_to_alias(shared_alias)));
    assert_true(probe_wait(&w.responses, 1));
    ERG_PASS((erg_err_t)atomic_load(&w.call_status));
    alias_op(node, apid, 2);
    assert_true(probe_wait(&w.downs, 1));
    assert_int_equal(atomic_load(&w.down_reason), ERG_EUNREGISTERED);
    assert_int_equal(atomic_load(&w.down_kind), ERG_TARGET_ALIAS);
    erg_msg_t *m = probe_val_msg(4, -1);
    ERG_FAIL(erg_node_send(node, erg_to_alias(shared_alias), m, 0),
             ERG_ENOALIAS);
    erg_msg_release(m);
    /* The process itself lives on. */
    assert_int_equal(atomic_load(&a.terminated), 0);
    ERG_PASS(erg_node_stop(node));
}

/* --- The accept hook (the seam for generated actors) -------------------- */

static const char v1_type[] = "thing.v1";
static const char v2_type[] = "thing.v2";
static const char other_type[] = "other";
static atomic_long accept_calls;

static erg_err_t accept_things(const void *table, const erg_msg_t *msg,
                               bool call, erg_msg_t **out) {
    (void)table;
    (void)call;
    atomic_fetch_add(&accept_calls, 1);
    const void *t = erg_msg_type(msg);
    if (t == (const void *)v2_type)
        return ERG_OK;
    if (t != (const void *)v1_type)
        return ERG_ENOTACCEPTED;
    /* v1 carries a seq; v2 is the same value tagged as a probe value. */
    probe_val_t v = {*(long *)erg_msg_data(msg) * 10, -1};
    return erg_msg_new_copy(PROBE_VAL, &v, sizeof(v), out);
}

static const erg_behavior_t typed = {
    .name = "typed",
    .state_size = sizeof(probe_state_t),
    .init = probe_init_cb,
    .handle_message = probe_handle_message,
    .terminate = probe_terminate,
    .accept = accept_things,
    .accept_table = v2_type,
};

static void test_actor_accept_hook_refuses_and_upgrades(void **state) {
    (void)state;
    erg_node_t *node = probe_node(2);
    probe_t p;
    probe_init(&p, 0);
    erg_pid_t pid;
    ERG_PASS(erg_node_spawn(node, &typed, NULL, &p, &pid));
    atomic_store(&accept_calls, 0);
    erg_msg_t *m;
    ERG_PASS(erg_msg_new(other_type, 8, &m));
    ERG_FAIL(erg_node_send(node, erg_to_pid(pid), m, 0), ERG_ENOTACCEPTED);
    erg_msg_release(m); /* refused: still ours */
    long one = 7;
    ERG_PASS(erg_msg_new_copy(v1_type, &one, sizeof(one), &m));
    ERG_PASS(erg_node_send(node, erg_to_pid(pid), m, 0));
    assert_true(probe_wait(&p.values, 1));
    assert_int_equal(atomic_load(&p.last_val), 70); /* upgraded */
    assert_int_equal(atomic_load(&accept_calls), 2);
    /* System traffic bypasses the hook and is never refused. */
    ERG_PASS(erg_node_send_exit(node, pid, ERG_REASON_USER + 1));
    assert_true(probe_wait(&p.terminated, 1));
    assert_int_equal(atomic_load(&accept_calls), 2);
    ERG_PASS(erg_node_stop(node));
}

/* An actor whose hook refuses everything of its own still gets the runtime's
 * notes: here the start note of an event it produces. */
static atomic_long starts_seen;

static erg_reason_t producer_init(erg_proc_t *self, void *args) {
    (void)args;
    erg_event_opts_t opts = {.notify = true};
    erg_ref_t token;
    erg_err_t rv = erg_event_register(self, "hooked.ev", &opts, &token);
    return rv == ERG_OK ? ERG_REASON_NONE : (erg_reason_t)rv;
}

static erg_reason_t producer_message(erg_proc_t *self, erg_pid_t from,
                                     erg_msg_t *msg) {
    (void)self;
    (void)from;
    if (erg_msg_type(msg) == ERG_TYPE_EVENT_START)
        atomic_fetch_add(&starts_seen, 1);
    return ERG_REASON_NONE;
}

static const erg_behavior_t hooked_producer = {
    .name = "hooked_producer",
    .init = producer_init,
    .handle_message = producer_message,
    .accept = accept_things,
};

static erg_reason_t watcher_init(erg_proc_t *self, void *args) {
    (void)args;
    erg_err_t rv = erg_monitor(self, erg_to_event("hooked.ev"), NULL);
    return rv == ERG_OK ? ERG_REASON_NONE : (erg_reason_t)rv;
}

static const erg_behavior_t event_watcher = {
    .name = "event_watcher",
    .init = watcher_init,
};

static void test_actor_accept_hook_never_sees_runtime_messages(void **state) {
    (void)state;
    erg_node_t *node = probe_node(2);
    atomic_store(&starts_seen, 0);
    erg_pid_t producer, watcher;
    ERG_PASS(erg_node_spawn(node, &hooked_producer, NULL, NULL, &producer));
    ERG_PASS(erg_node_spawn(node, &event_watcher, NULL, NULL, &watcher));
    assert_true(probe_wait(&starts_seen, 1));
    assert_int_equal(atomic_load(&starts_seen), 1);
    ERG_PASS(erg_node_stop(node));
}

/* --- Stress -------------------------------------------------------------- */

typedef struct storm_s {
    int n;
    erg_pid_t *pids;
    long each;
    atomic_long received;
} storm_t;

static erg_reason_t storm_init(erg_proc_t *self, void *args) {
    *(storm_t **)erg_proc_state(self) = args;
    return ERG_REASON_NONE;
}

static erg_reason_t storm_message(erg_proc_t *self, erg_pid_t from,
                                  erg_msg_t *msg) {
    (void)from;
    storm_t *s = *(storm_t **)erg_proc_state(self);
    probe_val_t *v = erg_msg_data(msg);
    if (v->sender == -2) { /* go: send `each` messages around the ring */
        for (long i = 0; i < s->each; i++) {
            erg_pid_t to = s->pids[(v->seq + 1 + i) % s->n];
            erg_msg_t *m = probe_val_msg(i, 0);
            erg_err_t rv = erg_send(self, erg_to_pid(to), m);
            if (rv != ERG_OK)
                return (erg_reason_t)rv;
        }
        return ERG_REASON_NONE;
    }
    atomic_fetch_add_explicit(&s->received, 1, memory_order_relaxed);
    return ERG_REASON_NONE;
}

static const erg_behavior_t storm_behavior = {
    .name = "storm",
    .state_size = sizeof(storm_t *),
    .init = storm_init,
    .handle_message = storm_message,
};

static void test_actor_thousand_actors_exchange_a_million_messages(
    void **state) {
    (void)state;
    enum { N = 1000, EACH = 1000 };
    erg_node_t *node = probe_node(2);
    storm_t s = {N, calloc(N, sizeof(erg_pid_t)), EACH, 0};
    assert_non_null(s.pids);
    for (int i = 0; i < N; i++)
        ERG_PASS(erg_node_spawn(node, &storm_behavior, NULL, &s, &s.pids[i]));
    for (int i = 0; i < N; i++)
        ERG_PASS(erg_node_send(node, erg_to_pid(s.pids[i]),
                               probe_val_msg(i, -2), 0));
    assert_true(probe_wait(&s.received, (long)N * EACH));
    probe_sleep_ms(10);
    assert_int_equal(atomic_load(&s.received), (long)N * EACH);
    ERG_PASS(erg_node_stop(node));
    free(s.pids);
}

#define T(f) ERG_TEST_WITH_ALLOC(f)

int main(void) {
    const struct CMUnitTest tests[] = {
        T(test_actor_spawn_runs_init_and_handles_messages),
        T(test_actor_keeps_fifo_per_sender),
        T(test_actor_drains_max_then_high_then_normal),
        T(test_actor_full_mailbox_refuses_then_uses_fallback),
        T(test_actor_kill_during_init_fires_once_and_fails_spawn),
        T(test_actor_init_failure_and_timeout_fail_spawn),
        T(test_actor_init_blocked_in_a_call_times_out),
        T(test_actor_hung_init_of_async_child_reaches_its_parent),
        T(test_actor_init_that_cannot_start_in_time_never_runs),
        T(test_actor_names_route_and_free),
        T(test_actor_stale_pid_and_remote_pid_fail_cleanly),
        T(test_actor_process_sending_to_a_dead_pid_fails),
        T(test_actor_monitors_fire_exactly_once_with_reason),
        T(test_actor_links_terminate_or_deliver_when_trapped),
        T(test_actor_parent_exit_cannot_be_trapped),
        T(test_actor_kill_wakes_a_blocked_call_and_leaves_a_zombie),
        T(test_actor_racing_kills_and_exits_notify_exactly_once),
        T(test_actor_name_monitor_fires_on_unregister),
        T(test_actor_watchers_leaving_remove_their_watches),
        T(test_actor_node_kill_ends_everything_at_once),
        T(test_actor_init_may_register_link_monitor_and_spawn),
        T(test_actor_call_gets_reply_matched_by_ref),
        T(test_actor_call_times_out_and_late_reply_is_dropped),
        T(test_actor_node_call_to_own_process_is_refused),
        T(test_actor_request_continuation_and_reply_later),
        T(test_actor_call_chains_outnumber_workers_and_complete),
        T(test_actor_child_calls_parent_from_init),
        T(test_actor_alias_routes_and_delete_fires_monitors),
        T(test_actor_accept_hook_refuses_and_upgrades),
        T(test_actor_accept_hook_never_sees_runtime_messages),
        T(test_actor_thousand_actors_exchange_a_million_messages),
    };
    return cmocka_run_group_tests_name("core.actor", tests, NULL, NULL);
}
