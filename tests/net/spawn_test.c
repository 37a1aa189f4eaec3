/* SPDX-License-Identifier: MIT */
/* spawn_test.c: processes and applications started on another node, within
 * its allow-lists, over real sockets on 127.0.0.1. */
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "erg/erg.h"
#include "shop/payment.h"
#include "nettest.h"
#include "testutil.h"

static const erg_codec_registry_t *const regs[] = {&shop_payment_registry};

static erg_node_t *start_node(const char *name, uint64_t flags) {
    erg_node_t *node = nt_node(name);
    assert_non_null(node);
    erg_acceptor_opts_t acc;
    erg_net_opts_t n;
    nt_net_opts(&n, &acc, "spawn-test", 0);
    n.registries = regs;
    n.nregistries = 1;
    n.flags |= flags;
    ERG_PASS(erg_net_start(node, &n));
    return node;
}


/* A worker remembers the order id its spawn arguments carried. */
static atomic_long worker_order;

static erg_reason_t worker_init(erg_proc_t *self, void *args) {
    (void)self;
    const erg_msg_t *m = args;
    const shop_payment_charge_request_v2_t *v =
        m != NULL ? erg_typed_msg_value(m) : NULL;
    atomic_store(&worker_order, v != NULL ? (long)v->order_id : -1);
    return ERG_REASON_NONE;
}

static const erg_behavior_t worker = {.name = "worker", .init = worker_init};

static erg_reason_t failing_init(erg_proc_t *self, void *args) {
    (void)self;
    (void)args;
    return ERG_REASON_USER + 3;
}

static const erg_behavior_t failing = {.name = "failing",
                                       .init = failing_init};

static void test_remote_spawn(void **state) {
    (void)state;
    erg_node_t *a = start_node("sa@127.0.0.1", 0);
    erg_node_t *b = start_node("sb@127.0.0.1", ERG_NET_ALLOW_REMOTE_SPAWN);
    nt_route_to(a, b);
    nt_route_to(b, a);
    ERG_PASS(erg_net_allow_spawn(b, "worker", &worker, NULL, 0));
    const char *only_c[] = {"sc@127.0.0.1"};
    ERG_PASS(erg_net_allow_spawn(b, "for-c", &worker, only_c, 1));
    ERG_PASS(erg_net_allow_spawn(b, "failing", &failing, NULL, 0));
    shop_payment_charge_request_v2_t v = SHOP_PAYMENT_CHARGE_REQUEST_V2_INIT;
    v.order_id = 77;
    v.method.tag = SHOP_PAYMENT_METHOD_CASH;
    erg_msg_t *args;
    ERG_PASS(erg_typed_msg_new(&shop_payment_charge_request_v2_desc, &v,
                               &args));
    erg_remote_spawn_opts_t o = {"remote-worker", 0, 0};
    erg_pid_t pid;
    ERG_PASS(erg_remote_spawn(a, "sb@127.0.0.1", "worker", &o, args, &pid));
    assert_int_equal(pid.node, erg_node_hash("sb@127.0.0.1"));
    assert_int_equal(atomic_load(&worker_order), 77);
    erg_pid_t named;
    ERG_PASS(erg_node_resolve_name(b, "remote-worker", &named));
    assert_true(erg_pid_equal(named, pid));
    /* The same name again: the spawn's own error comes back. */
    ERG_FAIL(erg_remote_spawn(a, "sb@127.0.0.1", "worker", &o, args, &pid),
             ERG_ETAKEN);
    erg_msg_release(args);
    /* Not on the list, or not for this node. */
    ERG_FAIL(erg_remote_spawn(a, "sb@127.0.0.1", "nobody", NULL, NULL, &pid),
             ERG_ENOTALLOWED);
    ERG_FAIL(erg_remote_spawn(a, "sb@127.0.0.1", "for-c", NULL, NULL, &pid),
             ERG_ENOTALLOWED);
    /* An init that fails reports its reason. */
    ERG_FAIL(erg_remote_spawn(a, "sb@127.0.0.1", "failing", NULL, NULL, &pid),
             ERG_ETERMINATED);
    /* A node that does not allow remote spawn at all. */
    ERG_PASS(erg_net_allow_spawn(a, "worker", &worker, NULL, 0));
    ERG_FAIL(erg_remote_spawn(b, "sa@127.0.0.1", "worker", NULL, NULL, &pid),
             ERG_ENOTALLOWED);
    ERG_PASS(erg_node_stop(a));
    ERG_PASS(erg_node_stop(b));
}

static erg_reason_t member_init(erg_proc_t *self, void *args) {
    (void)self;
    (void)args;
    return ERG_REASON_NONE;
}

static const erg_behavior_t member = {.name = "member", .init = member_init};

static void test_remote_app(void **state) {
    (void)state;
    erg_node_t *a = start_node("sa@127.0.0.1", 0);
    erg_node_t *b = start_node("sb@127.0.0.1",
                               ERG_NET_ALLOW_REMOTE_APP_START);
    nt_route_to(a, b);
    erg_app_member_t members[] = {{"billing-main", &member, {0}, NULL}};
    erg_spawn_opts_init(&members[0].opts);
    const char *tags[] = {"payments"};
    erg_app_role_t map[] = {{"main", "billing-main"}};
    erg_app_spec_t spec = {0};
    spec.name = "billing";
    spec.description = "bills";
    spec.version = "1.2";
    spec.members = members;
    spec.nmembers = 1;
    spec.tags = tags;
    spec.ntags = 1;
    spec.map = map;
    spec.nmap = 1;
    ERG_PASS(erg_app_load(b, &spec));
    erg_app_info_t *info = NULL;
    ERG_PASS(erg_remote_app_info(a, "sb@127.0.0.1", "billing", 0, &info));
    assert_string_equal(info->name, "billing");
    assert_string_equal(info->version, "1.2");
    assert_int_equal(info->state, ERG_APP_LOADED);
    assert_int_equal(info->ntags, 1);
    assert_string_equal(info->tags[0], "payments");
    assert_int_equal(info->nmap, 1);
    assert_string_equal(info->map[0].process, "billing-main");
    erg_app_info_free(info);
    /* Not allowed yet. */
    ERG_FAIL(erg_remote_app_start(a, "sb@127.0.0.1", "billing",
                                  ERG_APP_MODE_DEFAULT, 0),
             ERG_ENOTALLOWED);
    ERG_PASS(erg_net_allow_app_start(b, "billing", NULL, 0));
    ERG_PASS(erg_remote_app_start(a, "sb@127.0.0.1", "billing",
                                  ERG_APP_TRANSIENT, 0));
    ERG_PASS(erg_remote_app_info(a, "sb@127.0.0.1", "billing", 0, &info));
    assert_int_equal(info->state, ERG_APP_RUNNING);
    assert_int_equal(info->mode, ERG_APP_TRANSIENT);
    assert_int_equal(info->nmembers, 1);
    assert_int_equal(info->members[0].node, erg_node_hash("sb@127.0.0.1"));
    erg_app_info_free(info);
    ERG_FAIL(erg_remote_app_info(a, "sb@127.0.0.1", "nothing", 0, &info),
             ERG_ENOAPP);
    ERG_PASS(erg_node_stop(a));
    ERG_PASS(erg_node_stop(b));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_remote_spawn),
        cmocka_unit_test(test_remote_app),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
