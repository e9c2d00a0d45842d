/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag: the tunnels statistics table, one row per IKE SA, with its ESP
 * packets, bytes and missing sequence numbers each way
 * (`tshark -z ipsecdiag,tunnels` and Statistics > IPsec diagnosis: tunnels
 * in the GUI). Rows are refreshed from the engine whenever a frame of the
 * tunnel is tapped, so the last frame of a tunnel leaves its final state.
 */
#define WS_BUILD_DLL
#include <wireshark.h>
#include <epan/packet.h>
#include <epan/stat_tap_ui.h>
#include <epan/tap.h>

#include "ipsecdiag/esp.h"
#include "ipsecdiag/ike_names.h"
#include "ipsecdiag-glue.h"

static int tap_id = -1;

enum {
  COL_TUNNEL, COL_INITIATOR, COL_RESPONDER, COL_VERSION, COL_MODE, COL_NATT, COL_PHASE,
  COL_MESSAGES, COL_RETRANSMISSIONS, COL_ESP_I2R, COL_ESP_R2I, COL_ESP_BYTES_I2R, COL_ESP_BYTES_R2I,
  COL_ESP_LOST_I2R, COL_ESP_LOST_R2I, COL_SIDE, COL_SUITE, COL_IMPLEMENTATION,
  COL_VERDICT,
  /* timeline (engine_lifecycle.c) */
  COL_ESTABLISHED, COL_REKEYS, COL_DELETES, COL_LIFETIME,
  N_COLUMNS
};

static stat_tap_table_item tunnel_columns[N_COLUMNS] = {
  {TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Tunnel", "%6u"},
  {TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Initiator", "%-21s"},
  {TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Responder", "%-21s"},
  {TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "IKE", "%3u"},
  {TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Mode", "%-11s"},
  {TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "NAT-T", "%-26s"},
  {TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Phase reached", "%-20s"},
  {TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Msgs", "%5u"},
  {TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Retrans", "%7u"},
  {TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "ESP i>r", "%7u"},
  {TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "ESP r>i", "%7u"},
  {TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Bytes i>r", "%9u"},
  {TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Bytes r>i", "%9u"},
  {TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Lost i>r", "%8u"},
  {TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Lost r>i", "%8u"},
  {TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Capture side", "%-14s"},
  {TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Suite: chosen / offered", "%s"},
  {TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Implementation (I / R)", "%s"},
  {TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Verdict", "%s"},
  {TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Established at", "%s"},
  {TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Rekeys IKE/Child", "%s"},
  {TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Deletes", "%7u"},
  {TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Lifetime seen", "%s"},
};

static const char table_name[] = "IPsec tunnels";

int ipsecdiag_tap_id(void)
{
  return tap_id;
}

const char *ipsecdiag_mode_name(const ipsecdiag_tunnel_t *tunnel)
{
  switch (tunnel->mode) {
  case IKEV1_EXCH_MAIN: return "Main";
  case IKEV1_EXCH_AGGRESSIVE: return "Aggressive";
  case IKEV2_EXCH_IKE_SA_INIT: return "IKE_SA_INIT";
  default: return "(mid-SA)";   /* the capture began after phase 1 */
  }
}

const ipsecdiag_finding_t *ipsecdiag_tunnel_verdict(const ipsecdiag_engine_t *engine, guint32 id,
                                                    GPtrArray **owned)
{
  const ipsecdiag_tunnel_t *tunnel = ipsecdiag_engine_tunnel(engine, id);
  *owned = NULL;
  if (!tunnel)
    return NULL;
  gboolean finalized = ipsecdiag_engine_is_finalized(engine);
  if (!finalized) {
    *owned = g_ptr_array_new_with_free_func(ipsecdiag_finding_free);
    ipsecdiag_engine_evaluate_tunnel(engine, id, *owned);
  }
  const ipsecdiag_finding_t *best = NULL;
  int best_severity = -1;
  for (int pass = 0; pass < 2; pass++) {
    const GPtrArray *list = pass == 0 ? tunnel->findings : *owned;
    for (guint i = 0; list && i < list->len; i++) {
      const ipsecdiag_finding_t *f = g_ptr_array_index(list, i);
      if (pass == 0 && f->final && !finalized)
        continue;
      int severity = (int)ipsecdiag_finding_severity(f);
      if (severity >= best_severity) {   /* later findings win ties: they know more */
        best = f;
        best_severity = severity;
      }
    }
  }
  return best;
}

void ipsecdiag_tap_free_row_strings(stat_tap_table *table, guint row)
{
  for (guint col = 0; col < table->num_fields; col++) {
    stat_tap_table_item_type *item = stat_tap_get_field_data(table, row, col);
    if (item->type == TABLE_ITEM_STRING) {
      g_free((char *)item->value.string_value);
      item->value.string_value = NULL;
    }
  }
}

static void set_uint(stat_tap_table_item_type *items, int col, guint value)
{
  items[col].type = TABLE_ITEM_UINT;
  items[col].value.uint_value = value;
}

static void set_string(stat_tap_table_item_type *items, int col, char *value)
{
  items[col].type = TABLE_ITEM_STRING;
  items[col].value.string_value = value;
}

/* The worst finding when it is a warning or an error; otherwise "ok" and the
 * notes' rule ids, so healthy tunnels read as healthy. */
static char *verdict_text(const ipsecdiag_engine_t *engine, const ipsecdiag_tunnel_t *tunnel)
{
  GPtrArray *owned;
  const ipsecdiag_finding_t *verdict = ipsecdiag_tunnel_verdict(engine, tunnel->id, &owned);
  char *text;
  ipsecdiag_severity_t severity = verdict ? ipsecdiag_finding_severity(verdict) : IPSECDIAG_SEV_CHAT;
  if (verdict && severity >= IPSECDIAG_SEV_WARN) {
    char *summary = ipsecdiag_render_summary(NULL, verdict);
    text = g_strdup_printf("%s: %s [%s]", ipsecdiag_severity_name(severity), summary, verdict->rule_id);
    wmem_free(NULL, summary);
  } else {
    GString *s = g_string_new(tunnel->state == IPSECDIAG_ST_ESP ? "ok: ESP flowing" : "ok");
    guint notes = 0;
    for (guint i = 0; i < tunnel->findings->len; i++) {
      const ipsecdiag_finding_t *f = g_ptr_array_index(tunnel->findings, i);
      g_string_append_printf(s, "%s%s", notes++ ? ", " : " (notes: ", f->rule_id);
    }
    if (notes)
      g_string_append_c(s, ')');
    text = g_string_free(s, FALSE);
  }
  if (owned)
    g_ptr_array_free(owned, TRUE);
  return text;
}

/* When the IKE SA came up (seconds from the first IKE packet), its rekeys,
 * deletes, and how long it lived until it ended in the capture. */
static void fill_timeline(stat_tap_table_item_type *items, const ipsecdiag_engine_t *engine,
                          const ipsecdiag_tunnel_t *tunnel)
{
  ipsecdiag_lifecycle_t life;
  ipsecdiag_engine_lifecycle(engine, tunnel->id, &life);
  if (!life.established)
    set_string(items, COL_ESTABLISHED, g_strdup("-"));
  else if (life.established_mid_life)
    set_string(items, COL_ESTABLISHED, g_strdup_printf("before %.3f s (seen mid-life)",
                                                       life.established_time - life.capture_start));
  else
    set_string(items, COL_ESTABLISHED, g_strdup_printf("%.3f s", life.established_time - life.capture_start));
  set_string(items, COL_REKEYS, g_strdup_printf("%u/%u", life.ike_rekeys, life.child_rekeys));
  set_uint(items, COL_DELETES, life.deletes);
  char end[64];
  if (life.end && life.deleted_by && strcmp(life.end, "deleted") == 0)
    g_snprintf(end, sizeof end, "deleted by the %s", ipsecdiag_role_name(life.deleted_by));
  else
    g_strlcpy(end, life.end ? life.end : "", sizeof end);
  if (life.lifetime >= 0)
    set_string(items, COL_LIFETIME, g_strdup_printf("%.1f s (%s)", life.lifetime, end));
  else if (life.end)
    set_string(items, COL_LIFETIME, g_strdup_printf("? (%s)", end));
  else
    set_string(items, COL_LIFETIME, g_strdup(life.established ? "up at capture end" : "-"));
}

static void fill_row(stat_tap_table *table, const ipsecdiag_engine_t *engine, const ipsecdiag_tunnel_t *tunnel)
{
  stat_tap_table_item_type items[N_COLUMNS];
  char buf[64];
  memset(items, 0, sizeof items);
  set_uint(items, COL_TUNNEL, tunnel->id);
  set_string(items, COL_INITIATOR, g_strdup(ipsecdiag_endpoint_to_str(&tunnel->initiator, buf, sizeof buf)));
  set_string(items, COL_RESPONDER, g_strdup(ipsecdiag_endpoint_to_str(&tunnel->responder, buf, sizeof buf)));
  set_uint(items, COL_VERSION, tunnel->version);
  set_string(items, COL_MODE, g_strdup(ipsecdiag_mode_name(tunnel)));
  char nat[160];
  set_string(items, COL_NATT, g_strdup_printf("%s (%s)", tunnel->natt_used ? "yes" : "no",
                                              ipsecdiag_nat_describe(tunnel, nat, sizeof nat)));
  set_string(items, COL_PHASE, g_strdup(ipsecdiag_state_name(tunnel->state)));
  set_uint(items, COL_MESSAGES, tunnel->n_packets);
  set_uint(items, COL_RETRANSMISSIONS, tunnel->n_retransmissions);
  /* Packets, bytes and sequence numbers missing, summed over the tunnel's ESP SAs of each direction. */
  ipsecdiag_esp_tunnel_totals_t esp;
  ipsecdiag_engine_esp_tunnel_totals(engine, tunnel->id, &esp);
  set_uint(items, COL_ESP_I2R, (guint)MIN(esp.packets[0], G_MAXUINT));
  set_uint(items, COL_ESP_R2I, (guint)MIN(esp.packets[1], G_MAXUINT));
  set_uint(items, COL_ESP_BYTES_I2R, (guint)MIN(esp.bytes[0], G_MAXUINT));
  set_uint(items, COL_ESP_BYTES_R2I, (guint)MIN(esp.bytes[1], G_MAXUINT));
  set_uint(items, COL_ESP_LOST_I2R, (guint)MIN(esp.lost[0], G_MAXUINT));
  set_uint(items, COL_ESP_LOST_R2I, (guint)MIN(esp.lost[1], G_MAXUINT));
  set_string(items, COL_SIDE, g_strdup(ipsecdiag_capture_side_name(tunnel->capture_side)));
  set_string(items, COL_SUITE, g_strdup_printf("%s / %s", tunnel->chosen_suite ? tunnel->chosen_suite : "-",
                                               tunnel->offered_suites ? tunnel->offered_suites : "-"));
  set_string(items, COL_IMPLEMENTATION, g_strdup_printf("%s / %s",
      tunnel->implementation[0] ? tunnel->implementation[0] : "?",
      tunnel->implementation[1] ? tunnel->implementation[1] : "?"));
  set_string(items, COL_VERDICT, verdict_text(engine, tunnel));
  fill_timeline(items, engine, tunnel);

  guint row = tunnel->id - 1;
  if (row < table->num_elements)
    ipsecdiag_tap_free_row_strings(table, row);
  /* Rows of tunnels without a tapped frame yet stay empty (TABLE_ITEM_NONE). */
  stat_tap_init_table_row(table, row, N_COLUMNS, items);
}

static void tunnels_init(stat_tap_table_ui *ui)
{
  stat_tap_table *table = stat_tap_find_table(ui, table_name);
  if (table) {
    if (ui->stat_tap_reset_table_cb)
      ui->stat_tap_reset_table_cb(table);
    return;
  }
  table = stat_tap_init_table(table_name, N_COLUMNS, 0, NULL);
  stat_tap_add_table(ui, table);
}

static tap_packet_status tunnels_packet(void *tapdata, packet_info *pinfo _U_, epan_dissect_t *edt _U_,
                                        const void *data, tap_flags_t flags _U_)
{
  stat_data_t *stat_data = tapdata;
  const ipsecdiag_tap_record_t *record = data;
  const ipsecdiag_engine_t *engine = ipsecdiag_current_engine();
  const ipsecdiag_tunnel_t *tunnel = engine ? ipsecdiag_engine_tunnel(engine, record->tunnel) : NULL;
  if (!tunnel)
    return TAP_PACKET_DONT_REDRAW;
  stat_tap_table *table = g_array_index(stat_data->stat_tap_data->tables, stat_tap_table *, 0);
  fill_row(table, engine, tunnel);
  return TAP_PACKET_REDRAW;
}

void ipsecdiag_tap_table_reset(stat_tap_table *table)
{
  for (guint row = 0; row < table->num_elements; row++) {
    ipsecdiag_tap_free_row_strings(table, row);
    g_free(table->elements[row]);
  }
  g_free(table->elements);
  table->elements = NULL;
  table->num_elements = 0;
}

void ipsecdiag_tap_free_item(stat_tap_table *table _U_, guint row _U_, guint column _U_,
                             stat_tap_table_item_type *field_data)
{
  if (field_data->type == TABLE_ITEM_STRING) {
    g_free((char *)field_data->value.string_value);
    field_data->value.string_value = NULL;
  }
}

void ipsecdiag_tap_register(void)
{
  static tap_param params[] = {{PARAM_FILTER, "filter", "Filter", NULL, TRUE}};
  static stat_tap_table_ui tunnels_table = {
    REGISTER_PACKET_STAT_GROUP_UNSORTED,
    "IPsec Tunnels (ipsecdiag)",
    "ipsecdiag",
    "ipsecdiag,tunnels",
    tunnels_init,
    tunnels_packet,
    ipsecdiag_tap_table_reset,
    ipsecdiag_tap_free_item,
    NULL,
    N_COLUMNS, tunnel_columns,
    G_N_ELEMENTS(params), params,
    NULL,
    0,
  };
  tap_id = register_tap("ipsecdiag");
  register_stat_tap_table_ui(&tunnels_table);
  ipsecdiag_esp_tap_register();
}
