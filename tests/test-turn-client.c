/* test-turn-client.c: BurrowTurnClient against coturn on loopback:
 * allocating, authenticating, redirects, refreshes, release and faults
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every test starts its own coturn on free ports (BURROW_TEST_KEEP_LOGS=1
 * keeps their logs); relayed data is in test-turn-data.c.
 */
#include "turn-fixture.h"

#include <string.h>

typedef TurnFixture Fixture;

static const BurrowTestTurnOptions plain_server = { 0 };
static const BurrowTestTurnOptions tls_server = { .tls = TRUE };
static const BurrowTestTurnOptions ipv6_server = { .ipv6 = TRUE };
static const BurrowTestTurnOptions rest_server = { .auth_secret = "burrow-rest-secret" };
static const BurrowTestTurnOptions stale_nonce_server = { .stale_nonce = 2 };
static const BurrowTestTurnOptions short_lifetime_server = { .max_allocate_lifetime = 4 };

/* ---- helpers ---- */

/* Fails fast: three requests, 100 + 200 ms apart, then 200 ms. */
static void
client_set_impatient (BurrowTurnClient *client)
{
  g_object_set (client, "rto", 100, "max-requests", 3, "last-timeout-factor", 2, NULL);
}

static gchar *
ip_of (GInetSocketAddress *address)
{
  g_assert_nonnull (address);
  return g_inet_address_to_string (g_inet_socket_address_get_address (address));
}

/* The relayed address is on the server's relay IP, in its port range. */
static void
assert_relayed_by (GInetSocketAddress *relayed, BurrowTestTurnServer *server, const gchar *ip)
{
  g_autofree gchar *relayed_ip = ip_of (relayed);
  guint16 port = g_inet_socket_address_get_port (relayed);

  g_assert_cmpstr (relayed_ip, ==, ip);
  g_assert_cmpuint (port, >=, server->min_port);
  g_assert_cmpuint (port, <=, server->max_port);
}

static void
assert_address (GInetSocketAddress *address, const gchar *ip, guint16 port)
{
  g_autofree gchar *s = burrow_test_address_to_string (address);
  g_autofree gchar *expected = NULL;

  if (strchr (ip, ':'))
    expected = g_strdup_printf ("[%s]:%u", ip, port);
  else
    expected = g_strdup_printf ("%s:%u", ip, port);
  g_assert_cmpstr (s, ==, expected);
}

/* Waits until the server's log has at least n lines with needle. */
static void
wait_log (BurrowTestTurnServer *server, const gchar *needle, guint n, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (burrow_test_turnserver_count_log (server, needle) < n &&
      g_get_monotonic_time () < deadline)
    burrow_test_sleep (20);
  g_assert_cmpuint (burrow_test_turnserver_count_log (server, needle), >=, n);
}

typedef struct {
  guint refreshed;
  guint last_lifetime;
  guint expired;
  guint errors;
  GError *error;
} Events;

static void
refreshed_cb (BurrowRelayAllocation *allocation, guint lifetime, Events *events)
{
  events->refreshed++;
  events->last_lifetime = lifetime;
}

static void
expired_cb (BurrowRelayAllocation *allocation, Events *events)
{
  events->expired++;
}

static void
error_cb (BurrowRelayAllocation *allocation, GError *error, Events *events)
{
  events->errors++;
  g_clear_error (&events->error);
  events->error = g_error_copy (error);
}

static void
events_connect (BurrowRelayAllocation *allocation, Events *events)
{
  g_signal_connect (allocation, "refreshed", G_CALLBACK (refreshed_cb), events);
  g_signal_connect (allocation, "expired", G_CALLBACK (expired_cb), events);
  g_signal_connect (allocation, "error", G_CALLBACK (error_cb), events);
}

static void
events_disconnect (BurrowRelayAllocation *allocation, Events *events)
{
  g_signal_handlers_disconnect_by_data (allocation, events);
  g_clear_error (&events->error);
}

/* ---- allocate ---- */

static void
check_allocate (Fixture *f, BurrowTransport transport)
{
  g_autoptr(BurrowTurnClient) client = turn_test_client_new (f->server, transport);
  g_autoptr(BurrowRelayAllocation) allocation = turn_test_allocate_ok (client, NULL);
  BurrowRelayAllocation *again;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree gchar *realm = NULL;
  g_autofree gchar *mapped_ip = NULL;
  g_auto(GStrv) peers = NULL;
  GInetSocketAddress *mapped;
  GDateTime *expires;
  guint lifetime;
  guint16 port = transport == BURROW_TRANSPORT_TLS ? f->server->tls_port : f->server->port;

  assert_relayed_by (burrow_relay_allocation_get_relayed_address (allocation), f->server,
      "127.0.0.1");
  g_assert_null (burrow_relay_allocation_get_additional_relayed_address (allocation));
  /* No NAT on loopback: the server saw our own socket. */
  mapped = burrow_relay_allocation_get_mapped_address (allocation);
  mapped_ip = ip_of (mapped);
  g_assert_cmpstr (mapped_ip, ==, "127.0.0.1");
  g_assert_cmpuint (g_inet_socket_address_get_port (mapped), !=, 0);
  g_assert_cmpuint (g_inet_socket_address_get_port (mapped), !=, port);
  assert_address (burrow_relay_allocation_get_server (allocation), "127.0.0.1", port);
  assert_address (burrow_turn_client_get_server_address (client), "127.0.0.1", port);

  /* RFC 8656: without a LIFETIME, 600 s; coturn grants it. */
  lifetime = burrow_relay_allocation_get_lifetime (allocation);
  g_assert_cmpuint (lifetime, >=, 60);
  g_assert_cmpuint (lifetime, <=, 3600);
  expires = burrow_relay_allocation_get_expires_at (allocation);
  g_assert_nonnull (expires);
  g_assert_cmpint (g_date_time_difference (expires, now) / G_TIME_SPAN_SECOND, >=,
      (gint64) lifetime - 5);
  g_assert_cmpint (g_date_time_difference (expires, now) / G_TIME_SPAN_SECOND, <=,
      (gint64) lifetime + 5);
  g_assert_cmpuint (burrow_relay_allocation_get_reservation_token (allocation), ==, 0);
  g_object_get (allocation, "permitted-peers", &peers, NULL);
  g_assert_true (peers == NULL || peers[0] == NULL);

  g_object_get (client, "realm", &realm, NULL);
  g_assert_cmpstr (realm, ==, BURROW_TEST_TURN_REALM);
  again = burrow_turn_client_get_allocation (client);
  g_assert_true (again == allocation);
  g_assert_cmpuint (burrow_turn_client_get_dropped_packets (client), ==, 0);
  g_assert_cmpuint (burrow_relay_allocation_get_dropped_packets (allocation), ==, 0);
  g_assert_cmpuint (burrow_test_turnserver_count_log (f->server,
          "ALLOCATE processed, success"), ==, 1);
}

static void
test_allocate_udp (Fixture *f, gconstpointer data)
{
  check_allocate (f, BURROW_TRANSPORT_UDP);
}

static void
test_allocate_tcp (Fixture *f, gconstpointer data)
{
  check_allocate (f, BURROW_TRANSPORT_TCP);
}

static void
test_allocate_tls (Fixture *f, gconstpointer data)
{
  check_allocate (f, BURROW_TRANSPORT_TLS);
}

static void
test_allocate_tls_untrusted_fails (Fixture *f, gconstpointer data)
{
  g_autoptr(BurrowTurnClient) client = turn_test_client_new (f->server, BURROW_TRANSPORT_TLS);
  g_autoptr(BurrowRelayAllocation) allocation = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  /* The system store does not know our self-signed certificate. */
  g_object_set (client, "tls-ca-file", NULL, NULL);
  allocation = burrow_turn_client_allocate_sync (client, NULL, NULL, &error);
  g_assert_error (error, BURROW_TURN_ERROR, BURROW_TURN_ERROR_TLS);
  g_assert_null (allocation);
  g_assert_cmpint (burrow_test_elapsed_ms (start), <, 5000);
  g_assert_null (burrow_turn_client_get_allocation (client));
  g_assert_cmpuint (burrow_test_turnserver_count_log (f->server,
          "ALLOCATE processed, success"), ==, 0);
  g_clear_object (&client);
  g_clear_error (&error);

  /* A certificate store that cannot be read fails at once, and says so,
   * rather than falling back to the system's. */
  client = turn_test_client_new (f->server, BURROW_TRANSPORT_TLS);
  g_object_set (client, "tls-ca-file", "/nonexistent/burrow-ca.pem", NULL);
  allocation = burrow_turn_client_allocate_sync (client, NULL, NULL, &error);
  g_assert_error (error, BURROW_TURN_ERROR, BURROW_TURN_ERROR_TLS);
  g_assert_nonnull (strstr (error->message, "/nonexistent/burrow-ca.pem"));
  g_assert_null (allocation);
  g_clear_object (&client);
  g_clear_error (&error);

  /* Trusting it explicitly works. */
  client = turn_test_client_new (f->server, BURROW_TRANSPORT_TLS);
  g_object_set (client, "tls-ca-file", NULL, "tls-accept-invalid-certificates", TRUE, NULL);
  allocation = turn_test_allocate_ok (client, NULL);
  assert_relayed_by (burrow_relay_allocation_get_relayed_address (allocation), f->server,
      "127.0.0.1");
}

typedef struct {
  BurrowRelayAllocation *allocation;
  GError *error;
  gboolean done;
} AllocateResult;

static void
allocate_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  AllocateResult *r = user_data;

  r->allocation = burrow_turn_client_allocate_finish (BURROW_TURN_CLIENT (source), result,
      &r->error);
  r->done = TRUE;
}

static void
test_allocate_same_while_alive (Fixture *f, gconstpointer data)
{
  BurrowTurnClient *client = turn_test_client_new (f->server, BURROW_TRANSPORT_UDP);
  BurrowRelayAllocation *allocation = turn_test_allocate_ok (client, NULL);
  BurrowRelayAllocation *again = turn_test_allocate_ok (client, NULL);
  g_autoptr(BurrowTurnClient) owner = NULL;
  g_autoptr(BurrowTurnClient) second = NULL;
  AllocateResult r1 = { 0 }, r2 = { 0 };
  gint64 deadline;

  /* The second call returns the living allocation; the server saw one. */
  g_assert_true (again == allocation);
  g_object_unref (again);
  g_assert_cmpuint (burrow_test_turnserver_count_log (f->server,
          "ALLOCATE processed, success"), ==, 1);

  /* The allocation keeps its client alive. */
  g_object_add_weak_pointer (G_OBJECT (client), (gpointer *) &client);
  g_object_add_weak_pointer (G_OBJECT (allocation), (gpointer *) &allocation);
  g_object_unref (client);
  g_assert_nonnull (client);
  g_object_get (allocation, "client", &owner, NULL);
  g_assert_true (owner == client);
  g_clear_object (&owner);
  g_assert_cmpint (burrow_relay_allocation_get_state (allocation), ==,
      BURROW_RELAY_STATE_ALLOCATED);

  /* The last reference gone, it is released on the server and then the
   * client goes too. */
  g_object_unref (allocation);
  g_assert_null (allocation);
  wait_log (f->server, "REFRESH processed, success", 1, 3000);
  deadline = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;
  while (client != NULL && g_get_monotonic_time () < deadline)
    burrow_test_sleep (10);
  g_assert_null (client);

  /* Two concurrent calls on a fresh client share one allocation. */
  second = turn_test_client_new (f->server, BURROW_TRANSPORT_UDP);
  burrow_turn_client_allocate_async (second, NULL, NULL, allocate_done_cb, &r1);
  burrow_turn_client_allocate_async (second, NULL, NULL, allocate_done_cb, &r2);
  burrow_test_run_until (&r1.done, 5000);
  burrow_test_run_until (&r2.done, 5000);
  g_assert_no_error (r1.error);
  g_assert_no_error (r2.error);
  g_assert_nonnull (r1.allocation);
  g_assert_true (r1.allocation == r2.allocation);
  g_assert_cmpuint (burrow_test_turnserver_count_log (f->server,
          "ALLOCATE processed, success"), ==, 2);
  g_object_unref (r1.allocation);
  g_object_unref (r2.allocation);
}

static void
test_allocate_even_port (Fixture *f, gconstpointer data)
{
  g_autoptr(BurrowAllocateOptions) options = burrow_allocate_options_new ();
  guint i;

  burrow_allocate_options_set_even_port (options, TRUE);
  /* Four, so that luck passes a broken client one time in sixteen. */
  for (i = 0; i < 4; i++) {
    g_autoptr(BurrowTurnClient) client = turn_test_client_new (f->server, BURROW_TRANSPORT_UDP);
    g_autoptr(BurrowRelayAllocation) allocation = turn_test_allocate_ok (client, options);
    GInetSocketAddress *relayed = burrow_relay_allocation_get_relayed_address (allocation);

    assert_relayed_by (relayed, f->server, "127.0.0.1");
    g_assert_cmpuint (g_inet_socket_address_get_port (relayed) % 2, ==, 0);
    /* No R bit asked: no token. */
    g_assert_cmpuint (burrow_relay_allocation_get_reservation_token (allocation), ==, 0);
  }
}

static void
test_allocate_reserve_and_token (Fixture *f, gconstpointer data)
{
  g_autoptr(BurrowAllocateOptions) reserve = burrow_allocate_options_new ();
  g_autoptr(BurrowAllocateOptions) redeem = burrow_allocate_options_new ();
  g_autoptr(BurrowTurnClient) first = turn_test_client_new (f->server, BURROW_TRANSPORT_UDP);
  g_autoptr(BurrowTurnClient) second = turn_test_client_new (f->server, BURROW_TRANSPORT_UDP);
  g_autoptr(BurrowTurnClient) third = turn_test_client_new (f->server, BURROW_TRANSPORT_UDP);
  g_autoptr(BurrowRelayAllocation) rtp = NULL;
  g_autoptr(BurrowRelayAllocation) rtcp = NULL;
  g_autoptr(BurrowRelayAllocation) twice = NULL;
  g_autoptr(GError) error = NULL;
  guint64 token;
  guint16 rtp_port;

  burrow_allocate_options_set_even_port (reserve, TRUE);
  burrow_allocate_options_set_reserve_next_port (reserve, TRUE);
  rtp = turn_test_allocate_ok (first, reserve);
  rtp_port = g_inet_socket_address_get_port (burrow_relay_allocation_get_relayed_address (rtp));
  g_assert_cmpuint (rtp_port % 2, ==, 0);
  token = burrow_relay_allocation_get_reservation_token (rtp);
  g_assert_cmpuint (token, !=, 0);

  /* The token redeems the next port, on another client. */
  burrow_allocate_options_set_reservation_token (redeem, token);
  rtcp = turn_test_allocate_ok (second, redeem);
  assert_address (burrow_relay_allocation_get_relayed_address (rtcp), "127.0.0.1",
      rtp_port + 1);

  /* Only once. */
  client_set_impatient (third);
  twice = burrow_turn_client_allocate_sync (third, redeem, NULL, &error);
  g_assert_nonnull (error);
  g_assert_true (error->domain == BURROW_TURN_ERROR);
  g_assert_null (twice);
}

static void
test_allocate_ipv6 (Fixture *f, gconstpointer data)
{
  g_autoptr(BurrowAllocateOptions) options = burrow_allocate_options_new ();
  g_autoptr(BurrowTurnClient) v4 = turn_test_client_new (f->server, BURROW_TRANSPORT_UDP);
  g_autoptr(BurrowTurnClient) v6 = burrow_turn_client_new ("::1", f->server->port,
      f->server->user, f->server->password);
  g_autoptr(BurrowTurnClient) dual = turn_test_client_new (f->server, BURROW_TRANSPORT_UDP);
  g_autoptr(BurrowRelayAllocation) a = NULL;
  g_autoptr(BurrowRelayAllocation) b = NULL;
  g_autoptr(BurrowRelayAllocation) c = NULL;
  g_autofree gchar *mapped_ip = NULL;
  GInetSocketAddress *additional;

  /* An IPv6 relay over IPv4 (RFC 6156 REQUESTED-ADDRESS-FAMILY). */
  burrow_allocate_options_set_family (options, BURROW_ADDRESS_FAMILY_IPV6);
  a = turn_test_allocate_ok (v4, options);
  assert_relayed_by (burrow_relay_allocation_get_relayed_address (a), f->server, "::1");
  mapped_ip = ip_of (burrow_relay_allocation_get_mapped_address (a));
  g_assert_cmpstr (mapped_ip, ==, "127.0.0.1");
  g_clear_pointer (&mapped_ip, g_free);

  /* Over IPv6 without a family: IPv4, the RFC 6156 default. */
  g_object_set (v6, "local-address", "::1", "rto", 100, "max-requests", 5, NULL);
  b = turn_test_allocate_ok (v6, NULL);
  assert_relayed_by (burrow_relay_allocation_get_relayed_address (b), f->server, "127.0.0.1");
  mapped_ip = ip_of (burrow_relay_allocation_get_mapped_address (b));
  g_assert_cmpstr (mapped_ip, ==, "::1");
  assert_address (burrow_relay_allocation_get_server (b), "::1", f->server->port);

  /* Dual: the IPv4 one always; the IPv6 one where the server speaks RFC
   * 8656 ADDITIONAL-ADDRESS-FAMILY (0x8000). coturn 4.6.1 knows only the
   * draft's 0x8032 and ignores it. */
  burrow_allocate_options_set_family (options, BURROW_ADDRESS_FAMILY_DUAL);
  c = turn_test_allocate_ok (dual, options);
  assert_relayed_by (burrow_relay_allocation_get_relayed_address (c), f->server, "127.0.0.1");
  additional = burrow_relay_allocation_get_additional_relayed_address (c);
  if (additional)
    assert_relayed_by (additional, f->server, "::1");
  else
    g_test_message ("coturn gave no additional IPv6 relayed address");
}

/* ---- auth ---- */

static void
test_auth_rest_credentials (Fixture *f, gconstpointer data)
{
  g_autofree gchar *username = NULL;
  g_autofree gchar *password = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(BurrowTurnClient) client = NULL;
  g_autoptr(BurrowTurnClient) late = NULL;
  g_autoptr(BurrowRelayAllocation) allocation = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  guint64 expiry;

  /* coturn's use-auth-secret scheme: "<expiry>:<user>" and
   * base64(HMAC-SHA1(secret, username)); the password is what
   * `echo -n 1700003600:alice | openssl dgst -sha1 -hmac s3cret -binary |
   * base64` prints. */
  g_assert_true (burrow_turn_rest_credentials ("s3cret", "alice", 3600, 1700000000,
          &username, &password, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (username, ==, "1700003600:alice");
  g_assert_cmpstr (password, ==, "YAFdW/YDZewZsR1QSgUk2IrfbRI=");
  g_clear_pointer (&username, g_free);
  g_clear_pointer (&password, g_free);

  /* now = 0: the current time. */
  g_assert_true (burrow_turn_rest_credentials (f->server->auth_secret, "burrow", 600, 0,
          &username, &password, &error));
  g_assert_no_error (error);
  expiry = g_ascii_strtoull (username, NULL, 10);
  g_assert_cmpint ((gint64) expiry, >=, now + 599);
  g_assert_cmpint ((gint64) expiry, <=, now + 602);
  g_assert_true (g_str_has_suffix (username, ":burrow"));

  client = turn_test_client_new (f->server, BURROW_TRANSPORT_UDP);
  burrow_turn_client_set_credentials (client, username, password);
  allocation = turn_test_allocate_ok (client, NULL);
  g_clear_pointer (&username, g_free);
  g_clear_pointer (&password, g_free);

  /* Credentials that expired an hour ago are refused. */
  g_assert_true (burrow_turn_rest_credentials (f->server->auth_secret, "burrow", 600,
          now - 3600, &username, &password, &error));
  late = turn_test_client_new (f->server, BURROW_TRANSPORT_UDP);
  burrow_turn_client_set_credentials (late, username, password);
  g_clear_object (&allocation);
  allocation = burrow_turn_client_allocate_sync (late, NULL, NULL, &error);
  g_assert_error (error, BURROW_TURN_ERROR, BURROW_TURN_ERROR_UNAUTHORIZED);
  g_assert_null (allocation);
}

static void
check_refused (Fixture *f, const gchar *user, const gchar *password, const gchar *named)
{
  g_autoptr(BurrowTurnClient) client = turn_test_client_new (f->server, BURROW_TRANSPORT_UDP);
  g_autoptr(BurrowRelayAllocation) allocation = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *server = g_strdup_printf ("127.0.0.1:%u", f->server->port);
  gint64 start = g_get_monotonic_time ();

  burrow_turn_client_set_credentials (client, user, password);
  allocation = burrow_turn_client_allocate_sync (client, NULL, NULL, &error);
  g_assert_error (error, BURROW_TURN_ERROR, BURROW_TURN_ERROR_UNAUTHORIZED);
  g_assert_null (allocation);
  /* An answer, not a timeout, and not a retry loop. */
  g_assert_cmpint (burrow_test_elapsed_ms (start), <, 1500);
  g_test_message ("error: %s", error->message);
  g_assert_nonnull (strstr (error->message, server));
  if (named)
    g_assert_nonnull (strstr (error->message, named));
  if (password && *password)
    g_assert_null (strstr (error->message, password));
  g_assert_null (burrow_turn_client_get_allocation (client));
  g_assert_cmpuint (burrow_test_turnserver_count_log (f->server,
          "ALLOCATE processed, success"), ==, 0);
}

static void
test_auth_wrong_password (Fixture *f, gconstpointer data)
{
  check_refused (f, BURROW_TEST_TURN_USER, "not-the-password", "'" BURROW_TEST_TURN_USER "'");
}

static void
test_auth_unknown_user (Fixture *f, gconstpointer data)
{
  check_refused (f, "mallory", BURROW_TEST_TURN_PASSWORD, "'mallory'");
}

static void
test_auth_missing_credentials (Fixture *f, gconstpointer data)
{
  check_refused (f, NULL, NULL, NULL);
}

static void
test_auth_stale_nonce_transparent (Fixture *f, gconstpointer data)
{
  g_autoptr(BurrowTurnClient) client = turn_test_client_new (f->server, BURROW_TRANSPORT_UDP);
  g_autoptr(BurrowRelayAllocation) allocation = turn_test_allocate_ok (client, NULL);
  g_autoptr(BurrowTestUdpPeer) peer = burrow_test_udp_peer_new ("127.0.0.1");
  g_autoptr(GInetSocketAddress) peer_address = burrow_test_udp_peer_get_address (peer);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) got = NULL;
  guint16 channel;

  /* coturn's nonces live 2 s (checked with a one-second clock): each
   * operation below meets a stale one first. */
  burrow_test_sleep (3100);
  turn_test_permission_to (allocation, "127.0.0.1");
  burrow_test_sleep (3100);
  g_assert_true (burrow_relay_allocation_refresh_sync (allocation, NULL, &error));
  g_assert_no_error (error);
  burrow_test_sleep (3100);
  channel = burrow_relay_allocation_bind_channel_sync (allocation, peer_address, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (channel, >=, 0x4000);
  g_assert_cmpuint (burrow_test_turnserver_count_log (f->server, "error 438"), >=, 3);
  g_assert_cmpint (burrow_relay_allocation_get_state (allocation), ==,
      BURROW_RELAY_STATE_ALLOCATED);

  /* And data still flows. */
  g_assert_true (burrow_relay_allocation_send_data (allocation, peer_address,
          (const guint8 *) "fresh", 5, &error));
  g_assert_no_error (error);
  got = burrow_test_udp_peer_receive (peer, 2000, NULL);
  g_assert_nonnull (got);
  g_assert_cmpmem (g_bytes_get_data (got, NULL), g_bytes_get_size (got), "fresh", 5);
}

/* ---- redirect ---- */

static void
test_redirect_alternate_server (void)
{
  g_autoptr(BurrowTestTurnServer) b = burrow_test_turnserver_start_full (NULL, NULL);
  g_autoptr(BurrowTestTurnServer) a = NULL;
  BurrowTestTurnOptions options = { 0 };
  g_autofree gchar *alternate = NULL;
  BurrowTransport transports[] = { BURROW_TRANSPORT_UDP, BURROW_TRANSPORT_TCP };
  g_autoptr(GError) error = NULL;
  guint i;

  g_assert_nonnull (b);
  alternate = g_strdup_printf ("127.0.0.1:%u", b->port);
  options.alternate_server = alternate;
  a = burrow_test_turnserver_start_full (&options, &error);
  g_assert_no_error (error);

  /* Told not to follow any. */
  {
    g_autoptr(BurrowTurnClient) client = turn_test_client_new (a, BURROW_TRANSPORT_UDP);
    g_autoptr(BurrowRelayAllocation) allocation = NULL;

    g_object_set (client, "max-redirects", 0, NULL);
    allocation = burrow_turn_client_allocate_sync (client, NULL, NULL, &error);
    g_assert_error (error, BURROW_TURN_ERROR, BURROW_TURN_ERROR_TOO_MANY_REDIRECTS);
    g_assert_null (allocation);
    g_assert_cmpuint (burrow_test_turnserver_count_log (b, "ALLOCATE processed"), ==, 0);
    g_clear_error (&error);
  }

  for (i = 0; i < G_N_ELEMENTS (transports); i++) {
    g_autoptr(BurrowTurnClient) client = turn_test_client_new (a, transports[i]);
    g_autoptr(BurrowRelayAllocation) allocation = turn_test_allocate_ok (client, NULL);
    g_autoptr(GInetSocketAddress) server_address = NULL;

    g_test_message ("over %s", i == 0 ? "UDP" : "TCP");
    /* Allocated on B, with B's relay range; A only redirected. */
    assert_relayed_by (burrow_relay_allocation_get_relayed_address (allocation), b, "127.0.0.1");
    assert_address (burrow_relay_allocation_get_server (allocation), "127.0.0.1", b->port);
    assert_address (burrow_turn_client_get_server_address (client), "127.0.0.1", b->port);
    g_object_get (client, "server-address", &server_address, NULL);
    assert_address (server_address, "127.0.0.1", b->port);
    g_assert_cmpuint (burrow_test_turnserver_count_log (a, "ALLOCATE processed, success"), ==, 0);
    g_assert_cmpuint (burrow_test_turnserver_count_log (a, "error 300"), >=, i + 2);
    g_assert_cmpuint (burrow_test_turnserver_count_log (b, "ALLOCATE processed, success"), ==,
        i + 1);
    /* Later requests go to B too. */
    g_assert_true (burrow_relay_allocation_refresh_sync (allocation, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (burrow_test_turnserver_count_log (a, "REFRESH"), ==, 0);
  }
}

static void
test_redirect_loop_bounded (void)
{
  guint16 port_b = burrow_test_free_udp_port (2);
  g_autofree gchar *to_b = g_strdup_printf ("127.0.0.1:%u", port_b);
  g_autofree gchar *to_a = NULL;
  BurrowTestTurnOptions options_a = { .alternate_server = to_b };
  BurrowTestTurnOptions options_b = { .port = port_b };
  g_autoptr(BurrowTestTurnServer) a = NULL;
  g_autoptr(BurrowTestTurnServer) b = NULL;
  g_autoptr(BurrowTurnClient) client = NULL;
  g_autoptr(BurrowRelayAllocation) allocation = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start;

  a = burrow_test_turnserver_start_full (&options_a, &error);
  g_assert_no_error (error);
  to_a = g_strdup_printf ("127.0.0.1:%u", a->port);
  options_b.alternate_server = to_a;
  b = burrow_test_turnserver_start_full (&options_b, &error);
  g_assert_no_error (error);

  client = turn_test_client_new (a, BURROW_TRANSPORT_UDP);
  start = g_get_monotonic_time ();
  allocation = burrow_turn_client_allocate_sync (client, NULL, NULL, &error);
  g_assert_error (error, BURROW_TURN_ERROR, BURROW_TURN_ERROR_TOO_MANY_REDIRECTS);
  g_assert_null (allocation);
  g_assert_cmpint (burrow_test_elapsed_ms (start), <, 3000);
  /* A, B, and at most max-redirects (3) hops in all. */
  g_assert_cmpuint (burrow_test_turnserver_count_log (a, "error 300") +
      burrow_test_turnserver_count_log (b, "error 300"), >=, 2);
  g_assert_cmpuint (burrow_test_turnserver_count_log (a, "error 300") +
      burrow_test_turnserver_count_log (b, "error 300"), <=, 4);
  g_assert_null (burrow_turn_client_get_allocation (client));
}

/* ---- refresh ---- */

static void
test_refresh_on_demand (Fixture *f, gconstpointer data)
{
  g_autoptr(BurrowAllocateOptions) options = burrow_allocate_options_new ();
  g_autoptr(BurrowTurnClient) client = turn_test_client_new (f->server, BURROW_TRANSPORT_UDP);
  g_autoptr(BurrowRelayAllocation) allocation = NULL;
  g_autoptr(GDateTime) before = NULL;
  g_autoptr(GError) error = NULL;
  Events events = { 0 };
  guint refreshes;

  /* coturn grants 600 s to 3600 s: it raises shorter requests to 600. */
  burrow_allocate_options_set_lifetime (options, 1200);
  allocation = turn_test_allocate_ok (client, options);
  g_assert_cmpuint (burrow_relay_allocation_get_lifetime (allocation), ==, 1200);
  events_connect (allocation, &events);
  before = g_date_time_ref (burrow_relay_allocation_get_expires_at (allocation));
  refreshes = burrow_test_turnserver_count_log (f->server, "REFRESH processed, success");

  burrow_test_sleep (1100);
  g_assert_true (burrow_relay_allocation_refresh_sync (allocation, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (events.refreshed, ==, 1);
  g_assert_cmpuint (events.last_lifetime, ==, 1200);
  g_assert_cmpuint (events.errors, ==, 0);
  g_assert_cmpint (g_date_time_difference (burrow_relay_allocation_get_expires_at (allocation),
          before), >=, G_TIME_SPAN_SECOND);
  g_assert_cmpuint (burrow_test_turnserver_count_log (f->server, "REFRESH processed, success"),
      ==, refreshes + 1);
  g_assert_cmpint (burrow_relay_allocation_get_state (allocation), ==,
      BURROW_RELAY_STATE_ALLOCATED);
  events_disconnect (allocation, &events);
}

static void
test_refresh_auto_keeps_alive (Fixture *f, gconstpointer data)
{
  g_autoptr(BurrowAllocateOptions) options = burrow_allocate_options_new ();
  g_autoptr(BurrowTurnClient) client = turn_test_client_new (f->server, BURROW_TRANSPORT_UDP);
  g_autoptr(BurrowRelayAllocation) allocation = NULL;
  g_autoptr(BurrowTestUdpPeer) peer = burrow_test_udp_peer_new ("127.0.0.1");
  g_autoptr(GInetSocketAddress) from = NULL;
  g_autoptr(GBytes) got = NULL;
  g_autoptr(GError) error = NULL;
  Events events = { 0 };

  /* coturn caps the lifetime at 4 s: refreshes every 2 s. It caps only
   * requests of 600 s and more: a Refresh without LIFETIME (or with less
   * than 600) gets 600 s, whatever --max-allocate-lifetime says. */
  burrow_allocate_options_set_lifetime (options, 3600);
  allocation = turn_test_allocate_ok (client, options);
  g_assert_true (burrow_relay_allocation_get_auto_refresh (allocation));
  g_assert_cmpuint (burrow_relay_allocation_get_lifetime (allocation), ==, 4);
  events_connect (allocation, &events);
  turn_test_permission_to (allocation, "127.0.0.1");

  burrow_test_sleep (12500);
  g_test_message ("%u refreshes, the last for %u s", events.refreshed, events.last_lifetime);
  g_assert_cmpuint (events.refreshed, >=, 2);
  g_assert_cmpuint (events.expired, ==, 0);
  g_assert_cmpuint (events.errors, ==, 0);
  g_assert_cmpint (burrow_relay_allocation_get_state (allocation), ==,
      BURROW_RELAY_STATE_ALLOCATED);
  g_assert_cmpuint (burrow_test_turnserver_count_log (f->server, "allocation timeout"), ==, 0);

  /* The relay still works: a peer reaches us through it. */
  burrow_test_udp_peer_send (peer, burrow_relay_allocation_get_relayed_address (allocation),
      "alive", 5);
  got = burrow_relay_allocation_receive_sync (allocation, NULL, 2000, &from, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (got);
  g_assert_cmpmem (g_bytes_get_data (got, NULL), g_bytes_get_size (got), "alive", 5);
  events_disconnect (allocation, &events);
}

static void
test_refresh_off_expires (Fixture *f, gconstpointer data)
{
  g_autoptr(BurrowTurnClient) client = turn_test_client_new (f->server, BURROW_TRANSPORT_UDP);
  g_autoptr(BurrowRelayAllocation) allocation = turn_test_allocate_ok (client, NULL);
  g_autoptr(GInetSocketAddress) peer = burrow_test_inet_address ("127.0.0.1", 9);
  g_autoptr(GError) error = NULL;
  Events events = { 0 };
  gint64 start = g_get_monotonic_time ();

  burrow_relay_allocation_set_auto_refresh (allocation, FALSE);
  events_connect (allocation, &events);
  turn_test_permission_to (allocation, "127.0.0.1");

  /* Lifetime 4 s: expired within 4 s and a little. */
  while (events.expired == 0 && burrow_test_elapsed_ms (start) < 7000)
    burrow_test_sleep (50);
  g_assert_cmpuint (events.expired, ==, 1);
  g_assert_cmpint (burrow_test_elapsed_ms (start), >=, 3000);
  g_assert_cmpuint (events.refreshed, ==, 0);
  g_assert_cmpint (burrow_relay_allocation_get_state (allocation), ==,
      BURROW_RELAY_STATE_EXPIRED);
  /* The server agrees. */
  wait_log (f->server, "allocation timeout", 1, 3000);

  g_assert_false (burrow_relay_allocation_send_data (allocation, peer,
          (const guint8 *) "late", 4, &error));
  g_assert_error (error, BURROW_TURN_ERROR, BURROW_TURN_ERROR_NO_ALLOCATION);
  events_disconnect (allocation, &events);
}

/* ---- release ---- */

/* Whether we could bind the relayed port ourselves: coturn holds it for
 * as long as the allocation lives. */
static gboolean
port_bindable (GInetSocketAddress *relayed)
{
  g_autofree gchar *ip = ip_of (relayed);
  guint16 port = g_inet_socket_address_get_port (relayed);
  g_autoptr(GSocket) socket = burrow_test_udp_socket (ip, &port);

  return socket != NULL;
}

static void
wait_port_bindable (GInetSocketAddress *relayed)
{
  gint64 deadline = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;

  while (!port_bindable (relayed) && g_get_monotonic_time () < deadline)
    burrow_test_sleep (20);
  g_assert_true (port_bindable (relayed));
}

static void
test_release_frees_server_side (Fixture *f, gconstpointer data)
{
  g_autoptr(BurrowTurnClient) client = turn_test_client_new (f->server, BURROW_TRANSPORT_UDP);
  g_autoptr(BurrowTurnClient) other = turn_test_client_new (f->server, BURROW_TRANSPORT_UDP);
  g_autoptr(BurrowRelayAllocation) allocation = turn_test_allocate_ok (client, NULL);
  g_autoptr(BurrowRelayAllocation) dropped = turn_test_allocate_ok (other, NULL);
  g_autoptr(BurrowRelayAllocation) fresh = NULL;
  g_autoptr(BurrowTestUdpPeer) peer = burrow_test_udp_peer_new ("127.0.0.1");
  g_autoptr(GInetSocketAddress) relayed = NULL;
  g_autoptr(GInetSocketAddress) dropped_relayed = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) got = NULL;
  g_autoptr(GInetSocketAddress) peer_address = burrow_test_udp_peer_get_address (peer);
  BurrowTransport transports[] = { BURROW_TRANSPORT_UDP, BURROW_TRANSPORT_TCP };
  guint i;

  relayed = g_object_ref (burrow_relay_allocation_get_relayed_address (allocation));
  dropped_relayed = g_object_ref (burrow_relay_allocation_get_relayed_address (dropped));
  g_assert_false (port_bindable (relayed));
  g_assert_false (port_bindable (dropped_relayed));

  /* Working before. */
  turn_test_permission_to (allocation, "127.0.0.1");
  burrow_test_udp_peer_send (peer, relayed, "before", 6);
  got = burrow_relay_allocation_receive_sync (allocation, NULL, 2000, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (got);
  g_clear_pointer (&got, g_bytes_unref);

  /* An explicit release. */
  g_assert_true (burrow_relay_allocation_release_sync (allocation, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (burrow_relay_allocation_get_state (allocation), ==,
      BURROW_RELAY_STATE_RELEASED);
  wait_port_bindable (relayed);
  g_assert_false (burrow_relay_allocation_send_data (allocation, peer_address,
          (const guint8 *) "after", 5, &error));
  g_assert_error (error, BURROW_TURN_ERROR, BURROW_TURN_ERROR_NO_ALLOCATION);
  g_clear_error (&error);

  /* Dropping the last reference releases it too, and so does close(),
   * at once; over TCP as well. */
  g_clear_object (&dropped);
  wait_port_bindable (dropped_relayed);
  for (i = 0; i < G_N_ELEMENTS (transports); i++) {
    g_autoptr(BurrowTurnClient) closer = turn_test_client_new (f->server, transports[i]);
    g_autoptr(BurrowRelayAllocation) closed = turn_test_allocate_ok (closer, NULL);
    g_autoptr(GInetSocketAddress) closed_relayed = g_object_ref (
        burrow_relay_allocation_get_relayed_address (closed));

    burrow_relay_allocation_close (closed);
    g_assert_cmpint (burrow_relay_allocation_get_state (closed), ==,
        BURROW_RELAY_STATE_RELEASED);
    wait_port_bindable (closed_relayed);
  }

  /* And the client can allocate anew. */
  g_clear_object (&allocation);
  fresh = turn_test_allocate_ok (client, NULL);
  assert_relayed_by (burrow_relay_allocation_get_relayed_address (fresh), f->server, "127.0.0.1");
}

/* ---- faults ---- */

static void
test_fault_server_stopped_udp (Fixture *f, gconstpointer data)
{
  g_autoptr(BurrowTurnClient) client = turn_test_client_new (f->server, BURROW_TRANSPORT_UDP);
  g_autoptr(BurrowRelayAllocation) allocation = turn_test_allocate_ok (client, NULL);
  g_autoptr(GError) error = NULL;
  Events events = { 0 };
  gint64 start;

  client_set_impatient (client);
  events_connect (allocation, &events);
  burrow_test_turnserver_terminate (f->server);

  start = g_get_monotonic_time ();
  g_assert_false (burrow_relay_allocation_refresh_sync (allocation, NULL, &error));
  g_assert_error (error, BURROW_TURN_ERROR, BURROW_TURN_ERROR_TIMEOUT);
  /* Three requests: 100 + 200 + 200 ms. */
  g_assert_cmpint (burrow_test_elapsed_ms (start), <, 3000);
  g_assert_cmpint (burrow_relay_allocation_get_state (allocation), ==,
      BURROW_RELAY_STATE_FAILED);
  burrow_test_sleep (100);
  g_assert_cmpuint (events.errors, ==, 1);
  g_assert_nonnull (events.error);
  g_assert_true (events.error->domain == BURROW_TURN_ERROR);
  events_disconnect (allocation, &events);
}

static void
test_fault_unreachable_auto_refresh (Fixture *f, gconstpointer data)
{
  g_autoptr(BurrowTestUdpProxy) proxy = burrow_test_udp_proxy_new (f->server->address,
      f->server->port);
  g_autoptr(BurrowTurnClient) client = burrow_turn_client_new ("127.0.0.1",
      burrow_test_udp_proxy_get_port (proxy), f->server->user, f->server->password);
  g_autoptr(BurrowRelayAllocation) allocation = NULL;
  Events events = { 0 };
  gint64 start;

  client_set_impatient (client);
  allocation = turn_test_allocate_ok (client, NULL);
  events_connect (allocation, &events);
  g_assert_cmpuint (burrow_relay_allocation_get_lifetime (allocation), ==, 4);

  /* Nothing passes any more: the refresh due at 2 s times out. */
  burrow_test_udp_proxy_set_blackhole (proxy, TRUE);
  start = g_get_monotonic_time ();
  while (events.errors == 0 && burrow_test_elapsed_ms (start) < 6000)
    burrow_test_sleep (50);
  g_assert_cmpuint (events.errors, ==, 1);
  g_assert_error (events.error, BURROW_TURN_ERROR, BURROW_TURN_ERROR_TIMEOUT);
  g_assert_cmpint (burrow_relay_allocation_get_state (allocation), ==,
      BURROW_RELAY_STATE_FAILED);
  g_assert_cmpuint (events.refreshed, ==, 0);
  events_disconnect (allocation, &events);
}

static void
check_connection_lost (Fixture *f, BurrowTransport transport)
{
  g_autoptr(BurrowTurnClient) client = turn_test_client_new (f->server, transport);
  g_autoptr(BurrowRelayAllocation) allocation = turn_test_allocate_ok (client, NULL);
  g_autoptr(GInetSocketAddress) peer = burrow_test_inet_address ("127.0.0.1", 9);
  g_autoptr(GError) error = NULL;
  Events events = { 0 };
  gint64 start;

  events_connect (allocation, &events);
  turn_test_permission_to (allocation, "127.0.0.1");
  burrow_test_turnserver_terminate (f->server);

  /* No request needed: the connection's end says it. */
  start = g_get_monotonic_time ();
  while (events.errors == 0 && burrow_test_elapsed_ms (start) < 3000)
    burrow_test_sleep (20);
  g_assert_cmpuint (events.errors, ==, 1);
  g_assert_error (events.error, BURROW_TURN_ERROR, BURROW_TURN_ERROR_CONNECTION_LOST);
  g_assert_cmpint (burrow_relay_allocation_get_state (allocation), ==,
      BURROW_RELAY_STATE_FAILED);

  g_assert_false (burrow_relay_allocation_send_data (allocation, peer,
          (const guint8 *) "late", 4, &error));
  g_assert_error (error, BURROW_TURN_ERROR, BURROW_TURN_ERROR_NO_ALLOCATION);
  g_clear_error (&error);
  start = g_get_monotonic_time ();
  g_assert_false (burrow_relay_allocation_refresh_sync (allocation, NULL, &error));
  g_assert_nonnull (error);
  g_assert_cmpint (burrow_test_elapsed_ms (start), <, 3000);
  events_disconnect (allocation, &events);
}

static void
test_fault_server_stopped_tcp (Fixture *f, gconstpointer data)
{
  check_connection_lost (f, BURROW_TRANSPORT_TCP);
}

static void
test_fault_server_stopped_tls (Fixture *f, gconstpointer data)
{
  check_connection_lost (f, BURROW_TRANSPORT_TLS);
}

#define ADD(path, options, func) \
  g_test_add (path, Fixture, options, turn_fixture_setup, func, turn_fixture_teardown)

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  ADD ("/turn/allocate/udp", &plain_server, test_allocate_udp);
  ADD ("/turn/allocate/tcp", &plain_server, test_allocate_tcp);
  ADD ("/turn/allocate/tls", &tls_server, test_allocate_tls);
  ADD ("/turn/allocate/tls-untrusted-fails", &tls_server, test_allocate_tls_untrusted_fails);
  ADD ("/turn/allocate/same-while-alive", &plain_server, test_allocate_same_while_alive);
  ADD ("/turn/allocate/even-port", &plain_server, test_allocate_even_port);
  ADD ("/turn/allocate/reserve-and-token", &plain_server, test_allocate_reserve_and_token);
  ADD ("/turn/allocate/ipv6", &ipv6_server, test_allocate_ipv6);
  ADD ("/turn/auth/rest-credentials", &rest_server, test_auth_rest_credentials);
  ADD ("/turn/auth/wrong-password", &plain_server, test_auth_wrong_password);
  ADD ("/turn/auth/unknown-user", &plain_server, test_auth_unknown_user);
  ADD ("/turn/auth/missing-credentials", &plain_server, test_auth_missing_credentials);
  ADD ("/turn/auth/stale-nonce-transparent", &stale_nonce_server,
      test_auth_stale_nonce_transparent);
  g_test_add_func ("/turn/redirect/alternate-server", test_redirect_alternate_server);
  g_test_add_func ("/turn/redirect/loop-bounded", test_redirect_loop_bounded);
  ADD ("/turn/refresh/on-demand", &plain_server, test_refresh_on_demand);
  ADD ("/turn/refresh/auto-keeps-alive", &short_lifetime_server, test_refresh_auto_keeps_alive);
  ADD ("/turn/refresh/off-expires", &short_lifetime_server, test_refresh_off_expires);
  ADD ("/turn/release/frees-server-side", &plain_server, test_release_frees_server_side);
  ADD ("/turn/fault/server-stopped-udp", &plain_server, test_fault_server_stopped_udp);
  ADD ("/turn/fault/server-unreachable-auto-refresh", &short_lifetime_server,
      test_fault_unreachable_auto_refresh);
  ADD ("/turn/fault/server-stopped-tcp", &plain_server, test_fault_server_stopped_tcp);
  ADD ("/turn/fault/server-stopped-tls", &tls_server, test_fault_server_stopped_tls);

  return g_test_run ();
}
