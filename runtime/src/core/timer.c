/* SPDX-License-Identifier: MIT */
/* timer.c: the timer thread: an inbox of posted timers and a libuv loop. */
#include "core/timer.h"

#include <pthread.h>
#include <stdbool.h>

#include "util/alloc.h"
#include "util/mutex.h"
#include "util/hmap.h"

enum {
    T_QUEUED = 0,    /* posted, not armed yet */
    T_ACTIVE = 1,    /* armed on the loop */
    T_CANCELLED = 2, /* will not fire; the loop frees it */
    T_FIRED = 3
};

struct erg__timers_s {
    uv_loop_t loop;
    uv_async_t async;
    uv_thread_t thread;
    pthread_mutex_t lock;
    erg__queue_t inbox; /* posted arms and cancels */
    erg__hmap_t pending; /* id -> timer, until fired or cancelled */
    bool stopping;
};

static void free_timer(erg__timer_t *t) {
    if (t->state == T_CANCELLED && t->drop != NULL)
        t->drop(t);
    erg__free(t);
}

static void on_closed(uv_handle_t *h) {
    free_timer(h->data);
}

static void close_timer(erg__timer_t *t) {
    if (t->armed) {
        uv_timer_stop(&t->handle);
        uv_close((uv_handle_t *)&t->handle, on_closed);
    } else {
        free_timer(t);
    }
}

static void on_timer(uv_timer_t *h) {
    erg__timer_t *t = h->data;
    erg__timers_t *tm = h->loop->data;
    pthread_mutex_lock(&tm->lock);
    bool fire = t->state == T_ACTIVE;
    if (fire) {
        t->state = T_FIRED;
        erg__hmap_del_u64(&tm->pending, t->id);
    }
    pthread_mutex_unlock(&tm->lock);
    /* A cancelled timer's notice is in the inbox and closes it there. */
    if (!fire)
        return;
    t->fire(t);
    uv_close((uv_handle_t *)&t->handle, on_closed);
}

static void cancel_all(const char *skey, uint64_t ikey, void *val, void *arg) {
    (void)skey;
    (void)ikey;
    erg__queue_t *list = arg;
    erg__timer_t *t = val;
    /* Queued ones are in the inbox already; active ones go there now. */
    if (t->state == T_ACTIVE)
        erg__queue_insert_tail(list, &t->qlink);
    t->state = T_CANCELLED;
}

static void on_async(uv_async_t *a) {
    erg__timers_t *tm = a->data;
    /*
     * Everything happens under the lock: a cancel may re-queue a record
     * through qlink at any moment, and arming (uv_timer_init/start) is
     * cheap and runs no callbacks.
     */
    pthread_mutex_lock(&tm->lock);
    bool stopping = tm->stopping;
    if (stopping) {
        erg__hmap_foreach(&tm->pending, cancel_all, &tm->inbox);
        erg__hmap_fini(&tm->pending);
    }
    while (!erg__queue_empty(&tm->inbox)) {
        erg__queue_t *q = erg__queue_head(&tm->inbox);
        erg__queue_remove(q);
        erg__timer_t *t = ERG__QUEUE_DATA(q, erg__timer_t, qlink);
        if (t->state == T_CANCELLED) {
            close_timer(t);
            continue;
        }
        t->state = T_ACTIVE;
        uv_timer_init(&tm->loop, &t->handle);
        t->handle.data = t;
        t->armed = 1;
        uv_timer_start(&t->handle, on_timer, t->delay_ms, 0);
    }
    pthread_mutex_unlock(&tm->lock);
    if (stopping)
        uv_close((uv_handle_t *)&tm->async, NULL);
}

static void loop_main(void *arg) {
    erg__timers_t *tm = arg;
    uv_run(&tm->loop, UV_RUN_DEFAULT);
}

erg_err_t erg__timers_new(erg__timers_t **out) {
    erg__timers_t *tm = erg__calloc(1, sizeof(*tm));
    if (tm == NULL)
        return ERG_ENOMEM;
    if (uv_loop_init(&tm->loop) != 0)
        goto fail_loop;
    tm->loop.data = tm;
    if (uv_async_init(&tm->loop, &tm->async, on_async) != 0)
        goto fail_async;
    tm->async.data = tm;
    if (erg__mutex_init_short(&tm->lock) != 0)
        goto fail_mutex;
    erg__queue_init(&tm->inbox);
    erg__hmap_init(&tm->pending);
    if (uv_thread_create(&tm->thread, loop_main, tm) != 0)
        goto fail_thread;
    *out = tm;
    return ERG_OK;

fail_thread:
    pthread_mutex_destroy(&tm->lock);
fail_mutex:
    uv_close((uv_handle_t *)&tm->async, NULL);
fail_async:
    uv_run(&tm->loop, UV_RUN_DEFAULT);
    uv_loop_close(&tm->loop);
fail_loop:
    erg__free(tm);
    return ERG_EAGAIN;
}

void erg__timers_free(erg__timers_t *tm) {
    if (tm == NULL)
        return;
    pthread_mutex_lock(&tm->lock);
    tm->stopping = true;
    pthread_mutex_unlock(&tm->lock);
    uv_async_send(&tm->async);
    uv_thread_join(&tm->thread);
    uv_loop_close(&tm->loop);
    erg__hmap_fini(&tm->pending);
    pthread_mutex_destroy(&tm->lock);
    erg__free(tm);
}

erg_err_t erg__timers_add(erg__timers_t *tm, erg__timer_t *t, uint64_t id,
                          uint64_t delay_ms) {
    t->id = id;
    t->delay_ms = delay_ms;
    t->state = T_QUEUED;
    t->armed = 0;
    erg__queue_init(&t->qlink);
    pthread_mutex_lock(&tm->lock);
    if (tm->stopping) {
        pthread_mutex_unlock(&tm->lock);
        return ERG_ECLOSED;
    }
    erg_err_t rv = erg__hmap_put_u64(&tm->pending, id, t);
    if (rv == ERG_OK)
        erg__queue_insert_tail(&tm->inbox, &t->qlink);
    pthread_mutex_unlock(&tm->lock);
    if (rv == ERG_OK)
        uv_async_send(&tm->async); /* coalesces while the loop is busy */
    return rv;
}

erg_err_t erg__timers_cancel(erg__timers_t *tm, uint64_t id) {
    pthread_mutex_lock(&tm->lock);
    erg__timer_t *t = erg__hmap_del_u64(&tm->pending, id);
    bool notify = false;
    if (t != NULL) {
        /* A queued record is still in the inbox: the loop sees the state
         * and frees it. An armed one goes back in as a cancel notice. */
        if (t->state == T_ACTIVE) {
            erg__queue_insert_tail(&tm->inbox, &t->qlink);
            notify = true;
        }
        t->state = T_CANCELLED;
    }
    pthread_mutex_unlock(&tm->lock);
    if (notify)
        uv_async_send(&tm->async);
    return t != NULL ? ERG_OK : ERG_ENOENT;
}
