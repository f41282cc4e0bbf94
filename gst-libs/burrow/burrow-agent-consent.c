/* burrow-agent-consent.c: keep-alives and consent freshness of the ICE
 * agent
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * RFC 8445 section 11 and RFC 7675: on each selected pair, a Binding
 * indication every 15 s, or (consent-freshness, keepalive-conncheck) an
 * authenticated check every 4 to 6 s, and the component failed after 30 s
 * without an answer.
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

/* ---- keep-alives and consent (RFC 8445 section 11, RFC 7675) ---- */

/* consent is checked every 5 s, each interval drawn from 0.8 to 1.2 times
 * that (RFC 7675 section 5.1), and lost after 30 s without an answer */
#define CONSENT_INTERVAL_MS 5000
#define CONSENT_TIMEOUT_US (30 * G_USEC_PER_SEC)
#define KEEPALIVE_INTERVAL_MS 15000

static void
send_keepalive (BurrowAgentComponent *c, BurrowAgentPair *pair)
{
  BurrowAgent *agent = c->stream->agent;
  GSocketAddress *to = G_SOCKET_ADDRESS (burrow_candidate_get_address (pair->remote));

  /* an ICE-lite agent sends no checks: keep-alives are indications */
  if (agent->full_mode && (agent->consent_freshness || agent->keepalive_conncheck)) {
    g_autoptr(BurrowStunMessage) msg = NULL;
    BurrowAgentTransaction *t;

    if (c->stream->remote_pwd == NULL)
      return;
    if (g_get_monotonic_time () - pair->last_consent > CONSENT_TIMEOUT_US) {
      g_debug ("stream %u component %u: consent lost", c->stream->id, c->id);
      burrow_agent_component_set_state (c, BURROW_COMPONENT_STATE_FAILED);
      return;
    }
    msg = burrow_agent_build_check (pair, FALSE);
    t = burrow_agent_transaction_start (agent, pair->base, to, msg, c->stream->remote_pwd);
    if (t) {
      t->pair = pair;
      t->consent = TRUE;
    }
  } else {
    g_autoptr(BurrowStunMessage) msg = burrow_stun_message_new_indication (
        BURROW_STUN_METHOD_BINDING);
    g_autoptr(GBytes) wire = burrow_stun_message_serialize (msg, BURROW_STUN_SIGN_FINGERPRINT,
        NULL, 0, NULL);

    if (wire)
      burrow_agent_base_send (pair->base, to, g_bytes_get_data (wire, NULL),
          g_bytes_get_size (wire));
  }
}

static gboolean
keepalive_cb (gpointer user_data)
{
  BurrowAgent *agent = g_object_ref (user_data);
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (guint));
  guint i, j;
  BURROW_AGENT_HOLD_SIGNALS (agent);

  /* a consent loss emits component-state-changed, whose handler may remove
   * streams: walk a copy of the ids and look each component up again */
  for (i = 0; i < agent->streams->len; i++)
    g_array_append_val (ids, ((BurrowAgentStream *) agent->streams->pdata[i])->id);
  for (i = 0; i < ids->len; i++) {
    for (j = 1; ; j++) {
      BurrowAgentComponent *c = burrow_agent_find_component (agent,
          g_array_index (ids, guint, i), j);

      if (c == NULL)
        break;
      if (c->selected && c->state != BURROW_COMPONENT_STATE_FAILED)
        send_keepalive (c, c->selected);
    }
  }
  /* the next one after a fresh random interval */
  g_clear_pointer (&agent->keepalive_timer, g_source_unref);
  burrow_agent_keepalive_start (agent);
  g_object_unref (agent);
  return G_SOURCE_REMOVE;
}

void
burrow_agent_keepalive_start (BurrowAgent *agent)
{
  guint interval = agent->consent_freshness || agent->keepalive_conncheck ?
      CONSENT_INTERVAL_MS : KEEPALIVE_INTERVAL_MS;

  if (agent->keepalive_timer)
    return;
  /* agents that started together do not stay in step */
  interval = (guint) g_random_int_range ((gint32) (interval * 4 / 5),
      (gint32) (interval * 6 / 5) + 1);
  agent->keepalive_timer = g_timeout_source_new (interval);
  g_source_set_static_name (agent->keepalive_timer, "[burrow] ICE keep-alive");
  g_source_set_callback (agent->keepalive_timer, keepalive_cb, agent, NULL);
  g_source_attach (agent->keepalive_timer, agent->context);
}
