/* SPDX-License-Identifier: MIT */
/* spec.h: 5-field crontab specs and their next fire times. */
#ifndef ERG_CRON_SPEC_H
#define ERG_CRON_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "erg/cron.h"
#include "erg/err.h"

/* A parsed spec: one bit per allowed value. */
struct erg_cron_spec_s {
    uint64_t minutes; /* bits 0..59 */
    uint32_t hours;   /* bits 0..23 */
    uint32_t days;    /* bits 1..31 */
    uint16_t months;  /* bits 1..12 */
    uint8_t weekdays; /* bits 0..6, 0 = Sunday */
    bool days_star;   /* day-of-month was a bare "*" */
    bool weekdays_star;
    bool last_day;        /* "L" in day-of-month */
    uint8_t last_weekday; /* "5L": bit per weekday, last of the month */
    uint8_t nth[7];       /* "1#2": per weekday, bit k for the k-th */
};

/* erg__cron_spec_parse: see erg_cron_spec_parse; fills caller storage. */
erg_err_t erg__cron_spec_parse(const char *text, erg_cron_spec_t *spec,
                               char *errbuf, size_t errlen);

/* erg__cron_next: see erg_cron_next. */
erg_err_t erg__cron_next(const erg_cron_spec_t *spec, const erg_tz_t *tz,
                         int64_t after, int64_t *nextp);

/* erg__cron_preview: see erg_cron_preview. */
erg_err_t erg__cron_preview(const erg_cron_spec_t *spec, const erg_tz_t *tz,
                            int64_t from, size_t n, int64_t *out);

#endif /* ERG_CRON_SPEC_H */
