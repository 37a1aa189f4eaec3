/* SPDX-License-Identifier: MIT */
/* codec.h: the ABI-versioned boundary between idlc's generated code and the
 * one table-driven codec (descriptors, encode, decode, convert, dispatch). */
#ifndef ERG_CODEC_H
#define ERG_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "erg/defs.h"
#include "erg/err.h"

/*
 * ERG_IDL_ABI is the version of everything in this header that generated
 * code depends on: the descriptor layout, the held-value layouts and the
 * function signatures. Generated headers refuse to compile against another
 * value (`#error`), so a stale generated file is a build error, never a
 * silent mis-decode. Bump it with any change below.
 */
#define ERG_IDL_ABI 1

/* First word of every descriptor and registry ("ERGC"); a pointer to
 * anything else is refused with ERG_EINVAL. */
#define ERG_CODEC_MAGIC 0x45524743u

/* Deepest nesting of structs, unions, lists, maps and optionals the decoder
 * follows before giving up with ERG_EDEPTH (recursive types are unbounded
 * in the schema; a hostile peer must not reach the C stack's end). */
#define ERG_CODEC_MAX_DEPTH 96

/* Bytes of the message header: wire id (8), version (4), body length (4). */
#define ERG_CODEC_HEADER_SIZE 16

/* ---- held values --------------------------------------------------------- */

/* string, string<N> and atom: UTF-8 bytes, not NUL-terminated in general.
 * Decoded strings are NUL-terminated as a convenience (ptr[len] == 0). */
typedef struct erg_str_s {
    const char *ptr;
    size_t len;
} erg_str_t;

/* bytes and bytes<N>. */
typedef struct erg_bytes_s {
    const uint8_t *ptr;
    size_t len;
} erg_bytes_t;

/* The layout every generated list and map type shares:
 * `struct { T *ptr; size_t len; }` (a map's T is its entry struct). */
typedef struct erg_codec_list_s {
    void *ptr;
    size_t len;
} erg_codec_list_t;

/* A pid as it travels: the node by name, the process id and the node's
 * creation (incarnation). The runtime converts to and from its erg_pid_t. */
typedef struct erg_wire_pid_s {
    erg_str_t node;
    uint64_t id;
    uint32_t creation;
} erg_wire_pid_t;

/* A ref (and an alias, which is a ref naming a process): node, creation
 * and three words of identity, as in Erlang. */
typedef struct erg_wire_ref_s {
    erg_str_t node;
    uint32_t creation;
    uint32_t id[3];
} erg_wire_ref_t;

/* Literal helpers for building values: ERG_STR("text"). */
#define ERG_STR(lit)    ((erg_str_t){(lit), sizeof(lit) - 1})
#define ERG_BYTES(p, n) ((erg_bytes_t){(const uint8_t *)(p), (n)})

/* ---- descriptors --------------------------------------------------------- */

/* What a type node or descriptor describes. Values are ABI. */
typedef enum erg_codec_kind_e {
    ERG_CODEC_BOOL = 1,
    ERG_CODEC_I8,
    ERG_CODEC_I16,
    ERG_CODEC_I32,
    ERG_CODEC_I64,
    ERG_CODEC_U8,
    ERG_CODEC_U16,
    ERG_CODEC_U32,
    ERG_CODEC_U64,
    ERG_CODEC_F32,
    ERG_CODEC_F64,
    ERG_CODEC_STRING,
    ERG_CODEC_BYTES,
    ERG_CODEC_TIME,
    ERG_CODEC_DURATION,
    ERG_CODEC_PID,
    ERG_CODEC_REF,
    ERG_CODEC_ALIAS,
    ERG_CODEC_ATOM,
    ERG_CODEC_ENUM = 32,
    ERG_CODEC_STRUCT,
    ERG_CODEC_UNION,
    ERG_CODEC_MESSAGE, /* a message or event version: a struct with an id */
    ERG_CODEC_LIST,
    ERG_CODEC_MAP,
    ERG_CODEC_OPTIONAL,
} erg_codec_kind_t;

/* Atoms are short names, as in Erlang: at most this many bytes. */
#define ERG_CODEC_ATOM_MAX 255

typedef struct erg_codec_desc_s erg_codec_desc_t;
typedef struct erg_codec_type_s erg_codec_type_t;

/*
 * A type node: how one held value is laid out and encoded. `size` and
 * `align` are those of the held C value (an optional holds a pointer, a
 * list or map an erg_codec_list_t). A map's entries are the C struct
 * `{ K key; V value; }`, laid out by the usual C rules from the key's and
 * value's size and alignment.
 */
struct erg_codec_type_s {
    uint8_t kind; /* erg_codec_kind_t */
    uint32_t size;
    uint32_t align;
    uint64_t bound;               /* string, bytes, list, map; 0: none */
    const erg_codec_type_t *elem; /* list element, map value, optional */
    const erg_codec_type_t *key;  /* map key */
    const erg_codec_desc_t *desc; /* enum, struct, union */
};

/* A struct or message field, or a union arm (type NULL: no payload). */
typedef struct erg_codec_field_s {
    const char *name;
    uint32_t offset;
    uint8_t kind; /* type->kind, here too: saves a dependent load per field */
    const erg_codec_type_t *type;
} erg_codec_field_t;

/* Compile-time checks generated code makes of the layouts the codec
 * assumes: a list or map typedef is held as erg_codec_list_t, and a map
 * entry struct E { K key; V value; } places value by the C rules. */
#define ERG_CODEC_ASSERT_LIST(T)                                  \
    _Static_assert(sizeof(T) == sizeof(erg_codec_list_t) &&       \
                       _Alignof(T) == _Alignof(erg_codec_list_t), \
                   #T " is held as erg_codec_list_t")
#define ERG_CODEC_ASSERT_ENTRY(E, K, V)                                  \
    _Static_assert(offsetof(E, value) == (sizeof(K) + _Alignof(V) - 1) / \
                                             _Alignof(V) * _Alignof(V),  \
                   #E " is laid out as the codec expects")

/* Descriptor flags. */
#define ERG_CODEC_F_DENSE 0x01u /* enum whose values are 0..n-1 in order */

/*
 * A descriptor: one enum, struct, union or message version. Generated
 * code defines them const; the codec only reads them.
 */
struct erg_codec_desc_s {
    uint32_t magic;                  /* ERG_CODEC_MAGIC */
    uint16_t abi;                    /* ERG_IDL_ABI */
    uint8_t kind;                    /* ENUM, STRUCT, UNION or MESSAGE */
    uint8_t flags;                   /* ERG_CODEC_F_* */
    const char *name;                /* package.Name */
    const char *c_name;              /* shop_payment_charge_request_v2_t */
    uint32_t version;                /* MESSAGE: N of vN; 0 otherwise */
    uint32_t size;                   /* sizeof the C type */
    uint32_t align;                  /* _Alignof the C type */
    uint32_t min_wire;               /* fewest bytes a value encodes to */
    uint64_t wire_id;                /* MESSAGE: the type's wire id */
    const uint8_t *fingerprint;      /* MESSAGE: 32 bytes of SHA-256 */
    const erg_codec_field_t *fields; /* STRUCT, MESSAGE fields; UNION arms */
    uint32_t nfields;
    uint32_t tag_offset;      /* UNION: offset of the int-sized tag */
    uint8_t underlying;       /* ENUM: the integer kind */
    uint32_t nvalues;         /* ENUM */
    const uint64_t *values;   /* ENUM: each member's bits, widened */
    const char *const *names; /* ENUM: member names, same order */
};

/* ---- encoding and decoding ----------------------------------------------- */

/*
 * erg_codec_encoded_size sets *size to the bytes erg_codec_encode writes
 * for `value` (the body, without a message header). Checks the schema
 * bounds (ERG_EBOUNDS), UTF-8 (ERG_EUTF8), union tags and enum values
 * (ERG_ETAG), and nesting (ERG_EDEPTH) as encoding does. ERG_EINVAL for a
 * bad descriptor. Thread-safe; `value` is only read.
 */
ERG_EXTERN erg_err_t erg_codec_encoded_size(const erg_codec_desc_t *desc,
                                            const void *value, size_t *size);

/*
 * erg_codec_encode writes the body of `value` into buf[0..cap) and sets
 * *len. Fails with ERG_ETOOBIG when cap is too small (nothing useful is
 * left in buf), with the errors of erg_codec_encoded_size otherwise.
 * Allocates nothing. Thread-safe.
 */
ERG_EXTERN erg_err_t erg_codec_encode(const erg_codec_desc_t *desc,
                                      const void *value, uint8_t *buf,
                                      size_t cap, size_t *len);

/*
 * erg_codec_decode decodes a body of exactly `len` bytes into a value
 * allocated as one block (through erg_set_allocator's hook) and stores it
 * in *out; release it with erg_codec_free. Every length and count is
 * checked against the remaining input and the schema bounds before any
 * memory is allocated, so a failed decode allocates nothing and leaves
 * *out NULL. Errors: ERG_ETRUNCATED (input ends early), ERG_EBOUNDS (over
 * a bound), ERG_EUTF8 (string not UTF-8), ERG_EDEPTH (nesting beyond
 * ERG_CODEC_MAX_DEPTH), ERG_ETAG (unknown union tag or enum value),
 * ERG_EDECODE (any other malformation: bad bool or presence byte, overlong
 * varint, trailing bytes), ERG_ENOMEM, ERG_EINVAL (bad descriptor).
 * Thread-safe.
 */
ERG_EXTERN erg_err_t erg_codec_decode(const erg_codec_desc_t *desc,
                                      const uint8_t *buf, size_t len,
                                      void **out);

/* erg_codec_free releases a value returned by erg_codec_decode or a
 * converter; NULL is a no-op. Thread-safe. */
ERG_EXTERN void erg_codec_free(const erg_codec_desc_t *desc, void *value);

/* ---- message header ------------------------------------------------------ */

/* The 16-byte header in front of a message body: little-endian wire id,
 * version and body length. */
typedef struct erg_codec_header_s {
    uint64_t wire_id;
    uint32_t version;
    uint32_t length;
} erg_codec_header_t;

/* erg_codec_header_write writes h into out[0..ERG_CODEC_HEADER_SIZE). */
ERG_EXTERN void erg_codec_header_write(const erg_codec_header_t *h,
                                       uint8_t *out);

/* erg_codec_header_read reads a header; ERG_ETRUNCATED when len is shorter
 * than ERG_CODEC_HEADER_SIZE. */
ERG_EXTERN erg_err_t erg_codec_header_read(const uint8_t *buf, size_t len,
                                           erg_codec_header_t *h);

/*
 * erg_codec_encode_msg writes header and body of the message version
 * `desc` (kind MESSAGE); *len covers both. Errors as erg_codec_encode, and
 * ERG_ETOOBIG for a body over 4 GiB.
 */
ERG_EXTERN erg_err_t erg_codec_encode_msg(const erg_codec_desc_t *desc,
                                          const void *value, uint8_t *buf,
                                          size_t cap, size_t *len);

/*
 * erg_codec_decode_msg reads a header and decodes the body that follows.
 * ERG_EINVAL when the wire id is not desc's, ERG_EVERSION when the version
 * is not desc's (see erg_codec_registry_find for the right descriptor),
 * ERG_ETRUNCATED / ERG_EDECODE when the length disagrees with len, and the
 * errors of erg_codec_decode.
 */
ERG_EXTERN erg_err_t erg_codec_decode_msg(const erg_codec_desc_t *desc,
                                          const uint8_t *buf, size_t len,
                                          void **out);

/* ---- conversions and the type registry ----------------------------------- */

/* A generated converter: builds a new value of the target version from
 * `in` (only read) and stores it in *out, freed with erg_codec_free. A
 * checked() that fails gives ERG_EVERSION and *out NULL. */
typedef erg_err_t (*erg_codec_convert_fn)(const void *in, void **out);

/* One declared (or derived) conversion edge between two versions. */
typedef struct erg_codec_conv_s {
    const erg_codec_desc_t *from;
    const erg_codec_desc_t *to;
    erg_codec_convert_fn fn;
} erg_codec_conv_t;

/* A schema file's registry: every message and event version it declares
 * and every conversion between them. The runtime advertises
 * (name, version, fingerprint) from `types` to peers. */
typedef struct erg_codec_registry_s {
    uint32_t magic;                       /* ERG_CODEC_MAGIC */
    const char *schema;                   /* "shop/payment.erg" */
    const uint8_t *fingerprint;           /* the whole schema's, 32 bytes */
    const erg_codec_desc_t *const *types; /* message and event versions */
    size_t ntypes;
    const erg_codec_conv_t *convs;
    size_t nconvs;
} erg_codec_registry_t;

/* erg_codec_registry_find returns the descriptor of (wire_id, version) in
 * reg, or NULL. Thread-safe. */
ERG_EXTERN const erg_codec_desc_t *
erg_codec_registry_find(const erg_codec_registry_t *reg, uint64_t wire_id,
                        uint32_t version);

/*
 * erg_codec_convert turns `in`, a value of version `from`, into a new value
 * of version `to` of the same type, chaining the registry's conversions
 * along the shortest path (v1 -> v2 -> v3). With from == to it returns a
 * copy. ERG_EVERSION when no path exists or a checked() step fails; every
 * intermediate value is freed. *out is freed with erg_codec_free(to_desc).
 * Thread-safe.
 */
ERG_EXTERN erg_err_t erg_codec_convert(const erg_codec_registry_t *reg,
                                       const erg_codec_desc_t *from,
                                       const erg_codec_desc_t *to,
                                       const void *in, void **out);

/*
 * erg_codec_copy returns a deep copy of `value` as one block, freed with
 * erg_codec_free. Converters use it to detach their result from the
 * source. Errors as erg_codec_encoded_size, and ERG_ENOMEM.
 */
ERG_EXTERN erg_err_t erg_codec_copy(const erg_codec_desc_t *desc,
                                    const void *value, void **out);

/* ---- runtime support of generated converters ----------------------------- */

/* Scratch memory a converter builds its shallow result in before
 * erg_codec_copy detaches it; freed as a whole. Start with
 * ERG_CODEC_SCRATCH_INIT. */
typedef struct erg_codec_scratch_s {
    void *chunks;          /* private: allocations that did not fit `local` */
    size_t used;           /* private */
    max_align_t local[16]; /* private: small conversions allocate nothing */
} erg_codec_scratch_t;
#define ERG_CODEC_SCRATCH_INIT \
    {                          \
        NULL, 0, {             \
            { 0 }              \
        }                      \
    }

/* erg_codec_scratch_fini frees every chunk; the scratch is empty after. */
ERG_EXTERN void erg_codec_scratch_fini(erg_codec_scratch_t *sc);

/* How erg_codec_assign moves a value between two types. */
typedef enum erg_codec_assign_mode_e {
    ERG_CODEC_WIDEN = 0, /* lossless: carried-over or widened fields */
    ERG_CODEC_SATURATE,  /* numbers clamp to the target's range */
    ERG_CODEC_CHECKED,   /* anything that does not fit fails */
} erg_codec_assign_mode_t;

/*
 * erg_codec_assign stores the value `src` of type `from` into `dst` of type
 * `to`: numbers convert (clamping under SATURATE; NaN saturates to 0),
 * `T` becomes `optional T`, string becomes bytes, lists, maps and
 * optionals convert element by element. Strings and arrays that need no
 * change are shared with `src`, not copied; new arrays come from `sc`.
 * Under CHECKED a value that does not fit (out of range, not integral,
 * over a bound, absent, not UTF-8) gives ERG_EVERSION; without it so does
 * a value over the target's bound. ERG_ENOMEM, ERG_EINVAL (types that do
 * not convert). Thread-safe.
 */
ERG_EXTERN erg_err_t erg_codec_assign(erg_codec_scratch_t *sc, unsigned mode,
                                      const erg_codec_type_t *from,
                                      const void *src,
                                      const erg_codec_type_t *to, void *dst);

/* ---- actor dispatch ------------------------------------------------------ */

/* How an actor accepts a message. */
typedef enum erg_codec_verb_e {
    ERG_CODEC_CALL = 1,
    ERG_CODEC_CAST,
    ERG_CODEC_SUBSCRIBE,
} erg_codec_verb_t;

/* A generated shim: upgrades `msg` to the version the handler takes when
 * needed, then calls the handler in `handlers` (the actor's generated
 * `<pkg>_<actor>_actor_t`) with the actor's state. `reply` is the caller's
 * storage for a call's response (NULL for cast and events). A NULL
 * handler gives ERG_ENOTACCEPTED. */
typedef erg_err_t (*erg_codec_shim_fn)(const void *handlers, void *state,
                                       const void *msg, void *reply);

/* One row of an actor's dispatch table. */
typedef struct erg_codec_dispatch_s {
    const erg_codec_desc_t *msg;   /* the accepted (wire id, version) */
    uint8_t verb;                  /* erg_codec_verb_t */
    bool important;                /* cast ... important */
    const erg_codec_desc_t *reply; /* CALL: the response version */
    erg_codec_shim_fn shim;
} erg_codec_dispatch_t;

/* An actor's whole table, generated per schema actor. */
typedef struct erg_codec_actor_s {
    uint32_t magic;   /* ERG_CODEC_MAGIC */
    const char *name; /* package.Name */
    const erg_codec_dispatch_t *rows;
    size_t nrows;
} erg_codec_actor_t;

/* erg_codec_dispatch_find returns the row accepting (wire_id, version), or
 * NULL when the actor does not accept it. Thread-safe. */
ERG_EXTERN const erg_codec_dispatch_t *
erg_codec_dispatch_find(const erg_codec_actor_t *actor, uint64_t wire_id,
                        uint32_t version);

/*
 * erg_codec_dispatch runs the handler for a decoded message of (wire_id,
 * version): ERG_ENOTACCEPTED when the actor does not accept it or has no
 * handler for it, otherwise whatever the handler (or the upgrade before
 * it) returns. `msg` is borrowed. Thread-safe as far as the handler is.
 */
ERG_EXTERN erg_err_t erg_codec_dispatch(const erg_codec_actor_t *actor,
                                        const void *handlers, uint64_t wire_id,
                                        uint32_t version, void *state,
                                        const void *msg, void *reply);

/* ---- sending (the runtime provides the sender) --------------------------- */

/* Flags of a send. */
#define ERG_CODEC_IMPORTANT 0x01u /* delivery is confirmed (cast) */

/*
 * A sender: what a generated cast/call helper hands its message to. The
 * runtime binds one to a target process; tests bind one to a recorder.
 * cast borrows `msg` for the duration of the call. call stores the reply
 * (a value of `reply_desc`, freed with erg_codec_free) in *reply.
 */
typedef struct erg_codec_sender_s {
    void *ctx;
    erg_err_t (*cast)(void *ctx, const erg_codec_desc_t *desc, const void *msg,
                      unsigned flags);
    erg_err_t (*call)(void *ctx, const erg_codec_desc_t *desc, const void *msg,
                      unsigned flags, const erg_codec_desc_t *reply_desc,
                      void **reply);
} erg_codec_sender_t;

#endif /* ERG_CODEC_H */
