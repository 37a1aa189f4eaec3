/* SPDX-License-Identifier: MIT */
/* net_bench.c: the remote scenarios of docs/benchmarks-remote.md between
 * node processes on 127.0.0.1. */
/*
 * This program is node A and the harness: it runs itself again (fork and
 * exec of /proc/self/exe with `--node b`) as nodes B, and C and D for
 * pubsub_fanout. A child starts its node with an acceptor on a port the
 * system picks, writes that port to the pipe on its fd 3, and serves until
 * its stdin (a pipe from A) reaches EOF. A child also gets SIGKILL when A
 * dies (PR_SET_PDEATHSIG), and A kills and reaps every child when it fails
 * or takes too long, so nothing outlives a run.
 *
 * Everything timed runs in processes of node A, on A's monotonic clock;
 * the harness (resolving services, setting up subscribers) is untimed.
 * Every message is a typed message of net_bench.erg, encoded when it
 * leaves a node and decoded where it arrives.
 *
 * `bench_net NAME` runs only the scenario NAME; ERG_BENCH_SCALE multiplies
 * every count (at least 100), as in the Erlang peer.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/net_bench.h"
#include "erg/erg.h"
#include "erg/net.h"

enum {
    WAIT_MS = 60000,  /* the longest one step may take */
    WATCHDOG_S = 300, /* the whole run */
    MAX_NOTE = 4096,
    MAX_EVENTS = 16,
};

#define COOKIE_ENV "ERG_BENCH_COOKIE"

/* The order's fixed fields (docs/benchmarks-remote.md). */
#define ORDER_ID0     1000000u
#define ORDER_ACCOUNT 1234567u
#define ORDER_PRICE   1999900u
#define ORDER_QTY     100u
#define ORDER_TS      1700000000

static erg_node_t *g_node; /* this process's node */
static uint8_t g_note[MAX_NOTE];
static const erg_codec_registry_t *const g_regs[] = {&bench_net_bench_registry};

/* ---- the harness: children, failure, time --------------------------- */

typedef struct child_s {
    pid_t pid;
    int ctl;       /* write end of the child's stdin: close it to stop it */
    char name[32]; /* its node name */
    uint16_t port;
} child_t;

static child_t g_children[3];
static int g_nchildren;
static atomic_int g_dying;

/* Kills and reaps every child; async-signal-safe. */
static void kill_children(void) {
    for (int i = 0; i < g_nchildren; i++)
        if (g_children[i].pid > 0)
            kill(g_children[i].pid, SIGKILL);
    for (int i = 0; i < g_nchildren; i++)
        if (g_children[i].pid > 0) {
            while (waitpid(g_children[i].pid, NULL, 0) < 0 && errno == EINTR)
                ;
            g_children[i].pid = 0;
        }
}

static void on_signal(int sig) {
    static const char msg[] = "net_bench: watchdog or signal, stopping\n";
    if (write(2, msg, sizeof(msg) - 1) < 0) {
        /* Nothing more to do about it here. */
    }
    kill_children();
    _exit(sig == SIGALRM ? 3 : 2);
}

/* Any thread: reports, takes the children down and exits. */
static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void die(const char *fmt, ...) {
    if (atomic_exchange(&g_dying, 1) != 0) {
        for (;;)
            pause(); /* another thread is already on its way out */
    }
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "net_bench: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    fflush(stdout);
    kill_children();
    _exit(1);
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_us(long us) {
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

/* A child that ended before its time ends the run at once. */
static void check_children(void) {
    for (int i = 0; i < g_nchildren; i++) {
        int st;
        if (g_children[i].pid > 0 &&
            waitpid(g_children[i].pid, &st, WNOHANG) == g_children[i].pid) {
            g_children[i].pid = 0;
            die("node %s ended during the run (wait status %d)",
                g_children[i].name, st);
        }
    }
}

/* Polls rarely: a waking thread would take a core from the nodes. */
static void wait_for(atomic_long *v, long target, const char *what) {
    for (long waited = 0; atomic_load(v) < target; waited++) {
        if (waited > WAIT_MS)
            die("%s: no answer in %d ms", what, WAIT_MS);
        if (waited % 100 == 99)
            check_children();
        sleep_us(1000);
    }
}

static long scale(long n) {
    const char *s = getenv("ERG_BENCH_SCALE");
    if (s == NULL || *s == '\0')
        return n;
    long v = (long)((double)n * strtod(s, NULL) + 0.5);
    return v < 100 ? 100 : v;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Element max(1, n*p/100) (1-based) of sorted samples, in microseconds. */
static double pct_us(const uint64_t *sorted, long n, long p) {
    long k = n * p / 100;
    return (double)sorted[(k < 1 ? 1 : k) - 1] / 1e3;
}

/* ---- messages ---------------------------------------------------------- */

static erg_msg_t *typed(const erg_codec_desc_t *desc, const void *value) {
    erg_msg_t *m;
    erg_err_t rv = erg_typed_msg_new(desc, value, &m);
    if (rv != ERG_OK)
        die("erg_typed_msg_new(%s): %s", desc->name, erg_strerror(rv));
    return m;
}

static erg_msg_t *order_msg(uint64_t id, size_t note_len) {
    bench_net_order_v1_t o = {id,        ORDER_ACCOUNT, ORDER_PRICE,
                              ORDER_QTY, ORDER_TS,      {g_note, note_len}};
    return typed(&bench_net_order_v1_desc, &o);
}

static erg_msg_t *count_msg(const erg_codec_desc_t *desc, uint64_t n) {
    /* Count, Done and NodeDone are all one u64. */
    bench_net_count_v1_t c = {n};
    return typed(desc, &c);
}

/* The note length whose order encodes to a body of exactly size bytes. */
static size_t note_len_for(size_t size) {
    for (size_t varint = 1; varint <= 5; varint++) {
        bench_net_order_v1_t o = {ORDER_ID0,   ORDER_ACCOUNT,
                                  ORDER_PRICE, ORDER_QTY,
                                  ORDER_TS,    {g_note, size - 36 - varint}};
        size_t got;
        if (erg_codec_encoded_size(&bench_net_order_v1_desc, &o, &got) ==
                ERG_OK &&
            got == size)
            return o.note.len;
    }
    die("no note gives a %zu-byte order", size);
    return 0;
}

static erg_pid_t pid_of(const erg_wire_pid_t *w) {
    char name[256];
    size_t n = w->node.len < 255 ? w->node.len : 255;
    memcpy(name, w->node.ptr, n);
    name[n] = '\0';
    return (erg_pid_t){erg_node_hash(name), w->creation, w->id};
}

static erg_wire_pid_t wire_of(erg_proc_t *self) {
    const char *n = erg_node_name(erg_proc_node(self));
    erg_pid_t p = erg_self(self);
    return (erg_wire_pid_t){{n, strlen(n)}, p.id, p.creation};
}

static bool is(const erg_msg_t *msg, const erg_codec_desc_t *desc) {
    return erg_typed_msg_desc(msg) == desc;
}

static uint64_t u64_of(const erg_msg_t *msg) {
    return ((const bench_net_count_v1_t *)erg_typed_msg_value(msg))->n;
}

/* erg_send that waits while the link holds more than its buffer limit
 * (the transport's flow control, as Erlang suspends a busy sender). */
static void send_or_die(erg_proc_t *self, erg_pid_t to, erg_msg_t *m) {
    erg_err_t rv;
    while ((rv = erg_send(self, erg_to_pid(to), m)) == ERG_EBUSY)
        sleep_us(20);
    if (rv != ERG_OK)
        die("erg_send: %s", erg_strerror(rv));
}

/* ---- services on B, C, D ------------------------------------------------ */

/* Every service answers a Hello call with its pid. */
static bool answer_hello(erg_proc_t *self, erg_msg_t *request,
                         erg_msg_t **reply) {
    if (!is(request, &bench_net_hello_v1_desc))
        return false;
    bench_net_here_v1_t h = {wire_of(self)};
    *reply = typed(&bench_net_here_v1_desc, &h);
    return true;
}

static erg_reason_t hello_call(erg_proc_t *self, erg_pid_t from, erg_ref_t ref,
                               erg_msg_t *request, erg_msg_t **reply) {
    (void)from;
    (void)ref;
    return answer_hello(self, request, reply) ? ERG_REASON_NONE
                                              : ERG_REASON_PANIC;
}

static erg_reason_t no_init(erg_proc_t *self, void *args) {
    (void)self;
    (void)args;
    return ERG_REASON_NONE;
}

/* remote_oneway's receiver: Count n, then n orders, then Done n. */
typedef struct rx_s {
    uint64_t want, got;
    erg_pid_t sender;
} rx_t;

static erg_reason_t rx_message(erg_proc_t *self, erg_pid_t from,
                               erg_msg_t *msg) {
    rx_t *s = erg_proc_state(self);
    if (is(msg, &bench_net_order_v1_desc)) {
        if (++s->got == s->want)
            send_or_die(self, s->sender,
                        count_msg(&bench_net_done_v1_desc, s->want));
    } else if (is(msg, &bench_net_count_v1_desc)) {
        s->want = u64_of(msg);
        s->got = 0;
        s->sender = from;
    } else {
        return ERG_REASON_PANIC;
    }
    return ERG_REASON_NONE;
}

static const erg_behavior_t rx_b = {.name = "rx",
                                    .state_size = sizeof(rx_t),
                                    .init = no_init,
                                    .handle_message = rx_message,
                                    .handle_call = hello_call};

/* remote_pingpong's ponger: every order goes straight back. */
static erg_reason_t pong_message(erg_proc_t *self, erg_pid_t from,
                                 erg_msg_t *msg) {
    erg_msg_retain(msg);
    send_or_die(self, from, msg);
    return ERG_REASON_NONE;
}

static const erg_behavior_t pong_b = {.name = "pong",
                                      .init = no_init,
                                      .handle_message = pong_message,
                                      .handle_call = hello_call};

/* remote_call's server: an order is answered with OrderOk and its id. */
static erg_reason_t srv_call(erg_proc_t *self, erg_pid_t from, erg_ref_t ref,
                             erg_msg_t *request, erg_msg_t **reply) {
    (void)from;
    (void)ref;
    if (answer_hello(self, request, reply))
        return ERG_REASON_NONE;
    if (!is(request, &bench_net_order_v1_desc))
        return ERG_REASON_PANIC;
    const bench_net_order_v1_t *o = erg_typed_msg_value(request);
    bench_net_order_ok_v1_t ok = {o->id};
    *reply = typed(&bench_net_order_ok_v1_desc, &ok);
    return ERG_REASON_NONE;
}

static const erg_behavior_t srv_b = {
    .name = "srv", .init = no_init, .handle_call = srv_call};

/*
 * pubsub_fanout. Each node has a hub process that owns the node's
 * subscribers (Setup spawns them; the next Setup ends them). Two modes:
 *
 * - event (docs/benchmarks-remote.md's "Delivery, erg"): the subscribers
 *   on B, C and D monitor the publisher's event on A
 *   (erg_to_remote_event), A's monitor it locally; each remote node
 *   subscribes once for all its subscribers, so one erg_event_send on A
 *   sends one network message per node, which the node fans out.
 * - relay (the Erlang side's design, done by hand): the subscribers
 *   monitor an event of their own node's hub; the publisher sends the
 *   order to each remote hub as a plain message and publishes it locally;
 *   each hub publishes what it gets on its local event.
 *
 * Completion as in the Erlang side, without acknowledgements across the
 * network: each node's counter starts at its subscriber count and each
 * subscriber decrements it; the one that brings it to 0 sets it back for
 * the next event (which is published only after all nodes answered) and
 * sends NodeDone to the publisher.
 */
#define EVENT_NAME  "orders" /* the publisher's, on A */
#define RELAY_EVENT "relay"  /* each hub's, in relay mode */

static atomic_long g_pending;    /* subscribers yet to see this event */
static atomic_long g_subscribed; /* subscribers whose init is done */
static long g_want;              /* subscribers being set up */
static char g_sub_event[64];     /* what they monitor */
static char g_sub_node[256];     /* "" = a local event */

static erg_reason_t sub_init(erg_proc_t *self, void *args) {
    (void)args;
    erg_target_t t = g_sub_node[0] != '\0'
                         ? erg_to_remote_event(g_sub_event, g_sub_node)
                         : erg_to_event(g_sub_event);
    erg_err_t rv = erg_monitor(self, t, NULL);
    if (rv != ERG_OK)
        die("subscribing to %s on %s: %s", g_sub_event,
            g_sub_node[0] != '\0' ? g_sub_node : "this node", erg_strerror(rv));
    if (atomic_fetch_add(&g_subscribed, 1) + 1 == g_want)
        send_or_die(self, erg_parent(self),
                    count_msg(&bench_net_done_v1_desc, (uint64_t)g_want));
    return ERG_REASON_NONE;
}

static erg_reason_t sub_event(erg_proc_t *self, const erg_event_msg_t *ev) {
    if (atomic_fetch_sub_explicit(&g_pending, 1, memory_order_acq_rel) != 1)
        return ERG_REASON_NONE;
    atomic_store(&g_pending, g_want);
    const bench_net_event_v1_t *e = erg_typed_msg_value(ev->msg);
    if (e == NULL)
        die("an event that is not an Event");
    send_or_die(self, pid_of(&e->publisher),
                count_msg(&bench_net_node_done_v1_desc, e->seq));
    return ERG_REASON_NONE;
}

static const erg_behavior_t sub_b = {
    .name = "subscriber", .init = sub_init, .handle_event = sub_event};

typedef struct hub_s {
    erg_ref_t token; /* of the event this hub registered */
    const char *event;
    erg_pid_t *subs;
    long nsubs;
    erg_pid_t setup_from; /* the Setup call, answered once all subscribed */
    erg_ref_t setup_ref;
    bool setting_up;
} hub_t;

static erg_reason_t hub_register(erg_proc_t *self, const char *event) {
    hub_t *h = erg_proc_state(self);
    h->event = event;
    return (erg_reason_t)erg_event_register(self, event, NULL, &h->token);
}

static erg_reason_t hub_init(erg_proc_t *self, void *args) {
    (void)args;
    return hub_register(self, RELAY_EVENT);
}

static void hub_terminate(erg_proc_t *self, erg_reason_t reason) {
    (void)reason;
    free(((hub_t *)erg_proc_state(self))->subs);
}

/* Setup n: ends the subscribers of the last run, spawns n that monitor
 * the event Setup names; the answer waits for the last one's init. */
static erg_reason_t hub_call(erg_proc_t *self, erg_pid_t from, erg_ref_t ref,
                             erg_msg_t *request, erg_msg_t **reply) {
    hub_t *h = erg_proc_state(self);
    if (answer_hello(self, request, reply))
        return ERG_REASON_NONE;
    if (!is(request, &bench_net_setup_v1_desc) || h->setting_up)
        return ERG_REASON_PANIC;
    const bench_net_setup_v1_t *s = erg_typed_msg_value(request);
    for (long i = 0; i < h->nsubs; i++)
        erg_send_exit(self, h->subs[i], ERG_REASON_SHUTDOWN);
    free(h->subs);
    h->nsubs = 0;
    h->subs = calloc(s->subscribers + 1u, sizeof(erg_pid_t));
    if (h->subs == NULL)
        die("out of memory");
    snprintf(g_sub_event, sizeof(g_sub_event), "%.*s", (int)s->name.len,
             s->name.ptr);
    snprintf(g_sub_node, sizeof(g_sub_node), "%.*s", (int)s->node.len,
             s->node.ptr);
    g_want = s->subscribers;
    atomic_store(&g_subscribed, 0);
    atomic_store(&g_pending, g_want);
    h->setup_from = from;
    h->setup_ref = ref;
    h->setting_up = true;
    /* Linked to the hub: a publisher that ends takes them along. */
    erg_spawn_opts_t o;
    erg_spawn_opts_init(&o);
    o.link_parent = true;
    for (long i = 0; i < g_want; i++) {
        erg_err_t rv = erg_spawn(self, &sub_b, &o, NULL, &h->subs[i]);
        if (rv != ERG_OK)
            die("spawning subscriber %ld: %s", i, erg_strerror(rv));
        h->nsubs++;
    }
    return ERG_REASON_NONE;
}

/* What hubs and the publisher share: the end of a setup. */
static bool hub_setup_done(erg_proc_t *self, erg_msg_t *msg) {
    hub_t *h = erg_proc_state(self);
    if (!is(msg, &bench_net_done_v1_desc) || !h->setting_up)
        return false;
    h->setting_up = false;
    erg_err_t rv =
        erg_reply(self, h->setup_from, h->setup_ref,
                  count_msg(&bench_net_done_v1_desc, (uint64_t)h->nsubs));
    if (rv != ERG_OK)
        die("answering Setup: %s", erg_strerror(rv));
    return true;
}

static void hub_publish(erg_proc_t *self, erg_msg_t *msg) {
    hub_t *h = erg_proc_state(self);
    erg_err_t rv = erg_event_send(self, h->event, h->token, msg);
    if (rv != ERG_OK)
        die("erg_event_send: %s", erg_strerror(rv));
}

/* Relay mode: an Event from the publisher, published on this node. */
static erg_reason_t hub_message(erg_proc_t *self, erg_pid_t from,
                                erg_msg_t *msg) {
    (void)from;
    if (hub_setup_done(self, msg))
        return ERG_REASON_NONE;
    if (!is(msg, &bench_net_event_v1_desc))
        return ERG_REASON_PANIC;
    erg_msg_retain(msg);
    hub_publish(self, msg);
    return ERG_REASON_NONE;
}

static const erg_behavior_t hub_b = {.name = "hub",
                                     .state_size = sizeof(hub_t),
                                     .init = hub_init,
                                     .handle_message = hub_message,
                                     .handle_call = hub_call,
                                     .terminate = hub_terminate};

/* A child: serves until A closes its stdin. */
static erg_node_t *node_start(const char *name, bool accept);

static int child_main(const char *letter) {
    char name[64];
    snprintf(name, sizeof(name), "%s@127.0.0.1", letter);
    g_node = node_start(name, true);
    static const struct {
        const char *name;
        const erg_behavior_t *beh;
    } services[] = {
        {"rx", &rx_b}, {"pong", &pong_b}, {"srv", &srv_b}, {"hub", &hub_b}};
    for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
        erg_spawn_opts_t o;
        erg_spawn_opts_init(&o);
        o.register_name = services[i].name;
        erg_pid_t pid;
        erg_err_t rv = erg_node_spawn(g_node, services[i].beh, &o, NULL, &pid);
        if (rv != ERG_OK)
            die("%s: spawning %s: %s", name, services[i].name,
                erg_strerror(rv));
    }
    char line[16];
    int n =
        snprintf(line, sizeof(line), "%u\n", (unsigned)erg_net_port(g_node));
    if (write(3, line, (size_t)n) != n)
        die("%s: cannot tell A its port", name);
    close(3);
    char buf[64];
    ssize_t got;
    while ((got = read(0, buf, sizeof(buf))) > 0 || (got < 0 && errno == EINTR))
        ;
    alarm(20); /* a stop that hangs ends with SIGALRM */
    erg_node_set_log_level(g_node, ERG_LOG_ERROR); /* "lost node a" */
    erg_node_stop(g_node);
    return 0;
}

/* ---- node A: the harness ------------------------------------------------ */

static erg_node_t *node_start(const char *name, bool accept) {
    erg_node_opts_t o;
    erg_node_opts_init(&o);
    o.log_level = ERG_LOG_WARNING;
    erg_node_t *node;
    erg_err_t rv = erg_node_start(name, &o, &node);
    if (rv != ERG_OK)
        die("erg_node_start(%s): %s", name, erg_strerror(rv));
    erg_acceptor_opts_t acc = {"127.0.0.1", 0, 0};
    erg_net_opts_t n;
    erg_net_opts_init(&n);
    n.registrar.disable = true; /* static routes: the bench knows its ports */
    n.cookie = getenv(COOKIE_ENV);
    if (accept) {
        n.acceptors = &acc;
        n.nacceptors = 1;
    } else {
        n.no_acceptor = true;
    }
    n.registries = g_regs;
    n.nregistries = 1;
    rv = erg_net_start(node, &n);
    if (rv != ERG_OK)
        die("erg_net_start(%s): %s", name, erg_strerror(rv));
    return node;
}

/* Makes fd `from` the child's fd `to`, without close-on-exec. */
static void move_fd(int from, int to) {
    if (from == to)
        fcntl(to, F_SETFD, 0);
    else
        dup2(from, to);
}

/* Starts node <letter>@127.0.0.1 as a child process and connects to it. */
static void spawn_child(char letter) {
    child_t *c = &g_children[g_nchildren];
    snprintf(c->name, sizeof(c->name), "%c@127.0.0.1", letter);
    int port_pipe[2], ctl_pipe[2];
    if (pipe2(port_pipe, O_CLOEXEC) != 0 || pipe2(ctl_pipe, O_CLOEXEC) != 0)
        die("pipe2: %s", strerror(errno));
    char arg[2] = {letter, '\0'};
    pid_t parent = getpid();
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        /* Only async-signal-safe calls until exec: A has threads. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(1);
        move_fd(ctl_pipe[0], 0);
        move_fd(port_pipe[1], 3);
        execl("/proc/self/exe", "bench_net", "--node", arg, (char *)NULL);
        _exit(127);
    }
    c->pid = pid;
    c->ctl = ctl_pipe[1];
    g_nchildren++;
    close(port_pipe[1]);
    close(ctl_pipe[0]);
    char line[16] = "";
    size_t len = 0;
    while (len < sizeof(line) - 1 && strchr(line, '\n') == NULL) {
        struct pollfd p = {port_pipe[0], POLLIN, 0};
        int r = poll(&p, 1, WAIT_MS);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            die("node %s did not start in time", c->name);
        ssize_t n = read(port_pipe[0], line + len, sizeof(line) - 1 - len);
        if (n <= 0)
            die("node %s exited before telling its port", c->name);
        len += (size_t)n;
        line[len] = '\0';
    }
    close(port_pipe[0]);
    c->port = (uint16_t)atoi(line);
    erg_route_t route = {c->name, "127.0.0.1", c->port};
    erg_err_t rv = erg_net_add_route(g_node, &route);
    if (rv == ERG_OK)
        rv = erg_net_connect(g_node, c->name);
    if (rv != ERG_OK)
        die("connecting to %s on port %u: %s", c->name, (unsigned)c->port,
            erg_strerror(rv));
}

/* Lets each child stop by itself (EOF on its stdin), then reaps it;
 * one that does not stop in 10 s is killed. */
static int stop_children(void) {
    int status = 0;
    for (int i = 0; i < g_nchildren; i++)
        close(g_children[i].ctl);
    for (int i = 0; i < g_nchildren; i++) {
        child_t *c = &g_children[i];
        int st = 0;
        pid_t r = 0;
        for (int k = 0; k < 10000 && (r = waitpid(c->pid, &st, WNOHANG)) == 0;
             k++)
            sleep_us(1000);
        if (r == 0) {
            fprintf(stderr, "net_bench: node %s did not stop, killed\n",
                    c->name);
            kill(c->pid, SIGKILL);
            waitpid(c->pid, &st, 0);
            status = 1;
        } else if (r < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "net_bench: node %s ended badly (status %d)\n",
                    c->name, st);
            status = 1;
        }
        c->pid = 0;
    }
    return status;
}

/* A service's pid, asked by name (untimed): Erlang's drivers get pids. */
static erg_pid_t resolve(const char *node_name, const char *service) {
    bench_net_hello_v1_t h = BENCH_NET_HELLO_V1_INIT;
    erg_msg_t *req = typed(&bench_net_hello_v1_desc, &h), *reply;
    erg_err_t rv = erg_node_call(g_node, erg_to_remote_name(service, node_name),
                                 req, WAIT_MS, &reply);
    if (rv != ERG_OK)
        die("finding %s on %s: %s", service, node_name, erg_strerror(rv));
    if (!is(reply, &bench_net_here_v1_desc))
        die("%s on %s answered something else", service, node_name);
    erg_pid_t pid =
        pid_of(&((const bench_net_here_v1_t *)erg_typed_msg_value(reply))->pid);
    erg_msg_release(reply);
    return pid;
}

/* Each driver on A runs one round when it gets Count n. */
static void run_round(erg_pid_t driver, long n, atomic_long *finished,
                      const char *what) {
    atomic_store(finished, 0);
    erg_msg_t *m = count_msg(&bench_net_count_v1_desc, (uint64_t)n);
    erg_err_t rv = erg_node_send(g_node, erg_to_pid(driver), m, 0);
    if (rv != ERG_OK)
        die("%s: %s", what, erg_strerror(rv));
    wait_for(finished, 1, what);
}

static erg_pid_t spawn_driver(const erg_behavior_t *beh, void *args) {
    erg_pid_t pid;
    erg_err_t rv = erg_node_spawn(g_node, beh, NULL, args, &pid);
    if (rv != ERG_OK)
        die("spawning %s: %s", beh->name, erg_strerror(rv));
    return pid;
}

static void stop_driver(erg_pid_t pid) {
    erg_node_send_exit(g_node, pid, ERG_REASON_NORMAL);
}

/* State of drivers: a pointer to the run they share with the harness. */
static erg_reason_t driver_init(erg_proc_t *self, void *args) {
    *(void **)erg_proc_state(self) = args;
    return ERG_REASON_NONE;
}

#define RUN_OF(self, type) (*(type **)erg_proc_state(self))

/* ---- remote_oneway ------------------------------------------------------ */

typedef struct oneway_s {
    erg_pid_t rx;
    size_t note_len;
    uint64_t next_id, t0, elapsed;
    atomic_long finished;
} oneway_t;

static erg_reason_t sender_message(erg_proc_t *self, erg_pid_t from,
                                   erg_msg_t *msg) {
    (void)from;
    oneway_t *o = RUN_OF(self, oneway_t);
    if (is(msg, &bench_net_done_v1_desc)) {
        o->elapsed = now_ns() - o->t0;
        atomic_store(&o->finished, 1);
        return ERG_REASON_NONE;
    }
    uint64_t n = u64_of(msg);
    o->t0 = now_ns();
    send_or_die(self, o->rx, count_msg(&bench_net_count_v1_desc, n));
    for (uint64_t i = 0; i < n; i++)
        send_or_die(self, o->rx,
                    order_msg(ORDER_ID0 + o->next_id++, o->note_len));
    return ERG_REASON_NONE;
}

static const erg_behavior_t sender_b = {.name = "sender",
                                        .state_size = sizeof(void *),
                                        .init = driver_init,
                                        .handle_message = sender_message};

static void bench_oneway(size_t size, long n) {
    oneway_t o = {.rx = resolve(g_children[0].name, "rx"),
                  .note_len = note_len_for(size)};
    erg_pid_t sender = spawn_driver(&sender_b, &o);
    /* The sender outruns the receiver, so its link fills up to the
     * 64 MiB limit and sends fail with ERG_EBUSY until it drains; the
     * runtime logs a warning for each of those (thousands per run). A
     * message really lost would leave the receiver short of n, which
     * ends the run with an error. */
    erg_node_set_log_level(g_node, ERG_LOG_ERROR);
    run_round(sender, n / 10 > 0 ? n / 10 : 1, &o.finished, "oneway warm-up");
    run_round(sender, n, &o.finished, "remote_oneway");
    erg_node_set_log_level(g_node, ERG_LOG_WARNING);
    stop_driver(sender);
    printf("bench=remote_oneway impl=erg size=%zu msgs=%ld msgs_per_s=%.0f\n",
           size, n, (double)n / ((double)o.elapsed / 1e9));
    fflush(stdout);
}

/* ---- remote_pingpong ---------------------------------------------------- */

typedef struct pingpong_s {
    erg_pid_t pong;
    size_t note_len;
    long rounds, done;
    uint64_t *rtt;
    uint64_t t0, sent_at, elapsed;
    atomic_long finished;
} pingpong_t;

static void ping(erg_proc_t *self, pingpong_t *p) {
    p->sent_at = now_ns();
    send_or_die(self, p->pong,
                order_msg(ORDER_ID0 + (uint64_t)p->done, p->note_len));
}

static erg_reason_t pinger_message(erg_proc_t *self, erg_pid_t from,
                                   erg_msg_t *msg) {
    (void)from;
    pingpong_t *p = RUN_OF(self, pingpong_t);
    if (is(msg, &bench_net_count_v1_desc)) {
        p->rounds = (long)u64_of(msg);
        p->done = 0;
        p->t0 = now_ns();
        ping(self, p);
        return ERG_REASON_NONE;
    }
    uint64_t t = now_ns();
    if (!is(msg, &bench_net_order_v1_desc))
        return ERG_REASON_PANIC;
    p->rtt[p->done++] = t - p->sent_at;
    if (p->done < p->rounds) {
        ping(self, p);
        return ERG_REASON_NONE;
    }
    p->elapsed = t - p->t0;
    atomic_store(&p->finished, 1);
    return ERG_REASON_NONE;
}

static const erg_behavior_t pinger_b = {.name = "pinger",
                                        .state_size = sizeof(void *),
                                        .init = driver_init,
                                        .handle_message = pinger_message};

static void bench_pingpong(size_t size, long rounds) {
    pingpong_t p = {.pong = resolve(g_children[0].name, "pong"),
                    .note_len = note_len_for(size),
                    .rtt = calloc((size_t)rounds, sizeof(uint64_t))};
    if (p.rtt == NULL)
        die("out of memory");
    erg_pid_t pinger = spawn_driver(&pinger_b, &p);
    run_round(pinger, rounds / 10 > 0 ? rounds / 10 : 1, &p.finished,
              "pingpong warm-up");
    run_round(pinger, rounds, &p.finished, "remote_pingpong");
    stop_driver(pinger);
    qsort(p.rtt, (size_t)rounds, sizeof(uint64_t), cmp_u64);
    printf("bench=remote_pingpong impl=erg size=%zu rounds=%ld "
           "msgs_per_s=%.0f p50_us=%.1f p99_us=%.1f\n",
           size, rounds, 2.0 * (double)rounds / ((double)p.elapsed / 1e9),
           pct_us(p.rtt, rounds, 50), pct_us(p.rtt, rounds, 99));
    fflush(stdout);
    free(p.rtt);
}

/* ---- remote_call -------------------------------------------------------- */

typedef struct call_s {
    erg_pid_t srv;
    size_t note_len;
    uint64_t *lat;
    uint64_t elapsed;
    atomic_long finished;
} call_t;

static erg_reason_t caller_message(erg_proc_t *self, erg_pid_t from,
                                   erg_msg_t *msg) {
    (void)from;
    call_t *c = RUN_OF(self, call_t);
    long n = (long)u64_of(msg);
    uint64_t t0 = now_ns();
    for (long i = 0; i < n; i++) {
        uint64_t t = now_ns();
        uint64_t id = ORDER_ID0 + (uint64_t)i;
        erg_msg_t *req = order_msg(id, c->note_len), *reply;
        erg_err_t rv = erg_call(self, erg_to_pid(c->srv), req, 5000, &reply);
        if (rv != ERG_OK)
            die("erg_call: %s", erg_strerror(rv));
        const bench_net_order_ok_v1_t *ok = erg_typed_msg_value(reply);
        if (!is(reply, &bench_net_order_ok_v1_desc) || ok->id != id)
            die("the call of order %llu got a wrong answer",
                (unsigned long long)id);
        erg_msg_release(reply);
        c->lat[i] = now_ns() - t;
    }
    c->elapsed = now_ns() - t0;
    atomic_store(&c->finished, 1);
    return ERG_REASON_NONE;
}

static const erg_behavior_t caller_b = {.name = "caller",
                                        .state_size = sizeof(void *),
                                        .init = driver_init,
                                        .handle_message = caller_message};

static void bench_call(long n) {
    call_t c = {.srv = resolve(g_children[0].name, "srv"),
                .note_len = note_len_for(100),
                .lat = calloc((size_t)n, sizeof(uint64_t))};
    if (c.lat == NULL)
        die("out of memory");
    erg_pid_t caller = spawn_driver(&caller_b, &c);
    run_round(caller, n / 10 > 0 ? n / 10 : 1, &c.finished, "call warm-up");
    run_round(caller, n, &c.finished, "remote_call");
    stop_driver(caller);
    qsort(c.lat, (size_t)n, sizeof(uint64_t), cmp_u64);
    printf("bench=remote_call impl=erg size=100 calls=%ld calls_per_s=%.0f "
           "p50_us=%.1f p99_us=%.1f\n",
           n, (double)n / ((double)c.elapsed / 1e9), pct_us(c.lat, n, 50),
           pct_us(c.lat, n, 99));
    fflush(stdout);
    free(c.lat);
}

/* ---- pubsub_fanout ------------------------------------------------------ */

typedef struct fanout_s {
    bool relay;        /* relay mode, else event mode */
    erg_pid_t hubs[3]; /* relay mode: where the order goes */
    unsigned nremote;
    size_t note_len;
    long events; /* after one warm-up event */
    uint64_t times[MAX_EVENTS + 1];
    atomic_long finished;
} fanout_t;

/* The publisher is A's hub plus the run. */
typedef struct publisher_s {
    hub_t hub; /* first: hub_call and hub_setup_done use it */
    fanout_t *run;
    uint64_t seq, t0;
    unsigned nodes_done;
} publisher_t;

static erg_reason_t publisher_init(erg_proc_t *self, void *args) {
    publisher_t *p = erg_proc_state(self);
    p->run = args;
    return hub_register(self, p->run->relay ? RELAY_EVENT : EVENT_NAME);
}

static void publish(erg_proc_t *self, publisher_t *p, uint64_t seq) {
    bench_net_event_v1_t ev = {seq,
                               wire_of(self),
                               ORDER_ID0 + seq,
                               ORDER_ACCOUNT,
                               ORDER_PRICE,
                               ORDER_QTY,
                               ORDER_TS,
                               {g_note, p->run->note_len}};
    erg_msg_t *m = typed(&bench_net_event_v1_desc, &ev);
    p->seq = seq;
    p->nodes_done = 0;
    p->t0 = now_ns();
    for (unsigned i = 0; p->run->relay && i < p->run->nremote; i++) {
        erg_msg_retain(m);
        send_or_die(self, p->run->hubs[i], m);
    }
    hub_publish(self, m);
}

static erg_reason_t publisher_message(erg_proc_t *self, erg_pid_t from,
                                      erg_msg_t *msg) {
    (void)from;
    publisher_t *p = erg_proc_state(self);
    if (hub_setup_done(self, msg))
        return ERG_REASON_NONE;
    if (is(msg, &bench_net_count_v1_desc)) {
        publish(self, p, 0);
        return ERG_REASON_NONE;
    }
    if (!is(msg, &bench_net_node_done_v1_desc) || u64_of(msg) != p->seq)
        die("the publisher got a stray message");
    if (++p->nodes_done < p->run->nremote + 1)
        return ERG_REASON_NONE;
    p->run->times[p->seq] = now_ns() - p->t0;
    if ((long)p->seq < p->run->events)
        publish(self, p, p->seq + 1);
    else
        atomic_store(&p->run->finished, 1);
    return ERG_REASON_NONE;
}

static const erg_behavior_t publisher_b = {.name = "publisher",
                                           .state_size = sizeof(publisher_t),
                                           .init = publisher_init,
                                           .handle_message = publisher_message,
                                           .handle_call = hub_call,
                                           .terminate = hub_terminate};

/* Gives a hub (or the publisher) n subscribers of event on node ("" for
 * its own node) and waits until they all subscribed. */
static void setup_subscribers(erg_pid_t hub, long n, const char *event,
                              const char *node) {
    bench_net_setup_v1_t s = {
        (uint32_t)n, {event, strlen(event)}, {node, strlen(node)}};
    erg_msg_t *req = typed(&bench_net_setup_v1_desc, &s), *reply;
    erg_err_t rv = erg_node_call(g_node, erg_to_pid(hub), req, WAIT_MS, &reply);
    if (rv != ERG_OK)
        die("setting up %ld subscribers: %s", n, erg_strerror(rv));
    erg_msg_release(reply);
}

static void bench_pubsub(bool relay, long subscribers, long events) {
    while (g_nchildren < 3)
        spawn_child((char)('b' + g_nchildren));
    long per_node = subscribers / 4;
    fanout_t f = {.relay = relay,
                  .nremote = 3,
                  .note_len = note_len_for(100),
                  .events = events};
    erg_pid_t publisher = spawn_driver(&publisher_b, &f);
    const char *a = erg_node_name(g_node);
    for (unsigned i = 0; i < f.nremote; i++) {
        f.hubs[i] = resolve(g_children[i].name, "hub");
        if (relay)
            setup_subscribers(f.hubs[i], per_node, RELAY_EVENT, "");
        else
            setup_subscribers(f.hubs[i], per_node, EVENT_NAME, a);
    }
    setup_subscribers(publisher, per_node, relay ? RELAY_EVENT : EVENT_NAME,
                      "");
    if (!relay) {
        /* A remote node's subscription reaches A after its subscribers'
         * inits returned: wait until A counts all three (one each). */
        unsigned n = 0;
        for (long waited = 0;
             erg_node_event_subscribers(g_node, EVENT_NAME, &n) == ERG_OK &&
             n < (unsigned)per_node + f.nremote;
             waited++) {
            if (waited > WAIT_MS)
                die("remote nodes did not subscribe to %s", EVENT_NAME);
            sleep_us(1000);
        }
    }
    run_round(publisher, events, &f.finished, "pubsub_fanout");
    stop_driver(publisher);
    qsort(f.times + 1, (size_t)events, sizeof(uint64_t), cmp_u64);
    double median = (double)f.times[1 + (events - 1) / 2];
    printf("bench=pubsub_fanout impl=erg mode=%s subscribers=%ld nodes=4 "
           "events=%ld deliveries_per_s=%.0f total_ms=%.1f\n",
           relay ? "relay" : "event", per_node * 4, events,
           (double)(per_node * 4) / (median / 1e9), median / 1e6);
    fflush(stdout);
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--node") == 0)
        return child_main(argv[2]);
    const char *only = argc > 1 ? argv[1] : NULL;
#define RUN(name) (only == NULL || strcmp(only, name) == 0)
    /* A cookie of this run, inherited by the children. */
    uint8_t rnd[16];
    char cookie[40] = "erg_bench_";
    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
        die("getrandom: %s", strerror(errno));
    for (size_t i = 0; i < sizeof(rnd); i++)
        snprintf(cookie + 10 + 2 * i, 3, "%02x", rnd[i]);
    setenv(COOKIE_ENV, cookie, 1);
    memset(g_note, 'x', sizeof(g_note));
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGALRM, on_signal);
    alarm(WATCHDOG_S);

    g_node = node_start("a@127.0.0.1", false);
    spawn_child('b');
    if (RUN("remote_oneway")) {
        bench_oneway(100, scale(2000000));
        bench_oneway(4096, scale(300000));
    }
    if (RUN("remote_pingpong")) {
        bench_pingpong(100, scale(20000));
        bench_pingpong(4096, scale(15000));
    }
    if (RUN("remote_call"))
        bench_call(scale(20000));
    if (RUN("pubsub_fanout")) {
        bench_pubsub(false, scale(100000), 5);
        bench_pubsub(true, scale(100000), 5);
    }
    /* Children first, so that no node logs that it lost another. */
    erg_node_set_log_level(g_node, ERG_LOG_ERROR);
    int status = stop_children();
    erg_node_stop(g_node);
    alarm(0);
    return status;
}
