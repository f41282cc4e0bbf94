/* burrow-candidate.c: one ICE candidate, its priority and foundation
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "burrow-candidate.h"
#include "burrow-enum-types.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "burrow-ice"

/**
 * BurrowCandidate:
 *
 * One ICE candidate (RFC 8445 section 5.1): a transport address an agent
 * can be reached at, with its type, priority, foundation and the component
 * it belongs to. It plays the part of libnice's boxed `NiceCandidate`, as a
 * plain GObject whose fields are properties.
 *
 * Candidates cross the signalling channel as SDP `a=candidate` lines
 * (RFC 8839 section 5.1, RFC 6544 section 4.5 for TCP):
 * [method@Burrow.Candidate.to_sdp] writes one and
 * [ctor@Burrow.Candidate.new_from_sdp] reads one, from Burrow or from
 * browsers and libnice.
 *
 * ```python
 * cand = Burrow.Candidate(type=Burrow.CandidateType.HOST, foundation="1",
 *                         address=Gio.InetSocketAddress.new_from_string("192.0.2.1", 5000),
 *                         priority=Burrow.Candidate.compute_priority(
 *                             Burrow.CandidateType.HOST, Burrow.CandidateTransport.UDP,
 *                             65535, 1))
 * cand.to_sdp()   # 'candidate:1 1 UDP 2130706431 192.0.2.1 5000 typ host'
 * ```
 *
 * Since: 0.1
 */
struct _BurrowCandidate {
  GObject parent_instance;

  BurrowCandidateType type;
  BurrowCandidateTransport transport;
  GInetSocketAddress *address;
  GInetSocketAddress *base_address;
  GInetSocketAddress *related_address;
  guint32 priority;
  gchar *foundation;
  guint stream_id;
  guint component_id;
  gchar *username;
  gchar *password;
};

G_DEFINE_FINAL_TYPE (BurrowCandidate, burrow_candidate, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_TYPE,
  PROP_TRANSPORT,
  PROP_ADDRESS,
  PROP_BASE_ADDRESS,
  PROP_RELATED_ADDRESS,
  PROP_PRIORITY,
  PROP_FOUNDATION,
  PROP_STREAM_ID,
  PROP_COMPONENT_ID,
  PROP_USERNAME,
  PROP_PASSWORD,
  PROP_TCP_TYPE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* RFC 8445 section 5.1.2.2, recommended type preferences */
#define TYPE_PREF_HOST 126
#define TYPE_PREF_PEER_REFLEXIVE 110
#define TYPE_PREF_SERVER_REFLEXIVE 100
#define TYPE_PREF_RELAYED 0

/* RFC 6544 section 4.2: local preference = 2^13 * direction-pref + other-pref */
#define TCP_OTHER_PREF_MAX 8191

static gboolean
socket_address_equal (GInetSocketAddress *a, GInetSocketAddress *b)
{
  if (a == b)
    return TRUE;
  if (a == NULL || b == NULL)
    return FALSE;
  return g_inet_socket_address_get_port (a) == g_inet_socket_address_get_port (b) &&
      g_inet_address_equal (g_inet_socket_address_get_address (a),
          g_inet_socket_address_get_address (b));
}

/* g_set_str() before GLib 2.76 */
static gboolean
replace_string (gchar **field, const gchar *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

static void
burrow_candidate_set_property (GObject *object, guint prop_id, const GValue *value,
    GParamSpec *pspec)
{
  BurrowCandidate *self = BURROW_CANDIDATE (object);

  switch (prop_id) {
    case PROP_TYPE:
      burrow_candidate_set_candidate_type (self, g_value_get_enum (value));
      break;
    case PROP_TRANSPORT:
      burrow_candidate_set_transport (self, g_value_get_enum (value));
      break;
    case PROP_ADDRESS:
      burrow_candidate_set_address (self, g_value_get_object (value));
      break;
    case PROP_BASE_ADDRESS:
      burrow_candidate_set_base_address (self, g_value_get_object (value));
      break;
    case PROP_RELATED_ADDRESS:
      burrow_candidate_set_related_address (self, g_value_get_object (value));
      break;
    case PROP_PRIORITY:
      burrow_candidate_set_priority (self, g_value_get_uint (value));
      break;
    case PROP_FOUNDATION:
      burrow_candidate_set_foundation (self, g_value_get_string (value));
      break;
    case PROP_STREAM_ID:
      burrow_candidate_set_stream_id (self, g_value_get_uint (value));
      break;
    case PROP_COMPONENT_ID:
      burrow_candidate_set_component_id (self, g_value_get_uint (value));
      break;
    case PROP_USERNAME:
      burrow_candidate_set_username (self, g_value_get_string (value));
      break;
    case PROP_PASSWORD:
      burrow_candidate_set_password (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
burrow_candidate_get_property (GObject *object, guint prop_id, GValue *value,
    GParamSpec *pspec)
{
  BurrowCandidate *self = BURROW_CANDIDATE (object);

  switch (prop_id) {
    case PROP_TYPE:
      g_value_set_enum (value, self->type);
      break;
    case PROP_TRANSPORT:
      g_value_set_enum (value, self->transport);
      break;
    case PROP_ADDRESS:
      g_value_set_object (value, self->address);
      break;
    case PROP_BASE_ADDRESS:
      g_value_set_object (value, self->base_address);
      break;
    case PROP_RELATED_ADDRESS:
      g_value_set_object (value, self->related_address);
      break;
    case PROP_PRIORITY:
      g_value_set_uint (value, self->priority);
      break;
    case PROP_FOUNDATION:
      g_value_set_string (value, self->foundation);
      break;
    case PROP_STREAM_ID:
      g_value_set_uint (value, self->stream_id);
      break;
    case PROP_COMPONENT_ID:
      g_value_set_uint (value, self->component_id);
      break;
    case PROP_USERNAME:
      g_value_set_string (value, self->username);
      break;
    case PROP_PASSWORD:
      g_value_set_string (value, self->password);
      break;
    case PROP_TCP_TYPE:
      g_value_set_string (value, burrow_candidate_get_tcp_type (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
burrow_candidate_finalize (GObject *object)
{
  BurrowCandidate *self = BURROW_CANDIDATE (object);

  g_clear_object (&self->address);
  g_clear_object (&self->base_address);
  g_clear_object (&self->related_address);
  g_clear_pointer (&self->foundation, g_free);
  g_clear_pointer (&self->username, g_free);
  g_clear_pointer (&self->password, g_free);

  G_OBJECT_CLASS (burrow_candidate_parent_class)->finalize (object);
}

static void
install_address_properties (GParamFlags flags)
{
  /**
   * BurrowCandidate:address: (getter get_address) (setter set_address)
   *
   * The transport address of the candidate: where a peer sends to reach
   * it. %NULL until set.
   *
   * Since: 0.1
   */
  properties[PROP_ADDRESS] = g_param_spec_object ("address", NULL, NULL,
      G_TYPE_INET_SOCKET_ADDRESS, flags);
  /**
   * BurrowCandidate:base-address: (getter get_base_address) (setter set_base_address)
   *
   * The base of a local candidate (RFC 8445 section 5.1.1): the address
   * the agent sends from. For a host or relayed candidate it is the
   * candidate's own address, for a reflexive one the host candidate it was
   * learned through. %NULL when unknown, as for remote candidates.
   *
   * Since: 0.1
   */
  properties[PROP_BASE_ADDRESS] = g_param_spec_object ("base-address", NULL, NULL,
      G_TYPE_INET_SOCKET_ADDRESS, flags);
  /**
   * BurrowCandidate:related-address: (getter get_related_address) (setter set_related_address)
   *
   * The related address of SDP (`raddr` and `rport`): the base of a
   * reflexive candidate, the mapped address of a relayed one. It is only
   * informative, ICE does not use it. %NULL when there is none.
   *
   * Since: 0.1
   */
  properties[PROP_RELATED_ADDRESS] = g_param_spec_object ("related-address", NULL, NULL,
      G_TYPE_INET_SOCKET_ADDRESS, flags);
}

static void
install_string_properties (GParamFlags flags)
{
  /**
   * BurrowCandidate:foundation: (getter get_foundation) (setter set_foundation)
   *
   * The foundation (RFC 8445 section 5.1.1.3): 1 to 32 characters out of
   * `A-Z a-z 0-9 + /`, the same for candidates of the same type, base,
   * server and transport. See
   * [func@Burrow.Candidate.make_foundation]. %NULL until set.
   *
   * Since: 0.1
   */
  properties[PROP_FOUNDATION] = g_param_spec_string ("foundation", NULL, NULL, NULL, flags);
  /**
   * BurrowCandidate:username: (getter get_username) (setter set_username)
   *
   * The ICE username fragment (ufrag) of the candidate's agent, when
   * candidates carry it; %NULL to use the stream's.
   *
   * Since: 0.1
   */
  properties[PROP_USERNAME] = g_param_spec_string ("username", NULL, NULL, NULL, flags);
  /**
   * BurrowCandidate:password: (getter get_password) (setter set_password)
   *
   * The ICE password of the candidate's agent, when candidates carry it;
   * %NULL to use the stream's.
   *
   * Since: 0.1
   */
  properties[PROP_PASSWORD] = g_param_spec_string ("password", NULL, NULL, NULL, flags);
  /**
   * BurrowCandidate:tcp-type: (getter get_tcp_type)
   *
   * The RFC 6544 `tcptype` of the candidate, derived from
   * [property@Burrow.Candidate:transport]: "active", "passive", "so", or
   * %NULL for UDP.
   *
   * Since: 0.1
   */
  properties[PROP_TCP_TYPE] = g_param_spec_string ("tcp-type", NULL, NULL, NULL,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
}

static void
burrow_candidate_class_init (BurrowCandidateClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->set_property = burrow_candidate_set_property;
  object_class->get_property = burrow_candidate_get_property;
  object_class->finalize = burrow_candidate_finalize;

  /**
   * BurrowCandidate:type: (getter get_candidate_type) (setter set_candidate_type)
   *
   * The type of the candidate: host, server reflexive, peer reflexive or
   * relayed.
   *
   * Since: 0.1
   */
  properties[PROP_TYPE] = g_param_spec_enum ("type", NULL, NULL, BURROW_TYPE_CANDIDATE_TYPE,
      BURROW_CANDIDATE_TYPE_HOST, flags);
  /**
   * BurrowCandidate:transport: (getter get_transport) (setter set_transport)
   *
   * The transport of the candidate: UDP, or TCP in one of the three RFC
   * 6544 roles.
   *
   * Since: 0.1
   */
  properties[PROP_TRANSPORT] = g_param_spec_enum ("transport", NULL, NULL,
      BURROW_TYPE_CANDIDATE_TRANSPORT, BURROW_CANDIDATE_TRANSPORT_UDP, flags);
  /**
   * BurrowCandidate:priority: (getter get_priority) (setter set_priority)
   *
   * The priority (RFC 8445 section 5.1.2), 1 to 2^31 - 1; 0 until set.
   * See [func@Burrow.Candidate.compute_priority].
   *
   * Since: 0.1
   */
  properties[PROP_PRIORITY] = g_param_spec_uint ("priority", NULL, NULL, 0, G_MAXINT32, 0,
      flags);
  /**
   * BurrowCandidate:stream-id: (getter get_stream_id) (setter set_stream_id)
   *
   * The id of the agent's stream the candidate belongs to, as with
   * libnice; 0 until set.
   *
   * Since: 0.1
   */
  properties[PROP_STREAM_ID] = g_param_spec_uint ("stream-id", NULL, NULL, 0, G_MAXUINT, 0,
      flags);
  /**
   * BurrowCandidate:component-id: (getter get_component_id) (setter set_component_id)
   *
   * The component of the stream, 1 to 256: 1 for RTP, 2 for RTCP when it
   * is not multiplexed.
   *
   * Since: 0.1
   */
  properties[PROP_COMPONENT_ID] = g_param_spec_uint ("component-id", NULL, NULL, 1, 256, 1,
      flags);
  install_address_properties (flags);
  install_string_properties (flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
burrow_candidate_init (BurrowCandidate *self)
{
  self->component_id = 1;
}

/**
 * burrow_candidate_new:
 * @type: the type of the candidate
 *
 * Makes an empty candidate of @type: UDP, component 1, no address, no
 * foundation and priority 0. Set at least
 * [property@Burrow.Candidate:address], [property@Burrow.Candidate:foundation]
 * and [property@Burrow.Candidate:priority] before writing it out.
 *
 * Returns: (transfer full): a new candidate
 *
 * Since: 0.1
 */
BurrowCandidate *
burrow_candidate_new (BurrowCandidateType type)
{
  g_return_val_if_fail (type <= BURROW_CANDIDATE_TYPE_RELAYED, NULL);

  return g_object_new (BURROW_TYPE_CANDIDATE, "type", type, NULL);
}

/**
 * burrow_candidate_copy:
 * @self: a candidate
 *
 * Makes a new candidate with the same values as @self, like libnice's
 * `nice_candidate_copy()`. The socket addresses are immutable, so the copy
 * shares them.
 *
 * Returns: (transfer full): a copy of @self
 *
 * Since: 0.1
 */
BurrowCandidate *
burrow_candidate_copy (BurrowCandidate *self)
{
  BurrowCandidate *copy;

  g_return_val_if_fail (BURROW_IS_CANDIDATE (self), NULL);

  copy = g_object_new (BURROW_TYPE_CANDIDATE, NULL);
  copy->type = self->type;
  copy->transport = self->transport;
  g_set_object (&copy->address, self->address);
  g_set_object (&copy->base_address, self->base_address);
  g_set_object (&copy->related_address, self->related_address);
  copy->priority = self->priority;
  copy->foundation = g_strdup (self->foundation);
  copy->stream_id = self->stream_id;
  copy->component_id = self->component_id;
  copy->username = g_strdup (self->username);
  copy->password = g_strdup (self->password);
  return copy;
}

/**
 * burrow_candidate_equal_target:
 * @self: a candidate
 * @other: another candidate
 *
 * Tells whether two candidates lead to the same place: the same transport
 * and the same address (IP and port), whatever their types, priorities or
 * foundations. This is libnice's `nice_candidate_equal_target()`, used to
 * spot a remote candidate that is already known. A candidate without an
 * address equals no other.
 *
 * Returns: %TRUE if @self and @other have the same transport address
 *
 * Since: 0.1
 */
gboolean
burrow_candidate_equal_target (BurrowCandidate *self, BurrowCandidate *other)
{
  g_return_val_if_fail (BURROW_IS_CANDIDATE (self), FALSE);
  g_return_val_if_fail (BURROW_IS_CANDIDATE (other), FALSE);

  if (self->address == NULL || other->address == NULL)
    return FALSE;
  return self->transport == other->transport &&
      socket_address_equal (self->address, other->address);
}

#define DEFINE_SCALAR_ACCESSORS(type, getter, setter, field, prop, check)         \
  type                                                                            \
  burrow_candidate_##getter (BurrowCandidate *self)                               \
  {                                                                               \
    g_return_val_if_fail (BURROW_IS_CANDIDATE (self), 0);                         \
    return self->field;                                                           \
  }                                                                               \
  void                                                                            \
  burrow_candidate_##setter (BurrowCandidate *self, type value)                   \
  {                                                                               \
    g_return_if_fail (BURROW_IS_CANDIDATE (self));                                \
    g_return_if_fail (check);                                                     \
    if (self->field == value)                                                     \
      return;                                                                     \
    self->field = value;                                                          \
    g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);                 \
  }

#define DEFINE_ADDRESS_ACCESSORS(name, prop)                                      \
  GInetSocketAddress *                                                            \
  burrow_candidate_get_##name (BurrowCandidate *self)                             \
  {                                                                               \
    g_return_val_if_fail (BURROW_IS_CANDIDATE (self), NULL);                      \
    return self->name;                                                            \
  }                                                                               \
  void                                                                            \
  burrow_candidate_set_##name (BurrowCandidate *self, GInetSocketAddress *address) \
  {                                                                               \
    g_return_if_fail (BURROW_IS_CANDIDATE (self));                                \
    g_return_if_fail (address == NULL || G_IS_INET_SOCKET_ADDRESS (address));     \
    if (socket_address_equal (self->name, address))                               \
      return;                                                                     \
    g_set_object (&self->name, address);                                          \
    g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);                 \
  }

#define DEFINE_STRING_ACCESSORS(name, prop, check)                                \
  const gchar *                                                                   \
  burrow_candidate_get_##name (BurrowCandidate *self)                             \
  {                                                                               \
    g_return_val_if_fail (BURROW_IS_CANDIDATE (self), NULL);                      \
    return self->name;                                                            \
  }                                                                               \
  void                                                                            \
  burrow_candidate_set_##name (BurrowCandidate *self, const gchar *value)         \
  {                                                                               \
    g_return_if_fail (BURROW_IS_CANDIDATE (self));                                \
    g_return_if_fail (check);                                                     \
    if (replace_string (&self->name, value))                                     \
      g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);               \
  }

/**
 * burrow_candidate_get_candidate_type: (get-property type)
 * @self: a candidate
 *
 * Returns: the value of [property@Burrow.Candidate:type]
 *
 * Since: 0.1
 */
/**
 * burrow_candidate_set_candidate_type: (set-property type)
 * @self: a candidate
 * @type: the type
 *
 * Sets [property@Burrow.Candidate:type].
 *
 * Since: 0.1
 */
DEFINE_SCALAR_ACCESSORS (BurrowCandidateType, get_candidate_type, set_candidate_type, type,
    PROP_TYPE, value <= BURROW_CANDIDATE_TYPE_RELAYED)

/**
 * burrow_candidate_get_transport: (get-property transport)
 * @self: a candidate
 *
 * Returns: the value of [property@Burrow.Candidate:transport]
 *
 * Since: 0.1
 */
BurrowCandidateTransport
burrow_candidate_get_transport (BurrowCandidate *self)
{
  g_return_val_if_fail (BURROW_IS_CANDIDATE (self), BURROW_CANDIDATE_TRANSPORT_UDP);

  return self->transport;
}

/**
 * burrow_candidate_set_transport: (set-property transport)
 * @self: a candidate
 * @transport: the transport
 *
 * Sets [property@Burrow.Candidate:transport], and with it
 * [property@Burrow.Candidate:tcp-type].
 *
 * Since: 0.1
 */
void
burrow_candidate_set_transport (BurrowCandidate *self, BurrowCandidateTransport transport)
{
  g_return_if_fail (BURROW_IS_CANDIDATE (self));
  g_return_if_fail (transport <= BURROW_CANDIDATE_TRANSPORT_TCP_SO);

  if (self->transport == transport)
    return;
  self->transport = transport;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TRANSPORT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TCP_TYPE]);
}

/**
 * burrow_candidate_get_address: (get-property address)
 * @self: a candidate
 *
 * Returns: (transfer none) (nullable): the value of
 *   [property@Burrow.Candidate:address]
 *
 * Since: 0.1
 */
/**
 * burrow_candidate_set_address: (set-property address)
 * @self: a candidate
 * @address: (nullable): the transport address
 *
 * Sets [property@Burrow.Candidate:address].
 *
 * Since: 0.1
 */
DEFINE_ADDRESS_ACCESSORS (address, PROP_ADDRESS)

/**
 * burrow_candidate_get_base_address: (get-property base-address)
 * @self: a candidate
 *
 * Returns: (transfer none) (nullable): the value of
 *   [property@Burrow.Candidate:base-address]
 *
 * Since: 0.1
 */
/**
 * burrow_candidate_set_base_address: (set-property base-address)
 * @self: a candidate
 * @address: (nullable): the base
 *
 * Sets [property@Burrow.Candidate:base-address].
 *
 * Since: 0.1
 */
DEFINE_ADDRESS_ACCESSORS (base_address, PROP_BASE_ADDRESS)

/**
 * burrow_candidate_get_related_address: (get-property related-address)
 * @self: a candidate
 *
 * Returns: (transfer none) (nullable): the value of
 *   [property@Burrow.Candidate:related-address]
 *
 * Since: 0.1
 */
/**
 * burrow_candidate_set_related_address: (set-property related-address)
 * @self: a candidate
 * @address: (nullable): the related address
 *
 * Sets [property@Burrow.Candidate:related-address].
 *
 * Since: 0.1
 */
DEFINE_ADDRESS_ACCESSORS (related_address, PROP_RELATED_ADDRESS)

/**
 * burrow_candidate_get_priority: (get-property priority)
 * @self: a candidate
 *
 * Returns: the value of [property@Burrow.Candidate:priority]
 *
 * Since: 0.1
 */
/**
 * burrow_candidate_set_priority: (set-property priority)
 * @self: a candidate
 * @priority: the priority, at most 2^31 - 1
 *
 * Sets [property@Burrow.Candidate:priority].
 *
 * Since: 0.1
 */
DEFINE_SCALAR_ACCESSORS (guint32, get_priority, set_priority, priority, PROP_PRIORITY,
    value <= G_MAXINT32)

/**
 * burrow_candidate_get_foundation: (get-property foundation)
 * @self: a candidate
 *
 * Returns: (nullable): the value of [property@Burrow.Candidate:foundation]
 *
 * Since: 0.1
 */
/**
 * burrow_candidate_set_foundation: (set-property foundation)
 * @self: a candidate
 * @foundation: (nullable): a foundation that
 *   [func@Burrow.Candidate.foundation_is_valid] accepts
 *
 * Sets [property@Burrow.Candidate:foundation].
 *
 * Since: 0.1
 */
DEFINE_STRING_ACCESSORS (foundation, PROP_FOUNDATION,
    value == NULL || burrow_candidate_foundation_is_valid (value))

/**
 * burrow_candidate_get_stream_id: (get-property stream-id)
 * @self: a candidate
 *
 * Returns: the value of [property@Burrow.Candidate:stream-id]
 *
 * Since: 0.1
 */
/**
 * burrow_candidate_set_stream_id: (set-property stream-id)
 * @self: a candidate
 * @stream_id: the id of the stream
 *
 * Sets [property@Burrow.Candidate:stream-id].
 *
 * Since: 0.1
 */
DEFINE_SCALAR_ACCESSORS (guint, get_stream_id, set_stream_id, stream_id, PROP_STREAM_ID, TRUE)

/**
 * burrow_candidate_get_component_id: (get-property component-id)
 * @self: a candidate
 *
 * Returns: the value of [property@Burrow.Candidate:component-id]
 *
 * Since: 0.1
 */
/**
 * burrow_candidate_set_component_id: (set-property component-id)
 * @self: a candidate
 * @component_id: the component, 1 to 256
 *
 * Sets [property@Burrow.Candidate:component-id].
 *
 * Since: 0.1
 */
DEFINE_SCALAR_ACCESSORS (guint, get_component_id, set_component_id, component_id,
    PROP_COMPONENT_ID, value >= 1 && value <= 256)

/**
 * burrow_candidate_get_username: (get-property username)
 * @self: a candidate
 *
 * Returns: (nullable): the value of [property@Burrow.Candidate:username]
 *
 * Since: 0.1
 */
/**
 * burrow_candidate_set_username: (set-property username)
 * @self: a candidate
 * @username: (nullable): the username fragment
 *
 * Sets [property@Burrow.Candidate:username].
 *
 * Since: 0.1
 */
DEFINE_STRING_ACCESSORS (username, PROP_USERNAME, TRUE)

/**
 * burrow_candidate_get_password: (get-property password)
 * @self: a candidate
 *
 * Returns: (nullable): the value of [property@Burrow.Candidate:password]
 *
 * Since: 0.1
 */
/**
 * burrow_candidate_set_password: (set-property password)
 * @self: a candidate
 * @password: (nullable): the password
 *
 * Sets [property@Burrow.Candidate:password].
 *
 * Since: 0.1
 */
DEFINE_STRING_ACCESSORS (password, PROP_PASSWORD, TRUE)

/**
 * burrow_candidate_get_tcp_type: (get-property tcp-type)
 * @self: a candidate
 *
 * Gives the RFC 6544 `tcptype` that goes with the candidate's transport.
 *
 * Returns: (nullable): "active", "passive" or "so", or %NULL for a UDP
 *   candidate
 *
 * Since: 0.1
 */
const gchar *
burrow_candidate_get_tcp_type (BurrowCandidate *self)
{
  g_return_val_if_fail (BURROW_IS_CANDIDATE (self), NULL);

  switch (self->transport) {
    case BURROW_CANDIDATE_TRANSPORT_TCP_ACTIVE:
      return "active";
    case BURROW_CANDIDATE_TRANSPORT_TCP_PASSIVE:
      return "passive";
    case BURROW_CANDIDATE_TRANSPORT_TCP_SO:
      return "so";
    case BURROW_CANDIDATE_TRANSPORT_UDP:
    default:
      return NULL;
  }
}

/**
 * burrow_candidate_get_port:
 * @self: a candidate
 *
 * Gives the port of [property@Burrow.Candidate:address].
 *
 * Returns: the port, or 0 if the candidate has no address
 *
 * Since: 0.1
 */
guint16
burrow_candidate_get_port (BurrowCandidate *self)
{
  g_return_val_if_fail (BURROW_IS_CANDIDATE (self), 0);

  if (self->address == NULL)
    return 0;
  return g_inet_socket_address_get_port (self->address);
}

/**
 * burrow_candidate_get_ip:
 * @self: a candidate
 *
 * Gives the IP address of [property@Burrow.Candidate:address] as text,
 * "192.0.2.1" or "2001:db8::1".
 *
 * Returns: (transfer full) (nullable): the IP address, or %NULL if the
 *   candidate has no address
 *
 * Since: 0.1
 */
gchar *
burrow_candidate_get_ip (BurrowCandidate *self)
{
  g_return_val_if_fail (BURROW_IS_CANDIDATE (self), NULL);

  if (self->address == NULL)
    return NULL;
  return g_inet_address_to_string (g_inet_socket_address_get_address (self->address));
}

/**
 * burrow_candidate_type_to_string:
 * @type: a candidate type
 *
 * Gives the SDP name of @type (RFC 8839 `cand-type`), which is also what
 * libnice's `nice_candidate_type_to_string()` gives.
 *
 * Returns: "host", "srflx", "prflx" or "relay"
 *
 * Since: 0.1
 */
const gchar *
burrow_candidate_type_to_string (BurrowCandidateType type)
{
  static const gchar *const names[] = { "host", "srflx", "prflx", "relay" };

  g_return_val_if_fail (type <= BURROW_CANDIDATE_TYPE_RELAYED, NULL);

  return names[type];
}

/**
 * burrow_candidate_transport_to_string:
 * @transport: a candidate transport
 *
 * Gives a short name of @transport, the one libnice's
 * `nice_candidate_transport_to_string()` gives. The SDP form is different:
 * "UDP" or "TCP", with the direction in a `tcptype` attribute.
 *
 * Returns: "udp", "tcp-active", "tcp-passive" or "tcp-so"
 *
 * Since: 0.1
 */
const gchar *
burrow_candidate_transport_to_string (BurrowCandidateTransport transport)
{
  static const gchar *const names[] = { "udp", "tcp-active", "tcp-passive", "tcp-so" };

  g_return_val_if_fail (transport <= BURROW_CANDIDATE_TRANSPORT_TCP_SO, NULL);

  return names[transport];
}

static guint
type_preference (BurrowCandidateType type)
{
  switch (type) {
    case BURROW_CANDIDATE_TYPE_HOST:
      return TYPE_PREF_HOST;
    case BURROW_CANDIDATE_TYPE_PEER_REFLEXIVE:
      return TYPE_PREF_PEER_REFLEXIVE;
    case BURROW_CANDIDATE_TYPE_SERVER_REFLEXIVE:
      return TYPE_PREF_SERVER_REFLEXIVE;
    case BURROW_CANDIDATE_TYPE_RELAYED:
    default:
      return TYPE_PREF_RELAYED;
  }
}

/* RFC 6544 section 4.2: host and relayed candidates prefer active, then
 * passive, then simultaneous-open; candidates behind a NAT (server and, as
 * in libnice, peer reflexive) prefer simultaneous-open, then active, then
 * passive. */
static guint
direction_preference (BurrowCandidateType type, BurrowCandidateTransport transport)
{
  gboolean natted = type == BURROW_CANDIDATE_TYPE_SERVER_REFLEXIVE ||
      type == BURROW_CANDIDATE_TYPE_PEER_REFLEXIVE;

  switch (transport) {
    case BURROW_CANDIDATE_TRANSPORT_TCP_ACTIVE:
      return natted ? 4 : 6;
    case BURROW_CANDIDATE_TRANSPORT_TCP_PASSIVE:
      return natted ? 2 : 4;
    case BURROW_CANDIDATE_TRANSPORT_TCP_SO:
      return natted ? 6 : 2;
    case BURROW_CANDIDATE_TRANSPORT_UDP:
    default:
      return 0;
  }
}

/**
 * burrow_candidate_compute_priority:
 * @type: the candidate's type
 * @transport: the candidate's transport
 * @local_preference: how much this agent prefers the candidate among those
 *   of the same type, 0 to 65535 (65535 when there is only one)
 * @component_id: the component, 1 to 256
 *
 * Computes a candidate priority with the formula of RFC 8445 section
 * 5.1.2.1:
 *
 *     priority = 2^24 * type preference + 2^8 * local preference + (256 - component ID)
 *
 * with the recommended type preferences of section 5.1.2.2: 126 for host,
 * 110 for peer reflexive, 100 for server reflexive and 0 for relayed
 * candidates. A host UDP candidate of component 1 with local preference
 * 65535 gets 2130706431.
 *
 * For TCP the local preference is built as RFC 6544 section 4.2 asks,
 * 2^13 * direction-pref + other-pref. The direction-pref is 6 for active,
 * 4 for passive and 2 for simultaneous-open host and relayed candidates,
 * and 6 for simultaneous-open, 4 for active and 2 for passive reflexive
 * ones (peer reflexive counted as reflexive, as libnice does).
 * @local_preference is the other-pref and counts as 8191 when above that,
 * so a TCP candidate always ranks below a UDP candidate of the same type
 * with local preference 65535. Candidates of the same type and transport
 * need distinct local preferences; that is up to the caller.
 *
 * Relayed candidates with local preference 0 on component 256 would get
 * priority 0, which SDP cannot carry; give relayed candidates a non-zero
 * local preference.
 *
 * Returns: the priority
 *
 * Since: 0.1
 */
guint32
burrow_candidate_compute_priority (BurrowCandidateType type,
    BurrowCandidateTransport transport, guint local_preference, guint component_id)
{
  guint32 local;

  g_return_val_if_fail (type <= BURROW_CANDIDATE_TYPE_RELAYED, 0);
  g_return_val_if_fail (transport <= BURROW_CANDIDATE_TRANSPORT_TCP_SO, 0);
  g_return_val_if_fail (local_preference <= G_MAXUINT16, 0);
  g_return_val_if_fail (component_id >= 1 && component_id <= 256, 0);

  if (transport == BURROW_CANDIDATE_TRANSPORT_UDP)
    local = local_preference;
  else
    local = (direction_preference (type, transport) << 13) +
        MIN (local_preference, TCP_OTHER_PREF_MAX);

  return (type_preference (type) << 24) + (local << 8) + (256 - component_id);
}

/**
 * burrow_candidate_make_foundation:
 * @type: the candidate's type
 * @base_ip: the IP address of the candidate's base; for a relayed
 *   candidate, the local address the TURN server was reached from
 * @server_ip: (nullable): for a server reflexive or relayed candidate, the
 *   IP address of the STUN or TURN server it came from; ignored for host
 *   and peer reflexive candidates
 * @transport: the candidate's transport
 *
 * Makes a foundation as RFC 8445 section 5.1.1.3 asks: the same for two
 * candidates of the same type, base IP, server IP and transport, and
 * different otherwise. TCP candidates in different roles (active, passive,
 * simultaneous-open) get different foundations, as in libnice. Burrow's
 * agent gives its local candidates these foundations.
 *
 * The result is a 32-bit FNV-1a hash of those four values in decimal (up
 * to 10 digits), stable across runs and machines. Two different sets of
 * values could in theory share a foundation; that only makes ICE check
 * their pairs together, it never breaks a check.
 *
 * Relayed candidates use the local address rather than the relayed
 * address, like libnice, so that allocations on one server made over
 * different interfaces are told apart.
 *
 * Returns: (transfer full): the foundation
 *
 * Since: 0.1
 */
gchar *
burrow_candidate_make_foundation (BurrowCandidateType type, GInetAddress *base_ip,
    GInetAddress *server_ip, BurrowCandidateTransport transport)
{
  g_autofree gchar *base = NULL;
  g_autofree gchar *server = NULL;
  g_autofree gchar *key = NULL;
  guint32 hash = 2166136261u;
  const guchar *p;

  g_return_val_if_fail (type <= BURROW_CANDIDATE_TYPE_RELAYED, NULL);
  g_return_val_if_fail (G_IS_INET_ADDRESS (base_ip), NULL);
  g_return_val_if_fail (server_ip == NULL || G_IS_INET_ADDRESS (server_ip), NULL);
  g_return_val_if_fail (transport <= BURROW_CANDIDATE_TRANSPORT_TCP_SO, NULL);

  base = g_inet_address_to_string (base_ip);
  if (server_ip != NULL && (type == BURROW_CANDIDATE_TYPE_SERVER_REFLEXIVE ||
          type == BURROW_CANDIDATE_TYPE_RELAYED))
    server = g_inet_address_to_string (server_ip);
  key = g_strdup_printf ("%s|%s|%s|%s", burrow_candidate_type_to_string (type),
      burrow_candidate_transport_to_string (transport), base, server ? server : "");

  for (p = (const guchar *) key; *p != '\0'; p++) {
    hash ^= *p;
    hash *= 16777619u;
  }
  return g_strdup_printf ("%" G_GUINT32_FORMAT, hash);
}

/**
 * burrow_candidate_foundation_is_valid:
 * @foundation: a foundation
 *
 * Checks @foundation against RFC 8839: 1 to
 * %BURROW_CANDIDATE_MAX_FOUNDATION characters, each a letter, a digit,
 * "+" or "/".
 *
 * Returns: %TRUE if @foundation can be a foundation
 *
 * Since: 0.1
 */
gboolean
burrow_candidate_foundation_is_valid (const gchar *foundation)
{
  gsize i;

  g_return_val_if_fail (foundation != NULL, FALSE);

  for (i = 0; foundation[i] != '\0'; i++) {
    if (i >= BURROW_CANDIDATE_MAX_FOUNDATION)
      return FALSE;
    if (!g_ascii_isalnum (foundation[i]) && foundation[i] != '+' && foundation[i] != '/')
      return FALSE;
  }
  return i > 0;
}
