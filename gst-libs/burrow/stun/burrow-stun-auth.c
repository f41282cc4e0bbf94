/* burrow-stun-auth.c: client-side credential state
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Long-term credentials (RFC 8489 section 9.2): the first request goes
 * without them, the server's 401 gives realm and nonce, later requests carry
 * USERNAME, REALM, NONCE and MESSAGE-INTEGRITY keyed from the password, and
 * a 438 replaces the nonce. Short-term credentials (section 9.1) send
 * USERNAME with every request.
 */
#include "config.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "burrow-stun"

#include "burrow-stun-auth-private.h"
#include "burrow-stun-credentials.h"

/* The RFC 8489 "security feature" nonce cookie (section 9.2). */
#define NONCE_COOKIE "obMatJos2"

void
burrow_stun_auth_reset (BurrowStunAuth *auth)
{
  g_clear_pointer (&auth->realm, g_free);
  g_clear_pointer (&auth->nonce, g_free);
  g_clear_pointer (&auth->key, g_bytes_unref);
  g_clear_pointer (&auth->password_algorithms, g_bytes_unref);
  auth->algorithm = BURROW_STUN_PASSWORD_ALGORITHM_MD5;
}

gboolean
burrow_stun_auth_ready (BurrowStunAuth *auth)
{
  return auth->realm != NULL && auth->nonce != NULL;
}

/* Adds the credentials there are to @msg, and returns the key responses
 * must be authenticated with (NULL if none were added). */
GBytes *
burrow_stun_auth_add_credentials (BurrowStunAuth *auth, const gchar *username,
    const gchar *password, BurrowStunCredentialMechanism mechanism,
    BurrowStunMessage *msg, gboolean *sent, GError **error)
{
  *sent = FALSE;
  if (username == NULL || password == NULL)
    return NULL;

  if (mechanism == BURROW_STUN_CREDENTIAL_MECHANISM_SHORT_TERM) {
    if (auth->key == NULL && (auth->key = burrow_stun_short_term_key (password, error)) == NULL)
      return NULL;
    burrow_stun_message_add_string (msg, BURROW_STUN_ATTRIBUTE_USERNAME, username);
    *sent = TRUE;
    return g_bytes_ref (auth->key);
  }

  if (!burrow_stun_auth_ready (auth))
    return NULL;
  if (auth->key == NULL) {
    auth->key = burrow_stun_long_term_key (username, auth->realm, password, auth->algorithm, error);
    if (auth->key == NULL)
      return NULL;
  }
  burrow_stun_message_add_string (msg, BURROW_STUN_ATTRIBUTE_USERNAME, username);
  burrow_stun_message_add_string (msg, BURROW_STUN_ATTRIBUTE_REALM, auth->realm);
  burrow_stun_message_add_string (msg, BURROW_STUN_ATTRIBUTE_NONCE, auth->nonce);
  if (auth->password_algorithms) {
    guint8 algo[4] = { 0, (guint8) auth->algorithm, 0, 0 };
    gsize len;
    const guint8 *data = g_bytes_get_data (auth->password_algorithms, &len);

    burrow_stun_message_add_attribute (msg, BURROW_STUN_ATTRIBUTE_PASSWORD_ALGORITHMS, data, len);
    burrow_stun_message_add_attribute (msg, BURROW_STUN_ATTRIBUTE_PASSWORD_ALGORITHM, algo, 4);
  }
  *sent = TRUE;
  return g_bytes_ref (auth->key);
}

/* RFC 8489 9.2.4: a nonce starting with the cookie announces security
 * features; with the password-algorithms bit the server offers SHA-256. */
static void
learn_algorithms (BurrowStunAuth *auth, BurrowStunMessage *response)
{
  g_autoptr(GBytes) algorithms =
      burrow_stun_message_get_attribute (response, BURROW_STUN_ATTRIBUTE_PASSWORD_ALGORITHMS);

  if (algorithms && auth->nonce && g_str_has_prefix (auth->nonce, NONCE_COOKIE)) {
    guint n = 0, i;
    g_autofree BurrowStunPasswordAlgorithm *list =
        burrow_stun_message_get_password_algorithms (response, &n);
    BurrowStunPasswordAlgorithm chosen = BURROW_STUN_PASSWORD_ALGORITHM_MD5;

    /* the first algorithm of the server's list that we support, in the
     * server's order of preference */
    for (i = 0; i < n; i++) {
      if (list[i] == BURROW_STUN_PASSWORD_ALGORITHM_SHA256 ||
          list[i] == BURROW_STUN_PASSWORD_ALGORITHM_MD5) {
        chosen = list[i];
        break;
      }
    }
    if (chosen != auth->algorithm)
      g_clear_pointer (&auth->key, g_bytes_unref);
    auth->algorithm = chosen;
    g_clear_pointer (&auth->password_algorithms, g_bytes_unref);
    auth->password_algorithms = g_steal_pointer (&algorithms);
  } else if (auth->password_algorithms) {
    /* The server no longer offers a choice: back to the RFC 5389 default. */
    g_clear_pointer (&auth->password_algorithms, g_bytes_unref);
    if (auth->algorithm != BURROW_STUN_PASSWORD_ALGORITHM_MD5)
      g_clear_pointer (&auth->key, g_bytes_unref);
    auth->algorithm = BURROW_STUN_PASSWORD_ALGORITHM_MD5;
  }
}

/* Learns realm, nonce and password algorithm from a 401 or 438. */
void
burrow_stun_auth_learn (BurrowStunAuth *auth, BurrowStunMessage *response)
{
  g_autofree gchar *realm = burrow_stun_message_get_string (response, BURROW_STUN_ATTRIBUTE_REALM);
  g_autofree gchar *nonce = burrow_stun_message_get_string (response, BURROW_STUN_ATTRIBUTE_NONCE);

  if (realm && g_strcmp0 (realm, auth->realm) != 0) {
    g_clear_pointer (&auth->key, g_bytes_unref);
    g_free (auth->realm);
    auth->realm = g_steal_pointer (&realm);
  }
  if (nonce) {
    g_free (auth->nonce);
    auth->nonce = g_steal_pointer (&nonce);
  }
  learn_algorithms (auth, response);
}

guint
burrow_stun_response_error (BurrowStunMessage *response, gchar **reason)
{
  g_autofree gchar *phrase = NULL;
  guint code = 0;

  if (!burrow_stun_message_get_error_code (response, &code, &phrase))
    code = 0;
  if (reason) {
    *reason = NULL;
    if (phrase) {
      gchar *valid = g_utf8_make_valid (phrase, -1);
      gchar *p;

      for (p = valid; *p; p++)
        if ((guchar) *p < 0x20 || *p == 0x7f)
          *p = ' ';
      *reason = valid;
    }
  }
  return code;
}
