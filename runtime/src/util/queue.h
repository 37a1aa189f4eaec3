/* SPDX-License-Identifier: MIT */
/* queue.h: an intrusive, circular, doubly linked queue in libuv style. */
#ifndef ERG_UTIL_QUEUE_H
#define ERG_UTIL_QUEUE_H

#include <stddef.h>

/*
 * A queue is a head node whose next/prev point to itself when empty; each
 * element embeds an erg__queue_t and is recovered with ERG__QUEUE_DATA. No
 * operation allocates, so lists of actors, tasks or timers cost nothing per
 * element beyond two pointers. None of this is thread-safe: the owner of the
 * head provides any locking.
 *
 * Unlike libuv's, erg__queue_remove re-initialises the removed node, so a
 * node that is not linked anywhere reads as an empty queue; that lets owners
 * ask erg__queue_is_linked() instead of keeping a separate flag.
 */
typedef struct erg__queue_s {
    struct erg__queue_s *next;
    struct erg__queue_s *prev;
} erg__queue_t;

/* ERG__QUEUE_DATA(node, type, field): the type that embeds node as field. */
#define ERG__QUEUE_DATA(node, type, field)                                     \
    ((type *)(void *)((char *)(node) - offsetof(type, field)))

/* Iterates q over every element of h; do not remove q inside the loop. */
#define ERG__QUEUE_FOREACH(q, h)                                               \
    for ((q) = (h)->next; (q) != (h); (q) = (q)->next)

static inline void erg__queue_init(erg__queue_t *q) {
    q->next = q;
    q->prev = q;
}

static inline int erg__queue_empty(const erg__queue_t *h) {
    return h == h->next;
}

/* True if node n is an element of some queue (it was inserted and not
 * removed since). Only meaningful for nodes initialised or removed here. */
static inline int erg__queue_is_linked(const erg__queue_t *n) {
    return n != n->next;
}

/* The first element of h; h itself when h is empty. */
static inline erg__queue_t *erg__queue_head(const erg__queue_t *h) {
    return h->next;
}

/* The last element of h; h itself when h is empty. */
static inline erg__queue_t *erg__queue_tail(const erg__queue_t *h) {
    return h->prev;
}

static inline void erg__queue_insert_head(erg__queue_t *h, erg__queue_t *n) {
    n->next = h->next;
    n->prev = h;
    n->next->prev = n;
    h->next = n;
}

static inline void erg__queue_insert_tail(erg__queue_t *h, erg__queue_t *n) {
    n->next = h;
    n->prev = h->prev;
    n->prev->next = n;
    h->prev = n;
}

/* Unlinks n from whatever queue holds it and leaves it initialised. */
static inline void erg__queue_remove(erg__queue_t *n) {
    n->prev->next = n->next;
    n->next->prev = n->prev;
    erg__queue_init(n);
}

/* Appends every element of n to the tail of h, in order; n ends empty. */
static inline void erg__queue_add(erg__queue_t *h, erg__queue_t *n) {
    if (erg__queue_empty(n))
        return;
    h->prev->next = n->next;
    n->next->prev = h->prev;
    h->prev = n->prev;
    h->prev->next = h;
    erg__queue_init(n);
}

/*
 * Moves element q of h, and every element after it, to n (which must be a
 * fresh or empty head); h keeps the elements before q.
 */
static inline void erg__queue_split(erg__queue_t *h, erg__queue_t *q,
                                    erg__queue_t *n) {
    n->prev = h->prev;
    n->prev->next = n;
    n->next = q;
    h->prev = q->prev;
    h->prev->next = h;
    q->prev = n;
}

/* Moves every element of h to n (a fresh or empty head); h ends empty. */
static inline void erg__queue_move(erg__queue_t *h, erg__queue_t *n) {
    if (erg__queue_empty(h))
        erg__queue_init(n);
    else
        erg__queue_split(h, erg__queue_head(h), n);
}

#endif /* ERG_UTIL_QUEUE_H */
