/* burrow-stun-private.h: internals shared by the STUN codec sources
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Never installed. Only the files of the STUN codec include this.
 */
#pragma once

#include <glib.h>
#include "burrow-stun-message.h"

G_BEGIN_DECLS

/* Big-endian helpers that never read or write unaligned words. */
static inline guint16
burrow_stun_read16 (const guint8 *p)
{
  return (guint16) ((p[0] << 8) | p[1]);
}

static inline guint32
burrow_stun_read32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static inline void
burrow_stun_write16 (guint8 *p, guint16 v)
{
  p[0] = (guint8) (v >> 8);
  p[1] = (guint8) v;
}

static inline void
burrow_stun_write32 (guint8 *p, guint32 v)
{
  p[0] = (guint8) (v >> 24);
  p[1] = (guint8) (v >> 16);
  p[2] = (guint8) (v >> 8);
  p[3] = (guint8) v;
}

/* Attribute values are padded to a multiple of four bytes. */
#define BURROW_STUN_PADDED(len) (((gsize) (len) + 3) & ~(gsize) 3)

/* CRC-32 of the message XORed with this gives FINGERPRINT (RFC 8489 14.7). */
#define BURROW_STUN_FINGERPRINT_XOR 0x5354554eu

#define BURROW_STUN_MESSAGE_INTEGRITY_SIZE 20
#define BURROW_STUN_MESSAGE_INTEGRITY_SHA256_SIZE 32

/* One attribute of the index: where its value sits in the message. */
typedef struct {
  guint16 type;
  guint16 length;
  guint32 offset;               /* of the value, from the first header byte */
} BurrowStunAttrEntry;

struct _BurrowStunMessage {
  gatomicrefcount ref_count;

  guint16 method;
  BurrowStunClass message_class;
  guint8 transaction_id[BURROW_STUN_TRANSACTION_ID_SIZE];

  /* Header and attributes. For a parsed message a copy of the packet; for a
   * message being built the header (length field not yet set) followed by
   * the attributes added so far. */
  GByteArray *buf;
  /* The attributes that serialize() writes again end here: for a parsed
   * message the first MESSAGE-INTEGRITY(-SHA256) or FINGERPRINT header,
   * otherwise buf->len. */
  gsize body_end;

  GArray *attrs;                /* BurrowStunAttrEntry, in packet order */
  GArray *unknown_required;     /* guint16, or NULL */

  guint parsed : 1;             /* buf is the packet as received */
  guint overflow : 1;           /* an add_* did not fit; serialize fails */
};

/* A message with an empty attribute index; no header bytes are written. */
G_GNUC_INTERNAL
BurrowStunMessage *burrow_stun_message_alloc (guint16          method,
                                              BurrowStunClass  message_class,
                                              const guint8    *transaction_id,
                                              gsize            reserve);
G_GNUC_INTERNAL
const BurrowStunAttrEntry *burrow_stun_message_find_entry (BurrowStunMessage *msg,
                                                           guint16            attribute);
G_GNUC_INTERNAL
gboolean    burrow_stun_is_xor_address_attribute (guint16 attribute);

/* HMAC (digest "SHA1" or "SHA256") and FINGERPRINT over the first
 * @msg_len bytes of a message (header included) as if its length field were
 * @length_field. */
G_GNUC_INTERNAL
gboolean    burrow_stun_hmac (const gchar  *digest,
                              const guint8 *key,
                              gsize         key_len,
                              const guint8 *msg,
                              gsize         msg_len,
                              guint16       length_field,
                              guint8       *out,
                              gsize         out_size);
G_GNUC_INTERNAL
guint32     burrow_stun_fingerprint_value (const guint8 *msg,
                                           gsize         msg_len,
                                           guint16       length_field);

G_END_DECLS
