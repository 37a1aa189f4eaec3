/* SPDX-License-Identifier: MIT */
/* auth.h: the cookie proof of the handshake (HMAC-SHA256, constant time). */
#ifndef ERG_NET_AUTH_H
#define ERG_NET_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "erg/err.h"

#define ERG__NONCE_SIZE 32
#define ERG__MAC_SIZE 32

/* erg__auth_nonce fills out with random bytes: ERG_EIO if the system has
 * no randomness to give. */
erg_err_t erg__auth_nonce(uint8_t *out, size_t len);

/*
 * erg__auth_proof computes the proof the node named `self` gives `peer`:
 * HMAC-SHA256 keyed by the cookie over "erg-proof\0", the role byte (1 for
 * the dialer, 2 for the acceptor, so a proof cannot be reflected back),
 * the prover's nonce, the verifier's nonce and both names, each string
 * preceded by its length. The cookie itself never travels. ERG_EIO if
 * OpenSSL fails (the handshake then fails too).
 */
erg_err_t erg__auth_proof(const char *cookie, uint8_t role,
                     const uint8_t *self_nonce, const uint8_t *peer_nonce,
                     const char *self, const char *peer, uint8_t *mac);

/* erg__auth_equal compares two MACs in constant time. */
bool erg__auth_equal(const uint8_t *a, const uint8_t *b);

#endif /* ERG_NET_AUTH_H */
