/* test-agent-data.c: BurrowAgent's data path under load and from other
 * threads: 10 000 datagrams in order, batches of mixed sizes (UDP GSO and
 * GRO), recv_messages from a second thread, and sending and receiving in
 * other threads while the stream is removed.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each test first connects A and B (agent-fixture.h) through their host
 * candidates.
 */
#include "agent-fixture.h"

#include <string.h>

#define BURST_COUNT 10000
#define BURST_SIZE 1200
#define BURST_BATCH 64

typedef AgentFixture Fixture;

/* ---- load ---- */

typedef struct {
  guint received;
  guint expected_seq;
  guint out_of_order;
  guint corrupt;
} Burst;

static guint8
burst_byte (guint32 seq, guint offset)
{
  return (guint8) (seq * 7 + offset);
}

static void
burst_recv_cb (BurrowAgent *agent, guint stream_id, guint component_id, guint len,
    const guint8 *buf, gpointer data)
{
  Burst *b = data;
  guint32 seq;
  guint i;

  b->received++;
  if (len != BURST_SIZE) {
    b->corrupt++;
    return;
  }
  memcpy (&seq, buf, 4);
  seq = GUINT32_FROM_BE (seq);
  if (seq != b->expected_seq)
    b->out_of_order++;
  b->expected_seq = seq + 1;
  for (i = 4; i < len; i++) {
    if (buf[i] != burst_byte (seq, i)) {
      b->corrupt++;
      break;
    }
  }
}

typedef struct {
  Burst *burst;
  guint target;
} BurstWait;

static gboolean
burst_caught_up (gpointer data)
{
  BurstWait *w = data;

  return w->burst->received >= w->target;
}

/* 10 000 datagrams of 1200 bytes in batches; the sender waits for the
 * receiver to drain each batch (same thread), so loopback loses none. */
static void
test_burst (Fixture *f, gconstpointer data)
{
  guint8 (*bodies)[BURST_SIZE - 4] = g_malloc (BURST_BATCH * (BURST_SIZE - 4));
  guint32 headers[BURST_BATCH];
  GOutputVector vectors[BURST_BATCH][2];
  BurrowOutputMessage messages[BURST_BATCH];
  Burst burst = { 0 };
  BurstWait w = { &burst, 0 };
  guint sent = 0, i, j;
  gint64 start;

  agent_fixture_assert_connects (f);
  g_assert_true (burrow_agent_attach_recv (f->b, f->sb, 1, NULL, burst_recv_cb, &burst));
  start = g_get_monotonic_time ();
  while (sent < BURST_COUNT) {
    g_autoptr(GError) error = NULL;
    guint n = MIN (BURST_BATCH, BURST_COUNT - sent);
    gint done;

    for (i = 0; i < n; i++) {
      guint32 seq = sent + i;

      headers[i] = GUINT32_TO_BE (seq);
      for (j = 0; j < BURST_SIZE - 4; j++)
        bodies[i][j] = burst_byte (seq, j + 4);
      vectors[i][0].buffer = &headers[i];
      vectors[i][0].size = 4;
      vectors[i][1].buffer = bodies[i];
      vectors[i][1].size = BURST_SIZE - 4;
      messages[i].buffers = vectors[i];
      messages[i].n_buffers = 2;
    }
    done = burrow_agent_send_messages_nonblocking (f->a, f->sa, 1, messages, n, NULL, &error);
    if (done < 0) {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
      g_main_context_iteration (NULL, FALSE);
      continue;
    }
    g_assert_cmpint (done, >, 0);
    sent += done;
    w.target = sent;
    if (!agent_fixture_wait_until (burst_caught_up, &w, 2000))
      g_test_message ("%u sent, %u received", sent, burst.received);
    g_assert_cmpuint (burst.received, ==, sent);
  }
  g_test_message ("%u datagrams of %u bytes in %" G_GINT64_FORMAT " ms", BURST_COUNT,
      BURST_SIZE, (g_get_monotonic_time () - start) / 1000);
  g_assert_cmpuint (burst.received, ==, BURST_COUNT);
  g_assert_cmpuint (burst.out_of_order, ==, 0);
  g_assert_cmpuint (burst.corrupt, ==, 0);
  g_assert_cmpuint (burst.expected_seq, ==, BURST_COUNT);
  g_free (bodies);
}

/* Batches of mixed sizes: runs of equal datagrams go out segmented (UDP
 * GSO) and may come back coalesced (UDP GRO); every datagram must still
 * arrive alone, whole, in order, including the shorter one ending a run
 * and the longer one starting the next. */
static const guint mixed_sizes[] = {
  1200, 1200, 1200, 1200, 1200, 1200, 1200, 1200, 1200, 1200, 700, 1200, 1200, 1200,
  1300, 1300, 1300, 40, 8, 500, 500, 500, 500, 500, 500, 1200, 9000, 9000, 9000, 9000,
  9000, 9000, 9000, 9000, 1200,
};
#define MIXED_ROUNDS 50

typedef struct {
  guint received;
  guint wrong;                    /* wrong length, order or content */
} Mixed;

static void
mixed_recv_cb (BurrowAgent *agent, guint stream_id, guint component_id, guint len,
    const guint8 *buf, gpointer data)
{
  Mixed *m = data;
  guint32 seq;
  guint i;

  if (len < 4) {
    m->wrong++;
    return;
  }
  memcpy (&seq, buf, 4);
  seq = GUINT32_FROM_BE (seq);
  if (seq != m->received || len != mixed_sizes[seq % G_N_ELEMENTS (mixed_sizes)])
    m->wrong++;
  for (i = 4; i < len; i++) {
    if (buf[i] != burst_byte (seq, i)) {
      m->wrong++;
      break;
    }
  }
  m->received++;
}

typedef struct {
  Mixed *mixed;
  guint target;
} MixedWait;

static gboolean
mixed_caught_up (gpointer data)
{
  MixedWait *w = data;

  return w->mixed->received >= w->target;
}

static void
test_batch_mixed_sizes (Fixture *f, gconstpointer data)
{
  const guint n = G_N_ELEMENTS (mixed_sizes);
  guint8 (*bodies)[9000] = g_malloc (n * 9000);
  GOutputVector vectors[G_N_ELEMENTS (mixed_sizes)][3];
  guint32 headers[G_N_ELEMENTS (mixed_sizes)];
  BurrowOutputMessage messages[G_N_ELEMENTS (mixed_sizes)];
  Mixed mixed = { 0 };
  MixedWait w = { &mixed, 0 };
  guint round, i, j, sent = 0;

  agent_fixture_assert_connects (f);
  g_assert_true (burrow_agent_attach_recv (f->b, f->sb, 1, NULL, mixed_recv_cb, &mixed));
  for (round = 0; round < MIXED_ROUNDS; round++) {
    guint done = 0;

    for (i = 0; i < n; i++) {
      guint32 seq = round * n + i;

      headers[i] = GUINT32_TO_BE (seq);
      for (j = 4; j < mixed_sizes[i]; j++)
        bodies[i][j - 4] = burst_byte (seq, j);
      vectors[i][0].buffer = &headers[i];
      vectors[i][0].size = 4;
      vectors[i][1].buffer = bodies[i];
      vectors[i][1].size = mixed_sizes[i] - 4;
      vectors[i][2].buffer = NULL;
      vectors[i][2].size = 0;
      messages[i].buffers = vectors[i];
      /* every other round the vectors end with a NULL buffer instead */
      messages[i].n_buffers = round % 2 ? -1 : 2;
    }
    while (done < n) {
      g_autoptr(GError) error = NULL;
      gint k = burrow_agent_send_messages_nonblocking (f->a, f->sa, 1, messages + done,
          n - done, NULL, &error);

      if (k < 0) {
        g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
        g_main_context_iteration (NULL, FALSE);
        continue;
      }
      g_assert_cmpint (k, >, 0);
      done += (guint) k;
    }
    sent += n;
    w.target = sent;
    g_assert_true (agent_fixture_wait_until (mixed_caught_up, &w, 2000));
  }
  g_assert_cmpuint (mixed.received, ==, MIXED_ROUNDS * n);
  g_assert_cmpuint (mixed.wrong, ==, 0);
  g_free (bodies);
}

/* recv_messages from a second thread while this one runs the context */
#define THREAD_COUNT 50

typedef struct {
  BurrowAgent *agent;
  guint stream_id;
  GCancellable *cancellable;
  guint want;
  gchar *texts[THREAD_COUNT];
  guint got;
  gint result;                    /* of the last call */
  GError *error;
  gint done;                      /* atomic */
  guint wrong_sender;             /* datagrams whose sender was not @sender */
  GInetSocketAddress *sender;
} Receiver;

static gboolean
same_address (GSocketAddress *a, GInetSocketAddress *b)
{
  return G_IS_INET_SOCKET_ADDRESS (a) &&
      g_inet_address_equal (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (a)),
          g_inet_socket_address_get_address (b)) &&
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (a)) ==
      g_inet_socket_address_get_port (b);
}

static gpointer
receiver_thread (gpointer data)
{
  Receiver *r = data;

  while (r->got < r->want) {
    guint8 buffers[4][256];
    GInputVector vectors[4];
    BurrowInputMessage messages[4];
    GSocketAddress *senders[4] = { NULL, };
    gint i, n;

    for (i = 0; i < 4; i++) {
      vectors[i].buffer = buffers[i];
      vectors[i].size = sizeof buffers[i];
      messages[i].buffers = &vectors[i];
      messages[i].n_buffers = 1;
      /* the first two say who sent them, the others need not */
      messages[i].from = i < 2 ? &senders[i] : NULL;
      messages[i].length = 0;
    }
    n = burrow_agent_recv_messages (r->agent, r->stream_id, 1, messages,
        MIN (4, r->want - r->got), r->cancellable, &r->error);
    r->result = n;
    if (n < 0)
      break;
    for (i = 0; i < n && r->got < THREAD_COUNT; i++)
      r->texts[r->got++] = g_strndup ((const gchar *) buffers[i], messages[i].length);
    for (i = 0; i < n && i < 2; i++) {
      if (r->sender && !same_address (senders[i], r->sender))
        r->wrong_sender++;
      g_clear_object (&senders[i]);
    }
  }
  g_atomic_int_set (&r->done, 1);
  /* the main thread may be asleep in its context, waiting for this */
  g_main_context_wakeup (NULL);
  return NULL;
}

static gboolean
receiver_done (gpointer data)
{
  Receiver *r = data;

  return g_atomic_int_get (&r->done) != 0;
}

static void
receiver_clear (Receiver *r)
{
  guint i;

  for (i = 0; i < r->got; i++)
    g_free (r->texts[i]);
  g_clear_error (&r->error);
  g_clear_object (&r->cancellable);
}

/* Waits for the thread (bounded), cancelling it if it takes too long. */
static void
receiver_join (Receiver *r, GThread *thread, guint timeout_ms)
{
  if (!agent_fixture_wait_until (receiver_done, r, timeout_ms))
    g_cancellable_cancel (r->cancellable);
  if (!agent_fixture_wait_until (receiver_done, r, 2000))
    g_error ("recv_messages did not return after its cancellable was cancelled");
  g_thread_join (thread);
}

static void
test_recv_messages_thread (Fixture *f, gconstpointer data)
{
  Receiver r = { 0 };
  GThread *thread;
  gint64 start;
  guint i;

  agent_fixture_assert_connects (f);
  g_assert_true (burrow_agent_attach_recv (f->b, f->sb, 1, NULL, NULL, NULL));

  /* datagrams arrive through recv_messages: no callback is attached */
  r.agent = f->b;
  r.stream_id = f->sb;
  r.sender = f->a_host;
  r.cancellable = g_cancellable_new ();
  r.want = THREAD_COUNT;
  start = g_get_monotonic_time ();
  thread = g_thread_new ("receiver", receiver_thread, &r);
  for (i = 0; i < THREAD_COUNT; i++) {
    g_autofree gchar *text = g_strdup_printf ("datagram %u", i);

    g_assert_cmpint (burrow_agent_send (f->a, f->sa, 1, strlen (text), (const guint8 *) text),
        ==, (gint) strlen (text));
    if (i % 10 == 9)
      burrow_test_sleep (5);
  }
  receiver_join (&r, thread, 5000);
  g_test_message ("%u datagrams through recv_messages in %" G_GINT64_FORMAT " ms", r.got,
      (g_get_monotonic_time () - start) / 1000);
  g_assert_no_error (r.error);
  g_assert_cmpuint (r.got, ==, THREAD_COUNT);
  /* BurrowInputMessage.from names A's host candidate */
  g_assert_cmpuint (r.wrong_sender, ==, 0);
  for (i = 0; i < THREAD_COUNT; i++) {
    g_autofree gchar *text = g_strdup_printf ("datagram %u", i);

    g_assert_cmpstr (r.texts[i], ==, text);
  }
  receiver_clear (&r);

  /* nothing comes: the cancellable ends the wait */
  memset (&r, 0, sizeof r);
  r.agent = f->b;
  r.stream_id = f->sb;
  r.cancellable = g_cancellable_new ();
  r.want = 1;
  thread = g_thread_new ("receiver", receiver_thread, &r);
  burrow_test_sleep (200);
  g_assert_false (receiver_done (&r));
  start = g_get_monotonic_time ();
  g_cancellable_cancel (r.cancellable);
  receiver_join (&r, thread, 2000);
  start = (g_get_monotonic_time () - start) / 1000;
  g_test_message ("recv_messages returned %" G_GINT64_FORMAT " ms after the cancellation", start);
  g_assert_cmpint (start, <, 500);
  g_assert_cmpint (r.result, ==, -1);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (r.got, ==, 0);
  receiver_clear (&r);
}

/* ---- other threads: send and receive while the context's thread takes
 * the stream away (run under AddressSanitizer, a freed pair, socket or
 * component in use shows) ---- */

typedef struct {
  BurrowAgent *agent;
  guint stream_id;
  gint stop;                      /* atomic */
  guint sent;                     /* datagrams that went */
  guint refused;                  /* calls that returned -1 */
  guint refused_after_removal;
  gint removed;                   /* atomic: set before remove_stream returns */
} Sender;

static gpointer
sender_thread (gpointer data)
{
  Sender *s = data;
  guint8 payload[1200] = { 0 };
  GOutputVector vectors[16];
  BurrowOutputMessage messages[16];
  guint i, rounds = 0;

  for (i = 0; i < G_N_ELEMENTS (messages); i++) {
    vectors[i].buffer = payload;
    vectors[i].size = sizeof payload;
    messages[i].buffers = &vectors[i];
    messages[i].n_buffers = 1;
  }
  /* bounded: the main thread stops it, or 2 million rounds end it */
  while (!g_atomic_int_get (&s->stop) && rounds++ < 2000000) {
    gboolean removed = g_atomic_int_get (&s->removed);
    gint n;

    if (rounds % 2) {
      n = burrow_agent_send (s->agent, s->stream_id, 1, sizeof payload, payload);
      n = n < 0 ? -1 : 1;
    } else {
      n = burrow_agent_send_messages_nonblocking (s->agent, s->stream_id, 1, messages,
          G_N_ELEMENTS (messages), NULL, NULL);
    }
    if (n > 0) {
      s->sent += (guint) n;
    } else {
      s->refused++;
      if (removed)
        s->refused_after_removal++;
      g_thread_yield ();
    }
  }
  return NULL;
}

static gboolean
b_got_some (gpointer data)
{
  Fixture *f = data;

  return f->b_received >= 100;
}

static void
test_thread_send_while_removing (Fixture *f, gconstpointer data)
{
  Sender s = { f->a, f->sa, 0 };
  GThread *thread;

  agent_fixture_assert_connects (f);
  thread = g_thread_new ("sender", sender_thread, &s);
  /* the data path works from the other thread */
  g_assert_true (agent_fixture_wait_until (b_got_some, f, 5000));
  g_atomic_int_set (&s.removed, 1);
  burrow_agent_remove_stream (f->a, f->sa);
  /* the sender keeps trying on the stream that is gone */
  burrow_test_sleep (100);
  g_atomic_int_set (&s.stop, 1);
  g_thread_join (thread);
  g_test_message ("%u datagrams sent from the other thread, %u calls refused (%u after "
      "the removal), %u received", s.sent, s.refused, s.refused_after_removal, f->b_received);
  g_assert_cmpuint (s.sent, >=, 100);
  g_assert_cmpuint (s.refused_after_removal, >, 0);
  g_assert_cmpint (burrow_agent_send (f->a, f->sa, 1, 5, (const guint8 *) "gone!"), ==, -1);
}

/* A receiver blocked in another thread when its stream is removed returns
 * with G_IO_ERROR_CLOSED. */
static void
test_thread_recv_while_removing (Fixture *f, gconstpointer data)
{
  Receiver r = { 0 };
  GThread *thread;

  agent_fixture_assert_connects (f);
  r.agent = f->b;
  r.stream_id = f->sb;
  r.cancellable = g_cancellable_new ();
  r.want = 1;
  thread = g_thread_new ("receiver", receiver_thread, &r);
  burrow_test_sleep (100);
  g_assert_false (receiver_done (&r));
  burrow_agent_remove_stream (f->b, f->sb);
  /* cancelled only if it does not return by itself */
  receiver_join (&r, thread, 2000);
  g_assert_cmpint (r.result, ==, -1);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_assert_cmpuint (r.got, ==, 0);
  receiver_clear (&r);
}

/* A receiver blocked in another thread does not run the agent's context
 * (it waits for the context's thread, which may call the API meanwhile):
 * receive callbacks run on the context's thread only, while a third thread
 * floods data and the context's thread is busy, then removes the stream. */

typedef struct {
  BurrowAgent *agent;
  guint stream_id;
  GCancellable *cancellable;
  gint done;
  GError *error;
} Blocked;

static gpointer
blocked_recv_thread (gpointer data)
{
  Blocked *r = data;
  GBytes *bytes = burrow_agent_recv (r->agent, r->stream_id, 1, r->cancellable, &r->error);

  g_clear_pointer (&bytes, g_bytes_unref);
  g_atomic_int_set (&r->done, 1);
  return NULL;
}

typedef struct {
  BurrowAgent *agent;
  guint stream_id;
  gint stop;
} Flood;

static gint flood_sent;             /* atomic */

static gpointer
flood_thread (gpointer data)
{
  Flood *f = data;
  guint8 payload[200] = { 0x80 };
  guint rounds = 0;

  while (!g_atomic_int_get (&f->stop) && rounds++ < 5000000)
    if (burrow_agent_send (f->agent, f->stream_id, 1, sizeof payload, payload) < 0)
      g_thread_yield ();
    else
      g_atomic_int_inc (&flood_sent);
  return NULL;
}

static GThread *main_thread;
static gint foreign_callbacks;
static gint all_callbacks;

static void
thread_recv_cb (BurrowAgent *agent, guint stream_id, guint component_id, guint len,
    const guint8 *buf, gpointer data)
{
  g_atomic_int_inc (&all_callbacks);
  if (g_thread_self () != main_thread)
    g_atomic_int_inc (&foreign_callbacks);
}

static void
test_thread_recv_does_not_run_context (Fixture *f, gconstpointer data)
{
  Blocked r = { f->b, f->sb, NULL, 0, NULL };
  Flood flood = { f->a, f->sa, 0 };
  GThread *receiver, *sender;

  agent_fixture_assert_connects (f);
  main_thread = g_thread_self ();
  g_assert_true (burrow_agent_attach_recv (f->b, f->sb, 1, NULL, thread_recv_cb, NULL));
  r.cancellable = g_cancellable_new ();
  /* B's component has a callback: recv() waits (legal from any thread) */
  receiver = g_thread_new ("receiver", blocked_recv_thread, &r);
  sender = g_thread_new ("sender", flood_thread, &flood);
  /* the context's own thread is busy elsewhere for a moment (it does not
   * iterate), then removes the stream: allowed on this thread */
  g_usleep (300 * 1000);
  g_test_message ("callbacks so far: %d, in another thread: %d; %d sent",
      g_atomic_int_get (&all_callbacks), g_atomic_int_get (&foreign_callbacks),
      g_atomic_int_get (&flood_sent));
  burrow_agent_remove_stream (f->b, f->sb);
  g_usleep (50 * 1000);
  g_atomic_int_set (&flood.stop, 1);
  g_thread_join (sender);
  /* the receiver saw its stream go (CLOSED), or the cancellation */
  g_cancellable_cancel (r.cancellable);
  g_thread_join (receiver);
  g_assert_true (g_atomic_int_get (&r.done));
  g_assert_cmpint (g_atomic_int_get (&flood_sent), >, 0);
  g_clear_error (&r.error);
  g_clear_object (&r.cancellable);
  /* the documented contract: agent work happens on the context's thread */
  g_assert_cmpint (g_atomic_int_get (&foreign_callbacks), ==, 0);
}

/* attach_recv with another context: datagrams are handed to it in order;
 * once the callback is detached, those still queued are not delivered to
 * it (nor with its old user data). */
static void
other_context_cb (BurrowAgent *agent, guint stream_id, guint component_id, guint len,
    const guint8 *buf, gpointer data)
{
  GPtrArray *got = data;

  g_ptr_array_add (got, g_strndup ((const gchar *) buf, len));
}

static void
test_recv_other_context (Fixture *f, gconstpointer data)
{
  g_autoptr(GMainContext) other = g_main_context_new ();
  g_autoptr(GPtrArray) got = g_ptr_array_new_with_free_func (g_free);
  guint i;

  agent_fixture_assert_connects (f);
  g_assert_true (burrow_agent_attach_recv (f->b, f->sb, 1, other, other_context_cb, got));
  g_assert_cmpint (burrow_agent_send (f->a, f->sa, 1, 5, (const guint8 *) "first"), ==, 5);
  /* B's context reads it and queues it to the other context */
  for (i = 0; i < 200 && !g_main_context_pending (other); i++) {
    g_main_context_iteration (NULL, FALSE);
    g_usleep (1000);
  }
  g_assert_true (g_main_context_pending (other));
  for (i = 0; i < 100 && got->len < 1; i++)
    g_main_context_iteration (other, FALSE);
  g_assert_cmpuint (got->len, ==, 1);
  g_assert_cmpstr (got->pdata[0], ==, "first");

  /* one more queued, then the callback detached before it runs */
  g_assert_cmpint (burrow_agent_send (f->a, f->sa, 1, 6, (const guint8 *) "second"), ==, 6);
  for (i = 0; i < 200 && !g_main_context_pending (other); i++) {
    g_main_context_iteration (NULL, FALSE);
    g_usleep (1000);
  }
  g_assert_true (g_main_context_pending (other));
  g_assert_true (burrow_agent_attach_recv (f->b, f->sb, 1, NULL, NULL, NULL));
  for (i = 0; i < 100 && g_main_context_iteration (other, FALSE); i++)
    ;
  g_assert_cmpuint (got->len, ==, 1);
}

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, agent_fixture_setup, func, agent_fixture_teardown)

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  ADD ("/ice/agent-data/load/burst-in-order", test_burst);
  ADD ("/ice/agent-data/load/batch-mixed-sizes", test_batch_mixed_sizes);
  ADD ("/ice/agent-data/load/recv-messages-thread", test_recv_messages_thread);
  ADD ("/ice/agent-data/threads/send-while-removing", test_thread_send_while_removing);
  ADD ("/ice/agent-data/threads/recv-while-removing", test_thread_recv_while_removing);
  ADD ("/ice/agent-data/recv/other-context-and-detach", test_recv_other_context);
  ADD ("/ice/agent-data/threads/recv-does-not-run-context", test_thread_recv_does_not_run_context);

  return g_test_run ();
}
