/* SPDX-License-Identifier: MIT */
/* events.h: remote events subscribed to once per node (events.c). */
#ifndef ERG_NET_EVENTS_H
#define ERG_NET_EVENTS_H

#include <stdbool.h>

#include "net/net.h"

/* erg__revent_add adds a local subscriber (owner, its own ref) to event
 * name at peer; *first says the node must subscribe now, under *node_ref.
 * ERG_ENOMEM. */
erg_err_t erg__revent_add(erg__net_t *net, uint32_t peer, const char *name,
                          erg_pid_t owner, erg_ref_t ref, erg_ref_t *node_ref,
                          bool *first);

/* erg__revent_remove removes the subscriber under ref; true when it was the
 * last, and the node-level watch *node_ref must be removed at the peer. */
bool erg__revent_remove(erg__net_t *net, uint32_t peer, const char *name,
                        erg_ref_t ref, erg_ref_t *node_ref);

/* watch.c: fires the record of a local watch under ref (if it has not
 * fired yet) with from and reason. */
void erg__rwatch_fire(erg__net_t *net, erg_ref_t ref, erg_pid_t from,
                      erg_reason_t reason);

/* remote.c: the message a data or publish frame carries. */
erg_err_t erg__remote_take_msg(erg__link_t *l, const erg__data_t *d,
                               erg_msg_t **out, erg__vtype_t **vtp, char *why,
                               size_t whylen);

#endif /* ERG_NET_EVENTS_H */
