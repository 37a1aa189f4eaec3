/* SPDX-License-Identifier: MIT */
/* alloc.h: internal entry points to the replaceable allocator. */
#ifndef ERG_UTIL_ALLOC_H
#define ERG_UTIL_ALLOC_H

#include <stdbool.h>
#include <stddef.h>

/*
 * All of liberg's memory goes through these, so erg_set_allocator can route
 * it to a counting or failure-injecting allocator in tests.
 * erg__malloc(0) and erg__calloc(_, 0) return a unique non-NULL pointer or
 * NULL, as the installed allocator does; erg__free(NULL) is a no-op.
 */
void *erg__malloc(size_t size);
void *erg__calloc(size_t count, size_t size);
void *erg__realloc(void *ptr, size_t size);
void erg__free(void *ptr);

/* erg__strdup copies a NUL-terminated string; NULL on allocation failure. */
char *erg__strdup(const char *s);

/* erg__strdup_opt copies s into *out, NULL staying NULL; false only when a
 * copy failed (*out NULL then). */
bool erg__strdup_opt(const char *s, char **out);

/*
 * erg__grow makes room for one more element in *arr, an array of *cap
 * elements of size bytes holding n: when full it doubles (from 8), updating
 * *arr and *cap. False, with the array untouched, on allocation failure.
 * Call as erg__grow((void **)&a, &cap, n, sizeof(*a)).
 */
bool erg__grow(void **arr, size_t *cap, size_t n, size_t size);

#endif /* ERG_UTIL_ALLOC_H */
