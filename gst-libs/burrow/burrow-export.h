/* burrow-export.h: symbol visibility for the public API
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(__BURROW_H_INSIDE__) && !defined(BURROW_COMPILATION)
#error "Only <burrow/burrow.h> can be included directly."
#endif

#if defined(_WIN32) && defined(BURROW_COMPILATION)
#define _BURROW_EXPORT __declspec(dllexport)
#elif defined(_WIN32)
#define _BURROW_EXPORT __declspec(dllimport)
#else
#define _BURROW_EXPORT __attribute__((visibility ("default")))
#endif

/* Marks a symbol as part of the public, exported API. */
#define BURROW_API _BURROW_EXPORT extern
