/* SPDX-License-Identifier: MIT */
/* idlc_test_util.h: what idlc's tests share: running the CLI in process,
 * files, and a scratch directory per test. */
#ifndef ERG_IDLC_TEST_UTIL_H
#define ERG_IDLC_TEST_UTIL_H

#include <stdbool.h>

/* idlc_main's exit status and what it printed (heap strings). */
typedef struct run_result {
    int status;
    char *out;
    char *err;
} run_result;

/* Runs idlc_main(argc, argv) with stdout and stderr captured. */
run_result run_idlc(int argc, char **argv);
void free_result(run_result *r);

/* The whole file as a heap string, or NULL when it cannot be read. */
char *read_all(const char *path);
/* Writes text to path, creating the parent directories. */
void write_file(const char *path, const char *text);
bool exists(const char *path);

/* cmocka setup/teardown: a fresh directory under $TMPDIR (or /tmp) made the
 * working directory, and removed with everything in it afterwards. */
int setup_tmpdir(void **state);
int teardown_tmpdir(void **state);

#endif /* ERG_IDLC_TEST_UTIL_H */
