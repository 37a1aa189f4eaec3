/* SPDX-License-Identifier: MIT */
/* msg.c: refcounted messages and their mail envelopes. */
#include "core/msg.h"

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "erg/err.h"
#include "util/alloc.h"

/* The runtime's message types: their addresses are the identity. */
const char erg_type_exit[] = "erg.exit";
const char erg_type_down[] = "erg.down";
const char erg_type_fallback[] = "erg.fallback";
const char erg_type_event_start[] = "erg.event_start";
const char erg_type_event_stop[] = "erg.event_stop";
const char erg_type_log[] = "erg.log";

/* --- The message pool -------------------------------------------------- */

enum {
    BLOCK_SIZE = sizeof(erg_msg_t) + ERG__MSG_POOL_PAYLOAD,
    CACHE_MAX = 256, /* blocks a thread keeps */
    BATCH = 128,     /* blocks moved to or from the global list at once */
};

/* Envelopes come from the same pool. */
_Static_assert(sizeof(erg__mail_t) <= BLOCK_SIZE, "an envelope fits a block");

/* A free block; a batch is a chain of BATCH blocks, chained to the next
 * batch through its first block's next_batch. */
typedef struct free_block_s {
    struct free_block_s *next;
    struct free_block_s *next_batch;
    unsigned count; /* blocks in the batch this one heads */
} free_block_t;

typedef struct cache_s {
    free_block_t *head;
    unsigned n;
    bool keyed; /* the exit destructor is registered for this thread */
} cache_t;

static _Thread_local cache_t cache;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static free_block_t *batches;     /* full batches */
static atomic_uint pool_users;    /* running nodes; 0 = no pooling;
                                     changed under pool_lock */
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t cache_key;

static void free_chain(free_block_t *b) {
    while (b != NULL) {
        free_block_t *next = b->next;
        erg__free(b);
        b = next;
    }
}

/* Gives a chain of n blocks to the global list, in batches; under no lock.
 * Without users the blocks go back to the allocator. */
static void give_back(free_block_t *head, unsigned n) {
    pthread_mutex_lock(&pool_lock);
    if (atomic_load(&pool_users) == 0) {
        pthread_mutex_unlock(&pool_lock);
        free_chain(head);
        return;
    }
    while (head != NULL) {
        free_block_t *first = head, *last = head;
        unsigned count = 1;
        for (; count < BATCH && last->next != NULL; count++)
            last = last->next;
        head = last->next;
        last->next = NULL;
        first->count = count;
        first->next_batch = batches;
        batches = first;
    }
    pthread_mutex_unlock(&pool_lock);
    (void)n;
}

/* A thread that used the pool leaves: its cache goes to the others. */
static void cache_exit(void *arg) {
    (void)arg;
    free_block_t *head = cache.head;
    unsigned n = cache.n;
    cache.head = NULL;
    cache.n = 0;
    give_back(head, n);
}

static void make_key(void) {
    (void)pthread_key_create(&cache_key, cache_exit);
}

void erg__msg_pool_retain(void) {
    pthread_once(&key_once, make_key);
    pthread_mutex_lock(&pool_lock);
    atomic_fetch_add(&pool_users, 1);
    pthread_mutex_unlock(&pool_lock);
}

void erg__msg_pool_release(void) {
    cache_exit(NULL);
    pthread_mutex_lock(&pool_lock);
    free_block_t *all = NULL;
    if (atomic_fetch_sub(&pool_users, 1) == 1) {
        all = batches;
        batches = NULL;
    }
    pthread_mutex_unlock(&pool_lock);
    while (all != NULL) {
        free_block_t *next = all->next_batch;
        free_chain(all);
        all = next;
    }
}

/* Registers the exit destructor of this thread's cache, once, before the
 * cache first holds blocks (the value only needs to be non-NULL). */
static void ensure_keyed(void) {
    if (!cache.keyed) {
        (void)pthread_setspecific(cache_key, &cache);
        cache.keyed = true;
    }
}

/* Fills an empty cache with fresh blocks: one trip to the global list per
 * BATCH allocations even while the pool grows. */
static void refill_fresh(void) {
    ensure_keyed();
    for (unsigned i = 0; i < BATCH; i++) {
        free_block_t *b = erg__malloc(BLOCK_SIZE);
        if (b == NULL)
            break;
        b->next = cache.head;
        cache.head = b;
        cache.n++;
    }
}

static erg_msg_t *pool_get(void) {
    if (cache.head == NULL) {
        pthread_mutex_lock(&pool_lock);
        free_block_t *b = batches;
        if (b != NULL)
            batches = b->next_batch;
        pthread_mutex_unlock(&pool_lock);
        if (b != NULL) {
            ensure_keyed();
            cache.head = b;
            cache.n = b->count;
        } else if (atomic_load_explicit(&pool_users, memory_order_relaxed) !=
                   0) {
            refill_fresh();
        }
        if (cache.head == NULL)
            return erg__malloc(BLOCK_SIZE);
    }
    free_block_t *b = cache.head;
    cache.head = b->next;
    cache.n--;
    return (erg_msg_t *)(void *)b;
}

static void pool_put(erg_msg_t *m) {
    /* A node stops only after its threads have left, so a racing read
     * here can only come from a user thread, whose cache goes back when
     * it exits. */
    if (atomic_load_explicit(&pool_users, memory_order_relaxed) == 0) {
        erg__free(m);
        return;
    }
    ensure_keyed();
    free_block_t *b = (free_block_t *)(void *)m;
    b->next = cache.head;
    cache.head = b;
    if (++cache.n < CACHE_MAX)
        return;
    /* Keep half, hand the other half (one batch) to other threads. */
    free_block_t *first = cache.head, *last = first;
    for (unsigned i = 1; i < BATCH; i++)
        last = last->next;
    cache.head = last->next;
    cache.n -= BATCH;
    last->next = NULL;
    give_back(first, BATCH);
}

erg_err_t erg__msg_new_sys(const void *type, size_t size, size_t extra,
                           void (*dtor)(erg_msg_t *), erg_msg_t **out) {
    if (size > SIZE_MAX / 2 || extra > SIZE_MAX / 2)
        return ERG_ETOOBIG;
    bool pooled = size + extra <= ERG__MSG_POOL_PAYLOAD;
    erg_msg_t *m =
        pooled ? pool_get() : erg__malloc(sizeof(*m) + size + extra);
    if (m == NULL)
        return ERG_ENOMEM;
    m->pooled = pooled;
    memset(&m->mail, 0, sizeof(m->mail));
    atomic_init(&m->mail_in_use, false);
    atomic_init(&m->refs, 1);
    m->type = type;
    m->size = size;
    m->dtor = dtor;
    memset(m->data, 0, size + extra);
    *out = m;
    return ERG_OK;
}

bool erg__msg_is_runtime(const erg_msg_t *m) {
    const void *t = m->type;
    return t == ERG_TYPE_EXIT || t == ERG_TYPE_DOWN || t == ERG_TYPE_FALLBACK ||
           t == ERG_TYPE_EVENT_START || t == ERG_TYPE_EVENT_STOP ||
           t == ERG_TYPE_LOG;
}

erg_err_t erg_msg_new(const void *type, size_t size, erg_msg_t **out) {
    if (out == NULL)
        return ERG_EINVAL;
    return erg__msg_new_sys(type, size, 0, NULL, out);
}

erg_err_t erg_msg_new_copy(const void *type, const void *data, size_t size,
                           erg_msg_t **out) {
    if (out == NULL || (data == NULL && size != 0))
        return ERG_EINVAL;
    erg_err_t rv = erg__msg_new_sys(type, size, 0, NULL, out);
    if (rv == ERG_OK && size != 0)
        memcpy((*out)->data, data, size);
    return rv;
}

void erg_msg_retain(erg_msg_t *msg) {
    atomic_fetch_add_explicit(&msg->refs, 1, memory_order_relaxed);
}

void erg_msg_release(erg_msg_t *msg) {
    if (msg == NULL)
        return;
    /* acq_rel: the last releaser sees every other holder's writes. */
    unsigned old = atomic_fetch_sub_explicit(&msg->refs, 1,
                                             memory_order_acq_rel);
    /* A release too many (pooled blocks hide it from ASan). */
    assert(old != 0);
    if (old != 1)
        return;
    if (msg->dtor != NULL)
        msg->dtor(msg);
    if (msg->pooled)
        pool_put(msg);
    else
        erg__free(msg);
}

const void *erg_msg_type(const erg_msg_t *msg) {
    return msg->type;
}

void *erg_msg_data(const erg_msg_t *msg) {
    return (void *)msg->data;
}

size_t erg_msg_size(const erg_msg_t *msg) {
    return msg->size;
}

erg__mail_t *erg__mail_new(erg__mail_kind_t kind, erg_msg_t *msg) {
    erg__mail_t *mail = NULL;
    /* The embedded envelope serves one delivery at a time. */
    if (msg != NULL && !atomic_exchange_explicit(&msg->mail_in_use, true,
                                                 memory_order_acquire))
        mail = &msg->mail;
    else if ((mail = (erg__mail_t *)(void *)pool_get()) == NULL)
        return NULL; /* pool blocks fit an envelope: fan-out reuses them */
    mail->node.next = NULL;
    mail->kind = (uint8_t)kind;
    mail->status = ERG_OK;
    mail->from = (erg_pid_t){0, 0, 0};
    mail->ref = (erg_ref_t){0, 0, 0, 0};
    mail->msg = msg;
    mail->ptr = NULL;
    return mail;
}

void erg__mail_discard(erg__mail_t *mail) {
    erg_msg_t *msg = mail->msg;
    if (msg != NULL && mail == &msg->mail)
        atomic_store_explicit(&msg->mail_in_use, false, memory_order_release);
    else
        pool_put((erg_msg_t *)(void *)mail);
}

void erg__mail_free(erg__mail_t *mail) {
    erg_msg_t *msg = mail->msg;
    /* Give the envelope back before the reference that keeps msg alive. */
    erg__mail_discard(mail);
    erg_msg_release(msg);
}

const char *erg_reason_string(erg_reason_t reason, char *buf, size_t len) {
    switch (reason) {
    case ERG_REASON_NONE:
        return "none";
    case ERG_REASON_NORMAL:
        return "normal";
    case ERG_REASON_SHUTDOWN:
        return "shutdown";
    case ERG_REASON_KILL:
        return "kill";
    case ERG_REASON_PANIC:
        return "panic";
    default:
        break;
    }
    if (reason < 0)
        return erg_strerror((erg_err_t)reason);
    if (buf != NULL && len > 0)
        snprintf(buf, len, "user:%d", (int)(reason - ERG_REASON_USER));
    return buf != NULL ? buf : "user";
}
