/* burrow-turn-client.h: TURN client (RFC 8656, RFC 6156)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(__BURROW_H_INSIDE__) && !defined(BURROW_COMPILATION)
#error "Only <burrow/burrow.h> can be included directly."
#endif

#include <gio/gio.h>
#include <burrow/burrow-export.h>
#include <burrow/burrow-stun-client.h>
#include <burrow/burrow-allocate-options.h>
#include <burrow/burrow-relay-allocation.h>

G_BEGIN_DECLS

/**
 * BURROW_TURN_DEFAULT_TLS_PORT:
 *
 * The default port of TURN over TLS.
 *
 * Since: 0.1
 */
#define BURROW_TURN_DEFAULT_TLS_PORT 5349

#define BURROW_TYPE_TURN_CLIENT (burrow_turn_client_get_type ())
BURROW_API
G_DECLARE_FINAL_TYPE (BurrowTurnClient, burrow_turn_client, BURROW, TURN_CLIENT, GObject)

BURROW_API
BurrowTurnClient      *burrow_turn_client_new             (const gchar            *host,
                                                           guint16                 port,
                                                           const gchar            *username,
                                                           const gchar            *password);

BURROW_API
void                   burrow_turn_client_allocate_async  (BurrowTurnClient       *self,
                                                           BurrowAllocateOptions  *options,
                                                           GCancellable           *cancellable,
                                                           GAsyncReadyCallback     callback,
                                                           gpointer                user_data);
BURROW_API
BurrowRelayAllocation *burrow_turn_client_allocate_finish (BurrowTurnClient       *self,
                                                           GAsyncResult           *result,
                                                           GError                **error);
BURROW_API
BurrowRelayAllocation *burrow_turn_client_allocate_sync   (BurrowTurnClient       *self,
                                                           BurrowAllocateOptions  *options,
                                                           GCancellable           *cancellable,
                                                           GError                **error);
BURROW_API
BurrowRelayAllocation *burrow_turn_client_get_allocation  (BurrowTurnClient       *self);

BURROW_API
void                   burrow_turn_client_set_credentials (BurrowTurnClient       *self,
                                                           const gchar            *username,
                                                           const gchar            *password);
BURROW_API
GInetSocketAddress    *burrow_turn_client_get_server_address (BurrowTurnClient    *self);
BURROW_API
guint64                burrow_turn_client_get_dropped_packets (BurrowTurnClient   *self);

BURROW_API
gboolean               burrow_turn_rest_credentials       (const gchar            *secret,
                                                           const gchar            *user,
                                                           guint                   ttl_seconds,
                                                           gint64                  now,
                                                           gchar                 **username,
                                                           gchar                 **password,
                                                           GError                **error);

G_END_DECLS
