/* SPDX-License-Identifier: MIT */
/* mailbox_test.c: priority order, FIFO per sender, wake-ups, close and limits.
 */
#include "testutil.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "core/mailbox.h"
#include "util/alloc.h"

typedef struct msg_s {
    erg__mailbox_node_t node; /* first, so a node pointer is a msg pointer */
    int sender;
    int seq;
} msg_t;

static msg_t *msg_of(erg__mailbox_node_t *n) {
    return (msg_t *)(void *)n;
}

static void push_ok(erg__mailbox_t *mb, erg__mailbox_queue_t q, msg_t *m) {
    bool wake;
    ERG_PASS(erg__mailbox_push(mb, q, &m->node, &wake));
}

static void test_mailbox_drains_urgent_system_main_log_in_order(void **state) {
    (void)state;
    erg__mailbox_t mb;
    erg__mailbox_init(&mb, 0);
    msg_t m[8];
    /* Pushed lowest priority first, two per queue. */
    const erg__mailbox_queue_t order[8] = {
        ERG__MAILBOX_LOG,    ERG__MAILBOX_MAIN,   ERG__MAILBOX_SYSTEM,
        ERG__MAILBOX_URGENT, ERG__MAILBOX_LOG,    ERG__MAILBOX_MAIN,
        ERG__MAILBOX_SYSTEM, ERG__MAILBOX_URGENT,
    };
    for (int i = 0; i < 8; i++) {
        m[i].seq = i;
        push_ok(&mb, order[i], &m[i]);
    }
    /* Each queue keeps push order; queues come out by priority. */
    const int expect[8] = {3, 7, 2, 6, 1, 5, 0, 4};
    for (int i = 0; i < 8; i++) {
        erg__mailbox_node_t *n = erg__mailbox_pop(&mb);
        assert_non_null(n);
        assert_int_equal(msg_of(n)->seq, expect[i]);
    }
    assert_null(erg__mailbox_pop(&mb));
    erg__mailbox_fini(&mb);
}

static void test_mailbox_fetch_lets_urgent_overtake_fetched_mail(void **state) {
    (void)state;
    erg__mailbox_t mb;
    erg__mailbox_init(&mb, 0);
    msg_t a = {.seq = 1}, b = {.seq = 2}, u = {.seq = 3};
    push_ok(&mb, ERG__MAILBOX_MAIN, &a);
    push_ok(&mb, ERG__MAILBOX_MAIN, &b);
    assert_int_equal(msg_of(erg__mailbox_pop(&mb))->seq, 1);
    /* b is already private; an urgent push plus a fetch goes ahead of it. */
    push_ok(&mb, ERG__MAILBOX_URGENT, &u);
    assert_int_equal(erg__mailbox_fetch(&mb), 1);
    assert_int_equal(msg_of(erg__mailbox_pop(&mb))->seq, 3);
    assert_int_equal(msg_of(erg__mailbox_pop(&mb))->seq, 2);
    assert_null(erg__mailbox_pop(&mb));
    erg__mailbox_fini(&mb);
}

static void test_mailbox_push_wakes_blocked_reader_once(void **state) {
    (void)state;
    erg__mailbox_t mb;
    erg__mailbox_init(&mb, 0);
    msg_t m[3];
    bool wake;
    /* A new mailbox is blocked: the first push must schedule the reader. */
    ERG_PASS(erg__mailbox_push(&mb, ERG__MAILBOX_MAIN, &m[0].node, &wake));
    assert_true(wake);
    ERG_PASS(erg__mailbox_push(&mb, ERG__MAILBOX_MAIN, &m[1].node, &wake));
    assert_false(wake);
    /* Mail is waiting, so the reader may not block. */
    assert_false(erg__mailbox_try_block(&mb));
    assert_non_null(erg__mailbox_pop(&mb));
    assert_false(erg__mailbox_try_block(&mb));
    assert_non_null(erg__mailbox_pop(&mb));
    assert_null(erg__mailbox_pop(&mb));
    assert_true(erg__mailbox_try_block(&mb));
    ERG_PASS(erg__mailbox_push(&mb, ERG__MAILBOX_URGENT, &m[2].node, &wake));
    assert_true(wake);
    assert_ptr_equal(erg__mailbox_pop(&mb), &m[2].node);
    erg__mailbox_fini(&mb);
}

static void test_mailbox_unblock_takes_the_duty_to_schedule(void **state) {
    (void)state;
    erg__mailbox_t mb;
    erg__mailbox_init(&mb, 0);
    msg_t m;
    bool wake;
    assert_true(erg__mailbox_unblock(&mb));
    assert_false(erg__mailbox_unblock(&mb));
    ERG_PASS(erg__mailbox_push(&mb, ERG__MAILBOX_MAIN, &m.node, &wake));
    assert_false(wake);
    assert_ptr_equal(erg__mailbox_pop(&mb), &m.node);
    erg__mailbox_fini(&mb);
}

static void
test_mailbox_push_onto_closed_fails_and_caller_keeps_message(void **state) {
    (void)state;
    erg__mailbox_t mb;
    erg__mailbox_init(&mb, 0);
    msg_t early = {.seq = 1}, late = {.seq = 2};
    push_ok(&mb, ERG__MAILBOX_SYSTEM, &early);
    assert_false(erg__mailbox_is_closed(&mb));
    erg__mailbox_close(&mb);
    erg__mailbox_close(&mb); /* idempotent */
    assert_true(erg__mailbox_is_closed(&mb));
    bool wake = true;
    ERG_FAIL(erg__mailbox_push(&mb, ERG__MAILBOX_MAIN, &late.node, &wake),
             ERG_ECLOSED);
    assert_false(wake);
    assert_int_equal(erg__mailbox_len(&mb, ERG__MAILBOX_MAIN), 0);
    /* What arrived before the close can still be drained. */
    assert_int_equal(erg__mailbox_len(&mb, ERG__MAILBOX_SYSTEM), 1);
    assert_ptr_equal(erg__mailbox_pop(&mb), &early.node);
    assert_null(erg__mailbox_pop(&mb));
    assert_false(erg__mailbox_try_block(&mb));
    assert_false(erg__mailbox_unblock(&mb));
    erg__mailbox_fini(&mb);
}

static void test_mailbox_full_refuses_until_a_pop(void **state) {
    (void)state;
    erg__mailbox_t mb;
    erg__mailbox_init(&mb, 2);
    msg_t m[4];
    bool wake;
    push_ok(&mb, ERG__MAILBOX_MAIN, &m[0]);
    push_ok(&mb, ERG__MAILBOX_MAIN, &m[1]);
    ERG_FAIL(erg__mailbox_push(&mb, ERG__MAILBOX_MAIN, &m[2].node, &wake),
             ERG_EMBOXFULL);
    assert_false(wake);
    assert_int_equal(erg__mailbox_len(&mb, ERG__MAILBOX_MAIN), 2);
    /* The limit is per queue: urgent mail still gets in. */
    push_ok(&mb, ERG__MAILBOX_URGENT, &m[3]);
    assert_ptr_equal(erg__mailbox_pop(&mb), &m[3].node);
    assert_ptr_equal(erg__mailbox_pop(&mb), &m[0].node);
    assert_int_equal(erg__mailbox_len(&mb, ERG__MAILBOX_MAIN), 1);
    push_ok(&mb, ERG__MAILBOX_MAIN, &m[2]);
    assert_ptr_equal(erg__mailbox_pop(&mb), &m[1].node);
    assert_ptr_equal(erg__mailbox_pop(&mb), &m[2].node);
    assert_null(erg__mailbox_pop(&mb));
    erg__mailbox_fini(&mb);
}

static void test_mailbox_limit_spares_urgent_and_system_mail(void **state) {
    (void)state;
    erg__mailbox_t mb;
    erg__mailbox_init(&mb, 1);
    msg_t m[8];
    bool wake;
    /* Signals and system requests are never refused, whatever the limit. */
    for (int i = 0; i < 3; i++) {
        push_ok(&mb, ERG__MAILBOX_URGENT, &m[i]);
        push_ok(&mb, ERG__MAILBOX_SYSTEM, &m[3 + i]);
    }
    assert_int_equal(erg__mailbox_len(&mb, ERG__MAILBOX_URGENT), 3);
    assert_int_equal(erg__mailbox_len(&mb, ERG__MAILBOX_SYSTEM), 3);
    /* Log records are limited like main mail. */
    push_ok(&mb, ERG__MAILBOX_LOG, &m[6]);
    ERG_FAIL(erg__mailbox_push(&mb, ERG__MAILBOX_LOG, &m[7].node, &wake),
             ERG_EMBOXFULL);
    for (int i = 0; i < 7; i++)
        assert_non_null(erg__mailbox_pop(&mb));
    assert_null(erg__mailbox_pop(&mb));
    erg__mailbox_fini(&mb);
}

static void test_mailbox_len_counts_each_queue(void **state) {
    (void)state;
    erg__mailbox_t mb;
    erg__mailbox_init(&mb, 0);
    msg_t m[6];
    for (int i = 0; i < 6; i++)
        push_ok(&mb, (erg__mailbox_queue_t)(i % 3), &m[i]);
    assert_int_equal(erg__mailbox_len(&mb, ERG__MAILBOX_URGENT), 2);
    assert_int_equal(erg__mailbox_len(&mb, ERG__MAILBOX_SYSTEM), 2);
    assert_int_equal(erg__mailbox_len(&mb, ERG__MAILBOX_MAIN), 2);
    assert_int_equal(erg__mailbox_len(&mb, ERG__MAILBOX_LOG), 0);
    for (int i = 0; i < 6; i++)
        assert_non_null(erg__mailbox_pop(&mb));
    for (int q = 0; q < ERG__MAILBOX_NQUEUES; q++)
        assert_int_equal(erg__mailbox_len(&mb, (erg__mailbox_queue_t)q), 0);
    erg__mailbox_fini(&mb);
}

/*
 * The threaded tests: producers push numbered messages, and one reader
 * blocks whenever the mailbox is empty, sleeping on a semaphore that only
 * the push reporting must_schedule posts. If that report came twice or
 * never, the wake and block counts would differ or the reader would hang.
 */
enum { PRODUCERS = 4, PER_PRODUCER = 50000 };

typedef struct shared_s {
    erg__mailbox_t mb;
    sem_t wake;
    atomic_int wakes;
    msg_t *msgs[PRODUCERS];
    int id[PRODUCERS];
    atomic_int refused; /* ECLOSED pushes, in the close test */
    atomic_int errors;  /* any other failure */
} shared_t;

static shared_t *shared;

static void *producer(void *arg) {
    int p = *(int *)arg;
    for (int i = 0; i < PER_PRODUCER; i++) {
        msg_t *m = &shared->msgs[p][i];
        m->sender = p;
        m->seq = i;
        bool wake;
        /* Spread senders over queues so every queue sees several. */
        erg__mailbox_queue_t q = (erg__mailbox_queue_t)((p + i) % 4);
        erg_err_t rv = erg__mailbox_push(&shared->mb, q, &m->node, &wake);
        if (rv == ERG_ECLOSED) {
            atomic_fetch_add(&shared->refused, 1);
            continue;
        }
        /* cmocka's asserts are not thread-safe: count, check in main. */
        if (rv != ERG_OK) {
            atomic_fetch_add(&shared->errors, 1);
            continue;
        }
        if (wake) {
            atomic_fetch_add(&shared->wakes, 1);
            sem_post(&shared->wake);
        }
    }
    return NULL;
}

static void shared_new(void) {
    shared = erg__malloc(sizeof(*shared));
    assert_non_null(shared);
    erg__mailbox_init(&shared->mb, 0);
    assert_int_equal(sem_init(&shared->wake, 0, 0), 0);
    atomic_init(&shared->wakes, 0);
    atomic_init(&shared->refused, 0);
    atomic_init(&shared->errors, 0);
    for (int p = 0; p < PRODUCERS; p++) {
        shared->msgs[p] = erg__calloc(PER_PRODUCER, sizeof(msg_t));
        assert_non_null(shared->msgs[p]);
        shared->id[p] = p;
    }
}

static void shared_free(void) {
    assert_int_equal(atomic_load(&shared->errors), 0);
    erg__mailbox_fini(&shared->mb);
    sem_destroy(&shared->wake);
    for (int p = 0; p < PRODUCERS; p++)
        erg__free(shared->msgs[p]);
    erg__free(shared);
    shared = NULL;
}

static void test_mailbox_keeps_fifo_per_sender_and_wakes_once(void **state) {
    (void)state;
    shared_new();
    pthread_t th[PRODUCERS];
    for (int p = 0; p < PRODUCERS; p++)
        assert_int_equal(pthread_create(&th[p], NULL, producer, &shared->id[p]),
                         0);

    /* last[p][q]: the last sequence number seen from sender p on queue q. */
    int last[PRODUCERS][ERG__MAILBOX_NQUEUES];
    for (int p = 0; p < PRODUCERS; p++)
        for (int q = 0; q < ERG__MAILBOX_NQUEUES; q++)
            last[p][q] = -1;
    int blocks = 1; /* a new mailbox starts blocked */
    long got = 0;
    sem_wait(&shared->wake);
    while (got < (long)PRODUCERS * PER_PRODUCER) {
        erg__mailbox_node_t *n = erg__mailbox_pop(&shared->mb);
        if (n == NULL) {
            if (erg__mailbox_try_block(&shared->mb)) {
                blocks++;
                sem_wait(&shared->wake);
            }
            continue;
        }
        msg_t *m = msg_of(n);
        uint32_t q = n->queue;
        assert_true(m->seq > last[m->sender][q]);
        last[m->sender][q] = m->seq;
        got++;
    }
    for (int p = 0; p < PRODUCERS; p++)
        pthread_join(th[p], NULL);
    assert_null(erg__mailbox_pop(&shared->mb));
    assert_int_equal(atomic_load(&shared->wakes), blocks);
    /* Every sender's last message on every queue arrived. */
    for (int p = 0; p < PRODUCERS; p++)
        for (int q = 0; q < ERG__MAILBOX_NQUEUES; q++)
            assert_true(last[p][q] >= PER_PRODUCER - 4);
    shared_free();
}

static void test_mailbox_close_under_pushes_loses_nothing(void **state) {
    (void)state;
    shared_new();
    assert_true(erg__mailbox_unblock(&shared->mb));
    pthread_t th[PRODUCERS];
    for (int p = 0; p < PRODUCERS; p++)
        assert_int_equal(pthread_create(&th[p], NULL, producer, &shared->id[p]),
                         0);
    long got = 0;
    /* Take some mail, then close while producers are still pushing. */
    while (got < PER_PRODUCER) {
        if (erg__mailbox_pop(&shared->mb) != NULL)
            got++;
    }
    erg__mailbox_close(&shared->mb);
    for (int p = 0; p < PRODUCERS; p++)
        pthread_join(th[p], NULL);
    while (erg__mailbox_pop(&shared->mb) != NULL)
        got++;
    /* Every message was either delivered or handed back to its sender. */
    assert_int_equal(got + atomic_load(&shared->refused),
                     (long)PRODUCERS * PER_PRODUCER);
    assert_int_equal(atomic_load(&shared->wakes), 0);
    for (int q = 0; q < ERG__MAILBOX_NQUEUES; q++)
        assert_int_equal(erg__mailbox_len(&shared->mb, (erg__mailbox_queue_t)q),
                         0);
    shared_free();
}

static int setup(void **state) {
    return erg_test_setup_alloc(state);
}

static int teardown(void **state) {
    return erg_test_teardown_alloc(state);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mailbox_drains_urgent_system_main_log_in_order),
        cmocka_unit_test(test_mailbox_fetch_lets_urgent_overtake_fetched_mail),
        cmocka_unit_test(test_mailbox_push_wakes_blocked_reader_once),
        cmocka_unit_test(test_mailbox_unblock_takes_the_duty_to_schedule),
        cmocka_unit_test(
            test_mailbox_push_onto_closed_fails_and_caller_keeps_message),
        cmocka_unit_test(test_mailbox_full_refuses_until_a_pop),
        cmocka_unit_test(test_mailbox_limit_spares_urgent_and_system_mail),
        cmocka_unit_test(test_mailbox_len_counts_each_queue),
        cmocka_unit_test(test_mailbox_keeps_fifo_per_sender_and_wakes_once),
        cmocka_unit_test(test_mailbox_close_under_pushes_loses_nothing),
    };
    return cmocka_run_group_tests_name("core.mailbox", tests, setup, teardown);
}
