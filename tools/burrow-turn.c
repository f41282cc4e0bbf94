/* burrow-turn: get a relayed address from a TURN server, and echo through it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <glib-unix.h>
#include <burrow/burrow.h>

#include "burrow-tool-util.h"

static gboolean opt_json;
static gchar *opt_username;
static gchar *opt_password;
static gchar *opt_secret;
static gchar *opt_rest_user;
static gint opt_rest_ttl = 86400;
static gchar *opt_transport;
static gchar *opt_ca_file;
static gboolean opt_insecure;
static gboolean opt_even_port;
static gboolean opt_reserve;
static gchar *opt_token;
static gboolean opt_ipv6;
static gint opt_lifetime;
static gchar **opt_permit;
static gboolean opt_channel;
static gboolean opt_echo;
static gint opt_duration;

static GOptionEntry entries[] = {
  { "json", 'j', 0, G_OPTION_ARG_NONE, &opt_json, "Print JSON for scripts", NULL },
  { "username", 'u', 0, G_OPTION_ARG_STRING, &opt_username, "Username of the credentials", "USER" },
  { "password", 'p', 0, G_OPTION_ARG_STRING, &opt_password,
    "Password of the credentials; prefer BURROW_TURN_PASSWORD, which ps cannot show", "PASSWORD" },
  { "secret", 0, 0, G_OPTION_ARG_STRING, &opt_secret,
    "Shared secret of the TURN REST API (coturn's static-auth-secret), instead of "
    "--username and --password; prefer BURROW_TURN_SECRET", "SECRET" },
  { "rest-user", 0, 0, G_OPTION_ARG_STRING, &opt_rest_user,
    "User to put in the REST API username (default: none)", "USER" },
  { "rest-ttl", 0, 0, G_OPTION_ARG_INT, &opt_rest_ttl,
    "Lifetime of the REST API credentials in seconds (default 86400)", "S" },
  { "transport", 't', 0, G_OPTION_ARG_STRING, &opt_transport,
    "How to reach the server: udp (default), tcp or tls", "udp|tcp|tls" },
  { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &opt_ca_file,
    "PEM file of certificates to trust for the server's TLS certificate", "FILE" },
  { "insecure", 0, 0, G_OPTION_ARG_NONE, &opt_insecure,
    "Accept any TLS certificate from the server (for tests only)", NULL },
  { "even-port", 0, 0, G_OPTION_ARG_NONE, &opt_even_port, "Ask for an even relayed port", NULL },
  { "reserve", 0, 0, G_OPTION_ARG_NONE, &opt_reserve,
    "Ask for an even relayed port and reserve the next one; prints a token", NULL },
  { "token", 0, 0, G_OPTION_ARG_STRING, &opt_token,
    "Allocate the port reserved under this token (from --reserve)", "N" },
  { "ipv6", '6', 0, G_OPTION_ARG_NONE, &opt_ipv6, "Ask for an IPv6 relayed address", NULL },
  { "lifetime", 0, 0, G_OPTION_ARG_INT, &opt_lifetime,
    "Lifetime to ask for, in seconds (default: the server's)", "S" },
  { "permit", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_permit,
    "Install a permission for this peer (repeatable)", "IP[:PORT]" },
  { "channel", 'c', 0, G_OPTION_ARG_NONE, &opt_channel,
    "Bind a channel to every --permit peer with a port, and with --echo to every peer "
    "echoed to", NULL },
  { "echo", 'e', 0, G_OPTION_ARG_NONE, &opt_echo,
    "Stay running and send every datagram from a permitted peer back to it; "
    "Ctrl-C releases the allocation", NULL },
  { "duration", 0, 0, G_OPTION_ARG_INT, &opt_duration,
    "With --echo, release the allocation and exit after this many seconds", "S" },
  { NULL }
};

typedef struct {
  GInetSocketAddress *address;    /* the port is 0 when none was given */
  gboolean has_port;
} Peer;

static void
peer_clear (Peer *peer)
{
  g_clear_object (&peer->address);
}

typedef struct {
  BurrowTurnClient *client;
  BurrowRelayAllocation *allocation;
  GArray *peers;                  /* Peer */
  GMainLoop *loop;
  int status;
  guint64 echoed;
  guint64 echoed_bytes;
  gboolean stopping;
} Tool;

/* HOST[:PORT], [IPV6]:PORT or a bare IPv6 address, with a host; the port
 * is 0 when none was given */
static gboolean
split_host_port (const gchar *arg, gchar **host, guint16 *port, gboolean *has_port)
{
  return burrow_tool_split_host_port (arg, 0, host, port, has_port) && **host != '\0';
}

static gboolean
parse_server (const gchar *arg, gchar **host, guint16 *port, GError **error)
{
  gboolean has_port;

  if (split_host_port (arg, host, port, &has_port))
    return TRUE;
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
      "'%s' is not HOST, HOST:PORT or [IPV6]:PORT", arg);
  return FALSE;
}

static gboolean
parse_peer (const gchar *arg, Peer *peer, GError **error)
{
  g_autofree gchar *host = NULL;
  g_autoptr(GInetAddress) ip = NULL;
  guint16 port = 0;

  /* a bare IPv6 address has colons but no port */
  ip = g_inet_address_new_from_string (arg);
  if (ip == NULL && split_host_port (arg, &host, &port, &peer->has_port))
    ip = g_inet_address_new_from_string (host);
  if (ip == NULL) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "--permit '%s' is not IP, IP:PORT or [IPV6]:PORT", arg);
    return FALSE;
  }
  peer->address = G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (ip, port));
  return TRUE;
}

static gboolean
parse_transport (const gchar *name, BurrowTransport *transport)
{
  if (name == NULL || g_ascii_strcasecmp (name, "udp") == 0)
    *transport = BURROW_TRANSPORT_UDP;
  else if (g_ascii_strcasecmp (name, "tcp") == 0)
    *transport = BURROW_TRANSPORT_TCP;
  else if (g_ascii_strcasecmp (name, "tls") == 0)
    *transport = BURROW_TRANSPORT_TLS;
  else
    return FALSE;
  return TRUE;
}

static const gchar *
transport_name (BurrowTransport transport)
{
  switch (transport) {
    case BURROW_TRANSPORT_TCP:
      return "tcp";
    case BURROW_TRANSPORT_TLS:
      return "tls";
    case BURROW_TRANSPORT_UDP:
    default:
      return "udp";
  }
}

static gchar *
address_string (GInetSocketAddress *address)
{
  g_autofree gchar *ip = NULL;
  GInetAddress *inet;

  if (address == NULL)
    return NULL;
  inet = g_inet_socket_address_get_address (address);
  ip = g_inet_address_to_string (inet);
  if (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6)
    return g_strdup_printf ("[%s]:%u", ip, g_inet_socket_address_get_port (address));
  return g_strdup_printf ("%s:%u", ip, g_inet_socket_address_get_port (address));
}

static gchar *
peer_string (const Peer *peer)
{
  if (peer->has_port)
    return address_string (peer->address);
  return g_inet_address_to_string (g_inet_socket_address_get_address (peer->address));
}

/* Checks the options against each other; FALSE is a usage error. */
static gboolean
check_options (BurrowTransport *transport, guint64 *token)
{
  const gchar *problem = NULL;

  if (!parse_transport (opt_transport, transport))
    problem = "--transport must be udp, tcp or tls";
  else if ((opt_ca_file || opt_insecure) && *transport != BURROW_TRANSPORT_TLS)
    problem = "--ca-file and --insecure apply to --transport tls only";
  else if (opt_secret && (opt_username || opt_password))
    problem = "give either --secret or --username and --password, not both";
  else if ((opt_rest_user || opt_rest_ttl != 86400) && !opt_secret &&
      !g_getenv ("BURROW_TURN_SECRET"))
    problem = "--rest-user and --rest-ttl need --secret";
  else if (opt_rest_ttl < 1)
    problem = "--rest-ttl must be at least 1";
  else if (opt_lifetime < 0)
    problem = "--lifetime must not be negative";
  else if (opt_token && (opt_even_port || opt_reserve || opt_ipv6))
    problem = "--token allocates the reserved port; it goes without --even-port, "
        "--reserve and --ipv6";
  else if (opt_duration < 0 || (opt_duration && !opt_echo))
    problem = "--duration takes a positive number of seconds and needs --echo";
  else if (opt_echo && opt_permit == NULL)
    problem = "--echo needs at least one --permit: no other peer can reach the relay";
  else if (opt_channel && opt_permit == NULL)
    problem = "--channel needs --permit";
  if (problem == NULL && opt_token) {
    gchar *end = NULL;

    *token = g_ascii_strtoull (opt_token, &end, 0);
    if (*opt_token == '\0' || *opt_token == '-' || *end != '\0' || *token == 0)
      problem = "--token must be the non-zero number --reserve printed";
  }
  if (problem)
    g_printerr ("burrow-turn: %s\n", problem);
  return problem == NULL;
}

/* The client with its credentials, or NULL after printing why not. */
static BurrowTurnClient *
make_client (const gchar *host, guint16 port, BurrowTransport transport)
{
  const gchar *secret = opt_secret ? opt_secret : g_getenv ("BURROW_TURN_SECRET");
  /* GTlsFileDatabase takes absolute paths only */
  g_autofree gchar *ca_file = opt_ca_file ? g_canonicalize_filename (opt_ca_file, NULL) : NULL;
  g_autofree gchar *username = g_strdup (opt_username);
  g_autofree gchar *password = g_strdup (opt_password ? opt_password :
      g_getenv ("BURROW_TURN_PASSWORD"));
  BurrowTurnClient *client;

  if (secret && !opt_username) {
    g_autoptr(GError) error = NULL;

    g_clear_pointer (&password, g_free);
    if (!burrow_turn_rest_credentials (secret, opt_rest_user, (guint) opt_rest_ttl, 0,
            &username, &password, &error)) {
      g_printerr ("burrow-turn: %s\n", error->message);
      return NULL;
    }
  }
  client = burrow_turn_client_new (host, port, username, password);
  g_object_set (client,
      "transport", transport,
      "tls-ca-file", ca_file,
      "tls-accept-invalid-certificates", opt_insecure,
      NULL);
  return client;
}

static BurrowAllocateOptions *
make_allocate_options (guint64 token)
{
  BurrowAllocateOptions *options = burrow_allocate_options_new ();

  burrow_allocate_options_set_even_port (options, opt_even_port);
  burrow_allocate_options_set_reserve_next_port (options, opt_reserve);
  burrow_allocate_options_set_reservation_token (options, token);
  burrow_allocate_options_set_family (options,
      opt_ipv6 ? BURROW_ADDRESS_FAMILY_IPV6 : BURROW_ADDRESS_FAMILY_IPV4);
  burrow_allocate_options_set_lifetime (options, (guint) opt_lifetime);
  return options;
}

/* One CreatePermission for every --permit address, then the channels. */
static gboolean
install_peers (Tool *tool, GError **error)
{
  g_autoptr(GPtrArray) addresses = g_ptr_array_new ();
  guint i;

  if (tool->peers->len == 0)
    return TRUE;
  for (i = 0; i < tool->peers->len; i++)
    g_ptr_array_add (addresses,
        g_inet_socket_address_get_address (g_array_index (tool->peers, Peer, i).address));
  if (!burrow_relay_allocation_create_permissions_sync (tool->allocation,
          (GInetAddress **) addresses->pdata, addresses->len, NULL, error))
    return FALSE;
  for (i = 0; opt_channel && i < tool->peers->len; i++) {
    Peer *peer = &g_array_index (tool->peers, Peer, i);

    if (peer->has_port &&
        burrow_relay_allocation_bind_channel_sync (tool->allocation, peer->address, NULL,
            error) == 0)
      return FALSE;
  }
  return TRUE;
}

static void
print_text (Tool *tool)
{
  BurrowRelayAllocation *a = tool->allocation;
  g_autofree gchar *relayed = address_string (burrow_relay_allocation_get_relayed_address (a));
  g_autofree gchar *mapped = address_string (burrow_relay_allocation_get_mapped_address (a));
  g_autofree gchar *server = address_string (burrow_relay_allocation_get_server (a));
  BurrowTransport transport;
  guint64 token = burrow_relay_allocation_get_reservation_token (a);
  guint i;

  g_object_get (tool->client, "transport", &transport, NULL);
  g_print ("Relayed address:    %s\n", relayed);
  g_print ("Mapped address:     %s\n", mapped ? mapped : "(not given)");
  g_print ("Server:             %s (%s)\n", server, transport_name (transport));
  g_print ("Lifetime:           %u s\n", burrow_relay_allocation_get_lifetime (a));
  if (token)
    g_print ("Reservation token:  %" G_GUINT64_FORMAT "\n", token);
  for (i = 0; i < tool->peers->len; i++) {
    Peer *peer = &g_array_index (tool->peers, Peer, i);
    g_autofree gchar *name = peer_string (peer);
    guint16 channel = peer->has_port ?
        burrow_relay_allocation_get_channel (a, peer->address) : 0;

    if (channel)
      g_print ("Permitted peer:     %s (channel 0x%04x)\n", name, channel);
    else
      g_print ("Permitted peer:     %s\n", name);
  }
}

static void
json_member_address (GString *json, const gchar *name, GInetSocketAddress *address)
{
  g_autofree gchar *value = address_string (address);

  if (value)
    g_string_append_printf (json, "  \"%s\": \"%s\",\n", name, value);
  else
    g_string_append_printf (json, "  \"%s\": null,\n", name);
}

/* Addresses and numbers need no escaping. The token is a string: 64-bit
 * numbers do not survive JSON parsers that use doubles. */
static void
print_json (Tool *tool)
{
  BurrowRelayAllocation *a = tool->allocation;
  g_autoptr(GString) json = g_string_new ("{\n");
  guint64 token = burrow_relay_allocation_get_reservation_token (a);
  BurrowTransport transport;
  guint i;

  g_object_get (tool->client, "transport", &transport, NULL);
  json_member_address (json, "relayed", burrow_relay_allocation_get_relayed_address (a));
  json_member_address (json, "mapped", burrow_relay_allocation_get_mapped_address (a));
  json_member_address (json, "server", burrow_relay_allocation_get_server (a));
  g_string_append_printf (json, "  \"transport\": \"%s\",\n", transport_name (transport));
  g_string_append_printf (json, "  \"lifetime\": %u,\n", burrow_relay_allocation_get_lifetime (a));
  if (token)
    g_string_append_printf (json, "  \"reservation_token\": \"%" G_GUINT64_FORMAT "\",\n", token);
  else
    g_string_append (json, "  \"reservation_token\": null,\n");
  g_string_append (json, "  \"permissions\": [");
  for (i = 0; i < tool->peers->len; i++) {
    Peer *peer = &g_array_index (tool->peers, Peer, i);
    g_autofree gchar *name = peer_string (peer);
    guint16 channel = peer->has_port ?
        burrow_relay_allocation_get_channel (a, peer->address) : 0;

    g_string_append_printf (json, "%s\n    { \"peer\": \"%s\", \"channel\": ", i ? "," : "", name);
    if (channel)
      g_string_append_printf (json, "%u }", channel);
    else
      g_string_append (json, "null }");
  }
  g_string_append (json, tool->peers->len ? "\n  ]\n}\n" : "]\n}\n");
  g_print ("%s", json->str);
}

static void
data_received_cb (BurrowRelayAllocation *allocation, GInetSocketAddress *peer, GBytes *data,
    Tool *tool)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *from = address_string (peer);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree gchar *stamp = g_date_time_format (now, "%H:%M:%S.%f");
  guint16 channel;

  if (!burrow_relay_allocation_send (allocation, peer, data, &error)) {
    g_printerr ("%s %s: %" G_GSIZE_FORMAT " bytes, not echoed: %s\n", stamp, from,
        g_bytes_get_size (data), error->message);
    return;
  }
  tool->echoed++;
  tool->echoed_bytes += g_bytes_get_size (data);
  channel = burrow_relay_allocation_get_channel (allocation, peer);
  g_printerr ("%s %s: %" G_GSIZE_FORMAT " bytes echoed%s\n", stamp, from,
      g_bytes_get_size (data), channel ? " (channel)" : "");
}

static void
allocation_error_cb (BurrowRelayAllocation *allocation, GError *error, Tool *tool)
{
  g_printerr ("burrow-turn: %s\n", error->message);
  tool->status = 1;
  g_main_loop_quit (tool->loop);
}

static void
allocation_expired_cb (BurrowRelayAllocation *allocation, Tool *tool)
{
  g_printerr ("burrow-turn: the allocation expired\n");
  tool->status = 1;
  g_main_loop_quit (tool->loop);
}

static gboolean
stop_cb (gpointer user_data)
{
  Tool *tool = user_data;

  /* may come before the loop runs (while allocating) */
  tool->stopping = TRUE;
  if (tool->loop)
    g_main_loop_quit (tool->loop);
  return G_SOURCE_CONTINUE;
}

/* Echoes until Ctrl-C, SIGTERM, --duration or the allocation's end. */
static void
run_echo (Tool *tool)
{
  guint timeout = opt_duration ? g_timeout_add_seconds ((guint) opt_duration, stop_cb, tool) : 0;

  if (opt_channel)
    burrow_relay_allocation_set_auto_bind_channels (tool->allocation, TRUE);
  g_signal_connect (tool->allocation, "data-received", G_CALLBACK (data_received_cb), tool);
  g_signal_connect (tool->allocation, "error", G_CALLBACK (allocation_error_cb), tool);
  g_signal_connect (tool->allocation, "expired", G_CALLBACK (allocation_expired_cb), tool);
  tool->loop = g_main_loop_new (NULL, FALSE);
  g_printerr ("burrow-turn: echoing; Ctrl-C to stop\n");
  if (!tool->stopping)
    g_main_loop_run (tool->loop);
  g_signal_handlers_disconnect_by_data (tool->allocation, tool);
  if (timeout)
    g_source_remove (timeout);
  g_clear_pointer (&tool->loop, g_main_loop_unref);
  g_printerr ("burrow-turn: echoed %" G_GUINT64_FORMAT " datagrams, %" G_GUINT64_FORMAT
      " bytes\n", tool->echoed, tool->echoed_bytes);
}

static int
run (Tool *tool, guint64 token)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BurrowAllocateOptions) options = make_allocate_options (token);
  /* from the start: a signal that comes while allocating still releases */
  guint sigint = g_unix_signal_add (SIGINT, stop_cb, tool);
  guint sigterm = g_unix_signal_add (SIGTERM, stop_cb, tool);

  tool->allocation = burrow_turn_client_allocate_sync (tool->client, options, NULL, &error);
  if (tool->allocation == NULL) {
    g_printerr ("burrow-turn: %s\n", error->message);
    g_source_remove (sigint);
    g_source_remove (sigterm);
    return 1;
  }
  if (!install_peers (tool, &error)) {
    g_printerr ("burrow-turn: %s\n", error->message);
    tool->status = 1;
  } else {
    if (opt_json)
      print_json (tool);
    else
      print_text (tool);
    fflush (stdout);
    if (opt_echo)
      run_echo (tool);
  }
  if (burrow_relay_allocation_get_state (tool->allocation) == BURROW_RELAY_STATE_ALLOCATED &&
      !burrow_relay_allocation_release_sync (tool->allocation, NULL, &error)) {
    g_printerr ("burrow-turn: %s\n", error->message);
    tool->status = 1;
  }
  g_source_remove (sigint);
  g_source_remove (sigterm);
  return tool->status;
}

static gboolean
parse_peers (GArray *peers)
{
  guint i;

  for (i = 0; opt_permit && opt_permit[i]; i++) {
    g_autoptr(GError) error = NULL;
    Peer peer = { NULL, FALSE };

    if (!parse_peer (opt_permit[i], &peer, &error)) {
      g_printerr ("burrow-turn: %s\n", error->message);
      return FALSE;
    }
    g_array_append_val (peers, peer);
  }
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *host = NULL;
  Tool tool = { NULL, };
  BurrowTransport transport = BURROW_TRANSPORT_UDP;
  guint64 token = 0;
  guint16 port = 0;
  int status;

  /* debug output must not mix with the results on stdout */
  g_log_writer_default_set_use_stderr (TRUE);

  context = g_option_context_new ("HOST[:PORT] - get a relayed address from a TURN server");
  g_option_context_set_summary (context,
      "Allocates a relayed address on a TURN server (RFC 8656) and prints it with the\n"
      "mapped address, the lifetime and any reservation token, then releases it. With\n"
      "--echo it stays and sends every datagram from a --permit peer back to that peer.\n"
      "The port defaults to 3478, or 5349 with --transport tls. The password can come\n"
      "from BURROW_TURN_PASSWORD, the REST API secret from BURROW_TURN_SECRET.\n"
      "Exit status: 0 on success, 1 when the server did not answer, refused or lost the\n"
      "allocation, 2 on bad usage.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    g_printerr ("burrow-turn: %s\n", error->message);
    return 2;
  }
  if (argc != 2) {
    g_printerr ("burrow-turn: give exactly one server, HOST[:PORT] (see --help)\n");
    return 2;
  }
  if (!parse_server (argv[1], &host, &port, &error)) {
    g_printerr ("burrow-turn: %s\n", error->message);
    return 2;
  }
  tool.peers = g_array_new (FALSE, TRUE, sizeof (Peer));
  g_array_set_clear_func (tool.peers, (GDestroyNotify) peer_clear);
  if (!check_options (&transport, &token) || !parse_peers (tool.peers)) {
    g_array_unref (tool.peers);
    return 2;
  }

  tool.client = make_client (host, port, transport);
  status = tool.client ? run (&tool, token) : 1;
  g_clear_object (&tool.allocation);
  g_clear_object (&tool.client);
  g_array_unref (tool.peers);
  return status;
}
