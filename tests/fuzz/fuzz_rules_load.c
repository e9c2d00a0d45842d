/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the rules catalog loader: loads the input as a
 * catalog file, as an override of what it defined, then renders every
 * summary, to check that no input can crash, hang or leak.
 */
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "ipsecdiag/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const char *const keys[] = { "peer", "count", "message", "span" };
  static const char *const values[] = { "192.0.2.1", "3", "IKE_SA_INIT {peer}", "{{" };

  ipsecdiag_rules_t *rules = ipsecdiag_rules_new();
  GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
  ipsecdiag_rules_load_data(rules, "fuzz.rules", (const char *)data, size, TRUE, errors);
  /* The same text again as a user override: every id now exists. */
  ipsecdiag_rules_load_data(rules, "fuzz-user.rules", (const char *)data, size, FALSE, errors);

  for (guint i = 0; i < errors->len; i++)
    g_assert(g_str_has_prefix(g_ptr_array_index(errors, i), "fuzz"));
  for (guint i = 0; i < ipsecdiag_rules_count(rules); i++) {
    const ipsecdiag_rule_t *rule = ipsecdiag_rules_nth(rules, i);
    g_assert(ipsecdiag_rules_lookup(rules, rule->id) == rule);
    char *rendered = ipsecdiag_rule_render(rule->summary, keys, values, G_N_ELEMENTS(keys));
    g_free(rendered);
    rendered = ipsecdiag_rule_render(rule->cause, keys, values, 2);
    g_free(rendered);
  }
  /* The input as a template too: renders arbitrary brace soup. */
  char *template_text = g_strndup((const char *)data, size);
  char *rendered = ipsecdiag_rule_render(template_text, keys, values, G_N_ELEMENTS(keys));
  g_free(rendered);
  g_free(template_text);

  g_ptr_array_free(errors, TRUE);
  ipsecdiag_rules_free(rules);
  return 0;
}
