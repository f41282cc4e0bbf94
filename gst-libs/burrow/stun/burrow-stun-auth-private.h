/* burrow-stun-auth-private.h: client-side credential state (private)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What a STUN or TURN client learns from a server's 401 and 438 answers
 * (realm, nonce, password algorithm) and the key derived from them, shared
 * by BurrowStunClient and BurrowTurnClient.
 */
#pragma once

#include "burrow-stun-message.h"
#include "burrow-stun-client.h"

G_BEGIN_DECLS

typedef struct {
  gchar *realm;
  gchar *nonce;
  GBytes *password_algorithms; /* raw PASSWORD-ALGORITHMS value */
  BurrowStunPasswordAlgorithm algorithm;
  GBytes *key;
} BurrowStunAuth;

void     burrow_stun_auth_reset            (BurrowStunAuth *auth);
GBytes  *burrow_stun_auth_add_credentials  (BurrowStunAuth                *auth,
                                            const gchar                   *username,
                                            const gchar                   *password,
                                            BurrowStunCredentialMechanism  mechanism,
                                            BurrowStunMessage             *msg,
                                            gboolean                      *sent,
                                            GError                       **error);
void     burrow_stun_auth_learn            (BurrowStunAuth    *auth,
                                            BurrowStunMessage *response);
gboolean burrow_stun_auth_ready            (BurrowStunAuth *auth);

/* The error code of @response and its reason phrase made printable (the
 * phrase comes from the network). Returns 0 when there is no valid code. */
guint    burrow_stun_response_error        (BurrowStunMessage  *response,
                                            gchar             **reason);

G_END_DECLS
