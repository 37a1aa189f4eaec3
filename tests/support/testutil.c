/* SPDX-License-Identifier: MIT */
/* testutil.c: the thread-safe counting, failure-injecting test allocator. */
#include "testutil.h"

#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "erg/alloc.h"

/* A header before each block records its size so realloc can be counted;
 * max_align_t keeps the user pointer aligned for any type. */
typedef union block_header_u {
    size_t size;
    max_align_t align;
} block_header_t;

static atomic_long live_blocks;
static atomic_long alloc_count;
static atomic_long fail_at; /* 0 = never */

static int should_fail(void) {
    long n = atomic_fetch_add(&alloc_count, 1) + 1;
    long at = atomic_load(&fail_at);
    return at != 0 && n >= at;
}

static void *counting_malloc(size_t size) {
    if (should_fail())
        return NULL;
    block_header_t *h = malloc(sizeof(*h) + size);
    if (h == NULL)
        return NULL;
    h->size = size;
    atomic_fetch_add(&live_blocks, 1);
    return h + 1;
}

static void *counting_calloc(size_t count, size_t size) {
    if (size != 0 && count > (SIZE_MAX - sizeof(block_header_t)) / size)
        return NULL;
    void *p = counting_malloc(count * size);
    if (p != NULL)
        memset(p, 0, count * size);
    return p;
}

static void counting_free(void *ptr) {
    if (ptr == NULL)
        return;
    block_header_t *h = (block_header_t *)ptr - 1;
    atomic_fetch_sub(&live_blocks, 1);
    free(h);
}

static void *counting_realloc(void *ptr, size_t size) {
    if (ptr == NULL)
        return counting_malloc(size);
    if (should_fail())
        return NULL;
    block_header_t *h = (block_header_t *)ptr - 1;
    block_header_t *n = realloc(h, sizeof(*n) + size);
    if (n == NULL)
        return NULL;
    n->size = size;
    return n + 1;
}

void erg_test_alloc_install(void) {
    atomic_store(&live_blocks, 0);
    atomic_store(&alloc_count, 0);
    atomic_store(&fail_at, 0);
    erg_err_t rv = erg_set_allocator(counting_malloc, counting_realloc,
                                     counting_calloc, counting_free);
    assert_int_equal(rv, ERG_OK);
}

void erg_test_alloc_check_and_remove(void) {
    erg_reset_allocator();
    long live = atomic_load(&live_blocks);
    if (live != 0)
        fail_msg("%ld block(s) leaked through erg's allocator", live);
}

long erg_test_alloc_live(void) {
    return atomic_load(&live_blocks);
}

long erg_test_alloc_count(void) {
    return atomic_load(&alloc_count);
}

void erg_test_alloc_fail_after(long n) {
    atomic_store(&fail_at, n == 0 ? 0 : atomic_load(&alloc_count) + n);
}

int erg_test_setup_alloc(void **state) {
    (void)state;
    erg_test_alloc_install();
    return 0;
}

int erg_test_teardown_alloc(void **state) {
    (void)state;
    erg_reset_allocator();
    return atomic_load(&live_blocks) == 0 ? 0 : -1;
}

/* Ports the system hands out for port 0 start at 32768 on Linux; a port
 * below that, checked free for TCP and UDP, cannot be taken from under a
 * test by some node's ephemeral bind between the check and its use. */
uint16_t erg_test_free_port(void) {
    static atomic_uint seq;
    unsigned salt = (unsigned)getpid() * 7919u + atomic_fetch_add(&seq, 1);
    for (unsigned i = 0; i < 4096; i++) {
        uint16_t port = (uint16_t)(20000 + (salt + i * 101u) % 12000u);
        int t = socket(AF_INET, SOCK_STREAM, 0);
        int u = socket(AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in sa = {0};
        sa.sin_family = AF_INET;
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        sa.sin_port = htons(port);
        bool ok = t >= 0 && u >= 0 &&
                  bind(t, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
                  bind(u, (struct sockaddr *)&sa, sizeof(sa)) == 0;
        if (t >= 0)
            close(t);
        if (u >= 0)
            close(u);
        if (ok)
            return port;
    }
    fail_msg("no free port below the ephemeral range");
    return 0;
}
