/* burrow-turn-private.h: what the TURN client and its allocation share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "burrow-turn-client.h"
#include "burrow-relay-allocation.h"
#include "stun/burrow-stun-endpoint.h"
#include "stun/burrow-stun-auth-private.h"

G_BEGIN_DECLS

/* RFC 8656: permissions last 300 s, channel bindings 600 s. */
#define BURROW_TURN_PERMISSION_LIFETIME 300
#define BURROW_TURN_CHANNEL_LIFETIME 600
/* RFC 8656 section 3.2: the default allocation lifetime */
#define BURROW_TURN_DEFAULT_LIFETIME 600
#define BURROW_TURN_CHANNEL_MIN 0x4000
#define BURROW_TURN_CHANNEL_MAX 0x4FFF

/* Shared by burrow-turn-client.c (the object and Allocate) and
 * burrow-turn-connection.c (server connection, requests, incoming data). */
struct _BurrowTurnClient {
  GObject parent_instance;

  gchar *host;
  guint16 port;
  BurrowTransport transport;
  gchar *username;
  gchar *password;
  /* the credentials of the current allocation: RFC 8656 wants every
   * request of an allocation to carry the username that made it */
  gchar *alloc_username;
  gchar *alloc_password;
  gchar *software;
  gchar *local_address;
  guint local_port;
  gchar *tls_ca_file;
  gboolean tls_accept_invalid;
  guint max_redirects;
  BurrowStunRetransmit rt;

  GMainContext *context;
  GInetSocketAddress *server;     /* where requests go now */
  gchar *tls_identity;            /* the name the server's certificate must carry */
  BurrowStunEndpoint *endpoint;
  gulong closed_id;
  BurrowStunAuth auth;

  BurrowRelayAllocation *allocation; /* weak */
  guint releasing;                /* releases still waiting for an answer */
  GQueue waiting;                 /* GTask: allocate calls behind the one running */
  gboolean allocating;

  guint64 dropped;
};

/* Opens the connection to self->server (or self->host when server is
 * NULL): resolves, binds or connects, and for TLS shakes hands. */
void               burrow_turn_client_connect_async  (BurrowTurnClient    *self,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
gboolean           burrow_turn_client_connect_finish (BurrowTurnClient  *self,
                                                      GAsyncResult      *result,
                                                      GError           **error);
void               burrow_turn_client_disconnect     (BurrowTurnClient *self);

/* A request body: called for every attempt, on a fresh transaction id (the
 * XOR-coded addresses depend on it). */
typedef void (*BurrowTurnBuildFunc) (BurrowStunMessage *request,
                                     gpointer           data);

/* Sends one request with the client's credentials, retrying transparently
 * on 401 (first contact) and 438 (stale nonce). Finishes with the final
 * response, success or error class; a GError only when no answer came. */
void               burrow_turn_client_request_async  (BurrowTurnClient    *self,
                                                      guint16              method,
                                                      BurrowTurnBuildFunc  build,
                                                      gpointer             build_data,
                                                      GDestroyNotify       build_destroy,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
BurrowStunMessage *burrow_turn_client_request_finish (BurrowTurnClient  *self,
                                                      GAsyncResult      *result,
                                                      GError           **error);
/* Releases @allocation in the background (Refresh with lifetime 0, with
 * the usual 438 retry); the connection closes once the server answered. */
void               burrow_turn_client_release_allocation (BurrowTurnClient      *self,
                                                          BurrowRelayAllocation *allocation);
/* A GError in BURROW_TURN_ERROR for an error response to @what. */
GError            *burrow_turn_client_error_from_response (BurrowTurnClient  *self,
                                                           BurrowStunMessage *response,
                                                           const gchar       *what);
gchar             *burrow_turn_client_describe_server (BurrowTurnClient *self);

guint16            burrow_turn_client_effective_port (BurrowTurnClient *self);
BurrowStunEndpoint *burrow_turn_client_get_endpoint  (BurrowTurnClient *self);
GMainContext      *burrow_turn_client_get_context    (BurrowTurnClient *self);
void               burrow_turn_client_forget_allocation (BurrowTurnClient      *self,
                                                         BurrowRelayAllocation *allocation);

/* The allocation's side: made from a successful Allocate response. */
BurrowRelayAllocation *burrow_relay_allocation_new_from_response (BurrowTurnClient  *client,
                                                                  BurrowStunMessage *response,
                                                                  guint              requested_lifetime);
void               burrow_relay_allocation_handle_data         (BurrowRelayAllocation *self,
                                                                GInetSocketAddress    *peer,
                                                                const guint8          *data,
                                                                gsize                  len);
void               burrow_relay_allocation_handle_channel_data (BurrowRelayAllocation *self,
                                                                guint16                channel,
                                                                const guint8          *data,
                                                                gsize                  len);
void               burrow_relay_allocation_fail                (BurrowRelayAllocation *self,
                                                                GError                *error);

G_END_DECLS
