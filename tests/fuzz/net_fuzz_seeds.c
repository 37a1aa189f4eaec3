/* SPDX-License-Identifier: MIT */
/* net_fuzz_seeds.c: writes the seed corpus of fuzz_net into DIR/net: valid
 * frames of every kind, built with erg__frame_put_ctl and
 * erg__frame_put_data as a node builds them, alone and as whole
 * connections behind a preamble. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "erg/control.h"
#include "erg/net.h"
#include "net/frame.h"
#include "net/versions.h"
#include "shop/payment.h"

static const char *dir;
static int nseeds;

static void check(erg_err_t rv, const char *what) {
    if (rv != ERG_OK) {
        fprintf(stderr, "net_fuzz_seeds: %s: %s\n", what, erg_strerror(rv));
        exit(1);
    }
}

static void write_seed(const erg__buf_t *b) {
    char path[4096];
    snprintf(path, sizeof path, "%s/seed-%04d", dir, nseeds++);
    FILE *fp = fopen(path, "wb");
    if (fp == NULL) {
        perror(path);
        exit(1);
    }
    fwrite(b->p, 1, b->len, fp);
    fclose(fp);
}

static void preamble(erg__buf_t *b) {
    check(erg__buf_reserve(b, ERG__PREAMBLE_SIZE), "reserve");
    erg__preamble_write(b->p + b->len);
    b->len += ERG__PREAMBLE_SIZE;
}

static const uint8_t nonce_a[32] = {0x11, 0x22, 0x33, 0x44, 0x55};
static const uint8_t nonce_b[32] = {0xa1, 0xb2, 0xc3, 0xd4, 0xe5};
static const uint8_t pool[16] = {7, 7, 7, 7, 1, 2, 3, 4};

#define PID(node, id, cr)   ((erg_wire_pid_t){ERG_STR(node), (id), (cr)})
#define REF(node, cr, a, b) ((erg_wire_ref_t){ERG_STR(node), (cr), {a, b, 0}})

static void hello(erg__buf_t *b, bool dialer, uint8_t index) {
    erg_net_hello_v1_t h = {
        .node = dialer ? ERG_STR("a@127.0.0.1") : ERG_STR("b@127.0.0.1"),
        .creation = dialer ? 1 : 2,
        .nonce = ERG_BYTES(dialer ? nonce_a : nonce_b, 32),
        .flags = 0,
        .max_message = ERG_NET_DEFAULT_MAX_MESSAGE,
        .pool_size = dialer ? 3 : 0,
        .link_index = index,
        .pool_id = ERG_BYTES(pool, dialer ? 16 : 0),
        .acceptor_port = 11144,
    };
    check(erg__frame_put_ctl(b, ERG__FRAME_HELLO, &erg_net_hello_v1_desc, &h),
          "hello");
}

static void proof(erg__buf_t *b) {
    static const uint8_t mac[32] = {0xde, 0xad, 0xbe, 0xef};
    erg_net_proof_v1_t p = {ERG_BYTES(mac, 32)};
    check(erg__frame_put_ctl(b, ERG__FRAME_PROOF, &erg_net_proof_v1_desc, &p),
          "proof");
}

static void refuse(erg__buf_t *b, erg_err_t code, const char *why) {
    erg_net_refuse_v1_t r = {code, {why, strlen(why)}};
    check(erg__frame_put_ctl(b, ERG__FRAME_REFUSE, &erg_net_refuse_v1_desc, &r),
          "refuse");
}

/* The registry of the shop schema, as erg__vtable_advertise writes it,
 * or with one fingerprint changed (the mismatch path). */
static void registry(erg__buf_t *b, const erg__vtable_t *t, bool mismatch) {
    if (!mismatch) {
        check(erg__vtable_advertise(t, b), "advertise");
        return;
    }
    erg_net_type_version_t tv[8];
    static uint8_t other[32] = {0x0f};
    size_t n = t->ntypes < 8 ? t->ntypes : 8;
    for (size_t i = 0; i < n; i++) {
        const erg_codec_desc_t *d = t->types[i].desc;
        tv[i].name = (erg_str_t){d->name, strlen(d->name)};
        tv[i].wire_id = d->wire_id;
        tv[i].version = d->version + (i == n - 1 ? 7 : 0);
        tv[i].fingerprint = ERG_BYTES(i == 0 ? other : d->fingerprint, 32);
    }
    erg_net_registry_v1_t reg = {{tv, n}};
    check(erg__frame_put_ctl(b, ERG__FRAME_REGISTRY, &erg_net_registry_v1_desc,
                             &reg),
          "registry");
}

static void envelope(erg__buf_t *b, uint8_t kind, int target, uint8_t flags,
                     int msg) {
    erg_net_envelope_v1_t e = {0};
    e.from = PID("a@127.0.0.1", 42, 1);
    e.to.tag = (erg_net_target_tag_t)target;
    if (target == ERG_NET_TARGET_PID)
        e.to.u.pid = PID("b@127.0.0.1", 7, 2);
    else if (target == ERG_NET_TARGET_NAME)
        e.to.u.name = ERG_STR("payments");
    else
        e.to.u.alias = REF("b@127.0.0.1", 2, 99, 0);
    e.ref = REF("a@127.0.0.1", 1, 1234, 5);
    e.priority = 1;
    e.flags = flags;
    shop_payment_charge_request_v1_t v1 = {1001, 2500};
    shop_payment_refund_request_v1_t rr = {ERG_STR("tx-1")};
    static const char raw[] = "untyped bytes";
    erg_err_t rv;
    switch (msg) {
    case 0:
        rv = erg__frame_put_data(b, kind, &erg_net_envelope_v1_desc, &e,
                                 &shop_payment_charge_request_v1_desc, &v1,
                                 NULL, 0, true, SIZE_MAX);
        break;
    case 1:
        rv = erg__frame_put_data(b, kind, &erg_net_envelope_v1_desc, &e,
                                 &shop_payment_refund_request_v1_desc, &rr,
                                 NULL, 0, true, SIZE_MAX);
        break;
    default:
        rv = erg__frame_put_data(b, kind, &erg_net_envelope_v1_desc, &e, NULL,
                                 NULL, raw, sizeof raw - 1, true, SIZE_MAX);
        break;
    }
    check(rv, "envelope");
}

static void reply(erg__buf_t *b, int32_t code, bool with_msg) {
    erg_net_reply_v1_t r = {
        PID("a@127.0.0.1", 42, 1), REF("a@127.0.0.1", 1, 1234, 5), code,
        code != 0 ? ERG_STR("no such process") : ERG_STR("")};
    shop_payment_charge_response_v1_t resp = {ERG_STR("tx-9"), 0, 1700};
    check(erg__frame_put_data(b, ERG__FRAME_REPLY, &erg_net_reply_v1_desc, &r,
                              with_msg ? &shop_payment_charge_response_v1_desc
                                       : NULL,
                              with_msg ? &resp : NULL, NULL, 0, with_msg, SIZE_MAX),
          "reply");
}

static void watch(erg__buf_t *b, int target, bool remove) {
    erg_net_watch_v1_t w = {0};
    w.owner = PID("a@127.0.0.1", 42, 1);
    w.target.tag = (erg_net_target_tag_t)target;
    if (target == ERG_NET_TARGET_PID)
        w.target.u.pid = PID("b@127.0.0.1", 7, 2);
    else if (target == ERG_NET_TARGET_NAME)
        w.target.u.name = ERG_STR("payments");
    else if (target == ERG_NET_TARGET_ALIAS)
        w.target.u.alias = REF("b@127.0.0.1", 2, 99, 0);
    else
        w.target.u.event_name = ERG_STR("charged");
    w.ref = REF("a@127.0.0.1", 1, 77, 0);
    w.link = target == ERG_NET_TARGET_PID;
    w.remove = remove;
    check(erg__frame_put_ctl(b, ERG__FRAME_WATCH, &erg_net_watch_v1_desc, &w),
          "watch");
}

static void publish(erg__buf_t *b) {
    erg_net_publish_v1_t p = {ERG_STR("charged"), PID("a@127.0.0.1", 42, 1),
                              INT64_C(1700000000000000000)};
    shop_payment_charged_v1_t ev = {1001, PID("a@127.0.0.1", 42, 1)};
    check(erg__frame_put_data(b, ERG__FRAME_PUBLISH, &erg_net_publish_v1_desc,
                              &p, &shop_payment_charged_v1_desc, &ev, NULL, 0,
                              true, SIZE_MAX),
          "publish");
}

static void spawn(erg__buf_t *b, bool with_arg) {
    erg_net_spawn_v1_t sp = {
        PID("a@127.0.0.1", 42, 1), REF("a@127.0.0.1", 1, 4321, 0),
        ERG_STR("payments"), with_arg ? ERG_STR("pay") : ERG_STR(""), 100};
    shop_payment_refund_request_v1_t arg = {ERG_STR("tx-2")};
    check(erg__frame_put_data(b, ERG__FRAME_SPAWN, &erg_net_spawn_v1_desc, &sp,
                              with_arg ? &shop_payment_refund_request_v1_desc
                                       : NULL,
                              with_arg ? &arg : NULL, NULL, 0, with_arg, SIZE_MAX),
          "spawn");
}

static void spawned(erg__buf_t *b, int32_t code) {
    erg_net_spawn_result_v1_t r = {
        PID("a@127.0.0.1", 42, 1), REF("a@127.0.0.1", 1, 4321, 0), code,
        code == 0 ? PID("b@127.0.0.1", 9, 2) : PID("", 0, 0)};
    check(erg__frame_put_ctl(b, ERG__FRAME_SPAWNED,
                             &erg_net_spawn_result_v1_desc, &r),
          "spawned");
}

static void app(erg__buf_t *b, bool start) {
    erg_net_app_request_v1_t q = {PID("a@127.0.0.1", 42, 1),
                                  REF("a@127.0.0.1", 1, 555, 0),
                                  ERG_STR("shop"), start, 0};
    check(
        erg__frame_put_ctl(b, ERG__FRAME_APP, &erg_net_app_request_v1_desc, &q),
        "app");
}

static void app_info(erg__buf_t *b) {
    erg_wire_pid_t members[2] = {PID("b@127.0.0.1", 9, 2),
                                 PID("b@127.0.0.1", 10, 2)};
    erg_str_t depends[1] = {ERG_STR("kernel")};
    erg_net_app_role_t roles[1] = {{ERG_STR("ledger"), ERG_STR("led")}};
    erg_net_app_info_v1_t ai = {0};
    ai.to = PID("a@127.0.0.1", 42, 1);
    ai.ref = REF("a@127.0.0.1", 1, 555, 0);
    ai.name = ERG_STR("shop");
    ai.description = ERG_STR("the shop");
    ai.version = ERG_STR("1.0.0");
    ai.state = 1;
    ai.weight = 10;
    ai.uptime_ms = 1234;
    ai.members.ptr = members;
    ai.members.len = 2;
    ai.depends.ptr = depends;
    ai.depends.len = 1;
    ai.roles.ptr = roles;
    ai.roles.len = 1;
    check(erg__frame_put_ctl(b, ERG__FRAME_APP_INFO, &erg_net_app_info_v1_desc,
                             &ai),
          "app info");
}

static void down(erg__buf_t *b) {
    erg_net_down_v1_t d = {PID("a@127.0.0.1", 42, 1),
                           REF("a@127.0.0.1", 1, 77, 0),
                           PID("b@127.0.0.1", 7, 2), false, -3};
    check(erg__frame_put_ctl(b, ERG__FRAME_DOWN, &erg_net_down_v1_desc, &d),
          "down");
}

static void exit_frame(erg__buf_t *b) {
    erg_net_exit_v1_t x = {PID("a@127.0.0.1", 42, 1), PID("b@127.0.0.1", 7, 2),
                           5};
    check(erg__frame_put_ctl(b, ERG__FRAME_EXIT, &erg_net_exit_v1_desc, &x),
          "exit");
}

/* Writes b as a seed and empties it. */
static void flush(erg__buf_t *b) {
    write_seed(b);
    b->len = 0;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: net_fuzz_seeds DIR\n");
        return 2;
    }
    static char net_dir[4096];
    snprintf(net_dir, sizeof net_dir, "%s/net", argv[1]);
    mkdir(argv[1], 0777);
    mkdir(net_dir, 0777);
    dir = net_dir;
    static const erg_codec_registry_t *const regs[] = {&shop_payment_registry};
    erg__vtable_t t;
    check(erg__vtable_init(&t, regs, 1), "vtable");
    erg__buf_t b = {0};

    /* Each frame alone. */
    hello(&b, true, 0);
    flush(&b);
    hello(&b, false, 0);
    flush(&b);
    proof(&b);
    flush(&b);
    refuse(&b, ERG_EBUSY, "crossing connection");
    flush(&b);
    refuse(&b, ERG_EAUTH, "cookie proof failed");
    flush(&b);
    registry(&b, &t, false);
    flush(&b);
    registry(&b, &t, true);
    flush(&b);
    for (int target = 0; target < 3; target++)
        for (int msg = 0; msg < 3; msg++) {
            envelope(&b, target == 1 ? ERG__FRAME_CALL : ERG__FRAME_MSG, target,
                     msg == 1 ? ERG__ENV_IMPORTANT : 0, msg);
            flush(&b);
        }
    reply(&b, 0, true);
    flush(&b);
    reply(&b, ERG_ENOPROC, false);
    flush(&b);
    for (int target = 0; target < 4; target++) {
        watch(&b, target, false);
        flush(&b);
    }
    watch(&b, ERG_NET_TARGET_PID, true);
    flush(&b);
    publish(&b);
    flush(&b);
    spawn(&b, true);
    flush(&b);
    spawn(&b, false);
    flush(&b);
    spawned(&b, 0);
    flush(&b);
    spawned(&b, ERG_ENOTALLOWED);
    flush(&b);
    app(&b, true);
    flush(&b);
    app(&b, false);
    flush(&b);
    app_info(&b);
    flush(&b);
    down(&b);
    flush(&b);
    exit_frame(&b);
    flush(&b);

    /* What a dialer receives from the acceptor: preamble, Hello, Proof,
     * Registry, then traffic. */
    preamble(&b);
    hello(&b, false, 0);
    proof(&b);
    registry(&b, &t, false);
    envelope(&b, ERG__FRAME_CALL, ERG_NET_TARGET_PID, 0, 0);
    reply(&b, 0, true);
    exit_frame(&b);
    flush(&b);
    /* What an acceptor receives from a dialer whose registry disagrees. */
    preamble(&b);
    hello(&b, true, 0);
    proof(&b);
    registry(&b, &t, true);
    envelope(&b, ERG__FRAME_MSG, ERG_NET_TARGET_NAME, ERG__ENV_IMPORTANT, 0);
    envelope(&b, ERG__FRAME_MSG, ERG_NET_TARGET_ALIAS, 0, 2);
    flush(&b);
    /* A second link of a pool (no registry), and a refused dial. */
    preamble(&b);
    hello(&b, true, 2);
    proof(&b);
    envelope(&b, ERG__FRAME_MSG, ERG_NET_TARGET_PID, 0, 1);
    watch(&b, ERG_NET_TARGET_ALIAS, false);
    down(&b);
    publish(&b);
    spawn(&b, true);
    app(&b, false);
    flush(&b);
    preamble(&b);
    hello(&b, false, 0);
    refuse(&b, ERG_EBUSY, "crossing connection");
    flush(&b);

    erg__buf_free(&b);
    erg__vtable_fini(&t);
    return 0;
}
