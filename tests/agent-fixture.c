/* agent-fixture.c: two gathered BurrowAgents on loopback, for
 * test-agent-faults.c and test-agent-data.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "agent-fixture.h"

#define GATHER_TIMEOUT_MS 5000
#define CONNECT_TIMEOUT_MS 10000

/* ---- waiting, always bounded ---- */

static gboolean
timeout_flag_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

gboolean
agent_fixture_wait_until (AgentFixtureCondFunc cond, gpointer data, guint timeout_ms)
{
  gboolean timed_out = FALSE;
  GSource *timer = g_timeout_source_new (timeout_ms);

  g_source_set_callback (timer, timeout_flag_cb, &timed_out, NULL);
  g_source_attach (timer, g_main_context_get_thread_default ());
  while (!cond (data) && !timed_out)
    g_main_context_iteration (g_main_context_get_thread_default (), TRUE);
  g_source_destroy (timer);
  g_source_unref (timer);
  return cond (data);
}

static gboolean
both_gathered (gpointer data)
{
  AgentFixture *p = data;

  return p->a_gathered && p->b_gathered;
}

static gboolean
both_ready (gpointer data)
{
  AgentFixture *p = data;

  return burrow_agent_get_component_state (p->a, p->sa, 1) == BURROW_COMPONENT_STATE_READY &&
      burrow_agent_get_component_state (p->b, p->sb, 1) == BURROW_COMPONENT_STATE_READY;
}

/* ---- signals ---- */

static void
gathering_done_cb (BurrowAgent *agent, guint stream_id, AgentFixture *p)
{
  if (agent == p->a)
    p->a_gathered = TRUE;
  else
    p->b_gathered = TRUE;
}

static void
recv_cb (BurrowAgent *agent, guint stream_id, guint component_id, guint len,
    const guint8 *buf, gpointer data)
{
  AgentFixture *p = data;

  if (agent == p->a)
    p->a_received++;
  else
    p->b_received++;
}

/* ---- the fixture ---- */

BurrowAgent *
agent_fixture_new_agent (gboolean controlling)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_from_string ("127.0.0.1");
  BurrowAgent *agent = g_object_new (BURROW_TYPE_AGENT, "nomination-mode",
      BURROW_NOMINATION_MODE_AGGRESSIVE, "controlling-mode", controlling, NULL);

  g_assert_true (burrow_agent_add_local_address (agent, loopback));
  return agent;
}

static GInetSocketAddress *
host_address (BurrowAgent *agent, guint stream_id)
{
  GSList *list = burrow_agent_get_local_candidates (agent, stream_id, 1);
  GInetSocketAddress *address;

  g_assert_cmpuint (g_slist_length (list), ==, 1);
  address = g_object_ref (burrow_candidate_get_address (list->data));
  g_slist_free_full (list, g_object_unref);
  return address;
}

void
agent_fixture_add_agents (AgentFixture *p)
{
  p->a = agent_fixture_new_agent (TRUE);
  p->b = agent_fixture_new_agent (FALSE);
  p->sa = burrow_agent_add_stream (p->a, 1);
  p->sb = burrow_agent_add_stream (p->b, 1);
  g_signal_connect (p->a, "candidate-gathering-done", G_CALLBACK (gathering_done_cb), p);
  g_signal_connect (p->b, "candidate-gathering-done", G_CALLBACK (gathering_done_cb), p);
}

void
agent_fixture_gather (AgentFixture *p)
{
  g_assert_true (burrow_agent_attach_recv (p->a, p->sa, 1, NULL, recv_cb, p));
  g_assert_true (burrow_agent_attach_recv (p->b, p->sb, 1, NULL, recv_cb, p));
  g_assert_true (burrow_agent_gather_candidates (p->a, p->sa));
  g_assert_true (burrow_agent_gather_candidates (p->b, p->sb));
  g_assert_true (agent_fixture_wait_until (both_gathered, p, GATHER_TIMEOUT_MS));
  p->a_host = host_address (p->a, p->sa);
  p->b_host = host_address (p->b, p->sb);
  g_assert_true (burrow_agent_get_local_credentials (p->a, p->sa, &p->a_ufrag, &p->a_pwd));
  g_assert_true (burrow_agent_get_local_credentials (p->b, p->sb, &p->b_ufrag, &p->b_pwd));
  g_assert_true (burrow_agent_set_remote_credentials (p->a, p->sa, p->b_ufrag, p->b_pwd));
  g_assert_true (burrow_agent_set_remote_credentials (p->b, p->sb, p->a_ufrag, p->a_pwd));
}

void
agent_fixture_setup (AgentFixture *p, gconstpointer data)
{
  agent_fixture_add_agents (p);
  agent_fixture_gather (p);
}

void
agent_fixture_teardown (AgentFixture *p, gconstpointer data)
{
  guint i;

  g_signal_handlers_disconnect_by_data (p->a, p);
  g_signal_handlers_disconnect_by_data (p->b, p);
  g_clear_object (&p->a);
  g_clear_object (&p->b);
  g_clear_object (&p->a_host);
  g_clear_object (&p->b_host);
  g_free (p->a_ufrag);
  g_free (p->a_pwd);
  g_free (p->b_ufrag);
  g_free (p->b_pwd);
  for (i = 0; i < 1000 && g_main_context_iteration (NULL, FALSE); i++)
    ;
}

/* ---- connecting ---- */

static gboolean
b_got_wanted (gpointer data)
{
  AgentFixture *p = data;

  return p->b_received >= p->b_want;
}

void
agent_fixture_assert_connects (AgentFixture *p)
{
  GSList *a_list = burrow_agent_get_local_candidates (p->a, p->sa, 1);
  GSList *b_list = burrow_agent_get_local_candidates (p->b, p->sb, 1);
  g_autoptr(BurrowCandidate) local = NULL;
  g_autoptr(BurrowCandidate) remote = NULL;
  g_autofree gchar *want = burrow_test_address_to_string (p->b_host);
  g_autofree gchar *got = NULL;
  guint before = p->b_received;

  g_assert_cmpint (burrow_agent_set_remote_candidates (p->a, p->sa, 1, b_list), >=, 0);
  g_assert_cmpint (burrow_agent_set_remote_candidates (p->b, p->sb, 1, a_list), ==, 1);
  g_slist_free_full (a_list, g_object_unref);
  g_slist_free_full (b_list, g_object_unref);
  g_assert_true (agent_fixture_wait_until (both_ready, p, CONNECT_TIMEOUT_MS));
  g_assert_true (burrow_agent_get_selected_pair (p->a, p->sa, 1, &local, &remote));
  got = burrow_test_address_to_string (burrow_candidate_get_address (remote));
  g_assert_cmpstr (got, ==, want);
  p->b_want = before + 1;
  g_assert_cmpint (burrow_agent_send (p->a, p->sa, 1, 5, (const guint8 *) "hello"), ==, 5);
  g_assert_true (agent_fixture_wait_until (b_got_wanted, p, 2000));
}
