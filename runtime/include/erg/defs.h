/* SPDX-License-Identifier: MIT */
/* defs.h: export macro and the few definitions every public header shares. */
#ifndef ERG_DEFS_H
#define ERG_DEFS_H

#include <stddef.h>
#include <stdint.h>

/* Public functions are exported; everything else in liberg stays hidden. */
#if defined(__GNUC__) || defined(__clang__)
#define ERG_EXTERN __attribute__((visibility("default")))
#else
#define ERG_EXTERN
#endif

#endif /* ERG_DEFS_H */
