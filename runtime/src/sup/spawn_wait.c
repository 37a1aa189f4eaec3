/* SPDX-License-Identifier: MIT */
/* spawn_wait.c: spawn a child of a process and wait for its init. */
#include "sup/spawn_wait.h"

#include "core/actor.h"
#include "core/node.h"

erg_err_t erg__spawn_wait(erg_proc_t *self, const erg_behavior_t *beh,
                          const erg_spawn_opts_t *opts, void *args,
                          erg_pid_t *pid) {
    if (self == NULL || pid == NULL)
        return ERG_EINVAL;
    *pid = (erg_pid_t){0};
    erg_node_t *node = erg_proc_node(self);
    erg_ref_t ref = erg_node_make_ref(node);
    erg__waiter_t w;
    erg__waiter_init(&w);
    erg_err_t rv = erg__waiter_add(node, ref.id, &w);
    if (rv == ERG_OK) {
        rv = erg__spawn(node, self, beh, opts, args, ref.id, pid);
        /* A slow init is ended at its deadline, which completes the
         * waiter with ERG_ETIMEDOUT; the margin only bounds a lost
         * wake-up. */
        if (rv != ERG_OK)
            erg__waiter_remove(node, ref.id);
        else
            rv = erg__waiter_wait(node, ref.id, &w,
                                  ERG_INIT_TIMEOUT_MAX_MS + 5000, false);
    }
    erg__waiter_fini(&w);
    return rv;
}
