/* bench-ice-phases.c: what bench-ice measures: time to READY, one-way
 * throughput with its CPU cost, memory per connected agent
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define _GNU_SOURCE               /* RUSAGE_THREAD */
#include "config.h"

#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "bench-ice.h"

static gboolean
tick_cb (gpointer unused)
{
  return G_SOURCE_CONTINUE;
}

/* wakes blocking iterations so that deadlines are seen */
static GSource *
add_ticker (GMainContext *ctx)
{
  GSource *ticker = g_timeout_source_new (20);

  g_source_set_callback (ticker, tick_cb, NULL, NULL);
  g_source_attach (ticker, ctx);
  return ticker;
}

static void
drop_ticker (GSource *ticker)
{
  g_source_destroy (ticker);
  g_source_unref (ticker);
}

static void
drain (GMainContext *ctx)
{
  guint i;

  for (i = 0; i < 1000 && g_main_context_iteration (ctx, FALSE); i++)
    ;
}

static gint64
cpu_us (gint who)
{
  struct rusage r;

  getrusage (who, &r);
  return (gint64) (r.ru_utime.tv_sec + r.ru_stime.tv_sec) * G_USEC_PER_SEC +
      r.ru_utime.tv_usec + r.ru_stime.tv_usec;
}

gint64
bench_rss_kb (void)
{
  g_autofree gchar *status = NULL;
  const gchar *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, "VmRSS:");
  return line ? g_ascii_strtoll (line + strlen ("VmRSS:"), NULL, 10) : -1;
}

static gint
cmp_double (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return x < y ? -1 : x > y;
}

/* nearest-rank percentile of sorted values */
static gdouble
percentile (GArray *sorted, guint pct)
{
  guint rank = (sorted->len * pct + 99) / 100;

  return g_array_index (sorted, gdouble, MAX (rank, 1) - 1);
}

/* Runs @ctx until @pair is READY on both sides; with @ctx_b, runs that
 * too, without blocking. */
static gboolean
connect_pair (BenchPair *pair, GMainContext *ctx, GMainContext *ctx_b, guint timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_USEC_PER_SEC;

  bench_pair_start (pair);
  while (!bench_pair_step (pair)) {
    if (bench_pair_failed (pair) || g_get_monotonic_time () > deadline)
      return FALSE;
    if (ctx_b == NULL) {
      g_main_context_iteration (ctx, TRUE);
    } else if (!g_main_context_iteration (ctx, FALSE) &&
               !g_main_context_iteration (ctx_b, FALSE)) {
      g_usleep (100);
    }
  }
  return TRUE;
}

/* ---- 1. time to READY ---- */

gboolean
bench_measure_ready (BenchImpl impl, const BenchOptions *options, BenchReady *result,
    GError **error)
{
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (gdouble));
  GSource *ticker = add_ticker (ctx);
  guint run;

  memset (result, 0, sizeof *result);
  /* run 0 warms the library up and is not counted */
  for (run = 0; run <= options->runs; run++) {
    BenchPair *pair = bench_pair_new (impl, ctx, ctx, error);

    if (pair == NULL) {
      drop_ticker (ticker);
      return FALSE;
    }
    if (connect_pair (pair, ctx, NULL, options->timeout_s)) {
      gdouble ms = bench_pair_ready_us (pair) / 1000.0;

      if (run > 0)
        g_array_append_val (times, ms);
    } else if (run > 0) {
      result->failed++;
    }
    bench_pair_free (pair);
    drain (ctx);
  }
  drop_ticker (ticker);
  if (times->len == 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "%s: no pair reached READY",
        bench_impl_names[impl]);
    return FALSE;
  }
  g_array_sort (times, cmp_double);
  result->median_ms = percentile (times, 50);
  result->p90_ms = percentile (times, 90);
  return TRUE;
}

/* ---- 2, 3. throughput and CPU ---- */

typedef struct {
  GMainContext *ctx;
  gint stop;
  gint64 cpu_us;
  guint64 iterations;
} Receiver;

static gpointer
receiver_thread (gpointer user_data)
{
  Receiver *r = user_data;
  gint64 start = cpu_us (RUSAGE_THREAD);

  while (!g_atomic_int_get (&r->stop)) {
    g_main_context_iteration (r->ctx, TRUE);
    r->iterations++;
  }
  r->cpu_us = cpu_us (RUSAGE_THREAD) - start;
  return NULL;
}

/* With a window, waits until at most @window - @want datagrams are in
 * flight, sleeping until half the window has drained. Datagrams that do
 * not arrive within 100 ms are written off in @lost. */
static void
wait_room (BenchCounter *c, guint sent, guint want, guint window, guint *lost)
{
  gint need = (gint) (sent + want) - (gint) window - (gint) *lost;
  gint wake = MAX (need, (gint) (sent - window / 2) - (gint) *lost);
  gint64 progress = g_get_monotonic_time ();
  gint seen = g_atomic_int_get (&c->packets);

  if (seen >= need)
    return;
  g_mutex_lock (&c->lock);
  g_atomic_int_set (&c->wake_at, MAX (wake, 1));
  while ((seen = g_atomic_int_get (&c->packets)) < need) {
    gint64 now = g_get_monotonic_time ();

    if (!g_cond_wait_until (&c->cond, &c->lock, now + 1000) &&
        g_atomic_int_get (&c->packets) == seen && now - progress > 100000) {
      *lost += (guint) (need - seen);
      break;
    }
    if (g_atomic_int_get (&c->packets) != seen)
      progress = now;
    g_atomic_int_set (&c->wake_at, MAX (wake, 1));
  }
  g_atomic_int_set (&c->wake_at, 0);
  g_mutex_unlock (&c->lock);
}

/* Sends options->packets datagrams; returns how many sends would have
 * blocked and were retried, or -1 if the library kept refusing. */
static gint64
send_all (BenchPair *pair, const guint8 *buf, guint batch, guint window,
    const BenchOptions *options)
{
  BenchCounter *counter = bench_pair_counter_b (pair);
  guint64 retries = 0;
  guint i = 0, n = options->packets, lost = 0, streak = 0;
  gint64 stalled = 0;

  while (i < n) {
    guint want = MIN (batch, n - i);
    gint sent;

    if (window > 0)
      wait_room (counter, i, want, window, &lost);
    if (batch <= 1)
      sent = bench_pair_send (pair, buf, options->size) ? 1 : 0;
    else
      sent = bench_pair_send_batch (pair, buf, options->size, want);
    if (sent < 0)
      return -1;
    if (sent == 0) {
      /* a full socket drains in microseconds; 5 s means no selected pair */
      retries++;
      if (streak++ == 0)
        stalled = g_get_monotonic_time ();
      else if ((streak & 1023) == 0 && g_get_monotonic_time () - stalled > 5 * G_USEC_PER_SEC)
        return -1;
      g_thread_yield ();
      continue;
    }
    streak = 0;
    i += (guint) sent;
  }
  return (gint64) retries;
}

/* until everything arrived or nothing did for 200 ms */
static void
wait_quiet (BenchCounter *counter, guint expected)
{
  gint last = -1;
  gint64 changed = g_get_monotonic_time ();

  for (;;) {
    gint now = g_atomic_int_get (&counter->packets);

    if ((guint) now >= expected)
      return;
    if (now != last) {
      last = now;
      changed = g_get_monotonic_time ();
    } else if (g_get_monotonic_time () - changed > 200000) {
      return;
    }
    g_usleep (2000);
  }
}

static gboolean
run_throughput (BenchPair *pair, GMainContext *ctx_b, gboolean batched, guint window,
    const BenchOptions *options, BenchThroughput *result, GError **error)
{
  g_autofree guint8 *buf = g_malloc (options->size);
  BenchCounter *counter = bench_pair_counter_b (pair);
  Receiver receiver = { ctx_b, 0, 0, 0 };
  GThread *thread;
  gint64 t0, t_sent, cpu0, cpu1, send_cpu0, retries;

  memset (buf, 0x5a, options->size);
  buf[0] = 0x80;                  /* as RTP: no ICE library takes it for STUN */
  counter->packets = counter->other = 0;
  thread = g_thread_new ("bench-ice-recv", receiver_thread, &receiver);
  g_usleep (20000);
  t0 = g_get_monotonic_time ();
  cpu0 = cpu_us (RUSAGE_SELF);
  send_cpu0 = cpu_us (RUSAGE_THREAD);
  retries = send_all (pair, buf, batched ? options->batch : 1, window, options);
  t_sent = g_get_monotonic_time ();
  result->sender_cpu_us = (cpu_us (RUSAGE_THREAD) - send_cpu0) / (gdouble) options->packets;
  wait_quiet (counter, options->packets);
  cpu1 = cpu_us (RUSAGE_SELF);
  g_atomic_int_set (&receiver.stop, 1);
  g_main_context_wakeup (ctx_b);
  g_thread_join (thread);
  if (retries < 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: sending failed",
        bench_impl_names[bench_pair_impl (pair)]);
    return FALSE;
  }
  result->sent = options->packets;
  result->delivered = (guint64) g_atomic_int_get (&counter->packets);
  result->would_block = (guint64) retries;
  result->send_pps = result->sent / ((t_sent - t0) / 1e6);
  result->recv_pps = result->delivered ?
      result->delivered / ((MAX (counter->last_us, t0 + 1) - t0) / 1e6) : 0;
  result->loss = 100.0 * (1.0 - (gdouble) result->delivered / result->sent);
  result->cpu_us = result->delivered ? (cpu1 - cpu0) / (gdouble) result->delivered : 0;
  result->receiver_cpu_us = result->delivered ?
      receiver.cpu_us / (gdouble) result->delivered : 0;
  result->wakeups = result->delivered ? 100.0 * receiver.iterations / result->delivered : 0;
  return TRUE;
}

/* A sends, B's receive callback counts. A's context belongs to this
 * thread (which does not run it while sending: nothing arrives for A),
 * B's to a receiving thread that does nothing but run it. With a
 * @window, at most that many datagrams are in flight, so that none is
 * dropped for want of room in B's socket buffer. */
gboolean
bench_measure_throughput (BenchImpl impl, gboolean batched, guint window,
    const BenchOptions *options, BenchThroughput *result, GError **error)
{
  g_autoptr(GMainContext) ctx_a = g_main_context_new ();
  g_autoptr(GMainContext) ctx_b = g_main_context_new ();
  BenchPair *pair = bench_pair_new (impl, ctx_a, ctx_b, error);
  gboolean ok;

  memset (result, 0, sizeof *result);
  if (pair == NULL)
    return FALSE;
  bench_pair_counter_b (pair)->size = options->size;
  if (!connect_pair (pair, ctx_a, ctx_b, options->timeout_s)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "%s: the pair did not connect",
        bench_impl_names[impl]);
    bench_pair_free (pair);
    return FALSE;
  }
  drain (ctx_a);
  drain (ctx_b);
  ok = run_throughput (pair, ctx_b, batched, window, options, result, error);
  bench_pair_free (pair);
  drain (ctx_a);
  drain (ctx_b);
  return ok;
}

/* ---- 4. memory ---- */

static guint
connect_all (BenchPair **pairs, guint n, GMainContext *ctx, guint timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_USEC_PER_SEC;
  guint i, ready = 0, first = 0;

  for (i = 0; i < n; i++)
    bench_pair_start (pairs[i]);
  while (g_get_monotonic_time () < deadline) {
    guint failed = 0;

    /* pairs[first..] are the ones not known to be READY yet */
    for (i = first; i < n; i++) {
      if (bench_pair_step (pairs[i])) {
        BenchPair *tmp = pairs[first];

        pairs[first++] = pairs[i];
        pairs[i] = tmp;
      } else if (bench_pair_failed (pairs[i])) {
        failed++;
      }
    }
    ready = first;
    if (ready + failed == n)
      break;
    g_main_context_iteration (ctx, TRUE);
  }
  return ready;
}

/* RSS grown by creating and connecting options->pairs pairs, all alive
 * at once on one context; best run in a fresh process. */
gboolean
bench_measure_memory (BenchImpl impl, const BenchOptions *options, BenchMemory *result,
    GError **error)
{
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  BenchPair **pairs = g_new0 (BenchPair *, options->pairs);
  GSource *ticker = add_ticker (ctx);
  BenchPair *warm;
  gint64 t0;
  guint i;
  gboolean ok = TRUE;

  memset (result, 0, sizeof *result);
  /* one pair first, so that one-time set-up is not counted */
  warm = bench_pair_new (impl, ctx, ctx, error);
  if (warm == NULL || !connect_all (&warm, 1, ctx, options->timeout_s)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "%s: the first pair did not connect",
        bench_impl_names[impl]);
    ok = FALSE;
  }
  g_clear_pointer (&warm, bench_pair_free);
  drain (ctx);
  malloc_trim (0);
  result->rss_before_kb = bench_rss_kb ();
  t0 = g_get_monotonic_time ();
  for (i = 0; ok && i < options->pairs; i++) {
    pairs[i] = bench_pair_new (impl, ctx, ctx, error);
    ok = pairs[i] != NULL;
  }
  if (ok) {
    result->connected = connect_all (pairs, options->pairs, ctx, options->timeout_s);
    result->connect_s = (g_get_monotonic_time () - t0) / 1e6;
    result->rss_after_kb = bench_rss_kb ();
  }
  for (i = 0; i < options->pairs; i++)
    g_clear_pointer (&pairs[i], bench_pair_free);
  g_free (pairs);
  drain (ctx);
  drop_ticker (ticker);
  return ok;
}
