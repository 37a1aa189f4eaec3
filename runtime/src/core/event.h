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
/* erg__event_deliver_to queues msg (retained) for subscriber to as an
 * event message of ev. */
void erg__event_deliver_to(erg__event_t *ev, erg_proc_t *to, erg_msg_t *msg,
                           int64_t time_ns);
/* A stand-in for a remote node's event, unregistered, so its messages are
 * delivered like local ones (name and producer); released as any event. */
erg__event_t *erg__event_proxy_new(const char *name, erg_pid_t producer);
/* A node subscribes (once for all its processes) to local event name, as
 * owner (its node pid) under ref: ERG_ENOEVENT. The buffer is published to
 * it at once. _unsubscribe_remote removes it again. */
erg_err_t erg__event_subscribe_remote(erg_node_t *node, const char *name,
                                      erg_pid_t owner, erg_ref_t ref,
                                      bool link);
void erg__event_unsubscribe_remote(erg_node_t *node, const char *name,
                                   erg_ref_t ref);
/* Frees what is left at node end. */
void erg__events_fini(erg_node_t *node);

#endif /* ERG_CORE_EVENT_H */
