/* SPDX-License-Identifier: MIT */
/* codec_bench.c: encode and decode of a ~100-byte and a ~4 KiB message,
 * erg's generated code beside protobuf-c's, in one run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/codec_bench.h"
#include "codec_bench.pb-c.h"

enum { LINES = 40, ATTRS = 20, SAMPLES = 400, TAGS = 8 };

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Keeps results alive so the compiler cannot drop the work. */
static volatile size_t sink;

static void report(const char *shape, const char *op, const char *impl,
                   double secs, long n, size_t bytes) {
    double ns = secs * 1e9 / (double)n;
    double mbs = (double)bytes * (double)n / secs / 1e6;
    printf("bench=codec_%s_%s impl=%s ns_per_msg=%.1f mb_per_s=%.1f "
           "bytes=%zu\n",
           shape, op, impl, ns, mbs, bytes);
}

/* Runs body `n` times per round and reports the best of a few rounds:
 * the machine's noise is ±20-30 %, the minimum is the stable figure. */
#define MEASURE(shape, op, impl, n, bytes, body)     \
    do {                                             \
        double best = 1e30;                          \
        for (int round = 0; round < 5; round++) {    \
            double t0 = now_s();                     \
            for (long i = 0; i < (n); i++) {         \
                body;                                \
            }                                        \
            double t = now_s() - t0;                 \
            if (t < best)                            \
                best = t;                            \
        }                                            \
        report(shape, op, impl, best, (n), (bytes)); \
    } while (0)

/* ---- the values, the same for both --------------------------------------- */

static char skus[LINES][16];
static char keys[ATTRS][12];
static char vals[ATTRS][24];
static uint32_t tag_values[TAGS] = {1, 7, 300, 9000, 2, 65000, 12, 1u << 20};
static int32_t sample_values[SAMPLES];
static const char small_name[] = "alice.smith@example.org/session-7";
static const char customer[] = "ACME Industrial Supplies, Northern Branch";

static void fill_text(void) {
    for (int i = 0; i < LINES; i++)
        snprintf(skus[i], sizeof skus[i], "SKU-%08d-X", i * 7919);
    for (int i = 0; i < ATTRS; i++) {
        snprintf(keys[i], sizeof keys[i], "attr-%03d", i);
        snprintf(vals[i], sizeof vals[i], "value-%d-%d-abcdef", i, i * i);
    }
    for (int i = 0; i < SAMPLES; i++)
        sample_values[i] = (i * 2654435761u) % 2000000 - 1000000;
}

/* ---- erg ----------------------------------------------------------------- */

static bench_codec_line_t erg_lines[LINES];
static bench_codec_large_v1_attrs_entry_t erg_attrs[ATTRS];

static void erg_values(bench_codec_small_v1_t *s, bench_codec_large_v1_t *l) {
    *s = (bench_codec_small_v1_t){
        .id = 1234567890123ull,
        .ts = 1700000000000000000ll,
        .user = 4242,
        .flags = 0x10,
        .name = {small_name, sizeof small_name - 1},
        .tags = {tag_values, TAGS},
    };
    for (int i = 0; i < LINES; i++)
        erg_lines[i] = (bench_codec_line_t){
            .sku = {skus[i], strlen(skus[i])},
            .qty = (uint32_t)i + 1,
            .price = 1999 * (i + 1),
            .at = {.x = i * 0.5, .y = -i * 1.25},
        };
    for (int i = 0; i < ATTRS; i++)
        erg_attrs[i] = (bench_codec_large_v1_attrs_entry_t){
            {keys[i], strlen(keys[i])}, {vals[i], strlen(vals[i])}};
    *l = (bench_codec_large_v1_t){
        .id = 99,
        .customer = {customer, sizeof customer - 1},
        .lines = {erg_lines, LINES},
        .attrs = {erg_attrs, ATTRS},
        .samples = {sample_values, SAMPLES},
    };
}

/* ---- protobuf-c ---------------------------------------------------------- */

static Line pb_line_store[LINES];
static Point pb_points[LINES];
static Line *pb_lines[LINES];
static Large__AttrsEntry pb_attr_store[ATTRS];
static Large__AttrsEntry *pb_attrs[ATTRS];

static void pb_values(Small *s, Large *l) {
    small__init(s);
    s->id = 1234567890123ull;
    s->ts = 1700000000000000000ll;
    s->user = 4242;
    s->flags = 0x10;
    s->name = (char *)small_name;
    s->n_tags = TAGS;
    s->tags = tag_values;
    for (int i = 0; i < LINES; i++) {
        line__init(&pb_line_store[i]);
        point__init(&pb_points[i]);
        pb_points[i].x = i * 0.5;
        pb_points[i].y = -i * 1.25;
        pb_line_store[i].sku = skus[i];
        pb_line_store[i].qty = (uint32_t)i + 1;
        pb_line_store[i].price = 1999 * (i + 1);
        pb_line_store[i].at = &pb_points[i];
        pb_lines[i] = &pb_line_store[i];
    }
    for (int i = 0; i < ATTRS; i++) {
        large__attrs_entry__init(&pb_attr_store[i]);
        pb_attr_store[i].key = keys[i];
        pb_attr_store[i].value = vals[i];
        pb_attrs[i] = &pb_attr_store[i];
    }
    large__init(l);
    l->id = 99;
    l->customer = (char *)customer;
    l->n_lines = LINES;
    l->lines = pb_lines;
    l->n_attrs = ATTRS;
    l->attrs = pb_attrs;
    l->n_samples = SAMPLES;
    l->samples = sample_values;
}

int main(void) {
    fill_text();
    bench_codec_small_v1_t es;
    bench_codec_large_v1_t el;
    erg_values(&es, &el);
    Small ps;
    Large pl;
    pb_values(&ps, &pl);

    static uint8_t buf[1 << 16];
    const long small_n = 2000000, large_n = 50000;
    size_t len = 0;

    /* Small. */
    size_t erg_small = 0, pb_small = small__get_packed_size(&ps);
    if (bench_codec_small_v1_encode(&es, buf, sizeof buf, &erg_small) != 0)
        return 1;
    MEASURE("small", "encode", "erg", small_n, erg_small, {
        bench_codec_small_v1_encode(&es, buf, sizeof buf, &len);
        sink += len;
    });
    MEASURE("small", "encode", "protobuf-c", small_n, pb_small,
            { sink += small__pack(&ps, buf); });
    bench_codec_small_v1_encode(&es, buf, sizeof buf, &len);
    MEASURE("small", "decode", "erg", small_n, erg_small, {
        bench_codec_small_v1_t *d = NULL;
        bench_codec_small_v1_decode(buf, len, &d);
        sink += d->user;
        bench_codec_small_v1_free(d);
    });
    /* A v1 -> v2 upgrade (u32 -> u64, list<u32> -> list<u64>, a default):
     * the target is at most twice a decode. No protobuf-c counterpart. */
    bench_codec_small_v1_t *dec = NULL;
    if (bench_codec_small_v1_decode(buf, len, &dec) != 0)
        return 1;
    MEASURE("small", "convert", "erg", small_n / 2, erg_small, {
        bench_codec_small_v2_t *up = NULL;
        bench_codec_small_v1_to_v2(dec, &up);
        sink += (size_t)up->user;
        bench_codec_small_v2_free(up);
    });
    bench_codec_small_v1_free(dec);
    small__pack(&ps, buf);
    MEASURE("small", "decode", "protobuf-c", small_n, pb_small, {
        Small *d = small__unpack(NULL, pb_small, buf);
        sink += d->user;
        small__free_unpacked(d, NULL);
    });

    /* Large. */
    size_t erg_large = 0, pb_large = large__get_packed_size(&pl);
    if (bench_codec_large_v1_encode(&el, buf, sizeof buf, &erg_large) != 0)
        return 1;
    MEASURE("large", "encode", "erg", large_n, erg_large, {
        bench_codec_large_v1_encode(&el, buf, sizeof buf, &len);
        sink += len;
    });
    MEASURE("large", "encode", "protobuf-c", large_n, pb_large,
            { sink += large__pack(&pl, buf); });
    bench_codec_large_v1_encode(&el, buf, sizeof buf, &len);
    MEASURE("large", "decode", "erg", large_n, erg_large, {
        bench_codec_large_v1_t *d = NULL;
        bench_codec_large_v1_decode(buf, len, &d);
        sink += d->lines.len;
        bench_codec_large_v1_free(d);
    });
    large__pack(&pl, buf);
    MEASURE("large", "decode", "protobuf-c", large_n, pb_large, {
        Large *d = large__unpack(NULL, pb_large, buf);
        sink += d->n_lines;
        large__free_unpacked(d, NULL);
    });
    return 0;
}
