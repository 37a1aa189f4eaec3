/* SPDX-License-Identifier: MIT */
/* wire.c: the one generic encoder and decoder, driven by the const
 * descriptors idlc generates (format in docs/wire-format.md). */
#include "codec/wire.h"

#include <string.h>

#include "util/alloc.h"

/* The wire is little-endian and so are the hosts erg supports: scalars and
 * arrays of them move with memcpy. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "erg's codec assumes a little-endian host"
#endif

#define LIKELY(x)   __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Decoded blocks keep every pointer-holding part 8-aligned. */
#define BLOCK_ALIGN 8u

static size_t align_up(size_t n, size_t a) {
    return (n + a - 1) & ~(a - 1);
}

bool erg__codec_desc_ok(const erg_codec_desc_t *d) {
    return d != NULL && d->magic == ERG_CODEC_MAGIC && d->abi == ERG_IDL_ABI;
}

/* Wire size of the fixed-size kinds; 0 for the others. */
static const uint8_t fixed_size[ERG_CODEC_ATOM + 1] = {
    [ERG_CODEC_BOOL] = 1,     [ERG_CODEC_I8] = 1,  [ERG_CODEC_U8] = 1,
    [ERG_CODEC_I16] = 2,      [ERG_CODEC_U16] = 2, [ERG_CODEC_I32] = 4,
    [ERG_CODEC_U32] = 4,      [ERG_CODEC_F32] = 4, [ERG_CODEC_I64] = 8,
    [ERG_CODEC_U64] = 8,      [ERG_CODEC_F64] = 8, [ERG_CODEC_TIME] = 8,
    [ERG_CODEC_DURATION] = 8,
};

static unsigned scalar_size(unsigned kind) {
    return kind <= ERG_CODEC_ATOM ? fixed_size[kind] : 0;
}

/* A scalar copy with a constant size in each branch: a memcpy of variable
 * size becomes `rep movs`, whose start-up cost dwarfs 1 to 8 bytes. */
static inline void copy_scalar(void *dst, const void *src, unsigned size) {
    switch (size) {
    case 1:
        memcpy(dst, src, 1);
        return;
    case 2:
        memcpy(dst, src, 2);
        return;
    case 4:
        memcpy(dst, src, 4);
        return;
    default:
        memcpy(dst, src, 8);
        return;
    }
}

/* ---- UTF-8 --------------------------------------------------------------- */

bool erg__codec_utf8_valid(const uint8_t *s, size_t len) {
    size_t i = 0;
    while (i < len) {
        /* ASCII runs, eight bytes at a time: the common case. */
        while (i + 8 <= len) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & UINT64_C(0x8080808080808080))
                break;
            i += 8;
        }
        if (i >= len)
            break;
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        uint32_t cp, min;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1, cp = c & 0x1F, min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2, cp = c & 0x0F, min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return false; /* continuation byte, C0/C1 overlong, F5..FF */
        }
        if (len - i - 1 < n)
            return false;
        for (size_t k = 1; k <= n; k++) {
            uint8_t cc = s[i + k];
            if ((cc & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += n + 1;
    }
    return true;
}

/* ---- type facts ---------------------------------------------------------- */

/* A map entry is the C struct { K key; V value; }: the value follows the key
 * at the value's alignment, and the whole is padded to the larger one. */
static void entry_layout(const erg_codec_type_t *t, size_t *size,
                         size_t *value_off) {
    const erg_codec_type_t *k = t->key, *v = t->elem;
    size_t al = k->align > v->align ? k->align : v->align;
    *value_off = align_up(k->size, v->align);
    *size = align_up(*value_off + v->size, al);
}

/* The fewest bytes a value of t encodes to: lets a count be checked against
 * the remaining input before anything is allocated. */
static size_t min_wire(const erg_codec_type_t *t) {
    switch (t->kind) {
    case ERG_CODEC_PID:
        return 1 + 8 + 4;
    case ERG_CODEC_REF:
    case ERG_CODEC_ALIAS:
        return 1 + 4 + 12;
    case ERG_CODEC_ENUM:
    case ERG_CODEC_STRUCT:
        return t->desc->min_wire;
    default: {
        unsigned s = scalar_size(t->kind);
        return s ? s : 1; /* a length, count, tag or presence byte */
    }
    }
}

static uint64_t read_enum_bits(unsigned kind, const void *p) {
    switch (kind) {
    case ERG_CODEC_I8: {
        int8_t v;
        memcpy(&v, p, 1);
        return (uint64_t)(int64_t)v;
    }
    case ERG_CODEC_U8: {
        uint8_t v;
        memcpy(&v, p, 1);
        return v;
    }
    case ERG_CODEC_I16: {
        int16_t v;
        memcpy(&v, p, 2);
        return (uint64_t)(int64_t)v;
    }
    case ERG_CODEC_U16: {
        uint16_t v;
        memcpy(&v, p, 2);
        return v;
    }
    case ERG_CODEC_I32: {
        int32_t v;
        memcpy(&v, p, 4);
        return (uint64_t)(int64_t)v;
    }
    case ERG_CODEC_U32: {
        uint32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    default: {
        uint64_t v;
        memcpy(&v, p, 8);
        return v;
    }
    }
}

static bool enum_has(const erg_codec_desc_t *d, const void *p) {
    uint64_t v = read_enum_bits(d->underlying, p);
    if (d->flags & ERG_CODEC_F_DENSE)
        return v < d->nvalues;
    for (uint32_t i = 0; i < d->nvalues; i++)
        if (d->values[i] == v)
            return true;
    return false;
}

static unsigned read_tag(const erg_codec_desc_t *d, const void *value) {
    int tag;
    memcpy(&tag, (const char *)value + d->tag_offset, sizeof tag);
    return tag < 0 ? UINT32_MAX : (unsigned)tag;
}

/* ---- encoded size -------------------------------------------------------- */

static size_t varint_len(uint64_t v) {
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static erg_err_t size_value(const erg_codec_type_t *t, const void *v, int depth,
                            erg__codec_sizes_t *acc);

static erg_err_t size_str(const uint8_t *p, size_t len, uint64_t bound,
                          bool utf8, erg__codec_sizes_t *acc) {
    if (bound != 0 && len > bound)
        return ERG_EBOUNDS;
    if (len > UINT32_MAX)
        return ERG_ETOOBIG;
    if (p == NULL && len != 0)
        return ERG_EINVAL;
    if (utf8 && !erg__codec_utf8_valid(p, len))
        return ERG_EUTF8;
    acc->wire += varint_len(len) + len;
    acc->bytes += len + 1; /* a copy NUL-terminates it */
    return ERG_OK;
}

static erg_err_t size_fields(const erg_codec_desc_t *d, const void *v,
                             int depth, erg__codec_sizes_t *acc) {
    const char *base = v;
    for (uint32_t i = 0; i < d->nfields; i++) {
        unsigned s = scalar_size(d->fields[i].kind);
        if (s) {
            acc->wire += s;
            continue;
        }
        erg_err_t rv = size_value(d->fields[i].type, base + d->fields[i].offset,
                                  depth, acc);
        if (rv != ERG_OK)
            return rv;
    }
    return ERG_OK;
}

static erg_err_t size_value(const erg_codec_type_t *t, const void *v, int depth,
                            erg__codec_sizes_t *acc) {
    unsigned s = scalar_size(t->kind);
    if (s) {
        acc->wire += s;
        return ERG_OK;
    }
    switch (t->kind) {
    case ERG_CODEC_STRING:
    case ERG_CODEC_ATOM: {
        const erg_str_t *str = v;
        uint64_t b = t->kind == ERG_CODEC_ATOM ? ERG_CODEC_ATOM_MAX : t->bound;
        return size_str((const uint8_t *)str->ptr, str->len, b, true, acc);
    }
    case ERG_CODEC_BYTES: {
        const erg_bytes_t *b = v;
        return size_str(b->ptr, b->len, t->bound, false, acc);
    }
    case ERG_CODEC_PID: {
        const erg_wire_pid_t *p = v;
        acc->wire += 12;
        return size_str((const uint8_t *)p->node.ptr, p->node.len,
                        ERG_CODEC_ATOM_MAX, true, acc);
    }
    case ERG_CODEC_REF:
    case ERG_CODEC_ALIAS: {
        const erg_wire_ref_t *r = v;
        acc->wire += 16;
        return size_str((const uint8_t *)r->node.ptr, r->node.len,
                        ERG_CODEC_ATOM_MAX, true, acc);
    }
    case ERG_CODEC_ENUM:
        if (!enum_has(t->desc, v))
            return ERG_ETAG;
        acc->wire += scalar_size(t->desc->underlying);
        return ERG_OK;
    default:
        break;
    }
    if (++depth > ERG_CODEC_MAX_DEPTH)
        return ERG_EDEPTH;
    switch (t->kind) {
    case ERG_CODEC_STRUCT:
    case ERG_CODEC_MESSAGE:
        return size_fields(t->desc, v, depth, acc);
    case ERG_CODEC_UNION: {
        const erg_codec_desc_t *d = t->desc;
        unsigned tag = read_tag(d, v);
        if (tag >= d->nfields)
            return ERG_ETAG;
        acc->wire += varint_len(tag);
        const erg_codec_field_t *arm = &d->fields[tag];
        if (arm->type == NULL)
            return ERG_OK;
        return size_value(arm->type, (const char *)v + arm->offset, depth, acc);
    }
    case ERG_CODEC_OPTIONAL: {
        const void *inner;
        memcpy(&inner, v, sizeof inner);
        acc->wire += 1;
        if (inner == NULL)
            return ERG_OK;
        acc->aligned += align_up(t->elem->size, BLOCK_ALIGN);
        return size_value(t->elem, inner, depth, acc);
    }
    case ERG_CODEC_LIST: {
        const erg_codec_list_t *l = v;
        if (t->bound != 0 && l->len > t->bound)
            return ERG_EBOUNDS;
        if (l->len > UINT32_MAX)
            return ERG_ETOOBIG;
        if (l->ptr == NULL && l->len != 0)
            return ERG_EINVAL;
        acc->wire += varint_len(l->len);
        const erg_codec_type_t *et = t->elem;
        acc->aligned += align_up(l->len * et->size, BLOCK_ALIGN);
        unsigned es = scalar_size(et->kind);
        if (es) {
            acc->wire += es * l->len;
            return ERG_OK;
        }
        const char *p = l->ptr;
        for (size_t i = 0; i < l->len; i++, p += et->size) {
            erg_err_t rv = size_value(et, p, depth, acc);
            if (rv != ERG_OK)
                return rv;
        }
        return ERG_OK;
    }
    case ERG_CODEC_MAP: {
        const erg_codec_list_t *l = v;
        if (t->bound != 0 && l->len > t->bound)
            return ERG_EBOUNDS;
        if (l->len > UINT32_MAX)
            return ERG_ETOOBIG;
        if (l->ptr == NULL && l->len != 0)
            return ERG_EINVAL;
        acc->wire += varint_len(l->len);
        size_t esz, voff;
        entry_layout(t, &esz, &voff);
        acc->aligned += align_up(l->len * esz, BLOCK_ALIGN);
        const char *p = l->ptr;
        for (size_t i = 0; i < l->len; i++, p += esz) {
            erg_err_t rv = size_value(t->key, p, depth, acc);
            if (rv == ERG_OK)
                rv = size_value(t->elem, p + voff, depth, acc);
            if (rv != ERG_OK)
                return rv;
        }
        return ERG_OK;
    }
    default:
        return ERG_EINVAL;
    }
}

/* A top-level value is described by its descriptor alone. */
static erg_codec_type_t top_type(const erg_codec_desc_t *d) {
    erg_codec_type_t t = {
        .kind = d->kind, .size = d->size, .align = d->align, .desc = d};
    return t;
}

erg_err_t erg__codec_measure(const erg_codec_desc_t *desc, const void *value,
                             erg__codec_sizes_t *sizes) {
    if (!erg__codec_desc_ok(desc) || value == NULL || sizes == NULL)
        return ERG_EINVAL;
    erg_codec_type_t t = top_type(desc);
    *sizes = (erg__codec_sizes_t){0, 0, 0};
    return size_value(&t, value, 0, sizes);
}

erg_err_t erg_codec_encoded_size(const erg_codec_desc_t *desc,
                                 const void *value, size_t *size) {
    if (size == NULL)
        return ERG_EINVAL;
    erg__codec_sizes_t acc;
    erg_err_t rv = erg__codec_measure(desc, value, &acc);
    *size = rv == ERG_OK ? acc.wire : 0;
    return rv;
}

/* ---- encoding ------------------------------------------------------------ */

typedef struct enc {
    uint8_t *p;
    uint8_t *end;
} enc;

static uint8_t *put_varint(uint8_t *p, uint64_t v) {
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static erg_err_t enc_value(enc *e, const erg_codec_type_t *t, const void *v,
                           int depth);

static erg_err_t enc_str(enc *e, const uint8_t *p, size_t len, uint64_t bound,
                         bool utf8) {
    if (UNLIKELY(bound != 0 && len > bound))
        return ERG_EBOUNDS;
    if (UNLIKELY(len > UINT32_MAX))
        return ERG_ETOOBIG;
    if (UNLIKELY(p == NULL && len != 0))
        return ERG_EINVAL;
    if (utf8 && !erg__codec_utf8_valid(p, len))
        return ERG_EUTF8;
    if (UNLIKELY((size_t)(e->end - e->p) < len + varint_len(len)))
        return ERG_ETOOBIG;
    if (LIKELY(len < 0x80))
        *e->p++ = (uint8_t)len;
    else
        e->p = put_varint(e->p, len);
    if (len != 0)
        memcpy(e->p, p, len);
    e->p += len;
    return ERG_OK;
}

static erg_err_t enc_fields(enc *e, const erg_codec_desc_t *d, const void *v,
                            int depth) {
    const char *base = v;
    for (uint32_t i = 0; i < d->nfields; i++) {
        const erg_codec_field_t *f = &d->fields[i];
        unsigned s = scalar_size(f->kind);
        if (s) {
            if (UNLIKELY((size_t)(e->end - e->p) < s))
                return ERG_ETOOBIG;
            copy_scalar(e->p, base + f->offset, s);
            e->p += s;
            continue;
        }
        erg_err_t rv = enc_value(e, f->type, base + f->offset, depth);
        if (rv != ERG_OK)
            return rv;
    }
    return ERG_OK;
}

static erg_err_t enc_count(enc *e, const erg_codec_list_t *l, uint64_t bound) {
    if (UNLIKELY(bound != 0 && l->len > bound))
        return ERG_EBOUNDS;
    if (UNLIKELY(l->len > UINT32_MAX))
        return ERG_ETOOBIG;
    if (UNLIKELY(l->ptr == NULL && l->len != 0))
        return ERG_EINVAL;
    if (UNLIKELY((size_t)(e->end - e->p) < varint_len(l->len)))
        return ERG_ETOOBIG;
    e->p = put_varint(e->p, l->len);
    return ERG_OK;
}

static erg_err_t enc_value(enc *e, const erg_codec_type_t *t, const void *v,
                           int depth) {
    unsigned s = scalar_size(t->kind);
    if (s) {
        if (UNLIKELY((size_t)(e->end - e->p) < s))
            return ERG_ETOOBIG;
        copy_scalar(e->p, v, s);
        e->p += s;
        return ERG_OK;
    }
    switch (t->kind) {
    case ERG_CODEC_STRING:
    case ERG_CODEC_ATOM: {
        const erg_str_t *str = v;
        uint64_t b = t->kind == ERG_CODEC_ATOM ? ERG_CODEC_ATOM_MAX : t->bound;
        return enc_str(e, (const uint8_t *)str->ptr, str->len, b, true);
    }
    case ERG_CODEC_BYTES: {
        const erg_bytes_t *b = v;
        return enc_str(e, b->ptr, b->len, t->bound, false);
    }
    case ERG_CODEC_PID: {
        const erg_wire_pid_t *p = v;
        erg_err_t rv = enc_str(e, (const uint8_t *)p->node.ptr, p->node.len,
                               ERG_CODEC_ATOM_MAX, true);
        if (rv != ERG_OK)
            return rv;
        if ((size_t)(e->end - e->p) < 12)
            return ERG_ETOOBIG;
        memcpy(e->p, &p->id, 8);
        memcpy(e->p + 8, &p->creation, 4);
        e->p += 12;
        return ERG_OK;
    }
    case ERG_CODEC_REF:
    case ERG_CODEC_ALIAS: {
        const erg_wire_ref_t *r = v;
        erg_err_t rv = enc_str(e, (const uint8_t *)r->node.ptr, r->node.len,
                               ERG_CODEC_ATOM_MAX, true);
        if (rv != ERG_OK)
            return rv;
        if ((size_t)(e->end - e->p) < 16)
            return ERG_ETOOBIG;
        memcpy(e->p, &r->creation, 4);
        memcpy(e->p + 4, r->id, 12);
        e->p += 16;
        return ERG_OK;
    }
    case ERG_CODEC_ENUM: {
        const erg_codec_desc_t *d = t->desc;
        if (!enum_has(d, v))
            return ERG_ETAG;
        unsigned n = scalar_size(d->underlying);
        if ((size_t)(e->end - e->p) < n)
            return ERG_ETOOBIG;
        copy_scalar(e->p, v, n);
        e->p += n;
        return ERG_OK;
    }
    default:
        break;
    }
    if (UNLIKELY(++depth > ERG_CODEC_MAX_DEPTH))
        return ERG_EDEPTH;
    switch (t->kind) {
    case ERG_CODEC_STRUCT:
    case ERG_CODEC_MESSAGE:
        return enc_fields(e, t->desc, v, depth);
    case ERG_CODEC_UNION: {
        const erg_codec_desc_t *d = t->desc;
        unsigned tag = read_tag(d, v);
        if (tag >= d->nfields)
            return ERG_ETAG;
        if ((size_t)(e->end - e->p) < varint_len(tag))
            return ERG_ETOOBIG;
        e->p = put_varint(e->p, tag);
        const erg_codec_field_t *arm = &d->fields[tag];
        if (arm->type == NULL)
            return ERG_OK;
        return enc_value(e, arm->type, (const char *)v + arm->offset, depth);
    }
    case ERG_CODEC_OPTIONAL: {
        const void *inner;
        memcpy(&inner, v, sizeof inner);
        if (e->p == e->end)
            return ERG_ETOOBIG;
        *e->p++ = inner != NULL;
        return inner ? enc_value(e, t->elem, inner, depth) : ERG_OK;
    }
    case ERG_CODEC_LIST: {
        const erg_codec_list_t *l = v;
        erg_err_t rv = enc_count(e, l, t->bound);
        if (rv != ERG_OK)
            return rv;
        const erg_codec_type_t *et = t->elem;
        unsigned es = scalar_size(et->kind);
        if (es && et->kind != ERG_CODEC_BOOL) {
            size_t n = es * l->len;
            if ((size_t)(e->end - e->p) < n)
                return ERG_ETOOBIG;
            if (n != 0)
                memcpy(e->p, l->ptr, n);
            e->p += n;
            return ERG_OK;
        }
        const char *p = l->ptr;
        for (size_t i = 0; i < l->len; i++, p += et->size) {
            rv = enc_value(e, et, p, depth);
            if (rv != ERG_OK)
                return rv;
        }
        return ERG_OK;
    }
    case ERG_CODEC_MAP: {
        const erg_codec_list_t *l = v;
        erg_err_t rv = enc_count(e, l, t->bound);
        if (rv != ERG_OK)
            return rv;
        size_t esz, voff;
        entry_layout(t, &esz, &voff);
        const char *p = l->ptr;
        for (size_t i = 0; i < l->len; i++, p += esz) {
            rv = enc_value(e, t->key, p, depth);
            if (rv == ERG_OK)
                rv = enc_value(e, t->elem, p + voff, depth);
            if (rv != ERG_OK)
                return rv;
        }
        return ERG_OK;
    }
    default:
        return ERG_EINVAL;
    }
}

erg_err_t erg_codec_encode(const erg_codec_desc_t *desc, const void *value,
                           uint8_t *buf, size_t cap, size_t *len) {
    if (!erg__codec_desc_ok(desc) || value == NULL || len == NULL ||
        (buf == NULL && cap != 0))
        return ERG_EINVAL;
    erg_codec_type_t t = top_type(desc);
    enc e = {buf, buf + cap};
    erg_err_t rv = enc_value(&e, &t, value, 0);
    *len = rv == ERG_OK ? (size_t)(e.p - buf) : 0;
    return rv;
}

/* ---- decoding, pass 1: validate and measure ------------------------------ */

/* The first pass walks the input once, checking everything (lengths against
 * the remaining input and the bounds, UTF-8, tags, depth) and adding up the
 * memory the value needs; only then is one block allocated, and the second
 * pass fills it without checks. A failed decode has allocated nothing. */
typedef struct meas {
    const uint8_t *p;
    const uint8_t *end;
    size_t aligned; /* 8-aligned parts: arrays, optional pointees */
    size_t bytes;   /* string bytes, NUL-terminated */
} meas;

/* Decoded values never exceed this; also keeps the sums from overflowing. */
#define MAX_BLOCK ((size_t)1 << 40)

static erg_err_t get_varint(const uint8_t **pp, const uint8_t *end,
                            uint32_t *out) {
    const uint8_t *p = *pp;
    if (UNLIKELY(p == end))
        return ERG_ETRUNCATED;
    if (LIKELY(*p < 0x80)) {
        *out = *p;
        *pp = p + 1;
        return ERG_OK;
    }
    uint32_t v = 0;
    for (int i = 0; i < 5; i++) {
        if (p == end)
            return ERG_ETRUNCATED;
        uint8_t b = *p++;
        if (i == 4 && b > 0x0F)
            return ERG_EDECODE; /* more than 32 bits */
        v |= (uint32_t)(b & 0x7F) << (7 * i);
        if (b < 0x80) {
            if (b == 0)
                return ERG_EDECODE; /* overlong: a trailing zero group */
            *out = v;
            *pp = p;
            return ERG_OK;
        }
    }
    return ERG_EDECODE;
}

static erg_err_t meas_value(meas *m, const erg_codec_type_t *t, int depth);

static erg_err_t meas_str(meas *m, uint64_t bound, bool utf8) {
    uint32_t n;
    erg_err_t rv = get_varint(&m->p, m->end, &n);
    if (rv != ERG_OK)
        return rv;
    if (UNLIKELY((size_t)(m->end - m->p) < n))
        return ERG_ETRUNCATED;
    if (UNLIKELY(bound != 0 && n > bound))
        return ERG_EBOUNDS;
    if (utf8 && !erg__codec_utf8_valid(m->p, n))
        return ERG_EUTF8;
    m->p += n;
    m->bytes += (size_t)n + 1;
    return ERG_OK;
}

static erg_err_t meas_fixed(meas *m, size_t n) {
    if (UNLIKELY((size_t)(m->end - m->p) < n))
        return ERG_ETRUNCATED;
    m->p += n;
    return ERG_OK;
}

static erg_err_t meas_count(meas *m, uint64_t bound, size_t each,
                            uint32_t *count) {
    erg_err_t rv = get_varint(&m->p, m->end, count);
    if (rv != ERG_OK)
        return rv;
    /* A count that the remaining bytes cannot hold is truncation; checked
     * before the bound so both are caught before any allocation. */
    if (each == 0)
        each = 1;
    if (UNLIKELY(*count > (size_t)(m->end - m->p) / each))
        return ERG_ETRUNCATED;
    if (UNLIKELY(bound != 0 && *count > bound))
        return ERG_EBOUNDS;
    return ERG_OK;
}

static erg_err_t meas_fields(meas *m, const erg_codec_desc_t *d, int depth) {
    for (uint32_t i = 0; i < d->nfields; i++) {
        unsigned kind = d->fields[i].kind;
        unsigned s = scalar_size(kind);
        erg_err_t rv;
        if (s && kind != ERG_CODEC_BOOL)
            rv = meas_fixed(m, s);
        else
            rv = meas_value(m, d->fields[i].type, depth);
        if (rv != ERG_OK)
            return rv;
    }
    return ERG_OK;
}

static erg_err_t meas_value(meas *m, const erg_codec_type_t *t, int depth) {
    switch (t->kind) {
    case ERG_CODEC_BOOL:
        if (m->p == m->end)
            return ERG_ETRUNCATED;
        if (*m->p > 1)
            return ERG_EDECODE;
        m->p++;
        return ERG_OK;
    case ERG_CODEC_STRING:
        return meas_str(m, t->bound, true);
    case ERG_CODEC_ATOM:
        return meas_str(m, ERG_CODEC_ATOM_MAX, true);
    case ERG_CODEC_BYTES:
        return meas_str(m, t->bound, false);
    case ERG_CODEC_PID: {
        erg_err_t rv = meas_str(m, ERG_CODEC_ATOM_MAX, true);
        return rv == ERG_OK ? meas_fixed(m, 12) : rv;
    }
    case ERG_CODEC_REF:
    case ERG_CODEC_ALIAS: {
        erg_err_t rv = meas_str(m, ERG_CODEC_ATOM_MAX, true);
        return rv == ERG_OK ? meas_fixed(m, 16) : rv;
    }
    case ERG_CODEC_ENUM: {
        const erg_codec_desc_t *d = t->desc;
        unsigned n = scalar_size(d->underlying);
        if ((size_t)(m->end - m->p) < n)
            return ERG_ETRUNCATED;
        if (!enum_has(d, m->p))
            return ERG_ETAG;
        m->p += n;
        return ERG_OK;
    }
    default:
        break;
    }
    unsigned s = scalar_size(t->kind);
    if (s)
        return meas_fixed(m, s);
    if (UNLIKELY(++depth > ERG_CODEC_MAX_DEPTH))
        return ERG_EDEPTH;
    switch (t->kind) {
    case ERG_CODEC_STRUCT:
    case ERG_CODEC_MESSAGE:
        return meas_fields(m, t->desc, depth);
    case ERG_CODEC_UNION: {
        const erg_codec_desc_t *d = t->desc;
        uint32_t tag;
        erg_err_t rv = get_varint(&m->p, m->end, &tag);
        if (rv != ERG_OK)
            return rv;
        if (tag >= d->nfields)
            return ERG_ETAG;
        const erg_codec_type_t *at = d->fields[tag].type;
        return at ? meas_value(m, at, depth) : ERG_OK;
    }
    case ERG_CODEC_OPTIONAL:
        if (m->p == m->end)
            return ERG_ETRUNCATED;
        if (*m->p > 1)
            return ERG_EDECODE;
        if (*m->p++ == 0)
            return ERG_OK;
        m->aligned += align_up(t->elem->size, BLOCK_ALIGN);
        return meas_value(m, t->elem, depth);
    case ERG_CODEC_LIST: {
        const erg_codec_type_t *et = t->elem;
        uint32_t n;
        erg_err_t rv = meas_count(m, t->bound, min_wire(et), &n);
        if (rv != ERG_OK)
            return rv;
        m->aligned += align_up((size_t)n * et->size, BLOCK_ALIGN);
        unsigned es = scalar_size(et->kind);
        if (es && et->kind != ERG_CODEC_BOOL) {
            m->p += (size_t)es * n; /* meas_count checked the room */
            return ERG_OK;
        }
        for (uint32_t i = 0; i < n; i++) {
            rv = meas_value(m, et, depth);
            if (rv != ERG_OK)
                return rv;
        }
        if (m->aligned + m->bytes > MAX_BLOCK)
            return ERG_ETOOBIG;
        return ERG_OK;
    }
    case ERG_CODEC_MAP: {
        uint32_t n;
        erg_err_t rv =
            meas_count(m, t->bound, min_wire(t->key) + min_wire(t->elem), &n);
        if (rv != ERG_OK)
            return rv;
        size_t esz, voff;
        entry_layout(t, &esz, &voff);
        m->aligned += align_up((size_t)n * esz, BLOCK_ALIGN);
        for (uint32_t i = 0; i < n; i++) {
            rv = meas_value(m, t->key, depth);
            if (rv == ERG_OK)
                rv = meas_value(m, t->elem, depth);
            if (rv != ERG_OK)
                return rv;
        }
        if (m->aligned + m->bytes > MAX_BLOCK)
            return ERG_ETOOBIG;
        return ERG_OK;
    }
    default:
        return ERG_EINVAL;
    }
}

/* ---- decoding, pass 2: fill the block ------------------------------------ */

typedef struct fill {
    const uint8_t *p;
    char *aligned; /* next 8-aligned part */
    char *bytes;   /* next string */
} fill;

static uint32_t take_varint(const uint8_t **pp) {
    const uint8_t *p = *pp;
    uint32_t v = *p & 0x7F;
    int shift = 7;
    while (*p++ & 0x80) {
        v |= (uint32_t)(*p & 0x7F) << shift;
        shift += 7;
    }
    *pp = p;
    return v;
}

static const char *take_str(fill *f, size_t *len) {
    uint32_t n = LIKELY(*f->p < 0x80) ? *f->p++ : take_varint(&f->p);
    char *s = f->bytes;
    memcpy(s, f->p, n);
    s[n] = '\0';
    f->p += n;
    f->bytes += (size_t)n + 1;
    *len = n;
    return s;
}

static void fill_value(fill *f, const erg_codec_type_t *t, void *dst);

static void fill_fields(fill *f, const erg_codec_desc_t *d, char *dst) {
    for (uint32_t i = 0; i < d->nfields; i++) {
        const erg_codec_field_t *fd = &d->fields[i];
        unsigned s = scalar_size(fd->kind);
        if (s) {
            copy_scalar(dst + fd->offset, f->p, s);
            f->p += s;
        } else {
            fill_value(f, fd->type, dst + fd->offset);
        }
    }
}

static void fill_value(fill *f, const erg_codec_type_t *t, void *dst) {
    unsigned s = scalar_size(t->kind);
    if (s) {
        copy_scalar(dst, f->p, s);
        f->p += s;
        return;
    }
    switch (t->kind) {
    case ERG_CODEC_STRING:
    case ERG_CODEC_ATOM: {
        erg_str_t *str = dst;
        str->ptr = take_str(f, &str->len);
        return;
    }
    case ERG_CODEC_BYTES: {
        erg_bytes_t *b = dst;
        b->ptr = (const uint8_t *)take_str(f, &b->len);
        return;
    }
    case ERG_CODEC_PID: {
        erg_wire_pid_t *p = dst;
        p->node.ptr = take_str(f, &p->node.len);
        memcpy(&p->id, f->p, 8);
        memcpy(&p->creation, f->p + 8, 4);
        f->p += 12;
        return;
    }
    case ERG_CODEC_REF:
    case ERG_CODEC_ALIAS: {
        erg_wire_ref_t *r = dst;
        r->node.ptr = take_str(f, &r->node.len);
        memcpy(&r->creation, f->p, 4);
        memcpy(r->id, f->p + 4, 12);
        f->p += 16;
        return;
    }
    case ERG_CODEC_ENUM: {
        unsigned n = scalar_size(t->desc->underlying);
        copy_scalar(dst, f->p, n);
        f->p += n;
        return;
    }
    case ERG_CODEC_STRUCT:
    case ERG_CODEC_MESSAGE:
        fill_fields(f, t->desc, dst);
        return;
    case ERG_CODEC_UNION: {
        const erg_codec_desc_t *d = t->desc;
        int tag = (int)take_varint(&f->p);
        memcpy((char *)dst + d->tag_offset, &tag, sizeof tag);
        const erg_codec_field_t *arm = &d->fields[tag];
        if (arm->type != NULL)
            fill_value(f, arm->type, (char *)dst + arm->offset);
        return;
    }
    case ERG_CODEC_OPTIONAL: {
        void *inner = NULL;
        if (*f->p++) {
            inner = f->aligned;
            f->aligned += align_up(t->elem->size, BLOCK_ALIGN);
            fill_value(f, t->elem, inner);
        }
        memcpy(dst, &inner, sizeof inner);
        return;
    }
    case ERG_CODEC_LIST: {
        erg_codec_list_t *l = dst;
        const erg_codec_type_t *et = t->elem;
        uint32_t n = take_varint(&f->p);
        char *arr = n ? f->aligned : NULL;
        f->aligned += align_up((size_t)n * et->size, BLOCK_ALIGN);
        l->ptr = arr;
        l->len = n;
        unsigned es = scalar_size(et->kind);
        if (es) {
            if (n != 0)
                memcpy(arr, f->p, (size_t)es * n);
            f->p += (size_t)es * n;
            return;
        }
        for (uint32_t i = 0; i < n; i++, arr += et->size)
            fill_value(f, et, arr);
        return;
    }
    case ERG_CODEC_MAP: {
        erg_codec_list_t *l = dst;
        uint32_t n = take_varint(&f->p);
        size_t esz, voff;
        entry_layout(t, &esz, &voff);
        char *arr = n ? f->aligned : NULL;
        f->aligned += align_up((size_t)n * esz, BLOCK_ALIGN);
        l->ptr = arr;
        l->len = n;
        for (uint32_t i = 0; i < n; i++, arr += esz) {
            fill_value(f, t->key, arr);
            fill_value(f, t->elem, arr + voff);
        }
        return;
    }
    default:
        return;
    }
}

erg_err_t erg_codec_decode(const erg_codec_desc_t *desc, const uint8_t *buf,
                           size_t len, void **out) {
    if (out != NULL)
        *out = NULL;
    if (!erg__codec_desc_ok(desc) || out == NULL || (buf == NULL && len != 0))
        return ERG_EINVAL;
    erg_codec_type_t t = top_type(desc);
    meas m = {buf, buf + len, 0, 0};
    erg_err_t rv = meas_value(&m, &t, 0);
    if (rv != ERG_OK)
        return rv;
    if (m.p != m.end)
        return ERG_EDECODE; /* trailing bytes */
    size_t head = align_up(desc->size ? desc->size : 1, BLOCK_ALIGN);
    char *block = erg__malloc(head + m.aligned + m.bytes);
    if (block == NULL)
        return ERG_ENOMEM;
    fill f = {buf, block + head, block + head + m.aligned};
    fill_value(&f, &t, block);
    *out = block;
    return ERG_OK;
}

void erg_codec_free(const erg_codec_desc_t *desc, void *value) {
    (void)desc; /* one block whatever the type: see erg_codec_decode */
    erg__free(value);
}

/* ---- message header ------------------------------------------------------ */

void erg_codec_header_write(const erg_codec_header_t *h, uint8_t *out) {
    memcpy(out, &h->wire_id, 8);
    memcpy(out + 8, &h->version, 4);
    memcpy(out + 12, &h->length, 4);
}

erg_err_t erg_codec_header_read(const uint8_t *buf, size_t len,
                                erg_codec_header_t *h) {
    if (buf == NULL || h == NULL)
        return ERG_EINVAL;
    if (len < ERG_CODEC_HEADER_SIZE)
        return ERG_ETRUNCATED;
    memcpy(&h->wire_id, buf, 8);
    memcpy(&h->version, buf + 8, 4);
    memcpy(&h->length, buf + 12, 4);
    return ERG_OK;
}

erg_err_t erg_codec_encode_msg(const erg_codec_desc_t *desc, const void *value,
                               uint8_t *buf, size_t cap, size_t *len) {
    if (!erg__codec_desc_ok(desc) || desc->kind != ERG_CODEC_MESSAGE ||
        len == NULL || buf == NULL)
        return ERG_EINVAL;
    *len = 0;
    if (cap < ERG_CODEC_HEADER_SIZE)
        return ERG_ETOOBIG;
    size_t body;
    erg_err_t rv = erg_codec_encode(desc, value, buf + ERG_CODEC_HEADER_SIZE,
                                    cap - ERG_CODEC_HEADER_SIZE, &body);
    if (rv != ERG_OK)
        return rv;
    if (body > UINT32_MAX)
        return ERG_ETOOBIG;
    erg_codec_header_t h = {desc->wire_id, desc->version, (uint32_t)body};
    erg_codec_header_write(&h, buf);
    *len = ERG_CODEC_HEADER_SIZE + body;
    return ERG_OK;
}

erg_err_t erg_codec_decode_msg(const erg_codec_desc_t *desc, const uint8_t *buf,
                               size_t len, void **out) {
    if (out != NULL)
        *out = NULL;
    if (!erg__codec_desc_ok(desc) || desc->kind != ERG_CODEC_MESSAGE)
        return ERG_EINVAL;
    erg_codec_header_t h;
    erg_err_t rv = erg_codec_header_read(buf, len, &h);
    if (rv != ERG_OK)
        return rv;
    if (h.wire_id != desc->wire_id)
        return ERG_EINVAL;
    if (h.version != desc->version)
        return ERG_EVERSION;
    if (len - ERG_CODEC_HEADER_SIZE < h.length)
        return ERG_ETRUNCATED;
    if (len - ERG_CODEC_HEADER_SIZE > h.length)
        return ERG_EDECODE;
    return erg_codec_decode(desc, buf + ERG_CODEC_HEADER_SIZE, h.length, out);
}
