/* SPDX-License-Identifier: MIT */
/* values.c: random values of described types (see values.h). */
#include "values.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void *tv_alloc(tv_arena *a, size_t size) {
    if (a->n == a->cap) {
        a->cap = a->cap ? 2 * a->cap : 64;
        a->blocks = realloc(a->blocks, a->cap * sizeof(void *));
        if (a->blocks == NULL)
            abort();
    }
    void *p = calloc(1, size ? size : 1);
    if (p == NULL)
        abort();
    a->blocks[a->n++] = p;
    return p;
}

void tv_arena_fini(tv_arena *a) {
    for (size_t i = 0; i < a->n; i++)
        free(a->blocks[i]);
    free(a->blocks);
    *a = (tv_arena){0};
}

uint64_t tv_next(tv_rng *r) {
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * UINT64_C(2685821657736338717);
}

static size_t below(tv_rng *r, size_t n) {
    return n ? (size_t)(tv_next(r) % n) : 0;
}

/* Up to max_bytes of UTF-8: ASCII, 2-, 3- and 4-byte characters. */
static erg_str_t rand_text(tv_rng *r, tv_arena *a, size_t max_bytes) {
    size_t want = below(r, max_bytes + 1);
    char *s = tv_alloc(a, want + 1);
    size_t n = 0;
    static const char *const pieces[] = {
        "a", "Z", "0", " ", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
        "~", "\n"};
    while (n < want) {
        const char *p = pieces[below(r, sizeof pieces / sizeof *pieces)];
        size_t len = strlen(p);
        if (n + len > want)
            p = "x", len = 1;
        memcpy(s + n, p, len);
        n += len;
    }
    return (erg_str_t){s, n};
}

static void rand_type(tv_rng *r, tv_arena *a, const erg_codec_type_t *t,
                      void *dst, int width, int depth);

static size_t cap_count(const erg_codec_type_t *t, int width, int depth) {
    size_t max = depth <= 0 ? 0 : (size_t)width;
    if (t->bound != 0 && max > t->bound)
        max = (size_t)t->bound;
    return max;
}

static void rand_desc(tv_rng *r, tv_arena *a, const erg_codec_desc_t *d,
                      void *dst, int width, int depth) {
    char *base = dst;
    switch (d->kind) {
    case ERG_CODEC_ENUM: {
        if (d->nvalues == 0)
            return;
        uint64_t v = d->values[below(r, d->nvalues)];
        memcpy(dst, &v, d->size); /* little-endian: the low bytes */
        return;
    }
    case ERG_CODEC_UNION: {
        if (d->nfields == 0)
            return;
        /* Near the depth limit prefer arms that cannot recurse. */
        int tag = (int)below(r, d->nfields);
        if (depth <= 0)
            tag = 0;
        memcpy(base + d->tag_offset, &tag, sizeof tag);
        const erg_codec_field_t *arm = &d->fields[tag];
        if (arm->type != NULL)
            rand_type(r, a, arm->type, base + arm->offset, width, depth - 1);
        return;
    }
    default:
        for (uint32_t i = 0; i < d->nfields; i++)
            rand_type(r, a, d->fields[i].type, base + d->fields[i].offset,
                      width, depth - 1);
        return;
    }
}

static size_t align_to(size_t n, size_t al) {
    return (n + al - 1) / al * al;
}

static void rand_type(tv_rng *r, tv_arena *a, const erg_codec_type_t *t,
                      void *dst, int width, int depth) {
    switch (t->kind) {
    case ERG_CODEC_BOOL: {
        bool b = tv_next(r) & 1;
        memcpy(dst, &b, sizeof b);
        return;
    }
    case ERG_CODEC_F32: {
        float f = (float)(int32_t)tv_next(r) / 7.0f;
        memcpy(dst, &f, 4);
        return;
    }
    case ERG_CODEC_F64: {
        double f = (double)(int64_t)tv_next(r) / 3.0;
        memcpy(dst, &f, 8);
        return;
    }
    case ERG_CODEC_I8:
    case ERG_CODEC_U8:
    case ERG_CODEC_I16:
    case ERG_CODEC_U16:
    case ERG_CODEC_I32:
    case ERG_CODEC_U32:
    case ERG_CODEC_I64:
    case ERG_CODEC_U64:
    case ERG_CODEC_TIME:
    case ERG_CODEC_DURATION: {
        uint64_t v = tv_next(r);
        memcpy(dst, &v, t->size);
        return;
    }
    case ERG_CODEC_STRING:
    case ERG_CODEC_BYTES: {
        size_t max = t->bound ? (size_t)t->bound : 24;
        if (max > 24 && below(r, 4) != 0)
            max = 24;
        erg_str_t s = rand_text(r, a, max);
        memcpy(dst, &s, sizeof s);
        return;
    }
    case ERG_CODEC_ATOM: {
        erg_str_t s = rand_text(r, a, 12);
        memcpy(dst, &s, sizeof s);
        return;
    }
    case ERG_CODEC_PID: {
        erg_wire_pid_t p = {rand_text(r, a, 16), tv_next(r),
                            (uint32_t)tv_next(r)};
        memcpy(dst, &p, sizeof p);
        return;
    }
    case ERG_CODEC_REF:
    case ERG_CODEC_ALIAS: {
        erg_wire_ref_t ref = {
            rand_text(r, a, 16),
            (uint32_t)tv_next(r),
            {(uint32_t)tv_next(r), (uint32_t)tv_next(r), (uint32_t)tv_next(r)}};
        memcpy(dst, &ref, sizeof ref);
        return;
    }
    case ERG_CODEC_ENUM:
    case ERG_CODEC_STRUCT:
    case ERG_CODEC_UNION:
        rand_desc(r, a, t->desc, dst, width, depth);
        return;
    case ERG_CODEC_OPTIONAL: {
        void *inner = NULL;
        if (depth > 0 && (tv_next(r) & 1)) {
            inner = tv_alloc(a, t->elem->size);
            rand_type(r, a, t->elem, inner, width, depth - 1);
        }
        memcpy(dst, &inner, sizeof inner);
        return;
    }
    case ERG_CODEC_LIST: {
        erg_codec_list_t l = {NULL, below(r, cap_count(t, width, depth) + 1)};
        l.ptr = tv_alloc(a, l.len * t->elem->size);
        for (size_t i = 0; i < l.len; i++)
            rand_type(r, a, t->elem, (char *)l.ptr + i * t->elem->size, width,
                      depth - 1);
        memcpy(dst, &l, sizeof l);
        return;
    }
    case ERG_CODEC_MAP: {
        const erg_codec_type_t *k = t->key, *v = t->elem;
        size_t voff = align_to(k->size, v->align);
        size_t al = k->align > v->align ? k->align : v->align;
        size_t esz = align_to(voff + v->size, al);
        erg_codec_list_t l = {NULL, below(r, cap_count(t, width, depth) + 1)};
        l.ptr = tv_alloc(a, l.len * esz);
        for (size_t i = 0; i < l.len; i++) {
            char *e = (char *)l.ptr + i * esz;
            rand_type(r, a, k, e, width, depth - 1);
            rand_type(r, a, v, e + voff, width, depth - 1);
        }
        memcpy(dst, &l, sizeof l);
        return;
    }
    default:
        return;
    }
}

void tv_random(tv_rng *r, tv_arena *a, const erg_codec_desc_t *desc, void *dst,
               int width, int depth) {
    memset(dst, 0, desc->size);
    rand_desc(r, a, desc, dst, width, depth + 1);
}
