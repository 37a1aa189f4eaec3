/* SPDX-License-Identifier: MIT */
/* job.c: a node's cron: adding, removing, enabling and listing jobs. */
#include "cron/job.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/node.h"
#include "util/alloc.h"

int64_t erg__cron_clock_ms(const erg_cron_t *c) {
    if (c->now_ms != NULL)
        return c->now_ms(c->clock_arg);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void job_free(erg__cron_job_t *j) {
    erg__free(j->name);
    erg__free(j->spec_text);
    erg__free(j->tz_name);
    erg__free(j->fallback_name);
    erg__free(j->fallback_tag);
    erg__free(j->tname);
    erg_cron_spec_free(j->spec);
    erg_tz_free(j->tz);
    erg_msg_release(j->msg);
    erg__free(j);
}

void erg__cron_job_release(erg_cron_t *c, erg__cron_job_t *j) {
    pthread_mutex_lock(&c->lock);
    bool last = --j->refs == 0;
    pthread_mutex_unlock(&c->lock);
    if (last)
        job_free(j);
}


/* A request to the scheduler; wait_ms 0 means: just wake it (no reply). */
static erg_err_t ask(erg_cron_t *c, erg__cron_op_t op, uint32_t wait_ms) {
    erg_msg_t *m;
    erg_err_t rv;
    if (wait_ms == 0) {
        rv = erg_msg_new(erg__cron_tick_type, 0, &m);
        if (rv == ERG_OK &&
            (rv = erg_node_send(c->node, erg_to_pid(c->pid), m, 0)) != ERG_OK)
            erg_msg_release(m);
        return rv;
    }
    return erg__node_call_copy(c->node, c->pid, erg__cron_req_type, &op,
                               sizeof(op), ERG_PRIORITY_NORMAL, wait_ms, NULL,
                               0, NULL);
}

erg_err_t erg_cron_new(erg_node_t *node, const erg_cron_opts_t *opts,
                       erg_cron_t **out) {
    if (node == NULL || out == NULL)
        return ERG_EINVAL;
    erg_cron_t *c = erg__calloc(1, sizeof(*c));
    if (c == NULL)
        return ERG_ENOMEM;
    c->node = node;
    if (opts != NULL) {
        c->now_ms = opts->now_ms;
        c->clock_arg = opts->clock_arg;
    }
    pthread_mutex_init(&c->lock, NULL);
    erg_err_t rv = erg_node_spawn(node, &erg__cron_behavior, NULL, c, &c->pid);
    if (rv != ERG_OK) {
        pthread_mutex_destroy(&c->lock);
        erg__free(c);
        return rv;
    }
    *out = c;
    return ERG_OK;
}

erg_pid_t erg_cron_pid(const erg_cron_t *cron) {
    return cron->pid;
}

static bool gone(erg_cron_t *c) {
    pthread_mutex_lock(&c->lock);
    bool g = c->proc_gone;
    pthread_mutex_unlock(&c->lock);
    return g;
}

void erg_cron_free(erg_cron_t *cron) {
    if (cron == NULL)
        return;
    /* The scheduler lets go of the cron before it answers, and says so
     * in proc_gone (its terminate does, if it was ended from outside). A
     * spawn action may hold it up to an init timeout; if the question
     * cannot be asked or answered in time, it is killed, and its
     * terminate (or the stop, if it got that far) says it is gone. */
    if (!gone(cron) && ask(cron, ERG__CRON_STOP, 60000) != ERG_OK) {
        (void)erg_node_kill_process(cron->node, cron->pid);
        struct timespec ts = {0, 1000000};
        while (!gone(cron))
            nanosleep(&ts, NULL);
    }
    for (size_t i = 0; i < cron->njobs; i++)
        job_free(cron->jobs[i]);
    erg__free(cron->jobs);
    pthread_mutex_destroy(&cron->lock);
    erg__free(cron);
}

/* find: the job called name, under the lock. */
static erg__cron_job_t *find(erg_cron_t *c, const char *name, size_t *at) {
    for (size_t i = 0; i < c->njobs; i++)
        if (strcmp(c->jobs[i]->name, name) == 0) {
            if (at != NULL)
                *at = i;
            return c->jobs[i];
        }
    return NULL;
}

static erg_err_t check_job(const erg_cron_job_t *job) {
    if (job->name == NULL || job->name[0] == '\0' || strlen(job->name) > 63 ||
        job->spec == NULL || job->priority < 0 || job->priority > 2)
        return ERG_EINVAL;
    if (job->action == ERG_CRON_SEND)
        return (job->target.kind == ERG_TARGET_PID &&
                !erg_pid_is_nil(job->target.pid)) ||
                       (job->target.kind == ERG_TARGET_NAME &&
                        job->target.name != NULL)
                   ? ERG_OK
                   : ERG_EINVAL;
    if (job->action == ERG_CRON_SPAWN)
        return job->beh != NULL && job->beh->init != NULL ? ERG_OK : ERG_EINVAL;
    return ERG_EINVAL;
}

/* job_new builds a job from its description: the spec parsed, the zone
 * loaded, the strings copied, the message retained. */
static erg_err_t job_new(const erg_cron_job_t *job, char *errbuf, size_t errlen,
                         erg__cron_job_t **out) {
    erg_err_t rv = check_job(job);
    if (rv != ERG_OK)
        return rv;
    erg__cron_job_t *j = erg__calloc(1, sizeof(*j));
    if (j == NULL)
        return ERG_ENOMEM;
    j->refs = 1;
    j->action = job->action;
    j->tkind = job->target.kind;
    j->pid = job->target.pid;
    j->priority = job->priority;
    j->beh = job->beh;
    j->opts = job->spawn_opts;
    j->args = job->args;
    j->disabled = job->disabled;
    const char *tname = job->action == ERG_CRON_SEND &&
                                j->tkind == ERG_TARGET_NAME
                            ? job->target.name
                            : NULL;
    if (!erg__strdup_opt(job->name, &j->name) ||
        !erg__strdup_opt(job->spec, &j->spec_text) ||
        !erg__strdup_opt(job->tz, &j->tz_name) ||
        !erg__strdup_opt(job->fallback_name, &j->fallback_name) ||
        !erg__strdup_opt(job->fallback_tag ? job->fallback_tag : "",
                         &j->fallback_tag) ||
        !erg__strdup_opt(tname, &j->tname))
        rv = ERG_ENOMEM;
    if (rv == ERG_OK)
        rv = erg_cron_spec_parse(job->spec, &j->spec, errbuf, errlen);
    if (rv == ERG_OK && job->tz != NULL)
        rv = erg_tz_load(job->tz, &j->tz);
    if (rv != ERG_OK) {
        job_free(j);
        return rv;
    }
    if (job->action == ERG_CRON_SEND && job->msg != NULL) {
        erg_msg_retain(job->msg);
        j->msg = job->msg;
    }
    *out = j;
    return ERG_OK;
}

/* schedule sets j's next fire time after the cron's now (under the lock). */
static void schedule(erg_cron_t *c, erg__cron_job_t *j) {
    int64_t ms = erg__cron_clock_ms(c);
    int64_t now = ms / 1000 - (ms % 1000 < 0);
    if (j->disabled || erg_cron_next(j->spec, j->tz, now, &j->next) != ERG_OK)
        j->next = 0;
}

erg_err_t erg_cron_add(erg_cron_t *cron, const erg_cron_job_t *job,
                       char *errbuf, size_t errlen) {
    if (cron == NULL || job == NULL)
        return ERG_EINVAL;
    erg__cron_job_t *j;
    erg_err_t rv = job_new(job, errbuf, errlen, &j);
    if (rv != ERG_OK)
        return rv;
    pthread_mutex_lock(&cron->lock);
    if (find(cron, j->name, NULL) != NULL) {
        rv = ERG_ETAKEN; /* Ergo's ErrTaken */
    } else if (!erg__grow((void **)&cron->jobs, &cron->capjobs, cron->njobs,
                          sizeof(*cron->jobs))) {
        rv = ERG_ENOMEM;
    }
    if (rv == ERG_OK) {
        schedule(cron, j);
        cron->jobs[cron->njobs++] = j;
    }
    pthread_mutex_unlock(&cron->lock);
    if (rv != ERG_OK) {
        job_free(j);
        return rv;
    }
    (void)ask(cron, ERG__CRON_CHECK, 0); /* sleep until the new time */
    return ERG_OK;
}

erg_err_t erg_cron_remove(erg_cron_t *cron, const char *name) {
    if (cron == NULL || name == NULL)
        return ERG_EINVAL;
    size_t at;
    pthread_mutex_lock(&cron->lock);
    erg__cron_job_t *j = find(cron, name, &at);
    if (j != NULL)
        memmove(&cron->jobs[at], &cron->jobs[at + 1],
                (--cron->njobs - at) * sizeof(*cron->jobs));
    pthread_mutex_unlock(&cron->lock);
    if (j == NULL)
        return ERG_ENOENT;
    /* A firing of it that is under way keeps it until it ends. */
    erg__cron_job_release(cron, j);
    return ERG_OK;
}

static erg_err_t set_disabled(erg_cron_t *cron, const char *name,
                              bool disabled) {
    if (cron == NULL || name == NULL)
        return ERG_EINVAL;
    pthread_mutex_lock(&cron->lock);
    erg__cron_job_t *j = find(cron, name, NULL);
    if (j != NULL && j->disabled != disabled) {
        j->disabled = disabled;
        schedule(cron, j);
    }
    pthread_mutex_unlock(&cron->lock);
    if (j == NULL)
        return ERG_ENOENT;
    (void)ask(cron, ERG__CRON_CHECK, 0);
    return ERG_OK;
}

erg_err_t erg_cron_enable(erg_cron_t *cron, const char *name) {
    return set_disabled(cron, name, false);
}

erg_err_t erg_cron_disable(erg_cron_t *cron, const char *name) {
    return set_disabled(cron, name, true);
}

/* info fills *out from j, under the lock. */
static void info(const erg__cron_job_t *j, erg_cron_job_info_t *out) {
    memset(out, 0, sizeof(*out));
    snprintf(out->name, sizeof(out->name), "%s", j->name);
    snprintf(out->spec, sizeof(out->spec), "%s", j->spec_text);
    snprintf(out->tz, sizeof(out->tz), "%s", j->tz_name ? j->tz_name : "UTC");
    if (j->action == ERG_CRON_SPAWN) {
        snprintf(out->action, sizeof(out->action), "spawn %s",
                 j->beh->name ? j->beh->name : "(unnamed)");
    } else if (j->tkind == ERG_TARGET_NAME) {
        snprintf(out->action, sizeof(out->action), "send to %s", j->tname);
    } else {
        char pid[64];
        snprintf(out->action, sizeof(out->action), "send to %s",
                 erg_pid_format(j->pid, pid, sizeof(pid)));
    }
    snprintf(out->fallback, sizeof(out->fallback), "%s",
             j->fallback_name ? j->fallback_name : "");
    out->disabled = j->disabled;
    out->next = j->next;
    out->last_run = j->last_run;
    out->last_err = j->last_err;
}

erg_err_t erg_cron_job_info(erg_cron_t *cron, const char *name,
                            erg_cron_job_info_t *out) {
    if (cron == NULL || name == NULL || out == NULL)
        return ERG_EINVAL;
    pthread_mutex_lock(&cron->lock);
    erg__cron_job_t *j = find(cron, name, NULL);
    if (j != NULL)
        info(j, out);
    pthread_mutex_unlock(&cron->lock);
    return j != NULL ? ERG_OK : ERG_ENOENT;
}

erg_err_t erg_cron_jobs(erg_cron_t *cron, erg_cron_job_info_t **out,
                        size_t *n) {
    if (cron == NULL || out == NULL || n == NULL)
        return ERG_EINVAL;
    pthread_mutex_lock(&cron->lock);
    size_t count = cron->njobs;
    erg_cron_job_info_t *list =
        erg__malloc((count ? count : 1) * sizeof(*list));
    if (list != NULL)
        for (size_t i = 0; i < count; i++)
            info(cron->jobs[i], &list[i]);
    pthread_mutex_unlock(&cron->lock);
    if (list == NULL)
        return ERG_ENOMEM;
    *out = list;
    *n = count;
    return ERG_OK;
}

void erg_cron_jobs_free(erg_cron_job_info_t *list) {
    erg__free(list);
}

erg_err_t erg_cron_job_preview(erg_cron_t *cron, const char *name, int64_t from,
                               size_t n, int64_t *out) {
    if (cron == NULL || name == NULL || (out == NULL && n > 0))
        return ERG_EINVAL;
    pthread_mutex_lock(&cron->lock);
    erg__cron_job_t *j = find(cron, name, NULL);
    /* Spec and zone are immutable: the preview needs no lock, only the
     * job kept alive. */
    if (j != NULL)
        j->refs++;
    pthread_mutex_unlock(&cron->lock);
    if (j == NULL)
        return ERG_ENOENT;
    erg_err_t rv = erg_cron_preview(j->spec, j->tz, from, n, out);
    erg__cron_job_release(cron, j);
    return rv;
}

erg_err_t erg_cron_check(erg_cron_t *cron) {
    if (cron == NULL)
        return ERG_EINVAL;
    return ask(cron, ERG__CRON_CHECK, 60000);
}
