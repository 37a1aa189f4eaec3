/* SPDX-License-Identifier: MIT */
/* msg.h: the message header and the mail envelope that carries it. */
#ifndef ERG_CORE_MSG_H
#define ERG_CORE_MSG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/mailbox.h"
#include "erg/msg.h"

/* What a mail item asks its process to do. */
typedef enum erg__mail_kind_e {
    ERG__MAIL_MSG = 0,     /* ordinary message: handle_message */
    ERG__MAIL_CALL,        /* call request: handle_call, ref */
    ERG__MAIL_RESPONSE,    /* response to an erg_request: status, msg */
    ERG__MAIL_REQ_TIMEOUT, /* an erg_request timed out: ref */
    ERG__MAIL_EXIT,        /* exit signal: msg is an erg_exit_t */
    ERG__MAIL_DOWN,        /* monitor fired: msg is an erg_down_t */
    ERG__MAIL_KILL,        /* wake-up of a killed process */
    ERG__MAIL_EVENT,       /* published event: msg, ptr = the event */
    ERG__MAIL_INSPECT      /* inspect request: ref */
} erg__mail_kind_t;

/*
 * A mail item: one delivery of (at most) one message into one mailbox. A
 * message may be in many mailboxes at once (fan-out, or a retained message
 * sent again), so the mailbox node cannot live in the message itself. Each
 * message embeds one mail item for its first delivery, which keeps the
 * common send at one allocation; further concurrent deliveries allocate.
 */
typedef struct erg__mail_s {
    erg__mailbox_node_t node;
    uint8_t kind;
    erg_err_t status;
    erg_pid_t from;
    erg_ref_t ref;
    erg_msg_t *msg; /* one reference, or NULL */
    void *ptr;
} erg__mail_t;

struct erg_msg_s {
    erg__mail_t mail;    /* the embedded first delivery */
    atomic_bool mail_in_use;
    atomic_uint refs;
    const void *type;
    size_t size;
    /* Releases what the payload holds (runtime messages only). */
    void (*dtor)(erg_msg_t *msg);
    bool pooled; /* a block of the message pool, returned there */
    max_align_t data[];
};

/*
 * erg__mail_new returns a mail item of kind carrying msg (may be NULL),
 * taking no reference: the caller's reference moves into the mail when the
 * mail is pushed. NULL on ENOMEM. Thread-safe.
 */
erg__mail_t *erg__mail_new(erg__mail_kind_t kind, erg_msg_t *msg);

/* erg__mail_free releases the mail's message reference and the mail. */
void erg__mail_free(erg__mail_t *mail);

/* erg__mail_discard frees the mail but not the message reference, for a
 * push that failed (the sender keeps its message). */
void erg__mail_discard(erg__mail_t *mail);

/*
 * The message pool: blocks for payloads up to ERG__MSG_POOL_PAYLOAD bytes are
 * kept in per-thread caches that trade batches through a global list, so a
 * message costs no malloc in steady state, even when one thread allocates
 * and another frees. Each running node holds the pool; when the last node
 * stops, the pool's blocks go back to the allocator (so erg holds no memory
 * between nodes). erg__msg_pool_retain/_release are called by node start
 * and by the very end of node stop, after its threads have exited; release
 * also empties the calling thread's cache. Thread-safe.
 */
#define ERG__MSG_POOL_PAYLOAD 64
void erg__msg_pool_retain(void);
void erg__msg_pool_release(void);

/* erg__msg_is_runtime: msg has one of the runtime's own ERG_TYPE_* types. */
bool erg__msg_is_runtime(const erg_msg_t *m);

/* erg__msg_new_sys allocates a runtime message with extra bytes of payload
 * beyond size for strings, and a destructor. */
erg_err_t erg__msg_new_sys(const void *type, size_t size, size_t extra,
                           void (*dtor)(erg_msg_t *), erg_msg_t **out);

#endif /* ERG_CORE_MSG_H */
