/* SPDX-License-Identifier: MIT */
/* watch_test.c: links and monitors across nodes, and a node killed with
 * SIGKILL: real processes (fork) and real sockets on 127.0.0.1. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

#include "erg/erg.h"
#include "erg/net.h"
#include "nettest.h"
#include "testutil.h"


/* ---- actors ---------------------------------------------------------------- */

/* A process that does nothing; exits with the reason a message carries. */
static erg_reason_t idle_init(erg_proc_t *self, void *args) {
    const char *name = args;
    if (name != NULL && erg_register_name(self, name) != ERG_OK)
        return ERG_REASON_PANIC;
    return ERG_REASON_NONE;
}

static erg_reason_t idle_message(erg_proc_t *self, erg_pid_t from,
                                 erg_msg_t *msg) {
    (void)self;
    (void)from;
    if (erg_msg_type(msg) == NULL && erg_msg_size(msg) == sizeof(int32_t)) {
        int32_t r;
        memcpy(&r, erg_msg_data(msg), sizeof(r));
        return r;
    }
    return ERG_REASON_NONE;
}

static const erg_behavior_t idle = {
    .name = "idle",
    .init = idle_init,
    .handle_message = idle_message,
};

/* A watcher: links to or monitors its target in init, counts what comes. */
typedef struct watcher_s {
    erg_target_t target;
    bool link;  /* link (trapping exits) instead of monitor */
    bool trap;
    atomic_long downs, exits;
    atomic_int reason;
    erg_target_kind_t kind_seen;
    erg_err_t watch_rv;
} watcher_t;

static erg_reason_t watcher_init(erg_proc_t *self, void *args) {
    watcher_t *w = args;
    *(watcher_t **)erg_proc_state(self) = w;
    erg_set_trap_exit(self, w->trap);
    w->watch_rv = w->link ? erg_link(self, w->target)
                          : erg_monitor(self, w->target, NULL);
    return w->watch_rv == ERG_OK ? ERG_REASON_NONE : ERG_REASON_NORMAL;
}

static erg_reason_t watcher_message(erg_proc_t *self, erg_pid_t from,
                                    erg_msg_t *msg) {
    (void)from;
    watcher_t *w = *(watcher_t **)erg_proc_state(self);
    if (erg_msg_type(msg) == ERG_TYPE_DOWN) {
        const erg_down_t *d = erg_msg_data(msg);
        w->kind_seen = d->target.kind;
        atomic_store(&w->reason, d->reason);
        atomic_fetch_add(&w->downs, 1);
    } else if (erg_msg_type(msg) == ERG_TYPE_EXIT) {
        const erg_exit_t *x = erg_msg_data(msg);
        atomic_store(&w->reason, x->reason);
        atomic_fetch_add(&w->exits, 1);
    } else if (erg_msg_type(msg) == NULL) {
        /* "unwatch" */
        if (w->link)
            erg_unlink(self, w->target);
        else
            erg_demonitor(self, w->target);
    }
    return ERG_REASON_NONE;
}

static const erg_behavior_t watcher = {
    .name = "watcher",
    .state_size = sizeof(watcher_t *),
    .init = watcher_init,
    .handle_message = watcher_message,
};

/* ---- nodes ------------------------------------------------------------------- */

/* NULL if it fails: a child process reports that by its exit status. */
static erg_node_t *start_node(const char *name, uint16_t port) {
    erg_node_t *node = nt_node(name);
    if (node == NULL)
        return NULL;
    erg_acceptor_opts_t acc;
    erg_net_opts_t n;
    nt_net_opts(&n, &acc, "watch-test", port);
    if (erg_net_start(node, &n) != ERG_OK) {
        erg_node_stop(node);
        return NULL;
    }
    return node;
}


static erg_err_t send_reason(erg_node_t *node, erg_target_t to, int32_t r) {
    erg_msg_t *m;
    erg_err_t rv = erg_msg_new_copy(NULL, &r, sizeof(r), &m);
    if (rv == ERG_OK && (rv = erg_node_send(node, to, m, 0)) != ERG_OK)
        erg_msg_release(m);
    return rv;
}

/* A process that makes an alias in init and publishes it through args. */
static erg_reason_t aliased_init(erg_proc_t *self, void *args) {
    return erg_alias_create(self, (erg_alias_t *)args) == ERG_OK
               ? ERG_REASON_NONE
               : ERG_REASON_PANIC;
}

static const erg_behavior_t aliased = {
    .name = "aliased",
    .init = aliased_init,
    .handle_message = idle_message,
};

/* ---- in one process -------------------------------------------------------- */

static void test_monitor_pid_and_name(void **state) {
    (void)state;
    erg_node_t *a = start_node("wa@127.0.0.1", 0);
    erg_node_t *b = start_node("wb@127.0.0.1", 0);
    assert_non_null(a);
    assert_non_null(b);
    nt_route(a, "wb@127.0.0.1", erg_net_port(b));
    erg_pid_t t1, t2;
    ERG_PASS(erg_node_spawn(b, &idle, NULL, (void *)"t2", &t2));
    ERG_PASS(erg_node_spawn(b, &idle, NULL, NULL, &t1));
    watcher_t w1 = {.target = erg_to_pid(t1)};
    watcher_t w2 = {.target = erg_to_remote_name("t2", "wb@127.0.0.1")};
    erg_pid_t p1, p2;
    ERG_PASS(erg_node_spawn(a, &watcher, NULL, &w1, &p1));
    ERG_PASS(erg_node_spawn(a, &watcher, NULL, &w2, &p2));
    ERG_PASS(w1.watch_rv);
    nt_sleep_ms(100); /* both watches reached b */
    ERG_PASS(send_reason(b, erg_to_pid(t1), ERG_REASON_USER + 7));
    ERG_PASS(send_reason(b, erg_to_pid(t2), ERG_REASON_SHUTDOWN));
    assert_true(nt_wait_for(&w1.downs, 1));
    assert_true(nt_wait_for(&w2.downs, 1));
    assert_int_equal(atomic_load(&w1.reason), ERG_REASON_USER + 7);
    assert_int_equal(atomic_load(&w2.reason), ERG_REASON_SHUTDOWN);
    assert_int_equal(w2.kind_seen, ERG_TARGET_NAME);
    /* By alias: messages reach it, and its exit fires the monitor. */
    erg_alias_t alias;
    erg_pid_t t3;
    ERG_PASS(erg_node_spawn(b, &aliased, NULL, &alias, &t3));
    watcher_t wa = {.target = erg_to_alias(alias)};
    erg_pid_t pa;
    ERG_PASS(erg_node_spawn(a, &watcher, NULL, &wa, &pa));
    ERG_PASS(wa.watch_rv);
    nt_sleep_ms(100);
    ERG_PASS(send_reason(a, erg_to_alias(alias), ERG_REASON_USER + 9));
    assert_true(nt_wait_for(&wa.downs, 1));
    assert_int_equal(atomic_load(&wa.reason), ERG_REASON_USER + 9);
    assert_int_equal(wa.kind_seen, ERG_TARGET_ALIAS);
    /* A process that never existed: a down with ERG_ENOPROC. */
    erg_pid_t ghost = t1;
    ghost.id += 1000;
    watcher_t w3 = {.target = erg_to_pid(ghost)};
    erg_pid_t p3;
    ERG_PASS(erg_node_spawn(a, &watcher, NULL, &w3, &p3));
    assert_true(nt_wait_for(&w3.downs, 1));
    assert_int_equal(atomic_load(&w3.reason), ERG_ENOPROC);
    nt_sleep_ms(50);
    assert_int_equal(atomic_load(&w1.downs), 1); /* exactly once */
    ERG_PASS(erg_node_stop(a));
    ERG_PASS(erg_node_stop(b));
}

static void test_link_and_unlink(void **state) {
    (void)state;
    erg_node_t *a = start_node("wa@127.0.0.1", 0);
    erg_node_t *b = start_node("wb@127.0.0.1", 0);
    nt_route(a, "wb@127.0.0.1", erg_net_port(b));
    erg_pid_t t1, t2;
    ERG_PASS(erg_node_spawn(b, &idle, NULL, NULL, &t1));
    ERG_PASS(erg_node_spawn(b, &idle, NULL, NULL, &t2));
    watcher_t w1 = {.target = erg_to_pid(t1), .link = true, .trap = true};
    watcher_t w2 = {.target = erg_to_pid(t2), .link = true, .trap = true};
    erg_pid_t p1, p2;
    ERG_PASS(erg_node_spawn(a, &watcher, NULL, &w1, &p1));
    ERG_PASS(erg_node_spawn(a, &watcher, NULL, &w2, &p2));
    nt_sleep_ms(100);
    /* w2 unlinks; its target's exit must then not reach it. */
    ERG_PASS(send_reason(a, erg_to_pid(p2), 0));
    nt_sleep_ms(100);
    ERG_PASS(send_reason(b, erg_to_pid(t1), ERG_REASON_PANIC));
    ERG_PASS(send_reason(b, erg_to_pid(t2), ERG_REASON_PANIC));
    assert_true(nt_wait_for(&w1.exits, 1));
    assert_int_equal(atomic_load(&w1.reason), ERG_REASON_PANIC);
    nt_sleep_ms(200);
    assert_int_equal(atomic_load(&w2.exits), 0);
    /* An exit signal across nodes. */
    erg_pid_t t3;
    ERG_PASS(erg_node_spawn(b, &idle, NULL, NULL, &t3));
    ERG_PASS(erg_node_send_exit(a, t3, ERG_REASON_USER + 1));
    for (int i = 0; i < NT_WAIT_MS; i++) {
        erg_proc_info_t info;
        if (erg_node_process_info(b, t3, &info) == ERG_ENOPROC)
            break;
        nt_sleep_ms(1);
    }
    erg_proc_info_t info;
    ERG_FAIL(erg_node_process_info(b, t3, &info), ERG_ENOPROC);
    ERG_PASS(erg_node_stop(a));
    ERG_PASS(erg_node_stop(b));
}

static void test_disconnect_fires_once(void **state) {
    (void)state;
    erg_node_t *a = start_node("wa@127.0.0.1", 0);
    erg_node_t *b = start_node("wb@127.0.0.1", 0);
    nt_route(a, "wb@127.0.0.1", erg_net_port(b));
    erg_pid_t t1;
    ERG_PASS(erg_node_spawn(b, &idle, NULL, NULL, &t1));
    watcher_t w1 = {.target = erg_to_pid(t1)};
    watcher_t wn = {.target = erg_to_node("wb@127.0.0.1")};
    erg_pid_t p1, pn;
    ERG_PASS(erg_node_spawn(a, &watcher, NULL, &w1, &p1));
    ERG_PASS(erg_node_spawn(a, &watcher, NULL, &wn, &pn));
    ERG_PASS(erg_net_connect(a, "wb@127.0.0.1"));
    nt_sleep_ms(100);
    ERG_PASS(erg_net_disconnect(a, "wb@127.0.0.1"));
    assert_true(nt_wait_for(&w1.downs, 1));
    assert_true(nt_wait_for(&wn.downs, 1));
    assert_int_equal(atomic_load(&w1.reason), ERG_ENOCONN);
    assert_int_equal(atomic_load(&wn.reason), ERG_ENOCONN);
    assert_int_equal(wn.kind_seen, ERG_TARGET_NODE);
    /* The target's later exit (over a new connection) fires nothing. */
    ERG_PASS(send_reason(b, erg_to_pid(t1), ERG_REASON_NORMAL));
    nt_sleep_ms(200);
    assert_int_equal(atomic_load(&w1.downs), 1);
    assert_int_equal(atomic_load(&wn.downs), 1);
    ERG_PASS(erg_node_stop(a));
    ERG_PASS(erg_node_stop(b));
}

/* ---- events across nodes ------------------------------------------------------ */

typedef struct producer_s {
    erg_ref_t token;
} producer_t;

static erg_reason_t producer_init(erg_proc_t *self, void *args) {
    (void)args;
    producer_t *st = erg_proc_state(self);
    erg_event_opts_t o = {false, 0};
    return erg_event_register(self, "prices", &o, &st->token) == ERG_OK
               ? ERG_REASON_NONE
               : ERG_REASON_PANIC;
}

/* "pub" publishes a copy of itself; "unreg" unregisters the event. */
static erg_reason_t producer_message(erg_proc_t *self, erg_pid_t from,
                                     erg_msg_t *msg) {
    (void)from;
    producer_t *st = erg_proc_state(self);
    if (erg_msg_size(msg) == 5 && memcmp(erg_msg_data(msg), "unreg", 5) == 0)
        return erg_event_unregister(self, "prices") == ERG_OK
                   ? ERG_REASON_NONE
                   : ERG_REASON_PANIC;
    erg_msg_t *m;
    if (erg_msg_new_copy(NULL, erg_msg_data(msg), erg_msg_size(msg), &m) !=
        ERG_OK)
        return ERG_REASON_PANIC;
    if (erg_event_send(self, "prices", st->token, m) != ERG_OK)
        erg_msg_release(m);
    return ERG_REASON_NONE;
}

static const erg_behavior_t producer = {
    .name = "producer",
    .state_size = sizeof(producer_t),
    .init = producer_init,
    .handle_message = producer_message,
};

static atomic_long events_seen;

static erg_reason_t sub_event(erg_proc_t *self, const erg_event_msg_t *ev) {
    (void)self;
    if (strcmp(ev->event, "prices") == 0)
        atomic_fetch_add(&events_seen, 1);
    return ERG_REASON_NONE;
}

static const erg_behavior_t subscriber = {
    .name = "subscriber",
    .state_size = sizeof(watcher_t *),
    .init = watcher_init,
    .handle_message = watcher_message,
    .handle_event = sub_event,
};

static erg_err_t send_text(erg_node_t *node, erg_pid_t to, const char *t) {
    erg_msg_t *m;
    erg_err_t rv = erg_msg_new_copy(NULL, t, strlen(t), &m);
    if (rv == ERG_OK && (rv = erg_node_send(node, erg_to_pid(to), m, 0)) !=
                            ERG_OK)
        erg_msg_release(m);
    return rv;
}

static void test_remote_event(void **state) {
    (void)state;
    atomic_store(&events_seen, 0);
    erg_node_t *a = start_node("wa@127.0.0.1", 0);
    erg_node_t *b = start_node("wb@127.0.0.1", 0);
    nt_route(a, "wb@127.0.0.1", erg_net_port(b));
    erg_pid_t prod;
    ERG_PASS(erg_node_spawn(b, &producer, NULL, NULL, &prod));
    enum { SUBS = 5 };
    watcher_t w[SUBS];
    for (int i = 0; i < SUBS; i++) {
        memset(&w[i], 0, sizeof(w[i]));
        w[i].target = erg_to_remote_event("prices", "wb@127.0.0.1");
        erg_pid_t p;
        ERG_PASS(erg_node_spawn(a, &subscriber, NULL, &w[i], &p));
        ERG_PASS(w[i].watch_rv);
    }
    /* One subscription for the whole node. */
    unsigned n = 0;
    for (int i = 0; i < NT_WAIT_MS && n == 0; i++) {
        erg_node_event_subscribers(b, "prices", &n);
        nt_sleep_ms(1);
    }
    assert_int_equal(n, 1);
    for (int i = 0; i < 3; i++)
        ERG_PASS(send_text(b, prod, "pub"));
    assert_true(nt_wait_for(&events_seen, 3 * SUBS));
    nt_sleep_ms(50);
    assert_int_equal(atomic_load(&events_seen), 3 * SUBS);
    /* The event goes away: every subscriber hears it once. */
    ERG_PASS(send_text(b, prod, "unreg"));
    for (int i = 0; i < SUBS; i++) {
        assert_true(nt_wait_for(&w[i].downs, 1));
        assert_int_equal(atomic_load(&w[i].reason), ERG_EUNREGISTERED);
        assert_int_equal(w[i].kind_seen, ERG_TARGET_EVENT);
    }
    ERG_PASS(erg_node_stop(a));
    ERG_PASS(erg_node_stop(b));
}

/* ---- a node in another process, killed --------------------------------------- */


/* Runs node k@127.0.0.1 on port with a process named "rec" and reports
 * "up" through fd, then waits to be killed. Never returns. */
static void child_node(uint16_t port, int fd) {
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a failed test */
    erg_node_t *k = start_node("k@127.0.0.1", port);
    erg_pid_t rec;
    if (k == NULL ||
        erg_node_spawn(k, &idle, NULL, (void *)"rec", &rec) != ERG_OK)
        _exit(2);
    if (write(fd, "u", 1) != 1)
        _exit(3);
    for (;;)
        pause();
}

static pid_t start_child(uint16_t port) {
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* A fresh image: threads after fork are not safe (nor allowed
         * under ThreadSanitizer). */
        close(fds[0]);
        char ps[16], fs[16];
        snprintf(ps, sizeof(ps), "%u", (unsigned)port);
        snprintf(fs, sizeof(fs), "%d", fds[1]);
        execl("/proc/self/exe", "test_net_watch", "--child-node", ps, fs,
              (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    char c;
    assert_int_equal(read(fds[0], &c, 1), 1);
    close(fds[0]);
    return pid;
}

static void test_kill_9(void **state) {
    (void)state;
    uint16_t port = erg_test_free_port();
    pid_t child = start_child(port);
    erg_node_t *a = start_node("ka@127.0.0.1", 0);
    nt_route(a, "k@127.0.0.1", port);
    watcher_t wname = {.target = erg_to_remote_name("rec", "k@127.0.0.1")};
    watcher_t wnode = {.target = erg_to_node("k@127.0.0.1")};
    erg_pid_t p1, p2;
    ERG_PASS(erg_node_spawn(a, &watcher, NULL, &wname, &p1));
    ERG_PASS(erg_node_spawn(a, &watcher, NULL, &wnode, &p2));
    ERG_PASS(erg_net_connect(a, "k@127.0.0.1"));
    /* A third node watches k too. */
    erg_node_t *c = start_node("kc@127.0.0.1", 0);
    nt_route(c, "k@127.0.0.1", port);
    watcher_t wc = {.target = erg_to_remote_name("rec", "k@127.0.0.1")};
    erg_pid_t pc;
    ERG_PASS(erg_node_spawn(c, &watcher, NULL, &wc, &pc));
    /* A second node calling itself k is refused while k is connected. */
    erg_node_t *fake = start_node("k@127.0.0.1", 0);
    nt_route(fake, "ka@127.0.0.1", erg_net_port(a));
    ERG_FAIL(erg_net_connect(fake, "ka@127.0.0.1"), ERG_ETAKEN);
    ERG_PASS(erg_node_stop(fake));
    nt_sleep_ms(100);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    assert_true(nt_wait_for(&wc.downs, 1));
    assert_int_equal(atomic_load(&wc.reason), ERG_ENOCONN);
    /* Important sends to the dead node fail. */
    erg_msg_t *imp;
    ERG_PASS(erg_msg_new_copy(NULL, "i", 1, &imp));
    erg_err_t irv = erg_node_send_important(
        c, erg_to_remote_name("rec", "k@127.0.0.1"), imp);
    assert_true(irv == ERG_ENOCONN);
    erg_msg_release(imp);
    ERG_PASS(erg_node_stop(c));
    assert_true(nt_wait_for(&wname.downs, 1));
    assert_true(nt_wait_for(&wnode.downs, 1));
    assert_int_equal(atomic_load(&wname.reason), ERG_ENOCONN);
    assert_int_equal(atomic_load(&wnode.reason), ERG_ENOCONN);
    /* A call to the dead node fails instead of hanging. */
    erg_msg_t *req, *reply = NULL;
    ERG_PASS(erg_msg_new_copy(NULL, "x", 1, &req));
    erg_err_t rv = erg_node_call(a, erg_to_remote_name("rec", "k@127.0.0.1"),
                                 req, 10000, &reply);
    assert_int_equal(rv, ERG_ENOCONN);
    erg_msg_release(req);
    /* The node comes back (a new incarnation on the same port): the next
     * use reconnects. */
    child = start_child(port);
    ERG_PASS(erg_net_connect(a, "k@127.0.0.1"));
    watcher_t again = {.target = erg_to_remote_name("rec", "k@127.0.0.1")};
    erg_pid_t p3;
    ERG_PASS(erg_node_spawn(a, &watcher, NULL, &again, &p3));
    nt_sleep_ms(100);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    assert_true(nt_wait_for(&again.downs, 1));
    assert_int_equal(atomic_load(&again.reason), ERG_ENOCONN);
    nt_sleep_ms(100);
    assert_int_equal(atomic_load(&wname.downs), 1);
    assert_int_equal(atomic_load(&wnode.downs), 1);
    ERG_PASS(erg_node_stop(a));
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "--child-node") == 0)
        child_node((uint16_t)atoi(argv[2]), atoi(argv[3]));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_monitor_pid_and_name),
        cmocka_unit_test(test_link_and_unlink),
        cmocka_unit_test(test_disconnect_fires_once),
        cmocka_unit_test(test_remote_event),
        cmocka_unit_test(test_kill_9),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
