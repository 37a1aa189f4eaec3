/* SPDX-License-Identifier: MIT */
/* emit.h: an indenting, buffered text writer for generated files, and the
 * write-if-changed step that keeps unchanged outputs' timestamps. */
#ifndef IDLC_EMIT_H
#define IDLC_EMIT_H

#include <stdbool.h>
#include <stddef.h>

/* A growing buffer. Zero-initialise it; release it with idl_emit_fini.
 * Like the arena, it aborts on out-of-memory (idlc is a CLI). */
typedef struct idl_emit {
    char *buf;
    size_t len;
    size_t cap;
    int indent; /* levels of 4 spaces applied at the start of each line */
    bool bol;   /* at the beginning of a line */
} idl_emit;

void idl_emit_fini(idl_emit *e);

/* idl_emit_printf appends formatted text. Each line it starts is indented
 * by the current level; empty lines stay empty (no trailing blanks). */
void idl_emit_printf(idl_emit *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* idl_emit_line is idl_emit_printf followed by a newline. */
void idl_emit_line(idl_emit *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* idl_emit_blank appends a newline: an empty line after a complete one. */
void idl_emit_blank(idl_emit *e);

/* idl_emit_indent changes the indentation level by delta. */
void idl_emit_indent(idl_emit *e, int delta);

/* idl_emit_write writes the buffer to `path` unless the file already holds
 * exactly these bytes, creating missing parent directories; the write goes
 * through a temporary file and a rename, so a reader never sees half a
 * file. *changed tells whether the file was written. Returns 0, or -1
 * with errno set. */
int idl_emit_write(const idl_emit *e, const char *path, bool *changed);

#endif /* IDLC_EMIT_H */
