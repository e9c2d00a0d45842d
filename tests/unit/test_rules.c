/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of the rules catalog loader and renderer (plugin/engine/rules.c):
 * good files, every kind of error with its exact "FILE:LINE: ..." message,
 * user overrides, rendering edge cases and directory loading.
 */
#include <stdarg.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "ipsecdiag/rules.h"

#define NAME "t.rules"

static GPtrArray *
new_errors(void)
{
  return g_ptr_array_new_with_free_func(g_free);
}

/* Asserts that errors holds exactly the given messages (NULL-terminated). */
static void G_GNUC_NULL_TERMINATED
assert_errors(const GPtrArray *errors, ...)
{
  va_list args;
  va_start(args, errors);
  guint i = 0;
  const char *expected;
  while ((expected = va_arg(args, const char *)) != NULL) {
    if (i >= errors->len)
      g_error("missing error #%u: %s", i, expected);
    g_assert_cmpstr(g_ptr_array_index(errors, i), ==, expected);
    i++;
  }
  va_end(args);
  if (i < errors->len)
    g_error("unexpected error: %s", (const char *)g_ptr_array_index(errors, i));
}

static guint
load_text(ipsecdiag_rules_t *rules, const char *text, gboolean allow_new, GPtrArray *errors)
{
  return ipsecdiag_rules_load_data(rules, NAME, text, strlen(text), allow_new, errors);
}

/* A valid rule appended after a broken one: it must still load. */
#define GOOD_RULE "[good]\nseverity = note\ngroup = protocol\nsummary = fine\n"

static void
assert_only_good_loaded(const ipsecdiag_rules_t *rules)
{
  g_assert_cmpuint(ipsecdiag_rules_count(rules), ==, 1);
  g_assert_nonnull(ipsecdiag_rules_lookup(rules, "good"));
}

/* Loads text (with allow_new) and checks one error and that GOOD_RULE loaded. */
static void
check_single_error(const char *text, const char *expected_error)
{
  ipsecdiag_rules_t *rules = ipsecdiag_rules_new();
  GPtrArray *errors = new_errors();
  g_assert_cmpuint(load_text(rules, text, TRUE, errors), ==, 1);
  assert_errors(errors, expected_error, NULL);
  assert_only_good_loaded(rules);
  g_ptr_array_free(errors, TRUE);
  ipsecdiag_rules_free(rules);
}

/* ---- good files ---- */

static void
test_good_file(void)
{
  const char *text =
    "# SPDX-License-Identifier: GPL-2.0-or-later\n"
    "; a comment in the other style\n"
    "\n"
    "[first_msg_unanswered]\n"
    "severity = error\n"
    "group = sequence\n"
    "summary = {message} to {peer} sent {count} times over {span} s, never answered\n"
    "cause = The peer did not answer: \\\n"
    "    it is down, unreachable,\\\n"
    "\tor drops the packets.\n"
    "  remedy=Check that UDP 500 and 4500 reach the peer.   \n"
    "references = RFC 7296 2.1; strongSwan retransmission settings\n"
    "\r\n"
    "  [no_proposal_chosen]  \r\n"
    "severity = warning       # chat | note | warn | error\r\n"
    "group = Response-Code\t# case does not matter\r\n"
    "summary = Peer refused #1 of the proposals = all of them\r\n";
  ipsecdiag_rules_t *rules = ipsecdiag_rules_new();
  GPtrArray *errors = new_errors();
  g_assert_cmpuint(load_text(rules, text, TRUE, errors), ==, 2);
  assert_errors(errors, NULL);
  g_assert_cmpuint(ipsecdiag_rules_count(rules), ==, 2);

  const ipsecdiag_rule_t *first = ipsecdiag_rules_nth(rules, 0);
  g_assert_nonnull(first);
  g_assert_true(first == ipsecdiag_rules_lookup(rules, "first_msg_unanswered"));
  g_assert_cmpstr(first->id, ==, "first_msg_unanswered");
  g_assert_cmpint(first->severity, ==, IPSECDIAG_SEV_ERROR);
  g_assert_cmpint(first->group, ==, IPSECDIAG_GROUP_SEQUENCE);
  g_assert_cmpstr(first->summary, ==,
                  "{message} to {peer} sent {count} times over {span} s, never answered");
  g_assert_cmpstr(first->cause, ==,
                  "The peer did not answer: it is down, unreachable, or drops the packets.");
  g_assert_cmpstr(first->remedy, ==, "Check that UDP 500 and 4500 reach the peer.");
  g_assert_cmpstr(first->references, ==, "RFC 7296 2.1; strongSwan retransmission settings");
  g_assert_cmpstr(first->file, ==, NAME);
  g_assert_cmpint(first->line, ==, 4);

  const ipsecdiag_rule_t *second = ipsecdiag_rules_nth(rules, 1);
  g_assert_nonnull(second);
  g_assert_cmpstr(second->id, ==, "no_proposal_chosen");
  g_assert_cmpint(second->severity, ==, IPSECDIAG_SEV_WARN);
  g_assert_cmpint(second->group, ==, IPSECDIAG_GROUP_RESPONSE_CODE);
  /* In text values '#' and '=' are ordinary characters. */
  g_assert_cmpstr(second->summary, ==, "Peer refused #1 of the proposals = all of them");
  g_assert_null(second->cause);
  g_assert_null(second->remedy);
  g_assert_null(second->references);
  g_assert_cmpint(second->line, ==, 14);

  g_assert_null(ipsecdiag_rules_nth(rules, 2));
  g_assert_null(ipsecdiag_rules_lookup(rules, "missing"));
  g_assert_null(ipsecdiag_rules_lookup(rules, NULL));
  g_ptr_array_free(errors, TRUE);
  ipsecdiag_rules_free(rules);
}

static void
test_names(void)
{
  static const struct {
    const char *name;
    ipsecdiag_severity_t severity;
  } severities[] = {
    { "chat", IPSECDIAG_SEV_CHAT }, { "note", IPSECDIAG_SEV_NOTE },
    { "warn", IPSECDIAG_SEV_WARN }, { "warning", IPSECDIAG_SEV_WARN },
    { "error", IPSECDIAG_SEV_ERROR },
  };
  static const char *const groups[] = {
    "sequence", "response-code", "protocol", "malformed", "security", "comments",
    "deprecated",
  };
  GString *text = g_string_new(NULL);
  for (guint i = 0; i < G_N_ELEMENTS(severities); i++)
    g_string_append_printf(text, "[sev_%u]\nseverity = %s\ngroup = comments\nsummary = s\n",
                           i, severities[i].name);
  for (guint i = 0; i < G_N_ELEMENTS(groups); i++)
    g_string_append_printf(text, "[group_%u]\nseverity = chat\ngroup = %s\nsummary = s\n",
                           i, groups[i]);
  ipsecdiag_rules_t *rules = ipsecdiag_rules_new();
  GPtrArray *errors = new_errors();
  load_text(rules, text->str, TRUE, errors);
  assert_errors(errors, NULL);
  for (guint i = 0; i < G_N_ELEMENTS(severities); i++) {
    char *id = g_strdup_printf("sev_%u", i);
    const ipsecdiag_rule_t *rule = ipsecdiag_rules_lookup(rules, id);
    g_assert_nonnull(rule);
    g_assert_cmpint(rule->severity, ==, severities[i].severity);
    g_free(id);
  }
  for (guint i = 0; i < G_N_ELEMENTS(groups); i++) {
    char *id = g_strdup_printf("group_%u", i);
    const ipsecdiag_rule_t *rule = ipsecdiag_rules_lookup(rules, id);
    g_assert_nonnull(rule);
    g_assert_cmpint(rule->group, ==, (ipsecdiag_group_t)i);
    g_assert_cmpstr(ipsecdiag_group_name(rule->group), ==, groups[i]);
    g_free(id);
  }
  g_assert_cmpstr(ipsecdiag_severity_name(IPSECDIAG_SEV_CHAT), ==, "chat");
  g_assert_cmpstr(ipsecdiag_severity_name(IPSECDIAG_SEV_NOTE), ==, "note");
  g_assert_cmpstr(ipsecdiag_severity_name(IPSECDIAG_SEV_WARN), ==, "warn");
  g_assert_cmpstr(ipsecdiag_severity_name(IPSECDIAG_SEV_ERROR), ==, "error");
  g_assert_cmpstr(ipsecdiag_severity_name((ipsecdiag_severity_t)42), ==, "unknown");
  g_assert_cmpstr(ipsecdiag_group_name((ipsecdiag_group_t)42), ==, "unknown");
  g_ptr_array_free(errors, TRUE);
  g_string_free(text, TRUE);
  ipsecdiag_rules_free(rules);
}

static void
test_byte_order_mark_and_empty(void)
{
  ipsecdiag_rules_t *rules = ipsecdiag_rules_new();
  GPtrArray *errors = new_errors();
  g_assert_cmpuint(load_text(rules, "\xEF\xBB\xBF" GOOD_RULE, TRUE, errors), ==, 1);
  g_assert_cmpuint(ipsecdiag_rules_load_data(rules, NAME, "", 0, TRUE, errors), ==, 0);
  g_assert_cmpuint(ipsecdiag_rules_load_data(rules, NAME, NULL, 0, TRUE, errors), ==, 0);
  g_assert_cmpuint(load_text(rules, "# only a comment\n\n", TRUE, errors), ==, 0);
  assert_errors(errors, NULL);
  assert_only_good_loaded(rules);
  /* A NULL errors array is allowed: problems are then only skipped. */
  g_assert_cmpuint(load_text(rules, "[good]\nsummary = again\n", TRUE, NULL), ==, 0);
  g_ptr_array_free(errors, TRUE);
  ipsecdiag_rules_free(rules);
}

static void
test_continuation(void)
{
  ipsecdiag_rules_t *rules = ipsecdiag_rules_new();
  GPtrArray *errors = new_errors();
  const char *text =
    "[joined]\n"
    "severity = \\\n"
    "  note\n"
    "group \\\n"
    "= protocol\n"
    "summary = a \\\n"
    "\n"                  /* an empty piece ends the value */
    "cause = b\\\n"
    "   \\\n"             /* a piece that is only a backslash adds nothing */
    "  c\n"
    "remedy = at the end \\";
  g_assert_cmpuint(load_text(rules, text, TRUE, errors), ==, 1);
  assert_errors(errors, NULL);
  const ipsecdiag_rule_t *rule = ipsecdiag_rules_lookup(rules, "joined");
  g_assert_nonnull(rule);
  g_assert_cmpint(rule->severity, ==, IPSECDIAG_SEV_NOTE);
  g_assert_cmpint(rule->group, ==, IPSECDIAG_GROUP_PROTOCOL);
  g_assert_cmpstr(rule->summary, ==, "a");
  g_assert_cmpstr(rule->cause, ==, "b c");
  g_assert_cmpstr(rule->remedy, ==, "at the end");
  g_ptr_array_free(errors, TRUE);
  ipsecdiag_rules_free(rules);
}

/* ---- errors: each one skips its rule, the rest loads ---- */

static void
test_error_unknown_severity(void)
{
  check_single_error("[a]\nseverity = fatal\ngroup = sequence\nsummary = s\n" GOOD_RULE,
                     NAME ":2: unknown severity 'fatal' (expected chat, note, warn or error)");
  check_single_error("[a]\nseverity =\ngroup = sequence\nsummary = s\n" GOOD_RULE,
                     NAME ":2: unknown severity '' (expected chat, note, warn or error)");
}

static void
test_error_unknown_group(void)
{
  check_single_error("[a]\nseverity = note\ngroup = sequences # typo\nsummary = s\n" GOOD_RULE,
                     NAME ":3: unknown group 'sequences' (expected sequence, response-code, "
                     "protocol, malformed, security, comments or deprecated)");
}

static void
test_error_missing_keys(void)
{
  ipsecdiag_rules_t *rules = ipsecdiag_rules_new();
  GPtrArray *errors = new_errors();
  g_assert_cmpuint(load_text(rules, "\n[a]\ncause = c\n" GOOD_RULE "[b]\ngroup = security\n",
                             TRUE, errors), ==, 1);
  assert_errors(errors,
                NAME ":2: rule 'a' lacks the required key 'severity'",
                NAME ":2: rule 'a' lacks the required key 'group'",
                NAME ":2: rule 'a' lacks the required key 'summary'",
                NAME ":8: rule 'b' lacks the required key 'severity'",
                NAME ":8: rule 'b' lacks the required key 'summary'",
                NULL);
  assert_only_good_loaded(rules);
  g_ptr_array_free(errors, TRUE);
  ipsecdiag_rules_free(rules);
}

static void
test_error_duplicate_key(void)
{
  check_single_error("[a]\nseverity = note\ngroup = sequence\nsummary = s\nseverity = error\n"
                     GOOD_RULE,
                     NAME ":5: duplicate key 'severity' (first set on line 2)");
}

static void
test_error_unknown_key(void)
{
  check_single_error("[a]\nseverity = note\ngroup = sequence\nsummary[de] = s\nsummary = s\n"
                     GOOD_RULE,
                     NAME ":4: unknown key 'summary[de]' (expected severity, group, summary, "
                     "cause, remedy or references)");
  check_single_error("[a]\nseverity = note\ngroup = sequence\nsummary = s\n= s\n" GOOD_RULE,
                     NAME ":5: missing key name before '='");
  check_single_error("[a]\nseverity = note\ngroup = sequence\nsummary = s\nno equals sign\n"
                     GOOD_RULE,
                     NAME ":5: expected 'key = value'");
}

static void
test_error_bad_id(void)
{
  /* The keys of a group with a bad header are skipped without more noise. */
  check_single_error("[Bad-Id]\nseverity = nonsense\n" GOOD_RULE,
                     NAME ":1: bad rule id 'Bad-Id' (ids are [a-z0-9_]+)");
  check_single_error("[]\nsummary = s\n" GOOD_RULE,
                     NAME ":1: bad rule id '' (ids are [a-z0-9_]+)");
  check_single_error("[ spaced ]\n" GOOD_RULE,
                     NAME ":1: bad rule id ' spaced ' (ids are [a-z0-9_]+)");
  check_single_error("[a\x1b[31m]\n" GOOD_RULE,
                     NAME ":1: bad rule id 'a?[31m' (ids are [a-z0-9_]+)");
  check_single_error("[unterminated\nsummary = s\n" GOOD_RULE,
                     NAME ":1: group header lacks the closing ']'");
  check_single_error("[a] # comment\nsummary = s\n" GOOD_RULE,
                     NAME ":1: group header lacks the closing ']'");

  /* Quoted user text is shortened. */
  GString *text = g_string_new("[");
  for (int i = 0; i < 100; i++)
    g_string_append(text, "\xC3\xA9");  /* é */
  g_string_append(text, "]\n" GOOD_RULE);
  GString *expected = g_string_new(NAME ":1: bad rule id '");
  for (int i = 0; i < 64; i++)
    g_string_append(expected, "\xC3\xA9");
  g_string_append(expected, "...' (ids are [a-z0-9_]+)");
  check_single_error(text->str, expected->str);
  g_string_free(text, TRUE);
  g_string_free(expected, TRUE);
}

static void
test_error_outside_group(void)
{
  check_single_error("# header comment\nseverity = error\n" GOOD_RULE,
                     NAME ":2: text outside a rule group (rules start with a [rule_id] line)");
}

static void
test_error_line_too_long(void)
{
  GString *text = g_string_new("[a]\nseverity = note\ngroup = sequence\nsummary = ");
  for (int i = 0; i < 5000; i++)
    g_string_append_c(text, 'x');
  g_string_append(text, "\n" GOOD_RULE);
  check_single_error(text->str, NAME ":4: line too long (5010 bytes; the limit is 4096)");
  g_string_free(text, TRUE);

  /* Exactly 4096 bytes (not counting CR LF) is fine. */
  text = g_string_new("[long]\nseverity = note\ngroup = sequence\nsummary = ");
  while (text->len - strlen("[long]\nseverity = note\ngroup = sequence\n") < 4096)
    g_string_append_c(text, 'y');
  g_string_append(text, "\r\n");
  ipsecdiag_rules_t *rules = ipsecdiag_rules_new();
  GPtrArray *errors = new_errors();
  g_assert_cmpuint(load_text(rules, text->str, TRUE, errors), ==, 1);
  assert_errors(errors, NULL);
  g_assert_cmpuint(strlen(ipsecdiag_rules_lookup(rules, "long")->summary), ==, 4096 - 10);
  g_string_free(text, TRUE);
  g_ptr_array_free(errors, TRUE);
  ipsecdiag_rules_free(rules);
}

static void
test_error_file_too_large(void)
{
  gsize len = 1024 * 1024 + 1;
  char *data = g_malloc(len);
  memset(data, '#', len);
  for (gsize i = 63; i < len; i += 64)
    data[i] = '\n';
  ipsecdiag_rules_t *rules = ipsecdiag_rules_new();
  GPtrArray *errors = new_errors();
  g_assert_cmpuint(ipsecdiag_rules_load_data(rules, NAME, data, len, TRUE, errors), ==, 0);
  assert_errors(errors, NAME ":0: file too large (1048577 bytes; the limit is 1048576)", NULL);

  /* One byte less is read (and is all comment). */
  g_ptr_array_set_size(errors, 0);
  g_assert_cmpuint(ipsecdiag_rules_load_data(rules, NAME, data, len - 1, TRUE, errors), ==, 0);
  assert_errors(errors, NULL);
  g_free(data);
  g_ptr_array_free(errors, TRUE);
  ipsecdiag_rules_free(rules);
}

static void
test_error_nul_byte(void)
{
  static const char text[] = "[a]\nseverity = note\ngroup = se\0quence\nsummary = s\n" GOOD_RULE;
  ipsecdiag_rules_t *rules = ipsecdiag_rules_new();
  GPtrArray *errors = new_errors();
  g_assert_cmpuint(ipsecdiag_rules_load_data(rules, NAME, text, sizeof text - 1, TRUE, errors),
                   ==, 1);
  assert_errors(errors, NAME ":3: NUL byte", NULL);
  assert_only_good_loaded(rules);

  /* A broken header line still starts a (skipped) group: the keys below
   * must not be taken for the previous rule's. */
  static const char header[] = GOOD_RULE "[b\0]\nsummary = s\n";
  g_ptr_array_set_size(errors, 0);
  ipsecdiag_rules_free(rules);
  rules = ipsecdiag_rules_new();
  g_assert_cmpuint(ipsecdiag_rules_load_data(rules, NAME, header, sizeof header - 1, TRUE,
                                             errors), ==, 1);
  assert_errors(errors, NAME ":5: NUL byte", NULL);
  assert_only_good_loaded(rules);
  g_assert_cmpstr(ipsecdiag_rules_lookup(rules, "good")->summary, ==, "fine");
  g_ptr_array_free(errors, TRUE);
  ipsecdiag_rules_free(rules);
}

static void
test_error_invalid_utf8(void)
{
  check_single_error("[a]\nseverity = note\ngroup = sequence\nsummary = caf\xE9\n" GOOD_RULE,
                     NAME ":4: invalid UTF-8");
  /* In a continuation piece: the whole key, hence the rule, is broken. */
  check_single_error("[a]\nseverity = note\ngroup = sequence\nsummary = one \\\n"
                     "tw\xC0\xAF \\\nthree\n" GOOD_RULE,
                     NAME ":5: invalid UTF-8");
  /* Outside any group it is only reported. */
  check_single_error("# \xFF\n" GOOD_RULE, NAME ":1: invalid UTF-8");
}

static void
test_error_empty_summary(void)
{
  check_single_error("[a]\nseverity = note\ngroup = sequence\nsummary =   \n" GOOD_RULE,
                     NAME ":4: empty summary");
}

static void
test_error_duplicate_rule(void)
{
  ipsecdiag_rules_t *rules = ipsecdiag_rules_new();
  GPtrArray *errors = new_errors();
  const char *first = "[a]\nseverity = note\ngroup = sequence\nsummary = first\n";
  g_assert_cmpuint(load_text(rules, first, TRUE, errors), ==, 1);
  g_assert_cmpuint(ipsecdiag_rules_load_data(rules, "other.rules", first, strlen(first), TRUE,
                                             errors), ==, 0);
  g_assert_cmpuint(load_text(rules, GOOD_RULE "\n[a]\nsummary = again\n", TRUE, errors), ==, 1);
  assert_errors(errors,
                "other.rules:1: duplicate rule 'a' (first defined at " NAME ":1)",
                NAME ":6: duplicate rule 'a' (first defined at " NAME ":1)",
                NULL);
  g_assert_cmpstr(ipsecdiag_rules_lookup(rules, "a")->summary, ==, "first");
  g_assert_cmpuint(ipsecdiag_rules_count(rules), ==, 2);
  g_ptr_array_free(errors, TRUE);
  ipsecdiag_rules_free(rules);
}

static void
test_error_too_many_rules(void)
{
  GString *text = g_string_new(NULL);
  for (int i = 0; i < 1025; i++)
    g_string_append_printf(text, "[r%d]\nseverity = chat\ngroup = comments\nsummary = s\n", i);
  ipsecdiag_rules_t *rules = ipsecdiag_rules_new();
  GPtrArray *errors = new_errors();
  g_assert_cmpuint(load_text(rules, text->str, TRUE, errors), ==, 1024);
  assert_errors(errors, NAME ":4097: too many rules (the limit is 1024); 'r1024' skipped", NULL);
  g_assert_cmpuint(ipsecdiag_rules_count(rules), ==, 1024);
  g_assert_null(ipsecdiag_rules_lookup(rules, "r1024"));
  g_assert_nonnull(ipsecdiag_rules_lookup(rules, "r1023"));

  /* Overrides still work when the catalog is full. */
  g_ptr_array_set_size(errors, 0);
  g_assert_cmpuint(load_text(rules, "[r5]\nseverity = error\n", FALSE, errors), ==, 1);
  assert_errors(errors, NULL);
  g_string_free(text, TRUE);
  g_ptr_array_free(errors, TRUE);
  ipsecdiag_rules_free(rules);
}

static void
test_error_limit_per_file(void)
{
  GString *text = g_string_new(NULL);
  for (int i = 0; i < 150; i++)
    g_string_append(text, "junk\n");
  g_string_append(text, GOOD_RULE);
  ipsecdiag_rules_t *rules = ipsecdiag_rules_new();
  GPtrArray *errors = new_errors();
  g_assert_cmpuint(load_text(rules, text->str, TRUE, errors), ==, 1);
  g_assert_cmpuint(errors->len, ==, 101);
  g_assert_cmpstr(g_ptr_array_index(errors, 99), ==,
                  NAME ":100: text outside a rule group (rules start with a [rule_id] line)");
  g_assert_cmpstr(g_ptr_array_index(errors, 100), ==,
                  NAME ":101: too many errors; further errors in this file are not reported");
  assert_only_good_loaded(rules);

  /* The limit is per file. */
  g_ptr_array_set_size(errors, 0);
  load_text(rules, "junk\n", TRUE, errors);
  assert_errors(errors,
                NAME ":1: text outside a rule group (rules start with a [rule_id] line)", NULL);
  g_string_free(text, TRUE);
  g_ptr_array_free(errors, TRUE);
  ipsecdiag_rules_free(rules);
}

static void
test_errors_several_in_one_rule(void)
{
  ipsecdiag_rules_t *rules = ipsecdiag_rules_new();
  GPtrArray *errors = new_errors();
  g_assert_cmpuint(load_text(rules, "[a]\nseverity = loud\ngroup = noise\ncolour = red\n"
                             GOOD_RULE, TRUE, errors), ==, 1);
  assert_errors(errors,
                NAME ":2: unknown severity 'loud' (expected chat, note, warn or error)",
                NAME ":3: unknown group 'noise' (expected sequence, response-code, protocol, "
                "malformed, security, comments or deprecated)",
                NAME ":4: unknown key 'colour' (expected severity, group, summary, cause, "
                "remedy or references)",
                NAME ":1: rule 'a' lacks the required key 'summary'",
                NULL);
  assert_only_good_loaded(rules);
  g_ptr_array_free(errors, TRUE);
  ipsecdiag_rules_free(rules);
}

/* ---- user overrides (allow_new FALSE) ---- */

static void
test_overrides(void)
{
  ipsecdiag_rules_t *rules = ipsecdiag_rules_new();
  GPtrArray *errors = new_errors();
  load_text(rules,
            "[a]\nseverity = error\ngroup = sequence\nsummary = sum a\ncause = cause a\n"
            "remedy = remedy a\nreferences = ref a\n"
            "[b]\nseverity = warn\ngroup = protocol\nsummary = sum b\n"
            "[c]\nseverity = chat\ngroup = comments\nsummary = sum c\n",
            TRUE, errors);
  assert_errors(errors, NULL);

  const char *user =
    "# my site's view\n"
    "[a]\n"
    "severity = note\n"
    "remedy = call the network team\n"
    "\n"
    "[zzz]\n"
    "summary = x\n"
    "\n"
    "[b]\n"
    "summary = changed\n"
    "group = bogus\n"
    "[c]\n"
    "[c]\n"
    "group = security\n"
    "summary = sum c2\n"
    "cause =\n";
  g_assert_cmpuint(ipsecdiag_rules_load_data(rules, "user.rules", user, strlen(user), FALSE,
                                             errors), ==, 2);
  assert_errors(errors,
                "user.rules:6: unknown rule 'zzz' (an override can only change an existing "
                "rule)",
                "user.rules:11: unknown group 'bogus' (expected sequence, response-code, "
                "protocol, malformed, security, comments or deprecated)",
                NULL);

  const ipsecdiag_rule_t *a = ipsecdiag_rules_lookup(rules, "a");
  g_assert_cmpint(a->severity, ==, IPSECDIAG_SEV_NOTE);
  g_assert_cmpint(a->group, ==, IPSECDIAG_GROUP_SEQUENCE);
  g_assert_cmpstr(a->summary, ==, "sum a");
  g_assert_cmpstr(a->cause, ==, "cause a");
  g_assert_cmpstr(a->remedy, ==, "call the network team");
  g_assert_cmpstr(a->references, ==, "ref a");
  g_assert_cmpstr(a->file, ==, "user.rules");
  g_assert_cmpint(a->line, ==, 2);

  /* A broken override changes nothing at all. */
  const ipsecdiag_rule_t *b = ipsecdiag_rules_lookup(rules, "b");
  g_assert_cmpstr(b->summary, ==, "sum b");
  g_assert_cmpint(b->group, ==, IPSECDIAG_GROUP_PROTOCOL);
  g_assert_cmpstr(b->file, ==, NAME);
  g_assert_cmpint(b->line, ==, 8);

  /* An empty group changes nothing; an empty value clears a text. */
  const ipsecdiag_rule_t *c = ipsecdiag_rules_lookup(rules, "c");
  g_assert_cmpint(c->group, ==, IPSECDIAG_GROUP_SECURITY);
  g_assert_cmpstr(c->summary, ==, "sum c2");
  g_assert_cmpstr(c->cause, ==, "");
  g_assert_cmpint(c->line, ==, 13);

  /* Overrides keep the order of first definition. */
  g_assert_true(ipsecdiag_rules_nth(rules, 0) == a);
  g_assert_true(ipsecdiag_rules_nth(rules, 1) == b);
  g_assert_true(ipsecdiag_rules_nth(rules, 2) == c);
  g_assert_cmpuint(ipsecdiag_rules_count(rules), ==, 3);

  /* Errors in an override are reported like in a catalog file. */
  g_ptr_array_set_size(errors, 0);
  const char *broken = "[a]\nsummary =\nsummary = s\nsource = me\n";
  g_assert_cmpuint(ipsecdiag_rules_load_data(rules, "user.rules", broken, strlen(broken), FALSE,
                                             errors), ==, 0);
  assert_errors(errors,
                "user.rules:2: empty summary",
                "user.rules:3: duplicate key 'summary' (first set on line 2)",
                "user.rules:4: unknown key 'source' (expected severity, group, summary, "
                "cause, remedy or references)",
                NULL);
  g_assert_cmpstr(a->summary, ==, "sum a");
  g_ptr_array_free(errors, TRUE);
  ipsecdiag_rules_free(rules);
}

/* ---- rendering ---- */

static void
assert_render(const char *template_text, const char *expected)
{
  static const char *const keys[] = { "peer", "count", "message", "empty", "nothing", NULL };
  static const char *const values[] = { "192.0.2.1", "5", "IKE_SA_INIT {peer}", "", NULL, NULL };
  char *rendered = ipsecdiag_rule_render(template_text, keys, values, 5);
  g_assert_cmpstr(rendered, ==, expected);
  g_free(rendered);
}

static void
test_render(void)
{
  assert_render("", "");
  assert_render("no placeholders", "no placeholders");
  assert_render("{message} to {peer} sent {count} times",
                "IKE_SA_INIT {peer} to 192.0.2.1 sent 5 times");
  assert_render("{peer}{peer}", "192.0.2.1192.0.2.1");
  assert_render("[{empty}]", "[]");
  /* Unknown names and values given as NULL stay as written. */
  assert_render("{unknown} and {nothing}", "{unknown} and {nothing}");
  assert_render("{Peer}", "{Peer}");
  /* Doubled braces are literal ones. */
  assert_render("{{peer}} is {{{peer}}}", "{peer} is {192.0.2.1}");
  assert_render("}} {{", "} {");
  /* Anything that is not {name} is ordinary text. */
  assert_render("{", "{");
  assert_render("}", "}");
  assert_render("{}", "{}");
  assert_render("{ peer }", "{ peer }");
  assert_render("{peer-ip}", "{peer-ip}");
  assert_render("unterminated {peer", "unterminated {peer");
  assert_render("{{peer", "{peer");
  assert_render("a {{{ b", "a {{ b");
  assert_render("{a{peer}", "{a192.0.2.1");
  assert_render("tail {", "tail {");

  char *rendered = ipsecdiag_rule_render("{peer}", NULL, NULL, 0);
  g_assert_cmpstr(rendered, ==, "{peer}");
  g_free(rendered);
  rendered = ipsecdiag_rule_render(NULL, NULL, NULL, 0);
  g_assert_cmpstr(rendered, ==, "");
  g_free(rendered);
  /* Only the first n entries count; the first of duplicate keys wins. */
  static const char *const keys[] = { "x", "x", "y" };
  static const char *const values[] = { "1", "2", "3" };
  rendered = ipsecdiag_rule_render("{x}{y}", keys, values, 2);
  g_assert_cmpstr(rendered, ==, "1{y}");
  g_free(rendered);
}

/* ---- files and directories ---- */

static void
write_file(const char *dir, const char *name, const char *contents)
{
  char *path = g_build_filename(dir, name, NULL);
  GError *error = NULL;
  g_file_set_contents(path, contents, -1, &error);
  g_assert_no_error(error);
  g_free(path);
}

static void
remove_tree(const char *dir)
{
  GDir *handle = g_dir_open(dir, 0, NULL);
  g_assert_nonnull(handle);
  const char *name;
  while ((name = g_dir_read_name(handle)) != NULL) {
    char *path = g_build_filename(dir, name, NULL);
    g_assert_cmpint(g_remove(path), ==, 0);
    g_free(path);
  }
  g_dir_close(handle);
  g_assert_cmpint(g_rmdir(dir), ==, 0);
}

static void
test_load_dir(void)
{
  GError *error = NULL;
  char *dir = g_dir_make_tmp("ipsecdiag-rules-XXXXXX", &error);
  g_assert_no_error(error);
  write_file(dir, "b.rules",
             "[rule_b]\nseverity = note\ngroup = protocol\nsummary = b\n"
             "[shared]\nseverity = note\ngroup = protocol\nsummary = from b\n");
  write_file(dir, "a.rules",
             "# first after 10-*\n"
             "[shared]\nseverity = note\ngroup = protocol\nsummary = from a\n"
             "[rule_a]\nseverity = note\ngroup = protocol\nsummary = a\n");
  write_file(dir, "10-first.rules", "[rule_10]\nseverity = note\ngroup = protocol\nsummary = 10\n");
  write_file(dir, "B.rules", "[rule_upper_b]\nseverity = note\ngroup = protocol\nsummary = B\n");
  write_file(dir, "notes.txt", "not a rules file\n");
  write_file(dir, "a.rules~", "not a rules file\n");
  write_file(dir, ".#a.rules", "an editor's lock file\n");

  ipsecdiag_rules_t *rules = ipsecdiag_rules_new();
  GPtrArray *errors = new_errors();
  g_assert_cmpuint(ipsecdiag_rules_load_dir(rules, dir, TRUE, FALSE, errors), ==, 5);
  char *b_path = g_build_filename(dir, "b.rules", NULL);
  char *a_path = g_build_filename(dir, "a.rules", NULL);
  char *expected = g_strdup_printf("%s:5: duplicate rule 'shared' (first defined at %s:2)",
                                   b_path, a_path);
  assert_errors(errors, expected, NULL);
  g_free(expected);

  /* Byte order: digits, upper case, lower case. */
  static const char *const order[] = { "rule_10", "rule_upper_b", "shared", "rule_a", "rule_b" };
  g_assert_cmpuint(ipsecdiag_rules_count(rules), ==, G_N_ELEMENTS(order));
  for (guint i = 0; i < G_N_ELEMENTS(order); i++)
    g_assert_cmpstr(ipsecdiag_rules_nth(rules, i)->id, ==, order[i]);
  g_assert_cmpstr(ipsecdiag_rules_lookup(rules, "shared")->summary, ==, "from a");
  g_assert_cmpstr(ipsecdiag_rules_lookup(rules, "shared")->file, ==, a_path);

  /* A user override directory on top. */
  char *user_dir = g_dir_make_tmp("ipsecdiag-user-XXXXXX", &error);
  g_assert_no_error(error);
  write_file(user_dir, "2-late.rules", "[rule_a]\nsummary = second override\n");
  write_file(user_dir, "1-early.rules", "[rule_a]\nsummary = first override\nseverity = error\n");
  g_ptr_array_set_size(errors, 0);
  g_assert_cmpuint(ipsecdiag_rules_load_dir(rules, user_dir, FALSE, TRUE, errors), ==, 2);
  assert_errors(errors, NULL);
  const ipsecdiag_rule_t *rule_a = ipsecdiag_rules_lookup(rules, "rule_a");
  g_assert_cmpstr(rule_a->summary, ==, "second override");
  g_assert_cmpint(rule_a->severity, ==, IPSECDIAG_SEV_ERROR);
  char *late_path = g_build_filename(user_dir, "2-late.rules", NULL);
  g_assert_cmpstr(rule_a->file, ==, late_path);
  g_free(late_path);

  /* A missing directory: silent when optional, an error otherwise. */
  char *missing = g_build_filename(dir, "missing", NULL);
  g_ptr_array_set_size(errors, 0);
  g_assert_cmpuint(ipsecdiag_rules_load_dir(rules, missing, FALSE, TRUE, errors), ==, 0);
  assert_errors(errors, NULL);
  g_assert_cmpuint(ipsecdiag_rules_load_dir(rules, missing, FALSE, FALSE, errors), ==, 0);
  g_assert_cmpuint(errors->len, ==, 1);
  char *prefix = g_strdup_printf("%s:0: cannot open directory: ", missing);
  g_assert_true(g_str_has_prefix(g_ptr_array_index(errors, 0), prefix));
  g_free(prefix);
  g_free(missing);

  remove_tree(user_dir);
  remove_tree(dir);
  g_free(user_dir);
  g_free(dir);
  g_free(a_path);
  g_free(b_path);
  g_ptr_array_free(errors, TRUE);
  ipsecdiag_rules_free(rules);
}

static void
test_load_file(void)
{
  GError *error = NULL;
  char *dir = g_dir_make_tmp("ipsecdiag-file-XXXXXX", &error);
  g_assert_no_error(error);
  write_file(dir, "good.rules", GOOD_RULE);
  char *big_contents = g_malloc(2 * 1024 * 1024 + 1);
  memset(big_contents, '#', 2 * 1024 * 1024);
  big_contents[2 * 1024 * 1024] = '\0';
  write_file(dir, "big.rules", big_contents);
  g_free(big_contents);

  ipsecdiag_rules_t *rules = ipsecdiag_rules_new();
  GPtrArray *errors = new_errors();
  char *good = g_build_filename(dir, "good.rules", NULL);
  char *big = g_build_filename(dir, "big.rules", NULL);
  char *missing = g_build_filename(dir, "missing.rules", NULL);
  g_assert_cmpuint(ipsecdiag_rules_load_file(rules, good, TRUE, errors), ==, 1);
  g_assert_cmpuint(ipsecdiag_rules_load_file(rules, big, TRUE, errors), ==, 0);
  g_assert_cmpuint(ipsecdiag_rules_load_file(rules, missing, TRUE, errors), ==, 0);
  g_assert_cmpuint(ipsecdiag_rules_load_file(rules, dir, TRUE, errors), ==, 0);
  g_assert_cmpuint(errors->len, ==, 3);
  /* Reading stops after the limit, so the size shown is limit + 1. */
  char *expected = g_strdup_printf("%s:0: file too large (1048577 bytes; the limit is 1048576)",
                                   big);
  g_assert_cmpstr(g_ptr_array_index(errors, 0), ==, expected);
  g_free(expected);
  expected = g_strdup_printf("%s:0: cannot read: ", missing);
  g_assert_true(g_str_has_prefix(g_ptr_array_index(errors, 1), expected));
  g_free(expected);
  expected = g_strdup_printf("%s:0: cannot read: ", dir);
  g_assert_true(g_str_has_prefix(g_ptr_array_index(errors, 2), expected));
  g_free(expected);
  assert_only_good_loaded(rules);
  g_assert_cmpstr(ipsecdiag_rules_lookup(rules, "good")->file, ==, good);

  remove_tree(dir);
  g_free(good);
  g_free(big);
  g_free(missing);
  g_free(dir);
  g_ptr_array_free(errors, TRUE);
  ipsecdiag_rules_free(rules);
}

/* The catalog the project ships must load without a single error. */
static void
test_shipped_catalog(void)
{
  char *dir = g_build_filename(IPSECDIAG_SOURCE_DIR, "rules", NULL);
  ipsecdiag_rules_t *rules = ipsecdiag_rules_new();
  GPtrArray *errors = new_errors();
  ipsecdiag_rules_load_dir(rules, dir, TRUE, TRUE, errors);
  for (guint i = 0; i < errors->len; i++)
    g_test_message("%s", (const char *)g_ptr_array_index(errors, i));
  g_assert_cmpuint(errors->len, ==, 0);
  if (ipsecdiag_rules_count(rules) == 0)
    g_test_skip("no rules files in the source tree yet");
  for (guint i = 0; i < ipsecdiag_rules_count(rules); i++) {
    const ipsecdiag_rule_t *rule = ipsecdiag_rules_nth(rules, i);
    g_assert_nonnull(rule->summary);
    g_assert_cmpstr(rule->summary, !=, "");
  }
  g_ptr_array_free(errors, TRUE);
  ipsecdiag_rules_free(rules);
  g_free(dir);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/rules/load/good", test_good_file);
  g_test_add_func("/rules/load/names", test_names);
  g_test_add_func("/rules/load/bom-and-empty", test_byte_order_mark_and_empty);
  g_test_add_func("/rules/load/continuation", test_continuation);
  g_test_add_func("/rules/error/unknown-severity", test_error_unknown_severity);
  g_test_add_func("/rules/error/unknown-group", test_error_unknown_group);
  g_test_add_func("/rules/error/missing-keys", test_error_missing_keys);
  g_test_add_func("/rules/error/duplicate-key", test_error_duplicate_key);
  g_test_add_func("/rules/error/unknown-key", test_error_unknown_key);
  g_test_add_func("/rules/error/bad-id", test_error_bad_id);
  g_test_add_func("/rules/error/outside-group", test_error_outside_group);
  g_test_add_func("/rules/error/line-too-long", test_error_line_too_long);
  g_test_add_func("/rules/error/file-too-large", test_error_file_too_large);
  g_test_add_func("/rules/error/nul-byte", test_error_nul_byte);
  g_test_add_func("/rules/error/invalid-utf8", test_error_invalid_utf8);
  g_test_add_func("/rules/error/empty-summary", test_error_empty_summary);
  g_test_add_func("/rules/error/duplicate-rule", test_error_duplicate_rule);
  g_test_add_func("/rules/error/too-many-rules", test_error_too_many_rules);
  g_test_add_func("/rules/error/limit-per-file", test_error_limit_per_file);
  g_test_add_func("/rules/error/several-in-one-rule", test_errors_several_in_one_rule);
  g_test_add_func("/rules/override", test_overrides);
  g_test_add_func("/rules/render", test_render);
  g_test_add_func("/rules/load-dir", test_load_dir);
  g_test_add_func("/rules/load-file", test_load_file);
  g_test_add_func("/rules/shipped-catalog", test_shipped_catalog);
  return g_test_run();
}
