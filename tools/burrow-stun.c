/* burrow-stun: what is my public address, and what NAT am I behind?
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdlib.h>
#include <burrow/burrow.h>

#include "burrow-tool-util.h"

static gboolean opt_discover;
static gboolean opt_json;
static gchar *opt_username;
static gchar *opt_password;
static gboolean opt_short_term;
static gchar *opt_local;
static gint opt_local_port;
static gint opt_rto = 500;
static gint opt_retransmissions = 6;
static gint opt_last_factor = 16;

static GOptionEntry entries[] = {
  { "discover", 'd', 0, G_OPTION_ARG_NONE, &opt_discover,
    "Run RFC 5780 NAT discovery and print the NAT report", NULL },
  { "json", 'j', 0, G_OPTION_ARG_NONE, &opt_json, "Print JSON for scripts", NULL },
  { "username", 'u', 0, G_OPTION_ARG_STRING, &opt_username, "Username of the credentials", "USER" },
  { "password", 'p', 0, G_OPTION_ARG_STRING, &opt_password,
    "Password of the credentials; prefer BURROW_STUN_PASSWORD, which ps cannot show", "PASSWORD" },
  { "short-term", 0, 0, G_OPTION_ARG_NONE, &opt_short_term,
    "Use short-term instead of long-term credentials", NULL },
  { "local-address", 'l', 0, G_OPTION_ARG_STRING, &opt_local, "Local IP address to send from", "ADDR" },
  { "local-port", 'P', 0, G_OPTION_ARG_INT, &opt_local_port, "Local port to send from", "PORT" },
  { "rto", 0, 0, G_OPTION_ARG_INT, &opt_rto,
    "Initial retransmission timeout in ms (default 500)", "MS" },
  { "retransmissions", 'r', 0, G_OPTION_ARG_INT, &opt_retransmissions,
    "Retransmissions after the first request (default 6)", "N" },
  { "last-timeout-factor", 0, 0, G_OPTION_ARG_INT, &opt_last_factor,
    "Wait this many RTOs after the last request (default 16)", "N" },
  { NULL }
};

/* Splits HOST[:PORT] or [IPV6]:PORT. */
static gboolean
parse_server (const gchar *arg, gchar **host, guint16 *port, GError **error)
{
  if (burrow_tool_split_host_port (arg, BURROW_STUN_DEFAULT_PORT, host, port, NULL))
    return TRUE;
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
      "'%s' is not HOST, HOST:PORT or [IPV6]:PORT", arg);
  return FALSE;
}

static gchar *
address_string (GInetSocketAddress *address)
{
  g_autofree gchar *ip = NULL;
  GInetAddress *inet;

  if (address == NULL)
    return g_strdup ("(none)");
  inet = g_inet_socket_address_get_address (address);
  ip = g_inet_address_to_string (inet);
  if (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6)
    return g_strdup_printf ("[%s]:%u", ip, g_inet_socket_address_get_port (address));
  return g_strdup_printf ("%s:%u", ip, g_inet_socket_address_get_port (address));
}

static int
run_bind (BurrowStunClient *client, const gchar *server)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetSocketAddress) mapped = burrow_stun_client_bind_sync (client, NULL, &error);
  g_autoptr(GInetSocketAddress) local = NULL;
  g_autofree gchar *mapped_s = NULL;
  g_autofree gchar *local_s = NULL;

  if (mapped == NULL) {
    g_printerr ("burrow-stun: %s\n", error->message);
    return 1;
  }
  local = burrow_stun_client_get_local_address (client);
  mapped_s = address_string (mapped);
  local_s = address_string (local);
  if (opt_json) {
    /* HOST:PORT was validated, but a host name may hold anything JSON
     * would need escaped: escape it. */
    g_autofree gchar *escaped = g_strescape (server, NULL);

    g_print ("{\n  \"server\": \"%s\",\n  \"mapped-address\": \"%s\",\n  \"local-address\": \"%s\"\n}\n",
        escaped, mapped_s, local_s);
  }
  else
    g_print ("%s\n", mapped_s);
  return 0;
}

static int
run_discover (BurrowStunClient *client)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BurrowNatReport) report = burrow_stun_client_discover_nat_sync (client, NULL, &error);
  g_autofree gchar *external = NULL;
  g_autofree gchar *local = NULL;
  const gchar * const *problems;

  if (report == NULL) {
    g_printerr ("burrow-stun: NAT discovery failed: %s\n", error->message);
    return 1;
  }
  if (opt_json) {
    g_autofree gchar *json = burrow_nat_report_to_json (report);

    g_print ("%s\n", json);
    return 0;
  }
  external = address_string (burrow_nat_report_get_external_address (report));
  local = address_string (burrow_nat_report_get_local_address (report));
  g_print ("NAT type:          %s\n", burrow_nat_type_to_string (burrow_nat_report_get_nat_type (report)));
  g_print ("Mapping:           %s\n", burrow_nat_behavior_to_string (burrow_nat_report_get_mapping (report)));
  g_print ("Filtering:         %s\n", burrow_nat_behavior_to_string (burrow_nat_report_get_filtering (report)));
  g_print ("Hairpinning:       %s\n", burrow_hairpinning_to_string (burrow_nat_report_get_hairpinning (report)));
  g_print ("Local address:     %s\n", local);
  g_print ("External address:  %s\n", external);
  for (problems = burrow_nat_report_get_problems (report); *problems; problems++)
    g_print ("Note: %s\n", *problems);
  return 0;
}

int
main (int argc, char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(BurrowStunClient) client = NULL;
  g_autofree gchar *host = NULL;
  guint16 port = 0;
  const gchar *password;

  /* debug output must not mix with the results on stdout */
  g_log_writer_default_set_use_stderr (TRUE);

  context = g_option_context_new ("HOST[:PORT] - ask a STUN server for this host's public address");
  g_option_context_set_summary (context,
      "Prints the address and port a STUN server sees this host as (the server-reflexive\n"
      "address), or with --discover the NAT's mapping and filtering behaviour (RFC 5780).\n"
      "Exit status: 0 on success, 1 when the server did not answer or answered with an\n"
      "error, 2 on bad usage.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    g_printerr ("burrow-stun: %s\n", error->message);
    return 2;
  }
  if (argc != 2) {
    g_printerr ("burrow-stun: give exactly one server, HOST[:PORT] (see --help)\n");
    return 2;
  }
  if (!parse_server (argv[1], &host, &port, &error)) {
    g_printerr ("burrow-stun: %s\n", error->message);
    return 2;
  }
  if (opt_rto < 10 || opt_rto > 60000 || opt_retransmissions < 0 || opt_retransmissions > 19 ||
      opt_last_factor < 1 || opt_last_factor > 64 || opt_local_port < 0 || opt_local_port > 65535) {
    g_printerr ("burrow-stun: --rto must be 10..60000, --retransmissions 0..19, "
        "--last-timeout-factor 1..64, --local-port 0..65535\n");
    return 2;
  }

  client = burrow_stun_client_new (host, port);
  password = opt_password ? opt_password : g_getenv ("BURROW_STUN_PASSWORD");
  g_object_set (client,
      "rto", (guint) opt_rto,
      "max-requests", (guint) opt_retransmissions + 1,
      "last-timeout-factor", (guint) opt_last_factor,
      "local-address", opt_local,
      "local-port", (guint) opt_local_port,
      "credential-mechanism", opt_short_term ? BURROW_STUN_CREDENTIAL_MECHANISM_SHORT_TERM :
          BURROW_STUN_CREDENTIAL_MECHANISM_LONG_TERM,
      NULL);
  if (opt_username)
    burrow_stun_client_set_credentials (client, opt_username, password);

  return opt_discover ? run_discover (client) : run_bind (client, argv[1]);
}
