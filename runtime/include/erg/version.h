/* SPDX-License-Identifier: MIT */
/* version.h: erg's release version, for the preprocessor and at run time. */
#ifndef ERG_VERSION_H
#define ERG_VERSION_H

#include "erg/defs.h"

#define ERG_VERSION_MAJOR 0
#define ERG_VERSION_MINOR 1
#define ERG_VERSION_PATCH 0
#define ERG_VERSION_STRING "0.1.0"

/* ERG_VERSION_HEX compares releases: 0x00MMmmpp. */
#define ERG_VERSION_HEX                                                        \
    ((ERG_VERSION_MAJOR << 16) | (ERG_VERSION_MINOR << 8) | ERG_VERSION_PATCH)

/*
 * erg_version returns the version of the liberg actually linked, which may
 * differ from ERG_VERSION_HEX of the headers a program was built with.
 */
ERG_EXTERN unsigned erg_version(void);

/* erg_version_string returns the linked liberg's version as "M.m.p". */
ERG_EXTERN const char *erg_version_string(void);

#endif /* ERG_VERSION_H */
