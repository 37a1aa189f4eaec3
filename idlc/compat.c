/* SPDX-License-Identifier: MIT */
/* compat.c: `idlc compat`: compares two schema trees and reports breaking
 * changes by named rule (docs/compat.md lists them). */
#include "compat.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "diag.h"
#include "fingerprint.h"
#include "idlc.h"
#include "shape.h"

/* ---- loading a tree
 * ---------------------------------------------------------- */

typedef struct strlist {
    char **v;
    size_t n, cap;
} strlist;

static void strlist_push(strlist *l, char *s) {
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 32;
        l->v = realloc(l->v, l->cap * sizeof(*l->v));
        if (l->v == NULL)
            abort();
    }
    l->v[l->n++] = s;
}

static int str_cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every .erg file under dir, as paths joined to dir, sorted. */
static void find_schemas(const char *dir, strlist *out, int depth) {
    DIR *d = opendir(dir);
    if (d == NULL || depth > 32) {
        if (d)
            closedir(d);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        size_t n = strlen(dir) + strlen(e->d_name) + 2;
        char *path = malloc(n);
        if (path == NULL)
            abort();
        snprintf(path, n, "%s/%s", dir, e->d_name);
        struct stat st;
        size_t len = strlen(e->d_name);
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            find_schemas(path, out, depth + 1);
            free(path);
        } else if (len > 4 && strcmp(e->d_name + len - 4, ".erg") == 0) {
            strlist_push(out, path);
        } else {
            free(path);
        }
    }
    closedir(d);
}

typedef struct tree {
    const char *name; /* "old" or "new", for messages */
    idl_ctx *ctx;
    bool ok;
} tree;

static void load_tree(tree *t, const char *root, const char **dirs, int ndirs,
                      FILE *err) {
    const char **roots = calloc((size_t)ndirs + 2, sizeof(char *));
    if (roots == NULL)
        abort();
    roots[0] = root;
    for (int i = 0; i < ndirs; i++)
        roots[i + 1] = dirs[i];
    /* Warnings of the trees themselves (deprecations) are not what compat
     * is asked about. */
    idl_options opts = {.import_dirs = roots,
                        .nimport_dirs = ndirs + 1,
                        .diag_out = err,
                        .no_warnings = true};
    t->ctx = idl_ctx_new(&opts);
    /* The context keeps the pointer: it lives as long as the context. */
    t->ctx->import_dirs =
        idl_arena_alloc(t->ctx->arena, (size_t)(ndirs + 1) * sizeof(char *));
    memcpy(t->ctx->import_dirs, roots, (size_t)(ndirs + 1) * sizeof(char *));
    free(roots);
    strlist files = {0};
    find_schemas(root, &files, 0);
    if (files.n > 1)
        qsort(files.v, files.n, sizeof(*files.v), str_cmp);
    for (size_t i = 0; i < files.n; i++) {
        if (!t->ctx->stopped)
            idl_load(t->ctx, files.v[i]);
        free(files.v[i]);
    }
    free(files.v);
    if (!t->ctx->stopped)
        idl_check(t->ctx);
    t->ok = t->ctx->errors == 0;
}

/* ---- lookups
 * -------------------------------------------------------------------- */

static bool is_versioned(const idl_decl *d) {
    return d->kind == IDL_D_MESSAGE || d->kind == IDL_D_EVENT;
}

#define FOR_EACH_DECL(t, d)                                               \
    for (idl_file *f_ = (t)->ctx->files.first; f_ != NULL; f_ = f_->next) \
        for (idl_decl *d = f_->decls.first; d != NULL; d = d->next)

static idl_decl *find_version(tree *t, const char *qname, uint32_t v) {
    return idl_lookup_version(t->ctx, qname, v);
}

static idl_decl *find_named(tree *t, idl_decl_kind kind, const char *qname) {
    return idl_lookup_decl(t->ctx, kind, qname);
}

static idl_decl *find_conversion(tree *t, const idl_decl *conv) {
    FOR_EACH_DECL(t, d) {
        if (d->kind == conv->kind && d->target && d->target_to &&
            d->version == conv->version && d->to_version == conv->to_version &&
            strcmp(d->target->qname, conv->target->qname) == 0)
            return d;
    }
    return NULL;
}

/* What an actor does with one message or event version. */
typedef struct accept {
    idl_actor_item *item;
    idl_version_ref *ref;
} accept;

/* The item of `actor` that names qname vN with one of the verbs, if any. */
static accept find_accept(const idl_decl *actor, const char *qname, uint32_t v,
                          bool publishes) {
    for (idl_actor_item *it = actor->items.first; it != NULL; it = it->next) {
        if ((it->verb == IDL_ACT_PUBLISHES) != publishes)
            continue;
        for (idl_version_ref *r = it->versions.first; r != NULL; r = r->next)
            if (r->decl && r->version == v &&
                strcmp(r->decl->qname, qname) == 0)
                return (accept){it, r};
    }
    return (accept){NULL, NULL};
}
/* An actor of the old tree that accepts qname vN and still exists in the
 * new tree, or NULL. */
static idl_decl *surviving_acceptor(tree *old, tree *now, const char *qname,
                                    uint32_t v) {
    FOR_EACH_DECL(old, d) {
        if (d->kind == IDL_D_ACTOR && find_accept(d, qname, v, false).item &&
            find_named(now, IDL_D_ACTOR, d->qname))
            return d;
    }
    return NULL;
}

/* ---- the rules
 * --------------------------------------------------------------- */

typedef struct compat {
    tree *old, *now;
    idl_ctx *ctx; /* where diagnostics go: the new tree's context */
} compat;

static void check_versions(compat *c) {
    idl_ctx *ctx = c->ctx;
    FOR_EACH_DECL(c->old, od) {
        if (!is_versioned(od) || od->qname == NULL)
            continue;
        idl_decl *nd = find_version(c->now, od->qname, od->version);
        if (nd == NULL) {
            idl_decl *by =
                surviving_acceptor(c->old, c->now, od->qname, od->version);
            if (by != NULL)
                idl_error_rule(c->old->ctx, od->loc,
                               "VERSION_REMOVED_WHILE_ACCEPTED",
                               "%s v%u was removed, but actor '%s' accepts it "
                               "in the old tree and still exists",
                               od->qname, od->version, by->qname);
            else
                idl_warning_rule(c->old->ctx, od->loc, "UNUSED_VERSION_REMOVED",
                                 "%s v%u was removed; senders still on the "
                                 "old schemas can no longer reach a node "
                                 "without it",
                                 od->qname, od->version);
            continue;
        }
        if (memcmp(od->fingerprint, nd->fingerprint, 32) != 0) {
            const char *why = idl_shape_diff(
                ctx,
                idl_shape_parse(
                    ctx,
                    idl_shape_render(c->old->ctx,
                                     idl_shape_of(c->old->ctx, od)),
                    strlen(idl_shape_render(c->old->ctx,
                                            idl_shape_of(c->old->ctx, od)))),
                idl_shape_of(ctx, nd));
            idl_error_rule(ctx, nd->loc, "EDITED_VERSION",
                           "%s v%u changed shape: %s", nd->qname, nd->version,
                           why ? why : "(fingerprint differs)");
        }
    }
}

static void check_actor_pair(compat *c, idl_decl *oa, idl_decl *na) {
    idl_ctx *ctx = c->ctx;
    for (idl_actor_item *it = oa->items.first; it != NULL; it = it->next) {
        bool pub = it->verb == IDL_ACT_PUBLISHES;
        for (idl_version_ref *r = it->versions.first; r != NULL; r = r->next) {
            if (r->decl == NULL)
                continue;
            const char *q = r->decl->qname;
            accept now = find_accept(na, q, r->version, pub);
            if (now.item == NULL) {
                if (!find_version(c->now, q, r->version) && !pub)
                    continue; /* VERSION_REMOVED_WHILE_ACCEPTED says it */
                const char *rule = pub ? "PUBLISHES_DROPPED"
                                   : it->verb == IDL_ACT_SUBSCRIBES
                                       ? "SUBSCRIBES_DROPPED"
                                       : "ACTOR_STOPPED_ACCEPTING";
                idl_error_rule(ctx, na->name.loc, rule,
                               "actor '%s' no longer %s %s v%u", na->qname,
                               pub ? "publishes"
                               : it->verb == IDL_ACT_SUBSCRIBES
                                   ? "subscribes to"
                                   : "accepts",
                               q, r->version);
                continue;
            }
            idl_actor_item *ni = now.item;
            if (ni->verb != it->verb) {
                /* call <-> cast is a flip; leaving subscribes drops a
                 * subscription; turning call/cast into subscribes stops
                 * accepting the message as one. */
                const char *rule =
                    it->verb == IDL_ACT_SUBSCRIBES   ? "SUBSCRIBES_DROPPED"
                    : ni->verb == IDL_ACT_SUBSCRIBES ? "ACTOR_STOPPED_ACCEPTING"
                                                     : "CAST_CALL_FLIPPED";
                idl_error_rule(ctx, ni->loc, rule,
                               "actor '%s' took %s v%u as %s and now as %s",
                               na->qname, q, r->version,
                               idl_actor_verb_name(it->verb),
                               idl_actor_verb_name(ni->verb));
                continue;
            }
            if (it->verb == IDL_ACT_CALL && it->resp_version.decl &&
                ni->resp_version.decl &&
                (strcmp(it->resp_version.decl->qname,
                        ni->resp_version.decl->qname) != 0 ||
                 it->resp_version.version != ni->resp_version.version))
                idl_error_rule(ctx, ni->resp.loc, "CALL_RESPONSE_CHANGED",
                               "the response to %s v%u changed from %s v%u "
                               "to %s v%u",
                               q, r->version, it->resp_version.decl->qname,
                               it->resp_version.version,
                               ni->resp_version.decl->qname,
                               ni->resp_version.version);
            if (it->important != ni->important)
                idl_error_rule(ctx, ni->loc, "IMPORTANT_CHANGED",
                               "cast of %s v%u %s 'important'", q, r->version,
                               ni->important ? "gained" : "lost");
        }
    }
}

/* Two actors with the same members: a rename that only changes C names. */
static bool same_members(const idl_decl *a, const idl_decl *b) {
    for (int pass = 0; pass < 2; pass++) {
        const idl_decl *x = pass ? b : a, *y = pass ? a : b;
        for (idl_actor_item *it = x->items.first; it; it = it->next) {
            for (idl_version_ref *r = it->versions.first; r; r = r->next) {
                if (r->decl == NULL)
                    return false;
                accept m = find_accept(y, r->decl->qname, r->version,
                                       it->verb == IDL_ACT_PUBLISHES);
                if (m.item == NULL || m.item->verb != it->verb ||
                    m.item->important != it->important)
                    return false;
                const idl_version_ref *ra = &it->resp_version,
                                      *rb = &m.item->resp_version;
                if (it->verb == IDL_ACT_CALL &&
                    (ra->decl == NULL || rb->decl == NULL ||
                     ra->version != rb->version ||
                     strcmp(ra->decl->qname, rb->decl->qname) != 0))
                    return false;
            }
        }
    }
    return true;
}

static void check_actors(compat *c) {
    FOR_EACH_DECL(c->old, oa) {
        if (oa->kind != IDL_D_ACTOR || oa->qname == NULL)
            continue;
        idl_decl *na = find_named(c->now, IDL_D_ACTOR, oa->qname);
        if (na != NULL) {
            check_actor_pair(c, oa, na);
            continue;
        }
        idl_decl *renamed = NULL;
        FOR_EACH_DECL(c->now, cand) {
            /* visit marks a new actor already taken by an earlier rename. */
            if (renamed == NULL && cand->kind == IDL_D_ACTOR && cand->qname &&
                cand->visit == 0 &&
                !find_named(c->old, IDL_D_ACTOR, cand->qname) &&
                same_members(oa, cand))
                renamed = cand;
        }
        if (renamed != NULL)
            renamed->visit = 1;
        if (renamed != NULL)
            idl_warning_rule(c->ctx, renamed->name.loc, "ACTOR_RENAMED",
                             "actor '%s' was renamed to '%s'; only C names "
                             "change",
                             oa->qname, renamed->qname);
        else
            idl_error_rule(c->old->ctx, oa->name.loc, "ACTOR_REMOVED",
                           "actor '%s' was removed; whatever it accepted is "
                           "no longer accepted",
                           oa->qname);
    }
}

static void check_conversions(compat *c) {
    FOR_EACH_DECL(c->old, oc) {
        if ((oc->kind != IDL_D_UPGRADE && oc->kind != IDL_D_DOWNGRADE) ||
            oc->target == NULL || oc->target_to == NULL)
            continue;
        const char *kw = oc->kind == IDL_D_UPGRADE ? "upgrade" : "downgrade";
        idl_decl *nc = find_conversion(c->now, oc);
        if (nc != NULL)
            continue;
        if (find_version(c->now, oc->target->qname, oc->version) &&
            find_version(c->now, oc->target->qname, oc->to_version))
            idl_error_rule(c->old->ctx, oc->loc, "CONVERSION_REMOVED",
                           "%s %s v%u -> v%u disappeared while both versions "
                           "remain",
                           kw, oc->target->qname, oc->version, oc->to_version);
    }
}

static void check_wire_ids(compat *c) {
    FOR_EACH_DECL(c->now, nd) {
        if (!is_versioned(nd) || nd->qname == NULL ||
            find_named(c->old, nd->kind, nd->qname))
            continue;
        FOR_EACH_DECL(c->old, od) {
            if (is_versioned(od) && od->qname &&
                strcmp(od->qname, nd->qname) != 0 &&
                od->wire_id == nd->wire_id) {
                idl_error_rule(c->ctx, nd->name.loc, "WIRE_ID_COLLISION",
                               "the wire id of '%s' equals that of '%s' in "
                               "the old tree",
                               nd->qname, od->qname);
                break;
            }
        }
    }
}

static bool is_name_char(char ch) {
    return ch == '_' || ch == '.' || (ch >= '0' && ch <= '9') ||
           (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/* text with every whole occurrence of the name `from` replaced by `to`. */
static const char *rename_in(idl_ctx *ctx, const char *text, const char *from,
                             const char *to) {
    size_t nf = strlen(from);
    const char *out = "";
    const char *p = text;
    for (const char *hit; (hit = strstr(p, from)) != NULL; p = hit + nf) {
        bool whole =
            (hit == text || !is_name_char(hit[-1])) && !is_name_char(hit[nf]);
        out = idl_arena_printf(ctx->arena, "%s%.*s%s", out, (int)(hit - p), p,
                               whole ? to : from);
    }
    return idl_arena_printf(ctx->arena, "%s%s", out, p);
}

/* A struct, enum or union renamed with its body unchanged: only C names
 * change (messages using it report EDITED_VERSION on their own). */
static void check_type_renames(compat *c) {
    FOR_EACH_DECL(c->old, ot) {
        if ((ot->kind != IDL_D_STRUCT && ot->kind != IDL_D_ENUM &&
             ot->kind != IDL_D_UNION) ||
            ot->qname == NULL || find_named(c->now, ot->kind, ot->qname))
            continue;
        FOR_EACH_DECL(c->now, nt) {
            if (nt->kind != ot->kind || nt->qname == NULL ||
                find_named(c->old, nt->kind, nt->qname))
                continue;
            const char *a =
                idl_shape_render(c->old->ctx, idl_shape_of(c->old->ctx, ot));
            const char *b = idl_shape_render(c->ctx, idl_shape_of(c->ctx, nt));
            /* Same text once the old name reads as the new one: headers
             * (kind, an enum's underlying type) and self-references too. */
            if (strcmp(rename_in(c->ctx, a, ot->qname, nt->qname), b) == 0) {
                idl_warning_rule(c->ctx, nt->name.loc, "TYPE_RENAMED",
                                 "%s '%s' was renamed to '%s'; only C names "
                                 "change",
                                 idl_decl_kind_name(nt->kind), ot->qname,
                                 nt->qname);
                break;
            }
        }
    }
}

/* Whether the old tree declared the same conversion (kind, message, from,
 * to); the new one may not have resolved, so match by the name written. */
static bool existed_before(compat *c, const idl_decl *nc) {
    const char *q = nc->target ? nc->target->qname : NULL;
    FOR_EACH_DECL(c->old, oc) {
        if (oc->kind != nc->kind || oc->target == NULL ||
            oc->version != nc->version || oc->to_version != nc->to_version)
            continue;
        if (q != NULL ? strcmp(oc->target->qname, q) == 0
                      : strcmp(oc->name.text, nc->name.text) == 0)
            return true;
    }
    return false;
}

/* Conversions of the old tree that no longer compile in the new one. */
static void report_broken_conversions(compat *c) {
    FOR_EACH_DECL(c->now, nc) {
        if ((nc->kind != IDL_D_UPGRADE && nc->kind != IDL_D_DOWNGRADE) ||
            nc->nerrors == 0 || !existed_before(c, nc))
            continue;
        idl_error_rule(c->ctx, nc->loc, "CONVERSION_NOT_TOTAL",
                       "this %s compiled in the old tree and no longer "
                       "does (the errors reported for it say why)",
                       nc->kind == IDL_D_UPGRADE ? "upgrade" : "downgrade");
    }
}

int idlc_compat_main(int argc, char **argv, FILE *out, FILE *err) {
    (void)out;
    const char **dirs = calloc((size_t)argc + 1, sizeof(char *));
    const char *roots[2] = {NULL, NULL};
    int ndirs = 0, nroots = 0, status = 2;
    if (dirs == NULL)
        abort();
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        if (strcmp(s, "-I") == 0 && i + 1 < argc) {
            dirs[ndirs++] = argv[++i];
        } else if (strncmp(s, "-I", 2) == 0 && s[2] != '\0') {
            dirs[ndirs++] = s + 2;
        } else if (s[0] == '-' || nroots == 2) {
            fprintf(err, "idlc: error: compat: unexpected argument '%s'\n", s);
            goto usage;
        } else {
            roots[nroots++] = s;
        }
    }
    if (nroots != 2) {
        fprintf(err, "idlc: error: compat needs OLD_ROOT and NEW_ROOT\n");
        goto usage;
    }
    for (int i = 0; i < 2; i++) {
        struct stat st;
        if (stat(roots[i], &st) != 0 || !S_ISDIR(st.st_mode)) {
            fprintf(err, "idlc: error: compat: '%s' is not a directory\n",
                    roots[i]);
            goto usage;
        }
    }
    tree old = {"old", NULL, false}, now = {"new", NULL, false};
    load_tree(&old, roots[0], dirs, ndirs, err);
    load_tree(&now, roots[1], dirs, ndirs, err);
    if (!old.ok) {
        idl_error_nofile(old.ctx, "the old tree '%s' does not compile",
                         roots[0]);
        status = 1;
    } else {
        compat c = {&old, &now, now.ctx};
        if (now.ok) {
            check_versions(&c);
            check_actors(&c);
            check_conversions(&c);
            check_wire_ids(&c);
            check_type_renames(&c);
        } else {
            report_broken_conversions(&c);
        }
        status = now.ctx->errors + old.ctx->errors > 0 ? 1 : 0;
    }
    /* Old-tree positions first (removals), then the new tree's. */
    idl_ctx_free(old.ctx);
    idl_ctx_free(now.ctx);
    free(dirs);
    return status;
usage:
    fprintf(err, "usage: idlc compat [-I DIR]... OLD_ROOT NEW_ROOT\n");
    free(dirs);
    return status;
}
