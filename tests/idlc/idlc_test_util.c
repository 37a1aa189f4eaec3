/* SPDX-License-Identifier: MIT */
/* idlc_test_util.c: running idlc in process, files and scratch directories
 * for idlc's tests. */
#include "idlc_test_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "idlc.h"

run_result run_idlc(int argc, char **argv) {
    run_result r = {0};
    size_t out_len = 0, err_len = 0;
    FILE *out = open_memstream(&r.out, &out_len);
    FILE *err = open_memstream(&r.err, &err_len);
    assert_non_null(out);
    assert_non_null(err);
    r.status = idlc_main(argc, argv, out, err);
    fclose(out);
    fclose(err);
    return r;
}

void free_result(run_result *r) {
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

char *read_all(const char *path) {
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    size_t got = fread(buf, 1, (size_t)n, fp);
    buf[got] = '\0';
    fclose(fp);
    return buf;
}

void write_file(const char *path, const char *text) {
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", path);
    for (char *p = dir + 1; *p; p++) { /* mkdir -p of the parents */
        if (*p == '/') {
            *p = '\0';
            mkdir(dir, 0755);
            *p = '/';
        }
    }
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

bool exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

static char tmpdir[4096];
static char saved_cwd[4096];

static int rm_entry(const char *path, const struct stat *st, int flag,
                    struct FTW *ftw) {
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int setup_tmpdir(void **state) {
    (void)state;
    if (getcwd(saved_cwd, sizeof(saved_cwd)) == NULL)
        return -1;
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(tmpdir, sizeof(tmpdir), "%s/erg-idlc-XXXXXX", base);
    if (mkdtemp(tmpdir) == NULL || chdir(tmpdir) != 0)
        return -1;
    return 0;
}

int teardown_tmpdir(void **state) {
    (void)state;
    int rc = chdir(saved_cwd);
    nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return rc;
}
