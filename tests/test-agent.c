/* test-agent.c: two BurrowAgents in one process over loopback: host and
 * relayed candidates, SDP, trickle ICE, restart, role conflicts,
 * nomination modes, frozen pairs, several streams and components
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The peers and their steps and checks are in agent-peers.c. Server-
 * reflexive candidates are in test-agent-srflx.c; faults and floods
 * (forged and hostile input, 10 000 remote candidates) in
 * test-agent-faults.c; load and the data path from other threads
 * (10 000 datagrams, recv_messages from a thread) in test-agent-data.c.
 */
#include "agent-peers.h"

#include <string.h>

static const FixtureOptions no_server = { FALSE };
static const FixtureOptions with_turn = { TRUE, NULL };

/* ---- host candidates ---- */

static void
test_host (Fixture *f, gconstpointer data)
{
  peers_setup (f, agent_new (BURROW_NOMINATION_MODE_AGGRESSIVE, TRUE),
      agent_new (BURROW_NOMINATION_MODE_AGGRESSIVE, FALSE), 1, 1);
  peer_attach_recv (&f->a);
  peer_attach_recv (&f->b);
  gather (f);
  /* one host candidate each, announced and listed */
  g_assert_cmpuint (f->a.new_candidates->len, ==, 1);
  g_assert_cmpuint (f->b.new_candidates->len, ==, 1);
  g_assert_cmpint (burrow_candidate_get_candidate_type (f->a.new_candidates->pdata[0]), ==,
      BURROW_CANDIDATE_TYPE_HOST);
  g_assert_cmpuint (burrow_agent_get_component_state (f->a.agent, f->a.stream_ids[0], 1), ==,
      BURROW_COMPONENT_STATE_GATHERING);

  connect_peers (f);
  g_assert_cmpuint (f->a.selected_signals[0][0], >=, 1);
  g_assert_cmpuint (f->b.selected_signals[0][0], >=, 1);
  assert_selected (&f->a, 0, 1, BURROW_CANDIDATE_TYPE_HOST);
  assert_selected (&f->b, 0, 1, BURROW_CANDIDATE_TYPE_HOST);
  assert_state_sequence (&f->a, 0, 1);
  assert_state_sequence (&f->b, 0, 1);

  send_expect (&f->a, 0, 1, "hello from A");
  send_expect (&f->b, 0, 1, "hello from B");
}

static void
test_host_sdp (Fixture *f, gconstpointer data)
{
  g_autofree gchar *sdp_a = NULL;
  g_autofree gchar *sdp_b = NULL;

  peers_setup (f, agent_new (BURROW_NOMINATION_MODE_AGGRESSIVE, TRUE),
      agent_new (BURROW_NOMINATION_MODE_AGGRESSIVE, FALSE), 1, 1);
  peer_attach_recv (&f->a);
  peer_attach_recv (&f->b);
  gather (f);
  sdp_a = burrow_agent_generate_local_sdp (f->a.agent);
  sdp_b = burrow_agent_generate_local_sdp (f->b.agent);
  g_assert_nonnull (strstr (sdp_a, "a=ice-ufrag:"));
  g_assert_nonnull (strstr (sdp_a, "a=candidate:"));
  /* credentials and the one host candidate each */
  g_assert_cmpint (burrow_agent_parse_remote_sdp (f->b.agent, sdp_a), ==, 1);
  g_assert_cmpint (burrow_agent_parse_remote_sdp (f->a.agent, sdp_b), ==, 1);
  assert_ready (f);
  assert_selected (&f->a, 0, 1, BURROW_CANDIDATE_TYPE_HOST);
  assert_selected (&f->b, 0, 1, BURROW_CANDIDATE_TYPE_HOST);
  send_expect (&f->a, 0, 1, "sdp A");
  send_expect (&f->b, 0, 1, "sdp B");
}

/* ---- relayed only ---- */

static void
relay_only (Fixture *f, BurrowRelayType type)
{
  BurrowAgent *a = agent_new (BURROW_NOMINATION_MODE_AGGRESSIVE, TRUE);
  BurrowAgent *b = agent_new (BURROW_NOMINATION_MODE_AGGRESSIVE, FALSE);
  Peer *peers[] = { &f->a, &f->b };
  guint i;

  g_object_set (a, "force-relay", TRUE, NULL);
  g_object_set (b, "force-relay", TRUE, NULL);
  peers_setup (f, a, b, 1, 1);
  for (i = 0; i < G_N_ELEMENTS (peers); i++) {
    g_assert_true (burrow_agent_set_relay_info (peers[i]->agent, peers[i]->stream_ids[0], 1,
        "127.0.0.1", f->turn->port, f->turn->user, f->turn->password, type));
    peer_attach_recv (peers[i]);
  }
  gather (f);
  for (i = 0; i < G_N_ELEMENTS (peers); i++) {
    GSList *list = burrow_agent_get_local_candidates (peers[i]->agent,
        peers[i]->stream_ids[0], 1);

    /* force-relay: the relayed candidate only */
    g_assert_cmpuint (g_slist_length (list), ==, 1);
    g_assert_cmpint (burrow_candidate_get_candidate_type (list->data), ==,
        BURROW_CANDIDATE_TYPE_RELAYED);
    g_slist_free_full (list, g_object_unref);
  }
  connect_peers (f);
  assert_selected (&f->a, 0, 1, BURROW_CANDIDATE_TYPE_RELAYED);
  assert_selected (&f->b, 0, 1, BURROW_CANDIDATE_TYPE_RELAYED);
  assert_state_sequence (&f->a, 0, 1);
  assert_state_sequence (&f->b, 0, 1);
  send_expect (&f->a, 0, 1, "through the relay from A");
  send_expect (&f->b, 0, 1, "through the relay from B");
}

static void
test_relay_udp (Fixture *f, gconstpointer data)
{
  relay_only (f, BURROW_RELAY_TYPE_TURN_UDP);
}

static void
test_relay_tcp (Fixture *f, gconstpointer data)
{
  relay_only (f, BURROW_RELAY_TYPE_TURN_TCP);
}

/* ---- trickle ---- */

static void
test_trickle (Fixture *f, gconstpointer data)
{
  BurrowAgent *a = agent_new (BURROW_NOMINATION_MODE_AGGRESSIVE, TRUE);
  BurrowAgent *b = agent_new (BURROW_NOMINATION_MODE_AGGRESSIVE, FALSE);
  GSList *remote;

  g_object_set (a, "ice-trickle", TRUE, NULL);
  g_object_set (b, "ice-trickle", TRUE, NULL);
  peers_setup (f, a, b, 1, 2);
  f->a.trickle = f->b.trickle = TRUE;
  peer_attach_recv (&f->a);
  peer_attach_recv (&f->b);
  /* credentials first; candidates then go one by one as they are found */
  give_credentials (&f->a, &f->b);
  give_credentials (&f->b, &f->a);
  gather (f);
  g_assert_cmpuint (f->a.trickled, >=, 2);
  g_assert_cmpuint (f->b.trickled, >=, 2);
  assert_ready (f);
  assert_selected (&f->a, 0, 1, BURROW_CANDIDATE_TYPE_HOST);
  assert_selected (&f->a, 0, 2, BURROW_CANDIDATE_TYPE_HOST);
  assert_selected (&f->b, 0, 2, BURROW_CANDIDATE_TYPE_HOST);
  assert_state_sequence (&f->a, 0, 2);
  assert_state_sequence (&f->b, 0, 1);
  /* what was trickled is what B knows of A */
  remote = burrow_agent_get_remote_candidates (b, f->b.stream_ids[0], 1);
  g_assert_true (in_list (remote, f->a.new_candidates->pdata[0]) ||
      in_list (remote, f->a.new_candidates->pdata[1]));
  g_slist_free_full (remote, g_object_unref);
  send_expect (&f->a, 0, 2, "trickled");
  send_expect (&f->b, 0, 1, "trickled back");
}

/* ---- restart ---- */

typedef struct {
  Fixture *f;
  guint a_before, b_before;
} Reselected;

static gboolean
reselected (gpointer data)
{
  Reselected *r = data;

  return r->f->a.selected_signals[0][0] > r->a_before &&
      r->f->b.selected_signals[0][0] > r->b_before && peers_ready (r->f);
}

static void
test_restart (Fixture *f, gconstpointer data)
{
  g_autofree gchar *ufrag_before = NULL;
  g_autofree gchar *pwd_before = NULL;
  g_autofree gchar *ufrag_after = NULL;
  g_autofree gchar *pwd_after = NULL;
  Reselected r = { f, 0, 0 };

  peers_setup (f, agent_new (BURROW_NOMINATION_MODE_AGGRESSIVE, TRUE),
      agent_new (BURROW_NOMINATION_MODE_AGGRESSIVE, FALSE), 1, 1);
  peer_attach_recv (&f->a);
  peer_attach_recv (&f->b);
  gather (f);
  connect_peers (f);
  send_expect (&f->a, 0, 1, "before the restart");
  g_assert_true (burrow_agent_get_local_credentials (f->a.agent, f->a.stream_ids[0],
      &ufrag_before, &pwd_before));
  r.a_before = f->a.selected_signals[0][0];
  r.b_before = f->b.selected_signals[0][0];

  g_assert_true (burrow_agent_restart (f->a.agent));
  g_assert_true (burrow_agent_restart (f->b.agent));
  g_assert_true (burrow_agent_get_local_credentials (f->a.agent, f->a.stream_ids[0],
      &ufrag_after, &pwd_after));
  g_assert_cmpstr (ufrag_after, !=, ufrag_before);
  g_assert_cmpstr (pwd_after, !=, pwd_before);

  /* RFC 8445 section 9: the old pair keeps carrying data meanwhile */
  send_expect (&f->a, 0, 1, "during the restart, A");
  send_expect (&f->b, 0, 1, "during the restart, B");
  give_credentials (&f->a, &f->b);
  give_credentials (&f->b, &f->a);
  send_expect (&f->a, 0, 1, "new credentials, A");
  give_candidates (&f->a, &f->b);
  give_candidates (&f->b, &f->a);
  send_expect (&f->b, 0, 1, "new candidates, B");

  g_assert_true (wait_until (reselected, &r, CONNECT_TIMEOUT_MS));
  assert_selected (&f->a, 0, 1, BURROW_CANDIDATE_TYPE_HOST);
  assert_selected (&f->b, 0, 1, BURROW_CANDIDATE_TYPE_HOST);
  send_expect (&f->a, 0, 1, "after the restart, A");
  send_expect (&f->b, 0, 1, "after the restart, B");
}

/* ---- role conflict ---- */

static void
role_conflict (Fixture *f, gboolean controlling)
{
  gboolean a_controlling, b_controlling;

  peers_setup (f, agent_new (BURROW_NOMINATION_MODE_AGGRESSIVE, controlling),
      agent_new (BURROW_NOMINATION_MODE_AGGRESSIVE, controlling), 1, 1);
  peer_attach_recv (&f->a);
  peer_attach_recv (&f->b);
  gather (f);
  connect_peers (f);
  g_object_get (f->a.agent, "controlling-mode", &a_controlling, NULL);
  g_object_get (f->b.agent, "controlling-mode", &b_controlling, NULL);
  /* the tie-breakers decided: exactly one controls */
  g_assert_cmpint (a_controlling, !=, b_controlling);
  assert_selected (&f->a, 0, 1, BURROW_CANDIDATE_TYPE_HOST);
  assert_selected (&f->b, 0, 1, BURROW_CANDIDATE_TYPE_HOST);
  send_expect (&f->a, 0, 1, "resolved, A");
  send_expect (&f->b, 0, 1, "resolved, B");
  /* and it stays so */
  burrow_test_sleep (300);
  g_object_get (f->a.agent, "controlling-mode", &a_controlling, NULL);
  g_object_get (f->b.agent, "controlling-mode", &b_controlling, NULL);
  g_assert_cmpint (a_controlling, !=, b_controlling);
  g_assert_true (peers_ready (f));
}

static void
test_role_both_controlling (Fixture *f, gconstpointer data)
{
  role_conflict (f, TRUE);
}

static void
test_role_both_controlled (Fixture *f, gconstpointer data)
{
  role_conflict (f, FALSE);
}

/* ---- nomination ---- */

static void
nomination (Fixture *f, BurrowNominationMode mode)
{
  BurrowNominationMode got;
  g_autofree gchar *seq = NULL;

  peers_setup (f, agent_new (mode, TRUE), agent_new (mode, FALSE), 1, 1);
  g_object_get (f->a.agent, "nomination-mode", &got, NULL);
  g_assert_cmpint (got, ==, mode);
  g_object_get (f->b.agent, "nomination-mode", &got, NULL);
  g_assert_cmpint (got, ==, mode);
  peer_attach_recv (&f->a);
  peer_attach_recv (&f->b);
  gather (f);
  connect_peers (f);
  assert_selected (&f->a, 0, 1, BURROW_CANDIDATE_TYPE_HOST);
  assert_selected (&f->b, 0, 1, BURROW_CANDIDATE_TYPE_HOST);
  assert_state_sequence (&f->a, 0, 1);
  assert_state_sequence (&f->b, 0, 1);
  /* regular nomination: checks first (CONNECTED), the nomination after */
  seq = state_sequence (&f->a, 0, 1);
  if (mode == BURROW_NOMINATION_MODE_REGULAR)
    g_assert_cmpstr (seq, ==, "disconnected gathering connecting connected ready");
  send_expect (&f->a, 0, 1, "nominated, A");
  send_expect (&f->b, 0, 1, "nominated, B");
}

static void
test_nomination_regular (Fixture *f, gconstpointer data)
{
  nomination (f, BURROW_NOMINATION_MODE_REGULAR);
}

static void
test_nomination_aggressive (Fixture *f, gconstpointer data)
{
  nomination (f, BURROW_NOMINATION_MODE_AGGRESSIVE);
}

/* ---- two streams of two components ---- */

static void
test_streams_components (Fixture *f, gconstpointer data)
{
  Peer *peers[] = { &f->a, &f->b };
  g_autoptr(GHashTable) ports = g_hash_table_new (NULL, NULL);
  guint i, s, c;

  peers_setup (f, agent_new (BURROW_NOMINATION_MODE_AGGRESSIVE, TRUE),
      agent_new (BURROW_NOMINATION_MODE_AGGRESSIVE, FALSE), 2, 2);
  for (i = 0; i < G_N_ELEMENTS (peers); i++) {
    g_assert_true (burrow_agent_set_stream_name (peers[i]->agent, peers[i]->stream_ids[0],
        "audio"));
    g_assert_true (burrow_agent_set_stream_name (peers[i]->agent, peers[i]->stream_ids[1],
        "video"));
    peer_attach_recv (peers[i]);
  }
  gather (f);
  connect_peers (f);
  for (i = 0; i < G_N_ELEMENTS (peers); i++) {
    for (s = 0; s < 2; s++) {
      for (c = 1; c <= 2; c++) {
        g_autoptr(BurrowCandidate) local = NULL;
        g_autoptr(BurrowCandidate) remote = NULL;
        g_autofree gchar *text = g_strdup_printf ("%s stream %u component %u",
            peers[i]->name, s, c);

        assert_selected (peers[i], s, c, BURROW_CANDIDATE_TYPE_HOST);
        g_assert_true (burrow_agent_get_selected_pair (peers[i]->agent,
            peers[i]->stream_ids[s], c, &local, &remote));
        /* each component has its own socket */
        g_assert_false (g_hash_table_contains (ports,
            GUINT_TO_POINTER (burrow_candidate_get_port (local))));
        g_hash_table_add (ports, GUINT_TO_POINTER (burrow_candidate_get_port (local)));
        /* the datagram reaches the same stream and component on the other side */
        send_expect (peers[i], s, c, text);
      }
    }
  }
  /* and nowhere else: one datagram per component */
  for (i = 0; i < G_N_ELEMENTS (peers); i++)
    for (s = 0; s < 2; s++)
      for (c = 1; c <= 2; c++)
        g_assert_cmpuint (peers[i]->slots[s][c - 1].datagrams->len, ==, 1);
}

/* ---- a path with latency ---- */

/* Two UDP sockets standing between A and B for one component, each the
 * address the other side is told: A talks to @to_b (B's stand-in), B to
 * @to_a. What arrives goes on after @delay_ms from the other socket, so
 * each agent sees its peer at one consistent address, RTT 2 * @delay_ms
 * later. */
typedef struct {
  GSocket *to_a;                  /* B sends here; forwards to A */
  GSocket *to_b;                  /* A sends here; forwards to B */
  GSocketAddress *a;
  GSocketAddress *b;
  GSource *sources[2];
  GQueue pending;                 /* GSource: datagrams on their way */
  guint delay_ms;
  guint forwarded;
} Delay;

typedef struct {
  Delay *delay;
  GSocket *from;
  GSocketAddress *to;
  GBytes *data;
  GSource *source;
} Delayed;

static gboolean
delayed_send_cb (gpointer data)
{
  Delayed *d = data;

  g_socket_send_to (d->from, d->to, g_bytes_get_data (d->data, NULL), g_bytes_get_size (d->data),
      NULL, NULL);
  d->delay->forwarded++;
  g_queue_remove (&d->delay->pending, d->source);
  return G_SOURCE_REMOVE;
}

static void
delayed_free (Delayed *d)
{
  g_bytes_unref (d->data);
  g_source_unref (d->source);
  g_free (d);
}

static gboolean
delay_readable_cb (GSocket *socket, GIOCondition condition, gpointer data)
{
  Delay *delay = data;
  guint8 buffer[2048];
  gssize n = g_socket_receive_from (socket, NULL, (gchar *) buffer, sizeof buffer, NULL, NULL);
  Delayed *d;

  if (n < 0)
    return G_SOURCE_CONTINUE;
  d = g_new0 (Delayed, 1);
  d->delay = delay;
  d->from = socket == delay->to_b ? delay->to_a : delay->to_b;
  d->to = socket == delay->to_b ? delay->b : delay->a;
  d->data = g_bytes_new (buffer, n);
  d->source = g_timeout_source_new (delay->delay_ms);
  g_source_set_callback (d->source, delayed_send_cb, d, (GDestroyNotify) delayed_free);
  g_queue_push_tail (&delay->pending, d->source);
  g_source_attach (d->source, NULL);
  return G_SOURCE_CONTINUE;
}

static Delay *
delay_new (BurrowCandidate *a, BurrowCandidate *b, guint delay_ms)
{
  Delay *delay = g_new0 (Delay, 1);
  GSocket *sockets[2];
  guint i;

  delay->delay_ms = delay_ms;
  delay->a = g_object_ref (G_SOCKET_ADDRESS (burrow_candidate_get_address (a)));
  delay->b = g_object_ref (G_SOCKET_ADDRESS (burrow_candidate_get_address (b)));
  delay->to_a = burrow_test_udp_socket ("127.0.0.1", NULL);
  delay->to_b = burrow_test_udp_socket ("127.0.0.1", NULL);
  sockets[0] = delay->to_a;
  sockets[1] = delay->to_b;
  for (i = 0; i < 2; i++) {
    delay->sources[i] = g_socket_create_source (sockets[i], G_IO_IN, NULL);
    g_source_set_callback (delay->sources[i], G_SOURCE_FUNC (delay_readable_cb), delay, NULL);
    g_source_attach (delay->sources[i], NULL);
  }
  return delay;
}

static void
delay_free (Delay *delay)
{
  guint i;

  for (i = 0; i < 2; i++) {
    g_source_destroy (delay->sources[i]);
    g_source_unref (delay->sources[i]);
  }
  while (!g_queue_is_empty (&delay->pending))
    g_source_destroy (g_queue_pop_head (&delay->pending));
  g_object_unref (delay->to_a);
  g_object_unref (delay->to_b);
  g_object_unref (delay->a);
  g_object_unref (delay->b);
  g_free (delay);
}

/* A copy of @candidate at @socket's address, as the other side is told */
static GSList *
stand_in (BurrowCandidate *candidate, GSocket *socket)
{
  g_autoptr(GSocketAddress) address = g_socket_get_local_address (socket, NULL);
  BurrowCandidate *copy = burrow_candidate_copy (candidate);

  burrow_candidate_set_address (copy, G_INET_SOCKET_ADDRESS (address));
  return g_slist_prepend (NULL, copy);
}

/* Both components of a stream share a foundation, so RFC 8445 6.1.2.6
 * freezes component 2 until component 1 succeeds. With an RTT of 120 ms,
 * longer than Ta (20 ms), each agent has had nothing to send for a while
 * when component 1 succeeds; component 2 must still be checked then. */
static void
test_rtt_above_ta (Fixture *f, gconstpointer data)
{
  Delay *delays[2];
  guint c;

  peers_setup (f, agent_new (BURROW_NOMINATION_MODE_AGGRESSIVE, TRUE),
      agent_new (BURROW_NOMINATION_MODE_AGGRESSIVE, FALSE), 1, 2);
  peer_attach_recv (&f->a);
  peer_attach_recv (&f->b);
  gather (f);
  give_credentials (&f->a, &f->b);
  give_credentials (&f->b, &f->a);
  for (c = 1; c <= 2; c++) {
    GSList *a = burrow_agent_get_local_candidates (f->a.agent, f->a.stream_ids[0], c);
    GSList *b = burrow_agent_get_local_candidates (f->b.agent, f->b.stream_ids[0], c);
    GSList *a_seen = NULL, *b_seen = NULL;

    delays[c - 1] = delay_new (a->data, b->data, 60);
    a_seen = stand_in (a->data, delays[c - 1]->to_a);
    b_seen = stand_in (b->data, delays[c - 1]->to_b);
    g_assert_cmpint (burrow_agent_set_remote_candidates (f->b.agent, f->b.stream_ids[0], c,
        a_seen), ==, 1);
    g_assert_cmpint (burrow_agent_set_remote_candidates (f->a.agent, f->a.stream_ids[0], c,
        b_seen), ==, 1);
    g_slist_free_full (a, g_object_unref);
    g_slist_free_full (b, g_object_unref);
    g_slist_free_full (a_seen, g_object_unref);
    g_slist_free_full (b_seen, g_object_unref);
  }
  assert_ready (f);
  g_assert_cmpuint (delays[1]->forwarded, >=, 4);
  send_expect (&f->a, 0, 2, "late but there");
  for (c = 0; c < 2; c++)
    delay_free (delays[c]);
}

#define ADD(path, options, func) \
  g_test_add (path, Fixture, options, fixture_setup, func, fixture_teardown)

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  ADD ("/ice/agent/host/ready", &no_server, test_host);
  ADD ("/ice/agent/host/sdp", &no_server, test_host_sdp);
  ADD ("/ice/agent/relay-only/udp", &with_turn, test_relay_udp);
  ADD ("/ice/agent/relay-only/tcp", &with_turn, test_relay_tcp);
  ADD ("/ice/agent/trickle", &no_server, test_trickle);
  ADD ("/ice/agent/restart/old-pair-carries-data", &no_server, test_restart);
  ADD ("/ice/agent/role-conflict/both-controlling", &no_server, test_role_both_controlling);
  ADD ("/ice/agent/role-conflict/both-controlled", &no_server, test_role_both_controlled);
  ADD ("/ice/agent/nomination/regular", &no_server, test_nomination_regular);
  ADD ("/ice/agent/nomination/aggressive", &no_server, test_nomination_aggressive);
  ADD ("/ice/agent/streams/two-by-two-components", &no_server, test_streams_components);
  ADD ("/ice/agent/checks/rtt-above-ta-all-components-ready", &no_server, test_rtt_above_ta);

  return g_test_run ();
}
