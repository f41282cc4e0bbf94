/* burrow-stun-message-parse.c: STUN message codec, parsing and reading
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Turns untrusted packets into messages and decodes attribute values. The
 * message object itself is in burrow-stun-message.c.
 */
#include "config.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "burrow-stun"

#include <string.h>

#include <burrow/burrow-error.h>
#include "burrow-stun-message.h"
#include "burrow-stun-private.h"

/* Longest values the typed getters accept (RFC 8489 section 14). */
#define USERNAME_MAX_BYTES 513
#define TEXT_MAX_BYTES 763

/* How many unknown attribute types an error message spells out. */
#define UNKNOWN_LISTED_MAX 16

/* ---------------------------------------------------------------------- */
/* parsing */

/**
 * burrow_stun_message_is_stun:
 * @data: (array length=len): a received packet
 * @len: its length in bytes
 *
 * Tells, cheaply, whether @data looks like a whole STUN message: at least
 * the 20-byte header, the two leading bits zero, the magic cookie, and a
 * length field that is a multiple of four and matches @len. This is the
 * check for demultiplexing STUN from media or TURN channel data on one
 * socket (RFC 7983); it does not look at the attributes.
 *
 * Returns: %TRUE if @data can be given to
 *   [ctor@Burrow.StunMessage.new_from_data]
 *
 * Since: 0.1
 */
gboolean
burrow_stun_message_is_stun (const guint8 *data,
                             gsize         len)
{
  guint16 length;

  if (data == NULL || len < BURROW_STUN_HEADER_SIZE || len > BURROW_STUN_MAX_MESSAGE_SIZE)
    return FALSE;
  if ((data[0] & 0xC0) != 0 || burrow_stun_read32 (data + 4) != BURROW_STUN_MAGIC_COOKIE)
    return FALSE;
  length = burrow_stun_read16 (data + 2);
  return (length & 3) == 0 && (gsize) length + BURROW_STUN_HEADER_SIZE == len;
}

static gboolean
is_known_attribute (guint16 type)
{
  switch (type) {
    case BURROW_STUN_ATTRIBUTE_MAPPED_ADDRESS:
    case BURROW_STUN_ATTRIBUTE_CHANGE_REQUEST:
    case BURROW_STUN_ATTRIBUTE_USERNAME:
    case BURROW_STUN_ATTRIBUTE_MESSAGE_INTEGRITY:
    case BURROW_STUN_ATTRIBUTE_ERROR_CODE:
    case BURROW_STUN_ATTRIBUTE_UNKNOWN_ATTRIBUTES:
    case BURROW_STUN_ATTRIBUTE_CHANNEL_NUMBER:
    case BURROW_STUN_ATTRIBUTE_LIFETIME:
    case BURROW_STUN_ATTRIBUTE_XOR_PEER_ADDRESS:
    case BURROW_STUN_ATTRIBUTE_DATA:
    case BURROW_STUN_ATTRIBUTE_REALM:
    case BURROW_STUN_ATTRIBUTE_NONCE:
    case BURROW_STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS:
    case BURROW_STUN_ATTRIBUTE_REQUESTED_ADDRESS_FAMILY:
    case BURROW_STUN_ATTRIBUTE_EVEN_PORT:
    case BURROW_STUN_ATTRIBUTE_REQUESTED_TRANSPORT:
    case BURROW_STUN_ATTRIBUTE_DONT_FRAGMENT:
    case BURROW_STUN_ATTRIBUTE_MESSAGE_INTEGRITY_SHA256:
    case BURROW_STUN_ATTRIBUTE_PASSWORD_ALGORITHM:
    case BURROW_STUN_ATTRIBUTE_USERHASH:
    case BURROW_STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS:
    case BURROW_STUN_ATTRIBUTE_RESERVATION_TOKEN:
    case BURROW_STUN_ATTRIBUTE_PRIORITY:
    case BURROW_STUN_ATTRIBUTE_USE_CANDIDATE:
    case BURROW_STUN_ATTRIBUTE_PADDING:
    case BURROW_STUN_ATTRIBUTE_RESPONSE_PORT:
    case BURROW_STUN_ATTRIBUTE_CONNECTION_ID:
      return TRUE;
    /* RFC 3489 attributes (RESPONSE-ADDRESS, SOURCE-ADDRESS,
     * CHANGED-ADDRESS, PASSWORD, REFLECTED-FROM), reserved by RFC 5389.
     * Servers that also speak RFC 3489 still send some of them; failing
     * every such response would break NAT discovery against them. */
    case 0x0002:
    case 0x0004:
    case 0x0005:
    case 0x0007:
    case 0x000B:
      return TRUE;
    default:
      return FALSE;
  }
}

/* Parser state. It lives on the stack: the bitmap of attribute types seen
 * (8 KiB) finds repeated attributes in linear time however many a hostile
 * packet holds. */
typedef struct {
  GArray *attrs;
  GArray *unknown;
  gsize body_end;
  gboolean after_mi;
  gboolean after_mi256;
  gboolean have_fingerprint;
  guint32 seen[65536 / 32];
} ParseState;

static gboolean
check_integrity_layout (ParseState *st, guint16 type, guint16 alen, gsize pos, GError **error)
{
  gboolean seen = (st->seen[type / 32] >> (type % 32)) & 1;

  switch (type) {
    case BURROW_STUN_ATTRIBUTE_MESSAGE_INTEGRITY:
      if (alen != BURROW_STUN_MESSAGE_INTEGRITY_SIZE) {
        g_set_error (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_MALFORMED,
            "STUN MESSAGE-INTEGRITY at offset %" G_GSIZE_FORMAT " is %u bytes long instead of 20",
            pos, alen);
        return FALSE;
      }
      break;
    case BURROW_STUN_ATTRIBUTE_MESSAGE_INTEGRITY_SHA256:
      if (alen < 16 || alen > BURROW_STUN_MESSAGE_INTEGRITY_SHA256_SIZE || (alen & 3) != 0) {
        g_set_error (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_MALFORMED,
            "STUN MESSAGE-INTEGRITY-SHA256 at offset %" G_GSIZE_FORMAT " is %u bytes long "
            "(must be 16 to 32, a multiple of 4)", pos, alen);
        return FALSE;
      }
      break;
    case BURROW_STUN_ATTRIBUTE_FINGERPRINT:
      if (alen != 4) {
        g_set_error (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_MALFORMED,
            "STUN FINGERPRINT at offset %" G_GSIZE_FORMAT " is %u bytes long instead of 4",
            pos, alen);
        return FALSE;
      }
      return TRUE;
    default:
      return TRUE;
  }

  if (seen) {
    g_set_error (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_MALFORMED,
        "STUN message carries %s twice", burrow_stun_attribute_to_string (type));
    return FALSE;
  }
  return TRUE;
}

/* RFC 8489 section 9: attributes after MESSAGE-INTEGRITY other than
 * MESSAGE-INTEGRITY-SHA256 and FINGERPRINT, and after
 * MESSAGE-INTEGRITY-SHA256 other than FINGERPRINT, are ignored. */
static gboolean
is_ignored (ParseState *st, guint16 type)
{
  if (st->after_mi256)
    return type != BURROW_STUN_ATTRIBUTE_FINGERPRINT;
  if (st->after_mi)
    return type != BURROW_STUN_ATTRIBUTE_MESSAGE_INTEGRITY_SHA256 &&
        type != BURROW_STUN_ATTRIBUTE_FINGERPRINT;
  return FALSE;
}

static void
index_attribute (ParseState *st, guint16 type, guint16 alen, gsize pos)
{
  BurrowStunAttrEntry entry = { type, alen, (guint32) (pos + 4) };

  if (type == BURROW_STUN_ATTRIBUTE_MESSAGE_INTEGRITY ||
      type == BURROW_STUN_ATTRIBUTE_MESSAGE_INTEGRITY_SHA256 ||
      type == BURROW_STUN_ATTRIBUTE_FINGERPRINT)
    st->body_end = MIN (st->body_end, pos);

  /* Duplicates: the first one counts (RFC 8489 section 14). */
  if ((st->seen[type / 32] >> (type % 32)) & 1)
    return;
  st->seen[type / 32] |= 1u << (type % 32);
  g_array_append_val (st->attrs, entry);

  if (type < 0x8000 && !is_known_attribute (type)) {
    if (st->unknown == NULL)
      st->unknown = g_array_new (FALSE, FALSE, sizeof (guint16));
    g_array_append_val (st->unknown, type);
  }
}

static gboolean
parse_attributes (const guint8 *data, gsize len, ParseState *st, GError **error)
{
  gsize pos = BURROW_STUN_HEADER_SIZE;

  while (pos < len) {
    guint16 type, alen;
    gsize padded;

    if (st->have_fingerprint) {
      g_set_error (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_MALFORMED,
          "STUN FINGERPRINT is not the last attribute (attribute 0x%04x follows at offset %"
          G_GSIZE_FORMAT ")", len - pos >= 2 ? burrow_stun_read16 (data + pos) : 0, pos);
      return FALSE;
    }
    if (len - pos < 4) {
      g_set_error (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_MALFORMED,
          "STUN attribute header at offset %" G_GSIZE_FORMAT " is cut short", pos);
      return FALSE;
    }
    type = burrow_stun_read16 (data + pos);
    alen = burrow_stun_read16 (data + pos + 2);
    padded = BURROW_STUN_PADDED (alen);
    if (padded > len - pos - 4) {
      g_set_error (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_MALFORMED,
          "STUN attribute %s (0x%04x) at offset %" G_GSIZE_FORMAT " claims %u bytes but only %"
          G_GSIZE_FORMAT " remain", burrow_stun_attribute_to_string (type), type, pos, alen,
          len - pos - 4);
      return FALSE;
    }
    if (!check_integrity_layout (st, type, alen, pos, error))
      return FALSE;

    if (!is_ignored (st, type)) {
      index_attribute (st, type, alen, pos);
      if (type == BURROW_STUN_ATTRIBUTE_MESSAGE_INTEGRITY)
        st->after_mi = TRUE;
      else if (type == BURROW_STUN_ATTRIBUTE_MESSAGE_INTEGRITY_SHA256)
        st->after_mi256 = TRUE;
    }
    if (type == BURROW_STUN_ATTRIBUTE_FINGERPRINT)
      st->have_fingerprint = TRUE;
    pos += 4 + padded;
  }
  return TRUE;
}

static gboolean
check_header (const guint8 *data, gsize len, GError **error)
{
  guint16 length;

  if (len > BURROW_STUN_MAX_MESSAGE_SIZE) {
    g_set_error (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_MALFORMED,
        "STUN message of %" G_GSIZE_FORMAT " bytes is larger than the %u-byte maximum",
        len, (guint) BURROW_STUN_MAX_MESSAGE_SIZE);
    return FALSE;
  }
  if (len < BURROW_STUN_HEADER_SIZE) {
    g_set_error (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_NOT_STUN,
        "Packet of %" G_GSIZE_FORMAT " bytes is shorter than a STUN header (20 bytes)", len);
    return FALSE;
  }
  if ((data[0] & 0xC0) != 0) {
    g_set_error (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_NOT_STUN,
        "Packet is not STUN: the first two bits are not zero (first byte 0x%02x)", data[0]);
    return FALSE;
  }
  if (burrow_stun_read32 (data + 4) != BURROW_STUN_MAGIC_COOKIE) {
    g_set_error (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_NOT_STUN,
        "Packet is not STUN: magic cookie is 0x%08x instead of 0x2112a442 "
        "(an RFC 3489 peer?)", burrow_stun_read32 (data + 4));
    return FALSE;
  }
  length = burrow_stun_read16 (data + 2);
  if ((length & 3) != 0) {
    g_set_error (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_MALFORMED,
        "STUN length field %u is not a multiple of 4", length);
    return FALSE;
  }
  if ((gsize) length + BURROW_STUN_HEADER_SIZE != len) {
    g_set_error (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_MALFORMED,
        "STUN length field says %u bytes of attributes but the packet has %" G_GSIZE_FORMAT,
        length, len - BURROW_STUN_HEADER_SIZE);
    return FALSE;
  }
  return TRUE;
}

static void
set_unknown_error (GError **error, guint16 type_field, GArray *unknown)
{
  g_autoptr(GString) list = g_string_new (NULL);
  guint i;

  for (i = 0; i < unknown->len && i < UNKNOWN_LISTED_MAX; i++)
    g_string_append_printf (list, "%s0x%04x", i ? ", " : "", g_array_index (unknown, guint16, i));
  if (unknown->len > UNKNOWN_LISTED_MAX)
    g_string_append_printf (list, " and %u more", unknown->len - UNKNOWN_LISTED_MAX);
  g_set_error (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_UNKNOWN_ATTRIBUTE,
      "STUN message (type 0x%04x) carries unknown comprehension-required attributes: %s",
      type_field, list->str);
}

/**
 * burrow_stun_message_new_from_data_full:
 * @data: (array length=len): a received packet
 * @len: its length in bytes
 * @flags: parsing options
 * @error: return location for a [error@Burrow.StunError]
 *
 * Parses a STUN message. The header, every attribute's length and padding,
 * and the placement of MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and
 * FINGERPRINT are checked here; attribute values are checked by the typed
 * getters when read. Padding bytes may hold anything.
 *
 * When an attribute appears twice, the first one counts; a second
 * MESSAGE-INTEGRITY or MESSAGE-INTEGRITY-SHA256 makes the message
 * malformed. Attributes after MESSAGE-INTEGRITY (other than
 * MESSAGE-INTEGRITY-SHA256 and FINGERPRINT), or after
 * MESSAGE-INTEGRITY-SHA256 (other than FINGERPRINT), are ignored as RFC 8489
 * section 9 requires.
 *
 * A message with comprehension-required attributes this codec does not know
 * fails with %BURROW_STUN_ERROR_UNKNOWN_ATTRIBUTE unless @flags has
 * %BURROW_STUN_PARSE_ALLOW_UNKNOWN_REQUIRED.
 *
 * Integrity and fingerprint are not verified here: call
 * [method@Burrow.StunMessage.check_integrity] and
 * [method@Burrow.StunMessage.check_fingerprint].
 *
 * Returns: (transfer full) (nullable): the message, or %NULL with @error set
 *
 * Since: 0.1
 */
BurrowStunMessage *
burrow_stun_message_new_from_data_full (const guint8         *data,
                                        gsize                 len,
                                        BurrowStunParseFlags  flags,
                                        GError              **error)
{
  ParseState st = { 0 };
  BurrowStunMessage *msg = NULL;
  BurrowStunClass message_class;
  guint16 type_field, method;

  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_header (data, len, error))
    return NULL;

  st.attrs = g_array_sized_new (FALSE, FALSE, sizeof (BurrowStunAttrEntry), 8);
  st.body_end = len;

  type_field = burrow_stun_read16 (data);
  if (!parse_attributes (data, len, &st, error))
    goto out;
  if (st.unknown && !(flags & BURROW_STUN_PARSE_ALLOW_UNKNOWN_REQUIRED)) {
    set_unknown_error (error, type_field, st.unknown);
    goto out;
  }

  /* the method and class bits are interleaved: M11..M7 C1 M6..M4 C0 M3..M0 */
  method = (guint16) ((type_field & 0x000F) | ((type_field & 0x00E0) >> 1) |
      ((type_field & 0x3E00) >> 2));
  message_class = (BurrowStunClass) (((type_field & 0x0010) >> 4) | ((type_field & 0x0100) >> 7));
  msg = burrow_stun_message_alloc (method, message_class, data + 8, len);
  g_byte_array_append (msg->buf, data, (guint) len);
  g_array_unref (msg->attrs);
  msg->attrs = g_steal_pointer (&st.attrs);
  msg->unknown_required = g_steal_pointer (&st.unknown);
  msg->body_end = st.body_end;
  msg->parsed = TRUE;

out:
  g_clear_pointer (&st.attrs, g_array_unref);
  g_clear_pointer (&st.unknown, g_array_unref);
  return msg;
}

/**
 * burrow_stun_message_new_from_data:
 * @data: (array length=len): a received packet
 * @len: its length in bytes
 * @error: return location for a [error@Burrow.StunError]
 *
 * Parses a STUN message strictly; see
 * [ctor@Burrow.StunMessage.new_from_data_full].
 *
 * Returns: (transfer full) (nullable): the message, or %NULL with @error set
 *
 * Since: 0.1
 */
BurrowStunMessage *
burrow_stun_message_new_from_data (const guint8 *data,
                                   gsize         len,
                                   GError      **error)
{
  return burrow_stun_message_new_from_data_full (data, len, BURROW_STUN_PARSE_DEFAULT, error);
}

/**
 * burrow_stun_message_new_from_bytes:
 * @data: a received packet
 * @error: return location for a [error@Burrow.StunError]
 *
 * Parses a STUN message strictly; see
 * [ctor@Burrow.StunMessage.new_from_data_full].
 *
 * Returns: (transfer full) (nullable): the message, or %NULL with @error set
 *
 * Since: 0.1
 */
BurrowStunMessage *
burrow_stun_message_new_from_bytes (GBytes  *data,
                                    GError **error)
{
  gsize len;
  const guint8 *p;

  g_return_val_if_fail (data != NULL, NULL);

  p = g_bytes_get_data (data, &len);
  return burrow_stun_message_new_from_data_full (p, len, BURROW_STUN_PARSE_DEFAULT, error);
}

/* ---------------------------------------------------------------------- */
/* typed getters */

static GInetSocketAddress *
decode_address (BurrowStunMessage *msg, const guint8 *value, gsize len, gboolean xor)
{
  guint8 mask[16], addr_bytes[16];
  gsize addr_len, i;
  guint16 port;
  GSocketFamily family;
  g_autoptr(GInetAddress) addr = NULL;

  if (len == 8 && value[1] == 0x01) {
    addr_len = 4;
    family = G_SOCKET_FAMILY_IPV4;
  } else if (len == 20 && value[1] == 0x02) {
    addr_len = 16;
    family = G_SOCKET_FAMILY_IPV6;
  } else {
    return NULL;
  }

  /* X-Port is XORed with the top half of the cookie, X-Address with the
   * cookie followed by the transaction id (RFC 8489 section 14.2). */
  burrow_stun_write32 (mask, BURROW_STUN_MAGIC_COOKIE);
  memcpy (mask + 4, msg->transaction_id, BURROW_STUN_TRANSACTION_ID_SIZE);
  port = burrow_stun_read16 (value + 2);
  if (xor)
    port ^= (guint16) (BURROW_STUN_MAGIC_COOKIE >> 16);
  for (i = 0; i < addr_len; i++)
    addr_bytes[i] = xor ? value[4 + i] ^ mask[i] : value[4 + i];

  addr = g_inet_address_new_from_bytes (addr_bytes, family);
  return G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (addr, port));
}

/**
 * burrow_stun_message_get_address:
 * @msg: a message
 * @attribute: an address attribute type
 *
 * Reads a transport address. XOR-MAPPED-ADDRESS, XOR-PEER-ADDRESS and
 * XOR-RELAYED-ADDRESS are un-XORed with the magic cookie and transaction id;
 * any other type (MAPPED-ADDRESS, ALTERNATE-SERVER, RESPONSE-ORIGIN,
 * OTHER-ADDRESS…) is read as a plain address.
 *
 * Returns: (transfer full) (nullable): the address, or %NULL if @msg does
 *   not carry @attribute or its value is not an IPv4 (8 bytes) or IPv6
 *   (20 bytes) address
 *
 * Since: 0.1
 */
GInetSocketAddress *
burrow_stun_message_get_address (BurrowStunMessage *msg,
                                 guint16            attribute)
{
  gsize len;
  const guint8 *value = burrow_stun_message_peek_attribute (msg, attribute, &len);

  if (value == NULL)
    return NULL;
  return decode_address (msg, value, len, burrow_stun_is_xor_address_attribute (attribute));
}

/**
 * burrow_stun_message_get_address_nth:
 * @msg: a message
 * @attribute: an address attribute type
 * @n: which occurrence of @attribute, from 0
 *
 * Reads the @n-th occurrence of a transport address attribute, as
 * [method@Burrow.StunMessage.get_address] reads the first. A TURN Allocate
 * response for two address families carries XOR-RELAYED-ADDRESS twice
 * (RFC 8656 section 7.3).
 *
 * Returns: (transfer full) (nullable): the address, or %NULL if @msg has
 *   fewer than @n + 1 such attributes or that one is badly formed
 *
 * Since: 0.1
 */
GInetSocketAddress *
burrow_stun_message_get_address_nth (BurrowStunMessage *msg,
                                     guint16            attribute,
                                     guint              n)
{
  guint i;

  g_return_val_if_fail (msg != NULL, NULL);
  for (i = 0; i < msg->attrs->len; i++) {
    const BurrowStunAttrEntry *e = &g_array_index (msg->attrs, BurrowStunAttrEntry, i);

    if (e->type != attribute)
      continue;
    if (n-- == 0)
      return decode_address (msg, msg->buf->data + e->offset, e->length,
          burrow_stun_is_xor_address_attribute (attribute));
  }
  return NULL;
}

/**
 * burrow_stun_message_get_xor_mapped_address:
 * @msg: a message
 *
 * Reads XOR-MAPPED-ADDRESS, the reflexive address a Binding response
 * reports.
 *
 * Returns: (transfer full) (nullable): the address, or %NULL if absent or
 *   badly formed
 *
 * Since: 0.1
 */
GInetSocketAddress *
burrow_stun_message_get_xor_mapped_address (BurrowStunMessage *msg)
{
  return burrow_stun_message_get_address (msg, BURROW_STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS);
}

/**
 * burrow_stun_message_get_mapped_address:
 * @msg: a message
 *
 * Reads MAPPED-ADDRESS, which servers older than RFC 5389 send instead of
 * XOR-MAPPED-ADDRESS.
 *
 * Returns: (transfer full) (nullable): the address, or %NULL if absent or
 *   badly formed
 *
 * Since: 0.1
 */
GInetSocketAddress *
burrow_stun_message_get_mapped_address (BurrowStunMessage *msg)
{
  return burrow_stun_message_get_address (msg, BURROW_STUN_ATTRIBUTE_MAPPED_ADDRESS);
}

static gsize
max_text_bytes (guint16 attribute)
{
  switch (attribute) {
    case BURROW_STUN_ATTRIBUTE_USERNAME:
      return USERNAME_MAX_BYTES;
    case BURROW_STUN_ATTRIBUTE_REALM:
    case BURROW_STUN_ATTRIBUTE_NONCE:
    case BURROW_STUN_ATTRIBUTE_SOFTWARE:
    case BURROW_STUN_ATTRIBUTE_ALTERNATE_DOMAIN:
      return TEXT_MAX_BYTES;
    default:
      return G_MAXUINT16;
  }
}

static gchar *
dup_text (const guint8 *value, gsize len, gsize max_len)
{
  /* Some old implementations count a terminating NUL in the value. */
  while (len > 0 && value[len - 1] == '\0')
    len--;
  if (len > max_len || !g_utf8_validate_len ((const gchar *) value, len, NULL))
    return NULL;
  return g_strndup ((const gchar *) value, len);
}

/**
 * burrow_stun_message_get_string:
 * @msg: a message
 * @attribute: a text attribute type (USERNAME, REALM, NONCE, SOFTWARE,
 *   ALTERNATE-DOMAIN…)
 *
 * Reads the value of @attribute as UTF-8 text. Trailing NUL bytes are
 * dropped. USERNAME may be at most 513 bytes; REALM, NONCE, SOFTWARE and
 * ALTERNATE-DOMAIN at most 763.
 *
 * Returns: (transfer full) (nullable): the text, or %NULL if @msg does not
 *   carry @attribute or its value is not valid UTF-8 of an allowed length
 *
 * Since: 0.1
 */
gchar *
burrow_stun_message_get_string (BurrowStunMessage *msg,
                                guint16            attribute)
{
  gsize len;
  const guint8 *value = burrow_stun_message_peek_attribute (msg, attribute, &len);

  if (value == NULL)
    return NULL;
  return dup_text (value, len, max_text_bytes (attribute));
}

/**
 * burrow_stun_message_get_uint32:
 * @msg: a message
 * @attribute: an attribute holding a 32-bit value (PRIORITY, LIFETIME,
 *   CHANGE-REQUEST…)
 * @value: (out) (optional): set to the value
 *
 * Reads a 32-bit big-endian attribute value.
 *
 * Returns: %TRUE if @msg carries @attribute with a 4-byte value
 *
 * Since: 0.1
 */
gboolean
burrow_stun_message_get_uint32 (BurrowStunMessage *msg,
                                guint16            attribute,
                                guint32           *value)
{
  gsize len;
  const guint8 *p = burrow_stun_message_peek_attribute (msg, attribute, &len);

  if (p == NULL || len != 4)
    return FALSE;
  if (value)
    *value = burrow_stun_read32 (p);
  return TRUE;
}

/**
 * burrow_stun_message_get_uint64:
 * @msg: a message
 * @attribute: an attribute holding a 64-bit value (ICE-CONTROLLED,
 *   ICE-CONTROLLING, RESERVATION-TOKEN…)
 * @value: (out) (optional): set to the value
 *
 * Reads a 64-bit big-endian attribute value.
 *
 * Returns: %TRUE if @msg carries @attribute with an 8-byte value
 *
 * Since: 0.1
 */
gboolean
burrow_stun_message_get_uint64 (BurrowStunMessage *msg,
                                guint16            attribute,
                                guint64           *value)
{
  gsize len;
  const guint8 *p = burrow_stun_message_peek_attribute (msg, attribute, &len);

  if (p == NULL || len != 8)
    return FALSE;
  if (value)
    *value = ((guint64) burrow_stun_read32 (p) << 32) | burrow_stun_read32 (p + 4);
  return TRUE;
}

/**
 * burrow_stun_message_get_error_code:
 * @msg: a message
 * @code: (out) (optional): set to the error code, 300 to 699
 * @reason: (out) (optional) (transfer full): set to the reason phrase
 *
 * Reads ERROR-CODE. The class must be 3 to 6 and the number below 100; the
 * reason phrase must be valid UTF-8 of at most 763 bytes.
 *
 * Returns: %TRUE if @msg carries a well-formed ERROR-CODE
 *
 * Since: 0.1
 */
gboolean
burrow_stun_message_get_error_code (BurrowStunMessage *msg,
                                    guint             *code,
                                    gchar            **reason)
{
  gsize len;
  const guint8 *p = burrow_stun_message_peek_attribute (msg, BURROW_STUN_ATTRIBUTE_ERROR_CODE,
      &len);
  guint klass, number;
  gchar *text;

  if (reason)
    *reason = NULL;
  if (p == NULL || len < 4)
    return FALSE;
  klass = p[2] & 0x07;
  number = p[3];
  if (klass < 3 || klass > 6 || number >= 100)
    return FALSE;
  text = dup_text (p + 4, len - 4, TEXT_MAX_BYTES);
  if (text == NULL)
    return FALSE;

  if (code)
    *code = klass * 100 + number;
  if (reason)
    *reason = text;
  else
    g_free (text);
  return TRUE;
}

/**
 * burrow_stun_message_get_unknown_attributes:
 * @msg: a message
 * @n_attributes: (out): set to the number of types
 *
 * Reads UNKNOWN-ATTRIBUTES, the list of types a peer did not understand,
 * from a 420 error response.
 *
 * Returns: (array length=n_attributes) (transfer full) (nullable): the
 *   attribute types, or %NULL if absent, empty or badly formed
 *
 * Since: 0.1
 */
guint16 *
burrow_stun_message_get_unknown_attributes (BurrowStunMessage *msg,
                                            guint             *n_attributes)
{
  gsize len, i;
  const guint8 *p;
  guint16 *types;

  g_return_val_if_fail (n_attributes != NULL, NULL);

  *n_attributes = 0;
  p = burrow_stun_message_peek_attribute (msg, BURROW_STUN_ATTRIBUTE_UNKNOWN_ATTRIBUTES, &len);
  if (p == NULL || len == 0 || (len & 1) != 0)
    return NULL;

  types = g_new (guint16, len / 2);
  for (i = 0; i < len / 2; i++)
    types[i] = burrow_stun_read16 (p + 2 * i);
  *n_attributes = (guint) (len / 2);
  return types;
}

/**
 * burrow_stun_message_get_unknown_required_attributes:
 * @msg: a message parsed with %BURROW_STUN_PARSE_ALLOW_UNKNOWN_REQUIRED
 * @n_attributes: (out): set to the number of types
 *
 * Lists the comprehension-required attribute types of @msg this codec does
 * not know, each once, in the order they appear. A server answers a
 * request that has some with a 420 error response listing them in
 * UNKNOWN-ATTRIBUTES (see
 * [method@Burrow.StunMessage.add_unknown_attributes]).
 *
 * Returns: (array length=n_attributes) (transfer full) (nullable): the
 *   types, or %NULL if there are none
 *
 * Since: 0.1
 */
guint16 *
burrow_stun_message_get_unknown_required_attributes (BurrowStunMessage *msg,
                                                     guint             *n_attributes)
{
  g_return_val_if_fail (msg != NULL, NULL);
  g_return_val_if_fail (n_attributes != NULL, NULL);

  *n_attributes = 0;
  if (msg->unknown_required == NULL || msg->unknown_required->len == 0)
    return NULL;
  *n_attributes = msg->unknown_required->len;
  return g_memdup2 (msg->unknown_required->data,
      (gsize) msg->unknown_required->len * sizeof (guint16));
}

/**
 * burrow_stun_message_get_password_algorithms:
 * @msg: a message
 * @n_algorithms: (out): set to the number of algorithms
 *
 * Reads PASSWORD-ALGORITHMS, the algorithms a server offers for
 * long-term credentials (RFC 8489 section 14.11), in its order of
 * preference. Algorithms this codec does not know are listed too; their
 * parameters are skipped.
 *
 * Returns: (array length=n_algorithms) (transfer full) (nullable): the
 *   algorithms, or %NULL if absent, empty or badly formed
 *
 * Since: 0.1
 */
BurrowStunPasswordAlgorithm *
burrow_stun_message_get_password_algorithms (BurrowStunMessage *msg,
                                             guint             *n_algorithms)
{
  gsize len, pos = 0;
  const guint8 *p;
  g_autoptr(GArray) list = NULL;

  g_return_val_if_fail (n_algorithms != NULL, NULL);

  *n_algorithms = 0;
  p = burrow_stun_message_peek_attribute (msg, BURROW_STUN_ATTRIBUTE_PASSWORD_ALGORITHMS, &len);
  if (p == NULL || len == 0)
    return NULL;

  list = g_array_new (FALSE, FALSE, sizeof (BurrowStunPasswordAlgorithm));
  while (pos < len) {
    BurrowStunPasswordAlgorithm algorithm;
    gsize params;

    if (len - pos < 4)
      return NULL;
    algorithm = (BurrowStunPasswordAlgorithm) burrow_stun_read16 (p + pos);
    params = BURROW_STUN_PADDED (burrow_stun_read16 (p + pos + 2));
    if (params > len - pos - 4)
      return NULL;
    g_array_append_val (list, algorithm);
    pos += 4 + params;
  }
  *n_algorithms = list->len;
  return (BurrowStunPasswordAlgorithm *) (gpointer) g_array_free (g_steal_pointer (&list), FALSE);
}
