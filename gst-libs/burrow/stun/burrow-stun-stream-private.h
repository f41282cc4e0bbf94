/* burrow-stun-stream-private.h: STUN and ChannelData frames over a stream
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Never installed. The framing of RFC 8489 6.2.2 and RFC 8656 12.5 on a
 * connected TCP or TLS stream, for BurrowStunEndpoint: a reassembling
 * reader and a bounded, non-blocking send queue on one GMainContext.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The longest frame: a STUN header and the largest length that is a
 * multiple of four (ChannelData with padding is shorter). */
#define BURROW_STUN_STREAM_MAX_FRAME (20 + 0xFFFC)
/* Bytes the send queue may hold before sending fails with
 * G_IO_ERROR_WOULD_BLOCK. */
#define BURROW_STUN_STREAM_MAX_QUEUE (4 * 1024 * 1024)

typedef enum {
  BURROW_STUN_FRAME_INCOMPLETE,
  BURROW_STUN_FRAME_COMPLETE,
  BURROW_STUN_FRAME_INVALID,
} BurrowStunFrameStatus;

/* Looks at the bytes at the head of a stream. COMPLETE sets @frame_len (the
 * frame without padding) and @consumed (with it); INVALID sets @error
 * (BURROW_STUN_ERROR_MALFORMED): the stream cannot be resynchronized. Reads
 * only the first @avail bytes of @data. */
BurrowStunFrameStatus burrow_stun_stream_parse_frame (const guint8 *data,
                                                      gsize         avail,
                                                      gsize        *frame_len,
                                                      gsize        *consumed,
                                                      GError      **error);

typedef struct _BurrowStunStream BurrowStunStream;

/* Every complete frame, in order, padding stripped. */
typedef void (*BurrowStunStreamFrameFunc)  (const guint8 *frame,
                                            gsize         len,
                                            gpointer      owner);
/* Once, when the stream ended, failed or broke the framing; after it the
 * stream does no more I/O and calls nothing. */
typedef void (*BurrowStunStreamFailedFunc) (const GError *error,
                                            gpointer      owner);

/* @io must have pollable streams. @owner is referenced while a callback of
 * the stream runs, so that it may drop its last reference from one. */
BurrowStunStream *burrow_stun_stream_new            (GIOStream                 *io,
                                                     GSocketAddress            *remote,
                                                     GMainContext              *context,
                                                     GObject                   *owner,
                                                     BurrowStunStreamFrameFunc  frame_func,
                                                     BurrowStunStreamFailedFunc failed_func);
/* Queues one frame (the concatenation of @vectors; ChannelData is padded)
 * and writes what the stream takes without blocking. Fails with
 * G_IO_ERROR_WOULD_BLOCK when the queue is full. A write error is returned
 * here and reported to failed_func from an idle source. */
gboolean          burrow_stun_stream_send           (BurrowStunStream    *stream,
                                                     const GOutputVector *vectors,
                                                     guint                n_vectors,
                                                     GError             **error);
/* The GSocketConnection, under any TLS layers. */
GSocketConnection *burrow_stun_stream_get_connection (BurrowStunStream *stream);
GIOStream        *burrow_stun_stream_get_io_stream  (BurrowStunStream *stream);
/* Stops I/O and closes the stream; a stream still healthy gets what is
 * queued written first as far as it goes without blocking. No callbacks
 * after this. */
void              burrow_stun_stream_close          (BurrowStunStream *stream);
void              burrow_stun_stream_free           (BurrowStunStream *stream);

G_END_DECLS
