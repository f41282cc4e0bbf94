/* test-stun-credentials.c: SASLprep and STUN key derivation against the
 * examples of RFC 4013, RFC 5769 and RFC 8489
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <burrow/burrow.h>

#include <string.h>

/* U+30DE U+30C8 U+30EA U+30C3 U+30AF U+30B9 (RFC 5769 section 2.4) */
#define MATRIX_USERNAME "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9"
/* "The<U+00AD>M<U+00AA>tr<U+2168>" */
#define MATRIX_PASSWORD "The\xc2\xadM\xc2\xaatr\xe2\x85\xa8"
#define MATRIX_REALM "example.org"

static void
assert_bytes (GBytes *bytes, const gchar *hex)
{
  g_autofree gchar *got = NULL;
  gsize len, i;
  const guint8 *p;

  g_assert_nonnull (bytes);
  p = g_bytes_get_data (bytes, &len);
  got = g_malloc (2 * len + 1);
  for (i = 0; i < len; i++)
    g_snprintf (got + 2 * i, 3, "%02x", p[i]);
  got[2 * len] = '\0';
  g_assert_cmpstr (got, ==, hex);
}

static void
assert_prepared (const gchar *input, const gchar *expected)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *out = burrow_stun_saslprep (input, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (out, ==, expected);
}

static void
assert_refused (const gchar *input)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *out = burrow_stun_saslprep (input, &error);

  g_assert_error (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_INVALID_ARGUMENT);
  g_assert_null (out);
}

/* RFC 4013 section 3 */
static void
test_saslprep_rfc4013_examples (void)
{
  assert_prepared ("I\xc2\xadX", "IX");         /* SOFT HYPHEN mapped to nothing */
  assert_prepared ("user", "user");             /* no transformation */
  assert_prepared ("USER", "USER");             /* case preserved */
  assert_prepared ("\xc2\xaa", "a");            /* U+00AA: NFKC */
  assert_prepared ("\xe2\x85\xa8", "IX");       /* U+2168 ROMAN NUMERAL NINE: NFKC */
  assert_refused ("\x07");                      /* U+0007: prohibited */
  assert_refused ("\xd8\xa7" "1");              /* U+0627 U+0031: bidi rule */
}

static void
test_saslprep_rfc5769_password (void)
{
  assert_prepared (MATRIX_PASSWORD, "TheMatrIX");
  assert_prepared ("VOkJxbRl1RmTxUk/WvJxBt", "VOkJxbRl1RmTxUk/WvJxBt");
  assert_prepared ("", "");
}

static void
test_saslprep_mapping (void)
{
  assert_prepared ("a\xc2\xa0" "b", "a b");     /* NO-BREAK SPACE */
  assert_prepared ("a\xe3\x80\x80" "b", "a b"); /* IDEOGRAPHIC SPACE */
  assert_prepared ("a\xe2\x80\x8b" "b", "ab");  /* ZERO WIDTH SPACE */
  assert_prepared ("\xef\xbb\xbf" "ab", "ab");  /* ZERO WIDTH NO-BREAK SPACE */
  assert_prepared ("a\xef\xb8\x8f" "b", "ab");  /* VARIATION SELECTOR-16 */
  assert_prepared ("a\xe1\xa0\x8b" "b", "ab");  /* MONGOLIAN FREE VARIATION SELECTOR ONE */
  assert_prepared ("\xef\xbc\xa1", "A");        /* FULLWIDTH A: NFKC */
  assert_prepared ("e\xcc\x81", "\xc3\xa9");    /* e + COMBINING ACUTE: composed */
  /* right-to-left text alone is fine */
  assert_prepared ("\xd8\xa7\xd8\xa8", "\xd8\xa7\xd8\xa8");
}

static void
test_saslprep_prohibited (void)
{
  assert_refused ("a\x7f");                     /* DELETE */
  assert_refused ("a\xc2\x85");                 /* NEXT LINE (C1 control) */
  assert_refused ("a\xe2\x80\xa8");             /* LINE SEPARATOR */
  assert_refused ("a\xe2\x80\x8e");             /* LEFT-TO-RIGHT MARK */
  assert_refused ("a\xee\x80\x80");             /* U+E000 private use */
  assert_refused ("a\xf3\xb0\x80\x80");         /* U+F0000 private use */
  assert_refused ("a\xef\xbf\xbe");             /* U+FFFE non-character */
  assert_refused ("a\xef\xb7\x90");             /* U+FDD0 non-character */
  assert_refused ("a\xf0\x9f\xbf\xbf");         /* U+1FFFF non-character */
  assert_refused ("a\xef\xbf\xbd");             /* U+FFFD REPLACEMENT CHARACTER */
  assert_refused ("a\xf3\xa0\x80\x81");         /* U+E0001 LANGUAGE TAG */
  assert_refused ("a\xff" "b");                 /* not UTF-8 */
  assert_refused ("a\xed\xa0\x80");             /* an encoded surrogate is not UTF-8 */
  assert_refused ("a\xd8\xa7");                 /* L and RandAL mixed */
}

static void
test_short_term_key (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) key = burrow_stun_short_term_key ("VOkJxbRl1RmTxUk/WvJxBt", &error);
  g_autoptr(GBytes) prepared = NULL;
  g_autoptr(GBytes) refused = NULL;

  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (key, NULL), g_bytes_get_size (key),
      "VOkJxbRl1RmTxUk/WvJxBt", 22);
  prepared = burrow_stun_short_term_key (MATRIX_PASSWORD, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (prepared, NULL), g_bytes_get_size (prepared),
      "TheMatrIX", 9);
  refused = burrow_stun_short_term_key ("pass\nword", &error);
  g_assert_error (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_INVALID_ARGUMENT);
  g_assert_null (refused);
}

static void
test_long_term_key_md5 (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) matrix = NULL;
  g_autoptr(GBytes) example = NULL;

  /* RFC 5769 section 2.4: MD5("<username>:example.org:TheMatrIX") */
  matrix = burrow_stun_long_term_key (MATRIX_USERNAME, MATRIX_REALM, MATRIX_PASSWORD,
      BURROW_STUN_PASSWORD_ALGORITHM_MD5, &error);
  g_assert_no_error (error);
  assert_bytes (matrix, "e8ca7ad59d5eb0518e312911d2dab2a9");

  /* RFC 8489 section 9.2.2: "user:realm:pass" */
  example = burrow_stun_long_term_key ("user", "realm", "pass",
      BURROW_STUN_PASSWORD_ALGORITHM_MD5, &error);
  g_assert_no_error (error);
  assert_bytes (example, "8493fbc53ba582fb4c044c456bdc40eb");
}

static void
test_long_term_key_sha256 (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) key = NULL;

  /* the key of RFC 8489 appendix B.1 (with erratum 6268):
   * SHA-256("<username>:example.org:TheMatrIX") */
  key = burrow_stun_long_term_key (MATRIX_USERNAME, MATRIX_REALM, MATRIX_PASSWORD,
      BURROW_STUN_PASSWORD_ALGORITHM_SHA256, &error);
  g_assert_no_error (error);
  assert_bytes (key, "dd295a613b9058c3c23d6dc7165bda072304d989c9d0af3a8c7e184b4f9bb4a1");
}

static void
test_long_term_key_refusals (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) key = NULL;

  key = burrow_stun_long_term_key ("user", "realm", "pass", (BurrowStunPasswordAlgorithm) 3,
      &error);
  g_assert_error (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_INVALID_ARGUMENT);
  g_assert_null (key);
  g_clear_error (&error);

  key = burrow_stun_long_term_key ("user", "realm", "pass\x01", BURROW_STUN_PASSWORD_ALGORITHM_MD5,
      &error);
  g_assert_error (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_INVALID_ARGUMENT);
  g_assert_null (key);
  g_clear_error (&error);

  key = burrow_stun_long_term_key ("us\xc3" "er", "realm", "pass",
      BURROW_STUN_PASSWORD_ALGORITHM_MD5, &error);
  g_assert_error (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_INVALID_ARGUMENT);
  g_assert_null (key);
}

/* A username or realm that is not ASCII is normalized (NFC) first. */
static void
test_long_term_key_normalizes_username (void)
{
  g_autoptr(GBytes) composed = burrow_stun_long_term_key ("caf\xc3\xa9", "realm", "pass",
      BURROW_STUN_PASSWORD_ALGORITHM_MD5, NULL);
  g_autoptr(GBytes) decomposed = burrow_stun_long_term_key ("cafe\xcc\x81", "realm", "pass",
      BURROW_STUN_PASSWORD_ALGORITHM_MD5, NULL);
  g_autoptr(GBytes) plain = burrow_stun_long_term_key ("cafe", "realm", "pass",
      BURROW_STUN_PASSWORD_ALGORITHM_MD5, NULL);

  g_assert_nonnull (composed);
  g_assert_true (g_bytes_equal (composed, decomposed));
  g_assert_false (g_bytes_equal (composed, plain));
}

static void
test_userhash (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) hash = NULL;
  g_autoptr(GBytes) other = NULL;

  /* RFC 8489 appendix B.1 */
  hash = burrow_stun_userhash (MATRIX_USERNAME, MATRIX_REALM, &error);
  g_assert_no_error (error);
  assert_bytes (hash, "4a3cf38fef6992bda952c6780417da0f24819415569e60b205c46e41407f1704");

  other = burrow_stun_userhash (MATRIX_USERNAME, "example.com", &error);
  g_assert_no_error (error);
  g_assert_false (g_bytes_equal (hash, other));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/stun/credentials/saslprep/rfc4013-examples", test_saslprep_rfc4013_examples);
  g_test_add_func ("/stun/credentials/saslprep/rfc5769-password", test_saslprep_rfc5769_password);
  g_test_add_func ("/stun/credentials/saslprep/maps-spaces-and-ignorables", test_saslprep_mapping);
  g_test_add_func ("/stun/credentials/saslprep/refuses-prohibited", test_saslprep_prohibited);
  g_test_add_func ("/stun/credentials/short-term-key", test_short_term_key);
  g_test_add_func ("/stun/credentials/long-term-key/md5", test_long_term_key_md5);
  g_test_add_func ("/stun/credentials/long-term-key/sha256", test_long_term_key_sha256);
  g_test_add_func ("/stun/credentials/long-term-key/refusals", test_long_term_key_refusals);
  g_test_add_func ("/stun/credentials/long-term-key/normalizes-username",
      test_long_term_key_normalizes_username);
  g_test_add_func ("/stun/credentials/userhash", test_userhash);

  return g_test_run ();
}
