/* SPDX-License-Identifier: MIT */
/* typed.h: runs actors declared in a .erg schema on their generated tables. */
#ifndef ERG_TYPED_H
#define ERG_TYPED_H

#include <stdint.h>

#include "erg/actor.h"
#include "erg/codec.h"
#include "erg/defs.h"
#include "erg/err.h"
#include "erg/msg.h"

/*
 * A typed message is an erg_msg_t whose type is a message version's
 * descriptor (kind MESSAGE) and whose payload is a deep copy of a generated
 * value (`<pkg>_<msg>_v<N>_t`), made as one block by erg_typed_msg_new and
 * freed with the message. It is immutable like any message, so it fans out
 * without copies.
 */

/*
 * erg_typed_msg_new copies `value` (a value of desc, only read) into a new
 * message with one reference, stored in *out. The copy makes the checks
 * encoding makes, so a value a peer could not decode never becomes a
 * message: ERG_EBOUNDS (over a schema bound), ERG_EUTF8, ERG_ETAG (a union
 * tag or enum value that is not a member), ERG_EDEPTH; and ERG_EINVAL (desc
 * is not a message version), ERG_ENOMEM. On error *out is NULL.
 * Thread-safe.
 */
ERG_EXTERN erg_err_t erg_typed_msg_new(const erg_codec_desc_t *desc,
                                       const void *value, erg_msg_t **out);

/* erg_typed_msg_desc: the descriptor of a typed message, or NULL for any
 * other message. Thread-safe. */
ERG_EXTERN const erg_codec_desc_t *erg_typed_msg_desc(const erg_msg_t *msg);

/* erg_typed_msg_value: the value a typed message holds (borrowed, lives as
 * long as msg), or NULL for any other message. Thread-safe. */
ERG_EXTERN const void *erg_typed_msg_value(const erg_msg_t *msg);

/*
 * erg_typed_actor_t binds a schema actor's generated dispatch table to its
 * handlers, for ERG_TYPED_BEHAVIOR. Usually a static const:
 *
 *   static const shop_payment_payment_service_actor_t handlers = {...};
 *   static const erg_typed_actor_t typed = {
 *       &shop_payment_payment_service_dispatch, &handlers, NULL};
 *   static const erg_behavior_t beh = {
 *       .name = "payment", .state_size = sizeof(my_state_t),
 *       .init = my_init, ERG_TYPED_BEHAVIOR(&typed)};
 *
 * Handlers get erg_proc_state(self) as `state`; erg_typed_self() gives
 * self inside them.
 */
typedef struct erg_typed_actor_s {
    const erg_codec_actor_t *dispatch; /* <pkg>_<actor>_dispatch */
    const void *handlers;              /* a <pkg>_<actor>_actor_t */
    /* Runtime messages (ERG_TYPE_EXIT of trapped exits, ERG_TYPE_DOWN,
     * ERG_TYPE_FALLBACK, event start/stop, log records), as handle_message
     * gets them; NULL drops them. */
    erg_reason_t (*handle_system)(erg_proc_t *self, erg_pid_t from,
                                  erg_msg_t *msg);
} erg_typed_actor_t;

/*
 * erg_typed_accept is the accept hook (erg_accept_fn) of typed actors; its
 * table is an erg_typed_actor_t. On the sender's thread, before queueing, it
 * refuses with ERG_ENOTACCEPTED any message that is not a typed message of
 * a version the actor's `cast` lines name, and any call request that is not
 * one of a version its `call` lines name (untyped messages, event versions
 * and a call's version sent as a plain message included), so the sender
 * keeps the message. Another version of an accepted type is converted first
 * when the node's registries reach one (docs/cluster.md). Bounds were
 * checked when the message was made (erg_typed_msg_new). An older version
 * is delivered as sent and upgraded by the generated shim just before its
 * handler runs, so a handler always gets the newest version of its line.
 */
ERG_EXTERN erg_err_t erg_typed_accept(const void *table, const erg_msg_t *msg,
                                      bool call, erg_msg_t **out);

/*
 * The callbacks of typed actors (use ERG_TYPED_BEHAVIOR rather than naming
 * them):
 * - erg_typed_handle_message runs a cast's handler. A handler's error
 *   terminates the process with that error as reason, except
 *   ERG_EVERSION (an upgrade's checked() failed: the sender's value does not
 *   fit the newest version), which is logged at warning level. (A call's
 *   version sent as a plain message is refused at the send.)
 * - erg_typed_handle_call runs a call's handler with reply storage of the
 *   response version, zeroed (assign the response's _INIT first to get the
 *   schema defaults), copies the reply into a typed message and answers
 *   with it. A handler's error, or a reply over its bounds, is answered as
 *   erg_reply_error with that error, and the process keeps running. (A
 *   cast's version sent as a call is refused at the send.)
 * - erg_typed_handle_event runs the handler of a `subscribes` line for a
 *   typed message published to an event the process linked or monitored
 *   (erg_monitor(self, erg_to_event(name), NULL), usually in init). Event
 *   payloads the actor does not subscribe to are logged at debug level and
 *   dropped. Errors as for a cast.
 */
ERG_EXTERN erg_reason_t erg_typed_handle_message(erg_proc_t *self,
                                                 erg_pid_t from,
                                                 erg_msg_t *msg);
ERG_EXTERN erg_reason_t erg_typed_handle_call(erg_proc_t *self,
                                              erg_pid_t from, erg_ref_t ref,
                                              erg_msg_t *request,
                                              erg_msg_t **reply);
ERG_EXTERN erg_reason_t erg_typed_handle_event(erg_proc_t *self,
                                               const erg_event_msg_t *ev);

/* ERG_TYPED_BEHAVIOR fills an erg_behavior_t's message callbacks and accept
 * hook for the erg_typed_actor_t at `typed` (designated initializers). */
#define ERG_TYPED_BEHAVIOR(typed)                                            \
    .handle_message = erg_typed_handle_message,                              \
    .handle_call = erg_typed_handle_call,                                    \
    .handle_event = erg_typed_handle_event, .accept = erg_typed_accept,      \
    .accept_table = (typed)

/* erg_typed_self: inside a typed actor's handler, the process it runs for
 * (valid as self is); NULL on a thread running no process. */
ERG_EXTERN erg_proc_t *erg_typed_self(void);

/*
 * erg_typed_sender_t binds the generated send helpers (which take an
 * erg_codec_sender_t) to a target: pass &s.sender to
 * `<pkg>_<actor>_cast_<msg>_v<N>(&s.sender, &value)` and friends. A cast
 * copies the value into a typed message (erg_typed_msg_new: bounds are
 * checked) and sends it; the send's errors (ERG_ENOTACCEPTED,
 * ERG_EMBOXFULL...) are the helper's, and nothing is sent on error. A call
 * does the same with erg_call and returns the reply as a value of the
 * response version, freed with erg_codec_free (its _free); a reply of
 * another type gives ERG_EDECODE. A local send's ERG_OK already means the
 * message is in the target's mailbox, which is what `important` asks.
 */
typedef struct erg_typed_sender_s {
    /* public */
    erg_codec_sender_t sender;
    /* private */
    erg_proc_t *self;
    erg_node_t *node;
    erg_target_t target;
    uint32_t timeout_ms;
    erg_ref_t token; /* an event sender's publishing token */
    void *reserved[2];
} erg_typed_sender_t;

/*
 * erg_typed_sender_init binds s to target, sending from self (a process's
 * callbacks; self must be the process running the helper) or, with self
 * NULL, from node (any thread, as erg_node_send and erg_node_call). Calls
 * wait up to timeout_ms (0 = 5 s). target.name is borrowed: it must outlive
 * s. Only one of self and node is used; the other may be NULL. The helpers
 * keep a pointer to s, so s must stay where it is (do not copy it).
 */
ERG_EXTERN void erg_typed_sender_init(erg_typed_sender_t *s, erg_proc_t *self,
                                      erg_node_t *node, erg_target_t target,
                                      uint32_t timeout_ms);

/*
 * erg_typed_sender_init_event binds s to the event `event` that self
 * registered with `token`, for the generated `<pkg>_<actor>_publish_…`
 * helpers: each publishes a typed copy of the value (erg_event_send's
 * errors: ERG_ENOEVENT, ERG_ENOTOWNER...). A call through it gives
 * ERG_ENOTSUP. `event` is borrowed; s must stay where it is.
 */
ERG_EXTERN void erg_typed_sender_init_event(erg_typed_sender_t *s,
                                            erg_proc_t *self,
                                            const char *event,
                                            erg_ref_t token);

#endif /* ERG_TYPED_H */
