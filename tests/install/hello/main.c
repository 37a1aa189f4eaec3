/* SPDX-License-Identifier: MIT */
/* main.c: encodes and decodes one generated message with an installed erg;
 * exits 0 when the value survives the round trip. */
#include <stdio.h>
#include <string.h>

#include "erg/erg.h"
#include "hello/greeting.h"

int main(void) {
    erg_str_t tags[] = {ERG_STR("out"), ERG_STR("of"), ERG_STR("tree")};
    hello_greeting_v1_t g = HELLO_GREETING_V1_INIT;
    g.to = ERG_STR("world");
    g.tags.ptr = tags;
    g.tags.len = 3;
    uint8_t buf[128];
    size_t len;
    hello_greeting_v1_t *back = NULL;
    if (hello_greeting_v1_encode(&g, buf, sizeof buf, &len) != ERG_OK ||
        hello_greeting_v1_decode(buf, len, &back) != ERG_OK)
        return 1;
    int ok = strcmp(back->to.ptr, "world") == 0 && back->times == 1 &&
             back->tags.len == 3 && strcmp(back->tags.ptr[2].ptr, "tree") == 0;
    hello_greeting_v1_free(back);
    printf("hello %s: %s\n", ok ? "ok" : "MISMATCH", erg_version_string());
    return ok ? 0 : 1;
}
