/* SPDX-License-Identifier: MIT */
/* err.c: names and messages of erg_err_t, generated from ERG_ERR_MAP. */
#include "erg/err.h"

const char *erg_strerror(erg_err_t err) {
    switch (err) {
    case ERG_OK:
        return "success";
#define STRERROR_CASE(name, value, msg)                                        \
    case ERG_##name:                                                           \
        return msg;
        ERG_ERR_MAP(STRERROR_CASE)
#undef STRERROR_CASE
    }
    return "unknown error code";
}

const char *erg_err_name(erg_err_t err) {
    switch (err) {
    case ERG_OK:
        return "ERG_OK";
#define NAME_CASE(name, value, msg)                                            \
    case ERG_##name:                                                           \
        return "ERG_" #name;
        ERG_ERR_MAP(NAME_CASE)
#undef NAME_CASE
    }
    return "ERG_UNKNOWN_CODE";
}
