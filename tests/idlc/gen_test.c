/* SPDX-License-Identifier: MIT */
/* gen_test.c: `idlc gen`: the golden header of the sketch's shop/payment.erg,
 * write-if-changed, usage errors, generated code that compiles with -Wall
 * -Wextra -Wpedantic -Werror for every valid schema in the tree, and
 * generated/ matching idlc's output for schemas/ (`make regen`).
 *
 * Set IDLC_GEN_UPDATE=1 to rewrite the golden header (then read the diff). */
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include "idlc.h"

#if !defined(IDLC_TESTS_DIR) || !defined(ERG_TEST_CC) ||          \
    !defined(ERG_RUNTIME_INCLUDE) || !defined(ERG_SCHEMAS_DIR) || \
    !defined(ERG_GENERATED_DIR)
#error "the build must define the directories gen_test.c works on"
#endif

static int run_idlc(int argc, char **argv, char **err_text) {
    char *out = NULL, *err = NULL;
    size_t out_len = 0, err_len = 0;
    FILE *o = open_memstream(&out, &out_len);
    FILE *e = open_memstream(&err, &err_len);
    int status = idlc_main(argc, argv, o, e);
    fclose(o);
    fclose(e);
    free(out);
    if (err_text != NULL)
        *err_text = err;
    else
        free(err);
    return status;
}

static char *read_all(const char *path, size_t *len) {
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
    if (len != NULL)
        *len = got;
    return buf;
}

static char *temp_dir(void) {
    char *t = strdup("/tmp/idlc-gen-XXXXXX");
    assert_non_null(mkdtemp(t));
    return t;
}

static void remove_tree(const char *dir) {
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* Runs `idlc gen -I root -o out files...`; returns its status. */
static int gen(const char *root, const char *out, const char **files,
               int nfiles, char **err) {
    char *argv[64];
    int argc = 0;
    argv[argc++] = "idlc";
    argv[argc++] = "gen";
    argv[argc++] = "-I";
    argv[argc++] = (char *)root;
    argv[argc++] = "-o";
    argv[argc++] = (char *)out;
    for (int i = 0; i < nfiles && argc < 63; i++)
        argv[argc++] = (char *)files[i];
    return run_idlc(argc, argv, err);
}

static void test_gen_shop_payment_header_matches_golden(void **state) {
    (void)state;
    char *out = temp_dir();
    const char *files[] = {IDLC_TESTS_DIR "/valid/shop/payment.erg",
                           IDLC_TESTS_DIR "/valid/shop/common.erg"};
    char *err = NULL;
    assert_int_equal(gen(IDLC_TESTS_DIR "/valid", out, files, 2, &err), 0);
    free(err);
    char path[4200];
    snprintf(path, sizeof path, "%s/shop/payment.h", out);
    size_t got_len, want_len;
    char *got = read_all(path, &got_len);
    assert_non_null(got);
    const char *golden = IDLC_TESTS_DIR "/gen/shop/payment.h";
    if (getenv("IDLC_GEN_UPDATE") != NULL) {
        FILE *fp = fopen(golden, "wb");
        assert_non_null(fp);
        fwrite(got, 1, got_len, fp);
        fclose(fp);
    }
    char *want = read_all(golden, &want_len);
    assert_non_null(want);
    if (got_len != want_len || memcmp(got, want, got_len) != 0)
        fail_msg("%s differs from the golden %s (IDLC_GEN_UPDATE=1 rewrites "
                 "it)",
                 path, golden);
    /* No absolute paths and no timestamps: the temporary directory never
     * appears, and the preamble names the schema by its relative path. */
    assert_null(strstr(got, out));
    assert_non_null(strstr(got, "from shop/payment.erg. DO NOT EDIT."));
    assert_non_null(strstr(got, "#include \"shop/common.h\""));
    free(got);
    free(want);
    remove_tree(out);
    free(out);
}

static void test_gen_rewrites_only_files_that_changed(void **state) {
    (void)state;
    char *out = temp_dir();
    const char *files[] = {IDLC_TESTS_DIR "/valid/shop/common.erg"};
    assert_int_equal(gen(IDLC_TESTS_DIR "/valid", out, files, 1, NULL), 0);
    char path[4200];
    snprintf(path, sizeof path, "%s/shop/common.h", out);
    struct utimbuf old = {1000000, 1000000};
    assert_int_equal(utime(path, &old), 0);
    assert_int_equal(gen(IDLC_TESTS_DIR "/valid", out, files, 1, NULL), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal((long)st.st_mtime, 1000000); /* untouched */
    FILE *fp = fopen(path, "ab");
    fputs("/* edited */\n", fp);
    fclose(fp);
    assert_int_equal(gen(IDLC_TESTS_DIR "/valid", out, files, 1, NULL), 0);
    char *text = read_all(path, NULL);
    assert_null(strstr(text, "edited"));
    free(text);
    remove_tree(out);
    free(out);
}

static void
test_gen_paths_are_relative_to_the_root_however_spelled(void **state) {
    (void)state;
    /* A root spelled with a trailing "/." and an absolute file name. */
    char *out = temp_dir();
    const char *files[] = {IDLC_TESTS_DIR "/valid/kitchen/sink.erg",
                           IDLC_TESTS_DIR "/valid/kitchen/types.erg"};
    assert_int_equal(gen(IDLC_TESTS_DIR "/valid/.", out, files, 2, NULL), 0);
    char path[4200];
    snprintf(path, sizeof path, "%s/kitchen/sink.h", out);
    char *h = read_all(path, NULL);
    assert_non_null(h);
    assert_non_null(strstr(h, "from kitchen/sink.erg. DO NOT EDIT."));
    assert_non_null(strstr(h, "#include \"kitchen/types.h\""));
    assert_null(strstr(h, IDLC_TESTS_DIR));
    free(h);
    snprintf(path, sizeof path, "%s/kitchen/sink.c", out);
    char *c = read_all(path, NULL);
    assert_non_null(c);
    assert_null(strstr(c, IDLC_TESTS_DIR));
    free(c);
    remove_tree(out);
    free(out);
}

static void test_gen_usage_errors_exit_2(void **state) {
    (void)state;
    char *no_out[] = {"idlc", "gen", "x.erg"};
    assert_int_equal(run_idlc(3, no_out, NULL), 2);
    char *dangling[] = {"idlc", "gen", "-o"};
    assert_int_equal(run_idlc(3, dangling, NULL), 2);
    /* -o belongs to gen only. */
    char *check_o[] = {"idlc", "check", "-o", "d", "x.erg"};
    assert_int_equal(run_idlc(5, check_o, NULL), 2);
}

static void test_gen_refuses_colliding_type_names(void **state) {
    (void)state;
    /* foo.bar_items and foo_bar.items both want p_foo_bar_items_t. */
    char *dir = temp_dir();
    char path[4200];
    snprintf(path, sizeof path, "%s/p.erg", dir);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fputs("package p;\nstruct Foo { bar_items: list<i32>; }\n"
          "struct FooBar { items: list<i32>; }\n",
          fp);
    fclose(fp);
    char out[4300];
    snprintf(out, sizeof out, "%s/out", dir);
    const char *files[] = {path};
    char *err = NULL;
    assert_int_equal(gen(dir, out, files, 1, &err), 1);
    assert_non_null(strstr(err, "'p_foo_bar_items_t' is generated twice"));
    free(err);
    struct stat st;
    assert_int_not_equal(stat(out, &st), 0); /* nothing written */
    remove_tree(dir);
    free(dir);
}

/* ---- every valid schema compiles ----------------------------------------- */

typedef struct schema_set {
    char root[4096];
    char files[16][4200];
    int nfiles;
} schema_set;

/* Collects the .erg files of a directory tree (a few levels). */
static void collect(schema_set *s, const char *dir, int depth) {
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        size_t n = strlen(e->d_name);
        if (S_ISDIR(st.st_mode) && depth < 3)
            collect(s, path, depth + 1);
        else if (n > 4 && strcmp(e->d_name + n - 4, ".erg") == 0 &&
                 s->nfiles < 16)
            snprintf(s->files[s->nfiles++], sizeof s->files[0], "%s", path);
    }
    closedir(d);
}

/* ---- generated/ holds the output for schemas/ ---------------------------- */

/* Compares every file under `want_dir` but README.md with the same path
 * under `got_dir`, both ways; returns the first difference or NULL. */
static char *diff_trees(const char *want_dir, const char *got_dir,
                        const char *rel) {
    char wpath[4200], gpath[4200];
    snprintf(wpath, sizeof wpath, "%s%s", want_dir, rel);
    snprintf(gpath, sizeof gpath, "%s%s", got_dir, rel);
    DIR *d = opendir(wpath);
    if (d == NULL)
        return strdup(wpath);
    struct dirent *e;
    char *bad = NULL;
    while (bad == NULL && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, "README.md") == 0)
            continue;
        char sub[4200], wf[8400], gf[8400];
        snprintf(sub, sizeof sub, "%s/%s", rel, e->d_name);
        snprintf(wf, sizeof wf, "%s%s", want_dir, sub);
        snprintf(gf, sizeof gf, "%s%s", got_dir, sub);
        struct stat st;
        if (stat(wf, &st) == 0 && S_ISDIR(st.st_mode)) {
            bad = diff_trees(want_dir, got_dir, sub);
            continue;
        }
        size_t wl, gl;
        char *w = read_all(wf, &wl), *g = read_all(gf, &gl);
        if (g == NULL || wl != gl || memcmp(w, g, wl) != 0)
            bad = strdup(sub);
        free(w);
        free(g);
    }
    closedir(d);
    return bad;
}

static void test_generated_dir_matches_schemas(void **state) {
    (void)state;
    schema_set *s = calloc(1, sizeof(*s));
    snprintf(s->root, sizeof s->root, "%s", ERG_SCHEMAS_DIR);
    collect(s, s->root, 0);
    assert_true(s->nfiles > 0);
    const char *files[16];
    for (int i = 0; i < s->nfiles; i++)
        files[i] = s->files[i];
    char *out = temp_dir();
    assert_int_equal(gen(ERG_SCHEMAS_DIR, out, files, s->nfiles, NULL), 0);
    /* Both ways: nothing stale left in generated/, nothing missing. */
    char *bad = diff_trees(ERG_GENERATED_DIR, out, "");
    if (bad == NULL)
        bad = diff_trees(out, ERG_GENERATED_DIR, "");
    if (bad != NULL)
        fail_msg("generated%s differs from idlc's output for schemas/: run "
                 "`make regen` and commit the result",
                 bad);
    remove_tree(out);
    free(out);
    free(s);
}

/* Checks the set; a clean one is generated and compiled. Returns 1 when it
 * was compiled, 0 when the schemas do not check. */
static int gen_and_compile(schema_set *s) {
    if (s->nfiles == 0)
        return 0;
    const char *files[16];
    for (int i = 0; i < s->nfiles; i++)
        files[i] = s->files[i];
    char *out = temp_dir();
    int status = gen(s->root, out, files, s->nfiles, NULL);
    if (status == 1) {
        remove_tree(out);
        free(out);
        return 0;
    }
    if (status != 0)
        fail_msg("idlc gen -I %s exited %d", s->root, status);
    /* One compiler run per generated source; -fsyntax-only keeps the
     * suite fast and still runs every front-end warning. */
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && for c in $(find . -name '*.c'); do "
             "%s -std=c11 -Wall -Wextra -Wpedantic -Werror -fsyntax-only "
             "-I. -I'%s' \"$c\" || exit 1; done",
             out, ERG_TEST_CC, ERG_RUNTIME_INCLUDE);
    if (system(cmd) != 0)
        fail_msg("generated code of %s (%s) does not compile cleanly; kept "
                 "in %s",
                 s->root, s->files[0], out);
    remove_tree(out);
    free(out);
    return 1;
}

static int compile_tree_of_sets(const char *top, const char *sub) {
    int compiled = 0;
    DIR *d = opendir(top);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, "pending") == 0)
            continue;
        schema_set *s = calloc(1, sizeof(*s));
        snprintf(s->root, sizeof s->root, "%s/%s%s", top, e->d_name, sub);
        struct stat st;
        if (stat(s->root, &st) == 0 && S_ISDIR(st.st_mode)) {
            collect(s, s->root, 0);
            compiled += gen_and_compile(s);
        }
        free(s);
    }
    closedir(d);
    return compiled;
}

static void test_gen_output_compiles_for_every_valid_schema(void **state) {
    (void)state;
    int compiled = 0;
    schema_set *s = calloc(1, sizeof(*s));
    snprintf(s->root, sizeof s->root, "%s", IDLC_TESTS_DIR "/valid");
    collect(s, s->root, 0);
    assert_int_equal(gen_and_compile(s), 1);
    memset(s, 0, sizeof(*s));
    snprintf(s->root, sizeof s->root, "%s", ERG_SCHEMAS_DIR);
    collect(s, s->root, 0);
    compiled += gen_and_compile(s);
    free(s);
    /* Every before and after tree of the compat pairs that checks clean:
     * a wide sample of shapes, empty bodies included. */
    compiled += compile_tree_of_sets(IDLC_TESTS_DIR "/compat", "/old");
    compiled += compile_tree_of_sets(IDLC_TESTS_DIR "/compat", "/new");
    print_message("generated and compiled %d schema sets\n", compiled + 1);
    assert_true(compiled > 50);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gen_shop_payment_header_matches_golden),
        cmocka_unit_test(test_gen_rewrites_only_files_that_changed),
        cmocka_unit_test(
            test_gen_paths_are_relative_to_the_root_however_spelled),
        cmocka_unit_test(test_gen_usage_errors_exit_2),
        cmocka_unit_test(test_gen_refuses_colliding_type_names),
        cmocka_unit_test(test_gen_output_compiles_for_every_valid_schema),
        cmocka_unit_test(test_generated_dir_matches_schemas),
    };
    return cmocka_run_group_tests_name("idlc.gen", tests, NULL, NULL);
}
