/* SPDX-License-Identifier: MIT */
/* idmap.h: id -> object table; ids are never reused and stale ids fail. */
#ifndef ERG_UTIL_IDMAP_H
#define ERG_UTIL_IDMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "erg/err.h"

/*
 * The table behind "actors are addressed by id, never by pointer" (nng's
 * nni_id_map with nni_sock_find). The map hands out 64-bit ids in
 * increasing order from first_id and never gives one out twice, so an id
 * kept after its object is gone can only miss.
 *
 * Safety scheme: reference counts under a sharded lock. The map is split
 * into 64 shards by id, each a linear-probing hash table behind its own
 * mutex. erg__idmap_get finds the entry *and* calls the retain callback
 * while holding the shard lock; erg__idmap_remove unpublishes the entry
 * under the same lock. So once remove has returned no lookup can retain
 * the object any more, and every lookup that did retain it holds a
 * reference: the owner drops the map's reference after remove, and the
 * object is freed when the last holder releases it. A stale id returns NULL
 * and never a dangling pointer. Readers of different shards never contend,
 * and a lookup is one uncontended lock plus the retain.
 *
 * (A lock-free read path, with objects in type-stable pools, a try-retain
 * that fails at zero and a re-check of the id after retaining, can replace
 * erg__idmap_get later without changing this contract.)
 */
typedef struct erg__idmap_s erg__idmap_t;

/*
 * Called under the shard lock by erg__idmap_get on the object it found.
 * Returns true after taking a reference for the caller, or false to refuse
 * (the object is terminating), in which case get returns NULL. It must not
 * call back into the map.
 */
typedef bool (*erg__idmap_retain_cb)(void *obj);

/* Called by erg__idmap_foreach under the shard lock; same restriction. */
typedef void (*erg__idmap_visit_cb)(uint64_t id, void *obj, void *arg);

/*
 * erg__idmap_new creates an empty map whose first id is first_id (>= 1; 0
 * is never an id) and whose lookups take references with retain.
 * ERG_ENOMEM, or ERG_EINVAL for first_id 0 or a NULL retain.
 */
erg_err_t erg__idmap_new(uint64_t first_id, erg__idmap_retain_cb retain,
                         erg__idmap_t **out);

/* erg__idmap_free frees the map, not the objects in it; NULL is a no-op.
 * No other call may run concurrently. */
void erg__idmap_free(erg__idmap_t *m);

/*
 * erg__idmap_add gives obj (non-NULL) the next id and publishes it, storing
 * the id in *id. The map does not take a reference: the caller keeps obj
 * alive until erg__idmap_remove returns it. ERG_ENOMEM if the shard could
 * not grow (the id is then skipped, never handed out). Thread-safe.
 */
erg_err_t erg__idmap_add(erg__idmap_t *m, void *obj, uint64_t *id);

/*
 * erg__idmap_get returns the object with this id after retaining it (the
 * caller releases it), or NULL if the id was never handed out, was removed,
 * or the retain callback refused. Thread-safe.
 */
void *erg__idmap_get(erg__idmap_t *m, uint64_t id);

/*
 * erg__idmap_remove unpublishes id and returns its object (no reference is
 * taken or dropped), or NULL if it is not in the map. After it returns, no
 * erg__idmap_get can return the object. Thread-safe.
 */
void *erg__idmap_remove(erg__idmap_t *m, uint64_t id);

/* erg__idmap_count returns the number of objects in the map; a snapshot
 * under concurrent changes. Thread-safe. */
uint64_t erg__idmap_count(erg__idmap_t *m);

/*
 * erg__idmap_foreach calls visit for every object, one shard at a time
 * under its lock (so objects added or removed meanwhile may or may not be
 * seen; each one present throughout is seen exactly once). Thread-safe.
 */
void erg__idmap_foreach(erg__idmap_t *m, erg__idmap_visit_cb visit, void *arg);

#endif /* ERG_UTIL_IDMAP_H */
