/* SPDX-License-Identifier: MIT */
/* load.c: the compile context, reading files and resolving imports. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "idlc.h"

/* Larger files are refused before reading, to keep offsets in 32 bits. */
enum { MAX_FILE_BYTES = 256 * 1024 * 1024 };

idl_ctx *idl_ctx_new(const idl_options *opts) {
    idl_arena *a = idl_arena_new();
    idl_ctx *ctx = idl_arena_alloc(a, sizeof(*ctx));
    ctx->arena = a;
    ctx->diag_out = opts->diag_out ? opts->diag_out : stderr;
    ctx->import_dirs = opts->import_dirs;
    ctx->nimport_dirs = opts->nimport_dirs;
    ctx->memfiles = opts->memfiles;
    ctx->nmemfiles = opts->nmemfiles;
    ctx->no_warnings = opts->no_warnings;
    return ctx;
}

void idl_ctx_free(idl_ctx *ctx) {
    if (ctx == NULL)
        return;
    idl_diag_flush(ctx);
    free(ctx->diags);
    idl_arena_free(ctx->arena);
}

static idl_file *find_loaded(idl_ctx *ctx, const char *real_path) {
    for (idl_file *f = ctx->files.first; f != NULL; f = f->next)
        if (strcmp(f->real_path, real_path) == 0)
            return f;
    return NULL;
}

/* Reads a whole file into arena memory with a NUL sentinel after it (the
 * lexer's end-of-input check uses the length, not the NUL). */
static bool read_file(idl_ctx *ctx, const char *path, idl_loc at,
                      const char **out, uint32_t *len) {
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        idl_error(ctx, at, "cannot open '%s': %s", path, strerror(errno));
        return false;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    if (buf == NULL)
        abort();
    for (;;) {
        if (cap - n < 4096) {
            if (cap >= MAX_FILE_BYTES) {
                idl_error(ctx, at, "'%s' is larger than %d MiB", path,
                          MAX_FILE_BYTES >> 20);
                free(buf);
                fclose(fp);
                return false;
            }
            cap *= 2;
            char *nb = realloc(buf, cap);
            if (nb == NULL)
                abort();
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, fp);
        n += got;
        if (got == 0)
            break;
    }
    bool failed = ferror(fp);
    fclose(fp);
    if (failed) {
        idl_error(ctx, at, "cannot read '%s'", path);
        free(buf);
        return false;
    }
    *out = idl_arena_strndup(ctx->arena, buf, n);
    *len = (uint32_t)n;
    free(buf);
    return true;
}

static const idl_memfile *find_memfile(idl_ctx *ctx, const char *name) {
    for (int i = 0; i < ctx->nmemfiles; i++)
        if (strcmp(ctx->memfiles[i].name, name) == 0)
            return &ctx->memfiles[i];
    return NULL;
}

/* The path of a file relative to the -I root it lives under, for generated
 * file names; the path as given when it is under no root. */
static const char *relative_to_root(idl_ctx *ctx, const char *path,
                                    const char *real_path) {
    /* Compare real paths, so `-I ./schemas` matches /abs/schemas/x.erg. */
    for (int i = 0; i < ctx->nimport_dirs && ctx->memfiles == NULL; i++) {
        char root[PATH_MAX];
        if (realpath(ctx->import_dirs[i], root) == NULL)
            continue;
        size_t n = strlen(root);
        if (strncmp(real_path, root, n) == 0 && real_path[n] == '/')
            return idl_arena_strdup(ctx->arena, real_path + n + 1);
    }
    while (path[0] == '.' && path[1] == '/')
        path += 2;
    return path;
}

static void load_imports(idl_ctx *ctx, idl_file *f);

/* Loads and parses one file (once per real path), then its imports. */
static idl_file *load_path(idl_ctx *ctx, const char *path, idl_loc at,
                           bool from_cli) {
    const char *real_path;
    const char *src = NULL;
    uint32_t len = 0;
    if (ctx->memfiles != NULL) {
        const idl_memfile *m = find_memfile(ctx, path);
        if (m == NULL) {
            idl_error(ctx, at, "cannot open '%s': no such file", path);
            return NULL;
        }
        if (m->len > MAX_FILE_BYTES) {
            idl_error(ctx, at, "'%s' is too large", path);
            return NULL;
        }
        real_path = m->name;
        idl_file *seen = find_loaded(ctx, real_path);
        if (seen != NULL)
            return seen;
        src = idl_arena_strndup(ctx->arena, m->data, m->len);
        len = (uint32_t)m->len;
    } else {
        char buf[PATH_MAX];
        if (realpath(path, buf) == NULL) {
            idl_error(ctx, at, "cannot open '%s': %s", path, strerror(errno));
            return NULL;
        }
        idl_file *seen = find_loaded(ctx, buf);
        if (seen != NULL) {
            seen->from_cli |= from_cli;
            return seen;
        }
        real_path = idl_arena_strdup(ctx->arena, buf);
        if (!read_file(ctx, path, at, &src, &len))
            return NULL;
    }
    idl_file *f = idl_arena_alloc(ctx->arena, sizeof(*f));
    f->index = ctx->nfiles++;
    f->path = idl_arena_strdup(ctx->arena, path);
    f->real_path = real_path;
    f->rel_path = relative_to_root(ctx, f->path, f->real_path);
    f->src = src;
    f->len = len;
    f->from_cli = from_cli;
    idl_list_append(&ctx->files, f);
    idl_parse_file(ctx, f);
    load_imports(ctx, f);
    return f;
}

static bool file_exists(const char *path) {
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return false;
    fclose(fp);
    return true;
}

/* Imports resolve against the -I roots in order (the current directory when
 * there are none); the file is printed as the root joined with the path. */
static void load_imports(idl_ctx *ctx, idl_file *f) {
    for (idl_import *im = f->imports.first; im != NULL; im = im->next) {
        if (ctx->stopped)
            return;
        if (ctx->memfiles != NULL) {
            im->file = load_path(ctx, im->path, im->loc, false);
            continue;
        }
        const char *found = NULL;
        if (ctx->nimport_dirs == 0) {
            if (file_exists(im->path))
                found = im->path;
        }
        for (int i = 0; i < ctx->nimport_dirs && found == NULL; i++) {
            const char *root = ctx->import_dirs[i];
            size_t n = strlen(root);
            const char *joined =
                (n > 0 && root[n - 1] == '/')
                    ? idl_arena_printf(ctx->arena, "%s%s", root, im->path)
                    : idl_arena_printf(ctx->arena, "%s/%s", root, im->path);
            if (file_exists(joined))
                found = joined;
        }
        if (found == NULL) {
            if (ctx->nimport_dirs == 0)
                idl_error(ctx, im->loc,
                          "cannot find import '%s' (no -I "
                          "directories; looked in the current "
                          "directory)",
                          im->path);
            else
                idl_error(ctx, im->loc,
                          "cannot find import '%s' in any -I "
                          "directory",
                          im->path);
            continue;
        }
        im->file = load_path(ctx, found, im->loc, false);
    }
}

idl_file *idl_load_text(idl_ctx *ctx, const char *path) {
    idl_loc none = {0};
    const char *src;
    uint32_t len;
    if (!read_file(ctx, path, none, &src, &len))
        return NULL;
    idl_file *f = idl_arena_alloc(ctx->arena, sizeof(*f));
    f->index = ctx->nfiles++;
    f->path = idl_arena_strdup(ctx->arena, path);
    f->real_path = f->path;
    f->rel_path = f->path;
    f->src = src;
    f->len = len;
    f->parsed = true; /* not a schema: never parsed */
    return f;
}

idl_file *idl_load(idl_ctx *ctx, const char *path) {
    idl_loc none = {0};
    return load_path(ctx, path, none, true);
}
