/* burrow-candidate.h: one ICE candidate, its priority, foundation and SDP form
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
 * BurrowCandidateType:
 * @BURROW_CANDIDATE_TYPE_HOST: an address of a local interface ("host")
 * @BURROW_CANDIDATE_TYPE_SERVER_REFLEXIVE: the address a NAT gave a host
 *   candidate, as a STUN server saw it ("srflx")
 * @BURROW_CANDIDATE_TYPE_PEER_REFLEXIVE: the address a NAT gave a host
 *   candidate, as the peer saw it during connectivity checks ("prflx")
 * @BURROW_CANDIDATE_TYPE_RELAYED: an address allocated on a TURN server
 *   ("relay")
 *
 * The kind of a [class@Burrow.Candidate] (RFC 8445 section 5.1.1). The
 * values and their order are those of libnice's `NiceCandidateType`.
 *
 * Since: 0.1
 */
typedef enum {
  BURROW_CANDIDATE_TYPE_HOST,
  BURROW_CANDIDATE_TYPE_SERVER_REFLEXIVE,
  BURROW_CANDIDATE_TYPE_PEER_REFLEXIVE,
  BURROW_CANDIDATE_TYPE_RELAYED,
} BurrowCandidateType;

/**
 * BurrowCandidateTransport:
 * @BURROW_CANDIDATE_TRANSPORT_UDP: UDP
 * @BURROW_CANDIDATE_TRANSPORT_TCP_ACTIVE: TCP, opening connections only
 *   (RFC 6544 "tcptype active")
 * @BURROW_CANDIDATE_TRANSPORT_TCP_PASSIVE: TCP, accepting connections only
 *   ("tcptype passive")
 * @BURROW_CANDIDATE_TRANSPORT_TCP_SO: TCP simultaneous-open, both ends
 *   connect at once ("tcptype so")
 *
 * The transport of a [class@Burrow.Candidate]. The values and their order
 * are those of libnice's `NiceCandidateTransport`.
 *
 * Since: 0.1
 */
typedef enum {
  BURROW_CANDIDATE_TRANSPORT_UDP,
  BURROW_CANDIDATE_TRANSPORT_TCP_ACTIVE,
  BURROW_CANDIDATE_TRANSPORT_TCP_PASSIVE,
  BURROW_CANDIDATE_TRANSPORT_TCP_SO,
} BurrowCandidateTransport;

/**
 * BURROW_CANDIDATE_MAX_FOUNDATION:
 *
 * The longest foundation allowed, in characters (RFC 8839 section 5.1).
 *
 * Since: 0.1
 */
#define BURROW_CANDIDATE_MAX_FOUNDATION 32

/**
 * BURROW_CANDIDATE_MAX_SDP_LENGTH:
 *
 * The longest candidate line [ctor@Burrow.Candidate.new_from_sdp] reads,
 * in bytes.
 *
 * Since: 0.1
 */
#define BURROW_CANDIDATE_MAX_SDP_LENGTH 1024

#define BURROW_TYPE_CANDIDATE (burrow_candidate_get_type ())
BURROW_API
G_DECLARE_FINAL_TYPE (BurrowCandidate, burrow_candidate, BURROW, CANDIDATE, GObject)

BURROW_API
BurrowCandidate          *burrow_candidate_new               (BurrowCandidateType       type);
BURROW_API
BurrowCandidate          *burrow_candidate_new_from_sdp      (const gchar              *sdp,
                                                              guint                     stream_id,
                                                              GError                  **error);
BURROW_API
BurrowCandidate          *burrow_candidate_copy              (BurrowCandidate          *self);
BURROW_API
gboolean                  burrow_candidate_equal_target      (BurrowCandidate          *self,
                                                              BurrowCandidate          *other);
BURROW_API
gchar                    *burrow_candidate_to_sdp            (BurrowCandidate          *self);
BURROW_API
gchar                    *burrow_candidate_to_sdp_attribute  (BurrowCandidate          *self);

BURROW_API
BurrowCandidateType       burrow_candidate_get_candidate_type (BurrowCandidate         *self);
BURROW_API
void                      burrow_candidate_set_candidate_type (BurrowCandidate         *self,
                                                              BurrowCandidateType       type);
BURROW_API
BurrowCandidateTransport  burrow_candidate_get_transport     (BurrowCandidate          *self);
BURROW_API
void                      burrow_candidate_set_transport     (BurrowCandidate          *self,
                                                              BurrowCandidateTransport  transport);
BURROW_API
GInetSocketAddress       *burrow_candidate_get_address       (BurrowCandidate          *self);
BURROW_API
void                      burrow_candidate_set_address       (BurrowCandidate          *self,
                                                              GInetSocketAddress       *address);
BURROW_API
GInetSocketAddress       *burrow_candidate_get_base_address  (BurrowCandidate          *self);
BURROW_API
void                      burrow_candidate_set_base_address  (BurrowCandidate          *self,
                                                              GInetSocketAddress       *address);
BURROW_API
GInetSocketAddress       *burrow_candidate_get_related_address (BurrowCandidate        *self);
BURROW_API
void                      burrow_candidate_set_related_address (BurrowCandidate        *self,
                                                              GInetSocketAddress       *address);
BURROW_API
guint32                   burrow_candidate_get_priority      (BurrowCandidate          *self);
BURROW_API
void                      burrow_candidate_set_priority      (BurrowCandidate          *self,
                                                              guint32                   priority);
BURROW_API
const gchar              *burrow_candidate_get_foundation    (BurrowCandidate          *self);
BURROW_API
void                      burrow_candidate_set_foundation    (BurrowCandidate          *self,
                                                              const gchar              *foundation);
BURROW_API
guint                     burrow_candidate_get_stream_id     (BurrowCandidate          *self);
BURROW_API
void                      burrow_candidate_set_stream_id     (BurrowCandidate          *self,
                                                              guint                     stream_id);
BURROW_API
guint                     burrow_candidate_get_component_id  (BurrowCandidate          *self);
BURROW_API
void                      burrow_candidate_set_component_id  (BurrowCandidate          *self,
                                                              guint                     component_id);
BURROW_API
const gchar              *burrow_candidate_get_username      (BurrowCandidate          *self);
BURROW_API
void                      burrow_candidate_set_username      (BurrowCandidate          *self,
                                                              const gchar              *username);
BURROW_API
const gchar              *burrow_candidate_get_password      (BurrowCandidate          *self);
BURROW_API
void                      burrow_candidate_set_password      (BurrowCandidate          *self,
                                                              const gchar              *password);
BURROW_API
const gchar              *burrow_candidate_get_tcp_type      (BurrowCandidate          *self);
BURROW_API
guint16                   burrow_candidate_get_port          (BurrowCandidate          *self);
BURROW_API
gchar                    *burrow_candidate_get_ip            (BurrowCandidate          *self);

BURROW_API
guint32                   burrow_candidate_compute_priority  (BurrowCandidateType       type,
                                                              BurrowCandidateTransport  transport,
                                                              guint                     local_preference,
                                                              guint                     component_id);
BURROW_API
gchar                    *burrow_candidate_make_foundation   (BurrowCandidateType       type,
                                                              GInetAddress             *base_ip,
                                                              GInetAddress             *server_ip,
                                                              BurrowCandidateTransport  transport);
BURROW_API
gboolean                  burrow_candidate_foundation_is_valid (const gchar            *foundation);
BURROW_API
const gchar              *burrow_candidate_type_to_string    (BurrowCandidateType       type);
BURROW_API
const gchar              *burrow_candidate_transport_to_string (BurrowCandidateTransport transport);

G_END_DECLS
