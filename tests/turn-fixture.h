/* turn-fixture.h: a coturn per test and the TURN clients the TURN tests
 * make of it (test-turn-client.c, test-turn-data.c)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "burrow-test-util.h"
#include <burrow/burrow-turn-client.h>

G_BEGIN_DECLS

typedef struct {
  BurrowTestTurnServer *server;
} TurnFixture;

/* @data: the BurrowTestTurnOptions of the coturn to start */
void                   turn_fixture_setup        (TurnFixture *f,
                                                  gconstpointer data);
/* stops coturn; shows the end of its log when the test failed */
void                   turn_fixture_teardown     (TurnFixture *f,
                                                  gconstpointer data);

/* A client of @server at @port over @transport, from 127.0.0.1, with a
 * short schedule (100, 200, 400, 800 ms, then 400 ms: about 1.9 s to
 * fail): loopback answers in microseconds. */
BurrowTurnClient      *turn_test_client_new_to   (BurrowTestTurnServer  *server,
                                                  guint16                port,
                                                  BurrowTransport        transport);
/* The same at the server's port for @transport, trusting its
 * certificate for TLS. */
BurrowTurnClient      *turn_test_client_new      (BurrowTestTurnServer  *server,
                                                  BurrowTransport        transport);
/* An allocation, asserting that it came and is allocated */
BurrowRelayAllocation *turn_test_allocate_ok     (BurrowTurnClient      *client,
                                                  BurrowAllocateOptions *options);
/* A permission for @ip, asserting that it was installed */
void                   turn_test_permission_to   (BurrowRelayAllocation *allocation,
                                                  const gchar           *ip);

G_END_DECLS
