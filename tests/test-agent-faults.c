/* test-agent-faults.c: what a BurrowAgent does with forged, hostile and
 * excessive input: unauthenticated or mis-signed checks, garbage, spoofed
 * and forged responses from a plain socket, 10 000 remote candidates, and
 * hostile SDP. Nothing of it may change the agent's state, and the agent
 * must still connect with its real peer afterwards.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Besides the effects (states, signals, the selected pair, the role, the
 * remote candidates, data delivered), each test checks that the agent says
 * what it rejected: the rejected-packets property.
 *
 * Load and the data path from other threads are in test-agent-data.c.
 */
#include "agent-fixture.h"

#include <string.h>

#define CONNECT_TIMEOUT_MS 10000
#define SETTLE_MS 200
#define FLOOD_COUNT 10000
#define MAX_REMOTE_CANDIDATES 100   /* what burrow_agent_set_remote_candidates() documents */

/* A and B as agent-fixture.h makes them: A is controlling (aggressive
 * nomination), B controlled; both gathered, each knows the other's
 * credentials, neither the other's candidates. The attacker is a plain UDP
 * socket that writes to A's host candidate. */
typedef struct {
  AgentFixture pair;

  /* what A says */
  guint a_state_changes;
  guint a_selected;
  guint a_initial_binding;
  guint a_new_remote;
  guint a_role_notifies;

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

static gboolean
a_ready (gpointer data)
{
  Fixture *f = data;

  return burrow_agent_get_component_state (f->pair.a, f->pair.sa, 1) ==
      BURROW_COMPONENT_STATE_READY;
}

/* ---- signals ---- */

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

  g_assert_cmpint (g_socket_send_to (f->evil, G_SOCKET_ADDRESS (f->pair.a_host),
      (const gchar *) data, len, NULL, &error), ==, (gssize) len);
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

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  AgentFixture *p = &f->pair;

  agent_fixture_add_agents (p);
  g_signal_connect (p->a, "component-state-changed", G_CALLBACK (state_changed_cb), f);
  g_signal_connect (p->a, "new-selected-pair-full", G_CALLBACK (selected_pair_cb), f);
  g_signal_connect (p->a, "initial-binding-request-received", G_CALLBACK (initial_binding_cb), f);
  g_signal_connect (p->a, "new-remote-candidate-full", G_CALLBACK (new_remote_cb), f);
  g_signal_connect (p->a, "notify::controlling-mode", G_CALLBACK (role_notify_cb), f);
  agent_fixture_gather (p);

  f->evil = burrow_test_udp_socket ("127.0.0.1", &f->evil_port);
  f->evil_source = g_socket_create_source (f->evil, G_IO_IN, NULL);
  g_source_set_callback (f->evil_source, G_SOURCE_FUNC (evil_readable_cb), f, NULL);
  g_source_attach (f->evil_source, NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_source_destroy (f->evil_source);
  g_source_unref (f->evil_source);
  g_object_unref (f->evil);
  g_signal_handlers_disconnect_by_data (f->pair.a, f);
  agent_fixture_teardown (&f->pair, data);
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
  s->state = burrow_agent_get_component_state (f->pair.a, f->pair.sa, 1);
  s->selected = f->a_selected;
  s->initial_binding = f->a_initial_binding;
  s->new_remote = f->a_new_remote;
  s->role_notifies = f->a_role_notifies;
  g_object_get (f->pair.a, "controlling-mode", &s->controlling, NULL);
  s->remote_candidates = n_remote (f->pair.a, f->pair.sa, 1);
  s->received = f->pair.a_received;
  g_object_get (f->pair.a, "rejected-packets", &s->rejected, NULL);
}

static guint64
rejected_since (Fixture *f, const Snapshot *before)
{
  guint64 rejected;

  g_object_get (f->pair.a, "rejected-packets", &rejected, NULL);
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
  g_assert_false (burrow_agent_get_selected_pair (f->pair.a, f->pair.sa, 1, &local, &remote));
  /* and A answered nothing with a success */
  g_assert_cmpuint (f->evil_successes, ==, 0);
}

/* The real peer connects afterwards, and the pair is A's and B's hosts. */
static void
assert_still_connects (Fixture *f)
{
  agent_fixture_assert_connects (&f->pair);
}

/* ---- requests that fail authentication ---- */

static void
test_request_unauthenticated (Fixture *f, gconstpointer data)
{
  g_autofree gchar *username = g_strdup_printf ("%s:%s", f->pair.a_ufrag, f->pair.b_ufrag);
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
  g_autofree gchar *username = g_strdup_printf ("%s:%s", f->pair.a_ufrag, f->pair.b_ufrag);
  g_autoptr(GBytes) guessed = forge_check (username, "not-the-password-of-A-at-all", TRUE);
  /* keyed with B's password: what a confused or malicious B might use */
  g_autoptr(GBytes) peers = forge_check (username, f->pair.b_pwd, TRUE);
  /* the right key, but no FINGERPRINT, which ICE requires */
  g_autoptr(GBytes) unfingerprinted = forge_check (username, f->pair.a_pwd, FALSE);
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
  g_autofree gchar *username = g_strdup_printf ("%s:%s", f->pair.a_ufrag, f->pair.b_ufrag);
  g_autoptr(GBytes) check = forge_check (username, f->pair.a_pwd, TRUE);
  gboolean controlling;
  Snapshot before;

  snapshot (f, &before);
  evil_send_bytes (f, check);
  g_assert_true (agent_fixture_wait_until (evil_got_success, f, 2000));
  g_assert_cmpuint (rejected_since (f, &before), ==, 0);
  g_assert_cmpuint (f->a_initial_binding, ==, 1);
  g_assert_cmpuint (f->a_new_remote, ==, 1);
  g_assert_cmpuint (n_remote (f->pair.a, f->pair.sa, 1), ==, 1);
  g_object_get (f->pair.a, "controlling-mode", &controlling, NULL);
  g_assert_false (controlling);
  g_assert_cmpuint (f->a_role_notifies, ==, 1);
}

/* The attacker knows A's password but not the USERNAME A expects. */
static void
test_request_wrong_username (Fixture *f, gconstpointer data)
{
  g_autofree gchar *reversed = g_strdup_printf ("%s:%s", f->pair.b_ufrag, f->pair.a_ufrag);
  g_autofree gchar *longer = g_strdup_printf ("%sx:%s", f->pair.a_ufrag, f->pair.b_ufrag);
  g_autofree gchar *prefix = g_strdup_printf ("%.3s:%s", f->pair.a_ufrag, f->pair.b_ufrag);
  const gchar *usernames[] = { "wrong:user", reversed, longer, prefix, f->pair.a_ufrag, ":", "" };
  Snapshot before;
  guint i;

  snapshot (f, &before);
  for (i = 0; i < G_N_ELEMENTS (usernames); i++) {
    g_autoptr(GBytes) check = forge_check (usernames[i], f->pair.a_pwd, TRUE);

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
  g_autofree gchar *username = g_strdup_printf ("%s:%s", f->pair.a_ufrag, f->pair.b_ufrag);
  Snapshot before;
  guint i, expected = 0;

  snapshot (f, &before);
  for (i = 0; i < 400; i++) {
    g_autoptr(GBytes) check = forge_check (username, f->pair.a_pwd, TRUE);
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
    success = forge_response (tid, BURROW_STUN_CLASS_SUCCESS_RESPONSE, 0, f->pair.b_pwd, TRUE,
        f->pair.a_host);
    unsigned_success = forge_response (tid, BURROW_STUN_CLASS_SUCCESS_RESPONSE, 0, NULL, TRUE,
        f->pair.a_host);
    conflict = forge_response (tid, BURROW_STUN_CLASS_ERROR_RESPONSE, 487, f->pair.b_pwd, TRUE,
        NULL);
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
      g_inet_socket_address_get_port (f->pair.a_host));

  switch (n % 5) {
    case 0:   /* signed with a guessed key */
      return forge_response (tid, BURROW_STUN_CLASS_SUCCESS_RESPONSE, 0, "guessed-password-xxxxxx",
          TRUE, mapped);
    case 1:   /* not signed */
      return forge_response (tid, BURROW_STUN_CLASS_SUCCESS_RESPONSE, 0, NULL, TRUE, mapped);
    case 2:   /* signed with A's own password: the key of the other direction */
      return forge_response (tid, BURROW_STUN_CLASS_SUCCESS_RESPONSE, 0, f->pair.a_pwd, TRUE,
          mapped);
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
  g_object_set (f->pair.a, "stun-initial-timeout", 50, "stun-max-retransmissions", 7, NULL);
  burrow_candidate_set_address (evil, evil_address);
  burrow_candidate_set_priority (evil, 0x7effffff);
  burrow_candidate_set_foundation (evil, "evil");
  burrow_candidate_set_component_id (evil, 1);
  f->evil_answer = forged_answer;
  g_assert_cmpint (burrow_agent_set_remote_candidates (f->pair.a, f->pair.sa, 1, &one), ==, 1);
  g_assert_true (agent_fixture_wait_until (evil_answered_enough, f, 3000));
  /* no more forgeries: what A got is all handled after the pause */
  f->evil_answer = NULL;
  burrow_test_sleep (SETTLE_MS);

  /* checking, nothing more: no valid pair, no role change */
  g_assert_cmpuint (burrow_agent_get_component_state (f->pair.a, f->pair.sa, 1), ==,
      BURROW_COMPONENT_STATE_CONNECTING);
  g_assert_cmpuint (f->a_selected, ==, 0);
  g_assert_false (burrow_agent_get_selected_pair (f->pair.a, f->pair.sa, 1, &local, &remote));
  g_object_get (f->pair.a, "controlling-mode", &controlling, NULL);
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
      g_inet_socket_address_get_port (f->pair.a_host));

  return forge_response (tid, BURROW_STUN_CLASS_SUCCESS_RESPONSE, 0, f->pair.b_pwd, TRUE, mapped);
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
  g_assert_cmpint (burrow_agent_set_remote_candidates (f->pair.a, f->pair.sa, 1, &one), ==, 1);
  g_assert_true (agent_fixture_wait_until (a_ready, f, 3000));
  g_assert_cmpuint (f->a_selected, >=, 1);
  g_assert_true (burrow_agent_get_selected_pair (f->pair.a, f->pair.sa, 1, &local, &remote));
  got = burrow_test_address_to_string (burrow_candidate_get_address (remote));
  g_assert_cmpstr (got, ==, want);
}

/* ---- floods ---- */

static void
test_flood_remote_candidates (Fixture *f, gconstpointer data)
{
  GSList *real = burrow_agent_get_local_candidates (f->pair.b, f->pair.sb, 1);
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
  added = burrow_agent_set_remote_candidates (f->pair.a, f->pair.sa, 1, list);
  g_test_message ("set_remote_candidates with %u candidates: %d added in %" G_GINT64_FORMAT
      " ms", FLOOD_COUNT, added, (g_get_monotonic_time () - start) / 1000);
  g_assert_cmpint (added, >, 0);
  g_assert_cmpint (added, <=, MAX_REMOTE_CANDIDATES);
  g_assert_cmpuint (n_remote (f->pair.a, f->pair.sa, 1), ==, (guint) added);
  /* it says so (the count is per call, not per candidate dropped) */
  assert_rejected (f, &before, 1);

  /* more does not get past the bound */
  for (l = g_slist_nth (list, MAX_REMOTE_CANDIDATES + 1); l; l = l->next)
    more = g_slist_prepend (more, l->data);
  g_assert_cmpint (burrow_agent_set_remote_candidates (f->pair.a, f->pair.sa, 1, more), ==, 0);
  g_slist_free (more);
  kept = burrow_agent_get_remote_candidates (f->pair.a, f->pair.sa, 1);
  g_assert_cmpuint (g_slist_length (kept), <=, MAX_REMOTE_CANDIDATES);
  for (l = kept; l; l = l->next) {
    g_autofree gchar *address = burrow_test_address_to_string (burrow_candidate_get_address (
        l->data));
    g_autofree gchar *b = burrow_test_address_to_string (f->pair.b_host);

    real_kept |= g_str_equal (address, b);
  }
  g_assert_true (real_kept);
  g_slist_free_full (kept, g_object_unref);
  g_slist_free_full (list, g_object_unref);

  assert_still_connects (f);
  g_assert_cmpuint (n_remote (f->pair.a, f->pair.sa, 1), <=, MAX_REMOTE_CANDIDATES);
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
      burrow_agent_get_component_state (x->f->pair.b, x->f->pair.sb, 1) ==
      BURROW_COMPONENT_STATE_READY;
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
  BurrowAgent *h = agent_fixture_new_agent (TRUE);
  Hostile x = { h, 0, f };
  g_autofree gchar *valid = burrow_agent_generate_local_sdp (f->pair.b);
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
  g_assert_cmpint (burrow_agent_parse_remote_sdp (f->pair.b, h_sdp), ==, 1);
  g_assert_true (agent_fixture_wait_until (hostile_ready, &x, CONNECT_TIMEOUT_MS));
  g_object_unref (h);
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

  return g_test_run ();
}
