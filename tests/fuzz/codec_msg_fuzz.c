/* SPDX-License-Identifier: MIT */
/* codec_msg_fuzz.c: libFuzzer harness for whole messages and conversions:
 * the header picks the version from the test schemas' registries, the body
 * is decoded, and a decoded value is converted to every other version of
 * its type along the registry's chains (checked() failures included). */
#include <stdint.h>
#include <stdlib.h>

#include "erg/codec.h"
#include "samples.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    erg_codec_header_t h;
    if (erg_codec_header_read(data, size, &h) != ERG_OK)
        return 0;
    for (size_t r = 0; r < tv_nregistries; r++) {
        const erg_codec_registry_t *reg = tv_registries[r];
        const erg_codec_desc_t *d =
            erg_codec_registry_find(reg, h.wire_id, h.version);
        if (d == NULL)
            continue;
        void *value = NULL;
        if (erg_codec_decode_msg(d, data, size, &value) != ERG_OK) {
            if (value != NULL)
                abort();
            return 0;
        }
        for (size_t i = 0; i < reg->ntypes; i++) {
            const erg_codec_desc_t *to = reg->types[i];
            if (to->wire_id != d->wire_id)
                continue;
            void *out = NULL;
            erg_err_t rv = erg_codec_convert(reg, d, to, value, &out);
            if (rv == ERG_OK)
                erg_codec_free(to, out);
            else if (out != NULL || (rv != ERG_EVERSION && rv != ERG_ENOMEM))
                abort(); /* conversions fail only with a version error */
        }
        erg_codec_free(d, value);
        return 0;
    }
    return 0;
}
