/* SPDX-License-Identifier: MIT */
/* hmap.h: small hash maps keyed by string or by 64-bit integer. */
#ifndef ERG_UTIL_HMAP_H
#define ERG_UTIL_HMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "erg/err.h"

/*
 * A linear-probing map from a key to a void * value, for the node's names,
 * aliases, events, timers and loggers. String keys are copied into the map
 * (and freed with the entry); integer keys are stored as they are. A map is
 * used with one kind of key only. Not thread-safe: the owner locks.
 */
typedef struct erg__hmap_entry_s {
    uint64_t hash; /* 0 = empty slot */
    uint64_t ikey;
    char *skey;
    void *val;
} erg__hmap_entry_t;

typedef struct erg__hmap_s {
    erg__hmap_entry_t *slots;
    size_t cap; /* 0 or a power of two */
    size_t count;
} erg__hmap_t;

void erg__hmap_init(erg__hmap_t *m);
/* Frees the table and the copied keys, not the values. */
void erg__hmap_fini(erg__hmap_t *m);

/* Adds key -> val; ERG_EEXIST if present, ERG_ENOMEM. */
erg_err_t erg__hmap_put_str(erg__hmap_t *m, const char *key, void *val);
erg_err_t erg__hmap_put_u64(erg__hmap_t *m, uint64_t key, void *val);

/* The value for key, or NULL. */
void *erg__hmap_get_str(const erg__hmap_t *m, const char *key);
void *erg__hmap_get_u64(const erg__hmap_t *m, uint64_t key);

/* Removes key and returns its value, or NULL if absent. */
void *erg__hmap_del_str(erg__hmap_t *m, const char *key);
void *erg__hmap_del_u64(erg__hmap_t *m, uint64_t key);

/* Calls visit for every entry (key is NULL for integer maps); the map must
 * not change meanwhile. */
typedef void (*erg__hmap_visit_cb)(const char *skey, uint64_t ikey, void *val,
                                   void *arg);
void erg__hmap_foreach(const erg__hmap_t *m, erg__hmap_visit_cb visit,
                       void *arg);

#endif /* ERG_UTIL_HMAP_H */
