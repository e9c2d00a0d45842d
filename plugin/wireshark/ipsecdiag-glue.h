/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag: what the Wireshark glue files share (protocol registration,
 * rules-backed expert infos, statistics tap).
 */
#ifndef IPSECDIAG_GLUE_H
#define IPSECDIAG_GLUE_H

#include <epan/packet.h>
#include <epan/expert.h>
#include <epan/stat_tap_ui.h>

#include "ipsecdiag/engine.h"
#include "ipsecdiag/rules.h"

void proto_register_ipsecdiag(void);
void proto_reg_handoff_ipsecdiag(void);

/* The engine of the capture file being read (NULL between files). */
ipsecdiag_engine_t *ipsecdiag_current_engine(void);

/* ipsecdiag-expert.c: the rules catalog and one expert field per rule. */
void ipsecdiag_expert_register(int proto);
const ipsecdiag_rules_t *ipsecdiag_rules(void);
/* The rendered summary of a finding (wmem_packet or given scope). */
char *ipsecdiag_render_summary(wmem_allocator_t *scope, const ipsecdiag_finding_t *finding);
/* Adds the expert info of a finding's rule to item. */
void ipsecdiag_expert_add(packet_info *pinfo, proto_item *item, const ipsecdiag_finding_t *finding,
                          const char *summary);
/* Severity of a finding's rule (ERROR when the rule is missing, so it is seen). */
ipsecdiag_severity_t ipsecdiag_finding_severity(const ipsecdiag_finding_t *finding);

/* ipsecdiag-tap.c */
typedef struct {
  guint32 tunnel;                /* 0: no tunnel (an ESP frame of no IKE SA) */
  guint32 esp_spi;               /* ESP frames: the SA, for the per-SPI table; 0 otherwise */
  ipsecdiag_addr_t esp_dst;
} ipsecdiag_tap_record_t;

void ipsecdiag_tap_register(void);
/* ipsecdiag-esp-tap.c: the per-SPI table (tshark -z ipsecdiag,esp), on the same tap. */
void ipsecdiag_esp_tap_register(void);
int ipsecdiag_tap_id(void);
/* Row handling shared by both tables (string cells are owned by the table). */
void ipsecdiag_tap_free_row_strings(stat_tap_table *table, guint row);
void ipsecdiag_tap_table_reset(stat_tap_table *table);
void ipsecdiag_tap_free_item(stat_tap_table *table, guint row, guint column,
                             stat_tap_table_item_type *field_data);
/* The finding that sums up a tunnel (worst severity, latest), or NULL. The
 * caller frees *owned (findings evaluated for a capture not yet finalized). */
const ipsecdiag_finding_t *ipsecdiag_tunnel_verdict(const ipsecdiag_engine_t *engine, guint32 tunnel,
                                                    GPtrArray **owned);
const char *ipsecdiag_mode_name(const ipsecdiag_tunnel_t *tunnel);

#endif
