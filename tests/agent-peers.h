/* agent-peers.h: two BurrowAgents in one process over loopback that
 * record what they say, for test-agent.c and test-agent-srflx.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each test makes its agents and hands them to peers_setup(), which adds
 * the streams and records the signals; the steps (gather, exchange
 * credentials and candidates, wait for READY) and the checks (the selected
 * pair, the states, data from one peer to the other) work on both peers.
 */
#pragma once

#include "burrow-test-util.h"

G_BEGIN_DECLS

#define MAX_STREAMS 2
#define MAX_COMPONENTS 2
#define CONNECT_TIMEOUT_MS 10000

typedef struct _Peer Peer;

/* What one component of a peer received through attach_recv. */
typedef struct {
  Peer *peer;
  guint stream_index;
  guint component_id;
  GPtrArray *datagrams;           /* GBytes */
  guint wrong_ids;                /* calls naming another stream or component */
} Slot;

struct _Peer {
  const gchar *name;
  BurrowAgent *agent;
  Peer *other;
  guint n_streams;
  guint n_components;
  guint stream_ids[MAX_STREAMS];
  gboolean gathered[MAX_STREAMS];
  guint candidates_at_done[MAX_STREAMS];  /* new-candidate-full seen by candidate-gathering-done */
  GArray *states[MAX_STREAMS][MAX_COMPONENTS];   /* guint: the initial one, then each change */
  guint selected_signals[MAX_STREAMS][MAX_COMPONENTS];
  BurrowCandidate *signalled_local[MAX_STREAMS][MAX_COMPONENTS];
  BurrowCandidate *signalled_remote[MAX_STREAMS][MAX_COMPONENTS];
  Slot slots[MAX_STREAMS][MAX_COMPONENTS];
  GPtrArray *new_candidates;      /* BurrowCandidate, from new-candidate-full */
  gboolean trickle;               /* hand each new candidate to the other peer at once */
  guint trickled;
};

typedef struct {
  gboolean turn;                  /* start a coturn for the test */
  const gchar * const *turn_args; /* and give it these arguments */
} FixtureOptions;

typedef struct {
  Peer a, b;
  BurrowTestTurnServer *turn;
} Fixture;

typedef gboolean (*CondFunc) (gpointer data);

/* Iterates the thread-default context until @cond holds or @timeout_ms
 * pass; returns whether it holds. */
gboolean     wait_until            (CondFunc             cond,
                                    gpointer             data,
                                    guint                timeout_ms);
gboolean     peers_ready           (gpointer             data);
/* The states of a component, by nick: "disconnected gathering ..." */
gchar       *state_sequence        (Peer                *p,
                                    guint                s,
                                    guint                c);

BurrowAgent *agent_new             (BurrowNominationMode mode,
                                    gboolean             controlling);
/* Takes @a and @b: A is the first peer, B the second. */
void         peers_setup           (Fixture             *f,
                                    BurrowAgent         *a,
                                    BurrowAgent         *b,
                                    guint                n_streams,
                                    guint                n_components);
void         peer_attach_recv      (Peer                *p);

/* The fixture: a coturn if the FixtureOptions ask for one; the peers are
 * set up by each test. */
void         fixture_setup         (Fixture             *f,
                                    gconstpointer        data);
void         fixture_teardown      (Fixture             *f,
                                    gconstpointer        data);

/* ---- steps ---- */
void         gather                (Fixture             *f);
void         give_credentials      (Peer                *from,
                                    Peer                *to);
void         give_candidates       (Peer                *from,
                                    Peer                *to);
void         assert_ready          (Fixture             *f);
/* Credentials and every candidate at once, both ways, then READY. */
void         connect_peers         (Fixture             *f);

/* ---- checks ---- */
gboolean     in_list               (GSList              *list,
                                    BurrowCandidate     *candidate);
void         assert_selected       (Peer                *p,
                                    guint                s,
                                    guint                c,
                                    BurrowCandidateType  type);
/* @from sends @text on a component; the other peer's same component gets it. */
void         send_expect           (Peer                *from,
                                    guint                s,
                                    guint                c,
                                    const gchar         *text);
void         assert_state_sequence (Peer                *p,
                                    guint                s,
                                    guint                c);

G_END_DECLS
