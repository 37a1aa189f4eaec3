/* SPDX-License-Identifier: MIT */
/* remote.c: messages, calls, replies and exits to and from other nodes:
 * encoding into a peer's links, and decoding and delivering what arrives. */
#include <stdio.h>
#include <string.h>

#include "core/actor.h"
#include "core/node.h"
#include "core/typed.h"
#include "erg/control.h"
#include "erg/typed.h"
#include "net/events.h"
#include "net/net.h"
#include "net/remote.h"
#include "util/alloc.h"

/* ---- pids and refs on the wire ------------------------------------------- */

/* The name of the node with hash: this node's and the peer's (p may be
 * NULL) without a lock, any other through the network's table. */
static const char *name_of(erg__net_t *net, const erg__peer_t *p,
                           uint32_t hash, char *buf) {
    if (hash == net->node->hash)
        return net->node->name;
    if (p != NULL && hash == p->hash)
        return p->name;
    if (!erg__net_node_name(net, hash, buf))
        buf[0] = '\0';
    return buf;
}

static erg_wire_pid_t wire_pid(erg__net_t *net, const erg__peer_t *p,
                               erg_pid_t pid, char *namebuf) {
    const char *n = name_of(net, p, pid.node, namebuf);
    return (erg_wire_pid_t){{n, strlen(n)}, pid.id, pid.creation};
}

static erg_wire_ref_t wire_ref(erg__net_t *net, const erg__peer_t *p,
                               uint32_t node, uint32_t creation, uint64_t id,
                               char *namebuf) {
    const char *n = name_of(net, p, node, namebuf);
    return (erg_wire_ref_t){{n, strlen(n)},
                            creation,
                            {(uint32_t)id, (uint32_t)(id >> 32), 0}};
}

erg_wire_pid_t erg__wire_pid(erg__net_t *net, erg_pid_t pid, char *namebuf) {
    return wire_pid(net, NULL, pid, namebuf);
}

erg_wire_ref_t erg__wire_ref(erg__net_t *net, uint32_t node, uint32_t creation,
                             uint64_t id, char *namebuf) {
    return wire_ref(net, NULL, node, creation, id, namebuf);
}

erg_pid_t erg__pid_from_wire(erg__net_t *net, const erg_wire_pid_t *w) {
    uint32_t h = erg_node_hash(w->node.ptr);
    /* The loop thread remembers the last name it learned: frames name the
     * same few nodes, and learning takes the network's lock. */
    if (h != net->node->hash && h != net->learned) {
        erg__net_learn_name(net, w->node.ptr);
        net->learned = h;
    }
    return (erg_pid_t){h, w->creation, w->id};
}

static uint64_t ref_id(const erg_wire_ref_t *w) {
    return (uint64_t)w->id[0] | (uint64_t)w->id[1] << 32;
}

erg_ref_t erg__ref_from_wire(const erg_wire_ref_t *w) {
    return (erg_ref_t){erg_node_hash(w->node.ptr), w->creation, ref_id(w), 0};
}

/* ---- sending ----------------------------------------------------------------- */

/* The link a frame about `key` travels on: one sender's frames always
 * take the same link, so they arrive in the order sent. */
static erg__link_t *pick_link(erg__peer_t *p, erg_pid_t key) {
    uint64_t h = (key.id ^ key.node) * 0x9E3779B97F4A7C15ull;
    return p->links[(h >> 32) % p->nlinks];
}

/* Remembers an answer the caller waits for from p (see net.h). Without
 * memory it is only not failed early: its timeout still ends it. */
/* Whether e's sender waits for an answer under e->ref: a call, an
 * important send, a remote spawn or application request. */
static bool expects_answer(const erg__pend_t *e) {
    return e->kind == ERG__FRAME_CALL || e->kind == ERG__FRAME_SPAWN ||
           e->kind == ERG__FRAME_APP ||
           (e->kind == ERG__FRAME_MSG && (e->flags & ERG__ENV_IMPORTANT));
}

static void track(erg__peer_t *p, uint64_t ref_id, erg_pid_t caller) {
    erg_pid_t *box = erg__malloc(sizeof(*box));
    if (box == NULL)
        return;
    *box = caller;
    pthread_mutex_lock(&p->inflight_mu);
    if (erg__hmap_put_u64(&p->inflight, ref_id, box) != ERG_OK)
        erg__free(box);
    pthread_mutex_unlock(&p->inflight_mu);
}

void erg__remote_untrack(erg__peer_t *p, uint64_t ref_id) {
    pthread_mutex_lock(&p->inflight_mu);
    erg_pid_t *box = erg__hmap_del_u64(&p->inflight, ref_id);
    pthread_mutex_unlock(&p->inflight_mu);
    erg__free(box);
}

/* The wire form of a process or event target; names point into nb or the
 * target's own strings. */
static void wire_target(erg__net_t *net, const erg__peer_t *p,
                        erg_target_t t, char *nb,
                        erg_net_target_t *out) {
    switch (t.kind) {
    case ERG_TARGET_PID:
        out->tag = ERG_NET_TARGET_PID;
        out->u.pid = wire_pid(net, p, t.pid, nb);
        break;
    case ERG_TARGET_ALIAS:
        out->tag = ERG_NET_TARGET_ALIAS;
        out->u.alias = wire_ref(net, p, t.alias.node, t.alias.creation,
                                     t.alias.id, nb);
        break;
    default:
        out->tag = t.kind == ERG_TARGET_EVENT ? ERG_NET_TARGET_EVENT_NAME
                                              : ERG_NET_TARGET_NAME;
        out->u.name = (erg_str_t){t.name, strlen(t.name)};
        break;
    }
}

/* Encodes the frame of e into one of p's links. p is up (or being
 * flushed by the loop under p->mu). */
static erg_err_t put_frame(erg__peer_t *p, const erg__pend_t *e, char *why,
                           size_t whylen) {
    erg__net_t *net = p->net;
    const erg_codec_desc_t *to_desc = NULL;
    const void *value = NULL;
    void *conv = NULL;
    erg__vtype_t *vt = NULL, *to_vt = NULL;
    erg_err_t rv = ERG_OK;
    why[0] = '\0';
    /* The cheap refusal before any conversion. */
    if ((e->kind == ERG__FRAME_MSG || e->kind == ERG__FRAME_CALL) &&
        (e->flags & ERG__ENV_IMPORTANT) &&
        !(p->flags & ERG_NET_ALLOW_IMPORTANT)) {
        snprintf(why, whylen, "node %s does not allow important delivery",
                 p->name);
        return ERG_ENOTSUP;
    }
    if (e->msg != NULL) {
        const erg_codec_desc_t *desc = erg_typed_msg_desc(e->msg);
        if (desc != NULL) {
            value = erg_typed_msg_value(e->msg);
            vt = erg__vtable_by_desc(&net->types, desc);
            rv = erg__version_pick(&net->types, &p->types, p->name, desc, vt,
                                   value, &to_vt, &conv, why, whylen);
            to_desc = to_vt != NULL ? to_vt->desc : NULL;
            if (rv != ERG_OK) {
                if (vt != NULL)
                    atomic_fetch_add(&vt->refused, 1);
                return rv;
            }
        } else if (erg_msg_type(e->msg) != NULL) {
            snprintf(why, whylen,
                     "only typed messages (made by erg_typed_msg_new) and "
                     "untyped byte messages (type NULL) can go to node %s",
                     p->name);
            return ERG_ENOTSUP;
        }
    }
    /* The frame's head: its control value, the pid whose link it takes
     * (one sender's frames keep their order), and whether it is a data
     * frame that a user message may follow. */
    union {
        erg_net_envelope_v1_t env;
        erg_net_reply_v1_t reply;
        erg_net_publish_v1_t pub;
        erg_net_watch_v1_t watch;
        erg_net_down_v1_t down;
        erg_net_exit_v1_t exit;
    } u;
    memset(&u, 0, sizeof(u));
    char n1[256], n2[256], n3[256];
    const erg_codec_desc_t *head_desc = e->ctl_desc;
    const void *head = e->ctl;
    erg_pid_t key = e->from;
    bool data = false, with_msg = e->msg != NULL, capped = true;
    switch (e->kind) {
    case ERG__FRAME_MSG:
    case ERG__FRAME_CALL:
        u.env.from = wire_pid(net, p, e->from, n1);
        wire_target(net, p, e->target, n2, &u.env.to);
        u.env.ref = wire_ref(net, p, e->ref.node, e->ref.creation, e->ref.id,
                                  n3);
        u.env.priority = e->prio;
        u.env.flags = e->flags;
        head_desc = &erg_net_envelope_v1_desc;
        head = &u.env;
        data = true;
        break;
    case ERG__FRAME_REPLY:
        u.reply.to = wire_pid(net, p, e->target.pid, n1);
        u.reply.ref = wire_ref(net, p, e->ref.node, e->ref.creation,
                                    e->ref.id, n2);
        u.reply.code = e->code;
        head_desc = &erg_net_reply_v1_desc;
        head = &u.reply;
        key = e->target.pid;
        data = true;
        break;
    case ERG__FRAME_PUBLISH:
        u.pub.event_name = (erg_str_t){e->target.name, strlen(e->target.name)};
        u.pub.producer = wire_pid(net, p, e->from, n1);
        u.pub.time = e->ref.deadline_ms;
        head_desc = &erg_net_publish_v1_desc;
        head = &u.pub;
        data = true;
        break;
    case ERG__FRAME_SPAWN:
        data = true;
        break;
    case ERG__FRAME_SPAWNED:
    case ERG__FRAME_APP:
    case ERG__FRAME_APP_INFO:
        break;
    case ERG__FRAME_WATCH:
        u.watch.owner = wire_pid(net, p, e->from, n1);
        wire_target(net, p, e->target, n2, &u.watch.target);
        u.watch.ref = wire_ref(net, p, e->ref.node, e->ref.creation,
                                    e->ref.id, n3);
        u.watch.link = (e->flags & ERG__WATCH_F_LINK) != 0;
        u.watch.remove = (e->flags & ERG__WATCH_F_REMOVE) != 0;
        head_desc = &erg_net_watch_v1_desc;
        head = &u.watch;
        capped = false; /* bookkeeping must not be lost to back-pressure */
        break;
    case ERG__FRAME_DOWN:
        u.down.owner = wire_pid(net, p, e->target.pid, n1);
        u.down.ref = wire_ref(net, p, e->ref.node, e->ref.creation,
                                   e->ref.id, n2);
        u.down.from = wire_pid(net, p, e->from, n3);
        u.down.link = (e->flags & ERG__WATCH_F_LINK) != 0;
        u.down.reason = e->code;
        head_desc = &erg_net_down_v1_desc;
        head = &u.down;
        capped = false;
        break;
    default: /* ERG__FRAME_EXIT */
        u.exit.from = wire_pid(net, p, e->from, n1);
        u.exit.to = wire_pid(net, p, e->target.pid, n2);
        u.exit.reason = e->code;
        head_desc = &erg_net_exit_v1_desc;
        head = &u.exit;
        capped = false;
        break;
    }
    /* Tracked before the frame can leave: an answer may come back before
     * this function returns. */
    bool answered = expects_answer(e);
    if (answered)
        track(p, e->ref.id, e->from);
    erg__link_t *l = pick_link(p, key);
    pthread_mutex_lock(&l->mu);
    erg__buf_t *b = &l->out;
    size_t before = b->len;
    if (capped && b->len > net->opts.link_buffer)
        rv = ERG_EBUSY;
    else if (data)
        rv = erg__frame_put_data(
            b, e->kind, head_desc, head, to_desc, conv != NULL ? conv : value,
            e->msg != NULL ? erg_msg_data(e->msg) : NULL,
            e->msg != NULL ? erg_msg_size(e->msg) : 0, with_msg,
            p->max_message);
    else
        rv = erg__frame_put_ctl(b, e->kind, head_desc, head);
    if (rv == ERG_OK && b->len - before > (size_t)p->max_message + 64) {
        b->len = before;
        rv = ERG_ETOOBIG;
    }
    bool kick = rv == ERG_OK && erg__link_write_now(l, before);
    pthread_mutex_unlock(&l->mu);
    if (conv != NULL)
        erg_codec_free(to_desc, conv);
    if (rv == ERG_ETOOBIG)
        snprintf(why, whylen, "a frame over the %u-byte limit of node %s",
                 (unsigned)p->max_message, p->name);
    else if (rv == ERG_EBUSY)
        snprintf(why, whylen,
                 "the link to node %s holds over %zu unsent bytes",
                 p->name, net->opts.link_buffer);
    if (rv != ERG_OK) {
        if (answered)
            erg__remote_untrack(p, e->ref.id);
        /* A full link buffer is back-pressure the sender retries, not a
         * refusal of the message. */
        if (vt != NULL && rv != ERG_EBUSY)
            atomic_fetch_add(&vt->refused, 1);
        return rv;
    }
    if (kick)
        erg__link_kick(l); /* the first frame of a batch wakes the loop */
    if (to_vt != NULL) {
        atomic_fetch_add_explicit(&to_vt->sent, 1, memory_order_relaxed);
        if (to_vt != vt)
            atomic_fetch_add_explicit(&vt->converted, 1,
                                      memory_order_relaxed);
    }
    return ERG_OK;
}

void erg__remote_fail_inflight(erg__peer_t *p) {
    erg_node_t *node = p->net->node;
    pthread_mutex_lock(&p->inflight_mu);
    erg__hmap_t taken = p->inflight;
    erg__hmap_init(&p->inflight);
    pthread_mutex_unlock(&p->inflight_mu);
    for (size_t i = 0; i < taken.cap; i++) {
        erg__hmap_entry_t *e = &taken.slots[i];
        if (e->hash == 0)
            continue;
        erg_pid_t *caller = e->val;
        erg_ref_t ref = {node->hash, node->creation, e->ikey, 0};
        erg__respond(node, *caller, ref, NULL, ERG_ENOCONN);
        erg__free(caller);
    }
    erg__hmap_fini(&taken);
}

void erg__remote_fail_pending(erg__net_t *net, erg__pend_t *e, erg_err_t err,
                              const char *why) {
    erg_node_t *node = net->node;
    if (expects_answer(e))
        erg__respond(node, e->from, e->ref, NULL, err);
    else if (e->kind == ERG__FRAME_MSG)
        erg__node_logf(node, ERG_LOG_WARNING,
                       "a message to a process on another node was lost: "
                       "%s (%s)",
                       why, erg_err_name(err));
    erg_msg_release(e->msg);
    erg__free(e);
}

void erg__remote_flush_pending(erg__peer_t *p) {
    erg__pend_t *e = p->pending;
    p->pending = NULL;
    p->pending_tail = &p->pending;
    while (e != NULL) {
        erg__pend_t *next = e->next;
        char why[512];
        erg_err_t rv = put_frame(p, e, why, sizeof(why));
        if (rv != ERG_OK) {
            erg__node_logf(p->net->node, ERG_LOG_WARNING, "%s", why);
            erg__remote_fail_pending(p->net, e, rv, why);
        } else {
            erg_msg_release(e->msg);
            erg__free(e);
        }
        e = next;
    }
}

/* Queues a copy of e on p, which is connecting; under p->mu. */
static erg_err_t queue(erg__peer_t *p, const erg__pend_t *e) {
    size_t nl = e->target.name != NULL ? strlen(e->target.name) + 1 : 0;
    erg__pend_t *q = erg__malloc(sizeof(*q) + nl);
    if (q == NULL)
        return ERG_ENOMEM;
    *q = *e;
    q->next = NULL;
    if (nl != 0) {
        memcpy(q->name, e->target.name, nl);
        q->target.name = q->name;
    }
    q->target.node_name = NULL;
    *p->pending_tail = q;
    p->pending_tail = &q->next;
    return ERG_OK;
}

/* Sends e over p if it is up, or queues it while p connects (the state is
 * rechecked under p->mu, where the loop flushes the queue and marks p up,
 * so nothing overtakes what was queued). ERG_ECLOSED: p is down. */
/*
 * Sends e over p: at once when p is up (errors come back here), or queued
 * while it connects (errors then take the failed-send path: an error
 * answer for a request that expects one, a warning for a plain message).
 * e->msg's reference is taken on ERG_OK.
 */
static erg_err_t send_or_queue(erg__peer_t *p, erg__pend_t *e) {
    if (atomic_load_explicit(&p->state, memory_order_acquire) !=
        ERG__PEER_UP) {
        pthread_mutex_lock(&p->mu);
        int st = atomic_load(&p->state);
        /* A borrowed control value (e->ctl, on its sender's stack) is
         * never queued: such a request fails rather than outlive it. */
        erg_err_t rv = st == ERG__PEER_DOWN ? ERG_ECLOSED
                       : st == ERG__PEER_UP ? ERG_OK
                       : e->ctl != NULL     ? ERG_ENOCONN
                                            : queue(p, e);
        pthread_mutex_unlock(&p->mu);
        if (st != ERG__PEER_UP)
            return rv;
    }
    char why[512];
    erg_err_t rv = put_frame(p, e, why, sizeof(why));
    if (rv != ERG_OK)
        erg__node_logf(p->net->node,
                       rv == ERG_EBUSY ? ERG_LOG_DEBUG : ERG_LOG_WARNING, "%s",
                       why);
    else
        erg_msg_release(e->msg); /* the frame holds the bytes */
    return rv;
}

erg_err_t erg__remote_route(erg_node_t *node, uint32_t hash,
                            const char *name_hint, erg__pend_t *e,
                            bool dial) {
    erg__net_t *net = node->net;
    if (net == NULL) {
        erg__node_logf(node, ERG_LOG_WARNING,
                       "a process on another node was addressed, and this "
                       "node has no network (erg_net_start)");
        return ERG_ENOCONN;
    }
    /* A peer found down is stale (it was just dropped): looking again
     * dials a new one. */
    for (int attempt = 0; attempt < 2; attempt++) {
        erg__peer_t *p;
        erg_err_t rv = dial ? erg__net_peer(net, hash, name_hint, &p)
                            : erg__net_peer_existing(net, hash, &p);
        if (rv != ERG_OK)
            return rv;
        rv = send_or_queue(p, e);
        erg__peer_release(p);
        if (rv != ERG_ECLOSED)
            return rv;
    }
    return ERG_ENOCONN;
}

erg_err_t erg__net_deliver(erg_node_t *node, erg_pid_t from,
                           erg_target_t target, erg_msg_t *msg,
                           erg_priority_t prio, bool call, bool important,
                           erg_ref_t ref) {
    if (target.kind == ERG_TARGET_NAME && target.name == NULL)
        return ERG_EINVAL;
    if (target.kind != ERG_TARGET_PID && target.kind != ERG_TARGET_NAME &&
        target.kind != ERG_TARGET_ALIAS)
        return ERG_EINVAL;
    erg__pend_t e = {0};
    e.kind = call ? ERG__FRAME_CALL : ERG__FRAME_MSG;
    e.from = from;
    e.target = target;
    e.msg = msg;
    e.ref = ref;
    e.prio = (uint8_t)prio;
    e.flags = important ? ERG__ENV_IMPORTANT : 0;
    return erg__remote_route(node, erg__target_node(target), target.node_name, &e,
                             true);
}

erg_err_t erg__net_respond(erg_node_t *node, erg_pid_t to, erg_ref_t ref,
                           erg_msg_t *msg, erg_err_t status) {
    erg__pend_t e = {0};
    e.kind = ERG__FRAME_REPLY;
    e.target = erg_to_pid(to);
    e.msg = status == ERG_OK ? msg : NULL;
    e.ref = ref;
    e.code = status;
    erg_err_t rv = erg__remote_route(node, to.node, NULL, &e, true);
    if (rv == ERG_OK && status != ERG_OK)
        erg_msg_release(msg);
    return rv;
}

erg_err_t erg__net_exit(erg_node_t *node, erg_pid_t from, erg_pid_t to,
                        erg_reason_t reason) {
    erg__pend_t e = {0};
    e.kind = ERG__FRAME_EXIT;
    e.from = from;
    e.target = erg_to_pid(to);
    e.code = reason;
    return erg__remote_route(node, to.node, NULL, &e, true);
}

erg_err_t erg__net_convert(erg_node_t *node, const erg_msg_t *msg,
                           const erg_codec_desc_t *to, erg_msg_t **out) {
    const erg_codec_desc_t *from = erg_typed_msg_desc(msg);
    erg__vtype_t *vt = node->net != NULL && from != NULL
                           ? erg__vtable_by_desc(&node->net->types, from)
                           : NULL;
    if (vt == NULL || to == NULL || from->wire_id != to->wire_id)
        return ERG_EVERSION;
    void *conv;
    erg_err_t rv = erg_codec_convert(vt->reg, from, to,
                                     erg_typed_msg_value(msg), &conv);
    if (rv != ERG_OK)
        return rv;
    rv = erg__typed_msg_adopt(to, conv, out);
    if (rv != ERG_OK)
        erg_codec_free(to, conv);
    return rv;
}

erg_err_t erg__net_adapt(erg_node_t *node, const erg_behavior_t *beh,
                         const erg_msg_t *msg, erg_msg_t **out) {
    if (node->net == NULL || beh->accept != erg_typed_accept ||
        beh->accept_table == NULL)
        return ERG_ENOTACCEPTED;
    const erg_typed_actor_t *ta = beh->accept_table;
    erg_err_t rv = erg__version_adapt(&node->net->types, ta->dispatch, msg,
                                      out);
    if (rv == ERG_OK) {
        erg__vtype_t *vt =
            erg__vtable_by_desc(&node->net->types, erg_typed_msg_desc(msg));
        if (vt != NULL)
            atomic_fetch_add_explicit(&vt->converted, 1,
                                      memory_order_relaxed);
    }
    return rv;
}

/* ---- receiving (loop thread) ---------------------------------------------- */

/* Sends a Reply with code back over the link a frame came on. */
static void answer(erg__link_t *l, const erg_wire_pid_t *to,
                   const erg_wire_ref_t *ref, erg_err_t code,
                   const char *reason) {
    erg_net_reply_v1_t r = {*to, *ref, code,
                            {reason, reason != NULL ? strlen(reason) : 0}};
    if (r.reason.len > 1024)
        r.reason.len = 1024;
    pthread_mutex_lock(&l->mu);
    size_t before = l->out.len;
    erg_err_t rv = erg__frame_put_data(&l->out, ERG__FRAME_REPLY,
                                       &erg_net_reply_v1_desc, &r, NULL, NULL,
                                       NULL, 0, false, SIZE_MAX);
    pthread_mutex_unlock(&l->mu);
    if (rv == ERG_OK && before == 0)
        erg__link_kick(l);
}

/* Makes the message a data or publish frame carries. */
erg_err_t erg__remote_take_msg(erg__link_t *l, const erg__data_t *d,
                               erg_msg_t **out, erg__vtype_t **vtp, char *why,
                               size_t whylen) {
    erg__net_t *net = l->net;
    *vtp = NULL;
    if (!d->has_msg) {
        snprintf(why, whylen, "a data frame without a message");
        return ERG_EDECODE;
    }
    if (d->msg.wire_id == 0 && d->msg.version == 0)
        return erg_msg_new_copy(NULL, d->body, d->body_len, out);
    erg__vtype_t *vt =
        erg__vtable_by_wire(&net->types, d->msg.wire_id, d->msg.version);
    if (vt == NULL) {
        snprintf(why, whylen,
                 "node %s sent a message version this node does not know "
                 "(wire id %016llx v%u)",
                 l->peer->name, (unsigned long long)d->msg.wire_id,
                 (unsigned)d->msg.version);
        return ERG_EVERSION;
    }
    *vtp = vt;
    const erg__pver_t *pv =
        erg__ptable_find(&l->peer->types, d->msg.wire_id, d->msg.version);
    if (pv == NULL || pv->mismatch) {
        snprintf(why, whylen,
                 "%s v%u from node %s is refused on this link (%s)",
                 vt->desc->name, (unsigned)vt->desc->version, l->peer->name,
                 pv == NULL ? "not advertised" : "fingerprints differ");
        return pv == NULL ? ERG_EVERSION : ERG_EFINGERPRINT;
    }
    void *value;
    erg_err_t rv = erg_codec_decode(vt->desc, d->body, d->body_len, &value);
    if (rv != ERG_OK) {
        snprintf(why, whylen, "%s v%u from node %s does not decode: %s",
                 vt->desc->name, (unsigned)vt->desc->version, l->peer->name,
                 erg_strerror(rv));
        return rv;
    }
    rv = erg__typed_msg_adopt(vt->desc, value, out);
    if (rv != ERG_OK)
        erg_codec_free(vt->desc, value);
    return rv;
}

/* The local target an envelope names: false if it is not on this node. */
static bool local_target(erg__net_t *net, const erg_net_target_t *t,
                         erg_target_t *out) {
    switch (t->tag) {
    case ERG_NET_TARGET_PID:
        *out = erg_to_pid(erg__pid_from_wire(net, &t->u.pid));
        return out->pid.node == net->node->hash;
    case ERG_NET_TARGET_NAME:
        *out = erg_to_name(t->u.name.ptr);
        return true;
    case ERG_NET_TARGET_ALIAS: {
        erg_ref_t r = erg__ref_from_wire(&t->u.alias);
        *out = erg_to_alias((erg_alias_t){r.node, r.creation, r.id});
        return r.node == net->node->hash;
    }
    default: /* an event takes links and monitors, not messages */
        return false;
    }
}

static bool on_data(erg__link_t *l, const erg__frame_t *f) {
    erg__net_t *net = l->net;
    erg_node_t *node = net->node;
    erg__data_t d;
    erg_net_envelope_v1_t *env = NULL;
    if (erg__data_split(f->payload, f->len, &d) != ERG_OK ||
        erg_codec_decode(&erg_net_envelope_v1_desc, d.head, d.head_len,
                         (void **)&env) != ERG_OK)
        return false;
    bool ok = false;
    erg_pid_t from = erg__pid_from_wire(net, &env->from);
    if (from.node != l->peer->hash)
        goto out; /* a peer speaks only for its own processes */
    bool call = f->kind == ERG__FRAME_CALL;
    bool important = (env->flags & ERG__ENV_IMPORTANT) != 0;
    bool answers = call || important;
    char why[600] = "";
    erg_target_t target;
    erg_msg_t *msg = NULL;
    erg__vtype_t *vt = NULL;
    erg_err_t rv;
    if (!local_target(net, &env->to, &target)) {
        rv = ERG_ENOPROC;
        snprintf(why, sizeof(why), "the target is not on this node");
    } else {
        rv = erg__remote_take_msg(l, &d, &msg, &vt, why, sizeof(why));
    }
    if (rv == ERG_OK) {
        if (vt != NULL)
            atomic_fetch_add_explicit(&vt->received, 1, memory_order_relaxed);
        erg_priority_t prio = env->priority <= ERG_PRIORITY_MAX
                                  ? (erg_priority_t)env->priority
                                  : ERG_PRIORITY_NORMAL;
        rv = erg__deliver(node, NULL, from, target, msg, prio,
                          call ? ERG__MAIL_CALL : ERG__MAIL_MSG,
                          erg__ref_from_wire(&env->ref));
        if (rv != ERG_OK) {
            erg_msg_release(msg);
            snprintf(why, sizeof(why), "delivery from node %s failed: %s",
                     l->peer->name, erg_strerror(rv));
            if (vt != NULL && rv == ERG_ENOTACCEPTED)
                atomic_fetch_add_explicit(&vt->refused, 1,
                                          memory_order_relaxed);
        }
    } else if (vt != NULL) {
        atomic_fetch_add_explicit(&vt->refused, 1, memory_order_relaxed);
    }
    if (rv != ERG_OK)
        erg__node_logf(node, answers ? ERG_LOG_DEBUG : ERG_LOG_WARNING,
                       "refused a message from node %s: %s (%s)",
                       l->peer->name, why, erg_err_name(rv));
    if (answers && (rv != ERG_OK || important))
        answer(l, &env->from, &env->ref, rv, rv != ERG_OK ? why : NULL);
    ok = true;
out:
    erg_codec_free(&erg_net_envelope_v1_desc, env);
    return ok;
}

static bool on_reply(erg__link_t *l, const erg__frame_t *f) {
    erg__net_t *net = l->net;
    erg__data_t d;
    erg_net_reply_v1_t *r = NULL;
    if (erg__data_split(f->payload, f->len, &d) != ERG_OK ||
        erg_codec_decode(&erg_net_reply_v1_desc, d.head, d.head_len,
                         (void **)&r) != ERG_OK)
        return false;
    erg_pid_t to = erg__pid_from_wire(net, &r->to);
    erg_err_t code = r->code < 0 && r->code > -1000 ? (erg_err_t)r->code
                     : r->code == 0                 ? ERG_OK
                                                    : ERG_EPEER;
    erg_msg_t *msg = NULL;
    if (code == ERG_OK && d.has_msg) {
        char why[600];
        erg__vtype_t *vt;
        code = erg__remote_take_msg(l, &d, &msg, &vt, why, sizeof(why));
        if (code != ERG_OK)
            erg__node_logf(net->node, ERG_LOG_WARNING, "a reply was refused: %s",
                           why);
        else if (vt != NULL)
            atomic_fetch_add_explicit(&vt->received, 1, memory_order_relaxed);
    } else if (code != ERG_OK && r->reason.len != 0) {
        erg__node_logf(net->node, ERG_LOG_DEBUG, "node %s answered %s: %s",
                       l->peer->name, erg_err_name(code), r->reason.ptr);
    }
    erg_ref_t ref = erg__ref_from_wire(&r->ref);
    erg__remote_untrack(l->peer, ref.id);
    if (to.node == net->node->hash)
        erg__respond(net->node, to, ref, msg, code);
    else
        erg_msg_release(msg);
    erg_codec_free(&erg_net_reply_v1_desc, r);
    return true;
}

static bool on_exit(erg__link_t *l, const erg__frame_t *f) {
    erg__net_t *net = l->net;
    erg_net_exit_v1_t *x = NULL;
    if (erg_codec_decode(&erg_net_exit_v1_desc, f->payload, f->len,
                         (void **)&x) != ERG_OK)
        return false;
    erg_pid_t from = erg__pid_from_wire(net, &x->from);
    erg_pid_t to = erg__pid_from_wire(net, &x->to);
    bool ok = from.node == l->peer->hash;
    if (ok && to.node == net->node->hash)
        erg__send_exit(net->node, from, to, x->reason);
    erg_codec_free(&erg_net_exit_v1_desc, x);
    return ok;
}

bool erg__remote_frame(erg__link_t *l, const erg__frame_t *f) {
    switch (f->kind) {
    case ERG__FRAME_MSG:
    case ERG__FRAME_CALL:
        return on_data(l, f);
    case ERG__FRAME_REPLY:
        return on_reply(l, f);
    case ERG__FRAME_EXIT:
        return on_exit(l, f);
    case ERG__FRAME_WATCH:
        return erg__watch_frame(l, f);
    case ERG__FRAME_DOWN:
        return erg__down_frame(l, f);
    case ERG__FRAME_PUBLISH:
        return erg__publish_frame(l, f);
    case ERG__FRAME_SPAWN:
        return erg__spawn_frame(l, f);
    case ERG__FRAME_SPAWNED:
        return erg__spawned_frame(l, f);
    case ERG__FRAME_APP:
        return erg__app_frame(l, f);
    case ERG__FRAME_APP_INFO:
        return erg__app_info_frame(l, f);
    default:
        return false;
    }
}

