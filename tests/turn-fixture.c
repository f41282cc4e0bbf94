/* turn-fixture.c: a coturn per test and the TURN clients the TURN tests
 * make of it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "turn-fixture.h"

void
turn_fixture_setup (TurnFixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->server = burrow_test_turnserver_start_full (data, &error);
  g_assert_no_error (error);
}

void
turn_fixture_teardown (TurnFixture *f, gconstpointer data)
{
  if (g_test_failed ())
    burrow_test_turnserver_dump_log (f->server, 30);
  g_clear_pointer (&f->server, burrow_test_turnserver_stop);
}

BurrowTurnClient *
turn_test_client_new_to (BurrowTestTurnServer *server, guint16 port, BurrowTransport transport)
{
  BurrowTurnClient *client = burrow_turn_client_new (server->address, port, server->user,
      server->password);

  g_object_set (client, "transport", transport, "local-address", "127.0.0.1",
      "rto", 100, "max-requests", 5, "last-timeout-factor", 4, NULL);
  return client;
}

BurrowTurnClient *
turn_test_client_new (BurrowTestTurnServer *server, BurrowTransport transport)
{
  BurrowTurnClient *client;

  if (transport != BURROW_TRANSPORT_TLS)
    return turn_test_client_new_to (server, server->port, transport);
  client = turn_test_client_new_to (server, server->tls_port, transport);
  g_object_set (client, "tls-ca-file", server->cert_file, NULL);
  return client;
}

BurrowRelayAllocation *
turn_test_allocate_ok (BurrowTurnClient *client, BurrowAllocateOptions *options)
{
  g_autoptr(GError) error = NULL;
  BurrowRelayAllocation *allocation;

  allocation = burrow_turn_client_allocate_sync (client, options, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (allocation);
  g_assert_cmpint (burrow_relay_allocation_get_state (allocation), ==,
      BURROW_RELAY_STATE_ALLOCATED);
  return allocation;
}

void
turn_test_permission_to (BurrowRelayAllocation *allocation, const gchar *ip)
{
  g_autoptr(GInetAddress) peer = g_inet_address_new_from_string (ip);
  g_autoptr(GError) error = NULL;

  g_assert_true (burrow_relay_allocation_create_permission_sync (allocation, peer, NULL, &error));
  g_assert_no_error (error);
}
