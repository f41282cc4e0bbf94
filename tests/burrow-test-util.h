/* burrow-test-util.h: fixtures shared by the C tests
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>
#include <burrow/burrow.h>

G_BEGIN_DECLS

/* A coturn (turnserver) process on loopback, on free ports. */
typedef struct {
  GSubprocess *process;
  gchar *dir;
  gchar *address;        /* primary listening address */
  gchar *alt_address;    /* second address for RFC 5780, or NULL */
  guint16 port;
  guint16 alt_port;      /* port + 1: RFC 5780 alternate port */
} BurrowTestTurnServer;

BurrowTestTurnServer *burrow_test_turnserver_start (gboolean             rfc5780,
                                                    const gchar * const *extra_args,
                                                    GError             **error);
void                  burrow_test_turnserver_stop  (BurrowTestTurnServer *server);

guint16               burrow_test_free_udp_port    (guint16 span);
gboolean              burrow_test_wait_stun        (const gchar *address,
                                                    guint16      port,
                                                    guint        timeout_ms);
GSocket              *burrow_test_udp_socket       (const gchar *address,
                                                    guint16     *port);
void                  burrow_test_run_until        (gboolean *flag,
                                                    guint     timeout_ms);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BurrowTestTurnServer, burrow_test_turnserver_stop)

G_END_DECLS
