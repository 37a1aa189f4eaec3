/* SPDX-License-Identifier: MIT */
/* spawn.c: processes and applications started for other nodes, within
 * their allow-lists, and the requests this node makes of others. */
#include <stdio.h>
#include <string.h>

#include "core/actor.h"
#include "core/node.h"
#include "erg/control.h"
#include "erg/remote.h"
#include "net/events.h"
#include "net/net.h"
#include "net/remote.h"
#include "util/alloc.h"

/* An allow-list entry: which nodes (none listed: all) may use it. */
typedef struct allow_s {
    const erg_behavior_t *beh; /* factories only */
    size_t nnodes;
    char **nodes;
} allow_t;

static void allow_free(allow_t *a) {
    for (size_t i = 0; a != NULL && i < a->nnodes; i++)
        erg__free(a->nodes[i]);
    if (a != NULL)
        erg__free(a->nodes);
    erg__free(a);
}

static void free_entry(const char *k, uint64_t ik, void *v, void *arg) {
    (void)k;
    (void)ik;
    (void)arg;
    allow_free(v);
}

void erg__spawn_fini(erg__net_t *net) {
    erg__hmap_foreach(&net->spawnable, free_entry, NULL);
    erg__hmap_fini(&net->spawnable);
    erg__hmap_foreach(&net->startable, free_entry, NULL);
    erg__hmap_fini(&net->startable);
}

/* Adds name to the factories (beh given) or the applications (beh NULL)
 * nodes[0..nnodes) may start here. */
static erg_err_t allow(erg_node_t *node, const char *name,
                       const erg_behavior_t *beh, const char *const *nodes,
                       size_t nnodes) {
    if (node == NULL || name == NULL || name[0] == '\0' ||
        strlen(name) > 255 || (nnodes != 0 && nodes == NULL))
        return ERG_EINVAL;
    erg__net_t *net = node->net;
    if (net == NULL)
        return ERG_ENOCONN;
    allow_t *a = erg__calloc(1, sizeof(*a));
    if (a == NULL)
        return ERG_ENOMEM;
    a->beh = beh;
    a->nodes = nnodes != 0 ? erg__calloc(nnodes, sizeof(char *)) : NULL;
    if (nnodes != 0 && a->nodes == NULL) {
        allow_free(a);
        return ERG_ENOMEM;
    }
    for (size_t i = 0; i < nnodes; i++, a->nnodes++)
        if (nodes[i] == NULL || (a->nodes[i] = erg__strdup(nodes[i])) == NULL) {
            allow_free(a);
            return nodes[i] == NULL ? ERG_EINVAL : ERG_ENOMEM;
        }
    erg__hmap_t *map = beh != NULL ? &net->spawnable : &net->startable;
    pthread_mutex_lock(&net->mu);
    allow_free(erg__hmap_del_str(map, name));
    erg_err_t rv = erg__hmap_put_str(map, name, a);
    pthread_mutex_unlock(&net->mu);
    if (rv != ERG_OK)
        allow_free(a);
    return rv;
}

erg_err_t erg_net_allow_spawn(erg_node_t *node, const char *factory,
                              const erg_behavior_t *beh,
                              const char *const *nodes, size_t nnodes) {
    if (beh == NULL || beh->init == NULL)
        return ERG_EINVAL;
    return allow(node, factory, beh, nodes, nnodes);
}

erg_err_t erg_net_disallow_spawn(erg_node_t *node, const char *factory) {
    if (node == NULL || factory == NULL)
        return ERG_EINVAL;
    if (node->net == NULL)
        return ERG_ENOCONN;
    pthread_mutex_lock(&node->net->mu);
    allow_t *a = erg__hmap_del_str(&node->net->spawnable, factory);
    pthread_mutex_unlock(&node->net->mu);
    allow_free(a);
    return a != NULL ? ERG_OK : ERG_ENOENT;
}

erg_err_t erg_net_allow_app_start(erg_node_t *node, const char *app,
                                  const char *const *nodes, size_t nnodes) {
    return allow(node, app, NULL, nodes, nnodes);
}

/* Under nothing: is `who` allowed by entry name of map? Fills *beh. */
static bool allowed(erg__net_t *net, erg__hmap_t *map, const char *name,
                    const char *who, const erg_behavior_t **beh) {
    bool ok = false;
    pthread_mutex_lock(&net->mu);
    allow_t *a = erg__hmap_get_str(map, name);
    if (a != NULL) {
        ok = a->nnodes == 0;
        for (size_t i = 0; !ok && i < a->nnodes; i++)
            ok = strcmp(a->nodes[i], who) == 0;
        if (beh != NULL)
            *beh = a->beh;
    }
    pthread_mutex_unlock(&net->mu);
    return ok;
}

/* ---- answering (the node asked) ------------------------------------------- */

/* Sends a control answer to the requester over its (up) peer. */
static void answer(erg_node_t *node, erg_pid_t to, uint8_t kind,
                   const erg_codec_desc_t *desc, const void *value) {
    erg__pend_t e = {0};
    e.kind = kind;
    e.from = to; /* the link of the requester's frames */
    e.target = erg_to_pid(to);
    e.ctl_desc = desc;
    e.ctl = value;
    erg__remote_route(node, to.node, NULL, &e, false);
}

static void spawned(erg_node_t *node, erg_pid_t to, erg_ref_t ref,
                    erg_err_t code, erg_pid_t pid) {
    erg__net_t *net = node->net;
    char n1[256], n2[256], n3[256];
    erg_net_spawn_result_v1_t r = {
        erg__wire_pid(net, to, n1),
        erg__wire_ref(net, ref.node, ref.creation, ref.id, n2), code,
        erg__wire_pid(net, pid, n3)};
    answer(node, to, ERG__FRAME_SPAWNED, &erg_net_spawn_result_v1_desc, &r);
}

/* What a helper process does for a request, off the network thread: a
 * synchronous spawn or application start may take seconds. */
typedef struct job_s {
    erg_node_t *node;
    erg_pid_t requester;
    erg_ref_t ref;
    const erg_behavior_t *beh; /* spawn */
    erg_spawn_opts_t opts;
    erg_msg_t *args;
    char app[256];             /* app start */
    erg_app_mode_t mode;
    char register_name[256];
    bool answered;
} job_t;

static void app_answer(erg_node_t *node, const job_t *job, erg_err_t code,
                       const char *app);

static void job_answer(job_t *job, erg_err_t code, erg_pid_t pid) {
    job->answered = true;
    if (job->beh != NULL)
        spawned(job->node, job->requester, job->ref, code, pid);
    else
        app_answer(job->node, job, code, job->app);
}

/* The job rides in a message to its helper, so whatever becomes of the
 * helper (a node stopping before it runs, a kill) the job is freed and
 * its requester answered once. */
static void job_dtor(erg_msg_t *m) {
    job_t *job = *(job_t **)erg_msg_data(m);
    if (!job->answered)
        job_answer(job, ERG_ETERMINATED, (erg_pid_t){0, 0, 0});
    erg_msg_release(job->args);
    erg__free(job);
}

static erg_reason_t job_init(erg_proc_t *self, void *arg) {
    (void)self;
    (void)arg;
    return ERG_REASON_NONE;
}

static erg_reason_t job_run(erg_proc_t *self, erg_pid_t from,
                            erg_msg_t *m) {
    (void)self;
    (void)from;
    job_t *job = *(job_t **)erg_msg_data(m);
    erg_pid_t pid = {0, 0, 0};
    erg_err_t rv =
        job->beh != NULL
            ? erg_node_spawn(job->node, job->beh, &job->opts, job->args,
                             &pid)
            : erg_app_start_mode(job->node, job->app, job->mode);
    job_answer(job, rv, pid);
    return ERG_REASON_NORMAL;
}

static const erg_behavior_t job_behavior = {
    .name = "erg.net.request",
    .init = job_init,
    .handle_message = job_run,
};

/* Hands job to a new helper process. Takes job (and its args) in every
 * case, answering the requester itself if that fails. */
static void run_job(erg_node_t *node, job_t *job) {
    job->node = node;
    erg_msg_t *m;
    erg_err_t rv = erg__msg_new_sys(NULL, sizeof(job), 0, job_dtor, &m);
    if (rv != ERG_OK) {
        job_answer(job, rv, (erg_pid_t){0, 0, 0});
        erg_msg_release(job->args);
        erg__free(job);
        return;
    }
    *(job_t **)erg_msg_data(m) = job;
    erg_pid_t pid;
    rv = erg__spawn(node, NULL, &job_behavior, NULL, NULL, 0, &pid);
    if (rv == ERG_OK && (rv = erg_node_send(node, erg_to_pid(pid), m, 0)) !=
                            ERG_OK)
        erg_node_kill_process(node, pid);
    if (rv != ERG_OK) {
        job_answer(job, rv, (erg_pid_t){0, 0, 0});
        erg_msg_release(m);
    }
}

bool erg__spawn_frame(erg__link_t *l, const erg__frame_t *f) {
    erg__net_t *net = l->net;
    erg_node_t *node = net->node;
    erg__data_t d;
    erg_net_spawn_v1_t *s = NULL;
    if (erg__data_split(f->payload, f->len, &d) != ERG_OK ||
        erg_codec_decode(&erg_net_spawn_v1_desc, d.head, d.head_len,
                         (void **)&s) != ERG_OK)
        return false;
    erg_pid_t from = erg__pid_from_wire(net, &s->from);
    erg_ref_t ref = erg__ref_from_wire(&s->ref);
    bool ok = from.node == l->peer->hash;
    if (!ok)
        goto out;
    const erg_behavior_t *beh = NULL;
    erg_err_t rv = ERG_OK;
    if (!(net->opts.flags & ERG_NET_ALLOW_REMOTE_SPAWN) ||
        !allowed(net, &net->spawnable, s->factory.ptr, l->peer->name, &beh)) {
        erg__node_logf(node, ERG_LOG_WARNING,
                       "node %s may not spawn factory %s here", l->peer->name,
                       s->factory.ptr);
        rv = ERG_ENOTALLOWED;
    }
    erg_msg_t *args = NULL;
    if (rv == ERG_OK && d.has_msg) {
        erg__vtype_t *vt;
        char why[600];
        rv = erg__remote_take_msg(l, &d, &args, &vt, why, sizeof(why));
    }
    job_t *job = rv == ERG_OK ? erg__calloc(1, sizeof(*job)) : NULL;
    if (rv == ERG_OK && job == NULL)
        rv = ERG_ENOMEM;
    if (rv == ERG_OK) {
        job->requester = from;
        job->ref = ref;
        job->beh = beh;
        job->args = args;
        erg_spawn_opts_init(&job->opts);
        job->opts.mailbox_limit = s->mailbox_limit;
        if (s->register_name.len != 0) {
            memcpy(job->register_name, s->register_name.ptr,
                   s->register_name.len + 1);
            job->opts.register_name = job->register_name;
        }
        run_job(node, job); /* answers from here on */
    }
    if (rv != ERG_OK) {
        erg_msg_release(args);
        spawned(node, from, ref, rv, (erg_pid_t){0, 0, 0});
    }
out:
    erg_codec_free(&erg_net_spawn_v1_desc, s);
    return ok;
}

static void app_answer(erg_node_t *node, const job_t *job, erg_err_t code,
                       const char *app) {
    erg__net_t *net = node->net;
    char n1[256], n2[256];
    erg_net_app_info_v1_t r = {0};
    r.to = erg__wire_pid(net, job->requester, n1);
    r.ref = erg__wire_ref(net, job->ref.node, job->ref.creation, job->ref.id,
                          n2);
    r.code = code;
    erg_app_info_t *info = NULL;
    if (code == ERG_OK && (code = erg_app_info(node, app, &info)) != ERG_OK)
        r.code = code;
    erg_wire_pid_t *members = NULL;
    erg_str_t *depends = NULL, *tags = NULL;
    erg_net_app_role_t *roles = NULL;
    char (*names)[256] = NULL;
    if (info != NULL) {
        size_t nm = info->nmembers;
        members = erg__calloc(nm + 1, sizeof(*members));
        names = erg__calloc(nm + 1, sizeof(*names));
        depends = erg__calloc(info->ndepends + 1, sizeof(*depends));
        tags = erg__calloc(info->ntags + 1, sizeof(*tags));
        roles = erg__calloc(info->nmap + 1, sizeof(*roles));
        if (members == NULL || names == NULL || depends == NULL ||
            tags == NULL || roles == NULL) {
            r.code = ERG_ENOMEM;
        } else {
            r.name = (erg_str_t){info->name, strlen(info->name)};
            r.description = (erg_str_t){info->description,
                                        strlen(info->description)};
            r.version = (erg_str_t){info->version, strlen(info->version)};
            r.state = (uint8_t)info->state;
            r.mode = (uint8_t)info->mode;
            r.weight = info->weight;
            r.uptime_ms = info->uptime_ms;
            r.reason = info->reason;
            for (size_t i = 0; i < nm; i++)
                members[i] = erg__wire_pid(net, info->members[i], names[i]);
            for (size_t i = 0; i < info->ndepends; i++)
                depends[i] = (erg_str_t){info->depends[i],
                                         strlen(info->depends[i])};
            for (size_t i = 0; i < info->ntags; i++)
                tags[i] = (erg_str_t){info->tags[i], strlen(info->tags[i])};
            for (size_t i = 0; i < info->nmap; i++)
                roles[i] = (erg_net_app_role_t){
                    {info->map[i].role, strlen(info->map[i].role)},
                    {info->map[i].process, strlen(info->map[i].process)}};
            r.members = (erg_net_app_info_v1_members_t){members, nm};
            r.depends = (erg_net_app_info_v1_depends_t){depends,
                                                        info->ndepends};
            r.tags = (erg_net_app_info_v1_tags_t){tags, info->ntags};
            r.roles = (erg_net_app_info_v1_roles_t){roles, info->nmap};
        }
    }
    if (r.code != ERG_OK) {
        r.members = (erg_net_app_info_v1_members_t){NULL, 0};
        r.depends = (erg_net_app_info_v1_depends_t){NULL, 0};
        r.tags = (erg_net_app_info_v1_tags_t){NULL, 0};
        r.roles = (erg_net_app_info_v1_roles_t){NULL, 0};
        r.name = r.description = r.version = (erg_str_t){"", 0};
    }
    answer(node, job->requester, ERG__FRAME_APP_INFO,
           &erg_net_app_info_v1_desc, &r);
    erg__free(members);
    erg__free(names);
    erg__free(depends);
    erg__free(tags);
    erg__free(roles);
    erg_app_info_free(info);
}

bool erg__app_frame(erg__link_t *l, const erg__frame_t *f) {
    erg__net_t *net = l->net;
    erg_node_t *node = net->node;
    erg_net_app_request_v1_t *q = NULL;
    if (erg_codec_decode(&erg_net_app_request_v1_desc, f->payload, f->len,
                         (void **)&q) != ERG_OK)
        return false;
    job_t j = {0};
    j.requester = erg__pid_from_wire(net, &q->from);
    j.ref = erg__ref_from_wire(&q->ref);
    bool ok = j.requester.node == l->peer->hash;
    if (ok && !q->start) {
        app_answer(node, &j, ERG_OK, q->app.ptr);
    } else if (ok) {
        erg_err_t rv = ERG_OK;
        if (!(net->opts.flags & ERG_NET_ALLOW_REMOTE_APP_START) ||
            !allowed(net, &net->startable, q->app.ptr, l->peer->name, NULL)) {
            erg__node_logf(node, ERG_LOG_WARNING,
                           "node %s may not start application %s here",
                           l->peer->name, q->app.ptr);
            rv = ERG_ENOTALLOWED;
        }
        job_t *job = rv == ERG_OK ? erg__calloc(1, sizeof(*job)) : NULL;
        if (rv == ERG_OK && job == NULL)
            rv = ERG_ENOMEM;
        if (rv == ERG_OK) {
            *job = j;
            snprintf(job->app, sizeof(job->app), "%s", q->app.ptr);
            job->mode = (erg_app_mode_t)q->mode;
            run_job(node, job); /* answers from here on */
        }
        if (rv != ERG_OK)
            app_answer(node, &j, rv, q->app.ptr);
    }
    erg_codec_free(&erg_net_app_request_v1_desc, q);
    return ok;
}

/* ---- asking (this node asks) ------------------------------------------------ */

/* The result a response frame hands the waiting requester. */
typedef struct result_s {
    erg_pid_t pid;
    erg_app_info_t *info;
} result_t;

static void result_dtor(erg_msg_t *m) {
    result_t *r = erg_msg_data(m);
    erg_app_info_free(r->info);
}

static void deliver_result(erg__link_t *l, erg_pid_t to, erg_ref_t ref,
                           erg_err_t code, const result_t *res) {
    erg__net_t *net = l->net;
    erg__remote_untrack(l->peer, ref.id);
    if (to.node != net->node->hash) { /* a peer's answer for someone else */
        erg_app_info_free(res->info);
        return;
    }
    erg_msg_t *m = NULL;
    if (code == ERG_OK &&
        erg__msg_new_sys(NULL, sizeof(result_t), 0, result_dtor, &m) ==
            ERG_OK)
        *(result_t *)erg_msg_data(m) = *res;
    else if (res->info != NULL)
        erg_app_info_free(res->info);
    if (code == ERG_OK && m == NULL)
        code = ERG_ENOMEM;
    erg__respond(net->node, to, ref, m, code);
}

static erg_err_t code_of(int32_t c) {
    return c == 0 ? ERG_OK : c < 0 && c > -1000 ? (erg_err_t)c : ERG_EPEER;
}

bool erg__spawned_frame(erg__link_t *l, const erg__frame_t *f) {
    erg_net_spawn_result_v1_t *r = NULL;
    if (erg_codec_decode(&erg_net_spawn_result_v1_desc, f->payload, f->len,
                         (void **)&r) != ERG_OK)
        return false;
    result_t res = {erg__pid_from_wire(l->net, &r->pid), NULL};
    erg_err_t code = code_of(r->code);
    if (code == ERG_OK && res.pid.node != l->peer->hash)
        code = ERG_EPEER; /* a peer spawns on itself only */
    deliver_result(l, erg__pid_from_wire(l->net, &r->to),
                   erg__ref_from_wire(&r->ref),
                   code, &res);
    erg_codec_free(&erg_net_spawn_result_v1_desc, r);
    return true;
}

/* Builds an erg_app_info_t in one block (erg_app_info_free) from r. */
static erg_app_info_t *info_from(erg__net_t *net,
                                 const erg_net_app_info_v1_t *r) {
    size_t strs = r->name.len + r->description.len + r->version.len + 3;
    for (size_t i = 0; i < r->depends.len; i++)
        strs += r->depends.ptr[i].len + 1;
    for (size_t i = 0; i < r->tags.len; i++)
        strs += r->tags.ptr[i].len + 1;
    for (size_t i = 0; i < r->roles.len; i++)
        strs += r->roles.ptr[i].role.len + r->roles.ptr[i].process.len + 2;
    size_t size = sizeof(erg_app_info_t) +
                  r->members.len * sizeof(erg_pid_t) +
                  (r->depends.len + r->tags.len) * sizeof(char *) +
                  r->roles.len * sizeof(erg_app_role_t) + strs;
    erg_app_info_t *info = erg__calloc(1, size);
    if (info == NULL)
        return NULL;
    char *p = (char *)(info + 1);
    erg_pid_t *members = (erg_pid_t *)p;
    p += r->members.len * sizeof(erg_pid_t);
    const char **depends = (const char **)p;
    p += r->depends.len * sizeof(char *);
    const char **tags = (const char **)p;
    p += r->tags.len * sizeof(char *);
    erg_app_role_t *map = (erg_app_role_t *)p;
    p += r->roles.len * sizeof(erg_app_role_t);
#define COPY(dst, s)                                                         \
    do {                                                                     \
        memcpy(p, (s).ptr, (s).len);                                         \
        p[(s).len] = '\0';                                                   \
        (dst) = p;                                                           \
        p += (s).len + 1;                                                    \
    } while (0)
    COPY(info->name, r->name);
    COPY(info->description, r->description);
    COPY(info->version, r->version);
    for (size_t i = 0; i < r->members.len; i++)
        members[i] = erg__pid_from_wire(net, &r->members.ptr[i]);
    for (size_t i = 0; i < r->depends.len; i++)
        COPY(depends[i], r->depends.ptr[i]);
    for (size_t i = 0; i < r->tags.len; i++)
        COPY(tags[i], r->tags.ptr[i]);
    for (size_t i = 0; i < r->roles.len; i++) {
        COPY(map[i].role, r->roles.ptr[i].role);
        COPY(map[i].process, r->roles.ptr[i].process);
    }
#undef COPY
    info->state = (erg_app_state_t)r->state;
    info->mode = (erg_app_mode_t)r->mode;
    info->weight = r->weight;
    info->uptime_ms = r->uptime_ms;
    info->reason = r->reason;
    info->members = members;
    info->nmembers = r->members.len;
    info->depends = depends;
    info->ndepends = r->depends.len;
    info->tags = tags;
    info->ntags = r->tags.len;
    info->map = map;
    info->nmap = r->roles.len;
    return info;
}

bool erg__app_info_frame(erg__link_t *l, const erg__frame_t *f) {
    erg_net_app_info_v1_t *r = NULL;
    if (erg_codec_decode(&erg_net_app_info_v1_desc, f->payload, f->len,
                         (void **)&r) != ERG_OK)
        return false;
    result_t res = {{0, 0, 0}, NULL};
    erg_err_t code = code_of(r->code);
    if (code == ERG_OK && (res.info = info_from(l->net, r)) == NULL)
        code = ERG_ENOMEM;
    deliver_result(l, erg__pid_from_wire(l->net, &r->to),
                   erg__ref_from_wire(&r->ref),
                   code, &res);
    erg_codec_free(&erg_net_app_info_v1_desc, r);
    return true;
}

/* A request of kind from the calling process (or the node's pid on other
 * threads), answered to it under a new ref. */
static erg__pend_t request_pend(erg_node_t *node, uint8_t kind) {
    erg_proc_t *self = erg__current();
    erg__pend_t e = {0};
    e.kind = kind;
    e.from = self != NULL ? erg_self(self) : erg_node_pid(node);
    e.target = erg_to_pid(e.from);
    e.ref = erg__node_make_ref(node);
    return e;
}

/*
 * Sends the request e to node_name and waits for its result. Takes
 * e->msg's reference (if any) whatever happens: the route takes it when
 * the request leaves, and the answer may still be a failure then.
 */
static erg_err_t request(erg_node_t *node, const char *node_name,
                         erg__pend_t *e, uint32_t timeout_ms,
                         result_t *res) {
    if (timeout_ms == 0)
        timeout_ms = ERG_CALL_TIMEOUT_MS;
    erg_err_t sent = ERG_ENOCONN; /* until the route took e */
    erg__peer_t *p = NULL;
    erg_msg_t *reply = NULL;
    erg_err_t rv = node_name == NULL
                       ? ERG_EINVAL
                       : erg__net_peer_up(node->net, node_name, timeout_ms,
                                          &p);
    if (rv == ERG_OK) {
        erg_proc_t *self = erg__current();
        erg__waiter_t w;
        rv = erg__await_begin(node, self, e->ref, &w);
        if (rv == ERG_OK) {
            sent = erg__remote_route(node, p->hash, NULL, e, false);
            rv = erg__await_end(node, self, e->ref, &w, sent, timeout_ms,
                                &reply);
        }
        erg__peer_release(p);
    }
    if (sent != ERG_OK)
        erg_msg_release(e->msg);
    if (rv == ERG_OK && reply != NULL) {
        result_t *got = erg_msg_data(reply);
        *res = *got;
        got->info = NULL; /* ours now */
    }
    erg_msg_release(reply);
    return rv;
}

erg_err_t erg_remote_spawn(erg_node_t *node, const char *node_name,
                           const char *factory,
                           const erg_remote_spawn_opts_t *opts,
                           const erg_msg_t *args, erg_pid_t *pid) {
    if (node == NULL || factory == NULL || strlen(factory) > 255 ||
        pid == NULL ||
        (opts != NULL && opts->register_name != NULL &&
         strlen(opts->register_name) > 255))
        return ERG_EINVAL;
    erg__net_t *net = node->net;
    if (net == NULL)
        return ERG_ENOCONN;
    erg__pend_t e = request_pend(node, ERG__FRAME_SPAWN);
    const char *reg = opts != NULL && opts->register_name != NULL
                          ? opts->register_name
                          : "";
    char n1[256], n2[256];
    erg_net_spawn_v1_t s = {
        erg__wire_pid(net, e.from, n1),
        erg__wire_ref(net, e.ref.node, e.ref.creation, e.ref.id, n2),
        {factory, strlen(factory)},
        {reg, strlen(reg)},
        opts != NULL ? opts->mailbox_limit : 0};
    e.msg = (erg_msg_t *)args;
    e.ctl_desc = &erg_net_spawn_v1_desc;
    e.ctl = &s;
    if (args != NULL)
        erg_msg_retain(e.msg); /* request takes one reference */
    result_t res = {{0, 0, 0}, NULL};
    erg_err_t rv = request(node, node_name, &e,
                           opts != NULL ? opts->timeout_ms : 0, &res);
    if (rv == ERG_OK)
        *pid = res.pid;
    return rv;
}

static erg_err_t app_request(erg_node_t *node, const char *node_name,
                             const char *app, bool start, erg_app_mode_t mode,
                             uint32_t timeout_ms, erg_app_info_t **out) {
    if (node == NULL || app == NULL || strlen(app) > 255)
        return ERG_EINVAL;
    erg__net_t *net = node->net;
    if (net == NULL)
        return ERG_ENOCONN;
    erg__pend_t e = request_pend(node, ERG__FRAME_APP);
    char n1[256], n2[256];
    erg_net_app_request_v1_t q = {
        erg__wire_pid(net, e.from, n1),
        erg__wire_ref(net, e.ref.node, e.ref.creation, e.ref.id, n2),
        {app, strlen(app)},
        start,
        (uint8_t)mode};
    e.ctl_desc = &erg_net_app_request_v1_desc;
    e.ctl = &q;
    result_t res = {{0, 0, 0}, NULL};
    erg_err_t rv = request(node, node_name, &e, timeout_ms, &res);
    if (rv == ERG_OK && out != NULL)
        *out = res.info;
    else
        erg_app_info_free(res.info);
    return rv;
}

erg_err_t erg_remote_app_start(erg_node_t *node, const char *node_name,
                               const char *app, erg_app_mode_t mode,
                               uint32_t timeout_ms) {
    return app_request(node, node_name, app, true, mode, timeout_ms, NULL);
}

erg_err_t erg_remote_app_info(erg_node_t *node, const char *node_name,
                              const char *app, uint32_t timeout_ms,
                              erg_app_info_t **out) {
    if (out == NULL)
        return ERG_EINVAL;
    return app_request(node, node_name, app, false, ERG_APP_MODE_DEFAULT,
                       timeout_ms, out);
}
