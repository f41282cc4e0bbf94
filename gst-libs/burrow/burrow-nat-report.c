/* burrow-nat-report.c: the result of RFC 5780 NAT behaviour discovery
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "burrow-nat-report-private.h"
#include "burrow-enum-types.h"
#include "stun/burrow-stun-endpoint.h"

/**
 * BurrowNatReport:
 *
 * What NAT behaviour discovery (RFC 5780) learned about the path between
 * this host and a STUN server: how the NAT maps and filters, the classic
 * NAT type those imply, the external address and whether the NAT supports
 * hairpinning.
 *
 * A behaviour that could not be tested is [enum@Burrow.NatBehavior.UNKNOWN],
 * and [property@Burrow.NatReport:problems] says why (for example, a server
 * that does not announce an OTHER-ADDRESS cannot test mapping behaviour).
 * Burrow never guesses.
 *
 * Get one from [method@Burrow.StunClient.discover_nat_async].
 *
 * Since: 0.1
 */
struct _BurrowNatReport {
  GObject parent_instance;

  BurrowNatBehavior mapping;
  BurrowNatBehavior filtering;
  BurrowNatType nat_type;
  BurrowHairpinning hairpinning;
  GInetSocketAddress *local_address;
  GInetSocketAddress *external_address;
  GInetSocketAddress *other_address;
  GPtrArray *problems; /* NULL-terminated strv */
};

G_DEFINE_FINAL_TYPE (BurrowNatReport, burrow_nat_report, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_MAPPING,
  PROP_FILTERING,
  PROP_NAT_TYPE,
  PROP_HAIRPINNING,
  PROP_LOCAL_ADDRESS,
  PROP_EXTERNAL_ADDRESS,
  PROP_OTHER_ADDRESS,
  PROP_PROBLEMS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
burrow_nat_report_get_property (GObject *object, guint prop_id, GValue *value,
    GParamSpec *pspec)
{
  BurrowNatReport *self = BURROW_NAT_REPORT (object);

  switch (prop_id) {
    case PROP_MAPPING:
      g_value_set_enum (value, self->mapping);
      break;
    case PROP_FILTERING:
      g_value_set_enum (value, self->filtering);
      break;
    case PROP_NAT_TYPE:
      g_value_set_enum (value, self->nat_type);
      break;
    case PROP_HAIRPINNING:
      g_value_set_enum (value, self->hairpinning);
      break;
    case PROP_LOCAL_ADDRESS:
      g_value_set_object (value, self->local_address);
      break;
    case PROP_EXTERNAL_ADDRESS:
      g_value_set_object (value, self->external_address);
      break;
    case PROP_OTHER_ADDRESS:
      g_value_set_object (value, self->other_address);
      break;
    case PROP_PROBLEMS:
      g_value_set_boxed (value, self->problems->pdata);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
burrow_nat_report_finalize (GObject *object)
{
  BurrowNatReport *self = BURROW_NAT_REPORT (object);

  g_clear_object (&self->local_address);
  g_clear_object (&self->external_address);
  g_clear_object (&self->other_address);
  g_ptr_array_unref (self->problems);
  G_OBJECT_CLASS (burrow_nat_report_parent_class)->finalize (object);
}

static void
burrow_nat_report_class_init (BurrowNatReportClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->get_property = burrow_nat_report_get_property;
  object_class->finalize = burrow_nat_report_finalize;

  /**
   * BurrowNatReport:mapping:
   *
   * How the NAT maps an internal address and port to an external one
   * (RFC 5780 section 4.3).
   *
   * Since: 0.1
   */
  properties[PROP_MAPPING] = g_param_spec_enum ("mapping", NULL, NULL,
      BURROW_TYPE_NAT_BEHAVIOR, BURROW_NAT_BEHAVIOR_UNKNOWN, flags);
  /**
   * BurrowNatReport:filtering:
   *
   * Which inbound packets the NAT lets through to a mapping (RFC 5780
   * section 4.4).
   *
   * Since: 0.1
   */
  properties[PROP_FILTERING] = g_param_spec_enum ("filtering", NULL, NULL,
      BURROW_TYPE_NAT_BEHAVIOR, BURROW_NAT_BEHAVIOR_UNKNOWN, flags);
  /**
   * BurrowNatReport:nat-type:
   *
   * The classic NAT type implied by the mapping and filtering behaviour.
   *
   * Since: 0.1
   */
  properties[PROP_NAT_TYPE] = g_param_spec_enum ("nat-type", NULL, NULL,
      BURROW_TYPE_NAT_TYPE, BURROW_NAT_TYPE_UNKNOWN, flags);
  /**
   * BurrowNatReport:hairpinning:
   *
   * Whether the NAT loops back packets sent to its own external address.
   *
   * Since: 0.1
   */
  properties[PROP_HAIRPINNING] = g_param_spec_enum ("hairpinning", NULL, NULL,
      BURROW_TYPE_HAIRPINNING, BURROW_HAIRPINNING_UNKNOWN, flags);
  /**
   * BurrowNatReport:local-address:
   *
   * The local address and port the tests were sent from.
   *
   * Since: 0.1
   */
  properties[PROP_LOCAL_ADDRESS] = g_param_spec_object ("local-address", NULL, NULL,
      G_TYPE_INET_SOCKET_ADDRESS, flags);
  /**
   * BurrowNatReport:external-address:
   *
   * The server-reflexive address: the local address as the server saw it,
   * or %NULL when the server never answered.
   *
   * Since: 0.1
   */
  properties[PROP_EXTERNAL_ADDRESS] = g_param_spec_object ("external-address", NULL, NULL,
      G_TYPE_INET_SOCKET_ADDRESS, flags);
  /**
   * BurrowNatReport:other-address:
   *
   * The server's alternate address (OTHER-ADDRESS), or %NULL when the
   * server does not support RFC 5780.
   *
   * Since: 0.1
   */
  properties[PROP_OTHER_ADDRESS] = g_param_spec_object ("other-address", NULL, NULL,
      G_TYPE_INET_SOCKET_ADDRESS, flags);
  /**
   * BurrowNatReport:problems:
   *
   * One sentence per thing the discovery could not learn, and why.
   *
   * Since: 0.1
   */
  properties[PROP_PROBLEMS] = g_param_spec_boxed ("problems", NULL, NULL,
      G_TYPE_STRV, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
burrow_nat_report_init (BurrowNatReport *self)
{
  self->problems = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->problems, NULL);
}

BurrowNatReport *
burrow_nat_report_new (void)
{
  return g_object_new (BURROW_TYPE_NAT_REPORT, NULL);
}

void
burrow_nat_report_set_mapping (BurrowNatReport *report, BurrowNatBehavior mapping)
{
  report->mapping = mapping;
}

void
burrow_nat_report_set_filtering (BurrowNatReport *report, BurrowNatBehavior filtering)
{
  report->filtering = filtering;
}

void
burrow_nat_report_set_nat_type (BurrowNatReport *report, BurrowNatType type)
{
  report->nat_type = type;
}

void
burrow_nat_report_set_hairpinning (BurrowNatReport *report, BurrowHairpinning hairpinning)
{
  report->hairpinning = hairpinning;
}

void
burrow_nat_report_set_addresses (BurrowNatReport *report, GInetSocketAddress *local,
    GInetSocketAddress *external, GInetSocketAddress *other)
{
  g_set_object (&report->local_address, local);
  g_set_object (&report->external_address, external);
  g_set_object (&report->other_address, other);
}

void
burrow_nat_report_add_problem (BurrowNatReport *report, const gchar *format, ...)
{
  va_list args;

  va_start (args, format);
  report->problems->pdata[report->problems->len - 1] = g_strdup_vprintf (format, args);
  g_ptr_array_add (report->problems, NULL);
  va_end (args);
}

/**
 * burrow_nat_report_get_mapping:
 * @report: a #BurrowNatReport
 *
 * Gets the NAT's mapping behaviour.
 *
 * Returns: the mapping behaviour
 *
 * Since: 0.1
 */
BurrowNatBehavior
burrow_nat_report_get_mapping (BurrowNatReport *report)
{
  g_return_val_if_fail (BURROW_IS_NAT_REPORT (report), BURROW_NAT_BEHAVIOR_UNKNOWN);
  return report->mapping;
}

/**
 * burrow_nat_report_get_filtering:
 * @report: a #BurrowNatReport
 *
 * Gets the NAT's filtering behaviour.
 *
 * Returns: the filtering behaviour
 *
 * Since: 0.1
 */
BurrowNatBehavior
burrow_nat_report_get_filtering (BurrowNatReport *report)
{
  g_return_val_if_fail (BURROW_IS_NAT_REPORT (report), BURROW_NAT_BEHAVIOR_UNKNOWN);
  return report->filtering;
}

/**
 * burrow_nat_report_get_nat_type:
 * @report: a #BurrowNatReport
 *
 * Gets the classic NAT type.
 *
 * Returns: the NAT type
 *
 * Since: 0.1
 */
BurrowNatType
burrow_nat_report_get_nat_type (BurrowNatReport *report)
{
  g_return_val_if_fail (BURROW_IS_NAT_REPORT (report), BURROW_NAT_TYPE_UNKNOWN);
  return report->nat_type;
}

/**
 * burrow_nat_report_get_hairpinning:
 * @report: a #BurrowNatReport
 *
 * Gets whether the NAT supports hairpinning.
 *
 * Returns: the hairpinning result
 *
 * Since: 0.1
 */
BurrowHairpinning
burrow_nat_report_get_hairpinning (BurrowNatReport *report)
{
  g_return_val_if_fail (BURROW_IS_NAT_REPORT (report), BURROW_HAIRPINNING_UNKNOWN);
  return report->hairpinning;
}

/**
 * burrow_nat_report_get_external_address:
 * @report: a #BurrowNatReport
 *
 * Gets the server-reflexive address.
 *
 * Returns: (transfer none) (nullable): the external address, or %NULL when
 *   the server never answered
 *
 * Since: 0.1
 */
GInetSocketAddress *
burrow_nat_report_get_external_address (BurrowNatReport *report)
{
  g_return_val_if_fail (BURROW_IS_NAT_REPORT (report), NULL);
  return report->external_address;
}

/**
 * burrow_nat_report_get_local_address:
 * @report: a #BurrowNatReport
 *
 * Gets the local address the tests were sent from.
 *
 * Returns: (transfer none) (nullable): the local address
 *
 * Since: 0.1
 */
GInetSocketAddress *
burrow_nat_report_get_local_address (BurrowNatReport *report)
{
  g_return_val_if_fail (BURROW_IS_NAT_REPORT (report), NULL);
  return report->local_address;
}

/**
 * burrow_nat_report_get_other_address:
 * @report: a #BurrowNatReport
 *
 * Gets the server's alternate address.
 *
 * Returns: (transfer none) (nullable): the OTHER-ADDRESS the server gave,
 *   or %NULL
 *
 * Since: 0.1
 */
GInetSocketAddress *
burrow_nat_report_get_other_address (BurrowNatReport *report)
{
  g_return_val_if_fail (BURROW_IS_NAT_REPORT (report), NULL);
  return report->other_address;
}

/**
 * burrow_nat_report_get_problems:
 * @report: a #BurrowNatReport
 *
 * Gets what the discovery could not learn, one sentence each.
 *
 * Returns: (transfer none) (array zero-terminated=1): the problems; empty
 *   when every test ran
 *
 * Since: 0.1
 */
const gchar * const *
burrow_nat_report_get_problems (BurrowNatReport *report)
{
  g_return_val_if_fail (BURROW_IS_NAT_REPORT (report), NULL);
  return (const gchar * const *) report->problems->pdata;
}

static void
json_address (GString *out, const gchar *key, GInetSocketAddress *address)
{
  g_string_append_printf (out, "  \"%s\": ", key);
  if (address) {
    g_autofree gchar *s = burrow_socket_address_to_string (G_SOCKET_ADDRESS (address));

    g_string_append_printf (out, "\"%s\",\n", s);
  } else {
    g_string_append (out, "null,\n");
  }
}

static void
json_string (GString *out, const gchar *s)
{
  g_string_append_c (out, '"');
  for (; *s; s++) {
    if (*s == '"' || *s == '\\')
      g_string_append_printf (out, "\\%c", *s);
    else if ((guchar) *s < 0x20)
      g_string_append_printf (out, "\\u%04x", (guchar) *s);
    else
      g_string_append_c (out, *s);
  }
  g_string_append_c (out, '"');
}

/**
 * burrow_nat_report_to_json:
 * @report: a #BurrowNatReport
 *
 * Formats the report as a JSON object, with the keys `nat-type`, `mapping`,
 * `filtering`, `hairpinning`, `local-address`, `external-address`,
 * `other-address` and `problems`. Behaviours and types use the nicknames of
 * their enums ("port-restricted", "endpoint-independent", …); addresses are
 * "ip:port" strings or null.
 *
 * Returns: (transfer full): a JSON text
 *
 * Since: 0.1
 */
gchar *
burrow_nat_report_to_json (BurrowNatReport *report)
{
  GString *out;
  guint i;

  g_return_val_if_fail (BURROW_IS_NAT_REPORT (report), NULL);
  out = g_string_new ("{\n");

  g_string_append_printf (out, "  \"nat-type\": \"%s\",\n", burrow_nat_type_to_string (report->nat_type));
  g_string_append_printf (out, "  \"mapping\": \"%s\",\n", burrow_nat_behavior_to_string (report->mapping));
  g_string_append_printf (out, "  \"filtering\": \"%s\",\n", burrow_nat_behavior_to_string (report->filtering));
  g_string_append_printf (out, "  \"hairpinning\": \"%s\",\n", burrow_hairpinning_to_string (report->hairpinning));
  json_address (out, "local-address", report->local_address);
  json_address (out, "external-address", report->external_address);
  json_address (out, "other-address", report->other_address);
  g_string_append (out, "  \"problems\": [");
  for (i = 0; i + 1 < report->problems->len; i++) {
    g_string_append (out, i ? ", " : "");
    json_string (out, report->problems->pdata[i]);
  }
  g_string_append (out, "]\n}");
  return g_string_free (out, FALSE);
}

static const gchar *
enum_nick (GType type, gint value)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (type);
  GEnumValue *v = g_enum_get_value (klass, value);

  /* Nicks are interned static strings; they outlive the class ref. */
  return v ? v->value_nick : "unknown";
}

/**
 * burrow_nat_type_to_string:
 * @type: a #BurrowNatType
 *
 * Gets the name of a NAT type, as used in JSON and by the tools.
 *
 * Returns: a name such as "port-restricted"
 *
 * Since: 0.1
 */
const gchar *
burrow_nat_type_to_string (BurrowNatType type)
{
  return enum_nick (BURROW_TYPE_NAT_TYPE, type);
}

/**
 * burrow_nat_behavior_to_string:
 * @behavior: a #BurrowNatBehavior
 *
 * Gets the name of a mapping or filtering behaviour.
 *
 * Returns: a name such as "endpoint-independent"
 *
 * Since: 0.1
 */
const gchar *
burrow_nat_behavior_to_string (BurrowNatBehavior behavior)
{
  return enum_nick (BURROW_TYPE_NAT_BEHAVIOR, behavior);
}

/**
 * burrow_hairpinning_to_string:
 * @hairpinning: a #BurrowHairpinning
 *
 * Gets the name of a hairpinning result.
 *
 * Returns: "supported", "unsupported" or "unknown"
 *
 * Since: 0.1
 */
const gchar *
burrow_hairpinning_to_string (BurrowHairpinning hairpinning)
{
  return enum_nick (BURROW_TYPE_HAIRPINNING, hairpinning);
}

/**
 * burrow_nat_type_from_behavior:
 * @mapping: the mapping behaviour
 * @filtering: the filtering behaviour
 *
 * Derives the classic NAT type from RFC 5780 behaviours: a mapping that
 * depends on the remote endpoint is symmetric; an endpoint-independent
 * mapping is a full cone, restricted cone or port-restricted cone by its
 * filtering. This cannot say "none": that needs the local address.
 *
 * Returns: the NAT type, or %BURROW_NAT_TYPE_UNKNOWN
 *
 * Since: 0.1
 */
BurrowNatType
burrow_nat_type_from_behavior (BurrowNatBehavior mapping, BurrowNatBehavior filtering)
{
  if (mapping == BURROW_NAT_BEHAVIOR_ADDRESS_DEPENDENT ||
      mapping == BURROW_NAT_BEHAVIOR_ADDRESS_AND_PORT_DEPENDENT)
    return BURROW_NAT_TYPE_SYMMETRIC;
  if (mapping != BURROW_NAT_BEHAVIOR_ENDPOINT_INDEPENDENT)
    return BURROW_NAT_TYPE_UNKNOWN;
  switch (filtering) {
    case BURROW_NAT_BEHAVIOR_ENDPOINT_INDEPENDENT:
      return BURROW_NAT_TYPE_FULL_CONE;
    case BURROW_NAT_BEHAVIOR_ADDRESS_DEPENDENT:
      return BURROW_NAT_TYPE_RESTRICTED_CONE;
    case BURROW_NAT_BEHAVIOR_ADDRESS_AND_PORT_DEPENDENT:
      return BURROW_NAT_TYPE_PORT_RESTRICTED;
    case BURROW_NAT_BEHAVIOR_UNKNOWN:
    default:
      return BURROW_NAT_TYPE_UNKNOWN;
  }
}
