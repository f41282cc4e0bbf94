/* test-agent-callbacks.c: what an application's handlers may do from
 * inside the agent (remove the stream, drop the last reference, block in
 * recv on the agent's own context), and the checks RFC 8445 and RFC 7675
 * make on answers (the right base and address; only success keeps consent).
 * Under AddressSanitizer a freed object in use shows; the rest assert on
 * states, signals and data.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "burrow-test-util.h"

#include <string.h>

typedef struct {
  BurrowAgent *a, *b;
  guint sa, sb;
  gboolean done;
  guint count;
  gboolean a_ready;
  GSocket *silent;
  guint16 silent_port;
} Ctx;

static BurrowAgent *
new_agent (gboolean controlling, const gchar *first_prop, ...)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_from_string ("127.0.0.1");
  BurrowAgent *agent;
  va_list ap;

  agent = g_object_new (BURROW_TYPE_AGENT, "controlling-mode", controlling, NULL);
  if (first_prop) {
    va_start (ap, first_prop);
    g_object_set_valist (G_OBJECT (agent), first_prop, ap);
    va_end (ap);
  }
  g_assert_true (burrow_agent_add_local_address (agent, loopback));
  return agent;
}

static BurrowCandidate *
host_candidate (const gchar *ip, guint16 port, guint component)
{
  BurrowCandidate *c = burrow_candidate_new (BURROW_CANDIDATE_TYPE_HOST);
  g_autoptr(GInetSocketAddress) addr = burrow_test_inet_address (ip, port);

  burrow_candidate_set_address (c, addr);
  burrow_candidate_set_priority (c, burrow_candidate_compute_priority (
      BURROW_CANDIDATE_TYPE_HOST, BURROW_CANDIDATE_TRANSPORT_UDP, 65535, component));
  burrow_candidate_set_foundation (c, "1");
  burrow_candidate_set_component_id (c, component);
  return c;
}

/* @from's credentials and candidates given to @to */
static void
exchange (BurrowAgent *from, guint sf, BurrowAgent *to, guint st)
{
  g_autofree gchar *ufrag = NULL;
  g_autofree gchar *pwd = NULL;
  GSList *list;

  g_assert_true (burrow_agent_get_local_credentials (from, sf, &ufrag, &pwd));
  g_assert_true (burrow_agent_set_remote_credentials (to, st, ufrag, pwd));
  list = burrow_agent_get_local_candidates (from, sf, 1);
  g_assert_cmpint (burrow_agent_set_remote_candidates (to, st, 1, list), >=, 1);
  g_slist_free_full (list, g_object_unref);
}

static void
drain (void)
{
  guint i;

  for (i = 0; i < 1000 && g_main_context_iteration (NULL, FALSE); i++)
    ;
}

/* A stream whose only remote candidate never answers: with no
 * retransmissions and a 50 ms timeout its only check fails at once. */
static void
setup_failing (Ctx *x)
{
  g_autoptr(BurrowCandidate) remote = NULL;
  GSList list = { 0, };

  x->a = new_agent (TRUE, "stun-max-retransmissions", 0, "stun-initial-timeout", 50, NULL);
  x->sa = burrow_agent_add_stream (x->a, 1);
  g_assert_true (burrow_agent_gather_candidates (x->a, x->sa));
  x->silent = burrow_test_udp_socket ("127.0.0.1", &x->silent_port);
  g_assert_true (burrow_agent_set_remote_credentials (x->a, x->sa, "abcd",
      "abcdefghijklmnopqrstuvwxyz"));
  remote = host_candidate ("127.0.0.1", x->silent_port, 1);
  list.data = remote;
  g_assert_cmpint (burrow_agent_set_remote_candidates (x->a, x->sa, 1, &list), ==, 1);
}

/* The handler's removal took: the stream is gone, and the agent still
 * takes and gathers a new one. */
static void
assert_stream_gone (BurrowAgent *agent, guint sid)
{
  g_autofree gchar *ufrag = NULL;
  g_autofree gchar *pwd = NULL;
  guint fresh;

  g_assert_false (burrow_agent_get_local_credentials (agent, sid, &ufrag, &pwd));
  fresh = burrow_agent_add_stream (agent, 1);
  g_assert_cmpuint (fresh, >, sid);
  g_assert_true (burrow_agent_gather_candidates (agent, fresh));
  burrow_agent_remove_stream (agent, fresh);
}

/* ---- 1: a component-state-changed(FAILED) handler removes the stream ---- */

static void
failed_remove_cb (BurrowAgent *agent, guint sid, guint cid, guint state, Ctx *x)
{
  if (state == BURROW_COMPONENT_STATE_FAILED && !x->done) {
    x->done = TRUE;
    burrow_agent_remove_stream (agent, sid);
  }
}

static void
test_failed_handler_removes_stream (void)
{
  Ctx x = { 0, };

  setup_failing (&x);
  g_signal_connect (x.a, "component-state-changed", G_CALLBACK (failed_remove_cb), &x);
  burrow_test_run_until (&x.done, 3000);
  g_assert_true (x.done);
  drain ();
  assert_stream_gone (x.a, x.sa);
  g_object_unref (x.a);
  g_object_unref (x.silent);
}

/* ---- 2: a component-state-changed(FAILED) handler drops the agent ---- */

static void
failed_unref_cb (BurrowAgent *agent, guint sid, guint cid, guint state, Ctx *x)
{
  if (state == BURROW_COMPONENT_STATE_FAILED && !x->done) {
    x->done = TRUE;
    g_object_unref (agent);     /* the last reference */
  }
}

static void
test_failed_handler_unrefs_agent (void)
{
  Ctx x = { 0, };

  setup_failing (&x);
  g_object_add_weak_pointer (G_OBJECT (x.a), (gpointer *) &x.a);
  g_signal_connect (x.a, "component-state-changed", G_CALLBACK (failed_unref_cb), &x);
  burrow_test_run_until (&x.done, 3000);
  g_assert_true (x.done);
  drain ();
  /* the handler's unref was the last: the agent is finalized */
  g_assert_null (x.a);
  g_object_unref (x.silent);
}

/* ---- 3: a candidate-gathering-done handler removes the stream, when the
 * STUN server never answers ---- */

static void
gathered_remove_cb (BurrowAgent *agent, guint sid, Ctx *x)
{
  x->done = TRUE;
  burrow_agent_remove_stream (agent, sid);
}

static void
test_gathering_done_removes_stream (void)
{
  Ctx x = { 0, };

  x.silent = burrow_test_udp_socket ("127.0.0.1", &x.silent_port);
  x.a = new_agent (TRUE, "stun-max-retransmissions", 0, "stun-initial-timeout", 50,
      "stun-server", "127.0.0.1", "stun-server-port", (guint) x.silent_port, NULL);
  x.sa = burrow_agent_add_stream (x.a, 1);
  g_signal_connect (x.a, "candidate-gathering-done", G_CALLBACK (gathered_remove_cb), &x);
  g_assert_true (burrow_agent_gather_candidates (x.a, x.sa));
  burrow_test_run_until (&x.done, 3000);
  g_assert_true (x.done);
  drain ();
  g_signal_handlers_disconnect_by_data (x.a, &x);
  assert_stream_gone (x.a, x.sa);
  g_object_unref (x.a);
  g_object_unref (x.silent);
}

/* ---- 4: an initial-binding-request-received handler removes the stream ---- */

static void
initial_binding_remove_cb (BurrowAgent *agent, guint sid, Ctx *x)
{
  x->done = TRUE;
  burrow_agent_remove_stream (agent, sid);
}

static void
setup_two (Ctx *x)
{
  x->a = new_agent (FALSE, NULL);
  x->b = new_agent (TRUE, NULL);
  x->sa = burrow_agent_add_stream (x->a, 1);
  x->sb = burrow_agent_add_stream (x->b, 1);
  g_assert_true (burrow_agent_gather_candidates (x->a, x->sa));
  g_assert_true (burrow_agent_gather_candidates (x->b, x->sb));
}

static void
teardown_two (Ctx *x)
{
  drain ();
  g_clear_object (&x->a);
  g_clear_object (&x->b);
  drain ();
}

static void
test_initial_binding_removes_stream (void)
{
  Ctx x = { 0, };

  setup_two (&x);
  g_signal_connect (x.a, "initial-binding-request-received",
      G_CALLBACK (initial_binding_remove_cb), &x);
  exchange (x.b, x.sb, x.a, x.sa);   /* A can authenticate B's checks */
  exchange (x.a, x.sa, x.b, x.sb);   /* B checks A */
  burrow_test_run_until (&x.done, 3000);
  g_assert_true (x.done);
  drain ();
  assert_stream_gone (x.a, x.sa);
  teardown_two (&x);
}

/* ---- 5: a component-state-changed(CONNECTED) handler removes the stream ---- */

static void
connected_remove_cb (BurrowAgent *agent, guint sid, guint cid, guint state, Ctx *x)
{
  if (state == BURROW_COMPONENT_STATE_CONNECTED && !x->done) {
    x->done = TRUE;
    burrow_agent_remove_stream (agent, sid);
  }
}

static void
test_connected_handler_removes_stream (void)
{
  Ctx x = { 0, };

  setup_two (&x);
  /* B is controlling; its CONNECTED comes from check_succeeded */
  g_signal_connect (x.b, "component-state-changed", G_CALLBACK (connected_remove_cb), &x);
  exchange (x.b, x.sb, x.a, x.sa);
  exchange (x.a, x.sa, x.b, x.sb);
  burrow_test_run_until (&x.done, 5000);
  g_assert_true (x.done);
  drain ();
  g_signal_handlers_disconnect_by_data (x.b, &x);
  assert_stream_gone (x.b, x.sb);
  teardown_two (&x);
}

/* ---- signals wait until the agent is done: a new-candidate-full handler
 * that removes the stream while gathering, with candidates on two
 * addresses still to come ---- */

typedef struct {
  Ctx *x;
  guint after_removal;            /* signals about the stream once removed */
  guint removed_signals;
} Gone;

static void
new_candidate_remove_cb (BurrowAgent *agent, BurrowCandidate *candidate, Gone *g)
{
  if (g->x->done) {
    g->after_removal++;
    return;
  }
  g->x->done = TRUE;
  burrow_agent_remove_stream (agent, burrow_candidate_get_stream_id (candidate));
}

static void
gathering_done_counted_cb (BurrowAgent *agent, guint sid, Gone *g)
{
  if (g->x->done)
    g->after_removal++;
}

static void
streams_removed_cb (BurrowAgent *agent, GVariant *ids, Gone *g)
{
  g->removed_signals++;
}

static void
test_new_candidate_removes_stream (void)
{
  Ctx x = { 0, };
  Gone g = { &x, 0, 0 };
  g_autoptr(GInetAddress) second = g_inet_address_new_from_string ("127.0.0.2");

  x.a = new_agent (TRUE, NULL);
  g_assert_true (burrow_agent_add_local_address (x.a, second));
  x.sa = burrow_agent_add_stream (x.a, 2);
  g_signal_connect (x.a, "new-candidate-full", G_CALLBACK (new_candidate_remove_cb), &g);
  g_signal_connect (x.a, "candidate-gathering-done", G_CALLBACK (gathering_done_counted_cb),
      &g);
  g_signal_connect (x.a, "streams-removed", G_CALLBACK (streams_removed_cb), &g);
  /* four host candidates; the first one's handler removes the stream */
  g_assert_true (burrow_agent_gather_candidates (x.a, x.sa));
  g_assert_true (x.done);
  drain ();
  g_assert_cmpuint (g.removed_signals, ==, 1);
  /* nothing more is said of a stream once it is removed */
  g_assert_cmpuint (g.after_removal, ==, 0);
  g_signal_handlers_disconnect_by_data (x.a, &g);
  assert_stream_gone (x.a, x.sa);
  g_object_unref (x.a);
}

/* ---- a role conflict (both controlling): the notify::controlling-mode
 * handler removes the stream before the answer to the conflicting check
 * went out ---- */

static gboolean
controlling (BurrowAgent *agent)
{
  gboolean value;

  g_object_get (agent, "controlling-mode", &value, NULL);
  return value;
}

static void
role_notify_remove_cb (BurrowAgent *agent, GParamSpec *pspec, Ctx *x)
{
  if (x->done)
    return;
  x->done = TRUE;
  burrow_agent_remove_stream (agent, agent == x->a ? x->sa : x->sb);
}

static void
test_role_conflict_handler_removes_stream (void)
{
  Ctx x = { 0, };

  x.a = new_agent (TRUE, NULL);
  x.b = new_agent (TRUE, NULL);
  x.sa = burrow_agent_add_stream (x.a, 1);
  x.sb = burrow_agent_add_stream (x.b, 1);
  g_assert_true (burrow_agent_gather_candidates (x.a, x.sa));
  g_assert_true (burrow_agent_gather_candidates (x.b, x.sb));
  g_signal_connect (x.a, "notify::controlling-mode", G_CALLBACK (role_notify_remove_cb), &x);
  g_signal_connect (x.b, "notify::controlling-mode", G_CALLBACK (role_notify_remove_cb), &x);
  exchange (x.b, x.sb, x.a, x.sa);
  exchange (x.a, x.sa, x.b, x.sb);
  burrow_test_run_until (&x.done, 5000);
  g_assert_true (x.done);
  drain ();
  g_signal_handlers_disconnect_by_data (x.a, &x);
  g_signal_handlers_disconnect_by_data (x.b, &x);
  /* exactly one of them switched role and removed its stream */
  g_assert_true (controlling (x.a) != controlling (x.b));
  if (!controlling (x.a))
    assert_stream_gone (x.a, x.sa);
  else
    assert_stream_gone (x.b, x.sb);
  teardown_two (&x);
}

/* ---- 6: blocking recv while the stream is removed ---- */

static gboolean
remove_stream_cb (gpointer data)
{
  Ctx *x = data;

  x->done = TRUE;
  burrow_agent_remove_stream (x->a, x->sa);
  return G_SOURCE_REMOVE;
}

static void
test_recv_stream_removed (void)
{
  Ctx x = { 0, };
  g_autoptr(GError) error = NULL;
  GBytes *data;

  x.a = new_agent (TRUE, NULL);
  x.sa = burrow_agent_add_stream (x.a, 1);
  g_timeout_add (100, remove_stream_cb, &x);
  /* documented: returns NULL with G_IO_ERROR_CLOSED once the component
   * is closed */
  data = burrow_agent_recv (x.a, x.sa, 1, NULL, &error);
  g_assert_null (data);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_object_unref (x.a);
}

/* ---- 7: blocking recv from a callback of the agent's own context ---- */

static gboolean
cancel_cb (gpointer data)
{
  g_cancellable_cancel (data);
  return G_SOURCE_REMOVE;
}

typedef struct {
  Ctx *x;
  GMainLoop *loop;
  gboolean owner_before, owner_after;
} RecvInLoop;

static gboolean
recv_in_loop_cb (gpointer data)
{
  RecvInLoop *r = data;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  GSource *timer = g_timeout_source_new (450);

  g_source_set_callback (timer, cancel_cb, cancellable, NULL);
  g_source_attach (timer, NULL);
  g_source_unref (timer);
  r->owner_before = g_main_context_is_owner (g_main_context_default ());
  g_assert_null (burrow_agent_recv (r->x->a, r->x->sa, 1, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  r->owner_after = g_main_context_is_owner (g_main_context_default ());
  g_main_loop_quit (r->loop);
  return G_SOURCE_REMOVE;
}

static void
test_recv_in_own_context (void)
{
  Ctx x = { 0, };
  RecvInLoop r = { &x, NULL, FALSE, FALSE };

  x.a = new_agent (TRUE, NULL);
  x.sa = burrow_agent_add_stream (x.a, 1);
  r.loop = g_main_loop_new (NULL, FALSE);
  g_idle_add (recv_in_loop_cb, &r);
  g_main_loop_run (r.loop);
  g_main_loop_unref (r.loop);
  g_test_message ("owner before recv: %d, after: %d", r.owner_before, r.owner_after);
  g_assert_true (r.owner_before);
  /* still inside the dispatch of g_main_loop_run(): must still own it */
  g_assert_true (r.owner_after);
  g_object_unref (x.a);
}

static gboolean
addr_equal (GSocketAddress *a, GSocketAddress *b)
{
  return g_inet_address_equal (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (a)),
      g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (b))) &&
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (a)) ==
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (b));
}

/* ---- a fake peer: a plain socket that answers A's checks ---- */

#define PEER_PWD "peerpasswordpeerpassword"

typedef enum {
  ANSWER_NORMAL,            /* success, back to where the check came from */
  ANSWER_NONE,              /* silence */
  ANSWER_ERROR,             /* a signed 403 error response */
  ANSWER_FROM_ELSEWHERE,    /* success, from a second socket of the peer */
  ANSWER_TO_OTHER_BASE,     /* success, sent to another local address of A */
} AnswerMode;

typedef struct {
  GSocket *socket, *other;
  guint16 port;
  GSource *source;
  AnswerMode mode;
  GSocketAddress *other_base;   /* for ANSWER_TO_OTHER_BASE */
  GSocketAddress *answer_only;  /* answer only checks from this base, if set */
  guint requests, answered;
} FakePeer;

static gboolean
fake_peer_cb (GSocket *socket, GIOCondition cond, gpointer data)
{
  FakePeer *p = data;
  guint8 buf[2048];
  g_autoptr(GSocketAddress) from = NULL;
  g_autoptr(BurrowStunMessage) req = NULL;
  g_autoptr(BurrowStunMessage) resp = NULL;
  g_autoptr(GBytes) key = burrow_stun_short_term_key (PEER_PWD, NULL);
  g_autoptr(GBytes) wire = NULL;
  gssize n = g_socket_receive_from (socket, &from, (gchar *) buf, sizeof buf, NULL, NULL);
  GSocket *out = p->socket;
  GSocketAddress *to = from;

  if (n <= 0 || (req = burrow_stun_message_new_from_data (buf, n, NULL)) == NULL ||
      burrow_stun_message_get_message_class (req) != BURROW_STUN_CLASS_REQUEST)
    return G_SOURCE_CONTINUE;
  p->requests++;
  if (p->answer_only && !addr_equal (from, p->answer_only))
    return G_SOURCE_CONTINUE;
  switch (p->mode) {
    case ANSWER_NONE:
      return G_SOURCE_CONTINUE;
    case ANSWER_ERROR:
      resp = burrow_stun_message_new_error_response (req, 403, "Forbidden");
      break;
    case ANSWER_FROM_ELSEWHERE:
      out = p->other;
      /* fall through */
    case ANSWER_NORMAL:
    case ANSWER_TO_OTHER_BASE:
      resp = burrow_stun_message_new_response (req, BURROW_STUN_CLASS_SUCCESS_RESPONSE);
      burrow_stun_message_add_address (resp, BURROW_STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS,
          G_INET_SOCKET_ADDRESS (from));
      if (p->mode == ANSWER_TO_OTHER_BASE)
        to = p->other_base;
      break;
  }
  wire = burrow_stun_message_serialize (resp, BURROW_STUN_SIGN_MESSAGE_INTEGRITY |
      BURROW_STUN_SIGN_FINGERPRINT, g_bytes_get_data (key, NULL), g_bytes_get_size (key), NULL);
  g_socket_send_to (out, to, g_bytes_get_data (wire, NULL), g_bytes_get_size (wire), NULL, NULL);
  p->answered++;
  return G_SOURCE_CONTINUE;
}

static void
fake_peer_init (FakePeer *p)
{
  p->socket = burrow_test_udp_socket ("127.0.0.1", &p->port);
  p->other = burrow_test_udp_socket ("127.0.0.1", NULL);
  p->source = g_socket_create_source (p->socket, G_IO_IN, NULL);
  g_source_set_callback (p->source, G_SOURCE_FUNC (fake_peer_cb), p, NULL);
  g_source_attach (p->source, NULL);
}

static void
fake_peer_clear (FakePeer *p)
{
  g_source_destroy (p->source);
  g_source_unref (p->source);
  g_object_unref (p->socket);
  g_object_unref (p->other);
  g_clear_object (&p->other_base);
  g_clear_object (&p->answer_only);
}

/* A (controlling, aggressive) checks the fake peer */
static void
point_at_peer (BurrowAgent *agent, guint sid, FakePeer *p)
{
  g_autoptr(BurrowCandidate) remote = host_candidate ("127.0.0.1", p->port, 1);
  GSList list = { remote, NULL };

  g_assert_true (burrow_agent_set_remote_credentials (agent, sid, "peer", PEER_PWD));
  g_assert_cmpint (burrow_agent_set_remote_candidates (agent, sid, 1, &list), ==, 1);
}

static void
ready_cb (BurrowAgent *agent, guint sid, guint cid, guint state, Ctx *x)
{
  if (state == BURROW_COMPONENT_STATE_READY)
    x->a_ready = TRUE;
}

/* ---- 8: a check answered to another local address succeeds ---- */

static void
test_response_to_other_base (void)
{
  Ctx x = { 0, };
  FakePeer p = { 0, };
  g_autoptr(GInetAddress) second = g_inet_address_new_from_string ("127.0.0.2");
  g_autoptr(BurrowCandidate) local = NULL;
  g_autoptr(BurrowCandidate) remote = NULL;
  GSList *list, *l;

  fake_peer_init (&p);
  x.a = new_agent (TRUE, "stun-max-retransmissions", 1, "stun-initial-timeout", 100, NULL);
  g_assert_true (burrow_agent_add_local_address (x.a, second));
  x.sa = burrow_agent_add_stream (x.a, 1);
  g_assert_true (burrow_agent_gather_candidates (x.a, x.sa));
  list = burrow_agent_get_local_candidates (x.a, x.sa, 1);
  g_assert_cmpuint (g_slist_length (list), ==, 2);
  for (l = list; l; l = l->next) {
    g_autofree gchar *ip = burrow_candidate_get_ip (l->data);
    GSocketAddress *sa = G_SOCKET_ADDRESS (g_object_ref (burrow_candidate_get_address (l->data)));

    if (strcmp (ip, "127.0.0.1") == 0)
      p.answer_only = sa;
    else
      p.other_base = sa;
  }
  g_slist_free_full (list, g_object_unref);
  /* checks from 127.0.0.1 are answered, but to A's 127.0.0.2 socket;
   * checks from 127.0.0.2 are not answered */
  p.mode = ANSWER_TO_OTHER_BASE;
  g_signal_connect (x.a, "component-state-changed", G_CALLBACK (ready_cb), &x);
  point_at_peer (x.a, x.sa, &p);
  burrow_test_sleep (1500);
  g_test_message ("peer got %u checks, answered %u; A state %u", p.requests, p.answered,
      burrow_agent_get_component_state (x.a, x.sa, 1));
  g_assert_cmpuint (p.answered, >, 0);
  /* RFC 8445 7.2.5.2.1: the response's destination is not the check's
   * source, so the pair must fail: no selected pair, not READY */
  g_assert_false (burrow_agent_get_selected_pair (x.a, x.sa, 1, &local, &remote));
  g_assert_false (x.a_ready);
  g_object_unref (x.a);
  fake_peer_clear (&p);
}

/* ---- 9, 10: consent, three agents at once (one wait of 37 s): one gets
 * signed 403 answers, one successes from another address of the peer,
 * one silence and a FAILED handler that removes the stream ---- */

typedef struct {
  Ctx x;
  FakePeer p;
  AnswerMode mode;
} ConsentCase;

static void
test_consent (void)
{
  static const AnswerMode modes[] = { ANSWER_ERROR, ANSWER_FROM_ELSEWHERE, ANSWER_NONE };
  ConsentCase cases[G_N_ELEMENTS (modes)];
  gint64 deadline;
  guint i;

  memset (cases, 0, sizeof cases);
  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    ConsentCase *k = &cases[i];

    k->mode = modes[i];
    fake_peer_init (&k->p);
    k->x.a = new_agent (TRUE, "consent-freshness", TRUE, NULL);
    k->x.sa = burrow_agent_add_stream (k->x.a, 1);
    g_assert_true (burrow_agent_gather_candidates (k->x.a, k->x.sa));
    g_signal_connect (k->x.a, "component-state-changed", G_CALLBACK (ready_cb), &k->x);
    if (k->mode == ANSWER_NONE)
      g_signal_connect (k->x.a, "component-state-changed", G_CALLBACK (failed_remove_cb),
          &k->x);
    point_at_peer (k->x.a, k->x.sa, &k->p);
    burrow_test_run_until (&k->x.a_ready, 3000);
    g_assert_true (k->x.a_ready);
  }
  /* from now on only consent checks come: answer them wrongly, or not */
  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    cases[i].p.mode = cases[i].mode;
  deadline = g_get_monotonic_time () + 37 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline)
    burrow_test_sleep (500);
  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    ConsentCase *k = &cases[i];

    g_test_message ("mode %u: %u consent checks, %u answered, state %u", k->mode,
        k->p.requests, k->p.answered,
        burrow_agent_get_component_state (k->x.a, k->x.sa, 1));
    g_assert_cmpuint (k->p.requests, >, 2);
    if (k->mode == ANSWER_NONE) {
      /* RFC 7675: 30 s without an answer and consent is lost; the
       * handler's removal took */
      g_assert_true (k->x.done);
      g_signal_handlers_disconnect_by_data (k->x.a, &k->x);
      assert_stream_gone (k->x.a, k->x.sa);
    } else {
      /* RFC 7675 5.1: only a success response, from where the request
       * went, refreshes consent */
      g_assert_cmpuint (k->p.answered, >, 2);
      g_assert_cmpuint (burrow_agent_get_component_state (k->x.a, k->x.sa, 1), ==,
          BURROW_COMPONENT_STATE_FAILED);
    }
    g_object_unref (k->x.a);
    fake_peer_clear (&k->p);
  }
  drain ();
}

/* ---- RFC 8445 7.3.1.4: a check from the peer on a pair whose own check
 * is out (and lost) replaces that check with a triggered one at once,
 * rather than waiting for its retransmission ---- */

static void
test_triggered_check_replaces_lost_one (void)
{
  Ctx x = { 0, };
  FakePeer p = { 0, };
  g_autofree gchar *ufrag = NULL;
  g_autofree gchar *pwd = NULL;
  g_autofree gchar *username = NULL;
  g_autoptr(BurrowStunMessage) check = burrow_stun_message_new_request (
      BURROW_STUN_METHOD_BINDING);
  g_autoptr(GBytes) key = NULL;
  g_autoptr(GBytes) wire = NULL;
  GSList *list;
  GSocketAddress *a_host;
  gint64 start, elapsed;

  fake_peer_init (&p);
  p.mode = ANSWER_NONE;           /* A's first check is lost */
  /* the retransmission would come after some 3 s */
  x.a = new_agent (TRUE, "stun-initial-timeout", 6000, NULL);
  x.sa = burrow_agent_add_stream (x.a, 1);
  g_assert_true (burrow_agent_gather_candidates (x.a, x.sa));
  g_signal_connect (x.a, "component-state-changed", G_CALLBACK (ready_cb), &x);
  point_at_peer (x.a, x.sa, &p);
  burrow_test_sleep (200);
  g_assert_cmpuint (p.requests, ==, 1);
  g_assert_false (x.a_ready);

  /* now the peer checks A, signed with A's password */
  g_assert_true (burrow_agent_get_local_credentials (x.a, x.sa, &ufrag, &pwd));
  username = g_strdup_printf ("%s:peer", ufrag);
  burrow_stun_message_add_string (check, BURROW_STUN_ATTRIBUTE_USERNAME, username);
  burrow_stun_message_add_uint32 (check, BURROW_STUN_ATTRIBUTE_PRIORITY, 0x6e7fffff);
  burrow_stun_message_add_uint64 (check, BURROW_STUN_ATTRIBUTE_ICE_CONTROLLED, 1);
  key = burrow_stun_short_term_key (pwd, NULL);
  wire = burrow_stun_message_serialize (check, BURROW_STUN_SIGN_MESSAGE_INTEGRITY |
      BURROW_STUN_SIGN_FINGERPRINT, g_bytes_get_data (key, NULL), g_bytes_get_size (key), NULL);
  g_assert_nonnull (wire);
  list = burrow_agent_get_local_candidates (x.a, x.sa, 1);
  g_assert_nonnull (list);
  a_host = G_SOCKET_ADDRESS (burrow_candidate_get_address (list->data));
  p.mode = ANSWER_NORMAL;
  start = g_get_monotonic_time ();
  g_assert_cmpint (g_socket_send_to (p.socket, a_host, g_bytes_get_data (wire, NULL),
      g_bytes_get_size (wire), NULL, NULL), ==, (gssize) g_bytes_get_size (wire));
  g_slist_free_full (list, g_object_unref);
  burrow_test_run_until (&x.a_ready, 3000);
  elapsed = (g_get_monotonic_time () - start) / 1000;
  g_test_message ("A ready %" G_GINT64_FORMAT " ms after the peer's check; %u checks reached "
      "the peer", elapsed, p.requests);
  g_assert_true (x.a_ready);
  g_assert_cmpint (elapsed, <, 1500);
  g_assert_cmpuint (p.requests, >=, 2);
  g_object_unref (x.a);
  fake_peer_clear (&p);
}

/* ---- 11: a failed component recovers through an ICE restart ---- */

static gboolean
a_is_ready (gpointer data)
{
  Ctx *x = data;

  return burrow_agent_get_component_state (x->a, x->sa, 1) == BURROW_COMPONENT_STATE_READY;
}

static void
test_restart_after_failure (void)
{
  Ctx x = { 0, };
  gboolean failed = FALSE;
  gint64 deadline;

  setup_failing (&x);
  deadline = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;
  while (burrow_agent_get_component_state (x.a, x.sa, 1) != BURROW_COMPONENT_STATE_FAILED &&
         g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  failed = burrow_agent_get_component_state (x.a, x.sa, 1) == BURROW_COMPONENT_STATE_FAILED;
  g_assert_true (failed);

  /* RFC 8445 section 9: restart, and check with a real peer */
  g_assert_true (burrow_agent_restart_stream (x.a, x.sa));
  {
    g_autofree gchar *ufrag = NULL;
    g_autofree gchar *pwd = NULL;
    GSList *list = burrow_agent_get_local_candidates (x.a, x.sa, 1), *l;

    /* the local candidates carry the new credentials */
    g_assert_true (burrow_agent_get_local_credentials (x.a, x.sa, &ufrag, &pwd));
    g_assert_nonnull (list);
    for (l = list; l; l = l->next) {
      g_assert_cmpstr (burrow_candidate_get_username (l->data), ==, ufrag);
      g_assert_cmpstr (burrow_candidate_get_password (l->data), ==, pwd);
    }
    g_slist_free_full (list, g_object_unref);
  }
  x.b = new_agent (FALSE, NULL);
  x.sb = burrow_agent_add_stream (x.b, 1);
  g_assert_true (burrow_agent_gather_candidates (x.b, x.sb));
  exchange (x.b, x.sb, x.a, x.sa);
  exchange (x.a, x.sa, x.b, x.sb);
  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (!a_is_ready (&x) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_test_message ("after restart: A state %u, B state %u",
      burrow_agent_get_component_state (x.a, x.sa, 1),
      burrow_agent_get_component_state (x.b, x.sb, 1));
  g_assert_true (a_is_ready (&x));
  teardown_two (&x);
  g_object_unref (x.silent);
}

#define ADD(path, func) g_test_add_func ("/ice/agent-callbacks/" path, func)

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  ADD ("failed-handler-removes-stream", test_failed_handler_removes_stream);
  ADD ("failed-handler-unrefs-agent", test_failed_handler_unrefs_agent);
  ADD ("gathering-done-removes-stream", test_gathering_done_removes_stream);
  ADD ("initial-binding-removes-stream", test_initial_binding_removes_stream);
  ADD ("connected-handler-removes-stream", test_connected_handler_removes_stream);
  ADD ("new-candidate-handler-removes-stream", test_new_candidate_removes_stream);
  ADD ("role-conflict-handler-removes-stream", test_role_conflict_handler_removes_stream);
  ADD ("recv-stream-removed", test_recv_stream_removed);
  ADD ("recv-in-own-context", test_recv_in_own_context);
  ADD ("response-to-other-base", test_response_to_other_base);
  ADD ("consent/bad-answers-and-handler-removing-stream", test_consent);
  ADD ("restart-after-failure", test_restart_after_failure);
  ADD ("triggered-check-replaces-lost-one", test_triggered_check_replaces_lost_one);
  return g_test_run ();
}
