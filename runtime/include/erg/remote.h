/* SPDX-License-Identifier: MIT */
/* remote.h: starting processes and applications on other nodes. */
#ifndef ERG_REMOTE_H
#define ERG_REMOTE_H

#include <stddef.h>
#include <stdint.h>

#include "erg/actor.h"
#include "erg/app.h"
#include "erg/defs.h"
#include "erg/err.h"
#include "erg/msg.h"
#include "erg/node.h"

/*
 * A node starts processes and applications for other nodes only when it
 * allows it: its network flags (erg_net_opts_t.flags) include
 * ERG_NET_ALLOW_REMOTE_SPAWN / ERG_NET_ALLOW_REMOTE_APP_START, and the
 * factory or application is on its allow-list, for every node or for the
 * nodes named. Anything else is refused with ERG_ENOTALLOWED. Asking for an
 * application's info needs no permission.
 */

/*
 * erg_net_allow_spawn lets the nodes named in nodes[0..nnodes) (nnodes 0:
 * every node) spawn processes of beh under the factory name (1..255
 * bytes). Allowing a name again replaces its entry. beh is borrowed (a
 * static behaviour). ERG_EINVAL, ERG_ENOMEM, ERG_ENOCONN (no network).
 */
ERG_EXTERN erg_err_t erg_net_allow_spawn(erg_node_t *node, const char *factory,
                                         const erg_behavior_t *beh,
                                         const char *const *nodes,
                                         size_t nnodes);

/* erg_net_disallow_spawn removes factory: ERG_ENOENT if not allowed. */
ERG_EXTERN erg_err_t erg_net_disallow_spawn(erg_node_t *node,
                                            const char *factory);

/* erg_net_allow_app_start lets the nodes named (nnodes 0: every node) start
 * the loaded application app. ERG_EINVAL, ERG_ENOMEM, ERG_ENOCONN. */
ERG_EXTERN erg_err_t erg_net_allow_app_start(erg_node_t *node,
                                             const char *app,
                                             const char *const *nodes,
                                             size_t nnodes);

typedef struct erg_remote_spawn_opts_s {
    const char *register_name; /* register the new process (NULL: none) */
    uint32_t mailbox_limit;    /* 0: unlimited */
    uint32_t timeout_ms;       /* 0: 5 s, for connecting and starting */
} erg_remote_spawn_opts_t;

/*
 * erg_remote_spawn starts a process of the factory node_name allowed and
 * stores its pid in *pid once its init returned (Ergo's RemoteSpawn).
 * args (typed or untyped, may be NULL) is sent like any message, with the
 * version checks of a send, and only read: the caller keeps it. The new
 * process's init gets the received message as its args (an erg_msg_t *,
 * borrowed for the call; NULL when none was sent). opts may be NULL.
 * Connects first if needed. Errors: ERG_ENOTALLOWED (not allowed there),
 * the spawn's own errors (ERG_ETAKEN for a taken name, the init's
 * reason...), the send's (ERG_EVERSION...), ERG_ENOCONN, ERG_ENOROUTE,
 * ERG_ETIMEDOUT. From any thread, handlers included.
 */
ERG_EXTERN erg_err_t erg_remote_spawn(erg_node_t *node, const char *node_name,
                                      const char *factory,
                                      const erg_remote_spawn_opts_t *opts,
                                      const erg_msg_t *args, erg_pid_t *pid);

/*
 * erg_remote_app_start starts the application app on node_name in mode
 * (ERG_APP_MODE_DEFAULT: its spec's), as erg_app_start there would.
 * timeout_ms 0 = 5 s. ERG_ENOTALLOWED, the start's errors (ERG_ENOAPP,
 * ERG_EAPPSTATE...), ERG_ENOCONN, ERG_ETIMEDOUT.
 */
ERG_EXTERN erg_err_t erg_remote_app_start(erg_node_t *node,
                                          const char *node_name,
                                          const char *app,
                                          erg_app_mode_t mode,
                                          uint32_t timeout_ms);

/*
 * erg_remote_app_info stores what node_name reports about its application
 * app in *out (freed with erg_app_info_free; member pids are of that
 * node). ERG_ENOAPP, ERG_ENOCONN, ERG_ETIMEDOUT.
 */
ERG_EXTERN erg_err_t erg_remote_app_info(erg_node_t *node,
                                         const char *node_name,
                                         const char *app, uint32_t timeout_ms,
                                         erg_app_info_t **out);

#endif /* ERG_REMOTE_H */
