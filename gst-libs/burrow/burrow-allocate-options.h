/* burrow-allocate-options.h: what to ask of a TURN server when allocating
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(__BURROW_H_INSIDE__) && !defined(BURROW_COMPILATION)
#error "Only <burrow/burrow.h> can be included directly."
#endif

#include <gio/gio.h>
#include <burrow/burrow-export.h>

G_BEGIN_DECLS

/**
 * BurrowAddressFamily:
 * @BURROW_ADDRESS_FAMILY_IPV4: an IPv4 relayed address (the default)
 * @BURROW_ADDRESS_FAMILY_IPV6: an IPv6 relayed address (RFC 6156)
 * @BURROW_ADDRESS_FAMILY_DUAL: one IPv4 and one IPv6 relayed address in one
 *   allocation (RFC 8656 ADDITIONAL-ADDRESS-FAMILY); a server that cannot
 *   give the IPv6 one still gives the IPv4 one
 *
 * Which relayed address families to ask a TURN server for.
 *
 * Since: 0.1
 */
typedef enum {
  BURROW_ADDRESS_FAMILY_IPV4,
  BURROW_ADDRESS_FAMILY_IPV6,
  BURROW_ADDRESS_FAMILY_DUAL,
} BurrowAddressFamily;

#define BURROW_TYPE_ALLOCATE_OPTIONS (burrow_allocate_options_get_type ())
BURROW_API
G_DECLARE_FINAL_TYPE (BurrowAllocateOptions, burrow_allocate_options, BURROW, ALLOCATE_OPTIONS, GObject)

BURROW_API
BurrowAllocateOptions *burrow_allocate_options_new                   (void);

BURROW_API
gboolean               burrow_allocate_options_get_even_port         (BurrowAllocateOptions *self);
BURROW_API
void                   burrow_allocate_options_set_even_port         (BurrowAllocateOptions *self,
                                                                      gboolean               even_port);
BURROW_API
gboolean               burrow_allocate_options_get_reserve_next_port (BurrowAllocateOptions *self);
BURROW_API
void                   burrow_allocate_options_set_reserve_next_port (BurrowAllocateOptions *self,
                                                                      gboolean               reserve);
BURROW_API
guint64                burrow_allocate_options_get_reservation_token (BurrowAllocateOptions *self);
BURROW_API
void                   burrow_allocate_options_set_reservation_token (BurrowAllocateOptions *self,
                                                                      guint64                token);
BURROW_API
BurrowAddressFamily    burrow_allocate_options_get_family            (BurrowAllocateOptions *self);
BURROW_API
void                   burrow_allocate_options_set_family            (BurrowAllocateOptions *self,
                                                                      BurrowAddressFamily    family);
BURROW_API
guint                  burrow_allocate_options_get_lifetime          (BurrowAllocateOptions *self);
BURROW_API
void                   burrow_allocate_options_set_lifetime          (BurrowAllocateOptions *self,
                                                                      guint                  seconds);
BURROW_API
gboolean               burrow_allocate_options_get_dont_fragment     (BurrowAllocateOptions *self);
BURROW_API
void                   burrow_allocate_options_set_dont_fragment     (BurrowAllocateOptions *self,
                                                                      gboolean               dont_fragment);

G_END_DECLS
