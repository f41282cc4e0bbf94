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

/**
 * BURROW_TURN_ERROR:
 *
 * Error domain for TURN: error responses from a TURN server, lost
 * connections to it, and misuse of an allocation (sending to a peer without
 * a permission, using an allocation that expired). Errors in this domain use
 * the codes of [enum@Burrow.TurnError]; the message carries the server's
 * reason phrase where there is one.
 *
 * Since: 0.1
 */
#define BURROW_TURN_ERROR (burrow_turn_error_quark ())

/**
 * BurrowTurnError:
 * @BURROW_TURN_ERROR_FAILED: an unspecified failure
 * @BURROW_TURN_ERROR_TIMEOUT: the server did not answer before the
 *   retransmission schedule (or, over TCP and TLS, the transaction timeout)
 *   ran out
 * @BURROW_TURN_ERROR_RESOLVE: the server name could not be resolved
 * @BURROW_TURN_ERROR_NETWORK: a socket operation failed, or the connection
 *   to the server could not be made
 * @BURROW_TURN_ERROR_TLS: the TLS handshake with the server failed, for
 *   example because its certificate is not trusted
 * @BURROW_TURN_ERROR_CONNECTION_LOST: the TCP or TLS connection to the
 *   server closed while an allocation was using it
 * @BURROW_TURN_ERROR_BAD_REQUEST: 400 Bad Request
 * @BURROW_TURN_ERROR_UNAUTHORIZED: 401 Unauthorized: the server rejected
 *   the username or password, or wants credentials that were not given
 * @BURROW_TURN_ERROR_FORBIDDEN: 403 Forbidden
 * @BURROW_TURN_ERROR_UNKNOWN_ATTRIBUTE: 420 Unknown Attribute
 * @BURROW_TURN_ERROR_ALLOCATION_MISMATCH: 437 Allocation Mismatch: an
 *   allocation already exists on this 5-tuple, or none exists for a
 *   refresh
 * @BURROW_TURN_ERROR_STALE_NONCE: 438 Stale Nonce, returned only when the
 *   server keeps answering it after the client retried with a fresh nonce
 * @BURROW_TURN_ERROR_ADDRESS_FAMILY_NOT_SUPPORTED: 440 Address Family not
 *   Supported
 * @BURROW_TURN_ERROR_WRONG_CREDENTIALS: 441 Wrong Credentials: the
 *   credentials differ from those that created the allocation
 * @BURROW_TURN_ERROR_UNSUPPORTED_TRANSPORT_PROTOCOL: 442 Unsupported
 *   Transport Protocol
 * @BURROW_TURN_ERROR_PEER_ADDRESS_FAMILY_MISMATCH: 443 Peer Address Family
 *   Mismatch: the peer's family differs from the relayed address's
 * @BURROW_TURN_ERROR_ALLOCATION_QUOTA_REACHED: 486 Allocation Quota
 *   Reached
 * @BURROW_TURN_ERROR_SERVER_ERROR: 500 Server Error, or any other error
 *   response without a more precise code
 * @BURROW_TURN_ERROR_INSUFFICIENT_CAPACITY: 508 Insufficient Capacity
 * @BURROW_TURN_ERROR_TOO_MANY_REDIRECTS: 300 Try Alternate was followed as
 *   often as allowed, or led back to a server already tried
 * @BURROW_TURN_ERROR_NO_PERMISSION: the allocation has no permission for
 *   the peer's address (create one first)
 * @BURROW_TURN_ERROR_NO_ALLOCATION: the allocation expired, was released or
 *   failed
 * @BURROW_TURN_ERROR_INVALID_ARGUMENT: a value passed to the API is out of
 *   range or badly formed
 *
 * Error codes of the `BURROW_TURN_ERROR` domain.
 *
 * Since: 0.1
 */
typedef enum {
  BURROW_TURN_ERROR_FAILED,
  BURROW_TURN_ERROR_TIMEOUT,
  BURROW_TURN_ERROR_RESOLVE,
  BURROW_TURN_ERROR_NETWORK,
  BURROW_TURN_ERROR_TLS,
  BURROW_TURN_ERROR_CONNECTION_LOST,
  BURROW_TURN_ERROR_BAD_REQUEST,
  BURROW_TURN_ERROR_UNAUTHORIZED,
  BURROW_TURN_ERROR_FORBIDDEN,
  BURROW_TURN_ERROR_UNKNOWN_ATTRIBUTE,
  BURROW_TURN_ERROR_ALLOCATION_MISMATCH,
  BURROW_TURN_ERROR_STALE_NONCE,
  BURROW_TURN_ERROR_ADDRESS_FAMILY_NOT_SUPPORTED,
  BURROW_TURN_ERROR_WRONG_CREDENTIALS,
  BURROW_TURN_ERROR_UNSUPPORTED_TRANSPORT_PROTOCOL,
  BURROW_TURN_ERROR_PEER_ADDRESS_FAMILY_MISMATCH,
  BURROW_TURN_ERROR_ALLOCATION_QUOTA_REACHED,
  BURROW_TURN_ERROR_SERVER_ERROR,
  BURROW_TURN_ERROR_INSUFFICIENT_CAPACITY,
  BURROW_TURN_ERROR_TOO_MANY_REDIRECTS,
  BURROW_TURN_ERROR_NO_PERMISSION,
  BURROW_TURN_ERROR_NO_ALLOCATION,
  BURROW_TURN_ERROR_INVALID_ARGUMENT,
} BurrowTurnError;

BURROW_API
GQuark burrow_turn_error_quark (void);

/**
 * BURROW_ICE_ERROR:
 *
 * Error domain for ICE: candidates that cannot be read from SDP or cannot
 * be used, and failures of the agent. Errors in this domain use the codes
 * of [enum@Burrow.IceError]; the message says which field of a candidate
 * line is wrong and why.
 *
 * Since: 0.1
 */
#define BURROW_ICE_ERROR (burrow_ice_error_quark ())

/**
 * BurrowIceError:
 * @BURROW_ICE_ERROR_FAILED: an unspecified failure
 * @BURROW_ICE_ERROR_INVALID_CANDIDATE: a candidate line is well formed but
 *   its values cannot make a candidate: a number out of range, an unknown
 *   type or transport, an address that is not an IP address (mDNS ".local"
 *   names among them)
 * @BURROW_ICE_ERROR_INVALID_SDP: the text does not follow the SDP grammar
 *   it should: too long, stray bytes, missing or non-numeric fields, an
 *   attribute without a value
 *
 * Error codes of the `BURROW_ICE_ERROR` domain.
 *
 * Since: 0.1
 */
typedef enum {
  BURROW_ICE_ERROR_FAILED,
  BURROW_ICE_ERROR_INVALID_CANDIDATE,
  BURROW_ICE_ERROR_INVALID_SDP,
} BurrowIceError;

BURROW_API
GQuark burrow_ice_error_quark (void);

G_END_DECLS
