/* SPDX-License-Identifier: MIT */
/* watch.c: links and monitors across nodes. The owner's node keeps a
 * record per watch (fired exactly once: by the target's DOWN frame, or
 * with ERG_ENOCONN when the peer goes away, whichever removes it first);
 * the target's node keeps the watch on the process and a record of it, so
 * a vanished peer's watches are taken off again. */
#include <string.h>

#include "core/actor.h"
#include "core/node.h"
#include "erg/control.h"
#include "core/event.h"
#include "net/events.h"
#include "net/net.h"
#include "net/remote.h"
#include "util/alloc.h"

/* A local process watching something on another node. */
typedef struct rwatch_s {
    erg_pid_t owner;
    erg_ref_t ref;
    bool link;
    erg_target_kind_t tkind;
    erg_pid_t pid; /* for pid targets: the down's sender */
    erg_alias_t alias;
    uint32_t peer;
    char name[];
} rwatch_t;

/* A watch a remote process holds on a local one (or, with an event name, a
 * remote node's subscription to a local event). */
typedef struct held_s {
    erg_ref_t ref;
    erg_pid_t holder;
    uint32_t peer;
    char event[]; /* "" for process watches */
} held_t;

static void held_drop(erg_node_t *node, held_t *h) {
    if (h->event[0] != '\0')
        erg__event_unsubscribe_remote(node, h->event, h->ref);
    else
        erg__unwatch_for_remote(node, h->holder, h->ref);
    erg__free(h);
}

/* Refs of different nodes may share ids: the key mixes in the node. */
static uint64_t held_key(erg_ref_t r) {
    return (r.id * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)r.node << 32) ^
           r.creation;
}

static rwatch_t *take_rwatch(erg__net_t *net, uint64_t ref_id) {
    pthread_mutex_lock(&net->mu);
    rwatch_t *w = erg__hmap_del_u64(&net->rwatches, ref_id);
    pthread_mutex_unlock(&net->mu);
    return w;
}

static void fire(erg__net_t *net, rwatch_t *w, erg_pid_t from,
                 erg_reason_t reason) {
    erg__notify_remote(net->node, w->link, w->tkind, w->owner, w->ref,
                       w->alias, w->name[0] != '\0' ? w->name : NULL, from,
                       reason);
    erg__free(w);
}

void erg__rwatch_fire(erg__net_t *net, erg_ref_t ref, erg_pid_t from,
                      erg_reason_t reason) {
    rwatch_t *w = take_rwatch(net, ref.id);
    if (w != NULL)
        fire(net, w, from, reason);
}

erg_err_t erg__net_watch(erg_node_t *node, erg_pid_t owner, bool link,
                         erg_target_t t, erg_ref_t ref) {
    erg__net_t *net = node->net;
    if (net == NULL) {
        erg__node_logf(node, ERG_LOG_WARNING,
                       "a link or monitor names another node, and this node "
                       "has no network (erg_net_start)");
        return ERG_ENOCONN;
    }
    uint32_t hash = erg__target_node(t);
    const char *hint = t.kind == ERG_TARGET_NODE ? t.name : t.node_name;
    erg__peer_t *p;
    erg_err_t rv = erg__net_peer(net, hash, hint, &p);
    if (rv != ERG_OK)
        return rv;
    const char *name = t.kind == ERG_TARGET_PID || t.kind == ERG_TARGET_ALIAS
                           ? ""
                           : t.name;
    size_t nl = strlen(name) + 1;
    rwatch_t *w = erg__calloc(1, sizeof(*w) + nl);
    if (w == NULL) {
        erg__peer_release(p);
        return ERG_ENOMEM;
    }
    w->owner = owner;
    w->ref = ref;
    w->link = link;
    w->tkind = t.kind;
    w->pid = t.pid;
    w->alias = t.alias;
    w->peer = hash;
    memcpy(w->name, name, nl);
    pthread_mutex_lock(&net->mu);
    rv = erg__hmap_put_u64(&net->rwatches, ref.id, w);
    pthread_mutex_unlock(&net->mu);
    if (rv != ERG_OK) {
        erg__free(w);
        erg__peer_release(p);
        return rv;
    }
    if (t.kind == ERG_TARGET_EVENT) {
        /* One subscription per node, whatever the local subscribers. */
        erg_ref_t node_ref;
        bool first;
        rv = erg__revent_add(net, hash, t.name, owner, ref, &node_ref,
                             &first);
        if (rv == ERG_OK && first) {
            erg__pend_t e = {0};
            e.kind = ERG__FRAME_WATCH;
            e.from = node->pid;
            e.target = t;
            e.ref = node_ref;
            rv = erg__remote_route(node, hash, hint, &e, true);
        }
    } else if (t.kind != ERG_TARGET_NODE) {
        erg__pend_t e = {0};
        e.kind = ERG__FRAME_WATCH;
        e.from = owner;
        e.target = t;
        e.ref = ref;
        e.flags = link ? ERG__WATCH_F_LINK : 0;
        rv = erg__remote_route(node, hash, hint, &e, true);
    }
    /* A peer that went down before the record was in place never fires
     * it: undo, unless its going down fired it already. */
    if (rv == ERG_OK && atomic_load(&p->state) == ERG__PEER_DOWN)
        rv = ERG_ENOCONN;
    erg__peer_release(p);
    if (rv != ERG_OK) {
        rwatch_t *back = take_rwatch(net, ref.id);
        if (back == NULL)
            return ERG_OK; /* fired: the owner gets its down */
        /* So does an event's subscriber (after a failed route, or a peer
         * that went down meanwhile: nothing to tell it). */
        erg_ref_t node_ref;
        if (t.kind == ERG_TARGET_EVENT)
            (void)erg__revent_remove(net, hash, t.name, ref, &node_ref);
        erg__free(back);
    }
    return rv;
}

void erg__net_unwatch(erg_node_t *node, erg_ref_t ref) {
    erg__net_t *net = node->net;
    if (net == NULL)
        return;
    rwatch_t *w = take_rwatch(net, ref.id);
    if (w == NULL)
        return; /* fired already */
    erg_ref_t node_ref;
    if (w->tkind == ERG_TARGET_EVENT) {
        if (erg__revent_remove(net, w->peer, w->name, ref, &node_ref)) {
            erg__pend_t e = {0};
            e.kind = ERG__FRAME_WATCH;
            e.from = node->pid;
            e.target = erg_to_event(w->name);
            e.ref = node_ref;
            e.flags = ERG__WATCH_F_REMOVE;
            erg__remote_route(node, w->peer, NULL, &e, false);
        }
    } else if (w->tkind != ERG_TARGET_NODE) {
        erg__pend_t e = {0};
        e.kind = ERG__FRAME_WATCH;
        e.from = w->owner;
        e.target = (erg_target_t){w->tkind, w->peer, w->pid, w->alias,
                                  w->name, NULL};
        e.ref = ref;
        e.flags = (w->link ? ERG__WATCH_F_LINK : 0) | ERG__WATCH_F_REMOVE;
        erg__remote_route(node, w->peer, NULL, &e, false);
    }
    erg__free(w);
}

/* Takes the held record of ref out of the table, or NULL. */
static held_t *take_held(erg__net_t *net, erg_ref_t ref) {
    pthread_mutex_lock(&net->mu);
    held_t *h = erg__hmap_get_u64(&net->held, held_key(ref));
    if (h != NULL && erg_ref_equal(h->ref, ref))
        erg__hmap_del_u64(&net->held, held_key(ref));
    else
        h = NULL;
    pthread_mutex_unlock(&net->mu);
    return h;
}

void erg__net_down(erg_node_t *node, erg_pid_t owner, erg_ref_t ref,
                   erg_pid_t from, bool link, erg_reason_t reason) {
    erg__net_t *net = node->net;
    if (net == NULL)
        return;
    erg__free(take_held(net, ref));
    erg__pend_t e = {0};
    e.kind = ERG__FRAME_DOWN;
    e.from = from;
    e.target = erg_to_pid(owner);
    e.ref = ref;
    e.code = reason;
    e.flags = link ? ERG__WATCH_F_LINK : 0;
    erg__remote_route(node, owner.node, NULL, &e, false);
}

/* ---- frames (loop thread) ------------------------------------------------- */

bool erg__watch_frame(erg__link_t *l, const erg__frame_t *f) {
    erg__net_t *net = l->net;
    erg_node_t *node = net->node;
    erg_net_watch_v1_t *w = NULL;
    if (erg_codec_decode(&erg_net_watch_v1_desc, f->payload, f->len,
                         (void **)&w) != ERG_OK)
        return false;
    erg_pid_t owner = erg__pid_from_wire(net, &w->owner);
    erg_ref_t ref = erg__ref_from_wire(&w->ref);
    bool ok = owner.node == l->peer->hash && ref.node == l->peer->hash;
    if (!ok)
        goto out;
    if (w->remove) {
        held_t *h = take_held(net, ref);
        if (h != NULL)
            held_drop(node, h);
        goto out;
    }
    erg_target_t t;
    erg_pid_t from = {0, 0, 0};
    erg_err_t rv;
    switch (w->target.tag) {
    case ERG_NET_TARGET_PID:
        t = erg_to_pid(erg__pid_from_wire(net, &w->target.u.pid));
        from = t.pid;
        rv = t.pid.node == node->hash ? ERG_OK : ERG_ENOPROC;
        break;
    case ERG_NET_TARGET_NAME:
        t = erg_to_name(w->target.u.name.ptr);
        rv = ERG_OK;
        break;
    case ERG_NET_TARGET_ALIAS: {
        erg_ref_t a = erg__ref_from_wire(&w->target.u.alias);
        t = erg_to_alias((erg_alias_t){a.node, a.creation, a.id});
        rv = a.node == node->hash ? ERG_OK : ERG_ENOALIAS;
        break;
    }
    default:
        t = erg_to_event(w->target.u.event_name.ptr);
        rv = ERG_OK;
        break;
    }
    bool event = t.kind == ERG_TARGET_EVENT;
    size_t evlen = event ? strlen(t.name) + 1 : 1;
    held_t *h = rv == ERG_OK ? erg__calloc(1, sizeof(*h) + evlen) : NULL;
    if (rv == ERG_OK && h == NULL)
        rv = ERG_ENOMEM;
    erg_pid_t holder = {0, 0, 0};
    if (rv == ERG_OK && event) {
        memcpy(h->event, t.name, evlen);
        rv = erg__event_subscribe_remote(node, t.name, owner, ref, w->link);
    } else if (rv == ERG_OK) {
        rv = erg__watch_for_remote(node, owner, w->link, t, ref, &holder);
    }
    if (rv == ERG_OK) {
        h->ref = ref;
        h->holder = holder;
        h->peer = l->peer->hash;
        pthread_mutex_lock(&net->mu);
        erg_err_t prv = erg__hmap_put_u64(&net->held, held_key(ref), h);
        pthread_mutex_unlock(&net->mu);
        if (prv != ERG_OK) { /* a colliding key: undo and refuse */
            held_drop(node, h);
            rv = prv == ERG_EEXIST ? ERG_EBUSY : prv;
        }
    } else {
        erg__free(h);
    }
    if (rv != ERG_OK)
        erg__net_down(node, owner, ref, from, w->link, (erg_reason_t)rv);
out:
    erg_codec_free(&erg_net_watch_v1_desc, w);
    return ok;
}

bool erg__down_frame(erg__link_t *l, const erg__frame_t *f) {
    erg__net_t *net = l->net;
    erg_net_down_v1_t *d = NULL;
    if (erg_codec_decode(&erg_net_down_v1_desc, f->payload, f->len,
                         (void **)&d) != ERG_OK)
        return false;
    erg_pid_t owner = erg__pid_from_wire(net, &d->owner);
    erg_ref_t ref = erg__ref_from_wire(&d->ref);
    erg_pid_t from = erg__pid_from_wire(net, &d->from);
    if (ref.node == net->node->hash &&
        erg__revent_down(net, l->peer->hash, ref, from, d->reason)) {
        /* a node-level event watch: its subscribers fired */
    } else if (owner.node == net->node->hash &&
               ref.node == net->node->hash) {
        pthread_mutex_lock(&net->mu);
        rwatch_t *w = erg__hmap_get_u64(&net->rwatches, ref.id);
        /* Only the node that holds the watch may fire it. */
        if (w != NULL && w->peer == l->peer->hash &&
            erg_pid_equal(w->owner, owner))
            erg__hmap_del_u64(&net->rwatches, ref.id);
        else
            w = NULL;
        pthread_mutex_unlock(&net->mu);
        if (w != NULL)
            fire(net, w, from, d->reason);
    }
    erg_codec_free(&erg_net_down_v1_desc, d);
    return true;
}

/* Collects and removes the values of map whose `peer` field (at offset)
 * is hash; *n gets their count. Under net->mu. */
static void **take_peer_entries(erg__hmap_t *map, uint32_t hash,
                                size_t peer_off, size_t *n) {
    *n = 0;
    void **out = erg__malloc((map->count != 0 ? map->count : 1) *
                             sizeof(*out));
    uint64_t *keys = erg__malloc((map->count != 0 ? map->count : 1) *
                                 sizeof(*keys));
    if (out == NULL || keys == NULL) {
        erg__free(out);
        erg__free(keys);
        return NULL;
    }
    for (size_t i = 0; i < map->cap; i++) {
        erg__hmap_entry_t *e = &map->slots[i];
        if (e->hash == 0)
            continue;
        uint32_t peer;
        memcpy(&peer, (char *)e->val + peer_off, sizeof(peer));
        if (peer == hash) {
            keys[*n] = e->ikey;
            out[(*n)++] = e->val;
        }
    }
    for (size_t i = 0; i < *n; i++)
        erg__hmap_del_u64(map, keys[i]);
    erg__free(keys);
    return out;
}

void erg__remote_peer_gone(erg__peer_t *p, erg_err_t reason) {
    (void)reason; /* every watch across a lost link reports no connection */
    erg__net_t *net = p->net;
    size_t nw, nh;
    pthread_mutex_lock(&net->mu);
    void **ws = take_peer_entries(&net->rwatches, p->hash,
                                  offsetof(rwatch_t, peer), &nw);
    void **hs = take_peer_entries(&net->held, p->hash,
                                  offsetof(held_t, peer), &nh);
    pthread_mutex_unlock(&net->mu);
    for (size_t i = 0; ws != NULL && i < nw; i++) {
        rwatch_t *w = ws[i];
        erg_pid_t from = w->tkind == ERG_TARGET_PID ? w->pid
                                                    : (erg_pid_t){0, 0, 0};
        fire(net, w, from, (erg_reason_t)ERG_ENOCONN);
    }
    for (size_t i = 0; hs != NULL && i < nh; i++)
        held_drop(net->node, hs[i]);
    erg__revents_peer_gone(net, p->hash);
    erg__free(ws);
    erg__free(hs);
}
