/* burrow-agent-sdp.c: a BurrowAgent's streams as SDP, and a peer's SDP read
 * into it, in libnice's format
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "burrow-agent-private.h"

#include <string.h>

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "burrow-ice"

/* Bounds on the work a peer's SDP can cause. A text over either limit is
 * refused before anything is read from it. A generous real SDP (a few
 * streams, two components, some dozen candidates each) is a few kilobytes
 * and under a hundred lines. */
#define SDP_MAX_LENGTH (256 * 1024)
#define SDP_MAX_LINES 4096
/* RFC 8839 section 5.4: ufrag and password are at most 256 characters;
 * longer ones are cut, as libnice's NICE_STREAM_MAX_UFRAG and _PWD do */
#define SDP_MAX_CREDENTIAL 256
/* component ids a candidate line may name (burrow_candidate_new_from_sdp) */
#define SDP_MAX_COMPONENT_ID 256

/* libnice's NICE_COMPONENT_TYPE_RTP and _RTCP */
#define COMPONENT_RTP 1
#define COMPONENT_RTCP 2

/* Writing */

static gint
compare_stream_ids (gconstpointer a, gconstpointer b)
{
  const BurrowAgentStream *sa = *(BurrowAgentStream *const *) a;
  const BurrowAgentStream *sb = *(BurrowAgentStream *const *) b;

  return sa->id < sb->id ? -1 : sa->id > sb->id;
}

/* The streams in the order they were added, as libnice keeps them: ids
 * only grow, so that is the order of their ids. */
static GPtrArray *
streams_in_order (BurrowAgent *agent)
{
  GPtrArray *streams = g_ptr_array_sized_new (agent->streams->len);
  guint i;

  for (i = 0; i < agent->streams->len; i++)
    g_ptr_array_add (streams, g_ptr_array_index (agent->streams, i));
  g_ptr_array_sort (streams, compare_stream_ids);
  return streams;
}

static BurrowAgentComponent *
stream_component (BurrowAgentStream *stream, guint component_id)
{
  guint i;

  for (i = 0; i < stream->components->len; i++) {
    BurrowAgentComponent *component = g_ptr_array_index (stream->components, i);

    if (component->id == component_id)
      return component;
  }
  return NULL;
}

/* Whether a local candidate is shown to the peer: with force-relay only
 * relayed ones are, as in libnice. */
static gboolean
candidate_is_shown (BurrowAgent *agent, BurrowCandidate *candidate)
{
  return !agent->force_relay ||
      burrow_candidate_get_candidate_type (candidate) == BURROW_CANDIDATE_TYPE_RELAYED;
}

static gboolean
candidate_is_ipv4 (BurrowCandidate *candidate)
{
  GInetSocketAddress *address = burrow_candidate_get_address (candidate);

  return address != NULL && g_inet_address_get_family (
      g_inet_socket_address_get_address (address)) == G_SOCKET_FAMILY_IPV4;
}

/* A non-ICE peer sends UDP: TCP candidates are the default only when
 * there is no UDP one (ice-udp off), and then the passive ones, which have
 * a port to send to. */
static gboolean
candidate_is_default_transport (BurrowAgentComponent *component, BurrowCandidate *candidate)
{
  BurrowCandidateTransport transport = burrow_candidate_get_transport (candidate);
  guint i;

  if (transport == BURROW_CANDIDATE_TRANSPORT_UDP)
    return TRUE;
  if (transport != BURROW_CANDIDATE_TRANSPORT_TCP_PASSIVE)
    return FALSE;
  for (i = 0; i < component->local_candidates->len; i++)
    if (burrow_candidate_get_transport (component->local_candidates->pdata[i]) ==
        BURROW_CANDIDATE_TRANSPORT_UDP)
      return FALSE;
  return TRUE;
}

/* The candidate a non-ICE peer sends to, libnice's "default candidate":
 * for RTP the IPv4 candidate of lowest priority (the first of equals);
 * for RTCP the IPv4 candidate with the foundation of RTP's. UDP ones
 * first. */
static BurrowCandidate *
default_candidate (BurrowAgent *agent, BurrowAgentStream *stream, guint component_id)
{
  BurrowAgentComponent *component = stream_component (stream, component_id);
  BurrowCandidate *rtp = NULL;
  BurrowCandidate *found = NULL;
  guint i;

  if (component == NULL)
    return NULL;
  if (component_id != COMPONENT_RTP) {
    rtp = default_candidate (agent, stream, COMPONENT_RTP);
    if (rtp == NULL)
      return NULL;
  }

  for (i = 0; i < component->local_candidates->len; i++) {
    BurrowCandidate *candidate = g_ptr_array_index (component->local_candidates, i);

    if (!candidate_is_shown (agent, candidate) || !candidate_is_ipv4 (candidate) ||
        !candidate_is_default_transport (component, candidate))
      continue;
    if (rtp == NULL) {
      if (found == NULL ||
          burrow_candidate_get_priority (candidate) < burrow_candidate_get_priority (found))
        found = candidate;
    } else if (g_strcmp0 (burrow_candidate_get_foundation (candidate),
                   burrow_candidate_get_foundation (rtp)) == 0) {
      return candidate;
    }
  }
  return found;
}

/* "m=", "c=" and "a=rtcp:" lines: what a peer without ICE reads */
static void
append_media_lines (BurrowAgent *agent, BurrowAgentStream *stream, GString *sdp)
{
  BurrowCandidate *rtp = default_candidate (agent, stream, COMPONENT_RTP);
  BurrowCandidate *rtcp = default_candidate (agent, stream, COMPONENT_RTCP);
  g_autofree gchar *ip = rtp != NULL ? burrow_candidate_get_ip (rtp) : g_strdup ("0.0.0.0");

  g_string_append_printf (sdp, "m=%s %u ICE/SDP\n", stream->name != NULL ? stream->name : "-",
      rtp != NULL ? burrow_candidate_get_port (rtp) : 0);
  g_string_append_printf (sdp, "c=IN IP4 %s\n", ip);
  if (rtcp != NULL && burrow_candidate_get_port (rtcp) != 0)
    g_string_append_printf (sdp, "a=rtcp:%u\n", burrow_candidate_get_port (rtcp));
}

static void
append_stream_sdp (BurrowAgent *agent, BurrowAgentStream *stream, GString *sdp,
    gboolean include_non_ice)
{
  guint i, j;

  if (include_non_ice)
    append_media_lines (agent, stream, sdp);
  g_string_append_printf (sdp, "a=ice-ufrag:%s\n",
      stream->local_ufrag != NULL ? stream->local_ufrag : "");
  g_string_append_printf (sdp, "a=ice-pwd:%s\n",
      stream->local_pwd != NULL ? stream->local_pwd : "");

  for (i = 0; i < stream->components->len; i++) {
    BurrowAgentComponent *component = g_ptr_array_index (stream->components, i);

    for (j = 0; j < component->local_candidates->len; j++) {
      BurrowCandidate *candidate = g_ptr_array_index (component->local_candidates, j);
      g_autofree gchar *line = NULL;

      if (!candidate_is_shown (agent, candidate))
        continue;
      line = burrow_candidate_to_sdp_attribute (candidate);
      if (line != NULL)
        g_string_append_printf (sdp, "%s\n", line);
    }
  }
}

/**
 * burrow_agent_generate_local_sdp:
 * @agent: an agent
 *
 * Writes every stream of @agent as SDP, in the order the streams were
 * added, in the format of libnice's `nice_agent_generate_local_sdp()`, which
 * [method@Burrow.Agent.parse_remote_sdp] reads on the other side. Each
 * stream is a media section:
 *
 *     m=audio 40123 ICE/SDP
 *     c=IN IP4 192.0.2.1
 *     a=rtcp:40124
 *     a=ice-ufrag:W8GQ
 *     a=ice-pwd:jQh4Ntqait4LKn9VyZS0fC
 *     a=candidate:1 1 UDP 2015364095 192.0.2.1 40123 typ host
 *     a=candidate:1 2 UDP 2015364094 192.0.2.1 40124 typ host
 *
 * The media is the stream's name ([method@Burrow.Agent.set_stream_name]),
 * or "-" without one. The port and address of the "m=" and "c=" lines are
 * those of the default candidate of component 1 (the IPv4 candidate of
 * lowest priority), "m=- 0" and "c=IN IP4 0.0.0.0" without one; "a=rtcp:"
 * gives the port of component 2's candidate with the same foundation, and
 * is left out when there is none. Then come the local credentials and every
 * local candidate gathered so far, component by component, each line as
 * [method@Burrow.Agent.generate_local_candidate_sdp] writes it. Lines end
 * in "\n" alone, as libnice's do. With
 * [property@Burrow.Agent:force-relay] only relayed candidates are written.
 *
 * Call it once gathering is done ([signal@Burrow.Agent::candidate-gathering-done])
 * to send all candidates at once; with trickle ICE send
 * [method@Burrow.Agent.generate_local_candidate_sdp] for each new one
 * instead.
 *
 * Returns: (transfer full): the SDP, empty when @agent has no streams
 *
 * Since: 0.1
 */
gchar *
burrow_agent_generate_local_sdp (BurrowAgent *agent)
{
  g_autoptr(GPtrArray) streams = NULL;
  GString *sdp;
  guint i;

  g_return_val_if_fail (BURROW_IS_AGENT (agent), NULL);

  sdp = g_string_new (NULL);
  /* RFC 8839 section 5.3: a session-level attribute */
  if (!agent->full_mode)
    g_string_append (sdp, "a=ice-lite\n");
  streams = streams_in_order (agent);
  for (i = 0; i < streams->len; i++)
    append_stream_sdp (agent, g_ptr_array_index (streams, i), sdp, TRUE);
  return g_string_free (sdp, FALSE);
}

/**
 * burrow_agent_generate_local_stream_sdp:
 * @agent: an agent
 * @stream_id: the stream to write
 * @include_non_ice: whether to start with the "m=", "c=" and "a=rtcp:"
 *   lines a peer without ICE needs
 *
 * Writes one stream as SDP, as libnice's
 * `nice_agent_generate_local_stream_sdp()`: the section
 * [method@Burrow.Agent.generate_local_sdp] writes for the stream, or
 * without @include_non_ice only its "a=ice-ufrag:", "a=ice-pwd:" and
 * "a=candidate:" lines. Read it on the other side with
 * [method@Burrow.Agent.parse_remote_stream_sdp].
 *
 * Returns: (transfer full) (nullable): the SDP, or %NULL if there is no
 *   stream @stream_id
 *
 * Since: 0.1
 */
gchar *
burrow_agent_generate_local_stream_sdp (BurrowAgent *agent, guint stream_id,
    gboolean include_non_ice)
{
  BurrowAgentStream *stream;
  GString *sdp;

  g_return_val_if_fail (BURROW_IS_AGENT (agent), NULL);

  stream = burrow_agent_find_stream (agent, stream_id);
  if (stream == NULL)
    return NULL;
  sdp = g_string_new (NULL);
  append_stream_sdp (agent, stream, sdp, include_non_ice);
  return g_string_free (sdp, FALSE);
}

/**
 * burrow_agent_generate_local_candidate_sdp:
 * @agent: an agent
 * @candidate: a local candidate, as [signal@Burrow.Agent::new-candidate-full]
 *   gives or [method@Burrow.Agent.get_local_candidates] lists
 *
 * Writes one candidate as an SDP attribute line, without line end, as
 * libnice's `nice_agent_generate_local_candidate_sdp()`:
 *
 *     a=candidate:1 1 UDP 2015364095 192.0.2.1 40123 typ host
 *
 * This is [method@Burrow.Candidate.to_sdp_attribute]; it is what trickle
 * ICE sends for each new candidate, and what
 * [method@Burrow.Agent.parse_remote_candidate_sdp] reads.
 *
 * Returns: (transfer full): the line
 *
 * Since: 0.1
 */
gchar *
burrow_agent_generate_local_candidate_sdp (BurrowAgent *agent, BurrowCandidate *candidate)
{
  g_return_val_if_fail (BURROW_IS_AGENT (agent), NULL);
  g_return_val_if_fail (BURROW_IS_CANDIDATE (candidate), NULL);

  return burrow_candidate_to_sdp_attribute (candidate);
}

/* Reading */

/* Splits into lines at "\n", each without trailing blanks or "\r"; NULL
 * for text over the bounds. */
static gchar **
sdp_lines (const gchar *sdp)
{
  gsize len = strnlen (sdp, SDP_MAX_LENGTH + 1);
  guint n_lines = 1;
  gchar **lines;
  gsize i;

  if (len > SDP_MAX_LENGTH) {
    g_debug ("Remote SDP is longer than %u bytes; refused", SDP_MAX_LENGTH);
    return NULL;
  }
  for (i = 0; i < len; i++) {
    if (sdp[i] == '\n' && ++n_lines > SDP_MAX_LINES) {
      g_debug ("Remote SDP has more than %u lines; refused", SDP_MAX_LINES);
      return NULL;
    }
  }

  lines = g_strsplit (sdp, "\n", -1);
  for (i = 0; lines[i] != NULL; i++)
    g_strchomp (lines[i]);
  return lines;
}

/* If @line is "a=ice-ufrag:" or "a=ice-pwd:" (@prefix), its value in
 * @value (NULL when the value is empty or has bytes other than printable
 * ASCII, which no implementation sends), cut to SDP_MAX_CREDENTIAL. */
static gboolean
sdp_credential (const gchar *line, const gchar *prefix, gchar **value)
{
  const gchar *p;

  if (!g_str_has_prefix (line, prefix))
    return FALSE;
  *value = NULL;
  for (p = line + strlen (prefix); *p != '\0'; p++) {
    if ((guchar) *p <= 0x20 || (guchar) *p >= 0x7f) {
      g_debug ("Remote SDP line '%s' has a bad byte 0x%02x; not used", prefix, (guchar) *p);
      return TRUE;
    }
  }
  p = line + strlen (prefix);
  if (*p == '\0')
    g_debug ("Remote SDP line '%s' is empty; not used", prefix);
  else
    *value = g_strndup (p, SDP_MAX_CREDENTIAL);
  return TRUE;
}

/* Reads one "a=candidate:" line; NULL (and a debug message) if it cannot
 * make a candidate. */
static BurrowCandidate *
sdp_candidate (const gchar *line, guint stream_id)
{
  g_autoptr(GError) error = NULL;
  BurrowCandidate *candidate;

  candidate = burrow_candidate_new_from_sdp (line, stream_id, &error);
  if (candidate == NULL)
    g_debug ("Remote SDP candidate for stream %u ignored: %s", stream_id, error->message);
  return candidate;
}

/* Counts a candidate for a component; FALSE past
 * BURROW_AGENT_MAX_REMOTE_CANDIDATES, saying so once. */
static gboolean
below_limit (guint16 *per_component, guint component_id)
{
  if (per_component[component_id] > BURROW_AGENT_MAX_REMOTE_CANDIDATES)
    return FALSE;
  if (per_component[component_id]++ < BURROW_AGENT_MAX_REMOTE_CANDIDATES)
    return TRUE;
  g_debug ("Remote SDP has more than %u candidates for component %u; the rest are ignored",
      BURROW_AGENT_MAX_REMOTE_CANDIDATES, component_id);
  return FALSE;
}

/* What one media section of burrow_agent_parse_remote_sdp() gives a stream,
 * kept until the section ends so that the credentials are set before the
 * candidates, and each component's candidates at once. The stream is held
 * by id: setting candidates may run handlers that remove streams. */
typedef struct {
  guint stream_id;              /* 0 before the first "m=" line */
  gchar *ufrag;
  gchar *pwd;
  GSList *candidates;           /* BurrowCandidate, last line first */
  guint16 per_component[SDP_MAX_COMPONENT_ID + 1];
} SdpSection;

static void
section_clear (SdpSection *section)
{
  g_clear_pointer (&section->ufrag, g_free);
  g_clear_pointer (&section->pwd, g_free);
  g_slist_free_full (section->candidates, g_object_unref);
  memset (section, 0, sizeof *section);
}

/* Sets the section's credentials, filling in a missing one with what the
 * stream has; FALSE if the agent refuses them. */
static gboolean
section_apply_credentials (BurrowAgent *agent, SdpSection *section)
{
  BurrowAgentStream *stream = burrow_agent_find_stream (agent, section->stream_id);
  const gchar *ufrag, *pwd;

  if (stream == NULL || (section->ufrag == NULL && section->pwd == NULL))
    return TRUE;
  ufrag = section->ufrag != NULL ? section->ufrag : stream->remote_ufrag;
  pwd = section->pwd != NULL ? section->pwd : stream->remote_pwd;
  if (ufrag == NULL || pwd == NULL) {
    g_debug ("Remote SDP gives stream %u a %s but no %s; credentials not set", stream->id,
        ufrag != NULL ? "ufrag" : "password", ufrag != NULL ? "password" : "ufrag");
    return TRUE;
  }
  return burrow_agent_set_remote_credentials (agent, section->stream_id, ufrag, pwd);
}

/* Hands the section to the agent; returns how many candidates it took, or
 * -1 if it refused the credentials. */
static gint
section_apply (BurrowAgent *agent, SdpSection *section)
{
  gint added = 0;
  guint component_id;

  if (section->stream_id == 0)
    return 0;
  if (!section_apply_credentials (agent, section))
    return -1;

  for (component_id = 1; component_id <= SDP_MAX_COMPONENT_ID; component_id++) {
    g_autoptr(GSList) mine = NULL;
    GSList *l;
    gint n;

    if (section->per_component[component_id] == 0)
      continue;
    /* the list is last line first: prepending restores the SDP's order */
    for (l = section->candidates; l != NULL; l = l->next) {
      if (burrow_candidate_get_component_id (l->data) == component_id)
        mine = g_slist_prepend (mine, l->data);
    }
    n = burrow_agent_set_remote_candidates (agent, section->stream_id, component_id, mine);
    if (n > 0)
      added += n;
  }
  return added;
}

/* Reads one "a=candidate:" line of a section. FALSE where libnice's
 * nice_agent_parse_remote_sdp() fails: a line that is not a candidate, or
 * one naming a component the stream does not have. Candidates past
 * BURROW_AGENT_MAX_REMOTE_CANDIDATES for a component are ignored. */
static gboolean
section_add_candidate (BurrowAgent *agent, SdpSection *section, const gchar *line)
{
  g_autoptr(BurrowCandidate) candidate = NULL;
  guint component_id;

  candidate = sdp_candidate (line, section->stream_id);
  if (candidate == NULL)
    return FALSE;
  component_id = burrow_candidate_get_component_id (candidate);
  if (component_id > SDP_MAX_COMPONENT_ID ||
      burrow_agent_find_component (agent, section->stream_id, component_id) == NULL) {
    g_debug ("Remote SDP candidate names component %u, which stream %u does not have",
        component_id, section->stream_id);
    return FALSE;
  }
  if (!below_limit (section->per_component, component_id))
    return TRUE;
  section->candidates = g_slist_prepend (section->candidates, g_steal_pointer (&candidate));
  return TRUE;
}

/* Starts the section of an "m=" line, after handing over the last one;
 * FALSE on an error. */
static gboolean
section_next (BurrowAgent *agent, GArray *stream_ids, guint *next_stream,
    SdpSection *section, gint *added)
{
  gint n = section_apply (agent, section);

  section_clear (section);
  if (n < 0)
    return FALSE;
  *added += n;
  if (*next_stream >= stream_ids->len) {
    g_debug ("Remote SDP has more media sections than the agent had streams (%u)",
        stream_ids->len);
    return FALSE;
  }
  section->stream_id = g_array_index (stream_ids, guint, (*next_stream)++);
  return TRUE;
}

/* One line of burrow_agent_parse_remote_sdp(); FALSE on an error. */
static gboolean
parse_remote_line (BurrowAgent *agent, GArray *stream_ids, guint *next_stream,
    SdpSection *section, const gchar *line, gint *added)
{
  gchar *value = NULL;
  gboolean is_ufrag;

  if (g_str_has_prefix (line, "m="))
    return section_next (agent, stream_ids, next_stream, section, added);
  if (g_str_equal (line, "a=ice-lite")) {
    /* RFC 8445 6.1.1: facing an ICE-lite peer, a full agent controls */
    if (agent->full_mode)
      burrow_agent_set_controlling (agent, TRUE);
    return TRUE;
  }

  is_ufrag = g_str_has_prefix (line, "a=ice-ufrag:");
  if (!is_ufrag && !g_str_has_prefix (line, "a=ice-pwd:") &&
      !g_str_has_prefix (line, "a=candidate:"))
    return TRUE;
  if (section->stream_id == 0) {
    g_debug ("Remote SDP has ICE attributes before its first media section");
    return FALSE;
  }
  if (sdp_credential (line, is_ufrag ? "a=ice-ufrag:" : "a=ice-pwd:", &value)) {
    gchar **slot = is_ufrag ? &section->ufrag : &section->pwd;

    if (value == NULL)
      return FALSE;
    g_free (*slot);
    *slot = value;
    return TRUE;
  }
  return section_add_candidate (agent, section, line);
}

/**
 * burrow_agent_parse_remote_sdp:
 * @agent: an agent
 * @sdp: the peer's SDP, as [method@Burrow.Agent.generate_local_sdp] or
 *   libnice's `nice_agent_generate_local_sdp()` writes it
 *
 * Reads a peer's SDP into @agent, as libnice's
 * `nice_agent_parse_remote_sdp()`: each media section ("m=" line) belongs
 * to a stream, the first to the first stream added, the second to the
 * second, whatever the media names. Its "a=ice-ufrag:" and "a=ice-pwd:"
 * become the stream's remote credentials
 * ([method@Burrow.Agent.set_remote_credentials]) and its "a=candidate:"
 * lines its components' remote candidates
 * ([method@Burrow.Agent.set_remote_candidates]), which starts connectivity
 * checks. Other lines are skipped. Lines may end in "\r\n" or "\n";
 * trailing blanks are dropped.
 *
 * It fails, returning -1, where libnice does: on an ICE attribute before
 * the first "m=" line, on more "m=" lines than @agent has streams, on a
 * candidate line that cannot be read or names a component its stream does
 * not have, and on credentials the agent refuses; an empty or non-ASCII
 * ufrag or password fails too. What came before the failure, up to the
 * media section it is in, has been set; set remote credentials and
 * candidates again after fixing the SDP.
 *
 * Hostile SDP is bounded: text over 256 KiB or 4096 lines is refused (-1)
 * before anything is set, credentials are cut to 256 characters (RFC 8839's
 * maximum), and candidates past 100 per
 * component are ignored.
 *
 * Returns: the number of remote candidates added, or -1 on an error
 *
 * Since: 0.1
 */
gint
burrow_agent_parse_remote_sdp (BurrowAgent *agent, const gchar *sdp)
{
  BURROW_AGENT_HOLD_SIGNALS (agent);
  g_auto(GStrv) lines = NULL;
  g_autoptr(GArray) stream_ids = NULL;
  g_autoptr(GPtrArray) streams = NULL;
  SdpSection section = { 0, };
  guint next_stream = 0;
  gint added = 0, n;
  guint i;

  g_return_val_if_fail (BURROW_IS_AGENT (agent), -1);
  g_return_val_if_fail (sdp != NULL, -1);

  lines = sdp_lines (sdp);
  if (lines == NULL)
    return -1;
  streams = streams_in_order (agent);
  stream_ids = g_array_sized_new (FALSE, FALSE, sizeof (guint), streams->len);
  for (i = 0; i < streams->len; i++)
    g_array_append_val (stream_ids, ((BurrowAgentStream *) g_ptr_array_index (streams, i))->id);

  g_object_ref (agent);
  for (i = 0; lines[i] != NULL; i++) {
    if (!parse_remote_line (agent, stream_ids, &next_stream, &section, lines[i], &added)) {
      added = -1;
      break;
    }
  }
  /* what came before a failure stays set, as in libnice */
  n = section_apply (agent, &section);
  section_clear (&section);
  g_object_unref (agent);
  return n < 0 || added < 0 ? -1 : added + n;
}

/* One line of burrow_agent_parse_remote_stream_sdp() */
static void
parse_stream_line (guint stream_id, const gchar *line, gchar **ufrag, gchar **pwd,
    GSList **candidates, guint16 *per_component)
{
  BurrowCandidate *candidate;
  gchar *value = NULL;
  guint component_id;

  if (sdp_credential (line, "a=ice-ufrag:", &value) ||
      sdp_credential (line, "a=ice-pwd:", &value)) {
    gchar **slot = g_str_has_prefix (line, "a=ice-ufrag:") ? ufrag : pwd;

    if (value != NULL && slot != NULL) {
      g_free (*slot);
      *slot = value;
    } else {
      g_free (value);
    }
    return;
  }
  if (!g_str_has_prefix (line, "a=candidate:"))
    return;
  candidate = sdp_candidate (line, stream_id);
  if (candidate == NULL)
    return;
  component_id = burrow_candidate_get_component_id (candidate);
  if (component_id > SDP_MAX_COMPONENT_ID || !below_limit (per_component, component_id)) {
    g_object_unref (candidate);
    return;
  }
  *candidates = g_slist_prepend (*candidates, candidate);
}

/**
 * burrow_agent_parse_remote_stream_sdp:
 * @agent: an agent
 * @stream_id: the stream the SDP is for; it gives the candidates'
 *   [property@Burrow.Candidate:stream-id]
 * @sdp: the peer's SDP for that stream, as
 *   [method@Burrow.Agent.generate_local_stream_sdp] or libnice's
 *   `nice_agent_generate_local_stream_sdp()` writes it
 * @ufrag: (out) (optional) (nullable) (transfer full): the remote ufrag
 *   ("a=ice-ufrag:"), %NULL if there is none
 * @pwd: (out) (optional) (nullable) (transfer full): the remote password
 *   ("a=ice-pwd:"), %NULL if there is none
 *
 * Reads the credentials and candidates of one stream from SDP, as
 * libnice's `nice_agent_parse_remote_stream_sdp()`, without setting them:
 * give them to [method@Burrow.Agent.set_remote_credentials] and
 * [method@Burrow.Agent.set_remote_candidates]. Every line is read, whatever
 * the "m=" lines; lines may end in "\r\n" or "\n"; the last ufrag and
 * password win.
 *
 * Candidate lines that cannot be read are skipped (libnice 0.1.21 gives no
 * candidate at all then), as are empty or non-ASCII credentials.
 * Hostile SDP is bounded as in [method@Burrow.Agent.parse_remote_sdp]: text
 * over 256 KiB or 4096 lines gives %NULL; credentials are cut to 256
 * characters; at most 100 candidates per
 * component are returned.
 *
 * Returns: (element-type Burrow.Candidate) (transfer full) (nullable): the
 *   candidates, in the order of the SDP; %NULL if there are none, if the
 *   SDP is refused or if there is no stream @stream_id
 *
 * Since: 0.1
 */
GSList *
burrow_agent_parse_remote_stream_sdp (BurrowAgent *agent, guint stream_id, const gchar *sdp,
    gchar **ufrag, gchar **pwd)
{
  BURROW_AGENT_HOLD_SIGNALS (agent);
  g_auto(GStrv) lines = NULL;
  guint16 per_component[SDP_MAX_COMPONENT_ID + 1] = { 0, };
  GSList *candidates = NULL;
  guint i;

  if (ufrag != NULL)
    *ufrag = NULL;
  if (pwd != NULL)
    *pwd = NULL;
  g_return_val_if_fail (BURROW_IS_AGENT (agent), NULL);
  g_return_val_if_fail (sdp != NULL, NULL);

  if (burrow_agent_find_stream (agent, stream_id) == NULL)
    return NULL;
  lines = sdp_lines (sdp);
  if (lines == NULL)
    return NULL;
  for (i = 0; lines[i] != NULL; i++)
    parse_stream_line (stream_id, lines[i], ufrag, pwd, &candidates, per_component);
  return g_slist_reverse (candidates);
}

/**
 * burrow_agent_parse_remote_candidate_sdp:
 * @agent: an agent
 * @stream_id: the stream the candidate is for, its
 *   [property@Burrow.Candidate:stream-id]
 * @sdp: one candidate line, as
 *   [method@Burrow.Agent.generate_local_candidate_sdp] writes it
 *
 * Reads one remote candidate, as libnice's
 * `nice_agent_parse_remote_candidate_sdp()`: what a trickle ICE peer sends
 * for each new candidate. Add it with
 * [method@Burrow.Agent.set_remote_candidates]. As in libnice the stream is
 * not looked up. The line is read by [ctor@Burrow.Candidate.new_from_sdp],
 * which also accepts it without "a=" and says why a line is refused.
 *
 * Returns: (transfer full) (nullable): the candidate, or %NULL if @sdp is
 *   not a candidate line Burrow can use
 *
 * Since: 0.1
 */
BurrowCandidate *
burrow_agent_parse_remote_candidate_sdp (BurrowAgent *agent, guint stream_id, const gchar *sdp)
{
  g_return_val_if_fail (BURROW_IS_AGENT (agent), NULL);
  g_return_val_if_fail (sdp != NULL, NULL);

  return sdp_candidate (sdp, stream_id);
}
