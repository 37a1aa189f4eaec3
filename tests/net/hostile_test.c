/* SPDX-License-Identifier: MIT */
/* hostile_test.c: what an acceptor does with bytes that are not a peer:
 * garbage, lies about sizes, silence. Each connection is closed, nothing
 * else is disturbed, and a real node still connects afterwards. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "erg/erg.h"
#include "net/frame.h"
#include "nettest.h"
#include "testutil.h"

static erg_node_t *start_node(const char *name) {
    erg_node_t *node = nt_node(name);
    assert_non_null(node);
    erg_acceptor_opts_t acc;
    erg_net_opts_t n;
    nt_net_opts(&n, &acc, "hostile", 0);
    n.handshake_timeout_ms = 500; /* silence is cut off soon */
    ERG_PASS(erg_net_start(node, &n));
    return node;
}

static int dial(uint16_t port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    return fd;
}

/* True when the node closed the connection within 20 s (it may first send
 * its preamble, Hello and a Refuse, which are read and skipped). */
static bool closed_by_node(int fd) {
    char buf[4096];
    for (int i = 0; i < 200; i++) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0)
            continue;
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n == 0 || (n < 0 && errno == ECONNRESET))
            return true;
    }
    return false;
}

static void send_all(int fd, const void *p, size_t n) {
    assert_int_equal(send(fd, p, n, MSG_NOSIGNAL), (ssize_t)n);
}

static void test_garbage_and_lies(void **state) {
    (void)state;
    erg_node_t *a = start_node("ha@127.0.0.1");
    uint16_t port = erg_net_port(a);
    /* Random bytes. */
    int fd = dial(port);
    unsigned char junk[4096];
    srand(7);
    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (unsigned char)rand();
    send_all(fd, junk, sizeof(junk));
    assert_true(closed_by_node(fd));
    close(fd);
    /* A good preamble, then a frame claiming 4 GiB before any proof. */
    fd = dial(port);
    uint8_t pre[ERG__PREAMBLE_SIZE];
    erg__preamble_write(pre);
    send_all(fd, pre, sizeof(pre));
    uint8_t huge[5] = {0xff, 0xff, 0xff, 0xff, ERG__FRAME_HELLO};
    send_all(fd, huge, sizeof(huge));
    assert_true(closed_by_node(fd));
    close(fd);
    /* Another control protocol (fingerprint). */
    fd = dial(port);
    erg__preamble_write(pre);
    pre[ERG__PREAMBLE_SIZE - 1] ^= 0x55;
    send_all(fd, pre, sizeof(pre));
    assert_true(closed_by_node(fd));
    close(fd);
    /* A data frame before the handshake. */
    fd = dial(port);
    erg__preamble_write(pre);
    send_all(fd, pre, sizeof(pre));
    uint8_t data[9] = {5, 0, 0, 0, ERG__FRAME_MSG, 0, 0, 0, 0};
    send_all(fd, data, sizeof(data));
    assert_true(closed_by_node(fd));
    close(fd);
    /* Silence: the handshake's time limit closes it. */
    fd = dial(port);
    assert_true(closed_by_node(fd));
    close(fd);
    /* Meanwhile a real node still gets in. */
    erg_node_t *b = start_node("hb@127.0.0.1");
    erg_route_t r = {"ha@127.0.0.1", "127.0.0.1", port};
    ERG_PASS(erg_net_add_route(b, &r));
    ERG_PASS(erg_net_connect(b, "ha@127.0.0.1"));
    ERG_PASS(erg_node_stop(b));
    ERG_PASS(erg_node_stop(a));
}

/* Acceptors: a range is scanned past a taken port, several acceptors
 * listen at once, and a peer reaches the node through any of them. */
static void test_acceptors(void **state) {
    (void)state;
    /* Take a port, then ask for a range starting there. */
    int hold = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(hold, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(hold, 1), 0);
    socklen_t len = sizeof(sa);
    getsockname(hold, (struct sockaddr *)&sa, &len);
    uint16_t taken = ntohs(sa.sin_port);
    erg_node_opts_t o;
    erg_node_opts_init(&o);
    o.workers = 2;
    o.no_default_logger = true;
    erg_node_t *a = NULL;
    ERG_PASS(erg_node_start("acc@127.0.0.1", &o, &a));
    erg_acceptor_opts_t acc[2] = {{"127.0.0.1", taken, 20},
                                  {"127.0.0.1", 0, 0}};
    erg_net_opts_t n;
    erg_net_opts_init(&n);
    n.registrar.disable = true; /* static routes; tests run in parallel */
    n.cookie = "hostile";
    n.acceptors = acc;
    n.nacceptors = 2;
    ERG_PASS(erg_net_start(a, &n));
    uint16_t first = erg_net_port(a);
    assert_true(first > taken && first < taken + 20);
    /* A range with every port taken fails the start. */
    erg_node_t *z = NULL;
    ERG_PASS(erg_node_start("z@127.0.0.1", &o, &z));
    erg_acceptor_opts_t busy = {"127.0.0.1", taken, 1};
    n.acceptors = &busy;
    n.nacceptors = 1;
    ERG_FAIL(erg_net_start(z, &n), ERG_EBUSY);
    ERG_PASS(erg_node_stop(z));
    close(hold);
    /* A peer routed to the first acceptor gets in. */
    erg_node_t *b = start_node("accb@127.0.0.1");
    erg_route_t r = {"acc@127.0.0.1", "127.0.0.1", first};
    ERG_PASS(erg_net_add_route(b, &r));
    ERG_PASS(erg_net_connect(b, "acc@127.0.0.1"));
    ERG_PASS(erg_node_stop(b));
    ERG_PASS(erg_node_stop(a));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_garbage_and_lies),
        cmocka_unit_test(test_acceptors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
