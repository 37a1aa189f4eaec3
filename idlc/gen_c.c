/* SPDX-License-Identifier: MIT */
/* gen_c.c: C header and source generation from the checked AST. */
#include "gen_c.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "emit.h"
#include "fingerprint.h"

/* One generation run over one schema file. */
typedef struct gen {
    idl_ctx *ctx;
    idl_file *file;
    idl_emit h;            /* the header */
    idl_emit c;            /* the source */
    const char *rel;       /* "shop/payment" */
    const char *fid;       /* "shop_payment": file-level names */
    uint8_t fp[32];        /* schema fingerprint */
    const idl_decl **done; /* structs and unions already defined */
    size_t ndone;
    int tmp;          /* converter temporaries */
    const char **aux; /* list and map typedef names, for collisions */
    size_t naux;
    int errors;
    FILE *err;
    bool used_done; /* a converter statement jumps to `done` */
} gen;

#define A(...) idl_arena_printf(g->ctx->arena, __VA_ARGS__)

/* Emits one declaration or call, broken after ", " so that no line passes
 * column 79; continuation lines are indented by four more spaces. Only for
 * text without string literals. */
static void wline(idl_emit *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void wline(idl_emit *e, const char *fmt, ...) {
    char *text = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&text, fmt, ap) < 0)
        abort();
    va_end(ap);
    size_t width = 79 - (size_t)e->indent * 4;
    size_t lead = strspn(text, " ");
    const char *p = text;
    bool first = true;
    while (strlen(p) + (first ? 0 : lead + 4) > width) {
        size_t room = width - (first ? 0 : lead + 4);
        /* Break after the last ", " or "(" that fits. */
        size_t keep = 0, skip = 0;
        for (const char *q = p; (size_t)(q - p) + 1 <= room && *q; q++) {
            if (q[0] == ',' && q[1] == ' ')
                keep = (size_t)(q - p) + 1, skip = 1;
            else if (q[0] == '(' && q[1] != ')' && q[1] != '\0')
                keep = (size_t)(q - p) + 1, skip = 0;
        }
        if (keep == 0)
            break;
        idl_emit_line(e, "%*s%.*s", first ? 0 : (int)lead + 4, "", (int)keep,
                      p);
        p += keep + skip;
        first = false;
    }
    idl_emit_line(e, "%*s%s", first ? 0 : (int)lead + 4, "", p);
    free(text);
}

/* ---- names --------------------------------------------------------------- */

static const char *upper(gen *g, const char *s) {
    char *u = idl_arena_strdup(g->ctx->arena, s);
    for (char *c = u; *c; c++)
        *c = (char)toupper((unsigned char)*c);
    return u;
}

/* "shop_payment_money_t" -> "shop_payment_money"; actors drop "_actor_t". */
static const char *base_of(gen *g, const idl_decl *d) {
    const char *cn = d->c_name;
    size_t n = strlen(cn);
    size_t cut = d->kind == IDL_D_ACTOR && n > 8 ? 8 : 2;
    return idl_arena_strndup(g->ctx->arena, cn, n - cut);
}

/* The family name of a message version: base without "_v<N>". */
static const char *family_of(gen *g, const idl_decl *d) {
    const char *b = base_of(g, d);
    const char *v = strrchr(b, '_');
    return idl_arena_strndup(g->ctx->arena, b, (size_t)(v - b));
}

static const char *desc_of(gen *g, const idl_decl *d) {
    return A("%s_desc", base_of(g, d));
}

/* A member of an enum or an arm of a union: <BASE>_<NAME>. */
static const char *constant_of(gen *g, const idl_decl *d, const char *name) {
    return upper(g, A("%s_%s", base_of(g, d), name));
}

static bool is_msg(const idl_decl *d) {
    return d->kind == IDL_D_MESSAGE || d->kind == IDL_D_EVENT;
}

static bool is_type_decl(const idl_type *t, idl_decl_kind k) {
    return t->kind == IDL_TY_DECL && t->decl->kind == k;
}

/* ---- C types ------------------------------------------------------------- */

static const char *builtin_ctype(idl_builtin b) {
    switch (b) {
    case IDL_T_BOOL:
        return "bool";
    case IDL_T_I8:
        return "int8_t";
    case IDL_T_I16:
        return "int16_t";
    case IDL_T_I32:
        return "int32_t";
    case IDL_T_I64:
    case IDL_T_TIME:
    case IDL_T_DURATION:
        return "int64_t";
    case IDL_T_U8:
        return "uint8_t";
    case IDL_T_U16:
        return "uint16_t";
    case IDL_T_U32:
        return "uint32_t";
    case IDL_T_U64:
        return "uint64_t";
    case IDL_T_F32:
        return "float";
    case IDL_T_F64:
        return "double";
    case IDL_T_STRING:
    case IDL_T_ATOM:
        return "erg_str_t";
    case IDL_T_BYTES:
        return "erg_bytes_t";
    case IDL_T_PID:
        return "erg_wire_pid_t";
    case IDL_T_REF:
    case IDL_T_ALIAS:
        return "erg_wire_ref_t";
    case IDL_T_NONE:
        break;
    }
    return "void";
}

static const char *builtin_kind(idl_builtin b) {
    static const char *const names[] = {
        [IDL_T_BOOL] = "BOOL",         [IDL_T_I8] = "I8",
        [IDL_T_I16] = "I16",           [IDL_T_I32] = "I32",
        [IDL_T_I64] = "I64",           [IDL_T_U8] = "U8",
        [IDL_T_U16] = "U16",           [IDL_T_U32] = "U32",
        [IDL_T_U64] = "U64",           [IDL_T_F32] = "F32",
        [IDL_T_F64] = "F64",           [IDL_T_STRING] = "STRING",
        [IDL_T_BYTES] = "BYTES",       [IDL_T_TIME] = "TIME",
        [IDL_T_DURATION] = "DURATION", [IDL_T_PID] = "PID",
        [IDL_T_REF] = "REF",           [IDL_T_ALIAS] = "ALIAS",
        [IDL_T_ATOM] = "ATOM",
    };
    return names[b];
}

/* Wire size of fixed-size built-ins (docs/wire-format.md); 0 otherwise. */
static unsigned builtin_wire(idl_builtin b) {
    switch (b) {
    case IDL_T_BOOL:
    case IDL_T_I8:
    case IDL_T_U8:
        return 1;
    case IDL_T_I16:
    case IDL_T_U16:
        return 2;
    case IDL_T_I32:
    case IDL_T_U32:
    case IDL_T_F32:
        return 4;
    case IDL_T_I64:
    case IDL_T_U64:
    case IDL_T_F64:
    case IDL_T_TIME:
    case IDL_T_DURATION:
        return 8;
    case IDL_T_PID:
        return 13;
    case IDL_T_REF:
    case IDL_T_ALIAS:
        return 17;
    default:
        return 1; /* a length */
    }
}

static idl_builtin enum_underlying(const idl_decl *en) {
    const idl_type *u = en->underlying;
    return u->kind == IDL_TY_BUILTIN ? u->builtin
                                     : idl_builtin_lookup(u->name.text);
}

/* The C type of t; lists and maps are the typedefs named after `path`. */
static const char *ctype(gen *g, const idl_type *t, const char *path) {
    switch (t->kind) {
    case IDL_TY_BUILTIN:
        return builtin_ctype(t->builtin);
    case IDL_TY_DECL:
        return t->decl->c_name;
    case IDL_TY_LIST:
    case IDL_TY_MAP:
        return A("%s_t", path);
    case IDL_TY_OPTIONAL:
        return A("%s *", ctype(g, t->elem, path));
    case IDL_TY_NAMED:
        break;
    }
    return "void";
}

/* "T name" or "T *name". */
static const char *cdecl_of(gen *g, const char *type, const char *name) {
    size_t n = strlen(type);
    return type[n - 1] == '*' ? A("%s%s", type, name) : A("%s %s", type, name);
}

/* Two types held the same way in C (bounds aside). */
static bool c_same(const idl_type *a, const idl_type *b) {
    if (a->kind != b->kind)
        return false;
    switch (a->kind) {
    case IDL_TY_BUILTIN:
        return a->builtin == b->builtin ||
               strcmp(builtin_ctype(a->builtin), builtin_ctype(b->builtin)) ==
                   0;
    case IDL_TY_DECL:
        return a->decl == b->decl;
    case IDL_TY_LIST:
    case IDL_TY_OPTIONAL:
        return c_same(a->elem, b->elem);
    case IDL_TY_MAP:
        return c_same(a->key, b->key) && c_same(a->elem, b->elem);
    case IDL_TY_NAMED:
        break;
    }
    return false;
}

/* Fewest bytes a value of t encodes to. */
static unsigned min_wire_type(const idl_type *t);

static unsigned min_wire_decl(const idl_decl *d) {
    if (d->kind == IDL_D_ENUM)
        return builtin_wire(enum_underlying(d));
    if (d->kind == IDL_D_UNION)
        return 1;
    unsigned n = 0;
    for (const idl_field *f = d->fields.first; f != NULL; f = f->next)
        n += min_wire_type(f->type);
    return n;
}

static unsigned min_wire_type(const idl_type *t) {
    switch (t->kind) {
    case IDL_TY_BUILTIN:
        return builtin_wire(t->builtin);
    case IDL_TY_DECL:
        return min_wire_decl(t->decl);
    default:
        return 1; /* a count or a presence byte */
    }
}

/* ---- literals ------------------------------------------------------------ */

/* A C string literal of the bytes; octal escapes cannot swallow a digit
 * that follows them the way \x escapes can. */
static const char *c_string(gen *g, const char *s, size_t n) {
    char *out = idl_arena_alloc(g->ctx->arena, 4 * n + 3);
    size_t k = 0;
    out[k++] = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            out[k++] = '\\';
            out[k++] = (char)c;
        } else if (c == '\n') {
            out[k++] = '\\';
            out[k++] = 'n';
        } else if (c == '\t') {
            out[k++] = '\\';
            out[k++] = 't';
        } else if (c < 0x20 || c >= 0x7f || c == '?') {
            k += (size_t)sprintf(out + k, "\\%03o", c);
        } else {
            out[k++] = (char)c;
        }
    }
    out[k++] = '"';
    out[k] = '\0';
    return out;
}

static const char *int_literal(gen *g, idl_builtin b, bool neg, uint64_t m) {
    bool wide = b == IDL_T_I64 || b == IDL_T_U64 || b == IDL_T_TIME ||
                b == IDL_T_DURATION;
    if (neg) {
        if (m == (UINT64_C(1) << 63))
            return "INT64_MIN";
        if (m == (UINT64_C(1) << 31) && !wide)
            return "INT32_MIN";
        return m > INT32_MAX || wide ? A("INT64_C(-%" PRIu64 ")", m)
                                     : A("-%" PRIu64, m);
    }
    if (m > INT32_MAX || wide)
        return b == IDL_T_U64 || b == IDL_T_U32 ? A("UINT64_C(%" PRIu64 ")", m)
                                                : A("INT64_C(%" PRIu64 ")", m);
    return A("%" PRIu64, m);
}

static const char *float_literal(gen *g, double v, bool f32) {
    char buf[64];
    snprintf(buf, sizeof buf, f32 ? "%.9g" : "%.17g", v);
    if (strpbrk(buf, ".eE") == NULL)
        strcat(buf, ".0");
    return A("%s%s", buf, f32 ? "f" : "");
}

static const char *last_segment(const char *s) {
    const char *dot = strrchr(s, '.');
    return dot ? dot + 1 : s;
}

/* A default or conversion literal as a C initializer of type t (never an
 * optional: callers unwrap it). NULL when e is not a plain literal. */
static const char *literal_of(gen *g, const idl_expr *e, const idl_type *t) {
    if (t->kind == IDL_TY_DECL && t->decl->kind == IDL_D_ENUM &&
        e->kind == IDL_EX_PATH)
        return constant_of(g, t->decl, last_segment(e->name.text));
    if (t->kind != IDL_TY_BUILTIN)
        return NULL;
    switch (e->kind) {
    case IDL_EX_INT:
        if (t->builtin == IDL_T_F32 || t->builtin == IDL_T_F64)
            return float_literal(
                g, e->negative ? -(double)e->magnitude : (double)e->magnitude,
                t->builtin == IDL_T_F32);
        return int_literal(g, t->builtin, e->negative, e->magnitude);
    case IDL_EX_FLOAT:
        return float_literal(g, e->fvalue, t->builtin == IDL_T_F32);
    case IDL_EX_BOOL:
        return e->bvalue ? "true" : "false";
    case IDL_EX_STRING:
        if (t->builtin == IDL_T_BYTES)
            return A("{(const uint8_t *)%s, %u}",
                     c_string(g, e->str, e->str_len), e->str_len);
        return A("{%s, %u}", c_string(g, e->str, e->str_len), e->str_len);
    default:
        return NULL;
    }
}

/* ---- the header: enums --------------------------------------------------- */

static void gen_enum(gen *g, const idl_decl *d) {
    idl_emit *h = &g->h;
    const char *b = base_of(g, d);
    idl_builtin u = enum_underlying(d);
    size_t n = 0;
    for (const idl_member *m = d->members.first; m != NULL; m = m->next)
        n++;
    idl_emit_line(h, "/* enum %s : %s */", d->qname, idl_builtin_name(u));
    idl_emit_line(h, "typedef %s %s;", builtin_ctype(u), d->c_name);
    for (const idl_member *m = d->members.first; m != NULL; m = m->next)
        idl_emit_line(
            h, "#define %s %s", constant_of(g, d, m->name.text),
            int_literal(g, u, m->value->negative, m->value->magnitude));
    if (n > 0) {
        idl_emit_line(h,
                      "/* Members in declaration order, and their names. */");
        idl_emit_line(h, "extern const %s %s_values[%zu];", d->c_name, b, n);
        idl_emit_line(h, "extern const char *const %s_names[%zu];", b, n);
    }
    idl_emit_line(h, "/* The member's name; NULL for a value that is not "
                     "one. */");
    wline(h, "const char *%s_name(%s value);", b, d->c_name);
    idl_emit_blank(h);
}

/* ---- the header: structs ------------------------------------------------- */

/* Records a generated typedef name; the names of list and map types come
 * from field paths, so two paths can meet (`foo.bar_items` and
 * `foo_bar.items`) or meet a declared type's name. */
static void claim_aux(gen *g, const char *name) {
    bool dup = false;
    for (size_t i = 0; i < g->naux; i++)
        dup |= strcmp(g->aux[i], name) == 0;
    for (idl_file *f = g->ctx->files.first; f != NULL; f = f->next)
        for (idl_decl *d = f->decls.first; d != NULL; d = d->next)
            dup |= d->c_name != NULL && strcmp(d->c_name, name) == 0;
    if (dup) {
        fprintf(g->err,
                "idlc: error: %s: the C type name '%s' is generated "
                "twice; rename a field or a type\n",
                g->file->path, name);
        g->errors++;
    }
    g->aux = realloc(g->aux, (g->naux + 1) * sizeof(*g->aux));
    if (g->aux == NULL)
        abort();
    g->aux[g->naux++] = name;
}

/* The typedefs a field's lists and maps need, innermost first. */
static void gen_aux(gen *g, const idl_type *t, const char *path) {
    idl_emit *h = &g->h;
    switch (t->kind) {
    case IDL_TY_LIST: {
        const char *ip = A("%s_item", path);
        gen_aux(g, t->elem, ip);
        idl_emit_line(h, "typedef struct {");
        idl_emit_line(h, "    %s;",
                      cdecl_of(g, A("%s *", ctype(g, t->elem, ip)), "ptr"));
        idl_emit_line(h, "    size_t len;");
        idl_emit_line(h, "} %s_t;", path);
        claim_aux(g, A("%s_t", path));
        return;
    }
    case IDL_TY_MAP: {
        const char *vp = A("%s_value", path);
        gen_aux(g, t->elem, vp);
        idl_emit_line(h, "typedef struct {");
        idl_emit_line(h, "    %s;", cdecl_of(g, ctype(g, t->key, path), "key"));
        idl_emit_line(h, "    %s;",
                      cdecl_of(g, ctype(g, t->elem, vp), "value"));
        idl_emit_line(h, "} %s_entry_t;", path);
        claim_aux(g, A("%s_entry_t", path));
        idl_emit_line(h, "typedef struct {");
        idl_emit_line(h, "    %s_entry_t *ptr;", path);
        idl_emit_line(h, "    size_t len;");
        idl_emit_line(h, "} %s_t;", path);
        claim_aux(g, A("%s_t", path));
        return;
    }
    case IDL_TY_OPTIONAL:
        gen_aux(g, t->elem, path);
        return;
    default:
        return;
    }
}

static bool defined(gen *g, const idl_decl *d) {
    for (size_t i = 0; i < g->ndone; i++)
        if (g->done[i] == d)
            return true;
    return false;
}

static void gen_record(gen *g, const idl_decl *d);

/* Structs and unions held inline (directly or as a map value) must be
 * complete first; lists and optionals hold pointers and need only the
 * forward typedef. Recursion cannot pass through inline holding (the
 * checker refuses it), so this terminates. */
static void define_deps(gen *g, const idl_type *t) {
    switch (t->kind) {
    case IDL_TY_DECL:
        if (t->decl->kind != IDL_D_ENUM && t->decl->file == g->file)
            gen_record(g, t->decl);
        return;
    case IDL_TY_MAP:
        define_deps(g, t->elem);
        return;
    default:
        return;
    }
}

/* The comment above a generated struct: its title line, then the
 * schema's doc comment for it, if any, line by line. */
static void emit_doc_comment(idl_emit *h, const char *title, const char *doc) {
    if (doc == NULL || *doc == '\0') {
        idl_emit_line(h, "/* %s */", title);
        return;
    }
    idl_emit_line(h, "/* %s", title);
    for (const char *p = doc; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        /* A "*" "/" inside the schema's comment must not end ours. */
        char *line = malloc(n * 2 + 1);
        size_t k = 0;
        if (line == NULL)
            abort();
        for (size_t i = 0; i < n; i++) {
            line[k++] = p[i];
            if (p[i] == '*' && i + 1 < n && p[i + 1] == '/')
                line[k++] = ' ';
        }
        line[k] = '\0';
        if (k == 0)
            idl_emit_line(h, " *");
        else
            idl_emit_line(h, " * %s", line);
        free(line);
        p += n + (nl != NULL);
    }
    idl_emit_line(h, " */");
}

static void gen_record(gen *g, const idl_decl *d) {
    if (defined(g, d))
        return;
    g->done = realloc(g->done, (g->ndone + 1) * sizeof(*g->done));
    if (g->done == NULL)
        abort();
    g->done[g->ndone++] = d;
    for (const idl_field *f = d->fields.first; f != NULL; f = f->next)
        if (f->type != NULL)
            define_deps(g, f->type);

    idl_emit *h = &g->h;
    const char *b = base_of(g, d);
    for (const idl_field *f = d->fields.first; f != NULL; f = f->next)
        if (f->type != NULL)
            gen_aux(g, f->type, A("%s_%s", b, f->name.text));
    const char *title =
        is_msg(d) ? A("%s %s v%u%s%s",
                      d->kind == IDL_D_EVENT ? "event" : "message", d->qname,
                      d->version, d->deprecated ? "; deprecated" : "",
                      d->deprecated && d->deprecated_msg
                          ? A(": %s", d->deprecated_msg)
                          : "")
                  : A("%s %s", idl_decl_kind_name(d->kind), d->qname);
    emit_doc_comment(h, title, d->doc);
    idl_emit_line(h, "struct %s_s {", b);
    idl_emit_indent(h, 1);
    if (d->kind == IDL_D_UNION) {
        idl_emit_line(h, "%s_tag_t tag;", b);
        bool any = false;
        for (const idl_field *f = d->fields.first; f != NULL; f = f->next)
            any |= f->type != NULL;
        if (any) {
            idl_emit_line(h, "union {");
            for (const idl_field *f = d->fields.first; f != NULL; f = f->next)
                if (f->type != NULL)
                    idl_emit_line(
                        h, "    %s;",
                        cdecl_of(g,
                                 ctype(g, f->type, A("%s_%s", b, f->name.text)),
                                 f->name.text));
            idl_emit_line(h, "} u;");
        }
    } else if (d->fields.first == NULL) {
        idl_emit_line(h, "char erg__empty; /* C has no empty structs */");
    } else {
        for (const idl_field *f = d->fields.first; f != NULL; f = f->next)
            idl_emit_line(
                h, "%s;",
                cdecl_of(g, ctype(g, f->type, A("%s_%s", b, f->name.text)),
                         f->name.text));
    }
    idl_emit_indent(h, -1);
    idl_emit_line(h, "};");
    idl_emit_blank(h);
}

static void gen_union_tags(gen *g, const idl_decl *d) {
    idl_emit *h = &g->h;
    const char *b = base_of(g, d);
    idl_emit_line(h, "/* The arms of union %s; the tag is the arm's index. */",
                  d->qname);
    if (d->fields.first == NULL) {
        idl_emit_line(h,
                      "typedef int %s_tag_t; /* no arms: no value "
                      "decodes */",
                      b);
        idl_emit_blank(h);
        return;
    }
    idl_emit_line(h, "typedef enum %s_tag_e {", b);
    unsigned i = 0;
    for (const idl_field *f = d->fields.first; f != NULL; f = f->next, i++)
        idl_emit_line(h, "    %s = %u,", constant_of(g, d, f->name.text), i);
    idl_emit_line(h, "} %s_tag_t;", b);
    idl_emit_blank(h);
}

/* ---- the header: initializers -------------------------------------------- */

static bool has_defaults(const idl_decl *d) {
    if (d->kind != IDL_D_STRUCT && !is_msg(d))
        return false;
    for (const idl_field *f = d->fields.first; f != NULL; f = f->next) {
        if (f->def != NULL)
            return true;
        if (is_type_decl(f->type, IDL_D_STRUCT) && has_defaults(f->type->decl))
            return true;
    }
    return false;
}

/* A macro line, its backslash at column 79 as clang-format aligns them. */
static void macro_line(gen *g, const char *text) {
    size_t n = strlen(text);
    idl_emit_line(&g->h, "%s%*s\\", text, n < 78 ? (int)(78 - n) : 1, "");
}

static void gen_init(gen *g, const idl_decl *d) {
    const char *name = A("%s_INIT", upper(g, base_of(g, d)));
    if (!has_defaults(d)) {
        idl_emit_line(&g->h, "#define %s {0}", name);
        return;
    }
    macro_line(g, A("#define %s", name));
    macro_line(g, "    {");
    for (const idl_field *f = d->fields.first; f != NULL; f = f->next) {
        const char *v = NULL;
        if (f->def != NULL)
            v = literal_of(g, f->def, f->type);
        else if (is_type_decl(f->type, IDL_D_STRUCT) &&
                 has_defaults(f->type->decl))
            v = A("%s_INIT", upper(g, base_of(g, f->type->decl)));
        if (v != NULL)
            macro_line(g, A("        .%s = %s,", f->name.text, v));
    }
    idl_emit_line(&g->h, "    }");
}

/* ---- the source: descriptors --------------------------------------------- */

/* The codec kind of a type, as its ERG_CODEC_* name. */
static const char *kind_of(gen *g, const idl_type *t) {
    switch (t->kind) {
    case IDL_TY_BUILTIN:
        return A("ERG_CODEC_%s", builtin_kind(t->builtin));
    case IDL_TY_DECL:
        return t->decl->kind == IDL_D_ENUM     ? "ERG_CODEC_ENUM"
               : t->decl->kind == IDL_D_STRUCT ? "ERG_CODEC_STRUCT"
                                               : "ERG_CODEC_UNION";
    case IDL_TY_LIST:
        return "ERG_CODEC_LIST";
    case IDL_TY_MAP:
        return "ERG_CODEC_MAP";
    case IDL_TY_OPTIONAL:
        return "ERG_CODEC_OPTIONAL";
    case IDL_TY_NAMED:
        break;
    }
    return "0";
}

/* Emits the type node of t (children first) and returns its name. */
static const char *gen_node(gen *g, const idl_type *t, const char *npath,
                            const char *tpath) {
    const char *kind = "0", *size = "0", *align = "0", *elem = "NULL",
               *key = "NULL", *desc = "NULL";
    uint64_t bound = t->has_bound ? t->bound : 0;
    switch (t->kind) {
    case IDL_TY_BUILTIN:
        kind = A("ERG_CODEC_%s", builtin_kind(t->builtin));
        size = A("sizeof(%s)", builtin_ctype(t->builtin));
        align = A("_Alignof(%s)", builtin_ctype(t->builtin));
        break;
    case IDL_TY_DECL:
        kind = t->decl->kind == IDL_D_ENUM     ? "ERG_CODEC_ENUM"
               : t->decl->kind == IDL_D_STRUCT ? "ERG_CODEC_STRUCT"
                                               : "ERG_CODEC_UNION";
        size = A("sizeof(%s)", t->decl->c_name);
        align = A("_Alignof(%s)", t->decl->c_name);
        desc = A("&%s", desc_of(g, t->decl));
        break;
    case IDL_TY_LIST:
        elem = A("&%s", gen_node(g, t->elem, A("%s_item", npath),
                                 A("%s_item", tpath)));
        kind = "ERG_CODEC_LIST";
        size = "sizeof(erg_codec_list_t)";
        align = "_Alignof(erg_codec_list_t)";
        break;
    case IDL_TY_MAP:
        key = A("&%s", gen_node(g, t->key, A("%s_key", npath), tpath));
        elem = A("&%s", gen_node(g, t->elem, A("%s_value", npath),
                                 A("%s_value", tpath)));
        kind = "ERG_CODEC_MAP";
        size = "sizeof(erg_codec_list_t)";
        align = "_Alignof(erg_codec_list_t)";
        break;
    case IDL_TY_OPTIONAL:
        elem = A("&%s", gen_node(g, t->elem, A("%s_some", npath), tpath));
        kind = "ERG_CODEC_OPTIONAL";
        size = "sizeof(void *)";
        align = "_Alignof(void *)";
        break;
    case IDL_TY_NAMED:
        break;
    }
    const char *name = A("%s_ty", npath);
    if (strlen(name) + 35 <= 79)
        idl_emit_line(&g->c, "static const erg_codec_type_t %s = {", name);
    else
        idl_emit_line(&g->c, "static const erg_codec_type_t\n    %s = {", name);
    wline(&g->c, "    %s, %s, %s, UINT64_C(%" PRIu64 "), %s, %s, %s};", kind,
          size, align, bound, elem, key, desc);
    /* The codec holds every list and map as erg_codec_list_t, and lays a
     * map entry out as { K key; V value; } by the C rules: check both. */
    if (t->kind == IDL_TY_LIST || t->kind == IDL_TY_MAP)
        idl_emit_line(&g->c, "ERG_CODEC_ASSERT_LIST(%s_t);", tpath);
    if (t->kind == IDL_TY_MAP)
        wline(&g->c, "ERG_CODEC_ASSERT_ENTRY(%s_entry_t, %s, %s);", tpath,
              ctype(g, t->key, tpath), ctype(g, t->elem, A("%s_value", tpath)));
    return name;
}

static void gen_fingerprint_array(gen *g, const char *name,
                                  const uint8_t fp[32]) {
    idl_emit *c = &g->c;
    idl_emit_line(c, "const uint8_t %s[32] = {", name);
    for (int row = 0; row < 4; row++) {
        idl_emit_printf(c, "   ");
        for (int i = 0; i < 8; i++)
            idl_emit_printf(c, " 0x%02x,", fp[row * 8 + i]);
        idl_emit_blank(c);
    }
    idl_emit_line(c, "};");
}

static void gen_enum_desc(gen *g, const idl_decl *d) {
    idl_emit *c = &g->c;
    const char *b = base_of(g, d);
    idl_builtin u = enum_underlying(d);
    size_t n = 0;
    bool dense = true;
    for (const idl_member *m = d->members.first; m != NULL; m = m->next, n++)
        dense &= !m->value->negative && m->value->magnitude == n;
    if (n > 0) {
        idl_emit_line(c, "const %s %s_values[%zu] = {", d->c_name, b, n);
        for (const idl_member *m = d->members.first; m != NULL; m = m->next)
            idl_emit_line(c, "    %s,", constant_of(g, d, m->name.text));
        idl_emit_line(c, "};");
        idl_emit_line(c, "const char *const %s_names[%zu] = {", b, n);
        for (const idl_member *m = d->members.first; m != NULL; m = m->next)
            idl_emit_line(c, "    \"%s\",", m->name.text);
        idl_emit_line(c, "};");
        /* The codec compares members as 64-bit patterns, sign-extended. */
        idl_emit_line(c, "static const uint64_t %s_bits[%zu] = {", b, n);
        for (const idl_member *m = d->members.first; m != NULL; m = m->next) {
            uint64_t bits = m->value->negative
                                ? (uint64_t)0 - m->value->magnitude
                                : m->value->magnitude;
            idl_emit_line(c, "    UINT64_C(0x%" PRIx64 "),", bits);
        }
        idl_emit_line(c, "};");
    }
    idl_emit_line(c, "const char *%s_name(%s value) {", b, d->c_name);
    if (n > 0) {
        idl_emit_line(c, "    for (size_t i = 0; i < %zu; i++)", n);
        idl_emit_line(c, "        if (%s_values[i] == value)", b);
        idl_emit_line(c, "            return %s_names[i];", b);
    } else {
        idl_emit_line(c, "    (void)value;");
    }
    idl_emit_line(c, "    return NULL;");
    idl_emit_line(c, "}");
    idl_emit_line(c, "const erg_codec_desc_t %s_desc = {", b);
    idl_emit_line(c, "    .magic = ERG_CODEC_MAGIC,");
    idl_emit_line(c, "    .abi = ERG_IDL_ABI,");
    idl_emit_line(c, "    .kind = ERG_CODEC_ENUM,");
    if (dense && n > 0)
        idl_emit_line(c, "    .flags = ERG_CODEC_F_DENSE,");
    idl_emit_line(c, "    .name = \"%s\",", d->qname);
    idl_emit_line(c, "    .c_name = \"%s\",", d->c_name);
    idl_emit_line(c, "    .size = sizeof(%s),", d->c_name);
    idl_emit_line(c, "    .align = _Alignof(%s),", d->c_name);
    idl_emit_line(c, "    .min_wire = %u,", builtin_wire(u));
    idl_emit_line(c, "    .underlying = ERG_CODEC_%s,", builtin_kind(u));
    idl_emit_line(c, "    .nvalues = %zu,", n);
    if (n > 0) {
        idl_emit_line(c, "    .values = %s_bits,", b);
        idl_emit_line(c, "    .names = %s_names,", b);
    }
    idl_emit_line(c, "};");
    idl_emit_blank(c);
}

static void gen_record_desc(gen *g, const idl_decl *d) {
    idl_emit *c = &g->c;
    const char *b = base_of(g, d);
    size_t n = 0;
    const char **nodes = NULL;
    for (const idl_field *f = d->fields.first; f != NULL; f = f->next)
        n++;
    nodes = idl_arena_alloc(g->ctx->arena, (n + 1) * sizeof(*nodes));
    size_t i = 0;
    for (const idl_field *f = d->fields.first; f != NULL; f = f->next, i++)
        nodes[i] = f->type ? gen_node(g, f->type, A("%s_%s", b, f->name.text),
                                      A("%s_%s", b, f->name.text))
                           : NULL;
    if (n > 0) {
        idl_emit_line(c, "static const erg_codec_field_t %s_fields[%zu] = {", b,
                      n);
        i = 0;
        for (const idl_field *f = d->fields.first; f != NULL;
             f = f->next, i++) {
            if (d->kind == IDL_D_UNION && f->type == NULL)
                idl_emit_line(c, "    {\"%s\", 0, 0, NULL},", f->name.text);
            else if (d->kind == IDL_D_UNION)
                wline(c, "    {\"%s\", offsetof(%s, u), %s, &%s},",
                      f->name.text, d->c_name, kind_of(g, f->type), nodes[i]);
            else
                wline(c, "    {\"%s\", offsetof(%s, %s), %s, &%s},",
                      f->name.text, d->c_name, f->name.text,
                      kind_of(g, f->type), nodes[i]);
        }
        idl_emit_line(c, "};");
    }
    if (is_msg(d))
        gen_fingerprint_array(g, A("%s_fingerprint", b), d->fingerprint);
    idl_emit_line(c, "const erg_codec_desc_t %s_desc = {", b);
    idl_emit_line(c, "    .magic = ERG_CODEC_MAGIC,");
    idl_emit_line(c, "    .abi = ERG_IDL_ABI,");
    idl_emit_line(c, "    .kind = ERG_CODEC_%s,",
                  is_msg(d)                ? "MESSAGE"
                  : d->kind == IDL_D_UNION ? "UNION"
                                           : "STRUCT");
    idl_emit_line(c, "    .name = \"%s\",", d->qname);
    idl_emit_line(c, "    .c_name = \"%s\",", d->c_name);
    if (is_msg(d))
        idl_emit_line(c, "    .version = %u,", d->version);
    idl_emit_line(c, "    .size = sizeof(%s),", d->c_name);
    idl_emit_line(c, "    .align = _Alignof(%s),", d->c_name);
    idl_emit_line(c, "    .min_wire = %u,", min_wire_decl(d));
    if (is_msg(d)) {
        idl_emit_line(c, "    .wire_id = UINT64_C(0x%016" PRIx64 "),",
                      d->wire_id);
        idl_emit_line(c, "    .fingerprint = %s_fingerprint,", b);
    }
    if (n > 0) {
        idl_emit_line(c, "    .fields = %s_fields,", b);
        idl_emit_line(c, "    .nfields = %zu,", n);
    }
    if (d->kind == IDL_D_UNION)
        idl_emit_line(c, "    .tag_offset = offsetof(%s, tag),", d->c_name);
    idl_emit_line(c, "};");
    if (d->kind == IDL_D_UNION)
        wline(c,
              "_Static_assert(sizeof(%s_tag_t) == sizeof(int), "
              "\"union tags are read as int\");",
              b);
    idl_emit_blank(c);
}

static void gen_wrappers(gen *g, const idl_decl *d) {
    idl_emit *c = &g->c;
    const char *b = base_of(g, d), *t = d->c_name;
    idl_emit_line(c, "/* %s v%u */", d->qname, d->version);
    wline(c,
          "erg_err_t %s_encode(const %s *msg, uint8_t *buf, size_t cap, "
          "size_t *len) {",
          b, t);
    wline(c, "    return erg_codec_encode(&%s_desc, msg, buf, cap, len);", b);
    idl_emit_line(c, "}");
    wline(c, "erg_err_t %s_decode(const uint8_t *buf, size_t len, %s **out) {",
          b, t);
    idl_emit_line(c, "    void *value = NULL;");
    wline(c, "    erg_err_t rv = erg_codec_decode(&%s_desc, buf, len, &value);",
          b);
    idl_emit_line(c, "    *out = value;");
    idl_emit_line(c, "    return rv;");
    idl_emit_line(c, "}");
    wline(c, "void %s_free(%s *msg) {", b, t);
    idl_emit_line(c, "    erg_codec_free(&%s_desc, msg);", b);
    idl_emit_line(c, "}");
    wline(c, "erg_err_t %s_encoded_size(const %s *msg, size_t *size) {", b, t);
    wline(c, "    return erg_codec_encoded_size(&%s_desc, msg, size);", b);
    idl_emit_line(c, "}");
    idl_emit_blank(c);
}

/* ---- the source: converters ---------------------------------------------- */

/* A place a converter writes: its C lvalue, the expression of its codec
 * type node, and its schema type. */
typedef struct lval {
    const char *expr;
    const char *node;
    const idl_type *type;
} lval;

typedef struct conv_ctx {
    gen *g;
    idl_decl *src;
} conv_ctx;

static idl_field *field_named(const idl_decl *rec, const char *name,
                              unsigned *index) {
    unsigned i = 0;
    for (idl_field *f = rec->fields.first; f != NULL; f = f->next, i++)
        if (strcmp(f->name.text, name) == 0) {
            if (index != NULL)
                *index = i;
            return f;
        }
    return NULL;
}

static const char *mode_name(int mode) {
    return mode == 1   ? "ERG_CODEC_SATURATE"
           : mode == 2 ? "ERG_CODEC_CHECKED"
                       : "ERG_CODEC_WIDEN";
}

/* Stores a source value in dst: a plain C assignment when both are held
 * alike and nothing can fail, the codec's generic assignment otherwise. */
static void flow(conv_ctx *cc, lval dst, lval src, int mode) {
    gen *g = cc->g;
    idl_emit *c = &g->c;
    bool numeric = idl_type_is_numeric(src.type) &&
                   idl_type_is_numeric(dst.type) &&
                   idl_type_widens(src.type, dst.type);
    if (mode == 0 && (c_same(src.type, dst.type) || numeric)) {
        if (src.type->kind == IDL_TY_LIST || src.type->kind == IDL_TY_MAP ||
            src.type->kind == IDL_TY_OPTIONAL)
            /* Each field has its own list typedef: same layout, other name. */
            idl_emit_line(c, "memcpy(&%s, &%s, sizeof %s);", dst.expr, src.expr,
                          dst.expr);
        else
            idl_emit_line(c, "%s = %s;", dst.expr, src.expr);
        return;
    }
    g->used_done = true;
    wline(c, "rv = erg_codec_assign(&sc, %s, %s, &%s, %s, &%s);",
          mode_name(mode), src.node, src.expr, dst.node, dst.expr);
    idl_emit_line(c, "if (rv != ERG_OK)");
    idl_emit_line(c, "    goto done;");
}

/* Resolves a source path (`total.amount`), emitting a presence check for
 * each optional it passes (only allowed inside checked()). */
static bool source_path(conv_ctx *cc, const char *path, lval *out) {
    gen *g = cc->g;
    const idl_decl *rec = cc->src;
    const char *expr = "in->";
    const char *node = NULL;
    const idl_type *t = NULL;
    const char *p = path;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        const char *seg = idl_arena_strndup(g->ctx->arena, p, n);
        if (t != NULL) {
            if (t->kind == IDL_TY_OPTIONAL) {
                g->used_done = true;
                idl_emit_line(&g->c, "if (%s == NULL) {", expr);
                idl_emit_line(&g->c, "    rv = ERG_EVERSION;");
                idl_emit_line(&g->c, "    goto done;");
                idl_emit_line(&g->c, "}");
                expr = A("%s->", expr);
                t = t->elem;
            } else {
                expr = A("%s.", expr);
            }
            if (!is_type_decl(t, IDL_D_STRUCT))
                return false;
            rec = t->decl;
        }
        unsigned idx;
        idl_field *f = field_named(rec, seg, &idx);
        if (f == NULL)
            return false;
        expr = A("%s%s", expr, seg);
        node = A("%s.fields[%u].type", desc_of(g, rec), idx);
        t = f->type;
        p += n;
        if (*p == '.')
            p++;
    }
    out->expr = expr;
    out->node = node;
    out->type = t;
    return t != NULL;
}

static void value(conv_ctx *cc, lval dst, const idl_expr *e, int mode);

/* dst is optional: build the inner value in a temporary, then point at it. */
static void boxed(conv_ctx *cc, lval dst, const idl_expr *e, int mode) {
    gen *g = cc->g;
    const idl_type *inner = dst.type->elem;
    const char *tmp = A("t%d", ++g->tmp);
    const char *ct = ctype(g, inner, A("%s", "x"));
    if (inner->kind == IDL_TY_LIST || inner->kind == IDL_TY_MAP)
        ct = "erg_codec_list_t"; /* same layout as the field's typedef */
    if (is_type_decl(inner, IDL_D_STRUCT))
        idl_emit_line(&g->c, "%s %s = %s_INIT;", ct, tmp,
                      upper(g, base_of(g, inner->decl)));
    else
        idl_emit_line(&g->c, "%s %s = {0};", ct, tmp);
    lval in = {tmp, A("%s->elem", dst.node), inner};
    value(cc, in, e, mode);
    idl_emit_line(&g->c, "%s = (void *)&%s;", dst.expr, tmp);
}

static void value(conv_ctx *cc, lval dst, const idl_expr *e, int mode) {
    gen *g = cc->g;
    idl_emit *c = &g->c;
    const idl_type *t = dst.type;
    if (e->kind == IDL_EX_CALL) {
        value(cc, dst, e->arg, strcmp(e->name.text, "saturate") == 0 ? 1 : 2);
        return;
    }
    /* A bare name is a member or arm of the expected type first, then a
     * source field; a dotted one is a source path when its first segment
     * is a source field, else a qualified enum member. */
    if (e->kind == IDL_EX_PATH) {
        const idl_type *inner = t->kind == IDL_TY_OPTIONAL ? t->elem : t;
        const char *name = e->name.text;
        bool constant = false;
        if (e->name.nparts == 1) {
            if (is_type_decl(inner, IDL_D_ENUM))
                for (const idl_member *m = inner->decl->members.first; m;
                     m = m->next)
                    constant |= strcmp(m->name.text, name) == 0;
            if (is_type_decl(inner, IDL_D_UNION))
                constant = field_named(inner->decl, name, NULL) != NULL;
        } else {
            const char *first =
                idl_arena_strndup(g->ctx->arena, name, strcspn(name, "."));
            constant = field_named(cc->src, first, NULL) == NULL;
        }
        if (!constant) {
            lval src;
            if (source_path(cc, name, &src))
                flow(cc, dst, src, mode);
            return;
        }
    }
    if (t->kind == IDL_TY_OPTIONAL) {
        boxed(cc, dst, e, mode);
        return;
    }
    switch (e->kind) {
    case IDL_EX_PATH:
        if (is_type_decl(t, IDL_D_ENUM))
            idl_emit_line(c, "%s = %s;", dst.expr,
                          constant_of(g, t->decl, last_segment(e->name.text)));
        else
            idl_emit_line(c, "%s.tag = %s;", dst.expr,
                          constant_of(g, t->decl, e->name.text));
        return;
    case IDL_EX_STRUCT: {
        const idl_decl *s = t->decl;
        idl_emit_line(c, "%s = (%s)%s_INIT;", dst.expr, s->c_name,
                      upper(g, base_of(g, s)));
        for (const idl_assign *a = e->fields.first; a; a = a->next) {
            unsigned idx;
            idl_field *f = field_named(s, a->field.text, &idx);
            lval fl = {A("%s.%s", dst.expr, f->name.text),
                       A("%s.fields[%u].type", desc_of(g, s), idx), f->type};
            value(cc, fl, a->value, 0);
        }
        return;
    }
    case IDL_EX_ARM: {
        const idl_decl *u = t->decl;
        unsigned idx;
        idl_field *f = field_named(u, e->name.text, &idx);
        idl_emit_line(c, "%s.tag = %s;", dst.expr,
                      constant_of(g, u, f->name.text));
        lval al = {A("%s.u.%s", dst.expr, f->name.text),
                   A("%s.fields[%u].type", desc_of(g, u), idx), f->type};
        value(cc, al, e->arg, 0);
        return;
    }
    default: {
        const char *lit = literal_of(g, e, t);
        if (lit == NULL)
            return;
        if (lit[0] == '{')
            idl_emit_line(c, "%s = (%s)%s;", dst.expr,
                          builtin_ctype(t->builtin), lit);
        else
            idl_emit_line(c, "%s = %s;", dst.expr, lit);
        return;
    }
    }
}

static const char *conv_fn(gen *g, const idl_decl *conv) {
    return A("%s_to_v%u", base_of(g, conv->target), conv->to_version);
}

static void gen_converter(gen *g, idl_decl *conv) {
    idl_emit *c = &g->c;
    idl_decl *src = conv->target, *dst = conv->target_to;
    const char *fn = conv_fn(g, conv);
    g->tmp = 0;
    g->used_done = false;
    /* The body goes to a side buffer first: whether `done:` is needed is
     * known only at its end. */
    idl_emit body = {0};
    idl_emit saved = g->c;
    g->c = body;
    g->c.indent = 1;
    conv_ctx cc = {g, src};
    unsigned i = 0;
    for (idl_field *f = dst->fields.first; f != NULL; f = f->next, i++) {
        lval dl = {A("out.%s", f->name.text),
                   A("%s.fields[%u].type", desc_of(g, dst), i), f->type};
        const idl_assign *a = NULL;
        for (const idl_assign *p = conv->assigns.first; p; p = p->next)
            if (strcmp(p->field.text, f->name.text) == 0)
                a = p;
        if (a != NULL) {
            value(&cc, dl, a->value, 0);
            continue;
        }
        unsigned j;
        idl_field *from = field_named(src, f->name.text, &j);
        if (from != NULL) {
            lval sl = {A("in->%s", from->name.text),
                       A("%s.fields[%u].type", desc_of(g, src), j), from->type};
            flow(&cc, dl, sl, 0);
        }
        /* Otherwise the default is already in `out` from the initializer. */
    }
    body = g->c;
    g->c = saved;

    idl_emit_line(c, "/* %s %s v%u -> v%u%s */",
                  conv->kind == IDL_D_UPGRADE ? "upgrade" : "downgrade",
                  src->qname, src->version, dst->version,
                  conv->has_body ? "" : ", derived");
    wline(c,
          "static erg_err_t %s_any(const void *in_, void **result) "
          "{",
          fn);
    idl_emit_line(c, "    const %s *in = in_;", src->c_name);
    idl_emit_line(c, "    %s out = %s_INIT;", dst->c_name,
                  upper(g, base_of(g, dst)));
    idl_emit_line(c, "    erg_codec_scratch_t sc = ERG_CODEC_SCRATCH_INIT;");
    idl_emit_line(c, "    erg_err_t rv;");
    if (body.len == 0 || strstr(body.buf, "in->") == NULL)
        idl_emit_line(c, "    (void)in; /* nothing carries over */");
    if (body.len > 0)
        idl_emit_printf(c, "%s", body.buf);
    idl_emit_line(c, "    rv = erg_codec_copy(&%s, &out, result);",
                  desc_of(g, dst));
    if (g->used_done)
        idl_emit_line(c, "done:");
    idl_emit_line(c, "    erg_codec_scratch_fini(&sc);");
    idl_emit_line(c, "    return rv;");
    idl_emit_line(c, "}");
    wline(c, "erg_err_t %s(const %s *in, %s **out) {", fn, src->c_name,
          dst->c_name);
    idl_emit_line(c, "    void *value = NULL;");
    idl_emit_line(c, "    erg_err_t rv = %s_any(in, &value);", fn);
    idl_emit_line(c, "    *out = value;");
    idl_emit_line(c, "    return rv;");
    idl_emit_line(c, "}");
    idl_emit_blank(c);
    idl_emit_fini(&body);
}

/* ---- actors -------------------------------------------------------------- */

static uint32_t newest(const idl_actor_item *it) {
    uint32_t v = 0;
    for (const idl_version_ref *r = it->versions.first; r; r = r->next)
        if (r->version > v)
            v = r->version;
    return v;
}

static const idl_decl *newest_decl(const idl_actor_item *it) {
    uint32_t v = newest(it);
    for (const idl_version_ref *r = it->versions.first; r; r = r->next)
        if (r->version == v)
            return r->decl;
    return NULL;
}

/* A file's path relative to the import root that holds it (load.c
 * compares real paths, so `-I ./schemas` and an absolute file name still
 * agree). Never absolute and never above its root, so no output
 * escapes OUTDIR and no machine's paths reach the generated text. */
static const char *rel_of(const idl_file *f) {
    const char *rel = f->rel_path ? f->rel_path : f->path;
    if (rel[0] == '/' || strncmp(rel, "../", 3) == 0 || strstr(rel, "/../")) {
        const char *slash = strrchr(rel, '/');
        return slash ? slash + 1 : rel;
    }
    return rel;
}

/* "shop/payment.erg" -> "shop/payment". */
static const char *stem_of(gen *g, const char *rel) {
    size_t n = strlen(rel);
    if (n > 4 && strcmp(rel + n - 4, ".erg") == 0)
        n -= 4;
    return idl_arena_strndup(g->ctx->arena, rel, n);
}

static const char *file_id(gen *g, const idl_file *f) {
    const char *rel = rel_of(f);
    size_t n = strlen(rel);
    if (n > 4 && strcmp(rel + n - 4, ".erg") == 0)
        n -= 4;
    char *id = idl_arena_strndup(g->ctx->arena, rel, n);
    for (char *p = id; *p; p++)
        if (!isalnum((unsigned char)*p))
            *p = '_';
    return id;
}

static bool accepts(const idl_actor_item *it) {
    return it->verb != IDL_ACT_PUBLISHES;
}

/* The handler's name: the message's snake name, with the newest version
 * appended when the actor accepts that message in more than one item
 * (`call Everything v2, v3` beside `cast Everything v1`). */
static const char *handler_of(gen *g, const idl_decl *a,
                              const idl_actor_item *it) {
    const idl_decl *m = newest_decl(it);
    int same = 0;
    for (const idl_actor_item *o = a->items.first; o; o = o->next)
        same += accepts(o) && strcmp(newest_decl(o)->qname, m->qname) == 0;
    const char *snake = idl_snake(g->ctx, m->name.text);
    return same > 1 ? A("%s_v%u", snake, m->version) : snake;
}

static void gen_actor_header(gen *g, const idl_decl *a) {
    idl_emit *h = &g->h;
    const char *p = base_of(g, a);
    idl_emit_line(h, "/* actor %s: one handler per accepted message,",
                  a->qname);
    idl_emit_line(h, " * called with the newest version the actor accepts "
                     "(older ones are");
    idl_emit_line(h, " * upgraded first). */");
    bool any = false;
    for (const idl_actor_item *it = a->items.first; it; it = it->next) {
        if (!accepts(it))
            continue;
        any = true;
        const idl_decl *m = newest_decl(it);
        const char *snake = handler_of(g, a, it);
        if (it->verb == IDL_ACT_CALL)
            wline(h,
                  "typedef erg_err_t %s_%s_fn(void *state, const %s "
                  "*msg, %s *reply);",
                  p, snake, m->c_name, it->resp_version.decl->c_name);
        else
            wline(h,
                  "typedef erg_err_t %s_%s_fn(void *state, const %s "
                  "*msg);",
                  p, snake, m->c_name);
    }
    idl_emit_line(h, "typedef struct %s_actor_s {", p);
    for (const idl_actor_item *it = a->items.first; it; it = it->next)
        if (accepts(it)) {
            const char *snake = handler_of(g, a, it);
            idl_emit_line(h, "    %s_%s_fn *%s;", p, snake, snake);
        }
    if (!any)
        idl_emit_line(h, "    char erg__empty; /* accepts nothing */");
    idl_emit_line(h, "} %s;", a->c_name);
    idl_emit_line(h, "extern const erg_codec_actor_t %s_dispatch;", p);
    idl_emit_line(h, "/* Runs the handler for a decoded message; "
                     "ERG_ENOTACCEPTED for one");
    idl_emit_line(h, " * the actor does not take. */");
    wline(h,
          "static inline erg_err_t %s_handle(const %s *handlers, "
          "void *state, uint64_t wire_id, uint32_t version, "
          "const void *msg, void *reply) {",
          p, a->c_name);
    wline(h,
          "    return erg_codec_dispatch(&%s_dispatch, handlers, wire_id, "
          "version, state, msg, reply);",
          p);
    idl_emit_line(h, "}");
    /* Typed send helpers: one per version the actor takes or publishes
     * (a subscriber is reached by publishing, not by a send). */
    for (const idl_actor_item *it = a->items.first; it; it = it->next) {
        if (it->verb == IDL_ACT_SUBSCRIBES)
            continue;
        for (const idl_version_ref *r = it->versions.first; r; r = r->next) {
            const idl_decl *m = r->decl;
            const char *snake = idl_snake(g->ctx, m->name.text);
            if (it->verb == IDL_ACT_CALL) {
                const idl_decl *resp = it->resp_version.decl;
                wline(h,
                      "static inline erg_err_t %s_call_%s_v%u(const "
                      "erg_codec_sender_t *to, const %s *msg, %s **reply) {",
                      p, snake, m->version, m->c_name, resp->c_name);
                idl_emit_line(h, "    void *r = NULL;");
                wline(h,
                      "    erg_err_t rv = to->call(to->ctx, &%s, "
                      "msg, 0, &%s, &r);",
                      desc_of(g, m), desc_of(g, resp));
                idl_emit_line(h, "    *reply = r;");
                idl_emit_line(h, "    return rv;");
                idl_emit_line(h, "}");
            } else {
                const char *verb =
                    it->verb == IDL_ACT_CAST ? "cast" : "publish";
                wline(h,
                      "static inline erg_err_t %s_%s_%s_v%u(const "
                      "erg_codec_sender_t *to, const %s *msg) {",
                      p, verb, snake, m->version, m->c_name);
                wline(h, "    return to->cast(to->ctx, &%s, msg, %s);",
                      desc_of(g, m),
                      it->important ? "ERG_CODEC_IMPORTANT" : "0");
                idl_emit_line(h, "}");
            }
        }
    }
    idl_emit_blank(h);
}

/* The conversion declared from `from` straight to `to`, if any. */
static const idl_decl *direct_conversion(gen *g, const idl_decl *from,
                                         const idl_decl *to) {
    for (idl_file *f = g->ctx->files.first; f != NULL; f = f->next)
        for (idl_decl *d = f->decls.first; d != NULL; d = d->next)
            if ((d->kind == IDL_D_UPGRADE || d->kind == IDL_D_DOWNGRADE) &&
                d->target == from && d->target_to == to &&
                d->file == from->file)
                return d;
    return NULL;
}

static void gen_actor_source(gen *g, const idl_decl *a) {
    idl_emit *c = &g->c;
    const char *p = base_of(g, a);
    size_t rows = 0;
    for (const idl_actor_item *it = a->items.first; it; it = it->next) {
        if (!accepts(it))
            continue;
        const idl_decl *m = newest_decl(it);
        const char *snake = handler_of(g, a, it);
        for (const idl_version_ref *r = it->versions.first; r; r = r->next) {
            rows++;
            const idl_decl *v = r->decl;
            const char *reply = it->verb == IDL_ACT_CALL ? ", reply" : "";
            wline(c,
                  "static erg_err_t %s_%s_v%u_shim(const void *handlers, "
                  "void *state, const void *msg, void *reply) {",
                  p, snake, v->version);
            idl_emit_line(c, "    const %s *h = handlers;", a->c_name);
            if (it->verb != IDL_ACT_CALL)
                idl_emit_line(c, "    (void)reply;");
            idl_emit_line(c, "    if (h->%s == NULL)", snake);
            idl_emit_line(c, "        return ERG_ENOTACCEPTED;");
            if (v == m) {
                idl_emit_line(c, "    return h->%s(state, msg%s);", snake,
                              reply);
            } else {
                const idl_decl *direct = direct_conversion(g, v, m);
                if (direct != NULL) {
                    /* One declared step: call it, no path search. */
                    wline(c, "    %s *up = NULL;", m->c_name);
                    wline(c, "    erg_err_t rv = %s(msg, &up);",
                          conv_fn(g, direct));
                } else {
                    idl_emit_line(c, "    void *up = NULL;");
                    wline(c,
                          "    erg_err_t rv = erg_codec_convert(&%s_registry, "
                          "&%s, &%s, msg, &up);",
                          file_id(g, v->file), desc_of(g, v), desc_of(g, m));
                }
                idl_emit_line(c, "    if (rv != ERG_OK)");
                idl_emit_line(c, "        return rv;");
                idl_emit_line(c, "    rv = h->%s(state, up%s);", snake, reply);
                idl_emit_line(c, "    erg_codec_free(&%s, up);", desc_of(g, m));
                idl_emit_line(c, "    return rv;");
            }
            idl_emit_line(c, "}");
        }
    }
    if (rows > 0) {
        idl_emit_line(c, "static const erg_codec_dispatch_t %s_rows[%zu] = {",
                      p, rows);
        for (const idl_actor_item *it = a->items.first; it; it = it->next) {
            if (!accepts(it))
                continue;
            const char *snake = handler_of(g, a, it);
            for (const idl_version_ref *r = it->versions.first; r; r = r->next)
                wline(c, "    {&%s, %s, %s, %s, %s_%s_v%u_shim},",
                      desc_of(g, r->decl),
                      it->verb == IDL_ACT_CALL   ? "ERG_CODEC_CALL"
                      : it->verb == IDL_ACT_CAST ? "ERG_CODEC_CAST"
                                                 : "ERG_CODEC_SUBSCRIBE",
                      it->important ? "true" : "false",
                      it->verb == IDL_ACT_CALL
                          ? A("&%s", desc_of(g, it->resp_version.decl))
                          : "NULL",
                      p, snake, r->decl->version);
        }
        idl_emit_line(c, "};");
    }
    idl_emit_line(c, "const erg_codec_actor_t %s_dispatch = {", p);
    wline(c, "    ERG_CODEC_MAGIC, \"%s\", %s, %zu};", a->qname,
          rows ? A("%s_rows", p) : "NULL", rows);
    idl_emit_blank(c);
}

/* ---- schema fingerprint -------------------------------------------------- */

typedef struct fp_item {
    const char *qname;
    uint32_t version;
    idl_canon form;
} fp_item;

static int fp_cmp(const void *a, const void *b) {
    const fp_item *x = a, *y = b;
    int c = strcmp(x->qname, y->qname);
    return c ? c : (x->version > y->version) - (x->version < y->version);
}

void idl_schema_fingerprint(idl_ctx *ctx, const idl_file *f, uint8_t out[32]) {
    size_t n = 0;
    for (const idl_decl *d = f->decls.first; d != NULL; d = d->next)
        n++;
    fp_item *items = calloc(n + 1, sizeof(*items));
    if (items == NULL)
        abort();
    size_t k = 0;
    for (idl_decl *d = f->decls.first; d != NULL; d = d->next) {
        if (d->qname == NULL)
            continue;
        if (is_msg(d)) {
            items[k].qname = d->qname;
            items[k].version = d->version;
            idl_canonical_dump(d, &items[k++].form);
        } else if (d->kind == IDL_D_ENUM || d->kind == IDL_D_STRUCT ||
                   d->kind == IDL_D_UNION) {
            /* A named type's shape, dumped as a version 0 message holding
             * it, reuses the documented canonical form. */
            idl_decl *wrap = idl_arena_alloc(ctx->arena, sizeof(*wrap));
            idl_field *fld = idl_arena_alloc(ctx->arena, sizeof(*fld));
            idl_type *t = idl_arena_alloc(ctx->arena, sizeof(*t));
            t->kind = IDL_TY_DECL;
            t->decl = d;
            fld->name.text = "value";
            fld->type = t;
            wrap->kind = IDL_D_MESSAGE;
            wrap->qname = d->qname;
            wrap->package = d->package;
            wrap->file = d->file;
            wrap->fields.first = wrap->fields.last = fld;
            items[k].qname = d->qname;
            items[k].version = 0;
            idl_canonical_dump(wrap, &items[k++].form);
        }
    }
    qsort(items, k, sizeof(*items), fp_cmp);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
        abort();
    static const uint8_t head[] = {'e', 'r', 'g', '-', 's', 'c',
                                   'h', 'e', 'm', 'a', 0x01};
    EVP_DigestUpdate(md, head, sizeof head);
    for (size_t i = 0; i < k; i++) {
        uint8_t len[8];
        for (int b = 0; b < 8; b++)
            len[b] = (uint8_t)(items[i].form.len >> (8 * b));
        EVP_DigestUpdate(md, len, sizeof len);
        EVP_DigestUpdate(md, items[i].form.data, items[i].form.len);
        idl_canon_fini(&items[i].form);
    }
    unsigned int olen = 0;
    if (EVP_DigestFinal_ex(md, out, &olen) != 1 || olen != 32)
        abort();
    EVP_MD_CTX_free(md);
    free(items);
}

/* ---- files --------------------------------------------------------------- */

/* A section banner, padded with dashes to 79 columns. */
static void section(idl_emit *e, const char *title) {
    char line[80];
    int n = snprintf(line, sizeof line, "/* ---- %s ", title);
    while (n < 76)
        line[n++] = '-';
    line[n] = '\0';
    idl_emit_line(e, "%s */", line);
    idl_emit_blank(e);
}

static void gen_header(gen *g) {
    idl_emit *h = &g->h;
    idl_file *f = g->file;
    char hex[65];
    idl_fingerprint_hex(g->fp, hex);
    const char *guard = upper(g, A("ERG_GEN_%s_H", g->fid));
    idl_emit_line(h, "/* Generated by idlc %s from %s. DO NOT EDIT. */",
                  IDLC_VERSION, rel_of(f));
    idl_emit_line(h, "/* Schema fingerprint (canonical form; comments and "
                     "whitespace excluded):");
    idl_emit_line(h, " * sha256:%s */", hex);
    idl_emit_line(h, "#ifndef %s", guard);
    idl_emit_line(h, "#define %s", guard);
    idl_emit_blank(h);
    idl_emit_line(h, "#include <stdbool.h>");
    idl_emit_line(h, "#include <stddef.h>");
    idl_emit_line(h, "#include <stdint.h>");
    idl_emit_blank(h);
    idl_emit_line(h, "#include \"erg/codec.h\"");
    for (const idl_import *im = f->imports.first; im; im = im->next)
        if (im->file != NULL)
            idl_emit_line(h, "#include \"%s.h\"",
                          stem_of(g, rel_of(im->file)));
    idl_emit_blank(h);
    idl_emit_line(h, "#if ERG_IDL_ABI != %d", IDL_GEN_ABI);
    idl_emit_line(
        h, "#error \"regenerate %s.h with an idlc matching this erg\"", g->rel);
    idl_emit_line(h, "#endif");
    idl_emit_blank(h);
    idl_emit_line(h, "#ifdef __cplusplus");
    idl_emit_line(h, "extern \"C\" {");
    idl_emit_line(h, "#endif");
    idl_emit_blank(h);

    section(h, "Enums");
    for (idl_decl *d = f->decls.first; d; d = d->next)
        if (d->kind == IDL_D_ENUM)
            gen_enum(g, d);

    section(h, "Message structs");
    bool fwd = false;
    for (idl_decl *d = f->decls.first; d; d = d->next)
        if (d->kind == IDL_D_STRUCT || d->kind == IDL_D_UNION || is_msg(d)) {
            if (strlen(d->c_name) * 2 + 18 <= 79)
                idl_emit_line(h, "typedef struct %s_s %s;", base_of(g, d),
                              d->c_name);
            else
                idl_emit_line(h, "typedef struct %s_s\n    %s;", base_of(g, d),
                              d->c_name);
            fwd = true;
        }
    if (fwd)
        idl_emit_blank(h);
    for (idl_decl *d = f->decls.first; d; d = d->next)
        if (d->kind == IDL_D_UNION)
            gen_union_tags(g, d);
    for (idl_decl *d = f->decls.first; d; d = d->next)
        if (d->kind == IDL_D_STRUCT || d->kind == IDL_D_UNION || is_msg(d))
            gen_record(g, d);

    section(h, "Initializers");
    bool any_init = false;
    for (idl_decl *d = f->decls.first; d; d = d->next)
        if (d->kind == IDL_D_STRUCT || d->kind == IDL_D_UNION || is_msg(d)) {
            gen_init(g, d);
            any_init = true;
        }
    if (any_init)
        idl_emit_blank(h);

    section(h, "Message IDs");
    idl_emit_line(h, "/* The whole schema's fingerprint, for the node "
                     "handshake. */");
    idl_emit_line(h, "extern const uint8_t %s_schema_fingerprint[32];", g->fid);
    for (idl_decl *d = f->decls.first; d; d = d->next) {
        if (!is_msg(d))
            continue;
        bool first = true;
        for (idl_decl *p = f->decls.first; p != d; p = p->next)
            first &= !(is_msg(p) && p->wire_id == d->wire_id);
        if (first)
            idl_emit_line(h, "#define %s_WIRE_ID UINT64_C(0x%016" PRIx64 ")",
                          upper(g, family_of(g, d)), d->wire_id);
        idl_emit_line(h, "extern const uint8_t %s_fingerprint[32];",
                      base_of(g, d));
    }
    idl_emit_blank(h);

    section(h, "Descriptors");
    for (idl_decl *d = f->decls.first; d; d = d->next)
        if (d->kind == IDL_D_ENUM || d->kind == IDL_D_STRUCT ||
            d->kind == IDL_D_UNION || is_msg(d))
            idl_emit_line(h, "extern const erg_codec_desc_t %s_desc;",
                          base_of(g, d));
    idl_emit_line(h, "/* Every message and event version of this file, with "
                     "its conversions. */");
    idl_emit_line(h, "extern const erg_codec_registry_t %s_registry;", g->fid);
    idl_emit_blank(h);
    for (idl_decl *d = f->decls.first; d; d = d->next) {
        if (!is_msg(d))
            continue;
        const char *b = base_of(g, d);
        idl_emit_line(h, "/* %s v%u */", d->qname, d->version);
        wline(h,
              "erg_err_t %s_encode(const %s *msg, uint8_t *buf, "
              "size_t cap, size_t *len);",
              b, d->c_name);
        wline(h,
              "erg_err_t %s_decode(const uint8_t *buf, size_t len, "
              "%s **out);",
              b, d->c_name);
        wline(h, "void %s_free(%s *msg);", b, d->c_name);
        wline(h,
              "erg_err_t %s_encoded_size(const %s *msg, size_t "
              "*size);",
              b, d->c_name);
        idl_emit_blank(h);
    }

    section(h, "Converters");
    for (idl_decl *d = f->decls.first; d; d = d->next)
        if ((d->kind == IDL_D_UPGRADE || d->kind == IDL_D_DOWNGRADE) &&
            d->target && d->target_to)
            wline(h, "erg_err_t %s(const %s *in, %s **out);", conv_fn(g, d),
                  d->target->c_name, d->target_to->c_name);
    idl_emit_blank(h);

    section(h, "Actor dispatch tables");
    for (idl_decl *d = f->decls.first; d; d = d->next)
        if (d->kind == IDL_D_ACTOR)
            gen_actor_header(g, d);

    idl_emit_line(h, "#ifdef __cplusplus");
    idl_emit_line(h, "}");
    idl_emit_line(h, "#endif");
    idl_emit_blank(h);
    idl_emit_line(h, "#endif /* %s */", guard);
}

static void gen_source(gen *g) {
    idl_emit *c = &g->c;
    idl_file *f = g->file;
    char hex[65];
    idl_fingerprint_hex(g->fp, hex);
    idl_emit_line(c, "/* Generated by idlc %s from %s. DO NOT EDIT. */",
                  IDLC_VERSION, rel_of(f));
    idl_emit_line(c, "/* Schema fingerprint (canonical form; comments and "
                     "whitespace excluded):");
    idl_emit_line(c, " * sha256:%s */", hex);
    idl_emit_line(c, "#include \"%s.h\"", g->rel);
    idl_emit_blank(c);
    idl_emit_line(c, "#include <string.h>");
    idl_emit_blank(c);
    section(c, "Enums");
    for (idl_decl *d = f->decls.first; d; d = d->next)
        if (d->kind == IDL_D_ENUM)
            gen_enum_desc(g, d);
    section(c, "Descriptors");
    gen_fingerprint_array(g, A("%s_schema_fingerprint", g->fid), g->fp);
    idl_emit_blank(c);
    for (idl_decl *d = f->decls.first; d; d = d->next)
        if (d->kind == IDL_D_STRUCT || d->kind == IDL_D_UNION || is_msg(d))
            gen_record_desc(g, d);
    for (idl_decl *d = f->decls.first; d; d = d->next)
        if (is_msg(d))
            gen_wrappers(g, d);
    section(c, "Converters");
    size_t nconv = 0, ntypes = 0;
    for (idl_decl *d = f->decls.first; d; d = d->next) {
        if ((d->kind == IDL_D_UPGRADE || d->kind == IDL_D_DOWNGRADE) &&
            d->target && d->target_to) {
            gen_converter(g, d);
            nconv++;
        }
        ntypes += is_msg(d);
    }
    /* The registry: the runtime chains these edges (v1 -> v2 -> v3). */
    if (ntypes > 0) {
        idl_emit_line(c,
                      "static const erg_codec_desc_t *const %s_types[%zu] = "
                      "{",
                      g->fid, ntypes);
        for (idl_decl *d = f->decls.first; d; d = d->next)
            if (is_msg(d))
                idl_emit_line(c, "    &%s,", desc_of(g, d));
        idl_emit_line(c, "};");
    }
    if (nconv > 0) {
        idl_emit_line(c, "static const erg_codec_conv_t %s_convs[%zu] = {",
                      g->fid, nconv);
        for (idl_decl *d = f->decls.first; d; d = d->next)
            if ((d->kind == IDL_D_UPGRADE || d->kind == IDL_D_DOWNGRADE) &&
                d->target && d->target_to)
                wline(c, "    {&%s, &%s, %s_any},", desc_of(g, d->target),
                      desc_of(g, d->target_to), conv_fn(g, d));
        idl_emit_line(c, "};");
    }
    idl_emit_line(c, "const erg_codec_registry_t %s_registry = {", g->fid);
    idl_emit_line(c, "    ERG_CODEC_MAGIC, \"%s\", %s_schema_fingerprint,",
                  rel_of(f), g->fid);
    idl_emit_line(c, "    %s, %zu, %s, %zu};",
                  ntypes ? A("%s_types", g->fid) : "NULL", ntypes,
                  nconv ? A("%s_convs", g->fid) : "NULL", nconv);
    idl_emit_blank(c);
    section(c, "Actor dispatch tables");
    for (idl_decl *d = f->decls.first; d; d = d->next)
        if (d->kind == IDL_D_ACTOR)
            gen_actor_source(g, d);
}

static int write_out(const idl_emit *e, const char *path, FILE *err) {
    bool changed;
    if (idl_emit_write(e, path, &changed) != 0) {
        fprintf(err, "idlc: error: cannot write %s: %s\n", path,
                strerror(errno));
        return 1;
    }
    return 0;
}

int idl_gen_c(idl_ctx *ctx, const char *outdir, FILE *err) {
    int status = 0;
    for (idl_file *f = ctx->files.first; f != NULL; f = f->next) {
        if (!f->from_cli)
            continue;
        gen gs = {0}, *g = &gs;
        g->ctx = ctx;
        g->file = f;
        g->err = err;
        const char *rel = rel_of(f);
        size_t n = strlen(rel);
        if (n > 4 && strcmp(rel + n - 4, ".erg") == 0)
            n -= 4;
        g->rel = idl_arena_strndup(ctx->arena, rel, n);
        g->fid = file_id(g, f);
        idl_schema_fingerprint(ctx, f, g->fp);
        gen_header(g);
        gen_source(g);
        if (g->errors > 0) {
            status = 1;
        } else {
            status |= write_out(&g->h, A("%s/%s.h", outdir, g->rel), err);
            status |= write_out(&g->c, A("%s/%s.c", outdir, g->rel), err);
        }
        idl_emit_fini(&g->h);
        idl_emit_fini(&g->c);
        free(g->done);
        free(g->aux);
    }
    return status;
}
