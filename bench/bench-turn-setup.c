/* bench-turn-setup.c: how fast Burrow, turnutils_uclient and a raw socket
 * get requests answered by coturn, one after the other
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Burrow: allocate + release cycles, each with a fresh client, so each is
 * three transactions: Allocate (answered 401 with the nonce), Allocate
 * again with credentials, Refresh with lifetime 0.
 *
 * uclient has no allocate-only mode. Its set-up of one client (-m N) is ten
 * transactions: a probe allocation and the real one (Allocate 401,
 * Allocate, Refresh each) and four ChannelBinds; it pauses 234 us between
 * clients and then idles 100 ms per client before it sends. The set-up is
 * timed from its verbose output, line-buffered through stdbuf, from its
 * first line to the last "response received" line, and uclient is stopped
 * there.
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
/* transactions in one uclient client's set-up without RTCP (-c) */
#define UCLIENT_TRANSACTIONS_PER_CLIENT 10

void
bench_run_burrow_setup (Bench *bench, Setup *setup)
{
  gint64 start = g_get_monotonic_time ();
  guint i;

  for (i = 0; i < bench->allocations; i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(BurrowTurnClient) client = burrow_turn_client_new ("127.0.0.1",
        bench->server->port, BENCH_TURN_USER, BENCH_TURN_PASSWORD);
    g_autoptr(BurrowRelayAllocation) allocation =
        burrow_turn_client_allocate_sync (client, NULL, NULL, &error);

    if (allocation == NULL ||
        !burrow_relay_allocation_release_sync (allocation, NULL, &error)) {
      setup->failure = g_strdup_printf ("cycle %u: %s", i + 1, error->message);
      break;
    }
  }
  setup->elapsed_us = g_get_monotonic_time () - start;
  setup->clients = i;
  setup->allocations = i;
  setup->transactions = 3 * (guint64) i;
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
  guint64 responses;
  guint64 allocations;
} LineClock;

static gpointer
line_clock_thread (gpointer user_data)
{
  LineClock *clock = user_data;
  g_autoptr(GDataInputStream) in = g_data_input_stream_new (clock->stream);
  gchar *line;

  while ((line = g_data_input_stream_read_line (in, NULL, NULL, NULL)) != NULL) {
    gint64 now = g_get_monotonic_time ();

    g_mutex_lock (&clock->lock);
    if (clock->first_us == 0)
      clock->first_us = now;
    clock->last_line_us = now;
    if (strstr (line, "response received")) {
      clock->responses++;
      clock->last_response_us = now;
    }
    if (strstr (line, "Received relay addr"))
      clock->allocations++;
    g_mutex_unlock (&clock->lock);
    g_free (line);
  }
  return NULL;
}

/* Waits for every client's transactions, or 2 s without a line. */
static void
line_clock_wait (LineClock *clock, guint64 expected)
{
  gint64 start = g_get_monotonic_time ();

  for (;;) {
    gint64 now = g_get_monotonic_time ();
    gboolean done;

    g_usleep (10000);
    g_mutex_lock (&clock->lock);
    done = clock->responses >= expected ||
        (clock->first_us && now - clock->last_line_us > 2 * G_USEC_PER_SEC) ||
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
  line_clock_wait (&clock, (guint64) bench->allocations * UCLIENT_TRANSACTIONS_PER_CLIENT);
  bench_stop_child (process);
  g_thread_join (thread);
  g_mutex_clear (&clock.lock);

  setup->transactions = clock.responses;
  setup->allocations = clock.allocations;
  setup->clients = clock.responses / UCLIENT_TRANSACTIONS_PER_CLIENT;
  setup->elapsed_us = clock.last_response_us - clock.first_us;
  setup->pause_us = (gint64) (bench->allocations ? bench->allocations - 1 : 0) * UCLIENT_PAUSE_US;
  setup->ran = clock.responses > 0 && setup->elapsed_us > 0;
  if (clock.responses != (guint64) bench->allocations * UCLIENT_TRANSACTIONS_PER_CLIENT)
    setup->failure = g_strdup_printf ("expected %u transactions, saw %" G_GUINT64_FORMAT,
        bench->allocations * UCLIENT_TRANSACTIONS_PER_CLIENT, clock.responses);
}
