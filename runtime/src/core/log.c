/* SPDX-License-Identifier: MIT */
/* log.c: log records, per-process levels, logger functions and processes. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/actor.h"
#include "core/node.h"
#include "util/alloc.h"

enum { TEXT_MAX = 1024, MAX_PROC_LOGGERS = 16 };

const char *erg_log_level_string(erg_log_level_t level) {
    static const char *const names[] = {"trace", "debug", "info",    "warning",
                                        "error", "panic", "disabled"};
    return (unsigned)level <= ERG_LOG_DISABLED ? names[level] : "unknown";
}

/* Packs rec into one ERG_TYPE_LOG message whose strings live inside it. */
static erg_err_t record_msg(const erg_log_record_t *rec, erg_msg_t **out) {
    size_t extra = rec->nfields * sizeof(erg_log_field_t) +
                   strlen(rec->text) + strlen(rec->source_name) + 2;
    for (unsigned i = 0; i < rec->nfields; i++)
        extra += strlen(rec->fields[i].key) + strlen(rec->fields[i].value) + 2;
    erg_msg_t *m;
    erg_err_t rv =
        erg__msg_new_sys(ERG_TYPE_LOG, sizeof(erg_log_record_t), extra, NULL,
                         &m);
    if (rv != ERG_OK)
        return rv;
    erg_log_record_t *r = erg_msg_data(m);
    *r = *rec;
    erg_log_field_t *fields = (erg_log_field_t *)(r + 1);
    char *p = (char *)(fields + rec->nfields);
#define COPY(dst, src)                                                         \
    do {                                                                       \
        size_t n_ = strlen(src) + 1;                                           \
        memcpy(p, (src), n_);                                                  \
        (dst) = p;                                                             \
        p += n_;                                                               \
    } while (0)
    COPY(r->text, rec->text);
    COPY(r->source_name, rec->source_name);
    for (unsigned i = 0; i < rec->nfields; i++) {
        COPY(fields[i].key, rec->fields[i].key);
        COPY(fields[i].value, rec->fields[i].value);
    }
#undef COPY
    r->fields = fields;
    *out = m;
    return ERG_OK;
}

static void to_process(erg_node_t *node, erg_pid_t pid,
                       const erg_log_record_t *rec) {
    erg_proc_t *p;
    if (erg__node_lookup(node, pid, &p) != ERG_OK)
        return;
    erg_msg_t *m;
    if (record_msg(rec, &m) == ERG_OK) {
        erg__mail_t *mail = erg__mail_new(ERG__MAIL_MSG, m);
        if (mail == NULL) {
            erg_msg_release(m);
        } else {
            mail->from = rec->source;
            /* The log queue has the mailbox limit: a slow logger loses
             * records rather than growing without bound. */
            if (erg__proc_push(p, mail, ERG__MAILBOX_LOG) != ERG_OK)
                erg__mail_free(mail);
        }
    }
    erg__proc_release(p);
}

void erg__log_emit(erg_node_t *node, erg_pid_t source, const char *source_name,
                   erg_log_level_t level, const erg_log_field_t *fields,
                   unsigned nfields, const char *fmt, va_list ap) {
    char text[TEXT_MAX];
    vsnprintf(text, sizeof(text), fmt, ap);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    erg_log_record_t rec = {(int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec,
                            level,
                            source,
                            source_name != NULL ? source_name : "",
                            text,
                            fields,
                            fields != NULL ? nfields : 0};
    /* Functions run under the lock, so a removed one is never called
     * again; processes get theirs after it, since delivery may log. */
    erg_pid_t procs[MAX_PROC_LOGGERS];
    unsigned nprocs = 0;
    pthread_mutex_lock(&node->log_lock);
    for (unsigned i = 0; i < node->nloggers; i++) {
        erg__logger_t *lg = &node->loggers[i];
        if (level < lg->level)
            continue;
        if (lg->cb != NULL)
            lg->cb(&rec, lg->arg);
        else if (nprocs < MAX_PROC_LOGGERS &&
                 !erg_pid_equal(lg->pid, source))
            procs[nprocs++] = lg->pid;
    }
    pthread_mutex_unlock(&node->log_lock);
    for (unsigned i = 0; i < nprocs; i++)
        to_process(node, procs[i], &rec);
}

void erg__node_logf(erg_node_t *node, erg_log_level_t level, const char *fmt,
                    ...) {
    if ((int)level < atomic_load_explicit(&node->log_level,
                                          memory_order_relaxed))
        return;
    va_list ap;
    va_start(ap, fmt);
    erg__log_emit(node, (erg_pid_t){0, 0, 0}, "", level, NULL, 0, fmt, ap);
    va_end(ap);
}

void erg_node_log(erg_node_t *node, erg_log_level_t level,
                  const erg_log_field_t *fields, unsigned nfields,
                  const char *fmt, ...) {
    if (node == NULL || fmt == NULL ||
        (int)level < atomic_load_explicit(&node->log_level,
                                          memory_order_relaxed))
        return;
    va_list ap;
    va_start(ap, fmt);
    erg__log_emit(node, (erg_pid_t){0, 0, 0}, "", level, fields, nfields, fmt,
                  ap);
    va_end(ap);
}

static void proc_log(erg_proc_t *self, erg_log_level_t level,
                     const erg_log_field_t *fields, unsigned nfields,
                     const char *fmt, va_list ap) {
    /* A copy under the lock: a killer may free the name meanwhile. */
    char name[256] = "";
    erg__spin_lock(&self->lock);
    const char *src = self->name != NULL  ? self->name
                      : self->beh->name != NULL ? self->beh->name
                                                : "";
    snprintf(name, sizeof(name), "%s", src);
    erg__spin_unlock(&self->lock);
    erg__log_emit(self->node, self->pid, name, level, fields, nfields, fmt,
                  ap);
}

void erg_log(erg_proc_t *self, erg_log_level_t level, const char *fmt, ...) {
    if (self == NULL || fmt == NULL || level >= ERG_LOG_DISABLED ||
        (int)level < atomic_load_explicit(&self->log_level,
                                          memory_order_relaxed))
        return;
    va_list ap;
    va_start(ap, fmt);
    proc_log(self, level, NULL, 0, fmt, ap);
    va_end(ap);
}

void erg_log_fields(erg_proc_t *self, erg_log_level_t level,
                    const erg_log_field_t *fields, unsigned nfields,
                    const char *fmt, ...) {
    if (self == NULL || fmt == NULL || level >= ERG_LOG_DISABLED ||
        (int)level < atomic_load_explicit(&self->log_level,
                                          memory_order_relaxed))
        return;
    va_list ap;
    va_start(ap, fmt);
    proc_log(self, level, fields, nfields, fmt, ap);
    va_end(ap);
}

void erg_set_log_level(erg_proc_t *self, erg_log_level_t level) {
    atomic_store_explicit(&self->log_level, (int)level, memory_order_relaxed);
}

erg_log_level_t erg_get_log_level(const erg_proc_t *self) {
    return (erg_log_level_t)atomic_load_explicit(
        &((erg_proc_t *)self)->log_level, memory_order_relaxed);
}

void erg_node_set_log_level(erg_node_t *node, erg_log_level_t level) {
    atomic_store_explicit(&node->log_level, (int)level, memory_order_relaxed);
}

static erg_err_t add_logger(erg_node_t *node, const char *name,
                            erg_log_level_t level, erg_logger_cb cb,
                            void *arg, erg_pid_t pid) {
    if (node == NULL || name == NULL || level > ERG_LOG_DISABLED)
        return ERG_EINVAL;
    char *copy = erg__strdup(name);
    if (copy == NULL)
        return ERG_ENOMEM;
    erg_err_t rv = ERG_OK;
    pthread_mutex_lock(&node->log_lock);
    for (unsigned i = 0; i < node->nloggers; i++)
        if (strcmp(node->loggers[i].name, name) == 0)
            rv = ERG_ETAKEN;
    erg__logger_t *a = NULL;
    if (rv == ERG_OK) {
        a = erg__realloc(node->loggers,
                         (node->nloggers + 1) * sizeof(*node->loggers));
        if (a == NULL)
            rv = ERG_ENOMEM;
    }
    if (rv == ERG_OK) {
        node->loggers = a;
        node->loggers[node->nloggers++] =
            (erg__logger_t){copy, level, cb, arg, pid};
    }
    pthread_mutex_unlock(&node->log_lock);
    if (rv != ERG_OK)
        erg__free(copy);
    return rv;
}

erg_err_t erg_node_logger_add(erg_node_t *node, const char *name,
                              erg_log_level_t level, erg_logger_cb cb,
                              void *arg) {
    if (cb == NULL)
        return ERG_EINVAL;
    return add_logger(node, name, level, cb, arg, (erg_pid_t){0, 0, 0});
}

erg_err_t erg_node_logger_add_process(erg_node_t *node, const char *name,
                                      erg_log_level_t level, erg_pid_t pid) {
    if (node == NULL)
        return ERG_EINVAL;
    erg_proc_t *p;
    erg_err_t rv = erg__node_lookup(node, pid, &p);
    if (rv != ERG_OK)
        return rv;
    erg__proc_release(p);
    return add_logger(node, name, level, NULL, NULL, pid);
}

static void remove_at(erg_node_t *node, unsigned i) {
    erg__free(node->loggers[i].name);
    node->loggers[i] = node->loggers[--node->nloggers];
}

erg_err_t erg_node_logger_remove(erg_node_t *node, const char *name) {
    if (node == NULL || name == NULL)
        return ERG_EINVAL;
    erg_err_t rv = ERG_ENOENT;
    pthread_mutex_lock(&node->log_lock);
    for (unsigned i = 0; i < node->nloggers; i++) {
        if (strcmp(node->loggers[i].name, name) == 0) {
            remove_at(node, i);
            rv = ERG_OK;
            break;
        }
    }
    pthread_mutex_unlock(&node->log_lock);
    return rv;
}

void erg__log_forget_pid(erg_node_t *node, erg_pid_t pid) {
    pthread_mutex_lock(&node->log_lock);
    for (unsigned i = 0; i < node->nloggers;) {
        if (node->loggers[i].cb == NULL &&
            erg_pid_equal(node->loggers[i].pid, pid))
            remove_at(node, i);
        else
            i++;
    }
    pthread_mutex_unlock(&node->log_lock);
}

void erg__log_fini(erg_node_t *node) {
    for (unsigned i = 0; i < node->nloggers; i++)
        erg__free(node->loggers[i].name);
    erg__free(node->loggers);
    node->loggers = NULL;
    node->nloggers = 0;
}
