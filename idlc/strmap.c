/* SPDX-License-Identifier: MIT */
/* strmap.c: an arena-backed hash map from strings to pointers (linear
 * probing, FNV-1a, kept at most half full). */
#include "strmap.h"

#include <stdint.h>
#include <string.h>

static uint64_t hash_str(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static idl_strmap_slot *slot_for(idl_strmap_slot *slots, size_t cap,
                                 const char *key) {
    size_t mask = cap - 1;
    for (size_t i = hash_str(key) & mask;; i = (i + 1) & mask)
        if (slots[i].key == NULL || strcmp(slots[i].key, key) == 0)
            return &slots[i];
}

void idl_strmap_init(idl_strmap *m, idl_arena *arena) {
    m->arena = arena;
    m->cap = 8; /* grows by doubling; most maps stay small */
    m->used = 0;
    m->slots = idl_arena_alloc(arena, m->cap * sizeof(*m->slots));
}

void *idl_strmap_get(const idl_strmap *m, const char *key) {
    if (m->cap == 0)
        return NULL;
    return slot_for(m->slots, m->cap, key)->value;
}

void idl_strmap_put(idl_strmap *m, const char *key, void *value) {
    if ((m->used + 1) * 2 > m->cap) {
        size_t cap = m->cap * 2;
        idl_strmap_slot *slots =
            idl_arena_alloc(m->arena, cap * sizeof(*slots));
        for (size_t i = 0; i < m->cap; i++)
            if (m->slots[i].key != NULL)
                *slot_for(slots, cap, m->slots[i].key) = m->slots[i];
        m->slots = slots;
        m->cap = cap;
    }
    idl_strmap_slot *s = slot_for(m->slots, m->cap, key);
    if (s->key == NULL)
        m->used++;
    s->key = key;
    s->value = value;
}
