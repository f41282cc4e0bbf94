/* burrow-stun-message-build.c: STUN message codec, building and serializing
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The parsing half is in burrow-stun-message.c.
 */
#include "config.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "burrow-stun"

#include <string.h>

#include <burrow/burrow-error.h>
#include "burrow-stun-message.h"
#include "burrow-stun-private.h"

/* RFC 8489 section 14.8: fewer than 128 characters, at most 763 bytes. */
#define REASON_MAX_CHARS 127
#define REASON_MAX_BYTES 763

#define MI_TOTAL (4 + BURROW_STUN_MESSAGE_INTEGRITY_SIZE)
#define MI256_TOTAL (4 + BURROW_STUN_MESSAGE_INTEGRITY_SHA256_SIZE)
#define FINGERPRINT_TOTAL 8

/* Copies the content attributes of a parsed message (everything the index
 * holds before MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT)
 * to @out with zero padding, indexing them in @out_attrs if given. */
static void
append_entries (BurrowStunMessage *msg, GByteArray *out, GArray *out_attrs)
{
  static const guint8 zeros[3] = { 0, 0, 0 };
  guint i;

  for (i = 0; i < msg->attrs->len; i++) {
    const BurrowStunAttrEntry *e = &g_array_index (msg->attrs, BurrowStunAttrEntry, i);
    BurrowStunAttrEntry copy = { e->type, e->length, out->len + 4 };
    guint8 header[4];

    /* compare the header: an empty value may start at body_end */
    if (e->offset - 4 >= msg->body_end)
      break;
    burrow_stun_write16 (header, e->type);
    burrow_stun_write16 (header + 2, e->length);
    g_byte_array_append (out, header, 4);
    g_byte_array_append (out, msg->buf->data + e->offset, e->length);
    g_byte_array_append (out, zeros, (guint) (BURROW_STUN_PADDED (e->length) - e->length));
    if (out_attrs)
      g_array_append_val (out_attrs, copy);
  }
}

/* A parsed message that gets a new attribute becomes a message being built:
 * its integrity attributes and fingerprint no longer apply and are dropped,
 * and the attributes are laid out again with zero padding. */
static void
ensure_writable (BurrowStunMessage *msg)
{
  GByteArray *buf;
  GArray *attrs;

  if (!msg->parsed)
    return;

  buf = g_byte_array_sized_new ((guint) msg->body_end);
  g_byte_array_append (buf, msg->buf->data, BURROW_STUN_HEADER_SIZE);
  attrs = g_array_sized_new (FALSE, FALSE, sizeof (BurrowStunAttrEntry), msg->attrs->len + 4);
  append_entries (msg, buf, attrs);

  g_byte_array_unref (msg->buf);
  g_array_unref (msg->attrs);
  msg->buf = buf;
  msg->attrs = attrs;
  msg->body_end = buf->len;
  msg->parsed = FALSE;
}

/* Appends an attribute header and @len zeroed, padded bytes of value;
 * returns where the value goes, or NULL if the message would grow past
 * BURROW_STUN_MAX_MESSAGE_SIZE (serialize() then fails). */
static guint8 *
append_attribute (BurrowStunMessage *msg, guint16 type, gsize len)
{
  BurrowStunAttrEntry entry;
  gsize old, padded;
  guint8 *p;

  ensure_writable (msg);
  old = msg->buf->len;
  padded = BURROW_STUN_PADDED (len);
  if (len > G_MAXUINT16 || padded + 4 > BURROW_STUN_MAX_MESSAGE_SIZE - old) {
    g_debug ("STUN %s attribute of %" G_GSIZE_FORMAT " bytes does not fit in the message",
        burrow_stun_attribute_to_string (type), len);
    msg->overflow = TRUE;
    return NULL;
  }

  g_byte_array_set_size (msg->buf, (guint) (old + 4 + padded));
  p = msg->buf->data + old;
  burrow_stun_write16 (p, type);
  burrow_stun_write16 (p + 2, (guint16) len);
  memset (p + 4, 0, padded);

  entry.type = type;
  entry.length = (guint16) len;
  entry.offset = (guint32) (old + 4);
  g_array_append_val (msg->attrs, entry);
  msg->body_end = msg->buf->len;
  return p + 4;
}

/**
 * burrow_stun_message_add_attribute:
 * @msg: a message
 * @attribute: the attribute type
 * @value: (array length=len) (nullable): the raw value
 * @len: the length of @value, at most 65535
 *
 * Appends an attribute with a raw value, padded with zero bytes to a
 * multiple of four. Use the typed `add_*` methods where one fits.
 * MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT cannot be
 * added this way: ask [method@Burrow.StunMessage.serialize] for them.
 *
 * If @msg was parsed from the wire, its MESSAGE-INTEGRITY,
 * MESSAGE-INTEGRITY-SHA256 and FINGERPRINT are dropped first.
 *
 * An attribute that would make the message longer than
 * %BURROW_STUN_MAX_MESSAGE_SIZE is not added, and serializing the message
 * then fails.
 *
 * Since: 0.1
 */
void
burrow_stun_message_add_attribute (BurrowStunMessage *msg,
                                   guint16            attribute,
                                   const guint8      *value,
                                   gsize              len)
{
  guint8 *p;

  g_return_if_fail (msg != NULL);
  g_return_if_fail (value != NULL || len == 0);
  g_return_if_fail (attribute != BURROW_STUN_ATTRIBUTE_MESSAGE_INTEGRITY &&
      attribute != BURROW_STUN_ATTRIBUTE_MESSAGE_INTEGRITY_SHA256 &&
      attribute != BURROW_STUN_ATTRIBUTE_FINGERPRINT);

  p = append_attribute (msg, attribute, len);
  if (p && len)
    memcpy (p, value, len);
}

/**
 * burrow_stun_message_add_string:
 * @msg: a message
 * @attribute: a text attribute type (USERNAME, REALM, NONCE, SOFTWARE…)
 * @value: UTF-8 text
 *
 * Appends a text attribute, without a terminating NUL.
 *
 * Since: 0.1
 */
void
burrow_stun_message_add_string (BurrowStunMessage *msg,
                                guint16            attribute,
                                const gchar       *value)
{
  g_return_if_fail (msg != NULL);
  g_return_if_fail (value != NULL);
  g_return_if_fail (g_utf8_validate (value, -1, NULL));

  burrow_stun_message_add_attribute (msg, attribute, (const guint8 *) value, strlen (value));
}

/**
 * burrow_stun_message_add_uint32:
 * @msg: a message
 * @attribute: an attribute type with a 32-bit value (PRIORITY, LIFETIME…)
 * @value: the value
 *
 * Appends a 32-bit big-endian attribute.
 *
 * Since: 0.1
 */
void
burrow_stun_message_add_uint32 (BurrowStunMessage *msg,
                                guint16            attribute,
                                guint32            value)
{
  guint8 bytes[4];

  burrow_stun_write32 (bytes, value);
  burrow_stun_message_add_attribute (msg, attribute, bytes, sizeof bytes);
}

/**
 * burrow_stun_message_add_uint64:
 * @msg: a message
 * @attribute: an attribute type with a 64-bit value (ICE-CONTROLLED,
 *   ICE-CONTROLLING, RESERVATION-TOKEN…)
 * @value: the value
 *
 * Appends a 64-bit big-endian attribute.
 *
 * Since: 0.1
 */
void
burrow_stun_message_add_uint64 (BurrowStunMessage *msg,
                                guint16            attribute,
                                guint64            value)
{
  guint8 bytes[8];

  burrow_stun_write32 (bytes, (guint32) (value >> 32));
  burrow_stun_write32 (bytes + 4, (guint32) value);
  burrow_stun_message_add_attribute (msg, attribute, bytes, sizeof bytes);
}

/**
 * burrow_stun_message_add_flag:
 * @msg: a message
 * @attribute: an attribute type without a value (USE-CANDIDATE,
 *   DONT-FRAGMENT…)
 *
 * Appends an attribute with an empty value.
 *
 * Since: 0.1
 */
void
burrow_stun_message_add_flag (BurrowStunMessage *msg,
                              guint16            attribute)
{
  burrow_stun_message_add_attribute (msg, attribute, NULL, 0);
}

/**
 * burrow_stun_message_add_address:
 * @msg: a message
 * @attribute: an address attribute type
 * @address: an IPv4 or IPv6 transport address
 *
 * Appends a transport address. XOR-MAPPED-ADDRESS, XOR-PEER-ADDRESS and
 * XOR-RELAYED-ADDRESS are XORed with the magic cookie and transaction id as
 * RFC 8489 section 14.2 says; any other type (MAPPED-ADDRESS,
 * ALTERNATE-SERVER, RESPONSE-ORIGIN, OTHER-ADDRESS…) is written plain.
 *
 * Returns: %TRUE if the address was added, %FALSE if it is neither IPv4 nor
 *   IPv6 or the message is full
 *
 * Since: 0.1
 */
gboolean
burrow_stun_message_add_address (BurrowStunMessage  *msg,
                                 guint16             attribute,
                                 GInetSocketAddress *address)
{
  GInetAddress *addr;
  const guint8 *addr_bytes;
  guint8 value[20], mask[16];
  gsize addr_len, i;
  guint16 port;
  gboolean xor;
  guint8 *p;

  g_return_val_if_fail (msg != NULL, FALSE);
  g_return_val_if_fail (G_IS_INET_SOCKET_ADDRESS (address), FALSE);

  addr = g_inet_socket_address_get_address (address);
  switch (g_inet_address_get_family (addr)) {
    case G_SOCKET_FAMILY_IPV4:
      value[1] = 0x01;
      addr_len = 4;
      break;
    case G_SOCKET_FAMILY_IPV6:
      value[1] = 0x02;
      addr_len = 16;
      break;
    default:
      return FALSE;
  }
  if (g_inet_address_get_native_size (addr) != addr_len)
    return FALSE;

  xor = burrow_stun_is_xor_address_attribute (attribute);
  burrow_stun_write32 (mask, BURROW_STUN_MAGIC_COOKIE);
  memcpy (mask + 4, msg->transaction_id, BURROW_STUN_TRANSACTION_ID_SIZE);
  port = g_inet_socket_address_get_port (address);
  if (xor)
    port ^= (guint16) (BURROW_STUN_MAGIC_COOKIE >> 16);
  addr_bytes = g_inet_address_to_bytes (addr);

  value[0] = 0;
  burrow_stun_write16 (value + 2, port);
  for (i = 0; i < addr_len; i++)
    value[4 + i] = xor ? addr_bytes[i] ^ mask[i] : addr_bytes[i];

  p = append_attribute (msg, attribute, 4 + addr_len);
  if (p == NULL)
    return FALSE;
  memcpy (p, value, 4 + addr_len);
  return TRUE;
}

static const gchar *
default_reason (guint code)
{
  switch (code) {
    case 300: return "Try Alternate";
    case 400: return "Bad Request";
    case 401: return "Unauthenticated";
    case 403: return "Forbidden";
    case 405: return "Mobility Forbidden";
    case 420: return "Unknown Attribute";
    case 437: return "Allocation Mismatch";
    case 438: return "Stale Nonce";
    case 440: return "Address Family not Supported";
    case 441: return "Wrong Credentials";
    case 442: return "Unsupported Transport Protocol";
    case 443: return "Peer Address Family Mismatch";
    case 446: return "Connection Already Exists";
    case 447: return "Connection Timeout or Failure";
    case 486: return "Allocation Quota Reached";
    case 487: return "Role Conflict";
    case 500: return "Server Error";
    case 508: return "Insufficient Capacity";
    default: return "";
  }
}

/**
 * burrow_stun_message_add_error_code:
 * @msg: a message
 * @code: the error code, 300 to 699
 * @reason: (nullable): a UTF-8 reason phrase, or %NULL for the standard
 *   phrase of @code
 *
 * Appends ERROR-CODE. A reason phrase longer than 127 characters or 763
 * bytes is cut at a character boundary.
 *
 * Since: 0.1
 */
void
burrow_stun_message_add_error_code (BurrowStunMessage *msg,
                                    guint              code,
                                    const gchar       *reason)
{
  const gchar *end;
  gsize reason_len;
  guint8 *p;

  g_return_if_fail (msg != NULL);
  g_return_if_fail (code >= 300 && code <= 699);
  g_return_if_fail (reason == NULL || g_utf8_validate (reason, -1, NULL));

  if (reason == NULL)
    reason = default_reason (code);
  end = reason + strlen (reason);
  if (g_utf8_strlen (reason, -1) > REASON_MAX_CHARS)
    end = g_utf8_offset_to_pointer (reason, REASON_MAX_CHARS);
  if (end - reason > REASON_MAX_BYTES) {
    end = reason + REASON_MAX_BYTES;
    while (end > reason && ((guchar) *end & 0xC0) == 0x80)
      end--;
  }
  reason_len = (gsize) (end - reason);

  p = append_attribute (msg, BURROW_STUN_ATTRIBUTE_ERROR_CODE, 4 + reason_len);
  if (p == NULL)
    return;
  p[2] = (guint8) (code / 100);
  p[3] = (guint8) (code % 100);
  memcpy (p + 4, reason, reason_len);
}

/**
 * burrow_stun_message_add_unknown_attributes:
 * @msg: a message, usually a 420 error response
 * @attributes: (array length=n_attributes) (nullable): attribute types
 * @n_attributes: the number of types
 *
 * Appends UNKNOWN-ATTRIBUTES listing @attributes, for example those from
 * [method@Burrow.StunMessage.get_unknown_required_attributes].
 *
 * Since: 0.1
 */
void
burrow_stun_message_add_unknown_attributes (BurrowStunMessage *msg,
                                            const guint16     *attributes,
                                            guint              n_attributes)
{
  guint8 *p;
  guint i;

  g_return_if_fail (msg != NULL);
  g_return_if_fail (attributes != NULL || n_attributes == 0);

  p = append_attribute (msg, BURROW_STUN_ATTRIBUTE_UNKNOWN_ATTRIBUTES, 2 * (gsize) n_attributes);
  if (p == NULL)
    return;
  for (i = 0; i < n_attributes; i++)
    burrow_stun_write16 (p + 2 * i, attributes[i]);
}

/**
 * burrow_stun_message_add_change_request:
 * @msg: a Binding request
 * @change_ip: ask the server to answer from its other IP address
 * @change_port: ask the server to answer from its other port
 *
 * Appends CHANGE-REQUEST (RFC 5780 section 7.2), used by NAT behaviour
 * discovery to test filtering.
 *
 * Since: 0.1
 */
void
burrow_stun_message_add_change_request (BurrowStunMessage *msg,
                                        gboolean           change_ip,
                                        gboolean           change_port)
{
  burrow_stun_message_add_uint32 (msg, BURROW_STUN_ATTRIBUTE_CHANGE_REQUEST,
      (change_ip ? 0x4u : 0) | (change_port ? 0x2u : 0));
}

static gboolean
append_integrity (GByteArray *out, guint16 type, const gchar *digest, gsize size,
    const guint8 *key, gsize key_len, GError **error)
{
  guint8 mac[BURROW_STUN_MESSAGE_INTEGRITY_SHA256_SIZE];
  guint8 header[4];
  gsize start = out->len;

  /* The length field counts up to the end of this attribute. */
  if (!burrow_stun_hmac (digest, key, key_len, out->data, start,
          (guint16) (start - BURROW_STUN_HEADER_SIZE + 4 + size), mac, sizeof mac)) {
    g_set_error (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_FAILED,
        "Could not compute HMAC-%s for STUN %s (OpenSSL failed)", digest,
        burrow_stun_attribute_to_string (type));
    return FALSE;
  }
  burrow_stun_write16 (header, type);
  burrow_stun_write16 (header + 2, (guint16) size);
  g_byte_array_append (out, header, 4);
  g_byte_array_append (out, mac, (guint) size);
  return TRUE;
}

static void
append_fingerprint (GByteArray *out)
{
  guint8 attr[FINGERPRINT_TOTAL];
  gsize start = out->len;

  burrow_stun_write16 (attr, BURROW_STUN_ATTRIBUTE_FINGERPRINT);
  burrow_stun_write16 (attr + 2, 4);
  burrow_stun_write32 (attr + 4, burrow_stun_fingerprint_value (out->data, start,
          (guint16) (start - BURROW_STUN_HEADER_SIZE + FINGERPRINT_TOTAL)));
  g_byte_array_append (out, attr, sizeof attr);
}

/**
 * burrow_stun_message_serialize:
 * @msg: a message
 * @flags: what to append after the attributes
 * @key: (array length=key_len) (nullable): the HMAC key for
 *   MESSAGE-INTEGRITY and MESSAGE-INTEGRITY-SHA256
 * @key_len: the length of @key
 * @error: return location for a [error@Burrow.StunError]
 *
 * Writes @msg to bytes: the header with the right length, the attributes,
 * then MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT as
 * @flags asks, in that order. @msg is not changed and can be serialized
 * again, giving the same bytes.
 *
 * A parsed message is written with the attributes it had before its
 * integrity attributes, once each and with zero padding.
 *
 * Fails with %BURROW_STUN_ERROR_INVALID_ARGUMENT when an integrity
 * attribute is asked for without a key, or when the message would be
 * longer than %BURROW_STUN_MAX_MESSAGE_SIZE.
 *
 * Returns: (transfer full) (nullable): the message, or %NULL with @error
 *   set
 *
 * Since: 0.1
 */
GBytes *
burrow_stun_message_serialize (BurrowStunMessage   *msg,
                               BurrowStunSignFlags  flags,
                               const guint8        *key,
                               gsize                key_len,
                               GError             **error)
{
  g_autoptr(GByteArray) out = NULL;
  gsize extra = 0;

  g_return_val_if_fail (msg != NULL, NULL);
  g_return_val_if_fail (key != NULL || key_len == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if ((flags & (BURROW_STUN_SIGN_MESSAGE_INTEGRITY | BURROW_STUN_SIGN_MESSAGE_INTEGRITY_SHA256)) &&
      key_len == 0) {
    g_set_error (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_INVALID_ARGUMENT,
        "Cannot sign STUN %s message: message integrity was asked for without a key",
        burrow_stun_method_to_string (msg->method));
    return NULL;
  }
  if (flags & BURROW_STUN_SIGN_MESSAGE_INTEGRITY)
    extra += MI_TOTAL;
  if (flags & BURROW_STUN_SIGN_MESSAGE_INTEGRITY_SHA256)
    extra += MI256_TOTAL;
  if (flags & BURROW_STUN_SIGN_FINGERPRINT)
    extra += FINGERPRINT_TOTAL;

  out = g_byte_array_sized_new ((guint) (msg->body_end + extra));
  if (msg->parsed) {
    g_byte_array_append (out, msg->buf->data, BURROW_STUN_HEADER_SIZE);
    append_entries (msg, out, NULL);
  } else {
    g_byte_array_append (out, msg->buf->data, (guint) msg->body_end);
  }

  if (msg->overflow || out->len + extra > BURROW_STUN_MAX_MESSAGE_SIZE) {
    g_set_error (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_INVALID_ARGUMENT,
        "STUN %s message does not fit in %u bytes; leave out some attributes",
        burrow_stun_method_to_string (msg->method), (guint) BURROW_STUN_MAX_MESSAGE_SIZE);
    return NULL;
  }

  if ((flags & BURROW_STUN_SIGN_MESSAGE_INTEGRITY) &&
      !append_integrity (out, BURROW_STUN_ATTRIBUTE_MESSAGE_INTEGRITY, "SHA1",
          BURROW_STUN_MESSAGE_INTEGRITY_SIZE, key, key_len, error))
    return NULL;
  if ((flags & BURROW_STUN_SIGN_MESSAGE_INTEGRITY_SHA256) &&
      !append_integrity (out, BURROW_STUN_ATTRIBUTE_MESSAGE_INTEGRITY_SHA256, "SHA256",
          BURROW_STUN_MESSAGE_INTEGRITY_SHA256_SIZE, key, key_len, error))
    return NULL;
  if (flags & BURROW_STUN_SIGN_FINGERPRINT)
    append_fingerprint (out);

  burrow_stun_write16 (out->data + 2, (guint16) (out->len - BURROW_STUN_HEADER_SIZE));
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}
