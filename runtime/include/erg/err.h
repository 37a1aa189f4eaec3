/* SPDX-License-Identifier: MIT */
/* err.h: erg's error codes, their names and their messages, from one table. */
#ifndef ERG_ERR_H
#define ERG_ERR_H

#include "erg/defs.h"

/*
 * ERG_ERR_MAP(XX) is the one table of erg's errors: XX(NAME, value, message).
 * Every erg function that can fail returns an erg_err_t: ERG_OK (0) or one of
 * these negative codes, so the same range fits ssize_t results and callback
 * statuses (as libuv does). Values are part of the ABI and never reused.
 *
 * The first group mirrors the generic POSIX conditions; the rest are the
 * failures of the actor model (Ergo's gen.Err* set) and of the wire.
 */
#define ERG_ERR_MAP(XX)                                                        \
    /* generic */                                                              \
    XX(ENOMEM, -1, "out of memory")                                            \
    XX(EINVAL, -2, "invalid argument")                                         \
    XX(EBUSY, -3, "resource busy")                                             \
    XX(ETIMEDOUT, -4, "timed out")                                             \
    XX(ECANCELED, -5, "operation canceled")                                    \
    XX(ECLOSED, -6, "object closed")                                           \
    XX(EIO, -7, "input/output error")                                          \
    XX(ENOTSUP, -8, "operation not supported")                                 \
    XX(EEXIST, -9, "already exists")                                           \
    XX(ENOENT, -10, "no such entry")                                           \
    XX(EAGAIN, -11, "try again later")                                         \
    XX(EINCORRECT, -12, "incorrect value or state")                            \
    XX(ENOTALLOWED, -13, "not allowed")                                        \
    XX(EUNKNOWN, -14, "unknown error")                                         \
    /* processes and names */                                                  \
    XX(ENOPROC, -20, "unknown process")                                        \
    XX(ETERMINATED, -21, "process terminated")                                 \
    XX(EMBOXFULL, -22, "mailbox is full")                                      \
    XX(EINCARNATION, -23, "process belongs to an earlier node incarnation")    \
    XX(ENONAME, -24, "unknown name")                                           \
    XX(ETAKEN, -25, "resource is taken")                                       \
    XX(ENOALIAS, -26, "unknown alias")                                         \
    XX(ENOEVENT, -27, "unknown event")                                         \
    XX(ENOTOWNER, -28, "not the owner")                                        \
    XX(ENOTARGET, -29, "unknown target")                                       \
    XX(EIGNORE, -30, "response is ignored")                                    \
    XX(ENODE, -31, "node is terminated")                                       \
    XX(EUNREGISTERED, -32, "name, alias or event was unregistered")            \
    /* supervision and applications */                                         \
    XX(ENOAPP, -40, "unknown application")                                     \
    XX(EAPPDEPENDS, -41, "application dependency failed")                      \
    XX(EAPPSTATE, -42, "application is in the wrong state")                    \
    XX(EAPPEMPTY, -43, "application has no members")                           \
    XX(ESUPACTIVE, -44, "supervisor restart strategy is active")               \
    XX(ENOCHILD, -45, "unknown supervisor child")                              \
    XX(ECHILDRUNNING, -46, "supervisor child is running")                      \
    XX(ECHILDDISABLED, -47, "supervisor child is disabled")                    \
    XX(ERESTARTS, -48, "restart intensity exceeded")                           \
    /* messages, codecs and the wire */                                        \
    XX(ETOOBIG, -60, "message too large")                                      \
    XX(EVERSION, -61, "message version not supported")                         \
    XX(EDECODE, -62, "malformed encoded data")                                 \
    XX(ESCHEMA, -63, "message does not fit its schema")                        \
    XX(ENOTACCEPTED, -64, "message type not accepted by the target")           \
    XX(EPEER, -65, "peer protocol violation")                                  \
    XX(ENOCONN, -66, "no connection to node")                                  \
    XX(ENOROUTE, -67, "no route to node")                                      \
    XX(EAUTH, -68, "authentication failed")                                    \
    XX(EFINGERPRINT, -69, "schema fingerprint mismatch")                       \
    XX(EDEPTH, -70, "nesting too deep")                                        \
    XX(EUTF8, -71, "invalid UTF-8 in string")                                  \
    XX(EBOUNDS, -72, "value exceeds its schema bound")                         \
    XX(ETAG, -73, "unknown union tag or enum value")                           \
    XX(ETRUNCATED, -74, "encoded data is truncated")

/* The error type: ERG_OK or a negative ERG_E* code. */
typedef enum erg_err_e {
    ERG_OK = 0,
#define ERG__ERR_ENUM(name, value, msg) ERG_##name = (value),
    ERG_ERR_MAP(ERG__ERR_ENUM)
#undef ERG__ERR_ENUM
} erg_err_t;

/*
 * erg_strerror returns a human-readable, static message for err ("success"
 * for ERG_OK, "unknown error code" for values outside the table). Thread-safe.
 */
ERG_EXTERN const char *erg_strerror(erg_err_t err);

/*
 * erg_err_name returns the code's name as written in the table
 * ("ERG_ENOPROC"), or "ERG_UNKNOWN_CODE" for values outside it. Thread-safe.
 */
ERG_EXTERN const char *erg_err_name(erg_err_t err);

#endif /* ERG_ERR_H */
