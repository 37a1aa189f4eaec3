/* SPDX-License-Identifier: MIT */
/* auth.c: nonces and cookie proofs on OpenSSL's HMAC and RAND. */
#include "net/auth.h"
#include "net/frame.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <string.h>

erg_err_t erg__auth_nonce(uint8_t *out, size_t len) {
    return RAND_bytes(out, (int)len) == 1 ? ERG_OK : ERG_EIO;
}

erg_err_t erg__auth_proof(const char *cookie, uint8_t role,
                     const uint8_t *self_nonce, const uint8_t *peer_nonce,
                     const char *self, const char *peer, uint8_t *mac) {
    /* Names are at most 255 bytes each, so this fits. */
    uint8_t msg[10 + 1 + 2 * ERG__NONCE_SIZE + 2 * (4 + 255)];
    size_t n = 0, ls = strlen(self), lp = strlen(peer);
    if (ls > 255)
        ls = 255;
    if (lp > 255)
        lp = 255;
    memcpy(msg, "erg-proof", 10);
    n = 10;
    msg[n++] = role;
    memcpy(msg + n, self_nonce, ERG__NONCE_SIZE);
    n += ERG__NONCE_SIZE;
    memcpy(msg + n, peer_nonce, ERG__NONCE_SIZE);
    n += ERG__NONCE_SIZE;
    erg__put_u32le(msg + n, (uint32_t)ls);
    memcpy(msg + n + 4, self, ls);
    n += 4 + ls;
    erg__put_u32le(msg + n, (uint32_t)lp);
    memcpy(msg + n + 4, peer, lp);
    n += 4 + lp;
    unsigned int maclen = ERG__MAC_SIZE;
    if (HMAC(EVP_sha256(), cookie, (int)strlen(cookie), msg, n, mac,
             &maclen) == NULL)
        return ERG_EIO;
    return ERG_OK;
}

bool erg__auth_equal(const uint8_t *a, const uint8_t *b) {
    return CRYPTO_memcmp(a, b, ERG__MAC_SIZE) == 0;
}
