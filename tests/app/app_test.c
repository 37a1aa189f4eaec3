/* SPDX-License-Identifier: MIT */
/* app_test.c: applications start, stop and apply their modes as Ergo's do. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "erg/erg.h"
#include "testutil.h"

/* What a member shares with the test. */
typedef struct wk_s {
    char tag;             /* its letter in the order logs */
    atomic_int fail_init; /* init returns ERG_EINVAL while set */
    atomic_int starts, terms;
    atomic_int reason; /* its last terminate reason */
    atomic_int blocked, release;
    erg_pid_t pid;      /* under log_lock: 16 bytes are not lock-free */
    char env[32];       /* the value of APP_ENV it saw in init */
    atomic_int stop_rv; /* what stopping its own application returned */
} wk_t;

typedef struct wstate_s {
    wk_t *w;
} wstate_t;

static const char exit_type[] = "exit";         /* payload: the reason to end */
static const char block_type[] = "block";       /* wait in the handler */
static const char stop_app_type[] = "stop-app"; /* payload: the app name */

static void nap(void) {
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
}

/* Generous: conditions are polled for up to 20 s. */
#define WAIT_UNTIL(cond)                    \
    do {                                    \
        int erg__i = 0;                     \
        while (!(cond) && erg__i++ < 20000) \
            nap();                          \
        assert_true(cond);                  \
    } while (0)

/* The order in which members started and terminated, by tag. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char starts_log[64], terms_log[64];
static size_t nstarts, nterms;

static void log_reset(void) {
    pthread_mutex_lock(&log_lock);
    memset(starts_log, 0, sizeof(starts_log));
    memset(terms_log, 0, sizeof(terms_log));
    nstarts = nterms = 0;
    pthread_mutex_unlock(&log_lock);
}

static void log_add(char *log, size_t *n, char tag) {
    pthread_mutex_lock(&log_lock);
    if (*n < 63)
        log[(*n)++] = tag;
    pthread_mutex_unlock(&log_lock);
}

static bool log_is(const char *log, const char *want) {
    pthread_mutex_lock(&log_lock);
    bool same = strcmp(log, want) == 0;
    pthread_mutex_unlock(&log_lock);
    return same;
}

static erg_reason_t w_init(erg_proc_t *self, void *args) {
    wstate_t *st = erg_proc_state(self);
    st->w = args;
    if (atomic_load(&st->w->fail_init))
        return ERG_EINVAL;
    void *v;
    if (erg_env_get(self, "app_env", &v) == ERG_OK)
        strncpy(st->w->env, v, sizeof(st->w->env) - 1);
    pthread_mutex_lock(&log_lock);
    st->w->pid = erg_self(self);
    pthread_mutex_unlock(&log_lock);
    atomic_fetch_add(&st->w->starts, 1);
    log_add(starts_log, &nstarts, st->w->tag);
    return ERG_REASON_NONE;
}

static erg_reason_t w_message(erg_proc_t *self, erg_pid_t from,
                              erg_msg_t *msg) {
    (void)from;
    wstate_t *st = erg_proc_state(self);
    if (erg_msg_type(msg) == block_type) {
        atomic_store(&st->w->blocked, 1);
        while (!atomic_load(&st->w->release))
            nap();
        return ERG_REASON_NONE;
    }
    if (erg_msg_type(msg) == exit_type)
        return *(erg_reason_t *)erg_msg_data(msg);
    if (erg_msg_type(msg) == stop_app_type)
        atomic_store(
            &st->w->stop_rv,
            erg_app_stop_timeout(erg_proc_node(self), erg_msg_data(msg), 300));
    return ERG_REASON_NONE;
}

static void w_terminate(erg_proc_t *self, erg_reason_t reason) {
    wstate_t *st = erg_proc_state(self);
    atomic_store(&st->w->reason, reason);
    log_add(terms_log, &nterms, st->w->tag);
    atomic_fetch_add(&st->w->terms, 1);
}

static const erg_behavior_t worker = {
    .name = "worker",
    .state_size = sizeof(wstate_t),
    .init = w_init,
    .handle_message = w_message,
    .terminate = w_terminate,
};

static erg_node_t *node_up(void) {
    erg_node_opts_t o;
    erg_node_opts_init(&o);
    o.workers = 4;
    o.no_default_logger = true;
    erg_node_t *node;
    ERG_PASS(erg_node_start("app@localhost", &o, &node));
    log_reset();
    return node;
}

static erg_app_member_t member(const char *name, wk_t *w) {
    erg_app_member_t m;
    memset(&m, 0, sizeof(m));
    m.name = name;
    m.beh = &worker;
    m.args = w;
    return m;
}

static erg_app_spec_t spec_of(const char *name, erg_app_member_t *members,
                              size_t n, erg_app_mode_t mode) {
    erg_app_spec_t s;
    memset(&s, 0, sizeof(s));
    s.name = name;
    s.members = members;
    s.nmembers = n;
    s.mode = mode;
    return s;
}

static erg_pid_t pid_of(wk_t *w) {
    pthread_mutex_lock(&log_lock);
    erg_pid_t pid = w->pid;
    pthread_mutex_unlock(&log_lock);
    return pid;
}

static void end_member(erg_node_t *node, wk_t *w, erg_reason_t reason) {
    erg_msg_t *m;
    ERG_PASS(erg_msg_new_copy(exit_type, &reason, sizeof(reason), &m));
    ERG_PASS(erg_node_send(node, erg_to_pid(pid_of(w)), m, 0));
}

static void block_member(erg_node_t *node, wk_t *w) {
    erg_msg_t *m;
    ERG_PASS(erg_msg_new(block_type, 0, &m));
    ERG_PASS(erg_node_send(node, erg_to_pid(pid_of(w)), m, 0));
    WAIT_UNTIL(atomic_load(&w->blocked));
}

/* The reason of a member's terms-th termination. Its terminate runs after
 * its exit reached the application, so wait for it. */
static erg_reason_t ended(wk_t *w, int terms) {
    WAIT_UNTIL(atomic_load(&w->terms) >= terms);
    return atomic_load(&w->reason);
}

static bool gone(erg_node_t *node, erg_pid_t pid) {
    erg_proc_info_t info;
    return erg_node_process_info(node, pid, &info) == ERG_ENOPROC;
}

static erg_app_state_t state_of(erg_node_t *node, const char *name) {
    erg_app_info_t *in;
    if (erg_app_info(node, name, &in) != ERG_OK)
        return 0;
    erg_app_state_t s = in->state;
    erg_app_info_free(in);
    return s;
}

static erg_reason_t reason_of(erg_node_t *node, const char *name) {
    erg_app_info_t *in;
    if (erg_app_info(node, name, &in) != ERG_OK)
        return 0;
    erg_reason_t r = in->reason;
    erg_app_info_free(in);
    return r;
}

static size_t members_of(erg_node_t *node, const char *name) {
    erg_app_info_t *in;
    if (erg_app_info(node, name, &in) != ERG_OK)
        return 0;
    size_t n = in->nmembers;
    erg_app_info_free(in);
    return n;
}

/* The node still works: it can spawn and run a process. */
static void node_alive(erg_node_t *node) {
    wk_t w = {.tag = 'z'};
    erg_pid_t pid;
    ERG_PASS(erg_node_spawn(node, &worker, NULL, &w, &pid));
    ERG_PASS(erg_node_kill_process(node, pid));
    WAIT_UNTIL(atomic_load(&w.terms) == 1);
}

static void test_app_load_checks_the_spec(void **st) {
    (void)st;
    erg_node_t *node = node_up();
    wk_t a = {.tag = 'a'};
    erg_app_member_t ms[] = {member("a", &a)};
    erg_app_spec_t s = spec_of("one", ms, 1, 0);
    erg_app_spec_t bad = spec_of("none", ms, 0, 0);
    ERG_FAIL(erg_app_load(node, &bad), ERG_EAPPEMPTY);
    bad = spec_of(NULL, ms, 1, 0);
    ERG_FAIL(erg_app_load(node, &bad), ERG_EINVAL);
    erg_app_member_t nobeh[] = {{.name = "x"}};
    bad = spec_of("nobeh", nobeh, 1, 0);
    ERG_FAIL(erg_app_load(node, &bad), ERG_EINVAL);
    bad = spec_of("mode", ms, 1, 7);
    ERG_FAIL(erg_app_load(node, &bad), ERG_EINVAL);
    ERG_PASS(erg_app_load(node, &s));
    ERG_FAIL(erg_app_load(node, &s), ERG_ETAKEN);
    assert_int_equal(state_of(node, "one"), ERG_APP_LOADED);
    erg_app_info_t *in;
    ERG_PASS(erg_app_info(node, "one", &in));
    assert_int_equal(in->mode, ERG_APP_TEMPORARY); /* the default mode */
    assert_int_equal(in->nmembers, 0);
    erg_app_info_free(in);
    ERG_FAIL(erg_app_start(node, "two"), ERG_ENOAPP);
    ERG_FAIL(erg_app_stop(node, "two"), ERG_ENOAPP);
    ERG_FAIL(erg_app_unload(node, "two"), ERG_ENOAPP);
    ERG_PASS(erg_app_stop(node, "one")); /* loaded: stopped already */
    ERG_PASS(erg_app_start(node, "one"));
    ERG_FAIL(erg_app_start(node, "one"), ERG_EAPPSTATE);
    ERG_FAIL(erg_app_unload(node, "one"), ERG_EAPPSTATE);
    ERG_PASS(erg_app_stop(node, "one"));
    assert_int_equal(ended(&a, 1), ERG_REASON_SHUTDOWN);
    assert_int_equal(reason_of(node, "one"), ERG_REASON_SHUTDOWN);
    ERG_PASS(erg_app_unload(node, "one"));
    ERG_FAIL(erg_app_info(node, "one", &in), ERG_ENOAPP);
    ERG_PASS(erg_app_load(node, &s)); /* the name is free again */
    ERG_PASS(erg_node_stop(node));
}

static void test_app_temporary_ends_with_its_last_member(void **st) {
    (void)st;
    erg_node_t *node = node_up();
    wk_t a = {.tag = 'a'}, b = {.tag = 'b'};
    erg_app_member_t ms[] = {member("a", &a), member("b", &b)};
    erg_app_spec_t s = spec_of("tmp", ms, 2, ERG_APP_TEMPORARY);
    ERG_PASS(erg_app_load(node, &s));
    ERG_PASS(erg_app_start(node, "tmp"));
    /* An abnormal exit touches nobody else. */
    end_member(node, &a, ERG_REASON_PANIC);
    WAIT_UNTIL(members_of(node, "tmp") == 1);
    assert_int_equal(state_of(node, "tmp"), ERG_APP_RUNNING);
    assert_int_equal(atomic_load(&b.terms), 0);
    /* The last one ends it, always with reason normal. */
    end_member(node, &b, ERG_REASON_USER + 1);
    WAIT_UNTIL(state_of(node, "tmp") == ERG_APP_LOADED);
    assert_int_equal(reason_of(node, "tmp"), ERG_REASON_NORMAL);
    node_alive(node);
    ERG_PASS(erg_app_start(node, "tmp")); /* and it can run again */
    assert_int_equal(atomic_load(&a.starts), 2);
    ERG_PASS(erg_node_stop(node));
}

static void test_app_transient_stops_on_an_abnormal_exit_only(void **st) {
    (void)st;
    erg_node_t *node = node_up();
    wk_t a = {.tag = 'a'}, b = {.tag = 'b'}, c = {.tag = 'c'};
    erg_app_member_t ms[] = {member("a", &a), member("b", &b), member("c", &c)};
    erg_app_spec_t s = spec_of("tr", ms, 3, ERG_APP_TRANSIENT);
    ERG_PASS(erg_app_load(node, &s));
    ERG_PASS(erg_app_start(node, "tr"));
    end_member(node, &a, ERG_REASON_NORMAL);
    WAIT_UNTIL(members_of(node, "tr") == 2);
    assert_int_equal(state_of(node, "tr"), ERG_APP_RUNNING);
    end_member(node, &b, ERG_REASON_SHUTDOWN); /* not abnormal either */
    WAIT_UNTIL(members_of(node, "tr") == 1);
    assert_int_equal(state_of(node, "tr"), ERG_APP_RUNNING);
    ERG_PASS(erg_app_stop(node, "tr"));

    ERG_PASS(erg_app_start(node, "tr"));
    end_member(node, &b, ERG_REASON_USER + 7);
    WAIT_UNTIL(state_of(node, "tr") == ERG_APP_LOADED);
    /* The others got shutdown; the app ends with the failure's reason. */
    assert_int_equal(ended(&a, 2), ERG_REASON_SHUTDOWN);
    assert_int_equal(ended(&c, 2), ERG_REASON_SHUTDOWN);
    assert_int_equal(reason_of(node, "tr"), ERG_REASON_USER + 7);
    node_alive(node);
    ERG_PASS(erg_node_stop(node));
}

static void test_app_permanent_stops_on_any_exit(void **st) {
    (void)st;
    erg_node_t *node = node_up();
    wk_t a = {.tag = 'a'}, b = {.tag = 'b'};
    erg_app_member_t ms[] = {member("a", &a), member("b", &b)};
    erg_app_spec_t s = spec_of("perm", ms, 2, ERG_APP_PERMANENT);
    ERG_PASS(erg_app_load(node, &s));
    ERG_PASS(erg_app_start(node, "perm"));
    end_member(node, &a, ERG_REASON_NORMAL);
    WAIT_UNTIL(state_of(node, "perm") == ERG_APP_LOADED);
    assert_int_equal(ended(&b, 1), ERG_REASON_SHUTDOWN);
    assert_int_equal(reason_of(node, "perm"), ERG_REASON_NORMAL);
    /* As in Ergo 3.2, the node keeps running (see docs/applications.md). */
    node_alive(node);

    /* The mode given at start wins over the spec's. */
    ERG_PASS(erg_app_start_mode(node, "perm", ERG_APP_TEMPORARY));
    end_member(node, &a, ERG_REASON_PANIC);
    WAIT_UNTIL(members_of(node, "perm") == 1);
    assert_int_equal(state_of(node, "perm"), ERG_APP_RUNNING);
    ERG_PASS(erg_app_stop(node, "perm"));
    ERG_PASS(erg_node_stop(node));
}

static void test_app_start_starts_dependencies_first(void **st) {
    (void)st;
    erg_node_t *node = node_up();
    wk_t d = {.tag = 'd'}, c = {.tag = 'c'}, w = {.tag = 'w'};
    erg_app_member_t dm[] = {member("d", &d)}, cm[] = {member("c", &c)},
                     wm[] = {member("w", &w)};
    const char *web_deps[] = {"cache", "db"}, *cache_deps[] = {"db"};
    erg_app_spec_t db = spec_of("db", dm, 1, 0);
    erg_app_spec_t cache = spec_of("cache", cm, 1, 0);
    cache.depends = cache_deps;
    cache.ndepends = 1;
    erg_app_spec_t web = spec_of("web", wm, 1, 0);
    web.depends = web_deps;
    web.ndepends = 2;
    ERG_PASS(erg_app_load(node, &web));
    ERG_FAIL(erg_app_start(node, "web"), ERG_EAPPDEPENDS); /* none loaded */
    assert_int_equal(atomic_load(&w.starts), 0);
    ERG_PASS(erg_app_load(node, &db));
    ERG_PASS(erg_app_load(node, &cache));
    ERG_PASS(erg_app_start(node, "db"));
    erg_pid_t dpid = pid_of(&d);
    ERG_PASS(erg_app_start(node, "web"));
    /* db ran already and was left alone; cache started before web. */
    assert_true(log_is(starts_log, "dcw"));
    assert_true(erg_pid_equal(pid_of(&d), dpid));
    assert_int_equal(state_of(node, "cache"), ERG_APP_RUNNING);
    ERG_PASS(erg_node_stop(node));
}

static void test_app_dependency_cycle_fails(void **st) {
    (void)st;
    erg_node_t *node = node_up();
    wk_t a = {.tag = 'a'}, b = {.tag = 'b'};
    erg_app_member_t am[] = {member(NULL, &a)}, bm[] = {member(NULL, &b)};
    const char *adeps[] = {"b"}, *bdeps[] = {"a"};
    erg_app_spec_t sa = spec_of("a", am, 1, 0), sb = spec_of("b", bm, 1, 0);
    sa.depends = adeps;
    sa.ndepends = 1;
    sb.depends = bdeps;
    sb.ndepends = 1;
    ERG_PASS(erg_app_load(node, &sa));
    ERG_PASS(erg_app_load(node, &sb));
    ERG_FAIL(erg_app_start(node, "a"), ERG_EAPPDEPENDS);
    assert_int_equal(atomic_load(&a.starts) + atomic_load(&b.starts), 0);
    assert_int_equal(state_of(node, "a"), ERG_APP_LOADED);
    assert_int_equal(state_of(node, "b"), ERG_APP_LOADED);
    ERG_PASS(erg_node_stop(node));
}

static void test_app_member_init_failure_rolls_the_start_back(void **st) {
    (void)st;
    erg_node_t *node = node_up();
    wk_t d = {.tag = 'd'}, a = {.tag = 'a'}, b = {.tag = 'b'}, c = {.tag = 'c'};
    atomic_store(&b.fail_init, 1);
    erg_app_member_t dm[] = {member("d", &d)};
    erg_app_member_t ms[] = {member("a", &a), member("b", &b), member("c", &c)};
    const char *deps[] = {"dep"};
    erg_app_spec_t dep = spec_of("dep", dm, 1, 0);
    erg_app_spec_t s = spec_of("app", ms, 3, ERG_APP_PERMANENT);
    s.depends = deps;
    s.ndepends = 1;
    ERG_PASS(erg_app_load(node, &dep));
    ERG_PASS(erg_app_load(node, &s));
    ERG_FAIL(erg_app_start(node, "app"), ERG_EINVAL); /* b's init error */
    /* a was killed, c never started, the name a is free again. */
    assert_true(gone(node, pid_of(&a)));
    WAIT_UNTIL(atomic_load(&a.terms) == 1);
    assert_int_equal(atomic_load(&a.reason), ERG_REASON_KILL);
    assert_int_equal(atomic_load(&c.starts), 0);
    erg_pid_t p;
    ERG_FAIL(erg_node_resolve_name(node, "a", &p), ERG_ENONAME);
    assert_int_equal(state_of(node, "app"), ERG_APP_LOADED);
    assert_int_equal(members_of(node, "app"), 0);
    /* The dependency started for it keeps running, as in Ergo. */
    assert_int_equal(state_of(node, "dep"), ERG_APP_RUNNING);
    assert_false(gone(node, pid_of(&d)));
    /* Fixed, it starts. */
    atomic_store(&b.fail_init, 0);
    ERG_PASS(erg_app_start(node, "app"));
    assert_int_equal(members_of(node, "app"), 3);
    ERG_PASS(erg_node_stop(node));
}

static void test_app_stop_times_out_and_force_stop_kills(void **st) {
    (void)st;
    erg_node_t *node = node_up();
    wk_t a = {.tag = 'a'}, b = {.tag = 'b'};
    erg_app_member_t ms[] = {member("a", &a), member("b", &b)};
    erg_app_spec_t s = spec_of("slow", ms, 2, ERG_APP_TEMPORARY);
    ERG_PASS(erg_app_load(node, &s));
    ERG_PASS(erg_app_start(node, "slow"));
    block_member(node, &a);
    ERG_FAIL(erg_app_stop_timeout(node, "slow", 200), ERG_ETIMEDOUT);
    WAIT_UNTIL(atomic_load(&b.terms) == 1);
    assert_int_equal(state_of(node, "slow"), ERG_APP_STOPPING);
    assert_int_equal(members_of(node, "slow"), 1);
    ERG_FAIL(erg_app_stop(node, "slow"), ERG_EAPPSTATE);
    ERG_FAIL(erg_app_start(node, "slow"), ERG_EAPPSTATE);
    atomic_store(&a.release, 1);
    WAIT_UNTIL(state_of(node, "slow") == ERG_APP_LOADED);
    assert_int_equal(ended(&a, 1), ERG_REASON_SHUTDOWN);
    assert_int_equal(reason_of(node, "slow"), ERG_REASON_SHUTDOWN);

    /* Force: killed at once, even while a handler still runs. */
    atomic_store(&a.blocked, 0);
    atomic_store(&a.release, 0);
    ERG_PASS(erg_app_start(node, "slow"));
    block_member(node, &a);
    ERG_PASS(erg_app_stop_force(node, "slow"));
    assert_int_equal(state_of(node, "slow"), ERG_APP_LOADED);
    assert_int_equal(reason_of(node, "slow"), ERG_REASON_KILL);
    assert_true(gone(node, pid_of(&a)));
    atomic_store(&a.release, 1);
    WAIT_UNTIL(atomic_load(&a.terms) == 2);
    assert_int_equal(atomic_load(&a.reason), ERG_REASON_KILL);
    ERG_PASS(erg_node_stop(node));
}

static void test_app_info_reports_state_uptime_members_tags_map(void **st) {
    (void)st;
    erg_node_t *node = node_up();
    wk_t a = {.tag = 'a'}, b = {.tag = 'b'};
    erg_app_member_t ms[] = {member("api_server", &a), member(NULL, &b)};
    const char *tags[] = {"blue", "canary"};
    erg_app_role_t map[] = {{"api", "api_server"}, {"ghost", "nobody"}};
    erg_env_var_t env[] = {{"APP_ENV", "from-app"}};
    erg_app_spec_t s = spec_of("shop", ms, 2, ERG_APP_TRANSIENT);
    s.description = "the shop";
    s.version = "1.2.3";
    s.weight = 7;
    s.tags = tags;
    s.ntags = 2;
    s.map = map;
    s.nmap = 2;
    s.env = env;
    s.nenv = 1;
    ERG_PASS(erg_app_load(node, &s));
    erg_app_info_t *in;
    ERG_PASS(erg_app_info(node, "shop", &in));
    assert_int_equal(in->uptime_ms, 0);
    erg_app_info_free(in);
    ERG_PASS(erg_app_start(node, "shop"));
    struct timespec ts = {0, 30000000};
    nanosleep(&ts, NULL);
    ERG_PASS(erg_app_info(node, "shop", &in));
    assert_string_equal(in->name, "shop");
    assert_string_equal(in->description, "the shop");
    assert_string_equal(in->version, "1.2.3");
    assert_int_equal(in->state, ERG_APP_RUNNING);
    assert_int_equal(in->mode, ERG_APP_TRANSIENT);
    assert_int_equal(in->weight, 7);
    assert_true(in->uptime_ms >= 30 && in->uptime_ms < 60000);
    assert_int_equal(in->nmembers, 2);
    bool sa = false, sb = false;
    for (size_t i = 0; i < in->nmembers; i++) {
        sa |= erg_pid_equal(in->members[i], pid_of(&a));
        sb |= erg_pid_equal(in->members[i], pid_of(&b));
    }
    assert_true(sa && sb);
    assert_int_equal(in->ntags, 2);
    assert_string_equal(in->tags[0], "blue");
    assert_string_equal(in->tags[1], "canary");
    assert_int_equal(in->nmap, 2);
    assert_string_equal(in->map[0].role, "api");
    assert_string_equal(in->map[0].process, "api_server");
    assert_int_equal(in->ndepends, 0);
    erg_app_info_free(in);
    assert_string_equal(erg_app_state_string(ERG_APP_RUNNING), "running");
    assert_string_equal(erg_app_mode_string(ERG_APP_TRANSIENT), "transient");
    /* Members inherit the application's env. */
    assert_string_equal(a.env, "from-app");
    /* The map resolves a role to the process playing it. */
    erg_pid_t p;
    ERG_PASS(erg_app_role(node, "shop", "api", &p));
    assert_true(erg_pid_equal(p, pid_of(&a)));
    ERG_FAIL(erg_app_role(node, "shop", "db", &p), ERG_ENOENT);
    ERG_FAIL(erg_app_role(node, "shop", "ghost", &p), ERG_ENONAME);
    ERG_PASS(erg_node_stop(node));
}

static void test_node_starts_its_applications_in_order(void **st) {
    (void)st;
    wk_t a = {.tag = 'a'}, b = {.tag = 'b'};
    erg_app_member_t am[] = {member("a", &a)}, bm[] = {member("b", &b)};
    /* Started in the options' order, whatever the names say. */
    erg_app_spec_t apps[] = {spec_of("second", bm, 1, 0),
                             spec_of("first", am, 1, 0)};
    erg_node_opts_t o;
    erg_node_opts_init(&o);
    o.workers = 2;
    o.no_default_logger = true;
    o.apps = apps;
    o.napps = 2;
    log_reset();
    erg_node_t *node;
    ERG_PASS(erg_node_start("apps@localhost", &o, &node));
    assert_true(log_is(starts_log, "ba"));
    assert_int_equal(state_of(node, "first"), ERG_APP_RUNNING);
    assert_int_equal(state_of(node, "second"), ERG_APP_RUNNING);
    /* A graceful node stop stops the applications first, newest first. */
    ERG_PASS(erg_node_stop(node));
    assert_true(log_is(terms_log, "ab"));
    assert_int_equal(atomic_load(&a.reason), ERG_REASON_SHUTDOWN);
    assert_int_equal(atomic_load(&b.reason), ERG_REASON_SHUTDOWN);
}

static void test_node_start_fails_if_an_application_fails(void **st) {
    (void)st;
    wk_t a = {.tag = 'a'}, b = {.tag = 'b'}, c = {.tag = 'c'};
    atomic_store(&c.fail_init, 1);
    erg_app_member_t am[] = {member("a", &a)};
    erg_app_member_t bm[] = {member("b", &b), member("c", &c)};
    erg_app_spec_t apps[] = {spec_of("good", am, 1, 0),
                             spec_of("bad", bm, 1 + 1, 0)};
    erg_node_opts_t o;
    erg_node_opts_init(&o);
    o.workers = 2;
    o.no_default_logger = true;
    o.apps = apps;
    o.napps = 2;
    erg_node_t *node = NULL;
    ERG_FAIL(erg_node_start("apps@localhost", &o, &node), ERG_EINVAL);
    assert_null(node);
    /* Everything it had started is gone: terminate ran for each. */
    assert_int_equal(atomic_load(&a.starts), 1);
    assert_int_equal(atomic_load(&a.terms), 1);
    assert_int_equal(atomic_load(&b.terms), 1);
    assert_int_equal(atomic_load(&c.starts), 0);
    /* A bad spec in the options fails the start the same way. */
    erg_app_spec_t empty = spec_of("empty", am, 0, 0);
    o.apps = &empty;
    o.napps = 1;
    ERG_FAIL(erg_node_start("apps@localhost", &o, &node), ERG_EAPPEMPTY);
    assert_null(node);
}

static void test_app_load_and_info_fail_cleanly_without_memory(void **st) {
    (void)st;
    erg_node_t *node = node_up();
    wk_t a = {.tag = 'a'};
    erg_app_member_t ms[] = {member("a", &a), member(NULL, &a)};
    const char *deps[] = {"x", "y"}, *tags[] = {"t1", "t2"};
    erg_app_role_t map[] = {{"r", "a"}};
    erg_env_var_t env[] = {{"E", "v"}};
    erg_app_spec_t s = spec_of("oom", ms, 2, 0);
    s.description = "d";
    s.version = "v";
    s.depends = deps;
    s.ndepends = 2;
    s.tags = tags;
    s.ntags = 2;
    s.map = map;
    s.nmap = 1;
    s.env = env;
    s.nenv = 1;
    /* Every allocation of a load fails in turn; each failure leaves
     * nothing behind (the teardown checks for leaks). */
    erg_err_t rv = ERG_ENOMEM;
    for (long n = 1; rv != ERG_OK; n++) {
        assert_true(n < 200);
        erg_test_alloc_fail_after(n);
        rv = erg_app_load(node, &s);
        erg_test_alloc_fail_after(0);
        if (rv != ERG_OK) {
            assert_int_equal(rv, ERG_ENOMEM);
            assert_int_equal(state_of(node, "oom"), 0); /* not loaded */
        }
    }
    erg_app_info_t *in;
    erg_test_alloc_fail_after(1);
    rv = erg_app_info(node, "oom", &in);
    erg_test_alloc_fail_after(0);
    assert_int_equal(rv, ERG_ENOMEM);
    ERG_PASS(erg_app_info(node, "oom", &in));
    assert_int_equal(in->ndepends, 2);
    assert_string_equal(in->depends[1], "y");
    erg_app_info_free(in);
    ERG_PASS(erg_node_stop(node));
}

static void test_app_dependency_not_running_or_loaded_fails(void **st) {
    (void)st;
    erg_node_t *node = node_up();
    wk_t d = {.tag = 'd'}, w = {.tag = 'w'};
    erg_app_member_t dm[] = {member("d", &d)}, wm[] = {member("w", &w)};
    const char *deps[] = {"db"};
    erg_app_spec_t db = spec_of("db", dm, 1, 0);
    erg_app_spec_t web = spec_of("web", wm, 1, 0);
    web.depends = deps;
    web.ndepends = 1;
    ERG_PASS(erg_app_load(node, &db));
    ERG_PASS(erg_app_load(node, &web));
    /* A dependency that fails to start fails the start. */
    atomic_store(&d.fail_init, 1);
    ERG_FAIL(erg_app_start(node, "web"), ERG_EAPPDEPENDS);
    assert_int_equal(atomic_load(&w.starts), 0);
    /* So does one that is stopping. */
    atomic_store(&d.fail_init, 0);
    ERG_PASS(erg_app_start(node, "db"));
    block_member(node, &d);
    ERG_FAIL(erg_app_stop_timeout(node, "db", 50), ERG_ETIMEDOUT);
    ERG_FAIL(erg_app_start(node, "web"), ERG_EAPPDEPENDS);
    atomic_store(&d.release, 1);
    WAIT_UNTIL(state_of(node, "db") == ERG_APP_LOADED);
    ERG_PASS(erg_app_start(node, "web"));
    assert_int_equal(state_of(node, "db"), ERG_APP_RUNNING);
    ERG_PASS(erg_node_stop(node));
}

/* A process that starts and stops an application from its handlers. */
typedef struct ctl_s {
    atomic_int start_rv, stop_rv, done;
} ctl_t;

static erg_reason_t ctl_init(erg_proc_t *self, void *args) {
    *(ctl_t **)erg_proc_state(self) = args;
    return ERG_REASON_NONE;
}

static erg_reason_t ctl_message(erg_proc_t *self, erg_pid_t from,
                                erg_msg_t *msg) {
    (void)from;
    (void)msg;
    ctl_t *c = *(ctl_t **)erg_proc_state(self);
    erg_node_t *node = erg_proc_node(self);
    atomic_store(&c->start_rv, erg_app_start(node, "inner"));
    atomic_store(&c->stop_rv, erg_app_stop(node, "inner"));
    atomic_store(&c->done, 1);
    return ERG_REASON_NONE;
}

static const erg_behavior_t controller = {
    .name = "controller",
    .state_size = sizeof(ctl_t *),
    .init = ctl_init,
    .handle_message = ctl_message,
};

static void test_app_start_and_stop_work_from_a_handler(void **st) {
    (void)st;
    erg_node_opts_t o;
    erg_node_opts_init(&o);
    o.workers = 1; /* the blocked handler must hand its worker over */
    o.no_default_logger = true;
    erg_node_t *node;
    ERG_PASS(erg_node_start("one@localhost", &o, &node));
    wk_t a = {.tag = 'a'}, b = {.tag = 'b'};
    erg_app_member_t ms[] = {member("a", &a), member("b", &b)};
    erg_app_spec_t s = spec_of("inner", ms, 2, ERG_APP_PERMANENT);
    ERG_PASS(erg_app_load(node, &s));
    ctl_t c = {0};
    erg_pid_t pid;
    ERG_PASS(erg_node_spawn(node, &controller, NULL, &c, &pid));
    erg_msg_t *m;
    ERG_PASS(erg_msg_new(NULL, 0, &m));
    ERG_PASS(erg_node_send(node, erg_to_pid(pid), m, 0));
    WAIT_UNTIL(atomic_load(&c.done));
    assert_int_equal(atomic_load(&c.start_rv), ERG_OK);
    assert_int_equal(atomic_load(&c.stop_rv), ERG_OK);
    assert_int_equal(atomic_load(&a.terms), 1);
    assert_int_equal(atomic_load(&b.terms), 1);
    assert_int_equal(state_of(node, "inner"), ERG_APP_LOADED);
    ERG_PASS(erg_node_stop(node));
}

/* Threads race to start, stop and inspect one application. */
typedef struct race_s {
    erg_node_t *node;
    atomic_int oks, bad; /* cmocka's asserts belong to the main thread */
} race_t;

static void *racer(void *arg) {
    race_t *r = arg;
    for (int i = 0; i < 40; i++) {
        erg_err_t rv;
        erg_app_info_t *in;
        switch (i % 3) {
        case 0:
            rv = erg_app_start(r->node, "race");
            break;
        case 1:
            rv = i % 2 ? erg_app_stop(r->node, "race")
                       : erg_app_stop_force(r->node, "race");
            break;
        default:
            rv = erg_app_info(r->node, "race", &in);
            if (rv == ERG_OK) {
                if (in->nmembers > 3)
                    rv = ERG_EUNKNOWN;
                erg_app_info_free(in);
            }
        }
        if (rv == ERG_OK)
            atomic_fetch_add(&r->oks, 1);
        else if (rv != ERG_EAPPSTATE)
            atomic_fetch_add(&r->bad, 1);
    }
    return NULL;
}

static void test_app_survives_racing_starts_and_stops(void **st) {
    (void)st;
    erg_node_t *node = node_up();
    wk_t a = {.tag = 'a'}, b = {.tag = 'b'}, c = {.tag = 'c'};
    erg_app_member_t ms[] = {member("a", &a), member("b", &b), member("c", &c)};
    erg_app_spec_t s = spec_of("race", ms, 3, ERG_APP_TRANSIENT);
    ERG_PASS(erg_app_load(node, &s));
    race_t r = {.node = node};
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, racer, &r), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    assert_true(atomic_load(&r.oks) > 0);
    assert_int_equal(atomic_load(&r.bad), 0);
    ERG_PASS(erg_app_stop_force(node, "race"));
    assert_int_equal(state_of(node, "race"), ERG_APP_LOADED);
    /* Every start matched a termination of each member. */
    WAIT_UNTIL(atomic_load(&a.terms) == atomic_load(&a.starts) &&
               atomic_load(&c.terms) == atomic_load(&c.starts));
    ERG_PASS(erg_node_stop(node));
}

static void test_app_member_stopping_its_own_app_times_out(void **st) {
    (void)st;
    erg_node_t *node = node_up();
    wk_t a = {.tag = 'a'}, b = {.tag = 'b'};
    erg_app_member_t ms[] = {member("a", &a), member("b", &b)};
    erg_app_spec_t s = spec_of("own", ms, 2, ERG_APP_TEMPORARY);
    ERG_PASS(erg_app_load(node, &s));
    ERG_PASS(erg_app_start(node, "own"));
    erg_msg_t *m;
    ERG_PASS(erg_msg_new_copy(stop_app_type, "own", 4, &m));
    ERG_PASS(erg_node_send(node, erg_to_pid(pid_of(&a)), m, 0));
    /* Its own exit waits behind the handler, so the call times out; then
     * it ends and the application finishes stopping. */
    WAIT_UNTIL(state_of(node, "own") == ERG_APP_LOADED);
    assert_int_equal(atomic_load(&a.stop_rv), ERG_ETIMEDOUT);
    assert_int_equal(ended(&a, 1), ERG_REASON_SHUTDOWN);
    assert_int_equal(ended(&b, 1), ERG_REASON_SHUTDOWN);
    ERG_PASS(erg_node_stop(node));
}

/* What the application callbacks saw. */
typedef struct cbs_s {
    atomic_int starts, stops;
    atomic_int mode, reason;
} cbs_t;

static void on_start(erg_node_t *node, const char *name, erg_app_mode_t mode,
                     void *arg) {
    (void)node;
    cbs_t *c = arg;
    assert_string_equal(name, "cb"); /* runs on the test's thread */
    atomic_store(&c->mode, (int)mode);
    atomic_fetch_add(&c->starts, 1);
}

static void on_stop(erg_node_t *node, const char *name, erg_reason_t reason,
                    void *arg) {
    (void)node;
    (void)name;
    cbs_t *c = arg;
    atomic_store(&c->reason, reason);
    atomic_fetch_add(&c->stops, 1);
}

static void test_app_callbacks_see_each_start_and_end(void **st) {
    (void)st;
    erg_node_t *node = node_up();
    wk_t a = {.tag = 'a'}, b = {.tag = 'b'};
    erg_app_member_t ms[] = {member("a", &a), member("b", &b)};
    erg_app_spec_t s = spec_of("cb", ms, 2, ERG_APP_PERMANENT);
    cbs_t c = {0};
    s.on_start = on_start;
    s.on_stop = on_stop;
    s.cb_arg = &c;
    ERG_PASS(erg_app_load(node, &s));
    ERG_PASS(erg_app_start(node, "cb"));
    assert_int_equal(atomic_load(&c.starts), 1);
    assert_int_equal(atomic_load(&c.mode), ERG_APP_PERMANENT);
    ERG_PASS(erg_app_stop(node, "cb"));
    assert_int_equal(atomic_load(&c.stops), 1); /* before stop returned */
    assert_int_equal(atomic_load(&c.reason), ERG_REASON_SHUTDOWN);

    ERG_PASS(erg_app_start_mode(node, "cb", ERG_APP_TRANSIENT));
    assert_int_equal(atomic_load(&c.mode), ERG_APP_TRANSIENT);
    end_member(node, &b, ERG_REASON_USER + 3);
    WAIT_UNTIL(atomic_load(&c.stops) == 2);
    assert_int_equal(atomic_load(&c.reason), ERG_REASON_USER + 3);

    /* A failed start calls neither. */
    atomic_store(&b.fail_init, 1);
    ERG_FAIL(erg_app_start(node, "cb"), ERG_EINVAL);
    assert_int_equal(atomic_load(&c.starts), 2);
    assert_int_equal(atomic_load(&c.stops), 2);

    /* The members' parent is the application's master; killing it ends
     * the members and the run, with the master's reason. */
    atomic_store(&b.fail_init, 0);
    ERG_PASS(erg_app_start(node, "cb"));
    erg_proc_info_t info;
    ERG_PASS(erg_node_process_info(node, pid_of(&a), &info));
    assert_false(erg_pid_equal(info.parent, erg_node_pid(node)));
    ERG_PASS(erg_node_kill_process(node, info.parent));
    WAIT_UNTIL(state_of(node, "cb") == ERG_APP_LOADED);
    WAIT_UNTIL(atomic_load(&c.stops) == 3);
    assert_int_equal(atomic_load(&c.reason), ERG_REASON_KILL);
    assert_int_equal(ended(&a, 4), ERG_REASON_KILL);
    assert_true(gone(node, pid_of(&b)));
    ERG_PASS(erg_node_stop(node));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        ERG_TEST_WITH_ALLOC(test_app_load_checks_the_spec),
        ERG_TEST_WITH_ALLOC(test_app_temporary_ends_with_its_last_member),
        ERG_TEST_WITH_ALLOC(test_app_transient_stops_on_an_abnormal_exit_only),
        ERG_TEST_WITH_ALLOC(test_app_permanent_stops_on_any_exit),
        ERG_TEST_WITH_ALLOC(test_app_start_starts_dependencies_first),
        ERG_TEST_WITH_ALLOC(test_app_dependency_cycle_fails),
        ERG_TEST_WITH_ALLOC(test_app_member_init_failure_rolls_the_start_back),
        ERG_TEST_WITH_ALLOC(test_app_stop_times_out_and_force_stop_kills),
        ERG_TEST_WITH_ALLOC(
            test_app_info_reports_state_uptime_members_tags_map),
        ERG_TEST_WITH_ALLOC(test_node_starts_its_applications_in_order),
        ERG_TEST_WITH_ALLOC(test_node_start_fails_if_an_application_fails),
        ERG_TEST_WITH_ALLOC(test_app_load_and_info_fail_cleanly_without_memory),
        ERG_TEST_WITH_ALLOC(test_app_dependency_not_running_or_loaded_fails),
        ERG_TEST_WITH_ALLOC(test_app_start_and_stop_work_from_a_handler),
        ERG_TEST_WITH_ALLOC(test_app_survives_racing_starts_and_stops),
        ERG_TEST_WITH_ALLOC(test_app_member_stopping_its_own_app_times_out),
        ERG_TEST_WITH_ALLOC(test_app_callbacks_see_each_start_and_end),
    };
    return cmocka_run_group_tests_name("app.app", tests, NULL, NULL);
}
