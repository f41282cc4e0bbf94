/* burrow-test-util.h: fixtures shared by the C tests
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>
#include <burrow/burrow.h>

G_BEGIN_DECLS

/* How to configure a coturn for burrow_test_turnserver_start_full(). A
 * zeroed struct gives a TURN server on 127.0.0.1 with the long-term
 * credential mechanism (user burrow, password burrowpass, realm
 * burrow.test), UDP and TCP on one free port, a small relay port range on
 * 127.0.0.1, loopback peers allowed. */
typedef struct {
  const gchar *user;                /* NULL: "burrow" */
  const gchar *password;            /* NULL: "burrowpass" */
  const gchar *realm;               /* NULL: "burrow.test" */
  gboolean anonymous;               /* no credential mechanism at all */
  gboolean tls;                     /* also TLS, with a fresh self-signed certificate */
  const gchar *auth_secret;         /* TURN REST: --use-auth-secret with this secret */
  guint stale_nonce;                /* seconds a nonce lives; 0: coturn's default (no limit) */
  guint max_allocate_lifetime;      /* seconds; 0: coturn's default (3600) */
  gboolean ipv6;                    /* also listen and relay on ::1 */
  const gchar *alternate_server;    /* "ip:port": answer Allocate with 300 Try Alternate */
  gboolean rfc5780;                 /* second address 127.0.0.2 and port + 1 */
  guint16 port;                     /* 0: a free one */
  const gchar * const *extra_args;
} BurrowTestTurnOptions;

#define BURROW_TEST_TURN_USER     "burrow"
#define BURROW_TEST_TURN_PASSWORD "burrowpass"
#define BURROW_TEST_TURN_REALM    "burrow.test"

/* A coturn (turnserver) process on loopback, on free ports. */
typedef struct {
  GSubprocess *process;
  gchar *dir;
  gchar *address;        /* primary listening address */
  gchar *alt_address;    /* second address for RFC 5780, or NULL */
  guint16 port;
  guint16 alt_port;      /* port + 1: RFC 5780 alternate port */
  /* TURN */
  gchar *user;           /* long-term credentials, NULL when anonymous or REST */
  gchar *password;
  gchar *realm;
  gchar *auth_secret;    /* REST shared secret, or NULL */
  guint16 tls_port;      /* 0 without TLS */
  gchar *cert_file;      /* self-signed certificate (also the CA to trust), or NULL */
  gchar *key_file;
  gchar *ipv6_address;   /* "::1" when listening on IPv6 too, else NULL */
  guint16 min_port;      /* relay port range */
  guint16 max_port;
  gchar *log_file;
} BurrowTestTurnServer;

BurrowTestTurnServer *burrow_test_turnserver_start      (gboolean                     rfc5780,
                                                         const gchar * const         *extra_args,
                                                         GError                     **error);
BurrowTestTurnServer *burrow_test_turnserver_start_full (const BurrowTestTurnOptions *options,
                                                         GError                     **error);
void                  burrow_test_turnserver_terminate  (BurrowTestTurnServer        *server);
void                  burrow_test_turnserver_stop       (BurrowTestTurnServer        *server);
guint                 burrow_test_turnserver_count_log  (BurrowTestTurnServer        *server,
                                                         const gchar                 *needle);
void                  burrow_test_turnserver_dump_log   (BurrowTestTurnServer        *server,
                                                         guint                        last_lines);

guint16               burrow_test_free_udp_port    (guint16 span);
gboolean              burrow_test_wait_stun        (const gchar *address,
                                                    guint16      port,
                                                    guint        timeout_ms);
GSocket              *burrow_test_udp_socket       (const gchar *address,
                                                    guint16     *port);
void                  burrow_test_run_until        (gboolean *flag,
                                                    guint     timeout_ms);
void                  burrow_test_sleep            (guint     ms);
/* milliseconds since @start, a g_get_monotonic_time () */
gint64                burrow_test_elapsed_ms       (gint64    start);
GInetSocketAddress   *burrow_test_inet_address     (const gchar *ip,
                                                    guint16      port);
gchar                *burrow_test_address_to_string (GInetSocketAddress *address);

/* A UDP proxy between a client and a server, on the thread-default main
 * context of its creator. Datagrams from the last client that sent one go
 * to the server from one upstream socket; the server's answers go back to
 * that client from the proxy's own address. */
typedef struct _BurrowTestUdpProxy BurrowTestUdpProxy;

BurrowTestUdpProxy   *burrow_test_udp_proxy_new           (const gchar        *server_address,
                                                           guint16             server_port);
guint16               burrow_test_udp_proxy_get_port      (BurrowTestUdpProxy *proxy);
GInetSocketAddress   *burrow_test_udp_proxy_get_client    (BurrowTestUdpProxy *proxy);
gboolean              burrow_test_udp_proxy_inject        (BurrowTestUdpProxy *proxy,
                                                           const guint8       *data,
                                                           gsize               len);
void                  burrow_test_udp_proxy_set_blackhole (BurrowTestUdpProxy *proxy,
                                                           gboolean            blackhole);
guint                 burrow_test_udp_proxy_get_forwarded (BurrowTestUdpProxy *proxy,
                                                           gboolean            to_server);
guint                 burrow_test_udp_proxy_get_channel_data (BurrowTestUdpProxy *proxy,
                                                              gboolean            to_server);
void                  burrow_test_udp_proxy_free          (BurrowTestUdpProxy *proxy);

/* A plain UDP socket standing for a peer of a TURN relay: what arrives is
 * queued (and echoed back if asked) while the thread-default context runs. */
typedef struct _BurrowTestUdpPeer BurrowTestUdpPeer;

BurrowTestUdpPeer    *burrow_test_udp_peer_new         (const gchar        *address);
GInetSocketAddress   *burrow_test_udp_peer_get_address (BurrowTestUdpPeer  *peer);
void                  burrow_test_udp_peer_set_echo    (BurrowTestUdpPeer  *peer,
                                                        gboolean            echo);
gboolean              burrow_test_udp_peer_send        (BurrowTestUdpPeer  *peer,
                                                        GInetSocketAddress *to,
                                                        const gchar        *data,
                                                        gsize               len);
GBytes               *burrow_test_udp_peer_receive     (BurrowTestUdpPeer  *peer,
                                                        guint               timeout_ms,
                                                        GInetSocketAddress **from);
guint                 burrow_test_udp_peer_get_received (BurrowTestUdpPeer *peer);
void                  burrow_test_udp_peer_free        (BurrowTestUdpPeer  *peer);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BurrowTestTurnServer, burrow_test_turnserver_stop)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BurrowTestUdpProxy, burrow_test_udp_proxy_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BurrowTestUdpPeer, burrow_test_udp_peer_free)

G_END_DECLS
