/* burrow-stun-client-private.h: what NAT discovery needs of the client
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "burrow-stun-client.h"
#include "stun/burrow-stun-endpoint.h"
#include "stun/burrow-stun-auth-private.h"

G_BEGIN_DECLS

/* Shared by burrow-stun-client.c (the object) and
 * burrow-stun-client-binding.c (authenticated Binding transactions). */
struct _BurrowStunClient {
  GObject parent_instance;

  gchar *host;
  guint16 port;
  BurrowTransport transport;
  gchar *username;
  gchar *password;
  BurrowStunCredentialMechanism mechanism;
  gchar *software;
  gchar *local_address;
  guint local_port;         /* 0..65535, as the property's range says */
  BurrowStunRetransmit rt;
  guint keepalive_interval;

  GMainContext *context;
  GSocketAddress *server;
  BurrowStunEndpoint *endpoint;
  GSource *keepalive;

  /* credential state, learnt from the server's 401 */
  BurrowStunAuth auth;

  guint64 dropped_elsewhere;
};


/* Resolves the server and opens the client's socket, once. */
void                 burrow_stun_client_prepare_async  (BurrowStunClient    *client,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
gboolean             burrow_stun_client_prepare_finish (BurrowStunClient  *client,
                                                        GAsyncResult      *result,
                                                        GError           **error);

BurrowStunEndpoint  *burrow_stun_client_get_endpoint    (BurrowStunClient *client);
BurrowStunEndpoint  *burrow_stun_client_open_endpoint   (BurrowStunClient *client,
                                                         GError          **error);
GSocketAddress      *burrow_stun_client_get_server_address (BurrowStunClient *client);
GInetSocketAddress  *burrow_stun_client_get_route_address (BurrowStunClient   *client,
                                                           BurrowStunEndpoint *endpoint);
GMainContext        *burrow_stun_client_get_context     (BurrowStunClient *client);
void                 burrow_stun_client_get_retransmit  (BurrowStunClient     *client,
                                                         BurrowStunRetransmit *retransmit);
void                 burrow_stun_client_add_dropped     (BurrowStunClient *client,
                                                         guint64           dropped);

gchar               *burrow_stun_client_describe_server (BurrowStunClient *client,
                                                         GSocketAddress   *to);

/* One Binding transaction with the client's credentials and 401/438
 * handling. Returns the success response. */
void                 burrow_stun_client_binding_async  (BurrowStunClient       *client,
                                                        BurrowStunEndpoint     *endpoint,
                                                        GSocketAddress         *to,
                                                        gboolean                change_ip,
                                                        gboolean                change_port,
                                                        GCancellable           *cancellable,
                                                        GAsyncReadyCallback     callback,
                                                        gpointer                user_data);
GInetSocketAddress  *burrow_stun_client_response_mapped_address (BurrowStunMessage *response);
BurrowStunMessage   *burrow_stun_client_binding_finish (BurrowStunClient  *client,
                                                        GAsyncResult      *result,
                                                        GSocketAddress   **from,
                                                        GError           **error);

G_END_DECLS
