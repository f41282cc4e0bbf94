/* burrow-stun-client-binding.c: Binding transactions with credentials
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One Binding request, sent through a client's endpoint, with the client's
 * short-term or long-term credentials; a 401 or 438 answer is retried with
 * the realm and nonce the server gave (RFC 8489 section 9), a bounded number
 * of times.
 */
#include "config.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "burrow-stun"

#include "burrow-error.h"
#include "burrow-stun-client-private.h"
#include "stun/burrow-stun-credentials.h"

/* Bounds on how often one request is re-sent for authentication. */
#define MAX_AUTH_ATTEMPTS 3
/* The RFC 8489 "security feature" nonce cookie (section 9.2). */
#define NONCE_COOKIE "obMatJos2"

/* ---- Binding transactions with credentials ---- */

typedef struct {
  BurrowStunEndpoint *endpoint;
  GSocketAddress *to;
  gboolean change_ip;
  gboolean change_port;
  guint attempts;
  gboolean sent_credentials;
  GSocketAddress *from;
} BindingData;

static void
binding_data_free (BindingData *data)
{
  g_clear_object (&data->endpoint);
  g_clear_object (&data->to);
  g_clear_object (&data->from);
  g_free (data);
}

static void binding_send (GTask *task);

/* Adds the credentials the client has, and returns the key responses
 * must be authenticated with (NULL if none). */
static GBytes *
add_credentials (BurrowStunClient *self, BurrowStunMessage *msg, gboolean *sent, GError **error)
{
  *sent = FALSE;
  if (self->username == NULL || self->password == NULL)
    return NULL;

  if (self->mechanism == BURROW_STUN_CREDENTIAL_MECHANISM_SHORT_TERM) {
    if (self->key == NULL && (self->key = burrow_stun_short_term_key (self->password, error)) == NULL)
      return NULL;
    burrow_stun_message_add_string (msg, BURROW_STUN_ATTRIBUTE_USERNAME, self->username);
    *sent = TRUE;
    return g_bytes_ref (self->key);
  }

  if (self->realm == NULL || self->nonce == NULL)
    return NULL;
  if (self->key == NULL) {
    self->key = burrow_stun_long_term_key (self->username, self->realm, self->password,
        self->algorithm, error);
    if (self->key == NULL)
      return NULL;
  }
  burrow_stun_message_add_string (msg, BURROW_STUN_ATTRIBUTE_USERNAME, self->username);
  burrow_stun_message_add_string (msg, BURROW_STUN_ATTRIBUTE_REALM, self->realm);
  burrow_stun_message_add_string (msg, BURROW_STUN_ATTRIBUTE_NONCE, self->nonce);
  if (self->password_algorithms) {
    guint8 algo[4] = { 0, (guint8) self->algorithm, 0, 0 };
    gsize len;
    const guint8 *data = g_bytes_get_data (self->password_algorithms, &len);

    burrow_stun_message_add_attribute (msg, BURROW_STUN_ATTRIBUTE_PASSWORD_ALGORITHMS, data, len);
    burrow_stun_message_add_attribute (msg, BURROW_STUN_ATTRIBUTE_PASSWORD_ALGORITHM, algo, 4);
  }
  *sent = TRUE;
  return g_bytes_ref (self->key);
}

gchar *
burrow_stun_client_describe_server (BurrowStunClient *self, GSocketAddress *to)
{
  g_autofree gchar *addr = burrow_socket_address_to_string (to);

  if (g_hostname_is_ip_address (self->host) || to != self->server)
    return g_steal_pointer (&addr);
  return g_strdup_printf ("%s (%s)", self->host, addr);
}

/* Learns realm, nonce and password algorithm from a 401 or 438. */
static void
learn_auth (BurrowStunClient *self, BurrowStunMessage *response)
{
  g_autofree gchar *realm = burrow_stun_message_get_string (response, BURROW_STUN_ATTRIBUTE_REALM);
  g_autofree gchar *nonce = burrow_stun_message_get_string (response, BURROW_STUN_ATTRIBUTE_NONCE);
  g_autoptr(GBytes) algorithms = NULL;

  if (realm && g_strcmp0 (realm, self->realm) != 0) {
    g_clear_pointer (&self->key, g_bytes_unref);
    g_free (self->realm);
    self->realm = g_steal_pointer (&realm);
  }
  if (nonce) {
    g_free (self->nonce);
    self->nonce = g_steal_pointer (&nonce);
  }

  /* RFC 8489 9.2.4: a nonce starting with the cookie announces security
   * features; with the password-algorithms bit the server offers SHA-256. */
  algorithms = burrow_stun_message_get_attribute (response, BURROW_STUN_ATTRIBUTE_PASSWORD_ALGORITHMS);
  if (algorithms && self->nonce && g_str_has_prefix (self->nonce, NONCE_COOKIE)) {
    guint n = 0, i;
    g_autofree BurrowStunPasswordAlgorithm *list =
        burrow_stun_message_get_password_algorithms (response, &n);
    BurrowStunPasswordAlgorithm chosen = BURROW_STUN_PASSWORD_ALGORITHM_MD5;

    /* RFC 8489 9.2.4: the first algorithm of the server's list that we
     * support, in the server's order of preference. */
    for (i = 0; i < n; i++) {
      if (list[i] == BURROW_STUN_PASSWORD_ALGORITHM_SHA256 ||
          list[i] == BURROW_STUN_PASSWORD_ALGORITHM_MD5) {
        chosen = list[i];
        break;
      }
    }
    if (chosen != self->algorithm)
      g_clear_pointer (&self->key, g_bytes_unref);
    self->algorithm = chosen;
    g_clear_pointer (&self->password_algorithms, g_bytes_unref);
    self->password_algorithms = g_steal_pointer (&algorithms);
  } else if (self->password_algorithms) {
    /* The server no longer offers a choice: back to the RFC 5389 default. */
    g_clear_pointer (&self->password_algorithms, g_bytes_unref);
    if (self->algorithm != BURROW_STUN_PASSWORD_ALGORITHM_MD5)
      g_clear_pointer (&self->key, g_bytes_unref);
    self->algorithm = BURROW_STUN_PASSWORD_ALGORITHM_MD5;
  }
}

static void
binding_handle_error (GTask *task, BurrowStunMessage *response)
{
  BurrowStunClient *self = g_task_get_source_object (task);
  BindingData *data = g_task_get_task_data (task);
  g_autofree gchar *reason = NULL;
  g_autofree gchar *name = burrow_stun_client_describe_server (self, data->to);
  guint code = 0;

  if (burrow_stun_message_get_error_code (response, &code, &reason) && reason) {
    /* The reason phrase comes from the network: keep it printable. */
    gchar *valid = g_utf8_make_valid (reason, -1);
    gchar *p;

    for (p = valid; *p; p++)
      if ((guchar) *p < 0x20 || *p == 0x7f)
        *p = ' ';
    g_free (reason);
    reason = valid;
  }
  if (code == 0) {
    g_task_return_new_error (task, BURROW_STUN_ERROR, BURROW_STUN_ERROR_SERVER_ERROR,
        "STUN server %s sent an error response without a valid ERROR-CODE", name);
    return;
  }

  if ((code == 401 || code == 438) && data->attempts < MAX_AUTH_ATTEMPTS &&
      self->username && self->password &&
      self->mechanism == BURROW_STUN_CREDENTIAL_MECHANISM_LONG_TERM &&
      (code == 438 || !data->sent_credentials)) {
    g_debug ("server asked for credentials (%u), retrying", code);
    learn_auth (self, response);
    if (self->realm && self->nonce) {
      binding_send (task);
      return;
    }
  }

  if (code == 401 && (self->username == NULL || self->password == NULL))
    g_task_return_new_error (task, BURROW_STUN_ERROR, BURROW_STUN_ERROR_UNAUTHORIZED,
        "STUN server %s requires credentials (401 %s); set a username and password",
        name, reason ? reason : "Unauthorized");
  else if (code == 401)
    g_task_return_new_error (task, BURROW_STUN_ERROR, BURROW_STUN_ERROR_UNAUTHORIZED,
        "STUN server %s rejected the credentials for user '%s' (401 %s)",
        name, self->username, reason ? reason : "Unauthorized");
  else
    g_task_return_new_error (task, BURROW_STUN_ERROR, BURROW_STUN_ERROR_SERVER_ERROR,
        "STUN server %s answered %u %s", name, code, reason ? reason : "");
}

static void
binding_response_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  BurrowStunClient *self = g_task_get_source_object (task);
  BindingData *data = g_task_get_task_data (task);
  g_autoptr(BurrowStunMessage) response = NULL;
  g_autoptr(GError) error = NULL;

  g_clear_object (&data->from);
  response = burrow_stun_endpoint_request_finish (BURROW_STUN_ENDPOINT (source), result,
      &data->from, &error);
  if (response == NULL) {
    if (g_error_matches (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_TIMEOUT)) {
      g_autofree gchar *name = burrow_stun_client_describe_server (self, data->to);

      gdouble seconds = burrow_stun_retransmit_total_ms (&self->rt) / 1000.0;

      g_task_return_new_error (task, BURROW_STUN_ERROR, BURROW_STUN_ERROR_TIMEOUT,
          "No answer from STUN server %s after %u requests over %.1f s; check the address "
          "and port, and that UDP is not blocked on the way", name, self->rt.max_requests,
          seconds);
    } else {
      g_task_return_error (task, g_steal_pointer (&error));
    }
    return;
  }

  if (burrow_stun_message_get_message_class (response) == BURROW_STUN_CLASS_ERROR_RESPONSE) {
    binding_handle_error (task, response);
    return;
  }
  g_task_return_pointer (task, g_steal_pointer (&response),
      (GDestroyNotify) burrow_stun_message_unref);
}

static void
binding_send (GTask *task)
{
  BurrowStunClient *self = g_task_get_source_object (task);
  BindingData *data = g_task_get_task_data (task);
  g_autoptr(BurrowStunMessage) request = burrow_stun_message_new_request (BURROW_STUN_METHOD_BINDING);
  g_autoptr(GBytes) key = NULL;
  g_autoptr(GBytes) wire = NULL;
  GError *error = NULL;
  BurrowStunSignFlags flags = BURROW_STUN_SIGN_FINGERPRINT;

  data->attempts++;
  if (self->software)
    burrow_stun_message_add_string (request, BURROW_STUN_ATTRIBUTE_SOFTWARE, self->software);
  if (data->change_ip || data->change_port)
    burrow_stun_message_add_change_request (request, data->change_ip, data->change_port);
  key = add_credentials (self, request, &data->sent_credentials, &error);
  if (error) {
    g_task_return_error (task, error);
    return;
  }
  if (key)
    flags |= BURROW_STUN_SIGN_MESSAGE_INTEGRITY;
  wire = burrow_stun_message_serialize (request, flags,
      key ? g_bytes_get_data (key, NULL) : NULL, key ? g_bytes_get_size (key) : 0, &error);
  if (wire == NULL) {
    g_task_return_error (task, error);
    return;
  }
  burrow_stun_endpoint_request_async (data->endpoint, data->to, request, wire, key, &self->rt,
      (data->change_ip || data->change_port) ? BURROW_STUN_REQUEST_ANY_SOURCE : 0,
      g_task_get_cancellable (task), binding_response_cb, g_object_ref (task));
}

void
burrow_stun_client_binding_async (BurrowStunClient *client, BurrowStunEndpoint *endpoint,
    GSocketAddress *to, gboolean change_ip, gboolean change_port, GCancellable *cancellable,
    GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (client, cancellable, callback, user_data);
  BindingData *data = g_new0 (BindingData, 1);

  g_task_set_source_tag (task, burrow_stun_client_binding_async);
  data->endpoint = g_object_ref (endpoint);
  data->to = g_object_ref (to);
  data->change_ip = change_ip;
  data->change_port = change_port;
  g_task_set_task_data (task, data, (GDestroyNotify) binding_data_free);
  binding_send (task);
  g_object_unref (task);
}

/* The server-reflexive address a Binding response carries: XOR-MAPPED-ADDRESS,
 * or MAPPED-ADDRESS from an RFC 3489 server. */
GInetSocketAddress *
burrow_stun_client_response_mapped_address (BurrowStunMessage *response)
{
  GInetSocketAddress *mapped = burrow_stun_message_get_xor_mapped_address (response);

  return mapped ? mapped : burrow_stun_message_get_mapped_address (response);
}

BurrowStunMessage *
burrow_stun_client_binding_finish (BurrowStunClient *client, GAsyncResult *result,
    GSocketAddress **from, GError **error)
{
  BindingData *data = g_task_get_task_data (G_TASK (result));
  BurrowStunMessage *response = g_task_propagate_pointer (G_TASK (result), error);

  if (response && from)
    *from = data->from ? g_object_ref (data->from) : NULL;
  return response;
}

