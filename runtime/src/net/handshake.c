/* SPDX-License-Identifier: MIT */
/* handshake.c: Hello, the cookie proofs and the registries, link by link
 * (docs/wire-format.md, "Handshake"). Loop thread only. */
#include <stdio.h>
#include <string.h>

#include "core/node.h"
#include "erg/control.h"
#include "net/net.h"

enum { ROLE_DIALER = 1, ROLE_ACCEPTOR = 2 };

void erg__hs_refuse(erg__link_t *l, erg_err_t code, const char *reason) {
    erg_net_refuse_v1_t r = {(int32_t)code, {reason, strlen(reason)}};
    if (r.reason.len > 1024)
        r.reason.len = 1024;
    if (erg__link_send_ctl(l, ERG__FRAME_REFUSE, &erg_net_refuse_v1_desc,
                           &r) == ERG_OK)
        erg__link_flush(l); /* written before the close takes the socket */
}

void erg__hs_begin(erg__link_t *l) {
    erg__net_t *net = l->net;
    erg_node_t *node = net->node;
    if (erg__auth_nonce(l->nonce, sizeof(l->nonce)) != ERG_OK) {
        erg__link_close(l);
        return;
    }
    const char *name = erg_node_name(node);
    erg_net_hello_v1_t h = {
        .node = {name, strlen(name)},
        .creation = erg_node_creation(node),
        .nonce = ERG_BYTES(l->nonce, sizeof(l->nonce)),
        .flags = net->opts.flags,
        .max_message = net->opts.max_message,
        .pool_size = l->dialer ? (uint8_t)l->peer->nlinks : 0,
        .link_index = l->index,
        .pool_id = ERG_BYTES(l->pool_id, l->dialer ? 16 : 0),
        .acceptor_port = net->port,
    };
    pthread_mutex_lock(&l->mu);
    erg_err_t rv = erg__buf_reserve(&l->out, ERG__PREAMBLE_SIZE);
    if (rv == ERG_OK) {
        erg__preamble_write(l->out.p + l->out.len);
        l->out.len += ERG__PREAMBLE_SIZE;
        rv = erg__frame_put_ctl(&l->out, ERG__FRAME_HELLO,
                                &erg_net_hello_v1_desc, &h);
    }
    pthread_mutex_unlock(&l->mu);
    if (rv != ERG_OK) {
        erg__link_close(l);
        return;
    }
    erg__link_flush(l);
}

/* A node name as the runtime accepts it, with no NUL inside (decoded
 * strings end in one, so a hidden one would cut the name short). */
static bool valid_name(erg_str_t s) {
    return memchr(s.ptr, 0, s.len) == NULL && erg__node_name_valid(s.ptr);
}

static bool send_proof(erg__link_t *l, uint8_t role) {
    uint8_t mac[ERG__MAC_SIZE];
    if (erg__auth_proof(l->net->cookie, role, l->nonce, l->peer_nonce,
                        erg_node_name(l->net->node), l->peer_name,
                        mac) != ERG_OK)
        return false;
    erg_net_proof_v1_t p = {ERG_BYTES(mac, sizeof(mac))};
    return erg__link_send_ctl(l, ERG__FRAME_PROOF, &erg_net_proof_v1_desc,
                              &p) == ERG_OK;
}

static bool check_proof(erg__link_t *l, const erg_net_proof_v1_t *p,
                        uint8_t role) {
    uint8_t want[ERG__MAC_SIZE];
    if (p->mac.len != ERG__MAC_SIZE ||
        erg__auth_proof(l->net->cookie, role, l->peer_nonce, l->nonce,
                        l->peer_name, erg_node_name(l->net->node),
                        want) != ERG_OK)
        return false;
    return erg__auth_equal(want, p->mac.ptr);
}

static bool on_hello(erg__link_t *l, const erg_net_hello_v1_t *h) {
    if (!valid_name(h->node) || h->nonce.len != ERG__NONCE_SIZE ||
        (h->pool_id.len != 0 && h->pool_id.len != 16)) {
        erg__hs_refuse(l, ERG_EPEER, "malformed Hello");
        return false;
    }
    memcpy(l->peer_name, h->node.ptr, h->node.len);
    l->peer_name[h->node.len] = '\0';
    memcpy(l->peer_nonce, h->nonce.ptr, ERG__NONCE_SIZE);
    l->peer_creation = h->creation;
    l->peer_flags = h->flags;
    l->peer_max = h->max_message;
    if (strcmp(l->peer_name, erg_node_name(l->net->node)) == 0) {
        erg__hs_refuse(l, ERG_ETAKEN, "a node cannot connect to itself");
        return false;
    }
    if (l->dialer) {
        if (strcmp(l->peer_name, l->peer->name) != 0) {
            char why[600];
            snprintf(why, sizeof(why), "dialed %s but %s answered",
                     l->peer->name, l->peer_name);
            erg__hs_refuse(l, ERG_ENOROUTE, why);
            erg__peer_down(l->peer, ERG_ENOROUTE, why);
            return false;
        }
        l->state = ERG__LINK_PROOF;
        return send_proof(l, ROLE_DIALER);
    }
    if (h->pool_id.len != 16 || h->pool_size == 0 ||
        h->pool_size > ERG__POOL_MAX || h->link_index >= h->pool_size) {
        erg__hs_refuse(l, ERG_EPEER, "malformed Hello (pool)");
        return false;
    }
    memcpy(l->pool_id, h->pool_id.ptr, 16);
    l->index = h->link_index;
    l->peer_pool_size = h->pool_size;
    l->state = ERG__LINK_PROOF;
    return true;
}

static bool on_proof(erg__link_t *l, const erg_net_proof_v1_t *p) {
    erg__net_t *net = l->net;
    if (!check_proof(l, p, l->dialer ? ROLE_ACCEPTOR : ROLE_DIALER)) {
        erg__node_logf(net->node, ERG_LOG_WARNING,
                       "node %s failed the cookie proof: refused",
                       l->peer_name);
        if (!l->dialer)
            erg__hs_refuse(l, ERG_EAUTH, "cookie proof failed");
        else
            erg__peer_down(l->peer, ERG_EAUTH,
                           "the peer's cookie proof failed");
        return false;
    }
    if (!l->dialer) {
        erg_err_t err = ERG_OK;
        erg__peer_t *p2 = l->index == 0 ? erg__net_accept_peer(net, l, &err)
                                        : erg__net_join_peer(net, l);
        if (p2 == NULL) {
            erg__hs_refuse(l, err != ERG_OK ? err : ERG_EPEER,
                           err == ERG_EBUSY ? "crossing connection"
                           : err == ERG_ETAKEN
                               ? "a node with this name is connected"
                               : "no such pool");
            return false;
        }
        l->peer = p2; /* the reference accept/join took */
        if (!send_proof(l, ROLE_ACCEPTOR))
            return false;
    }
    if (l->index != 0) {
        l->state = ERG__LINK_UP;
        erg__peer_link_up(l->peer, l);
        return true;
    }
    pthread_mutex_lock(&l->mu);
    erg_err_t rv = erg__vtable_advertise(&net->types, &l->out);
    pthread_mutex_unlock(&l->mu);
    if (rv != ERG_OK)
        return false;
    erg__link_kick(l);
    l->state = ERG__LINK_REGISTRY;
    return true;
}

static void log_mismatch(void *arg, const char *text) {
    erg__node_logf(arg, ERG_LOG_WARNING, "%s", text);
}

static bool on_registry(erg__link_t *l, const erg_net_registry_v1_t *r) {
    erg__peer_t *p = l->peer;
    erg__ptable_fini(&p->types);
    if (erg__ptable_from(&p->types, &l->net->types, r, p->name, log_mismatch,
                         l->net->node) != ERG_OK)
        return false;
    p->creation = l->peer_creation;
    p->flags = l->peer_flags;
    p->max_message = l->peer_max;
    l->state = ERG__LINK_UP;
    erg__peer_link_up(p, l);
    return true;
}

static void on_refuse(erg__link_t *l, const erg_net_refuse_v1_t *r) {
    char why[1100];
    snprintf(why, sizeof(why), "%s refused the connection: %.*s (%s)",
             l->peer_name[0] ? l->peer_name : "the peer", (int)r->reason.len,
             r->reason.ptr, erg_err_name((erg_err_t)r->code));
    erg_err_t code = r->code < 0 && r->code > -1000 ? (erg_err_t)r->code
                                                    : ERG_EPEER;
    if (l->dialer && code == ERG_EBUSY && l->index == 0) {
        /* Our dial crossed the peer's, and the peer keeps its own: wait
         * for it (erg__net_accept_peer adopts it). */
        l->abandoned = true;
        int expect = ERG__PEER_DIALING;
        atomic_compare_exchange_strong(&l->peer->state, &expect,
                                       ERG__PEER_WAITING);
        return;
    }
    if (l->dialer && !l->abandoned)
        erg__peer_down(l->peer, code, why);
    else
        erg__node_logf(l->net->node, ERG_LOG_WARNING, "%s", why);
    l->abandoned = true;
}

bool erg__hs_frame(erg__link_t *l, const erg__frame_t *f) {
    static const struct {
        uint8_t kind;
        erg__link_state_t state;
        const erg_codec_desc_t *desc;
    } expect[] = {
        {ERG__FRAME_HELLO, ERG__LINK_HELLO, &erg_net_hello_v1_desc},
        {ERG__FRAME_PROOF, ERG__LINK_PROOF, &erg_net_proof_v1_desc},
        {ERG__FRAME_REGISTRY, ERG__LINK_REGISTRY, &erg_net_registry_v1_desc},
        {ERG__FRAME_REFUSE, ERG__LINK_CLOSED, &erg_net_refuse_v1_desc},
    };
    const erg_codec_desc_t *desc = NULL;
    for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++)
        if (expect[i].kind == f->kind &&
            (expect[i].state == l->state ||
             f->kind == ERG__FRAME_REFUSE))
            desc = expect[i].desc;
    void *v = NULL;
    if (desc == NULL ||
        erg_codec_decode(desc, f->payload, f->len, &v) != ERG_OK) {
        if (f->kind != ERG__FRAME_REFUSE)
            erg__hs_refuse(l, ERG_EPEER, "unexpected frame in handshake");
        return false;
    }
    bool ok;
    switch (f->kind) {
    case ERG__FRAME_HELLO:
        ok = on_hello(l, v);
        break;
    case ERG__FRAME_PROOF:
        ok = on_proof(l, v);
        break;
    case ERG__FRAME_REGISTRY:
        ok = on_registry(l, v);
        break;
    default:
        on_refuse(l, v);
        ok = false;
        break;
    }
    erg_codec_free(desc, v);
    return ok;
}
