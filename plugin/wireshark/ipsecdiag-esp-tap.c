/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag: the ESP statistics table, one row per ESP SA (SPI and
 * destination) in the order first seen (`tshark -z ipsecdiag,esp` and
 * Statistics > IPsec ESP SAs in the GUI). It listens to the same tap as the
 * tunnels table; a row is refreshed from the engine whenever a frame of its
 * SA is tapped, so the SA's last frame leaves its final counts.
 */
#define WS_BUILD_DLL
#include <wireshark.h>
#include <epan/packet.h>
#include <epan/stat_tap_ui.h>
#include <epan/tap.h>

#include "ipsecdiag/esp.h"
#include "ipsecdiag-glue.h"

enum {
  COL_SPI, COL_TUNNEL, COL_DIRECTION, COL_SOURCE, COL_DESTINATION, COL_ENCAPSULATION, COL_PACKETS,
  COL_BYTES, COL_FIRST, COL_LAST, COL_LOST, COL_LOSS_RATE, COL_DUPLICATES, COL_VERDICT, N_COLUMNS
};

static stat_tap_table_item esp_columns[N_COLUMNS] = {
  {TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "SPI", "%-10s"},
  {TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Tunnel", "%6u"},
  {TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Direction", "%-22s"},
  {TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Source", "%-21s"},
  {TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Destination", "%-21s"},
  {TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Encapsulation", "%-23s"},
  {TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Packets", "%7u"},
  {TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Bytes", "%9u"},
  {TABLE_ITEM_FLOAT, TAP_ALIGN_RIGHT, "First (s)", "%9.3f"},
  {TABLE_ITEM_FLOAT, TAP_ALIGN_RIGHT, "Last (s)", "%9.3f"},
  {TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Lost", "%6u"},
  {TABLE_ITEM_FLOAT, TAP_ALIGN_RIGHT, "Loss %", "%6.1f"},
  {TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Dups", "%5u"},
  {TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Verdict", "%s"},
};

static const char table_name[] = "IPsec ESP SAs";

/* Times are shown relative to the capture's first frame. */
static double capture_start;
static gboolean capture_start_known;

static guint clamp_uint(guint64 value)
{
  return value > G_MAXUINT ? G_MAXUINT : (guint)value;
}


/* The SA's worst finding when it is a warning or an error, else "ok". */
static char *verdict_text(const ipsecdiag_engine_t *engine, guint index, const ipsecdiag_esp_sa_info_t *info)
{
  GPtrArray *found = g_ptr_array_new_with_free_func(ipsecdiag_finding_free);
  ipsecdiag_engine_evaluate_esp_sa(engine, index, found);
  const ipsecdiag_finding_t *worst = NULL;
  ipsecdiag_severity_t worst_severity = IPSECDIAG_SEV_CHAT;
  GString *notes = g_string_new(NULL);
  for (guint i = 0; i < found->len; i++) {
    const ipsecdiag_finding_t *f = g_ptr_array_index(found, i);
    ipsecdiag_severity_t severity = ipsecdiag_finding_severity(f);
    if (!worst || severity > worst_severity) {
      worst = f;
      worst_severity = severity;
    }
    g_string_append_printf(notes, "%s%s", notes->len ? ", " : "", f->rule_id);
  }
  char *text;
  if (worst && worst_severity >= IPSECDIAG_SEV_WARN) {
    char *summary = ipsecdiag_render_summary(NULL, worst);
    text = g_strdup_printf("%s: %s [%s]", ipsecdiag_severity_name(worst_severity), summary, worst->rule_id);
    wmem_free(NULL, summary);
  } else if (notes->len) {
    text = g_strdup_printf("ok (notes: %s)", notes->str);
  } else {
    text = g_strdup(info->tunnel ? "ok" : "ok (no IKE SA between these addresses in the capture)");
  }
  g_string_free(notes, TRUE);
  g_ptr_array_free(found, TRUE);
  return text;
}

static void fill_row(stat_tap_table *table, const ipsecdiag_engine_t *engine, guint index)
{
  ipsecdiag_esp_sa_info_t info;
  if (!ipsecdiag_engine_esp_sa_info(engine, index, &info))
    return;
  stat_tap_table_item_type items[N_COLUMNS];
  char buf[64];
  memset(items, 0, sizeof items);
  for (guint col = 0; col < N_COLUMNS; col++)
    items[col].type = esp_columns[col].type;
  items[COL_SPI].value.string_value = g_strdup_printf("0x%08x", info.spi);
  items[COL_TUNNEL].value.uint_value = info.tunnel;
  items[COL_DIRECTION].value.string_value = g_strdup(ipsecdiag_esp_direction_name(info.direction));
  items[COL_SOURCE].value.string_value = g_strdup(info.udp_encapsulated
      ? ipsecdiag_endpoint_to_str(&info.src, buf, sizeof buf) : ipsecdiag_addr_to_str(&info.src.addr, buf, sizeof buf));
  items[COL_DESTINATION].value.string_value = g_strdup(info.udp_encapsulated
      ? ipsecdiag_endpoint_to_str(&info.dst, buf, sizeof buf) : ipsecdiag_addr_to_str(&info.dst.addr, buf, sizeof buf));
  items[COL_ENCAPSULATION].value.string_value = g_strdup(ipsecdiag_esp_encapsulation_name(&info));
  items[COL_PACKETS].value.uint_value = clamp_uint(info.packets);
  items[COL_BYTES].value.uint_value = clamp_uint(info.bytes);
  items[COL_FIRST].value.float_value = info.first_time - capture_start;
  items[COL_LAST].value.float_value = info.last_time - capture_start;
  items[COL_LOST].value.uint_value = clamp_uint(info.lost);
  items[COL_LOSS_RATE].value.float_value = info.expected ? 100.0 * (double)info.lost / (double)info.expected : 0.0;
  items[COL_DUPLICATES].value.uint_value = clamp_uint(info.duplicates);
  items[COL_VERDICT].value.string_value = verdict_text(engine, index, &info);

  if (index < table->num_elements)
    ipsecdiag_tap_free_row_strings(table, index);
  /* Rows of SAs without a tapped frame yet stay empty (TABLE_ITEM_NONE). */
  stat_tap_init_table_row(table, index, N_COLUMNS, items);
}

static void esp_init(stat_tap_table_ui *ui)
{
  capture_start_known = FALSE;
  stat_tap_table *table = stat_tap_find_table(ui, table_name);
  if (table) {
    if (ui->stat_tap_reset_table_cb)
      ui->stat_tap_reset_table_cb(table);
    return;
  }
  table = stat_tap_init_table(table_name, N_COLUMNS, 0, NULL);
  stat_tap_add_table(ui, table);
}

static tap_packet_status esp_packet(void *tapdata, packet_info *pinfo, epan_dissect_t *edt _U_,
                                    const void *data, tap_flags_t flags _U_)
{
  stat_data_t *stat_data = tapdata;
  const ipsecdiag_tap_record_t *record = data;
  const ipsecdiag_engine_t *engine = ipsecdiag_current_engine();
  if (!engine || !record->esp_spi)
    return TAP_PACKET_DONT_REDRAW;
  if (!capture_start_known) {
    nstime_t start;
    nstime_delta(&start, &pinfo->abs_ts, &pinfo->rel_ts);
    capture_start = nstime_to_sec(&start);
    capture_start_known = TRUE;
  }
  gint index = ipsecdiag_engine_esp_sa_index(engine, record->esp_spi, &record->esp_dst);
  if (index < 0)
    return TAP_PACKET_DONT_REDRAW;
  stat_tap_table *table = g_array_index(stat_data->stat_tap_data->tables, stat_tap_table *, 0);
  fill_row(table, engine, (guint)index);
  return TAP_PACKET_REDRAW;
}

void ipsecdiag_esp_tap_register(void)
{
  static tap_param params[] = {{PARAM_FILTER, "filter", "Filter", NULL, TRUE}};
  static stat_tap_table_ui esp_table = {
    REGISTER_PACKET_STAT_GROUP_UNSORTED,
    "IPsec ESP SAs (ipsecdiag)",
    "ipsecdiag",
    "ipsecdiag,esp",
    esp_init,
    esp_packet,
    ipsecdiag_tap_table_reset,
    ipsecdiag_tap_free_item,
    NULL,
    N_COLUMNS, esp_columns,
    G_N_ELEMENTS(params), params,
    NULL,
    0,
  };
  register_stat_tap_table_ui(&esp_table);
}
