/* burrow-error.h: error domains
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(__BURROW_H_INSIDE__) && !defined(BURROW_COMPILATION)
#error "Only <burrow/burrow.h> can be included directly."
#endif

#include <glib.h>
#include <burrow/burrow-export.h>

G_BEGIN_DECLS

/**
 * BURROW_STUN_ERROR:
 *
 * Error domain for STUN: malformed messages, failed integrity checks,
 * transactions that time out and error responses from a server. Errors in
 * this domain use the codes of [enum@Burrow.StunError].
 *
 * Since: 0.1
 */
#define BURROW_STUN_ERROR (burrow_stun_error_quark ())

/**
 * BurrowStunError:
 * @BURROW_STUN_ERROR_FAILED: an unspecified failure
 * @BURROW_STUN_ERROR_NOT_STUN: the data is not a STUN message (wrong
 *   leading bits, magic cookie or too short)
 * @BURROW_STUN_ERROR_MALFORMED: the data looks like STUN but breaks the
 *   message format (lengths, padding, attribute layout)
 * @BURROW_STUN_ERROR_UNKNOWN_ATTRIBUTE: the message carries
 *   comprehension-required attributes this implementation does not know
 *   (a server answers 420)
 * @BURROW_STUN_ERROR_INTEGRITY: MESSAGE-INTEGRITY(-SHA256) is missing or
 *   does not match the key
 * @BURROW_STUN_ERROR_FINGERPRINT: FINGERPRINT is missing or wrong
 * @BURROW_STUN_ERROR_TIMEOUT: no response arrived before the
 *   retransmission schedule ran out
 * @BURROW_STUN_ERROR_RESOLVE: the server name could not be resolved
 * @BURROW_STUN_ERROR_NETWORK: a socket operation failed
 * @BURROW_STUN_ERROR_SERVER_ERROR: the server answered with an error
 *   response that is not covered by a more precise code
 * @BURROW_STUN_ERROR_UNAUTHORIZED: the server rejected the credentials
 *   (401), or asked for credentials that were not given
 * @BURROW_STUN_ERROR_UNSUPPORTED: the server lacks a feature the request
 *   needs (for example RFC 5780 OTHER-ADDRESS)
 * @BURROW_STUN_ERROR_INVALID_ARGUMENT: a value passed to the API is
 *   out of range or badly formed (for example a password SASLprep rejects)
 *
 * Error codes of the `BURROW_STUN_ERROR` domain.
 *
 * Since: 0.1
 */
typedef enum {
  BURROW_STUN_ERROR_FAILED,
  BURROW_STUN_ERROR_NOT_STUN,
  BURROW_STUN_ERROR_MALFORMED,
  BURROW_STUN_ERROR_UNKNOWN_ATTRIBUTE,
  BURROW_STUN_ERROR_INTEGRITY,
  BURROW_STUN_ERROR_FINGERPRINT,
  BURROW_STUN_ERROR_TIMEOUT,
  BURROW_STUN_ERROR_RESOLVE,
  BURROW_STUN_ERROR_NETWORK,
  BURROW_STUN_ERROR_SERVER_ERROR,
  BURROW_STUN_ERROR_UNAUTHORIZED,
  BURROW_STUN_ERROR_UNSUPPORTED,
  BURROW_STUN_ERROR_INVALID_ARGUMENT,
} BurrowStunError;

BURROW_API
GQuark burrow_stun_error_quark (void);

G_END_DECLS
