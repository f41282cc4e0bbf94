/* burrow-nat-report.h: the result of RFC 5780 NAT behaviour discovery
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
 * BurrowNatBehavior:
 * @BURROW_NAT_BEHAVIOR_UNKNOWN: could not be determined (the report's
 *   [property@Burrow.NatReport:problems] say why)
 * @BURROW_NAT_BEHAVIOR_ENDPOINT_INDEPENDENT: the same for every remote
 *   endpoint
 * @BURROW_NAT_BEHAVIOR_ADDRESS_DEPENDENT: depends on the remote address
 * @BURROW_NAT_BEHAVIOR_ADDRESS_AND_PORT_DEPENDENT: depends on the remote
 *   address and port
 *
 * Mapping or filtering behaviour of a NAT, in the terms of RFC 4787 and
 * RFC 5780.
 *
 * Since: 0.1
 */
typedef enum {
  BURROW_NAT_BEHAVIOR_UNKNOWN,
  BURROW_NAT_BEHAVIOR_ENDPOINT_INDEPENDENT,
  BURROW_NAT_BEHAVIOR_ADDRESS_DEPENDENT,
  BURROW_NAT_BEHAVIOR_ADDRESS_AND_PORT_DEPENDENT,
} BurrowNatBehavior;

/**
 * BurrowNatType:
 * @BURROW_NAT_TYPE_UNKNOWN: not enough was learned to classify
 * @BURROW_NAT_TYPE_NONE: no NAT: the mapped address is the local one
 * @BURROW_NAT_TYPE_FULL_CONE: endpoint-independent mapping and filtering
 * @BURROW_NAT_TYPE_RESTRICTED_CONE: endpoint-independent mapping,
 *   address-dependent filtering
 * @BURROW_NAT_TYPE_PORT_RESTRICTED: endpoint-independent mapping,
 *   address-and-port-dependent filtering
 * @BURROW_NAT_TYPE_SYMMETRIC: mapping that depends on the remote endpoint
 * @BURROW_NAT_TYPE_UDP_BLOCKED: the server never answered over UDP
 *
 * The classic (RFC 3489) name of a NAT, derived from its mapping and
 * filtering behaviour.
 *
 * Since: 0.1
 */
typedef enum {
  BURROW_NAT_TYPE_UNKNOWN,
  BURROW_NAT_TYPE_NONE,
  BURROW_NAT_TYPE_FULL_CONE,
  BURROW_NAT_TYPE_RESTRICTED_CONE,
  BURROW_NAT_TYPE_PORT_RESTRICTED,
  BURROW_NAT_TYPE_SYMMETRIC,
  BURROW_NAT_TYPE_UDP_BLOCKED,
} BurrowNatType;

/**
 * BurrowHairpinning:
 * @BURROW_HAIRPINNING_UNKNOWN: not tested, or the test could not run
 * @BURROW_HAIRPINNING_SUPPORTED: a packet sent to the own mapped address
 *   came back
 * @BURROW_HAIRPINNING_UNSUPPORTED: it did not come back
 *
 * Whether the NAT loops packets sent to its own external address back in.
 *
 * Since: 0.1
 */
typedef enum {
  BURROW_HAIRPINNING_UNKNOWN,
  BURROW_HAIRPINNING_SUPPORTED,
  BURROW_HAIRPINNING_UNSUPPORTED,
} BurrowHairpinning;

#define BURROW_TYPE_NAT_REPORT (burrow_nat_report_get_type ())
BURROW_API
G_DECLARE_FINAL_TYPE (BurrowNatReport, burrow_nat_report, BURROW, NAT_REPORT, GObject)

BURROW_API
BurrowNatBehavior   burrow_nat_report_get_mapping          (BurrowNatReport *report);
BURROW_API
BurrowNatBehavior   burrow_nat_report_get_filtering        (BurrowNatReport *report);
BURROW_API
BurrowNatType       burrow_nat_report_get_nat_type         (BurrowNatReport *report);
BURROW_API
BurrowHairpinning   burrow_nat_report_get_hairpinning      (BurrowNatReport *report);
BURROW_API
GInetSocketAddress *burrow_nat_report_get_external_address (BurrowNatReport *report);
BURROW_API
GInetSocketAddress *burrow_nat_report_get_local_address    (BurrowNatReport *report);
BURROW_API
GInetSocketAddress *burrow_nat_report_get_other_address    (BurrowNatReport *report);
BURROW_API
const gchar * const *burrow_nat_report_get_problems        (BurrowNatReport *report);
BURROW_API
gchar *             burrow_nat_report_to_json              (BurrowNatReport *report);

BURROW_API
const gchar *       burrow_nat_type_to_string              (BurrowNatType type);
BURROW_API
const gchar *       burrow_nat_behavior_to_string          (BurrowNatBehavior behavior);
BURROW_API
const gchar *       burrow_hairpinning_to_string           (BurrowHairpinning hairpinning);
BURROW_API
BurrowNatType       burrow_nat_type_from_behavior          (BurrowNatBehavior mapping,
                                                            BurrowNatBehavior filtering);

G_END_DECLS
