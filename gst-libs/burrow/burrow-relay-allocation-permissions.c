/* burrow-relay-allocation-permissions.c: permissions and channels
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * RFC 8656 sections 9 and 11: CreatePermission for one or many peers and
 * ChannelBind, and keeping both refreshed while the allocation lives.
 * The tables of permissions and channels, keyed by peer, are read by
 * burrow-relay-allocation-data.c to send and to filter what arrives.
 */
#include "config.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "burrow-turn"

#include <string.h>

#include "burrow-error.h"
#include "burrow-sync-private.h"
#include "burrow-relay-allocation-private.h"

/* channels bound automatically, at most */
#define MAX_AUTO_CHANNELS 64
/* refresh permissions (300 s) after 180 s, so that with the 30 s tick and
 * a full retransmission schedule they never lapse; channels (600 s) after
 * half their time */
#define PERMISSION_REFRESH_US (180 * G_USEC_PER_SEC)
#define CHANNEL_REFRESH_US (300 * G_USEC_PER_SEC)
/* Permissions and channels are looked after every 30 s. */
#define MAINTENANCE_INTERVAL_S 30

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

void
burrow_peer_key_from_socket_address (BurrowPeerKey *key, GInetSocketAddress *peer)
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

void
burrow_relay_allocation_permissions_init (BurrowRelayAllocation *self)
{
  self->permissions = g_hash_table_new_full (burrow_peer_key_hash, burrow_peer_key_equal,
      NULL, (GDestroyNotify) permission_free);
  self->channels = g_hash_table_new_full (burrow_peer_key_hash, burrow_peer_key_equal,
      NULL, (GDestroyNotify) channel_free);
  self->channel_numbers = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->next_channel = BURROW_TURN_CHANNEL_MIN;
}

void
burrow_relay_allocation_permissions_clear (BurrowRelayAllocation *self)
{
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

BurrowPermission *
burrow_relay_allocation_lookup_permission (BurrowRelayAllocation *self, const guint8 *addr,
    guint8 addr_len)
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
  return burrow_relay_allocation_lookup_permission (self, key.addr, key.addr_len) != NULL;
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
verify_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  /* a failure failed the allocation and emitted "error" */
  if (!burrow_relay_allocation_refresh_finish (BURROW_RELAY_ALLOCATION (source), result, &error))
    g_debug ("the allocation did not survive its check: %s", error->message);
}

/* The server refused a CreatePermission or ChannelBind. 437 says it has no
 * allocation for us any more (RFC 8656 sections 9.2 and 12.2), whatever
 * our timers say: the allocation fails, with "error". Other refusals may
 * say the same (coturn answers 400 then): a Refresh finds out, and fails
 * the allocation if it is gone. */
static void
fail_if_gone (BurrowRelayAllocation *self, const GError *error)
{
  if (error->domain != BURROW_TURN_ERROR || self->state != BURROW_RELAY_STATE_ALLOCATED)
    return;
  if (error->code == BURROW_TURN_ERROR_ALLOCATION_MISMATCH)
    burrow_relay_allocation_fail (self, g_error_copy (error));
  else if (error->code == BURROW_TURN_ERROR_BAD_REQUEST)
    burrow_relay_allocation_refresh_async (self, NULL, verify_done_cb, NULL);
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
    g_autoptr(BurrowRelayAllocation) alive = g_object_ref (self);
    g_autoptr(GError) copy = g_error_copy (error);

    g_task_return_error (task, error);
    fail_if_gone (alive, copy);
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
  SyncArgs args = { self, peers, n_peers, NULL };
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
  burrow_peer_key_from_socket_address (&key, peer);
  c = g_hash_table_lookup (self->channels, &key);
  return c && c->bound ? c->number : 0;
}

static BurrowChannel *
channel_for_peer (BurrowRelayAllocation *self, GInetSocketAddress *peer, GError **error)
{
  BurrowPeerKey key;
  BurrowChannel *c;
  guint tries;

  burrow_peer_key_from_socket_address (&key, peer);
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
    g_autoptr(BurrowRelayAllocation) alive = g_object_ref (self);
    g_autoptr(GError) copy = g_error_copy (error);

    if (!c->bound)
      channel_remove (self, c);
    g_task_return_error (task, error);
    fail_if_gone (alive, copy);
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
  SyncArgs args = { self, NULL, 0, peer };
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

void
burrow_relay_allocation_auto_bind (BurrowRelayAllocation *self, GInetSocketAddress *peer)
{
  BurrowPeerKey key;
  BurrowChannel *c;

  burrow_peer_key_from_socket_address (&key, peer);
  c = g_hash_table_lookup (self->channels, &key);
  /* a permitted address could otherwise make us bind a channel for each
   * of its ports */
  if (c == NULL && g_hash_table_size (self->channels) >= MAX_AUTO_CHANNELS)
    return;
  if (c == NULL || (!c->bound && !c->binding))
    burrow_relay_allocation_bind_channel_async (self, peer, NULL, background_bind_cb, NULL);
}

/* ---- maintenance ---- */

/* Re-sends permissions and channel bindings that are due. */
static void
maintain (BurrowRelayAllocation *self)
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

static gboolean
maintenance_timer_cb (gpointer user_data)
{
  maintain (user_data);
  return G_SOURCE_CONTINUE;
}

void
burrow_relay_allocation_start_maintenance (BurrowRelayAllocation *self)
{
  if (self->maintenance_timer != NULL)
    return;
  self->maintenance_timer = g_timeout_source_new_seconds (MAINTENANCE_INTERVAL_S);
  g_source_set_static_name (self->maintenance_timer, "[burrow] TURN permissions");
  g_source_set_callback (self->maintenance_timer, maintenance_timer_cb, self, NULL);
  g_source_attach (self->maintenance_timer, burrow_turn_client_get_context (self->client));
}

void
burrow_relay_allocation_stop_maintenance (BurrowRelayAllocation *self)
{
  burrow_relay_allocation_stop_timer (&self->maintenance_timer);
}
