/* SPDX-License-Identifier: MIT */
/* msg.h: refcounted messages carrying a type descriptor and a payload. */
#ifndef ERG_MSG_H
#define ERG_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "erg/defs.h"
#include "erg/err.h"
#include "erg/pid.h"

/*
 * erg_msg_t is one message: a payload of bytes plus a `type`, an opaque
 * pointer naming what the payload is. Plain C programs use NULL (an untyped
 * message) or the address of any object of their own as the type; the code
 * generator (idlc) uses the address of a message version's const descriptor,
 * so a receiver compares pointers to dispatch. The runtime never looks inside
 * a type; it only hands it to an actor's accept hook (see actor.h).
 *
 * Ownership (nng's rule): erg_msg_new gives the caller one reference. A send
 * takes that reference only when it returns ERG_OK; on any error the caller
 * still owns the message. Handlers *borrow* the messages they receive: call
 * erg_msg_retain to keep one after the handler returns. A message is freed
 * when its last reference is released. References may be taken and released
 * from any thread; the payload must not be changed once the message has been
 * sent (receivers share it, for fan-out without copies).
 */
typedef struct erg_msg_s erg_msg_t;

/*
 * Types of the messages the runtime itself delivers to handle_message. Their
 * payloads are the structs below; compare with erg_msg_type(msg).
 */
ERG_EXTERN extern const char erg_type_exit[];   /* erg_exit_t */
ERG_EXTERN extern const char erg_type_down[];   /* erg_down_t */
ERG_EXTERN extern const char erg_type_fallback[]; /* erg_fallback_t */
ERG_EXTERN extern const char erg_type_event_start[]; /* erg_event_note_t */
ERG_EXTERN extern const char erg_type_event_stop[];  /* erg_event_note_t */
ERG_EXTERN extern const char erg_type_log[];    /* erg_log_record_t (log.h) */
#define ERG_TYPE_EXIT        ((const void *)erg_type_exit)
#define ERG_TYPE_DOWN        ((const void *)erg_type_down)
#define ERG_TYPE_FALLBACK    ((const void *)erg_type_fallback)
#define ERG_TYPE_EVENT_START ((const void *)erg_type_event_start)
#define ERG_TYPE_EVENT_STOP  ((const void *)erg_type_event_stop)
#define ERG_TYPE_LOG         ((const void *)erg_type_log)

/*
 * erg_msg_new allocates a message with a zeroed payload of size bytes and
 * the given type (may be NULL), and stores it in *out with one reference.
 * ERG_ENOMEM. Thread-safe.
 */
ERG_EXTERN erg_err_t erg_msg_new(const void *type, size_t size,
                                 erg_msg_t **out);

/*
 * erg_msg_new_copy is erg_msg_new followed by copying size bytes from data.
 * ERG_ENOMEM. Thread-safe.
 */
ERG_EXTERN erg_err_t erg_msg_new_copy(const void *type, const void *data,
                                      size_t size, erg_msg_t **out);

/* erg_msg_retain takes one more reference to msg. Thread-safe. */
ERG_EXTERN void erg_msg_retain(erg_msg_t *msg);

/* erg_msg_release drops one reference and frees msg with the last one;
 * NULL is a no-op. Thread-safe. */
ERG_EXTERN void erg_msg_release(erg_msg_t *msg);

/* erg_msg_type: the type given at creation. Thread-safe. */
ERG_EXTERN const void *erg_msg_type(const erg_msg_t *msg);

/* erg_msg_data: the payload (aligned for any C type). Thread-safe. */
ERG_EXTERN void *erg_msg_data(const erg_msg_t *msg);

/* erg_msg_size: the payload size in bytes. Thread-safe. */
ERG_EXTERN size_t erg_msg_size(const erg_msg_t *msg);

/*
 * Reasons: why a process terminated, carried by exit signals and down
 * messages (Ergo's TerminateReason*). A handler returns ERG_REASON_NONE (0)
 * to keep running, or a reason to terminate:
 *   > 0   the runtime's reasons below, or ERG_REASON_USER + n of your own;
 *   < 0   an erg_err_t, an abnormal termination caused by that error (a
 *         monitor of a process that never existed reports ERG_ENOPROC, a
 *         process whose init timed out ERG_ETIMEDOUT).
 */
typedef int32_t erg_reason_t;
#define ERG_REASON_NONE     0
#define ERG_REASON_NORMAL   1 /* finished its work */
#define ERG_REASON_SHUTDOWN 2 /* asked to stop (node stop, supervisor) */
#define ERG_REASON_KILL     3 /* killed; sent as an exit, untrappable */
#define ERG_REASON_PANIC    4 /* a handler reported a fatal error */
#define ERG_REASON_USER     1000

/* erg_reason_string: "normal", "shutdown", "kill", "panic", "user:N" or
 * erg_strerror's text; buf (>= 32 bytes) is used only for "user:N". */
ERG_EXTERN const char *erg_reason_string(erg_reason_t reason, char *buf,
                                         size_t len);

/* What an exit signal or a down message is about. */
typedef enum erg_target_kind_e {
    ERG_TARGET_PID = 0,
    ERG_TARGET_NAME = 1,  /* a registered name (Ergo's ProcessID) */
    ERG_TARGET_ALIAS = 2,
    ERG_TARGET_EVENT = 3, /* a registered event */
    ERG_TARGET_NODE = 4
} erg_target_kind_t;

/*
 * erg_target_t addresses a process by pid, name or alias, an event, or a
 * node, for sends, links and monitors. name points at the caller's string
 * (copied where the runtime keeps it). Build one with the helpers below.
 * node is the node hash (0 = the local node) for names and events;
 * node_name, when not NULL, is that node's "name@host" (the network needs
 * it to connect to a node it has not heard of yet).
 */
typedef struct erg_target_s {
    erg_target_kind_t kind;
    uint32_t node;
    erg_pid_t pid;
    erg_alias_t alias;
    const char *name;
    const char *node_name;
} erg_target_t;

ERG_EXTERN erg_target_t erg_to_pid(erg_pid_t pid);
ERG_EXTERN erg_target_t erg_to_name(const char *name);
ERG_EXTERN erg_target_t erg_to_alias(erg_alias_t alias);
ERG_EXTERN erg_target_t erg_to_event(const char *event_name);
ERG_EXTERN erg_target_t erg_to_node(const char *node_name);
/* A process registered as name, or an event, on the node node_name (which
 * may be the local node). */
ERG_EXTERN erg_target_t erg_to_remote_name(const char *name,
                                           const char *node_name);
ERG_EXTERN erg_target_t erg_to_remote_event(const char *event_name,
                                            const char *node_name);

/*
 * Payload of ERG_TYPE_EXIT: an exit signal delivered as a message to a
 * process that traps exits. target names what terminated (for a link) or
 * the process that sent the signal (erg_send_exit, kind ERG_TARGET_PID);
 * target.name points into the message and lives as long as it.
 */
typedef struct erg_exit_s {
    erg_target_t target;
    erg_reason_t reason;
} erg_exit_t;

/* Payload of ERG_TYPE_DOWN: a monitored target went away. ref is the one
 * erg_monitor returned. */
typedef struct erg_down_s {
    erg_ref_t ref;
    erg_target_t target;
    erg_reason_t reason;
} erg_down_t;

/*
 * Payload of ERG_TYPE_FALLBACK: a message that did not fit into the mailbox
 * of pid, whose spawn options named this process as its fallback. msg is
 * borrowed like the envelope (retain it to keep it); tag is the fallback tag.
 */
typedef struct erg_fallback_s {
    erg_pid_t pid;
    const char *tag;
    erg_msg_t *msg;
} erg_fallback_t;

/* Payload of ERG_TYPE_EVENT_START/STOP: sent to an event's producer when
 * its first subscriber arrives and when its last one leaves (if the event
 * was registered with notify). */
typedef struct erg_event_note_s {
    const char *event;
} erg_event_note_t;

#endif /* ERG_MSG_H */
