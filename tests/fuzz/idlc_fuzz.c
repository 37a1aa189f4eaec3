/* SPDX-License-Identifier: MIT */
/* idlc_fuzz.c: libFuzzer harness over idlc's front end (lexer, parser,
 * checker, fingerprints), through idlc_run as the CLI itself. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "idlc.h"

/* A second, valid file the input may import, so the checker's cross-file
 * paths (visibility, qualified names) are reachable. */
static const char base_erg[] =
    "package fz.base;\n"
    "enum Color : u8 { RED = 0; GREEN = 1; }\n"
    "struct Point { x: i32 = 0; y: i32 = 0; }\n"
    "union Shape { dot: Point; none; }\n"
    "message Ping v1 { n: u32; }\n"
    "message Ping v2 { n: u64; c: Color = RED; }\n"
    "event Moved v1 { to: Point; }\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static FILE *sink;
    if (sink == NULL)
        sink = fopen("/dev/null", "w");
    idl_memfile files[] = {
        {"fuzz.erg", (const char *)data, size},
        {"base.erg", base_erg, sizeof(base_erg) - 1},
    };
    idl_options opts = {.diag_out = sink, .memfiles = files, .nmemfiles = 2};
    /* The same entry point as the CLI; fingerprint runs every phase. */
    char *argv[] = {"idlc", "fingerprint", "fuzz.erg"};
    idlc_run(&opts, 3, argv, sink);
    return 0;
}
