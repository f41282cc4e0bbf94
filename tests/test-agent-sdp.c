/* test-agent-sdp.c: BurrowAgent's SDP, in libnice's format, generated after
 * real gathering on loopback, read back into a second agent, and refused
 * or bounded when hostile
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <burrow/burrow.h>

#include <string.h>

#include "burrow-test-util.h"

#define GATHER_TIMEOUT_MS 5000
#define CONNECT_TIMEOUT_MS 10000
#define N_MUTATIONS 3000
#define MUTATION_SEED 0x5d9f00d

/* What libnice 0.1.21's nice_agent_generate_local_sdp() wrote for an agent
 * with a stream of one component named "audio" and an unnamed stream of
 * two, after gathering on 127.0.0.1 (ice-tcp on, its default). */
static const gchar libnice_sdp[] =
    "m=audio 57969 ICE/SDP\n"
    "c=IN IP4 127.0.0.1\n"
    "a=ice-ufrag:W8GQ\n"
    "a=ice-pwd:jQh4Ntqait4LKn9VyZS0fC\n"
    "a=candidate:1 1 UDP 2015364095 127.0.0.1 55539 typ host\n"
    "a=candidate:2 1 TCP 1015022591 127.0.0.1 9 typ host tcptype active\n"
    "a=candidate:3 1 TCP 1010828287 127.0.0.1 57969 typ host tcptype passive\n"
    "m=- 36229 ICE/SDP\n"
    "c=IN IP4 127.0.0.1\n"
    "a=rtcp:53901\n"
    "a=ice-ufrag:l7BV\n"
    "a=ice-pwd:10a3vthC/FQf4DQyEQW8a1\n"
    "a=candidate:1 1 UDP 2015364095 127.0.0.1 51072 typ host\n"
    "a=candidate:2 1 TCP 1015022591 127.0.0.1 9 typ host tcptype active\n"
    "a=candidate:3 1 TCP 1010828287 127.0.0.1 36229 typ host tcptype passive\n"
    "a=candidate:1 2 UDP 2015364094 127.0.0.1 55688 typ host\n"
    "a=candidate:2 2 TCP 1015022590 127.0.0.1 9 typ host tcptype active\n"
    "a=candidate:3 2 TCP 1010828286 127.0.0.1 53901 typ host tcptype passive\n";

/* A valid section for one stream of one component, for hostile variants */
#define UFRAG "Abcd"
#define PWD "0123456789abcdefghij+/"
#define CANDIDATE_1 "a=candidate:1 1 UDP 2130706431 127.0.0.1 40001 typ host"

typedef struct {
  GMainContext *context;
  BurrowAgent *agent;           /* streams 1 (one component, "audio") and 2 (two) */
  guint stream[2];
  guint gathered;
} Fixture;

static void
gathering_done_cb (BurrowAgent *agent, guint stream_id, gpointer user_data)
{
  guint *gathered = user_data;

  (*gathered)++;
}

static BurrowAgent *
new_agent (guint *stream, gboolean controlling)
{
  BurrowAgent *agent = burrow_agent_new (g_main_context_get_thread_default (),
      BURROW_COMPATIBILITY_RFC5245);

  g_object_set (agent, "controlling-mode", controlling, NULL);
  stream[0] = burrow_agent_add_stream (agent, 1);
  stream[1] = burrow_agent_add_stream (agent, 2);
  g_assert_cmpuint (stream[0], !=, 0);
  g_assert_cmpuint (stream[1], !=, 0);
  return agent;
}

/* Adds 127.0.0.1, gathers both streams and runs the context until both
 * are done, within GATHER_TIMEOUT_MS. */
static void
gather (BurrowAgent *agent, const guint *stream, guint *gathered)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_from_string ("127.0.0.1");
  GMainContext *context = g_main_context_get_thread_default ();
  gint64 deadline = g_get_monotonic_time () + GATHER_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;
  gulong handler;

  g_assert_true (burrow_agent_add_local_address (agent, loopback));
  *gathered = 0;
  handler = g_signal_connect (agent, "candidate-gathering-done",
      G_CALLBACK (gathering_done_cb), gathered);
  g_assert_true (burrow_agent_gather_candidates (agent, stream[0]));
  g_assert_true (burrow_agent_gather_candidates (agent, stream[1]));
  while (*gathered < 2 && g_get_monotonic_time () < deadline) {
    if (!g_main_context_iteration (context, FALSE))
      g_usleep (1000);
  }
  g_signal_handler_disconnect (agent, handler);
  g_assert_cmpuint (*gathered, ==, 2);
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->context = g_main_context_new ();
  g_main_context_push_thread_default (f->context);
  f->agent = new_agent (f->stream, TRUE);
  g_assert_true (burrow_agent_set_stream_name (f->agent, f->stream[0], "audio"));
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->agent);
  while (g_main_context_iteration (f->context, FALSE))
    ;
  g_main_context_pop_thread_default (f->context);
  g_main_context_unref (f->context);
}

static GSList *
local_candidates (BurrowAgent *agent, guint stream_id, guint component_id)
{
  GSList *list = burrow_agent_get_local_candidates (agent, stream_id, component_id);

  g_assert_nonnull (list);
  return list;
}

/* The candidate libnice puts in "m=" and "c=": the IPv4 one of lowest
 * priority, the first of equals */
static BurrowCandidate *
default_of (GSList *candidates)
{
  BurrowCandidate *best = NULL;

  for (; candidates != NULL; candidates = candidates->next) {
    GInetSocketAddress *a = burrow_candidate_get_address (candidates->data);

    if (g_inet_address_get_family (g_inet_socket_address_get_address (a)) !=
        G_SOCKET_FAMILY_IPV4)
      continue;
    if (best == NULL ||
        burrow_candidate_get_priority (candidates->data) < burrow_candidate_get_priority (best))
      best = candidates->data;
  }
  return best;
}

/* The section libnice writes for a stream, built here from the public API */
static void
append_expected_stream (GString *sdp, BurrowAgent *agent, guint stream_id, guint n_components,
    gboolean include_non_ice)
{
  g_autofree gchar *ufrag = NULL;
  g_autofree gchar *pwd = NULL;
  guint c;

  if (include_non_ice) {
    g_autoptr(GSList) rtp = local_candidates (agent, stream_id, 1);
    BurrowCandidate *def = default_of (rtp);
    g_autofree gchar *ip = burrow_candidate_get_ip (def);
    const gchar *name = burrow_agent_get_stream_name (agent, stream_id);

    g_string_append_printf (sdp, "m=%s %u ICE/SDP\nc=IN IP4 %s\n", name ? name : "-",
        burrow_candidate_get_port (def), ip);
    if (n_components > 1) {
      g_autoptr(GSList) rtcp = local_candidates (agent, stream_id, 2);
      GSList *l;

      for (l = rtcp; l != NULL; l = l->next) {
        if (g_strcmp0 (burrow_candidate_get_foundation (l->data),
                burrow_candidate_get_foundation (def)) == 0) {
          g_string_append_printf (sdp, "a=rtcp:%u\n", burrow_candidate_get_port (l->data));
          break;
        }
      }
      g_slist_free_full (g_steal_pointer (&rtcp), g_object_unref);
    }
    g_slist_free_full (g_steal_pointer (&rtp), g_object_unref);
  }
  g_assert_true (burrow_agent_get_local_credentials (agent, stream_id, &ufrag, &pwd));
  g_string_append_printf (sdp, "a=ice-ufrag:%s\na=ice-pwd:%s\n", ufrag, pwd);
  for (c = 1; c <= n_components; c++) {
    g_autoptr(GSList) list = local_candidates (agent, stream_id, c);
    GSList *l;

    for (l = list; l != NULL; l = l->next) {
      g_autofree gchar *line = burrow_agent_generate_local_candidate_sdp (agent, l->data);

      g_string_append_printf (sdp, "%s\n", line);
    }
    g_slist_free_full (g_steal_pointer (&list), g_object_unref);
  }
}

static void
test_generate_before_gathering (Fixture *f, gconstpointer data)
{
  g_autofree gchar *sdp = burrow_agent_generate_local_sdp (f->agent);
  g_autofree gchar *ufrag1 = NULL, *pwd1 = NULL, *ufrag2 = NULL, *pwd2 = NULL;
  g_autofree gchar *expected = NULL;
  g_autoptr(BurrowAgent) empty = burrow_agent_new (f->context, BURROW_COMPATIBILITY_RFC5245);
  g_autofree gchar *empty_sdp = burrow_agent_generate_local_sdp (empty);

  g_assert_true (burrow_agent_get_local_credentials (f->agent, f->stream[0], &ufrag1, &pwd1));
  g_assert_true (burrow_agent_get_local_credentials (f->agent, f->stream[1], &ufrag2, &pwd2));
  expected = g_strdup_printf ("m=audio 0 ICE/SDP\nc=IN IP4 0.0.0.0\n"
      "a=ice-ufrag:%s\na=ice-pwd:%s\n"
      "m=- 0 ICE/SDP\nc=IN IP4 0.0.0.0\n"
      "a=ice-ufrag:%s\na=ice-pwd:%s\n", ufrag1, pwd1, ufrag2, pwd2);
  g_assert_cmpstr (sdp, ==, expected);
  g_assert_cmpstr (empty_sdp, ==, "");
  g_assert_null (burrow_agent_generate_local_stream_sdp (f->agent, 99, TRUE));
}

static void
test_generate_libnice_format (Fixture *f, gconstpointer data)
{
  g_autoptr(GString) expected = g_string_new (NULL);
  g_autoptr(GString) stream2 = g_string_new (NULL);
  g_autoptr(GString) stream2_ice = g_string_new (NULL);
  g_autofree gchar *sdp = NULL;
  g_autofree gchar *sdp2 = NULL;
  g_autofree gchar *sdp2_ice = NULL;

  gather (f->agent, f->stream, &f->gathered);
  append_expected_stream (expected, f->agent, f->stream[0], 1, TRUE);
  append_expected_stream (expected, f->agent, f->stream[1], 2, TRUE);
  append_expected_stream (stream2, f->agent, f->stream[1], 2, TRUE);
  append_expected_stream (stream2_ice, f->agent, f->stream[1], 2, FALSE);

  sdp = burrow_agent_generate_local_sdp (f->agent);
  g_test_message ("generated:\n%s", sdp);
  g_assert_cmpstr (sdp, ==, expected->str);
  g_assert_true (g_str_has_prefix (sdp, "m=audio "));
  g_assert_nonnull (strstr (sdp, "\nm=- "));
  g_assert_nonnull (strstr (sdp, "\nc=IN IP4 127.0.0.1\na=rtcp:"));
  g_assert_null (strchr (sdp, '\r'));

  sdp2 = burrow_agent_generate_local_stream_sdp (f->agent, f->stream[1], TRUE);
  sdp2_ice = burrow_agent_generate_local_stream_sdp (f->agent, f->stream[1], FALSE);
  g_assert_cmpstr (sdp2, ==, stream2->str);
  g_assert_cmpstr (sdp2_ice, ==, stream2_ice->str);
  g_assert_true (g_str_has_prefix (sdp2_ice, "a=ice-ufrag:"));
}

static void
assert_same_candidates (GSList *a, GSList *b)
{
  g_assert_cmpuint (g_slist_length (a), ==, g_slist_length (b));
  for (; a != NULL; a = a->next, b = b->next) {
    g_autofree gchar *la = burrow_candidate_to_sdp (a->data);
    g_autofree gchar *lb = burrow_candidate_to_sdp (b->data);

    g_assert_cmpstr (la, ==, lb);
    g_assert_true (burrow_candidate_equal_target (a->data, b->data));
  }
}

static void
test_round_trip_candidates (Fixture *f, gconstpointer data)
{
  guint peer_stream[2];
  g_autoptr(BurrowAgent) peer = new_agent (peer_stream, FALSE);
  g_autofree gchar *sdp = NULL;
  guint n_local = 0, s, c;

  gather (f->agent, f->stream, &f->gathered);
  sdp = burrow_agent_generate_local_sdp (f->agent);
  for (s = 0; s < 2; s++) {
    for (c = 1; c <= s + 1; c++) {
      g_autoptr(GSList) local = local_candidates (f->agent, f->stream[s], c);

      n_local += g_slist_length (local);
      g_slist_free_full (g_steal_pointer (&local), g_object_unref);
    }
  }

  /* media names do not matter: sections go to streams in order */
  g_assert_cmpint (burrow_agent_parse_remote_sdp (peer, sdp), ==, n_local);
  for (s = 0; s < 2; s++) {
    for (c = 1; c <= s + 1; c++) {
      g_autoptr(GSList) local = local_candidates (f->agent, f->stream[s], c);
      g_autoptr(GSList) remote = burrow_agent_get_remote_candidates (peer, peer_stream[s], c);
      GSList *l;

      assert_same_candidates (local, remote);
      for (l = remote; l != NULL; l = l->next)
        g_assert_cmpuint (burrow_candidate_get_stream_id (l->data), ==, peer_stream[s]);
      g_slist_free_full (g_steal_pointer (&local), g_object_unref);
      g_slist_free_full (g_steal_pointer (&remote), g_object_unref);
    }
  }
  /* the same again adds nothing new */
  g_assert_cmpint (burrow_agent_parse_remote_sdp (peer, sdp), ==, 0);
}

static void
test_round_trip_stream_sdp (Fixture *f, gconstpointer data)
{
  g_autofree gchar *sdp = NULL;
  g_autofree gchar *crlf = NULL;
  g_autofree gchar *ufrag = NULL, *pwd = NULL, *local_ufrag = NULL, *local_pwd = NULL;
  g_autoptr(GSList) local = NULL;
  GSList *parsed, *l;
  guint c;

  gather (f->agent, f->stream, &f->gathered);
  sdp = burrow_agent_generate_local_stream_sdp (f->agent, f->stream[1], FALSE);
  g_assert_true (burrow_agent_get_local_credentials (f->agent, f->stream[1], &local_ufrag,
      &local_pwd));
  for (c = 1; c <= 2; c++)
    local = g_slist_concat (local, local_candidates (f->agent, f->stream[1], c));

  /* into stream 1, which gives the candidates their stream id */
  parsed = burrow_agent_parse_remote_stream_sdp (f->agent, f->stream[0], sdp, &ufrag, &pwd);
  g_assert_cmpstr (ufrag, ==, local_ufrag);
  g_assert_cmpstr (pwd, ==, local_pwd);
  assert_same_candidates (local, parsed);
  for (l = parsed; l != NULL; l = l->next)
    g_assert_cmpuint (burrow_candidate_get_stream_id (l->data), ==, f->stream[0]);
  g_slist_free_full (parsed, g_object_unref);
  g_clear_pointer (&ufrag, g_free);
  g_clear_pointer (&pwd, g_free);

  /* CRLF line ends, and no out arguments */
  {
    g_autoptr(GString) s = g_string_new (sdp);

    g_string_replace (s, "\n", "\r\n", 0);
    crlf = g_string_free (g_steal_pointer (&s), FALSE);
  }
  parsed = burrow_agent_parse_remote_stream_sdp (f->agent, f->stream[0], crlf, NULL, NULL);
  assert_same_candidates (local, parsed);
  g_slist_free_full (parsed, g_object_unref);

  /* a stream that does not exist; out arguments are reset, not freed */
  {
    gchar *stale_ufrag = (gchar *) "stale", *stale_pwd = (gchar *) "stale";

    g_assert_null (burrow_agent_parse_remote_stream_sdp (f->agent, 99, sdp, &stale_ufrag,
        &stale_pwd));
    g_assert_null (stale_ufrag);
    g_assert_null (stale_pwd);
  }
  g_slist_free_full (g_steal_pointer (&local), g_object_unref);
}

static void
test_round_trip_candidate_line (Fixture *f, gconstpointer data)
{
  g_autoptr(GSList) local = NULL;
  GSList *l;

  gather (f->agent, f->stream, &f->gathered);
  local = local_candidates (f->agent, f->stream[1], 2);
  for (l = local; l != NULL; l = l->next) {
    g_autofree gchar *line = burrow_agent_generate_local_candidate_sdp (f->agent, l->data);
    g_autoptr(BurrowCandidate) back = burrow_agent_parse_remote_candidate_sdp (f->agent, 7, line);
    g_autofree gchar *again = NULL;

    g_assert_true (g_str_has_prefix (line, "a=candidate:"));
    g_assert_null (strchr (line, '\n'));
    g_assert_nonnull (back);
    g_assert_cmpuint (burrow_candidate_get_stream_id (back), ==, 7);
    g_assert_cmpuint (burrow_candidate_get_component_id (back), ==, 2);
    again = burrow_agent_generate_local_candidate_sdp (f->agent, back);
    g_assert_cmpstr (again, ==, line);
  }
  g_slist_free_full (g_steal_pointer (&local), g_object_unref);
  g_assert_null (burrow_agent_parse_remote_candidate_sdp (f->agent, 1, "a=candidate:bad"));
  g_assert_null (burrow_agent_parse_remote_candidate_sdp (f->agent, 1, "a=ice-ufrag:abcd"));
}

static void
component_state_cb (BurrowAgent *agent, guint stream_id, guint component_id, guint state,
    gpointer user_data)
{
  guint *n_ready = user_data;

  if (state == BURROW_COMPONENT_STATE_READY)
    (*n_ready)++;
}

/* The strongest round trip: two agents that exchanged only SDP connect,
 * which needs both sides' credentials and candidates to have arrived */
static void
test_round_trip_agents_connect (Fixture *f, gconstpointer data)
{
  guint peer_stream[2], peer_gathered = 0;
  g_autoptr(BurrowAgent) peer = new_agent (peer_stream, FALSE);
  g_autofree gchar *offer = NULL, *answer = NULL;
  guint n_ready = 0;
  gint64 deadline;

  gather (f->agent, f->stream, &f->gathered);
  gather (peer, peer_stream, &peer_gathered);
  g_signal_connect (f->agent, "component-state-changed", G_CALLBACK (component_state_cb),
      &n_ready);
  g_signal_connect (peer, "component-state-changed", G_CALLBACK (component_state_cb),
      &n_ready);

  offer = burrow_agent_generate_local_sdp (f->agent);
  answer = burrow_agent_generate_local_sdp (peer);
  g_assert_cmpint (burrow_agent_parse_remote_sdp (peer, offer), >, 0);
  g_assert_cmpint (burrow_agent_parse_remote_sdp (f->agent, answer), >, 0);

  /* three components on each side */
  deadline = g_get_monotonic_time () + CONNECT_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;
  while (n_ready < 6 && g_get_monotonic_time () < deadline) {
    if (!g_main_context_iteration (f->context, FALSE))
      g_usleep (1000);
  }
  g_assert_cmpuint (n_ready, ==, 6);
  g_assert_cmpint (burrow_agent_get_component_state (f->agent, f->stream[1], 2), ==,
      BURROW_COMPONENT_STATE_READY);
  g_assert_cmpint (burrow_agent_get_component_state (peer, peer_stream[1], 2), ==,
      BURROW_COMPONENT_STATE_READY);
  g_signal_handlers_disconnect_by_data (f->agent, &n_ready);
  g_signal_handlers_disconnect_by_data (peer, &n_ready);
}

static guint
count_remote (BurrowAgent *agent, guint stream_id, guint component_id)
{
  g_autoptr(GSList) list = burrow_agent_get_remote_candidates (agent, stream_id, component_id);
  guint n = g_slist_length (list);

  g_slist_free_full (g_steal_pointer (&list), g_object_unref);
  return n;
}

static void
test_parse_libnice_output (Fixture *f, gconstpointer data)
{
  g_autofree gchar *ufrag = NULL, *pwd = NULL;
  GSList *parsed;
  gint n;

  /* UDP and TCP active and passive candidates are all taken */
  n = burrow_agent_parse_remote_sdp (f->agent, libnice_sdp);
  g_assert_cmpint (n, ==, count_remote (f->agent, f->stream[0], 1) +
      count_remote (f->agent, f->stream[1], 1) + count_remote (f->agent, f->stream[1], 2));
  g_assert_cmpint (n, >=, 3);

  parsed = burrow_agent_parse_remote_stream_sdp (f->agent, f->stream[1], libnice_sdp, &ufrag,
      &pwd);
  /* every line is read, whatever the m= lines; the last credentials win */
  g_assert_cmpuint (g_slist_length (parsed), ==, 9);
  g_assert_cmpstr (ufrag, ==, "l7BV");
  g_assert_cmpstr (pwd, ==, "10a3vthC/FQf4DQyEQW8a1");
  g_assert_cmpuint (burrow_candidate_get_port (parsed->data), ==, 55539);
  g_assert_cmpint (burrow_candidate_get_transport (g_slist_nth_data (parsed, 2)), ==,
      BURROW_CANDIDATE_TRANSPORT_TCP_PASSIVE);
  g_slist_free_full (parsed, g_object_unref);
}

/* A fresh agent with streams of 1 and 2 components, and what parsing @sdp
 * into it returns */
static gint
parse_fresh (const gchar *sdp, BurrowAgent **out, guint *stream)
{
  BurrowAgent *agent = new_agent (stream, FALSE);
  gint n = burrow_agent_parse_remote_sdp (agent, sdp);

  if (out != NULL)
    *out = agent;
  else
    g_object_unref (agent);
  return n;
}

static void
test_parse_failures_as_libnice (Fixture *f, gconstpointer data)
{
  const gchar *section = "m=audio 1 ICE/SDP\na=ice-ufrag:" UFRAG "\na=ice-pwd:" PWD "\n"
      CANDIDATE_1 "\n";
  g_autofree gchar *bad_line = g_strconcat (section, "a=candidate:bad\n", NULL);
  g_autofree gchar *three = g_strconcat (section, "m=a\nm=b\n", NULL);
  g_autoptr(BurrowAgent) agent = NULL;
  guint stream[2];

  g_assert_cmpint (parse_fresh ("", NULL, stream), ==, 0);
  g_assert_cmpint (parse_fresh ("v=0\ns=-\nt=0 0\n", NULL, stream), ==, 0);
  g_assert_cmpint (parse_fresh (section, NULL, stream), ==, 1);
  /* ICE attributes before the first m= line */
  g_assert_cmpint (parse_fresh ("a=ice-ufrag:" UFRAG "\n", NULL, stream), ==, -1);
  g_assert_cmpint (parse_fresh (CANDIDATE_1 "\n", NULL, stream), ==, -1);
  /* more media sections than streams: what came before stays set */
  g_assert_cmpint (parse_fresh (three, &agent, stream), ==, -1);
  g_assert_cmpuint (count_remote (agent, stream[0], 1), ==, 1);
  g_clear_object (&agent);
  /* a bad candidate line: the candidates before it stay */
  g_assert_cmpint (parse_fresh (bad_line, &agent, stream), ==, -1);
  g_assert_cmpuint (count_remote (agent, stream[0], 1), ==, 1);
  g_clear_object (&agent);
  /* a component the stream does not have */
  g_assert_cmpint (parse_fresh ("m=x\n" "a=candidate:1 2 UDP 1 127.0.0.1 1 typ host\n", NULL,
      stream), ==, -1);
  /* credentials the agent refuses: too short, empty, not ASCII */
  g_assert_cmpint (parse_fresh ("m=x\na=ice-ufrag:ab\na=ice-pwd:" PWD "\n", NULL, stream), ==,
      -1);
  g_assert_cmpint (parse_fresh ("m=x\na=ice-ufrag:\n", NULL, stream), ==, -1);
  g_assert_cmpint (parse_fresh ("m=x\na=ice-ufrag:\xc3\xa9t\xc3\xa9t\xc3\xa9\n", NULL, stream),
      ==, -1);
  /* trailing blanks and CR are dropped */
  g_assert_cmpint (parse_fresh ("m=x \r\na=ice-ufrag:" UFRAG " \t\r\na=ice-pwd:" PWD "\r\n"
      CANDIDATE_1 " \r\n", NULL, stream), ==, 1);
  /* a ufrag without a password is not set, and is no error */
  g_assert_cmpint (parse_fresh ("m=x\na=ice-ufrag:" UFRAG "\n", NULL, stream), ==, 0);
}

static void
test_parse_hostile_bounds (Fixture *f, gconstpointer data)
{
  g_autoptr(GString) many = g_string_new ("m=x\na=ice-ufrag:" UFRAG "\na=ice-pwd:");
  g_autoptr(GString) lines = g_string_new ("m=x\n" CANDIDATE_1 "\n");
  g_autoptr(GString) huge = g_string_new ("m=x\n" CANDIDATE_1 "\na=x:");
  g_autoptr(BurrowAgent) agent = NULL;
  g_autofree gchar *ufrag = NULL, *pwd = NULL;
  GSList *parsed;
  guint stream[2], i;

  /* a 300-character password is cut to 256, which the agent takes */
  for (i = 0; i < 300; i++)
    g_string_append_c (many, 'p');
  g_string_append_c (many, '\n');
  for (i = 0; i < 150; i++)
    g_string_append_printf (many, "a=candidate:%u 1 UDP %u 127.0.0.1 %u typ host\n", i, i + 1,
        i + 20000);
  g_assert_cmpint (parse_fresh (many->str, &agent, stream), ==, 100);
  g_assert_cmpuint (count_remote (agent, stream[0], 1), ==, 100);
  parsed = burrow_agent_parse_remote_stream_sdp (agent, stream[0], many->str, &ufrag, &pwd);
  g_assert_cmpuint (g_slist_length (parsed), ==, 100);
  g_assert_cmpuint (strlen (pwd), ==, 256);
  g_slist_free_full (parsed, g_object_unref);
  g_clear_object (&agent);

  /* over 4096 lines, or over 256 KiB: refused before anything is set */
  for (i = 0; i < 5000; i++)
    g_string_append (lines, "a=x\n");
  g_assert_cmpint (parse_fresh (lines->str, &agent, stream), ==, -1);
  g_assert_cmpuint (count_remote (agent, stream[0], 1), ==, 0);
  g_assert_null (burrow_agent_parse_remote_stream_sdp (agent, stream[0], lines->str, NULL,
      NULL));
  g_clear_object (&agent);
  for (i = 0; i < 300 * 1024; i++)
    g_string_append_c (huge, 'x');
  g_assert_cmpint (parse_fresh (huge->str, &agent, stream), ==, -1);
  g_assert_cmpuint (count_remote (agent, stream[0], 1), ==, 0);
  g_clear_object (&agent);

  /* bad candidate lines in a stream's SDP are skipped, not fatal */
  parsed = burrow_agent_parse_remote_stream_sdp (f->agent, f->stream[0],
      "a=candidate:bad\n" CANDIDATE_1 "\na=candidate:1 1 UDP 1 host.local 9 typ host\n"
      "a=candidate:\na=candidate:2 1 UDP 1 127.0.0.1 40002 typ host\n", NULL, NULL);
  g_assert_cmpuint (g_slist_length (parsed), ==, 2);
  g_slist_free_full (parsed, g_object_unref);
}

/* Random byte changes to a valid SDP: no crash, no critical, bounded
 * results */
static void
test_parse_mutations (Fixture *f, gconstpointer data)
{
  static const gchar alphabet[] = "am=:\n\r 0123456789.abcdefghijklmnopqrstuvwxyz/+-\xff";
  g_autoptr(GRand) rand = g_rand_new_with_seed (MUTATION_SEED);
  guint i;

  for (i = 0; i < N_MUTATIONS; i++) {
    g_autofree gchar *sdp = g_strdup (libnice_sdp);
    gsize len = strlen (sdp);
    guint k, n_changes = g_rand_int_range (rand, 1, 8);
    gint n;
    GSList *parsed;

    for (k = 0; k < n_changes; k++)
      sdp[g_rand_int_range (rand, 0, len)] =
          alphabet[g_rand_int_range (rand, 0, sizeof alphabet - 1)];
    n = parse_fresh (sdp, NULL, (guint[2]) { 0, });
    g_assert_cmpint (n, >=, -1);
    g_assert_cmpint (n, <=, 9);
    parsed = burrow_agent_parse_remote_stream_sdp (f->agent, f->stream[0], sdp, NULL, NULL);
    g_assert_cmpuint (g_slist_length (parsed), <=, 9);
    g_slist_free_full (parsed, g_object_unref);
  }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/ice/sdp/generate/before-gathering-no-default-candidate",
      test_generate_before_gathering);
  ADD ("/ice/sdp/generate/libnice-format-after-gathering", test_generate_libnice_format);
  ADD ("/ice/sdp/round-trip/candidates-into-streams-in-order", test_round_trip_candidates);
  ADD ("/ice/sdp/round-trip/stream-sdp-credentials-and-candidates",
      test_round_trip_stream_sdp);
  ADD ("/ice/sdp/round-trip/candidate-line", test_round_trip_candidate_line);
  ADD ("/ice/sdp/round-trip/agents-connect", test_round_trip_agents_connect);
  ADD ("/ice/sdp/parse/reads-libnice-output", test_parse_libnice_output);
  ADD ("/ice/sdp/parse/fails-where-libnice-fails", test_parse_failures_as_libnice);
  ADD ("/ice/sdp/parse/bounds-hostile-sdp", test_parse_hostile_bounds);
  ADD ("/ice/sdp/parse/survives-random-mutations", test_parse_mutations);
#undef ADD

  return g_test_run ();
}
