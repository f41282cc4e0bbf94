/* burrow-test-util.c: fixtures shared by the C tests
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "burrow-test-util.h"

#include <signal.h>
#include <string.h>
#include <glib/gstdio.h>

GSocket *
burrow_test_udp_socket (const gchar *address, guint16 *port)
{
  g_autoptr(GInetAddress) ip = g_inet_address_new_from_string (address);
  g_autoptr(GSocketAddress) sa = g_inet_socket_address_new (ip, port ? *port : 0);
  g_autoptr(GSocket) socket = g_socket_new (g_inet_address_get_family (ip),
      G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr(GSocketAddress) bound = NULL;

  if (socket == NULL || !g_socket_bind (socket, sa, FALSE, NULL))
    return NULL;
  bound = g_socket_get_local_address (socket, NULL);
  if (port)
    *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  return g_steal_pointer (&socket);
}

static gboolean
port_free (GSocketType type, GSocketProtocol protocol, guint16 port)
{
  g_autoptr(GInetAddress) any = g_inet_address_new_any (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) sa = g_inet_socket_address_new (any, port);
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, type, protocol, NULL);

  return socket && g_socket_bind (socket, sa, FALSE, NULL);
}

/* A port p such that p .. p+span-1 are free for UDP and TCP right now. */
guint16
burrow_test_free_udp_port (guint16 span)
{
  guint attempt, i;

  for (attempt = 0; attempt < 200; attempt++) {
    guint16 base = (guint16) g_random_int_range (20000, 40000);
    gboolean ok = TRUE;

    for (i = 0; i < span && ok; i++)
      ok = port_free (G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, base + i) &&
          port_free (G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, base + i);
    if (ok)
      return base;
  }
  g_error ("no free port range found");
  return 0;
}

/* Sends Binding requests every 100 ms until one is answered. */
gboolean
burrow_test_wait_stun (const gchar *address, guint16 port, guint timeout_ms)
{
  g_autoptr(GSocket) socket = burrow_test_udp_socket ("127.0.0.1", NULL);
  g_autoptr(GInetAddress) ip = g_inet_address_new_from_string (address);
  g_autoptr(GSocketAddress) to = g_inet_socket_address_new (ip, port);
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  g_socket_set_timeout (socket, 0);
  while (g_get_monotonic_time () < deadline) {
    g_autoptr(BurrowStunMessage) req = burrow_stun_message_new_request (BURROW_STUN_METHOD_BINDING);
    g_autoptr(GBytes) wire = burrow_stun_message_serialize (req, BURROW_STUN_SIGN_NONE, NULL, 0, NULL);
    guint8 buf[2048];
    gssize n;

    g_socket_send_to (socket, to, g_bytes_get_data (wire, NULL), g_bytes_get_size (wire), NULL, NULL);
    if (g_socket_condition_timed_wait (socket, G_IO_IN, 100000, NULL, NULL)) {
      n = g_socket_receive (socket, (gchar *) buf, sizeof buf, NULL, NULL);
      if (n >= 20 && burrow_stun_message_is_stun (buf, n))
        return TRUE;
    }
  }
  return FALSE;
}

BurrowTestTurnServer *
burrow_test_turnserver_start (gboolean rfc5780, const gchar * const *extra_args, GError **error)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  BurrowTestTurnServer *server;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autofree gchar *turnserver = g_find_program_in_path ("turnserver");
  guint i;

  if (turnserver == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "coturn's turnserver is not installed");
    return NULL;
  }

  server = g_new0 (BurrowTestTurnServer, 1);
  server->dir = g_dir_make_tmp ("burrow-coturn-XXXXXX", NULL);
  server->address = g_strdup ("127.0.0.1");
  server->alt_address = rfc5780 ? g_strdup ("127.0.0.2") : NULL;
  /* the port, its RFC 5780 alternate, and a small relay range after them */
  server->port = burrow_test_free_udp_port (2);
  server->alt_port = server->port + 1;

  g_ptr_array_add (argv, g_strdup ("turnserver"));
  g_ptr_array_add (argv, g_strdup ("-n"));
  g_ptr_array_add (argv, g_strdup ("--no-cli"));
  g_ptr_array_add (argv, g_strdup ("--no-tls"));
  g_ptr_array_add (argv, g_strdup ("--no-dtls"));
  g_ptr_array_add (argv, g_strdup ("--simple-log"));
  g_ptr_array_add (argv, g_strdup_printf ("--log-file=%s/turn.log", server->dir));
  g_ptr_array_add (argv, g_strdup_printf ("--pidfile=%s/turn.pid", server->dir));
  g_ptr_array_add (argv, g_strdup_printf ("--db=%s/turndb", server->dir));
  g_ptr_array_add (argv, g_strdup_printf ("--listening-ip=%s", server->address));
  if (rfc5780)
    g_ptr_array_add (argv, g_strdup_printf ("--listening-ip=%s", server->alt_address));
  else
    g_ptr_array_add (argv, g_strdup ("--no-rfc5780"));
  g_ptr_array_add (argv, g_strdup_printf ("--listening-port=%u", server->port));
  g_ptr_array_add (argv, g_strdup_printf ("--alt-listening-port=%u", server->alt_port));
  for (i = 0; extra_args && extra_args[i]; i++)
    g_ptr_array_add (argv, g_strdup (extra_args[i]));
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
      G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  server->process = g_subprocess_launcher_spawnv (launcher,
      (const gchar * const *) argv->pdata, error);
  if (server->process == NULL) {
    burrow_test_turnserver_stop (server);
    return NULL;
  }
  if (!burrow_test_wait_stun (server->address, server->port, 10000)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
        "coturn did not answer on %s:%u within 10 s (log in %s)",
        server->address, server->port, server->dir);
    burrow_test_turnserver_stop (server);
    return NULL;
  }
  g_test_message ("coturn on %s:%u (alt %s:%u), log in %s", server->address, server->port,
      server->alt_address ? server->alt_address : "-", server->alt_port, server->dir);
  return server;
}

static void
remove_dir (const gchar *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const gchar *name;

  while (dir && (name = g_dir_read_name (dir)) != NULL) {
    g_autofree gchar *child = g_build_filename (path, name, NULL);

    g_remove (child);
  }
  g_rmdir (path);
}

void
burrow_test_turnserver_stop (BurrowTestTurnServer *server)
{
  if (server == NULL)
    return;
  if (server->process) {
    gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

    /* GSubprocess reaps the child in GLib's worker thread; the identifier
     * goes NULL once it has exited. */
    g_subprocess_send_signal (server->process, SIGTERM);
    while (g_subprocess_get_identifier (server->process) != NULL &&
        g_get_monotonic_time () < deadline)
      g_usleep (20000);
    if (g_subprocess_get_identifier (server->process) != NULL)
      g_subprocess_force_exit (server->process);
    g_subprocess_wait (server->process, NULL, NULL);
    g_clear_object (&server->process);
  }
  if (server->dir && g_getenv ("BURROW_TEST_KEEP_LOGS") == NULL)
    remove_dir (server->dir);
  g_free (server->dir);
  g_free (server->address);
  g_free (server->alt_address);
  g_free (server);
}

static gboolean
timeout_flag_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the thread-default context until *flag is set, or fails the
 * test after timeout_ms. */
void
burrow_test_run_until (gboolean *flag, guint timeout_ms)
{
  gboolean timed_out = FALSE;
  GMainContext *context = g_main_context_get_thread_default ();
  GSource *timer = g_timeout_source_new (timeout_ms);

  g_source_set_callback (timer, timeout_flag_cb, &timed_out, NULL);
  g_source_attach (timer, context);
  while (!*flag && !timed_out)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (timer);
  g_source_unref (timer);
  if (!*flag)
    g_error ("timed out after %u ms waiting for a condition", timeout_ms);
}
