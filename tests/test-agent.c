/* test-agent.c: two BurrowAgents in one process over loopback: host,
 * server-reflexive and relayed candidates, SDP, trickle ICE, restart, role
 * conflicts, nomination modes, frozen pairs, several streams and
 * components
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Faults, floods and load (forged and hostile input, 10 000 remote
 * candidates, 10 000 datagrams, recv_messages from a thread) are in
 * test-agent-faults.c.
 */
#include "burrow-test-util.h"

#include <string.h>

#define MAX_STREAMS 2
#define MAX_COMPONENTS 2
#define GATHER_TIMEOUT_MS 5000
#define CONNECT_TIMEOUT_MS 10000
#define DATA_TIMEOUT_MS 2000

typedef struct _Peer Peer;

/* What one component of a peer received through attach_recv. */
typedef struct {
  Peer *peer;
  guint stream_index;
  guint component_id;
  GPtrArray *datagrams;           /* GBytes */
  guint wrong_ids;                /* calls naming another stream or component */
} Slot;

struct _Peer {
  const gchar *name;
  BurrowAgent *agent;
  Peer *other;
  guint n_streams;
  guint n_components;
  guint stream_ids[MAX_STREAMS];
  gboolean gathered[MAX_STREAMS];
  guint candidates_at_done[MAX_STREAMS];  /* new-candidate-full seen by candidate-gathering-done */
  GArray *states[MAX_STREAMS][MAX_COMPONENTS];   /* guint: the initial one, then each change */
  guint selected_signals[MAX_STREAMS][MAX_COMPONENTS];
  BurrowCandidate *signalled_local[MAX_STREAMS][MAX_COMPONENTS];
  BurrowCandidate *signalled_remote[MAX_STREAMS][MAX_COMPONENTS];
  Slot slots[MAX_STREAMS][MAX_COMPONENTS];
  GPtrArray *new_candidates;      /* BurrowCandidate, from new-candidate-full */
  gboolean trickle;               /* hand each new candidate to the other peer at once */
  guint trickled;
};

typedef struct {
  gboolean turn;                  /* start a coturn for the test */
  const gchar * const *turn_args; /* and give it these arguments */
} FixtureOptions;

typedef struct {
  Peer a, b;
  BurrowTestTurnServer *turn;
} Fixture;

static const FixtureOptions no_server = { FALSE };
static const FixtureOptions with_turn = { TRUE, NULL };
/* coturn logs each Binding request ("handle_turn_binding") with --Verbose */
static const gchar * const extra_verbose[] = { "--Verbose", NULL };
static const FixtureOptions with_verbose_turn = { TRUE, extra_verbose };

/* ---- waiting, always bounded ---- */

typedef gboolean (*CondFunc) (gpointer data);

static gboolean
timeout_flag_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the thread-default context until @cond holds or @timeout_ms
 * pass; returns whether it holds. */
static gboolean
wait_until (CondFunc cond, gpointer data, guint timeout_ms)
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

/* ---- peers ---- */

static guint
stream_index (Peer *p, guint stream_id)
{
  guint i;

  for (i = 0; i < p->n_streams; i++)
    if (p->stream_ids[i] == stream_id)
      return i;
  g_error ("%s: no stream %u", p->name, stream_id);
  return 0;
}

static gboolean
peer_ready (Peer *p)
{
  guint s, c;

  for (s = 0; s < p->n_streams; s++)
    for (c = 1; c <= p->n_components; c++)
      if (burrow_agent_get_component_state (p->agent, p->stream_ids[s], c) !=
          BURROW_COMPONENT_STATE_READY)
        return FALSE;
  return TRUE;
}

static gboolean
peers_ready (gpointer data)
{
  Fixture *f = data;

  return peer_ready (&f->a) && peer_ready (&f->b);
}

static gboolean
peers_gathered (gpointer data)
{
  Fixture *f = data;
  guint s;

  for (s = 0; s < f->a.n_streams; s++)
    if (!f->a.gathered[s])
      return FALSE;
  for (s = 0; s < f->b.n_streams; s++)
    if (!f->b.gathered[s])
      return FALSE;
  return TRUE;
}

static gchar *
state_sequence (Peer *p, guint s, guint c)
{
  GArray *states = p->states[s][c - 1];
  GString *text = g_string_new (NULL);
  guint i;

  for (i = 0; i < states->len; i++) {
    g_autoptr(GEnumClass) klass = g_type_class_ref (BURROW_TYPE_COMPONENT_STATE);
    GEnumValue *value = g_enum_get_value (klass, g_array_index (states, guint, i));

    g_string_append_printf (text, "%s%s", i ? " " : "", value ? value->value_nick : "?");
  }
  return g_string_free (text, FALSE);
}

static void
gathering_done_cb (BurrowAgent *agent, guint stream_id, Peer *p)
{
  guint s = stream_index (p, stream_id);

  g_assert_false (p->gathered[s]);
  p->gathered[s] = TRUE;
  p->candidates_at_done[s] = p->new_candidates->len;
  /* trickle ICE's end-of-candidates */
  if (p->trickle)
    g_assert_true (burrow_agent_peer_candidate_gathering_done (p->other->agent,
        p->other->stream_ids[s]));
}

static void
state_changed_cb (BurrowAgent *agent, guint stream_id, guint component_id, guint state, Peer *p)
{
  g_assert_cmpuint (component_id, >=, 1);
  g_assert_cmpuint (component_id, <=, p->n_components);
  g_array_append_val (p->states[stream_index (p, stream_id)][component_id - 1], state);
}

static void
selected_pair_cb (BurrowAgent *agent, guint stream_id, guint component_id,
    BurrowCandidate *local, BurrowCandidate *remote, Peer *p)
{
  guint s = stream_index (p, stream_id);

  g_assert_true (BURROW_IS_CANDIDATE (local));
  g_assert_true (BURROW_IS_CANDIDATE (remote));
  p->selected_signals[s][component_id - 1]++;
  g_clear_object (&p->signalled_local[s][component_id - 1]);
  g_clear_object (&p->signalled_remote[s][component_id - 1]);
  p->signalled_local[s][component_id - 1] = burrow_candidate_copy (local);
  p->signalled_remote[s][component_id - 1] = burrow_candidate_copy (remote);
}

/* Trickle ICE: the candidate goes to the other peer as an SDP line, as a
 * signalling channel would carry it. */
static void
trickle_candidate (Peer *p, BurrowCandidate *candidate)
{
  Peer *o = p->other;
  guint s = stream_index (p, burrow_candidate_get_stream_id (candidate));
  g_autofree gchar *line = burrow_agent_generate_local_candidate_sdp (p->agent, candidate);
  g_autoptr(BurrowCandidate) parsed = NULL;
  GSList one = { NULL, NULL };

  g_assert_nonnull (line);
  parsed = burrow_agent_parse_remote_candidate_sdp (o->agent, o->stream_ids[s], line);
  g_assert_nonnull (parsed);
  one.data = parsed;
  g_assert_cmpint (burrow_agent_set_remote_candidates (o->agent, o->stream_ids[s],
      burrow_candidate_get_component_id (parsed), &one), >=, 0);
  p->trickled++;
}

static void
new_candidate_cb (BurrowAgent *agent, BurrowCandidate *candidate, Peer *p)
{
  g_ptr_array_add (p->new_candidates, burrow_candidate_copy (candidate));
  if (p->trickle)
    trickle_candidate (p, candidate);
}

static void
recv_cb (BurrowAgent *agent, guint stream_id, guint component_id, guint len,
    const guint8 *buf, gpointer data)
{
  Slot *slot = data;

  if (stream_id != slot->peer->stream_ids[slot->stream_index] ||
      component_id != slot->component_id)
    slot->wrong_ids++;
  g_ptr_array_add (slot->datagrams, g_bytes_new (buf, len));
}

static BurrowAgent *
agent_new (BurrowNominationMode mode, gboolean controlling)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_from_string ("127.0.0.1");
  BurrowAgent *agent = g_object_new (BURROW_TYPE_AGENT, "nomination-mode", mode,
      "controlling-mode", controlling, NULL);

  g_assert_true (burrow_agent_add_local_address (agent, loopback));
  return agent;
}

/* Takes @agent; adds the streams and records what the agent says. */
static void
peer_setup (Peer *p, Peer *other, const gchar *name, BurrowAgent *agent, guint n_streams,
    guint n_components)
{
  guint s, c;

  g_assert_cmpuint (n_streams, <=, MAX_STREAMS);
  g_assert_cmpuint (n_components, <=, MAX_COMPONENTS);
  p->name = name;
  p->agent = agent;
  p->other = other;
  p->n_streams = n_streams;
  p->n_components = n_components;
  p->new_candidates = g_ptr_array_new_with_free_func (g_object_unref);
  for (s = 0; s < n_streams; s++) {
    p->stream_ids[s] = burrow_agent_add_stream (agent, n_components);
    g_assert_cmpuint (p->stream_ids[s], >, 0);
    for (c = 1; c <= n_components; c++) {
      guint initial = burrow_agent_get_component_state (agent, p->stream_ids[s], c);
      Slot *slot = &p->slots[s][c - 1];

      p->states[s][c - 1] = g_array_new (FALSE, FALSE, sizeof (guint));
      g_array_append_val (p->states[s][c - 1], initial);
      slot->peer = p;
      slot->stream_index = s;
      slot->component_id = c;
      slot->datagrams = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
    }
  }
  g_signal_connect (agent, "candidate-gathering-done", G_CALLBACK (gathering_done_cb), p);
  g_signal_connect (agent, "component-state-changed", G_CALLBACK (state_changed_cb), p);
  g_signal_connect (agent, "new-selected-pair-full", G_CALLBACK (selected_pair_cb), p);
  g_signal_connect (agent, "new-candidate-full", G_CALLBACK (new_candidate_cb), p);
}

static void
peer_attach_recv (Peer *p)
{
  guint s, c;

  for (s = 0; s < p->n_streams; s++)
    for (c = 1; c <= p->n_components; c++)
      g_assert_true (burrow_agent_attach_recv (p->agent, p->stream_ids[s], c, NULL, recv_cb,
          &p->slots[s][c - 1]));
}

static void
peer_clear (Peer *p)
{
  guint s, c;

  if (p->agent == NULL)
    return;
  g_signal_handlers_disconnect_by_data (p->agent, p);
  g_clear_object (&p->agent);
  for (s = 0; s < p->n_streams; s++) {
    for (c = 0; c < p->n_components; c++) {
      g_clear_pointer (&p->states[s][c], g_array_unref);
      g_clear_pointer (&p->slots[s][c].datagrams, g_ptr_array_unref);
      g_clear_object (&p->signalled_local[s][c]);
      g_clear_object (&p->signalled_remote[s][c]);
    }
  }
  g_clear_pointer (&p->new_candidates, g_ptr_array_unref);
}

/* Two peers: a controlling A and a controlled B, unless told otherwise. */
static void
peers_setup (Fixture *f, BurrowAgent *a, BurrowAgent *b, guint n_streams, guint n_components)
{
  peer_setup (&f->a, &f->b, "A", a, n_streams, n_components);
  peer_setup (&f->b, &f->a, "B", b, n_streams, n_components);
}

/* ---- the fixture ---- */

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  const FixtureOptions *options = data;
  BurrowTestTurnOptions turn_options = { 0 };
  g_autoptr(GError) error = NULL;

  if (options->turn) {
    turn_options.extra_args = options->turn_args;
    f->turn = burrow_test_turnserver_start_full (&turn_options, &error);
    g_assert_no_error (error);
  }
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  guint i;

  if (g_test_failed () && f->turn)
    burrow_test_turnserver_dump_log (f->turn, 30);
  peer_clear (&f->a);
  peer_clear (&f->b);
  /* let closing relays and pending deliveries finish */
  for (i = 0; i < 1000 && g_main_context_iteration (NULL, FALSE); i++)
    ;
  g_clear_pointer (&f->turn, burrow_test_turnserver_stop);
}

/* ---- steps ---- */

static void
gather (Fixture *f)
{
  guint s;

  for (s = 0; s < f->a.n_streams; s++)
    g_assert_true (burrow_agent_gather_candidates (f->a.agent, f->a.stream_ids[s]));
  for (s = 0; s < f->b.n_streams; s++)
    g_assert_true (burrow_agent_gather_candidates (f->b.agent, f->b.stream_ids[s]));
  g_assert_true (wait_until (peers_gathered, f, GATHER_TIMEOUT_MS));
}

static void
give_credentials (Peer *from, Peer *to)
{
  guint s;

  for (s = 0; s < from->n_streams; s++) {
    g_autofree gchar *ufrag = NULL;
    g_autofree gchar *pwd = NULL;

    g_assert_true (burrow_agent_get_local_credentials (from->agent, from->stream_ids[s], &ufrag,
        &pwd));
    g_assert_true (burrow_agent_set_remote_credentials (to->agent, to->stream_ids[s], ufrag,
        pwd));
  }
}

static void
give_candidates (Peer *from, Peer *to)
{
  guint s, c;

  for (s = 0; s < from->n_streams; s++) {
    for (c = 1; c <= from->n_components; c++) {
      GSList *list = burrow_agent_get_local_candidates (from->agent, from->stream_ids[s], c);

      g_assert_nonnull (list);
      g_assert_cmpint (burrow_agent_set_remote_candidates (to->agent, to->stream_ids[s], c,
          list), ==, (gint) g_slist_length (list));
      g_slist_free_full (list, g_object_unref);
    }
  }
}

static void
assert_ready (Fixture *f)
{
  Peer *peers[] = { &f->a, &f->b };
  guint i, s, c;

  if (wait_until (peers_ready, f, CONNECT_TIMEOUT_MS))
    return;
  for (i = 0; i < G_N_ELEMENTS (peers); i++) {
    for (s = 0; s < peers[i]->n_streams; s++) {
      for (c = 1; c <= peers[i]->n_components; c++) {
        g_autofree gchar *seq = state_sequence (peers[i], s, c);

        g_test_message ("%s stream %u component %u: %s", peers[i]->name, s, c, seq);
      }
    }
  }
  g_assert_true (peers_ready (f));
}

/* Credentials and every candidate at once, both ways, then READY. */
static void
connect_peers (Fixture *f)
{
  give_credentials (&f->a, &f->b);
  give_credentials (&f->b, &f->a);
  give_candidates (&f->a, &f->b);
  give_candidates (&f->b, &f->a);
  assert_ready (f);
}

static gboolean
same_address (BurrowCandidate *a, BurrowCandidate *b)
{
  g_autofree gchar *sa = burrow_test_address_to_string (burrow_candidate_get_address (a));
  g_autofree gchar *sb = burrow_test_address_to_string (burrow_candidate_get_address (b));

  return g_str_equal (sa, sb);
}

static void
assert_same_address (BurrowCandidate *a, BurrowCandidate *b)
{
  g_autofree gchar *sa = burrow_test_address_to_string (burrow_candidate_get_address (a));
  g_autofree gchar *sb = burrow_test_address_to_string (burrow_candidate_get_address (b));

  g_assert_cmpstr (sa, ==, sb);
}

static gboolean
in_list (GSList *list, BurrowCandidate *candidate)
{
  for (; list; list = list->next)
    if (same_address (list->data, candidate))
      return TRUE;
  return FALSE;
}

/* The selected pair of @p's component is of @type on both ends, is the one
 * last announced by new-selected-pair-full, is made of @p's local candidate
 * and one of the other peer's, and is the mirror of the other peer's. */
static void
assert_selected (Peer *p, guint s, guint c, BurrowCandidateType type)
{
  Peer *o = p->other;
  g_autoptr(BurrowCandidate) local = NULL;
  g_autoptr(BurrowCandidate) remote = NULL;
  g_autoptr(BurrowCandidate) o_local = NULL;
  g_autoptr(BurrowCandidate) o_remote = NULL;
  GSList *mine = burrow_agent_get_local_candidates (p->agent, p->stream_ids[s], c);
  GSList *theirs = burrow_agent_get_local_candidates (o->agent, o->stream_ids[s], c);

  g_assert_true (burrow_agent_get_selected_pair (p->agent, p->stream_ids[s], c, &local, &remote));
  g_assert_cmpint (burrow_candidate_get_candidate_type (local), ==, type);
  g_assert_cmpint (burrow_candidate_get_candidate_type (remote), ==, type);
  g_assert_cmpuint (burrow_candidate_get_stream_id (local), ==, p->stream_ids[s]);
  g_assert_cmpuint (burrow_candidate_get_component_id (local), ==, c);
  g_assert_cmpuint (p->selected_signals[s][c - 1], >=, 1);
  assert_same_address (local, p->signalled_local[s][c - 1]);
  assert_same_address (remote, p->signalled_remote[s][c - 1]);
  g_assert_true (in_list (mine, local));
  g_assert_true (in_list (theirs, remote));
  g_assert_true (burrow_agent_get_selected_pair (o->agent, o->stream_ids[s], c, &o_local,
      &o_remote));
  assert_same_address (local, o_remote);
  assert_same_address (remote, o_local);
  g_slist_free_full (mine, g_object_unref);
  g_slist_free_full (theirs, g_object_unref);
}

typedef struct {
  Slot *slot;
  const gchar *text;
} Expect;

static gboolean
slot_has (gpointer data)
{
  Expect *e = data;
  guint i;

  for (i = 0; i < e->slot->datagrams->len; i++) {
    gsize len;
    const gchar *got = g_bytes_get_data (e->slot->datagrams->pdata[i], &len);

    if (len == strlen (e->text) && memcmp (got, e->text, len) == 0)
      return TRUE;
  }
  return FALSE;
}

/* @from sends @text on a component; the other peer's same component gets it. */
static void
send_expect (Peer *from, guint s, guint c, const gchar *text)
{
  Expect e = { &from->other->slots[s][c - 1], text };

  g_assert_cmpint (burrow_agent_send (from->agent, from->stream_ids[s], c, strlen (text),
      (const guint8 *) text), ==, (gint) strlen (text));
  g_assert_true (wait_until (slot_has, &e, DATA_TIMEOUT_MS));
  g_assert_cmpuint (e.slot->wrong_ids, ==, 0);
}

static void
assert_state_sequence (Peer *p, guint s, guint c)
{
  g_autofree gchar *seq = state_sequence (p, s, c);

  if (!g_str_equal (seq, "disconnected gathering connecting ready"))
    g_assert_cmpstr (seq, ==, "disconnected gathering connecting connected ready");
}

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
  ADD ("/ice/agent/srflx/same-as-host-dropped", &with_verbose_turn,
      test_srflx_same_as_host);
  ADD ("/ice/agent/srflx/distinct-gathered", &no_server, test_srflx_distinct);
  ADD ("/ice/agent/srflx/same-ip-other-port-gathered", &no_server,
      test_srflx_same_ip_other_port);
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
