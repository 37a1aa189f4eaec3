/* SPDX-License-Identifier: MIT */
/* version.c: the version of the liberg a program is linked against. */
#include "erg/version.h"

unsigned erg_version(void) {
    return ERG_VERSION_HEX;
}

const char *erg_version_string(void) {
    return ERG_VERSION_STRING;
}
