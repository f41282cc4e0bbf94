/* test-stun-client.c: BurrowStunClient against coturn on loopback
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "burrow-test-util.h"

static gboolean
same_address (GSocketAddress *a, GSocketAddress *b)
{
  GInetSocketAddress *ia = G_INET_SOCKET_ADDRESS (a), *ib = G_INET_SOCKET_ADDRESS (b);

  return g_inet_socket_address_get_port (ia) == g_inet_socket_address_get_port (ib) &&
      g_inet_address_equal (g_inet_socket_address_get_address (ia),
                            g_inet_socket_address_get_address (ib));
}

#include <string.h>

/* Fast retransmission so negative tests end quickly. */
static void
set_fast (BurrowStunClient *client)
{
  g_object_set (client, "rto", 50, "max-requests", 3, "last-timeout-factor", 4, NULL);
}

static gchar *
addr_str (GInetSocketAddress *a)
{
  g_autofree gchar *ip = g_inet_address_to_string (g_inet_socket_address_get_address (a));

  return g_strdup_printf ("%s:%u", ip, g_inet_socket_address_get_port (a));
}

static BurrowTestTurnServer *
start_or_fail (gboolean rfc5780, const gchar * const *args)
{
  g_autoptr(GError) error = NULL;
  BurrowTestTurnServer *server = burrow_test_turnserver_start (rfc5780, args, &error);

  g_assert_no_error (error);
  return server;
}

static void
test_bind_coturn (void)
{
  g_autoptr(BurrowTestTurnServer) server = start_or_fail (FALSE, NULL);
  g_autoptr(BurrowStunClient) client = burrow_stun_client_new (server->address, server->port);
  g_autoptr(GInetSocketAddress) mapped = NULL;
  g_autoptr(GInetSocketAddress) local = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *mapped_s = NULL;
  g_autofree gchar *local_s = NULL;

  g_object_set (client, "local-address", "127.0.0.1", NULL);
  mapped = burrow_stun_client_bind_sync (client, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (mapped);
  local = burrow_stun_client_get_local_address (client);
  g_assert_nonnull (local);
  /* On loopback there is no NAT: the server sees our own socket. */
  mapped_s = addr_str (mapped);
  local_s = addr_str (local);
  g_assert_cmpstr (mapped_s, ==, local_s);
  g_assert_cmpuint (burrow_stun_client_get_dropped_packets (client), ==, 0);
}

static void
bind_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GInetSocketAddress **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = burrow_stun_client_bind_finish (BURROW_STUN_CLIENT (source), result, &error);
  g_assert_no_error (error);
}

static void
test_bind_async_reuses_socket (void)
{
  g_autoptr(BurrowTestTurnServer) server = start_or_fail (FALSE, NULL);
  g_autoptr(BurrowStunClient) client = burrow_stun_client_new (server->address, server->port);
  g_autoptr(GInetSocketAddress) first = NULL;
  g_autoptr(GInetSocketAddress) second = NULL;
  gboolean done = FALSE;
  g_autofree gchar *a = NULL;
  g_autofree gchar *b = NULL;

  burrow_stun_client_bind_async (client, NULL, bind_done_cb, &first);
  while (first == NULL)
    g_main_context_iteration (NULL, TRUE);
  burrow_stun_client_bind_async (client, NULL, bind_done_cb, &second);
  while (second == NULL)
    g_main_context_iteration (NULL, TRUE);
  done = TRUE;
  g_assert_true (done);
  /* The same socket, hence the same mapping, for the client's lifetime. */
  a = addr_str (first);
  b = addr_str (second);
  g_assert_cmpstr (a, ==, b);
}

static void
test_long_term_credentials (void)
{
  const gchar *args[] = { "--lt-cred-mech", "--user=alice:secret", "--realm=burrow.test",
    "--secure-stun", NULL };
  g_autoptr(BurrowTestTurnServer) server = start_or_fail (FALSE, args);
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetSocketAddress) mapped = NULL;
  BurrowStunClient *client;

  /* No credentials: a clear error, not a timeout. */
  client = burrow_stun_client_new (server->address, server->port);
  mapped = burrow_stun_client_bind_sync (client, NULL, &error);
  g_assert_error (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_UNAUTHORIZED);
  g_assert_nonnull (strstr (error->message, "requires credentials"));
  g_assert_null (mapped);
  g_clear_error (&error);
  g_object_unref (client);

  /* Wrong password: the error names the user. */
  client = burrow_stun_client_new (server->address, server->port);
  burrow_stun_client_set_credentials (client, "alice", "wrong");
  mapped = burrow_stun_client_bind_sync (client, NULL, &error);
  g_assert_error (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_UNAUTHORIZED);
  g_assert_nonnull (strstr (error->message, "'alice'"));
  g_assert_null (strstr (error->message, "wrong"));
  g_clear_error (&error);
  g_object_unref (client);

  /* Right password: 401, then success with realm and nonce. */
  client = burrow_stun_client_new (server->address, server->port);
  burrow_stun_client_set_credentials (client, "alice", "secret");
  mapped = burrow_stun_client_bind_sync (client, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (mapped);
  g_object_unref (client);
}

static void
test_stale_nonce (void)
{
  const gchar *args[] = { "--lt-cred-mech", "--user=alice:secret", "--realm=burrow.test",
    "--secure-stun", "--stale-nonce=1", NULL };
  g_autoptr(BurrowTestTurnServer) server = start_or_fail (FALSE, args);
  g_autoptr(BurrowStunClient) client = burrow_stun_client_new (server->address, server->port);
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetSocketAddress) first = NULL;
  g_autoptr(GInetSocketAddress) second = NULL;

  burrow_stun_client_set_credentials (client, "alice", "secret");
  first = burrow_stun_client_bind_sync (client, NULL, &error);
  g_assert_no_error (error);
  /* Let the nonce go stale; the next request gets 438 and is retried. */
  g_usleep (2500 * 1000);
  second = burrow_stun_client_bind_sync (client, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (second);
}

static void
test_timeout (void)
{
  guint16 port = 0;
  g_autoptr(GSocket) silent = burrow_test_udp_socket ("127.0.0.1", &port);
  g_autoptr(BurrowStunClient) client = burrow_stun_client_new ("127.0.0.1", port);
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetSocketAddress) mapped = NULL;
  gint64 start, elapsed_ms;

  set_fast (client);
  start = g_get_monotonic_time ();
  mapped = burrow_stun_client_bind_sync (client, NULL, &error);
  elapsed_ms = (g_get_monotonic_time () - start) / 1000;
  g_assert_error (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_TIMEOUT);
  g_assert_null (mapped);
  /* 50 + 100 ms between three requests, then 4 * 50 ms: 350 ms. */
  g_assert_cmpint (elapsed_ms, >=, 330);
  g_assert_cmpint (elapsed_ms, <, 3000);
  g_assert_nonnull (strstr (error->message, "after 3 requests"));
}

/* ---- a relay that loses the first requests ---- */

typedef struct {
  GSocket *socket;
  GSocketAddress *server;
  GSocketAddress *client;
  guint to_drop;
  guint requests_seen;
} LossyRelay;

static gboolean
lossy_relay_cb (GSocket *socket, GIOCondition cond, gpointer user_data)
{
  LossyRelay *relay = user_data;
  guint8 buf[2048];
  g_autoptr(GSocketAddress) from = NULL;
  gssize n = g_socket_receive_from (socket, &from, (gchar *) buf, sizeof buf, NULL, NULL);

  if (n <= 0)
    return G_SOURCE_CONTINUE;
  if (same_address (from, relay->server)) {
    if (relay->client)
      g_socket_send_to (socket, relay->client, (gchar *) buf, n, NULL, NULL);
    return G_SOURCE_CONTINUE;
  }
  g_set_object (&relay->client, from);
  relay->requests_seen++;
  if (relay->to_drop > 0) {
    relay->to_drop--;
    return G_SOURCE_CONTINUE;
  }
  g_socket_send_to (socket, relay->server, (gchar *) buf, n, NULL, NULL);
  return G_SOURCE_CONTINUE;
}

static void
test_retransmits_through_loss (void)
{
  g_autoptr(BurrowTestTurnServer) server = start_or_fail (FALSE, NULL);
  LossyRelay relay = { 0 };
  guint16 relay_port = 0;
  g_autoptr(GInetAddress) ip = g_inet_address_new_from_string (server->address);
  g_autoptr(BurrowStunClient) client = NULL;
  g_autoptr(GInetSocketAddress) mapped = NULL;
  g_autoptr(GError) error = NULL;
  GSource *source;

  relay.socket = burrow_test_udp_socket ("127.0.0.1", &relay_port);
  relay.server = g_inet_socket_address_new (ip, server->port);
  relay.to_drop = 2;
  source = g_socket_create_source (relay.socket, G_IO_IN, NULL);
  g_source_set_callback (source, G_SOURCE_FUNC (lossy_relay_cb), &relay, NULL);
  g_source_attach (source, NULL);

  client = burrow_stun_client_new ("127.0.0.1", relay_port);
  g_object_set (client, "rto", 50, "max-requests", 5, NULL);
  mapped = burrow_stun_client_bind_sync (client, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (mapped);
  /* Two requests lost, the third answered. */
  g_assert_cmpuint (relay.requests_seen, ==, 3);

  g_source_destroy (source);
  g_source_unref (source);
  g_object_unref (relay.socket);
  g_object_unref (relay.server);
  g_clear_object (&relay.client);
}

/* ---- an adversary that answers with forgeries first ---- */

typedef struct {
  GSocket *socket;
  GSocket *other;            /* a second socket: wrong source */
  GSocketAddress *client;
  BurrowStunMessage *last_request;
  guint indications;
} Adversary;

static GBytes *
response_with (BurrowStunMessage *request, const gchar *ip, guint16 port, gboolean wrong_tid)
{
  g_autoptr(BurrowStunMessage) response = NULL;
  g_autoptr(GInetAddress) addr = g_inet_address_new_from_string (ip);
  g_autoptr(GSocketAddress) mapped = g_inet_socket_address_new (addr, port);

  if (wrong_tid)
    response = burrow_stun_message_new (BURROW_STUN_METHOD_BINDING,
        BURROW_STUN_CLASS_SUCCESS_RESPONSE, NULL);
  else
    response = burrow_stun_message_new_response (request, BURROW_STUN_CLASS_SUCCESS_RESPONSE);
  burrow_stun_message_add_address (response, BURROW_STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS,
      G_INET_SOCKET_ADDRESS (mapped));
  return burrow_stun_message_serialize (response, BURROW_STUN_SIGN_FINGERPRINT, NULL, 0, NULL);
}

static gboolean
adversary_cb (GSocket *socket, GIOCondition cond, gpointer user_data)
{
  Adversary *adv = user_data;
  guint8 buf[2048];
  g_autoptr(GSocketAddress) from = NULL;
  g_autoptr(BurrowStunMessage) msg = NULL;
  gssize n = g_socket_receive_from (socket, &from, (gchar *) buf, sizeof buf, NULL, NULL);
  static const guint8 garbage[] = { 0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3 };

  if (n <= 0 || (msg = burrow_stun_message_new_from_data (buf, n, NULL)) == NULL)
    return G_SOURCE_CONTINUE;
  g_set_object (&adv->client, from);
  if (burrow_stun_message_get_message_class (msg) == BURROW_STUN_CLASS_INDICATION) {
    adv->indications++;
    return G_SOURCE_CONTINUE;
  }
  {
    g_autoptr(GBytes) wrong_tid = response_with (msg, "192.0.2.66", 1111, TRUE);
    g_autoptr(GBytes) right = response_with (msg, "192.0.2.77", 4242, FALSE);
    g_autoptr(GBytes) spoofed_source = response_with (msg, "192.0.2.88", 2222, FALSE);
    gsize len;
    const guint8 *data;

    /* forged transaction id */
    data = g_bytes_get_data (wrong_tid, &len);
    g_socket_send_to (socket, from, (const gchar *) data, len, NULL, NULL);
    /* right transaction id, wrong source address */
    data = g_bytes_get_data (spoofed_source, &len);
    g_socket_send_to (adv->other, from, (const gchar *) data, len, NULL, NULL);
    /* truncated garbage with a STUN header */
    g_socket_send_to (socket, from, (const gchar *) garbage, sizeof garbage, NULL, NULL);
    /* the right answer */
    data = g_bytes_get_data (right, &len);
    g_socket_send_to (socket, from, (const gchar *) data, len, NULL, NULL);
  }
  return G_SOURCE_CONTINUE;
}

static void
test_drops_forged_responses (void)
{
  Adversary adv = { 0 };
  guint16 port = 0;
  g_autoptr(BurrowStunClient) client = NULL;
  g_autoptr(GInetSocketAddress) mapped = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *mapped_s = NULL;
  GSource *source;
  gint64 deadline;

  adv.socket = burrow_test_udp_socket ("127.0.0.1", &port);
  adv.other = burrow_test_udp_socket ("127.0.0.1", NULL);
  source = g_socket_create_source (adv.socket, G_IO_IN, NULL);
  g_source_set_callback (source, G_SOURCE_FUNC (adversary_cb), &adv, NULL);
  g_source_attach (source, NULL);

  client = burrow_stun_client_new ("127.0.0.1", port);
  set_fast (client);
  mapped = burrow_stun_client_bind_sync (client, NULL, &error);
  g_assert_no_error (error);
  mapped_s = addr_str (mapped);
  g_assert_cmpstr (mapped_s, ==, "192.0.2.77:4242");

  /* The forgeries sent before the answer are dropped and counted (those
   * arriving after it may still be in flight: wait for them a little). */
  deadline = g_get_monotonic_time () + G_USEC_PER_SEC;
  while (burrow_stun_client_get_dropped_packets (client) < 3 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpuint (burrow_stun_client_get_dropped_packets (client), >=, 3);

  /* persist() sends a Binding indication from the same socket. */
  g_assert_true (burrow_stun_client_persist (client, &error));
  g_assert_no_error (error);
  deadline = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;
  while (adv.indications == 0 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpuint (adv.indications, ==, 1);

  g_source_destroy (source);
  g_source_unref (source);
  g_object_unref (adv.socket);
  g_object_unref (adv.other);
  g_clear_object (&adv.client);
}

/* With short-term credentials, a 400 without MESSAGE-INTEGRITY must be
 * discarded (RFC 8489 9.1.4): only the signed answer may end the request. */
static gboolean
forged_400_cb (GSocket *socket, GIOCondition cond, gpointer user_data)
{
  guint8 buf[2048];
  g_autoptr(GSocketAddress) from = NULL;
  g_autoptr(BurrowStunMessage) request = NULL;
  g_autoptr(BurrowStunMessage) forged = NULL;
  g_autoptr(BurrowStunMessage) answer = NULL;
  g_autoptr(GBytes) forged_wire = NULL;
  g_autoptr(GBytes) answer_wire = NULL;
  g_autoptr(GInetAddress) ip = g_inet_address_new_from_string ("192.0.2.99");
  g_autoptr(GSocketAddress) mapped = g_inet_socket_address_new (ip, 5555);
  gssize n = g_socket_receive_from (socket, &from, (gchar *) buf, sizeof buf, NULL, NULL);

  if (n <= 0 || (request = burrow_stun_message_new_from_data (buf, n, NULL)) == NULL)
    return G_SOURCE_CONTINUE;
  g_assert_true (burrow_stun_message_check_integrity (request, (const guint8 *) "p", 1));
  forged = burrow_stun_message_new_error_response (request, 400, "Forged");
  forged_wire = burrow_stun_message_serialize (forged, BURROW_STUN_SIGN_NONE, NULL, 0, NULL);
  answer = burrow_stun_message_new_response (request, BURROW_STUN_CLASS_SUCCESS_RESPONSE);
  burrow_stun_message_add_address (answer, BURROW_STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS,
      G_INET_SOCKET_ADDRESS (mapped));
  answer_wire = burrow_stun_message_serialize (answer, BURROW_STUN_SIGN_MESSAGE_INTEGRITY,
      (const guint8 *) "p", 1, NULL);
  g_socket_send_to (socket, from, g_bytes_get_data (forged_wire, NULL),
      g_bytes_get_size (forged_wire), NULL, NULL);
  g_socket_send_to (socket, from, g_bytes_get_data (answer_wire, NULL),
      g_bytes_get_size (answer_wire), NULL, NULL);
  return G_SOURCE_CONTINUE;
}

static void
test_unauthenticated_400_is_ignored (void)
{
  guint16 port = 0;
  g_autoptr(GSocket) socket = burrow_test_udp_socket ("127.0.0.1", &port);
  g_autoptr(BurrowStunClient) client = burrow_stun_client_new ("127.0.0.1", port);
  g_autoptr(GInetSocketAddress) mapped = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *mapped_s = NULL;
  GSource *source = g_socket_create_source (socket, G_IO_IN, NULL);

  g_source_set_callback (source, G_SOURCE_FUNC (forged_400_cb), NULL, NULL);
  g_source_attach (source, NULL);
  set_fast (client);
  g_object_set (client, "credential-mechanism", BURROW_STUN_CREDENTIAL_MECHANISM_SHORT_TERM, NULL);
  burrow_stun_client_set_credentials (client, "u", "p");
  mapped = burrow_stun_client_bind_sync (client, NULL, &error);
  g_assert_no_error (error);
  mapped_s = addr_str (mapped);
  g_assert_cmpstr (mapped_s, ==, "192.0.2.99:5555");
  g_assert_cmpuint (burrow_stun_client_get_dropped_packets (client), >=, 1);
  g_source_destroy (source);
  g_source_unref (source);
}

static void
test_persist_before_bind_fails (void)
{
  g_autoptr(BurrowStunClient) client = burrow_stun_client_new ("127.0.0.1", 9);
  g_autoptr(GError) error = NULL;

  g_assert_false (burrow_stun_client_persist (client, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED);
}

static gboolean
cancel_cb (gpointer data)
{
  g_cancellable_cancel (data);
  return G_SOURCE_REMOVE;
}

static void
test_cancel (void)
{
  guint16 port = 0;
  g_autoptr(GSocket) silent = burrow_test_udp_socket ("127.0.0.1", &port);
  g_autoptr(BurrowStunClient) client = burrow_stun_client_new ("127.0.0.1", port);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetSocketAddress) mapped = NULL;
  gint64 start;

  /* default schedule: 39.5 s, so only cancellation can end it quickly */
  g_timeout_add (100, cancel_cb, cancellable);
  start = g_get_monotonic_time ();
  mapped = burrow_stun_client_bind_sync (client, cancellable, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (mapped);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 2 * G_USEC_PER_SEC);
}

static void
test_discover_loopback (void)
{
  g_autoptr(BurrowTestTurnServer) server = start_or_fail (TRUE, NULL);
  g_autoptr(BurrowStunClient) client = burrow_stun_client_new (server->address, server->port);
  g_autoptr(BurrowNatReport) report = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *other = NULL;
  g_autofree gchar *expected_other = NULL;
  g_autofree gchar *json = NULL;

  set_fast (client);
  report = burrow_stun_client_discover_nat_sync (client, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (report);
  json = burrow_nat_report_to_json (report);
  g_test_message ("%s", json);
  g_assert_cmpint (burrow_nat_report_get_nat_type (report), ==, BURROW_NAT_TYPE_NONE);
  g_assert_cmpint (burrow_nat_report_get_mapping (report), ==, BURROW_NAT_BEHAVIOR_ENDPOINT_INDEPENDENT);
  g_assert_cmpint (burrow_nat_report_get_filtering (report), ==, BURROW_NAT_BEHAVIOR_ENDPOINT_INDEPENDENT);
  g_assert_nonnull (burrow_nat_report_get_other_address (report));
  other = addr_str (burrow_nat_report_get_other_address (report));
  expected_other = g_strdup_printf ("%s:%u", server->alt_address, server->alt_port);
  g_assert_cmpstr (other, ==, expected_other);
  g_assert_cmpuint (g_strv_length ((gchar **) burrow_nat_report_get_problems (report)), ==, 0);
}

static void
test_discover_without_rfc5780 (void)
{
  g_autoptr(BurrowTestTurnServer) server = start_or_fail (FALSE, NULL);
  g_autoptr(BurrowStunClient) client = burrow_stun_client_new (server->address, server->port);
  g_autoptr(BurrowNatReport) report = NULL;
  g_autoptr(GError) error = NULL;
  const gchar * const *problems;

  set_fast (client);
  report = burrow_stun_client_discover_nat_sync (client, NULL, &error);
  g_assert_no_error (error);
  /* It says what it could not learn instead of guessing. */
  g_assert_null (burrow_nat_report_get_other_address (report));
  g_assert_cmpint (burrow_nat_report_get_filtering (report), ==, BURROW_NAT_BEHAVIOR_UNKNOWN);
  g_assert_nonnull (burrow_nat_report_get_external_address (report));
  problems = burrow_nat_report_get_problems (report);
  g_assert_nonnull (problems[0]);
  g_assert_nonnull (strstr (problems[0], "RFC 5780"));
}

static void
test_discover_no_answer (void)
{
  guint16 port = 0;
  g_autoptr(GSocket) silent = burrow_test_udp_socket ("127.0.0.1", &port);
  g_autoptr(BurrowStunClient) client = burrow_stun_client_new ("127.0.0.1", port);
  g_autoptr(BurrowNatReport) report = NULL;
  g_autoptr(GError) error = NULL;

  set_fast (client);
  report = burrow_stun_client_discover_nat_sync (client, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (burrow_nat_report_get_nat_type (report), ==, BURROW_NAT_TYPE_UDP_BLOCKED);
  g_assert_null (burrow_nat_report_get_external_address (report));
  g_assert_nonnull (burrow_nat_report_get_problems (report)[0]);
}

static gpointer
loop_thread (gpointer data)
{
  GMainLoop *loop = data;

  g_main_context_push_thread_default (g_main_loop_get_context (loop));
  g_main_loop_run (loop);
  g_main_context_pop_thread_default (g_main_loop_get_context (loop));
  return NULL;
}

static void
test_sync_while_another_thread_runs_the_context (void)
{
  g_autoptr(BurrowTestTurnServer) server = start_or_fail (FALSE, NULL);
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GMainLoop) loop = g_main_loop_new (context, FALSE);
  g_autoptr(BurrowStunClient) client = NULL;
  g_autoptr(GInetSocketAddress) mapped = NULL;
  g_autoptr(GError) error = NULL;
  GThread *thread;

  g_main_context_push_thread_default (context);
  client = burrow_stun_client_new (server->address, server->port);
  g_main_context_pop_thread_default (context);

  thread = g_thread_new ("loop", loop_thread, loop);
  while (!g_main_loop_is_running (loop))
    g_usleep (1000);
  mapped = burrow_stun_client_bind_sync (client, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (mapped);
  g_main_loop_quit (loop);
  g_thread_join (thread);
  g_clear_object (&client);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/stun/client/bind/coturn-returns-own-address-on-loopback", test_bind_coturn);
  g_test_add_func ("/stun/client/bind/async-keeps-one-socket", test_bind_async_reuses_socket);
  g_test_add_func ("/stun/client/bind/long-term-credentials", test_long_term_credentials);
  g_test_add_func ("/stun/client/bind/stale-nonce-is-retried", test_stale_nonce);
  g_test_add_func ("/stun/client/bind/times-out-on-silent-port", test_timeout);
  g_test_add_func ("/stun/client/bind/retransmits-through-loss", test_retransmits_through_loss);
  g_test_add_func ("/stun/client/bind/drops-forged-responses", test_drops_forged_responses);
  g_test_add_func ("/stun/client/bind/cancellable", test_cancel);
  g_test_add_func ("/stun/client/bind/short-term-unsigned-400-is-ignored",
      test_unauthenticated_400_is_ignored);
  g_test_add_func ("/stun/client/bind/sync-from-another-thread",
      test_sync_while_another_thread_runs_the_context);
  g_test_add_func ("/stun/client/persist/needs-bind-first", test_persist_before_bind_fails);
  g_test_add_func ("/stun/client/discover/loopback-rfc5780-server", test_discover_loopback);
  g_test_add_func ("/stun/client/discover/server-without-rfc5780", test_discover_without_rfc5780);
  g_test_add_func ("/stun/client/discover/no-answer-is-udp-blocked", test_discover_no_answer);

  return g_test_run ();
}
