/* SPDX-License-Identifier: MIT */
/* pid.c: comparing and formatting pids, refs and aliases; target helpers. */
#include <stdio.h>
#include <time.h>

#include "erg/msg.h"
#include "erg/pid.h"

uint32_t erg_node_hash(const char *node_name) {
    uint32_t h = 2166136261u;
    for (const char *p = node_name; *p != '\0'; p++) {
        h ^= (unsigned char)*p;
        h *= 16777619u;
    }
    return h;
}

bool erg_pid_is_nil(erg_pid_t pid) {
    return pid.node == 0 && pid.creation == 0 && pid.id == 0;
}

bool erg_pid_equal(erg_pid_t a, erg_pid_t b) {
    return a.id == b.id && a.node == b.node && a.creation == b.creation;
}

int erg_pid_compare(erg_pid_t a, erg_pid_t b) {
    if (a.node != b.node)
        return a.node < b.node ? -1 : 1;
    if (a.creation != b.creation)
        return a.creation < b.creation ? -1 : 1;
    if (a.id != b.id)
        return a.id < b.id ? -1 : 1;
    return 0;
}

char *erg_pid_format(erg_pid_t pid, char *buf, size_t len) {
    snprintf(buf, len, "<%08X.%llu.%u>", (unsigned)pid.node,
             (unsigned long long)pid.id, (unsigned)pid.creation);
    return buf;
}

bool erg_ref_equal(erg_ref_t a, erg_ref_t b) {
    return a.id == b.id && a.node == b.node && a.creation == b.creation;
}

char *erg_ref_format(erg_ref_t ref, char *buf, size_t len) {
    snprintf(buf, len, "Ref#<%08X.%llu.%u>", (unsigned)ref.node,
             (unsigned long long)ref.id, (unsigned)ref.creation);
    return buf;
}

erg_err_t erg_ref_is_alive(erg_ref_t ref, bool *alive) {
    if (alive == NULL || ref.deadline_ms == 0)
        return ERG_EINVAL;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    *alive = now < ref.deadline_ms;
    return ERG_OK;
}

bool erg_alias_equal(erg_alias_t a, erg_alias_t b) {
    return a.id == b.id && a.node == b.node && a.creation == b.creation;
}

char *erg_alias_format(erg_alias_t alias, char *buf, size_t len) {
    snprintf(buf, len, "Alias#<%08X.%llu.%u>", (unsigned)alias.node,
             (unsigned long long)alias.id, (unsigned)alias.creation);
    return buf;
}

erg_target_t erg_to_pid(erg_pid_t pid) {
    return (erg_target_t){ERG_TARGET_PID, pid.node, pid, {0, 0, 0}, NULL,
                          NULL};
}

erg_target_t erg_to_name(const char *name) {
    return (erg_target_t){ERG_TARGET_NAME, 0, {0, 0, 0}, {0, 0, 0}, name,
                          NULL};
}

erg_target_t erg_to_alias(erg_alias_t alias) {
    return (erg_target_t){ERG_TARGET_ALIAS, alias.node, {0, 0, 0}, alias,
                          NULL, NULL};
}

erg_target_t erg_to_event(const char *event_name) {
    return (erg_target_t){ERG_TARGET_EVENT, 0, {0, 0, 0}, {0, 0, 0},
                          event_name, NULL};
}

erg_target_t erg_to_node(const char *node_name) {
    return (erg_target_t){ERG_TARGET_NODE, erg_node_hash(node_name),
                          {0, 0, 0}, {0, 0, 0}, node_name, node_name};
}

erg_target_t erg_to_remote_name(const char *name, const char *node_name) {
    return (erg_target_t){ERG_TARGET_NAME, erg_node_hash(node_name),
                          {0, 0, 0}, {0, 0, 0}, name, node_name};
}

erg_target_t erg_to_remote_event(const char *event_name,
                                 const char *node_name) {
    return (erg_target_t){ERG_TARGET_EVENT, erg_node_hash(node_name),
                          {0, 0, 0}, {0, 0, 0}, event_name, node_name};
}
