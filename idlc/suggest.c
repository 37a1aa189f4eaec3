/* SPDX-License-Identifier: MIT */
/* suggest.c: picks the closest known name to a misspelt one (Levenshtein
 * distance, ignoring case). */
#include "suggest.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Names longer than this are not worth comparing. */
enum { MAX_LEN = 64 };

static size_t distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > MAX_LEN || lb > MAX_LEN)
        return (size_t)-1;
    size_t row[MAX_LEN + 1];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            bool same = tolower((unsigned char)a[i - 1]) ==
                        tolower((unsigned char)b[j - 1]);
            size_t best = diag + (same ? 0 : 1);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

void idl_suggest_init(idl_suggest *s, const char *name) {
    s->best = NULL;
    s->best_dist = (size_t)-1;
    s->name = name;
}

void idl_suggest_offer_as(idl_suggest *s, const char *key, const char *shown) {
    if (key == NULL || strcmp(key, s->name) == 0)
        return;
    size_t d = distance(s->name, key);
    if (d < s->best_dist) {
        s->best_dist = d;
        s->best = shown;
    }
}

void idl_suggest_offer(idl_suggest *s, const char *candidate) {
    idl_suggest_offer_as(s, candidate, candidate);
}

const char *idl_suggest_best(const idl_suggest *s) {
    size_t limit = strlen(s->name) / 3;
    return s->best != NULL && s->best_dist <= limit ? s->best : NULL;
}
