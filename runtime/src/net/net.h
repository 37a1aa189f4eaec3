/* SPDX-License-Identifier: MIT */
/* net.h: the network's internals: the loop thread, peers and their links. */
#ifndef ERG_NET_NET_H
#define ERG_NET_NET_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "core/msg.h"
#include "erg/net.h"
#include "erg/node.h"
#include "net/auth.h"
#include "net/frame.h"
#include "net/registrar.h"
#include "net/versions.h"
#include "util/hmap.h"
#include "util/queue.h"

/*
 * Shape (docs/cluster.md): one libuv loop thread per node owns every
 * socket. Workers never touch the loop: a send encodes its frame on the
 * worker into the chosen link's out buffer (under the link's lock) and, if
 * the link was idle, puts it on the dirty list and wakes the loop with one
 * coalescing uv_async_send. The loop writes each dirty link's whole buffer
 * with one uv_write, so frames are batched by construction. Received
 * frames are decoded and delivered on the loop thread.
 */

#define ERG__POOL_MAX 16

typedef struct erg__net_s erg__net_t;
typedef struct erg__peer_s erg__peer_t;
typedef struct erg__link_s erg__link_t;

typedef enum erg__link_state_e {
    ERG__LINK_PREAMBLE = 0, /* waiting for the peer's preamble */
    ERG__LINK_HELLO,        /* waiting for its Hello */
    ERG__LINK_PROOF,        /* waiting for its Proof */
    ERG__LINK_REGISTRY,     /* waiting for its Registry (link 0) */
    ERG__LINK_UP,
    ERG__LINK_CLOSED,
} erg__link_state_t;

struct erg__link_s {
    atomic_uint refs; /* the loop until closed, the peer until freed */
    erg__net_t *net;
    erg__peer_t *peer; /* set once the peer is known (loop thread) */
    uv_tcp_t tcp;
    uv_timer_t timer; /* the handshake's time limit */
    uv_connect_t connect;
    uv_write_t wreq;
    int open_handles;
    /* Written by the loop thread; erg__net_stop reads it from its own. */
    _Atomic erg__link_state_t state;
    bool dialer;
    bool abandoned; /* a crossing dial given up: its end downs nothing */
    uint8_t index;
    uint8_t nonce[ERG__NONCE_SIZE];
    uint8_t peer_nonce[ERG__NONCE_SIZE];
    uint8_t pool_id[16];
    uint8_t peer_pool_size;
    uint32_t peer_creation;
    uint64_t peer_flags;
    uint32_t peer_max;
    char peer_name[256];
    erg__buf_t in; /* loop thread */
    /* Shared with senders, under mu. */
    pthread_mutex_t mu;
    erg__buf_t out;  /* frames not yet handed to the socket */
    erg__buf_t wbuf; /* the batch being written; empty: not writing */
    bool dirty; /* on the net's dirty list (under the net's dirty_mu) */
    /* The socket, for senders writing an idle link's frame themselves
     * (-1 until up and once closing), and when the last batch went out. */
    int fd;
    uint64_t last_write_ns;
    erg__link_t *dirty_next;
    erg__queue_t all; /* the net's list of live links (loop thread) */
};

typedef enum erg__peer_state_e {
    ERG__PEER_DIALING = 0, /* our dial is in its handshake */
    ERG__PEER_WAITING,     /* our dial crossed theirs: waiting for theirs */
    ERG__PEER_JOINING,     /* link 0 is up; the rest of the pool joins */
    ERG__PEER_UP,
    ERG__PEER_DOWN,
} erg__peer_state_t;

/* Flags of a queued WATCH or DOWN. */
#define ERG__WATCH_F_LINK   0x01u
#define ERG__WATCH_F_REMOVE 0x02u

/* A send queued while the peer's links are being made. */
typedef struct erg__pend_s {
    struct erg__pend_s *next;
    uint8_t kind; /* ERG__FRAME_MSG, _CALL, _REPLY, _EXIT, _WATCH, _DOWN */
    erg_pid_t from;
    erg_target_t target; /* name copied into the entry */
    erg_msg_t *msg;      /* owned; NULL for exits and error replies */
    erg_ref_t ref;
    int32_t code;        /* reply status, exit reason */
    uint8_t prio;
    uint8_t flags;
    /* SPAWN, SPAWNED, APP, APP_INFO: the control value, borrowed; these
     * are sent only over an up peer, never queued. */
    const erg_codec_desc_t *ctl_desc;
    const void *ctl;
    char name[];
} erg__pend_t;

struct erg__peer_s {
    atomic_uint refs;
    erg__net_t *net;
    char name[256];
    uint32_t hash;
    uint32_t creation;
    atomic_int state; /* erg__peer_state_t */
    bool dialer;      /* we opened the pool */
    char host[64];
    uint16_t port;
    uint8_t pool_id[16];
    unsigned nlinks;  /* links the pool has (fixed once up) */
    unsigned nup;
    erg__link_t *links[ERG__POOL_MAX];
    uint32_t max_message;
    uint64_t flags;
    erg__ptable_t types; /* immutable once up */
    uv_timer_t *timer;   /* loop thread: time limit of the whole pool */
    pthread_mutex_t mu;  /* pending, state changes */
    /* Calls and important sends awaiting this peer's answer: ref id ->
     * the local caller's pid, so they fail at once with ERG_ENOCONN when
     * the peer goes away instead of waiting for their timeouts. */
    pthread_mutex_t inflight_mu;
    erg__hmap_t inflight;
    erg__pend_t *pending, **pending_tail;
    erg_err_t down_reason;
};

typedef enum erg__cmd_kind_e {
    ERG__CMD_DIAL = 1,
    ERG__CMD_DISCONNECT,
    ERG__CMD_STOP,
    ERG__CMD_RESOLVE, /* no static route: ask the registrar, then dial */
} erg__cmd_kind_t;

typedef struct erg__cmd_s {
    struct erg__cmd_s *next;
    erg__cmd_kind_t kind;
    erg__peer_t *peer; /* retained */
} erg__cmd_t;

struct erg__net_s {
    erg_node_t *node;
    char *cookie;
    erg_net_opts_t opts; /* arrays below are copies */
    erg_acceptor_opts_t *acceptors;
    erg_route_t *routes;
    unsigned nroutes;
    erg__vtable_t types;
    uint16_t port; /* the first acceptor's */

    uv_loop_t loop;
    uv_async_t wake;
    uv_tcp_t *listeners;
    unsigned nlisteners;
    pthread_t thread;
    bool thread_started;
    bool stopping; /* loop thread */
    erg__queue_t links; /* loop thread */
    uint32_t learned;   /* loop thread: the last node name learned */

    pthread_mutex_t mu; /* peers, names, routes, cmds */
    pthread_cond_t cv;  /* peer state changes, for erg_net_connect */
    erg__hmap_t peers;  /* node hash -> erg__peer_t (retained) */
    erg__hmap_t names;  /* node hash -> "name@host" (copied) */
    erg__hmap_t rwatches; /* watch.c: our ref id -> what a local process
                             watches on another node */
    erg__hmap_t held;     /* watch.c: watches remote processes hold here */
    erg__hmap_t revents;  /* events.c: node-level ref -> remote event
                             subscribed to once for all local subscribers */
    erg__hmap_t spawnable; /* spawn.c: factory name -> allowed behaviour */
    erg__hmap_t startable; /* spawn.c: application name -> who may start it */
    erg__cmd_t *cmds, **cmds_tail;
    /* Links with frames for the loop to write, and their dirty flags: a
     * lock of their own, so a sender's first frame of a batch does not
     * queue behind every peer lookup on mu. */
    pthread_mutex_t dirty_mu;
    erg__link_t *dirty;
    erg__registrar_t *registrar; /* NULL when disabled; set before the
                                    loop thread starts */
};

/* net.c */
void erg__net_wake(erg__net_t *net);
void erg__peer_retain(erg__peer_t *p);
void erg__peer_release(erg__peer_t *p);
/* erg__net_node_name copies the name of the node with hash into buf (len
 * >= 256): false if unknown. */
bool erg__net_node_name(erg__net_t *net, uint32_t hash, char *buf);
/* Records hash -> name for a node heard of on the wire. */
void erg__net_learn_name(erg__net_t *net, const char *name);
/* Loop thread: a link of peer is up / failed. */
void erg__peer_link_up(erg__peer_t *p, erg__link_t *l);
void erg__peer_down(erg__peer_t *p, erg_err_t reason, const char *why);
/* Loop thread: the registrar's answer for a peer being resolved: dials
 * host:port, or downs the peer with rv (see registrar.h). */
void erg__net_resolved(erg__peer_t *p, erg_err_t rv, const char *host,
                       uint16_t port, const char *why);
/* Loop thread: an inbound link 0 from `name` finished its proof: the peer
 * it joins, retained, or NULL with *err set (taken, crossing). */
erg__peer_t *erg__net_accept_peer(erg__net_t *net, erg__link_t *l,
                                  erg_err_t *err);
/* Loop thread: an inbound link k > 0 joins the pool it names, or NULL. */
erg__peer_t *erg__net_join_peer(erg__net_t *net, erg__link_t *l);

/* link.c */
erg__link_t *erg__link_new(erg__net_t *net, bool dialer);
void erg__link_retain(erg__link_t *l);
void erg__link_release(erg__link_t *l);
/* Loop thread: starts reading and the handshake (preamble + Hello). */
void erg__link_start(erg__link_t *l);
/* Loop thread: closes the socket (once). */
void erg__link_close(erg__link_t *l);
/* Appends a control frame to the link and schedules a flush. */
erg_err_t erg__link_send_ctl(erg__link_t *l, uint8_t kind,
                             const erg_codec_desc_t *desc, const void *value);
/* Loop thread: writes what the link has queued, if it is not writing. */
void erg__link_flush(erg__link_t *l);
/* Under l->mu, after appending a frame that starts at `before`: writes it
 * on the caller's thread when the link was idle for a while (a lone
 * message should not wait for the loop thread to wake), else leaves the
 * batching to the loop. True when the loop must be kicked. */
bool erg__link_write_now(erg__link_t *l, size_t before);
/* Marks l dirty (any thread, under nothing): the loop will flush it. */
void erg__link_kick(erg__link_t *l);

/* handshake.c (loop thread) */
void erg__hs_begin(erg__link_t *l);
/* Handles one frame before the link is up: false when the link closed. */
bool erg__hs_frame(erg__link_t *l, const erg__frame_t *f);
/* A Refuse frame sent before closing. */
void erg__hs_refuse(erg__link_t *l, erg_err_t code, const char *reason);

/* remote.c */
/* Loop thread: one frame of an up link. False: protocol violation (the
 * link is closed by the caller). */
bool erg__remote_frame(erg__link_t *l, const erg__frame_t *f);
/* Loop thread, under p->mu: sends what was queued while connecting. */
void erg__remote_flush_pending(erg__peer_t *p);
/* Loop thread: answers every call and important send still waiting for
 * the peer with ERG_ENOCONN (it went away). */
void erg__remote_fail_inflight(erg__peer_t *p);
/* Fails a queued entry (connection failed); frees it. */
void erg__remote_fail_pending(erg__net_t *net, erg__pend_t *e, erg_err_t err,
                              const char *why);

/* erg__remote_route sends e to the node with hash: at once when up, queued
 * while connecting; with dial false, only over an existing peer
 * (ERG_ENOCONN otherwise). e->msg's reference is taken on ERG_OK. */
erg_err_t erg__remote_route(erg_node_t *node, uint32_t hash,
                            const char *name_hint, erg__pend_t *e, bool dial);

/* net.c: the peer with hash, retained, dialing it if needed (see net.c);
 * _existing never dials. */
erg_err_t erg__net_peer(erg__net_t *net, uint32_t hash, const char *name,
                        erg__peer_t **out);
erg_err_t erg__net_peer_existing(erg__net_t *net, uint32_t hash,
                                 erg__peer_t **out);
/* erg__net_peer_up: the peer named node_name once it is up (connecting to
 * it first if needed), retained, waiting up to timeout_ms; a handler's
 * worker is handed over meanwhile. Its down reason, ERG_ETIMEDOUT,
 * ERG_ENOROUTE, ERG_EINVAL (this node's own name). */
erg_err_t erg__net_peer_up(erg__net_t *net, const char *node_name,
                           uint32_t timeout_ms, erg__peer_t **out);

/* watch.c (loop thread): WATCH and DOWN frames, and a peer that went away
 * (every watch across it fires with ERG_ENOCONN). */
bool erg__watch_frame(erg__link_t *l, const erg__frame_t *f);
bool erg__down_frame(erg__link_t *l, const erg__frame_t *f);
/* events.c (loop thread): a PUBLISH frame fans out to local subscribers;
 * a DOWN for a node-level event watch fires them (true if it was one);
 * a peer that went away drops its events. */
bool erg__publish_frame(erg__link_t *l, const erg__frame_t *f);
bool erg__revent_down(erg__net_t *net, uint32_t peer, erg_ref_t ref,
                      erg_pid_t from, erg_reason_t reason);
void erg__revents_peer_gone(erg__net_t *net, uint32_t peer);
/* spawn.c (loop thread): remote spawn and application frames; the
 * allow-lists' memory at net end. */
bool erg__spawn_frame(erg__link_t *l, const erg__frame_t *f);
bool erg__spawned_frame(erg__link_t *l, const erg__frame_t *f);
bool erg__app_frame(erg__link_t *l, const erg__frame_t *f);
bool erg__app_info_frame(erg__link_t *l, const erg__frame_t *f);
void erg__spawn_fini(erg__net_t *net);
void erg__remote_peer_gone(erg__peer_t *p, erg_err_t reason);

/* remote.c: forgets a call or request answered by p (see inflight). */
void erg__remote_untrack(erg__peer_t *p, uint64_t ref_id);

/* Pid and ref conversions to and from the wire. */
erg_wire_pid_t erg__wire_pid(erg__net_t *net, erg_pid_t pid, char *namebuf);
erg_pid_t erg__pid_from_wire(erg__net_t *net, const erg_wire_pid_t *w);
erg_ref_t erg__ref_from_wire(const erg_wire_ref_t *w);
erg_wire_ref_t erg__wire_ref(erg__net_t *net, uint32_t node, uint32_t creation,
                             uint64_t id, char *namebuf);

#endif /* ERG_NET_NET_H */
