/* burrow-agent-iostream.c: a component of the ICE agent as a GIOStream
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What nice_agent_get_io_stream() gives for an agent that is not reliable:
 * each read returns one datagram (truncated to the buffer), each write
 * sends one. There is no pseudo-TCP layer.
 */
#include "config.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "burrow-ice"

#include "burrow-agent-private.h"

/* ---- input ---- */

#define BURROW_TYPE_AGENT_INPUT_STREAM (burrow_agent_input_stream_get_type ())
G_DECLARE_FINAL_TYPE (BurrowAgentInputStream, burrow_agent_input_stream, BURROW,
    AGENT_INPUT_STREAM, GInputStream)

struct _BurrowAgentInputStream {
  GInputStream parent_instance;
  GWeakRef agent;
  guint stream_id;
  guint component_id;
};

G_DEFINE_FINAL_TYPE (BurrowAgentInputStream, burrow_agent_input_stream, G_TYPE_INPUT_STREAM)

static gssize
input_read (GInputStream *stream, void *buffer, gsize count, GCancellable *cancellable,
    GError **error)
{
  BurrowAgentInputStream *self = BURROW_AGENT_INPUT_STREAM (stream);
  g_autoptr(BurrowAgent) agent = g_weak_ref_get (&self->agent);
  GInputVector vector = { buffer, count };
  BurrowInputMessage message = { &vector, 1, NULL, 0 };
  gint n;

  if (agent == NULL) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED, "The agent is gone");
    return -1;
  }
  if (count == 0)
    return 0;
  n = burrow_agent_recv_messages (agent, self->stream_id, self->component_id, &message, 1,
      cancellable, error);
  return n < 0 ? -1 : (gssize) message.length;
}

static void
input_finalize (GObject *object)
{
  g_weak_ref_clear (&BURROW_AGENT_INPUT_STREAM (object)->agent);
  G_OBJECT_CLASS (burrow_agent_input_stream_parent_class)->finalize (object);
}

static void
burrow_agent_input_stream_class_init (BurrowAgentInputStreamClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = input_finalize;
  G_INPUT_STREAM_CLASS (klass)->read_fn = input_read;
}

static void
burrow_agent_input_stream_init (BurrowAgentInputStream *self)
{
}

/* ---- output ---- */

#define BURROW_TYPE_AGENT_OUTPUT_STREAM (burrow_agent_output_stream_get_type ())
G_DECLARE_FINAL_TYPE (BurrowAgentOutputStream, burrow_agent_output_stream, BURROW,
    AGENT_OUTPUT_STREAM, GOutputStream)

struct _BurrowAgentOutputStream {
  GOutputStream parent_instance;
  GWeakRef agent;
  guint stream_id;
  guint component_id;
};

G_DEFINE_FINAL_TYPE (BurrowAgentOutputStream, burrow_agent_output_stream, G_TYPE_OUTPUT_STREAM)

static gssize
output_write (GOutputStream *stream, const void *buffer, gsize count, GCancellable *cancellable,
    GError **error)
{
  BurrowAgentOutputStream *self = BURROW_AGENT_OUTPUT_STREAM (stream);
  g_autoptr(BurrowAgent) agent = g_weak_ref_get (&self->agent);
  GOutputVector vector = { buffer, count };
  BurrowOutputMessage message = { &vector, 1 };

  if (agent == NULL) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED, "The agent is gone");
    return -1;
  }
  /* one datagram per write, as libnice's non-reliable streams */
  if (burrow_agent_send_messages_nonblocking (agent, self->stream_id, self->component_id,
          &message, 1, cancellable, error) != 1)
    return -1;
  return (gssize) count;
}

static void
output_finalize (GObject *object)
{
  g_weak_ref_clear (&BURROW_AGENT_OUTPUT_STREAM (object)->agent);
  G_OBJECT_CLASS (burrow_agent_output_stream_parent_class)->finalize (object);
}

static void
burrow_agent_output_stream_class_init (BurrowAgentOutputStreamClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = output_finalize;
  G_OUTPUT_STREAM_CLASS (klass)->write_fn = output_write;
}

static void
burrow_agent_output_stream_init (BurrowAgentOutputStream *self)
{
}

/* ---- the pair ---- */

#define BURROW_TYPE_AGENT_IO_STREAM (burrow_agent_io_stream_get_type ())
G_DECLARE_FINAL_TYPE (BurrowAgentIOStream, burrow_agent_io_stream, BURROW, AGENT_IO_STREAM,
    GIOStream)

struct _BurrowAgentIOStream {
  GIOStream parent_instance;
  GInputStream *input;
  GOutputStream *output;
};

G_DEFINE_FINAL_TYPE (BurrowAgentIOStream, burrow_agent_io_stream, G_TYPE_IO_STREAM)

static GInputStream *
io_get_input (GIOStream *stream)
{
  return BURROW_AGENT_IO_STREAM (stream)->input;
}

static GOutputStream *
io_get_output (GIOStream *stream)
{
  return BURROW_AGENT_IO_STREAM (stream)->output;
}

static void
io_finalize (GObject *object)
{
  BurrowAgentIOStream *self = BURROW_AGENT_IO_STREAM (object);

  g_clear_object (&self->input);
  g_clear_object (&self->output);
  G_OBJECT_CLASS (burrow_agent_io_stream_parent_class)->finalize (object);
}

static void
burrow_agent_io_stream_class_init (BurrowAgentIOStreamClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = io_finalize;
  G_IO_STREAM_CLASS (klass)->get_input_stream = io_get_input;
  G_IO_STREAM_CLASS (klass)->get_output_stream = io_get_output;
}

static void
burrow_agent_io_stream_init (BurrowAgentIOStream *self)
{
}

/**
 * burrow_agent_get_io_stream:
 * @agent: an agent
 * @stream_id: a stream
 * @component_id: a component
 *
 * Gives a component as a [class@Gio.IOStream], as libnice does for an
 * agent that is not reliable: each read blocks for one datagram (cut to
 * the buffer's size) and each write sends one. The streams hold only a
 * weak reference to the agent. Burrow has no reliable (pseudo-TCP) mode.
 *
 * Returns: (transfer full) (nullable): the stream, or %NULL if there is no
 *   such component
 *
 * Since: 0.1
 */
GIOStream *
burrow_agent_get_io_stream (BurrowAgent *agent, guint stream_id, guint component_id)
{
  BurrowAgentIOStream *io;
  BurrowAgentInputStream *in;
  BurrowAgentOutputStream *out;

  g_return_val_if_fail (BURROW_IS_AGENT (agent), NULL);
  if (burrow_agent_find_component (agent, stream_id, component_id) == NULL)
    return NULL;
  in = g_object_new (BURROW_TYPE_AGENT_INPUT_STREAM, NULL);
  g_weak_ref_init (&in->agent, agent);
  in->stream_id = stream_id;
  in->component_id = component_id;
  out = g_object_new (BURROW_TYPE_AGENT_OUTPUT_STREAM, NULL);
  g_weak_ref_init (&out->agent, agent);
  out->stream_id = stream_id;
  out->component_id = component_id;
  io = g_object_new (BURROW_TYPE_AGENT_IO_STREAM, NULL);
  io->input = G_INPUT_STREAM (in);
  io->output = G_OUTPUT_STREAM (out);
  return G_IO_STREAM (io);
}
