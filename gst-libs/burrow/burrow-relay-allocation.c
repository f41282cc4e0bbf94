/* burrow-relay-allocation.c: one TURN allocation: the object, its state
 * and lifetime, and the timers that refresh it or let it expire
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The Refresh requests are in burrow-relay-allocation-refresh.c,
 * permissions and channels in burrow-relay-allocation-permissions.c,
 * relayed data in burrow-relay-allocation-data.c.
 */
#include "config.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "burrow-turn"

#include "burrow-error.h"
#include "burrow-enum-types.h"
#include "burrow-relay-allocation-private.h"

/**
 * BurrowRelayAllocation:
 *
 * A relayed address on a TURN server (RFC 8656), made by
 * [method@Burrow.TurnClient.allocate_async].
 *
 * Peers send to [property@Burrow.RelayAllocation:relayed-address]; the
 * server forwards what they send, from addresses this allocation has a
 * permission for, and the allocation hands it out through the
 * [signal@Burrow.RelayAllocation::data-received] signal, through per-peer
 * subscriptions ([method@Burrow.RelayAllocation.subscribe]) and through
 * [method@Burrow.RelayAllocation.receive_async]. Data from peers without a
 * permission never surfaces.
 *
 * Send with [method@Burrow.RelayAllocation.send] after
 * [method@Burrow.RelayAllocation.create_permission_async]; a bound channel
 * ([method@Burrow.RelayAllocation.bind_channel_async], or
 * [property@Burrow.RelayAllocation:auto-bind-channels]) carries data with a
 * 4-byte header instead of a 36-byte Send indication.
 *
 * The allocation refreshes itself before it expires (unless
 * [property@Burrow.RelayAllocation:auto-refresh] is off), and keeps its
 * permissions and channels refreshed. [method@Burrow.RelayAllocation.close],
 * or dropping the last reference, releases it on the server.
 *
 * Since: 0.1
 */

G_DEFINE_FINAL_TYPE (BurrowRelayAllocation, burrow_relay_allocation, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_RELAYED_ADDRESS,
  PROP_ADDITIONAL_RELAYED_ADDRESS,
  PROP_MAPPED_ADDRESS,
  PROP_SERVER,
  PROP_LIFETIME,
  PROP_EXPIRES_AT,
  PROP_RESERVATION_TOKEN,
  PROP_PERMITTED_PEERS,
  PROP_STATE,
  PROP_AUTO_REFRESH,
  PROP_AUTO_BIND_CHANNELS,
  PROP_RECEIVE_QUEUE_SIZE,
  PROP_DROPPED_PACKETS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];
guint burrow_relay_allocation_signals[BURROW_RELAY_N_SIGNALS];

static void schedule_timers (BurrowRelayAllocation *self);

void
burrow_relay_allocation_stop_timer (GSource **timer)
{
  if (*timer == NULL)
    return;
  g_source_destroy (*timer);
  g_clear_pointer (timer, g_source_unref);
}

static GSource *
start_timer (BurrowRelayAllocation *self, guint64 ms, GSourceFunc func, const gchar *name)
{
  GSource *source = g_timeout_source_new ((guint) MIN (ms, G_MAXUINT));

  g_source_set_static_name (source, name);
  g_source_set_callback (source, func, self, NULL);
  g_source_attach (source, burrow_turn_client_get_context (self->client));
  return source;
}

void
burrow_relay_allocation_set_state (BurrowRelayAllocation *self, BurrowRelayState state,
    const GError *error)
{
  g_autoptr(GError) stop_error = NULL;

  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
  if (state == BURROW_RELAY_STATE_ALLOCATED)
    return;
  burrow_relay_allocation_stop_timer (&self->refresh_timer);
  burrow_relay_allocation_stop_timer (&self->expiry_timer);
  burrow_relay_allocation_stop_maintenance (self);
  stop_error = error ? g_error_copy (error) : g_error_new (BURROW_TURN_ERROR,
      BURROW_TURN_ERROR_NO_ALLOCATION, "The TURN allocation is %s",
      state == BURROW_RELAY_STATE_EXPIRED ? "expired" : "released");
  burrow_relay_allocation_data_stop (self, stop_error);
  burrow_turn_client_forget_allocation (self->client, self);
}

/* Takes @error. */
void
burrow_relay_allocation_fail (BurrowRelayAllocation *self, GError *error)
{
  g_object_ref (self);
  if (self->state == BURROW_RELAY_STATE_ALLOCATED) {
    g_debug ("allocation failed: %s", error->message);
    burrow_relay_allocation_set_state (self, BURROW_RELAY_STATE_FAILED, error);
    g_signal_emit (self, burrow_relay_allocation_signals[BURROW_RELAY_SIGNAL_ERROR], 0, error);
  }
  g_error_free (error);
  g_object_unref (self);
}

gboolean
burrow_relay_allocation_check_alive (BurrowRelayAllocation *self, GError **error)
{
  static const gchar *const names[] = { "allocated", "expired", "released", "failed" };

  if (self->state == BURROW_RELAY_STATE_ALLOCATED)
    return TRUE;
  g_set_error (error, BURROW_TURN_ERROR, BURROW_TURN_ERROR_NO_ALLOCATION,
      "The TURN allocation is %s", names[self->state]);
  return FALSE;
}

void
burrow_relay_allocation_set_lifetime (BurrowRelayAllocation *self, guint lifetime)
{
  self->lifetime = lifetime;
  self->expires_mono = g_get_monotonic_time () + (gint64) lifetime * G_USEC_PER_SEC;
  self->expires_real = g_get_real_time () + (gint64) lifetime * G_USEC_PER_SEC;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LIFETIME]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXPIRES_AT]);
  schedule_timers (self);
}

/* ---- timers ---- */

static void
auto_refresh_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  /* A failure already failed the allocation and emitted "error". */
  if (!burrow_relay_allocation_refresh_finish (BURROW_RELAY_ALLOCATION (source), result, &error))
    g_debug ("automatic refresh failed: %s", error->message);
}

static gboolean
refresh_timer_cb (gpointer user_data)
{
  BurrowRelayAllocation *self = user_data;

  g_clear_pointer (&self->refresh_timer, g_source_unref);
  burrow_relay_allocation_refresh_async (self, NULL, auto_refresh_done_cb, NULL);
  return G_SOURCE_REMOVE;
}

static gboolean
expiry_timer_cb (gpointer user_data)
{
  BurrowRelayAllocation *self = user_data;

  g_clear_pointer (&self->expiry_timer, g_source_unref);
  g_object_ref (self);
  g_debug ("allocation expired");
  burrow_relay_allocation_set_state (self, BURROW_RELAY_STATE_EXPIRED, NULL);
  g_signal_emit (self, burrow_relay_allocation_signals[BURROW_RELAY_SIGNAL_EXPIRED], 0);
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_timers (BurrowRelayAllocation *self)
{
  guint64 lifetime_ms = (guint64) self->lifetime * 1000;

  burrow_relay_allocation_stop_timer (&self->refresh_timer);
  burrow_relay_allocation_stop_timer (&self->expiry_timer);
  if (self->state != BURROW_RELAY_STATE_ALLOCATED)
    return;
  self->expiry_timer = start_timer (self, lifetime_ms, expiry_timer_cb,
      "[burrow] TURN allocation expiry");
  /* a minute before expiry, or half way for short lifetimes */
  if (self->auto_refresh)
    self->refresh_timer = start_timer (self, self->lifetime > 120 ?
        lifetime_ms - 60000 : lifetime_ms / 2, refresh_timer_cb,
        "[burrow] TURN allocation refresh");
  burrow_relay_allocation_start_maintenance (self);
}

/* ---- construction ---- */

BurrowRelayAllocation *
burrow_relay_allocation_new_from_response (BurrowTurnClient *client, BurrowStunMessage *response,
    guint requested_lifetime)
{
  g_autoptr(GInetSocketAddress) relayed =
      burrow_stun_message_get_address_nth (response, BURROW_STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS, 0);
  BurrowRelayAllocation *self;
  guint32 lifetime = BURROW_TURN_PERMISSION_LIFETIME * 2;

  if (relayed == NULL)
    return NULL;
  self = g_object_new (BURROW_TYPE_RELAY_ALLOCATION, NULL);
  self->client = g_object_ref (client);
  self->relayed = g_steal_pointer (&relayed);
  self->additional = burrow_stun_message_get_address_nth (response,
      BURROW_STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS, 1);
  self->mapped = burrow_stun_message_get_xor_mapped_address (response);
  self->server = g_object_ref (burrow_turn_client_get_server_address (client));
  if (!burrow_stun_message_get_uint64 (response, BURROW_STUN_ATTRIBUTE_RESERVATION_TOKEN,
          &self->token))
    self->token = 0;
  self->requested_lifetime = requested_lifetime;
  burrow_stun_message_get_uint32 (response, BURROW_STUN_ATTRIBUTE_LIFETIME, &lifetime);
  self->state = BURROW_RELAY_STATE_ALLOCATED;
  burrow_relay_allocation_set_lifetime (self, lifetime);
  return self;
}

/* ---- the object ---- */

static void
burrow_relay_allocation_set_property (GObject *object, guint prop_id, const GValue *value,
    GParamSpec *pspec)
{
  BurrowRelayAllocation *self = BURROW_RELAY_ALLOCATION (object);

  switch (prop_id) {
    case PROP_AUTO_REFRESH:
      burrow_relay_allocation_set_auto_refresh (self, g_value_get_boolean (value));
      break;
    case PROP_AUTO_BIND_CHANNELS:
      burrow_relay_allocation_set_auto_bind_channels (self, g_value_get_boolean (value));
      break;
    case PROP_RECEIVE_QUEUE_SIZE:
      if (self->receive_queue_size != g_value_get_uint (value)) {
        self->receive_queue_size = g_value_get_uint (value);
        g_object_notify_by_pspec (object, pspec);
      }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
burrow_relay_allocation_get_property (GObject *object, guint prop_id, GValue *value,
    GParamSpec *pspec)
{
  BurrowRelayAllocation *self = BURROW_RELAY_ALLOCATION (object);

  switch (prop_id) {
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;
    case PROP_RELAYED_ADDRESS:
      g_value_set_object (value, self->relayed);
      break;
    case PROP_ADDITIONAL_RELAYED_ADDRESS:
      g_value_set_object (value, self->additional);
      break;
    case PROP_MAPPED_ADDRESS:
      g_value_set_object (value, self->mapped);
      break;
    case PROP_SERVER:
      g_value_set_object (value, self->server);
      break;
    case PROP_LIFETIME:
      g_value_set_uint (value, self->lifetime);
      break;
    case PROP_EXPIRES_AT:
      g_value_take_boxed (value, burrow_relay_allocation_get_expires_at (self));
      break;
    case PROP_RESERVATION_TOKEN:
      g_value_set_uint64 (value, self->token);
      break;
    case PROP_PERMITTED_PEERS: {
      g_autoptr(GPtrArray) peers = burrow_relay_allocation_get_permissions (self);
      GStrv strv = g_new0 (gchar *, peers->len + 1);
      guint i;

      for (i = 0; i < peers->len; i++)
        strv[i] = g_inet_address_to_string (peers->pdata[i]);
      g_value_take_boxed (value, strv);
      break;
    }
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_AUTO_REFRESH:
      g_value_set_boolean (value, self->auto_refresh);
      break;
    case PROP_AUTO_BIND_CHANNELS:
      g_value_set_boolean (value, self->auto_bind);
      break;
    case PROP_RECEIVE_QUEUE_SIZE:
      g_value_set_uint (value, self->receive_queue_size);
      break;
    case PROP_DROPPED_PACKETS:
      g_value_set_uint64 (value, self->dropped);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

void
burrow_relay_allocation_notify_permissions (BurrowRelayAllocation *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PERMITTED_PEERS]);
}

static void
burrow_relay_allocation_dispose (GObject *object)
{
  BurrowRelayAllocation *self = BURROW_RELAY_ALLOCATION (object);

  if (self->client) {
    /* the last reference is gone: release on the server, without waiting */
    if (self->state == BURROW_RELAY_STATE_ALLOCATED)
      burrow_turn_client_release_allocation (self->client, self);
    self->state = BURROW_RELAY_STATE_RELEASED;
    burrow_relay_allocation_stop_timer (&self->refresh_timer);
    burrow_relay_allocation_stop_timer (&self->expiry_timer);
    burrow_relay_allocation_stop_maintenance (self);
    burrow_turn_client_forget_allocation (self->client, self);
    burrow_relay_allocation_data_clear (self);
    burrow_relay_allocation_permissions_clear (self);
    g_clear_object (&self->client);
  }
  G_OBJECT_CLASS (burrow_relay_allocation_parent_class)->dispose (object);
}

static void
burrow_relay_allocation_finalize (GObject *object)
{
  BurrowRelayAllocation *self = BURROW_RELAY_ALLOCATION (object);

  g_clear_object (&self->relayed);
  g_clear_object (&self->additional);
  g_clear_object (&self->mapped);
  g_clear_object (&self->server);
  g_hash_table_unref (self->permissions);
  g_hash_table_unref (self->channels);
  g_hash_table_unref (self->channel_numbers);
  g_ptr_array_unref (self->subscriptions);
  G_OBJECT_CLASS (burrow_relay_allocation_parent_class)->finalize (object);
}

static void
install_properties (GObjectClass *object_class)
{
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  /**
   * BurrowRelayAllocation:client:
   *
   * The client that made the allocation.
   *
   * Since: 0.1
   */
  properties[PROP_CLIENT] = g_param_spec_object ("client", NULL, NULL, BURROW_TYPE_TURN_CLIENT, ro);
  /**
   * BurrowRelayAllocation:relayed-address:
   *
   * The relayed transport address: where peers send to reach this host.
   *
   * Since: 0.1
   */
  properties[PROP_RELAYED_ADDRESS] = g_param_spec_object ("relayed-address", NULL, NULL,
      G_TYPE_INET_SOCKET_ADDRESS, ro);
  /**
   * BurrowRelayAllocation:additional-relayed-address:
   *
   * The second relayed address of a dual-stack allocation (the IPv6 one),
   * or %NULL.
   *
   * Since: 0.1
   */
  properties[PROP_ADDITIONAL_RELAYED_ADDRESS] = g_param_spec_object (
      "additional-relayed-address", NULL, NULL, G_TYPE_INET_SOCKET_ADDRESS, ro);
  /**
   * BurrowRelayAllocation:mapped-address:
   *
   * This host's address as the server saw it (XOR-MAPPED-ADDRESS), or
   * %NULL if the server did not say.
   *
   * Since: 0.1
   */
  properties[PROP_MAPPED_ADDRESS] = g_param_spec_object ("mapped-address", NULL, NULL,
      G_TYPE_INET_SOCKET_ADDRESS, ro);
  /**
   * BurrowRelayAllocation:server:
   *
   * The address of the TURN server that holds the allocation.
   *
   * Since: 0.1
   */
  properties[PROP_SERVER] = g_param_spec_object ("server", NULL, NULL,
      G_TYPE_INET_SOCKET_ADDRESS, ro);
  /**
   * BurrowRelayAllocation:lifetime:
   *
   * The lifetime the server granted last, in seconds.
   *
   * Since: 0.1
   */
  properties[PROP_LIFETIME] = g_param_spec_uint ("lifetime", NULL, NULL, 0, G_MAXUINT32, 0, ro);
  /**
   * BurrowRelayAllocation:expires-at:
   *
   * When the allocation expires unless refreshed.
   *
   * Since: 0.1
   */
  properties[PROP_EXPIRES_AT] = g_param_spec_boxed ("expires-at", NULL, NULL,
      G_TYPE_DATE_TIME, ro);
  /**
   * BurrowRelayAllocation:reservation-token:
   *
   * The token of the port the server reserved for a later allocation
   * (see [property@Burrow.AllocateOptions:reserve-next-port]), or 0.
   *
   * Since: 0.1
   */
  properties[PROP_RESERVATION_TOKEN] = g_param_spec_uint64 ("reservation-token", NULL, NULL,
      0, G_MAXUINT64, 0, ro);
  /**
   * BurrowRelayAllocation:permitted-peers:
   *
   * The IP addresses the allocation has a permission for, as strings.
   *
   * Since: 0.1
   */
  properties[PROP_PERMITTED_PEERS] = g_param_spec_boxed ("permitted-peers", NULL, NULL,
      G_TYPE_STRV, ro);
  /**
   * BurrowRelayAllocation:state:
   *
   * Whether the allocation is alive, and if not, why.
   *
   * Since: 0.1
   */
  properties[PROP_STATE] = g_param_spec_enum ("state", NULL, NULL, BURROW_TYPE_RELAY_STATE,
      BURROW_RELAY_STATE_ALLOCATED, ro);
  /**
   * BurrowRelayAllocation:auto-refresh:
   *
   * Refresh the allocation before it expires: a minute before, or half
   * way through lifetimes of two minutes or less. When off, the allocation
   * expires unless [method@Burrow.RelayAllocation.refresh_async] is called.
   *
   * Since: 0.1
   */
  properties[PROP_AUTO_REFRESH] = g_param_spec_boolean ("auto-refresh", NULL, NULL, TRUE, rw);
  /**
   * BurrowRelayAllocation:auto-bind-channels:
   *
   * Bind a channel for every peer that data is sent to or received from,
   * so that later data goes as ChannelData.
   *
   * Since: 0.1
   */
  properties[PROP_AUTO_BIND_CHANNELS] = g_param_spec_boolean ("auto-bind-channels", NULL, NULL,
      FALSE, rw);
  /**
   * BurrowRelayAllocation:receive-queue-size:
   *
   * How many datagrams are kept for [method@Burrow.RelayAllocation.receive_async]
   * between calls, once it has been called; the oldest are dropped first.
   *
   * Since: 0.1
   */
  properties[PROP_RECEIVE_QUEUE_SIZE] = g_param_spec_uint ("receive-queue-size", NULL, NULL,
      0, 65536, 256, rw);
  /**
   * BurrowRelayAllocation:dropped-packets:
   *
   * How many relayed datagrams were dropped: from peers without a
   * permission, on unbound channels, or too many for the receive queue.
   *
   * Since: 0.1
   */
  properties[PROP_DROPPED_PACKETS] = g_param_spec_uint64 ("dropped-packets", NULL, NULL,
      0, G_MAXUINT64, 0, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
install_signals (GObjectClass *object_class)
{
  GType type = G_TYPE_FROM_CLASS (object_class);

  /**
   * BurrowRelayAllocation::data-received:
   * @self: the allocation
   * @peer: the peer the data came from
   * @data: the payload
   *
   * Emitted for every datagram relayed from a permitted peer.
   *
   * Since: 0.1
   */
  burrow_relay_allocation_signals[BURROW_RELAY_SIGNAL_DATA_RECEIVED] = g_signal_new (
      "data-received", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 2,
      G_TYPE_INET_SOCKET_ADDRESS, G_TYPE_BYTES);
  /**
   * BurrowRelayAllocation::refreshed:
   * @self: the allocation
   * @lifetime: the lifetime the server granted, in seconds
   *
   * Emitted when a refresh succeeded.
   *
   * Since: 0.1
   */
  burrow_relay_allocation_signals[BURROW_RELAY_SIGNAL_REFRESHED] = g_signal_new ("refreshed",
      type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
  /**
   * BurrowRelayAllocation::expired:
   * @self: the allocation
   *
   * Emitted when the lifetime ran out without a refresh.
   *
   * Since: 0.1
   */
  burrow_relay_allocation_signals[BURROW_RELAY_SIGNAL_EXPIRED] = g_signal_new ("expired",
      type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /**
   * BurrowRelayAllocation::error:
   * @self: the allocation
   * @error: what went wrong
   *
   * Emitted when the allocation fails: a refresh was refused or not
   * answered, or the connection to the server was lost.
   *
   * Since: 0.1
   */
  burrow_relay_allocation_signals[BURROW_RELAY_SIGNAL_ERROR] = g_signal_new ("error",
      type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
burrow_relay_allocation_class_init (BurrowRelayAllocationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->set_property = burrow_relay_allocation_set_property;
  object_class->get_property = burrow_relay_allocation_get_property;
  object_class->dispose = burrow_relay_allocation_dispose;
  object_class->finalize = burrow_relay_allocation_finalize;
  install_properties (object_class);
  install_signals (object_class);
}

static void
burrow_relay_allocation_init (BurrowRelayAllocation *self)
{
  self->auto_refresh = TRUE;
  self->receive_queue_size = 256;
  burrow_relay_allocation_permissions_init (self);
  burrow_relay_allocation_data_init (self);
}

/* ---- accessors ---- */

/**
 * burrow_relay_allocation_get_relayed_address:
 * @self: an allocation
 *
 * Returns: (transfer none): the value of
 *   [property@Burrow.RelayAllocation:relayed-address]
 *
 * Since: 0.1
 */
GInetSocketAddress *
burrow_relay_allocation_get_relayed_address (BurrowRelayAllocation *self)
{
  g_return_val_if_fail (BURROW_IS_RELAY_ALLOCATION (self), NULL);
  return self->relayed;
}

/**
 * burrow_relay_allocation_get_additional_relayed_address:
 * @self: an allocation
 *
 * Returns: (transfer none) (nullable): the value of
 *   [property@Burrow.RelayAllocation:additional-relayed-address]
 *
 * Since: 0.1
 */
GInetSocketAddress *
burrow_relay_allocation_get_additional_relayed_address (BurrowRelayAllocation *self)
{
  g_return_val_if_fail (BURROW_IS_RELAY_ALLOCATION (self), NULL);
  return self->additional;
}

/**
 * burrow_relay_allocation_get_mapped_address:
 * @self: an allocation
 *
 * Returns: (transfer none) (nullable): the value of
 *   [property@Burrow.RelayAllocation:mapped-address]
 *
 * Since: 0.1
 */
GInetSocketAddress *
burrow_relay_allocation_get_mapped_address (BurrowRelayAllocation *self)
{
  g_return_val_if_fail (BURROW_IS_RELAY_ALLOCATION (self), NULL);
  return self->mapped;
}

/**
 * burrow_relay_allocation_get_server:
 * @self: an allocation
 *
 * Returns: (transfer none): the value of
 *   [property@Burrow.RelayAllocation:server]
 *
 * Since: 0.1
 */
GInetSocketAddress *
burrow_relay_allocation_get_server (BurrowRelayAllocation *self)
{
  g_return_val_if_fail (BURROW_IS_RELAY_ALLOCATION (self), NULL);
  return self->server;
}

/**
 * burrow_relay_allocation_get_lifetime:
 * @self: an allocation
 *
 * Returns: the value of [property@Burrow.RelayAllocation:lifetime]
 *
 * Since: 0.1
 */
guint
burrow_relay_allocation_get_lifetime (BurrowRelayAllocation *self)
{
  g_return_val_if_fail (BURROW_IS_RELAY_ALLOCATION (self), 0);
  return self->lifetime;
}

/**
 * burrow_relay_allocation_get_expires_at:
 * @self: an allocation
 *
 * Returns: (transfer full): the value of
 *   [property@Burrow.RelayAllocation:expires-at]
 *
 * Since: 0.1
 */
GDateTime *
burrow_relay_allocation_get_expires_at (BurrowRelayAllocation *self)
{
  g_return_val_if_fail (BURROW_IS_RELAY_ALLOCATION (self), NULL);
  return g_date_time_new_from_unix_utc (self->expires_real / G_USEC_PER_SEC);
}

/**
 * burrow_relay_allocation_get_reservation_token:
 * @self: an allocation
 *
 * Returns: the value of [property@Burrow.RelayAllocation:reservation-token]
 *
 * Since: 0.1
 */
guint64
burrow_relay_allocation_get_reservation_token (BurrowRelayAllocation *self)
{
  g_return_val_if_fail (BURROW_IS_RELAY_ALLOCATION (self), 0);
  return self->token;
}

/**
 * burrow_relay_allocation_get_state:
 * @self: an allocation
 *
 * Returns: the value of [property@Burrow.RelayAllocation:state]
 *
 * Since: 0.1
 */
BurrowRelayState
burrow_relay_allocation_get_state (BurrowRelayAllocation *self)
{
  g_return_val_if_fail (BURROW_IS_RELAY_ALLOCATION (self), BURROW_RELAY_STATE_FAILED);
  return self->state;
}

/**
 * burrow_relay_allocation_get_auto_refresh:
 * @self: an allocation
 *
 * Returns: the value of [property@Burrow.RelayAllocation:auto-refresh]
 *
 * Since: 0.1
 */
gboolean
burrow_relay_allocation_get_auto_refresh (BurrowRelayAllocation *self)
{
  g_return_val_if_fail (BURROW_IS_RELAY_ALLOCATION (self), FALSE);
  return self->auto_refresh;
}

/**
 * burrow_relay_allocation_set_auto_refresh:
 * @self: an allocation
 * @auto_refresh: whether to refresh before expiry
 *
 * Sets [property@Burrow.RelayAllocation:auto-refresh].
 *
 * Since: 0.1
 */
void
burrow_relay_allocation_set_auto_refresh (BurrowRelayAllocation *self, gboolean auto_refresh)
{
  gint64 left_ms;

  g_return_if_fail (BURROW_IS_RELAY_ALLOCATION (self));
  auto_refresh = !!auto_refresh;
  if (self->auto_refresh == auto_refresh)
    return;
  self->auto_refresh = auto_refresh;
  burrow_relay_allocation_stop_timer (&self->refresh_timer);
  if (auto_refresh && self->state == BURROW_RELAY_STATE_ALLOCATED) {
    left_ms = (self->expires_mono - g_get_monotonic_time ()) / 1000;
    self->refresh_timer = start_timer (self, (guint64) MAX (left_ms / 2, 0), refresh_timer_cb,
        "[burrow] TURN allocation refresh");
  }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AUTO_REFRESH]);
}

/**
 * burrow_relay_allocation_get_auto_bind_channels:
 * @self: an allocation
 *
 * Returns: the value of [property@Burrow.RelayAllocation:auto-bind-channels]
 *
 * Since: 0.1
 */
gboolean
burrow_relay_allocation_get_auto_bind_channels (BurrowRelayAllocation *self)
{
  g_return_val_if_fail (BURROW_IS_RELAY_ALLOCATION (self), FALSE);
  return self->auto_bind;
}

/**
 * burrow_relay_allocation_set_auto_bind_channels:
 * @self: an allocation
 * @auto_bind: whether to bind channels for peers that see traffic
 *
 * Sets [property@Burrow.RelayAllocation:auto-bind-channels].
 *
 * Since: 0.1
 */
void
burrow_relay_allocation_set_auto_bind_channels (BurrowRelayAllocation *self, gboolean auto_bind)
{
  g_return_if_fail (BURROW_IS_RELAY_ALLOCATION (self));
  auto_bind = !!auto_bind;
  if (self->auto_bind == auto_bind)
    return;
  self->auto_bind = auto_bind;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AUTO_BIND_CHANNELS]);
}

/**
 * burrow_relay_allocation_get_dropped_packets:
 * @self: an allocation
 *
 * Returns: the value of [property@Burrow.RelayAllocation:dropped-packets]
 *
 * Since: 0.1
 */
guint64
burrow_relay_allocation_get_dropped_packets (BurrowRelayAllocation *self)
{
  g_return_val_if_fail (BURROW_IS_RELAY_ALLOCATION (self), 0);
  return self->dropped;
}
