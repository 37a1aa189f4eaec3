/* SPDX-License-Identifier: MIT */
/* arena.h: bump allocator for the AST and its strings, freed in one go. */
#ifndef IDLC_ARENA_H
#define IDLC_ARENA_H

#include <stddef.h>

typedef struct idl_arena idl_arena;

/* idl_arena_new returns an empty arena. idlc is a CLI: on out-of-memory the
 * arena functions print a message and abort (like Redis's zmalloc). */
idl_arena *idl_arena_new(void);
void idl_arena_free(idl_arena *a);

/* idl_arena_alloc returns zeroed memory aligned for any type, valid until
 * the arena is freed. */
void *idl_arena_alloc(idl_arena *a, size_t size);

/* idl_arena_strndup copies len bytes and a terminating NUL. */
char *idl_arena_strndup(idl_arena *a, const char *s, size_t len);
char *idl_arena_strdup(idl_arena *a, const char *s);

/* idl_arena_printf formats into arena memory. */
char *idl_arena_printf(idl_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* IDLC_ARENA_H */
