/* SPDX-License-Identifier: MIT */
/* testutil.h: shared helpers for erg's cmocka tests (nng's nuts.h role). */
#ifndef ERG_TESTUTIL_H
#define ERG_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "erg/err.h"

/* ERG_PASS(expr): expr must return ERG_OK; a failure names the error. */
#define ERG_PASS(expr)                                                         \
    do {                                                                       \
        erg_err_t erg__rv = (expr);                                            \
        if (erg__rv != ERG_OK)                                                 \
            fail_msg("%s returned %s (%s)", #expr, erg_err_name(erg__rv),      \
                     erg_strerror(erg__rv));                                   \
    } while (0)

/* ERG_FAIL(expr, code): expr must return exactly code. */
#define ERG_FAIL(expr, code)                                                   \
    do {                                                                       \
        erg_err_t erg__rv = (expr);                                            \
        if (erg__rv != (code))                                                 \
            fail_msg("%s returned %s, expected %s", #expr,                     \
                     erg_err_name(erg__rv), erg_err_name(code));               \
    } while (0)

/*
 * The counting allocator: installed with erg_set_allocator, thread-safe
 * (unlike cmocka's test_malloc), and able to fail the Nth allocation so
 * tests can walk every out-of-memory path (SQLite's FaultSim).
 */
void erg_test_alloc_install(void);
/* Restores the C library allocator; fails the test if memory leaked. */
void erg_test_alloc_check_and_remove(void);
/* Blocks still live (allocated and not freed) through the hook. */
long erg_test_alloc_live(void);
/* Allocations so far since install (successful or not). */
long erg_test_alloc_count(void);
/* Makes allocation number n (1-based, from now) and all later ones fail;
 * 0 turns failure injection off. */
void erg_test_alloc_fail_after(long n);

/* erg_test_free_port: a loopback port free for TCP and UDP now, below the
 * range the system gives port-0 binds, so tests running in parallel and
 * nodes binding port 0 do not take it meanwhile. */
uint16_t erg_test_free_port(void);

/* cmocka group setup/teardown wrappers around the counting allocator. */
int erg_test_setup_alloc(void **state);
int erg_test_teardown_alloc(void **state);

/* A test run with the counting allocator installed and checked for leaks. */
#define ERG_TEST_WITH_ALLOC(f)                                                 \
    cmocka_unit_test_setup_teardown(f, erg_test_setup_alloc,                   \
                                    erg_test_teardown_alloc)

#endif /* ERG_TESTUTIL_H */
