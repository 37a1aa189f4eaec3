/* SPDX-License-Identifier: MIT */
/* hmap.c: linear probing with backward-shift deletion, so no tombstones. */
#include "util/hmap.h"

#include <string.h>

#include "util/alloc.h"

/* FNV-1a, then forced non-zero: 0 marks an empty slot. */
static uint64_t hash_str(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h == 0 ? 1 : h;
}

/* A 64-bit mixer (splitmix64's finaliser): sequential ids spread well. */
static uint64_t hash_u64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x == 0 ? 1 : x;
}

void erg__hmap_init(erg__hmap_t *m) {
    m->slots = NULL;
    m->cap = 0;
    m->count = 0;
}

void erg__hmap_fini(erg__hmap_t *m) {
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].hash != 0)
            erg__free(m->slots[i].skey);
    erg__free(m->slots);
    erg__hmap_init(m);
}

static bool same(const erg__hmap_entry_t *e, uint64_t h, const char *skey,
                 uint64_t ikey) {
    if (e->hash != h)
        return false;
    return skey != NULL ? strcmp(e->skey, skey) == 0 : e->ikey == ikey;
}

static size_t find(const erg__hmap_t *m, uint64_t h, const char *skey,
                   uint64_t ikey) {
    if (m->cap == 0)
        return SIZE_MAX;
    for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (m->slots[i].hash == 0)
            return SIZE_MAX;
        if (same(&m->slots[i], h, skey, ikey))
            return i;
    }
}

static void place(erg__hmap_entry_t *slots, size_t cap,
                  const erg__hmap_entry_t *e) {
    size_t i = e->hash & (cap - 1);
    while (slots[i].hash != 0)
        i = (i + 1) & (cap - 1);
    slots[i] = *e;
}

static erg_err_t grow(erg__hmap_t *m) {
    /* Load at most 1/2 keeps probe runs short. */
    if ((m->count + 1) * 2 <= m->cap)
        return ERG_OK;
    size_t cap = m->cap == 0 ? 16 : m->cap * 2;
    erg__hmap_entry_t *slots = erg__calloc(cap, sizeof(*slots));
    if (slots == NULL)
        return ERG_ENOMEM;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].hash != 0)
            place(slots, cap, &m->slots[i]);
    erg__free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return ERG_OK;
}

static erg_err_t put(erg__hmap_t *m, uint64_t h, const char *skey,
                     uint64_t ikey, void *val) {
    if (find(m, h, skey, ikey) != SIZE_MAX)
        return ERG_EEXIST;
    if (grow(m) != ERG_OK)
        return ERG_ENOMEM;
    erg__hmap_entry_t e = {h, ikey, NULL, val};
    if (skey != NULL && (e.skey = erg__strdup(skey)) == NULL)
        return ERG_ENOMEM;
    place(m->slots, m->cap, &e);
    m->count++;
    return ERG_OK;
}

static void *del(erg__hmap_t *m, uint64_t h, const char *skey, uint64_t ikey) {
    size_t i = find(m, h, skey, ikey);
    if (i == SIZE_MAX)
        return NULL;
    void *val = m->slots[i].val;
    erg__free(m->slots[i].skey);
    /* Backward shift: pull later members of the run into the hole when
     * their home is at or before it, so lookups never need tombstones. */
    size_t mask = m->cap - 1;
    for (size_t j = (i + 1) & mask;; j = (j + 1) & mask) {
        if (m->slots[j].hash == 0)
            break;
        size_t home = m->slots[j].hash & mask;
        if (((j - home) & mask) >= ((j - i) & mask)) {
            m->slots[i] = m->slots[j];
            i = j;
        }
    }
    m->slots[i].hash = 0;
    m->slots[i].skey = NULL;
    m->count--;
    return val;
}

erg_err_t erg__hmap_put_str(erg__hmap_t *m, const char *key, void *val) {
    return put(m, hash_str(key), key, 0, val);
}

erg_err_t erg__hmap_put_u64(erg__hmap_t *m, uint64_t key, void *val) {
    return put(m, hash_u64(key), NULL, key, val);
}

void *erg__hmap_get_str(const erg__hmap_t *m, const char *key) {
    size_t i = find(m, hash_str(key), key, 0);
    return i == SIZE_MAX ? NULL : m->slots[i].val;
}

void *erg__hmap_get_u64(const erg__hmap_t *m, uint64_t key) {
    size_t i = find(m, hash_u64(key), NULL, key);
    return i == SIZE_MAX ? NULL : m->slots[i].val;
}

void *erg__hmap_del_str(erg__hmap_t *m, const char *key) {
    return del(m, hash_str(key), key, 0);
}

void *erg__hmap_del_u64(erg__hmap_t *m, uint64_t key) {
    return del(m, hash_u64(key), NULL, key);
}

void erg__hmap_foreach(const erg__hmap_t *m, erg__hmap_visit_cb visit,
                       void *arg) {
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].hash != 0)
            visit(m->slots[i].skey, m->slots[i].ikey, m->slots[i].val, arg);
}
