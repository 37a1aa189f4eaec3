/* SPDX-License-Identifier: MIT */
/* versions.c: the node's and its peers' decodable versions, and choosing
 * (and converting to) the version a message travels or arrives in. */
#include "net/versions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/typed.h"
#include "erg/typed.h"
#include "util/alloc.h"

static int cmp_vtype(const void *a, const void *b) {
    const erg_codec_desc_t *x = ((const erg__vtype_t *)a)->desc;
    const erg_codec_desc_t *y = ((const erg__vtype_t *)b)->desc;
    if (x->wire_id != y->wire_id)
        return x->wire_id < y->wire_id ? -1 : 1;
    return x->version < y->version ? -1 : x->version > y->version;
}

erg_err_t erg__vtable_init(erg__vtable_t *t,
                           const erg_codec_registry_t *const *regs,
                           unsigned nregs) {
    memset(t, 0, sizeof(*t));
    erg__hmap_init(&t->by_desc);
    erg__hmap_init(&t->by_wire);
    size_t n = 0;
    for (unsigned i = 0; i < nregs; i++) {
        if (regs[i] == NULL || regs[i]->magic != ERG_CODEC_MAGIC)
            return ERG_EINVAL;
        n += regs[i]->ntypes;
    }
    t->types = erg__calloc(n != 0 ? n : 1, sizeof(*t->types));
    if (t->types == NULL)
        return ERG_ENOMEM;
    /* A schema imported by two registries lists its versions twice: keep
     * the first, whose conversions are the same. */
    for (unsigned i = 0; i < nregs; i++)
        for (size_t k = 0; k < regs[i]->ntypes; k++) {
            const erg_codec_desc_t *d = regs[i]->types[k];
            bool dup = false;
            for (size_t j = 0; j < t->ntypes && !dup; j++)
                dup = t->types[j].desc->wire_id == d->wire_id &&
                      t->types[j].desc->version == d->version;
            if (dup)
                continue;
            t->types[t->ntypes].desc = d;
            t->types[t->ntypes].reg = regs[i];
            t->ntypes++;
        }
    qsort(t->types, t->ntypes, sizeof(*t->types), cmp_vtype);
    for (size_t j = 0; j < t->ntypes; j++) {
        erg__vtype_t *v = &t->types[j];
        if (erg__hmap_put_u64(&t->by_desc, (uint64_t)(uintptr_t)v->desc, v) !=
            ERG_OK)
            return ERG_ENOMEM;
        if (j == 0 || t->types[j - 1].desc->wire_id != v->desc->wire_id)
            if (erg__hmap_put_u64(&t->by_wire, v->desc->wire_id, v) != ERG_OK)
                return ERG_ENOMEM;
    }
    return ERG_OK;
}

void erg__vtable_fini(erg__vtable_t *t) {
    erg__hmap_fini(&t->by_desc);
    erg__hmap_fini(&t->by_wire);
    erg__free(t->types);
    memset(t, 0, sizeof(*t));
}

erg__vtype_t *erg__vtable_by_desc(const erg__vtable_t *t,
                                  const erg_codec_desc_t *d) {
    return erg__hmap_get_u64(&t->by_desc, (uint64_t)(uintptr_t)d);
}

erg__vtype_t *erg__vtable_by_wire(const erg__vtable_t *t, uint64_t wire_id,
                                  uint32_t version) {
    erg__vtype_t *v = erg__hmap_get_u64(&t->by_wire, wire_id);
    if (v == NULL)
        return NULL;
    for (; v < t->types + t->ntypes && v->desc->wire_id == wire_id; v++)
        if (v->desc->version == version)
            return v;
    return NULL;
}

erg_err_t erg__vtable_advertise(const erg__vtable_t *t, erg__buf_t *out) {
    erg_net_type_version_t *tv =
        erg__calloc(t->ntypes != 0 ? t->ntypes : 1, sizeof(*tv));
    if (tv == NULL)
        return ERG_ENOMEM;
    for (size_t i = 0; i < t->ntypes; i++) {
        const erg_codec_desc_t *d = t->types[i].desc;
        tv[i].name = (erg_str_t){d->name, strlen(d->name)};
        tv[i].wire_id = d->wire_id;
        tv[i].version = d->version;
        tv[i].fingerprint = ERG_BYTES(d->fingerprint, 32);
    }
    erg_net_registry_v1_t reg = {{tv, t->ntypes}};
    erg_err_t rv = erg__frame_put_ctl(out, ERG__FRAME_REGISTRY,
                                      &erg_net_registry_v1_desc, &reg);
    erg__free(tv);
    return rv;
}

static int cmp_pver(const void *a, const void *b) {
    const erg__pver_t *x = a, *y = b;
    if (x->wire_id != y->wire_id)
        return x->wire_id < y->wire_id ? -1 : 1;
    return x->version < y->version ? -1 : x->version > y->version;
}

static void hex(const uint8_t *fp, char *out) {
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", fp[i]);
}

erg_err_t erg__ptable_from(erg__ptable_t *pt, const erg__vtable_t *local,
                           const erg_net_registry_v1_t *reg,
                           const char *peer,
                           void (*log)(void *arg, const char *text),
                           void *arg) {
    size_t n = reg->types.len;
    pt->v = erg__calloc(n != 0 ? n : 1, sizeof(*pt->v));
    pt->n = 0;
    if (pt->v == NULL)
        return ERG_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const erg_net_type_version_t *tv = &reg->types.ptr[i];
        if (tv->fingerprint.len != 32) {
            erg__ptable_fini(pt);
            return ERG_EPEER;
        }
        erg__pver_t *p = &pt->v[pt->n++];
        p->wire_id = tv->wire_id;
        p->version = tv->version;
        memcpy(p->fingerprint, tv->fingerprint.ptr, 32);
        const erg__vtype_t *mine =
            erg__vtable_by_wire(local, tv->wire_id, tv->version);
        if (mine != NULL &&
            memcmp(mine->desc->fingerprint, p->fingerprint, 32) != 0) {
            p->mismatch = true;
            char a[65], b[65], text[512];
            hex(mine->desc->fingerprint, a);
            hex(p->fingerprint, b);
            snprintf(text, sizeof(text),
                     "%s v%u is refused on the link to %s in both "
                     "directions: fingerprint here sha256:%s, there "
                     "sha256:%s",
                     mine->desc->name, (unsigned)tv->version, peer, a, b);
            log(arg, text);
        }
    }
    qsort(pt->v, pt->n, sizeof(*pt->v), cmp_pver);
    return ERG_OK;
}

void erg__ptable_fini(erg__ptable_t *pt) {
    erg__free(pt->v);
    pt->v = NULL;
    pt->n = 0;
}

const erg__pver_t *erg__ptable_find(const erg__ptable_t *pt, uint64_t wire_id,
                                    uint32_t version) {
    erg__pver_t key = {.wire_id = wire_id, .version = version};
    return bsearch(&key, pt->v, pt->n, sizeof(*pt->v), cmp_pver);
}

/* Appends " v1, v2" of a type's versions in a peer's table to buf. */
static void peer_versions(const erg__ptable_t *pt, uint64_t wire_id,
                          char *buf, size_t len) {
    size_t used = strlen(buf);
    bool any = false;
    for (size_t i = 0; i < pt->n && used < len; i++)
        if (pt->v[i].wire_id == wire_id) {
            used += (size_t)snprintf(buf + used, len - used, "%sv%u",
                                     any ? ", " : "",
                                     (unsigned)pt->v[i].version);
            any = true;
        }
    if (!any && used < len)
        snprintf(buf + used, len - used, "none");
}

static void local_versions(const erg__vtable_t *t, uint64_t wire_id,
                           char *buf, size_t len) {
    size_t used = strlen(buf);
    bool any = false;
    erg__vtype_t *v = erg__hmap_get_u64(&t->by_wire, wire_id);
    for (; v != NULL && v < t->types + t->ntypes &&
           v->desc->wire_id == wire_id && used < len;
         v++) {
        used += (size_t)snprintf(buf + used, len - used, "%sv%u",
                                 any ? ", " : "", (unsigned)v->desc->version);
        any = true;
    }
}

erg_err_t erg__version_pick(const erg__vtable_t *t, const erg__ptable_t *pt,
                            const char *peer, const erg_codec_desc_t *desc,
                            erg__vtype_t *mine, const void *value,
                            erg__vtype_t **to, void **conv, char *why,
                            size_t whylen) {
    *to = mine;
    *conv = NULL;
    if (mine == NULL) {
        snprintf(why, whylen,
                 "%s v%u is in none of this node's registries "
                 "(erg_net_opts_t.registries)",
                 desc->name, (unsigned)desc->version);
        return ERG_ENOTSUP;
    }
    const erg__pver_t *same = erg__ptable_find(pt, desc->wire_id,
                                               desc->version);
    if (same != NULL && same->mismatch) {
        char a[65], b[65];
        hex(desc->fingerprint, a);
        hex(same->fingerprint, b);
        snprintf(why, whylen,
                 "%s v%u is refused on the link to %s: fingerprint here "
                 "sha256:%s, there sha256:%s",
                 desc->name, (unsigned)desc->version, peer, a, b);
        return ERG_EFINGERPRINT;
    }
    if (same != NULL)
        return ERG_OK;
    /* The highest version the peer decodes (with the same shape as ours)
     * that the conversions reach. */
    for (size_t i = pt->n; i-- > 0;) {
        const erg__pver_t *p = &pt->v[i];
        if (p->wire_id != desc->wire_id || p->mismatch)
            continue;
        erg__vtype_t *target = erg__vtable_by_wire(t, p->wire_id, p->version);
        if (target == NULL)
            continue;
        if (erg_codec_convert(mine->reg, desc, target->desc, value, conv) ==
            ERG_OK) {
            *to = target;
            return ERG_OK;
        }
    }
    snprintf(why, whylen, "cannot send %s v%u to %s: it decodes ",
             desc->name, (unsigned)desc->version, peer);
    peer_versions(pt, desc->wire_id, why, whylen);
    size_t used = strlen(why);
    if (used < whylen)
        snprintf(why + used, whylen - used,
                 "; this node has ");
    local_versions(t, desc->wire_id, why, whylen);
    used = strlen(why);
    if (used < whylen)
        snprintf(why + used, whylen - used,
                 " and no conversion reaches one of them");
    return ERG_EVERSION;
}

erg_err_t erg__version_adapt(const erg__vtable_t *t,
                             const erg_codec_actor_t *actor,
                             const erg_msg_t *msg, erg_msg_t **out) {
    const erg_codec_desc_t *desc = erg_typed_msg_desc(msg);
    const erg__vtype_t *mine = desc != NULL ? erg__vtable_by_desc(t, desc)
                                            : NULL;
    if (mine == NULL || actor == NULL)
        return ERG_ENOTACCEPTED;
    /* The accepted versions of the type, highest first, until one is
     * reached by the conversions. */
    uint32_t below = UINT32_MAX;
    for (;;) {
        const erg_codec_dispatch_t *best = NULL;
        for (size_t i = 0; i < actor->nrows; i++) {
            const erg_codec_dispatch_t *row = &actor->rows[i];
            if (row->msg->wire_id == desc->wire_id &&
                row->msg->version < below &&
                (best == NULL || row->msg->version > best->msg->version))
                best = row;
        }
        if (best == NULL)
            return ERG_ENOTACCEPTED;
        void *conv;
        if (erg_codec_convert(mine->reg, desc, best->msg,
                              erg_typed_msg_value(msg), &conv) == ERG_OK) {
            erg_err_t rv = erg__typed_msg_adopt(best->msg, conv, out);
            if (rv != ERG_OK)
                erg_codec_free(best->msg, conv);
            return rv;
        }
        below = best->msg->version;
    }
}
