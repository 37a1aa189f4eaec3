/* SPDX-License-Identifier: MIT */
/* compat_test.c: runs `idlc compat old new` on every before/after pair under
 * tests/idlc/compat and compares the verdict with the pair's expect.txt.
 *
 * A pair is a directory NNN-slug/ holding an `old` and a `new` schema tree
 * (or, for usage errors, a file or nothing in their place) and expect.txt:
 *
 *     exit 1
 *     error EDITED_VERSION
 *     warning TYPE_RENAMED
 *
 * The first line is the exit status; each further line is one diagnostic
 * that must carry a rule tag (`error[RULE]` or `warning[RULE]` in idlc's
 * output), sorted, duplicates kept. Diagnostics without a rule (a tree
 * that does not compile) count only through the exit status. idlc runs
 * from inside the pair directory, so its messages name `old/...` and
 * `new/...`. Each pair's old/main.erg (or `old` itself when it is a file)
 * opens with a `//` comment saying what the pair tests and its verdict.
 *
 * Pairs under compat/pending/ hold the correct expectation for a verdict
 * idlc gets wrong today; they are skipped and counted. Set
 * IDLC_COMPAT_PENDING=1 to run them too (each mismatch then fails). */
#include "testutil.h"

#include <ctype.h>
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "idlc.h"
#include "idlc_test_util.h"

#ifndef IDLC_COMPAT_DIR
#error "IDLC_COMPAT_DIR must name tests/idlc/compat"
#endif

/* The issue asks for at least 40; we hold ourselves to 45. */
enum { MIN_PAIRS = 45 };

/* Every rule of docs/compat.md; each must appear in some expect.txt. */
static const char *const all_rules[] = {
    "EDITED_VERSION",
    "VERSION_REMOVED_WHILE_ACCEPTED",
    "ACTOR_STOPPED_ACCEPTING",
    "CAST_CALL_FLIPPED",
    "CALL_RESPONSE_CHANGED",
    "PUBLISHES_DROPPED",
    "SUBSCRIBES_DROPPED",
    "IMPORTANT_CHANGED",
    "ACTOR_REMOVED",
    "CONVERSION_REMOVED",
    "CONVERSION_NOT_TOTAL",
    "WIRE_ID_COLLISION",
    "UNUSED_VERSION_REMOVED",
    "ACTOR_RENAMED",
    "TYPE_RENAMED",
};
enum { NRULES = sizeof(all_rules) / sizeof(all_rules[0]) };

/* ---- helpers ------------------------------------------------------------- */

static bool is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int str_cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A growable, sortable list of owned strings. */
typedef struct strlist {
    char **v;
    int n;
} strlist;

static void strlist_push(strlist *l, char *s) {
    l->v = realloc(l->v, (size_t)(l->n + 1) * sizeof(*l->v));
    assert_non_null(l->v);
    l->v[l->n++] = s;
}

static void strlist_sort(strlist *l) {
    if (l->n > 1)
        qsort(l->v, (size_t)l->n, sizeof(*l->v), str_cmp);
}

static void strlist_free(strlist *l) {
    for (int i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

/* Pair directories (NNN-slug) under dir, sorted. */
static strlist list_pairs(const char *dir) {
    strlist names = {0};
    DIR *d = opendir(dir);
    if (d == NULL)
        return names;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (is_dir(path))
            strlist_push(&names, strdup(e->d_name));
    }
    closedir(d);
    strlist_sort(&names);
    return names;
}

/* The rule tags of idlc's diagnostics, as "error RULE" / "warning RULE",
 * sorted. Only diagnostic lines count: the quoted source lines under them
 * are indented and skipped. */
static strlist collect_tags(const char *err) {
    strlist tags = {0};
    for (const char *line = err; *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        if (line[0] != ' ' && line[0] != '\t') {
            const char *kinds[] = {": error[", ": warning["};
            const char *hit = NULL;
            int kind = 0;
            for (int k = 0; k < 2; k++) {
                const char *p = strstr(line, kinds[k]);
                if (p != NULL && p < line + len && (hit == NULL || p < hit)) {
                    hit = p;
                    kind = k;
                }
            }
            if (hit != NULL) {
                const char *rule = strchr(hit, '[') + 1;
                const char *close = strchr(rule, ']');
                if (close != NULL && close < line + len) {
                    char *tag = NULL;
                    assert_true(asprintf(&tag, "%s %.*s",
                                         kind ? "warning" : "error",
                                         (int)(close - rule), rule) > 0);
                    strlist_push(&tags, tag);
                }
            }
        }
        line += len + (nl != NULL);
    }
    strlist_sort(&tags);
    return tags;
}

/* Reads expect.txt; returns NULL when it is well formed, else a reason. */
static const char *parse_expect(const char *text, int *exit_status,
                                strlist *tags) {
    if (text == NULL)
        return "missing expect.txt";
    int used = 0;
    if (sscanf(text, "exit %d%n", exit_status, &used) != 1 ||
        *exit_status < 0 || *exit_status > 2 ||
        (text[used] != '\n' && text[used] != '\0'))
        return "first line must be 'exit 0', 'exit 1' or 'exit 2'";
    const char *line = text + used + (text[used] == '\n');
    while (*line) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        char *tag = strndup(line, len);
        assert_non_null(tag);
        const char *rule = strncmp(tag, "error ", 6) == 0     ? tag + 6
                           : strncmp(tag, "warning ", 8) == 0 ? tag + 8
                                                              : NULL;
        bool ok = rule != NULL && *rule != '\0';
        for (const char *p = rule; ok && *p; p++)
            ok = isupper((unsigned char)*p) || *p == '_';
        if (!ok) {
            free(tag);
            return "each line after the first must be 'error RULE' or "
                   "'warning RULE'";
        }
        if (tags->n > 0 && strcmp(tags->v[tags->n - 1], tag) > 0) {
            free(tag);
            return "the rule lines must be sorted";
        }
        strlist_push(tags, tag);
        line += len + (nl != NULL);
    }
    return NULL;
}

/* The old tree's main schema must open with a // comment (the pair's
 * statement of intent). */
static bool opens_with_comment(const char *pair_dir) {
    char path[4096 + 32];
    snprintf(path, sizeof(path), "%s/old", pair_dir);
    if (is_dir(path))
        snprintf(path, sizeof(path), "%s/old/main.erg", pair_dir);
    char *text = read_all(path);
    bool ok = text != NULL && strncmp(text, "//", 2) == 0;
    free(text);
    return ok;
}

/* Prints want/got as a merge of two sorted lists. */
static void print_tag_diff(const strlist *want, const strlist *got) {
    int i = 0, j = 0;
    while (i < want->n || j < got->n) {
        int c = i == want->n  ? 1
                : j == got->n ? -1
                              : strcmp(want->v[i], got->v[j]);
        if (c == 0) {
            fprintf(stderr, "      %s\n", want->v[i]);
            i++;
            j++;
        } else if (c < 0) {
            fprintf(stderr, "    - %s   (expected, not reported)\n",
                    want->v[i++]);
        } else {
            fprintf(stderr, "    + %s   (reported, not expected)\n",
                    got->v[j++]);
        }
    }
}

/* Runs one pair from inside its directory; returns true when it matches.
 * tally[] counts each rule of the expectation. */
static bool run_pair(const char *base, const char *name, int tally[NRULES]) {
    char dir[4096], expect_path[4200];
    snprintf(dir, sizeof(dir), "%s/%s", base, name);
    snprintf(expect_path, sizeof(expect_path), "%s/expect.txt", dir);
    char *expect = read_all(expect_path);
    int want_status = -1;
    strlist want = {0};
    const char *bad = parse_expect(expect, &want_status, &want);
    free(expect);
    if (bad != NULL) {
        fprintf(stderr, "compat %s: bad expect.txt: %s\n", name, bad);
        strlist_free(&want);
        return false;
    }
    for (int i = 0; i < want.n; i++)
        for (int r = 0; r < NRULES; r++)
            if (strcmp(strchr(want.v[i], ' ') + 1, all_rules[r]) == 0)
                tally[r]++;
    bool ok = true;
    if (!opens_with_comment(dir)) {
        fprintf(stderr,
                "compat %s: old/main.erg must open with a '//' "
                "comment saying what the pair tests\n",
                name);
        ok = false;
    }

    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(dir), 0);
    char *argv[] = {"idlc", "compat", "old", "new"};
    run_result r = run_idlc(4, argv);
    assert_int_equal(chdir(cwd), 0);

    strlist got = collect_tags(r.err);
    bool same = got.n == want.n;
    for (int i = 0; same && i < got.n; i++)
        same = strcmp(got.v[i], want.v[i]) == 0;
    if (!same || r.status != want_status) {
        fprintf(stderr, "compat %s: MISMATCH\n", name);
        if (r.status != want_status)
            fprintf(stderr, "  exit: got %d, want %d\n", r.status, want_status);
        else
            fprintf(stderr, "  exit: %d as expected\n", r.status);
        fprintf(stderr, "  rules (- expected only, + reported only):\n");
        if (want.n == 0 && got.n == 0)
            fprintf(stderr, "      (none)\n");
        print_tag_diff(&want, &got);
        fprintf(stderr, "  idlc's stderr:\n%s", r.err);
        ok = false;
    }
    strlist_free(&want);
    strlist_free(&got);
    free_result(&r);
    return ok;
}

/* ---- the pairs ----------------------------------------------------------- */

static int tally[NRULES];
static bool tally_done;

static void test_compat_pairs_match_expected_verdicts(void **state) {
    (void)state;
    strlist pairs = list_pairs(IDLC_COMPAT_DIR);
    strlist pending = list_pairs(IDLC_COMPAT_DIR "/pending");
    bool run_pending = getenv("IDLC_COMPAT_PENDING") != NULL;
    int failed = 0, pending_failed = 0;
    memset(tally, 0, sizeof(tally));
    for (int i = 0; i < pairs.n; i++)
        failed += !run_pair(IDLC_COMPAT_DIR, pairs.v[i], tally);
    for (int i = 0; i < pending.n; i++) {
        if (run_pending) {
            if (run_pair(IDLC_COMPAT_DIR "/pending", pending.v[i], tally))
                fprintf(stderr,
                        "compat pending/%s: passes now; move it out "
                        "of pending/\n",
                        pending.v[i]);
            else
                pending_failed++;
        } else {
            /* Count its rules for coverage without running it. */
            char path[4096];
            snprintf(path, sizeof(path), "%s/pending/%s/expect.txt",
                     IDLC_COMPAT_DIR, pending.v[i]);
            char *text = read_all(path);
            int st;
            strlist want = {0};
            if (parse_expect(text, &st, &want) != NULL) {
                fprintf(stderr, "compat pending/%s: bad expect.txt\n",
                        pending.v[i]);
                failed++;
            }
            for (int k = 0; k < want.n; k++)
                for (int r = 0; r < NRULES; r++)
                    if (strcmp(strchr(want.v[k], ' ') + 1, all_rules[r]) == 0)
                        tally[r]++;
            strlist_free(&want);
            free(text);
        }
    }
    tally_done = true;
    fprintf(stderr, "compat: %d pairs, %d failed; %d pending (%s)\n", pairs.n,
            failed, pending.n,
            run_pending ? "run: IDLC_COMPAT_PENDING is set"
                        : "skipped; set IDLC_COMPAT_PENDING=1 to run them");
    if (run_pending)
        fprintf(stderr, "compat: %d pending pairs still fail\n",
                pending_failed);
    int npairs = pairs.n;
    strlist_free(&pairs);
    strlist_free(&pending);
    assert_int_equal(failed, 0);
    assert_int_equal(pending_failed, 0);
    assert_true(npairs >= MIN_PAIRS);
}

static void test_compat_pairs_cover_every_rule(void **state) {
    (void)state;
    assert_true(tally_done);
    int missing = 0;
    for (int r = 0; r < NRULES; r++) {
        if (tally[r] == 0) {
            fprintf(stderr, "compat: no pair expects rule %s\n", all_rules[r]);
            missing++;
        }
    }
    assert_int_equal(missing, 0);
}

/* ---- the command line ---------------------------------------------------- */

static void test_compat_usage_errors_exit_2(void **state) {
    (void)state;
    char *none[] = {"idlc", "compat"};
    char *one[] = {"idlc", "compat", IDLC_COMPAT_DIR};
    char *three[] = {"idlc", "compat", IDLC_COMPAT_DIR, IDLC_COMPAT_DIR,
                     IDLC_COMPAT_DIR};
    char *option[] = {"idlc", "compat", "--frobnicate", IDLC_COMPAT_DIR,
                      IDLC_COMPAT_DIR};
    char *dangling_i[] = {"idlc", "compat", IDLC_COMPAT_DIR, IDLC_COMPAT_DIR,
                          "-I"};
    char *missing[] = {"idlc", "compat", IDLC_COMPAT_DIR,
                       "/nonexistent/erg/compat/new"};
    char *file[] = {"idlc", "compat", IDLC_COMPAT_DIR "/../compat_test.c",
                    IDLC_COMPAT_DIR};
    struct {
        int argc;
        char **argv;
        const char *says;
    } cases[] = {
        {2, none, "compat needs OLD_ROOT and NEW_ROOT"},
        {3, one, "compat needs OLD_ROOT and NEW_ROOT"},
        {5, three, "unexpected argument"},
        {5, option, "unexpected argument '--frobnicate'"},
        {5, dangling_i, "unexpected argument '-I'"},
        {4, missing, "'/nonexistent/erg/compat/new' is not a directory"},
        {4, file, "compat_test.c' is not a directory"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        run_result r = run_idlc(cases[i].argc, cases[i].argv);
        if (r.status != 2 || strstr(r.err, cases[i].says) == NULL ||
            strstr(r.err, "usage: idlc compat") == NULL)
            fprintf(stderr, "usage case %zu: exit %d\n%s", i, r.status, r.err);
        assert_int_equal(r.status, 2);
        assert_non_null(strstr(r.err, cases[i].says));
        assert_non_null(strstr(r.err, "usage: idlc compat"));
        free_result(&r);
    }
}

/* ---- trees written on the fly -------------------------------------------- */

static const char common_v1[] = "package shop.common;\n"
                                "\n"
                                "struct Money {\n"
                                "  amount: i64;\n"
                                "}\n";

static const char pay_main[] = "package shop;\n"
                               "\n"
                               "import \"shop/common.erg\";\n"
                               "\n"
                               "message Pay v1 {\n"
                               "  total: shop.common.Money;\n"
                               "}\n";

static void test_compat_include_dirs_come_after_each_tree_root(void **state) {
    (void)state;
    /* A library outside both trees, found through -I. */
    write_file("lib/shop/common.erg", common_v1);
    write_file("old/main.erg", pay_main);
    write_file("new/main.erg", pay_main);

    char *without[] = {"idlc", "compat", "old", "new"};
    run_result r = run_idlc(4, without);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "cannot find import 'shop/common.erg'"));
    free_result(&r);

    char *with[] = {"idlc", "compat", "-I", "lib", "old", "new"};
    r = run_idlc(6, with);
    if (r.status != 0)
        fprintf(stderr, "%s", r.err);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.err, "");
    free_result(&r);

    char *glued[] = {"idlc", "compat", "-Ilib", "old", "new"};
    r = run_idlc(5, glued);
    assert_int_equal(r.status, 0);
    free_result(&r);

    /* The new tree's own copy shadows the library: its edit is seen. */
    write_file("new/shop/common.erg", "package shop.common;\n"
                                      "\n"
                                      "struct Money {\n"
                                      "  amount: i32;\n"
                                      "}\n");
    r = run_idlc(6, with);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "new/main.erg:5:1: error[EDITED_VERSION]: "
                                  "shop.Pay v1 changed shape: in struct "
                                  "'shop.common.Money': field 'amount' was "
                                  "retyped: i64 -> i32"));
    free_result(&r);
}

static void test_compat_reports_edits_at_the_new_declaration(void **state) {
    (void)state;
    write_file("old/main.erg", "package shop;\n"
                               "\n"
                               "message Order v1 {\n"
                               "  id: u64;\n"
                               "  qty: u32;\n"
                               "}\n");
    write_file("new/main.erg", "package shop;\n"
                               "// moved down by this comment\n"
                               "\n"
                               "message Order v1 {\n"
                               "  id: u64;\n"
                               "  qty: i64;\n"
                               "}\n");
    char *argv[] = {"idlc", "compat", "old", "new"};
    run_result r = run_idlc(4, argv);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "new/main.erg:4:1: error[EDITED_VERSION]: "
                                  "shop.Order v1 changed shape: field 'qty' "
                                  "was retyped: u32 -> i64\n"));
    free_result(&r);
}

static void test_compat_reports_removals_at_the_old_declaration(void **state) {
    (void)state;
    write_file("old/main.erg", "package shop;\n"
                               "\n"
                               "message Ping v1 {\n"
                               "  n: u32;\n"
                               "}\n"
                               "\n"
                               "message Ping v2 {\n"
                               "  n: u64;\n"
                               "}\n"
                               "\n"
                               "actor Pong {\n"
                               "  cast Ping v1, v2;\n"
                               "}\n"
                               "\n"
                               "actor Gone {\n"
                               "}\n");
    write_file("new/main.erg", "package shop;\n"
                               "\n"
                               "message Ping v2 {\n"
                               "  n: u64;\n"
                               "}\n"
                               "\n"
                               "actor Pong {\n"
                               "  cast Ping v2;\n"
                               "}\n");
    char *argv[] = {"idlc", "compat", "old", "new"};
    run_result r = run_idlc(4, argv);
    assert_int_equal(r.status, 1);
    const char *removed = strstr(
        r.err, "old/main.erg:3:1: error[VERSION_REMOVED_WHILE_ACCEPTED]: "
               "shop.Ping v1 was removed");
    const char *gone =
        strstr(r.err, "old/main.erg:15:7: error[ACTOR_REMOVED]: actor "
                      "'shop.Gone' was removed");
    if (removed == NULL || gone == NULL)
        fprintf(stderr, "%s", r.err);
    assert_non_null(removed);
    assert_non_null(gone);
    /* Sorted by position: the old tree's line 3 before its line 15. */
    assert_true(removed < gone);
    free_result(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compat_pairs_match_expected_verdicts),
        cmocka_unit_test(test_compat_pairs_cover_every_rule),
        cmocka_unit_test(test_compat_usage_errors_exit_2),
        cmocka_unit_test_setup_teardown(
            test_compat_include_dirs_come_after_each_tree_root, setup_tmpdir,
            teardown_tmpdir),
        cmocka_unit_test_setup_teardown(
            test_compat_reports_edits_at_the_new_declaration, setup_tmpdir,
            teardown_tmpdir),
        cmocka_unit_test_setup_teardown(
            test_compat_reports_removals_at_the_old_declaration, setup_tmpdir,
            teardown_tmpdir),
    };
    return cmocka_run_group_tests_name("idlc.compat", tests, NULL, NULL);
}
