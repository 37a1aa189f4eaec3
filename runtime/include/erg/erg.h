/* SPDX-License-Identifier: MIT */
/* erg.h: the umbrella header; include this to use erg. */
#ifndef ERG_ERG_H
#define ERG_ERG_H

#include "erg/defs.h"
#include "erg/err.h"
#include "erg/alloc.h"
#include "erg/version.h"

#endif /* ERG_ERG_H */
