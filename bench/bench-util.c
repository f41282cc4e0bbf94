/* bench-util.c: a coturn on loopback, a counting UDP peer, CPU time
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define _GNU_SOURCE
#include "bench-util.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <pthread.h>
#include <glib/gstdio.h>

/* Relay ports above the kernel's ephemeral range (32768-60999), so that no
 * socket bound to port 0 sits on one; coturn skips ports it cannot bind. */
#define RELAY_MIN_PORT 61000
#define RELAY_MAX_PORT 63999

/* ---- programs and ports ---- */

gchar *
bench_find_program (const gchar *name)
{
  return g_find_program_in_path (name);
}

static gboolean
port_free (int type, guint16 port)
{
  struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons (port) };
  int fd = socket (AF_INET, type, 0);
  gboolean ok;

  sin.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  ok = fd >= 0 && bind (fd, (struct sockaddr *) &sin, sizeof sin) == 0;
  if (fd >= 0)
    close (fd);
  return ok;
}

/* A port free for UDP and TCP, below the ephemeral range. */
guint16
bench_free_port (void)
{
  guint attempt;

  for (attempt = 0; attempt < 500; attempt++) {
    guint16 port = (guint16) g_random_int_range (20000, 32700);

    if (port_free (SOCK_DGRAM, port) && port_free (SOCK_STREAM, port))
      return port;
  }
  return 0;
}

/* ---- CPU time ---- */

/* The CPU time of a thread or process clock, in nanoseconds; 0 for no
 * clock or one that cannot be read (a process that is gone). */
guint64
bench_cpu_ns (const clockid_t *clock)
{
  struct timespec ts;

  if (clock == NULL || clock_gettime (*clock, &ts) != 0)
    return 0;
  return (guint64) ts.tv_sec * 1000000000 + (guint64) ts.tv_nsec;
}

/* The calling thread's CPU-time clock. */
clockid_t
bench_thread_cpu_clock (void)
{
  clockid_t clock = CLOCK_THREAD_CPUTIME_ID;

  /* the id of this thread's clock that other threads can read too */
  pthread_getcpuclockid (pthread_self (), &clock);
  return clock;
}

/* Another process's CPU-time clock (all its threads). */
gboolean
bench_process_cpu_clock (GPid pid, clockid_t *clock)
{
  return clock_getcpuclockid (pid, clock) == 0;
}

/* ---- coturn ---- */

static void
child_setup (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (getppid () != GPOINTER_TO_INT (user_data))
    _exit (1);
}

static GPtrArray *
turnserver_argv (BenchTurnServer *server, const gchar *program)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (argv, g_strdup (program));
  g_ptr_array_add (argv, g_strdup ("-n"));
  g_ptr_array_add (argv, g_strdup ("--no-cli"));
  g_ptr_array_add (argv, g_strdup ("--no-tls"));
  g_ptr_array_add (argv, g_strdup ("--no-dtls"));
  g_ptr_array_add (argv, g_strdup ("--listening-ip=127.0.0.1"));
  g_ptr_array_add (argv, g_strdup_printf ("--listening-port=%u", server->port));
  g_ptr_array_add (argv, g_strdup ("--relay-ip=127.0.0.1"));
  g_ptr_array_add (argv, g_strdup_printf ("--min-port=%u", RELAY_MIN_PORT));
  g_ptr_array_add (argv, g_strdup_printf ("--max-port=%u", RELAY_MAX_PORT));
  g_ptr_array_add (argv, g_strdup ("--lt-cred-mech"));
  g_ptr_array_add (argv, g_strdup ("--user=" BENCH_TURN_USER ":" BENCH_TURN_PASSWORD));
  g_ptr_array_add (argv, g_strdup ("--realm=" BENCH_TURN_REALM));
  g_ptr_array_add (argv, g_strdup ("--allow-loopback-peers"));
  g_ptr_array_add (argv, g_strdup ("--no-rfc5780"));
  /* no quotas and no bandwidth limits (0 is "none" for each) */
  g_ptr_array_add (argv, g_strdup ("--user-quota=0"));
  g_ptr_array_add (argv, g_strdup ("--total-quota=0"));
  g_ptr_array_add (argv, g_strdup ("--max-bps=0"));
  g_ptr_array_add (argv, g_strdup ("--bps-capacity=0"));
  g_ptr_array_add (argv, g_strdup ("--simple-log"));
  g_ptr_array_add (argv, g_strdup ("--no-stdout-log"));
  g_ptr_array_add (argv, g_strdup_printf ("--log-file=%s", server->log_file));
  g_ptr_array_add (argv, g_strdup_printf ("--pidfile=%s/turn.pid", server->dir));
  g_ptr_array_add (argv, g_strdup_printf ("--db=%s/turndb", server->dir));
  g_ptr_array_add (argv, NULL);
  return argv;
}

/* Sends STUN Binding requests every 50 ms until one is answered. */
static gboolean
wait_stun (guint16 port, guint timeout_ms)
{
  struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons (port) };
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  guint8 request[20] = { 0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42 };
  guint8 answer[1500];
  int fd = socket (AF_INET, SOCK_DGRAM, 0);
  gboolean ok = FALSE;

  to.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  while (fd >= 0 && !ok && g_get_monotonic_time () < deadline) {
    struct pollfd pfd = { .fd = fd, .events = POLLIN };

    sendto (fd, request, sizeof request, 0, (struct sockaddr *) &to, sizeof to);
    if (poll (&pfd, 1, 50) == 1)
      ok = recv (fd, answer, sizeof answer, 0) >= 20;
  }
  if (fd >= 0)
    close (fd);
  return ok;
}

BenchTurnServer *
bench_turn_server_start (GError **error)
{
  g_autofree gchar *program = bench_find_program ("turnserver");
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = NULL;
  BenchTurnServer *server;

  if (program == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "coturn's turnserver is not installed");
    return NULL;
  }
  server = g_new0 (BenchTurnServer, 1);
  server->dir = g_dir_make_tmp ("burrow-bench-XXXXXX", error);
  server->port = bench_free_port ();
  if (server->dir == NULL || server->port == 0) {
    if (server->port == 0)
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "no free port for coturn");
    bench_turn_server_stop (server);
    return NULL;
  }
  server->log_file = g_build_filename (server->dir, "turn.log", NULL);
  argv = turnserver_argv (server, program);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
      G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup,
      GINT_TO_POINTER (getpid ()), NULL);
  server->process = g_subprocess_launcher_spawnv (launcher,
      (const gchar * const *) argv->pdata, error);
  if (server->process == NULL) {
    bench_turn_server_stop (server);
    return NULL;
  }
  if (!wait_stun (server->port, 10000)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
        "coturn did not answer on 127.0.0.1:%u within 10 s; see %s", server->port,
        server->log_file);
    bench_turn_server_stop (server);
    return NULL;
  }
  return server;
}

static void
remove_dir (const gchar *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const gchar *name;

  while (dir && (name = g_dir_read_name (dir)) != NULL) {
    g_autofree gchar *file = g_build_filename (path, name, NULL);

    g_unlink (file);
  }
  g_rmdir (path);
}

void
bench_turn_server_stop (BenchTurnServer *server)
{
  if (server == NULL)
    return;
  if (server->process) {
    g_subprocess_send_signal (server->process, SIGTERM);
    if (!g_subprocess_wait (server->process, NULL, NULL))
      g_subprocess_force_exit (server->process);
    g_clear_object (&server->process);
  }
  if (server->dir && !g_getenv ("BENCH_KEEP_LOGS"))
    remove_dir (server->dir);
  g_free (server->dir);
  g_free (server->log_file);
  g_free (server);
}

/* ---- the counting peer ---- */

#define BATCH 64

struct _BenchPeer {
  int fd;
  guint16 port;
  GThread *thread;
  GMutex lock;
  gboolean stop;
  gsize size;
  gboolean has_sender_clock;
  clockid_t sender_clock;
  BenchPeerCount count;
};

static void
peer_account (BenchPeer *peer, struct mmsghdr *msgs, int n)
{
  gint64 now = g_get_monotonic_time ();
  int i;

  g_mutex_lock (&peer->lock);
  if (peer->count.packets == 0 && peer->count.first_us == 0) {
    peer->count.first_us = now;
    peer->count.sender_cpu_ns_at_first =
        bench_cpu_ns (peer->has_sender_clock ? &peer->sender_clock : NULL);
  }
  for (i = 0; i < n; i++) {
    if (msgs[i].msg_len == peer->size)
      peer->count.packets++;
    else
      peer->count.other++;
  }
  peer->count.last_us = now;
  g_mutex_unlock (&peer->lock);
}

static gpointer
peer_thread (gpointer user_data)
{
  BenchPeer *peer = user_data;
  static guint8 buffers[BATCH][2048];
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  int i;

  for (i = 0; i < BATCH; i++) {
    iov[i].iov_base = buffers[i];
    iov[i].iov_len = sizeof buffers[i];
    memset (&msgs[i], 0, sizeof msgs[i]);
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  while (!g_atomic_int_get (&peer->stop)) {
    struct pollfd pfd = { .fd = peer->fd, .events = POLLIN };
    int n;

    if (poll (&pfd, 1, 20) != 1)
      continue;
    n = recvmmsg (peer->fd, msgs, BATCH, MSG_DONTWAIT, NULL);
    if (n > 0)
      peer_account (peer, msgs, n);
  }
  return NULL;
}

BenchPeer *
bench_peer_new (GError **error)
{
  struct sockaddr_in sin = { .sin_family = AF_INET };
  socklen_t len = sizeof sin;
  int rcvbuf = 8 << 20;
  BenchPeer *peer;

  peer = g_new0 (BenchPeer, 1);
  g_mutex_init (&peer->lock);
  sin.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  peer->fd = socket (AF_INET, SOCK_DGRAM, 0);
  if (peer->fd < 0 || bind (peer->fd, (struct sockaddr *) &sin, sizeof sin) < 0 ||
      getsockname (peer->fd, (struct sockaddr *) &sin, &len) < 0) {
    int saved = errno;

    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
        "Could not make the peer socket: %s", g_strerror (saved));
    bench_peer_free (peer);
    return NULL;
  }
  /* as large as net.core.rmem_max allows: the peer must not be the limit */
  setsockopt (peer->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  peer->port = ntohs (sin.sin_port);
  peer->thread = g_thread_new ("bench-peer", peer_thread, peer);
  return peer;
}

guint16
bench_peer_get_port (BenchPeer *peer)
{
  return peer->port;
}

/* Starts a new count of datagrams of @size bytes; the CPU time of
 * @sender_clock is read when the first one arrives. */
void
bench_peer_start (BenchPeer *peer, gsize size, const clockid_t *sender_clock)
{
  guint8 drain[2048];

  g_mutex_lock (&peer->lock);
  while (recv (peer->fd, drain, sizeof drain, MSG_DONTWAIT) >= 0)
    ;
  memset (&peer->count, 0, sizeof peer->count);
  peer->size = size;
  peer->has_sender_clock = sender_clock != NULL;
  if (sender_clock)
    peer->sender_clock = *sender_clock;
  g_mutex_unlock (&peer->lock);
}

void
bench_peer_get (BenchPeer *peer, BenchPeerCount *count)
{
  g_mutex_lock (&peer->lock);
  *count = peer->count;
  g_mutex_unlock (&peer->lock);
}

/* Waits until @expected datagrams arrived, or none for @idle_ms after the
 * first, or @sender exited and none came for @idle_ms, or @timeout_ms.
 * Returns whether any arrived. */
gboolean
bench_peer_wait (BenchPeer *peer, guint64 expected, guint idle_ms, guint timeout_ms,
    GSubprocess *sender, BenchPeerCount *count)
{
  gint64 start = g_get_monotonic_time ();
  gint64 idle_us = (gint64) idle_ms * 1000;

  for (;;) {
    gint64 now;

    g_usleep (5000);
    now = g_get_monotonic_time ();
    bench_peer_get (peer, count);
    if (count->packets >= expected)
      break;
    if (count->first_us && now - count->last_us > idle_us)
      break;
    if (now - start > (gint64) timeout_ms * 1000)
      break;
    /* a child that exited without sending anything */
    if (sender && count->first_us == 0 && g_subprocess_get_identifier (sender) == NULL &&
        now - start > idle_us)
      break;
  }
  return count->packets > 0;
}

void
bench_peer_free (BenchPeer *peer)
{
  if (peer == NULL)
    return;
  if (peer->thread) {
    g_atomic_int_set (&peer->stop, TRUE);
    g_thread_join (peer->thread);
  }
  if (peer->fd >= 0)
    close (peer->fd);
  g_mutex_clear (&peer->lock);
  g_free (peer);
}
