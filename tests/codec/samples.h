/* SPDX-License-Identifier: MIT */
/* samples.h: every described type of the test schemas (kitchen sink and
 * shop), for the codec tests, the codec fuzzers and their seeds. */
#ifndef ERG_TESTS_CODEC_SAMPLES_H
#define ERG_TESTS_CODEC_SAMPLES_H

#include <stddef.h>

#include "erg/codec.h"

/* Every message, event, struct, union and enum descriptor. */
extern const erg_codec_desc_t *const tv_descs[];
extern const size_t tv_ndescs;

/* The registries of the four schema files. */
extern const erg_codec_registry_t *const tv_registries[];
extern const size_t tv_nregistries;

#endif /* ERG_TESTS_CODEC_SAMPLES_H */
