/* SPDX-License-Identifier: MIT */
/* convert.c: checks upgrade and downgrade declarations: direction, existing
 * versions, and totality (every target field gets a value). */
#include <string.h>

#include "check.h"
#include "diag.h"
#include "strmap.h"

/* Resolves the message and both versions; false after a diagnostic. */
static bool resolve_ends(idl_ctx *ctx, idl_decl *conv) {
    bool invisible;
    const char *kw = conv->kind == IDL_D_UPGRADE ? "upgrade" : "downgrade";
    idl_decl *fam = idl_lookup(ctx, conv->file, conv->name.text, &invisible);
    if (fam == NULL) {
        if (invisible)
            idl_error(ctx, conv->name.loc, "'%s' is not visible here",
                      conv->name.text);
        else
            idl_error(ctx, conv->name.loc, "%s of unknown message '%s'", kw,
                      conv->name.text);
        return false;
    }
    if (fam->kind != IDL_D_MESSAGE && fam->kind != IDL_D_EVENT) {
        idl_error(ctx, conv->name.loc,
                  "'%s' is %s; only messages and events "
                  "have versions to convert",
                  conv->name.text, idl_decl_kind_a(fam->kind));
        return false;
    }
    if (strcmp(fam->package, conv->file->package) != 0) {
        idl_error(ctx, conv->name.loc,
                  "conversions of '%s' belong in its "
                  "package '%s'",
                  fam->qname, fam->package);
        return false;
    }
    if (conv->version == 0 || conv->to_version == 0)
        return false; /* reported by the parser */
    if (conv->version == conv->to_version) {
        idl_error(ctx, conv->to_loc, "%s from v%u to itself", kw,
                  conv->version);
        return false;
    }
    if (conv->kind == IDL_D_UPGRADE && conv->version > conv->to_version) {
        idl_error(ctx, conv->version_loc,
                  "an upgrade goes from a lower to a "
                  "higher version; write 'downgrade "
                  "%s v%u -> v%u'",
                  conv->name.text, conv->version, conv->to_version);
        return false;
    }
    if (conv->kind == IDL_D_DOWNGRADE && conv->version < conv->to_version) {
        idl_error(ctx, conv->version_loc,
                  "a downgrade goes from a higher to "
                  "a lower version; write 'upgrade "
                  "%s v%u -> v%u'",
                  conv->name.text, conv->version, conv->to_version);
        return false;
    }
    bool ok = true;
    conv->target = idl_find_version(ctx, fam, conv->version);
    conv->target_to = idl_find_version(ctx, fam, conv->to_version);
    if (conv->target == NULL) {
        idl_error(ctx, conv->version_loc, "%s: %s '%s' has no version v%u", kw,
                  idl_decl_kind_name(fam->kind), fam->qname, conv->version);
        ok = false;
    }
    if (conv->target_to == NULL) {
        idl_error(ctx, conv->to_loc, "%s: %s '%s' has no version v%u", kw,
                  idl_decl_kind_name(fam->kind), fam->qname, conv->to_version);
        ok = false;
    }
    return ok;
}

/* Conversions are declared once per (message, from, to). */
static bool is_duplicate(idl_ctx *ctx, idl_decl *conv) {
    const char *key =
        idl_arena_printf(ctx->arena, "%d %p %p", (int)conv->kind,
                         (void *)conv->target, (void *)conv->target_to);
    idl_decl *first = idl_strmap_get(ctx->conversions, key);
    if (first == NULL) {
        idl_strmap_put(ctx->conversions, key, conv);
        return false;
    }
    idl_error(ctx, conv->loc, "duplicate %s of '%s' from v%u to v%u",
              conv->kind == IDL_D_UPGRADE ? "upgrade" : "downgrade",
              conv->target->qname, conv->version, conv->to_version);
    idl_note(ctx, first->loc, "first declared here");
    return true;
}

void idl_check_conversion(idl_ctx *ctx, idl_decl *conv) {
    if (!resolve_ends(ctx, conv) || is_duplicate(ctx, conv))
        return;
    idl_decl *src = conv->target, *dst = conv->target_to;
    const char *dst_name =
        idl_arena_printf(ctx->arena, "%s v%u", dst->name.text, dst->version);

    /* Every assignment names a real target field, once. */
    idl_strmap assigned;
    idl_strmap_init(&assigned, ctx->arena);
    for (idl_assign *a = conv->assigns.first; a != NULL; a = a->next) {
        idl_field *f = idl_find_field(dst, a->field.text);
        if (f == NULL || f->type == NULL) {
            idl_error(ctx, a->field.loc, "%s has no field '%s'", dst_name,
                      a->field.text);
            continue;
        }
        if (idl_strmap_get(&assigned, a->field.text) != NULL) {
            idl_error(ctx, a->field.loc, "field '%s' is assigned twice",
                      a->field.text);
            continue;
        }
        idl_strmap_put(&assigned, a->field.text, a);
        idl_check_value(ctx, conv->file, a->value, f->type, src, "field '%s'",
                        a->field.text);
    }

    /* Totality: each target field is assigned, carried over by name with a
     * widening type, or defaulted. A same-named field that does not widen
     * must be assigned even when a default exists. A body that did not
     * parse may have lost assignments: judging it would only mislead. */
    if (conv->broken_body)
        return;
    for (idl_field *f = dst->fields.first; f != NULL; f = f->next) {
        if (f->type == NULL || idl_strmap_get(&assigned, f->name.text) != NULL)
            continue;
        idl_field *from = idl_find_field(src, f->name.text);
        if (from != NULL && from->type != NULL) {
            if (!idl_type_widens(from->type, f->type))
                idl_error(ctx, conv->loc,
                          "field '%s' cannot be carried over from v%u to "
                          "v%u: '%s' does not widen to '%s'; assign it "
                          "explicitly",
                          f->name.text, src->version, dst->version,
                          idl_type_str(ctx, from->type),
                          idl_type_str(ctx, f->type));
            continue;
        }
        if (f->def != NULL || idl_type_has_implicit_default(f->type))
            continue;
        idl_error(ctx, conv->loc,
                  "%s %s v%u -> v%u is not total: field '%s' "
                  "of %s is not set (v%u has no field '%s' "
                  "and it has no default)",
                  conv->kind == IDL_D_UPGRADE ? "upgrade" : "downgrade",
                  dst->name.text, src->version, dst->version, f->name.text,
                  dst_name, src->version, f->name.text);
    }
}
