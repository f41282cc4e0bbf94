/* burrow-agent-gather.c: sockets and local candidates of the ICE agent
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * RFC 8445 section 5.1.1: a host candidate per usable local address and
 * component, a server-reflexive one learnt through the STUN server from
 * each IPv4 host socket, a relayed one per TURN server.
 */
#define _GNU_SOURCE /* recvmmsg */
#include "config.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "burrow-ice"

#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>

#include "burrow-error.h"
#include "burrow-agent-private.h"
#include "burrow-relay-allocation.h"
#include "stun/burrow-stun-endpoint.h"

#define RECV_BATCH 32
#define RECV_BUFFER 65536

#ifndef UDP_GRO
#define UDP_GRO 104 /* Linux 5.0 */
#endif

#include <sys/socket.h>
#include <sys/uio.h>

void
burrow_agent_relay_info_free (BurrowAgentRelayInfo *info)
{
  g_free (info->server);
  g_free (info->username);
  g_free (info->password);
  g_free (info);
}

void
burrow_agent_base_free (BurrowAgentBase *base)
{
  if (base->source) {
    g_source_destroy (base->source);
    g_source_unref (base->source);
  }
  if (base->socket) {
    g_socket_close (base->socket, NULL);
    g_object_unref (base->socket);
  }
  if (base->relay) {
    if (base->relay_subscription)
      burrow_relay_allocation_unsubscribe (base->relay, base->relay_subscription);
    burrow_relay_allocation_close (base->relay);
    g_object_unref (base->relay);
  }
  g_clear_pointer (&base->tcp, burrow_agent_tcp_free);
  g_clear_object (&base->turn);
  g_clear_object (&base->address);
  g_clear_object (&base->candidate);
  g_free (base);
}

gboolean
burrow_agent_base_send (BurrowAgentBase *base, GSocketAddress *to, const guint8 *data, gsize len)
{
  g_autoptr(GError) error = NULL;

  if (base->tcp) {
    GOutputVector vector = { data, len };

    if (burrow_agent_tcp_send (base, &vector, 1, &error))
      return TRUE;
  } else if (base->socket) {
    if (g_socket_send_to (base->socket, to, (const gchar *) data, len, NULL, &error) >= 0)
      return TRUE;
  } else if (base->relay) {
    if (burrow_relay_allocation_send_data (base->relay, G_INET_SOCKET_ADDRESS (to), data, len,
            &error))
      return TRUE;
  } else {
    return FALSE;
  }
  g_debug ("send failed: %s", error->message);
  return FALSE;
}

static void
permission_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  if (!burrow_relay_allocation_create_permission_finish (BURROW_RELAY_ALLOCATION (source),
          result, &error))
    g_debug ("TURN permission failed: %s", error->message);
}

void
burrow_agent_base_permit (BurrowAgentBase *base, GInetAddress *peer)
{
  if (base->relay == NULL || burrow_relay_allocation_has_permission (base->relay, peer))
    return;
  if (g_inet_address_get_family (peer) != g_inet_address_get_family (
          g_inet_socket_address_get_address (base->address)))
    return;
  burrow_relay_allocation_create_permission_async (base->relay, peer, NULL, permission_done_cb,
      NULL);
}

/* ---- host sockets ---- */

/* Receive buffers, one set per thread: agents on different threads must
 * not share them, and one thread needs only one. */
typedef struct {
  struct mmsghdr msgs[RECV_BATCH];
  struct iovec iov[RECV_BATCH];
  struct sockaddr_storage addrs[RECV_BATCH];
  /* room for the UDP_GRO segment size */
  union {
    struct cmsghdr align;
    guint8 space[CMSG_SPACE (sizeof (int))];
  } control[RECV_BATCH];
  guint8 data[RECV_BATCH][RECV_BUFFER];
} RecvBuffers;

static GPrivate recv_buffers = G_PRIVATE_INIT (g_free);

static RecvBuffers *
get_recv_buffers (void)
{
  RecvBuffers *b = g_private_get (&recv_buffers);

  if (b == NULL) {
    /* pages are touched only as datagrams fill them */
    b = g_malloc (sizeof *b);
    g_private_set (&recv_buffers, b);
  }
  return b;
}

static gboolean
native_equal (const struct sockaddr_storage *a, socklen_t a_len, const BurrowAgentPair *pair)
{
  return pair != NULL && pair->remote_native_len == a_len &&
      memcmp (a, &pair->remote_native, a_len) == 0;
}

/* One datagram: data from the selected pair's peer goes straight to the
 * application; everything else through the full dispatch. */
static void
receive_one (BurrowAgentBase *base, RecvBuffers *b, guint i, const guint8 *data, gsize len)
{
  BurrowAgentComponent *c = base->component;
  g_autoptr(GSocketAddress) from = NULL;

  if (c->selected && c->selected->base == base && (len < 20 || (data[0] & 0xc0) != 0) &&
      native_equal (&b->addrs[i], b->msgs[i].msg_hdr.msg_namelen, c->selected)) {
    burrow_agent_deliver (c, G_SOCKET_ADDRESS (burrow_candidate_get_address (c->selected->remote)),
        data, len);
    return;
  }
  from = g_socket_address_new_from_native (&b->addrs[i], b->msgs[i].msg_hdr.msg_namelen);
  if (from)
    burrow_agent_receive (base, from, data, len);
}

/* The segment size when the kernel coalesced several datagrams of one
 * peer into one buffer (UDP_GRO), or 0 */
static gsize
gro_segment_size (struct msghdr *h)
{
  struct cmsghdr *cmsg;

  for (cmsg = CMSG_FIRSTHDR (h); cmsg; cmsg = CMSG_NXTHDR (h, cmsg)) {
    if (cmsg->cmsg_level == SOL_UDP && cmsg->cmsg_type == UDP_GRO &&
        cmsg->cmsg_len >= CMSG_LEN (sizeof (int))) {
      int size;

      memcpy (&size, CMSG_DATA (cmsg), sizeof size);
      return size > 0 ? (gsize) size : 0;
    }
  }
  return 0;
}

static gboolean
socket_readable_cb (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  BurrowAgentBase *base = user_data;
  BurrowAgent *agent = base->component->stream->agent;
  RecvBuffers *b = get_recv_buffers ();
  GSource *source = g_main_current_source ();
  gboolean gone = FALSE;
  gint n, i;

  for (i = 0; i < RECV_BATCH; i++) {
    b->iov[i].iov_base = b->data[i];
    b->iov[i].iov_len = RECV_BUFFER;
    memset (&b->msgs[i], 0, sizeof b->msgs[i]);
    b->msgs[i].msg_hdr.msg_iov = &b->iov[i];
    b->msgs[i].msg_hdr.msg_iovlen = 1;
    b->msgs[i].msg_hdr.msg_name = &b->addrs[i];
    b->msgs[i].msg_hdr.msg_namelen = sizeof b->addrs[i];
    b->msgs[i].msg_hdr.msg_control = b->control[i].space;
    b->msgs[i].msg_hdr.msg_controllen = sizeof b->control[i].space;
  }
  /* one system call for up to RECV_BATCH buffers, each one datagram or,
   * with UDP_GRO, a run of same-sized datagrams from one peer */
  /* whoever runs the context is the agent's thread from now on */
  if (G_UNLIKELY (g_atomic_pointer_get (&agent->context_thread) != g_thread_self ()))
    g_atomic_pointer_set (&agent->context_thread, g_thread_self ());
  n = recvmmsg (g_socket_get_fd (socket), b->msgs, RECV_BATCH, MSG_DONTWAIT, NULL);
  if (n <= 0)
    return G_SOURCE_CONTINUE;
  burrow_agent_hold_signals (agent);
  for (i = 0; i < n && !gone; i++) {
    const guint8 *data = b->data[i];
    gsize len = b->msgs[i].msg_len;
    gsize segment = gro_segment_size (&b->msgs[i].msg_hdr);
    gsize off = 0;

    if (segment == 0 || segment > len)
      segment = len;
    do {
      receive_one (base, b, (guint) i, data + off, MIN (segment, len - off));
      /* a receive callback may have removed the stream, and this base */
      gone = source && g_source_is_destroyed (source);
      off += segment;
    } while (off < len && !gone);
  }
  /* the signals the datagrams raised, now that they are handled */
  burrow_agent_release_signals (agent);
  return gone ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

/* Lets the kernel hand over a run of same-sized datagrams from one peer in
 * one buffer; senders using UDP_SEGMENT (our own batches among them) then
 * cost one system call per run at both ends. Best effort: kernels before
 * Linux 5.0 refuse, and then datagrams come one by one as before. */
static void
enable_gro (GSocket *socket)
{
  int one = 1;

  if (setsockopt (g_socket_get_fd (socket), SOL_UDP, UDP_GRO, &one, sizeof one) != 0)
    g_debug ("no UDP_GRO: %s", g_strerror (errno));
}

static GSocket *
open_host_socket (BurrowAgentComponent *c, GInetAddress *ip, GError **error)
{
  GSocketFamily family = g_inet_address_get_family (ip);
  g_autoptr(GSocket) socket = g_socket_new (family, G_SOCKET_TYPE_DATAGRAM,
      G_SOCKET_PROTOCOL_UDP, error);
  guint port, first, last, span;

  if (socket == NULL)
    return NULL;
  first = c->min_port;
  last = c->max_port ? c->max_port : c->min_port;
  span = last - first + 1;
  /* start at a random port of the range, as libnice does */
  for (port = 0; port < span; port++) {
    guint p = first == 0 ? 0 : first + (port + g_random_int_range (0, span)) % span;
    g_autoptr(GSocketAddress) sa = g_inet_socket_address_new (ip, (guint16) p);

    g_clear_error (error);
    if (g_socket_bind (socket, sa, FALSE, error)) {
      g_socket_set_blocking (socket, FALSE);
      enable_gro (socket);
      return g_steal_pointer (&socket);
    }
  }
  return NULL;
}

static gboolean
usable_interface_address (struct ifaddrs *ifa, gboolean *loopback)
{
  if (ifa->ifa_addr == NULL || !(ifa->ifa_flags & IFF_UP))
    return FALSE;
  if (ifa->ifa_addr->sa_family != AF_INET && ifa->ifa_addr->sa_family != AF_INET6)
    return FALSE;
  *loopback = (ifa->ifa_flags & IFF_LOOPBACK) != 0;
  return TRUE;
}

/* The addresses to gather on: the ones added, or every usable interface's
 * (loopback only when there is nothing else; no IPv6 link-local). */
static GPtrArray *
local_addresses (BurrowAgent *agent)
{
  GPtrArray *list = g_ptr_array_new_with_free_func (g_object_unref);
  GPtrArray *loop = g_ptr_array_new_with_free_func (g_object_unref);
  struct ifaddrs *ifas = NULL, *ifa;
  guint i;

  for (i = 0; i < agent->local_addresses->len; i++)
    g_ptr_array_add (list, g_object_ref (agent->local_addresses->pdata[i]));
  if (list->len > 0 || getifaddrs (&ifas) != 0) {
    g_ptr_array_unref (loop);
    return list;
  }
  for (ifa = ifas; ifa; ifa = ifa->ifa_next) {
    gboolean is_loopback;
    g_autoptr(GSocketAddress) sa = NULL;
    GInetAddress *ip;

    if (!usable_interface_address (ifa, &is_loopback))
      continue;
    sa = g_socket_address_new_from_native (ifa->ifa_addr, ifa->ifa_addr->sa_family == AF_INET ?
        sizeof (struct sockaddr_in) : sizeof (struct sockaddr_in6));
    if (sa == NULL)
      continue;
    ip = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (sa));
    if (g_inet_address_get_is_link_local (ip))
      continue;
    g_ptr_array_add (is_loopback ? loop : list, g_object_ref (ip));
  }
  freeifaddrs (ifas);
  if (list->len == 0) {
    g_ptr_array_unref (list);
    return loop;
  }
  g_ptr_array_unref (loop);
  return list;
}

static BurrowCandidate *
make_candidate (BurrowAgentComponent *c, BurrowCandidateType type, GInetSocketAddress *address,
    GInetSocketAddress *base, GInetSocketAddress *related, GInetAddress *server, guint local_pref)
{
  BurrowCandidate *candidate = burrow_candidate_new (type);
  g_autofree gchar *foundation = burrow_candidate_make_foundation (type,
      g_inet_socket_address_get_address (base), server, BURROW_CANDIDATE_TRANSPORT_UDP);

  burrow_candidate_set_address (candidate, address);
  burrow_candidate_set_base_address (candidate, base);
  if (related)
    burrow_candidate_set_related_address (candidate, related);
  burrow_candidate_set_priority (candidate, burrow_candidate_compute_priority (type,
      BURROW_CANDIDATE_TRANSPORT_UDP, local_pref, c->id));
  burrow_candidate_set_foundation (candidate, foundation);
  burrow_candidate_set_stream_id (candidate, c->stream->id);
  burrow_candidate_set_component_id (candidate, c->id);
  burrow_candidate_set_username (candidate, c->stream->local_ufrag);
  burrow_candidate_set_password (candidate, c->stream->local_pwd);
  return candidate;
}

static void
add_local (BurrowAgentComponent *c, BurrowAgentBase *base, BurrowCandidate *candidate,
    gboolean pair)
{
  BurrowAgent *agent = c->stream->agent;

  g_ptr_array_add (c->local_candidates, g_object_ref (candidate));
  if (pair)
    burrow_agent_pairs_add_local (c, base, candidate);
  burrow_agent_emit_new_candidate (agent, candidate);
}

void
burrow_agent_gather_done_one (BurrowAgentStream *s)
{
  if (s->gathers_pending > 0)
    s->gathers_pending--;
  if (s->gathers_pending > 0 || s->gathering_done)
    return;
  s->gathering_done = TRUE;
  burrow_agent_emit_gathering_done (s);
}

/* ---- server-reflexive ---- */

static void
srflx_cb (BurrowAgentBase *base, BurrowStunMessage *response, gpointer user_data)
{
  BurrowAgentComponent *c = base->component;
  BurrowAgentStream *s = c->stream;
  g_autoptr(GInetSocketAddress) mapped = NULL;
  GInetSocketAddress *server = user_data;

  if (response)
    mapped = burrow_stun_message_get_xor_mapped_address (response);
  /* RFC 8445 5.1.3: redundant when it equals its base */
  if (mapped && !burrow_socket_address_equal (G_SOCKET_ADDRESS (mapped),
          G_SOCKET_ADDRESS (base->address))) {
    g_autoptr(BurrowCandidate) candidate = make_candidate (c,
        BURROW_CANDIDATE_TYPE_SERVER_REFLEXIVE, mapped, base->address, base->address,
        g_inet_socket_address_get_address (server), 65535);

    /* RFC 8445 6.1.2.4: a reflexive candidate is paired as its base */
    if (!s->agent->force_relay)
      add_local (c, base, candidate, FALSE);
  }
  burrow_agent_gather_done_one (s);
}

static void
gather_srflx (BurrowAgentComponent *c, BurrowAgentBase *base)
{
  BurrowAgent *agent = c->stream->agent;
  g_autoptr(GInetAddress) ip = NULL;
  GSocketAddress *server;

  /* an ICE-lite agent has host candidates only (RFC 8445 section 5.1.1) */
  if (!agent->full_mode || agent->stun_server == NULL ||
      (ip = g_inet_address_new_from_string (agent->stun_server)) == NULL ||
      g_inet_address_get_family (ip) != g_inet_address_get_family (
          g_inet_socket_address_get_address (base->address)))
    return;
  server = g_inet_socket_address_new (ip, (guint16) agent->stun_server_port);
  c->stream->gathers_pending++;
  burrow_agent_send_gather_request (base, server, srflx_cb, server);
}

/* ---- relayed ---- */

static void
relay_data_cb (BurrowRelayAllocation *allocation, GInetSocketAddress *peer, GBytes *data,
    gpointer user_data)
{
  BurrowAgentBase *base = user_data;
  gsize len;
  const guint8 *bytes = g_bytes_get_data (data, &len);
  BURROW_AGENT_HOLD_SIGNALS (base->component->stream->agent);

  burrow_agent_receive (base, G_SOCKET_ADDRESS (peer), bytes, len);
}

typedef struct {
  BurrowAgent *agent;             /* weak */
  guint stream_id;
  guint component_id;
  BurrowTurnClient *turn;
} RelayGather;

static void
relay_allocated_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  RelayGather *g = user_data;
  BURROW_AGENT_HOLD_SIGNALS (g->agent);
  g_autoptr(GError) error = NULL;
  g_autoptr(BurrowRelayAllocation) relay = burrow_turn_client_allocate_finish (
      BURROW_TURN_CLIENT (source), result, &error);
  BurrowAgentComponent *c = NULL;
  BurrowAgentBase *base;
  guint i;

  if (g->agent)
    c = burrow_agent_find_component (g->agent, g->stream_id, g->component_id);
  if (g->agent)
    g_object_remove_weak_pointer (G_OBJECT (g->agent), (gpointer *) &g->agent);
  g_object_unref (g->turn);
  g_free (g);
  if (c == NULL)
    return;
  if (relay == NULL) {
    g_debug ("no relayed candidate: %s", error->message);
    burrow_agent_gather_done_one (c->stream);
    return;
  }
  base = g_new0 (BurrowAgentBase, 1);
  base->component = c;
  base->turn = g_object_ref (BURROW_TURN_CLIENT (source));
  base->relay = g_object_ref (relay);
  base->address = g_object_ref (burrow_relay_allocation_get_relayed_address (relay));
  base->candidate = make_candidate (c, BURROW_CANDIDATE_TYPE_RELAYED, base->address,
      base->address, burrow_relay_allocation_get_mapped_address (relay),
      g_inet_socket_address_get_address (burrow_relay_allocation_get_server (relay)), 65535);
  base->relay_subscription = burrow_relay_allocation_subscribe (relay, NULL, relay_data_cb,
      base, NULL);
  g_ptr_array_add (c->bases, base);
  for (i = 0; i < c->remote_candidates->len; i++)
    burrow_agent_base_permit (base, g_inet_socket_address_get_address (
        burrow_candidate_get_address (c->remote_candidates->pdata[i])));
  add_local (c, base, base->candidate, TRUE);
  burrow_agent_gather_done_one (c->stream);
}

static void
gather_relay (BurrowAgentComponent *c, BurrowAgentRelayInfo *info)
{
  static const BurrowTransport transports[] = {
    BURROW_TRANSPORT_UDP, BURROW_TRANSPORT_TCP, BURROW_TRANSPORT_TLS };
  RelayGather *g = g_new0 (RelayGather, 1);
  BurrowAgent *agent = c->stream->agent;

  g->agent = agent;
  g_object_add_weak_pointer (G_OBJECT (agent), (gpointer *) &g->agent);
  g->stream_id = c->stream->id;
  g->component_id = c->id;
  g_main_context_push_thread_default (agent->context);
  g->turn = burrow_turn_client_new (info->server, (guint16) info->port, info->username,
      info->password);
  g_main_context_pop_thread_default (agent->context);
  g_object_set (g->turn, "transport", transports[info->type], NULL);
  /* the server's certificate is checked, against the system's store or
   * the agent's tls-ca-file */
  if (info->type == BURROW_RELAY_TYPE_TURN_TLS && agent->tls_ca_file)
    g_object_set (g->turn, "tls-ca-file", agent->tls_ca_file, NULL);
  c->stream->gathers_pending++;
  burrow_turn_client_allocate_async (g->turn, NULL, NULL, relay_allocated_cb, g);
}

/* ---- a component, a stream ---- */

static gboolean
gather_host (BurrowAgentComponent *c, GInetAddress *ip, guint index, GError **error)
{
  BurrowAgent *agent = c->stream->agent;
  BurrowAgentBase *base;
  g_autoptr(GSocketAddress) bound = NULL;
  GSocket *socket = open_host_socket (c, ip, error);

  if (socket == NULL)
    return FALSE;
  base = g_new0 (BurrowAgentBase, 1);
  base->component = c;
  base->socket = socket;
  bound = g_socket_get_local_address (socket, NULL);
  base->address = G_INET_SOCKET_ADDRESS (g_object_ref (bound));
  /* earlier addresses are preferred */
  base->candidate = make_candidate (c, BURROW_CANDIDATE_TYPE_HOST, base->address,
      base->address, NULL, NULL, 65535 - MIN (index, 1000) * 64);
  base->source = g_socket_create_source (socket, G_IO_IN, NULL);
  g_source_set_static_name (base->source, "[burrow] ICE socket");
  g_source_set_callback (base->source, G_SOURCE_FUNC (socket_readable_cb), base, NULL);
  g_source_attach (base->source, agent->context);
  g_ptr_array_add (c->bases, base);
  if (!agent->force_relay)
    add_local (c, base, base->candidate, TRUE);
  gather_srflx (c, base);
  return TRUE;
}

gboolean
burrow_agent_gather_stream (BurrowAgentStream *s, GError **error)
{
  g_autoptr(GPtrArray) addresses = local_addresses (s->agent);
  guint i, j, opened = 0;

  /* RFC 8445 6.1.1: an ICE-lite agent is always controlled */
  if (!s->agent->full_mode)
    burrow_agent_set_controlling (s->agent, FALSE);
  s->gathering = TRUE;
  s->gathering_done = FALSE;
  /* one pending step that ends after the synchronous part below */
  s->gathers_pending = 1;
  for (i = 0; i < s->components->len; i++)
    burrow_agent_component_set_state (s->components->pdata[i], BURROW_COMPONENT_STATE_GATHERING);
  for (i = 0; i < s->components->len; i++) {
    BurrowAgentComponent *c = s->components->pdata[i];

    for (j = 0; j < addresses->len && s->agent->ice_udp; j++) {
      g_autoptr(GError) local_error = NULL;

      if (gather_host (c, addresses->pdata[j], j, &local_error))
        opened++;
      else
        g_debug ("no host candidate: %s", local_error->message);
    }
    /* RFC 6544: passive and active TCP host candidates */
    for (j = 0; j < addresses->len && s->agent->ice_tcp && !s->agent->force_relay; j++) {
      g_autoptr(GError) local_error = NULL;

      if (burrow_agent_tcp_gather (c, addresses->pdata[j], j, &local_error))
        opened++;
      else
        g_debug ("no TCP host candidate: %s", local_error ? local_error->message : "?");
    }
    for (j = 0; j < c->relays->len && s->agent->full_mode; j++)
      gather_relay (c, c->relays->pdata[j]);
  }
  if (opened == 0 && addresses->len > 0) {
    g_set_error (error, BURROW_ICE_ERROR, BURROW_ICE_ERROR_FAILED,
        "No local socket could be opened (check the port range)");
    s->gathering = FALSE;
    return FALSE;
  }
  burrow_agent_gather_done_one (s);
  return TRUE;
}
