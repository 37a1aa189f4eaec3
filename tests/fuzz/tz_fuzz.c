/* SPDX-License-Identifier: MIT */
/* tz_fuzz.c: libFuzzer harness over the TZif reader and the conversions a
 * zone it accepts must then answer without crashing. */
#include <stddef.h>
#include <stdint.h>

#include "cron/spec.h"
#include "cron/tz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
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
    int64_t out[4];
    if (erg__cron_spec_parse("30 2 * * *", &spec, NULL, 0) == ERG_OK)
        erg__cron_preview(&spec, tz, 4102444800, 4, out);
    erg__tz_free(tz);
    return 0;
}
