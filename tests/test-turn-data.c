/* test-turn-data.c: data through a BurrowRelayAllocation on coturn:
 * Send and Data indications, channels, permissions, subscriptions,
 * receiving, and what the client does with garbage from the server's address
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "turn-fixture.h"

#include <string.h>

typedef TurnFixture Fixture;

static const BurrowTestTurnOptions plain_server = { 0 };
static const BurrowTestTurnOptions ipv6_server = { .ipv6 = TRUE };
static const BurrowTestTurnOptions tls_server = { .tls = TRUE };

/* ---- helpers ---- */

static gboolean
has_permission (BurrowRelayAllocation *allocation, const gchar *ip)
{
  g_autoptr(GInetAddress) peer = g_inet_address_new_from_string (ip);

  return burrow_relay_allocation_has_permission (allocation, peer);
}

static guint16
bind_ok (BurrowRelayAllocation *allocation, GInetSocketAddress *peer)
{
  g_autoptr(GError) error = NULL;
  guint16 channel = burrow_relay_allocation_bind_channel_sync (allocation, peer, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (channel, >=, 0x4000);
  g_assert_cmpuint (channel, <=, 0x4fff);
  return channel;
}

static void
send_ok (BurrowRelayAllocation *allocation, GInetSocketAddress *peer, const gchar *text)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (burrow_relay_allocation_send_data (allocation, peer, (const guint8 *) text,
          strlen (text), &error));
  g_assert_no_error (error);
}

static void
assert_same_address (GInetSocketAddress *a, GInetSocketAddress *b)
{
  g_autofree gchar *sa = burrow_test_address_to_string (a);
  g_autofree gchar *sb = burrow_test_address_to_string (b);

  g_assert_cmpstr (sa, ==, sb);
}

static void
assert_text (GBytes *bytes, const gchar *text)
{
  g_assert_nonnull (bytes);
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), text, strlen (text));
}

/* The peer gets text, from the relayed address. */
static void
peer_expect (BurrowTestUdpPeer *peer, const gchar *text, GInetSocketAddress *relayed)
{
  g_autoptr(GInetSocketAddress) from = NULL;
  g_autoptr(GBytes) got = burrow_test_udp_peer_receive (peer, 2000, &from);

  g_assert_nonnull (got);
  assert_text (got, text);
  assert_same_address (from, relayed);
}

/* The allocation gets text, from the given peer. */
static void
relay_expect (BurrowRelayAllocation *allocation, GInetSocketAddress *peer, const gchar *text)
{
  g_autoptr(GInetSocketAddress) from = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) got = burrow_relay_allocation_receive_sync (allocation, peer, 2000, &from,
      NULL, &error);

  g_assert_no_error (error);
  assert_text (got, text);
  assert_same_address (from, peer);
}

/* What data-received delivered. */
typedef struct {
  GPtrArray *texts;
  GPtrArray *peers;
} Received;

static void
data_received_cb (BurrowRelayAllocation *allocation, GInetSocketAddress *peer, GBytes *data,
    Received *received)
{
  gsize len;
  const gchar *bytes = g_bytes_get_data (data, &len);

  g_ptr_array_add (received->texts, g_strndup (bytes, len));
  g_ptr_array_add (received->peers, burrow_test_address_to_string (peer));
}

static void
received_connect (BurrowRelayAllocation *allocation, Received *received)
{
  received->texts = g_ptr_array_new_with_free_func (g_free);
  received->peers = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (allocation, "data-received", G_CALLBACK (data_received_cb), received);
}

static void
received_disconnect (BurrowRelayAllocation *allocation, Received *received)
{
  g_signal_handlers_disconnect_by_data (allocation, received);
  g_clear_pointer (&received->texts, g_ptr_array_unref);
  g_clear_pointer (&received->peers, g_ptr_array_unref);
}

/* ---- the server forgets the allocation ---- */

typedef struct {
  guint errors;
  GError *error;
} ErrorSeen;

static void
allocation_error_cb (BurrowRelayAllocation *allocation, GError *error, ErrorSeen *seen)
{
  seen->errors++;
  g_clear_error (&seen->error);
  seen->error = g_error_copy (error);
}

static gboolean
allocation_failed (BurrowRelayAllocation *allocation)
{
  return burrow_relay_allocation_get_state (allocation) == BURROW_RELAY_STATE_FAILED;
}

/* coturn restarted on the same port knows no allocation: the next
 * CreatePermission is refused (coturn says 400, RFC 8656 says 437), and
 * the allocation finds out it is gone and fails with "error" rather than
 * living on until its lifetime ends. */
static void
test_server_forgot_allocation (Fixture *f, gconstpointer data)
{
  BurrowTestTurnOptions options = { 0, };
  g_autoptr(BurrowTurnClient) client = turn_test_client_new (f->server, BURROW_TRANSPORT_UDP);
  g_autoptr(BurrowRelayAllocation) allocation = turn_test_allocate_ok (client, NULL);
  g_autoptr(GInetAddress) peer = g_inet_address_new_from_string ("127.0.0.1");
  g_autoptr(GError) error = NULL;
  ErrorSeen seen = { 0, NULL };
  guint i;

  g_signal_connect (allocation, "error", G_CALLBACK (allocation_error_cb), &seen);
  options.port = f->server->port;
  g_clear_pointer (&f->server, burrow_test_turnserver_stop);
  f->server = burrow_test_turnserver_start_full (&options, &error);
  g_assert_no_error (error);

  g_assert_false (burrow_relay_allocation_create_permission_sync (allocation, peer, NULL,
          &error));
  g_assert_true (g_error_matches (error, BURROW_TURN_ERROR, BURROW_TURN_ERROR_BAD_REQUEST) ||
      g_error_matches (error, BURROW_TURN_ERROR, BURROW_TURN_ERROR_ALLOCATION_MISMATCH));
  /* bounded: 5 s */
  for (i = 0; i < 500 && !allocation_failed (allocation); i++)
    burrow_test_sleep (10);
  g_assert_true (allocation_failed (allocation));
  g_assert_cmpuint (seen.errors, ==, 1);
  g_assert_error (seen.error, BURROW_TURN_ERROR, BURROW_TURN_ERROR_ALLOCATION_MISMATCH);
  g_assert_cmpint (burrow_relay_allocation_get_state (allocation), ==,
      BURROW_RELAY_STATE_FAILED);
  g_assert_null (burrow_turn_client_get_allocation (client));
  g_signal_handlers_disconnect_by_data (allocation, &seen);
  g_clear_error (&seen.error);
}

/* ---- Send indications and channels ---- */

static void
test_send_indication (Fixture *f, gconstpointer data)
{
  g_autoptr(BurrowTestUdpProxy) proxy = burrow_test_udp_proxy_new (f->server->address,
      f->server->port);
  g_autoptr(BurrowTurnClient) client = turn_test_client_new_to (f->server,
      burrow_test_udp_proxy_get_port (proxy), BURROW_TRANSPORT_UDP);
  g_autoptr(BurrowRelayAllocation) allocation = turn_test_allocate_ok (client, NULL);
  g_autoptr(BurrowTestUdpPeer) peer = burrow_test_udp_peer_new ("127.0.0.1");
  g_autoptr(GInetSocketAddress) peer_address = burrow_test_udp_peer_get_address (peer);
  GInetSocketAddress *relayed = burrow_relay_allocation_get_relayed_address (allocation);
  g_autoptr(GBytes) big = NULL;
  g_autoptr(GBytes) got = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) permitted = NULL;
  g_autofree gchar *peer_s = burrow_test_address_to_string (peer_address);
  guint8 pattern[1200];
  Received received = { 0 };
  guint i;

  g_assert_false (has_permission (allocation, "127.0.0.1"));
  turn_test_permission_to (allocation, "127.0.0.1");
  g_assert_true (has_permission (allocation, "127.0.0.1"));
  g_object_get (allocation, "permitted-peers", &permitted, NULL);
  g_assert_nonnull (permitted);
  g_assert_true (g_strv_contains ((const gchar * const *) permitted, "127.0.0.1"));
  g_assert_cmpuint (burrow_relay_allocation_get_channel (allocation, peer_address), ==, 0);
  received_connect (allocation, &received);

  send_ok (allocation, peer_address, "hello");
  peer_expect (peer, "hello", relayed);

  /* A full-size payload arrives intact; a burst arrives in order. */
  for (i = 0; i < sizeof pattern; i++)
    pattern[i] = (guint8) (i * 7 + 3);
  big = g_bytes_new_static (pattern, sizeof pattern);
  g_assert_true (burrow_relay_allocation_send (allocation, peer_address, big, &error));
  g_assert_no_error (error);
  got = burrow_test_udp_peer_receive (peer, 2000, NULL);
  g_assert_nonnull (got);
  g_assert_true (g_bytes_equal (got, big));
  for (i = 0; i < 10; i++) {
    g_autofree gchar *text = g_strdup_printf ("burst-%u", i);

    send_ok (allocation, peer_address, text);
  }
  for (i = 0; i < 10; i++) {
    g_autofree gchar *text = g_strdup_printf ("burst-%u", i);

    peer_expect (peer, text, relayed);
  }

  /* The other way: a Data indication, to the signal and to receive. */
  burrow_test_udp_peer_send (peer, relayed, "world", 5);
  relay_expect (allocation, peer_address, "world");
  g_assert_cmpuint (received.texts->len, ==, 1);
  g_assert_cmpstr (received.texts->pdata[0], ==, "world");
  g_assert_cmpstr (received.peers->pdata[0], ==, peer_s);

  /* No channel was involved. */
  g_assert_cmpuint (burrow_test_udp_proxy_get_channel_data (proxy, TRUE), ==, 0);
  g_assert_cmpuint (burrow_test_udp_proxy_get_channel_data (proxy, FALSE), ==, 0);
  received_disconnect (allocation, &received);
}

static void
test_channel (Fixture *f, gconstpointer data)
{
  g_autoptr(BurrowTestUdpProxy) proxy = burrow_test_udp_proxy_new (f->server->address,
      f->server->port);
  g_autoptr(BurrowTurnClient) client = turn_test_client_new_to (f->server,
      burrow_test_udp_proxy_get_port (proxy), BURROW_TRANSPORT_UDP);
  g_autoptr(BurrowRelayAllocation) allocation = turn_test_allocate_ok (client, NULL);
  g_autoptr(BurrowTestUdpPeer) peer = burrow_test_udp_peer_new ("127.0.0.1");
  g_autoptr(BurrowTestUdpPeer) peer2 = burrow_test_udp_peer_new ("127.0.0.1");
  g_autoptr(GInetSocketAddress) peer_address = burrow_test_udp_peer_get_address (peer);
  g_autoptr(GInetSocketAddress) peer2_address = burrow_test_udp_peer_get_address (peer2);
  GInetSocketAddress *relayed = burrow_relay_allocation_get_relayed_address (allocation);
  guint16 channel, channel2;
  guint i;

  channel = bind_ok (allocation, peer_address);
  g_assert_cmpuint (burrow_relay_allocation_get_channel (allocation, peer_address), ==, channel);
  /* Binding again refreshes the same channel; another peer gets another. */
  g_assert_cmpuint (bind_ok (allocation, peer_address), ==, channel);
  channel2 = bind_ok (allocation, peer2_address);
  g_assert_cmpuint (channel2, !=, channel);
  g_assert_cmpuint (burrow_relay_allocation_get_channel (allocation, peer2_address), ==, channel2);
  /* A channel implies a permission (RFC 8656 section 12). */
  g_assert_true (has_permission (allocation, "127.0.0.1"));
  g_assert_cmpuint (burrow_test_turnserver_count_log (f->server,
          "CHANNEL_BIND processed, success"), ==, 3);

  for (i = 0; i < 3; i++)
    send_ok (allocation, peer_address, "over the channel");
  for (i = 0; i < 3; i++)
    peer_expect (peer, "over the channel", relayed);
  g_assert_cmpuint (burrow_test_udp_proxy_get_channel_data (proxy, TRUE), >=, 3);

  for (i = 0; i < 3; i++)
    burrow_test_udp_peer_send (peer, relayed, "and back", 8);
  for (i = 0; i < 3; i++)
    relay_expect (allocation, peer_address, "and back");
  burrow_test_udp_peer_send (peer2, relayed, "from two", 8);
  relay_expect (allocation, peer2_address, "from two");
  g_assert_cmpuint (burrow_test_udp_proxy_get_channel_data (proxy, FALSE), >=, 4);
}

static void
test_auto_bind_channels (Fixture *f, gconstpointer data)
{
  g_autoptr(BurrowTestUdpProxy) proxy = burrow_test_udp_proxy_new (f->server->address,
      f->server->port);
  g_autoptr(BurrowTurnClient) client = turn_test_client_new_to (f->server,
      burrow_test_udp_proxy_get_port (proxy), BURROW_TRANSPORT_UDP);
  g_autoptr(BurrowRelayAllocation) allocation = turn_test_allocate_ok (client, NULL);
  g_autoptr(BurrowTestUdpPeer) peer = burrow_test_udp_peer_new ("127.0.0.1");
  g_autoptr(GInetSocketAddress) peer_address = burrow_test_udp_peer_get_address (peer);
  GInetSocketAddress *relayed = burrow_relay_allocation_get_relayed_address (allocation);
  gint64 start;
  guint before;

  g_assert_false (burrow_relay_allocation_get_auto_bind_channels (allocation));
  burrow_relay_allocation_set_auto_bind_channels (allocation, TRUE);
  turn_test_permission_to (allocation, "127.0.0.1");
  send_ok (allocation, peer_address, "first");
  peer_expect (peer, "first", relayed);

  start = g_get_monotonic_time ();
  while (burrow_relay_allocation_get_channel (allocation, peer_address) == 0 &&
      burrow_test_elapsed_ms (start) < 2000)
    burrow_test_sleep (20);
  g_assert_cmpuint (burrow_relay_allocation_get_channel (allocation, peer_address), >=, 0x4000);
  before = burrow_test_udp_proxy_get_channel_data (proxy, TRUE);
  send_ok (allocation, peer_address, "second");
  peer_expect (peer, "second", relayed);
  g_assert_cmpuint (burrow_test_udp_proxy_get_channel_data (proxy, TRUE), ==, before + 1);
}

static void
check_two_allocations (Fixture *f, BurrowTransport transport)
{
  g_autoptr(BurrowTurnClient) client_a = turn_test_client_new (f->server, transport);
  g_autoptr(BurrowTurnClient) client_b = turn_test_client_new (f->server, transport);
  g_autoptr(BurrowRelayAllocation) a = turn_test_allocate_ok (client_a, NULL);
  g_autoptr(BurrowRelayAllocation) b = turn_test_allocate_ok (client_b, NULL);
  GInetSocketAddress *relayed_a = burrow_relay_allocation_get_relayed_address (a);
  GInetSocketAddress *relayed_b = burrow_relay_allocation_get_relayed_address (b);
  guint i;

  /* Both relay on 127.0.0.1: one permission each covers the other. */
  turn_test_permission_to (a, "127.0.0.1");
  turn_test_permission_to (b, "127.0.0.1");

  /* A by Send indication, B over a channel. */
  for (i = 0; i < 3; i++)
    send_ok (a, relayed_b, "a to b");
  for (i = 0; i < 3; i++)
    relay_expect (b, relayed_a, "a to b");
  bind_ok (b, relayed_a);
  for (i = 0; i < 3; i++)
    send_ok (b, relayed_a, "b to a");
  for (i = 0; i < 3; i++)
    relay_expect (a, relayed_b, "b to a");

  /* Every length modulo 4: over TCP and TLS, ChannelData is padded to a
   * multiple of 4 both ways (RFC 8656 section 12.5) and Send/Data
   * indications carry padded DATA. */
  for (i = 1; i <= 8; i++) {
    g_autofree gchar *text = g_strnfill (i, 'a' + i);

    send_ok (b, relayed_a, text);
    relay_expect (a, relayed_b, text);
    send_ok (a, relayed_b, text);
    relay_expect (b, relayed_a, text);
  }
}

static void
test_two_allocations_udp (Fixture *f, gconstpointer data)
{
  check_two_allocations (f, BURROW_TRANSPORT_UDP);
}

static void
test_two_allocations_tcp (Fixture *f, gconstpointer data)
{
  check_two_allocations (f, BURROW_TRANSPORT_TCP);
}

static void
test_two_allocations_tls (Fixture *f, gconstpointer data)
{
  check_two_allocations (f, BURROW_TRANSPORT_TLS);
}

/* Nothing to read for longer than the request timeout (3 s here) is no
 * reason to drop a TCP or TLS connection: allocations idle for minutes. */
static void
check_idle_connection_survives (Fixture *f, BurrowTransport transport)
{
  g_autoptr(BurrowTurnClient) client = turn_test_client_new (f->server, transport);
  g_autoptr(BurrowRelayAllocation) allocation = turn_test_allocate_ok (client, NULL);
  g_autoptr(BurrowTestUdpPeer) peer = burrow_test_udp_peer_new ("127.0.0.1");
  g_autoptr(GInetSocketAddress) peer_address = burrow_test_udp_peer_get_address (peer);
  GInetSocketAddress *relayed = burrow_relay_allocation_get_relayed_address (allocation);
  g_autoptr(GError) error = NULL;

  turn_test_permission_to (allocation, "127.0.0.1");
  burrow_test_sleep (5000);
  g_assert_cmpint (burrow_relay_allocation_get_state (allocation), ==,
      BURROW_RELAY_STATE_ALLOCATED);
  send_ok (allocation, peer_address, "after a pause");
  peer_expect (peer, "after a pause", relayed);
  burrow_test_udp_peer_send (peer, relayed, "welcome back", 12);
  relay_expect (allocation, peer_address, "welcome back");
  g_assert_true (burrow_relay_allocation_refresh_sync (allocation, NULL, &error));
  g_assert_no_error (error);
}

static void
test_idle_tcp (Fixture *f, gconstpointer data)
{
  check_idle_connection_survives (f, BURROW_TRANSPORT_TCP);
}

static void
test_idle_tls (Fixture *f, gconstpointer data)
{
  check_idle_connection_survives (f, BURROW_TRANSPORT_TLS);
}

static void
test_ipv6_relay (Fixture *f, gconstpointer data)
{
  g_autoptr(BurrowAllocateOptions) options = burrow_allocate_options_new ();
  g_autoptr(BurrowTurnClient) client = turn_test_client_new (f->server, BURROW_TRANSPORT_UDP);
  g_autoptr(BurrowRelayAllocation) allocation = NULL;
  g_autoptr(BurrowTestUdpPeer) peer = burrow_test_udp_peer_new ("::1");
  g_autoptr(GInetSocketAddress) peer_address = burrow_test_udp_peer_get_address (peer);
  g_autoptr(GInetSocketAddress) v4_peer = burrow_test_inet_address ("127.0.0.1", 9);
  g_autoptr(GError) error = NULL;
  GInetSocketAddress *relayed;

  burrow_allocate_options_set_family (options, BURROW_ADDRESS_FAMILY_IPV6);
  allocation = turn_test_allocate_ok (client, options);
  relayed = burrow_relay_allocation_get_relayed_address (allocation);
  g_assert_cmpint (g_inet_address_get_family (g_inet_socket_address_get_address (relayed)), ==,
      G_SOCKET_FAMILY_IPV6);

  turn_test_permission_to (allocation, "::1");
  g_assert_true (has_permission (allocation, "::1"));
  send_ok (allocation, peer_address, "six");
  peer_expect (peer, "six", relayed);
  burrow_test_udp_peer_send (peer, relayed, "back", 4);
  relay_expect (allocation, peer_address, "back");
  bind_ok (allocation, peer_address);
  send_ok (allocation, peer_address, "channel six");
  peer_expect (peer, "channel six", relayed);
  burrow_test_udp_peer_send (peer, relayed, "channel back", 12);
  relay_expect (allocation, peer_address, "channel back");

  /* An IPv4 peer does not fit an IPv6 relay: refused, locally or by the
   * server (443 Peer Address Family Mismatch). */
  g_assert_false (burrow_relay_allocation_send_data (allocation, v4_peer,
          (const guint8 *) "four", 4, &error));
  g_assert_nonnull (error);
}

/* ---- permissions and receiving ---- */

static void
test_no_permission (Fixture *f, gconstpointer data)
{
  g_autoptr(BurrowTurnClient) client = turn_test_client_new (f->server, BURROW_TRANSPORT_UDP);
  g_autoptr(BurrowRelayAllocation) allocation = turn_test_allocate_ok (client, NULL);
  g_autoptr(BurrowTestUdpPeer) stranger = burrow_test_udp_peer_new ("127.0.0.1");
  g_autoptr(BurrowTestUdpPeer) friend = burrow_test_udp_peer_new ("127.0.0.2");
  g_autoptr(GInetSocketAddress) stranger_address = burrow_test_udp_peer_get_address (stranger);
  g_autoptr(GInetSocketAddress) friend_address = burrow_test_udp_peer_get_address (friend);
  g_autoptr(GInetSocketAddress) from = NULL;
  GInetSocketAddress *relayed = burrow_relay_allocation_get_relayed_address (allocation);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) got = NULL;
  Received received = { 0 };
  gint64 start;

  {
    GInetAddress *friends[2];

    friends[0] = g_inet_address_new_from_string ("127.0.0.2");
    friends[1] = g_inet_address_new_from_string ("127.0.0.4");
    g_assert_true (burrow_relay_allocation_create_permissions_sync (allocation, friends, 2,
            NULL, &error));
    g_assert_no_error (error);
    g_object_unref (friends[0]);
    g_object_unref (friends[1]);
  }
  g_assert_true (has_permission (allocation, "127.0.0.2"));
  g_assert_true (has_permission (allocation, "127.0.0.4"));
  g_assert_false (has_permission (allocation, "127.0.0.1"));
  received_connect (allocation, &received);

  /* Sending without a permission is refused locally. */
  g_assert_false (burrow_relay_allocation_send_data (allocation, stranger_address,
          (const guint8 *) "hi", 2, &error));
  g_assert_error (error, BURROW_TURN_ERROR, BURROW_TURN_ERROR_NO_PERMISSION);
  g_clear_error (&error);
  g_assert_null (burrow_test_udp_peer_receive (stranger, 300, NULL));

  /* What the stranger sends never surfaces. */
  burrow_test_udp_peer_send (stranger, relayed, "sneaky", 6);
  start = g_get_monotonic_time ();
  got = burrow_relay_allocation_receive_sync (allocation, NULL, 700, &from, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_null (got);
  g_assert_cmpint (burrow_test_elapsed_ms (start), >=, 600);
  g_clear_error (&error);
  g_assert_cmpuint (received.texts->len, ==, 0);

  /* The friend's does: the path works, and the first datagram queued is
   * the friend's. */
  send_ok (allocation, friend_address, "hello friend");
  peer_expect (friend, "hello friend", relayed);
  burrow_test_udp_peer_send (friend, relayed, "hello", 5);
  got = burrow_relay_allocation_receive_sync (allocation, NULL, 2000, &from, NULL, &error);
  g_assert_no_error (error);
  assert_text (got, "hello");
  assert_same_address (from, friend_address);
  g_assert_cmpuint (received.texts->len, ==, 1);
  received_disconnect (allocation, &received);
}

typedef struct {
  GPtrArray *texts;
  gboolean destroyed;
} Subscriber;

static void
subscriber_cb (BurrowRelayAllocation *allocation, GInetSocketAddress *peer, GBytes *data,
    gpointer user_data)
{
  Subscriber *s = user_data;
  gsize len;
  const gchar *bytes = g_bytes_get_data (data, &len);

  g_ptr_array_add (s->texts, g_strndup (bytes, len));
}

static void
subscriber_destroy (gpointer user_data)
{
  Subscriber *s = user_data;

  s->destroyed = TRUE;
}

static gchar *
joined (GPtrArray *texts)
{
  GString *s = g_string_new (NULL);
  guint i;

  for (i = 0; i < texts->len; i++)
    g_string_append_printf (s, "%s%s", i ? "," : "", (const gchar *) texts->pdata[i]);
  return g_string_free (s, FALSE);
}

static void
test_subscribe_per_peer (Fixture *f, gconstpointer data)
{
  g_autoptr(BurrowTurnClient) client = turn_test_client_new (f->server, BURROW_TRANSPORT_UDP);
  g_autoptr(BurrowRelayAllocation) allocation = turn_test_allocate_ok (client, NULL);
  g_autoptr(BurrowTestUdpPeer) peer_a = burrow_test_udp_peer_new ("127.0.0.1");
  g_autoptr(BurrowTestUdpPeer) peer_b = burrow_test_udp_peer_new ("127.0.0.1");
  g_autoptr(BurrowTestUdpPeer) peer_c = burrow_test_udp_peer_new ("127.0.0.2");
  g_autoptr(GInetSocketAddress) address_a = burrow_test_udp_peer_get_address (peer_a);
  g_autoptr(GInetSocketAddress) address_b = burrow_test_udp_peer_get_address (peer_b);
  g_autoptr(GInetSocketAddress) any_c = burrow_test_inet_address ("127.0.0.2", 0);
  GInetSocketAddress *relayed = burrow_relay_allocation_get_relayed_address (allocation);
  Subscriber sub_a = { g_ptr_array_new_with_free_func (g_free), FALSE };
  Subscriber sub_c = { g_ptr_array_new_with_free_func (g_free), FALSE };
  g_autofree gchar *a_texts = NULL;
  g_autofree gchar *c_texts = NULL;
  guint id_a, id_c;
  gint64 start;

  turn_test_permission_to (allocation, "127.0.0.1");
  turn_test_permission_to (allocation, "127.0.0.2");
  /* A by address and port; C by address (port 0: any port of that IP). */
  id_a = burrow_relay_allocation_subscribe (allocation, address_a, subscriber_cb, &sub_a,
      subscriber_destroy);
  id_c = burrow_relay_allocation_subscribe (allocation, any_c, subscriber_cb, &sub_c,
      subscriber_destroy);
  g_assert_cmpuint (id_a, !=, 0);
  g_assert_cmpuint (id_c, !=, id_a);

  burrow_test_udp_peer_send (peer_a, relayed, "a1", 2);
  burrow_test_udp_peer_send (peer_b, relayed, "b1", 2);
  burrow_test_udp_peer_send (peer_c, relayed, "c1", 2);
  burrow_test_udp_peer_send (peer_a, relayed, "a2", 2);
  /* B, which nobody subscribed to, is there to receive. */
  relay_expect (allocation, address_b, "b1");
  start = g_get_monotonic_time ();
  while ((sub_a.texts->len < 2 || sub_c.texts->len < 1) && burrow_test_elapsed_ms (start) < 2000)
    burrow_test_sleep (20);
  burrow_test_sleep (100);
  a_texts = joined (sub_a.texts);
  c_texts = joined (sub_c.texts);
  g_assert_cmpstr (a_texts, ==, "a1,a2");
  g_assert_cmpstr (c_texts, ==, "c1");

  /* Unsubscribed, A's data goes elsewhere; the notify ran. */
  burrow_relay_allocation_unsubscribe (allocation, id_a);
  g_assert_true (sub_a.destroyed);
  g_assert_false (sub_c.destroyed);
  burrow_test_udp_peer_send (peer_a, relayed, "a3", 2);
  burrow_test_udp_peer_send (peer_b, relayed, "b2", 2);
  relay_expect (allocation, address_b, "b2");
  burrow_test_sleep (100);
  g_assert_cmpuint (sub_a.texts->len, ==, 2);
  g_assert_cmpuint (sub_c.texts->len, ==, 1);

  burrow_relay_allocation_unsubscribe (allocation, id_c);
  g_assert_true (sub_c.destroyed);
  g_ptr_array_unref (sub_a.texts);
  g_ptr_array_unref (sub_c.texts);
}

typedef struct {
  GBytes *data;
  GError *error;
  gboolean done;
} ReceiveResult;

static void
receive_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ReceiveResult *r = user_data;

  r->data = burrow_relay_allocation_receive_finish (BURROW_RELAY_ALLOCATION (source), result,
      NULL, &r->error);
  r->done = TRUE;
}

static gboolean
cancel_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

static void
test_receive_timeout (Fixture *f, gconstpointer data)
{
  g_autoptr(BurrowTurnClient) client = turn_test_client_new (f->server, BURROW_TRANSPORT_UDP);
  g_autoptr(BurrowRelayAllocation) allocation = turn_test_allocate_ok (client, NULL);
  g_autoptr(BurrowTestUdpPeer) peer = burrow_test_udp_peer_new ("127.0.0.1");
  g_autoptr(BurrowTestUdpPeer) other = burrow_test_udp_peer_new ("127.0.0.1");
  g_autoptr(GInetSocketAddress) peer_address = burrow_test_udp_peer_get_address (peer);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  GInetSocketAddress *relayed = burrow_relay_allocation_get_relayed_address (allocation);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) got = NULL;
  ReceiveResult r = { 0 };
  gint64 start;

  turn_test_permission_to (allocation, "127.0.0.1");

  /* Nothing at all. */
  start = g_get_monotonic_time ();
  got = burrow_relay_allocation_receive_sync (allocation, NULL, 300, NULL, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_null (got);
  g_assert_cmpint (burrow_test_elapsed_ms (start), >=, 250);
  g_assert_cmpint (burrow_test_elapsed_ms (start), <, 2000);
  g_clear_error (&error);

  /* Another peer's data does not answer a receive for this one. */
  start = g_get_monotonic_time ();
  burrow_relay_allocation_receive_async (allocation, peer_address, 400, NULL,
      receive_done_cb, &r);
  burrow_test_udp_peer_send (other, relayed, "not for you", 11);
  burrow_test_run_until (&r.done, 3000);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_null (r.data);
  g_assert_cmpint (burrow_test_elapsed_ms (start), >=, 350);
  g_clear_error (&r.error);

  /* No timeout: only the cancellable ends it. */
  memset (&r, 0, sizeof r);
  start = g_get_monotonic_time ();
  burrow_relay_allocation_receive_async (allocation, peer_address, 0, cancellable,
      receive_done_cb, &r);
  g_timeout_add (300, cancel_cb, cancellable);
  burrow_test_run_until (&r.done, 3000);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (burrow_test_elapsed_ms (start), >=, 250);
  g_clear_error (&r.error);

  /* Queued before the call: returned at once. */
  burrow_test_udp_peer_send (peer, relayed, "queued", 6);
  burrow_test_sleep (300);
  start = g_get_monotonic_time ();
  got = burrow_relay_allocation_receive_sync (allocation, peer_address, 2000, NULL, NULL, &error);
  g_assert_no_error (error);
  assert_text (got, "queued");
  g_assert_cmpint (burrow_test_elapsed_ms (start), <, 500);
  g_clear_pointer (&got, g_bytes_unref);
  /* And the other peer's, still queued, for whoever asks for any. */
  got = burrow_relay_allocation_receive_sync (allocation, NULL, 100, NULL, NULL, &error);
  g_assert_no_error (error);
  assert_text (got, "not for you");
}

static void
test_receive_queue_overflow (Fixture *f, gconstpointer data)
{
  g_autoptr(BurrowTurnClient) client = turn_test_client_new (f->server, BURROW_TRANSPORT_UDP);
  g_autoptr(BurrowRelayAllocation) allocation = turn_test_allocate_ok (client, NULL);
  g_autoptr(BurrowTestUdpPeer) peer = burrow_test_udp_peer_new ("127.0.0.1");
  GInetSocketAddress *relayed = burrow_relay_allocation_get_relayed_address (allocation);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) got = NULL;
  gint64 start;
  guint i;

  g_object_set (allocation, "receive-queue-size", 4, NULL);
  turn_test_permission_to (allocation, "127.0.0.1");
  /* The queue exists once receive has been called. */
  got = burrow_relay_allocation_receive_sync (allocation, NULL, 50, NULL, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_clear_error (&error);

  for (i = 0; i < 10; i++) {
    g_autofree gchar *text = g_strdup_printf ("q%u", i);

    burrow_test_udp_peer_send (peer, relayed, text, strlen (text));
  }
  start = g_get_monotonic_time ();
  while (burrow_relay_allocation_get_dropped_packets (allocation) < 6 &&
      burrow_test_elapsed_ms (start) < 2000)
    burrow_test_sleep (20);
  burrow_test_sleep (100);
  /* The oldest six made room for the newest four. */
  g_assert_cmpuint (burrow_relay_allocation_get_dropped_packets (allocation), ==, 6);
  for (i = 6; i < 10; i++) {
    g_autofree gchar *text = g_strdup_printf ("q%u", i);

    g_clear_pointer (&got, g_bytes_unref);
    got = burrow_relay_allocation_receive_sync (allocation, NULL, 500, NULL, NULL, &error);
    g_assert_no_error (error);
    assert_text (got, text);
  }
  g_clear_pointer (&got, g_bytes_unref);
  got = burrow_relay_allocation_receive_sync (allocation, NULL, 100, NULL, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
}

/* ---- faults ---- */

static GBytes *
data_indication (GInetSocketAddress *peer, const gchar *text)
{
  g_autoptr(BurrowStunMessage) msg = burrow_stun_message_new_indication (BURROW_STUN_METHOD_DATA);

  burrow_stun_message_add_address (msg, BURROW_STUN_ATTRIBUTE_XOR_PEER_ADDRESS, peer);
  if (text)
    burrow_stun_message_add_attribute (msg, BURROW_STUN_ATTRIBUTE_DATA, (const guint8 *) text,
        strlen (text));
  return burrow_stun_message_serialize (msg, BURROW_STUN_SIGN_FINGERPRINT, NULL, 0, NULL);
}

static guint64
dropped_total (BurrowTurnClient *client, BurrowRelayAllocation *allocation)
{
  return burrow_turn_client_get_dropped_packets (client) +
      burrow_relay_allocation_get_dropped_packets (allocation);
}

/* Sends bytes as if from the server; they must be counted as dropped. */
static void
inject_dropped (BurrowTestUdpProxy *proxy, BurrowTurnClient *client,
    BurrowRelayAllocation *allocation, const gchar *what, const guint8 *bytes, gsize len)
{
  guint64 before = dropped_total (client, allocation);
  gint64 start = g_get_monotonic_time ();

  g_test_message ("injecting %s", what);
  g_assert_true (burrow_test_udp_proxy_inject (proxy, bytes, len));
  while (dropped_total (client, allocation) == before && burrow_test_elapsed_ms (start) < 1000)
    burrow_test_sleep (10);
  if (dropped_total (client, allocation) == before)
    g_test_message ("not counted as dropped: %s", what);
  g_assert_cmpuint (dropped_total (client, allocation), >, before);
}

static void
test_garbage_dropped (Fixture *f, gconstpointer data)
{
  g_autoptr(BurrowTestUdpProxy) proxy = burrow_test_udp_proxy_new (f->server->address,
      f->server->port);
  g_autoptr(BurrowTurnClient) client = turn_test_client_new_to (f->server,
      burrow_test_udp_proxy_get_port (proxy), BURROW_TRANSPORT_UDP);
  g_autoptr(BurrowRelayAllocation) allocation = turn_test_allocate_ok (client, NULL);
  g_autoptr(BurrowTestUdpPeer) peer = burrow_test_udp_peer_new ("127.0.0.1");
  g_autoptr(GInetSocketAddress) peer_address = burrow_test_udp_peer_get_address (peer);
  g_autoptr(GInetSocketAddress) stranger = burrow_test_inet_address ("127.0.0.3", 4444);
  g_autoptr(GBytes) forged = data_indication (stranger, "forged");
  g_autoptr(GBytes) no_data = data_indication (peer_address, NULL);
  g_autoptr(BurrowStunMessage) stray = burrow_stun_message_new (BURROW_STUN_METHOD_REFRESH,
      BURROW_STUN_CLASS_SUCCESS_RESPONSE, NULL);
  g_autoptr(GBytes) stray_wire = NULL;
  g_autoptr(GError) error = NULL;
  GInetSocketAddress *relayed = burrow_relay_allocation_get_relayed_address (allocation);
  guint8 garbage[48];
  guint8 truncated[28];
  guint8 unbound[] = { 0x4a, 0xbc, 0x00, 0x04, 'x', 'x', 'x', 'x' };
  guint8 short_channel_data[] = { 0, 0, 0x00, 0x40, 'x', 'x' };
  guint16 channel;
  Received received = { 0 };

  turn_test_permission_to (allocation, "127.0.0.1");
  channel = bind_ok (allocation, peer_address);
  received_connect (allocation, &received);
  g_assert_nonnull (burrow_test_udp_proxy_get_client (proxy));

  memset (garbage, 0xd7, sizeof garbage);
  inject_dropped (proxy, client, allocation, "garbage", garbage, sizeof garbage);
  /* A STUN header announcing 100 bytes of attributes, with 8. */
  memcpy (truncated, g_bytes_get_data (forged, NULL), 20);
  truncated[2] = 0;
  truncated[3] = 100;
  memset (truncated + 20, 0, 8);
  inject_dropped (proxy, client, allocation, "truncated STUN", truncated, sizeof truncated);
  inject_dropped (proxy, client, allocation, "a Data indication from a peer without permission",
      g_bytes_get_data (forged, NULL), g_bytes_get_size (forged));
  inject_dropped (proxy, client, allocation, "a Data indication without DATA",
      g_bytes_get_data (no_data, NULL), g_bytes_get_size (no_data));
  inject_dropped (proxy, client, allocation, "ChannelData on an unbound channel",
      unbound, sizeof unbound);
  short_channel_data[0] = channel >> 8;
  short_channel_data[1] = channel & 0xff;
  inject_dropped (proxy, client, allocation, "ChannelData shorter than its length",
      short_channel_data, sizeof short_channel_data);
  stray_wire = burrow_stun_message_serialize (stray, BURROW_STUN_SIGN_FINGERPRINT, NULL, 0, NULL);
  inject_dropped (proxy, client, allocation, "a response to no request",
      g_bytes_get_data (stray_wire, NULL), g_bytes_get_size (stray_wire));
  /* A well-formed Data indication from a permitted peer, but sent by
   * someone other than the server. */
  {
    g_autoptr(BurrowTestUdpPeer) spoofer = burrow_test_udp_peer_new ("127.0.0.1");
    g_autoptr(GBytes) spoofed = data_indication (peer_address, "spoofed");
    guint64 before = dropped_total (client, allocation);
    gint64 start = g_get_monotonic_time ();

    g_test_message ("injecting a Data indication from another address");
    burrow_test_udp_peer_send (spoofer, burrow_test_udp_proxy_get_client (proxy),
        g_bytes_get_data (spoofed, NULL), g_bytes_get_size (spoofed));
    while (dropped_total (client, allocation) == before && burrow_test_elapsed_ms (start) < 1000)
      burrow_test_sleep (10);
    g_assert_cmpuint (dropped_total (client, allocation), >, before);
  }
  g_assert_cmpuint (received.texts->len, ==, 0);

  /* Nothing broke. */
  g_assert_cmpint (burrow_relay_allocation_get_state (allocation), ==,
      BURROW_RELAY_STATE_ALLOCATED);
  send_ok (allocation, peer_address, "still here");
  peer_expect (peer, "still here", relayed);
  burrow_test_udp_peer_send (peer, relayed, "me too", 6);
  relay_expect (allocation, peer_address, "me too");
  g_assert_cmpuint (received.texts->len, ==, 1);
  g_assert_true (burrow_relay_allocation_refresh_sync (allocation, NULL, &error));
  g_assert_no_error (error);
  received_disconnect (allocation, &received);
}

#define ADD(path, options, func) \
  g_test_add (path, Fixture, options, turn_fixture_setup, func, turn_fixture_teardown)

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  ADD ("/turn/data/send-indication", &plain_server, test_send_indication);
  ADD ("/turn/data/channel", &plain_server, test_channel);
  ADD ("/turn/data/auto-bind-channels", &plain_server, test_auto_bind_channels);
  ADD ("/turn/data/two-allocations/udp", &plain_server, test_two_allocations_udp);
  ADD ("/turn/data/two-allocations/tcp", &plain_server, test_two_allocations_tcp);
  ADD ("/turn/data/two-allocations/tls", &tls_server, test_two_allocations_tls);
  ADD ("/turn/data/idle-connection-survives/tcp", &plain_server, test_idle_tcp);
  ADD ("/turn/data/idle-connection-survives/tls", &tls_server, test_idle_tls);
  ADD ("/turn/data/ipv6-relay", &ipv6_server, test_ipv6_relay);
  ADD ("/turn/data/no-permission", &plain_server, test_no_permission);
  ADD ("/turn/data/subscribe-per-peer", &plain_server, test_subscribe_per_peer);
  ADD ("/turn/data/receive-timeout", &plain_server, test_receive_timeout);
  ADD ("/turn/data/receive-queue-overflow", &plain_server, test_receive_queue_overflow);
  ADD ("/turn/fault/garbage-dropped", &plain_server, test_garbage_dropped);
  ADD ("/turn/fault/server-forgot-allocation", &plain_server, test_server_forgot_allocation);

  return g_test_run ();
}
