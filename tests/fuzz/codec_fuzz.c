/* SPDX-License-Identifier: MIT */
/* codec_fuzz.c: libFuzzer harness for the body decoder: the first byte
 * picks one of the test schemas' descriptors, the rest is decoded. A value
 * that decodes must encode back to the same bytes (the format is
 * canonical); ASan's leak check covers the failure paths. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "erg/codec.h"
#include "samples.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0)
        return 0;
    const erg_codec_desc_t *d = tv_descs[data[0] % tv_ndescs];
    void *value = NULL;
    erg_err_t rv = erg_codec_decode(d, data + 1, size - 1, &value);
    if (rv != ERG_OK) {
        if (value != NULL)
            abort(); /* a failed decode hands nothing back */
        return 0;
    }
    size_t need = 0, len = 0;
    if (erg_codec_encoded_size(d, value, &need) != ERG_OK || need != size - 1)
        abort();
    uint8_t *again = malloc(need ? need : 1);
    if (again == NULL ||
        erg_codec_encode(d, value, again, need, &len) != ERG_OK ||
        len != need || memcmp(again, data + 1, len) != 0)
        abort();
    free(again);
    erg_codec_free(d, value);
    return 0;
}
