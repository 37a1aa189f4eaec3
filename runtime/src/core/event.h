/* SPDX-License-Identifier: MIT */
/* event.h: the node's event registry and its subscriptions. */
#ifndef ERG_CORE_EVENT_H
#define ERG_CORE_EVENT_H

#include "core/actor.h"

/* A registered event, refcounted so in-flight event mail can name it. */
typedef struct erg__event_s {
    atomic_uint refs;
    erg_pid_t producer;
    uint64_t token_id;
    bool notify;
    unsigned buf_cap, buf_len, buf_head;
    erg_msg_t **buf;
    int64_t *buf_time;
    erg__queue_t subs; /* erg__watch_t */
    unsigned nsubs;
    char name[];
} erg__event_t;

void erg__event_retain(erg__event_t *ev);
void erg__event_release(erg__event_t *ev);

/* Adds watch w (owner self) to event name and delivers the buffer to
 * self; s records where w went. ERG_ENOEVENT. */
erg_err_t erg__event_subscribe(erg_proc_t *self, const char *name,
                               erg__watch_t *w, erg__sub_t *s);
/* Removes s's watch from its event, if the event still holds it. */
void erg__event_unsubscribe(erg_node_t *node, erg__sub_t *s);
/* Unregisters every event of producer (it terminated with reason). */
void erg__events_owner_gone(erg_node_t *node, erg_pid_t producer,
                            erg_reason_t reason);
/* Frees what is left at node end. */
void erg__events_fini(erg_node_t *node);

#endif /* ERG_CORE_EVENT_H */
