/* test-stun-endpoint.c: the private STUN endpoint over TCP and TLS streams
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The server is a loopback TCP listener in the test; the endpoint runs over
 * a GSocketClient connection to it (or TLS over that) on the thread-default
 * context. The server side reads and writes without blocking and iterates
 * the context meanwhile, so neither side can stall the other.
 */
#include "burrow-test-util.h"

#include <string.h>
#include <glib/gstdio.h>

/* The endpoint is private to the library, whose symbols outside the API
 * are hidden: the test builds its own copy. */
#include "stun/burrow-stun-endpoint.c"
#include "stun/burrow-stun-stream.c"

#define WAIT_MS 10000

#if defined(__SANITIZE_ADDRESS__)
/* GCC 12's sanitizer runtime misreads the dynamic TLS that glibc >= 2.25
 * gives threads of dlopen()ed modules (GnuTLS, in glib-networking's
 * handshake threads): LeakSanitizer would crash at exit instead of checking
 * (google/sanitizers#1322). Leaks are still checked. */
const char *__asan_default_options (void);

const char *
__asan_default_options (void)
{
  return "intercept_tls_get_addr=0";
}
#endif

typedef struct {
  GSocketAddress *server_address;
  GSocketConnection *client_connection;
  GSocketConnection *server_connection;
  GIOStream *server_io;          /* server_connection, or TLS over it */
  GIOStream *client_tls;         /* the TLS test only */
  GTlsCertificate *certificate;  /* the TLS test only */
  BurrowStunEndpoint *endpoint;

  GPtrArray *frames;             /* GBytes handed to the handler, in order */
  guint messages;                /* of them, those that parsed as STUN */
  guint closed;                  /* "closed" emissions */
  GError *closed_error;
} Fixture;

typedef struct {
  gboolean done;
  BurrowStunMessage *response;
  GSocketAddress *from;
  GError *error;
} Request;

static void
request_clear (Request *r)
{
  g_clear_pointer (&r->response, burrow_stun_message_unref);
  g_clear_object (&r->from);
  g_clear_error (&r->error);
}

/* ---------------------------------------------------------------------- */
/* waiting */

static gboolean
timed_out_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the context until *@counter reaches @target or @ms pass. */
static void
iterate (const guint *counter, guint target, guint ms)
{
  gboolean timed_out = FALSE;
  GSource *timer = g_timeout_source_new (ms);

  g_source_set_callback (timer, timed_out_cb, &timed_out, NULL);
  g_source_attach (timer, NULL);
  while (*counter < target && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_source_destroy (timer);
  g_source_unref (timer);
}

static void
wait_count (const guint *counter, guint target)
{
  iterate (counter, target, WAIT_MS);
  g_assert_cmpuint (*counter, >=, target);
}

/* Lets the context run for @ms. */
static void
pump (guint ms)
{
  static const guint never = 0;

  iterate (&never, 1, ms);
}

static void
pump_pending (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* ---------------------------------------------------------------------- */
/* the server side */

static void
server_write (Fixture *f, const guint8 *data, gsize len)
{
  GPollableOutputStream *out =
      G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (f->server_io));
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * G_TIME_SPAN_MILLISECOND;

  while (len > 0) {
    g_autoptr(GError) error = NULL;
    gssize n = g_pollable_output_stream_write_nonblocking (out, data, len, NULL, &error);

    if (n < 0) {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      /* Let the endpoint read. */
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (500);
      continue;
    }
    data += n;
    len -= (gsize) n;
  }
}

static void
server_write_bytes (Fixture *f, GBytes *bytes)
{
  server_write (f, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

/* Reads up to @len bytes; 0 at the end of the stream. */
static gsize
server_read_some (Fixture *f, guint8 *buf, gsize len)
{
  GPollableInputStream *in =
      G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (f->server_io));
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * G_TIME_SPAN_MILLISECOND;

  for (;;) {
    g_autoptr(GError) error = NULL;
    gssize n = g_pollable_input_stream_read_nonblocking (in, buf, len, NULL, &error);

    if (n >= 0)
      return (gsize) n;
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
    g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    /* Let the endpoint write. */
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (500);
  }
}

static void
server_read_exact (Fixture *f, guint8 *buf, gsize len)
{
  while (len > 0) {
    gsize n = server_read_some (f, buf, len);

    g_assert_cmpuint (n, >, 0);
    buf += n;
    len -= n;
  }
}

/* One frame as it is on the wire, ChannelData padding included. */
static GBytes *
server_read_frame (Fixture *f)
{
  guint8 *frame = g_malloc (20 + 65536);
  gsize length, total;

  server_read_exact (f, frame, 4);
  length = ((gsize) frame[2] << 8) | frame[3];
  g_assert_cmpuint (frame[0], <, 0x80);
  total = frame[0] < 0x40 ? 20 + length : (4 + length + 3) & ~(gsize) 3;
  server_read_exact (f, frame + 4, total - 4);
  return g_bytes_new_take (frame, total);
}

/* The endpoint closed its side: what follows is the end of the stream. */
static void
server_expect_eof (Fixture *f)
{
  guint8 buf[256];

  g_assert_cmpuint (server_read_some (f, buf, sizeof buf), ==, 0);
}

/* Nothing more has been sent (plain TCP only). */
static void
server_expect_nothing (Fixture *f)
{
  GPollableInputStream *in =
      G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (f->server_io));
  g_autoptr(GError) error = NULL;
  guint8 buf[16];

  g_assert_cmpint (g_pollable_input_stream_read_nonblocking (in, buf, sizeof buf, NULL, &error),
      ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
}

/* Answers the request that arrives with a success response carrying the
 * endpoint's local address as XOR-MAPPED-ADDRESS. */
static void
server_answer (Fixture *f)
{
  g_autoptr(GBytes) frame = server_read_frame (f);
  g_autoptr(GError) error = NULL;
  g_autoptr(BurrowStunMessage) request = burrow_stun_message_new_from_bytes (frame, &error);
  g_autoptr(BurrowStunMessage) response = NULL;
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GBytes) wire = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (burrow_stun_message_get_message_class (request), ==, BURROW_STUN_CLASS_REQUEST);
  response = burrow_stun_message_new_response (request, BURROW_STUN_CLASS_SUCCESS_RESPONSE);
  local = burrow_stun_endpoint_get_local_address (f->endpoint);
  g_assert_true (burrow_stun_message_add_address (response,
      BURROW_STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, G_INET_SOCKET_ADDRESS (local)));
  wire = burrow_stun_message_serialize (response, BURROW_STUN_SIGN_FINGERPRINT, NULL, 0, &error);
  g_assert_no_error (error);
  server_write_bytes (f, wire);
}

/* ---------------------------------------------------------------------- */
/* the endpoint side */

static void
handler_cb (const guint8 *data, gsize len, BurrowStunMessage *message, GSocketAddress *from,
    gpointer user_data)
{
  Fixture *f = user_data;

  g_assert_true (burrow_socket_address_equal (from, f->server_address));
  g_ptr_array_add (f->frames, g_bytes_new (data, len));
  if (message != NULL)
    f->messages++;
}

static void
closed_cb (BurrowStunEndpoint *endpoint, GError *error, gpointer user_data)
{
  Fixture *f = user_data;

  g_assert_true (endpoint == f->endpoint);
  g_assert_nonnull (error);
  f->closed++;
  g_clear_error (&f->closed_error);
  f->closed_error = g_error_copy (error);
}

static void
open_endpoint (Fixture *f, GIOStream *io)
{
  f->endpoint = burrow_stun_endpoint_new_stream (io, f->server_address, NULL);
  g_signal_connect (f->endpoint, "closed", G_CALLBACK (closed_cb), f);
  burrow_stun_endpoint_set_handler (f->endpoint, handler_cb, f);
}

static void
request_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Request *r = user_data;

  r->response = burrow_stun_endpoint_request_finish (BURROW_STUN_ENDPOINT (source), result,
      &r->from, &r->error);
  r->done = TRUE;
}

/* Starts a Binding transaction; returns its wire form. */
static GBytes *
start_request (Fixture *f, const BurrowStunRetransmit *rt, Request *r)
{
  static const BurrowStunRetransmit defaults = { BURROW_STUN_RETRANSMIT_DEFAULT_RTO,
      BURROW_STUN_RETRANSMIT_DEFAULT_RC, BURROW_STUN_RETRANSMIT_DEFAULT_RM };
  g_autoptr(BurrowStunMessage) request =
      burrow_stun_message_new_request (BURROW_STUN_METHOD_BINDING);
  g_autoptr(GError) error = NULL;
  GBytes *wire = burrow_stun_message_serialize (request, BURROW_STUN_SIGN_FINGERPRINT, NULL, 0,
      &error);

  g_assert_no_error (error);
  burrow_stun_endpoint_request_async (f->endpoint, f->server_address, request, wire, NULL,
      rt ? rt : &defaults, BURROW_STUN_REQUEST_DEFAULT, NULL, request_done_cb, r);
  return wire;
}

static GBytes *
indication (const gchar *software)
{
  g_autoptr(BurrowStunMessage) msg =
      burrow_stun_message_new_indication (BURROW_STUN_METHOD_BINDING);
  g_autoptr(GError) error = NULL;
  GBytes *wire;

  burrow_stun_message_add_string (msg, BURROW_STUN_ATTRIBUTE_SOFTWARE, software);
  wire = burrow_stun_message_serialize (msg, BURROW_STUN_SIGN_FINGERPRINT, NULL, 0, &error);
  g_assert_no_error (error);
  return wire;
}

/* ChannelData on channel @channel with @len bytes of @fill, then padding
 * of @pad_byte up to a multiple of four when @pad_byte >= 0. */
static GBytes *
channel_data (guint16 channel, gsize len, guint8 fill, gint pad_byte)
{
  gsize total = 4 + len, padded = pad_byte >= 0 ? (total + 3) & ~(gsize) 3 : total;
  guint8 *p = g_malloc (padded);

  p[0] = (guint8) (channel >> 8);
  p[1] = (guint8) channel;
  p[2] = (guint8) (len >> 8);
  p[3] = (guint8) len;
  memset (p + 4, fill, len);
  if (padded > total)
    memset (p + total, pad_byte, padded - total);
  return g_bytes_new_take (p, padded);
}

static void
assert_frame (Fixture *f, guint index, const guint8 *data, gsize len)
{
  GBytes *frame;

  g_assert_cmpuint (f->frames->len, >, index);
  frame = f->frames->pdata[index];
  g_assert_cmpmem (g_bytes_get_data (frame, NULL), g_bytes_get_size (frame), data, len);
}

static void
assert_frame_bytes (Fixture *f, guint index, GBytes *bytes)
{
  assert_frame (f, index, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

/* ---------------------------------------------------------------------- */
/* fixtures */

static void
connect_pair (Fixture *f)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  GObject *effective = NULL;

  g_socket_listener_add_address (listener, any_port, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL, (GSocketAddress **) &effective, &error);
  g_assert_no_error (error);
  f->server_address = G_SOCKET_ADDRESS (effective);
  g_socket_client_set_enable_proxy (client, FALSE);
  f->client_connection = g_socket_client_connect (client,
      G_SOCKET_CONNECTABLE (f->server_address), NULL, &error);
  g_assert_no_error (error);
  /* Already in the backlog: this does not block. */
  f->server_connection = g_socket_listener_accept (listener, NULL, NULL, &error);
  g_assert_no_error (error);
  f->server_io = g_object_ref (G_IO_STREAM (f->server_connection));
  f->frames = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
}

static void
fixture_set_up_tcp (Fixture *f, gconstpointer data)
{
  connect_pair (f);
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  connect_pair (f);
  open_endpoint (f, G_IO_STREAM (f->client_connection));
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  if (f->endpoint != NULL) {
    guint closed = f->closed;

    /* An explicit close never emits "closed". */
    burrow_stun_endpoint_close (f->endpoint);
    pump_pending ();
    g_assert_cmpuint (f->closed, ==, closed);
    g_clear_object (&f->endpoint);
  }
  if (f->server_io != NULL)
    g_io_stream_close (f->server_io, NULL, NULL);
  pump_pending ();
  g_clear_object (&f->server_io);
  g_clear_object (&f->client_tls);
  g_clear_object (&f->server_connection);
  g_clear_object (&f->client_connection);
  g_clear_object (&f->server_address);
  g_clear_object (&f->certificate);
  g_clear_pointer (&f->frames, g_ptr_array_unref);
  g_clear_error (&f->closed_error);
}

/* ---------------------------------------------------------------------- */
/* tests over TCP */

static void
test_transaction (Fixture *f, gconstpointer data)
{
  Request r = { 0, };
  g_autoptr(GBytes) wire = NULL;
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GSocketAddress) client_local = NULL;
  g_autoptr(GInetSocketAddress) mapped = NULL;

  g_assert_true (burrow_stun_endpoint_is_stream (f->endpoint));
  g_assert_true (burrow_stun_endpoint_get_socket (f->endpoint) ==
      g_socket_connection_get_socket (f->client_connection));
  local = burrow_stun_endpoint_get_local_address (f->endpoint);
  client_local = g_socket_connection_get_local_address (f->client_connection, NULL);
  g_assert_true (burrow_socket_address_equal (local, client_local));

  wire = start_request (f, NULL, &r);
  server_answer (f);
  burrow_test_run_until (&r.done, WAIT_MS);
  g_assert_no_error (r.error);
  g_assert_nonnull (r.response);
  g_assert_cmpint (burrow_stun_message_get_message_class (r.response), ==,
      BURROW_STUN_CLASS_SUCCESS_RESPONSE);
  g_assert_true (burrow_socket_address_equal (r.from, f->server_address));
  mapped = burrow_stun_message_get_xor_mapped_address (r.response);
  g_assert_true (burrow_socket_address_equal (G_SOCKET_ADDRESS (mapped), local));
  /* Reliable transport: the request went once. */
  g_assert_cmpuint (burrow_stun_endpoint_get_retransmissions (f->endpoint), ==, 0);
  g_assert_cmpuint (f->frames->len, ==, 0);
  g_assert_cmpuint (burrow_stun_endpoint_get_dropped (f->endpoint), ==, 0);
  server_expect_nothing (f);
  request_clear (&r);
}

static void
test_split_and_batched (Fixture *f, gconstpointer data)
{
  g_autoptr(GBytes) first = indication ("first");
  g_autoptr(GBytes) channel = channel_data (0x4001, 5, 'c', 0xAA);
  g_autoptr(GBytes) second = indication ("second message");
  GBytes *frames[] = { first, channel, second };
  g_autoptr(GByteArray) all = g_byte_array_new ();
  g_autoptr(GByteArray) batch = g_byte_array_new ();
  guint i;
  gsize j;

  for (i = 0; i < G_N_ELEMENTS (frames); i++)
    g_byte_array_append (all, g_bytes_get_data (frames[i], NULL),
        (guint) g_bytes_get_size (frames[i]));

  /* Byte by byte, letting the endpoint read after each. */
  for (j = 0; j < all->len; j++) {
    server_write (f, all->data + j, 1);
    pump_pending ();
  }
  wait_count (&f->frames->len, 3);
  /* And all three, twice, in one write. */
  for (i = 0; i < 2 * G_N_ELEMENTS (frames); i++)
    g_byte_array_append (batch, g_bytes_get_data (frames[i % 3], NULL),
        (guint) g_bytes_get_size (frames[i % 3]));
  server_write (f, batch->data, batch->len);
  wait_count (&f->frames->len, 9);
  pump (20);
  g_assert_cmpuint (f->frames->len, ==, 9);

  for (i = 0; i < 9; i += 3) {
    assert_frame_bytes (f, i, first);
    assert_frame (f, i + 1, g_bytes_get_data (channel, NULL), 9);
    assert_frame_bytes (f, i + 2, second);
  }
  g_assert_cmpuint (f->messages, ==, 6);
  g_assert_cmpuint (f->closed, ==, 0);
}

static void
test_channel_data_padding (Fixture *f, gconstpointer data)
{
  g_autoptr(GByteArray) all = g_byte_array_new ();
  g_autoptr(GBytes) last = indication ("after the padding");
  gsize len;

  for (len = 1; len <= 5; len++) {
    /* Padding that is not zero: the receiver ignores it. */
    g_autoptr(GBytes) frame = channel_data (0x4000 + len, len, (guint8) len, 0xEE);

    g_assert_cmpuint (g_bytes_get_size (frame) % 4, ==, 0);
    g_byte_array_append (all, g_bytes_get_data (frame, NULL), (guint) g_bytes_get_size (frame));
  }
  g_byte_array_append (all, g_bytes_get_data (last, NULL), (guint) g_bytes_get_size (last));
  server_write (f, all->data, all->len);
  wait_count (&f->frames->len, 6);

  for (len = 1; len <= 5; len++) {
    g_autoptr(GBytes) unpadded = channel_data (0x4000 + len, len, (guint8) len, -1);

    g_assert_cmpuint (g_bytes_get_size (f->frames->pdata[len - 1]), ==, 4 + len);
    assert_frame_bytes (f, (guint) len - 1, unpadded);
  }
  assert_frame_bytes (f, 5, last);
  g_assert_cmpuint (f->messages, ==, 1);
  g_assert_cmpuint (f->closed, ==, 0);
}

static void
test_send_pads_channel_data (Fixture *f, gconstpointer data)
{
  g_autoptr(GBytes) stun = indication ("vectors");
  g_autoptr(GBytes) unpadded = channel_data (0x4123, 3, 'z', -1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) got = NULL;
  GOutputVector stun_vectors[3];
  gsize len;

  for (len = 1; len <= 5; len++) {
    guint8 header[4] = { 0x40, 0x01, 0, (guint8) len };
    guint8 payload[5];
    GOutputVector vectors[2] = { { header, 4 }, { payload, len } };
    g_autoptr(GBytes) frame = NULL;
    const guint8 *p;
    gsize i, size;

    memset (payload, 'a' + (gint) len, sizeof payload);
    g_assert_true (burrow_stun_endpoint_send_vectors (f->endpoint, NULL, vectors, 2, &error));
    g_assert_no_error (error);
    frame = server_read_frame (f);
    p = g_bytes_get_data (frame, &size);
    g_assert_cmpuint (size, ==, (4 + len + 3) & ~(gsize) 3);
    g_assert_cmpmem (p, 4, header, 4);
    g_assert_cmpmem (p + 4, len, payload, len);
    for (i = 4 + len; i < size; i++)
      g_assert_cmpuint (p[i], ==, 0);
  }

  /* STUN is never padded, whatever the vectors. */
  stun_vectors[0].buffer = g_bytes_get_data (stun, NULL);
  stun_vectors[0].size = 0;
  stun_vectors[1].buffer = g_bytes_get_data (stun, NULL);
  stun_vectors[1].size = 7;
  stun_vectors[2].buffer = (const guint8 *) g_bytes_get_data (stun, NULL) + 7;
  stun_vectors[2].size = g_bytes_get_size (stun) - 7;
  g_assert_true (burrow_stun_endpoint_send_vectors (f->endpoint, NULL, stun_vectors, 3, &error));
  g_assert_no_error (error);
  got = server_read_frame (f);
  g_assert_true (g_bytes_equal (got, stun));
  g_clear_pointer (&got, g_bytes_unref);

  /* The GBytes path pads too. */
  g_assert_true (burrow_stun_endpoint_send (f->endpoint, NULL, unpadded, &error));
  g_assert_no_error (error);
  got = server_read_frame (f);
  g_assert_cmpuint (g_bytes_get_size (got), ==, 8);
  g_assert_cmpmem (g_bytes_get_data (got, NULL), 7, g_bytes_get_data (unpadded, NULL), 7);
  g_assert_cmpuint (((const guint8 *) g_bytes_get_data (got, NULL))[7], ==, 0);
  server_expect_nothing (f);
}

/* A peer that reads nothing: sends queue up to the bound, then fail; once
 * the peer reads, everything accepted arrives, in order. */
static void
test_send_queue_bounded (Fixture *f, gconstpointer data)
{
  g_autofree guint8 *payload = g_malloc0 (65535);
  g_autoptr(GError) error = NULL;
  guint8 header[4] = { 0x40, 0x02, 0xFF, 0xFF };
  guint accepted = 0, i;

  for (;;) {
    GOutputVector vectors[2] = { { header, 4 }, { payload, 65535 } };

    memcpy (payload, &accepted, sizeof accepted);
    if (!burrow_stun_endpoint_send_vectors (f->endpoint, NULL, vectors, 2, &error))
      break;
    accepted++;
    g_assert_cmpuint (accepted, <, 2000);
  }
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
  /* The queue alone holds 4 MiB; the kernel's buffers take some more. */
  g_assert_cmpuint ((guint64) accepted * 65540, >=, BURROW_STUN_STREAM_MAX_QUEUE - 65540);
  g_assert_cmpuint (f->closed, ==, 0);

  for (i = 0; i < accepted; i++) {
    g_autoptr(GBytes) frame = server_read_frame (f);
    const guint8 *p = g_bytes_get_data (frame, NULL);
    guint seq;

    g_assert_cmpuint (g_bytes_get_size (frame), ==, 65540);
    memcpy (&seq, p + 4, sizeof seq);
    g_assert_cmpuint (seq, ==, i);
  }
  server_expect_nothing (f);
  /* Drained: sending works again. */
  {
    GOutputVector vectors[2] = { { header, 4 }, { payload, 65535 } };

    g_assert_true (burrow_stun_endpoint_send_vectors (f->endpoint, NULL, vectors, 2, &error));
  }
}

static void
test_garbage_closes (Fixture *f, gconstpointer data)
{
  g_autoptr(GBytes) before = indication ("before the garbage");
  g_autoptr(GBytes) request = NULL;
  g_autoptr(GBytes) wire = NULL;
  g_autoptr(GError) error = NULL;
  Request r = { 0, }, late = { 0, };
  g_autoptr(GByteArray) bytes = g_byte_array_new ();
  static const guint8 garbage[] = { 0xFF, 0, 0, 0 };

  wire = start_request (f, NULL, &r);
  request = server_read_frame (f);
  g_assert_true (g_bytes_equal (request, wire));
  /* A good frame, then a byte that starts no frame, in one write. */
  g_byte_array_append (bytes, g_bytes_get_data (before, NULL), (guint) g_bytes_get_size (before));
  g_byte_array_append (bytes, garbage, sizeof garbage);
  server_write (f, bytes->data, bytes->len);

  burrow_test_run_until (&r.done, WAIT_MS);
  wait_count (&f->closed, 1);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);
  g_assert_nonnull (strstr (r.error->message, "127.0.0.1"));
  g_assert_error (f->closed_error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_MALFORMED);
  g_assert_cmpuint (f->frames->len, ==, 1);
  assert_frame_bytes (f, 0, before);

  /* Closed for good: once, and the endpoint no longer sends. */
  pump (50);
  g_assert_cmpuint (f->closed, ==, 1);
  g_assert_false (burrow_stun_endpoint_send (f->endpoint, NULL, before, &error));
  g_assert_error (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_NETWORK);
  g_clear_pointer (&wire, g_bytes_unref);
  wire = start_request (f, NULL, &late);
  burrow_test_run_until (&late.done, WAIT_MS);
  g_assert_error (late.error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  server_expect_eof (f);
  request_clear (&r);
  request_clear (&late);
}

static void
test_peer_close (Fixture *f, gconstpointer data)
{
  Request r1 = { 0, }, r2 = { 0, };
  g_autoptr(GBytes) wire1 = start_request (f, NULL, &r1);
  g_autoptr(GBytes) wire2 = start_request (f, NULL, &r2);
  g_autoptr(GBytes) got1 = server_read_frame (f);
  g_autoptr(GBytes) got2 = server_read_frame (f);

  g_assert_true (g_bytes_equal (got1, wire1));
  g_assert_true (g_bytes_equal (got2, wire2));
  g_io_stream_close (f->server_io, NULL, NULL);

  burrow_test_run_until (&r1.done, WAIT_MS);
  burrow_test_run_until (&r2.done, WAIT_MS);
  wait_count (&f->closed, 1);
  g_assert_error (r1.error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);
  g_assert_error (r2.error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);
  g_assert_error (f->closed_error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);
  pump (50);
  g_assert_cmpuint (f->closed, ==, 1);
  request_clear (&r1);
  request_clear (&r2);
}

static void
test_explicit_close (Fixture *f, gconstpointer data)
{
  Request r = { 0, };
  g_autoptr(GBytes) wire = start_request (f, NULL, &r);
  g_autoptr(GBytes) got = server_read_frame (f);

  g_assert_true (g_bytes_equal (got, wire));
  burrow_stun_endpoint_close (f->endpoint);
  burrow_test_run_until (&r.done, WAIT_MS);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  server_expect_eof (f);
  pump (50);
  g_assert_cmpuint (f->closed, ==, 0);
  request_clear (&r);
}

static void
test_timeout_sent_once (Fixture *f, gconstpointer data)
{
  static const BurrowStunRetransmit defaults = { BURROW_STUN_RETRANSMIT_DEFAULT_RTO,
      BURROW_STUN_RETRANSMIT_DEFAULT_RC, BURROW_STUN_RETRANSMIT_DEFAULT_RM };
  BurrowStunRetransmit rt = { 20, 2, 2 };
  guint64 total = burrow_stun_retransmit_total_ms (&rt);
  Request r = { 0, };
  g_autoptr(GBytes) wire = NULL;
  g_autoptr(GBytes) got = NULL;
  gint64 start, elapsed_ms;

  /* RFC 8489 6.2.2: Ti is 39.5 s with the default schedule. */
  g_assert_cmpuint (burrow_stun_retransmit_total_ms (&defaults), ==, 39500);
  g_assert_cmpuint (total, ==, 60);
  start = g_get_monotonic_time ();
  wire = start_request (f, &rt, &r);
  got = server_read_frame (f);
  g_assert_true (g_bytes_equal (got, wire));
  burrow_test_run_until (&r.done, WAIT_MS);
  elapsed_ms = (g_get_monotonic_time () - start) / 1000;
  g_assert_error (r.error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_TIMEOUT);
  g_assert_cmpint (elapsed_ms, >=, (gint64) total);
  g_assert_cmpint (elapsed_ms, <, 5000);
  /* Exactly one copy reached the server. */
  pump (100);
  server_expect_nothing (f);
  g_assert_cmpuint (burrow_stun_endpoint_get_retransmissions (f->endpoint), ==, 0);
  g_assert_cmpuint (f->closed, ==, 0);
  request_clear (&r);
}

static void
test_hostile_lengths (Fixture *f, gconstpointer data)
{
  static const guint8 stun_header[20] = { 0x00, 0x01, 0xFF, 0xFC, 0x21, 0x12, 0xA4, 0x42,
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
  static const guint8 bad_length[20] = { 0x00, 0x01, 0xFF, 0xFF, 0x21, 0x12, 0xA4, 0x42,
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
  g_autofree guint8 *body = g_malloc0 (0xFFFC);
  g_autoptr(GBytes) big_channel = channel_data (0x4FFF, 0xFFFF, 0x5A, 0);

  /* The largest STUN length: the endpoint waits for the body. */
  server_write (f, stun_header, sizeof stun_header);
  pump (100);
  g_assert_cmpuint (f->frames->len, ==, 0);
  g_assert_cmpuint (f->closed, ==, 0);
  server_write (f, body, 0xFFFC);
  wait_count (&f->frames->len, 1);
  g_assert_cmpuint (g_bytes_get_size (f->frames->pdata[0]), ==, 20 + 0xFFFC);
  g_assert_cmpmem (g_bytes_get_data (f->frames->pdata[0], NULL), 20, stun_header, 20);

  /* The largest ChannelData, with its one byte of padding. */
  server_write_bytes (f, big_channel);
  wait_count (&f->frames->len, 2);
  g_assert_cmpuint (g_bytes_get_size (f->frames->pdata[1]), ==, 4 + 0xFFFF);
  assert_frame (f, 1, g_bytes_get_data (big_channel, NULL), 4 + 0xFFFF);

  /* A STUN length that is not a multiple of four cannot be skipped. */
  server_write (f, bad_length, sizeof bad_length);
  wait_count (&f->closed, 1);
  g_assert_error (f->closed_error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_MALFORMED);
  g_assert_cmpuint (f->frames->len, ==, 2);
}

static void
test_parse_frame (void)
{
  static const guint8 stun[4] = { 0x01, 0x01, 0x00, 0x08 };
  static const guint8 channel[4] = { 0x40, 0x00, 0x00, 0x05 };
  static const guint8 odd[4] = { 0x00, 0x01, 0x00, 0x06 };
  gsize frame_len = 0, consumed = 0;
  GError *error = NULL;
  guint8 b;

  g_assert_cmpint (burrow_stun_stream_parse_frame (stun, 0, &frame_len, &consumed, &error), ==,
      BURROW_STUN_FRAME_INCOMPLETE);
  g_assert_cmpint (burrow_stun_stream_parse_frame (stun, 3, &frame_len, &consumed, &error), ==,
      BURROW_STUN_FRAME_INCOMPLETE);
  g_assert_cmpint (burrow_stun_stream_parse_frame (stun, 4, &frame_len, &consumed, &error), ==,
      BURROW_STUN_FRAME_INCOMPLETE);
  g_assert_cmpuint (frame_len, ==, 28);
  g_assert_cmpint (burrow_stun_stream_parse_frame (channel, 4, &frame_len, &consumed, &error), ==,
      BURROW_STUN_FRAME_INCOMPLETE);
  g_assert_cmpuint (frame_len, ==, 9);
  g_assert_cmpuint (consumed, ==, 12);
  g_assert_cmpint (burrow_stun_stream_parse_frame (odd, 4, &frame_len, &consumed, &error), ==,
      BURROW_STUN_FRAME_INVALID);
  g_assert_error (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_MALFORMED);
  g_clear_error (&error);
  /* Every leading byte from 0x80 is refused at once. */
  for (b = 0x80; b != 0; b++) {
    g_assert_cmpint (burrow_stun_stream_parse_frame (&b, 1, &frame_len, &consumed, &error), ==,
        BURROW_STUN_FRAME_INVALID);
    g_clear_error (&error);
  }
  g_assert_no_error (error);
}

static void
test_udp_send_vectors (void)
{
  g_autoptr(GSocket) sender = burrow_test_udp_socket ("127.0.0.1", NULL);
  guint16 port = 0;
  g_autoptr(GSocket) receiver = burrow_test_udp_socket ("127.0.0.1", &port);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) to = g_inet_socket_address_new (loopback, port);
  g_autoptr(BurrowStunEndpoint) endpoint = burrow_stun_endpoint_new (sender, NULL);
  g_autoptr(GError) error = NULL;
  guint8 header[4] = { 0x40, 0x01, 0x00, 0x05 };
  GOutputVector vectors[2] = { { header, 4 }, { "hello", 5 } };
  guint8 buf[64];
  gssize n;

  g_assert_false (burrow_stun_endpoint_is_stream (endpoint));
  g_assert_true (burrow_stun_endpoint_get_socket (endpoint) == sender);
  g_assert_true (burrow_stun_endpoint_send_vectors (endpoint, to, vectors, 2, &error));
  g_assert_no_error (error);
  g_socket_set_timeout (receiver, 5);
  n = g_socket_receive (receiver, (gchar *) buf, sizeof buf, NULL, &error);
  g_assert_no_error (error);
  /* One datagram, never padded. */
  g_assert_cmpint (n, ==, 9);
  g_assert_cmpmem (buf, 4, header, 4);
  g_assert_cmpmem (buf + 4, 5, "hello", 5);
  burrow_stun_endpoint_close (endpoint);
  g_assert_false (burrow_stun_endpoint_send_vectors (endpoint, to, vectors, 2, &error));
  g_assert_error (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_NETWORK);
}

/* ---------------------------------------------------------------------- */
/* TLS */

/* Skips, except in CI, where TLS must be tested. */
static void
tls_unavailable (const gchar *why)
{
  if (g_strcmp0 (g_getenv ("CI"), "true") == 0)
    g_test_fail_printf ("TLS cannot be tested in CI: %s", why);
  else
    g_test_skip (why);
}

/* A self-signed certificate for 127.0.0.1 and localhost, made now. */
static GTlsCertificate *
make_certificate (GError **error)
{
  g_autofree gchar *dir = g_dir_make_tmp ("burrow-tls-XXXXXX", error);
  g_autofree gchar *key = NULL, *cert = NULL, *key_pem = NULL, *cert_pem = NULL, *pem = NULL;
  const gchar *argv[] = { "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
      "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
      "-days", "1", "-keyout", NULL, "-out", NULL, NULL };
  gint status = 0;
  gboolean made;

  if (dir == NULL)
    return NULL;
  argv[13] = key = g_build_filename (dir, "key.pem", NULL);
  argv[15] = cert = g_build_filename (dir, "cert.pem", NULL);
  made = g_spawn_sync (NULL, (gchar **) argv, NULL,
      G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
      NULL, NULL, NULL, NULL, &status, error) &&
      g_spawn_check_wait_status (status, error) &&
      g_file_get_contents (cert, &cert_pem, NULL, error) &&
      g_file_get_contents (key, &key_pem, NULL, error);
  g_remove (key);
  g_remove (cert);
  g_rmdir (dir);
  if (!made)
    return NULL;
  pem = g_strconcat (cert_pem, key_pem, NULL);
  return g_tls_certificate_new_from_pem (pem, -1, error);
}

static gboolean
accept_certificate_cb (GTlsConnection *connection, GTlsCertificate *peer,
    GTlsCertificateFlags errors, gpointer user_data)
{
  Fixture *f = user_data;

  /* Ours, and not trusted only because it signed itself. */
  g_assert_true (g_tls_certificate_is_same (peer, f->certificate));
  return TRUE;
}

static void
handshake_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result, &error);
  g_assert_no_error (error);
  *(gboolean *) user_data = TRUE;
}

static void
tls_connect (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  GIOStream *server_tls;
  gboolean client_done = FALSE, server_done = FALSE;

  server_tls = g_tls_server_connection_new (G_IO_STREAM (f->server_connection), f->certificate,
      &error);
  g_assert_no_error (error);
  g_clear_object (&f->server_io);
  f->server_io = server_tls;
  f->client_tls = g_tls_client_connection_new (G_IO_STREAM (f->client_connection),
      G_SOCKET_CONNECTABLE (f->server_address), &error);
  g_assert_no_error (error);
  g_signal_connect (f->client_tls, "accept-certificate", G_CALLBACK (accept_certificate_cb), f);

  g_tls_connection_handshake_async (G_TLS_CONNECTION (f->server_io), G_PRIORITY_DEFAULT, NULL,
      handshake_done_cb, &server_done);
  g_tls_connection_handshake_async (G_TLS_CONNECTION (f->client_tls), G_PRIORITY_DEFAULT, NULL,
      handshake_done_cb, &client_done);
  burrow_test_run_until (&client_done, WAIT_MS);
  burrow_test_run_until (&server_done, WAIT_MS);
}

static void
test_tls (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) wire = NULL;
  g_autoptr(GBytes) to_endpoint = channel_data (0x4002, 3, 't', 0);
  g_autoptr(GBytes) to_server = channel_data (0x4003, 6, 's', -1);
  g_autoptr(GBytes) got = NULL;
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GSocketAddress) client_local = NULL;
  Request r = { 0, };

  if (!g_tls_backend_supports_tls (g_tls_backend_get_default ())) {
    tls_unavailable ("no TLS backend (glib-networking) is installed");
    return;
  }
  f->certificate = make_certificate (&error);
  if (f->certificate == NULL) {
    g_autofree gchar *why = g_strdup_printf ("no certificate: %s", error->message);

    tls_unavailable (why);
    return;
  }
  tls_connect (f);
  open_endpoint (f, f->client_tls);
  g_assert_true (burrow_stun_endpoint_is_stream (f->endpoint));
  g_assert_null (burrow_stun_endpoint_get_socket (f->endpoint));
  local = burrow_stun_endpoint_get_local_address (f->endpoint);
  client_local = g_socket_connection_get_local_address (f->client_connection, NULL);
  g_assert_true (burrow_socket_address_equal (local, client_local));

  wire = start_request (f, NULL, &r);
  server_answer (f);
  burrow_test_run_until (&r.done, WAIT_MS);
  g_assert_no_error (r.error);
  g_assert_cmpint (burrow_stun_message_get_message_class (r.response), ==,
      BURROW_STUN_CLASS_SUCCESS_RESPONSE);

  server_write_bytes (f, to_endpoint);
  wait_count (&f->frames->len, 1);
  assert_frame (f, 0, g_bytes_get_data (to_endpoint, NULL), 7);

  g_assert_true (burrow_stun_endpoint_send (f->endpoint, NULL, to_server, &error));
  g_assert_no_error (error);
  got = server_read_frame (f);
  g_assert_cmpuint (g_bytes_get_size (got), ==, 12);
  g_assert_cmpmem (g_bytes_get_data (got, NULL), 10, g_bytes_get_data (to_server, NULL), 10);
  g_assert_cmpuint (f->closed, ==, 0);

  /* The server ends the session (close_notify, then FIN). */
  g_io_stream_close (f->server_io, NULL, &error);
  g_assert_no_error (error);
  wait_count (&f->closed, 1);
  g_assert_error (f->closed_error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);
  pump (50);
  g_assert_cmpuint (f->closed, ==, 1);
  request_clear (&r);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/stun/endpoint/stream/parse-frame", test_parse_frame);
  g_test_add_func ("/stun/endpoint/udp/send-vectors-one-datagram", test_udp_send_vectors);
  g_test_add ("/stun/endpoint/stream/transaction-answered", Fixture, NULL,
      fixture_set_up, test_transaction, fixture_tear_down);
  g_test_add ("/stun/endpoint/stream/split-and-batched-frames-in-order", Fixture, NULL,
      fixture_set_up, test_split_and_batched, fixture_tear_down);
  g_test_add ("/stun/endpoint/stream/channel-data-padding-stripped", Fixture, NULL,
      fixture_set_up, test_channel_data_padding, fixture_tear_down);
  g_test_add ("/stun/endpoint/stream/sent-channel-data-padded", Fixture, NULL,
      fixture_set_up, test_send_pads_channel_data, fixture_tear_down);
  g_test_add ("/stun/endpoint/stream/send-queue-bounded", Fixture, NULL,
      fixture_set_up, test_send_queue_bounded, fixture_tear_down);
  g_test_add ("/stun/endpoint/stream/garbage-closes", Fixture, NULL,
      fixture_set_up, test_garbage_closes, fixture_tear_down);
  g_test_add ("/stun/endpoint/stream/peer-close-fails-pending", Fixture, NULL,
      fixture_set_up, test_peer_close, fixture_tear_down);
  g_test_add ("/stun/endpoint/stream/explicit-close-no-signal", Fixture, NULL,
      fixture_set_up, test_explicit_close, fixture_tear_down);
  g_test_add ("/stun/endpoint/stream/request-sent-once-times-out", Fixture, NULL,
      fixture_set_up, test_timeout_sent_once, fixture_tear_down);
  g_test_add ("/stun/endpoint/stream/hostile-lengths", Fixture, NULL,
      fixture_set_up, test_hostile_lengths, fixture_tear_down);
  g_test_add ("/stun/endpoint/tls/transaction-and-channel-data", Fixture, NULL,
      fixture_set_up_tcp, test_tls, fixture_tear_down);
  return g_test_run ();
}
