/* burrow-error.c: error domains
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "burrow-error.h"

/**
 * burrow_stun_error_quark:
 *
 * The error domain of STUN: see [error@Burrow.StunError].
 *
 * Returns: the quark of %BURROW_STUN_ERROR
 *
 * Since: 0.1
 */
G_DEFINE_QUARK (burrow-stun-error-quark, burrow_stun_error)

/**
 * burrow_turn_error_quark:
 *
 * The error domain of TURN: see [error@Burrow.TurnError].
 *
 * Returns: the quark of %BURROW_TURN_ERROR
 *
 * Since: 0.1
 */
G_DEFINE_QUARK (burrow-turn-error-quark, burrow_turn_error)

/**
 * burrow_ice_error_quark:
 *
 * The error domain of ICE: see [error@Burrow.IceError].
 *
 * Returns: the quark of %BURROW_ICE_ERROR
 *
 * Since: 0.1
 */
G_DEFINE_QUARK (burrow-ice-error-quark, burrow_ice_error)
