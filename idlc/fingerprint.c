/* SPDX-License-Identifier: MIT */
/* fingerprint.c: canonical byte form of a message or event version, its
 * SHA-256 fingerprint and the wire id (format in docs/fingerprint.md). */
#include "fingerprint.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

/* Tags of the canonical form. They are spelled out here rather than derived
 * from idl_builtin or idl_type_kind so that reordering an enum in ast.h can
 * never change a released fingerprint. docs/fingerprint.md lists them. */
enum {
    KIND_MESSAGE = 0x01,
    KIND_EVENT = 0x02,

    TAG_NO_PAYLOAD = 0x00, /* a union arm without a type */
    TAG_LIST = 0x20,
    TAG_MAP = 0x21,
    TAG_OPTIONAL = 0x22,
    TAG_ENUM = 0x30,
    TAG_STRUCT = 0x31,
    TAG_UNION = 0x32,
    TAG_REF = 0x3f, /* a named type already written out in this form */

    DEFAULT_NONE = 0x00,
    DEFAULT_SOME = 0x01,
};

static const uint8_t builtin_tags[] = {
    [IDL_T_BOOL] = 0x01,  [IDL_T_I8] = 0x02,   [IDL_T_I16] = 0x03,
    [IDL_T_I32] = 0x04,   [IDL_T_I64] = 0x05,  [IDL_T_U8] = 0x06,
    [IDL_T_U16] = 0x07,   [IDL_T_U32] = 0x08,  [IDL_T_U64] = 0x09,
    [IDL_T_F32] = 0x0a,   [IDL_T_F64] = 0x0b,  [IDL_T_STRING] = 0x0c,
    [IDL_T_BYTES] = 0x0d, [IDL_T_TIME] = 0x0e, [IDL_T_DURATION] = 0x0f,
    [IDL_T_PID] = 0x10,   [IDL_T_REF] = 0x11,  [IDL_T_ALIAS] = 0x12,
    [IDL_T_ATOM] = 0x13,
};

static const char header[] = "erg-fp"; /* followed by IDL_FP_FORMAT */

/* The checker guarantees a fully resolved AST; reaching one of these means a
 * bug in idlc, and a silently wrong fingerprint would be worse than a crash
 * because released fingerprints are compared across machines forever. */
_Noreturn static void bug(const char *what) {
    fprintf(stderr, "idlc: internal error: fingerprint: %s\n", what);
    abort();
}

static void *xrealloc(void *p, size_t size) {
    p = realloc(p, size);
    if (p == NULL) {
        fputs("idlc: out of memory\n", stderr);
        abort();
    }
    return p;
}

/* ---- the byte buffer ----------------------------------------------------- */

void idl_canon_fini(idl_canon *c) {
    free(c->data);
    c->data = NULL;
    c->len = 0;
    c->cap = 0;
}

static void put(idl_canon *c, const void *p, size_t n) {
    if (n > c->cap - c->len) {
        size_t cap = c->cap != 0 ? c->cap : 256;
        while (n > cap - c->len)
            cap *= 2;
        c->data = xrealloc(c->data, cap);
        c->cap = cap;
    }
    if (n != 0)
        memcpy(c->data + c->len, p, n);
    c->len += n;
}

static void put_u8(idl_canon *c, uint8_t v) {
    put(c, &v, 1);
}

/* Integers are little-endian whatever the host, byte by byte. */
static void put_u32(idl_canon *c, uint32_t v) {
    uint8_t b[4];
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    put(c, b, sizeof(b));
}

static void put_u64(idl_canon *c, uint64_t v) {
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    put(c, b, sizeof(b));
}

/* Length-prefixed, so "ab" + "c" and "a" + "bc" never look alike. */
static void put_bytes(idl_canon *c, const char *s, size_t n) {
    if (n > UINT32_MAX)
        bug("string longer than 4 GiB");
    put_u32(c, (uint32_t)n);
    put(c, s, n);
}

static void put_str(idl_canon *c, const char *s) {
    if (s == NULL)
        bug("missing name");
    put_bytes(c, s, strlen(s));
}

/* ---- values -------------------------------------------------------------- */

/* An integer literal as 64-bit two's complement: the field's type, written
 * just before, says whether to read it signed. */
static uint64_t int_bits(const idl_expr *e) {
    return e->negative ? (uint64_t)0 - e->magnitude : e->magnitude;
}

/* -1 when a < b, in value order, for signed and unsigned alike. */
static int int_cmp(const idl_expr *a, const idl_expr *b) {
    if (a->negative != b->negative)
        return a->negative ? -1 : 1;
    if (a->magnitude == b->magnitude)
        return 0;
    bool less = a->magnitude < b->magnitude;
    if (a->negative)
        less = !less;
    return less ? -1 : 1;
}

/* An enum default may be written `USD`, `Currency.USD` or
 * `shop.common.Currency.USD`; only the member itself is canonical. */
static const char *last_segment(const char *path) {
    const char *dot = strrchr(path, '.');
    return dot != NULL ? dot + 1 : path;
}

static uint64_t double_bits(double v) {
    uint64_t bits;
    memcpy(&bits, &v, sizeof(bits));
    return bits;
}

/* The encoding of a default follows the field's type, not the literal, so
 * `ratio: f64 = 1;` and `ratio: f64 = 1.0;` are the same schema. */
static void put_default(idl_canon *c, const idl_field *f) {
    const idl_expr *e = f->def;
    if (e == NULL) {
        put_u8(c, DEFAULT_NONE);
        return;
    }
    put_u8(c, DEFAULT_SOME);
    const idl_type *t = f->type;
    if (t->kind == IDL_TY_DECL && t->decl->kind == IDL_D_ENUM) {
        if (e->kind != IDL_EX_PATH || e->name.text == NULL)
            bug("enum default is not a member name");
        put_str(c, last_segment(e->name.text));
        return;
    }
    if (t->kind != IDL_TY_BUILTIN)
        bug("default on a type that takes none");
    switch (t->builtin) {
    case IDL_T_BOOL:
        if (e->kind != IDL_EX_BOOL)
            bug("bool default is not true/false");
        put_u8(c, e->bvalue ? 1 : 0);
        return;
    case IDL_T_I8:
    case IDL_T_I16:
    case IDL_T_I32:
    case IDL_T_I64:
    case IDL_T_U8:
    case IDL_T_U16:
    case IDL_T_U32:
    case IDL_T_U64:
    case IDL_T_TIME:
    case IDL_T_DURATION:
        if (e->kind != IDL_EX_INT)
            bug("integer default is not an integer literal");
        put_u64(c, int_bits(e));
        return;
    case IDL_T_F32:
    case IDL_T_F64: {
        double v;
        if (e->kind == IDL_EX_FLOAT)
            v = e->fvalue;
        else if (e->kind == IDL_EX_INT)
            v = e->negative ? -(double)e->magnitude : (double)e->magnitude;
        else
            bug("float default is not a number");
        /* The value an f32 field actually holds, not the one written. */
        if (t->builtin == IDL_T_F32)
            v = (double)(float)v;
        put_u64(c, double_bits(v));
        return;
    }
    case IDL_T_STRING:
    case IDL_T_BYTES:
    case IDL_T_ATOM:
        if (e->kind != IDL_EX_STRING)
            bug("string default is not a string literal");
        put_bytes(c, e->str, e->str_len);
        return;
    default:
        bug("default on a built-in that takes none");
    }
}

/* ---- named types already written ----------------------------------------- */

/* An open-addressing set of declarations, so that each named type is spelled
 * out once per form however often it is reached: the form stays linear in
 * the size of the schema, and recursive types terminate. */
typedef struct declset {
    const idl_decl **slots;
    size_t cap; /* a power of two, or 0 */
    size_t len;
} declset;

static size_t slot_of(const idl_decl *d, size_t cap) {
    uint64_t h = (uint64_t)(uintptr_t)d * UINT64_C(0x9e3779b97f4a7c15);
    return (size_t)(h >> 32) & (cap - 1);
}

/* Adds d; returns false when it was already there. */
static bool declset_add(declset *s, const idl_decl *d) {
    if (2 * (s->len + 1) > s->cap) {
        size_t cap = s->cap != 0 ? 2 * s->cap : 16;
        const idl_decl **slots = xrealloc(NULL, cap * sizeof(*slots));
        memset(slots, 0, cap * sizeof(*slots));
        for (size_t i = 0; i < s->cap; i++) {
            if (s->slots[i] == NULL)
                continue;
            size_t j = slot_of(s->slots[i], cap);
            while (slots[j] != NULL)
                j = (j + 1) & (cap - 1);
            slots[j] = s->slots[i];
        }
        free(s->slots);
        s->slots = slots;
        s->cap = cap;
    }
    size_t i = slot_of(d, s->cap);
    while (s->slots[i] != NULL) {
        if (s->slots[i] == d)
            return false;
        i = (i + 1) & (s->cap - 1);
    }
    s->slots[i] = d;
    s->len++;
    return true;
}

/* ---- the walk ------------------------------------------------------------ */

/* Pending work, last in first out. Nested types are walked with this stack
 * rather than by recursion: a schema chaining thousands of structs must not
 * overflow the C stack. */
typedef enum step_kind {
    STEP_FIELD,   /* name, type, default */
    STEP_ARM,     /* name, type or no-payload marker */
    STEP_TYPE,    /* one type */
    STEP_DEFAULT, /* the default of a field whose type is already out */
} step_kind;

typedef struct step {
    step_kind kind;
    const void *node; /* idl_field, or idl_type for STEP_TYPE */
} step;

typedef struct walk {
    idl_canon *out;
    declset seen;
    step *steps;
    size_t nsteps;
    size_t cap;
} walk;

static step *reserve(walk *w, size_t n) {
    if (n == 0)
        return NULL; /* an empty body: no steps (and no NULL + 0) */
    if (n > w->cap - w->nsteps) {
        size_t cap = w->cap != 0 ? w->cap : 64;
        while (n > cap - w->nsteps)
            cap *= 2;
        w->steps = xrealloc(w->steps, cap * sizeof(*w->steps));
        w->cap = cap;
    }
    step *s = w->steps + w->nsteps;
    w->nsteps += n;
    return s;
}

static void push(walk *w, step_kind kind, const void *node) {
    step *s = reserve(w, 1);
    s->kind = kind;
    s->node = node;
}

/* Writes the count of a field or arm list and queues its items so that the
 * first one is popped first. */
static void push_fields(walk *w, const idl_list *fields, step_kind kind) {
    size_t n = 0;
    for (const idl_field *f = fields->first; f != NULL; f = f->next)
        n++;
    if (n > UINT32_MAX)
        bug("too many fields");
    put_u32(w->out, (uint32_t)n);
    step *s = reserve(w, n);
    size_t i = n;
    for (const idl_field *f = fields->first; f != NULL; f = f->next) {
        s[--i].kind = kind;
        s[i].node = f;
    }
}

static int member_cmp(const void *pa, const void *pb) {
    const idl_member *a = *(const idl_member *const *)pa;
    const idl_member *b = *(const idl_member *const *)pb;
    int c = int_cmp(a->value, b->value);
    return c != 0 ? c : strcmp(a->name.text, b->name.text);
}

static uint8_t builtin_tag(idl_builtin b) {
    if ((size_t)b >= sizeof(builtin_tags) || builtin_tags[b] == 0)
        bug("unknown built-in type");
    return builtin_tags[b];
}

/* Members sorted by value then name: declaration order is not part of an
 * enum's meaning, and sorting makes the form independent of it. */
static void put_enum(idl_canon *c, const idl_decl *d) {
    put_u8(c, TAG_ENUM);
    put_str(c, d->qname);
    const idl_type *u = d->underlying;
    if (u == NULL)
        bug("enum without an underlying type");
    idl_builtin b = u->kind == IDL_TY_BUILTIN
                        ? u->builtin
                        : idl_builtin_lookup(u->name.text);
    put_u8(c, builtin_tag(b));

    size_t n = 0;
    for (const idl_member *m = d->members.first; m != NULL; m = m->next)
        n++;
    if (n > UINT32_MAX)
        bug("too many enum members");
    const idl_member **sorted = xrealloc(NULL, (n + 1) * sizeof(*sorted));
    size_t i = 0;
    for (const idl_member *m = d->members.first; m != NULL; m = m->next) {
        if (m->value == NULL || m->value->kind != IDL_EX_INT)
            bug("enum member value is not an integer");
        sorted[i++] = m;
    }
    qsort(sorted, n, sizeof(*sorted), member_cmp);
    put_u32(c, (uint32_t)n);
    for (i = 0; i < n; i++) {
        put_str(c, sorted[i]->name.text);
        put_u64(c, int_bits(sorted[i]->value));
    }
    free(sorted);
}

static void put_named(walk *w, const idl_decl *d) {
    if (d == NULL || d->qname == NULL)
        bug("unresolved named type");
    if (!declset_add(&w->seen, d)) {
        put_u8(w->out, TAG_REF);
        put_str(w->out, d->qname);
        return;
    }
    switch (d->kind) {
    case IDL_D_ENUM:
        put_enum(w->out, d);
        return;
    case IDL_D_STRUCT:
        put_u8(w->out, TAG_STRUCT);
        put_str(w->out, d->qname);
        push_fields(w, &d->fields, STEP_FIELD);
        return;
    case IDL_D_UNION:
        put_u8(w->out, TAG_UNION);
        put_str(w->out, d->qname);
        push_fields(w, &d->fields, STEP_ARM);
        return;
    default:
        bug("named type is not an enum, struct or union");
    }
}

static void put_type(walk *w, const idl_type *t) {
    idl_canon *c = w->out;
    switch (t->kind) {
    case IDL_TY_BUILTIN:
        put_u8(c, builtin_tag(t->builtin));
        /* Only string and bytes take a bound; 0 stands for none. */
        if (t->builtin == IDL_T_STRING || t->builtin == IDL_T_BYTES)
            put_u64(c, t->has_bound ? t->bound : 0);
        return;
    case IDL_TY_LIST:
        put_u8(c, TAG_LIST);
        put_u64(c, t->has_bound ? t->bound : 0);
        push(w, STEP_TYPE, t->elem);
        return;
    case IDL_TY_MAP:
        put_u8(c, TAG_MAP);
        put_u64(c, t->has_bound ? t->bound : 0);
        push(w, STEP_TYPE, t->elem); /* popped second: the value */
        push(w, STEP_TYPE, t->key);
        return;
    case IDL_TY_OPTIONAL:
        put_u8(c, TAG_OPTIONAL);
        push(w, STEP_TYPE, t->elem);
        return;
    case IDL_TY_DECL:
        put_named(w, t->decl);
        return;
    default:
        bug("unresolved type");
    }
}

static void run(walk *w) {
    while (w->nsteps > 0) {
        step s = w->steps[--w->nsteps];
        const idl_field *f = s.node;
        switch (s.kind) {
        case STEP_FIELD:
            if (f->type == NULL)
                bug("field without a type");
            put_str(w->out, f->name.text);
            push(w, STEP_DEFAULT, f);
            push(w, STEP_TYPE, f->type);
            break;
        case STEP_ARM:
            put_str(w->out, f->name.text);
            if (f->type == NULL)
                put_u8(w->out, TAG_NO_PAYLOAD);
            else
                push(w, STEP_TYPE, f->type);
            break;
        case STEP_TYPE:
            if (s.node == NULL)
                bug("missing type");
            put_type(w, s.node);
            break;
        case STEP_DEFAULT:
            put_default(w->out, f);
            break;
        }
    }
}

void idl_canonical_dump(const idl_decl *d, idl_canon *out) {
    if (d->kind != IDL_D_MESSAGE && d->kind != IDL_D_EVENT)
        bug("not a message or event version");
    put(out, header, sizeof(header) - 1);
    put_u8(out, IDL_FP_FORMAT);
    put_u8(out, d->kind == IDL_D_MESSAGE ? KIND_MESSAGE : KIND_EVENT);
    put_str(out, d->qname);
    put_u32(out, d->version);

    walk w = {.out = out};
    push_fields(&w, &d->fields, STEP_FIELD);
    run(&w);
    free(w.steps);
    free(w.seen.slots);
}

/* ---- hashes -------------------------------------------------------------- */

static void sha256(const void *data, size_t len, uint8_t md[32]) {
    unsigned int n = 0;
    if (EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) != 1 || n != 32)
        bug("libcrypto SHA-256 failed");
}

void idl_fingerprint_decl(idl_ctx *ctx, idl_decl *d) {
    (void)ctx;
    if (d->kind != IDL_D_MESSAGE && d->kind != IDL_D_EVENT)
        return;
    idl_canon c = {0};
    idl_canonical_dump(d, &c);
    sha256(c.data, c.len, d->fingerprint);
    idl_canon_fini(&c);
    d->wire_id = idl_wire_id(d->qname);
}

uint64_t idl_wire_id(const char *qname) {
    uint8_t md[32];
    sha256(qname, strlen(qname), md);
    uint64_t id = 0;
    for (int i = 0; i < 8; i++)
        id = (id << 8) | md[i];
    return id;
}

void idl_fingerprint_hex(const uint8_t fp[32], char out[65]) {
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = digits[fp[i] >> 4];
        out[2 * i + 1] = digits[fp[i] & 0x0f];
    }
    out[64] = '\0';
}
