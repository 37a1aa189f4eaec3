/* SPDX-License-Identifier: MIT */
/* errors: prints erg's version and its error table, as a tiny first program. */
#include <stdio.h>

#include "erg/erg.h"

int main(void) {
    printf("erg %s (headers %s)\n", erg_version_string(), ERG_VERSION_STRING);
    if (erg_version() != ERG_VERSION_HEX) {
        fprintf(stderr, "errors: liberg and its headers disagree\n");
        return 1;
    }
#define PRINT_CODE(name, value, msg)                                           \
    printf("  %4d  %-18s %s\n", ERG_##name, erg_err_name(ERG_##name),         \
           erg_strerror(ERG_##name));
    ERG_ERR_MAP(PRINT_CODE)
#undef PRINT_CODE
    return 0;
}
