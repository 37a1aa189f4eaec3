/* SPDX-License-Identifier: MIT */
/* mutex.h: the mutexes of the runtime's short critical sections. */
#ifndef ERG_UTIL_MUTEX_H
#define ERG_UTIL_MUTEX_H

#include <pthread.h>

/*
 * erg__mutex_init_short initialises a mutex that guards a few list or
 * table operations and is met by several threads at once (the run queue,
 * the timer inbox, id-map shards, waiter tables): an adaptive mutex spins
 * briefly before sleeping, where a contended plain one puts the loser to
 * sleep in the kernel for a context switch (measured in docs/
 * runtime-internals.md). Returns pthread_mutex_init's result.
 */
static inline int erg__mutex_init_short(pthread_mutex_t *m) {
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
#ifdef PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ADAPTIVE_NP);
#endif
    int rc = pthread_mutex_init(m, &ma);
    pthread_mutexattr_destroy(&ma);
    return rc;
}

#endif /* ERG_UTIL_MUTEX_H */
