/* SPDX-License-Identifier: MIT */
/* cnames.c: the C names the generator will emit, and their collisions. */
#include <ctype.h>
#include <string.h>

#include "check.h"
#include "diag.h"
#include "strmap.h"

const char *idl_snake(idl_ctx *ctx, const char *name) {
    size_t n = strlen(name);
    char *out = idl_arena_alloc(ctx->arena, 2 * n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (isupper(c) && i > 0) {
            unsigned char prev = (unsigned char)name[i - 1];
            unsigned char next = (unsigned char)name[i + 1];
            /* ChargeRequest -> charge_request; HTTPServer -> http_server */
            if (islower(prev) || isdigit(prev) ||
                (isupper(prev) && islower(next)))
                out[k++] = '_';
        }
        out[k++] = (char)tolower(c);
    }
    out[k] = '\0';
    return out;
}

const char *idl_c_prefix(idl_ctx *ctx, const char *package) {
    char *p = idl_arena_strdup(ctx->arena, package);
    for (char *c = p; *c; c++)
        if (*c == '.')
            *c = '_';
    return p;
}

static char *upper(idl_ctx *ctx, const char *s) {
    char *u = idl_arena_strdup(ctx->arena, s);
    for (char *c = u; *c; c++)
        *c = (char)toupper((unsigned char)*c);
    return u;
}

typedef struct claim {
    idl_loc loc;
    const char *by; /* what produced the name, for the message */
} claim;

/* Registers one generated identifier; the second claimant is an error. */
static void claim_name(idl_ctx *ctx, idl_strmap *names, const char *cname,
                       idl_loc loc, const char *by) {
    claim *prev = idl_strmap_get(names, cname);
    if (prev != NULL) {
        idl_error(ctx, loc,
                  "%s generates the C name '%s', which %s also "
                  "generates",
                  by, cname, prev->by);
        idl_note(ctx, prev->loc, "the first '%s' comes from here", cname);
        return;
    }
    claim *c = idl_arena_alloc(ctx->arena, sizeof(*c));
    c->loc = loc;
    c->by = by;
    idl_strmap_put(names, cname, c);
}

/* Duplicate members and arms are already reported as duplicates; their C
 * names would only repeat the news. The indexes hold the first of a name. */
static bool first_member_named(const idl_decl *d, const idl_member *m) {
    return idl_find_member(d, m->name.text) == m;
}

static bool first_arm_named(const idl_decl *d, const idl_field *a) {
    return idl_find_field(d, a->name.text) == a;
}

static void name_decl(idl_ctx *ctx, idl_strmap *names, idl_decl *d) {
    const char *prefix = idl_c_prefix(ctx, d->package);
    const char *snake = idl_snake(ctx, d->name.text);
    const char *base = idl_arena_printf(ctx->arena, "%s_%s", prefix, snake);
    const char *by = idl_arena_printf(ctx->arena, "%s '%s'",
                                      idl_decl_kind_name(d->kind), d->qname);
    switch (d->kind) {
    case IDL_D_MESSAGE:
    case IDL_D_EVENT:
        by =
            idl_arena_printf(ctx->arena, "%s '%s' v%u",
                             idl_decl_kind_name(d->kind), d->qname, d->version);
        d->c_name = idl_arena_printf(ctx->arena, "%s_v%u_t", base, d->version);
        claim_name(ctx, names, d->c_name, d->name.loc, by);
        return;
    case IDL_D_ENUM:
        d->c_name = idl_arena_printf(ctx->arena, "%s_t", base);
        claim_name(ctx, names, d->c_name, d->name.loc, by);
        for (idl_member *m = d->members.first; m != NULL; m = m->next)
            if (first_member_named(d, m))
                claim_name(ctx, names,
                           idl_arena_printf(ctx->arena, "%s_%s",
                                            upper(ctx, base), m->name.text),
                           m->name.loc,
                           idl_arena_printf(ctx->arena, "enum member '%s.%s'",
                                            d->qname, m->name.text));
        return;
    case IDL_D_UNION:
        d->c_name = idl_arena_printf(ctx->arena, "%s_t", base);
        claim_name(ctx, names, d->c_name, d->name.loc, by);
        claim_name(ctx, names, idl_arena_printf(ctx->arena, "%s_tag_t", base),
                   d->name.loc, by);
        for (idl_field *a = d->fields.first; a != NULL; a = a->next)
            if (first_arm_named(d, a))
                claim_name(ctx, names,
                           idl_arena_printf(ctx->arena, "%s_%s",
                                            upper(ctx, base),
                                            upper(ctx, a->name.text)),
                           a->name.loc,
                           idl_arena_printf(ctx->arena, "union arm '%s.%s'",
                                            d->qname, a->name.text));
        return;
    case IDL_D_STRUCT:
        d->c_name = idl_arena_printf(ctx->arena, "%s_t", base);
        claim_name(ctx, names, d->c_name, d->name.loc, by);
        return;
    case IDL_D_ACTOR:
        d->c_name = idl_arena_printf(ctx->arena, "%s_actor_t", base);
        claim_name(ctx, names, d->c_name, d->name.loc, by);
        return;
    default:
        return;
    }
}

void idl_check_c_names(idl_ctx *ctx) {
    idl_strmap names;
    idl_strmap_init(&names, ctx->arena);
    for (idl_file *f = ctx->files.first; f != NULL; f = f->next)
        for (idl_decl *d = f->decls.first; d != NULL; d = d->next)
            if (d->qname != NULL && d->package != NULL)
                name_decl(ctx, &names, d);
}
