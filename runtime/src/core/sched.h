/* SPDX-License-Identifier: MIT */
/* sched.h: the M:N scheduler running tasks (processes) on N worker threads. */
#ifndef ERG_CORE_SCHED_H
#define ERG_CORE_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "erg/err.h"
#include "util/queue.h"

/*
 * A task is anything the scheduler can run: a process embeds one. The run
 * callback does at most max_per_turn units of work (messages) and says
 * whether work is left; the scheduler then puts the task at the tail of the
 * run queue, so a busy task shares the workers with every other runnable
 * one (CAF's resume with max_throughput, Erlang's reductions).
 *
 * A task is in the run queue at most once. The scheduler does not check
 * this; the caller guarantees it, which the mailbox does for processes: only
 * the push that finds the reader blocked submits it, and a run that returns
 * ERG__TASK_IDLE has blocked the mailbox first.
 */
typedef struct erg__task_s erg__task_t;

typedef enum erg__task_status_e {
    /* Nothing left to do: the scheduler forgets the task (someone else
     * may already have resubmitted it and be running it). */
    ERG__TASK_IDLE = 0,
    /* Work is left: requeue at the tail. */
    ERG__TASK_MORE = 1
} erg__task_status_t;

typedef erg__task_status_t (*erg__task_run_cb)(erg__task_t *task,
                                               unsigned max_per_turn);

/* Called by the monitor thread, on no worker and without the scheduler's
 * lock, for a turn still running past the deadline it set; id is the one
 * given to erg__sched_deadline_set. */
typedef void (*erg__sched_overrun_cb)(void *arg, uint64_t id);

struct erg__task_s {
    erg__queue_t link; /* private: run queue linkage */
    erg__task_run_cb run;
};

/* erg__task_init prepares a task that runs with run. */
void erg__task_init(erg__task_t *task, erg__task_run_cb run);

typedef struct erg__sched_opts_s {
    unsigned workers;      /* N, threads running tasks at once */
    unsigned max_per_turn; /* passed to every run callback */
    unsigned spin_us;      /* how long an idle worker spins before parking */
    unsigned max_threads;  /* cap on threads, spares for blocked callers too */
    /* How long a task may wait in a busy worker's next slot before the
     * monitor moves it to the run queue; 0: no monitor (tests). */
    unsigned monitor_us;
    erg__sched_overrun_cb overrun; /* NULL: deadlines are not watched */
    void *overrun_arg;
} erg__sched_opts_t;

/*
 * erg__sched_opts_init fills opts with the defaults: one worker per online
 * core, 64 messages per turn, 50 us of spinning, at most 10000 threads
 * (Go's default limit), a 1 ms monitor tick.
 */
void erg__sched_opts_init(erg__sched_opts_t *opts);

typedef struct erg__sched_s erg__sched_t;

/*
 * erg__sched_new creates a scheduler with opts (NULL for the defaults;
 * zero workers or max_per_turn mean the default) and no threads yet.
 * ERG_ENOMEM, or ERG_EINVAL if max_threads < workers.
 */
erg_err_t erg__sched_new(const erg__sched_opts_t *opts, erg__sched_t **out);

/*
 * erg__sched_start starts the N worker threads. On failure (ERG_EAGAIN,
 * ERG_ENOMEM) no thread is left running. Not thread-safe with stop.
 */
erg_err_t erg__sched_start(erg__sched_t *s);

/*
 * erg__sched_stop makes every worker finish its current turn and exit, and
 * joins them. Tasks still queued stay queued and still belong to whoever
 * owns them; nothing runs them afterwards. A worker blocked between
 * erg__sched_block_begin and _end is waited for, so blocking calls must
 * have timeouts. Idempotent; must not be called from a worker thread.
 */
void erg__sched_stop(erg__sched_t *s);

/* erg__sched_free stops s if needed and frees it; NULL is a no-op. */
void erg__sched_free(erg__sched_t *s);

/*
 * erg__sched_submit makes task runnable. From a turn running on one of s's
 * workers it becomes that worker's next task, run when the turn ends with
 * no lock and no wake-up; a task it displaces goes to the run queue. From
 * anywhere else it is appended to the run queue and a worker is woken if
 * none is already looking for work (wake-ups coalesce: an idle worker that
 * is spinning, or one already being woken, takes it). Never fails; after
 * stop the task stays queued. Thread-safe, from any thread.
 */
void erg__sched_submit(erg__sched_t *s, erg__task_t *task);

/*
 * erg__sched_release_next tells the scheduler that the running turn goes on
 * with other work (another message): the calling worker's next task moves
 * to the run queue, where an idle worker can take it at once. Also called
 * before the turn waits. A no-op off worker threads or with no next task.
 */
void erg__sched_release_next(void);

/*
 * erg__sched_block_begin is called by a task about to block its worker
 * thread (a synchronous call waiting for a reply). The thread gives up its
 * worker slot, and if work is waiting, a parked worker is woken or a spare
 * thread takes the slot (started on first use, then cached), so N threads
 * stay runnable however many tasks block (Go's handoff on syscalls).
 * erg__sched_block_end takes a slot back without waiting; if that makes
 * more than N, the first worker to end a turn retires to the spares. Both
 * are no-ops on threads that are not workers. Calls must pair, without
 * nesting, within one run callback.
 */
void erg__sched_block_begin(void);
void erg__sched_block_end(void);

/*
 * A deadline for the running turn: if it is still running (computing, or
 * blocked between block_begin and block_end) at deadline_ns (CLOCK_MONOTONIC)
 * the monitor calls the overrun callback once with id, within a tick. This
 * is how a process's init timeout costs nothing when init is quick: no
 * timer is armed per spawn.
 */
typedef struct erg__sched_deadline_s {
    uint64_t deadline_ns; /* 0: none */
    uint64_t id;
} erg__sched_deadline_t;

/*
 * erg__sched_deadline_set gives the calling worker's turn deadline d (a
 * zero one clears it) and returns the one it replaces, to restore when a
 * nested turn (a callee run inline) is done. Off worker threads it does
 * nothing and returns a zero deadline.
 */
erg__sched_deadline_t erg__sched_deadline_set(erg__sched_deadline_t d);

/* erg__sched_on_worker: whether the calling thread is one of s's. */
bool erg__sched_on_worker(const erg__sched_t *s);

/* erg__sched_max_per_turn: the turn length passed to run callbacks. */
unsigned erg__sched_max_per_turn(erg__sched_t *s);

/* erg__sched_workers: N, the worker slots (fixed at creation). */
unsigned erg__sched_workers(erg__sched_t *s);

/* erg__sched_threads: threads created so far (workers and spares). */
unsigned erg__sched_threads(erg__sched_t *s);

#endif /* ERG_CORE_SCHED_H */
