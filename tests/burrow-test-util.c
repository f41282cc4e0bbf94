/* burrow-test-util.c: fixtures shared by the C tests
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "burrow-test-util.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
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

GInetSocketAddress *
burrow_test_inet_address (const gchar *ip, guint16 port)
{
  return G_INET_SOCKET_ADDRESS (g_inet_socket_address_new_from_string (ip, port));
}

gchar *
burrow_test_address_to_string (GInetSocketAddress *address)
{
  g_autofree gchar *ip = NULL;

  if (address == NULL)
    return g_strdup ("(none)");
  ip = g_inet_address_to_string (g_inet_socket_address_get_address (address));
  if (g_inet_address_get_family (g_inet_socket_address_get_address (address)) ==
      G_SOCKET_FAMILY_IPV6)
    return g_strdup_printf ("[%s]:%u", ip, g_inet_socket_address_get_port (address));
  return g_strdup_printf ("%s:%u", ip, g_inet_socket_address_get_port (address));
}

static gboolean
port_free (GSocketType type, GSocketProtocol protocol, guint16 port)
{
  g_autoptr(GInetAddress) any = g_inet_address_new_any (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) sa = g_inet_socket_address_new (any, port);
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, type, protocol, NULL);

  return socket && g_socket_bind (socket, sa, FALSE, NULL);
}

/* Ranges handed out by this process: coturn binds relay ports only when it
 * allocates, so a range given to one server still looks free when the next
 * server of the same test asks. */
static GArray *handed_out;
G_LOCK_DEFINE_STATIC (handed_out);

static gboolean
overlaps_handed_out (guint16 base, guint16 span)
{
  guint i;

  if (handed_out == NULL)
    handed_out = g_array_new (FALSE, FALSE, sizeof (guint32));
  for (i = 0; i < handed_out->len; i++) {
    guint32 range = g_array_index (handed_out, guint32, i);
    guint16 b = range >> 16, s = range & 0xffff;

    if (base < b + s && b < base + span)
      return TRUE;
  }
  return FALSE;
}

/* A port p such that p .. p+span-1 are free for UDP and TCP right now,
 * below the kernel's ephemeral range (32768 and up) so that no socket bound
 * to port 0 takes one of them before the server binds it. */
guint16
burrow_test_free_udp_port (guint16 span)
{
  guint attempt, i;

  G_LOCK (handed_out);
  for (attempt = 0; attempt < 500; attempt++) {
    guint16 base = (guint16) g_random_int_range (20000, 32700 - span);
    gboolean ok = !overlaps_handed_out (base, span);

    for (i = 0; i < span && ok; i++)
      ok = port_free (G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, base + i) &&
          port_free (G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, base + i);
    if (ok) {
      guint32 range = ((guint32) base << 16) | span;

      g_array_append_val (handed_out, range);
      G_UNLOCK (handed_out);
      return base;
    }
  }
  G_UNLOCK (handed_out);
  g_error ("no free port range found");
  return 0;
}

/* Sends Binding requests every 100 ms until one is answered. */
gboolean
burrow_test_wait_stun (const gchar *address, guint16 port, guint timeout_ms)
{
  g_autoptr(GInetAddress) ip = g_inet_address_new_from_string (address);
  g_autoptr(GSocket) socket = burrow_test_udp_socket (
      g_inet_address_get_family (ip) == G_SOCKET_FAMILY_IPV6 ? "::1" : "127.0.0.1", NULL);
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

/* Connects to a TCP port every 50 ms until it accepts. */
static gboolean
wait_tcp (const gchar *address, guint16 port, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (g_get_monotonic_time () < deadline) {
    g_autoptr(GSocketAddress) to = g_inet_socket_address_new_from_string (address, port);
    g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
        G_SOCKET_PROTOCOL_TCP, NULL);

    if (socket && g_socket_connect (socket, to, NULL, NULL))
      return TRUE;
    g_usleep (50000);
  }
  return FALSE;
}

/* ---- coturn ---- */

/* A self-signed certificate for 127.0.0.1 and localhost, with its key. */
static gboolean
make_certificate (BurrowTestTurnServer *server, GError **error)
{
  g_autofree gchar *key_arg = NULL;
  g_autofree gchar *cert_arg = NULL;
  g_autofree gchar *errors = NULL;
  gint status = 0;

  server->cert_file = g_build_filename (server->dir, "cert.pem", NULL);
  server->key_file = g_build_filename (server->dir, "key.pem", NULL);
  {
    const gchar *argv[] = { "openssl", "req", "-x509", "-newkey", "ec",
      "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", server->key_file, "-out", server->cert_file, "-days", "2",
      "-subj", "/CN=localhost",
      "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", NULL };

    if (!g_spawn_sync (server->dir, (gchar **) argv, NULL,
            G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
            NULL, &errors, &status, error))
      return FALSE;
  }
  if (!g_spawn_check_wait_status (status, NULL)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "openssl could not make a certificate: %s", errors);
    return FALSE;
  }
  return TRUE;
}

static void
add_arg (GPtrArray *argv, const gchar *format, ...) G_GNUC_PRINTF (2, 3);

static void
add_arg (GPtrArray *argv, const gchar *format, ...)
{
  va_list args;

  va_start (args, format);
  g_ptr_array_add (argv, g_strdup_vprintf (format, args));
  va_end (args);
}

static void
add_auth_args (GPtrArray *argv, BurrowTestTurnServer *server,
    const BurrowTestTurnOptions *options)
{
  if (options->anonymous)
    return;
  server->realm = g_strdup (options->realm ? options->realm : BURROW_TEST_TURN_REALM);
  add_arg (argv, "--realm=%s", server->realm);
  if (options->auth_secret) {
    /* REST credentials: --lt-cred-mech too would be overridden, with a
     * configuration alert in the log. */
    server->auth_secret = g_strdup (options->auth_secret);
    add_arg (argv, "--use-auth-secret");
    add_arg (argv, "--static-auth-secret=%s", server->auth_secret);
    return;
  }
  server->user = g_strdup (options->user ? options->user : BURROW_TEST_TURN_USER);
  server->password = g_strdup (options->password ? options->password : BURROW_TEST_TURN_PASSWORD);
  add_arg (argv, "--lt-cred-mech");
  add_arg (argv, "--user=%s:%s", server->user, server->password);
}

static GPtrArray *
build_argv (BurrowTestTurnServer *server, const BurrowTestTurnOptions *options)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);
  guint i;

  add_arg (argv, "turnserver");
  add_arg (argv, "-n");              /* no configuration file */
  add_arg (argv, "--verbose");       /* one line per request in the log */
  add_arg (argv, "--no-cli");
  add_arg (argv, "--no-dtls");
  if (server->cert_file) {
    add_arg (argv, "--cert=%s", server->cert_file);
    add_arg (argv, "--pkey=%s", server->key_file);
    add_arg (argv, "--tls-listening-port=%u", server->tls_port);
  } else {
    add_arg (argv, "--no-tls");
  }
  add_arg (argv, "--simple-log");
  add_arg (argv, "--log-file=%s", server->log_file);
  add_arg (argv, "--pidfile=%s/turn.pid", server->dir);
  add_arg (argv, "--db=%s/turndb", server->dir);
  add_arg (argv, "--listening-ip=%s", server->address);
  add_arg (argv, "--relay-ip=%s", server->address);
  if (server->ipv6_address) {
    add_arg (argv, "--listening-ip=%s", server->ipv6_address);
    add_arg (argv, "--relay-ip=%s", server->ipv6_address);
  }
  if (server->alt_address)
    add_arg (argv, "--listening-ip=%s", server->alt_address);
  else
    add_arg (argv, "--no-rfc5780");
  add_arg (argv, "--listening-port=%u", server->port);
  add_arg (argv, "--alt-listening-port=%u", server->alt_port);
  add_arg (argv, "--min-port=%u", server->min_port);
  add_arg (argv, "--max-port=%u", server->max_port);
  add_arg (argv, "--allow-loopback-peers");
  add_auth_args (argv, server, options);
  if (options->stale_nonce)
    add_arg (argv, "--stale-nonce=%u", options->stale_nonce);
  if (options->max_allocate_lifetime)
    add_arg (argv, "--max-allocate-lifetime=%u", options->max_allocate_lifetime);
  if (options->alternate_server)
    add_arg (argv, "--alternate-server=%s", options->alternate_server);
  for (i = 0; options->extra_args && options->extra_args[i]; i++)
    add_arg (argv, "%s", options->extra_args[i]);
  g_ptr_array_add (argv, NULL);
  return argv;
}

/* The server dies with the test, even when an assertion aborts it before
 * its fixture's teardown runs. */
static void
child_setup (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (getppid () != GPOINTER_TO_INT (user_data))
    _exit (1);
}

static gchar *
log_tail (BurrowTestTurnServer *server, gsize max)
{
  g_autofree gchar *contents = NULL;
  gsize len = 0;

  if (!g_file_get_contents (server->log_file, &contents, &len, NULL))
    return g_strdup ("(no log)");
  return g_strdup (len > max ? contents + len - max : contents);
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

/* A test that failed an assertion aborted before its teardown: its server
 * died with it (PR_SET_PDEATHSIG) but its directory stayed, log and all,
 * for a look. A later run removes those of dead processes, once they are a
 * quarter of an hour old (no test program runs that long, and a process in
 * another PID namespace looks dead). */
static void
sweep_stale_dirs (void)
{
  static gsize swept = 0;
  g_autoptr(GDir) tmp = NULL;
  const gchar *name;

  if (!g_once_init_enter (&swept))
    return;
  tmp = g_dir_open (g_get_tmp_dir (), 0, NULL);
  while (tmp && g_getenv ("BURROW_TEST_KEEP_LOGS") == NULL &&
      (name = g_dir_read_name (tmp)) != NULL) {
    const gchar *rest;
    gchar *end = NULL;
    gint64 pid;

    if (!g_str_has_prefix (name, "burrow-coturn-"))
      continue;
    rest = name + strlen ("burrow-coturn-");
    pid = g_ascii_strtoll (rest, &end, 10);
    if (end == rest || *end != '-' || pid <= 0 || pid == getpid () ||
        kill ((pid_t) pid, 0) == 0 || errno != ESRCH)
      continue;
    {
      g_autofree gchar *path = g_build_filename (g_get_tmp_dir (), name, NULL);
      GStatBuf st;

      if (g_stat (path, &st) == 0 && (gint64) st.st_mtime < g_get_real_time () /
          G_USEC_PER_SEC - 15 * 60)
        remove_dir (path);
    }
  }
  g_once_init_leave (&swept, 1);
}

/* Waits until the server answers on every listener. Fails at once when it
 * died or could not bind a port (it would retry forever): *retry says
 * whether other ports may do better. */
static gboolean
wait_ready (BurrowTestTurnServer *server, const gchar *command, gboolean *retry,
    GError **error)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  g_autofree gchar *tail = NULL;
  const gchar *why = "did not answer within 10 s";

  *retry = FALSE;
  while (g_get_monotonic_time () < deadline) {
    if (g_subprocess_get_identifier (server->process) == NULL) {
      why = "exited";
      break;
    }
    if (burrow_test_turnserver_count_log (server, "Cannot bind") > 0) {
      why = "could not bind its ports";
      *retry = TRUE;
      break;
    }
    if (burrow_test_wait_stun (server->address, server->port, 200) &&
        (!server->ipv6_address || burrow_test_wait_stun (server->ipv6_address, server->port, 200)) &&
        (!server->tls_port || wait_tcp (server->address, server->tls_port, 200)))
      return TRUE;
  }
  tail = log_tail (server, 2000);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
      "coturn on port %u %s\n%s\nlog ends:\n%s", server->port, why, command, tail);
  return FALSE;
}

static void
pick_ports (BurrowTestTurnServer *server, const BurrowTestTurnOptions *options)
{
  /* the port and its RFC 5780 alternate */
  server->port = options->port ? options->port : burrow_test_free_udp_port (2);
  server->alt_port = server->port + 1;
  /* 16 relay ports from an even one (EVEN-PORT, RESERVATION-TOKEN) */
  server->min_port = (burrow_test_free_udp_port (17) + 1) & ~1;
  server->max_port = server->min_port + 15;
  if (options->tls)
    server->tls_port = burrow_test_free_udp_port (2);
}

static gboolean
spawn (BurrowTestTurnServer *server, const BurrowTestTurnOptions *options, gboolean *retry,
    GError **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = build_argv (server, options);
  g_autofree gchar *command = g_strjoinv (" ", (gchar **) argv->pdata);

  *retry = FALSE;
  g_remove (server->log_file);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
      G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup,
      GINT_TO_POINTER (getpid ()), NULL);
  server->process = g_subprocess_launcher_spawnv (launcher,
      (const gchar * const *) argv->pdata, error);
  if (server->process == NULL || !wait_ready (server, command, retry, error))
    return FALSE;
  g_debug ("%s", command);
  return TRUE;
}

BurrowTestTurnServer *
burrow_test_turnserver_start_full (const BurrowTestTurnOptions *options, GError **error)
{
  static const BurrowTestTurnOptions defaults = { 0 };
  g_autoptr(BurrowTestTurnServer) server = NULL;
  g_autofree gchar *turnserver = g_find_program_in_path ("turnserver");
  g_autofree gchar *template = NULL;
  gboolean retry = TRUE;
  guint attempt;

  if (options == NULL)
    options = &defaults;
  if (turnserver == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "coturn's turnserver is not installed");
    return NULL;
  }

  sweep_stale_dirs ();
  server = g_new0 (BurrowTestTurnServer, 1);
  template = g_strdup_printf ("burrow-coturn-%d-XXXXXX", (gint) getpid ());
  server->dir = g_dir_make_tmp (template, error);
  if (server->dir == NULL)
    return NULL;
  server->log_file = g_build_filename (server->dir, "turn.log", NULL);
  server->address = g_strdup ("127.0.0.1");
  server->alt_address = options->rfc5780 ? g_strdup ("127.0.0.2") : NULL;
  server->ipv6_address = options->ipv6 ? g_strdup ("::1") : NULL;
  if (options->tls && !make_certificate (server, error))
    return NULL;

  /* Free ports can be taken by someone else before coturn binds them. */
  for (attempt = 0; retry && attempt < 3; attempt++) {
    g_autoptr(GError) local_error = NULL;

    pick_ports (server, options);
    if (spawn (server, options, &retry, &local_error))
      break;
    burrow_test_turnserver_terminate (server);
    retry = retry && options->port == 0;
    if (!retry || attempt == 2) {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
    g_test_message ("%s; trying other ports", local_error->message);
  }
  g_test_message ("coturn on %s:%u%s (tls %u, relay %u-%u), log in %s",
      server->address, server->port, server->ipv6_address ? " and [::1]" : "",
      server->tls_port, server->min_port, server->max_port, server->log_file);
  return g_steal_pointer (&server);
}

/* The simple form: STUN tests, anonymous unless extra_args say otherwise. */
BurrowTestTurnServer *
burrow_test_turnserver_start (gboolean rfc5780, const gchar * const *extra_args, GError **error)
{
  BurrowTestTurnOptions options = { 0 };

  options.anonymous = TRUE;
  options.rfc5780 = rfc5780;
  options.extra_args = extra_args;
  return burrow_test_turnserver_start_full (&options, error);
}

/* Ends the process (a dead server for the test), keeping the rest. */
void
burrow_test_turnserver_terminate (BurrowTestTurnServer *server)
{
  gint64 deadline;

  if (server == NULL || server->process == NULL)
    return;
  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
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

void
burrow_test_turnserver_stop (BurrowTestTurnServer *server)
{
  if (server == NULL)
    return;
  burrow_test_turnserver_terminate (server);
  if (server->dir && g_getenv ("BURROW_TEST_KEEP_LOGS") == NULL)
    remove_dir (server->dir);
  g_free (server->dir);
  g_free (server->address);
  g_free (server->alt_address);
  g_free (server->user);
  g_free (server->password);
  g_free (server->realm);
  g_free (server->auth_secret);
  g_free (server->cert_file);
  g_free (server->key_file);
  g_free (server->ipv6_address);
  g_free (server->log_file);
  g_free (server);
}

/* How many lines of the server's log contain needle. */
guint
burrow_test_turnserver_count_log (BurrowTestTurnServer *server, const gchar *needle)
{
  g_autofree gchar *contents = NULL;
  const gchar *p;
  guint count = 0;

  if (!g_file_get_contents (server->log_file, &contents, NULL, NULL))
    return 0;
  for (p = strstr (contents, needle); p; p = strstr (p + 1, needle))
    count++;
  return count;
}

/* The log's last lines as test messages, for a failure's context. */
void
burrow_test_turnserver_dump_log (BurrowTestTurnServer *server, guint last_lines)
{
  g_autofree gchar *contents = NULL;
  g_auto(GStrv) lines = NULL;
  guint n, i;

  if (server == NULL || !g_file_get_contents (server->log_file, &contents, NULL, NULL))
    return;
  lines = g_strsplit (contents, "\n", -1);
  n = g_strv_length (lines);
  for (i = n > last_lines ? n - last_lines : 0; i < n; i++)
    if (lines[i][0])
      g_test_message ("coturn: %s", lines[i]);
}

/* ---- main loop helpers ---- */

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

/* Iterates the thread-default context for ms milliseconds. */
void
burrow_test_sleep (guint ms)
{
  gboolean done = FALSE;
  GMainContext *context = g_main_context_get_thread_default ();
  GSource *timer = g_timeout_source_new (ms);

  g_source_set_callback (timer, timeout_flag_cb, &done, NULL);
  g_source_attach (timer, context);
  while (!done)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (timer);
  g_source_unref (timer);
}

gint64
burrow_test_elapsed_ms (gint64 start)
{
  return (g_get_monotonic_time () - start) / 1000;
}

/* ---- UDP proxy ---- */

struct _BurrowTestUdpProxy {
  GSocket *listener;         /* what the client talks to */
  GSocket *upstream;         /* what the server sees */
  GSocketAddress *server;
  GSocketAddress *client;    /* the last client that sent something */
  GSource *listener_source;
  GSource *upstream_source;
  gboolean blackhole;
  guint to_server;
  guint to_client;
  guint channel_data_to_server;
  guint channel_data_to_client;
};

/* ChannelData starts with a channel number 0x4000..0x7FFF: bits 01. */
static gboolean
is_channel_data (const gchar *buf, gssize n)
{
  return n >= 4 && ((guint8) buf[0] & 0xc0) == 0x40;
}

static gboolean
proxy_from_client_cb (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  BurrowTestUdpProxy *proxy = user_data;
  g_autoptr(GSocketAddress) from = NULL;
  gchar buf[65536];
  gssize n = g_socket_receive_from (socket, &from, buf, sizeof buf, NULL, NULL);

  if (n < 0)
    return G_SOURCE_CONTINUE;
  g_clear_object (&proxy->client);
  proxy->client = g_steal_pointer (&from);
  if (proxy->blackhole)
    return G_SOURCE_CONTINUE;
  proxy->to_server++;
  if (is_channel_data (buf, n))
    proxy->channel_data_to_server++;
  g_socket_send_to (proxy->upstream, proxy->server, buf, n, NULL, NULL);
  return G_SOURCE_CONTINUE;
}

static gboolean
proxy_from_server_cb (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  BurrowTestUdpProxy *proxy = user_data;
  gchar buf[65536];
  gssize n = g_socket_receive (socket, buf, sizeof buf, NULL, NULL);

  if (n < 0 || proxy->blackhole || proxy->client == NULL)
    return G_SOURCE_CONTINUE;
  proxy->to_client++;
  if (is_channel_data (buf, n))
    proxy->channel_data_to_client++;
  g_socket_send_to (proxy->listener, proxy->client, buf, n, NULL, NULL);
  return G_SOURCE_CONTINUE;
}

static GSource *
watch (GSocket *socket, GSocketSourceFunc func, gpointer data)
{
  GSource *source = g_socket_create_source (socket, G_IO_IN, NULL);

  g_source_set_callback (source, G_SOURCE_FUNC (func), data, NULL);
  g_source_attach (source, g_main_context_get_thread_default ());
  return source;
}

BurrowTestUdpProxy *
burrow_test_udp_proxy_new (const gchar *server_address, guint16 server_port)
{
  BurrowTestUdpProxy *proxy = g_new0 (BurrowTestUdpProxy, 1);

  proxy->listener = burrow_test_udp_socket ("127.0.0.1", NULL);
  proxy->upstream = burrow_test_udp_socket ("127.0.0.1", NULL);
  g_assert_nonnull (proxy->listener);
  g_assert_nonnull (proxy->upstream);
  g_socket_set_blocking (proxy->listener, FALSE);
  g_socket_set_blocking (proxy->upstream, FALSE);
  proxy->server = g_inet_socket_address_new_from_string (server_address, server_port);
  proxy->listener_source = watch (proxy->listener, proxy_from_client_cb, proxy);
  proxy->upstream_source = watch (proxy->upstream, proxy_from_server_cb, proxy);
  return proxy;
}

guint16
burrow_test_udp_proxy_get_port (BurrowTestUdpProxy *proxy)
{
  g_autoptr(GSocketAddress) local = g_socket_get_local_address (proxy->listener, NULL);

  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
}

/* (transfer none) (nullable) */
GInetSocketAddress *
burrow_test_udp_proxy_get_client (BurrowTestUdpProxy *proxy)
{
  return proxy->client ? G_INET_SOCKET_ADDRESS (proxy->client) : NULL;
}

/* Sends bytes to the last client from the proxy's address, as if the server
 * had sent them. */
gboolean
burrow_test_udp_proxy_inject (BurrowTestUdpProxy *proxy, const guint8 *data, gsize len)
{
  if (proxy->client == NULL)
    return FALSE;
  return g_socket_send_to (proxy->listener, proxy->client, (const gchar *) data, len,
      NULL, NULL) == (gssize) len;
}

/* While set, nothing passes either way: the server looks dead. */
void
burrow_test_udp_proxy_set_blackhole (BurrowTestUdpProxy *proxy, gboolean blackhole)
{
  proxy->blackhole = blackhole;
}

guint
burrow_test_udp_proxy_get_forwarded (BurrowTestUdpProxy *proxy, gboolean to_server)
{
  return to_server ? proxy->to_server : proxy->to_client;
}

/* How many of those were ChannelData messages. */
guint
burrow_test_udp_proxy_get_channel_data (BurrowTestUdpProxy *proxy, gboolean to_server)
{
  return to_server ? proxy->channel_data_to_server : proxy->channel_data_to_client;
}

void
burrow_test_udp_proxy_free (BurrowTestUdpProxy *proxy)
{
  if (proxy == NULL)
    return;
  g_source_destroy (proxy->listener_source);
  g_source_unref (proxy->listener_source);
  g_source_destroy (proxy->upstream_source);
  g_source_unref (proxy->upstream_source);
  g_clear_object (&proxy->listener);
  g_clear_object (&proxy->upstream);
  g_clear_object (&proxy->server);
  g_clear_object (&proxy->client);
  g_free (proxy);
}

/* ---- UDP peer ---- */

typedef struct {
  GBytes *data;
  GSocketAddress *from;
} PeerDatagram;

struct _BurrowTestUdpPeer {
  GSocket *socket;
  GSource *source;
  GQueue queue;              /* PeerDatagram */
  gboolean echo;
  guint received;
};

static void
peer_datagram_free (gpointer data)
{
  PeerDatagram *d = data;

  g_bytes_unref (d->data);
  g_object_unref (d->from);
  g_free (d);
}

static gboolean
peer_readable_cb (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  BurrowTestUdpPeer *peer = user_data;
  g_autoptr(GSocketAddress) from = NULL;
  gchar buf[65536];
  gssize n = g_socket_receive_from (socket, &from, buf, sizeof buf, NULL, NULL);
  PeerDatagram *d;

  if (n < 0)
    return G_SOURCE_CONTINUE;
  peer->received++;
  if (peer->echo)
    g_socket_send_to (socket, from, buf, n, NULL, NULL);
  d = g_new0 (PeerDatagram, 1);
  d->data = g_bytes_new (buf, n);
  d->from = g_steal_pointer (&from);
  g_queue_push_tail (&peer->queue, d);
  return G_SOURCE_CONTINUE;
}

BurrowTestUdpPeer *
burrow_test_udp_peer_new (const gchar *address)
{
  BurrowTestUdpPeer *peer = g_new0 (BurrowTestUdpPeer, 1);

  peer->socket = burrow_test_udp_socket (address, NULL);
  g_assert_nonnull (peer->socket);
  g_socket_set_blocking (peer->socket, FALSE);
  g_queue_init (&peer->queue);
  peer->source = watch (peer->socket, peer_readable_cb, peer);
  return peer;
}

/* (transfer full) */
GInetSocketAddress *
burrow_test_udp_peer_get_address (BurrowTestUdpPeer *peer)
{
  return G_INET_SOCKET_ADDRESS (g_socket_get_local_address (peer->socket, NULL));
}

/* Sends every datagram back to where it came from (and still queues it). */
void
burrow_test_udp_peer_set_echo (BurrowTestUdpPeer *peer, gboolean echo)
{
  peer->echo = echo;
}

gboolean
burrow_test_udp_peer_send (BurrowTestUdpPeer *peer, GInetSocketAddress *to,
    const gchar *data, gsize len)
{
  return g_socket_send_to (peer->socket, G_SOCKET_ADDRESS (to), data, len, NULL, NULL) ==
      (gssize) len;
}

/* The first queued datagram, waiting for one up to timeout_ms while the
 * thread-default context runs; NULL on timeout. */
GBytes *
burrow_test_udp_peer_receive (BurrowTestUdpPeer *peer, guint timeout_ms,
    GInetSocketAddress **from)
{
  gboolean timed_out = FALSE;
  GMainContext *context = g_main_context_get_thread_default ();
  GSource *timer = g_timeout_source_new (timeout_ms);
  PeerDatagram *d;
  GBytes *data = NULL;

  g_source_set_callback (timer, timeout_flag_cb, &timed_out, NULL);
  g_source_attach (timer, context);
  while (g_queue_is_empty (&peer->queue) && !timed_out)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (timer);
  g_source_unref (timer);

  d = g_queue_pop_head (&peer->queue);
  if (d == NULL)
    return NULL;
  data = g_bytes_ref (d->data);
  if (from)
    *from = G_INET_SOCKET_ADDRESS (g_object_ref (d->from));
  peer_datagram_free (d);
  return data;
}

guint
burrow_test_udp_peer_get_received (BurrowTestUdpPeer *peer)
{
  return peer->received;
}

void
burrow_test_udp_peer_free (BurrowTestUdpPeer *peer)
{
  if (peer == NULL)
    return;
  g_source_destroy (peer->source);
  g_source_unref (peer->source);
  g_queue_clear_full (&peer->queue, peer_datagram_free);
  g_clear_object (&peer->socket);
  g_free (peer);
}
