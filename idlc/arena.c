/* SPDX-License-Identifier: MIT */
/* arena.c: bump allocator for the AST and its strings, freed in one go. */
#include "arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Chunks grow geometrically; a request larger than a chunk gets its own. */
enum { CHUNK_MIN = 64 * 1024 };

typedef struct chunk {
    struct chunk *prev;
    size_t size;
    size_t used;
    max_align_t data[]; /* aligned storage follows */
} chunk;

struct idl_arena {
    chunk *head;
    size_t next_size;
};

static void *xcalloc(size_t n, size_t size) {
    void *p = calloc(n, size);
    if (p == NULL) {
        fputs("idlc: out of memory\n", stderr);
        abort();
    }
    return p;
}

idl_arena *idl_arena_new(void) {
    idl_arena *a = xcalloc(1, sizeof(*a));
    a->next_size = CHUNK_MIN;
    return a;
}

void idl_arena_free(idl_arena *a) {
    if (a == NULL)
        return;
    chunk *c = a->head;
    while (c != NULL) {
        chunk *prev = c->prev;
        free(c);
        c = prev;
    }
    free(a);
}

void *idl_arena_alloc(idl_arena *a, size_t size) {
    const size_t align = sizeof(max_align_t);
    if (size > SIZE_MAX - align) {
        fputs("idlc: allocation too large\n", stderr);
        abort();
    }
    size = (size + align - 1) & ~(align - 1);
    chunk *c = a->head;
    if (c == NULL || c->size - c->used < size) {
        size_t want = a->next_size;
        if (want < size)
            want = size;
        c = xcalloc(1, sizeof(chunk) + want);
        c->size = want;
        c->prev = a->head;
        a->head = c;
        if (a->next_size < 16 * 1024 * 1024)
            a->next_size *= 2;
    }
    void *p = (char *)c->data + c->used;
    c->used += size;
    return p; /* chunks come from calloc and are never reused: zeroed */
}

char *idl_arena_strndup(idl_arena *a, const char *s, size_t len) {
    char *p = idl_arena_alloc(a, len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *idl_arena_strdup(idl_arena *a, const char *s) {
    return idl_arena_strndup(a, s, strlen(s));
}

char *idl_arena_printf(idl_arena *a, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return idl_arena_strdup(a, "");
    char *p = idl_arena_alloc(a, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}
