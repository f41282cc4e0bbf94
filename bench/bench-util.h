/* bench-util.h: what the benchmarks share: a coturn on loopback, a counting
 * UDP peer, child processes and CPU time
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <time.h>
#include <gio/gio.h>

G_BEGIN_DECLS

#define BENCH_TURN_USER "burrow"
#define BENCH_TURN_PASSWORD "burrowpass"
#define BENCH_TURN_REALM "burrow.test"

typedef struct {
  gchar *dir;
  gchar *log_file;
  GSubprocess *process;
  guint16 port;
} BenchTurnServer;

BenchTurnServer *bench_turn_server_start (GError **error);
void             bench_turn_server_stop  (BenchTurnServer *server);

/* A UDP socket on 127.0.0.1 with a thread that counts what arrives. */
typedef struct _BenchPeer BenchPeer;

typedef struct {
  guint64 packets;                /* datagrams of the expected size */
  guint64 other;                  /* datagrams of any other size */
  gint64 first_us;                /* monotonic time of the first and last */
  gint64 last_us;
  guint64 sender_cpu_ns_at_first; /* the sender's CPU time at the first */
} BenchPeerCount;

BenchPeer *bench_peer_new           (GError **error);
guint16    bench_peer_get_port      (BenchPeer *peer);
void       bench_peer_start         (BenchPeer *peer, gsize size,
                                     const clockid_t *sender_clock);
void       bench_peer_get           (BenchPeer *peer, BenchPeerCount *count);
gboolean   bench_peer_wait          (BenchPeer *peer, guint64 expected, guint idle_ms,
                                     guint timeout_ms, GSubprocess *sender,
                                     BenchPeerCount *count);
void       bench_peer_free          (BenchPeer *peer);

guint64    bench_cpu_ns             (const clockid_t *clock);
clockid_t  bench_thread_cpu_clock   (void);
gboolean   bench_process_cpu_clock  (GPid pid, clockid_t *clock);

gchar     *bench_find_program       (const gchar *name);
guint16    bench_free_port          (void);

G_END_DECLS
