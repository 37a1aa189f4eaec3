/* SPDX-License-Identifier: MIT */
/* typed.h: typed messages made from values the runtime already owns. */
#ifndef ERG_CORE_TYPED_H
#define ERG_CORE_TYPED_H

#include "erg/codec.h"
#include "erg/msg.h"

/*
 * erg__typed_msg_adopt wraps value (one block of desc, as the decoder or a
 * converter makes it) into a typed message without copying it; the
 * message frees value with its last reference. ERG_ENOMEM: the caller
 * still owns value.
 */
erg_err_t erg__typed_msg_adopt(const erg_codec_desc_t *desc, void *value,
                               erg_msg_t **out);

#endif /* ERG_CORE_TYPED_H */
