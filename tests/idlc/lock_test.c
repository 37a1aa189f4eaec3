/* SPDX-License-Identifier: MIT */
/* lock_test.c: `idlc lock`: the lock file's format, verification, the
 * edits it explains in words, and what --update and --force may rewrite.
 *
 * Each test works in a fresh temporary directory (mkdtemp) and runs idlc
 * from inside it, so diagnostics name `main.erg` and `erg.lock`. */
#include "testutil.h"

#include <ctype.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "idlc.h"
#include "idlc_test_util.h"

/* ---- helpers ------------------------------------------------------------- */

/* `idlc lock --lock erg.lock [flags...] main.erg`; flags is a
 * space-separated list ("" for plain verification). */
static run_result lock_run(const char *flags) {
    char *argv[16] = {"idlc", "lock", "--lock", "erg.lock"};
    int argc = 4;
    char *copy = strdup(flags);
    assert_non_null(copy);
    for (char *tok = strtok(copy, " "); tok != NULL; tok = strtok(NULL, " "))
        argv[argc++] = tok;
    argv[argc++] = "main.erg";
    run_result r = run_idlc(argc, argv);
    free(copy);
    return r;
}

/* Fails with idlc's output when status or an expected substring is off. */
static void expect_run(const run_result *r, int status, const char *needle) {
    if (r->status != status ||
        (needle != NULL && strstr(r->err, needle) == NULL &&
         strstr(r->out, needle) == NULL))
        fail_msg("exit %d (want %d), looking for:\n  %s\n--- stdout\n%s--- "
                 "stderr\n%s",
                 r->status, status, needle ? needle : "(nothing)", r->out,
                 r->err);
}

/* Writes main.erg, locks it, and checks the lock was created. */
static void lock_schema(const char *schema) {
    write_file("main.erg", schema);
    run_result r = lock_run("--update");
    expect_run(&r, 0, " locked (");
    free_result(&r);
    assert_true(exists("erg.lock"));
    assert_true(exists("erg.lock.shapes"));
}

/* ---- the lock file's format ---------------------------------------------- */

static const char orders[] = "package t;\n"                    /* 1 */
                             "\n"                              /* 2 */
                             "@deprecated(\"use Order v2\")\n" /* 3 */
                             "message Order v1 {\n"            /* 4 */
                             "  id: u64;\n"                    /* 5 */
                             "}\n"                             /* 6 */
                             "\n"                              /* 7 */
                             "message Order v10 {\n"           /* 8 */
                             "  id: u64;\n"                    /* 9 */
                             "  note: string;\n"               /* 10 */
                             "}\n"                             /* 11 */
                             "\n"                              /* 12 */
                             "message Order v2 {\n"            /* 13 */
                             "  id: u64;\n"                    /* 14 */
                             "  qty: u32;\n"                   /* 15 */
                             "}\n"                             /* 16 */
                             "\n"                              /* 17 */
                             "event Cancelled v4294967295 {\n" /* 18 */
                             "  id: u64;\n"                    /* 19 */
                             "}\n"                             /* 20 */
                             "\n"                              /* 21 */
                             "event Cancelled v3 {\n"          /* 22 */
                             "  id: u64;\n"                    /* 23 */
                             "}\n"                             /* 24 */
                             "\n"                              /* 25 */
                             "message Answer v1 {\n"           /* 26 */
                             "  ok: bool;\n"                   /* 27 */
                             "}\n";                            /* 28 */

/* The fingerprint idlc prints for "qname vN", as 64 hex digits. */
static char *fingerprint_of(const char *key) {
    char *argv[] = {"idlc", "fingerprint", "main.erg"};
    run_result r = run_idlc(3, argv);
    expect_run(&r, 0, NULL);
    char *found = NULL;
    for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n")) {
        size_t k = strlen(key);
        if (strncmp(line, key, k) == 0 && strncmp(line + k, " sha256:", 8) == 0)
            found = strdup(line + k + 8);
    }
    free_result(&r);
    assert_non_null(found);
    return found;
}

static void
test_lock_update_writes_sorted_lines_with_fingerprints(void **state) {
    (void)state;
    write_file("main.erg", orders);
    assert_false(exists("erg.lock"));
    run_result r = lock_run("--update");
    expect_run(&r, 0, "idlc: erg.lock: 6 versions locked (6 added, 0 dropped)");
    assert_string_equal(r.err, "");
    free_result(&r);

    /* Sorted by name, then by version number (v2 before v10), with the
     * deprecated flag mirrored from @deprecated. */
    const char *keys[] = {
        "t.Answer v1", "t.Cancelled v3", "t.Cancelled v4294967295",
        "t.Order v1",  "t.Order v2",     "t.Order v10"};
    const bool deprecated[] = {false, false, false, true, false, false};
    char want[4096] = "";
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        char *fp = fingerprint_of(keys[i]);
        assert_int_equal(strlen(fp), 64);
        size_t len = strlen(want);
        snprintf(want + len, sizeof(want) - len, "%s sha256:%s%s\n", keys[i],
                 fp, deprecated[i] ? " deprecated" : "");
        free(fp);
    }
    char *lock = read_all("erg.lock");
    assert_non_null(lock);
    /* Byte for byte: no header, no blank line, no trailing garbage. */
    assert_string_equal(lock, want);
    free(lock);

    /* The shapes file has one section per line of the lock, in the same
     * order, each opening with the version's own header. */
    char *shapes = read_all("erg.lock.shapes");
    assert_non_null(shapes);
    const char *at = shapes;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        char hdr[256];
        snprintf(hdr, sizeof(hdr), "=== %s\n", keys[i]);
        const char *h = strstr(at, hdr);
        if (h == NULL)
            fail_msg("no section '%s' after offset %ld in\n%s", keys[i],
                     (long)(at - shapes), shapes);
        at = h + strlen(hdr);
    }
    assert_non_null(strstr(shapes, "=== t.Order v2\nmessage t.Order v2\n"
                                   "  field id: u64\n  field qty: u32\n"));
    assert_non_null(strstr(shapes, "=== t.Cancelled v3\nevent t.Cancelled v3\n"
                                   "  field id: u64\n"));
    assert_int_equal(shapes[strlen(shapes) - 1], '\n');
    free(shapes);

    /* The update is atomic: no temporary file is left behind. */
    assert_false(exists("erg.lock.tmp"));
    assert_false(exists("erg.lock.shapes.tmp"));
}

static void test_lock_verify_passes_and_update_is_idempotent(void **state) {
    (void)state;
    lock_schema(orders);
    char *before = read_all("erg.lock");
    char *before_shapes = read_all("erg.lock.shapes");

    run_result r = lock_run("");
    expect_run(&r, 0, NULL);
    assert_string_equal(r.err, "");
    assert_string_equal(r.out, "");
    free_result(&r);

    /* Reformatting, comments and reordered declarations keep every
     * fingerprint, so the lock still holds. */
    write_file("main.erg",
               "// the same schema, rearranged\n"
               "package t;\n"
               "message Answer v1 { ok: bool; }\n"
               "message Order v2 { id: u64; /* count */ qty: u32; }\n"
               "message Order v10 { id: u64; note: string; }\n"
               "event Cancelled v3 { id: u64; }\n"
               "event Cancelled v4294967295 { id: u64; }\n"
               "@deprecated message Order v1 { id: u64; }\n");
    r = lock_run("");
    expect_run(&r, 0, NULL);
    free_result(&r);

    r = lock_run("--update");
    expect_run(&r, 0, "6 versions locked (0 added, 0 dropped)");
    free_result(&r);
    char *after = read_all("erg.lock");
    char *after_shapes = read_all("erg.lock.shapes");
    assert_string_equal(after, before);
    assert_string_equal(after_shapes, before_shapes);
    free(before);
    free(after);
    free(before_shapes);
    free(after_shapes);
}

static void
test_lock_update_adds_new_versions_and_keeps_the_rest(void **state) {
    (void)state;
    lock_schema("package t;\n"
                "message Ping v1 { n: u32; }\n");
    char *before = read_all("erg.lock");
    write_file("main.erg", "package t;\n"
                           "message Ping v1 { n: u32; }\n"
                           "message Ping v2 { n: u64; }\n"
                           "message Pang v1 { n: u64; }\n");
    /* Versions not in the lock are not released yet: verification passes. */
    run_result r = lock_run("");
    expect_run(&r, 0, NULL);
    free_result(&r);
    r = lock_run("--update");
    expect_run(&r, 0, "3 versions locked (2 added, 0 dropped)");
    free_result(&r);
    char *after = read_all("erg.lock");
    assert_non_null(strstr(after, before));
    assert_int_equal(strncmp(after, "t.Pang v1 sha256:", 17), 0);
    char *ping2 = strstr(after, "t.Ping v2 sha256:");
    assert_non_null(ping2);
    assert_true(ping2 > strstr(after, "t.Ping v1 sha256:"));
    free(before);
    free(after);
}

static void test_lock_deprecated_flag_follows_the_annotation(void **state) {
    (void)state;
    lock_schema("package t;\n"
                "message Ping v1 { n: u32; }\n"
                "message Ping v2 { n: u64; }\n");
    char *lock = read_all("erg.lock");
    assert_null(strstr(lock, "deprecated"));
    free(lock);

    /* @deprecated leaves the fingerprint alone: verify passes, and
     * --update sets the flag without --force. */
    write_file("main.erg",
               "package t;\n"
               "@deprecated(\"use v2\") message Ping v1 { n: u32; }\n"
               "message Ping v2 { n: u64; }\n");
    run_result r = lock_run("");
    expect_run(&r, 0, NULL);
    free_result(&r);
    r = lock_run("--update");
    expect_run(&r, 0, NULL);
    free_result(&r);
    lock = read_all("erg.lock");
    char *line2 = strchr(lock, '\n') + 1;
    assert_non_null(strstr(lock, " deprecated\nt.Ping v2 sha256:"));
    assert_null(strstr(line2, "deprecated"));
    free(lock);

    /* Dropping the annotation clears the flag again. */
    write_file("main.erg", "package t;\n"
                           "message Ping v1 { n: u32; }\n"
                           "message Ping v2 { n: u64; }\n");
    r = lock_run("--update");
    expect_run(&r, 0, NULL);
    free_result(&r);
    lock = read_all("erg.lock");
    assert_null(strstr(lock, "deprecated"));
    free(lock);
}

/* ---- edits of locked versions -------------------------------------------- */

static const char base_schema[] =
    "package t;\n"                                 /* 1 */
    "\n"                                           /* 2 */
    "import \"money.erg\";\n"                      /* 3 */
    "\n"                                           /* 4 */
    "enum Status : u8 { OK = 0; DECLINED = 1; }\n" /* 5 */
    "\n"                                           /* 6 */
    "struct LineItem {\n"                          /* 7 */
    "  sku: string<64>;\n"                         /* 8 */
    "  qty: u32;\n"                                /* 9 */
    "}\n"                                          /* 10 */
    "\n"                                           /* 11 */
    "message Order v1 {\n"                         /* 12 */
    "  id: u64;\n"                                 /* 13 */
    "  note: string;\n"                            /* 14 */
    "  priority: i32 = 0;\n"                       /* 15 */
    "  status: Status;\n"                          /* 16 */
    "  items: list<LineItem, 1000>;\n"             /* 17 */
    "  total: t.money.Money;\n"                    /* 18 */
    "}\n";                                         /* 19 */

static const char money_erg[] = "package t.money;\n"
                                "\n"
                                "struct Money {\n"
                                "  amount: i64;\n"
                                "}\n";

/* A copy of text with the first `from` replaced by `to`. */
static char *replace(const char *text, const char *from, const char *to) {
    const char *at = strstr(text, from);
    if (at == NULL)
        fail_msg("'%s' not found in\n%s", from, text);
    size_t head = (size_t)(at - text);
    char *out = malloc(strlen(text) + strlen(to) + 1);
    assert_non_null(out);
    memcpy(out, text, head);
    strcpy(out + head, to);
    strcat(out, at + strlen(from));
    return out;
}

/* Locks base_schema, replaces `from` by `to` in it, and checks that
 * verification reports EDITED_VERSION at Order v1's declaration naming the
 * change in words (`said`), and that --update refuses to rewrite the line. */
static void check_edit_explained(const char *from, const char *to,
                                 const char *said) {
    write_file("money.erg", money_erg);
    lock_schema(base_schema);
    char *lock_before = read_all("erg.lock");
    char *edited = replace(base_schema, from, to);
    write_file("main.erg", edited);
    free(edited);

    run_result r = lock_run("");
    char want[1024];
    snprintf(want, sizeof(want),
             "main.erg:12:1: error[EDITED_VERSION]: t.Order v1 is locked "
             "(released) and its shape changed: %s (locked sha256:",
             said);
    expect_run(&r, 1, want);
    free_result(&r);

    /* --update refuses to rewrite the line and leaves the lock alone. */
    r = lock_run("--update");
    expect_run(&r, 1, "error[EDITED_VERSION]");
    free_result(&r);
    char *lock_after = read_all("erg.lock");
    assert_string_equal(lock_after, lock_before);
    free(lock_after);
    free(lock_before);
}

static void test_lock_explains_field_added(void **state) {
    (void)state;
    check_edit_explained("  total: t.money.Money;\n",
                         "  total: t.money.Money;\n  extra: bool = false;\n",
                         "field 'extra' was added");
}

static void test_lock_explains_field_removed(void **state) {
    (void)state;
    check_edit_explained("  note: string;\n", "", "field 'note' was removed");
}

static void test_lock_explains_field_renamed(void **state) {
    (void)state;
    check_edit_explained("  note: string;\n", "  comment: string;\n",
                         "field 'note' was renamed to 'comment'");
}

static void test_lock_explains_field_retyped(void **state) {
    (void)state;
    check_edit_explained("  id: u64;\n", "  id: i64;\n",
                         "field 'id' was retyped: u64 -> i64");
}

static void test_lock_explains_field_rebounded(void **state) {
    (void)state;
    check_edit_explained("list<LineItem, 1000>", "list<LineItem, 100>",
                         "field 'items' was re-bounded: "
                         "list<t.LineItem, 1000> -> list<t.LineItem, 100>");
}

static void test_lock_explains_nested_field_rebounded(void **state) {
    (void)state;
    check_edit_explained("sku: string<64>", "sku: string<32>",
                         "in struct 't.LineItem': field 'sku' was "
                         "re-bounded: string<64> -> string<32>");
}

static void test_lock_explains_default_changed(void **state) {
    (void)state;
    check_edit_explained("priority: i32 = 0;", "priority: i32 = 1;",
                         "the default of field 'priority' changed: 0 -> 1");
}

static void test_lock_explains_fields_reordered(void **state) {
    (void)state;
    check_edit_explained("  id: u64;\n  note: string;\n",
                         "  note: string;\n  id: u64;\n",
                         "fields were reordered");
}

static void test_lock_explains_enum_value_moved(void **state) {
    (void)state;
    check_edit_explained("DECLINED = 1;", "DECLINED = 7;",
                         "in enum 't.Status': member 'DECLINED' changed "
                         "value: 1 -> 7");
}

static void test_lock_explains_enum_member_added(void **state) {
    (void)state;
    check_edit_explained("DECLINED = 1; }", "DECLINED = 1; ERROR = 2; }",
                         "in enum 't.Status': member 'ERROR' was added");
}

static void
test_lock_explains_nested_struct_moved_to_another_package(void **state) {
    (void)state;
    /* Same body, new package: t.money.Money -> t.billing.Money. */
    write_file("billing.erg", "package t.billing;\n"
                              "\n"
                              "struct Money {\n"
                              "  amount: i64;\n"
                              "}\n");
    write_file("money.erg", money_erg);
    lock_schema(base_schema);
    char *moved = replace(base_schema, "import \"money.erg\";",
                          "import \"billing.erg\";");
    char *schema = replace(moved, "t.money.Money", "t.billing.Money");
    write_file("main.erg", schema);
    free(moved);
    free(schema);
    run_result r = lock_run("");
    expect_run(&r, 1,
               "main.erg:12:1: error[EDITED_VERSION]: t.Order v1 is locked "
               "(released) and its shape changed: field 'total' was "
               "retyped: t.money.Money -> t.billing.Money; nested struct "
               "'t.money.Money' was renamed or moved to 't.billing.Money' "
               "(locked sha256:");
    free_result(&r);
}

static void test_lock_update_force_rewrites_an_edited_line(void **state) {
    (void)state;
    lock_schema("package t;\n"
                "message Ping v1 { n: u32; }\n"
                "message Ping v2 { n: u64; }\n");
    char *before = read_all("erg.lock");
    write_file("main.erg", "package t;\n"
                           "message Ping v1 { n: u16; }\n"
                           "message Ping v2 { n: u64; }\n");
    run_result r = lock_run("--update");
    expect_run(&r, 1,
               "main.erg:2:1: error[EDITED_VERSION]: t.Ping v1 is "
               "locked (released) and its shape changed: field 'n' "
               "was retyped: u32 -> u16");
    free_result(&r);
    char *same = read_all("erg.lock");
    assert_string_equal(same, before);
    free(same);

    r = lock_run("--update --force");
    expect_run(&r, 0, "2 versions locked (0 added, 0 dropped)");
    free_result(&r);
    char *after = read_all("erg.lock");
    /* Line 1 changed, line 2 did not. */
    char *nl_before = strchr(before, '\n'), *nl_after = strchr(after, '\n');
    assert_string_equal(nl_after, nl_before);
    assert_int_not_equal(strncmp(after, before, (size_t)(nl_before - before)),
                         0);
    char *fp = fingerprint_of("t.Ping v1");
    assert_non_null(strstr(after, fp));
    free(fp);
    free(before);
    free(after);
    char *shapes = read_all("erg.lock.shapes");
    assert_non_null(strstr(shapes, "message t.Ping v1\n  field n: u16\n"));
    free(shapes);

    r = lock_run("");
    expect_run(&r, 0, NULL);
    free_result(&r);
}

static void test_lock_without_shapes_still_detects_an_edit(void **state) {
    (void)state;
    lock_schema("package t;\n"
                "message Ping v1 { n: u32; }\n");
    assert_int_equal(remove("erg.lock.shapes"), 0);
    write_file("main.erg", "package t;\n"
                           "message Ping v1 { n: u64; }\n");
    run_result r = lock_run("");
    expect_run(&r, 1,
               "main.erg:2:1: error[EDITED_VERSION]: t.Ping v1 is "
               "locked (released) and its shape changed: (no "
               "recorded shape to compare with) (locked sha256:");
    free_result(&r);
}

/* ---- removed versions ---------------------------------------------------- */

static const char two_pings[] = "package t;\n"
                                "message Ping v1 { n: u32; }\n"
                                "message Ping v2 { n: u64; }\n"
                                "message Pong v1 { n: u64; }\n";

static void test_lock_removed_version_fails_even_with_update(void **state) {
    (void)state;
    lock_schema(two_pings);
    char *before = read_all("erg.lock");
    char *before_shapes = read_all("erg.lock.shapes");
    write_file("main.erg", "package t;\n"
                           "message Ping v2 { n: u64; }\n"
                           "message Pong v1 { n: u64; }\n");
    const char *want = "erg.lock:1:1: error[VERSION_REMOVED]: t.Ping v1 is "
                       "locked (released) and was removed from the schemas";
    run_result r = lock_run("");
    expect_run(&r, 1, want);
    free_result(&r);

    r = lock_run("--update");
    expect_run(&r, 1, want);
    free_result(&r);
    char *same = read_all("erg.lock");
    char *same_shapes = read_all("erg.lock.shapes");
    assert_string_equal(same, before);
    assert_string_equal(same_shapes, before_shapes);
    free(same);
    free(same_shapes);

    r = lock_run("--update --force");
    expect_run(&r, 0, "2 versions locked (0 added, 1 dropped)");
    free_result(&r);
    char *after = read_all("erg.lock");
    assert_null(strstr(after, "t.Ping v1 "));
    /* The other lines are kept byte for byte. */
    assert_string_equal(after, strchr(before, '\n') + 1);
    free(after);
    free(before);
    free(before_shapes);
    char *shapes = read_all("erg.lock.shapes");
    assert_null(strstr(shapes, "=== t.Ping v1\n"));
    free(shapes);
}

static void
test_lock_removed_deprecated_version_is_dropped_by_update(void **state) {
    (void)state;
    lock_schema("package t;\n"
                "@deprecated message Ping v1 { n: u32; }\n"
                "message Ping v2 { n: u64; }\n");
    char *before = read_all("erg.lock");
    assert_non_null(strstr(before, " deprecated\n"));
    write_file("main.erg", "package t;\n"
                           "message Ping v2 { n: u64; }\n");

    run_result r = lock_run("");
    expect_run(&r, 1,
               "erg.lock:1:1: error[VERSION_REMOVED]: t.Ping v1 was "
               "removed from the schemas; it is deprecated, so run "
               "'idlc lock --update' to drop its line");
    free_result(&r);
    char *same = read_all("erg.lock");
    assert_string_equal(same, before);
    free(same);

    r = lock_run("--update");
    expect_run(&r, 0, "1 version locked (0 added, 1 dropped)");
    free_result(&r);
    char *after = read_all("erg.lock");
    assert_string_equal(after, strchr(before, '\n') + 1);
    free(after);
    free(before);

    r = lock_run("");
    expect_run(&r, 0, NULL);
    free_result(&r);
}

/* ---- the lock file itself ------------------------------------------------ */

static void test_lock_malformed_lines_are_reported_at_their_line(void **state) {
    (void)state;
    write_file("main.erg", "package t;\n"
                           "message Ping v1 { n: u32; }\n");
    char *fp = fingerprint_of("t.Ping v1");
    const char *bad[] = {
        "t.Ping v1",                            /* no fingerprint */
        "t.Ping 1 sha256:%s",                   /* no 'v' */
        "t.Ping v0 sha256:%s",                  /* v0 */
        "t.Ping vx sha256:%s",                  /* not a number */
        "t.Ping v1 sha1:%s",                    /* other algorithm */
        "t.Ping v1 sha256:abc",                 /* short */
        "t.Ping v1 sha256:%s retired",          /* unknown flag */
        "t.Ping v1 sha256:%s deprecated extra", /* trailing token */
        "Ping v1 sha256:%s",                    /* no package */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char line[256], lock[1024];
        snprintf(line, sizeof(line), bad[i], fp);
        /* Comments and blank lines are skipped; the bad line is line 4. */
        snprintf(lock, sizeof(lock), "# erg.lock\n\nt.Ping v1 sha256:%s\n%s\n",
                 fp, line);
        write_file("erg.lock", lock);
        run_result r = lock_run("");
        expect_run(&r, 1, "erg.lock:4:1: error: malformed lock line");
        if (strstr(r.err, "erg.lock:3:") != NULL)
            fail_msg("line 3 is valid but was reported:\n%s", r.err);
        free_result(&r);
        /* --update does not paper over it. */
        r = lock_run("--update");
        expect_run(&r, 1, "erg.lock:4:1: error: malformed lock line");
        free_result(&r);
        char *kept = read_all("erg.lock");
        assert_string_equal(kept, lock);
        free(kept);
    }

    /* A version locked twice is an error at its second line. */
    char lock[1024];
    snprintf(lock, sizeof(lock), "t.Ping v1 sha256:%s\n\nt.Ping v1 sha256:%s\n",
             fp, fp);
    write_file("erg.lock", lock);
    run_result r = lock_run("");
    expect_run(&r, 1, "erg.lock:3:1: error: t.Ping v1 is locked twice");
    free_result(&r);

    /* CRLF line endings, comments and blank lines are fine. */
    snprintf(lock, sizeof(lock), "# released\r\n\r\nt.Ping v1 sha256:%s\r\n",
             fp);
    write_file("erg.lock", lock);
    r = lock_run("");
    expect_run(&r, 0, NULL);
    free_result(&r);
    free(fp);
}

static void test_lock_missing_lock_needs_update(void **state) {
    (void)state;
    write_file("main.erg", "package t;\n"
                           "message Ping v1 { n: u32; }\n");
    run_result r = lock_run("");
    expect_run(&r, 1, "idlc: error: cannot open lock file 'erg.lock'");
    free_result(&r);
    assert_false(exists("erg.lock"));
    r = lock_run("--update");
    expect_run(&r, 0, "1 version locked (1 added, 0 dropped)");
    free_result(&r);
}

static void test_lock_schema_errors_come_first(void **state) {
    (void)state;
    lock_schema("package t;\n"
                "message Ping v1 { n: u32; }\n");
    char *before = read_all("erg.lock");
    write_file("main.erg", "package t;\n"
                           "message Ping v1 { n: u33; }\n");
    run_result r = lock_run("--update --force");
    expect_run(&r, 1, "main.erg:2:22: error: unknown type 'u33'");
    assert_null(strstr(r.err, "EDITED_VERSION"));
    free_result(&r);
    char *after = read_all("erg.lock");
    assert_string_equal(after, before);
    free(after);
    free(before);
}

static void test_lock_usage_errors_exit_2(void **state) {
    (void)state;
    write_file("main.erg", "package t;\n"
                           "message Ping v1 { n: u32; }\n");
    char *no_lock[] = {"idlc", "lock", "main.erg"};
    char *no_schema[] = {"idlc", "lock", "--lock", "erg.lock"};
    char *dangling[] = {"idlc", "lock", "main.erg", "--lock"};
    char *force_alone[] = {"idlc",     "lock",    "--lock",
                           "erg.lock", "--force", "main.erg"};
    char *unknown[] = {"idlc",     "lock",         "--lock",
                       "erg.lock", "--frobnicate", "main.erg"};
    char *dangling_i[] = {"idlc",     "lock",     "--lock",
                          "erg.lock", "main.erg", "-I"};
    struct {
        int argc;
        char **argv;
        const char *says;
    } cases[] = {
        {3, no_lock, "lock needs --lock FILE and at least one schema"},
        {4, no_schema, "lock needs --lock FILE and at least one schema"},
        {4, dangling, "'--lock'"},
        {6, force_alone, "--force only applies with --update"},
        {6, unknown, "'--frobnicate'"},
        {6, dangling_i, "'-I'"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        run_result r = run_idlc(cases[i].argc, cases[i].argv);
        expect_run(&r, 2, cases[i].says);
        expect_run(&r, 2, "usage: idlc lock --lock FILE");
        free_result(&r);
    }
    /* Nothing was written by any of them. */
    assert_false(exists("erg.lock"));
}

/* ---- explanations of kind and bound changes ------------------------------ */

/* A bound added to or removed from a string or bytes is "re-bounded" (only
 * a bound changed), as it is for lists and maps; idlc says "retyped". */
static void test_lock_explains_string_bound_added_as_rebounded(void **state) {
    (void)state;
    check_edit_explained("  note: string;\n", "  note: string<80>;\n",
                         "field 'note' was re-bounded: string -> "
                         "string<80>");
}

/* A message version redeclared as an event with the same fields changes
 * kind; the explanation should say so instead of finding no difference. */
static void test_lock_explains_message_turned_event(void **state) {
    (void)state;
    lock_schema("package t;\n"
                "message Ping v1 { n: u32; }\n");
    write_file("main.erg", "package t;\n"
                           "event Ping v1 { n: u32; }\n");
    run_result r = lock_run("");
    expect_run(&r, 1, "changed from a message to an event");
    free_result(&r);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup_tmpdir, teardown_tmpdir)

int main(void) {
    const struct CMUnitTest tests[] = {
        T(test_lock_update_writes_sorted_lines_with_fingerprints),
        T(test_lock_verify_passes_and_update_is_idempotent),
        T(test_lock_update_adds_new_versions_and_keeps_the_rest),
        T(test_lock_deprecated_flag_follows_the_annotation),
        T(test_lock_explains_field_added),
        T(test_lock_explains_field_removed),
        T(test_lock_explains_field_renamed),
        T(test_lock_explains_field_retyped),
        T(test_lock_explains_field_rebounded),
        T(test_lock_explains_nested_field_rebounded),
        T(test_lock_explains_default_changed),
        T(test_lock_explains_fields_reordered),
        T(test_lock_explains_enum_value_moved),
        T(test_lock_explains_enum_member_added),
        T(test_lock_explains_nested_struct_moved_to_another_package),
        T(test_lock_update_force_rewrites_an_edited_line),
        T(test_lock_without_shapes_still_detects_an_edit),
        T(test_lock_removed_version_fails_even_with_update),
        T(test_lock_removed_deprecated_version_is_dropped_by_update),
        T(test_lock_malformed_lines_are_reported_at_their_line),
        T(test_lock_missing_lock_needs_update),
        T(test_lock_schema_errors_come_first),
        T(test_lock_usage_errors_exit_2),
        T(test_lock_explains_string_bound_added_as_rebounded),
        T(test_lock_explains_message_turned_event),
    };
    return cmocka_run_group_tests_name("idlc.lock", tests, NULL, NULL);
}
