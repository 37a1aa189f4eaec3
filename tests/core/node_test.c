/* SPDX-License-Identifier: MIT */
/* node_test.c: start options, env, refs, info, inspect, stop and kill. */
#include "probe.h"

static void test_node_start_rejects_bad_names(void **state) {
    (void)state;
    erg_node_t *node = NULL;
    ERG_FAIL(erg_node_start("nohost", NULL, &node), ERG_EINVAL);
    ERG_FAIL(erg_node_start("@host", NULL, &node), ERG_EINVAL);
    ERG_FAIL(erg_node_start("name@", NULL, &node), ERG_EINVAL);
    ERG_FAIL(erg_node_start("a@b@c", NULL, &node), ERG_EINVAL);
    ERG_FAIL(erg_node_start(NULL, NULL, &node), ERG_EINVAL);
    assert_null(node);
    ERG_PASS(erg_node_stop(NULL));
}

static void test_node_pid_and_creation_identify_the_incarnation(
    void **state) {
    (void)state;
    erg_node_t *a = probe_node(1);
    erg_node_t *b = probe_node(1);
    assert_string_equal(erg_node_name(a), "test@localhost");
    assert_int_equal(erg_node_pid(a).node, erg_node_hash("test@localhost"));
    assert_true(erg_node_creation(b) > erg_node_creation(a));
    char buf[ERG_PID_STRLEN];
    erg_pid_format(erg_node_pid(a), buf, sizeof(buf));
    char want[ERG_PID_STRLEN];
    snprintf(want, sizeof(want), "<%08X.1.%u>",
             (unsigned)erg_node_hash("test@localhost"),
             (unsigned)erg_node_creation(a));
    assert_string_equal(buf, want);
    ERG_PASS(erg_node_stop(a));
    ERG_PASS(erg_node_stop(b));
}

static void test_node_refs_are_unique_and_deadlines_expire(void **state) {
    (void)state;
    erg_node_t *node = probe_node(1);
    erg_ref_t r1 = erg_node_make_ref(node), r2 = erg_node_make_ref(node);
    assert_false(erg_ref_equal(r1, r2));
    bool alive;
    ERG_FAIL(erg_ref_is_alive(r1, &alive), ERG_EINVAL);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    erg_ref_t d = erg_node_make_ref_deadline(node, now + 50);
    ERG_PASS(erg_ref_is_alive(d, &alive));
    assert_true(alive);
    probe_sleep_ms(80);
    ERG_PASS(erg_ref_is_alive(d, &alive));
    assert_false(alive);
    ERG_PASS(erg_node_stop(node));
}

static int token_a, token_b, token_c;

static erg_reason_t env_init(erg_proc_t *self, void *args) {
    long *out = args;
    void *v = NULL;
    out[0] = erg_env_get(self, "color", &v) == ERG_OK && v == &token_b;
    out[1] = erg_env_get(self, "SIZE", &v) == ERG_OK && v == &token_c;
    out[2] = erg_env_get(self, "missing", &v) == ERG_ENOENT;
    out[3] = 1;
    return ERG_REASON_NONE;
}

static const erg_behavior_t env_behavior = {.name = "env",
                                            .init = env_init};

static void test_node_env_is_inherited_and_overridden(void **state) {
    (void)state;
    erg_env_var_t nenv[] = {{"COLOR", &token_a}, {"size", &token_c}};
    erg_node_opts_t o;
    erg_node_opts_init(&o);
    o.env = nenv;
    o.nenv = 2;
    o.no_default_logger = true;
    erg_node_t *node;
    ERG_PASS(erg_node_start("env@host", &o, &node));
    void *v;
    ERG_PASS(erg_node_env_get(node, "color", &v));
    assert_ptr_equal(v, &token_a);
    erg_env_var_t penv[] = {{"color", &token_b}};
    erg_spawn_opts_t so;
    erg_spawn_opts_init(&so);
    so.env = penv;
    so.nenv = 1;
    long out[4] = {0};
    erg_pid_t pid;
    ERG_PASS(erg_node_spawn(node, &env_behavior, &so, out, &pid));
    assert_int_equal(out[3], 1);
    assert_int_equal(out[0], 1);
    assert_int_equal(out[1], 1);
    assert_int_equal(out[2], 1);
    ERG_PASS(erg_node_stop(node));
}

static void add_pairs(erg_proc_t *self, erg_pid_t from, erg_inspect_t *out) {
    (void)self;
    (void)from;
    erg_inspect_add(out, "answer", "42");
}

static erg_reason_t plain_init(erg_proc_t *self, void *args) {
    (void)self;
    (void)args;
    return ERG_REASON_NONE;
}

static const erg_behavior_t inspected = {
    .name = "inspected", .init = plain_init, .handle_inspect = add_pairs};

static void test_node_inspect_and_info_describe_a_process(void **state) {
    (void)state;
    erg_node_t *node = probe_node(2);
    erg_spawn_opts_t o;
    erg_spawn_opts_init(&o);
    o.register_name = "seen";
    erg_pid_t pid;
    ERG_PASS(erg_node_spawn(node, &inspected, &o, NULL, &pid));
    erg_inspect_t *in = NULL;
    ERG_PASS(erg_node_inspect(node, pid, 0, &in));
    assert_string_equal(erg_inspect_find(in, "answer"), "42");
    assert_string_equal(erg_inspect_find(in, "behavior"), "inspected");
    assert_non_null(erg_inspect_find(in, "queue_main"));
    assert_true(erg_inspect_count(in) >= 7);
    erg_inspect_free(in);
    erg_proc_info_t info;
    ERG_PASS(erg_node_process_info(node, pid, &info));
    assert_string_equal(info.name, "seen");
    assert_string_equal(info.behavior, "inspected");
    assert_true(erg_pid_equal(info.parent, erg_node_pid(node)));
    assert_int_equal(info.state, ERG_PROC_SLEEP);
    ERG_PASS(erg_node_stop(node));
}

static void collect_log(const erg_log_record_t *rec, void *arg) {
    atomic_long *n = arg;
    if (strstr(rec->text, "still running") != NULL ||
        strstr(rec->text, "still ") != NULL)
        atomic_fetch_add(n, 1);
}

typedef struct opener_s {
    erg_node_t *node;
    erg_pid_t pid;
    probe_t *probe;
    atomic_long *reports;
} opener_t;

static void *opener(void *arg) {
    opener_t *op = arg;
    erg_proc_info_t info;
    probe_wait(op->reports, 1);
    while (erg_node_process_info(op->node, op->pid, &info) == ERG_OK)
        probe_sleep_ms(5);
    atomic_store(&op->probe->gate, true);
    return NULL;
}

static void test_node_stop_waits_reports_and_kills_after_timeout(
    void **state) {
    (void)state;
    erg_node_opts_t o;
    erg_node_opts_init(&o);
    o.workers = 2;
    o.no_default_logger = true;
    o.shutdown_timeout_ms = 6000; /* one 5 s report, then the kill */
    erg_node_t *node;
    ERG_PASS(erg_node_start("stop@host", &o, &node));
    atomic_long reports = 0;
    ERG_PASS(erg_node_logger_add(node, "collect", ERG_LOG_WARNING,
                                 collect_log, &reports));
    probe_t quick, stuck, trapper;
    probe_init(&quick, 0);
    probe_init(&stuck, 1);
    probe_init(&trapper, 2);
    probe_spawn(node, &quick, NULL);
    erg_pid_t spid = probe_spawn(node, &stuck, NULL);
    erg_pid_t tpid = probe_spawn(node, &trapper, NULL);
    probe_cmd_t trap = probe_op(OP_TRAP, erg_to_pid(tpid));
    trap.n = 1;
    probe_do(node, tpid, trap);
    assert_true(probe_wait(&trapper.responses, 1));
    /* stuck sits in a handler until we open the gate. */
    probe_do(node, spid, probe_op(OP_GATE, erg_to_pid(spid)));
    while (!atomic_load(&stuck.in_gate))
        probe_sleep_ms(1);
    /* Open the gate from a thread once stuck has been killed: a running
     * handler cannot be preempted, so stop waits for it to return. */
    opener_t op = {node, spid, &stuck, &reports};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, opener, &op), 0);
    ERG_PASS(erg_node_stop(node));
    pthread_join(th, NULL);
    assert_int_equal(atomic_load(&quick.term_reason), ERG_REASON_SHUTDOWN);
    /* The node's shutdown exit cannot be trapped. */
    assert_int_equal(atomic_load(&trapper.term_reason), ERG_REASON_SHUTDOWN);
    assert_int_equal(atomic_load(&trapper.exits), 0);
    assert_true(atomic_load(&reports) >= 1);
    assert_int_equal(atomic_load(&stuck.term_reason), ERG_REASON_KILL);
}

#define T(f) ERG_TEST_WITH_ALLOC(f)

int main(void) {
    const struct CMUnitTest tests[] = {
        T(test_node_start_rejects_bad_names),
        T(test_node_pid_and_creation_identify_the_incarnation),
        T(test_node_refs_are_unique_and_deadlines_expire),
        T(test_node_env_is_inherited_and_overridden),
        T(test_node_inspect_and_info_describe_a_process),
        T(test_node_stop_waits_reports_and_kills_after_timeout),
    };
    return cmocka_run_group_tests_name("core.node", tests, NULL, NULL);
}
