/* burrow-agent.c: ICE agent object, streams, credentials and candidates
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "burrow-ice"

#include <string.h>

#include "burrow-error.h"
#include "burrow-enum-types.h"
#include "burrow-agent-private.h"

/**
 * BurrowAgent:
 *
 * An ICE agent (RFC 8445, with trickle ICE from RFC 8838 and consent
 * freshness from RFC 7675) whose interface is libnice's `NiceAgent`: the
 * same methods, arguments, properties and signals, with the `burrow_`
 * prefix, so that a libnice program ports by renaming. Candidates are
 * [class@Burrow.Candidate] objects instead of boxed `NiceCandidate`s;
 * [method@Burrow.Agent.send] takes bytes and
 * [method@Burrow.Agent.attach_recv] hands bytes to an introspectable
 * callback, so Python and GJS programs can exchange data without
 * GStreamer. See the porting guide for every difference.
 *
 * An agent has streams (one per media line), each with components (RTP,
 * RTCP…). For each stream: set the remote credentials, gather local
 * candidates, exchange them with the peer (all at once or trickled), and
 * the agent checks connectivity and selects one pair per component. All
 * signals are emitted on the agent's [struct@GLib.MainContext].
 *
 * Since: 0.1
 */

G_DEFINE_FINAL_TYPE (BurrowAgent, burrow_agent, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_COMPATIBILITY,
  PROP_MAIN_CONTEXT,
  PROP_CONTROLLING_MODE,
  PROP_FULL_MODE,
  PROP_STUN_SERVER,
  PROP_STUN_SERVER_PORT,
  PROP_ICE_UDP,
  PROP_ICE_TCP,
  PROP_UPNP,
  PROP_KEEPALIVE_CONNCHECK,
  PROP_FORCE_RELAY,
  PROP_NOMINATION_MODE,
  PROP_ICE_TRICKLE,
  PROP_CONSENT_FRESHNESS,
  PROP_MAX_CONNECTIVITY_CHECKS,
  PROP_STUN_PACING_TIMER,
  PROP_STUN_MAX_RETRANSMISSIONS,
  PROP_STUN_INITIAL_TIMEOUT,
  PROP_REJECTED_PACKETS,
  PROP_TLS_CA_FILE,
  N_PROPS
};

enum {
  SIGNAL_CANDIDATE_GATHERING_DONE,
  SIGNAL_COMPONENT_STATE_CHANGED,
  SIGNAL_NEW_CANDIDATE_FULL,
  SIGNAL_NEW_REMOTE_CANDIDATE_FULL,
  SIGNAL_NEW_SELECTED_PAIR_FULL,
  SIGNAL_INITIAL_BINDING_REQUEST_RECEIVED,
  SIGNAL_STREAMS_REMOVED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];


/* ---- signals, emitted by the other parts ----
 *
 * As libnice does, signals raised while the agent is at work (handling a
 * datagram, a timer, an API call) wait in a queue until it is done: a
 * handler may then remove streams, restart, or drop the agent's last
 * reference without pulling anything from under the code that raised the
 * signal. They are emitted in the order raised, the agent referenced, and
 * a handler's own calls add to the end of the queue (emitted once that
 * handler returns). Outside a hold they are emitted at once. */

typedef struct {
  guint signal;                   /* index in signals[]; N_SIGNALS: notify */
  guint stream_id;
  guint component_id;
  guint state;
  BurrowCandidate *local;
  BurrowCandidate *remote;
  GVariant *ids;
} PendingSignal;

static void
pending_signal_free (PendingSignal *p)
{
  g_clear_object (&p->local);
  g_clear_object (&p->remote);
  g_clear_pointer (&p->ids, g_variant_unref);
  g_free (p);
}

static void
emit_pending (BurrowAgent *agent, PendingSignal *p)
{
  switch (p->signal) {
    case SIGNAL_CANDIDATE_GATHERING_DONE:
    case SIGNAL_INITIAL_BINDING_REQUEST_RECEIVED:
      g_signal_emit (agent, signals[p->signal], 0, p->stream_id);
      break;
    case SIGNAL_COMPONENT_STATE_CHANGED:
      g_signal_emit (agent, signals[p->signal], 0, p->stream_id, p->component_id, p->state);
      break;
    case SIGNAL_NEW_CANDIDATE_FULL:
    case SIGNAL_NEW_REMOTE_CANDIDATE_FULL:
      g_signal_emit (agent, signals[p->signal], 0, p->local);
      break;
    case SIGNAL_NEW_SELECTED_PAIR_FULL:
      g_signal_emit (agent, signals[p->signal], 0, p->stream_id, p->component_id, p->local,
          p->remote);
      break;
    case SIGNAL_STREAMS_REMOVED:
      g_signal_emit (agent, signals[p->signal], 0, p->ids);
      break;
    default:
      g_object_notify_by_pspec (G_OBJECT (agent), properties[PROP_CONTROLLING_MODE]);
      break;
  }
}

static void
flush_signals (BurrowAgent *agent)
{
  PendingSignal *p;

  /* one flush at a time: a handler's calls queue behind it */
  if (agent->flushing || g_queue_is_empty (&agent->pending_signals))
    return;
  agent->flushing = TRUE;
  g_object_ref (agent);
  while ((p = g_queue_pop_head (&agent->pending_signals)) != NULL) {
    emit_pending (agent, p);
    pending_signal_free (p);
  }
  agent->flushing = FALSE;
  g_object_unref (agent);
}

/* Around the agent's work: keeps the agent alive and its signals queued
 * until the matching release, which emits them. */
BurrowAgentSignalHold *
burrow_agent_hold_signals (BurrowAgent *agent)
{
  if (!BURROW_IS_AGENT (agent))
    return NULL;
  g_object_ref (agent);
  agent->signal_holds++;
  return agent;
}

void
burrow_agent_release_signals (BurrowAgentSignalHold *agent)
{
  if (agent == NULL)
    return;
  g_return_if_fail (agent->signal_holds > 0);
  if (--agent->signal_holds == 0)
    flush_signals (agent);
  g_object_unref (agent);
}

/* A removed stream says nothing more: its queued signals go. */
void
burrow_agent_drop_signals (BurrowAgent *agent, guint stream_id)
{
  GList *l = agent->pending_signals.head;

  while (l) {
    GList *next = l->next;
    PendingSignal *p = l->data;
    guint id = p->stream_id;

    if (p->signal == SIGNAL_NEW_CANDIDATE_FULL || p->signal == SIGNAL_NEW_REMOTE_CANDIDATE_FULL)
      id = burrow_candidate_get_stream_id (p->local);
    if (p->signal != SIGNAL_STREAMS_REMOVED && p->signal != N_SIGNALS && id == stream_id) {
      g_queue_delete_link (&agent->pending_signals, l);
      pending_signal_free (p);
    }
    l = next;
  }
}

static PendingSignal *
pending_new (guint signal, guint stream_id, guint component_id)
{
  PendingSignal *p = g_new0 (PendingSignal, 1);

  p->signal = signal;
  p->stream_id = stream_id;
  p->component_id = component_id;
  return p;
}

static void
raise_signal (BurrowAgent *agent, PendingSignal *p)
{
  g_queue_push_tail (&agent->pending_signals, p);
  if (agent->signal_holds == 0)
    flush_signals (agent);
}

void
burrow_agent_emit_new_candidate (BurrowAgent *agent, BurrowCandidate *candidate)
{
  PendingSignal *p = pending_new (SIGNAL_NEW_CANDIDATE_FULL, 0, 0);

  p->local = g_object_ref (candidate);
  raise_signal (agent, p);
}

void
burrow_agent_emit_new_remote_candidate (BurrowAgent *agent, BurrowCandidate *candidate)
{
  PendingSignal *p = pending_new (SIGNAL_NEW_REMOTE_CANDIDATE_FULL, 0, 0);

  p->local = g_object_ref (candidate);
  raise_signal (agent, p);
}

void
burrow_agent_emit_gathering_done (BurrowAgentStream *stream)
{
  raise_signal (stream->agent, pending_new (SIGNAL_CANDIDATE_GATHERING_DONE, stream->id, 0));
}

void
burrow_agent_emit_initial_binding (BurrowAgentStream *stream)
{
  if (stream->initial_binding_seen)
    return;
  stream->initial_binding_seen = TRUE;
  raise_signal (stream->agent, pending_new (SIGNAL_INITIAL_BINDING_REQUEST_RECEIVED,
          stream->id, 0));
}

void
burrow_agent_component_set_state (BurrowAgentComponent *c, BurrowComponentState state)
{
  PendingSignal *p;

  if (c->state == state)
    return;
  g_debug ("stream %u component %u: state %u -> %u", c->stream->id, c->id, c->state, state);
  /* senders in other threads read it (atomically) */
  g_atomic_int_set ((gint *) &c->state, state);
  p = pending_new (SIGNAL_COMPONENT_STATE_CHANGED, c->stream->id, c->id);
  p->state = state;
  raise_signal (c->stream->agent, p);
}

void
burrow_agent_emit_selected_pair (BurrowAgentComponent *c)
{
  PendingSignal *p = pending_new (SIGNAL_NEW_SELECTED_PAIR_FULL, c->stream->id, c->id);

  p->local = g_object_ref (c->selected->local);
  p->remote = g_object_ref (c->selected->remote);
  raise_signal (c->stream->agent, p);
}

void
burrow_agent_emit_streams_removed (BurrowAgent *agent, const guint *ids, guint n)
{
  PendingSignal *p = pending_new (SIGNAL_STREAMS_REMOVED, 0, 0);

  p->ids = g_variant_ref_sink (g_variant_new_fixed_array (G_VARIANT_TYPE_UINT32, ids, n,
          sizeof (guint)));
  raise_signal (agent, p);
}

void
burrow_agent_notify_controlling (BurrowAgent *agent)
{
  raise_signal (agent, pending_new (N_SIGNALS, 0, 0));
}

/* ---- the object ---- */

#define BOOL_PROPS(X) \
  X (PROP_FULL_MODE, full_mode) \
  X (PROP_ICE_UDP, ice_udp) \
  X (PROP_ICE_TCP, ice_tcp) \
  X (PROP_UPNP, upnp) \
  X (PROP_KEEPALIVE_CONNCHECK, keepalive_conncheck) \
  X (PROP_FORCE_RELAY, force_relay) \
  X (PROP_ICE_TRICKLE, ice_trickle) \
  X (PROP_CONSENT_FRESHNESS, consent_freshness)

#define UINT_PROPS(X) \
  X (PROP_STUN_SERVER_PORT, stun_server_port) \
  X (PROP_MAX_CONNECTIVITY_CHECKS, max_checks) \
  X (PROP_STUN_PACING_TIMER, pacing_ms) \
  X (PROP_STUN_MAX_RETRANSMISSIONS, max_retransmissions) \
  X (PROP_STUN_INITIAL_TIMEOUT, initial_timeout_ms)

static void
burrow_agent_set_property (GObject *object, guint prop_id, const GValue *value,
    GParamSpec *pspec)
{
  BurrowAgent *self = BURROW_AGENT (object);

  switch (prop_id) {
#define SET_BOOL(id, field) \
    case id: \
      if (self->field != g_value_get_boolean (value)) { \
        self->field = g_value_get_boolean (value); \
        g_object_notify_by_pspec (object, pspec); \
      } \
      break;
#define SET_UINT(id, field) \
    case id: \
      if (self->field != g_value_get_uint (value)) { \
        self->field = g_value_get_uint (value); \
        g_object_notify_by_pspec (object, pspec); \
      } \
      break;
    BOOL_PROPS (SET_BOOL)
    UINT_PROPS (SET_UINT)
    case PROP_CONTROLLING_MODE:
      /* pair priorities follow the role */
      burrow_agent_set_controlling (self, g_value_get_boolean (value));
      break;
    case PROP_COMPATIBILITY:
      self->compat = g_value_get_uint (value);
      break;
    case PROP_MAIN_CONTEXT:
      if (g_value_get_pointer (value))
        self->context = g_main_context_ref (g_value_get_pointer (value));
      break;
    case PROP_STUN_SERVER:
      if (g_strcmp0 (self->stun_server, g_value_get_string (value)) != 0) {
        g_free (self->stun_server);
        self->stun_server = g_value_dup_string (value);
        g_object_notify_by_pspec (object, pspec);
      }
      break;
    case PROP_NOMINATION_MODE:
      self->nomination_mode = g_value_get_enum (value);
      break;
    case PROP_TLS_CA_FILE:
      if (g_strcmp0 (self->tls_ca_file, g_value_get_string (value)) != 0) {
        g_free (self->tls_ca_file);
        self->tls_ca_file = g_value_dup_string (value);
        g_object_notify_by_pspec (object, pspec);
      }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
burrow_agent_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  BurrowAgent *self = BURROW_AGENT (object);

  switch (prop_id) {
#define GET_BOOL(id, field) case id: g_value_set_boolean (value, self->field); break;
#define GET_UINT(id, field) case id: g_value_set_uint (value, self->field); break;
    BOOL_PROPS (GET_BOOL)
    UINT_PROPS (GET_UINT)
    case PROP_CONTROLLING_MODE:
      g_value_set_boolean (value, self->controlling);
      break;
    case PROP_COMPATIBILITY:
      g_value_set_uint (value, self->compat);
      break;
    case PROP_MAIN_CONTEXT:
      g_value_set_pointer (value, self->context);
      break;
    case PROP_STUN_SERVER:
      g_value_set_string (value, self->stun_server);
      break;
    case PROP_NOMINATION_MODE:
      g_value_set_enum (value, self->nomination_mode);
      break;
    case PROP_REJECTED_PACKETS:
      g_value_set_uint64 (value, self->rejected);
      break;
    case PROP_TLS_CA_FILE:
      g_value_set_string (value, self->tls_ca_file);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
burrow_agent_constructed (GObject *object)
{
  BurrowAgent *self = BURROW_AGENT (object);

  G_OBJECT_CLASS (burrow_agent_parent_class)->constructed (object);
  if (self->context == NULL)
    self->context = g_main_context_ref_thread_default ();
  g_atomic_pointer_set (&self->context_thread, g_thread_self ());
}

static void
burrow_agent_dispose (GObject *object)
{
  burrow_agent_close_all (BURROW_AGENT (object));
  G_OBJECT_CLASS (burrow_agent_parent_class)->dispose (object);
}

static void
burrow_agent_finalize (GObject *object)
{
  BurrowAgent *self = BURROW_AGENT (object);

  g_ptr_array_unref (self->streams);
  g_queue_clear_full (&self->pending_signals, (GDestroyNotify) pending_signal_free);
  g_mutex_clear (&self->lock);
  g_ptr_array_unref (self->local_addresses);
  g_hash_table_unref (self->transactions);
  g_free (self->stun_server);
  g_free (self->tls_ca_file);
  g_clear_pointer (&self->context, g_main_context_unref);
  G_OBJECT_CLASS (burrow_agent_parent_class)->finalize (object);
}

static void
install_properties (GObjectClass *oc)
{
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;
  GParamFlags co = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_CONSTRUCT_ONLY;

  /**
   * BurrowAgent:compatibility:
   *
   * The ICE dialect, a [enum@Burrow.Compatibility] value (a uint, as in
   * libnice).
   *
   * Since: 0.1
   */
  properties[PROP_COMPATIBILITY] = g_param_spec_uint ("compatibility", NULL, NULL, 0, 0, 0, co);
  /**
   * BurrowAgent:main-context:
   *
   * The [struct@GLib.MainContext] the agent works and emits signals on
   * (a pointer, as in libnice).
   *
   * Since: 0.1
   */
  properties[PROP_MAIN_CONTEXT] = g_param_spec_pointer ("main-context", NULL, NULL, co);
  /**
   * BurrowAgent:controlling-mode:
   *
   * Whether the agent is the controlling one (the offerer, usually). A role
   * conflict with the peer is resolved by the tie-breakers, and this
   * property changes then. %TRUE by default, as libnice's agents really
   * start (its property says %FALSE, its constructor sets %TRUE).
   *
   * Since: 0.1
   */
  properties[PROP_CONTROLLING_MODE] = g_param_spec_boolean ("controlling-mode", NULL, NULL,
      TRUE, rw);
  /**
   * BurrowAgent:full-mode:
   *
   * Full ICE (%TRUE), or ICE lite (RFC 8445 section 2.5): host
   * candidates only, no checks of its own (it answers the full peer's and
   * selects the pair the peer nominates), always controlled from gathering
   * on, keep-alives as Binding indications, and "a=ice-lite" in the SDP it
   * writes. Set it before gathering. One of two peers must be full.
   *
   * Since: 0.1
   */
  properties[PROP_FULL_MODE] = g_param_spec_boolean ("full-mode", NULL, NULL, TRUE, rw);
  /**
   * BurrowAgent:stun-server:
   *
   * The IP address of the STUN server for server-reflexive candidates, or
   * %NULL for none.
   *
   * Since: 0.1
   */
  properties[PROP_STUN_SERVER] = g_param_spec_string ("stun-server", NULL, NULL, NULL, rw);
  /**
   * BurrowAgent:stun-server-port:
   *
   * The STUN server's port.
   *
   * Since: 0.1
   */
  properties[PROP_STUN_SERVER_PORT] = g_param_spec_uint ("stun-server-port", NULL, NULL,
      1, 65535, 3478, rw);
  /**
   * BurrowAgent:ice-udp:
   *
   * Gather UDP candidates.
   *
   * Since: 0.1
   */
  properties[PROP_ICE_UDP] = g_param_spec_boolean ("ice-udp", NULL, NULL, TRUE, rw);
  /**
   * BurrowAgent:ice-tcp:
   *
   * Gather TCP candidates (ICE-TCP, RFC 6544): on each local address a
   * passive host candidate (a listening socket) and an active one (port 9
   * in SDP). Checks and data go framed per RFC 4571 on a TCP connection
   * per pair. Simultaneous-open candidates are not supported. The default
   * is %FALSE (libnice's is %TRUE). Set it before gathering.
   *
   * Since: 0.1
   */
  properties[PROP_ICE_TCP] = g_param_spec_boolean ("ice-tcp", NULL, NULL, FALSE, rw);
  /**
   * BurrowAgent:upnp:
   *
   * Map host candidates on the router with UPnP-IGD. Not implemented in the
   * agent yet: the default is %FALSE (libnice's is %TRUE).
   *
   * Since: 0.1
   */
  properties[PROP_UPNP] = g_param_spec_boolean ("upnp", NULL, NULL, FALSE, rw);
  /**
   * BurrowAgent:keepalive-conncheck:
   *
   * Keep the selected pair alive with Binding requests that must be
   * answered (a dead peer fails the component) instead of indications.
   *
   * Since: 0.1
   */
  properties[PROP_KEEPALIVE_CONNCHECK] = g_param_spec_boolean ("keepalive-conncheck", NULL, NULL,
      FALSE, rw);
  /**
   * BurrowAgent:force-relay:
   *
   * Use only relayed local candidates.
   *
   * Since: 0.1
   */
  properties[PROP_FORCE_RELAY] = g_param_spec_boolean ("force-relay", NULL, NULL, FALSE, rw);
  /**
   * BurrowAgent:nomination-mode:
   *
   * How the controlling agent nominates; set at construction.
   *
   * Since: 0.1
   */
  properties[PROP_NOMINATION_MODE] = g_param_spec_enum ("nomination-mode", NULL, NULL,
      BURROW_TYPE_NOMINATION_MODE, BURROW_NOMINATION_MODE_AGGRESSIVE,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_CONSTRUCT);
  /**
   * BurrowAgent:ice-trickle:
   *
   * Trickle ICE (RFC 8838): checks run while candidates still arrive, and
   * components fail only after [method@Burrow.Agent.peer_candidate_gathering_done].
   *
   * Since: 0.1
   */
  properties[PROP_ICE_TRICKLE] = g_param_spec_boolean ("ice-trickle", NULL, NULL, FALSE, rw);
  /**
   * BurrowAgent:consent-freshness:
   *
   * Check consent on the selected pair (RFC 7675) and fail the component
   * when the peer stops answering for 30 s.
   *
   * Since: 0.1
   */
  properties[PROP_CONSENT_FRESHNESS] = g_param_spec_boolean ("consent-freshness", NULL, NULL,
      FALSE, rw);
  /**
   * BurrowAgent:max-connectivity-checks:
   *
   * The most candidate pairs a stream checks (RFC 8445 section 6.1.2.5).
   *
   * Since: 0.1
   */
  properties[PROP_MAX_CONNECTIVITY_CHECKS] = g_param_spec_uint ("max-connectivity-checks",
      NULL, NULL, 1, 1000, 100, rw);
  /**
   * BurrowAgent:stun-pacing-timer:
   *
   * Ta, the time between two checks, in milliseconds.
   *
   * Since: 0.1
   */
  properties[PROP_STUN_PACING_TIMER] = g_param_spec_uint ("stun-pacing-timer", NULL, NULL,
      1, 10000, 20, rw);
  /**
   * BurrowAgent:stun-max-retransmissions:
   *
   * How many times a check is retransmitted before it fails.
   *
   * Since: 0.1
   */
  properties[PROP_STUN_MAX_RETRANSMISSIONS] = g_param_spec_uint ("stun-max-retransmissions",
      NULL, NULL, 0, 100, 3, rw);
  /**
   * BurrowAgent:stun-initial-timeout:
   *
   * The first retransmission timeout of a check, in milliseconds; it
   * doubles with each retransmission.
   *
   * Since: 0.1
   */
  properties[PROP_STUN_INITIAL_TIMEOUT] = g_param_spec_uint ("stun-initial-timeout", NULL,
      NULL, 1, 60000, 500, rw);
  /**
   * BurrowAgent:tls-ca-file:
   *
   * A PEM file of certificates to trust for TURN servers reached over TLS
   * ([enum@Burrow.RelayType.TURN_TLS]), instead of the system's store. Not
   * in libnice, which does not check TURN servers' certificates.
   *
   * Since: 0.1
   */
  properties[PROP_TLS_CA_FILE] = g_param_spec_string ("tls-ca-file", NULL, NULL, NULL, rw);
  /**
   * BurrowAgent:rejected-packets:
   *
   * How many datagrams and candidates the agent rejected: checks that
   * failed authentication, answers to no check of ours, data from unknown
   * sources, remote candidates and pairs beyond the limits, and received
   * datagrams dropped because nobody took them in time (more than 1024
   * waiting for [method@Burrow.Agent.recv] or for the context given to
   * [method@Burrow.Agent.attach_recv]). Not in libnice;
   * `G_MESSAGES_DEBUG=burrow-ice` logs each with its reason.
   *
   * Since: 0.1
   */
  properties[PROP_REJECTED_PACKETS] = g_param_spec_uint64 ("rejected-packets", NULL, NULL,
      0, G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (oc, N_PROPS, properties);
}

static void
install_signals (GObjectClass *oc)
{
  GType type = G_TYPE_FROM_CLASS (oc);

  /**
   * BurrowAgent::candidate-gathering-done:
   * @agent: the agent
   * @stream_id: the stream
   *
   * Emitted when a stream has gathered all its local candidates.
   *
   * Since: 0.1
   */
  signals[SIGNAL_CANDIDATE_GATHERING_DONE] = g_signal_new ("candidate-gathering-done", type,
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
  /**
   * BurrowAgent::component-state-changed:
   * @agent: the agent
   * @stream_id: the stream
   * @component_id: the component
   * @state: the new [enum@Burrow.ComponentState] (a uint, as in libnice)
   *
   * Emitted when a component's state changes.
   *
   * Since: 0.1
   */
  signals[SIGNAL_COMPONENT_STATE_CHANGED] = g_signal_new ("component-state-changed", type,
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_UINT, G_TYPE_UINT,
      G_TYPE_UINT);
  /**
   * BurrowAgent::new-candidate-full:
   * @agent: the agent
   * @candidate: the new local candidate
   *
   * Emitted for each local candidate as it is gathered (send it to the
   * peer when trickling).
   *
   * Since: 0.1
   */
  signals[SIGNAL_NEW_CANDIDATE_FULL] = g_signal_new ("new-candidate-full", type,
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, BURROW_TYPE_CANDIDATE);
  /**
   * BurrowAgent::new-remote-candidate-full:
   * @agent: the agent
   * @candidate: the new remote candidate
   *
   * Emitted when a check reveals a peer-reflexive remote candidate.
   *
   * Since: 0.1
   */
  signals[SIGNAL_NEW_REMOTE_CANDIDATE_FULL] = g_signal_new ("new-remote-candidate-full", type,
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, BURROW_TYPE_CANDIDATE);
  /**
   * BurrowAgent::new-selected-pair-full:
   * @agent: the agent
   * @stream_id: the stream
   * @component_id: the component
   * @lcandidate: the local candidate
   * @rcandidate: the remote candidate
   *
   * Emitted when a component selects a pair: data goes through it.
   *
   * Since: 0.1
   */
  signals[SIGNAL_NEW_SELECTED_PAIR_FULL] = g_signal_new ("new-selected-pair-full", type,
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 4, G_TYPE_UINT, G_TYPE_UINT,
      BURROW_TYPE_CANDIDATE, BURROW_TYPE_CANDIDATE);
  /**
   * BurrowAgent::initial-binding-request-received:
   * @agent: the agent
   * @stream_id: the stream
   *
   * Emitted for the first authenticated check from the peer on a stream.
   *
   * Since: 0.1
   */
  signals[SIGNAL_INITIAL_BINDING_REQUEST_RECEIVED] = g_signal_new (
      "initial-binding-request-received", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 1, G_TYPE_UINT);
  /**
   * BurrowAgent::streams-removed:
   * @agent: the agent
   * @stream_ids: the removed streams' ids, a `au` variant (libnice passes a
   *   zero-terminated array, which bindings cannot read)
   *
   * Emitted when streams are removed.
   *
   * Since: 0.1
   */
  signals[SIGNAL_STREAMS_REMOVED] = g_signal_new ("streams-removed", type, G_SIGNAL_RUN_LAST,
      0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_VARIANT);
}

static void
burrow_agent_class_init (BurrowAgentClass *klass)
{
  GObjectClass *oc = G_OBJECT_CLASS (klass);

  oc->set_property = burrow_agent_set_property;
  oc->get_property = burrow_agent_get_property;
  oc->constructed = burrow_agent_constructed;
  oc->dispose = burrow_agent_dispose;
  oc->finalize = burrow_agent_finalize;
  install_properties (oc);
  install_signals (oc);
}

static void
burrow_agent_init (BurrowAgent *self)
{
  /* streams are taken out of it under the lock, then freed */
  self->streams = g_ptr_array_new ();
  g_mutex_init (&self->lock);
  g_queue_init (&self->pending_signals);
  self->local_addresses = g_ptr_array_new_with_free_func (g_object_unref);
  self->transactions = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
      (GDestroyNotify) g_bytes_unref, (GDestroyNotify) burrow_agent_transaction_free);
  self->full_mode = TRUE;
  self->ice_udp = TRUE;
  self->stun_server_port = 3478;
  self->max_checks = 100;
  self->pacing_ms = 20;
  self->controlling = TRUE;
  self->max_retransmissions = 3;
  self->initial_timeout_ms = 500;
  self->tie_breaker = ((guint64) g_random_int () << 32) | g_random_int ();
}

/**
 * burrow_agent_new:
 * @ctx: (nullable): the context to work on, or %NULL for the thread-default
 *   one
 * @compat: the ICE dialect
 *
 * Makes an agent, as `nice_agent_new()` does.
 *
 * Returns: (transfer full): a new agent
 *
 * Since: 0.1
 */
BurrowAgent *
burrow_agent_new (GMainContext *ctx, BurrowCompatibility compat)
{
  return g_object_new (BURROW_TYPE_AGENT, "main-context", ctx, "compatibility", (guint) compat,
      NULL);
}
