/* burrow-stun-stream.c: STUN and ChannelData frames over a stream
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * On TCP and TLS, STUN messages and TURN ChannelData follow each other
 * without boundaries (RFC 8489 6.2.2, RFC 8656 12.5). The reader keeps one
 * reassembly buffer that holds two of the longest frames, so one read can
 * bring several frames and the tail of a frame is always room enough for
 * the rest of it. The writer keeps one send queue, written whenever the
 * stream takes more without blocking.
 */
#include "config.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "burrow-stun"

#include <string.h>

#include "burrow-error.h"
#include "burrow-stun-endpoint.h"
#include "burrow-stun-stream-private.h"

#define STUN_HEADER_SIZE 20
#define CHANNEL_DATA_HEADER_SIZE 4
/* Two of the longest frames: after the complete frames of a read are
 * handled, the rest of an incomplete one always fits. */
#define IN_BUFFER_SIZE (2 * BURROW_STUN_STREAM_MAX_FRAME)
/* Reads in one dispatch before yielding to other sources. */
#define READ_BATCH 16
/* A send queue that grew past this is given back once it empties. */
#define OUT_SHRINK_SIZE (256 * 1024)
/* Written bytes are moved out of the queue when they are this many and
 * at least half of it. */
#define OUT_COMPACT_SIZE (64 * 1024)

struct _BurrowStunStream {
  GIOStream *io;
  GSocketConnection *connection;  /* under any TLS layer, or NULL */
  GPollableInputStream *in;       /* unowned: of io */
  GPollableOutputStream *out;     /* unowned: of io */
  GSocketAddress *remote;
  GMainContext *context;
  GObject *owner;                 /* unowned */
  BurrowStunStreamFrameFunc frame_func;
  BurrowStunStreamFailedFunc failed_func;

  GSource *read_source;
  GSource *write_source;
  GSource *fail_source;           /* reports send_error */
  GError *send_error;

  guint8 *in_buf;                 /* IN_BUFFER_SIZE */
  gsize in_len;

  GByteArray *out_queue;
  gsize out_pos;                  /* bytes of out_queue already written */
  gsize out_peak;

  gboolean stopped;               /* no more I/O nor callbacks */
  gboolean failed;
  gboolean io_closed;
};

static guint16
read16 (const guint8 *p)
{
  return (guint16) ((p[0] << 8) | p[1]);
}

static gboolean
is_channel_data_byte (guint8 b)
{
  return b >= 0x40 && b <= 0x7F;
}

BurrowStunFrameStatus
burrow_stun_stream_parse_frame (const guint8 *data, gsize avail, gsize *frame_len,
    gsize *consumed, GError **error)
{
  guint16 length;

  if (avail < 1)
    return BURROW_STUN_FRAME_INCOMPLETE;
  /* 00: STUN; 01: ChannelData (RFC 7983); anything else cannot be here. */
  if (data[0] > 0x7F) {
    g_set_error (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_MALFORMED,
        "A frame starts with byte 0x%02x, which is neither STUN nor ChannelData", data[0]);
    return BURROW_STUN_FRAME_INVALID;
  }
  if (avail < 4)
    return BURROW_STUN_FRAME_INCOMPLETE;
  length = read16 (data + 2);
  if (is_channel_data_byte (data[0])) {
    *frame_len = CHANNEL_DATA_HEADER_SIZE + (gsize) length;
    *consumed = (*frame_len + 3) & ~(gsize) 3;
  } else {
    if (length & 3) {
      g_set_error (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_MALFORMED,
          "A STUN message has length %u, which is not a multiple of four", length);
      return BURROW_STUN_FRAME_INVALID;
    }
    *frame_len = *consumed = STUN_HEADER_SIZE + (gsize) length;
  }
  return avail >= *consumed ? BURROW_STUN_FRAME_COMPLETE : BURROW_STUN_FRAME_INCOMPLETE;
}

static void
destroy_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

static void
stop (BurrowStunStream *s)
{
  s->stopped = TRUE;
  destroy_source (&s->read_source);
  destroy_source (&s->write_source);
  destroy_source (&s->fail_source);
}

/* Takes @error. The owner is referenced by the caller. */
static void
stream_fail (BurrowStunStream *s, GError *error)
{
  if (s->stopped) {
    g_error_free (error);
    return;
  }
  stop (s);
  s->failed = TRUE;
  s->failed_func (error, s->owner);
  g_error_free (error);
}

static GError *
prefixed (const gchar *what, const GError *error)
{
  return g_error_new (error->domain, error->code, "%s: %s", what, error->message);
}

/* Hands every complete frame at the head of in_buf to the owner, then
 * moves the rest of an incomplete one to the front. */
static gboolean
deliver_frames (BurrowStunStream *s)
{
  gsize off = 0, frame_len = 0, consumed = 0;
  GError *error = NULL;

  while (!s->stopped) {
    switch (burrow_stun_stream_parse_frame (s->in_buf + off, s->in_len - off, &frame_len,
        &consumed, &error)) {
      case BURROW_STUN_FRAME_INCOMPLETE:
        memmove (s->in_buf, s->in_buf + off, s->in_len - off);
        s->in_len -= off;
        return TRUE;
      case BURROW_STUN_FRAME_INVALID:
        stream_fail (s, prefixed ("Bad framing", error));
        g_error_free (error);
        return FALSE;
      case BURROW_STUN_FRAME_COMPLETE:
        s->frame_func (s->in_buf + off, frame_len, s->owner);
        off += consumed;
        break;
    }
  }
  return FALSE;
}

/* One non-blocking read; FALSE when there is nothing more to read now. */
static gboolean
read_once (BurrowStunStream *s)
{
  g_autoptr(GError) error = NULL;
  gssize n;

  n = g_pollable_input_stream_read_nonblocking (s->in, s->in_buf + s->in_len,
      IN_BUFFER_SIZE - s->in_len, NULL, &error);
  if (n < 0) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
      stream_fail (s, prefixed ("Could not read", error));
    return FALSE;
  }
  if (n == 0) {
    stream_fail (s, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, s->in_len ?
        "The peer closed it in the middle of a frame" : "The peer closed it"));
    return FALSE;
  }
  s->in_len += (gsize) n;
  return deliver_frames (s);
}

static gboolean
readable_cb (GObject *pollable, gpointer user_data)
{
  BurrowStunStream *s = user_data;
  GObject *owner = g_object_ref (s->owner);
  guint i;

  for (i = 0; i < READ_BATCH && !s->stopped; i++)
    if (!read_once (s))
      break;
  /* May finalize the owner, which frees @s. */
  g_object_unref (owner);
  return G_SOURCE_CONTINUE;
}

static gsize
queued (BurrowStunStream *s)
{
  return s->out_queue->len - s->out_pos;
}

static void
queue_consumed (BurrowStunStream *s)
{
  if (queued (s) == 0) {
    if (s->out_peak > OUT_SHRINK_SIZE) {
      g_byte_array_unref (s->out_queue);
      s->out_queue = g_byte_array_sized_new (4096);
      s->out_peak = 0;
    }
    g_byte_array_set_size (s->out_queue, 0);
    s->out_pos = 0;
  } else if (s->out_pos >= OUT_COMPACT_SIZE && s->out_pos >= s->out_queue->len / 2) {
    g_byte_array_remove_range (s->out_queue, 0, (guint) s->out_pos);
    s->out_pos = 0;
  }
}

static gboolean writable_cb (GObject *pollable, gpointer user_data);

/* Writes until the queue is empty or the stream would block; then waits
 * for the stream to take more. FALSE with @error when the write failed. */
static gboolean
flush (BurrowStunStream *s, GError **error)
{
  g_autoptr(GError) local_error = NULL;

  while (queued (s) > 0) {
    gssize n = g_pollable_output_stream_write_nonblocking (s->out,
        s->out_queue->data + s->out_pos, queued (s), NULL, &local_error);

    if (n < 0) {
      if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
        g_propagate_error (error, g_steal_pointer (&local_error));
        return FALSE;
      }
      break;
    }
    s->out_pos += (gsize) n;
  }
  queue_consumed (s);
  if (queued (s) > 0 && s->write_source == NULL) {
    s->write_source = g_pollable_output_stream_create_source (s->out, NULL);
    g_source_set_static_name (s->write_source, "[burrow] STUN stream write");
    g_source_set_callback (s->write_source, G_SOURCE_FUNC (writable_cb), s, NULL);
    g_source_attach (s->write_source, s->context);
  }
  return TRUE;
}

static gboolean
writable_cb (GObject *pollable, gpointer user_data)
{
  BurrowStunStream *s = user_data;
  GObject *owner = g_object_ref (s->owner);
  g_autoptr(GError) error = NULL;
  gboolean again = TRUE;

  if (!flush (s, &error)) {
    stream_fail (s, prefixed ("Could not send", error));
    again = FALSE;
  } else if (queued (s) == 0) {
    g_clear_pointer (&s->write_source, g_source_unref);
    again = FALSE;
  }
  g_object_unref (owner);
  return again;
}

static gboolean
fail_idle_cb (gpointer user_data)
{
  BurrowStunStream *s = user_data;
  GObject *owner = g_object_ref (s->owner);

  g_clear_pointer (&s->fail_source, g_source_unref);
  stream_fail (s, g_steal_pointer (&s->send_error));
  g_object_unref (owner);
  return G_SOURCE_REMOVE;
}

/* A write failed in a caller's send: the caller gets the error now, the
 * owner hears of it from the context, never from inside its own call. */
static void
fail_later (BurrowStunStream *s, const GError *error)
{
  s->send_error = prefixed ("Could not send", error);
  s->fail_source = g_idle_source_new ();
  g_source_set_static_name (s->fail_source, "[burrow] STUN stream failed");
  g_source_set_callback (s->fail_source, fail_idle_cb, s, NULL);
  g_source_attach (s->fail_source, s->context);
}

/* The total of @vectors, or FALSE when it does not fit in the queue. */
static gboolean
frame_size (BurrowStunStream *s, const GOutputVector *vectors, guint n_vectors,
    gsize *size, GError **error)
{
  gsize total = 0, first = 0, pad;
  guint i;

  for (i = 0; i < n_vectors; i++) {
    if (vectors[i].size > BURROW_STUN_STREAM_MAX_QUEUE - total)
      break;
    if (total == 0 && vectors[i].size > 0)
      first = *(const guint8 *) vectors[i].buffer;
    total += vectors[i].size;
  }
  pad = (total > 0 && is_channel_data_byte (first)) ? (4 - (total & 3)) & 3 : 0;
  if (i < n_vectors || total + pad > BURROW_STUN_STREAM_MAX_QUEUE - queued (s)) {
    g_autofree gchar *peer = burrow_socket_address_to_string (s->remote);

    g_debug ("send queue to %s full: %" G_GSIZE_FORMAT " bytes waiting", peer, queued (s));
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK,
        "The send queue to %s is full (%" G_GSIZE_FORMAT " bytes waiting)", peer, queued (s));
    return FALSE;
  }
  *size = total + pad;
  return TRUE;
}

gboolean
burrow_stun_stream_send (BurrowStunStream *s, const GOutputVector *vectors, guint n_vectors,
    GError **error)
{
  static const guint8 zeros[3] = { 0, 0, 0 };
  gsize size, total = 0;
  g_autoptr(GError) local_error = NULL;
  guint i;

  if (s->stopped || s->send_error != NULL) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED, "The connection is closed");
    return FALSE;
  }
  if (!frame_size (s, vectors, n_vectors, &size, error))
    return FALSE;
  for (i = 0; i < n_vectors; i++) {
    g_byte_array_append (s->out_queue, vectors[i].buffer, (guint) vectors[i].size);
    total += vectors[i].size;
  }
  g_byte_array_append (s->out_queue, zeros, (guint) (size - total));
  s->out_peak = MAX (s->out_peak, s->out_queue->len);
  if (s->write_source != NULL || flush (s, &local_error))
    return TRUE;
  fail_later (s, local_error);
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

static GSocketConnection *
find_connection (GIOStream *io)
{
  while (G_IS_TLS_CONNECTION (io)) {
    GIOStream *base = NULL;

    g_object_get (io, "base-io-stream", &base, NULL);
    if (base == NULL)
      return NULL;
    /* The TLS connection keeps its base stream. */
    g_object_unref (base);
    io = base;
  }
  return G_IS_SOCKET_CONNECTION (io) ? G_SOCKET_CONNECTION (io) : NULL;
}

BurrowStunStream *
burrow_stun_stream_new (GIOStream *io, GSocketAddress *remote, GMainContext *context,
    GObject *owner, BurrowStunStreamFrameFunc frame_func, BurrowStunStreamFailedFunc failed_func)
{
  BurrowStunStream *s = g_new0 (BurrowStunStream, 1);
  GSocketConnection *connection = find_connection (io);

  s->io = g_object_ref (io);
  s->connection = connection ? g_object_ref (connection) : NULL;
  s->in = G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (io));
  s->out = G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (io));
  s->remote = g_object_ref (remote);
  s->context = g_main_context_ref (context);
  s->owner = owner;
  s->frame_func = frame_func;
  s->failed_func = failed_func;
  s->in_buf = g_malloc (IN_BUFFER_SIZE);
  s->out_queue = g_byte_array_sized_new (4096);

  s->read_source = g_pollable_input_stream_create_source (s->in, NULL);
  g_source_set_static_name (s->read_source, "[burrow] STUN stream read");
  g_source_set_callback (s->read_source, G_SOURCE_FUNC (readable_cb), s, NULL);
  g_source_attach (s->read_source, s->context);
  return s;
}

GSocketConnection *
burrow_stun_stream_get_connection (BurrowStunStream *s)
{
  return s->connection;
}

GIOStream *
burrow_stun_stream_get_io_stream (BurrowStunStream *s)
{
  return s->io;
}

void
burrow_stun_stream_close (BurrowStunStream *s)
{
  g_autoptr(GError) error = NULL;
  gboolean healthy = !s->stopped && s->send_error == NULL;

  stop (s);
  if (s->io_closed)
    return;
  s->io_closed = TRUE;
  if (healthy && !flush (s, NULL))
    healthy = FALSE;
  destroy_source (&s->write_source);
  /* A broken stream gets no TLS close_notify, which could block on a peer
   * that reads nothing: closing the socket is enough. */
  if (!healthy && s->connection != NULL)
    g_io_stream_close (G_IO_STREAM (s->connection), NULL, &error);
  else
    g_io_stream_close (s->io, NULL, &error);
  if (error != NULL)
    g_debug ("closing the stream: %s", error->message);
}

void
burrow_stun_stream_free (BurrowStunStream *s)
{
  if (s == NULL)
    return;
  burrow_stun_stream_close (s);
  g_clear_error (&s->send_error);
  g_clear_object (&s->connection);
  g_clear_object (&s->io);
  g_clear_object (&s->remote);
  g_clear_pointer (&s->context, g_main_context_unref);
  g_clear_pointer (&s->out_queue, g_byte_array_unref);
  g_free (s->in_buf);
  g_free (s);
}
