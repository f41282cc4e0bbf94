/* burrow-relay-allocation-refresh.c: Refresh requests for an allocation
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * RFC 8656 section 7: a Refresh with a lifetime extends the allocation, one
 * with lifetime 0 releases it. The state, the lifetime and the timers that
 * call for a refresh are in burrow-relay-allocation.c.
 */
#include "config.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "burrow-turn"

#include "burrow-sync-private.h"
#include "burrow-relay-allocation-private.h"

/* ---- refresh ---- */

static void
build_refresh (BurrowStunMessage *msg, gpointer user_data)
{
  burrow_stun_message_add_uint32 (msg, BURROW_STUN_ATTRIBUTE_LIFETIME,
      GPOINTER_TO_UINT (user_data));
}

static void
refresh_response_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  BurrowRelayAllocation *self = g_task_get_source_object (task);
  g_autoptr(BurrowStunMessage) response = NULL;
  GError *error = NULL;
  guint32 lifetime = 0;

  response = burrow_turn_client_request_finish (BURROW_TURN_CLIENT (source), result, &error);
  if (response && burrow_stun_message_get_message_class (response) ==
      BURROW_STUN_CLASS_ERROR_RESPONSE)
    error = burrow_turn_client_error_from_response (self->client, response,
        "to refresh the allocation");
  if (error) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      burrow_relay_allocation_fail (self, g_error_copy (error));
    g_task_return_error (task, error);
    return;
  }
  if (self->state != BURROW_RELAY_STATE_ALLOCATED) {
    g_task_return_boolean (task, TRUE);
    return;
  }
  if (!burrow_stun_message_get_uint32 (response, BURROW_STUN_ATTRIBUTE_LIFETIME, &lifetime))
    lifetime = self->lifetime;
  burrow_relay_allocation_set_lifetime (self, lifetime);
  g_signal_emit (self, burrow_relay_allocation_signals[BURROW_RELAY_SIGNAL_REFRESHED], 0,
      (guint) lifetime);
  g_task_return_boolean (task, TRUE);
}

/**
 * burrow_relay_allocation_refresh_async:
 * @self: an allocation
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called when the server answered
 * @user_data: data for @callback
 *
 * Refreshes the allocation now, asking for the lifetime it was made with.
 * A refused refresh (the allocation is gone on the server) or a server that
 * no longer answers leaves the allocation failed.
 *
 * Since: 0.1
 */
void
burrow_relay_allocation_refresh_async (BurrowRelayAllocation *self, GCancellable *cancellable,
    GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;
  GError *error = NULL;

  g_return_if_fail (BURROW_IS_RELAY_ALLOCATION (self));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, burrow_relay_allocation_refresh_async);
  if (!burrow_relay_allocation_check_alive (self, &error)) {
    g_task_return_error (task, error);
    g_object_unref (task);
    return;
  }
  /* Without a lifetime of its own, ask for the RFC's default: some servers
   * (coturn) apply their max-allocate-lifetime only to an explicit one. */
  burrow_turn_client_request_async (self->client, BURROW_STUN_METHOD_REFRESH, build_refresh,
      GUINT_TO_POINTER (self->requested_lifetime ? self->requested_lifetime :
          BURROW_TURN_DEFAULT_LIFETIME), NULL,
      cancellable, refresh_response_cb, task);
}

/**
 * burrow_relay_allocation_refresh_finish:
 * @self: an allocation
 * @result: the result passed to the callback
 * @error: return location for a [error@Burrow.TurnError]
 *
 * Finishes [method@Burrow.RelayAllocation.refresh_async].
 *
 * Returns: %TRUE if the server refreshed the allocation
 *
 * Since: 0.1
 */
gboolean
burrow_relay_allocation_refresh_finish (BurrowRelayAllocation *self, GAsyncResult *result,
    GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
refresh_sync_start (gpointer source, GCancellable *cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  burrow_relay_allocation_refresh_async (source, cancellable, callback, user_data);
}

/**
 * burrow_relay_allocation_refresh_sync:
 * @self: an allocation
 * @cancellable: (nullable): a cancellable
 * @error: return location for a [error@Burrow.TurnError]
 *
 * Blocking form of [method@Burrow.RelayAllocation.refresh_async].
 *
 * Returns: %TRUE if the server refreshed the allocation
 *
 * Since: 0.1
 */
gboolean
burrow_relay_allocation_refresh_sync (BurrowRelayAllocation *self, GCancellable *cancellable,
    GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  g_return_val_if_fail (BURROW_IS_RELAY_ALLOCATION (self), FALSE);
  result = burrow_run_sync (burrow_turn_client_get_context (self->client), self,
      refresh_sync_start, cancellable);
  return burrow_relay_allocation_refresh_finish (self, result, error);
}

/* ---- release ---- */

static void
release_response_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  BurrowRelayAllocation *self = g_task_get_source_object (task);
  g_autoptr(BurrowStunMessage) response = NULL;
  GError *error = NULL;

  response = burrow_turn_client_request_finish (BURROW_TURN_CLIENT (source), result, &error);
  /* 437: already gone, which is what was asked for */
  if (response && burrow_stun_message_get_message_class (response) ==
      BURROW_STUN_CLASS_ERROR_RESPONSE && burrow_stun_response_error (response, NULL) != 437)
    error = burrow_turn_client_error_from_response (self->client, response,
        "to release the allocation");
  burrow_relay_allocation_set_state (self, BURROW_RELAY_STATE_RELEASED, NULL);
  if (error)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/**
 * burrow_relay_allocation_release_async:
 * @self: an allocation
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called when the server answered
 * @user_data: data for @callback
 *
 * Releases the allocation (a Refresh with lifetime 0) and waits for the
 * server to confirm. The allocation is released afterwards in any case;
 * an error only says the server did not confirm it.
 *
 * Since: 0.1
 */
void
burrow_relay_allocation_release_async (BurrowRelayAllocation *self, GCancellable *cancellable,
    GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;

  g_return_if_fail (BURROW_IS_RELAY_ALLOCATION (self));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, burrow_relay_allocation_release_async);
  if (self->state != BURROW_RELAY_STATE_ALLOCATED) {
    g_task_return_boolean (task, TRUE);
    g_object_unref (task);
    return;
  }
  burrow_relay_allocation_stop_timer (&self->refresh_timer);
  burrow_turn_client_request_async (self->client, BURROW_STUN_METHOD_REFRESH, build_refresh,
      GUINT_TO_POINTER (0), NULL, cancellable, release_response_cb, task);
}

/**
 * burrow_relay_allocation_release_finish:
 * @self: an allocation
 * @result: the result passed to the callback
 * @error: return location for a [error@Burrow.TurnError]
 *
 * Finishes [method@Burrow.RelayAllocation.release_async].
 *
 * Returns: %TRUE if the server confirmed the release
 *
 * Since: 0.1
 */
gboolean
burrow_relay_allocation_release_finish (BurrowRelayAllocation *self, GAsyncResult *result,
    GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
release_sync_start (gpointer source, GCancellable *cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  burrow_relay_allocation_release_async (source, cancellable, callback, user_data);
}

/**
 * burrow_relay_allocation_release_sync:
 * @self: an allocation
 * @cancellable: (nullable): a cancellable
 * @error: return location for a [error@Burrow.TurnError]
 *
 * Blocking form of [method@Burrow.RelayAllocation.release_async].
 *
 * Returns: %TRUE if the server confirmed the release
 *
 * Since: 0.1
 */
gboolean
burrow_relay_allocation_release_sync (BurrowRelayAllocation *self, GCancellable *cancellable,
    GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  g_return_val_if_fail (BURROW_IS_RELAY_ALLOCATION (self), FALSE);
  result = burrow_run_sync (burrow_turn_client_get_context (self->client), self,
      release_sync_start, cancellable);
  return burrow_relay_allocation_release_finish (self, result, error);
}

/**
 * burrow_relay_allocation_close:
 * @self: an allocation
 *
 * Releases the allocation without waiting: the allocation is released at
 * once, and a Refresh with lifetime 0 goes to the server in the background
 * (retried on a stale nonce), keeping the client alive until the server
 * answers. Dropping the last reference does the same.
 *
 * Since: 0.1
 */
void
burrow_relay_allocation_close (BurrowRelayAllocation *self)
{
  g_return_if_fail (BURROW_IS_RELAY_ALLOCATION (self));
  if (self->state != BURROW_RELAY_STATE_ALLOCATED)
    return;
  burrow_turn_client_release_allocation (self->client, self);
  burrow_relay_allocation_set_state (self, BURROW_RELAY_STATE_RELEASED, NULL);
}
