/* SPDX-License-Identifier: MIT */
/* shape.h: a readable rendering of a message or event version's shape
 * (fields, nested types, enum members), and a differ that says in words
 * what changed between two shapes. The lock keeps released shapes so an
 * edit can be explained, not only detected by its fingerprint. */
#ifndef IDLC_SHAPE_H
#define IDLC_SHAPE_H

#include <stddef.h>

#include "ast.h"
#include "idlc.h"

typedef struct idl_shape_item {
    const char *what; /* "field", "arm" or "member" */
    const char *name;
    const char *type;  /* fields and arms with payload; NULL otherwise */
    const char *value; /* a field's default or a member's value, or NULL */
} idl_shape_item;

typedef struct idl_shape_section {
    const char *kind; /* message, event, struct, union, enum */
    const char *qname;
    const char *extra; /* "v2" for versions, the underlying type of enums */
    idl_shape_item *items;
    size_t nitems;
} idl_shape_section;

/* The first section is the version itself; then each named type it reaches,
 * once, in first-reached order. Everything lives in the context's arena. */
typedef struct idl_shape {
    idl_shape_section *sections;
    size_t nsections;
} idl_shape;

/* idl_shape_of builds the shape of a checked message or event version. */
idl_shape *idl_shape_of(idl_ctx *ctx, const idl_decl *d);

/* idl_shape_render writes the shape as text (arena memory), one section
 * header per line (`struct shop.common.Money`) followed by indented items
 * (`  field amount: i64`). idl_shape_parse reads it back; NULL when the
 * text is not a shape. */
const char *idl_shape_render(idl_ctx *ctx, const idl_shape *s);
idl_shape *idl_shape_parse(idl_ctx *ctx, const char *text, size_t len);

/* idl_shape_diff describes how `now` differs from `old` as one sentence
 * list ("field 'note' was removed; field 'qty' was retyped: u32 -> u64"),
 * or NULL when they are the same. */
const char *idl_shape_diff(idl_ctx *ctx, const idl_shape *old,
                           const idl_shape *now);

#endif /* IDLC_SHAPE_H */
