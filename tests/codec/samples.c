/* SPDX-License-Identifier: MIT */
/* samples.c: the descriptor and registry lists of samples.h. */
#include "samples.h"

#include "kitchen/sink.h"
#include "kitchen/types.h"
#include "shop/common.h"
#include "shop/payment.h"

const erg_codec_desc_t *const tv_descs[] = {
    &kitchen_sink_scalars_desc,
    &kitchen_sink_tree_desc,
    &kitchen_sink_empty2_desc,
    &kitchen_sink_shape_desc,
    &kitchen_sink_circle_desc,
    &kitchen_sink_node_desc,
    &kitchen_sink_small_desc,
    &kitchen_sink_wide_desc,
    &kitchen_sink_big_desc,
    &kitchen_sink_everything_v1_desc,
    &kitchen_sink_everything_v2_desc,
    &kitchen_sink_everything_v3_desc,
    &kitchen_sink_everything_v4_desc,
    &kitchen_sink_nothing_v1_desc,
    &kitchen_sink_nothing_v2_desc,
    &kitchen_sink_happened_v1_desc,
    &kitchen_sink_happened_v2_desc,
    &kitchen_types_level_desc,
    &kitchen_types_point_desc,
    &shop_common_currency_desc,
    &shop_common_money_desc,
    &shop_payment_status_desc,
    &shop_payment_line_item_desc,
    &shop_payment_method_desc,
    &shop_payment_charge_request_v1_desc,
    &shop_payment_charge_request_v2_desc,
    &shop_payment_refund_request_v1_desc,
    &shop_payment_charge_response_v1_desc,
    &shop_payment_charged_v1_desc,
};
const size_t tv_ndescs = sizeof tv_descs / sizeof *tv_descs;

const erg_codec_registry_t *const tv_registries[] = {
    &kitchen_sink_registry,
    &kitchen_types_registry,
    &shop_common_registry,
    &shop_payment_registry,
};
const size_t tv_nregistries = sizeof tv_registries / sizeof *tv_registries;
