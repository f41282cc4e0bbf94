/* bench-turn-setup.c: how fast Burrow, turnutils_uclient and a raw socket
 * get requests answered by coturn, one after the other
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Burrow: allocate + release cycles, each with a fresh client, so each is
 * three transactions: Allocate (answered 401 with the nonce), Allocate
 * again with credentials, Refresh with lifetime 0. A 437 is retried with a
 * new client, as uclient does, and counted: coturn keeps a session's
 * 5-tuple for a second or two after its allocation is released (and for
 * the whole lifetime of one that is not, like uclient's probes), and the
 * kernel may give a new socket that port.
 *
 * uclient has no allocate-only mode. Its set-up of one client (-m N) is ten
 * transactions: a probe allocation and the real one (Allocate 401,
 * Allocate, Refresh each) and four ChannelBinds; it pauses 234 us between
 * clients, sleeps 1 s before it retries after a 437, and idles 100 ms per
 * client before it sends. The set-up is timed from its verbose output,
 * line-buffered through stdbuf, from its first line to the answer of the
 * last client's last ChannelBind, and uclient is stopped there.
 *
 * Raw: STUN Binding requests on a connected UDP socket, which coturn
 * answers without authentication: the floor of one transaction.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <burrow/burrow.h>

#include "bench-turn.h"

/* uclient's usleep between the set-up of two clients (SLEEP_INTERVAL) */
#define UCLIENT_PAUSE_US 234
/* ChannelBinds in one uclient client's set-up without RTCP (-c) */
#define UCLIENT_CHANNEL_BINDS_PER_CLIENT 4

/* One allocate + release with a fresh client; a 437 is retried with
 * another, up to three times. */
static gboolean
burrow_cycle (Bench *bench, Setup *setup, GError **error)
{
  guint tries;

  for (tries = 0; tries < 3; tries++) {
    g_autoptr(BurrowTurnClient) client = burrow_turn_client_new ("127.0.0.1",
        bench->server->port, BENCH_TURN_USER, BENCH_TURN_PASSWORD);
    g_autoptr(BurrowRelayAllocation) allocation = NULL;

    g_clear_error (error);
    allocation = burrow_turn_client_allocate_sync (client, NULL, NULL, error);
    if (allocation)
      return burrow_relay_allocation_release_sync (allocation, NULL, error);
    if (!g_error_matches (*error, BURROW_TURN_ERROR, BURROW_TURN_ERROR_ALLOCATION_MISMATCH))
      return FALSE;
    /* the 437 answered the first Allocate, before any 401 */
    setup->mismatches++;
    setup->transactions++;
  }
  return FALSE;
}

void
bench_run_burrow_setup (Bench *bench, Setup *setup)
{
  gint64 start = g_get_monotonic_time ();
  guint i;

  for (i = 0; i < bench->allocations; i++) {
    g_autoptr(GError) error = NULL;

    if (!burrow_cycle (bench, setup, &error)) {
      setup->failure = g_strdup_printf ("cycle %u: %s", i + 1, error->message);
      break;
    }
  }
  setup->elapsed_us = g_get_monotonic_time () - start;
  setup->clients = i;
  setup->allocations = i;
  setup->transactions += 3 * (guint64) i;
  setup->ran = i > 0;
}

/* One Binding request and its answer; FALSE on a timeout. */
static gboolean
binding_round_trip (int fd, guint32 n)
{
  guint8 request[20] = { 0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42 };
  guint8 answer[1500];
  struct pollfd pfd = { .fd = fd, .events = POLLIN };
  guint32 tag = g_random_int ();

  memcpy (request + 8, &n, 4);
  memcpy (request + 12, &tag, 4);
  if (send (fd, request, sizeof request, 0) != (gssize) sizeof request)
    return FALSE;
  while (poll (&pfd, 1, 1000) == 1) {
    gssize len = recv (fd, answer, sizeof answer, 0);

    if (len >= 20 && memcmp (answer + 8, request + 8, 12) == 0)
      return answer[0] == 0x01 && answer[1] == 0x01;
  }
  return FALSE;
}

void
bench_run_raw_setup (Bench *bench, Setup *setup)
{
  struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons (bench->server->port) };
  guint64 n = 3 * (guint64) bench->allocations, i;
  int fd = socket (AF_INET, SOCK_DGRAM, 0);
  gint64 start;

  to.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (fd < 0 || connect (fd, (struct sockaddr *) &to, sizeof to) < 0) {
    setup->failure = g_strdup_printf ("socket: %s", g_strerror (errno));
    if (fd >= 0)
      close (fd);
    return;
  }
  start = g_get_monotonic_time ();
  for (i = 0; i < n; i++) {
    if (!binding_round_trip (fd, (guint32) i)) {
      setup->failure = g_strdup_printf ("Binding request %" G_GUINT64_FORMAT
          " was not answered", i + 1);
      break;
    }
  }
  setup->elapsed_us = g_get_monotonic_time () - start;
  setup->transactions = i;
  setup->ran = i > 0;
  close (fd);
}

/* ---- uclient's verbose output, timed line by line ---- */

typedef struct {
  GInputStream *stream;
  GMutex lock;
  gint64 first_us;
  gint64 last_line_us;
  gint64 last_response_us;
  gint64 retry_at_us;             /* when uclient went to sleep after a 437 */
  gint64 stall_us;
  guint64 responses;
  guint64 channel_binds;
  guint64 allocations;
  guint64 mismatches;
} LineClock;

static void
line_clock_count (LineClock *clock, const gchar *line, gint64 now)
{
  if (clock->first_us == 0)
    clock->first_us = now;
  if (clock->retry_at_us) {
    clock->stall_us += now - clock->retry_at_us;
    clock->retry_at_us = 0;
  }
  clock->last_line_us = now;
  if (strstr (line, "response received")) {
    clock->responses++;
    clock->last_response_us = now;
  }
  if (strstr (line, "cb response received"))
    clock->channel_binds++;
  if (strstr (line, "Received relay addr"))
    clock->allocations++;
  if (strstr (line, "error 437"))
    clock->mismatches++;
  if (strstr (line, "trying allocate again"))
    clock->retry_at_us = now;
}

static gpointer
line_clock_thread (gpointer user_data)
{
  LineClock *clock = user_data;
  g_autoptr(GDataInputStream) in = g_data_input_stream_new (clock->stream);
  gchar *line;

  while ((line = g_data_input_stream_read_line (in, NULL, NULL, NULL)) != NULL) {
    gint64 now = g_get_monotonic_time ();

    g_mutex_lock (&clock->lock);
    line_clock_count (clock, line, now);
    g_mutex_unlock (&clock->lock);
    g_free (line);
  }
  return NULL;
}

/* Waits for the last client's last ChannelBind, or 3 s without a line. */
static void
line_clock_wait (LineClock *clock, guint64 channel_binds)
{
  gint64 start = g_get_monotonic_time ();

  for (;;) {
    gint64 now = g_get_monotonic_time ();
    gboolean done;

    g_usleep (10000);
    g_mutex_lock (&clock->lock);
    done = clock->channel_binds >= channel_binds ||
        (clock->first_us && now - clock->last_line_us > 3 * G_USEC_PER_SEC) ||
        now - start > 60 * G_USEC_PER_SEC;
    g_mutex_unlock (&clock->lock);
    if (done)
      return;
  }
}

void
bench_run_uclient_setup (Bench *bench, Setup *setup)
{
  g_autoptr(GPtrArray) argv = bench_uclient_argv (bench, bench->stdbuf);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  LineClock clock = { NULL, };
  GThread *thread;

  /* stdbuf -oL: one write per line, so that each line is timed */
  g_ptr_array_insert (argv, 1, g_strdup ("-oL"));
  g_ptr_array_add (argv, g_strdup ("-v"));
  g_ptr_array_add (argv, g_strdup ("-m"));
  g_ptr_array_add (argv, g_strdup_printf ("%u", bench->allocations));
  g_ptr_array_add (argv, g_strdup ("-n"));
  g_ptr_array_add (argv, g_strdup ("0"));
  g_ptr_array_add (argv, g_strdup ("127.0.0.1"));
  process = bench_spawn (bench, argv, NULL, &error);
  if (process == NULL) {
    setup->failure = g_strdup (error->message);
    return;
  }
  g_mutex_init (&clock.lock);
  clock.stream = g_subprocess_get_stdout_pipe (process);
  thread = g_thread_new ("bench-uclient-lines", line_clock_thread, &clock);
  line_clock_wait (&clock, (guint64) bench->allocations * UCLIENT_CHANNEL_BINDS_PER_CLIENT);
  bench_stop_child (process);
  g_thread_join (thread);
  g_mutex_clear (&clock.lock);

  setup->transactions = clock.responses;
  setup->allocations = clock.allocations;
  setup->mismatches = clock.mismatches;
  setup->clients = clock.channel_binds / UCLIENT_CHANNEL_BINDS_PER_CLIENT;
  setup->elapsed_us = clock.last_response_us - clock.first_us;
  setup->pause_us = (gint64) (setup->clients ? setup->clients - 1 : 0) * UCLIENT_PAUSE_US;
  setup->stall_us = clock.stall_us;
  setup->ran = clock.responses > 0 && setup->elapsed_us > 0;
  if (setup->clients != bench->allocations)
    setup->failure = g_strdup_printf ("only %" G_GUINT64_FORMAT " of %u clients were set up",
        setup->clients, bench->allocations);
}
