/* SPDX-License-Identifier: MIT */
/* cron.h: crontab specs, time zones and the next fire time of a schedule. */
#ifndef ERG_CRON_H
#define ERG_CRON_H

#include <stddef.h>
#include <stdint.h>

#include "erg/defs.h"
#include "erg/err.h"

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

#endif /* ERG_CRON_H */
