/* SPDX-License-Identifier: MIT */
/* parse.h: grammar actions that need the context, and the token loop. */
#ifndef IDLC_PARSE_H
#define IDLC_PARSE_H

#include "ast.h"
#include "idlc.h"

/* Token conversions; each reports malformed literals at the token. */
idl_name idl_tok_name(idl_ctx *ctx, const idl_token *t);
idl_expr *idl_tok_int(idl_ctx *ctx, const idl_token *t);
idl_expr *idl_tok_float(idl_ctx *ctx, const idl_token *t);
idl_expr *idl_tok_string(idl_ctx *ctx, const idl_token *t);
idl_expr *idl_tok_bool(idl_ctx *ctx, const idl_token *t, bool value);
idl_version_ref *idl_tok_version_ref(idl_ctx *ctx, const idl_token *t);
idl_token *idl_tok_copy(idl_ctx *ctx, const idl_token *t);

/* File-level items. */
void idl_act_package(idl_ctx *ctx, idl_loc kw, idl_name name);
void idl_act_import(idl_ctx *ctx, idl_loc kw, const idl_token *path);
void idl_act_decl(idl_ctx *ctx, idl_list annots, idl_decl *d);

/* An annotation; its position is that of its '@'. */
idl_annot *idl_act_annot(idl_ctx *ctx, const idl_token *at,
                         const idl_token *name, idl_expr *arg);

/* Declarations. */
idl_decl *idl_act_enum(idl_ctx *ctx, idl_loc kw, const idl_token *name,
                       idl_type *underlying, idl_list members);
idl_decl *idl_act_record(idl_ctx *ctx, idl_decl_kind kind, idl_loc kw,
                         const idl_token *name, const idl_token *version,
                         idl_list fields);
idl_decl *idl_act_convert(idl_ctx *ctx, idl_decl_kind kind, idl_loc kw,
                          idl_name msg, const idl_token *from,
                          const idl_token *to);
idl_decl *idl_act_convert_body(idl_ctx *ctx, idl_decl *conv, idl_list assigns);
idl_decl *idl_act_actor(idl_ctx *ctx, idl_loc kw, const idl_token *name,
                        idl_list items);
idl_member *idl_act_member_without_value(idl_ctx *ctx, const idl_token *name);
idl_field *idl_act_field(idl_ctx *ctx, idl_list annots, const idl_token *name,
                         idl_type *type, idl_expr *def);

/* Types. */
idl_type *idl_act_type_named(idl_ctx *ctx, idl_name name,
                             const idl_token *bound);
idl_type *idl_act_type_list(idl_ctx *ctx, idl_loc kw, idl_type *elem,
                            const idl_token *bound);
idl_type *idl_act_type_map(idl_ctx *ctx, idl_loc kw, idl_type *key,
                           idl_type *value, const idl_token *bound);
idl_type *idl_act_type_optional(idl_ctx *ctx, idl_loc kw, idl_type *inner);

/* Expressions. */
idl_expr *idl_act_expr_path(idl_ctx *ctx, idl_name name);
idl_expr *idl_act_expr_arm(idl_ctx *ctx, const idl_token *arm, idl_expr *value);
idl_expr *idl_act_expr_call(idl_ctx *ctx, const idl_token *fn, idl_expr *arg);
idl_expr *idl_act_expr_struct(idl_ctx *ctx, idl_loc brace, idl_list fields);

/* Actors. */
idl_actor_item *idl_act_item(idl_ctx *ctx, idl_actor_verb verb, idl_loc kw,
                             idl_name msg, idl_list versions,
                             const idl_token *important);
void idl_act_item_response(idl_ctx *ctx, idl_actor_item *item, idl_name resp,
                           const idl_token *version);

/* Printable description of a token code ("';'", "a name"). */
const char *idl_token_name(int code);

/* Errors raised by the generated parser. */
void idl_syntax_error(idl_ctx *ctx, int major, const idl_token *tok,
                      const int *expected, int nexpected);
void idl_parse_overflow(idl_ctx *ctx);

#endif /* IDLC_PARSE_H */
