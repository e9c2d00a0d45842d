/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag: loads the rules catalog at start-up and registers one expert
 * field per rule (ipsecdiag.rule.<id>), so every diagnosis can be filtered
 * on its own and keeps the severity and group the catalog gives it.
 */
#define WS_BUILD_DLL
#include <wireshark.h>
#include <epan/packet.h>
#include <epan/expert.h>
#include <wsutil/filesystem.h>

#include "ipsecdiag-glue.h"

#ifndef IPSECDIAG_RULES_DIR
#define IPSECDIAG_RULES_DIR "/usr/share/ipsecdiag/rules"
#endif

static ipsecdiag_rules_t *rules_catalog;
static expert_field *rule_experts;      /* one per rule, index as in the catalog */
static GHashTable *rule_index;          /* rule id -> index + 1 */
static expert_field ei_unknown_rule = EI_INIT;

const ipsecdiag_rules_t *ipsecdiag_rules(void)
{
  return rules_catalog;
}

static int to_pi_severity(ipsecdiag_severity_t severity)
{
  switch (severity) {
  case IPSECDIAG_SEV_CHAT: return PI_CHAT;
  case IPSECDIAG_SEV_NOTE: return PI_NOTE;
  case IPSECDIAG_SEV_WARN: return PI_WARN;
  default: return PI_ERROR;
  }
}

static int to_pi_group(ipsecdiag_group_t group)
{
  switch (group) {
  case IPSECDIAG_GROUP_SEQUENCE: return PI_SEQUENCE;
  case IPSECDIAG_GROUP_RESPONSE_CODE: return PI_RESPONSE_CODE;
  case IPSECDIAG_GROUP_PROTOCOL: return PI_PROTOCOL;
  case IPSECDIAG_GROUP_MALFORMED: return PI_MALFORMED;
  case IPSECDIAG_GROUP_SECURITY: return PI_SECURITY;
  case IPSECDIAG_GROUP_DEPRECATED: return PI_DEPRECATED;
  default: return PI_COMMENTS_GROUP;
  }
}

static void report_load_errors(GPtrArray *errors)
{
  for (guint i = 0; i < errors->len; i++)
    ws_warning("ipsecdiag: %s", (const char *)g_ptr_array_index(errors, i));
}

/* The catalog: $IPSECDIAG_RULES_DIR or the installed one. Then the user's
 * overrides: $IPSECDIAG_USER_RULES_DIR or <personal config>/ipsecdiag/rules. */
static void load_catalog(void)
{
  GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
  rules_catalog = ipsecdiag_rules_new();
  const char *dir = g_getenv("IPSECDIAG_RULES_DIR");
  if (!dir || !*dir)
    dir = IPSECDIAG_RULES_DIR;
  ipsecdiag_rules_load_dir(rules_catalog, dir, TRUE, FALSE, errors);
  if (ipsecdiag_rules_count(rules_catalog) == 0)
    ws_warning("ipsecdiag: no rules loaded from %s: findings will show their rule id only", dir);

  const char *user_dir = g_getenv("IPSECDIAG_USER_RULES_DIR");
  char *default_user_dir = NULL;
  if (!user_dir || !*user_dir)
    user_dir = default_user_dir = get_persconffile_path("ipsecdiag" G_DIR_SEPARATOR_S "rules", FALSE);
  ipsecdiag_rules_load_dir(rules_catalog, user_dir, FALSE, TRUE, errors);
  g_free(default_user_dir);
  report_load_errors(errors);
  g_ptr_array_free(errors, TRUE);
}

void ipsecdiag_expert_register(int proto)
{
  load_catalog();
  guint n = ipsecdiag_rules_count(rules_catalog);
  rule_experts = g_new(expert_field, n ? n : 1);
  rule_index = g_hash_table_new(g_str_hash, g_str_equal);
  ei_register_info *infos = g_new0(ei_register_info, n + 1);
  for (guint i = 0; i < n; i++) {
    const ipsecdiag_rule_t *rule = ipsecdiag_rules_nth(rules_catalog, i);
    rule_experts[i].ei = EI_INIT_EI;
    rule_experts[i].hf = EI_INIT_HF;
    infos[i].ids = &rule_experts[i];
    infos[i].eiinfo.name = g_strdup_printf("ipsecdiag.rule.%s", rule->id);
    infos[i].eiinfo.group = to_pi_group(rule->group);
    infos[i].eiinfo.severity = to_pi_severity(rule->severity);
    infos[i].eiinfo.summary = g_strdup(rule->summary);
    g_hash_table_insert(rule_index, rule->id, GUINT_TO_POINTER(i + 1));
  }
  infos[n].ids = &ei_unknown_rule;
  infos[n].eiinfo.name = "ipsecdiag.rule_missing";
  infos[n].eiinfo.group = PI_COMMENTS_GROUP;
  infos[n].eiinfo.severity = PI_ERROR;
  infos[n].eiinfo.summary = "ipsecdiag finding whose rule is not in the catalog";
  /* Registered records must outlive registration: the arrays are never freed. */
  expert_module_t *module = expert_register_protocol(proto);
  expert_register_field_array(module, infos, (int)n + 1);
}

char *ipsecdiag_render_summary(wmem_allocator_t *scope, const ipsecdiag_finding_t *finding)
{
  const ipsecdiag_rule_t *rule = ipsecdiag_rules_lookup(rules_catalog, finding->rule_id);
  char *text;
  if (rule) {
    text = ipsecdiag_rule_render(rule->summary, (const char *const *)finding->keys,
                                 (const char *const *)finding->values, finding->n_params);
  } else {
    GString *s = g_string_new(finding->rule_id);
    for (guint i = 0; i < finding->n_params; i++)
      g_string_append_printf(s, "%s%s=%s", i ? ", " : ": ", finding->keys[i], finding->values[i]);
    text = g_string_free(s, FALSE);
  }
  char *result = wmem_strdup(scope, text);
  g_free(text);
  return result;
}

ipsecdiag_severity_t ipsecdiag_finding_severity(const ipsecdiag_finding_t *finding)
{
  const ipsecdiag_rule_t *rule = ipsecdiag_rules_lookup(rules_catalog, finding->rule_id);
  return rule ? rule->severity : IPSECDIAG_SEV_ERROR;
}

void ipsecdiag_expert_add(packet_info *pinfo, proto_item *item, const ipsecdiag_finding_t *finding,
                          const char *summary)
{
  guint index = GPOINTER_TO_UINT(g_hash_table_lookup(rule_index, finding->rule_id));
  expert_field *ei = index ? &rule_experts[index - 1] : &ei_unknown_rule;
  expert_add_info_format(pinfo, item, ei, "%s", summary);
}
