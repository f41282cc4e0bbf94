/* burrow-agent.h: ICE agent (RFC 8445, 8838, 7675) with libnice's interface
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(__BURROW_H_INSIDE__) && !defined(BURROW_COMPILATION)
#error "Only <burrow/burrow.h> can be included directly."
#endif

#include <gio/gio.h>
#include <burrow/burrow-export.h>
#include <burrow/burrow-candidate.h>

G_BEGIN_DECLS

/**
 * BurrowCompatibility:
 * @BURROW_COMPATIBILITY_RFC5245: standard ICE: RFC 8445, which obsoletes
 *   RFC 5245 (the name is libnice's)
 * @BURROW_COMPATIBILITY_RFC8445: the same as %BURROW_COMPATIBILITY_RFC5245
 *
 * The ICE dialect of a [class@Burrow.Agent]. libnice's Google, MSN and
 * Office Communicator dialects are not supported.
 *
 * Since: 0.1
 */
typedef enum {
  BURROW_COMPATIBILITY_RFC5245 = 0,
  BURROW_COMPATIBILITY_RFC8445 = 0,
} BurrowCompatibility;

/**
 * BurrowComponentState:
 * @BURROW_COMPONENT_STATE_DISCONNECTED: no activity yet
 * @BURROW_COMPONENT_STATE_GATHERING: gathering local candidates
 * @BURROW_COMPONENT_STATE_CONNECTING: running connectivity checks
 * @BURROW_COMPONENT_STATE_CONNECTED: a pair works; data can flow
 * @BURROW_COMPONENT_STATE_READY: ICE concluded: a pair was nominated
 * @BURROW_COMPONENT_STATE_FAILED: every pair failed, or consent was lost
 * @BURROW_COMPONENT_STATE_LAST: the number of states
 *
 * The state of one component, as libnice names it.
 *
 * Since: 0.1
 */
typedef enum {
  BURROW_COMPONENT_STATE_DISCONNECTED,
  BURROW_COMPONENT_STATE_GATHERING,
  BURROW_COMPONENT_STATE_CONNECTING,
  BURROW_COMPONENT_STATE_CONNECTED,
  BURROW_COMPONENT_STATE_READY,
  BURROW_COMPONENT_STATE_FAILED,
  BURROW_COMPONENT_STATE_LAST,
} BurrowComponentState;

/**
 * BurrowNominationMode:
 * @BURROW_NOMINATION_MODE_REGULAR: the controlling agent nominates one
 *   valid pair after checks (RFC 8445 section 8.1.1)
 * @BURROW_NOMINATION_MODE_AGGRESSIVE: every check carries USE-CANDIDATE
 *   (RFC 5245's aggressive nomination)
 *
 * How the controlling agent nominates.
 *
 * Since: 0.1
 */
typedef enum {
  BURROW_NOMINATION_MODE_REGULAR,
  BURROW_NOMINATION_MODE_AGGRESSIVE,
} BurrowNominationMode;

/**
 * BurrowRelayType:
 * @BURROW_RELAY_TYPE_TURN_UDP: TURN over UDP
 * @BURROW_RELAY_TYPE_TURN_TCP: TURN over TCP
 * @BURROW_RELAY_TYPE_TURN_TLS: TURN over TLS
 *
 * How the agent reaches a TURN server given with
 * [method@Burrow.Agent.set_relay_info].
 *
 * Since: 0.1
 */
typedef enum {
  BURROW_RELAY_TYPE_TURN_UDP,
  BURROW_RELAY_TYPE_TURN_TCP,
  BURROW_RELAY_TYPE_TURN_TLS,
} BurrowRelayType;

/**
 * BurrowOutputMessage:
 * @buffers: (array length=n_buffers): the data, in pieces
 * @n_buffers: how many pieces
 *
 * One datagram to send with [method@Burrow.Agent.send_messages_nonblocking],
 * as libnice's `NiceOutputMessage`.
 *
 * Since: 0.1
 */
typedef struct {
  GOutputVector *buffers;
  gint n_buffers;
} BurrowOutputMessage;

/**
 * BurrowInputMessage:
 * @buffers: (array length=n_buffers): where to put the data
 * @n_buffers: how many buffers
 * @from: (optional) (out) (transfer full): where to store the sender's
 *   address, or %NULL (libnice fills a caller's `NiceAddress`; here the
 *   caller gets a new #GSocketAddress to unref)
 * @length: set to the number of bytes received
 *
 * One datagram for [method@Burrow.Agent.recv_messages], as libnice's
 * `NiceInputMessage`.
 *
 * Since: 0.1
 */
typedef struct {
  GInputVector *buffers;
  gint n_buffers;
  GSocketAddress **from;
  gsize length;
} BurrowInputMessage;

#define BURROW_TYPE_AGENT (burrow_agent_get_type ())
BURROW_API
G_DECLARE_FINAL_TYPE (BurrowAgent, burrow_agent, BURROW, AGENT, GObject)

/**
 * BurrowAgentRecvFunc:
 * @agent: the agent
 * @stream_id: the stream the data came on
 * @component_id: the component it came on
 * @len: how many bytes
 * @buf: (array length=len) (element-type guint8): the data
 * @user_data: the data given to [method@Burrow.Agent.attach_recv]
 *
 * Receives data from a component, on the context given to
 * [method@Burrow.Agent.attach_recv].
 *
 * Since: 0.1
 */
typedef void (*BurrowAgentRecvFunc) (BurrowAgent  *agent,
                                     guint         stream_id,
                                     guint         component_id,
                                     guint         len,
                                     const guint8 *buf,
                                     gpointer      user_data);

BURROW_API
BurrowAgent *burrow_agent_new                   (GMainContext        *ctx,
                                                 BurrowCompatibility  compat);
BURROW_API
guint        burrow_agent_add_stream            (BurrowAgent *agent,
                                                 guint        n_components);
BURROW_API
void         burrow_agent_remove_stream         (BurrowAgent *agent,
                                                 guint        stream_id);
BURROW_API
gboolean     burrow_agent_set_stream_name       (BurrowAgent *agent,
                                                 guint        stream_id,
                                                 const gchar *name);
BURROW_API
const gchar *burrow_agent_get_stream_name       (BurrowAgent *agent,
                                                 guint        stream_id);
BURROW_API
void         burrow_agent_set_port_range        (BurrowAgent *agent,
                                                 guint        stream_id,
                                                 guint        component_id,
                                                 guint        min_port,
                                                 guint        max_port);
BURROW_API
gboolean     burrow_agent_add_local_address     (BurrowAgent  *agent,
                                                 GInetAddress *addr);
BURROW_API
gboolean     burrow_agent_set_relay_info        (BurrowAgent     *agent,
                                                 guint            stream_id,
                                                 guint            component_id,
                                                 const gchar     *server_ip,
                                                 guint            server_port,
                                                 const gchar     *username,
                                                 const gchar     *password,
                                                 BurrowRelayType  type);
BURROW_API
gboolean     burrow_agent_forget_relays         (BurrowAgent *agent,
                                                 guint        stream_id,
                                                 guint        component_id);
BURROW_API
gboolean     burrow_agent_gather_candidates     (BurrowAgent *agent,
                                                 guint        stream_id);
BURROW_API
gboolean     burrow_agent_get_local_credentials (BurrowAgent  *agent,
                                                 guint         stream_id,
                                                 gchar       **ufrag,
                                                 gchar       **pwd);
BURROW_API
gboolean     burrow_agent_set_local_credentials (BurrowAgent *agent,
                                                 guint        stream_id,
                                                 const gchar *ufrag,
                                                 const gchar *pwd);
BURROW_API
gboolean     burrow_agent_set_remote_credentials (BurrowAgent *agent,
                                                  guint        stream_id,
                                                  const gchar *ufrag,
                                                  const gchar *pwd);
BURROW_API
GSList      *burrow_agent_get_local_candidates  (BurrowAgent *agent,
                                                 guint        stream_id,
                                                 guint        component_id);
BURROW_API
GSList      *burrow_agent_get_remote_candidates (BurrowAgent *agent,
                                                 guint        stream_id,
                                                 guint        component_id);
BURROW_API
gint         burrow_agent_set_remote_candidates (BurrowAgent  *agent,
                                                 guint         stream_id,
                                                 guint         component_id,
                                                 const GSList *candidates);
BURROW_API
gboolean     burrow_agent_peer_candidate_gathering_done (BurrowAgent *agent,
                                                         guint        stream_id);
BURROW_API
gint         burrow_agent_send                  (BurrowAgent  *agent,
                                                 guint         stream_id,
                                                 guint         component_id,
                                                 guint         len,
                                                 const guint8 *buf);
BURROW_API
gint         burrow_agent_send_messages_nonblocking (BurrowAgent               *agent,
                                                     guint                      stream_id,
                                                     guint                      component_id,
                                                     const BurrowOutputMessage *messages,
                                                     guint                      n_messages,
                                                     GCancellable              *cancellable,
                                                     GError                   **error);
BURROW_API
gint         burrow_agent_send_datagrams        (BurrowAgent  *agent,
                                                 guint         stream_id,
                                                 guint         component_id,
                                                 GBytes      **datagrams,
                                                 guint         n_datagrams,
                                                 GError      **error);
BURROW_API
gint         burrow_agent_recv_messages         (BurrowAgent        *agent,
                                                 guint               stream_id,
                                                 guint               component_id,
                                                 BurrowInputMessage *messages,
                                                 guint               n_messages,
                                                 GCancellable       *cancellable,
                                                 GError            **error);
BURROW_API
GBytes      *burrow_agent_recv                  (BurrowAgent   *agent,
                                                 guint          stream_id,
                                                 guint          component_id,
                                                 GCancellable  *cancellable,
                                                 GError       **error);
BURROW_API
gboolean     burrow_agent_attach_recv           (BurrowAgent         *agent,
                                                 guint                stream_id,
                                                 guint                component_id,
                                                 GMainContext        *ctx,
                                                 BurrowAgentRecvFunc  func,
                                                 gpointer             data);
BURROW_API
gboolean     burrow_agent_get_selected_pair     (BurrowAgent      *agent,
                                                 guint             stream_id,
                                                 guint             component_id,
                                                 BurrowCandidate **local,
                                                 BurrowCandidate **remote);
BURROW_API
gboolean     burrow_agent_set_selected_pair     (BurrowAgent *agent,
                                                 guint        stream_id,
                                                 guint        component_id,
                                                 const gchar *lfoundation,
                                                 const gchar *rfoundation);
BURROW_API
BurrowComponentState burrow_agent_get_component_state (BurrowAgent *agent,
                                                       guint        stream_id,
                                                       guint        component_id);
BURROW_API
gboolean     burrow_agent_restart               (BurrowAgent *agent);
BURROW_API
gboolean     burrow_agent_restart_stream        (BurrowAgent *agent,
                                                 guint        stream_id);
BURROW_API
void         burrow_agent_close_async           (BurrowAgent         *agent,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             callback_data);
BURROW_API
gboolean     burrow_agent_close_finish          (BurrowAgent   *agent,
                                                 GAsyncResult  *result,
                                                 GError       **error);

BURROW_API
GIOStream   *burrow_agent_get_io_stream         (BurrowAgent *agent,
                                                 guint        stream_id,
                                                 guint        component_id);

/* SDP (burrow-agent-sdp.c) */
BURROW_API
gchar       *burrow_agent_generate_local_sdp    (BurrowAgent *agent);
BURROW_API
gchar       *burrow_agent_generate_local_stream_sdp (BurrowAgent *agent,
                                                     guint        stream_id,
                                                     gboolean     include_non_ice);
BURROW_API
gchar       *burrow_agent_generate_local_candidate_sdp (BurrowAgent     *agent,
                                                        BurrowCandidate *candidate);
BURROW_API
gint         burrow_agent_parse_remote_sdp      (BurrowAgent *agent,
                                                 const gchar *sdp);
BURROW_API
GSList      *burrow_agent_parse_remote_stream_sdp (BurrowAgent  *agent,
                                                   guint         stream_id,
                                                   const gchar  *sdp,
                                                   gchar       **ufrag,
                                                   gchar       **pwd);
BURROW_API
BurrowCandidate *burrow_agent_parse_remote_candidate_sdp (BurrowAgent *agent,
                                                          guint        stream_id,
                                                          const gchar *sdp);

G_END_DECLS
