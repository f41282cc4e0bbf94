/* test-agent-faults.c: what a BurrowAgent does with forged, hostile and
 * excessive input: unauthenticated or mis-signed checks, garbage, spoofed
 * and forged responses from a plain socket, 10 000 remote candidates, and
 * hostile SDP. Nothing of it may change the agent's state, and the agent
 * must still connect with its real peer afterwards. And load: 10 000
 * datagrams in order, recv_messages from a second thread.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Besides the effects (states, signals, the selected pair, the role, the
 * remote candidates, data delivered), each test checks that the agent says
 * what it rejected: the rejected-packets property.
 */
#include "burrow-test-util.h"

#include <string.h>

#define GATHER_TIMEOUT_MS 5000
#define CONNECT_TIMEOUT_MS 10000
#define SETTLE_MS 200
#define FLOOD_COUNT 10000
#define MAX_REMOTE_CANDIDATES 100   /* what burrow_agent_set_remote_candidates() documents */
#define BURST_COUNT 10000
#define BURST_SIZE 1200
#define BURST_BATCH 64

/* A is controlling (aggressive nomination), B controlled; both gathered,
 * each knows the other's credentials, neither the other's candidates. The
 * attacker is a plain UDP socket that writes to A's host candidate. */
typedef struct {
  BurrowAgent *a, *b;
  guint sa, sb;
  gboolean a_gathered, b_gathered;
  gchar *a_ufrag, *a_pwd, *b_ufrag, *b_pwd;
  GInetSocketAddress *a_host;
  GInetSocketAddress *b_host;

  /* what A says */
  guint a_state_changes;
  guint a_selected;
  guint a_initial_binding;
  guint a_new_remote;
  guint a_role_notifies;
  guint a_received;               /* datagrams delivered to A's recv callback */
  guint b_received;
  guint b_want;

  /* the attacker */
  GSocket *evil;
  guint16 evil_port;
  GSource *evil_source;
  guint evil_successes;           /* success responses A sent it */
  guint evil_requests;            /* checks A sent it */
  guint evil_answered;
  GBytes *(*evil_answer) (gpointer f, BurrowStunMessage *request, guint n);
} Fixture;

/* What must not change. */
typedef struct {
  guint state_changes;
  BurrowComponentState state;
  guint selected;
  guint initial_binding;
  guint new_remote;
  guint role_notifies;
  gboolean controlling;
  guint remote_candidates;
  guint received;
  guint64 rejected;
} Snapshot;

/* ---- waiting, always bounded ---- */

typedef gboolean (*CondFunc) (gpointer data);

static gboolean
timeout_flag_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

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

static gboolean
both_gathered (gpointer data)
{
  Fixture *f = data;

  return f->a_gathered && f->b_gathered;
}

static gboolean
both_ready (gpointer data)
{
  Fixture *f = data;

  return burrow_agent_get_component_state (f->a, f->sa, 1) == BURROW_COMPONENT_STATE_READY &&
      burrow_agent_get_component_state (f->b, f->sb, 1) == BURROW_COMPONENT_STATE_READY;
}

static gboolean
a_ready (gpointer data)
{
  Fixture *f = data;

  return burrow_agent_get_component_state (f->a, f->sa, 1) == BURROW_COMPONENT_STATE_READY;
}

/* ---- signals ---- */

static void
gathering_done_cb (BurrowAgent *agent, guint stream_id, Fixture *f)
{
  if (agent == f->a)
    f->a_gathered = TRUE;
  else
    f->b_gathered = TRUE;
}

static void
state_changed_cb (BurrowAgent *agent, guint stream_id, guint component_id, guint state,
    Fixture *f)
{
  f->a_state_changes++;
}

static void
selected_pair_cb (BurrowAgent *agent, guint stream_id, guint component_id,
    BurrowCandidate *local, BurrowCandidate *remote, Fixture *f)
{
  f->a_selected++;
}

static void
initial_binding_cb (BurrowAgent *agent, guint stream_id, Fixture *f)
{
  f->a_initial_binding++;
}

static void
new_remote_cb (BurrowAgent *agent, BurrowCandidate *candidate, Fixture *f)
{
  f->a_new_remote++;
}

static void
role_notify_cb (GObject *object, GParamSpec *pspec, Fixture *f)
{
  f->a_role_notifies++;
}

static void
recv_cb (BurrowAgent *agent, guint stream_id, guint component_id, guint len,
    const guint8 *buf, gpointer data)
{
  Fixture *f = data;

  if (agent == f->a)
    f->a_received++;
  else
    f->b_received++;
}

/* ---- the attacker ---- */

static gboolean
evil_readable_cb (GSocket *socket, GIOCondition condition, gpointer data)
{
  Fixture *f = data;
  guint8 buffer[2048];
  g_autoptr(GSocketAddress) from = NULL;
  g_autoptr(BurrowStunMessage) msg = NULL;
  gssize n = g_socket_receive_from (socket, &from, (gchar *) buffer, sizeof buffer, NULL, NULL);

  if (n <= 0 || (msg = burrow_stun_message_new_from_data (buffer, n, NULL)) == NULL)
    return G_SOURCE_CONTINUE;
  switch (burrow_stun_message_get_message_class (msg)) {
    case BURROW_STUN_CLASS_SUCCESS_RESPONSE:
      f->evil_successes++;
      break;
    case BURROW_STUN_CLASS_REQUEST:
      f->evil_requests++;
      if (f->evil_answer) {
        g_autoptr(GBytes) answer = f->evil_answer (f, msg, f->evil_answered++);

        g_socket_send_to (socket, from, g_bytes_get_data (answer, NULL),
            g_bytes_get_size (answer), NULL, NULL);
      }
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

static void
evil_send (Fixture *f, const guint8 *data, gsize len)
{
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_socket_send_to (f->evil, G_SOCKET_ADDRESS (f->a_host), (const gchar *) data,
      len, NULL, &error), ==, (gssize) len);
  g_assert_no_error (error);
}

static void
evil_send_bytes (Fixture *f, GBytes *bytes)
{
  evil_send (f, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

static GBytes *
sign (BurrowStunMessage *msg, const gchar *password, gboolean fingerprint)
{
  g_autoptr(GBytes) key = password ? burrow_stun_short_term_key (password, NULL) : NULL;
  GBytes *wire;

  wire = burrow_stun_message_serialize (msg,
      (key ? BURROW_STUN_SIGN_MESSAGE_INTEGRITY : 0) |
      (fingerprint ? BURROW_STUN_SIGN_FINGERPRINT : 0),
      key ? g_bytes_get_data (key, NULL) : NULL, key ? g_bytes_get_size (key) : 0, NULL);
  g_assert_nonnull (wire);
  return wire;
}

/* A connectivity check to A as B would send it, nominating, and claiming
 * the controlling role with the highest tie-breaker: were it believed, A
 * would learn a peer-reflexive candidate, answer, switch to controlled and
 * could be nominated. */
static GBytes *
forge_check (const gchar *username, const gchar *password, gboolean fingerprint)
{
  g_autoptr(BurrowStunMessage) msg = burrow_stun_message_new_request (BURROW_STUN_METHOD_BINDING);

  if (username)
    burrow_stun_message_add_string (msg, BURROW_STUN_ATTRIBUTE_USERNAME, username);
  burrow_stun_message_add_uint32 (msg, BURROW_STUN_ATTRIBUTE_PRIORITY, 0x6e7fffff);
  burrow_stun_message_add_uint64 (msg, BURROW_STUN_ATTRIBUTE_ICE_CONTROLLING, G_MAXUINT64);
  burrow_stun_message_add_flag (msg, BURROW_STUN_ATTRIBUTE_USE_CANDIDATE);
  return sign (msg, password, fingerprint);
}

/* ---- the fixture ---- */

static BurrowAgent *
agent_new (gboolean controlling)
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

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->a = agent_new (TRUE);
  f->b = agent_new (FALSE);
  f->sa = burrow_agent_add_stream (f->a, 1);
  f->sb = burrow_agent_add_stream (f->b, 1);
  g_signal_connect (f->a, "candidate-gathering-done", G_CALLBACK (gathering_done_cb), f);
  g_signal_connect (f->b, "candidate-gathering-done", G_CALLBACK (gathering_done_cb), f);
  g_signal_connect (f->a, "component-state-changed", G_CALLBACK (state_changed_cb), f);
  g_signal_connect (f->a, "new-selected-pair-full", G_CALLBACK (selected_pair_cb), f);
  g_signal_connect (f->a, "initial-binding-request-received", G_CALLBACK (initial_binding_cb), f);
  g_signal_connect (f->a, "new-remote-candidate-full", G_CALLBACK (new_remote_cb), f);
  g_signal_connect (f->a, "notify::controlling-mode", G_CALLBACK (role_notify_cb), f);
  g_assert_true (burrow_agent_attach_recv (f->a, f->sa, 1, NULL, recv_cb, f));
  g_assert_true (burrow_agent_attach_recv (f->b, f->sb, 1, NULL, recv_cb, f));
  g_assert_true (burrow_agent_gather_candidates (f->a, f->sa));
  g_assert_true (burrow_agent_gather_candidates (f->b, f->sb));
  g_assert_true (wait_until (both_gathered, f, GATHER_TIMEOUT_MS));
  f->a_host = host_address (f->a, f->sa);
  f->b_host = host_address (f->b, f->sb);
  g_assert_true (burrow_agent_get_local_credentials (f->a, f->sa, &f->a_ufrag, &f->a_pwd));
  g_assert_true (burrow_agent_get_local_credentials (f->b, f->sb, &f->b_ufrag, &f->b_pwd));
  g_assert_true (burrow_agent_set_remote_credentials (f->a, f->sa, f->b_ufrag, f->b_pwd));
  g_assert_true (burrow_agent_set_remote_credentials (f->b, f->sb, f->a_ufrag, f->a_pwd));

  f->evil = burrow_test_udp_socket ("127.0.0.1", &f->evil_port);
  f->evil_source = g_socket_create_source (f->evil, G_IO_IN, NULL);
  g_source_set_callback (f->evil_source, G_SOURCE_FUNC (evil_readable_cb), f, NULL);
  g_source_attach (f->evil_source, NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  guint i;

  g_source_destroy (f->evil_source);
  g_source_unref (f->evil_source);
  g_object_unref (f->evil);
  g_signal_handlers_disconnect_by_data (f->a, f);
  g_signal_handlers_disconnect_by_data (f->b, f);
  g_clear_object (&f->a);
  g_clear_object (&f->b);
  g_clear_object (&f->a_host);
  g_clear_object (&f->b_host);
  g_free (f->a_ufrag);
  g_free (f->a_pwd);
  g_free (f->b_ufrag);
  g_free (f->b_pwd);
  for (i = 0; i < 1000 && g_main_context_iteration (NULL, FALSE); i++)
    ;
}

/* ---- checking ---- */

static guint
n_remote (BurrowAgent *agent, guint stream_id, guint component_id)
{
  GSList *list = burrow_agent_get_remote_candidates (agent, stream_id, component_id);
  guint n = g_slist_length (list);

  g_slist_free_full (list, g_object_unref);
  return n;
}

static void
snapshot (Fixture *f, Snapshot *s)
{
  s->state_changes = f->a_state_changes;
  s->state = burrow_agent_get_component_state (f->a, f->sa, 1);
  s->selected = f->a_selected;
  s->initial_binding = f->a_initial_binding;
  s->new_remote = f->a_new_remote;
  s->role_notifies = f->a_role_notifies;
  g_object_get (f->a, "controlling-mode", &s->controlling, NULL);
  s->remote_candidates = n_remote (f->a, f->sa, 1);
  s->received = f->a_received;
  g_object_get (f->a, "rejected-packets", &s->rejected, NULL);
}

static guint64
rejected_since (Fixture *f, const Snapshot *before)
{
  guint64 rejected;

  g_object_get (f->a, "rejected-packets", &rejected, NULL);
  return rejected - before->rejected;
}

/* A says it rejected at least @n more things since @before. */
static void
assert_rejected (Fixture *f, const Snapshot *before, guint64 n)
{
  g_test_message ("rejected-packets grew by %" G_GUINT64_FORMAT " (at least %" G_GUINT64_FORMAT
      " expected)", rejected_since (f, before), n);
  g_assert_cmpuint (rejected_since (f, before), >=, n);
}

/* Lets A work on what it got, then checks it did nothing with it. */
static void
assert_unchanged (Fixture *f, const Snapshot *before)
{
  Snapshot now;
  g_autoptr(BurrowCandidate) local = NULL;
  g_autoptr(BurrowCandidate) remote = NULL;

  burrow_test_sleep (SETTLE_MS);
  snapshot (f, &now);
  g_assert_cmpuint (now.state_changes, ==, before->state_changes);
  g_assert_cmpuint (now.state, ==, before->state);
  g_assert_cmpuint (now.selected, ==, before->selected);
  g_assert_cmpuint (now.initial_binding, ==, before->initial_binding);
  g_assert_cmpuint (now.new_remote, ==, before->new_remote);
  g_assert_cmpuint (now.role_notifies, ==, before->role_notifies);
  g_assert_cmpint (now.controlling, ==, before->controlling);
  g_assert_cmpuint (now.remote_candidates, ==, before->remote_candidates);
  g_assert_cmpuint (now.received, ==, before->received);
  g_assert_false (burrow_agent_get_selected_pair (f->a, f->sa, 1, &local, &remote));
  /* and A answered nothing with a success */
  g_assert_cmpuint (f->evil_successes, ==, 0);
}

static gboolean
b_got_wanted (gpointer data)
{
  Fixture *f = data;

  return f->b_received >= f->b_want;
}

/* The real peer connects afterwards, and the pair is A's and B's hosts. */
static void
assert_still_connects (Fixture *f)
{
  GSList *a_list = burrow_agent_get_local_candidates (f->a, f->sa, 1);
  GSList *b_list = burrow_agent_get_local_candidates (f->b, f->sb, 1);
  g_autoptr(BurrowCandidate) local = NULL;
  g_autoptr(BurrowCandidate) remote = NULL;
  g_autofree gchar *want = burrow_test_address_to_string (f->b_host);
  g_autofree gchar *got = NULL;
  guint before = f->b_received;

  g_assert_cmpint (burrow_agent_set_remote_candidates (f->a, f->sa, 1, b_list), >=, 0);
  g_assert_cmpint (burrow_agent_set_remote_candidates (f->b, f->sb, 1, a_list), ==, 1);
  g_slist_free_full (a_list, g_object_unref);
  g_slist_free_full (b_list, g_object_unref);
  g_assert_true (wait_until (both_ready, f, CONNECT_TIMEOUT_MS));
  g_assert_true (burrow_agent_get_selected_pair (f->a, f->sa, 1, &local, &remote));
  got = burrow_test_address_to_string (burrow_candidate_get_address (remote));
  g_assert_cmpstr (got, ==, want);
  f->b_want = before + 1;
  g_assert_cmpint (burrow_agent_send (f->a, f->sa, 1, 5, (const guint8 *) "hello"), ==, 5);
  g_assert_true (wait_until (b_got_wanted, f, 2000));
}

/* ---- requests that fail authentication ---- */

static void
test_request_unauthenticated (Fixture *f, gconstpointer data)
{
  g_autofree gchar *username = g_strdup_printf ("%s:%s", f->a_ufrag, f->b_ufrag);
  g_autoptr(GBytes) bare = forge_check (NULL, NULL, FALSE);
  g_autoptr(GBytes) fingerprinted = forge_check (NULL, NULL, TRUE);
  g_autoptr(GBytes) named = forge_check (username, NULL, TRUE);
  Snapshot before;

  snapshot (f, &before);
  evil_send_bytes (f, bare);
  evil_send_bytes (f, fingerprinted);
  /* the right USERNAME without MESSAGE-INTEGRITY */
  evil_send_bytes (f, named);
  assert_unchanged (f, &before);
  assert_rejected (f, &before, 3);
  assert_still_connects (f);
}

static void
test_request_wrong_password (Fixture *f, gconstpointer data)
{
  g_autofree gchar *username = g_strdup_printf ("%s:%s", f->a_ufrag, f->b_ufrag);
  g_autoptr(GBytes) guessed = forge_check (username, "not-the-password-of-A-at-all", TRUE);
  /* keyed with B's password: what a confused or malicious B might use */
  g_autoptr(GBytes) peers = forge_check (username, f->b_pwd, TRUE);
  /* the right key, but no FINGERPRINT, which ICE requires */
  g_autoptr(GBytes) unfingerprinted = forge_check (username, f->a_pwd, FALSE);
  Snapshot before;

  snapshot (f, &before);
  evil_send_bytes (f, guessed);
  evil_send_bytes (f, peers);
  evil_send_bytes (f, unfingerprinted);
  assert_unchanged (f, &before);
  assert_rejected (f, &before, 3);
  assert_still_connects (f);
}

static gboolean
evil_got_success (gpointer data)
{
  Fixture *f = data;

  return f->evil_successes > 0;
}

/* The control for the tests above: the same check with the right USERNAME,
 * key and FINGERPRINT is answered, is A's first binding request, makes the
 * attacker a peer-reflexive remote candidate and wins the role conflict. So
 * the checks above were refused for what was wrong with them, and
 * assert_unchanged() sees what a believed check does. */
static void
test_request_authentic_control (Fixture *f, gconstpointer data)
{
  g_autofree gchar *username = g_strdup_printf ("%s:%s", f->a_ufrag, f->b_ufrag);
  g_autoptr(GBytes) check = forge_check (username, f->a_pwd, TRUE);
  gboolean controlling;
  Snapshot before;

  snapshot (f, &before);
  evil_send_bytes (f, check);
  g_assert_true (wait_until (evil_got_success, f, 2000));
  g_assert_cmpuint (rejected_since (f, &before), ==, 0);
  g_assert_cmpuint (f->a_initial_binding, ==, 1);
  g_assert_cmpuint (f->a_new_remote, ==, 1);
  g_assert_cmpuint (n_remote (f->a, f->sa, 1), ==, 1);
  g_object_get (f->a, "controlling-mode", &controlling, NULL);
  g_assert_false (controlling);
  g_assert_cmpuint (f->a_role_notifies, ==, 1);
}

/* The attacker knows A's password but not the USERNAME A expects. */
static void
test_request_wrong_username (Fixture *f, gconstpointer data)
{
  g_autofree gchar *reversed = g_strdup_printf ("%s:%s", f->b_ufrag, f->a_ufrag);
  g_autofree gchar *longer = g_strdup_printf ("%sx:%s", f->a_ufrag, f->b_ufrag);
  g_autofree gchar *prefix = g_strdup_printf ("%.3s:%s", f->a_ufrag, f->b_ufrag);
  const gchar *usernames[] = { "wrong:user", reversed, longer, prefix, f->a_ufrag, ":", "" };
  Snapshot before;
  guint i;

  snapshot (f, &before);
  for (i = 0; i < G_N_ELEMENTS (usernames); i++) {
    g_autoptr(GBytes) check = forge_check (usernames[i], f->a_pwd, TRUE);

    evil_send_bytes (f, check);
  }
  assert_unchanged (f, &before);
  assert_rejected (f, &before, G_N_ELEMENTS (usernames));
  assert_still_connects (f);
}

static gboolean
is_indication (const guint8 *data, gsize len)
{
  g_autoptr(BurrowStunMessage) msg = burrow_stun_message_new_from_data (data, len, NULL);

  return msg && burrow_stun_message_get_message_class (msg) == BURROW_STUN_CLASS_INDICATION;
}

/* Valid checks, each broken by one flipped bit or a truncation: the
 * integrity or the parser must refuse every one. */
static void
test_request_mutated (Fixture *f, gconstpointer data)
{
  g_autofree gchar *username = g_strdup_printf ("%s:%s", f->a_ufrag, f->b_ufrag);
  Snapshot before;
  guint i, expected = 0;

  snapshot (f, &before);
  for (i = 0; i < 400; i++) {
    g_autoptr(GBytes) check = forge_check (username, f->a_pwd, TRUE);
    gsize len;
    guint8 *copy = g_bytes_unref_to_data (g_steal_pointer (&check), &len);

    if (i % 4 == 3) {
      len = g_test_rand_int_range (0, len);
    } else {
      guint bit = g_test_rand_int_range (0, len * 8);

      copy[bit / 8] ^= 1 << (bit % 8);
    }
    evil_send (f, copy, len);
    expected += !is_indication (copy, len);
    g_free (copy);
    if (i % 50 == 49)
      burrow_test_sleep (5);
  }
  assert_unchanged (f, &before);
  /* a flip that makes a Binding indication makes a keep-alive, which is
   * ignored rather than rejected */
  assert_rejected (f, &before, expected);
  assert_still_connects (f);
}

/* ---- garbage ---- */

static void
test_garbage (Fixture *f, gconstpointer data)
{
  guint8 buffer[65000];
  /* a STUN header whose length runs past the datagram */
  static const guint8 lying_header[20] = { 0x00, 0x01, 0xff, 0xfc, 0x21, 0x12, 0xa4, 0x42 };
  /* a STUN header, then an attribute whose length runs past the message */
  static const guint8 lying_attribute[28] = { 0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42,
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x06, 0xff, 0xf0, 'a', 'b', 'c', 'd' };
  Snapshot before;
  guint i, j;

  snapshot (f, &before);
  evil_send (f, buffer, 0);
  memset (buffer, 0, sizeof buffer);
  evil_send (f, buffer, 1);
  evil_send (f, buffer, 19);
  evil_send (f, buffer, 20);
  evil_send (f, lying_header, sizeof lying_header);
  evil_send (f, lying_attribute, sizeof lying_attribute);
  for (i = 0; i < 200; i++) {
    gsize len = g_test_rand_int_range (1, 1500);

    for (j = 0; j < len; j++)
      buffer[j] = g_test_rand_int_range (0, 256);
    /* half of them pass for STUN at first sight */
    if (i % 2 && len >= 20) {
      buffer[0] &= 0x3f;
      memcpy (buffer + 4, "\x21\x12\xa4\x42", 4);
    }
    evil_send (f, buffer, len);
    if (i % 50 == 49)
      burrow_test_sleep (5);
  }
  /* data (RTP-like) from an address that is no remote candidate: dropped */
  memset (buffer, 0x80, sizeof buffer);
  evil_send (f, buffer, 200);
  evil_send (f, buffer, sizeof buffer);
  assert_unchanged (f, &before);
  assert_rejected (f, &before, 6 + 200 + 2);
  assert_still_connects (f);
}

/* ---- responses ---- */

static GBytes *
forge_response (const guint8 *tid, BurrowStunClass klass, guint error_code,
    const gchar *password, gboolean fingerprint, GInetSocketAddress *mapped)
{
  g_autoptr(BurrowStunMessage) msg = burrow_stun_message_new (BURROW_STUN_METHOD_BINDING, klass,
      tid);

  if (error_code)
    burrow_stun_message_add_error_code (msg, error_code, "Role Conflict");
  else
    burrow_stun_message_add_address (msg, BURROW_STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, mapped);
  return sign (msg, password, fingerprint);
}

/* Responses to checks A never sent, even signed with the key A's checks
 * expect (B's password). */
static void
test_response_unknown_transaction (Fixture *f, gconstpointer data)
{
  Snapshot before;
  guint8 tid[12];
  guint i, j;

  snapshot (f, &before);
  for (i = 0; i < 8; i++) {
    g_autoptr(GBytes) success = NULL;
    g_autoptr(GBytes) unsigned_success = NULL;
    g_autoptr(GBytes) conflict = NULL;

    for (j = 0; j < sizeof tid; j++)
      tid[j] = g_test_rand_int_range (0, 256);
    success = forge_response (tid, BURROW_STUN_CLASS_SUCCESS_RESPONSE, 0, f->b_pwd, TRUE,
        f->a_host);
    unsigned_success = forge_response (tid, BURROW_STUN_CLASS_SUCCESS_RESPONSE, 0, NULL, TRUE,
        f->a_host);
    conflict = forge_response (tid, BURROW_STUN_CLASS_ERROR_RESPONSE, 487, f->b_pwd, TRUE, NULL);
    evil_send_bytes (f, success);
    evil_send_bytes (f, unsigned_success);
    evil_send_bytes (f, conflict);
  }
  assert_unchanged (f, &before);
  assert_rejected (f, &before, 8 * 3);
  assert_still_connects (f);
}

/* The attacker is a remote candidate of A, so A's check goes to it: it
 * answers the real transaction, from the right address, but cannot sign
 * with B's password. Each retransmission gets another forgery. */
static GBytes *
forged_answer (gpointer data, BurrowStunMessage *request, guint n)
{
  Fixture *f = data;
  gsize tid_len;
  const guint8 *tid = burrow_stun_message_get_transaction_id (request, &tid_len);
  g_autoptr(GInetSocketAddress) mapped = burrow_test_inet_address ("127.0.0.1",
      g_inet_socket_address_get_port (f->a_host));

  switch (n % 5) {
    case 0:   /* signed with a guessed key */
      return forge_response (tid, BURROW_STUN_CLASS_SUCCESS_RESPONSE, 0, "guessed-password-xxxxxx",
          TRUE, mapped);
    case 1:   /* not signed */
      return forge_response (tid, BURROW_STUN_CLASS_SUCCESS_RESPONSE, 0, NULL, TRUE, mapped);
    case 2:   /* signed with A's own password: the key of the other direction */
      return forge_response (tid, BURROW_STUN_CLASS_SUCCESS_RESPONSE, 0, f->a_pwd, TRUE, mapped);
    case 3:   /* a role conflict, to flip A's role */
      return forge_response (tid, BURROW_STUN_CLASS_ERROR_RESPONSE, 487, "guessed-password-xxxxxx",
          TRUE, NULL);
    default:  /* a role conflict without integrity */
      return forge_response (tid, BURROW_STUN_CLASS_ERROR_RESPONSE, 487, NULL, TRUE, NULL);
  }
}

static gboolean
evil_answered_enough (gpointer data)
{
  Fixture *f = data;

  return f->evil_answered >= 5;
}

static void
test_response_forged_for_pending_check (Fixture *f, gconstpointer data)
{
  g_autoptr(BurrowCandidate) evil = burrow_candidate_new (BURROW_CANDIDATE_TYPE_HOST);
  g_autoptr(GInetSocketAddress) evil_address = burrow_test_inet_address ("127.0.0.1",
      f->evil_port);
  g_autoptr(BurrowCandidate) local = NULL;
  g_autoptr(BurrowCandidate) remote = NULL;
  GSList one = { evil, NULL };
  gboolean controlling;
  Snapshot before;

  snapshot (f, &before);
  /* retransmit fast and long enough for five forgeries */
  g_object_set (f->a, "stun-initial-timeout", 50, "stun-max-retransmissions", 7, NULL);
  burrow_candidate_set_address (evil, evil_address);
  burrow_candidate_set_priority (evil, 0x7effffff);
  burrow_candidate_set_foundation (evil, "evil");
  burrow_candidate_set_component_id (evil, 1);
  f->evil_answer = forged_answer;
  g_assert_cmpint (burrow_agent_set_remote_candidates (f->a, f->sa, 1, &one), ==, 1);
  g_assert_true (wait_until (evil_answered_enough, f, 3000));
  /* no more forgeries: what A got is all handled after the pause */
  f->evil_answer = NULL;
  burrow_test_sleep (SETTLE_MS);

  /* checking, nothing more: no valid pair, no role change */
  g_assert_cmpuint (burrow_agent_get_component_state (f->a, f->sa, 1), ==,
      BURROW_COMPONENT_STATE_CONNECTING);
  g_assert_cmpuint (f->a_selected, ==, 0);
  g_assert_false (burrow_agent_get_selected_pair (f->a, f->sa, 1, &local, &remote));
  g_object_get (f->a, "controlling-mode", &controlling, NULL);
  g_assert_true (controlling);
  g_assert_cmpuint (f->a_role_notifies, ==, 0);
  g_assert_cmpuint (f->evil_successes, ==, 0);
  assert_rejected (f, &before, f->evil_answered);

  /* the real peer wins, not the attacker */
  assert_still_connects (f);
}

static GBytes *
authentic_answer (gpointer data, BurrowStunMessage *request, guint n)
{
  Fixture *f = data;
  gsize tid_len;
  const guint8 *tid = burrow_stun_message_get_transaction_id (request, &tid_len);
  g_autoptr(GInetSocketAddress) mapped = burrow_test_inet_address ("127.0.0.1",
      g_inet_socket_address_get_port (f->a_host));

  return forge_response (tid, BURROW_STUN_CLASS_SUCCESS_RESPONSE, 0, f->b_pwd, TRUE, mapped);
}

/* The control for the test above: an answer signed with B's password (the
 * key A's checks expect) makes the pair valid, and with aggressive
 * nomination A selects the attacker's address. */
static void
test_response_authentic_control (Fixture *f, gconstpointer data)
{
  g_autoptr(BurrowCandidate) evil = burrow_candidate_new (BURROW_CANDIDATE_TYPE_HOST);
  g_autoptr(GInetSocketAddress) evil_address = burrow_test_inet_address ("127.0.0.1",
      f->evil_port);
  g_autoptr(BurrowCandidate) local = NULL;
  g_autoptr(BurrowCandidate) remote = NULL;
  g_autofree gchar *want = burrow_test_address_to_string (evil_address);
  g_autofree gchar *got = NULL;
  GSList one = { evil, NULL };

  burrow_candidate_set_address (evil, evil_address);
  burrow_candidate_set_priority (evil, 0x7effffff);
  burrow_candidate_set_foundation (evil, "evil");
  burrow_candidate_set_component_id (evil, 1);
  f->evil_answer = authentic_answer;
  g_assert_cmpint (burrow_agent_set_remote_candidates (f->a, f->sa, 1, &one), ==, 1);
  g_assert_true (wait_until (a_ready, f, 3000));
  g_assert_cmpuint (f->a_selected, >=, 1);
  g_assert_true (burrow_agent_get_selected_pair (f->a, f->sa, 1, &local, &remote));
  got = burrow_test_address_to_string (burrow_candidate_get_address (remote));
  g_assert_cmpstr (got, ==, want);
}

/* ---- floods ---- */

static void
test_flood_remote_candidates (Fixture *f, gconstpointer data)
{
  GSList *real = burrow_agent_get_local_candidates (f->b, f->sb, 1);
  GSList *list = NULL, *more = NULL, *kept, *l;
  gboolean real_kept = FALSE;
  Snapshot before;
  gint64 start;
  gint added;
  guint i;

  /* B's host candidate first, then 9 999 that lead nowhere (loopback port 9) */
  for (i = 1; i < FLOOD_COUNT; i++) {
    g_autofree gchar *ip = g_strdup_printf ("127.1.%u.%u", i / 250, i % 250 + 1);
    g_autoptr(GInetSocketAddress) address = burrow_test_inet_address (ip, 9);
    g_autofree gchar *foundation = g_strdup_printf ("flood%u", i);
    BurrowCandidate *candidate = burrow_candidate_new (BURROW_CANDIDATE_TYPE_HOST);

    burrow_candidate_set_address (candidate, address);
    burrow_candidate_set_priority (candidate, 2130706431 - i);
    burrow_candidate_set_foundation (candidate, foundation);
    burrow_candidate_set_component_id (candidate, 1);
    list = g_slist_prepend (list, candidate);
  }
  list = g_slist_reverse (list);
  list = g_slist_concat (real, list);
  snapshot (f, &before);
  start = g_get_monotonic_time ();
  added = burrow_agent_set_remote_candidates (f->a, f->sa, 1, list);
  g_test_message ("set_remote_candidates with %u candidates: %d added in %" G_GINT64_FORMAT
      " ms", FLOOD_COUNT, added, (g_get_monotonic_time () - start) / 1000);
  g_assert_cmpint (added, >, 0);
  g_assert_cmpint (added, <=, MAX_REMOTE_CANDIDATES);
  g_assert_cmpuint (n_remote (f->a, f->sa, 1), ==, (guint) added);
  /* it says so (the count is per call, not per candidate dropped) */
  assert_rejected (f, &before, 1);

  /* more does not get past the bound */
  for (l = g_slist_nth (list, MAX_REMOTE_CANDIDATES + 1); l; l = l->next)
    more = g_slist_prepend (more, l->data);
  g_assert_cmpint (burrow_agent_set_remote_candidates (f->a, f->sa, 1, more), ==, 0);
  g_slist_free (more);
  kept = burrow_agent_get_remote_candidates (f->a, f->sa, 1);
  g_assert_cmpuint (g_slist_length (kept), <=, MAX_REMOTE_CANDIDATES);
  for (l = kept; l; l = l->next) {
    g_autofree gchar *address = burrow_test_address_to_string (burrow_candidate_get_address (
        l->data));
    g_autofree gchar *b = burrow_test_address_to_string (f->b_host);

    real_kept |= g_str_equal (address, b);
  }
  g_assert_true (real_kept);
  g_slist_free_full (kept, g_object_unref);
  g_slist_free_full (list, g_object_unref);

  assert_still_connects (f);
  g_assert_cmpuint (n_remote (f->a, f->sa, 1), <=, MAX_REMOTE_CANDIDATES);
}

/* ---- hostile SDP ---- */

typedef struct {
  BurrowAgent *h;
  guint h_stream;
  Fixture *f;
} Hostile;

static gboolean
hostile_ready (gpointer data)
{
  Hostile *x = data;

  return burrow_agent_get_component_state (x->h, x->h_stream, 1) ==
      BURROW_COMPONENT_STATE_READY &&
      burrow_agent_get_component_state (x->f->b, x->f->sb, 1) == BURROW_COMPONENT_STATE_READY;
}

static void
parse_hostile (BurrowAgent *agent, const gchar *sdp)
{
  gint n = burrow_agent_parse_remote_sdp (agent, sdp);

  g_assert_cmpint (n, >=, -1);
  g_assert_cmpint (n, <=, 2 * MAX_REMOTE_CANDIDATES);
  g_assert_cmpuint (n_remote (agent, 1, 1), <=, MAX_REMOTE_CANDIDATES);
  g_assert_cmpuint (n_remote (agent, 1, 2), <=, MAX_REMOTE_CANDIDATES);
}

/* @n candidate lines for @component, on 127.@net.x.1 */
static gchar *
candidate_lines (const gchar *head, guint component, guint net, guint n)
{
  GString *text = g_string_new (head);
  guint i;

  for (i = 0; i < n; i++)
    g_string_append_printf (text, "a=candidate:%u %u UDP 1 127.%u.%u.1 %u typ host\n", i,
        component, net, i % 250, 1 + i % 60000);
  return g_string_free (text, FALSE);
}

static const gchar *const hostile_texts[] = {
  "",
  "\n\n\n",
  "a=ice-ufrag:early\na=ice-pwd:beforeanymedialinexxxxxx\n",
  "m=audio 9 RTP/AVP 0\nm=video 9 RTP/AVP 0\nm=text 9 RTP/AVP 0\n",
  "m=audio 9 RTP/AVP 0\na=candidate:\n",
  "m=audio 9 RTP/AVP 0\na=candidate:1 1 UDP\n",
  "m=audio 9 RTP/AVP 0\na=candidate:1 0 UDP 1 127.0.0.1 5000 typ host\n",
  "m=audio 9 RTP/AVP 0\na=candidate:1 257 UDP 1 127.0.0.1 5000 typ host\n",
  "m=audio 9 RTP/AVP 0\na=candidate:1 99999999999999 UDP 1 127.0.0.1 5000 typ host\n",
  "m=audio 9 RTP/AVP 0\na=candidate:1 -1 UDP -5 127.0.0.1 -1 typ host\n",
  "m=audio 9 RTP/AVP 0\na=candidate:1 1 UDP 1 127.0.0.1 70000 typ host\n",
  "m=audio 9 RTP/AVP 0\na=candidate:1 1 UDP 1 999.1.1.1 5000 typ host\n",
  "m=audio 9 RTP/AVP 0\na=candidate:1 1 UDP 1 ::ffff:zz 5000 typ host\n",
  "m=audio 9 RTP/AVP 0\na=candidate:1 1 UDP 1 127.0.0.1 5000 typ evil\n",
  "m=audio 9 RTP/AVP 0\na=candidate:1 1 UDP 1 127.0.0.1 5000 typ srflx raddr x rport y\n",
  "m=audio 9 RTP/AVP 0\na=candidate:1 1 UDP 1 127.0.0.1 5000\n",
  "m=audio 9 RTP/AVP 0\na=candidate:1 1 TCP 1 127.0.0.1 5000 typ host tcptype nonsense\n",
  "m=audio 9 RTP/AVP 0\r\na=ice-ufrag:\r\na=ice-pwd:\r\n",
  "m=audio 9 RTP/AVP 0\na=ice-ufrag:\xff\xfe\xfd\xfc\n"
      "a=ice-pwd:\xc3\x28\xa0\xa1xxxxxxxxxxxxxxxxxxx\n",
  "m=audio 9 RTP/AVP 0\na=ice-ufrag:a b\na=ice-pwd:spaces are not ice chars at all\n",
  "m=\na=\na=candidate\na=ice-ufrag\na=ice-pwd\n\r\n\r",
};

static void
parse_fixed_texts (BurrowAgent *h)
{
  guint i;

  /* one credential only: the other is the one the stream has */
  g_assert_cmpint (burrow_agent_parse_remote_sdp (h,
      "m=audio 9 RTP/AVP 0\na=ice-ufrag:abcd\na=ice-pwd:abcdefghijklmnopqrstuvwxyz\n"), ==, 0);
  g_assert_cmpint (burrow_agent_parse_remote_sdp (h,
      "m=audio 9 RTP/AVP 0\na=ice-pwd:zyxwvutsrqponmlkjihgfedcba\n"), ==, 0);
  g_assert_cmpint (burrow_agent_parse_remote_sdp (h,
      "m=audio 9 RTP/AVP 0\na=ice-ufrag:efgh\n"), ==, 0);
  for (i = 0; i < G_N_ELEMENTS (hostile_texts); i++)
    parse_hostile (h, hostile_texts[i]);
}

static void
append_run (GString *text, gchar c, guint n)
{
  guint i;

  for (i = 0; i < n; i++)
    g_string_append_c (text, c);
}

static void
parse_big_texts (BurrowAgent *h)
{
  GString *huge = g_string_new ("m=audio 9 RTP/AVP 0\na=ice-ufrag:");
  gchar *text;
  guint i;

  /* long credentials, a long foundation, a line with a thousand fields */
  append_run (huge, 'u', 10000);
  g_string_append (huge, "\na=ice-pwd:");
  append_run (huge, 'p', 10000);
  g_string_append (huge, "\na=candidate:");
  append_run (huge, 'f', 10000);
  g_string_append (huge, " 1 UDP 1 127.0.0.1 5000 typ host\na=candidate:1 1 UDP 1 127.0.0.1 5000");
  for (i = 0; i < 1000; i++)
    g_string_append (huge, " x y");
  g_string_append_c (huge, '\n');
  parse_hostile (h, huge->str);
  g_string_free (huge, TRUE);

  /* 3 000 candidate lines: at most 100 per component are kept */
  text = candidate_lines ("m=audio 9 RTP/AVP 0\na=ice-ufrag:abcd\n"
      "a=ice-pwd:abcdefghijklmnopqrstuvwxyz\n", 1, 2, 3000);
  parse_hostile (h, text);
  g_free (text);
  /* over the line and size bounds: refused whole */
  text = candidate_lines ("m=audio 9 RTP/AVP 0\n", 2, 3, 5000);
  g_assert_cmpint (burrow_agent_parse_remote_sdp (h, text), ==, -1);
  g_free (text);
  text = g_strnfill (300 * 1024, 'a');
  g_assert_cmpint (burrow_agent_parse_remote_sdp (h, text), ==, -1);
  g_free (text);
}

/* B's real SDP, mutated at random */
static void
parse_mutations (BurrowAgent *h, const gchar *valid)
{
  guint i;

  for (i = 0; i < 500; i++) {
    g_autofree gchar *copy = g_strdup (valid);
    guint pos = g_test_rand_int_range (0, strlen (copy));

    if (i % 3 == 0)
      copy[pos] = (gchar) g_test_rand_int_range (1, 256);
    else if (i % 3 == 1)
      copy[pos] = '\0';
    else
      copy[pos] = " :\n0123456789-"[g_test_rand_int_range (0, 14)];
    parse_hostile (h, copy);
  }
}

/* The SDP goes to an agent that has gathered nothing, so that whatever
 * address it names is never checked; the agent is then restarted and
 * connects with B. */
static void
test_sdp_hostile (Fixture *f, gconstpointer data)
{
  BurrowAgent *h = agent_new (TRUE);
  Hostile x = { h, 0, f };
  g_autofree gchar *valid = burrow_agent_generate_local_sdp (f->b);
  g_autofree gchar *h_sdp = NULL;

  g_assert_cmpuint (burrow_agent_add_stream (h, 2), ==, 1);
  parse_fixed_texts (h);
  parse_big_texts (h);
  parse_mutations (h, valid);

  /* still an agent: it restarts, gathers and connects with B */
  g_assert_true (burrow_agent_restart (h));
  g_assert_cmpuint (n_remote (h, 1, 1), ==, 0);
  g_assert_cmpuint (n_remote (h, 1, 2), ==, 0);
  /* one component, as B has */
  burrow_agent_remove_stream (h, 1);
  x.h_stream = burrow_agent_add_stream (h, 1);
  g_assert_cmpuint (x.h_stream, >, 1);
  g_assert_true (burrow_agent_gather_candidates (h, x.h_stream));
  h_sdp = burrow_agent_generate_local_sdp (h);
  g_assert_cmpint (burrow_agent_parse_remote_sdp (h, valid), ==, 1);
  g_assert_cmpint (burrow_agent_parse_remote_sdp (f->b, h_sdp), ==, 1);
  g_assert_true (wait_until (hostile_ready, &x, CONNECT_TIMEOUT_MS));
  g_object_unref (h);
}

/* ---- load ---- */

typedef struct {
  guint received;
  guint expected_seq;
  guint out_of_order;
  guint corrupt;
} Burst;

static guint8
burst_byte (guint32 seq, guint offset)
{
  return (guint8) (seq * 7 + offset);
}

static void
burst_recv_cb (BurrowAgent *agent, guint stream_id, guint component_id, guint len,
    const guint8 *buf, gpointer data)
{
  Burst *b = data;
  guint32 seq;
  guint i;

  b->received++;
  if (len != BURST_SIZE) {
    b->corrupt++;
    return;
  }
  memcpy (&seq, buf, 4);
  seq = GUINT32_FROM_BE (seq);
  if (seq != b->expected_seq)
    b->out_of_order++;
  b->expected_seq = seq + 1;
  for (i = 4; i < len; i++) {
    if (buf[i] != burst_byte (seq, i)) {
      b->corrupt++;
      break;
    }
  }
}

typedef struct {
  Burst *burst;
  guint target;
} BurstWait;

static gboolean
burst_caught_up (gpointer data)
{
  BurstWait *w = data;

  return w->burst->received >= w->target;
}

/* 10 000 datagrams of 1200 bytes in batches; the sender waits for the
 * receiver to drain each batch (same thread), so loopback loses none. */
static void
test_burst (Fixture *f, gconstpointer data)
{
  guint8 (*bodies)[BURST_SIZE - 4] = g_malloc (BURST_BATCH * (BURST_SIZE - 4));
  guint32 headers[BURST_BATCH];
  GOutputVector vectors[BURST_BATCH][2];
  BurrowOutputMessage messages[BURST_BATCH];
  Burst burst = { 0 };
  BurstWait w = { &burst, 0 };
  guint sent = 0, i, j;
  gint64 start;

  assert_still_connects (f);
  g_assert_true (burrow_agent_attach_recv (f->b, f->sb, 1, NULL, burst_recv_cb, &burst));
  start = g_get_monotonic_time ();
  while (sent < BURST_COUNT) {
    g_autoptr(GError) error = NULL;
    guint n = MIN (BURST_BATCH, BURST_COUNT - sent);
    gint done;

    for (i = 0; i < n; i++) {
      guint32 seq = sent + i;

      headers[i] = GUINT32_TO_BE (seq);
      for (j = 0; j < BURST_SIZE - 4; j++)
        bodies[i][j] = burst_byte (seq, j + 4);
      vectors[i][0].buffer = &headers[i];
      vectors[i][0].size = 4;
      vectors[i][1].buffer = bodies[i];
      vectors[i][1].size = BURST_SIZE - 4;
      messages[i].buffers = vectors[i];
      messages[i].n_buffers = 2;
    }
    done = burrow_agent_send_messages_nonblocking (f->a, f->sa, 1, messages, n, NULL, &error);
    if (done < 0) {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
      g_main_context_iteration (NULL, FALSE);
      continue;
    }
    g_assert_cmpint (done, >, 0);
    sent += done;
    w.target = sent;
    if (!wait_until (burst_caught_up, &w, 2000))
      g_test_message ("%u sent, %u received", sent, burst.received);
    g_assert_cmpuint (burst.received, ==, sent);
  }
  g_test_message ("%u datagrams of %u bytes in %" G_GINT64_FORMAT " ms", BURST_COUNT,
      BURST_SIZE, (g_get_monotonic_time () - start) / 1000);
  g_assert_cmpuint (burst.received, ==, BURST_COUNT);
  g_assert_cmpuint (burst.out_of_order, ==, 0);
  g_assert_cmpuint (burst.corrupt, ==, 0);
  g_assert_cmpuint (burst.expected_seq, ==, BURST_COUNT);
  g_free (bodies);
}

/* Batches of mixed sizes: runs of equal datagrams go out segmented (UDP
 * GSO) and may come back coalesced (UDP GRO); every datagram must still
 * arrive alone, whole, in order, including the shorter one ending a run
 * and the longer one starting the next. */
static const guint mixed_sizes[] = {
  1200, 1200, 1200, 1200, 1200, 1200, 1200, 1200, 1200, 1200, 700, 1200, 1200, 1200,
  1300, 1300, 1300, 40, 8, 500, 500, 500, 500, 500, 500, 1200, 9000, 9000, 9000, 9000,
  9000, 9000, 9000, 9000, 1200,
};
#define MIXED_ROUNDS 50

typedef struct {
  guint received;
  guint wrong;                    /* wrong length, order or content */
} Mixed;

static void
mixed_recv_cb (BurrowAgent *agent, guint stream_id, guint component_id, guint len,
    const guint8 *buf, gpointer data)
{
  Mixed *m = data;
  guint32 seq;
  guint i;

  if (len < 4) {
    m->wrong++;
    return;
  }
  memcpy (&seq, buf, 4);
  seq = GUINT32_FROM_BE (seq);
  if (seq != m->received || len != mixed_sizes[seq % G_N_ELEMENTS (mixed_sizes)])
    m->wrong++;
  for (i = 4; i < len; i++) {
    if (buf[i] != burst_byte (seq, i)) {
      m->wrong++;
      break;
    }
  }
  m->received++;
}

typedef struct {
  Mixed *mixed;
  guint target;
} MixedWait;

static gboolean
mixed_caught_up (gpointer data)
{
  MixedWait *w = data;

  return w->mixed->received >= w->target;
}

static void
test_batch_mixed_sizes (Fixture *f, gconstpointer data)
{
  const guint n = G_N_ELEMENTS (mixed_sizes);
  guint8 (*bodies)[9000] = g_malloc (n * 9000);
  GOutputVector vectors[G_N_ELEMENTS (mixed_sizes)][3];
  guint32 headers[G_N_ELEMENTS (mixed_sizes)];
  BurrowOutputMessage messages[G_N_ELEMENTS (mixed_sizes)];
  Mixed mixed = { 0 };
  MixedWait w = { &mixed, 0 };
  guint round, i, j, sent = 0;

  assert_still_connects (f);
  g_assert_true (burrow_agent_attach_recv (f->b, f->sb, 1, NULL, mixed_recv_cb, &mixed));
  for (round = 0; round < MIXED_ROUNDS; round++) {
    guint done = 0;

    for (i = 0; i < n; i++) {
      guint32 seq = round * n + i;

      headers[i] = GUINT32_TO_BE (seq);
      for (j = 4; j < mixed_sizes[i]; j++)
        bodies[i][j - 4] = burst_byte (seq, j);
      vectors[i][0].buffer = &headers[i];
      vectors[i][0].size = 4;
      vectors[i][1].buffer = bodies[i];
      vectors[i][1].size = mixed_sizes[i] - 4;
      vectors[i][2].buffer = NULL;
      vectors[i][2].size = 0;
      messages[i].buffers = vectors[i];
      /* every other round the vectors end with a NULL buffer instead */
      messages[i].n_buffers = round % 2 ? -1 : 2;
    }
    while (done < n) {
      g_autoptr(GError) error = NULL;
      gint k = burrow_agent_send_messages_nonblocking (f->a, f->sa, 1, messages + done,
          n - done, NULL, &error);

      if (k < 0) {
        g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
        g_main_context_iteration (NULL, FALSE);
        continue;
      }
      g_assert_cmpint (k, >, 0);
      done += (guint) k;
    }
    sent += n;
    w.target = sent;
    g_assert_true (wait_until (mixed_caught_up, &w, 2000));
  }
  g_assert_cmpuint (mixed.received, ==, MIXED_ROUNDS * n);
  g_assert_cmpuint (mixed.wrong, ==, 0);
  g_free (bodies);
}

/* recv_messages from a second thread while this one runs the context */
#define THREAD_COUNT 50

typedef struct {
  BurrowAgent *agent;
  guint stream_id;
  GCancellable *cancellable;
  guint want;
  gchar *texts[THREAD_COUNT];
  guint got;
  gint result;                    /* of the last call */
  GError *error;
  gint done;                      /* atomic */
} Receiver;

static gpointer
receiver_thread (gpointer data)
{
  Receiver *r = data;

  while (r->got < r->want) {
    guint8 buffers[4][256];
    GInputVector vectors[4];
    BurrowInputMessage messages[4];
    gint i, n;

    for (i = 0; i < 4; i++) {
      vectors[i].buffer = buffers[i];
      vectors[i].size = sizeof buffers[i];
      messages[i].buffers = &vectors[i];
      messages[i].n_buffers = 1;
      messages[i].from = NULL;
      messages[i].length = 0;
    }
    n = burrow_agent_recv_messages (r->agent, r->stream_id, 1, messages,
        MIN (4, r->want - r->got), r->cancellable, &r->error);
    r->result = n;
    if (n < 0)
      break;
    for (i = 0; i < n && r->got < THREAD_COUNT; i++)
      r->texts[r->got++] = g_strndup ((const gchar *) buffers[i], messages[i].length);
  }
  g_atomic_int_set (&r->done, 1);
  /* the main thread may be asleep in its context, waiting for this */
  g_main_context_wakeup (NULL);
  return NULL;
}

static gboolean
receiver_done (gpointer data)
{
  Receiver *r = data;

  return g_atomic_int_get (&r->done) != 0;
}

static void
receiver_clear (Receiver *r)
{
  guint i;

  for (i = 0; i < r->got; i++)
    g_free (r->texts[i]);
  g_clear_error (&r->error);
  g_clear_object (&r->cancellable);
}

/* Waits for the thread (bounded), cancelling it if it takes too long. */
static void
receiver_join (Receiver *r, GThread *thread, guint timeout_ms)
{
  if (!wait_until (receiver_done, r, timeout_ms))
    g_cancellable_cancel (r->cancellable);
  if (!wait_until (receiver_done, r, 2000))
    g_error ("recv_messages did not return after its cancellable was cancelled");
  g_thread_join (thread);
}

static void
test_recv_messages_thread (Fixture *f, gconstpointer data)
{
  Receiver r = { 0 };
  GThread *thread;
  gint64 start;
  guint i;

  assert_still_connects (f);
  g_assert_true (burrow_agent_attach_recv (f->b, f->sb, 1, NULL, NULL, NULL));

  /* datagrams arrive through recv_messages: no callback is attached */
  r.agent = f->b;
  r.stream_id = f->sb;
  r.cancellable = g_cancellable_new ();
  r.want = THREAD_COUNT;
  start = g_get_monotonic_time ();
  thread = g_thread_new ("receiver", receiver_thread, &r);
  for (i = 0; i < THREAD_COUNT; i++) {
    g_autofree gchar *text = g_strdup_printf ("datagram %u", i);

    g_assert_cmpint (burrow_agent_send (f->a, f->sa, 1, strlen (text), (const guint8 *) text),
        ==, (gint) strlen (text));
    if (i % 10 == 9)
      burrow_test_sleep (5);
  }
  receiver_join (&r, thread, 5000);
  g_test_message ("%u datagrams through recv_messages in %" G_GINT64_FORMAT " ms", r.got,
      (g_get_monotonic_time () - start) / 1000);
  g_assert_no_error (r.error);
  g_assert_cmpuint (r.got, ==, THREAD_COUNT);
  for (i = 0; i < THREAD_COUNT; i++) {
    g_autofree gchar *text = g_strdup_printf ("datagram %u", i);

    g_assert_cmpstr (r.texts[i], ==, text);
  }
  receiver_clear (&r);

  /* nothing comes: the cancellable ends the wait */
  memset (&r, 0, sizeof r);
  r.agent = f->b;
  r.stream_id = f->sb;
  r.cancellable = g_cancellable_new ();
  r.want = 1;
  thread = g_thread_new ("receiver", receiver_thread, &r);
  burrow_test_sleep (200);
  g_assert_false (receiver_done (&r));
  start = g_get_monotonic_time ();
  g_cancellable_cancel (r.cancellable);
  receiver_join (&r, thread, 2000);
  start = (g_get_monotonic_time () - start) / 1000;
  g_test_message ("recv_messages returned %" G_GINT64_FORMAT " ms after the cancellation", start);
  g_assert_cmpint (start, <, 500);
  g_assert_cmpint (r.result, ==, -1);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (r.got, ==, 0);
  receiver_clear (&r);
}

/* ---- other threads: send and receive while the context's thread takes
 * the stream away (run under AddressSanitizer, a freed pair, socket or
 * component in use shows) ---- */

typedef struct {
  BurrowAgent *agent;
  guint stream_id;
  gint stop;                      /* atomic */
  guint sent;                     /* datagrams that went */
  guint refused;                  /* calls that returned -1 */
  guint refused_after_removal;
  gint removed;                   /* atomic: set before remove_stream returns */
} Sender;

static gpointer
sender_thread (gpointer data)
{
  Sender *s = data;
  guint8 payload[1200] = { 0 };
  GOutputVector vectors[16];
  BurrowOutputMessage messages[16];
  guint i, rounds = 0;

  for (i = 0; i < G_N_ELEMENTS (messages); i++) {
    vectors[i].buffer = payload;
    vectors[i].size = sizeof payload;
    messages[i].buffers = &vectors[i];
    messages[i].n_buffers = 1;
  }
  /* bounded: the main thread stops it, or 2 million rounds end it */
  while (!g_atomic_int_get (&s->stop) && rounds++ < 2000000) {
    gboolean removed = g_atomic_int_get (&s->removed);
    gint n;

    if (rounds % 2) {
      n = burrow_agent_send (s->agent, s->stream_id, 1, sizeof payload, payload);
      n = n < 0 ? -1 : 1;
    } else {
      n = burrow_agent_send_messages_nonblocking (s->agent, s->stream_id, 1, messages,
          G_N_ELEMENTS (messages), NULL, NULL);
    }
    if (n > 0) {
      s->sent += (guint) n;
    } else {
      s->refused++;
      if (removed)
        s->refused_after_removal++;
      g_thread_yield ();
    }
  }
  return NULL;
}

static gboolean
b_got_some (gpointer data)
{
  Fixture *f = data;

  return f->b_received >= 100;
}

static void
test_thread_send_while_removing (Fixture *f, gconstpointer data)
{
  Sender s = { f->a, f->sa, 0 };
  GThread *thread;

  assert_still_connects (f);
  thread = g_thread_new ("sender", sender_thread, &s);
  /* the data path works from the other thread */
  g_assert_true (wait_until (b_got_some, f, 5000));
  g_atomic_int_set (&s.removed, 1);
  burrow_agent_remove_stream (f->a, f->sa);
  /* the sender keeps trying on the stream that is gone */
  burrow_test_sleep (100);
  g_atomic_int_set (&s.stop, 1);
  g_thread_join (thread);
  g_test_message ("%u datagrams sent from the other thread, %u calls refused (%u after "
      "the removal), %u received", s.sent, s.refused, s.refused_after_removal, f->b_received);
  g_assert_cmpuint (s.sent, >=, 100);
  g_assert_cmpuint (s.refused_after_removal, >, 0);
  g_assert_cmpint (burrow_agent_send (f->a, f->sa, 1, 5, (const guint8 *) "gone!"), ==, -1);
}

/* A receiver blocked in another thread when its stream is removed returns
 * with G_IO_ERROR_CLOSED. */
static void
test_thread_recv_while_removing (Fixture *f, gconstpointer data)
{
  Receiver r = { 0 };
  GThread *thread;

  assert_still_connects (f);
  r.agent = f->b;
  r.stream_id = f->sb;
  r.cancellable = g_cancellable_new ();
  r.want = 1;
  thread = g_thread_new ("receiver", receiver_thread, &r);
  burrow_test_sleep (100);
  g_assert_false (receiver_done (&r));
  burrow_agent_remove_stream (f->b, f->sb);
  /* cancelled only if it does not return by itself */
  receiver_join (&r, thread, 2000);
  g_assert_cmpint (r.result, ==, -1);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_assert_cmpuint (r.got, ==, 0);
  receiver_clear (&r);
}

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  ADD ("/ice/agent-faults/request/unauthenticated", test_request_unauthenticated);
  ADD ("/ice/agent-faults/request/wrong-password", test_request_wrong_password);
  ADD ("/ice/agent-faults/request/wrong-username", test_request_wrong_username);
  ADD ("/ice/agent-faults/request/authentic-control", test_request_authentic_control);
  ADD ("/ice/agent-faults/request/mutated", test_request_mutated);
  ADD ("/ice/agent-faults/garbage", test_garbage);
  ADD ("/ice/agent-faults/response/unknown-transaction", test_response_unknown_transaction);
  ADD ("/ice/agent-faults/response/forged-for-pending-check",
      test_response_forged_for_pending_check);
  ADD ("/ice/agent-faults/response/authentic-control", test_response_authentic_control);
  ADD ("/ice/agent-faults/flood/remote-candidates", test_flood_remote_candidates);
  ADD ("/ice/agent-faults/sdp/hostile", test_sdp_hostile);
  ADD ("/ice/agent-faults/load/burst-in-order", test_burst);
  ADD ("/ice/agent-faults/load/batch-mixed-sizes", test_batch_mixed_sizes);
  ADD ("/ice/agent-faults/load/recv-messages-thread", test_recv_messages_thread);
  ADD ("/ice/agent-faults/threads/send-while-removing", test_thread_send_while_removing);
  ADD ("/ice/agent-faults/threads/recv-while-removing", test_thread_recv_while_removing);

  return g_test_run ();
}
