/* SPDX-License-Identifier: MIT */
/* emit.c: the indenting buffered writer and write-if-changed. */
#include "emit.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void reserve(idl_emit *e, size_t more) {
    if (e->len + more + 1 <= e->cap)
        return;
    size_t cap = e->cap ? e->cap : 4096;
    while (cap < e->len + more + 1)
        cap *= 2;
    char *buf = realloc(e->buf, cap);
    if (buf == NULL) {
        fputs("idlc: out of memory\n", stderr);
        abort();
    }
    e->buf = buf;
    e->cap = cap;
}

static void put(idl_emit *e, const char *s, size_t n) {
    reserve(e, n);
    memcpy(e->buf + e->len, s, n);
    e->len += n;
    e->buf[e->len] = '\0';
}

void idl_emit_fini(idl_emit *e) {
    free(e->buf);
    *e = (idl_emit){0};
}

/* Splits text into lines so each one gets the indentation. */
static void put_text(idl_emit *e, const char *s) {
    if (e->len == 0)
        e->bol = true;
    while (*s) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) : strlen(s);
        if (n > 0 && e->bol) {
            for (int i = 0; i < e->indent; i++)
                put(e, "    ", 4);
        }
        put(e, s, n);
        if (n > 0)
            e->bol = false;
        if (nl == NULL)
            break;
        put(e, "\n", 1);
        e->bol = true;
        s = nl + 1;
    }
}

static void vput(idl_emit *e, const char *fmt, va_list ap) {
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        abort();
    char *tmp = malloc((size_t)n + 1);
    if (tmp == NULL)
        abort();
    vsnprintf(tmp, (size_t)n + 1, fmt, ap);
    put_text(e, tmp);
    free(tmp);
}

void idl_emit_printf(idl_emit *e, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vput(e, fmt, ap);
    va_end(ap);
}

void idl_emit_line(idl_emit *e, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vput(e, fmt, ap);
    va_end(ap);
    put_text(e, "\n");
}

void idl_emit_blank(idl_emit *e) {
    put_text(e, "\n");
}

void idl_emit_indent(idl_emit *e, int delta) {
    e->indent += delta;
    if (e->indent < 0)
        e->indent = 0;
}

/* mkdir -p of the directory part of path. */
static int make_parents(const char *path) {
    char *dir = strdup(path);
    if (dir == NULL)
        return -1;
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
            free(dir);
            return -1;
        }
        *p = '/';
    }
    free(dir);
    return 0;
}

static bool same_contents(const char *path, const char *buf, size_t len) {
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return false;
    bool same = true;
    char chunk[8192];
    size_t off = 0, n;
    while (same && (n = fread(chunk, 1, sizeof chunk, fp)) > 0) {
        same = off + n <= len && memcmp(chunk, buf + off, n) == 0;
        off += n;
    }
    fclose(fp);
    return same && off == len;
}

int idl_emit_write(const idl_emit *e, const char *path, bool *changed) {
    const char *buf = e->buf ? e->buf : "";
    *changed = false;
    if (same_contents(path, buf, e->len))
        return 0;
    if (make_parents(path) != 0)
        return -1;
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 32);
    if (tmp == NULL)
        return -1;
    snprintf(tmp, plen + 32, "%s.tmp%ld", path, (long)getpid());
    FILE *fp = fopen(tmp, "wb");
    if (fp == NULL) {
        free(tmp);
        return -1;
    }
    bool ok = fwrite(buf, 1, e->len, fp) == e->len;
    ok = fclose(fp) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        int saved = errno;
        remove(tmp);
        free(tmp);
        errno = saved;
        return -1;
    }
    free(tmp);
    *changed = true;
    return 0;
}
