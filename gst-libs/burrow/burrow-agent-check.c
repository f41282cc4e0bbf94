/* burrow-agent-check.c: connectivity checks of the ICE agent
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * RFC 8445 section 6 and 7: STUN transactions, pairs and their
 * priorities, the check list with its frozen and waiting pairs per
 * foundation, pacing, triggered checks, the answers to our checks, regular
 * and aggressive nomination, and the component states that follow. The
 * peer's checks are burrow-agent-peer.c's, keep-alives and consent
 * burrow-agent-consent.c's. Every check carries MESSAGE-INTEGRITY and
 * FINGERPRINT; whatever fails them changes nothing.
 */
#include "config.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "burrow-ice"

#include <string.h>

#include "burrow-error.h"
#include "burrow-agent-private.h"
#include "stun/burrow-stun-credentials.h"
#include "stun/burrow-stun-private.h"
#include "stun/burrow-stun-endpoint.h"
#include "stun/burrow-stun-auth-private.h"

/* how long the controlling agent waits for better pairs before it
 * nominates the best valid one (regular nomination) */
#define NOMINATION_DELAY_MS 200

static void pacing_start (BurrowAgent *agent);

/* Whether @c is still the component @stream_id/@component_id of @agent:
 * a signal handler may have removed its stream. Stream ids are never
 * reused, so a match by id is the same component. */
gboolean
burrow_agent_component_alive (BurrowAgent *agent, guint stream_id, guint component_id,
    BurrowAgentComponent *c)
{
  return burrow_agent_find_component (agent, stream_id, component_id) == c;
}
static void send_check (BurrowAgentPair *pair);

/* ---- transactions ---- */

void
burrow_agent_transaction_free (BurrowAgentTransaction *t)
{
  if (t->timer) {
    g_source_destroy (t->timer);
    g_source_unref (t->timer);
  }
  if (t->pair && t->pair->check == t)
    t->pair->check = NULL;
  g_clear_pointer (&t->wire, g_bytes_unref);
  g_clear_pointer (&t->key, g_bytes_unref);
  g_clear_object (&t->to);
  g_clear_object (&t->gather_data);
  g_bytes_unref (t->tid);
  g_free (t);
}

void
burrow_agent_transactions_drop_stream (BurrowAgent *agent, BurrowAgentStream *stream)
{
  GHashTableIter iter;
  BurrowAgentTransaction *t;

  g_hash_table_iter_init (&iter, agent->transactions);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &t))
    if (t->stream == stream)
      g_hash_table_iter_remove (&iter);
}

static void transaction_timeout (BurrowAgentTransaction *t);

static gboolean
transaction_timer_cb (gpointer user_data)
{
  BurrowAgentTransaction *t = user_data;
  BURROW_AGENT_HOLD_SIGNALS (t->agent);

  g_clear_pointer (&t->timer, g_source_unref);
  if (t->sent >= t->max_sends) {
    transaction_timeout (t);
    return G_SOURCE_REMOVE;
  }
  burrow_agent_base_send (t->base, t->to, g_bytes_get_data (t->wire, NULL),
      g_bytes_get_size (t->wire));
  t->sent++;
  t->rto = MIN (t->rto * 2, 60000);
  t->timer = g_timeout_source_new (t->rto);
  g_source_set_static_name (t->timer, "[burrow] ICE retransmission");
  g_source_set_callback (t->timer, transaction_timer_cb, t, NULL);
  g_source_attach (t->timer, t->agent->context);
  return G_SOURCE_REMOVE;
}

/* Sends @request through @base and keeps the transaction; takes nothing. */
BurrowAgentTransaction *
burrow_agent_transaction_start (BurrowAgent *agent, BurrowAgentBase *base, GSocketAddress *to,
    BurrowStunMessage *request, const gchar *password)
{
  BurrowAgentTransaction *t = g_new0 (BurrowAgentTransaction, 1);
  gsize tid_len;
  const guint8 *tid = burrow_stun_message_get_transaction_id (request, &tid_len);
  g_autoptr(GError) error = NULL;

  t->agent = agent;
  t->tid = g_bytes_new (tid, tid_len);
  t->stream = base->component->stream;
  t->base = base;
  t->to = g_object_ref (to);
  if (password)
    t->key = burrow_stun_short_term_key (password, NULL);
  t->wire = burrow_stun_message_serialize (request, BURROW_STUN_SIGN_FINGERPRINT |
      (t->key ? BURROW_STUN_SIGN_MESSAGE_INTEGRITY : 0),
      t->key ? g_bytes_get_data (t->key, NULL) : NULL, t->key ? g_bytes_get_size (t->key) : 0,
      &error);
  if (t->wire == NULL) {
    g_warning ("Could not build a STUN request: %s", error->message);
    burrow_agent_transaction_free (t);
    return NULL;
  }
  t->max_sends = agent->max_retransmissions + 1;
  t->rto = agent->initial_timeout_ms;
  if (base->tcp) {
    /* RFC 6544 7.1: sent once over a reliable transport, answered within
     * what the retransmissions over UDP would take */
    t->max_sends = 1;
    t->rto = burrow_agent_tcp_check_timeout (agent);
  }
  t->sent = 0;
  g_hash_table_insert (agent->transactions, g_bytes_ref (t->tid), t);
  /* the first send goes out now, the rest from the timer */
  t->max_sends++;
  t->rto = MAX (t->rto / 2, 1);
  transaction_timer_cb (t);
  t->max_sends--;
  return t;
}

void
burrow_agent_send_gather_request (BurrowAgentBase *base, GSocketAddress *server,
    BurrowAgentGatherFunc func, gpointer user_data)
{
  g_autoptr(BurrowStunMessage) request = burrow_stun_message_new_request (BURROW_STUN_METHOD_BINDING);
  BurrowAgentTransaction *t;

  t = burrow_agent_transaction_start (base->component->stream->agent, base, server, request, NULL);
  if (t == NULL) {
    func (base, NULL, user_data);
    g_object_unref (user_data);
    return;
  }
  t->gather_func = func;
  t->gather_data = user_data;
}

/* ---- pairs ---- */

static guint64
pair_priority (BurrowAgent *agent, BurrowCandidate *local, BurrowCandidate *remote)
{
  guint64 g = agent->controlling ? burrow_candidate_get_priority (local) :
      burrow_candidate_get_priority (remote);
  guint64 d = agent->controlling ? burrow_candidate_get_priority (remote) :
      burrow_candidate_get_priority (local);

  return (MIN (g, d) << 32) + 2 * MAX (g, d) + (g > d ? 1 : 0);
}

static gint
pair_compare (gconstpointer a, gconstpointer b)
{
  const BurrowAgentPair *pa = *(BurrowAgentPair **) a;
  const BurrowAgentPair *pb = *(BurrowAgentPair **) b;

  return pa->priority < pb->priority ? 1 : pa->priority > pb->priority ? -1 : 0;
}

void
burrow_agent_pair_free (BurrowAgentPair *pair)
{
  BurrowAgent *agent = pair->component->stream->agent;

  GHashTableIter iter;
  BurrowAgentTransaction *t;

  /* the check and any consent check of the pair */
  g_hash_table_iter_init (&iter, agent->transactions);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &t))
    if (t->pair == pair)
      g_hash_table_iter_remove (&iter);
  g_queue_remove (&pair->component->stream->triggered, pair);
  g_clear_object (&pair->local);
  g_clear_object (&pair->remote);
  g_free (pair->foundation);
  g_free (pair);
}

static GInetAddress *
candidate_ip (BurrowCandidate *candidate)
{
  return g_inet_socket_address_get_address (burrow_candidate_get_address (candidate));
}

static gboolean
same_family (BurrowCandidate *a, BurrowCandidate *b)
{
  return g_inet_address_get_family (candidate_ip (a)) == g_inet_address_get_family (candidate_ip (b));
}

BurrowAgentPair *
burrow_agent_find_pair (BurrowAgentComponent *c, BurrowAgentBase *base, GSocketAddress *remote)
{
  BurrowAgentStream *s = c->stream;
  guint i;

  for (i = 0; i < s->pairs->len; i++) {
    BurrowAgentPair *p = s->pairs->pdata[i];

    if (p->component == c && p->base == base &&
        burrow_socket_address_equal (G_SOCKET_ADDRESS (burrow_candidate_get_address (p->remote)),
            remote))
      return p;
  }
  return NULL;
}

void
burrow_agent_pair_add (BurrowAgentComponent *c, BurrowAgentBase *base, BurrowCandidate *local,
    BurrowCandidate *remote)
{
  BurrowAgentStream *s = c->stream;
  BurrowAgent *agent = s->agent;
  BurrowAgentPair *pair;

  if (!same_family (local, remote) || !burrow_agent_transports_pair (local, remote) ||
      burrow_agent_find_pair (c, base, G_SOCKET_ADDRESS (burrow_candidate_get_address (remote))))
    return;
  if (s->pairs->len >= agent->max_checks) {
    BurrowAgentPair *last = s->pairs->pdata[s->pairs->len - 1];

    /* RFC 8445 6.1.2.5: keep the highest-priority pairs; never the
     * selected one, which data (and other threads) go through (a pair
     * selected by hand is still frozen) */
    if (pair_priority (agent, local, remote) <= last->priority || last->state != BURROW_PAIR_FROZEN ||
        last->component->selected == last) {
      agent->rejected++;
      return;
    }
    g_ptr_array_remove_index (s->pairs, s->pairs->len - 1);
  }
  pair = g_new0 (BurrowAgentPair, 1);
  pair->component = c;
  pair->base = base;
  pair->local = g_object_ref (local);
  pair->remote = g_object_ref (remote);
  pair->foundation = g_strdup_printf ("%s:%s", burrow_candidate_get_foundation (local),
      burrow_candidate_get_foundation (remote));
  pair->priority = pair_priority (agent, local, remote);
  pair->state = BURROW_PAIR_FROZEN;
  pair->remote_native_len = (guint) g_socket_address_get_native_size (
      G_SOCKET_ADDRESS (burrow_candidate_get_address (remote)));
  if (!g_socket_address_to_native (G_SOCKET_ADDRESS (burrow_candidate_get_address (remote)),
          &pair->remote_native, sizeof pair->remote_native, NULL))
    pair->remote_native_len = 0;
  g_ptr_array_add (s->pairs, pair);
  g_ptr_array_sort (s->pairs, pair_compare);
  burrow_agent_base_permit (base, candidate_ip (remote));
}

void
burrow_agent_pairs_add_local (BurrowAgentComponent *c, BurrowAgentBase *base,
    BurrowCandidate *local)
{
  guint i;

  for (i = 0; i < c->remote_candidates->len; i++)
    burrow_agent_pair_add (c, base, local, c->remote_candidates->pdata[i]);
  burrow_agent_checks_start (c->stream);
}

void
burrow_agent_pairs_add_remote (BurrowAgentComponent *c, BurrowCandidate *remote)
{
  BurrowAgent *agent = c->stream->agent;
  guint i;

  for (i = 0; i < c->bases->len; i++) {
    BurrowAgentBase *base = c->bases->pdata[i];

    if (base->candidate == NULL || (agent->force_relay && base->relay == NULL))
      continue;
    if (base->tcp) {
      burrow_agent_tcp_pair (base, remote);
      continue;
    }
    if (base->relay == NULL && base->socket == NULL)
      continue;
    burrow_agent_pair_add (c, base, base->candidate, remote);
  }
}

static void
recompute_priorities (BurrowAgent *agent)
{
  guint i, j;

  for (i = 0; i < agent->streams->len; i++) {
    BurrowAgentStream *s = agent->streams->pdata[i];

    for (j = 0; j < s->pairs->len; j++) {
      BurrowAgentPair *p = s->pairs->pdata[j];

      p->priority = pair_priority (agent, p->local, p->remote);
    }
    g_ptr_array_sort (s->pairs, pair_compare);
  }
}

/* RFC 8445 6.1.2.6: for each foundation with nothing going on, the first
 * frozen pair (highest priority) becomes waiting. */
static void
unfreeze (BurrowAgentStream *s, const gchar *foundation)
{
  g_autoptr(GHashTable) active = g_hash_table_new (g_str_hash, g_str_equal);
  guint i;

  for (i = 0; i < s->pairs->len; i++) {
    BurrowAgentPair *p = s->pairs->pdata[i];

    if (p->state != BURROW_PAIR_FROZEN && p->state != BURROW_PAIR_FAILED)
      g_hash_table_add (active, p->foundation);
  }
  for (i = 0; i < s->pairs->len; i++) {
    BurrowAgentPair *p = s->pairs->pdata[i];

    if (p->state != BURROW_PAIR_FROZEN)
      continue;
    if (foundation ? strcmp (foundation, p->foundation) == 0 :
        !g_hash_table_contains (active, p->foundation)) {
      p->state = BURROW_PAIR_WAITING;
      g_hash_table_add (active, p->foundation);
    }
  }
}

static gboolean
stream_ready_for_checks (BurrowAgentStream *s)
{
  return s->remote_ufrag != NULL && s->remote_pwd != NULL && s->pairs->len > 0;
}

void
burrow_agent_checks_start (BurrowAgentStream *s)
{
  guint i;

  if (!stream_ready_for_checks (s))
    return;
  /* RFC 8445 6.1.1: an ICE-lite agent is always controlled */
  if (!s->agent->full_mode)
    burrow_agent_set_controlling (s->agent, FALSE);
  unfreeze (s, NULL);
  for (i = 0; i < s->components->len; i++) {
    BurrowAgentComponent *c = s->components->pdata[i];

    if (c->state == BURROW_COMPONENT_STATE_DISCONNECTED ||
        c->state == BURROW_COMPONENT_STATE_GATHERING)
      burrow_agent_component_set_state (c, BURROW_COMPONENT_STATE_CONNECTING);
  }
  pacing_start (s->agent);
}

void
burrow_agent_checks_stop (BurrowAgentStream *s)
{
  guint i;

  g_queue_clear (&s->triggered);
  for (i = 0; i < s->components->len; i++) {
    BurrowAgentComponent *c = s->components->pdata[i];

    if (c->nomination_timer) {
      g_source_destroy (c->nomination_timer);
      g_clear_pointer (&c->nomination_timer, g_source_unref);
    }
    /* the selected pair keeps carrying data (RFC 8445 section 9) */
    if (c->selected && !c->selected_owned) {
      guint index;

      if (c->selected->check)
        g_hash_table_remove (s->agent->transactions, c->selected->check->tid);
      if (g_ptr_array_find (s->pairs, c->selected, &index))
        g_ptr_array_steal_index (s->pairs, index);
      c->selected_owned = TRUE;
    }
  }
  g_ptr_array_set_size (s->pairs, 0);
}

/* ---- pacing ---- */

static BurrowAgentPair *
next_waiting (BurrowAgentStream *s)
{
  guint i;

  for (i = 0; i < s->pairs->len; i++) {
    BurrowAgentPair *p = s->pairs->pdata[i];

    if (p->state == BURROW_PAIR_WAITING)
      return p;
  }
  return NULL;
}

static gboolean
has_frozen (BurrowAgentStream *s)
{
  guint i;

  for (i = 0; i < s->pairs->len; i++)
    if (((BurrowAgentPair *) s->pairs->pdata[i])->state == BURROW_PAIR_FROZEN)
      return TRUE;
  return FALSE;
}

/* One check for @s, if it has one to send. */
static gboolean
stream_tick (BurrowAgentStream *s)
{
  BurrowAgentPair *pair;

  if (!stream_ready_for_checks (s))
    return FALSE;
  pair = g_queue_pop_head (&s->triggered);
  if (pair == NULL)
    pair = next_waiting (s);
  if (pair == NULL && has_frozen (s)) {
    unfreeze (s, NULL);
    pair = next_waiting (s);
  }
  if (pair == NULL)
    return FALSE;
  send_check (pair);
  return TRUE;
}

/* One check for the next stream that has one. */
static gboolean
pacing_round (BurrowAgent *agent)
{
  guint i, n = agent->streams->len;

  /* Ta paces all the agent's checks together (RFC 8445 section 14) */
  for (i = 0; i < n; i++) {
    BurrowAgentStream *s = agent->streams->pdata[(agent->pacing_stream + i) % n];

    if (stream_tick (s)) {
      agent->pacing_stream = (agent->pacing_stream + i + 1) % n;
      return TRUE;
    }
  }
  return FALSE;
}

static gboolean
pacing_cb (gpointer user_data)
{
  BurrowAgent *agent = user_data;
  BURROW_AGENT_HOLD_SIGNALS (agent);

  if (pacing_round (agent))
    return G_SOURCE_CONTINUE;
  g_clear_pointer (&agent->pacing_timer, g_source_unref);
  return G_SOURCE_REMOVE;
}

static void
pacing_start (BurrowAgent *agent)
{
  /* an ICE-lite agent never checks: it answers (RFC 8445 section 2.5) */
  if (agent->pacing_timer || !agent->full_mode)
    return;
  agent->pacing_timer = g_timeout_source_new (agent->pacing_ms);
  g_source_set_static_name (agent->pacing_timer, "[burrow] ICE pacing");
  g_source_set_callback (agent->pacing_timer, pacing_cb, agent, NULL);
  g_source_attach (agent->pacing_timer, agent->context);
  /* the first check goes now, the next ones Ta apart */
  pacing_round (agent);
}

void
burrow_agent_pair_trigger (BurrowAgentPair *pair)
{
  BurrowAgentStream *s = pair->component->stream;

  if (g_queue_find (&s->triggered, pair))
    return;
  if (pair->state == BURROW_PAIR_IN_PROGRESS && pair->check) {
    /* RFC 8445 7.3.1.4: cancel the check in progress (its answer, should
     * one come within its timeout, still counts) and check again now */
    pair->check->cancelled = TRUE;
    pair->check->max_sends = pair->check->sent;
    pair->check = NULL;
  }
  pair->state = BURROW_PAIR_WAITING;
  g_queue_push_tail (&s->triggered, pair);
  pacing_start (s->agent);
}

/* ---- sending checks ---- */

/* RFC 8445 7.1.1: the priority a peer-reflexive candidate based on @local
 * would get; for TCP the direction and other-pref of RFC 6544 4.2 */
static guint32
prflx_priority (BurrowCandidate *local, guint component_id)
{
  BurrowCandidateTransport transport = burrow_candidate_get_transport (local);
  guint32 local_pref = (burrow_candidate_get_priority (local) >> 8) & 0xffff;

  if (transport != BURROW_CANDIDATE_TRANSPORT_UDP)
    local_pref &= 0x1fff;
  return burrow_candidate_compute_priority (BURROW_CANDIDATE_TYPE_PEER_REFLEXIVE, transport,
      local_pref, component_id);
}

BurrowStunMessage *
burrow_agent_build_check (BurrowAgentPair *pair, gboolean use_candidate)
{
  BurrowAgentStream *s = pair->component->stream;
  BurrowAgent *agent = s->agent;
  BurrowStunMessage *msg = burrow_stun_message_new_request (BURROW_STUN_METHOD_BINDING);
  g_autofree gchar *username = g_strdup_printf ("%s:%s", s->remote_ufrag, s->local_ufrag);
  /* RFC 8445 7.1.1: the priority a peer-reflexive candidate would get */
  guint32 priority = prflx_priority (pair->local, pair->component->id);

  burrow_stun_message_add_string (msg, BURROW_STUN_ATTRIBUTE_USERNAME, username);
  burrow_stun_message_add_uint32 (msg, BURROW_STUN_ATTRIBUTE_PRIORITY, priority);
  burrow_stun_message_add_uint64 (msg, agent->controlling ? BURROW_STUN_ATTRIBUTE_ICE_CONTROLLING :
      BURROW_STUN_ATTRIBUTE_ICE_CONTROLLED, agent->tie_breaker);
  if (agent->controlling && use_candidate)
    burrow_stun_message_add_flag (msg, BURROW_STUN_ATTRIBUTE_USE_CANDIDATE);
  return msg;
}

static void
send_check (BurrowAgentPair *pair)
{
  BurrowAgentStream *s = pair->component->stream;
  BurrowAgent *agent = s->agent;
  gboolean use_candidate = agent->controlling &&
      (agent->nomination_mode == BURROW_NOMINATION_MODE_AGGRESSIVE || pair->use_candidate);
  g_autoptr(BurrowStunMessage) msg = burrow_agent_build_check (pair, use_candidate);

  g_debug ("stream %u component %u: check %s%s", s->id, pair->component->id, pair->foundation,
      use_candidate ? " (nominating)" : "");
  if (pair->check)
    g_hash_table_remove (agent->transactions, pair->check->tid);
  pair->state = BURROW_PAIR_IN_PROGRESS;
  pair->check = burrow_agent_transaction_start (agent, pair->base,
      G_SOCKET_ADDRESS (burrow_candidate_get_address (pair->remote)), msg, s->remote_pwd);
  if (pair->check == NULL) {
    pair->state = BURROW_PAIR_FAILED;
    return;
  }
  pair->check->pair = pair;
  pair->check->controlling = agent->controlling;
  pair->use_candidate = use_candidate;
}

/* ---- selection, nomination, states ---- */

static void
select_pair (BurrowAgentComponent *c, BurrowAgentPair *pair)
{
  BurrowAgent *agent = c->stream->agent;
  BurrowAgentPair *old = c->selected_owned ? c->selected : NULL;

  if (c->selected == pair)
    return;
  /* senders in other threads see one pair or the other, never a freed one */
  g_mutex_lock (&agent->lock);
  c->selected = pair;
  g_mutex_unlock (&agent->lock);
  if (old) {
    burrow_agent_pair_free (old);
    c->selected_owned = FALSE;
  }
  pair->last_consent = g_get_monotonic_time ();
  g_debug ("stream %u component %u selected %s", c->stream->id, c->id, pair->foundation);
  burrow_agent_keepalive_start (c->stream->agent);
  burrow_agent_emit_selected_pair (c);
}

static BurrowAgentPair *
best_valid (BurrowAgentComponent *c, gboolean nominated)
{
  guint i;

  for (i = 0; i < c->stream->pairs->len; i++) {
    BurrowAgentPair *p = c->stream->pairs->pdata[i];

    if (p->component == c && p->valid && (!nominated || p->nominated))
      return p;
  }
  return NULL;
}

void
burrow_agent_component_update_state (BurrowAgentComponent *c)
{
  BurrowAgentStream *s = c->stream;
  gboolean pending = FALSE, any = FALSE;
  BurrowAgentPair *nominated = best_valid (c, TRUE);
  guint i;

  if (c->state == BURROW_COMPONENT_STATE_FAILED)
    return;
  if (nominated) {
    BurrowAgent *agent = s->agent;
    guint sid = s->id, cid = c->id;

    /* each signal may remove the stream (or the agent's last reference) */
    g_object_ref (agent);
    select_pair (c, nominated);
    /* libnice always passes through CONNECTED; ported code waits for it */
    if (burrow_agent_component_alive (agent, sid, cid, c) && c->state != BURROW_COMPONENT_STATE_READY)
      burrow_agent_component_set_state (c, BURROW_COMPONENT_STATE_CONNECTED);
    if (burrow_agent_component_alive (agent, sid, cid, c))
      burrow_agent_component_set_state (c, BURROW_COMPONENT_STATE_READY);
    g_object_unref (agent);
    return;
  }
  if (c->state == BURROW_COMPONENT_STATE_READY && c->selected)
    return;
  if (best_valid (c, FALSE)) {
    burrow_agent_component_set_state (c, BURROW_COMPONENT_STATE_CONNECTED);
    return;
  }
  for (i = 0; i < s->pairs->len; i++) {
    BurrowAgentPair *p = s->pairs->pdata[i];

    if (p->component != c)
      continue;
    any = TRUE;
    if (p->state != BURROW_PAIR_FAILED)
      pending = TRUE;
  }
  /* with trickle ICE, more candidates may come until end-of-candidates */
  if (any && !pending && s->gathering_done &&
      (s->peer_gathering_done || !s->agent->ice_trickle))
    burrow_agent_component_set_state (c, BURROW_COMPONENT_STATE_FAILED);
}

static gboolean
nomination_timer_cb (gpointer user_data)
{
  BurrowAgentComponent *c = user_data;
  BurrowAgentPair *best = best_valid (c, FALSE);
  BURROW_AGENT_HOLD_SIGNALS (c->stream->agent);

  g_clear_pointer (&c->nomination_timer, g_source_unref);
  if (best && !best->nominated && c->stream->agent->controlling) {
    /* regular nomination: check the chosen pair again with USE-CANDIDATE */
    best->use_candidate = TRUE;
    burrow_agent_pair_trigger (best);
  }
  return G_SOURCE_REMOVE;
}

static void
schedule_nomination (BurrowAgentComponent *c)
{
  if (c->nomination_timer || best_valid (c, TRUE))
    return;
  c->nomination_timer = g_timeout_source_new (NOMINATION_DELAY_MS);
  g_source_set_static_name (c->nomination_timer, "[burrow] ICE nomination");
  g_source_set_callback (c->nomination_timer, nomination_timer_cb, c, NULL);
  g_source_attach (c->nomination_timer, c->stream->agent->context);
}

/* After a role switch: a new controlling agent nominates the working
 * pairs nobody nominated yet. */
static void
role_changed (BurrowAgent *agent)
{
  guint i, j;

  recompute_priorities (agent);
  burrow_agent_notify_controlling (agent);
  if (!agent->controlling)
    return;
  for (i = 0; i < agent->streams->len; i++) {
    BurrowAgentStream *s = agent->streams->pdata[i];

    for (j = 0; j < s->components->len; j++) {
      BurrowAgentComponent *c = s->components->pdata[j];

      if (best_valid (c, FALSE) && !best_valid (c, TRUE))
        schedule_nomination (c);
    }
  }
}

/* Takes a role: when it changes, pair priorities follow (they depend on
 * it), controlling-mode is notified, and a new controlling agent nominates
 * the pairs that work. */
void
burrow_agent_set_controlling (BurrowAgent *agent, gboolean controlling)
{
  if (agent->controlling == !!controlling)
    return;
  agent->controlling = !!controlling;
  role_changed (agent);
}

gboolean
burrow_agent_select_pair_by_foundation (BurrowAgentComponent *c, const gchar *lfoundation,
    const gchar *rfoundation)
{
  BurrowAgentStream *s = c->stream;
  guint i;

  for (i = 0; i < s->pairs->len; i++) {
    BurrowAgentPair *p = s->pairs->pdata[i];

    if (p->component == c &&
        g_strcmp0 (burrow_candidate_get_foundation (p->local), lfoundation) == 0 &&
        g_strcmp0 (burrow_candidate_get_foundation (p->remote), rfoundation) == 0) {
      p->valid = TRUE;
      p->nominated = TRUE;
      burrow_agent_component_update_state (c);
      return TRUE;
    }
  }
  return FALSE;
}

/* ---- answers to our checks ---- */

static void
add_local_prflx (BurrowAgentPair *pair, GInetSocketAddress *mapped)
{
  BurrowAgentComponent *c = pair->component;
  BurrowCandidate *candidate;
  g_autofree gchar *foundation = NULL;
  guint i;

  for (i = 0; i < c->local_candidates->len; i++)
    if (burrow_candidate_get_transport (c->local_candidates->pdata[i]) ==
        burrow_candidate_get_transport (pair->local) &&
        burrow_agent_tcp_mapped_is_local (c->local_candidates->pdata[i], mapped))
      return;
  /* RFC 8445 7.2.5.3.1: a new peer-reflexive local candidate */
  candidate = burrow_candidate_copy (pair->local);
  burrow_candidate_set_candidate_type (candidate, BURROW_CANDIDATE_TYPE_PEER_REFLEXIVE);
  burrow_candidate_set_address (candidate, mapped);
  burrow_candidate_set_related_address (candidate, pair->base->address);
  burrow_candidate_set_priority (candidate, prflx_priority (pair->local, c->id));
  foundation = burrow_candidate_make_foundation (BURROW_CANDIDATE_TYPE_PEER_REFLEXIVE,
      g_inet_socket_address_get_address (pair->base->address), NULL,
      burrow_candidate_get_transport (pair->local));
  burrow_candidate_set_foundation (candidate, foundation);
  g_ptr_array_add (c->local_candidates, candidate);
  burrow_agent_emit_new_candidate (c->stream->agent, candidate);
}

static void
check_succeeded (BurrowAgentPair *pair, BurrowStunMessage *response, gboolean use_candidate)
{
  BurrowAgentComponent *c = pair->component;
  BurrowAgent *agent = c->stream->agent;
  g_autoptr(GInetSocketAddress) mapped = burrow_stun_message_get_xor_mapped_address (response);

  if (mapped && !burrow_agent_tcp_mapped_is_local (pair->local, mapped)) {
    BurrowAgentStream *s = c->stream;
    guint sid = s->id, cid = c->id;

    add_local_prflx (pair, mapped);
    /* new-candidate-full may have removed or restarted the stream */
    if (!burrow_agent_component_alive (agent, sid, cid, c) || !g_ptr_array_find (s->pairs, pair, NULL))
      return;
  }
  pair->state = BURROW_PAIR_SUCCEEDED;
  pair->valid = TRUE;
  pair->last_consent = g_get_monotonic_time ();
  unfreeze (c->stream, pair->foundation);
  /* the pacing timer may have stopped while this check was out */
  pacing_start (agent);
  if (agent->controlling && use_candidate)
    pair->nominated = TRUE;
  else if (!agent->controlling && pair->nominate_on_success)
    pair->nominated = TRUE;
  if (agent->controlling && !pair->nominated)
    schedule_nomination (c);
  if (!pair->nominated && c->selected == NULL)
    select_pair (c, pair);
  burrow_agent_component_update_state (c);
}

static void
check_answered (BurrowAgentTransaction *t, BurrowAgentBase *base, BurrowStunMessage *response,
    GSocketAddress *from)
{
  BurrowAgentPair *pair = t->pair;
  BurrowAgent *agent = t->agent;
  gboolean use_candidate = pair->use_candidate;
  guint code;

  if (pair->check == t)
    pair->check = NULL;
  else if (pair->state == BURROW_PAIR_SUCCEEDED || pair->state == BURROW_PAIR_FAILED)
    return;                     /* a cancelled check's answer, after the newer one's */
  if (burrow_stun_message_get_message_class (response) == BURROW_STUN_CLASS_ERROR_RESPONSE) {
    code = burrow_stun_response_error (response, NULL);
    if (code == 487) {
      /* RFC 8445 7.2.5.1: switch to the role opposite to the one the
       * check was sent in, unless a request from the peer already made
       * us switch, and check again */
      burrow_agent_set_controlling (agent, !t->controlling);
      pair->state = BURROW_PAIR_WAITING;
      burrow_agent_pair_trigger (pair);
      return;
    }
    pair->state = BURROW_PAIR_FAILED;
  } else if (!burrow_socket_address_equal (from, t->to) || base != t->base) {
    /* RFC 8445 7.2.5.2.1: the answer must come from where the check went,
     * and arrive where it left from */
    pair->state = BURROW_PAIR_FAILED;
  } else if (pair->component->selected == pair && pair->valid && !use_candidate &&
             pair->state == BURROW_PAIR_SUCCEEDED) {
    pair->last_consent = g_get_monotonic_time ();
    return;
  } else {
    check_succeeded (pair, response, use_candidate);
    return;
  }
  burrow_agent_component_update_state (pair->component);
}

static void
transaction_timeout (BurrowAgentTransaction *t)
{
  BurrowAgentPair *pair = t->pair;
  BurrowAgent *agent = g_object_ref (t->agent);
  /* the callbacks and signals below may free @t (by removing its stream)
   * and drop the agent's last reference */
  g_autoptr(GBytes) tid = g_bytes_ref (t->tid);

  if (t->gather_func) {
    BurrowAgentGatherFunc func = t->gather_func;

    t->gather_func = NULL;
    func (t->base, NULL, t->gather_data);
  } else if (pair && !t->consent && !t->cancelled && pair->check == t) {
    pair->check = NULL;
    pair->state = BURROW_PAIR_FAILED;
    t->pair = NULL;
    burrow_agent_component_update_state (pair->component);
  }
  g_hash_table_remove (agent->transactions, tid);
  g_object_unref (agent);
}

static gboolean
response_authentic (BurrowAgentTransaction *t, BurrowStunMessage *response)
{
  if (burrow_stun_message_has_attribute (response, BURROW_STUN_ATTRIBUTE_FINGERPRINT) &&
      !burrow_stun_message_check_fingerprint (response))
    return FALSE;
  if (t->key == NULL)
    return TRUE;
  return burrow_stun_message_check_integrity (response, g_bytes_get_data (t->key, NULL),
      g_bytes_get_size (t->key));
}

void
burrow_agent_handle_response (BurrowAgent *agent, BurrowAgentBase *base, BurrowStunMessage *response,
    GSocketAddress *from)
{
  gsize len;
  const guint8 *tid = burrow_stun_message_get_transaction_id (response, &len);
  g_autoptr(GBytes) key = g_bytes_new_static (tid, len);
  BurrowAgentTransaction *t = g_hash_table_lookup (agent->transactions, key);

  if (t == NULL || burrow_stun_message_get_method (response) != BURROW_STUN_METHOD_BINDING ||
      !response_authentic (t, response)) {
    g_debug ("dropping a STUN response that answers no check or fails its integrity");
    agent->rejected++;
    return;
  }
  if (t->gather_func) {
    BurrowAgentGatherFunc func = t->gather_func;

    t->gather_func = NULL;
    if (burrow_socket_address_equal (from, t->to) && base == t->base &&
        burrow_stun_message_get_message_class (response) == BURROW_STUN_CLASS_SUCCESS_RESPONSE)
      func (t->base, response, t->gather_data);
    else
      func (t->base, NULL, t->gather_data);
  } else if (t->pair) {
    if (t->consent) {
      /* RFC 7675 5.1: only an authenticated success response, from where
       * the request went and to where it came from, refreshes consent */
      if (burrow_stun_message_get_message_class (response) == BURROW_STUN_CLASS_SUCCESS_RESPONSE &&
          base == t->base && burrow_socket_address_equal (from, t->to))
        t->pair->last_consent = g_get_monotonic_time ();
    } else {
      check_answered (t, base, response, from);
    }
  }
  g_hash_table_remove (agent->transactions, key);
}
