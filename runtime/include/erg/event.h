/* SPDX-License-Identifier: MIT */
/* event.h: named events: producers publish, subscribers receive. */
#ifndef ERG_EVENT_H
#define ERG_EVENT_H

#include <stdbool.h>

#include "erg/actor.h"

/*
 * An event (Ergo's gen.Event) is a name a process registers; it publishes
 * messages with the token it got, and every process that linked or
 * monitored the event (erg_link / erg_monitor with erg_to_event(name))
 * receives each message through its handle_event. A subscriber first gets
 * the buffered last N messages, in order, before any newer one. When the
 * producer unregisters the event (reason ERG_EUNREGISTERED) or terminates
 * (its reason), linked subscribers get an exit signal and monitoring ones a
 * down message, once each.
 */
typedef struct erg_event_opts_s {
    bool notify;     /* send ERG_TYPE_EVENT_START/STOP to the producer */
    unsigned buffer; /* keep the last N messages for new subscribers */
} erg_event_opts_t;

/*
 * erg_event_register registers event name (1..255 bytes) owned by self and
 * stores the publishing token in *token. opts may be NULL. ERG_ETAKEN,
 * ERG_EINVAL, ERG_ENOMEM.
 */
ERG_EXTERN erg_err_t erg_event_register(erg_proc_t *self, const char *name,
                                        const erg_event_opts_t *opts,
                                        erg_ref_t *token);

/* erg_event_unregister: ERG_ENOEVENT if unknown, ERG_ENOTOWNER if not
 * self's. */
ERG_EXTERN erg_err_t erg_event_unregister(erg_proc_t *self, const char *name);

/*
 * erg_event_send publishes msg on event name: every subscriber gets it (one
 * shared reference each, no copies). msg is taken on ERG_OK. A subscriber
 * whose mailbox is closed is skipped. ERG_ENOEVENT, ERG_ENOTOWNER (wrong
 * token), ERG_ENOMEM. Any process may publish with the token.
 */
ERG_EXTERN erg_err_t erg_event_send(erg_proc_t *self, const char *name,
                                    erg_ref_t token, erg_msg_t *msg);

/* erg_node_event_subscribers: how many processes subscribe to name now. */
ERG_EXTERN erg_err_t erg_node_event_subscribers(erg_node_t *node,
                                                const char *name,
                                                unsigned *count);

#endif /* ERG_EVENT_H */
