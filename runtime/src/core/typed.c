/* SPDX-License-Identifier: MIT */
/* typed.c: typed messages and the behaviour of actors declared in schemas. */
#include "erg/typed.h"

#include <stdalign.h>
#include <string.h>

#include "core/actor.h"
#include "core/msg.h"
#include "core/typed.h"
#include "net/remote.h"
#include "erg/event.h"
#include "util/alloc.h"

/* ---- typed messages ------------------------------------------------------ */

/* The payload is the pointer to the one-block copy; the message's type is
 * the descriptor, so the destructor knows how to free it. The destructor
 * also marks the message as typed: a message someone built with
 * erg_msg_new and a descriptor as its type is not one. */
static void typed_dtor(erg_msg_t *msg) {
    void **slot = erg_msg_data(msg);
    erg_codec_free(msg->type, *slot);
}

erg_err_t erg_typed_msg_new(const erg_codec_desc_t *desc, const void *value,
                            erg_msg_t **out) {
    if (out == NULL)
        return ERG_EINVAL;
    *out = NULL;
    if (desc == NULL || desc->magic != ERG_CODEC_MAGIC ||
        desc->kind != ERG_CODEC_MESSAGE || value == NULL)
        return ERG_EINVAL;
    void *copy;
    erg_err_t rv = erg_codec_copy(desc, value, &copy);
    if (rv != ERG_OK)
        return rv;
    erg_msg_t *m;
    rv = erg__msg_new_sys(desc, sizeof(void *), 0, typed_dtor, &m);
    if (rv != ERG_OK) {
        erg_codec_free(desc, copy);
        return rv;
    }
    *(void **)erg_msg_data(m) = copy;
    *out = m;
    return ERG_OK;
}

const erg_codec_desc_t *erg_typed_msg_desc(const erg_msg_t *msg) {
    if (msg == NULL || msg->dtor != typed_dtor)
        return NULL;
    return msg->type;
}

const void *erg_typed_msg_value(const erg_msg_t *msg) {
    if (erg_typed_msg_desc(msg) == NULL)
        return NULL;
    return *(void *const *)erg_msg_data(msg);
}

/* ---- the behaviour ------------------------------------------------------- */

static const erg_codec_dispatch_t *row_of(const erg_typed_actor_t *ta,
                                          const erg_msg_t *msg) {
    const erg_codec_desc_t *d = erg_typed_msg_desc(msg);
    if (d == NULL)
        return NULL;
    return erg_codec_dispatch_find(ta->dispatch, d->wire_id, d->version);
}

erg_err_t erg_typed_accept(const void *table, const erg_msg_t *msg,
                           bool call, erg_msg_t **out) {
    const erg_typed_actor_t *ta = table;
    *out = NULL;
    const erg_codec_dispatch_t *row = row_of(ta, msg);
    /* A call's version sent as a message would have nobody to answer, and
     * a cast's sent as a call no handler to reply: both are refused. */
    if (row == NULL ||
        row->verb != (call ? ERG_CODEC_CALL : ERG_CODEC_CAST))
        return ERG_ENOTACCEPTED;
    return ERG_OK;
}

erg_proc_t *erg_typed_self(void) {
    return erg__current();
}

static const erg_typed_actor_t *typed_of(erg_proc_t *self) {
    return self->beh->accept_table;
}

/* What a cast or event handler's status means for the process. */
static erg_reason_t after_handler(erg_proc_t *self,
                                  const erg_codec_desc_t *d, erg_err_t rv) {
    if (rv == ERG_OK)
        return ERG_REASON_NONE;
    if (rv == ERG_EVERSION) {
        erg_log(self, ERG_LOG_WARNING, "%s v%u does not fit the version "
                "its handler takes; dropped", d->name, (unsigned)d->version);
        return ERG_REASON_NONE;
    }
    return (erg_reason_t)rv;
}

erg_reason_t erg_typed_handle_message(erg_proc_t *self, erg_pid_t from,
                                      erg_msg_t *msg) {
    const erg_typed_actor_t *ta = typed_of(self);
    const erg_codec_dispatch_t *row = row_of(ta, msg);
    if (row == NULL) {
        /* The accept hook let only runtime messages through untyped. */
        if (ta->handle_system != NULL)
            return ta->handle_system(self, from, msg);
        return ERG_REASON_NONE;
    }
    if (row->verb != ERG_CODEC_CAST) {
        erg_log(self, ERG_LOG_WARNING, "%s v%u is a call, sent as a cast; "
                "dropped", row->msg->name, (unsigned)row->msg->version);
        return ERG_REASON_NONE;
    }
    erg_err_t rv = row->shim(ta->handlers, erg_proc_state(self),
                             erg_typed_msg_value(msg), NULL);
    return after_handler(self, row->msg, rv);
}

erg_reason_t erg_typed_handle_call(erg_proc_t *self, erg_pid_t from,
                                   erg_ref_t ref, erg_msg_t *request,
                                   erg_msg_t **reply) {
    const erg_typed_actor_t *ta = typed_of(self);
    const erg_codec_dispatch_t *row = row_of(ta, request);
    if (row == NULL || row->verb != ERG_CODEC_CALL || row->reply == NULL) {
        erg_reply_error(self, from, ref, ERG_ENOTACCEPTED);
        return ERG_REASON_NONE;
    }
    /* Reply storage: most responses are small enough for the stack. */
    enum { LOCAL = 512 };
    alignas(max_align_t) unsigned char local[LOCAL];
    size_t size = row->reply->size;
    void *out = size <= LOCAL ? (void *)local : erg__malloc(size);
    if (out == NULL) {
        erg_reply_error(self, from, ref, ERG_ENOMEM);
        return ERG_REASON_NONE;
    }
    memset(out, 0, size);
    erg_err_t rv = row->shim(ta->handlers, erg_proc_state(self),
                             erg_typed_msg_value(request), out);
    erg_msg_t *m = NULL;
    if (rv == ERG_OK)
        rv = erg_typed_msg_new(row->reply, out, &m);
    if (out != (void *)local)
        erg__free(out);
    if (rv != ERG_OK)
        erg_reply_error(self, from, ref, rv);
    else
        *reply = m;
    return ERG_REASON_NONE;
}

erg_reason_t erg_typed_handle_event(erg_proc_t *self,
                                    const erg_event_msg_t *ev) {
    const erg_typed_actor_t *ta = typed_of(self);
    const erg_codec_dispatch_t *row = row_of(ta, ev->msg);
    if (row == NULL || row->verb != ERG_CODEC_SUBSCRIBE) {
        erg_log(self, ERG_LOG_DEBUG, "event %s: a payload this actor does "
                "not subscribe to; dropped", ev->event);
        return ERG_REASON_NONE;
    }
    erg_err_t rv = row->shim(ta->handlers, erg_proc_state(self),
                             erg_typed_msg_value(ev->msg), NULL);
    return after_handler(self, row->msg, rv);
}

/* ---- senders for the generated helpers ----------------------------------- */

static erg_node_t *sender_node(const erg_typed_sender_t *s) {
    return s->self != NULL ? erg_proc_node(s->self) : s->node;
}

static erg_err_t sender_cast(void *ctx, const erg_codec_desc_t *desc,
                             const void *msg, unsigned flags) {
    erg_typed_sender_t *s = ctx;
    erg_msg_t *m;
    erg_err_t rv = erg_typed_msg_new(desc, msg, &m);
    if (rv != ERG_OK)
        return rv;
    bool important = (flags & ERG_CODEC_IMPORTANT) != 0;
    if (s->target.kind == ERG_TARGET_EVENT)
        rv = erg_event_send(s->self, s->target.name, s->token, m);
    else if (s->self != NULL)
        rv = important ? erg_send_important(s->self, s->target, m)
                       : erg_send(s->self, s->target, m);
    else
        rv = important ? erg_node_send_important(s->node, s->target, m)
                       : erg_node_send(s->node, s->target, m, 0);
    if (rv != ERG_OK)
        erg_msg_release(m);
    return rv;
}

static erg_err_t sender_call(void *ctx, const erg_codec_desc_t *desc,
                             const void *msg, unsigned flags,
                             const erg_codec_desc_t *reply_desc,
                             void **reply) {
    erg_typed_sender_t *s = ctx;
    (void)flags;
    *reply = NULL;
    if (s->target.kind == ERG_TARGET_EVENT)
        return ERG_ENOTSUP;
    erg_msg_t *m;
    erg_err_t rv = erg_typed_msg_new(desc, msg, &m);
    if (rv != ERG_OK)
        return rv;
    erg_msg_t *r = NULL;
    rv = s->self != NULL ? erg_call(s->self, s->target, m, s->timeout_ms, &r)
                         : erg_node_call(s->node, s->target, m, s->timeout_ms,
                                         &r);
    if (rv != ERG_OK) {
        erg_msg_release(m);
        return rv;
    }
    const erg_codec_desc_t *got = erg_typed_msg_desc(r);
    if (got != reply_desc && got != NULL && reply_desc != NULL &&
        got->wire_id == reply_desc->wire_id) {
        /* Another version of the response (a remote replier's newer or
         * older one): converted to the one this caller's schema names. */
        erg_msg_t *conv;
        rv = erg__net_convert(sender_node(s), r, reply_desc, &conv);
        if (rv == ERG_OK) {
            erg_msg_release(r);
            r = conv;
            got = reply_desc;
        }
    }
    if (got != reply_desc)
        rv = ERG_EDECODE;
    else
        rv = erg_codec_copy(reply_desc, erg_typed_msg_value(r), reply);
    erg_msg_release(r);
    return rv;
}

void erg_typed_sender_init(erg_typed_sender_t *s, erg_proc_t *self,
                           erg_node_t *node, erg_target_t target,
                           uint32_t timeout_ms) {
    memset(s, 0, sizeof(*s));
    s->sender.ctx = s;
    s->sender.cast = sender_cast;
    s->sender.call = sender_call;
    s->self = self;
    s->node = node;
    s->target = target;
    s->timeout_ms = timeout_ms;
}

void erg_typed_sender_init_event(erg_typed_sender_t *s, erg_proc_t *self,
                                 const char *event, erg_ref_t token) {
    erg_typed_sender_init(s, self, NULL, erg_to_event(event), 0);
    s->token = token;
}

erg_err_t erg__typed_msg_adopt(const erg_codec_desc_t *desc, void *value,
                               erg_msg_t **out) {
    erg_msg_t *m;
    erg_err_t rv = erg__msg_new_sys(desc, sizeof(void *), 0, typed_dtor, &m);
    if (rv != ERG_OK)
        return rv;
    *(void **)erg_msg_data(m) = value;
    *out = m;
    return ERG_OK;
}
