/* burrow-agent-private.h: the ICE agent's state (private)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Shared by burrow-agent.c (the object and its signals),
 * burrow-agent-stream.c (streams, credentials, candidates, the public API
 * around them), burrow-agent-gather.c (sockets and candidates),
 * burrow-agent-check.c (transactions, connectivity checks, nomination,
 * states), burrow-agent-peer.c (the peer's checks, datagram dispatch),
 * burrow-agent-consent.c (keep-alives, consent), burrow-agent-io.c and
 * burrow-agent-iostream.c (data) and burrow-agent-sdp.c (SDP).
 */
#pragma once

#include <sys/socket.h>

#include "burrow-agent.h"
#include "burrow-candidate.h"
#include "burrow-turn-client.h"
#include "stun/burrow-stun-message.h"

G_BEGIN_DECLS

/* bounds on what a peer can make us do */
#define BURROW_AGENT_MAX_REMOTE_CANDIDATES 100
#define BURROW_AGENT_MAX_STREAMS 64
#define BURROW_AGENT_MAX_COMPONENTS 256

typedef struct _BurrowAgentStream BurrowAgentStream;
typedef struct _BurrowAgentComponent BurrowAgentComponent;
typedef struct _BurrowAgentBase BurrowAgentBase;
typedef struct _BurrowAgentPair BurrowAgentPair;
typedef struct _BurrowAgentTransaction BurrowAgentTransaction;
typedef struct _BurrowAgentTcp BurrowAgentTcp;

/* Where local candidates send from: a UDP socket (host candidates, and the
 * server-reflexive ones based on it), a TURN allocation (relayed), or for
 * ICE-TCP a listener, an active candidate or one TCP connection. */
struct _BurrowAgentBase {
  BurrowAgentComponent *component;
  GSocket *socket;                /* NULL for a relay */
  GSource *source;
  BurrowTurnClient *turn;         /* relay only */
  BurrowRelayAllocation *relay;   /* relay only, once allocated */
  guint relay_subscription;
  GInetSocketAddress *address;    /* the base address */
  BurrowCandidate *candidate;     /* the host or relayed candidate */
  gboolean no_gso;                /* the route refused UDP segmentation offload */
  BurrowAgentTcp *tcp;            /* ICE-TCP (socket NULL): burrow-agent-tcp.c */
};

typedef struct {
  gchar *server;
  guint port;
  gchar *username;
  gchar *password;
  BurrowRelayType type;
} BurrowAgentRelayInfo;

typedef enum {
  BURROW_PAIR_FROZEN,
  BURROW_PAIR_WAITING,
  BURROW_PAIR_IN_PROGRESS,
  BURROW_PAIR_SUCCEEDED,
  BURROW_PAIR_FAILED,
} BurrowAgentPairState;

struct _BurrowAgentPair {
  BurrowAgentComponent *component;
  BurrowAgentBase *base;
  BurrowCandidate *local;
  BurrowCandidate *remote;
  gchar *foundation;              /* local foundation ":" remote foundation */
  guint64 priority;
  BurrowAgentPairState state;
  gboolean valid;
  gboolean nominated;             /* USE-CANDIDATE seen or acknowledged */
  gboolean nominate_on_success;   /* controlled: a USE-CANDIDATE came first */
  gboolean use_candidate;         /* controlling: this check nominates */
  BurrowAgentTransaction *check;  /* in flight */
  gint64 last_consent;            /* monotonic µs of the last answer */
  /* the remote address in native form, for the data path */
  struct sockaddr_storage remote_native;
  guint remote_native_len;
};

struct _BurrowAgentComponent {
  gint ref_count;                 /* the stream's, and blocked receivers' */
  BurrowAgentStream *stream;      /* NULL once the stream is gone */
  guint id;
  BurrowComponentState state;
  guint min_port;
  guint max_port;
  GPtrArray *bases;               /* BurrowAgentBase */
  GPtrArray *local_candidates;    /* BurrowCandidate */
  GPtrArray *remote_candidates;   /* BurrowCandidate */
  GPtrArray *relays;              /* BurrowAgentRelayInfo */
  BurrowAgentPair *selected;
  gboolean selected_owned;        /* kept across a restart, out of the check list */
  GSource *nomination_timer;

  /* receiving */
  GMainContext *recv_context;
  BurrowAgentRecvFunc recv_func;
  gpointer recv_data;
  gint deliveries_pending;        /* queued to recv_context, atomic */
  GMutex recv_lock;
  GCond recv_cond;
  GQueue recv_queue;              /* BurrowAgentQueued, for recv without a callback */
  gboolean recv_closed;
};

struct _BurrowAgentStream {
  BurrowAgent *agent;
  guint id;
  gchar *name;
  gchar *local_ufrag;
  gchar *local_pwd;
  gchar *remote_ufrag;
  gchar *remote_pwd;
  GPtrArray *components;          /* BurrowAgentComponent, index id - 1 */
  GPtrArray *pairs;               /* BurrowAgentPair, the check list, by priority */
  GQueue triggered;               /* BurrowAgentPair, the triggered-check queue */
  guint gathers_pending;
  gboolean gathering;
  gboolean gathering_done;
  gboolean peer_gathering_done;
  gboolean initial_binding_seen;
};

struct _BurrowAgent {
  GObject parent_instance;

  GMainContext *context;
  /* the thread that runs @context (the creator's until the context
   * dispatches the agent's sockets somewhere; atomic): only it may iterate
   * or acquire the context for the agent's work (recv and relay sends from
   * other threads wait or hand over instead) */
  GThread *context_thread;
  BurrowCompatibility compat;
  GPtrArray *streams;             /* BurrowAgentStream */
  guint next_stream_id;
  GPtrArray *local_addresses;     /* GInetAddress, added by the user */

  /* properties */
  gboolean controlling;
  gboolean full_mode;
  gchar *stun_server;
  gchar *tls_ca_file;
  guint stun_server_port;
  gboolean ice_udp;
  gboolean ice_tcp;
  gboolean upnp;
  gboolean keepalive_conncheck;
  gboolean force_relay;
  BurrowNominationMode nomination_mode;
  gboolean ice_trickle;
  gboolean consent_freshness;
  guint max_checks;
  guint pacing_ms;
  guint max_retransmissions;
  guint initial_timeout_ms;

  guint64 tie_breaker;
  GHashTable *transactions;       /* transaction id -> BurrowAgentTransaction */
  GSource *pacing_timer;
  GSource *keepalive_timer;
  guint pacing_stream;            /* round robin over the streams */
  guint64 rejected;               /* requests and responses that failed checks */

  /* Other threads send and receive: this guards what they look at, the
   * membership of @streams and each component's selected pair (the pair,
   * its base and socket live as long as it is selected). The context's
   * thread takes it only to change those, and never while emitting. */
  GMutex lock;

  /* signals raised while at work wait here (burrow-agent.c) */
  guint signal_holds;
  gboolean flushing;
  GQueue pending_signals;
};

typedef void (*BurrowAgentGatherFunc) (BurrowAgentBase   *base,
                                       BurrowStunMessage *response,
                                       gpointer           user_data);

/* a STUN request of the agent, with its retransmissions (burrow-agent-check.c) */
struct _BurrowAgentTransaction {
  BurrowAgent *agent;
  GBytes *tid;
  BurrowAgentStream *stream;
  BurrowAgentBase *base;
  GSocketAddress *to;
  GBytes *wire;
  GBytes *key;                    /* the answer must be signed with it; NULL: gathering */
  guint sent;
  guint max_sends;
  guint rto;
  GSource *timer;
  BurrowAgentPair *pair;          /* a check */
  gboolean consent;               /* a consent or keep-alive check */
  gboolean cancelled;             /* replaced by a triggered check: no more
                                   * retransmissions, no failure on timeout,
                                   * an answer still counts */
  gboolean controlling;           /* the role the check was sent in */
  BurrowAgentGatherFunc gather_func;
  GObject *gather_data;
};

/* burrow-agent.c */
BurrowAgentStream    *burrow_agent_find_stream        (BurrowAgent *agent,
                                                       guint        stream_id);
BurrowAgentComponent *burrow_agent_component_ref      (BurrowAgentComponent *c);
void                  burrow_agent_component_unref    (BurrowAgentComponent *c);
BurrowAgentComponent *burrow_agent_find_component     (BurrowAgent *agent,
                                                       guint        stream_id,
                                                       guint        component_id);
void                  burrow_agent_emit_new_candidate (BurrowAgent     *agent,
                                                       BurrowCandidate *candidate);
void                  burrow_agent_component_set_state (BurrowAgentComponent *component,
                                                        BurrowComponentState  state);
void                  burrow_agent_emit_selected_pair (BurrowAgentComponent *component);
void                  burrow_agent_emit_gathering_done (BurrowAgentStream *stream);
void                  burrow_agent_emit_new_remote_candidate (BurrowAgent     *agent,
                                                              BurrowCandidate *candidate);
void                  burrow_agent_emit_initial_binding (BurrowAgentStream *stream);
void                  burrow_agent_notify_controlling (BurrowAgent *agent);

/* Signals raised between the two wait, then are emitted in order; the
 * agent stays alive meanwhile. BURROW_AGENT_HOLD_SIGNALS() holds until the
 * end of the scope (NULL-safe: put it among the declarations). */
typedef BurrowAgent BurrowAgentSignalHold;
BurrowAgentSignalHold *burrow_agent_hold_signals      (BurrowAgent *agent);
void                  burrow_agent_drop_signals       (BurrowAgent *agent,
                                                       guint        stream_id);
void                  burrow_agent_release_signals    (BurrowAgentSignalHold *hold);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BurrowAgentSignalHold, burrow_agent_release_signals)
#define BURROW_AGENT_HOLD_SIGNALS(agent) \
  g_autoptr (BurrowAgentSignalHold) G_PASTE (burrow_signal_hold_, __LINE__) G_GNUC_UNUSED = \
      burrow_agent_hold_signals (agent)
void                  burrow_agent_emit_streams_removed (BurrowAgent *agent,
                                                         const guint *ids,
                                                         guint        n);
void                  burrow_agent_stream_free        (BurrowAgentStream *stream);
void                  burrow_agent_close_all          (BurrowAgent *agent);

/* burrow-agent-gather.c */
gboolean  burrow_agent_gather_stream      (BurrowAgentStream *stream,
                                           GError           **error);
void      burrow_agent_base_free          (BurrowAgentBase *base);
gboolean  burrow_agent_base_send          (BurrowAgentBase *base,
                                           GSocketAddress  *to,
                                           const guint8    *data,
                                           gsize            len);
void      burrow_agent_base_permit        (BurrowAgentBase *base,
                                           GInetAddress    *peer);
void      burrow_agent_relay_info_free    (BurrowAgentRelayInfo *info);
void      burrow_agent_gather_done_one    (BurrowAgentStream *stream);

/* burrow-agent-peer.c: every datagram that arrives on a base */
void      burrow_agent_receive            (BurrowAgentBase *base,
                                           GSocketAddress  *from,
                                           const guint8    *data,
                                           gsize            len);

/* burrow-agent-consent.c */
void      burrow_agent_keepalive_start    (BurrowAgent *agent);

/* burrow-agent-check.c */
/* a gathering Binding (no credentials) through a base; calls back with
 * the response or NULL on timeout */
void      burrow_agent_send_gather_request (BurrowAgentBase       *base,
                                            GSocketAddress        *server,
                                            BurrowAgentGatherFunc  func,
                                            gpointer               user_data);
void      burrow_agent_pairs_add_remote   (BurrowAgentComponent *component,
                                           BurrowCandidate      *remote);
void      burrow_agent_pairs_add_local    (BurrowAgentComponent *component,
                                           BurrowAgentBase      *base,
                                           BurrowCandidate      *local);
void      burrow_agent_checks_start       (BurrowAgentStream *stream);
void      burrow_agent_checks_stop        (BurrowAgentStream *stream);
void      burrow_agent_pair_free          (BurrowAgentPair *pair);
void      burrow_agent_transactions_drop_stream (BurrowAgent       *agent,
                                                 BurrowAgentStream *stream);
void      burrow_agent_transaction_free   (BurrowAgentTransaction *t);
void      burrow_agent_component_update_state (BurrowAgentComponent *component);
gboolean  burrow_agent_select_pair_by_foundation (BurrowAgentComponent *component,
                                                  const gchar          *lfoundation,
                                                  const gchar          *rfoundation);
gboolean  burrow_agent_component_alive    (BurrowAgent          *agent,
                                           guint                 stream_id,
                                           guint                 component_id,
                                           BurrowAgentComponent *component);
BurrowAgentTransaction *burrow_agent_transaction_start (BurrowAgent       *agent,
                                                        BurrowAgentBase   *base,
                                                        GSocketAddress    *to,
                                                        BurrowStunMessage *request,
                                                        const gchar       *password);
BurrowStunMessage *burrow_agent_build_check  (BurrowAgentPair *pair,
                                              gboolean         use_candidate);
BurrowAgentPair *burrow_agent_find_pair   (BurrowAgentComponent *component,
                                           BurrowAgentBase      *base,
                                           GSocketAddress       *remote);
void      burrow_agent_pair_add           (BurrowAgentComponent *component,
                                           BurrowAgentBase      *base,
                                           BurrowCandidate      *local,
                                           BurrowCandidate      *remote);
void      burrow_agent_pair_trigger       (BurrowAgentPair *pair);
void      burrow_agent_set_controlling    (BurrowAgent *agent,
                                           gboolean     controlling);
void      burrow_agent_handle_response    (BurrowAgent       *agent,
                                           BurrowAgentBase   *base,
                                           BurrowStunMessage *response,
                                           GSocketAddress    *from);

/* burrow-agent-tcp.c: ICE-TCP (RFC 6544) */
gboolean  burrow_agent_tcp_gather         (BurrowAgentComponent *component,
                                           GInetAddress         *ip,
                                           guint                 index,
                                           GError              **error);
void      burrow_agent_tcp_free           (BurrowAgentTcp *tcp);
void      burrow_agent_tcp_pair           (BurrowAgentBase *base,
                                           BurrowCandidate *remote);
/* one RFC 4571 frame; any thread */
gboolean  burrow_agent_tcp_send           (BurrowAgentBase     *base,
                                           const GOutputVector *vectors,
                                           gint                 n_vectors,
                                           GError             **error);
gint      burrow_agent_tcp_send_messages  (BurrowAgentBase           *base,
                                           const BurrowOutputMessage *messages,
                                           guint                      n_messages,
                                           GError                   **error);
guint     burrow_agent_tcp_check_timeout  (BurrowAgent *agent);
gboolean  burrow_agent_tcp_mapped_is_local (BurrowCandidate    *local,
                                            GInetSocketAddress *mapped);
/* whether @local and @remote may pair: UDP with UDP, TCP active with
 * passive and passive with active */
gboolean  burrow_agent_transports_pair    (BurrowCandidate *local,
                                           BurrowCandidate *remote);
/* the transport of a peer-reflexive candidate learnt through @base */
BurrowCandidateTransport burrow_agent_base_peer_transport (BurrowAgentBase *base);

/* burrow-agent-io.c */
/* a datagram waiting for recv, with its sender */
typedef struct {
  GBytes *data;
  GSocketAddress *from;
} BurrowAgentQueued;

void      burrow_agent_queued_free        (BurrowAgentQueued *queued);
/* @from: the sender (borrowed), or NULL */
void      burrow_agent_deliver            (BurrowAgentComponent *component,
                                           GSocketAddress       *from,
                                           const guint8         *data,
                                           gsize                 len);
void      burrow_agent_component_recv_close (BurrowAgentComponent *component);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BurrowAgentComponent, burrow_agent_component_unref)

G_END_DECLS
