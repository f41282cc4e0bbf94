/* burrow-relay-allocation-private.h: an allocation's state (private)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Shared by burrow-relay-allocation.c (the object, its state, lifetime and
 * timers), burrow-relay-allocation-refresh.c (refresh and release),
 * burrow-relay-allocation-permissions.c (permissions and channels) and
 * burrow-relay-allocation-data.c (sending and receiving).
 */
#pragma once

#include "burrow-turn-private.h"

G_BEGIN_DECLS

/* A peer as a hash key: raw address bytes and port (0 for a permission,
 * which covers every port of an address). */
typedef struct {
  guint8 addr[16];
  guint8 addr_len;
  guint16 port;
} BurrowPeerKey;

typedef struct {
  BurrowPeerKey key;              /* port 0 */
  GInetAddress *address;
  gint64 refreshed_at;            /* monotonic µs; 0 while being created */
} BurrowPermission;

typedef struct {
  BurrowPeerKey key;
  guint16 number;
  GInetSocketAddress *peer;
  gboolean bound;                 /* the server confirmed it */
  gboolean binding;               /* a ChannelBind is on its way */
  gint64 bound_at;
} BurrowChannel;

struct _BurrowRelayAllocation {
  GObject parent_instance;

  BurrowTurnClient *client;
  GInetSocketAddress *relayed;
  GInetSocketAddress *additional;
  GInetSocketAddress *mapped;
  GInetSocketAddress *server;
  guint lifetime;
  guint requested_lifetime;
  gint64 expires_mono;
  gint64 expires_real;
  guint64 token;
  BurrowRelayState state;
  gboolean auto_refresh;
  gboolean auto_bind;

  GSource *refresh_timer;
  GSource *expiry_timer;
  GSource *maintenance_timer;

  GHashTable *permissions;        /* BurrowPeerKey -> BurrowPermission */
  GHashTable *channels;           /* BurrowPeerKey -> BurrowChannel */
  GHashTable *channel_numbers;    /* number -> BurrowChannel (unowned) */
  guint16 next_channel;

  GPtrArray *subscriptions;
  guint next_subscription;
  guint dispatching;              /* deliver() depth */
  gboolean subscriptions_removed;
  GQueue queue;                   /* queued datagrams for receive */
  GQueue receivers;               /* pending receive calls */
  guint receive_queue_size;
  gboolean receiving;             /* receive was called once */

  guint8 tid_prefix[8];           /* Send indications: prefix + counter */
  guint32 tid_counter;

  guint64 dropped;
};

enum {
  BURROW_RELAY_SIGNAL_DATA_RECEIVED,
  BURROW_RELAY_SIGNAL_REFRESHED,
  BURROW_RELAY_SIGNAL_EXPIRED,
  BURROW_RELAY_SIGNAL_ERROR,
  BURROW_RELAY_N_SIGNALS
};

extern guint burrow_relay_allocation_signals[BURROW_RELAY_N_SIGNALS];

/* burrow-relay-allocation-permissions.c: peer keys */
void     burrow_peer_key_init        (BurrowPeerKey      *key,
                                      GInetAddress       *address,
                                      guint16             port);
void     burrow_peer_key_from_socket_address (BurrowPeerKey      *key,
                                              GInetSocketAddress *peer);
guint    burrow_peer_key_hash        (gconstpointer       key);
gboolean burrow_peer_key_equal       (gconstpointer       a,
                                      gconstpointer       b);

/* burrow-relay-allocation.c */
void     burrow_relay_allocation_stop_timer    (GSource              **timer);
/* Leaving the allocated state stops the timers and pending receive calls. */
void     burrow_relay_allocation_set_state     (BurrowRelayAllocation *self,
                                                BurrowRelayState       state,
                                                const GError          *error);
/* Records the lifetime the server granted and reschedules the timers. */
void     burrow_relay_allocation_set_lifetime  (BurrowRelayAllocation *self,
                                                guint                  lifetime);
void     burrow_relay_allocation_notify_permissions (BurrowRelayAllocation *self);
gboolean burrow_relay_allocation_check_alive   (BurrowRelayAllocation *self,
                                                GError               **error);

/* burrow-relay-allocation-permissions.c */
void     burrow_relay_allocation_permissions_init  (BurrowRelayAllocation *self);
void     burrow_relay_allocation_permissions_clear (BurrowRelayAllocation *self);
/* The permission for an address, if the server confirmed it. */
BurrowPermission *burrow_relay_allocation_lookup_permission (BurrowRelayAllocation *self,
                                                             const guint8          *addr,
                                                             guint8                 addr_len);
/* Binds a channel to @peer in the background, unless one is bound or on
 * its way, or too many are. */
void     burrow_relay_allocation_auto_bind     (BurrowRelayAllocation *self,
                                                GInetSocketAddress    *peer);
/* Every 30 s, re-sends the permissions and channel bindings that are due. */
void     burrow_relay_allocation_start_maintenance (BurrowRelayAllocation *self);
void     burrow_relay_allocation_stop_maintenance  (BurrowRelayAllocation *self);

/* burrow-relay-allocation-data.c */
void     burrow_relay_allocation_data_init     (BurrowRelayAllocation *self);
void     burrow_relay_allocation_data_clear    (BurrowRelayAllocation *self);
/* Fails pending receive calls when the allocation stops. */
void     burrow_relay_allocation_data_stop     (BurrowRelayAllocation *self,
                                                const GError          *error);

G_END_DECLS
