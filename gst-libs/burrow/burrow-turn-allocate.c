/* burrow-turn-allocate.c: the Allocate transaction and TURN REST credentials
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * RFC 8656 section 7: connect, send Allocate (401 and 438 are handled by
 * the request layer), follow 300 ALTERNATE-SERVER a bounded number of times
 * without revisiting a server, and make the allocation object from the
 * success response.
 */
#include "config.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "burrow-turn"

#include <string.h>

#include "burrow-error.h"
#include "burrow-sync-private.h"
#include "burrow-turn-private.h"
#include "stun/burrow-stun-private.h"

/* REQUESTED-TRANSPORT: UDP (RFC 8656 section 18.7) */
#define PROTOCOL_UDP 17
/* address family codes of RFC 8656 section 18.8 */
#define FAMILY_IPV4 0x01
#define FAMILY_IPV6 0x02

typedef struct {
  gboolean even_port;
  gboolean reserve;
  guint64 token;
  BurrowAddressFamily family;
  guint lifetime;
  gboolean dont_fragment;
  guint redirects;
  guint mismatches;
  GPtrArray *tried;               /* GInetSocketAddress: servers tried */
} AllocateData;

static void
allocate_data_free (AllocateData *data)
{
  g_ptr_array_unref (data->tried);
  g_free (data);
}

static void
build_allocate (BurrowStunMessage *msg, gpointer user_data)
{
  AllocateData *data = user_data;
  guint8 family[4] = { 0, 0, 0, 0 };

  burrow_stun_message_add_uint32 (msg, BURROW_STUN_ATTRIBUTE_REQUESTED_TRANSPORT,
      (guint32) PROTOCOL_UDP << 24);
  if (data->lifetime)
    burrow_stun_message_add_uint32 (msg, BURROW_STUN_ATTRIBUTE_LIFETIME, data->lifetime);
  if (data->token) {
    burrow_stun_message_add_uint64 (msg, BURROW_STUN_ATTRIBUTE_RESERVATION_TOKEN, data->token);
  } else {
    if (data->even_port || data->reserve) {
      guint8 even = data->reserve ? 0x80 : 0x00;

      burrow_stun_message_add_attribute (msg, BURROW_STUN_ATTRIBUTE_EVEN_PORT, &even, 1);
    }
    if (data->family == BURROW_ADDRESS_FAMILY_IPV6) {
      family[0] = FAMILY_IPV6;
      burrow_stun_message_add_attribute (msg, BURROW_STUN_ATTRIBUTE_REQUESTED_ADDRESS_FAMILY,
          family, 4);
    } else if (data->family == BURROW_ADDRESS_FAMILY_DUAL) {
      family[0] = FAMILY_IPV6;
      burrow_stun_message_add_attribute (msg, BURROW_STUN_ATTRIBUTE_ADDITIONAL_ADDRESS_FAMILY,
          family, 4);
    }
  }
  if (data->dont_fragment)
    burrow_stun_message_add_flag (msg, BURROW_STUN_ATTRIBUTE_DONT_FRAGMENT);
}

static void allocate_start (BurrowTurnClient *self, GTask *task);

/* Completes the running allocate and every call that waited for it. A
 * cancelled one hands over to the first waiter instead: the cancellation
 * was that caller's, not theirs. Takes @error. */
static void
allocate_complete (BurrowTurnClient *self, GTask *task, BurrowRelayAllocation *allocation,
    GError *error)
{
  GQueue waiters = self->waiting;
  GTask *waiter;

  g_queue_init (&self->waiting);
  self->allocating = FALSE;
  if (allocation)
    g_task_return_pointer (task, g_object_ref (allocation), g_object_unref);
  else
    g_task_return_error (task, g_error_copy (error));
  if (error && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && waiters.length > 0) {
    waiter = g_queue_pop_head (&waiters);
    self->waiting = waiters;
    allocate_start (self, waiter);
    g_clear_error (&error);
    return;
  }
  while ((waiter = g_queue_pop_head (&waiters)) != NULL) {
    if (allocation)
      g_task_return_pointer (waiter, g_object_ref (allocation), g_object_unref);
    else
      g_task_return_error (waiter, g_error_copy (error));
    g_object_unref (waiter);
  }
  g_clear_error (&error);
}

static void allocate_connect (GTask *task);

static gboolean
server_tried (AllocateData *data, GInetSocketAddress *server)
{
  guint i;

  for (i = 0; i < data->tried->len; i++)
    if (burrow_socket_address_equal (data->tried->pdata[i], G_SOCKET_ADDRESS (server)))
      return TRUE;
  return FALSE;
}

/* 300 Try Alternate (RFC 8656 section 7.4 and RFC 8489 section 10). */
static void
allocate_redirect (GTask *task, BurrowStunMessage *response)
{
  BurrowTurnClient *self = g_task_get_source_object (task);
  AllocateData *data = g_task_get_task_data (task);
  g_autoptr(GInetSocketAddress) alternate =
      burrow_stun_message_get_address (response, BURROW_STUN_ATTRIBUTE_ALTERNATE_SERVER);
  g_autofree gchar *domain =
      burrow_stun_message_get_string (response, BURROW_STUN_ATTRIBUTE_ALTERNATE_DOMAIN);
  g_autofree gchar *name = burrow_turn_client_describe_server (self);
  g_autofree gchar *to = alternate ?
      burrow_socket_address_to_string (G_SOCKET_ADDRESS (alternate)) : NULL;

  if (alternate == NULL) {
    allocate_complete (self, task, NULL, g_error_new (BURROW_TURN_ERROR,
        BURROW_TURN_ERROR_SERVER_ERROR,
        "TURN server %s answered 300 Try Alternate without an ALTERNATE-SERVER", name));
    return;
  }
  if (data->redirects >= self->max_redirects || server_tried (data, alternate)) {
    allocate_complete (self, task, NULL, g_error_new (BURROW_TURN_ERROR,
        BURROW_TURN_ERROR_TOO_MANY_REDIRECTS,
        "TURN server %s redirected to %s after %u redirects; giving up (%s)", name, to,
        data->redirects, server_tried (data, alternate) ? "a server already tried" :
        "max-redirects reached"));
    return;
  }
  g_debug ("TURN server %s redirects to %s", name, to);
  data->redirects++;
  if (domain && self->transport == BURROW_TRANSPORT_TLS) {
    g_free (self->tls_identity);
    self->tls_identity = g_steal_pointer (&domain);
  }
  /* A new server has its own realm and nonces. */
  burrow_stun_auth_reset (&self->auth);
  g_object_notify (G_OBJECT (self), "realm");
  g_set_object (&self->server, alternate);
  g_object_notify_by_pspec (G_OBJECT (self), g_object_class_find_property (
      G_OBJECT_GET_CLASS (self), "server-address"));
  allocate_connect (g_object_ref (task));
}

static void
allocate_response_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  BurrowTurnClient *self = BURROW_TURN_CLIENT (source);
  AllocateData *data = g_task_get_task_data (task);
  g_autoptr(BurrowStunMessage) response = NULL;
  g_autoptr(BurrowRelayAllocation) allocation = NULL;
  GError *error = NULL;

  response = burrow_turn_client_request_finish (self, result, &error);
  if (response == NULL) {
    allocate_complete (self, task, NULL, error);
    return;
  }
  if (burrow_stun_message_get_message_class (response) == BURROW_STUN_CLASS_ERROR_RESPONSE) {
    guint code = burrow_stun_response_error (response, NULL);

    if (code == 300) {
      allocate_redirect (task, response);
      return;
    }
    /* RFC 8656 7.3: the server still holds an allocation on this 5-tuple
     * (a reused local port); a fresh socket is a new 5-tuple. */
    if (code == 437 && self->local_port == 0 && data->mismatches++ == 0) {
      g_debug ("437 on a reused 5-tuple, retrying from another local port");
      allocate_connect (g_object_ref (task));
      return;
    }
    allocate_complete (self, task, NULL,
        burrow_turn_client_error_from_response (self, response, "the allocation"));
    return;
  }
  allocation = burrow_relay_allocation_new_from_response (self, response, data->lifetime);
  if (allocation == NULL) {
    g_autofree gchar *name = burrow_turn_client_describe_server (self);

    allocate_complete (self, task, NULL, g_error_new (BURROW_TURN_ERROR,
        BURROW_TURN_ERROR_SERVER_ERROR,
        "TURN server %s granted an allocation without a usable XOR-RELAYED-ADDRESS", name));
    return;
  }
  self->allocation = allocation;
  g_object_add_weak_pointer (G_OBJECT (allocation), (gpointer *) &self->allocation);
  allocate_complete (self, task, allocation, NULL);
}

static void
allocate_connected_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  BurrowTurnClient *self = BURROW_TURN_CLIENT (source);
  AllocateData *data = g_task_get_task_data (task);
  GError *error = NULL;

  if (!burrow_turn_client_connect_finish (self, result, &error)) {
    allocate_complete (self, task, NULL, error);
    g_object_unref (task);
    return;
  }
  g_object_notify_by_pspec (G_OBJECT (self), g_object_class_find_property (
      G_OBJECT_GET_CLASS (self), "server-address"));
  g_ptr_array_add (data->tried, g_object_ref (self->server));
  burrow_turn_client_request_async (self, BURROW_STUN_METHOD_ALLOCATE, build_allocate, data,
      NULL, g_task_get_cancellable (task), allocate_response_cb, task);
}

/* takes @task */
static void
allocate_connect (GTask *task)
{
  BurrowTurnClient *self = g_task_get_source_object (task);

  burrow_turn_client_connect_async (self, g_task_get_cancellable (task),
      allocate_connected_cb, task);
}

/**
 * burrow_turn_client_allocate_async:
 * @self: a client
 * @options: (nullable): what to ask for, or %NULL for the server's defaults
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called when the allocation is made or failed
 * @user_data: data for @callback
 *
 * Asks the server for a relayed address (an Allocate request), connecting
 * first over the client's transport. While the client's allocation is
 * alive, the same allocation is returned again without asking the server.
 *
 * Since: 0.1
 */
void
burrow_turn_client_allocate_async (BurrowTurnClient *self, BurrowAllocateOptions *options,
    GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;
  AllocateData *data;

  g_return_if_fail (BURROW_IS_TURN_CLIENT (self));
  g_return_if_fail (options == NULL || BURROW_IS_ALLOCATE_OPTIONS (options));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, burrow_turn_client_allocate_async);
  data = g_new0 (AllocateData, 1);
  data->tried = g_ptr_array_new_with_free_func (g_object_unref);
  if (options) {
    data->even_port = burrow_allocate_options_get_even_port (options);
    data->reserve = burrow_allocate_options_get_reserve_next_port (options);
    data->token = burrow_allocate_options_get_reservation_token (options);
    data->family = burrow_allocate_options_get_family (options);
    data->lifetime = burrow_allocate_options_get_lifetime (options);
    data->dont_fragment = burrow_allocate_options_get_dont_fragment (options);
  }
  g_task_set_task_data (task, data, (GDestroyNotify) allocate_data_free);
  if (self->allocation &&
      burrow_relay_allocation_get_state (self->allocation) == BURROW_RELAY_STATE_ALLOCATED) {
    g_task_return_pointer (task, g_object_ref (self->allocation), g_object_unref);
    g_object_unref (task);
    return;
  }
  if (self->allocating) {
    g_queue_push_tail (&self->waiting, task);
    return;
  }
  allocate_start (self, task);
}

/* takes @task */
static void
allocate_start (BurrowTurnClient *self, GTask *task)
{
  /* A dead allocation leaves its 5-tuple behind. */
  burrow_turn_client_forget_allocation (self, self->allocation);
  self->allocating = TRUE;
  if (g_strcmp0 (self->alloc_username, self->username) != 0 ||
      g_strcmp0 (self->alloc_password, self->password) != 0) {
    g_clear_pointer (&self->auth.key, g_bytes_unref);
    g_free (self->alloc_username);
    g_free (self->alloc_password);
    self->alloc_username = g_strdup (self->username);
    self->alloc_password = g_strdup (self->password);
  }
  g_free (self->tls_identity);
  self->tls_identity = g_strdup (self->host);
  if (self->server) {
    g_clear_object (&self->server);
    g_object_notify (G_OBJECT (self), "server-address");
  }
  allocate_connect (task);
}

/**
 * burrow_turn_client_allocate_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @error: return location for a [error@Burrow.TurnError]
 *
 * Finishes [method@Burrow.TurnClient.allocate_async].
 *
 * Returns: (transfer full): the allocation, or %NULL on error
 *
 * Since: 0.1
 */
BurrowRelayAllocation *
burrow_turn_client_allocate_finish (BurrowTurnClient *self, GAsyncResult *result,
    GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

typedef struct {
  BurrowTurnClient *self;
  BurrowAllocateOptions *options;
} AllocateSyncArgs;

static void
allocate_sync_start (gpointer source, GCancellable *cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  AllocateSyncArgs *args = source;

  burrow_turn_client_allocate_async (args->self, args->options, cancellable, callback,
      user_data);
}

/**
 * burrow_turn_client_allocate_sync:
 * @self: a client
 * @options: (nullable): what to ask for, or %NULL for the server's defaults
 * @cancellable: (nullable): a cancellable
 * @error: return location for a [error@Burrow.TurnError]
 *
 * Blocking form of [method@Burrow.TurnClient.allocate_async]. When no
 * other thread runs the client's context, it runs it while it waits (the
 * usual case of a script). When another thread runs it, the call waits
 * for that thread; the allocation returned then belongs to that thread's
 * context too: use it, and drop the last reference to it, there (for
 * example through g_main_context_invoke()), not from this thread.
 *
 * Returns: (transfer full): the allocation, or %NULL on error
 *
 * Since: 0.1
 */
BurrowRelayAllocation *
burrow_turn_client_allocate_sync (BurrowTurnClient *self, BurrowAllocateOptions *options,
    GCancellable *cancellable, GError **error)
{
  AllocateSyncArgs args = { self, options };
  g_autoptr(GAsyncResult) result = NULL;

  g_return_val_if_fail (BURROW_IS_TURN_CLIENT (self), NULL);
  result = burrow_run_sync (self->context, &args, allocate_sync_start, cancellable);
  return burrow_turn_client_allocate_finish (self, result, error);
}

/**
 * burrow_turn_rest_credentials:
 * @secret: the secret shared with the TURN server (coturn's
 *   `static-auth-secret`)
 * @user: (nullable): the user the credentials are for, or %NULL
 * @ttl_seconds: how long the credentials stay valid
 * @now: the current time in seconds since the Unix epoch, or 0 for the
 *   system clock
 * @username: (out) (transfer full): the username to use
 * @password: (out) (transfer full): the password to use
 * @error: return location for a [error@Burrow.TurnError]
 *
 * Computes ephemeral TURN credentials from a shared secret, in the scheme
 * of the TURN REST API draft that coturn's `use-auth-secret` accepts: the
 * username is the expiry time in seconds since the Unix epoch, a colon
 * and @user; the password is the Base64 of HMAC-SHA1 over the username,
 * keyed with @secret.
 *
 * ```python
 * ok, user, password = Burrow.turn_rest_credentials(secret, "alice", 3600, 0)
 * client = Burrow.TurnClient.new(host, 3478, user, password)
 * ```
 *
 * Returns: %TRUE, or %FALSE if @secret is empty or the expiry overflows
 *
 * Since: 0.1
 */
gboolean
burrow_turn_rest_credentials (const gchar *secret, const gchar *user, guint ttl_seconds,
    gint64 now, gchar **username, gchar **password, GError **error)
{
  g_autoptr(GHmac) hmac = NULL;
  guint8 digest[20];
  gsize digest_len = sizeof digest;
  gint64 expiry;

  g_return_val_if_fail (username != NULL && password != NULL, FALSE);
  *username = NULL;
  *password = NULL;
  if (secret == NULL || *secret == '\0') {
    g_set_error_literal (error, BURROW_TURN_ERROR, BURROW_TURN_ERROR_INVALID_ARGUMENT,
        "The TURN REST secret is empty");
    return FALSE;
  }
  if (now <= 0)
    now = g_get_real_time () / G_USEC_PER_SEC;
  if (now > G_MAXINT64 - ttl_seconds) {
    g_set_error_literal (error, BURROW_TURN_ERROR, BURROW_TURN_ERROR_INVALID_ARGUMENT,
        "The TURN REST expiry time overflows");
    return FALSE;
  }
  expiry = now + ttl_seconds;
  if (user && *user)
    *username = g_strdup_printf ("%" G_GINT64_FORMAT ":%s", expiry, user);
  else
    *username = g_strdup_printf ("%" G_GINT64_FORMAT, expiry);
  hmac = g_hmac_new (G_CHECKSUM_SHA1, (const guchar *) secret, strlen (secret));
  g_hmac_update (hmac, (const guchar *) *username, -1);
  g_hmac_get_digest (hmac, digest, &digest_len);
  *password = g_base64_encode (digest, digest_len);
  return TRUE;
}
