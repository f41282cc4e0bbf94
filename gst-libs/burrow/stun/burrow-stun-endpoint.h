/* burrow-stun-endpoint.h: a socket with STUN client transactions (private)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>
#include "burrow-stun-message.h"

G_BEGIN_DECLS

/* Retransmission parameters of RFC 8489 section 6.2.1. */
typedef struct {
  guint rto_ms;          /* initial RTO */
  guint max_requests;    /* Rc: requests sent in all */
  guint last_wait_factor;/* Rm: wait Rm * RTO after the last request */
} BurrowStunRetransmit;

#define BURROW_STUN_RETRANSMIT_DEFAULT_RTO 500
#define BURROW_STUN_RETRANSMIT_DEFAULT_RC 7
#define BURROW_STUN_RETRANSMIT_DEFAULT_RM 16

guint64 burrow_stun_retransmit_total_ms (const BurrowStunRetransmit *retransmit);

typedef enum {
  BURROW_STUN_REQUEST_DEFAULT = 0,
  /* accept the response from any source address (RFC 5780 CHANGE-REQUEST) */
  BURROW_STUN_REQUEST_ANY_SOURCE = 1 << 0,
} BurrowStunRequestFlags;

/* Called for every datagram that is not a response to a pending transaction.
 * @message is set when the datagram parsed as STUN. */
typedef void (*BurrowStunEndpointHandler) (const guint8      *data,
                                           gsize              len,
                                           BurrowStunMessage *message,
                                           GSocketAddress    *from,
                                           gpointer           user_data);

#define BURROW_TYPE_STUN_ENDPOINT (burrow_stun_endpoint_get_type ())
G_DECLARE_FINAL_TYPE (BurrowStunEndpoint, burrow_stun_endpoint, BURROW, STUN_ENDPOINT, GObject)

BurrowStunEndpoint *burrow_stun_endpoint_new            (GSocket      *socket,
                                                         GMainContext *context);
/* Over a connected stream (TCP, or TLS over TCP) to @remote. Frames are
 * STUN messages and TURN ChannelData (RFC 8656 12.5: padded to 4 bytes on a
 * stream); requests are sent once and time out after the whole UDP
 * schedule's time (RFC 8489 6.2.2). When the stream ends or fails, pending
 * transactions fail with G_IO_ERROR_CONNECTION_CLOSED and the "closed"
 * signal (GError *error) is emitted once on @context. */
BurrowStunEndpoint *burrow_stun_endpoint_new_stream     (GIOStream      *stream,
                                                         GSocketAddress *remote,
                                                         GMainContext   *context);
gboolean            burrow_stun_endpoint_is_stream      (BurrowStunEndpoint *self);
/* NULL for a stream endpoint over TLS */
GSocket            *burrow_stun_endpoint_get_socket     (BurrowStunEndpoint *self);
/* The local address of the socket (or of the stream's connection). */
GSocketAddress     *burrow_stun_endpoint_get_local_address (BurrowStunEndpoint *self);
void                burrow_stun_endpoint_set_handler    (BurrowStunEndpoint        *self,
                                                         BurrowStunEndpointHandler  handler,
                                                         gpointer                   user_data);
void                burrow_stun_endpoint_clear_handler  (BurrowStunEndpoint *self,
                                                         gpointer            user_data);
gboolean            burrow_stun_endpoint_send           (BurrowStunEndpoint *self,
                                                         GSocketAddress     *to,
                                                         GBytes             *data,
                                                         GError            **error);
void                burrow_stun_endpoint_request_async  (BurrowStunEndpoint         *self,
                                                         GSocketAddress             *to,
                                                         BurrowStunMessage          *request,
                                                         GBytes                     *wire,
                                                         GBytes                     *key,
                                                         const BurrowStunRetransmit *retransmit,
                                                         BurrowStunRequestFlags      flags,
                                                         GCancellable               *cancellable,
                                                         GAsyncReadyCallback         callback,
                                                         gpointer                    user_data);
BurrowStunMessage  *burrow_stun_endpoint_request_finish (BurrowStunEndpoint  *self,
                                                         GAsyncResult        *result,
                                                         GSocketAddress     **from,
                                                         GError             **error);
/* Sends without copying into a GBytes: @vectors are concatenated into one
 * datagram (or one frame on a stream, where ChannelData is padded). @to is
 * ignored on a stream. A full UDP send buffer drops the datagram and returns
 * TRUE; on a stream the frame is queued, and a queue already holding
 * 4 MiB fails with G_IO_ERROR_WOULD_BLOCK. */
gboolean            burrow_stun_endpoint_send_vectors   (BurrowStunEndpoint *self,
                                                         GSocketAddress     *to,
                                                         GOutputVector      *vectors,
                                                         guint               n_vectors,
                                                         GError            **error);
guint64             burrow_stun_endpoint_get_dropped    (BurrowStunEndpoint *self);
guint               burrow_stun_endpoint_get_retransmissions (BurrowStunEndpoint *self);
void                burrow_stun_endpoint_close          (BurrowStunEndpoint *self);

gboolean            burrow_socket_address_equal         (GSocketAddress *a,
                                                         GSocketAddress *b);
gchar              *burrow_socket_address_to_string     (GSocketAddress *address);

G_END_DECLS
