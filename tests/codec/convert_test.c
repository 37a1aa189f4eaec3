/* SPDX-License-Identifier: MIT */
/* convert_test.c: generated converters, the conversion chain, the type
 * registry and actor dispatch (runtime/src/codec/convert.c). */
#include "testutil.h"

#include <math.h>
#include <string.h>

#include "erg/codec.h"
#include "kitchen/sink.h"
#include "shop/payment.h"
#include "samples.h"
#include "values.h"

static void
test_charge_request_v1_to_v2_to_v1_keeps_common_fields(void **state) {
    (void)state;
    shop_payment_charge_request_v1_t v1 = {.order_id = 77, .amount = -250};
    shop_payment_charge_request_v2_t *v2 = NULL;
    ERG_PASS(shop_payment_charge_request_v1_to_v2(&v1, &v2));
    assert_int_equal(v2->order_id, 77);
    assert_int_equal(v2->total.amount, -250);
    assert_int_equal(v2->total.currency, SHOP_COMMON_CURRENCY_USD);
    assert_int_equal(v2->method.tag, SHOP_PAYMENT_METHOD_CASH);
    assert_int_equal(v2->items.len, 0);
    assert_null(v2->note);
    assert_int_equal(v2->tags.len, 0);
    assert_int_equal(v2->priority, 0);
    shop_payment_charge_request_v1_t *back = NULL;
    ERG_PASS(shop_payment_charge_request_v2_to_v1(v2, &back));
    assert_int_equal(back->order_id, 77);
    assert_int_equal(back->amount, -250);
    shop_payment_charge_request_v2_free(v2);
    shop_payment_charge_request_v1_free(back);
}

static void test_everything_v1_to_v2_widens_and_builds_literals(void **state) {
    (void)state;
    tv_rng r = {99};
    tv_arena a = {0};
    kitchen_sink_everything_v1_t v1;
    tv_random(&r, &a, &kitchen_sink_everything_v1_desc, &v1, 3, 5);
    int32_t count = -12;
    v1.maybe_count = &count;
    v1.ratio = 1e12f; /* saturates into count: i32 */
    v1.code = ERG_STR("ab\xc3\xa9");
    kitchen_sink_everything_v2_t *v2 = NULL;
    ERG_PASS(kitchen_sink_everything_v1_to_v2(&v1, &v2));
    assert_true(v2->id == v1.id);
    assert_non_null(v2->maybe_count);
    assert_true(*v2->maybe_count == -12); /* optional i32 -> optional i64 */
    assert_int_equal(v2->code.len, 4);    /* string<4> -> bytes */
    assert_memory_equal(v2->code.ptr, "ab\xc3\xa9", 4);
    assert_true(v2->ratio == (double)v1.ratio);
    assert_int_equal(v2->count, INT32_MAX);
    assert_true(v2->origin.x == 1.0 && v2->origin.y == 2.0);
    assert_int_equal(v2->shape.tag, KITCHEN_SINK_SHAPE_CIRCLE);
    assert_true(v2->shape.u.circle.radius == 1.5f);
    assert_true(v2->shape.u.circle.center.y == 0.0);
    assert_int_equal(v2->kind, KITCHEN_SINK_SMALL_MAX); /* default */
    assert_int_equal(v2->grid.len, v1.grid.len);
    assert_int_equal(v2->lookup.len, v1.lookup.len);

    /* Back to v1: every checked() fits, so the common fields survive. */
    kitchen_sink_everything_v1_t *back = NULL;
    ERG_PASS(kitchen_sink_everything_v2_to_v1(v2, &back));
    assert_true(back->id == v1.id);
    assert_true(*back->maybe_count == -12);
    assert_true(back->ratio == v1.ratio);
    assert_int_equal(back->code.len, 4);
    assert_int_equal(back->grid.len, v1.grid.len);
    for (size_t i = 0; i < v1.grid.len; i++) {
        assert_int_equal(back->grid.ptr[i].len, v1.grid.ptr[i].len);
        if (v1.grid.ptr[i].len)
            assert_memory_equal(back->grid.ptr[i].ptr, v1.grid.ptr[i].ptr,
                                v1.grid.ptr[i].len * sizeof(int16_t));
    }
    assert_memory_equal(&back->scalars.u64v, &v1.scalars.u64v, 8);
    kitchen_sink_everything_v2_free(v2);
    kitchen_sink_everything_v1_free(back);
    tv_arena_fini(&a);
}

static void test_failing_checked_refuses_with_version_error(void **state) {
    (void)state;
    tv_rng r = {5};
    tv_arena a = {0};
    kitchen_sink_everything_v2_t v2;
    tv_random(&r, &a, &kitchen_sink_everything_v2_desc, &v2, 2, 3);
    v2.maybe_count = NULL;
    v2.code = (erg_bytes_t){(const uint8_t *)"abc", 3};
    v2.id = UINT64_C(1) << 40; /* over u32: checked(id) fails */
    kitchen_sink_everything_v1_t *v1 = (void *)1;
    ERG_FAIL(kitchen_sink_everything_v2_to_v1(&v2, &v1), ERG_EVERSION);
    assert_null(v1);
    v2.id = 1;
    v2.code = (erg_bytes_t){(const uint8_t *)"abcde", 5}; /* over string<4> */
    ERG_FAIL(kitchen_sink_everything_v2_to_v1(&v2, &v1), ERG_EVERSION);
    v2.code = (erg_bytes_t){(const uint8_t *)"\xff", 1}; /* not UTF-8 */
    ERG_FAIL(kitchen_sink_everything_v2_to_v1(&v2, &v1), ERG_EVERSION);
    v2.code = (erg_bytes_t){(const uint8_t *)"ok", 2};
    ERG_PASS(kitchen_sink_everything_v2_to_v1(&v2, &v1));
    kitchen_sink_everything_v1_free(v1);
    tv_arena_fini(&a);
}

static void test_registry_chains_conversions(void **state) {
    (void)state;
    const erg_codec_registry_t *reg = &kitchen_sink_registry;
    assert_ptr_equal(
        erg_codec_registry_find(reg, KITCHEN_SINK_EVERYTHING_WIRE_ID, 3),
        &kitchen_sink_everything_v3_desc);
    assert_null(
        erg_codec_registry_find(reg, KITCHEN_SINK_EVERYTHING_WIRE_ID, 9));
    tv_rng r = {11};
    tv_arena a = {0};
    kitchen_sink_everything_v2_t v2;
    tv_random(&r, &a, &kitchen_sink_everything_v2_desc, &v2, 2, 3);
    v2.id = 1234;
    v2.maybe_count = NULL;
    v2.code = (erg_bytes_t){(const uint8_t *)"ok", 2};
    v2.ratio = 0.25;
    for (size_t i = 0; i < v2.grid.len; i++)
        if (v2.grid.ptr[i].len > 4)
            v2.grid.ptr[i].len = 4;
    if (v2.grid.len > 4)
        v2.grid.len = 4;
    for (size_t i = 0; i < v2.lookup.len; i++)
        if (v2.lookup.ptr[i].value.len > 10)
            v2.lookup.ptr[i].value.len = 10;
    /* v2 -> v3 has no direct edge: v2 -> v1 (downgrade) -> v3 (upgrade). */
    void *out = NULL;
    ERG_PASS(erg_codec_convert(reg, &kitchen_sink_everything_v2_desc,
                               &kitchen_sink_everything_v3_desc, &v2, &out));
    const kitchen_sink_everything_v3_t *v3 = out;
    assert_true(v3->id == 1234);
    assert_int_equal(v3->count, 1234); /* saturate(id) */
    assert_true(v3->weight == 0.5f);
    erg_codec_free(&kitchen_sink_everything_v3_desc, out);
    /* v3 reaches nothing older. */
    ERG_FAIL(erg_codec_convert(reg, &kitchen_sink_everything_v3_desc,
                               &kitchen_sink_everything_v1_desc, v3 ? &v2 : &v2,
                               &out),
             ERG_EVERSION);
    assert_null(out);
    /* Same version: a detached copy. */
    ERG_PASS(erg_codec_convert(reg, &kitchen_sink_everything_v2_desc,
                               &kitchen_sink_everything_v2_desc, &v2, &out));
    erg_codec_free(&kitchen_sink_everything_v2_desc, out);
    tv_arena_fini(&a);
}

static void test_converter_out_of_memory_leaks_nothing(void **state) {
    (void)state;
    shop_payment_charge_request_v1_t v1 = {.order_id = 1, .amount = 2};
    /* Fail each allocation in turn until the conversion succeeds. */
    for (long n = 1;; n++) {
        erg_test_alloc_fail_after(n);
        shop_payment_charge_request_v2_t *v2 = NULL;
        erg_err_t rv = shop_payment_charge_request_v1_to_v2(&v1, &v2);
        erg_test_alloc_fail_after(0);
        if (rv == ERG_OK) {
            shop_payment_charge_request_v2_free(v2);
            break;
        }
        assert_int_equal(rv, ERG_ENOMEM);
        assert_null(v2);
        assert_int_equal(erg_test_alloc_live(), 0);
        assert_true(n < 100);
    }
}

static void test_copy_is_one_detached_block_equal_to_the_source(void **state) {
    (void)state;
    tv_rng r = {0xc0b1e};
    static uint8_t a_buf[1 << 16], b_buf[1 << 16];
    for (int k = 0; k < 50; k++) {
        for (size_t i = 0; i < tv_ndescs; i++) {
            const erg_codec_desc_t *d = tv_descs[i];
            tv_arena a = {0};
            void *v = tv_alloc(&a, d->size);
            tv_random(&r, &a, d, v, 3, 5);
            long before = erg_test_alloc_live();
            void *copy = NULL;
            ERG_PASS(erg_codec_copy(d, v, &copy));
            assert_int_equal(erg_test_alloc_live(), before + 1);
            size_t la, lb;
            ERG_PASS(erg_codec_encode(d, v, a_buf, sizeof a_buf, &la));
            tv_arena_fini(&a); /* the copy must not point into the source */
            ERG_PASS(erg_codec_encode(d, copy, b_buf, sizeof b_buf, &lb));
            assert_int_equal(la, lb);
            assert_memory_equal(a_buf, b_buf, la);
            erg_codec_free(d, copy);
        }
    }
    shop_payment_method_t bad = {0};
    bad.tag = (shop_payment_method_tag_t)7;
    void *copy = (void *)1;
    ERG_FAIL(erg_codec_copy(&shop_payment_method_desc, &bad, &copy), ERG_ETAG);
    assert_null(copy);
}

/* ---- dispatch ------------------------------------------------------------ */

typedef struct service_state {
    int charges;
    uint64_t last_order;
    int64_t last_amount;
    int refunds;
} service_state;

static erg_err_t on_charge(void *state,
                           const shop_payment_charge_request_v2_t *m,
                           shop_payment_charge_response_v1_t *reply) {
    service_state *s = state;
    s->charges++;
    s->last_order = m->order_id;
    s->last_amount = m->total.amount;
    reply->transaction_id = ERG_STR("tx");
    reply->status = SHOP_PAYMENT_STATUS_OK;
    return ERG_OK;
}

static erg_err_t on_refund(void *state,
                           const shop_payment_refund_request_v1_t *m) {
    service_state *s = state;
    (void)m;
    s->refunds++;
    return ERG_OK;
}

static void
test_dispatch_upgrades_older_versions_before_the_handler(void **state) {
    (void)state;
    const shop_payment_payment_service_actor_t handlers = {
        .charge_request = on_charge, .refund_request = on_refund};
    service_state s = {0};
    shop_payment_charge_request_v1_t v1 = {.order_id = 9, .amount = 300};
    shop_payment_charge_response_v1_t reply =
        SHOP_PAYMENT_CHARGE_RESPONSE_V1_INIT;
    ERG_PASS(shop_payment_payment_service_handle(
        &handlers, &s, SHOP_PAYMENT_CHARGE_REQUEST_WIRE_ID, 1, &v1, &reply));
    assert_int_equal(s.charges, 1);
    assert_int_equal(s.last_order, 9);
    assert_int_equal(s.last_amount, 300); /* total = {amount = amount, ...} */
    assert_string_equal(reply.transaction_id.ptr, "tx");

    shop_payment_charge_request_v2_t v2 = SHOP_PAYMENT_CHARGE_REQUEST_V2_INIT;
    v2.order_id = 10;
    ERG_PASS(shop_payment_payment_service_handle(
        &handlers, &s, SHOP_PAYMENT_CHARGE_REQUEST_WIRE_ID, 2, &v2, &reply));
    assert_int_equal(s.last_order, 10);

    shop_payment_refund_request_v1_t refund = {ERG_STR("t")};
    ERG_PASS(shop_payment_payment_service_handle(
        &handlers, &s, SHOP_PAYMENT_REFUND_REQUEST_WIRE_ID, 1, &refund, NULL));
    assert_int_equal(s.refunds, 1);

    /* Not declared by the actor: an event, and an unknown version. */
    shop_payment_charged_v1_t ev = {0};
    ERG_FAIL(shop_payment_payment_service_handle(
                 &handlers, &s, SHOP_PAYMENT_CHARGED_WIRE_ID, 1, &ev, NULL),
             ERG_ENOTACCEPTED);
    ERG_FAIL(
        shop_payment_payment_service_handle(
            &handlers, &s, SHOP_PAYMENT_CHARGE_REQUEST_WIRE_ID, 3, &v2, &reply),
        ERG_ENOTACCEPTED);
    /* A handler left NULL is not accepted either. */
    const shop_payment_payment_service_actor_t partial = {.charge_request =
                                                              on_charge};
    ERG_FAIL(shop_payment_payment_service_handle(
                 &partial, &s, SHOP_PAYMENT_REFUND_REQUEST_WIRE_ID, 1, &refund,
                 NULL),
             ERG_ENOTACCEPTED);
    const erg_codec_dispatch_t *row =
        erg_codec_dispatch_find(&shop_payment_payment_service_dispatch,
                                SHOP_PAYMENT_REFUND_REQUEST_WIRE_ID, 1);
    assert_non_null(row);
    assert_int_equal(row->verb, ERG_CODEC_CAST);
    assert_true(row->important);
}

static erg_err_t on_everything_v3(void *state,
                                  const kitchen_sink_everything_v3_t *m,
                                  kitchen_sink_nothing_v2_t *reply) {
    (void)reply;
    *(uint64_t *)state = m->id;
    return ERG_OK;
}

static void
test_dispatch_chains_when_no_direct_conversion_exists(void **state) {
    (void)state;
    /* Kitchen takes Everything v2 and v3 on one line: v2 reaches the v3
     * handler through v1 (downgrade, then upgrade). */
    const kitchen_sink_kitchen_actor_t handlers = {.everything_v3 =
                                                       on_everything_v3};
    tv_rng r = {3};
    tv_arena a = {0};
    kitchen_sink_everything_v2_t v2;
    tv_random(&r, &a, &kitchen_sink_everything_v2_desc, &v2, 1, 1);
    v2.id = 4321;
    v2.maybe_count = NULL;
    v2.code = (erg_bytes_t){(const uint8_t *)"ok", 2};
    v2.ratio = 0.5;
    v2.grid.len = 0;
    v2.lookup.len = 0;
    uint64_t seen = 0;
    kitchen_sink_nothing_v2_t reply = KITCHEN_SINK_NOTHING_V2_INIT;
    ERG_PASS(kitchen_sink_kitchen_handle(
        &handlers, &seen, KITCHEN_SINK_EVERYTHING_WIRE_ID, 2, &v2, &reply));
    assert_int_equal(seen, 4321);
    /* A v2 that v1 cannot hold fails the chain with a version error. */
    v2.id = UINT64_C(1) << 40;
    ERG_FAIL(kitchen_sink_kitchen_handle(&handlers, &seen,
                                         KITCHEN_SINK_EVERYTHING_WIRE_ID, 2,
                                         &v2, &reply),
             ERG_EVERSION);
    tv_arena_fini(&a);
}

typedef struct recorder {
    const erg_codec_desc_t *desc;
    unsigned flags;
    int calls;
} recorder;

static erg_err_t rec_cast(void *ctx, const erg_codec_desc_t *desc,
                          const void *msg, unsigned flags) {
    recorder *r = ctx;
    (void)msg;
    r->desc = desc;
    r->flags = flags;
    r->calls++;
    return ERG_OK;
}

static erg_err_t rec_call(void *ctx, const erg_codec_desc_t *desc,
                          const void *msg, unsigned flags,
                          const erg_codec_desc_t *reply_desc, void **reply) {
    recorder *r = ctx;
    (void)msg;
    r->desc = desc;
    r->flags = flags;
    r->calls++;
    shop_payment_charge_response_v1_t resp = {ERG_STR("done"), 0, 1};
    return erg_codec_copy(reply_desc, &resp, reply);
}

static void test_send_helpers_pass_descriptor_and_default_flags(void **state) {
    (void)state;
    recorder rec = {0};
    erg_codec_sender_t to = {&rec, rec_cast, rec_call};
    shop_payment_refund_request_v1_t refund = {ERG_STR("t")};
    ERG_PASS(shop_payment_payment_service_cast_refund_request_v1(&to, &refund));
    assert_ptr_equal(rec.desc, &shop_payment_refund_request_v1_desc);
    assert_int_equal(rec.flags, ERG_CODEC_IMPORTANT);
    shop_payment_charge_request_v1_t v1 = {1, 2};
    shop_payment_charge_response_v1_t *reply = NULL;
    ERG_PASS(
        shop_payment_payment_service_call_charge_request_v1(&to, &v1, &reply));
    assert_ptr_equal(rec.desc, &shop_payment_charge_request_v1_desc);
    assert_int_equal(rec.flags, 0);
    assert_string_equal(reply->transaction_id.ptr, "done");
    shop_payment_charge_response_v1_free(reply);
    assert_int_equal(rec.calls, 2);
}

static void test_assign_saturates_and_checks_numbers(void **state) {
    (void)state;
    erg_codec_scratch_t sc = ERG_CODEC_SCRATCH_INIT;
    const erg_codec_type_t *f64 = kitchen_types_point_desc.fields[0].type;
    const erg_codec_type_t *i8 = kitchen_sink_scalars_desc.fields[1].type;
    const erg_codec_type_t *u8 = kitchen_sink_scalars_desc.fields[5].type;
    const erg_codec_type_t *f32 = kitchen_sink_scalars_desc.fields[9].type;
    double d = -1e9;
    int8_t i = 0;
    ERG_PASS(erg_codec_assign(&sc, ERG_CODEC_SATURATE, f64, &d, i8, &i));
    assert_int_equal(i, INT8_MIN);
    d = NAN;
    ERG_PASS(erg_codec_assign(&sc, ERG_CODEC_SATURATE, f64, &d, i8, &i));
    assert_int_equal(i, 0);
    ERG_FAIL(erg_codec_assign(&sc, ERG_CODEC_CHECKED, f64, &d, i8, &i),
             ERG_EVERSION);
    d = 12.5;
    ERG_FAIL(erg_codec_assign(&sc, ERG_CODEC_CHECKED, f64, &d, i8, &i),
             ERG_EVERSION); /* not integral */
    d = 12;
    ERG_PASS(erg_codec_assign(&sc, ERG_CODEC_CHECKED, f64, &d, i8, &i));
    assert_int_equal(i, 12);
    int8_t neg = -3;
    uint8_t u = 9;
    ERG_PASS(erg_codec_assign(&sc, ERG_CODEC_SATURATE, i8, &neg, u8, &u));
    assert_int_equal(u, 0);
    ERG_FAIL(erg_codec_assign(&sc, ERG_CODEC_CHECKED, i8, &neg, u8, &u),
             ERG_EVERSION);
    d = 1e300;
    float f = 0;
    ERG_PASS(erg_codec_assign(&sc, ERG_CODEC_SATURATE, f64, &d, f32, &f));
    assert_true(f > 3.4e38f);
    ERG_FAIL(erg_codec_assign(&sc, ERG_CODEC_CHECKED, f64, &d, f32, &f),
             ERG_EVERSION);
    erg_codec_scratch_fini(&sc);
}

int main(void) {
    const struct CMUnitTest tests[] = {
#define T(fn)                                                 \
    cmocka_unit_test_setup_teardown(fn, erg_test_setup_alloc, \
                                    erg_test_teardown_alloc)
        T(test_charge_request_v1_to_v2_to_v1_keeps_common_fields),
        T(test_everything_v1_to_v2_widens_and_builds_literals),
        T(test_failing_checked_refuses_with_version_error),
        T(test_registry_chains_conversions),
        T(test_converter_out_of_memory_leaks_nothing),
        T(test_copy_is_one_detached_block_equal_to_the_source),
        T(test_dispatch_upgrades_older_versions_before_the_handler),
        T(test_dispatch_chains_when_no_direct_conversion_exists),
        T(test_send_helpers_pass_descriptor_and_default_flags),
        T(test_assign_saturates_and_checks_numbers),
#undef T
    };
    return cmocka_run_group_tests_name("codec.convert", tests, NULL, NULL);
}
