/* SPDX-License-Identifier: MIT */
/* registrar.c: the embedded registrar, served by one node of a host and
 * used by the others, all on the node's loop thread. */
#include "net/registrar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "core/node.h"
#include "erg/registrar.h"
#include "net/frame.h"
#include "net/net.h"
#include "util/alloc.h"
#include "util/hmap.h"
#include "util/queue.h"

/*
 * Shape (docs/registrar.md). A node first tries to bind the registrar's
 * port: if it can, it serves the registrar (a table of name -> acceptor
 * address, its own entry included) and answers lookups from that table.
 * Otherwise it connects to the port and sends Register; the link stays
 * open, the server drops the entry when it closes, and the node's lookups
 * travel over it as Resolve frames. When the link drops (the serving node
 * died or stopped), every client starts over: bind, else connect, with a
 * capped exponential backoff and a little jitter so they do not all knock
 * at once. Whoever binds serves; the others register with it. A name
 * whose host part is another host's IP address is asked of that host's
 * registrar over UDP instead, as Ergo does.
 *
 * Every input is bounded: a link's bytes go into a fixed buffer of one
 * preamble and one frame (frames are capped at FRAME_MAX), a server keeps
 * at most MAX_CONNS links and MAX_ENTRIES names, a link that has not
 * registered within the handshake time limit is closed, and a link whose
 * unread answers pile up past WRITE_MAX is closed.
 */

#define PREAMBLE_SIZE 8
#define PROTO_VERSION 1
#define FRAME_MAX 1024 /* kind + body of one registrar frame */
#define INBUF_SIZE (PREAMBLE_SIZE + 4 + FRAME_MAX)
#define MAX_CONNS 1024
#define MAX_ENTRIES 65536
#define MAX_PENDING 65536
#define WRITE_MAX (64u << 10)
#define SWEEP_MS 250
#define BACKOFF_MIN_MS 50
#define BACKOFF_MAX_MS 2000
#define START_ATTEMPTS 8

/* Frame kinds. */
enum {
    KIND_REGISTER = 1,   /* erg.registrar.Register */
    KIND_REGISTERED = 2, /* erg.registrar.Registered */
    KIND_RESOLVE = 3,    /* erg.registrar.Resolve */
    KIND_RESOLVED = 4,   /* erg.registrar.Resolved */
};

typedef enum rstate_e {
    RS_IDLE = 0,    /* waiting to try again */
    RS_SERVING,     /* we hold the port */
    RS_CONNECTING,  /* our link to the server is being made */
    RS_REGISTERING, /* Register sent, waiting for Registered */
    RS_REGISTERED,
    RS_STOPPED,
} rstate_t;

typedef struct rconn_s {
    erg__registrar_t *r;
    uv_tcp_t tcp;
    uv_connect_t connect;
    erg__queue_t all; /* r->conns (server side only) */
    bool client;      /* our link to the serving node */
    bool closing;
    bool got_preamble;
    bool hello;        /* server side: Register received */
    uint32_t entry;    /* server side: the hash it registered, or 0 */
    uint64_t since;    /* uv_now when opened */
    size_t inlen;
    uint8_t in[INBUF_SIZE];
} rconn_t;

typedef struct entry_s {
    char name[256];
    char host[64];
    uint16_t port;
    rconn_t *conn; /* NULL: the serving node itself */
} entry_t;

/* A lookup waiting for the serving node's answer. */
typedef struct rpend_s {
    struct rpend_s *next;
    uint32_t id;
    bool sent; /* on the current link */
    bool udp;  /* asked of another host's registrar, at `to` */
    struct sockaddr_storage to;
    erg__peer_t *peer; /* retained */
} rpend_t;

struct erg__registrar_s {
    erg__net_t *net;
    char host[64]; /* the registrar's */
    uint16_t port;
    char self_host[64]; /* what we register */
    uint16_t self_port;
    rstate_t state; /* loop thread; read elsewhere through `serving` */
    _Atomic bool serving;
    uv_tcp_t *listener;
    uv_udp_t *udp_srv; /* serving: lookups from other hosts */
    uv_udp_t *udp_cli; /* lookups of nodes of other hosts */
    char self_hostpart[256]; /* the host part of our node's name */
    rconn_t *link;
    erg__queue_t conns;
    erg__hmap_t table; /* node hash -> entry_t */
    uv_timer_t retry, sweep;
    bool timers_open;
    uint64_t backoff_ms;
    unsigned start_attempts;
    rpend_t *pend;
    size_t npend;
    uint32_t next_id;
    /* The first registration's answer, for erg_net_start (net->mu). */
    bool start_done;
    erg_err_t start_rv;
};

static void attempt(erg__registrar_t *r);
static void conn_close(rconn_t *c);

/* ---- small helpers -------------------------------------------------------- */

/* Copies a decoded string (which may hold any UTF-8, NUL included) into a
 * C string of cap bytes: false when it does not fit or holds a NUL. */
static bool copy_str(char *dst, size_t cap, erg_str_t s) {
    if (s.len >= cap || (s.len != 0 && memchr(s.ptr, '\0', s.len) != NULL))
        return false;
    if (s.len != 0)
        memcpy(dst, s.ptr, s.len);
    dst[s.len] = '\0';
    return true;
}

static erg_str_t str_of(const char *s) { return (erg_str_t){s, strlen(s)}; }

static bool ip_literal(const char *host, uint16_t port,
                       struct sockaddr_storage *sa) {
    return uv_ip4_addr(host, port, (struct sockaddr_in *)sa) == 0 ||
           uv_ip6_addr(host, port, (struct sockaddr_in6 *)sa) == 0;
}

static void start_done(erg__registrar_t *r, erg_err_t rv) {
    erg__net_t *net = r->net;
    pthread_mutex_lock(&net->mu);
    if (!r->start_done) {
        r->start_done = true;
        r->start_rv = rv;
        pthread_cond_broadcast(&net->cv);
    }
    pthread_mutex_unlock(&net->mu);
}

static bool started(erg__registrar_t *r) {
    pthread_mutex_lock(&r->net->mu);
    bool done = r->start_done;
    pthread_mutex_unlock(&r->net->mu);
    return done;
}

static void set_state(erg__registrar_t *r, rstate_t st) {
    r->state = st;
    atomic_store(&r->serving, st == RS_SERVING);
}

/* ---- writing ---------------------------------------------------------------- */

typedef struct wreq_s {
    uv_write_t req;
    erg__buf_t buf;
} wreq_t;

static void on_written(uv_write_t *req, int status) {
    (void)status; /* a failed write shows up as a failed read */
    wreq_t *w = (wreq_t *)req;
    erg__buf_free(&w->buf);
    erg__free(w);
}

static void put_preamble(erg__buf_t *b) {
    static const uint8_t pre[PREAMBLE_SIZE] = {'E', 'R', 'G', 'R',
                                               PROTO_VERSION, 0, 0, 0};
    memcpy(b->p + b->len, pre, PREAMBLE_SIZE);
    b->len += PREAMBLE_SIZE;
}

/* Writes one frame (after the preamble when with_preamble). A peer that
 * does not read what it is sent is cut off instead of growing the queue. */
static void conn_send(rconn_t *c, bool with_preamble, uint8_t kind,
                      const erg_codec_desc_t *desc, const void *value) {
    if (c->closing)
        return;
    if (uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) > WRITE_MAX) {
        conn_close(c);
        return;
    }
    wreq_t *w = erg__calloc(1, sizeof(*w));
    erg_err_t rv = w != NULL ? erg__buf_reserve(&w->buf, PREAMBLE_SIZE)
                             : ERG_ENOMEM;
    if (rv == ERG_OK && with_preamble)
        put_preamble(&w->buf);
    if (rv == ERG_OK)
        rv = erg__frame_put_ctl(&w->buf, kind, desc, value);
    if (rv == ERG_OK) {
        uv_buf_t b = uv_buf_init((char *)w->buf.p, (unsigned)w->buf.len);
        if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_written) ==
            0)
            return;
    }
    if (w != NULL) {
        erg__buf_free(&w->buf);
        erg__free(w);
    }
    conn_close(c);
}

/* ---- links ------------------------------------------------------------------ */

static void on_conn_closed(uv_handle_t *h) {
    rconn_t *c = h->data;
    if (erg__queue_is_linked(&c->all))
        erg__queue_remove(&c->all);
    erg__free(c);
}

static void lost_link(erg__registrar_t *r);
static void drop_entry(erg__registrar_t *r, rconn_t *c);

static void conn_close(rconn_t *c) {
    if (c->closing)
        return;
    c->closing = true;
    erg__registrar_t *r = c->r;
    if (c->client && r->link == c) {
        r->link = NULL;
        lost_link(r);
    } else if (!c->client) {
        drop_entry(r, c);
    }
    uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
}

static rconn_t *conn_new(erg__registrar_t *r, bool client) {
    rconn_t *c = erg__calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->r = r;
    c->client = client;
    c->since = uv_now(&r->net->loop);
    erg__queue_init(&c->all);
    uv_tcp_init(&r->net->loop, &c->tcp);
    c->tcp.data = c;
    c->connect.data = c;
    return c;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
    (void)suggested;
    rconn_t *c = h->data;
    /* Full without a whole frame cannot happen (frames are capped below
     * the buffer); a zero-sized buffer makes the read fail with ENOBUFS. */
    *buf = uv_buf_init((char *)c->in + c->inlen,
                       (unsigned)(sizeof(c->in) - c->inlen));
}

static bool server_frame(rconn_t *c, const erg__frame_t *f);
static bool client_frame(rconn_t *c, const erg__frame_t *f);

static bool preamble_ok(const uint8_t *p) {
    return memcmp(p, "ERGR", 4) == 0 && p[4] == PROTO_VERSION && p[5] == 0 &&
           p[6] == 0 && p[7] == 0;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
    (void)buf;
    rconn_t *c = s->data;
    if (c->closing)
        return;
    if (n < 0) {
        conn_close(c);
        return;
    }
    c->inlen += (size_t)n;
    size_t off = 0;
    if (!c->got_preamble) {
        if (c->inlen < PREAMBLE_SIZE)
            return;
        if (!preamble_ok(c->in)) {
            conn_close(c);
            return;
        }
        c->got_preamble = true;
        off = PREAMBLE_SIZE;
    }
    while (!c->closing) {
        erg__frame_t f;
        int rc = erg__frame_next(c->in + off, c->inlen - off, FRAME_MAX, &f);
        if (rc < 0) {
            conn_close(c);
            return;
        }
        if (rc == 0)
            break;
        bool ok = c->client ? client_frame(c, &f) : server_frame(c, &f);
        off += f.consumed;
        if (!ok) {
            conn_close(c);
            return;
        }
    }
    if (c->closing)
        return;
    memmove(c->in, c->in + off, c->inlen - off);
    c->inlen -= off;
}

/* ---- serving ------------------------------------------------------------------ */

static void drop_entry(erg__registrar_t *r, rconn_t *c) {
    if (c->entry == 0)
        return;
    entry_t *e = erg__hmap_get_u64(&r->table, c->entry);
    if (e != NULL && e->conn == c) {
        erg__hmap_del_u64(&r->table, c->entry);
        erg__node_logf(r->net->node, ERG_LOG_INFO,
                       "registrar: %s unregistered", e->name);
        erg__free(e);
    }
    c->entry = 0;
}

static erg_err_t table_add(erg__registrar_t *r, const char *name,
                           const char *host, uint16_t port, rconn_t *conn) {
    uint32_t h = erg_node_hash(name);
    if (h == 0 || erg__hmap_get_u64(&r->table, h) != NULL)
        return ERG_ETAKEN; /* the name, or one hashing alike */
    if (r->table.count >= MAX_ENTRIES)
        return ERG_EBUSY;
    entry_t *e = erg__calloc(1, sizeof(*e));
    if (e == NULL)
        return ERG_ENOMEM;
    snprintf(e->name, sizeof(e->name), "%s", name);
    snprintf(e->host, sizeof(e->host), "%s", host);
    e->port = port;
    e->conn = conn;
    if (erg__hmap_put_u64(&r->table, h, e) != ERG_OK) {
        erg__free(e);
        return ERG_ENOMEM;
    }
    if (conn != NULL)
        conn->entry = h;
    return ERG_OK;
}

/* The address of name from the table: ERG_OK or ERG_ENOROUTE. */
static erg_err_t table_find(erg__registrar_t *r, const char *name,
                            const entry_t **out) {
    const entry_t *e = erg__hmap_get_u64(&r->table, erg_node_hash(name));
    if (e == NULL || strcmp(e->name, name) != 0)
        return ERG_ENOROUTE;
    *out = e;
    return ERG_OK;
}

static void table_clear(erg__registrar_t *r) {
    for (size_t i = 0; i < r->table.cap; i++)
        if (r->table.slots[i].hash != 0)
            erg__free(r->table.slots[i].val);
    erg__hmap_fini(&r->table);
    erg__hmap_init(&r->table);
}

static bool on_register(rconn_t *c, const erg_registrar_register_v1_t *m) {
    erg__registrar_t *r = c->r;
    char name[256], host[64];
    struct sockaddr_storage sa;
    erg_registrar_registered_v1_t ans = {0, {"", 0}};
    if (!copy_str(name, sizeof(name), m->node) ||
        !copy_str(host, sizeof(host), m->host) || !erg__node_name_valid(name) ||
        (m->port != 0 && !ip_literal(host, m->port, &sa))) {
        ans.code = ERG_EINVAL;
        ans.reason = str_of("malformed registration");
    } else if (m->port != 0) {
        ans.code = table_add(r, name, host, m->port, c);
        if (ans.code == ERG_ETAKEN) {
            ans.reason = str_of("a node of that name is registered");
            erg__node_logf(r->net->node, ERG_LOG_WARNING,
                           "registrar: refused %s: a node of that name is "
                           "registered",
                           name);
        } else if (ans.code == ERG_OK) {
            erg__node_logf(r->net->node, ERG_LOG_INFO,
                           "registrar: registered %s", name);
        }
    }
    conn_send(c, true, KIND_REGISTERED, &erg_registrar_registered_v1_desc,
              &ans);
    c->hello = ans.code == ERG_OK;
    return ans.code == ERG_OK; /* refused: closed, as Ergo does */
}

static void on_resolve(rconn_t *c, const erg_registrar_resolve_v1_t *m) {
    erg__registrar_t *r = c->r;
    char name[256];
    const entry_t *e = NULL;
    erg_registrar_resolved_v1_t ans = {m->id, ERG_ENOROUTE, {"", 0}, 0};
    if (copy_str(name, sizeof(name), m->node) &&
        table_find(r, name, &e) == ERG_OK) {
        ans.code = ERG_OK;
        ans.host = str_of(e->host);
        ans.port = e->port;
    }
    conn_send(c, false, KIND_RESOLVED, &erg_registrar_resolved_v1_desc, &ans);
}

/* A frame from a node registered (or registering) with us. False closes
 * the link: the first frame must be Register, then only Resolve. */
static bool server_frame(rconn_t *c, const erg__frame_t *f) {
    void *v = NULL;
    if (!c->hello && f->kind == KIND_REGISTER &&
        erg_codec_decode(&erg_registrar_register_v1_desc, f->payload, f->len,
                         &v) == ERG_OK) {
        bool ok = on_register(c, v);
        erg_codec_free(&erg_registrar_register_v1_desc, v);
        if (!ok) {
            /* Let the refusal go out first: stop reading, close on the
             * next sweep (its time limit has passed by then). */
            uv_read_stop((uv_stream_t *)&c->tcp);
            c->since = 0;
        }
        return true;
    }
    if (c->hello && f->kind == KIND_RESOLVE &&
        erg_codec_decode(&erg_registrar_resolve_v1_desc, f->payload, f->len,
                         &v) == ERG_OK) {
        on_resolve(c, v);
        erg_codec_free(&erg_registrar_resolve_v1_desc, v);
        return true;
    }
    return false;
}

static void on_inbound(uv_stream_t *server, int status) {
    erg__registrar_t *r = server->data;
    if (status < 0 || r->state != RS_SERVING)
        return;
    rconn_t *c = conn_new(r, false);
    if (c == NULL)
        return;
    erg__queue_insert_tail(&r->conns, &c->all);
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
        conn_close(c);
        return;
    }
    size_t n = 0;
    erg__queue_t *q;
    ERG__QUEUE_FOREACH(q, &r->conns) { n++; }
    if (n > MAX_CONNS || uv_read_start((uv_stream_t *)&c->tcp, on_alloc,
                                       on_read) != 0)
        conn_close(c);
}

static void on_listener_closed(uv_handle_t *h) { erg__free(h); }

/* ---- lookups over UDP, between hosts ----------------------------------------- */

/*
 * As Ergo's, a serving registrar also answers Resolve datagrams on its
 * port, so nodes of other hosts can look its nodes up without
 * registering: a datagram holds the preamble and one frame. Answers go to
 * the sender; a sender that floods gets its excess dropped (bounded send
 * queue), and an answer is no larger than the question plus an address.
 */

#define UDP_QUEUE_MAX 256

typedef struct usend_s {
    uv_udp_send_t req;
    erg__buf_t buf;
} usend_t;

static void on_usent(uv_udp_send_t *req, int status) {
    (void)status;
    usend_t *u = (usend_t *)req;
    erg__buf_free(&u->buf);
    erg__free(u);
}

static void udp_send(uv_udp_t *h, const struct sockaddr *to, uint8_t kind,
                     const erg_codec_desc_t *desc, const void *value) {
    if (uv_udp_get_send_queue_count(h) > UDP_QUEUE_MAX)
        return;
    usend_t *u = erg__calloc(1, sizeof(*u));
    if (u == NULL)
        return;
    if (erg__buf_reserve(&u->buf, PREAMBLE_SIZE) == ERG_OK) {
        put_preamble(&u->buf);
        if (erg__frame_put_ctl(&u->buf, kind, desc, value) == ERG_OK) {
            uv_buf_t b = uv_buf_init((char *)u->buf.p, (unsigned)u->buf.len);
            if (uv_udp_send(&u->req, h, &b, 1, to, on_usent) == 0)
                return;
        }
    }
    erg__buf_free(&u->buf);
    erg__free(u);
}

static void on_ualloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
    (void)suggested;
    /* One datagram at a time (no recvmmsg): a buffer of the handle's. */
    *buf = uv_buf_init((char *)((uv_udp_t *)h + 1), INBUF_SIZE);
}

/* The one frame of a datagram, or false. */
static bool datagram_frame(const uv_buf_t *buf, ssize_t n, uint8_t kind,
                           erg__frame_t *f) {
    const uint8_t *p = (const uint8_t *)buf->base;
    if (n < PREAMBLE_SIZE || !preamble_ok(p))
        return false;
    size_t len = (size_t)n - PREAMBLE_SIZE;
    return erg__frame_next(p + PREAMBLE_SIZE, len, FRAME_MAX, f) == 1 &&
           f->consumed == len && f->kind == kind;
}

static void on_udp_query(uv_udp_t *h, ssize_t n, const uv_buf_t *buf,
                         const struct sockaddr *from, unsigned flags) {
    erg__registrar_t *r = h->data;
    erg__frame_t f;
    void *v = NULL;
    if (n <= 0 || from == NULL || (flags & UV_UDP_PARTIAL) ||
        r->state != RS_SERVING || !datagram_frame(buf, n, KIND_RESOLVE, &f) ||
        erg_codec_decode(&erg_registrar_resolve_v1_desc, f.payload, f.len,
                         &v) != ERG_OK)
        return;
    const erg_registrar_resolve_v1_t *m = v;
    char name[256];
    const entry_t *e = NULL;
    erg_registrar_resolved_v1_t ans = {m->id, ERG_ENOROUTE, {"", 0}, 0};
    if (copy_str(name, sizeof(name), m->node) &&
        table_find(r, name, &e) == ERG_OK) {
        ans.code = ERG_OK;
        ans.host = str_of(e->host);
        ans.port = e->port;
    }
    erg_codec_free(&erg_registrar_resolve_v1_desc, v);
    udp_send(h, from, KIND_RESOLVED, &erg_registrar_resolved_v1_desc, &ans);
}

static void on_udp_closed(uv_handle_t *h) { erg__free(h); }

/* A UDP handle followed by its receive buffer. */
static uv_udp_t *udp_new(erg__registrar_t *r) {
    uv_udp_t *h = erg__calloc(1, sizeof(*h) + INBUF_SIZE);
    if (h == NULL)
        return NULL;
    uv_udp_init(&r->net->loop, h);
    h->data = r;
    return h;
}

static void udp_close(uv_udp_t **h) {
    if (*h != NULL)
        uv_close((uv_handle_t *)*h, on_udp_closed);
    *h = NULL;
}

static void udp_serve(erg__registrar_t *r, const struct sockaddr *sa) {
    uv_udp_t *h = udp_new(r);
    if (h == NULL)
        return;
    if (uv_udp_bind(h, sa, 0) != 0 ||
        uv_udp_recv_start(h, on_ualloc, on_udp_query) != 0) {
        udp_close(&h);
        erg__node_logf(r->net->node, ERG_LOG_WARNING,
                       "registrar: UDP port taken: nodes of other hosts "
                       "cannot look ours up");
        return;
    }
    r->udp_srv = h;
}

static bool same_addr(const struct sockaddr *a, const struct sockaddr_storage *b) {
    if (a->sa_family != b->ss_family)
        return false;
    if (a->sa_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
        return x->sin_port == y->sin_port &&
               x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
    return x->sin6_port == y->sin6_port &&
           memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
}

static void pend_answer(erg__registrar_t *r, rpend_t **at, erg_err_t rv,
                        const char *host, uint16_t port, const char *why);
static void pend_resolved(erg__registrar_t *r, rpend_t **at,
                          const erg_registrar_resolved_v1_t *m);

/* An answer from another host's registrar: only from where we asked. */
static void on_udp_answer(uv_udp_t *h, ssize_t n, const uv_buf_t *buf,
                          const struct sockaddr *from, unsigned flags) {
    erg__registrar_t *r = h->data;
    erg__frame_t f;
    void *v = NULL;
    if (n <= 0 || from == NULL || (flags & UV_UDP_PARTIAL) ||
        !datagram_frame(buf, n, KIND_RESOLVED, &f) ||
        erg_codec_decode(&erg_registrar_resolved_v1_desc, f.payload, f.len,
                         &v) != ERG_OK)
        return;
    const erg_registrar_resolved_v1_t *m = v;
    for (rpend_t **at = &r->pend; *at != NULL; at = &(*at)->next)
        if ((*at)->udp && (*at)->id == m->id && same_addr(from, &(*at)->to)) {
            pend_resolved(r, at, m);
            break;
        }
    erg_codec_free(&erg_registrar_resolved_v1_desc, v);
}

/* Asks host's registrar (at our registrar port) where p is. */
static bool udp_ask(erg__registrar_t *r, rpend_t *p, const char *host) {
    if (!ip_literal(host, r->port, &p->to))
        return false;
    if (r->udp_cli == NULL) {
        uv_udp_t *h = udp_new(r);
        if (h == NULL)
            return false;
        if (uv_udp_recv_start(h, on_ualloc, on_udp_answer) != 0) {
            udp_close(&h);
            return false;
        }
        r->udp_cli = h;
    }
    p->udp = true;
    p->sent = true;
    erg_registrar_resolve_v1_t m = {p->id, str_of(p->peer->name)};
    udp_send(r->udp_cli, (const struct sockaddr *)&p->to, KIND_RESOLVE,
             &erg_registrar_resolve_v1_desc, &m);
    return true;
}

/* Binds the registrar port: true when this node now serves. */
static bool try_serve(erg__registrar_t *r) {
    struct sockaddr_storage sa;
    if (!ip_literal(r->host, r->port, &sa))
        return false;
    uv_tcp_t *l = erg__calloc(1, sizeof(*l));
    if (l == NULL)
        return false;
    uv_tcp_init(&r->net->loop, l);
    l->data = r;
    if (uv_tcp_bind(l, (struct sockaddr *)&sa, 0) != 0 ||
        uv_listen((uv_stream_t *)l, 128, on_inbound) != 0) {
        uv_close((uv_handle_t *)l, on_listener_closed);
        return false;
    }
    r->listener = l;
    udp_serve(r, (struct sockaddr *)&sa);
    table_clear(r);
    if (r->self_port != 0)
        table_add(r, erg_node_name(r->net->node), r->self_host, r->self_port,
                  NULL);
    set_state(r, RS_SERVING);
    r->backoff_ms = 0;
    erg__node_logf(r->net->node, ERG_LOG_INFO, "registrar: serving on %s:%u",
                   r->host, (unsigned)r->port);
    return true;
}

/* ---- registering ------------------------------------------------------------ */

static void send_resolve(erg__registrar_t *r, rpend_t *p) {
    erg_registrar_resolve_v1_t m = {p->id, str_of(p->peer->name)};
    p->sent = true;
    conn_send(r->link, false, KIND_RESOLVE, &erg_registrar_resolve_v1_desc,
              &m);
}

/* Answers a lookup and forgets it. */
static void pend_answer(erg__registrar_t *r, rpend_t **at, erg_err_t rv,
                        const char *host, uint16_t port, const char *why) {
    rpend_t *p = *at;
    *at = p->next;
    r->npend--;
    erg__net_resolved(p->peer, rv, host, port, why);
    erg__peer_release(p->peer);
    erg__free(p);
}

/* We serve now: what we were waiting for is answered from our table. */
static void answer_all_locally(erg__registrar_t *r) {
    for (rpend_t **at = &r->pend; *at != NULL;) {
        if ((*at)->udp) {
            at = &(*at)->next;
            continue;
        }
        const entry_t *e = NULL;
        erg_err_t rv = table_find(r, (*at)->peer->name, &e);
        pend_answer(r, at, rv, rv == ERG_OK ? e->host : NULL,
                    rv == ERG_OK ? e->port : 0,
                    "not registered with the registrar");
    }
}

/* A Resolved for the lookup at *at: dial, or no route. */
static void pend_resolved(erg__registrar_t *r, rpend_t **at,
                          const erg_registrar_resolved_v1_t *m) {
    char host[64];
    struct sockaddr_storage sa;
    if (m->code == ERG_OK && copy_str(host, sizeof(host), m->host) &&
        m->port != 0 && ip_literal(host, m->port, &sa))
        pend_answer(r, at, ERG_OK, host, m->port, NULL);
    else
        pend_answer(r, at, ERG_ENOROUTE, NULL, 0,
                    "not registered with the registrar");
}

static bool client_frame(rconn_t *c, const erg__frame_t *f) {
    erg__registrar_t *r = c->r;
    void *v = NULL;
    if (r->state == RS_REGISTERING && f->kind == KIND_REGISTERED &&
        erg_codec_decode(&erg_registrar_registered_v1_desc, f->payload,
                         f->len, &v) == ERG_OK) {
        const erg_registrar_registered_v1_t *m = v;
        erg_err_t code = m->code;
        erg_codec_free(&erg_registrar_registered_v1_desc, v);
        if (code != ERG_OK) {
            erg__node_logf(r->net->node, ERG_LOG_ERROR,
                           "registrar refused %s: %s",
                           erg_node_name(r->net->node), erg_strerror(code));
            if (!started(r)) {
                /* As Ergo: the node does not start. */
                start_done(r, code);
                set_state(r, RS_STOPPED);
            }
            return false; /* later: retried with backoff by lost_link */
        }
        set_state(r, RS_REGISTERED);
        r->backoff_ms = 0;
        r->start_attempts = 0;
        erg__node_logf(r->net->node, ERG_LOG_INFO, "registrar: %s registered",
                       erg_node_name(r->net->node));
        start_done(r, ERG_OK);
        for (rpend_t *p = r->pend; p != NULL && r->link == c; p = p->next)
            if (!p->sent && !p->udp)
                send_resolve(r, p);
        return true;
    }
    if (r->state == RS_REGISTERED && f->kind == KIND_RESOLVED &&
        erg_codec_decode(&erg_registrar_resolved_v1_desc, f->payload, f->len,
                         &v) == ERG_OK) {
        const erg_registrar_resolved_v1_t *m = v;
        for (rpend_t **at = &r->pend; *at != NULL; at = &(*at)->next)
            if (!(*at)->udp && (*at)->id == m->id) {
                pend_resolved(r, at, m);
                break;
            }
        erg_codec_free(&erg_registrar_resolved_v1_desc, v);
        return true; /* an unknown id: a lookup already given up */
    }
    return false;
}

static void on_link_connect(uv_connect_t *req, int status) {
    rconn_t *c = req->data;
    erg__registrar_t *r = c->r;
    if (c->closing)
        return;
    if (status < 0 ||
        uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0) {
        conn_close(c);
        return;
    }
    set_state(r, RS_REGISTERING);
    c->since = uv_now(&r->net->loop);
    erg_registrar_register_v1_t m = {str_of(erg_node_name(r->net->node)),
                                     str_of(r->self_host), r->self_port};
    conn_send(c, true, KIND_REGISTER, &erg_registrar_register_v1_desc, &m);
}

static void on_retry(uv_timer_t *t) { attempt(t->data); }

static void schedule_retry(erg__registrar_t *r) {
    if (r->state == RS_STOPPED)
        return;
    set_state(r, RS_IDLE);
    if (!started(r) && ++r->start_attempts > START_ATTEMPTS) {
        start_done(r, ERG_ENOCONN);
        set_state(r, RS_STOPPED);
        return;
    }
    /* Capped exponential backoff with jitter: the survivors of a dead
     * server do not all knock at the same instant. */
    uint64_t base = r->backoff_ms;
    r->backoff_ms = base == 0 ? BACKOFF_MIN_MS
                    : base * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
                                                : base * 2;
    uint64_t delay = base + uv_hrtime() % BACKOFF_MIN_MS;
    uv_timer_start(&r->retry, on_retry, delay, 0);
}

/* Our link to the serving node is gone: lookups sent over it go again over
 * the next one, and we start over. */
static void lost_link(erg__registrar_t *r) {
    for (rpend_t *p = r->pend; p != NULL; p = p->next)
        if (!p->udp)
            p->sent = false;
    if (r->state == RS_REGISTERED)
        erg__node_logf(r->net->node, ERG_LOG_WARNING,
                       "registrar: lost the serving node, trying to take "
                       "over");
    if (r->state != RS_STOPPED)
        schedule_retry(r);
}

/* Serve if the port is free, else register with whoever serves it. */
static void attempt(erg__registrar_t *r) {
    if (r->state == RS_STOPPED || r->state == RS_SERVING || r->link != NULL)
        return;
    if (try_serve(r)) {
        start_done(r, ERG_OK);
        answer_all_locally(r);
        return;
    }
    struct sockaddr_storage sa;
    rconn_t *c = ip_literal(r->host, r->port, &sa) ? conn_new(r, true) : NULL;
    if (c == NULL) {
        schedule_retry(r);
        return;
    }
    r->link = c;
    set_state(r, RS_CONNECTING);
    if (uv_tcp_connect(&c->connect, &c->tcp, (struct sockaddr *)&sa,
                       on_link_connect) != 0)
        conn_close(c);
}

/* Time limits: links that do not register, registrations not answered,
 * lookups whose peer was given up. */
static void on_sweep(uv_timer_t *t) {
    erg__registrar_t *r = t->data;
    uint64_t now = uv_now(&r->net->loop);
    uint64_t limit = r->net->opts.handshake_timeout_ms;
    erg__queue_t *q, *next;
    for (q = erg__queue_head(&r->conns); q != &r->conns; q = next) {
        next = q->next;
        rconn_t *c = ERG__QUEUE_DATA(q, rconn_t, all);
        if (!c->hello && !c->closing && now - c->since > limit)
            conn_close(c);
    }
    if (r->link != NULL &&
        (r->state == RS_REGISTERING || r->state == RS_CONNECTING) &&
        now - r->link->since > limit)
        conn_close(r->link);
    for (rpend_t **at = &r->pend; *at != NULL;) {
        if (atomic_load(&(*at)->peer->state) == ERG__PEER_DOWN)
            pend_answer(r, at, ERG_ENOROUTE, NULL, 0, "given up");
        else
            at = &(*at)->next;
    }
}

/* ---- the interface -------------------------------------------------------- */

erg_err_t erg__registrar_start(erg__net_t *net, const char *self_host,
                               uint16_t self_port) {
    erg__registrar_t *r = erg__calloc(1, sizeof(*r));
    if (r == NULL)
        return ERG_ENOMEM;
    r->net = net;
    const erg_registrar_opts_t *o = &net->opts.registrar;
    snprintf(r->host, sizeof(r->host), "%s",
             o->host != NULL ? o->host : "127.0.0.1");
    r->port = o->port;
    if (r->port == 0) {
        const char *env = getenv("ERG_REGISTRAR_PORT");
        char *end = NULL;
        long v = env != NULL ? strtol(env, &end, 10) : 0;
        if (env != NULL && (*env == '\0' || *end != '\0' || v <= 0 ||
                            v > 65535)) {
            erg__node_logf(net->node, ERG_LOG_WARNING,
                           "ERG_REGISTRAR_PORT=%s is not a port; using %u",
                           env, (unsigned)ERG_NET_DEFAULT_REGISTRAR_PORT);
            v = 0;
        }
        r->port = v != 0 ? (uint16_t)v : ERG_NET_DEFAULT_REGISTRAR_PORT;
    }
    /* An acceptor on every address is reached on the loopback one. */
    const char *sh = self_host != NULL ? self_host : "127.0.0.1";
    if (strcmp(sh, "0.0.0.0") == 0)
        sh = "127.0.0.1";
    else if (strcmp(sh, "::") == 0)
        sh = "::1";
    else if (strcmp(sh, "localhost") == 0)
        sh = "127.0.0.1";
    snprintf(r->self_host, sizeof(r->self_host), "%s", sh);
    r->self_port = self_port;
    const char *at = strchr(erg_node_name(net->node), '@');
    snprintf(r->self_hostpart, sizeof(r->self_hostpart), "%s",
             at != NULL ? at + 1 : "");
    struct sockaddr_storage sa;
    if (strlen(o->host != NULL ? o->host : "") >= sizeof(r->host) ||
        !ip_literal(r->host, r->port, &sa)) {
        erg__free(r);
        return ERG_EINVAL;
    }
    erg__queue_init(&r->conns);
    erg__hmap_init(&r->table);
    uv_timer_init(&net->loop, &r->retry);
    uv_timer_init(&net->loop, &r->sweep);
    r->retry.data = r;
    r->sweep.data = r;
    r->timers_open = true;
    uv_timer_start(&r->sweep, on_sweep, SWEEP_MS, SWEEP_MS);
    net->registrar = r;
    attempt(r);
    return ERG_OK;
}

erg_err_t erg__registrar_wait(erg__net_t *net) {
    erg__registrar_t *r = net->registrar;
    pthread_mutex_lock(&net->mu);
    while (!r->start_done)
        pthread_cond_wait(&net->cv, &net->mu);
    erg_err_t rv = r->start_rv;
    pthread_mutex_unlock(&net->mu);
    return rv;
}

void erg__registrar_stop(erg__net_t *net) {
    erg__registrar_t *r = net->registrar;
    if (r->state == RS_STOPPED && !r->timers_open)
        return;
    set_state(r, RS_STOPPED);
    start_done(r, ERG_ENODE);
    if (r->timers_open) {
        uv_close((uv_handle_t *)&r->retry, NULL);
        uv_close((uv_handle_t *)&r->sweep, NULL);
        r->timers_open = false;
    }
    if (r->listener != NULL) {
        uv_close((uv_handle_t *)r->listener, on_listener_closed);
        r->listener = NULL;
    }
    udp_close(&r->udp_srv);
    udp_close(&r->udp_cli);
    if (r->link != NULL)
        conn_close(r->link);
    while (!erg__queue_empty(&r->conns)) {
        rconn_t *c = ERG__QUEUE_DATA(erg__queue_head(&r->conns), rconn_t,
                                     all);
        erg__queue_remove(&c->all);
        erg__queue_init(&c->all);
        conn_close(c);
    }
    /* The peers themselves are downed by the caller. */
    while (r->pend != NULL) {
        rpend_t *p = r->pend;
        r->pend = p->next;
        erg__peer_release(p->peer);
        erg__free(p);
    }
    r->npend = 0;
}

void erg__registrar_free(erg__registrar_t *r) {
    if (r == NULL)
        return;
    table_clear(r);
    erg__hmap_fini(&r->table);
    while (r->pend != NULL) {
        rpend_t *p = r->pend;
        r->pend = p->next;
        erg__peer_release(p->peer);
        erg__free(p);
    }
    erg__free(r);
}

/* A node name's host part, "localhost" read as 127.0.0.1. */
static const char *host_part(const char *name) {
    const char *at = strchr(name, '@');
    const char *h = at != NULL ? at + 1 : "";
    return strcmp(h, "localhost") == 0 ? "127.0.0.1" : h;
}

void erg__registrar_resolve(erg__net_t *net, erg__peer_t *p) {
    erg__registrar_t *r = net->registrar;
    const char *theirs = host_part(p->name);
    const char *ours = strcmp(r->self_hostpart, "localhost") == 0
                           ? "127.0.0.1"
                           : r->self_hostpart;
    struct sockaddr_storage sa;
    /* A node of another host (named by an IP address): as Ergo, ask the
     * registrar of that host over UDP. */
    bool remote = strcmp(theirs, ours) != 0 && ip_literal(theirs, 1, &sa);
    if (r->state == RS_SERVING && !remote) {
        const entry_t *e = NULL;
        erg_err_t rv = table_find(r, p->name, &e);
        erg__net_resolved(p, rv, rv == ERG_OK ? e->host : NULL,
                          rv == ERG_OK ? e->port : 0,
                          "not registered with the registrar");
        return;
    }
    rpend_t *q = r->state != RS_STOPPED && r->npend < MAX_PENDING
                     ? erg__calloc(1, sizeof(*q))
                     : NULL;
    if (q == NULL) {
        erg__net_resolved(p, ERG_ENOROUTE, NULL, 0,
                          "the registrar cannot take more lookups");
        return;
    }
    q->id = ++r->next_id;
    q->peer = p;
    erg__peer_retain(p);
    q->next = r->pend;
    r->pend = q;
    r->npend++;
    if (remote) {
        if (!udp_ask(r, q, theirs))
            pend_answer(r, &r->pend, ERG_ENOROUTE, NULL, 0,
                        "cannot ask that host's registrar");
        return;
    }
    /* Not registered now: sent once the link is back (the peer's pool
     * timer bounds the wait). */
    if (r->state == RS_REGISTERED && r->link != NULL)
        send_resolve(r, q);
}

bool erg__registrar_serving(erg__registrar_t *r) {
    return r != NULL && atomic_load(&r->serving);
}
