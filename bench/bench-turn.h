/* bench-turn.h: the TURN benchmark's runs and results
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

#include "bench-util.h"

G_BEGIN_DECLS

/* One relay throughput run. */
typedef struct {
  gboolean ran;
  gboolean not_applicable;
  gchar *failure;                 /* why it did not run, or what went wrong */
  guint64 sent;                   /* datagrams the sender was told to send */
  guint64 send_errors;            /* sends that failed at once (Burrow, raw) */
  BenchPeerCount count;           /* what arrived at the peer */
  guint64 cpu_ns;                 /* the sender's CPU time while sending */
} Throughput;

/* One setup run: sequential request/response transactions. */
typedef struct {
  gboolean ran;
  gchar *failure;
  guint64 transactions;           /* answered requests, 401s included */
  guint64 allocations;            /* successful Allocate requests */
  guint64 clients;                /* clients made (Burrow, uclient) */
  gint64 elapsed_us;
  guint64 mismatches;             /* 437 answers: a stale allocation on the 5-tuple */
  gint64 pause_us;                /* uclient's own sleeps between clients */
  gint64 stall_us;                /* uclient's sleeps after a 437 */
} Setup;

/* How a sender is paced: @burst datagrams every @tick_ns, or as fast as
 * it can for a @burst of 0. */
typedef struct {
  guint burst;
  gint64 tick_ns;
} Pace;

/* uclient's timer sends at most 50 datagrams per tick (max_num) */
#define BENCH_UCLIENT_BURST 50

enum { COL_BURROW, COL_UCLIENT, COL_RAW, N_COLS };
/* the same pace as uclient, 50 per 1 ms tick (--burst), as fast as possible */
enum {
  ROW_CHANNEL_MATCHED, ROW_SEND_MATCHED,
  ROW_CHANNEL_PACED, ROW_SEND_PACED,
  ROW_CHANNEL_MAX, ROW_SEND_MAX,
  N_ROWS
};

#define BENCH_MAX_ROUNDS 9

typedef struct {
  BenchTurnServer *server;
  BenchPeer *peer;
  gchar *uclient;                 /* turnutils_uclient, or NULL */
  gchar *stdbuf;                  /* stdbuf, or NULL */
  guint64 packets;
  gsize size;
  guint burst;
  guint allocations;
  guint rounds;
  gboolean unpaced;
  gchar *load_before;             /* /proc/loadavg at the start */
  guint8 *payload;
  Throughput relay[BENCH_MAX_ROUNDS][N_ROWS][N_COLS];
  Setup setup[BENCH_MAX_ROUNDS][N_COLS];
} Bench;

void         bench_run_burrow_throughput  (Bench *bench, gboolean channel, const Pace *pace,
                                           Throughput *tp);
void         bench_run_raw_throughput     (Bench *bench, const Pace *pace, Throughput *tp);
void         bench_run_uclient_throughput (Bench *bench, gboolean channel, Throughput *tp);

void         bench_run_burrow_setup       (Bench *bench, Setup *setup);
void         bench_run_raw_setup          (Bench *bench, Setup *setup);
void         bench_run_uclient_setup      (Bench *bench, Setup *setup);

GSubprocess *bench_spawn                  (Bench *bench, GPtrArray *argv, const gchar *log_name,
                                           GError **error);
void         bench_stop_child             (GSubprocess *process);
GPtrArray   *bench_uclient_argv           (Bench *bench, const gchar *prefix);

G_END_DECLS
