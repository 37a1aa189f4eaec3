/* SPDX-License-Identifier: MIT */
/* codec_fuzz_seeds.c: writes the codec fuzzers' seed corpora, encoded
 * random values of every test type: DIR/codec/<n> (a descriptor index byte
 * and a body) and DIR/codec_msg/<n> (a whole message). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "erg/codec.h"
#include "samples.h"
#include "values.h"

static void write_file(const char *dir, int n, const uint8_t *a, size_t alen,
                       const uint8_t *b, size_t blen) {
    char path[4096];
    snprintf(path, sizeof path, "%s/seed-%04d", dir, n);
    FILE *fp = fopen(path, "wb");
    if (fp == NULL) {
        perror(path);
        exit(1);
    }
    fwrite(a, 1, alen, fp);
    fwrite(b, 1, blen, fp);
    fclose(fp);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: codec_fuzz_seeds DIR\n");
        return 2;
    }
    char body_dir[4096], msg_dir[4096];
    snprintf(body_dir, sizeof body_dir, "%s/codec", argv[1]);
    snprintf(msg_dir, sizeof msg_dir, "%s/codec_msg", argv[1]);
    mkdir(argv[1], 0777);
    mkdir(body_dir, 0777);
    mkdir(msg_dir, 0777);
    tv_rng r = {0x5eed};
    static uint8_t buf[1 << 16];
    int n = 0, m = 0;
    for (size_t i = 0; i < tv_ndescs; i++) {
        const erg_codec_desc_t *d = tv_descs[i];
        for (int k = 0; k < 4; k++) {
            tv_arena a = {0};
            void *v = tv_alloc(&a, d->size);
            tv_random(&r, &a, d, v, 1 + k, 1 + k);
            size_t len;
            uint8_t tag = (uint8_t)i;
            if (erg_codec_encode(d, v, buf, sizeof buf, &len) == ERG_OK)
                write_file(body_dir, n++, &tag, 1, buf, len);
            if (d->kind == ERG_CODEC_MESSAGE &&
                erg_codec_encode_msg(d, v, buf, sizeof buf, &len) == ERG_OK)
                write_file(msg_dir, m++, buf, len, NULL, 0);
            tv_arena_fini(&a);
        }
    }
    return 0;
}
