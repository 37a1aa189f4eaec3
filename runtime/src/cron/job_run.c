/* SPDX-License-Identifier: MIT */
/* job_run.c: the scheduler process: wakes at fire times, runs due jobs. */
#include <stdlib.h>
#include <string.h>

#include "cron/job.h"
#include "util/alloc.h"

const char erg__cron_tick_type[] = "erg.cron.tick";
const char erg__cron_req_type[] = "erg.cron.req";
const char erg_type_cron[] = "erg.cron";
const char erg_type_cron_fallback[] = "erg.cron.fallback";

/* The scheduler wakes at least this often, so a job is not missed by more
 * than a minute when the wall clock is set (the timer thread counts
 * monotonic time), as Ergo's minute ticker does. */
#define MAX_SLEEP_MS 60000

typedef struct run_s {
    erg_cron_t *cron; /* NULL once erg_cron_free took it back */
    uint64_t timer;   /* the pending wake-up, or 0 */
} run_t;

typedef struct due_s {
    erg__cron_job_t *job;
    int64_t time;
} due_t;

static int64_t floor_div(int64_t a, int64_t b) {
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* A message whose payload is head bytes followed by the strings, which the
 * payload's pointers then point at (so they live as long as the message). */
static erg_err_t msg_with_strings(const void *type, size_t head, const char *a,
                                  const char *b, erg_msg_t **out,
                                  const char **pa, const char **pb) {
    size_t la = strlen(a) + 1, lb = b != NULL ? strlen(b) + 1 : 0;
    erg_err_t rv = erg_msg_new(type, head + la + lb, out);
    if (rv != ERG_OK)
        return rv;
    char *s = (char *)erg_msg_data(*out) + head;
    memcpy(s, a, la);
    *pa = s;
    if (b != NULL) {
        memcpy(s + la, b, lb);
        *pb = s + la;
    }
    return ERG_OK;
}

static erg_err_t do_send(erg_proc_t *self, erg__cron_job_t *j, int64_t time) {
    erg_target_t t =
        j->tkind == ERG_TARGET_PID ? erg_to_pid(j->pid) : erg_to_name(j->tname);
    erg_msg_t *m = j->msg;
    erg_err_t rv;
    if (m != NULL) {
        erg_msg_retain(m); /* the job keeps its own reference */
    } else {
        erg_cron_msg_t *cm;
        const char *name = NULL;
        rv = msg_with_strings(ERG_TYPE_CRON, sizeof(*cm), j->name, NULL, &m,
                              &name, NULL);
        if (rv != ERG_OK)
            return rv;
        cm = erg_msg_data(m);
        cm->job = name;
        cm->time = time;
    }
    rv = erg_send_priority(self, t, m, (erg_priority_t)j->priority);
    if (rv != ERG_OK)
        erg_msg_release(m);
    return rv;
}

/* do_spawn spawns with no parent but the node and waits for its init, as
 * Ergo's node.Spawn does, so an init failure counts as the job's. */
static erg_err_t do_spawn(erg_proc_t *self, erg__cron_job_t *j) {
    erg_pid_t pid;
    return erg_node_spawn(erg_proc_node(self), j->beh, &j->opts, j->args, &pid);
}

/* fallback tells the job's fallback process that its action failed. */
static void fallback(erg_proc_t *self, erg__cron_job_t *j, int64_t time,
                     erg_err_t err) {
    if (j->fallback_name == NULL)
        return;
    erg_msg_t *m;
    erg_cron_fallback_t *f;
    const char *job = NULL, *tag = NULL;
    erg_err_t rv = msg_with_strings(ERG_TYPE_CRON_FALLBACK, sizeof(*f), j->name,
                                    j->fallback_tag, &m, &job, &tag);
    if (rv == ERG_OK) {
        f = erg_msg_data(m);
        f->job = job;
        f->tag = tag;
        f->time = time;
        f->err = err;
        rv = erg_send(self, erg_to_name(j->fallback_name), m);
        if (rv != ERG_OK)
            erg_msg_release(m);
    }
    if (rv != ERG_OK)
        erg_log(self, ERG_LOG_ERROR,
                "cron: fallback process %s of job %s is unreachable: %s",
                j->fallback_name, j->name, erg_strerror(rv));
}

static void fire(erg_proc_t *self, erg_cron_t *c, erg__cron_job_t *j,
                 int64_t time) {
    erg_err_t rv =
        j->action == ERG_CRON_SEND ? do_send(self, j, time) : do_spawn(self, j);
    pthread_mutex_lock(&c->lock);
    j->last_run = time;
    j->last_err = rv;
    pthread_mutex_unlock(&c->lock);
    if (rv == ERG_OK) {
        erg_log(self, ERG_LOG_INFO, "cron: job %s has completed (time %lld)",
                j->name, (long long)time);
        return;
    }
    erg_log(self, ERG_LOG_ERROR, "cron: job %s has failed (time %lld): %s",
            j->name, (long long)time, erg_strerror(rv));
    fallback(self, j, time, rv);
}

/*
 * collect, under the lock, takes the jobs due at now (their fire time
 * passed less than a minute ago: a fire time that the clock jumped past by
 * more is skipped, as in Ergo) and computes every enabled job's next fire
 * time strictly after now. Recomputing from now each time also follows a
 * clock set backwards. Returns the earliest next fire time, or INT64_MAX.
 */
static int64_t collect(erg_proc_t *self, erg_cron_t *c, int64_t now, due_t *due,
                       size_t *ndue) {
    int64_t earliest = INT64_MAX;
    for (size_t i = 0; i < c->njobs; i++) {
        erg__cron_job_t *j = c->jobs[i];
        if (j->disabled) {
            j->next = 0;
            continue;
        }
        if (j->next != 0 && j->next <= now) {
            if (now - j->next < 60) {
                j->refs++;
                due[(*ndue)++] = (due_t){j, j->next};
            } else {
                erg_log(self, ERG_LOG_WARNING,
                        "cron: job %s missed its time %lld (now %lld)", j->name,
                        (long long)j->next, (long long)now);
            }
        }
        if (erg_cron_next(j->spec, j->tz, now, &j->next) != ERG_OK)
            j->next = 0; /* never fires again */
        if (j->next != 0 && j->next < earliest)
            earliest = j->next;
    }
    return earliest;
}

/* arm asks the timer thread to wake the scheduler at `at` (seconds), or
 * in MAX_SLEEP_MS if that comes first. */
static void arm(erg_proc_t *self, run_t *st, int64_t at) {
    erg_node_t *node = erg_proc_node(self);
    if (st->timer != 0)
        (void)erg_timer_cancel(node, st->timer);
    st->timer = 0;
    int64_t delay = MAX_SLEEP_MS;
    if (at != INT64_MAX) {
        int64_t ms = at * 1000 - erg__cron_clock_ms(st->cron);
        if (ms < delay)
            delay = ms < 1 ? 1 : ms;
    }
    erg_msg_t *m;
    if (erg_msg_new(erg__cron_tick_type, 0, &m) != ERG_OK)
        return; /* the next API call or check arms again */
    if (erg_send_after(self, erg_to_pid(erg_self(self)), m, (uint32_t)delay,
                       ERG_PRIORITY_NORMAL, &st->timer) != ERG_OK) {
        erg_msg_release(m);
        st->timer = 0;
    }
}

/* evaluate runs the due jobs, outside the lock (a spawn waits for an init
 * that may call the cron's API), then sleeps until the next fire time. */
static erg_reason_t evaluate(erg_proc_t *self, run_t *st) {
    erg_cron_t *c = st->cron;
    if (c == NULL)
        return ERG_REASON_NONE;
    int64_t now = floor_div(erg__cron_clock_ms(c), 1000);
    pthread_mutex_lock(&c->lock);
    due_t *due = erg__calloc(c->njobs ? c->njobs : 1, sizeof(due_t));
    size_t ndue = 0;
    int64_t earliest = INT64_MAX;
    if (due != NULL)
        earliest = collect(self, c, now, due, &ndue);
    pthread_mutex_unlock(&c->lock);
    if (due == NULL) {
        arm(self, st, INT64_MAX); /* try again soon */
        return ERG_REASON_NONE;
    }
    for (size_t i = 0; i < ndue; i++) {
        fire(self, c, due[i].job, due[i].time);
        erg__cron_job_release(c, due[i].job);
    }
    erg__free(due);
    arm(self, st, earliest);
    return ERG_REASON_NONE;
}

static erg_reason_t run_init(erg_proc_t *self, void *args) {
    run_t *st = erg_proc_state(self);
    st->cron = args;
    return evaluate(self, st);
}

static erg_reason_t run_message(erg_proc_t *self, erg_pid_t from,
                                erg_msg_t *msg) {
    (void)from;
    run_t *st = erg_proc_state(self);
    if (erg_msg_type(msg) != erg__cron_tick_type)
        return ERG_REASON_NONE;
    return evaluate(self, st);
}

static erg_reason_t run_call(erg_proc_t *self, erg_pid_t from, erg_ref_t ref,
                             erg_msg_t *request, erg_msg_t **reply) {
    run_t *st = erg_proc_state(self);
    if (erg_msg_type(request) != erg__cron_req_type ||
        erg_msg_size(request) != sizeof(erg__cron_op_t)) {
        (void)erg_reply_error(self, from, ref, ERG_ENOTSUP);
        return ERG_REASON_NONE;
    }
    erg__cron_op_t op = *(const erg__cron_op_t *)erg_msg_data(request);
    erg_reason_t r = ERG_REASON_NONE;
    if (op == ERG__CRON_CHECK) {
        r = evaluate(self, st);
    } else {
        /* erg_cron_free: let go of the cron before answering, so nothing
         * here touches it once the caller frees it. */
        if (st->timer != 0)
            (void)erg_timer_cancel(erg_proc_node(self), st->timer);
        st->timer = 0;
        pthread_mutex_lock(&st->cron->lock);
        st->cron->proc_gone = true;
        pthread_mutex_unlock(&st->cron->lock);
        st->cron = NULL;
        r = ERG_REASON_NORMAL;
    }
    if (erg_msg_new(erg__cron_req_type, 0, reply) != ERG_OK)
        (void)erg_reply_error(self, from, ref, ERG_ENOMEM);
    return r;
}

static void run_terminate(erg_proc_t *self, erg_reason_t reason) {
    (void)reason;
    run_t *st = erg_proc_state(self);
    if (st->cron == NULL)
        return;
    /* Ended from outside (the node is stopping, or erg_cron_free gave
     * up asking): erg_cron_free must not wait for us. */
    pthread_mutex_lock(&st->cron->lock);
    st->cron->proc_gone = true;
    pthread_mutex_unlock(&st->cron->lock);
}

const erg_behavior_t erg__cron_behavior = {
    .name = "erg.cron",
    .state_size = sizeof(run_t),
    .init = run_init,
    .handle_message = run_message,
    .handle_call = run_call,
    .terminate = run_terminate,
};
