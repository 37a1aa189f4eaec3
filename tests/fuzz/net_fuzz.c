/* SPDX-License-Identifier: MIT */
/* net_fuzz.c: libFuzzer harness over what a node does with the bytes a peer
 * sends before any of them reach a process: the preamble, frame boundaries
 * under both caps, the control messages, the data frames' split and heads
 * (MSG, CALL, REPLY, PUBLISH, SPAWN), the user message they carry, and the
 * peer's registry table. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "erg/control.h"
#include "erg/err.h"
#include "erg/net.h"
#include "erg/pid.h"
#include "net/auth.h"
#include "net/frame.h"
#include "net/versions.h"
#include "shop/payment.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The cap a link holds after authentication: the default largest message
 * and the room link.c leaves for the envelope. */
#define LARGE_CAP (ERG_NET_DEFAULT_MAX_MESSAGE + 64)

/* The registry the receiving node knows: the shop schema, so a peer's
 * Registry that names a shop version with another fingerprint takes the
 * mismatch path. Built once, kept for the process. */
static erg__vtable_t local;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    static const erg_codec_registry_t *const regs[] = {&shop_payment_registry};
    if (erg__vtable_init(&local, regs, 1) != ERG_OK) {
        fprintf(stderr, "net_fuzz: cannot build the local version table\n");
        abort();
    }
    return 0;
}

/* What one input has told so far, as a link would remember it. */
typedef struct state_s {
    char peer_name[256]; /* from a valid Hello, else empty */
    uint8_t peer_nonce[ERG__NONCE_SIZE];
    erg__ptable_t peer; /* from the last Registry */
    bool have_peer;
    unsigned mismatches;
} state_t;

/* Decoding is canonical (docs/wire-format.md): a value that decoded
 * encodes back to exactly the bytes it came from. */
static void check_canonical(const erg_codec_desc_t *desc, const void *value,
                            const uint8_t *in, size_t len) {
    size_t size;
    if (erg_codec_encoded_size(desc, value, &size) != ERG_OK || size != len)
        abort();
    uint8_t *out = malloc(size != 0 ? size : 1);
    if (out == NULL)
        return;
    size_t n;
    if (erg_codec_encode(desc, value, out, size, &n) != ERG_OK || n != len ||
        memcmp(out, in, len) != 0)
        abort();
    free(out);
}

/* Decodes a control body as the handshake and remote code do; the value
 * (or NULL) is the caller's to free. */
static void *decode(const erg_codec_desc_t *desc, const uint8_t *in,
                    size_t len) {
    void *v = NULL;
    erg_err_t rv = erg_codec_decode(desc, in, len, &v);
    if (rv != ERG_OK) {
        if (v != NULL) /* a failed decode leaves *out NULL */
            abort();
        return NULL;
    }
    check_canonical(desc, v, in, len);
    return v;
}

/* The checks handshake.c's on_hello makes of a node name. */
static bool valid_name(erg_str_t s) {
    if (s.len < 3 || s.len > 255 || memchr(s.ptr, 0, s.len) != NULL)
        return false;
    const char *at = memchr(s.ptr, '@', s.len);
    return at != NULL && at != s.ptr && at != s.ptr + s.len - 1;
}

/* A decoded string is NUL-terminated (wire pids and refs name their node
 * by one, which the runtime hashes as a C string). */
static void touch_node(erg_str_t node) {
    if (node.ptr == NULL || node.ptr[node.len] != '\0')
        abort();
    (void)erg_node_hash(node.ptr);
}

static void on_hello(state_t *st, const erg_net_hello_v1_t *h) {
    touch_node(h->node);
    if (!valid_name(h->node) || h->nonce.len != ERG__NONCE_SIZE)
        return;
    memcpy(st->peer_name, h->node.ptr, h->node.len);
    st->peer_name[h->node.len] = '\0';
    memcpy(st->peer_nonce, h->nonce.ptr, ERG__NONCE_SIZE);
}

/* The verifier's side of the cookie proof, with the names and nonce the
 * input's Hello gave (an empty peer name when it gave none). */
static void on_proof(state_t *st, const erg_net_proof_v1_t *p) {
    static const uint8_t nonce[ERG__NONCE_SIZE] = {1, 2, 3};
    uint8_t want[ERG__MAC_SIZE];
    if (p->mac.len != ERG__MAC_SIZE)
        return;
    for (uint8_t role = 1; role <= 2; role++) {
        if (erg__auth_proof("fuzz-cookie", role, st->peer_nonce, nonce,
                            st->peer_name, "me@fuzz", want) != ERG_OK)
            abort();
        (void)erg__auth_equal(want, p->mac.ptr);
    }
}

static void on_refuse(const erg_net_refuse_v1_t *r) {
    char why[1100];
    snprintf(why, sizeof(why), "%s refused the connection: %.*s (%s)",
             "the peer", (int)r->reason.len, r->reason.ptr,
             erg_err_name((erg_err_t)r->code));
}

static void count_mismatch(void *arg, const char *text) {
    state_t *st = arg;
    if (text == NULL || text[0] == '\0')
        abort();
    st->mismatches++;
}

static void on_registry(state_t *st, const erg_net_registry_v1_t *r) {
    if (st->have_peer)
        erg__ptable_fini(&st->peer);
    st->have_peer = false;
    erg_err_t rv =
        erg__ptable_from(&st->peer, &local, r, "peer@fuzz", count_mismatch, st);
    if (rv != ERG_OK) {
        if (st->peer.v != NULL || st->peer.n != 0)
            abort(); /* a failed build leaves nothing behind */
        return;
    }
    st->have_peer = true;
    if (st->peer.n != r->types.len)
        abort();
    bool any32 = true;
    for (size_t i = 0; i < r->types.len; i++) {
        const erg_net_type_version_t *tv = &r->types.ptr[i];
        any32 &= tv->fingerprint.len == 32;
        const erg__pver_t *pv =
            erg__ptable_find(&st->peer, tv->wire_id, tv->version);
        if (pv == NULL || pv->wire_id != tv->wire_id ||
            pv->version != tv->version)
            abort();
        const erg__vtype_t *mine =
            erg__vtable_by_wire(&local, tv->wire_id, tv->version);
        if (mine != NULL && (mine->desc->wire_id != tv->wire_id ||
                             mine->desc->version != tv->version))
            abort();
    }
    if (!any32)
        abort(); /* ptable_from refuses a fingerprint that is not 32 bytes */
    for (size_t i = 1; i < st->peer.n; i++) {
        const erg__pver_t *a = &st->peer.v[i - 1], *b = &st->peer.v[i];
        if (a->wire_id > b->wire_id ||
            (a->wire_id == b->wire_id && a->version > b->version))
            abort();
    }
}

/* remote.c's take_msg: the user message of a data frame, untyped, or
 * decoded with the local descriptor when the peer advertised it with the
 * same fingerprint. */
static void take_msg(state_t *st, const erg__data_t *d) {
    if (!d->has_msg)
        return;
    if (d->msg.wire_id == 0 && d->msg.version == 0)
        return; /* untyped bytes: copied as they are */
    const erg__vtype_t *vt =
        erg__vtable_by_wire(&local, d->msg.wire_id, d->msg.version);
    if (vt == NULL)
        return; /* ERG_EVERSION */
    if (st->have_peer) {
        /* The runtime decodes only what the peer advertised without a
         * mismatch; this decodes either way, to reach the codec. */
        const erg__pver_t *pv =
            erg__ptable_find(&st->peer, d->msg.wire_id, d->msg.version);
        if (pv != NULL &&
            (pv->wire_id != d->msg.wire_id || pv->version != d->msg.version))
            abort();
    }
    void *value = decode(vt->desc, d->body, d->body_len);
    erg_codec_free(vt->desc, value);
}

/* erg__data_split's result must lie inside the payload and add up. */
static bool split(const erg__frame_t *f, erg__data_t *d) {
    if (erg__data_split(f->payload, f->len, d) != ERG_OK)
        return false;
    const uint8_t *end = f->payload + f->len;
    if (d->head != f->payload + 4 || d->head_len > f->len - 4)
        abort();
    size_t used = 4 + d->head_len;
    if (d->has_msg) {
        if (d->body != d->head + d->head_len + ERG_CODEC_HEADER_SIZE ||
            d->body_len != d->msg.length || d->body + d->body_len != end)
            abort();
        used += ERG_CODEC_HEADER_SIZE + d->body_len;
    }
    if (used != f->len)
        abort();
    return true;
}

static void on_target(const erg_net_target_t *t) {
    switch (t->tag) {
    case ERG_NET_TARGET_PID:
        touch_node(t->u.pid.node);
        break;
    case ERG_NET_TARGET_ALIAS:
        touch_node(t->u.alias.node);
        break;
    case ERG_NET_TARGET_NAME:
        touch_node(t->u.name);
        break;
    default:
        touch_node(t->u.event_name);
        break;
    }
}

static void on_data(state_t *st, const erg__frame_t *f) {
    erg__data_t d;
    if (!split(f, &d))
        return;
    const erg_codec_desc_t *desc =
        f->kind == ERG__FRAME_REPLY     ? &erg_net_reply_v1_desc
        : f->kind == ERG__FRAME_PUBLISH ? &erg_net_publish_v1_desc
        : f->kind == ERG__FRAME_SPAWN   ? &erg_net_spawn_v1_desc
                                        : &erg_net_envelope_v1_desc;
    void *head = decode(desc, d.head, d.head_len);
    if (head == NULL)
        return;
    if (f->kind == ERG__FRAME_REPLY) {
        const erg_net_reply_v1_t *r = head;
        touch_node(r->to.node);
        touch_node(r->ref.node);
        (void)erg_err_name((erg_err_t)r->code);
        if (r->code == 0)
            take_msg(st, &d);
    } else if (f->kind == ERG__FRAME_PUBLISH) {
        const erg_net_publish_v1_t *p = head;
        touch_node(p->event_name);
        touch_node(p->producer.node);
        take_msg(st, &d);
    } else if (f->kind == ERG__FRAME_SPAWN) {
        const erg_net_spawn_v1_t *sp = head;
        touch_node(sp->from.node);
        touch_node(sp->ref.node);
        touch_node(sp->factory);
        touch_node(sp->register_name);
        take_msg(st, &d); /* the argument message, when there is one */
    } else {
        const erg_net_envelope_v1_t *e = head;
        touch_node(e->from.node);
        touch_node(e->ref.node);
        on_target(&e->to);
        take_msg(st, &d);
    }
    erg_codec_free(desc, head);
}

static void on_frame(state_t *st, const erg__frame_t *f) {
    const erg_codec_desc_t *desc = NULL;
    switch (f->kind) {
    case ERG__FRAME_MSG:
    case ERG__FRAME_CALL:
    case ERG__FRAME_REPLY:
    case ERG__FRAME_PUBLISH:
    case ERG__FRAME_SPAWN:
        on_data(st, f);
        return;
    case ERG__FRAME_SPAWNED:
        desc = &erg_net_spawn_result_v1_desc;
        break;
    case ERG__FRAME_APP:
        desc = &erg_net_app_request_v1_desc;
        break;
    case ERG__FRAME_APP_INFO:
        desc = &erg_net_app_info_v1_desc;
        break;
    case ERG__FRAME_HELLO:
        desc = &erg_net_hello_v1_desc;
        break;
    case ERG__FRAME_PROOF:
        desc = &erg_net_proof_v1_desc;
        break;
    case ERG__FRAME_REFUSE:
        desc = &erg_net_refuse_v1_desc;
        break;
    case ERG__FRAME_REGISTRY:
        desc = &erg_net_registry_v1_desc;
        break;
    case ERG__FRAME_WATCH:
        desc = &erg_net_watch_v1_desc;
        break;
    case ERG__FRAME_DOWN:
        desc = &erg_net_down_v1_desc;
        break;
    case ERG__FRAME_EXIT:
        desc = &erg_net_exit_v1_desc;
        break;
    default:
        return; /* a protocol violation: the link closes */
    }
    void *v = decode(desc, f->payload, f->len);
    if (v == NULL)
        return;
    switch (f->kind) {
    case ERG__FRAME_HELLO:
        on_hello(st, v);
        break;
    case ERG__FRAME_PROOF:
        on_proof(st, v);
        break;
    case ERG__FRAME_REFUSE:
        on_refuse(v);
        break;
    case ERG__FRAME_REGISTRY:
        on_registry(st, v);
        break;
    case ERG__FRAME_WATCH: {
        const erg_net_watch_v1_t *w = v;
        touch_node(w->owner.node);
        touch_node(w->ref.node);
        on_target(&w->target);
        break;
    }
    case ERG__FRAME_DOWN: {
        const erg_net_down_v1_t *dn = v;
        touch_node(dn->owner.node);
        touch_node(dn->from.node);
        touch_node(dn->ref.node);
        break;
    }
    case ERG__FRAME_EXIT: {
        const erg_net_exit_v1_t *x = v;
        touch_node(x->from.node);
        touch_node(x->to.node);
        break;
    }
    case ERG__FRAME_SPAWNED: {
        const erg_net_spawn_result_v1_t *r = v;
        touch_node(r->to.node);
        touch_node(r->ref.node);
        touch_node(r->pid.node);
        (void)erg_err_name((erg_err_t)r->code);
        break;
    }
    case ERG__FRAME_APP: {
        const erg_net_app_request_v1_t *q = v;
        touch_node(q->from.node);
        touch_node(q->ref.node);
        touch_node(q->app);
        break;
    }
    default: {
        const erg_net_app_info_v1_t *ai = v;
        touch_node(ai->to.node);
        touch_node(ai->ref.node);
        touch_node(ai->name);
        for (size_t i = 0; i < ai->members.len; i++)
            touch_node(ai->members.ptr[i].node);
        for (size_t i = 0; i < ai->roles.len; i++) {
            touch_node(ai->roles.ptr[i].role);
            touch_node(ai->roles.ptr[i].process);
        }
        break;
    }
    }
    erg_codec_free(desc, v);
}

/* One erg__frame_next step, with its contract checked. */
static int next(const uint8_t *buf, size_t len, uint32_t cap, erg__frame_t *f) {
    int r = erg__frame_next(buf, len, cap, f);
    if (r == 1) {
        if (f->consumed < ERG__FRAME_HEAD || f->consumed > len ||
            f->consumed != ERG__FRAME_HEAD + f->len ||
            f->payload != buf + ERG__FRAME_HEAD || f->kind != buf[4] ||
            f->len + 1 > cap)
            abort();
    } else if (r != 0 && r != ERG_ETOOBIG && r != ERG_EPEER) {
        abort();
    }
    return r;
}

/* The frames of buf[0..len) as link.c's on_read cuts them: under the
 * pre-auth cap only the boundaries, and under the large cap each frame
 * handled by kind. A stream is cut at the same places under both caps
 * until the small one stops it. */
static void frames(state_t *st, const uint8_t *buf, size_t len) {
    size_t small_end = 0;
    for (;;) {
        erg__frame_t f;
        if (next(buf + small_end, len - small_end, ERG__PREAUTH_MAX, &f) != 1)
            break;
        small_end += f.consumed;
    }
    size_t off = 0;
    for (;;) {
        erg__frame_t f;
        int r = next(buf + off, len - off, LARGE_CAP, &f);
        if (r != 1) {
            if (off < small_end)
                abort(); /* the large cap stopped before the small one */
            break;
        }
        on_frame(st, &f);
        off += f.consumed;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    state_t st = {0};
    size_t off = 0;
    /* An input that opens with a good preamble is a whole connection;
     * otherwise it is a stream of frames that started earlier. */
    if (size >= ERG__PREAMBLE_SIZE) {
        erg_err_t rv = erg__preamble_check(data);
        if (rv == ERG_OK)
            off = ERG__PREAMBLE_SIZE;
        else if (rv != ERG_EPEER && rv != ERG_EVERSION &&
                 rv != ERG_EFINGERPRINT)
            abort();
    }
    frames(&st, data + off, size - off);
    if (st.have_peer)
        erg__ptable_fini(&st.peer);
    return 0;
}
