/* SPDX-License-Identifier: MIT */
/* value.c: checks default values and conversion expressions against the
 * type they must produce. */
#include <float.h>
#include <string.h>

#include "check.h"
#include "diag.h"
#include "strmap.h"
#include "suggest.h"

typedef enum narrow_mode {
    NARROW_NONE,
    NARROW_SATURATE, /* inside saturate(): numeric narrowing clamps */
    NARROW_CHECKED,  /* inside checked(): narrowing fails at run time */
} narrow_mode;

typedef struct vctx {
    idl_ctx *ctx;
    const idl_file *file;
    idl_decl *src; /* source version of a conversion; NULL for defaults */
    const char *what_fmt; /* "field '%s'": how messages name the target */
    const char *path;     /* the target, dotted inside struct literals */
    const char *what;     /* what_fmt applied to path */
    int depth;            /* expression nesting, bounded */
} vctx;

static void set_path(vctx *v, const char *path) {
    v->path = path;
    v->what = idl_arena_printf(v->ctx->arena, v->what_fmt, path);
}

static void check_expr(vctx *v, idl_expr *e, const idl_type *t,
                       narrow_mode mode);

static const char *found_str(idl_ctx *ctx, const idl_expr *e) {
    switch (e->kind) {
    case IDL_EX_INT:
        return "an integer";
    case IDL_EX_FLOAT:
        return "a floating-point number";
    case IDL_EX_STRING:
        return "a string";
    case IDL_EX_BOOL:
        return "a bool";
    case IDL_EX_PATH:
        return idl_arena_printf(ctx->arena, "'%s'", e->name.text);
    case IDL_EX_STRUCT:
        return "a struct literal";
    case IDL_EX_ARM:
        return "a union arm";
    case IDL_EX_CALL:
        return "a conversion function";
    }
    return "a value";
}

static void mismatch(vctx *v, const idl_expr *e, const idl_type *t) {
    idl_error(v->ctx, e->loc, "%s: expected a value of type '%s', found %s",
              v->what, idl_type_str(v->ctx, t), found_str(v->ctx, e));
}

static const idl_type *unwrap_optional(const idl_type *t) {
    return t->kind == IDL_TY_OPTIONAL ? t->elem : t;
}

/* ---- literals ------------------------------------------------------------ */

static void check_int(vctx *v, const idl_expr *e, const idl_type *t) {
    idl_builtin b = t->builtin;
    if (t->kind == IDL_TY_BUILTIN && (b == IDL_T_F32 || b == IDL_T_F64))
        return;
    bool is_int = idl_type_is_integer(t);
    bool is_i64ish =
        t->kind == IDL_TY_BUILTIN && (b == IDL_T_TIME || b == IDL_T_DURATION);
    if (!is_int && !is_i64ish) {
        mismatch(v, e, t);
        return;
    }
    int bits = 64;
    bool sign = true;
    if (is_int) {
        sign = b <= IDL_T_I64;
        bits = (b == IDL_T_I8 || b == IDL_T_U8)     ? 8
               : (b == IDL_T_I16 || b == IDL_T_U16) ? 16
               : (b == IDL_T_I32 || b == IDL_T_U32) ? 32
                                                    : 64;
    }
    uint64_t max_pos =
        sign ? (UINT64_C(1) << (bits - 1)) - 1
             : (bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1);
    uint64_t max_neg = sign ? UINT64_C(1) << (bits - 1) : 0;
    bool ok = e->negative ? e->magnitude <= max_neg : e->magnitude <= max_pos;
    if (!ok)
        idl_error(v->ctx, e->loc, "%s: %s%llu is out of range for type '%s'",
                  v->what, e->negative ? "-" : "",
                  (unsigned long long)e->magnitude, idl_type_str(v->ctx, t));
}

static void check_string(vctx *v, const idl_expr *e, const idl_type *t) {
    if (t->kind != IDL_TY_BUILTIN ||
        (t->builtin != IDL_T_STRING && t->builtin != IDL_T_BYTES &&
         t->builtin != IDL_T_ATOM)) {
        mismatch(v, e, t);
        return;
    }
    uint64_t bound = t->has_bound ? t->bound : 0;
    if (t->builtin == IDL_T_ATOM)
        bound = 255; /* atoms are short names, as in Erlang */
    if (bound != 0 && e->str_len > bound)
        idl_error(v->ctx, e->loc,
                  "%s: the string is %u bytes long, more "
                  "than the bound %llu of '%s'",
                  v->what, e->str_len, (unsigned long long)bound,
                  idl_type_str(v->ctx, t));
}

/* ---- names
 * ------------------------------------------------------------------- */

static bool is_decl(const idl_type *t, idl_decl_kind k) {
    return t->kind == IDL_TY_DECL && t->decl->kind == k;
}

/* "; did you mean 'x'?" for a misspelt field of rec, or "". */
static const char *did_you_mean(idl_ctx *ctx, idl_decl *rec, const char *name) {
    idl_suggest sg;
    idl_suggest_init(&sg, name);
    for (idl_field *f = rec->fields.first; f != NULL; f = f->next)
        idl_suggest_offer(&sg, f->name.text);
    const char *best = idl_suggest_best(&sg);
    return best ? idl_arena_printf(ctx->arena, "; did you mean '%s'?", best)
                : "";
}

/* Checks that a source value of type `from` may become `to`. */
static void check_flow(vctx *v, const idl_expr *e, const idl_type *from,
                       const idl_type *to, narrow_mode mode) {
    if (idl_type_widens(from, to))
        return;
    if (mode == NARROW_CHECKED && idl_type_converts_checked(from, to))
        return;
    if (mode == NARROW_SATURATE && idl_type_converts_saturated(from, to))
        return;
    if (mode == NARROW_SATURATE && idl_type_is_numeric(to))
        idl_error(v->ctx, e->loc,
                  "%s: saturate() clamps numbers, and '%s' "
                  "is of type '%s'",
                  v->what, e->name.text, idl_type_str(v->ctx, from));
    else if (idl_type_converts_checked(from, to))
        idl_error(v->ctx, e->loc,
                  "%s: '%s' of type '%s' does not widen to '%s'; wrap it in "
                  "%s(...) to convert it",
                  v->what, e->name.text, idl_type_str(v->ctx, from),
                  idl_type_str(v->ctx, to),
                  idl_type_converts_saturated(from, to) ? "saturate(...) or "
                                                          "checked"
                                                        : "checked");
    else
        idl_error(v->ctx, e->loc, "%s: '%s' of type '%s' cannot become '%s'",
                  v->what, e->name.text, idl_type_str(v->ctx, from),
                  idl_type_str(v->ctx, to));
}

/* Walks a source field path (`total.amount`); NULL after a diagnostic. */
static const idl_type *walk_source_path(vctx *v, const idl_expr *e,
                                        narrow_mode mode) {
    const char *p = e->name.text;
    idl_decl *rec = v->src;
    const idl_type *t = NULL;
    const char *walked = "";
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        char *seg = idl_arena_strndup(v->ctx->arena, p, n);
        if (t != NULL && idl_type_is_error(t))
            return t; /* the rest of the path cannot be judged */
        if (t != NULL) {
            const idl_type *inner = t;
            if (t->kind == IDL_TY_OPTIONAL) {
                if (mode != NARROW_CHECKED) {
                    idl_error(v->ctx, e->loc,
                              "%s: the path '%s' passes through optional "
                              "'%s'; wrap it in checked(...)",
                              v->what, e->name.text, walked);
                    return NULL;
                }
                inner = t->elem;
            }
            if (!is_decl(inner, IDL_D_STRUCT)) {
                idl_error(v->ctx, e->loc,
                          "%s: '%s' is of type '%s', which "
                          "has no field '%s'",
                          v->what, walked, idl_type_str(v->ctx, t), seg);
                return NULL;
            }
            rec = inner->decl;
        }
        idl_field *f = idl_find_field(rec, seg);
        if (f == NULL || f->type == NULL) {
            const char *hint = did_you_mean(v->ctx, rec, seg);
            if (rec == v->src)
                idl_error(v->ctx, e->loc, "%s: %s v%u has no field '%s'%s",
                          v->what, v->src->name.text, v->src->version, seg,
                          hint);
            else
                idl_error(v->ctx, e->loc,
                          "%s: struct '%s' has no field "
                          "'%s'%s",
                          v->what, rec->name.text, seg, hint);
            return NULL;
        }
        t = f->type;
        walked = idl_arena_strndup(v->ctx->arena, e->name.text,
                                   (size_t)(p + n - e->name.text));
        p += n;
        if (*p == '.')
            p++;
    }
    return t;
}

/* A qualified enum member (`Currency.USD`, `shop.common.Currency.USD`). */
static bool qualified_member(vctx *v, const idl_expr *e, const idl_type *t) {
    const char *dot = strrchr(e->name.text, '.');
    char *prefix = idl_arena_strndup(v->ctx->arena, e->name.text,
                                     (size_t)(dot - e->name.text));
    bool invisible;
    idl_decl *d = idl_lookup(v->ctx, v->file, prefix, &invisible);
    if (d == NULL || d->kind != IDL_D_ENUM)
        return false;
    if (!is_decl(t, IDL_D_ENUM) || t->decl != d) {
        idl_error(v->ctx, e->loc,
                  "%s: '%s' is a member of enum '%s', but "
                  "the value must be of type '%s'",
                  v->what, e->name.text, d->qname, idl_type_str(v->ctx, t));
        return true;
    }
    if (idl_find_member(d, dot + 1) == NULL)
        idl_error(v->ctx, e->loc, "%s: enum '%s' has no member '%s'", v->what,
                  d->qname, dot + 1);
    return true;
}

static void check_path(vctx *v, idl_expr *e, const idl_type *t,
                       narrow_mode mode) {
    if (e->name.overlong)
        return; /* reported when it was read */
    const idl_type *inner = unwrap_optional(t);
    if (e->name.nparts == 1) {
        /* Members and arms of the expected type come first. */
        if (is_decl(inner, IDL_D_ENUM) &&
            idl_find_member(inner->decl, e->name.text))
            return;
        if (is_decl(inner, IDL_D_UNION)) {
            idl_field *arm = idl_find_field(inner->decl, e->name.text);
            if (arm != NULL) {
                if (v->src == NULL)
                    idl_error(v->ctx, e->loc,
                              "%s: union fields take no "
                              "default value",
                              v->what);
                else if (arm->type != NULL)
                    idl_error(v->ctx, e->loc,
                              "%s: union arm '%s' carries a "
                              "value; write '%s = ...'",
                              v->what, e->name.text, e->name.text);
                return;
            }
        }
        if (v->src != NULL && idl_find_field(v->src, e->name.text) != NULL) {
            const idl_type *from = walk_source_path(v, e, mode);
            if (from != NULL)
                check_flow(v, e, from, t, mode);
            return;
        }
        if (is_decl(inner, IDL_D_ENUM) || is_decl(inner, IDL_D_UNION))
            idl_error(v->ctx, e->loc, "%s: '%s' is not %s of %s '%s'%s",
                      v->what, e->name.text,
                      is_decl(inner, IDL_D_ENUM) ? "a member" : "an arm",
                      idl_decl_kind_name(inner->decl->kind), inner->decl->qname,
                      v->src ? " nor a field of the source" : "");
        else if (v->src != NULL)
            idl_error(v->ctx, e->loc,
                      "%s: unknown name '%s' (not a field of "
                      "%s v%u)%s",
                      v->what, e->name.text, v->src->name.text, v->src->version,
                      did_you_mean(v->ctx, v->src, e->name.text));
        else
            mismatch(v, e, t);
        return;
    }
    const char *dot = strchr(e->name.text, '.');
    char *first = idl_arena_strndup(v->ctx->arena, e->name.text,
                                    (size_t)(dot - e->name.text));
    if (v->src != NULL && idl_find_field(v->src, first) != NULL) {
        const idl_type *from = walk_source_path(v, e, mode);
        if (from != NULL)
            check_flow(v, e, from, t, mode);
        return;
    }
    if (qualified_member(v, e, inner))
        return;
    idl_error(v->ctx, e->loc, "%s: unknown name '%s'", v->what, e->name.text);
}

/* ---- composite expressions
 * --------------------------------------------------- */

static void check_struct_literal(vctx *v, idl_expr *e, const idl_type *t) {
    const idl_type *inner = unwrap_optional(t);
    if (!is_decl(inner, IDL_D_STRUCT)) {
        mismatch(v, e, t);
        return;
    }
    idl_decl *s = inner->decl;
    const char *outer = v->what, *outer_path = v->path;
    idl_strmap set; /* fields given a value */
    idl_strmap_init(&set, v->ctx->arena);
    for (idl_assign *a = e->fields.first; a != NULL; a = a->next) {
        idl_field *f = idl_find_field(s, a->field.text);
        if (f == NULL) {
            idl_error(v->ctx, a->field.loc,
                      "%s: struct '%s' has no field "
                      "'%s'%s",
                      outer, s->name.text, a->field.text,
                      did_you_mean(v->ctx, s, a->field.text));
            continue;
        }
        if (idl_strmap_get(&set, a->field.text) != NULL) {
            idl_error(v->ctx, a->field.loc, "%s: field '%s' is set twice",
                      outer, a->field.text);
            continue;
        }
        idl_strmap_put(&set, a->field.text, a);
        set_path(v, idl_arena_printf(v->ctx->arena, "%s.%s", outer_path,
                                     a->field.text));
        check_expr(v, a->value, f->type, NARROW_NONE);
        set_path(v, outer_path);
    }
    for (idl_field *f = s->fields.first; f != NULL; f = f->next) {
        if (idl_strmap_get(&set, f->name.text) == NULL && f->def == NULL &&
            f->type != NULL && !idl_type_has_implicit_default(f->type))
            idl_error(v->ctx, e->loc,
                      "%s: field '%s' of struct '%s' is not "
                      "set and has no default",
                      outer, f->name.text, s->name.text);
    }
}

static void check_arm(vctx *v, idl_expr *e, const idl_type *t) {
    const idl_type *inner = unwrap_optional(t);
    if (!is_decl(inner, IDL_D_UNION)) {
        mismatch(v, e, t);
        return;
    }
    idl_field *arm = idl_find_field(inner->decl, e->name.text);
    if (arm == NULL) {
        idl_error(v->ctx, e->loc, "%s: union '%s' has no arm '%s'", v->what,
                  inner->decl->name.text, e->name.text);
        return;
    }
    if (arm->type == NULL) {
        idl_error(v->ctx, e->loc,
                  "%s: union arm '%s' carries no value; "
                  "write just '%s'",
                  v->what, e->name.text, e->name.text);
        return;
    }
    check_expr(v, e->arg, arm->type, NARROW_NONE);
}

static void check_call(vctx *v, idl_expr *e, const idl_type *t) {
    narrow_mode mode;
    if (strcmp(e->name.text, "saturate") == 0) {
        mode = NARROW_SATURATE;
        if (!idl_type_is_numeric(unwrap_optional(t))) {
            idl_error(v->ctx, e->loc,
                      "%s: saturate() produces numbers, but "
                      "the value must be of type '%s'",
                      v->what, idl_type_str(v->ctx, t));
            return;
        }
    } else if (strcmp(e->name.text, "checked") == 0) {
        mode = NARROW_CHECKED;
    } else {
        idl_error(v->ctx, e->loc,
                  "%s: unknown function '%s' (the "
                  "conversion functions are saturate and "
                  "checked)",
                  v->what, e->name.text);
        return;
    }
    check_expr(v, e->arg, t, mode);
}

static void check_expr_at(vctx *v, idl_expr *e, const idl_type *t,
                          narrow_mode mode);

static void check_expr(vctx *v, idl_expr *e, const idl_type *t,
                       narrow_mode mode) {
    if (v->depth >= IDL_MAX_DEPTH) {
        idl_error(v->ctx, e->loc,
                  "%s: expression is nested more than %d "
                  "levels deep",
                  v->what, IDL_MAX_DEPTH);
        return;
    }
    v->depth++;
    check_expr_at(v, e, t, mode);
    v->depth--;
}

static void check_expr_at(vctx *v, idl_expr *e, const idl_type *t,
                          narrow_mode mode) {
    const idl_type *inner = unwrap_optional(t);
    if (idl_type_is_error(inner))
        return; /* its type was already reported */
    if (v->src == NULL && (e->kind == IDL_EX_STRUCT || e->kind == IDL_EX_ARM ||
                           e->kind == IDL_EX_CALL)) {
        idl_error(v->ctx, e->loc,
                  "%s must be a literal (a number, string, "
                  "true/false or enum member)",
                  v->what);
        return;
    }
    switch (e->kind) {
    case IDL_EX_INT:
        if (inner->kind != IDL_TY_BUILTIN)
            mismatch(v, e, t);
        else
            check_int(v, e, inner);
        return;
    case IDL_EX_FLOAT:
        if (!idl_type_is_float(inner))
            mismatch(v, e, t);
        else if (inner->builtin == IDL_T_F32 &&
                 (e->fvalue > FLT_MAX || e->fvalue < -FLT_MAX))
            idl_error(v->ctx, e->loc, "%s: %g is out of range for type 'f32'",
                      v->what, e->fvalue);
        return;
    case IDL_EX_STRING:
        check_string(v, e, inner);
        return;
    case IDL_EX_BOOL:
        if (inner->kind != IDL_TY_BUILTIN || inner->builtin != IDL_T_BOOL)
            mismatch(v, e, t);
        return;
    case IDL_EX_PATH:
        check_path(v, e, t, mode);
        return;
    case IDL_EX_STRUCT:
        check_struct_literal(v, e, t);
        return;
    case IDL_EX_ARM:
        check_arm(v, e, t);
        return;
    case IDL_EX_CALL:
        check_call(v, e, t);
        return;
    }
}

void idl_check_value(idl_ctx *ctx, const idl_file *file, idl_expr *e,
                     const idl_type *type, idl_decl *src, const char *what_fmt,
                     const char *name) {
    vctx v = {ctx, file, src, what_fmt, NULL, NULL, 0};
    if (e == NULL || type == NULL)
        return;
    set_path(&v, name);
    check_expr(&v, e, type, NARROW_NONE);
}
