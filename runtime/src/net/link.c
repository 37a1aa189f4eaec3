/* SPDX-License-Identifier: MIT */
/* link.c: one TCP connection: reading frames, batched writes, closing. */
#include <string.h>

#include "core/node.h"
#include "net/net.h"
#include "util/alloc.h"
#include "util/mutex.h"

#define READ_CHUNK (64 * 1024)

erg__link_t *erg__link_new(erg__net_t *net, bool dialer) {
    erg__link_t *l = erg__calloc(1, sizeof(*l));
    if (l == NULL)
        return NULL;
    atomic_init(&l->refs, 1);
    l->net = net;
    l->fd = -1;
    l->dialer = dialer;
    /* Senders and the loop thread meet here on every frame. */
    erg__mutex_init_short(&l->mu);
    erg__queue_init(&l->all);
    return l;
}

void erg__link_retain(erg__link_t *l) {
    atomic_fetch_add_explicit(&l->refs, 1, memory_order_relaxed);
}

void erg__link_release(erg__link_t *l) {
    if (l == NULL ||
        atomic_fetch_sub_explicit(&l->refs, 1, memory_order_acq_rel) != 1)
        return;
    erg__buf_free(&l->in);
    erg__buf_free(&l->out);
    erg__buf_free(&l->wbuf);
    pthread_mutex_destroy(&l->mu);
    erg__free(l);
}

/* A link holds its peer while open; the peer holds its links until it is
 * freed, so the pair never keeps itself alive once closed. */
static void on_handle_closed(uv_handle_t *h) {
    erg__link_t *l = h->data;
    if (--l->open_handles == 0) {
        erg__peer_t *p = l->peer;
        l->peer = NULL;
        erg__queue_remove(&l->all);
        erg__link_release(l); /* the loop's reference */
        if (p != NULL)
            erg__peer_release(p);
    }
}

static void fail(erg__link_t *l, erg_err_t err, const char *why) {
    if (l->state == ERG__LINK_CLOSED)
        return;
    bool was_up = l->state == ERG__LINK_UP;
    erg__link_close(l);
    if (l->peer != NULL && !l->abandoned)
        erg__peer_down(l->peer, err, why);
    else if (!was_up)
        erg__node_logf(l->net->node, ERG_LOG_WARNING,
                       "connection %s%s failed: %s", l->peer_name[0] ? "with " : "",
                       l->peer_name, why);
}

void erg__link_close(erg__link_t *l) {
    if (l->state == ERG__LINK_CLOSED)
        return;
    l->state = ERG__LINK_CLOSED;
    pthread_mutex_lock(&l->mu);
    l->fd = -1; /* no sender writes to a closed (or reused) descriptor */
    pthread_mutex_unlock(&l->mu);
    uv_close((uv_handle_t *)&l->tcp, on_handle_closed);
    uv_close((uv_handle_t *)&l->timer, on_handle_closed);
}

static void on_write(uv_write_t *req, int status) {
    erg__link_t *l = req->data;
    pthread_mutex_lock(&l->mu);
    l->wbuf.len = 0;
    pthread_mutex_unlock(&l->mu);
    if (status < 0) {
        fail(l, ERG_EIO, uv_strerror(status));
    } else if (l->state != ERG__LINK_CLOSED) {
        erg__link_flush(l);
    }
    erg__link_release(l); /* the write's */
}

void erg__link_flush(erg__link_t *l) {
    if (l->state == ERG__LINK_CLOSED)
        return;
    pthread_mutex_lock(&l->mu);
    if (l->wbuf.len != 0 || l->out.len == 0) {
        pthread_mutex_unlock(&l->mu);
        return;
    }
    erg__buf_t t = l->wbuf;
    l->wbuf = l->out;
    l->out = t;
    l->last_write_ns = erg__mono_ns();
    pthread_mutex_unlock(&l->mu);
    uv_buf_t b = uv_buf_init((char *)l->wbuf.p, (unsigned)l->wbuf.len);
    l->wreq.data = l;
    erg__link_retain(l);
    int rc = uv_write(&l->wreq, (uv_stream_t *)&l->tcp, &b, 1, on_write);
    if (rc < 0) {
        pthread_mutex_lock(&l->mu);
        l->wbuf.len = 0;
        pthread_mutex_unlock(&l->mu);
        erg__link_release(l);
        fail(l, ERG_EIO, uv_strerror(rc));
    }
}

/* A link quiet for this long sends a frame at once: a burst arrives faster
 * and is left to the loop to batch. */
#define DIRECT_IDLE_NS 20000u

bool erg__link_write_now(erg__link_t *l, size_t before) {
    if (before != 0 || l->wbuf.len != 0 || l->fd < 0)
        return before == 0;
    uint64_t now = erg__mono_ns();
    bool idle = now - l->last_write_ns > DIRECT_IDLE_NS;
    l->last_write_ns = now;
    if (!idle)
        return true;
    ssize_t n = send(l->fd, l->out.p, l->out.len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n <= 0)
        return true; /* full or failing: the loop writes, or finds out */
    memmove(l->out.p, l->out.p + n, l->out.len - (size_t)n);
    l->out.len -= (size_t)n;
    return l->out.len != 0;
}

void erg__link_kick(erg__link_t *l) {
    erg__net_t *net = l->net;
    pthread_mutex_lock(&net->dirty_mu);
    if (!l->dirty) {
        l->dirty = true;
        erg__link_retain(l);
        l->dirty_next = net->dirty;
        net->dirty = l;
    }
    pthread_mutex_unlock(&net->dirty_mu);
    erg__net_wake(net);
}

erg_err_t erg__link_send_ctl(erg__link_t *l, uint8_t kind,
                             const erg_codec_desc_t *desc, const void *value) {
    pthread_mutex_lock(&l->mu);
    erg_err_t rv = erg__frame_put_ctl(&l->out, kind, desc, value);
    pthread_mutex_unlock(&l->mu);
    if (rv == ERG_OK)
        erg__link_kick(l);
    return rv;
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
    (void)hint;
    erg__link_t *l = h->data;
    if (erg__buf_reserve(&l->in, READ_CHUNK) != ERG_OK) {
        *buf = uv_buf_init(NULL, 0); /* read_cb gets UV_ENOBUFS */
        return;
    }
    *buf = uv_buf_init((char *)l->in.p + l->in.len,
                       (unsigned)(l->in.cap - l->in.len));
}

/* The largest frame this link accepts now: small before the proof. */
static uint32_t frame_cap(const erg__link_t *l) {
    if (l->state != ERG__LINK_UP && l->state != ERG__LINK_REGISTRY)
        return ERG__PREAUTH_MAX;
    return l->net->opts.max_message + 64; /* room for the envelope */
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
    (void)buf;
    erg__link_t *l = s->data;
    if (n < 0) {
        fail(l, n == UV_EOF ? ERG_ENOCONN : ERG_EIO,
             n == UV_EOF ? "closed by the peer" : uv_strerror((int)n));
        return;
    }
    l->in.len += (size_t)n;
    size_t off = 0;
    if (l->state == ERG__LINK_PREAMBLE) {
        if (l->in.len < ERG__PREAMBLE_SIZE)
            return;
        erg_err_t rv = erg__preamble_check(l->in.p);
        if (rv != ERG_OK) {
            fail(l, rv,
                 rv == ERG_EPEER ? "not an erg node (bad preamble)"
                 : rv == ERG_EVERSION
                     ? "another erg protocol version"
                     : "another control schema (erg/control.erg "
                       "fingerprint differs)");
            return;
        }
        off = ERG__PREAMBLE_SIZE;
        l->state = ERG__LINK_HELLO;
    }
    while (l->state != ERG__LINK_CLOSED) {
        erg__frame_t f;
        int r = erg__frame_next(l->in.p + off, l->in.len - off, frame_cap(l),
                                &f);
        if (r == 0)
            break;
        if (r < 0) {
            if (l->state != ERG__LINK_UP)
                erg__hs_refuse(l, (erg_err_t)r, "frame over the limit");
            fail(l, (erg_err_t)r,
                 r == ERG_ETOOBIG ? "a frame over the size limit"
                                  : "a malformed frame");
            return;
        }
        off += f.consumed;
        bool ok = l->state == ERG__LINK_UP ? erg__remote_frame(l, &f)
                                           : erg__hs_frame(l, &f);
        if (!ok) {
            fail(l, ERG_EPEER, "protocol violation");
            return;
        }
    }
    if (l->state == ERG__LINK_CLOSED)
        return;
    memmove(l->in.p, l->in.p + off, l->in.len - off);
    l->in.len -= off;
}

static void on_timeout(uv_timer_t *t) {
    erg__link_t *l = t->data;
    if (l->state != ERG__LINK_UP)
        fail(l, ERG_ETIMEDOUT, "handshake timed out");
}

void erg__link_start(erg__link_t *l) {
    l->tcp.data = l;
    l->timer.data = l;
    uv_tcp_nodelay(&l->tcp, 1);
    uv_timer_start(&l->timer, on_timeout,
                   l->net->opts.handshake_timeout_ms, 0);
    int rc = uv_read_start((uv_stream_t *)&l->tcp, on_alloc, on_read);
    if (rc < 0) {
        fail(l, ERG_EIO, uv_strerror(rc));
        return;
    }
    erg__hs_begin(l);
}
