/* test-candidate.c: BurrowCandidate's priorities, foundations and SDP lines,
 * against RFC 8445, RFC 8839, RFC 6544 and lines as browsers and libnice
 * write them
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <burrow/burrow.h>

#include <string.h>

#define N_MUTATIONS 5000
#define MUTATION_SEED 0x1ce5eed

static GInetSocketAddress *
socket_address (const gchar *ip, guint16 port)
{
  g_autoptr(GInetAddress) address = g_inet_address_new_from_string (ip);

  g_assert_nonnull (address);
  return G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (address, port));
}

static gchar *
address_to_string (GInetSocketAddress *address)
{
  g_autofree gchar *ip = NULL;

  if (address == NULL)
    return NULL;
  ip = g_inet_address_to_string (g_inet_socket_address_get_address (address));
  return g_strdup_printf ("%s %u", ip, g_inet_socket_address_get_port (address));
}

static void
assert_same_candidate (BurrowCandidate *a, BurrowCandidate *b)
{
  g_autofree gchar *a_addr = address_to_string (burrow_candidate_get_address (a));
  g_autofree gchar *b_addr = address_to_string (burrow_candidate_get_address (b));
  g_autofree gchar *a_rel = address_to_string (burrow_candidate_get_related_address (a));
  g_autofree gchar *b_rel = address_to_string (burrow_candidate_get_related_address (b));

  g_assert_cmpint (burrow_candidate_get_candidate_type (a), ==,
      burrow_candidate_get_candidate_type (b));
  g_assert_cmpint (burrow_candidate_get_transport (a), ==, burrow_candidate_get_transport (b));
  g_assert_cmpstr (burrow_candidate_get_foundation (a), ==, burrow_candidate_get_foundation (b));
  g_assert_cmpuint (burrow_candidate_get_component_id (a), ==,
      burrow_candidate_get_component_id (b));
  g_assert_cmpuint (burrow_candidate_get_priority (a), ==, burrow_candidate_get_priority (b));
  g_assert_cmpuint (burrow_candidate_get_stream_id (a), ==, burrow_candidate_get_stream_id (b));
  g_assert_cmpstr (a_addr, ==, b_addr);
  g_assert_cmpstr (a_rel, ==, b_rel);
}

/* RFC 8445 section 5.1.2.1, by hand: 2^24 * type + 2^8 * local + (256 - component) */
static void
test_priority_rfc8445_formula (void)
{
  /* 126 * 16777216 + 65535 * 256 + 255 */
  g_assert_cmpuint (burrow_candidate_compute_priority (BURROW_CANDIDATE_TYPE_HOST,
      BURROW_CANDIDATE_TRANSPORT_UDP, 65535, 1), ==, 2130706431);
  g_assert_cmpuint (burrow_candidate_compute_priority (BURROW_CANDIDATE_TYPE_HOST,
      BURROW_CANDIDATE_TRANSPORT_UDP, 65535, 2), ==, 2130706430);
  /* 100 * 16777216 + 65535 * 256 + 255 */
  g_assert_cmpuint (burrow_candidate_compute_priority (BURROW_CANDIDATE_TYPE_SERVER_REFLEXIVE,
      BURROW_CANDIDATE_TRANSPORT_UDP, 65535, 1), ==, 1694498815);
  /* 110 * 16777216 + 65535 * 256 + 255 */
  g_assert_cmpuint (burrow_candidate_compute_priority (BURROW_CANDIDATE_TYPE_PEER_REFLEXIVE,
      BURROW_CANDIDATE_TRANSPORT_UDP, 65535, 1), ==, 1862270975);
  /* 0 + 65535 * 256 + 255 */
  g_assert_cmpuint (burrow_candidate_compute_priority (BURROW_CANDIDATE_TYPE_RELAYED,
      BURROW_CANDIDATE_TRANSPORT_UDP, 65535, 1), ==, 16777215);
  /* 126 * 16777216 + 0 + 0 */
  g_assert_cmpuint (burrow_candidate_compute_priority (BURROW_CANDIDATE_TYPE_HOST,
      BURROW_CANDIDATE_TRANSPORT_UDP, 0, 256), ==, 2113929216);
}

/* RFC 6544 section 4.2: local preference = 2^13 * direction-pref + other-pref */
static void
test_priority_rfc6544_tcp (void)
{
  /* host active: (6 * 8192 + 8191) * 256, other-pref capped at 8191 */
  g_assert_cmpuint (burrow_candidate_compute_priority (BURROW_CANDIDATE_TYPE_HOST,
      BURROW_CANDIDATE_TRANSPORT_TCP_ACTIVE, 65535, 1), ==, 2128609279);
  /* host passive: 4 * 8192 + 100 */
  g_assert_cmpuint (burrow_candidate_compute_priority (BURROW_CANDIDATE_TYPE_HOST,
      BURROW_CANDIDATE_TRANSPORT_TCP_PASSIVE, 100, 1), ==, 2122343679);
  /* server reflexive simultaneous-open: 6 * 8192 */
  g_assert_cmpuint (burrow_candidate_compute_priority (BURROW_CANDIDATE_TYPE_SERVER_REFLEXIVE,
      BURROW_CANDIDATE_TRANSPORT_TCP_SO, 0, 1), ==, 1690304767);
  /* server reflexive passive: 2 * 8192 + 10 */
  g_assert_cmpuint (burrow_candidate_compute_priority (BURROW_CANDIDATE_TYPE_SERVER_REFLEXIVE,
      BURROW_CANDIDATE_TRANSPORT_TCP_PASSIVE, 10, 1), ==, 1681918719);
  /* peer reflexive active: 4 * 8192 + 8191 */
  g_assert_cmpuint (burrow_candidate_compute_priority (BURROW_CANDIDATE_TYPE_PEER_REFLEXIVE,
      BURROW_CANDIDATE_TRANSPORT_TCP_ACTIVE, 8191, 1), ==, 1855979519);
  /* relayed active, component 2: (6 * 8192 + 1) * 256 + 254 */
  g_assert_cmpuint (burrow_candidate_compute_priority (BURROW_CANDIDATE_TYPE_RELAYED,
      BURROW_CANDIDATE_TRANSPORT_TCP_ACTIVE, 1, 2), ==, 12583422);
  /* the best TCP host candidate ranks below the best UDP one */
  g_assert_cmpuint (burrow_candidate_compute_priority (BURROW_CANDIDATE_TYPE_HOST,
      BURROW_CANDIDATE_TRANSPORT_TCP_ACTIVE, 65535, 1), <,
      burrow_candidate_compute_priority (BURROW_CANDIDATE_TYPE_HOST,
          BURROW_CANDIDATE_TRANSPORT_UDP, 65535, 1));
}

static void
test_priority_rejects_bad_arguments (void)
{
  if (g_test_subprocess ()) {
    burrow_candidate_compute_priority (BURROW_CANDIDATE_TYPE_HOST,
        BURROW_CANDIDATE_TRANSPORT_UDP, 65535, 0);
    return;
  }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*component_id >= 1*");
}

static void
test_foundation_make (void)
{
  g_autoptr(GInetAddress) base = g_inet_address_new_from_string ("192.0.2.1");
  g_autoptr(GInetAddress) base2 = g_inet_address_new_from_string ("192.0.2.2");
  g_autoptr(GInetAddress) server = g_inet_address_new_from_string ("198.51.100.1");
  g_autoptr(GInetAddress) server2 = g_inet_address_new_from_string ("198.51.100.2");
  g_autofree gchar *host = burrow_candidate_make_foundation (BURROW_CANDIDATE_TYPE_HOST, base,
      NULL, BURROW_CANDIDATE_TRANSPORT_UDP);
  g_autofree gchar *host_server = burrow_candidate_make_foundation (BURROW_CANDIDATE_TYPE_HOST,
      base, server, BURROW_CANDIDATE_TRANSPORT_UDP);
  g_autofree gchar *host_tcp = burrow_candidate_make_foundation (BURROW_CANDIDATE_TYPE_HOST,
      base, NULL, BURROW_CANDIDATE_TRANSPORT_TCP_PASSIVE);
  g_autofree gchar *host2 = burrow_candidate_make_foundation (BURROW_CANDIDATE_TYPE_HOST, base2,
      NULL, BURROW_CANDIDATE_TRANSPORT_UDP);
  g_autofree gchar *srflx = burrow_candidate_make_foundation (
      BURROW_CANDIDATE_TYPE_SERVER_REFLEXIVE, base, server, BURROW_CANDIDATE_TRANSPORT_UDP);
  g_autofree gchar *srflx_again = burrow_candidate_make_foundation (
      BURROW_CANDIDATE_TYPE_SERVER_REFLEXIVE, base, server, BURROW_CANDIDATE_TRANSPORT_UDP);
  g_autofree gchar *srflx2 = burrow_candidate_make_foundation (
      BURROW_CANDIDATE_TYPE_SERVER_REFLEXIVE, base, server2, BURROW_CANDIDATE_TRANSPORT_UDP);
  g_autofree gchar *relay = burrow_candidate_make_foundation (BURROW_CANDIDATE_TYPE_RELAYED,
      base, server, BURROW_CANDIDATE_TRANSPORT_UDP);

  /* FNV-1a of "host|udp|192.0.2.1|" and "srflx|udp|192.0.2.1|198.51.100.1":
   * stable across runs and machines */
  g_assert_cmpstr (host, ==, "127684037");
  g_assert_cmpstr (srflx, ==, "2586167452");
  g_assert_cmpstr (host_server, ==, host);
  g_assert_cmpstr (srflx_again, ==, srflx);
  g_assert_cmpstr (host_tcp, !=, host);
  g_assert_cmpstr (host2, !=, host);
  g_assert_cmpstr (srflx2, !=, srflx);
  g_assert_cmpstr (relay, !=, srflx);
  g_assert_true (burrow_candidate_foundation_is_valid (host));
  g_assert_true (burrow_candidate_foundation_is_valid (relay));
}

static void
test_foundation_validity (void)
{
  g_assert_true (burrow_candidate_foundation_is_valid ("1"));
  g_assert_true (burrow_candidate_foundation_is_valid ("aB+/9"));
  g_assert_true (burrow_candidate_foundation_is_valid ("abcdefghijklmnopqrstuvwxyz012345"));
  g_assert_false (burrow_candidate_foundation_is_valid (""));
  g_assert_false (burrow_candidate_foundation_is_valid ("abcdefghijklmnopqrstuvwxyz0123456"));
  g_assert_false (burrow_candidate_foundation_is_valid ("a-b"));
  g_assert_false (burrow_candidate_foundation_is_valid ("a b"));
  g_assert_false (burrow_candidate_foundation_is_valid ("caf\xc3\xa9"));
}

static void
count_notify (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  GString *log = user_data;

  g_string_append_printf (log, "%s;", pspec->name);
}

static void
test_properties_notify_on_change (void)
{
  g_autoptr(BurrowCandidate) cand = burrow_candidate_new (BURROW_CANDIDATE_TYPE_HOST);
  g_autoptr(GInetSocketAddress) addr = socket_address ("192.0.2.1", 5000);
  g_autoptr(GInetSocketAddress) same = socket_address ("192.0.2.1", 5000);
  g_autoptr(GString) log = g_string_new (NULL);

  g_signal_connect (cand, "notify", G_CALLBACK (count_notify), log);
  burrow_candidate_set_address (cand, addr);
  burrow_candidate_set_address (cand, same);
  burrow_candidate_set_foundation (cand, "1");
  burrow_candidate_set_foundation (cand, "1");
  burrow_candidate_set_component_id (cand, 1);
  burrow_candidate_set_priority (cand, 7);
  burrow_candidate_set_transport (cand, BURROW_CANDIDATE_TRANSPORT_TCP_SO);
  burrow_candidate_set_username (cand, "ufrag");
  burrow_candidate_set_password (cand, NULL);
  g_assert_cmpstr (log->str, ==, "address;foundation;priority;transport;tcp-type;username;");
  g_assert_true (burrow_candidate_get_address (cand) == addr);
  g_assert_cmpstr (burrow_candidate_get_tcp_type (cand), ==, "so");
}

static void
test_properties_construct_and_copy (void)
{
  g_autoptr(GInetSocketAddress) addr = socket_address ("2001:db8::7", 61234);
  g_autoptr(GInetSocketAddress) base = socket_address ("fd00::2", 40000);
  g_autoptr(BurrowCandidate) cand = g_object_new (BURROW_TYPE_CANDIDATE,
      "type", BURROW_CANDIDATE_TYPE_SERVER_REFLEXIVE,
      "transport", BURROW_CANDIDATE_TRANSPORT_TCP_PASSIVE,
      "address", addr, "base-address", base, "priority", 1234,
      "foundation", "abc", "stream-id", 3, "component-id", 2,
      "username", "user", "password", "pass", NULL);
  g_autoptr(BurrowCandidate) copy = burrow_candidate_copy (cand);
  g_autoptr(BurrowCandidate) other = burrow_candidate_new (BURROW_CANDIDATE_TYPE_HOST);
  g_autofree gchar *ip = burrow_candidate_get_ip (cand);
  g_autofree gchar *tcp_type = NULL;

  g_object_get (cand, "tcp-type", &tcp_type, NULL);
  g_assert_cmpstr (tcp_type, ==, "passive");
  g_assert_cmpstr (ip, ==, "2001:db8::7");
  g_assert_cmpuint (burrow_candidate_get_port (cand), ==, 61234);
  assert_same_candidate (cand, copy);
  g_assert_true (burrow_candidate_get_base_address (copy) == base);
  g_assert_cmpstr (burrow_candidate_get_username (copy), ==, "user");
  g_assert_cmpstr (burrow_candidate_get_password (copy), ==, "pass");
  g_assert_true (burrow_candidate_equal_target (cand, copy));

  /* same address but another transport, then same transport and address */
  burrow_candidate_set_address (other, addr);
  g_assert_false (burrow_candidate_equal_target (cand, other));
  burrow_candidate_set_transport (other, BURROW_CANDIDATE_TRANSPORT_TCP_PASSIVE);
  g_assert_true (burrow_candidate_equal_target (cand, other));
  burrow_candidate_set_address (other, base);
  g_assert_false (burrow_candidate_equal_target (cand, other));
  burrow_candidate_set_address (other, NULL);
  g_assert_false (burrow_candidate_equal_target (other, other));
  g_assert_null (burrow_candidate_get_ip (other));
  g_assert_cmpuint (burrow_candidate_get_port (other), ==, 0);
}

static void
test_names (void)
{
  g_assert_cmpstr (burrow_candidate_type_to_string (BURROW_CANDIDATE_TYPE_HOST), ==, "host");
  g_assert_cmpstr (burrow_candidate_type_to_string (BURROW_CANDIDATE_TYPE_SERVER_REFLEXIVE),
      ==, "srflx");
  g_assert_cmpstr (burrow_candidate_type_to_string (BURROW_CANDIDATE_TYPE_PEER_REFLEXIVE),
      ==, "prflx");
  g_assert_cmpstr (burrow_candidate_type_to_string (BURROW_CANDIDATE_TYPE_RELAYED),
      ==, "relay");
  g_assert_cmpstr (burrow_candidate_transport_to_string (BURROW_CANDIDATE_TRANSPORT_UDP),
      ==, "udp");
  g_assert_cmpstr (burrow_candidate_transport_to_string (BURROW_CANDIDATE_TRANSPORT_TCP_ACTIVE),
      ==, "tcp-active");
  g_assert_cmpstr (burrow_candidate_transport_to_string (BURROW_CANDIDATE_TRANSPORT_TCP_PASSIVE),
      ==, "tcp-passive");
  g_assert_cmpstr (burrow_candidate_transport_to_string (BURROW_CANDIDATE_TRANSPORT_TCP_SO),
      ==, "tcp-so");
}

static void
test_to_sdp_exact (void)
{
  g_autoptr(GInetSocketAddress) host = socket_address ("192.0.2.1", 5000);
  g_autoptr(GInetSocketAddress) mapped = socket_address ("203.0.113.7", 61234);
  g_autoptr(BurrowCandidate) cand = burrow_candidate_new (BURROW_CANDIDATE_TYPE_HOST);
  g_autofree gchar *line = NULL;
  g_autofree gchar *attribute = NULL;
  g_autofree gchar *srflx_line = NULL;
  g_autofree gchar *tcp_line = NULL;

  g_object_set (cand, "address", host, "foundation", "1", "priority", 2130706431, NULL);
  line = burrow_candidate_to_sdp (cand);
  attribute = burrow_candidate_to_sdp_attribute (cand);
  g_assert_cmpstr (line, ==, "candidate:1 1 UDP 2130706431 192.0.2.1 5000 typ host");
  g_assert_cmpstr (attribute, ==, "a=candidate:1 1 UDP 2130706431 192.0.2.1 5000 typ host");

  /* a reflexive candidate without related address writes its base */
  g_object_set (cand, "type", BURROW_CANDIDATE_TYPE_SERVER_REFLEXIVE, "address", mapped,
      "base-address", host, "foundation", "2", "priority", 1694498815, NULL);
  srflx_line = burrow_candidate_to_sdp (cand);
  g_assert_cmpstr (srflx_line, ==, "candidate:2 1 UDP 1694498815 203.0.113.7 61234 typ srflx "
      "raddr 192.0.2.1 rport 5000");

  /* active TCP candidates carry port 9 (RFC 6544 section 4.5) */
  g_object_set (cand, "type", BURROW_CANDIDATE_TYPE_HOST, "address", host,
      "base-address", NULL, "transport", BURROW_CANDIDATE_TRANSPORT_TCP_ACTIVE,
      "foundation", "3", "priority", 2128609279, NULL);
  tcp_line = burrow_candidate_to_sdp (cand);
  g_assert_cmpstr (tcp_line, ==,
      "candidate:3 1 TCP 2128609279 192.0.2.1 9 typ host tcptype active");
}

/* Every type, transport and family: write, read back, compare. */
static void
test_round_trip_all (void)
{
  const gchar *const ips[][2] = {
    { "192.0.2.1", "10.0.0.1" },
    { "2001:db8::1", "fd00::1:2" },
  };
  guint type, transport, family;

  for (type = 0; type <= BURROW_CANDIDATE_TYPE_RELAYED; type++) {
    for (transport = 0; transport <= BURROW_CANDIDATE_TRANSPORT_TCP_SO; transport++) {
      for (family = 0; family < G_N_ELEMENTS (ips); family++) {
        guint16 port = transport == BURROW_CANDIDATE_TRANSPORT_TCP_ACTIVE ? 9 : 40000 + type;
        g_autoptr(GInetSocketAddress) addr = socket_address (ips[family][0], port);
        g_autoptr(GInetSocketAddress) rel = socket_address (ips[family][1], 50000);
        g_autoptr(BurrowCandidate) cand = burrow_candidate_new (type);
        g_autoptr(BurrowCandidate) parsed = NULL;
        g_autoptr(BurrowCandidate) parsed_attribute = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree gchar *line = NULL;
        g_autofree gchar *attribute = NULL;

        g_object_set (cand, "transport", transport, "address", addr,
            "related-address", type == BURROW_CANDIDATE_TYPE_HOST ? NULL : rel,
            "foundation", "fo+/0", "component-id", 1 + type, "stream-id", 5,
            "priority", burrow_candidate_compute_priority (type, transport, 1000, 1 + type),
            NULL);
        line = burrow_candidate_to_sdp (cand);
        attribute = burrow_candidate_to_sdp_attribute (cand);
        parsed = burrow_candidate_new_from_sdp (line, 5, &error);
        g_assert_no_error (error);
        assert_same_candidate (cand, parsed);
        parsed_attribute = burrow_candidate_new_from_sdp (attribute, 5, &error);
        g_assert_no_error (error);
        assert_same_candidate (cand, parsed_attribute);
      }
    }
  }
}

typedef struct {
  const gchar *line;
  BurrowCandidateType type;
  BurrowCandidateTransport transport;
  const gchar *foundation;
  guint component;
  guint32 priority;
  const gchar *address;       /* "ip port" */
  const gchar *related;       /* "ip port", or NULL */
} RealLine;

static const RealLine real_lines[] = {
  /* Chrome, with its extensions */
  { "candidate:1467250027 1 udp 2122260223 192.168.0.196 46243 typ host generation 0 "
    "ufrag EsAw network-id 1",
    BURROW_CANDIDATE_TYPE_HOST, BURROW_CANDIDATE_TRANSPORT_UDP, "1467250027", 1, 2122260223,
    "192.168.0.196 46243", NULL },
  { "candidate:842163049 1 udp 1677729535 203.0.113.7 61234 typ srflx raddr 192.168.0.196 "
    "rport 46243 generation 0 ufrag EsAw network-id 1 network-cost 10",
    BURROW_CANDIDATE_TYPE_SERVER_REFLEXIVE, BURROW_CANDIDATE_TRANSPORT_UDP, "842163049", 1,
    1677729535, "203.0.113.7 61234", "192.168.0.196 46243" },
  { "candidate:3885250869 1 udp 2122262783 2001:db8:85a3::8a2e:370:7334 58481 typ host "
    "generation 0 ufrag EsAw network-id 2",
    BURROW_CANDIDATE_TYPE_HOST, BURROW_CANDIDATE_TRANSPORT_UDP, "3885250869", 1, 2122262783,
    "2001:db8:85a3::8a2e:370:7334 58481", NULL },
  { "candidate:435653019 1 tcp 1518280447 192.168.0.196 9 typ host tcptype active "
    "generation 0 network-id 1 network-cost 10",
    BURROW_CANDIDATE_TYPE_HOST, BURROW_CANDIDATE_TRANSPORT_TCP_ACTIVE, "435653019", 1,
    1518280447, "192.168.0.196 9", NULL },
  { "candidate:1853887674 2 udp 33562622 198.51.100.20 50000 typ relay raddr 203.0.113.7 "
    "rport 61234 generation 0 ufrag EsAw network-id 1 network-cost 10",
    BURROW_CANDIDATE_TYPE_RELAYED, BURROW_CANDIDATE_TRANSPORT_UDP, "1853887674", 2, 33562622,
    "198.51.100.20 50000", "203.0.113.7 61234" },
  /* Chrome hiding the base of a server reflexive candidate */
  { "candidate:2230659136 1 udp 1686052607 203.0.113.7 61234 typ srflx raddr 0.0.0.0 rport 0 "
    "generation 0 ufrag EsAw network-id 1",
    BURROW_CANDIDATE_TYPE_SERVER_REFLEXIVE, BURROW_CANDIDATE_TRANSPORT_UDP, "2230659136", 1,
    1686052607, "203.0.113.7 61234", "0.0.0.0 0" },
  /* Firefox */
  { "candidate:0 1 UDP 2122252543 192.168.1.2 49203 typ host",
    BURROW_CANDIDATE_TYPE_HOST, BURROW_CANDIDATE_TRANSPORT_UDP, "0", 1, 2122252543,
    "192.168.1.2 49203", NULL },
  { "candidate:1 1 TCP 2105524479 192.168.1.2 9 typ host tcptype active",
    BURROW_CANDIDATE_TYPE_HOST, BURROW_CANDIDATE_TRANSPORT_TCP_ACTIVE, "1", 1, 2105524479,
    "192.168.1.2 9", NULL },
  { "candidate:3 1 UDP 1686052863 203.0.113.7 49203 typ srflx raddr 192.168.1.2 rport 49203",
    BURROW_CANDIDATE_TYPE_SERVER_REFLEXIVE, BURROW_CANDIDATE_TRANSPORT_UDP, "3", 1, 1686052863,
    "203.0.113.7 49203", "192.168.1.2 49203" },
  { "candidate:4 1 UDP 92217343 198.51.100.20 61021 typ relay raddr 198.51.100.20 rport 61021",
    BURROW_CANDIDATE_TYPE_RELAYED, BURROW_CANDIDATE_TRANSPORT_UDP, "4", 1, 92217343,
    "198.51.100.20 61021", "198.51.100.20 61021" },
  /* libnice, whole attribute lines */
  { "a=candidate:1 1 UDP 2013266431 192.168.1.2 40000 typ host",
    BURROW_CANDIDATE_TYPE_HOST, BURROW_CANDIDATE_TRANSPORT_UDP, "1", 1, 2013266431,
    "192.168.1.2 40000", NULL },
  { "a=candidate:2 1 UDP 1677724415 203.0.113.7 40000 typ srflx raddr 192.168.1.2 rport 40000",
    BURROW_CANDIDATE_TYPE_SERVER_REFLEXIVE, BURROW_CANDIDATE_TRANSPORT_UDP, "2", 1, 1677724415,
    "203.0.113.7 40000", "192.168.1.2 40000" },
  { "a=candidate:3 1 TCP 1015023359 192.168.1.2 9 typ host tcptype active",
    BURROW_CANDIDATE_TYPE_HOST, BURROW_CANDIDATE_TRANSPORT_TCP_ACTIVE, "3", 1, 1015023359,
    "192.168.1.2 9", NULL },
  { "a=candidate:4 1 TCP 1010828799 192.168.1.2 44305 typ host tcptype passive",
    BURROW_CANDIDATE_TYPE_HOST, BURROW_CANDIDATE_TRANSPORT_TCP_PASSIVE, "4", 1, 1010828799,
    "192.168.1.2 44305", NULL },
  { "a=candidate:5 1 TCP 1006632703 2001:db8::5 40001 typ prflx raddr 2001:db8::5 rport 40001 "
    "tcptype so",
    BURROW_CANDIDATE_TYPE_PEER_REFLEXIVE, BURROW_CANDIDATE_TRANSPORT_TCP_SO, "5", 1, 1006632703,
    "2001:db8::5 40001", "2001:db8::5 40001" },
  /* the RFC 6544 draft transport names libnice also reads */
  { "a=candidate:6 1 TCP-PASS 1010828799 192.168.1.2 44306 typ host",
    BURROW_CANDIDATE_TYPE_HOST, BURROW_CANDIDATE_TRANSPORT_TCP_PASSIVE, "6", 1, 1010828799,
    "192.168.1.2 44306", NULL },
  /* bare, with CRLF, upper case, blanks */
  { "7 1 UDP 2130706431 10.0.0.1 5000 typ host",
    BURROW_CANDIDATE_TYPE_HOST, BURROW_CANDIDATE_TRANSPORT_UDP, "7", 1, 2130706431,
    "10.0.0.1 5000", NULL },
  { "a=candidate:8 1 UDP 2130706431 10.0.0.1 5000 typ host\r\n",
    BURROW_CANDIDATE_TYPE_HOST, BURROW_CANDIDATE_TRANSPORT_UDP, "8", 1, 2130706431,
    "10.0.0.1 5000", NULL },
  { "A=CANDIDATE:9 1 udp 2130706431 10.0.0.1 5000 TYP SRFLX RADDR 10.0.0.2 RPORT 1",
    BURROW_CANDIDATE_TYPE_SERVER_REFLEXIVE, BURROW_CANDIDATE_TRANSPORT_UDP, "9", 1,
    2130706431, "10.0.0.1 5000", "10.0.0.2 1" },
  { "  candidate:10  256\tTcp 1 10.0.0.1 05000 typ relay TcpType SO  ",
    BURROW_CANDIDATE_TYPE_RELAYED, BURROW_CANDIDATE_TRANSPORT_TCP_SO, "10", 256, 1,
    "10.0.0.1 5000", NULL },
};

static void
test_parse_real_world (void)
{
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (real_lines); i++) {
    const RealLine *r = &real_lines[i];
    g_autoptr(GError) error = NULL;
    g_autoptr(BurrowCandidate) cand = burrow_candidate_new_from_sdp (r->line, 4, &error);
    g_autoptr(BurrowCandidate) again = NULL;
    g_autofree gchar *address = NULL;
    g_autofree gchar *related = NULL;
    g_autofree gchar *line = NULL;
    g_autofree gchar *escaped = g_strescape (r->line, NULL);

    g_test_message ("%s", escaped);
    g_assert_no_error (error);
    address = address_to_string (burrow_candidate_get_address (cand));
    related = address_to_string (burrow_candidate_get_related_address (cand));
    g_assert_cmpint (burrow_candidate_get_candidate_type (cand), ==, r->type);
    g_assert_cmpint (burrow_candidate_get_transport (cand), ==, r->transport);
    g_assert_cmpstr (burrow_candidate_get_foundation (cand), ==, r->foundation);
    g_assert_cmpuint (burrow_candidate_get_component_id (cand), ==, r->component);
    g_assert_cmpuint (burrow_candidate_get_priority (cand), ==, r->priority);
    g_assert_cmpuint (burrow_candidate_get_stream_id (cand), ==, 4);
    g_assert_cmpstr (address, ==, r->address);
    g_assert_cmpstr (related, ==, r->related);
    g_assert_null (burrow_candidate_get_base_address (cand));
    g_assert_null (burrow_candidate_get_username (cand));

    line = burrow_candidate_to_sdp (cand);
    again = burrow_candidate_new_from_sdp (line, 4, &error);
    g_assert_no_error (error);
    assert_same_candidate (cand, again);
  }
}

typedef struct {
  const gchar *line;
  gint code;
  const gchar *message;       /* a part of the message, or NULL */
} HostileLine;

#define OK_TAIL "2130706431 10.0.0.1 5000 typ host"

static const HostileLine hostile_lines[] = {
  { "", BURROW_ICE_ERROR_INVALID_SDP, "empty" },
  { " \t \r\n", BURROW_ICE_ERROR_INVALID_SDP, "empty" },
  { "a=candidate:", BURROW_ICE_ERROR_INVALID_SDP, "empty" },
  { "a=end-of-candidates", BURROW_ICE_ERROR_INVALID_SDP, "a=end-of-candidates" },
  { "a=ice-ufrag:abcd", BURROW_ICE_ERROR_INVALID_SDP, "a=ice-ufrag" },
  { "candidate:1", BURROW_ICE_ERROR_INVALID_SDP, "component-id" },
  { "candidate:1 1 UDP", BURROW_ICE_ERROR_INVALID_SDP, "priority" },
  { "candidate:1 1 UDP 2130706431 10.0.0.1", BURROW_ICE_ERROR_INVALID_SDP, "port" },
  { "candidate:1 1 UDP 2130706431 10.0.0.1 5000", BURROW_ICE_ERROR_INVALID_SDP, "typ" },
  { "candidate:1 1 UDP 2130706431 10.0.0.1 5000 typ", BURROW_ICE_ERROR_INVALID_SDP, "value" },
  { "candidate:1 1 UDP " OK_TAIL " generation", BURROW_ICE_ERROR_INVALID_SDP, "generation" },
  { "candidate:1 1 UDP " OK_TAIL " typ host", BURROW_ICE_ERROR_INVALID_SDP, "twice" },
  { "candidate:1 x UDP " OK_TAIL, BURROW_ICE_ERROR_INVALID_SDP, "component-id" },
  { "candidate:1 -1 UDP " OK_TAIL, BURROW_ICE_ERROR_INVALID_SDP, "not a decimal" },
  { "candidate:1 +1 UDP " OK_TAIL, BURROW_ICE_ERROR_INVALID_SDP, "not a decimal" },
  { "candidate:1 1 UDP 0x7f 10.0.0.1 5000 typ host", BURROW_ICE_ERROR_INVALID_SDP, "priority" },
  { "candidate:1 1 UDP 2130706431 10.0.0.1 5e3 typ host", BURROW_ICE_ERROR_INVALID_SDP, "port" },
  { "candidate:1 1 UDP " OK_TAIL " \x01", BURROW_ICE_ERROR_INVALID_SDP, "0x01" },
  { "candidate:1 1 UDP " OK_TAIL " x caf\xc3\xa9", BURROW_ICE_ERROR_INVALID_SDP, "0xc3" },
  { "candidate:1 0 UDP " OK_TAIL, BURROW_ICE_ERROR_INVALID_CANDIDATE, "component-id 0" },
  { "candidate:1 257 UDP " OK_TAIL, BURROW_ICE_ERROR_INVALID_CANDIDATE, "1 to 256" },
  { "candidate:1 1 UDP 0 10.0.0.1 5000 typ host", BURROW_ICE_ERROR_INVALID_CANDIDATE,
    "priority 0" },
  { "candidate:1 1 UDP 2147483648 10.0.0.1 5000 typ host", BURROW_ICE_ERROR_INVALID_CANDIDATE,
    "2147483647" },
  { "candidate:1 1 UDP 4294967296 10.0.0.1 5000 typ host", BURROW_ICE_ERROR_INVALID_CANDIDATE,
    "out of range" },
  { "candidate:1 1 UDP 184467440737095516160000000 10.0.0.1 5000 typ host",
    BURROW_ICE_ERROR_INVALID_CANDIDATE, "out of range" },
  { "candidate:1 1 UDP 2130706431 10.0.0.1 65536 typ host", BURROW_ICE_ERROR_INVALID_CANDIDATE,
    "port" },
  { "candidate:1 1 UDP 2130706431 10.0.0.1 99999999999999999999 typ host",
    BURROW_ICE_ERROR_INVALID_CANDIDATE, "port" },
  { "candidate:1 1 UDP 2130706431 10.0.0.1 0 typ host", BURROW_ICE_ERROR_INVALID_CANDIDATE,
    "port is 0" },
  { "candidate:1 1 UDP 2130706431 999.0.0.1 5000 typ host", BURROW_ICE_ERROR_INVALID_CANDIDATE,
    "not an IPv4 or IPv6" },
  { "candidate:1 1 UDP 2130706431 10.0.0 5000 typ host", BURROW_ICE_ERROR_INVALID_CANDIDATE,
    "not an IPv4 or IPv6" },
  { "candidate:1 1 UDP 2130706431 [::1] 5000 typ host", BURROW_ICE_ERROR_INVALID_CANDIDATE,
    "not an IPv4 or IPv6" },
  { "candidate:1 1 UDP 2130706431 2001:db8:::1 5000 typ host",
    BURROW_ICE_ERROR_INVALID_CANDIDATE, "not an IPv4 or IPv6" },
  { "candidate:1 1 UDP 2130706431 stun.example.org 5000 typ host",
    BURROW_ICE_ERROR_INVALID_CANDIDATE, "host names are not resolved" },
  { "candidate:1 1 udp 2113937151 4a1b4a2e-5c4d-4b7a-9c3e-0123456789ab.local 54321 typ host "
    "generation 0 ufrag EsAw network-cost 999",
    BURROW_ICE_ERROR_INVALID_CANDIDATE, ".local names" },
  { "candidate:1 1 udp 2113937151 Printer.LOCAL. 54321 typ host",
    BURROW_ICE_ERROR_INVALID_CANDIDATE, "does not resolve .local" },
  { "candidate:1 1 UDP 1686052607 203.0.113.7 61234 typ srflx raddr a.local rport 1",
    BURROW_ICE_ERROR_INVALID_CANDIDATE, "raddr 'a.local'" },
  { "candidate:a-b 1 UDP " OK_TAIL, BURROW_ICE_ERROR_INVALID_CANDIDATE, "foundation 'a-b'" },
  { "candidate:abcdefghijklmnopqrstuvwxyz0123456 1 UDP " OK_TAIL,
    BURROW_ICE_ERROR_INVALID_CANDIDATE, "1 to 32" },
  { "candidate:1 1 SCTP " OK_TAIL, BURROW_ICE_ERROR_INVALID_CANDIDATE, "'SCTP'" },
  { "candidate:1 1 UDP 2130706431 10.0.0.1 5000 typ bogus", BURROW_ICE_ERROR_INVALID_CANDIDATE,
    "'bogus'" },
  { "candidate:1 1 TCP " OK_TAIL, BURROW_ICE_ERROR_INVALID_CANDIDATE, "no tcptype" },
  { "candidate:1 1 TCP " OK_TAIL " tcptype both", BURROW_ICE_ERROR_INVALID_CANDIDATE,
    "'both' is unknown" },
  { "candidate:1 1 TCP-ACT " OK_TAIL " tcptype passive", BURROW_ICE_ERROR_INVALID_CANDIDATE,
    "contradicts" },
  { "candidate:1 1 UDP " OK_TAIL " tcptype active", BURROW_ICE_ERROR_INVALID_CANDIDATE,
    "UDP candidate has a tcptype" },
  { "candidate:1 1 UDP " OK_TAIL " raddr 10.0.0.2", BURROW_ICE_ERROR_INVALID_CANDIDATE,
    "without rport" },
  { "candidate:1 1 UDP " OK_TAIL " rport 1", BURROW_ICE_ERROR_INVALID_CANDIDATE,
    "without raddr" },
  { "candidate:1 1 UDP " OK_TAIL " raddr 10.0.0.2 rport 70000",
    BURROW_ICE_ERROR_INVALID_CANDIDATE, "rport" },
  { "candidate:1 1 UDP " OK_TAIL " raddr nowhere rport 1", BURROW_ICE_ERROR_INVALID_CANDIDATE,
    "raddr 'nowhere'" },
};

static void
assert_refused (const gchar *line, gint code, const gchar *part)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BurrowCandidate) cand = burrow_candidate_new_from_sdp (line, 1, &error);

  g_assert_null (cand);
  g_assert_error (error, BURROW_ICE_ERROR, code);
  if (part != NULL && strstr (error->message, part) == NULL)
    g_error ("'%s' refused with '%s', which lacks '%s'", line, error->message, part);
}

static void
test_parse_hostile (void)
{
  g_autoptr(GString) overlong = g_string_new ("candidate:1 1 UDP " OK_TAIL);
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (hostile_lines); i++) {
    g_autofree gchar *escaped = g_strescape (hostile_lines[i].line, NULL);

    g_test_message ("%s", escaped);
    assert_refused (hostile_lines[i].line, hostile_lines[i].code, hostile_lines[i].message);
  }

  /* 1024 bytes are read (an extension with a long value), 1025 are not */
  g_string_append (overlong, " x ");
  while (overlong->len < BURROW_CANDIDATE_MAX_SDP_LENGTH)
    g_string_append_c (overlong, '1');
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(BurrowCandidate) cand = burrow_candidate_new_from_sdp (overlong->str, 1, &error);

    g_assert_no_error (error);
    g_assert_nonnull (cand);
  }
  g_string_append_c (overlong, '1');
  assert_refused (overlong->str, BURROW_ICE_ERROR_INVALID_SDP, "longer than 1024");
}

static const gchar *const seed_lines[] = {
  "a=candidate:1467250027 1 udp 2122260223 192.168.0.196 46243 typ host generation 0 "
  "ufrag EsAw network-id 1",
  "candidate:842163049 1 udp 1677729535 203.0.113.7 61234 typ srflx raddr 192.168.0.196 "
  "rport 46243 generation 0",
  "candidate:3 1 TCP 1015023359 2001:db8::1 9 typ host tcptype active",
  "candidate:4 2 UDP 16777215 198.51.100.20 50000 typ relay raddr 203.0.113.7 rport 61234",
  "candidate:5 1 TCP 1006632703 fd00::5 40001 typ prflx raddr fd00::6 rport 40001 tcptype so",
};

static const gchar *const splice_tokens[] = {
  " ", "\t", "typ", "raddr", "rport", "tcptype", "host", "relay", "so", "0", "9", "256",
  "65535", "65536", "2147483647", "2147483648", "18446744073709551616", "::", "::ffff:1.2.3.4",
  "x.local", "a=", "candidate:", ":", "-", "+", "/", "%", "\r\n",
};

static void
mutate (GRand *rand, GString *s)
{
  guint op = g_rand_int_range (rand, 0, 6);
  guint pos = s->len ? g_rand_int_range (rand, 0, s->len) : 0;
  guint span = g_rand_int_range (rand, 1, 16);

  switch (op) {
    case 0:   /* overwrite one byte with anything but NUL */
      if (s->len)
        s->str[pos] = (gchar) g_rand_int_range (rand, 1, 256);
      break;
    case 1:   /* delete a span */
      g_string_erase (s, pos, MIN (span, s->len - pos));
      break;
    case 2:   /* duplicate a span */
      if (s->len) {
        g_autofree gchar *copy = g_strndup (s->str + pos, MIN (span, s->len - pos));

        g_string_insert (s, g_rand_int_range (rand, 0, s->len + 1), copy);
      }
      break;
    case 3:   /* splice a token in */
      g_string_insert (s, pos, splice_tokens[g_rand_int_range (rand, 0,
          G_N_ELEMENTS (splice_tokens))]);
      break;
    case 4:   /* truncate */
      g_string_truncate (s, pos);
      break;
    default:  /* a digit run: numbers at and past their limits */
      g_string_insert (s, pos, "99999999999");
      break;
  }
}

/* Whatever a mutated line is, reading it must not crash or leak, an error
 * must be an ICE error with a message, and a candidate read from it must
 * write a line that reads back as the same candidate. */
static void
test_parse_mutations (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (MUTATION_SEED);
  guint i, accepted = 0;

  for (i = 0; i < N_MUTATIONS; i++) {
    g_autoptr(GString) s = g_string_new (seed_lines[i % G_N_ELEMENTS (seed_lines)]);
    g_autoptr(GError) error = NULL;
    g_autoptr(BurrowCandidate) cand = NULL;
    guint n = g_rand_int_range (rand, 1, 5), k;

    for (k = 0; k < n; k++)
      mutate (rand, s);
    cand = burrow_candidate_new_from_sdp (s->str, 1, &error);
    if (cand == NULL) {
      g_assert_nonnull (error);
      g_assert_true (error->domain == BURROW_ICE_ERROR);
      g_assert_true (error->code == BURROW_ICE_ERROR_INVALID_SDP ||
          error->code == BURROW_ICE_ERROR_INVALID_CANDIDATE);
      g_assert_cmpstr (error->message, !=, "");
    } else {
      g_autofree gchar *line = burrow_candidate_to_sdp (cand);
      g_autoptr(BurrowCandidate) again = burrow_candidate_new_from_sdp (line, 1, &error);

      g_assert_no_error (error);
      if (burrow_candidate_get_transport (cand) == BURROW_CANDIDATE_TRANSPORT_TCP_ACTIVE) {
        g_autoptr(GInetSocketAddress) port9 = G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (
            g_inet_socket_address_get_address (burrow_candidate_get_address (cand)), 9));

        burrow_candidate_set_address (cand, port9);
      }
      assert_same_candidate (cand, again);
      accepted++;
    }
  }
  g_test_message ("%u of %u mutated lines were still candidates", accepted, N_MUTATIONS);
  g_assert_cmpuint (accepted, >, 0);
  g_assert_cmpuint (accepted, <, N_MUTATIONS);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ice/candidate/priority/rfc8445-formula", test_priority_rfc8445_formula);
  g_test_add_func ("/ice/candidate/priority/rfc6544-tcp-direction", test_priority_rfc6544_tcp);
  g_test_add_func ("/ice/candidate/priority/rejects-bad-component",
      test_priority_rejects_bad_arguments);
  g_test_add_func ("/ice/candidate/foundation/same-inputs-same-foundation",
      test_foundation_make);
  g_test_add_func ("/ice/candidate/foundation/ice-chars-only", test_foundation_validity);
  g_test_add_func ("/ice/candidate/properties/notify-only-on-change",
      test_properties_notify_on_change);
  g_test_add_func ("/ice/candidate/properties/construct-copy-equal-target",
      test_properties_construct_and_copy);
  g_test_add_func ("/ice/candidate/names-match-libnice", test_names);
  g_test_add_func ("/ice/candidate/sdp/writes-rfc8839-lines", test_to_sdp_exact);
  g_test_add_func ("/ice/candidate/sdp/round-trips-every-type-transport-family",
      test_round_trip_all);
  g_test_add_func ("/ice/candidate/sdp/reads-chrome-firefox-libnice", test_parse_real_world);
  g_test_add_func ("/ice/candidate/sdp/refuses-hostile-lines", test_parse_hostile);
  g_test_add_func ("/ice/candidate/sdp/survives-random-mutations", test_parse_mutations);

  return g_test_run ();
}
