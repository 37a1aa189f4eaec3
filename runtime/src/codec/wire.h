/* SPDX-License-Identifier: MIT */
/* wire.h: what the codec's files share besides the public codec.h. */
#ifndef ERG_CODEC_WIRE_H
#define ERG_CODEC_WIRE_H

#include <stdbool.h>

#include "erg/codec.h"

/* erg__codec_desc_ok tells whether d looks like a descriptor built for this
 * ABI (magic and abi fields), so a stray pointer fails with ERG_EINVAL
 * instead of being walked. */
bool erg__codec_desc_ok(const erg_codec_desc_t *d);

/* erg__codec_utf8_valid tells whether s[0..len) is well-formed UTF-8: no
 * overlong forms, no surrogates, nothing above U+10FFFF. */
bool erg__codec_utf8_valid(const uint8_t *s, size_t len);

/* What a value of a descriptor costs: its encoded size, and the memory a
 * one-block copy of it needs beyond the top value (8-aligned arrays and
 * optional boxes; NUL-terminated string bytes), laid out as
 * erg_codec_decode lays a decoded value out. */
typedef struct erg__codec_sizes_s {
    size_t wire;
    size_t aligned;
    size_t bytes;
} erg__codec_sizes_t;

/* erg__codec_measure checks `value` as erg_codec_encoded_size does (same
 * errors) and fills *sizes. */
erg_err_t erg__codec_measure(const erg_codec_desc_t *desc, const void *value,
                             erg__codec_sizes_t *sizes);

#endif /* ERG_CODEC_WIRE_H */
