/* burrow-tool-util.c: what the command-line tools share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "burrow-tool-util.h"

#include <string.h>

gboolean
burrow_tool_split_host_port (const gchar *arg, guint16 default_port, gchar **host,
    guint16 *port, gboolean *has_port)
{
  guint64 value = default_port;
  const gchar *colon = NULL;

  *host = NULL;
  if (arg[0] == '[') {
    const gchar *end = strchr (arg, ']');

    if (end == NULL || (end[1] != '\0' && end[1] != ':'))
      return FALSE;
    colon = end[1] == ':' ? end + 1 : NULL;
    if (colon && !g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &value, NULL))
      return FALSE;
    *host = g_strndup (arg + 1, end - arg - 1);
  } else if ((colon = strrchr (arg, ':')) != NULL && strchr (arg, ':') == colon) {
    if (!g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &value, NULL))
      return FALSE;
    *host = g_strndup (arg, colon - arg);
  } else {
    colon = NULL;
    *host = g_strdup (arg);
  }
  if (has_port)
    *has_port = colon != NULL;
  *port = (guint16) value;
  return TRUE;
}
