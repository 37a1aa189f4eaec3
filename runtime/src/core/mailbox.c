/* SPDX-License-Identifier: MIT */
/* mailbox.c: the lock-free MPSC inbox with blocked/closed tags and 4 queues. */
#include "core/mailbox.h"

#include <assert.h>
#include <stddef.h>

/*
 * The tags are addresses of two private objects, so they can never equal a
 * real node and comparing against them is well-defined C.
 */
static erg__mailbox_node_t blocked_tag;
static erg__mailbox_node_t closed_tag;
#define BLOCKED (&blocked_tag)
#define CLOSED  (&closed_tag)

static bool is_tag_or_empty(const erg__mailbox_node_t *top) {
    return top == NULL || top == BLOCKED || top == CLOSED;
}

void erg__mailbox_init(erg__mailbox_t *mb, uint32_t limit) {
    atomic_init(&mb->head, BLOCKED);
    for (int q = 0; q < ERG__MAILBOX_NQUEUES; q++) {
        atomic_init(&mb->pushed[q], 0);
        atomic_init(&mb->popped[q], 0);
        mb->fifo[q].head = NULL;
        mb->fifo[q].tail = NULL;
    }
    mb->limit = limit;
}

void erg__mailbox_fini(erg__mailbox_t *mb) {
    /* A message left here would leak with nobody to answer its sender. */
    for (int q = 0; q < ERG__MAILBOX_NQUEUES; q++)
        assert(mb->fifo[q].head == NULL);
    assert(is_tag_or_empty(atomic_load(&mb->head)));
    (void)mb;
}

erg_err_t erg__mailbox_push(erg__mailbox_t *mb, erg__mailbox_queue_t q,
                            erg__mailbox_node_t *node, bool *must_schedule) {
    *must_schedule = false;
    /*
     * Count first, so concurrent producers cannot all pass the check and
     * overshoot the limit; an attempt that fails gives its count back.
     */
    uint32_t before =
        atomic_fetch_add_explicit(&mb->pushed[q], 1, memory_order_relaxed);
    if (mb->limit != 0 && (q == ERG__MAILBOX_MAIN || q == ERG__MAILBOX_LOG)) {
        uint32_t popped =
            atomic_load_explicit(&mb->popped[q], memory_order_relaxed);
        int32_t len = (int32_t)(before - popped);
        if (len >= (int32_t)mb->limit) {
            atomic_fetch_sub_explicit(&mb->pushed[q], 1, memory_order_relaxed);
            return ERG_EMBOXFULL;
        }
    }

    node->queue = (uint32_t)q;
    erg__mailbox_node_t *top =
        atomic_load_explicit(&mb->head, memory_order_relaxed);
    do {
        if (top == CLOSED) {
            atomic_fetch_sub_explicit(&mb->pushed[q], 1, memory_order_relaxed);
            return ERG_ECLOSED;
        }
        node->next = top == BLOCKED ? NULL : top;
        /*
         * Release publishes the message to the reader's acquiring exchange;
         * acquire pairs with the reader's release when it blocked, so the
         * worker we hand the process to sees what the last turn wrote.
         */
    } while (!atomic_compare_exchange_weak_explicit(
        &mb->head, &top, node, memory_order_acq_rel, memory_order_relaxed));
    *must_schedule = top == BLOCKED;
    return ERG_OK;
}

/*
 * Moves a LIFO chain (newest first) into the private FIFOs. Prepending each
 * node to a per-queue list reverses the chain back into push order in one
 * pass; each list is then spliced onto its queue's tail.
 */
static uint32_t absorb(erg__mailbox_t *mb, erg__mailbox_node_t *top) {
    erg__mailbox_node_t *first[ERG__MAILBOX_NQUEUES] = {NULL};
    erg__mailbox_node_t *last[ERG__MAILBOX_NQUEUES] = {NULL};
    uint32_t n = 0;
    while (top != NULL) {
        erg__mailbox_node_t *next = top->next;
        uint32_t q = top->queue;
        top->next = first[q];
        if (first[q] == NULL)
            last[q] = top;
        first[q] = top;
        top = next;
        n++;
    }
    for (int q = 0; q < ERG__MAILBOX_NQUEUES; q++) {
        if (first[q] == NULL)
            continue;
        erg__mailbox_fifo_t *f = &mb->fifo[q];
        if (f->tail != NULL)
            f->tail->next = first[q];
        else
            f->head = first[q];
        f->tail = last[q];
    }
    return n;
}

uint32_t erg__mailbox_fetch(erg__mailbox_t *mb) {
    /*
     * A plain load first: when nothing arrived, the reader does not take the
     * line producers write. Only the reader sets BLOCKED and CLOSED, so they
     * cannot appear between this load and the exchange.
     */
    erg__mailbox_node_t *top =
        atomic_load_explicit(&mb->head, memory_order_relaxed);
    if (is_tag_or_empty(top))
        return 0;
    top = atomic_exchange_explicit(&mb->head, NULL, memory_order_acquire);
    return absorb(mb, top);
}

erg__mailbox_node_t *erg__mailbox_pop(erg__mailbox_t *mb) {
    for (int pass = 0; pass < 2; pass++) {
        for (int q = 0; q < ERG__MAILBOX_NQUEUES; q++) {
            erg__mailbox_fifo_t *f = &mb->fifo[q];
            erg__mailbox_node_t *node = f->head;
            if (node == NULL)
                continue;
            f->head = node->next;
            if (f->head == NULL)
                f->tail = NULL;
            node->next = NULL;
            /* Only the reader writes popped: a store, not an RMW. */
            uint32_t popped =
                atomic_load_explicit(&mb->popped[q], memory_order_relaxed);
            atomic_store_explicit(&mb->popped[q], popped + 1,
                                  memory_order_relaxed);
            return node;
        }
        if (erg__mailbox_fetch(mb) == 0)
            break;
    }
    return NULL;
}

bool erg__mailbox_try_block(erg__mailbox_t *mb) {
    for (int q = 0; q < ERG__MAILBOX_NQUEUES; q++)
        if (mb->fifo[q].head != NULL)
            return false;
    /*
     * Succeeds only on an empty stack, so a message pushed after the reader
     * last looked makes this fail rather than sleep on it. Release hands the
     * reader's writes to whichever worker the next push schedules.
     */
    erg__mailbox_node_t *expected = NULL;
    return atomic_compare_exchange_strong_explicit(
        &mb->head, &expected, BLOCKED, memory_order_acq_rel,
        memory_order_relaxed);
}

bool erg__mailbox_unblock(erg__mailbox_t *mb) {
    erg__mailbox_node_t *expected = BLOCKED;
    return atomic_compare_exchange_strong_explicit(
        &mb->head, &expected, NULL, memory_order_acq_rel, memory_order_relaxed);
}

void erg__mailbox_close(erg__mailbox_t *mb) {
    erg__mailbox_node_t *top =
        atomic_exchange_explicit(&mb->head, CLOSED, memory_order_acq_rel);
    if (!is_tag_or_empty(top))
        absorb(mb, top);
}

bool erg__mailbox_is_closed(erg__mailbox_t *mb) {
    return atomic_load_explicit(&mb->head, memory_order_acquire) == CLOSED;
}

uint32_t erg__mailbox_len(erg__mailbox_t *mb, erg__mailbox_queue_t q) {
    uint32_t popped =
        atomic_load_explicit(&mb->popped[q], memory_order_relaxed);
    uint32_t pushed =
        atomic_load_explicit(&mb->pushed[q], memory_order_relaxed);
    /* Read in this order, a racing pop cannot make the result negative
     * except through a push that was refused and undone meanwhile. */
    int32_t len = (int32_t)(pushed - popped);
    return len < 0 ? 0 : (uint32_t)len;
}
