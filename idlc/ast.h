/* SPDX-License-Identifier: MIT */
/* ast.h: the syntax tree of .erg schemas, built by the grammar, completed by
 * the checker (resolved references, C names, fingerprints). */
#ifndef IDLC_AST_H
#define IDLC_AST_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"

typedef struct idl_file idl_file;
typedef struct idl_decl idl_decl;

/* A position: 1-based line, 1-based byte column. */
typedef struct idl_loc {
    idl_file *file;
    uint32_t line;
    uint32_t col;
} idl_loc;

/* Every list node starts with `next`, so one append helper serves them all.
 * Lists are built by left-recursive grammar rules in source order. */
typedef struct idl_list {
    void *first;
    void *last;
} idl_list;

/* A dotted name as written (`shop.common.Money`), with its position. */
typedef struct idl_name {
    const char *text;
    idl_loc loc;
    int nparts;    /* dots + 1 */
    bool overlong; /* longer than IDL_MAX_NAME: reported, then cut */
} idl_name;

/* ---- literals and expressions -------------------------------------------- */

typedef enum idl_expr_kind {
    IDL_EX_INT,    /* integer literal: magnitude + sign */
    IDL_EX_FLOAT,  /* floating literal */
    IDL_EX_STRING, /* string literal (decoded bytes, valid UTF-8) */
    IDL_EX_BOOL,   /* true / false */
    IDL_EX_PATH, /* a name: source field path, enum member, payload-less arm */
    IDL_EX_STRUCT, /* { a = expr, b = expr } */
    IDL_EX_ARM,    /* arm = expr (a union arm with its payload) */
    IDL_EX_CALL,   /* saturate(expr) / checked(expr) */
} idl_expr_kind;

typedef struct idl_assign idl_assign;

typedef struct idl_expr {
    idl_expr_kind kind;
    idl_loc loc;
    bool negative;        /* IDL_EX_INT: a leading '-' */
    uint64_t magnitude;   /* IDL_EX_INT: absolute value */
    double fvalue;        /* IDL_EX_FLOAT */
    const char *str;      /* IDL_EX_STRING bytes (NUL-terminated too) */
    uint32_t str_len;     /* IDL_EX_STRING length, may contain NUL */
    bool bvalue;          /* IDL_EX_BOOL */
    idl_name name;        /* PATH: the path; ARM: the arm; CALL: the function */
    idl_list fields;      /* IDL_EX_STRUCT: idl_assign list */
    struct idl_expr *arg; /* IDL_EX_ARM payload, IDL_EX_CALL argument */
} idl_expr;

/* `name = expr` in a conversion block or a struct literal. */
struct idl_assign {
    idl_assign *next;
    idl_name field;
    idl_expr *value;
};

/* ---- types --------------------------------------------------------------- */

typedef enum idl_builtin {
    IDL_T_NONE = 0,
    IDL_T_BOOL,
    IDL_T_I8,
    IDL_T_I16,
    IDL_T_I32,
    IDL_T_I64,
    IDL_T_U8,
    IDL_T_U16,
    IDL_T_U32,
    IDL_T_U64,
    IDL_T_F32,
    IDL_T_F64,
    IDL_T_STRING,
    IDL_T_BYTES,
    IDL_T_TIME,
    IDL_T_DURATION,
    IDL_T_PID,
    IDL_T_REF,
    IDL_T_ALIAS,
    IDL_T_ATOM,
} idl_builtin;

typedef enum idl_type_kind {
    IDL_TY_NAMED,   /* as parsed: a name, maybe with <bound>; resolved by
                       the checker into BUILTIN or DECL */
    IDL_TY_BUILTIN, /* scalar; string/bytes may carry a bound */
    IDL_TY_DECL,    /* enum, struct or union declaration */
    IDL_TY_LIST,
    IDL_TY_MAP,
    IDL_TY_OPTIONAL,
} idl_type_kind;

typedef struct idl_type {
    idl_type_kind kind;
    idl_loc loc;
    idl_name name;  /* NAMED: as written */
    bool has_bound; /* string<N>, bytes<N>, list<T,N>, map<K,V,N> */
    uint64_t bound;
    idl_loc bound_loc;
    idl_builtin builtin;   /* BUILTIN */
    idl_decl *decl;        /* DECL (after checking) */
    struct idl_type *elem; /* LIST element, MAP value, OPTIONAL inner */
    struct idl_type *key;  /* MAP key */
} idl_type;

/* ---- declarations -------------------------------------------------------- */

typedef struct idl_annot {
    struct idl_annot *next;
    idl_name name; /* without the '@' */
    idl_expr *arg; /* NULL when written without parentheses */
} idl_annot;

/* A struct/message/event field or a union arm (type NULL: no payload). */
typedef struct idl_field {
    struct idl_field *next;
    idl_name name;
    idl_type *type;
    idl_expr *def; /* default value, NULL when none */
    idl_list annots;
    uint32_t index; /* 0-based position (set by the checker) */
} idl_field;

typedef struct idl_member {
    struct idl_member *next;
    idl_name name;
    idl_expr *value; /* always an integer literal (grammar) */
} idl_member;

typedef enum idl_actor_verb {
    IDL_ACT_CALL,
    IDL_ACT_CAST,
    IDL_ACT_PUBLISHES,
    IDL_ACT_SUBSCRIBES,
} idl_actor_verb;

typedef struct idl_version_ref {
    struct idl_version_ref *next;
    uint32_t version;
    idl_loc loc;
    idl_decl *decl; /* the message/event version (after checking) */
} idl_version_ref;

typedef struct idl_actor_item {
    struct idl_actor_item *next;
    idl_actor_verb verb;
    idl_loc loc;       /* of the verb */
    idl_name msg;      /* the message or event */
    idl_list versions; /* idl_version_ref */
    bool important;
    idl_loc important_loc;
    bool has_response; /* call ... -> Resp vN */
    idl_name resp;
    idl_version_ref resp_version;
} idl_actor_item;

typedef enum idl_decl_kind {
    IDL_D_ENUM,
    IDL_D_STRUCT,
    IDL_D_UNION,
    IDL_D_MESSAGE,
    IDL_D_EVENT,
    IDL_D_UPGRADE,
    IDL_D_DOWNGRADE,
    IDL_D_ACTOR,
} idl_decl_kind;

struct idl_decl {
    idl_decl *next;
    idl_decl_kind kind;
    idl_loc loc;   /* of the keyword */
    idl_name name; /* declared name; for conversions, the message */
    idl_file *file;
    const char *package; /* the file's package */
    idl_list annots;     /* idl_annot */

    /* enum */
    idl_type *underlying;
    idl_list members; /* idl_member */

    /* struct, union (arms), message, event */
    idl_list fields; /* idl_field */

    /* message, event: the version; conversions: from -> to */
    uint32_t version;
    idl_loc version_loc;
    uint32_t to_version;
    idl_loc to_loc;
    bool has_body;    /* conversions: `{...}` rather than `;` */
    bool broken_body; /* conversions: the body had a syntax error */
    idl_list assigns; /* conversions: idl_assign */

    /* actor */
    idl_list items; /* idl_actor_item */

    /* ---- filled in by the checker ---- */
    const char *qname;  /* package.Name */
    const char *c_name; /* e.g. shop_payment_charge_request_v2_t */
    bool deprecated;
    const char *deprecated_msg;
    const char *doc;                /* the doc comment above it, or NULL */
    idl_decl *target;               /* conversions: the source version's decl */
    idl_decl *target_to;            /* conversions: the target version's decl */
    idl_decl *next_version;         /* message/event: next declared version */
    idl_decl *last_version;         /* family head: the last version declared */
    struct idl_strmap *field_index; /* fields/arms by name (checker) */
    struct idl_strmap *member_index; /* enum members by name (checker) */
    uint8_t fingerprint[32];         /* message/event versions */
    uint64_t wire_id;                /* message/event */
    int visit;                       /* scratch for graph walks */
    struct hold_list *holds; /* structs, unions: what they hold inline */
    int nerrors;             /* conversions: errors found in them */
};

typedef struct idl_import {
    struct idl_import *next;
    const char *path; /* the string as written */
    idl_loc loc;
    idl_file *file; /* resolved file, NULL when not found */
} idl_import;

struct idl_file {
    idl_file *next;        /* in load order */
    const char *path;      /* as opened / printed in diagnostics */
    const char *real_path; /* identity: realpath(), or the name in memory */
    int index;             /* load order, for sorting diagnostics */
    const char *rel_path;  /* relative to its -I root (for generated names) */
    const char *src;       /* contents, NUL-terminated (may hold NULs) */
    uint32_t len;
    uint32_t *line_starts; /* lazily built for diagnostics */
    uint32_t nlines;
    bool from_cli; /* named on the command line */
    bool parsed;
    int visit; /* scratch for the import-cycle walk */
    const char *package;
    idl_loc package_loc;
    idl_list imports; /* idl_import */
    idl_list decls;   /* idl_decl, in source order */
};

/* List helpers. */
void idl_list_append(idl_list *l, void *node);

/* ---- constructors used by the grammar actions ---------------------------- */

typedef struct idl_ctx idl_ctx;

idl_name idl_name_join(idl_ctx *ctx, idl_name a, idl_name b);
idl_expr *idl_expr_new(idl_ctx *ctx, idl_expr_kind kind, idl_loc loc);
idl_type *idl_type_new(idl_ctx *ctx, idl_type_kind kind, idl_loc loc);
idl_decl *idl_decl_new(idl_ctx *ctx, idl_decl_kind kind, idl_loc loc);
idl_field *idl_field_new(idl_ctx *ctx, idl_name name, idl_type *type,
                         idl_expr *def);
idl_member *idl_member_new(idl_ctx *ctx, idl_name name, idl_expr *value);
idl_assign *idl_assign_new(idl_ctx *ctx, idl_name field, idl_expr *value);
idl_annot *idl_annot_new(idl_ctx *ctx, idl_name name, idl_expr *arg);
idl_version_ref *idl_version_ref_new(idl_ctx *ctx, uint32_t version,
                                     idl_loc loc);
idl_actor_item *idl_actor_item_new(idl_ctx *ctx, idl_actor_verb verb,
                                   idl_loc loc);

/* Doc comments: the comment block on the lines right above a token,
 * recorded by the lexer and looked up by the token's position. */
void idl_doc_put(idl_ctx *ctx, idl_loc at, const char *text, size_t len);
const char *idl_doc_get(idl_ctx *ctx, idl_loc at);

/* Names of things, for messages and dumps. */
const char *idl_builtin_name(idl_builtin b);
idl_builtin idl_builtin_lookup(const char *name);
const char *idl_decl_kind_name(idl_decl_kind k);
/* The keyword of an actor member: "call", "cast", ... */
const char *idl_actor_verb_name(idl_actor_verb v);
/* The kind with its article: "an enum", "a struct". */
const char *idl_decl_kind_a(idl_decl_kind k);
/* A type spelled as in the language (`list<string<4>, 10>`), in the arena. */
const char *idl_type_str(idl_ctx *ctx, const idl_type *t);

#endif /* IDLC_AST_H */
