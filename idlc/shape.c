/* SPDX-License-Identifier: MIT */
/* shape.c: renders a version's shape as text, reads it back, and says in
 * words what changed between two shapes. */
#include "shape.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- building ------------------------------------------------------------ */

typedef struct builder {
    idl_ctx *ctx;
    idl_shape *shape;
    size_t cap;
    const idl_decl **seen; /* decls already given a section */
    size_t nseen, seen_cap;
} builder;

static void *grow(idl_ctx *ctx, void *old, size_t n, size_t *cap, size_t elem) {
    if (n < *cap)
        return old;
    size_t c = *cap ? *cap * 2 : 8;
    void *p = idl_arena_alloc(ctx->arena, c * elem);
    if (n > 0)
        memcpy(p, old, n * elem);
    *cap = c;
    return p;
}

static bool seen_before(builder *b, const idl_decl *d) {
    for (size_t i = 0; i < b->nseen; i++)
        if (b->seen[i] == d)
            return true;
    b->seen =
        grow(b->ctx, (void *)b->seen, b->nseen, &b->seen_cap, sizeof(*b->seen));
    b->seen[b->nseen++] = d;
    return false;
}

/* Queues the named types a type reaches (each once). */
static void reach(builder *b, const idl_type *t, const idl_decl ***queue,
                  size_t *nq, size_t *qcap) {
    if (t == NULL)
        return;
    switch (t->kind) {
    case IDL_TY_DECL:
        if (!seen_before(b, t->decl)) {
            *queue = grow(b->ctx, (void *)*queue, *nq, qcap, sizeof(**queue));
            (*queue)[(*nq)++] = t->decl;
        }
        return;
    case IDL_TY_LIST:
    case IDL_TY_OPTIONAL:
        reach(b, t->elem, queue, nq, qcap);
        return;
    case IDL_TY_MAP:
        reach(b, t->key, queue, nq, qcap);
        reach(b, t->elem, queue, nq, qcap);
        return;
    default:
        return;
    }
}

static const char *literal_str(idl_ctx *ctx, const idl_expr *e) {
    switch (e->kind) {
    case IDL_EX_INT:
        return idl_arena_printf(ctx->arena, "%s%llu", e->negative ? "-" : "",
                                (unsigned long long)e->magnitude);
    case IDL_EX_FLOAT:
        return idl_arena_printf(ctx->arena, "%.17g", e->fvalue);
    case IDL_EX_BOOL:
        return e->bvalue ? "true" : "false";
    case IDL_EX_PATH: {
        const char *dot = strrchr(e->name.text, '.');
        return dot ? dot + 1 : e->name.text;
    }
    case IDL_EX_STRING: {
        /* Quoted with C escapes, so the text stays on one line. */
        char *out = idl_arena_alloc(ctx->arena, (size_t)e->str_len * 4 + 3);
        size_t k = 0;
        out[k++] = '"';
        for (uint32_t i = 0; i < e->str_len; i++) {
            unsigned char c = (unsigned char)e->str[i];
            if (c == '"' || c == '\\') {
                out[k++] = '\\';
                out[k++] = (char)c;
            } else if (c < 0x20 || c == 0x7f) {
                k += (size_t)sprintf(out + k, "\\x%02x", c);
            } else {
                out[k++] = (char)c;
            }
        }
        out[k++] = '"';
        out[k] = '\0';
        return out;
    }
    default:
        return "?";
    }
}

static int member_cmp(const void *pa, const void *pb) {
    const idl_shape_item *a = pa, *b = pb;
    long long va = strtoll(a->value, NULL, 10),
              vb = strtoll(b->value, NULL, 10);
    /* Values may exceed long long (u64); fall back to text order. */
    if (va != vb)
        return va < vb ? -1 : 1;
    int c = strcmp(a->value, b->value);
    return c != 0 ? c : strcmp(a->name, b->name);
}

static void add_section(builder *b, const idl_decl *d) {
    idl_ctx *ctx = b->ctx;
    idl_shape *s = b->shape;
    s->sections =
        grow(ctx, s->sections, s->nsections, &b->cap, sizeof(*s->sections));
    idl_shape_section *sec = &s->sections[s->nsections++];
    memset(sec, 0, sizeof(*sec));
    sec->kind = idl_decl_kind_name(d->kind);
    sec->qname = d->qname;
    size_t n = 0, cap = 0;
    if (d->kind == IDL_D_ENUM) {
        sec->extra = idl_type_str(ctx, d->underlying);
        for (idl_member *m = d->members.first; m != NULL; m = m->next) {
            sec->items = grow(ctx, sec->items, n, &cap, sizeof(*sec->items));
            sec->items[n++] = (idl_shape_item){"member", m->name.text, NULL,
                                               literal_str(ctx, m->value)};
        }
        /* Member declaration order is not part of the shape. */
        if (n > 1)
            qsort(sec->items, n, sizeof(*sec->items), member_cmp);
    } else {
        if (d->kind == IDL_D_MESSAGE || d->kind == IDL_D_EVENT)
            sec->extra = idl_arena_printf(ctx->arena, "v%u", d->version);
        const char *what = d->kind == IDL_D_UNION ? "arm" : "field";
        for (idl_field *f = d->fields.first; f != NULL; f = f->next) {
            sec->items = grow(ctx, sec->items, n, &cap, sizeof(*sec->items));
            sec->items[n++] = (idl_shape_item){
                what, f->name.text, f->type ? idl_type_str(ctx, f->type) : NULL,
                f->def ? literal_str(ctx, f->def) : NULL};
        }
    }
    sec->nitems = n;
}

idl_shape *idl_shape_of(idl_ctx *ctx, const idl_decl *d) {
    builder b = {
        ctx, idl_arena_alloc(ctx->arena, sizeof(idl_shape)), 0, NULL, 0, 0};
    const idl_decl **queue = NULL;
    size_t nq = 0, qcap = 0;
    seen_before(&b, d);
    queue = grow(ctx, (void *)queue, nq, &qcap, sizeof(*queue));
    queue[nq++] = d;
    for (size_t i = 0; i < nq; i++) {
        const idl_decl *cur = queue[i];
        add_section(&b, cur);
        for (idl_field *f = cur->fields.first; f != NULL; f = f->next)
            reach(&b, f->type, &queue, &nq, &qcap);
    }
    return b.shape;
}

/* ---- text ---------------------------------------------------------------- */

const char *idl_shape_render(idl_ctx *ctx, const idl_shape *s) {
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    if (out == NULL)
        abort();
    for (size_t i = 0; i < s->nsections; i++) {
        const idl_shape_section *sec = &s->sections[i];
        if (strcmp(sec->kind, "enum") == 0)
            fprintf(out, "%s %s : %s\n", sec->kind, sec->qname, sec->extra);
        else if (sec->extra != NULL)
            fprintf(out, "%s %s %s\n", sec->kind, sec->qname, sec->extra);
        else
            fprintf(out, "%s %s\n", sec->kind, sec->qname);
        for (size_t j = 0; j < sec->nitems; j++) {
            const idl_shape_item *it = &sec->items[j];
            fprintf(out, "  %s %s", it->what, it->name);
            if (it->type != NULL)
                fprintf(out, ": %s", it->type);
            if (it->value != NULL)
                fprintf(out, " = %s", it->value);
            fputc('\n', out);
        }
    }
    fclose(out);
    const char *text = idl_arena_strndup(ctx->arena, buf, len);
    free(buf);
    return text;
}

idl_shape *idl_shape_parse(idl_ctx *ctx, const char *text, size_t len) {
    idl_shape *s = idl_arena_alloc(ctx->arena, sizeof(*s));
    size_t cap = 0, icap = 0;
    idl_shape_section *sec = NULL;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        char *line = idl_arena_strndup(ctx->arena, p, n);
        p += n + (nl != NULL);
        if (n == 0)
            continue;
        if (line[0] != ' ') {
            s->sections = grow(ctx, s->sections, s->nsections, &cap,
                               sizeof(*s->sections));
            sec = &s->sections[s->nsections++];
            memset(sec, 0, sizeof(*sec));
            icap = 0;
            char *kind = strtok(line, " ");
            char *qname = strtok(NULL, " ");
            char *extra = strtok(NULL, "");
            if (kind == NULL || qname == NULL)
                return NULL;
            if (extra != NULL && strncmp(extra, ": ", 2) == 0)
                extra += 2; /* enum underlying type */
            sec->kind = kind;
            sec->qname = qname;
            sec->extra = extra;
            continue;
        }
        if (sec == NULL || strncmp(line, "  ", 2) != 0)
            return NULL;
        char *what = strtok(line + 2, " ");
        char *rest = strtok(NULL, "");
        if (what == NULL || rest == NULL)
            return NULL;
        idl_shape_item it = {what, rest, NULL, NULL};
        /* Types never contain " = ", so the first one starts the value. */
        char *eq = strstr(rest, " = ");
        if (eq != NULL) {
            *eq = '\0';
            it.value = eq + 3;
        }
        char *colon = strstr(rest, ": ");
        if (colon != NULL) {
            *colon = '\0';
            it.type = colon + 2;
        }
        sec->items =
            grow(ctx, sec->items, sec->nitems, &icap, sizeof(*sec->items));
        sec->items[sec->nitems++] = it;
    }
    return s->nsections > 0 ? s : NULL;
}

/* ---- differences
 * -------------------------------------------------------------- */

typedef struct sentences {
    idl_ctx *ctx;
    const char *text;
} sentences;

static void say(sentences *out, const char *prefix, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void say(sentences *out, const char *prefix, const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    out->text = idl_arena_printf(out->ctx->arena, "%s%s%s%s",
                                 out->text ? out->text : "",
                                 out->text ? "; " : "", prefix, buf);
}

static const idl_shape_item *find_item(const idl_shape_section *s,
                                       const char *name, size_t *index) {
    for (size_t i = 0; i < s->nitems; i++) {
        if (strcmp(s->items[i].name, name) == 0) {
            if (index)
                *index = i;
            return &s->items[i];
        }
    }
    return NULL;
}

static bool same_str(const char *a, const char *b) {
    if (a == NULL || b == NULL)
        return a == b;
    return strcmp(a, b) == 0;
}

/* A type with its numeric bounds removed: string<64> -> string,
 * list<i32, 10> -> list<i32>. */
static const char *unbounded(idl_ctx *ctx, const char *type) {
    char *out = idl_arena_strdup(ctx->arena, type ? type : "");
    char *w = out;
    for (const char *r = out; *r;) {
        bool angle = *r == '<';
        if ((angle || (*r == ',' && r[1] == ' ')) &&
            isdigit((unsigned char)r[angle ? 1 : 2])) {
            const char *q = r + (angle ? 1 : 2);
            while (isdigit((unsigned char)*q))
                q++;
            if (*q == '>') {
                /* string<64> loses "<64>"; list<T, 10> keeps its '>'. */
                r = angle ? q + 1 : q;
                continue;
            }
        }
        *w++ = *r++;
    }
    *w = '\0';
    return out;
}

static void diff_items(sentences *out, const char *prefix,
                       const idl_shape_section *old,
                       const idl_shape_section *now) {
    idl_ctx *ctx = out->ctx;
    bool is_enum = strcmp(now->kind, "enum") == 0;
    const char *what = now->nitems   ? now->items[0].what
                       : old->nitems ? old->items[0].what
                                     : "field";
    bool *renamed_old = calloc(old->nitems + 1, sizeof(bool));
    bool *renamed_new = calloc(now->nitems + 1, sizeof(bool));
    if (renamed_old == NULL || renamed_new == NULL)
        abort();
    /* Same position, same type, new name: a rename. */
    if (!is_enum) {
        for (size_t i = 0; i < old->nitems && i < now->nitems; i++) {
            const idl_shape_item *o = &old->items[i], *n = &now->items[i];
            if (strcmp(o->name, n->name) != 0 &&
                !find_item(now, o->name, NULL) &&
                !find_item(old, n->name, NULL) && same_str(o->type, n->type)) {
                say(out, prefix, "%s '%s' was renamed to '%s'", o->what,
                    o->name, n->name);
                renamed_old[i] = renamed_new[i] = true;
            }
        }
    }
    for (size_t i = 0; i < old->nitems; i++) {
        const idl_shape_item *o = &old->items[i];
        if (renamed_old[i])
            continue;
        const idl_shape_item *n = find_item(now, o->name, NULL);
        if (n == NULL) {
            say(out, prefix, "%s '%s' was removed", o->what, o->name);
            continue;
        }
        if (is_enum) {
            if (!same_str(o->value, n->value))
                say(out, prefix, "member '%s' changed value: %s -> %s", o->name,
                    o->value, n->value);
            continue;
        }
        if (!same_str(o->type, n->type)) {
            if (o->type == NULL || n->type == NULL)
                say(out, prefix, "%s '%s' %s", o->what, o->name,
                    o->type ? "lost its payload" : "gained a payload");
            else if (strcmp(unbounded(ctx, o->type), unbounded(ctx, n->type)) ==
                     0)
                say(out, prefix, "%s '%s' was re-bounded: %s -> %s", o->what,
                    o->name, o->type, n->type);
            else
                say(out, prefix, "%s '%s' was retyped: %s -> %s", o->what,
                    o->name, o->type, n->type);
        }
        if (!same_str(o->value, n->value)) {
            if (o->value == NULL)
                say(out, prefix, "%s '%s' gained the default %s", o->what,
                    o->name, n->value);
            else if (n->value == NULL)
                say(out, prefix, "%s '%s' lost its default %s", o->what,
                    o->name, o->value);
            else
                say(out, prefix, "the default of %s '%s' changed: %s -> %s",
                    o->what, o->name, o->value, n->value);
        }
    }
    for (size_t i = 0; i < now->nitems; i++)
        if (!renamed_new[i] && !find_item(old, now->items[i].name, NULL))
            say(out, prefix, "%s '%s' was added", now->items[i].what,
                now->items[i].name);
    /* Order of the names both sides share. */
    if (!is_enum) {
        size_t j = 0;
        bool reordered = false;
        for (size_t i = 0; i < old->nitems && !reordered; i++) {
            size_t at;
            if (renamed_old[i] || !find_item(now, old->items[i].name, &at))
                continue;
            if (at < j)
                reordered = true;
            j = at;
        }
        if (reordered)
            say(out, prefix, "%ss were reordered", what);
    }
    free(renamed_old);
    free(renamed_new);
}

static const idl_shape_section *find_section(const idl_shape *s,
                                             const char *qname) {
    for (size_t i = 0; i < s->nsections; i++)
        if (strcmp(s->sections[i].qname, qname) == 0)
            return &s->sections[i];
    return NULL;
}

static bool same_items(const idl_shape_section *a, const idl_shape_section *b) {
    if (a->nitems != b->nitems || strcmp(a->kind, b->kind) != 0 ||
        !same_str(a->extra, b->extra))
        return false;
    for (size_t i = 0; i < a->nitems; i++)
        if (strcmp(a->items[i].name, b->items[i].name) != 0 ||
            !same_str(a->items[i].type, b->items[i].type) ||
            !same_str(a->items[i].value, b->items[i].value))
            return false;
    return true;
}

const char *idl_shape_diff(idl_ctx *ctx, const idl_shape *old,
                           const idl_shape *now) {
    sentences out = {ctx, NULL};
    if (old->nsections == 0 || now->nsections == 0)
        return NULL;
    if (strcmp(old->sections[0].kind, now->sections[0].kind) != 0)
        say(&out, "", "it changed from %s to %s",
            strcmp(old->sections[0].kind, "event") == 0 ? "an event"
                                                        : "a message",
            strcmp(now->sections[0].kind, "event") == 0 ? "an event"
                                                        : "a message");
    diff_items(&out, "", &old->sections[0], &now->sections[0]);
    for (size_t i = 1; i < old->nsections; i++) {
        const idl_shape_section *o = &old->sections[i];
        const idl_shape_section *n = find_section(now, o->qname);
        const char *prefix =
            idl_arena_printf(ctx->arena, "in %s '%s': ", o->kind, o->qname);
        if (n == NULL) {
            /* A nested type with the same body under another name moved. */
            for (size_t k = 1; k < now->nsections; k++) {
                const idl_shape_section *c = &now->sections[k];
                if (!find_section(old, c->qname) && same_items(o, c)) {
                    say(&out, "",
                        "nested %s '%s' was renamed or moved to "
                        "'%s'",
                        o->kind, o->qname, c->qname);
                    break;
                }
            }
            continue;
        }
        if (strcmp(o->kind, n->kind) != 0) {
            say(&out, "", "'%s' changed from %s to %s", o->qname, o->kind,
                n->kind);
            continue;
        }
        if (!same_str(o->extra, n->extra))
            say(&out, prefix, "the underlying type changed: %s -> %s", o->extra,
                n->extra);
        diff_items(&out, prefix, o, n);
    }
    return out.text;
}
