/* SPDX-License-Identifier: MIT */
/* remote.h: what the process layer calls when a target is on another node. */
#ifndef ERG_NET_REMOTE_H
#define ERG_NET_REMOTE_H

#include <stdbool.h>

#include "core/node.h"
#include "erg/actor.h"
#include "erg/codec.h"
#include "erg/msg.h"
#include "erg/node.h"

/* erg__target_node: the hash of the node target names (0 for a name or
 * event on the local node). */
static inline uint32_t erg__target_node(erg_target_t t) {
    return t.kind == ERG_TARGET_PID     ? t.pid.node
           : t.kind == ERG_TARGET_ALIAS ? t.alias.node
                                        : t.node;
}

/* erg__net_is_remote: target names something of another node. Inline:
 * every send asks it. */
static inline bool erg__net_is_remote(const erg_node_t *node,
                                      erg_target_t target) {
    uint32_t hash = erg__target_node(target);
    return hash != node->hash &&
           (hash != 0 || target.kind == ERG_TARGET_PID ||
            target.kind == ERG_TARGET_ALIAS || target.kind == ERG_TARGET_NODE);
}

/* erg__net_deliver sends msg (taken on ERG_OK) to a remote target as a
 * message or a call (answered through erg__respond), from a local pid.
 * ERG_ENOCONN without a network, ERG_ENOROUTE, ERG_EVERSION,
 * ERG_EFINGERPRINT, ERG_ENOTSUP, ERG_ETOOBIG, ERG_EBUSY (link buffer
 * full), ERG_ENOMEM. */
erg_err_t erg__net_deliver(erg_node_t *node, erg_pid_t from,
                           erg_target_t target, erg_msg_t *msg,
                           erg_priority_t prio, bool call, bool important,
                           erg_ref_t ref);

/* erg__net_respond answers a remote caller's ref (msg taken on ERG_OK). */
erg_err_t erg__net_respond(erg_node_t *node, erg_pid_t to, erg_ref_t ref,
                           erg_msg_t *msg, erg_err_t status);

/* erg__net_exit sends an exit signal to a remote pid. */
erg_err_t erg__net_exit(erg_node_t *node, erg_pid_t from, erg_pid_t to,
                        erg_reason_t reason);

/* erg__net_convert converts a typed message to version `to` of its type
 * with the node's registries: ERG_EVERSION when they do not reach it. */
erg_err_t erg__net_convert(erg_node_t *node, const erg_msg_t *msg,
                           const erg_codec_desc_t *to, erg_msg_t **out);

/* erg__net_adapt converts a typed message the actor of beh does not accept
 * to a version it accepts (see erg__version_adapt); ERG_ENOTACCEPTED. */
erg_err_t erg__net_adapt(erg_node_t *node, const erg_behavior_t *beh,
                         const erg_msg_t *msg, erg_msg_t **out);

/*
 * Watches across nodes (net/watch.c). erg__net_watch starts a link or
 * monitor of owner on a remote target (a node target needs no frame) under
 * ref: ERG_ENOCONN, ERG_ENOROUTE. erg__net_unwatch ends it (no-op when it
 * fired already). erg__net_down tells a remote owner that the local target
 * it watched under ref went away.
 */
erg_err_t erg__net_watch(erg_node_t *node, erg_pid_t owner, bool link,
                         erg_target_t t, erg_ref_t ref);
void erg__net_unwatch(erg_node_t *node, erg_ref_t ref);
void erg__net_down(erg_node_t *node, erg_pid_t owner, erg_ref_t ref,
                   erg_pid_t from, bool link, erg_reason_t reason);

/* erg__net_publish sends msg (retained here), published on the local event
 * name by producer at time_ns, to the node with hash that subscribed to it
 * (over an existing connection only). */
void erg__net_publish(erg_node_t *node, uint32_t peer, const char *name,
                      erg_pid_t producer, erg_msg_t *msg, int64_t time_ns);

/* erg__net_stop stops the network of node after its processes. */
void erg__net_stop(erg_node_t *node);

#endif /* ERG_NET_REMOTE_H */
