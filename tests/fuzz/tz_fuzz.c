/* SPDX-License-Identifier: MIT */
/* tz_fuzz.c: libFuzzer harness over the TZif reader and the crontab parser,
 * and the fire times both must then give without crashing. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cron/spec.h"
#include "cron/tz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Fire times must rise strictly and land on whole minutes. */
static void walk(const erg_cron_spec_t *spec, const erg_tz_t *tz,
                 int64_t from) {
    int64_t out[4];
    if (erg__cron_preview(spec, tz, from, 4, out) != ERG_OK)
        return;
    for (size_t i = 0; i < 4; i++) {
        if (out[i] <= (i == 0 ? from : out[i - 1]))
            abort();
    }
}

/* Input not starting with "TZif" is a spec, read in UTC. */
static void fuzz_spec(const uint8_t *data, size_t size) {
    char text[128];
    size_t n = size < sizeof(text) - 1 ? size : sizeof(text) - 1;
    memcpy(text, data, n);
    text[n] = '\0';
    char err[96];
    erg_cron_spec_t spec;
    if (erg__cron_spec_parse(text, &spec, err, sizeof(err)) != ERG_OK)
        return;
    walk(&spec, NULL, 1774742400);
    walk(&spec, NULL, -62135596800);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 4 || memcmp(data, "TZif", 4) != 0) {
        fuzz_spec(data, size);
        return 0;
    }
    erg_tz_t *tz = NULL;
    if (erg__tz_parse(data, size, &tz) != ERG_OK)
        return 0;
    /* Instants before, among and after any transitions, the footer's
     * years included, and the edges of the accepted range. */
    static const int64_t probes[] = {
        -ERG__TZ_LIMIT + 1, -4102444800, 0,          1774742400,
        1792454400,         4102444800,  7258118400, ERG__TZ_LIMIT - 1,
    };
    for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
        erg__tz_info_t info;
        erg__tz_local_t local;
        erg__tz_lookup(tz, probes[i], &info);
        erg__tz_resolve(tz, probes[i], &local);
    }
    /* A daily job walks a few fire times through the zone's rules. */
    erg_cron_spec_t spec;
    if (erg__cron_spec_parse("30 2 * * *", &spec, NULL, 0) == ERG_OK)
        walk(&spec, tz, 4102444800);
    erg__tz_free(tz);
    return 0;
}
