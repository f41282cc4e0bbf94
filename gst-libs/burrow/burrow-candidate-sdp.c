/* burrow-candidate-sdp.c: BurrowCandidate as SDP a=candidate lines
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "burrow-candidate.h"
#include "burrow-error.h"

#include <string.h>

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "burrow-ice"

/* The related address SDP carries: the one set, or else for a reflexive
 * candidate its base (RFC 8839 section 5.1). Host candidates carry none
 * unless one was set, as when a parsed line had one. */
static GInetSocketAddress *
related_for_sdp (BurrowCandidate *self)
{
  BurrowCandidateType type = burrow_candidate_get_candidate_type (self);
  GInetSocketAddress *address = burrow_candidate_get_address (self);
  GInetSocketAddress *base = burrow_candidate_get_base_address (self);

  if (burrow_candidate_get_related_address (self) != NULL)
    return burrow_candidate_get_related_address (self);
  if (type != BURROW_CANDIDATE_TYPE_SERVER_REFLEXIVE &&
      type != BURROW_CANDIDATE_TYPE_PEER_REFLEXIVE)
    return NULL;
  if (base == NULL || (g_inet_socket_address_get_port (base) ==
          g_inet_socket_address_get_port (address) &&
          g_inet_address_equal (g_inet_socket_address_get_address (base),
              g_inet_socket_address_get_address (address))))
    return NULL;
  return base;
}

/**
 * burrow_candidate_to_sdp:
 * @self: a candidate with an address, a foundation and a priority
 *
 * Writes the candidate as the value of an SDP candidate attribute (RFC
 * 8839 section 5.1), without the leading "a=": the form WebRTC's
 * `RTCIceCandidate.candidate` and trickle ICE messages carry.
 *
 *     candidate:1 1 UDP 2130706431 192.0.2.1 5000 typ host
 *     candidate:2 1 UDP 1694498815 203.0.113.7 61234 typ srflx raddr 192.0.2.1 rport 5000
 *     candidate:3 1 TCP 2128609279 192.0.2.1 9 typ host tcptype active
 *
 * The related address is [property@Burrow.Candidate:related-address], or
 * for a reflexive candidate without one its
 * [property@Burrow.Candidate:base-address]. Active TCP candidates carry
 * port 9, as RFC 6544 section 4.5 asks, whatever their own port.
 * Usernames and passwords are not written; they travel in `a=ice-ufrag`
 * and `a=ice-pwd`.
 *
 * Returns: (transfer full): the attribute value
 *
 * Since: 0.1
 */
gchar *
burrow_candidate_to_sdp (BurrowCandidate *self)
{
  BurrowCandidateTransport transport;
  GInetSocketAddress *related;
  GString *out;
  g_autofree gchar *ip = NULL;
  guint port;

  g_return_val_if_fail (BURROW_IS_CANDIDATE (self), NULL);
  g_return_val_if_fail (burrow_candidate_get_address (self) != NULL, NULL);
  g_return_val_if_fail (burrow_candidate_get_foundation (self) != NULL, NULL);
  g_return_val_if_fail (burrow_candidate_get_priority (self) != 0, NULL);

  transport = burrow_candidate_get_transport (self);
  ip = burrow_candidate_get_ip (self);
  port = burrow_candidate_get_port (self);
  if (transport == BURROW_CANDIDATE_TRANSPORT_TCP_ACTIVE)
    port = 9;

  out = g_string_new (NULL);
  g_string_append_printf (out, "candidate:%s %u %s %" G_GUINT32_FORMAT " %s %u typ %s",
      burrow_candidate_get_foundation (self), burrow_candidate_get_component_id (self),
      transport == BURROW_CANDIDATE_TRANSPORT_UDP ? "UDP" : "TCP",
      burrow_candidate_get_priority (self), ip, port,
      burrow_candidate_type_to_string (burrow_candidate_get_candidate_type (self)));

  related = related_for_sdp (self);
  if (related != NULL) {
    g_autofree gchar *rip =
        g_inet_address_to_string (g_inet_socket_address_get_address (related));

    g_string_append_printf (out, " raddr %s rport %u", rip,
        g_inet_socket_address_get_port (related));
  }
  if (transport != BURROW_CANDIDATE_TRANSPORT_UDP)
    g_string_append_printf (out, " tcptype %s", burrow_candidate_get_tcp_type (self));

  return g_string_free (out, FALSE);
}

/**
 * burrow_candidate_to_sdp_attribute:
 * @self: a candidate with an address, a foundation and a priority
 *
 * Writes the candidate as a whole SDP attribute line (without line end),
 * "a=" followed by [method@Burrow.Candidate.to_sdp]: what libnice's
 * `nice_agent_generate_local_candidate_sdp()` gives.
 *
 * Returns: (transfer full): the attribute line
 *
 * Since: 0.1
 */
gchar *
burrow_candidate_to_sdp_attribute (BurrowCandidate *self)
{
  g_autofree gchar *value = NULL;

  g_return_val_if_fail (BURROW_IS_CANDIDATE (self), NULL);

  value = burrow_candidate_to_sdp (self);
  if (value == NULL)
    return NULL;
  return g_strconcat ("a=", value, NULL);
}

/* Reading a=candidate lines.
 *
 * BURROW_ICE_ERROR_INVALID_SDP is for text that does not have the shape of
 * the grammar (too long, stray bytes, missing or non-numeric fields, an
 * attribute without value, a repeated attribute); INVALID_CANDIDATE is for
 * well-formed fields whose values cannot make a candidate (out of range,
 * not an IP address, unknown type or transport). */

typedef struct {
  const gchar *foundation;
  guint64 component_id;
  const gchar *transport;
  guint64 priority;
  const gchar *ip;
  guint64 port;
  const gchar *type;
  const gchar *raddr;
  const gchar *rport;
  const gchar *tcptype;
} SdpFields;

static const gchar *const field_names[] = {
  "foundation", "component-id", "transport", "priority", "connection-address", "port",
};

/* Checks length and bytes, strips blanks and the optional "a=" and
 * "candidate:" prefixes; returns a copy of the rest. */
static gchar *
sdp_body (const gchar *sdp, GError **error)
{
  gsize len = strnlen (sdp, BURROW_CANDIDATE_MAX_SDP_LENGTH + 1);
  g_autofree gchar *line = NULL;
  const gchar *p;
  gsize i;

  if (len > BURROW_CANDIDATE_MAX_SDP_LENGTH) {
    g_set_error (error, BURROW_ICE_ERROR, BURROW_ICE_ERROR_INVALID_SDP,
        "Candidate line is longer than %u bytes", BURROW_CANDIDATE_MAX_SDP_LENGTH);
    return NULL;
  }
  line = g_strstrip (g_strdup (sdp));
  for (i = 0; line[i] != '\0'; i++) {
    guchar c = line[i];

    if ((c < 0x20 && c != '\t') || c > 0x7e) {
      g_set_error (error, BURROW_ICE_ERROR, BURROW_ICE_ERROR_INVALID_SDP,
          "Candidate line has a control or non-ASCII byte 0x%02x at offset %" G_GSIZE_FORMAT,
          c, i);
      return NULL;
    }
  }

  p = line;
  if (g_ascii_strncasecmp (p, "a=", 2) == 0) {
    p += 2;
    if (g_ascii_strncasecmp (p, "candidate:", 10) != 0) {
      g_set_error (error, BURROW_ICE_ERROR, BURROW_ICE_ERROR_INVALID_SDP,
          "'a=%.*s' is not a candidate attribute", (int) MIN (strcspn (p, ": \t"), 40), p);
      return NULL;
    }
  }
  if (g_ascii_strncasecmp (p, "candidate:", 10) == 0)
    p += 10;
  return g_strdup (p);
}

/* Splits on runs of blanks, in place. */
static GPtrArray *
sdp_tokens (gchar *body)
{
  GPtrArray *tokens = g_ptr_array_new ();
  gchar *p = body;

  while (*p != '\0') {
    while (*p == ' ' || *p == '\t')
      *p++ = '\0';
    if (*p == '\0')
      break;
    g_ptr_array_add (tokens, p);
    while (*p != '\0' && *p != ' ' && *p != '\t')
      p++;
  }
  return tokens;
}

static gboolean
parse_number (const gchar *token, const gchar *what, guint64 min, guint64 max, guint64 *out,
    GError **error)
{
  gsize len = strlen (token), i;

  for (i = 0; i < len; i++) {
    if (!g_ascii_isdigit (token[i])) {
      g_set_error (error, BURROW_ICE_ERROR, BURROW_ICE_ERROR_INVALID_SDP,
          "Candidate %s '%.20s%s' is not a decimal number", what, token, len > 20 ? "..." : "");
      return FALSE;
    }
  }
  while (len > 1 && token[0] == '0')
    token++, len--;
  if (len > 10 || (*out = g_ascii_strtoull (token, NULL, 10)) < min || *out > max) {
    g_set_error (error, BURROW_ICE_ERROR, BURROW_ICE_ERROR_INVALID_CANDIDATE,
        "Candidate %s %.20s%s is out of range: it must be %" G_GUINT64_FORMAT " to %"
        G_GUINT64_FORMAT, what, token, len > 20 ? "..." : "", min, max);
    return FALSE;
  }
  return TRUE;
}

static gboolean
sdp_fixed_fields (GPtrArray *tokens, SdpFields *f, GError **error)
{
  const gchar *const *t = (const gchar *const *) tokens->pdata;

  if (tokens->len < G_N_ELEMENTS (field_names)) {
    g_set_error (error, BURROW_ICE_ERROR, BURROW_ICE_ERROR_INVALID_SDP,
        "Candidate line ends before its %s (it needs foundation, component-id, transport, "
        "priority, address, port and typ)", field_names[tokens->len]);
    return FALSE;
  }
  f->foundation = t[0];
  if (!burrow_candidate_foundation_is_valid (f->foundation)) {
    g_set_error (error, BURROW_ICE_ERROR, BURROW_ICE_ERROR_INVALID_CANDIDATE,
        "Candidate foundation '%.40s%s' is not 1 to %d letters, digits, '+' or '/'",
        f->foundation, strlen (f->foundation) > 40 ? "..." : "",
        BURROW_CANDIDATE_MAX_FOUNDATION);
    return FALSE;
  }
  f->transport = t[2];
  f->ip = t[4];
  return parse_number (t[1], "component-id", 1, 256, &f->component_id, error) &&
      parse_number (t[3], "priority", 1, G_MAXINT32, &f->priority, error) &&
      parse_number (t[5], "port", 0, G_MAXUINT16, &f->port, error);
}

/* The name-value pairs after the port: typ, raddr, rport, tcptype and
 * extensions (generation, ufrag, network-id, network-cost...), which are
 * skipped. */
static gboolean
sdp_attributes (GPtrArray *tokens, SdpFields *f, GError **error)
{
  const gchar *const known[] = { "typ", "raddr", "rport", "tcptype" };
  const gchar **slots[] = { &f->type, &f->raddr, &f->rport, &f->tcptype };
  guint i, k;

  for (i = G_N_ELEMENTS (field_names); i < tokens->len; i += 2) {
    const gchar *name = g_ptr_array_index (tokens, i);

    if (i + 1 >= tokens->len) {
      g_set_error (error, BURROW_ICE_ERROR, BURROW_ICE_ERROR_INVALID_SDP,
          "Candidate attribute '%.40s' has no value", name);
      return FALSE;
    }
    for (k = 0; k < G_N_ELEMENTS (known); k++) {
      if (g_ascii_strcasecmp (name, known[k]) != 0)
        continue;
      if (*slots[k] != NULL) {
        g_set_error (error, BURROW_ICE_ERROR, BURROW_ICE_ERROR_INVALID_SDP,
            "Candidate line has '%s' twice", known[k]);
        return FALSE;
      }
      *slots[k] = g_ptr_array_index (tokens, i + 1);
    }
  }
  if (f->type == NULL) {
    g_set_error_literal (error, BURROW_ICE_ERROR, BURROW_ICE_ERROR_INVALID_SDP,
        "Candidate line has no 'typ'");
    return FALSE;
  }
  return TRUE;
}

static gboolean
parse_candidate_type (const gchar *name, BurrowCandidateType *type, GError **error)
{
  guint i;

  for (i = 0; i <= BURROW_CANDIDATE_TYPE_RELAYED; i++) {
    if (g_ascii_strcasecmp (name, burrow_candidate_type_to_string (i)) == 0) {
      *type = i;
      return TRUE;
    }
  }
  g_set_error (error, BURROW_ICE_ERROR, BURROW_ICE_ERROR_INVALID_CANDIDATE,
      "Candidate type '%.20s' is unknown (host, srflx, prflx or relay)", name);
  return FALSE;
}

static gboolean
parse_tcptype (const gchar *tcptype, BurrowCandidateTransport *transport)
{
  if (g_ascii_strcasecmp (tcptype, "active") == 0)
    *transport = BURROW_CANDIDATE_TRANSPORT_TCP_ACTIVE;
  else if (g_ascii_strcasecmp (tcptype, "passive") == 0)
    *transport = BURROW_CANDIDATE_TRANSPORT_TCP_PASSIVE;
  else if (g_ascii_strcasecmp (tcptype, "so") == 0)
    *transport = BURROW_CANDIDATE_TRANSPORT_TCP_SO;
  else
    return FALSE;
  return TRUE;
}

static gboolean
parse_transport (const SdpFields *f, BurrowCandidateTransport *transport, GError **error)
{
  /* "TCP-ACT", "TCP-PASS" and "TCP-SO", from drafts of RFC 6544, are read
   * by libnice too; their order is that of the enum */
  const gchar *const names[] = { "UDP", "TCP-ACT", "TCP-PASS", "TCP-SO" };
  BurrowCandidateTransport from_tcptype;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (names); i++) {
    if (g_ascii_strcasecmp (f->transport, names[i]) == 0)
      break;
  }
  if (i < G_N_ELEMENTS (names)) {
    *transport = i;
  } else if (g_ascii_strcasecmp (f->transport, "TCP") != 0) {
    g_set_error (error, BURROW_ICE_ERROR, BURROW_ICE_ERROR_INVALID_CANDIDATE,
        "Candidate transport '%.20s' is not supported (UDP or TCP)", f->transport);
    return FALSE;
  } else if (f->tcptype == NULL) {
    g_set_error_literal (error, BURROW_ICE_ERROR, BURROW_ICE_ERROR_INVALID_CANDIDATE,
        "TCP candidate has no tcptype (RFC 6544: active, passive or so)");
    return FALSE;
  }
  if (f->tcptype == NULL)
    return TRUE;
  if (i == BURROW_CANDIDATE_TRANSPORT_UDP) {
    g_set_error_literal (error, BURROW_ICE_ERROR, BURROW_ICE_ERROR_INVALID_CANDIDATE,
        "UDP candidate has a tcptype");
    return FALSE;
  }
  if (!parse_tcptype (f->tcptype, &from_tcptype)) {
    g_set_error (error, BURROW_ICE_ERROR, BURROW_ICE_ERROR_INVALID_CANDIDATE,
        "Candidate tcptype '%.20s' is unknown (active, passive or so)", f->tcptype);
    return FALSE;
  }
  if (i < G_N_ELEMENTS (names) && from_tcptype != *transport) {
    g_set_error (error, BURROW_ICE_ERROR, BURROW_ICE_ERROR_INVALID_CANDIDATE,
        "Candidate tcptype '%.20s' contradicts its transport %s", f->tcptype, names[i]);
    return FALSE;
  }
  *transport = from_tcptype;
  return TRUE;
}

static GInetSocketAddress *
parse_address (const gchar *ip, guint port, const gchar *what, GError **error)
{
  g_autoptr(GInetAddress) address = NULL;
  gsize len = strlen (ip);

  if (len > 0 && ip[len - 1] == '.')
    len--;
  if (len >= 6 && g_ascii_strncasecmp (ip + len - 6, ".local", 6) == 0) {
    g_set_error (error, BURROW_ICE_ERROR, BURROW_ICE_ERROR_INVALID_CANDIDATE,
        "Candidate %s '%.64s' is an mDNS name; Burrow does not resolve .local names, "
        "so the candidate cannot be used (ask the peer not to hide its addresses)", what, ip);
    return NULL;
  }
  address = g_inet_address_new_from_string (ip);
  if (address == NULL) {
    g_set_error (error, BURROW_ICE_ERROR, BURROW_ICE_ERROR_INVALID_CANDIDATE,
        "Candidate %s '%.64s' is not an IPv4 or IPv6 address (host names are not resolved)",
        what, ip);
    return NULL;
  }
  return G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (address, port));
}

static BurrowCandidate *
candidate_from_fields (const SdpFields *f, guint stream_id, GError **error)
{
  g_autoptr(GInetSocketAddress) address = NULL;
  g_autoptr(GInetSocketAddress) related = NULL;
  BurrowCandidateType type;
  BurrowCandidateTransport transport;
  guint64 rport = 0;

  if (!parse_candidate_type (f->type, &type, error) ||
      !parse_transport (f, &transport, error))
    return NULL;
  if (f->port == 0 && transport != BURROW_CANDIDATE_TRANSPORT_TCP_ACTIVE) {
    g_set_error_literal (error, BURROW_ICE_ERROR, BURROW_ICE_ERROR_INVALID_CANDIDATE,
        "Candidate port is 0, which only an active TCP candidate may have");
    return NULL;
  }
  if ((f->raddr == NULL) != (f->rport == NULL)) {
    g_set_error (error, BURROW_ICE_ERROR, BURROW_ICE_ERROR_INVALID_CANDIDATE,
        "Candidate has %s without %s", f->raddr ? "raddr" : "rport",
        f->raddr ? "rport" : "raddr");
    return NULL;
  }
  if (f->rport != NULL && !parse_number (f->rport, "rport", 0, G_MAXUINT16, &rport, error))
    return NULL;
  address = parse_address (f->ip, f->port, "address", error);
  if (address == NULL)
    return NULL;
  if (f->raddr != NULL && (related = parse_address (f->raddr, rport, "raddr", error)) == NULL)
    return NULL;

  return g_object_new (BURROW_TYPE_CANDIDATE, "type", type, "transport", transport,
      "address", address, "related-address", related, "foundation", f->foundation,
      "component-id", (guint) f->component_id, "priority", (guint) f->priority,
      "stream-id", stream_id, NULL);
}

/**
 * burrow_candidate_new_from_sdp:
 * @sdp: a candidate line
 * @stream_id: the stream to give the candidate, as
 *   [property@Burrow.Candidate:stream-id]
 * @error: return location for a #GError
 *
 * Reads a candidate from SDP (RFC 8839 section 5.1, RFC 6544 section 4.5),
 * as [method@Burrow.Candidate.to_sdp] writes it and as browsers and libnice
 * send it. The line may start with "a=candidate:", "candidate:" or
 * directly with the foundation, and may end in CRLF. Transport, `typ` and
 * `tcptype` are read whatever their case; addresses must be IPv4 or IPv6
 * literals. Extension attributes ("generation 0", "ufrag ...",
 * "network-id 1"...) are skipped. Like libnice's
 * `nice_agent_parse_remote_candidate_sdp()`, but it says why a line is
 * refused.
 *
 * Lines that break the grammar (longer than
 * %BURROW_CANDIDATE_MAX_SDP_LENGTH bytes, control or non-ASCII bytes,
 * missing or non-numeric fields, no `typ`, an attribute without value or
 * given twice) fail with %BURROW_ICE_ERROR_INVALID_SDP. Values that cannot
 * make a candidate (a foundation that is not 1 to 32 ice-chars, component
 * outside 1 to 256, priority outside 1 to 2^31 - 1, ports above 65535 or 0
 * on anything but an active TCP candidate, an unknown type or transport, a
 * TCP candidate without `tcptype`, an address that is not an IP, among them
 * mDNS ".local" names, which Burrow does not resolve) fail with
 * %BURROW_ICE_ERROR_INVALID_CANDIDATE.
 *
 * Returns: (transfer full): the candidate, or %NULL with @error set
 *
 * Since: 0.1
 */
BurrowCandidate *
burrow_candidate_new_from_sdp (const gchar *sdp, guint stream_id, GError **error)
{
  g_autofree gchar *body = NULL;
  g_autoptr(GPtrArray) tokens = NULL;
  SdpFields fields = { 0, };

  g_return_val_if_fail (sdp != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  body = sdp_body (sdp, error);
  if (body == NULL)
    return NULL;
  tokens = sdp_tokens (body);
  if (tokens->len == 0) {
    g_set_error_literal (error, BURROW_ICE_ERROR, BURROW_ICE_ERROR_INVALID_SDP,
        "Candidate line is empty");
    return NULL;
  }
  if (!sdp_fixed_fields (tokens, &fields, error) || !sdp_attributes (tokens, &fields, error))
    return NULL;
  return candidate_from_fields (&fields, stream_id, error);
}
