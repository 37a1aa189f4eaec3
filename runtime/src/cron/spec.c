/* SPDX-License-Identifier: MIT */
/* spec.c: parses crontab specs and finds their next fire time in a zone. */
#include "cron/spec.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cron/tz.h"
#include "util/alloc.h"

/* ---- Parsing ---------------------------------------------------------- */

enum { F_MINUTE, F_HOUR, F_DOM, F_MONTH, F_DOW, NFIELDS };

typedef struct field_s {
    const char *name;
    int min, max;
    const char *const *names; /* names[i] is value min + i, or NULL */
} field_t;

static const char *const month_names[] = {"JAN", "FEB", "MAR", "APR", "MAY",
                                          "JUN", "JUL", "AUG", "SEP", "OCT",
                                          "NOV", "DEC", NULL};
static const char *const dow_names[] = {"SUN", "MON", "TUE", "WED",
                                        "THU", "FRI", "SAT", NULL};

/* Day-of-week takes 0..7: both 0 and 7 are Sunday (Ergo counts 1..7 with
 * Monday 1, so every Ergo spec means the same here). */
static const field_t fields[NFIELDS] = {
    {"minute", 0, 59, NULL},          {"hour", 0, 23, NULL},
    {"day-of-month", 1, 31, NULL},    {"month", 1, 12, month_names},
    {"day-of-week", 0, 7, dow_names},
};

/* Ergo's macros (node/cron_parse.go), deliberately off the hour so that
 * jobs spread out; @midnight is erg's, for the classic "0 0 * * *". */
static const struct {
    const char *name;
    const char *spec;
} macros[] = {
    {"@hourly", "1 * * * *"},   {"@daily", "10 3 * * *"},
    {"@weekly", "30 5 * * 1"},  {"@monthly", "20 4 1 * *"},
    {"@midnight", "0 0 * * *"},
};

typedef struct parse_s {
    erg_cron_spec_t *spec;
    char *errbuf;
    size_t errlen;
} parse_t;

static erg_err_t fail(parse_t *ps, const char *fmt, ...) {
    if (ps->errbuf != NULL && ps->errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ps->errbuf, ps->errlen, fmt, ap);
        va_end(ap);
    }
    return ERG_EINVAL;
}

/* Reports a bad list element of field f. */
#define BAD(why) \
    fail(ps, "%s field: bad token \"%.*s\": %s", f->name, (int)len, tok, why)

static char upper(char ch) {
    return ch >= 'a' && ch <= 'z' ? (char)(ch - 'a' + 'A') : ch;
}

/* Reads a number or a name of field f at s[*i], within [f->min, f->max]. */
static bool read_value(const field_t *f, const char *s, size_t n, size_t *i,
                       int *out) {
    if (*i < n && s[*i] >= '0' && s[*i] <= '9') {
        int v = 0;
        size_t start = *i;
        while (*i < n && s[*i] >= '0' && s[*i] <= '9') {
            if (*i - start == 3)
                return false;
            v = v * 10 + (s[(*i)++] - '0');
        }
        if (v < f->min || v > f->max)
            return false;
        *out = v;
        return true;
    }
    if (f->names == NULL || n - *i < 3)
        return false;
    for (int k = 0; f->names[k] != NULL; k++) {
        const char *nm = f->names[k];
        if (upper(s[*i]) == nm[0] && upper(s[*i + 1]) == nm[1] &&
            upper(s[*i + 2]) == nm[2]) {
            *i += 3;
            *out = f->min + k;
            return true;
        }
    }
    return false;
}

/* Reads "/n" at s[*i] if present (step 1 otherwise). */
static bool read_step(const field_t *f, const char *s, size_t n, size_t *i,
                      int *step) {
    *step = 1;
    if (*i == n || s[*i] != '/')
        return true;
    (*i)++;
    int v = 0;
    size_t start = *i;
    while (*i < n && s[*i] >= '0' && s[*i] <= '9') {
        if (*i - start == 3)
            return false;
        v = v * 10 + (s[(*i)++] - '0');
    }
    if (*i == start || v < 1 || v > f->max)
        return false;
    *step = v;
    return true;
}

/* One element of a comma-separated list, tok[0..len), into *bits. */
static erg_err_t parse_element(parse_t *ps, const field_t *f, int fi,
                               const char *tok, size_t len, uint64_t *bits) {
    erg_cron_spec_t *spec = ps->spec;
    size_t i = 0;
    int lo, hi, step;
    if (len == 0)
        return BAD("empty list element");
    if (fi == F_DOM && len == 1 && upper(tok[0]) == 'L') {
        spec->last_day = true;
        return ERG_OK;
    }
    if (tok[0] == '*') {
        i = 1;
        if (i < len && tok[i] != '/')
            return BAD("'*' takes only a step, as in \"*/5\"");
        if (!read_step(f, tok, len, &i, &step) || i != len)
            return BAD("a step must be a number from 1 to the field's "
                       "maximum");
        lo = f->min;
        hi = fi == F_DOW ? 6 : f->max;
    } else {
        if (!read_value(f, tok, len, &i, &lo))
            return BAD(f->names != NULL ? "expected a number in range or a "
                                          "three-letter name"
                                        : "expected a number in range");
        if (fi == F_DOW && i < len && (tok[i] == '#' || upper(tok[i]) == 'L')) {
            int wd = lo % 7;
            if (upper(tok[i]) == 'L') {
                if (i + 1 != len)
                    return BAD("text after 'L'");
                spec->last_weekday |= (uint8_t)(1u << wd);
                return ERG_OK;
            }
            i++;
            if (i + 1 != len || tok[i] < '1' || tok[i] > '5')
                return BAD("'#' takes an occurrence from 1 to 5, as in "
                           "\"1#2\"");
            spec->nth[wd] |= (uint8_t)(1u << (tok[i] - '0'));
            return ERG_OK;
        }
        hi = lo;
        bool range = i < len && tok[i] == '-';
        if (range) {
            i++;
            if (!read_value(f, tok, len, &i, &hi))
                return BAD("a range ends in a number in range or a name");
            if (hi < lo)
                return BAD("a range must not run backwards");
        }
        if (i < len && tok[i] == '/' && !range)
            return BAD("a step needs a range or '*', as in \"0-30/5\"");
        if (!read_step(f, tok, len, &i, &step))
            return BAD("a step must be a number from 1 to the field's "
                       "maximum");
        if (i != len)
            return BAD("unexpected characters");
    }
    for (int v = lo; v <= hi; v += step)
        *bits |= (uint64_t)1 << v;
    return ERG_OK;
}

static erg_err_t parse_field(parse_t *ps, int fi, const char *s, size_t n) {
    const field_t *f = &fields[fi];
    erg_cron_spec_t *spec = ps->spec;
    uint64_t bits = 0;
    bool star = n == 1 && s[0] == '*';
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != ',')
            continue;
        const char *tok = s + start;
        size_t len = i - start;
        if (len == 1 && tok[0] == '*' && !star)
            return BAD("'*' cannot be combined with other values");
        erg_err_t rv = parse_element(ps, f, fi, tok, len, &bits);
        if (rv != ERG_OK)
            return rv;
        start = i + 1;
    }
    switch (fi) {
    case F_MINUTE:
        spec->minutes = bits;
        break;
    case F_HOUR:
        spec->hours = (uint32_t)bits;
        break;
    case F_DOM:
        spec->days = (uint32_t)bits;
        spec->days_star = star;
        break;
    case F_MONTH:
        spec->months = (uint16_t)bits;
        break;
    default:
        if (bits & (1u << 7))
            bits |= 1u; /* 7 is Sunday too */
        spec->weekdays = (uint8_t)(bits & 0x7f);
        spec->weekdays_star = star;
        break;
    }
    return ERG_OK;
}

/* Blanks as Ergo's strings.Fields sees them, so a line read from a file
 * may keep its newline. */
static bool is_space(char ch) {
    return ch == ' ' || (ch >= '\t' && ch <= '\r');
}

erg_err_t erg__cron_spec_parse(const char *text, erg_cron_spec_t *spec,
                               char *errbuf, size_t errlen) {
    parse_t ps0 = {spec, errbuf, errlen}, *ps = &ps0;
    if (errbuf != NULL && errlen > 0)
        errbuf[0] = '\0';
    if (text == NULL || spec == NULL)
        return fail(ps, "no spec");
    memset(spec, 0, sizeof(*spec));
    while (is_space(*text))
        text++;
    if (text[0] == '@') {
        size_t n = strlen(text);
        while (n > 0 && is_space(text[n - 1]))
            n--;
        for (size_t k = 0; k < sizeof(macros) / sizeof(macros[0]); k++) {
            if (strlen(macros[k].name) == n &&
                memcmp(macros[k].name, text, n) == 0)
                return erg__cron_spec_parse(macros[k].spec, spec, errbuf,
                                            errlen);
        }
        return fail(ps,
                    "unknown macro \"%.*s\" (known: @hourly, @daily, "
                    "@midnight, @weekly, @monthly)",
                    (int)(n > 32 ? 32 : n), text);
    }
    const char *p = text;
    int fi = 0;
    while (*p != '\0') {
        const char *start = p;
        while (*p != '\0' && !is_space(*p))
            p++;
        if (fi == NFIELDS)
            return fail(ps, "more than 5 fields (minute hour day-of-month "
                            "month day-of-week)");
        erg_err_t rv = parse_field(ps, fi++, start, (size_t)(p - start));
        if (rv != ERG_OK)
            return rv;
        while (is_space(*p))
            p++;
    }
    if (fi != NFIELDS)
        return fail(ps,
                    "%d field%s, expected 5 (minute hour day-of-month "
                    "month day-of-week)",
                    fi, fi == 1 ? "" : "s");
    return ERG_OK;
}

/* ---- Evaluation ------------------------------------------------------- */

/* Instants accepted: years 1 to 9999. */
#define MIN_INSTANT ((int64_t)-62135596800)
#define MAX_INSTANT ((int64_t)253402300799)
/* The Gregorian calendar repeats every 146097 days; a spec that matches no
 * day in one cycle never will. */
#define CYCLE_DAYS 146097

static bool dom_matches(const erg_cron_spec_t *s, int d, int mdays) {
    return (s->days >> d & 1u) || (s->last_day && d == mdays);
}

static bool dow_matches(const erg_cron_spec_t *s, int d, int mdays, int wd) {
    return (s->weekdays >> wd & 1u) ||
           ((s->last_weekday >> wd & 1u) && d + 7 > mdays) ||
           (s->nth[wd] >> ((d - 1) / 7 + 1) & 1u);
}

/* Ergo's rule: a bare "*" leaves the other day field in charge; when both
 * are restricted a day matching either fires (classic cron's OR). */
static bool day_matches(const erg_cron_spec_t *s, int64_t y, int m, int d,
                        int wd) {
    int mdays = erg__tz_days_in_month(y, m);
    if (s->days_star && s->weekdays_star)
        return true;
    if (s->days_star)
        return dow_matches(s, d, mdays, wd);
    if (s->weekdays_star)
        return dom_matches(s, d, mdays);
    return dom_matches(s, d, mdays) || dow_matches(s, d, mdays, wd);
}

static int64_t floor_div(int64_t a, int64_t b) {
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/*
 * Walks wall-clock minutes after the wall-clock reading of after, in order,
 * and returns the first matching one that exists and whose first instant
 * is later than after. Minutes in a spring-forward gap have no instant and
 * are skipped (as in Ergo, which checks each real minute against the
 * spec). A minute repeated by fall-back counts at its first instant only,
 * so it fires once; the "first instant > after" test also drops repeated
 * minutes whose first pass is already over when after is in the second.
 */
erg_err_t erg__cron_next(const erg_cron_spec_t *spec, const erg_tz_t *tz,
                         int64_t after, int64_t *nextp) {
    if (spec == NULL || nextp == NULL || after < MIN_INSTANT ||
        after > MAX_INSTANT)
        return ERG_EINVAL;
    erg__tz_info_t info;
    erg_err_t rv = erg__tz_lookup(tz, after, &info);
    if (rv != ERG_OK)
        return rv;
    int64_t start = floor_div(after + info.utoff, 60) * 60 + 60;
    int64_t day0 = floor_div(start, 86400);
    int sec0 = (int)(start - day0 * 86400);
    int h0 = sec0 / 3600, m0 = sec0 % 3600 / 60;
    for (int64_t day = day0; day <= day0 + CYCLE_DAYS;) {
        int64_t y;
        int m, d;
        erg__tz_civil_from_days(day, &y, &m, &d);
        if (!(spec->months >> m & 1u)) {
            day += erg__tz_days_in_month(y, m) - d + 1;
            continue;
        }
        int wd = (int)(((day % 7) + 11) % 7);
        if (day_matches(spec, y, m, d, wd)) {
            for (int h = day == day0 ? h0 : 0; h < 24; h++) {
                if (!(spec->hours >> h & 1u))
                    continue;
                int mi = day == day0 && h == h0 ? m0 : 0;
                for (; mi < 60; mi++) {
                    if (!(spec->minutes >> mi & 1u))
                        continue;
                    erg__tz_local_t loc;
                    rv = erg__tz_resolve(tz, day * 86400 + h * 3600 + mi * 60,
                                         &loc);
                    if (rv != ERG_OK)
                        return rv;
                    if (loc.kind == ERG__TZ_GAP || loc.first <= after)
                        continue;
                    *nextp = loc.first;
                    return ERG_OK;
                }
            }
        }
        day++;
    }
    return ERG_ENOENT;
}

erg_err_t erg__cron_preview(const erg_cron_spec_t *spec, const erg_tz_t *tz,
                            int64_t from, size_t n, int64_t *out) {
    if (n > 0 && out == NULL)
        return ERG_EINVAL;
    for (size_t i = 0; i < n; i++) {
        erg_err_t rv = erg__cron_next(spec, tz, from, &out[i]);
        if (rv != ERG_OK)
            return rv;
        from = out[i];
    }
    return ERG_OK;
}

/* ---- Public surface --------------------------------------------------- */

erg_err_t erg_cron_spec_parse(const char *text, erg_cron_spec_t **specp,
                              char *errbuf, size_t errlen) {
    if (specp == NULL)
        return ERG_EINVAL;
    erg_cron_spec_t *spec = erg__malloc(sizeof(*spec));
    if (spec == NULL)
        return ERG_ENOMEM;
    erg_err_t rv = erg__cron_spec_parse(text, spec, errbuf, errlen);
    if (rv != ERG_OK) {
        erg__free(spec);
        return rv;
    }
    *specp = spec;
    return ERG_OK;
}

void erg_cron_spec_free(erg_cron_spec_t *spec) {
    erg__free(spec);
}

erg_err_t erg_cron_next(const erg_cron_spec_t *spec, const erg_tz_t *tz,
                        int64_t after, int64_t *nextp) {
    return erg__cron_next(spec, tz, after, nextp);
}

erg_err_t erg_cron_preview(const erg_cron_spec_t *spec, const erg_tz_t *tz,
                           int64_t from, size_t n, int64_t *out) {
    return erg__cron_preview(spec, tz, from, n, out);
}
