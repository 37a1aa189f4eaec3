/* SPDX-License-Identifier: MIT */
/* job_test.c: cron jobs fire, skip, fall back and follow DST on a node. */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "erg/erg.h"
#include "testutil.h"

/* UTC instant of a UTC wall-clock reading, in seconds. */
static int64_t at(int y, int mo, int d, int h, int mi) {
    /* days_from_civil (Howard Hinnant's), so the test needs no erg code */
    y -= mo <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (era * 146097 + doe - 719468) * 86400 + h * 3600 + mi * 60;
}

/* The injected clock: fixed unless `follow` makes it run with real time
 * from `base`. */
typedef struct fake_clock_s {
    _Atomic int64_t ms;
    atomic_bool follow;
    struct timespec start;
} fake_clock_t;

static int64_t fake_now(void *arg) {
    fake_clock_t *fc = arg;
    int64_t ms = atomic_load(&fc->ms);
    if (atomic_load(&fc->follow)) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ms += (int64_t)(ts.tv_sec - fc->start.tv_sec) * 1000 +
              (ts.tv_nsec - fc->start.tv_nsec) / 1000000;
    }
    return ms;
}

static void set_clock(fake_clock_t *fc, int64_t seconds) {
    atomic_store(&fc->ms, seconds * 1000);
}

/* What the sink and fallback processes saw. */
typedef struct seen_s {
    atomic_int n;
    _Atomic int64_t time;
    char job[64];
    atomic_int fb_n;
    atomic_int fb_err;
    _Atomic int64_t fb_time;
    char fb_job[64], fb_tag[64];
    atomic_int spawned;
} seen_t;

static seen_t seen;

static erg_reason_t sink_init(erg_proc_t *self, void *args) {
    return erg_register_name(self, args);
}

static erg_reason_t sink_message(erg_proc_t *self, erg_pid_t from,
                                 erg_msg_t *msg) {
    (void)self;
    (void)from;
    if (erg_msg_type(msg) == ERG_TYPE_CRON) {
        const erg_cron_msg_t *cm = erg_msg_data(msg);
        snprintf(seen.job, sizeof(seen.job), "%s", cm->job);
        atomic_store(&seen.time, cm->time);
        atomic_fetch_add(&seen.n, 1);
    } else if (erg_msg_type(msg) == ERG_TYPE_CRON_FALLBACK) {
        const erg_cron_fallback_t *f = erg_msg_data(msg);
        snprintf(seen.fb_job, sizeof(seen.fb_job), "%s", f->job);
        snprintf(seen.fb_tag, sizeof(seen.fb_tag), "%s", f->tag);
        atomic_store(&seen.fb_time, f->time);
        atomic_store(&seen.fb_err, f->err);
        atomic_fetch_add(&seen.fb_n, 1);
    } else {
        atomic_fetch_add(&seen.n, 1); /* a job's own message */
    }
    return ERG_REASON_NONE;
}

static const erg_behavior_t sink = {
    .name = "sink", .init = sink_init, .handle_message = sink_message};

/* Spawned by a job: counts itself and stays (or fails when asked). */
static erg_reason_t job_proc_init(erg_proc_t *self, void *args) {
    (void)self;
    atomic_fetch_add(&seen.spawned, 1);
    return args != NULL ? *(erg_reason_t *)args : ERG_REASON_NONE;
}

static const erg_behavior_t job_proc = {.name = "job-proc",
                                        .init = job_proc_init};

typedef struct env_s {
    erg_node_t *node;
    erg_cron_t *cron;
    fake_clock_t clock;
} env_t;

static env_t *up(env_t *e, int64_t now) {
    memset(&seen, 0, sizeof(seen));
    memset(e, 0, sizeof(*e));
    erg_node_opts_t o;
    erg_node_opts_init(&o);
    o.workers = 2;
    o.no_default_logger = true;
    ERG_PASS(erg_node_start("cron@localhost", &o, &e->node));
    erg_pid_t pid;
    ERG_PASS(erg_node_spawn(e->node, &sink, NULL, "sink", &pid));
    ERG_PASS(erg_node_spawn(e->node, &sink, NULL, "fb", &pid));
    set_clock(&e->clock, now);
    erg_cron_opts_t co = {fake_now, &e->clock};
    ERG_PASS(erg_cron_new(e->node, &co, &e->cron));
    return e;
}

static void down(env_t *e) {
    erg_cron_free(e->cron);
    ERG_PASS(erg_node_stop(e->node));
}

static erg_cron_job_t send_job(const char *name, const char *spec,
                               const char *tz, const char *to) {
    erg_cron_job_t j;
    memset(&j, 0, sizeof(j));
    j.name = name;
    j.spec = spec;
    j.tz = tz;
    j.action = ERG_CRON_SEND;
    j.target = erg_to_name(to);
    return j;
}

/* sync returns once name has handled what is in its mailbox: the call
 * is queued behind it and answered ERG_ENOTSUP (no handle_call). */
static void sync(env_t *e, const char *name) {
    erg_msg_t *m;
    erg_msg_t *reply = NULL;
    ERG_PASS(erg_msg_new(NULL, 0, &m));
    ERG_FAIL(erg_node_call(e->node, erg_to_name(name), m, 0, &reply),
             ERG_ENOTSUP);
    erg_msg_release(m);
}

/* step moves the clock, lets the cron run what is due (its sends are
 * queued when the check returns) and waits for the sinks to take them. */
static void step(env_t *e, int64_t now) {
    set_clock(&e->clock, now);
    ERG_PASS(erg_cron_check(e->cron));
    sync(e, "sink");
    sync(e, "fb");
}

static int64_t next_of(env_t *e, const char *name) {
    erg_cron_job_info_t info;
    ERG_PASS(erg_cron_job_info(e->cron, name, &info));
    return info.next;
}

static void test_cron_job_sends_at_its_fire_times(void **state) {
    (void)state;
    env_t e;
    up(&e, at(2026, 6, 1, 10, 2));
    erg_cron_job_t j = send_job("five", "*/5 * * * *", NULL, "sink");
    ERG_PASS(erg_cron_add(e.cron, &j, NULL, 0));
    assert_int_equal(next_of(&e, "five"), at(2026, 6, 1, 10, 5));
    step(&e, at(2026, 6, 1, 10, 4) + 59);
    assert_int_equal(atomic_load(&seen.n), 0);
    step(&e, at(2026, 6, 1, 10, 5));
    assert_int_equal(atomic_load(&seen.n), 1);
    assert_int_equal(atomic_load(&seen.time), at(2026, 6, 1, 10, 5));
    assert_string_equal(seen.job, "five");
    step(&e, at(2026, 6, 1, 10, 5) + 30); /* same minute: once */
    assert_int_equal(atomic_load(&seen.n), 1);
    step(&e, at(2026, 6, 1, 10, 10) + 10);
    assert_int_equal(atomic_load(&seen.n), 2);
    assert_int_equal(atomic_load(&seen.time), at(2026, 6, 1, 10, 10));
    erg_cron_job_info_t info;
    ERG_PASS(erg_cron_job_info(e.cron, "five", &info));
    assert_int_equal(info.last_run, at(2026, 6, 1, 10, 10));
    assert_int_equal(info.last_err, ERG_OK);
    assert_string_equal(info.action, "send to sink");
    assert_string_equal(info.tz, "UTC");
    /* The clock jumped past a fire time by more than its minute: that one
     * is skipped, as in Ergo, and the next one fires. */
    step(&e, at(2026, 6, 1, 10, 17));
    assert_int_equal(atomic_load(&seen.n), 2);
    assert_int_equal(next_of(&e, "five"), at(2026, 6, 1, 10, 20));
    /* A message of the user's own is sent as given. */
    erg_msg_t *m;
    ERG_PASS(erg_msg_new(NULL, 4, &m));
    j = send_job("own", "20 10 * * *", NULL, "sink");
    j.msg = m;
    ERG_PASS(erg_cron_add(e.cron, &j, NULL, 0));
    erg_msg_release(m); /* the cron retained it */
    step(&e, at(2026, 6, 1, 10, 20));
    assert_int_equal(atomic_load(&seen.n), 4);
    down(&e);
}

/* The scheduler sleeps on the node's timer thread until the fire time. */
static void test_cron_job_fires_from_the_timer_thread(void **state) {
    (void)state;
    env_t e;
    up(&e, at(2026, 6, 1, 10, 0) + 59);
    atomic_store(&e.clock.ms, atomic_load(&e.clock.ms) + 700);
    clock_gettime(CLOCK_MONOTONIC, &e.clock.start);
    atomic_store(&e.clock.follow, true);
    erg_cron_job_t j = send_job("minute", "* * * * *", NULL, "sink");
    ERG_PASS(erg_cron_add(e.cron, &j, NULL, 0));
    struct timespec ts = {0, 1000000};
    for (int i = 0; i < 5000 && atomic_load(&seen.n) == 0; i++)
        nanosleep(&ts, NULL);
    assert_int_equal(atomic_load(&seen.n), 1);
    assert_int_equal(atomic_load(&seen.time), at(2026, 6, 1, 10, 1));
    down(&e);
}

static void test_cron_job_disable_enable_remove(void **state) {
    (void)state;
    env_t e;
    up(&e, at(2026, 6, 1, 10, 0));
    erg_cron_job_t j = send_job("hourly", "@hourly", NULL, "sink");
    ERG_PASS(erg_cron_add(e.cron, &j, NULL, 0));
    ERG_PASS(erg_cron_disable(e.cron, "hourly"));
    erg_cron_job_info_t info;
    ERG_PASS(erg_cron_job_info(e.cron, "hourly", &info));
    assert_true(info.disabled);
    assert_int_equal(info.next, 0);
    step(&e, at(2026, 6, 1, 10, 1));
    assert_int_equal(atomic_load(&seen.n), 0);
    /* Enabled again, it fires at the next matching time after now. */
    ERG_PASS(erg_cron_enable(e.cron, "hourly"));
    assert_int_equal(next_of(&e, "hourly"), at(2026, 6, 1, 11, 1));
    step(&e, at(2026, 6, 1, 11, 1));
    assert_int_equal(atomic_load(&seen.n), 1);
    /* Added disabled: nothing until enabled. */
    j = send_job("later", "* * * * *", NULL, "sink");
    j.disabled = true;
    ERG_PASS(erg_cron_add(e.cron, &j, NULL, 0));
    step(&e, at(2026, 6, 1, 11, 2));
    assert_int_equal(atomic_load(&seen.n), 1);
    erg_cron_job_info_t *list;
    size_t n;
    ERG_PASS(erg_cron_jobs(e.cron, &list, &n));
    assert_int_equal(n, 2);
    assert_string_equal(list[0].name, "hourly");
    assert_string_equal(list[1].name, "later");
    assert_true(list[1].disabled);
    erg_cron_jobs_free(list);
    ERG_PASS(erg_cron_remove(e.cron, "hourly"));
    ERG_FAIL(erg_cron_remove(e.cron, "hourly"), ERG_ENOENT);
    ERG_FAIL(erg_cron_job_info(e.cron, "hourly", &info), ERG_ENOENT);
    ERG_FAIL(erg_cron_enable(e.cron, "hourly"), ERG_ENOENT);
    step(&e, at(2026, 6, 1, 12, 1));
    assert_int_equal(atomic_load(&seen.n), 1);
    ERG_PASS(erg_cron_enable(e.cron, "later"));
    step(&e, at(2026, 6, 1, 12, 2));
    assert_int_equal(atomic_load(&seen.n), 2);
    down(&e);
}

static void test_cron_job_failure_notifies_the_fallback(void **state) {
    (void)state;
    env_t e;
    up(&e, at(2026, 6, 1, 10, 0));
    erg_cron_job_t j = send_job("lost", "30 10 * * *", NULL, "nobody");
    j.fallback_name = "fb";
    j.fallback_tag = "nightly";
    ERG_PASS(erg_cron_add(e.cron, &j, NULL, 0));
    step(&e, at(2026, 6, 1, 10, 30));
    assert_int_equal(atomic_load(&seen.fb_n), 1);
    assert_int_equal(atomic_load(&seen.fb_err), ERG_ENONAME);
    assert_int_equal(atomic_load(&seen.fb_time), at(2026, 6, 1, 10, 30));
    assert_string_equal(seen.fb_job, "lost");
    assert_string_equal(seen.fb_tag, "nightly");
    erg_cron_job_info_t info;
    ERG_PASS(erg_cron_job_info(e.cron, "lost", &info));
    assert_int_equal(info.last_err, ERG_ENONAME);
    /* No fallback process: the failure is only recorded. */
    j = send_job("quiet", "31 10 * * *", NULL, "nobody");
    ERG_PASS(erg_cron_add(e.cron, &j, NULL, 0));
    step(&e, at(2026, 6, 1, 10, 31));
    assert_int_equal(atomic_load(&seen.fb_n), 1);
    ERG_PASS(erg_cron_job_info(e.cron, "quiet", &info));
    assert_int_equal(info.last_err, ERG_ENONAME);
    down(&e);
}

static void test_cron_job_spawns_a_process(void **state) {
    (void)state;
    env_t e;
    up(&e, at(2026, 6, 1, 10, 0));
    erg_cron_job_t j;
    memset(&j, 0, sizeof(j));
    j.name = "spawner";
    j.spec = "0 * * * *";
    j.action = ERG_CRON_SPAWN;
    j.beh = &job_proc;
    j.spawn_opts.register_name = "report";
    j.fallback_name = "fb";
    ERG_PASS(erg_cron_add(e.cron, &j, NULL, 0));
    erg_cron_job_info_t info;
    ERG_PASS(erg_cron_job_info(e.cron, "spawner", &info));
    assert_string_equal(info.action, "spawn job-proc");
    step(&e, at(2026, 6, 1, 11, 0));
    assert_int_equal(atomic_load(&seen.spawned), 1);
    erg_pid_t pid;
    ERG_PASS(erg_node_resolve_name(e.node, "report", &pid));
    /* The next spawn finds the name taken: the fallback hears of it. */
    step(&e, at(2026, 6, 1, 12, 0));
    assert_int_equal(atomic_load(&seen.fb_n), 1);
    assert_int_equal(atomic_load(&seen.fb_err), ERG_ETAKEN);
    /* An init that fails is the job's failure too (Ergo's Spawn). */
    static erg_reason_t fail = ERG_EINCORRECT;
    j.name = "failing";
    j.spawn_opts.register_name = NULL;
    j.args = &fail;
    ERG_PASS(erg_cron_add(e.cron, &j, NULL, 0));
    step(&e, at(2026, 6, 1, 13, 0));
    assert_int_equal(atomic_load(&seen.fb_n), 3); /* spawner again, too */
    ERG_PASS(erg_cron_job_info(e.cron, "failing", &info));
    assert_int_equal(info.last_err, ERG_EINCORRECT);
    down(&e);
}

/* New York, 2026: clocks go 02:00 EST -> 03:00 EDT on March 8 and
 * 02:00 EDT -> 01:00 EST on November 1. */
static void test_cron_job_follows_dst_in_its_zone(void **state) {
    (void)state;
    env_t e;
    up(&e, at(2026, 3, 7, 12, 0));
    erg_cron_job_t j = send_job("ny", "30 2 * * *", "America/New_York", "sink");
    ERG_PASS(erg_cron_add(e.cron, &j, NULL, 0));
    /* 02:30 does not exist on the 8th: next is the 9th, 02:30 EDT. */
    assert_int_equal(next_of(&e, "ny"), at(2026, 3, 9, 6, 30));
    step(&e, at(2026, 3, 8, 7, 30)); /* 03:30 EDT on the 8th */
    assert_int_equal(atomic_load(&seen.n), 0);
    step(&e, at(2026, 3, 9, 6, 30));
    assert_int_equal(atomic_load(&seen.n), 1);
    assert_int_equal(atomic_load(&seen.time), at(2026, 3, 9, 6, 30));
    /* The repeated 01:30 on November 1 fires once, at 01:30 EDT. */
    ERG_PASS(erg_cron_remove(e.cron, "ny"));
    set_clock(&e.clock, at(2026, 10, 31, 12, 0));
    j = send_job("back", "30 1 * * *", "America/New_York", "sink");
    ERG_PASS(erg_cron_add(e.cron, &j, NULL, 0));
    step(&e, at(2026, 11, 1, 5, 30)); /* 01:30 EDT */
    assert_int_equal(atomic_load(&seen.n), 2);
    step(&e, at(2026, 11, 1, 6, 30)); /* 01:30 EST: not again */
    assert_int_equal(atomic_load(&seen.n), 2);
    assert_int_equal(next_of(&e, "back"), at(2026, 11, 2, 6, 30));
    /* The job's preview is its spec's in its zone. */
    int64_t got[4], want[4];
    erg_cron_spec_t *spec;
    erg_tz_t *tz;
    ERG_PASS(
        erg_cron_job_preview(e.cron, "back", at(2026, 10, 30, 0, 0), 4, got));
    ERG_PASS(erg_cron_spec_parse("30 1 * * *", &spec, NULL, 0));
    ERG_PASS(erg_tz_load("America/New_York", &tz));
    ERG_PASS(erg_cron_preview(spec, tz, at(2026, 10, 30, 0, 0), 4, want));
    assert_memory_equal(got, want, sizeof(got));
    assert_int_equal(got[2], at(2026, 11, 1, 5, 30));
    assert_int_equal(got[3], at(2026, 11, 2, 6, 30));
    erg_cron_spec_free(spec);
    erg_tz_free(tz);
    ERG_FAIL(erg_cron_job_preview(e.cron, "nope", 0, 4, got), ERG_ENOENT);
    down(&e);
}

static void test_cron_job_add_rejects_bad_jobs(void **state) {
    (void)state;
    env_t e;
    up(&e, at(2026, 6, 1, 10, 0));
    char err[128] = "";
    erg_cron_job_t j = send_job("bad", "61 * * * *", NULL, "sink");
    ERG_FAIL(erg_cron_add(e.cron, &j, err, sizeof(err)), ERG_EINVAL);
    assert_non_null(strstr(err, "minute"));
    j = send_job("bad", "* * * * *", "Mars/Olympus_Mons", "sink");
    ERG_FAIL(erg_cron_add(e.cron, &j, NULL, 0), ERG_ENOENT);
    j = send_job("", "* * * * *", NULL, "sink");
    ERG_FAIL(erg_cron_add(e.cron, &j, NULL, 0), ERG_EINVAL);
    j = send_job("x", "* * * * *", NULL, NULL);
    ERG_FAIL(erg_cron_add(e.cron, &j, NULL, 0), ERG_EINVAL);
    j = send_job("x", "* * * * *", NULL, "sink");
    j.action = ERG_CRON_SPAWN; /* no behaviour */
    ERG_FAIL(erg_cron_add(e.cron, &j, NULL, 0), ERG_EINVAL);
    j = send_job("x", "* * * * *", NULL, "sink");
    ERG_PASS(erg_cron_add(e.cron, &j, NULL, 0));
    ERG_FAIL(erg_cron_add(e.cron, &j, NULL, 0), ERG_ETAKEN);
    down(&e);
}

/* A cron whose node stops first is still freed cleanly. */
static void test_cron_free_after_its_scheduler_ended(void **state) {
    (void)state;
    env_t e;
    up(&e, at(2026, 6, 1, 10, 0));
    erg_cron_job_t j = send_job("x", "* * * * *", NULL, "sink");
    ERG_PASS(erg_cron_add(e.cron, &j, NULL, 0));
    erg_pid_t pid = erg_cron_pid(e.cron);
    erg_proc_info_t pi;
    /* The scheduler is an ordinary process; kill it and free the cron. */
    ERG_PASS(erg_node_process_info(e.node, pid, &pi));
    assert_string_equal(pi.behavior, "erg.cron");
    ERG_PASS(erg_node_kill_process(e.node, pid));
    ERG_FAIL(erg_cron_check(e.cron), ERG_ENOPROC);
    down(&e);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        ERG_TEST_WITH_ALLOC(test_cron_job_sends_at_its_fire_times),
        ERG_TEST_WITH_ALLOC(test_cron_job_fires_from_the_timer_thread),
        ERG_TEST_WITH_ALLOC(test_cron_job_disable_enable_remove),
        ERG_TEST_WITH_ALLOC(test_cron_job_failure_notifies_the_fallback),
        ERG_TEST_WITH_ALLOC(test_cron_job_spawns_a_process),
        ERG_TEST_WITH_ALLOC(test_cron_job_follows_dst_in_its_zone),
        ERG_TEST_WITH_ALLOC(test_cron_job_add_rejects_bad_jobs),
        ERG_TEST_WITH_ALLOC(test_cron_free_after_its_scheduler_ended),
    };
    return cmocka_run_group_tests_name("cron.job", tests, NULL, NULL);
}
