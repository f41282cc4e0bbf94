/* bench-ice-pair.c: two Burrow agents, two libnice agents or two UDP
 * sockets (plain, or with UDP GSO and GRO) on 127.0.0.1, behind one
 * interface
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Both libraries are driven the same way: host candidates on 127.0.0.1
 * only (no TCP, no UPnP, no STUN server), one stream of one component, a
 * receive callback attached on each side from the start (libnice reads its
 * sockets only through it), non-trickle signalling: once both sides have
 * gathered, credentials and candidates are swapped in one go.
 */
#define _GNU_SOURCE               /* sendmmsg, recvmmsg */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <glib-unix.h>

#include <burrow/burrow.h>
#include <nice/agent.h>
#include <nice/nice-version.h>

#include "bench-ice.h"

#define RAW_RECV_BATCH 32
#define RAW_GRO_BUFFER 65536

/* the limits of one segmented send, as Burrow's */
#define RAW_GSO_MAX_SEGMENTS 64
#define RAW_GSO_MAX_BYTES 65000

#ifndef SOL_UDP
#define SOL_UDP 17
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103 /* Linux 4.18 */
#endif
#ifndef UDP_GRO
#define UDP_GRO 104 /* Linux 5.0 */
#endif

const gchar *const bench_impl_names[BENCH_N_IMPLS] = {
  "burrow", "libnice", "raw UDP", "raw UDP GSO"
};
guint bench_pair_ta_ms = 0;

typedef struct {
  BenchPair *pair;
  gpointer agent;                 /* BurrowAgent or NiceAgent; NULL for raw */
  guint stream;
  GMainContext *ctx;
  gboolean gathered;
  guint state;
  gint64 ready_us;
  BenchCounter counter;
  gint fd;                        /* raw */
  GSource *source;                /* raw */
  struct sockaddr_in address;     /* raw: where it is bound */
  struct _RawGroBuffers *gro;     /* raw GSO: what recvmmsg fills */
} BenchSide;

/* raw GSO: one recvmmsg for up to RAW_RECV_BATCH buffers, each one
 * datagram or, with UDP_GRO, a run of same-sized datagrams */
typedef struct _RawGroBuffers {
  struct mmsghdr msgs[RAW_RECV_BATCH];
  struct iovec iov[RAW_RECV_BATCH];
  struct sockaddr_storage addrs[RAW_RECV_BATCH];
  union {
    struct cmsghdr align;
    guint8 space[CMSG_SPACE (sizeof (int))];
  } control[RAW_RECV_BATCH];
  guint8 data[RAW_RECV_BATCH][RAW_GRO_BUFFER];
} RawGroBuffers;

struct _BenchPair {
  BenchImpl impl;
  BenchSide side[2];              /* 0: A, controlling, sends; 1: B, receives */
  gboolean exchanged;
  gboolean failed;
  gint64 start_us;
  guint capacity;                 /* of the batch arrays below */
  GOutputVector *vectors;
  gpointer messages;              /* BurrowOutputMessage or NiceOutputMessage */
  struct mmsghdr *mmsg;
  struct iovec iov;
  struct iovec *gso_iov;          /* raw GSO: one vector per datagram */
  union {
    struct cmsghdr align;
    guint8 space[CMSG_SPACE (sizeof (guint16))];
  } gso_control;
  gboolean no_gso;                /* raw GSO: UDP_SEGMENT refused, sendmmsg instead */
};

/* ---- what both libraries share ---- */

static void
count (BenchCounter *c, gsize len)
{
  gint n, wake_at;

  if (len != c->size) {
    c->other++;
    return;
  }
  c->last_us = g_get_monotonic_time ();
  n = g_atomic_int_add (&c->packets, 1) + 1;
  wake_at = g_atomic_int_get (&c->wake_at);
  if (G_UNLIKELY (wake_at != 0 && n >= wake_at)) {
    g_mutex_lock (&c->lock);
    g_atomic_int_set (&c->wake_at, 0);
    g_cond_signal (&c->cond);
    g_mutex_unlock (&c->lock);
  }
}

static void
burrow_recv_cb (BurrowAgent *agent, guint stream_id, guint component_id, guint len,
    const guint8 *buf, gpointer user_data)
{
  count (user_data, len);
}

static void
nice_recv_cb (NiceAgent *agent, guint stream_id, guint component_id, guint len, gchar *buf,
    gpointer user_data)
{
  count (user_data, len);
}

static void
gathering_done_cb (GObject *agent, guint stream_id, gpointer user_data)
{
  BenchSide *s = user_data;

  s->gathered = TRUE;
}

static void
state_changed_cb (GObject *agent, guint stream_id, guint component_id, guint state,
    gpointer user_data)
{
  BenchSide *s = user_data;

  s->state = state;
  /* the two libraries number their states alike */
  if (state == BURROW_COMPONENT_STATE_READY && s->ready_us == 0)
    s->ready_us = g_get_monotonic_time ();
  else if (state == BURROW_COMPONENT_STATE_FAILED)
    s->pair->failed = TRUE;
}

static void
watch (BenchSide *s)
{
  if (bench_pair_ta_ms > 0)
    g_object_set (s->agent, "stun-pacing-timer", bench_pair_ta_ms, NULL);
  g_signal_connect (s->agent, "candidate-gathering-done", G_CALLBACK (gathering_done_cb), s);
  g_signal_connect (s->agent, "component-state-changed", G_CALLBACK (state_changed_cb), s);
}

/* ---- Burrow ---- */

static void
burrow_side_new (BenchSide *s, gboolean controlling)
{
  g_autoptr(GInetAddress) lo = g_inet_address_new_from_string ("127.0.0.1");
  BurrowAgent *agent = burrow_agent_new (s->ctx, BURROW_COMPATIBILITY_RFC5245);

  g_object_set (agent, "controlling-mode", controlling, "ice-tcp", FALSE, "upnp", FALSE, NULL);
  burrow_agent_add_local_address (agent, lo);
  s->agent = agent;
  s->stream = burrow_agent_add_stream (agent, 1);
  burrow_agent_attach_recv (agent, s->stream, 1, s->ctx, burrow_recv_cb, &s->counter);
  watch (s);
}

static void
burrow_give (BenchSide *from, BenchSide *to)
{
  g_autofree gchar *ufrag = NULL;
  g_autofree gchar *pwd = NULL;
  GSList *candidates;

  burrow_agent_get_local_credentials (from->agent, from->stream, &ufrag, &pwd);
  burrow_agent_set_remote_credentials (to->agent, to->stream, ufrag, pwd);
  candidates = burrow_agent_get_local_candidates (from->agent, from->stream, 1);
  burrow_agent_set_remote_candidates (to->agent, to->stream, 1, candidates);
  g_slist_free_full (candidates, g_object_unref);
}

/* ---- libnice ---- */

static void
nice_side_new (BenchSide *s, gboolean controlling)
{
  NiceAgent *agent = nice_agent_new (s->ctx, NICE_COMPATIBILITY_RFC5245);
  NiceAddress lo;

  g_object_set (agent, "controlling-mode", controlling, "ice-tcp", FALSE, "upnp", FALSE, NULL);
  nice_address_init (&lo);
  nice_address_set_from_string (&lo, "127.0.0.1");
  nice_agent_add_local_address (agent, &lo);
  s->agent = agent;
  s->stream = nice_agent_add_stream (agent, 1);
  nice_agent_attach_recv (agent, s->stream, 1, s->ctx, nice_recv_cb, &s->counter);
  watch (s);
}

static void
nice_give (BenchSide *from, BenchSide *to)
{
  g_autofree gchar *ufrag = NULL;
  g_autofree gchar *pwd = NULL;
  GSList *candidates;

  nice_agent_get_local_credentials (from->agent, from->stream, &ufrag, &pwd);
  nice_agent_set_remote_credentials (to->agent, to->stream, ufrag, pwd);
  candidates = nice_agent_get_local_candidates (from->agent, from->stream, 1);
  nice_agent_set_remote_candidates (to->agent, to->stream, 1, candidates);
  g_slist_free_full (candidates, (GDestroyNotify) nice_candidate_free);
}

/* ---- raw UDP: the same callback structure as the libraries' ---- */

static gboolean
raw_readable_cb (gint fd, GIOCondition condition, gpointer user_data)
{
  BenchSide *s = user_data;
  static guint8 buffer[65536];
  guint i;

  for (i = 0; i < RAW_RECV_BATCH; i++) {
    struct sockaddr_storage from;
    socklen_t from_len = sizeof from;
    gssize n = recvfrom (fd, buffer, sizeof buffer, 0, (struct sockaddr *) &from, &from_len);

    if (n < 0)
      break;
    count (&s->counter, (gsize) n);
  }
  return G_SOURCE_CONTINUE;
}

/* The segment size when the kernel coalesced several datagrams into one
 * buffer (UDP_GRO), or 0 */
static gsize
gro_segment_size (struct msghdr *h)
{
  struct cmsghdr *cmsg;

  for (cmsg = CMSG_FIRSTHDR (h); cmsg; cmsg = CMSG_NXTHDR (h, cmsg)) {
    if (cmsg->cmsg_level == SOL_UDP && cmsg->cmsg_type == UDP_GRO &&
        cmsg->cmsg_len >= CMSG_LEN (sizeof (int))) {
      int size;

      memcpy (&size, CMSG_DATA (cmsg), sizeof size);
      return size > 0 ? (gsize) size : 0;
    }
  }
  return 0;
}

/* one recvmmsg; a coalesced buffer counts as ceil (len / segment)
 * datagrams, the last of them possibly shorter */
static gboolean
raw_gro_readable_cb (gint fd, GIOCondition condition, gpointer user_data)
{
  BenchSide *s = user_data;
  RawGroBuffers *b = s->gro;
  gint n, i;

  for (i = 0; i < RAW_RECV_BATCH; i++) {
    b->msgs[i].msg_hdr.msg_namelen = sizeof b->addrs[i];
    b->msgs[i].msg_hdr.msg_controllen = sizeof b->control[i].space;
    b->msgs[i].msg_hdr.msg_flags = 0;
  }
  n = recvmmsg (fd, b->msgs, RAW_RECV_BATCH, MSG_DONTWAIT, NULL);
  for (i = 0; i < n; i++) {
    gsize len = b->msgs[i].msg_len;
    gsize segment = gro_segment_size (&b->msgs[i].msg_hdr);
    gsize off = 0;

    if (segment == 0 || segment > len)
      segment = len;
    do {
      count (&s->counter, MIN (segment, len - off));
      off += segment;
    } while (off < len);
  }
  return G_SOURCE_CONTINUE;
}

static void
raw_gro_setup (BenchSide *s)
{
  static gboolean told = FALSE;
  RawGroBuffers *b;
  int one = 1;
  guint i;

  if (setsockopt (s->fd, SOL_UDP, UDP_GRO, &one, sizeof one) != 0 && !told) {
    told = TRUE;
    g_printerr ("raw UDP GSO: no UDP_GRO (%s); datagrams arrive one by one\n",
        g_strerror (errno));
  }
  /* pages are touched only as datagrams fill them */
  b = s->gro = g_malloc (sizeof *b);
  memset (b->msgs, 0, sizeof b->msgs);
  for (i = 0; i < RAW_RECV_BATCH; i++) {
    b->iov[i].iov_base = b->data[i];
    b->iov[i].iov_len = RAW_GRO_BUFFER;
    b->msgs[i].msg_hdr.msg_iov = &b->iov[i];
    b->msgs[i].msg_hdr.msg_iovlen = 1;
    b->msgs[i].msg_hdr.msg_name = &b->addrs[i];
    b->msgs[i].msg_hdr.msg_control = b->control[i].space;
  }
}

static gboolean
raw_side_new (BenchSide *s, gboolean gro, GError **error)
{
  socklen_t len = sizeof s->address;

  s->fd = socket (AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  memset (&s->address, 0, sizeof s->address);
  s->address.sin_family = AF_INET;
  s->address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (s->fd < 0 || bind (s->fd, (struct sockaddr *) &s->address, sizeof s->address) < 0 ||
      getsockname (s->fd, (struct sockaddr *) &s->address, &len) < 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "UDP socket: %s",
        g_strerror (errno));
    return FALSE;
  }
  if (gro)
    raw_gro_setup (s);
  s->source = g_unix_fd_source_new (s->fd, G_IO_IN);
  g_source_set_callback (s->source,
      gro ? G_SOURCE_FUNC (raw_gro_readable_cb) : G_SOURCE_FUNC (raw_readable_cb), s, NULL);
  g_source_attach (s->source, s->ctx);
  return TRUE;
}

/* ---- the pair ---- */

BenchPair *
bench_pair_new (BenchImpl impl, GMainContext *ctx_a, GMainContext *ctx_b, GError **error)
{
  BenchPair *pair = g_new0 (BenchPair, 1);
  guint i;

  pair->impl = impl;
  for (i = 0; i < 2; i++) {
    BenchSide *s = &pair->side[i];

    s->pair = pair;
    s->ctx = i == 0 ? ctx_a : ctx_b;
    g_mutex_init (&s->counter.lock);
    g_cond_init (&s->counter.cond);
    s->fd = -1;
    if (impl == BENCH_BURROW) {
      burrow_side_new (s, i == 0);
    } else if (impl == BENCH_LIBNICE) {
      nice_side_new (s, i == 0);
    } else if (!raw_side_new (s, impl == BENCH_RAW_GSO, error)) {
      bench_pair_free (pair);
      return NULL;
    }
  }
  return pair;
}

void
bench_pair_start (BenchPair *pair)
{
  pair->start_us = g_get_monotonic_time ();
  if (pair->impl == BENCH_BURROW) {
    burrow_agent_gather_candidates (pair->side[0].agent, pair->side[0].stream);
    burrow_agent_gather_candidates (pair->side[1].agent, pair->side[1].stream);
  } else if (pair->impl == BENCH_LIBNICE) {
    nice_agent_gather_candidates (pair->side[0].agent, pair->side[0].stream);
    nice_agent_gather_candidates (pair->side[1].agent, pair->side[1].stream);
  } else {
    pair->side[0].ready_us = pair->side[1].ready_us = pair->start_us;
  }
}

/* Swaps credentials and candidates once both sides have gathered; TRUE
 * once both are READY. */
gboolean
bench_pair_step (BenchPair *pair)
{
  BenchSide *a = &pair->side[0], *b = &pair->side[1];

  if (pair->impl == BENCH_RAW || pair->impl == BENCH_RAW_GSO)
    return TRUE;
  if (!pair->exchanged && a->gathered && b->gathered) {
    pair->exchanged = TRUE;
    if (pair->impl == BENCH_BURROW) {
      burrow_give (a, b);
      burrow_give (b, a);
    } else {
      nice_give (a, b);
      nice_give (b, a);
    }
  }
  return a->ready_us != 0 && b->ready_us != 0;
}

gboolean
bench_pair_failed (BenchPair *pair)
{
  return pair->failed;
}

/* from gather_candidates to READY on both sides */
gint64
bench_pair_ready_us (BenchPair *pair)
{
  return MAX (pair->side[0].ready_us, pair->side[1].ready_us) - pair->start_us;
}

BenchImpl
bench_pair_impl (BenchPair *pair)
{
  return pair->impl;
}

BenchCounter *
bench_pair_counter_b (BenchPair *pair)
{
  return &pair->side[1].counter;
}

/* FALSE when the socket is full (or there is no selected pair) */
gboolean
bench_pair_send (BenchPair *pair, const guint8 *buf, gsize len)
{
  BenchSide *a = &pair->side[0];

  switch (pair->impl) {
    case BENCH_BURROW:
      return burrow_agent_send (a->agent, a->stream, 1, (guint) len, buf) == (gint) len;
    case BENCH_LIBNICE:
      return nice_agent_send (a->agent, a->stream, 1, (guint) len, (const gchar *) buf) ==
          (gint) len;
    default:
      return sendto (a->fd, buf, len, 0, (struct sockaddr *) &pair->side[1].address,
          sizeof pair->side[1].address) == (gssize) len;
  }
}

/* BurrowOutputMessage and NiceOutputMessage are the same structure */
G_STATIC_ASSERT (sizeof (BurrowOutputMessage) == sizeof (NiceOutputMessage));

static void
ensure_batch (BenchPair *pair, const guint8 *buf, gsize len, guint n)
{
  guint i;

  if (pair->capacity >= n)
    return;
  g_free (pair->vectors);
  g_free (pair->messages);
  g_free (pair->mmsg);
  g_free (pair->gso_iov);
  pair->capacity = n;
  pair->vectors = g_new (GOutputVector, n);
  pair->messages = g_new (BurrowOutputMessage, n);
  pair->mmsg = g_new0 (struct mmsghdr, n);
  pair->gso_iov = g_new (struct iovec, n);
  pair->iov.iov_base = (gpointer) buf;
  pair->iov.iov_len = len;
  for (i = 0; i < n; i++) {
    BurrowOutputMessage *m = (BurrowOutputMessage *) pair->messages + i;

    pair->vectors[i].buffer = buf;
    pair->vectors[i].size = len;
    m->buffers = &pair->vectors[i];
    m->n_buffers = 1;
    pair->mmsg[i].msg_hdr.msg_name = &pair->side[1].address;
    pair->mmsg[i].msg_hdr.msg_namelen = sizeof pair->side[1].address;
    pair->mmsg[i].msg_hdr.msg_iov = &pair->iov;
    pair->mmsg[i].msg_hdr.msg_iovlen = 1;
    pair->gso_iov[i] = pair->iov;
  }
}

static gint
batch_result (gint sent, GError *error)
{
  if (sent >= 0)
    return sent;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return 0;
  g_printerr ("send failed: %s\n", error ? error->message : "?");
  return -1;
}

static gint
raw_send_mmsg (BenchPair *pair, guint n)
{
  gint sent = sendmmsg (pair->side[0].fd, pair->mmsg, n, 0);

  if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS))
    return 0;
  return sent;
}

/* All @n datagrams (or as many as one segmented send takes) in one
 * sendmsg with UDP_SEGMENT; sendmmsg if the kernel refuses that. */
static gint
raw_send_gso (BenchPair *pair, gsize len, guint n)
{
  static gboolean told = FALSE;
  guint run = MAX (1, MIN (MIN (n, RAW_GSO_MAX_SEGMENTS), RAW_GSO_MAX_BYTES / len));
  guint16 segment = (guint16) len;
  struct msghdr h = { 0 };
  struct cmsghdr *cmsg;

  if (pair->no_gso)
    return raw_send_mmsg (pair, n);
  h.msg_name = &pair->side[1].address;
  h.msg_namelen = sizeof pair->side[1].address;
  h.msg_iov = pair->gso_iov;
  h.msg_iovlen = run;
  h.msg_control = pair->gso_control.space;
  h.msg_controllen = sizeof pair->gso_control.space;
  cmsg = CMSG_FIRSTHDR (&h);
  cmsg->cmsg_level = SOL_UDP;
  cmsg->cmsg_type = UDP_SEGMENT;
  cmsg->cmsg_len = CMSG_LEN (sizeof segment);
  memcpy (CMSG_DATA (cmsg), &segment, sizeof segment);
  if (sendmsg (pair->side[0].fd, &h, 0) >= 0)
    return (gint) run;
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
    return 0;
  if (errno != EIO && errno != EINVAL) {
    g_printerr ("raw UDP GSO: sendmsg failed: %s\n", g_strerror (errno));
    return -1;
  }
  if (!told) {
    told = TRUE;
    g_printerr ("raw UDP GSO: sendmsg with UDP_SEGMENT failed (%s); falling back to "
        "sendmmsg\n", g_strerror (errno));
  }
  pair->no_gso = TRUE;
  return raw_send_mmsg (pair, n);
}

/* Sends @n copies of @buf in one call of the batched API (sendmmsg for
 * raw UDP, one segmented sendmsg for raw UDP GSO). Returns how many
 * went, 0 when the socket is full, -1 on error. */
gint
bench_pair_send_batch (BenchPair *pair, const guint8 *buf, gsize len, guint n)
{
  BenchSide *a = &pair->side[0];
  g_autoptr(GError) error = NULL;
  gint sent;

  ensure_batch (pair, buf, len, n);
  switch (pair->impl) {
    case BENCH_BURROW:
      sent = burrow_agent_send_messages_nonblocking (a->agent, a->stream, 1, pair->messages, n,
          NULL, &error);
      return batch_result (sent, error);
    case BENCH_LIBNICE:
      sent = nice_agent_send_messages_nonblocking (a->agent, a->stream, 1, pair->messages, n,
          NULL, &error);
      return batch_result (sent, error);
    case BENCH_RAW_GSO:
      return raw_send_gso (pair, len, n);
    default:
      return raw_send_mmsg (pair, n);
  }
}

void
bench_pair_free (BenchPair *pair)
{
  guint i;

  for (i = 0; i < 2; i++) {
    BenchSide *s = &pair->side[i];

    if (s->agent) {
      g_signal_handlers_disconnect_by_data (s->agent, s);
      if (pair->impl == BENCH_LIBNICE)
        nice_agent_attach_recv (s->agent, s->stream, 1, s->ctx, NULL, NULL);
      g_object_unref (s->agent);
    }
    if (s->source) {
      g_source_destroy (s->source);
      g_source_unref (s->source);
    }
    if (s->fd >= 0)
      close (s->fd);
    g_free (s->gro);
    g_mutex_clear (&s->counter.lock);
    g_cond_clear (&s->counter.cond);
  }
  g_free (pair->vectors);
  g_free (pair->messages);
  g_free (pair->mmsg);
  g_free (pair->gso_iov);
  g_free (pair);
}

/* the library's version and the settings that matter for the numbers */
gchar *
bench_pair_describe (BenchImpl impl)
{
  g_autoptr(GObject) agent = NULL;
  guint nomination = 0, pacing = 0;

  if (impl == BENCH_BURROW)
    agent = G_OBJECT (burrow_agent_new (NULL, BURROW_COMPATIBILITY_RFC5245));
  else if (impl == BENCH_LIBNICE)
    agent = G_OBJECT (nice_agent_new (NULL, NICE_COMPATIBILITY_RFC5245));
  else if (impl == BENCH_RAW)
    return g_strdup ("raw UDP: sendto/sendmmsg, recvfrom");
  else
    return g_strdup ("raw UDP GSO: batches as one sendmsg with UDP_SEGMENT, recvmmsg with "
        "UDP_GRO (batched modes only)");
  if (bench_pair_ta_ms > 0)
    g_object_set (agent, "stun-pacing-timer", bench_pair_ta_ms, NULL);
  g_object_get (agent, "nomination-mode", &nomination, "stun-pacing-timer", &pacing, NULL);
  if (impl == BENCH_BURROW)
    return g_strdup_printf ("burrow %s: %s nomination, Ta %u ms", BURROW_VERSION_STRING,
        nomination == BURROW_NOMINATION_MODE_AGGRESSIVE ? "aggressive" : "regular", pacing);
  return g_strdup_printf ("libnice %d.%d.%d: %s nomination, Ta %u ms", NICE_VERSION_MAJOR,
      NICE_VERSION_MINOR, NICE_VERSION_MICRO,
      nomination == NICE_NOMINATION_MODE_AGGRESSIVE ? "aggressive" : "regular", pacing);
}
