/* SPDX-License-Identifier: MIT */
/* ast.c: constructors for the syntax tree and names of its parts. */
#include "ast.h"

#include <string.h>

#include "diag.h"
#include "idlc.h"
#include "strmap.h"

/* Every list node type starts with its `next` pointer. */
typedef struct link {
    struct link *next;
} link;

void idl_list_append(idl_list *l, void *node) {
    if (node == NULL)
        return; /* an error production produced nothing */
    link *n = node;
    n->next = NULL;
    if (l->last != NULL)
        ((link *)l->last)->next = n;
    else
        l->first = n;
    l->last = n;
}

static const char *doc_key(idl_ctx *ctx, idl_loc at) {
    return idl_arena_printf(ctx->arena, "%d:%u:%u",
                            at.file ? at.file->index : -1, at.line, at.col);
}

void idl_doc_put(idl_ctx *ctx, idl_loc at, const char *text, size_t len) {
    if (ctx->docs == NULL) {
        ctx->docs = idl_arena_alloc(ctx->arena, sizeof(*ctx->docs));
        idl_strmap_init(ctx->docs, ctx->arena);
    }
    while (len > 0 && text[len - 1] == '\n')
        len--;
    idl_strmap_put(ctx->docs, doc_key(ctx, at),
                   idl_arena_strndup(ctx->arena, text, len));
}

const char *idl_doc_get(idl_ctx *ctx, idl_loc at) {
    return ctx->docs ? idl_strmap_get(ctx->docs, doc_key(ctx, at)) : NULL;
}

idl_name idl_name_join(idl_ctx *ctx, idl_name a, idl_name b) {
    /* Each join copies the name so far: bounding the length keeps a
     * 10 MB `a.a.a...` linear, and no real name comes near it. */
    if (a.overlong)
        return a;
    if (strlen(a.text) + strlen(b.text) + 1 > IDL_MAX_NAME) {
        idl_error(ctx, a.loc, "qualified name is longer than %d bytes",
                  IDL_MAX_NAME);
        a.overlong = true;
        return a;
    }
    idl_name n = {idl_arena_printf(ctx->arena, "%s.%s", a.text, b.text), a.loc,
                  a.nparts + b.nparts, false};
    return n;
}

idl_expr *idl_expr_new(idl_ctx *ctx, idl_expr_kind kind, idl_loc loc) {
    idl_expr *e = idl_arena_alloc(ctx->arena, sizeof(*e));
    e->kind = kind;
    e->loc = loc;
    return e;
}

idl_type *idl_type_new(idl_ctx *ctx, idl_type_kind kind, idl_loc loc) {
    idl_type *t = idl_arena_alloc(ctx->arena, sizeof(*t));
    t->kind = kind;
    t->loc = loc;
    return t;
}

idl_decl *idl_decl_new(idl_ctx *ctx, idl_decl_kind kind, idl_loc loc) {
    idl_decl *d = idl_arena_alloc(ctx->arena, sizeof(*d));
    d->kind = kind;
    d->loc = loc;
    return d;
}

idl_field *idl_field_new(idl_ctx *ctx, idl_name name, idl_type *type,
                         idl_expr *def) {
    idl_field *f = idl_arena_alloc(ctx->arena, sizeof(*f));
    f->name = name;
    f->type = type;
    f->def = def;
    return f;
}

idl_member *idl_member_new(idl_ctx *ctx, idl_name name, idl_expr *value) {
    idl_member *m = idl_arena_alloc(ctx->arena, sizeof(*m));
    m->name = name;
    m->value = value;
    return m;
}

idl_assign *idl_assign_new(idl_ctx *ctx, idl_name field, idl_expr *value) {
    idl_assign *a = idl_arena_alloc(ctx->arena, sizeof(*a));
    a->field = field;
    a->value = value;
    return a;
}

idl_annot *idl_annot_new(idl_ctx *ctx, idl_name name, idl_expr *arg) {
    idl_annot *a = idl_arena_alloc(ctx->arena, sizeof(*a));
    a->name = name;
    a->arg = arg;
    return a;
}

idl_version_ref *idl_version_ref_new(idl_ctx *ctx, uint32_t version,
                                     idl_loc loc) {
    idl_version_ref *v = idl_arena_alloc(ctx->arena, sizeof(*v));
    v->version = version;
    v->loc = loc;
    return v;
}

idl_actor_item *idl_actor_item_new(idl_ctx *ctx, idl_actor_verb verb,
                                   idl_loc loc) {
    idl_actor_item *it = idl_arena_alloc(ctx->arena, sizeof(*it));
    it->verb = verb;
    it->loc = loc;
    return it;
}

static const char *const builtin_names[] = {
    [IDL_T_NONE] = NULL,       [IDL_T_BOOL] = "bool",
    [IDL_T_I8] = "i8",         [IDL_T_I16] = "i16",
    [IDL_T_I32] = "i32",       [IDL_T_I64] = "i64",
    [IDL_T_U8] = "u8",         [IDL_T_U16] = "u16",
    [IDL_T_U32] = "u32",       [IDL_T_U64] = "u64",
    [IDL_T_F32] = "f32",       [IDL_T_F64] = "f64",
    [IDL_T_STRING] = "string", [IDL_T_BYTES] = "bytes",
    [IDL_T_TIME] = "time",     [IDL_T_DURATION] = "duration",
    [IDL_T_PID] = "pid",       [IDL_T_REF] = "ref",
    [IDL_T_ALIAS] = "alias",   [IDL_T_ATOM] = "atom",
};

const char *idl_builtin_name(idl_builtin b) {
    return builtin_names[b] ? builtin_names[b] : "<error>";
}

idl_builtin idl_builtin_lookup(const char *name) {
    for (int b = IDL_T_BOOL; b <= IDL_T_ATOM; b++)
        if (strcmp(builtin_names[b], name) == 0)
            return (idl_builtin)b;
    return IDL_T_NONE;
}

const char *idl_decl_kind_name(idl_decl_kind k) {
    switch (k) {
    case IDL_D_ENUM:
        return "enum";
    case IDL_D_STRUCT:
        return "struct";
    case IDL_D_UNION:
        return "union";
    case IDL_D_MESSAGE:
        return "message";
    case IDL_D_EVENT:
        return "event";
    case IDL_D_UPGRADE:
        return "upgrade";
    case IDL_D_DOWNGRADE:
        return "downgrade";
    case IDL_D_ACTOR:
        return "actor";
    }
    return "declaration";
}

const char *idl_actor_verb_name(idl_actor_verb v) {
    switch (v) {
    case IDL_ACT_CALL:
        return "call";
    case IDL_ACT_CAST:
        return "cast";
    case IDL_ACT_PUBLISHES:
        return "publishes";
    case IDL_ACT_SUBSCRIBES:
        return "subscribes";
    }
    return "?";
}

const char *idl_decl_kind_a(idl_decl_kind k) {
    switch (k) {
    case IDL_D_ENUM:
        return "an enum";
    case IDL_D_EVENT:
        return "an event";
    case IDL_D_UPGRADE:
        return "an upgrade";
    case IDL_D_ACTOR:
        return "an actor";
    case IDL_D_STRUCT:
        return "a struct";
    case IDL_D_UNION:
        return "a union";
    case IDL_D_MESSAGE:
        return "a message";
    case IDL_D_DOWNGRADE:
        return "a downgrade";
    }
    return "a declaration";
}

static const char *bound_suffix(idl_ctx *ctx, const idl_type *t) {
    return t->has_bound ? idl_arena_printf(ctx->arena, ", %llu",
                                           (unsigned long long)t->bound)
                        : "";
}

const char *idl_type_str(idl_ctx *ctx, const idl_type *t) {
    if (t == NULL)
        return "(no type)";
    switch (t->kind) {
    case IDL_TY_NAMED:
        return t->name.text;
    case IDL_TY_BUILTIN:
        if (t->has_bound)
            return idl_arena_printf(ctx->arena, "%s<%llu>",
                                    idl_builtin_name(t->builtin),
                                    (unsigned long long)t->bound);
        return idl_builtin_name(t->builtin);
    case IDL_TY_DECL:
        return t->decl->qname ? t->decl->qname : t->decl->name.text;
    case IDL_TY_LIST:
        return idl_arena_printf(ctx->arena, "list<%s%s>",
                                idl_type_str(ctx, t->elem),
                                bound_suffix(ctx, t));
    case IDL_TY_MAP:
        return idl_arena_printf(
            ctx->arena, "map<%s, %s%s>", idl_type_str(ctx, t->key),
            idl_type_str(ctx, t->elem), bound_suffix(ctx, t));
    case IDL_TY_OPTIONAL:
        return idl_arena_printf(ctx->arena, "optional %s",
                                idl_type_str(ctx, t->elem));
    }
    return "?";
}
