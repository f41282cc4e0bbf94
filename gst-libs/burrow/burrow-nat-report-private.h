/* burrow-nat-report-private.h: building a BurrowNatReport (private)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "burrow-nat-report.h"

G_BEGIN_DECLS

BurrowNatReport *burrow_nat_report_new          (void);
void             burrow_nat_report_set_mapping  (BurrowNatReport *report,
                                                 BurrowNatBehavior mapping);
void             burrow_nat_report_set_filtering (BurrowNatReport *report,
                                                  BurrowNatBehavior filtering);
void             burrow_nat_report_set_nat_type (BurrowNatReport *report,
                                                 BurrowNatType type);
void             burrow_nat_report_set_hairpinning (BurrowNatReport *report,
                                                    BurrowHairpinning hairpinning);
void             burrow_nat_report_set_addresses (BurrowNatReport    *report,
                                                  GInetSocketAddress *local,
                                                  GInetSocketAddress *external,
                                                  GInetSocketAddress *other);
void             burrow_nat_report_add_problem  (BurrowNatReport *report,
                                                 const gchar     *format,
                                                 ...) G_GNUC_PRINTF (2, 3);

G_END_DECLS
