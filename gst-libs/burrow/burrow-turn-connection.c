/* burrow-turn-connection.c: a TURN client's connection to its server
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The 5-tuple an allocation lives on: a UDP socket, or a TCP or TLS
 * connection, to the server. Requests go out with the client's long-term
 * credentials (401 and 438 handled here, RFC 8489 section 9.2 and RFC 8656
 * section 7); Data indications and ChannelData coming back are handed to
 * the allocation.
 */
#include "config.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "burrow-turn"

#include "burrow-error.h"
#include "burrow-net-private.h"
#include "burrow-turn-private.h"
#include "stun/burrow-stun-private.h"

/* Bounds on how often one request is re-sent for authentication. */
#define MAX_AUTH_ATTEMPTS 3

gchar *
burrow_turn_client_describe_server (BurrowTurnClient *self)
{
  g_autofree gchar *addr = NULL;

  if (self->server == NULL)
    return g_strdup_printf ("%s:%u", self->host, burrow_turn_client_effective_port (self));
  addr = burrow_socket_address_to_string (G_SOCKET_ADDRESS (self->server));
  if (g_hostname_is_ip_address (self->host))
    return g_steal_pointer (&addr);
  return g_strdup_printf ("%s (%s)", self->host, addr);
}

BurrowStunEndpoint *
burrow_turn_client_get_endpoint (BurrowTurnClient *self)
{
  return self->endpoint;
}

GMainContext *
burrow_turn_client_get_context (BurrowTurnClient *self)
{
  return self->context;
}

/* ---- incoming data ---- */

static void
handle_indication (BurrowTurnClient *self, BurrowStunMessage *msg)
{
  g_autoptr(GInetSocketAddress) peer = NULL;
  const guint8 *payload;
  gsize len = 0;

  if (burrow_stun_message_get_message_class (msg) != BURROW_STUN_CLASS_INDICATION ||
      burrow_stun_message_get_method (msg) != BURROW_STUN_METHOD_DATA ||
      self->allocation == NULL) {
    self->dropped++;
    return;
  }
  peer = burrow_stun_message_get_address (msg, BURROW_STUN_ATTRIBUTE_XOR_PEER_ADDRESS);
  payload = burrow_stun_message_peek_attribute (msg, BURROW_STUN_ATTRIBUTE_DATA, &len);
  if (peer == NULL || payload == NULL) {
    g_debug ("dropping a Data indication without peer or data");
    self->dropped++;
    return;
  }
  burrow_relay_allocation_handle_data (self->allocation, peer, payload, len);
}

static void
datagram_cb (const guint8 *data, gsize len, BurrowStunMessage *msg, GSocketAddress *from,
    gpointer user_data)
{
  BurrowTurnClient *self = user_data;

  if (self->server == NULL || !burrow_socket_address_equal (from, G_SOCKET_ADDRESS (self->server))) {
    self->dropped++;
    return;
  }
  if (len >= 4 && (data[0] & 0xc0) == 0x40) {
    guint16 length = burrow_stun_read16 (data + 2);

    if (self->allocation == NULL || length > len - 4) {
      g_debug ("dropping ChannelData: %s", self->allocation ? "truncated" : "no allocation");
      self->dropped++;
      return;
    }
    burrow_relay_allocation_handle_channel_data (self->allocation, burrow_stun_read16 (data),
        data + 4, length);
    return;
  }
  if (msg == NULL) {
    g_debug ("dropping %" G_GSIZE_FORMAT " bytes that are neither STUN nor ChannelData", len);
    self->dropped++;
    return;
  }
  handle_indication (self, msg);
}

static void
endpoint_closed_cb (BurrowStunEndpoint *endpoint, GError *error, gpointer user_data)
{
  BurrowTurnClient *self = user_data;
  g_autofree gchar *name = burrow_turn_client_describe_server (self);

  g_debug ("connection to %s closed: %s", name, error ? error->message : "");
  if (self->allocation)
    burrow_relay_allocation_fail (self->allocation, g_error_new (BURROW_TURN_ERROR,
        BURROW_TURN_ERROR_CONNECTION_LOST, "The connection to TURN server %s was lost: %s",
        name, error ? error->message : "closed"));
}

static void
attach_endpoint (BurrowTurnClient *self, BurrowStunEndpoint *endpoint)
{
  self->endpoint = endpoint;
  burrow_stun_endpoint_set_handler (endpoint, datagram_cb, self);
  if (burrow_stun_endpoint_is_stream (endpoint))
    self->closed_id = g_signal_connect (endpoint, "closed", G_CALLBACK (endpoint_closed_cb), self);
}

void
burrow_turn_client_disconnect (BurrowTurnClient *self)
{
  /* Take it out first: closing fails pending requests, whose callbacks
   * may start a new connection on this client. */
  g_autoptr(BurrowStunEndpoint) endpoint = g_steal_pointer (&self->endpoint);

  if (endpoint == NULL)
    return;
  g_clear_signal_handler (&self->closed_id, endpoint);
  burrow_stun_endpoint_clear_handler (endpoint, self);
  self->dropped += burrow_stun_endpoint_get_dropped (endpoint);
  burrow_stun_endpoint_close (endpoint);
}

/* ---- connecting ---- */

static gboolean
open_udp (BurrowTurnClient *self, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GSocket) socket = burrow_udp_socket_open (self->local_address,
      (guint16) self->local_port, g_socket_address_get_family (G_SOCKET_ADDRESS (self->server)),
      &local_error);

  if (socket == NULL) {
    g_set_error_literal (error, BURROW_TURN_ERROR,
        g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT) ?
        BURROW_TURN_ERROR_INVALID_ARGUMENT : BURROW_TURN_ERROR_NETWORK, local_error->message);
    return FALSE;
  }
  attach_endpoint (self, burrow_stun_endpoint_new (socket, self->context));
  return TRUE;
}

static gboolean
accept_any_certificate_cb (GTlsConnection *conn, GTlsCertificate *cert,
    GTlsCertificateFlags errors, gpointer user_data)
{
  g_debug ("accepting the server's certificate despite flags 0x%x, as configured", errors);
  return TRUE;
}

/* Sets up the TLS connection GSocketClient made, before the handshake. */
static void
socket_client_event_cb (GSocketClient *client, GSocketClientEvent event,
    GSocketConnectable *connectable, GIOStream *connection, gpointer user_data)
{
  BurrowTurnClient *self = user_data;

  if (event != G_SOCKET_CLIENT_TLS_HANDSHAKING || !G_IS_TLS_CLIENT_CONNECTION (connection))
    return;
  if (self->tls_identity) {
    g_autoptr(GSocketConnectable) identity =
        g_network_address_new (self->tls_identity, burrow_turn_client_effective_port (self));

    g_tls_client_connection_set_server_identity (G_TLS_CLIENT_CONNECTION (connection), identity);
  }
  /* loaded by open_stream(), which fails when it cannot be */
  if (g_object_get_data (G_OBJECT (client), "burrow-tls-database"))
    g_tls_connection_set_database (G_TLS_CONNECTION (connection),
        g_object_get_data (G_OBJECT (client), "burrow-tls-database"));
  if (self->tls_accept_invalid)
    g_signal_connect (connection, "accept-certificate", G_CALLBACK (accept_any_certificate_cb),
        NULL);
}

static GError *
connect_error (BurrowTurnClient *self, GError *error)
{
  g_autofree gchar *name = burrow_turn_client_describe_server (self);

  if (error->domain == G_TLS_ERROR)
    return g_error_new (BURROW_TURN_ERROR, BURROW_TURN_ERROR_TLS,
        "TLS handshake with TURN server %s failed: %s (set tls-ca-file to trust its "
        "certificate)", name, error->message);
  if (error->domain == G_RESOLVER_ERROR)
    return g_error_new (BURROW_TURN_ERROR, BURROW_TURN_ERROR_RESOLVE,
        "Could not resolve TURN server '%s': %s", self->host, error->message);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);
  return g_error_new (BURROW_TURN_ERROR, BURROW_TURN_ERROR_NETWORK,
      "Could not connect to TURN server %s over %s: %s", name,
      self->transport == BURROW_TRANSPORT_TLS ? "TLS" : "TCP", error->message);
}

static void
stream_connected_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  BurrowTurnClient *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GSocketAddress) remote = NULL;

  conn = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (conn == NULL) {
    g_task_return_error (task, connect_error (self, error));
    return;
  }
  /* With TLS the result is a GTcpWrapperConnection: still a
   * GSocketConnection on the TCP socket, with the TLS stream inside. */
  remote = g_socket_connection_get_remote_address (conn, &error);
  if (remote == NULL || !G_IS_INET_SOCKET_ADDRESS (remote)) {
    g_task_return_new_error (task, BURROW_TURN_ERROR, BURROW_TURN_ERROR_NETWORK,
        "Connected to the TURN server but cannot tell its address");
    return;
  }
  /* GSocketClient's timeout stays on the socket: an idle connection would
   * then fail its reads. It was for connecting only. */
  g_socket_set_timeout (g_socket_connection_get_socket (conn), 0);
  g_set_object (&self->server, G_INET_SOCKET_ADDRESS (remote));
  attach_endpoint (self, burrow_stun_endpoint_new_stream (G_IO_STREAM (conn),
      remote, self->context));
  g_task_return_boolean (task, TRUE);
}

static void
open_stream (BurrowTurnClient *self, GTask *task)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnectable) connectable = NULL;

  if (self->local_address) {
    g_autoptr(GInetAddress) ip = g_inet_address_new_from_string (self->local_address);
    g_autoptr(GSocketAddress) local = NULL;

    if (ip == NULL) {
      g_task_return_new_error (task, BURROW_TURN_ERROR, BURROW_TURN_ERROR_INVALID_ARGUMENT,
          "Local address '%s' is not an IP address", self->local_address);
      g_object_unref (task);
      return;
    }
    local = g_inet_socket_address_new (ip, (guint16) self->local_port);
    g_socket_client_set_local_address (client, local);
  }
  if (self->transport == BURROW_TRANSPORT_TLS) {
    if (self->tls_ca_file) {
      g_autoptr(GError) error = NULL;
      /* GTlsFileDatabase wants an absolute path */
      g_autofree gchar *path = g_canonicalize_filename (self->tls_ca_file, NULL);
      GTlsDatabase *db = g_tls_file_database_new (path, &error);

      /* a certificate store that cannot be read must not fall back to the
       * system's: fail, and say why */
      if (db == NULL) {
        g_task_return_new_error (task, BURROW_TURN_ERROR, BURROW_TURN_ERROR_TLS,
            "Could not load tls-ca-file '%s': %s", self->tls_ca_file, error->message);
        g_object_unref (task);
        return;
      }
      g_object_set_data_full (G_OBJECT (client), "burrow-tls-database", db, g_object_unref);
    }
    g_socket_client_set_tls (client, TRUE);
    g_signal_connect (client, "event", G_CALLBACK (socket_client_event_cb), self);
  }
  g_socket_client_set_timeout (client,
      (guint) MAX (1, burrow_stun_retransmit_total_ms (&self->rt) / 1000));
  if (self->server)
    connectable = G_SOCKET_CONNECTABLE (g_object_ref (self->server));
  else
    connectable = g_network_address_new (self->host, burrow_turn_client_effective_port (self));
  g_socket_client_connect_async (client, connectable, g_task_get_cancellable (task),
      stream_connected_cb, task);
}

static void
resolved_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  BurrowTurnClient *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  GList *addresses = g_resolver_lookup_by_name_finish (G_RESOLVER (source), result, &error);
  GError *out = NULL;

  if (addresses == NULL) {
    g_task_return_error (task, connect_error (self, error));
    return;
  }
  self->server = G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (addresses->data, burrow_turn_client_effective_port (self)));
  g_resolver_free_addresses (addresses);
  if (open_udp (self, &out))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, out);
}

void
burrow_turn_client_connect_async (BurrowTurnClient *self, GCancellable *cancellable,
    GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  GError *error = NULL;

  g_task_set_source_tag (task, burrow_turn_client_connect_async);
  burrow_turn_client_disconnect (self);
  if (self->transport != BURROW_TRANSPORT_UDP) {
    open_stream (self, task);
    return;
  }
  if (self->server == NULL) {
    g_autoptr(GInetAddress) ip = g_inet_address_new_from_string (self->host);

    if (ip == NULL) {
      g_autoptr(GResolver) resolver = g_resolver_get_default ();

      g_resolver_lookup_by_name_async (resolver, self->host, cancellable, resolved_cb, task);
      return;
    }
    self->server = G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (ip, burrow_turn_client_effective_port (self)));
  }
  if (open_udp (self, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
  g_object_unref (task);
}

gboolean
burrow_turn_client_connect_finish (BurrowTurnClient *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- requests with credentials ---- */

typedef struct {
  guint16 method;
  BurrowTurnBuildFunc build;
  gpointer build_data;
  GDestroyNotify build_destroy;
  guint attempts;
  gboolean sent_credentials;
} RequestData;

static void
request_data_free (RequestData *data)
{
  if (data->build_destroy)
    data->build_destroy (data->build_data);
  g_free (data);
}

/* Builds and signs one attempt. Returns the wire form; *key gets the key
 * the answer must be signed with. */
static GBytes *
build_request (BurrowTurnClient *self, guint16 method, BurrowTurnBuildFunc build,
    gpointer build_data, BurrowStunMessage **request, GBytes **key, gboolean *sent,
    GError **error)
{
  g_autoptr(BurrowStunMessage) msg = burrow_stun_message_new_request (method);
  BurrowStunSignFlags flags = BURROW_STUN_SIGN_FINGERPRINT;
  g_autoptr(GError) key_error = NULL;

  if (build)
    build (msg, build_data);
  if (self->software)
    burrow_stun_message_add_string (msg, BURROW_STUN_ATTRIBUTE_SOFTWARE, self->software);
  *key = burrow_stun_auth_add_credentials (&self->auth, self->alloc_username, self->alloc_password,
      BURROW_STUN_CREDENTIAL_MECHANISM_LONG_TERM, msg, sent, &key_error);
  if (key_error) {
    g_propagate_error (error, g_steal_pointer (&key_error));
    return NULL;
  }
  if (*key)
    flags |= BURROW_STUN_SIGN_MESSAGE_INTEGRITY;
  *request = g_steal_pointer (&msg);
  return burrow_stun_message_serialize (*request, flags,
      *key ? g_bytes_get_data (*key, NULL) : NULL, *key ? g_bytes_get_size (*key) : 0, error);
}

static void request_send (GTask *task);

static GError *
transaction_error (BurrowTurnClient *self, GError *error)
{
  g_autofree gchar *name = burrow_turn_client_describe_server (self);

  if (g_error_matches (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_TIMEOUT))
    return g_error_new (BURROW_TURN_ERROR, BURROW_TURN_ERROR_TIMEOUT,
        "No answer from TURN server %s within %.1f s; check the address, port and "
        "transport, and that the way there is open", name,
        burrow_stun_retransmit_total_ms (&self->rt) / 1000.0);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED))
    return g_error_new (BURROW_TURN_ERROR, BURROW_TURN_ERROR_CONNECTION_LOST,
        "The connection to TURN server %s is closed: %s", name, error->message);
  if (error->domain == BURROW_STUN_ERROR)
    return g_error_new (BURROW_TURN_ERROR, BURROW_TURN_ERROR_NETWORK,
        "Could not reach TURN server %s: %s", name, error->message);
  return g_error_copy (error);
}

static void
request_response_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  BurrowTurnClient *self = g_task_get_source_object (task);
  RequestData *data = g_task_get_task_data (task);
  g_autoptr(BurrowStunMessage) response = NULL;
  g_autoptr(GError) error = NULL;
  guint code;

  response = burrow_stun_endpoint_request_finish (BURROW_STUN_ENDPOINT (source), result,
      NULL, &error);
  if (response == NULL) {
    g_task_return_error (task, transaction_error (self, error));
    return;
  }
  code = burrow_stun_message_get_message_class (response) == BURROW_STUN_CLASS_ERROR_RESPONSE ?
      burrow_stun_response_error (response, NULL) : 0;
  if ((code == 438 || (code == 401 && !data->sent_credentials)) &&
      self->alloc_username && self->alloc_password && data->attempts < MAX_AUTH_ATTEMPTS) {
    g_autofree gchar *old_realm = g_strdup (self->auth.realm);

    g_debug ("server answered %u, retrying with its realm and nonce", code);
    burrow_stun_auth_learn (&self->auth, response);
    if (g_strcmp0 (old_realm, self->auth.realm) != 0)
      g_object_notify (G_OBJECT (self), "realm");
    if (burrow_stun_auth_ready (&self->auth)) {
      request_send (g_steal_pointer (&task));
      return;
    }
  }
  g_task_return_pointer (task, g_steal_pointer (&response),
      (GDestroyNotify) burrow_stun_message_unref);
}

static void
request_send (GTask *task)
{
  BurrowTurnClient *self = g_task_get_source_object (task);
  RequestData *data = g_task_get_task_data (task);
  g_autoptr(BurrowStunMessage) request = NULL;
  g_autoptr(GBytes) key = NULL;
  g_autoptr(GBytes) wire = NULL;
  GError *error = NULL;

  data->attempts++;
  if (self->endpoint == NULL) {
    g_task_return_new_error (task, BURROW_TURN_ERROR, BURROW_TURN_ERROR_NO_ALLOCATION,
        "Not connected to the TURN server");
    g_object_unref (task);
    return;
  }
  wire = build_request (self, data->method, data->build, data->build_data, &request, &key,
      &data->sent_credentials, &error);
  if (wire == NULL) {
    g_task_return_error (task, error);
    g_object_unref (task);
    return;
  }
  burrow_stun_endpoint_request_async (self->endpoint, G_SOCKET_ADDRESS (self->server), request,
      wire, key, &self->rt, BURROW_STUN_REQUEST_DEFAULT, g_task_get_cancellable (task),
      request_response_cb, task);
}

void
burrow_turn_client_request_async (BurrowTurnClient *self, guint16 method,
    BurrowTurnBuildFunc build, gpointer build_data, GDestroyNotify build_destroy,
    GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  RequestData *data = g_new0 (RequestData, 1);

  g_task_set_source_tag (task, burrow_turn_client_request_async);
  data->method = method;
  data->build = build;
  data->build_data = build_data;
  data->build_destroy = build_destroy;
  g_task_set_task_data (task, data, (GDestroyNotify) request_data_free);
  request_send (task);
}

BurrowStunMessage *
burrow_turn_client_request_finish (BurrowTurnClient *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- error responses ---- */

static const struct {
  guint code;
  BurrowTurnError error;
} error_codes[] = {
  { 400, BURROW_TURN_ERROR_BAD_REQUEST },
  { 401, BURROW_TURN_ERROR_UNAUTHORIZED },
  { 403, BURROW_TURN_ERROR_FORBIDDEN },
  { 420, BURROW_TURN_ERROR_UNKNOWN_ATTRIBUTE },
  { 437, BURROW_TURN_ERROR_ALLOCATION_MISMATCH },
  { 438, BURROW_TURN_ERROR_STALE_NONCE },
  { 440, BURROW_TURN_ERROR_ADDRESS_FAMILY_NOT_SUPPORTED },
  { 441, BURROW_TURN_ERROR_WRONG_CREDENTIALS },
  { 442, BURROW_TURN_ERROR_UNSUPPORTED_TRANSPORT_PROTOCOL },
  { 443, BURROW_TURN_ERROR_PEER_ADDRESS_FAMILY_MISMATCH },
  { 486, BURROW_TURN_ERROR_ALLOCATION_QUOTA_REACHED },
  { 508, BURROW_TURN_ERROR_INSUFFICIENT_CAPACITY },
};

GError *
burrow_turn_client_error_from_response (BurrowTurnClient *self, BurrowStunMessage *response,
    const gchar *what)
{
  g_autofree gchar *reason = NULL;
  g_autofree gchar *name = burrow_turn_client_describe_server (self);
  guint code = burrow_stun_response_error (response, &reason);
  BurrowTurnError error = BURROW_TURN_ERROR_SERVER_ERROR;
  guint i;

  if (code == 0)
    return g_error_new (BURROW_TURN_ERROR, BURROW_TURN_ERROR_SERVER_ERROR,
        "TURN server %s answered %s with an error response without a valid ERROR-CODE",
        name, what);
  for (i = 0; i < G_N_ELEMENTS (error_codes); i++)
    if (error_codes[i].code == code)
      error = error_codes[i].error;

  if (code == 401 && (self->alloc_username == NULL || self->alloc_password == NULL))
    return g_error_new (BURROW_TURN_ERROR, error,
        "TURN server %s requires credentials (401 %s); set a username and password",
        name, reason ? reason : "Unauthorized");
  if (code == 401)
    return g_error_new (BURROW_TURN_ERROR, error,
        "TURN server %s rejected the credentials for user '%s' (401 %s)",
        name, self->alloc_username, reason ? reason : "Unauthorized");
  return g_error_new (BURROW_TURN_ERROR, error, "TURN server %s refused %s: %u %s",
      name, what, code, reason ? reason : "");
}
