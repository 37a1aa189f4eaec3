/* SPDX-License-Identifier: MIT */
/* adapt_test.c: a node converts a message to the version the target actor
 * accepts before delivering it (net/versions.c, erg__version_adapt): from
 * another node, and locally alike. */
#include <stdatomic.h>
#include <string.h>

#include "erg/erg.h"
#include "net/adapt.h"
#include "nettest.h"
#include "testutil.h"

static atomic_long got_id;
static atomic_long got_orders;

static erg_err_t on_order(void *state, const net_adapt_order_v1_t *o) {
    (void)state;
    atomic_store(&got_id, (long)o->id);
    atomic_fetch_add(&got_orders, 1);
    return ERG_OK;
}

static const net_adapt_old_shop_actor_t handlers = {.order = on_order};
static const erg_typed_actor_t typed = {&net_adapt_old_shop_dispatch,
                                        &handlers, NULL};

static erg_reason_t shop_init(erg_proc_t *self, void *args) {
    (void)args;
    return (erg_reason_t)erg_register_name(self, "old-shop");
}

static const erg_behavior_t old_shop = {
    .name = "old-shop",
    .init = shop_init,
    ERG_TYPED_BEHAVIOR(&typed),
};

static const erg_codec_registry_t *const regs[] = {&net_adapt_registry};

static erg_node_t *start_node(const char *name) {
    erg_node_t *node = nt_node(name);
    assert_non_null(node);
    erg_acceptor_opts_t acc;
    erg_net_opts_t n;
    nt_net_opts(&n, &acc, "adapt-test", 0);
    n.registries = regs;
    n.nregistries = 1;
    ERG_PASS(erg_net_start(node, &n));
    return node;
}

static erg_msg_t *order_v2(uint64_t id) {
    net_adapt_order_v2_t v = NET_ADAPT_ORDER_V2_INIT;
    v.id = id;
    v.amount = 5;
    erg_msg_t *m;
    ERG_PASS(erg_typed_msg_new(&net_adapt_order_v2_desc, &v, &m));
    return m;
}

static long converted_v2(erg_node_t *node) {
    erg_net_type_stats_t st[4];
    size_t n = erg_net_type_stats(node, st, 4);
    for (size_t i = 0; i < n && i < 4; i++)
        if (st[i].version == 2)
            return (long)st[i].converted;
    return -1;
}

static void test_v2_reaches_a_v1_only_actor(void **state) {
    (void)state;
    atomic_store(&got_orders, 0);
    erg_node_t *a = start_node("ada@127.0.0.1");
    erg_node_t *b = start_node("adb@127.0.0.1");
    nt_route_to(a, b);
    erg_pid_t shop;
    ERG_PASS(erg_node_spawn(b, &old_shop, NULL, NULL, &shop));
    /* From another node: b decodes v2 (it knows it) and converts it down
     * for the actor, which takes only v1. */
    ERG_PASS(erg_node_send(a, erg_to_remote_name("old-shop", "adb@127.0.0.1"),
                           order_v2(41), 0));
    assert_true(nt_wait_for(&got_orders, 1));
    assert_int_equal(atomic_load(&got_id), 41);
    assert_int_equal(converted_v2(b), 1);
    /* Locally, the same conversion. */
    ERG_PASS(erg_node_send(b, erg_to_pid(shop), order_v2(42), 0));
    assert_true(nt_wait_for(&got_orders, 2));
    assert_int_equal(atomic_load(&got_id), 42);
    assert_int_equal(converted_v2(b), 2);
    ERG_PASS(erg_node_stop(a));
    ERG_PASS(erg_node_stop(b));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v2_reaches_a_v1_only_actor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
