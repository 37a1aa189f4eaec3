/* SPDX-License-Identifier: MIT */
/* compat.h: `idlc compat OLD_ROOT NEW_ROOT`, the breaking-change check
 * between two schema trees (rules in docs/compat.md). */
#ifndef IDLC_COMPAT_H
#define IDLC_COMPAT_H

#include <stdio.h>

/* idlc_compat_main runs `idlc compat [-I DIR]... OLD_ROOT NEW_ROOT` (argv
 * starts after "compat"). Each tree is every .erg file under its root,
 * compiled with the root (then the -I dirs) as import roots. Returns 0
 * when NEW is compatible with OLD, 1 on a break (or a tree that does not
 * compile), 2 on a usage error. */
int idlc_compat_main(int argc, char **argv, FILE *out, FILE *err);

#endif /* IDLC_COMPAT_H */
