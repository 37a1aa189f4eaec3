/* SPDX-License-Identifier: MIT */
/* lexer.re: the re2c tokenizer for .erg files; feeds TK_* codes to lemon. */
#include "lexer.h"

#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "grammar.h"

/*
 * End of input uses re2c's EOF rule ($) with the buffer length as YYLIMIT:
 * the NUL after the buffer is only a sentinel, so a NUL byte inside the
 * file is an ordinary (and reported) character, never a silent end.
 */
/*!re2c
    re2c:define:YYCTYPE = "unsigned char";
    re2c:define:YYCURSOR = "lx->cur";
    re2c:define:YYLIMIT = "lx->lim";
    re2c:define:YYMARKER = "lx->mark";
    re2c:yyfill:enable = 0;
    re2c:eof = 0;
*/

void idl_lexer_init(idl_lexer *lx, idl_ctx *ctx, idl_file *f) {
    memset(lx, 0, sizeof(*lx));
    lx->ctx = ctx;
    lx->file = f;
    lx->cur = (const unsigned char *)f->src;
    lx->lim = lx->cur + f->len;
    lx->line_start = lx->cur;
    lx->line = 1;
}

static idl_loc loc_at(const idl_lexer *lx, const unsigned char *p) {
    idl_loc l = {lx->file, lx->line, (uint32_t)(p - lx->line_start) + 1};
    return l;
}

static void newline(idl_lexer *lx) {
    lx->line++;
    lx->line_start = lx->cur;
}

int idl_utf8_seq_len(const unsigned char *p, const unsigned char *lim) {
    unsigned c = p[0];
    int n;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (lim - p < n)
        return 0;
    for (int i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    /* Overlong forms, surrogates and values past U+10FFFF are invalid. */
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
        return 0;
    return n;
}

/* A non-ASCII byte at p (cursor already past it): a valid UTF-8 character
 * that is not allowed here, or an invalid sequence. Advances past it. */
static void bad_high_byte(idl_lexer *lx, const unsigned char *p,
                          bool allowed, bool quiet) {
    int n = idl_utf8_seq_len(p, lx->lim);
    if (n == 0) {
        if (!quiet)
            idl_error(lx->ctx, loc_at(lx, p), "invalid UTF-8 byte 0x%02x",
                      *p);
        return;
    }
    lx->cur = p + n;
    if (!allowed && !quiet)
        idl_error(lx->ctx, loc_at(lx, p),
                  "unexpected non-ASCII character outside a string or "
                  "comment");
}

/* Skips a line comment up to (not including) its newline, reporting NUL
 * bytes and invalid UTF-8 inside it without ending it. */
static void skip_line_comment(idl_lexer *lx) {
    for (;;) {
        const unsigned char *p = lx->cur;
        /*!re2c
            "\n"      { lx->cur = p; return; }
            "\x00"    { idl_error(lx->ctx, loc_at(lx, p),
                                  "NUL byte in source");
                        continue; }
            [\x80-\xff] { bad_high_byte(lx, p, true, false); continue; }
            $         { return; }
            *         { continue; }
        */
    }
}

/* Skips a block comment whose "/" "*" starts at start. Comments do not nest.
 * Returns false at an unterminated comment (reported). */
static bool skip_block_comment(idl_lexer *lx, const unsigned char *start) {
    idl_loc open = loc_at(lx, start);
    for (;;) {
        const unsigned char *p = lx->cur;
        /*!re2c
            "*" "/"   { return true; }
            "\n"      { newline(lx); continue; }
            "\x00"    { idl_error(lx->ctx, loc_at(lx, p),
                                  "NUL byte in source");
                        continue; }
            [\x80-\xff] { bad_high_byte(lx, p, true, false); continue; }
            $         { idl_error(lx->ctx, open, "unterminated comment");
                        return false; }
            *         { continue; }
        */
    }
}

/* A growable byte buffer for decoding string literals. */
typedef idl_strbuf strbuf;

static void sb_put(strbuf *b, const void *bytes, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (d == NULL)
            abort(); /* idlc is a CLI: out of memory ends it */
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, bytes, n);
    b->len += n;
}

static void sb_put_utf8(strbuf *b, uint32_t cp) {
    unsigned char out[4];
    size_t n;
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        out[0] = (unsigned char)(0xc0 | (cp >> 6));
        out[1] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        out[0] = (unsigned char)(0xe0 | (cp >> 12));
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        out[0] = (unsigned char)(0xf0 | (cp >> 18));
        out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
        out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        out[3] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    sb_put(b, out, n);
}

static unsigned hexval(unsigned char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    return (unsigned)((c | 0x20) - 'a' + 10);
}

/* Decodes a string literal whose opening quote was just consumed. An
 * unterminated literal is reported and ends at the line's end. */
static int lex_string(idl_lexer *lx, idl_token *tok, const unsigned char *q) {
    strbuf b = {0};
    bool bad_bytes = false;
    for (;;) {
        const unsigned char *p = lx->cur;
        /*!re2c
            "\""        { break; }
            "\\n"       { sb_put(&b, "\n", 1); continue; }
            "\\r"       { sb_put(&b, "\r", 1); continue; }
            "\\t"       { sb_put(&b, "\t", 1); continue; }
            "\\0"       { sb_put(&b, "", 1); continue; }
            "\\\\"      { sb_put(&b, "\\", 1); continue; }
            "\\\""      { sb_put(&b, "\"", 1); continue; }
            "\\'"       { sb_put(&b, "'", 1); continue; }
            "\\x" [0-9a-fA-F]{2} {
                unsigned char c = (unsigned char)(hexval(p[2]) * 16 +
                                                  hexval(p[3]));
                if (c >= 0x80)
                    bad_bytes = true;
                sb_put(&b, &c, 1);
                continue;
            }
            "\\u{" [0-9a-fA-F]{1,6} "}" {
                uint32_t cp = 0;
                for (const unsigned char *h = p + 3; *h != '}'; h++)
                    cp = cp * 16 + hexval(*h);
                if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                    idl_error(lx->ctx, loc_at(lx, p),
                              "\\u{%x} is not a Unicode scalar value", cp);
                else
                    sb_put_utf8(&b, cp);
                continue;
            }
            "\\"        { idl_error(lx->ctx, loc_at(lx, p),
                                    "invalid escape sequence in string");
                          continue; }
            "\n" | "\r\n" {
                lx->cur = p; /* the main loop counts the newline */
                idl_error(lx->ctx, loc_at(lx, q),
                          "unterminated string literal");
                break;
            }
            "\x00"      { idl_error(lx->ctx, loc_at(lx, p),
                                    "NUL byte in source");
                          continue; }
            [\x80-\xff] {
                int n = idl_utf8_seq_len(p, lx->lim);
                if (n == 0) {
                    idl_error(lx->ctx, loc_at(lx, p),
                              "invalid UTF-8 byte 0x%02x", *p);
                    continue;
                }
                sb_put(&b, p, (size_t)n);
                lx->cur = p + n;
                continue;
            }
            $           { idl_error(lx->ctx, loc_at(lx, q),
                                    "unterminated string literal");
                          break; }
            *           { sb_put(&b, p, 1); continue; }
        */
    }
    /* \xHH may spell bytes; the decoded text must still be UTF-8. */
    if (bad_bytes) {
        const unsigned char *s = (const unsigned char *)b.data;
        for (size_t i = 0; i < b.len;) {
            int n = idl_utf8_seq_len(s + i, s + b.len);
            if (n == 0) {
                idl_error(lx->ctx, loc_at(lx, q),
                          "string literal is not valid UTF-8");
                break;
            }
            i += (size_t)n;
        }
    }
    tok->sval = idl_arena_strndup(lx->ctx->arena, b.data ? b.data : "",
                                  b.len);
    tok->slen = (uint32_t)b.len;
    free(b.data);
    return TK_STRING;
}

/* A line that held neither a token nor a comment ends a doc comment. */
static void end_line(idl_lexer *lx) {
    if (!lx->line_has_content)
        lx->doc.len = 0;
    lx->line_has_content = false;
    newline(lx);
}

static void doc_append(idl_lexer *lx, const unsigned char *s, size_t n) {
    while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    sb_put(&lx->doc, s, n);
    sb_put(&lx->doc, "\n", 1);
}

/* Keeps the text of a comment that stands on its own line(s) as the doc of
 * the next token; trailing comments (after code on their line) are not
 * docs. For block comments, a leading '*' on each line is dropped. */
static void collect_doc(idl_lexer *lx, const unsigned char *start,
                        bool block) {
    bool own_line = true;
    for (const unsigned char *q = lx->comment_line_start; q < start; q++)
        own_line &= *q == ' ' || *q == '\t';
    lx->line_has_content = true;
    if (!own_line)
        return;
    const unsigned char *s = start + 2;
    const unsigned char *e = block ? lx->cur - 2 : lx->cur;
    while (s < e) {
        const unsigned char *nl = memchr(s, '\n', (size_t)(e - s));
        const unsigned char *le = nl ? nl : e;
        const unsigned char *t = s;
        if (block) {
            while (t < le && (*t == ' ' || *t == '\t'))
                t++;
            if (t < le && *t == '*')
                t++;
        }
        if (t < le && *t == ' ')
            t++;
        bool blank_edge = t == le && (s == start + 2 || nl == NULL);
        if (!blank_edge)
            doc_append(lx, t, (size_t)(le - t));
        s = nl ? nl + 1 : e;
    }
}

static int lex_token(idl_lexer *lx, idl_token *tok) {
    for (;;) {
        const unsigned char *p = lx->cur;
        memset(tok, 0, sizeof(*tok));
        tok->text = (const char *)p;
        tok->loc = loc_at(lx, p);
#define TOKEN(code)                                                            \
    do {                                                                       \
        tok->len = (uint32_t)(lx->cur - p);                                    \
        return (code);                                                         \
    } while (0)
        /*!re2c
            $                { return 0; }
            [ \t\r\f\v]+     { continue; }
            "\n"             { end_line(lx); continue; }
            "//"             { lx->comment_line_start = lx->line_start;
                               skip_line_comment(lx);
                               collect_doc(lx, p, false);
                               continue; }
            "/" "*"          { lx->comment_line_start = lx->line_start;
                               if (!skip_block_comment(lx, p))
                                   return 0;
                               collect_doc(lx, p, true);
                               continue; }
            "\""             { int c = lex_string(lx, tok, p);
                               tok->len = (uint32_t)(lx->cur - p);
                               return c; }

            "package"        { TOKEN(TK_PACKAGE); }
            "import"         { TOKEN(TK_IMPORT); }
            "enum"           { TOKEN(TK_ENUM); }
            "struct"         { TOKEN(TK_STRUCT); }
            "union"          { TOKEN(TK_UNION); }
            "message"        { TOKEN(TK_MESSAGE); }
            "event"          { TOKEN(TK_EVENT); }
            "upgrade"        { TOKEN(TK_UPGRADE); }
            "downgrade"      { TOKEN(TK_DOWNGRADE); }
            "actor"          { TOKEN(TK_ACTOR); }
            "call"           { TOKEN(TK_CALL); }
            "cast"           { TOKEN(TK_CAST); }
            "publishes"      { TOKEN(TK_PUBLISHES); }
            "subscribes"     { TOKEN(TK_SUBSCRIBES); }
            "important"      { TOKEN(TK_IMPORTANT); }
            "optional"       { TOKEN(TK_OPTIONAL); }
            "list"           { TOKEN(TK_LIST); }
            "map"            { TOKEN(TK_MAP); }
            "true"           { TOKEN(TK_TRUE); }
            "false"          { TOKEN(TK_FALSE); }

            "v" [0-9]+                    { TOKEN(TK_VERSION); }
            [A-Za-z_][A-Za-z0-9_]*        { TOKEN(TK_IDENT); }

            digits = [0-9]+;
            exp = [eE] [+-]? digits;
            "-"? digits "." digits exp?   { TOKEN(TK_FLOAT); }
            "-"? digits exp               { TOKEN(TK_FLOAT); }
            "-"? "0" [xX] [0-9a-fA-F]+    { TOKEN(TK_INT); }
            "-"? digits                   { TOKEN(TK_INT); }

            ";"   { TOKEN(TK_SEMI); }
            ":"   { TOKEN(TK_COLON); }
            ","   { TOKEN(TK_COMMA); }
            "."   { TOKEN(TK_DOT); }
            "{"   { TOKEN(TK_LBRACE); }
            "}"   { TOKEN(TK_RBRACE); }
            "<"   { TOKEN(TK_LT); }
            ">"   { TOKEN(TK_GT); }
            "("   { TOKEN(TK_LPAREN); }
            ")"   { TOKEN(TK_RPAREN); }
            "="   { TOKEN(TK_ASSIGN); }
            "->"  { TOKEN(TK_ARROW); }
            "@"   { TOKEN(TK_AT); }

            "\x00"      { if (p != lx->bad_end)
                              idl_error(lx->ctx, tok->loc,
                                        "NUL byte in source");
                          lx->bad_end = lx->cur;
                          continue; }
            [\x80-\xff] { bool quiet = p == lx->bad_end;
                          bad_high_byte(lx, p, false, quiet);
                          lx->bad_end = lx->cur;
                          continue; }
            *           {
                /* A run of bad bytes is one error, not one per byte. */
                if (p != lx->bad_end) {
                    if (*p >= 0x20 && *p < 0x7f)
                        idl_error(lx->ctx, tok->loc,
                                  "unexpected character '%c'", *p);
                    else
                        idl_error(lx->ctx, tok->loc,
                                  "unexpected control character 0x%02x", *p);
                }
                lx->bad_end = lx->cur;
                continue;
            }
        */
#undef TOKEN
    }
}

int idl_lex(idl_lexer *lx, idl_token *tok) {
    int code = lex_token(lx, tok);
    if (code != 0) {
        lx->line_has_content = true;
        /* The comment block right above a token documents it. */
        if (lx->doc.len > 0) {
            idl_doc_put(lx->ctx, tok->loc, lx->doc.data, lx->doc.len);
            lx->doc.len = 0;
        }
    }
    return code;
}

void idl_lexer_fini(idl_lexer *lx) {
    free(lx->doc.data);
    lx->doc.data = NULL;
}
