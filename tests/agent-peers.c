/* agent-peers.c: two BurrowAgents that record what they say, for
 * test-agent.c and test-agent-srflx.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "agent-peers.h"

#include <string.h>

#define GATHER_TIMEOUT_MS 5000
#define DATA_TIMEOUT_MS 2000

/* ---- waiting, always bounded ---- */

static gboolean
timeout_flag_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the thread-default context until @cond holds or @timeout_ms
 * pass; returns whether it holds. */
gboolean
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

gboolean
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

gchar *
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

BurrowAgent *
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

void
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
void
peers_setup (Fixture *f, BurrowAgent *a, BurrowAgent *b, guint n_streams, guint n_components)
{
  peer_setup (&f->a, &f->b, "A", a, n_streams, n_components);
  peer_setup (&f->b, &f->a, "B", b, n_streams, n_components);
}

/* ---- the fixture ---- */

void
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

void
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

void
gather (Fixture *f)
{
  guint s;

  for (s = 0; s < f->a.n_streams; s++)
    g_assert_true (burrow_agent_gather_candidates (f->a.agent, f->a.stream_ids[s]));
  for (s = 0; s < f->b.n_streams; s++)
    g_assert_true (burrow_agent_gather_candidates (f->b.agent, f->b.stream_ids[s]));
  g_assert_true (wait_until (peers_gathered, f, GATHER_TIMEOUT_MS));
}

void
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

void
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

void
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
void
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

gboolean
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
void
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
void
send_expect (Peer *from, guint s, guint c, const gchar *text)
{
  Expect e = { &from->other->slots[s][c - 1], text };

  g_assert_cmpint (burrow_agent_send (from->agent, from->stream_ids[s], c, strlen (text),
      (const guint8 *) text), ==, (gint) strlen (text));
  g_assert_true (wait_until (slot_has, &e, DATA_TIMEOUT_MS));
  g_assert_cmpuint (e.slot->wrong_ids, ==, 0);
}

void
assert_state_sequence (Peer *p, guint s, guint c)
{
  g_autofree gchar *seq = state_sequence (p, s, c);

  if (!g_str_equal (seq, "disconnected gathering connecting ready"))
    g_assert_cmpstr (seq, ==, "disconnected gathering connecting connected ready");
}

