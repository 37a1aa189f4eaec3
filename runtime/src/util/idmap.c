/* SPDX-License-Identifier: MIT */
/* idmap.c: sharded linear-probing id tables with lookups that retain. */
#include "util/idmap.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "util/alloc.h"
#include "util/mutex.h"

enum {
    SHARD_BITS = 6,
    NSHARDS = 1 << SHARD_BITS,
    MIN_CAP = 16,
};

typedef struct slot_s {
    uint64_t id; /* 0 = empty */
    void *obj;
} slot_t;

/*
 * One lock and one table. The padding keeps shards on separate cache
 * lines, so lookups in different shards do not false-share the locks.
 */
typedef struct shard_s {
    pthread_mutex_t lock;
    slot_t *slots;
    uint32_t cap; /* 0 or a power of two */
    uint32_t count;
    char pad_[64 - (sizeof(pthread_mutex_t) + sizeof(slot_t *) + 8) % 64];
} shard_t;

struct erg__idmap_s {
    _Atomic uint64_t next_id;
    erg__idmap_retain_cb retain;
    shard_t shards[NSHARDS];
};

/*
 * Ids are handed out in sequence and the low bits pick the shard, so within
 * a shard the remaining bits are consecutive: using them directly as the
 * home slot spreads live ids without collisions until the table wraps.
 */
static shard_t *shard_of(erg__idmap_t *m, uint64_t id) {
    return &m->shards[id & (NSHARDS - 1)];
}

/* Ids are handed out in order: used directly as positions they would sit in
 * one long probe run, and every backward-shift deletion would walk to its
 * end (quadratic exits). Fibonacci hashing scatters them. */
static uint32_t home_of(const shard_t *sh, uint64_t id) {
    uint64_t h = (id >> SHARD_BITS) * UINT64_C(0x9E3779B97F4A7C15);
    return (uint32_t)(h >> 32) & (sh->cap - 1);
}

erg_err_t erg__idmap_new(uint64_t first_id, erg__idmap_retain_cb retain,
                         erg__idmap_t **out) {
    if (first_id == 0 || retain == NULL)
        return ERG_EINVAL;
    erg__idmap_t *m = erg__calloc(1, sizeof(*m));
    if (m == NULL)
        return ERG_ENOMEM;
    for (int i = 0; i < NSHARDS; i++) {
        if (erg__mutex_init_short(&m->shards[i].lock) != 0) {
            while (i-- > 0)
                pthread_mutex_destroy(&m->shards[i].lock);
            erg__free(m);
            return ERG_ENOMEM;
        }
    }
    atomic_init(&m->next_id, first_id);
    m->retain = retain;
    *out = m;
    return ERG_OK;
}

void erg__idmap_free(erg__idmap_t *m) {
    if (m == NULL)
        return;
    for (int i = 0; i < NSHARDS; i++) {
        pthread_mutex_destroy(&m->shards[i].lock);
        erg__free(m->shards[i].slots);
    }
    erg__free(m);
}

/* Index of id in sh, or -1. Under the shard lock. */
static int64_t find(const shard_t *sh, uint64_t id) {
    if (sh->cap == 0)
        return -1;
    uint32_t mask = sh->cap - 1;
    for (uint32_t i = home_of(sh, id);; i = (i + 1) & mask) {
        if (sh->slots[i].id == id)
            return i;
        if (sh->slots[i].id == 0)
            return -1;
    }
}

static void place(shard_t *sh, uint64_t id, void *obj) {
    uint32_t mask = sh->cap - 1;
    uint32_t i = home_of(sh, id);
    while (sh->slots[i].id != 0)
        i = (i + 1) & mask;
    sh->slots[i].id = id;
    sh->slots[i].obj = obj;
}

/* Rebuilds sh with cap slots; on ENOMEM sh is unchanged. Under lock. */
static erg_err_t resize(shard_t *sh, uint32_t cap) {
    slot_t *old = sh->slots;
    uint32_t old_cap = sh->cap;
    slot_t *slots = erg__calloc(cap, sizeof(slot_t));
    if (slots == NULL)
        return ERG_ENOMEM;
    sh->slots = slots;
    sh->cap = cap;
    for (uint32_t i = 0; i < old_cap; i++)
        if (old[i].id != 0)
            place(sh, old[i].id, old[i].obj);
    erg__free(old);
    return ERG_OK;
}

erg_err_t erg__idmap_add(erg__idmap_t *m, void *obj, uint64_t *id) {
    uint64_t new_id =
        atomic_fetch_add_explicit(&m->next_id, 1, memory_order_relaxed);
    shard_t *sh = shard_of(m, new_id);
    pthread_mutex_lock(&sh->lock);
    /* Keep the load at most 1/2: probes stay short for linear probing. */
    if ((sh->count + 1) * 2 > sh->cap) {
        erg_err_t rv = resize(sh, sh->cap == 0 ? MIN_CAP : sh->cap * 2);
        if (rv != ERG_OK) {
            pthread_mutex_unlock(&sh->lock);
            return rv;
        }
    }
    place(sh, new_id, obj);
    sh->count++;
    pthread_mutex_unlock(&sh->lock);
    *id = new_id;
    return ERG_OK;
}

void *erg__idmap_get(erg__idmap_t *m, uint64_t id) {
    if (id == 0)
        return NULL;
    shard_t *sh = shard_of(m, id);
    pthread_mutex_lock(&sh->lock);
    int64_t i = find(sh, id);
    void *obj = NULL;
    /* Retaining under the lock is what makes a stale id safe: remove
     * cannot run between finding the object and taking the reference. */
    if (i >= 0 && m->retain(sh->slots[i].obj))
        obj = sh->slots[i].obj;
    pthread_mutex_unlock(&sh->lock);
    return obj;
}

/*
 * Backward-shift deletion: later entries of the probe run move up into the
 * hole unless their home lies cyclically in (hole, j], so no tombstones
 * build up in a table that sees a million spawns and exits.
 */
static void delete_at(shard_t *sh, uint32_t hole) {
    uint32_t mask = sh->cap - 1;
    for (uint32_t j = (hole + 1) & mask; sh->slots[j].id != 0;
         j = (j + 1) & mask) {
        uint32_t home = home_of(sh, sh->slots[j].id);
        bool stays =
            hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
        if (!stays) {
            sh->slots[hole] = sh->slots[j];
            hole = j;
        }
    }
    sh->slots[hole].id = 0;
    sh->slots[hole].obj = NULL;
}

void *erg__idmap_remove(erg__idmap_t *m, uint64_t id) {
    if (id == 0)
        return NULL;
    shard_t *sh = shard_of(m, id);
    pthread_mutex_lock(&sh->lock);
    int64_t i = find(sh, id);
    void *obj = NULL;
    if (i >= 0) {
        obj = sh->slots[i].obj;
        delete_at(sh, (uint32_t)i);
        sh->count--;
        /* Shrink at 1/8 load; failing to is harmless, so it is ignored. */
        if (sh->cap > MIN_CAP && sh->count * 8 < sh->cap)
            (void)resize(sh, sh->cap / 2);
    }
    pthread_mutex_unlock(&sh->lock);
    return obj;
}

uint64_t erg__idmap_count(erg__idmap_t *m) {
    uint64_t n = 0;
    for (int i = 0; i < NSHARDS; i++) {
        pthread_mutex_lock(&m->shards[i].lock);
        n += m->shards[i].count;
        pthread_mutex_unlock(&m->shards[i].lock);
    }
    return n;
}

void erg__idmap_foreach(erg__idmap_t *m, erg__idmap_visit_cb visit, void *arg) {
    for (int s = 0; s < NSHARDS; s++) {
        shard_t *sh = &m->shards[s];
        pthread_mutex_lock(&sh->lock);
        for (uint32_t i = 0; i < sh->cap; i++)
            if (sh->slots[i].id != 0)
                visit(sh->slots[i].id, sh->slots[i].obj, arg);
        pthread_mutex_unlock(&sh->lock);
    }
}
