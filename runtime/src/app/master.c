/* SPDX-License-Identifier: MIT */
/* master.c: the process behind a running application, its members' parent. */
#include <string.h>

#include "app/app.h"
#include "core/actor.h"
#include "core/node.h"
#include "sup/spawn_wait.h"
#include "util/alloc.h"

/*
 * Ergo's node calls application.terminate from the termination path of any
 * process. erg has no such hook, so each run of an application gets a
 * master: it spawns the members as its children with link_child (their
 * exits reach it as trapped exit messages, with no window to miss one) and
 * link_parent (they cannot outlive it), and applies the mode to each exit.
 */

static const char start_type[] = "erg.app.start";
static const char stop_type[] = "erg.app.stop";

typedef struct caller_s {
    erg_pid_t from;
    erg_ref_t ref;
} caller_t;

typedef struct master_s {
    erg__apps_t *reg;
    erg__app_t *app;
    caller_t *stoppers; /* stop calls answered when the last member ends */
    size_t nstoppers, cap;
} master_t;

typedef struct master_args_s {
    erg__apps_t *reg;
    erg__app_t *app;
} master_args_t;

static erg_reason_t m_init(erg_proc_t *self, void *args) {
    master_t *m = erg_proc_state(self);
    master_args_t *a = args;
    m->reg = a->reg;
    m->app = a->app;
    erg_set_trap_exit(self, true);
    pthread_mutex_lock(&m->reg->lock);
    m->app->refs++;
    m->app->master = erg_self(self);
    pthread_mutex_unlock(&m->reg->lock);
    return ERG_REASON_NONE;
}

/* A member is spawned as Ergo's are, init awaited, so one whose init fails
 * fails the start. */
static erg_err_t spawn_member(erg_proc_t *self, const erg_app_member_t *mb,
                              erg_pid_t *pid) {
    erg_spawn_opts_t o = mb->opts;
    o.link_parent = true;
    o.link_child = true;
    if (mb->name != NULL)
        o.register_name = mb->name;
    return erg__spawn_wait(self, mb->beh, &o, mb->args, pid);
}

static erg_err_t add_member(erg__app_t *app, erg_pid_t pid) {
    if (!erg__grow((void **)&app->members, &app->cap, app->nmembers,
                   sizeof(*app->members)))
        return ERG_ENOMEM;
    app->members[app->nmembers++] = pid;
    return ERG_OK;
}

static void signal_one(erg_proc_t *self, erg_pid_t pid, bool kill) {
    if (kill)
        erg_node_kill_process(erg_proc_node(self), pid);
    else
        erg_send_exit(self, pid, ERG_REASON_SHUTDOWN); /* from the parent */
}

/*
 * Sends every running member shutdown (or kills it), newest first, and
 * unlocks the registry, which the caller holds; clear forgets the members.
 * The pids are copied out so the signals go without the lock; if the copy
 * cannot be made they go under it (signalling never takes it).
 */
static void signal_members_unlock(erg_proc_t *self, master_t *m, bool kill,
                                  bool clear) {
    erg__app_t *app = m->app;
    size_t n = app->nmembers;
    erg_pid_t *pids = erg__malloc((n + 1) * sizeof(*pids));
    if (pids == NULL) {
        for (size_t i = n; i > 0; i--)
            signal_one(self, app->members[i - 1], kill);
        n = 0;
    } else if (n > 0) {
        memcpy(pids, app->members, n * sizeof(*pids));
    }
    if (clear)
        app->nmembers = 0;
    pthread_mutex_unlock(&m->reg->lock);
    for (size_t i = n; i > 0; i--)
        signal_one(self, pids[i - 1], kill);
    erg__free(pids);
}

static erg_reason_t do_start(erg_proc_t *self, erg_pid_t from, erg_ref_t ref,
                             erg_app_mode_t mode, erg_msg_t **reply) {
    master_t *m = erg_proc_state(self);
    erg__app_t *app = m->app;
    erg_node_t *node = erg_proc_node(self);
    erg_err_t rv = ERG_OK;
    for (size_t i = 0; i < app->spec.nmembers && rv == ERG_OK; i++) {
        erg_pid_t pid = {0, 0, 0};
        /* A failed member's name is free again when this returns. */
        rv = spawn_member(self, &app->spec.members[i], &pid);
        if (rv != ERG_OK)
            break;
        pthread_mutex_lock(&m->reg->lock);
        rv = add_member(app, pid);
        pthread_mutex_unlock(&m->reg->lock);
        if (rv != ERG_OK)
            erg_node_kill_process(node, pid);
    }
    if (rv != ERG_OK) {
        /* Ergo kills what it started; the exits that follow find this
         * master gone, which is what ends the members anyway. */
        pthread_mutex_lock(&m->reg->lock);
        signal_members_unlock(self, m, true, true);
        erg_reply_error(self, from, ref, rv);
        return ERG_REASON_NORMAL;
    }
    pthread_mutex_lock(&m->reg->lock);
    app->state = ERG_APP_RUNNING;
    app->mode = mode;
    app->reason = ERG_REASON_NONE;
    app->started_ns = erg__mono_ns();
    app->seq = ++m->reg->seq;
    pthread_mutex_unlock(&m->reg->lock);
    erg_log(self, ERG_LOG_INFO, "application %s (%s) started", app->spec.name,
            erg_app_mode_string(mode));
    if (erg_msg_new(NULL, 0, reply) != ERG_OK)
        erg_reply_error(self, from, ref, ERG_ENOMEM); /* still running */
    return ERG_REASON_NONE;
}

static erg_reason_t do_stop(erg_proc_t *self, erg_pid_t from, erg_ref_t ref,
                            bool force, erg_msg_t **reply) {
    master_t *m = erg_proc_state(self);
    erg__app_t *app = m->app;
    pthread_mutex_lock(&m->reg->lock);
    if (app->state == ERG_APP_LOADED) {
        pthread_mutex_unlock(&m->reg->lock);
        if (erg_msg_new(NULL, 0, reply) != ERG_OK)
            erg_reply_error(self, from, ref, ERG_ENOMEM);
        return ERG_REASON_NONE;
    }
    if (app->state == ERG_APP_STOPPING && !force) {
        pthread_mutex_unlock(&m->reg->lock);
        erg_reply_error(self, from, ref, ERG_EAPPSTATE);
        return ERG_REASON_NONE;
    }
    if (!erg__grow((void **)&m->stoppers, &m->cap, m->nstoppers,
                   sizeof(*m->stoppers))) {
        pthread_mutex_unlock(&m->reg->lock);
        erg_reply_error(self, from, ref, ERG_ENOMEM);
        return ERG_REASON_NONE;
    }
    m->stoppers[m->nstoppers++] = (caller_t){from, ref};
    /* Temporary from now on, so the members' exits trigger nothing more
     * (Ergo does the same). */
    app->state = ERG_APP_STOPPING;
    app->mode = ERG_APP_TEMPORARY;
    app->reason = force ? ERG_REASON_KILL : ERG_REASON_SHUTDOWN;
    signal_members_unlock(self, m, force, false);
    return ERG_REASON_NONE;
}

static erg_reason_t m_call(erg_proc_t *self, erg_pid_t from, erg_ref_t ref,
                           erg_msg_t *request, erg_msg_t **reply) {
    const void *type = erg_msg_type(request);
    if (type == start_type)
        return do_start(self, from, ref,
                        *(erg_app_mode_t *)erg_msg_data(request), reply);
    if (type == stop_type)
        return do_stop(self, from, ref, *(bool *)erg_msg_data(request), reply);
    erg_reply_error(self, from, ref, ERG_ENOTSUP);
    return ERG_REASON_NONE;
}

static void answer_stoppers(erg_proc_t *self, erg_err_t status) {
    master_t *m = erg_proc_state(self);
    for (size_t i = 0; i < m->nstoppers; i++) {
        erg_msg_t *ok = NULL;
        if (status == ERG_OK && erg_msg_new(NULL, 0, &ok) == ERG_OK &&
            erg_reply(self, m->stoppers[i].from, m->stoppers[i].ref, ok) ==
                ERG_OK)
            continue;
        erg_msg_release(ok);
        erg_reply_error(self, m->stoppers[i].from, m->stoppers[i].ref,
                        status == ERG_OK ? ERG_ENOMEM : status);
    }
    m->nstoppers = 0;
}

static bool abnormal(erg_reason_t reason) {
    return reason != ERG_REASON_NORMAL && reason != ERG_REASON_SHUTDOWN;
}

/* A member's exit: Ergo's application.terminate. */
static erg_reason_t m_message(erg_proc_t *self, erg_pid_t from,
                              erg_msg_t *msg) {
    (void)from;
    if (erg_msg_type(msg) != ERG_TYPE_EXIT)
        return ERG_REASON_NONE;
    const erg_exit_t *ex = erg_msg_data(msg);
    if (ex->target.kind != ERG_TARGET_PID)
        return ERG_REASON_NONE;
    master_t *m = erg_proc_state(self);
    erg__app_t *app = m->app;
    pthread_mutex_lock(&m->reg->lock);
    size_t i = 0;
    while (i < app->nmembers && !erg_pid_equal(app->members[i], ex->target.pid))
        i++;
    if (i == app->nmembers) {
        pthread_mutex_unlock(&m->reg->lock);
        return ERG_REASON_NONE; /* not a member (an exit someone sent us) */
    }
    /* Kept in start order: the signals go newest first. */
    memmove(&app->members[i], &app->members[i + 1],
            (--app->nmembers - i) * sizeof(*app->members));
    bool cascade = app->state == ERG_APP_RUNNING &&
                   (app->mode == ERG_APP_PERMANENT ||
                    (app->mode == ERG_APP_TRANSIENT && abnormal(ex->reason)));
    if (cascade) {
        app->state = ERG_APP_STOPPING;
        app->reason = ex->reason;
    }
    bool last = app->nmembers == 0;
    if (last) {
        if (app->reason == ERG_REASON_NONE)
            app->reason = ERG_REASON_NORMAL;
        app->state = ERG_APP_LOADED;
        app->started_ns = 0;
    }
    erg_reason_t reason = app->reason;
    if (cascade)
        signal_members_unlock(self, m, false, false);
    else
        pthread_mutex_unlock(&m->reg->lock);
    char buf[32];
    if (cascade)
        erg_log(self, ERG_LOG_INFO,
                "application %s (%s) will be stopped due to termination of a "
                "member with reason: %s",
                app->spec.name, erg_app_mode_string(app->mode),
                erg_reason_string(ex->reason, buf, sizeof(buf)));
    if (!last)
        return ERG_REASON_NONE;
    erg_log(self, ERG_LOG_INFO, "application %s stopped with reason %s",
            app->spec.name, erg_reason_string(reason, buf, sizeof(buf)));
    if (app->spec.on_stop != NULL)
        app->spec.on_stop(erg_proc_node(self), app->spec.name, reason,
                          app->spec.cb_arg);
    answer_stoppers(self, ERG_OK);
    return ERG_REASON_NORMAL;
}

static void m_inspect(erg_proc_t *self, erg_pid_t from, erg_inspect_t *out) {
    (void)from;
    master_t *m = erg_proc_state(self);
    erg_inspect_add(out, "app", m->app->spec.name);
}

/* Also reached when the master is killed or the node ends it: the members
 * die with it through link_parent, so the record says loaded at once. */
static void m_terminate(erg_proc_t *self, erg_reason_t reason) {
    master_t *m = erg_proc_state(self);
    erg__app_t *app = m->app;
    bool ended = false;
    pthread_mutex_lock(&m->reg->lock);
    if (erg_pid_equal(app->master, erg_self(self))) {
        app->master = (erg_pid_t){0, 0, 0};
        if (app->state != ERG_APP_LOADED) {
            ended = true;
            app->state = ERG_APP_LOADED;
            app->nmembers = 0;
            app->started_ns = 0;
            if (app->reason == ERG_REASON_NONE)
                app->reason = reason;
        }
    }
    erg_reason_t app_reason = app->reason;
    pthread_mutex_unlock(&m->reg->lock);
    if (ended && app->spec.on_stop != NULL)
        app->spec.on_stop(erg_proc_node(self), app->spec.name, app_reason,
                          app->spec.cb_arg);
    answer_stoppers(self, ERG_ETERMINATED);
    erg__free(m->stoppers);
    erg__app_release(m->reg, app);
}

static const erg_behavior_t master_behavior = {
    .name = "erg.app.master",
    .state_size = sizeof(master_t),
    .init = m_init,
    .handle_message = m_message,
    .handle_call = m_call,
    .handle_inspect = m_inspect,
    .terminate = m_terminate,
};

erg_err_t erg__app_master_run(erg_node_t *node, erg__apps_t *reg,
                              erg__app_t *app, erg_app_mode_t mode) {
    erg_spawn_opts_t o;
    erg_spawn_opts_init(&o);
    o.env = app->spec.env; /* the members inherit it from their parent */
    o.nenv = app->spec.nenv;
    o.log_level = app->spec.log_level;
    o.log_level_set = app->spec.log_level_set;
    master_args_t args = {reg, app};
    erg_pid_t master;
    erg_err_t rv = erg_node_spawn(node, &master_behavior, &o, &args, &master);
    if (rv != ERG_OK)
        return rv;
    /* Each member's init may take up to the init timeout cap. */
    uint64_t limit =
        (uint64_t)app->spec.nmembers * (ERG_INIT_TIMEOUT_MAX_MS + 5000) + 5000;
    rv = erg__node_call_copy(node, master, start_type, &mode, sizeof(mode),
                             ERG_PRIORITY_NORMAL,
                             limit > UINT32_MAX ? UINT32_MAX
                                                : (uint32_t)limit,
                             NULL, 0, NULL);
    /* Whatever failed (a timeout, no memory for the call or the answer),
     * the master must not outlive the failed start; one that already
     * ended by itself is simply not found. Members die with it. */
    if (rv != ERG_OK)
        erg_node_kill_process(node, master);
    return rv;
}

erg_err_t erg__app_master_stop(erg_node_t *node, erg_pid_t master, bool force,
                               uint32_t timeout_ms) {
    return erg__node_call_copy(node, master, stop_type, &force,
                               sizeof(force), ERG_PRIORITY_NORMAL, timeout_ms,
                               NULL, 0, NULL);
}
