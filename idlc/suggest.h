/* SPDX-License-Identifier: MIT */
/* suggest.h: "did you mean ...?" for misspelt names. */
#ifndef IDLC_SUGGEST_H
#define IDLC_SUGGEST_H

#include <stddef.h>

/* A set of candidate spellings, collected by the caller. */
typedef struct idl_suggest {
    const char *best;
    size_t best_dist;
    const char *name; /* what was written */
} idl_suggest;

void idl_suggest_init(idl_suggest *s, const char *name);
/* Offers one candidate; the closest (by edit distance) is kept. */
void idl_suggest_offer(idl_suggest *s, const char *candidate);
/* Offers a candidate compared by `key` and suggested as `shown` (a last
 * name segment against its qualified name). */
void idl_suggest_offer_as(idl_suggest *s, const char *key, const char *shown);
/* The closest candidate if it is close enough to be a likely typo (at most
 * one edit per three characters; names under three characters get no
 * suggestion), else NULL. */
const char *idl_suggest_best(const idl_suggest *s);

#endif /* IDLC_SUGGEST_H */
