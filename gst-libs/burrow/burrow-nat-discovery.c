/* burrow-nat-discovery.c: NAT behaviour discovery (RFC 5780 section 4)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The tests run one after the other, each a Binding transaction:
 *
 *   mapping (on the client's own socket):
 *     I    to the primary address          -> XMA1, OTHER-ADDRESS
 *     II   to (other IP, primary port)      -> XMA2; same as XMA1: independent
 *     III  to (other IP, other port)        -> XMA3; same as XMA2: address-dependent
 *   filtering (on a fresh socket, so that the mapping tests, which contacted
 *   the other address, cannot have opened the NAT's filter for it):
 *     I    to the primary address
 *     II   CHANGE-REQUEST ip+port answered:  endpoint-independent
 *     III  CHANGE-REQUEST port answered:     address-dependent, else
 *                                            address-and-port-dependent
 *   hairpinning: a request from the fresh socket to XMA1 that comes back in
 *   on the client's socket.
 *
 * A test whose answer never arrives takes the client's whole
 * retransmission schedule; that is what "no answer" means.
 */
#include "config.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "burrow-stun"

#include <string.h>

#include "burrow-error.h"
#include "burrow-nat-report-private.h"
#include "burrow-stun-client-private.h"
#include "burrow-sync-private.h"

typedef struct {
  BurrowStunEndpoint *main_ep;  /* the client's socket, for hairpinning */
  BurrowNatReport *report;
  BurrowStunEndpoint *filter_ep;
  GSocketAddress *primary;
  GInetSocketAddress *other;
  GInetSocketAddress *local;
  GInetSocketAddress *xma1;
  GInetSocketAddress *xma2;
  gboolean behind_nat;
  GCancellable *hairpin_cancel;
  GCancellable *user_cancel;
  gulong user_cancel_id;
  guint8 hairpin_tid[BURROW_STUN_TRANSACTION_ID_SIZE];
  gboolean hairpin_seen;
} Discovery;

static void
discovery_free (Discovery *d)
{
  /* However the discovery ended (cancelled in the middle of the hairpin
   * test too), the client's socket must stop calling back into @d. */
  if (d->main_ep)
    burrow_stun_endpoint_clear_handler (d->main_ep, d);
  g_clear_object (&d->main_ep);
  if (d->user_cancel_id)
    g_cancellable_disconnect (d->user_cancel, d->user_cancel_id);
  g_clear_object (&d->user_cancel);
  if (d->filter_ep)
    burrow_stun_endpoint_close (d->filter_ep);
  g_clear_object (&d->filter_ep);
  g_clear_object (&d->report);
  g_clear_object (&d->primary);
  g_clear_object (&d->other);
  g_clear_object (&d->local);
  g_clear_object (&d->xma1);
  g_clear_object (&d->xma2);
  g_clear_object (&d->hairpin_cancel);
  g_free (d);
}

static GSocketAddress *
address_with (GInetSocketAddress *ip_from, GInetSocketAddress *port_from)
{
  return g_inet_socket_address_new (g_inet_socket_address_get_address (ip_from),
      g_inet_socket_address_get_port (port_from));
}

static gboolean
same (GInetSocketAddress *a, GInetSocketAddress *b)
{
  return a && b && burrow_socket_address_equal (G_SOCKET_ADDRESS (a), G_SOCKET_ADDRESS (b));
}

/* Whether @error means the test's answer never came: what filtering tests
 * measure. Any other failure (an error response, say) is not an answer. */
static gboolean
is_no_answer (const GError *error)
{
  return g_error_matches (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_TIMEOUT);
}

/* Completes the task on errors that end the whole discovery: cancellation
 * and local failures. Timeouts and server errors become problems. */
static gboolean
fatal_error (GTask *task, GError **error)
{
  if (g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      g_error_matches (*error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_NETWORK) ||
      g_error_matches (*error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_UNAUTHORIZED)) {
    g_task_return_error (task, g_steal_pointer (error));
    return TRUE;
  }
  return FALSE;
}

static void
discovery_done (GTask *task)
{
  BurrowStunClient *client = g_task_get_source_object (task);
  Discovery *d = g_task_get_task_data (task);
  BurrowNatType type;

  if (d->filter_ep)
    burrow_stun_client_add_dropped (client, burrow_stun_endpoint_get_dropped (d->filter_ep));

  if (!d->behind_nat)
    type = BURROW_NAT_TYPE_NONE;
  else
    type = burrow_nat_type_from_behavior (burrow_nat_report_get_mapping (d->report),
        burrow_nat_report_get_filtering (d->report));
  burrow_nat_report_set_nat_type (d->report, type);
  g_task_return_pointer (task, g_object_ref (d->report), g_object_unref);
}

/* ---- hairpinning ---- */

static void
hairpin_seen_handler (const guint8 *data, gsize len, BurrowStunMessage *message,
    GSocketAddress *from, gpointer user_data)
{
  Discovery *d = user_data;

  if (message && burrow_stun_message_has_transaction_id (message, d->hairpin_tid)) {
    g_debug ("hairpinned request came back");
    d->hairpin_seen = TRUE;
    g_cancellable_cancel (d->hairpin_cancel);
  }
}

static void
hairpin_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Discovery *d = g_task_get_task_data (task);
  g_autoptr(BurrowStunMessage) response = NULL;
  g_autoptr(GError) error = NULL;

  response = burrow_stun_endpoint_request_finish (BURROW_STUN_ENDPOINT (source), result, NULL,
      &error);
  if (g_task_return_error_if_cancelled (task))
    return;
  burrow_nat_report_set_hairpinning (d->report, d->hairpin_seen ?
      BURROW_HAIRPINNING_SUPPORTED : BURROW_HAIRPINNING_UNSUPPORTED);
  discovery_done (task);
}

static void
cancel_other (GCancellable *cancellable, gpointer other)
{
  g_cancellable_cancel (other);
}

static void
test_hairpinning (GTask *task)
{
  BurrowStunClient *client = g_task_get_source_object (task);
  Discovery *d = g_task_get_task_data (task);
  g_autoptr(BurrowStunMessage) request = NULL;
  g_autoptr(GBytes) wire = NULL;
  BurrowStunRetransmit rt;
  gsize len;

  if (!d->behind_nat || d->filter_ep == NULL || d->xma1 == NULL) {
    if (d->behind_nat)
      burrow_nat_report_add_problem (d->report, "Hairpinning was not tested");
    discovery_done (task);
    return;
  }
  request = burrow_stun_message_new_request (BURROW_STUN_METHOD_BINDING);
  memcpy (d->hairpin_tid, burrow_stun_message_get_transaction_id (request, &len),
      BURROW_STUN_TRANSACTION_ID_SIZE);
  wire = burrow_stun_message_serialize (request, BURROW_STUN_SIGN_FINGERPRINT, NULL, 0, NULL);
  d->hairpin_cancel = g_cancellable_new ();
  /* The caller's cancellable stops the hairpin wait too. */
  if (g_task_get_cancellable (task)) {
    d->user_cancel = g_object_ref (g_task_get_cancellable (task));
    d->user_cancel_id = g_cancellable_connect (d->user_cancel, G_CALLBACK (cancel_other),
        g_object_ref (d->hairpin_cancel), g_object_unref);
  }
  d->main_ep = g_object_ref (burrow_stun_client_get_endpoint (client));
  burrow_stun_endpoint_set_handler (d->main_ep, hairpin_seen_handler, d);
  burrow_stun_client_get_retransmit (client, &rt);
  burrow_stun_endpoint_request_async (d->filter_ep, G_SOCKET_ADDRESS (d->xma1), request, wire,
      NULL, &rt, BURROW_STUN_REQUEST_ANY_SOURCE, d->hairpin_cancel, hairpin_cb,
      g_object_ref (task));
}

/* ---- filtering ---- */

static void
filter3_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Discovery *d = g_task_get_task_data (task);
  g_autoptr(BurrowStunMessage) response = NULL;
  g_autoptr(GSocketAddress) from = NULL;
  g_autoptr(GError) error = NULL;

  response = burrow_stun_client_binding_finish (BURROW_STUN_CLIENT (source), result, &from, &error);
  if (response == NULL && fatal_error (task, &error))
    return;
  if (response == NULL && !is_no_answer (error)) {
    burrow_nat_report_add_problem (d->report,
        "The change-port filtering test failed (%s); filtering is unknown", error->message);
  } else if (response == NULL) {
    burrow_nat_report_set_filtering (d->report, BURROW_NAT_BEHAVIOR_ADDRESS_AND_PORT_DEPENDENT);
  } else if (!G_IS_INET_SOCKET_ADDRESS (from) ||
      !g_inet_address_equal (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (from)),
          g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (d->primary))) ||
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (from)) ==
          g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (d->primary))) {
    burrow_nat_report_add_problem (d->report,
        "The server answered a change-port request from the wrong address; filtering is unknown");
  } else {
    burrow_nat_report_set_filtering (d->report, BURROW_NAT_BEHAVIOR_ADDRESS_DEPENDENT);
  }
  test_hairpinning (task);
}

static void
filter2_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  BurrowStunClient *client = BURROW_STUN_CLIENT (source);
  Discovery *d = g_task_get_task_data (task);
  g_autoptr(BurrowStunMessage) response = NULL;
  g_autoptr(GSocketAddress) from = NULL;
  g_autoptr(GError) error = NULL;

  response = burrow_stun_client_binding_finish (client, result, &from, &error);
  if (response == NULL && fatal_error (task, &error))
    return;
  if (response == NULL && !is_no_answer (error)) {
    burrow_nat_report_add_problem (d->report,
        "The change-address filtering test failed (%s); filtering is unknown", error->message);
    test_hairpinning (task);
    return;
  }
  if (response != NULL) {
    if (!G_IS_INET_SOCKET_ADDRESS (from) || !same (G_INET_SOCKET_ADDRESS (from), d->other)) {
      burrow_nat_report_add_problem (d->report,
          "The server answered a change-address request from the wrong address; filtering is unknown");
      test_hairpinning (task);
      return;
    }
    burrow_nat_report_set_filtering (d->report, BURROW_NAT_BEHAVIOR_ENDPOINT_INDEPENDENT);
    test_hairpinning (task);
    return;
  }
  burrow_stun_client_binding_async (client, d->filter_ep, d->primary, FALSE, TRUE,
      g_task_get_cancellable (task), filter3_cb, g_object_ref (task));
}

static void
filter1_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  BurrowStunClient *client = BURROW_STUN_CLIENT (source);
  Discovery *d = g_task_get_task_data (task);
  g_autoptr(BurrowStunMessage) response = NULL;
  g_autoptr(GError) error = NULL;

  response = burrow_stun_client_binding_finish (client, result, NULL, &error);
  if (response == NULL && fatal_error (task, &error))
    return;
  if (response == NULL) {
    burrow_nat_report_add_problem (d->report,
        "No answer to the first filtering test from a second socket: %s", error->message);
    test_hairpinning (task);
    return;
  }
  burrow_stun_client_binding_async (client, d->filter_ep, d->primary, TRUE, TRUE,
      g_task_get_cancellable (task), filter2_cb, g_object_ref (task));
}

static void
test_filtering (GTask *task)
{
  BurrowStunClient *client = g_task_get_source_object (task);
  Discovery *d = g_task_get_task_data (task);
  GError *error = NULL;

  d->filter_ep = burrow_stun_client_open_endpoint (client, &error);
  if (d->filter_ep == NULL) {
    g_task_return_error (task, error);
    return;
  }
  burrow_stun_client_binding_async (client, d->filter_ep, d->primary, FALSE, FALSE,
      g_task_get_cancellable (task), filter1_cb, g_object_ref (task));
}

/* ---- mapping ---- */

static void
map3_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Discovery *d = g_task_get_task_data (task);
  g_autoptr(BurrowStunMessage) response = NULL;
  g_autoptr(GInetSocketAddress) xma3 = NULL;
  g_autoptr(GError) error = NULL;

  response = burrow_stun_client_binding_finish (BURROW_STUN_CLIENT (source), result, NULL, &error);
  if (response == NULL && fatal_error (task, &error))
    return;
  if (response == NULL || (xma3 = burrow_stun_client_response_mapped_address (response)) == NULL) {
    burrow_nat_report_add_problem (d->report,
        "No usable answer from the server's other address and port (test III): %s",
        error ? error->message : "no mapped address");
  } else {
    burrow_nat_report_set_mapping (d->report, same (xma3, d->xma2) ?
        BURROW_NAT_BEHAVIOR_ADDRESS_DEPENDENT : BURROW_NAT_BEHAVIOR_ADDRESS_AND_PORT_DEPENDENT);
  }
  test_filtering (task);
}

static void
map2_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  BurrowStunClient *client = BURROW_STUN_CLIENT (source);
  Discovery *d = g_task_get_task_data (task);
  g_autoptr(BurrowStunMessage) response = NULL;
  g_autoptr(GError) error = NULL;

  response = burrow_stun_client_binding_finish (client, result, NULL, &error);
  if (response == NULL && fatal_error (task, &error))
    return;
  if (response == NULL || (d->xma2 = burrow_stun_client_response_mapped_address (response)) == NULL) {
    burrow_nat_report_add_problem (d->report,
        "No usable answer from the server's other address (test II): %s",
        error ? error->message : "no mapped address");
    test_filtering (task);
    return;
  }
  if (same (d->xma2, d->xma1)) {
    burrow_nat_report_set_mapping (d->report, BURROW_NAT_BEHAVIOR_ENDPOINT_INDEPENDENT);
    test_filtering (task);
    return;
  }
  {
    g_autoptr(GSocketAddress) to = G_SOCKET_ADDRESS (g_object_ref (d->other));

    burrow_stun_client_binding_async (client, burrow_stun_client_get_endpoint (client), to,
        FALSE, FALSE, g_task_get_cancellable (task), map3_cb, g_object_ref (task));
  }
}

static void
test1_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  BurrowStunClient *client = BURROW_STUN_CLIENT (source);
  Discovery *d = g_task_get_task_data (task);
  g_autoptr(BurrowStunMessage) response = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *server = burrow_socket_address_to_string (d->primary);

  response = burrow_stun_client_binding_finish (client, result, NULL, &error);
  if (response == NULL) {
    if (g_error_matches (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_TIMEOUT)) {
      burrow_nat_report_add_problem (d->report, "%s", error->message);
      burrow_nat_report_set_nat_type (d->report, BURROW_NAT_TYPE_UDP_BLOCKED);
      g_task_return_pointer (task, g_object_ref (d->report), g_object_unref);
    } else {
      g_task_return_error (task, g_steal_pointer (&error));
    }
    return;
  }

  d->xma1 = burrow_stun_client_response_mapped_address (response);
  if (d->xma1 == NULL) {
    g_task_return_new_error (task, BURROW_STUN_ERROR, BURROW_STUN_ERROR_MALFORMED,
        "STUN server %s answered without a mapped address", server);
    return;
  }
  d->local = burrow_stun_client_get_route_address (client, burrow_stun_client_get_endpoint (client));
  d->behind_nat = !same (d->xma1, d->local);
  d->other = burrow_stun_message_get_address (response, BURROW_STUN_ATTRIBUTE_OTHER_ADDRESS);
  if (d->other && g_socket_address_get_family (G_SOCKET_ADDRESS (d->other)) !=
      g_socket_address_get_family (d->primary))
    g_clear_object (&d->other);
  burrow_nat_report_set_addresses (d->report, d->local, d->xma1, d->other);

  if (!d->behind_nat)
    burrow_nat_report_set_mapping (d->report, BURROW_NAT_BEHAVIOR_ENDPOINT_INDEPENDENT);

  if (d->other == NULL) {
    burrow_nat_report_add_problem (d->report,
        "STUN server %s does not support RFC 5780 (no OTHER-ADDRESS in its answer), "
        "so mapping and filtering behaviour cannot be tested", server);
    test_hairpinning (task);
    return;
  }
  if (!d->behind_nat) {
    test_filtering (task);
    return;
  }
  {
    g_autoptr(GSocketAddress) to = address_with (d->other, G_INET_SOCKET_ADDRESS (d->primary));

    burrow_stun_client_binding_async (client, burrow_stun_client_get_endpoint (client), to,
        FALSE, FALSE, g_task_get_cancellable (task), map2_cb, g_object_ref (task));
  }
}

static void
discover_prepare_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  BurrowStunClient *client = BURROW_STUN_CLIENT (source);
  Discovery *d = g_task_get_task_data (task);
  GError *error = NULL;

  if (!burrow_stun_client_prepare_finish (client, result, &error)) {
    g_task_return_error (task, error);
    return;
  }
  d->primary = g_object_ref (burrow_stun_client_get_server_address (client));
  burrow_stun_client_binding_async (client, burrow_stun_client_get_endpoint (client), d->primary,
      FALSE, FALSE, g_task_get_cancellable (task), test1_cb, g_object_ref (task));
}

/**
 * burrow_stun_client_discover_nat_async:
 * @client: a #BurrowStunClient
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the report
 * @user_data: data for @callback
 *
 * Finds out how the NATs between this host and the STUN server behave,
 * with the tests of RFC 5780 section 4: mapping, filtering and
 * hairpinning. The server must support RFC 5780 (answer with
 * OTHER-ADDRESS and honour CHANGE-REQUEST) for the mapping and filtering
 * tests; with one that does not, the report says so in its
 * [property@Burrow.NatReport:problems] and leaves those behaviours unknown.
 *
 * Tests whose answer is not expected to come (that is how filtering is
 * measured) wait for the whole retransmission schedule of the client, so
 * lower [property@Burrow.StunClient:rto] and
 * [property@Burrow.StunClient:max-requests] for a quicker, less patient
 * discovery.
 *
 * A server that never answers gives a report with
 * %BURROW_NAT_TYPE_UDP_BLOCKED, not an error.
 *
 * Since: 0.1
 */
void
burrow_stun_client_discover_nat_async (BurrowStunClient *client, GCancellable *cancellable,
    GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;
  Discovery *d;

  g_return_if_fail (BURROW_IS_STUN_CLIENT (client));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (client, cancellable, callback, user_data);
  g_task_set_source_tag (task, burrow_stun_client_discover_nat_async);
  d = g_new0 (Discovery, 1);
  d->report = burrow_nat_report_new ();
  g_task_set_task_data (task, d, (GDestroyNotify) discovery_free);
  burrow_stun_client_prepare_async (client, cancellable, discover_prepare_cb, task);
}

/**
 * burrow_stun_client_discover_nat_finish:
 * @client: a #BurrowStunClient
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Finishes [method@Burrow.StunClient.discover_nat_async].
 *
 * Returns: (transfer full): the report, or %NULL with @error set when the
 *   discovery could not run at all (cancelled, no socket, bad credentials)
 *
 * Since: 0.1
 */
BurrowNatReport *
burrow_stun_client_discover_nat_finish (BurrowStunClient *client, GAsyncResult *result,
    GError **error)
{
  g_return_val_if_fail (BURROW_IS_STUN_CLIENT (client), NULL);
  g_return_val_if_fail (g_task_is_valid (result, client), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * burrow_stun_client_discover_nat_sync:
 * @client: a #BurrowStunClient
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Like [method@Burrow.StunClient.discover_nat_async], but blocks until the
 * report is ready.
 *
 * Returns: (transfer full): the report, or %NULL with @error set
 *
 * Since: 0.1
 */
BurrowNatReport *
burrow_stun_client_discover_nat_sync (BurrowStunClient *client, GCancellable *cancellable,
    GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  g_return_val_if_fail (BURROW_IS_STUN_CLIENT (client), NULL);
  result = burrow_run_sync (burrow_stun_client_get_context (client), client,
      (BurrowAsyncStartFunc) burrow_stun_client_discover_nat_async, cancellable);
  return burrow_stun_client_discover_nat_finish (client, result, error);
}
