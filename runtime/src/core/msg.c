/* SPDX-License-Identifier: MIT */
/* msg.c: refcounted messages and their mail envelopes. */
#include "core/msg.h"

#include <stdio.h>
#include <string.h>

#include "erg/err.h"
#include "util/alloc.h"

/* The runtime's message types: their addresses are the identity. */
const char erg_type_exit[] = "erg.exit";
const char erg_type_down[] = "erg.down";
const char erg_type_fallback[] = "erg.fallback";
const char erg_type_event_start[] = "erg.event_start";
const char erg_type_event_stop[] = "erg.event_stop";
const char erg_type_log[] = "erg.log";

erg_err_t erg__msg_new_sys(const void *type, size_t size, size_t extra,
                           void (*dtor)(erg_msg_t *), erg_msg_t **out) {
    if (size > SIZE_MAX / 2 || extra > SIZE_MAX / 2)
        return ERG_ETOOBIG;
    erg_msg_t *m = erg__malloc(sizeof(*m) + size + extra);
    if (m == NULL)
        return ERG_ENOMEM;
    memset(&m->mail, 0, sizeof(m->mail));
    atomic_init(&m->mail_in_use, false);
    atomic_init(&m->refs, 1);
    m->type = type;
    m->size = size;
    m->dtor = dtor;
    memset(m->data, 0, size + extra);
    *out = m;
    return ERG_OK;
}

erg_err_t erg_msg_new(const void *type, size_t size, erg_msg_t **out) {
    if (out == NULL)
        return ERG_EINVAL;
    return erg__msg_new_sys(type, size, 0, NULL, out);
}

erg_err_t erg_msg_new_copy(const void *type, const void *data, size_t size,
                           erg_msg_t **out) {
    if (out == NULL || (data == NULL && size != 0))
        return ERG_EINVAL;
    erg_err_t rv = erg__msg_new_sys(type, size, 0, NULL, out);
    if (rv == ERG_OK && size != 0)
        memcpy((*out)->data, data, size);
    return rv;
}

void erg_msg_retain(erg_msg_t *msg) {
    atomic_fetch_add_explicit(&msg->refs, 1, memory_order_relaxed);
}

void erg_msg_release(erg_msg_t *msg) {
    if (msg == NULL)
        return;
    /* acq_rel: the last releaser sees every other holder's writes. */
    if (atomic_fetch_sub_explicit(&msg->refs, 1, memory_order_acq_rel) != 1)
        return;
    if (msg->dtor != NULL)
        msg->dtor(msg);
    erg__free(msg);
}

const void *erg_msg_type(const erg_msg_t *msg) {
    return msg->type;
}

void *erg_msg_data(const erg_msg_t *msg) {
    return (void *)msg->data;
}

size_t erg_msg_size(const erg_msg_t *msg) {
    return msg->size;
}

erg__mail_t *erg__mail_new(erg__mail_kind_t kind, erg_msg_t *msg) {
    erg__mail_t *mail = NULL;
    /* The embedded envelope serves one delivery at a time. */
    if (msg != NULL && !atomic_exchange_explicit(&msg->mail_in_use, true,
                                                 memory_order_acquire))
        mail = &msg->mail;
    else if ((mail = erg__malloc(sizeof(*mail))) == NULL)
        return NULL;
    mail->node.next = NULL;
    mail->kind = (uint8_t)kind;
    mail->status = ERG_OK;
    mail->from = (erg_pid_t){0, 0, 0};
    mail->ref = (erg_ref_t){0, 0, 0, 0};
    mail->msg = msg;
    mail->ptr = NULL;
    return mail;
}

void erg__mail_discard(erg__mail_t *mail) {
    erg_msg_t *msg = mail->msg;
    if (msg != NULL && mail == &msg->mail)
        atomic_store_explicit(&msg->mail_in_use, false, memory_order_release);
    else
        erg__free(mail);
}

void erg__mail_free(erg__mail_t *mail) {
    erg_msg_t *msg = mail->msg;
    /* Give the envelope back before the reference that keeps msg alive. */
    erg__mail_discard(mail);
    erg_msg_release(msg);
}

const char *erg_reason_string(erg_reason_t reason, char *buf, size_t len) {
    switch (reason) {
    case ERG_REASON_NONE:
        return "none";
    case ERG_REASON_NORMAL:
        return "normal";
    case ERG_REASON_SHUTDOWN:
        return "shutdown";
    case ERG_REASON_KILL:
        return "kill";
    case ERG_REASON_PANIC:
        return "panic";
    default:
        break;
    }
    if (reason < 0)
        return erg_strerror((erg_err_t)reason);
    if (buf != NULL && len > 0)
        snprintf(buf, len, "user:%d", (int)(reason - ERG_REASON_USER));
    return buf != NULL ? buf : "user";
}
