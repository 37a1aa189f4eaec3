/* SPDX-License-Identifier: MIT */
/* frame.c: preamble, frame boundaries, and building frames into buffers. */
#include "net/frame.h"

#include <string.h>

#include "erg/control.h"
#include "util/alloc.h"

static const uint8_t magic[4] = {'E', 'R', 'G', 'N'};


/* Layout: magic (4), version (2, LE), pre-auth cap (2, LE), reserved (4,
 * zero), control schema fingerprint (32). */
void erg__preamble_write(uint8_t *out) {
    memcpy(out, magic, 4);
    out[4] = (uint8_t)ERG__PROTO_VERSION;
    out[5] = (uint8_t)(ERG__PROTO_VERSION >> 8);
    out[6] = (uint8_t)ERG__PREAUTH_MAX;
    out[7] = (uint8_t)(ERG__PREAUTH_MAX >> 8);
    memset(out + 8, 0, 4);
    memcpy(out + 12, erg_control_schema_fingerprint, 32);
}

erg_err_t erg__preamble_check(const uint8_t *in) {
    static const uint8_t zero[4] = {0};
    if (memcmp(in, magic, 4) != 0 || memcmp(in + 8, zero, 4) != 0)
        return ERG_EPEER;
    if ((in[4] | in[5] << 8) != ERG__PROTO_VERSION)
        return ERG_EVERSION;
    if (memcmp(in + 12, erg_control_schema_fingerprint, 32) != 0)
        return ERG_EFINGERPRINT;
    return ERG_OK;
}

int erg__frame_next(const uint8_t *buf, size_t len, uint32_t max,
                    erg__frame_t *f) {
    if (len < 4)
        return 0;
    uint32_t n = erg__get_u32le(buf);
    if (n == 0)
        return ERG_EPEER;
    if (n > max)
        return ERG_ETOOBIG;
    if (len - 4 < n)
        return 0;
    f->kind = buf[4];
    f->payload = buf + ERG__FRAME_HEAD;
    f->len = n - 1;
    f->consumed = 4 + (size_t)n;
    return 1;
}

erg_err_t erg__data_split(const uint8_t *payload, size_t len,
                          erg__data_t *d) {
    memset(d, 0, sizeof(*d));
    if (len < 4)
        return ERG_ETRUNCATED;
    uint32_t head = erg__get_u32le(payload);
    if (head > len - 4)
        return ERG_ETRUNCATED;
    d->head = payload + 4;
    d->head_len = head;
    size_t rest = len - 4 - head;
    if (rest == 0)
        return ERG_OK;
    const uint8_t *m = d->head + head;
    erg_err_t rv = erg_codec_header_read(m, rest, &d->msg);
    if (rv != ERG_OK)
        return rv;
    if (d->msg.length != rest - ERG_CODEC_HEADER_SIZE)
        return d->msg.length > rest - ERG_CODEC_HEADER_SIZE ? ERG_ETRUNCATED
                                                            : ERG_EDECODE;
    d->has_msg = true;
    d->body = m + ERG_CODEC_HEADER_SIZE;
    d->body_len = d->msg.length;
    return ERG_OK;
}

erg_err_t erg__buf_reserve(erg__buf_t *b, size_t extra) {
    if (b->cap - b->len >= extra)
        return ERG_OK;
    size_t cap = b->cap != 0 ? b->cap : 256;
    while (cap - b->len < extra) {
        if (cap > SIZE_MAX / 2)
            return ERG_ENOMEM;
        cap *= 2;
    }
    uint8_t *p = erg__realloc(b->p, cap);
    if (p == NULL)
        return ERG_ENOMEM;
    b->p = p;
    b->cap = cap;
    return ERG_OK;
}

void erg__buf_free(erg__buf_t *b) {
    erg__free(b->p);
    memset(b, 0, sizeof(*b));
}

erg_err_t erg__frame_begin(erg__buf_t *b, uint8_t kind, size_t *at) {
    erg_err_t rv = erg__buf_reserve(b, ERG__FRAME_HEAD);
    if (rv != ERG_OK)
        return rv;
    *at = b->len;
    b->p[b->len + 4] = kind;
    b->len += ERG__FRAME_HEAD;
    return ERG_OK;
}

void erg__frame_end(erg__buf_t *b, size_t at) {
    erg__put_u32le(b->p + at, (uint32_t)(b->len - at - 4));
}

/* Appends the encoded body of value, preceded by its length when
 * with_len; ERG_ETOOBIG past max bytes (or what a length field holds). */
static erg_err_t put_body(erg__buf_t *b, const erg_codec_desc_t *desc,
                          const void *value, bool with_len, size_t max) {
    size_t size;
    erg_err_t rv = erg_codec_encoded_size(desc, value, &size);
    if (rv == ERG_OK && (size > UINT32_MAX || size > max))
        rv = ERG_ETOOBIG;
    if (rv == ERG_OK)
        rv = erg__buf_reserve(b, size + 4);
    if (rv != ERG_OK)
        return rv;
    if (with_len) {
        erg__put_u32le(b->p + b->len, (uint32_t)size);
        b->len += 4;
    }
    size_t n;
    rv = erg_codec_encode(desc, value, b->p + b->len, size, &n);
    if (rv == ERG_OK)
        b->len += n;
    return rv;
}

erg_err_t erg__frame_put_ctl(erg__buf_t *b, uint8_t kind,
                             const erg_codec_desc_t *desc, const void *value) {
    size_t start = b->len, at;
    erg_err_t rv = erg__frame_begin(b, kind, &at);
    if (rv == ERG_OK)
        rv = put_body(b, desc, value, false, SIZE_MAX);
    if (rv != ERG_OK) {
        b->len = start;
        return rv;
    }
    erg__frame_end(b, at);
    return ERG_OK;
}

erg_err_t erg__frame_put_data(erg__buf_t *b, uint8_t kind,
                              const erg_codec_desc_t *head_desc,
                              const void *head,
                              const erg_codec_desc_t *msg_desc,
                              const void *value, const void *raw,
                              size_t raw_len, bool with_msg, size_t msg_max) {
    size_t start = b->len, at;
    erg_err_t rv = erg__frame_begin(b, kind, &at);
    if (rv == ERG_OK)
        rv = put_body(b, head_desc, head, true, SIZE_MAX);
    if (rv == ERG_OK && with_msg) {
        erg_codec_header_t h = {0, 0, 0};
        size_t hat = b->len;
        rv = erg__buf_reserve(b, ERG_CODEC_HEADER_SIZE);
        if (rv == ERG_OK) {
            b->len += ERG_CODEC_HEADER_SIZE;
            if (msg_desc != NULL) {
                h.wire_id = msg_desc->wire_id;
                h.version = msg_desc->version;
                rv = put_body(b, msg_desc, value, false, msg_max);
            } else if (raw_len > UINT32_MAX || raw_len > msg_max) {
                rv = ERG_ETOOBIG;
            } else if ((rv = erg__buf_reserve(b, raw_len)) == ERG_OK &&
                       raw_len != 0) {
                memcpy(b->p + b->len, raw, raw_len);
                b->len += raw_len;
            }
        }
        if (rv == ERG_OK) { /* bounded above: it fits its field */
            h.length = (uint32_t)(b->len - hat - ERG_CODEC_HEADER_SIZE);
            erg_codec_header_write(&h, b->p + hat);
        }
    }
    if (rv != ERG_OK) {
        b->len = start;
        return rv;
    }
    erg__frame_end(b, at);
    return ERG_OK;
}
