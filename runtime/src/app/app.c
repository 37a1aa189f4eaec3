/* SPDX-License-Identifier: MIT */
/* app.c: the node's applications: load, start with dependencies, stop, info. */
#include "app/app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/actor.h"
#include "core/node.h"
#include "util/alloc.h"

/* --- Spec copies -----------------------------------------------------------*/

static void free_strings(char **a, size_t n) {
    for (size_t i = 0; a != NULL && i < n; i++)
        erg__free(a[i]);
    erg__free(a);
}

static void spec_free(erg_app_spec_t *s) {
    erg__free((char *)s->name);
    erg__free((char *)s->description);
    erg__free((char *)s->version);
    free_strings((char **)s->depends, s->ndepends);
    free_strings((char **)s->tags, s->ntags);
    for (unsigned i = 0; s->env != NULL && i < s->nenv; i++)
        erg__free((char *)s->env[i].name);
    erg__free((void *)s->env);
    for (size_t i = 0; s->members != NULL && i < s->nmembers; i++)
        erg__free((char *)s->members[i].name);
    erg__free((void *)s->members);
    for (size_t i = 0; s->map != NULL && i < s->nmap; i++) {
        erg__free((char *)s->map[i].role);
        erg__free((char *)s->map[i].process);
    }
    erg__free((void *)s->map);
}


/* erg__strdup_opt for the spec's const strings. */
static bool dup_opt(const char *s, const char **out) {
    char *copy;
    bool ok = erg__strdup_opt(s, &copy);
    *out = copy;
    return ok;
}

static bool dup_strings(const char *const *a, size_t n,
                        const char *const **out) {
    *out = NULL;
    if (n == 0)
        return true;
    char **c = erg__calloc(n, sizeof(*c));
    if (c == NULL)
        return false;
    *out = (const char *const *)c;
    for (size_t i = 0; i < n; i++)
        if ((c[i] = erg__strdup(a[i])) == NULL)
            return false;
    return true;
}

/* Copies src into dst (zeroed first); on ENOMEM what was copied is freed. */
static erg_err_t spec_copy(const erg_app_spec_t *src, erg_app_spec_t *dst) {
    memset(dst, 0, sizeof(*dst));
    dst->ndepends = src->ndepends;
    dst->nenv = src->nenv;
    dst->nmembers = src->nmembers;
    dst->ntags = src->ntags;
    dst->nmap = src->nmap;
    dst->mode =
        src->mode == ERG_APP_MODE_DEFAULT ? ERG_APP_TEMPORARY : src->mode;
    dst->weight = src->weight;
    dst->log_level = src->log_level;
    dst->log_level_set = src->log_level_set;
    dst->on_start = src->on_start;
    dst->on_stop = src->on_stop;
    dst->cb_arg = src->cb_arg;
    bool ok = dup_opt(src->name, &dst->name) &&
              dup_opt(src->description, &dst->description) &&
              dup_opt(src->version, &dst->version) &&
              dup_strings(src->depends, src->ndepends, &dst->depends) &&
              dup_strings(src->tags, src->ntags, &dst->tags);
    erg_env_var_t *env = NULL;
    if (ok && src->nenv > 0) {
        ok = (env = erg__calloc(src->nenv, sizeof(*env))) != NULL;
        dst->env = env;
        for (unsigned i = 0; ok && i < src->nenv; i++) {
            env[i].value = src->env[i].value;
            ok = (env[i].name = erg__strdup(src->env[i].name)) != NULL;
        }
    }
    erg_app_member_t *mb = NULL;
    if (ok) {
        ok = (mb = erg__calloc(src->nmembers, sizeof(*mb))) != NULL;
        dst->members = mb;
        for (size_t i = 0; ok && i < src->nmembers; i++) {
            mb[i] = src->members[i];
            mb[i].name = NULL;
            ok = dup_opt(src->members[i].name, &mb[i].name);
        }
    }
    erg_app_role_t *map = NULL;
    if (ok && src->nmap > 0) {
        ok = (map = erg__calloc(src->nmap, sizeof(*map))) != NULL;
        dst->map = map;
        for (size_t i = 0; ok && i < src->nmap; i++)
            ok = dup_opt(src->map[i].role, &map[i].role) &&
                 dup_opt(src->map[i].process, &map[i].process);
    }
    if (!ok) {
        spec_free(dst);
        return ERG_ENOMEM;
    }
    return ERG_OK;
}

static bool name_ok(const char *s) {
    return s != NULL && s[0] != '\0' && strlen(s) <= 255;
}

static erg_err_t spec_check(const erg_app_spec_t *s) {
    if (s == NULL || s->mode > ERG_APP_PERMANENT)
        return ERG_EINVAL;
    if (s->nmembers == 0)
        return ERG_EAPPEMPTY;
    if (!name_ok(s->name) || s->members == NULL ||
        (s->ndepends > 0 && s->depends == NULL) ||
        (s->nenv > 0 && s->env == NULL) || (s->ntags > 0 && s->tags == NULL) ||
        (s->nmap > 0 && s->map == NULL))
        return ERG_EINVAL;
    for (size_t i = 0; i < s->nmembers; i++) {
        const erg_app_member_t *m = &s->members[i];
        if (m->beh == NULL || m->beh->init == NULL ||
            (m->name != NULL && !name_ok(m->name)))
            return ERG_EINVAL;
    }
    for (size_t i = 0; i < s->ndepends; i++)
        if (!name_ok(s->depends[i]))
            return ERG_EINVAL;
    for (unsigned i = 0; i < s->nenv; i++)
        if (s->env[i].name == NULL || s->env[i].name[0] == '\0')
            return ERG_EINVAL;
    for (size_t i = 0; i < s->ntags; i++)
        if (s->tags[i] == NULL)
            return ERG_EINVAL;
    for (size_t i = 0; i < s->nmap; i++)
        if (s->map[i].role == NULL || s->map[i].process == NULL)
            return ERG_EINVAL;
    return ERG_OK;
}

/* --- The registry ----------------------------------------------------------*/

static void app_free(erg__app_t *app) {
    spec_free(&app->spec);
    erg__free(app->members);
    erg__free(app);
}

void erg__app_release(erg__apps_t *reg, erg__app_t *app) {
    pthread_mutex_lock(&reg->lock);
    bool last = --app->refs == 0;
    pthread_mutex_unlock(&reg->lock);
    if (last)
        app_free(app);
}

/* Under the lock. */
static erg__app_t *find(erg__apps_t *reg, const char *name, size_t *index) {
    for (size_t i = 0; name != NULL && i < reg->n; i++)
        if (strcmp(reg->apps[i]->spec.name, name) == 0) {
            if (index != NULL)
                *index = i;
            return reg->apps[i];
        }
    return NULL;
}

erg_err_t erg__apps_init(erg_node_t *node) {
    erg__apps_t *reg = erg__calloc(1, sizeof(*reg));
    if (reg == NULL)
        return ERG_ENOMEM;
    pthread_mutex_init(&reg->lock, NULL);
    node->apps = reg;
    return ERG_OK;
}

/* After every process is gone, so no master holds a record any more. */
void erg__apps_fini(erg_node_t *node) {
    erg__apps_t *reg = node->apps;
    if (reg == NULL)
        return;
    for (size_t i = 0; i < reg->n; i++)
        app_free(reg->apps[i]);
    erg__free(reg->apps);
    pthread_mutex_destroy(&reg->lock);
    erg__free(reg);
    node->apps = NULL;
}

erg_err_t erg_app_load(erg_node_t *node, const erg_app_spec_t *spec) {
    if (node == NULL)
        return ERG_EINVAL;
    erg_err_t rv = spec_check(spec);
    if (rv != ERG_OK)
        return rv;
    erg__app_t *app = erg__calloc(1, sizeof(*app));
    if (app == NULL)
        return ERG_ENOMEM;
    if ((rv = spec_copy(spec, &app->spec)) != ERG_OK) {
        erg__free(app);
        return rv;
    }
    app->refs = 1;
    app->state = ERG_APP_LOADED;
    app->mode = app->spec.mode;
    erg__apps_t *reg = node->apps;
    pthread_mutex_lock(&reg->lock);
    if (find(reg, spec->name, NULL) != NULL) {
        rv = ERG_ETAKEN;
    } else if (!erg__grow((void **)&reg->apps, &reg->cap, reg->n,
                          sizeof(*reg->apps))) {
        rv = ERG_ENOMEM;
    }
    if (rv == ERG_OK)
        reg->apps[reg->n++] = app;
    pthread_mutex_unlock(&reg->lock);
    if (rv != ERG_OK)
        app_free(app);
    return rv;
}

erg_err_t erg_app_unload(erg_node_t *node, const char *name) {
    if (node == NULL)
        return ERG_EINVAL;
    erg__apps_t *reg = node->apps;
    pthread_mutex_lock(&reg->lock);
    size_t i;
    erg__app_t *app = find(reg, name, &i);
    erg_err_t rv = ERG_OK;
    if (app == NULL)
        rv = ERG_ENOAPP;
    else if (app->state != ERG_APP_LOADED || app->starting)
        rv = ERG_EAPPSTATE;
    else
        memmove(&reg->apps[i], &reg->apps[i + 1],
                (--reg->n - i) * sizeof(*reg->apps));
    pthread_mutex_unlock(&reg->lock);
    if (rv == ERG_OK)
        erg__app_release(reg, app); /* a finishing master may still hold it */
    return rv;
}

/* --- Start -----------------------------------------------------------------*/

/* The chain of applications being started, to catch a dependency cycle. */
typedef struct visit_s {
    const char *name;
    const struct visit_s *up;
} visit_t;

static erg_err_t start(erg_node_t *node, const char *name, erg_app_mode_t mode,
                       const visit_t *up, bool as_dependency) {
    erg__apps_t *reg = node->apps;
    for (const visit_t *v = up; v != NULL; v = v->up)
        if (strcmp(v->name, name) == 0) {
            erg__node_logf(node, ERG_LOG_ERROR,
                           "unable to start %s: circular application "
                           "dependency on %s",
                           up->name, name);
            return ERG_EAPPDEPENDS;
        }
    pthread_mutex_lock(&reg->lock);
    erg__app_t *app = find(reg, name, NULL);
    erg_err_t rv = ERG_OK;
    if (app == NULL)
        rv = ERG_ENOAPP;
    else if (as_dependency && app->state == ERG_APP_RUNNING && !app->starting)
        rv = ERG_EEXIST; /* running already: nothing to do */
    else if (app->state != ERG_APP_LOADED || app->starting)
        rv = ERG_EAPPSTATE;
    else
        app->refs++;
    pthread_mutex_unlock(&reg->lock);
    if (rv != ERG_OK)
        return rv == ERG_EEXIST ? ERG_OK : rv;
    visit_t self = {app->spec.name, up};
    for (size_t i = 0; i < app->spec.ndepends && rv == ERG_OK; i++) {
        const char *dep = app->spec.depends[i];
        erg_err_t drv = start(node, dep, ERG_APP_MODE_DEFAULT, &self, true);
        if (drv != ERG_OK) {
            if (drv != ERG_EAPPDEPENDS) /* a cycle was logged already */
                erg__node_logf(
                    node, ERG_LOG_ERROR,
                    "unable to start %s: dependency %s: %s", name, dep,
                    drv == ERG_ENOAPP ? "not loaded" : erg_strerror(drv));
            rv = ERG_EAPPDEPENDS;
        }
    }
    if (rv == ERG_OK) {
        /* Checked again: a dependency's start released the lock. */
        pthread_mutex_lock(&reg->lock);
        if (app->state != ERG_APP_LOADED || app->starting)
            rv = ERG_EAPPSTATE;
        else
            app->starting = true;
        pthread_mutex_unlock(&reg->lock);
    }
    if (rv == ERG_OK) {
        if (mode == ERG_APP_MODE_DEFAULT)
            mode = app->spec.mode;
        rv = erg__app_master_run(node, reg, app, mode);
        pthread_mutex_lock(&reg->lock);
        app->starting = false;
        pthread_mutex_unlock(&reg->lock);
        if (rv != ERG_OK)
            erg__node_logf(node, ERG_LOG_ERROR,
                           "unable to start application %s: %s", name,
                           erg_strerror(rv));
        else if (app->spec.on_start != NULL)
            app->spec.on_start(node, app->spec.name, mode, app->spec.cb_arg);
    }
    erg__app_release(reg, app);
    return rv;
}

erg_err_t erg_app_start_mode(erg_node_t *node, const char *name,
                             erg_app_mode_t mode) {
    if (node == NULL || name == NULL || mode > ERG_APP_PERMANENT)
        return ERG_EINVAL;
    return start(node, name, mode, NULL, false);
}

erg_err_t erg_app_start(erg_node_t *node, const char *name) {
    return erg_app_start_mode(node, name, ERG_APP_MODE_DEFAULT);
}

/* --- Stop ------------------------------------------------------------------*/

static erg_err_t stop(erg_node_t *node, const char *name, bool force,
                      uint32_t timeout_ms) {
    if (node == NULL)
        return ERG_EINVAL;
    erg__apps_t *reg = node->apps;
    pthread_mutex_lock(&reg->lock);
    erg__app_t *app = find(reg, name, NULL);
    erg_err_t rv = ERG_OK;
    erg_pid_t master = {0, 0, 0};
    if (app == NULL)
        rv = ERG_ENOAPP;
    else if (app->starting)
        rv = ERG_EAPPSTATE;
    else if (app->state == ERG_APP_LOADED)
        rv = ERG_EEXIST; /* stopped already: done */
    else if (app->state == ERG_APP_STOPPING && !force)
        rv = ERG_EAPPSTATE;
    else
        master = app->master;
    pthread_mutex_unlock(&reg->lock);
    if (rv != ERG_OK)
        return rv == ERG_EEXIST ? ERG_OK : rv;
    rv = erg__app_master_stop(node, master, force,
                              timeout_ms == 0 ? ERG_APP_STOP_TIMEOUT_MS
                                              : timeout_ms);
    /* The master ended before our call reached it or answered (with its
     * last member, or killed): the members it parented are gone with it
     * (link_parent), so the run we were asked to stop is over. */
    if (rv == ERG_ENOPROC || rv == ERG_ETERMINATED)
        rv = ERG_OK;
    return rv;
}

erg_err_t erg_app_stop_timeout(erg_node_t *node, const char *name,
                               uint32_t timeout_ms) {
    return stop(node, name, false, timeout_ms);
}

erg_err_t erg_app_stop(erg_node_t *node, const char *name) {
    return stop(node, name, false, ERG_APP_STOP_TIMEOUT_MS);
}

erg_err_t erg_app_stop_force(erg_node_t *node, const char *name) {
    return stop(node, name, true, ERG_APP_STOP_TIMEOUT_MS);
}

/* --- Node start and stop ---------------------------------------------------*/

erg_err_t erg__apps_node_start(erg_node_t *node, const erg_app_spec_t *specs,
                               unsigned n) {
    if (n > 0 && specs == NULL)
        return ERG_EINVAL;
    for (unsigned i = 0; i < n; i++) {
        erg_err_t rv = erg_app_load(node, &specs[i]);
        if (rv != ERG_OK) {
            erg__node_logf(node, ERG_LOG_ERROR,
                           "unable to load application %s: %s",
                           specs[i].name != NULL ? specs[i].name : "(null)",
                           erg_strerror(rv));
            return rv;
        }
        if ((rv = erg_app_start(node, specs[i].name)) != ERG_OK)
            return rv; /* logged by start */
    }
    return ERG_OK;
}

static int by_seq_desc(const void *a, const void *b) {
    const erg__app_t *x = *(erg__app_t *const *)a;
    const erg__app_t *y = *(erg__app_t *const *)b;
    return x->seq < y->seq ? 1 : x->seq > y->seq ? -1 : 0;
}

void erg__apps_node_stop(erg_node_t *node) {
    erg__apps_t *reg = node->apps;
    pthread_mutex_lock(&reg->lock);
    erg__app_t **run = erg__malloc((reg->n + 1) * sizeof(*run));
    size_t n = 0;
    for (size_t i = 0; run != NULL && i < reg->n; i++)
        if (reg->apps[i]->state == ERG_APP_RUNNING) {
            reg->apps[i]->refs++;
            run[n++] = reg->apps[i];
        }
    pthread_mutex_unlock(&reg->lock);
    if (run == NULL)
        return; /* the node's shutdown signal ends them all the same */
    qsort(run, n, sizeof(*run), by_seq_desc);
    for (size_t i = 0; i < n; i++) {
        erg_err_t rv =
            stop(node, run[i]->spec.name, false, ERG_APP_STOP_TIMEOUT_MS);
        if (rv != ERG_OK)
            erg__node_logf(node, ERG_LOG_WARNING,
                           "stopping: application %s: %s", run[i]->spec.name,
                           erg_strerror(rv));
        erg__app_release(reg, run[i]);
    }
    erg__free(run);
}

/* --- Info ------------------------------------------------------------------*/

const char *erg_app_mode_string(erg_app_mode_t mode) {
    switch (mode) {
    case ERG_APP_PERMANENT:
        return "permanent";
    case ERG_APP_TRANSIENT:
        return "transient";
    default:
        return "temporary";
    }
}

const char *erg_app_state_string(erg_app_state_t state) {
    switch (state) {
    case ERG_APP_RUNNING:
        return "running";
    case ERG_APP_STOPPING:
        return "stopping";
    default:
        return "loaded";
    }
}

/* A bump allocator over the info block: first sized, then filled. */
typedef struct bump_s {
    char *p;
    size_t used;
} bump_t;

static void *bump(bump_t *b, size_t size, size_t align) {
    b->used = (b->used + align - 1) / align * align;
    void *at = b->p != NULL ? b->p + b->used : NULL;
    b->used += size;
    return at;
}

static const char *bump_str(bump_t *b, const char *s) {
    if (s == NULL)
        s = "";
    size_t len = strlen(s) + 1;
    char *at = bump(b, len, 1);
    if (at != NULL)
        memcpy(at, s, len);
    return at;
}

static const char *const *bump_strs(bump_t *b, const char *const *a, size_t n) {
    const char **at = bump(b, n * sizeof(*at), _Alignof(const char *));
    for (size_t i = 0; i < n; i++) {
        const char *s = bump_str(b, a[i]);
        if (at != NULL)
            at[i] = s;
    }
    return at;
}

/* Lays the info of app out in b (sizing only while b->p is NULL). */
static void lay_out(bump_t *b, const erg__app_t *app, erg_app_info_t **info) {
    const erg_app_spec_t *s = &app->spec;
    erg_app_info_t *in = bump(b, sizeof(*in), _Alignof(erg_app_info_t));
    erg_pid_t *members =
        bump(b, app->nmembers * sizeof(erg_pid_t), _Alignof(erg_pid_t));
    erg_app_role_t *map =
        bump(b, s->nmap * sizeof(erg_app_role_t), _Alignof(erg_app_role_t));
    const char *name = bump_str(b, s->name);
    const char *desc = bump_str(b, s->description);
    const char *version = bump_str(b, s->version);
    const char *const *depends = bump_strs(b, s->depends, s->ndepends);
    const char *const *tags = bump_strs(b, s->tags, s->ntags);
    for (size_t i = 0; i < s->nmap; i++) {
        const char *role = bump_str(b, s->map[i].role);
        const char *process = bump_str(b, s->map[i].process);
        if (map != NULL)
            map[i] = (erg_app_role_t){role, process};
    }
    if (in == NULL)
        return;
    if (app->nmembers > 0)
        memcpy(members, app->members, app->nmembers * sizeof(erg_pid_t));
    *in = (erg_app_info_t){
        .name = name,
        .description = desc,
        .version = version,
        .state = app->state,
        .mode = app->mode,
        .weight = s->weight,
        .uptime_ms = app->started_ns != 0
                         ? (erg__mono_ns() - app->started_ns) / 1000000u
                         : 0,
        .reason = app->reason,
        .members = members,
        .nmembers = app->nmembers,
        .depends = depends,
        .ndepends = s->ndepends,
        .tags = tags,
        .ntags = s->ntags,
        .map = map,
        .nmap = s->nmap,
    };
    *info = in;
}

erg_err_t erg_app_info(erg_node_t *node, const char *name,
                       erg_app_info_t **out) {
    if (node == NULL || out == NULL)
        return ERG_EINVAL;
    erg__apps_t *reg = node->apps;
    pthread_mutex_lock(&reg->lock);
    erg__app_t *app = find(reg, name, NULL);
    erg_err_t rv = ERG_OK;
    if (app == NULL) {
        rv = ERG_ENOAPP;
    } else {
        bump_t b = {NULL, 0};
        lay_out(&b, app, out);
        if ((b.p = erg__malloc(b.used)) == NULL) {
            rv = ERG_ENOMEM;
        } else {
            b.used = 0;
            lay_out(&b, app, out);
        }
    }
    pthread_mutex_unlock(&reg->lock);
    return rv;
}

void erg_app_info_free(erg_app_info_t *info) {
    erg__free(info);
}

erg_err_t erg_app_role(erg_node_t *node, const char *name, const char *role,
                       erg_pid_t *pid) {
    if (node == NULL || role == NULL || pid == NULL)
        return ERG_EINVAL;
    erg__apps_t *reg = node->apps;
    char process[256] = "";
    pthread_mutex_lock(&reg->lock);
    erg__app_t *app = find(reg, name, NULL);
    erg_err_t rv = app == NULL ? ERG_ENOAPP : ERG_ENOENT;
    for (size_t i = 0; app != NULL && i < app->spec.nmap; i++)
        if (strcmp(app->spec.map[i].role, role) == 0) {
            snprintf(process, sizeof(process), "%s", app->spec.map[i].process);
            rv = ERG_OK;
            break;
        }
    pthread_mutex_unlock(&reg->lock);
    if (rv != ERG_OK)
        return rv;
    return erg_node_resolve_name(node, process, pid);
}
