/* SPDX-License-Identifier: MIT */
/* mailbox.h: a process's lock-free, multi-producer, single-consumer inbox. */
#ifndef ERG_CORE_MAILBOX_H
#define ERG_CORE_MAILBOX_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "erg/err.h"

/*
 * The mailbox of one process (CAF's default_mailbox over a lifo_inbox).
 *
 * Producers on any thread push onto one lock-free LIFO stack whose head word
 * also carries two tags: BLOCKED (the reader is idle and nobody will look at
 * the mailbox until it is scheduled) and CLOSED (the process is gone). Since
 * the tags live in the same word the message goes into, a push observes them
 * atomically with its own insertion:
 *  - a push that replaces BLOCKED is the one and only push that reports
 *    *must_schedule, so the reader is scheduled exactly once per idle period;
 *  - a push onto CLOSED fails with ERG_ECLOSED and the caller keeps the
 *    message, so nothing disappears silently.
 *
 * The single reader takes the whole stack with one exchange, reverses it into
 * four reader-private FIFOs (urgent, system, main, log) and pops from them in
 * that order. Reversal restores push order, so messages from one sender stay
 * in FIFO order within each queue. The reader looks at the shared stack only
 * when its private queues are empty or when it calls erg__mailbox_fetch (the
 * runtime does at the start of every turn), so a newly pushed urgent message
 * waits at most the rest of the current turn.
 *
 * Nodes are intrusive: a message header embeds erg__mailbox_node_t, and the
 * mailbox never allocates. Lengths are kept per queue as a pushed counter
 * (producers) and a popped counter (reader, on a separate cache line), so
 * popping costs a plain store and no read-modify-write.
 */

/* The four queues, in the order the reader drains them. */
typedef enum erg__mailbox_queue_e {
    ERG__MAILBOX_URGENT = 0, /* exit, kill and down signals */
    ERG__MAILBOX_SYSTEM = 1, /* runtime requests: inspect, link, monitor */
    ERG__MAILBOX_MAIN = 2,   /* ordinary messages, calls and replies */
    ERG__MAILBOX_LOG = 3,    /* log records for processes that are loggers */
    ERG__MAILBOX_NQUEUES = 4
} erg__mailbox_queue_t;

/* The intrusive header a message embeds; the mailbox owns next and queue
 * while the message is inside it. */
typedef struct erg__mailbox_node_s {
    struct erg__mailbox_node_s *next;
    uint32_t queue; /* erg__mailbox_queue_t, set by push */
} erg__mailbox_node_t;

/* A reader-private FIFO, singly linked through erg__mailbox_node_t.next. */
typedef struct erg__mailbox_fifo_s {
    erg__mailbox_node_t *head;
    erg__mailbox_node_t *tail;
} erg__mailbox_fifo_t;

/*
 * Embedded in the process control block; everything is private. The padding
 * keeps what producers write (stack head, pushed counters) and what the
 * reader writes (popped counters, private queues) on different cache lines
 * for the common 16-byte-aligned allocation, so the reader's pops do not
 * steal the line producers CAS on.
 */
typedef struct erg__mailbox_s {
    /* Written by producers. */
    _Atomic(erg__mailbox_node_t *) head;
    _Atomic uint32_t pushed[ERG__MAILBOX_NQUEUES];
    uint32_t limit; /* main and log, each; 0 = unlimited; fixed at init */
    char pad_[64 - sizeof(void *) - 5 * sizeof(uint32_t)];
    /* Written by the reader only. */
    _Atomic uint32_t popped[ERG__MAILBOX_NQUEUES];
    erg__mailbox_fifo_t fifo[ERG__MAILBOX_NQUEUES];
} erg__mailbox_t;

/*
 * erg__mailbox_init prepares mb with a size limit (0 = unlimited) that the
 * main and the log queue each have, as Ergo's MailboxSize does. The urgent
 * and system queues are never limited: exit, down and kill signals, link and
 * monitor requests must not be refused (they are bounded by the links,
 * monitors and calls that cause them). The mailbox starts
 * in the *blocked* state: the reader is not scheduled, and the first push
 * reports *must_schedule. A runtime that schedules the reader by itself
 * (a process running its init) calls erg__mailbox_unblock first.
 * Not thread-safe: no one else may touch mb before init returns.
 */
void erg__mailbox_init(erg__mailbox_t *mb, uint32_t limit);

/*
 * erg__mailbox_fini releases mb. It must be closed and drained (every
 * erg__mailbox_pop returned NULL); the mailbox owns no messages then.
 * Reader only.
 */
void erg__mailbox_fini(erg__mailbox_t *mb);

/*
 * erg__mailbox_push appends node to queue q. On ERG_OK the mailbox owns the
 * node and *must_schedule tells whether this push found the reader blocked,
 * in which case the caller must schedule the reader (true for exactly one
 * push per blocked period). On failure the caller keeps the node and
 * *must_schedule is false:
 *   ERG_EMBOXFULL  q is main or log and already holds limit messages;
 *   ERG_ECLOSED    the mailbox is closed (the process has terminated).
 * Lock-free; thread-safe for any number of producers.
 */
erg_err_t erg__mailbox_push(erg__mailbox_t *mb, erg__mailbox_queue_t q,
                            erg__mailbox_node_t *node, bool *must_schedule);

/*
 * erg__mailbox_fetch moves everything pushed so far into the reader's
 * private queues, so a newly arrived urgent message overtakes main mail
 * already fetched. Returns the number of messages moved. Reader only.
 */
uint32_t erg__mailbox_fetch(erg__mailbox_t *mb);

/*
 * erg__mailbox_pop removes and returns the next message in priority order
 * (urgent, system, main, log), fetching from the shared stack when the
 * private queues are empty. Returns NULL when there is none; the caller
 * then owns the returned node. Works on a closed mailbox too, so the owner
 * can drain what was left (to answer pending calls, for example).
 * Reader only.
 */
erg__mailbox_node_t *erg__mailbox_pop(erg__mailbox_t *mb);

/*
 * erg__mailbox_try_block marks the mailbox blocked if it is empty, and
 * returns true if it did: the reader must then stop touching the process
 * (another worker may already be running it, scheduled by the next push).
 * Returns false if messages are waiting; the reader keeps running. Returns
 * false on a closed mailbox. Reader only.
 */
bool erg__mailbox_try_block(erg__mailbox_t *mb);

/*
 * erg__mailbox_unblock clears the blocked tag without a push, for a runtime
 * that schedules the reader itself. Returns true if the mailbox was blocked
 * (the caller has thereby taken the duty to schedule the reader) and false
 * if it was not (a push already did, or it is closed). Thread-safe.
 */
bool erg__mailbox_unblock(erg__mailbox_t *mb);

/*
 * erg__mailbox_close makes every later push fail with ERG_ECLOSED and moves
 * messages still in the shared stack into the private queues, where
 * erg__mailbox_pop returns them. Idempotent. Reader only.
 */
void erg__mailbox_close(erg__mailbox_t *mb);

/* erg__mailbox_is_closed: true once erg__mailbox_close ran. Thread-safe. */
bool erg__mailbox_is_closed(erg__mailbox_t *mb);

/*
 * erg__mailbox_len returns the number of messages in queue q: pushed and not
 * yet popped. Exact when the mailbox is quiescent; under concurrent pushes a
 * snapshot. Thread-safe.
 */
uint32_t erg__mailbox_len(erg__mailbox_t *mb, erg__mailbox_queue_t q);

#endif /* ERG_CORE_MAILBOX_H */
