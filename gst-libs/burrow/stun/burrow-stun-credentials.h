/* burrow-stun-credentials.h: STUN short-term and long-term credentials
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(__BURROW_H_INSIDE__) && !defined(BURROW_COMPILATION)
#error "Only <burrow/burrow.h> can be included directly."
#endif

#include <glib.h>
#include <burrow/burrow-export.h>
#include <burrow/stun/burrow-stun-message.h>

G_BEGIN_DECLS

BURROW_API
gchar *  burrow_stun_saslprep           (const gchar *input,
                                         GError     **error);
BURROW_API
GBytes * burrow_stun_short_term_key     (const gchar *password,
                                         GError     **error);
BURROW_API
GBytes * burrow_stun_long_term_key      (const gchar                 *username,
                                         const gchar                 *realm,
                                         const gchar                 *password,
                                         BurrowStunPasswordAlgorithm  algorithm,
                                         GError                     **error);
BURROW_API
GBytes * burrow_stun_userhash           (const gchar *username,
                                         const gchar *realm,
                                         GError     **error);

G_END_DECLS
