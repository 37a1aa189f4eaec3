/* SPDX-License-Identifier: MIT */
/* typed_test.c: actors declared in a schema, run on their generated tables. */
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "erg/erg.h"
#include "core/typed.h" /* generated from tests/core/schemas/core/typed.erg */
#include "testutil.h"

#define WAIT_MS 5000

static bool wait_for(atomic_long *v, long target) {
    for (long i = 0; i < WAIT_MS * 10L; i++) {
        if (atomic_load(v) >= target)
            return true;
        struct timespec ts = {0, 100000};
        nanosleep(&ts, NULL);
    }
    return atomic_load(v) >= target;
}

static erg_node_t *start_node(void) {
    erg_node_opts_t o;
    erg_node_opts_init(&o);
    o.workers = 2;
    o.no_default_logger = true;
    erg_node_t *node = NULL;
    ERG_PASS(erg_node_start("typed@localhost", &o, &node));
    return node;
}

/* What the test thread observes of the actors (written before the counter
 * that announces it, read after waiting for that counter). */
typedef struct observer_s {
    atomic_long greets;
    atomic_long times;
    char name[17];
    atomic_long ticks;
    atomic_long last_seq;
    atomic_long untyped;
    atomic_long typed_seen;
    atomic_long terminated;
    atomic_long had_self;
} observer_t;

/* ---- the typed actor (core.typed.Greeter) -------------------------------- */

typedef struct greeter_s {
    observer_t *obs;
} greeter_t;

static erg_err_t on_greet(void *state, const core_typed_greet_v2_t *msg) {
    greeter_t *g = state;
    memcpy(g->obs->name, msg->name.ptr, msg->name.len);
    g->obs->name[msg->name.len] = 0;
    if (erg_typed_self() != NULL)
        atomic_store(&g->obs->had_self, 1);
    atomic_store(&g->obs->times, (long)msg->times);
    atomic_fetch_add(&g->obs->greets, 1);
    return ERG_OK;
}

static erg_err_t on_ask(void *state, const core_typed_ask_v1_t *msg,
                        core_typed_answer_v1_t *reply) {
    (void)state;
    if (msg->n < 0)
        return ERG_EINVAL;
    *reply = (core_typed_answer_v1_t)CORE_TYPED_ANSWER_V1_INIT;
    reply->n = (int64_t)msg->n * 2;
    /* 99 answers with a label over its bound of 8. */
    reply->label = msg->n == 99 ? ERG_STR("much-too-long") : ERG_STR("ok");
    return ERG_OK;
}

static erg_err_t on_tick(void *state, const core_typed_tick_v1_t *msg) {
    greeter_t *g = state;
    atomic_store(&g->obs->last_seq, (long)msg->seq);
    atomic_fetch_add(&g->obs->ticks, 1);
    return ERG_OK;
}

static const core_typed_greeter_actor_t greeter_handlers = {
    .greet = on_greet,
    .ask = on_ask,
    .tick = on_tick,
};

static const erg_typed_actor_t greeter_typed = {
    &core_typed_greeter_dispatch, &greeter_handlers, NULL};

static erg_reason_t greeter_init(erg_proc_t *self, void *args) {
    greeter_t *g = erg_proc_state(self);
    g->obs = args;
    /* Subscribe when a producer is there (the event test starts one). */
    (void)erg_monitor(self, erg_to_event("ticks"), NULL);
    return ERG_REASON_NONE;
}

static void greeter_terminate(erg_proc_t *self, erg_reason_t reason) {
    (void)reason;
    greeter_t *g = erg_proc_state(self);
    atomic_fetch_add(&g->obs->terminated, 1);
}

static const erg_behavior_t greeter = {
    .name = "greeter",
    .state_size = sizeof(greeter_t),
    .init = greeter_init,
    .terminate = greeter_terminate,
    ERG_TYPED_BEHAVIOR(&greeter_typed),
};

static erg_pid_t spawn_greeter(erg_node_t *node, observer_t *obs) {
    erg_pid_t pid;
    ERG_PASS(erg_node_spawn(node, &greeter, NULL, obs, &pid));
    return pid;
}

/* ---- tests --------------------------------------------------------------- */

static void test_typed_accepted_send_is_delivered(void **state) {
    (void)state;
    erg_node_t *node = start_node();
    observer_t obs = {0};
    erg_pid_t pid = spawn_greeter(node, &obs);
    core_typed_greet_v2_t v2 = CORE_TYPED_GREET_V2_INIT;
    v2.name = ERG_STR("ada");
    v2.times = 7;
    erg_msg_t *m;
    ERG_PASS(erg_typed_msg_new(&core_typed_greet_v2_desc, &v2, &m));
    assert_ptr_equal(erg_typed_msg_desc(m), &core_typed_greet_v2_desc);
    ERG_PASS(erg_node_send(node, erg_to_pid(pid), m, 0));
    assert_true(wait_for(&obs.greets, 1));
    assert_string_equal(obs.name, "ada");
    assert_int_equal(atomic_load(&obs.times), 7);
    assert_int_equal(atomic_load(&obs.had_self), 1);
    ERG_PASS(erg_node_stop(node));
}

static void test_typed_unaccepted_type_is_refused_at_once(void **state) {
    (void)state;
    erg_node_t *node = start_node();
    observer_t obs = {0};
    erg_pid_t pid = spawn_greeter(node, &obs);
    /* A schema type the actor does not take. */
    core_typed_stranger_v1_t s = CORE_TYPED_STRANGER_V1_INIT;
    erg_msg_t *m;
    ERG_PASS(erg_typed_msg_new(&core_typed_stranger_v1_desc, &s, &m));
    ERG_FAIL(erg_node_send(node, erg_to_pid(pid), m, 0), ERG_ENOTACCEPTED);
    /* An event version it subscribes to is not sendable. */
    core_typed_tick_v1_t t = CORE_TYPED_TICK_V1_INIT;
    erg_msg_t *e;
    ERG_PASS(erg_typed_msg_new(&core_typed_tick_v1_desc, &t, &e));
    ERG_FAIL(erg_node_send(node, erg_to_pid(pid), e, 0), ERG_ENOTACCEPTED);
    /* An untyped message, even one named by a descriptor. */
    erg_msg_t *u;
    ERG_PASS(erg_msg_new(&core_typed_greet_v2_desc, 64, &u));
    ERG_FAIL(erg_node_send(node, erg_to_pid(pid), u, 0), ERG_ENOTACCEPTED);
    /* A call of a cast-only version. */
    erg_msg_t *reply = NULL;
    ERG_FAIL(erg_node_call(node, erg_to_pid(pid), e, 1000, &reply),
             ERG_ENOTACCEPTED);
    /* A call's version sent as a plain message, and a cast's as a call:
     * refused at the send, not dropped later. */
    core_typed_ask_v1_t ask = CORE_TYPED_ASK_V1_INIT;
    erg_msg_t *am;
    ERG_PASS(erg_typed_msg_new(&core_typed_ask_v1_desc, &ask, &am));
    ERG_FAIL(erg_node_send(node, erg_to_pid(pid), am, 0), ERG_ENOTACCEPTED);
    core_typed_greet_v2_t g = CORE_TYPED_GREET_V2_INIT;
    erg_msg_t *gm;
    ERG_PASS(erg_typed_msg_new(&core_typed_greet_v2_desc, &g, &gm));
    ERG_FAIL(erg_node_call(node, erg_to_pid(pid), gm, 1000, &reply),
             ERG_ENOTACCEPTED);
    /* The sender keeps each refused message. */
    erg_msg_release(am);
    erg_msg_release(gm);
    erg_msg_release(m);
    erg_msg_release(e);
    erg_msg_release(u);
    /* The same refusal through the generated helper. */
    erg_typed_sender_t ts;
    erg_typed_sender_init(&ts, NULL, node, erg_to_pid(pid), 1000);
    ERG_FAIL(core_typed_sender_cast_stranger_v1(&ts.sender, &s),
             ERG_ENOTACCEPTED);
    assert_int_equal(atomic_load(&obs.greets), 0);
    ERG_PASS(erg_node_stop(node));
}

static void test_typed_v1_send_reaches_v2_handler_upgraded(void **state) {
    (void)state;
    erg_node_t *node = start_node();
    observer_t obs = {0};
    erg_pid_t pid = spawn_greeter(node, &obs);
    core_typed_greet_v1_t v1 = CORE_TYPED_GREET_V1_INIT;
    v1.name = ERG_STR("grace");
    erg_typed_sender_t ts;
    erg_typed_sender_init(&ts, NULL, node, erg_to_pid(pid), 1000);
    ERG_PASS(core_typed_greeter_cast_greet_v1(&ts.sender, &v1));
    assert_true(wait_for(&obs.greets, 1));
    assert_string_equal(obs.name, "grace");
    assert_int_equal(atomic_load(&obs.times), 2); /* set by the upgrade */
    ERG_PASS(erg_node_stop(node));
}

static void test_typed_bounds_violation_is_refused(void **state) {
    (void)state;
    erg_node_t *node = start_node();
    observer_t obs = {0};
    erg_pid_t pid = spawn_greeter(node, &obs);
    core_typed_greet_v2_t v2 = CORE_TYPED_GREET_V2_INIT;
    v2.name = ERG_STR("seventeen-letters"); /* string<16> */
    erg_msg_t *m = (erg_msg_t *)&obs; /* must be reset to NULL */
    ERG_FAIL(erg_typed_msg_new(&core_typed_greet_v2_desc, &v2, &m),
             ERG_EBOUNDS);
    assert_null(m);
    erg_typed_sender_t ts;
    erg_typed_sender_init(&ts, NULL, node, erg_to_pid(pid), 1000);
    ERG_FAIL(core_typed_greeter_cast_greet_v2(&ts.sender, &v2), ERG_EBOUNDS);
    v2.name = (erg_str_t){"\xff\xfe", 2};
    ERG_FAIL(core_typed_greeter_cast_greet_v2(&ts.sender, &v2), ERG_EUTF8);
    assert_int_equal(atomic_load(&obs.greets), 0);
    ERG_PASS(erg_node_stop(node));
}

static void test_typed_call_gets_its_reply(void **state) {
    (void)state;
    erg_node_t *node = start_node();
    observer_t obs = {0};
    erg_pid_t pid = spawn_greeter(node, &obs);
    erg_typed_sender_t ts;
    erg_typed_sender_init(&ts, NULL, node, erg_to_pid(pid), 2000);
    core_typed_ask_v1_t ask = CORE_TYPED_ASK_V1_INIT;
    ask.n = 21;
    core_typed_answer_v1_t *ans = NULL;
    ERG_PASS(core_typed_greeter_call_ask_v1(&ts.sender, &ask, &ans));
    assert_non_null(ans);
    assert_int_equal(ans->n, 42);
    assert_string_equal(ans->label.ptr, "ok");
    core_typed_answer_v1_free(ans);
    /* The same call by hand: the reply is a typed message. */
    erg_msg_t *req, *reply = NULL;
    ERG_PASS(erg_typed_msg_new(&core_typed_ask_v1_desc, &ask, &req));
    ERG_PASS(erg_node_call(node, erg_to_pid(pid), req, 2000, &reply));
    assert_ptr_equal(erg_typed_msg_desc(reply), &core_typed_answer_v1_desc);
    const core_typed_answer_v1_t *a = erg_typed_msg_value(reply);
    assert_int_equal(a->n, 42);
    erg_msg_release(reply);
    /* A handler's error and a reply over its bounds reach the caller. */
    ask.n = -1;
    ans = NULL;
    ERG_FAIL(core_typed_greeter_call_ask_v1(&ts.sender, &ask, &ans),
             ERG_EINVAL);
    assert_null(ans);
    ask.n = 99;
    ERG_FAIL(core_typed_greeter_call_ask_v1(&ts.sender, &ask, &ans),
             ERG_EBOUNDS);
    /* The actor lives on and still answers. */
    ask.n = 5;
    ERG_PASS(core_typed_greeter_call_ask_v1(&ts.sender, &ask, &ans));
    assert_int_equal(ans->n, 10);
    core_typed_answer_v1_free(ans);
    ERG_PASS(erg_node_stop(node));
}

static void test_typed_system_traffic_is_never_refused(void **state) {
    (void)state;
    erg_node_t *node = start_node();
    observer_t obs = {0};
    erg_pid_t pid = spawn_greeter(node, &obs);
    erg_inspect_t *in = NULL;
    ERG_PASS(erg_node_inspect(node, pid, 2000, &in));
    assert_string_equal(erg_inspect_find(in, "behavior"), "greeter");
    erg_inspect_free(in);
    ERG_PASS(erg_node_send_exit(node, pid, ERG_REASON_USER + 1));
    assert_true(wait_for(&obs.terminated, 1));
    ERG_PASS(erg_node_stop(node));
}

/* ---- events: a C producer publishing core.typed.Tick --------------------- */

typedef struct producer_s {
    erg_ref_t token;
} producer_t;

static erg_reason_t producer_init(erg_proc_t *self, void *args) {
    (void)args;
    producer_t *p = erg_proc_state(self);
    erg_err_t rv = erg_event_register(self, "ticks", NULL, &p->token);
    return rv == ERG_OK ? ERG_REASON_NONE : (erg_reason_t)rv;
}

/* Any message asks for one Tick with the u64 the message carries. */
static erg_reason_t producer_message(erg_proc_t *self, erg_pid_t from,
                                     erg_msg_t *msg) {
    (void)from;
    producer_t *p = erg_proc_state(self);
    core_typed_tick_v1_t t = CORE_TYPED_TICK_V1_INIT;
    t.seq = *(const uint64_t *)erg_msg_data(msg);
    erg_typed_sender_t ts;
    erg_typed_sender_init_event(&ts, self, "ticks", p->token);
    core_typed_ask_v1_t ask = CORE_TYPED_ASK_V1_INIT;
    core_typed_answer_v1_t *ans = NULL;
    erg_err_t rv = core_typed_greeter_call_ask_v1(&ts.sender, &ask, &ans);
    if (rv != ERG_ENOTSUP)
        return ERG_REASON_PANIC;
    return (erg_reason_t)core_typed_clock_publish_tick_v1(&ts.sender, &t);
}

static const erg_behavior_t producer = {
    .name = "producer",
    .state_size = sizeof(producer_t),
    .init = producer_init,
    .handle_message = producer_message,
};

static void test_typed_subscriber_gets_events(void **state) {
    (void)state;
    erg_node_t *node = start_node();
    erg_pid_t ppid;
    ERG_PASS(erg_node_spawn(node, &producer, NULL, NULL, &ppid));
    observer_t obs = {0};
    spawn_greeter(node, &obs); /* monitors "ticks" in init */
    unsigned subs = 0;
    ERG_PASS(erg_node_event_subscribers(node, "ticks", &subs));
    assert_int_equal(subs, 1);
    uint64_t seq = 77;
    erg_msg_t *m;
    ERG_PASS(erg_msg_new_copy(NULL, &seq, sizeof(seq), &m));
    ERG_PASS(erg_node_send(node, erg_to_pid(ppid), m, 0));
    assert_true(wait_for(&obs.ticks, 1));
    assert_int_equal(atomic_load(&obs.last_seq), 77);
    ERG_PASS(erg_node_stop(node));
}

/* ---- an untyped C actor accepts anything --------------------------------- */

static erg_reason_t untyped_init(erg_proc_t *self, void *args) {
    *(observer_t **)erg_proc_state(self) = args;
    return ERG_REASON_NONE;
}

static erg_reason_t untyped_message(erg_proc_t *self, erg_pid_t from,
                                    erg_msg_t *msg) {
    (void)from;
    observer_t *obs = *(observer_t **)erg_proc_state(self);
    const core_typed_stranger_v1_t *s = erg_typed_msg_value(msg);
    if (s != NULL && s->x == 9)
        atomic_fetch_add(&obs->typed_seen, 1);
    atomic_fetch_add(&obs->untyped, 1);
    return ERG_REASON_NONE;
}

static const erg_behavior_t untyped = {
    .name = "untyped",
    .state_size = sizeof(observer_t *),
    .init = untyped_init,
    .handle_message = untyped_message,
};

static void test_untyped_actor_accepts_anything(void **state) {
    (void)state;
    erg_node_t *node = start_node();
    observer_t obs = {0};
    erg_pid_t pid;
    ERG_PASS(erg_node_spawn(node, &untyped, NULL, &obs, &pid));
    erg_msg_t *m;
    ERG_PASS(erg_msg_new(NULL, 3, &m));
    ERG_PASS(erg_node_send(node, erg_to_pid(pid), m, 0));
    core_typed_stranger_v1_t s = CORE_TYPED_STRANGER_V1_INIT;
    s.x = 9;
    erg_typed_sender_t ts;
    erg_typed_sender_init(&ts, NULL, node, erg_to_pid(pid), 1000);
    ERG_PASS(core_typed_sender_cast_stranger_v1(&ts.sender, &s));
    assert_true(wait_for(&obs.untyped, 2));
    assert_int_equal(atomic_load(&obs.typed_seen), 1);
    ERG_PASS(erg_node_stop(node));
}

#define T(f) ERG_TEST_WITH_ALLOC(f)

int main(void) {
    const struct CMUnitTest tests[] = {
        T(test_typed_accepted_send_is_delivered),
        T(test_typed_unaccepted_type_is_refused_at_once),
        T(test_typed_v1_send_reaches_v2_handler_upgraded),
        T(test_typed_bounds_violation_is_refused),
        T(test_typed_call_gets_its_reply),
        T(test_typed_system_traffic_is_never_refused),
        T(test_typed_subscriber_gets_events),
        T(test_untyped_actor_accepts_anything),
    };
    return cmocka_run_group_tests_name("core.typed", tests, NULL, NULL);
}
