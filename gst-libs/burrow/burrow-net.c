/* burrow-net.c: socket helpers shared by the clients
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "burrow-net-private.h"
#include "stun/burrow-stun-endpoint.h"

GSocket *
burrow_udp_socket_open (const gchar *local_address, guint16 port, GSocketFamily family,
    GError **error)
{
  g_autoptr(GInetAddress) ip = NULL;
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GError) local_error = NULL;

  if (local_address) {
    ip = g_inet_address_new_from_string (local_address);
    if (ip == NULL || g_inet_address_get_family (ip) != family) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
          ip ? "Local address '%s' is not of the server's address family" :
          "Local address '%s' is not an IP address", local_address);
      return NULL;
    }
  } else {
    ip = g_inet_address_new_any (family);
  }

  local = g_inet_socket_address_new (ip, port);
  socket = g_socket_new (family, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &local_error);
  if (socket && !g_socket_bind (socket, local, FALSE, &local_error))
    g_clear_object (&socket);
  if (socket == NULL) {
    g_autofree gchar *where = burrow_socket_address_to_string (local);

    g_set_error (error, G_IO_ERROR, local_error->code, "Could not open a UDP socket on %s: %s",
        where, local_error->message);
    return NULL;
  }
  return g_steal_pointer (&socket);
}
