/* burrow-turn-client.c: TURN client (RFC 8656, RFC 6156)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "burrow-turn"

#include <string.h>

#include "burrow-error.h"
#include "burrow-enum-types.h"
#include "burrow-sync-private.h"
#include "burrow-turn-private.h"

/**
 * BurrowTurnClient:
 *
 * A TURN client (RFC 8656, with RFC 6156 for IPv6): it asks a TURN server
 * for a relayed address, a public address on the server that forwards
 * datagrams between this host and its peers when no direct path works.
 *
 * A client talks to one server over one 5-tuple: a UDP socket, or a TCP
 * or TLS connection ([property@Burrow.TurnClient:transport]). It holds at
 * most one allocation at a time, returned by
 * [method@Burrow.TurnClient.allocate_async] as a
 * [class@Burrow.RelayAllocation]; asking again while that allocation is
 * alive returns the same object. The allocation keeps the client alive;
 * dropping the last reference to the allocation releases it on the server.
 *
 * Long-term credentials are used as RFC 8656 section 7 says: the server's
 * 401 supplies realm and nonce, a 438 (stale nonce) is retried with the new
 * nonce without the caller noticing, and a 300 (try alternate) is followed
 * to the ALTERNATE-SERVER, at most [property@Burrow.TurnClient:max-redirects]
 * times and never back to a server already tried. For coturn's
 * `use-auth-secret` (the TURN REST API), compute the username and password
 * with [func@Burrow.turn_rest_credentials].
 *
 * All I/O happens on the [struct@GLib.MainContext] that was the
 * thread-default one when the client was created. The client and its
 * allocation are not thread-safe: use them on that context's thread. The
 * `_sync` functions either run the context themselves or wait for the
 * thread that runs it.
 *
 * ```c
 * g_autoptr(BurrowTurnClient) client =
 *     burrow_turn_client_new ("turn.example.org", 3478, "alice", "secret");
 * g_autoptr(GError) error = NULL;
 * g_autoptr(BurrowRelayAllocation) relay =
 *     burrow_turn_client_allocate_sync (client, NULL, NULL, &error);
 * ```
 *
 * Since: 0.1
 */

G_DEFINE_FINAL_TYPE (BurrowTurnClient, burrow_turn_client, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_HOST,
  PROP_PORT,
  PROP_TRANSPORT,
  PROP_USERNAME,
  PROP_PASSWORD,
  PROP_REALM,
  PROP_SOFTWARE,
  PROP_LOCAL_ADDRESS,
  PROP_LOCAL_PORT,
  PROP_TLS_CA_FILE,
  PROP_TLS_ACCEPT_INVALID_CERTIFICATES,
  PROP_RTO,
  PROP_MAX_REQUESTS,
  PROP_LAST_TIMEOUT_FACTOR,
  PROP_MAX_REDIRECTS,
  PROP_SERVER_ADDRESS,
  PROP_DROPPED_PACKETS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

#define DEFAULT_MAX_REDIRECTS 3

static void
set_string_prop (BurrowTurnClient *self, gchar **field, const gchar *value, guint prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
set_uint_prop (BurrowTurnClient *self, guint *field, guint value, guint prop)
{
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

guint16
burrow_turn_client_effective_port (BurrowTurnClient *self)
{
  if (self->port != 0)
    return self->port;
  return self->transport == BURROW_TRANSPORT_TLS ? BURROW_TURN_DEFAULT_TLS_PORT :
      BURROW_STUN_DEFAULT_PORT;
}

static void
burrow_turn_client_set_property (GObject *object, guint prop_id, const GValue *value,
    GParamSpec *pspec)
{
  BurrowTurnClient *self = BURROW_TURN_CLIENT (object);
  guint port;

  switch (prop_id) {
    case PROP_HOST:
      set_string_prop (self, &self->host, g_value_get_string (value), prop_id);
      break;
    case PROP_PORT:
      port = self->port;
      set_uint_prop (self, &port, g_value_get_uint (value), prop_id);
      self->port = (guint16) port;
      break;
    case PROP_TRANSPORT:
      if (self->transport != (BurrowTransport) g_value_get_enum (value)) {
        self->transport = g_value_get_enum (value);
        g_object_notify_by_pspec (object, pspec);
      }
      break;
    case PROP_USERNAME:
      set_string_prop (self, &self->username, g_value_get_string (value), prop_id);
      break;
    case PROP_PASSWORD:
      set_string_prop (self, &self->password, g_value_get_string (value), prop_id);
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
    case PROP_TLS_CA_FILE:
      set_string_prop (self, &self->tls_ca_file, g_value_get_string (value), prop_id);
      break;
    case PROP_TLS_ACCEPT_INVALID_CERTIFICATES:
      set_uint_prop (self, (guint *) &self->tls_accept_invalid, g_value_get_boolean (value),
          prop_id);
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
    case PROP_MAX_REDIRECTS:
      set_uint_prop (self, &self->max_redirects, g_value_get_uint (value), prop_id);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
burrow_turn_client_get_property (GObject *object, guint prop_id, GValue *value,
    GParamSpec *pspec)
{
  BurrowTurnClient *self = BURROW_TURN_CLIENT (object);

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
    case PROP_REALM:
      g_value_set_string (value, self->auth.realm);
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
    case PROP_TLS_CA_FILE:
      g_value_set_string (value, self->tls_ca_file);
      break;
    case PROP_TLS_ACCEPT_INVALID_CERTIFICATES:
      g_value_set_boolean (value, self->tls_accept_invalid);
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
    case PROP_MAX_REDIRECTS:
      g_value_set_uint (value, self->max_redirects);
      break;
    case PROP_SERVER_ADDRESS:
      g_value_set_object (value, self->server);
      break;
    case PROP_DROPPED_PACKETS:
      g_value_set_uint64 (value, burrow_turn_client_get_dropped_packets (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
burrow_turn_client_dispose (GObject *object)
{
  BurrowTurnClient *self = BURROW_TURN_CLIENT (object);

  if (self->allocation) {
    g_object_remove_weak_pointer (G_OBJECT (self->allocation), (gpointer *) &self->allocation);
    self->allocation = NULL;
  }
  burrow_turn_client_disconnect (self);
  G_OBJECT_CLASS (burrow_turn_client_parent_class)->dispose (object);
}

static void
burrow_turn_client_finalize (GObject *object)
{
  BurrowTurnClient *self = BURROW_TURN_CLIENT (object);

  g_free (self->host);
  g_free (self->username);
  g_free (self->password);
  g_free (self->alloc_username);
  g_free (self->alloc_password);
  g_free (self->software);
  g_free (self->local_address);
  g_free (self->tls_ca_file);
  g_free (self->tls_identity);
  g_clear_object (&self->server);
  burrow_stun_auth_reset (&self->auth);
  g_clear_pointer (&self->context, g_main_context_unref);
  G_OBJECT_CLASS (burrow_turn_client_parent_class)->finalize (object);
}

static void
install_properties (GObjectClass *object_class)
{
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  /**
   * BurrowTurnClient:host:
   *
   * The TURN server's host name or IP address.
   *
   * Since: 0.1
   */
  properties[PROP_HOST] = g_param_spec_string ("host", NULL, NULL, NULL,
      rw | G_PARAM_CONSTRUCT);
  /**
   * BurrowTurnClient:port:
   *
   * The TURN server's port; 0 means the default of the transport (3478,
   * or 5349 for TLS).
   *
   * Since: 0.1
   */
  properties[PROP_PORT] = g_param_spec_uint ("port", NULL, NULL, 0, 65535, 0,
      rw | G_PARAM_CONSTRUCT);
  /**
   * BurrowTurnClient:transport:
   *
   * How to reach the server: UDP, TCP or TLS over TCP. The relayed address
   * is UDP in every case. Set before the first allocation.
   *
   * Since: 0.1
   */
  properties[PROP_TRANSPORT] = g_param_spec_enum ("transport", NULL, NULL,
      BURROW_TYPE_TRANSPORT, BURROW_TRANSPORT_UDP, rw);
  /**
   * BurrowTurnClient:username:
   *
   * The long-term credential's username.
   *
   * Since: 0.1
   */
  properties[PROP_USERNAME] = g_param_spec_string ("username", NULL, NULL, NULL, rw);
  /**
   * BurrowTurnClient:password:
   *
   * The long-term credential's password.
   *
   * Since: 0.1
   */
  properties[PROP_PASSWORD] = g_param_spec_string ("password", NULL, NULL, NULL, rw);
  /**
   * BurrowTurnClient:realm:
   *
   * The realm the server announced in its 401, or %NULL before that.
   *
   * Since: 0.1
   */
  properties[PROP_REALM] = g_param_spec_string ("realm", NULL, NULL, NULL, ro);
  /**
   * BurrowTurnClient:software:
   *
   * The SOFTWARE attribute sent with requests, or %NULL for none.
   *
   * Since: 0.1
   */
  properties[PROP_SOFTWARE] = g_param_spec_string ("software", NULL, NULL, BURROW_SOFTWARE,
      rw | G_PARAM_CONSTRUCT);
  /**
   * BurrowTurnClient:local-address:
   *
   * The local IP address to send from, or %NULL for any.
   *
   * Since: 0.1
   */
  properties[PROP_LOCAL_ADDRESS] = g_param_spec_string ("local-address", NULL, NULL, NULL, rw);
  /**
   * BurrowTurnClient:local-port:
   *
   * The local port to send from, or 0 for any.
   *
   * Since: 0.1
   */
  properties[PROP_LOCAL_PORT] = g_param_spec_uint ("local-port", NULL, NULL, 0, 65535, 0, rw);
  /**
   * BurrowTurnClient:tls-ca-file:
   *
   * A PEM file of certificates to trust for the server's TLS certificate,
   * instead of the system's store; for servers with a private CA or a
   * self-signed certificate. A file that cannot be read fails the
   * connection with %BURROW_TURN_ERROR_TLS (no fall back to the system's
   * store).
   *
   * Since: 0.1
   */
  properties[PROP_TLS_CA_FILE] = g_param_spec_string ("tls-ca-file", NULL, NULL, NULL, rw);
  /**
   * BurrowTurnClient:tls-accept-invalid-certificates:
   *
   * Accept any TLS certificate from the server, trusted or not, valid for
   * its name or not. This removes TLS's protection against a man in the
   * middle: for tests only.
   *
   * Since: 0.1
   */
  properties[PROP_TLS_ACCEPT_INVALID_CERTIFICATES] = g_param_spec_boolean (
      "tls-accept-invalid-certificates", NULL, NULL, FALSE, rw);
  /**
   * BurrowTurnClient:rto:
   *
   * The initial retransmission timeout over UDP, in milliseconds (RFC 8489
   * section 6.2.1).
   *
   * Since: 0.1
   */
  properties[PROP_RTO] = g_param_spec_uint ("rto", NULL, NULL, 1, 60000,
      BURROW_STUN_RETRANSMIT_DEFAULT_RTO, rw);
  /**
   * BurrowTurnClient:max-requests:
   *
   * How many times a request is sent over UDP before giving up (Rc).
   *
   * Since: 0.1
   */
  properties[PROP_MAX_REQUESTS] = g_param_spec_uint ("max-requests", NULL, NULL, 1, 20,
      BURROW_STUN_RETRANSMIT_DEFAULT_RC, rw);
  /**
   * BurrowTurnClient:last-timeout-factor:
   *
   * How many RTOs to wait after the last request (Rm). Over TCP and TLS a
   * request is sent once and times out after the whole UDP schedule's time.
   *
   * Since: 0.1
   */
  properties[PROP_LAST_TIMEOUT_FACTOR] = g_param_spec_uint ("last-timeout-factor", NULL, NULL,
      1, 100, BURROW_STUN_RETRANSMIT_DEFAULT_RM, rw);
  /**
   * BurrowTurnClient:max-redirects:
   *
   * How many 300 (try alternate) answers to follow for one allocation.
   *
   * Since: 0.1
   */
  properties[PROP_MAX_REDIRECTS] = g_param_spec_uint ("max-redirects", NULL, NULL, 0, 16,
      DEFAULT_MAX_REDIRECTS, rw);
  /**
   * BurrowTurnClient:server-address:
   *
   * The address of the server in use, once known: after resolving, and
   * after following an ALTERNATE-SERVER.
   *
   * Since: 0.1
   */
  properties[PROP_SERVER_ADDRESS] = g_param_spec_object ("server-address", NULL, NULL,
      G_TYPE_INET_SOCKET_ADDRESS, ro);
  /**
   * BurrowTurnClient:dropped-packets:
   *
   * How many datagrams from the server side were dropped: malformed,
   * unauthenticated, from an unexpected source, or answering nothing.
   *
   * Since: 0.1
   */
  properties[PROP_DROPPED_PACKETS] = g_param_spec_uint64 ("dropped-packets", NULL, NULL,
      0, G_MAXUINT64, 0, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
burrow_turn_client_class_init (BurrowTurnClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->set_property = burrow_turn_client_set_property;
  object_class->get_property = burrow_turn_client_get_property;
  object_class->dispose = burrow_turn_client_dispose;
  object_class->finalize = burrow_turn_client_finalize;
  install_properties (object_class);
}

static void
burrow_turn_client_init (BurrowTurnClient *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->rt.rto_ms = BURROW_STUN_RETRANSMIT_DEFAULT_RTO;
  self->rt.max_requests = BURROW_STUN_RETRANSMIT_DEFAULT_RC;
  self->rt.last_wait_factor = BURROW_STUN_RETRANSMIT_DEFAULT_RM;
  self->max_redirects = DEFAULT_MAX_REDIRECTS;
  self->auth.algorithm = BURROW_STUN_PASSWORD_ALGORITHM_MD5;
  g_queue_init (&self->waiting);
}

/**
 * burrow_turn_client_new:
 * @host: the TURN server's host name or IP address
 * @port: its port, or 0 for the transport's default
 * @username: (nullable): the long-term credential's username
 * @password: (nullable): its password
 *
 * Makes a client for one TURN server. Nothing is sent until
 * [method@Burrow.TurnClient.allocate_async].
 *
 * Returns: (transfer full): a new client
 *
 * Since: 0.1
 */
BurrowTurnClient *
burrow_turn_client_new (const gchar *host, guint16 port, const gchar *username,
    const gchar *password)
{
  g_return_val_if_fail (host != NULL, NULL);
  return g_object_new (BURROW_TYPE_TURN_CLIENT, "host", host, "port", (guint) port,
      "username", username, "password", password, NULL);
}

/**
 * burrow_turn_client_set_credentials:
 * @self: a client
 * @username: (nullable): the username
 * @password: (nullable): the password
 *
 * Sets [property@Burrow.TurnClient:username] and
 * [property@Burrow.TurnClient:password] together, for example with fresh
 * TURN REST credentials before their time runs out. They apply to the next
 * allocation: a live allocation keeps the credentials it was made with, as
 * RFC 8656 requires of every request on it.
 *
 * Since: 0.1
 */
void
burrow_turn_client_set_credentials (BurrowTurnClient *self, const gchar *username,
    const gchar *password)
{
  g_return_if_fail (BURROW_IS_TURN_CLIENT (self));
  g_object_set (self, "username", username, "password", password, NULL);
}

/**
 * burrow_turn_client_get_server_address:
 * @self: a client
 *
 * Returns: (transfer none) (nullable): the value of
 *   [property@Burrow.TurnClient:server-address]
 *
 * Since: 0.1
 */
GInetSocketAddress *
burrow_turn_client_get_server_address (BurrowTurnClient *self)
{
  g_return_val_if_fail (BURROW_IS_TURN_CLIENT (self), NULL);
  return self->server;
}

/**
 * burrow_turn_client_get_dropped_packets:
 * @self: a client
 *
 * Returns: the value of [property@Burrow.TurnClient:dropped-packets]
 *
 * Since: 0.1
 */
guint64
burrow_turn_client_get_dropped_packets (BurrowTurnClient *self)
{
  g_return_val_if_fail (BURROW_IS_TURN_CLIENT (self), 0);
  return self->dropped + (self->endpoint ? burrow_stun_endpoint_get_dropped (self->endpoint) : 0);
}

/**
 * burrow_turn_client_get_allocation:
 * @self: a client
 *
 * Returns: (transfer none) (nullable): the client's allocation while
 *   someone holds it, or %NULL
 *
 * Since: 0.1
 */
BurrowRelayAllocation *
burrow_turn_client_get_allocation (BurrowTurnClient *self)
{
  g_return_val_if_fail (BURROW_IS_TURN_CLIENT (self), NULL);
  return self->allocation;
}

static void
build_release (BurrowStunMessage *msg, gpointer user_data)
{
  burrow_stun_message_add_uint32 (msg, BURROW_STUN_ATTRIBUTE_LIFETIME, 0);
}

static void
release_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  BurrowTurnClient *self = BURROW_TURN_CLIENT (source);
  g_autoptr(BurrowStunMessage) response = NULL;
  g_autoptr(GError) error = NULL;

  response = burrow_turn_client_request_finish (self, result, &error);
  if (response == NULL)
    g_debug ("release not confirmed: %s", error->message);
  self->releasing--;
  if (self->releasing == 0 && self->allocation == NULL && !self->allocating)
    burrow_turn_client_disconnect (self);
}

void
burrow_turn_client_release_allocation (BurrowTurnClient *self, BurrowRelayAllocation *allocation)
{
  if (self->allocation != allocation || allocation == NULL)
    return;
  g_object_remove_weak_pointer (G_OBJECT (allocation), (gpointer *) &self->allocation);
  self->allocation = NULL;
  if (self->endpoint == NULL)
    return;
  /* the task keeps the client, and so the connection, until the answer */
  self->releasing++;
  burrow_turn_client_request_async (self, BURROW_STUN_METHOD_REFRESH, build_release, NULL, NULL,
      NULL, release_done_cb, NULL);
}

void
burrow_turn_client_forget_allocation (BurrowTurnClient *self, BurrowRelayAllocation *allocation)
{
  if (self->allocation != allocation || allocation == NULL)
    return;
  g_object_remove_weak_pointer (G_OBJECT (allocation), (gpointer *) &self->allocation);
  self->allocation = NULL;
  /* The next allocation starts on a fresh 5-tuple. */
  burrow_turn_client_disconnect (self);
}
