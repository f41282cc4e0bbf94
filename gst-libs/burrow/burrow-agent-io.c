/* burrow-agent-io.c: data through the ICE agent's selected pairs
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Sending goes straight to the selected pair's socket (vectors, no copy);
 * receiving hands each datagram to the attached callback or queues it for
 * recv_messages.
 */
#define _GNU_SOURCE /* sendmmsg */
#include "config.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "burrow-ice"

#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include "burrow-error.h"
#include "burrow-agent-private.h"

/* datagrams kept for recv_messages when nobody takes them */
#define RECV_QUEUE_MAX 1024
#define MAX_DATAGRAM 65536

typedef struct {
  BurrowAgent *agent;
  BurrowAgentComponent *component;
  guint stream_id;
  guint component_id;
  GBytes *data;
} Delivery;

/* On the context given to attach_recv; the component may have gone with
 * its stream meanwhile (its callback is then unset). */
static gboolean
deliver_in_context_cb (gpointer user_data)
{
  Delivery *d = user_data;
  BurrowAgentComponent *c = d->component;
  BurrowAgentRecvFunc func;
  gpointer func_data;
  gsize len;
  const guint8 *buf = g_bytes_get_data (d->data, &len);

  /* what is attached now: a detached callback is not called */
  g_mutex_lock (&c->recv_lock);
  func = c->recv_func;
  func_data = c->recv_data;
  g_mutex_unlock (&c->recv_lock);
  if (func)
    func (d->agent, d->stream_id, d->component_id, (guint) len, buf, func_data);
  return G_SOURCE_REMOVE;
}

static void
delivery_free (Delivery *d)
{
  g_atomic_int_add (&d->component->deliveries_pending, -1);
  g_object_unref (d->agent);
  burrow_agent_component_unref (d->component);
  g_bytes_unref (d->data);
  g_free (d);
}

void
burrow_agent_queued_free (BurrowAgentQueued *queued)
{
  g_bytes_unref (queued->data);
  g_clear_object (&queued->from);
  g_free (queued);
}

void
burrow_agent_deliver (BurrowAgentComponent *c, GSocketAddress *from, const guint8 *data,
    gsize len)
{
  BurrowAgentQueued *queued;

  BurrowAgent *agent = c->stream->agent;

  if (c->recv_func) {
    if (c->recv_context == NULL || c->recv_context == agent->context) {
      c->recv_func (agent, c->stream->id, c->id, (guint) len, data, c->recv_data);
    } else if (g_atomic_int_get (&c->deliveries_pending) >= RECV_QUEUE_MAX) {
      /* the other context does not keep up: drop, as a full socket would */
      agent->rejected++;
    } else {
      Delivery *d = g_new (Delivery, 1);

      g_atomic_int_inc (&c->deliveries_pending);
      d->agent = g_object_ref (agent);
      d->component = burrow_agent_component_ref (c);
      d->stream_id = c->stream->id;
      d->component_id = c->id;
      d->data = g_bytes_new (data, len);
      g_main_context_invoke_full (c->recv_context, G_PRIORITY_DEFAULT, deliver_in_context_cb,
          d, (GDestroyNotify) delivery_free);
    }
    return;
  }
  queued = g_new (BurrowAgentQueued, 1);
  queued->data = g_bytes_new (data, len);
  queued->from = from ? g_object_ref (from) : NULL;
  g_mutex_lock (&c->recv_lock);
  g_queue_push_tail (&c->recv_queue, queued);
  /* nobody reads: the oldest go, counted */
  while (c->recv_queue.length > RECV_QUEUE_MAX) {
    burrow_agent_queued_free (g_queue_pop_head (&c->recv_queue));
    agent->rejected++;
  }
  g_cond_broadcast (&c->recv_cond);
  g_mutex_unlock (&c->recv_lock);
}

void
burrow_agent_component_recv_close (BurrowAgentComponent *c)
{
  g_mutex_lock (&c->recv_lock);
  c->recv_closed = TRUE;
  g_cond_broadcast (&c->recv_cond);
  g_mutex_unlock (&c->recv_lock);
}

/**
 * burrow_agent_attach_recv:
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 * @ctx: (nullable): the context to call @func on, or %NULL for the agent's
 * @func: (scope notified) (nullable): called for each datagram, or %NULL to
 *   detach
 * @data: (closure func): data for @func
 *
 * Hands every datagram the component receives to @func, as
 * `nice_agent_attach_recv()` does; unlike libnice's, the callback is
 * introspectable and gets the data as bytes. As in libnice there is no
 * destroy notify: a binding's closure lives as long as the process
 * (`(scope forever)` would say so, but PyGObject 3.42 does not know it).
 *
 * Returns: %TRUE if the component exists
 *
 * Since: 0.1
 */
gboolean
burrow_agent_attach_recv (BurrowAgent *agent, guint stream_id, guint component_id,
    GMainContext *ctx, BurrowAgentRecvFunc func, gpointer data)
{
  BurrowAgentComponent *c;

  g_return_val_if_fail (BURROW_IS_AGENT (agent), FALSE);
  c = burrow_agent_find_component (agent, stream_id, component_id);
  if (c == NULL)
    return FALSE;
  if (c->recv_context)
    g_main_context_unref (c->recv_context);
  c->recv_context = ctx ? g_main_context_ref (ctx) : NULL;
  /* deliveries queued to another context read them there */
  g_mutex_lock (&c->recv_lock);
  c->recv_func = func;
  c->recv_data = data;
  g_mutex_unlock (&c->recv_lock);
  return TRUE;
}

static BurrowAgentPair *
selected_pair (BurrowAgent *agent, guint stream_id, guint component_id)
{
  BurrowAgentComponent *c = burrow_agent_find_component (agent, stream_id, component_id);

  /* the state is written on the context's thread, read here on any */
  if (c == NULL || c->selected == NULL ||
      g_atomic_int_get ((gint *) &c->state) == BURROW_COMPONENT_STATE_FAILED)
    return NULL;
  return c->selected;
}

/* A datagram through the relay (or, should the native address be missing,
 * through GIO): the TURN objects belong to the agent's context. On a thread
 * that can own the context, sent at once; else handed to the context with
 * a copy of the data. */
typedef struct {
  BurrowAgent *agent;
  guint stream_id;
  guint component_id;
  GBytes *data;
} SlowSend;

static gboolean
send_now (BurrowAgent *agent, guint stream_id, guint component_id, const guint8 *buf, gsize len)
{
  BurrowAgentPair *pair = selected_pair (agent, stream_id, component_id);

  return pair && burrow_agent_base_send (pair->base,
      G_SOCKET_ADDRESS (burrow_candidate_get_address (pair->remote)), buf, len);
}

static gboolean
slow_send_cb (gpointer user_data)
{
  SlowSend *s = user_data;
  gsize len;
  const guint8 *buf = g_bytes_get_data (s->data, &len);

  send_now (s->agent, s->stream_id, s->component_id, buf, len);
  return G_SOURCE_REMOVE;
}

static void
slow_send_free (SlowSend *s)
{
  g_object_unref (s->agent);
  g_bytes_unref (s->data);
  g_free (s);
}

static gboolean
send_slow (BurrowAgent *agent, guint stream_id, guint component_id, const guint8 *buf, gsize len)
{
  SlowSend *s;

  /* only the context's own thread may do the context's work: another
   * thread that acquires it would run beside that thread's API calls */
  if (g_thread_self () == g_atomic_pointer_get (&agent->context_thread) &&
      g_main_context_acquire (agent->context)) {
    gboolean ok = send_now (agent, stream_id, component_id, buf, len);

    g_main_context_release (agent->context);
    return ok;
  }
  s = g_new (SlowSend, 1);
  s->agent = g_object_ref (agent);
  s->stream_id = stream_id;
  s->component_id = component_id;
  s->data = g_bytes_new (buf, len);
  g_main_context_invoke_full (agent->context, G_PRIORITY_DEFAULT, slow_send_cb, s,
      (GDestroyNotify) slow_send_free);
  return TRUE;
}

/**
 * burrow_agent_send:
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 * @len: the length of @buf
 * @buf: (array length=len): the data
 *
 * Sends one datagram on the component's selected pair.
 *
 * Returns: @len if it was sent, -1 if there is no selected pair yet or the
 *   socket would block
 *
 * Since: 0.1
 */
gint
burrow_agent_send (BurrowAgent *agent, guint stream_id, guint component_id, guint len,
    const guint8 *buf)
{
  BurrowAgentPair *pair;
  gssize n = -1;
  gboolean direct;

  g_return_val_if_fail (BURROW_IS_AGENT (agent), -1);
  g_return_val_if_fail (buf != NULL || len == 0, -1);
  if (len > G_MAXINT)
    return -1;
  g_mutex_lock (&agent->lock);
  pair = selected_pair (agent, stream_id, component_id);
  if (pair && pair->base->tcp) {
    /* ICE-TCP: one frame on the pair's connection */
    GOutputVector vector = { buf, len };
    gboolean sent = burrow_agent_tcp_send (pair->base, &vector, 1, NULL);

    g_mutex_unlock (&agent->lock);
    return sent ? (gint) len : -1;
  }
  direct = pair && pair->base->socket && pair->remote_native_len > 0;
  if (direct) {
    /* the data path: straight to the socket, no conversion per datagram */
    n = sendto (g_socket_get_fd (pair->base->socket), buf, len, MSG_DONTWAIT,
        (struct sockaddr *) &pair->remote_native, pair->remote_native_len);
  }
  g_mutex_unlock (&agent->lock);
  if (direct)
    return n < 0 ? -1 : (gint) len;
  if (pair == NULL)
    return -1;
  return send_slow (agent, stream_id, component_id, buf, len) ? (gint) len : -1;
}

/* UDP segmentation offload: one buffer of same-sized datagrams to one peer
 * goes down the stack once and is cut into datagrams at the last moment
 * (or not at all, up to a receiver with UDP_GRO). */
#define GSO_MAX_SEGMENTS 64
#define GSO_MAX_BYTES 65000     /* with headers, within one IPv4 or IPv6 datagram */
#define BATCH_HEADERS 64
#define BATCH_VECTORS 256       /* buffers copied for segmented runs */

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103 /* Linux 4.18 */
#endif

typedef struct {
  struct mmsghdr msgs[BATCH_HEADERS];
  guint count[BATCH_HEADERS];   /* messages in each header */
  union {
    struct cmsghdr align;
    guint8 space[CMSG_SPACE (sizeof (guint16))];
  } control[BATCH_HEADERS];
  struct iovec iov[BATCH_VECTORS];
} SendBatch;

static gsize
message_size (const BurrowOutputMessage *m, gint *n_buffers)
{
  gsize total = 0;
  gint k;

  for (k = 0; m->n_buffers < 0 ? m->buffers[k].buffer != NULL : k < m->n_buffers; k++)
    total += m->buffers[k].size;
  *n_buffers = k;
  return total;
}

/* Fills @b with headers for @messages: runs of same-sized datagrams (the
 * last of a run may be shorter) become one segmented header when @gso,
 * the rest one header each, pointing at the caller's vectors. Returns how
 * many headers. */
static guint
fill_batch (SendBatch *b, BurrowAgentPair *pair, const BurrowOutputMessage *messages, guint n,
    gboolean gso)
{
  guint h = 0, i = 0, vectors = 0;

  memset (b->msgs, 0, sizeof b->msgs);
  while (i < n && h < BATCH_HEADERS) {
    struct msghdr *hdr = &b->msgs[h].msg_hdr;
    gint k;
    gsize segment = message_size (&messages[i], &k);
    guint run = 1, run_vectors = (guint) k;
    gsize total = segment;

    hdr->msg_name = &pair->remote_native;
    hdr->msg_namelen = pair->remote_native_len;
    /* how many of the following messages join this one's run */
    while (gso && segment > 0 && i + run < n && run < GSO_MAX_SEGMENTS) {
      gint nk;
      gsize size = message_size (&messages[i + run], &nk);

      if (size == 0 || size > segment || total + size > GSO_MAX_BYTES ||
          vectors + run_vectors + (guint) nk > BATCH_VECTORS)
        break;
      run++;
      run_vectors += (guint) nk;
      total += size;
      if (size < segment)
        break;                  /* a shorter one ends the run */
    }
    if (run == 1) {
      /* GOutputVector has the layout of struct iovec */
      hdr->msg_iov = (struct iovec *) messages[i].buffers;
      hdr->msg_iovlen = (gsize) k;
    } else {
      struct cmsghdr *cmsg;
      guint16 size = (guint16) segment;
      guint m;

      hdr->msg_iov = &b->iov[vectors];
      for (m = i; m < i + run; m++) {
        gint nk, j;

        message_size (&messages[m], &nk);
        for (j = 0; j < nk; j++) {
          b->iov[vectors].iov_base = (gpointer) messages[m].buffers[j].buffer;
          b->iov[vectors++].iov_len = messages[m].buffers[j].size;
        }
      }
      hdr->msg_iovlen = run_vectors;
      hdr->msg_control = b->control[h].space;
      hdr->msg_controllen = sizeof b->control[h].space;
      cmsg = CMSG_FIRSTHDR (hdr);
      cmsg->cmsg_level = SOL_UDP;
      cmsg->cmsg_type = UDP_SEGMENT;
      cmsg->cmsg_len = CMSG_LEN (sizeof size);
      memcpy (CMSG_DATA (cmsg), &size, sizeof size);
    }
    b->count[h++] = run;
    i += run;
  }
  return h;
}

/* Up to 64 headers in one sendmmsg(). Returns how many datagrams went, or
 * -1. */
static gint
send_batch (BurrowAgentPair *pair, const BurrowOutputMessage *messages, guint n, GError **error)
{
  SendBatch b;
  gboolean gso = !pair->base->no_gso;
  guint headers, i;
  gint sent, errsv, done = 0;

  for (;;) {
    headers = fill_batch (&b, pair, messages, n, gso);
    sent = sendmmsg (g_socket_get_fd (pair->base->socket), b.msgs, headers, MSG_DONTWAIT);
    if (sent >= 0)
      break;
    errsv = errno;
    /* the route cannot segment (EIO: no checksum offload; EINVAL: a
     * segment over the path MTU, which plain sends fragment) */
    if (gso && b.count[0] > 1 && (errsv == EIO || errsv == EINVAL || errsv == ENOPROTOOPT ||
            errsv == EOPNOTSUPP)) {
      if (errsv != EINVAL)
        pair->base->no_gso = TRUE;
      gso = FALSE;
      continue;
    }
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), "Could not send: %s",
        g_strerror (errsv));
    return -1;
  }
  for (i = 0; i < (guint) sent; i++)
    done += (gint) b.count[i];
  return done;
}

/* Gathers a message's buffers into @buffer (for the relay, which sends
 * one contiguous payload). Returns the length, or -1 if it does not fit. */
static gssize
flatten (const BurrowOutputMessage *m, guint8 *buffer, gsize size)
{
  gsize total = 0;
  gint i;

  for (i = 0; i < m->n_buffers || (m->n_buffers < 0 && m->buffers[i].buffer); i++) {
    if (m->buffers[i].size > size - total)
      return -1;
    memcpy (buffer + total, m->buffers[i].buffer, m->buffers[i].size);
    total += m->buffers[i].size;
  }
  return (gssize) total;
}

/**
 * burrow_agent_send_messages_nonblocking:
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 * @messages: (array length=n_messages): the datagrams
 * @n_messages: how many
 * @cancellable: (nullable): a cancellable
 * @error: return location for an error
 *
 * Sends several datagrams without blocking, each gathered from its
 * buffers without a copy.
 *
 * Returns: how many were sent, or -1 with @error set if none could be
 *   (%G_IO_ERROR_WOULD_BLOCK when the socket is full, %G_IO_ERROR_BROKEN_PIPE
 *   when there is no selected pair)
 *
 * Since: 0.1
 */
gint
burrow_agent_send_messages_nonblocking (BurrowAgent *agent, guint stream_id,
    guint component_id, const BurrowOutputMessage *messages, guint n_messages,
    GCancellable *cancellable, GError **error)
{
  BurrowAgentPair *pair;
  g_autofree guint8 *buffer = NULL;
  guint i, done = 0;
  gboolean direct;

  g_return_val_if_fail (BURROW_IS_AGENT (agent), -1);
  g_return_val_if_fail (messages != NULL || n_messages == 0, -1);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return -1;
  g_mutex_lock (&agent->lock);
  pair = selected_pair (agent, stream_id, component_id);
  if (pair && pair->base->tcp) {
    gint sent = burrow_agent_tcp_send_messages (pair->base, messages, n_messages, error);

    g_mutex_unlock (&agent->lock);
    return sent;
  }
  direct = pair && pair->base->socket && pair->remote_native_len > 0;
  /* batched: one system call for many datagrams */
  while (direct && done < n_messages) {
    gint sent = send_batch (pair, messages + done, n_messages - done, done == 0 ? error : NULL);

    if (sent <= 0)
      break;
    done += (guint) sent;
  }
  g_mutex_unlock (&agent->lock);
  if (direct)
    return done > 0 || n_messages == 0 ? (gint) done : -1;
  if (pair == NULL) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE,
        "The component has no selected pair");
    return -1;
  }
  buffer = g_malloc (MAX_DATAGRAM);
  for (i = 0; i < n_messages; i++) {
    gssize len = flatten (&messages[i], buffer, MAX_DATAGRAM);

    if (len < 0 || !send_slow (agent, stream_id, component_id, buffer, (gsize) len)) {
      if (i > 0)
        return (gint) i;
      if (len < 0)
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
            "The message is larger than a datagram");
      else
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Could not send");
      return -1;
    }
  }
  return (gint) n_messages;
}

/**
 * burrow_agent_send_datagrams:
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 * @datagrams: (array length=n_datagrams): the datagrams, one #GBytes each
 * @n_datagrams: how many
 * @error: return location for an error
 *
 * Sends several datagrams at once, as
 * [method@Burrow.Agent.send_messages_nonblocking] does (batched system
 * calls, UDP segmentation offload for runs of same-sized datagrams), for
 * callers that hold their data as #GBytes: from Python a list of
 * `GLib.Bytes`, from GJS an array of `GLib.Bytes`. Not in libnice. Like
 * [method@Burrow.Agent.send], it may be called from any thread.
 *
 * Returns: how many were sent (fewer when the socket filled up), or -1
 *   with @error set if none could be (%G_IO_ERROR_WOULD_BLOCK,
 *   %G_IO_ERROR_BROKEN_PIPE when there is no selected pair)
 *
 * Since: 0.1
 */
gint
burrow_agent_send_datagrams (BurrowAgent *agent, guint stream_id, guint component_id,
    GBytes **datagrams, guint n_datagrams, GError **error)
{
  GOutputVector vectors[64];
  BurrowOutputMessage messages[64];
  guint done = 0;

  g_return_val_if_fail (BURROW_IS_AGENT (agent), -1);
  g_return_val_if_fail (datagrams != NULL || n_datagrams == 0, -1);
  while (done < n_datagrams) {
    guint n = MIN (n_datagrams - done, G_N_ELEMENTS (messages)), i;
    gint sent;

    for (i = 0; i < n; i++) {
      gsize size;

      g_return_val_if_fail (datagrams[done + i] != NULL, -1);
      vectors[i].buffer = g_bytes_get_data (datagrams[done + i], &size);
      vectors[i].size = size;
      messages[i].buffers = &vectors[i];
      messages[i].n_buffers = 1;
    }
    sent = burrow_agent_send_messages_nonblocking (agent, stream_id, component_id, messages, n,
        NULL, done == 0 ? error : NULL);
    if (sent <= 0)
      return done > 0 ? (gint) done : -1;
    done += (guint) sent;
    if ((guint) sent < n)
      break;
  }
  return (gint) done;
}

static void
fill_message (BurrowInputMessage *m, BurrowAgentQueued *queued)
{
  gsize len, off = 0;
  const guint8 *bytes = g_bytes_get_data (queued->data, &len);
  gint i;

  if (m->from)
    *m->from = queued->from ? g_object_ref (queued->from) : NULL;

  for (i = 0; (m->n_buffers < 0 ? m->buffers[i].buffer != NULL : i < m->n_buffers) &&
       off < len; i++) {
    gsize n = MIN (m->buffers[i].size, len - off);

    memcpy (m->buffers[i].buffer, bytes + off, n);
    off += n;
  }
  m->length = off;
}

static gboolean
wake_cb (gpointer user_data)
{
  return G_SOURCE_REMOVE;
}

static gboolean
cancelled_wake_cb (GCancellable *cancellable, gpointer user_data)
{
  return G_SOURCE_REMOVE;
}

/* For receivers, which may block in another thread while the stream goes */
static BurrowAgentComponent *
ref_component (BurrowAgent *agent, guint stream_id, guint component_id)
{
  BurrowAgentComponent *c;

  g_mutex_lock (&agent->lock);
  c = burrow_agent_find_component (agent, stream_id, component_id);
  if (c)
    burrow_agent_component_ref (c);
  g_mutex_unlock (&agent->lock);
  return c;
}

/* Waits for a queued datagram: iterates the agent's context when this
 * thread can own it, else waits for the thread that runs it. */
static BurrowAgentQueued *
wait_datagram (BurrowAgent *agent, BurrowAgentComponent *c, GCancellable *cancellable)
{
  BurrowAgentQueued *data = NULL;

  /* the caller holds @c; what the iteration runs may remove its stream
   * (closing @c) or drop the agent's last reference */
  g_object_ref (agent);
  while (!g_cancellable_is_cancelled (cancellable)) {
    gboolean acquired = FALSE, closed;

    g_mutex_lock (&c->recv_lock);
    data = g_queue_pop_head (&c->recv_queue);
    if (data == NULL && !c->recv_closed && !g_main_context_is_owner (agent->context)) {
      /* another thread never runs the agent's context: the context's own
       * thread may be calling the API (remove_stream...) right now */
      acquired = g_thread_self () == g_atomic_pointer_get (&agent->context_thread) &&
          g_main_context_acquire (agent->context);
      if (!acquired) {
        g_cond_wait_until (&c->recv_cond, &c->recv_lock, g_get_monotonic_time () + 50000);
        g_mutex_unlock (&c->recv_lock);
        continue;
      }
    }
    closed = c->recv_closed;
    g_mutex_unlock (&c->recv_lock);
    if (data || closed) {
      if (acquired)
        g_main_context_release (agent->context);
      break;
    }
    {
      /* wakes the iteration for a cancellation at once, and now and then
       * for data queued by another thread */
      GSource *wake = g_timeout_source_new (100);
      GSource *cancel = cancellable ? g_cancellable_source_new (cancellable) : NULL;

      g_source_set_callback (wake, wake_cb, NULL, NULL);
      g_source_attach (wake, agent->context);
      if (cancel) {
        g_source_set_callback (cancel, G_SOURCE_FUNC (cancelled_wake_cb), NULL, NULL);
        g_source_attach (cancel, agent->context);
      }
      g_main_context_iteration (agent->context, TRUE);
      g_source_destroy (wake);
      g_source_unref (wake);
      if (cancel) {
        g_source_destroy (cancel);
        g_source_unref (cancel);
      }
      /* only what this call acquired: a caller inside a dispatch of the
       * context owns it already */
      if (acquired)
        g_main_context_release (agent->context);
    }
  }
  g_object_unref (agent);
  return data;
}

/**
 * burrow_agent_recv_messages:
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 * @messages: (array length=n_messages): where to put datagrams
 * @n_messages: how many at most
 * @cancellable: (nullable): cancels the wait
 * @error: return location for an error
 *
 * Receives datagrams, blocking until at least one arrives, as
 * `nice_agent_recv_messages()` does. Not for components with a callback
 * from [method@Burrow.Agent.attach_recv].
 *
 * Returns: how many datagrams were received, or -1 with @error set
 *
 * Since: 0.1
 */
gint
burrow_agent_recv_messages (BurrowAgent *agent, guint stream_id, guint component_id,
    BurrowInputMessage *messages, guint n_messages, GCancellable *cancellable, GError **error)
{
  g_autoptr(BurrowAgentComponent) c = NULL;
  BurrowAgentQueued *data;
  guint n = 0;

  g_return_val_if_fail (BURROW_IS_AGENT (agent), -1);
  g_return_val_if_fail (messages != NULL || n_messages == 0, -1);
  c = ref_component (agent, stream_id, component_id);
  if (c == NULL) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE, "No such component");
    return -1;
  }
  if (n_messages == 0)
    return 0;
  data = wait_datagram (agent, c, cancellable);
  if (data == NULL) {
    if (!g_cancellable_set_error_if_cancelled (cancellable, error))
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED, "The component is closed");
    return -1;
  }
  do {
    fill_message (&messages[n++], data);
    burrow_agent_queued_free (data);
    g_mutex_lock (&c->recv_lock);
    data = n < n_messages ? g_queue_pop_head (&c->recv_queue) : NULL;
    g_mutex_unlock (&c->recv_lock);
  } while (data);
  return (gint) n;
}

/**
 * burrow_agent_recv:
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 * @cancellable: (nullable): cancels the wait
 * @error: return location for an error
 *
 * Receives one datagram as bytes, blocking until it arrives: the
 * binding-friendly form of [method@Burrow.Agent.recv_messages].
 *
 * Returns: (transfer full): the datagram, or %NULL with @error set
 *
 * Since: 0.1
 */
GBytes *
burrow_agent_recv (BurrowAgent *agent, guint stream_id, guint component_id,
    GCancellable *cancellable, GError **error)
{
  g_autoptr(BurrowAgentComponent) c = NULL;
  BurrowAgentQueued *queued;
  GBytes *data = NULL;

  g_return_val_if_fail (BURROW_IS_AGENT (agent), NULL);
  c = ref_component (agent, stream_id, component_id);
  if (c == NULL) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE, "No such component");
    return NULL;
  }
  queued = wait_datagram (agent, c, cancellable);
  if (queued) {
    data = g_steal_pointer (&queued->data);
    g_clear_object (&queued->from);
    g_free (queued);
  } else if (!g_cancellable_set_error_if_cancelled (cancellable, error)) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED, "The component is closed");
  }
  return data;
}
