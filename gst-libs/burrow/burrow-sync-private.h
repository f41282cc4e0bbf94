/* burrow-sync-private.h: blocking wrappers over async operations (private)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef void (*BurrowAsyncStartFunc) (gpointer             source_object,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);

GAsyncResult *burrow_run_sync (GMainContext         *context,
                               gpointer              source_object,
                               BurrowAsyncStartFunc  start,
                               GCancellable         *cancellable);

G_END_DECLS
