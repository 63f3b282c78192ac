/* SPDX-License-Identifier: GPL-2.0 */
/*
 * futex_shim.h - the interface between the Rust host and the C revisions,
 * and the input bindgen turns into src/ffi/bindings.rs.
 */
#ifndef _FUTEX_SHIM_H
#define _FUTEX_SHIM_H

#include "fake/dup.h"
#include "fake/custom.h"

/* Clears the abort flag; the host calls this before each revision entry. */
void fd_clear_abort(void);

#endif /* _FUTEX_SHIM_H */
