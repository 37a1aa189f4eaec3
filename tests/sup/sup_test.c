/* SPDX-License-Identifier: MIT */
/* sup_test.c: supervisors restart, stop and shut down as Ergo's do. */
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "erg/erg.h"
#include "testutil.h"

/* What a worker shares with the test: its starts and an id for the log. */
typedef struct wk_s {
    atomic_int starts;
    int id;
    atomic_int blocked, release; /* a handler waiting for the test */
    erg_reason_t fail;           /* init returns this when not 0 */
} wk_t;

typedef struct wstate_s {
    wk_t *w;
} wstate_t;

static const char stop_type[] = "stop";
static const char block_type[] = "block";

static void nap(void) {
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
}

/* The order in which supervisors saw children terminate (their names'
 * first letters), logged by the on_child callback. */
static atomic_int order_n;
static char order_log[64];

static void on_child(erg_proc_t *sup, const char *name, erg_pid_t pid,
                     bool started, erg_reason_t reason, void *arg) {
    (void)sup;
    (void)pid;
    (void)reason;
    (void)arg;
    if (started)
        return;
    int i = atomic_fetch_add(&order_n, 1);
    if (i < 64)
        order_log[i] = name[0];
}

static erg_reason_t w_init(erg_proc_t *self, void *args) {
    wstate_t *st = erg_proc_state(self);
    st->w = args;
    atomic_fetch_add(&st->w->starts, 1);
    return st->w->fail;
}

static erg_reason_t w_message(erg_proc_t *self, erg_pid_t from,
                              erg_msg_t *msg) {
    (void)from;
    if (erg_msg_type(msg) == block_type) {
        wstate_t *st = erg_proc_state(self);
        atomic_store(&st->w->blocked, 1);
        while (!atomic_load(&st->w->release))
            nap();
        return ERG_REASON_NONE;
    }
    return erg_msg_type(msg) == stop_type ? ERG_REASON_NORMAL : ERG_REASON_NONE;
}

static const erg_behavior_t worker = {
    .name = "worker",
    .state_size = sizeof(wstate_t),
    .init = w_init,
    .handle_message = w_message,
};

/* An observer monitors a supervisor and records the reason it ends with. */
typedef struct obs_s {
    erg_pid_t sup;
    atomic_int done;
    atomic_int reason;
} obs_t;

typedef struct ostate_s {
    obs_t *o;
} ostate_t;

static erg_reason_t o_init(erg_proc_t *self, void *args) {
    ostate_t *st = erg_proc_state(self);
    st->o = args;
    return erg_monitor(self, erg_to_pid(st->o->sup), NULL);
}

static erg_reason_t o_message(erg_proc_t *self, erg_pid_t from,
                              erg_msg_t *msg) {
    (void)from;
    ostate_t *st = erg_proc_state(self);
    if (erg_msg_type(msg) != ERG_TYPE_DOWN)
        return ERG_REASON_NONE;
    const erg_down_t *d = erg_msg_data(msg);
    atomic_store(&st->o->reason, d->reason);
    atomic_store(&st->o->done, 1);
    return ERG_REASON_NORMAL;
}

static const erg_behavior_t observer = {
    .name = "observer",
    .state_size = sizeof(ostate_t),
    .init = o_init,
    .handle_message = o_message,
};

static erg_node_t *node_up(void) {
    erg_node_opts_t o;
    erg_node_opts_init(&o);
    o.workers = 4;
    o.no_default_logger = true;
    erg_node_t *node;
    ERG_PASS(erg_node_start("sup@localhost", &o, &node));
    atomic_store(&order_n, 0);
    return node;
}

static void observe(erg_node_t *node, obs_t *o, erg_pid_t sup) {
    memset(o, 0, sizeof(*o));
    o->sup = sup;
    erg_pid_t pid;
    ERG_PASS(erg_node_spawn(node, &observer, NULL, o, &pid));
}

/* Generous: conditions are polled for up to 20 s. */
#define WAIT_UNTIL(cond)                    \
    do {                                    \
        int erg__i = 0;                     \
        while (!(cond) && erg__i++ < 20000) \
            nap();                          \
        assert_true(cond);                  \
    } while (0)

/* child_pid: the pid of child name (nil if stopped or the call failed). */
static erg_pid_t child_pid(erg_node_t *node, erg_pid_t sup, const char *name) {
    erg_sup_child_info_t *list;
    size_t n;
    erg_pid_t pid = {0};
    if (erg_sup_children(node, sup, &list, &n) != ERG_OK)
        return pid;
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i].name, name) == 0)
            pid = list[i].pid;
    erg_sup_children_free(list);
    return pid;
}

static bool restarted(erg_node_t *node, erg_pid_t sup, const char *name,
                      erg_pid_t old) {
    erg_pid_t p = child_pid(node, sup, name);
    return !erg_pid_is_nil(p) && !erg_pid_equal(p, old);
}

static bool stopped(erg_node_t *node, erg_pid_t sup, const char *name) {
    return erg_pid_is_nil(child_pid(node, sup, name));
}

static bool gone(erg_node_t *node, erg_pid_t pid) {
    erg_proc_info_t info;
    return erg_node_process_info(node, pid, &info) == ERG_ENOPROC;
}

static void send_type(erg_node_t *node, erg_pid_t pid, const void *type) {
    erg_msg_t *m;
    ERG_PASS(erg_msg_new(type, 0, &m));
    ERG_PASS(erg_node_send(node, erg_to_pid(pid), m, 0));
}

static void stop_child(erg_node_t *node, erg_pid_t pid) {
    erg_msg_t *m;
    ERG_PASS(erg_msg_new(stop_type, 0, &m));
    ERG_PASS(erg_node_send(node, erg_to_pid(pid), m, 0));
}

static erg_sup_child_spec_t child(const char *name, wk_t *w,
                                  erg_sup_restart_t r) {
    erg_sup_child_spec_t c;
    memset(&c, 0, sizeof(c));
    c.name = name;
    c.beh = &worker;
    c.args = w;
    c.restart = r;
    return c;
}

static void test_sup_one_for_one_restarts_only_the_failed_child(void **st) {
    (void)st;
    erg_node_t *node = node_up();
    wk_t a = {.id = 1}, b = {.id = 2};
    erg_sup_child_spec_t kids[] = {child("a", &a, 0), child("b", &b, 0)};
    erg_sup_spec_t spec = {
        .type = ERG_SUP_ONE_FOR_ONE, .children = kids, .nchildren = 2};
    erg_pid_t sup;
    ERG_PASS(erg_sup_start(node, &spec, NULL, &sup));
    erg_pid_t pa = child_pid(node, sup, "a"), pb = child_pid(node, sup, "b");
    assert_false(erg_pid_is_nil(pa));
    ERG_PASS(erg_node_send_exit(node, pa, ERG_REASON_USER + 1));
    WAIT_UNTIL(restarted(node, sup, "a", pa));
    assert_true(erg_pid_equal(child_pid(node, sup, "b"), pb));
    assert_int_equal(atomic_load(&a.starts), 2);
    assert_int_equal(atomic_load(&b.starts), 1);
    erg_inspect_t *in;
    ERG_PASS(erg_node_inspect(node, sup, 0, &in));
    assert_string_equal(erg_inspect_find(in, "sup_type"), "one-for-one");
    assert_string_equal(erg_inspect_find(in, "sup_restarts"), "1");
    assert_string_equal(erg_inspect_find(in, "sup_running"), "2");
    erg_inspect_free(in);
    ERG_PASS(erg_node_stop(node));
}

static void test_sup_restart_strategies_follow_the_exit_reason(void **st) {
    (void)st;
    erg_node_t *node = node_up();
    wk_t p = {.id = 1}, t = {.id = 2}, tt = {.id = 3}, ta = {.id = 4};
    erg_sup_child_spec_t kids[] = {child("perm", &p, ERG_SUP_PERMANENT),
                                   child("trans", &t, 0),
                                   child("temp", &tt, ERG_SUP_TEMPORARY),
                                   child("trans_abn", &ta, ERG_SUP_TRANSIENT)};
    erg_sup_spec_t spec = {.type = ERG_SUP_ONE_FOR_ONE,
                           .children = kids,
                           .nchildren = 4,
                           .disable_auto_shutdown = true};
    erg_pid_t sup;
    ERG_PASS(erg_sup_start(node, &spec, NULL, &sup));
    erg_pid_t pp = child_pid(node, sup, "perm");
    erg_pid_t pa = child_pid(node, sup, "trans_abn");
    stop_child(node, pp);
    stop_child(node, child_pid(node, sup, "trans"));
    stop_child(node, child_pid(node, sup, "temp"));
    ERG_PASS(erg_node_send_exit(node, pa, ERG_REASON_PANIC));
    WAIT_UNTIL(restarted(node, sup, "perm", pp));
    WAIT_UNTIL(restarted(node, sup, "trans_abn", pa));
    WAIT_UNTIL(stopped(node, sup, "trans"));
    WAIT_UNTIL(stopped(node, sup, "temp"));
    assert_int_equal(atomic_load(&p.starts), 2);
    assert_int_equal(atomic_load(&t.starts), 1);
    assert_int_equal(atomic_load(&tt.starts), 1);
    assert_int_equal(atomic_load(&ta.starts), 2);
    ERG_PASS(erg_node_stop(node));
}

static void test_sup_intensity_exceeded_stops_all_with_erestarts(void **st) {
    (void)st;
    erg_node_t *node = node_up();
    wk_t a = {.id = 1}, b = {.id = 2};
    erg_sup_child_spec_t kids[] = {child("a", &a, ERG_SUP_PERMANENT),
                                   child("b", &b, 0)};
    erg_sup_spec_t spec = {.type = ERG_SUP_ONE_FOR_ONE,
                           .children = kids,
                           .nchildren = 2,
                           .intensity = 2,
                           .period_ms = 600000};
    erg_pid_t sup;
    ERG_PASS(erg_sup_start(node, &spec, NULL, &sup));
    obs_t o;
    observe(node, &o, sup);
    erg_pid_t pb = child_pid(node, sup, "b");
    for (int i = 0; i < 2; i++) {
        erg_pid_t pa = child_pid(node, sup, "a");
        ERG_PASS(erg_node_send_exit(node, pa, ERG_REASON_USER));
        WAIT_UNTIL(restarted(node, sup, "a", pa));
    }
    ERG_PASS(
        erg_node_send_exit(node, child_pid(node, sup, "a"), ERG_REASON_USER));
    WAIT_UNTIL(atomic_load(&o.done));
    assert_int_equal(atomic_load(&o.reason), ERG_ERESTARTS);
    assert_true(gone(node, pb));
    assert_int_equal(atomic_load(&a.starts), 3);
    ERG_PASS(erg_node_stop(node));
}

static void test_sup_all_for_one_keep_order_stops_in_reverse(void **st) {
    (void)st;
    erg_node_t *node = node_up();
    wk_t a = {.id = 1}, b = {.id = 2}, c = {.id = 3};
    erg_sup_child_spec_t kids[] = {child("a", &a, 0), child("b", &b, 0),
                                   child("c", &c, 0)};
    erg_sup_spec_t spec = {.type = ERG_SUP_ALL_FOR_ONE,
                           .children = kids,
                           .nchildren = 3,
                           .keep_order = true,
                           .on_child = on_child};
    erg_pid_t sup;
    ERG_PASS(erg_sup_start(node, &spec, NULL, &sup));
    erg_pid_t pa = child_pid(node, sup, "a"), pb = child_pid(node, sup, "b"),
              pc = child_pid(node, sup, "c");
    ERG_PASS(erg_node_send_exit(node, pa, ERG_REASON_USER));
    WAIT_UNTIL(restarted(node, sup, "a", pa));
    WAIT_UNTIL(restarted(node, sup, "b", pb));
    WAIT_UNTIL(restarted(node, sup, "c", pc));
    assert_int_equal(atomic_load(&order_n), 3);
    assert_memory_equal(order_log, "acb", 3);
    assert_int_equal(atomic_load(&a.starts), 2);
    assert_int_equal(atomic_load(&b.starts), 2);
    assert_int_equal(atomic_load(&c.starts), 2);
    ERG_PASS(erg_node_stop(node));
}

static void test_sup_rest_for_one_restarts_the_failed_and_later(void **st) {
    (void)st;
    erg_node_t *node = node_up();
    wk_t a = {.id = 1}, b = {.id = 2}, c = {.id = 3}, d = {.id = 4};
    erg_sup_child_spec_t kids[] = {child("a", &a, 0), child("b", &b, 0),
                                   child("c", &c, 0), child("d", &d, 0)};
    erg_sup_spec_t spec = {.type = ERG_SUP_REST_FOR_ONE,
                           .children = kids,
                           .nchildren = 4,
                           .keep_order = true,
                           .on_child = on_child};
    erg_pid_t sup;
    ERG_PASS(erg_sup_start(node, &spec, NULL, &sup));
    erg_pid_t pa = child_pid(node, sup, "a"), pb = child_pid(node, sup, "b"),
              pc = child_pid(node, sup, "c"), pd = child_pid(node, sup, "d");
    ERG_PASS(erg_node_send_exit(node, pb, ERG_REASON_USER));
    WAIT_UNTIL(restarted(node, sup, "b", pb));
    WAIT_UNTIL(restarted(node, sup, "c", pc));
    WAIT_UNTIL(restarted(node, sup, "d", pd));
    assert_true(erg_pid_equal(child_pid(node, sup, "a"), pa));
    assert_int_equal(atomic_load(&order_n), 3);
    assert_memory_equal(order_log, "bdc", 3);
    assert_int_equal(atomic_load(&a.starts), 1);
    assert_int_equal(atomic_load(&b.starts), 2);
    assert_int_equal(atomic_load(&d.starts), 2);
    ERG_PASS(erg_node_stop(node));
}

static void test_sup_simple_one_for_one_reuses_instance_args(void **st) {
    (void)st;
    erg_node_t *node = node_up();
    wk_t def = {.id = 0}, x = {.id = 1}, y = {.id = 2};
    erg_sup_child_spec_t kids[] = {child("w", &def, ERG_SUP_PERMANENT)};
    erg_sup_spec_t spec = {
        .type = ERG_SUP_SIMPLE_ONE_FOR_ONE, .children = kids, .nchildren = 1};
    erg_pid_t sup, px, py, pz;
    ERG_PASS(erg_sup_start(node, &spec, NULL, &sup));
    ERG_PASS(erg_sup_start_child(node, sup, "w", &x, &px));
    ERG_PASS(erg_sup_start_child(node, sup, "w", &y, &py));
    ERG_PASS(erg_sup_start_child(node, sup, "w", NULL, &pz));
    ERG_FAIL(erg_sup_start_child(node, sup, "nope", NULL, NULL), ERG_ENOCHILD);
    ERG_PASS(erg_node_send_exit(node, px, ERG_REASON_USER));
    WAIT_UNTIL(atomic_load(&x.starts) == 2);
    assert_int_equal(atomic_load(&y.starts), 1);
    assert_int_equal(atomic_load(&def.starts), 1);
    erg_sup_child_info_t *list;
    size_t n;
    ERG_PASS(erg_sup_children(node, sup, &list, &n));
    assert_int_equal(n, 3);
    assert_string_equal(list[0].name, "w");
    erg_sup_children_free(list);
    ERG_PASS(erg_node_stop(node));
}

static void test_sup_significant_child_exit_stops_supervisor(void **st) {
    (void)st;
    erg_node_t *node = node_up();
    wk_t a = {.id = 1}, b = {.id = 2};
    erg_sup_child_spec_t kids[] = {child("a", &a, 0), child("b", &b, 0)};
    kids[0].significant = true;
    erg_sup_spec_t spec = {.type = ERG_SUP_ONE_FOR_ONE,
                           .children = kids,
                           .nchildren = 2,
                           .disable_auto_shutdown = true};
    erg_pid_t sup;
    ERG_PASS(erg_sup_start(node, &spec, NULL, &sup));
    obs_t o;
    observe(node, &o, sup);
    erg_pid_t pb = child_pid(node, sup, "b");
    stop_child(node, child_pid(node, sup, "a"));
    WAIT_UNTIL(atomic_load(&o.done));
    assert_int_equal(atomic_load(&o.reason), ERG_REASON_NORMAL);
    assert_true(gone(node, pb));
    assert_int_equal(atomic_load(&a.starts), 1);
    ERG_PASS(erg_node_stop(node));
}

static void test_sup_auto_shutdown_when_no_child_runs(void **st) {
    (void)st;
    erg_node_t *node = node_up();
    wk_t a = {.id = 1}, b = {.id = 2};
    erg_sup_child_spec_t kids[] = {child("a", &a, ERG_SUP_TEMPORARY),
                                   child("b", &b, ERG_SUP_TEMPORARY)};
    erg_sup_spec_t spec = {
        .type = ERG_SUP_ONE_FOR_ONE, .children = kids, .nchildren = 2};
    erg_pid_t sup;
    ERG_PASS(erg_sup_start(node, &spec, NULL, &sup));
    obs_t o;
    observe(node, &o, sup);
    erg_pid_t pb = child_pid(node, sup, "b");
    stop_child(node, child_pid(node, sup, "a"));
    WAIT_UNTIL(stopped(node, sup, "a"));
    assert_false(atomic_load(&o.done));
    stop_child(node, pb);
    WAIT_UNTIL(atomic_load(&o.done));
    assert_int_equal(atomic_load(&o.reason), ERG_REASON_NORMAL);

    /* Disabled: the supervisor outlives its children. */
    spec.disable_auto_shutdown = true;
    ERG_PASS(erg_sup_start(node, &spec, NULL, &sup));
    stop_child(node, child_pid(node, sup, "a"));
    stop_child(node, child_pid(node, sup, "b"));
    WAIT_UNTIL(stopped(node, sup, "a") && stopped(node, sup, "b"));
    assert_false(gone(node, sup));
    ERG_PASS(erg_node_stop(node));
}

static void test_sup_add_enable_disable_start_at_run_time(void **st) {
    (void)st;
    erg_node_t *node = node_up();
    wk_t a = {.id = 1}, b = {.id = 2};
    erg_sup_child_spec_t kids[] = {child("a", &a, ERG_SUP_PERMANENT)};
    erg_sup_spec_t spec = {.type = ERG_SUP_ONE_FOR_ONE,
                           .children = kids,
                           .nchildren = 1,
                           .disable_auto_shutdown = true};
    erg_pid_t sup;
    ERG_PASS(erg_sup_start(node, &spec, NULL, &sup));
    erg_sup_child_spec_t cb = child("b", &b, ERG_SUP_PERMANENT);
    ERG_PASS(erg_sup_add_child(node, sup, &cb));
    ERG_FAIL(erg_sup_add_child(node, sup, &cb), ERG_EEXIST);
    erg_sup_child_spec_t bad = child("", &b, 0);
    ERG_FAIL(erg_sup_add_child(node, sup, &bad), ERG_EINVAL);
    WAIT_UNTIL(atomic_load(&b.starts) == 1);
    ERG_FAIL(erg_sup_start_child(node, sup, "b", NULL, NULL),
             ERG_ECHILDRUNNING);
    ERG_PASS(erg_sup_disable_child(node, sup, "a"));
    WAIT_UNTIL(stopped(node, sup, "a"));
    assert_int_equal(atomic_load(&a.starts), 1); /* permanent, not restarted */
    ERG_FAIL(erg_sup_start_child(node, sup, "a", NULL, NULL),
             ERG_ECHILDDISABLED);
    erg_sup_child_info_t *list;
    size_t n;
    ERG_PASS(erg_sup_children(node, sup, &list, &n));
    assert_int_equal(n, 2);
    assert_true(list[0].disabled);
    assert_false(list[1].disabled);
    erg_sup_children_free(list);
    ERG_PASS(erg_sup_enable_child(node, sup, "a"));
    WAIT_UNTIL(atomic_load(&a.starts) == 2);
    assert_false(stopped(node, sup, "a"));

    ERG_FAIL(erg_sup_enable_child(node, sup, "zz"), ERG_ENOCHILD);
    ERG_PASS(erg_node_stop(node));
}

static bool phase_is(erg_node_t *node, erg_pid_t sup, const char *phase) {
    erg_inspect_t *in;
    if (erg_node_inspect(node, sup, 0, &in) != ERG_OK)
        return false;
    const char *v = erg_inspect_find(in, "sup_phase");
    bool same = v != NULL && strcmp(v, phase) == 0;
    erg_inspect_free(in);
    return same;
}

static void test_sup_handles_only_exits_while_a_strategy_runs(void **st) {
    (void)st;
    erg_node_t *node = node_up();
    wk_t a = {0}, b = {0}, c = {0};
    erg_sup_child_spec_t kids[] = {child("a", &a, 0), child("b", &b, 0),
                                   child("c", &c, 0)};
    erg_sup_spec_t spec = {.type = ERG_SUP_ALL_FOR_ONE,
                           .children = kids,
                           .nchildren = 3,
                           .keep_order = true};
    erg_pid_t sup;
    ERG_PASS(erg_sup_start(node, &spec, NULL, &sup));
    erg_pid_t pa = child_pid(node, sup, "a"), pb = child_pid(node, sup, "b");
    send_type(node, pb, block_type);
    WAIT_UNTIL(atomic_load(&b.blocked));
    ERG_PASS(erg_node_send_exit(node, pa, ERG_REASON_USER));
    WAIT_UNTIL(phase_is(node, sup, "restarting"));
    erg_sup_child_info_t *list;
    size_t n;
    ERG_FAIL(erg_sup_children(node, sup, &list, &n), ERG_ESUPACTIVE);
    ERG_FAIL(erg_sup_start_child(node, sup, "a", NULL, NULL), ERG_ESUPACTIVE);
    atomic_store(&b.release, 1);
    WAIT_UNTIL(restarted(node, sup, "b", pb));
    WAIT_UNTIL(phase_is(node, sup, "idle"));
    assert_int_equal(atomic_load(&a.starts), 2);
    assert_int_equal(atomic_load(&c.starts), 2);
    ERG_PASS(erg_node_stop(node));
}

static bool no_children(erg_node_t *node, erg_pid_t sup) {
    erg_sup_child_info_t *list;
    size_t n;
    if (erg_sup_children(node, sup, &list, &n) != ERG_OK)
        return false;
    erg_sup_children_free(list);
    return n == 0;
}

static void test_sup_simple_one_for_one_disable_stops_instances(void **st) {
    (void)st;
    erg_node_t *node = node_up();
    wk_t def = {0}, x = {0};
    erg_sup_child_spec_t kids[] = {child("w", &def, ERG_SUP_PERMANENT)};
    erg_sup_spec_t spec = {
        .type = ERG_SUP_SIMPLE_ONE_FOR_ONE, .children = kids, .nchildren = 1};
    erg_pid_t sup, p1, p2;
    ERG_PASS(erg_sup_start(node, &spec, NULL, &sup));
    ERG_PASS(erg_sup_start_child(node, sup, "w", &x, &p1));
    ERG_PASS(erg_sup_start_child(node, sup, "w", &x, &p2));
    ERG_PASS(erg_sup_disable_child(node, sup, "w"));
    WAIT_UNTIL(no_children(node, sup));
    assert_true(gone(node, p1) && gone(node, p2));
    ERG_FAIL(erg_sup_start_child(node, sup, "w", NULL, NULL),
             ERG_ECHILDDISABLED);
    ERG_PASS(erg_sup_enable_child(node, sup, "w"));
    ERG_PASS(erg_sup_start_child(node, sup, "w", NULL, &p1));
    assert_int_equal(atomic_load(&x.starts), 2); /* neither restarted */
    WAIT_UNTIL(atomic_load(&def.starts) == 1);
    ERG_PASS(erg_node_stop(node));
}

static void test_sup_supervisor_of_supervisors_restarts_a_subtree(void **st) {
    (void)st;
    erg_node_t *node = node_up();
    wk_t w = {.id = 1};
    erg_sup_child_spec_t leaves[] = {child("w", &w, ERG_SUP_PERMANENT)};
    erg_sup_spec_t inner = {
        .type = ERG_SUP_ONE_FOR_ONE, .children = leaves, .nchildren = 1};
    erg_sup_child_spec_t kids[] = {
        {.name = "inner", .beh = &erg_sup_behavior, .args = &inner}};
    erg_sup_spec_t outer = {
        .type = ERG_SUP_ONE_FOR_ONE, .children = kids, .nchildren = 1};
    erg_pid_t sup;
    ERG_PASS(erg_sup_start(node, &outer, NULL, &sup));
    erg_pid_t pi;
    WAIT_UNTIL(!erg_pid_is_nil(pi = child_pid(node, sup, "inner")) &&
               !erg_pid_is_nil(child_pid(node, pi, "w")));
    erg_pid_t pw = child_pid(node, pi, "w");
    ERG_PASS(erg_node_send_exit(node, pw, ERG_REASON_USER));
    WAIT_UNTIL(restarted(node, pi, "w", pw));
    assert_true(erg_pid_equal(child_pid(node, sup, "inner"), pi));
    pw = child_pid(node, pi, "w");
    ERG_PASS(erg_node_send_exit(node, pi, ERG_REASON_USER));
    WAIT_UNTIL(restarted(node, sup, "inner", pi));
    WAIT_UNTIL(atomic_load(&w.starts) == 3);
    assert_true(gone(node, pw));
    ERG_PASS(erg_node_stop(node));
}

/* A process that sends an exit signal to the pid it is given and ends. */
static erg_reason_t k_init(erg_proc_t *self, void *args) {
    (void)erg_send_exit(self, *(erg_pid_t *)args, ERG_REASON_USER + 5);
    return ERG_REASON_NORMAL;
}

static const erg_behavior_t killer = {.name = "killer", .init = k_init};

static void test_sup_exit_from_a_non_child_stops_everything(void **st) {
    (void)st;
    erg_node_t *node = node_up();
    wk_t a = {.id = 1};
    erg_sup_child_spec_t kids[] = {child("a", &a, ERG_SUP_PERMANENT)};
    erg_sup_spec_t spec = {
        .type = ERG_SUP_ONE_FOR_ONE, .children = kids, .nchildren = 1};
    erg_pid_t sup, k;
    ERG_PASS(erg_sup_start(node, &spec, NULL, &sup));
    erg_pid_t pa = child_pid(node, sup, "a"), named;
    ERG_PASS(erg_node_resolve_name(node, "a", &named));
    assert_true(erg_pid_equal(named, pa)); /* registered as its spec */
    obs_t o;
    observe(node, &o, sup);
    /* Its init ends it at once (ERG_ETERMINATED), after the signal. */
    ERG_FAIL(erg_node_spawn(node, &killer, NULL, &sup, &k), ERG_ETERMINATED);
    WAIT_UNTIL(atomic_load(&o.done));
    assert_int_equal(atomic_load(&o.reason), ERG_REASON_USER + 5);
    assert_true(gone(node, pa));
    assert_int_equal(atomic_load(&a.starts), 1);
    ERG_PASS(erg_node_stop(node));
}

static void test_sup_all_for_one_starts_every_enabled_spec(void **st) {
    (void)st;
    erg_node_t *node = node_up();
    wk_t a = {.id = 1}, b = {.id = 2}, c = {.id = 3};
    erg_sup_child_spec_t kids[] = {child("a", &a, 0), child("b", &b, 0),
                                   child("c", &c, 0)};
    erg_sup_spec_t spec = {
        .type = ERG_SUP_ALL_FOR_ONE, .children = kids, .nchildren = 3};
    erg_pid_t sup;
    ERG_PASS(erg_sup_start(node, &spec, NULL, &sup));
    stop_child(node, child_pid(node, sup, "b")); /* transient: stays down */
    WAIT_UNTIL(stopped(node, sup, "b"));
    erg_pid_t pa = child_pid(node, sup, "a");
    ERG_PASS(erg_node_send_exit(node, pa, ERG_REASON_USER));
    WAIT_UNTIL(atomic_load(&b.starts) == 2 && atomic_load(&c.starts) == 2 &&
               restarted(node, sup, "a", pa));
    ERG_PASS(erg_node_stop(node));
}

static void test_sup_start_child_with_new_args_keeps_them(void **st) {
    (void)st;
    erg_node_t *node = node_up();
    wk_t t = {.id = 1}, t2 = {.id = 2};
    erg_sup_child_spec_t kids[] = {child("t", &t, 0)};
    erg_sup_spec_t spec = {.type = ERG_SUP_ONE_FOR_ONE,
                           .children = kids,
                           .nchildren = 1,
                           .disable_auto_shutdown = true};
    erg_pid_t sup, pt;
    ERG_PASS(erg_sup_start(node, &spec, NULL, &sup));
    stop_child(node, child_pid(node, sup, "t"));
    WAIT_UNTIL(stopped(node, sup, "t"));
    ERG_PASS(erg_sup_start_child(node, sup, "t", &t2, &pt));
    ERG_PASS(erg_node_send_exit(node, pt, ERG_REASON_USER));
    WAIT_UNTIL(restarted(node, sup, "t", pt));
    assert_int_equal(atomic_load(&t.starts), 1);
    assert_int_equal(atomic_load(&t2.starts), 2);
    ERG_PASS(erg_node_stop(node));
}

static void test_sup_bad_spec_fails_to_start(void **st) {
    (void)st;
    erg_node_t *node = node_up();
    wk_t a = {.id = 1};
    erg_sup_child_spec_t kids[] = {child("a", &a, 0), child("a", &a, 0)};
    erg_sup_spec_t spec = {
        .type = ERG_SUP_ONE_FOR_ONE, .children = kids, .nchildren = 2};
    erg_pid_t sup;
    ERG_FAIL(erg_sup_start(node, &spec, NULL, &sup), ERG_EINVAL);
    spec.nchildren = 0; /* Ergo: the children list can not be empty */
    ERG_FAIL(erg_sup_start(node, &spec, NULL, &sup), ERG_EINVAL);
    ERG_PASS(erg_node_stop(node));
}

/* As in Ergo, a child failing to start during the supervisor's own start
 * fails that start; the children started before it are stopped and the
 * later ones never start. */
static void test_sup_child_init_failure_fails_the_start(void **st) {
    (void)st;
    erg_node_t *node = node_up();
    wk_t a = {.id = 1}, b = {.id = 2, .fail = ERG_EINCORRECT}, c = {.id = 3};
    erg_sup_child_spec_t kids[] = {child("a", &a, 0), child("b", &b, 0),
                                   child("c", &c, 0)};
    erg_sup_spec_t spec = {
        .type = ERG_SUP_REST_FOR_ONE, .children = kids, .nchildren = 3};
    erg_pid_t sup, pa;
    ERG_FAIL(erg_sup_start(node, &spec, NULL, &sup), ERG_EINCORRECT);
    assert_int_equal(atomic_load(&a.starts), 1);
    assert_int_equal(atomic_load(&b.starts), 1);
    assert_int_equal(atomic_load(&c.starts), 0);
    /* They are gone, names freed, when the start returns. */
    ERG_FAIL(erg_node_resolve_name(node, "a", &pa), ERG_ENONAME);
    ERG_FAIL(erg_node_resolve_name(node, "b", &pa), ERG_ENONAME);
    WAIT_UNTIL(erg_node_process_count(node) == 0);
    /* A positive reason from init fails it as ERG_ETERMINATED, and a
     * nested supervisor's failed start fails its parent's. */
    b.fail = ERG_REASON_USER;
    ERG_FAIL(erg_sup_start(node, &spec, NULL, &sup), ERG_ETERMINATED);
    erg_sup_child_spec_t outer_kids[] = {
        child("x", &c, 0),
        {.name = "inner", .beh = &erg_sup_behavior, .args = &spec}};
    erg_sup_spec_t outer = {
        .type = ERG_SUP_ONE_FOR_ONE, .children = outer_kids, .nchildren = 2};
    ERG_FAIL(erg_sup_start(node, &outer, NULL, &sup), ERG_ETERMINATED);
    assert_int_equal(atomic_load(&a.starts), 3);
    assert_int_equal(atomic_load(&c.starts), 1); /* as "x" only */
    WAIT_UNTIL(erg_node_process_count(node) == 0);
    /* With every child starting, the start succeeds. */
    b.fail = 0;
    ERG_PASS(erg_sup_start(node, &spec, NULL, &sup));
    assert_int_equal(atomic_load(&c.starts), 2);
    ERG_PASS(erg_node_stop(node));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        ERG_TEST_WITH_ALLOC(
            test_sup_one_for_one_restarts_only_the_failed_child),
        ERG_TEST_WITH_ALLOC(test_sup_restart_strategies_follow_the_exit_reason),
        ERG_TEST_WITH_ALLOC(
            test_sup_intensity_exceeded_stops_all_with_erestarts),
        ERG_TEST_WITH_ALLOC(test_sup_all_for_one_keep_order_stops_in_reverse),
        ERG_TEST_WITH_ALLOC(
            test_sup_rest_for_one_restarts_the_failed_and_later),
        ERG_TEST_WITH_ALLOC(test_sup_simple_one_for_one_reuses_instance_args),
        ERG_TEST_WITH_ALLOC(test_sup_significant_child_exit_stops_supervisor),
        ERG_TEST_WITH_ALLOC(test_sup_auto_shutdown_when_no_child_runs),
        ERG_TEST_WITH_ALLOC(test_sup_add_enable_disable_start_at_run_time),
        ERG_TEST_WITH_ALLOC(test_sup_handles_only_exits_while_a_strategy_runs),
        ERG_TEST_WITH_ALLOC(
            test_sup_simple_one_for_one_disable_stops_instances),
        ERG_TEST_WITH_ALLOC(
            test_sup_supervisor_of_supervisors_restarts_a_subtree),
        ERG_TEST_WITH_ALLOC(test_sup_exit_from_a_non_child_stops_everything),
        ERG_TEST_WITH_ALLOC(test_sup_all_for_one_starts_every_enabled_spec),
        ERG_TEST_WITH_ALLOC(test_sup_start_child_with_new_args_keeps_them),
        ERG_TEST_WITH_ALLOC(test_sup_bad_spec_fails_to_start),
        ERG_TEST_WITH_ALLOC(test_sup_child_init_failure_fails_the_start),
    };
    return cmocka_run_group_tests_name("sup.sup", tests, NULL, NULL);
}
