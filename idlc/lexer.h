/* SPDX-License-Identifier: MIT */
/* lexer.h: the re2c tokenizer that feeds the lemon parser. */
#ifndef IDLC_LEXER_H
#define IDLC_LEXER_H

#include "idlc.h"

typedef struct idl_lexer {
    idl_ctx *ctx;
    idl_file *file;
    const unsigned char *cur;  /* YYCURSOR */
    const unsigned char *lim;  /* YYLIMIT: src + len; *lim is a NUL sentinel */
    const unsigned char *mark; /* YYMARKER */
    const unsigned char *line_start; /* for 1-based byte columns */
    uint32_t line;
    const unsigned char *bad_end; /* end of the last reported bad byte run */
} idl_lexer;

void idl_lexer_init(idl_lexer *lx, idl_ctx *ctx, idl_file *f);

/* idl_lex returns the next token's TK_* code and fills *tok, or 0 at the end
 * of the file (tok then holds the end position). Comments and whitespace
 * are skipped; malformed input is reported and skipped. */
int idl_lex(idl_lexer *lx, idl_token *tok);

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if invalid. */
int idl_utf8_seq_len(const unsigned char *p, const unsigned char *lim);

#endif /* IDLC_LEXER_H */
