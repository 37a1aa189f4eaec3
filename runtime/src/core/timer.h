/* SPDX-License-Identifier: MIT */
/* timer.h: the one timer thread (a libuv loop) that owns every deadline. */
#ifndef ERG_CORE_TIMER_H
#define ERG_CORE_TIMER_H

#include <stdint.h>
#include <uv.h>

#include "erg/err.h"
#include "util/queue.h"

/*
 * Workers never touch the loop: they post a timer record to the loop's inbox
 * (a list under a mutex plus a coalescing uv_async_send), and the loop
 * thread arms one uv_timer per record. Cancels are posted the same way. A
 * record fires (fire runs on the loop thread and consumes the payload) or is
 * cancelled (drop runs, on whichever thread frees it), exactly once.
 */
typedef struct erg__timer_s erg__timer_t;
typedef void (*erg__timer_cb)(erg__timer_t *t);

struct erg__timer_s {
    /* set by the poster */
    erg__timer_cb fire;
    erg__timer_cb drop; /* may be NULL */
    void *arg;
    /* private */
    erg__queue_t qlink;
    uv_timer_t handle;
    uint64_t id;
    uint64_t delay_ms;
    int state;
    int armed; /* loop thread only: handle initialised */
};

typedef struct erg__timers_s erg__timers_t;

/* erg__timers_new creates the loop and starts its thread. ERG_ENOMEM,
 * ERG_EAGAIN. */
erg_err_t erg__timers_new(erg__timers_t **out);

/* erg__timers_free cancels every pending timer (drop runs), stops the loop
 * thread and frees the timers. NULL is a no-op. Not from the loop thread. */
void erg__timers_free(erg__timers_t *tm);

/*
 * erg__timers_add posts t (allocated with erg__malloc by the caller, fire
 * set) to fire after delay_ms, under the id given (unique, non-zero). Owns t
 * from then on, and frees it after fire or drop. ERG_ENOMEM (t is not
 * taken). Thread-safe.
 */
erg_err_t erg__timers_add(erg__timers_t *tm, erg__timer_t *t, uint64_t id,
                          uint64_t delay_ms);

/* erg__timers_cancel: ERG_OK if the timer will not fire (drop runs), or
 * ERG_ENOENT if it fired or was cancelled already. Thread-safe. */
erg_err_t erg__timers_cancel(erg__timers_t *tm, uint64_t id);

#endif /* ERG_CORE_TIMER_H */
