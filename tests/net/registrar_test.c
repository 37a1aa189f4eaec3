/* SPDX-License-Identifier: MIT */
/* registrar_test.c: the embedded registrar: nodes finding each other by
 * name with no static routes, a taken name refused, hostile bytes on the
 * registrar port, and a serving node killed with SIGKILL (a survivor takes
 * over). Real processes and sockets on 127.0.0.1; every registrar port is
 * one the system picked, so tests run in parallel. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

#include "erg/erg.h"
#include "erg/net.h"
#include "erg/registrar.h"
#include "net/frame.h"
#include "testutil.h"

enum { WAIT_MS = 20000 };

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}


/* ---- actors ---------------------------------------------------------------- */

static atomic_long received;

static erg_reason_t echo_init(erg_proc_t *self, void *args) {
    (void)args;
    return erg_register_name(self, "echo") == ERG_OK ? ERG_REASON_NONE
                                                      : ERG_REASON_PANIC;
}

static erg_reason_t echo_message(erg_proc_t *self, erg_pid_t from,
                                 erg_msg_t *msg) {
    (void)self;
    (void)from;
    (void)msg;
    atomic_fetch_add(&received, 1);
    return ERG_REASON_NONE;
}

/* Answers a call with the node's name. */
static erg_reason_t echo_call(erg_proc_t *self, erg_pid_t from, erg_ref_t ref,
                              erg_msg_t *request, erg_msg_t **reply) {
    (void)from;
    (void)ref;
    (void)request;
    const char *n = erg_node_name(erg_proc_node(self));
    return erg_msg_new_copy(NULL, n, strlen(n), reply) == ERG_OK
               ? ERG_REASON_NONE
               : ERG_REASON_PANIC;
}

static const erg_behavior_t echo = {
    .name = "echo",
    .init = echo_init,
    .handle_message = echo_message,
    .handle_call = echo_call,
};

/* ---- nodes ------------------------------------------------------------------- */

/* Starts name accepting on ip (NULL: 127.0.0.1) with the registrar on
 * ip:rport; *rv says why not. */
static erg_node_t *start_node_at(const char *name, const char *ip,
                                 uint16_t rport, bool no_acceptor,
                                 erg_err_t *rv) {
    erg_node_opts_t o;
    erg_node_opts_init(&o);
    o.workers = 2;
    o.no_default_logger = true;
    erg_node_t *node = NULL;
    *rv = erg_node_start(name, &o, &node);
    if (*rv != ERG_OK)
        return NULL;
    erg_acceptor_opts_t acc = {ip != NULL ? ip : "127.0.0.1", 0, 0};
    erg_net_opts_t n;
    erg_net_opts_init(&n);
    n.registrar.host = ip;
    n.cookie = "registrar-test";
    n.acceptors = &acc;
    n.nacceptors = 1;
    n.no_acceptor = no_acceptor;
    n.handshake_timeout_ms = 1000;
    n.registrar.port = rport;
    *rv = erg_net_start(node, &n);
    if (*rv != ERG_OK) {
        erg_node_stop(node);
        return NULL;
    }
    return node;
}

static erg_node_t *start_node_rv(const char *name, uint16_t rport,
                                 bool no_acceptor, erg_err_t *rv) {
    return start_node_at(name, NULL, rport, no_acceptor, rv);
}

/* A node with an "echo" process, accepting on ip (NULL: 127.0.0.1). */
static erg_node_t *start_echo_at(const char *name, const char *ip,
                                 uint16_t rport) {
    erg_err_t rv;
    erg_node_t *node = start_node_at(name, ip, rport, false, &rv);
    if (node == NULL)
        fail_msg("starting %s: %s", name, erg_strerror(rv));
    erg_pid_t pid;
    ERG_PASS(erg_node_spawn(node, &echo, NULL, NULL, &pid));
    return node;
}

static erg_node_t *start_node(const char *name, uint16_t rport) {
    return start_echo_at(name, NULL, rport);
}

/* Calls "echo" on node `to` from `from` and checks who answered. */
static erg_err_t call_echo(erg_node_t *from, const char *to) {
    erg_msg_t *req, *reply = NULL;
    ERG_PASS(erg_msg_new_copy(NULL, "?", 1, &req));
    erg_err_t rv = erg_node_call(from, erg_to_remote_name("echo", to), req,
                                 5000, &reply);
    if (rv != ERG_OK)
        erg_msg_release(req); /* a call takes it only on success */
    if (rv == ERG_OK) {
        assert_int_equal(erg_msg_size(reply), strlen(to));
        assert_memory_equal(erg_msg_data(reply), to, strlen(to));
        erg_msg_release(reply);
    }
    return rv;
}

/* erg_net_connect until it works (a registration may still be on its
 * way after a takeover), up to WAIT_MS. */
static erg_err_t connect_soon(erg_node_t *from, const char *to) {
    erg_err_t rv = ERG_ETIMEDOUT;
    for (int i = 0; i < WAIT_MS / 50; i++) {
        if ((rv = erg_net_connect(from, to)) == ERG_OK)
            return rv;
        sleep_ms(50);
    }
    return rv;
}

/* ---- in one process ------------------------------------------------------------ */

static void test_nodes_find_each_other_by_name(void **state) {
    (void)state;
    uint16_t rport = erg_test_free_port();
    erg_node_t *a = start_node("ra@127.0.0.1", rport);
    erg_node_t *b = start_node("rb@127.0.0.1", rport);
    erg_node_t *c = start_node("rc@127.0.0.1", rport);
    /* The first node serves; the others registered with it. */
    assert_true(erg_net_registrar_serving(a));
    assert_false(erg_net_registrar_serving(b));
    assert_false(erg_net_registrar_serving(c));
    /* No static routes anywhere: the names resolve through a. */
    ERG_PASS(call_echo(b, "rc@127.0.0.1")); /* client -> client */
    ERG_PASS(call_echo(c, "ra@127.0.0.1")); /* client -> server */
    ERG_PASS(call_echo(a, "rb@127.0.0.1")); /* server -> client */
    /* A message sent before the peer is known waits for the lookup. */
    atomic_store(&received, 0);
    erg_msg_t *m;
    ERG_PASS(erg_msg_new_copy(NULL, "x", 1, &m));
    ERG_PASS(erg_node_send(a, erg_to_remote_name("echo", "rc@127.0.0.1"), m,
                           0));
    for (int i = 0; i < WAIT_MS && atomic_load(&received) < 1; i++)
        sleep_ms(1);
    assert_int_equal(atomic_load(&received), 1);
    /* A name nobody registered: no route, from the server and a client;
     * and a send to it fails through the failed-send path, not silently
     * forever. */
    ERG_FAIL(erg_net_connect(a, "nobody@127.0.0.1"), ERG_ENOROUTE);
    ERG_FAIL(erg_net_connect(b, "nobody@127.0.0.1"), ERG_ENOROUTE);
    erg_msg_t *req, *reply = NULL;
    ERG_PASS(erg_msg_new_copy(NULL, "?", 1, &req));
    erg_err_t rv = erg_node_call(
        b, erg_to_remote_name("echo", "ghost@127.0.0.1"), req, 5000, &reply);
    assert_true(rv != ERG_OK && rv != ERG_ETIMEDOUT);
    erg_msg_release(req);
    /* A node that does not accept registers nothing, yet resolves. */
    erg_node_t *h = start_node_rv("rh@127.0.0.1", rport, true, &rv);
    assert_non_null(h);
    ERG_PASS(call_echo(h, "rb@127.0.0.1"));
    ERG_FAIL(erg_net_connect(c, "rh@127.0.0.1"), ERG_ENOROUTE);
    /* Static routes are tried first: a route to a wrong port beats the
     * registrar's right answer. */
    erg_route_t wrong = {"rc@127.0.0.1", "127.0.0.1", erg_test_free_port()};
    ERG_PASS(erg_net_add_route(h, &wrong));
    ERG_FAIL(erg_net_connect(h, "rc@127.0.0.1"), ERG_ENOCONN);
    ERG_PASS(erg_node_stop(h));
    /* A stopped node is unregistered: looking it up fails. */
    ERG_PASS(erg_node_stop(c));
    for (int i = 0; i < WAIT_MS / 10; i++) {
        if (erg_net_connect(b, "rc@127.0.0.1") == ERG_ENOROUTE)
            break;
        sleep_ms(10);
    }
    ERG_FAIL(erg_net_connect(b, "rc@127.0.0.1"), ERG_ENOROUTE);
    ERG_PASS(erg_node_stop(b));
    ERG_PASS(erg_node_stop(a));
}

static void test_taken_name_is_refused(void **state) {
    (void)state;
    uint16_t rport = erg_test_free_port();
    erg_node_t *a = start_node("ta@127.0.0.1", rport);
    erg_node_t *b = start_node("tb@127.0.0.1", rport);
    erg_err_t rv;
    /* The serving node's name, and a client's. */
    assert_null(start_node_rv("ta@127.0.0.1", rport, false, &rv));
    assert_int_equal(rv, ERG_ETAKEN);
    assert_null(start_node_rv("tb@127.0.0.1", rport, false, &rv));
    assert_int_equal(rv, ERG_ETAKEN);
    /* Both still work. */
    ERG_PASS(call_echo(a, "tb@127.0.0.1"));
    /* Once b stops, its name is free again. */
    ERG_PASS(erg_node_stop(b));
    erg_node_t *b2 = NULL;
    for (int i = 0; i < WAIT_MS / 10 && b2 == NULL; i++) {
        b2 = start_node_rv("tb@127.0.0.1", rport, false, &rv);
        if (b2 == NULL) {
            assert_int_equal(rv, ERG_ETAKEN);
            sleep_ms(10);
        }
    }
    assert_non_null(b2);
    erg_pid_t pid;
    ERG_PASS(erg_node_spawn(b2, &echo, NULL, NULL, &pid));
    ERG_PASS(call_echo(a, "tb@127.0.0.1"));
    ERG_PASS(erg_node_stop(b2));
    ERG_PASS(erg_node_stop(a));
}

static void test_port_from_the_environment(void **state) {
    (void)state;
    char port[16];
    snprintf(port, sizeof(port), "%u", (unsigned)erg_test_free_port());
    assert_int_equal(setenv("ERG_REGISTRAR_PORT", port, 1), 0);
    /* Both take the port from the environment: the second registers with
     * the first and finds it by name. */
    erg_node_t *a = start_node("ea@127.0.0.1", 0);
    erg_node_t *b = start_node("eb@127.0.0.1", 0);
    assert_true(erg_net_registrar_serving(a));
    assert_false(erg_net_registrar_serving(b));
    ERG_PASS(call_echo(b, "ea@127.0.0.1"));
    /* The option wins over the environment: a node given another port
     * serves a registrar of its own, where ea is unknown. */
    erg_node_t *c = start_node("ec@127.0.0.1", erg_test_free_port());
    assert_true(erg_net_registrar_serving(c));
    ERG_FAIL(erg_net_connect(c, "ea@127.0.0.1"), ERG_ENOROUTE);
    assert_int_equal(unsetenv("ERG_REGISTRAR_PORT"), 0);
    ERG_PASS(erg_node_stop(c));
    ERG_PASS(erg_node_stop(b));
    ERG_PASS(erg_node_stop(a));
}

/* Two "hosts" on the loopback (127.0.0.1 and 127.0.0.2), each with its
 * own registrar on the same port: a node of one looks the nodes of the
 * other up by asking that host's registrar over UDP, as Ergo's do. */
static void test_other_hosts_are_asked_over_udp(void **state) {
    (void)state;
    uint16_t rport = erg_test_free_port();
    erg_node_t *near = start_echo_at("near@127.0.0.1", "127.0.0.1", rport);
    erg_node_t *far = start_echo_at("far@127.0.0.2", "127.0.0.2", rport);
    erg_node_t *far2 = start_echo_at("far2@127.0.0.2", "127.0.0.2", rport);
    assert_true(erg_net_registrar_serving(near));
    assert_true(erg_net_registrar_serving(far));
    assert_false(erg_net_registrar_serving(far2));
    ERG_PASS(call_echo(near, "far@127.0.0.2"));  /* a serving node */
    ERG_PASS(call_echo(near, "far2@127.0.0.2")); /* one registered there */
    ERG_PASS(call_echo(far2, "near@127.0.0.1")); /* a client asks too */
    /* A name that host's registrar does not know. */
    ERG_FAIL(erg_net_connect(near, "nobody@127.0.0.2"), ERG_ENOROUTE);
    /* A host with no registrar: no answer within the time limit. */
    erg_err_t rv = erg_net_connect(near, "x@127.0.0.3");
    assert_true(rv == ERG_ETIMEDOUT || rv == ERG_ENOROUTE);
    ERG_PASS(erg_node_stop(far2));
    ERG_PASS(erg_node_stop(far));
    ERG_PASS(erg_node_stop(near));
}

/* A raw connection to the registrar port. */
static int dial(uint16_t port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons(port);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

/* True when the server closes fd (reading everything it sent first). */
static bool closed_by_server(int fd) {
    char buf[256];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN &&
                       errno != EWOULDBLOCK))
            return true;
        if (n < 0)
            return false; /* timed out: still open */
    }
}

static void send_all(int fd, const void *p, size_t n) {
    assert_int_equal(write(fd, p, n), (ssize_t)n);
}

static const uint8_t preamble[8] = {'E', 'R', 'G', 'R', 1, 0, 0, 0};

static void test_hostile_bytes_are_cut_off(void **state) {
    (void)state;
    uint16_t rport = erg_test_free_port();
    erg_node_t *a = start_node("ha@127.0.0.1", rport);
    /* Not a registrar client. */
    int fd = dial(rport);
    send_all(fd, "GET / HTTP/1.0\r\n\r\n", 18);
    assert_true(closed_by_server(fd));
    close(fd);
    /* A frame declared far over the cap: cut off before it arrives. */
    fd = dial(rport);
    uint8_t big[13];
    memcpy(big, preamble, 8);
    big[8] = 0xff, big[9] = 0xff, big[10] = 0xff, big[11] = 0x7f;
    big[12] = 1;
    send_all(fd, big, sizeof(big));
    assert_true(closed_by_server(fd));
    close(fd);
    /* A lookup before registering. */
    fd = dial(rport);
    erg__buf_t b = {0};
    ERG_PASS(erg__buf_reserve(&b, 8));
    memcpy(b.p, preamble, 8);
    b.len = 8;
    erg_registrar_resolve_v1_t q = {1, {"ha@127.0.0.1", 12}};
    ERG_PASS(erg__frame_put_ctl(&b, 3, &erg_registrar_resolve_v1_desc, &q));
    send_all(fd, b.p, b.len);
    assert_true(closed_by_server(fd));
    close(fd);
    /* A registration whose body does not decode. */
    fd = dial(rport);
    uint8_t junk[8 + 5 + 3] = {0};
    memcpy(junk, preamble, 8);
    junk[8] = 4, junk[12] = 1, junk[13] = 0xff, junk[14] = 0xff,
    junk[15] = 0xff;
    send_all(fd, junk, sizeof(junk));
    assert_true(closed_by_server(fd));
    close(fd);
    /* Silence: closed at the handshake time limit. */
    fd = dial(rport);
    assert_true(closed_by_server(fd));
    close(fd);
    /* A registered client may look names up over its link. */
    fd = dial(rport);
    b.len = 8;
    erg_registrar_register_v1_t reg = {{"hx@127.0.0.1", 12}, {"", 0}, 0};
    ERG_PASS(erg__frame_put_ctl(&b, 1, &erg_registrar_register_v1_desc, &reg));
    ERG_PASS(erg__frame_put_ctl(&b, 3, &erg_registrar_resolve_v1_desc, &q));
    send_all(fd, b.p, b.len);
    uint8_t in[512];
    size_t got = 0;
    erg__frame_t f;
    int frames = 0;
    erg_registrar_resolved_v1_t *ans = NULL;
    while (frames < 2) {
        ssize_t n = read(fd, in + got, sizeof(in) - got);
        assert_true(n > 0);
        got += (size_t)n;
        size_t off = 8;
        frames = 0;
        while (got > off && erg__frame_next(in + off, got - off, 1024, &f) == 1) {
            frames++;
            if (frames == 2) {
                assert_int_equal(f.kind, 4);
                ERG_PASS(erg_registrar_resolved_v1_decode(f.payload, f.len,
                                                          &ans));
            }
            off += f.consumed;
        }
    }
    assert_memory_equal(in, preamble, 8);
    assert_int_equal(ans->id, 1);
    assert_int_equal(ans->code, ERG_OK);
    assert_int_equal(ans->port, erg_net_port(a));
    erg_registrar_resolved_v1_free(ans);
    close(fd);
    /* Random bytes after a good preamble, in bursts: every link is cut
     * off or times out, and nothing crashes. */
    srand(7);
    for (int round = 0; round < 50; round++) {
        fd = dial(rport);
        uint8_t noise[2048];
        memcpy(noise, preamble, 8);
        size_t n = 8 + (size_t)(rand() % (int)(sizeof(noise) - 8));
        for (size_t i = 8; i < n; i++)
            noise[i] = (uint8_t)rand();
        if (round % 2 == 0) /* a plausible length and kind */
            noise[8] = (uint8_t)(rand() % 64), noise[9] = 0, noise[10] = 0,
            noise[11] = 0, noise[12] = (uint8_t)(1 + rand() % 4);
        ssize_t w = write(fd, noise, n);
        (void)w; /* the server may have closed already */
        close(fd);
    }
    /* Datagrams: noise is ignored, a lookup is answered. */
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in ua = {0};
    ua.sin_family = AF_INET;
    ua.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ua.sin_port = htons(rport);
    assert_int_equal(connect(u, (struct sockaddr *)&ua, sizeof(ua)), 0);
    struct timeval tv = {10, 0};
    setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    for (int i = 0; i < 20; i++) {
        uint8_t noise[600];
        memcpy(noise, preamble, 8);
        for (size_t k = 8; k < sizeof(noise); k++)
            noise[k] = (uint8_t)rand();
        assert_true(send(u, noise, 8 + (size_t)(rand() % 592), 0) > 0);
    }
    b.len = 8;
    q.id = 77;
    ERG_PASS(erg__frame_put_ctl(&b, 3, &erg_registrar_resolve_v1_desc, &q));
    assert_true(send(u, b.p, b.len, 0) == (ssize_t)b.len);
    ssize_t un = recv(u, in, sizeof(in), 0);
    assert_true(un > 8);
    assert_memory_equal(in, preamble, 8);
    assert_int_equal(erg__frame_next(in + 8, (size_t)un - 8, 1024, &f), 1);
    ERG_PASS(erg_registrar_resolved_v1_decode(f.payload, f.len, &ans));
    assert_int_equal(ans->id, 77);
    assert_int_equal(ans->port, erg_net_port(a));
    erg_registrar_resolved_v1_free(ans);
    close(u);
    erg__buf_free(&b);
    /* The registrar still serves. */
    erg_node_t *b2 = start_node("hb@127.0.0.1", rport);
    ERG_PASS(call_echo(b2, "ha@127.0.0.1"));
    ERG_PASS(erg_node_stop(b2));
    ERG_PASS(erg_node_stop(a));
}

/* ---- a serving node in another process, killed ------------------------------- */

/* Runs node k@127.0.0.1 with the registrar on rport (it is the first, so
 * it serves) and reports "u" (or "c" when it is not serving) through fd,
 * then waits to be killed. Never returns. */
static void child_node(uint16_t rport, int fd) {
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a failed test */
    erg_err_t rv;
    erg_node_t *k = start_node_rv("k@127.0.0.1", rport, false, &rv);
    erg_pid_t pid;
    if (k == NULL || erg_node_spawn(k, &echo, NULL, NULL, &pid) != ERG_OK)
        _exit(2);
    if (write(fd, erg_net_registrar_serving(k) ? "u" : "c", 1) != 1)
        _exit(3);
    for (;;)
        pause();
}

static pid_t start_child(uint16_t rport) {
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* A fresh image: threads after fork are not safe. */
        close(fds[0]);
        char ps[16], fs[16];
        snprintf(ps, sizeof(ps), "%u", (unsigned)rport);
        snprintf(fs, sizeof(fs), "%d", fds[1]);
        execl("/proc/self/exe", "test_net_registrar", "--child-node", ps, fs,
              (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    char c = 0;
    assert_int_equal(read(fds[0], &c, 1), 1);
    close(fds[0]);
    assert_int_equal(c, 'u');
    return pid;
}

static void test_kill_9_of_the_server_hands_over(void **state) {
    (void)state;
    uint16_t rport = erg_test_free_port();
    pid_t child = start_child(rport);
    erg_node_t *b = start_node("kb@127.0.0.1", rport);
    erg_node_t *c = start_node("kc@127.0.0.1", rport);
    assert_false(erg_net_registrar_serving(b));
    assert_false(erg_net_registrar_serving(c));
    ERG_PASS(call_echo(b, "k@127.0.0.1"));
    ERG_PASS(call_echo(c, "kb@127.0.0.1"));
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    /* One survivor binds the port and serves; the other registers with
     * it. */
    bool one = false;
    for (int i = 0; i < WAIT_MS && !one; i++) {
        one = erg_net_registrar_serving(b) || erg_net_registrar_serving(c);
        if (!one)
            sleep_ms(1);
    }
    assert_true(one);
    sleep_ms(200);
    assert_true(erg_net_registrar_serving(b) !=
                erg_net_registrar_serving(c));
    /* A node started afterwards is a client and finds both survivors
     * (and not the dead node) through the new server. */
    erg_node_t *d = start_node("kd@127.0.0.1", rport);
    assert_false(erg_net_registrar_serving(d));
    ERG_PASS(connect_soon(d, "kb@127.0.0.1"));
    ERG_PASS(connect_soon(d, "kc@127.0.0.1"));
    ERG_PASS(call_echo(d, "kb@127.0.0.1"));
    ERG_PASS(call_echo(d, "kc@127.0.0.1"));
    ERG_FAIL(erg_net_connect(d, "k@127.0.0.1"), ERG_ENOROUTE);
    /* The new server stops too: the last two take over again. */
    erg_node_t *server = erg_net_registrar_serving(b) ? b : c;
    erg_node_t *other = server == b ? c : b;
    ERG_PASS(erg_node_stop(server));
    one = false;
    for (int i = 0; i < WAIT_MS && !one; i++) {
        one = erg_net_registrar_serving(other) || erg_net_registrar_serving(d);
        if (!one)
            sleep_ms(1);
    }
    assert_true(one);
    ERG_PASS(erg_net_disconnect(d, erg_node_name(other)));
    sleep_ms(100);
    ERG_PASS(connect_soon(d, erg_node_name(other)));
    ERG_PASS(erg_node_stop(d));
    ERG_PASS(erg_node_stop(other));
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "--child-node") == 0)
        child_node((uint16_t)atoi(argv[2]), atoi(argv[3]));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nodes_find_each_other_by_name),
        cmocka_unit_test(test_taken_name_is_refused),
        cmocka_unit_test(test_port_from_the_environment),
        cmocka_unit_test(test_other_hosts_are_asked_over_udp),
        cmocka_unit_test(test_hostile_bytes_are_cut_off),
        cmocka_unit_test(test_kill_9_of_the_server_hands_over),
    };
    return cmocka_run_group_tests_name("net.registrar", tests, NULL, NULL);
}
