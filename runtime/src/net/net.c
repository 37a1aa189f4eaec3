/* SPDX-License-Identifier: MIT */
/* net.c: the network's life: the loop thread, acceptors, routes, dialing,
 * and peers going up and down. */
#include <fnmatch.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "core/actor.h"
#include "core/node.h"
#include "erg/actor.h"
#include "net/net.h"
#include "net/remote.h"
#include "util/alloc.h"
#include "util/mutex.h"

/* ---- peers --------------------------------------------------------------- */

void erg__peer_retain(erg__peer_t *p) {
    atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
}

void erg__peer_release(erg__peer_t *p) {
    if (p == NULL ||
        atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) != 1)
        return;
    for (unsigned i = 0; i < ERG__POOL_MAX; i++)
        erg__link_release(p->links[i]);
    erg__ptable_fini(&p->types);
    for (size_t i = 0; i < p->inflight.cap; i++)
        if (p->inflight.slots[i].hash != 0)
            erg__free(p->inflight.slots[i].val);
    erg__hmap_fini(&p->inflight);
    pthread_mutex_destroy(&p->inflight_mu);
    pthread_mutex_destroy(&p->mu);
    erg__free(p);
}

static erg__peer_t *peer_new(erg__net_t *net, const char *name) {
    erg__peer_t *p = erg__calloc(1, sizeof(*p));
    if (p == NULL)
        return NULL;
    atomic_init(&p->refs, 1);
    p->net = net;
    snprintf(p->name, sizeof(p->name), "%s", name);
    p->hash = erg_node_hash(name);
    pthread_mutex_init(&p->mu, NULL);
    /* Met by every sender of a call and by the loop thread. */
    erg__mutex_init_short(&p->inflight_mu);
    erg__hmap_init(&p->inflight);
    p->pending_tail = &p->pending;
    p->nlinks = net->opts.pool_size;
    return p;
}

bool erg__net_node_name(erg__net_t *net, uint32_t hash, char *buf) {
    pthread_mutex_lock(&net->mu);
    const char *n = erg__hmap_get_u64(&net->names, hash);
    if (n != NULL)
        snprintf(buf, 256, "%s", n);
    pthread_mutex_unlock(&net->mu);
    return n != NULL;
}

/* Under net->mu. Names are capped so a hostile peer cannot grow the map
 * without bound by inventing nodes. */
static void learn_locked(erg__net_t *net, const char *name) {
    uint32_t h = erg_node_hash(name);
    if (erg__hmap_get_u64(&net->names, h) != NULL ||
        net->names.count >= 65536)
        return;
    char *copy = erg__strdup(name);
    if (copy != NULL && erg__hmap_put_u64(&net->names, h, copy) != ERG_OK)
        erg__free(copy);
}

void erg__net_learn_name(erg__net_t *net, const char *name) {
    pthread_mutex_lock(&net->mu);
    learn_locked(net, name);
    pthread_mutex_unlock(&net->mu);
}

static void push_cmd(erg__net_t *net, erg__cmd_kind_t kind, erg__peer_t *p) {
    erg__cmd_t *c = erg__calloc(1, sizeof(*c));
    if (c == NULL)
        return; /* the peer's timer or a later send retries */
    c->kind = kind;
    c->peer = p;
    if (p != NULL)
        erg__peer_retain(p);
    pthread_mutex_lock(&net->mu);
    *net->cmds_tail = c;
    net->cmds_tail = &c->next;
    pthread_mutex_unlock(&net->mu);
    erg__net_wake(net);
}

/* Under net->mu: the address of name from the static routes. */
static bool route_locked(erg__net_t *net, const char *name, char *host,
                         uint16_t *port) {
    for (unsigned i = 0; i < net->nroutes; i++)
        if (fnmatch(net->routes[i].match, name, 0) == 0) {
            snprintf(host, 64, "%s", net->routes[i].host);
            *port = net->routes[i].port;
            return true;
        }
    return false;
}

/*
 * erg__net_peer finds the peer with hash, or starts dialing it when name
 * (or the names heard of) and a route say where it is; with no route
 * matching, the registrar is asked (on the loop thread) when enabled.
 * Returns it retained. ERG_ENOCONN for a node never heard of, ERG_ENOROUTE
 * for one no route reaches (registrar disabled), ERG_ENODE while stopping.
 */
erg_err_t erg__net_peer(erg__net_t *net, uint32_t hash, const char *name,
                        erg__peer_t **out) {
    pthread_mutex_lock(&net->mu);
    erg__peer_t *p = erg__hmap_get_u64(&net->peers, hash);
    if (p != NULL) {
        erg__peer_retain(p);
        pthread_mutex_unlock(&net->mu);
        *out = p;
        return ERG_OK;
    }
    if (net->stopping) {
        pthread_mutex_unlock(&net->mu);
        return ERG_ENODE;
    }
    if (name == NULL || erg_node_hash(name) != hash)
        name = erg__hmap_get_u64(&net->names, hash);
    if (name == NULL) {
        pthread_mutex_unlock(&net->mu);
        return ERG_ENOCONN;
    }
    char host[64];
    uint16_t port = 0;
    /* Static routes first; then the registrar, asked on the loop thread. */
    bool resolve = !route_locked(net, name, host, &port);
    if (resolve && net->registrar == NULL) {
        pthread_mutex_unlock(&net->mu);
        erg__node_logf(net->node, ERG_LOG_WARNING,
                       "no route to node %s (add a static route)", name);
        return ERG_ENOROUTE;
    }
    p = peer_new(net, name);
    if (p == NULL || erg__auth_nonce(p->pool_id, 16) != ERG_OK ||
        erg__hmap_put_u64(&net->peers, hash, p) != ERG_OK) {
        pthread_mutex_unlock(&net->mu);
        erg__peer_release(p);
        return ERG_ENOMEM;
    }
    learn_locked(net, name);
    p->dialer = true;
    if (!resolve) {
        snprintf(p->host, sizeof(p->host), "%s", host);
        p->port = port;
    }
    erg__peer_retain(p); /* the caller's; the map keeps the first */
    pthread_mutex_unlock(&net->mu);
    push_cmd(net, resolve ? ERG__CMD_RESOLVE : ERG__CMD_DIAL, p);
    *out = p;
    return ERG_OK;
}

erg_err_t erg__net_peer_existing(erg__net_t *net, uint32_t hash,
                                 erg__peer_t **out) {
    pthread_mutex_lock(&net->mu);
    erg__peer_t *p = erg__hmap_get_u64(&net->peers, hash);
    if (p != NULL)
        erg__peer_retain(p);
    pthread_mutex_unlock(&net->mu);
    *out = p;
    return p != NULL ? ERG_OK : ERG_ENOCONN;
}

/* ---- the loop thread: links ----------------------------------------------- */

static erg__link_t *link_open(erg__net_t *net, bool dialer) {
    erg__link_t *l = erg__link_new(net, dialer);
    if (l == NULL)
        return NULL;
    uv_tcp_init(&net->loop, &l->tcp);
    uv_timer_init(&net->loop, &l->timer);
    l->tcp.data = l;
    l->timer.data = l;
    l->open_handles = 2;
    erg__queue_insert_tail(&net->links, &l->all);
    return l;
}

static void on_connect(uv_connect_t *req, int status) {
    erg__link_t *l = req->data;
    if (l->state == ERG__LINK_CLOSED)
        return;
    if (status < 0) {
        char why[128];
        snprintf(why, sizeof(why), "connect to %s:%u failed: %s",
                 l->peer->host, (unsigned)l->peer->port, uv_strerror(status));
        erg__link_close(l);
        if (!l->abandoned)
            erg__peer_down(l->peer, ERG_ENOCONN, why);
        return;
    }
    erg__link_start(l);
}

/* Loop thread: opens link index of p's pool. */
static void dial_link(erg__peer_t *p, unsigned index) {
    erg__net_t *net = p->net;
    struct sockaddr_storage sa;
    const char *host = strcmp(p->host, "localhost") == 0 ? "127.0.0.1"
                                                         : p->host;
    if (uv_ip4_addr(host, p->port, (struct sockaddr_in *)&sa) != 0 &&
        uv_ip6_addr(host, p->port, (struct sockaddr_in6 *)&sa) != 0) {
        erg__peer_down(p, ERG_ENOROUTE,
                       "route host is not an IP address literal");
        return;
    }
    erg__link_t *l = link_open(net, true);
    if (l == NULL) {
        erg__peer_down(p, ERG_ENOMEM, "out of memory");
        return;
    }
    l->peer = p;
    erg__peer_retain(p); /* the link's, until it closes */
    l->index = (uint8_t)index;
    memcpy(l->pool_id, p->pool_id, 16);
    erg__link_retain(l); /* the peer's */
    erg__link_release(p->links[index]);
    p->links[index] = l;
    l->connect.data = l;
    int rc = uv_tcp_connect(&l->connect, &l->tcp, (struct sockaddr *)&sa,
                            on_connect);
    if (rc < 0) {
        erg__link_close(l);
        erg__peer_down(p, ERG_ENOCONN, uv_strerror(rc));
    }
}

static void on_pool_timeout(uv_timer_t *t) {
    erg__peer_t *p = t->data;
    int st = atomic_load(&p->state);
    if (st != ERG__PEER_UP && st != ERG__PEER_DOWN)
        erg__peer_down(p, ERG_ETIMEDOUT, "connection timed out");
}

static void on_timer_closed(uv_handle_t *h) {
    erg__peer_t *p = h->data;
    erg__free(h);
    erg__peer_release(p);
}

/* Loop thread: a time limit for the whole pool coming up. */
static void pool_timer_start(erg__peer_t *p) {
    if (p->timer != NULL)
        return;
    p->timer = erg__calloc(1, sizeof(*p->timer));
    if (p->timer == NULL)
        return;
    uv_timer_init(&p->net->loop, p->timer);
    p->timer->data = p;
    erg__peer_retain(p);
    uv_timer_start(p->timer, on_pool_timeout,
                   2 * (uint64_t)p->net->opts.handshake_timeout_ms, 0);
}

static void pool_timer_stop(erg__peer_t *p) {
    if (p->timer == NULL)
        return;
    uv_close((uv_handle_t *)p->timer, on_timer_closed);
    p->timer = NULL;
}

void erg__peer_link_up(erg__peer_t *p, erg__link_t *l) {
    erg__net_t *net = p->net;
    uv_os_fd_t fd;
    if (uv_fileno((uv_handle_t *)&l->tcp, &fd) == 0) {
        pthread_mutex_lock(&l->mu);
        l->fd = fd;
        pthread_mutex_unlock(&l->mu);
    }
    p->nup++;
    if (l->index == 0 && p->dialer) {
        atomic_store(&p->state, ERG__PEER_JOINING);
        for (unsigned i = 1; i < p->nlinks; i++)
            dial_link(p, i);
    } else if (l->index == 0) {
        atomic_store(&p->state, ERG__PEER_JOINING);
    }
    if (p->nup < p->nlinks || atomic_load(&p->state) == ERG__PEER_DOWN)
        return;
    /* Every link is up: what was queued goes first, under the lock that
     * keeps new sends behind it, so each sender's order holds. */
    pthread_mutex_lock(&p->mu);
    erg__remote_flush_pending(p);
    atomic_store(&p->state, ERG__PEER_UP);
    pthread_mutex_unlock(&p->mu);
    pool_timer_stop(p);
    erg__node_logf(net->node, ERG_LOG_INFO, "connected to %s (%u links)",
                   p->name, p->nlinks);
    pthread_mutex_lock(&net->mu);
    pthread_cond_broadcast(&net->cv);
    pthread_mutex_unlock(&net->mu);
}

void erg__peer_down(erg__peer_t *p, erg_err_t reason, const char *why) {
    erg__net_t *net = p->net;
    int prev = atomic_exchange(&p->state, ERG__PEER_DOWN);
    if (prev == ERG__PEER_DOWN)
        return;
    p->down_reason = reason;
    erg__peer_retain(p); /* the map's reference may be the last */
    pthread_mutex_lock(&net->mu);
    if (erg__hmap_get_u64(&net->peers, p->hash) == p) {
        erg__hmap_del_u64(&net->peers, p->hash);
        erg__peer_release(p); /* the map's */
    }
    pthread_cond_broadcast(&net->cv);
    pthread_mutex_unlock(&net->mu);
    erg__node_logf(net->node, ERG_LOG_WARNING, "%s %s: %s",
                   prev == ERG__PEER_UP ? "lost node" : "cannot connect to",
                   p->name, why);
    for (unsigned i = 0; i < ERG__POOL_MAX; i++)
        if (p->links[i] != NULL)
            erg__link_close(p->links[i]);
    pool_timer_stop(p);
    pthread_mutex_lock(&p->mu);
    erg__pend_t *e = p->pending;
    p->pending = NULL;
    p->pending_tail = &p->pending;
    pthread_mutex_unlock(&p->mu);
    while (e != NULL) {
        erg__pend_t *next = e->next;
        erg__remote_fail_pending(net, e, reason, why);
        e = next;
    }
    erg__remote_peer_gone(p, reason);
    erg__remote_fail_inflight(p);
    erg__peer_release(p);
}

void erg__net_resolved(erg__peer_t *p, erg_err_t rv, const char *host,
                       uint16_t port, const char *why) {
    /* Gone meanwhile, or its own dial crossed ours and was adopted. */
    if (atomic_load(&p->state) != ERG__PEER_DIALING || p->links[0] != NULL)
        return;
    if (rv != ERG_OK) {
        erg__peer_down(p, rv, why);
        return;
    }
    snprintf(p->host, sizeof(p->host), "%s", host);
    p->port = port;
    pool_timer_start(p);
    dial_link(p, 0);
}

/* Adopts l into p as link 0 (an inbound connection of the peer's pool). */
static void adopt(erg__peer_t *p, erg__link_t *l) {
    memcpy(p->pool_id, l->pool_id, 16);
    p->nlinks = l->peer_pool_size;
    p->dialer = false;
    erg__link_retain(l); /* the peer's */
    erg__link_release(p->links[0]);
    p->links[0] = l;
}

erg__peer_t *erg__net_accept_peer(erg__net_t *net, erg__link_t *l,
                                  erg_err_t *err) {
    uint32_t h = erg_node_hash(l->peer_name);
    pthread_mutex_lock(&net->mu);
    erg__peer_t *p = erg__hmap_get_u64(&net->peers, h);
    if (p != NULL) {
        int st = atomic_load(&p->state);
        bool ours_wins = strcmp(erg_node_name(net->node), l->peer_name) < 0;
        if ((st == ERG__PEER_DIALING && !ours_wins) ||
            st == ERG__PEER_WAITING) {
            /* Crossing dials: the lower name's dial is kept, so both
             * sides agree without another round trip. */
            for (unsigned i = 0; i < ERG__POOL_MAX; i++)
                if (p->links[i] != NULL) {
                    p->links[i]->abandoned = true;
                    erg__link_close(p->links[i]);
                }
            adopt(p, l);
            atomic_store(&p->state, ERG__PEER_DIALING);
            erg__peer_retain(p);
            pthread_mutex_unlock(&net->mu);
            return p;
        }
        *err = st == ERG__PEER_DIALING ? ERG_EBUSY : ERG_ETAKEN;
        pthread_mutex_unlock(&net->mu);
        if (*err == ERG_ETAKEN)
            erg__node_logf(net->node, ERG_LOG_WARNING,
                           "refused a second connection from %s: a node "
                           "with that name is connected",
                           l->peer_name);
        return NULL;
    }
    if (net->stopping) {
        *err = ERG_ENODE;
        pthread_mutex_unlock(&net->mu);
        return NULL;
    }
    p = peer_new(net, l->peer_name);
    if (p == NULL || erg__hmap_put_u64(&net->peers, h, p) != ERG_OK) {
        pthread_mutex_unlock(&net->mu);
        erg__peer_release(p);
        *err = ERG_ENOMEM;
        return NULL;
    }
    learn_locked(net, l->peer_name);
    adopt(p, l);
    erg__peer_retain(p);
    pthread_mutex_unlock(&net->mu);
    pool_timer_start(p);
    return p;
}

erg__peer_t *erg__net_join_peer(erg__net_t *net, erg__link_t *l) {
    uint32_t h = erg_node_hash(l->peer_name);
    pthread_mutex_lock(&net->mu);
    erg__peer_t *p = erg__hmap_get_u64(&net->peers, h);
    if (p == NULL || p->dialer || memcmp(p->pool_id, l->pool_id, 16) != 0 ||
        atomic_load(&p->state) != ERG__PEER_JOINING ||
        l->index >= p->nlinks || p->links[l->index] != NULL) {
        pthread_mutex_unlock(&net->mu);
        return NULL;
    }
    erg__link_retain(l);
    p->links[l->index] = l;
    erg__peer_retain(p);
    pthread_mutex_unlock(&net->mu);
    return p;
}

/* ---- the loop thread: acceptors and commands ------------------------------- */

static void on_inbound(uv_stream_t *server, int status) {
    erg__net_t *net = server->data;
    if (status < 0)
        return;
    erg__link_t *l = link_open(net, false);
    if (l == NULL)
        return;
    if (uv_accept(server, (uv_stream_t *)&l->tcp) != 0) {
        erg__link_close(l);
        return;
    }
    erg__link_start(l);
}

static void run_cmd(erg__cmd_t *c) {
    erg__peer_t *p = c->peer;
    switch (c->kind) {
    case ERG__CMD_DIAL:
        if (atomic_load(&p->state) == ERG__PEER_DIALING && p->links[0] == NULL) {
            pool_timer_start(p);
            dial_link(p, 0);
        }
        break;
    case ERG__CMD_RESOLVE:
        if (atomic_load(&p->state) == ERG__PEER_DIALING && p->links[0] == NULL) {
            pool_timer_start(p); /* the lookup's time limit too */
            erg__registrar_resolve(p->net, p);
        }
        break;
    case ERG__CMD_DISCONNECT:
        erg__peer_down(p, ERG_ENOCONN, "disconnected");
        break;
    case ERG__CMD_STOP:
        break;
    }
    erg__peer_release(p);
    erg__free(c);
}

static void close_walk(uv_handle_t *h, void *arg) {
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static void down_all(erg__net_t *net) {
    for (;;) {
        pthread_mutex_lock(&net->mu);
        erg__peer_t *p = NULL;
        for (size_t i = 0; i < net->peers.cap && p == NULL; i++)
            if (net->peers.slots[i].hash != 0)
                p = net->peers.slots[i].val;
        if (p != NULL)
            erg__peer_retain(p);
        pthread_mutex_unlock(&net->mu);
        if (p == NULL)
            return;
        erg__peer_down(p, ERG_ENODE, "node stopping");
        erg__peer_release(p);
    }
}

static void on_wake(uv_async_t *a) {
    erg__net_t *net = a->data;
    pthread_mutex_lock(&net->mu);
    erg__cmd_t *cmds = net->cmds;
    net->cmds = NULL;
    net->cmds_tail = &net->cmds;
    bool stop = net->stopping;
    pthread_mutex_unlock(&net->mu);
    pthread_mutex_lock(&net->dirty_mu);
    erg__link_t *dirty = net->dirty;
    net->dirty = NULL;
    pthread_mutex_unlock(&net->dirty_mu);
    while (cmds != NULL) {
        erg__cmd_t *next = cmds->next;
        run_cmd(cmds);
        cmds = next;
    }
    while (dirty != NULL) {
        /* next is read before the flag is cleared: once clear, a sender
         * may put the link on the new list, rewriting dirty_next. */
        erg__link_t *next = dirty->dirty_next;
        pthread_mutex_lock(&net->dirty_mu);
        dirty->dirty = false;
        pthread_mutex_unlock(&net->dirty_mu);
        erg__link_flush(dirty);
        erg__link_release(dirty);
        dirty = next;
    }
    if (stop) {
        if (net->registrar != NULL)
            erg__registrar_stop(net);
        down_all(net);
        uv_walk(&net->loop, close_walk, NULL);
    }
}

void erg__net_wake(erg__net_t *net) { uv_async_send(&net->wake); }

static void *loop_main(void *arg) {
    erg__net_t *net = arg;
    uv_run(&net->loop, UV_RUN_DEFAULT);
    return NULL;
}

/* ---- starting and stopping ------------------------------------------------- */

static erg_err_t listen_one(erg__net_t *net, const erg_acceptor_opts_t *a,
                            uv_tcp_t *srv, uint16_t *bound) {
    const char *host = a->host != NULL ? a->host : "127.0.0.1";
    unsigned range = a->port_range != 0 ? a->port_range : 1;
    for (unsigned i = 0; i < range; i++) {
        unsigned port = a->port == 0 ? 0 : a->port + i;
        if (port > 65535)
            break;
        struct sockaddr_storage sa;
        if (uv_ip4_addr(host, (int)port, (struct sockaddr_in *)&sa) != 0 &&
            uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)&sa) != 0)
            return ERG_EINVAL;
        uv_tcp_init(&net->loop, srv);
        srv->data = net;
        if (uv_tcp_bind(srv, (struct sockaddr *)&sa, 0) == 0 &&
            uv_listen((uv_stream_t *)srv, 128, on_inbound) == 0) {
            struct sockaddr_storage got;
            int len = sizeof(got);
            uv_tcp_getsockname(srv, (struct sockaddr *)&got, &len);
            *bound = ntohs(((struct sockaddr_in *)&got)->sin_port);
            return ERG_OK;
        }
        uv_close((uv_handle_t *)srv, NULL);
        uv_run(&net->loop, UV_RUN_NOWAIT); /* let the close finish */
    }
    return ERG_EBUSY;
}

static void net_free(erg__net_t *net) {
    if (net == NULL)
        return;
    for (size_t i = 0; i < net->names.cap; i++)
        if (net->names.slots[i].hash != 0)
            erg__free(net->names.slots[i].val);
    erg__hmap_fini(&net->names);
    /* Every watch left when the loop stopped went with its peer. */
    erg__hmap_fini(&net->rwatches);
    erg__hmap_fini(&net->held);
    erg__hmap_fini(&net->revents);
    erg__spawn_fini(net);
    erg__hmap_fini(&net->peers);
    erg__registrar_free(net->registrar);
    erg__vtable_fini(&net->types);
    for (unsigned i = 0; i < net->nroutes; i++) {
        erg__free((char *)net->routes[i].match);
        erg__free((char *)net->routes[i].host);
    }
    erg__free(net->routes);
    erg__free(net->listeners);
    erg__free(net->cookie);
    pthread_mutex_destroy(&net->dirty_mu);
    pthread_mutex_destroy(&net->mu);
    pthread_cond_destroy(&net->cv);
    erg__free(net);
}

void erg_net_opts_init(erg_net_opts_t *opts) {
    memset(opts, 0, sizeof(*opts));
    opts->flags = ERG_NET_ALLOW_IMPORTANT; /* as Ergo enables it */
}

static erg_err_t add_route_locked(erg__net_t *net, const erg_route_t *r) {
    if (r == NULL || r->match == NULL || r->host == NULL || r->port == 0 ||
        strlen(r->host) >= 64)
        return ERG_EINVAL;
    erg_route_t *grown =
        erg__realloc(net->routes, (net->nroutes + 1) * sizeof(*grown));
    if (grown == NULL)
        return ERG_ENOMEM;
    net->routes = grown;
    char *m = erg__strdup(r->match), *h = erg__strdup(r->host);
    if (m == NULL || h == NULL) {
        erg__free(m);
        erg__free(h);
        return ERG_ENOMEM;
    }
    net->routes[net->nroutes++] = (erg_route_t){m, h, r->port};
    /* A route naming one node tells its name, so its pids can be used. */
    if (strpbrk(m, "*?[\\") == NULL)
        learn_locked(net, m);
    return ERG_OK;
}

erg_err_t erg_net_start(erg_node_t *node, const erg_net_opts_t *opts) {
    if (node == NULL || opts == NULL || opts->cookie == NULL ||
        opts->cookie[0] == '\0' || strlen(opts->cookie) > 1024 ||
        opts->pool_size > ERG__POOL_MAX ||
        (opts->nregistries != 0 && opts->registries == NULL))
        return ERG_EINVAL;
    if (node->net != NULL)
        return ERG_EEXIST;
    /* A peer killed mid-write must not kill the writer. */
    signal(SIGPIPE, SIG_IGN);
    erg__net_t *net = erg__calloc(1, sizeof(*net));
    if (net == NULL)
        return ERG_ENOMEM;
    net->node = node;
    net->opts = *opts;
    net->opts.acceptors = NULL;
    net->opts.routes = NULL;
    if (net->opts.pool_size == 0)
        net->opts.pool_size = ERG_NET_DEFAULT_POOL_SIZE;
    if (net->opts.max_message == 0)
        net->opts.max_message = ERG_NET_DEFAULT_MAX_MESSAGE;
    if (net->opts.link_buffer == 0)
        net->opts.link_buffer = ERG_NET_DEFAULT_LINK_BUFFER;
    if (net->opts.handshake_timeout_ms == 0)
        net->opts.handshake_timeout_ms = ERG_NET_DEFAULT_HANDSHAKE_MS;
    pthread_mutex_init(&net->mu, NULL);
    erg__mutex_init_short(&net->dirty_mu);
    pthread_cond_init(&net->cv, NULL);
    erg__hmap_init(&net->peers);
    erg__hmap_init(&net->names);
    erg__hmap_init(&net->rwatches);
    erg__hmap_init(&net->held);
    erg__hmap_init(&net->revents);
    erg__hmap_init(&net->spawnable);
    erg__hmap_init(&net->startable);
    erg__queue_init(&net->links);
    net->cmds_tail = &net->cmds;
    net->cookie = erg__strdup(opts->cookie);
    erg_err_t rv = net->cookie != NULL ? ERG_OK : ERG_ENOMEM;
    if (rv == ERG_OK)
        rv = erg__vtable_init(&net->types, opts->registries,
                              opts->nregistries);
    for (unsigned i = 0; rv == ERG_OK && i < opts->nroutes; i++)
        rv = add_route_locked(net, &opts->routes[i]);
    if (rv != ERG_OK) {
        net_free(net);
        return rv;
    }
    uv_loop_init(&net->loop);
    uv_async_init(&net->loop, &net->wake, on_wake);
    net->wake.data = net;
    erg_acceptor_opts_t def = {"127.0.0.1", ERG_NET_DEFAULT_PORT, 50};
    const erg_acceptor_opts_t *acc = opts->nacceptors != 0 ? opts->acceptors
                                                           : &def;
    unsigned nacc = opts->no_acceptor ? 0
                    : opts->nacceptors != 0 ? opts->nacceptors
                                            : 1;
    net->listeners = erg__calloc(nacc != 0 ? nacc : 1, sizeof(uv_tcp_t));
    if (net->listeners == NULL)
        rv = ERG_ENOMEM;
    for (unsigned i = 0; rv == ERG_OK && i < nacc; i++) {
        uint16_t port = 0;
        rv = listen_one(net, &acc[i], &net->listeners[i], &port);
        if (rv == ERG_OK) {
            net->nlisteners++;
            if (i == 0)
                net->port = port;
        }
    }
    if (rv == ERG_OK && !opts->registrar.disable)
        rv = erg__registrar_start(net, nacc != 0 ? acc[0].host : NULL,
                                   nacc != 0 ? net->port : 0);
    if (rv == ERG_OK &&
        pthread_create(&net->thread, NULL, loop_main, net) != 0)
        rv = ERG_EAGAIN;
    if (rv != ERG_OK) {
        if (net->registrar != NULL)
            erg__registrar_stop(net);
        uv_walk(&net->loop, close_walk, NULL);
        uv_run(&net->loop, UV_RUN_DEFAULT);
        uv_loop_close(&net->loop);
        net_free(net);
        return rv;
    }
    net->thread_started = true;
    node->net = net;
    if (net->registrar != NULL && (rv = erg__registrar_wait(net)) != ERG_OK) {
        erg__net_stop(node);
        return rv;
    }
    erg__node_logf(node, ERG_LOG_INFO, "network started%s%u",
                   net->port != 0 ? ": accepting on port " : ", port ",
                   (unsigned)net->port);
    return ERG_OK;
}

/* Waits (bounded) until every link has written what it holds. */
static void drain_writes(erg__net_t *net) {
    for (int tries = 0; tries < 200; tries++) {
        bool busy = false;
        pthread_mutex_lock(&net->mu);
        for (size_t i = 0; i < net->peers.cap && !busy; i++) {
            erg__peer_t *p = net->peers.slots[i].hash != 0
                                 ? net->peers.slots[i].val
                                 : NULL;
            for (unsigned k = 0; p != NULL && k < ERG__POOL_MAX; k++) {
                erg__link_t *l = p->links[k];
                if (l == NULL)
                    continue;
                pthread_mutex_lock(&l->mu);
                busy |= l->state == ERG__LINK_UP &&
                        (l->out.len != 0 || l->wbuf.len != 0);
                pthread_mutex_unlock(&l->mu);
            }
        }
        pthread_mutex_unlock(&net->mu);
        if (!busy)
            return;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

void erg__net_stop(erg_node_t *node) {
    erg__net_t *net = node->net;
    if (net == NULL)
        return;
    drain_writes(net);
    pthread_mutex_lock(&net->mu);
    net->stopping = true;
    pthread_mutex_unlock(&net->mu);
    erg__net_wake(net);
    pthread_join(net->thread, NULL);
    uv_loop_close(&net->loop);
    node->net = NULL;
    net_free(net);
}

uint16_t erg_net_port(erg_node_t *node) {
    return node != NULL && node->net != NULL ? node->net->port : 0;
}

bool erg_net_registrar_serving(erg_node_t *node) {
    return node != NULL && node->net != NULL &&
           erg__registrar_serving(node->net->registrar);
}

erg_err_t erg_net_add_route(erg_node_t *node, const erg_route_t *route) {
    if (node == NULL)
        return ERG_EINVAL;
    if (node->net == NULL)
        return ERG_ENOCONN;
    pthread_mutex_lock(&node->net->mu);
    erg_err_t rv = add_route_locked(node->net, route);
    pthread_mutex_unlock(&node->net->mu);
    return rv;
}

erg_err_t erg__net_peer_up(erg__net_t *net, const char *node_name,
                           uint32_t timeout_ms, erg__peer_t **out) {
    if (strcmp(node_name, erg_node_name(net->node)) == 0)
        return ERG_EINVAL;
    erg__peer_t *p;
    erg_err_t rv = erg__net_peer(net, erg_node_hash(node_name), node_name,
                                 &p);
    if (rv != ERG_OK)
        return rv;
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    uint64_t ms = timeout_ms;
    dl.tv_sec += (time_t)(ms / 1000);
    dl.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    /* A handler waiting here hands its worker over, as in a call. */
    erg__sched_block_begin();
    pthread_mutex_lock(&net->mu);
    int st;
    while ((st = atomic_load(&p->state)) != ERG__PEER_UP &&
           st != ERG__PEER_DOWN)
        if (pthread_cond_timedwait(&net->cv, &net->mu, &dl) != 0)
            break;
    pthread_mutex_unlock(&net->mu);
    erg__sched_block_end();
    st = atomic_load(&p->state);
    rv = st == ERG__PEER_UP     ? ERG_OK
         : st == ERG__PEER_DOWN ? p->down_reason
                                : ERG_ETIMEDOUT;
    if (rv == ERG_OK)
        *out = p;
    else
        erg__peer_release(p);
    return rv;
}

erg_err_t erg_net_connect(erg_node_t *node, const char *node_name) {
    if (node == NULL || node_name == NULL)
        return ERG_EINVAL;
    erg__net_t *net = node->net;
    if (net == NULL)
        return ERG_ENOCONN;
    erg__peer_t *p;
    erg_err_t rv = erg__net_peer_up(
        net, node_name, 2 * net->opts.handshake_timeout_ms + 100, &p);
    if (rv == ERG_OK)
        erg__peer_release(p);
    return rv;
}

erg_err_t erg_net_disconnect(erg_node_t *node, const char *node_name) {
    if (node == NULL || node_name == NULL)
        return ERG_EINVAL;
    erg__net_t *net = node->net;
    if (net == NULL)
        return ERG_ENOCONN;
    erg__peer_t *p;
    if (erg__net_peer_existing(net, erg_node_hash(node_name), &p) != ERG_OK)
        return ERG_ENOCONN;
    push_cmd(net, ERG__CMD_DISCONNECT, p);
    erg__peer_release(p);
    return ERG_OK;
}

size_t erg_net_peers(erg_node_t *node, const char **names, size_t cap) {
    static _Thread_local char store[64][256];
    if (node == NULL || node->net == NULL)
        return 0;
    erg__net_t *net = node->net;
    size_t n = 0;
    pthread_mutex_lock(&net->mu);
    for (size_t i = 0; i < net->peers.cap; i++) {
        if (net->peers.slots[i].hash == 0)
            continue;
        erg__peer_t *p = net->peers.slots[i].val;
        if (atomic_load(&p->state) != ERG__PEER_UP)
            continue;
        if (n < cap && n < 64) {
            snprintf(store[n], sizeof(store[n]), "%s", p->name);
            names[n] = store[n];
        }
        n++;
    }
    pthread_mutex_unlock(&net->mu);
    return n;
}

size_t erg_net_type_stats(erg_node_t *node, erg_net_type_stats_t *out,
                          size_t cap) {
    if (node == NULL || node->net == NULL)
        return 0;
    const erg__vtable_t *t = &node->net->types;
    for (size_t i = 0; i < t->ntypes && i < cap; i++) {
        erg__vtype_t *v = &t->types[i];
        out[i] = (erg_net_type_stats_t){
            v->desc->name, v->desc->version, atomic_load(&v->sent),
            atomic_load(&v->received), atomic_load(&v->converted),
            atomic_load(&v->refused)};
    }
    return t->ntypes;
}

erg_err_t erg_net_inspect(erg_node_t *node, erg_inspect_t **out) {
    if (node == NULL || out == NULL)
        return ERG_EINVAL;
    if (node->net == NULL)
        return ERG_ENOCONN;
    erg_inspect_t *in = erg__inspect_new();
    if (in == NULL)
        return ERG_ENOMEM;
    erg_err_t rv;
    const char *names[64];
    size_t np = erg_net_peers(node, names, 64);
    char key[400], val[32];
    snprintf(val, sizeof(val), "%zu", np);
    rv = erg_inspect_add(in, "peers", val);
    for (size_t i = 0; rv == ERG_OK && i < np && i < 64; i++) {
        snprintf(key, sizeof(key), "peer %zu", i);
        rv = erg_inspect_add(in, key, names[i]);
    }
    const erg__vtable_t *t = &node->net->types;
    static const char *const what[] = {"sent", "received", "converted",
                                       "refused"};
    for (size_t i = 0; rv == ERG_OK && i < t->ntypes; i++) {
        erg__vtype_t *v = &t->types[i];
        uint64_t n[4] = {atomic_load(&v->sent), atomic_load(&v->received),
                         atomic_load(&v->converted),
                         atomic_load(&v->refused)};
        for (int k = 0; rv == ERG_OK && k < 4; k++) {
            snprintf(key, sizeof(key), "%s %s v%u", what[k], v->desc->name,
                     (unsigned)v->desc->version);
            snprintf(val, sizeof(val), "%llu", (unsigned long long)n[k]);
            rv = erg_inspect_add(in, key, val);
        }
    }
    if (rv != ERG_OK) {
        erg_inspect_free(in);
        return rv;
    }
    *out = in;
    return ERG_OK;
}
