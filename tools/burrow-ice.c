/* burrow-ice: connect two peers with ICE by swapping one line each, then
 * pipe stdin and stdout through the connection
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each peer gathers its candidates, prints its SDP as one line on stdout and
 * reads the peer's line from stdin. After that, what comes on stdin goes to
 * the peer in datagrams of up to 1200 bytes and what the peer sends comes
 * out on stdout, byte for byte.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib-unix.h>
#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>
#include <burrow/burrow.h>

#include "burrow-tool-util.h"

/* the largest datagram stdin is cut into: fits any path's MTU with room
 * for TURN's headers */
#define DATAGRAM_MAX 1200
/* the longest signalling line read from the peer */
#define LINE_MAX_BYTES (64 * 1024)
/* what stands for a newline of the SDP in a --plain line */
#define PLAIN_SEPARATOR '|'
/* how often a datagram the socket had no room for is sent again, in ms */
#define RETRY_MS 10

static gchar *opt_stun;
static gchar *opt_turn;
static gchar *opt_turn_user;
static gchar *opt_turn_password;
static gchar *opt_turn_transport;
static gchar *opt_ca_file;
static gboolean opt_force_relay;
static gboolean opt_controlling;
static gboolean opt_controlled;
static gchar **opt_local_addresses;
static gboolean opt_plain;
static gint opt_timeout = 60;
static gdouble opt_drain = 1.0;
static gboolean opt_json;

static GOptionEntry entries[] = {
  { "stun", 's', 0, G_OPTION_ARG_STRING, &opt_stun,
    "STUN server for server-reflexive candidates (port 3478 by default)", "HOST[:PORT]" },
  { "turn", 't', 0, G_OPTION_ARG_STRING, &opt_turn,
    "TURN server for relayed candidates (port 3478, or 5349 for tls)", "HOST[:PORT]" },
  { "turn-user", 'u', 0, G_OPTION_ARG_STRING, &opt_turn_user, "TURN username", "USER" },
  { "turn-password", 'p', 0, G_OPTION_ARG_STRING, &opt_turn_password,
    "TURN password; prefer BURROW_TURN_PASSWORD, which ps cannot show", "PASSWORD" },
  { "turn-transport", 0, 0, G_OPTION_ARG_STRING, &opt_turn_transport,
    "How to reach the TURN server: udp (default), tcp or tls", "udp|tcp|tls" },
  { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &opt_ca_file,
    "With --turn-transport tls: trust the certificates in this PEM file instead of the "
    "system's", "FILE" },
  { "force-relay", 'r', 0, G_OPTION_ARG_NONE, &opt_force_relay,
    "Offer relayed candidates only (needs --turn)", NULL },
  { "controlling", 0, 0, G_OPTION_ARG_NONE, &opt_controlling,
    "Take the controlling role (default: the peer whose line sorts first)", NULL },
  { "controlled", 0, 0, G_OPTION_ARG_NONE, &opt_controlled, "Take the controlled role", NULL },
  { "local-address", 'l', 0, G_OPTION_ARG_STRING_ARRAY, &opt_local_addresses,
    "Gather host candidates on this IP only (repeatable; default: every interface)", "IP" },
  { "plain", 0, 0, G_OPTION_ARG_NONE, &opt_plain,
    "Print the SDP itself with '|' for newlines instead of base64", NULL },
  { "timeout", 'T', 0, G_OPTION_ARG_INT, &opt_timeout,
    "Seconds to gather and get the peer's line, then again to connect (default 60)", "S" },
  { "drain", 0, 0, G_OPTION_ARG_DOUBLE, &opt_drain,
    "Seconds to keep receiving after stdin ends (default 1)", "S" },
  { "json", 'j', 0, G_OPTION_ARG_NONE, &opt_json,
    "Print the selected pair as JSON on stderr", NULL },
  { NULL }
};

typedef enum {
  PHASE_GATHERING,              /* gathering local candidates */
  PHASE_SIGNALLING,             /* our line is out; reading the peer's */
  PHASE_CONNECTING,             /* connectivity checks */
  PHASE_CONNECTED,              /* piping data both ways */
  PHASE_DRAINING,               /* stdin ended; receiving for --drain */
  PHASE_DONE,
} Phase;

typedef struct {
  GMainLoop *loop;
  BurrowAgent *agent;
  guint stream_id;
  Phase phase;
  int status;
  gchar *local_line;
  GInputStream *in;
  GOutputStream *out;
  GSource *in_source;           /* watches stdin while we want its data */
  GByteArray *pending;          /* stdin's bytes not sent yet */
  gboolean in_eof;
  guint timer;                  /* the phase's deadline, or the drain */
  guint retry;                  /* sends again after a full socket */
} Ice;

static void watch_stdin (Ice *ice);

/* ---- options ---- */

/* HOST[:PORT], [IPV6]:PORT or a bare IPv6 address, with a host */
static gboolean
split_host_port (const gchar *arg, guint16 default_port, gchar **host, guint16 *port)
{
  return burrow_tool_split_host_port (arg, default_port, host, port, NULL) && **host != '\0';
}

static gboolean
parse_relay_type (const gchar *name, BurrowRelayType *type)
{
  if (name == NULL || g_ascii_strcasecmp (name, "udp") == 0)
    *type = BURROW_RELAY_TYPE_TURN_UDP;
  else if (g_ascii_strcasecmp (name, "tcp") == 0)
    *type = BURROW_RELAY_TYPE_TURN_TCP;
  else if (g_ascii_strcasecmp (name, "tls") == 0)
    *type = BURROW_RELAY_TYPE_TURN_TLS;
  else
    return FALSE;
  return TRUE;
}

static const gchar *
turn_password (void)
{
  return opt_turn_password ? opt_turn_password : g_getenv ("BURROW_TURN_PASSWORD");
}

/* Checks the options against each other; FALSE is a usage error. */
static gboolean
check_options (BurrowRelayType *relay_type)
{
  const gchar *problem = NULL;
  guint i;

  if (!parse_relay_type (opt_turn_transport, relay_type))
    problem = "--turn-transport must be udp, tcp or tls";
  else if (opt_turn == NULL && (opt_turn_user || opt_turn_password || opt_turn_transport))
    problem = "--turn-user, --turn-password and --turn-transport need --turn";
  else if (opt_turn && (opt_turn_user == NULL || turn_password () == NULL))
    problem = "--turn needs --turn-user and --turn-password (or BURROW_TURN_PASSWORD)";
  else if (opt_force_relay && opt_turn == NULL)
    problem = "--force-relay needs --turn: without a relay there is no candidate to offer";
  else if (opt_controlling && opt_controlled)
    problem = "give --controlling or --controlled, not both";
  else if (opt_timeout < 1 || opt_timeout > 86400)
    problem = "--timeout must be 1..86400 seconds";
  else if (!(opt_drain >= 0 && opt_drain <= 3600))
    problem = "--drain must be 0..3600 seconds";
  for (i = 0; problem == NULL && opt_local_addresses && opt_local_addresses[i]; i++) {
    g_autoptr(GInetAddress) ip = g_inet_address_new_from_string (opt_local_addresses[i]);

    if (ip == NULL) {
      g_printerr ("burrow-ice: --local-address '%s' is not an IP address\n",
          opt_local_addresses[i]);
      return FALSE;
    }
  }
  if (problem)
    g_printerr ("burrow-ice: %s\n", problem);
  return problem == NULL;
}

/* The IP address of a server given by name or address; the agent takes
 * addresses only. */
static gchar *
resolve (const gchar *host, GError **error)
{
  g_autoptr(GInetAddress) ip = g_inet_address_new_from_string (host);
  g_autoptr(GResolver) resolver = NULL;
  GList *addresses, *l;
  GInetAddress *chosen;
  gchar *result;

  if (ip)
    return g_inet_address_to_string (ip);
  resolver = g_resolver_get_default ();
  addresses = g_resolver_lookup_by_name (resolver, host, NULL, error);
  if (addresses == NULL)
    return NULL;
  /* IPv4 first: host candidates on IPv4 are the usual case */
  chosen = addresses->data;
  for (l = addresses; l; l = l->next)
    if (g_inet_address_get_family (l->data) == G_SOCKET_FAMILY_IPV4) {
      chosen = l->data;
      break;
    }
  result = g_inet_address_to_string (chosen);
  g_resolver_free_addresses (addresses);
  return result;
}

/* ---- the end ---- */

static void
stop_stdin (Ice *ice)
{
  if (ice->in_source) {
    g_source_destroy (ice->in_source);
    g_clear_pointer (&ice->in_source, g_source_unref);
  }
}

static void
clear_timer (guint *id)
{
  if (*id) {
    g_source_remove (*id);
    *id = 0;
  }
}

/* Ends the run with @status, saying why on stderr if @format is given. */
static void G_GNUC_PRINTF (3, 4)
finish (Ice *ice, int status, const gchar *format, ...)
{
  if (ice->phase == PHASE_DONE)
    return;
  if (format) {
    g_autofree gchar *message = NULL;
    va_list args;

    va_start (args, format);
    message = g_strdup_vprintf (format, args);
    va_end (args);
    g_printerr ("burrow-ice: %s\n", message);
  }
  ice->phase = PHASE_DONE;
  ice->status = status;
  stop_stdin (ice);
  clear_timer (&ice->timer);
  clear_timer (&ice->retry);
  g_main_loop_quit (ice->loop);
}

static guint
count_candidates (GSList *list)
{
  guint n = g_slist_length (list);

  g_slist_free_full (list, g_object_unref);
  return n;
}

static gboolean
deadline_cb (gpointer user_data)
{
  Ice *ice = user_data;

  ice->timer = 0;
  switch (ice->phase) {
    case PHASE_GATHERING:
      finish (ice, 1, "gathering candidates took more than %d s (is the STUN or TURN "
          "server reachable?)", opt_timeout);
      break;
    case PHASE_SIGNALLING:
      finish (ice, 1, "no line from the peer on stdin within %d s", opt_timeout);
      break;
    default:
      finish (ice, 1, "ICE did not connect within %d s (%u local and %u remote candidates; "
          "is the peer running? try --stun or --turn)", opt_timeout,
          count_candidates (burrow_agent_get_local_candidates (ice->agent, ice->stream_id, 1)),
          count_candidates (burrow_agent_get_remote_candidates (ice->agent, ice->stream_id, 1)));
      break;
  }
  return G_SOURCE_REMOVE;
}

static void
set_deadline (Ice *ice)
{
  clear_timer (&ice->timer);
  ice->timer = g_timeout_add_seconds ((guint) opt_timeout, deadline_cb, ice);
}

static gboolean
drain_done_cb (gpointer user_data)
{
  Ice *ice = user_data;

  ice->timer = 0;
  finish (ice, 0, NULL);
  return G_SOURCE_REMOVE;
}

/* stdin ended and everything from it was sent: receive a little longer. */
static void
start_drain (Ice *ice)
{
  ice->phase = PHASE_DRAINING;
  stop_stdin (ice);
  clear_timer (&ice->timer);
  ice->timer = g_timeout_add ((guint) (opt_drain * 1000), drain_done_cb, ice);
}

static gboolean
signal_cb (gpointer user_data)
{
  Ice *ice = user_data;

  if (ice->phase >= PHASE_CONNECTED)
    finish (ice, 0, NULL);
  else
    finish (ice, 1, "interrupted before the peers connected");
  return G_SOURCE_CONTINUE;
}

/* ---- data ---- */

/* Sends stdin's bytes in datagrams of up to DATAGRAM_MAX bytes; FALSE when
 * the socket is full and the rest must wait. */
static gboolean
flush_pending (Ice *ice)
{
  while (ice->pending->len > 0) {
    guint n = MIN (ice->pending->len, DATAGRAM_MAX);

    if (burrow_agent_send (ice->agent, ice->stream_id, 1, n, ice->pending->data) < 0)
      return FALSE;
    g_byte_array_remove_range (ice->pending, 0, n);
  }
  return TRUE;
}

static gboolean retry_cb (gpointer user_data);

/* Sends what is pending, then takes more from stdin, or drains after its
 * end. */
static void
pump (Ice *ice)
{
  if (!flush_pending (ice)) {
    stop_stdin (ice);
    if (ice->retry == 0)
      ice->retry = g_timeout_add (RETRY_MS, retry_cb, ice);
    return;
  }
  if (ice->in_eof)
    start_drain (ice);
  else
    watch_stdin (ice);
}

static gboolean
retry_cb (gpointer user_data)
{
  Ice *ice = user_data;

  ice->retry = 0;
  pump (ice);
  return G_SOURCE_REMOVE;
}

static void
recv_cb (BurrowAgent *agent, guint stream_id, guint component_id, guint len,
    const guint8 *buf, gpointer user_data)
{
  Ice *ice = user_data;
  g_autoptr(GError) error = NULL;

  if (ice->phase == PHASE_DONE)
    return;
  if (!g_output_stream_write_all (ice->out, buf, len, NULL, NULL, &error) ||
      !g_output_stream_flush (ice->out, NULL, &error))
    finish (ice, 1, "could not write to stdout: %s", error->message);
}

/* ---- the selected pair ---- */

static gchar *
endpoint_string (BurrowCandidate *candidate)
{
  g_autofree gchar *ip = burrow_candidate_get_ip (candidate);

  if (strchr (ip, ':'))
    return g_strdup_printf ("[%s]:%u", ip, burrow_candidate_get_port (candidate));
  return g_strdup_printf ("%s:%u", ip, burrow_candidate_get_port (candidate));
}

/* Addresses, types and numbers need no JSON escaping. */
static void
json_candidate (GString *json, const gchar *name, BurrowCandidate *candidate)
{
  g_autofree gchar *ip = burrow_candidate_get_ip (candidate);

  g_string_append_printf (json,
      "\"%s\": {\"type\": \"%s\", \"address\": \"%s\", \"port\": %u, \"transport\": \"%s\"}",
      name, burrow_candidate_type_to_string (burrow_candidate_get_candidate_type (candidate)),
      ip, burrow_candidate_get_port (candidate),
      burrow_candidate_transport_to_string (burrow_candidate_get_transport (candidate)));
}

static void
print_selected (Ice *ice)
{
  g_autoptr(BurrowCandidate) local = NULL;
  g_autoptr(BurrowCandidate) remote = NULL;
  gboolean controlling;

  if (!burrow_agent_get_selected_pair (ice->agent, ice->stream_id, 1, &local, &remote)) {
    g_printerr ("burrow-ice: connected, but the agent names no selected pair\n");
    return;
  }
  g_object_get (ice->agent, "controlling-mode", &controlling, NULL);
  if (opt_json) {
    g_autoptr(GString) json = g_string_new ("{");

    json_candidate (json, "local", local);
    g_string_append (json, ", ");
    json_candidate (json, "remote", remote);
    g_string_append_printf (json, ", \"role\": \"%s\"}",
        controlling ? "controlling" : "controlled");
    g_printerr ("%s\n", json->str);
  } else {
    g_autofree gchar *l = endpoint_string (local);
    g_autofree gchar *r = endpoint_string (remote);

    g_printerr ("selected: %s %s -> %s %s\n",
        burrow_candidate_type_to_string (burrow_candidate_get_candidate_type (local)), l,
        burrow_candidate_type_to_string (burrow_candidate_get_candidate_type (remote)), r);
  }
}

static void
connected (Ice *ice)
{
  ice->phase = PHASE_CONNECTED;
  clear_timer (&ice->timer);
  print_selected (ice);
  pump (ice);
}

static void
state_changed_cb (BurrowAgent *agent, guint stream_id, guint component_id, guint state,
    Ice *ice)
{
  if (state == BURROW_COMPONENT_STATE_READY && ice->phase == PHASE_CONNECTING)
    connected (ice);
  else if (state == BURROW_COMPONENT_STATE_FAILED && ice->phase >= PHASE_CONNECTED)
    finish (ice, 1, "the connection was lost: the peer stopped answering");
  else if (state == BURROW_COMPONENT_STATE_FAILED)
    finish (ice, 1, "ICE failed: no candidate pair worked (%u local and %u remote "
        "candidates; try --stun or --turn)",
        count_candidates (burrow_agent_get_local_candidates (agent, stream_id, 1)),
        count_candidates (burrow_agent_get_remote_candidates (agent, stream_id, 1)));
}

/* ---- signalling ---- */

/* Our SDP as one line: base64, or with --plain the text with
 * PLAIN_SEPARATOR for its newlines. */
static gchar *
make_local_line (BurrowAgent *agent)
{
  g_autofree gchar *sdp = burrow_agent_generate_local_sdp (agent);

  g_strchomp (sdp);
  if (!opt_plain)
    return g_base64_encode ((const guchar *) sdp, strlen (sdp));
  if (strchr (sdp, PLAIN_SEPARATOR)) {
    g_printerr ("burrow-ice: the local SDP holds '%c'; it cannot go --plain\n",
        PLAIN_SEPARATOR);
    return NULL;
  }
  g_strdelimit (sdp, "\n", PLAIN_SEPARATOR);
  g_strdelimit (sdp, "\r", ' ');
  return g_steal_pointer (&sdp);
}

/* The SDP in a peer's line, plain (it starts with "m=" or "v=") or base64. */
static gchar *
decode_line (const gchar *line, GError **error)
{
  static const gchar base64_chars[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
  g_autofree guchar *decoded = NULL;
  gsize len = strlen (line), n;

  if (g_str_has_prefix (line, "m=") || g_str_has_prefix (line, "v=")) {
    gchar *sdp = g_strdup (line);
    const gchar separator[] = { PLAIN_SEPARATOR, '\0' };

    return g_strdelimit (sdp, separator, '\n');
  }
  if (len == 0 || len % 4 != 0 || strspn (line, base64_chars) != len) {
    g_set_error_literal (error, BURROW_ICE_ERROR, BURROW_ICE_ERROR_INVALID_SDP,
        "the peer's line is neither base64 nor plain SDP: give this program the line "
        "the other burrow-ice printed");
    return NULL;
  }
  decoded = g_base64_decode (line, &n);
  if (n == 0 || memchr (decoded, '\0', n) || !g_utf8_validate ((gchar *) decoded, n, NULL)) {
    g_set_error_literal (error, BURROW_ICE_ERROR, BURROW_ICE_ERROR_INVALID_SDP,
        "the peer's line is base64 but not of SDP text");
    return NULL;
  }
  return g_strndup ((gchar *) decoded, n);
}

/* How many of @candidates (freed) the agent can use: UDP ones. */
static guint
count_udp (GSList *candidates)
{
  guint n = 0;
  GSList *l;

  for (l = candidates; l; l = l->next)
    if (burrow_candidate_get_transport (l->data) == BURROW_CANDIDATE_TRANSPORT_UDP)
      n++;
  g_slist_free_full (candidates, g_object_unref);
  return n;
}

/* Checks that the peer's SDP gives what a connection needs, then hands it
 * to the agent, which starts the checks. */
static gboolean
apply_peer_sdp (Ice *ice, const gchar *sdp, GError **error)
{
  g_autofree gchar *ufrag = NULL;
  g_autofree gchar *pwd = NULL;
  GSList *candidates;
  gboolean any;

  candidates = burrow_agent_parse_remote_stream_sdp (ice->agent, ice->stream_id, sdp, &ufrag,
      &pwd);
  any = candidates != NULL;
  if (count_udp (candidates) == 0 || ufrag == NULL || pwd == NULL) {
    g_set_error (error, BURROW_ICE_ERROR, BURROW_ICE_ERROR_INVALID_SDP, "the peer's SDP has %s",
        !any ? "no candidate (a=candidate lines)" :
        ufrag == NULL || pwd == NULL ? "no ICE credentials (a=ice-ufrag and a=ice-pwd lines)" :
        "no UDP candidate, the only kind Burrow uses");
    return FALSE;
  }
  burrow_agent_attach_recv (ice->agent, ice->stream_id, 1, NULL, recv_cb, ice);
  /* 0 is no error: checks from the peer may have taught the agent its
   * candidates already, as peer-reflexive ones */
  if (burrow_agent_parse_remote_sdp (ice->agent, sdp) < 0) {
    g_set_error_literal (error, BURROW_ICE_ERROR, BURROW_ICE_ERROR_INVALID_SDP,
        "the agent refused the peer's SDP (bad credentials or candidates, or more than one "
        "media section)");
    return FALSE;
  }
  return TRUE;
}

static void
handle_peer_line (Ice *ice, gchar *line)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *sdp = NULL;
  gboolean controlling;

  g_strstrip (line);
  if (g_strcmp0 (line, ice->local_line) == 0) {
    finish (ice, 1, "the peer's line is this program's own: give each peer the other's line");
    return;
  }
  sdp = decode_line (line, &error);
  if (sdp == NULL) {
    finish (ice, 1, "%s", error->message);
    return;
  }
  /* the same rule on both sides gives opposite roles; a conflict is
   * repaired by ICE anyway (RFC 8445 section 7.3.1.1) */
  controlling = opt_controlling || opt_controlled ? opt_controlling :
      strcmp (ice->local_line, line) < 0;
  g_object_set (ice->agent, "controlling-mode", controlling, NULL);
  ice->phase = PHASE_CONNECTING;
  set_deadline (ice);
  if (!apply_peer_sdp (ice, sdp, &error))
    finish (ice, 1, "%s", error->message);
}

/* Looks for the end of the peer's line in what stdin gave. */
static void
take_peer_line (Ice *ice)
{
  guint8 *newline = memchr (ice->pending->data, '\n', ice->pending->len);
  gchar *line;
  guint len;

  if (newline == NULL && !ice->in_eof) {
    if (ice->pending->len > LINE_MAX_BYTES)
      finish (ice, 1, "the peer's line is longer than %u bytes", LINE_MAX_BYTES);
    return;
  }
  if (newline == NULL && ice->pending->len == 0) {
    finish (ice, 1, "stdin ended before the peer's line came");
    return;
  }
  len = newline ? (guint) (newline - ice->pending->data) : ice->pending->len;
  line = g_strndup ((gchar *) ice->pending->data, len);
  if (strlen (line) != len) {
    g_free (line);
    finish (ice, 1, "the peer's line holds a NUL byte");
    return;
  }
  g_byte_array_remove_range (ice->pending, 0, MIN (len + 1, ice->pending->len));
  /* what follows the line is data, sent once connected */
  stop_stdin (ice);
  handle_peer_line (ice, line);
  g_free (line);
}

/* ---- stdin ---- */

static void
read_stdin (Ice *ice)
{
  g_autoptr(GError) error = NULL;
  guint8 buffer[4096];
  gsize size = ice->phase == PHASE_SIGNALLING ? sizeof buffer : DATAGRAM_MAX;
  gssize n;

  if (G_IS_POLLABLE_INPUT_STREAM (ice->in) &&
      g_pollable_input_stream_can_poll (G_POLLABLE_INPUT_STREAM (ice->in)))
    n = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (ice->in), buffer,
        size, NULL, &error);
  else
    n = g_input_stream_read (ice->in, buffer, size, NULL, &error);
  if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return;
  if (n < 0) {
    finish (ice, 1, "could not read stdin: %s", error->message);
    return;
  }
  if (n == 0)
    ice->in_eof = TRUE;
  else
    g_byte_array_append (ice->pending, buffer, (guint) n);
  if (ice->phase == PHASE_SIGNALLING)
    take_peer_line (ice);
  else
    pump (ice);
}

static gboolean
stdin_ready_cb (gpointer user_data)
{
  Ice *ice = user_data;
  GSource *self = g_main_current_source ();

  read_stdin (ice);
  return ice->in_source == self ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static gboolean
stdin_pollable_cb (GObject *stream, gpointer user_data)
{
  return stdin_ready_cb (user_data);
}

/* Reads stdin from the main loop: when it is readable if it can be polled
 * (pipes, terminals, sockets), else (a file) whenever the loop is idle. */
static void
watch_stdin (Ice *ice)
{
  if (ice->in_source || ice->in_eof)
    return;
  if (G_IS_POLLABLE_INPUT_STREAM (ice->in) &&
      g_pollable_input_stream_can_poll (G_POLLABLE_INPUT_STREAM (ice->in))) {
    ice->in_source = g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM (ice->in),
        NULL);
    g_source_set_callback (ice->in_source, G_SOURCE_FUNC (stdin_pollable_cb), ice, NULL);
  } else {
    ice->in_source = g_idle_source_new ();
    g_source_set_callback (ice->in_source, stdin_ready_cb, ice, NULL);
  }
  g_source_set_static_name (ice->in_source, "[burrow-ice] stdin");
  g_source_attach (ice->in_source, NULL);
}

/* ---- gathering ---- */

static void
gathering_done_cb (BurrowAgent *agent, guint stream_id, Ice *ice)
{
  if (ice->phase != PHASE_GATHERING || stream_id != ice->stream_id)
    return;
  if (count_candidates (burrow_agent_get_local_candidates (agent, stream_id, 1)) == 0) {
    finish (ice, 1, "no local candidate to offer%s", opt_force_relay ?
        ": the TURN server gave no relayed address (check --turn, --turn-user and the "
        "password; G_MESSAGES_DEBUG=burrow-ice says more)" : "");
    return;
  }
  ice->local_line = make_local_line (agent);
  if (ice->local_line == NULL) {
    finish (ice, 1, NULL);
    return;
  }
  g_print ("%s\n", ice->local_line);
  fflush (stdout);
  if (isatty (STDIN_FILENO))
    g_printerr ("burrow-ice: give the line above to the peer, then paste its line here\n");
  ice->phase = PHASE_SIGNALLING;
  set_deadline (ice);
  watch_stdin (ice);
}

/* The agent with the options' servers and addresses; FALSE after saying
 * why not. */
static gboolean
configure_agent (Ice *ice, BurrowRelayType relay_type)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *host = NULL;
  g_autofree gchar *ip = NULL;
  guint16 port = 0;
  guint i;

  for (i = 0; opt_local_addresses && opt_local_addresses[i]; i++) {
    g_autoptr(GInetAddress) address = g_inet_address_new_from_string (opt_local_addresses[i]);

    burrow_agent_add_local_address (ice->agent, address);
  }
  g_object_set (ice->agent, "force-relay", opt_force_relay, "consent-freshness", TRUE, NULL);
  if (opt_stun) {
    split_host_port (opt_stun, 3478, &host, &port);
    if ((ip = resolve (host, &error)) == NULL) {
      g_printerr ("burrow-ice: STUN server %s: %s\n", host, error->message);
      return FALSE;
    }
    g_object_set (ice->agent, "stun-server", ip, "stun-server-port", (guint) port, NULL);
    g_clear_pointer (&host, g_free);
    g_clear_pointer (&ip, g_free);
  }
  if (opt_turn) {
    split_host_port (opt_turn, relay_type == BURROW_RELAY_TYPE_TURN_TLS ? 5349 : 3478, &host,
        &port);
    if ((ip = resolve (host, &error)) == NULL) {
      g_printerr ("burrow-ice: TURN server %s: %s\n", host, error->message);
      return FALSE;
    }
    burrow_agent_set_relay_info (ice->agent, ice->stream_id, 1, ip, port, opt_turn_user,
        turn_password (), relay_type);
  }
  return TRUE;
}

static gboolean
check_servers (void)
{
  g_autofree gchar *stun_host = NULL;
  g_autofree gchar *turn_host = NULL;
  guint16 port;

  if (opt_stun && !split_host_port (opt_stun, 3478, &stun_host, &port)) {
    g_printerr ("burrow-ice: --stun '%s' is not HOST, HOST:PORT or [IPV6]:PORT\n", opt_stun);
    return FALSE;
  }
  if (opt_turn && !split_host_port (opt_turn, 3478, &turn_host, &port)) {
    g_printerr ("burrow-ice: --turn '%s' is not HOST, HOST:PORT or [IPV6]:PORT\n", opt_turn);
    return FALSE;
  }
  return TRUE;
}

static int
run (Ice *ice, BurrowRelayType relay_type)
{
  guint sigint, sigterm;

  ice->agent = burrow_agent_new (NULL, BURROW_COMPATIBILITY_RFC5245);
  if (opt_ca_file)
    g_object_set (ice->agent, "tls-ca-file", opt_ca_file, NULL);
  ice->stream_id = burrow_agent_add_stream (ice->agent, 1);
  if (!configure_agent (ice, relay_type))
    return 1;
  g_signal_connect (ice->agent, "candidate-gathering-done", G_CALLBACK (gathering_done_cb), ice);
  g_signal_connect (ice->agent, "component-state-changed", G_CALLBACK (state_changed_cb), ice);
  ice->phase = PHASE_GATHERING;
  set_deadline (ice);
  if (!burrow_agent_gather_candidates (ice->agent, ice->stream_id)) {
    g_printerr ("burrow-ice: could not open a local socket (check --local-address)\n");
    return 1;
  }
  sigint = g_unix_signal_add (SIGINT, signal_cb, ice);
  sigterm = g_unix_signal_add (SIGTERM, signal_cb, ice);
  if (ice->phase != PHASE_DONE)
    g_main_loop_run (ice->loop);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  g_signal_handlers_disconnect_by_data (ice->agent, ice);
  burrow_agent_attach_recv (ice->agent, ice->stream_id, 1, NULL, NULL, NULL);
  return ice->status;
}

int
main (int argc, char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  BurrowRelayType relay_type = BURROW_RELAY_TYPE_TURN_UDP;
  Ice ice = { NULL, };
  int status;

  context = g_option_context_new ("- connect to a peer with ICE and pipe stdin and stdout");
  g_option_context_set_summary (context,
      "Gathers candidates and prints this peer's SDP as one line on stdout (base64, or with\n"
      "--plain the SDP with '|' for newlines), then reads the peer's line, in either form,\n"
      "from stdin. Run it on both peers and give each the other's line. Once ICE has\n"
      "connected it prints the selected pair on stderr (\"selected: host 192.0.2.1:5000 ->\n"
      "srflx 198.51.100.7:6000\"), and then sends what comes on stdin to the peer, in\n"
      "datagrams of up to 1200 bytes, and writes what the peer sends to stdout. It is UDP:\n"
      "nothing is retransmitted. When stdin ends it receives for --drain seconds more.\n"
      "The peer whose line sorts first (as bytes) is controlling, unless --controlling or\n"
      "--controlled says otherwise; give both peers a role or neither.\n"
      "Exit status: 0 when the peers connected and then stdin ended (or Ctrl-C came), 1\n"
      "when the peer's line was unusable or ICE failed, timed out or was interrupted\n"
      "before connecting, 2 on bad usage.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    g_printerr ("burrow-ice: %s\n", error->message);
    return 2;
  }
  if (argc != 1) {
    g_printerr ("burrow-ice: takes no arguments, only options (see --help)\n");
    return 2;
  }
  if (!check_options (&relay_type) || !check_servers ())
    return 2;

  /* stdout carries the line and the data: G_MESSAGES_DEBUG goes to stderr */
  g_log_writer_default_set_use_stderr (TRUE);
  /* a closed stdout is an error to report, not a silent death */
  signal (SIGPIPE, SIG_IGN);
  ice.loop = g_main_loop_new (NULL, FALSE);
  ice.in = g_unix_input_stream_new (STDIN_FILENO, FALSE);
  ice.out = g_unix_output_stream_new (STDOUT_FILENO, FALSE);
  ice.pending = g_byte_array_new ();
  status = run (&ice, relay_type);

  stop_stdin (&ice);
  clear_timer (&ice.timer);
  clear_timer (&ice.retry);
  if (ice.agent)
    burrow_agent_close_async (ice.agent, NULL, NULL);
  g_clear_object (&ice.agent);
  g_clear_object (&ice.in);
  g_clear_object (&ice.out);
  g_byte_array_unref (ice.pending);
  g_free (ice.local_line);
  g_main_loop_unref (ice.loop);
  return status;
}
