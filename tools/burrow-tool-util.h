/* burrow-tool-util.h: what the command-line tools share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Splits HOST, HOST:PORT, [IPV6] or [IPV6]:PORT (a bare IPv6 address has
 * more than one colon and is all host). @port is @default_port without a
 * port; @has_port (nullable) says whether there was one. FALSE, with
 * nothing in @host, when the brackets or the port (1 to 65535) are wrong;
 * the host may be empty ("" or ":80"): callers that mind check. */
gboolean burrow_tool_split_host_port (const gchar *arg,
                                      guint16      default_port,
                                      gchar      **host,
                                      guint16     *port,
                                      gboolean    *has_port);

G_END_DECLS
