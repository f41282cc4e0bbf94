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

/* Bounds on how often one request is re-sent for authentication. */
#define MAX_AUTH_ATTEMPTS 3

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

gchar *
burrow_stun_client_describe_server (BurrowStunClient *self, GSocketAddress *to)
{
  g_autofree gchar *addr = burrow_socket_address_to_string (to);

  if (g_hostname_is_ip_address (self->host) || to != self->server)
    return g_steal_pointer (&addr);
  return g_strdup_printf ("%s (%s)", self->host, addr);
}

static void
binding_handle_error (GTask *task, BurrowStunMessage *response)
{
  BurrowStunClient *self = g_task_get_source_object (task);
  BindingData *data = g_task_get_task_data (task);
  g_autofree gchar *reason = NULL;
  g_autofree gchar *name = burrow_stun_client_describe_server (self, data->to);
  guint code = burrow_stun_response_error (response, &reason);

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
    burrow_stun_auth_learn (&self->auth, response);
    if (burrow_stun_auth_ready (&self->auth)) {
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
  key = burrow_stun_auth_add_credentials (&self->auth, self->username, self->password,
      self->mechanism, request, &data->sent_credentials, &error);
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

