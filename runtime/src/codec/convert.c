/* SPDX-License-Identifier: MIT */
/* convert.c: what generated converters and dispatch tables run on: value
 * assignment between versions' types, copies, conversion chains, dispatch. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "codec/wire.h"
#include "util/alloc.h"

/* ---- scratch ------------------------------------------------------------- */

/* Each chunk is one allocation with a link in front; converters make few. */
typedef union chunk_u {
    union chunk_u *next;
    max_align_t align;
} chunk_t;

static void *scratch_alloc(erg_codec_scratch_t *sc, size_t size) {
    /* The inline buffer first: a conversion of a small message widens a
     * few short lists and must not pay a malloc for each. */
    size_t units = (size + sizeof(max_align_t) - 1) / sizeof(max_align_t);
    size_t cap = sizeof sc->local / sizeof sc->local[0];
    if (units <= cap - sc->used) {
        void *p = &sc->local[sc->used];
        sc->used += units ? units : 1;
        return p;
    }
    chunk_t *c = erg__malloc(sizeof(chunk_t) + (size ? size : 1));
    if (c == NULL)
        return NULL;
    c->next = sc->chunks;
    sc->chunks = c;
    return c + 1;
}

void erg_codec_scratch_fini(erg_codec_scratch_t *sc) {
    chunk_t *c = sc->chunks;
    while (c != NULL) {
        chunk_t *next = c->next;
        erg__free(c);
        c = next;
    }
    sc->chunks = NULL;
    sc->used = 0;
}

/* ---- numbers ------------------------------------------------------------- */

typedef enum num_class {
    NUM_NONE,
    NUM_SIGNED,
    NUM_UNSIGNED,
    NUM_FLOAT
} num_class;

static num_class classify(unsigned kind) {
    switch (kind) {
    case ERG_CODEC_I8:
    case ERG_CODEC_I16:
    case ERG_CODEC_I32:
    case ERG_CODEC_I64:
    case ERG_CODEC_TIME:
    case ERG_CODEC_DURATION:
        return NUM_SIGNED;
    case ERG_CODEC_U8:
    case ERG_CODEC_U16:
    case ERG_CODEC_U32:
    case ERG_CODEC_U64:
        return NUM_UNSIGNED;
    case ERG_CODEC_F32:
    case ERG_CODEC_F64:
        return NUM_FLOAT;
    default:
        return NUM_NONE;
    }
}

/* A number read from memory, in the widest type of its class. */
typedef struct num {
    num_class cls;
    int64_t s;
    uint64_t u;
    double f;
} num;

static num load_num(unsigned kind, const void *p) {
    num n = {classify(kind), 0, 0, 0};
    switch (kind) {
#define LOAD(K, T, field)        \
    case K: {                    \
        T v;                     \
        memcpy(&v, p, sizeof v); \
        n.field = v;             \
        break;                   \
    }
        LOAD(ERG_CODEC_I8, int8_t, s)
        LOAD(ERG_CODEC_I16, int16_t, s)
        LOAD(ERG_CODEC_I32, int32_t, s)
        LOAD(ERG_CODEC_I64, int64_t, s)
        LOAD(ERG_CODEC_TIME, int64_t, s)
        LOAD(ERG_CODEC_DURATION, int64_t, s)
        LOAD(ERG_CODEC_U8, uint8_t, u)
        LOAD(ERG_CODEC_U16, uint16_t, u)
        LOAD(ERG_CODEC_U32, uint32_t, u)
        LOAD(ERG_CODEC_U64, uint64_t, u)
        LOAD(ERG_CODEC_F32, float, f)
        LOAD(ERG_CODEC_F64, double, f)
#undef LOAD
    default:
        break;
    }
    return n;
}

static void int_range(unsigned kind, int64_t *lo, uint64_t *hi) {
    switch (kind) {
    case ERG_CODEC_I8:
        *lo = INT8_MIN, *hi = INT8_MAX;
        return;
    case ERG_CODEC_I16:
        *lo = INT16_MIN, *hi = INT16_MAX;
        return;
    case ERG_CODEC_I32:
        *lo = INT32_MIN, *hi = INT32_MAX;
        return;
    case ERG_CODEC_U8:
        *lo = 0, *hi = UINT8_MAX;
        return;
    case ERG_CODEC_U16:
        *lo = 0, *hi = UINT16_MAX;
        return;
    case ERG_CODEC_U32:
        *lo = 0, *hi = UINT32_MAX;
        return;
    case ERG_CODEC_U64:
        *lo = 0, *hi = UINT64_MAX;
        return;
    default: /* i64, time, duration */
        *lo = INT64_MIN, *hi = INT64_MAX;
        return;
    }
}

/* Converts n to the integer kind `to`: *bits receives the two's complement
 * value; false when it does not fit (after clamping under SATURATE). */
static bool to_int(num n, unsigned to, unsigned mode, uint64_t *bits) {
    int64_t lo;
    uint64_t hi;
    int_range(to, &lo, &hi);
    bool sat = mode == ERG_CODEC_SATURATE;
    switch (n.cls) {
    case NUM_SIGNED:
        if (n.s < lo) {
            *bits = (uint64_t)lo;
            return sat;
        }
        if (n.s > 0 && (uint64_t)n.s > hi) {
            *bits = hi;
            return sat;
        }
        *bits = (uint64_t)n.s;
        return true;
    case NUM_UNSIGNED:
        if (n.u > hi) {
            *bits = hi;
            return sat;
        }
        *bits = n.u;
        return true;
    case NUM_FLOAT:
        if (isnan(n.f)) {
            *bits = 0;
            return sat;
        }
        /* 2^63 and 2^64 are exact doubles; compare before converting. */
        if (n.f < (double)lo) {
            *bits = (uint64_t)lo;
            return sat;
        }
        if (n.f >= (double)hi + 1.0 ||
            (hi == UINT64_MAX && n.f >= 18446744073709551616.0) ||
            (hi == INT64_MAX && n.f >= 9223372036854775808.0)) {
            *bits = hi;
            return sat;
        }
        if (n.f < 0) {
            int64_t v = (int64_t)n.f;
            *bits = (uint64_t)v;
            return sat || (double)v == n.f;
        }
        uint64_t v = (uint64_t)n.f;
        *bits = v;
        return sat || (double)v == n.f;
    default:
        return false;
    }
}

static void store_int(unsigned kind, uint64_t bits, void *p) {
    switch (kind) {
    case ERG_CODEC_I8:
    case ERG_CODEC_U8: {
        uint8_t v = (uint8_t)bits;
        memcpy(p, &v, 1);
        return;
    }
    case ERG_CODEC_I16:
    case ERG_CODEC_U16: {
        uint16_t v = (uint16_t)bits;
        memcpy(p, &v, 2);
        return;
    }
    case ERG_CODEC_I32:
    case ERG_CODEC_U32: {
        uint32_t v = (uint32_t)bits;
        memcpy(p, &v, 4);
        return;
    }
    default:
        memcpy(p, &bits, 8);
        return;
    }
}

static erg_err_t assign_num(unsigned mode, unsigned from, const void *src,
                            unsigned to, void *dst) {
    num n = load_num(from, src);
    if (classify(to) != NUM_FLOAT) {
        uint64_t bits;
        if (!to_int(n, to, mode, &bits))
            return ERG_EVERSION;
        store_int(to, bits, dst);
        return ERG_OK;
    }
    double d = n.cls == NUM_SIGNED     ? (double)n.s
               : n.cls == NUM_UNSIGNED ? (double)n.u
                                       : n.f;
    if (to == ERG_CODEC_F64) {
        memcpy(dst, &d, 8);
        return ERG_OK;
    }
    if (isfinite(d) && (d > FLT_MAX || d < -FLT_MAX)) {
        if (mode != ERG_CODEC_SATURATE)
            return ERG_EVERSION;
        d = d > 0 ? FLT_MAX : -FLT_MAX;
    } else if (mode == ERG_CODEC_CHECKED && isfinite(d) &&
               (double)(float)d != d) {
        return ERG_EVERSION; /* would lose precision */
    }
    float f = (float)d;
    memcpy(dst, &f, 4);
    return ERG_OK;
}

/* ---- values -------------------------------------------------------------- */

/* Two types held the same way in C (bounds aside) can share memory. */
static bool same_ctype(const erg_codec_type_t *a, const erg_codec_type_t *b) {
    if (a == b)
        return true;
    if (a->kind != b->kind)
        return (a->kind == ERG_CODEC_STRING && b->kind == ERG_CODEC_ATOM) ||
               (a->kind == ERG_CODEC_ATOM && b->kind == ERG_CODEC_STRING) ||
               (a->kind == ERG_CODEC_REF && b->kind == ERG_CODEC_ALIAS) ||
               (a->kind == ERG_CODEC_ALIAS && b->kind == ERG_CODEC_REF);
    switch (a->kind) {
    case ERG_CODEC_ENUM:
    case ERG_CODEC_STRUCT:
    case ERG_CODEC_UNION:
        return a->desc == b->desc;
    case ERG_CODEC_LIST:
    case ERG_CODEC_OPTIONAL:
        return same_ctype(a->elem, b->elem);
    case ERG_CODEC_MAP:
        return same_ctype(a->key, b->key) && same_ctype(a->elem, b->elem);
    default:
        return true;
    }
}

static bool is_text(unsigned kind) {
    return kind == ERG_CODEC_STRING || kind == ERG_CODEC_ATOM ||
           kind == ERG_CODEC_BYTES;
}

static size_t align_to(size_t n, size_t a) {
    return (n + a - 1) / a * a;
}

static erg_err_t assign_value(erg_codec_scratch_t *sc, unsigned mode,
                              const erg_codec_type_t *from, const void *src,
                              const erg_codec_type_t *to, void *dst, int depth);

static erg_err_t assign_text(unsigned mode, const erg_codec_type_t *from,
                             const void *src, const erg_codec_type_t *to,
                             void *dst) {
    /* erg_str_t and erg_bytes_t share one layout: pointer, then length. */
    erg_bytes_t b;
    memcpy(&b, src, sizeof b);
    uint64_t bound =
        to->kind == ERG_CODEC_ATOM ? ERG_CODEC_ATOM_MAX : to->bound;
    (void)mode;
    if (bound != 0 && b.len > bound)
        return ERG_EVERSION;
    if (from->kind == ERG_CODEC_BYTES && to->kind != ERG_CODEC_BYTES &&
        !erg__codec_utf8_valid(b.ptr, b.len))
        return ERG_EVERSION;
    memcpy(dst, &b, sizeof b);
    return ERG_OK;
}

static erg_err_t assign_seq(erg_codec_scratch_t *sc, unsigned mode,
                            const erg_codec_type_t *from, const void *src,
                            const erg_codec_type_t *to, void *dst, int depth) {
    erg_codec_list_t in;
    memcpy(&in, src, sizeof in);
    if (to->bound != 0 && in.len > to->bound)
        return ERG_EVERSION;
    if (same_ctype(from, to)) {
        memcpy(dst, &in, sizeof in);
        return ERG_OK;
    }
    size_t isz, osz, ivoff = 0, ovoff = 0;
    if (to->kind == ERG_CODEC_LIST) {
        isz = from->elem->size;
        osz = to->elem->size;
    } else {
        const erg_codec_type_t *ik = from->key, *iv = from->elem;
        const erg_codec_type_t *ok = to->key, *ov = to->elem;
        ivoff = align_to(ik->size, iv->align);
        isz = align_to(ivoff + iv->size,
                       ik->align > iv->align ? ik->align : iv->align);
        ovoff = align_to(ok->size, ov->align);
        osz = align_to(ovoff + ov->size,
                       ok->align > ov->align ? ok->align : ov->align);
    }
    if (in.len > SIZE_MAX / (osz ? osz : 1))
        return ERG_ENOMEM;
    erg_codec_list_t out = {NULL, in.len};
    if (in.len != 0) {
        out.ptr = scratch_alloc(sc, in.len * osz);
        if (out.ptr == NULL)
            return ERG_ENOMEM;
    }
    const char *ip = in.ptr;
    char *op = out.ptr;
    if (to->kind == ERG_CODEC_LIST && classify(from->elem->kind) != NUM_NONE &&
        classify(to->elem->kind) != NUM_NONE) {
        /* Numbers element by element, without the generic dispatch: the
         * common list<u32> -> list<u64> widening. */
        unsigned fk = from->elem->kind, tk = to->elem->kind;
        for (size_t i = 0; i < in.len; i++, ip += isz, op += osz) {
            erg_err_t rv = assign_num(mode, fk, ip, tk, op);
            if (rv != ERG_OK)
                return rv;
        }
        memcpy(dst, &out, sizeof out);
        return ERG_OK;
    }
    for (size_t i = 0; i < in.len; i++, ip += isz, op += osz) {
        erg_err_t rv;
        if (to->kind == ERG_CODEC_LIST) {
            rv = assign_value(sc, mode, from->elem, ip, to->elem, op, depth);
        } else {
            rv = assign_value(sc, mode, from->key, ip, to->key, op, depth);
            if (rv == ERG_OK)
                rv = assign_value(sc, mode, from->elem, ip + ivoff, to->elem,
                                  op + ovoff, depth);
        }
        if (rv != ERG_OK)
            return rv;
    }
    memcpy(dst, &out, sizeof out);
    return ERG_OK;
}

static erg_err_t assign_value(erg_codec_scratch_t *sc, unsigned mode,
                              const erg_codec_type_t *from, const void *src,
                              const erg_codec_type_t *to, void *dst,
                              int depth) {
    if (++depth > ERG_CODEC_MAX_DEPTH)
        return ERG_EDEPTH;
    if (classify(from->kind) != NUM_NONE && classify(to->kind) != NUM_NONE)
        return assign_num(mode, from->kind, src, to->kind, dst);
    if (is_text(from->kind) && is_text(to->kind))
        return assign_text(mode, from, src, to, dst);
    if (to->kind == ERG_CODEC_OPTIONAL) {
        const void *inner = src;
        const erg_codec_type_t *ifrom = from;
        if (from->kind == ERG_CODEC_OPTIONAL) {
            memcpy(&inner, src, sizeof inner);
            ifrom = from->elem;
            if (inner == NULL || same_ctype(from, to)) {
                memcpy(dst, &inner, sizeof inner);
                return ERG_OK;
            }
        }
        void *box = scratch_alloc(sc, to->elem->size);
        if (box == NULL)
            return ERG_ENOMEM;
        erg_err_t rv =
            assign_value(sc, mode, ifrom, inner, to->elem, box, depth);
        if (rv == ERG_OK)
            memcpy(dst, &box, sizeof box);
        return rv;
    }
    if (from->kind == ERG_CODEC_OPTIONAL) {
        const void *inner;
        memcpy(&inner, src, sizeof inner);
        if (inner == NULL)
            return ERG_EVERSION; /* checked(optional) found nothing */
        return assign_value(sc, mode, from->elem, inner, to, dst, depth);
    }
    if ((from->kind == ERG_CODEC_LIST && to->kind == ERG_CODEC_LIST) ||
        (from->kind == ERG_CODEC_MAP && to->kind == ERG_CODEC_MAP))
        return assign_seq(sc, mode, from, src, to, dst, depth);
    if (same_ctype(from, to)) {
        memmove(dst, src, to->size);
        return ERG_OK;
    }
    return ERG_EINVAL;
}

erg_err_t erg_codec_assign(erg_codec_scratch_t *sc, unsigned mode,
                           const erg_codec_type_t *from, const void *src,
                           const erg_codec_type_t *to, void *dst) {
    if (sc == NULL || from == NULL || src == NULL || to == NULL || dst == NULL)
        return ERG_EINVAL;
    return assign_value(sc, mode, from, src, to, dst, 0);
}

/* ---- copies and chains --------------------------------------------------- */

/* ---- deep copies --------------------------------------------------------- */

/* A copy is laid out as a decoded value is: the top value, then 8-aligned
 * arrays and optional boxes, then the string bytes, in one block. */
typedef struct clone {
    char *aligned;
    char *bytes;
} clone;

static inline bool is_flat(unsigned kind) {
    return kind < ERG_CODEC_STRING || kind == ERG_CODEC_TIME ||
           kind == ERG_CODEC_DURATION || kind == ERG_CODEC_ENUM;
}

static void entry_sizes(const erg_codec_type_t *t, size_t *esz, size_t *voff) {
    const erg_codec_type_t *k = t->key, *v = t->elem;
    *voff = align_to(k->size, v->align);
    *esz = align_to(*voff + v->size, k->align > v->align ? k->align : v->align);
}

/* Copies src into dst (storage of t->size bytes), placing what it points
 * to in the block. dst already holds a byte copy of src. */
static void clone_fill(clone *c, const erg_codec_type_t *t, void *dst) {
    if (is_flat(t->kind))
        return;
    switch (t->kind) {
    case ERG_CODEC_STRING:
    case ERG_CODEC_ATOM:
    case ERG_CODEC_BYTES:
    case ERG_CODEC_PID:
    case ERG_CODEC_REF:
    case ERG_CODEC_ALIAS: {
        erg_bytes_t b; /* a string, or the node name leading pid and ref */
        memcpy(&b, dst, sizeof b);
        char *s = c->bytes;
        if (b.len != 0)
            memcpy(s, b.ptr, b.len);
        s[b.len] = '\0';
        c->bytes += b.len + 1;
        b.ptr = (const uint8_t *)s;
        memcpy(dst, &b, sizeof b);
        return;
    }
    case ERG_CODEC_STRUCT:
    case ERG_CODEC_MESSAGE: {
        const erg_codec_desc_t *d = t->desc;
        for (uint32_t i = 0; i < d->nfields; i++)
            if (!is_flat(d->fields[i].type->kind))
                clone_fill(c, d->fields[i].type,
                           (char *)dst + d->fields[i].offset);
        return;
    }
    case ERG_CODEC_UNION: {
        const erg_codec_desc_t *d = t->desc;
        int tag;
        memcpy(&tag, (char *)dst + d->tag_offset, sizeof tag);
        const erg_codec_field_t *arm = &d->fields[tag];
        if (arm->type != NULL)
            clone_fill(c, arm->type, (char *)dst + arm->offset);
        return;
    }
    case ERG_CODEC_OPTIONAL: {
        const void *inner;
        memcpy(&inner, dst, sizeof inner);
        if (inner == NULL)
            return;
        char *box = c->aligned;
        c->aligned += align_to(t->elem->size, 8);
        memcpy(box, inner, t->elem->size);
        clone_fill(c, t->elem, box);
        memcpy(dst, &box, sizeof box);
        return;
    }
    case ERG_CODEC_LIST:
    case ERG_CODEC_MAP: {
        erg_codec_list_t l;
        memcpy(&l, dst, sizeof l);
        size_t esz, voff = 0;
        if (t->kind == ERG_CODEC_LIST)
            esz = t->elem->size;
        else
            entry_sizes(t, &esz, &voff);
        char *arr = l.len ? c->aligned : NULL;
        c->aligned += align_to(l.len * esz, 8);
        if (l.len != 0)
            memcpy(arr, l.ptr, l.len * esz);
        l.ptr = arr;
        memcpy(dst, &l, sizeof l);
        char *p = arr;
        for (size_t i = 0; i < l.len; i++, p += esz) {
            if (t->kind == ERG_CODEC_LIST) {
                clone_fill(c, t->elem, p);
            } else {
                clone_fill(c, t->key, p);
                clone_fill(c, t->elem, p + voff);
            }
        }
        return;
    }
    default:
        return;
    }
}

erg_err_t erg_codec_copy(const erg_codec_desc_t *desc, const void *value,
                         void **out) {
    if (out != NULL)
        *out = NULL;
    if (!erg__codec_desc_ok(desc) || value == NULL || out == NULL)
        return ERG_EINVAL;
    /* One walk makes the encoder's checks (bounds, UTF-8, tags, enum
     * values, depth), so a copy holds exactly what a peer could decode and
     * the fill below meets only valid tags and finite nesting, and sizes
     * the block. */
    erg__codec_sizes_t sz;
    erg_err_t rv = erg__codec_measure(desc, value, &sz);
    if (rv != ERG_OK)
        return rv;
    erg_codec_type_t t = {.kind = desc->kind,
                          .size = desc->size,
                          .align = desc->align,
                          .desc = desc};
    size_t aligned = sz.aligned, bytes = sz.bytes;
    size_t head = align_to(desc->size ? desc->size : 1, 8);
    char *block = erg__malloc(head + aligned + bytes);
    if (block == NULL)
        return ERG_ENOMEM;
    memcpy(block, value, desc->size);
    clone c = {block + head, block + head + aligned};
    clone_fill(&c, &t, block);
    *out = block;
    return ERG_OK;
}

const erg_codec_desc_t *erg_codec_registry_find(const erg_codec_registry_t *reg,
                                                uint64_t wire_id,
                                                uint32_t version) {
    if (reg == NULL || reg->magic != ERG_CODEC_MAGIC)
        return NULL;
    for (size_t i = 0; i < reg->ntypes; i++)
        if (reg->types[i]->wire_id == wire_id &&
            reg->types[i]->version == version)
            return reg->types[i];
    return NULL;
}

/* Shortest chain of conversions from -> to: a breadth-first search over
 * versions. node[k] was reached from node[par[k]] by edge via[k]. Returns
 * the number of steps written to path (last step first), or -1 when `to`
 * cannot be reached. Each array holds nconvs + 1 entries. */
static int find_path(const erg_codec_registry_t *reg,
                     const erg_codec_desc_t *from, const erg_codec_desc_t *to,
                     const erg_codec_desc_t **node, size_t *via, size_t *par,
                     const erg_codec_conv_t **path) {
    size_t count = 1;
    node[0] = from;
    for (size_t head = 0; head < count; head++) {
        for (size_t i = 0; i < reg->nconvs; i++) {
            const erg_codec_conv_t *e = &reg->convs[i];
            if (e->from != node[head])
                continue;
            bool seen = false;
            for (size_t k = 0; k < count && !seen; k++)
                seen = node[k] == e->to;
            if (seen)
                continue;
            node[count] = e->to;
            via[count] = i;
            par[count] = head;
            if (e->to == to) {
                int steps = 0;
                for (size_t k = count; k != 0; k = par[k])
                    path[steps++] = &reg->convs[via[k]];
                return steps;
            }
            count++;
        }
    }
    return -1;
}

erg_err_t erg_codec_convert(const erg_codec_registry_t *reg,
                            const erg_codec_desc_t *from,
                            const erg_codec_desc_t *to, const void *in,
                            void **out) {
    if (out != NULL)
        *out = NULL;
    if (reg == NULL || reg->magic != ERG_CODEC_MAGIC ||
        !erg__codec_desc_ok(from) || !erg__codec_desc_ok(to) || in == NULL ||
        out == NULL)
        return ERG_EINVAL;
    if (from == to)
        return erg_codec_copy(to, in, out);
    if (from->wire_id != to->wire_id || reg->nconvs == 0)
        return ERG_EVERSION;
    size_t n = reg->nconvs;
    /* The search needs two index arrays and two pointer arrays of m. */
    size_t m = n + 1;
    /* Schemas have a few conversions per type: search on the stack, and
     * allocate only for a registry with many. */
    enum { LOCAL = 32 };
    _Static_assert(sizeof(void *) <= sizeof(size_t),
                   "pointer arrays share the index storage");
    size_t local[LOCAL * 4];
    size_t *via = local;
    if (m > LOCAL) {
        via = erg__malloc(m * (2 * sizeof(size_t) + 2 * sizeof(void *)));
        if (via == NULL)
            return ERG_ENOMEM;
    }
    size_t *par = via + m;
    const erg_codec_desc_t **node = (const erg_codec_desc_t **)(par + m);
    const erg_codec_conv_t **path = (const erg_codec_conv_t **)(node + m);
    int steps = find_path(reg, from, to, node, via, par, path);
    erg_err_t rv = steps < 0 ? ERG_EVERSION : ERG_OK;
    const void *cur = in;
    const erg_codec_desc_t *cur_desc = from;
    void *owned = NULL;
    for (int s = steps - 1; s >= 0 && rv == ERG_OK; s--) {
        void *next = NULL;
        rv = path[s]->fn(cur, &next);
        erg_codec_free(cur_desc, owned);
        owned = next;
        cur = next;
        cur_desc = path[s]->to;
    }
    if (via != local)
        erg__free(via);
    if (rv != ERG_OK) {
        erg_codec_free(cur_desc, owned);
        return rv;
    }
    *out = owned;
    return ERG_OK;
}

/* ---- dispatch ------------------------------------------------------------ */

const erg_codec_dispatch_t *
erg_codec_dispatch_find(const erg_codec_actor_t *actor, uint64_t wire_id,
                        uint32_t version) {
    if (actor == NULL || actor->magic != ERG_CODEC_MAGIC)
        return NULL;
    for (size_t i = 0; i < actor->nrows; i++) {
        const erg_codec_desc_t *d = actor->rows[i].msg;
        if (d->wire_id == wire_id && d->version == version)
            return &actor->rows[i];
    }
    return NULL;
}

erg_err_t erg_codec_dispatch(const erg_codec_actor_t *actor,
                             const void *handlers, uint64_t wire_id,
                             uint32_t version, void *state, const void *msg,
                             void *reply) {
    if (actor == NULL || actor->magic != ERG_CODEC_MAGIC || handlers == NULL ||
        msg == NULL)
        return ERG_EINVAL;
    const erg_codec_dispatch_t *row =
        erg_codec_dispatch_find(actor, wire_id, version);
    if (row == NULL)
        return ERG_ENOTACCEPTED;
    if (row->verb == ERG_CODEC_CALL && reply == NULL)
        return ERG_EINVAL;
    return row->shim(handlers, state, msg, reply);
}
