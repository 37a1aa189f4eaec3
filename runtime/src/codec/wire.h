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

#endif /* ERG_CODEC_WIRE_H */
