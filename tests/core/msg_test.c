/* SPDX-License-Identifier: MIT */
/* msg_test.c: message refcounts, payloads, envelopes, and reasons. */
#include "testutil.h"

#include <pthread.h>
#include <string.h>

#include "core/msg.h"
#include "erg/erg.h"

static void test_msg_copy_retain_release_frees_once(void **state) {
    (void)state;
    static const char type[] = "t";
    erg_msg_t *m = NULL;
    ERG_PASS(erg_msg_new_copy(type, "hello", 6, &m));
    assert_ptr_equal(erg_msg_type(m), type);
    assert_int_equal(erg_msg_size(m), 6);
    assert_string_equal(erg_msg_data(m), "hello");
    assert_int_equal((uintptr_t)erg_msg_data(m) % _Alignof(max_align_t), 0);
    erg_msg_retain(m);
    erg_msg_release(m);
    assert_int_equal(erg_test_alloc_live(), 1);
    erg_msg_release(m);
    assert_int_equal(erg_test_alloc_live(), 0);
    erg_msg_release(NULL);
    ERG_FAIL(erg_msg_new(NULL, 4, NULL), ERG_EINVAL);
    ERG_FAIL(erg_msg_new_copy(NULL, NULL, 4, &m), ERG_EINVAL);
    erg_test_alloc_fail_after(1);
    ERG_FAIL(erg_msg_new(NULL, 4, &m), ERG_ENOMEM);
    erg_test_alloc_fail_after(0);
}

static void test_msg_embedded_envelope_serves_one_delivery_at_a_time(
    void **state) {
    (void)state;
    erg_msg_t *m;
    ERG_PASS(erg_msg_new(NULL, 8, &m));
    erg_msg_retain(m);
    erg__mail_t *a = erg__mail_new(ERG__MAIL_MSG, m);
    erg__mail_t *b = erg__mail_new(ERG__MAIL_MSG, m);
    assert_ptr_equal(a, &m->mail); /* the first rides in the message */
    assert_ptr_not_equal(b, &m->mail);
    assert_int_equal(erg_test_alloc_live(), 2);
    erg__mail_free(a);
    erg__mail_t *c = erg__mail_new(ERG__MAIL_MSG, m);
    assert_ptr_equal(c, &m->mail); /* free again after a delivery */
    erg__mail_discard(c);            /* a failed push keeps the reference */
    erg__mail_free(b);
    assert_int_equal(erg_test_alloc_live(), 0);
}

static void test_msg_reason_strings(void **state) {
    (void)state;
    char buf[32];
    assert_string_equal(erg_reason_string(ERG_REASON_NORMAL, buf, 32),
                        "normal");
    assert_string_equal(erg_reason_string(ERG_REASON_KILL, buf, 32), "kill");
    assert_string_equal(erg_reason_string(ERG_REASON_USER + 3, buf, 32),
                        "user:3");
    assert_string_equal(erg_reason_string((erg_reason_t)ERG_ETIMEDOUT, buf,
                                          32),
                        erg_strerror(ERG_ETIMEDOUT));
}

static void test_msg_pid_format_and_compare(void **state) {
    (void)state;
    erg_pid_t a = {0xABCD, 7, 1001}, b = {0xABCD, 7, 1002};
    char buf[ERG_PID_STRLEN];
    assert_string_equal(erg_pid_format(a, buf, sizeof(buf)),
                        "<0000ABCD.1001.7>");
    assert_true(erg_pid_compare(a, b) < 0);
    assert_true(erg_pid_compare(b, a) > 0);
    assert_int_equal(erg_pid_compare(a, a), 0);
    assert_false(erg_pid_equal(a, b));
    assert_true(erg_pid_is_nil((erg_pid_t){0, 0, 0}));
    erg_alias_t al = {0xABCD, 7, 5};
    assert_string_equal(erg_alias_format(al, buf, sizeof(buf)),
                        "Alias#<0000ABCD.5.7>");
    erg_target_t t = erg_to_node("n@h");
    assert_int_equal(t.node, erg_node_hash("n@h"));
    assert_int_not_equal(erg_node_hash("a@h"), erg_node_hash("b@h"));
}


typedef struct hand_s {
    erg_msg_t **msgs;
    int n;
} hand_t;

static void *release_all(void *arg) {
    hand_t *h = arg;
    for (int i = 0; i < h->n; i++)
        erg_msg_release(h->msgs[i]);
    return NULL;
}

static void test_msg_pool_reuses_blocks_across_threads_and_frees_at_end(
    void **state) {
    (void)state;
    enum { N = 1000, ROUNDS = 5 };
    erg_msg_t *msgs[N];
    erg__msg_pool_retain();
    long allocs_after_first = 0;
    for (int r = 0; r < ROUNDS; r++) {
        for (int i = 0; i < N; i++)
            ERG_PASS(erg_msg_new(NULL, 16, &msgs[i]));
        /* Freed on another thread: its cache hands batches back. */
        hand_t h = {msgs, N};
        pthread_t th;
        assert_int_equal(pthread_create(&th, NULL, release_all, &h), 0);
        pthread_join(th, NULL);
        if (r == 0)
            allocs_after_first = erg_test_alloc_count();
    }
    /* Later rounds were served from the pool. */
    assert_int_equal(erg_test_alloc_count(), allocs_after_first);
    /* Bigger payloads are not pooled. */
    erg_msg_t *big;
    ERG_PASS(erg_msg_new(NULL, ERG__MSG_POOL_PAYLOAD + 1, &big));
    erg_msg_release(big);
    erg__msg_pool_release();
    assert_int_equal(erg_test_alloc_live(), 0);
}

#define T(f) ERG_TEST_WITH_ALLOC(f)

int main(void) {
    const struct CMUnitTest tests[] = {
        T(test_msg_copy_retain_release_frees_once),
        T(test_msg_embedded_envelope_serves_one_delivery_at_a_time),
        T(test_msg_reason_strings),
        T(test_msg_pid_format_and_compare),
        T(test_msg_pool_reuses_blocks_across_threads_and_frees_at_end),
    };
    return cmocka_run_group_tests_name("core.msg", tests, NULL, NULL);
}
