/* bench-ice.c: Burrow's ICE agent against libnice 0.1 and plain UDP sockets
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Two agents on 127.0.0.1, host candidates, one stream of one component:
 *   1. time from gather_candidates to READY on both sides;
 *   2. one-way throughput of datagrams, one send call per datagram and
 *      batches through the send_messages_nonblocking calls;
 *   3. CPU time per datagram over that phase;
 *   4. resident memory per agent with many connected pairs alive at once
 *      (measured in a child process per library, so that neither inherits
 *      the other's heap).
 * Prints every measurement, then a table
 * `metric | burrow | libnice | raw UDP | raw UDP GSO`; the last is raw UDP
 * with the kernel features Burrow's batched sends and reads use (UDP_SEGMENT,
 * UDP_GRO), measured in the batched modes only.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "bench-ice.h"

#define N_THROUGHPUT_METRICS 7

/* throughput modes: bit 0 batched, bit 1 with a window */
#define N_MODES 4
#define MODE_BATCHED(m) (((m) & 1) != 0)
#define MODE_WINDOW(m) (((m) & 2) != 0)

typedef struct {
  BenchOptions options;
  gboolean impls[BENCH_N_IMPLS];
  gboolean do_ready, do_throughput, do_memory;
  gboolean do_mode[N_MODES];
  gboolean have_ready[BENCH_N_IMPLS];
  BenchReady ready[BENCH_N_IMPLS];
  gboolean have_tp[N_MODES][BENCH_N_IMPLS];
  BenchThroughput tp[N_MODES][BENCH_N_IMPLS];   /* [mode][impl], medians of the rounds */
  gboolean have_mem[BENCH_N_IMPLS];
  BenchMemory mem[BENCH_N_IMPLS];
} Bench;

/* the names of --libs and --memory-child */
static const gchar *const impl_cli[BENCH_N_IMPLS] = { "burrow", "libnice", "raw", "raw-gso" };

static gboolean
is_raw (BenchImpl impl)
{
  return impl == BENCH_RAW || impl == BENCH_RAW_GSO;
}

static gboolean
parse_impl (const gchar *name, BenchImpl *impl)
{
  guint i;

  for (i = 0; i < BENCH_N_IMPLS; i++) {
    if (g_strcmp0 (name, impl_cli[i]) == 0) {
      *impl = i;
      return TRUE;
    }
  }
  return FALSE;
}

static void
raise_fd_limit (guint needed)
{
  struct rlimit r;

  if (getrlimit (RLIMIT_NOFILE, &r) != 0 || r.rlim_cur >= needed)
    return;
  r.rlim_cur = r.rlim_max == RLIM_INFINITY ? needed : MIN (r.rlim_max, MAX (needed, 4096));
  if (setrlimit (RLIMIT_NOFILE, &r) != 0 || r.rlim_cur < needed)
    g_printerr ("warning: only %lu file descriptors; %u pairs need about %u\n",
        (gulong) r.rlim_cur, needed / 2, needed);
}

static void
print_load (const gchar *when)
{
  g_autofree gchar *load = NULL;

  if (g_file_get_contents ("/proc/loadavg", &load, NULL, NULL))
    g_print ("load average %s: %s", when, load);
}

/* ---- the memory phase, in a child process per library ---- */

static gint
memory_child (const gchar *name, const BenchOptions *options)
{
  g_autoptr(GError) error = NULL;
  BenchMemory m;
  BenchImpl impl;

  if (!parse_impl (name, &impl)) {
    g_printerr ("unknown implementation '%s'\n", name);
    return 2;
  }
  raise_fd_limit (options->pairs * 2 + 64);
  if (!bench_measure_memory (impl, options, &m, &error)) {
    g_printerr ("%s\n", error->message);
    return 1;
  }
  g_print ("memory %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %u %.3f\n", m.rss_before_kb,
      m.rss_after_kb, m.connected, m.connect_s);
  return 0;
}

static gboolean
spawn_memory (BenchImpl impl, const BenchOptions *options, BenchMemory *m, GError **error)
{
  g_autofree gchar *exe = g_file_read_link ("/proc/self/exe", error);
  g_autofree gchar *pairs = g_strdup_printf ("%u", options->pairs);
  g_autofree gchar *timeout = g_strdup_printf ("%u", options->timeout_s);
  g_autofree gchar *ta = g_strdup_printf ("%u", bench_pair_ta_ms);
  g_autoptr(GSubprocess) child = NULL;
  g_autofree gchar *out = NULL;
  const gchar *line;

  if (exe == NULL)
    return FALSE;
  child = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, error, exe, "--memory-child",
      impl_cli[impl], "--pairs", pairs, "--timeout", timeout, "--ta", ta, NULL);
  if (child == NULL || !g_subprocess_communicate_utf8 (child, NULL, NULL, &out, NULL, error))
    return FALSE;
  line = out ? strstr (out, "memory ") : NULL;
  if (!g_subprocess_get_successful (child) || line == NULL ||
      sscanf (line, "memory %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %u %lf", &m->rss_before_kb,
          &m->rss_after_kb, &m->connected, &m->connect_s) != 4) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: the memory child failed",
        bench_impl_names[impl]);
    return FALSE;
  }
  return TRUE;
}

/* ---- the phases ---- */

static void
run_ready (Bench *b)
{
  BenchImpl i;

  for (i = 0; i < BENCH_N_IMPLS; i++) {
    g_autoptr(GError) error = NULL;

    if (!b->impls[i] || is_raw (i))
      continue;
    b->have_ready[i] = bench_measure_ready (i, &b->options, &b->ready[i], &error);
    if (b->have_ready[i])
      g_print ("ready    %-8s median %.2f ms, p90 %.2f ms over %u runs, %u failed\n",
          bench_impl_names[i], b->ready[i].median_ms, b->ready[i].p90_ms, b->options.runs,
          b->ready[i].failed);
    else
      g_print ("ready    %-8s FAILED: %s\n", bench_impl_names[i], error->message);
  }
}

static gdouble *
tp_field (BenchThroughput *t, guint k)
{
  gdouble *fields[N_THROUGHPUT_METRICS] = { &t->recv_pps, &t->send_pps, &t->loss, &t->cpu_us,
    &t->sender_cpu_us, &t->receiver_cpu_us, &t->wakeups };
  return fields[k];
}

static gint
cmp_double (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return x < y ? -1 : x > y;
}

/* every field of @out is the median of that field over the rounds */
static void
median_rounds (BenchThroughput *rounds, guint n, BenchThroughput *out)
{
  guint k, r;

  *out = rounds[n / 2];
  for (k = 0; k < N_THROUGHPUT_METRICS; k++) {
    g_autofree gdouble *v = g_new (gdouble, n);

    for (r = 0; r < n; r++)
      v[r] = *tp_field (&rounds[r], k);
    qsort (v, n, sizeof (gdouble), cmp_double);
    *tp_field (out, k) = v[n / 2];
  }
}

static void
print_tp (const gchar *mode, BenchImpl i, guint round, const BenchThroughput *t)
{
  g_print ("%s | %s | round %u: sent %.0f pkt/s, delivered %" G_GUINT64_FORMAT "/%"
      G_GUINT64_FORMAT " at %.0f pkt/s (%.1f%% lost), %" G_GUINT64_FORMAT " retried sends; "
      "CPU %.2f us/pkt (sender %.2f, receiver %.2f, %.1f wake-ups/100 pkt)\n", mode,
      bench_impl_names[i], round, t->send_pps, t->delivered, t->sent, t->recv_pps, t->loss,
      t->would_block, t->cpu_us, t->sender_cpu_us, t->receiver_cpu_us, t->wakeups);
}

static gchar *
mode_name (const BenchOptions *o, guint mode)
{
  g_autofree gchar *how = MODE_BATCHED (mode) ? g_strdup_printf ("batch%u", o->batch) :
      g_strdup ("send");

  return MODE_WINDOW (mode) ? g_strdup_printf ("%s w%u", how, o->window) :
      g_steal_pointer (&how);
}

/* rounds interleave the implementations, so that a slow patch of the
 * machine hurts all of them */
static void
run_mode (Bench *b, guint mode)
{
  guint r, n = b->options.rounds;
  g_autofree BenchThroughput *rounds = g_new0 (BenchThroughput, n * BENCH_N_IMPLS);
  g_autofree gchar *name = mode_name (&b->options, mode);
  guint done[BENCH_N_IMPLS] = { 0 };
  BenchImpl i;

  for (r = 0; r < n; r++) {
    for (i = 0; i < BENCH_N_IMPLS; i++) {
      g_autoptr(GError) error = NULL;
      BenchThroughput *t = &rounds[i * n + done[i]];

      /* one datagram per call: raw UDP GSO would be raw UDP */
      if (!b->impls[i] || (i == BENCH_RAW_GSO && !MODE_BATCHED (mode)))
        continue;
      if (!bench_measure_throughput (i, MODE_BATCHED (mode),
              MODE_WINDOW (mode) ? b->options.window : 0, &b->options, t, &error)) {
        g_print ("%s | %s | round %u FAILED: %s\n", name, bench_impl_names[i], r + 1,
            error->message);
        continue;
      }
      print_tp (name, i, r + 1, t);
      done[i]++;
    }
  }
  for (i = 0; i < BENCH_N_IMPLS; i++) {
    b->have_tp[mode][i] = done[i] > 0;
    if (done[i] > 0)
      median_rounds (&rounds[i * n], done[i], &b->tp[mode][i]);
  }
}

static void
run_throughput (Bench *b)
{
  guint mode;

  for (mode = 0; mode < N_MODES; mode++)
    if (b->do_mode[mode])
      run_mode (b, mode);
}

static void
run_memory (Bench *b)
{
  BenchImpl i;

  for (i = 0; i < BENCH_N_IMPLS; i++) {
    g_autoptr(GError) error = NULL;
    BenchMemory *m = &b->mem[i];

    if (!b->impls[i] || is_raw (i))
      continue;
    b->have_mem[i] = spawn_memory (i, &b->options, m, &error);
    if (b->have_mem[i])
      g_print ("memory   %-8s RSS %" G_GINT64_FORMAT " -> %" G_GINT64_FORMAT " KiB with %u/%u "
          "pairs connected in %.2f s: %.1f KiB per agent\n", bench_impl_names[i],
          m->rss_before_kb, m->rss_after_kb, m->connected, b->options.pairs, m->connect_s,
          (m->rss_after_kb - m->rss_before_kb) / (2.0 * b->options.pairs));
    else
      g_print ("memory   %-8s FAILED: %s\n", bench_impl_names[i], error->message);
  }
}

/* ---- the table ---- */

static void
row (const gchar *metric, const gboolean *have, const gdouble *v, gint digits)
{
  BenchImpl i;

  g_print ("| %-44s |", metric);
  for (i = 0; i < BENCH_N_IMPLS; i++) {
    g_autofree gchar *cell = have[i] ? g_strdup_printf ("%.*f", digits, v[i]) : g_strdup ("-");

    g_print (" %12s |", cell);
  }
  g_print ("\n");
}

static void
print_ready_rows (Bench *b)
{
  gdouble v[BENCH_N_IMPLS];
  BenchImpl i;

  for (i = 0; i < BENCH_N_IMPLS; i++)
    v[i] = b->ready[i].median_ms;
  row ("time to READY, median (ms)", b->have_ready, v, 2);
  for (i = 0; i < BENCH_N_IMPLS; i++)
    v[i] = b->ready[i].p90_ms;
  row ("time to READY, p90 (ms)", b->have_ready, v, 2);
  for (i = 0; i < BENCH_N_IMPLS; i++)
    v[i] = b->ready[i].failed;
  row ("time to READY, runs failed", b->have_ready, v, 0);
}

static void
print_tp_rows (Bench *b, guint mode)
{
  static const gchar *const names[N_THROUGHPUT_METRICS] = {
    "delivered (pkt/s)", "sent (pkt/s)", "loss (%)", "CPU/delivered pkt (us)",
    "sender CPU/sent pkt (us)", "receiver CPU/pkt (us)", "receiver wake-ups/100 pkt" };
  static const gint digits[N_THROUGHPUT_METRICS] = { 0, 0, 1, 2, 2, 2, 1 };
  guint k;
  BenchImpl i;

  for (k = 0; k < N_THROUGHPUT_METRICS; k++) {
    g_autofree gchar *how = mode_name (&b->options, mode);
    g_autofree gchar *metric = g_strdup_printf ("%s: %s", how, names[k]);
    gdouble v[BENCH_N_IMPLS];

    for (i = 0; i < BENCH_N_IMPLS; i++)
      v[i] = *tp_field (&b->tp[mode][i], k);
    row (metric, b->have_tp[mode], v, digits[k]);
  }
}

static void
print_mem_rows (Bench *b)
{
  g_autofree gchar *per = g_strdup_printf ("RSS per agent, %u pairs (KiB)", b->options.pairs);
  g_autofree gchar *time = g_strdup_printf ("time to connect %u pairs (s)", b->options.pairs);
  gdouble v[BENCH_N_IMPLS];
  BenchImpl i;

  for (i = 0; i < BENCH_N_IMPLS; i++)
    v[i] = (b->mem[i].rss_after_kb - b->mem[i].rss_before_kb) / (2.0 * b->options.pairs);
  row (per, b->have_mem, v, 1);
  for (i = 0; i < BENCH_N_IMPLS; i++)
    v[i] = b->mem[i].connected;
  row ("pairs connected", b->have_mem, v, 0);
  for (i = 0; i < BENCH_N_IMPLS; i++)
    v[i] = b->mem[i].connect_s;
  row (time, b->have_mem, v, 2);
}

static void
print_targets (Bench *b)
{
  guint mode;

  g_print ("\nTargets (burrow against the others):\n");
  for (mode = 0; mode < N_MODES; mode++) {
    BenchThroughput *t = b->tp[mode];
    gboolean *have = b->have_tp[mode];
    g_autofree gchar *name = mode_name (&b->options, mode);

    /* the ceiling is the raw column with the same kernel features */
    if (have[BENCH_BURROW] && (have[BENCH_RAW] || have[BENCH_RAW_GSO])) {
      g_autoptr(GString) line = g_string_new (NULL);
      BenchImpl i;

      for (i = BENCH_RAW; i <= BENCH_RAW_GSO; i++)
        if (have[i])
          g_string_append_printf (line, "%s%.0f%% of %s", line->len ? ", " : "",
              100.0 * t[BENCH_BURROW].recv_pps / t[i].recv_pps, bench_impl_names[i]);
      g_print ("  %s: throughput %s (target >= 90%% of %s)\n", name, line->str,
          bench_impl_names[MODE_BATCHED (mode) ? BENCH_RAW_GSO : BENCH_RAW]);
    }
    if (b->have_tp[mode][BENCH_BURROW] && b->have_tp[mode][BENCH_LIBNICE])
      g_print ("  %s: throughput %.2fx libnice's (target >= 2x)\n", name,
          t[BENCH_BURROW].recv_pps / t[BENCH_LIBNICE].recv_pps);
  }
  if (b->have_ready[BENCH_BURROW] && b->have_ready[BENCH_LIBNICE])
    g_print ("  time to READY (median): %.2f ms against libnice's %.2f ms (target <=)\n",
        b->ready[BENCH_BURROW].median_ms, b->ready[BENCH_LIBNICE].median_ms);
  if (b->have_mem[BENCH_BURROW] && b->have_mem[BENCH_LIBNICE])
    g_print ("  memory per agent: %.1f KiB against libnice's %.1f KiB (target <=)\n",
        (b->mem[0].rss_after_kb - b->mem[0].rss_before_kb) / (2.0 * b->options.pairs),
        (b->mem[1].rss_after_kb - b->mem[1].rss_before_kb) / (2.0 * b->options.pairs));
}

static void
print_table (Bench *b)
{
  BenchImpl i;

  g_print ("\n| %-44s |", "metric");
  for (i = 0; i < BENCH_N_IMPLS; i++)
    g_print (" %12s |", bench_impl_names[i]);
  g_print ("\n|----------------------------------------------|--------------|--------------|"
      "--------------|--------------|\n");
  if (b->do_ready)
    print_ready_rows (b);
  if (b->do_throughput) {
    guint mode;

    for (mode = 0; mode < N_MODES; mode++)
      if (b->do_mode[mode])
        print_tp_rows (b, mode);
  }
  if (b->do_memory)
    print_mem_rows (b);
  print_targets (b);
}

/* ---- options ---- */

/* "throughput" or one of the modes; FALSE if @name is neither */
static gboolean
parse_mode (Bench *b, const gchar *name)
{
  static const gchar *const modes[N_MODES] = { "send", "batch", "send-window", "batch-window" };
  gboolean all = g_str_equal (name, "throughput"), found = all;
  guint mode;

  for (mode = 0; mode < N_MODES; mode++) {
    if (all || g_str_equal (name, modes[mode])) {
      found = TRUE;
      if (!MODE_WINDOW (mode) || b->options.window > 0)
        b->do_mode[mode] = b->do_throughput = TRUE;
    }
  }
  return found;
}

static gboolean
parse_lists (Bench *b, const gchar *phases, const gchar *libs, GError **error)
{
  g_auto(GStrv) p = g_strsplit (phases, ",", -1);
  g_auto(GStrv) l = g_strsplit (libs, ",", -1);
  guint k;

  for (k = 0; p[k]; k++) {
    if (g_str_equal (p[k], "ready"))
      b->do_ready = TRUE;
    else if (parse_mode (b, p[k]))
      ;
    else if (g_str_equal (p[k], "memory"))
      b->do_memory = TRUE;
    else
      return g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
          "unknown phase '%s'", p[k]), FALSE;
  }
  for (k = 0; l[k]; k++) {
    BenchImpl impl;

    if (!parse_impl (l[k], &impl))
      return g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
          "unknown implementation '%s'", l[k]), FALSE;
    b->impls[impl] = TRUE;
  }
  return TRUE;
}

static gboolean
parse_options (Bench *b, gint *argc, gchar ***argv, gchar **memory_child, GError **error)
{
  g_autofree gchar *phases = g_strdup ("ready,throughput,memory");
  g_autofree gchar *libs = g_strdup ("burrow,libnice,raw,raw-gso");
  BenchOptions *o = &b->options;
  GOptionEntry entries[] = {
    { "runs", 0, 0, G_OPTION_ARG_INT, &o->runs, "Pairs connected for time to READY (50)", "N" },
    { "packets", 0, 0, G_OPTION_ARG_INT, &o->packets, "Datagrams per throughput run (200000)",
      "N" },
    { "size", 0, 0, G_OPTION_ARG_INT, &o->size, "Datagram size in bytes (1200)", "BYTES" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &o->batch, "Datagrams per batched send (32)", "N" },
    { "window", 0, 0, G_OPTION_ARG_INT, &o->window,
      "Also measure with at most N datagrams in flight; 0: only as fast as possible (64)", "N" },
    { "rounds", 0, 0, G_OPTION_ARG_INT, &o->rounds, "Throughput rounds, median kept (3)", "N" },
    { "pairs", 0, 0, G_OPTION_ARG_INT, &o->pairs, "Pairs alive for memory (1000)", "N" },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &o->timeout_s, "Seconds to wait for READY (30)", "S" },
    { "ta", 0, 0, G_OPTION_ARG_INT, &bench_pair_ta_ms,
      "Set stun-pacing-timer (Ta) on both libraries' agents; 0: their default", "MS" },
    { "phases", 0, 0, G_OPTION_ARG_STRING, &phases,
      "Comma-separated: ready, throughput (or some of send, batch, send-window, "
      "batch-window), memory", "LIST" },
    { "libs", 0, 0, G_OPTION_ARG_STRING, &libs, "Comma-separated: burrow,libnice,raw,raw-gso",
      "LIST" },
    { "memory-child", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, memory_child, NULL, NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- Burrow's ICE agent against "
      "libnice and plain UDP on loopback");

  *o = (BenchOptions) { .runs = 50, .packets = 200000, .size = 1200, .batch = 32, .window = 64,
    .rounds = 3, .pairs = 1000, .timeout_s = 30 };
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, argc, argv, error))
    return FALSE;
  if ((gint) o->runs < 1 || (gint) o->packets < 1 || o->size < 20 || o->size > 65000 ||
      (gint) o->batch < 1 || (gint) o->window < 0 || (gint) o->rounds < 1 || (gint) o->pairs < 1 ||
      (gint) o->timeout_s < 1) {
    g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "counts must be positive, --size between 20 and 65000");
    return FALSE;
  }
  return parse_lists (b, phases, libs, error);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *memory_child_impl = NULL;
  Bench b = { 0 };
  BenchImpl i;

  if (!parse_options (&b, &argc, &argv, &memory_child_impl, &error)) {
    g_printerr ("%s\n", error->message);
    return 2;
  }
  if (memory_child_impl)
    return memory_child (memory_child_impl, &b.options);
  for (i = 0; i < BENCH_N_IMPLS; i++) {
    g_autofree gchar *d = NULL;

    if (!b.impls[i])
      continue;
    d = bench_pair_describe (i);
    g_print ("%s\n", d);
  }
  g_print ("%u-byte datagrams over 127.0.0.1; receiver: the library's attach_recv callback "
      "on its own thread's GMainContext\n", b.options.size);
  print_load ("before");
  if (b.do_ready)
    run_ready (&b);
  if (b.do_throughput)
    run_throughput (&b);
  if (b.do_memory)
    run_memory (&b);
  print_load ("after");
  print_table (&b);
  return 0;
}
