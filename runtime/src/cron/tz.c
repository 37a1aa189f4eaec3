/* SPDX-License-Identifier: MIT */
/* tz.c: reads TZif zones (RFC 8536) and maps instants to and from local time.
 */
#include "cron/tz.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/alloc.h"

#define ZONEINFO_DIR "/usr/share/zoneinfo"
/* Real zone files are a few kilobytes; anything this big is not one. */
#define TZIF_MAX_FILE (1u << 20)
/* Offsets beyond +-26 h are rejected, so a local time's instants lie
 * within this distance of it. */
#define MAX_UTOFF (26 * 3600)

/* One rule date of a POSIX TZ string: Jn, n or Mm.w.d, plus /time. */
typedef struct rule_date_s {
    char kind; /* 'J' (1..365, no Feb 29), 'N' (0..365), 'M' */
    int n, m, w, d;
    int32_t time; /* seconds after local midnight, may be negative */
} rule_date_t;

/* A POSIX TZ string such as "CET-1CEST,M3.5.0,M10.5.0/3". */
typedef struct posix_tz_s {
    bool valid;
    bool has_dst;
    int32_t std_off; /* seconds east of UTC */
    int32_t dst_off;
    char std_abbr[16];
    char dst_abbr[16];
    rule_date_t start, end;
} posix_tz_t;

typedef struct ttinfo_s {
    int32_t utoff;
    bool is_dst;
    char abbr[16];
} ttinfo_t;

struct erg_tz_s {
    size_t ntrans;
    int64_t *trans; /* ascending transition instants */
    uint8_t *idx;   /* type index of each transition */
    size_t ntypes;  /* >= 1 */
    ttinfo_t *types;
    posix_tz_t rule; /* for instants after the last transition */
};

/* ---- Calendar --------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (the era-based
 * algorithm: 400-year eras of 146097 days, March-based years). */
int64_t erg__tz_days_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void erg__tz_civil_from_days(int64_t days, int64_t *y, int *m, int *d) {
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t doe = days - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int erg__tz_days_in_month(int64_t y, int m) {
    static const int mdays[12] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : mdays[m - 1];
}

/* 0 = Sunday; 1970-01-01 was a Thursday. */
static int weekday(int64_t days) {
    return (int)(((days % 7) + 11) % 7);
}

static int64_t floor_div(int64_t a, int64_t b) {
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* ---- POSIX TZ strings (the TZif footer) -------------------------------- */

typedef struct cursor_s {
    const char *p;
    const char *end;
} cursor_t;

static int peek(const cursor_t *c) {
    return c->p < c->end ? (unsigned char)*c->p : -1;
}

static bool is_digit(int ch) {
    return ch >= '0' && ch <= '9';
}

static bool is_alpha(int ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/* An unsigned number of at most 3 digits within [0, max]. */
static bool parse_num(cursor_t *c, int max, int *out) {
    int v = 0, n = 0;
    while (is_digit(peek(c)) && n < 3) {
        v = v * 10 + (*c->p++ - '0');
        n++;
    }
    if (n == 0 || v > max || is_digit(peek(c)))
        return false;
    *out = v;
    return true;
}

/* A zone abbreviation: 3+ letters, or <...> of letters, digits, + and -. */
static bool parse_abbr(cursor_t *c, char out[16]) {
    size_t n = 0;
    if (peek(c) == '<') {
        c->p++;
        while (peek(c) != '>') {
            int ch = peek(c);
            if (!(is_alpha(ch) || is_digit(ch) || ch == '+' || ch == '-') ||
                n == 15)
                return false;
            out[n++] = (char)ch;
            c->p++;
        }
        c->p++;
    } else {
        while (is_alpha(peek(c))) {
            if (n == 15)
                return false;
            out[n++] = *c->p++;
        }
    }
    out[n] = '\0';
    return n >= 3;
}

/* [+-]hh[:mm[:ss]] with hh <= max_hours; returns seconds. */
static bool parse_hms(cursor_t *c, int max_hours, int32_t *out) {
    int sign = 1, h, m = 0, s = 0;
    if (peek(c) == '+' || peek(c) == '-')
        sign = *c->p++ == '-' ? -1 : 1;
    if (!parse_num(c, max_hours, &h))
        return false;
    if (peek(c) == ':') {
        c->p++;
        if (!parse_num(c, 59, &m))
            return false;
        if (peek(c) == ':') {
            c->p++;
            if (!parse_num(c, 59, &s))
                return false;
        }
    }
    *out = sign * (h * 3600 + m * 60 + s);
    return true;
}

static bool parse_rule_date(cursor_t *c, rule_date_t *r) {
    r->time = 7200; /* 02:00 unless given */
    if (peek(c) == 'J') {
        c->p++;
        r->kind = 'J';
        if (!parse_num(c, 365, &r->n) || r->n < 1)
            return false;
    } else if (peek(c) == 'M') {
        c->p++;
        r->kind = 'M';
        if (!parse_num(c, 12, &r->m) || r->m < 1 || peek(c) != '.')
            return false;
        c->p++;
        if (!parse_num(c, 5, &r->w) || r->w < 1 || peek(c) != '.')
            return false;
        c->p++;
        if (!parse_num(c, 6, &r->d))
            return false;
    } else {
        r->kind = 'N';
        if (!parse_num(c, 365, &r->n))
            return false;
    }
    if (peek(c) == '/') {
        c->p++;
        /* RFC 8536 extends the POSIX hour range to -167..167. */
        if (!parse_hms(c, 167, &r->time))
            return false;
    }
    return true;
}

/* Parses the POSIX TZ string in [s, end); false if it is malformed. */
static bool parse_posix(const char *s, const char *end, posix_tz_t *tz) {
    cursor_t c = {s, end};
    int32_t off;
    memset(tz, 0, sizeof(*tz));
    if (!parse_abbr(&c, tz->std_abbr) || !parse_hms(&c, 24, &off))
        return false;
    tz->std_off = -off; /* POSIX counts hours west of Greenwich */
    if (peek(&c) == -1) {
        tz->valid = true;
        return true;
    }
    if (!parse_abbr(&c, tz->dst_abbr))
        return false;
    tz->dst_off = tz->std_off + 3600;
    int ch = peek(&c);
    if (ch == '+' || ch == '-' || is_digit(ch)) {
        if (!parse_hms(&c, 24, &off))
            return false;
        tz->dst_off = -off;
    }
    if (peek(&c) == -1) {
        /* No rule: POSIX leaves it to the implementation; use the US one. */
        tz->start = (rule_date_t){'M', 0, 3, 2, 0, 7200};
        tz->end = (rule_date_t){'M', 0, 11, 1, 0, 7200};
    } else {
        if (peek(&c) != ',')
            return false;
        c.p++;
        if (!parse_rule_date(&c, &tz->start) || peek(&c) != ',')
            return false;
        c.p++;
        if (!parse_rule_date(&c, &tz->end) || peek(&c) != -1)
            return false;
    }
    tz->has_dst = true;
    tz->valid = true;
    return true;
}

/* The instant a rule date names in year y, read under offset off. */
static int64_t rule_instant(const rule_date_t *r, int64_t y, int32_t off) {
    int64_t jan1 = erg__tz_days_from_civil(y, 1, 1), days;
    if (r->kind == 'J') {
        days = jan1 + r->n - 1 + (is_leap(y) && r->n >= 60);
    } else if (r->kind == 'N') {
        days = jan1 + r->n;
    } else {
        int64_t first = erg__tz_days_from_civil(y, r->m, 1);
        int day = 1 + (r->d - weekday(first) + 7) % 7 + (r->w - 1) * 7;
        int mdays = erg__tz_days_in_month(y, r->m);
        while (day > mdays)
            day -= 7;
        days = first + day - 1;
    }
    return days * 86400 + r->time - off;
}

static bool posix_is_dst(const posix_tz_t *tz, int64_t t) {
    if (!tz->has_dst)
        return false;
    int64_t y;
    int m, d;
    erg__tz_civil_from_days(floor_div(t + tz->std_off, 86400), &y, &m, &d);
    int64_t start = rule_instant(&tz->start, y, tz->std_off);
    int64_t end = rule_instant(&tz->end, y, tz->dst_off);
    if (start < end)
        return t >= start && t < end;
    return !(t >= end && t < start); /* southern hemisphere */
}

static void posix_info(const posix_tz_t *tz, int64_t t, erg__tz_info_t *info) {
    bool dst = posix_is_dst(tz, t);
    info->utoff = dst ? tz->dst_off : tz->std_off;
    info->is_dst = dst;
    memcpy(info->abbr, dst ? tz->dst_abbr : tz->std_abbr, sizeof(info->abbr));
}

/* ---- TZif ------------------------------------------------------------- */

typedef struct tzif_header_s {
    int version; /* 1, 2, 3 or 4 */
    uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
} tzif_header_t;

static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

static int64_t be64(const uint8_t *p) {
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* Reads the 44-byte header at data[*off], advancing *off past it. */
static bool read_header(const uint8_t *data, size_t len, size_t *off,
                        tzif_header_t *h) {
    if (len - *off < 44)
        return false;
    const uint8_t *p = data + *off;
    if (memcmp(p, "TZif", 4) != 0)
        return false;
    if (p[4] == 0)
        h->version = 1;
    else if (p[4] >= '2' && p[4] <= '4')
        h->version = p[4] - '0';
    else
        return false;
    h->isutcnt = be32(p + 20);
    h->isstdcnt = be32(p + 24);
    h->leapcnt = be32(p + 28);
    h->timecnt = be32(p + 32);
    h->typecnt = be32(p + 36);
    h->charcnt = be32(p + 40);
    *off += 44;
    return true;
}

/* Bytes in the data block a header describes (times of tsize bytes). */
static uint64_t block_size(const tzif_header_t *h, unsigned tsize) {
    return (uint64_t)h->timecnt * (tsize + 1) + (uint64_t)h->typecnt * 6 +
           h->charcnt + (uint64_t)h->leapcnt * (tsize + 4) + h->isstdcnt +
           h->isutcnt;
}

static bool header_ok(const tzif_header_t *h) {
    return h->typecnt >= 1 && h->typecnt <= 256 && h->charcnt >= 1 &&
           (h->isutcnt == 0 || h->isutcnt == h->typecnt) &&
           (h->isstdcnt == 0 || h->isstdcnt == h->typecnt);
}

void erg__tz_free(erg_tz_t *tz) {
    if (tz == NULL)
        return;
    erg__free(tz->trans);
    erg__free(tz->idx);
    erg__free(tz->types);
    erg__free(tz);
}

/* Fills a zone from a data block already known to fit in the buffer. */
static erg_err_t read_block(const uint8_t *p, const tzif_header_t *h,
                            unsigned tsize, erg_tz_t *tz) {
    tz->ntrans = h->timecnt;
    tz->ntypes = h->typecnt;
    if (h->timecnt > 0) {
        tz->trans = erg__malloc(h->timecnt * sizeof(*tz->trans));
        tz->idx = erg__malloc(h->timecnt);
        if (tz->trans == NULL || tz->idx == NULL)
            return ERG_ENOMEM;
    }
    tz->types = erg__calloc(h->typecnt, sizeof(*tz->types));
    if (tz->types == NULL)
        return ERG_ENOMEM;
    for (uint32_t i = 0; i < h->timecnt; i++) {
        int64_t t = tsize == 8 ? be64(p + i * 8) : (int32_t)be32(p + i * 4);
        if (t <= -ERG__TZ_LIMIT || t >= ERG__TZ_LIMIT)
            return ERG_EDECODE;
        if (i > 0 && t <= tz->trans[i - 1])
            return ERG_EDECODE; /* RFC 8536: strictly ascending */
        tz->trans[i] = t;
    }
    p += (size_t)h->timecnt * tsize;
    for (uint32_t i = 0; i < h->timecnt; i++) {
        if (p[i] >= h->typecnt)
            return ERG_EDECODE;
        tz->idx[i] = p[i];
    }
    p += h->timecnt;
    const uint8_t *chars = p + (size_t)h->typecnt * 6;
    for (uint32_t i = 0; i < h->typecnt; i++, p += 6) {
        int32_t utoff = (int32_t)be32(p);
        if (utoff < -MAX_UTOFF || utoff > MAX_UTOFF || p[4] > 1 ||
            p[5] >= h->charcnt)
            return ERG_EDECODE;
        ttinfo_t *ty = &tz->types[i];
        ty->utoff = utoff;
        ty->is_dst = p[4] == 1;
        size_t n = 0;
        for (uint32_t j = p[5]; j < h->charcnt && chars[j] != '\0'; j++) {
            if (n < sizeof(ty->abbr) - 1)
                ty->abbr[n++] = (char)chars[j];
        }
        ty->abbr[n] = '\0';
    }
    return ERG_OK;
}

erg_err_t erg__tz_parse(const uint8_t *data, size_t len, erg_tz_t **tzp) {
    tzif_header_t h;
    size_t off = 0;
    if (data == NULL || tzp == NULL || !read_header(data, len, &off, &h) ||
        !header_ok(&h))
        return ERG_EDECODE;
    uint64_t size = block_size(&h, 4);
    if (size > len - off)
        return ERG_EDECODE;
    unsigned tsize = 4;
    if (h.version >= 2) {
        /* Skip the 32-bit block: the 64-bit one after it supersedes it. */
        off += (size_t)size;
        if (!read_header(data, len, &off, &h) || !header_ok(&h))
            return ERG_EDECODE;
        tsize = 8;
        size = block_size(&h, 8);
        if (size > len - off)
            return ERG_EDECODE;
    }
    erg_tz_t *tz = erg__calloc(1, sizeof(*tz));
    if (tz == NULL)
        return ERG_ENOMEM;
    erg_err_t rv = read_block(data + off, &h, tsize, tz);
    if (rv != ERG_OK) {
        erg__tz_free(tz);
        return rv;
    }
    off += (size_t)size;
    /* The footer: "\n<POSIX TZ string>\n". A malformed or missing one is
     * ignored and the last transition's type then holds forever. */
    if (h.version >= 2 && off < len && data[off] == '\n') {
        const char *s = (const char *)data + off + 1;
        const char *nl = memchr(s, '\n', len - off - 1);
        if (nl != NULL && nl > s && !parse_posix(s, nl, &tz->rule))
            memset(&tz->rule, 0, sizeof(tz->rule));
    }
    *tzp = tz;
    return ERG_OK;
}

erg_err_t erg__tz_utc(erg_tz_t **tzp) {
    erg_tz_t *tz = erg__calloc(1, sizeof(*tz));
    if (tz == NULL)
        return ERG_ENOMEM;
    tz->types = erg__calloc(1, sizeof(*tz->types));
    if (tz->types == NULL) {
        erg__free(tz);
        return ERG_ENOMEM;
    }
    tz->ntypes = 1;
    memcpy(tz->types[0].abbr, "UTC", 4);
    *tzp = tz;
    return ERG_OK;
}

/* Zone names are relative paths under ZONEINFO_DIR that never climb. */
static bool name_ok(const char *name) {
    size_t n = strlen(name);
    if (n == 0 || n > 255 || name[0] == '/')
        return false;
    for (const char *p = name; *p != '\0'; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return false;
        bool at_start = p == name || p[-1] == '/';
        if (at_start && p[0] == '.' && p[1] == '.' &&
            (p[2] == '/' || p[2] == '\0'))
            return false;
    }
    return true;
}

erg_err_t erg__tz_load(const char *name, erg_tz_t **tzp) {
    if (name == NULL || tzp == NULL || !name_ok(name))
        return ERG_EINVAL;
    if (strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0)
        return erg__tz_utc(tzp);
    char path[sizeof(ZONEINFO_DIR) + 1 + 256];
    snprintf(path, sizeof(path), "%s/%s", ZONEINFO_DIR, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return errno == ENOENT || errno == ENOTDIR ? ERG_ENOENT : ERG_EIO;
    uint8_t *buf = erg__malloc(TZIF_MAX_FILE);
    if (buf == NULL) {
        fclose(f);
        return ERG_ENOMEM;
    }
    size_t len = fread(buf, 1, TZIF_MAX_FILE, f);
    bool failed = ferror(f) != 0;
    int err = errno;
    fclose(f);
    erg_err_t rv;
    if (failed)
        rv = err == EISDIR ? ERG_ENOENT : ERG_EIO;
    else if (len == TZIF_MAX_FILE)
        rv = ERG_EDECODE;
    else
        rv = erg__tz_parse(buf, len, tzp);
    erg__free(buf);
    return rv;
}

/* ---- Conversions ------------------------------------------------------ */

static void type_info(const ttinfo_t *ty, erg__tz_info_t *info) {
    info->utoff = ty->utoff;
    info->is_dst = ty->is_dst;
    memcpy(info->abbr, ty->abbr, sizeof(info->abbr));
}

static void lookup(const erg_tz_t *tz, int64_t t, erg__tz_info_t *info) {
    if (tz == NULL) {
        *info = (erg__tz_info_t){0, false, "UTC"};
        return;
    }
    size_t n = tz->ntrans;
    if (n > 0 && t < tz->trans[0]) {
        type_info(&tz->types[0], info); /* RFC 8536: type 0 before */
        return;
    }
    if ((n == 0 || t >= tz->trans[n - 1]) && tz->rule.valid) {
        posix_info(&tz->rule, t, info);
        return;
    }
    if (n == 0) {
        type_info(&tz->types[0], info);
        return;
    }
    /* The last transition at or before t. */
    size_t lo = 0, hi = n;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (tz->trans[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    type_info(&tz->types[tz->idx[lo]], info);
}

erg_err_t erg__tz_lookup(const erg_tz_t *tz, int64_t t, erg__tz_info_t *info) {
    if (info == NULL || t <= -ERG__TZ_LIMIT || t >= ERG__TZ_LIMIT)
        return ERG_EINVAL;
    lookup(tz, t, info);
    return ERG_OK;
}

static int32_t utoff_at(const erg_tz_t *tz, int64_t t) {
    erg__tz_info_t info;
    lookup(tz, t, &info);
    return info.utoff;
}

erg_err_t erg__tz_resolve(const erg_tz_t *tz, int64_t local,
                          erg__tz_local_t *out) {
    if (out == NULL || local <= -ERG__TZ_LIMIT || local >= ERG__TZ_LIMIT)
        return ERG_EINVAL;
    /* The instants of local lie within MAX_UTOFF of it. Gather the offsets
     * in force across that window (zones never change twice within half
     * a day), then keep each offset o for which local - o really has
     * offset o. */
    int32_t cand[5];
    size_t ncand = 0;
    for (int k = -2; k <= 2; k++) {
        int32_t o = utoff_at(tz, local + k * (MAX_UTOFF / 2));
        bool seen = false;
        for (size_t i = 0; i < ncand; i++)
            seen = seen || cand[i] == o;
        if (!seen)
            cand[ncand++] = o;
    }
    int64_t hit[5];
    size_t nhit = 0;
    int32_t lowest = cand[0];
    for (size_t i = 0; i < ncand; i++) {
        int64_t u = local - cand[i];
        if (cand[i] < lowest)
            lowest = cand[i];
        if (utoff_at(tz, u) != cand[i])
            continue;
        bool seen = false;
        for (size_t j = 0; j < nhit; j++)
            seen = seen || hit[j] == u;
        if (!seen)
            hit[nhit++] = u;
    }
    if (nhit == 0) {
        /* In a gap the smaller offset is the one from before the jump. */
        out->kind = ERG__TZ_GAP;
        out->first = out->second = local - lowest;
        return ERG_OK;
    }
    int64_t lo = hit[0], hi = hit[0];
    for (size_t i = 1; i < nhit; i++) {
        lo = hit[i] < lo ? hit[i] : lo;
        hi = hit[i] > hi ? hit[i] : hi;
    }
    out->kind = lo == hi ? ERG__TZ_UNIQUE : ERG__TZ_OVERLAP;
    out->first = lo;
    out->second = hi;
    return ERG_OK;
}

/* ---- Public surface --------------------------------------------------- */

erg_err_t erg_tz_load(const char *name, erg_tz_t **tzp) {
    return erg__tz_load(name, tzp);
}

void erg_tz_free(erg_tz_t *tz) {
    erg__tz_free(tz);
}
