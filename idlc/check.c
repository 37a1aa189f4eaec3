/* SPDX-License-Identifier: MIT */
/* check.c: resolves names across files and checks every declaration. */
#include "check.h"

#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "fingerprint.h"
#include "strmap.h"
#include "suggest.h"

/* ---- the symbol table: package.Name -> first declaration ---------------- */

static idl_decl *sym_get(idl_ctx *ctx, const char *key) {
    return ctx->syms ? idl_strmap_get(ctx->syms, key) : NULL;
}

static void sym_put(idl_ctx *ctx, const char *key, idl_decl *d) {
    idl_strmap_put(ctx->syms, key, d);
}

/* ---- lookup -------------------------------------------------------------- */

/* As the language says: a name is visible in its own package (every file
 * of it that is loaded) and in the packages of directly imported files.
 * Imports of imports are not. */
static bool package_visible(const idl_file *from, const char *pkg) {
    if (from->package != NULL && strcmp(from->package, pkg) == 0)
        return true;
    for (idl_import *im = from->imports.first; im != NULL; im = im->next)
        if (im->file != NULL && im->file->package != NULL &&
            strcmp(im->file->package, pkg) == 0)
            return true;
    return false;
}

idl_decl *idl_lookup(idl_ctx *ctx, const idl_file *from, const char *name,
                     bool *invisible) {
    *invisible = false;
    idl_decl *d;
    if (strchr(name, '.') == NULL) {
        if (from->package == NULL)
            return NULL;
        d = sym_get(ctx,
                    idl_arena_printf(ctx->arena, "%s.%s", from->package, name));
    } else {
        d = sym_get(ctx, name);
    }
    if (d == NULL)
        return NULL;
    if (!package_visible(from, d->package)) {
        *invisible = true;
        return NULL;
    }
    return d;
}

idl_decl *idl_lookup_version(idl_ctx *ctx, const char *qname, uint32_t v) {
    if (ctx->versions == NULL || qname == NULL)
        return NULL;
    return idl_strmap_get(ctx->versions,
                          idl_arena_printf(ctx->arena, "%s#%u", qname, v));
}

idl_decl *idl_find_version(idl_ctx *ctx, const idl_decl *family, uint32_t v) {
    return family ? idl_lookup_version(ctx, family->qname, v) : NULL;
}

idl_decl *idl_lookup_decl(idl_ctx *ctx, idl_decl_kind kind, const char *qname) {
    idl_decl *d = ctx->syms ? idl_strmap_get(ctx->syms, qname) : NULL;
    return d != NULL && d->kind == kind ? d : NULL;
}

idl_field *idl_find_field(const idl_decl *rec, const char *name) {
    if (rec->field_index != NULL)
        return idl_strmap_get(rec->field_index, name);
    for (idl_field *f = rec->fields.first; f != NULL; f = f->next)
        if (strcmp(f->name.text, name) == 0)
            return f;
    return NULL;
}

idl_member *idl_find_member(const idl_decl *en, const char *name) {
    if (en->member_index != NULL)
        return idl_strmap_get(en->member_index, name);
    for (idl_member *m = en->members.first; m != NULL; m = m->next)
        if (strcmp(m->name.text, name) == 0)
            return m;
    return NULL;
}

static bool kind_is(const idl_decl *d, const char *what) {
    if (strcmp(what, "type") == 0)
        return d->kind == IDL_D_ENUM || d->kind == IDL_D_STRUCT ||
               d->kind == IDL_D_UNION;
    return strcmp(what, idl_decl_kind_name(d->kind)) == 0;
}

/* The visible name of the wanted kind closest to a misspelt one. */
static const char *suggest_decl(idl_ctx *ctx, const idl_file *from,
                                idl_name name, const char *what) {
    idl_suggest sg;
    const char *last = strrchr(name.text, '.');
    idl_suggest_init(&sg, last ? last + 1 : name.text);
    if (strcmp(what, "type") == 0 && name.nparts == 1)
        for (int b = IDL_T_BOOL; b <= IDL_T_ATOM; b++)
            idl_suggest_offer(&sg, idl_builtin_name((idl_builtin)b));
    for (size_t i = 0; i < ctx->syms->cap; i++) {
        idl_decl *d = ctx->syms->slots[i].value;
        if (d == NULL || d->qname == NULL || !kind_is(d, what) ||
            !package_visible(from, d->package))
            continue;
        bool own = strcmp(d->package, from->package) == 0;
        /* Compare the last segments, so a shared package prefix does not
         * make unrelated names look close. */
        idl_suggest_offer_as(&sg, d->name.text,
                             own && name.nparts == 1 ? d->name.text : d->qname);
    }
    return idl_suggest_best(&sg);
}

/* Reports an unknown or invisible name; returns the declaration or NULL. */
static idl_decl *lookup_or_report(idl_ctx *ctx, const idl_file *from,
                                  idl_name name, const char *what) {
    if (name.overlong)
        return NULL; /* reported when it was read */
    bool invisible;
    idl_decl *d = idl_lookup(ctx, from, name.text, &invisible);
    if (d != NULL)
        return d;
    if (invisible) {
        idl_decl *d = sym_get(ctx, name.text);
        idl_error(ctx, name.loc,
                  "'%s' is not visible here: import '%s' (or another file "
                  "of package '%s')",
                  name.text, d && d->file ? d->file->rel_path : "?",
                  d ? d->package : "?");
    } else {
        const char *near = suggest_decl(ctx, from, name, what);
        idl_error(ctx, name.loc, "unknown %s '%s'%s%s%s", what, name.text,
                  near ? "; did you mean '" : "", near ? near : "",
                  near ? "'?" : "");
    }
    return NULL;
}

/* ---- names --------------------------------------------------------------- */

static const char *const erg_keywords[] = {
    "package",  "import", "enum",      "struct",     "union",
    "message",  "event",  "upgrade",   "downgrade",  "actor",
    "call",     "cast",   "publishes", "subscribes", "important",
    "optional", "list",   "map",       "true",       "false",
};

static const char *const c_keywords[] = {
    "auto",       "break",     "case",           "char",
    "const",      "continue",  "default",        "do",
    "double",     "else",      "enum",           "extern",
    "float",      "for",       "goto",           "if",
    "inline",     "int",       "long",           "register",
    "restrict",   "return",    "short",          "signed",
    "sizeof",     "static",    "struct",         "switch",
    "typedef",    "union",     "unsigned",       "void",
    "volatile",   "while",     "_Bool",          "_Complex",
    "_Imaginary", "_Alignas",  "_Alignof",       "_Atomic",
    "_Generic",   "_Noreturn", "_Static_assert", "_Thread_local",
};

static bool in_list(const char *s, const char *const *list, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return true;
    return false;
}

typedef enum name_style {
    UPPER_CAMEL, /* types, messages, actors */
    LOWER_SNAKE, /* fields, arms, package segments */
    UPPER_SNAKE, /* enum members */
} name_style;

static bool matches_style(const char *s, name_style style) {
    unsigned char c = (unsigned char)s[0];
    switch (style) {
    case UPPER_CAMEL:
        if (!(c >= 'A' && c <= 'Z'))
            return false;
        for (s++; *s; s++) {
            c = (unsigned char)*s;
            if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                  (c >= '0' && c <= '9')))
                return false;
        }
        return true;
    case LOWER_SNAKE:
        if (!(c >= 'a' && c <= 'z'))
            return false;
        for (s++; *s; s++) {
            c = (unsigned char)*s;
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
                return false;
        }
        return true;
    case UPPER_SNAKE:
        if (!(c >= 'A' && c <= 'Z'))
            return false;
        for (s++; *s; s++) {
            c = (unsigned char)*s;
            if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
                return false;
        }
        return true;
    }
    return false;
}

static const char *style_words(name_style style) {
    switch (style) {
    case UPPER_CAMEL:
        return "UpperCamelCase (like 'ChargeRequest')";
    case LOWER_SNAKE:
        return "lower_snake_case (like 'order_id')";
    case UPPER_SNAKE:
        return "UPPER_SNAKE_CASE (like 'USD')";
    }
    return "";
}

/* Checks one declared name; returns false (after one diagnostic) when it
 * cannot be used. */
static bool check_name(idl_ctx *ctx, idl_name n, name_style style,
                       const char *what) {
    const char *s = n.text;
    if (in_list(s, erg_keywords,
                sizeof(erg_keywords) / sizeof(*erg_keywords))) {
        idl_error(ctx, n.loc, "'%s' is a keyword and cannot name a %s", s,
                  what);
        return false;
    }
    if (in_list(s, c_keywords, sizeof(c_keywords) / sizeof(*c_keywords))) {
        idl_error(ctx, n.loc, "'%s' is a C keyword and cannot name a %s", s,
                  what);
        return false;
    }
    if (strstr(s, "__") != NULL) {
        idl_error(ctx, n.loc,
                  "%s name '%s' contains '__', which is reserved "
                  "for generated code",
                  what, s);
        return false;
    }
    if (style == UPPER_CAMEL && idl_builtin_lookup(s) != IDL_T_NONE) {
        idl_error(ctx, n.loc, "'%s' is a built-in type and cannot name a %s", s,
                  what);
        return false;
    }
    if (!matches_style(s, style)) {
        bool pkg = strcmp(what, "package segment") == 0;
        idl_error(ctx, n.loc, "%s name '%s' must be %s", what, s,
                  pkg ? "lower_snake_case (like 'shop')" : style_words(style));
        return false;
    }
    return true;
}

static void check_package_name(idl_ctx *ctx, idl_file *f) {
    if (f->package == NULL)
        return;
    const char *p = f->package;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        idl_name seg = {idl_arena_strndup(ctx->arena, p, n), f->package_loc, 1,
                        false};
        seg.loc.col += (uint32_t)(p - f->package);
        check_name(ctx, seg, LOWER_SNAKE, "package segment");
        p += n;
        if (*p == '.')
            p++;
    }
}

/* ---- import cycles ------------------------------------------------------- */

enum { WHITE = 0, GREY = 1, BLACK = 2 };

static void visit_imports(idl_ctx *ctx, idl_file *f) {
    f->visit = GREY;
    for (idl_import *im = f->imports.first; im != NULL; im = im->next) {
        idl_file *g = im->file;
        if (g == NULL)
            continue;
        if (g == f) {
            idl_error(ctx, im->loc, "'%s' imports itself", f->path);
        } else if (g->visit == GREY) {
            idl_error(ctx, im->loc,
                      "import cycle: '%s' imports '%s', which "
                      "(directly or not) imports '%s'",
                      f->path, g->path, f->path);
        } else if (g->visit == WHITE) {
            visit_imports(ctx, g);
        }
    }
    f->visit = BLACK;
}

/* ---- declarations: collecting symbols ------------------------------------ */

static bool is_versioned(const idl_decl *d) {
    return d->kind == IDL_D_MESSAGE || d->kind == IDL_D_EVENT;
}

static bool is_conversion(const idl_decl *d) {
    return d->kind == IDL_D_UPGRADE || d->kind == IDL_D_DOWNGRADE;
}

static void add_version(idl_ctx *ctx, idl_decl *d) {
    idl_strmap_put(ctx->versions,
                   idl_arena_printf(ctx->arena, "%s#%u", d->qname, d->version),
                   d);
}

static void collect(idl_ctx *ctx, idl_file *f, idl_decl *d) {
    if (f->package == NULL)
        return;
    d->package = f->package;
    if (!check_name(ctx, d->name, UPPER_CAMEL, idl_decl_kind_name(d->kind)))
        return;
    d->qname = idl_arena_printf(ctx->arena, "%s.%s", f->package, d->name.text);
    idl_decl *prev = sym_get(ctx, d->qname);
    if (prev == NULL && is_versioned(d) && d->version == 0) {
        d->qname = NULL; /* bad version, reported by the parser */
        return;
    }
    if (prev == NULL) {
        sym_put(ctx, d->qname, d);
        if (is_versioned(d)) {
            d->last_version = d;
            add_version(ctx, d);
        }
        return;
    }
    if (is_versioned(d) && prev->kind == d->kind) {
        idl_decl *same =
            d->version ? idl_find_version(ctx, prev, d->version) : NULL;
        if (same != NULL)
            idl_error(ctx, d->version_loc, "duplicate version v%u of %s '%s'",
                      d->version, idl_decl_kind_name(d->kind), d->qname);
        if (same != NULL)
            idl_note(ctx, same->version_loc, "v%u first declared here",
                     d->version);
        if (same != NULL || d->version == 0) {
            d->qname = NULL; /* reported; not part of the family */
            return;
        }
        prev->last_version->next_version = d;
        prev->last_version = d;
        add_version(ctx, d);
        return;
    }
    idl_error(ctx, d->name.loc, "'%s' is already declared as %s", d->qname,
              idl_decl_kind_a(prev->kind));
    idl_note(ctx, prev->name.loc, "first declared here");
    d->qname = NULL; /* not resolvable through the symbol table */
}

/* ---- types --------------------------------------------------------------- */

static bool is_map_key(const idl_type *t) {
    if (t->kind == IDL_TY_BUILTIN)
        return idl_type_is_integer(t) || t->builtin == IDL_T_BOOL ||
               t->builtin == IDL_T_STRING || t->builtin == IDL_T_NONE;
    return t->kind == IDL_TY_DECL && t->decl->kind == IDL_D_ENUM;
}

static void resolve_type(idl_ctx *ctx, const idl_file *f, idl_type *t,
                         int depth) {
    if (t == NULL)
        return;
    if (depth > IDL_MAX_DEPTH) {
        idl_error(ctx, t->loc, "type is nested more than %d levels deep",
                  IDL_MAX_DEPTH);
        t->kind = IDL_TY_BUILTIN; /* the error type: see below */
        t->builtin = IDL_T_NONE;
        return;
    }
    switch (t->kind) {
    case IDL_TY_NAMED: {
        idl_builtin b =
            t->name.nparts == 1 ? idl_builtin_lookup(t->name.text) : IDL_T_NONE;
        if (b != IDL_T_NONE) {
            t->kind = IDL_TY_BUILTIN;
            t->builtin = b;
            if (t->has_bound && b != IDL_T_STRING && b != IDL_T_BYTES) {
                idl_error(ctx, t->bound_loc,
                          "'%s' takes no bound (only string and bytes do)",
                          t->name.text);
                t->has_bound = false;
            }
            return;
        }
        idl_decl *d = lookup_or_report(ctx, f, t->name, "type");
        /* An unresolved type becomes the error type (IDL_T_NONE): later
         * phases accept anything from it silently, so one mistake is one
         * error. */
        t->kind = IDL_TY_BUILTIN;
        t->builtin = IDL_T_NONE;
        if (d == NULL)
            return;
        if (d->kind != IDL_D_ENUM && d->kind != IDL_D_STRUCT &&
            d->kind != IDL_D_UNION) {
            idl_error(ctx, t->loc,
                      "%s '%s' cannot be used as a field type (only enums, "
                      "structs and unions can)",
                      idl_decl_kind_name(d->kind), t->name.text);
            return;
        }
        if (t->has_bound) {
            idl_error(ctx, t->bound_loc, "%s '%s' takes no bound",
                      idl_decl_kind_name(d->kind), t->name.text);
            t->has_bound = false;
        }
        t->kind = IDL_TY_DECL;
        t->decl = d;
        return;
    }
    case IDL_TY_LIST:
        resolve_type(ctx, f, t->elem, depth + 1);
        return;
    case IDL_TY_MAP:
        resolve_type(ctx, f, t->key, depth + 1);
        resolve_type(ctx, f, t->elem, depth + 1);
        if (!is_map_key(t->key))
            idl_error(ctx, t->key->loc,
                      "map key type '%s' is not allowed: keys are integers, "
                      "bool, string or enums",
                      idl_type_str(ctx, t->key));
        return;
    case IDL_TY_OPTIONAL:
        if (t->elem->kind == IDL_TY_OPTIONAL)
            idl_error(ctx, t->elem->loc, "'optional optional' is not allowed");
        resolve_type(ctx, f, t->elem, depth + 1);
        return;
    case IDL_TY_BUILTIN:
    case IDL_TY_DECL:
        return;
    }
}

/* ---- annotations --------------------------------------------------------- */

static void check_annots(idl_ctx *ctx, idl_list annots, idl_decl *on,
                         const char *where) {
    bool seen = false;
    for (idl_annot *a = annots.first; a != NULL; a = a->next) {
        if (strcmp(a->name.text, "deprecated") != 0) {
            idl_error(ctx, a->name.loc,
                      "unknown annotation '@%s' (the only "
                      "annotation is @deprecated)",
                      a->name.text);
            continue;
        }
        if (on == NULL || !is_versioned(on)) {
            idl_error(ctx, a->name.loc,
                      "@deprecated applies to message and "
                      "event versions, not to %s",
                      where);
            continue;
        }
        if (seen) {
            idl_error(ctx, a->name.loc, "duplicate @deprecated");
            continue;
        }
        seen = true;
        if (a->arg != NULL && a->arg->kind != IDL_EX_STRING) {
            idl_error(ctx, a->arg->loc,
                      "@deprecated takes a string, such as "
                      "@deprecated(\"use v2\")");
            continue;
        }
        on->deprecated = true;
        on->deprecated_msg = a->arg ? a->arg->str : "";
    }
}

/* ---- enums, records ------------------------------------------------------ */

static idl_strmap *new_index(idl_ctx *ctx) {
    idl_strmap *m = idl_arena_alloc(ctx->arena, sizeof(*m));
    idl_strmap_init(m, ctx->arena);
    return m;
}

static void check_enum(idl_ctx *ctx, idl_decl *d) {
    resolve_type(ctx, d->file, d->underlying, 0);
    if (idl_type_is_error(d->underlying))
        return;
    if (!idl_type_is_integer(d->underlying)) {
        idl_error(ctx, d->underlying->loc,
                  "enum '%s' needs an integer underlying type (i8..i64, "
                  "u8..u64), not '%s'",
                  d->name.text, idl_type_str(ctx, d->underlying));
        return;
    }
    /* Members by name (kept for lookups) and by value, so a huge enum is
     * checked in linear time. */
    d->member_index = new_index(ctx);
    idl_strmap *by_value = new_index(ctx);
    for (idl_member *m = d->members.first; m != NULL; m = m->next) {
        check_name(ctx, m->name, UPPER_SNAKE, "enum member");
        idl_check_value(ctx, d->file, m->value, d->underlying, NULL,
                        "enum member '%s'", m->name.text);
        idl_member *same_name = idl_strmap_get(d->member_index, m->name.text);
        if (same_name != NULL) {
            idl_error(ctx, m->name.loc, "duplicate enum member '%s'",
                      m->name.text);
            idl_note(ctx, same_name->name.loc, "first declared here");
            continue;
        }
        idl_strmap_put(d->member_index, m->name.text, m);
        const char *key = idl_arena_printf(
            ctx->arena, "%s%llu", m->value->negative ? "-" : "",
            (unsigned long long)m->value->magnitude);
        idl_member *same_value = idl_strmap_get(by_value, key);
        if (same_value != NULL)
            idl_error(ctx, m->value->loc,
                      "enum members '%s' and '%s' have the same value",
                      same_value->name.text, m->name.text);
        else
            idl_strmap_put(by_value, key, m);
    }
}

/* Structs, unions and process identities have no literal values. */
static bool takes_no_default(const idl_type *t) {
    if (t->kind == IDL_TY_DECL)
        return t->decl->kind != IDL_D_ENUM;
    return t->kind == IDL_TY_BUILTIN &&
           (t->builtin == IDL_T_PID || t->builtin == IDL_T_REF ||
            t->builtin == IDL_T_ALIAS);
}

static void check_fields(idl_ctx *ctx, idl_decl *d) {
    bool is_union = d->kind == IDL_D_UNION;
    const char *what = is_union ? "union arm" : "field";
    uint32_t index = 0;
    d->field_index = new_index(ctx);
    for (idl_field *f = d->fields.first; f != NULL; f = f->next) {
        f->index = index++;
        check_annots(ctx, f->annots, NULL, "fields");
        check_name(ctx, f->name, LOWER_SNAKE, what);
        idl_field *first = idl_strmap_get(d->field_index, f->name.text);
        if (first != NULL) {
            idl_error(ctx, f->name.loc, "duplicate %s '%s'", what,
                      f->name.text);
            idl_note(ctx, first->name.loc, "first declared here");
        } else {
            idl_strmap_put(d->field_index, f->name.text, f);
        }
        if (f->type == NULL) {
            if (!is_union)
                idl_error(ctx, f->name.loc,
                          "field '%s' needs a type ('%s: "
                          "type;'); only union arms may "
                          "have none",
                          f->name.text, f->name.text);
            continue;
        }
        resolve_type(ctx, d->file, f->type, 0);
        if (f->def == NULL)
            continue;
        if (is_union) {
            idl_error(ctx, f->def->loc, "union arms take no default value");
            continue;
        }
        if (takes_no_default(f->type)) {
            idl_error(ctx, f->def->loc,
                      "field '%s' of type '%s' takes no default value",
                      f->name.text, idl_type_str(ctx, f->type));
            continue;
        }
        if (idl_type_has_implicit_default(f->type)) {
            idl_error(ctx, f->def->loc,
                      "field '%s' of type '%s' is empty by default and takes "
                      "no default value",
                      f->name.text, idl_type_str(ctx, f->type));
            continue;
        }
        idl_check_value(ctx, d->file, f->def, f->type, NULL,
                        "the default of field '%s'", f->name.text);
    }
}

/* ---- recursion without indirection --------------------------------------- */

/* An edge of the "holds inline" graph: a struct or union holds another one
 * directly (not behind optional or list) through a field. */
typedef struct hold_edge {
    idl_decl *to;
    idl_field *via;
} hold_edge;

typedef struct hold_list {
    hold_edge *edges;
    size_t n, cap;
} hold_list;

static void add_holds(idl_ctx *ctx, hold_list *l, idl_type *t, idl_field *via) {
    if (t->kind == IDL_TY_MAP) {
        add_holds(ctx, l, t->key, via);
        add_holds(ctx, l, t->elem, via);
        return;
    }
    if (t->kind != IDL_TY_DECL || t->decl->kind == IDL_D_ENUM)
        return; /* builtins; list and optional are indirections */
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        hold_edge *e = idl_arena_alloc(ctx->arena, cap * sizeof(*e));
        if (l->n > 0)
            memcpy(e, l->edges, l->n * sizeof(*e));
        l->edges = e;
        l->cap = cap;
    }
    l->edges[l->n++] = (hold_edge){t->decl, via};
}

typedef struct dfs_frame {
    idl_decl *decl;
    hold_list *holds;
    size_t next; /* next edge to follow */
} dfs_frame;

/* Names the cycle from frame `from` to the top, e.g. "A.b -> B.a". */
static const char *cycle_path(idl_ctx *ctx, dfs_frame *stack, size_t from,
                              size_t top) {
    const char *path = "";
    size_t shown = 0;
    for (size_t i = from; i <= top; i++, shown++) {
        if (shown == 8) {
            path = idl_arena_printf(ctx->arena, "%s -> ...", path);
            break;
        }
        idl_field *via = stack[i].holds->edges[stack[i].next - 1].via;
        path = idl_arena_printf(ctx->arena, "%s%s%s.%s", path,
                                i == from ? "" : " -> ",
                                stack[i].decl->name.text, via->name.text);
    }
    return path;
}

/* One iterative depth-first walk over all structs and unions: an edge back
 * to a declaration still on the walk is a cycle with no indirection. */
static void check_recursion(idl_ctx *ctx) {
    size_t ndecls = 0;
    for (idl_file *f = ctx->files.first; f != NULL; f = f->next)
        for (idl_decl *d = f->decls.first; d != NULL; d = d->next)
            ndecls++;
    dfs_frame *stack = malloc((ndecls + 1) * sizeof(*stack));
    if (stack == NULL)
        abort();
    for (idl_file *f = ctx->files.first; f != NULL; f = f->next) {
        for (idl_decl *d = f->decls.first; d != NULL; d = d->next) {
            d->visit = WHITE;
            if (d->kind != IDL_D_STRUCT && d->kind != IDL_D_UNION)
                continue;
            hold_list *l = idl_arena_alloc(ctx->arena, sizeof(*l));
            for (idl_field *fl = d->fields.first; fl != NULL; fl = fl->next)
                if (fl->type != NULL)
                    add_holds(ctx, l, fl->type, fl);
            d->holds = l;
        }
    }
    for (idl_file *f = ctx->files.first; f != NULL; f = f->next) {
        for (idl_decl *root = f->decls.first; root != NULL; root = root->next) {
            if (root->holds == NULL || root->visit != WHITE)
                continue;
            size_t top = 0;
            stack[0] = (dfs_frame){root, root->holds, 0};
            root->visit = GREY;
            for (;;) {
                dfs_frame *fr = &stack[top];
                if (fr->next == fr->holds->n) {
                    fr->decl->visit = BLACK;
                    if (top == 0)
                        break;
                    top--;
                    continue;
                }
                hold_edge e = fr->holds->edges[fr->next++];
                if (e.to->visit == GREY) {
                    size_t from = 0;
                    while (stack[from].decl != e.to)
                        from++;
                    idl_error(ctx, e.via->name.loc,
                              "%s '%s' contains itself through %s with no "
                              "optional or list in between",
                              idl_decl_kind_name(e.to->kind), e.to->name.text,
                              cycle_path(ctx, stack, from, top));
                } else if (e.to->visit == WHITE && e.to->holds != NULL) {
                    e.to->visit = GREY;
                    stack[++top] = (dfs_frame){e.to, e.to->holds, 0};
                }
            }
        }
    }
    free(stack);
    for (idl_file *f = ctx->files.first; f != NULL; f = f->next)
        for (idl_decl *d = f->decls.first; d != NULL; d = d->next)
            d->visit = WHITE;
}

/* ---- actors -------------------------------------------------------------- */

/* Resolves `name vN` to a message or event version of the wanted kind. */
static idl_decl *resolve_version(idl_ctx *ctx, idl_decl *actor, idl_name name,
                                 idl_version_ref *v, idl_decl_kind want,
                                 const char *role) {
    idl_decl *fam = lookup_or_report(ctx, actor->file, name,
                                     want == IDL_D_EVENT ? "event" : "message");
    if (fam == NULL)
        return NULL;
    if (fam->kind != want) {
        idl_error(ctx, name.loc, "%s: '%s' is %s, not %s", role, name.text,
                  idl_decl_kind_a(fam->kind), idl_decl_kind_a(want));
        return NULL;
    }
    if (v->version == 0)
        return NULL;
    idl_decl *d = idl_find_version(ctx, fam, v->version);
    if (d == NULL) {
        idl_error(ctx, v->loc, "%s '%s' has no version v%u",
                  idl_decl_kind_name(fam->kind), name.text, v->version);
        return NULL;
    }
    if (d->deprecated)
        idl_warning(ctx, v->loc, "%s v%u is deprecated%s%s", d->qname,
                    v->version,
                    d->deprecated_msg && *d->deprecated_msg ? ": " : "",
                    d->deprecated_msg ? d->deprecated_msg : "");
    return d;
}

static void check_actor(idl_ctx *ctx, idl_decl *a) {
    idl_strmap *seen = new_index(ctx); /* versions accepted or published */
    for (idl_actor_item *it = a->items.first; it != NULL; it = it->next) {
        idl_decl_kind want =
            (it->verb == IDL_ACT_PUBLISHES || it->verb == IDL_ACT_SUBSCRIBES)
                ? IDL_D_EVENT
                : IDL_D_MESSAGE;
        if (it->important && it->verb != IDL_ACT_CAST)
            idl_error(ctx, it->important_loc,
                      "'important' applies to cast only, not to %s",
                      idl_actor_verb_name(it->verb));
        for (idl_version_ref *v = it->versions.first; v != NULL; v = v->next) {
            v->decl = resolve_version(ctx, a, it->msg, v, want,
                                      idl_actor_verb_name(it->verb));
            if (v->decl == NULL)
                continue;
            /* The same version accepted (or published) twice. */
            bool accepts = it->verb != IDL_ACT_PUBLISHES;
            const char *key = idl_arena_printf(
                ctx->arena, "%c%p", accepts ? 'a' : 'p', (void *)v->decl);
            if (idl_strmap_get(seen, key) != NULL)
                idl_error(ctx, v->loc, "actor '%s' %s %s v%u twice",
                          a->name.text, accepts ? "accepts" : "publishes",
                          v->decl->qname, v->version);
            else
                idl_strmap_put(seen, key, v);
        }
        if (it->has_response) {
            bool invisible;
            idl_decl *fam = idl_lookup(ctx, a->file, it->resp.text, &invisible);
            if (fam != NULL && fam->kind == IDL_D_EVENT) {
                idl_error(ctx, it->resp.loc,
                          "the response of a call must be a message, and "
                          "'%s' is an event",
                          it->resp.text);
                continue;
            }
            it->resp_version.decl =
                resolve_version(ctx, a, it->resp, &it->resp_version,
                                IDL_D_MESSAGE, "call response");
        }
    }
}

/* ---- wire ids ------------------------------------------------------------ */

static int wire_id_cmp(const void *pa, const void *pb) {
    const idl_decl *a = *(idl_decl *const *)pa, *b = *(idl_decl *const *)pb;
    if (a->wire_id != b->wire_id)
        return a->wire_id < b->wire_id ? -1 : 1;
    return strcmp(a->qname, b->qname);
}

/* Sorted by wire id, colliding families sit next to each other. */
static void check_wire_ids(idl_ctx *ctx) {
    idl_strmap *t = ctx->syms;
    idl_decl **fams = malloc((t->used + 1) * sizeof(*fams));
    size_t n = 0;
    if (fams == NULL)
        abort();
    for (size_t i = 0; i < t->cap; i++) {
        idl_decl *d = t->slots[i].value;
        if (d == NULL || !is_versioned(d))
            continue;
        fams[n++] = d;
        uint64_t id = idl_wire_id(d->qname);
        for (idl_decl *v = d; v != NULL; v = v->next_version)
            v->wire_id = id;
    }
    if (n > 1)
        qsort(fams, n, sizeof(*fams), wire_id_cmp);
    for (size_t i = 1; i < n; i++)
        if (fams[i - 1]->wire_id == fams[i]->wire_id)
            idl_error(ctx, fams[i]->name.loc,
                      "wire id of '%s' collides with that of '%s'; rename "
                      "one of them",
                      fams[i]->qname, fams[i - 1]->qname);
    free(fams);
}

/* ---- driver -------------------------------------------------------------- */

void idl_check(idl_ctx *ctx) {
    ctx->syms = idl_arena_alloc(ctx->arena, sizeof(*ctx->syms));
    idl_strmap_init(ctx->syms, ctx->arena);
    ctx->versions = new_index(ctx);
    ctx->conversions = new_index(ctx);

    for (idl_file *f = ctx->files.first; f != NULL; f = f->next)
        if (f->visit == WHITE)
            visit_imports(ctx, f);
    for (idl_file *f = ctx->files.first; f != NULL; f = f->next) {
        f->visit = WHITE;
        check_package_name(ctx, f);
        for (idl_decl *d = f->decls.first; d != NULL; d = d->next)
            if (!is_conversion(d))
                collect(ctx, f, d);
    }
    if (ctx->stopped)
        return;

    for (idl_file *f = ctx->files.first; f != NULL; f = f->next) {
        for (idl_decl *d = f->decls.first; d != NULL; d = d->next) {
            if (d->package == NULL)
                d->package = f->package;
            if (!is_conversion(d))
                check_annots(ctx, d->annots, d,
                             idl_arena_printf(ctx->arena, "%ss",
                                              idl_decl_kind_name(d->kind)));
            switch (d->kind) {
            case IDL_D_ENUM:
                check_enum(ctx, d);
                break;
            case IDL_D_STRUCT:
            case IDL_D_UNION:
            case IDL_D_MESSAGE:
            case IDL_D_EVENT:
                check_fields(ctx, d);
                break;
            default:
                break;
            }
        }
    }
    /* Deprecation must be known before actors and conversions look. */
    for (idl_file *f = ctx->files.first; f != NULL && !ctx->stopped;
         f = f->next) {
        for (idl_decl *d = f->decls.first; d != NULL; d = d->next) {
            if (is_conversion(d)) {
                check_annots(ctx, d->annots, NULL, "conversions");
                int before = ctx->errors;
                if (f->package != NULL)
                    idl_check_conversion(ctx, d);
                d->nerrors = ctx->errors - before;
            } else if (d->kind == IDL_D_ACTOR) {
                check_actor(ctx, d);
            }
        }
    }
    if (ctx->stopped)
        return;
    check_recursion(ctx);
    check_wire_ids(ctx);
    idl_check_c_names(ctx);
    if (ctx->errors > 0)
        return;
    for (idl_file *f = ctx->files.first; f != NULL; f = f->next)
        for (idl_decl *d = f->decls.first; d != NULL; d = d->next)
            if (is_versioned(d) && d->qname != NULL)
                idl_fingerprint_decl(ctx, d);
}
