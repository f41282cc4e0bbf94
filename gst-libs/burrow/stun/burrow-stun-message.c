/* burrow-stun-message.c: STUN message codec, the message object
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Construction, header, attribute lookup, integrity and fingerprint checks.
 * Parsing and typed getters are in burrow-stun-message-parse.c, the add_*
 * methods and serialize() in burrow-stun-message-build.c.
 */
#include "config.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "burrow-stun"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <zlib.h>

#include <burrow/burrow-error.h>
#include "burrow-stun-message.h"
#include "burrow-stun-private.h"

G_DEFINE_BOXED_TYPE (BurrowStunMessage, burrow_stun_message,
    burrow_stun_message_ref, burrow_stun_message_unref)

/* ---------------------------------------------------------------------- */
/* construction */

static guint16
encode_message_type (guint16 method, BurrowStunClass message_class)
{
  guint c = (guint) message_class;

  return (guint16) ((method & 0x000F) | ((method & 0x0070) << 1) | ((method & 0x0F80) << 2) |
      ((c & 0x1) << 4) | ((c & 0x2) << 7));
}

static void
random_transaction_id (guint8 *tid)
{
  guint i;

  if (RAND_bytes (tid, BURROW_STUN_TRANSACTION_ID_SIZE) == 1)
    return;

  g_warning ("OpenSSL RAND_bytes() failed; falling back to g_random for a "
      "STUN transaction id");
  for (i = 0; i < BURROW_STUN_TRANSACTION_ID_SIZE; i++)
    tid[i] = (guint8) g_random_int_range (0, 256);
}

BurrowStunMessage *
burrow_stun_message_alloc (guint16          method,
                          BurrowStunClass  message_class,
                          const guint8    *transaction_id,
                          gsize            reserve)
{
  BurrowStunMessage *msg = g_new0 (BurrowStunMessage, 1);

  g_atomic_ref_count_init (&msg->ref_count);
  msg->method = method;
  msg->message_class = message_class;
  if (transaction_id)
    memcpy (msg->transaction_id, transaction_id, BURROW_STUN_TRANSACTION_ID_SIZE);
  else
    random_transaction_id (msg->transaction_id);
  msg->buf = g_byte_array_sized_new ((guint) reserve);
  msg->attrs = g_array_sized_new (FALSE, FALSE, sizeof (BurrowStunAttrEntry), 8);
  return msg;
}

/**
 * burrow_stun_message_new:
 * @method: the method, a [enum@Burrow.StunMethod] or any other 12-bit value
 * @message_class: the class of the message
 * @transaction_id: (array fixed-size=12) (nullable): the 96-bit transaction
 *   id, or %NULL for a new random one
 *
 * Starts building a STUN message. Add attributes with the `add_*` methods
 * and turn it into bytes with [method@Burrow.StunMessage.serialize].
 *
 * Most callers want [ctor@Burrow.StunMessage.new_request],
 * [ctor@Burrow.StunMessage.new_indication] or
 * burrow_stun_message_new_response() instead.
 *
 * Returns: (transfer full): a new message
 *
 * Since: 0.1
 */
BurrowStunMessage *
burrow_stun_message_new (BurrowStunMethod method,
                         BurrowStunClass  message_class,
                         const guint8    *transaction_id)
{
  BurrowStunMessage *msg;
  guint8 header[BURROW_STUN_HEADER_SIZE];

  g_return_val_if_fail ((guint) method <= 0x0FFF, NULL);
  g_return_val_if_fail ((guint) message_class <= BURROW_STUN_CLASS_ERROR_RESPONSE, NULL);

  msg = burrow_stun_message_alloc ((guint16) method, message_class, transaction_id, 128);
  burrow_stun_write16 (header, encode_message_type ((guint16) method, message_class));
  burrow_stun_write16 (header + 2, 0);
  burrow_stun_write32 (header + 4, BURROW_STUN_MAGIC_COOKIE);
  memcpy (header + 8, msg->transaction_id, BURROW_STUN_TRANSACTION_ID_SIZE);
  g_byte_array_append (msg->buf, header, sizeof header);
  msg->body_end = msg->buf->len;
  return msg;
}

/**
 * burrow_stun_message_new_request:
 * @method: the method
 *
 * Starts building a request with a fresh random transaction id from a
 * cryptographically secure generator, as RFC 8489 section 6 asks.
 *
 * Returns: (transfer full): a new request
 *
 * Since: 0.1
 */
BurrowStunMessage *
burrow_stun_message_new_request (BurrowStunMethod method)
{
  return burrow_stun_message_new (method, BURROW_STUN_CLASS_REQUEST, NULL);
}

/**
 * burrow_stun_message_new_indication:
 * @method: the method
 *
 * Starts building an indication (a message that gets no response) with a
 * fresh random transaction id.
 *
 * Returns: (transfer full): a new indication
 *
 * Since: 0.1
 */
BurrowStunMessage *
burrow_stun_message_new_indication (BurrowStunMethod method)
{
  return burrow_stun_message_new (method, BURROW_STUN_CLASS_INDICATION, NULL);
}

/**
 * burrow_stun_message_new_response:
 * @request: the request being answered
 * @message_class: %BURROW_STUN_CLASS_SUCCESS_RESPONSE or
 *   %BURROW_STUN_CLASS_ERROR_RESPONSE
 *
 * Starts building a response to @request: same method, same transaction id.
 *
 * Returns: (transfer full): a new response
 *
 * Since: 0.1
 */
BurrowStunMessage *
burrow_stun_message_new_response (BurrowStunMessage *request,
                                  BurrowStunClass    message_class)
{
  g_return_val_if_fail (request != NULL, NULL);
  g_return_val_if_fail (message_class == BURROW_STUN_CLASS_SUCCESS_RESPONSE ||
      message_class == BURROW_STUN_CLASS_ERROR_RESPONSE, NULL);

  return burrow_stun_message_new ((BurrowStunMethod) request->method, message_class,
      request->transaction_id);
}

/**
 * burrow_stun_message_new_error_response:
 * @request: the request being answered
 * @code: the error code, 300 to 699 (for example 400, 401, 420, 438)
 * @reason: (nullable): the reason phrase, or %NULL for the standard one
 *
 * Starts building an error response to @request carrying an ERROR-CODE
 * attribute. Add UNKNOWN-ATTRIBUTES, REALM, NONCE… as the code requires.
 *
 * Returns: (transfer full): a new error response
 *
 * Since: 0.1
 */
BurrowStunMessage *
burrow_stun_message_new_error_response (BurrowStunMessage *request,
                                        guint              code,
                                        const gchar       *reason)
{
  BurrowStunMessage *msg;

  g_return_val_if_fail (request != NULL, NULL);
  g_return_val_if_fail (code >= 300 && code <= 699, NULL);

  msg = burrow_stun_message_new_response (request, BURROW_STUN_CLASS_ERROR_RESPONSE);
  burrow_stun_message_add_error_code (msg, code, reason);
  return msg;
}

/**
 * burrow_stun_message_ref:
 * @msg: a message
 *
 * Takes a reference on @msg. Messages are safe to ref and unref from any
 * thread; reading a message from several threads is safe, changing it is
 * not.
 *
 * Returns: (transfer full): @msg
 *
 * Since: 0.1
 */
BurrowStunMessage *
burrow_stun_message_ref (BurrowStunMessage *msg)
{
  g_return_val_if_fail (msg != NULL, NULL);

  g_atomic_ref_count_inc (&msg->ref_count);
  return msg;
}

/**
 * burrow_stun_message_unref:
 * @msg: (transfer full): a message
 *
 * Drops a reference on @msg, freeing it with the last one.
 *
 * Since: 0.1
 */
void
burrow_stun_message_unref (BurrowStunMessage *msg)
{
  g_return_if_fail (msg != NULL);

  if (!g_atomic_ref_count_dec (&msg->ref_count))
    return;

  g_byte_array_unref (msg->buf);
  g_array_unref (msg->attrs);
  g_clear_pointer (&msg->unknown_required, g_array_unref);
  g_free (msg);
}

/* ---------------------------------------------------------------------- */
/* header */

/**
 * burrow_stun_message_get_method:
 * @msg: a message
 *
 * Gets the 12-bit method, usually one of [enum@Burrow.StunMethod].
 *
 * Returns: the method
 *
 * Since: 0.1
 */
guint16
burrow_stun_message_get_method (BurrowStunMessage *msg)
{
  g_return_val_if_fail (msg != NULL, 0);

  return msg->method;
}

/**
 * burrow_stun_message_get_message_class:
 * @msg: a message
 *
 * Gets the class: request, indication, success or error response.
 *
 * Returns: the class
 *
 * Since: 0.1
 */
BurrowStunClass
burrow_stun_message_get_message_class (BurrowStunMessage *msg)
{
  g_return_val_if_fail (msg != NULL, BURROW_STUN_CLASS_REQUEST);

  return msg->message_class;
}

/**
 * burrow_stun_message_get_transaction_id:
 * @msg: a message
 * @len: (out) (optional): set to 12
 *
 * Gets the 96-bit transaction id. The bytes stay valid as long as @msg.
 *
 * Returns: (array length=len) (transfer none): the transaction id
 *
 * Since: 0.1
 */
const guint8 *
burrow_stun_message_get_transaction_id (BurrowStunMessage *msg,
                                        gsize             *len)
{
  g_return_val_if_fail (msg != NULL, NULL);

  if (len)
    *len = BURROW_STUN_TRANSACTION_ID_SIZE;
  return msg->transaction_id;
}

/**
 * burrow_stun_message_has_transaction_id:
 * @msg: a message
 * @transaction_id: (array fixed-size=12): a transaction id
 *
 * Tells whether @msg carries @transaction_id, for matching a response to
 * its request.
 *
 * Returns: %TRUE if the ids are equal
 *
 * Since: 0.1
 */
gboolean
burrow_stun_message_has_transaction_id (BurrowStunMessage *msg,
                                        const guint8      *transaction_id)
{
  g_return_val_if_fail (msg != NULL, FALSE);
  g_return_val_if_fail (transaction_id != NULL, FALSE);

  return memcmp (msg->transaction_id, transaction_id, BURROW_STUN_TRANSACTION_ID_SIZE) == 0;
}

/* ---------------------------------------------------------------------- */
/* reading attributes */

const BurrowStunAttrEntry *
burrow_stun_message_find_entry (BurrowStunMessage *msg,
                                guint16            attribute)
{
  guint i;

  for (i = 0; i < msg->attrs->len; i++) {
    const BurrowStunAttrEntry *e = &g_array_index (msg->attrs, BurrowStunAttrEntry, i);

    if (e->type == attribute)
      return e;
  }
  return NULL;
}

/**
 * burrow_stun_message_list_attributes:
 * @msg: a message
 * @n_attributes: (out): set to the number of attributes
 *
 * Lists the types of the attributes of @msg in the order they appear,
 * MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT included.
 * Repeated and ignored attributes of a parsed message are left out.
 *
 * Returns: (array length=n_attributes) (transfer full) (nullable): the
 *   attribute types, %NULL if there are none
 *
 * Since: 0.1
 */
guint16 *
burrow_stun_message_list_attributes (BurrowStunMessage *msg,
                                     guint             *n_attributes)
{
  guint16 *types;
  guint i;

  g_return_val_if_fail (msg != NULL, NULL);
  g_return_val_if_fail (n_attributes != NULL, NULL);

  *n_attributes = msg->attrs->len;
  if (msg->attrs->len == 0)
    return NULL;
  types = g_new (guint16, msg->attrs->len);
  for (i = 0; i < msg->attrs->len; i++)
    types[i] = g_array_index (msg->attrs, BurrowStunAttrEntry, i).type;
  return types;
}

/**
 * burrow_stun_message_has_attribute:
 * @msg: a message
 * @attribute: an attribute type, usually a [enum@Burrow.StunAttribute]
 *
 * Tells whether @msg carries @attribute.
 *
 * Returns: %TRUE if it does
 *
 * Since: 0.1
 */
gboolean
burrow_stun_message_has_attribute (BurrowStunMessage *msg,
                                   guint16            attribute)
{
  g_return_val_if_fail (msg != NULL, FALSE);

  return burrow_stun_message_find_entry (msg, attribute) != NULL;
}

/**
 * burrow_stun_message_peek_attribute:
 * @msg: a message
 * @attribute: an attribute type
 * @len: (out) (optional): set to the length of the value
 *
 * Looks at the raw value of @attribute without copying it. The pointer is
 * valid until @msg is changed or freed.
 *
 * Returns: (array length=len) (transfer none) (nullable): the value, or
 *   %NULL if @msg does not carry @attribute (an empty value gives a non-%NULL
 *   pointer and a length of 0)
 *
 * Since: 0.1
 */
const guint8 *
burrow_stun_message_peek_attribute (BurrowStunMessage *msg,
                                    guint16            attribute,
                                    gsize             *len)
{
  const BurrowStunAttrEntry *e;

  if (len)
    *len = 0;
  g_return_val_if_fail (msg != NULL, NULL);

  e = burrow_stun_message_find_entry (msg, attribute);
  if (e == NULL)
    return NULL;
  if (len)
    *len = e->length;
  return msg->buf->data + e->offset;
}

/**
 * burrow_stun_message_get_attribute:
 * @msg: a message
 * @attribute: an attribute type
 *
 * Copies the raw value of @attribute, without padding.
 *
 * Returns: (transfer full) (nullable): the value, or %NULL if @msg does not
 *   carry @attribute
 *
 * Since: 0.1
 */
GBytes *
burrow_stun_message_get_attribute (BurrowStunMessage *msg,
                                   guint16            attribute)
{
  gsize len;
  const guint8 *value = burrow_stun_message_peek_attribute (msg, attribute, &len);

  return value ? g_bytes_new (value, len) : NULL;
}

gboolean
burrow_stun_is_xor_address_attribute (guint16 attribute)
{
  return attribute == BURROW_STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS ||
      attribute == BURROW_STUN_ATTRIBUTE_XOR_PEER_ADDRESS ||
      attribute == BURROW_STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS;
}

/* ---------------------------------------------------------------------- */
/* checking */

gboolean
burrow_stun_hmac (const gchar  *digest,
                  const guint8 *key,
                  gsize         key_len,
                  const guint8 *msg,
                  gsize         msg_len,
                  guint16       length_field,
                  guint8       *out,
                  gsize         out_size)
{
  EVP_MAC *mac;
  EVP_MAC_CTX *ctx = NULL;
  OSSL_PARAM params[2];
  guint8 length_bytes[2];
  gsize out_len = 0;
  gboolean ok = FALSE;

  g_return_val_if_fail (msg_len >= BURROW_STUN_HEADER_SIZE, FALSE);

  mac = EVP_MAC_fetch (NULL, "HMAC", NULL);
  if (mac == NULL)
    return FALSE;
  ctx = EVP_MAC_CTX_new (mac);
  params[0] = OSSL_PARAM_construct_utf8_string (OSSL_MAC_PARAM_DIGEST, (gchar *) digest, 0);
  params[1] = OSSL_PARAM_construct_end ();
  burrow_stun_write16 (length_bytes, length_field);

  /* A zero-length key is still a key; OpenSSL wants a non-NULL pointer. */
  if (ctx != NULL &&
      EVP_MAC_init (ctx, key_len ? key : (const guint8 *) "", key_len, params) == 1 &&
      EVP_MAC_update (ctx, msg, 2) == 1 &&
      EVP_MAC_update (ctx, length_bytes, 2) == 1 &&
      EVP_MAC_update (ctx, msg + 4, msg_len - 4) == 1 &&
      EVP_MAC_final (ctx, out, &out_len, out_size) == 1)
    ok = TRUE;

  EVP_MAC_CTX_free (ctx);
  EVP_MAC_free (mac);
  return ok;
}

guint32
burrow_stun_fingerprint_value (const guint8 *msg,
                               gsize         msg_len,
                               guint16       length_field)
{
  guint8 length_bytes[2];
  uLong crc = crc32 (0L, Z_NULL, 0);

  burrow_stun_write16 (length_bytes, length_field);
  crc = crc32 (crc, msg, 2);
  crc = crc32 (crc, length_bytes, 2);
  crc = crc32 (crc, msg + 4, (uInt) (msg_len - 4));
  return (guint32) crc ^ BURROW_STUN_FINGERPRINT_XOR;
}

/**
 * burrow_stun_message_has_integrity:
 * @msg: a message
 *
 * Tells whether @msg carries MESSAGE-INTEGRITY or MESSAGE-INTEGRITY-SHA256.
 *
 * Returns: %TRUE if it carries either
 *
 * Since: 0.1
 */
gboolean
burrow_stun_message_has_integrity (BurrowStunMessage *msg)
{
  g_return_val_if_fail (msg != NULL, FALSE);

  return burrow_stun_message_find_entry (msg, BURROW_STUN_ATTRIBUTE_MESSAGE_INTEGRITY_SHA256) ||
      burrow_stun_message_find_entry (msg, BURROW_STUN_ATTRIBUTE_MESSAGE_INTEGRITY);
}

/**
 * burrow_stun_message_check_integrity:
 * @msg: a message
 * @key: (array length=key_len): the HMAC key, from
 *   [func@Burrow.stun_short_term_key] or [func@Burrow.stun_long_term_key]
 * @key_len: the length of @key
 *
 * Verifies the message integrity of a received message. If
 * MESSAGE-INTEGRITY-SHA256 is present it is checked (HMAC-SHA256, truncated
 * to the attribute's length), otherwise MESSAGE-INTEGRITY (HMAC-SHA1). The
 * HMAC covers the message up to the attribute, with the length field
 * counting up to the end of it (RFC 8489 sections 14.5 and 14.6). The
 * comparison takes constant time.
 *
 * Returns: %TRUE if the message carries an integrity attribute and it
 *   matches @key
 *
 * Since: 0.1
 */
gboolean
burrow_stun_message_check_integrity (BurrowStunMessage *msg,
                                     const guint8      *key,
                                     gsize              key_len)
{
  const BurrowStunAttrEntry *e;
  const gchar *digest = "SHA256";
  guint8 mac[EVP_MAX_MD_SIZE];
  gsize start;

  g_return_val_if_fail (msg != NULL, FALSE);
  g_return_val_if_fail (key != NULL || key_len == 0, FALSE);

  e = burrow_stun_message_find_entry (msg, BURROW_STUN_ATTRIBUTE_MESSAGE_INTEGRITY_SHA256);
  if (e == NULL) {
    e = burrow_stun_message_find_entry (msg, BURROW_STUN_ATTRIBUTE_MESSAGE_INTEGRITY);
    digest = "SHA1";
  }
  if (e == NULL)
    return FALSE;

  start = e->offset - 4;
  if (!burrow_stun_hmac (digest, key, key_len, msg->buf->data, start,
          (guint16) (start - BURROW_STUN_HEADER_SIZE + 4 + e->length), mac, sizeof mac))
    return FALSE;
  return CRYPTO_memcmp (mac, msg->buf->data + e->offset, e->length) == 0;
}

/**
 * burrow_stun_message_check_fingerprint:
 * @msg: a message
 *
 * Verifies FINGERPRINT: the CRC-32 of the message before it, XORed with
 * 0x5354554e (RFC 8489 section 14.7).
 *
 * Returns: %TRUE if @msg carries FINGERPRINT and it is right
 *
 * Since: 0.1
 */
gboolean
burrow_stun_message_check_fingerprint (BurrowStunMessage *msg)
{
  const BurrowStunAttrEntry *e;
  gsize start;

  g_return_val_if_fail (msg != NULL, FALSE);

  e = burrow_stun_message_find_entry (msg, BURROW_STUN_ATTRIBUTE_FINGERPRINT);
  if (e == NULL || e->length != 4)
    return FALSE;

  start = e->offset - 4;
  return burrow_stun_fingerprint_value (msg->buf->data, start,
      (guint16) (start - BURROW_STUN_HEADER_SIZE + 8)) ==
      burrow_stun_read32 (msg->buf->data + e->offset);
}

/* ---------------------------------------------------------------------- */
/* names */

/**
 * burrow_stun_method_to_string:
 * @method: a method
 *
 * Names a method as RFC 8489 and RFC 8656 spell it, for logs.
 *
 * Returns: (transfer none): the name, such as "Binding", or "unknown"
 *
 * Since: 0.1
 */
const gchar *
burrow_stun_method_to_string (guint16 method)
{
  switch (method) {
    case BURROW_STUN_METHOD_BINDING: return "Binding";
    case BURROW_STUN_METHOD_ALLOCATE: return "Allocate";
    case BURROW_STUN_METHOD_REFRESH: return "Refresh";
    case BURROW_STUN_METHOD_SEND: return "Send";
    case BURROW_STUN_METHOD_DATA: return "Data";
    case BURROW_STUN_METHOD_CREATE_PERMISSION: return "CreatePermission";
    case BURROW_STUN_METHOD_CHANNEL_BIND: return "ChannelBind";
    case BURROW_STUN_METHOD_CONNECT: return "Connect";
    case BURROW_STUN_METHOD_CONNECTION_BIND: return "ConnectionBind";
    case BURROW_STUN_METHOD_CONNECTION_ATTEMPT: return "ConnectionAttempt";
    default: return "unknown";
  }
}

/**
 * burrow_stun_attribute_to_string:
 * @attribute: an attribute type
 *
 * Names an attribute type as the RFCs spell it, for logs.
 *
 * Returns: (transfer none): the name, such as "XOR-MAPPED-ADDRESS", or
 *   "unknown"
 *
 * Since: 0.1
 */
const gchar *
burrow_stun_attribute_to_string (guint16 attribute)
{
  switch (attribute) {
    case BURROW_STUN_ATTRIBUTE_MAPPED_ADDRESS: return "MAPPED-ADDRESS";
    case 0x0002: return "RESPONSE-ADDRESS";
    case BURROW_STUN_ATTRIBUTE_CHANGE_REQUEST: return "CHANGE-REQUEST";
    case 0x0004: return "SOURCE-ADDRESS";
    case 0x0005: return "CHANGED-ADDRESS";
    case BURROW_STUN_ATTRIBUTE_USERNAME: return "USERNAME";
    case 0x0007: return "PASSWORD";
    case BURROW_STUN_ATTRIBUTE_MESSAGE_INTEGRITY: return "MESSAGE-INTEGRITY";
    case BURROW_STUN_ATTRIBUTE_ERROR_CODE: return "ERROR-CODE";
    case BURROW_STUN_ATTRIBUTE_UNKNOWN_ATTRIBUTES: return "UNKNOWN-ATTRIBUTES";
    case 0x000B: return "REFLECTED-FROM";
    case BURROW_STUN_ATTRIBUTE_CHANNEL_NUMBER: return "CHANNEL-NUMBER";
    case BURROW_STUN_ATTRIBUTE_LIFETIME: return "LIFETIME";
    case BURROW_STUN_ATTRIBUTE_XOR_PEER_ADDRESS: return "XOR-PEER-ADDRESS";
    case BURROW_STUN_ATTRIBUTE_DATA: return "DATA";
    case BURROW_STUN_ATTRIBUTE_REALM: return "REALM";
    case BURROW_STUN_ATTRIBUTE_NONCE: return "NONCE";
    case BURROW_STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS: return "XOR-RELAYED-ADDRESS";
    case BURROW_STUN_ATTRIBUTE_REQUESTED_ADDRESS_FAMILY: return "REQUESTED-ADDRESS-FAMILY";
    case BURROW_STUN_ATTRIBUTE_EVEN_PORT: return "EVEN-PORT";
    case BURROW_STUN_ATTRIBUTE_REQUESTED_TRANSPORT: return "REQUESTED-TRANSPORT";
    case BURROW_STUN_ATTRIBUTE_DONT_FRAGMENT: return "DONT-FRAGMENT";
    case BURROW_STUN_ATTRIBUTE_MESSAGE_INTEGRITY_SHA256: return "MESSAGE-INTEGRITY-SHA256";
    case BURROW_STUN_ATTRIBUTE_PASSWORD_ALGORITHM: return "PASSWORD-ALGORITHM";
    case BURROW_STUN_ATTRIBUTE_USERHASH: return "USERHASH";
    case BURROW_STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS: return "XOR-MAPPED-ADDRESS";
    case BURROW_STUN_ATTRIBUTE_RESERVATION_TOKEN: return "RESERVATION-TOKEN";
    case BURROW_STUN_ATTRIBUTE_PRIORITY: return "PRIORITY";
    case BURROW_STUN_ATTRIBUTE_USE_CANDIDATE: return "USE-CANDIDATE";
    case BURROW_STUN_ATTRIBUTE_PADDING: return "PADDING";
    case BURROW_STUN_ATTRIBUTE_RESPONSE_PORT: return "RESPONSE-PORT";
    case BURROW_STUN_ATTRIBUTE_CONNECTION_ID: return "CONNECTION-ID";
    case BURROW_STUN_ATTRIBUTE_ADDITIONAL_ADDRESS_FAMILY: return "ADDITIONAL-ADDRESS-FAMILY";
    case BURROW_STUN_ATTRIBUTE_ADDRESS_ERROR_CODE: return "ADDRESS-ERROR-CODE";
    case BURROW_STUN_ATTRIBUTE_PASSWORD_ALGORITHMS: return "PASSWORD-ALGORITHMS";
    case BURROW_STUN_ATTRIBUTE_ALTERNATE_DOMAIN: return "ALTERNATE-DOMAIN";
    case BURROW_STUN_ATTRIBUTE_ICMP: return "ICMP";
    case BURROW_STUN_ATTRIBUTE_SOFTWARE: return "SOFTWARE";
    case BURROW_STUN_ATTRIBUTE_ALTERNATE_SERVER: return "ALTERNATE-SERVER";
    case BURROW_STUN_ATTRIBUTE_FINGERPRINT: return "FINGERPRINT";
    case BURROW_STUN_ATTRIBUTE_ICE_CONTROLLED: return "ICE-CONTROLLED";
    case BURROW_STUN_ATTRIBUTE_ICE_CONTROLLING: return "ICE-CONTROLLING";
    case BURROW_STUN_ATTRIBUTE_RESPONSE_ORIGIN: return "RESPONSE-ORIGIN";
    case BURROW_STUN_ATTRIBUTE_OTHER_ADDRESS: return "OTHER-ADDRESS";
    default: return "unknown";
  }
}
