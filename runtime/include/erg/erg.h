/* SPDX-License-Identifier: MIT */
/* erg.h: the umbrella header; include this to use erg. */
#ifndef ERG_ERG_H
#define ERG_ERG_H

#include "erg/defs.h"
#include "erg/err.h"
#include "erg/alloc.h"
#include "erg/version.h"
#include "erg/codec.h"
#include "erg/pid.h"
#include "erg/msg.h"
#include "erg/log.h"
#include "erg/node.h"
#include "erg/actor.h"
#include "erg/event.h"
#include "erg/typed.h"
#include "erg/cron.h"
#include "erg/sup.h"
#include "erg/app.h"
#include "erg/pool.h"
#include "erg/net.h"
#include "erg/remote.h"

#endif /* ERG_ERG_H */
