/* test-agent-tcp.c: ICE-TCP (RFC 6544): TCP host candidates, two Burrow
 * agents connecting over TCP on 127.0.0.1 in both roles with data both
 * ways, hostile framing on the passive port, and a connection the peer
 * closes.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "agent-peers.h"

#include <stdio.h>
#include <string.h>

#define DATAGRAMS 1000
#define DATAGRAM_SIZE 1000
#define WAIT_MS 10000

static BurrowAgent *
tcp_agent_new (gboolean controlling)
{
  BurrowAgent *agent = agent_new (BURROW_NOMINATION_MODE_REGULAR, controlling);

  g_object_set (agent, "ice-udp", FALSE, "ice-tcp", TRUE, NULL);
  return agent;
}

static guint64
rejected (BurrowAgent *agent)
{
  guint64 n = 0;

  g_object_get (agent, "rejected-packets", &n, NULL);
  return n;
}

static BurrowCandidate *
find_local (BurrowAgent *agent, guint stream_id, BurrowCandidateTransport transport)
{
  g_autoptr(GSList) list = burrow_agent_get_local_candidates (agent, stream_id, 1);
  BurrowCandidate *found = NULL;
  GSList *l;

  for (l = list; l; l = l->next) {
    if (found == NULL && burrow_candidate_get_transport (l->data) == transport)
      found = g_object_ref (l->data);
  }
  g_slist_free_full (g_steal_pointer (&list), g_object_unref);
  return found;
}

/* ---- gathering ---- */

static void
test_gather (Fixture *f, gconstpointer data)
{
  g_autoptr(BurrowCandidate) active = NULL;
  g_autoptr(BurrowCandidate) passive = NULL;
  g_autofree gchar *line = NULL;
  GSList *all;

  /* free for UDP and TCP, so for the listening sockets */
  guint16 first = burrow_test_free_udp_port (4);

  peers_setup (f, tcp_agent_new (TRUE), tcp_agent_new (FALSE), 1, 2);
  burrow_agent_set_port_range (f->a.agent, f->a.stream_ids[0], 1, first, first + 3);
  gather (f);
  all = burrow_agent_get_local_candidates (f->a.agent, f->a.stream_ids[0], 1);
  /* ice-udp FALSE: the two TCP candidates only */
  g_assert_cmpuint (g_slist_length (all), ==, 2);
  g_slist_free_full (all, g_object_unref);
  active = find_local (f->a.agent, f->a.stream_ids[0], BURROW_CANDIDATE_TRANSPORT_TCP_ACTIVE);
  passive = find_local (f->a.agent, f->a.stream_ids[0], BURROW_CANDIDATE_TRANSPORT_TCP_PASSIVE);
  g_assert_nonnull (active);
  g_assert_nonnull (passive);
  g_assert_cmpuint (burrow_candidate_get_port (active), ==, 9);
  /* the port range is honoured */
  g_assert_cmpuint (burrow_candidate_get_port (passive), >=, first);
  g_assert_cmpuint (burrow_candidate_get_port (passive), <=, first + 3);
  /* RFC 6544 4.2: host, direction-pref 6 (active) and 4 (passive), other-pref 8191 */
  g_assert_cmpuint (burrow_candidate_get_priority (active), ==,
      (126u << 24) + (((6u << 13) + 8191) << 8) + 255);
  g_assert_cmpuint (burrow_candidate_get_priority (passive), ==,
      (126u << 24) + (((4u << 13) + 8191) << 8) + 255);
  g_assert_cmpstr (burrow_candidate_get_foundation (active), !=,
      burrow_candidate_get_foundation (passive));
  line = burrow_agent_generate_local_candidate_sdp (f->a.agent, active);
  g_assert_nonnull (strstr (line, " TCP "));
  g_assert_nonnull (strstr (line, " 9 typ host tcptype active"));
}

/* ---- connecting, data ---- */

typedef struct {
  guint received;
  guint out_of_order;
  guint corrupt;
} Count;

static void
count_cb (BurrowAgent *agent, guint stream_id, guint component_id, guint len,
    const guint8 *buf, gpointer data)
{
  Count *count = data;
  guint32 seq;
  guint i;

  if (len != DATAGRAM_SIZE) {
    count->corrupt++;
    return;
  }
  memcpy (&seq, buf, 4);
  seq = GUINT32_FROM_BE (seq);
  if (seq != count->received)
    count->out_of_order++;
  count->received++;
  for (i = 4; i < len; i++) {
    if (buf[i] != (guint8) (seq + i)) {
      count->corrupt++;
      break;
    }
  }
}

static gboolean
count_done (gpointer data)
{
  return ((Count *) data)->received >= DATAGRAMS;
}

static gboolean
never (gpointer data)
{
  return FALSE;
}

/* @from sends DATAGRAMS numbered datagrams to @to on component 1; half
 * through burrow_agent_send, half batched through send_datagrams. */
static void
send_burst (Peer *from, Peer *to)
{
  Count count = { 0 };
  guint8 buf[DATAGRAM_SIZE];
  guint seq = 0, spins = 0;

  g_assert_true (burrow_agent_attach_recv (to->agent, to->stream_ids[0], 1, NULL, count_cb,
      &count));
  while (seq < DATAGRAMS && spins < 100000) {
    guint i;
    guint32 be = GUINT32_TO_BE (seq);
    gint sent;

    memcpy (buf, &be, 4);
    for (i = 4; i < sizeof buf; i++)
      buf[i] = (guint8) (seq + i);
    if (seq % 2 == 0) {
      sent = burrow_agent_send (from->agent, from->stream_ids[0], 1, sizeof buf, buf);
    } else {
      g_autoptr(GBytes) bytes = g_bytes_new (buf, sizeof buf);
      GBytes *list[] = { bytes };

      sent = burrow_agent_send_datagrams (from->agent, from->stream_ids[0], 1, list, 1, NULL);
    }
    if (sent > 0)
      seq++;
    else
      g_main_context_iteration (NULL, FALSE);  /* the queue is full: let it drain */
    spins++;
  }
  g_assert_cmpuint (seq, ==, DATAGRAMS);
  g_assert_true (wait_until (count_done, &count, WAIT_MS));
  g_assert_cmpuint (count.received, ==, DATAGRAMS);
  g_assert_cmpuint (count.out_of_order, ==, 0);
  g_assert_cmpuint (count.corrupt, ==, 0);
  burrow_agent_attach_recv (to->agent, to->stream_ids[0], 1, NULL, NULL, NULL);
  wait_until (never, NULL, 10);
}

static void
assert_tcp_selected (Peer *p)
{
  g_autoptr(BurrowCandidate) local = NULL;
  g_autoptr(BurrowCandidate) remote = NULL;
  BurrowCandidateTransport l, r;

  g_assert_true (burrow_agent_get_selected_pair (p->agent, p->stream_ids[0], 1, &local, &remote));
  l = burrow_candidate_get_transport (local);
  r = burrow_candidate_get_transport (remote);
  g_assert_true ((l == BURROW_CANDIDATE_TRANSPORT_TCP_ACTIVE &&
          r == BURROW_CANDIDATE_TRANSPORT_TCP_PASSIVE) ||
      (l == BURROW_CANDIDATE_TRANSPORT_TCP_PASSIVE && r == BURROW_CANDIDATE_TRANSPORT_TCP_ACTIVE));
}

static void
connect_tcp (Fixture *f, gboolean a_controlling)
{
  peers_setup (f, tcp_agent_new (a_controlling), tcp_agent_new (!a_controlling), 1, 1);
  gather (f);
  connect_peers (f);
  assert_tcp_selected (&f->a);
  assert_tcp_selected (&f->b);
}

static void
connect_and_send (Fixture *f, gboolean a_controlling)
{
  connect_tcp (f, a_controlling);
  send_burst (&f->a, &f->b);
  send_burst (&f->b, &f->a);
  assert_state_sequence (&f->a, 0, 1);
  assert_state_sequence (&f->b, 0, 1);
}

static void
test_connect_a_controlling (Fixture *f, gconstpointer data)
{
  connect_and_send (f, TRUE);
}

static void
test_connect_b_controlling (Fixture *f, gconstpointer data)
{
  connect_and_send (f, FALSE);
}

static gboolean
a_failed (gpointer data)
{
  Fixture *f = data;

  return burrow_agent_get_component_state (f->a.agent, f->a.stream_ids[0], 1) ==
      BURROW_COMPONENT_STATE_FAILED;
}

/* The peer goes away: its connections close, and the pair and the
 * component fail. */
static void
test_peer_closes (Fixture *f, gconstpointer data)
{
  connect_tcp (f, TRUE);
  g_signal_handlers_disconnect_by_data (f->b.agent, &f->b);
  burrow_agent_remove_stream (f->b.agent, f->b.stream_ids[0]);
  g_assert_true (wait_until (a_failed, f, WAIT_MS));
  g_assert_cmpint (burrow_agent_send (f->a.agent, f->a.stream_ids[0], 1, 2,
      (const guint8 *) "hi"), ==, -1);
}

/* ---- hostile framing ---- */

static GSocket *
connect_to (BurrowCandidate *passive)
{
  g_autoptr(GError) error = NULL;
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, &error);

  g_assert_no_error (error);
  g_socket_set_timeout (socket, 5);
  g_assert_true (g_socket_connect (socket, G_SOCKET_ADDRESS (burrow_candidate_get_address (
      passive)), NULL, &error));
  g_assert_no_error (error);
  return socket;
}

typedef struct {
  BurrowAgent *agent;
  guint64 above;
} Rejected;

static gboolean
rejected_above (gpointer data)
{
  Rejected *r = data;

  return rejected (r->agent) > r->above;
}

/* Sends @data on a fresh connection to the passive port, closes it if
 * @close_after, and waits for the agent to count it */
static void
hostile (BurrowAgent *agent, BurrowCandidate *passive, const guint8 *data, gsize len,
    gboolean close_after)
{
  g_autoptr(GSocket) socket = connect_to (passive);
  g_autoptr(GError) error = NULL;
  Rejected r = { agent, rejected (agent) };

  g_assert_cmpint (g_socket_send (socket, (const gchar *) data, len, NULL, &error), ==,
      (gssize) len);
  g_assert_no_error (error);
  if (close_after)
    g_socket_close (socket, NULL);
  g_assert_true (wait_until (rejected_above, &r, WAIT_MS));
}

static void
test_hostile (Fixture *f, gconstpointer data)
{
  g_autoptr(BurrowCandidate) passive = NULL;
  /* a frame of data before any check, then more */
  static const guint8 garbage[] = { 0, 8, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 0xff, 0xff };
  /* a STUN-looking frame that fails authentication */
  guint8 fake_stun[2 + 28] = { 0, 28, 0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42 };
  guint8 huge[2 + 100] = { 0xff, 0xff };
  static const guint8 half[] = { 0x01, 0x2c, 0, 1, 0, 0, 0x21, 0x12 };
  g_autoptr(GPtrArray) idle = g_ptr_array_new_with_free_func (g_object_unref);
  Rejected r;
  guint i;

  peers_setup (f, tcp_agent_new (TRUE), tcp_agent_new (FALSE), 1, 1);
  gather (f);
  passive = find_local (f->a.agent, f->a.stream_ids[0], BURROW_CANDIDATE_TRANSPORT_TCP_PASSIVE);
  g_assert_nonnull (passive);
  hostile (f->a.agent, passive, garbage, sizeof garbage, FALSE);
  hostile (f->a.agent, passive, fake_stun, sizeof fake_stun, FALSE);
  hostile (f->a.agent, passive, huge, sizeof huge, TRUE);
  hostile (f->a.agent, passive, half, sizeof half, TRUE);
  /* idle connections past the limit: the oldest go, counted */
  r.agent = f->a.agent;
  r.above = rejected (f->a.agent);
  for (i = 0; i < 20; i++) {
    g_ptr_array_add (idle, connect_to (passive));
    wait_until (never, NULL, 20);
  }
  g_assert_true (wait_until (rejected_above, &r, WAIT_MS));
  /* after all that, the agents still connect */
  connect_peers (f);
  assert_tcp_selected (&f->a);
}

/* The SDP's default candidate ("m=" port), what a non-ICE peer sends to:
 * a UDP candidate when there is one, else the passive TCP one (never the
 * active candidate's port 9). */
static guint
m_line_port (BurrowAgent *agent)
{
  g_autofree gchar *sdp = burrow_agent_generate_local_sdp (agent);
  const gchar *m = strstr (sdp, "m=");
  guint port = 0;

  g_assert_nonnull (m);
  g_assert_cmpint (sscanf (m, "m=%*s %u", &port), ==, 1);
  return port;
}

static void
test_sdp_default_candidate (Fixture *f, gconstpointer data)
{
  BurrowAgent *both = tcp_agent_new (TRUE);
  g_autoptr(BurrowCandidate) udp = NULL;
  g_autoptr(BurrowCandidate) passive = NULL;

  g_object_set (both, "ice-udp", TRUE, NULL);
  peers_setup (f, both, tcp_agent_new (FALSE), 1, 1);
  gather (f);
  udp = find_local (f->a.agent, f->a.stream_ids[0], BURROW_CANDIDATE_TRANSPORT_UDP);
  g_assert_nonnull (udp);
  g_assert_cmpuint (m_line_port (f->a.agent), ==, burrow_candidate_get_port (udp));
  passive = find_local (f->b.agent, f->b.stream_ids[0], BURROW_CANDIDATE_TRANSPORT_TCP_PASSIVE);
  g_assert_nonnull (passive);
  g_assert_cmpuint (m_line_port (f->b.agent), ==, burrow_candidate_get_port (passive));
}

int
main (int argc, char **argv)
{
  static const FixtureOptions plain = { FALSE, NULL };

  g_test_init (&argc, &argv, NULL);
  g_test_add ("/ice/tcp/gather/active-passive", Fixture, &plain, fixture_setup, test_gather,
      fixture_teardown);
  g_test_add ("/ice/tcp/sdp/default-candidate-udp-first", Fixture, &plain, fixture_setup,
      test_sdp_default_candidate, fixture_teardown);
  g_test_add ("/ice/tcp/connect/a-controlling", Fixture, &plain, fixture_setup,
      test_connect_a_controlling, fixture_teardown);
  g_test_add ("/ice/tcp/connect/b-controlling", Fixture, &plain, fixture_setup,
      test_connect_b_controlling, fixture_teardown);
  g_test_add ("/ice/tcp/peer-closes/component-fails", Fixture, &plain, fixture_setup,
      test_peer_closes, fixture_teardown);
  g_test_add ("/ice/tcp/hostile/framing-dropped-and-counted", Fixture, &plain, fixture_setup,
      test_hostile, fixture_teardown);
  return g_test_run ();
}
