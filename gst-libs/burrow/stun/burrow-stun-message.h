/* burrow-stun-message.h: STUN message codec (RFC 8489, 5389, 5780, 8656, 8445)
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
 * BURROW_STUN_MAGIC_COOKIE:
 *
 * The fixed magic cookie of RFC 5389/8489 messages.
 *
 * Since: 0.1
 */
#define BURROW_STUN_MAGIC_COOKIE 0x2112A442u

/**
 * BURROW_STUN_HEADER_SIZE:
 *
 * Size in bytes of the STUN message header.
 *
 * Since: 0.1
 */
#define BURROW_STUN_HEADER_SIZE 20

/**
 * BURROW_STUN_TRANSACTION_ID_SIZE:
 *
 * Size in bytes of a STUN transaction id.
 *
 * Since: 0.1
 */
#define BURROW_STUN_TRANSACTION_ID_SIZE 12

/**
 * BURROW_STUN_MAX_MESSAGE_SIZE:
 *
 * The largest message this codec accepts or builds. Anything longer is
 * refused before any allocation happens.
 *
 * Since: 0.1
 */
#define BURROW_STUN_MAX_MESSAGE_SIZE 65535

/**
 * BurrowStunClass:
 * @BURROW_STUN_CLASS_REQUEST: a request
 * @BURROW_STUN_CLASS_INDICATION: an indication (no response expected)
 * @BURROW_STUN_CLASS_SUCCESS_RESPONSE: a success response
 * @BURROW_STUN_CLASS_ERROR_RESPONSE: an error response
 *
 * The class of a STUN message.
 *
 * Since: 0.1
 */
typedef enum {
  BURROW_STUN_CLASS_REQUEST = 0,
  BURROW_STUN_CLASS_INDICATION = 1,
  BURROW_STUN_CLASS_SUCCESS_RESPONSE = 2,
  BURROW_STUN_CLASS_ERROR_RESPONSE = 3,
} BurrowStunClass;

/**
 * BurrowStunMethod:
 * @BURROW_STUN_METHOD_BINDING: Binding (RFC 8489)
 * @BURROW_STUN_METHOD_ALLOCATE: Allocate (RFC 8656)
 * @BURROW_STUN_METHOD_REFRESH: Refresh (RFC 8656)
 * @BURROW_STUN_METHOD_SEND: Send (RFC 8656)
 * @BURROW_STUN_METHOD_DATA: Data (RFC 8656)
 * @BURROW_STUN_METHOD_CREATE_PERMISSION: CreatePermission (RFC 8656)
 * @BURROW_STUN_METHOD_CHANNEL_BIND: ChannelBind (RFC 8656)
 * @BURROW_STUN_METHOD_CONNECT: Connect (RFC 6062)
 * @BURROW_STUN_METHOD_CONNECTION_BIND: ConnectionBind (RFC 6062)
 * @BURROW_STUN_METHOD_CONNECTION_ATTEMPT: ConnectionAttempt (RFC 6062)
 *
 * STUN methods known to Burrow. The codec accepts any 12-bit method; these
 * are the ones with a name.
 *
 * Since: 0.1
 */
typedef enum {
  BURROW_STUN_METHOD_BINDING = 0x001,
  BURROW_STUN_METHOD_ALLOCATE = 0x003,
  BURROW_STUN_METHOD_REFRESH = 0x004,
  BURROW_STUN_METHOD_SEND = 0x006,
  BURROW_STUN_METHOD_DATA = 0x007,
  BURROW_STUN_METHOD_CREATE_PERMISSION = 0x008,
  BURROW_STUN_METHOD_CHANNEL_BIND = 0x009,
  BURROW_STUN_METHOD_CONNECT = 0x00a,
  BURROW_STUN_METHOD_CONNECTION_BIND = 0x00b,
  BURROW_STUN_METHOD_CONNECTION_ATTEMPT = 0x00c,
} BurrowStunMethod;

/**
 * BurrowStunAttribute:
 * @BURROW_STUN_ATTRIBUTE_MAPPED_ADDRESS: MAPPED-ADDRESS
 * @BURROW_STUN_ATTRIBUTE_CHANGE_REQUEST: CHANGE-REQUEST (RFC 5780)
 * @BURROW_STUN_ATTRIBUTE_USERNAME: USERNAME
 * @BURROW_STUN_ATTRIBUTE_MESSAGE_INTEGRITY: MESSAGE-INTEGRITY (HMAC-SHA1)
 * @BURROW_STUN_ATTRIBUTE_ERROR_CODE: ERROR-CODE
 * @BURROW_STUN_ATTRIBUTE_UNKNOWN_ATTRIBUTES: UNKNOWN-ATTRIBUTES
 * @BURROW_STUN_ATTRIBUTE_CHANNEL_NUMBER: CHANNEL-NUMBER (TURN)
 * @BURROW_STUN_ATTRIBUTE_LIFETIME: LIFETIME (TURN)
 * @BURROW_STUN_ATTRIBUTE_XOR_PEER_ADDRESS: XOR-PEER-ADDRESS (TURN)
 * @BURROW_STUN_ATTRIBUTE_DATA: DATA (TURN)
 * @BURROW_STUN_ATTRIBUTE_REALM: REALM
 * @BURROW_STUN_ATTRIBUTE_NONCE: NONCE
 * @BURROW_STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS: XOR-RELAYED-ADDRESS (TURN)
 * @BURROW_STUN_ATTRIBUTE_REQUESTED_ADDRESS_FAMILY: REQUESTED-ADDRESS-FAMILY (TURN)
 * @BURROW_STUN_ATTRIBUTE_EVEN_PORT: EVEN-PORT (TURN)
 * @BURROW_STUN_ATTRIBUTE_REQUESTED_TRANSPORT: REQUESTED-TRANSPORT (TURN)
 * @BURROW_STUN_ATTRIBUTE_DONT_FRAGMENT: DONT-FRAGMENT (TURN)
 * @BURROW_STUN_ATTRIBUTE_MESSAGE_INTEGRITY_SHA256: MESSAGE-INTEGRITY-SHA256
 * @BURROW_STUN_ATTRIBUTE_PASSWORD_ALGORITHM: PASSWORD-ALGORITHM
 * @BURROW_STUN_ATTRIBUTE_USERHASH: USERHASH
 * @BURROW_STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS: XOR-MAPPED-ADDRESS
 * @BURROW_STUN_ATTRIBUTE_RESERVATION_TOKEN: RESERVATION-TOKEN (TURN)
 * @BURROW_STUN_ATTRIBUTE_PRIORITY: PRIORITY (ICE)
 * @BURROW_STUN_ATTRIBUTE_USE_CANDIDATE: USE-CANDIDATE (ICE)
 * @BURROW_STUN_ATTRIBUTE_PADDING: PADDING (RFC 5780)
 * @BURROW_STUN_ATTRIBUTE_RESPONSE_PORT: RESPONSE-PORT (RFC 5780)
 * @BURROW_STUN_ATTRIBUTE_CONNECTION_ID: CONNECTION-ID (RFC 6062)
 * @BURROW_STUN_ATTRIBUTE_ADDITIONAL_ADDRESS_FAMILY: ADDITIONAL-ADDRESS-FAMILY (TURN)
 * @BURROW_STUN_ATTRIBUTE_ADDRESS_ERROR_CODE: ADDRESS-ERROR-CODE (TURN)
 * @BURROW_STUN_ATTRIBUTE_PASSWORD_ALGORITHMS: PASSWORD-ALGORITHMS
 * @BURROW_STUN_ATTRIBUTE_ALTERNATE_DOMAIN: ALTERNATE-DOMAIN
 * @BURROW_STUN_ATTRIBUTE_ICMP: ICMP (TURN)
 * @BURROW_STUN_ATTRIBUTE_SOFTWARE: SOFTWARE
 * @BURROW_STUN_ATTRIBUTE_ALTERNATE_SERVER: ALTERNATE-SERVER
 * @BURROW_STUN_ATTRIBUTE_RESPONSE_ORIGIN: RESPONSE-ORIGIN (RFC 5780)
 * @BURROW_STUN_ATTRIBUTE_OTHER_ADDRESS: OTHER-ADDRESS (RFC 5780)
 * @BURROW_STUN_ATTRIBUTE_FINGERPRINT: FINGERPRINT
 * @BURROW_STUN_ATTRIBUTE_ICE_CONTROLLED: ICE-CONTROLLED (ICE)
 * @BURROW_STUN_ATTRIBUTE_ICE_CONTROLLING: ICE-CONTROLLING (ICE)
 *
 * Attribute types with a name. Types below 0x8000 are
 * comprehension-required.
 *
 * Since: 0.1
 */
typedef enum {
  BURROW_STUN_ATTRIBUTE_MAPPED_ADDRESS = 0x0001,
  BURROW_STUN_ATTRIBUTE_CHANGE_REQUEST = 0x0003,
  BURROW_STUN_ATTRIBUTE_USERNAME = 0x0006,
  BURROW_STUN_ATTRIBUTE_MESSAGE_INTEGRITY = 0x0008,
  BURROW_STUN_ATTRIBUTE_ERROR_CODE = 0x0009,
  BURROW_STUN_ATTRIBUTE_UNKNOWN_ATTRIBUTES = 0x000A,
  BURROW_STUN_ATTRIBUTE_CHANNEL_NUMBER = 0x000C,
  BURROW_STUN_ATTRIBUTE_LIFETIME = 0x000D,
  BURROW_STUN_ATTRIBUTE_XOR_PEER_ADDRESS = 0x0012,
  BURROW_STUN_ATTRIBUTE_DATA = 0x0013,
  BURROW_STUN_ATTRIBUTE_REALM = 0x0014,
  BURROW_STUN_ATTRIBUTE_NONCE = 0x0015,
  BURROW_STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS = 0x0016,
  BURROW_STUN_ATTRIBUTE_REQUESTED_ADDRESS_FAMILY = 0x0017,
  BURROW_STUN_ATTRIBUTE_EVEN_PORT = 0x0018,
  BURROW_STUN_ATTRIBUTE_REQUESTED_TRANSPORT = 0x0019,
  BURROW_STUN_ATTRIBUTE_DONT_FRAGMENT = 0x001A,
  BURROW_STUN_ATTRIBUTE_MESSAGE_INTEGRITY_SHA256 = 0x001C,
  BURROW_STUN_ATTRIBUTE_PASSWORD_ALGORITHM = 0x001D,
  BURROW_STUN_ATTRIBUTE_USERHASH = 0x001E,
  BURROW_STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS = 0x0020,
  BURROW_STUN_ATTRIBUTE_RESERVATION_TOKEN = 0x0022,
  BURROW_STUN_ATTRIBUTE_PRIORITY = 0x0024,
  BURROW_STUN_ATTRIBUTE_USE_CANDIDATE = 0x0025,
  BURROW_STUN_ATTRIBUTE_PADDING = 0x0026,
  BURROW_STUN_ATTRIBUTE_RESPONSE_PORT = 0x0027,
  BURROW_STUN_ATTRIBUTE_CONNECTION_ID = 0x002A,
  BURROW_STUN_ATTRIBUTE_ADDITIONAL_ADDRESS_FAMILY = 0x8000,
  BURROW_STUN_ATTRIBUTE_ADDRESS_ERROR_CODE = 0x8001,
  BURROW_STUN_ATTRIBUTE_PASSWORD_ALGORITHMS = 0x8002,
  BURROW_STUN_ATTRIBUTE_ALTERNATE_DOMAIN = 0x8003,
  BURROW_STUN_ATTRIBUTE_ICMP = 0x8004,
  BURROW_STUN_ATTRIBUTE_SOFTWARE = 0x8022,
  BURROW_STUN_ATTRIBUTE_ALTERNATE_SERVER = 0x8023,
  BURROW_STUN_ATTRIBUTE_RESPONSE_ORIGIN = 0x802B,
  BURROW_STUN_ATTRIBUTE_OTHER_ADDRESS = 0x802C,
  BURROW_STUN_ATTRIBUTE_FINGERPRINT = 0x8028,
  BURROW_STUN_ATTRIBUTE_ICE_CONTROLLED = 0x8029,
  BURROW_STUN_ATTRIBUTE_ICE_CONTROLLING = 0x802A,
} BurrowStunAttribute;

/**
 * BurrowStunPasswordAlgorithm:
 * @BURROW_STUN_PASSWORD_ALGORITHM_MD5: MD5 of "username:realm:password"
 *   (RFC 5389 and the RFC 8489 default)
 * @BURROW_STUN_PASSWORD_ALGORITHM_SHA256: SHA-256 of
 *   "username:realm:password" (RFC 8489)
 *
 * How a long-term credential key is derived (RFC 8489 section 18.5).
 *
 * Since: 0.1
 */
typedef enum {
  BURROW_STUN_PASSWORD_ALGORITHM_MD5 = 0x0001,
  BURROW_STUN_PASSWORD_ALGORITHM_SHA256 = 0x0002,
} BurrowStunPasswordAlgorithm;

/**
 * BurrowStunSignFlags:
 * @BURROW_STUN_SIGN_NONE: append nothing
 * @BURROW_STUN_SIGN_MESSAGE_INTEGRITY: append MESSAGE-INTEGRITY (HMAC-SHA1)
 * @BURROW_STUN_SIGN_MESSAGE_INTEGRITY_SHA256: append
 *   MESSAGE-INTEGRITY-SHA256 (HMAC-SHA256)
 * @BURROW_STUN_SIGN_FINGERPRINT: append FINGERPRINT (CRC-32)
 *
 * What [method@Burrow.StunMessage.serialize] appends after the other
 * attributes, in the order RFC 8489 requires.
 *
 * Since: 0.1
 */
typedef enum /*< flags >*/ {
  BURROW_STUN_SIGN_NONE = 0,
  BURROW_STUN_SIGN_MESSAGE_INTEGRITY = 1 << 0,
  BURROW_STUN_SIGN_MESSAGE_INTEGRITY_SHA256 = 1 << 1,
  BURROW_STUN_SIGN_FINGERPRINT = 1 << 2,
} BurrowStunSignFlags;

/**
 * BurrowStunParseFlags:
 * @BURROW_STUN_PARSE_DEFAULT: strict parsing
 * @BURROW_STUN_PARSE_ALLOW_UNKNOWN_REQUIRED: keep a message with unknown
 *   comprehension-required attributes instead of failing, so that a server
 *   can answer 420 with
 *   [method@Burrow.StunMessage.get_unknown_required_attributes]
 *
 * Options for [ctor@Burrow.StunMessage.new_from_data_full].
 *
 * Since: 0.1
 */
typedef enum /*< flags >*/ {
  BURROW_STUN_PARSE_DEFAULT = 0,
  BURROW_STUN_PARSE_ALLOW_UNKNOWN_REQUIRED = 1 << 0,
} BurrowStunParseFlags;

/**
 * BurrowStunMessage:
 *
 * A STUN message, either parsed from the wire or being built.
 *
 * A parsed message keeps a copy of the bytes it came from; attribute getters
 * read from them. A message being built collects attributes with the
 * `add_*` methods and becomes bytes with
 * [method@Burrow.StunMessage.serialize], which appends MESSAGE-INTEGRITY,
 * MESSAGE-INTEGRITY-SHA256 and FINGERPRINT as asked.
 *
 * Parsing never trusts the packet: every length is checked against the
 * buffer, nothing is allocated in proportion to a length read from the
 * packet, and a bad message gives a [error@Burrow.StunError].
 *
 * Since: 0.1
 */
typedef struct _BurrowStunMessage BurrowStunMessage;

#define BURROW_TYPE_STUN_MESSAGE (burrow_stun_message_get_type ())

BURROW_API
GType               burrow_stun_message_get_type          (void) G_GNUC_CONST;

BURROW_API
BurrowStunMessage * burrow_stun_message_new               (BurrowStunMethod method,
                                                           BurrowStunClass  message_class,
                                                           const guint8    *transaction_id);
BURROW_API
BurrowStunMessage * burrow_stun_message_new_request       (BurrowStunMethod method);
BURROW_API
BurrowStunMessage * burrow_stun_message_new_indication    (BurrowStunMethod method);
BURROW_API
BurrowStunMessage * burrow_stun_message_new_response      (BurrowStunMessage *request,
                                                           BurrowStunClass    message_class);
BURROW_API
BurrowStunMessage * burrow_stun_message_new_error_response (BurrowStunMessage *request,
                                                            guint              code,
                                                            const gchar       *reason);
BURROW_API
BurrowStunMessage * burrow_stun_message_new_from_bytes    (GBytes   *data,
                                                           GError  **error);
BURROW_API
BurrowStunMessage * burrow_stun_message_new_from_data     (const guint8 *data,
                                                           gsize         len,
                                                           GError      **error);
BURROW_API
BurrowStunMessage * burrow_stun_message_new_from_data_full (const guint8         *data,
                                                            gsize                 len,
                                                            BurrowStunParseFlags  flags,
                                                            GError              **error);

BURROW_API
BurrowStunMessage * burrow_stun_message_ref               (BurrowStunMessage *msg);
BURROW_API
void                burrow_stun_message_unref             (BurrowStunMessage *msg);

BURROW_API
gboolean            burrow_stun_message_is_stun           (const guint8 *data,
                                                           gsize         len);

/* header */
BURROW_API
guint16             burrow_stun_message_get_method        (BurrowStunMessage *msg);
BURROW_API
BurrowStunClass     burrow_stun_message_get_message_class (BurrowStunMessage *msg);
BURROW_API
const guint8 *      burrow_stun_message_get_transaction_id (BurrowStunMessage *msg,
                                                            gsize             *len);
BURROW_API
gboolean            burrow_stun_message_has_transaction_id (BurrowStunMessage *msg,
                                                            const guint8      *transaction_id);

/* reading attributes */
BURROW_API
guint16 *           burrow_stun_message_list_attributes   (BurrowStunMessage *msg,
                                                           guint             *n_attributes);
BURROW_API
gboolean            burrow_stun_message_has_attribute     (BurrowStunMessage *msg,
                                                           guint16            attribute);
BURROW_API
GBytes *            burrow_stun_message_get_attribute     (BurrowStunMessage *msg,
                                                           guint16            attribute);
BURROW_API
const guint8 *      burrow_stun_message_peek_attribute    (BurrowStunMessage *msg,
                                                           guint16            attribute,
                                                           gsize             *len);
BURROW_API
GInetSocketAddress *burrow_stun_message_get_address       (BurrowStunMessage *msg,
                                                           guint16            attribute);
BURROW_API
GInetSocketAddress *burrow_stun_message_get_address_nth   (BurrowStunMessage *msg,
                                                           guint16            attribute,
                                                           guint              n);
BURROW_API
GInetSocketAddress *burrow_stun_message_get_xor_mapped_address (BurrowStunMessage *msg);
BURROW_API
GInetSocketAddress *burrow_stun_message_get_mapped_address (BurrowStunMessage *msg);
BURROW_API
gchar *             burrow_stun_message_get_string        (BurrowStunMessage *msg,
                                                           guint16            attribute);
BURROW_API
gboolean            burrow_stun_message_get_uint32        (BurrowStunMessage *msg,
                                                           guint16            attribute,
                                                           guint32           *value);
BURROW_API
gboolean            burrow_stun_message_get_uint64        (BurrowStunMessage *msg,
                                                           guint16            attribute,
                                                           guint64           *value);
BURROW_API
gboolean            burrow_stun_message_get_error_code    (BurrowStunMessage *msg,
                                                           guint             *code,
                                                           gchar            **reason);
BURROW_API
guint16 *           burrow_stun_message_get_unknown_attributes (BurrowStunMessage *msg,
                                                                guint             *n_attributes);
BURROW_API
guint16 *           burrow_stun_message_get_unknown_required_attributes (BurrowStunMessage *msg,
                                                                         guint             *n_attributes);
BURROW_API
BurrowStunPasswordAlgorithm *
                    burrow_stun_message_get_password_algorithms (BurrowStunMessage *msg,
                                                                 guint             *n_algorithms);

/* checking */
BURROW_API
gboolean            burrow_stun_message_has_integrity     (BurrowStunMessage *msg);
BURROW_API
gboolean            burrow_stun_message_check_integrity   (BurrowStunMessage *msg,
                                                           const guint8      *key,
                                                           gsize              key_len);
BURROW_API
gboolean            burrow_stun_message_check_fingerprint (BurrowStunMessage *msg);

/* building */
BURROW_API
void                burrow_stun_message_add_attribute     (BurrowStunMessage *msg,
                                                           guint16            attribute,
                                                           const guint8      *value,
                                                           gsize              len);
BURROW_API
void                burrow_stun_message_add_string        (BurrowStunMessage *msg,
                                                           guint16            attribute,
                                                           const gchar       *value);
BURROW_API
void                burrow_stun_message_add_uint32        (BurrowStunMessage *msg,
                                                           guint16            attribute,
                                                           guint32            value);
BURROW_API
void                burrow_stun_message_add_uint64        (BurrowStunMessage *msg,
                                                           guint16            attribute,
                                                           guint64            value);
BURROW_API
void                burrow_stun_message_add_flag          (BurrowStunMessage *msg,
                                                           guint16            attribute);
BURROW_API
gboolean            burrow_stun_message_add_address       (BurrowStunMessage  *msg,
                                                           guint16             attribute,
                                                           GInetSocketAddress *address);
BURROW_API
void                burrow_stun_message_add_error_code    (BurrowStunMessage *msg,
                                                           guint              code,
                                                           const gchar       *reason);
BURROW_API
void                burrow_stun_message_add_unknown_attributes (BurrowStunMessage *msg,
                                                                const guint16     *attributes,
                                                                guint              n_attributes);
BURROW_API
void                burrow_stun_message_add_change_request (BurrowStunMessage *msg,
                                                            gboolean           change_ip,
                                                            gboolean           change_port);
BURROW_API
GBytes *            burrow_stun_message_serialize         (BurrowStunMessage   *msg,
                                                           BurrowStunSignFlags  flags,
                                                           const guint8        *key,
                                                           gsize                key_len,
                                                           GError             **error);

BURROW_API
const gchar *       burrow_stun_method_to_string          (guint16 method);
BURROW_API
const gchar *       burrow_stun_attribute_to_string       (guint16 attribute);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BurrowStunMessage, burrow_stun_message_unref)

G_END_DECLS
