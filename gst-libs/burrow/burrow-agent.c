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

#define ICE_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

/* ---- streams ---- */

static gchar *
random_ice_string (guint len)
{
  gchar *s = g_malloc (len + 1);
  guint i;

  for (i = 0; i < len; i++)
    s[i] = ICE_CHARS[g_random_int_range (0, sizeof ICE_CHARS - 1)];
  s[len] = '\0';
  return s;
}

static void
component_free (BurrowAgentComponent *c)
{
  if (c->selected_owned)
    burrow_agent_pair_free (c->selected);
  c->selected = NULL;
  if (c->nomination_timer) {
    g_source_destroy (c->nomination_timer);
    g_source_unref (c->nomination_timer);
  }
  burrow_agent_component_recv_close (c);
  g_ptr_array_unref (c->bases);
  g_ptr_array_unref (c->local_candidates);
  g_ptr_array_unref (c->remote_candidates);
  g_ptr_array_unref (c->relays);
  g_queue_clear_full (&c->recv_queue, (GDestroyNotify) g_bytes_unref);
  g_mutex_clear (&c->recv_lock);
  g_cond_clear (&c->recv_cond);
  if (c->recv_context)
    g_main_context_unref (c->recv_context);
  g_free (c);
}

static BurrowAgentComponent *
component_new (BurrowAgentStream *stream, guint id)
{
  BurrowAgentComponent *c = g_new0 (BurrowAgentComponent, 1);

  c->stream = stream;
  c->id = id;
  c->state = BURROW_COMPONENT_STATE_DISCONNECTED;
  c->bases = g_ptr_array_new_with_free_func ((GDestroyNotify) burrow_agent_base_free);
  c->local_candidates = g_ptr_array_new_with_free_func (g_object_unref);
  c->remote_candidates = g_ptr_array_new_with_free_func (g_object_unref);
  c->relays = g_ptr_array_new_with_free_func ((GDestroyNotify) burrow_agent_relay_info_free);
  g_mutex_init (&c->recv_lock);
  g_cond_init (&c->recv_cond);
  g_queue_init (&c->recv_queue);
  return c;
}

static void
stream_free (BurrowAgentStream *s)
{
  burrow_agent_checks_stop (s);
  burrow_agent_transactions_drop_stream (s->agent, s);
  g_ptr_array_unref (s->pairs);
  g_ptr_array_unref (s->components);
  g_free (s->name);
  g_free (s->local_ufrag);
  g_free (s->local_pwd);
  g_free (s->remote_ufrag);
  g_free (s->remote_pwd);
  g_free (s);
}

BurrowAgentStream *
burrow_agent_find_stream (BurrowAgent *agent, guint stream_id)
{
  guint i;

  for (i = 0; i < agent->streams->len; i++) {
    BurrowAgentStream *s = agent->streams->pdata[i];

    if (s->id == stream_id)
      return s;
  }
  return NULL;
}

BurrowAgentComponent *
burrow_agent_find_component (BurrowAgent *agent, guint stream_id, guint component_id)
{
  BurrowAgentStream *s = burrow_agent_find_stream (agent, stream_id);

  if (s == NULL || component_id == 0 || component_id > s->components->len)
    return NULL;
  return s->components->pdata[component_id - 1];
}

/**
 * burrow_agent_add_stream:
 * @agent: an agent
 * @n_components: how many components the stream has (1 to 256)
 *
 * Adds a stream with fresh local credentials.
 *
 * Returns: the new stream's id (from 1), or 0 on error
 *
 * Since: 0.1
 */
guint
burrow_agent_add_stream (BurrowAgent *agent, guint n_components)
{
  BurrowAgentStream *s;
  guint i;

  g_return_val_if_fail (BURROW_IS_AGENT (agent), 0);
  g_return_val_if_fail (n_components >= 1 && n_components <= BURROW_AGENT_MAX_COMPONENTS, 0);
  if (agent->streams->len >= BURROW_AGENT_MAX_STREAMS) {
    g_warning ("An agent has at most %u streams", BURROW_AGENT_MAX_STREAMS);
    return 0;
  }
  s = g_new0 (BurrowAgentStream, 1);
  s->agent = agent;
  s->id = ++agent->next_stream_id;
  s->local_ufrag = random_ice_string (8);
  s->local_pwd = random_ice_string (24);
  s->components = g_ptr_array_new_with_free_func ((GDestroyNotify) component_free);
  s->pairs = g_ptr_array_new_with_free_func ((GDestroyNotify) burrow_agent_pair_free);
  g_queue_init (&s->triggered);
  for (i = 1; i <= n_components; i++)
    g_ptr_array_add (s->components, component_new (s, i));
  g_ptr_array_add (agent->streams, s);
  return s->id;
}

/**
 * burrow_agent_remove_stream:
 * @agent: an agent
 * @stream_id: a stream
 *
 * Removes a stream, closes its sockets and releases its relays; emits
 * [signal@Burrow.Agent::streams-removed].
 *
 * Since: 0.1
 */
void
burrow_agent_remove_stream (BurrowAgent *agent, guint stream_id)
{
  BurrowAgentStream *s;
  guint ids[1];

  g_return_if_fail (BURROW_IS_AGENT (agent));
  s = burrow_agent_find_stream (agent, stream_id);
  if (s == NULL)
    return;
  g_ptr_array_remove (agent->streams, s);
  ids[0] = stream_id;
  g_signal_emit (agent, signals[SIGNAL_STREAMS_REMOVED], 0,
      g_variant_new_fixed_array (G_VARIANT_TYPE_UINT32, ids, 1, sizeof (guint)));
}

/**
 * burrow_agent_set_stream_name:
 * @agent: an agent
 * @stream_id: a stream
 * @name: the name: "audio", "video", "text", "application", "image" or
 *   "message", as the SDP media types
 *
 * Names a stream; the name is the media type of its `m=` line in SDP.
 *
 * Returns: %TRUE if the name was set
 *
 * Since: 0.1
 */
gboolean
burrow_agent_set_stream_name (BurrowAgent *agent, guint stream_id, const gchar *name)
{
  static const gchar *const valid[] = { "audio", "video", "text", "application", "image",
      "message", NULL };
  BurrowAgentStream *s;
  guint i;

  g_return_val_if_fail (BURROW_IS_AGENT (agent), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  s = burrow_agent_find_stream (agent, stream_id);
  if (s == NULL || !g_strv_contains (valid, name))
    return FALSE;
  for (i = 0; i < agent->streams->len; i++) {
    BurrowAgentStream *other = agent->streams->pdata[i];

    if (other != s && g_strcmp0 (other->name, name) == 0)
      return FALSE;
  }
  g_free (s->name);
  s->name = g_strdup (name);
  return TRUE;
}

/**
 * burrow_agent_get_stream_name:
 * @agent: an agent
 * @stream_id: a stream
 *
 * Returns: (nullable): the stream's name, or %NULL
 *
 * Since: 0.1
 */
const gchar *
burrow_agent_get_stream_name (BurrowAgent *agent, guint stream_id)
{
  BurrowAgentStream *s;

  g_return_val_if_fail (BURROW_IS_AGENT (agent), NULL);
  s = burrow_agent_find_stream (agent, stream_id);
  return s ? s->name : NULL;
}

/**
 * burrow_agent_set_port_range:
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 * @min_port: the lowest port for host candidates
 * @max_port: the highest
 *
 * Limits the local ports of a component's host candidates. Gathering fails
 * if no port of the range is free.
 *
 * Since: 0.1
 */
void
burrow_agent_set_port_range (BurrowAgent *agent, guint stream_id, guint component_id,
    guint min_port, guint max_port)
{
  BurrowAgentComponent *c;

  g_return_if_fail (BURROW_IS_AGENT (agent));
  g_return_if_fail (min_port <= max_port && max_port <= 65535);
  c = burrow_agent_find_component (agent, stream_id, component_id);
  if (c == NULL)
    return;
  c->min_port = min_port;
  c->max_port = max_port;
}

/**
 * burrow_agent_add_local_address:
 * @agent: an agent
 * @addr: a local IP address
 *
 * Gathers host candidates on @addr. Once any address is added, only the
 * added addresses are used; without any, every usable interface is (not
 * loopback, unless it is the only one).
 *
 * Returns: %TRUE
 *
 * Since: 0.1
 */
gboolean
burrow_agent_add_local_address (BurrowAgent *agent, GInetAddress *addr)
{
  g_return_val_if_fail (BURROW_IS_AGENT (agent), FALSE);
  g_return_val_if_fail (G_IS_INET_ADDRESS (addr), FALSE);
  g_ptr_array_add (agent->local_addresses, g_object_ref (addr));
  return TRUE;
}

/**
 * burrow_agent_set_relay_info:
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 * @server_ip: the TURN server's IP address
 * @server_port: its port
 * @username: the TURN username
 * @password: the TURN password
 * @type: how to reach the server
 *
 * Adds a TURN server for relayed candidates of a component. Call before
 * [method@Burrow.Agent.gather_candidates].
 *
 * Returns: %TRUE if the server was added
 *
 * Since: 0.1
 */
gboolean
burrow_agent_set_relay_info (BurrowAgent *agent, guint stream_id, guint component_id,
    const gchar *server_ip, guint server_port, const gchar *username, const gchar *password,
    BurrowRelayType type)
{
  BurrowAgentComponent *c;
  BurrowAgentRelayInfo *info;

  g_return_val_if_fail (BURROW_IS_AGENT (agent), FALSE);
  g_return_val_if_fail (server_ip != NULL && username != NULL && password != NULL, FALSE);
  c = burrow_agent_find_component (agent, stream_id, component_id);
  if (c == NULL || server_port == 0 || server_port > 65535)
    return FALSE;
  info = g_new0 (BurrowAgentRelayInfo, 1);
  info->server = g_strdup (server_ip);
  info->port = server_port;
  info->username = g_strdup (username);
  info->password = g_strdup (password);
  info->type = type;
  g_ptr_array_add (c->relays, info);
  return TRUE;
}

/**
 * burrow_agent_forget_relays:
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 *
 * Forgets the TURN servers given to a component.
 *
 * Returns: %TRUE if the component exists
 *
 * Since: 0.1
 */
gboolean
burrow_agent_forget_relays (BurrowAgent *agent, guint stream_id, guint component_id)
{
  BurrowAgentComponent *c;

  g_return_val_if_fail (BURROW_IS_AGENT (agent), FALSE);
  c = burrow_agent_find_component (agent, stream_id, component_id);
  if (c == NULL)
    return FALSE;
  g_ptr_array_set_size (c->relays, 0);
  return TRUE;
}

/**
 * burrow_agent_gather_candidates:
 * @agent: an agent
 * @stream_id: a stream
 *
 * Opens sockets and gathers the stream's local candidates: host, then
 * server-reflexive through [property@Burrow.Agent:stun-server] and relayed
 * through the servers of [method@Burrow.Agent.set_relay_info].
 * [signal@Burrow.Agent::new-candidate-full] announces each candidate and
 * [signal@Burrow.Agent::candidate-gathering-done] the end.
 *
 * Returns: %TRUE if gathering started (at least one host socket opened)
 *
 * Since: 0.1
 */
gboolean
burrow_agent_gather_candidates (BurrowAgent *agent, guint stream_id)
{
  BurrowAgentStream *s;
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (BURROW_IS_AGENT (agent), FALSE);
  s = burrow_agent_find_stream (agent, stream_id);
  if (s == NULL || s->gathering)
    return s != NULL;
  if (!burrow_agent_gather_stream (s, &error)) {
    g_warning ("Could not gather candidates for stream %u: %s", stream_id, error->message);
    return FALSE;
  }
  return TRUE;
}

/**
 * burrow_agent_get_local_credentials:
 * @agent: an agent
 * @stream_id: a stream
 * @ufrag: (out) (transfer full): the username fragment
 * @pwd: (out) (transfer full): the password
 *
 * Returns: %TRUE if the stream exists
 *
 * Since: 0.1
 */
gboolean
burrow_agent_get_local_credentials (BurrowAgent *agent, guint stream_id, gchar **ufrag,
    gchar **pwd)
{
  BurrowAgentStream *s;

  g_return_val_if_fail (BURROW_IS_AGENT (agent), FALSE);
  g_return_val_if_fail (ufrag != NULL && pwd != NULL, FALSE);
  s = burrow_agent_find_stream (agent, stream_id);
  *ufrag = s ? g_strdup (s->local_ufrag) : NULL;
  *pwd = s ? g_strdup (s->local_pwd) : NULL;
  return s != NULL;
}

static gboolean
credentials_valid (const gchar *ufrag, const gchar *pwd)
{
  gsize ul, pl;

  if (ufrag == NULL || pwd == NULL)
    return FALSE;
  ul = strlen (ufrag);
  pl = strlen (pwd);
  /* RFC 8839 section 5.4: 4..256 and 22..256 ice-chars */
  return ul >= 4 && ul <= 256 && pl >= 22 && pl <= 256 &&
      strspn (ufrag, ICE_CHARS) == ul && strspn (pwd, ICE_CHARS) == pl;
}

/**
 * burrow_agent_set_local_credentials:
 * @agent: an agent
 * @stream_id: a stream
 * @ufrag: the username fragment (4 to 256 ice-chars)
 * @pwd: the password (22 to 256 ice-chars)
 *
 * Replaces the stream's generated local credentials.
 *
 * Returns: %TRUE if they were valid and set
 *
 * Since: 0.1
 */
gboolean
burrow_agent_set_local_credentials (BurrowAgent *agent, guint stream_id, const gchar *ufrag,
    const gchar *pwd)
{
  BurrowAgentStream *s;

  g_return_val_if_fail (BURROW_IS_AGENT (agent), FALSE);
  s = burrow_agent_find_stream (agent, stream_id);
  if (s == NULL || !credentials_valid (ufrag, pwd))
    return FALSE;
  g_free (s->local_ufrag);
  g_free (s->local_pwd);
  s->local_ufrag = g_strdup (ufrag);
  s->local_pwd = g_strdup (pwd);
  return TRUE;
}

/**
 * burrow_agent_set_remote_credentials:
 * @agent: an agent
 * @stream_id: a stream
 * @ufrag: the peer's username fragment
 * @pwd: the peer's password
 *
 * Sets the peer's credentials for a stream; checks start once there are
 * remote candidates too.
 *
 * Returns: %TRUE if they were valid and set
 *
 * Since: 0.1
 */
gboolean
burrow_agent_set_remote_credentials (BurrowAgent *agent, guint stream_id, const gchar *ufrag,
    const gchar *pwd)
{
  BurrowAgentStream *s;

  g_return_val_if_fail (BURROW_IS_AGENT (agent), FALSE);
  s = burrow_agent_find_stream (agent, stream_id);
  if (s == NULL || !credentials_valid (ufrag, pwd))
    return FALSE;
  g_free (s->remote_ufrag);
  g_free (s->remote_pwd);
  s->remote_ufrag = g_strdup (ufrag);
  s->remote_pwd = g_strdup (pwd);
  burrow_agent_checks_start (s);
  return TRUE;
}

static GSList *
copy_candidates (GPtrArray *candidates)
{
  GSList *list = NULL;
  guint i;

  for (i = candidates->len; i > 0; i--)
    list = g_slist_prepend (list, burrow_candidate_copy (candidates->pdata[i - 1]));
  return list;
}

/**
 * burrow_agent_get_local_candidates:
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 *
 * Returns: (transfer full) (element-type Burrow.Candidate): copies of the
 *   component's local candidates gathered so far
 *
 * Since: 0.1
 */
GSList *
burrow_agent_get_local_candidates (BurrowAgent *agent, guint stream_id, guint component_id)
{
  BurrowAgentComponent *c;

  g_return_val_if_fail (BURROW_IS_AGENT (agent), NULL);
  c = burrow_agent_find_component (agent, stream_id, component_id);
  return c ? copy_candidates (c->local_candidates) : NULL;
}

/**
 * burrow_agent_get_remote_candidates:
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 *
 * Returns: (transfer full) (element-type Burrow.Candidate): copies of the
 *   component's remote candidates, including peer-reflexive ones learnt
 *   from checks
 *
 * Since: 0.1
 */
GSList *
burrow_agent_get_remote_candidates (BurrowAgent *agent, guint stream_id, guint component_id)
{
  BurrowAgentComponent *c;

  g_return_val_if_fail (BURROW_IS_AGENT (agent), NULL);
  c = burrow_agent_find_component (agent, stream_id, component_id);
  return c ? copy_candidates (c->remote_candidates) : NULL;
}

static gboolean
remote_known (BurrowAgentComponent *c, BurrowCandidate *candidate)
{
  guint i;

  for (i = 0; i < c->remote_candidates->len; i++)
    if (burrow_candidate_equal_target (c->remote_candidates->pdata[i], candidate))
      return TRUE;
  return FALSE;
}

/**
 * burrow_agent_set_remote_candidates:
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 * @candidates: (element-type Burrow.Candidate): the peer's candidates
 *
 * Adds remote candidates to a component (all at once, or trickled as they
 * come); checks start once the remote credentials are known. At most 100
 * remote candidates are kept per component.
 *
 * Returns: how many candidates were added, or -1 on error
 *
 * Since: 0.1
 */
gint
burrow_agent_set_remote_candidates (BurrowAgent *agent, guint stream_id, guint component_id,
    const GSList *candidates)
{
  BurrowAgentComponent *c;
  const GSList *l;
  gint added = 0;

  g_return_val_if_fail (BURROW_IS_AGENT (agent), -1);
  c = burrow_agent_find_component (agent, stream_id, component_id);
  if (c == NULL)
    return -1;
  for (l = candidates; l; l = l->next) {
    BurrowCandidate *candidate = l->data;

    if (!BURROW_IS_CANDIDATE (candidate) || burrow_candidate_get_address (candidate) == NULL ||
        burrow_candidate_get_transport (candidate) != BURROW_CANDIDATE_TRANSPORT_UDP)
      continue;
    if (remote_known (c, candidate))
      continue;
    if (c->remote_candidates->len >= BURROW_AGENT_MAX_REMOTE_CANDIDATES) {
      agent->rejected++;
      g_debug ("ignoring remote candidates beyond %u", BURROW_AGENT_MAX_REMOTE_CANDIDATES);
      break;
    }
    candidate = burrow_candidate_copy (candidate);
    burrow_candidate_set_stream_id (candidate, stream_id);
    burrow_candidate_set_component_id (candidate, component_id);
    g_ptr_array_add (c->remote_candidates, candidate);
    burrow_agent_pairs_add_remote (c, candidate);
    added++;
  }
  burrow_agent_checks_start (c->stream);
  return added;
}

/**
 * burrow_agent_peer_candidate_gathering_done:
 * @agent: an agent
 * @stream_id: a stream
 *
 * Tells the agent the peer sent all its candidates for a stream (trickle
 * ICE's end-of-candidates): once every pair has failed, the components
 * fail instead of waiting for more.
 *
 * Returns: %TRUE if the stream exists
 *
 * Since: 0.1
 */
gboolean
burrow_agent_peer_candidate_gathering_done (BurrowAgent *agent, guint stream_id)
{
  BurrowAgentStream *s;
  guint i;

  g_return_val_if_fail (BURROW_IS_AGENT (agent), FALSE);
  s = burrow_agent_find_stream (agent, stream_id);
  if (s == NULL)
    return FALSE;
  s->peer_gathering_done = TRUE;
  for (i = 0; i < s->components->len; i++)
    burrow_agent_component_update_state (s->components->pdata[i]);
  return TRUE;
}

/**
 * burrow_agent_get_selected_pair:
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 * @local: (out) (transfer full): the local candidate
 * @remote: (out) (transfer full): the remote candidate
 *
 * Returns: %TRUE if the component has a selected pair
 *
 * Since: 0.1
 */
gboolean
burrow_agent_get_selected_pair (BurrowAgent *agent, guint stream_id, guint component_id,
    BurrowCandidate **local, BurrowCandidate **remote)
{
  BurrowAgentComponent *c;

  g_return_val_if_fail (BURROW_IS_AGENT (agent), FALSE);
  g_return_val_if_fail (local != NULL && remote != NULL, FALSE);
  *local = *remote = NULL;
  c = burrow_agent_find_component (agent, stream_id, component_id);
  if (c == NULL || c->selected == NULL)
    return FALSE;
  *local = burrow_candidate_copy (c->selected->local);
  *remote = burrow_candidate_copy (c->selected->remote);
  return TRUE;
}

/**
 * burrow_agent_set_selected_pair:
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 * @lfoundation: the local candidate's foundation
 * @rfoundation: the remote candidate's foundation
 *
 * Selects a pair by hand, ending checks for the component, as libnice
 * does.
 *
 * Returns: %TRUE if such a pair exists and was selected
 *
 * Since: 0.1
 */
gboolean
burrow_agent_set_selected_pair (BurrowAgent *agent, guint stream_id, guint component_id,
    const gchar *lfoundation, const gchar *rfoundation)
{
  BurrowAgentComponent *c;

  g_return_val_if_fail (BURROW_IS_AGENT (agent), FALSE);
  g_return_val_if_fail (lfoundation != NULL && rfoundation != NULL, FALSE);
  c = burrow_agent_find_component (agent, stream_id, component_id);
  return c && burrow_agent_select_pair_by_foundation (c, lfoundation, rfoundation);
}

/**
 * burrow_agent_get_component_state:
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 *
 * Returns: the component's state, or
 *   %BURROW_COMPONENT_STATE_FAILED if there is no such component
 *
 * Since: 0.1
 */
BurrowComponentState
burrow_agent_get_component_state (BurrowAgent *agent, guint stream_id, guint component_id)
{
  BurrowAgentComponent *c;

  g_return_val_if_fail (BURROW_IS_AGENT (agent), BURROW_COMPONENT_STATE_FAILED);
  c = burrow_agent_find_component (agent, stream_id, component_id);
  return c ? c->state : BURROW_COMPONENT_STATE_FAILED;
}

static void
stream_restart (BurrowAgentStream *s)
{
  guint i;

  /* RFC 8445 section 9: new credentials, new checks; the selected pair
   * keeps carrying data until a new one is selected. */
  burrow_agent_checks_stop (s);
  burrow_agent_transactions_drop_stream (s->agent, s);
  g_free (s->local_ufrag);
  g_free (s->local_pwd);
  s->local_ufrag = random_ice_string (8);
  s->local_pwd = random_ice_string (24);
  g_clear_pointer (&s->remote_ufrag, g_free);
  g_clear_pointer (&s->remote_pwd, g_free);
  s->peer_gathering_done = FALSE;
  s->initial_binding_seen = FALSE;
  for (i = 0; i < s->components->len; i++) {
    BurrowAgentComponent *c = s->components->pdata[i];

    g_ptr_array_set_size (c->remote_candidates, 0);
  }
}

/**
 * burrow_agent_restart:
 * @agent: an agent
 *
 * Restarts ICE on every stream (RFC 8445 section 9): new local
 * credentials, remote candidates forgotten, a new tie-breaker. Data keeps
 * flowing on the selected pairs until new ones are selected.
 *
 * Returns: %TRUE
 *
 * Since: 0.1
 */
gboolean
burrow_agent_restart (BurrowAgent *agent)
{
  guint i;

  g_return_val_if_fail (BURROW_IS_AGENT (agent), FALSE);
  agent->tie_breaker = ((guint64) g_random_int () << 32) | g_random_int ();
  for (i = 0; i < agent->streams->len; i++)
    stream_restart (agent->streams->pdata[i]);
  return TRUE;
}

/**
 * burrow_agent_restart_stream:
 * @agent: an agent
 * @stream_id: a stream
 *
 * Restarts ICE on one stream; see [method@Burrow.Agent.restart].
 *
 * Returns: %TRUE if the stream exists
 *
 * Since: 0.1
 */
gboolean
burrow_agent_restart_stream (BurrowAgent *agent, guint stream_id)
{
  BurrowAgentStream *s;

  g_return_val_if_fail (BURROW_IS_AGENT (agent), FALSE);
  s = burrow_agent_find_stream (agent, stream_id);
  if (s == NULL)
    return FALSE;
  stream_restart (s);
  return TRUE;
}

static void
agent_close (BurrowAgent *agent)
{
  if (agent->pacing_timer) {
    g_source_destroy (agent->pacing_timer);
    g_clear_pointer (&agent->pacing_timer, g_source_unref);
  }
  if (agent->keepalive_timer) {
    g_source_destroy (agent->keepalive_timer);
    g_clear_pointer (&agent->keepalive_timer, g_source_unref);
  }
  g_ptr_array_set_size (agent->streams, 0);
}

/**
 * burrow_agent_close_async:
 * @agent: an agent
 * @callback: (scope async): called when the agent is closed
 * @callback_data: data for @callback
 *
 * Closes every stream: sockets close and relays are released. The agent
 * is unusable afterwards.
 *
 * Since: 0.1
 */
void
burrow_agent_close_async (BurrowAgent *agent, GAsyncReadyCallback callback,
    gpointer callback_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (BURROW_IS_AGENT (agent));
  task = g_task_new (agent, NULL, callback, callback_data);
  g_task_set_source_tag (task, burrow_agent_close_async);
  agent_close (agent);
  g_task_return_boolean (task, TRUE);
}

/**
 * burrow_agent_close_finish:
 * @agent: an agent
 * @result: the result passed to the callback
 * @error: return location for an error
 *
 * Finishes [method@Burrow.Agent.close_async].
 *
 * Returns: %TRUE
 *
 * Since: 0.1
 */
gboolean
burrow_agent_close_finish (BurrowAgent *agent, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, agent), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- signals, emitted by the other parts ---- */

void
burrow_agent_emit_new_candidate (BurrowAgent *agent, BurrowCandidate *candidate)
{
  g_signal_emit (agent, signals[SIGNAL_NEW_CANDIDATE_FULL], 0, candidate);
}

void
burrow_agent_emit_new_remote_candidate (BurrowAgent *agent, BurrowCandidate *candidate)
{
  g_signal_emit (agent, signals[SIGNAL_NEW_REMOTE_CANDIDATE_FULL], 0, candidate);
}

void
burrow_agent_emit_gathering_done (BurrowAgentStream *stream)
{
  g_signal_emit (stream->agent, signals[SIGNAL_CANDIDATE_GATHERING_DONE], 0, stream->id);
}

void
burrow_agent_emit_initial_binding (BurrowAgentStream *stream)
{
  if (stream->initial_binding_seen)
    return;
  stream->initial_binding_seen = TRUE;
  g_signal_emit (stream->agent, signals[SIGNAL_INITIAL_BINDING_REQUEST_RECEIVED], 0,
      stream->id);
}

void
burrow_agent_component_set_state (BurrowAgentComponent *c, BurrowComponentState state)
{
  if (c->state == state)
    return;
  g_debug ("stream %u component %u: state %u -> %u", c->stream->id, c->id, c->state, state);
  c->state = state;
  g_signal_emit (c->stream->agent, signals[SIGNAL_COMPONENT_STATE_CHANGED], 0,
      c->stream->id, c->id, (guint) state);
}

void
burrow_agent_emit_selected_pair (BurrowAgentComponent *c)
{
  g_signal_emit (c->stream->agent, signals[SIGNAL_NEW_SELECTED_PAIR_FULL], 0, c->stream->id,
      c->id, c->selected->local, c->selected->remote);
}

void
burrow_agent_notify_controlling (BurrowAgent *agent)
{
  g_object_notify_by_pspec (G_OBJECT (agent), properties[PROP_CONTROLLING_MODE]);
}

/* ---- the object ---- */

#define BOOL_PROPS(X) \
  X (PROP_CONTROLLING_MODE, controlling) \
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
}

static void
burrow_agent_dispose (GObject *object)
{
  agent_close (BURROW_AGENT (object));
  G_OBJECT_CLASS (burrow_agent_parent_class)->dispose (object);
}

static void
burrow_agent_finalize (GObject *object)
{
  BurrowAgent *self = BURROW_AGENT (object);

  g_ptr_array_unref (self->streams);
  g_ptr_array_unref (self->local_addresses);
  g_hash_table_unref (self->transactions);
  g_free (self->stun_server);
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
   * property changes then.
   *
   * Since: 0.1
   */
  properties[PROP_CONTROLLING_MODE] = g_param_spec_boolean ("controlling-mode", NULL, NULL,
      FALSE, rw);
  /**
   * BurrowAgent:full-mode:
   *
   * Full ICE (%TRUE); lite mode is not implemented and behaves as full.
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
   * Gather TCP candidates (RFC 6544). Not implemented yet: the default is
   * %FALSE (libnice's is %TRUE) and setting it changes nothing.
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
      NULL, NULL, 0, 100, 7, rw);
  /**
   * BurrowAgent:stun-initial-timeout:
   *
   * The first retransmission timeout of a check, in milliseconds; it
   * doubles with each retransmission.
   *
   * Since: 0.1
   */
  properties[PROP_STUN_INITIAL_TIMEOUT] = g_param_spec_uint ("stun-initial-timeout", NULL,
      NULL, 1, 60000, 200, rw);
  /**
   * BurrowAgent:rejected-packets:
   *
   * How many datagrams and candidates the agent rejected: checks that
   * failed authentication, answers to no check of ours, data from unknown
   * sources, remote candidates and pairs beyond the limits. Not in
   * libnice; `G_MESSAGES_DEBUG=burrow-ice` logs each with its reason.
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
  self->streams = g_ptr_array_new_with_free_func ((GDestroyNotify) stream_free);
  self->local_addresses = g_ptr_array_new_with_free_func (g_object_unref);
  self->transactions = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
      (GDestroyNotify) g_bytes_unref, (GDestroyNotify) burrow_agent_transaction_free);
  self->full_mode = TRUE;
  self->ice_udp = TRUE;
  self->stun_server_port = 3478;
  self->max_checks = 100;
  self->pacing_ms = 20;
  self->max_retransmissions = 7;
  self->initial_timeout_ms = 200;
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
