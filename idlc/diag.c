/* SPDX-License-Identifier: MIT */
/* diag.c: file:line:col diagnostics with a caret line; counts errors. */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Longest stretch of a source line shown; longer lines are windowed around
 * the column, so a 10 MB line prints a few hundred bytes. */
enum { SHOW_MAX = 160 };

static void build_line_starts(idl_ctx *ctx, idl_file *f) {
    uint32_t n = 1;
    for (uint32_t i = 0; i < f->len; i++)
        if (f->src[i] == '\n')
            n++;
    f->line_starts = idl_arena_alloc(ctx->arena, n * sizeof(uint32_t));
    f->nlines = 0;
    f->line_starts[f->nlines++] = 0;
    for (uint32_t i = 0; i < f->len; i++)
        if (f->src[i] == '\n')
            f->line_starts[f->nlines++] = i + 1;
}

/* Prints the source line of loc and a caret under its column. Non-printable
 * bytes (NUL, control characters) show as '?', so the caret stays aligned
 * byte for byte. */
static void show_source(idl_ctx *ctx, idl_loc loc) {
    idl_file *f = loc.file;
    if (f == NULL || f->src == NULL || loc.line == 0)
        return;
    if (f->line_starts == NULL)
        build_line_starts(ctx, f);
    if (loc.line > f->nlines)
        return;
    uint32_t start = f->line_starts[loc.line - 1];
    uint32_t end = start;
    while (end < f->len && f->src[end] != '\n')
        end++;
    if (end > start && f->src[end - 1] == '\r')
        end--;
    uint32_t col0 = loc.col > 0 ? loc.col - 1 : 0; /* byte offset in line */
    uint32_t from = start, to = end;
    if (to - from > SHOW_MAX) {
        uint32_t at = start + col0;
        from = at > start + SHOW_MAX / 2 ? at - SHOW_MAX / 2 : start;
        to = from + SHOW_MAX < end ? from + SHOW_MAX : end;
    }
    fputs("    ", ctx->diag_out);
    for (uint32_t i = from; i < to; i++) {
        unsigned char c = (unsigned char)f->src[i];
        fputc(c == '\t' || c >= 0x20 ? (int)c : '?', ctx->diag_out);
    }
    fputs("\n    ", ctx->diag_out);
    for (uint32_t i = from; i < start + col0 && i < to; i++)
        fputc(f->src[i] == '\t' ? '\t' : ' ', ctx->diag_out);
    fputs("^\n", ctx->diag_out);
}

static void report(idl_ctx *ctx, idl_loc loc, const char *kind,
                   const char *fmt, va_list ap) {
    if (loc.file != NULL)
        fprintf(ctx->diag_out, "%s:%u:%u: %s: ", loc.file->path, loc.line,
                loc.col, kind);
    else
        fprintf(ctx->diag_out, "idlc: %s: ", kind);
    vfprintf(ctx->diag_out, fmt, ap);
    fputc('\n', ctx->diag_out);
    show_source(ctx, loc);
}

static bool count_error(idl_ctx *ctx) {
    if (ctx->stopped)
        return false;
    if (ctx->errors >= IDL_MAX_ERRORS) {
        fprintf(ctx->diag_out, "idlc: error: too many errors, stopping\n");
        ctx->stopped = true;
        return false;
    }
    ctx->errors++;
    return true;
}

void idl_error(idl_ctx *ctx, idl_loc loc, const char *fmt, ...) {
    if (!count_error(ctx))
        return;
    va_list ap;
    va_start(ap, fmt);
    report(ctx, loc, "error", fmt, ap);
    va_end(ap);
}

void idl_warning(idl_ctx *ctx, idl_loc loc, const char *fmt, ...) {
    if (ctx->stopped)
        return;
    ctx->warnings++;
    va_list ap;
    va_start(ap, fmt);
    report(ctx, loc, "warning", fmt, ap);
    va_end(ap);
}

void idl_note(idl_ctx *ctx, idl_loc loc, const char *fmt, ...) {
    if (ctx->stopped)
        return;
    va_list ap;
    va_start(ap, fmt);
    report(ctx, loc, "note", fmt, ap);
    va_end(ap);
}

void idl_error_nofile(idl_ctx *ctx, const char *fmt, ...) {
    idl_loc none = {0};
    if (!count_error(ctx))
        return;
    va_list ap;
    va_start(ap, fmt);
    report(ctx, none, "error", fmt, ap);
    va_end(ap);
}
