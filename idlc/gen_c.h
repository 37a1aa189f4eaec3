/* SPDX-License-Identifier: MIT */
/* gen_c.h: C generation from checked schemas (layout in docs/generated-c.md).
 */
#ifndef IDLC_GEN_C_H
#define IDLC_GEN_C_H

#include <stdint.h>
#include <stdio.h>

#include "idlc.h"

/* The codec ABI (ERG_IDL_ABI of erg/codec.h) the generated code is written
 * for; each generated header refuses to compile against another. */
enum { IDL_GEN_ABI = 1 };

/*
 * idl_gen_c writes OUTDIR/<rel>.h and OUTDIR/<rel>.c for every file named on
 * the command line, where <rel> is the file's path relative to its import
 * root without ".erg". The context must have been checked without errors.
 * Files whose contents would not change are not rewritten. I/O failures
 * are printed to `err`; returns 0 on success, 1 after a failure.
 */
int idl_gen_c(idl_ctx *ctx, const char *outdir, FILE *err);

/*
 * idl_schema_fingerprint computes the fingerprint of one schema file: the
 * SHA-256 of "erg-schema", a format byte, and the length-prefixed canonical
 * forms of every declaration of the file sorted by qualified name and
 * version (enums, structs and unions dumped as a one-field version 0
 * message named after them). Conversions, actors, comments and
 * declaration order do not change it.
 */
void idl_schema_fingerprint(idl_ctx *ctx, const idl_file *f, uint8_t out[32]);

#endif /* IDLC_GEN_C_H */
