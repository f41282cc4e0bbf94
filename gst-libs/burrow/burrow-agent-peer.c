/* burrow-agent-peer.c: the ICE agent's STUN server side and its datagram
 * dispatch
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * RFC 8445 section 7.3: the peer's checks, authenticated with the stream's
 * short-term credentials, answered, role conflicts resolved by the
 * tie-breakers, peer-reflexive candidates learnt, triggered checks and
 * nominations that follow; and the split of every datagram into data and
 * STUN.
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

/* ---- checks from the peer (the STUN server side) ---- */

static void
send_response (BurrowAgentBase *base, GSocketAddress *to, BurrowStunMessage *request,
    guint error_code, const gchar *password)
{
  g_autoptr(BurrowStunMessage) response = NULL;
  g_autoptr(GBytes) key = burrow_stun_short_term_key (password, NULL);
  g_autoptr(GBytes) wire = NULL;

  if (error_code)
    response = burrow_stun_message_new_error_response (request, error_code, "Role Conflict");
  else {
    response = burrow_stun_message_new_response (request, BURROW_STUN_CLASS_SUCCESS_RESPONSE);
    burrow_stun_message_add_address (response, BURROW_STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS,
        G_INET_SOCKET_ADDRESS (to));
  }
  wire = burrow_stun_message_serialize (response, BURROW_STUN_SIGN_MESSAGE_INTEGRITY |
      BURROW_STUN_SIGN_FINGERPRINT, g_bytes_get_data (key, NULL), g_bytes_get_size (key), NULL);
  if (wire)
    burrow_agent_base_send (base, to, g_bytes_get_data (wire, NULL), g_bytes_get_size (wire));
}

/* RFC 8445 7.3.1.1. Returns TRUE if the request must be answered 487. */
static gboolean
role_conflict (BurrowAgent *agent, BurrowStunMessage *request)
{
  guint64 theirs = 0;
  gboolean conflict = FALSE;

  /* RFC 8445 6.1.1: an ICE-lite agent is always controlled; the repair of
   * 7.3.1.1 is for full agents. A full peer that says it is controlled
   * too gets a 487 and takes control itself (7.2.5.1). */
  if (!agent->full_mode)
    return burrow_stun_message_has_attribute (request, BURROW_STUN_ATTRIBUTE_ICE_CONTROLLED);
  if (agent->controlling &&
      burrow_stun_message_get_uint64 (request, BURROW_STUN_ATTRIBUTE_ICE_CONTROLLING, &theirs)) {
    if (agent->tie_breaker >= theirs)
      return TRUE;
    conflict = TRUE;
  } else if (!agent->controlling &&
      burrow_stun_message_get_uint64 (request, BURROW_STUN_ATTRIBUTE_ICE_CONTROLLED, &theirs)) {
    if (agent->tie_breaker < theirs)
      return TRUE;
    conflict = TRUE;
  }
  if (conflict) {
    /* we repair it: the other role */
    burrow_agent_set_controlling (agent, !agent->controlling);
    g_debug ("role conflict: now %s", agent->controlling ? "controlling" : "controlled");
  }
  return FALSE;
}

static gboolean
request_authentic (BurrowAgentStream *s, BurrowStunMessage *request)
{
  g_autofree gchar *username = burrow_stun_message_get_string (request,
      BURROW_STUN_ATTRIBUTE_USERNAME);
  g_autoptr(GBytes) key = NULL;
  gsize ufrag_len = strlen (s->local_ufrag);

  if (!burrow_stun_message_check_fingerprint (request) || username == NULL ||
      strncmp (username, s->local_ufrag, ufrag_len) != 0 || username[ufrag_len] != ':')
    return FALSE;
  key = burrow_stun_short_term_key (s->local_pwd, NULL);
  return key && burrow_stun_message_check_integrity (request, g_bytes_get_data (key, NULL),
      g_bytes_get_size (key));
}

static BurrowCandidate *
learn_remote_prflx (BurrowAgentComponent *c, GSocketAddress *from, guint32 priority,
    BurrowCandidateTransport transport)
{
  BurrowAgent *agent = c->stream->agent;
  BurrowCandidate *candidate;
  g_autofree gchar *foundation = NULL;
  guint i;

  for (i = 0; i < c->remote_candidates->len; i++) {
    candidate = c->remote_candidates->pdata[i];
    if (burrow_candidate_get_transport (candidate) == transport &&
        burrow_socket_address_equal (G_SOCKET_ADDRESS (burrow_candidate_get_address (candidate)),
            from))
      return candidate;
  }
  if (c->remote_candidates->len >= BURROW_AGENT_MAX_REMOTE_CANDIDATES) {
    agent->rejected++;
    return NULL;
  }
  /* RFC 8445 7.3.1.3: a peer-reflexive remote candidate */
  candidate = burrow_candidate_new (BURROW_CANDIDATE_TYPE_PEER_REFLEXIVE);
  burrow_candidate_set_address (candidate, G_INET_SOCKET_ADDRESS (from));
  /* RFC 6544 7.2.1: over TCP, the opposite of the local candidate */
  burrow_candidate_set_transport (candidate, transport);
  burrow_candidate_set_priority (candidate, priority);
  foundation = g_strdup_printf ("prflx%u", c->remote_candidates->len);
  burrow_candidate_set_foundation (candidate, foundation);
  burrow_candidate_set_stream_id (candidate, c->stream->id);
  burrow_candidate_set_component_id (candidate, c->id);
  g_ptr_array_add (c->remote_candidates, candidate);
  burrow_agent_emit_new_remote_candidate (agent, candidate);
  return candidate;
}

static void
handle_request (BurrowAgentBase *base, BurrowStunMessage *request, GSocketAddress *from)
{
  BurrowAgentComponent *c = base->component;
  BurrowAgentStream *s = c->stream;
  BurrowAgent *agent = s->agent;
  BurrowCandidate *remote;
  BurrowAgentPair *pair;
  guint32 priority = 0;

  if (burrow_stun_message_get_method (request) != BURROW_STUN_METHOD_BINDING ||
      !request_authentic (s, request) ||
      !burrow_stun_message_get_uint32 (request, BURROW_STUN_ATTRIBUTE_PRIORITY, &priority) ||
      priority == 0) {
    g_debug ("dropping a check that fails authentication");
    agent->rejected++;
    return;
  }
  if (role_conflict (agent, request)) {
    send_response (base, from, request, 487, s->local_pwd);
    return;
  }
  send_response (base, from, request, 0, s->local_pwd);
  {
    guint sid = s->id, cid = c->id;

    burrow_agent_emit_initial_binding (s);
    if (!burrow_agent_component_alive (agent, sid, cid, c))
      return;
  }

  {
    guint sid = s->id, cid = c->id;

    remote = learn_remote_prflx (c, from, priority, burrow_agent_base_peer_transport (base));
    /* new-remote-candidate-full may have removed the stream */
    if (remote == NULL || !burrow_agent_component_alive (agent, sid, cid, c))
      return;
  }
  if (base->candidate && (!agent->force_relay || base->relay))
    burrow_agent_pair_add (c, base, base->candidate, remote);
  pair = burrow_agent_find_pair (c, base, from);
  if (pair == NULL)
    return;
  if (!agent->full_mode) {
    /* ICE lite (RFC 8445 section 7.3.1.5): an authenticated check is all
     * there is to know of a pair; USE-CANDIDATE below selects it */
    pair->state = BURROW_PAIR_SUCCEEDED;
    pair->valid = TRUE;
    pair->last_consent = g_get_monotonic_time ();
  }
  if (!agent->controlling &&
      burrow_stun_message_has_attribute (request, BURROW_STUN_ATTRIBUTE_USE_CANDIDATE)) {
    if (pair->state == BURROW_PAIR_SUCCEEDED) {
      guint sid = s->id, cid = c->id;

      pair->nominated = TRUE;
      burrow_agent_component_update_state (c);
      if (!burrow_agent_component_alive (agent, sid, cid, c) || !g_ptr_array_find (s->pairs, pair, NULL))
        return;
    } else {
      pair->nominate_on_success = TRUE;
    }
  }
  /* RFC 8445 7.3.1.4: a triggered check, unless the pair already worked
   * (checking a valid pair again would have the peer check it again, and
   * so on) */
  if (pair->state != BURROW_PAIR_SUCCEEDED && !pair->valid)
    burrow_agent_pair_trigger (pair);
  if (c->state == BURROW_COMPONENT_STATE_DISCONNECTED ||
      c->state == BURROW_COMPONENT_STATE_GATHERING)
    burrow_agent_component_set_state (c, BURROW_COMPONENT_STATE_CONNECTING);
}

/* ---- every datagram ---- */

static gboolean
from_remote (BurrowAgentComponent *c, GSocketAddress *from)
{
  guint i;

  if (c->selected && burrow_socket_address_equal (G_SOCKET_ADDRESS (
          burrow_candidate_get_address (c->selected->remote)), from))
    return TRUE;
  for (i = 0; i < c->remote_candidates->len; i++)
    if (burrow_socket_address_equal (G_SOCKET_ADDRESS (burrow_candidate_get_address (
            c->remote_candidates->pdata[i])), from))
      return TRUE;
  return FALSE;
}

void
burrow_agent_receive (BurrowAgentBase *base, GSocketAddress *from, const guint8 *data, gsize len)
{
  BurrowAgentComponent *c = base->component;
  BurrowAgent *agent = c->stream->agent;
  g_autoptr(BurrowStunMessage) msg = NULL;

  /* data first: STUN starts with two zero bits, RTP and most else do not */
  if (len < 20 || (data[0] & 0xc0) != 0 || !burrow_stun_message_is_stun (data, len)) {
    if (from_remote (c, from))
      burrow_agent_deliver (c, from, data, len);
    else
      agent->rejected++;
    return;
  }
  msg = burrow_stun_message_new_from_data (data, len, NULL);
  if (msg == NULL) {
    agent->rejected++;
    return;
  }
  g_object_ref (agent);
  switch (burrow_stun_message_get_message_class (msg)) {
    case BURROW_STUN_CLASS_REQUEST:
      handle_request (base, msg, from);
      break;
    case BURROW_STUN_CLASS_SUCCESS_RESPONSE:
    case BURROW_STUN_CLASS_ERROR_RESPONSE:
      burrow_agent_handle_response (agent, base, msg, from);
      break;
    default:
      /* Binding indications are keep-alives */
      break;
  }
  g_object_unref (agent);
}
