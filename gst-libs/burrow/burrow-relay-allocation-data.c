/* burrow-relay-allocation-data.c: permissions, channels and relayed data
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * RFC 8656 sections 9 to 12: CreatePermission for one or many peers,
 * ChannelBind, Send indications and ChannelData out; Data indications and
 * ChannelData in, delivered only for permitted peers.
 */
#include "config.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "burrow-turn"

#include <string.h>

#include "burrow-error.h"
#include "burrow-sync-private.h"
#include "burrow-relay-allocation-private.h"
#include "stun/burrow-stun-private.h"

#define SIGNALS burrow_relay_allocation_signals
/* the largest payload a ChannelData or a Send indication can carry */
#define MAX_PAYLOAD (65535 - 36)
/* channels bound automatically, at most */
#define MAX_AUTO_CHANNELS 64
/* refresh permissions (300 s) after 180 s, so that with the 30 s tick and
 * a full retransmission schedule they never lapse; channels (600 s) after
 * half their time */
#define PERMISSION_REFRESH_US (180 * G_USEC_PER_SEC)
#define CHANNEL_REFRESH_US (300 * G_USEC_PER_SEC)

typedef struct {
  guint id;
  BurrowPeerKey key;              /* port 0: any port */
  gboolean any_peer;
  BurrowRelayDataFunc func;
  gpointer user_data;
  GDestroyNotify notify;
} Subscription;

typedef struct {
  GInetSocketAddress *peer;
  GBytes *data;
} Datagram;

typedef struct {
  BurrowRelayAllocation *self;
  GTask *task;
  BurrowPeerKey key;
  gboolean any_peer;
  GSource *timeout;
  GSource *cancel;
} Receiver;

/* ---- peer keys ---- */

void
burrow_peer_key_init (BurrowPeerKey *key, GInetAddress *address, guint16 port)
{
  gsize len = g_inet_address_get_native_size (address);

  memset (key, 0, sizeof *key);
  key->addr_len = (guint8) MIN (len, sizeof key->addr);
  memcpy (key->addr, g_inet_address_to_bytes (address), key->addr_len);
  key->port = port;
}

static void
peer_key_from_socket_address (BurrowPeerKey *key, GInetSocketAddress *peer)
{
  burrow_peer_key_init (key, g_inet_socket_address_get_address (peer),
      g_inet_socket_address_get_port (peer));
}

guint
burrow_peer_key_hash (gconstpointer key)
{
  const BurrowPeerKey *k = key;
  guint h = k->port;
  guint i;

  for (i = 0; i < k->addr_len; i++)
    h = h * 31 + k->addr[i];
  return h;
}

gboolean
burrow_peer_key_equal (gconstpointer a, gconstpointer b)
{
  const BurrowPeerKey *ka = a, *kb = b;

  return ka->port == kb->port && ka->addr_len == kb->addr_len &&
      memcmp (ka->addr, kb->addr, ka->addr_len) == 0;
}

static gboolean
key_matches (const BurrowPeerKey *filter, gboolean any_peer, const BurrowPeerKey *peer)
{
  if (any_peer)
    return TRUE;
  return filter->addr_len == peer->addr_len &&
      memcmp (filter->addr, peer->addr, peer->addr_len) == 0 &&
      (filter->port == 0 || filter->port == peer->port);
}

static gchar *
peer_to_string (GInetSocketAddress *peer)
{
  return burrow_socket_address_to_string (G_SOCKET_ADDRESS (peer));
}

/* ---- setup and teardown ---- */

static void
permission_free (BurrowPermission *p)
{
  g_clear_object (&p->address);
  g_free (p);
}

static void
channel_free (BurrowChannel *c)
{
  g_clear_object (&c->peer);
  g_free (c);
}

static void
subscription_free (Subscription *s)
{
  if (s->notify)
    s->notify (s->user_data);
  g_free (s);
}

static void
datagram_free (Datagram *d)
{
  g_object_unref (d->peer);
  g_bytes_unref (d->data);
  g_free (d);
}

void
burrow_relay_allocation_data_init (BurrowRelayAllocation *self)
{
  self->permissions = g_hash_table_new_full (burrow_peer_key_hash, burrow_peer_key_equal,
      NULL, (GDestroyNotify) permission_free);
  self->channels = g_hash_table_new_full (burrow_peer_key_hash, burrow_peer_key_equal,
      NULL, (GDestroyNotify) channel_free);
  self->channel_numbers = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->subscriptions = g_ptr_array_new_with_free_func ((GDestroyNotify) subscription_free);
  self->next_channel = BURROW_TURN_CHANNEL_MIN;
  for (guint i = 0; i < sizeof self->tid_prefix; i++)
    self->tid_prefix[i] = (guint8) g_random_int ();
  g_queue_init (&self->queue);
  g_queue_init (&self->receivers);
}

static void
receiver_finish (Receiver *r, Datagram *d, GError *error)
{
  g_queue_remove (&r->self->receivers, r);
  if (r->timeout)
    g_source_destroy (r->timeout);
  g_clear_pointer (&r->timeout, g_source_unref);
  if (r->cancel)
    g_source_destroy (r->cancel);
  g_clear_pointer (&r->cancel, g_source_unref);
  if (d) {
    g_object_set_data_full (G_OBJECT (r->task), "burrow-from", g_object_ref (d->peer),
        g_object_unref);
    g_task_return_pointer (r->task, g_bytes_ref (d->data), (GDestroyNotify) g_bytes_unref);
  } else {
    g_task_return_error (r->task, error);
  }
  g_object_unref (r->task);
  g_free (r);
}

void
burrow_relay_allocation_data_stop (BurrowRelayAllocation *self, const GError *error)
{
  Receiver *r;

  while ((r = g_queue_peek_head (&self->receivers)) != NULL)
    receiver_finish (r, NULL, g_error_copy (error));
}

void
burrow_relay_allocation_data_clear (BurrowRelayAllocation *self)
{
  g_autoptr(GError) error = g_error_new_literal (BURROW_TURN_ERROR,
      BURROW_TURN_ERROR_NO_ALLOCATION, "The TURN allocation was released");

  burrow_relay_allocation_data_stop (self, error);
  g_queue_clear_full (&self->queue, (GDestroyNotify) datagram_free);
  g_ptr_array_set_size (self->subscriptions, 0);
  g_hash_table_remove_all (self->channel_numbers);
  g_hash_table_remove_all (self->channels);
  g_hash_table_remove_all (self->permissions);
}

/* ---- permissions ---- */

/**
 * burrow_relay_allocation_get_permissions:
 * @self: an allocation
 *
 * Returns: (transfer full) (element-type GInetAddress): the addresses the
 *   allocation has a permission for
 *
 * Since: 0.1
 */
GPtrArray *
burrow_relay_allocation_get_permissions (BurrowRelayAllocation *self)
{
  GPtrArray *peers = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  BurrowPermission *p;

  g_return_val_if_fail (BURROW_IS_RELAY_ALLOCATION (self), peers);
  g_hash_table_iter_init (&iter, self->permissions);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &p))
    if (p->refreshed_at != 0)
      g_ptr_array_add (peers, g_object_ref (p->address));
  return peers;
}

static BurrowPermission *
lookup_permission (BurrowRelayAllocation *self, const guint8 *addr, guint8 addr_len)
{
  BurrowPeerKey key = { .addr_len = addr_len, .port = 0 };
  BurrowPermission *p;

  memcpy (key.addr, addr, addr_len);
  p = g_hash_table_lookup (self->permissions, &key);
  return p && p->refreshed_at != 0 ? p : NULL;
}

/**
 * burrow_relay_allocation_has_permission:
 * @self: an allocation
 * @peer: a peer's IP address
 *
 * Returns: whether the server confirmed a permission for @peer
 *
 * Since: 0.1
 */
gboolean
burrow_relay_allocation_has_permission (BurrowRelayAllocation *self, GInetAddress *peer)
{
  BurrowPeerKey key;

  g_return_val_if_fail (BURROW_IS_RELAY_ALLOCATION (self), FALSE);
  g_return_val_if_fail (G_IS_INET_ADDRESS (peer), FALSE);
  burrow_peer_key_init (&key, peer, 0);
  return lookup_permission (self, key.addr, key.addr_len) != NULL;
}

static void
permission_confirm (BurrowRelayAllocation *self, GInetAddress *address)
{
  BurrowPeerKey key;
  BurrowPermission *p;
  gboolean added;

  burrow_peer_key_init (&key, address, 0);
  p = g_hash_table_lookup (self->permissions, &key);
  if (p == NULL) {
    p = g_new0 (BurrowPermission, 1);
    p->key = key;
    p->address = g_object_ref (address);
    g_hash_table_insert (self->permissions, &p->key, p);
  }
  added = p->refreshed_at == 0;
  p->refreshed_at = g_get_monotonic_time ();
  if (added)
    burrow_relay_allocation_notify_permissions (self);
}

typedef struct {
  GPtrArray *peers;               /* GInetAddress */
} PermissionData;

static void
permission_data_free (PermissionData *data)
{
  g_ptr_array_unref (data->peers);
  g_free (data);
}

static void
build_create_permission (BurrowStunMessage *msg, gpointer user_data)
{
  PermissionData *data = user_data;
  guint i;

  /* the port of XOR-PEER-ADDRESS is ignored (RFC 8656 section 9) */
  for (i = 0; i < data->peers->len; i++) {
    g_autoptr(GSocketAddress) sa = g_inet_socket_address_new (data->peers->pdata[i], 0);

    burrow_stun_message_add_address (msg, BURROW_STUN_ATTRIBUTE_XOR_PEER_ADDRESS,
        G_INET_SOCKET_ADDRESS (sa));
  }
}

static void
create_permissions_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  BurrowRelayAllocation *self = g_task_get_source_object (task);
  PermissionData *data = g_task_get_task_data (task);
  g_autoptr(BurrowStunMessage) response = NULL;
  GError *error = NULL;
  guint i;

  response = burrow_turn_client_request_finish (BURROW_TURN_CLIENT (source), result, &error);
  if (response && burrow_stun_message_get_message_class (response) ==
      BURROW_STUN_CLASS_ERROR_RESPONSE)
    error = burrow_turn_client_error_from_response (self->client, response,
        "the permission");
  if (error == NULL)
    burrow_relay_allocation_check_alive (self, &error);
  if (error) {
    g_task_return_error (task, error);
    return;
  }
  for (i = 0; i < data->peers->len; i++)
    permission_confirm (self, data->peers->pdata[i]);
  g_task_return_boolean (task, TRUE);
}

static void
send_create_permission (BurrowRelayAllocation *self, GPtrArray *peers, GTask *task)
{
  PermissionData *data = g_new0 (PermissionData, 1);
  guint i;

  data->peers = g_ptr_array_new_full (peers->len, g_object_unref);
  for (i = 0; i < peers->len; i++)
    g_ptr_array_add (data->peers, g_object_ref (peers->pdata[i]));
  g_task_set_task_data (task, data, (GDestroyNotify) permission_data_free);
  burrow_turn_client_request_async (self->client, BURROW_STUN_METHOD_CREATE_PERMISSION,
      build_create_permission, data, NULL, g_task_get_cancellable (task),
      create_permissions_cb, task);
}

/**
 * burrow_relay_allocation_create_permissions_async:
 * @self: an allocation
 * @peers: (array length=n_peers): the peers' IP addresses
 * @n_peers: how many peers
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called when the server answered
 * @user_data: data for @callback
 *
 * Installs or refreshes permissions for several peers in one
 * CreatePermission request. A permission covers every port of an address;
 * only permitted peers can send to the relayed address, and only they can
 * be sent to. Permissions are refreshed automatically while the allocation
 * lives.
 *
 * Since: 0.1
 */
void
burrow_relay_allocation_create_permissions_async (BurrowRelayAllocation *self,
    GInetAddress **peers, guint n_peers, GCancellable *cancellable,
    GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;
  g_autoptr(GPtrArray) list = NULL;
  GError *error = NULL;
  guint i;

  g_return_if_fail (BURROW_IS_RELAY_ALLOCATION (self));
  g_return_if_fail (peers != NULL || n_peers == 0);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, burrow_relay_allocation_create_permissions_async);
  if (n_peers == 0 || n_peers > 64)
    g_set_error (&error, BURROW_TURN_ERROR, BURROW_TURN_ERROR_INVALID_ARGUMENT,
        "A permission request takes 1 to 64 peers, not %u", n_peers);
  else
    burrow_relay_allocation_check_alive (self, &error);
  if (error) {
    g_task_return_error (task, error);
    g_object_unref (task);
    return;
  }
  list = g_ptr_array_new_with_free_func (g_object_unref);
  for (i = 0; i < n_peers; i++)
    g_ptr_array_add (list, g_object_ref (peers[i]));
  send_create_permission (self, list, task);
}

/**
 * burrow_relay_allocation_create_permissions_finish:
 * @self: an allocation
 * @result: the result passed to the callback
 * @error: return location for a [error@Burrow.TurnError]
 *
 * Finishes [method@Burrow.RelayAllocation.create_permissions_async].
 *
 * Returns: %TRUE if the server installed the permissions
 *
 * Since: 0.1
 */
gboolean
burrow_relay_allocation_create_permissions_finish (BurrowRelayAllocation *self,
    GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * burrow_relay_allocation_create_permission_async:
 * @self: an allocation
 * @peer: the peer's IP address
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called when the server answered
 * @user_data: data for @callback
 *
 * Installs or refreshes the permission for one peer; see
 * [method@Burrow.RelayAllocation.create_permissions_async].
 *
 * Since: 0.1
 */
void
burrow_relay_allocation_create_permission_async (BurrowRelayAllocation *self,
    GInetAddress *peer, GCancellable *cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  g_return_if_fail (G_IS_INET_ADDRESS (peer));
  burrow_relay_allocation_create_permissions_async (self, &peer, 1, cancellable, callback,
      user_data);
}

/**
 * burrow_relay_allocation_create_permission_finish:
 * @self: an allocation
 * @result: the result passed to the callback
 * @error: return location for a [error@Burrow.TurnError]
 *
 * Finishes [method@Burrow.RelayAllocation.create_permission_async].
 *
 * Returns: %TRUE if the server installed the permission
 *
 * Since: 0.1
 */
gboolean
burrow_relay_allocation_create_permission_finish (BurrowRelayAllocation *self,
    GAsyncResult *result, GError **error)
{
  return burrow_relay_allocation_create_permissions_finish (self, result, error);
}

typedef struct {
  BurrowRelayAllocation *self;
  GInetAddress **peers;
  guint n_peers;
  GInetSocketAddress *peer;
  guint timeout_ms;
} SyncArgs;

static void
permissions_sync_start (gpointer source, GCancellable *cancellable,
    GAsyncReadyCallback callback, gpointer user_data)
{
  SyncArgs *args = source;

  burrow_relay_allocation_create_permissions_async (args->self, args->peers, args->n_peers,
      cancellable, callback, user_data);
}

/**
 * burrow_relay_allocation_create_permissions_sync:
 * @self: an allocation
 * @peers: (array length=n_peers): the peers' IP addresses
 * @n_peers: how many peers
 * @cancellable: (nullable): a cancellable
 * @error: return location for a [error@Burrow.TurnError]
 *
 * Blocking form of [method@Burrow.RelayAllocation.create_permissions_async].
 *
 * Returns: %TRUE if the server installed the permissions
 *
 * Since: 0.1
 */
gboolean
burrow_relay_allocation_create_permissions_sync (BurrowRelayAllocation *self,
    GInetAddress **peers, guint n_peers, GCancellable *cancellable, GError **error)
{
  SyncArgs args = { self, peers, n_peers, NULL, 0 };
  g_autoptr(GAsyncResult) result = NULL;

  g_return_val_if_fail (BURROW_IS_RELAY_ALLOCATION (self), FALSE);
  result = burrow_run_sync (burrow_turn_client_get_context (self->client), &args,
      permissions_sync_start, cancellable);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * burrow_relay_allocation_create_permission_sync:
 * @self: an allocation
 * @peer: the peer's IP address
 * @cancellable: (nullable): a cancellable
 * @error: return location for a [error@Burrow.TurnError]
 *
 * Blocking form of [method@Burrow.RelayAllocation.create_permission_async].
 *
 * Returns: %TRUE if the server installed the permission
 *
 * Since: 0.1
 */
gboolean
burrow_relay_allocation_create_permission_sync (BurrowRelayAllocation *self,
    GInetAddress *peer, GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (G_IS_INET_ADDRESS (peer), FALSE);
  return burrow_relay_allocation_create_permissions_sync (self, &peer, 1, cancellable, error);
}

/* ---- channels ---- */

/**
 * burrow_relay_allocation_get_channel:
 * @self: an allocation
 * @peer: a peer
 *
 * Returns: the number of the channel bound to @peer, or 0 if none is
 *   bound
 *
 * Since: 0.1
 */
guint16
burrow_relay_allocation_get_channel (BurrowRelayAllocation *self, GInetSocketAddress *peer)
{
  BurrowPeerKey key;
  BurrowChannel *c;

  g_return_val_if_fail (BURROW_IS_RELAY_ALLOCATION (self), 0);
  g_return_val_if_fail (G_IS_INET_SOCKET_ADDRESS (peer), 0);
  peer_key_from_socket_address (&key, peer);
  c = g_hash_table_lookup (self->channels, &key);
  return c && c->bound ? c->number : 0;
}

static BurrowChannel *
channel_for_peer (BurrowRelayAllocation *self, GInetSocketAddress *peer, GError **error)
{
  BurrowPeerKey key;
  BurrowChannel *c;
  guint tries;

  peer_key_from_socket_address (&key, peer);
  c = g_hash_table_lookup (self->channels, &key);
  if (c)
    return c;
  for (tries = 0; tries <= BURROW_TURN_CHANNEL_MAX - BURROW_TURN_CHANNEL_MIN; tries++) {
    guint16 number = self->next_channel;

    self->next_channel = number == BURROW_TURN_CHANNEL_MAX ? BURROW_TURN_CHANNEL_MIN : number + 1;
    if (g_hash_table_contains (self->channel_numbers, GUINT_TO_POINTER (number)))
      continue;
    c = g_new0 (BurrowChannel, 1);
    c->key = key;
    c->number = number;
    c->peer = g_object_ref (peer);
    g_hash_table_insert (self->channels, &c->key, c);
    g_hash_table_insert (self->channel_numbers, GUINT_TO_POINTER (number), c);
    return c;
  }
  g_set_error_literal (error, BURROW_TURN_ERROR, BURROW_TURN_ERROR_INVALID_ARGUMENT,
      "Every TURN channel number is in use");
  return NULL;
}

static void
channel_remove (BurrowRelayAllocation *self, BurrowChannel *c)
{
  g_hash_table_remove (self->channel_numbers, GUINT_TO_POINTER (c->number));
  g_hash_table_remove (self->channels, &c->key);
}

static void
build_channel_bind (BurrowStunMessage *msg, gpointer user_data)
{
  BurrowChannel *c = user_data;

  burrow_stun_message_add_uint32 (msg, BURROW_STUN_ATTRIBUTE_CHANNEL_NUMBER,
      (guint32) c->number << 16);
  burrow_stun_message_add_address (msg, BURROW_STUN_ATTRIBUTE_XOR_PEER_ADDRESS, c->peer);
}

typedef struct {
  guint16 number;
  BurrowPeerKey key;
  BurrowChannel copy;             /* what build_channel_bind reads */
} BindData;

static void
bind_data_free (BindData *data)
{
  g_clear_object (&data->copy.peer);
  g_free (data);
}

static void
bind_channel_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  BurrowRelayAllocation *self = g_task_get_source_object (task);
  BindData *data = g_task_get_task_data (task);
  g_autoptr(BurrowStunMessage) response = NULL;
  BurrowChannel *c;
  GError *error = NULL;

  response = burrow_turn_client_request_finish (BURROW_TURN_CLIENT (source), result, &error);
  if (response && burrow_stun_message_get_message_class (response) ==
      BURROW_STUN_CLASS_ERROR_RESPONSE)
    error = burrow_turn_client_error_from_response (self->client, response,
        "the channel binding");
  c = g_hash_table_lookup (self->channels, &data->key);
  if (c == NULL || c->number != data->number) {
    g_task_return_new_error (task, BURROW_TURN_ERROR, BURROW_TURN_ERROR_NO_ALLOCATION,
        "The TURN allocation was released during the channel binding");
    g_clear_error (&error);
    return;
  }
  c->binding = FALSE;
  if (error) {
    if (!c->bound)
      channel_remove (self, c);
    g_task_return_error (task, error);
    return;
  }
  c->bound = TRUE;
  c->bound_at = g_get_monotonic_time ();
  /* a channel binding installs or refreshes the permission (section 11.2) */
  permission_confirm (self, g_inet_socket_address_get_address (data->copy.peer));
  g_task_return_int (task, c->number);
}

static void
send_channel_bind (BurrowRelayAllocation *self, BurrowChannel *c, GTask *task)
{
  BindData *data = g_new0 (BindData, 1);

  data->number = c->number;
  data->key = c->key;
  data->copy.number = c->number;
  data->copy.peer = g_object_ref (c->peer);
  c->binding = TRUE;
  g_task_set_task_data (task, data, (GDestroyNotify) bind_data_free);
  burrow_turn_client_request_async (self->client, BURROW_STUN_METHOD_CHANNEL_BIND,
      build_channel_bind, &data->copy, NULL, g_task_get_cancellable (task), bind_channel_cb,
      task);
}

/**
 * burrow_relay_allocation_bind_channel_async:
 * @self: an allocation
 * @peer: the peer
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called when the server answered
 * @user_data: data for @callback
 *
 * Binds a channel (0x4000 to 0x4FFF) to @peer, or refreshes the binding it
 * has. Data to and from the peer then travels as ChannelData, with a 4-byte
 * header. A binding also installs the permission for the peer's address.
 * Bindings are refreshed automatically while the allocation lives.
 *
 * Since: 0.1
 */
void
burrow_relay_allocation_bind_channel_async (BurrowRelayAllocation *self,
    GInetSocketAddress *peer, GCancellable *cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  GTask *task;
  BurrowChannel *c = NULL;
  GError *error = NULL;

  g_return_if_fail (BURROW_IS_RELAY_ALLOCATION (self));
  g_return_if_fail (G_IS_INET_SOCKET_ADDRESS (peer));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, burrow_relay_allocation_bind_channel_async);
  if (burrow_relay_allocation_check_alive (self, &error))
    c = channel_for_peer (self, peer, &error);
  if (c == NULL) {
    g_task_return_error (task, error);
    g_object_unref (task);
    return;
  }
  send_channel_bind (self, c, task);
}

/**
 * burrow_relay_allocation_bind_channel_finish:
 * @self: an allocation
 * @result: the result passed to the callback
 * @error: return location for a [error@Burrow.TurnError]
 *
 * Finishes [method@Burrow.RelayAllocation.bind_channel_async].
 *
 * Returns: the channel number, or 0 on error
 *
 * Since: 0.1
 */
guint16
burrow_relay_allocation_bind_channel_finish (BurrowRelayAllocation *self, GAsyncResult *result,
    GError **error)
{
  gssize number;

  g_return_val_if_fail (g_task_is_valid (result, self), 0);
  number = g_task_propagate_int (G_TASK (result), error);
  return number < 0 ? 0 : (guint16) number;
}

static void
bind_sync_start (gpointer source, GCancellable *cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  SyncArgs *args = source;

  burrow_relay_allocation_bind_channel_async (args->self, args->peer, cancellable, callback,
      user_data);
}

/**
 * burrow_relay_allocation_bind_channel_sync:
 * @self: an allocation
 * @peer: the peer
 * @cancellable: (nullable): a cancellable
 * @error: return location for a [error@Burrow.TurnError]
 *
 * Blocking form of [method@Burrow.RelayAllocation.bind_channel_async].
 *
 * Returns: the channel number, or 0 on error
 *
 * Since: 0.1
 */
guint16
burrow_relay_allocation_bind_channel_sync (BurrowRelayAllocation *self, GInetSocketAddress *peer,
    GCancellable *cancellable, GError **error)
{
  SyncArgs args = { self, NULL, 0, peer, 0 };
  g_autoptr(GAsyncResult) result = NULL;

  g_return_val_if_fail (BURROW_IS_RELAY_ALLOCATION (self), 0);
  result = burrow_run_sync (burrow_turn_client_get_context (self->client), &args,
      bind_sync_start, cancellable);
  return burrow_relay_allocation_bind_channel_finish (self, result, error);
}

static void
background_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error) && error)
    g_debug ("background %s failed: %s", (const gchar *) user_data, error->message);
}

static void
background_bind_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  if (burrow_relay_allocation_bind_channel_finish (BURROW_RELAY_ALLOCATION (source), result,
          &error) == 0)
    g_debug ("background channel binding failed: %s", error->message);
}

static void
auto_bind (BurrowRelayAllocation *self, GInetSocketAddress *peer)
{
  BurrowPeerKey key;
  BurrowChannel *c;

  peer_key_from_socket_address (&key, peer);
  c = g_hash_table_lookup (self->channels, &key);
  /* a permitted address could otherwise make us bind a channel for each
   * of its ports */
  if (c == NULL && g_hash_table_size (self->channels) >= MAX_AUTO_CHANNELS)
    return;
  if (c == NULL || (!c->bound && !c->binding))
    burrow_relay_allocation_bind_channel_async (self, peer, NULL, background_bind_cb, NULL);
}

void
burrow_relay_allocation_maintain (BurrowRelayAllocation *self)
{
  g_autoptr(GPtrArray) due = g_ptr_array_new_with_free_func (g_object_unref);
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  BurrowPermission *p;
  BurrowChannel *c;

  if (self->state != BURROW_RELAY_STATE_ALLOCATED)
    return;
  g_hash_table_iter_init (&iter, self->permissions);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &p)) {
    if (p->refreshed_at == 0 || now - p->refreshed_at < PERMISSION_REFRESH_US)
      continue;
    g_ptr_array_add (due, g_object_ref (p->address));
    /* one request per 64 peers */
    if (due->len == 64) {
      send_create_permission (self, due, g_task_new (self, NULL, background_done_cb,
          (gpointer) "permission refresh"));
      g_ptr_array_set_size (due, 0);
    }
  }
  if (due->len > 0)
    send_create_permission (self, due, g_task_new (self, NULL, background_done_cb,
        (gpointer) "permission refresh"));
  g_hash_table_iter_init (&iter, self->channels);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &c))
    if (c->bound && !c->binding && now - c->bound_at >= CHANNEL_REFRESH_US)
      send_channel_bind (self, c, g_task_new (self, NULL, background_bind_cb, NULL));
}

/* ---- sending ---- */

/* A Send indication's header, XOR-PEER-ADDRESS and DATA header, written
 * by hand: the data path allocates nothing and draws no random bytes per
 * datagram (RFC 8656 section 10.1; the payload and its padding follow). */
static gsize
encode_send_indication (BurrowRelayAllocation *self, guint8 *out, GInetSocketAddress *peer,
    gsize len)
{
  GInetAddress *ip = g_inet_socket_address_get_address (peer);
  gsize alen = MIN (g_inet_address_get_native_size (ip), 16);
  const guint8 *addr = g_inet_address_to_bytes (ip);
  guint8 *attr = out + 20, *data_attr;
  gsize i;

  burrow_stun_write16 (out, 0x0016);  /* Send, indication class */
  burrow_stun_write16 (out + 2, (guint16) (4 + 4 + alen + 4 + BURROW_STUN_PADDED (len)));
  burrow_stun_write32 (out + 4, BURROW_STUN_MAGIC_COOKIE);
  memcpy (out + 8, self->tid_prefix, 8);
  burrow_stun_write32 (out + 16, self->tid_counter++);
  burrow_stun_write16 (attr, BURROW_STUN_ATTRIBUTE_XOR_PEER_ADDRESS);
  burrow_stun_write16 (attr + 2, (guint16) (4 + alen));
  attr[4] = 0;
  attr[5] = alen == 4 ? 0x01 : 0x02;
  burrow_stun_write16 (attr + 6, g_inet_socket_address_get_port (peer) ^
      (BURROW_STUN_MAGIC_COOKIE >> 16));
  /* the mask is the magic cookie followed by the transaction id */
  for (i = 0; i < alen; i++)
    attr[8 + i] = addr[i] ^ out[4 + i];
  data_attr = attr + 8 + alen;
  burrow_stun_write16 (data_attr, BURROW_STUN_ATTRIBUTE_DATA);
  burrow_stun_write16 (data_attr + 2, (guint16) len);
  return (gsize) (data_attr + 4 - out);
}

/**
 * burrow_relay_allocation_send_data:
 * @self: an allocation
 * @peer: the peer to send to
 * @data: (array length=len): the payload
 * @len: its length, at most 65499 bytes
 * @error: return location for a [error@Burrow.TurnError]
 *
 * Sends one datagram to @peer through the relay, as ChannelData when a
 * channel is bound to @peer and as a Send indication otherwise. Like UDP,
 * delivery is not confirmed.
 *
 * Returns: %TRUE if the datagram was sent; %FALSE with
 *   %BURROW_TURN_ERROR_NO_PERMISSION when there is no permission for the
 *   peer's address
 *
 * Since: 0.1
 */
gboolean
burrow_relay_allocation_send_data (BurrowRelayAllocation *self, GInetSocketAddress *peer,
    const guint8 *data, gsize len, GError **error)
{
  BurrowPeerKey key;
  BurrowChannel *c;
  BurrowStunEndpoint *endpoint;

  g_return_val_if_fail (BURROW_IS_RELAY_ALLOCATION (self), FALSE);
  g_return_val_if_fail (G_IS_INET_SOCKET_ADDRESS (peer), FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);

  if (!burrow_relay_allocation_check_alive (self, error))
    return FALSE;
  if (len > MAX_PAYLOAD) {
    g_set_error (error, BURROW_TURN_ERROR, BURROW_TURN_ERROR_INVALID_ARGUMENT,
        "%" G_GSIZE_FORMAT " bytes do not fit in one relayed datagram (at most %u)",
        len, MAX_PAYLOAD);
    return FALSE;
  }
  peer_key_from_socket_address (&key, peer);
  c = g_hash_table_lookup (self->channels, &key);
  if ((c == NULL || !c->bound) && lookup_permission (self, key.addr, key.addr_len) == NULL) {
    g_autofree gchar *name = peer_to_string (peer);

    g_set_error (error, BURROW_TURN_ERROR, BURROW_TURN_ERROR_NO_PERMISSION,
        "The TURN allocation has no permission for %s; create one first", name);
    return FALSE;
  }
  endpoint = burrow_turn_client_get_endpoint (self->client);
  if (c && c->bound) {
    guint8 header[4];
    GOutputVector vectors[2] = { { header, 4 }, { data, len } };

    burrow_stun_write16 (header, c->number);
    burrow_stun_write16 (header + 2, (guint16) len);
    return burrow_stun_endpoint_send_vectors (endpoint, G_SOCKET_ADDRESS (self->server),
        vectors, 2, error);
  }
  if (self->auto_bind)
    auto_bind (self, peer);
  {
    static const guint8 zeros[4] = { 0 };
    guint8 header[20 + 24 + 4];
    gsize header_len = encode_send_indication (self, header, peer, len);
    GOutputVector vectors[3] = {
      { header, header_len }, { data, len }, { zeros, BURROW_STUN_PADDED (len) - len } };

    return burrow_stun_endpoint_send_vectors (endpoint, G_SOCKET_ADDRESS (self->server),
        vectors, 3, error);
  }
}

/**
 * burrow_relay_allocation_send:
 * @self: an allocation
 * @peer: the peer to send to
 * @data: the payload
 * @error: return location for a [error@Burrow.TurnError]
 *
 * Sends one datagram to @peer; see
 * [method@Burrow.RelayAllocation.send_data].
 *
 * Returns: %TRUE if the datagram was sent
 *
 * Since: 0.1
 */
gboolean
burrow_relay_allocation_send (BurrowRelayAllocation *self, GInetSocketAddress *peer,
    GBytes *data, GError **error)
{
  gsize len;
  const guint8 *bytes;

  g_return_val_if_fail (data != NULL, FALSE);
  bytes = g_bytes_get_data (data, &len);
  return burrow_relay_allocation_send_data (self, peer, bytes, len, error);
}

/* ---- receiving ---- */

static void
deliver (BurrowRelayAllocation *self, GInetSocketAddress *peer, const BurrowPeerKey *key,
    const guint8 *data, gsize len)
{
  g_autoptr(GBytes) bytes = g_bytes_new (data, len);
  GList *l;
  guint i;

  g_object_ref (self);
  if (g_signal_has_handler_pending (self, SIGNALS[BURROW_RELAY_SIGNAL_DATA_RECEIVED], 0, TRUE))
    g_signal_emit (self, SIGNALS[BURROW_RELAY_SIGNAL_DATA_RECEIVED], 0, peer, bytes);
  self->dispatching++;
  for (i = 0; i < self->subscriptions->len; i++) {
    Subscription *s = self->subscriptions->pdata[i];

    if (s->func && key_matches (&s->key, s->any_peer, key))
      s->func (self, peer, bytes, s->user_data);
  }
  if (--self->dispatching == 0 && self->subscriptions_removed) {
    /* compact what was unsubscribed during the callbacks */
    for (i = self->subscriptions->len; i > 0; i--)
      if (((Subscription *) self->subscriptions->pdata[i - 1])->func == NULL)
        g_ptr_array_remove_index (self->subscriptions, i - 1);
    self->subscriptions_removed = FALSE;
  }
  for (l = self->receivers.head; l; l = l->next) {
    Receiver *r = l->data;

    if (key_matches (&r->key, r->any_peer, key)) {
      Datagram d = { peer, bytes };

      receiver_finish (r, &d, NULL);
      g_object_unref (self);
      return;
    }
  }
  if (self->receiving && self->receive_queue_size > 0) {
    Datagram *d = g_new (Datagram, 1);

    d->peer = g_object_ref (peer);
    d->data = g_bytes_ref (bytes);
    g_queue_push_tail (&self->queue, d);
    while (self->queue.length > self->receive_queue_size) {
      datagram_free (g_queue_pop_head (&self->queue));
      self->dropped++;
    }
  }
  g_object_unref (self);
}

void
burrow_relay_allocation_handle_data (BurrowRelayAllocation *self, GInetSocketAddress *peer,
    const guint8 *data, gsize len)
{
  BurrowPeerKey key;

  peer_key_from_socket_address (&key, peer);
  if (self->state != BURROW_RELAY_STATE_ALLOCATED ||
      lookup_permission (self, key.addr, key.addr_len) == NULL) {
    g_debug ("dropping data from a peer without permission");
    self->dropped++;
    return;
  }
  if (self->auto_bind)
    auto_bind (self, peer);
  deliver (self, peer, &key, data, len);
}

void
burrow_relay_allocation_handle_channel_data (BurrowRelayAllocation *self, guint16 channel,
    const guint8 *data, gsize len)
{
  BurrowChannel *c = g_hash_table_lookup (self->channel_numbers, GUINT_TO_POINTER (channel));

  /* a binding on its way counts: the server may relay on it before its
   * answer to ChannelBind is handled here */
  if (c == NULL || !(c->bound || c->binding) || self->state != BURROW_RELAY_STATE_ALLOCATED) {
    g_debug ("dropping ChannelData on unbound channel 0x%04x", channel);
    self->dropped++;
    return;
  }
  deliver (self, c->peer, &c->key, data, len);
}

/**
 * burrow_relay_allocation_subscribe:
 * @self: an allocation
 * @peer: (nullable): the peer to receive from (port 0: any port of its
 *   address), or %NULL for every peer
 * @func: (scope notified) (closure user_data) (destroy notify): called for
 *   each datagram from @peer
 * @user_data: data for @func
 * @notify: (nullable): frees @user_data when the subscription ends
 *
 * Subscribes to the data of one peer: @func sees only what @peer sends.
 *
 * Returns: the subscription's id, for
 *   [method@Burrow.RelayAllocation.unsubscribe]
 *
 * Since: 0.1
 */
guint
burrow_relay_allocation_subscribe (BurrowRelayAllocation *self, GInetSocketAddress *peer,
    BurrowRelayDataFunc func, gpointer user_data, GDestroyNotify notify)
{
  Subscription *s;

  g_return_val_if_fail (BURROW_IS_RELAY_ALLOCATION (self), 0);
  g_return_val_if_fail (func != NULL, 0);
  s = g_new0 (Subscription, 1);
  s->id = ++self->next_subscription;
  if (peer)
    peer_key_from_socket_address (&s->key, peer);
  s->any_peer = peer == NULL;
  s->func = func;
  s->user_data = user_data;
  s->notify = notify;
  g_ptr_array_add (self->subscriptions, s);
  return s->id;
}

/**
 * burrow_relay_allocation_unsubscribe:
 * @self: an allocation
 * @subscription: an id from [method@Burrow.RelayAllocation.subscribe]
 *
 * Ends a subscription.
 *
 * Since: 0.1
 */
void
burrow_relay_allocation_unsubscribe (BurrowRelayAllocation *self, guint subscription)
{
  guint i;

  g_return_if_fail (BURROW_IS_RELAY_ALLOCATION (self));
  for (i = 0; i < self->subscriptions->len; i++) {
    Subscription *s = self->subscriptions->pdata[i];

    if (s->id == subscription && s->func != NULL) {
      if (self->dispatching > 0) {
        /* removed after the dispatch: the array must not shift under it */
        s->func = NULL;
        self->subscriptions_removed = TRUE;
        if (s->notify)
          s->notify (s->user_data);
        s->notify = NULL;
      } else {
        g_ptr_array_remove_index (self->subscriptions, i);
      }
      return;
    }
  }
  g_warning ("No TURN data subscription with id %u", subscription);
}

static gboolean
receiver_timeout_cb (gpointer user_data)
{
  Receiver *r = user_data;

  receiver_finish (r, NULL, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
      "No relayed data arrived in time"));
  return G_SOURCE_REMOVE;
}

static gboolean
receiver_cancelled_cb (GCancellable *cancellable, gpointer user_data)
{
  Receiver *r = user_data;

  receiver_finish (r, NULL, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
      "Operation was cancelled"));
  return G_SOURCE_REMOVE;
}

static Datagram *
take_queued (BurrowRelayAllocation *self, const BurrowPeerKey *key, gboolean any_peer)
{
  GList *l;

  for (l = self->queue.head; l; l = l->next) {
    Datagram *d = l->data;
    BurrowPeerKey dkey;

    peer_key_from_socket_address (&dkey, d->peer);
    if (key_matches (key, any_peer, &dkey)) {
      g_queue_delete_link (&self->queue, l);
      return d;
    }
  }
  return NULL;
}

/**
 * burrow_relay_allocation_receive_async:
 * @self: an allocation
 * @peer: (nullable): the peer to receive from (port 0: any port of its
 *   address), or %NULL for any peer
 * @timeout_ms: how long to wait, in milliseconds; 0 waits until cancelled
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called with the datagram
 * @user_data: data for @callback
 *
 * Receives the next datagram from @peer. From the first call on, datagrams
 * that arrive between calls are queued (up to
 * [property@Burrow.RelayAllocation:receive-queue-size]), so a loop of
 * receive calls sees every one. Fails with %G_IO_ERROR_TIMED_OUT when
 * nothing arrives in time.
 *
 * Since: 0.1
 */
void
burrow_relay_allocation_receive_async (BurrowRelayAllocation *self, GInetSocketAddress *peer,
    guint timeout_ms, GCancellable *cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  GMainContext *context;
  Receiver *r;
  Datagram *d;
  GError *error = NULL;

  g_return_if_fail (BURROW_IS_RELAY_ALLOCATION (self));
  r = g_new0 (Receiver, 1);
  r->self = self;
  r->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (r->task, burrow_relay_allocation_receive_async);
  if (peer)
    peer_key_from_socket_address (&r->key, peer);
  r->any_peer = peer == NULL;
  self->receiving = TRUE;
  g_queue_push_tail (&self->receivers, r);

  if ((d = take_queued (self, &r->key, r->any_peer)) != NULL) {
    receiver_finish (r, d, NULL);
    datagram_free (d);
    return;
  }
  if (!burrow_relay_allocation_check_alive (self, &error)) {
    receiver_finish (r, NULL, error);
    return;
  }
  context = burrow_turn_client_get_context (self->client);
  if (timeout_ms > 0) {
    r->timeout = g_timeout_source_new (timeout_ms);
    g_source_set_static_name (r->timeout, "[burrow] TURN receive timeout");
    g_source_set_callback (r->timeout, receiver_timeout_cb, r, NULL);
    g_source_attach (r->timeout, context);
  }
  if (cancellable) {
    r->cancel = g_cancellable_source_new (cancellable);
    g_source_set_static_name (r->cancel, "[burrow] TURN receive cancel");
    g_source_set_callback (r->cancel, G_SOURCE_FUNC (receiver_cancelled_cb), r, NULL);
    g_source_attach (r->cancel, context);
  }
}

/**
 * burrow_relay_allocation_receive_finish:
 * @self: an allocation
 * @result: the result passed to the callback
 * @from: (out) (optional) (transfer full): the peer that sent the datagram
 * @error: return location for an error
 *
 * Finishes [method@Burrow.RelayAllocation.receive_async].
 *
 * Returns: (transfer full): the datagram, or %NULL on error
 *
 * Since: 0.1
 */
GBytes *
burrow_relay_allocation_receive_finish (BurrowRelayAllocation *self, GAsyncResult *result,
    GInetSocketAddress **from, GError **error)
{
  GBytes *data;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  data = g_task_propagate_pointer (G_TASK (result), error);
  if (from) {
    GInetSocketAddress *peer = g_object_get_data (G_OBJECT (result), "burrow-from");

    *from = data && peer ? g_object_ref (peer) : NULL;
  }
  return data;
}

static void
receive_sync_start (gpointer source, GCancellable *cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  SyncArgs *args = source;

  burrow_relay_allocation_receive_async (args->self, args->peer, args->timeout_ms, cancellable,
      callback, user_data);
}

/**
 * burrow_relay_allocation_receive_sync:
 * @self: an allocation
 * @peer: (nullable): the peer to receive from, or %NULL for any peer
 * @timeout_ms: how long to wait, in milliseconds; 0 waits until cancelled
 * @from: (out) (optional) (transfer full): the peer that sent the datagram
 * @cancellable: (nullable): a cancellable
 * @error: return location for an error
 *
 * Blocking form of [method@Burrow.RelayAllocation.receive_async].
 *
 * Returns: (transfer full): the datagram, or %NULL on error
 *
 * Since: 0.1
 */
GBytes *
burrow_relay_allocation_receive_sync (BurrowRelayAllocation *self, GInetSocketAddress *peer,
    guint timeout_ms, GInetSocketAddress **from, GCancellable *cancellable, GError **error)
{
  SyncArgs args = { self, NULL, 0, peer, timeout_ms };
  g_autoptr(GAsyncResult) result = NULL;

  g_return_val_if_fail (BURROW_IS_RELAY_ALLOCATION (self), NULL);
  result = burrow_run_sync (burrow_turn_client_get_context (self->client), &args,
      receive_sync_start, cancellable);
  return burrow_relay_allocation_receive_finish (self, result, from, error);
}
