/* SPDX-License-Identifier: MIT */
/* registrar.h: the embedded registrar: serving it, registering with it,
 * and resolving node names through it (docs/registrar.md). */
#ifndef ERG_NET_REGISTRAR_H
#define ERG_NET_REGISTRAR_H

#include <stdbool.h>
#include <stdint.h>

#include "erg/err.h"

typedef struct erg__net_s erg__net_t;
typedef struct erg__peer_s erg__peer_t;
typedef struct erg__registrar_s erg__registrar_t;

/*
 * erg__registrar_start (erg_net_start, before the loop thread runs) sets
 * net->registrar up from net->opts.registrar and makes the first attempt:
 * binding the registrar port to serve it, else connecting to the node that
 * serves it to register this node's name with its acceptor at
 * self_host:self_port (port 0: resolve only, nothing registered). The
 * answer comes later, on the loop thread: wait for it with
 * erg__registrar_wait. ERG_ENOMEM.
 */
erg_err_t erg__registrar_start(erg__net_t *net, const char *self_host,
                               uint16_t self_port);

/*
 * erg__registrar_wait (erg_net_start, once the loop thread runs) blocks
 * until the first registration is answered: ERG_OK (served or
 * registered), ERG_ETAKEN (the name is registered by another node),
 * ERG_ENOCONN or ERG_ETIMEDOUT (no registrar could be served or reached
 * after a few tries).
 */
erg_err_t erg__registrar_wait(erg__net_t *net);

/* Loop thread, node stopping: closes every registrar handle and drops the
 * lookups in flight (their peers are downed by the caller). */
void erg__registrar_stop(erg__net_t *net);

/* After the loop thread ended: frees what is left. NULL-safe. */
void erg__registrar_free(erg__registrar_t *r);

/*
 * Loop thread: looks p's name up. The answer reaches
 * erg__net_resolved(p, ...) exactly once, now (this node serves the
 * registrar) or when the serving node answers; a peer that went down
 * meanwhile is left alone.
 */
void erg__registrar_resolve(erg__net_t *net, erg__peer_t *p);

/* Any thread: whether this node serves the registrar now. */
bool erg__registrar_serving(erg__registrar_t *r);

#endif /* ERG_NET_REGISTRAR_H */
