/* bench-turn-relay.c: relay throughput of Burrow, turnutils_uclient and
 * raw UDP
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One allocation sends datagrams to one peer, a plain UDP socket in this
 * process that counts what arrives. turnutils_uclient -z 0 sends 50
 * datagrams per tick of its 1 ms timer, however often that really ticks;
 * Burrow and raw UDP run at the pace uclient kept, then 50 per 1 ms, then
 * as fast as the sender goes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <burrow/burrow.h>

#include "bench-util.h"
#include "bench-turn.h"

/* ---- sending ---- */

typedef gboolean (*SendFunc) (gpointer data, const guint8 *buf, gsize len);

static gint64
monotonic_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Sends @n datagrams at @pace. A tick the sender misses is not made up,
 * as with uclient's timer. Returns how many sends failed. */
static guint64
send_paced (SendFunc send_func, gpointer data, const guint8 *payload, gsize size, guint64 n,
    const Pace *pace)
{
  gint64 next = monotonic_ns ();
  guint64 i, errors = 0;

  for (i = 0; i < n; i++) {
    if (pace->burst && i > 0 && i % pace->burst == 0) {
      gint64 now = monotonic_ns ();

      next += pace->tick_ns;
      if (next > now) {
        struct timespec ts = { next / 1000000000, next % 1000000000 };

        clock_nanosleep (CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
      } else {
        next = now;
      }
    }
    if (!send_func (data, payload, size))
      errors++;
  }
  return errors;
}

typedef struct {
  BurrowRelayAllocation *allocation;
  GInetSocketAddress *peer;
  GError *first_error;
} BurrowSender;

static gboolean
burrow_send (gpointer data, const guint8 *buf, gsize len)
{
  BurrowSender *sender = data;

  return burrow_relay_allocation_send_data (sender->allocation, sender->peer, buf, len,
      sender->first_error ? NULL : &sender->first_error);
}

static gboolean
raw_send (gpointer data, const guint8 *buf, gsize len)
{
  return send (GPOINTER_TO_INT (data), buf, len, MSG_DONTWAIT) == (gssize) len;
}

/* ---- throughput ---- */

/* Waits for the peer's count; the sender's CPU time is read at once for a
 * thread that has sent everything, after the wait for a child process. */
static void
finish_throughput (Bench *bench, Throughput *tp, const clockid_t *clock, guint64 n,
    guint idle_ms, guint timeout_ms, GSubprocess *sender)
{
  guint64 cpu_end;

  if (sender) {
    bench_peer_wait (bench->peer, n, idle_ms, timeout_ms, sender, &tp->count);
    cpu_end = bench_cpu_ns (clock);
  } else {
    cpu_end = bench_cpu_ns (clock);
    bench_peer_wait (bench->peer, n, idle_ms, timeout_ms, NULL, &tp->count);
  }
  tp->sent = n;
  tp->cpu_ns = tp->count.first_us && cpu_end ? cpu_end - tp->count.sender_cpu_ns_at_first : 0;
  tp->ran = tp->count.packets > 0;
  if (!tp->ran && tp->failure == NULL)
    tp->failure = g_strdup ("nothing arrived at the peer");
}

/* Allocates, retrying once on a 437: uclient leaves allocations behind
 * that a new socket may meet when the kernel gives it the same port. */
static BurrowRelayAllocation *
burrow_relay_to_peer (Bench *bench, BurrowTurnClient **client, GInetSocketAddress *peer,
    gboolean channel, GError **error)
{
  g_autoptr(BurrowRelayAllocation) allocation =
      burrow_turn_client_allocate_sync (*client, NULL, NULL, error);

  if (g_error_matches (*error, BURROW_TURN_ERROR, BURROW_TURN_ERROR_ALLOCATION_MISMATCH)) {
    g_clear_error (error);
    g_object_unref (*client);
    *client = burrow_turn_client_new ("127.0.0.1", bench->server->port, BENCH_TURN_USER,
        BENCH_TURN_PASSWORD);
    allocation = burrow_turn_client_allocate_sync (*client, NULL, NULL, error);
  }
  if (allocation == NULL)
    return NULL;
  if (channel) {
    if (burrow_relay_allocation_bind_channel_sync (allocation, peer, NULL, error) == 0)
      return NULL;
  } else if (!burrow_relay_allocation_create_permission_sync (allocation,
      g_inet_socket_address_get_address (peer), NULL, error)) {
    return NULL;
  }
  return g_steal_pointer (&allocation);
}

void
bench_run_burrow_throughput (Bench *bench, gboolean channel, const Pace *pace,
    Throughput *tp)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BurrowTurnClient) client = burrow_turn_client_new ("127.0.0.1",
      bench->server->port, BENCH_TURN_USER, BENCH_TURN_PASSWORD);
  g_autoptr(GInetSocketAddress) peer = G_INET_SOCKET_ADDRESS (
      g_inet_socket_address_new_from_string ("127.0.0.1", bench_peer_get_port (bench->peer)));
  g_autoptr(BurrowRelayAllocation) allocation = NULL;
  clockid_t clock = bench_thread_cpu_clock ();
  BurrowSender sender = { NULL, peer, NULL };

  allocation = burrow_relay_to_peer (bench, &client, peer, channel, &error);
  if (allocation == NULL) {
    tp->failure = g_strdup (error->message);
    return;
  }
  sender.allocation = allocation;
  bench_peer_start (bench->peer, bench->size, &clock);
  tp->send_errors = send_paced (burrow_send, &sender, bench->payload, bench->size,
      bench->packets, pace);
  finish_throughput (bench, tp, &clock, bench->packets, 300, 10000, NULL);
  if (sender.first_error) {
    tp->failure = g_strdup_printf ("first send error: %s", sender.first_error->message);
    g_error_free (sender.first_error);
  }
  if (!burrow_relay_allocation_release_sync (allocation, NULL, &error))
    g_printerr ("  release failed: %s\n", error->message);
}

void
bench_run_raw_throughput (Bench *bench, const Pace *pace, Throughput *tp)
{
  struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons (bench_peer_get_port (bench->peer)) };
  clockid_t clock = bench_thread_cpu_clock ();
  int fd = socket (AF_INET, SOCK_DGRAM, 0);

  to.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (fd < 0 || connect (fd, (struct sockaddr *) &to, sizeof to) < 0) {
    tp->failure = g_strdup_printf ("socket: %s", g_strerror (errno));
    if (fd >= 0)
      close (fd);
    return;
  }
  bench_peer_start (bench->peer, bench->size, &clock);
  tp->send_errors = send_paced (raw_send, GINT_TO_POINTER (fd), bench->payload,
      bench->size, bench->packets, pace);
  finish_throughput (bench, tp, &clock, bench->packets, 300, 10000, NULL);
  close (fd);
}

static void
child_setup (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (getppid () != GPOINTER_TO_INT (user_data))
    _exit (1);
}

GSubprocess *
bench_spawn (Bench *bench, GPtrArray *argv, const gchar *log_name, GError **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autofree gchar *log = NULL;

  g_ptr_array_add (argv, NULL);
  if (log_name) {
    launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);
    log = g_build_filename (bench->server->dir, log_name, NULL);
    g_subprocess_launcher_set_stdout_file_path (launcher, log);
  } else {
    launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
        G_SUBPROCESS_FLAGS_STDERR_MERGE);
  }
  g_subprocess_launcher_set_child_setup (launcher, child_setup,
      GINT_TO_POINTER (getpid ()), NULL);
  return g_subprocess_launcher_spawnv (launcher, (const gchar * const *) argv->pdata, error);
}

void
bench_stop_child (GSubprocess *process)
{
  if (g_subprocess_get_identifier (process))
    g_subprocess_send_signal (process, SIGKILL);
  g_subprocess_wait (process, NULL, NULL);
}

/* uclient's common arguments: credentials, server, peer, no RTCP pair. */
GPtrArray *
bench_uclient_argv (Bench *bench, const gchar *prefix)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);

  if (prefix)
    g_ptr_array_add (argv, g_strdup (prefix));
  g_ptr_array_add (argv, g_strdup (bench->uclient));
  g_ptr_array_add (argv, g_strdup ("-u"));
  g_ptr_array_add (argv, g_strdup (BENCH_TURN_USER));
  g_ptr_array_add (argv, g_strdup ("-w"));
  g_ptr_array_add (argv, g_strdup (BENCH_TURN_PASSWORD));
  g_ptr_array_add (argv, g_strdup ("-p"));
  g_ptr_array_add (argv, g_strdup_printf ("%u", bench->server->port));
  g_ptr_array_add (argv, g_strdup ("-e"));
  g_ptr_array_add (argv, g_strdup ("127.0.0.1"));
  g_ptr_array_add (argv, g_strdup ("-r"));
  g_ptr_array_add (argv, g_strdup_printf ("%u", bench_peer_get_port (bench->peer)));
  g_ptr_array_add (argv, g_strdup ("-c"));
  return argv;
}

/* uclient waits 1 to 6 s (at random) before it sends, and 10 s for echoes
 * after: it is stopped once the peer has everything or nothing more came
 * for half a second. */
void
bench_run_uclient_throughput (Bench *bench, gboolean channel, Throughput *tp)
{
  g_autoptr(GPtrArray) argv = bench_uclient_argv (bench, NULL);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  clockid_t clock;
  gboolean has_clock;

  g_ptr_array_add (argv, g_strdup ("-l"));
  g_ptr_array_add (argv, g_strdup_printf ("%" G_GSIZE_FORMAT, bench->size));
  g_ptr_array_add (argv, g_strdup ("-n"));
  g_ptr_array_add (argv, g_strdup_printf ("%" G_GUINT64_FORMAT, bench->packets));
  g_ptr_array_add (argv, g_strdup ("-z"));
  g_ptr_array_add (argv, g_strdup ("0"));
  if (!channel)
    g_ptr_array_add (argv, g_strdup ("-s"));
  g_ptr_array_add (argv, g_strdup ("127.0.0.1"));
  process = bench_spawn (bench, argv, channel ? "uclient-channel.log" : "uclient-send.log",
      &error);
  if (process == NULL) {
    tp->failure = g_strdup (error->message);
    return;
  }
  has_clock = bench_process_cpu_clock (atoi (g_subprocess_get_identifier (process)), &clock);
  bench_peer_start (bench->peer, bench->size, has_clock ? &clock : NULL);
  finish_throughput (bench, tp, has_clock ? &clock : NULL, bench->packets, 500, 30000, process);
  bench_stop_child (process);
}
