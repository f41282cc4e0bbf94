/* burrow-stun-endpoint.c: a socket with STUN client transactions
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * An endpoint owns one datagram socket and a receive source on one
 * GMainContext. Requests sent through it are retransmitted as RFC 8489
 * section 6.2.1 says and matched to their response by transaction id and
 * source address; everything else that arrives is handed to a handler or
 * dropped and counted.
 *
 * An endpoint can own a connected stream (TCP, or TLS over TCP) instead:
 * frames are cut out of the stream by burrow-stun-stream.c and handled as
 * datagrams from the stream's remote address; requests are sent once and
 * wait the whole time the UDP schedule would (RFC 8489 6.2.2). When the
 * stream ends or fails, the endpoint closes and emits "closed".
 */
#include "config.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "burrow-stun"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "burrow-error.h"
#include "burrow-stun-endpoint.h"
#include "burrow-stun-stream-private.h"

/* Big enough for any UDP datagram; reused for every read. */
#define RECV_BUFFER_SIZE 65536
/* Datagrams read in one dispatch before yielding to other sources. */
#define RECV_BATCH 64

typedef struct {
  BurrowStunEndpoint *self;       /* unowned */
  GTask *task;
  guint8 tid[BURROW_STUN_TRANSACTION_ID_SIZE];
  guint16 method;
  GSocketAddress *to;
  GBytes *wire;
  GBytes *key;
  BurrowStunRetransmit rt;
  BurrowStunRequestFlags flags;
  guint sent;
  guint current_rto;
  GSource *timer;
  gulong cancel_id;
} Transaction;

enum {
  SIGNAL_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

struct _BurrowStunEndpoint {
  GObject parent_instance;

  GSocket *socket;                /* UDP, or NULL */
  BurrowStunStream *stream;       /* TCP or TLS, or NULL */
  GSocketAddress *remote;         /* of the stream */
  GMainContext *context;
  GSource *recv_source;
  guint8 *buffer;
  GHashTable *transactions; /* tid (12 bytes, in Transaction) -> Transaction */

  BurrowStunEndpointHandler handler;
  gpointer handler_data;

  /* the last destination, converted (held, so the pointer stays unique) */
  GSocketAddress *native_to;
  struct sockaddr_storage native;
  socklen_t native_to_len;

  guint64 dropped;
  guint retransmissions;
  gboolean closed;
};

G_DEFINE_FINAL_TYPE (BurrowStunEndpoint, burrow_stun_endpoint, G_TYPE_OBJECT)

static guint
tid_hash (gconstpointer key)
{
  const guint8 *p = key;
  guint h;

  /* Transaction ids are random; any 4 bytes of them hash well. */
  memcpy (&h, p + 4, sizeof h);
  return h;
}

static gboolean
tid_equal (gconstpointer a, gconstpointer b)
{
  return memcmp (a, b, BURROW_STUN_TRANSACTION_ID_SIZE) == 0;
}

gboolean
burrow_socket_address_equal (GSocketAddress *a, GSocketAddress *b)
{
  GInetSocketAddress *ia, *ib;

  if (a == b)
    return TRUE;
  if (!G_IS_INET_SOCKET_ADDRESS (a) || !G_IS_INET_SOCKET_ADDRESS (b))
    return FALSE;
  ia = G_INET_SOCKET_ADDRESS (a);
  ib = G_INET_SOCKET_ADDRESS (b);
  return g_inet_socket_address_get_port (ia) == g_inet_socket_address_get_port (ib) &&
      g_inet_address_equal (g_inet_socket_address_get_address (ia),
                            g_inet_socket_address_get_address (ib));
}

gchar *
burrow_socket_address_to_string (GSocketAddress *address)
{
  GInetSocketAddress *isa;
  g_autofree gchar *ip = NULL;

  if (address == NULL || !G_IS_INET_SOCKET_ADDRESS (address))
    return g_strdup ("(none)");
  isa = G_INET_SOCKET_ADDRESS (address);
  ip = g_inet_address_to_string (g_inet_socket_address_get_address (isa));
  if (g_inet_address_get_family (g_inet_socket_address_get_address (isa)) == G_SOCKET_FAMILY_IPV6)
    return g_strdup_printf ("[%s]:%u", ip, g_inet_socket_address_get_port (isa));
  return g_strdup_printf ("%s:%u", ip, g_inet_socket_address_get_port (isa));
}

static void
transaction_free (Transaction *t)
{
  if (t->timer) {
    g_source_destroy (t->timer);
    g_source_unref (t->timer);
  }
  g_clear_object (&t->to);
  g_clear_pointer (&t->wire, g_bytes_unref);
  g_clear_pointer (&t->key, g_bytes_unref);
  g_clear_object (&t->task);
  g_free (t);
}

/* Removes @t from the table and disconnects it, so that the task can
 * complete exactly once. Returns the task (owned by the caller). */
static GTask *
transaction_detach (Transaction *t)
{
  BurrowStunEndpoint *self = t->self;
  GCancellable *cancellable = g_task_get_cancellable (t->task);
  GTask *task;

  /* Disconnect first: g_cancellable_disconnect() waits for a handler
   * running in another thread, which still reads t->task. */
  if (t->cancel_id && cancellable)
    g_cancellable_disconnect (cancellable, t->cancel_id);
  t->cancel_id = 0;
  task = g_steal_pointer (&t->task);
  g_hash_table_remove (self->transactions, t->tid);
  return task;
}

static void
transaction_fail (Transaction *t, GError *error)
{
  g_autoptr(GTask) task = transaction_detach (t);

  g_task_return_error (task, error);
}

/* The outcome of a send that failed with @local_error (taken). */
static gboolean
send_failed (BurrowStunEndpoint *self, GSocketAddress *to, GError *local_error, GError **error)
{
  g_autofree gchar *dest = NULL;

  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
    /* UDP: a full send buffer is like a lost packet, which retransmission
     * covers. A stream's full send queue is the caller's to handle. */
    if (self->stream == NULL) {
      g_error_free (local_error);
      return TRUE;
    }
    g_propagate_error (error, local_error);
    return FALSE;
  }
  dest = burrow_socket_address_to_string (self->stream ? self->remote : to);
  g_set_error (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_NETWORK,
      "Could not send to %s: %s", dest, local_error->message);
  g_error_free (local_error);
  return FALSE;
}

/* One datagram, or one frame on the stream (where @to is ignored). */
static gboolean
send_frame (BurrowStunEndpoint *self, GSocketAddress *to, GOutputVector *vectors,
    guint n_vectors, GError **error)
{
  GError *local_error = NULL;

  if (self->stream != NULL) {
    if (!burrow_stun_stream_send (self->stream, vectors, n_vectors, &local_error))
      return send_failed (self, to, local_error, error);
    return TRUE;
  }
  if (to != NULL && to != self->native_to) {
    /* the data path sends to the same server again and again: convert its
     * address once */
    self->native_to_len = 0;
    g_clear_object (&self->native_to);
    if (g_socket_address_to_native (to, &self->native, sizeof self->native, NULL)) {
      self->native_to = g_object_ref (to);
      self->native_to_len = (socklen_t) g_socket_address_get_native_size (to);
    }
  }
  if (to != NULL && to == self->native_to && n_vectors <= 8) {
    struct msghdr msg = { 0 };
    struct iovec iov[8];
    guint i;

    for (i = 0; i < n_vectors; i++) {
      iov[i].iov_base = (gpointer) vectors[i].buffer;
      iov[i].iov_len = vectors[i].size;
    }
    msg.msg_name = &self->native;
    msg.msg_namelen = self->native_to_len;
    msg.msg_iov = iov;
    msg.msg_iovlen = n_vectors;
    if (sendmsg (g_socket_get_fd (self->socket), &msg, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
      return TRUE;
    {
      int errsv = errno;

      local_error = g_error_new (G_IO_ERROR, g_io_error_from_errno (errsv),
          "Error sending message: %s", g_strerror (errsv));
    }
    return send_failed (self, to, local_error, error);
  }
  if (g_socket_send_message (self->socket, to, vectors, (gint) n_vectors, NULL, 0, 0, NULL,
      &local_error) < 0)
    return send_failed (self, to, local_error, error);
  return TRUE;
}

static gboolean
send_wire (BurrowStunEndpoint *self, GSocketAddress *to, GBytes *wire, GError **error)
{
  GOutputVector vector;
  gsize len;

  vector.buffer = g_bytes_get_data (wire, &len);
  vector.size = len;
  return send_frame (self, to, &vector, 1, error);
}

static gboolean transaction_timeout_cb (gpointer user_data);

/* The schedule, capped so that no value the properties allow overflows. */
#define MAX_WAIT_MS ((guint64) G_MAXINT / 2)

static guint
next_rto (guint rto)
{
  return (guint) MIN ((guint64) rto * 2, MAX_WAIT_MS);
}

static guint
last_wait (const BurrowStunRetransmit *rt)
{
  return (guint) MIN ((guint64) MAX (rt->rto_ms, 1) * MAX (rt->last_wait_factor, 1), MAX_WAIT_MS);
}

/* How long a transaction with @rt waits in all before it times out
 * (RFC 8489 6.2.1: RTO doubling between the Rc requests, then Rm * RTO). */
guint64
burrow_stun_retransmit_total_ms (const BurrowStunRetransmit *rt)
{
  guint64 total = 0;
  guint rto = MAX (rt->rto_ms, 1);
  guint i;

  for (i = 1; i < MAX (rt->max_requests, 1); i++) {
    total += rto;
    rto = next_rto (rto);
  }
  return total + last_wait (rt);
}

static void
transaction_arm_timer (Transaction *t, guint ms)
{
  if (t->timer) {
    g_source_destroy (t->timer);
    g_source_unref (t->timer);
  }
  t->timer = g_timeout_source_new (ms);
  g_source_set_static_name (t->timer, "[burrow] STUN retransmission");
  g_source_set_callback (t->timer, transaction_timeout_cb, t, NULL);
  g_source_attach (t->timer, t->self->context);
}

/* How long to wait after the first request. */
static guint
first_wait (Transaction *t)
{
  /* A stream is reliable: one request, and the whole schedule's time for
   * the answer (RFC 8489 6.2.2: Ti, 39.5 s with the defaults). */
  if (t->self->stream != NULL)
    return (guint) MIN (burrow_stun_retransmit_total_ms (&t->rt), MAX_WAIT_MS);
  return t->sent >= t->rt.max_requests ? last_wait (&t->rt) : t->current_rto;
}

static gboolean
transaction_timeout_cb (gpointer user_data)
{
  Transaction *t = user_data;
  GError *error = NULL;

  if (t->self->stream != NULL) {
    g_autofree gchar *dest = burrow_socket_address_to_string (t->self->remote);

    g_debug ("transaction to %s timed out on the stream", dest);
    transaction_fail (t, g_error_new (BURROW_STUN_ERROR, BURROW_STUN_ERROR_TIMEOUT,
        "No response from %s within %u ms", dest, first_wait (t)));
    return G_SOURCE_REMOVE;
  }
  if (t->sent >= t->rt.max_requests) {
    g_autofree gchar *dest = burrow_socket_address_to_string (t->to);

    g_debug ("transaction to %s timed out after %u requests", dest, t->sent);
    transaction_fail (t, g_error_new (BURROW_STUN_ERROR, BURROW_STUN_ERROR_TIMEOUT,
        "No response from %s after %u requests", dest, t->sent));
    return G_SOURCE_REMOVE;
  }

  if (!send_wire (t->self, t->to, t->wire, &error)) {
    transaction_fail (t, error);
    return G_SOURCE_REMOVE;
  }
  t->sent++;
  t->self->retransmissions++;
  t->current_rto = next_rto (t->current_rto);
  /* After the last request, wait Rm times the initial RTO (RFC 8489 6.2.1). */
  transaction_arm_timer (t, t->sent >= t->rt.max_requests ?
      last_wait (&t->rt) : t->current_rto);
  return G_SOURCE_REMOVE;
}

static gboolean
cancel_idle_cb (gpointer user_data)
{
  BurrowStunEndpoint *self = g_task_get_source_object (user_data);
  const guint8 *tid = g_task_get_task_data (user_data);
  Transaction *t = g_hash_table_lookup (self->transactions, tid);

  if (t != NULL && t->task == user_data)
    transaction_fail (t, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
        "Operation was cancelled"));
  return G_SOURCE_REMOVE;
}

static void
transaction_cancelled_cb (GCancellable *cancellable, gpointer user_data)
{
  Transaction *t = user_data;
  GSource *idle;

  /* May run in any thread: finish the transaction on the endpoint's
   * context. The task keeps the endpoint alive meanwhile. */
  idle = g_idle_source_new ();
  g_source_set_static_name (idle, "[burrow] STUN cancel");
  g_source_set_callback (idle, cancel_idle_cb, g_object_ref (t->task), g_object_unref);
  g_source_attach (idle, t->self->context);
  g_source_unref (idle);
}

/* Whether @response may complete @t; a forged or unauthenticated answer
 * changes nothing and is counted as dropped. */
static gboolean
response_acceptable (Transaction *t, BurrowStunMessage *response)
{
  gsize key_len;
  const guint8 *key;
  guint code = 0;

  if (burrow_stun_message_has_attribute (response, BURROW_STUN_ATTRIBUTE_FINGERPRINT) &&
      !burrow_stun_message_check_fingerprint (response))
    return FALSE;
  if (t->key == NULL)
    return TRUE;

  key = g_bytes_get_data (t->key, &key_len);
  if (burrow_stun_message_has_integrity (response))
    return burrow_stun_message_check_integrity (response, key, key_len);

  /* RFC 8489 9.2.5 and 9.1.4: only 401 and 438 may come without integrity
   * (the server could not compute it); a 400 or 420 without it is
   * discarded as if it had never arrived. */
  if (burrow_stun_message_get_message_class (response) != BURROW_STUN_CLASS_ERROR_RESPONSE)
    return FALSE;
  if (!burrow_stun_message_get_error_code (response, &code, NULL))
    return FALSE;
  return code == 401 || code == 438;
}

static void
handle_datagram (BurrowStunEndpoint *self, const guint8 *data, gsize len, GSocketAddress *from)
{
  g_autoptr(BurrowStunMessage) msg = NULL;
  g_autoptr(GError) error = NULL;
  gboolean is_stun = burrow_stun_message_is_stun (data, len);
  Transaction *t = NULL;
  BurrowStunClass klass;

  if (is_stun)
    t = g_hash_table_lookup (self->transactions, data + 8);

  if (t == NULL) {
    if (self->handler) {
      msg = is_stun ? burrow_stun_message_new_from_data (data, len, NULL) : NULL;
      self->handler (data, len, msg, from, self->handler_data);
    } else {
      g_debug ("dropping %" G_GSIZE_FORMAT " bytes that answer no transaction", len);
      self->dropped++;
    }
    return;
  }

  msg = burrow_stun_message_new_from_data (data, len, &error);
  if (msg == NULL) {
    g_debug ("dropping malformed response: %s", error->message);
    self->dropped++;
    return;
  }
  klass = burrow_stun_message_get_message_class (msg);
  if (klass != BURROW_STUN_CLASS_SUCCESS_RESPONSE && klass != BURROW_STUN_CLASS_ERROR_RESPONSE) {
    /* e.g. our own request looped back (hairpinning) */
    if (self->handler)
      self->handler (data, len, msg, from, self->handler_data);
    else
      self->dropped++;
    return;
  }
  if (self->stream == NULL && !(t->flags & BURROW_STUN_REQUEST_ANY_SOURCE) &&
      !burrow_socket_address_equal (from, t->to)) {
    g_debug ("dropping response from an unexpected source");
    self->dropped++;
    return;
  }
  if (burrow_stun_message_get_method (msg) != t->method) {
    g_debug ("dropping response whose method does not match the request");
    self->dropped++;
    return;
  }
  if (!response_acceptable (t, msg)) {
    g_debug ("dropping response that fails integrity or fingerprint");
    self->dropped++;
    return;
  }

  {
    g_autoptr(GTask) task = transaction_detach (t);

    g_object_set_data_full (G_OBJECT (task), "burrow-from", g_object_ref (from), g_object_unref);
    g_task_return_pointer (task, g_steal_pointer (&msg),
        (GDestroyNotify) burrow_stun_message_unref);
  }
}

static gboolean
socket_readable_cb (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  BurrowStunEndpoint *self = user_data;
  guint i;

  g_object_ref (self);
  for (i = 0; i < RECV_BATCH && !self->closed; i++) {
    GSocketAddress *from = NULL;
    g_autoptr(GError) error = NULL;
    gssize n;

    n = g_socket_receive_from (socket, &from, (gchar *) self->buffer, RECV_BUFFER_SIZE,
        NULL, &error);
    if (n < 0) {
      /* ICMP errors surface as read errors on some systems; they are not
       * fatal for a datagram socket. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        g_debug ("receive failed: %s", error->message);
      break;
    }
    if (from != NULL)
      handle_datagram (self, self->buffer, (gsize) n, from);
    g_clear_object (&from);
  }
  g_object_unref (self);
  return G_SOURCE_CONTINUE;
}

BurrowStunEndpoint *
burrow_stun_endpoint_new (GSocket *socket, GMainContext *context)
{
  BurrowStunEndpoint *self = g_object_new (BURROW_TYPE_STUN_ENDPOINT, NULL);

  self->socket = g_object_ref (socket);
  self->context = context ? g_main_context_ref (context) : g_main_context_ref_thread_default ();
  self->buffer = g_malloc (RECV_BUFFER_SIZE);
  g_socket_set_blocking (socket, FALSE);
  self->recv_source = g_socket_create_source (socket, G_IO_IN, NULL);
  g_source_set_static_name (self->recv_source, "[burrow] STUN endpoint");
  g_source_set_callback (self->recv_source, G_SOURCE_FUNC (socket_readable_cb), self, NULL);
  g_source_attach (self->recv_source, self->context);
  return self;
}

static void
stream_frame_cb (const guint8 *frame, gsize len, gpointer owner)
{
  BurrowStunEndpoint *self = owner;

  handle_datagram (self, frame, len, self->remote);
}

static void fail_pending (BurrowStunEndpoint *self, GQuark domain, gint code,
    const gchar *message);

/* The stream ended or failed: close, fail what waits, tell the owner. */
static void
stream_failed_cb (const GError *error, gpointer owner)
{
  BurrowStunEndpoint *self = owner;
  g_autofree gchar *remote = NULL;
  g_autoptr(GError) why = NULL;

  if (self->closed)
    return;
  self->closed = TRUE;
  remote = burrow_socket_address_to_string (self->remote);
  why = g_error_new (error->domain, error->code, "The connection to %s closed: %s", remote,
      error->message);
  g_debug ("%s", why->message);
  fail_pending (self, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, why->message);
  burrow_stun_stream_close (self->stream);
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0, why);
}

BurrowStunEndpoint *
burrow_stun_endpoint_new_stream (GIOStream *stream, GSocketAddress *remote,
    GMainContext *context)
{
  BurrowStunEndpoint *self;
  GInputStream *in;
  GOutputStream *out;

  g_return_val_if_fail (G_IS_IO_STREAM (stream), NULL);
  g_return_val_if_fail (G_IS_SOCKET_ADDRESS (remote), NULL);
  in = g_io_stream_get_input_stream (stream);
  out = g_io_stream_get_output_stream (stream);
  g_return_val_if_fail (G_IS_POLLABLE_INPUT_STREAM (in) &&
      g_pollable_input_stream_can_poll (G_POLLABLE_INPUT_STREAM (in)), NULL);
  g_return_val_if_fail (G_IS_POLLABLE_OUTPUT_STREAM (out) &&
      g_pollable_output_stream_can_poll (G_POLLABLE_OUTPUT_STREAM (out)), NULL);

  self = g_object_new (BURROW_TYPE_STUN_ENDPOINT, NULL);
  self->remote = g_object_ref (remote);
  self->context = context ? g_main_context_ref (context) : g_main_context_ref_thread_default ();
  self->stream = burrow_stun_stream_new (stream, remote, self->context, G_OBJECT (self),
      stream_frame_cb, stream_failed_cb);
  return self;
}

gboolean
burrow_stun_endpoint_is_stream (BurrowStunEndpoint *self)
{
  return self->stream != NULL;
}

GSocket *
burrow_stun_endpoint_get_socket (BurrowStunEndpoint *self)
{
  GIOStream *io;

  if (self->stream == NULL)
    return self->socket;
  /* Under TLS the socket carries records, not frames: no socket then. */
  io = burrow_stun_stream_get_io_stream (self->stream);
  if (!G_IS_SOCKET_CONNECTION (io))
    return NULL;
  return g_socket_connection_get_socket (G_SOCKET_CONNECTION (io));
}

GSocketAddress *
burrow_stun_endpoint_get_local_address (BurrowStunEndpoint *self)
{
  GSocketConnection *connection;

  if (self->stream == NULL)
    return g_socket_get_local_address (self->socket, NULL);
  connection = burrow_stun_stream_get_connection (self->stream);
  return connection ? g_socket_connection_get_local_address (connection, NULL) : NULL;
}

void
burrow_stun_endpoint_set_handler (BurrowStunEndpoint *self,
    BurrowStunEndpointHandler handler, gpointer user_data)
{
  self->handler = handler;
  self->handler_data = user_data;
}

/* Removes the handler only if it is still the one set with @user_data. */
void
burrow_stun_endpoint_clear_handler (BurrowStunEndpoint *self, gpointer user_data)
{
  if (self->handler_data != user_data)
    return;
  self->handler = NULL;
  self->handler_data = NULL;
}

gboolean
burrow_stun_endpoint_send (BurrowStunEndpoint *self, GSocketAddress *to, GBytes *data,
    GError **error)
{
  return send_wire (self, to, data, error);
}

gboolean
burrow_stun_endpoint_send_vectors (BurrowStunEndpoint *self, GSocketAddress *to,
    GOutputVector *vectors, guint n_vectors, GError **error)
{
  return send_frame (self, to, vectors, n_vectors, error);
}

void
burrow_stun_endpoint_request_async (BurrowStunEndpoint *self, GSocketAddress *to,
    BurrowStunMessage *request, GBytes *wire, GBytes *key,
    const BurrowStunRetransmit *retransmit, BurrowStunRequestFlags flags,
    GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  Transaction *t;
  GError *error = NULL;
  gsize tid_len;
  const guint8 *tid = burrow_stun_message_get_transaction_id (request, &tid_len);

  t = g_new0 (Transaction, 1);
  t->self = self;
  t->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (t->task, burrow_stun_endpoint_request_async);
  g_task_set_task_data (t->task, g_memdup2 (tid, BURROW_STUN_TRANSACTION_ID_SIZE), g_free);
  memcpy (t->tid, tid, BURROW_STUN_TRANSACTION_ID_SIZE);
  t->method = burrow_stun_message_get_method (request);
  t->to = g_object_ref (to != NULL ? to : self->remote);
  t->wire = g_bytes_ref (wire);
  t->key = key ? g_bytes_ref (key) : NULL;
  t->rt = *retransmit;
  t->rt.rto_ms = MAX (t->rt.rto_ms, 1);
  t->rt.max_requests = MAX (t->rt.max_requests, 1);
  t->rt.last_wait_factor = MAX (t->rt.last_wait_factor, 1);
  t->flags = flags;
  t->current_rto = t->rt.rto_ms;

  if (self->closed) {
    g_task_return_new_error (t->task, G_IO_ERROR, G_IO_ERROR_CLOSED, "The STUN socket is closed");
    transaction_free (t);
    return;
  }
  if (g_hash_table_contains (self->transactions, t->tid)) {
    g_task_return_new_error (t->task, BURROW_STUN_ERROR, BURROW_STUN_ERROR_INVALID_ARGUMENT,
        "A transaction with this id is already pending");
    transaction_free (t);
    return;
  }
  g_hash_table_insert (self->transactions, t->tid, t);

  if (!send_wire (self, to, wire, &error)) {
    transaction_fail (t, error);
    return;
  }
  t->sent = 1;
  transaction_arm_timer (t, first_wait (t));
  if (cancellable)
    t->cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (transaction_cancelled_cb), t, NULL);
}

BurrowStunMessage *
burrow_stun_endpoint_request_finish (BurrowStunEndpoint *self, GAsyncResult *result,
    GSocketAddress **from, GError **error)
{
  BurrowStunMessage *msg;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  msg = g_task_propagate_pointer (G_TASK (result), error);
  if (msg && from) {
    GSocketAddress *addr = g_object_get_data (G_OBJECT (result), "burrow-from");
    *from = addr ? g_object_ref (addr) : NULL;
  }
  return msg;
}

guint64
burrow_stun_endpoint_get_dropped (BurrowStunEndpoint *self)
{
  return self->dropped;
}

guint
burrow_stun_endpoint_get_retransmissions (BurrowStunEndpoint *self)
{
  return self->retransmissions;
}

/* Fails every pending transaction. A callback that starts a new request
 * finds the endpoint closed, so the loop ends. */
static void
fail_pending (BurrowStunEndpoint *self, GQuark domain, gint code, const gchar *message)
{
  GHashTableIter iter;
  gpointer value;

  for (;;) {
    g_hash_table_iter_init (&iter, self->transactions);
    if (!g_hash_table_iter_next (&iter, NULL, &value))
      break;
    transaction_fail (value, g_error_new_literal (domain, code, message));
  }
}

void
burrow_stun_endpoint_close (BurrowStunEndpoint *self)
{
  if (self->closed)
    return;
  self->closed = TRUE;
  /* callbacks of the failed transactions may drop the last reference */
  g_object_ref (self);
  if (self->recv_source) {
    g_source_destroy (self->recv_source);
    g_clear_pointer (&self->recv_source, g_source_unref);
  }
  fail_pending (self, G_IO_ERROR, G_IO_ERROR_CLOSED, "The STUN socket was closed");
  if (self->stream != NULL)
    burrow_stun_stream_close (self->stream);
  else
    g_socket_close (self->socket, NULL);
  g_object_unref (self);
}

static void
burrow_stun_endpoint_dispose (GObject *object)
{
  BurrowStunEndpoint *self = BURROW_STUN_ENDPOINT (object);

  burrow_stun_endpoint_close (self);
  G_OBJECT_CLASS (burrow_stun_endpoint_parent_class)->dispose (object);
}

static void
burrow_stun_endpoint_finalize (GObject *object)
{
  BurrowStunEndpoint *self = BURROW_STUN_ENDPOINT (object);

  g_hash_table_unref (self->transactions);
  g_clear_pointer (&self->stream, burrow_stun_stream_free);
  g_clear_object (&self->remote);
  g_clear_object (&self->native_to);
  g_clear_object (&self->socket);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_free (self->buffer);
  G_OBJECT_CLASS (burrow_stun_endpoint_parent_class)->finalize (object);
}

static void
burrow_stun_endpoint_class_init (BurrowStunEndpointClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = burrow_stun_endpoint_dispose;
  object_class->finalize = burrow_stun_endpoint_finalize;

  /**
   * BurrowStunEndpoint::closed:
   * @self: the endpoint
   * @error: why: the peer closed the connection, a read or write failed,
   *   or the peer broke the framing
   *
   * Emitted once, on the endpoint's context, when the stream of a stream
   * endpoint ended or failed and the endpoint closed itself; pending
   * transactions have failed with %G_IO_ERROR_CONNECTION_CLOSED by then.
   * Not emitted by [method@Burrow.StunEndpoint.close], nor for UDP.
   */
  signals[SIGNAL_CLOSED] = g_signal_new ("closed", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
burrow_stun_endpoint_init (BurrowStunEndpoint *self)
{
  self->transactions = g_hash_table_new_full (tid_hash, tid_equal, NULL,
      (GDestroyNotify) transaction_free);
}
