/* SPDX-License-Identifier: MIT */
/* nettest.h: what the network tests share: nodes on 127.0.0.1, their
 * network options, static routes, and waiting with generous bounds. */
#ifndef ERG_TEST_NETTEST_H
#define ERG_TEST_NETTEST_H

#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include "erg/erg.h"
#include "testutil.h"

/* Generous: this only bounds a hang, it never decides a pass. */
enum { NT_WAIT_MS = 20000 };

static inline void nt_sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Waits until *v >= target; false after NT_WAIT_MS. */
static inline bool nt_wait_for(atomic_long *v, long target) {
    for (long i = 0; i < NT_WAIT_MS; i++) {
        if (atomic_load(v) >= target)
            return true;
        nt_sleep_ms(1);
    }
    return false;
}

/* A node with 2 workers and no default logger (NULL if it fails). */
static inline erg_node_t *nt_node(const char *name) {
    erg_node_opts_t o;
    erg_node_opts_init(&o);
    o.workers = 2;
    o.no_default_logger = true;
    erg_node_t *node = NULL;
    return erg_node_start(name, &o, &node) == ERG_OK ? node : NULL;
}

/*
 * nt_net_opts fills n with what test nodes share: the cookie, the one
 * acceptor *acc on 127.0.0.1 at port (0: any free one), static routes only
 * (tests run in parallel, so none uses the registrar's fixed port) and a
 * short handshake limit. acc must live until erg_net_start returns.
 */
static inline void nt_net_opts(erg_net_opts_t *n, erg_acceptor_opts_t *acc,
                               const char *cookie, uint16_t port) {
    *acc = (erg_acceptor_opts_t){"127.0.0.1", port, 0};
    erg_net_opts_init(n);
    n->cookie = cookie;
    n->acceptors = acc;
    n->nacceptors = 1;
    n->handshake_timeout_ms = 3000;
    n->registrar.disable = true;
}

/* Tells from where the node named name accepts. */
static inline void nt_route(erg_node_t *from, const char *name,
                            uint16_t port) {
    erg_route_t r = {name, "127.0.0.1", port};
    ERG_PASS(erg_net_add_route(from, &r));
}

/* Tells from where node to accepts. */
static inline void nt_route_to(erg_node_t *from, erg_node_t *to) {
    nt_route(from, erg_node_name(to), erg_net_port(to));
}

#endif /* ERG_TEST_NETTEST_H */
