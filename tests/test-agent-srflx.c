/* test-agent-srflx.c: server-reflexive candidates of a BurrowAgent: a
 * STUN server on loopback (coturn) that sees the host address itself, and
 * a fake STUN server that answers as a NAT would
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The peers and their steps and checks are in agent-peers.c.
 */
#include "agent-peers.h"

static const FixtureOptions no_server = { FALSE };
/* coturn logs each Binding request ("handle_turn_binding") with --Verbose */
static const gchar * const extra_verbose[] = { "--Verbose", NULL };
static const FixtureOptions with_verbose_turn = { TRUE, extra_verbose };

/* ---- server-reflexive ---- */

static guint
count_type (Peer *p, guint s, guint c, BurrowCandidateType type)
{
  GSList *list = burrow_agent_get_local_candidates (p->agent, p->stream_ids[s], c);
  GSList *l;
  guint n = 0;

  for (l = list; l; l = l->next)
    if (burrow_candidate_get_candidate_type (l->data) == type)
      n++;
  g_slist_free_full (list, g_object_unref);
  return n;
}

static gboolean
turn_saw_bindings (gpointer data)
{
  Fixture *f = data;

  return burrow_test_turnserver_count_log (f->turn, "handle_turn_binding") >= 4;
}

/* On loopback the STUN server sees the host address itself: the
 * server-reflexive candidate would be the host one again, and RFC 8445
 * section 5.1.3 drops such a redundant candidate. So gathering waits for
 * the server's answer, ends, and lists the host candidate only. */
static void
test_srflx_same_as_host (Fixture *f, gconstpointer data)
{
  BurrowAgent *a = agent_new (BURROW_NOMINATION_MODE_AGGRESSIVE, TRUE);
  BurrowAgent *b = agent_new (BURROW_NOMINATION_MODE_AGGRESSIVE, FALSE);
  guint c;

  g_object_set (a, "stun-server", "127.0.0.1", "stun-server-port", (guint) f->turn->port, NULL);
  g_object_set (b, "stun-server", "127.0.0.1", "stun-server-port", (guint) f->turn->port, NULL);
  peers_setup (f, a, b, 1, 2);
  peer_attach_recv (&f->a);
  peer_attach_recv (&f->b);
  gather (f);
  for (c = 1; c <= 2; c++) {
    g_assert_cmpuint (count_type (&f->a, 0, c, BURROW_CANDIDATE_TYPE_HOST), ==, 1);
    g_assert_cmpuint (count_type (&f->a, 0, c, BURROW_CANDIDATE_TYPE_SERVER_REFLEXIVE), ==, 0);
    g_assert_cmpuint (count_type (&f->b, 0, c, BURROW_CANDIDATE_TYPE_HOST), ==, 1);
    g_assert_cmpuint (count_type (&f->b, 0, c, BURROW_CANDIDATE_TYPE_SERVER_REFLEXIVE), ==, 0);
  }
  /* nothing came after candidate-gathering-done either */
  g_assert_cmpuint (f->a.candidates_at_done[0], ==, 2);
  g_assert_cmpuint (f->a.new_candidates->len, ==, 2);
  g_assert_cmpuint (f->b.new_candidates->len, ==, 2);
  /* the server was asked: a Binding request per component and agent */
  g_assert_true (wait_until (turn_saw_bindings, f, 2000));
  connect_peers (f);
  assert_selected (&f->a, 0, 1, BURROW_CANDIDATE_TYPE_HOST);
  assert_selected (&f->a, 0, 2, BURROW_CANDIDATE_TYPE_HOST);
  send_expect (&f->a, 0, 2, "after stun");
}

/* A STUN server that answers every Binding request with the mapped
 * address it is given (the sender's port if it has none), as a NAT in
 * front of the agent would. */
typedef struct {
  GSocket *socket;
  GSource *source;
  guint16 port;
  guint requests;
  const gchar *mapped_ip;
  guint16 mapped_port;
} FakeStun;

static gboolean
fake_stun_cb (GSocket *socket, GIOCondition condition, gpointer data)
{
  FakeStun *stun = data;
  guint8 buffer[1500];
  g_autoptr(GSocketAddress) from = NULL;
  g_autoptr(BurrowStunMessage) request = NULL;
  g_autoptr(BurrowStunMessage) response = NULL;
  g_autoptr(GInetSocketAddress) mapped = NULL;
  g_autoptr(GBytes) wire = NULL;
  gssize n = g_socket_receive_from (socket, &from, (gchar *) buffer, sizeof buffer, NULL, NULL);

  if (n <= 0 || (request = burrow_stun_message_new_from_data (buffer, n, NULL)) == NULL)
    return G_SOURCE_CONTINUE;
  stun->requests++;
  response = burrow_stun_message_new_response (request, BURROW_STUN_CLASS_SUCCESS_RESPONSE);
  mapped = burrow_test_inet_address (stun->mapped_ip, stun->mapped_port ? stun->mapped_port :
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (from)));
  burrow_stun_message_add_address (response, BURROW_STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, mapped);
  wire = burrow_stun_message_serialize (response, BURROW_STUN_SIGN_FINGERPRINT, NULL, 0, NULL);
  g_assert_nonnull (wire);
  g_socket_send_to (socket, from, g_bytes_get_data (wire, NULL), g_bytes_get_size (wire), NULL,
      NULL);
  return G_SOURCE_CONTINUE;
}

static void
fake_stun_start (FakeStun *stun, const gchar *mapped_ip, guint16 mapped_port)
{
  stun->mapped_ip = mapped_ip;
  stun->mapped_port = mapped_port;
  stun->socket = burrow_test_udp_socket ("127.0.0.1", &stun->port);
  stun->source = g_socket_create_source (stun->socket, G_IO_IN, NULL);
  g_source_set_callback (stun->source, G_SOURCE_FUNC (fake_stun_cb), stun, NULL);
  g_source_attach (stun->source, NULL);
}

static void
fake_stun_stop (FakeStun *stun)
{
  g_source_destroy (stun->source);
  g_source_unref (stun->source);
  g_object_unref (stun->socket);
}

/* A gets a server-reflexive candidate at @mapped_ip (@mapped_port, or its
 * host port); the host pair still wins. */
static void
srflx_gathered (Fixture *f, const gchar *mapped_ip, guint16 mapped_port)
{
  BurrowAgent *a = agent_new (BURROW_NOMINATION_MODE_AGGRESSIVE, TRUE);
  BurrowAgent *b = agent_new (BURROW_NOMINATION_MODE_AGGRESSIVE, FALSE);
  FakeStun stun = { 0 };
  BurrowCandidate *srflx = NULL, *host = NULL;
  g_autofree gchar *ip = NULL;
  guint i;

  fake_stun_start (&stun, mapped_ip, mapped_port);
  g_object_set (a, "stun-server", "127.0.0.1", "stun-server-port", (guint) stun.port, NULL);
  peers_setup (f, a, b, 1, 1);
  peer_attach_recv (&f->a);
  peer_attach_recv (&f->b);
  gather (f);
  g_assert_cmpuint (stun.requests, >=, 1);
  /* host, then srflx, both announced before candidate-gathering-done */
  g_assert_cmpuint (f->a.candidates_at_done[0], ==, 2);
  g_assert_cmpuint (f->a.new_candidates->len, ==, 2);
  for (i = 0; i < f->a.new_candidates->len; i++) {
    BurrowCandidate *candidate = f->a.new_candidates->pdata[i];

    if (burrow_candidate_get_candidate_type (candidate) == BURROW_CANDIDATE_TYPE_SERVER_REFLEXIVE)
      srflx = candidate;
    else if (burrow_candidate_get_candidate_type (candidate) == BURROW_CANDIDATE_TYPE_HOST)
      host = candidate;
  }
  g_assert_nonnull (srflx);
  g_assert_nonnull (host);
  ip = burrow_candidate_get_ip (srflx);
  g_assert_cmpstr (ip, ==, mapped_ip);
  g_assert_cmpuint (burrow_candidate_get_port (srflx), ==,
      mapped_port ? mapped_port : burrow_candidate_get_port (host));
  /* its related address and base are the host candidate's */
  g_assert_nonnull (burrow_candidate_get_related_address (srflx));
  g_assert_cmpuint (g_inet_socket_address_get_port (burrow_candidate_get_related_address (srflx)),
      ==, burrow_candidate_get_port (host));
  g_assert_cmpuint (count_type (&f->a, 0, 1, BURROW_CANDIDATE_TYPE_SERVER_REFLEXIVE), ==, 1);
  g_assert_cmpuint (count_type (&f->a, 0, 1, BURROW_CANDIDATE_TYPE_HOST), ==, 1);

  /* the srflx candidate leads nowhere on loopback; the host pair wins */
  connect_peers (f);
  assert_selected (&f->a, 0, 1, BURROW_CANDIDATE_TYPE_HOST);
  send_expect (&f->b, 0, 1, "past the srflx");
  fake_stun_stop (&stun);
}

static void
test_srflx_distinct (Fixture *f, gconstpointer data)
{
  srflx_gathered (f, "127.0.0.2", 0);
}

/* RFC 8445 section 5.1.3: a candidate is redundant only if its transport
 * address (IP and port) and base equal another's; a NAT that keeps the IP
 * but changes the port gives a useful srflx candidate. */
static void
test_srflx_same_ip_other_port (Fixture *f, gconstpointer data)
{
  srflx_gathered (f, "127.0.0.1", burrow_test_free_udp_port (1));
}

#define ADD(path, options, func) \
  g_test_add (path, Fixture, options, fixture_setup, func, fixture_teardown)

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  ADD ("/ice/agent-srflx/same-as-host-dropped", &with_verbose_turn, test_srflx_same_as_host);
  ADD ("/ice/agent-srflx/distinct-gathered", &no_server, test_srflx_distinct);
  ADD ("/ice/agent-srflx/same-ip-other-port-gathered", &no_server,
      test_srflx_same_ip_other_port);

  return g_test_run ();
}
