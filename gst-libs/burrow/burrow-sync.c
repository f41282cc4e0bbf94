/* burrow-sync.c: blocking wrappers over async operations
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Burrow objects do their I/O on the GMainContext that was thread-default
 * when they were made. A blocking call either drives that context itself
 * (when this thread can own it: the usual case of a script without a main
 * loop, or a call from the loop's own thread) or, when another thread runs
 * the context, starts the operation there and waits for it.
 */
#include "config.h"

#include "burrow-sync-private.h"

typedef struct {
  GMutex lock;
  GCond cond;
  GAsyncResult *result;
  gpointer source_object;
  BurrowAsyncStartFunc start;
  GCancellable *cancellable;
  GMainContext *context;
} SyncData;

static void
sync_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SyncData *data = user_data;

  g_mutex_lock (&data->lock);
  data->result = g_object_ref (result);
  g_cond_signal (&data->cond);
  g_mutex_unlock (&data->lock);
}

static gboolean
sync_start_in_context (gpointer user_data)
{
  SyncData *data = user_data;
  GMainContext *context;

  /* We are dispatching from the object's context: make it the
   * thread-default one so that the operation's callbacks come back here. */
  context = data->context;
  g_main_context_push_thread_default (context);
  data->start (data->source_object, data->cancellable, sync_done_cb, data);
  g_main_context_pop_thread_default (context);
  return G_SOURCE_REMOVE;
}

GAsyncResult *
burrow_run_sync (GMainContext *context, gpointer source_object,
    BurrowAsyncStartFunc start, GCancellable *cancellable)
{
  SyncData data = { 0 };
  GAsyncResult *result;

  g_mutex_init (&data.lock);
  g_cond_init (&data.cond);
  data.source_object = source_object;
  data.start = start;
  data.cancellable = cancellable;
  data.context = context;

  if (g_main_context_acquire (context)) {
    g_main_context_push_thread_default (context);
    start (source_object, cancellable, sync_done_cb, &data);
    while (data.result == NULL)
      g_main_context_iteration (context, TRUE);
    g_main_context_pop_thread_default (context);
    g_main_context_release (context);
  } else {
    /* Another thread owns the context and runs it. Always go through a
     * source: g_main_context_invoke() would run inline if the owner let go
     * of the context meanwhile, and then nobody would iterate it. */
    GSource *idle = g_idle_source_new ();

    g_source_set_static_name (idle, "[burrow] sync start");
    g_source_set_callback (idle, sync_start_in_context, &data, NULL);
    g_source_attach (idle, context);
    g_source_unref (idle);
    g_mutex_lock (&data.lock);
    while (data.result == NULL)
      g_cond_wait (&data.cond, &data.lock);
    g_mutex_unlock (&data.lock);
  }

  result = data.result;
  g_mutex_clear (&data.lock);
  g_cond_clear (&data.cond);
  return result;
}
