/* bench-turn.c: Burrow's TURN client beside coturn's own client
 * (turnutils_uclient) and raw UDP, through one coturn on loopback, in one run
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * bench-turn-relay.c measures relay throughput, bench-turn-setup.c how fast
 * requests get answered; this file runs them and prints the table.
 */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <burrow/burrow.h>

#include "bench-turn.h"

static gint opt_packets = 30000;
static gint opt_size = 1200;
static gint opt_burst = 50;
static gint opt_allocations = 200;
static gint opt_rounds = 3;
static gboolean opt_no_uclient;
static gboolean opt_no_max;

static GOptionEntry entries[] = {
  { "packets", 'n', 0, G_OPTION_ARG_INT, &opt_packets,
    "Datagrams per throughput run (default 30000)", "N" },
  { "size", 'l', 0, G_OPTION_ARG_INT, &opt_size,
    "Payload bytes per datagram (default 1200)", "BYTES" },
  { "burst", 'b', 0, G_OPTION_ARG_INT, &opt_burst,
    "Datagrams per 1 ms tick in the runs paced by the millisecond (default 50)", "N" },
  { "allocations", 'a', 0, G_OPTION_ARG_INT, &opt_allocations,
    "Burrow allocate+release cycles and uclient clients in the setup runs (default 200)", "N" },
  { "rounds", 'r', 0, G_OPTION_ARG_INT, &opt_rounds,
    "Rounds of every run; the table shows the median (default 3)", "N" },
  { "no-uclient", 0, 0, G_OPTION_ARG_NONE, &opt_no_uclient, "Leave out turnutils_uclient", NULL },
  { "no-max", 0, 0, G_OPTION_ARG_NONE, &opt_no_max, "Leave out the unpaced runs", NULL },
  { NULL }
};

static const gchar *col_names[N_COLS] = { "burrow", "turnutils_uclient", "raw UDP" };

/* ---- running ---- */

/* Datagrams per second at the peer, from the first arrival to the last. */
static gdouble
delivered_pps (const Throughput *tp)
{
  gint64 span = tp->count.last_us - tp->count.first_us;

  return span > 0 && tp->count.packets > 1 ? (tp->count.packets - 1) * 1e6 / span : 0;
}

/* Answered requests per second. */
static gdouble
setup_rate (const Setup *setup)
{
  return setup->elapsed_us > 0 ? setup->transactions * 1e6 / setup->elapsed_us : 0;
}

static void
report_throughput (const gchar *what, const Throughput *tp)
{
  if (tp->ran)
    g_print ("  %-40s %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " arrived in %.3f s, "
        "%.0f/s%s%s\n", what, tp->count.packets, tp->sent,
        (tp->count.last_us - tp->count.first_us) / 1e6, delivered_pps (tp),
        tp->failure ? "; " : "", tp->failure ? tp->failure : "");
  else
    g_print ("  %-40s failed: %s\n", what, tp->failure);
  fflush (stdout);
}

static void
report_setup (const gchar *what, const Setup *setup)
{
  if (setup->ran)
    g_print ("  %-40s %" G_GUINT64_FORMAT " transactions in %.3f s, %.0f/s%s%s\n", what,
        setup->transactions, setup->elapsed_us / 1e6, setup_rate (setup),
        setup->failure ? "; " : "", setup->failure ? setup->failure : "");
  else
    g_print ("  %-40s failed: %s\n", what, setup->failure);
  fflush (stdout);
}

static void
copy_raw (Throughput (*r)[N_COLS], guint from, guint to)
{
  r[to][COL_RAW] = r[from][COL_RAW];
  r[to][COL_RAW].failure = g_strdup (r[from][COL_RAW].failure);
}

/* uclient at its own pace, then Burrow and raw UDP at the pace uclient
 * kept: 50 datagrams per tick, ticks as far apart as uclient's were. */
static void
run_matched (Bench *bench, Throughput (*r)[N_COLS])
{
  Throughput *uc = &r[ROW_CHANNEL_MATCHED][COL_UCLIENT];
  Pace pace = { BENCH_UCLIENT_BURST, 0 };

  bench_run_uclient_throughput (bench, TRUE, uc);
  report_throughput ("uclient ChannelData, -z 0", uc);
  if (!uc->ran || delivered_pps (uc) <= 0)
    return;
  pace.tick_ns = (gint64) (BENCH_UCLIENT_BURST * 1e9 / delivered_pps (uc));
  bench_run_raw_throughput (bench, &pace, &r[ROW_CHANNEL_MATCHED][COL_RAW]);
  report_throughput ("raw UDP, uclient's pace", &r[ROW_CHANNEL_MATCHED][COL_RAW]);
  copy_raw (r, ROW_CHANNEL_MATCHED, ROW_SEND_MATCHED);
  bench_run_burrow_throughput (bench, TRUE, &pace, &r[ROW_CHANNEL_MATCHED][COL_BURROW]);
  report_throughput ("burrow ChannelData, uclient's pace", &r[ROW_CHANNEL_MATCHED][COL_BURROW]);
  bench_run_uclient_throughput (bench, FALSE, &r[ROW_SEND_MATCHED][COL_UCLIENT]);
  report_throughput ("uclient Send indication, -z 0 -s", &r[ROW_SEND_MATCHED][COL_UCLIENT]);
  bench_run_burrow_throughput (bench, FALSE, &pace, &r[ROW_SEND_MATCHED][COL_BURROW]);
  report_throughput ("burrow Send indication, uclient's pace", &r[ROW_SEND_MATCHED][COL_BURROW]);
}

/* Burrow and raw UDP at one pace; uclient cannot keep it. */
static void
run_paced (Bench *bench, Throughput (*r)[N_COLS], guint channel_row, guint send_row,
    const Pace *pace, const gchar *label)
{
  g_autofree gchar *raw = g_strdup_printf ("raw UDP, %s", label);
  g_autofree gchar *channel = g_strdup_printf ("burrow ChannelData, %s", label);
  g_autofree gchar *send = g_strdup_printf ("burrow Send indication, %s", label);

  r[channel_row][COL_UCLIENT].not_applicable = TRUE;
  r[send_row][COL_UCLIENT].not_applicable = TRUE;
  bench_run_raw_throughput (bench, pace, &r[channel_row][COL_RAW]);
  report_throughput (raw, &r[channel_row][COL_RAW]);
  copy_raw (r, channel_row, send_row);
  bench_run_burrow_throughput (bench, TRUE, pace, &r[channel_row][COL_BURROW]);
  report_throughput (channel, &r[channel_row][COL_BURROW]);
  bench_run_burrow_throughput (bench, FALSE, pace, &r[send_row][COL_BURROW]);
  report_throughput (send, &r[send_row][COL_BURROW]);
}

static void
run_relay (Bench *bench, guint round)
{
  Throughput (*r)[N_COLS] = bench->relay[round];
  Pace ms = { bench->burst, 1000000 };
  Pace unpaced = { 0, 0 };
  g_autofree gchar *label = g_strdup_printf ("%u per ms", bench->burst);

  if (bench->uclient)
    run_matched (bench, r);
  run_paced (bench, r, ROW_CHANNEL_PACED, ROW_SEND_PACED, &ms, label);
  if (bench->unpaced)
    run_paced (bench, r, ROW_CHANNEL_MAX, ROW_SEND_MAX, &unpaced, "unpaced");
}

/* A fresh coturn for each set-up round: uclient leaves allocations behind
 * (it never releases its probe allocation, and it is stopped), and a new
 * socket that the kernel gives one of their ports gets a 437. */
static gboolean
restart_server (Bench *bench)
{
  g_autoptr(GError) error = NULL;

  bench_turn_server_stop (bench->server);
  bench->server = bench_turn_server_start (&error);
  if (bench->server == NULL)
    g_print ("  coturn did not start again: %s\n", error->message);
  return bench->server != NULL;
}

static void
run_setup (Bench *bench, guint round)
{
  Setup *setup = bench->setup[round];

  if (!restart_server (bench))
    return;
  bench_run_raw_setup (bench, &setup[COL_RAW]);
  report_setup ("raw STUN Binding", &setup[COL_RAW]);
  bench_run_burrow_setup (bench, &setup[COL_BURROW]);
  report_setup ("burrow allocate+release", &setup[COL_BURROW]);
  if (bench->uclient && bench->stdbuf) {
    bench_run_uclient_setup (bench, &setup[COL_UCLIENT]);
    report_setup ("uclient client set-up", &setup[COL_UCLIENT]);
  } else if (bench->uclient) {
    setup[COL_UCLIENT].failure = g_strdup ("stdbuf is not installed");
  }
}

static void
run_all (Bench *bench)
{
  guint round;

  for (round = 0; round < bench->rounds; round++) {
    g_print ("relay throughput, round %u of %u\n", round + 1, bench->rounds);
    run_relay (bench, round);
  }
  for (round = 0; round < bench->rounds && bench->server; round++) {
    g_print ("setup, round %u of %u\n", round + 1, bench->rounds);
    run_setup (bench, round);
  }
}

/* ---- the table ---- */

typedef gchar *(*ThroughputCell) (const Bench *bench, const Throughput *tp);

static gchar *
cell_pps (const Bench *bench, const Throughput *tp)
{
  return g_strdup_printf ("%.0f", delivered_pps (tp));
}

static gchar *
cell_mbps (const Bench *bench, const Throughput *tp)
{
  return g_strdup_printf ("%.1f", delivered_pps (tp) * bench->size * 8 / 1e6);
}

static gchar *
cell_loss (const Bench *bench, const Throughput *tp)
{
  guint64 lost = tp->sent > tp->count.packets ? tp->sent - tp->count.packets : 0;

  return g_strdup_printf ("%.2f", tp->sent ? 100.0 * lost / tp->sent : 0);
}

static gchar *
cell_cpu (const Bench *bench, const Throughput *tp)
{
  return g_strdup_printf ("%.2f", tp->sent ? tp->cpu_ns / 1e3 / tp->sent : 0);
}

/* The round with the median delivered rate, of those that ran. */
static const Throughput *
median_throughput (const Bench *bench, guint row, guint col)
{
  const Throughput *ran[BENCH_MAX_ROUNDS];
  guint n = 0, i, j;

  for (i = 0; i < bench->rounds; i++) {
    const Throughput *tp = &bench->relay[i][row][col];

    if (!tp->ran)
      continue;
    for (j = n++; j > 0 && delivered_pps (ran[j - 1]) > delivered_pps (tp); j--)
      ran[j] = ran[j - 1];
    ran[j] = tp;
  }
  return n ? ran[(n - 1) / 2] : &bench->relay[0][row][col];
}

/* The round with the median transaction rate, of those that ran. */
static const Setup *
median_setup (const Bench *bench, guint col)
{
  const Setup *ran[BENCH_MAX_ROUNDS];
  guint n = 0, i, j;

  for (i = 0; i < bench->rounds; i++) {
    const Setup *setup = &bench->setup[i][col];

    if (!setup->ran)
      continue;
    for (j = n++; j > 0 && setup_rate (ran[j - 1]) > setup_rate (setup); j--)
      ran[j] = ran[j - 1];
    ran[j] = setup;
  }
  return n ? ran[(n - 1) / 2] : &bench->setup[0][col];
}

#define METRIC_WIDTH 51

static void
print_row (const gchar *metric, gchar *cells[N_COLS])
{
  guint col;

  g_print ("%-" G_STRINGIFY (METRIC_WIDTH) "s", metric);
  for (col = 0; col < N_COLS; col++) {
    g_print (" | %17s", cells[col]);
    g_free (cells[col]);
  }
  g_print ("\n");
}

static void
print_relay_rows (const Bench *bench, guint row, const gchar *label)
{
  static const struct { const gchar *name; ThroughputCell cell; } metrics[] = {
    { "delivered pkt/s", cell_pps },
    { "delivered Mbit/s", cell_mbps },
    { "loss %", cell_loss },
    { "sender CPU us/pkt", cell_cpu },
  };
  guint m, col;

  for (m = 0; m < G_N_ELEMENTS (metrics); m++) {
    g_autofree gchar *metric = g_strdup_printf ("%s: %s", label, metrics[m].name);
    gchar *cells[N_COLS];

    for (col = 0; col < N_COLS; col++) {
      const Throughput *tp = median_throughput (bench, row, col);

      if (tp->not_applicable)
        cells[col] = g_strdup ("n/a");
      else if (!tp->ran)
        cells[col] = g_strdup (tp->failure ? "failed" : "-");
      else
        cells[col] = metrics[m].cell (bench, tp);
    }
    print_row (metric, cells);
  }
}

static void
print_setup_rows (const Bench *bench)
{
  gchar *tps[N_COLS], *us[N_COLS], *allocs[N_COLS], *mismatches[N_COLS];
  guint col;

  for (col = 0; col < N_COLS; col++) {
    const Setup *s = median_setup (bench, col);
    gdouble seconds = s->elapsed_us / 1e6;

    if (!s->ran) {
      tps[col] = g_strdup (s->failure ? "failed" : "-");
      us[col] = g_strdup (tps[col]);
      allocs[col] = g_strdup (tps[col]);
      mismatches[col] = g_strdup (tps[col]);
      continue;
    }
    tps[col] = g_strdup_printf ("%.0f", s->transactions / seconds);
    us[col] = g_strdup_printf ("%.1f", (gdouble) s->elapsed_us / s->transactions);
    allocs[col] = col == COL_RAW ? g_strdup ("n/a") :
        g_strdup_printf ("%.0f", s->allocations / seconds);
    mismatches[col] = col == COL_RAW ? g_strdup ("n/a") :
        g_strdup_printf ("%" G_GUINT64_FORMAT, s->mismatches);
  }
  print_row ("setup: transactions/s, one at a time", tps);
  print_row ("setup: us per transaction", us);
  print_row ("setup: allocations/s (see notes)", allocs);
  print_row ("setup: 437 answers, retried", mismatches);
}

static void
print_uclient_pace (const Bench *bench)
{
  const Throughput *tp = median_throughput (bench, ROW_CHANNEL_MATCHED, COL_UCLIENT);
  gdouble pps = delivered_pps (tp);

  if (!tp->ran || pps <= 0)
    return;
  g_print ("- uclient's timer ticked every %.1f ms here (50 datagrams a tick, %.0f/s): its\n"
      "  pkt/s is its own pace, not a relay limit. At that pace compare the sender CPU.\n",
      BENCH_UCLIENT_BURST * 1000.0 / pps, pps);
}

static void
print_relay_notes (const Bench *bench)
{
  g_print ("\nNotes:\n"
      "- Each cell is the round with the median delivered pkt/s or transactions/s of %u\n"
      "  rounds; every run is listed above. The load average is printed because the\n"
      "  numbers are only as quiet as the machine.\n"
      "- Relay rows: one allocation over UDP sends %" G_GUINT64_FORMAT " datagrams of %"
      G_GSIZE_FORMAT " bytes to one\n"
      "  peer, a UDP socket in this process. Delivered pkt/s is what reached the peer,\n"
      "  from the first to the last arrival; Mbit/s is payload only; loss is 1 - arrived/\n"
      "  sent. uclient -z 0 sends 50 datagrams per tick of its 1 ms timer and cannot be\n"
      "  made faster with one allocation. \"uclient's pace\": Burrow and raw UDP send 50\n"
      "  per tick with the tick uclient kept in the same round. \"%u per ms\": 1 ms ticks,\n"
      "  which uclient does not keep (n/a). \"unpaced\": as fast as the sender can.\n"
      "- Sender CPU is the CPU time of the sending thread (Burrow, raw) or process\n"
      "  (uclient) from the first arrival at the peer to the end of sending, per datagram.\n"
      "- Raw UDP sends the same datagrams straight to the peer without coturn: the ceiling.\n"
      "  Unpaced, coturn cannot keep up and drops: those rows measure coturn with the\n"
      "  sender competing for the same CPUs, and the sender's cost per datagram.\n"
      "- uclient is stopped once the peer has all its datagrams (or none came for 0.5 s):\n"
      "  it would wait 10 s for echoes otherwise; its own summary is not used, because its\n"
      "  times are whole seconds and include a random 1-6 s start delay.\n",
      bench->rounds, bench->packets, bench->size, bench->burst);
  print_uclient_pace (bench);
}

static void
print_setup_notes (const Bench *bench)
{
  const Setup *uc = median_setup (bench, COL_UCLIENT);

  g_print ("- Setup rows: requests answered one after the other. Burrow: %u allocate+release\n"
      "  cycles with a fresh client, 3 transactions each (Allocate -> 401, Allocate,\n"
      "  Refresh 0). uclient: %u clients (-m), 10 transactions each (a probe and a real\n"
      "  allocation with Allocate -> 401, Allocate, Refresh, then 4 ChannelBinds), timed\n"
      "  from its -v output; its allocations/s counts both allocations but its time also\n"
      "  holds the ChannelBinds, so compare transactions/s. Raw: STUN Binding requests\n"
      "  (no authentication) on a plain socket, the floor of one transaction.\n",
      bench->allocations, bench->allocations);
  g_print ("- Each set-up round starts a fresh coturn. A 437 (Allocation Mismatch) answers\n"
      "  a new socket that the kernel gave the port of a session coturn still holds: for a\n"
      "  second or two after a release, for the whole lifetime of an allocation nobody\n"
      "  released (uclient abandons its probe allocation). uclient then sleeps 1 s and\n"
      "  retries from a new socket; Burrow reports the 437, and the benchmark retries at\n"
      "  once from a new client.\n");
  if (uc->ran && uc->elapsed_us > uc->pause_us + uc->stall_us)
    g_print ("- uclient slept %.3f s between clients (234 us each) and %.3f s after 437s:\n"
        "  without those sleeps its rate would be %.0f transactions/s.\n",
        uc->pause_us / 1e6, uc->stall_us / 1e6,
        uc->transactions / ((uc->elapsed_us - uc->pause_us - uc->stall_us) / 1e6));
}

static gchar *
load_average (void)
{
  g_autofree gchar *contents = NULL;
  g_auto(GStrv) fields = NULL;

  if (!g_file_get_contents ("/proc/loadavg", &contents, NULL, NULL))
    return g_strdup ("?");
  fields = g_strsplit (contents, " ", 4);
  if (g_strv_length (fields) < 3)
    return g_strdup ("?");
  return g_strjoin (" ", fields[0], fields[1], fields[2], NULL);
}

static void
print_header (const Bench *bench)
{
  g_autofree gchar *version = NULL;
  g_autofree gchar *load = load_average ();
  struct utsname un;

  if (!g_spawn_command_line_sync ("turnserver --version", &version, NULL, NULL, NULL) ||
      version == NULL)
    version = g_strdup ("?");
  g_strstrip (version);
  uname (&un);
  g_print ("\nTURN relay benchmark: coturn %s on 127.0.0.1:%u, %u CPUs, Linux %s\n",
      version, bench->server->port, g_get_num_processors (), un.release);
  g_print ("load average before: %s, after: %s\n\n", bench->load_before, load);
}

static void
print_table (const Bench *bench)
{
  g_autofree gchar *channel_label = g_strdup_printf ("ChannelData, %u per ms", bench->burst);
  g_autofree gchar *send_label = g_strdup_printf ("Send indication, %u per ms", bench->burst);
  gchar *names[N_COLS];
  guint col;

  print_header (bench);
  for (col = 0; col < N_COLS; col++)
    names[col] = g_strdup (col_names[col]);
  print_row ("metric", names);
  for (col = 0; col < METRIC_WIDTH + N_COLS * 20; col++)
    g_print ("%c", col >= METRIC_WIDTH && (col - METRIC_WIDTH) % 20 == 1 ? '+' : '-');
  g_print ("\n");
  if (bench->uclient) {
    print_relay_rows (bench, ROW_CHANNEL_MATCHED, "ChannelData, uclient's pace");
    print_relay_rows (bench, ROW_SEND_MATCHED, "Send indication, uclient's pace");
  }
  print_relay_rows (bench, ROW_CHANNEL_PACED, channel_label);
  print_relay_rows (bench, ROW_SEND_PACED, send_label);
  if (bench->unpaced) {
    print_relay_rows (bench, ROW_CHANNEL_MAX, "ChannelData, unpaced");
    print_relay_rows (bench, ROW_SEND_MAX, "Send indication, unpaced");
  }
  print_setup_rows (bench);
  print_relay_notes (bench);
  print_setup_notes (bench);
}

/* ---- main ---- */

static void
bench_clear (Bench *bench)
{
  guint round, row, col;

  for (round = 0; round < BENCH_MAX_ROUNDS; round++) {
    for (row = 0; row < N_ROWS; row++)
      for (col = 0; col < N_COLS; col++)
        g_free (bench->relay[round][row][col].failure);
    for (col = 0; col < N_COLS; col++)
      g_free (bench->setup[round][col].failure);
  }
  bench_peer_free (bench->peer);
  bench_turn_server_stop (bench->server);
  g_free (bench->uclient);
  g_free (bench->stdbuf);
  g_free (bench->payload);
  g_free (bench->load_before);
}

static gboolean
parse_options (int *argc, char ***argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new ("- benchmark the TURN client");
  g_autoptr(GError) error = NULL;

  g_option_context_set_summary (context,
      "Starts coturn on loopback and measures relay throughput and allocation rate of\n"
      "Burrow's TURN client beside turnutils_uclient and raw UDP, in one run.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, argc, argv, &error)) {
    g_printerr ("burrow-bench-turn: %s\n", error->message);
    return FALSE;
  }
  if (opt_packets < 2 || opt_size < 16 || opt_size > 60000 || opt_burst < 1 ||
      opt_allocations < 1 || opt_rounds < 1 || opt_rounds > BENCH_MAX_ROUNDS) {
    g_printerr ("burrow-bench-turn: --packets must be at least 2, --size 16..60000, "
        "--burst and --allocations at least 1, --rounds 1..%d\n", BENCH_MAX_ROUNDS);
    return FALSE;
  }
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  Bench bench = { NULL, };

  if (!parse_options (&argc, &argv))
    return 2;
  bench.packets = (guint64) opt_packets;
  bench.size = (gsize) opt_size;
  bench.burst = (guint) opt_burst;
  bench.allocations = (guint) opt_allocations;
  bench.rounds = (guint) opt_rounds;
  bench.load_before = load_average ();
  bench.unpaced = !opt_no_max;
  bench.payload = g_malloc (bench.size);
  memset (bench.payload, 7, bench.size);
  bench.uclient = opt_no_uclient ? NULL : bench_find_program ("turnutils_uclient");
  bench.stdbuf = bench_find_program ("stdbuf");
  if (!opt_no_uclient && bench.uclient == NULL)
    g_printerr ("burrow-bench-turn: turnutils_uclient is not installed; leaving it out\n");

  bench.server = bench_turn_server_start (&error);
  bench.peer = bench.server ? bench_peer_new (&error) : NULL;
  if (bench.peer == NULL) {
    g_printerr ("burrow-bench-turn: %s\n", error->message);
    bench_clear (&bench);
    return 1;
  }
  g_print ("coturn on 127.0.0.1:%u, peer on 127.0.0.1:%u%s%s\n", bench.server->port,
      bench_peer_get_port (bench.peer), g_getenv ("BENCH_KEEP_LOGS") ? ", coturn log in " : "",
      g_getenv ("BENCH_KEEP_LOGS") ? bench.server->dir : "");
  run_all (&bench);
  print_table (&bench);
  bench_clear (&bench);
  return 0;
}
