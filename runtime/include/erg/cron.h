/* SPDX-License-Identifier: MIT */
/* cron.h: crontab specs, time zones, fire times, and jobs run on a node. */
#ifndef ERG_CRON_H
#define ERG_CRON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "erg/actor.h"
#include "erg/defs.h"
#include "erg/err.h"
#include "erg/msg.h"
#include "erg/node.h"

/*
 * Times are whole seconds since the Unix epoch, UTC (int64_t), so nothing
 * here depends on the process's local time zone or on the TZ variable.
 * docs/cron.md describes the spec syntax, the day-of-month/day-of-week rule
 * and what happens to a job when daylight saving time starts or ends.
 */

/* A parsed 5-field crontab spec. Opaque; immutable once parsed. */
typedef struct erg_cron_spec_s erg_cron_spec_t;

/* A time zone read from the system's zoneinfo. Opaque; immutable. */
typedef struct erg_tz_s erg_tz_t;

/*
 * erg_cron_spec_parse parses text ("30 2 * * 1-5", "0 9 L * *",
 * "0 8 * * 1#2", "@daily", ...) into *specp, which the caller frees with
 * erg_cron_spec_free. On failure *specp is untouched and, when errbuf is
 * not NULL, errbuf receives a NUL-terminated message naming the field and
 * the bad token (truncated to errlen). Errors: ERG_EINVAL (bad syntax or a
 * value out of range), ERG_ENOMEM. Thread-safe.
 */
ERG_EXTERN erg_err_t erg_cron_spec_parse(const char *text,
                                         erg_cron_spec_t **specp, char *errbuf,
                                         size_t errlen);

/* erg_cron_spec_free frees a spec; NULL is a no-op. */
ERG_EXTERN void erg_cron_spec_free(erg_cron_spec_t *spec);

/*
 * erg_tz_load reads the zone name ("Europe/Berlin", "UTC") from
 * /usr/share/zoneinfo (TZif v1 to v4, RFC 8536) into *tzp, which the caller
 * frees with erg_tz_free. "UTC" and "Etc/UTC" work without zoneinfo files.
 * The process-wide TZ and the C library's time zone state are never
 * touched. Errors: ERG_ENOENT (no such zone), ERG_EINVAL (a name that is
 * empty, absolute or climbs with ".."), ERG_EDECODE (not a valid TZif
 * file), ERG_EIO, ERG_ENOMEM. Thread-safe; a loaded zone may be shared by
 * threads.
 */
ERG_EXTERN erg_err_t erg_tz_load(const char *name, erg_tz_t **tzp);

/* erg_tz_free frees a zone; NULL is a no-op. */
ERG_EXTERN void erg_tz_free(erg_tz_t *tz);

/*
 * erg_cron_next stores in *nextp the first fire time of spec strictly after
 * the instant after, with the spec read as wall-clock time in tz (NULL
 * means UTC). A wall-clock time that daylight saving skips does not fire;
 * one that it repeats fires once, at its first occurrence. Errors:
 * ERG_ENOENT (the spec never fires, e.g. "0 0 30 2 *"), ERG_EINVAL (after
 * outside years 1..9999 or a NULL argument). Thread-safe.
 */
ERG_EXTERN erg_err_t erg_cron_next(const erg_cron_spec_t *spec,
                                   const erg_tz_t *tz, int64_t after,
                                   int64_t *nextp);

/*
 * erg_cron_preview fills out[0..n) with the next n fire times after from,
 * as repeated erg_cron_next calls would. Errors as erg_cron_next; on error
 * out's contents are unspecified. Thread-safe.
 */
ERG_EXTERN erg_err_t erg_cron_preview(const erg_cron_spec_t *spec,
                                      const erg_tz_t *tz, int64_t from,
                                      size_t n, int64_t *out);

/* --- Jobs (Ergo's node Cron) -------------------------------------------- */

/*
 * erg_cron_t runs jobs on one node: at each fire time of a job's spec in its
 * zone it sends a message or spawns a process, and tells a fallback process
 * when that fails. The user creates it on a running node and frees it
 * before stopping the node. Its deadlines live on the node's timer thread
 * (through a small scheduler process, "erg.cron"); docs/cron.md describes
 * the design and what jobs do when clocks change.
 */
typedef struct erg_cron_s erg_cron_t;

/* A clock: milliseconds since the Unix epoch, UTC. Thread-safe. */
typedef int64_t (*erg_cron_clock_fn)(void *arg);

typedef struct erg_cron_opts_s {
    /* The clock jobs are scheduled by; NULL = the system's real-time clock.
     * Tests inject one and call erg_cron_check after moving it. */
    erg_cron_clock_fn now_ms;
    void *clock_arg;
} erg_cron_opts_t;

/* What a job does when it fires. */
typedef enum erg_cron_action_e {
    ERG_CRON_SEND = 0, /* send a message to target */
    ERG_CRON_SPAWN = 1 /* spawn a process of beh with args */
} erg_cron_action_t;

/*
 * A job (Ergo's CronJob). erg_cron_add copies the strings and the struct;
 * msg is retained; beh, args and what spawn_opts points to (env, names)
 * must outlive the cron.
 */
typedef struct erg_cron_job_s {
    const char *name; /* unique in the cron, 1..63 bytes, required */
    const char *spec; /* crontab spec, see erg_cron_spec_parse */
    const char *tz;   /* zone name for erg_tz_load; NULL = UTC */
    erg_cron_action_t action;
    /* ERG_CRON_SEND: a pid or a name (erg_to_pid, erg_to_name). msg is
     * sent at every fire (retained; NULL sends an ERG_TYPE_CRON message,
     * Ergo's MessageCron) with priority (erg_priority_t). */
    erg_target_t target;
    erg_msg_t *msg;
    int priority;
    /* ERG_CRON_SPAWN: erg_node_spawn(node, beh, &spawn_opts, args) at every
     * fire; the process's env also holds CRON_JOB_NAME and CRON_NODE_NAME
     * (const char *), as in Ergo. */
    const erg_behavior_t *beh;
    erg_spawn_opts_t spawn_opts;
    void *args;
    /* When the action fails: send an ERG_TYPE_CRON_FALLBACK message to the
     * process registered as fallback_name (NULL = none), with
     * fallback_tag. */
    const char *fallback_name;
    const char *fallback_tag;
    bool disabled; /* add it disabled */
} erg_cron_job_t;

/* Payload of ERG_TYPE_CRON (Ergo's MessageCron): the job's name (inside the
 * message) and the fire time it runs for (seconds since 1970, UTC). */
ERG_EXTERN extern const char erg_type_cron[];
#define ERG_TYPE_CRON ((const void *)erg_type_cron)
typedef struct erg_cron_msg_s {
    const char *job;
    int64_t time;
} erg_cron_msg_t;

/* Payload of ERG_TYPE_CRON_FALLBACK (Ergo's MessageCronFallback): a job's
 * action failed with err at time; strings point inside the message. */
ERG_EXTERN extern const char erg_type_cron_fallback[];
#define ERG_TYPE_CRON_FALLBACK ((const void *)erg_type_cron_fallback)
typedef struct erg_cron_fallback_s {
    const char *job;
    const char *tag;
    int64_t time;
    erg_err_t err;
} erg_cron_fallback_t;

/* A job as erg_cron_job_info and erg_cron_jobs report it. */
typedef struct erg_cron_job_info_s {
    char name[64];
    char spec[128];
    char tz[64];      /* "UTC" when none was given */
    char action[128]; /* "send to <pid or name>", "spawn <behaviour>" */
    char fallback[64];
    bool disabled;
    int64_t next;     /* next fire time; 0 if disabled or never */
    int64_t last_run; /* last fire time; 0 if never */
    erg_err_t last_err;
} erg_cron_job_info_t;

/*
 * erg_cron_new creates a cron on node, with opts (NULL = defaults), and
 * stores it in *out; free it with erg_cron_free before stopping node.
 * Errors: ERG_ENOMEM, erg_node_spawn's. Any thread but the cron's own
 * actions.
 */
ERG_EXTERN erg_err_t erg_cron_new(erg_node_t *node, const erg_cron_opts_t *opts,
                                  erg_cron_t **out);

/* erg_cron_free stops the cron's jobs and frees it; a running action
 * finishes first. NULL is a no-op. Not from a handler of the cron's own
 * actions; not concurrently with other calls on cron. */
ERG_EXTERN void erg_cron_free(erg_cron_t *cron);

/* erg_cron_pid: the cron's scheduler process, "erg.cron" (to inspect or
 * monitor it). Thread-safe. */
ERG_EXTERN erg_pid_t erg_cron_pid(const erg_cron_t *cron);

/*
 * erg_cron_add adds a job (Ergo's AddJob). Errors: ERG_EINVAL (bad name,
 * action, spec or zone name; a bad spec's message goes to errbuf if not
 * NULL), ERG_ENOENT (no such zone), ERG_ETAKEN (the name is used),
 * ERG_ENOMEM. Thread-safe.
 */
ERG_EXTERN erg_err_t erg_cron_add(erg_cron_t *cron, const erg_cron_job_t *job,
                                  char *errbuf, size_t errlen);

/* erg_cron_remove, _enable, _disable (Ergo's RemoveJob, EnableJob,
 * DisableJob): ERG_ENOENT if there is no such job. A job enabled again
 * fires at the next matching time after now. Thread-safe. */
ERG_EXTERN erg_err_t erg_cron_remove(erg_cron_t *cron, const char *name);
ERG_EXTERN erg_err_t erg_cron_enable(erg_cron_t *cron, const char *name);
ERG_EXTERN erg_err_t erg_cron_disable(erg_cron_t *cron, const char *name);

/* erg_cron_job_info fills *info for job name: ERG_ENOENT. Thread-safe. */
ERG_EXTERN erg_err_t erg_cron_job_info(erg_cron_t *cron, const char *name,
                                       erg_cron_job_info_t *info);

/* erg_cron_jobs lists every job in the order added; *out is freed with
 * erg_cron_jobs_free. ERG_ENOMEM. Thread-safe. */
ERG_EXTERN erg_err_t erg_cron_jobs(erg_cron_t *cron, erg_cron_job_info_t **out,
                                   size_t *n);
ERG_EXTERN void erg_cron_jobs_free(erg_cron_job_info_t *list);

/*
 * erg_cron_job_preview fills out[0..n) with job name's next n fire times
 * after from (Ergo's JobSchedule), whether or not it is enabled: exactly
 * what erg_cron_preview gives for its spec and zone. ERG_ENOENT (no such
 * job, or it never fires), ERG_EINVAL. Thread-safe.
 */
ERG_EXTERN erg_err_t erg_cron_job_preview(erg_cron_t *cron, const char *name,
                                          int64_t from, size_t n, int64_t *out);

/*
 * erg_cron_check makes the cron read its clock now and run the jobs that
 * are due, and returns once they ran (their sends queued, their spawns'
 * inits returned). The cron does this by itself at every fire time and at
 * least once a minute; call it after moving an injected clock, or after the
 * system clock was set. Errors: call errors. Any thread but the cron's own
 * actions (a spawned process's init calling it waits for itself until the
 * call times out).
 */
ERG_EXTERN erg_err_t erg_cron_check(erg_cron_t *cron);

#endif /* ERG_CRON_H */
