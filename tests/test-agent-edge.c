/* test-agent-edge.c: BurrowAgent in corners of RFC 8445: an ICE-lite agent
 * in a role conflict, a hand-selected pair when the check list is full.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The role-conflict test sets the tie-breakers (private) so that the lite
 * agent is the one the conflict rules would have switch.
 */
#include "agent-fixture.h"
#include "burrow-agent-private.h"

#include <string.h>

typedef AgentFixture Fixture;

/* ---- an ICE-lite agent facing a full agent that is controlled too: the
 * lite agent stays controlled (RFC 8445 6.1.1) and answers with 487, so
 * the full agent takes control and both get READY ---- */

static gboolean
both_ready (gpointer data)
{
  Fixture *p = data;

  return burrow_agent_get_component_state (p->a, p->sa, 1) == BURROW_COMPONENT_STATE_READY &&
      burrow_agent_get_component_state (p->b, p->sb, 1) == BURROW_COMPONENT_STATE_READY;
}

static void
lite_setup (Fixture *p, gconstpointer data)
{
  agent_fixture_add_agents (p);
  /* A: full, controlled (its application did not see a=ice-lite);
   * B: ICE lite */
  g_object_set (p->b, "full-mode", FALSE, NULL);
  agent_fixture_gather (p);
}

static void
test_lite_role_conflict (Fixture *p, gconstpointer data)
{
  GSList *a_list = burrow_agent_get_local_candidates (p->a, p->sa, 1);
  GSList *b_list = burrow_agent_get_local_candidates (p->b, p->sb, 1);
  gboolean b_controlling;

  g_object_set (p->a, "controlling-mode", FALSE, NULL);
  /* the tie-breakers decide who repairs the conflict; B's is the larger */
  p->a->tie_breaker = 1;
  p->b->tie_breaker = G_MAXUINT64 - 1;
  burrow_agent_set_remote_candidates (p->a, p->sa, 1, b_list);
  burrow_agent_set_remote_candidates (p->b, p->sb, 1, a_list);
  g_slist_free_full (a_list, g_object_unref);
  g_slist_free_full (b_list, g_object_unref);
  agent_fixture_wait_until (both_ready, p, 8000);
  g_object_get (p->b, "controlling-mode", &b_controlling, NULL);
  g_test_message ("A state %u, B state %u, lite B controlling: %d",
      burrow_agent_get_component_state (p->a, p->sa, 1),
      burrow_agent_get_component_state (p->b, p->sb, 1), b_controlling);
  /* RFC 8445 6.1.1: the lite agent stays controlled */
  g_assert_false (b_controlling);
  g_assert_true (both_ready (p));
}

/* ---- a pair selected by hand stays while the check list, full, makes
 * room for better pairs (it is still frozen, and the lowest) ---- */

static void
test_selected_pair_evicted (Fixture *p, gconstpointer data)
{
  g_autoptr(GInetAddress) ip = g_inet_address_new_from_string ("127.0.0.1");
  g_autoptr(GSocketAddress) low_addr = g_inet_socket_address_new (ip, 9);
  g_autoptr(GSocketAddress) high_addr = g_inet_socket_address_new (ip, 19);
  g_autoptr(BurrowCandidate) low = burrow_candidate_new (BURROW_CANDIDATE_TYPE_HOST);
  g_autoptr(BurrowCandidate) high = burrow_candidate_new (BURROW_CANDIDATE_TYPE_HOST);
  g_autoptr(BurrowCandidate) l = NULL;
  g_autoptr(BurrowCandidate) r = NULL;
  GSList *local = burrow_agent_get_local_candidates (p->a, p->sa, 1);
  GSList one = { NULL, NULL };
  gchar *lf = g_strdup (burrow_candidate_get_foundation (local->data));
  guint i;

  g_slist_free_full (local, g_object_unref);
  g_object_set (p->a, "max-connectivity-checks", 1, NULL);
  /* a fresh stream with no remote credentials: its pairs stay frozen */
  p->sa = burrow_agent_add_stream (p->a, 1);
  g_assert_true (burrow_agent_add_local_address (p->a, ip));
  g_assert_true (burrow_agent_gather_candidates (p->a, p->sa));
  for (i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE);
  local = burrow_agent_get_local_candidates (p->a, p->sa, 1);
  g_free (lf);
  lf = g_strdup (burrow_candidate_get_foundation (local->data));
  g_slist_free_full (local, g_object_unref);

  burrow_candidate_set_address (low, G_INET_SOCKET_ADDRESS (low_addr));
  burrow_candidate_set_priority (low, 1);
  burrow_candidate_set_foundation (low, "low");
  burrow_candidate_set_address (high, G_INET_SOCKET_ADDRESS (high_addr));
  burrow_candidate_set_priority (high, 2000000000);
  burrow_candidate_set_foundation (high, "high");

  one.data = low;
  g_assert_cmpint (burrow_agent_set_remote_candidates (p->a, p->sa, 1, &one), ==, 1);
  /* selected by hand, as libnice allows */
  g_assert_true (burrow_agent_set_selected_pair (p->a, p->sa, 1, lf, "low"));
  /* a better candidate arrives: the check list is full, the frozen
   * lowest pair (the selected one) goes */
  one.data = high;
  burrow_agent_set_remote_candidates (p->a, p->sa, 1, &one);
  /* the selected pair is still in use */
  g_assert_true (burrow_agent_get_selected_pair (p->a, p->sa, 1, &l, &r));
  g_assert_cmpstr (burrow_candidate_get_foundation (r), ==, "low");
  burrow_agent_send (p->a, p->sa, 1, 4, (const guint8 *) "data");
  g_free (lf);
}

#define ADD(path, setup, func) \
  g_test_add (path, Fixture, NULL, setup, func, agent_fixture_teardown)

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  ADD ("/ice/agent-edge/lite/role-conflict-stays-controlled", lite_setup,
      test_lite_role_conflict);
  ADD ("/ice/agent-edge/selected-pair-survives-full-check-list", agent_fixture_setup,
      test_selected_pair_evicted);

  return g_test_run ();
}
