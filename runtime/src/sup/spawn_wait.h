/* SPDX-License-Identifier: MIT */
/* spawn_wait.h: spawn a child of a process and wait for its init. */
#ifndef ERG_SRC_SUP_SPAWN_WAIT_H
#define ERG_SRC_SUP_SPAWN_WAIT_H

#include "erg/actor.h"

/*
 * erg__spawn_wait is erg_spawn (self the parent, opts as given) that returns
 * only after the child's init did, with its outcome as erg_node_spawn
 * reports it: ERG_OK, the init's negative reason, ERG_ETERMINATED (a
 * positive reason, or killed during init) or ERG_ETIMEDOUT (the init timer
 * ended it), or a spawn error. This is Ergo's Spawn, used where Ergo's
 * supervisor and pool spawn. On an init failure *pid still names the child,
 * whose exit (through link_child) is on its way to self. The worker is
 * handed over while waiting. The child's init must not call self, which is
 * blocked here (the call would time out). Call from self's callbacks.
 */
erg_err_t erg__spawn_wait(erg_proc_t *self, const erg_behavior_t *beh,
                          const erg_spawn_opts_t *opts, void *args,
                          erg_pid_t *pid);

#endif /* ERG_SRC_SUP_SPAWN_WAIT_H */
