/* burrow-agent-tcp.c: ICE-TCP (RFC 6544) in the ICE agent
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * With ice-tcp, each local address gets a passive host candidate (a
 * listening socket) and an active one (no socket of its own; port 9 in
 * SDP). Their bases are BurrowAgentBase's with a BurrowAgentTcp:
 *
 *  - LISTENER: the passive candidate's; it accepts connections and pairs
 *    with nothing by itself (RFC 6544 section 6.2: pairs of a local passive
 *    candidate are never checked by us, only found through the peer's
 *    checks);
 *  - ACTIVE: the active candidate's; pairing it with a remote passive
 *    candidate makes an OUTGOING base, one per pair, which connects on the
 *    pair's first check;
 *  - OUTGOING, INCOMING: one TCP connection each, whose frames (RFC 4571:
 *    a 16-bit length, then that many bytes) are handed to
 *    burrow_agent_receive() as datagrams of a UDP base are. A check from
 *    the peer on an INCOMING connection makes its pair (local passive,
 *    remote peer-reflexive active) and a triggered check on it.
 *
 * Checks go once (RFC 6544 section 7.1: TCP is reliable) and time out after
 * what a UDP check takes with the agent's stun-initial-timeout and
 * stun-max-retransmissions (7.5 s by default); the connect is bounded by
 * the same. A connection that closes or fails fails its pairs, and a
 * component whose selected pair it carried, unless another nominated pair
 * is valid. Simultaneous-open candidates are neither gathered nor paired.
 *
 * Senders in other threads write under the connection's lock; what cannot
 * be written now is queued up to OUT_QUEUE_MAX, past which sends fail with
 * G_IO_ERROR_WOULD_BLOCK.
 */
#include "config.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "burrow-ice"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "burrow-error.h"
#include "burrow-agent-private.h"
#include "stun/burrow-stun-endpoint.h"

#define FRAME_MAX 65535
#define IN_BUFFER_SIZE (2 + FRAME_MAX)
#define OUT_QUEUE_MAX (256 * 1024)
#define READ_BATCH 16
#define ACCEPT_BATCH 8
#define SEND_VECTORS 64
/* accepted connections that carried no valid check yet, per component */
#define MAX_UNPAIRED 16
/* the port of active candidates in SDP (RFC 6544 section 4.5) */
#define ACTIVE_PORT 9

typedef enum {
  TCP_LISTENER,
  TCP_ACTIVE,
  TCP_OUTGOING,
  TCP_INCOMING,
} TcpKind;

struct _BurrowAgentTcp {
  TcpKind kind;
  BurrowAgentBase *base;          /* the owner */
  GMainContext *context;          /* the agent's */
  GSocketAddress *peer;           /* OUTGOING, INCOMING */
  GSource *read_source;           /* accepting or reading */
  GSource *connect_source;        /* OUTGOING while connecting */
  GSource *timer;                 /* the connect's bound, or a deferred failure */
  guint8 *in_buf;                 /* IN_BUFFER_SIZE, connections only */
  gsize in_len;

  /* what senders in any thread look at */
  GMutex lock;
  GSocket *socket;                /* NULL once closed, and ACTIVE's */
  gboolean connecting;
  gboolean connected;
  gboolean closed;
  GByteArray *out;                /* frames not written yet */
  gsize out_pos;
  GSource *write_source;
};

static void connection_failed (BurrowAgentBase *base, const gchar *why);

/* ---- bases ---- */

static void
destroy_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

static BurrowAgentTcp *
tcp_new (BurrowAgentBase *base, TcpKind kind)
{
  BurrowAgentTcp *tcp = g_new0 (BurrowAgentTcp, 1);

  tcp->kind = kind;
  tcp->base = base;
  tcp->context = base->component->stream->agent->context;
  g_mutex_init (&tcp->lock);
  if (kind == TCP_OUTGOING || kind == TCP_INCOMING) {
    tcp->in_buf = g_malloc (IN_BUFFER_SIZE);
    tcp->out = g_byte_array_new ();
  }
  base->tcp = tcp;
  return tcp;
}

/* Closes the socket; senders see the connection closed from now on. */
static void
tcp_close (BurrowAgentTcp *tcp)
{
  destroy_source (&tcp->read_source);
  destroy_source (&tcp->connect_source);
  destroy_source (&tcp->timer);
  g_mutex_lock (&tcp->lock);
  tcp->closed = TRUE;
  tcp->connected = FALSE;
  destroy_source (&tcp->write_source);
  if (tcp->socket) {
    g_socket_close (tcp->socket, NULL);
    g_clear_object (&tcp->socket);
  }
  g_mutex_unlock (&tcp->lock);
}

void
burrow_agent_tcp_free (BurrowAgentTcp *tcp)
{
  tcp_close (tcp);
  g_clear_object (&tcp->peer);
  g_clear_pointer (&tcp->out, g_byte_array_unref);
  g_free (tcp->in_buf);
  g_mutex_clear (&tcp->lock);
  g_free (tcp);
}

static BurrowAgentBase *
base_new (BurrowAgentComponent *c, GInetSocketAddress *address, BurrowCandidate *candidate,
    TcpKind kind)
{
  BurrowAgentBase *base = g_new0 (BurrowAgentBase, 1);

  base->component = c;
  base->address = g_object_ref (address);
  base->candidate = g_object_ref (candidate);
  tcp_new (base, kind);
  return base;
}

/* Whether a pair (in the check list, or selected) sends through @base */
static gboolean
base_paired (BurrowAgentBase *base)
{
  BurrowAgentComponent *c = base->component;
  GPtrArray *pairs = c->stream->pairs;
  guint i;

  if (c->selected && c->selected->base == base)
    return TRUE;
  for (i = 0; i < pairs->len; i++)
    if (((BurrowAgentPair *) pairs->pdata[i])->base == base)
      return TRUE;
  return FALSE;
}

BurrowCandidateTransport
burrow_agent_base_peer_transport (BurrowAgentBase *base)
{
  if (base->tcp == NULL)
    return BURROW_CANDIDATE_TRANSPORT_UDP;
  return base->tcp->kind == TCP_INCOMING ? BURROW_CANDIDATE_TRANSPORT_TCP_ACTIVE :
      BURROW_CANDIDATE_TRANSPORT_TCP_PASSIVE;
}

gboolean
burrow_agent_transports_pair (BurrowCandidate *local, BurrowCandidate *remote)
{
  BurrowCandidateTransport l = burrow_candidate_get_transport (local);
  BurrowCandidateTransport r = burrow_candidate_get_transport (remote);

  /* RFC 6544 section 6.2; no simultaneous-open */
  return (l == BURROW_CANDIDATE_TRANSPORT_UDP && r == BURROW_CANDIDATE_TRANSPORT_UDP) ||
      (l == BURROW_CANDIDATE_TRANSPORT_TCP_ACTIVE && r == BURROW_CANDIDATE_TRANSPORT_TCP_PASSIVE) ||
      (l == BURROW_CANDIDATE_TRANSPORT_TCP_PASSIVE && r == BURROW_CANDIDATE_TRANSPORT_TCP_ACTIVE);
}

guint
burrow_agent_tcp_check_timeout (BurrowAgent *agent)
{
  /* what a UDP check takes: RTO, 2 RTO, 4 RTO… for each send */
  guint64 total = (guint64) agent->initial_timeout_ms *
      ((G_GUINT64_CONSTANT (1) << MIN (agent->max_retransmissions + 1, 16)) - 1);

  return (guint) CLAMP (total, 1000, 39500);
}

/* ---- writing ---- */

static gboolean tcp_writable_cb (GSocket *socket, GIOCondition condition, gpointer user_data);

/* With the lock held: writes what is queued, and watches for room when some
 * is left. FALSE on a write error. */
static gboolean
flush_locked (BurrowAgentTcp *tcp)
{
  while (tcp->out_pos < tcp->out->len) {
    gssize n = send (g_socket_get_fd (tcp->socket), tcp->out->data + tcp->out_pos,
        tcp->out->len - tcp->out_pos, MSG_DONTWAIT | MSG_NOSIGNAL);

    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      break;
    if (n <= 0)
      return FALSE;
    tcp->out_pos += (gsize) n;
  }
  if (tcp->out_pos == tcp->out->len) {
    g_byte_array_set_size (tcp->out, 0);
    tcp->out_pos = 0;
    destroy_source (&tcp->write_source);
  } else if (tcp->write_source == NULL) {
    tcp->write_source = g_socket_create_source (tcp->socket, G_IO_OUT, NULL);
    g_source_set_static_name (tcp->write_source, "[burrow] ICE-TCP write");
    g_source_set_callback (tcp->write_source, G_SOURCE_FUNC (tcp_writable_cb), tcp->base, NULL);
    g_source_attach (tcp->write_source, tcp->context);
  }
  return TRUE;
}

static gboolean
fail_later_cb (gpointer user_data)
{
  BurrowAgentBase *base = user_data;
  BURROW_AGENT_HOLD_SIGNALS (base->component->stream->agent);

  g_clear_pointer (&base->tcp->timer, g_source_unref);
  connection_failed (base, "write failed");
  return G_SOURCE_REMOVE;
}

/* With the lock held, from any thread: the connection fails on the
 * context, not inside the caller's send */
static void
fail_later_locked (BurrowAgentTcp *tcp)
{
  if (tcp->closed)
    return;
  tcp->closed = TRUE;
  destroy_source (&tcp->write_source);
  /* the timer is the context thread's; this runs there, or the caller
   * holds the agent's lock and the base stays */
  if (g_main_context_is_owner (tcp->context) && tcp->timer == NULL) {
    tcp->timer = g_idle_source_new ();
    g_source_set_static_name (tcp->timer, "[burrow] ICE-TCP failure");
    g_source_set_callback (tcp->timer, fail_later_cb, tcp->base, NULL);
    g_source_attach (tcp->timer, tcp->context);
  }
}

static gboolean
tcp_writable_cb (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  BurrowAgentBase *base = user_data;
  BurrowAgentTcp *tcp = base->tcp;
  gboolean ok;

  g_mutex_lock (&tcp->lock);
  /* a sender in another thread may have replaced it meanwhile */
  if (tcp->write_source == g_main_current_source ())
    g_clear_pointer (&tcp->write_source, g_source_unref);
  ok = tcp->closed || (tcp->socket && flush_locked (tcp));
  if (!ok)
    fail_later_locked (tcp);
  g_mutex_unlock (&tcp->lock);
  return G_SOURCE_REMOVE;
}

static gsize
vectors_size (const GOutputVector *vectors, gint n_vectors, gint *count)
{
  gsize total = 0;
  gint k;

  for (k = 0; n_vectors < 0 ? vectors[k].buffer != NULL : k < n_vectors; k++)
    total += vectors[k].size;
  *count = k;
  return total;
}

static void
queue_frame (BurrowAgentTcp *tcp, const guint8 prefix[2], const GOutputVector *vectors,
    gint count, gsize skip)
{
  gsize off = 0;
  gint k;

  for (k = -1; k < count; k++) {
    const guint8 *data = k < 0 ? prefix : vectors[k].buffer;
    gsize size = k < 0 ? 2 : vectors[k].size;

    if (skip < off + size)
      g_byte_array_append (tcp->out, data + (skip > off ? skip - off : 0),
          (guint) (size - (skip > off ? skip - off : 0)));
    off += size;
  }
}

/* With the lock held and nothing queued: one sendmsg for the frame;
 * returns how much went, or -1 on error */
static gssize
write_frame_locked (BurrowAgentTcp *tcp, const guint8 prefix[2], const GOutputVector *vectors,
    gint count)
{
  struct iovec iov[SEND_VECTORS + 1];
  struct msghdr msg = { 0 };
  gssize n;
  gint k;

  if (count > SEND_VECTORS)
    return 0;                   /* all of it through the queue */
  iov[0].iov_base = (gpointer) prefix;
  iov[0].iov_len = 2;
  for (k = 0; k < count; k++) {
    iov[k + 1].iov_base = (gpointer) vectors[k].buffer;
    iov[k + 1].iov_len = vectors[k].size;
  }
  msg.msg_iov = iov;
  msg.msg_iovlen = (gsize) count + 1;
  n = sendmsg (g_socket_get_fd (tcp->socket), &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    return 0;
  return n;
}

static gboolean start_connect (BurrowAgentBase *base);

/* One frame (RFC 4571) on a connection, from any thread: written now, or
 * queued while connecting or while earlier frames wait. */
gboolean
burrow_agent_tcp_send (BurrowAgentBase *base, const GOutputVector *vectors, gint n_vectors,
    GError **error)
{
  BurrowAgentTcp *tcp = base->tcp;
  gint count;
  gsize total = vectors_size (vectors, n_vectors, &count);
  guint8 prefix[2] = { (guint8) (total >> 8), (guint8) total };
  gboolean ok = TRUE;

  if (tcp->kind != TCP_OUTGOING && tcp->kind != TCP_INCOMING) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, "Not a TCP connection");
    return FALSE;
  }
  if (total > FRAME_MAX) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
        "A datagram of %" G_GSIZE_FORMAT " bytes does not fit in an RFC 4571 frame", total);
    return FALSE;
  }
  g_mutex_lock (&tcp->lock);
  if (tcp->closed) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE, "The TCP connection is closed");
    ok = FALSE;
  } else if (tcp->out->len - tcp->out_pos + total + 2 > OUT_QUEUE_MAX) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK,
        "The TCP connection's send queue is full");
    ok = FALSE;
  } else if (!tcp->connected || tcp->out_pos < tcp->out->len) {
    queue_frame (tcp, prefix, vectors, count, 0);
    if (tcp->kind == TCP_OUTGOING && !tcp->connecting && !tcp->connected)
      ok = start_connect (base);
  } else {
    gssize n = write_frame_locked (tcp, prefix, vectors, count);

    if (n < 0) {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
          "Could not send on the TCP connection: %s", g_strerror (errno));
      fail_later_locked (tcp);
      ok = FALSE;
    } else if ((gsize) n < total + 2) {
      queue_frame (tcp, prefix, vectors, count, (gsize) n);
      ok = flush_locked (tcp);
    }
  }
  g_mutex_unlock (&tcp->lock);
  if (!ok && error && *error == NULL)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Could not connect");
  return ok;
}

gint
burrow_agent_tcp_send_messages (BurrowAgentBase *base, const BurrowOutputMessage *messages,
    guint n_messages, GError **error)
{
  guint i;

  for (i = 0; i < n_messages; i++) {
    g_autoptr(GError) local_error = NULL;

    if (!burrow_agent_tcp_send (base, messages[i].buffers, messages[i].n_buffers,
            &local_error)) {
      if (i == 0) {
        g_propagate_error (error, g_steal_pointer (&local_error));
        return -1;
      }
      break;
    }
  }
  return (gint) i;
}

/* ---- reading ---- */

/* One frame. FALSE once the connection is gone (closed here, or its
 * stream removed by a callback). */
static gboolean
handle_frame (BurrowAgentBase *base, GSource *source, const guint8 *data, gsize len)
{
  BurrowAgent *agent = base->component->stream->agent;
  guint64 rejected = agent->rejected;
  gboolean unpaired = base->tcp->kind == TCP_INCOMING && !base_paired (base);

  if (unpaired && (len < 20 || (data[0] & 0xc0) != 0 ||
          !burrow_stun_message_is_stun (data, len))) {
    /* a connection that has carried no valid check can only carry one */
    agent->rejected++;
    connection_failed (base, "data before a check");
    return FALSE;
  }
  burrow_agent_receive (base, base->tcp->peer, data, len);
  if (source && g_source_is_destroyed (source))
    return FALSE;
  if (unpaired && agent->rejected > rejected && !base_paired (base)) {
    connection_failed (base, "a check that fails authentication");
    return FALSE;
  }
  return TRUE;
}

/* Hands every complete frame in the buffer over, then moves what is left
 * of an incomplete one to the front. */
static gboolean
deliver_frames (BurrowAgentBase *base, GSource *source)
{
  BurrowAgentTcp *tcp = base->tcp;
  gsize off = 0;

  while (tcp->in_len - off >= 2) {
    gsize len = ((gsize) tcp->in_buf[off] << 8) | tcp->in_buf[off + 1];

    if (tcp->in_len - off - 2 < len)
      break;
    off += 2 + len;
    if (!handle_frame (base, source, tcp->in_buf + off - len, len))
      return FALSE;
  }
  memmove (tcp->in_buf, tcp->in_buf + off, tcp->in_len - off);
  tcp->in_len -= off;
  return TRUE;
}

static gboolean
tcp_readable_cb (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  BurrowAgentBase *base = user_data;
  BurrowAgentTcp *tcp = base->tcp;
  BurrowAgent *agent = base->component->stream->agent;
  GSource *source = g_main_current_source ();
  BURROW_AGENT_HOLD_SIGNALS (agent);
  guint i;

  for (i = 0; i < READ_BATCH; i++) {
    gssize n = recv (g_socket_get_fd (socket), tcp->in_buf + tcp->in_len,
        IN_BUFFER_SIZE - tcp->in_len, MSG_DONTWAIT);

    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
      break;
    if (n <= 0) {
      if (tcp->in_len > 0)
        agent->rejected++;      /* a frame cut short */
      connection_failed (base, n == 0 ? "closed by the peer" : g_strerror (errno));
      return G_SOURCE_REMOVE;
    }
    tcp->in_len += (gsize) n;
    if (!deliver_frames (base, source))
      return G_SOURCE_REMOVE;
  }
  return G_SOURCE_CONTINUE;
}

static void
start_reading (BurrowAgentBase *base)
{
  BurrowAgentTcp *tcp = base->tcp;

  tcp->read_source = g_socket_create_source (tcp->socket, G_IO_IN, NULL);
  g_source_set_static_name (tcp->read_source, "[burrow] ICE-TCP read");
  g_source_set_callback (tcp->read_source, G_SOURCE_FUNC (tcp_readable_cb), base, NULL);
  g_source_attach (tcp->read_source, tcp->context);
}

static void
set_nodelay (GSocket *socket)
{
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
}

/* ---- failures ---- */

/* The pairs through @base fail; the component follows. */
static void
fail_pairs (BurrowAgentBase *base)
{
  BurrowAgentComponent *c = base->component;
  BurrowAgent *agent = c->stream->agent;
  GPtrArray *pairs = c->stream->pairs;
  guint i;

  for (i = 0; i < pairs->len; i++) {
    BurrowAgentPair *p = pairs->pdata[i];

    if (p->base != base)
      continue;
    if (p->check)
      g_hash_table_remove (agent->transactions, p->check->tid);
    p->state = BURROW_PAIR_FAILED;
    p->valid = FALSE;
    p->nominated = FALSE;
  }
  if (c->selected && c->selected->base == base) {
    c->selected->valid = FALSE;
    c->selected->nominated = FALSE;
  }
  burrow_agent_component_update_state (c);
  /* no other nominated pair took over */
  if (c->selected && c->selected->base == base && c->state != BURROW_COMPONENT_STATE_FAILED)
    burrow_agent_component_set_state (c, BURROW_COMPONENT_STATE_FAILED);
}

/* The connection is over: an unpaired one goes, a paired one stays
 * (closed) with its pairs failed. Frees @base in the first case. */
static void
connection_failed (BurrowAgentBase *base, const gchar *why)
{
  BurrowAgentComponent *c = base->component;

  g_debug ("stream %u component %u: TCP connection %s", c->stream->id, c->id, why);
  if (!base_paired (base)) {
    g_ptr_array_remove (c->bases, base);
    return;
  }
  tcp_close (base->tcp);
  fail_pairs (base);
}

/* ---- connecting (active) ---- */

static gboolean
connect_timeout_cb (gpointer user_data)
{
  BurrowAgentBase *base = user_data;
  BURROW_AGENT_HOLD_SIGNALS (base->component->stream->agent);

  g_clear_pointer (&base->tcp->timer, g_source_unref);
  connection_failed (base, "timed out connecting");
  return G_SOURCE_REMOVE;
}

static gboolean
connected_cb (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  BurrowAgentBase *base = user_data;
  BurrowAgentTcp *tcp = base->tcp;
  g_autoptr(GError) error = NULL;
  BURROW_AGENT_HOLD_SIGNALS (base->component->stream->agent);
  gboolean ok;

  g_clear_pointer (&tcp->connect_source, g_source_unref);
  destroy_source (&tcp->timer);
  if (!g_socket_check_connect_result (socket, &error)) {
    connection_failed (base, error->message);
    return G_SOURCE_REMOVE;
  }
  g_mutex_lock (&tcp->lock);
  tcp->connecting = FALSE;
  tcp->connected = TRUE;
  ok = flush_locked (tcp);
  if (!ok)
    fail_later_locked (tcp);
  g_mutex_unlock (&tcp->lock);
  if (ok)
    start_reading (base);
  return G_SOURCE_REMOVE;
}

/* With the lock held, on the context's thread (the first frame on an
 * outgoing connection is a check): a non-blocking connect, bounded. */
static gboolean
start_connect (BurrowAgentBase *base)
{
  BurrowAgentTcp *tcp = base->tcp;
  BurrowAgent *agent = base->component->stream->agent;
  GInetAddress *ip = g_inet_socket_address_get_address (base->address);
  g_autoptr(GSocketAddress) local = g_inet_socket_address_new (ip, 0);
  g_autoptr(GError) error = NULL;
  GSocket *socket = g_socket_new (g_inet_address_get_family (ip), G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, &error);

  tcp->connecting = TRUE;
  if (socket == NULL || !g_socket_bind (socket, local, FALSE, &error)) {
    g_debug ("no TCP socket: %s", error->message);
    g_clear_object (&socket);
    fail_later_locked (tcp);
    return FALSE;
  }
  g_socket_set_blocking (socket, FALSE);
  set_nodelay (socket);
  tcp->socket = socket;
  if (!g_socket_connect (socket, tcp->peer, NULL, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PENDING)) {
    g_debug ("TCP connect failed: %s", error->message);
    fail_later_locked (tcp);
    return FALSE;
  }
  /* completion (or immediate success) shows as writable */
  tcp->connect_source = g_socket_create_source (socket, G_IO_OUT, NULL);
  g_source_set_static_name (tcp->connect_source, "[burrow] ICE-TCP connect");
  g_source_set_callback (tcp->connect_source, G_SOURCE_FUNC (connected_cb), base, NULL);
  g_source_attach (tcp->connect_source, tcp->context);
  tcp->timer = g_timeout_source_new (burrow_agent_tcp_check_timeout (agent));
  g_source_set_static_name (tcp->timer, "[burrow] ICE-TCP connect timeout");
  g_source_set_callback (tcp->timer, connect_timeout_cb, base, NULL);
  g_source_attach (tcp->timer, tcp->context);
  return TRUE;
}

/* ---- accepting (passive) ---- */

/* At the limit of connections without a valid check, the oldest goes. */
static void
make_room (BurrowAgentComponent *c)
{
  BurrowAgentBase *oldest = NULL;
  guint i, unpaired = 0;

  for (i = 0; i < c->bases->len; i++) {
    BurrowAgentBase *b = c->bases->pdata[i];

    if (b->tcp && b->tcp->kind == TCP_INCOMING && !b->tcp->closed && !base_paired (b)) {
      unpaired++;
      if (oldest == NULL)
        oldest = b;
    }
  }
  if (unpaired >= MAX_UNPAIRED && oldest) {
    c->stream->agent->rejected++;
    connection_failed (oldest, "dropped for a newer one");
  }
}

static void
accept_one (BurrowAgentBase *listener, GSocket *socket)
{
  BurrowAgentComponent *c = listener->component;
  g_autoptr(GSocketAddress) peer = g_socket_get_remote_address (socket, NULL);
  BurrowAgentBase *base;

  if (peer == NULL || !G_IS_INET_SOCKET_ADDRESS (peer)) {
    g_socket_close (socket, NULL);
    return;
  }
  make_room (c);
  base = base_new (c, listener->address, listener->candidate, TCP_INCOMING);
  g_socket_set_blocking (socket, FALSE);
  set_nodelay (socket);
  base->tcp->socket = g_object_ref (socket);
  base->tcp->peer = g_steal_pointer (&peer);
  base->tcp->connected = TRUE;
  g_ptr_array_add (c->bases, base);
  start_reading (base);
}

static gboolean
accept_cb (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  BurrowAgentBase *listener = user_data;
  BURROW_AGENT_HOLD_SIGNALS (listener->component->stream->agent);
  guint i;

  for (i = 0; i < ACCEPT_BATCH; i++) {
    g_autoptr(GSocket) accepted = g_socket_accept (socket, NULL, NULL);

    if (accepted == NULL)
      break;
    accept_one (listener, accepted);
  }
  return G_SOURCE_CONTINUE;
}

/* ---- gathering and pairing ---- */

static GSocket *
open_listener (BurrowAgentComponent *c, GInetAddress *ip, GError **error)
{
  g_autoptr(GSocket) socket = g_socket_new (g_inet_address_get_family (ip),
      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  guint i, first = c->min_port, last = c->max_port ? c->max_port : c->min_port;
  guint span = last - first + 1;
  guint start = first == 0 ? 0 : (guint) g_random_int_range (0, (gint32) span);

  if (socket == NULL)
    return NULL;
  /* as for UDP: a random port of the range first, then the others */
  for (i = 0; i < span; i++) {
    guint port = first == 0 ? 0 : first + (start + i) % span;
    g_autoptr(GSocketAddress) sa = g_inet_socket_address_new (ip, (guint16) port);

    g_clear_error (error);
    if (g_socket_bind (socket, sa, FALSE, error) && g_socket_listen (socket, error)) {
      g_socket_set_blocking (socket, FALSE);
      return g_steal_pointer (&socket);
    }
    if (port != 0) {
      /* a socket that failed to listen cannot bind again */
      g_clear_object (&socket);
      socket = g_socket_new (g_inet_address_get_family (ip), G_SOCKET_TYPE_STREAM,
          G_SOCKET_PROTOCOL_TCP, NULL);
      if (socket == NULL)
        return NULL;
    }
  }
  return NULL;
}

static BurrowCandidate *
host_candidate (BurrowAgentComponent *c, GInetSocketAddress *address,
    BurrowCandidateTransport transport, guint index)
{
  BurrowCandidate *candidate = burrow_candidate_new (BURROW_CANDIDATE_TYPE_HOST);
  GInetAddress *ip = g_inet_socket_address_get_address (address);
  g_autofree gchar *foundation = burrow_candidate_make_foundation (BURROW_CANDIDATE_TYPE_HOST,
      ip, NULL, transport);

  burrow_candidate_set_transport (candidate, transport);
  burrow_candidate_set_address (candidate, address);
  burrow_candidate_set_base_address (candidate, address);
  /* RFC 6544 4.2: the other-pref (13 bits) prefers earlier addresses */
  burrow_candidate_set_priority (candidate, burrow_candidate_compute_priority (
      BURROW_CANDIDATE_TYPE_HOST, transport, 8191 - MIN (index, 127) * 64, c->id));
  burrow_candidate_set_foundation (candidate, foundation);
  burrow_candidate_set_stream_id (candidate, c->stream->id);
  burrow_candidate_set_component_id (candidate, c->id);
  burrow_candidate_set_username (candidate, c->stream->local_ufrag);
  burrow_candidate_set_password (candidate, c->stream->local_pwd);
  return candidate;
}

static void
add_base (BurrowAgentComponent *c, BurrowAgentBase *base)
{
  guint i;

  g_ptr_array_add (c->bases, base);
  g_ptr_array_add (c->local_candidates, g_object_ref (base->candidate));
  for (i = 0; i < c->remote_candidates->len; i++)
    burrow_agent_tcp_pair (base, c->remote_candidates->pdata[i]);
  burrow_agent_emit_new_candidate (c->stream->agent, base->candidate);
}

/* The passive and the active host candidate on @ip (only the passive one
 * for an ICE-lite agent, which never checks). */
gboolean
burrow_agent_tcp_gather (BurrowAgentComponent *c, GInetAddress *ip, guint index, GError **error)
{
  BurrowAgent *agent = c->stream->agent;
  GSocket *socket = open_listener (c, ip, error);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GSocketAddress) active = NULL;
  g_autoptr(BurrowCandidate) candidate = NULL;
  BurrowAgentBase *base;

  if (socket == NULL)
    return FALSE;
  bound = g_socket_get_local_address (socket, NULL);
  candidate = host_candidate (c, G_INET_SOCKET_ADDRESS (bound),
      BURROW_CANDIDATE_TRANSPORT_TCP_PASSIVE, index);
  base = base_new (c, G_INET_SOCKET_ADDRESS (bound), candidate, TCP_LISTENER);
  base->tcp->socket = socket;
  base->tcp->read_source = g_socket_create_source (socket, G_IO_IN, NULL);
  g_source_set_static_name (base->tcp->read_source, "[burrow] ICE-TCP accept");
  g_source_set_callback (base->tcp->read_source, G_SOURCE_FUNC (accept_cb), base, NULL);
  g_source_attach (base->tcp->read_source, agent->context);
  add_base (c, base);
  if (!agent->full_mode)
    return TRUE;
  g_clear_object (&candidate);
  active = g_inet_socket_address_new (ip, ACTIVE_PORT);
  candidate = host_candidate (c, G_INET_SOCKET_ADDRESS (active),
      BURROW_CANDIDATE_TRANSPORT_TCP_ACTIVE, index);
  add_base (c, base_new (c, G_INET_SOCKET_ADDRESS (active), candidate, TCP_ACTIVE));
  return TRUE;
}

/* A local active candidate meets a remote passive one: a connection of
 * their own, opened on the pair's first check. Other TCP bases make no
 * pairs here (RFC 6544 section 6.2). */
void
burrow_agent_tcp_pair (BurrowAgentBase *active, BurrowCandidate *remote)
{
  BurrowAgentComponent *c = active->component;
  GSocketAddress *to = G_SOCKET_ADDRESS (burrow_candidate_get_address (remote));
  BurrowAgentBase *base;
  guint i;

  if (active->tcp->kind != TCP_ACTIVE ||
      !burrow_agent_transports_pair (active->candidate, remote) ||
      g_socket_address_get_family (to) != g_socket_address_get_family (
          G_SOCKET_ADDRESS (active->address)))
    return;
  for (i = 0; i < c->bases->len; i++) {
    BurrowAgentBase *b = c->bases->pdata[i];

    if (b->tcp && b->tcp->kind == TCP_OUTGOING && b->candidate == active->candidate &&
        burrow_socket_address_equal (b->tcp->peer, to)) {
      if (base_paired (b))
        return;
      /* left from before an ICE restart: a new connection for the new pair */
      g_ptr_array_remove_index (c->bases, i);
      break;
    }
  }
  base = base_new (c, active->address, active->candidate, TCP_OUTGOING);
  base->tcp->peer = g_object_ref (to);
  g_ptr_array_add (c->bases, base);
  burrow_agent_pair_add (c, base, active->candidate, remote);
  /* refused (the check list is full): the connection is not needed */
  if (burrow_agent_find_pair (c, base, to) == NULL)
    g_ptr_array_remove (c->bases, base);
}

/* RFC 6544 section 7.2: the port an active candidate was seen from is
 * the connection's, not the candidate's; only its IP tells a NAT. */
gboolean
burrow_agent_tcp_mapped_is_local (BurrowCandidate *local, GInetSocketAddress *mapped)
{
  GInetSocketAddress *address = burrow_candidate_get_address (local);

  if (burrow_candidate_get_transport (local) != BURROW_CANDIDATE_TRANSPORT_TCP_ACTIVE)
    return burrow_socket_address_equal (G_SOCKET_ADDRESS (mapped), G_SOCKET_ADDRESS (address));
  return g_inet_address_equal (g_inet_socket_address_get_address (mapped),
      g_inet_socket_address_get_address (address));
}
