/* SPDX-License-Identifier: MIT */
/* tz.h: time zones from TZif data, UTC to local and local to UTC. */
#ifndef ERG_CRON_TZ_H
#define ERG_CRON_TZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "erg/cron.h"
#include "erg/err.h"

/* Instants handled here: about +-4.3 million years, so no sum overflows. */
#define ERG__TZ_LIMIT ((int64_t)1 << 47)

/* What a zone says about one instant. */
typedef struct erg__tz_info_s {
    int32_t utoff; /* seconds east of UTC */
    bool is_dst;
    char abbr[16]; /* "CEST", "+0545"; NUL-terminated */
} erg__tz_info_t;

/* How a local (wall-clock) time maps back to instants. */
typedef enum erg__tz_kind_e {
    ERG__TZ_UNIQUE,  /* one instant: first == second */
    ERG__TZ_GAP,     /* none: skipped by a forward jump */
    ERG__TZ_OVERLAP, /* two: first < second, repeated by a backward jump */
} erg__tz_kind_t;

typedef struct erg__tz_local_s {
    erg__tz_kind_t kind;
    /* UNIQUE and OVERLAP: the instants. GAP: both hold the instant the
     * wall-clock time names under the offset before the jump, which lands
     * after the gap (02:30 in a 02:00->03:00 gap gives 03:30). */
    int64_t first;
    int64_t second;
} erg__tz_local_t;

/* erg__tz_utc returns a new zone that is UTC forever. */
erg_err_t erg__tz_utc(erg_tz_t **tzp);

/* erg__tz_parse builds a zone from TZif bytes (RFC 8536), checking every
 * read against len. ERG_EDECODE for malformed data, ERG_ENOMEM. */
erg_err_t erg__tz_parse(const uint8_t *data, size_t len, erg_tz_t **tzp);

/* erg__tz_load reads /usr/share/zoneinfo/<name>; see erg_tz_load. */
erg_err_t erg__tz_load(const char *name, erg_tz_t **tzp);

void erg__tz_free(erg_tz_t *tz);

/* erg__tz_lookup: offset, DST flag and abbreviation at instant t (UTC).
 * tz NULL means UTC. ERG_EINVAL if |t| >= ERG__TZ_LIMIT. */
erg_err_t erg__tz_lookup(const erg_tz_t *tz, int64_t t, erg__tz_info_t *info);

/* erg__tz_resolve maps local, the wall-clock reading written as seconds
 * since 1970-01-01 00:00 (as if it were UTC), to instants. tz NULL means
 * UTC. ERG_EINVAL if |local| >= ERG__TZ_LIMIT. */
erg_err_t erg__tz_resolve(const erg_tz_t *tz, int64_t local,
                          erg__tz_local_t *out);

/* Civil calendar helpers shared with the cron evaluator (proleptic
 * Gregorian, days since 1970-01-01). */
int64_t erg__tz_days_from_civil(int64_t y, int m, int d);
void erg__tz_civil_from_days(int64_t days, int64_t *y, int *m, int *d);
int erg__tz_days_in_month(int64_t y, int m);

#endif /* ERG_CRON_TZ_H */
