/* SPDX-License-Identifier: MIT */
/* golden_test.c: runs idlc on every case under tests/idlc/cases and compares
 * its diagnostics with the case's .expect.err, byte for byte.
 *
 * A case is NNN-slug.erg (checked alone) or a directory NNN-slug/ whose
 * main.erg is checked with the directory as import root; the expected
 * diagnostics are in NNN-slug.expect.err beside it. The exit status must be
 * 1 when an error is expected and 0 otherwise. Valid schemas under
 * tests/idlc/valid are checked too and must produce no error.
 *
 * Set IDLC_GOLDEN_UPDATE=1 to rewrite the .expect.err files (then review
 * the diff: a golden is only as good as its reading). */
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "idlc.h"
#include "idlc_test_util.h"

#ifndef IDLC_CASES_DIR
#error "IDLC_CASES_DIR must name tests/idlc/cases"
#endif

static int name_cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Case names (NNN-slug, without extension), sorted. */
static char **list_cases(const char *dir, int *n) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    char **names = NULL;
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *nm = e->d_name;
        if (nm[0] < '0' || nm[0] > '9')
            continue;
        size_t len = strlen(nm);
        char *base = NULL;
        if (len > 4 && strcmp(nm + len - 4, ".erg") == 0) {
            base = strndup(nm, len - 4);
        } else if (strchr(nm, '.') == NULL) {
            struct stat st;
            char path[4096];
            snprintf(path, sizeof(path), "%s/%s", dir, nm);
            if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
                base = strdup(nm);
        }
        if (base == NULL)
            continue;
        names = realloc(names, (size_t)(count + 1) * sizeof(*names));
        names[count++] = base;
    }
    closedir(d);
    qsort(names, (size_t)count, sizeof(*names), name_cmp);
    *n = count;
    return names;
}

static void test_golden_cases_match_expected_diagnostics(void **state) {
    (void)state;
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(IDLC_CASES_DIR), 0);
    bool update = getenv("IDLC_GOLDEN_UPDATE") != NULL;
    int n = 0, failed = 0;
    char **cases = list_cases(".", &n);
    for (int i = 0; i < n; i++) {
        char file[4096], expect_path[4096];
        struct stat st;
        bool is_dir = stat(cases[i], &st) == 0 && S_ISDIR(st.st_mode);
        snprintf(expect_path, sizeof(expect_path), "%s.expect.err", cases[i]);
        run_result r;
        if (is_dir) {
            snprintf(file, sizeof(file), "%s/main.erg", cases[i]);
            char *argv[] = {"idlc", "check", "-I", cases[i], file};
            r = run_idlc(5, argv);
        } else {
            snprintf(file, sizeof(file), "%s.erg", cases[i]);
            char *argv[] = {"idlc", "check", file};
            r = run_idlc(3, argv);
        }
        if (update) {
            FILE *fp = fopen(expect_path, "wb");
            assert_non_null(fp);
            fputs(r.err, fp);
            fclose(fp);
        }
        char *expect = read_all(expect_path);
        if (expect == NULL) {
            fprintf(stderr, "golden %s: missing %s\n", cases[i], expect_path);
            failed++;
        } else {
            int want_status = strstr(expect, ": error:") != NULL ||
                                      strstr(expect, "idlc: error:") != NULL
                                  ? 1
                                  : 0;
            if (strcmp(expect, r.err) != 0 || r.status != want_status) {
                fprintf(stderr,
                        "golden %s: exit %d (want %d)\n--- expected\n%s"
                        "--- got\n%s",
                        cases[i], r.status, want_status, expect, r.err);
                failed++;
            }
        }
        free(expect);
        free(r.out);
        free(r.err);
        free(cases[i]);
    }
    free(cases);
    assert_int_equal(chdir(cwd), 0);
    fprintf(stderr, "golden: %d cases, %d failed\n", n, failed);
    assert_int_equal(failed, 0);
    assert_true(n > 0);
}

static void test_valid_schemas_check_clean(void **state) {
    (void)state;
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(IDLC_CASES_DIR "/../valid"), 0);
    char *argv[] = {"idlc",           "check",
                    "-I",             ".",
                    "shop/common.erg", "shop/payment.erg",
                    "kitchen/sink.erg"};
    run_result r = run_idlc(7, argv);
    if (r.status != 0 || strstr(r.err, "error") != NULL)
        fprintf(stderr, "%s", r.err);
    assert_int_equal(r.status, 0);
    assert_null(strstr(r.err, ": error:"));
    free(r.out);
    free(r.err);
    assert_int_equal(chdir(cwd), 0);
}

static void test_cli_usage_errors_exit_2(void **state) {
    (void)state;
    char *no_files[] = {"idlc", "check"};
    run_result r = run_idlc(2, no_files);
    assert_int_equal(r.status, 2);
    free(r.out);
    free(r.err);
    char *bad_opt[] = {"idlc", "check", "--frobnicate", "x.erg"};
    r = run_idlc(4, bad_opt);
    assert_int_equal(r.status, 2);
    free(r.out);
    free(r.err);
    char *bad_cmd[] = {"idlc", "explode"};
    r = run_idlc(2, bad_cmd);
    assert_int_equal(r.status, 2);
    free(r.out);
    free(r.err);
    char *dangling_i[] = {"idlc", "check", "x.erg", "-I"};
    r = run_idlc(4, dangling_i);
    assert_int_equal(r.status, 2);
    free(r.out);
    free(r.err);
}

static void test_cli_help_and_version_exit_0(void **state) {
    (void)state;
    char *help[] = {"idlc", "--help"};
    run_result r = run_idlc(2, help);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "usage: idlc"));
    free(r.out);
    free(r.err);
    char *version[] = {"idlc", "--version"};
    r = run_idlc(2, version);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "idlc " IDLC_VERSION));
    free(r.out);
    free(r.err);
}

static void test_cli_missing_file_is_an_error(void **state) {
    (void)state;
    char *argv[] = {"idlc", "check", "/nonexistent/dir/x.erg"};
    run_result r = run_idlc(3, argv);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "cannot open '/nonexistent/dir/x.erg'"));
    free(r.out);
    free(r.err);
}

/* Builds a schema of n repetitions of `item` between head and tail. */
static char *repeat(const char *head, const char *item, size_t n,
                    const char *tail, size_t *len) {
    size_t hl = strlen(head), il = strlen(item), tl = strlen(tail);
    char *buf = malloc(hl + il * n + tl + 1);
    assert_non_null(buf);
    memcpy(buf, head, hl);
    for (size_t i = 0; i < n; i++)
        memcpy(buf + hl + i * il, item, il);
    memcpy(buf + hl + il * n, tail, tl + 1);
    *len = hl + il * n + tl;
    return buf;
}

static int check_memory(const char *src, size_t len) {
    idl_memfile file = {"big.erg", src, len};
    FILE *sink = fopen("/dev/null", "w");
    assert_non_null(sink);
    idl_options opts = {.diag_out = sink, .memfiles = &file, .nmemfiles = 1};
    idl_ctx *ctx = idl_ctx_new(&opts);
    idl_load(ctx, "big.erg");
    if (!ctx->stopped)
        idl_check(ctx);
    int errors = ctx->errors;
    idl_ctx_free(ctx);
    fclose(sink);
    return errors;
}

/* Huge declarations and names stay linear: each of these took minutes
 * when a check was quadratic. The ctest timeout is the real assertion. */
static void test_huge_inputs_check_in_linear_time(void **state) {
    (void)state;
    size_t len;
    char *src = repeat("package a;\nstruct S { ", "a: i32; ", 1300000,
                       "}\n", &len);
    assert_int_equal(check_memory(src, len), IDL_MAX_ERRORS);
    free(src);
    src = repeat("package a;\nstruct S { a: ", "a.", 5000000, "B; }\n", &len);
    assert_int_equal(check_memory(src, len), 1);
    free(src);
    src = repeat("package a;\nmessage M v1 {}\nactor A { cast M v1", ", v1",
                 200000, "; }\n", &len);
    assert_int_equal(check_memory(src, len), IDL_MAX_ERRORS);
    free(src);
    src = repeat("package a;\nenum E : u64 { ", "A = 1; ", 100000, "}\n",
                 &len);
    assert_int_equal(check_memory(src, len), IDL_MAX_ERRORS);
    free(src);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_cases_match_expected_diagnostics),
        cmocka_unit_test(test_valid_schemas_check_clean),
        cmocka_unit_test(test_cli_usage_errors_exit_2),
        cmocka_unit_test(test_cli_help_and_version_exit_0),
        cmocka_unit_test(test_cli_missing_file_is_an_error),
        cmocka_unit_test(test_huge_inputs_check_in_linear_time),
    };
    return cmocka_run_group_tests_name("idlc.golden", tests, NULL, NULL);
}
