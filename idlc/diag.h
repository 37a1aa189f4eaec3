/* SPDX-License-Identifier: MIT */
/* diag.h: file:line:col diagnostics with a caret line; counts errors. */
#ifndef IDLC_DIAG_H
#define IDLC_DIAG_H

#include "idlc.h"

/* idl_error reports `file:line:col: error: ...` with the source line and a
 * caret, and counts it. Diagnostics are buffered and printed, sorted by
 * position, by idl_diag_flush. After IDL_MAX_ERRORS it prints one final line
 * and sets ctx->stopped; later calls print nothing. */
void idl_error(idl_ctx *ctx, idl_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* idl_warning reports `file:line:col: warning: ...`; warnings never fail. */
void idl_warning(idl_ctx *ctx, idl_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* idl_note adds `file:line:col: note: ...` to the previous diagnostic. */
void idl_note(idl_ctx *ctx, idl_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* idl_error_rule and idl_warning_rule report `file:line:col:
 * error[RULE]: ...`, for the lock and compatibility checks whose rules have
 * names (docs/compat.md). */
void idl_error_rule(idl_ctx *ctx, idl_loc loc, const char *rule,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void idl_warning_rule(idl_ctx *ctx, idl_loc loc, const char *rule,
                      const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* idl_error_nofile reports `idlc: error: ...` (no position). */
void idl_error_nofile(idl_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* idl_diag_flush prints the diagnostics reported so far, sorted by file
 * (in load order), line and column; notes stay after their diagnostic.
 * idl_ctx_free flushes too. */
void idl_diag_flush(idl_ctx *ctx);

#endif /* IDLC_DIAG_H */
