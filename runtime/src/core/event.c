/* SPDX-License-Identifier: MIT */
/* event.c: events: registration, publishing with a buffer, subscriptions. */
#include "core/event.h"

#include <string.h>

#include "erg/event.h"
#include "net/remote.h"
#include "util/alloc.h"

void erg__event_retain(erg__event_t *ev) {
    atomic_fetch_add_explicit(&ev->refs, 1, memory_order_relaxed);
}

void erg__event_release(erg__event_t *ev) {
    if (atomic_fetch_sub_explicit(&ev->refs, 1, memory_order_acq_rel) != 1)
        return;
    for (unsigned i = 0; i < ev->buf_len; i++)
        erg_msg_release(ev->buf[(ev->buf_head + i) % ev->buf_cap]);
    erg__free(ev->buf);
    erg__free(ev->buf_time);
    erg__free(ev);
}

/* Tells the producer its first subscriber came or its last one left. */
static void note_producer(erg_node_t *node, erg__event_t *ev, bool start) {
    size_t len = strlen(ev->name) + 1;
    erg_msg_t *m;
    if (erg__msg_new_sys(start ? ERG_TYPE_EVENT_START : ERG_TYPE_EVENT_STOP,
                         sizeof(erg_event_note_t), len, NULL, &m) != ERG_OK)
        return;
    erg_event_note_t *note = erg_msg_data(m);
    char *copy = (char *)(note + 1);
    memcpy(copy, ev->name, len);
    note->event = copy;
    if (erg__deliver(node, NULL, node->pid, erg_to_pid(ev->producer), m,
                     ERG_PRIORITY_HIGH, ERG__MAIL_MSG,
                     (erg_ref_t){0}) != ERG_OK)
        erg_msg_release(m);
}

/* One delivery of msg to a subscriber; under events_lock (or, for a
 * remote event's proxy, on the network thread). */
void erg__event_deliver_to(erg__event_t *ev, erg_proc_t *to, erg_msg_t *msg,
                           int64_t time_ns) {
    erg_msg_retain(msg);
    erg__mail_t *mail = erg__mail_new(ERG__MAIL_EVENT, msg);
    if (mail == NULL) {
        erg_msg_release(msg);
        return;
    }
    erg__event_retain(ev);
    mail->from = ev->producer;
    mail->ptr = ev;
    mail->ref.deadline_ms = time_ns; /* the publishing time rides here */
    if (erg__proc_push(to, mail, ERG__MAILBOX_MAIN) != ERG_OK) {
        erg__event_release(ev);
        erg__mail_free(mail);
    }
}

erg_err_t erg_event_register(erg_proc_t *self, const char *name,
                             const erg_event_opts_t *opts, erg_ref_t *token) {
    if (self == NULL || name == NULL || name[0] == '\0' ||
        strlen(name) > 255 || token == NULL)
        return ERG_EINVAL;
    erg_node_t *node = self->node;
    size_t len = strlen(name) + 1;
    erg__event_t *ev = erg__calloc(1, sizeof(*ev) + len);
    if (ev == NULL)
        return ERG_ENOMEM;
    atomic_init(&ev->refs, 1);
    memcpy(ev->name, name, len);
    ev->producer = self->pid;
    erg_ref_t ref = erg__node_make_ref(node);
    ev->token_id = ref.id;
    erg__queue_init(&ev->subs);
    if (opts != NULL) {
        ev->notify = opts->notify;
        ev->buf_cap = opts->buffer;
    }
    if (ev->buf_cap > 0) {
        ev->buf = erg__calloc(ev->buf_cap, sizeof(*ev->buf));
        ev->buf_time = erg__calloc(ev->buf_cap, sizeof(*ev->buf_time));
        if (ev->buf == NULL || ev->buf_time == NULL) {
            erg__event_release(ev);
            return ERG_ENOMEM;
        }
    }
    pthread_mutex_lock(&node->events_lock);
    erg_err_t rv = erg__hmap_put_str(&node->events, name, ev);
    pthread_mutex_unlock(&node->events_lock);
    if (rv != ERG_OK) {
        erg__event_release(ev);
        return rv == ERG_EEXIST ? ERG_ETAKEN : rv;
    }
    erg__spin_lock(&self->lock);
    self->nevents++;
    erg__spin_unlock(&self->lock);
    *token = ref;
    return ERG_OK;
}

static void fire_subs(erg_node_t *node, erg__event_t *ev,
                      erg_reason_t reason) {
    while (!erg__queue_empty(&ev->subs)) {
        erg__queue_t *q = erg__queue_head(&ev->subs);
        erg__queue_remove(q);
        erg__notify_watch(node, ERG__QUEUE_DATA(q, erg__watch_t, link),
                          ev->producer, ev->name, reason);
    }
    ev->nsubs = 0;
}

erg_err_t erg_event_unregister(erg_proc_t *self, const char *name) {
    if (self == NULL || name == NULL)
        return ERG_EINVAL;
    erg_node_t *node = self->node;
    pthread_mutex_lock(&node->events_lock);
    erg__event_t *ev = erg__hmap_get_str(&node->events, name);
    erg_err_t rv = ev == NULL                               ? ERG_ENOEVENT
                   : !erg_pid_equal(ev->producer, self->pid) ? ERG_ENOTOWNER
                                                             : ERG_OK;
    if (rv == ERG_OK)
        erg__hmap_del_str(&node->events, name);
    pthread_mutex_unlock(&node->events_lock);
    if (rv != ERG_OK)
        return rv;
    /* Out of the map, ev's list is ours alone. */
    fire_subs(node, ev, (erg_reason_t)ERG_EUNREGISTERED);
    erg__event_release(ev);
    erg__spin_lock(&self->lock);
    self->nevents--;
    erg__spin_unlock(&self->lock);
    return ERG_OK;
}

/* One delivery to subscription w: to its process, or to a node that
 * subscribed once for its processes. Under events_lock. */
static void deliver_to_sub(erg_node_t *node, erg__event_t *ev,
                           const erg__watch_t *w, erg_msg_t *msg,
                           int64_t time_ns) {
    if (w->proc != NULL)
        erg__event_deliver_to(ev, w->proc, msg, time_ns);
    else
        erg__net_publish(node, w->owner.node, ev->name, ev->producer, msg,
                         time_ns);
}

/* Adds subscription w to ev and gives it the buffer. Under events_lock. */
static void add_sub(erg_node_t *node, erg__event_t *ev, erg__watch_t *w) {
    erg__queue_insert_tail(&ev->subs, &w->link);
    if (++ev->nsubs == 1 && ev->notify)
        note_producer(node, ev, true);
    for (unsigned i = 0; i < ev->buf_len; i++) {
        unsigned slot = (ev->buf_head + i) % ev->buf_cap;
        deliver_to_sub(node, ev, w, ev->buf[slot], ev->buf_time[slot]);
    }
}

/* Takes subscription w out of ev. Under events_lock. */
static void drop_sub(erg_node_t *node, erg__event_t *ev, erg__watch_t *w) {
    erg__queue_remove(&w->link);
    if (--ev->nsubs == 0 && ev->notify)
        note_producer(node, ev, false);
}

erg_err_t erg_event_send(erg_proc_t *self, const char *name, erg_ref_t token,
                         erg_msg_t *msg) {
    if (self == NULL || name == NULL || msg == NULL)
        return ERG_EINVAL;
    erg_node_t *node = self->node;
    int64_t now = (int64_t)erg__now_ms() * 1000000;
    pthread_mutex_lock(&node->events_lock);
    erg__event_t *ev = erg__hmap_get_str(&node->events, name);
    erg_err_t rv = ev == NULL                  ? ERG_ENOEVENT
                   : ev->token_id != token.id ? ERG_ENOTOWNER
                                              : ERG_OK;
    if (rv == ERG_OK) {
        if (ev->buf_cap > 0) {
            unsigned slot = (ev->buf_head + ev->buf_len) % ev->buf_cap;
            if (ev->buf_len == ev->buf_cap) {
                erg_msg_release(ev->buf[ev->buf_head]);
                ev->buf_head = (ev->buf_head + 1) % ev->buf_cap;
            } else {
                ev->buf_len++;
            }
            erg_msg_retain(msg);
            ev->buf[slot] = msg;
            ev->buf_time[slot] = now;
        }
        /* Under the lock, so a new subscriber's buffer comes first. */
        erg__queue_t *q;
        ERG__QUEUE_FOREACH(q, &ev->subs) {
            deliver_to_sub(node, ev, ERG__QUEUE_DATA(q, erg__watch_t, link),
                           msg, now);
        }
    }
    pthread_mutex_unlock(&node->events_lock);
    if (rv == ERG_OK)
        erg_msg_release(msg); /* the caller's reference, taken */
    return rv;
}

erg_err_t erg__event_subscribe(erg_proc_t *self, const char *name,
                               erg__watch_t *w, erg__sub_t *s) {
    erg_node_t *node = self->node;
    pthread_mutex_lock(&node->events_lock);
    erg__event_t *ev = erg__hmap_get_str(&node->events, name);
    if (ev == NULL) {
        pthread_mutex_unlock(&node->events_lock);
        return ERG_ENOEVENT;
    }
    s->event = ev;
    s->event_token = ev->token_id;
    s->watch = w;
    add_sub(node, ev, w);
    pthread_mutex_unlock(&node->events_lock);
    return ERG_OK;
}

void erg__event_unsubscribe(erg_node_t *node, erg__sub_t *s) {
    erg__watch_t *found = NULL;
    pthread_mutex_lock(&node->events_lock);
    /*
     * An event fires (and frees) its watches only after leaving the map,
     * so if the very registration s joined is still in the map, s's watch
     * is still in its list. The token tells a new event at a recycled
     * address from the old one.
     */
    erg__event_t *ev = erg__hmap_get_str(&node->events, s->name);
    if (ev != NULL && ev == s->event && ev->token_id == s->event_token) {
        found = s->watch;
        drop_sub(node, ev, found);
    }
    pthread_mutex_unlock(&node->events_lock);
    if (found != NULL) {
        erg__proc_release(found->proc);
        erg__free(found);
    }
}

erg__event_t *erg__event_proxy_new(const char *name, erg_pid_t producer) {
    size_t len = strlen(name) + 1;
    erg__event_t *ev = erg__calloc(1, sizeof(*ev) + len);
    if (ev == NULL)
        return NULL;
    atomic_init(&ev->refs, 1);
    memcpy(ev->name, name, len);
    ev->producer = producer;
    erg__queue_init(&ev->subs);
    return ev;
}

erg_err_t erg__event_subscribe_remote(erg_node_t *node, const char *name,
                                      erg_pid_t owner, erg_ref_t ref,
                                      bool link) {
    erg__watch_t *w = erg__watch_new(link ? ERG__WATCH_LINK
                                          : ERG__WATCH_MONITOR,
                                     erg_to_event(name), owner, ref);
    if (w == NULL)
        return ERG_ENOMEM;
    pthread_mutex_lock(&node->events_lock);
    erg__event_t *ev = erg__hmap_get_str(&node->events, name);
    if (ev == NULL) {
        pthread_mutex_unlock(&node->events_lock);
        erg__free(w);
        return ERG_ENOEVENT;
    }
    add_sub(node, ev, w);
    pthread_mutex_unlock(&node->events_lock);
    return ERG_OK;
}

void erg__event_unsubscribe_remote(erg_node_t *node, const char *name,
                                   erg_ref_t ref) {
    erg__watch_t *found = NULL;
    pthread_mutex_lock(&node->events_lock);
    erg__event_t *ev = erg__hmap_get_str(&node->events, name);
    if (ev != NULL) {
        erg__queue_t *q;
        ERG__QUEUE_FOREACH(q, &ev->subs) {
            erg__watch_t *w = ERG__QUEUE_DATA(q, erg__watch_t, link);
            if (w->proc == NULL && erg_ref_equal(w->ref, ref)) {
                found = w;
                break;
            }
        }
        if (found != NULL)
            drop_sub(node, ev, found);
    }
    pthread_mutex_unlock(&node->events_lock);
    erg__free(found);
}

typedef struct owned_s {
    erg_pid_t producer;
    erg__event_t **evs;
    size_t n, cap;
} owned_t;

static void find_owned(const char *skey, uint64_t ikey, void *val, void *arg) {
    (void)skey;
    (void)ikey;
    owned_t *o = arg;
    erg__event_t *ev = val;
    if (!erg_pid_equal(ev->producer, o->producer))
        return;
    if (o->n == o->cap) {
        size_t cap = o->cap == 0 ? 4 : o->cap * 2;
        erg__event_t **a = erg__realloc(o->evs, cap * sizeof(*a));
        if (a == NULL)
            return;
        o->evs = a;
        o->cap = cap;
    }
    o->evs[o->n++] = ev;
}

void erg__events_owner_gone(erg_node_t *node, erg_pid_t producer,
                            erg_reason_t reason) {
    owned_t o = {producer, NULL, 0, 0};
    pthread_mutex_lock(&node->events_lock);
    erg__hmap_foreach(&node->events, find_owned, &o);
    for (size_t i = 0; i < o.n; i++)
        erg__hmap_del_str(&node->events, o.evs[i]->name);
    pthread_mutex_unlock(&node->events_lock);
    for (size_t i = 0; i < o.n; i++) {
        fire_subs(node, o.evs[i], reason);
        erg__event_release(o.evs[i]);
    }
    erg__free(o.evs);
}

static void free_left(const char *skey, uint64_t ikey, void *val, void *arg) {
    (void)skey;
    (void)ikey;
    (void)arg;
    erg__event_release(val);
}

void erg__events_fini(erg_node_t *node) {
    /* Producers unregister theirs when they terminate; nothing should be
     * left, but a map must not leak what it holds. */
    erg__hmap_foreach(&node->events, free_left, NULL);
    erg__hmap_fini(&node->events);
}

erg_err_t erg_node_event_subscribers(erg_node_t *node, const char *name,
                                     unsigned *count) {
    if (node == NULL || name == NULL || count == NULL)
        return ERG_EINVAL;
    pthread_mutex_lock(&node->events_lock);
    erg__event_t *ev = erg__hmap_get_str(&node->events, name);
    if (ev != NULL)
        *count = ev->nsubs;
    pthread_mutex_unlock(&node->events_lock);
    return ev != NULL ? ERG_OK : ERG_ENOEVENT;
}
