/* test-stun-message.c: the STUN codec against RFC 5769 and RFC 8489 test
 * vectors, hand-made malformed packets, and random mutations
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <burrow/burrow.h>

#include <string.h>
#include <zlib.h>

/* ---------------------------------------------------------------------- */
/* vectors */

/* RFC 5769 section 2.1: Binding request, short-term credentials.
 * USERNAME is padded with spaces. */
static const gchar RFC5769_REQUEST[] =
    "0001 0058 2112a442 b7e7a701 bc34d686 fa87dfae"
    "8022 0010 5354554e 20746573 7420636c 69656e74"     /* SOFTWARE */
    "0024 0004 6e0001ff"                                /* PRIORITY */
    "8029 0008 932ff9b1 51263b36"                       /* ICE-CONTROLLED */
    "0006 0009 6576746a 3a683676 59202020"              /* USERNAME */
    "0008 0014 9aeaa70c bfd8cb56 781ef2b5 b2d3f249 c1b571a2" /* MESSAGE-INTEGRITY */
    "8028 0004 e57a3bcf";                               /* FINGERPRINT */

/* RFC 5769 section 2.2: Binding success response, IPv4 */
static const gchar RFC5769_IPV4_RESPONSE[] =
    "0101 003c 2112a442 b7e7a701 bc34d686 fa87dfae"
    "8022 000b 74657374 20766563 746f7220"
    "0020 0008 0001a147 e112a643"
    "0008 0014 2b91f599 fd9e90c3 8c7489f9 2af9ba53 f06be7d7"
    "8028 0004 c07d4c96";

/* RFC 5769 section 2.3: Binding success response, IPv6 */
static const gchar RFC5769_IPV6_RESPONSE[] =
    "0101 0048 2112a442 b7e7a701 bc34d686 fa87dfae"
    "8022 000b 74657374 20766563 746f7220"
    "0020 0014 0002a147 0113a9fa a5d3f179 bc25f4b5 bed2b9d9"
    "0008 0014 a382954e 4be67bf1 1784c97c 8292c275 bfe3ed41"
    "8028 0004 c8fb0b4c";

/* RFC 5769 section 2.4: Binding request, long-term credentials */
static const gchar RFC5769_LONG_TERM_REQUEST[] =
    "0001 0060 2112a442 78ad3433 c6ad72c0 29da412e"
    "0006 0012 e3839ee3 8388e383 aae38383 e382afe3 82b90000"
    "0015 001c 662f2f34 39396b39 35346436 4f4c3334 6f4c3946 53547679 36347341"
    "0014 000b 6578616d 706c652e 6f726700"
    "0008 0014 f6702465 6dd64a3e 02b8e071 2e85c9a2 8ca89666";

/* RFC 8489 appendix B.1 as corrected by erratum 6268: long-term
 * credentials with SHA-256, USERHASH and MESSAGE-INTEGRITY-SHA256 */
static const gchar RFC8489_SHA256_REQUEST[] =
    "0001 0090 2112a442 78ad3433 c6ad72c0 29da412e"
    "001e 0020 4a3cf38f ef6992bd a952c678 0417da0f 24819415 569e60b2 05c46e41 407f1704"
    "0015 0029 6f624d61 744a6f73 32414141 43662f2f 3439396b 39353464"
    "          364f4c33 346f4c39 46535476 79363473 41000000"
    "0014 000b 6578616d 706c652e 6f726700"
    "001d 0004 00020000"
    "001c 0020 b5c7bf00 5b6c52a2 1c51c5e8 92f81924 136296cb 927c4314 9309278c c6518e65";

static const guint8 RFC5769_TID[12] = {
  0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae
};
static const guint8 RFC5769_LONG_TERM_TID[12] = {
  0x78, 0xad, 0x34, 0x33, 0xc6, 0xad, 0x72, 0xc0, 0x29, 0xda, 0x41, 0x2e
};

#define SHORT_TERM_PASSWORD "VOkJxbRl1RmTxUk/WvJxBt"
/* U+30DE U+30C8 U+30EA U+30C3 U+30AF U+30B9 */
#define MATRIX_USERNAME "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9"
/* "The<U+00AD>M<U+00AA>tr<U+2168>", "TheMatrIX" after SASLprep */
#define MATRIX_PASSWORD "The\xc2\xadM\xc2\xaatr\xe2\x85\xa8"
#define MATRIX_REALM "example.org"
#define MATRIX_NONCE "f//499k954d6OL34oL9FSTvy64sA"
#define MATRIX_NONCE_SHA256 "obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA"

/* ---------------------------------------------------------------------- */
/* helpers */

static GBytes *
hex (const gchar *s)
{
  GByteArray *a = g_byte_array_new ();

  while (*s) {
    guint8 b;

    if (g_ascii_isspace (*s)) {
      s++;
      continue;
    }
    g_assert_true (g_ascii_isxdigit (s[0]) && g_ascii_isxdigit (s[1]));
    b = (guint8) (g_ascii_xdigit_value (s[0]) << 4 | g_ascii_xdigit_value (s[1]));
    g_byte_array_append (a, &b, 1);
    s += 2;
  }
  return g_byte_array_free_to_bytes (a);
}

static BurrowStunMessage *
parse_ok (GBytes *bytes)
{
  g_autoptr(GError) error = NULL;
  BurrowStunMessage *msg = burrow_stun_message_new_from_bytes (bytes, &error);

  g_assert_no_error (error);
  g_assert_nonnull (msg);
  return msg;
}

static void
assert_address (GInetSocketAddress *address, const gchar *ip, guint16 port)
{
  g_autofree gchar *got = NULL;

  g_assert_nonnull (address);
  got = g_inet_address_to_string (g_inet_socket_address_get_address (address));
  g_assert_cmpstr (got, ==, ip);
  g_assert_cmpuint (g_inet_socket_address_get_port (address), ==, port);
}

static GInetSocketAddress *
make_address (const gchar *ip, guint16 port)
{
  g_autoptr(GInetAddress) addr = g_inet_address_new_from_string (ip);

  g_assert_nonnull (addr);
  return G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (addr, port));
}

static void
assert_string (BurrowStunMessage *msg, guint16 attribute, const gchar *expected)
{
  g_autofree gchar *value = burrow_stun_message_get_string (msg, attribute);

  g_assert_cmpstr (value, ==, expected);
}

static void
assert_types (BurrowStunMessage *msg, const guint16 *expected, guint n_expected)
{
  guint n = 0;
  g_autofree guint16 *types = burrow_stun_message_list_attributes (msg, &n);

  g_assert_cmpmem (types, n * sizeof (guint16), expected, n_expected * sizeof (guint16));
}

static void
assert_fingerprint_by_zlib (GBytes *wire)
{
  gsize len;
  const guint8 *p = g_bytes_get_data (wire, &len);
  guint32 crc, value;

  g_assert_cmpuint (len, >=, 28);
  crc = (guint32) crc32 (0, p, (uInt) (len - 8)) ^ 0x5354554eu;
  value = (guint32) p[len - 4] << 24 | (guint32) p[len - 3] << 16 | (guint32) p[len - 2] << 8 |
      p[len - 1];
  g_assert_cmphex (p[len - 8], ==, 0x80);
  g_assert_cmphex (p[len - 7], ==, 0x28);
  g_assert_cmphex (crc, ==, value);
}

static gboolean
check_key (BurrowStunMessage *msg, GBytes *key)
{
  return burrow_stun_message_check_integrity (msg, g_bytes_get_data (key, NULL),
      g_bytes_get_size (key));
}

static gboolean
check_text_key (BurrowStunMessage *msg, const gchar *key)
{
  return burrow_stun_message_check_integrity (msg, (const guint8 *) key, strlen (key));
}

/* Flips one byte of a copy and parses it again. */
static BurrowStunMessage *
parse_flipped (GBytes *bytes, gsize offset)
{
  gsize len;
  g_autofree guint8 *copy = g_memdup2 (g_bytes_get_data (bytes, &len), g_bytes_get_size (bytes));
  g_autoptr(GError) error = NULL;
  BurrowStunMessage *msg;

  g_assert_cmpuint (offset, <, len);
  copy[offset] ^= 0x01;
  msg = burrow_stun_message_new_from_data (copy, len, &error);
  g_assert_no_error (error);
  return msg;
}

/* ---------------------------------------------------------------------- */
/* RFC 5769 */

static void
test_rfc5769_sample_request (void)
{
  g_autoptr(GBytes) wire = hex (RFC5769_REQUEST);
  g_autoptr(BurrowStunMessage) msg = parse_ok (wire);
  g_autoptr(BurrowStunMessage) flipped = NULL;
  g_autoptr(GBytes) key = NULL;
  static const guint16 types[] = {
    BURROW_STUN_ATTRIBUTE_SOFTWARE, BURROW_STUN_ATTRIBUTE_PRIORITY,
    BURROW_STUN_ATTRIBUTE_ICE_CONTROLLED, BURROW_STUN_ATTRIBUTE_USERNAME,
    BURROW_STUN_ATTRIBUTE_MESSAGE_INTEGRITY, BURROW_STUN_ATTRIBUTE_FINGERPRINT,
  };
  const guint8 *tid;
  gsize len;
  guint32 priority = 0;
  guint64 tie_breaker = 0;

  g_assert_true (burrow_stun_message_is_stun (g_bytes_get_data (wire, NULL),
          g_bytes_get_size (wire)));
  g_assert_cmpuint (burrow_stun_message_get_method (msg), ==, BURROW_STUN_METHOD_BINDING);
  g_assert_cmpint (burrow_stun_message_get_message_class (msg), ==, BURROW_STUN_CLASS_REQUEST);
  tid = burrow_stun_message_get_transaction_id (msg, &len);
  g_assert_cmpmem (tid, len, RFC5769_TID, sizeof RFC5769_TID);
  g_assert_true (burrow_stun_message_has_transaction_id (msg, RFC5769_TID));
  assert_types (msg, types, G_N_ELEMENTS (types));

  assert_string (msg, BURROW_STUN_ATTRIBUTE_SOFTWARE, "STUN test client");
  assert_string (msg, BURROW_STUN_ATTRIBUTE_USERNAME, "evtj:h6vY");
  g_assert_true (burrow_stun_message_get_uint32 (msg, BURROW_STUN_ATTRIBUTE_PRIORITY, &priority));
  g_assert_cmphex (priority, ==, 0x6e0001ff);
  g_assert_true (burrow_stun_message_get_uint64 (msg, BURROW_STUN_ATTRIBUTE_ICE_CONTROLLED,
          &tie_breaker));
  g_assert_cmphex (tie_breaker, ==, G_GUINT64_CONSTANT (0x932ff9b151263b36));
  g_assert_false (burrow_stun_message_has_attribute (msg, BURROW_STUN_ATTRIBUTE_ICE_CONTROLLING));

  key = burrow_stun_short_term_key (SHORT_TERM_PASSWORD, NULL);
  g_assert_nonnull (key);
  g_assert_true (burrow_stun_message_has_integrity (msg));
  g_assert_true (check_key (msg, key));
  g_assert_false (check_text_key (msg, "VOkJxbRl1RmTxUk/WvJxBu"));
  g_assert_false (burrow_stun_message_check_integrity (msg, NULL, 0));
  g_assert_true (burrow_stun_message_check_fingerprint (msg));

  /* one bit of SOFTWARE changed: both checks fail, parsing still works */
  flipped = parse_flipped (wire, 24);
  assert_string (flipped, BURROW_STUN_ATTRIBUTE_SOFTWARE, "RTUN test client");
  g_assert_false (burrow_stun_message_check_fingerprint (flipped));
  g_assert_false (check_key (flipped, key));
}

static void
test_rfc5769_ipv4_response (void)
{
  g_autoptr(GBytes) wire = hex (RFC5769_IPV4_RESPONSE);
  g_autoptr(BurrowStunMessage) msg = parse_ok (wire);
  g_autoptr(BurrowStunMessage) flipped = NULL;
  g_autoptr(GInetSocketAddress) mapped = NULL;
  g_autoptr(GInetSocketAddress) same = NULL;

  g_assert_cmpuint (burrow_stun_message_get_method (msg), ==, BURROW_STUN_METHOD_BINDING);
  g_assert_cmpint (burrow_stun_message_get_message_class (msg), ==,
      BURROW_STUN_CLASS_SUCCESS_RESPONSE);
  g_assert_true (burrow_stun_message_has_transaction_id (msg, RFC5769_TID));
  assert_string (msg, BURROW_STUN_ATTRIBUTE_SOFTWARE, "test vector");
  mapped = burrow_stun_message_get_xor_mapped_address (msg);
  assert_address (mapped, "192.0.2.1", 32853);
  same = burrow_stun_message_get_address (msg, BURROW_STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS);
  assert_address (same, "192.0.2.1", 32853);
  g_assert_null (burrow_stun_message_get_mapped_address (msg));

  g_assert_true (check_text_key (msg, SHORT_TERM_PASSWORD));
  g_assert_false (check_text_key (msg, "wrong"));
  g_assert_true (burrow_stun_message_check_fingerprint (msg));

  /* the low byte of the mapped port */
  flipped = parse_flipped (wire, 43);
  g_assert_false (burrow_stun_message_check_fingerprint (flipped));
  g_assert_false (check_text_key (flipped, SHORT_TERM_PASSWORD));
}

static void
test_rfc5769_ipv6_response (void)
{
  g_autoptr(GBytes) wire = hex (RFC5769_IPV6_RESPONSE);
  g_autoptr(BurrowStunMessage) msg = parse_ok (wire);
  g_autoptr(BurrowStunMessage) flipped = NULL;
  g_autoptr(GInetSocketAddress) mapped = NULL;

  g_assert_cmpint (burrow_stun_message_get_message_class (msg), ==,
      BURROW_STUN_CLASS_SUCCESS_RESPONSE);
  assert_string (msg, BURROW_STUN_ATTRIBUTE_SOFTWARE, "test vector");
  mapped = burrow_stun_message_get_xor_mapped_address (msg);
  assert_address (mapped, "2001:db8:1234:5678:11:2233:4455:6677", 32853);

  g_assert_true (check_text_key (msg, SHORT_TERM_PASSWORD));
  g_assert_false (burrow_stun_message_check_integrity (msg, (const guint8 *) SHORT_TERM_PASSWORD,
          strlen (SHORT_TERM_PASSWORD) - 1));
  g_assert_true (burrow_stun_message_check_fingerprint (msg));

  /* the transaction id: the un-XORed address changes too */
  flipped = parse_flipped (wire, 19);
  g_assert_false (burrow_stun_message_check_fingerprint (flipped));
  g_clear_object (&mapped);
  mapped = burrow_stun_message_get_xor_mapped_address (flipped);
  assert_address (mapped, "2001:db8:1234:5678:11:2233:4455:6676", 32853);
}

static void
test_rfc5769_long_term_request (void)
{
  g_autoptr(GBytes) wire = hex (RFC5769_LONG_TERM_REQUEST);
  g_autoptr(BurrowStunMessage) msg = parse_ok (wire);
  g_autoptr(BurrowStunMessage) flipped = NULL;
  g_autoptr(GBytes) key = NULL;
  g_autoptr(GBytes) wrong = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (burrow_stun_message_has_transaction_id (msg, RFC5769_LONG_TERM_TID));
  assert_string (msg, BURROW_STUN_ATTRIBUTE_USERNAME, MATRIX_USERNAME);
  assert_string (msg, BURROW_STUN_ATTRIBUTE_NONCE, MATRIX_NONCE);
  assert_string (msg, BURROW_STUN_ATTRIBUTE_REALM, MATRIX_REALM);

  key = burrow_stun_long_term_key (MATRIX_USERNAME, MATRIX_REALM, MATRIX_PASSWORD,
      BURROW_STUN_PASSWORD_ALGORITHM_MD5, &error);
  g_assert_no_error (error);
  g_assert_true (check_key (msg, key));
  /* the password without SASLprep gives another key */
  wrong = burrow_stun_long_term_key (MATRIX_USERNAME, MATRIX_REALM, "TheMatrix",
      BURROW_STUN_PASSWORD_ALGORITHM_MD5, &error);
  g_assert_no_error (error);
  g_assert_false (check_key (msg, wrong));
  /* no FINGERPRINT in this vector */
  g_assert_false (burrow_stun_message_check_fingerprint (msg));

  /* a byte of NONCE */
  flipped = parse_flipped (wire, 50);
  g_assert_false (check_key (flipped, key));
}

/* Building the vector again gives it byte for byte: its padding is zero. */
static void
test_rfc5769_long_term_request_build (void)
{
  g_autoptr(GBytes) expected = hex (RFC5769_LONG_TERM_REQUEST);
  g_autoptr(BurrowStunMessage) msg = burrow_stun_message_new (BURROW_STUN_METHOD_BINDING,
      BURROW_STUN_CLASS_REQUEST, RFC5769_LONG_TERM_TID);
  g_autoptr(GBytes) key = burrow_stun_long_term_key (MATRIX_USERNAME, MATRIX_REALM,
      MATRIX_PASSWORD, BURROW_STUN_PASSWORD_ALGORITHM_MD5, NULL);
  g_autoptr(GBytes) wire = NULL;
  g_autoptr(GError) error = NULL;

  burrow_stun_message_add_string (msg, BURROW_STUN_ATTRIBUTE_USERNAME, MATRIX_USERNAME);
  burrow_stun_message_add_string (msg, BURROW_STUN_ATTRIBUTE_NONCE, MATRIX_NONCE);
  burrow_stun_message_add_string (msg, BURROW_STUN_ATTRIBUTE_REALM, MATRIX_REALM);
  wire = burrow_stun_message_serialize (msg, BURROW_STUN_SIGN_MESSAGE_INTEGRITY,
      g_bytes_get_data (key, NULL), g_bytes_get_size (key), &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (wire, NULL), g_bytes_get_size (wire),
      g_bytes_get_data (expected, NULL), g_bytes_get_size (expected));
}

/* The XOR-MAPPED-ADDRESS of the response vectors comes out the same when
 * built (the rest differs: the vectors pad SOFTWARE with a space). */
static void
test_rfc5769_xor_address_build (void)
{
  g_autoptr(GBytes) v4 = hex ("0020 0008 0001a147 e112a643");
  g_autoptr(GBytes) v6 = hex ("0020 0014 0002a147 0113a9fa a5d3f179 bc25f4b5 bed2b9d9");
  GBytes *expected[] = { v4, v6 };
  const gchar *ips[] = { "192.0.2.1", "2001:db8:1234:5678:11:2233:4455:6677" };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (ips); i++) {
    g_autoptr(BurrowStunMessage) msg = burrow_stun_message_new (BURROW_STUN_METHOD_BINDING,
        BURROW_STUN_CLASS_SUCCESS_RESPONSE, RFC5769_TID);
    g_autoptr(GInetSocketAddress) addr = make_address (ips[i], 32853);
    g_autoptr(GBytes) wire = NULL;

    g_assert_true (burrow_stun_message_add_address (msg,
            BURROW_STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, addr));
    wire = burrow_stun_message_serialize (msg, BURROW_STUN_SIGN_NONE, NULL, 0, NULL);
    g_assert_nonnull (wire);
    g_assert_cmpmem ((const guint8 *) g_bytes_get_data (wire, NULL) + 20,
        g_bytes_get_size (wire) - 20, g_bytes_get_data (expected[i], NULL),
        g_bytes_get_size (expected[i]));
  }
}

/* ---------------------------------------------------------------------- */
/* RFC 8489 appendix B.1 */

static void
test_rfc8489_sha256_request (void)
{
  g_autoptr(GBytes) wire = hex (RFC8489_SHA256_REQUEST);
  g_autoptr(BurrowStunMessage) msg = parse_ok (wire);
  g_autoptr(BurrowStunMessage) flipped = NULL;
  g_autoptr(GBytes) userhash = NULL;
  g_autoptr(GBytes) attr = NULL;
  g_autoptr(GBytes) key = NULL;
  g_autoptr(GBytes) md5_key = NULL;
  g_autoptr(GError) error = NULL;
  static const guint8 sha256_algorithm[] = { 0x00, 0x02, 0x00, 0x00 };
  const guint8 *value;
  gsize len;

  g_assert_true (burrow_stun_message_has_transaction_id (msg, RFC5769_LONG_TERM_TID));
  userhash = burrow_stun_userhash (MATRIX_USERNAME, MATRIX_REALM, &error);
  g_assert_no_error (error);
  attr = burrow_stun_message_get_attribute (msg, BURROW_STUN_ATTRIBUTE_USERHASH);
  g_assert_nonnull (attr);
  g_assert_true (g_bytes_equal (attr, userhash));
  assert_string (msg, BURROW_STUN_ATTRIBUTE_NONCE, MATRIX_NONCE_SHA256);
  assert_string (msg, BURROW_STUN_ATTRIBUTE_REALM, MATRIX_REALM);
  value = burrow_stun_message_peek_attribute (msg, BURROW_STUN_ATTRIBUTE_PASSWORD_ALGORITHM, &len);
  g_assert_cmpmem (value, len, sha256_algorithm, sizeof sha256_algorithm);

  key = burrow_stun_long_term_key (MATRIX_USERNAME, MATRIX_REALM, MATRIX_PASSWORD,
      BURROW_STUN_PASSWORD_ALGORITHM_SHA256, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (key), ==, 32);
  g_assert_true (burrow_stun_message_has_integrity (msg));
  g_assert_true (check_key (msg, key));
  md5_key = burrow_stun_long_term_key (MATRIX_USERNAME, MATRIX_REALM, MATRIX_PASSWORD,
      BURROW_STUN_PASSWORD_ALGORITHM_MD5, &error);
  g_assert_false (check_key (msg, md5_key));

  /* the last byte of the HMAC */
  flipped = parse_flipped (wire, g_bytes_get_size (wire) - 1);
  g_assert_false (check_key (flipped, key));
}

static void
test_rfc8489_sha256_request_build (void)
{
  g_autoptr(GBytes) expected = hex (RFC8489_SHA256_REQUEST);
  g_autoptr(BurrowStunMessage) msg = burrow_stun_message_new (BURROW_STUN_METHOD_BINDING,
      BURROW_STUN_CLASS_REQUEST, RFC5769_LONG_TERM_TID);
  g_autoptr(GBytes) key = burrow_stun_long_term_key (MATRIX_USERNAME, MATRIX_REALM,
      MATRIX_PASSWORD, BURROW_STUN_PASSWORD_ALGORITHM_SHA256, NULL);
  g_autoptr(GBytes) userhash = burrow_stun_userhash (MATRIX_USERNAME, MATRIX_REALM, NULL);
  static const guint8 sha256_algorithm[] = { 0x00, 0x02, 0x00, 0x00 };
  g_autoptr(GBytes) wire = NULL;
  g_autoptr(GError) error = NULL;

  burrow_stun_message_add_attribute (msg, BURROW_STUN_ATTRIBUTE_USERHASH,
      g_bytes_get_data (userhash, NULL), g_bytes_get_size (userhash));
  burrow_stun_message_add_string (msg, BURROW_STUN_ATTRIBUTE_NONCE, MATRIX_NONCE_SHA256);
  burrow_stun_message_add_string (msg, BURROW_STUN_ATTRIBUTE_REALM, MATRIX_REALM);
  burrow_stun_message_add_attribute (msg, BURROW_STUN_ATTRIBUTE_PASSWORD_ALGORITHM,
      sha256_algorithm, sizeof sha256_algorithm);
  wire = burrow_stun_message_serialize (msg, BURROW_STUN_SIGN_MESSAGE_INTEGRITY_SHA256,
      g_bytes_get_data (key, NULL), g_bytes_get_size (key), &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (wire, NULL), g_bytes_get_size (wire),
      g_bytes_get_data (expected, NULL), g_bytes_get_size (expected));
}

/* ---------------------------------------------------------------------- */
/* building */

static const guint8 ROUND_TRIP_TID[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
#define ROUND_TRIP_PASSWORD "correct horse battery staple"
/* expands to the key and key_len arguments */
#define ROUND_TRIP_KEY (const guint8 *) ROUND_TRIP_PASSWORD, strlen (ROUND_TRIP_PASSWORD)
static const guint16 ROUND_TRIP_UNKNOWN[] = { 0x7777, 0x0030, 0x1234 };
static const guint8 ROUND_TRIP_ALGORITHMS[] = { 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00 };

static BurrowStunMessage *
build_every_attribute (void)
{
  BurrowStunMessage *msg = burrow_stun_message_new (BURROW_STUN_METHOD_ALLOCATE,
      BURROW_STUN_CLASS_REQUEST, ROUND_TRIP_TID);
  struct { guint16 type; const gchar *ip; guint16 port; } addresses[] = {
    { BURROW_STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, "192.0.2.1", 32853 },
    { BURROW_STUN_ATTRIBUTE_XOR_PEER_ADDRESS, "2001:db8::1", 3478 },
    { BURROW_STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS, "203.0.113.5", 49152 },
    { BURROW_STUN_ATTRIBUTE_MAPPED_ADDRESS, "198.51.100.7", 1 },
    { BURROW_STUN_ATTRIBUTE_ALTERNATE_SERVER, "2001:db8::2", 5349 },
    { BURROW_STUN_ATTRIBUTE_RESPONSE_ORIGIN, "192.0.2.10", 3478 },
    { BURROW_STUN_ATTRIBUTE_OTHER_ADDRESS, "192.0.2.11", 3479 },
  };
  guint i;

  burrow_stun_message_add_string (msg, BURROW_STUN_ATTRIBUTE_SOFTWARE, "Burrow test \xe2\x9c\x93");
  burrow_stun_message_add_string (msg, BURROW_STUN_ATTRIBUTE_USERNAME, "alice:bob");
  burrow_stun_message_add_string (msg, BURROW_STUN_ATTRIBUTE_REALM, "example.org");
  burrow_stun_message_add_string (msg, BURROW_STUN_ATTRIBUTE_NONCE, MATRIX_NONCE_SHA256);
  burrow_stun_message_add_uint32 (msg, BURROW_STUN_ATTRIBUTE_PRIORITY, 0x6e0001ff);
  burrow_stun_message_add_uint32 (msg, BURROW_STUN_ATTRIBUTE_LIFETIME, 600);
  burrow_stun_message_add_uint64 (msg, BURROW_STUN_ATTRIBUTE_ICE_CONTROLLING,
      G_GUINT64_CONSTANT (0x0123456789abcdef));
  burrow_stun_message_add_flag (msg, BURROW_STUN_ATTRIBUTE_USE_CANDIDATE);
  for (i = 0; i < G_N_ELEMENTS (addresses); i++) {
    g_autoptr(GInetSocketAddress) addr = make_address (addresses[i].ip, addresses[i].port);

    g_assert_true (burrow_stun_message_add_address (msg, addresses[i].type, addr));
  }
  burrow_stun_message_add_change_request (msg, TRUE, FALSE);
  burrow_stun_message_add_unknown_attributes (msg, ROUND_TRIP_UNKNOWN,
      G_N_ELEMENTS (ROUND_TRIP_UNKNOWN));
  burrow_stun_message_add_error_code (msg, 438, "Stale Nonce");
  burrow_stun_message_add_attribute (msg, BURROW_STUN_ATTRIBUTE_DATA, (const guint8 *) "hello", 5);
  burrow_stun_message_add_attribute (msg, BURROW_STUN_ATTRIBUTE_PASSWORD_ALGORITHMS,
      ROUND_TRIP_ALGORITHMS, sizeof ROUND_TRIP_ALGORITHMS);
  return msg;
}

static const guint16 ROUND_TRIP_TYPES[] = {
  BURROW_STUN_ATTRIBUTE_SOFTWARE, BURROW_STUN_ATTRIBUTE_USERNAME, BURROW_STUN_ATTRIBUTE_REALM,
  BURROW_STUN_ATTRIBUTE_NONCE, BURROW_STUN_ATTRIBUTE_PRIORITY, BURROW_STUN_ATTRIBUTE_LIFETIME,
  BURROW_STUN_ATTRIBUTE_ICE_CONTROLLING, BURROW_STUN_ATTRIBUTE_USE_CANDIDATE,
  BURROW_STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, BURROW_STUN_ATTRIBUTE_XOR_PEER_ADDRESS,
  BURROW_STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS, BURROW_STUN_ATTRIBUTE_MAPPED_ADDRESS,
  BURROW_STUN_ATTRIBUTE_ALTERNATE_SERVER, BURROW_STUN_ATTRIBUTE_RESPONSE_ORIGIN,
  BURROW_STUN_ATTRIBUTE_OTHER_ADDRESS, BURROW_STUN_ATTRIBUTE_CHANGE_REQUEST,
  BURROW_STUN_ATTRIBUTE_UNKNOWN_ATTRIBUTES, BURROW_STUN_ATTRIBUTE_ERROR_CODE,
  BURROW_STUN_ATTRIBUTE_DATA, BURROW_STUN_ATTRIBUTE_PASSWORD_ALGORITHMS,
  BURROW_STUN_ATTRIBUTE_MESSAGE_INTEGRITY, BURROW_STUN_ATTRIBUTE_MESSAGE_INTEGRITY_SHA256,
  BURROW_STUN_ATTRIBUTE_FINGERPRINT,
};

static void
assert_every_attribute (BurrowStunMessage *msg)
{
  g_autoptr(GInetSocketAddress) a1 = NULL, a2 = NULL, a3 = NULL, a4 = NULL, a5 = NULL;
  g_autoptr(GInetSocketAddress) a6 = NULL, a7 = NULL;
  g_autofree guint16 *unknown = NULL;
  g_autofree BurrowStunPasswordAlgorithm *algorithms = NULL;
  g_autofree gchar *reason = NULL;
  const guint8 *data;
  gsize len;
  guint32 u32 = 0;
  guint64 u64 = 0;
  guint n = 0, code = 0;

  g_assert_cmpuint (burrow_stun_message_get_method (msg), ==, BURROW_STUN_METHOD_ALLOCATE);
  g_assert_cmpint (burrow_stun_message_get_message_class (msg), ==, BURROW_STUN_CLASS_REQUEST);
  g_assert_true (burrow_stun_message_has_transaction_id (msg, ROUND_TRIP_TID));
  assert_string (msg, BURROW_STUN_ATTRIBUTE_SOFTWARE, "Burrow test \xe2\x9c\x93");
  assert_string (msg, BURROW_STUN_ATTRIBUTE_USERNAME, "alice:bob");
  assert_string (msg, BURROW_STUN_ATTRIBUTE_REALM, "example.org");
  assert_string (msg, BURROW_STUN_ATTRIBUTE_NONCE, MATRIX_NONCE_SHA256);
  g_assert_true (burrow_stun_message_get_uint32 (msg, BURROW_STUN_ATTRIBUTE_PRIORITY, &u32));
  g_assert_cmphex (u32, ==, 0x6e0001ff);
  g_assert_true (burrow_stun_message_get_uint32 (msg, BURROW_STUN_ATTRIBUTE_LIFETIME, &u32));
  g_assert_cmpuint (u32, ==, 600);
  g_assert_true (burrow_stun_message_get_uint64 (msg, BURROW_STUN_ATTRIBUTE_ICE_CONTROLLING, &u64));
  g_assert_cmphex (u64, ==, G_GUINT64_CONSTANT (0x0123456789abcdef));
  data = burrow_stun_message_peek_attribute (msg, BURROW_STUN_ATTRIBUTE_USE_CANDIDATE, &len);
  g_assert_nonnull (data);
  g_assert_cmpuint (len, ==, 0);

  a1 = burrow_stun_message_get_xor_mapped_address (msg);
  assert_address (a1, "192.0.2.1", 32853);
  a2 = burrow_stun_message_get_address (msg, BURROW_STUN_ATTRIBUTE_XOR_PEER_ADDRESS);
  assert_address (a2, "2001:db8::1", 3478);
  a3 = burrow_stun_message_get_address (msg, BURROW_STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS);
  assert_address (a3, "203.0.113.5", 49152);
  a4 = burrow_stun_message_get_mapped_address (msg);
  assert_address (a4, "198.51.100.7", 1);
  a5 = burrow_stun_message_get_address (msg, BURROW_STUN_ATTRIBUTE_ALTERNATE_SERVER);
  assert_address (a5, "2001:db8::2", 5349);
  a6 = burrow_stun_message_get_address (msg, BURROW_STUN_ATTRIBUTE_RESPONSE_ORIGIN);
  assert_address (a6, "192.0.2.10", 3478);
  a7 = burrow_stun_message_get_address (msg, BURROW_STUN_ATTRIBUTE_OTHER_ADDRESS);
  assert_address (a7, "192.0.2.11", 3479);

  g_assert_true (burrow_stun_message_get_uint32 (msg, BURROW_STUN_ATTRIBUTE_CHANGE_REQUEST, &u32));
  g_assert_cmphex (u32, ==, 0x4);
  unknown = burrow_stun_message_get_unknown_attributes (msg, &n);
  g_assert_cmpmem (unknown, n * sizeof (guint16), ROUND_TRIP_UNKNOWN, sizeof ROUND_TRIP_UNKNOWN);
  g_assert_true (burrow_stun_message_get_error_code (msg, &code, &reason));
  g_assert_cmpuint (code, ==, 438);
  g_assert_cmpstr (reason, ==, "Stale Nonce");
  data = burrow_stun_message_peek_attribute (msg, BURROW_STUN_ATTRIBUTE_DATA, &len);
  g_assert_cmpmem (data, len, "hello", 5);
  algorithms = burrow_stun_message_get_password_algorithms (msg, &n);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpint (algorithms[0], ==, BURROW_STUN_PASSWORD_ALGORITHM_SHA256);
  g_assert_cmpint (algorithms[1], ==, BURROW_STUN_PASSWORD_ALGORITHM_MD5);
}

static void
test_build_round_trip (void)
{
  g_autoptr(BurrowStunMessage) msg = build_every_attribute ();
  g_autoptr(BurrowStunMessage) parsed = NULL;
  g_autoptr(GBytes) wire = NULL;
  g_autoptr(GBytes) again = NULL;
  g_autoptr(GError) error = NULL;
  BurrowStunSignFlags all = BURROW_STUN_SIGN_MESSAGE_INTEGRITY |
      BURROW_STUN_SIGN_MESSAGE_INTEGRITY_SHA256 | BURROW_STUN_SIGN_FINGERPRINT;
  const guint8 *p, *value;
  gsize len, vlen;

  /* the getters work on a message being built, too */
  assert_every_attribute (msg);

  wire = burrow_stun_message_serialize (msg, all, ROUND_TRIP_KEY,
      &error);
  g_assert_no_error (error);
  again = burrow_stun_message_serialize (msg, all, ROUND_TRIP_KEY,
      &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (wire, again));

  p = g_bytes_get_data (wire, &len);
  g_assert_true (burrow_stun_message_is_stun (p, len));
  g_assert_cmpuint ((guint) p[2] << 8 | p[3], ==, len - 20);
  assert_fingerprint_by_zlib (wire);

  parsed = parse_ok (wire);
  assert_types (parsed, ROUND_TRIP_TYPES, G_N_ELEMENTS (ROUND_TRIP_TYPES));
  assert_every_attribute (parsed);
  g_assert_true (check_text_key (parsed, ROUND_TRIP_PASSWORD));
  g_assert_false (check_text_key (parsed, "correct horse battery stapl"));
  g_assert_true (burrow_stun_message_check_fingerprint (parsed));

  /* padding is zero: DATA (5 bytes) and UNKNOWN-ATTRIBUTES (6 bytes) */
  value = burrow_stun_message_peek_attribute (parsed, BURROW_STUN_ATTRIBUTE_DATA, &vlen);
  g_assert_cmpmem (value + vlen, 3, "\0\0\0", 3);
  value = burrow_stun_message_peek_attribute (parsed, BURROW_STUN_ATTRIBUTE_UNKNOWN_ATTRIBUTES,
      &vlen);
  g_assert_cmpuint (vlen, ==, 6);
  g_assert_cmpmem (value + vlen, 2, "\0\0", 2);
}

/* With both integrity attributes, MESSAGE-INTEGRITY-SHA256 is the one
 * checked; each alone verifies too. */
static void
test_build_integrity_choice (void)
{
  g_autoptr(BurrowStunMessage) msg = build_every_attribute ();
  BurrowStunSignFlags variants[] = {
    BURROW_STUN_SIGN_MESSAGE_INTEGRITY,
    BURROW_STUN_SIGN_MESSAGE_INTEGRITY_SHA256,
    BURROW_STUN_SIGN_MESSAGE_INTEGRITY | BURROW_STUN_SIGN_FINGERPRINT,
    BURROW_STUN_SIGN_MESSAGE_INTEGRITY_SHA256 | BURROW_STUN_SIGN_FINGERPRINT,
  };
  g_autoptr(GBytes) both = NULL;
  g_autoptr(BurrowStunMessage) parsed = NULL;
  g_autofree guint8 *copy = NULL;
  gsize len;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (variants); i++) {
    g_autoptr(GBytes) wire = burrow_stun_message_serialize (msg, variants[i], ROUND_TRIP_KEY, NULL);
    g_autoptr(BurrowStunMessage) signed_msg = parse_ok (wire);

    g_assert_true (check_text_key (signed_msg, ROUND_TRIP_PASSWORD));
    g_assert_false (check_text_key (signed_msg, "x"));
    g_assert_cmpint (burrow_stun_message_check_fingerprint (signed_msg), ==,
        (variants[i] & BURROW_STUN_SIGN_FINGERPRINT) != 0);
  }

  /* MI then MI-SHA256, no fingerprint: spoil the last byte of the SHA-256
   * HMAC and the (still right) SHA-1 one is not consulted */
  both = burrow_stun_message_serialize (msg, BURROW_STUN_SIGN_MESSAGE_INTEGRITY |
      BURROW_STUN_SIGN_MESSAGE_INTEGRITY_SHA256, ROUND_TRIP_KEY, NULL);
  copy = g_memdup2 (g_bytes_get_data (both, &len), g_bytes_get_size (both));
  copy[len - 1] ^= 0x80;
  parsed = burrow_stun_message_new_from_data (copy, len, NULL);
  g_assert_nonnull (parsed);
  g_assert_false (check_text_key (parsed, ROUND_TRIP_PASSWORD));
}

static void
test_build_no_key (void)
{
  g_autoptr(BurrowStunMessage) msg = burrow_stun_message_new_request (BURROW_STUN_METHOD_BINDING);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) wire = NULL;

  wire = burrow_stun_message_serialize (msg, BURROW_STUN_SIGN_MESSAGE_INTEGRITY, NULL, 0, &error);
  g_assert_error (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_INVALID_ARGUMENT);
  g_assert_null (wire);
  g_clear_error (&error);
  wire = burrow_stun_message_serialize (msg, BURROW_STUN_SIGN_MESSAGE_INTEGRITY_SHA256, NULL, 0,
      &error);
  g_assert_error (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_INVALID_ARGUMENT);
  g_assert_null (wire);
  g_clear_error (&error);

  /* a fingerprint needs no key; an empty message is 28 bytes */
  wire = burrow_stun_message_serialize (msg, BURROW_STUN_SIGN_FINGERPRINT, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (wire), ==, 28);
  assert_fingerprint_by_zlib (wire);
}

static void
test_build_too_big (void)
{
  g_autoptr(BurrowStunMessage) fits = burrow_stun_message_new_request (BURROW_STUN_METHOD_SEND);
  g_autoptr(BurrowStunMessage) over = burrow_stun_message_new_request (BURROW_STUN_METHOD_SEND);
  g_autofree guint8 *payload = g_malloc0 (G_MAXUINT16);
  g_autoptr(GBytes) wire = NULL;
  g_autoptr(GError) error = NULL;

  /* 20 + 4 + 65508 = 65532 bytes: fits, but not with a fingerprint */
  burrow_stun_message_add_attribute (fits, BURROW_STUN_ATTRIBUTE_DATA, payload, 65508);
  wire = burrow_stun_message_serialize (fits, BURROW_STUN_SIGN_NONE, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (wire), ==, 65532);
  g_clear_pointer (&wire, g_bytes_unref);
  wire = burrow_stun_message_serialize (fits, BURROW_STUN_SIGN_FINGERPRINT, NULL, 0, &error);
  g_assert_error (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_INVALID_ARGUMENT);
  g_assert_null (wire);
  g_clear_error (&error);

  /* an attribute that does not fit is refused, and so is the message */
  burrow_stun_message_add_attribute (over, BURROW_STUN_ATTRIBUTE_DATA, payload, G_MAXUINT16);
  g_assert_false (burrow_stun_message_has_attribute (over, BURROW_STUN_ATTRIBUTE_DATA));
  burrow_stun_message_add_string (over, BURROW_STUN_ATTRIBUTE_SOFTWARE, "small");
  wire = burrow_stun_message_serialize (over, BURROW_STUN_SIGN_NONE, NULL, 0, &error);
  g_assert_error (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_INVALID_ARGUMENT);
  g_assert_null (wire);
}

static void
test_build_responses (void)
{
  g_autoptr(BurrowStunMessage) request = burrow_stun_message_new_request (BURROW_STUN_METHOD_REFRESH);
  g_autoptr(BurrowStunMessage) other = burrow_stun_message_new_request (BURROW_STUN_METHOD_REFRESH);
  g_autoptr(BurrowStunMessage) ok = NULL;
  g_autoptr(BurrowStunMessage) err = NULL;
  g_autoptr(BurrowStunMessage) parsed = NULL;
  g_autoptr(GBytes) wire = NULL;
  g_autofree gchar *reason = NULL;
  g_autofree guint16 *unknown = NULL;
  static const guint16 list[] = { 0x7777 };
  const guint8 *tid;
  gsize len;
  guint code = 0, n = 0;

  /* 96 random bits each time */
  tid = burrow_stun_message_get_transaction_id (request, &len);
  g_assert_cmpuint (len, ==, 12);
  g_assert_false (burrow_stun_message_has_transaction_id (other, tid));

  ok = burrow_stun_message_new_response (request, BURROW_STUN_CLASS_SUCCESS_RESPONSE);
  g_assert_true (burrow_stun_message_has_transaction_id (ok, tid));
  g_assert_cmpuint (burrow_stun_message_get_method (ok), ==, BURROW_STUN_METHOD_REFRESH);
  g_assert_cmpint (burrow_stun_message_get_message_class (ok), ==,
      BURROW_STUN_CLASS_SUCCESS_RESPONSE);

  err = burrow_stun_message_new_error_response (request, 420, NULL);
  burrow_stun_message_add_unknown_attributes (err, list, G_N_ELEMENTS (list));
  wire = burrow_stun_message_serialize (err, BURROW_STUN_SIGN_FINGERPRINT, NULL, 0, NULL);
  g_assert_nonnull (wire);
  /* type 0x0114: Refresh error response */
  g_assert_cmphex (((const guint8 *) g_bytes_get_data (wire, NULL))[0], ==, 0x01);
  g_assert_cmphex (((const guint8 *) g_bytes_get_data (wire, NULL))[1], ==, 0x14);
  parsed = parse_ok (wire);
  g_assert_true (burrow_stun_message_has_transaction_id (parsed, tid));
  g_assert_cmpint (burrow_stun_message_get_message_class (parsed), ==,
      BURROW_STUN_CLASS_ERROR_RESPONSE);
  g_assert_cmpuint (burrow_stun_message_get_method (parsed), ==, BURROW_STUN_METHOD_REFRESH);
  g_assert_true (burrow_stun_message_get_error_code (parsed, &code, &reason));
  g_assert_cmpuint (code, ==, 420);
  g_assert_cmpstr (reason, ==, "Unknown Attribute");
  unknown = burrow_stun_message_get_unknown_attributes (parsed, &n);
  g_assert_cmpmem (unknown, n * sizeof (guint16), list, sizeof list);
}

static void
test_build_error_reason_limit (void)
{
  g_autoptr(BurrowStunMessage) msg = burrow_stun_message_new_request (BURROW_STUN_METHOD_BINDING);
  g_autoptr(GString) reason = g_string_new (NULL);
  g_autofree gchar *got = NULL;
  guint i, code = 0;

  /* 200 three-byte characters: cut to 127 characters */
  for (i = 0; i < 200; i++)
    g_string_append (reason, "\xe2\x9c\x93");
  burrow_stun_message_add_error_code (msg, 599, reason->str);
  g_assert_true (burrow_stun_message_get_error_code (msg, &code, &got));
  g_assert_cmpuint (code, ==, 599);
  g_assert_cmpuint (g_utf8_strlen (got, -1), ==, 127);
  g_assert_cmpuint (strlen (got), ==, 127 * 3);
}

static void
test_build_change_request (void)
{
  const struct { gboolean ip, port; guint32 value; } cases[] = {
    { FALSE, FALSE, 0x0 }, { TRUE, FALSE, 0x4 }, { FALSE, TRUE, 0x2 }, { TRUE, TRUE, 0x6 },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr(BurrowStunMessage) msg = burrow_stun_message_new_request (BURROW_STUN_METHOD_BINDING);
    g_autoptr(GBytes) wire = NULL;
    const guint8 *p;
    gsize len;

    burrow_stun_message_add_change_request (msg, cases[i].ip, cases[i].port);
    wire = burrow_stun_message_serialize (msg, BURROW_STUN_SIGN_NONE, NULL, 0, NULL);
    p = g_bytes_get_data (wire, &len);
    g_assert_cmpuint (len, ==, 28);
    g_assert_cmpmem (p + 20, 4, "\x00\x03\x00\x04", 4);
    g_assert_cmphex ((guint32) p[24] << 24 | (guint32) p[25] << 16 | (guint32) p[26] << 8 | p[27],
        ==, cases[i].value);
  }
}

/* Adding to a parsed message drops its integrity attributes; writing it
 * out again lays the attributes out with zero padding. */
static void
test_build_from_parsed (void)
{
  g_autoptr(GBytes) vector = hex (RFC5769_REQUEST);
  g_autoptr(BurrowStunMessage) msg = parse_ok (vector);
  g_autoptr(BurrowStunMessage) parsed = NULL;
  g_autoptr(GBytes) wire = NULL;
  static const guint16 types[] = {
    BURROW_STUN_ATTRIBUTE_SOFTWARE, BURROW_STUN_ATTRIBUTE_PRIORITY,
    BURROW_STUN_ATTRIBUTE_ICE_CONTROLLED, BURROW_STUN_ATTRIBUTE_USERNAME,
    BURROW_STUN_ATTRIBUTE_USE_CANDIDATE, BURROW_STUN_ATTRIBUTE_FINGERPRINT,
  };
  const guint8 *value;
  gsize len;

  burrow_stun_message_add_flag (msg, BURROW_STUN_ATTRIBUTE_USE_CANDIDATE);
  g_assert_false (burrow_stun_message_has_integrity (msg));
  g_assert_false (burrow_stun_message_has_attribute (msg, BURROW_STUN_ATTRIBUTE_FINGERPRINT));
  wire = burrow_stun_message_serialize (msg, BURROW_STUN_SIGN_FINGERPRINT, NULL, 0, NULL);
  parsed = parse_ok (wire);
  assert_types (parsed, types, G_N_ELEMENTS (types));
  assert_string (parsed, BURROW_STUN_ATTRIBUTE_USERNAME, "evtj:h6vY");
  value = burrow_stun_message_peek_attribute (parsed, BURROW_STUN_ATTRIBUTE_USERNAME, &len);
  g_assert_cmpmem (value + len, 3, "\0\0\0", 3);
  g_assert_true (burrow_stun_message_check_fingerprint (parsed));
  g_assert_true (burrow_stun_message_has_transaction_id (parsed, RFC5769_TID));
}

/* ---------------------------------------------------------------------- */
/* parsing */

#define TID " b7e7a701 bc34d686 fa87dfae "
#define HDR(len) "0001 " len " 2112a442" TID

typedef struct {
  const gchar *name;
  const gchar *hex;
  gint code;
} MalformedCase;

static const MalformedCase malformed_cases[] = {
  { "empty", "", BURROW_STUN_ERROR_NOT_STUN },
  { "truncated-header", "0001 0004 2112a442 00000000", BURROW_STUN_ERROR_NOT_STUN },
  { "bad-cookie", "0001 0000 2112a443" TID, BURROW_STUN_ERROR_NOT_STUN },
  { "rfc3489-no-cookie", "0001 0000 00000000" TID, BURROW_STUN_ERROR_NOT_STUN },
  { "top-bit-set", "8001 0000 2112a442" TID, BURROW_STUN_ERROR_NOT_STUN },
  { "second-bit-set", "4001 0000 2112a442" TID, BURROW_STUN_ERROR_NOT_STUN },
  { "length-not-multiple-of-4", HDR ("0002") "0000", BURROW_STUN_ERROR_MALFORMED },
  { "length-longer-than-packet", HDR ("0008") "8022 0000", BURROW_STUN_ERROR_MALFORMED },
  { "length-shorter-than-packet", HDR ("0000") "8022 0000", BURROW_STUN_ERROR_MALFORMED },
  { "attribute-overruns", HDR ("0008") "8022 0008 41414141", BURROW_STUN_ERROR_MALFORMED },
  { "attribute-padding-overruns", HDR ("0008") "8022 0005 41414141",
    BURROW_STUN_ERROR_MALFORMED },
  { "attribute-length-ffff", HDR ("0008") "8022 ffff 41414141", BURROW_STUN_ERROR_MALFORMED },
  { "second-attribute-length-ffff", HDR ("000c") "0025 0000 8022 ffff 41414141",
    BURROW_STUN_ERROR_MALFORMED },
  { "message-integrity-16-bytes", HDR ("0014") "0008 0010" "00000000 00000000 00000000 00000000",
    BURROW_STUN_ERROR_MALFORMED },
  { "message-integrity-24-bytes",
    HDR ("001c") "0008 0018" "00000000 00000000 00000000 00000000 00000000 00000000",
    BURROW_STUN_ERROR_MALFORMED },
  { "message-integrity-sha256-12-bytes", HDR ("0010") "001c 000c" "00000000 00000000 00000000",
    BURROW_STUN_ERROR_MALFORMED },
  { "message-integrity-sha256-18-bytes",
    HDR ("0018") "001c 0012" "00000000 00000000 00000000 00000000 00000000",
    BURROW_STUN_ERROR_MALFORMED },
  { "message-integrity-sha256-36-bytes",
    HDR ("0028") "001c 0024" "00000000 00000000 00000000 00000000 00000000 00000000 00000000"
    " 00000000 00000000", BURROW_STUN_ERROR_MALFORMED },
  { "fingerprint-8-bytes", HDR ("000c") "8028 0008 00000000 00000000",
    BURROW_STUN_ERROR_MALFORMED },
  { "fingerprint-not-last", HDR ("0010") "8028 0004 00000000 8022 0004 41414141",
    BURROW_STUN_ERROR_MALFORMED },
  { "duplicate-fingerprint", HDR ("0010") "8028 0004 00000000 8028 0004 00000000",
    BURROW_STUN_ERROR_MALFORMED },
  { "duplicate-message-integrity",
    HDR ("0030") "0008 0014 00000000 00000000 00000000 00000000 00000000"
    "0008 0014 00000000 00000000 00000000 00000000 00000000", BURROW_STUN_ERROR_MALFORMED },
  { "unknown-comprehension-required", HDR ("000c") "7777 0000 0030 0004 01020304",
    BURROW_STUN_ERROR_UNKNOWN_ATTRIBUTE },
};

static void
test_parse_malformed (gconstpointer data)
{
  const MalformedCase *c = data;
  g_autoptr(GBytes) bytes = hex (c->hex);
  g_autoptr(GError) error = NULL;
  g_autoptr(BurrowStunMessage) msg = NULL;
  gsize len;
  const guint8 *p = g_bytes_get_data (bytes, &len);

  msg = burrow_stun_message_new_from_data (p, len, &error);
  g_assert_null (msg);
  g_assert_error (error, BURROW_STUN_ERROR, c->code);
  if (c->code == BURROW_STUN_ERROR_NOT_STUN)
    g_assert_false (burrow_stun_message_is_stun (p, len));
  if (c->code == BURROW_STUN_ERROR_UNKNOWN_ATTRIBUTE) {
    g_assert_nonnull (strstr (error->message, "0x7777"));
    g_assert_nonnull (strstr (error->message, "0x0030"));
  }
}

static void
test_parse_oversize (void)
{
  gsize sizes[] = { 65536, 65555, 70000 };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (sizes); i++) {
    g_autofree guint8 *big = g_malloc0 (sizes[i]);
    g_autoptr(GError) error = NULL;
    g_autoptr(BurrowStunMessage) msg = NULL;
    gsize length = MIN (sizes[i] - 20, 0xfffc);

    big[1] = 0x01;
    big[2] = (guint8) (length >> 8);
    big[3] = (guint8) length;
    big[4] = 0x21;
    big[5] = 0x12;
    big[6] = 0xa4;
    big[7] = 0x42;
    msg = burrow_stun_message_new_from_data (big, sizes[i], &error);
    g_assert_error (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_MALFORMED);
    g_assert_null (msg);
    g_assert_false (burrow_stun_message_is_stun (big, sizes[i]));
  }
}

static void
test_parse_unknown_allowed (void)
{
  g_autoptr(GBytes) bytes = hex (HDR ("0010") "7777 0000 0030 0004 01020304 7777 0000");
  g_autoptr(GError) error = NULL;
  g_autoptr(BurrowStunMessage) msg = NULL;
  g_autoptr(BurrowStunMessage) answer = NULL;
  g_autofree guint16 *unknown = NULL;
  g_autofree guint16 *listed = NULL;
  static const guint16 expected[] = { 0x7777, 0x0030 };
  g_autoptr(GBytes) wire = NULL;
  g_autoptr(BurrowStunMessage) parsed = NULL;
  guint n = 0;

  msg = burrow_stun_message_new_from_data_full (g_bytes_get_data (bytes, NULL),
      g_bytes_get_size (bytes), BURROW_STUN_PARSE_ALLOW_UNKNOWN_REQUIRED, &error);
  g_assert_no_error (error);
  unknown = burrow_stun_message_get_unknown_required_attributes (msg, &n);
  g_assert_cmpmem (unknown, n * sizeof (guint16), expected, sizeof expected);

  /* the 420 a server sends back */
  answer = burrow_stun_message_new_error_response (msg, 420, NULL);
  burrow_stun_message_add_unknown_attributes (answer, unknown, n);
  wire = burrow_stun_message_serialize (answer, BURROW_STUN_SIGN_NONE, NULL, 0, NULL);
  parsed = parse_ok (wire);
  listed = burrow_stun_message_get_unknown_attributes (parsed, &n);
  g_assert_cmpmem (listed, n * sizeof (guint16), expected, sizeof expected);
  g_assert_null (burrow_stun_message_get_unknown_required_attributes (parsed, &n));
  g_assert_cmpuint (n, ==, 0);
}

static void
test_parse_unknown_optional (void)
{
  /* 0x8777 is unknown but comprehension-optional; 0x0004 (RFC 3489
   * SOURCE-ADDRESS) is tolerated */
  g_autoptr(GBytes) bytes = hex (HDR ("0010") "8777 0000 0004 0008 0001 0d96 c0000201");
  g_autoptr(BurrowStunMessage) msg = parse_ok (bytes);
  g_autoptr(GInetSocketAddress) source = NULL;
  guint n = 1;

  g_assert_null (burrow_stun_message_get_unknown_required_attributes (msg, &n));
  g_assert_cmpuint (n, ==, 0);
  g_assert_true (burrow_stun_message_has_attribute (msg, 0x8777));
  source = burrow_stun_message_get_address (msg, 0x0004);
  assert_address (source, "192.0.2.1", 3478);
}

static void
test_parse_duplicates (void)
{
  g_autoptr(GBytes) bytes = hex (HDR ("001c") "8022 0004 66697273 8022 0006 7365636f6e64 0000"
      "0024 0004 00000001");
  g_autoptr(BurrowStunMessage) msg = parse_ok (bytes);
  static const guint16 types[] = {
    BURROW_STUN_ATTRIBUTE_SOFTWARE, BURROW_STUN_ATTRIBUTE_PRIORITY,
  };

  assert_string (msg, BURROW_STUN_ATTRIBUTE_SOFTWARE, "firs");
  assert_types (msg, types, G_N_ELEMENTS (types));
}

/* Appends an attribute and a FINGERPRINT computed here with zlib. */
static GBytes *
append_and_fingerprint (GBytes *signed_wire, const gchar *extra_hex)
{
  g_autoptr(GBytes) extra = hex (extra_hex);
  GByteArray *a = g_byte_array_new ();
  guint8 fp[8] = { 0x80, 0x28, 0x00, 0x04 };
  guint32 crc;
  gsize len;

  g_byte_array_append (a, g_bytes_get_data (signed_wire, NULL), g_bytes_get_size (signed_wire));
  g_byte_array_append (a, g_bytes_get_data (extra, NULL), g_bytes_get_size (extra));
  len = a->len + 8 - 20;
  a->data[2] = (guint8) (len >> 8);
  a->data[3] = (guint8) len;
  crc = (guint32) crc32 (0, a->data, a->len) ^ 0x5354554eu;
  fp[4] = (guint8) (crc >> 24);
  fp[5] = (guint8) (crc >> 16);
  fp[6] = (guint8) (crc >> 8);
  fp[7] = (guint8) crc;
  g_byte_array_append (a, fp, sizeof fp);
  return g_byte_array_free_to_bytes (a);
}

/* RFC 8489 section 9: what follows MESSAGE-INTEGRITY other than
 * MESSAGE-INTEGRITY-SHA256 and FINGERPRINT is ignored, and the integrity
 * check does not cover it. */
static void
test_parse_after_integrity (void)
{
  g_autoptr(BurrowStunMessage) msg = burrow_stun_message_new_request (BURROW_STUN_METHOD_BINDING);
  g_autoptr(GBytes) mi = NULL;
  g_autoptr(GBytes) mi256 = NULL;
  g_autoptr(GBytes) wire = NULL;
  g_autoptr(GBytes) wire256 = NULL;
  g_autoptr(BurrowStunMessage) parsed = NULL;
  g_autoptr(BurrowStunMessage) parsed256 = NULL;
  static const guint16 types[] = {
    BURROW_STUN_ATTRIBUTE_USERNAME, BURROW_STUN_ATTRIBUTE_MESSAGE_INTEGRITY,
    BURROW_STUN_ATTRIBUTE_FINGERPRINT,
  };
  static const guint16 types256[] = {
    BURROW_STUN_ATTRIBUTE_USERNAME, BURROW_STUN_ATTRIBUTE_MESSAGE_INTEGRITY_SHA256,
    BURROW_STUN_ATTRIBUTE_FINGERPRINT,
  };

  burrow_stun_message_add_string (msg, BURROW_STUN_ATTRIBUTE_USERNAME, "user");
  mi = burrow_stun_message_serialize (msg, BURROW_STUN_SIGN_MESSAGE_INTEGRITY, ROUND_TRIP_KEY, NULL);
  mi256 = burrow_stun_message_serialize (msg, BURROW_STUN_SIGN_MESSAGE_INTEGRITY_SHA256,
      ROUND_TRIP_KEY, NULL);

  /* SOFTWARE and an unknown comprehension-required type after the
   * integrity attribute: ignored, not an error */
  wire = append_and_fingerprint (mi, "8022 0004 65766c21 7777 0000");
  parsed = parse_ok (wire);
  assert_types (parsed, types, G_N_ELEMENTS (types));
  g_assert_false (burrow_stun_message_has_attribute (parsed, BURROW_STUN_ATTRIBUTE_SOFTWARE));
  g_assert_true (check_text_key (parsed, ROUND_TRIP_PASSWORD));
  g_assert_true (burrow_stun_message_check_fingerprint (parsed));

  /* after MESSAGE-INTEGRITY-SHA256 even MESSAGE-INTEGRITY is ignored */
  wire256 = append_and_fingerprint (mi256,
      "0008 0014 00000000 00000000 00000000 00000000 00000000 8022 0000");
  parsed256 = parse_ok (wire256);
  assert_types (parsed256, types256, G_N_ELEMENTS (types256));
  g_assert_true (check_text_key (parsed256, ROUND_TRIP_PASSWORD));
  g_assert_true (burrow_stun_message_check_fingerprint (parsed256));
}

/* 16378 empty attributes (unknown, comprehension-optional 0xc000 and up)
 * fill a 65532-byte message. */
static void
test_parse_many_attributes (void)
{
  gsize n = (65532 - 20) / 4, i, len = 20 + 4 * n;
  g_autofree guint8 *p = g_malloc0 (len);
  g_autoptr(BurrowStunMessage) msg = NULL;
  g_autoptr(BurrowStunMessage) same = NULL;
  g_autofree guint16 *types = NULL;
  guint count = 0;

  p[1] = 0x01;
  p[2] = (guint8) ((len - 20) >> 8);
  p[3] = (guint8) (len - 20);
  p[4] = 0x21; p[5] = 0x12; p[6] = 0xa4; p[7] = 0x42;
  for (i = 0; i < n; i++) {
    p[20 + 4 * i] = (guint8) (0xc0 | (i >> 8));
    p[21 + 4 * i] = (guint8) i;
  }
  msg = burrow_stun_message_new_from_data (p, len, NULL);
  g_assert_nonnull (msg);
  types = burrow_stun_message_list_attributes (msg, &count);
  g_assert_cmpuint (count, ==, n);
  g_assert_cmphex (types[n - 1], ==, 0xc000 | (n - 1));

  /* all of one type: only the first is indexed */
  for (i = 0; i < n; i++) {
    p[20 + 4 * i] = 0x80;
    p[21 + 4 * i] = 0x22;
  }
  same = burrow_stun_message_new_from_data (p, len, NULL);
  g_assert_nonnull (same);
  g_clear_pointer (&types, g_free);
  types = burrow_stun_message_list_attributes (same, &count);
  g_assert_cmpuint (count, ==, 1);
  assert_string (same, BURROW_STUN_ATTRIBUTE_SOFTWARE, "");
}

typedef struct {
  guint16 type;
  const gchar *value_hex;
} BadValue;

static const BadValue bad_values[] = {
  { BURROW_STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, "0003a147 e112a643" },       /* family 3 */
  { BURROW_STUN_ATTRIBUTE_MAPPED_ADDRESS, "0001a147 e112a643 00000000" },  /* IPv4, 12 bytes */
  { BURROW_STUN_ATTRIBUTE_OTHER_ADDRESS, "0002a147 e112a643" },            /* IPv6, 8 bytes */
  { BURROW_STUN_ATTRIBUTE_XOR_PEER_ADDRESS, "0001" },                      /* cut short */
  { BURROW_STUN_ATTRIBUTE_USERNAME, "616263ff" },                          /* not UTF-8 */
  { BURROW_STUN_ATTRIBUTE_REALM, "61006263" },                             /* embedded NUL */
  { BURROW_STUN_ATTRIBUTE_ERROR_CODE, "00000200" },                        /* class 2 */
  { BURROW_STUN_ATTRIBUTE_LIFETIME, "000258" },                            /* 3 bytes */
  { BURROW_STUN_ATTRIBUTE_ICE_CONTROLLED, "00000001" },                    /* 4 bytes */
  { BURROW_STUN_ATTRIBUTE_UNKNOWN_ATTRIBUTES, "777777" },                  /* odd length */
  { BURROW_STUN_ATTRIBUTE_PASSWORD_ALGORITHMS, "00020008 00000000" },      /* params overrun */
};

/* Typed getters check the format of what they read, from the wire. */
static void
test_getters_bad_format (void)
{
  g_autoptr(BurrowStunMessage) msg = burrow_stun_message_new_request (BURROW_STUN_METHOD_BINDING);
  g_autoptr(BurrowStunMessage) parsed = NULL;
  g_autoptr(GBytes) wire = NULL;
  g_autofree gchar *reason = NULL;
  g_autofree guint16 *unknown = NULL;
  g_autofree BurrowStunPasswordAlgorithm *algorithms = NULL;
  guint i, n = 7, n_algorithms = 7, code = 0;
  guint32 u32;
  guint64 u64;

  for (i = 0; i < G_N_ELEMENTS (bad_values); i++) {
    g_autoptr(GBytes) value = hex (bad_values[i].value_hex);

    burrow_stun_message_add_attribute (msg, bad_values[i].type, g_bytes_get_data (value, NULL),
        g_bytes_get_size (value));
  }
  wire = burrow_stun_message_serialize (msg, BURROW_STUN_SIGN_NONE, NULL, 0, NULL);
  parsed = parse_ok (wire);

  g_assert_null (burrow_stun_message_get_xor_mapped_address (parsed));
  g_assert_null (burrow_stun_message_get_mapped_address (parsed));
  g_assert_null (burrow_stun_message_get_address (parsed, BURROW_STUN_ATTRIBUTE_OTHER_ADDRESS));
  g_assert_null (burrow_stun_message_get_address (parsed, BURROW_STUN_ATTRIBUTE_XOR_PEER_ADDRESS));
  g_assert_null (burrow_stun_message_get_string (parsed, BURROW_STUN_ATTRIBUTE_USERNAME));
  g_assert_null (burrow_stun_message_get_string (parsed, BURROW_STUN_ATTRIBUTE_REALM));
  g_assert_false (burrow_stun_message_get_error_code (parsed, &code, &reason));
  g_assert_null (reason);
  g_assert_false (burrow_stun_message_get_uint32 (parsed, BURROW_STUN_ATTRIBUTE_LIFETIME, &u32));
  g_assert_false (burrow_stun_message_get_uint64 (parsed, BURROW_STUN_ATTRIBUTE_ICE_CONTROLLED,
          &u64));
  unknown = burrow_stun_message_get_unknown_attributes (parsed, &n);
  g_assert_null (unknown);
  g_assert_cmpuint (n, ==, 0);
  algorithms = burrow_stun_message_get_password_algorithms (parsed, &n_algorithms);
  g_assert_null (algorithms);
  g_assert_cmpuint (n_algorithms, ==, 0);
}

static gboolean
reads_back (guint16 type, const guint8 *value, gsize len)
{
  g_autoptr(BurrowStunMessage) msg = burrow_stun_message_new_request (BURROW_STUN_METHOD_BINDING);
  g_autofree gchar *text = NULL;

  burrow_stun_message_add_attribute (msg, type, value, len);
  if (type == BURROW_STUN_ATTRIBUTE_ERROR_CODE)
    return burrow_stun_message_get_error_code (msg, NULL, NULL);
  text = burrow_stun_message_get_string (msg, type);
  return text != NULL;
}

/* USERNAME up to 513 bytes, REALM, NONCE and SOFTWARE up to 763; ERROR-CODE
 * numbers below 100 and a 4-byte header. */
static void
test_getters_limits (void)
{
  g_autofree gchar *text = g_strnfill (764, 'x');
  const guint8 *p = (const guint8 *) text;

  g_assert_true (reads_back (BURROW_STUN_ATTRIBUTE_USERNAME, p, 513));
  g_assert_false (reads_back (BURROW_STUN_ATTRIBUTE_USERNAME, p, 514));
  g_assert_true (reads_back (BURROW_STUN_ATTRIBUTE_NONCE, p, 763));
  g_assert_false (reads_back (BURROW_STUN_ATTRIBUTE_NONCE, p, 764));
  g_assert_false (reads_back (BURROW_STUN_ATTRIBUTE_REALM, p, 764));
  g_assert_false (reads_back (BURROW_STUN_ATTRIBUTE_SOFTWARE, p, 764));
  g_assert_true (reads_back (BURROW_STUN_ATTRIBUTE_DATA, p, 764));
  g_assert_true (reads_back (BURROW_STUN_ATTRIBUTE_ERROR_CODE, (const guint8 *) "\0\0\4\x63", 4));
  g_assert_false (reads_back (BURROW_STUN_ATTRIBUTE_ERROR_CODE, (const guint8 *) "\0\0\4\x64", 4));
  g_assert_false (reads_back (BURROW_STUN_ATTRIBUTE_ERROR_CODE, (const guint8 *) "\0\0\7\0", 4));
  g_assert_false (reads_back (BURROW_STUN_ATTRIBUTE_ERROR_CODE, (const guint8 *) "\0\0\4", 3));
}

static void
test_is_stun (void)
{
  g_autoptr(GBytes) v = hex (RFC5769_IPV4_RESPONSE);
  gsize len;
  g_autofree guint8 *p = g_memdup2 (g_bytes_get_data (v, &len), g_bytes_get_size (v));

  g_assert_true (burrow_stun_message_is_stun (p, len));
  g_assert_false (burrow_stun_message_is_stun (p, len - 4));
  g_assert_false (burrow_stun_message_is_stun (p, 19));
  g_assert_false (burrow_stun_message_is_stun (NULL, 0));
  p[0] |= 0x40;
  g_assert_false (burrow_stun_message_is_stun (p, len));
  p[0] &= 0x3f;
  p[7] ^= 1;
  g_assert_false (burrow_stun_message_is_stun (p, len));
}

static void
test_names (void)
{
  g_assert_cmpstr (burrow_stun_method_to_string (BURROW_STUN_METHOD_BINDING), ==, "Binding");
  g_assert_cmpstr (burrow_stun_method_to_string (BURROW_STUN_METHOD_CREATE_PERMISSION), ==,
      "CreatePermission");
  g_assert_cmpstr (burrow_stun_method_to_string (0x0fff), ==, "unknown");
  g_assert_cmpstr (burrow_stun_attribute_to_string (BURROW_STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS), ==,
      "XOR-MAPPED-ADDRESS");
  g_assert_cmpstr (burrow_stun_attribute_to_string (BURROW_STUN_ATTRIBUTE_MESSAGE_INTEGRITY_SHA256),
      ==, "MESSAGE-INTEGRITY-SHA256");
  g_assert_cmpstr (burrow_stun_attribute_to_string (BURROW_STUN_ATTRIBUTE_OTHER_ADDRESS), ==,
      "OTHER-ADDRESS");
  g_assert_cmpstr (burrow_stun_attribute_to_string (0x7777), ==, "unknown");
}

static void
test_boxed (void)
{
  BurrowStunMessage *msg = burrow_stun_message_new_indication (BURROW_STUN_METHOD_BINDING);
  BurrowStunMessage *copy;

  g_assert_true (G_TYPE_IS_BOXED (BURROW_TYPE_STUN_MESSAGE));
  g_assert_cmpstr (g_type_name (BURROW_TYPE_STUN_MESSAGE), ==, "BurrowStunMessage");
  g_assert_cmpint (burrow_stun_message_get_message_class (msg), ==,
      BURROW_STUN_CLASS_INDICATION);
  copy = g_boxed_copy (BURROW_TYPE_STUN_MESSAGE, msg);
  g_assert_true (copy == msg);
  burrow_stun_message_unref (msg);
  /* still alive through the copy's reference */
  g_assert_cmpuint (burrow_stun_message_get_method (copy), ==, BURROW_STUN_METHOD_BINDING);
  g_boxed_free (BURROW_TYPE_STUN_MESSAGE, copy);
}

/* ---------------------------------------------------------------------- */
/* mutations */

#define MUTATION_ROUNDS 20000

static void
exercise (BurrowStunMessage *msg)
{
  guint n = 0, i, m = 0, code = 0;
  g_autofree guint16 *types = burrow_stun_message_list_attributes (msg, &n);
  g_autofree gchar *reason = NULL;
  g_autofree guint16 *unknown = NULL;
  g_autofree guint16 *required = NULL;
  g_autofree BurrowStunPasswordAlgorithm *algorithms = NULL;
  g_autoptr(GInetSocketAddress) xm = NULL;
  g_autoptr(GInetSocketAddress) mapped = NULL;
  guint32 u32;
  guint64 u64;
  gsize len;

  for (i = 0; i < n; i++) {
    g_autoptr(GBytes) value = burrow_stun_message_get_attribute (msg, types[i]);
    g_autoptr(GInetSocketAddress) addr = burrow_stun_message_get_address (msg, types[i]);
    g_autofree gchar *text = burrow_stun_message_get_string (msg, types[i]);
    const guint8 *peeked = burrow_stun_message_peek_attribute (msg, types[i], &len);

    g_assert_nonnull (value);
    g_assert_nonnull (peeked);
    g_assert_cmpmem (peeked, len, g_bytes_get_data (value, NULL), g_bytes_get_size (value));
    /* what the getters accept is well-formed */
    g_assert_true (burrow_stun_message_get_uint32 (msg, types[i], &u32) == (len == 4));
    g_assert_true (burrow_stun_message_get_uint64 (msg, types[i], &u64) == (len == 8));
    g_assert_true (addr == NULL || len == 8 || len == 20);
    g_assert_true (text == NULL || g_utf8_validate (text, -1, NULL));
    g_assert_nonnull (burrow_stun_attribute_to_string (types[i]));
  }
  if (burrow_stun_message_get_error_code (msg, &code, &reason))
    g_assert_true (code >= 300 && code <= 699 && g_utf8_validate (reason, -1, NULL));
  unknown = burrow_stun_message_get_unknown_attributes (msg, &m);
  required = burrow_stun_message_get_unknown_required_attributes (msg, &m);
  algorithms = burrow_stun_message_get_password_algorithms (msg, &m);
  xm = burrow_stun_message_get_xor_mapped_address (msg);
  mapped = burrow_stun_message_get_mapped_address (msg);
  burrow_stun_message_has_integrity (msg);
  check_text_key (msg, ROUND_TRIP_PASSWORD);
  burrow_stun_message_check_fingerprint (msg);
  burrow_stun_message_get_transaction_id (msg, &len);
  g_assert_nonnull (burrow_stun_method_to_string (burrow_stun_message_get_method (msg)));
}

/* The content attributes of a message: all but the integrity ones. */
static GArray *
content_types (BurrowStunMessage *msg)
{
  guint n = 0, i;
  g_autofree guint16 *types = burrow_stun_message_list_attributes (msg, &n);
  GArray *out = g_array_new (FALSE, FALSE, sizeof (guint16));

  for (i = 0; i < n; i++)
    if (types[i] != BURROW_STUN_ATTRIBUTE_MESSAGE_INTEGRITY &&
        types[i] != BURROW_STUN_ATTRIBUTE_MESSAGE_INTEGRITY_SHA256 &&
        types[i] != BURROW_STUN_ATTRIBUTE_FINGERPRINT)
      g_array_append_val (out, types[i]);
  return out;
}

/* A parsed message written out again parses again, with the same
 * attributes. */
static void
reserialize (BurrowStunMessage *msg)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) wire = burrow_stun_message_serialize (msg,
      BURROW_STUN_SIGN_MESSAGE_INTEGRITY | BURROW_STUN_SIGN_FINGERPRINT, ROUND_TRIP_KEY, &error);
  g_autoptr(BurrowStunMessage) again = NULL;
  g_autoptr(GArray) before = NULL;
  g_autoptr(GArray) after = NULL;

  g_assert_no_error (error);
  again = burrow_stun_message_new_from_data_full (g_bytes_get_data (wire, NULL),
      g_bytes_get_size (wire), BURROW_STUN_PARSE_ALLOW_UNKNOWN_REQUIRED, &error);
  g_assert_no_error (error);
  g_assert_true (check_text_key (again, ROUND_TRIP_PASSWORD));
  g_assert_true (burrow_stun_message_check_fingerprint (again));
  before = content_types (msg);
  after = content_types (again);
  g_assert_cmpmem (before->data, before->len * sizeof (guint16),
      after->data, after->len * sizeof (guint16));
}

/* Overwrites the 16-bit word at a 4-byte boundary plus @shift with @v. */
static void
poke_attribute_word (GRand *rand, GByteArray *a, guint shift, guint16 v)
{
  guint pos;

  if (a->len < 24)
    return;
  pos = 20 + 4 * g_rand_int_range (rand, 0, (a->len - 20) / 4) + shift;
  a->data[pos] = (guint8) (v >> 8);
  a->data[pos + 1] = (guint8) v;
}

static void
mutate (GRand *rand, GByteArray *a)
{
  static const guint16 types[] = {
    0x0008, 0x001c, 0x8028, 0x0020, 0x0009, 0x000a, 0x8002, 0x0001, 0x7f00, 0x0006
  };
  guint op = g_rand_int_range (rand, 0, 6), i, n = g_rand_int_range (rand, 1, 9), pos;

  for (i = 0; i < n && a->len > 0; i++) {
    switch (op) {
      case 0:                   /* flip a bit */
        a->data[g_rand_int_range (rand, 0, a->len)] ^= (guint8) (1 << g_rand_int_range (rand, 0, 8));
        break;
      case 1:                   /* truncate */
        g_byte_array_set_size (a, g_rand_int_range (rand, 0, a->len + 1));
        return;
      case 2:                   /* a hostile length where one may be */
        poke_attribute_word (rand, a, 2,
            g_rand_boolean (rand) ? 0xffff : (guint16) g_rand_int_range (rand, 0, 64));
        return;
      case 3:                   /* a type where one may be */
        poke_attribute_word (rand, a, 0, types[g_rand_int_range (rand, 0, G_N_ELEMENTS (types))]);
        return;
      default:                  /* insert a random byte (op 5: at the end) */
        pos = op == 4 ? (guint) g_rand_int_range (rand, 0, a->len + 1) : a->len;
        g_byte_array_set_size (a, a->len + 1);
        memmove (a->data + pos + 1, a->data + pos, a->len - 1 - pos);
        a->data[pos] = (guint8) g_rand_int_range (rand, 0, 256);
        break;
    }
  }
}

/* Mostly keeps the header right, so that the attributes get parsed. */
static void
fix_header (GRand *rand, GByteArray *a)
{
  if (a->len < 20 || a->len > 65535 || g_rand_int_range (rand, 0, 4) == 0)
    return;
  a->data[0] &= 0x3f;
  a->data[2] = (guint8) ((a->len - 20) >> 8);
  a->data[3] = (guint8) (a->len - 20);
  memcpy (a->data + 4, "\x21\x12\xa4\x42", 4);
}

static void
test_mutations (void)
{
  const gchar *vectors[] = {
    RFC5769_REQUEST, RFC5769_IPV4_RESPONSE, RFC5769_IPV6_RESPONSE,
    RFC5769_LONG_TERM_REQUEST, RFC8489_SHA256_REQUEST,
  };
  g_autoptr(GPtrArray) seeds = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(BurrowStunMessage) built = build_every_attribute ();
  g_autoptr(GRand) rand = g_rand_new_with_seed (0x5354554e);
  guint i, accepted = 0, rejected = 0;

  for (i = 0; i < G_N_ELEMENTS (vectors); i++)
    g_ptr_array_add (seeds, hex (vectors[i]));
  g_ptr_array_add (seeds, burrow_stun_message_serialize (built,
          BURROW_STUN_SIGN_MESSAGE_INTEGRITY | BURROW_STUN_SIGN_MESSAGE_INTEGRITY_SHA256 |
          BURROW_STUN_SIGN_FINGERPRINT, ROUND_TRIP_KEY, NULL));

  for (i = 0; i < MUTATION_ROUNDS; i++) {
    GBytes *seed = g_ptr_array_index (seeds, g_rand_int_range (rand, 0, seeds->len));
    g_autoptr(GByteArray) a = g_byte_array_new ();
    g_autoptr(BurrowStunMessage) strict = NULL;
    g_autoptr(BurrowStunMessage) lenient = NULL;
    g_autoptr(GError) error = NULL;
    guint rounds = g_rand_int_range (rand, 1, 4), r;

    g_byte_array_append (a, g_bytes_get_data (seed, NULL), g_bytes_get_size (seed));
    for (r = 0; r < rounds; r++)
      mutate (rand, a);
    fix_header (rand, a);

    strict = burrow_stun_message_new_from_data (a->data, a->len, &error);
    g_assert_true ((strict == NULL) == (error != NULL));
    if (error)
      g_assert_true (error->domain == BURROW_STUN_ERROR);
    g_clear_error (&error);
    lenient = burrow_stun_message_new_from_data_full (a->data, a->len,
        BURROW_STUN_PARSE_ALLOW_UNKNOWN_REQUIRED, &error);
    if (strict)
      g_assert_nonnull (lenient);
    if (lenient) {
      accepted++;
      exercise (lenient);
      reserialize (lenient);
    } else {
      rejected++;
    }
  }
  g_test_message ("%u mutated messages parsed, %u rejected", accepted, rejected);
  /* both paths must have been exercised a good deal */
  g_assert_cmpuint (accepted, >, MUTATION_ROUNDS / 10);
  g_assert_cmpuint (rejected, >, MUTATION_ROUNDS / 10);
}

int
main (int argc, char **argv)
{
  guint i;

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/stun/message/rfc5769/sample-request", test_rfc5769_sample_request);
  g_test_add_func ("/stun/message/rfc5769/ipv4-response", test_rfc5769_ipv4_response);
  g_test_add_func ("/stun/message/rfc5769/ipv6-response", test_rfc5769_ipv6_response);
  g_test_add_func ("/stun/message/rfc5769/long-term-request", test_rfc5769_long_term_request);
  g_test_add_func ("/stun/message/rfc5769/long-term-request-builds-byte-exact",
      test_rfc5769_long_term_request_build);
  g_test_add_func ("/stun/message/rfc5769/xor-address-builds-byte-exact",
      test_rfc5769_xor_address_build);
  g_test_add_func ("/stun/message/rfc8489/sha256-userhash-request", test_rfc8489_sha256_request);
  g_test_add_func ("/stun/message/rfc8489/sha256-userhash-request-builds-byte-exact",
      test_rfc8489_sha256_request_build);

  g_test_add_func ("/stun/message/build/round-trip-every-attribute", test_build_round_trip);
  g_test_add_func ("/stun/message/build/sha256-integrity-wins", test_build_integrity_choice);
  g_test_add_func ("/stun/message/build/integrity-needs-key", test_build_no_key);
  g_test_add_func ("/stun/message/build/refuses-oversize", test_build_too_big);
  g_test_add_func ("/stun/message/build/responses-copy-request", test_build_responses);
  g_test_add_func ("/stun/message/build/error-reason-limited", test_build_error_reason_limit);
  g_test_add_func ("/stun/message/build/change-request-flags", test_build_change_request);
  g_test_add_func ("/stun/message/build/from-parsed-drops-integrity", test_build_from_parsed);

  for (i = 0; i < G_N_ELEMENTS (malformed_cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/stun/message/parse/malformed/%s",
        malformed_cases[i].name);

    g_test_add_data_func (path, &malformed_cases[i], test_parse_malformed);
  }
  g_test_add_func ("/stun/message/parse/malformed/oversize", test_parse_oversize);
  g_test_add_func ("/stun/message/parse/unknown-required-allowed", test_parse_unknown_allowed);
  g_test_add_func ("/stun/message/parse/unknown-optional-ignored", test_parse_unknown_optional);
  g_test_add_func ("/stun/message/parse/duplicate-first-wins", test_parse_duplicates);
  g_test_add_func ("/stun/message/parse/after-integrity-ignored", test_parse_after_integrity);
  g_test_add_func ("/stun/message/parse/many-attributes-bounded", test_parse_many_attributes);
  g_test_add_func ("/stun/message/getters/refuse-bad-format", test_getters_bad_format);
  g_test_add_func ("/stun/message/getters/length-limits", test_getters_limits);
  g_test_add_func ("/stun/message/is-stun", test_is_stun);
  g_test_add_func ("/stun/message/names", test_names);
  g_test_add_func ("/stun/message/boxed-refcount", test_boxed);
  g_test_add_func ("/stun/message/mutations-do-not-crash", test_mutations);

  return g_test_run ();
}
