/* burrow-net-private.h: socket helpers shared by the clients (private)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A UDP socket of @family bound to @local_address (NULL: any) and @port.
 * Fails with G_IO_ERROR_INVALID_ARGUMENT for a bad or wrong-family local
 * address, or with the socket's error. */
GSocket *burrow_udp_socket_open (const gchar   *local_address,
                                 guint16        port,
                                 GSocketFamily  family,
                                 GError       **error);

G_END_DECLS
