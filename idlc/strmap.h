/* SPDX-License-Identifier: MIT */
/* strmap.h: an arena-backed hash map from strings to pointers. */
#ifndef IDLC_STRMAP_H
#define IDLC_STRMAP_H

#include <stddef.h>

#include "arena.h"

typedef struct idl_strmap_slot {
    const char *key;
    void *value;
} idl_strmap_slot;

typedef struct idl_strmap {
    idl_arena *arena;
    idl_strmap_slot *slots;
    size_t cap, used;
} idl_strmap;

void idl_strmap_init(idl_strmap *m, idl_arena *arena);
/* The value stored under key, or NULL. */
void *idl_strmap_get(const idl_strmap *m, const char *key);
/* Stores value under key (the key is not copied: keep it alive). */
void idl_strmap_put(idl_strmap *m, const char *key, void *value);

#endif /* IDLC_STRMAP_H */
