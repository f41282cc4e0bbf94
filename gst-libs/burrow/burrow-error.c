/* burrow-error.c: error domains
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "burrow-error.h"

G_DEFINE_QUARK (burrow-stun-error-quark, burrow_stun_error)
