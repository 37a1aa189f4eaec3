/* SPDX-License-Identifier: MIT */
/* versions.h: which message versions a node and its peers can decode. */
#ifndef ERG_NET_VERSIONS_H
#define ERG_NET_VERSIONS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "erg/codec.h"
#include "erg/control.h"
#include "erg/err.h"
#include "erg/msg.h"
#include "net/frame.h"
#include "util/hmap.h"

/* One message or event version this node knows, with its traffic. */
typedef struct erg__vtype_s {
    const erg_codec_desc_t *desc;
    const erg_codec_registry_t *reg; /* where its conversions are */
    atomic_uint_fast64_t sent, received, converted, refused;
} erg__vtype_t;

/*
 * The node's table, built once from its registries and immutable after,
 * so readers take no lock: by descriptor (a sender's typed message) and by
 * (wire id, version) (a received frame).
 */
typedef struct erg__vtable_s {
    erg__vtype_t *types;
    size_t ntypes;
    erg__hmap_t by_desc; /* desc pointer -> vtype */
    erg__hmap_t by_wire; /* wire_id ^ version mix -> vtype (chained by
                            probing on the exact pair, see versions.c) */
} erg__vtable_t;

erg_err_t erg__vtable_init(erg__vtable_t *t,
                           const erg_codec_registry_t *const *regs,
                           unsigned nregs);
void erg__vtable_fini(erg__vtable_t *t);
erg__vtype_t *erg__vtable_by_desc(const erg__vtable_t *t,
                                  const erg_codec_desc_t *d);
erg__vtype_t *erg__vtable_by_wire(const erg__vtable_t *t, uint64_t wire_id,
                                  uint32_t version);

/* erg__vtable_advertise appends a REGISTRY frame listing every version. */
erg_err_t erg__vtable_advertise(const erg__vtable_t *t, erg__buf_t *out);

/* A version a peer advertised. */
typedef struct erg__pver_s {
    uint64_t wire_id;
    uint32_t version;
    bool mismatch; /* we have it with another fingerprint: refused */
    uint8_t fingerprint[32];
} erg__pver_t;

/* What a peer can decode, sorted by (wire id, version); immutable once
 * the peer is up. */
typedef struct erg__ptable_s {
    erg__pver_t *v;
    size_t n;
} erg__ptable_t;

/*
 * erg__ptable_from builds a peer's table from its Registry and logs (at
 * warning, through log(arg, text)) every version both sides have with
 * different fingerprints. ERG_ENOMEM, ERG_EPEER (a fingerprint that is
 * not 32 bytes).
 */
erg_err_t erg__ptable_from(erg__ptable_t *pt, const erg__vtable_t *local,
                           const erg_net_registry_v1_t *reg,
                           const char *peer,
                           void (*log)(void *arg, const char *text),
                           void *arg);
void erg__ptable_fini(erg__ptable_t *pt);
const erg__pver_t *erg__ptable_find(const erg__ptable_t *pt, uint64_t wire_id,
                                    uint32_t version);

/*
 * erg__version_pick chooses what to send for a value of `desc` to a peer;
 * mine is desc's entry in t (erg__vtable_by_desc), NULL if it has none:
 * mine itself when the peer decodes it, else the highest version the peer
 * decodes that the registry's conversions reach (*to, with the converted
 * value in *conv, freed with erg_codec_free((*to)->desc)). On failure *why
 * gets a message naming the type, both sides' versions and the peer:
 * ERG_EVERSION (no path), ERG_EFINGERPRINT (the version is refused on this
 * link), ERG_ENOTSUP (the type is in none of the node's registries).
 */
erg_err_t erg__version_pick(const erg__vtable_t *t, const erg__ptable_t *pt,
                            const char *peer, const erg_codec_desc_t *desc,
                            erg__vtype_t *mine, const void *value,
                            erg__vtype_t **to, void **conv, char *why,
                            size_t whylen);

/*
 * erg__version_adapt converts a typed message for an actor that does not
 * accept its version: to the highest version of the same type the actor's
 * dispatch table accepts that the conversions reach. ERG_ENOTACCEPTED when
 * the actor accepts no version of it or none is reachable.
 */
erg_err_t erg__version_adapt(const erg__vtable_t *t,
                             const erg_codec_actor_t *actor,
                             const erg_msg_t *msg, erg_msg_t **out);

#endif /* ERG_NET_VERSIONS_H */
