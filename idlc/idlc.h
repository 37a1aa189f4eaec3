/* SPDX-License-Identifier: MIT */
/* idlc.h: the compile context shared by every phase of idlc, and the one
 * reentrant entry point that main, the tests and the fuzzer call. */
#ifndef IDLC_IDLC_H
#define IDLC_IDLC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "arena.h"
#include "ast.h"

#define IDLC_VERSION "0.1.0"

/* Stop after this many errors: a binary file must not print millions. */
enum { IDL_MAX_ERRORS = 1000 };
/* Longest qualified name, in bytes. */
enum { IDL_MAX_NAME = 1024 };
/* Deepest type or expression nesting the checker walks. */
enum { IDL_MAX_DEPTH = 64 };

/* A token as the lexer hands it to the parser. */
typedef struct idl_token {
    const char *text; /* points into the source buffer */
    uint32_t len;
    idl_loc loc;
    const char *sval; /* TK_STRING: decoded bytes (arena, NUL-terminated) */
    uint32_t slen;
} idl_token;

/* One in-memory source, for tests and the fuzzer (no file system). */
typedef struct idl_memfile {
    const char *name;
    const char *data;
    size_t len;
} idl_memfile;

struct idl_ctx {
    idl_arena *arena;
    FILE *diag_out; /* diagnostics go here */
    int errors;
    int warnings;
    struct idl_diag *diags; /* buffered until idl_diag_flush, to sort */
    size_t ndiags, diags_cap;
    bool stopped; /* error limit reached */
    bool no_warnings;
    bool stop_reported;
    const char **import_dirs;
    int nimport_dirs;
    const idl_memfile *memfiles; /* when set, imports resolve only here */
    int nmemfiles;
    idl_list files; /* idl_file, load order */
    int nfiles;
    struct idl_strmap *syms;        /* package.Name -> declaration (checker) */
    struct idl_strmap *versions;    /* "package.Name#N" -> version (checker) */
    struct idl_strmap *conversions; /* (kind, from, to) -> first (checker) */
    struct idl_strmap *docs; /* "file:line:col" -> doc comment (lexer) */

    /* parser state for the file being parsed */
    idl_file *cur_file;
    idl_loc cur_tok_loc;      /* for errors raised inside lemon */
    bool parse_abort;         /* lemon stack overflow: stop feeding tokens */
    bool body_error;          /* a syntax error inside a conversion body */
    idl_loc syntax_error_loc; /* the token of the last syntax error */
};

/* Options for idl_ctx_new. */
typedef struct idl_options {
    const char **import_dirs;
    int nimport_dirs;
    FILE *diag_out;
    const idl_memfile *memfiles;
    int nmemfiles;
    bool no_warnings; /* drop plain warnings (rule warnings still show) */
} idl_options;

idl_ctx *idl_ctx_new(const idl_options *opts);
void idl_ctx_free(idl_ctx *ctx);

/* idl_load loads a file named on the command line (or a memfile name), and
 * everything it imports, parsing each. Returns the file or NULL. */
idl_file *idl_load(idl_ctx *ctx, const char *path);

/* idl_load_text reads a file that is not a schema (the lock file), so its
 * lines can carry diagnostics with carets. It is not added to ctx->files.
 * Returns NULL after a diagnostic when it cannot be read. */
idl_file *idl_load_text(idl_ctx *ctx, const char *path);

/* idl_parse_file runs the lexer and the lemon parser over one loaded file. */
void idl_parse_file(idl_ctx *ctx, idl_file *f);

/* idl_check resolves and checks everything loaded; fingerprints and wire ids
 * are computed for every message and event version. */
void idl_check(idl_ctx *ctx);

/* idlc_run is the whole command line tool, reentrant: no exit(), no
 * globals. base supplies where diagnostics go and, for tests and the
 * fuzzer, in-memory files; out receives what a command prints. Returns the
 * exit status (0 ok, 1 errors, 2 usage). main, the golden tests and the
 * fuzzer all come through here. */
int idlc_run(const idl_options *base, int argc, char **argv, FILE *out);

/* idlc_main is idlc_run with diagnostics to err and real files. */
int idlc_main(int argc, char **argv, FILE *out, FILE *err);

#endif /* IDLC_IDLC_H */
