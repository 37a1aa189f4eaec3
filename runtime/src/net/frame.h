/* SPDX-License-Identifier: MIT */
/* frame.h: the preamble and the frames nodes exchange (docs/wire-format.md). */
#ifndef ERG_NET_FRAME_H
#define ERG_NET_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "erg/codec.h"
#include "erg/err.h"

/* The wire's byte order for lengths: little-endian u32. */
static inline void erg__put_u32le(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t erg__get_u32le(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/*
 * The preamble both sides send first, and which never changes: the magic
 * "ERGN", the protocol version, the largest frame either side accepts
 * before authentication, four reserved zero bytes and the fingerprint of
 * schemas/erg/control.erg. A peer whose preamble differs in anything but
 * the cap is refused before a frame is read.
 */
#define ERG__PREAMBLE_SIZE 44
#define ERG__PROTO_VERSION 1
#define ERG__PREAUTH_MAX 4096 /* bytes of a frame before the cookie proof */

/* Frame kinds: the byte after a frame's length. */
typedef enum erg__frame_kind_e {
    ERG__FRAME_HELLO = 1,    /* erg.net.Hello */
    ERG__FRAME_PROOF = 2,    /* erg.net.Proof */
    ERG__FRAME_REFUSE = 3,   /* erg.net.Refuse */
    ERG__FRAME_REGISTRY = 4, /* erg.net.Registry */
    ERG__FRAME_MSG = 16,     /* Envelope + user message */
    ERG__FRAME_CALL = 17,    /* Envelope + user message, answered by REPLY */
    ERG__FRAME_REPLY = 18,   /* Reply [+ user message] */
    ERG__FRAME_WATCH = 19,   /* erg.net.Watch */
    ERG__FRAME_DOWN = 20,    /* erg.net.Down */
    ERG__FRAME_EXIT = 21,    /* erg.net.Exit */
    ERG__FRAME_PUBLISH = 22, /* Publish + user message */
    ERG__FRAME_SPAWN = 23,   /* Spawn [+ argument message] */
    ERG__FRAME_SPAWNED = 24, /* SpawnResult */
    ERG__FRAME_APP = 25,     /* AppRequest */
    ERG__FRAME_APP_INFO = 26, /* AppInfo */
} erg__frame_kind_t;

/* Envelope flags (erg.net.Envelope.flags). */
#define ERG__ENV_IMPORTANT 0x01u /* answer with a REPLY once queued */

/* Bytes in front of a frame's payload: length (4, LE, counts kind and
 * payload) and kind (1). */
#define ERG__FRAME_HEAD 5

/* erg__preamble_write fills out[0..ERG__PREAMBLE_SIZE). */
void erg__preamble_write(uint8_t *out);

/* erg__preamble_check: ERG_OK, ERG_EPEER (not an erg node: bad magic or
 * reserved bytes), ERG_EVERSION (another protocol version) or
 * ERG_EFINGERPRINT (other control schemas). */
erg_err_t erg__preamble_check(const uint8_t *in);

/* One frame found in a buffer: kind and payload point into it. */
typedef struct erg__frame_s {
    uint8_t kind;
    const uint8_t *payload;
    size_t len;
    size_t consumed; /* bytes of the buffer the frame took */
} erg__frame_t;

/*
 * erg__frame_next looks for a whole frame at buf[0..len). Returns 1 with *f
 * set, 0 when more bytes are needed, ERG_ETOOBIG for a frame declared over
 * max bytes (payload + kind), ERG_EPEER for a zero length.
 */
int erg__frame_next(const uint8_t *buf, size_t len, uint32_t max,
                    erg__frame_t *f);

/* The data part of a MSG, CALL or REPLY frame, split from its payload. */
typedef struct erg__data_s {
    const uint8_t *head; /* the Envelope or Reply body */
    size_t head_len;
    bool has_msg;        /* a user message follows */
    erg_codec_header_t msg; /* its codec header */
    const uint8_t *body;
    size_t body_len;
} erg__data_t;

/* erg__data_split: ERG_ETRUNCATED / ERG_EDECODE when the lengths inside
 * disagree with len. */
erg_err_t erg__data_split(const uint8_t *payload, size_t len, erg__data_t *d);

/* A growable byte buffer. */
typedef struct erg__buf_s {
    uint8_t *p;
    size_t len, cap;
} erg__buf_t;

/* erg__buf_reserve makes room for extra more bytes: ERG_ENOMEM. */
erg_err_t erg__buf_reserve(erg__buf_t *b, size_t extra);
void erg__buf_free(erg__buf_t *b);

/*
 * erg__frame_begin reserves a frame head in b and returns its offset;
 * erg__frame_end writes the length once the payload has been appended.
 */
erg_err_t erg__frame_begin(erg__buf_t *b, uint8_t kind, size_t *at);
void erg__frame_end(erg__buf_t *b, size_t at);

/*
 * erg__frame_put_ctl appends a frame of `kind` holding the control value
 * `value` of `desc` (a message of erg.net). ERG_ENOMEM and the encoder's
 * errors; b is unchanged on error.
 */
erg_err_t erg__frame_put_ctl(erg__buf_t *b, uint8_t kind,
                             const erg_codec_desc_t *desc, const void *value);

/*
 * erg__frame_put_data appends a data frame (MSG, CALL, REPLY, PUBLISH,
 * SPAWN): the control value `head` of `head_desc`, then, when with_msg, a
 * user message: the typed value of msg_desc, or raw bytes as an untyped message
 * (wire id 0, version 0). A message body over msg_max bytes is
 * ERG_ETOOBIG before anything is reserved for it, so a refused message
 * does not leave b grown to its size. b is unchanged on error.
 */
erg_err_t erg__frame_put_data(erg__buf_t *b, uint8_t kind,
                              const erg_codec_desc_t *head_desc,
                              const void *head,
                              const erg_codec_desc_t *msg_desc,
                              const void *value, const void *raw,
                              size_t raw_len, bool with_msg, size_t msg_max);

#endif /* ERG_NET_FRAME_H */
