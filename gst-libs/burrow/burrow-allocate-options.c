/* burrow-allocate-options.c: what to ask of a TURN server when allocating
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "burrow-allocate-options.h"
#include "burrow-enum-types.h"

/**
 * BurrowAllocateOptions:
 *
 * The choices of an Allocate request (RFC 8656 section 7.1), passed to
 * [method@Burrow.TurnClient.allocate_async]. A new object asks for the
 * server's defaults: an IPv4 relayed address on any port, with the
 * server's default lifetime.
 *
 * ```python
 * options = Burrow.AllocateOptions(even_port=True, reserve_next_port=True)
 * allocation = client.allocate_sync(options, None)
 * token = allocation.props.reservation_token
 * ```
 *
 * Since: 0.1
 */
struct _BurrowAllocateOptions {
  GObject parent_instance;

  gboolean even_port;
  gboolean reserve_next_port;
  guint64 reservation_token;
  BurrowAddressFamily family;
  guint lifetime;
  gboolean dont_fragment;
};

G_DEFINE_FINAL_TYPE (BurrowAllocateOptions, burrow_allocate_options, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_EVEN_PORT,
  PROP_RESERVE_NEXT_PORT,
  PROP_RESERVATION_TOKEN,
  PROP_FAMILY,
  PROP_LIFETIME,
  PROP_DONT_FRAGMENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
burrow_allocate_options_set_property (GObject *object, guint prop_id, const GValue *value,
    GParamSpec *pspec)
{
  BurrowAllocateOptions *self = BURROW_ALLOCATE_OPTIONS (object);

  switch (prop_id) {
    case PROP_EVEN_PORT:
      burrow_allocate_options_set_even_port (self, g_value_get_boolean (value));
      break;
    case PROP_RESERVE_NEXT_PORT:
      burrow_allocate_options_set_reserve_next_port (self, g_value_get_boolean (value));
      break;
    case PROP_RESERVATION_TOKEN:
      burrow_allocate_options_set_reservation_token (self, g_value_get_uint64 (value));
      break;
    case PROP_FAMILY:
      burrow_allocate_options_set_family (self, g_value_get_enum (value));
      break;
    case PROP_LIFETIME:
      burrow_allocate_options_set_lifetime (self, g_value_get_uint (value));
      break;
    case PROP_DONT_FRAGMENT:
      burrow_allocate_options_set_dont_fragment (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
burrow_allocate_options_get_property (GObject *object, guint prop_id, GValue *value,
    GParamSpec *pspec)
{
  BurrowAllocateOptions *self = BURROW_ALLOCATE_OPTIONS (object);

  switch (prop_id) {
    case PROP_EVEN_PORT:
      g_value_set_boolean (value, self->even_port);
      break;
    case PROP_RESERVE_NEXT_PORT:
      g_value_set_boolean (value, self->reserve_next_port);
      break;
    case PROP_RESERVATION_TOKEN:
      g_value_set_uint64 (value, self->reservation_token);
      break;
    case PROP_FAMILY:
      g_value_set_enum (value, self->family);
      break;
    case PROP_LIFETIME:
      g_value_set_uint (value, self->lifetime);
      break;
    case PROP_DONT_FRAGMENT:
      g_value_set_boolean (value, self->dont_fragment);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
burrow_allocate_options_class_init (BurrowAllocateOptionsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->set_property = burrow_allocate_options_set_property;
  object_class->get_property = burrow_allocate_options_get_property;

  /**
   * BurrowAllocateOptions:even-port:
   *
   * Ask for a relayed address with an even port (EVEN-PORT), as RTP
   * wants.
   *
   * Since: 0.1
   */
  properties[PROP_EVEN_PORT] = g_param_spec_boolean ("even-port", NULL, NULL, FALSE, flags);
  /**
   * BurrowAllocateOptions:reserve-next-port:
   *
   * With [property@Burrow.AllocateOptions:even-port], also ask the server
   * to keep the next port (even + 1) for a second allocation; the answer
   * carries a reservation token
   * ([property@Burrow.RelayAllocation:reservation-token]).
   *
   * Since: 0.1
   */
  properties[PROP_RESERVE_NEXT_PORT] = g_param_spec_boolean ("reserve-next-port", NULL, NULL,
      FALSE, flags);
  /**
   * BurrowAllocateOptions:reservation-token:
   *
   * Allocate the port another allocation reserved, by its token
   * (RESERVATION-TOKEN); 0 for none. Excludes the other options but
   * [property@Burrow.AllocateOptions:lifetime] and
   * [property@Burrow.AllocateOptions:dont-fragment].
   *
   * Since: 0.1
   */
  properties[PROP_RESERVATION_TOKEN] = g_param_spec_uint64 ("reservation-token", NULL, NULL,
      0, G_MAXUINT64, 0, flags);
  /**
   * BurrowAllocateOptions:family:
   *
   * The relayed address family or families to ask for.
   *
   * Since: 0.1
   */
  properties[PROP_FAMILY] = g_param_spec_enum ("family", NULL, NULL, BURROW_TYPE_ADDRESS_FAMILY,
      BURROW_ADDRESS_FAMILY_IPV4, flags);
  /**
   * BurrowAllocateOptions:lifetime:
   *
   * The lifetime to ask for, in seconds; 0 leaves it to the server
   * (usually 600 s). The server may grant less.
   *
   * Since: 0.1
   */
  properties[PROP_LIFETIME] = g_param_spec_uint ("lifetime", NULL, NULL, 0, G_MAXUINT32, 0, flags);
  /**
   * BurrowAllocateOptions:dont-fragment:
   *
   * Ask the server to set the DF bit on the datagrams it relays
   * (DONT-FRAGMENT).
   *
   * Since: 0.1
   */
  properties[PROP_DONT_FRAGMENT] = g_param_spec_boolean ("dont-fragment", NULL, NULL, FALSE,
      flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
burrow_allocate_options_init (BurrowAllocateOptions *self)
{
}

/**
 * burrow_allocate_options_new:
 *
 * Makes options that ask for the server's defaults.
 *
 * Returns: (transfer full): new options
 *
 * Since: 0.1
 */
BurrowAllocateOptions *
burrow_allocate_options_new (void)
{
  return g_object_new (BURROW_TYPE_ALLOCATE_OPTIONS, NULL);
}

#define DEFINE_ACCESSORS(type, name, prop, check)                                 \
  type                                                                            \
  burrow_allocate_options_get_##name (BurrowAllocateOptions *self)                \
  {                                                                               \
    g_return_val_if_fail (BURROW_IS_ALLOCATE_OPTIONS (self), 0);                  \
    return self->name;                                                            \
  }                                                                               \
  void                                                                            \
  burrow_allocate_options_set_##name (BurrowAllocateOptions *self, type value)    \
  {                                                                               \
    g_return_if_fail (BURROW_IS_ALLOCATE_OPTIONS (self));                         \
    g_return_if_fail (check);                                                     \
    if (self->name == value)                                                      \
      return;                                                                     \
    self->name = value;                                                           \
    g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);                 \
  }

/**
 * burrow_allocate_options_get_even_port:
 * @self: options
 *
 * Returns: the value of [property@Burrow.AllocateOptions:even-port]
 *
 * Since: 0.1
 */
/**
 * burrow_allocate_options_set_even_port:
 * @self: options
 * @even_port: whether to ask for an even port
 *
 * Sets [property@Burrow.AllocateOptions:even-port].
 *
 * Since: 0.1
 */
DEFINE_ACCESSORS (gboolean, even_port, PROP_EVEN_PORT, TRUE)
/**
 * burrow_allocate_options_get_reserve_next_port:
 * @self: options
 *
 * Returns: the value of [property@Burrow.AllocateOptions:reserve-next-port]
 *
 * Since: 0.1
 */
/**
 * burrow_allocate_options_set_reserve_next_port:
 * @self: options
 * @reserve: whether to reserve the next port
 *
 * Sets [property@Burrow.AllocateOptions:reserve-next-port].
 *
 * Since: 0.1
 */
DEFINE_ACCESSORS (gboolean, reserve_next_port, PROP_RESERVE_NEXT_PORT, TRUE)
/**
 * burrow_allocate_options_get_reservation_token:
 * @self: options
 *
 * Returns: the value of [property@Burrow.AllocateOptions:reservation-token]
 *
 * Since: 0.1
 */
/**
 * burrow_allocate_options_set_reservation_token:
 * @self: options
 * @token: a token from an earlier allocation, or 0
 *
 * Sets [property@Burrow.AllocateOptions:reservation-token].
 *
 * Since: 0.1
 */
DEFINE_ACCESSORS (guint64, reservation_token, PROP_RESERVATION_TOKEN, TRUE)
/**
 * burrow_allocate_options_get_family:
 * @self: options
 *
 * Returns: the value of [property@Burrow.AllocateOptions:family]
 *
 * Since: 0.1
 */
/**
 * burrow_allocate_options_set_family:
 * @self: options
 * @family: the address family or families to ask for
 *
 * Sets [property@Burrow.AllocateOptions:family].
 *
 * Since: 0.1
 */
DEFINE_ACCESSORS (BurrowAddressFamily, family, PROP_FAMILY, value <= BURROW_ADDRESS_FAMILY_DUAL)
/**
 * burrow_allocate_options_get_lifetime:
 * @self: options
 *
 * Returns: the value of [property@Burrow.AllocateOptions:lifetime]
 *
 * Since: 0.1
 */
/**
 * burrow_allocate_options_set_lifetime:
 * @self: options
 * @seconds: the lifetime, or 0 for the server's default
 *
 * Sets [property@Burrow.AllocateOptions:lifetime].
 *
 * Since: 0.1
 */
DEFINE_ACCESSORS (guint, lifetime, PROP_LIFETIME, TRUE)
/**
 * burrow_allocate_options_get_dont_fragment:
 * @self: options
 *
 * Returns: the value of [property@Burrow.AllocateOptions:dont-fragment]
 *
 * Since: 0.1
 */
/**
 * burrow_allocate_options_set_dont_fragment:
 * @self: options
 * @dont_fragment: whether to ask for DF
 *
 * Sets [property@Burrow.AllocateOptions:dont-fragment].
 *
 * Since: 0.1
 */
DEFINE_ACCESSORS (gboolean, dont_fragment, PROP_DONT_FRAGMENT, TRUE)
