/* SPDX-License-Identifier: MIT */
/* lexer.h: the re2c tokenizer that feeds the lemon parser. */
#ifndef IDLC_LEXER_H
#define IDLC_LEXER_H

#include "idlc.h"

/* A growable heap buffer (string literals, doc comments). */
typedef struct idl_strbuf {
    char *data;
    size_t len, cap;
} idl_strbuf;

typedef struct idl_lexer {
    idl_ctx *ctx;
    idl_file *file;
    const unsigned char *cur;  /* YYCURSOR */
    const unsigned char *lim;  /* YYLIMIT: src + len; *lim is a NUL sentinel */
    const unsigned char *mark; /* YYMARKER */
    const unsigned char *line_start; /* for 1-based byte columns */
    uint32_t line;
    const unsigned char *bad_end; /* end of the last reported bad byte run */
    idl_strbuf doc;          /* comment lines above the next token */
    bool line_has_content;   /* a token or comment on the current line */
    const unsigned char *comment_line_start; /* line start of a comment */
} idl_lexer;

void idl_lexer_init(idl_lexer *lx, idl_ctx *ctx, idl_file *f);
/* Frees what the lexer holds (the doc buffer). */
void idl_lexer_fini(idl_lexer *lx);

/* idl_lex returns the next token's TK_* code and fills *tok, or 0 at the end
 * of the file (tok then holds the end position). Comments and whitespace
 * are skipped; malformed input is reported and skipped. */
int idl_lex(idl_lexer *lx, idl_token *tok);

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if invalid. */
int idl_utf8_seq_len(const unsigned char *p, const unsigned char *lim);

#endif /* IDLC_LEXER_H */
