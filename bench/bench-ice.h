/* bench-ice.h: Burrow's ICE agent against libnice's and plain UDP sockets
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A BenchPair is two agents of one library (or two plain UDP sockets) on
 * 127.0.0.1 with one stream of one component: A controlling and sending,
 * B controlled and receiving. Each side counts what its receive callback
 * gets in a BenchCounter.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
  BENCH_BURROW,
  BENCH_LIBNICE,
  BENCH_RAW,
  BENCH_RAW_GSO,                  /* raw UDP with UDP_SEGMENT and UDP_GRO; batched modes only */
  BENCH_N_IMPLS,
} BenchImpl;

extern const gchar *const bench_impl_names[BENCH_N_IMPLS];

/* Ta (stun-pacing-timer) for the agents of both libraries; 0: their default */
extern guint bench_pair_ta_ms;

/* What a receive callback saw; written by the thread that runs the
 * receiving context, `packets` read atomically by the others. A sender
 * that waits for `packets` to reach `wake_at` (atomic; 0 when nobody
 * waits) is woken through `cond`. */
typedef struct {
  gint packets;                   /* datagrams of `size` bytes */
  gint other;                     /* datagrams of any other size */
  gsize size;
  gint64 last_us;                 /* monotonic time of the last one */
  gint wake_at;
  GMutex lock;
  GCond cond;
} BenchCounter;

typedef struct _BenchPair BenchPair;

BenchPair    *bench_pair_new        (BenchImpl      impl,
                                     GMainContext  *ctx_a,
                                     GMainContext  *ctx_b,
                                     GError       **error);
void          bench_pair_start      (BenchPair *pair);
gboolean      bench_pair_step       (BenchPair *pair);
gboolean      bench_pair_failed     (BenchPair *pair);
gint64        bench_pair_ready_us   (BenchPair *pair);
BenchImpl     bench_pair_impl       (BenchPair *pair);
BenchCounter *bench_pair_counter_b  (BenchPair *pair);
gboolean      bench_pair_send       (BenchPair    *pair,
                                     const guint8 *buf,
                                     gsize         len);
gint          bench_pair_send_batch (BenchPair    *pair,
                                     const guint8 *buf,
                                     gsize         len,
                                     guint         n);
void          bench_pair_free       (BenchPair *pair);
gchar        *bench_pair_describe   (BenchImpl impl);

/* bench-ice-phases.c */
typedef struct {
  guint runs;                     /* time to READY: pairs connected one by one */
  guint packets;                  /* throughput: datagrams per measurement */
  guint size;
  guint batch;
  guint window;                   /* 0: send as fast as possible */
  guint rounds;
  guint pairs;                    /* memory: pairs alive at once */
  guint timeout_s;
} BenchOptions;

typedef struct {
  gdouble median_ms;
  gdouble p90_ms;
  guint failed;
} BenchReady;

typedef struct {
  guint64 sent;
  guint64 delivered;
  guint64 would_block;            /* sends retried because the socket was full */
  gdouble send_pps;               /* datagrams handed to the library per second */
  gdouble recv_pps;               /* datagrams delivered per second */
  gdouble loss;                   /* percent */
  gdouble cpu_us;                 /* process user+sys per delivered datagram */
  gdouble sender_cpu_us;          /* sending thread, per datagram sent */
  gdouble receiver_cpu_us;        /* receiving thread, per datagram delivered */
  gdouble wakeups;                /* receiving context iterations per 100 delivered */
} BenchThroughput;

typedef struct {
  gint64 rss_before_kb;
  gint64 rss_after_kb;
  guint connected;
  gdouble connect_s;
} BenchMemory;

gboolean bench_measure_ready      (BenchImpl           impl,
                                   const BenchOptions *options,
                                   BenchReady         *result,
                                   GError            **error);
gboolean bench_measure_throughput (BenchImpl           impl,
                                   gboolean            batched,
                                   guint               window,
                                   const BenchOptions *options,
                                   BenchThroughput    *result,
                                   GError            **error);
gboolean bench_measure_memory     (BenchImpl           impl,
                                   const BenchOptions *options,
                                   BenchMemory        *result,
                                   GError            **error);
gint64   bench_rss_kb             (void);

G_END_DECLS
