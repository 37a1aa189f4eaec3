/* SPDX-License-Identifier: MIT */
/* alloc.c: the replaceable allocator behind erg__malloc and friends. */
#include "util/alloc.h"

#include <stdlib.h>
#include <string.h>

#include "erg/alloc.h"

/* One table, swapped as a whole, so a reader never sees a mixed set. */
typedef struct allocator_s {
    erg_malloc_fn malloc_fn;
    erg_realloc_fn realloc_fn;
    erg_calloc_fn calloc_fn;
    erg_free_fn free_fn;
} allocator_t;

static allocator_t allocator = {malloc, realloc, calloc, free};

erg_err_t erg_set_allocator(erg_malloc_fn malloc_fn, erg_realloc_fn realloc_fn,
                            erg_calloc_fn calloc_fn, erg_free_fn free_fn) {
    if (malloc_fn == NULL || realloc_fn == NULL || calloc_fn == NULL ||
        free_fn == NULL)
        return ERG_EINVAL;
    allocator = (allocator_t){malloc_fn, realloc_fn, calloc_fn, free_fn};
    return ERG_OK;
}

void erg_reset_allocator(void) {
    allocator = (allocator_t){malloc, realloc, calloc, free};
}

void *erg__malloc(size_t size) {
    return allocator.malloc_fn(size);
}

void *erg__calloc(size_t count, size_t size) {
    return allocator.calloc_fn(count, size);
}

void *erg__realloc(void *ptr, size_t size) {
    return allocator.realloc_fn(ptr, size);
}

void erg__free(void *ptr) {
    /* Replacement allocators are not trusted to accept NULL. */
    if (ptr != NULL)
        allocator.free_fn(ptr);
}

char *erg__strdup(const char *s) {
    size_t len = strlen(s) + 1;
    char *copy = erg__malloc(len);
    if (copy != NULL)
        memcpy(copy, s, len);
    return copy;
}

bool erg__strdup_opt(const char *s, char **out) {
    *out = NULL;
    return s == NULL || (*out = erg__strdup(s)) != NULL;
}

bool erg__grow(void **arr, size_t *cap, size_t n, size_t size) {
    if (n < *cap)
        return true;
    size_t ncap = *cap != 0 ? *cap * 2 : 8;
    void *p = erg__realloc(*arr, ncap * size);
    if (p == NULL)
        return false;
    *arr = p;
    *cap = ncap;
    return true;
}
