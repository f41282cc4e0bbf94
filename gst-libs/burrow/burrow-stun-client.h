/* burrow-stun-client.h: STUN client (RFC 8489) and NAT discovery (RFC 5780)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(__BURROW_H_INSIDE__) && !defined(BURROW_COMPILATION)
#error "Only <burrow/burrow.h> can be included directly."
#endif

#include <gio/gio.h>
#include <burrow/burrow-export.h>
#include <burrow/burrow-nat-report.h>

G_BEGIN_DECLS

/**
 * BurrowTransport:
 * @BURROW_TRANSPORT_UDP: UDP
 * @BURROW_TRANSPORT_TCP: TCP (RFC 8489 framing)
 * @BURROW_TRANSPORT_TLS: TLS over TCP
 *
 * The transport used to reach a STUN or TURN server.
 *
 * Since: 0.1
 */
typedef enum {
  BURROW_TRANSPORT_UDP,
  BURROW_TRANSPORT_TCP,
  BURROW_TRANSPORT_TLS,
} BurrowTransport;

/**
 * BurrowStunCredentialMechanism:
 * @BURROW_STUN_CREDENTIAL_MECHANISM_LONG_TERM: long-term credentials
 *   (RFC 8489 section 9.2): the first request goes without credentials and
 *   the server's 401 supplies the realm and nonce
 * @BURROW_STUN_CREDENTIAL_MECHANISM_SHORT_TERM: short-term credentials
 *   (RFC 8489 section 9.1): every request carries USERNAME and
 *   MESSAGE-INTEGRITY keyed with the password
 *
 * How [class@Burrow.StunClient] uses its username and password.
 *
 * Since: 0.1
 */
typedef enum {
  BURROW_STUN_CREDENTIAL_MECHANISM_LONG_TERM,
  BURROW_STUN_CREDENTIAL_MECHANISM_SHORT_TERM,
} BurrowStunCredentialMechanism;

/**
 * BURROW_STUN_DEFAULT_PORT:
 *
 * The default port of STUN and TURN over UDP and TCP.
 *
 * Since: 0.1
 */
#define BURROW_STUN_DEFAULT_PORT 3478

#define BURROW_TYPE_STUN_CLIENT (burrow_stun_client_get_type ())
BURROW_API
G_DECLARE_FINAL_TYPE (BurrowStunClient, burrow_stun_client, BURROW, STUN_CLIENT, GObject)

BURROW_API
BurrowStunClient   *burrow_stun_client_new               (const gchar *host,
                                                          guint16      port);

BURROW_API
const gchar        *burrow_stun_client_get_host          (BurrowStunClient *client);
BURROW_API
guint16             burrow_stun_client_get_port          (BurrowStunClient *client);
BURROW_API
BurrowTransport     burrow_stun_client_get_transport     (BurrowStunClient *client);
BURROW_API
void                burrow_stun_client_set_credentials   (BurrowStunClient *client,
                                                          const gchar      *username,
                                                          const gchar      *password);
BURROW_API
GInetSocketAddress *burrow_stun_client_get_local_address (BurrowStunClient *client);

BURROW_API
void                burrow_stun_client_bind_async        (BurrowStunClient    *client,
                                                          GCancellable        *cancellable,
                                                          GAsyncReadyCallback  callback,
                                                          gpointer             user_data);
BURROW_API
GInetSocketAddress *burrow_stun_client_bind_finish       (BurrowStunClient  *client,
                                                          GAsyncResult      *result,
                                                          GError           **error);
BURROW_API
GInetSocketAddress *burrow_stun_client_bind_sync         (BurrowStunClient  *client,
                                                          GCancellable      *cancellable,
                                                          GError           **error);
BURROW_API
gboolean            burrow_stun_client_persist           (BurrowStunClient  *client,
                                                          GError           **error);

BURROW_API
void                burrow_stun_client_discover_nat_async  (BurrowStunClient    *client,
                                                            GCancellable        *cancellable,
                                                            GAsyncReadyCallback  callback,
                                                            gpointer             user_data);
BURROW_API
BurrowNatReport    *burrow_stun_client_discover_nat_finish (BurrowStunClient  *client,
                                                            GAsyncResult      *result,
                                                            GError           **error);
BURROW_API
BurrowNatReport    *burrow_stun_client_discover_nat_sync   (BurrowStunClient  *client,
                                                            GCancellable      *cancellable,
                                                            GError           **error);

BURROW_API
guint64             burrow_stun_client_get_dropped_packets (BurrowStunClient *client);

G_END_DECLS
