/* burrow.h: the one header to include for Burrow
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#define __BURROW_H_INSIDE__

#include <burrow/burrow-export.h>
#include <burrow/burrow-version.h>
#include <burrow/burrow-error.h>
#include <burrow/burrow-enum-types.h>
#include <burrow/stun/burrow-stun-message.h>
#include <burrow/stun/burrow-stun-credentials.h>
#include <burrow/burrow-nat-report.h>
#include <burrow/burrow-stun-client.h>
#include <burrow/burrow-allocate-options.h>
#include <burrow/burrow-relay-allocation.h>
#include <burrow/burrow-turn-client.h>
#include <burrow/burrow-candidate.h>
#include <burrow/burrow-agent.h>

#undef __BURROW_H_INSIDE__
