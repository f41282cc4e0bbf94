/* burrow-stun-credentials.c: STUN short-term and long-term credentials
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "burrow-stun"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <burrow/burrow-error.h>
#include "burrow-stun-credentials.h"

typedef struct {
  gunichar first;
  gunichar last;
} Range;

static gboolean
in_ranges (gunichar c, const Range *ranges, gsize n)
{
  gsize lo = 0, hi = n;

  /* ranges are sorted and disjoint */
  while (lo < hi) {
    gsize mid = (lo + hi) / 2;

    if (c < ranges[mid].first)
      hi = mid;
    else if (c > ranges[mid].last)
      lo = mid + 1;
    else
      return TRUE;
  }
  return FALSE;
}

/* RFC 3454 table B.1: commonly mapped to nothing. */
static const Range mapped_to_nothing[] = {
  { 0x00AD, 0x00AD }, { 0x034F, 0x034F }, { 0x1806, 0x1806 }, { 0x180B, 0x180D },
  { 0x200B, 0x200D }, { 0x2060, 0x2060 }, { 0xFE00, 0xFE0F }, { 0xFEFF, 0xFEFF },
};

/* RFC 3454 table C.1.2: non-ASCII space characters. */
static const Range non_ascii_space[] = {
  { 0x00A0, 0x00A0 }, { 0x1680, 0x1680 }, { 0x2000, 0x200B }, { 0x202F, 0x202F },
  { 0x205F, 0x205F }, { 0x3000, 0x3000 },
};

/* RFC 3454 tables C.1.2, C.2.1, C.2.2, C.3, C.5, C.6, C.7, C.8 and C.9,
 * merged; C.4 (non-characters) is tested arithmetically. */
static const Range prohibited[] = {
  { 0x0000, 0x001F }, { 0x007F, 0x00A0 }, { 0x0340, 0x0341 }, { 0x06DD, 0x06DD },
  { 0x070F, 0x070F }, { 0x1680, 0x1680 }, { 0x180E, 0x180E }, { 0x2000, 0x200F },
  { 0x2028, 0x202F }, { 0x205F, 0x2063 }, { 0x206A, 0x206F }, { 0x2FF0, 0x2FFB },
  { 0x3000, 0x3000 }, { 0xD800, 0xF8FF }, { 0xFDD0, 0xFDEF }, { 0xFEFF, 0xFEFF },
  { 0xFFF9, 0xFFFD }, { 0x1D173, 0x1D17A }, { 0xE0001, 0xE0001 }, { 0xE0020, 0xE007F },
  { 0xF0000, 0xFFFFD }, { 0x100000, 0x10FFFD },
};

/* RFC 3454 table D.1: characters with bidirectional property R or AL. */
static const Range rand_al[] = {
  { 0x05BE, 0x05BE }, { 0x05C0, 0x05C0 }, { 0x05C3, 0x05C3 }, { 0x05D0, 0x05EA },
  { 0x05F0, 0x05F4 }, { 0x061B, 0x061B }, { 0x061F, 0x061F }, { 0x0621, 0x063A },
  { 0x0640, 0x064A }, { 0x066D, 0x066F }, { 0x0671, 0x06D5 }, { 0x06DD, 0x06DD },
  { 0x06E5, 0x06E6 }, { 0x06FA, 0x06FE }, { 0x0700, 0x070D }, { 0x0710, 0x0710 },
  { 0x0712, 0x072C }, { 0x0780, 0x07A5 }, { 0x07B1, 0x07B1 }, { 0x200F, 0x200F },
  { 0xFB1D, 0xFB1D }, { 0xFB1F, 0xFB28 }, { 0xFB2A, 0xFB36 }, { 0xFB38, 0xFB3C },
  { 0xFB3E, 0xFB3E }, { 0xFB40, 0xFB41 }, { 0xFB43, 0xFB44 }, { 0xFB46, 0xFBB1 },
  { 0xFBD3, 0xFD3D }, { 0xFD50, 0xFD8F }, { 0xFD92, 0xFDC7 }, { 0xFDF0, 0xFDFC },
  { 0xFE70, 0xFE74 }, { 0xFE76, 0xFEFC },
};

static gboolean
is_prohibited (gunichar c)
{
  /* C.4: U+FDD0..U+FDEF (in the table) and the last two code points of
   * every plane */
  if ((c & 0xFFFE) == 0xFFFE)
    return TRUE;
  return in_ranges (c, prohibited, G_N_ELEMENTS (prohibited));
}

static gboolean
is_rand_al (gunichar c)
{
  return in_ranges (c, rand_al, G_N_ELEMENTS (rand_al));
}

/* RFC 3454 table D.2 (bidirectional property L) is long; GLib has no bidi
 * classes, so a letter counts as L unless it belongs to a right-to-left
 * script. Right-to-left letters that D.1 (Unicode 3.2) does not list yet
 * count as neither. */
static gboolean
is_l (gunichar c)
{
  if (!g_unichar_isalpha (c) || is_rand_al (c))
    return FALSE;
  switch (g_unichar_get_script (c)) {
    case G_UNICODE_SCRIPT_ARABIC:
    case G_UNICODE_SCRIPT_HEBREW:
    case G_UNICODE_SCRIPT_SYRIAC:
    case G_UNICODE_SCRIPT_THAANA:
    case G_UNICODE_SCRIPT_NKO:
    case G_UNICODE_SCRIPT_SAMARITAN:
    case G_UNICODE_SCRIPT_MANDAIC:
      return FALSE;
    default:
      return TRUE;
  }
}

static gboolean
is_ascii (const gchar *s)
{
  for (; *s; s++)
    if ((guchar) *s >= 0x80)
      return FALSE;
  return TRUE;
}

static gboolean
check_output (const gchar *s, const gchar *what, gboolean bidi, GError **error)
{
  const gchar *p;
  gunichar c = 0, first = 0;
  gboolean has_rand_al = FALSE, has_l = FALSE;

  for (p = s; *p; p = g_utf8_next_char (p)) {
    c = g_utf8_get_char (p);
    if (p == s)
      first = c;
    if (is_prohibited (c)) {
      g_set_error (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_INVALID_ARGUMENT,
          "The %s holds a character that SASLprep prohibits (U+%04X at byte %d)",
          what, (guint) c, (gint) (p - s));
      return FALSE;
    }
    has_rand_al |= is_rand_al (c);
    has_l |= is_l (c);
  }

  /* RFC 3454 section 6 */
  if (bidi && has_rand_al && (has_l || !is_rand_al (first) || !is_rand_al (c))) {
    g_set_error (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_INVALID_ARGUMENT,
        "The %s mixes right-to-left and left-to-right text in a way SASLprep prohibits",
        what);
    return FALSE;
  }
  return TRUE;
}

static gboolean
check_utf8 (const gchar *s, const gchar *what, GError **error)
{
  if (g_utf8_validate (s, -1, NULL))
    return TRUE;
  g_set_error (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_INVALID_ARGUMENT,
      "The %s is not valid UTF-8", what);
  return FALSE;
}

static void
free_secret (gchar *s)
{
  if (s) {
    OPENSSL_cleanse (s, strlen (s));
    g_free (s);
  }
}

typedef gchar BurrowSecret;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BurrowSecret, free_secret)

static gchar *
saslprep (const gchar *input, const gchar *what, GError **error)
{
  GString *mapped;
  const gchar *p;
  gchar *normalized;

  if (!check_utf8 (input, what, error))
    return NULL;

  /* RFC 4013 section 2.1: mapping */
  mapped = g_string_sized_new (strlen (input));
  for (p = input; *p; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);

    if (in_ranges (c, mapped_to_nothing, G_N_ELEMENTS (mapped_to_nothing)))
      continue;
    if (in_ranges (c, non_ascii_space, G_N_ELEMENTS (non_ascii_space)))
      c = ' ';
    g_string_append_unichar (mapped, c);
  }

  /* section 2.2: normalization form KC */
  normalized = g_utf8_normalize (mapped->str, (gssize) mapped->len, G_NORMALIZE_NFKC);
  OPENSSL_cleanse (mapped->str, mapped->len);
  g_string_free (mapped, TRUE);
  if (normalized == NULL) {
    g_set_error (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_INVALID_ARGUMENT,
        "The %s could not be normalized", what);
    return NULL;
  }

  /* sections 2.3 and 2.4: prohibited output and bidirectional text */
  if (!check_output (normalized, what, TRUE, error)) {
    free_secret (normalized);
    return NULL;
  }
  return normalized;
}

/**
 * burrow_stun_saslprep:
 * @input: a UTF-8 string, usually a password
 * @error: return location for a [error@Burrow.StunError]
 *
 * Prepares a password as SASLprep (RFC 4013) does before it is used as or
 * in a STUN key: non-ASCII spaces become U+0020, characters "commonly
 * mapped to nothing" (soft hyphen, zero-width space, variation
 * selectors…) are removed, the result is normalized to NFKC, and control
 * characters, private-use characters, surrogates, non-characters and badly
 * mixed right-to-left text are refused. Unassigned code points are allowed
 * (as for queries). For the passwords RFC 8489 examples use, the result is
 * the same as that of the OpaqueString profile it names.
 *
 * GLib has no bidirectional classes, so the right-to-left check knows the
 * right-to-left characters of RFC 3454 but takes every other letter as
 * left-to-right.
 *
 * Returns: (transfer full) (nullable): the prepared string, or %NULL with
 *   %BURROW_STUN_ERROR_INVALID_ARGUMENT if @input is not valid UTF-8 or
 *   holds prohibited characters
 *
 * Since: 0.1
 */
gchar *
burrow_stun_saslprep (const gchar *input,
                      GError     **error)
{
  g_return_val_if_fail (input != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return saslprep (input, "string", error);
}

/* The OpaqueString profile (RFC 8265) as far as GLib allows, for usernames
 * and realms: ASCII is kept as given; otherwise non-ASCII spaces become
 * U+0020, the text is normalized to NFC and must not hold prohibited
 * characters. */
static gchar *
opaque_string (const gchar *input, const gchar *what, GError **error)
{
  GString *mapped;
  const gchar *p;
  gchar *normalized;

  if (!check_utf8 (input, what, error))
    return NULL;
  if (is_ascii (input))
    return g_strdup (input);

  mapped = g_string_sized_new (strlen (input));
  for (p = input; *p; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);

    if (in_ranges (c, non_ascii_space, G_N_ELEMENTS (non_ascii_space)))
      c = ' ';
    g_string_append_unichar (mapped, c);
  }
  normalized = g_utf8_normalize (mapped->str, (gssize) mapped->len, G_NORMALIZE_NFC);
  g_string_free (mapped, TRUE);
  if (normalized == NULL || !check_output (normalized, what, FALSE, error)) {
    if (normalized == NULL)
      g_set_error (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_INVALID_ARGUMENT,
          "The %s could not be normalized", what);
    g_free (normalized);
    return NULL;
  }
  return normalized;
}

static GBytes *
digest (const EVP_MD *md, const gchar *text, GError **error)
{
  guint8 out[EVP_MAX_MD_SIZE];
  guint out_len = 0;

  if (md == NULL || EVP_Digest (text, strlen (text), out, &out_len, md, NULL) != 1) {
    g_set_error (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_FAILED,
        "OpenSSL could not compute %s (is it disabled, as in FIPS mode?)",
        md ? EVP_MD_get0_name (md) : "the digest");
    return NULL;
  }
  return g_bytes_new (out, out_len);
}

/**
 * burrow_stun_short_term_key:
 * @password: the password, for example an ICE password
 * @error: return location for a [error@Burrow.StunError]
 *
 * Makes the HMAC key of the short-term credential mechanism (RFC 8489
 * section 9.1.1): the password after [func@Burrow.stun_saslprep].
 *
 * Returns: (transfer full) (nullable): the key, or %NULL with @error set if
 *   @password is refused
 *
 * Since: 0.1
 */
GBytes *
burrow_stun_short_term_key (const gchar *password,
                            GError     **error)
{
  gchar *prepared;

  g_return_val_if_fail (password != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  prepared = saslprep (password, "password", error);
  if (prepared == NULL)
    return NULL;
  return g_bytes_new_take (prepared, strlen (prepared));
}

/**
 * burrow_stun_long_term_key:
 * @username: the username, as sent in USERNAME
 * @realm: the realm the server sent
 * @password: the password
 * @algorithm: the password algorithm; %BURROW_STUN_PASSWORD_ALGORITHM_MD5
 *   unless the server offered SHA-256 in PASSWORD-ALGORITHMS
 * @error: return location for a [error@Burrow.StunError]
 *
 * Makes the HMAC key of the long-term credential mechanism (RFC 8489
 * sections 9.2.2 and 18.5.1): MD5 or SHA-256 of
 * "username:realm:password", the password prepared with
 * [func@Burrow.stun_saslprep]. A username or realm that is not plain ASCII
 * is normalized to NFC first (the OpaqueString profile).
 *
 * Returns: (transfer full) (nullable): the 16-byte (MD5) or 32-byte
 *   (SHA-256) key, or %NULL with @error set
 *
 * Since: 0.1
 */
GBytes *
burrow_stun_long_term_key (const gchar                 *username,
                           const gchar                 *realm,
                           const gchar                 *password,
                           BurrowStunPasswordAlgorithm  algorithm,
                           GError                     **error)
{
  g_autofree gchar *user = NULL;
  g_autofree gchar *prepared_realm = NULL;
  g_autoptr(BurrowSecret) pass = NULL;
  g_autoptr(BurrowSecret) text = NULL;
  const EVP_MD *md;

  g_return_val_if_fail (username != NULL, NULL);
  g_return_val_if_fail (realm != NULL, NULL);
  g_return_val_if_fail (password != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  switch (algorithm) {
    case BURROW_STUN_PASSWORD_ALGORITHM_MD5:
      md = EVP_md5 ();
      break;
    case BURROW_STUN_PASSWORD_ALGORITHM_SHA256:
      md = EVP_sha256 ();
      break;
    default:
      g_set_error (error, BURROW_STUN_ERROR, BURROW_STUN_ERROR_INVALID_ARGUMENT,
          "Unknown STUN password algorithm 0x%04x (known: MD5 0x0001, SHA-256 0x0002)",
          (guint) algorithm);
      return NULL;
  }

  if ((user = opaque_string (username, "username", error)) == NULL ||
      (prepared_realm = opaque_string (realm, "realm", error)) == NULL ||
      (pass = saslprep (password, "password", error)) == NULL)
    return NULL;

  text = g_strconcat (user, ":", prepared_realm, ":", pass, NULL);
  return digest (md, text, error);
}

/**
 * burrow_stun_userhash:
 * @username: the username
 * @realm: the realm the server sent
 * @error: return location for a [error@Burrow.StunError]
 *
 * Computes the USERHASH attribute value (RFC 8489 section 14.4), which
 * replaces USERNAME when the server offers username anonymity:
 * SHA-256 of "username:realm". A username or realm that is not plain ASCII
 * is normalized to NFC first (the OpaqueString profile).
 *
 * Returns: (transfer full) (nullable): the 32-byte hash, or %NULL with
 *   @error set
 *
 * Since: 0.1
 */
GBytes *
burrow_stun_userhash (const gchar *username,
                      const gchar *realm,
                      GError     **error)
{
  g_autofree gchar *user = NULL;
  g_autofree gchar *prepared_realm = NULL;
  g_autofree gchar *text = NULL;

  g_return_val_if_fail (username != NULL, NULL);
  g_return_val_if_fail (realm != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if ((user = opaque_string (username, "username", error)) == NULL ||
      (prepared_realm = opaque_string (realm, "realm", error)) == NULL)
    return NULL;

  text = g_strconcat (user, ":", prepared_realm, NULL);
  return digest (EVP_sha256 (), text, error);
}
