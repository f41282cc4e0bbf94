/* burrow-agent-stream.c: the ICE agent's streams, credentials and candidates
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "burrow-ice"

#include <string.h>

#include "burrow-error.h"
#include "burrow-agent-private.h"

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

BurrowAgentComponent *
burrow_agent_component_ref (BurrowAgentComponent *c)
{
  g_atomic_int_inc (&c->ref_count);
  return c;
}

/* What outlives the stream, for receivers blocked in another thread or
 * deliveries queued to another context: the receive queue and its lock. */
void
burrow_agent_component_unref (BurrowAgentComponent *c)
{
  if (!g_atomic_int_dec_and_test (&c->ref_count))
    return;
  g_queue_clear_full (&c->recv_queue, (GDestroyNotify) burrow_agent_queued_free);
  g_mutex_clear (&c->recv_lock);
  g_cond_clear (&c->recv_cond);
  if (c->recv_context)
    g_main_context_unref (c->recv_context);
  g_free (c);
}

/* The stream is gone from the agent's list: no other thread can reach the
 * selected pair any more. */
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
  g_clear_pointer (&c->bases, g_ptr_array_unref);
  g_clear_pointer (&c->local_candidates, g_ptr_array_unref);
  g_clear_pointer (&c->remote_candidates, g_ptr_array_unref);
  g_clear_pointer (&c->relays, g_ptr_array_unref);
  g_mutex_lock (&c->recv_lock);
  c->recv_func = NULL;
  g_mutex_unlock (&c->recv_lock);
  c->stream = NULL;
  burrow_agent_component_recv_close (c);
  burrow_agent_component_unref (c);
}

static BurrowAgentComponent *
component_new (BurrowAgentStream *stream, guint id)
{
  BurrowAgentComponent *c = g_new0 (BurrowAgentComponent, 1);

  c->ref_count = 1;
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

void
burrow_agent_stream_free (BurrowAgentStream *s)
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
  g_mutex_lock (&agent->lock);
  g_ptr_array_add (agent->streams, s);
  g_mutex_unlock (&agent->lock);
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
  BURROW_AGENT_HOLD_SIGNALS (agent);
  BurrowAgentStream *s;
  guint ids[1];

  g_return_if_fail (BURROW_IS_AGENT (agent));
  s = burrow_agent_find_stream (agent, stream_id);
  if (s == NULL)
    return;
  /* out of reach of other threads first, then freed */
  g_mutex_lock (&agent->lock);
  g_ptr_array_remove (agent->streams, s);
  g_mutex_unlock (&agent->lock);
  burrow_agent_drop_signals (agent, stream_id);
  burrow_agent_stream_free (s);
  ids[0] = stream_id;
  burrow_agent_emit_streams_removed (agent, ids, 1);
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
  BURROW_AGENT_HOLD_SIGNALS (agent);
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
/* The local candidates carry the stream's credentials (as the SDP and
 * to_sdp show them): after a change, the new ones. */
static void
update_candidate_credentials (BurrowAgentStream *s)
{
  guint i, j;

  for (i = 0; i < s->components->len; i++) {
    BurrowAgentComponent *c = s->components->pdata[i];

    for (j = 0; j < c->local_candidates->len; j++) {
      burrow_candidate_set_username (c->local_candidates->pdata[j], s->local_ufrag);
      burrow_candidate_set_password (c->local_candidates->pdata[j], s->local_pwd);
    }
  }
}

gboolean
burrow_agent_set_local_credentials (BurrowAgent *agent, guint stream_id, const gchar *ufrag,
    const gchar *pwd)
{
  BurrowAgentStream *s;

  g_return_val_if_fail (BURROW_IS_AGENT (agent), FALSE);
  s = burrow_agent_find_stream (agent, stream_id);
  if (s == NULL || !credentials_valid (ufrag, pwd))
    return FALSE;
  /* copy first: the arguments may be the stream's own strings */
  ufrag = g_strdup (ufrag);
  pwd = g_strdup (pwd);
  g_free (s->local_ufrag);
  g_free (s->local_pwd);
  s->local_ufrag = (gchar *) ufrag;
  s->local_pwd = (gchar *) pwd;
  update_candidate_credentials (s);
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
  BURROW_AGENT_HOLD_SIGNALS (agent);
  BurrowAgentStream *s;

  g_return_val_if_fail (BURROW_IS_AGENT (agent), FALSE);
  s = burrow_agent_find_stream (agent, stream_id);
  if (s == NULL || !credentials_valid (ufrag, pwd))
    return FALSE;
  /* copy first: the arguments may be the stream's own strings */
  ufrag = g_strdup (ufrag);
  pwd = g_strdup (pwd);
  g_free (s->remote_ufrag);
  g_free (s->remote_pwd);
  s->remote_ufrag = (gchar *) ufrag;
  s->remote_pwd = (gchar *) pwd;
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

static BurrowCandidate *
remote_known (BurrowAgentComponent *c, BurrowCandidate *candidate)
{
  guint i;

  for (i = 0; i < c->remote_candidates->len; i++)
    if (burrow_candidate_equal_target (c->remote_candidates->pdata[i], candidate))
      return c->remote_candidates->pdata[i];
  return NULL;
}

/* A candidate learnt from a check (peer-reflexive) and signalled later:
 * it takes the signalled type, foundation and priority, as in libnice. */
static gboolean
merge_prflx (BurrowCandidate *known, BurrowCandidate *signalled)
{
  if (burrow_candidate_get_candidate_type (known) != BURROW_CANDIDATE_TYPE_PEER_REFLEXIVE ||
      burrow_candidate_get_candidate_type (signalled) == BURROW_CANDIDATE_TYPE_PEER_REFLEXIVE)
    return FALSE;
  burrow_candidate_set_candidate_type (known, burrow_candidate_get_candidate_type (signalled));
  burrow_candidate_set_foundation (known, burrow_candidate_get_foundation (signalled));
  burrow_candidate_set_priority (known, burrow_candidate_get_priority (signalled));
  burrow_candidate_set_related_address (known, burrow_candidate_get_related_address (signalled));
  return TRUE;
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
  BURROW_AGENT_HOLD_SIGNALS (agent);
  BurrowAgentComponent *c;
  BurrowCandidate *known;
  const GSList *l;
  gint added = 0;

  g_return_val_if_fail (BURROW_IS_AGENT (agent), -1);
  c = burrow_agent_find_component (agent, stream_id, component_id);
  if (c == NULL)
    return -1;
  for (l = candidates; l; l = l->next) {
    BurrowCandidate *candidate = l->data;

    if (!BURROW_IS_CANDIDATE (candidate) || burrow_candidate_get_address (candidate) == NULL ||
        burrow_candidate_get_transport (candidate) == BURROW_CANDIDATE_TRANSPORT_TCP_SO)
      continue;
    known = remote_known (c, candidate);
    if (known) {
      if (merge_prflx (known, candidate))
        added++;
      continue;
    }
    if (c->remote_candidates->len >= BURROW_AGENT_MAX_REMOTE_CANDIDATES) {
      /* each candidate past the limit counts */
      agent->rejected += g_slist_length ((GSList *) l);
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
  BURROW_AGENT_HOLD_SIGNALS (agent);
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
  BURROW_AGENT_HOLD_SIGNALS (agent);
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
  BurrowAgent *agent = s->agent;
  guint sid = s->id;
  guint i;

  /* RFC 8445 section 9: new credentials, new checks; the selected pair
   * keeps carrying data until a new one is selected. */
  burrow_agent_checks_stop (s);
  burrow_agent_transactions_drop_stream (s->agent, s);
  g_free (s->local_ufrag);
  g_free (s->local_pwd);
  s->local_ufrag = random_ice_string (8);
  s->local_pwd = random_ice_string (24);
  update_candidate_credentials (s);
  g_clear_pointer (&s->remote_ufrag, g_free);
  g_clear_pointer (&s->remote_pwd, g_free);
  s->peer_gathering_done = FALSE;
  s->initial_binding_seen = FALSE;
  for (i = 0; i < s->components->len; i++) {
    BurrowAgentComponent *c = s->components->pdata[i];

    g_ptr_array_set_size (c->remote_candidates, 0);
  }
  /* a failed component starts over: without this its state stays FAILED
   * (update_state() ignores it) whatever the new checks find. Its old
   * selected pair lost consent or never worked: no data through it. */
  for (i = 1; ; i++) {
    BurrowAgentComponent *c = burrow_agent_find_component (agent, sid, i);

    if (c == NULL)
      break;
    if (c->state != BURROW_COMPONENT_STATE_FAILED)
      continue;
    {
      BurrowAgentPair *old = c->selected_owned ? c->selected : NULL;

      /* senders in other threads stop seeing it before it is freed */
      g_mutex_lock (&agent->lock);
      c->selected = NULL;
      g_mutex_unlock (&agent->lock);
      c->selected_owned = FALSE;
      if (old)
        burrow_agent_pair_free (old);
    }
    /* the handler may remove the stream: the next lookup says so */
    burrow_agent_component_set_state (c, BURROW_COMPONENT_STATE_DISCONNECTED);
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
  BURROW_AGENT_HOLD_SIGNALS (agent);
  guint i;
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (guint));

  g_return_val_if_fail (BURROW_IS_AGENT (agent), FALSE);
  agent->tie_breaker = ((guint64) g_random_int () << 32) | g_random_int ();
  /* restarting emits component-state-changed for failed components, whose
   * handlers may remove streams: go by id */
  for (i = 0; i < agent->streams->len; i++)
    g_array_append_val (ids, ((BurrowAgentStream *) agent->streams->pdata[i])->id);
  g_object_ref (agent);
  for (i = 0; i < ids->len; i++) {
    BurrowAgentStream *s = burrow_agent_find_stream (agent, g_array_index (ids, guint, i));

    if (s)
      stream_restart (s);
  }
  g_object_unref (agent);
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
  BURROW_AGENT_HOLD_SIGNALS (agent);
  BurrowAgentStream *s;

  g_return_val_if_fail (BURROW_IS_AGENT (agent), FALSE);
  s = burrow_agent_find_stream (agent, stream_id);
  if (s == NULL)
    return FALSE;
  stream_restart (s);
  return TRUE;
}

void
burrow_agent_close_all (BurrowAgent *agent)
{
  GPtrArray *streams;
  guint i;

  if (agent->pacing_timer) {
    g_source_destroy (agent->pacing_timer);
    g_clear_pointer (&agent->pacing_timer, g_source_unref);
  }
  if (agent->keepalive_timer) {
    g_source_destroy (agent->keepalive_timer);
    g_clear_pointer (&agent->keepalive_timer, g_source_unref);
  }
  if (agent->streams->len == 0)
    return;
  /* out of reach of other threads first, then freed */
  g_mutex_lock (&agent->lock);
  streams = agent->streams;
  agent->streams = g_ptr_array_new ();
  g_mutex_unlock (&agent->lock);
  for (i = 0; i < streams->len; i++)
    burrow_agent_drop_signals (agent, ((BurrowAgentStream *) streams->pdata[i])->id);
  g_ptr_array_set_free_func (streams, (GDestroyNotify) burrow_agent_stream_free);
  g_ptr_array_unref (streams);
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
  burrow_agent_close_all (agent);
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

