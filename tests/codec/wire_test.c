/* SPDX-License-Identifier: MIT */
/* wire_test.c: the generic codec (runtime/src/codec/wire.c) through the
 * code idlc generates for the kitchen-sink and shop schemas. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "erg/codec.h"
#include "kitchen/sink.h"
#include "shop/payment.h"
#include "samples.h"
#include "values.h"

/* Every described type of the two schema sets (samples.c). */
#define all_descs tv_descs
#define NDESCS    tv_ndescs

/* Encodes v, decodes it, encodes the result again: equal bytes show the
 * decoded value holds everything the first one did. Returns the size. */
static size_t round_trip(const erg_codec_desc_t *d, const void *v) {
    size_t size = 0, len = 0, len2 = 0;
    ERG_PASS(erg_codec_encoded_size(d, v, &size));
    uint8_t *buf = malloc(size + 1), *buf2 = malloc(size + 1);
    assert_non_null(buf);
    assert_non_null(buf2);
    ERG_PASS(erg_codec_encode(d, v, buf, size, &len));
    assert_int_equal(len, size);
    void *back = NULL;
    ERG_PASS(erg_codec_decode(d, buf, len, &back));
    ERG_PASS(erg_codec_encode(d, back, buf2, size + 1, &len2));
    assert_int_equal(len2, len);
    assert_memory_equal(buf, buf2, len);
    erg_codec_free(d, back);
    free(buf);
    free(buf2);
    return len;
}

/* Encodes v into a fresh malloc'd buffer. */
static uint8_t *encode_new(const erg_codec_desc_t *d, const void *v,
                           size_t *len) {
    size_t size;
    ERG_PASS(erg_codec_encoded_size(d, v, &size));
    uint8_t *buf = malloc(size ? size : 1);
    assert_non_null(buf);
    ERG_PASS(erg_codec_encode(d, v, buf, size, len));
    return buf;
}

/* ---- round trips --------------------------------------------------------- */

static shop_payment_line_item_t items[2] = {
    {{"sku-1", 5}, 3},
    {{"\xc3\xa9t\xc3\xa9", 6}, 1},
};
static shop_payment_charge_request_v2_tags_entry_t tags[1] = {
    {{"channel", 7}, {"web", 3}},
};

static void fill_charge(shop_payment_charge_request_v2_t *m, erg_str_t *note) {
    *m = (shop_payment_charge_request_v2_t)SHOP_PAYMENT_CHARGE_REQUEST_V2_INIT;
    m->order_id = 42;
    m->total.amount = -1999;
    m->total.currency = SHOP_COMMON_CURRENCY_EUR;
    m->method.tag = SHOP_PAYMENT_METHOD_CARD;
    m->method.u.card = ERG_STR("4111111111111111");
    m->items.ptr = items;
    m->items.len = 2;
    m->note = note;
    m->tags.ptr = tags;
    m->tags.len = 1;
    m->priority = 7;
}

static void test_charge_request_round_trips_field_by_field(void **state) {
    (void)state;
    erg_str_t note = ERG_STR("leave at the door");
    shop_payment_charge_request_v2_t m;
    fill_charge(&m, &note);
    uint8_t buf[256];
    size_t len;
    ERG_PASS(shop_payment_charge_request_v2_encode(&m, buf, sizeof buf, &len));
    shop_payment_charge_request_v2_t *d = NULL;
    ERG_PASS(shop_payment_charge_request_v2_decode(buf, len, &d));
    assert_int_equal(d->order_id, 42);
    assert_int_equal(d->total.amount, -1999);
    assert_int_equal(d->total.currency, SHOP_COMMON_CURRENCY_EUR);
    assert_int_equal(d->method.tag, SHOP_PAYMENT_METHOD_CARD);
    assert_string_equal(d->method.u.card.ptr, "4111111111111111");
    assert_int_equal(d->items.len, 2);
    assert_string_equal(d->items.ptr[1].sku.ptr, "\xc3\xa9t\xc3\xa9");
    assert_int_equal(d->items.ptr[0].qty, 3);
    assert_non_null(d->note);
    assert_int_equal(d->note->len, note.len);
    assert_memory_equal(d->note->ptr, note.ptr, note.len);
    assert_int_equal(d->tags.len, 1);
    assert_string_equal(d->tags.ptr[0].value.ptr, "web");
    assert_int_equal(d->priority, 7);
    shop_payment_charge_request_v2_free(d);

    /* Absent optional, empty list and map, a payload-less arm. */
    fill_charge(&m, NULL);
    m.items.len = 0;
    m.tags.len = 0;
    m.method.tag = SHOP_PAYMENT_METHOD_CASH;
    ERG_PASS(shop_payment_charge_request_v2_encode(&m, buf, sizeof buf, &len));
    ERG_PASS(shop_payment_charge_request_v2_decode(buf, len, &d));
    assert_null(d->note);
    assert_int_equal(d->items.len, 0);
    assert_int_equal(d->method.tag, SHOP_PAYMENT_METHOD_CASH);
    shop_payment_charge_request_v2_free(d);
}

static void test_every_kitchen_type_round_trips(void **state) {
    (void)state;
    tv_rng r = {0x5eed0001};
    for (size_t i = 0; i < NDESCS; i++) {
        for (int k = 0; k < 20; k++) {
            tv_arena a = {0};
            void *v = tv_alloc(&a, all_descs[i]->size);
            tv_random(&r, &a, all_descs[i], v, 4, 6);
            round_trip(all_descs[i], v);
            tv_arena_fini(&a);
        }
    }
}

static void test_random_values_round_trip_with_seed(void **state) {
    (void)state;
    /* Many values per type; the seed is printed so a failure reproduces. */
    uint64_t seed = 0x9e3779b97f4a7c15u;
    const char *env = getenv("ERG_CODEC_SEED");
    if (env != NULL)
        seed = strtoull(env, NULL, 0);
    print_message("codec round-trip seed 0x%llx\n", (unsigned long long)seed);
    tv_rng r = {seed};
    for (int k = 0; k < 300; k++) {
        for (size_t i = 0; i < NDESCS; i++) {
            tv_arena a = {0};
            void *v = tv_alloc(&a, all_descs[i]->size);
            tv_random(&r, &a, all_descs[i], v, 1 + (int)(tv_next(&r) % 6),
                      1 + (int)(tv_next(&r) % 8));
            round_trip(all_descs[i], v);
            tv_arena_fini(&a);
        }
    }
}

static void test_defaults_come_from_the_initializer(void **state) {
    (void)state;
    kitchen_sink_scalars_t s = KITCHEN_SINK_SCALARS_INIT;
    assert_true(s.b);
    assert_int_equal(s.i8v, -128);
    assert_int_equal(s.i32v, INT32_MIN);
    assert_true(s.u64v == UINT64_MAX);
    assert_true(s.f32v == 3.5f);
    assert_int_equal(s.s.len, strlen("h\xc3\xa9llo \"w\"\n\t\\"));
    assert_memory_equal(s.rb.ptr, "\x01\x02", 2);
    assert_int_equal(s.level, KITCHEN_TYPES_LEVEL_HIGH);
    assert_int_equal(s.dur, -5);
    kitchen_sink_everything_v2_t e = KITCHEN_SINK_EVERYTHING_V2_INIT;
    assert_int_equal(e.kind, KITCHEN_SINK_SMALL_MAX);
    assert_int_equal(e.scalars.u16v, 65535);
    assert_string_equal(kitchen_types_level_name(KITCHEN_TYPES_LEVEL_LOW),
                        "LOW");
    assert_null(kitchen_types_level_name(7));
    assert_true(kitchen_sink_big_values[0] == UINT64_MAX);
}

static void test_message_header_carries_id_version_and_length(void **state) {
    (void)state;
    shop_payment_refund_request_v1_t m = {ERG_STR("tx-1")};
    uint8_t buf[64];
    size_t len;
    ERG_PASS(erg_codec_encode_msg(&shop_payment_refund_request_v1_desc, &m, buf,
                                  sizeof buf, &len));
    assert_int_equal(len, ERG_CODEC_HEADER_SIZE + 5);
    erg_codec_header_t h;
    ERG_PASS(erg_codec_header_read(buf, len, &h));
    assert_true(h.wire_id == SHOP_PAYMENT_REFUND_REQUEST_WIRE_ID);
    assert_int_equal(h.version, 1);
    assert_int_equal(h.length, 5);
    void *out;
    ERG_PASS(erg_codec_decode_msg(&shop_payment_refund_request_v1_desc, buf,
                                  len, &out));
    erg_codec_free(&shop_payment_refund_request_v1_desc, out);
    ERG_FAIL(erg_codec_decode_msg(&shop_payment_charge_request_v1_desc, buf,
                                  len, &out),
             ERG_EINVAL);
    buf[8] = 9; /* version 9 */
    ERG_FAIL(erg_codec_decode_msg(&shop_payment_refund_request_v1_desc, buf,
                                  len, &out),
             ERG_EVERSION);
    buf[8] = 1;
    ERG_FAIL(erg_codec_decode_msg(&shop_payment_refund_request_v1_desc, buf,
                                  len - 1, &out),
             ERG_ETRUNCATED);
    ERG_FAIL(erg_codec_header_read(buf, 15, &h), ERG_ETRUNCATED);
}

/* ---- encode-side checks -------------------------------------------------- */

static void test_encode_checks_bounds_utf8_tags_and_room(void **state) {
    (void)state;
    shop_payment_line_item_t li = {ERG_STR("x"), 1};
    uint8_t buf[128];
    size_t len;
    char long_sku[65];
    memset(long_sku, 'a', sizeof long_sku);
    li.sku = (erg_str_t){long_sku, 65};
    ERG_FAIL(erg_codec_encode(&shop_payment_line_item_desc, &li, buf,
                              sizeof buf, &len),
             ERG_EBOUNDS);
    li.sku = (erg_str_t){"\xff", 1};
    ERG_FAIL(erg_codec_encode(&shop_payment_line_item_desc, &li, buf,
                              sizeof buf, &len),
             ERG_EUTF8);
    li.sku = ERG_STR("ok");
    ERG_FAIL(erg_codec_encode(&shop_payment_line_item_desc, &li, buf, 3, &len),
             ERG_ETOOBIG);
    shop_payment_method_t m = {0};
    m.tag = (shop_payment_method_tag_t)3;
    ERG_FAIL(
        erg_codec_encode(&shop_payment_method_desc, &m, buf, sizeof buf, &len),
        ERG_ETAG);
    shop_payment_charge_response_v1_t resp = {ERG_STR("t"), 9, 0};
    size_t size;
    ERG_FAIL(erg_codec_encoded_size(&shop_payment_charge_response_v1_desc,
                                    &resp, &size),
             ERG_ETAG);
    erg_codec_desc_t bogus = shop_payment_line_item_desc;
    bogus.magic = 0;
    ERG_FAIL(erg_codec_encode(&bogus, &li, buf, sizeof buf, &len), ERG_EINVAL);
}

/* ---- hostile bytes ------------------------------------------------------- */

static void expect_decode(const erg_codec_desc_t *d, const uint8_t *buf,
                          size_t len, erg_err_t want) {
    void *out = (void *)1;
    ERG_FAIL(erg_codec_decode(d, buf, len, &out), want);
    assert_null(out);
    assert_int_equal(erg_test_alloc_live(), 0);
}

static void test_every_truncation_fails_without_allocating(void **state) {
    (void)state;
    erg_str_t note = ERG_STR("n");
    shop_payment_charge_request_v2_t m;
    fill_charge(&m, &note);
    size_t len;
    uint8_t *buf = encode_new(&shop_payment_charge_request_v2_desc, &m, &len);
    long before = erg_test_alloc_count();
    for (size_t cut = 0; cut < len; cut++) {
        void *out = (void *)1;
        erg_err_t rv = erg_codec_decode(&shop_payment_charge_request_v2_desc,
                                        buf, cut, &out);
        assert_int_equal(rv, ERG_ETRUNCATED);
        assert_null(out);
    }
    assert_int_equal(erg_test_alloc_count(), before);
    /* One byte too many is not silently ignored. */
    uint8_t *longer = malloc(len + 1);
    memcpy(longer, buf, len);
    longer[len] = 0;
    expect_decode(&shop_payment_charge_request_v2_desc, longer, len + 1,
                  ERG_EDECODE);
    free(longer);
    free(buf);
}

static void test_hostile_lengths_bounds_and_utf8_are_refused(void **state) {
    (void)state;
    const erg_codec_desc_t *li = &shop_payment_line_item_desc;
    /* sku length 2^32-1 with 4 bytes of input. */
    uint8_t huge[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3, 4};
    expect_decode(li, huge, sizeof huge, ERG_ETRUNCATED);
    /* A sixth varint byte / bits above 32 / an overlong zero group. */
    uint8_t toolong[] = {0xff, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0};
    expect_decode(li, toolong, sizeof toolong, ERG_EDECODE);
    uint8_t overlong[] = {0x81, 0x00, 'a', 1, 0, 0, 0};
    expect_decode(li, overlong, sizeof overlong, ERG_EDECODE);
    /* sku of 65 bytes: over string<64>. */
    uint8_t over[1 + 65 + 4] = {65};
    memset(over + 1, 'a', 65);
    expect_decode(li, over, sizeof over, ERG_EBOUNDS);
    /* Invalid UTF-8: a lone continuation byte, an overlong '/', a
     * surrogate, a code point above U+10FFFF. */
    static const uint8_t bad[][4] = {{0x80, 'a', 'a', 'a'},
                                     {0xc0, 0xaf, 'a', 'a'},
                                     {0xed, 0xa0, 0x80, 'a'},
                                     {0xf4, 0x90, 0x80, 0x80}};
    for (size_t i = 0; i < 4; i++) {
        uint8_t b[1 + 4 + 4] = {4};
        memcpy(b + 1, bad[i], 4);
        expect_decode(li, b, sizeof b, ERG_EUTF8);
    }
    /* items: a count of 1001 (bound 1000) followed by enough bytes. */
    shop_payment_charge_request_v2_t m;
    fill_charge(&m, NULL);
    m.items.len = 0;
    size_t len;
    uint8_t *buf = encode_new(&shop_payment_charge_request_v2_desc, &m, &len);
    /* order_id 8, money 9, method tag 1 + card 17: items count at 35. */
    size_t at = 8 + 9 + 1 + 17;
    assert_int_equal(buf[at], 0);
    size_t big = len + 2 + 1001 * 5;
    uint8_t *b2 = calloc(1, big);
    memcpy(b2, buf, at);
    b2[at] = 0xe9; /* 1001 = 0x3e9 */
    b2[at + 1] = 0x07;
    expect_decode(&shop_payment_charge_request_v2_desc, b2, big, ERG_EBOUNDS);
    /* A count claiming more elements than bytes remain. */
    b2[at] = 0xe8; /* 1000 */
    expect_decode(&shop_payment_charge_request_v2_desc, b2, at + 2 + 100,
                  ERG_ETRUNCATED);
    free(b2);
    free(buf);
}

static void test_bad_tags_enums_bools_and_presence_are_refused(void **state) {
    (void)state;
    uint8_t tag3[] = {3};
    expect_decode(&shop_payment_method_desc, tag3, 1, ERG_ETAG);
    uint8_t tag_far[] = {0x80, 0x01};
    expect_decode(&shop_payment_method_desc, tag_far, 2, ERG_ETAG);
    uint8_t money[9] = {0};
    money[8] = 3; /* Currency has 0..2 */
    expect_decode(&shop_common_money_desc, money, 9, ERG_ETAG);
    /* Level is sparse (-1, 0, 300): 1 is not a member. */
    uint8_t level[2] = {1, 0};
    expect_decode(&kitchen_types_level_desc, level, 2, ERG_ETAG);
    /* Nothing v2: optional string, presence byte 2. */
    uint8_t presence[] = {2};
    expect_decode(&kitchen_sink_nothing_v2_desc, presence, 1, ERG_EDECODE);
    /* Scalars starts with a bool. */
    tv_rng r = {7};
    tv_arena a = {0};
    kitchen_sink_scalars_t s;
    tv_random(&r, &a, &kitchen_sink_scalars_desc, &s, 2, 2);
    size_t len;
    uint8_t *buf = encode_new(&kitchen_sink_scalars_desc, &s, &len);
    buf[0] = 2;
    expect_decode(&kitchen_sink_scalars_desc, buf, len, ERG_EDECODE);
    free(buf);
    tv_arena_fini(&a);
}

static void test_depth_bombs_are_refused(void **state) {
    (void)state;
    /* Node: tag 2 is `maybe: optional Node`; nest it far past the limit. */
    enum { LEVELS = 1000 };
    uint8_t bomb[2 * LEVELS + 1];
    for (int i = 0; i < LEVELS; i++) {
        bomb[2 * i] = 2;
        bomb[2 * i + 1] = 1;
    }
    bomb[2 * LEVELS] = 0; /* never reached */
    expect_decode(&kitchen_sink_node_desc, bomb, sizeof bomb, ERG_EDEPTH);
    /* The same through lists: branch (tag 1) with one element, nested. */
    for (int i = 0; i < LEVELS; i++) {
        bomb[2 * i] = 1;
        bomb[2 * i + 1] = 1;
    }
    expect_decode(&kitchen_sink_node_desc, bomb, sizeof bomb, ERG_EDEPTH);
    /* A shallow one decodes: maybe -> maybe -> leaf 5. */
    uint8_t ok[] = {2, 1, 2, 1, 0, 5, 0, 0, 0};
    void *out;
    ERG_PASS(erg_codec_decode(&kitchen_sink_node_desc, ok, sizeof ok, &out));
    const kitchen_sink_node_t *n = out;
    assert_int_equal(n->tag, KITCHEN_SINK_NODE_MAYBE);
    assert_int_equal(n->u.maybe->u.maybe->u.leaf, 5);
    erg_codec_free(&kitchen_sink_node_desc, out);
}

static void test_mutated_bytes_never_leak_or_crash(void **state) {
    (void)state;
    tv_rng r = {0xbadc0de};
    for (int k = 0; k < 400; k++) {
        tv_arena a = {0};
        const erg_codec_desc_t *d = all_descs[tv_next(&r) % NDESCS];
        void *v = tv_alloc(&a, d->size);
        tv_random(&r, &a, d, v, 3, 4);
        size_t len;
        uint8_t *buf = encode_new(d, v, &len);
        for (int flips = 0; flips < 8 && len > 0; flips++) {
            buf[tv_next(&r) % len] ^= (uint8_t)(1u << (tv_next(&r) % 8));
            void *out = NULL;
            erg_err_t rv = erg_codec_decode(d, buf, len, &out);
            if (rv == ERG_OK)
                erg_codec_free(d, out);
            else
                assert_null(out);
            assert_int_equal(erg_test_alloc_live(), 0);
        }
        free(buf);
        tv_arena_fini(&a);
    }
}

static void test_decode_reports_out_of_memory(void **state) {
    (void)state;
    erg_str_t note = ERG_STR("n");
    shop_payment_charge_request_v2_t m;
    fill_charge(&m, &note);
    size_t len;
    uint8_t *buf = encode_new(&shop_payment_charge_request_v2_desc, &m, &len);
    erg_test_alloc_fail_after(1);
    void *out = (void *)1;
    ERG_FAIL(
        erg_codec_decode(&shop_payment_charge_request_v2_desc, buf, len, &out),
        ERG_ENOMEM);
    assert_null(out);
    erg_test_alloc_fail_after(0);
    free(buf);
}

int main(void) {
    const struct CMUnitTest tests[] = {
#define T(fn)                                                 \
    cmocka_unit_test_setup_teardown(fn, erg_test_setup_alloc, \
                                    erg_test_teardown_alloc)
        T(test_charge_request_round_trips_field_by_field),
        T(test_every_kitchen_type_round_trips),
        T(test_random_values_round_trip_with_seed),
        T(test_defaults_come_from_the_initializer),
        T(test_message_header_carries_id_version_and_length),
        T(test_encode_checks_bounds_utf8_tags_and_room),
        T(test_every_truncation_fails_without_allocating),
        T(test_hostile_lengths_bounds_and_utf8_are_refused),
        T(test_bad_tags_enums_bools_and_presence_are_refused),
        T(test_depth_bombs_are_refused),
        T(test_mutated_bytes_never_leak_or_crash),
        T(test_decode_reports_out_of_memory),
#undef T
    };
    return cmocka_run_group_tests_name("codec.wire", tests, NULL, NULL);
}
