/* SPDX-License-Identifier: MIT */
/* lock.h: `idlc lock`, holding schemas to the released versions recorded in
 * a lock file (format in docs/compat.md). */
#ifndef IDLC_LOCK_H
#define IDLC_LOCK_H

#include <stdio.h>

/* idlc_lock_main runs `idlc lock --lock FILE [--update [--force]]
 * [-I DIR]... SCHEMA...` (argv starts after "lock"). Returns the exit
 * status: 0 when the schemas hold to the lock (or it was updated), 1 on a
 * violation or a schema error, 2 on a usage error. */
int idlc_lock_main(int argc, char **argv, FILE *out, FILE *err);

#endif /* IDLC_LOCK_H */
