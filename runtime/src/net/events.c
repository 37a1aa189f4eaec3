/* SPDX-License-Identifier: MIT */
/* events.c: events across nodes. A node subscribes once to a remote event
 * for all its local subscribers (a node-level watch under its own ref);
 * the producer's node sends one PUBLISH per subscribed node, and this
 * side fans it out locally through a proxy of the event. */
#include <string.h>

#include "core/actor.h"
#include "core/event.h"
#include "core/node.h"
#include "erg/control.h"
#include "net/events.h"
#include "net/net.h"
#include "net/remote.h"
#include "util/alloc.h"

typedef struct rsub_s {
    erg_pid_t owner;
    erg_ref_t ref;
} rsub_t;

/* A remote event this node subscribed to. Under net->mu. */
typedef struct revent_s {
    erg_ref_t ref; /* the node-level watch */
    uint32_t peer;
    erg__event_t *proxy; /* created at the first publication */
    rsub_t *subs;
    size_t n, cap;
    char name[];
} revent_t;

/* Under net->mu: the subscription to name at peer, or NULL. */
static revent_t *find(erg__net_t *net, uint32_t peer, const char *name) {
    for (size_t i = 0; i < net->revents.cap; i++) {
        erg__hmap_entry_t *e = &net->revents.slots[i];
        revent_t *r = e->hash != 0 ? e->val : NULL;
        if (r != NULL && r->peer == peer && strcmp(r->name, name) == 0)
            return r;
    }
    return NULL;
}

static void revent_free(revent_t *r) {
    if (r->proxy != NULL)
        erg__event_release(r->proxy);
    erg__free(r->subs);
    erg__free(r);
}

erg_err_t erg__revent_add(erg__net_t *net, uint32_t peer, const char *name,
                          erg_pid_t owner, erg_ref_t ref, erg_ref_t *node_ref,
                          bool *first) {
    erg_err_t rv = ERG_OK;
    pthread_mutex_lock(&net->mu);
    revent_t *r = find(net, peer, name);
    *first = r == NULL;
    if (r == NULL) {
        size_t len = strlen(name) + 1;
        r = erg__calloc(1, sizeof(*r) + len);
        if (r == NULL) {
            rv = ERG_ENOMEM;
            goto out;
        }
        r->ref = erg__node_make_ref(net->node);
        r->peer = peer;
        memcpy(r->name, name, len);
        rv = erg__hmap_put_u64(&net->revents, r->ref.id, r);
        if (rv != ERG_OK) {
            erg__free(r);
            goto out;
        }
    }
    if (!erg__grow((void **)&r->subs, &r->cap, r->n, sizeof(*r->subs))) {
        rv = ERG_ENOMEM;
        if (r->n == 0) {
            erg__hmap_del_u64(&net->revents, r->ref.id);
            revent_free(r);
        }
        goto out;
    }
    r->subs[r->n++] = (rsub_t){owner, ref};
    *node_ref = r->ref;
out:
    pthread_mutex_unlock(&net->mu);
    return rv;
}

bool erg__revent_remove(erg__net_t *net, uint32_t peer, const char *name,
                        erg_ref_t ref, erg_ref_t *node_ref) {
    bool last = false;
    pthread_mutex_lock(&net->mu);
    revent_t *r = find(net, peer, name);
    for (size_t i = 0; r != NULL && i < r->n; i++)
        if (erg_ref_equal(r->subs[i].ref, ref)) {
            r->subs[i] = r->subs[--r->n];
            break;
        }
    if (r != NULL && r->n == 0) {
        erg__hmap_del_u64(&net->revents, r->ref.id);
        *node_ref = r->ref;
        last = true;
    } else {
        r = NULL;
    }
    pthread_mutex_unlock(&net->mu);
    if (r != NULL)
        revent_free(r);
    return last;
}

bool erg__revent_down(erg__net_t *net, uint32_t peer, erg_ref_t ref,
                      erg_pid_t from, erg_reason_t reason) {
    pthread_mutex_lock(&net->mu);
    revent_t *r = erg__hmap_get_u64(&net->revents, ref.id);
    if (r != NULL && r->peer == peer)
        erg__hmap_del_u64(&net->revents, ref.id);
    else
        r = NULL;
    pthread_mutex_unlock(&net->mu);
    if (r == NULL)
        return false;
    /* Each local subscriber's own record fires, once, as a local event
     * going away would. */
    for (size_t i = 0; i < r->n; i++)
        erg__rwatch_fire(net, r->subs[i].ref, from, reason);
    revent_free(r);
    return true;
}

void erg__revents_peer_gone(erg__net_t *net, uint32_t peer) {
    for (;;) {
        pthread_mutex_lock(&net->mu);
        revent_t *r = NULL;
        for (size_t i = 0; i < net->revents.cap && r == NULL; i++) {
            erg__hmap_entry_t *e = &net->revents.slots[i];
            if (e->hash != 0 && ((revent_t *)e->val)->peer == peer)
                r = e->val;
        }
        if (r != NULL)
            erg__hmap_del_u64(&net->revents, r->ref.id);
        pthread_mutex_unlock(&net->mu);
        if (r == NULL)
            return;
        revent_free(r); /* the subscribers' records fire on their own */
    }
}

/* Fans msg out to the local subscribers of name at the link's peer. */
static void fan_out(erg__link_t *l, const char *name, erg_pid_t producer,
                    erg_msg_t *msg, int64_t time_ns) {
    erg__net_t *net = l->net;
    pthread_mutex_lock(&net->mu);
    revent_t *r = find(net, l->peer->hash, name);
    size_t n = r != NULL ? r->n : 0;
    erg_pid_t *owners = n != 0 ? erg__malloc(n * sizeof(*owners)) : NULL;
    erg__event_t *ev = NULL;
    if (owners != NULL) {
        for (size_t i = 0; i < n; i++)
            owners[i] = r->subs[i].owner;
        if (r->proxy == NULL || !erg_pid_equal(r->proxy->producer, producer)) {
            erg__event_t *px = erg__event_proxy_new(name, producer);
            if (px != NULL) {
                if (r->proxy != NULL)
                    erg__event_release(r->proxy);
                r->proxy = px;
            }
        }
        ev = r->proxy;
        if (ev != NULL)
            erg__event_retain(ev);
    }
    pthread_mutex_unlock(&net->mu);
    for (size_t i = 0; ev != NULL && i < n; i++) {
        erg_proc_t *p;
        if (erg__node_lookup(net->node, owners[i], &p) != ERG_OK)
            continue;
        erg__event_deliver_to(ev, p, msg, time_ns);
        erg__proc_release(p);
    }
    if (ev != NULL)
        erg__event_release(ev);
    erg__free(owners);
}

bool erg__publish_frame(erg__link_t *l, const erg__frame_t *f) {
    erg__net_t *net = l->net;
    erg__data_t d;
    erg_net_publish_v1_t *pub = NULL;
    if (erg__data_split(f->payload, f->len, &d) != ERG_OK ||
        erg_codec_decode(&erg_net_publish_v1_desc, d.head, d.head_len,
                         (void **)&pub) != ERG_OK)
        return false;
    erg_pid_t producer = erg__pid_from_wire(net, &pub->producer);
    bool ok = producer.node == l->peer->hash;
    if (ok) {
        erg_msg_t *msg = NULL;
        erg__vtype_t *vt = NULL;
        char why[600];
        erg_err_t rv = erg__remote_take_msg(l, &d, &msg, &vt, why,
                                            sizeof(why));
        if (rv == ERG_OK) {
            if (vt != NULL)
                atomic_fetch_add_explicit(&vt->received, 1,
                                          memory_order_relaxed);
            fan_out(l, pub->event_name.ptr, producer, msg, pub->time);
            erg_msg_release(msg);
        } else {
            if (vt != NULL)
                atomic_fetch_add_explicit(&vt->refused, 1,
                                          memory_order_relaxed);
            erg__node_logf(net->node, ERG_LOG_WARNING,
                           "refused a publication of event %s from node "
                           "%s: %s",
                           pub->event_name.ptr, l->peer->name, why);
        }
    }
    erg_codec_free(&erg_net_publish_v1_desc, pub);
    return ok;
}

void erg__net_publish(erg_node_t *node, uint32_t peer, const char *name,
                      erg_pid_t producer, erg_msg_t *msg, int64_t time_ns) {
    erg__pend_t e = {0};
    e.kind = ERG__FRAME_PUBLISH;
    e.from = producer;
    e.target = erg_to_event(name);
    e.msg = msg;
    e.ref.deadline_ms = time_ns; /* the publication time rides here */
    erg_msg_retain(msg);
    if (erg__remote_route(node, peer, NULL, &e, false) != ERG_OK)
        erg_msg_release(msg);
}
