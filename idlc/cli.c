/* SPDX-License-Identifier: MIT */
/* cli.c: idlc's command line: check, fingerprint, gen, --help, --version. */
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "fingerprint.h"
#include "gen_c.h"
#include "idlc.h"
#include "compat.h"
#include "lock.h"

static const char usage_text[] =
    "usage: idlc <command> [options] FILE...\n"
    "\n"
    "commands:\n"
    "  check [-I DIR]... FILE...        parse and check schemas\n"
    "  fingerprint [-I DIR]... FILE...  print 'package.Name vN sha256:<hex>'\n"
    "                                   for every message and event version\n"
    "  gen [-I DIR]... -o OUTDIR FILE...  write OUTDIR/<path>.h and .c for\n"
    "                                   each FILE (<path>: relative to its -I\n"
    "                                   root, without .erg)\n"
    "  lock --lock FILE [--update [--force]] [-I DIR]... FILE...\n"
    "                                   hold the schemas to the released\n"
    "                                   versions in FILE (erg.lock)\n"
    "  compat [-I DIR]... OLD_ROOT NEW_ROOT\n"
    "                                   report breaking changes from the\n"
    "                                   OLD schema tree to the NEW one\n"
    "\n"
    "options:\n"
    "  -I DIR      add an import root (repeatable; searched in order)\n"
    "  -o OUTDIR   gen: the output directory\n"
    "  --help      print this help\n"
    "  --version   print idlc's version\n"
    "\n"
    "exit status: 0 clean, 1 errors in the schemas, 2 usage errors\n";

typedef struct args {
    const char **dirs;
    int ndirs;
    const char **files;
    int nfiles;
    const char *outdir; /* gen only */
} args;

/* Parses `[-I DIR]... [-o OUTDIR] FILE...` (-o only when with_out);
 * returns false after a usage message. */
static bool parse_args(int argc, char **argv, args *a, bool with_out,
                       FILE *err) {
    a->dirs = calloc((size_t)argc + 1, sizeof(char *));
    a->files = calloc((size_t)argc + 1, sizeof(char *));
    if (a->dirs == NULL || a->files == NULL)
        abort();
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        if (strcmp(s, "-I") == 0) {
            if (i + 1 >= argc) {
                fprintf(err, "idlc: error: -I needs a directory\n");
                return false;
            }
            a->dirs[a->ndirs++] = argv[++i];
        } else if (strncmp(s, "-I", 2) == 0) {
            a->dirs[a->ndirs++] = s + 2;
        } else if (with_out && strcmp(s, "-o") == 0) {
            if (i + 1 >= argc) {
                fprintf(err, "idlc: error: -o needs a directory\n");
                return false;
            }
            a->outdir = argv[++i];
        } else if (s[0] == '-' && s[1] != '\0') {
            fprintf(err, "idlc: error: unknown option '%s'\n", s);
            return false;
        } else {
            a->files[a->nfiles++] = s;
        }
    }
    if (a->nfiles == 0) {
        fprintf(err, "idlc: error: no input files\n");
        return false;
    }
    if (with_out && a->outdir == NULL) {
        fprintf(err, "idlc: error: gen needs -o OUTDIR\n");
        return false;
    }
    return true;
}

/* Loads and checks the files; returns the context (never NULL). */
static idl_ctx *compile(const args *a, const idl_options *base) {
    idl_options opts = *base;
    opts.import_dirs = a->dirs;
    opts.nimport_dirs = a->ndirs;
    idl_ctx *ctx = idl_ctx_new(&opts);
    for (int i = 0; i < a->nfiles && !ctx->stopped; i++)
        idl_load(ctx, a->files[i]);
    if (!ctx->stopped)
        idl_check(ctx);
    idl_diag_flush(ctx);
    return ctx;
}

static void print_fingerprints(idl_ctx *ctx, FILE *out) {
    char hex[65];
    for (idl_file *f = ctx->files.first; f != NULL; f = f->next) {
        if (!f->from_cli)
            continue;
        for (idl_decl *d = f->decls.first; d != NULL; d = d->next) {
            if (d->kind != IDL_D_MESSAGE && d->kind != IDL_D_EVENT)
                continue;
            idl_fingerprint_hex(d->fingerprint, hex);
            fprintf(out, "%s v%u sha256:%s\n", d->qname, d->version, hex);
        }
    }
}

int idlc_main(int argc, char **argv, FILE *out, FILE *err) {
    idl_options base = {.diag_out = err};
    return idlc_run(&base, argc, argv, out);
}

int idlc_run(const idl_options *base, int argc, char **argv, FILE *out) {
    FILE *err = base->diag_out ? base->diag_out : stderr;
    if (argc < 2) {
        fputs(usage_text, err);
        return 2;
    }
    const char *cmd = argv[1];
    /* `idlc --help`, `idlc help` and `idlc <command> --help` all help. */
    bool help = strcmp(cmd, "help") == 0;
    for (int i = 1; i < argc; i++)
        help |= strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0;
    if (help) {
        fputs(usage_text, out);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        fprintf(out, "idlc %s\n", IDLC_VERSION);
        return 0;
    }
    if (strcmp(cmd, "lock") == 0)
        return idlc_lock_main(argc - 2, argv + 2, out, err);
    if (strcmp(cmd, "compat") == 0)
        return idlc_compat_main(argc - 2, argv + 2, out, err);
    bool is_check = strcmp(cmd, "check") == 0;
    bool is_fp = strcmp(cmd, "fingerprint") == 0;
    bool is_gen = strcmp(cmd, "gen") == 0;
    if (!is_check && !is_fp && !is_gen) {
        fprintf(err, "idlc: error: unknown command '%s'\n\n%s", cmd,
                usage_text);
        return 2;
    }
    args a = {0};
    int status;
    if (!parse_args(argc - 2, argv + 2, &a, is_gen, err)) {
        fputs(usage_text, err);
        status = 2;
    } else {
        idl_ctx *ctx = compile(&a, base);
        status = ctx->errors > 0 ? 1 : 0;
        if (status == 0 && is_fp)
            print_fingerprints(ctx, out);
        if (status == 0 && is_gen)
            status = idl_gen_c(ctx, a.outdir, err);
        idl_ctx_free(ctx);
    }
    free(a.dirs);
    free(a.files);
    return status;
}
