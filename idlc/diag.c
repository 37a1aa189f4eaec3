/* SPDX-License-Identifier: MIT */
/* diag.c: file:line:col diagnostics with a caret line; counts errors. */
#include "diag.h"

#include "lexer.h"

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
static void show_source(idl_ctx *ctx, FILE *out, idl_loc loc) {
    idl_file *f = loc.file;
    if (f == NULL || f->src == NULL || loc.line == 0)
        return;
    if (f->line_starts == NULL)
        build_line_starts(ctx, f);
    if (loc.line > f->nlines)
        return;
    uint32_t start = f->line_starts[loc.line - 1];
    uint32_t end = start;
    /* Scan no further than the window can show: on a 10 MB line, a
     * thousand diagnostics must not each walk the whole line. */
    uint64_t stop =
        (uint64_t)start + (loc.col > 0 ? loc.col - 1 : 0) + SHOW_MAX;
    while (end < f->len && end < stop && f->src[end] != '\n')
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
    /* Valid UTF-8 is shown as is; other bytes and control characters as
     * '?'. The caret line advances one column per character shown. */
    const unsigned char *src = (const unsigned char *)f->src;
    const unsigned char *lim = src + to;
    uint32_t caret_at = start + col0;
    fputs("    ", out);
    for (uint32_t i = from; i < to;) {
        int n = src[i] < 0x80 ? 1 : idl_utf8_seq_len(src + i, lim);
        if (n > 1) {
            fwrite(src + i, 1, (size_t)n, out);
        } else {
            n = 1;
            fputc(src[i] == '\t' || (src[i] >= 0x20 && src[i] < 0x7f)
                      ? (int)src[i]
                      : '?',
                  out);
        }
        i += (uint32_t)n;
    }
    fputs("\n    ", out);
    for (uint32_t i = from; i < caret_at && i < to;) {
        int n = src[i] < 0x80 ? 1 : idl_utf8_seq_len(src + i, lim);
        fputc(src[i] == '\t' ? '\t' : ' ', out);
        i += (uint32_t)(n > 1 ? n : 1);
    }
    fputs("^\n", out);
}

/* One buffered diagnostic with the notes that follow it. */
struct idl_diag {
    int file_index; /* -1: no file, printed first */
    uint32_t line, col;
    size_t seq; /* report order: keeps the sort stable */
    char *text; /* heap; notes appended */
};

static char *format_diag(idl_ctx *ctx, idl_loc loc, const char *kind,
                         const char *fmt, va_list ap) {
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    if (out == NULL)
        abort(); /* idlc is a CLI: out of memory ends it */
    if (loc.file != NULL)
        fprintf(out, "%s:%u:%u: %s: ", loc.file->path, loc.line, loc.col, kind);
    else
        fprintf(out, "idlc: %s: ", kind);
    vfprintf(out, fmt, ap);
    fputc('\n', out);
    show_source(ctx, out, loc);
    fclose(out);
    return buf;
}

static void push_diag(idl_ctx *ctx, idl_loc loc, char *text) {
    if (ctx->ndiags == ctx->diags_cap) {
        size_t cap = ctx->diags_cap ? ctx->diags_cap * 2 : 32;
        struct idl_diag *d = realloc(ctx->diags, cap * sizeof(*d));
        if (d == NULL)
            abort();
        ctx->diags = d;
        ctx->diags_cap = cap;
    }
    struct idl_diag *d = &ctx->diags[ctx->ndiags];
    d->file_index = loc.file ? loc.file->index : -1;
    d->line = loc.line;
    d->col = loc.col;
    d->seq = ctx->ndiags;
    d->text = text;
    ctx->ndiags++;
}

static void report(idl_ctx *ctx, idl_loc loc, const char *kind, const char *fmt,
                   va_list ap) {
    push_diag(ctx, loc, format_diag(ctx, loc, kind, fmt, ap));
}

static int diag_cmp(const void *pa, const void *pb) {
    const struct idl_diag *a = pa, *b = pb;
    if (a->file_index != b->file_index)
        return a->file_index < b->file_index ? -1 : 1;
    if (a->line != b->line)
        return a->line < b->line ? -1 : 1;
    if (a->col != b->col)
        return a->col < b->col ? -1 : 1;
    return a->seq < b->seq ? -1 : (a->seq > b->seq);
}

void idl_diag_flush(idl_ctx *ctx) {
    if (ctx->ndiags > 1)
        qsort(ctx->diags, ctx->ndiags, sizeof(*ctx->diags), diag_cmp);
    for (size_t i = 0; i < ctx->ndiags; i++) {
        fputs(ctx->diags[i].text, ctx->diag_out);
        free(ctx->diags[i].text);
    }
    ctx->ndiags = 0;
    if (ctx->stopped && !ctx->stop_reported) {
        fprintf(ctx->diag_out, "idlc: error: too many errors, stopping\n");
        ctx->stop_reported = true;
    }
    fflush(ctx->diag_out);
}

static bool count_error(idl_ctx *ctx) {
    if (ctx->stopped)
        return false;
    if (ctx->errors >= IDL_MAX_ERRORS) {
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
    if (ctx->stopped || ctx->no_warnings)
        return;
    ctx->warnings++;
    va_list ap;
    va_start(ap, fmt);
    report(ctx, loc, "warning", fmt, ap);
    va_end(ap);
}

/* A note is glued to the diagnostic before it, so sorting keeps them
 * together. */
void idl_note(idl_ctx *ctx, idl_loc loc, const char *fmt, ...) {
    if (ctx->stopped || ctx->ndiags == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *note = format_diag(ctx, loc, "note", fmt, ap);
    va_end(ap);
    struct idl_diag *prev = &ctx->diags[ctx->ndiags - 1];
    size_t a = strlen(prev->text), b = strlen(note);
    char *joined = realloc(prev->text, a + b + 1);
    if (joined == NULL)
        abort();
    memcpy(joined + a, note, b + 1);
    prev->text = joined;
    free(note);
}

void idl_error_rule(idl_ctx *ctx, idl_loc loc, const char *rule,
                    const char *fmt, ...) {
    if (!count_error(ctx))
        return;
    char kind[96];
    snprintf(kind, sizeof(kind), "error[%s]", rule);
    va_list ap;
    va_start(ap, fmt);
    report(ctx, loc, kind, fmt, ap);
    va_end(ap);
}

void idl_warning_rule(idl_ctx *ctx, idl_loc loc, const char *rule,
                      const char *fmt, ...) {
    if (ctx->stopped)
        return;
    ctx->warnings++;
    char kind[96];
    snprintf(kind, sizeof(kind), "warning[%s]", rule);
    va_list ap;
    va_start(ap, fmt);
    report(ctx, loc, kind, fmt, ap);
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
