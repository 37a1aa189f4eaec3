/* SPDX-License-Identifier: MIT */
/* alloc.h: the one allocator hook through which all of erg's memory goes. */
#ifndef ERG_ALLOC_H
#define ERG_ALLOC_H

#include "erg/err.h"

typedef void *(*erg_malloc_fn)(size_t size);
typedef void *(*erg_realloc_fn)(void *ptr, size_t size);
typedef void *(*erg_calloc_fn)(size_t count, size_t size);
typedef void (*erg_free_fn)(void *ptr);

/*
 * erg_set_allocator replaces the functions erg uses for all of its memory
 * (like uv_replace_allocator). All four must be given, and must behave like
 * their C library namesakes; free(NULL) must be a no-op.
 *
 * Call it before any other erg function, or when erg holds no memory: memory
 * allocated by one allocator is released by whichever is installed at the
 * time. Returns ERG_EINVAL if any function is NULL. Not thread-safe.
 */
ERG_EXTERN erg_err_t erg_set_allocator(erg_malloc_fn malloc_fn,
                                       erg_realloc_fn realloc_fn,
                                       erg_calloc_fn calloc_fn,
                                       erg_free_fn free_fn);

/* erg_reset_allocator restores the C library's allocator. Not thread-safe. */
ERG_EXTERN void erg_reset_allocator(void);

#endif /* ERG_ALLOC_H */
