/* burrow-relay-allocation-data.c: relayed data
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * RFC 8656 sections 10 to 12: Send indications and ChannelData out; Data
 * indications and ChannelData in, delivered only for permitted peers, to
 * the data-received signal, subscriptions and receive calls. Permissions
 * and channels are in burrow-relay-allocation-permissions.c.
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

/* ---- peer filters ---- */

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
  self->subscriptions = g_ptr_array_new_with_free_func ((GDestroyNotify) subscription_free);
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
  burrow_peer_key_from_socket_address (&key, peer);
  c = g_hash_table_lookup (self->channels, &key);
  if ((c == NULL || !c->bound) &&
      burrow_relay_allocation_lookup_permission (self, key.addr, key.addr_len) == NULL) {
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
    burrow_relay_allocation_auto_bind (self, peer);
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

  burrow_peer_key_from_socket_address (&key, peer);
  if (self->state != BURROW_RELAY_STATE_ALLOCATED ||
      burrow_relay_allocation_lookup_permission (self, key.addr, key.addr_len) == NULL) {
    g_debug ("dropping data from a peer without permission");
    self->dropped++;
    return;
  }
  if (self->auto_bind)
    burrow_relay_allocation_auto_bind (self, peer);
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
    burrow_peer_key_from_socket_address (&s->key, peer);
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

    burrow_peer_key_from_socket_address (&dkey, d->peer);
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
    burrow_peer_key_from_socket_address (&r->key, peer);
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

typedef struct {
  BurrowRelayAllocation *self;
  GInetSocketAddress *peer;
  guint timeout_ms;
} ReceiveArgs;

static void
receive_sync_start (gpointer source, GCancellable *cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  ReceiveArgs *args = source;

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
  ReceiveArgs args = { self, peer, timeout_ms };
  g_autoptr(GAsyncResult) result = NULL;

  g_return_val_if_fail (BURROW_IS_RELAY_ALLOCATION (self), NULL);
  result = burrow_run_sync (burrow_turn_client_get_context (self->client), &args,
      receive_sync_start, cancellable);
  return burrow_relay_allocation_receive_finish (self, result, from, error);
}
