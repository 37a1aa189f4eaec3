/* SPDX-License-Identifier: MIT */
/* net.h: a node's network: acceptors, routes, peers, and version traffic. */
#ifndef ERG_NET_H
#define ERG_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "erg/actor.h"
#include "erg/codec.h"
#include "erg/defs.h"
#include "erg/err.h"
#include "erg/node.h"

/*
 * Once its network is started, a node reaches processes of other nodes
 * with the same calls as local ones (erg_send, erg_call, erg_reply,
 * erg_send_exit... on pids, names and aliases of other nodes): the first
 * use of a node connects to it (static routes give its address, else the
 * embedded registrar), the link
 * is authenticated with the cluster cookie, and every typed message is
 * checked against the versions the peer can decode: converted along the
 * schema's conversions when the peer lacks the sent version, refused with
 * ERG_EVERSION when no conversion reaches one, refused with
 * ERG_EFINGERPRINT when both sides have the version with different shapes.
 * docs/cluster.md tells the whole story; docs/wire-format.md the bytes.
 */

/* What a node allows its peers to do (advertised at the handshake). */
#define ERG_NET_ALLOW_REMOTE_SPAWN     0x01u
#define ERG_NET_ALLOW_REMOTE_APP_START 0x02u
#define ERG_NET_ALLOW_IMPORTANT        0x04u

/* Defaults. */
#define ERG_NET_DEFAULT_PORT        11144
#define ERG_NET_DEFAULT_POOL_SIZE   3
#define ERG_NET_DEFAULT_MAX_MESSAGE (64u << 20)
#define ERG_NET_DEFAULT_LINK_BUFFER (64u << 20)
#define ERG_NET_DEFAULT_HANDSHAKE_MS 5000
#define ERG_NET_DEFAULT_REGISTRAR_PORT 4499 /* as Ergo's */

/*
 * The embedded registrar (docs/registrar.md): the first node on a host to
 * bind host:port serves it, the others register with it, and a node whose
 * name matches no static route is looked up there. When the serving node
 * dies, the others race to bind the port; the winner serves and the rest
 * register with it again. On unless disabled, as in Ergo.
 */
typedef struct erg_registrar_opts_s {
    bool disable;
    const char *host; /* NULL = "127.0.0.1". Copied. */
    uint16_t port;    /* 0 = $ERG_REGISTRAR_PORT if set, else 4499 */
} erg_registrar_opts_t;

/*
 * An acceptor: listens on host, on the first free port of
 * [port, port + port_range) (port 0: a port the system picks, for tests).
 */
typedef struct erg_acceptor_opts_s {
    const char *host; /* NULL = "127.0.0.1" */
    uint16_t port;
    uint16_t port_range; /* 0 = 1: exactly port */
} erg_acceptor_opts_t;

/*
 * A static route: nodes whose name matches `match` (an fnmatch(3) glob:
 * "shop-*@10.0.0.*", or an exact name) are reached at host:port. Routes
 * are tried in order.
 */
typedef struct erg_route_s {
    const char *match;
    const char *host;
    uint16_t port;
} erg_route_t;

typedef struct erg_net_opts_s {
    /* The cluster cookie: nodes prove they know it without sending it.
     * Required (1..1024 bytes). Copied. */
    const char *cookie;
    /* Where to accept (NULL/0: one acceptor on 127.0.0.1 at
     * ERG_NET_DEFAULT_PORT with a range of 50). Copied. */
    const erg_acceptor_opts_t *acceptors;
    unsigned nacceptors;
    bool no_acceptor;             /* dial out only */
    const erg_route_t *routes;    /* copied */
    unsigned nroutes;
    /* The schemas whose messages this node sends and decodes: it
     * advertises every version they hold, converts with their
     * conversions, and refuses frames of any other type. Borrowed: the
     * registries are static generated tables. */
    const erg_codec_registry_t *const *registries;
    unsigned nregistries;
    unsigned pool_size;        /* TCP links per peer; 0 = 3 */
    uint32_t max_message;      /* largest frame accepted and sent; 0 = 64 MiB */
    size_t link_buffer;        /* unsent bytes per link before sends fail
                                  with ERG_EBUSY; 0 = 64 MiB */
    uint32_t handshake_timeout_ms; /* 0 = 5 s */
    uint64_t flags;            /* ERG_NET_ALLOW_* */
    erg_registrar_opts_t registrar;
} erg_net_opts_t;

/* erg_net_opts_init zeroes opts (every default) and allows important
 * delivery (flags = ERG_NET_ALLOW_IMPORTANT). */
ERG_EXTERN void erg_net_opts_init(erg_net_opts_t *opts);

/*
 * erg_net_start starts node's network with opts: the acceptors listen, the
 * routes are known, the registries advertised. Call it once, right after
 * erg_node_start and before the node's processes talk to other nodes; the
 * network stops with the node (after its processes, so what they sent
 * while stopping is still written). Errors: ERG_EINVAL (no cookie, bad
 * options), ERG_EEXIST (already started), ERG_EBUSY (no free port in an
 * acceptor's range), ERG_ETAKEN (the registrar has a node of this name),
 * ERG_ENOCONN / ERG_ETIMEDOUT (the registrar could be neither served nor
 * reached), ERG_EIO, ERG_ENOMEM.
 */
ERG_EXTERN erg_err_t erg_net_start(erg_node_t *node,
                                   const erg_net_opts_t *opts);

/* erg_net_port: the port the node's first acceptor listens on, or 0. */
ERG_EXTERN uint16_t erg_net_port(erg_node_t *node);

/* erg_net_registrar_serving: true while this node serves the embedded
 * registrar (false when it is a client of another node's, or disabled).
 * Thread-safe. */
ERG_EXTERN bool erg_net_registrar_serving(erg_node_t *node);

/*
 * erg_net_add_route adds a static route at run time (tried after the
 * ones given before). ERG_EINVAL, ERG_ENOMEM, ERG_ENOCONN (no network).
 */
ERG_EXTERN erg_err_t erg_net_add_route(erg_node_t *node,
                                       const erg_route_t *route);

/* erg_net_connect connects to node_name now (through the routes) and
 * waits up to the handshake timeout: ERG_OK once the peer is usable,
 * ERG_ENOROUTE, ERG_EAUTH (cookie refused), ERG_ETAKEN (a node of that
 * name is connected already), ERG_ETIMEDOUT, ERG_ENOCONN. From any
 * thread; a handler's worker is handed over while it waits, as in a call. */
ERG_EXTERN erg_err_t erg_net_connect(erg_node_t *node, const char *node_name);

/* erg_net_disconnect closes the links to node_name (monitors of its
 * processes fire with ERG_ENOCONN). ERG_ENOCONN if not connected. */
ERG_EXTERN erg_err_t erg_net_disconnect(erg_node_t *node,
                                        const char *node_name);

/* erg_net_peers writes up to cap connected node names (pointers valid
 * until the next call from this thread) and returns how many peers there
 * are. */
ERG_EXTERN size_t erg_net_peers(erg_node_t *node, const char **names,
                                size_t cap);

/*
 * Traffic of one (type, version): messages this node sent and received,
 * converted on the way (to the peer's version when sending, to the
 * target's when receiving) and refused (no conversion path, fingerprint
 * mismatch, not accepted, undecodable).
 */
typedef struct erg_net_type_stats_s {
    const char *name; /* package.Name (static) */
    uint32_t version;
    uint64_t sent, received, converted, refused;
} erg_net_type_stats_t;

/* erg_net_type_stats fills out[0..cap) with the counters of every version
 * the node knows, in registry order, and returns how many there are. */
ERG_EXTERN size_t erg_net_type_stats(erg_node_t *node,
                                     erg_net_type_stats_t *out, size_t cap);

/* erg_net_inspect: the same counters (and the peers) as key/value pairs
 * ("sent shop.payment.ChargeRequest v1" = "42"), like a process's
 * inspect; free with erg_inspect_free. */
ERG_EXTERN erg_err_t erg_net_inspect(erg_node_t *node,
                                     erg_inspect_t **out);

#endif /* ERG_NET_H */
