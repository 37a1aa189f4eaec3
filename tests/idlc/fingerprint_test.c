/* SPDX-License-Identifier: MIT */
/* fingerprint_test.c: test vectors, invariance, sensitivity and wire ids. */
#include "testutil.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "fingerprint.h"
#include "idlc.h"

/* ---- the sketch's shop example, verbatim ------------------------------ */

static const char common_erg[] =
    "// shop/common.erg\n"
    "package shop.common;\n"
    "\n"
    "enum Currency : u8 { USD = 0; EUR = 1; GBP = 2; }\n"
    "\n"
    "struct Money {\n"
    "  amount: i64;                        // minor units\n"
    "  currency: Currency;\n"
    "}\n";

static const char payment_erg[] =
    "// shop/payment.erg\n"
    "package shop.payment;                 // C prefix: shop_payment_\n"
    "\n"
    "import \"shop/common.erg\";             // brings shop.common.Money, "
    "shop.common.Currency\n"
    "\n"
    "enum Status : u8 { OK = 0; DECLINED = 1; ERROR = 2; }\n"
    "\n"
    "struct LineItem {\n"
    "  sku: string<64>;                    // bounded: a longer string is a "
    "decode error\n"
    "  qty: u32;\n"
    "}\n"
    "\n"
    "union Method {                        // exactly one arm is set\n"
    "  card: string<19>;\n"
    "  iban: string<34>;\n"
    "  cash;                               // an arm with no payload\n"
    "}\n"
    "\n"
    "@deprecated(\"use ChargeRequest v2\")   // annotations never change a "
    "fingerprint; the runtime\n"
    "message ChargeRequest v1 {            // logs and counts each deprecated "
    "message it receives\n"
    "  order_id: u64;\n"
    "  amount: i64;\n"
    "}\n"
    "\n"
    "message ChargeRequest v2 {\n"
    "  order_id: u64;\n"
    "  total: shop.common.Money;\n"
    "  method: Method;\n"
    "  items: list<LineItem, 1000>;        // at most 1000 elements\n"
    "  note: optional string;\n"
    "  tags: map<string, string>;\n"
    "  priority: i32 = 0;                  // default, used when upgrading "
    "from v1\n"
    "}\n"
    "\n"
    "// v1 -> v2: fields with the same name and type carry over; the rest "
    "come from here or defaults.\n"
    "upgrade ChargeRequest v1 -> v2 {\n"
    "  total = { amount = amount, currency = USD };\n"
    "  method = cash;\n"
    "}\n"
    "// v2 -> v1, for receivers that only know v1. Omit it and v2 cannot "
    "reach a v1-only node.\n"
    "downgrade ChargeRequest v2 -> v1 {\n"
    "  amount = total.amount;\n"
    "}\n"
    "\n"
    "message RefundRequest v1 {\n"
    "  transaction_id: string;\n"
    "}\n"
    "\n"
    "message ChargeResponse v1 {\n"
    "  transaction_id: string;\n"
    "  status: Status;\n"
    "  at: time;                           // nanoseconds since the epoch\n"
    "}\n"
    "\n"
    "event Charged v1 {                     // an event: published, not sent "
    "to one actor\n"
    "  order_id: u64;\n"
    "  by: pid;                            // built-ins: pid, ref, alias, "
    "atom, time, duration\n"
    "}\n"
    "\n"
    "actor PaymentService {\n"
    "  call ChargeRequest v1, v2 -> ChargeResponse v1;   // synchronous "
    "request and its response\n"
    "  cast RefundRequest v1 important;                  // asynchronous; "
    "important = delivery confirmed\n"
    "  publishes Charged v1;\n"
    "}\n"
    "\n"
    "actor Ledger {\n"
    "  subscribes Charged v1;                            // receives "
    "published Charged events\n"
    "}\n";

/* The same two files reformatted: other whitespace and CRLF line ends,
 * comments added and dropped, the annotation moved from v1 to v2,
 * declarations and enum members reordered. Nothing here may change a
 * fingerprint. */
static const char common_reformatted[] =
    "/* The common types. */\r\n"
    "package   shop.common ;\r\n"
    "struct Money{amount:i64;currency:Currency;}\r\n"
    "enum Currency:u8{\r\n"
    "    GBP = 2;   // pounds\r\n"
    "    USD = 0x0;\r\n"
    "    EUR = 1;\r\n"
    "}\r\n";

static const char payment_reformatted[] =
    "package shop.payment;\n"
    "import \"shop/common.erg\";\n"
    "actor Ledger { subscribes Charged v1; }\n"
    "downgrade ChargeRequest v2 -> v1 { amount = total.amount; }\n"
    "upgrade ChargeRequest v1 -> v2 {\n"
    "    method = cash;\n"
    "    total = { currency = shop.common.Currency.USD, amount = amount };\n"
    "}\n"
    "@deprecated\n"
    "message ChargeRequest v2 {\n"
    "    order_id : u64 ;\n"
    "    total : shop.common.Money ;\n"
    "    method : Method ;\n"
    "    items : list < LineItem , 1000 > ;\n"
    "    note : optional string ;\n"
    "    tags : map < string , string > ;\n"
    "    priority : i32 = 0x0 ;\n"
    "}\n"
    "message ChargeRequest v1 { order_id: u64; /* id */ amount: i64; }\n"
    "union Method { card: string<19>; iban: string<34>; cash; }\n"
    "struct LineItem {\n"
    "\tsku: string<64>;\n"
    "\tqty: u32;\n"
    "}\n"
    "message RefundRequest v1 { transaction_id: string; }\n"
    "event Charged v1 { order_id: u64; by: pid; }\n"
    "message ChargeResponse v1 { transaction_id: string; status: Status; "
    "at: time; }\n"
    "enum Status : u8 { ERROR = 2; DECLINED = 1; OK = 0; }\n"
    "actor PaymentService {\n"
    "    publishes Charged v1;\n"
    "    cast RefundRequest v1 important;\n"
    "    call ChargeRequest v1, v2 -> ChargeResponse v1;\n"
    "}\n";

/* The test vectors of docs/fingerprint.md, computed there by an encoder
 * written apart from idlc. */
static const struct {
    const char *qname;
    uint32_t version;
    const char *hex;
} vectors[] = {
    {"shop.payment.ChargeRequest", 1,
     "2369241024ce4ae8bfdfc90ad24cc1a17b437c987c6b3fd92d3df262993696ad"},
    {"shop.payment.ChargeRequest", 2,
     "dc12a8c87e7c82f51633b9cc71048633d8a20f182b35b78daf504fb497e0610b"},
    {"shop.payment.RefundRequest", 1,
     "0faa2cea74c9e3a9557adc629d58273f59c283a899a62a33b7cf4d75bab29bd9"},
    {"shop.payment.ChargeResponse", 1,
     "7a3422854711b3dabed93fe11e6974fd72191bcb2c5aa8a627d0cf4e3ac36b2f"},
    {"shop.payment.Charged", 1,
     "5aab9edb18c46b7ec558b40a6fcd43957b1ee5e01f180163e650dd4c64935245"},
};
enum { NVECTORS = sizeof(vectors) / sizeof(vectors[0]) };

/* ChargeRequest v1's canonical form, byte for byte (docs/fingerprint.md). */
/* clang-format off */
static const char charge_v1_canon[] =
    "6572672d6670" "01"                          /* "erg-fp", format 1 */
    "01"                                         /* a message */
    "1a000000"                                   /* 26 bytes: */
    "73686f702e7061796d656e742e"                 /*   "shop.payment." */
    "43686172676552657175657374"                 /*   "ChargeRequest" */
    "01000000"                                   /* version 1 */
    "02000000"                                   /* 2 fields */
    "08000000" "6f726465725f6964" "09" "00"      /* order_id: u64 */
    "06000000" "616d6f756e74" "05" "00";         /* amount: i64 */
/* clang-format on */

/* ---- helpers ------------------------------------------------------------ */

typedef struct schema {
    idl_ctx *ctx;
    FILE *diag;
} schema;

/* Loads `root` from the in-memory files and checks everything; fails the
 * test, printing the diagnostics, if the schemas are not clean. */
static void schema_load(schema *s, const idl_memfile *files, int nfiles,
                        const char *root) {
    s->diag = tmpfile();
    assert_non_null(s->diag);
    idl_options opts = {
        .memfiles = files, .nmemfiles = nfiles, .diag_out = s->diag};
    s->ctx = idl_ctx_new(&opts);
    assert_non_null(s->ctx);
    assert_non_null(idl_load(s->ctx, root));
    if (s->ctx->errors == 0)
        idl_check(s->ctx);
    if (s->ctx->errors != 0) {
        char line[512];
        rewind(s->diag);
        while (fgets(line, sizeof(line), s->diag) != NULL)
            fputs(line, stderr);
        fail_msg("%d errors in %s", s->ctx->errors, root);
    }
}

static void schema_free(schema *s) {
    idl_ctx_free(s->ctx);
    fclose(s->diag);
}

static idl_decl *schema_find(schema *s, const char *qname, uint32_t version) {
    for (idl_file *f = s->ctx->files.first; f != NULL; f = f->next) {
        for (idl_decl *d = f->decls.first; d != NULL; d = d->next) {
            bool versioned = d->kind == IDL_D_MESSAGE || d->kind == IDL_D_EVENT;
            if (d->qname != NULL && strcmp(d->qname, qname) == 0 &&
                (!versioned || d->version == version))
                return d;
        }
    }
    fail_msg("%s v%u not found", qname, (unsigned)version);
    return NULL;
}

/* The fingerprint of qname vN as hex. The checker computes it; computing it
 * again must give the same bytes. */
static void schema_fp(schema *s, const char *qname, uint32_t version,
                      char hex[65]) {
    idl_decl *d = schema_find(s, qname, version);
    uint8_t by_checker[32];
    memcpy(by_checker, d->fingerprint, sizeof(by_checker));
    idl_fingerprint_decl(s->ctx, d);
    static const uint8_t zero[32];
    if (memcmp(by_checker, zero, sizeof(zero)) != 0)
        assert_memory_equal(by_checker, d->fingerprint, 32);
    idl_fingerprint_hex(d->fingerprint, hex);
}

/* The fingerprint of qname vN, from a single file named "t.erg". */
static void fp_of_text(const char *text, const char *qname, uint32_t version,
                       char hex[65]) {
    idl_memfile f = {"t.erg", text, strlen(text)};
    schema s;
    schema_load(&s, &f, 1, "t.erg");
    schema_fp(&s, qname, version, hex);
    schema_free(&s);
}

/* The fingerprint of ChargeRequest v2 from the shop files. */
static void fp_of_shop(const char *common, const char *payment,
                       const char *qname, uint32_t version, char hex[65]) {
    idl_memfile files[] = {
        {"shop/common.erg", common, strlen(common)},
        {"shop/payment.erg", payment, strlen(payment)},
    };
    schema s;
    schema_load(&s, files, 2, "shop/payment.erg");
    schema_fp(&s, qname, version, hex);
    schema_free(&s);
}

/* `text` with every occurrence of `from` replaced by `to` (at least one).
 * The caller frees the result. */
static char *replace(const char *text, const char *from, const char *to) {
    size_t nfrom = strlen(from), nto = strlen(to), n = 0;
    for (const char *p = strstr(text, from); p != NULL;
         p = strstr(p + nfrom, from))
        n++;
    if (n == 0)
        fail_msg("'%s' does not occur", from);
    char *out = malloc(strlen(text) + n * nto + 1);
    assert_non_null(out);
    char *o = out;
    const char *p = text, *hit;
    while ((hit = strstr(p, from)) != NULL) {
        memcpy(o, p, (size_t)(hit - p));
        o += hit - p;
        memcpy(o, to, nto);
        o += nto;
        p = hit + nfrom;
    }
    strcpy(o, p);
    return out;
}

static const char charge[] = "shop.payment.ChargeRequest";

/* ChargeRequest v2 after an edit of payment.erg must not keep its
 * fingerprint. */
static void assert_payment_edit_changes_v2(const char *from, const char *to) {
    char base[65], edited[65];
    fp_of_shop(common_erg, payment_erg, charge, 2, base);
    char *payment = replace(payment_erg, from, to);
    fp_of_shop(common_erg, payment, charge, 2, edited);
    free(payment);
    if (strcmp(base, edited) == 0)
        fail_msg("'%s' -> '%s' kept the fingerprint %s", from, to, base);
}

static void assert_common_edit_changes_v2(const char *from, const char *to) {
    char base[65], edited[65];
    fp_of_shop(common_erg, payment_erg, charge, 2, base);
    char *common = replace(common_erg, from, to);
    fp_of_shop(common, payment_erg, charge, 2, edited);
    free(common);
    if (strcmp(base, edited) == 0)
        fail_msg("'%s' -> '%s' kept the fingerprint %s", from, to, base);
}

/* Two one-file schemas: M v1 must differ (or not) between them. */
static void assert_texts_differ(const char *a, const char *b) {
    char fa[65], fb[65];
    fp_of_text(a, "t.M", 1, fa);
    fp_of_text(b, "t.M", 1, fb);
    if (strcmp(fa, fb) == 0)
        fail_msg("same fingerprint %s for\n%s\nand\n%s", fa, a, b);
}

static void assert_texts_same(const char *a, const char *b) {
    char fa[65], fb[65];
    fp_of_text(a, "t.M", 1, fa);
    fp_of_text(b, "t.M", 1, fb);
    if (strcmp(fa, fb) != 0)
        fail_msg("%s for\n%s\nbut %s for\n%s", fa, a, fb, b);
}

static void hex_of(const uint8_t *p, size_t n, char *out) {
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", p[i]);
    out[2 * n] = '\0';
}

/* Occurrences of tag + length-prefixed qname in a canonical dump. */
static int count_named(const idl_canon *c, uint8_t tag, const char *qname) {
    size_t n = strlen(qname);
    uint8_t pat[128];
    assert_true(n + 5 <= sizeof(pat));
    pat[0] = tag;
    for (int i = 0; i < 4; i++)
        pat[1 + i] = (uint8_t)(n >> (8 * i));
    memcpy(pat + 5, qname, n);
    int count = 0;
    for (size_t i = 0; i + n + 5 <= c->len; i++)
        if (memcmp(c->data + i, pat, n + 5) == 0)
            count++;
    return count;
}

/* ---- tests -------------------------------------------------------------- */

static void test_fingerprint_matches_sketch_test_vectors(void **state) {
    (void)state;
    idl_memfile files[] = {
        {"shop/common.erg", common_erg, strlen(common_erg)},
        {"shop/payment.erg", payment_erg, strlen(payment_erg)},
    };
    schema s;
    schema_load(&s, files, 2, "shop/payment.erg");
    for (int i = 0; i < NVECTORS; i++) {
        char hex[65];
        schema_fp(&s, vectors[i].qname, vectors[i].version, hex);
        if (strcmp(hex, vectors[i].hex) != 0)
            fail_msg("%s v%u: %s, expected %s", vectors[i].qname,
                     (unsigned)vectors[i].version, hex, vectors[i].hex);
    }
    schema_free(&s);
}

static void
test_canonical_dump_of_charge_request_v1_is_documented(void **state) {
    (void)state;
    idl_memfile files[] = {
        {"shop/common.erg", common_erg, strlen(common_erg)},
        {"shop/payment.erg", payment_erg, strlen(payment_erg)},
    };
    schema s;
    schema_load(&s, files, 2, "shop/payment.erg");
    idl_canon c = {0};
    idl_canonical_dump(schema_find(&s, charge, 1), &c);
    char *hex = malloc(2 * c.len + 1);
    assert_non_null(hex);
    hex_of(c.data, c.len, hex);
    assert_string_equal(hex, charge_v1_canon);
    free(hex);
    idl_canon_fini(&c);
    idl_canon_fini(&c); /* idempotent */
    schema_free(&s);
}

static void
test_fingerprint_ignores_formatting_order_and_annotations(void **state) {
    (void)state;
    for (int i = 0; i < NVECTORS; i++) {
        char hex[65];
        fp_of_shop(common_reformatted, payment_reformatted, vectors[i].qname,
                   vectors[i].version, hex);
        if (strcmp(hex, vectors[i].hex) != 0)
            fail_msg("%s v%u: %s once reformatted, expected %s",
                     vectors[i].qname, (unsigned)vectors[i].version, hex,
                     vectors[i].hex);
    }
}

static void test_fingerprint_normalises_default_spelling(void **state) {
    (void)state;
    /* A default is its value, not its spelling. */
    assert_texts_same("package t; message M v1 { r: f64 = 1; }",
                      "package t; message M v1 { r: f64 = 1.0; }");
    assert_texts_same("package t; message M v1 { r: u32 = 16; }",
                      "package t; message M v1 { r: u32 = 0x10; }");
    assert_texts_same("package t; enum E : u8 { A = 1; B = 2; }"
                      " message M v1 { e: E = B; }",
                      "package t; enum E : u8 { A = 1; B = 2; }"
                      " message M v1 { e: E = t.E.B; }");
    assert_texts_same("package t; enum E : u8 { A = 1; B = 2; }"
                      " message M v1 { e: E = E.B; }",
                      "package t; enum E : u8 { B = 2; A = 1; }"
                      " message M v1 { e: E = B; }");
    /* An f32 holds the rounded value: two literals that round alike. */
    assert_texts_same("package t; message M v1 { r: f32 = 0.1; }",
                      "package t; message M v1 { r: f32 = 0.100000001; }");
}

static void test_fingerprint_changes_with_field_names_and_types(void **state) {
    (void)state;
    assert_payment_edit_changes_v2("priority: i32", "prio: i32");
    assert_payment_edit_changes_v2("priority: i32", "priority: i64");
    assert_payment_edit_changes_v2("note: optional string;",
                                   "note: optional string<10>;");
    assert_payment_edit_changes_v2("note: optional string;",
                                   "note: optional bytes;");
    assert_payment_edit_changes_v2("note: optional string;",
                                   "note: list<string>;");
    assert_payment_edit_changes_v2("tags: map<string, string>;",
                                   "tags: map<string, string, 8>;");
    assert_payment_edit_changes_v2("tags: map<string, string>;",
                                   "tags: map<u32, string>;");
    assert_payment_edit_changes_v2("tags: map<string, string>;",
                                   "tags: map<string, bytes>;");
    assert_payment_edit_changes_v2("list<LineItem, 1000>",
                                   "list<LineItem, 999>");
    assert_payment_edit_changes_v2("list<LineItem, 1000>", "list<LineItem>");
    /* Inside nested types too. */
    assert_payment_edit_changes_v2("sku: string<64>", "sku: string<65>");
    assert_payment_edit_changes_v2("qty: u32", "quantity: u32");
    assert_payment_edit_changes_v2("card: string<19>", "card: string<20>");
    assert_payment_edit_changes_v2("iban: string<34>;", "iban;");
    assert_common_edit_changes_v2("amount: i64;  ",
                                  "amount: i64; scale: u8 = 2;  ");
}

static void test_fingerprint_changes_with_defaults(void **state) {
    (void)state;
    assert_payment_edit_changes_v2("priority: i32 = 0;", "priority: i32 = 1;");
    assert_payment_edit_changes_v2("priority: i32 = 0;", "priority: i32 = -1;");
    assert_texts_differ("package t; message M v1 { s: string; }",
                        "package t; message M v1 { s: string = \"\"; }");
    assert_texts_differ("package t; message M v1 { s: string = \"a\"; }",
                        "package t; message M v1 { s: string = \"b\"; }");
    assert_texts_differ("package t; message M v1 { b: bool = false; }",
                        "package t; message M v1 { b: bool = true; }");
    assert_texts_differ("package t; message M v1 { r: f64 = 0.5; }",
                        "package t; message M v1 { r: f64 = 0.25; }");
    assert_texts_differ(
        "package t; enum E : u8 { A = 1; B = 2; } message M v1 { e: E = A; }",
        "package t; enum E : u8 { A = 1; B = 2; } message M v1 { e: E = B; }");
    /* A default inside a nested struct counts as well. */
    assert_texts_differ(
        "package t; struct S { x: u8 = 1; } message M v1 { s: S; }",
        "package t; struct S { x: u8 = 2; } message M v1 { s: S; }");
}

static void
test_fingerprint_changes_when_nested_type_renamed_or_moved(void **state) {
    (void)state;
    char base[65], edited[65];
    fp_of_shop(common_erg, payment_erg, charge, 2, base);

    char *renamed = replace(payment_erg, "LineItem", "Item");
    fp_of_shop(common_erg, renamed, charge, 2, edited);
    free(renamed);
    assert_string_not_equal(base, edited);

    /* Money moves from shop.common to shop.payment, shape unchanged. */
    char *common = replace(common_erg,
                           "struct Money {\n"
                           "  amount: i64;                        // minor "
                           "units\n"
                           "  currency: Currency;\n"
                           "}\n",
                           "");
    char *tmp =
        replace(payment_erg, "total: shop.common.Money;", "total: Money;");
    char *payment = replace(tmp, "struct LineItem {",
                            "struct Money { amount: i64; currency: "
                            "shop.common.Currency; }\nstruct LineItem {");
    fp_of_shop(common, payment, charge, 2, edited);
    free(common);
    free(tmp);
    free(payment);
    assert_string_not_equal(base, edited);

    /* The message itself renamed. */
    fp_of_text("package t; message M v1 { x: u8; }", "t.M", 1, base);
    fp_of_text("package t; message N v1 { x: u8; }", "t.N", 1, edited);
    assert_string_not_equal(base, edited);
}

static void test_fingerprint_changes_with_enum_members(void **state) {
    (void)state;
    assert_common_edit_changes_v2("GBP = 2;", "GBP = 3;");
    assert_common_edit_changes_v2("GBP = 2;", "GBX = 2;");
    assert_common_edit_changes_v2("GBP = 2; }", "GBP = 2; CHF = 3; }");
    assert_common_edit_changes_v2("enum Currency : u8", "enum Currency : u16");
    /* Signed values sort below zero. */
    assert_texts_differ(
        "package t; enum E : i8 { A = -1; B = 1; } message M v1 { e: E; }",
        "package t; enum E : i8 { A = 1; B = -1; } message M v1 { e: E; }");
}

static void test_fingerprint_changes_with_field_and_arm_order(void **state) {
    (void)state;
    assert_payment_edit_changes_v2("  note: optional string;\n"
                                   "  tags: map<string, string>;\n",
                                   "  tags: map<string, string>;\n"
                                   "  note: optional string;\n");
    assert_payment_edit_changes_v2("  card: string<19>;\n"
                                   "  iban: string<34>;\n",
                                   "  iban: string<34>;\n"
                                   "  card: string<19>;\n");
    assert_common_edit_changes_v2("  amount: i64;                        "
                                  "// minor units\n"
                                  "  currency: Currency;\n",
                                  "  currency: Currency;\n"
                                  "  amount: i64;\n");
}

static void test_fingerprint_changes_with_kind_and_version(void **state) {
    (void)state;
    char a[65], b[65];
    fp_of_text("package t; message M v1 { x: u8; }", "t.M", 1, a);
    fp_of_text("package t; event M v1 { x: u8; }", "t.M", 1, b);
    assert_string_not_equal(a, b);
    fp_of_text("package t; message M v2 { x: u8; }", "t.M", 2, b);
    assert_string_not_equal(a, b);
    fp_of_text("package u; message M v1 { x: u8; }", "u.M", 1, b);
    assert_string_not_equal(a, b);
}

/* Length prefixes keep neighbouring names from running into each other. */
static void test_fingerprint_keeps_names_apart(void **state) {
    (void)state;
    assert_texts_differ(
        "package t; struct Ab { c: u8; } message M v1 { s: Ab; }",
        "package t; struct A { bc: u8; } message M v1 { s: A; }");
    assert_texts_differ("package t; message M v1 { a: u8; b: u8; }",
                        "package t; message M v1 { a: u8; }");
}

static void test_fingerprint_of_recursive_types_terminates(void **state) {
    (void)state;
    static const char text[] =
        "package t;\n"
        "struct Node { value: i32; next: optional Node; }\n"
        "struct A { b: optional B; }\n"
        "struct B { a: list<A>; node: Node; }\n"
        "message M v1 { head: optional Node; all: list<Node>; a: A; }\n";
    idl_memfile f = {"t.erg", text, strlen(text)};
    schema s;
    schema_load(&s, &f, 1, "t.erg");
    idl_canon c = {0};
    idl_canonical_dump(schema_find(&s, "t.M", 1), &c);
    /* Each type is spelled out once; every later mention is a reference. */
    assert_int_equal(count_named(&c, 0x31, "t.Node"), 1);
    assert_int_equal(count_named(&c, 0x3f, "t.Node"), 3);
    assert_int_equal(count_named(&c, 0x31, "t.A"), 1);
    assert_int_equal(count_named(&c, 0x3f, "t.A"), 1);
    assert_int_equal(count_named(&c, 0x31, "t.B"), 1);
    assert_int_equal(count_named(&c, 0x3f, "t.B"), 0);
    idl_canon_fini(&c);
    char hex[65];
    schema_fp(&s, "t.M", 1, hex);
    assert_int_equal(strlen(hex), 64);
    schema_free(&s);
}

static void test_wire_id_is_first_eight_bytes_of_sha256(void **state) {
    (void)state;
    uint8_t md[32];
    unsigned int n = 0;
    EVP_MD_CTX *mc = EVP_MD_CTX_new();
    assert_non_null(mc);
    assert_int_equal(EVP_DigestInit_ex(mc, EVP_sha256(), NULL), 1);
    /* Fed in two pieces, unlike the one-shot digest under test. */
    assert_int_equal(EVP_DigestUpdate(mc, "shop.payment.", 13), 1);
    assert_int_equal(EVP_DigestUpdate(mc, "ChargeRequest", 13), 1);
    assert_int_equal(EVP_DigestFinal_ex(mc, md, &n), 1);
    EVP_MD_CTX_free(mc);
    assert_int_equal(n, 32);
    uint64_t want = 0;
    for (int i = 0; i < 8; i++)
        want = want << 8 | md[i];
    assert_true(idl_wire_id(charge) == want);
    assert_true(idl_wire_id(charge) == UINT64_C(0xa6ea92ec04f29430));
    /* The other wire ids of docs/fingerprint.md. */
    assert_true(idl_wire_id("shop.payment.RefundRequest") ==
                UINT64_C(0x541200c2baa17a41));
    assert_true(idl_wire_id("shop.payment.ChargeResponse") ==
                UINT64_C(0x23ae79f511fe97e1));
    assert_true(idl_wire_id("shop.payment.Charged") ==
                UINT64_C(0x07421c4ca991db80));

    /* The checker stores it on every version of the message. */
    idl_memfile files[] = {
        {"shop/common.erg", common_erg, strlen(common_erg)},
        {"shop/payment.erg", payment_erg, strlen(payment_erg)},
    };
    schema s;
    schema_load(&s, files, 2, "shop/payment.erg");
    for (uint32_t v = 1; v <= 2; v++) {
        idl_decl *d = schema_find(&s, charge, v);
        idl_fingerprint_decl(s.ctx, d);
        assert_true(d->wire_id == want);
    }
    schema_free(&s);
}

static void test_fingerprint_hex_is_lowercase(void **state) {
    (void)state;
    uint8_t fp[32];
    for (int i = 0; i < 32; i++)
        fp[i] = (uint8_t)(i * 8 + 7);
    char hex[65];
    idl_fingerprint_hex(fp, hex);
    assert_string_equal(hex, "070f171f272f373f474f575f676f777f"
                             "878f979fa7afb7bfc7cfd7dfe7eff7ff");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fingerprint_matches_sketch_test_vectors),
        cmocka_unit_test(
            test_canonical_dump_of_charge_request_v1_is_documented),
        cmocka_unit_test(
            test_fingerprint_ignores_formatting_order_and_annotations),
        cmocka_unit_test(test_fingerprint_normalises_default_spelling),
        cmocka_unit_test(test_fingerprint_changes_with_field_names_and_types),
        cmocka_unit_test(test_fingerprint_changes_with_defaults),
        cmocka_unit_test(
            test_fingerprint_changes_when_nested_type_renamed_or_moved),
        cmocka_unit_test(test_fingerprint_changes_with_enum_members),
        cmocka_unit_test(test_fingerprint_changes_with_field_and_arm_order),
        cmocka_unit_test(test_fingerprint_changes_with_kind_and_version),
        cmocka_unit_test(test_fingerprint_keeps_names_apart),
        cmocka_unit_test(test_fingerprint_of_recursive_types_terminates),
        cmocka_unit_test(test_wire_id_is_first_eight_bytes_of_sha256),
        cmocka_unit_test(test_fingerprint_hex_is_lowercase),
    };
    return cmocka_run_group_tests_name("idlc.fingerprint", tests, NULL, NULL);
}
