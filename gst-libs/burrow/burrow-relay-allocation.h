/* burrow-relay-allocation.h: one TURN allocation and its relayed traffic
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(__BURROW_H_INSIDE__) && !defined(BURROW_COMPILATION)
#error "Only <burrow/burrow.h> can be included directly."
#endif

#include <gio/gio.h>
#include <burrow/burrow-export.h>

G_BEGIN_DECLS

/**
 * BurrowRelayState:
 * @BURROW_RELAY_STATE_ALLOCATED: the allocation is alive on the server
 * @BURROW_RELAY_STATE_EXPIRED: its lifetime ran out without a refresh
 * @BURROW_RELAY_STATE_RELEASED: it was released (closed) by its owner
 * @BURROW_RELAY_STATE_FAILED: the server stopped answering, the connection
 *   to it was lost, or a refresh was refused
 *
 * The life of a [class@Burrow.RelayAllocation]. Only an allocated one
 * relays data.
 *
 * Since: 0.1
 */
typedef enum {
  BURROW_RELAY_STATE_ALLOCATED,
  BURROW_RELAY_STATE_EXPIRED,
  BURROW_RELAY_STATE_RELEASED,
  BURROW_RELAY_STATE_FAILED,
} BurrowRelayState;

/**
 * BurrowRelayDataFunc:
 * @allocation: the allocation the data came through
 * @peer: the peer that sent it
 * @data: the payload
 * @user_data: the data given to [method@Burrow.RelayAllocation.subscribe]
 *
 * Receives data relayed from a subscribed peer.
 *
 * Since: 0.1
 */
typedef struct _BurrowRelayAllocation BurrowRelayAllocation;
typedef void (*BurrowRelayDataFunc) (BurrowRelayAllocation *allocation,
                                     GInetSocketAddress    *peer,
                                     GBytes                *data,
                                     gpointer               user_data);

#define BURROW_TYPE_RELAY_ALLOCATION (burrow_relay_allocation_get_type ())
BURROW_API
G_DECLARE_FINAL_TYPE (BurrowRelayAllocation, burrow_relay_allocation, BURROW, RELAY_ALLOCATION, GObject)

BURROW_API
GInetSocketAddress *burrow_relay_allocation_get_relayed_address    (BurrowRelayAllocation *self);
BURROW_API
GInetSocketAddress *burrow_relay_allocation_get_additional_relayed_address (BurrowRelayAllocation *self);
BURROW_API
GInetSocketAddress *burrow_relay_allocation_get_mapped_address     (BurrowRelayAllocation *self);
BURROW_API
GInetSocketAddress *burrow_relay_allocation_get_server             (BurrowRelayAllocation *self);
BURROW_API
guint               burrow_relay_allocation_get_lifetime           (BurrowRelayAllocation *self);
BURROW_API
GDateTime          *burrow_relay_allocation_get_expires_at         (BurrowRelayAllocation *self);
BURROW_API
guint64             burrow_relay_allocation_get_reservation_token  (BurrowRelayAllocation *self);
BURROW_API
BurrowRelayState    burrow_relay_allocation_get_state              (BurrowRelayAllocation *self);
BURROW_API
gboolean            burrow_relay_allocation_get_auto_refresh       (BurrowRelayAllocation *self);
BURROW_API
void                burrow_relay_allocation_set_auto_refresh       (BurrowRelayAllocation *self,
                                                                    gboolean               auto_refresh);
BURROW_API
gboolean            burrow_relay_allocation_get_auto_bind_channels (BurrowRelayAllocation *self);
BURROW_API
void                burrow_relay_allocation_set_auto_bind_channels (BurrowRelayAllocation *self,
                                                                    gboolean               auto_bind);
BURROW_API
GPtrArray          *burrow_relay_allocation_get_permissions        (BurrowRelayAllocation *self);
BURROW_API
gboolean            burrow_relay_allocation_has_permission         (BurrowRelayAllocation *self,
                                                                    GInetAddress          *peer);
BURROW_API
guint16             burrow_relay_allocation_get_channel            (BurrowRelayAllocation *self,
                                                                    GInetSocketAddress    *peer);
BURROW_API
guint64             burrow_relay_allocation_get_dropped_packets    (BurrowRelayAllocation *self);

/* refresh and release */
BURROW_API
void                burrow_relay_allocation_refresh_async          (BurrowRelayAllocation *self,
                                                                    GCancellable          *cancellable,
                                                                    GAsyncReadyCallback    callback,
                                                                    gpointer               user_data);
BURROW_API
gboolean            burrow_relay_allocation_refresh_finish         (BurrowRelayAllocation *self,
                                                                    GAsyncResult          *result,
                                                                    GError               **error);
BURROW_API
gboolean            burrow_relay_allocation_refresh_sync           (BurrowRelayAllocation *self,
                                                                    GCancellable          *cancellable,
                                                                    GError               **error);
BURROW_API
void                burrow_relay_allocation_release_async          (BurrowRelayAllocation *self,
                                                                    GCancellable          *cancellable,
                                                                    GAsyncReadyCallback    callback,
                                                                    gpointer               user_data);
BURROW_API
gboolean            burrow_relay_allocation_release_finish         (BurrowRelayAllocation *self,
                                                                    GAsyncResult          *result,
                                                                    GError               **error);
BURROW_API
gboolean            burrow_relay_allocation_release_sync           (BurrowRelayAllocation *self,
                                                                    GCancellable          *cancellable,
                                                                    GError               **error);
BURROW_API
void                burrow_relay_allocation_close                  (BurrowRelayAllocation *self);

/* permissions and channels */
BURROW_API
void                burrow_relay_allocation_create_permissions_async (BurrowRelayAllocation *self,
                                                                      GInetAddress         **peers,
                                                                      guint                  n_peers,
                                                                      GCancellable          *cancellable,
                                                                      GAsyncReadyCallback    callback,
                                                                      gpointer               user_data);
BURROW_API
gboolean            burrow_relay_allocation_create_permissions_finish (BurrowRelayAllocation *self,
                                                                       GAsyncResult          *result,
                                                                       GError               **error);
BURROW_API
gboolean            burrow_relay_allocation_create_permissions_sync (BurrowRelayAllocation *self,
                                                                     GInetAddress         **peers,
                                                                     guint                  n_peers,
                                                                     GCancellable          *cancellable,
                                                                     GError               **error);
BURROW_API
void                burrow_relay_allocation_create_permission_async (BurrowRelayAllocation *self,
                                                                     GInetAddress          *peer,
                                                                     GCancellable          *cancellable,
                                                                     GAsyncReadyCallback    callback,
                                                                     gpointer               user_data);
BURROW_API
gboolean            burrow_relay_allocation_create_permission_finish (BurrowRelayAllocation *self,
                                                                      GAsyncResult          *result,
                                                                      GError               **error);
BURROW_API
gboolean            burrow_relay_allocation_create_permission_sync (BurrowRelayAllocation *self,
                                                                    GInetAddress          *peer,
                                                                    GCancellable          *cancellable,
                                                                    GError               **error);
BURROW_API
void                burrow_relay_allocation_bind_channel_async     (BurrowRelayAllocation *self,
                                                                    GInetSocketAddress    *peer,
                                                                    GCancellable          *cancellable,
                                                                    GAsyncReadyCallback    callback,
                                                                    gpointer               user_data);
BURROW_API
guint16             burrow_relay_allocation_bind_channel_finish    (BurrowRelayAllocation *self,
                                                                    GAsyncResult          *result,
                                                                    GError               **error);
BURROW_API
guint16             burrow_relay_allocation_bind_channel_sync      (BurrowRelayAllocation *self,
                                                                    GInetSocketAddress    *peer,
                                                                    GCancellable          *cancellable,
                                                                    GError               **error);

/* data */
BURROW_API
gboolean            burrow_relay_allocation_send                   (BurrowRelayAllocation *self,
                                                                    GInetSocketAddress    *peer,
                                                                    GBytes                *data,
                                                                    GError               **error);
BURROW_API
gboolean            burrow_relay_allocation_send_data              (BurrowRelayAllocation *self,
                                                                    GInetSocketAddress    *peer,
                                                                    const guint8          *data,
                                                                    gsize                  len,
                                                                    GError               **error);
BURROW_API
guint               burrow_relay_allocation_subscribe              (BurrowRelayAllocation *self,
                                                                    GInetSocketAddress    *peer,
                                                                    BurrowRelayDataFunc    func,
                                                                    gpointer               user_data,
                                                                    GDestroyNotify         notify);
BURROW_API
void                burrow_relay_allocation_unsubscribe            (BurrowRelayAllocation *self,
                                                                    guint                  subscription);
BURROW_API
void                burrow_relay_allocation_receive_async          (BurrowRelayAllocation *self,
                                                                    GInetSocketAddress    *peer,
                                                                    guint                  timeout_ms,
                                                                    GCancellable          *cancellable,
                                                                    GAsyncReadyCallback    callback,
                                                                    gpointer               user_data);
BURROW_API
GBytes             *burrow_relay_allocation_receive_finish         (BurrowRelayAllocation *self,
                                                                    GAsyncResult          *result,
                                                                    GInetSocketAddress   **from,
                                                                    GError               **error);
BURROW_API
GBytes             *burrow_relay_allocation_receive_sync           (BurrowRelayAllocation *self,
                                                                    GInetSocketAddress    *peer,
                                                                    guint                  timeout_ms,
                                                                    GInetSocketAddress   **from,
                                                                    GCancellable          *cancellable,
                                                                    GError               **error);

G_END_DECLS
