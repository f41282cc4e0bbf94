/* burrow-stun-client.c: STUN client (RFC 8489)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "burrow-stun"

#include <string.h>

#include "burrow-error.h"
#include "burrow-enum-types.h"
#include "burrow-stun-client-private.h"
#include "burrow-sync-private.h"
#include "burrow-net-private.h"


/**
 * BurrowStunClient:
 *
 * A STUN client (RFC 8489): it asks a STUN server for the address and port
 * it sees this host as (the server-reflexive address), keeps that mapping
 * alive with Binding indications, and runs RFC 5780 NAT behaviour
 * discovery.
 *
 * A client owns one UDP socket, opened on first use and kept until the
 * client is finalized, so the mapping returned by
 * [method@Burrow.StunClient.bind_async] is the one that
 * [method@Burrow.StunClient.persist] keeps alive. All I/O happens on the
 * [struct@GLib.MainContext] that was the thread-default one when the client
 * was created; requests are retransmitted as RFC 8489 section 6.2.1 says,
 * with the [property@Burrow.StunClient:rto],
 * [property@Burrow.StunClient:max-requests] and
 * [property@Burrow.StunClient:last-timeout-factor] parameters, so every
 * call ends, in success or in a [error@Burrow.StunError].
 *
 * Call the `_async` methods from the thread that runs that context (the
 * usual GLib rule); the `_sync` methods may be called from any thread, and
 * when another thread runs the context they wait for it to do the work.
 *
 * ```c
 * g_autoptr(BurrowStunClient) client = burrow_stun_client_new ("stun.example.org", 3478);
 * g_autoptr(GError) error = NULL;
 * g_autoptr(GInetSocketAddress) mapped = burrow_stun_client_bind_sync (client, NULL, &error);
 * ```
 *
 * Since: 0.1
 */

G_DEFINE_FINAL_TYPE (BurrowStunClient, burrow_stun_client, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_HOST,
  PROP_PORT,
  PROP_TRANSPORT,
  PROP_USERNAME,
  PROP_PASSWORD,
  PROP_CREDENTIAL_MECHANISM,
  PROP_SOFTWARE,
  PROP_LOCAL_ADDRESS,
  PROP_LOCAL_PORT,
  PROP_RTO,
  PROP_MAX_REQUESTS,
  PROP_LAST_TIMEOUT_FACTOR,
  PROP_KEEPALIVE_INTERVAL,
  PROP_BOUND_ADDRESS,
  PROP_DROPPED_PACKETS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void keepalive_update (BurrowStunClient *self);

static void
forget_auth (BurrowStunClient *self)
{
  burrow_stun_auth_reset (&self->auth);
}

static void
set_uint_prop (BurrowStunClient *self, guint *field, guint value, guint prop)
{
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
set_string_prop (BurrowStunClient *self, gchar **field, const gchar *value, guint prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
burrow_stun_client_set_property (GObject *object, guint prop_id, const GValue *value,
    GParamSpec *pspec)
{
  BurrowStunClient *self = BURROW_STUN_CLIENT (object);

  switch (prop_id) {
    case PROP_HOST:
      self->host = g_value_dup_string (value);
      break;
    case PROP_PORT:
      self->port = g_value_get_uint (value);
      break;
    case PROP_TRANSPORT:
      if (self->transport != (BurrowTransport) g_value_get_enum (value)) {
        self->transport = g_value_get_enum (value);
        g_object_notify_by_pspec (object, pspec);
      }
      break;
    case PROP_USERNAME:
      set_string_prop (self, &self->username, g_value_get_string (value), prop_id);
      forget_auth (self);
      break;
    case PROP_PASSWORD:
      set_string_prop (self, &self->password, g_value_get_string (value), prop_id);
      forget_auth (self);
      break;
    case PROP_CREDENTIAL_MECHANISM:
      if (self->mechanism != (BurrowStunCredentialMechanism) g_value_get_enum (value)) {
        self->mechanism = g_value_get_enum (value);
        forget_auth (self);
        g_object_notify_by_pspec (object, pspec);
      }
      break;
    case PROP_SOFTWARE:
      set_string_prop (self, &self->software, g_value_get_string (value), prop_id);
      break;
    case PROP_LOCAL_ADDRESS:
      set_string_prop (self, &self->local_address, g_value_get_string (value), prop_id);
      break;
    case PROP_LOCAL_PORT:
      set_uint_prop (self, &self->local_port, g_value_get_uint (value), prop_id);
      break;
    case PROP_RTO:
      set_uint_prop (self, &self->rt.rto_ms, g_value_get_uint (value), prop_id);
      break;
    case PROP_MAX_REQUESTS:
      set_uint_prop (self, &self->rt.max_requests, g_value_get_uint (value), prop_id);
      break;
    case PROP_LAST_TIMEOUT_FACTOR:
      set_uint_prop (self, &self->rt.last_wait_factor, g_value_get_uint (value), prop_id);
      break;
    case PROP_KEEPALIVE_INTERVAL:
      set_uint_prop (self, &self->keepalive_interval, g_value_get_uint (value), prop_id);
      keepalive_update (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
burrow_stun_client_get_property (GObject *object, guint prop_id, GValue *value,
    GParamSpec *pspec)
{
  BurrowStunClient *self = BURROW_STUN_CLIENT (object);

  switch (prop_id) {
    case PROP_HOST:
      g_value_set_string (value, self->host);
      break;
    case PROP_PORT:
      g_value_set_uint (value, self->port);
      break;
    case PROP_TRANSPORT:
      g_value_set_enum (value, self->transport);
      break;
    case PROP_USERNAME:
      g_value_set_string (value, self->username);
      break;
    case PROP_PASSWORD:
      g_value_set_string (value, self->password);
      break;
    case PROP_CREDENTIAL_MECHANISM:
      g_value_set_enum (value, self->mechanism);
      break;
    case PROP_SOFTWARE:
      g_value_set_string (value, self->software);
      break;
    case PROP_LOCAL_ADDRESS:
      g_value_set_string (value, self->local_address);
      break;
    case PROP_LOCAL_PORT:
      g_value_set_uint (value, self->local_port);
      break;
    case PROP_RTO:
      g_value_set_uint (value, self->rt.rto_ms);
      break;
    case PROP_MAX_REQUESTS:
      g_value_set_uint (value, self->rt.max_requests);
      break;
    case PROP_LAST_TIMEOUT_FACTOR:
      g_value_set_uint (value, self->rt.last_wait_factor);
      break;
    case PROP_KEEPALIVE_INTERVAL:
      g_value_set_uint (value, self->keepalive_interval);
      break;
    case PROP_BOUND_ADDRESS:
      g_value_take_object (value, burrow_stun_client_get_local_address (self));
      break;
    case PROP_DROPPED_PACKETS:
      g_value_set_uint64 (value, burrow_stun_client_get_dropped_packets (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
burrow_stun_client_dispose (GObject *object)
{
  BurrowStunClient *self = BURROW_STUN_CLIENT (object);

  if (self->keepalive) {
    g_source_destroy (self->keepalive);
    g_clear_pointer (&self->keepalive, g_source_unref);
  }
  if (self->endpoint) {
    burrow_stun_endpoint_close (self->endpoint);
    g_clear_object (&self->endpoint);
  }
  G_OBJECT_CLASS (burrow_stun_client_parent_class)->dispose (object);
}

static void
burrow_stun_client_finalize (GObject *object)
{
  BurrowStunClient *self = BURROW_STUN_CLIENT (object);

  forget_auth (self);
  g_free (self->host);
  g_free (self->username);
  g_free (self->password);
  g_free (self->software);
  g_free (self->local_address);
  g_clear_object (&self->server);
  g_main_context_unref (self->context);
  G_OBJECT_CLASS (burrow_stun_client_parent_class)->finalize (object);
}

static void
burrow_stun_client_class_init (BurrowStunClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->set_property = burrow_stun_client_set_property;
  object_class->get_property = burrow_stun_client_get_property;
  object_class->dispose = burrow_stun_client_dispose;
  object_class->finalize = burrow_stun_client_finalize;

  /**
   * BurrowStunClient:host:
   *
   * The STUN server: a host name or an IPv4 or IPv6 address.
   *
   * Since: 0.1
   */
  properties[PROP_HOST] = g_param_spec_string ("host", NULL, NULL, NULL,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * BurrowStunClient:port:
   *
   * The STUN server's port.
   *
   * Since: 0.1
   */
  properties[PROP_PORT] = g_param_spec_uint ("port", NULL, NULL, 1, G_MAXUINT16,
      BURROW_STUN_DEFAULT_PORT,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * BurrowStunClient:transport:
   *
   * The transport to the server. This release speaks UDP; TCP and TLS
   * arrive with the TURN client and fail with %G_IO_ERROR_NOT_SUPPORTED
   * until then.
   *
   * Since: 0.1
   */
  properties[PROP_TRANSPORT] = g_param_spec_enum ("transport", NULL, NULL,
      BURROW_TYPE_TRANSPORT, BURROW_TRANSPORT_UDP, rw);
  /**
   * BurrowStunClient:username:
   *
   * The username of the credentials, or %NULL to send no credentials.
   *
   * Since: 0.1
   */
  properties[PROP_USERNAME] = g_param_spec_string ("username", NULL, NULL, NULL, rw);
  /**
   * BurrowStunClient:password:
   *
   * The password of the credentials. It is never logged.
   *
   * Since: 0.1
   */
  properties[PROP_PASSWORD] = g_param_spec_string ("password", NULL, NULL, NULL, rw);
  /**
   * BurrowStunClient:credential-mechanism:
   *
   * Whether [property@Burrow.StunClient:username] and
   * [property@Burrow.StunClient:password] are long-term or short-term
   * credentials.
   *
   * Since: 0.1
   */
  properties[PROP_CREDENTIAL_MECHANISM] = g_param_spec_enum ("credential-mechanism", NULL, NULL,
      BURROW_TYPE_STUN_CREDENTIAL_MECHANISM, BURROW_STUN_CREDENTIAL_MECHANISM_LONG_TERM, rw);
  /**
   * BurrowStunClient:software:
   *
   * The SOFTWARE attribute sent with requests, or %NULL for none.
   *
   * Since: 0.1
   */
  properties[PROP_SOFTWARE] = g_param_spec_string ("software", NULL, NULL, BURROW_SOFTWARE, rw);
  /**
   * BurrowStunClient:local-address:
   *
   * The local IP address to send from, or %NULL for any. Takes effect when
   * the socket is opened, at the first request.
   *
   * Since: 0.1
   */
  properties[PROP_LOCAL_ADDRESS] = g_param_spec_string ("local-address", NULL, NULL, NULL, rw);
  /**
   * BurrowStunClient:local-port:
   *
   * The local port to send from, or 0 for any. Takes effect when the
   * socket is opened, at the first request.
   *
   * Since: 0.1
   */
  properties[PROP_LOCAL_PORT] = g_param_spec_uint ("local-port", NULL, NULL, 0, G_MAXUINT16,
      0, rw);
  /**
   * BurrowStunClient:rto:
   *
   * The initial retransmission timeout in milliseconds (RFC 8489 RTO).
   *
   * Since: 0.1
   */
  properties[PROP_RTO] = g_param_spec_uint ("rto", NULL, NULL, 10, 60000,
      BURROW_STUN_RETRANSMIT_DEFAULT_RTO, rw);
  /**
   * BurrowStunClient:max-requests:
   *
   * How many times one request is sent, the first included (RFC 8489 Rc).
   *
   * Since: 0.1
   */
  properties[PROP_MAX_REQUESTS] = g_param_spec_uint ("max-requests", NULL, NULL, 1, 20,
      BURROW_STUN_RETRANSMIT_DEFAULT_RC, rw);
  /**
   * BurrowStunClient:last-timeout-factor:
   *
   * After the last request, how many initial RTOs to wait for an answer
   * (RFC 8489 Rm).
   *
   * Since: 0.1
   */
  properties[PROP_LAST_TIMEOUT_FACTOR] = g_param_spec_uint ("last-timeout-factor", NULL, NULL,
      1, 64, BURROW_STUN_RETRANSMIT_DEFAULT_RM, rw);
  /**
   * BurrowStunClient:keepalive-interval:
   *
   * Seconds between Binding indications that keep the mapping alive once
   * the socket is open, or 0 (the default) to send them only on
   * [method@Burrow.StunClient.persist].
   *
   * Since: 0.1
   */
  properties[PROP_KEEPALIVE_INTERVAL] = g_param_spec_uint ("keepalive-interval", NULL, NULL,
      0, 3600, 0, rw);
  /**
   * BurrowStunClient:bound-address:
   *
   * The local address and port of the client's socket, once open.
   *
   * Since: 0.1
   */
  properties[PROP_BOUND_ADDRESS] = g_param_spec_object ("bound-address", NULL, NULL,
      G_TYPE_INET_SOCKET_ADDRESS, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * BurrowStunClient:dropped-packets:
   *
   * How many received datagrams were dropped: malformed, unauthenticated,
   * from the wrong source or answering no pending transaction.
   *
   * Since: 0.1
   */
  properties[PROP_DROPPED_PACKETS] = g_param_spec_uint64 ("dropped-packets", NULL, NULL,
      0, G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
burrow_stun_client_init (BurrowStunClient *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->port = BURROW_STUN_DEFAULT_PORT;
  self->software = g_strdup (BURROW_SOFTWARE);
  self->rt.rto_ms = BURROW_STUN_RETRANSMIT_DEFAULT_RTO;
  self->rt.max_requests = BURROW_STUN_RETRANSMIT_DEFAULT_RC;
  self->rt.last_wait_factor = BURROW_STUN_RETRANSMIT_DEFAULT_RM;
  self->auth.algorithm = BURROW_STUN_PASSWORD_ALGORITHM_MD5;
}

/**
 * burrow_stun_client_new:
 * @host: the STUN server: a host name or an IP address
 * @port: the server's port, or 0 for 3478
 *
 * Creates a client for one STUN server. Nothing is sent until the first
 * request. The client does its I/O on the thread-default main context of
 * the caller.
 *
 * Returns: (transfer full): a new #BurrowStunClient
 *
 * Since: 0.1
 */
BurrowStunClient *
burrow_stun_client_new (const gchar *host, guint16 port)
{
  g_return_val_if_fail (host != NULL, NULL);

  return g_object_new (BURROW_TYPE_STUN_CLIENT, "host", host,
      "port", (guint) (port ? port : BURROW_STUN_DEFAULT_PORT), NULL);
}

/**
 * burrow_stun_client_get_host:
 * @client: a #BurrowStunClient
 *
 * Gets the server's host name or address.
 *
 * Returns: the host
 *
 * Since: 0.1
 */
const gchar *
burrow_stun_client_get_host (BurrowStunClient *client)
{
  g_return_val_if_fail (BURROW_IS_STUN_CLIENT (client), NULL);
  return client->host;
}

/**
 * burrow_stun_client_get_port:
 * @client: a #BurrowStunClient
 *
 * Gets the server's port.
 *
 * Returns: the port
 *
 * Since: 0.1
 */
guint16
burrow_stun_client_get_port (BurrowStunClient *client)
{
  g_return_val_if_fail (BURROW_IS_STUN_CLIENT (client), 0);
  return client->port;
}

/**
 * burrow_stun_client_get_transport:
 * @client: a #BurrowStunClient
 *
 * Gets the transport to the server.
 *
 * Returns: the transport
 *
 * Since: 0.1
 */
BurrowTransport
burrow_stun_client_get_transport (BurrowStunClient *client)
{
  g_return_val_if_fail (BURROW_IS_STUN_CLIENT (client), BURROW_TRANSPORT_UDP);
  return client->transport;
}

/**
 * burrow_stun_client_set_credentials:
 * @client: a #BurrowStunClient
 * @username: (nullable): the username, or %NULL for none
 * @password: (nullable): the password
 *
 * Sets both halves of the credentials at once. With long-term credentials
 * (the default [property@Burrow.StunClient:credential-mechanism]) they are
 * sent only once the server asks for them with a 401.
 *
 * Since: 0.1
 */
void
burrow_stun_client_set_credentials (BurrowStunClient *client, const gchar *username,
    const gchar *password)
{
  g_return_if_fail (BURROW_IS_STUN_CLIENT (client));
  g_object_set (client, "username", username, "password", password, NULL);
}

/**
 * burrow_stun_client_get_local_address:
 * @client: a #BurrowStunClient
 *
 * Gets the local address of the client's socket.
 *
 * Returns: (transfer full) (nullable): the bound address, or %NULL before
 *   the first request opened the socket
 *
 * Since: 0.1
 */
GInetSocketAddress *
burrow_stun_client_get_local_address (BurrowStunClient *client)
{
  GSocketAddress *addr;

  g_return_val_if_fail (BURROW_IS_STUN_CLIENT (client), NULL);
  if (client->endpoint == NULL)
    return NULL;
  addr = g_socket_get_local_address (burrow_stun_endpoint_get_socket (client->endpoint), NULL);
  return addr ? G_INET_SOCKET_ADDRESS (addr) : NULL;
}

/**
 * burrow_stun_client_get_dropped_packets:
 * @client: a #BurrowStunClient
 *
 * Gets how many received datagrams were dropped as malformed, forged,
 * unauthenticated or unexpected.
 *
 * Returns: the count
 *
 * Since: 0.1
 */
guint64
burrow_stun_client_get_dropped_packets (BurrowStunClient *client)
{
  g_return_val_if_fail (BURROW_IS_STUN_CLIENT (client), 0);
  return client->dropped_elsewhere +
      (client->endpoint ? burrow_stun_endpoint_get_dropped (client->endpoint) : 0);
}

/* ---- private helpers for discovery ---- */

GMainContext *
burrow_stun_client_get_context (BurrowStunClient *client)
{
  return client->context;
}

BurrowStunEndpoint *
burrow_stun_client_get_endpoint (BurrowStunClient *client)
{
  return client->endpoint;
}

GSocketAddress *
burrow_stun_client_get_server_address (BurrowStunClient *client)
{
  return client->server;
}

void
burrow_stun_client_get_retransmit (BurrowStunClient *client, BurrowStunRetransmit *retransmit)
{
  *retransmit = client->rt;
}

void
burrow_stun_client_add_dropped (BurrowStunClient *client, guint64 dropped)
{
  client->dropped_elsewhere += dropped;
}

static GSocket *
open_socket (BurrowStunClient *self, guint16 port, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  GSocket *socket = burrow_udp_socket_open (self->local_address, port,
      g_socket_address_get_family (self->server), &local_error);

  if (socket == NULL)
    g_set_error_literal (error, BURROW_STUN_ERROR,
        g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT) ?
        BURROW_STUN_ERROR_INVALID_ARGUMENT : BURROW_STUN_ERROR_NETWORK, local_error->message);
  return socket;
}

BurrowStunEndpoint *
burrow_stun_client_open_endpoint (BurrowStunClient *client, GError **error)
{
  g_autoptr(GSocket) socket = open_socket (client, 0, error);

  if (socket == NULL)
    return NULL;
  return burrow_stun_endpoint_new (socket, client->context);
}

GInetSocketAddress *
burrow_stun_client_get_route_address (BurrowStunClient *client, BurrowStunEndpoint *endpoint)
{
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GSocketAddress) routed = NULL;
  g_autoptr(GSocket) probe = NULL;
  GInetAddress *ip;

  bound = g_socket_get_local_address (burrow_stun_endpoint_get_socket (endpoint), NULL);
  if (bound == NULL)
    return NULL;
  ip = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (bound));
  if (!g_inet_address_get_is_any (ip))
    return G_INET_SOCKET_ADDRESS (g_steal_pointer (&bound));

  /* Bound to the wildcard: ask the routing table which source address a
   * packet to the server leaves with (connect() on UDP sends nothing). */
  probe = g_socket_new (g_socket_address_get_family (client->server), G_SOCKET_TYPE_DATAGRAM,
      G_SOCKET_PROTOCOL_UDP, NULL);
  if (probe == NULL || !g_socket_connect (probe, client->server, NULL, NULL))
    return NULL;
  routed = g_socket_get_local_address (probe, NULL);
  if (routed == NULL)
    return NULL;
  return G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (
      g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (routed)),
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound))));
}

static gboolean
finish_prepare (BurrowStunClient *self, GInetAddress *ip, GError **error)
{
  g_autoptr(GSocket) socket = NULL;

  if (self->endpoint != NULL)
    return TRUE;
  g_clear_object (&self->server);
  self->server = g_inet_socket_address_new (ip, self->port);
  socket = open_socket (self, self->local_port, error);
  if (socket == NULL)
    return FALSE;
  self->endpoint = burrow_stun_endpoint_new (socket, self->context);
  {
    g_autofree gchar *server = burrow_socket_address_to_string (self->server);
    g_debug ("client socket open, server %s", server);
  }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BOUND_ADDRESS]);
  keepalive_update (self);
  return TRUE;
}

static void
resolve_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  BurrowStunClient *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  GList *addresses;
  GError *out = NULL;

  addresses = g_resolver_lookup_by_name_finish (G_RESOLVER (source), result, &error);
  if (addresses == NULL) {
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      g_task_return_error (task, g_steal_pointer (&error));
    else
      g_task_return_new_error (task, BURROW_STUN_ERROR, BURROW_STUN_ERROR_RESOLVE,
          "Could not resolve STUN server '%s': %s", self->host, error->message);
    return;
  }
  if (finish_prepare (self, addresses->data, &out))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, out);
  g_resolver_free_addresses (addresses);
}

void
burrow_stun_client_prepare_async (BurrowStunClient *client, GCancellable *cancellable,
    GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (client, cancellable, callback, user_data);
  g_autoptr(GInetAddress) ip = NULL;
  GError *error = NULL;

  g_task_set_source_tag (task, burrow_stun_client_prepare_async);
  if (client->endpoint != NULL) {
    g_task_return_boolean (task, TRUE);
    return;
  }
  if (client->transport != BURROW_TRANSPORT_UDP) {
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
        "STUN over %s is not supported yet; use UDP",
        client->transport == BURROW_TRANSPORT_TCP ? "TCP" : "TLS");
    return;
  }
  ip = g_inet_address_new_from_string (client->host);
  if (ip != NULL) {
    if (finish_prepare (client, ip, &error))
      g_task_return_boolean (task, TRUE);
    else
      g_task_return_error (task, error);
    return;
  }
  {
    g_autoptr(GResolver) resolver = g_resolver_get_default ();

    g_resolver_lookup_by_name_async (resolver, client->host, cancellable, resolve_cb,
        g_steal_pointer (&task));
  }
}

gboolean
burrow_stun_client_prepare_finish (BurrowStunClient *client, GAsyncResult *result,
    GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- Binding: the public API ---- */

static void
bind_binding_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  BurrowStunClient *self = BURROW_STUN_CLIENT (source);
  g_autoptr(BurrowStunMessage) response = NULL;
  GInetSocketAddress *mapped;
  GError *error = NULL;

  response = burrow_stun_client_binding_finish (self, result, NULL, &error);
  if (response == NULL) {
    g_task_return_error (task, error);
    return;
  }
  mapped = burrow_stun_client_response_mapped_address (response);
  if (mapped == NULL) {
    g_autofree gchar *name = burrow_stun_client_describe_server (self, self->server);

    g_task_return_new_error (task, BURROW_STUN_ERROR, BURROW_STUN_ERROR_MALFORMED,
        "STUN server %s answered without XOR-MAPPED-ADDRESS or MAPPED-ADDRESS", name);
    return;
  }
  g_task_return_pointer (task, mapped, g_object_unref);
}

static void
bind_prepare_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  BurrowStunClient *self = BURROW_STUN_CLIENT (source);
  GError *error = NULL;

  if (!burrow_stun_client_prepare_finish (self, result, &error)) {
    g_task_return_error (task, error);
    return;
  }
  burrow_stun_client_binding_async (self, self->endpoint, self->server, FALSE, FALSE,
      g_task_get_cancellable (task), bind_binding_cb, g_object_ref (task));
}

/**
 * burrow_stun_client_bind_async:
 * @client: a #BurrowStunClient
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the server answered or the
 *   request failed
 * @user_data: data for @callback
 *
 * Sends a Binding request to the server and learns the server-reflexive
 * address: where the server saw the request come from. The request is
 * retransmitted until an answer arrives or the retransmission schedule
 * ends. With long-term credentials, a 401 or 438 answer is retried with
 * the realm and nonce the server gave, as RFC 8489 section 9.2 says.
 *
 * Since: 0.1
 */
void
burrow_stun_client_bind_async (BurrowStunClient *client, GCancellable *cancellable,
    GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;

  g_return_if_fail (BURROW_IS_STUN_CLIENT (client));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (client, cancellable, callback, user_data);
  g_task_set_source_tag (task, burrow_stun_client_bind_async);
  burrow_stun_client_prepare_async (client, cancellable, bind_prepare_cb, task);
}

/**
 * burrow_stun_client_bind_finish:
 * @client: a #BurrowStunClient
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Finishes [method@Burrow.StunClient.bind_async].
 *
 * Returns: (transfer full): the server-reflexive address, or %NULL with
 *   @error set
 *
 * Since: 0.1
 */
GInetSocketAddress *
burrow_stun_client_bind_finish (BurrowStunClient *client, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (BURROW_IS_STUN_CLIENT (client), NULL);
  g_return_val_if_fail (g_task_is_valid (result, client), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * burrow_stun_client_bind_sync:
 * @client: a #BurrowStunClient
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Like [method@Burrow.StunClient.bind_async], but blocks until the answer
 * arrives or the retransmission schedule ends. Handy in scripts; in a
 * program with a running main loop prefer the async call.
 *
 * Returns: (transfer full): the server-reflexive address, or %NULL with
 *   @error set
 *
 * Since: 0.1
 */
GInetSocketAddress *
burrow_stun_client_bind_sync (BurrowStunClient *client, GCancellable *cancellable,
    GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  g_return_val_if_fail (BURROW_IS_STUN_CLIENT (client), NULL);
  result = burrow_run_sync (client->context, client,
      (BurrowAsyncStartFunc) burrow_stun_client_bind_async, cancellable);
  return burrow_stun_client_bind_finish (client, result, error);
}

/**
 * burrow_stun_client_persist:
 * @client: a #BurrowStunClient
 * @error: return location for a #GError
 *
 * Sends one Binding indication to the server from the client's socket: a
 * keep-alive that refreshes the NAT mapping without expecting an answer
 * (RFC 8489 section 6.3). Call it after a successful bind, more often than
 * the NAT forgets idle mappings (15 to 30 seconds is usual), or set
 * [property@Burrow.StunClient:keepalive-interval] to have it sent for you.
 *
 * Returns: %TRUE if the indication was sent
 *
 * Since: 0.1
 */
gboolean
burrow_stun_client_persist (BurrowStunClient *client, GError **error)
{
  g_autoptr(BurrowStunMessage) indication = NULL;
  g_autoptr(GBytes) wire = NULL;

  g_return_val_if_fail (BURROW_IS_STUN_CLIENT (client), FALSE);

  if (client->endpoint == NULL) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
        "The client has no mapping to keep alive yet; bind first");
    return FALSE;
  }
  indication = burrow_stun_message_new_indication (BURROW_STUN_METHOD_BINDING);
  if (client->software)
    burrow_stun_message_add_string (indication, BURROW_STUN_ATTRIBUTE_SOFTWARE, client->software);
  wire = burrow_stun_message_serialize (indication, BURROW_STUN_SIGN_FINGERPRINT, NULL, 0, error);
  if (wire == NULL)
    return FALSE;
  return burrow_stun_endpoint_send (client->endpoint, client->server, wire, error);
}

static gboolean
keepalive_cb (gpointer user_data)
{
  BurrowStunClient *self = user_data;
  g_autoptr(GError) error = NULL;

  if (!burrow_stun_client_persist (self, &error))
    g_debug ("keep-alive not sent: %s", error->message);
  return G_SOURCE_CONTINUE;
}

static void
keepalive_update (BurrowStunClient *self)
{
  if (self->keepalive) {
    g_source_destroy (self->keepalive);
    g_clear_pointer (&self->keepalive, g_source_unref);
  }
  if (self->keepalive_interval == 0 || self->endpoint == NULL)
    return;
  self->keepalive = g_timeout_source_new_seconds (self->keepalive_interval);
  g_source_set_static_name (self->keepalive, "[burrow] STUN keep-alive");
  g_source_set_callback (self->keepalive, keepalive_cb, self, NULL);
  g_source_attach (self->keepalive, self->context);
}
