/* SPDX-License-Identifier: MIT */
/* check.h: what the checker's files share: symbol lookup, type rules,
 * conversions and C names. */
#ifndef IDLC_CHECK_H
#define IDLC_CHECK_H

#include "ast.h"
#include "idlc.h"

/* ---- symbols (check.c) --------------------------------------------------- */

/* idl_lookup finds the declaration `name` (plain or qualified) as seen from
 * file `from`: a plain name in the file's own package, a qualified one in
 * the own package or a directly imported one. Returns NULL (without a
 * diagnostic) when there is none; *invisible is set when the name exists
 * but its package is not imported. For messages and events the first
 * declared version is returned. */
idl_decl *idl_lookup(idl_ctx *ctx, const idl_file *from, const char *name,
                     bool *invisible);

/* idl_lookup_version returns version v of the message or event named by
 * qname ("package.Name"), and idl_lookup_decl the declaration of a kind
 * with that qualified name, ignoring visibility (lock and compat look at a
 * whole tree); NULL when there is none. Hash lookups. */
idl_decl *idl_lookup_version(idl_ctx *ctx, const char *qname, uint32_t v);
idl_decl *idl_lookup_decl(idl_ctx *ctx, idl_decl_kind kind, const char *qname);

/* idl_find_version returns version v of the message/event family of d. */
idl_decl *idl_find_version(idl_ctx *ctx, const idl_decl *family, uint32_t v);

/* A field or arm of a struct, union, message or event by name, and an enum
 * member by name; NULL when there is none. Hash lookups once the checker
 * has indexed the declaration, so huge declarations stay linear. */
idl_field *idl_find_field(const idl_decl *rec, const char *name);
idl_member *idl_find_member(const idl_decl *en, const char *name);

/* ---- type rules (types.c) ------------------------------------------------ */

/* The error type stands for a type that failed to resolve (reported once);
 * every rule accepts it so no second error follows from the first. */
bool idl_type_is_error(const idl_type *t);
bool idl_type_is_integer(const idl_type *t);
bool idl_type_is_float(const idl_type *t);
bool idl_type_is_numeric(const idl_type *t);
/* A list, map or optional: empty/absent by default. */
bool idl_type_has_implicit_default(const idl_type *t);
/* Lossless implicit widening (equal types included). */
bool idl_type_widens(const idl_type *from, const idl_type *to);
/* A narrowing that checked() may perform at run time. */
bool idl_type_converts_checked(const idl_type *from, const idl_type *to);
/* Both numeric: saturate() may clamp. */
bool idl_type_converts_saturated(const idl_type *from, const idl_type *to);

/* idl_check_value checks a value expression against a type. With `src` (a
 * message version) the expression may name the source's fields, as in a
 * conversion; without it (a default) only literals and enum members are
 * allowed. Messages name the destination as printf(what_fmt, name), e.g.
 * ("field '%s'", "total"); nested struct literal fields extend the name. */
void idl_check_value(idl_ctx *ctx, const idl_file *file, idl_expr *e,
                     const idl_type *type, idl_decl *src, const char *what_fmt,
                     const char *name);

/* ---- conversions (convert.c) --------------------------------------------- */

void idl_check_conversion(idl_ctx *ctx, idl_decl *conv);

/* ---- C names (cnames.c) -------------------------------------------------- */

/* lower_snake of an UpperCamel name: "HTTPServer" -> "http_server". */
const char *idl_snake(idl_ctx *ctx, const char *name);
/* The C prefix of a package: "shop.payment" -> "shop_payment". */
const char *idl_c_prefix(idl_ctx *ctx, const char *package);
/* Sets c_name on every declaration and reports collisions. */
void idl_check_c_names(idl_ctx *ctx);

#endif /* IDLC_CHECK_H */
