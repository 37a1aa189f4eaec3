/* SPDX-License-Identifier: MIT */
/* types.c: the type relations of the language: lossless widening and the
 * narrowings that saturate() and checked() allow. */
#include "check.h"

#include <stddef.h>

bool idl_type_is_error(const idl_type *t) {
    return t != NULL && t->kind == IDL_TY_BUILTIN && t->builtin == IDL_T_NONE;
}

bool idl_type_is_integer(const idl_type *t) {
    return t != NULL && t->kind == IDL_TY_BUILTIN && t->builtin >= IDL_T_I8 &&
           t->builtin <= IDL_T_U64;
}

bool idl_type_is_float(const idl_type *t) {
    return t != NULL && t->kind == IDL_TY_BUILTIN &&
           (t->builtin == IDL_T_F32 || t->builtin == IDL_T_F64);
}

bool idl_type_is_numeric(const idl_type *t) {
    return idl_type_is_integer(t) || idl_type_is_float(t);
}

bool idl_type_has_implicit_default(const idl_type *t) {
    return t->kind == IDL_TY_LIST || t->kind == IDL_TY_MAP ||
           t->kind == IDL_TY_OPTIONAL;
}

static bool is_signed(idl_builtin b) {
    return b >= IDL_T_I8 && b <= IDL_T_I64;
}

/* Bits of an integer builtin. */
static int int_bits(idl_builtin b) {
    switch (b) {
    case IDL_T_I8:
    case IDL_T_U8:
        return 8;
    case IDL_T_I16:
    case IDL_T_U16:
        return 16;
    case IDL_T_I32:
    case IDL_T_U32:
        return 32;
    default:
        return 64;
    }
}

/* The widening table of the language, for scalars. */
static bool scalar_widens(idl_builtin from, idl_builtin to) {
    if (from == to)
        return true;
    bool from_int = from >= IDL_T_I8 && from <= IDL_T_U64;
    bool to_int = to >= IDL_T_I8 && to <= IDL_T_U64;
    if (from_int && to_int) {
        if (is_signed(from) == is_signed(to))
            return int_bits(from) <= int_bits(to); /* i8->i16, u8->u16 */
        return !is_signed(from) && int_bits(to) > int_bits(from); /* uN->iM */
    }
    if (from == IDL_T_F32 && to == IDL_T_F64)
        return true;
    if (to == IDL_T_F64 && from_int)
        return int_bits(from) <= 32; /* exact in a double */
    if (from == IDL_T_STRING && to == IDL_T_BYTES)
        return true;
    return false;
}

/* Bounds only grow; an unbounded target is the largest bound. */
static bool bound_grows(const idl_type *from, const idl_type *to) {
    if (!to->has_bound)
        return true;
    return from->has_bound && from->bound <= to->bound;
}

bool idl_type_widens(const idl_type *from, const idl_type *to) {
    if (idl_type_is_error(from) || idl_type_is_error(to))
        return true; /* already reported */
    if (to->kind == IDL_TY_OPTIONAL) {
        if (from->kind == IDL_TY_OPTIONAL)
            return idl_type_widens(from->elem, to->elem);
        return idl_type_widens(from, to->elem);
    }
    if (from->kind != to->kind)
        return false;
    switch (from->kind) {
    case IDL_TY_BUILTIN:
        return scalar_widens(from->builtin, to->builtin) &&
               bound_grows(from, to);
    case IDL_TY_DECL:
        return from->decl == to->decl;
    case IDL_TY_LIST:
        return idl_type_widens(from->elem, to->elem) && bound_grows(from, to);
    case IDL_TY_MAP:
        return idl_type_widens(from->key, to->key) &&
               idl_type_widens(from->elem, to->elem) && bound_grows(from, to);
    default:
        return false;
    }
}

bool idl_type_converts_saturated(const idl_type *from, const idl_type *to) {
    if (idl_type_is_error(from) || idl_type_is_error(to))
        return true;
    return idl_type_is_numeric(from) && idl_type_is_numeric(to);
}

static bool is_text(const idl_type *t) {
    return t->kind == IDL_TY_BUILTIN &&
           (t->builtin == IDL_T_STRING || t->builtin == IDL_T_BYTES);
}

bool idl_type_converts_checked(const idl_type *from, const idl_type *to) {
    if (idl_type_widens(from, to))
        return true;
    if (from->kind == IDL_TY_OPTIONAL)
        return idl_type_converts_checked(from->elem, to);
    if (to->kind == IDL_TY_OPTIONAL)
        return idl_type_converts_checked(from, to->elem);
    if (idl_type_is_numeric(from) && idl_type_is_numeric(to))
        return true;
    if (is_text(from) && is_text(to))
        return true; /* bounds and UTF-8 are checked at run time */
    if (from->kind != to->kind)
        return false;
    switch (from->kind) {
    case IDL_TY_LIST:
        return idl_type_converts_checked(from->elem, to->elem);
    case IDL_TY_MAP:
        return idl_type_converts_checked(from->key, to->key) &&
               idl_type_converts_checked(from->elem, to->elem);
    case IDL_TY_DECL:
        return from->decl == to->decl;
    case IDL_TY_BUILTIN:
        return from->builtin == to->builtin;
    default:
        return false;
    }
}
