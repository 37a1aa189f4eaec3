/* SPDX-License-Identifier: MIT */
/* lock.c: `idlc lock`: verifies schemas against erg.lock, and updates it.
 *
 * The lock has one line per released version, `package.Name vN
 * sha256:<hex>` plus ` deprecated` once it is, sorted by name and version.
 * Beside it, FILE.shapes keeps each locked version's shape in words, so an
 * edit to a released version can be explained field by field. */
#include "lock.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "diag.h"
#include "fingerprint.h"
#include "idlc.h"
#include "shape.h"

typedef struct lock_entry {
    const char *qname;
    uint32_t version;
    char fp[65];
    bool deprecated;
    idl_loc loc;       /* its line in the lock file */
    const char *shape; /* from FILE.shapes, or NULL */
} lock_entry;

typedef struct lock_set {
    lock_entry *v;
    size_t n, cap;
} lock_set;

static void push_entry(lock_set *s, lock_entry e) {
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->v = realloc(s->v, s->cap * sizeof(*s->v));
        if (s->v == NULL)
            abort();
    }
    s->v[s->n++] = e;
}

/* Orders by name, then by version number (v2 before v10). */
static int entry_cmp(const void *pa, const void *pb) {
    const lock_entry *a = pa, *b = pb;
    int c = strcmp(a->qname, b->qname);
    if (c != 0)
        return c;
    return a->version < b->version ? -1 : (a->version > b->version);
}

static bool is_hex64(const char *s) {
    for (int i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return s[64] == '\0';
}

/* Parses the lock file's lines; malformed lines are reported. */
static void parse_lock(idl_ctx *ctx, idl_file *f, lock_set *set) {
    uint32_t line = 0;
    const char *p = f->src, *end = f->src + f->len;
    while (p < end) {
        line++;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        char *text = idl_arena_strndup(ctx->arena, p, n);
        p += n + (nl != NULL);
        if (n > 0 && text[n - 1] == '\r')
            text[--n] = '\0';
        idl_loc loc = {f, line, 1};
        if (memchr(text, '\0', n) != NULL) {
            idl_error(ctx, loc, "malformed lock line: it holds a NUL byte");
            continue;
        }
        if (n == 0 || text[0] == '#')
            continue;
        char *qname = strtok(text, " \t");
        char *ver = strtok(NULL, " \t");
        char *fp = strtok(NULL, " \t");
        char *flag = strtok(NULL, " \t");
        char *extra = strtok(NULL, " \t");
        char *endv = NULL;
        unsigned long v =
            ver && ver[0] == 'v' ? strtoul(ver + 1, &endv, 10) : 0;
        if (qname == NULL || ver == NULL || fp == NULL || v == 0 ||
            v > UINT32_MAX || *endv != '\0' || strncmp(fp, "sha256:", 7) != 0 ||
            !is_hex64(fp + 7) || (flag && strcmp(flag, "deprecated") != 0) ||
            extra != NULL || strchr(qname, '.') == NULL) {
            idl_error(ctx, loc,
                      "malformed lock line: expected 'package.Name "
                      "vN sha256:<64 hex digits> [deprecated]'");
            continue;
        }
        lock_entry e = {.qname = qname,
                        .version = (uint32_t)v,
                        .deprecated = flag != NULL,
                        .loc = loc};
        memcpy(e.fp, fp + 7, 65);
        for (size_t i = 0; i < set->n; i++) {
            if (entry_cmp(&set->v[i], &e) == 0) {
                idl_error(ctx, loc, "%s v%u is locked twice", qname, e.version);
                break;
            }
        }
        push_entry(set, e);
    }
}

/* FILE.shapes: "=== package.Name vN" headers, each followed by a shape. */
static void attach_shapes(idl_ctx *ctx, const char *path, lock_set *set) {
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return; /* shapes explain edits; without them we only detect */
    fclose(fp);
    idl_file *f = idl_load_text(ctx, path);
    if (f == NULL)
        return;
    const char *p = f->src, *end = f->src + f->len;
    while (p < end) {
        const char *hdr = strstr(p, "=== ");
        if (hdr == NULL)
            break;
        const char *nl = strchr(hdr, '\n');
        if (nl == NULL)
            break;
        const char *next = strstr(nl, "\n=== ");
        const char *body_end = next ? next + 1 : end;
        char *key =
            idl_arena_strndup(ctx->arena, hdr + 4, (size_t)(nl - hdr - 4));
        for (size_t i = 0; i < set->n; i++) {
            const char *k = idl_arena_printf(
                ctx->arena, "%s v%u", set->v[i].qname, set->v[i].version);
            if (strcmp(k, key) == 0)
                set->v[i].shape = idl_arena_strndup(
                    ctx->arena, nl + 1, (size_t)(body_end - nl - 1));
        }
        p = body_end;
    }
}

static const char *explain_edit(idl_ctx *ctx, const lock_entry *e,
                                idl_decl *d) {
    if (e->shape == NULL)
        return "(no recorded shape to compare with)";
    idl_shape *old = idl_shape_parse(ctx, e->shape, strlen(e->shape));
    if (old == NULL)
        return "(its recorded shape is unreadable)";
    const char *diff = idl_shape_diff(ctx, old, idl_shape_of(ctx, d));
    return diff ? diff : "(the recorded shape shows no difference)";
}

typedef struct lock_opts {
    const char *lock_path;
    bool update, force;
} lock_opts;

/* Writes the lock and its shapes for every version now in the schemas. */
static bool write_lock(idl_ctx *ctx, const lock_opts *o, const lock_set *now,
                       FILE *err) {
    const char *shapes_path =
        idl_arena_printf(ctx->arena, "%s.shapes", o->lock_path);
    const char *tmp = idl_arena_printf(ctx->arena, "%s.tmp", o->lock_path);
    const char *tmp_shapes =
        idl_arena_printf(ctx->arena, "%s.tmp", shapes_path);
    FILE *lf = fopen(tmp, "wb");
    FILE *sf = lf ? fopen(tmp_shapes, "wb") : NULL;
    if (lf == NULL || sf == NULL) {
        fprintf(err, "idlc: error: cannot write '%s': %s\n", o->lock_path,
                strerror(errno));
        if (lf) {
            fclose(lf);
            remove(tmp);
        }
        return false;
    }
    for (size_t i = 0; i < now->n; i++) {
        const lock_entry *e = &now->v[i];
        fprintf(lf, "%s v%u sha256:%s%s\n", e->qname, e->version, e->fp,
                e->deprecated ? " deprecated" : "");
        fprintf(sf, "=== %s v%u\n%s", e->qname, e->version,
                e->shape ? e->shape : "");
    }
    bool ok = fclose(lf) == 0;
    ok &= fclose(sf) == 0;
    /* Rename last, so a failed write never leaves half a lock. */
    if (!ok || rename(tmp, o->lock_path) != 0 ||
        rename(tmp_shapes, shapes_path) != 0) {
        fprintf(err, "idlc: error: cannot write '%s': %s\n", o->lock_path,
                strerror(errno));
        return false;
    }
    return true;
}

static int run_lock(idl_ctx *ctx, const lock_opts *o, FILE *out, FILE *err) {
    lock_set locked = {0}, now = {0};
    FILE *probe = fopen(o->lock_path, "rb");
    if (probe != NULL) {
        fclose(probe);
        idl_file *lf = idl_load_text(ctx, o->lock_path);
        if (lf != NULL)
            parse_lock(ctx, lf, &locked);
        attach_shapes(ctx,
                      idl_arena_printf(ctx->arena, "%s.shapes", o->lock_path),
                      &locked);
    } else if (!o->update) {
        fprintf(err,
                "idlc: error: cannot open lock file '%s': %s (create "
                "it with --update)\n",
                o->lock_path, strerror(errno));
        return 1;
    }
    if (ctx->errors > 0)
        goto done;

    int added = 0, dropped = 0;
    for (size_t i = 0; i < locked.n; i++) {
        lock_entry *e = &locked.v[i];
        idl_decl *d = idl_lookup_version(ctx, e->qname, e->version);
        if (d == NULL) {
            if (e->deprecated && o->update) {
                dropped++;
                continue;
            }
            if (e->deprecated)
                idl_error_rule(ctx, e->loc, "VERSION_REMOVED",
                               "%s v%u was removed from the schemas; it is "
                               "deprecated, so run 'idlc lock --update' to "
                               "drop its line",
                               e->qname, e->version);
            else if (o->update && o->force)
                dropped++;
            else
                idl_error_rule(ctx, e->loc, "VERSION_REMOVED",
                               "%s v%u is locked (released) and was removed "
                               "from the schemas; deprecate it first, and "
                               "remove it once no actor accepts it",
                               e->qname, e->version);
            continue;
        }
        char hex[65];
        idl_fingerprint_hex(d->fingerprint, hex);
        if (strcmp(hex, e->fp) != 0 && !(o->update && o->force)) {
            idl_error_rule(ctx, d->loc, "EDITED_VERSION",
                           "%s v%u is locked (released) and its shape "
                           "changed: %s (locked sha256:%.12s..., now "
                           "sha256:%.12s...)",
                           e->qname, e->version, explain_edit(ctx, e, d), e->fp,
                           hex);
        }
    }
    if (ctx->errors > 0 || !o->update)
        goto done;

    /* The new lock: every version now in the schemas. */
    for (idl_file *f = ctx->files.first; f != NULL; f = f->next) {
        for (idl_decl *d = f->decls.first; d != NULL; d = d->next) {
            if ((d->kind != IDL_D_MESSAGE && d->kind != IDL_D_EVENT) ||
                d->qname == NULL)
                continue;
            lock_entry e = {.qname = d->qname,
                            .version = d->version,
                            .deprecated = d->deprecated};
            idl_fingerprint_hex(d->fingerprint, e.fp);
            e.shape = idl_shape_render(ctx, idl_shape_of(ctx, d));
            bool was_locked = false;
            for (size_t i = 0; i < locked.n; i++)
                was_locked |= entry_cmp(&locked.v[i], &e) == 0;
            added += !was_locked;
            push_entry(&now, e);
        }
    }
    if (now.n > 1)
        qsort(now.v, now.n, sizeof(*now.v), entry_cmp);
    if (write_lock(ctx, o, &now, err))
        fprintf(out,
                "idlc: %s: %zu version%s locked (%d added, %d "
                "dropped)\n",
                o->lock_path, now.n, now.n == 1 ? "" : "s", added, dropped);
    else
        ctx->errors++;
done:
    free(locked.v);
    free(now.v);
    return ctx->errors > 0 ? 1 : 0;
}

int idlc_lock_main(int argc, char **argv, FILE *out, FILE *err) {
    lock_opts o = {0};
    const char **dirs = calloc((size_t)argc + 1, sizeof(char *));
    const char **files = calloc((size_t)argc + 1, sizeof(char *));
    int ndirs = 0, nfiles = 0, status = 2;
    if (dirs == NULL || files == NULL)
        abort();
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        if (strcmp(s, "--lock") == 0 && i + 1 < argc) {
            o.lock_path = argv[++i];
        } else if (strcmp(s, "--update") == 0) {
            o.update = true;
        } else if (strcmp(s, "--force") == 0) {
            o.force = true;
        } else if (strcmp(s, "-I") == 0 && i + 1 < argc) {
            dirs[ndirs++] = argv[++i];
        } else if (strncmp(s, "-I", 2) == 0 && s[2] != '\0') {
            dirs[ndirs++] = s + 2;
        } else if (s[0] == '-') {
            fprintf(err,
                    "idlc: error: lock: unknown or incomplete option "
                    "'%s'\n",
                    s);
            goto usage;
        } else {
            files[nfiles++] = s;
        }
    }
    if (o.lock_path == NULL || nfiles == 0) {
        fprintf(err, "idlc: error: lock needs --lock FILE and at least one "
                     "schema\n");
        goto usage;
    }
    if (o.force && !o.update) {
        fprintf(err, "idlc: error: --force only applies with --update\n");
        goto usage;
    }
    idl_options opts = {
        .import_dirs = dirs, .nimport_dirs = ndirs, .diag_out = err};
    idl_ctx *ctx = idl_ctx_new(&opts);
    for (int i = 0; i < nfiles && !ctx->stopped; i++)
        idl_load(ctx, files[i]);
    if (!ctx->stopped)
        idl_check(ctx);
    status = ctx->errors > 0 ? 1 : run_lock(ctx, &o, out, err);
    idl_ctx_free(ctx);
    goto done;
usage:
    fprintf(err, "usage: idlc lock --lock FILE [--update [--force]] "
                 "[-I DIR]... SCHEMA...\n");
done:
    free(dirs);
    free(files);
    return status;
}
