/* SPDX-License-Identifier: MIT */
/* pool_test.c: pools forward, skip, replace, grow and shrink as Ergo's do. */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "erg/erg.h"
#include "testutil.h"

#define MAXW 16

/* What the workers share with the test. */
typedef struct shared_s {
    atomic_int next_id;
    atomic_int hits[MAXW];  /* messages each worker handled */
    atomic_int block[MAXW]; /* set: that worker's "block" spins */
    atomic_int blocked;     /* workers spinning now */
    atomic_int fail_init;   /* worker inits fail with this */
    atomic_int fail_after;  /* ...once this many have started (0: at once) */
    atomic_int own_msgs;    /* the pool's own messages */
    atomic_int events;      /* events the pool got */
} shared_t;

typedef struct wstate_s {
    shared_t *sh;
    int id;
} wstate_t;

static const char block_type[] = "block";
static const char count_type[] = "count";
static const char id_type[] = "id";

static void nap(void) {
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
}

#define WAIT_UNTIL(cond)                    \
    do {                                    \
        int erg__i = 0;                     \
        while (!(cond) && erg__i++ < 20000) \
            nap();                          \
        assert_true(cond);                  \
    } while (0)

static erg_reason_t w_init(erg_proc_t *self, void *args) {
    wstate_t *st = erg_proc_state(self);
    st->sh = args;
    int fail = atomic_load(&st->sh->fail_init);
    int started = atomic_load(&st->sh->next_id);
    if (fail != 0 && started >= atomic_load(&st->sh->fail_after))
        return fail;
    st->id = atomic_fetch_add(&st->sh->next_id, 1);
    return ERG_REASON_NONE;
}

static erg_reason_t w_message(erg_proc_t *self, erg_pid_t from,
                              erg_msg_t *msg) {
    (void)from;
    wstate_t *st = erg_proc_state(self);
    if (erg_msg_type(msg) == block_type) {
        atomic_fetch_add(&st->sh->blocked, 1);
        while (atomic_load(&st->sh->block[st->id]))
            nap();
        atomic_fetch_sub(&st->sh->blocked, 1);
    }
    atomic_fetch_add(&st->sh->hits[st->id], 1);
    return ERG_REASON_NONE;
}

/* A worker answers with its id, straight to the pool's caller. */
static erg_reason_t w_call(erg_proc_t *self, erg_pid_t from, erg_ref_t ref,
                           erg_msg_t *request, erg_msg_t **reply) {
    (void)from;
    (void)ref;
    (void)request;
    wstate_t *st = erg_proc_state(self);
    return erg_msg_new_copy(id_type, &st->id, sizeof(int), reply);
}

static const erg_behavior_t worker = {
    .name = "pool-worker",
    .state_size = sizeof(wstate_t),
    .init = w_init,
    .handle_message = w_message,
    .handle_call = w_call,
};

/* The pool's own handlers: high-priority mail. */
static const char grow_type[] = "grow";
static const char shrink_type[] = "shrink";
static const char subscribe_type[] = "subscribe";
static const char publish_type[] = "publish";

static erg_reason_t own_message(erg_proc_t *self, erg_pid_t from,
                                erg_msg_t *msg) {
    (void)from;
    shared_t *sh = erg_pool_arg(self);
    unsigned size;
    if (erg_msg_type(msg) == grow_type)
        return erg_pool_self_add_workers(self, 2, &size);
    if (erg_msg_type(msg) == shrink_type)
        return erg_pool_self_remove_workers(self, 1, &size);
    if (erg_msg_type(msg) == subscribe_type)
        return erg_monitor(self, erg_to_event("news"), NULL);
    atomic_fetch_add(&sh->own_msgs, 1);
    return ERG_REASON_NONE;
}

static erg_reason_t own_event(erg_proc_t *self, const erg_event_msg_t *ev) {
    (void)ev;
    shared_t *sh = erg_pool_arg(self);
    atomic_fetch_add(&sh->events, 1);
    return ERG_REASON_NONE;
}

/* A producer of the event "news": publishes on every message. */
typedef struct prod_s {
    erg_ref_t token;
} prod_t;

static erg_reason_t prod_init(erg_proc_t *self, void *args) {
    (void)args;
    prod_t *st = erg_proc_state(self);
    return erg_event_register(self, "news", NULL, &st->token);
}

static erg_reason_t prod_message(erg_proc_t *self, erg_pid_t from,
                                 erg_msg_t *msg) {
    (void)from;
    (void)msg;
    prod_t *st = erg_proc_state(self);
    erg_msg_t *m;
    erg_err_t rv = erg_msg_new(NULL, 0, &m);
    if (rv == ERG_OK &&
        (rv = erg_event_send(self, "news", st->token, m)) != ERG_OK)
        erg_msg_release(m);
    return rv;
}

static const erg_behavior_t producer = {.name = "producer",
                                        .state_size = sizeof(prod_t),
                                        .init = prod_init,
                                        .handle_message = prod_message};

static erg_reason_t own_call(erg_proc_t *self, erg_pid_t from, erg_ref_t ref,
                             erg_msg_t *request, erg_msg_t **reply) {
    (void)self;
    (void)from;
    (void)ref;
    (void)request;
    int id = -1;
    return erg_msg_new_copy(id_type, &id, sizeof(int), reply);
}

static erg_node_t *node_up(void) {
    erg_node_opts_t o;
    erg_node_opts_init(&o);
    o.workers = 4;
    o.no_default_logger = true;
    erg_node_t *node;
    ERG_PASS(erg_node_start("pool@localhost", &o, &node));
    return node;
}

static erg_pool_spec_t pool_spec(shared_t *sh, unsigned size) {
    erg_pool_spec_t s;
    memset(&s, 0, sizeof(s));
    s.worker = &worker;
    s.worker_args = sh;
    s.size = size;
    s.handle_message = own_message;
    s.handle_call = own_call;
    s.handle_event = own_event;
    s.arg = sh;
    return s;
}

static void send_prio(erg_node_t *node, erg_pid_t pid, const void *type,
                      int prio) {
    erg_msg_t *m;
    ERG_PASS(erg_msg_new(type, 0, &m));
    ERG_PASS(erg_node_send(node, erg_to_pid(pid), m, prio));
}

static erg_err_t call_id(erg_node_t *node, erg_pid_t pid, int prio, int *id) {
    erg_msg_t *m, *reply;
    ERG_PASS(erg_msg_new(count_type, 0, &m));
    erg_err_t rv =
        erg_node_call_priority(node, erg_to_pid(pid), m, 2000, prio, &reply);
    if (rv != ERG_OK) {
        erg_msg_release(m);
        return rv;
    }
    assert_ptr_equal(erg_msg_type(reply), id_type);
    *id = *(const int *)erg_msg_data(reply);
    erg_msg_release(reply);
    return ERG_OK;
}

static int hits(shared_t *sh, int id) {
    return atomic_load(&sh->hits[id]);
}

static const char *inspect(erg_node_t *node, erg_pid_t pid, const char *key,
                           char *buf, size_t len) {
    erg_inspect_t *in;
    ERG_PASS(erg_node_inspect(node, pid, 0, &in));
    const char *v = erg_inspect_find(in, key);
    assert_non_null(v);
    snprintf(buf, len, "%s", v);
    erg_inspect_free(in);
    return buf;
}

static bool has(const erg_pid_t *list, size_t n, erg_pid_t pid) {
    for (size_t i = 0; i < n; i++)
        if (erg_pid_equal(list[i], pid))
            return true;
    return false;
}

static void test_pool_forwards_round_robin(void **state) {
    (void)state;
    erg_node_t *node = node_up();
    shared_t sh = {0};
    erg_pool_spec_t spec = pool_spec(&sh, 0); /* Ergo's default: 3 */
    erg_pid_t pool;
    ERG_PASS(erg_pool_start(node, &spec, NULL, &pool));
    assert_int_equal(atomic_load(&sh.next_id), 3);
    for (int i = 0; i < 9; i++)
        send_prio(node, pool, count_type, ERG_PRIORITY_NORMAL);
    WAIT_UNTIL(hits(&sh, 0) + hits(&sh, 1) + hits(&sh, 2) == 9);
    for (int i = 0; i < 3; i++)
        assert_int_equal(hits(&sh, i), 3);
    /* Calls take turns too and are answered by the worker. */
    int seen[3] = {0};
    for (int i = 0; i < 6; i++) {
        int id;
        ERG_PASS(call_id(node, pool, ERG_PRIORITY_NORMAL, &id));
        assert_in_range(id, 0, 2);
        seen[id]++;
    }
    for (int i = 0; i < 3; i++)
        assert_int_equal(seen[i], 2);
    char buf[32];
    assert_string_equal(inspect(node, pool, "messages_forwarded", buf, 32),
                        "15");
    assert_string_equal(inspect(node, pool, "worker_behavior", buf, 32),
                        "pool-worker");
    ERG_PASS(erg_node_stop(node));
}

static void test_pool_handles_high_priority_itself(void **state) {
    (void)state;
    erg_node_t *node = node_up();
    shared_t sh = {0};
    erg_pool_spec_t spec = pool_spec(&sh, 2);
    erg_pid_t pool;
    ERG_PASS(erg_pool_start(node, &spec, NULL, &pool));
    send_prio(node, pool, count_type, ERG_PRIORITY_HIGH);
    send_prio(node, pool, count_type, ERG_PRIORITY_MAX);
    send_prio(node, pool, count_type, ERG_PRIORITY_NORMAL);
    int id;
    ERG_PASS(call_id(node, pool, ERG_PRIORITY_HIGH, &id));
    assert_int_equal(id, -1); /* the pool's own handle_call */
    ERG_PASS(call_id(node, pool, ERG_PRIORITY_NORMAL, &id));
    assert_int_equal(id, 1); /* the second worker's turn */
    WAIT_UNTIL(atomic_load(&sh.own_msgs) == 2 && hits(&sh, 0) == 1);
    assert_int_equal(hits(&sh, 1), 0);
    /* Events the pool subscribed to are its own, and high-priority mail
     * after them still is too. */
    erg_pid_t prod;
    unsigned subs = 0;
    ERG_PASS(erg_node_spawn(node, &producer, NULL, NULL, &prod));
    send_prio(node, pool, subscribe_type, ERG_PRIORITY_HIGH);
    WAIT_UNTIL(erg_node_event_subscribers(node, "news", &subs) == ERG_OK &&
               subs == 1);
    send_prio(node, prod, publish_type, ERG_PRIORITY_NORMAL);
    WAIT_UNTIL(atomic_load(&sh.events) == 1);
    send_prio(node, pool, count_type, ERG_PRIORITY_HIGH);
    WAIT_UNTIL(atomic_load(&sh.own_msgs) == 3);
    send_prio(node, pool, count_type, ERG_PRIORITY_NORMAL);
    WAIT_UNTIL(hits(&sh, 0) == 2); /* the first worker's turn again */
    assert_int_equal(atomic_load(&sh.own_msgs), 3);
    /* Without its own handlers, a pool answers its own calls ENOTSUP. */
    spec.handle_call = NULL;
    ERG_PASS(erg_pool_start(node, &spec, NULL, &pool));
    ERG_FAIL(call_id(node, pool, ERG_PRIORITY_HIGH, &id), ERG_ENOTSUP);
    ERG_PASS(erg_node_stop(node));
}

static void test_pool_replaces_dead_workers(void **state) {
    (void)state;
    erg_node_t *node = node_up();
    shared_t sh = {0};
    erg_pool_spec_t spec = pool_spec(&sh, 3);
    erg_pid_t pool, *list;
    size_t n;
    ERG_PASS(erg_pool_start(node, &spec, NULL, &pool));
    ERG_PASS(erg_pool_workers(node, pool, &list, &n));
    assert_int_equal(n, 3);
    erg_pid_t dead = list[1];
    erg_pool_workers_free(list);
    ERG_PASS(erg_node_kill_process(node, dead));
    WAIT_UNTIL(atomic_load(&sh.next_id) == 4);
    ERG_PASS(erg_pool_workers(node, pool, &list, &n));
    assert_int_equal(n, 3);
    assert_false(has(list, n, dead));
    erg_pool_workers_free(list);
    char buf[32];
    assert_string_equal(inspect(node, pool, "worker_restarts", buf, 32), "1");
    /* The replacement (id 3) takes the dead one's turns. */
    for (int i = 0; i < 6; i++)
        send_prio(node, pool, count_type, ERG_PRIORITY_NORMAL);
    WAIT_UNTIL(hits(&sh, 0) + hits(&sh, 2) + hits(&sh, 3) == 6);
    assert_int_equal(hits(&sh, 0), 2);
    assert_int_equal(hits(&sh, 1), 0);
    assert_int_equal(hits(&sh, 2), 2);
    assert_int_equal(hits(&sh, 3), 2);
    /* A worker ending normally is replaced as well (Ergo replaces any
     * worker that is gone). */
    ERG_PASS(erg_pool_workers(node, pool, &list, &n));
    ERG_PASS(erg_node_send_exit(node, list[0], ERG_REASON_NORMAL));
    erg_pool_workers_free(list);
    WAIT_UNTIL(atomic_load(&sh.next_id) == 5);
    /* A replacement whose init fails leaves the pool one smaller. */
    atomic_store(&sh.fail_init, ERG_EINCORRECT);
    ERG_PASS(erg_pool_workers(node, pool, &list, &n));
    ERG_PASS(erg_node_kill_process(node, list[0]));
    erg_pool_workers_free(list);
    WAIT_UNTIL(erg_pool_workers(node, pool, &list, &n) == ERG_OK &&
               (erg_pool_workers_free(list), n == 2));
    WAIT_UNTIL(erg_node_process_count(node) == 3);
    ERG_PASS(erg_node_stop(node));
}

static void test_pool_skips_full_workers(void **state) {
    (void)state;
    erg_node_t *node = node_up();
    shared_t sh = {0};
    erg_pool_spec_t spec = pool_spec(&sh, 2);
    spec.worker_opts.mailbox_limit = 1;
    erg_pid_t pool;
    ERG_PASS(erg_pool_start(node, &spec, NULL, &pool));
    atomic_store(&sh.block[0], 1);
    send_prio(node, pool, block_type, ERG_PRIORITY_NORMAL); /* -> 0 */
    WAIT_UNTIL(atomic_load(&sh.blocked) == 1);
    send_prio(node, pool, count_type, ERG_PRIORITY_NORMAL); /* -> 1 */
    WAIT_UNTIL(hits(&sh, 1) == 1);
    send_prio(node, pool, count_type, ERG_PRIORITY_NORMAL); /* -> 0, full */
    send_prio(node, pool, count_type, ERG_PRIORITY_NORMAL); /* -> 1 */
    WAIT_UNTIL(hits(&sh, 1) == 2);
    send_prio(node, pool, count_type, ERG_PRIORITY_NORMAL); /* 0 full: 1 */
    WAIT_UNTIL(hits(&sh, 1) == 3);
    char buf[32];
    assert_string_equal(inspect(node, pool, "messages_unhandled", buf, 32),
                        "0");
    /* With every worker full, a message is unhandled and a call is
     * answered with ERG_EMBOXFULL at once. */
    atomic_store(&sh.block[1], 1);
    send_prio(node, pool, block_type, ERG_PRIORITY_NORMAL); /* -> 1 */
    WAIT_UNTIL(atomic_load(&sh.blocked) == 2);
    send_prio(node, pool, count_type, ERG_PRIORITY_NORMAL); /* -> 1, full */
    send_prio(node, pool, count_type, ERG_PRIORITY_NORMAL); /* nobody */
    int id;
    ERG_FAIL(call_id(node, pool, ERG_PRIORITY_NORMAL, &id), ERG_EMBOXFULL);
    assert_string_equal(inspect(node, pool, "messages_unhandled", buf, 32),
                        "2");
    atomic_store(&sh.block[0], 0);
    atomic_store(&sh.block[1], 0);
    WAIT_UNTIL(hits(&sh, 0) == 2 && hits(&sh, 1) == 5);
    ERG_PASS(erg_node_stop(node));
}

static void test_pool_grows_and_shrinks(void **state) {
    (void)state;
    erg_node_t *node = node_up();
    shared_t sh = {0};
    erg_pool_spec_t spec = pool_spec(&sh, 2);
    erg_pid_t pool, *list;
    size_t n;
    unsigned size;
    ERG_PASS(erg_pool_start(node, &spec, NULL, &pool));
    ERG_PASS(erg_pool_add_workers(node, pool, 3, &size));
    assert_int_equal(size, 5);
    assert_int_equal(atomic_load(&sh.next_id), 5);
    for (int i = 0; i < 5; i++)
        send_prio(node, pool, count_type, ERG_PRIORITY_NORMAL);
    WAIT_UNTIL(hits(&sh, 0) + hits(&sh, 1) + hits(&sh, 2) + hits(&sh, 3) +
                   hits(&sh, 4) ==
               5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(hits(&sh, i), 1);
    ERG_PASS(erg_pool_workers(node, pool, &list, &n));
    assert_int_equal(n, 5);
    erg_pid_t last = list[4];
    erg_pool_workers_free(list);
    ERG_PASS(erg_pool_remove_workers(node, pool, 3, &size));
    assert_int_equal(size, 2);
    ERG_FAIL(erg_pool_remove_workers(node, pool, 3, &size), ERG_EINVAL);
    assert_int_equal(size, 2);
    WAIT_UNTIL(erg_node_process_count(node) == 3);
    ERG_PASS(erg_pool_workers(node, pool, &list, &n));
    assert_int_equal(n, 2);
    assert_false(has(list, n, last));
    erg_pool_workers_free(list);
    /* Removed workers are not replaced. */
    char buf[32];
    assert_string_equal(inspect(node, pool, "worker_restarts", buf, 32), "0");
    assert_string_equal(inspect(node, pool, "pool_size", buf, 32), "2");
    /* From the pool's own callbacks, as Ergo's AddWorkers is called. */
    send_prio(node, pool, grow_type, ERG_PRIORITY_HIGH);
    send_prio(node, pool, shrink_type, ERG_PRIORITY_HIGH);
    WAIT_UNTIL(atomic_load(&sh.next_id) == 7);
    ERG_PASS(erg_pool_workers(node, pool, &list, &n));
    assert_int_equal(n, 3);
    erg_pool_workers_free(list);
    /* A worker failing to start ends add_workers with its error. */
    atomic_store(&sh.fail_init, ERG_EINCORRECT);
    ERG_FAIL(erg_pool_add_workers(node, pool, 1, &size), ERG_EINCORRECT);
    assert_int_equal(size, 3);
    ERG_PASS(erg_node_stop(node));
}

static void test_pool_start_fails_when_a_worker_fails(void **state) {
    (void)state;
    erg_node_t *node = node_up();
    shared_t sh = {0};
    atomic_store(&sh.fail_init, ERG_EINCORRECT);
    erg_pool_spec_t spec = pool_spec(&sh, 3);
    erg_pid_t pool;
    ERG_FAIL(erg_pool_start(node, &spec, NULL, &pool), ERG_EINCORRECT);
    /* Two workers start, the third fails: the two end with the pool. */
    atomic_store(&sh.fail_after, 2);
    ERG_FAIL(erg_pool_start(node, &spec, NULL, &pool), ERG_EINCORRECT);
    assert_int_equal(atomic_load(&sh.next_id), 2);
    WAIT_UNTIL(erg_node_process_count(node) == 0);
    spec.worker = NULL;
    ERG_FAIL(erg_pool_start(node, &spec, NULL, &pool), ERG_EINVAL);
    spec.worker = &worker;
    spec.worker_opts.register_name = "one";
    ERG_FAIL(erg_pool_start(node, &spec, NULL, &pool), ERG_EINVAL);
    WAIT_UNTIL(erg_node_process_count(node) == 0);
    ERG_PASS(erg_node_stop(node));
}

/* A process that sends an exit signal to the pid it is given and ends. */
static erg_reason_t k_init(erg_proc_t *self, void *args) {
    (void)erg_send_exit(self, *(erg_pid_t *)args, ERG_REASON_USER + 7);
    return ERG_REASON_NORMAL;
}

static const erg_behavior_t killer = {.name = "killer", .init = k_init};

/* As Ergo's pool, an exit from anything but a worker ends the pool (and
 * its workers with it). */
static void test_pool_ends_on_an_exit_from_a_non_worker(void **state) {
    (void)state;
    erg_node_t *node = node_up();
    shared_t sh = {0};
    erg_pool_spec_t spec = pool_spec(&sh, 2);
    erg_pid_t pool, k;
    erg_proc_info_t info;
    ERG_PASS(erg_pool_start(node, &spec, NULL, &pool));
    ERG_PASS(erg_node_process_info(node, pool, &info));
    assert_true(info.trap_exit);
    ERG_FAIL(erg_node_spawn(node, &killer, NULL, &pool, &k), ERG_ETERMINATED);
    WAIT_UNTIL(erg_node_process_info(node, pool, &info) == ERG_ENOPROC &&
               erg_node_process_count(node) == 0);
    ERG_PASS(erg_node_stop(node));
}

/* A pool is an ordinary process: a supervisor restarts it. */
static void test_pool_under_a_supervisor(void **state) {
    (void)state;
    erg_node_t *node = node_up();
    shared_t sh = {0};
    erg_pool_spec_t spec = pool_spec(&sh, 2);
    erg_sup_child_spec_t kids[] = {
        {.name = "pool", .beh = &erg_pool_behavior, .args = &spec}};
    erg_sup_spec_t sspec = {
        .type = ERG_SUP_ONE_FOR_ONE, .children = kids, .nchildren = 1};
    erg_pid_t sup, pool, again;
    ERG_PASS(erg_sup_start(node, &sspec, NULL, &sup));
    ERG_PASS(erg_node_resolve_name(node, "pool", &pool));
    int id;
    ERG_PASS(call_id(node, pool, ERG_PRIORITY_NORMAL, &id));
    assert_int_equal(id, 0);
    ERG_PASS(erg_node_kill_process(node, pool));
    WAIT_UNTIL(erg_node_resolve_name(node, "pool", &again) == ERG_OK &&
               !erg_pid_equal(again, pool));
    /* Its workers went with it (linked to their parent); new ones run. */
    WAIT_UNTIL(atomic_load(&sh.next_id) == 4 &&
               erg_node_process_count(node) == 4);
    ERG_PASS(erg_node_stop(node));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        ERG_TEST_WITH_ALLOC(test_pool_forwards_round_robin),
        ERG_TEST_WITH_ALLOC(test_pool_handles_high_priority_itself),
        ERG_TEST_WITH_ALLOC(test_pool_replaces_dead_workers),
        ERG_TEST_WITH_ALLOC(test_pool_skips_full_workers),
        ERG_TEST_WITH_ALLOC(test_pool_grows_and_shrinks),
        ERG_TEST_WITH_ALLOC(test_pool_start_fails_when_a_worker_fails),
        ERG_TEST_WITH_ALLOC(test_pool_ends_on_an_exit_from_a_non_worker),
        ERG_TEST_WITH_ALLOC(test_pool_under_a_supervisor),
    };
    return cmocka_run_group_tests_name("pool.pool", tests, NULL, NULL);
}
