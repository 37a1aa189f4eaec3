/* SPDX-License-Identifier: MIT */
/* job.h: cron jobs and the scheduler process that runs them. */
#ifndef ERG_CRON_JOB_H
#define ERG_CRON_JOB_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "erg/cron.h"

/* One job. Fields after `refs` are fixed at add, except those marked. */
typedef struct erg__cron_job_s {
    unsigned refs; /* under the cron's lock: the table's, and a firing's */
    char *name;
    char *spec_text;
    char *tz_name; /* NULL: UTC */
    char *fallback_name;
    char *fallback_tag;
    erg_cron_spec_t *spec;
    erg_tz_t *tz;
    erg_cron_action_t action;
    erg_target_kind_t tkind; /* ERG_CRON_SEND: a pid or a name */
    erg_pid_t pid;
    char *tname;
    erg_msg_t *msg; /* retained, or NULL */
    int priority;
    const erg_behavior_t *beh; /* ERG_CRON_SPAWN */
    erg_spawn_opts_t opts;
    void *args;
    /* Under the cron's lock. */
    bool disabled;
    int64_t next; /* next fire time; 0 if disabled or never */
    int64_t last_run;
    erg_err_t last_err;
} erg__cron_job_t;

struct erg_cron_s {
    erg_node_t *node;
    erg_cron_clock_fn now_ms;
    void *clock_arg;
    erg_pid_t pid; /* the scheduler process */
    pthread_mutex_t lock;
    erg__cron_job_t **jobs; /* in the order added */
    size_t njobs, capjobs;
    bool proc_gone; /* the scheduler let go of the cron (stopped or ended) */
};

/* erg__cron_clock_ms: the cron's clock, milliseconds since 1970 (UTC). */
int64_t erg__cron_clock_ms(const erg_cron_t *c);

/* The scheduler process's behaviour; its init args are the cron. */
extern const erg_behavior_t erg__cron_behavior;

/* The scheduler's private message and call types. */
extern const char erg__cron_tick_type[];
extern const char erg__cron_req_type[];

typedef enum erg__cron_op_e {
    ERG__CRON_CHECK = 1,
    ERG__CRON_STOP = 2
} erg__cron_op_t;

/* erg__cron_job_release drops a reference taken under the lock; the last
 * frees the job. Takes the lock. */
void erg__cron_job_release(erg_cron_t *c, erg__cron_job_t *j);

#endif /* ERG_CRON_JOB_H */
