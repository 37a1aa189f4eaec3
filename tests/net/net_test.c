/* SPDX-License-Identifier: MIT */
/* net_test.c: nodes talking over real sockets on 127.0.0.1: framing, the
 * handshake, remote sends and calls, and version enforcement. Several
 * nodes run in this one process, each with its own network thread. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "erg/erg.h"
#include "erg/net.h"
#include "net/frame.h"
#include "shop/payment.h"
#include "nettest.h"
#include "testutil.h"


/* ---- framing ------------------------------------------------------------- */

static void test_preamble(void **state) {
    (void)state;
    uint8_t p[ERG__PREAMBLE_SIZE];
    erg__preamble_write(p);
    ERG_PASS(erg__preamble_check(p));
    p[4] ^= 1;
    ERG_FAIL(erg__preamble_check(p), ERG_EVERSION);
    erg__preamble_write(p);
    p[20] ^= 1;
    ERG_FAIL(erg__preamble_check(p), ERG_EFINGERPRINT);
    erg__preamble_write(p);
    p[0] = 'X';
    ERG_FAIL(erg__preamble_check(p), ERG_EPEER);
}

static void test_frame_bounds(void **state) {
    (void)state;
    erg__frame_t f;
    uint8_t b[16] = {3, 0, 0, 0, 16, 'a', 'b', 9};
    assert_int_equal(erg__frame_next(b, 3, 100, &f), 0);
    assert_int_equal(erg__frame_next(b, 6, 100, &f), 0);
    assert_int_equal(erg__frame_next(b, 8, 100, &f), 1);
    assert_int_equal(f.kind, 16);
    assert_int_equal(f.len, 2);
    assert_int_equal(f.consumed, 7);
    assert_int_equal(erg__frame_next(b, 8, 2, &f), ERG_ETOOBIG);
    uint8_t z[5] = {0};
    assert_int_equal(erg__frame_next(z, 5, 100, &f), ERG_EPEER);
    /* A data frame whose inner lengths lie. */
    erg__data_t d;
    uint8_t bad[8] = {200, 0, 0, 0, 1, 2, 3, 4};
    ERG_FAIL(erg__data_split(bad, sizeof(bad), &d), ERG_ETRUNCATED);
    uint8_t hdr[4 + 16] = {0};
    hdr[4 + 12] = 9; /* message body length 9, none present */
    ERG_FAIL(erg__data_split(hdr, sizeof(hdr), &d), ERG_ETRUNCATED);
}

/* ---- a cluster in one process ---------------------------------------------- */

/* What the recorder on a node got. */
typedef struct seen_s {
    atomic_long msgs, untyped, v1, v2, calls;
    atomic_long last_order;
    char bytes[64];
} seen_t;

static seen_t seen_b, seen_c;

static seen_t *seen_of(erg_proc_t *self) {
    return *(seen_t **)erg_proc_state(self);
}

static erg_reason_t rec_init(erg_proc_t *self, void *args) {
    *(seen_t **)erg_proc_state(self) = args;
    return erg_register_name(self, "rec") == ERG_OK ? ERG_REASON_NONE
                                                     : ERG_REASON_PANIC;
}

static erg_reason_t rec_message(erg_proc_t *self, erg_pid_t from,
                                erg_msg_t *msg) {
    (void)from;
    seen_t *s = seen_of(self);
    const erg_codec_desc_t *d = erg_typed_msg_desc(msg);
    if (d == &shop_payment_charge_request_v1_desc) {
        const shop_payment_charge_request_v1_t *v = erg_typed_msg_value(msg);
        atomic_store(&s->last_order, (long)v->order_id);
        atomic_fetch_add(&s->v1, 1);
    } else if (d == &shop_payment_charge_request_v2_desc) {
        const shop_payment_charge_request_v2_t *v = erg_typed_msg_value(msg);
        atomic_store(&s->last_order, (long)v->order_id);
        atomic_fetch_add(&s->v2, 1);
    } else if (erg_msg_type(msg) == NULL) {
        size_t n = erg_msg_size(msg) < 63 ? erg_msg_size(msg) : 63;
        memcpy(s->bytes, erg_msg_data(msg), n);
        s->bytes[n] = '\0';
        atomic_fetch_add(&s->untyped, 1);
    }
    atomic_fetch_add(&s->msgs, 1);
    return ERG_REASON_NONE;
}

static erg_reason_t rec_call(erg_proc_t *self, erg_pid_t from, erg_ref_t ref,
                             erg_msg_t *request, erg_msg_t **reply) {
    (void)from;
    (void)ref;
    atomic_fetch_add(&seen_of(self)->calls, 1);
    const erg_codec_desc_t *d = erg_typed_msg_desc(request);
    char id[32];
    uint64_t order = 0;
    if (d == &shop_payment_charge_request_v1_desc)
        order = ((const shop_payment_charge_request_v1_t *)
                     erg_typed_msg_value(request))
                    ->order_id;
    else if (d == &shop_payment_charge_request_v2_desc)
        order = ((const shop_payment_charge_request_v2_t *)
                     erg_typed_msg_value(request))
                    ->order_id;
    snprintf(id, sizeof(id), "tx-%llu", (unsigned long long)order);
    shop_payment_charge_response_v1_t r = {{id, strlen(id)},
                                           SHOP_PAYMENT_STATUS_OK, 42};
    if (erg_typed_msg_new(&shop_payment_charge_response_v1_desc, &r, reply) !=
        ERG_OK)
        return ERG_REASON_PANIC;
    return ERG_REASON_NONE;
}

static const erg_behavior_t recorder = {
    .name = "recorder",
    .state_size = sizeof(seen_t *),
    .init = rec_init,
    .handle_message = rec_message,
    .handle_call = rec_call,
};

/* A node that knows only ChargeRequest v1 and ChargeResponse v1, as an
 * older build of the schema would. */
static const erg_codec_desc_t *const v1_types[] = {
    &shop_payment_charge_request_v1_desc,
    &shop_payment_charge_response_v1_desc,
};
static const erg_codec_registry_t v1_registry = {
    ERG_CODEC_MAGIC, "shop/payment.erg (v1 only)", NULL, v1_types, 2, NULL, 0,
};

static const erg_codec_registry_t *const full_regs[] = {
    &shop_payment_registry};
static const erg_codec_registry_t *const v1_regs[] = {&v1_registry};

static erg_node_t *start_node(const char *name, const char *cookie,
                              const erg_codec_registry_t *const *regs,
                              unsigned nregs) {
    erg_node_t *node = nt_node(name);
    assert_non_null(node);
    erg_acceptor_opts_t acc;
    erg_net_opts_t n;
    nt_net_opts(&n, &acc, cookie, 0);
    n.registries = regs;
    n.nregistries = nregs;
    ERG_PASS(erg_net_start(node, &n));
    assert_true(erg_net_port(node) != 0);
    return node;
}


static erg_msg_t *charge_v2(uint64_t order) {
    shop_payment_charge_request_v2_t v = SHOP_PAYMENT_CHARGE_REQUEST_V2_INIT;
    v.order_id = order;
    v.total.amount = 1250;
    v.method.tag = SHOP_PAYMENT_METHOD_CASH;
    erg_msg_t *m;
    ERG_PASS(erg_typed_msg_new(&shop_payment_charge_request_v2_desc, &v, &m));
    return m;
}

static void test_remote_send_call(void **state) {
    (void)state;
    memset(&seen_b, 0, sizeof(seen_b));
    erg_node_t *a = start_node("a@127.0.0.1", "secret", full_regs, 1);
    erg_node_t *b = start_node("b@127.0.0.1", "secret", full_regs, 1);
    nt_route_to(a, b);
    erg_pid_t rec;
    ERG_PASS(erg_node_spawn(b, &recorder, NULL, &seen_b, &rec));
    /* First use connects; the message waits for the handshake. */
    erg_target_t to = erg_to_remote_name("rec", "b@127.0.0.1");
    ERG_PASS(erg_node_send(a, to, charge_v2(7), 0));
    assert_true(nt_wait_for(&seen_b.v2, 1));
    assert_int_equal(atomic_load(&seen_b.last_order), 7);
    /* By pid, now that a knows b's name. */
    ERG_PASS(erg_node_send(a, erg_to_pid(rec), charge_v2(8), 0));
    assert_true(nt_wait_for(&seen_b.v2, 2));
    /* Untyped bytes travel as bytes. */
    erg_msg_t *raw;
    ERG_PASS(erg_msg_new_copy(NULL, "hello", 5, &raw));
    ERG_PASS(erg_node_send(a, to, raw, 0));
    assert_true(nt_wait_for(&seen_b.untyped, 1));
    assert_string_equal(seen_b.bytes, "hello");
    /* A call, answered with a typed reply. */
    erg_msg_t *req = charge_v2(9), *reply = NULL;
    ERG_PASS(erg_node_call(a, erg_to_pid(rec), req, 5000, &reply));
    const shop_payment_charge_response_v1_t *r = erg_typed_msg_value(reply);
    assert_non_null(r);
    assert_string_equal(r->transaction_id.ptr, "tx-9");
    erg_msg_release(reply);
    /* A call to a name nobody holds fails with that error. */
    req = charge_v2(10);
    ERG_FAIL(erg_node_call(a, erg_to_remote_name("nobody", "b@127.0.0.1"),
                           req, 5000, &reply),
             ERG_ENONAME);
    erg_msg_release(req);
    /* A message with a C type of its own cannot leave the node. */
    static const char mytype[] = "my";
    ERG_PASS(erg_msg_new_copy(mytype, "x", 1, &raw));
    ERG_FAIL(erg_node_send(a, to, raw, 0), ERG_ENOTSUP);
    erg_msg_release(raw);
    /* The counters show the traffic per version. */
    erg_net_type_stats_t st[16];
    size_t n = erg_net_type_stats(b, st, 16);
    bool found = false;
    for (size_t i = 0; i < n && i < 16; i++)
        if (strcmp(st[i].name, "shop.payment.ChargeRequest") == 0 &&
            st[i].version == 2) {
            /* 7, 8, 9 and the call to "nobody": received, then refused
             * by the delivery (the caller got ERG_ENONAME). */
            assert_int_equal(st[i].received, 4);
            found = true;
        }
    assert_true(found);
    erg_inspect_t *in;
    ERG_PASS(erg_net_inspect(a, &in));
    assert_string_equal(
        erg_inspect_find(in, "sent shop.payment.ChargeRequest v2"), "4");
    erg_inspect_free(in);
    ERG_PASS(erg_node_stop(a));
    ERG_PASS(erg_node_stop(b));
}

static void test_downgrade_and_refusal(void **state) {
    (void)state;
    memset(&seen_c, 0, sizeof(seen_c));
    erg_node_t *a = start_node("a@127.0.0.1", "secret", full_regs, 1);
    erg_node_t *c = start_node("c@127.0.0.1", "secret", v1_regs, 1);
    nt_route_to(a, c);
    erg_pid_t rec;
    ERG_PASS(erg_node_spawn(c, &recorder, NULL, &seen_c, &rec));
    ERG_PASS(erg_net_connect(a, "c@127.0.0.1"));
    /* v2 reaches the v1-only node as v1, converted by the sender. */
    ERG_PASS(erg_node_send(a, erg_to_pid(rec), charge_v2(11), 0));
    assert_true(nt_wait_for(&seen_c.v1, 1));
    assert_int_equal(atomic_load(&seen_c.v2), 0);
    assert_int_equal(atomic_load(&seen_c.last_order), 11);
    /* A type c does not have at all fails at once, naming the type. */
    shop_payment_refund_request_v1_t refund = {ERG_STR("t-1")};
    erg_msg_t *m;
    ERG_PASS(erg_typed_msg_new(&shop_payment_refund_request_v1_desc, &refund,
                               &m));
    ERG_FAIL(erg_node_send(a, erg_to_pid(rec), m, 0), ERG_EVERSION);
    erg_msg_release(m);
    erg_net_type_stats_t st[16];
    size_t n = erg_net_type_stats(a, st, 16);
    for (size_t i = 0; i < n && i < 16; i++) {
        if (strcmp(st[i].name, "shop.payment.ChargeRequest") == 0 &&
            st[i].version == 2)
            assert_int_equal(st[i].converted, 1);
        if (strcmp(st[i].name, "shop.payment.RefundRequest") == 0)
            assert_int_equal(st[i].refused, 1);
    }
    ERG_PASS(erg_node_stop(a));
    ERG_PASS(erg_node_stop(c));
}

/* The same version with another shape on the peer: refused both ways. */
static erg_codec_desc_t other_v1;
static uint8_t other_fp[32];
static const erg_codec_desc_t *const other_types[] = {&other_v1};
static const erg_codec_registry_t other_registry = {
    ERG_CODEC_MAGIC, "other", NULL, other_types, 1, NULL, 0,
};
static const erg_codec_registry_t *const other_regs[] = {&other_registry};

static void test_fingerprint_mismatch(void **state) {
    (void)state;
    other_v1 = shop_payment_charge_request_v1_desc;
    memset(other_fp, 0xab, sizeof(other_fp));
    other_v1.fingerprint = other_fp;
    erg_node_t *a = start_node("a@127.0.0.1", "secret", full_regs, 1);
    erg_node_t *d = start_node("d@127.0.0.1", "secret", other_regs, 1);
    nt_route_to(a, d);
    nt_route_to(d, a);
    ERG_PASS(erg_net_connect(a, "d@127.0.0.1"));
    shop_payment_charge_request_v1_t v = {5, 100};
    erg_msg_t *m;
    ERG_PASS(erg_typed_msg_new(&shop_payment_charge_request_v1_desc, &v, &m));
    erg_pid_t somewhere = {erg_node_hash("d@127.0.0.1"), erg_node_creation(d),
                           1};
    ERG_FAIL(erg_node_send(a, erg_to_pid(somewhere), m, 0),
             ERG_EFINGERPRINT);
    erg_msg_release(m);
    /* And from the other side. */
    ERG_PASS(erg_typed_msg_new(&other_v1, &v, &m));
    erg_pid_t back = {erg_node_hash("a@127.0.0.1"), erg_node_creation(a), 1};
    ERG_FAIL(erg_node_send(d, erg_to_pid(back), m, 0), ERG_EFINGERPRINT);
    erg_msg_release(m);
    ERG_PASS(erg_node_stop(a));
    ERG_PASS(erg_node_stop(d));
}

static void test_wrong_cookie(void **state) {
    (void)state;
    erg_node_t *a = start_node("a@127.0.0.1", "secret", full_regs, 1);
    erg_node_t *e = start_node("e@127.0.0.1", "another", full_regs, 1);
    nt_route_to(a, e);
    ERG_FAIL(erg_net_connect(a, "e@127.0.0.1"), ERG_EAUTH);
    const char *names[4];
    assert_int_equal(erg_net_peers(e, names, 4), 0);
    ERG_PASS(erg_node_stop(a));
    ERG_PASS(erg_node_stop(e));
}

typedef struct dial_s {
    erg_node_t *from;
    const char *to;
    erg_err_t rv;
} dial_t;

static void *dial_main(void *arg) {
    dial_t *d = arg;
    d->rv = erg_net_connect(d->from, d->to);
    return NULL;
}

/* Both nodes dial each other at once: one pool survives, both agree. */
static void test_crossing_dials(void **state) {
    (void)state;
    for (int round = 0; round < 5; round++) {
        erg_node_t *a = start_node("a@127.0.0.1", "secret", full_regs, 1);
        erg_node_t *b = start_node("b@127.0.0.1", "secret", full_regs, 1);
        nt_route_to(a, b);
        nt_route_to(b, a);
        dial_t da = {a, "b@127.0.0.1", ERG_EUNKNOWN};
        dial_t db = {b, "a@127.0.0.1", ERG_EUNKNOWN};
        pthread_t ta, tb;
        pthread_create(&ta, NULL, dial_main, &da);
        pthread_create(&tb, NULL, dial_main, &db);
        pthread_join(ta, NULL);
        pthread_join(tb, NULL);
        ERG_PASS(da.rv);
        ERG_PASS(db.rv);
        const char *names[4];
        assert_int_equal(erg_net_peers(a, names, 4), 1);
        assert_int_equal(erg_net_peers(b, names, 4), 1);
        ERG_PASS(erg_node_stop(a));
        ERG_PASS(erg_node_stop(b));
    }
}

static void test_important(void **state) {
    (void)state;
    memset(&seen_b, 0, sizeof(seen_b));
    erg_node_t *a = start_node("a@127.0.0.1", "secret", full_regs, 1);
    erg_node_t *b = start_node("b@127.0.0.1", "secret", full_regs, 1);
    nt_route_to(a, b);
    erg_pid_t rec;
    ERG_PASS(erg_node_spawn(b, &recorder, NULL, &seen_b, &rec));
    /* ERG_OK means: in the mailbox at the other node. */
    erg_msg_t *m = charge_v2(21);
    ERG_PASS(erg_node_send_important(
        a, erg_to_remote_name("rec", "b@127.0.0.1"), m));
    assert_true(nt_wait_for(&seen_b.v2, 1));
    /* A missing process comes back as that error, and the caller keeps
     * the message. */
    m = charge_v2(22);
    ERG_FAIL(erg_node_send_important(
                 a, erg_to_remote_name("nobody", "b@127.0.0.1"), m),
             ERG_ENONAME);
    erg_pid_t gone = rec;
    gone.id += 1000;
    ERG_FAIL(erg_node_send_important(a, erg_to_pid(gone), m), ERG_ENOPROC);
    erg_msg_release(m);
    ERG_PASS(erg_node_stop(a));
    ERG_PASS(erg_node_stop(b));
}

/* What does not fit is refused at the sender, and nothing accepted is
 * lost. */
static void test_limits(void **state) {
    (void)state;
    memset(&seen_b, 0, sizeof(seen_b));
    erg_node_t *a = start_node("a@127.0.0.1", "secret", full_regs, 1);
    erg_node_opts_t o;
    erg_node_opts_init(&o);
    o.workers = 2;
    o.no_default_logger = true;
    erg_node_t *b = NULL;
    ERG_PASS(erg_node_start("b@127.0.0.1", &o, &b));
    erg_acceptor_opts_t acc = {"127.0.0.1", 0, 0};
    erg_net_opts_t n;
    erg_net_opts_init(&n);
    n.registrar.disable = true; /* static routes; tests run in parallel */
    n.cookie = "secret";
    n.acceptors = &acc;
    n.nacceptors = 1;
    n.max_message = 1024;
    n.flags = 0; /* no important delivery here */
    ERG_PASS(erg_net_start(b, &n));
    nt_route_to(a, b);
    erg_pid_t rec;
    ERG_PASS(erg_node_spawn(b, &recorder, NULL, &seen_b, &rec));
    ERG_PASS(erg_net_connect(a, "b@127.0.0.1"));
    static char big[4096];
    erg_msg_t *m;
    ERG_PASS(erg_msg_new_copy(NULL, big, sizeof(big), &m));
    ERG_FAIL(erg_node_send(a, erg_to_pid(rec), m, 0), ERG_ETOOBIG);
    ERG_FAIL(erg_node_send_important(a, erg_to_pid(rec), m), ERG_ENOTSUP);
    erg_msg_release(m);
    ERG_PASS(erg_node_stop(a));
    /* A link buffer of one byte: a burst fills it and sends fail with
     * ERG_EBUSY until the loop has written what it holds. */
    erg_node_t *c = NULL;
    ERG_PASS(erg_node_start("c@127.0.0.1", &o, &c));
    erg_net_opts_init(&n);
    n.registrar.disable = true; /* static routes; tests run in parallel */
    n.cookie = "secret";
    n.no_acceptor = true;
    n.link_buffer = 1;
    ERG_PASS(erg_net_start(c, &n));
    nt_route_to(c, b);
    ERG_PASS(erg_net_connect(c, "b@127.0.0.1"));
    long ok = 0, busy = 0;
    for (int i = 0; i < 20000; i++) {
        ERG_PASS(erg_msg_new_copy(NULL, big, 512, &m));
        erg_err_t rv = erg_node_send(c, erg_to_pid(rec), m, 0);
        if (rv == ERG_OK) {
            ok++;
        } else {
            assert_int_equal(rv, ERG_EBUSY);
            busy++;
            erg_msg_release(m);
        }
    }
    assert_true(busy > 0);
    assert_true(nt_wait_for(&seen_b.untyped, ok));
    nt_sleep_ms(100);
    assert_int_equal(atomic_load(&seen_b.untyped), ok);
    ERG_PASS(erg_node_stop(c));
    ERG_PASS(erg_node_stop(b));
}

static void test_no_route(void **state) {
    (void)state;
    erg_node_t *a = start_node("a@127.0.0.1", "secret", full_regs, 1);
    erg_msg_t *m = charge_v2(1);
    ERG_FAIL(erg_node_send(a, erg_to_remote_name("x", "zz@nowhere"), m, 0),
             ERG_ENOROUTE);
    erg_msg_release(m);
    ERG_FAIL(erg_net_connect(a, "zz@nowhere"), ERG_ENOROUTE);
    ERG_PASS(erg_node_stop(a));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_preamble),
        cmocka_unit_test(test_frame_bounds),
        cmocka_unit_test(test_remote_send_call),
        cmocka_unit_test(test_downgrade_and_refusal),
        cmocka_unit_test(test_fingerprint_mismatch),
        cmocka_unit_test(test_wrong_cookie),
        cmocka_unit_test(test_crossing_dials),
        cmocka_unit_test(test_important),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_no_route),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
