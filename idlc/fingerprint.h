/* SPDX-License-Identifier: MIT */
/* fingerprint.h: canonical byte form, SHA-256 fingerprint and wire id of a
 * message or event version (format in docs/fingerprint.md). */
#ifndef IDLC_FINGERPRINT_H
#define IDLC_FINGERPRINT_H

#include <stddef.h>
#include <stdint.h>

#include "ast.h"
#include "idlc.h"

/* Version of the canonical form, the last byte of its "erg-fp" header. Any
 * change to the bytes below bumps it, and changes every fingerprint. */
enum { IDL_FP_FORMAT = 1 };

/* A growable byte buffer holding a canonical dump. Zero-initialise it
 * (`idl_canon c = {0};`) and release it with idl_canon_fini. */
typedef struct idl_canon {
    uint8_t *data;
    size_t len;
    size_t cap;
} idl_canon;

/* idl_canon_fini frees the buffer's memory and leaves it empty; calling it
 * on an empty buffer is a no-op. */
void idl_canon_fini(idl_canon *c);

/* idl_canonical_dump appends the canonical byte form of the message or event
 * version `d` to `out`. `d` must have passed the checker without errors:
 * every reachable type resolved, qualified names set, defaults checked.
 * The walk uses an explicit stack, so deeply nested schemas cannot
 * overflow the C stack. Aborts on out-of-memory and on an AST that breaks
 * the checker's contract (an internal error, never a user error).
 * Reentrant: it keeps no state outside its arguments. */
void idl_canonical_dump(const idl_decl *d, idl_canon *out);

/* idl_fingerprint_decl fills d->fingerprint with the SHA-256 of d's
 * canonical form, and d->wire_id with idl_wire_id(d->qname). `d` is a
 * checked message or event version (see idl_canonical_dump); other kinds
 * are left untouched. `ctx` is not used for diagnostics: nothing here can
 * be the user's fault. Aborts if libcrypto fails. */
void idl_fingerprint_decl(idl_ctx *ctx, idl_decl *d);

/* idl_wire_id returns the first 8 bytes of SHA-256 of the UTF-8 bytes of
 * `qname` ("package.Name", no NUL), read big-endian. All versions of a
 * message share it. Aborts if libcrypto fails. */
uint64_t idl_wire_id(const char *qname);

/* idl_fingerprint_hex writes the 64 lowercase hex digits of `fp` and a NUL
 * into `out`. */
void idl_fingerprint_hex(const uint8_t fp[32], char out[65]);

#endif /* IDLC_FINGERPRINT_H */
