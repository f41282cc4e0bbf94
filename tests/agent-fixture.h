/* agent-fixture.h: two gathered BurrowAgents on loopback, for
 * test-agent-faults.c and test-agent-data.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A is controlling (aggressive nomination), B controlled; both gathered
 * their one host candidate, each knows the other's credentials, neither
 * the other's candidates. Both count what their recv callback delivers.
 */
#pragma once

#include "burrow-test-util.h"

G_BEGIN_DECLS

typedef struct {
  BurrowAgent *a, *b;
  guint sa, sb;
  gboolean a_gathered, b_gathered;
  gchar *a_ufrag, *a_pwd, *b_ufrag, *b_pwd;
  GInetSocketAddress *a_host;
  GInetSocketAddress *b_host;
  guint a_received;               /* datagrams delivered to A's recv callback */
  guint b_received;
  guint b_want;
} AgentFixture;

typedef gboolean (*AgentFixtureCondFunc) (gpointer data);

/* Iterates the thread-default context until @cond holds or @timeout_ms
 * pass; returns whether it holds. */
gboolean     agent_fixture_wait_until      (AgentFixtureCondFunc  cond,
                                            gpointer              data,
                                            guint                 timeout_ms);
/* An agent with a loopback address and aggressive nomination. */
BurrowAgent *agent_fixture_new_agent       (gboolean              controlling);

/* agent_fixture_setup() in two steps, for a test that connects to the
 * agents' signals before they gather: the agents and their streams, then
 * gathering and credentials. */
void         agent_fixture_add_agents      (AgentFixture         *p);
void         agent_fixture_gather          (AgentFixture         *p);

void         agent_fixture_setup           (AgentFixture         *p,
                                            gconstpointer         data);
void         agent_fixture_teardown        (AgentFixture         *p,
                                            gconstpointer         data);

/* A and B are given each other's candidates, connect with the pair of
 * their host candidates, and a datagram from A reaches B. */
void         agent_fixture_assert_connects (AgentFixture         *p);

G_END_DECLS
