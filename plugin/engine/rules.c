/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag: loader of the rules catalog (the .rules files and user overrides)
 * and the {placeholder} renderer. See include/ipsecdiag/rules.h.
 *
 * The syntax is the GLib key-file one, but parsed here line by line rather
 * than with GKeyFile so that every problem names FILE:LINE and a broken rule
 * can be skipped without losing the rest of the file. Additions to plain
 * key-file syntax:
 *  - a line ending in '\' continues on the next line; the pieces are joined
 *    with one space (there are no other escapes);
 *  - the severity and group values may carry a trailing "# comment", as in
 *    the example of rules.h (text values may not: '#' is ordinary text there).
 * Errors about a file as a whole (unreadable, too large) use line 0.
 */
#include "ipsecdiag/rules.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>

#define MAX_RULES 1024
#define MAX_LINE_BYTES 4096
#define MAX_FILE_BYTES (1024 * 1024)
/* A garbage file would otherwise produce one message per line. */
#define MAX_ERRORS_PER_FILE 100
/* Longest piece of user text quoted back in a message. */
#define MAX_QUOTED_CHARS 64

struct ipsecdiag_rules {
  GPtrArray *in_order;   /* ipsecdiag_rule_t *, owned */
  GHashTable *by_id;     /* rule->id -> rule, borrowed */
};

typedef enum {
  KEY_SEVERITY = 0,
  KEY_GROUP,
  KEY_SUMMARY,
  KEY_CAUSE,
  KEY_REMEDY,
  KEY_REFERENCES,
  KEY_COUNT
} rule_key_t;

static const char *const key_names[KEY_COUNT] = {
  "severity", "group", "summary", "cause", "remedy", "references",
};

static const char *const severity_names[] = {
  [IPSECDIAG_SEV_CHAT] = "chat",
  [IPSECDIAG_SEV_NOTE] = "note",
  [IPSECDIAG_SEV_WARN] = "warn",
  [IPSECDIAG_SEV_ERROR] = "error",
};

static const char *const group_names[] = {
  [IPSECDIAG_GROUP_SEQUENCE] = "sequence",
  [IPSECDIAG_GROUP_RESPONSE_CODE] = "response-code",
  [IPSECDIAG_GROUP_PROTOCOL] = "protocol",
  [IPSECDIAG_GROUP_MALFORMED] = "malformed",
  [IPSECDIAG_GROUP_SECURITY] = "security",
  [IPSECDIAG_GROUP_COMMENTS] = "comments",
  [IPSECDIAG_GROUP_DEPRECATED] = "deprecated",
};

/* The [group] being read, committed when the next one starts or at EOF. */
typedef struct {
  gboolean active;         /* a [header] has been seen */
  gboolean skip_body;      /* bad header: ignore its keys without more noise */
  gboolean broken;         /* an error was reported: do not commit */
  gboolean unreadable_line; /* keys unknown: do not claim any is missing */
  char *id;
  int header_line;
  ipsecdiag_rule_t *target; /* existing rule being overridden (allow_new FALSE) */
  int key_line[KEY_COUNT];  /* 0 = key not seen */
  ipsecdiag_severity_t severity;
  ipsecdiag_group_t group;
  char *text[KEY_COUNT];    /* only for the free-text keys */
} pending_rule_t;

typedef struct {
  ipsecdiag_rules_t *rules;
  const char *name;
  gboolean allow_new;
  GPtrArray *errors;
  guint error_count;
  guint changed;
  pending_rule_t pending;
} parse_ctx_t;

/* ---- messages ---- */

static void G_GNUC_PRINTF(3, 4)
report(parse_ctx_t *ctx, int line, const char *format, ...)
{
  ctx->error_count++;
  if (ctx->error_count > MAX_ERRORS_PER_FILE + 1 || ctx->errors == NULL)
    return;
  if (ctx->error_count == MAX_ERRORS_PER_FILE + 1) {
    g_ptr_array_add(ctx->errors,
                    g_strdup_printf("%s:%d: too many errors; further errors in this file "
                                    "are not reported", ctx->name, line));
    return;
  }
  va_list args;
  va_start(args, format);
  char *message = g_strdup_vprintf(format, args);
  va_end(args);
  g_ptr_array_add(ctx->errors, g_strdup_printf("%s:%d: %s", ctx->name, line, message));
  g_free(message);
}

/* User text for a message: shortened, and with control characters replaced
 * so that a rules file cannot send escape sequences to a terminal. The
 * input is valid UTF-8 (lines are checked before they are parsed). */
static char *
quote_user_text(const char *text, gsize len)
{
  GString *out = g_string_sized_new(MIN(len, 4 * MAX_QUOTED_CHARS) + 4);
  const char *p = text;
  const char *end = text + len;
  guint chars = 0;
  while (p < end) {
    if (chars == MAX_QUOTED_CHARS) {
      g_string_append(out, "...");
      break;
    }
    const char *next = g_utf8_find_next_char(p, end);
    if (next == NULL)
      next = end;
    if (next - p == 1 && g_ascii_iscntrl(*p))
      g_string_append_c(out, '?');
    else
      g_string_append_len(out, p, next - p);
    p = next;
    chars++;
  }
  return g_string_free(out, FALSE);
}

/* ---- rule objects ---- */

static void
rule_free(gpointer data)
{
  ipsecdiag_rule_t *rule = data;
  if (rule == NULL)
    return;
  g_free(rule->id);
  g_free(rule->summary);
  g_free(rule->cause);
  g_free(rule->remedy);
  g_free(rule->references);
  g_free(rule->file);
  g_free(rule);
}

ipsecdiag_rules_t *
ipsecdiag_rules_new(void)
{
  ipsecdiag_rules_t *rules = g_new0(ipsecdiag_rules_t, 1);
  rules->in_order = g_ptr_array_new_with_free_func(rule_free);
  rules->by_id = g_hash_table_new(g_str_hash, g_str_equal);
  return rules;
}

void
ipsecdiag_rules_free(ipsecdiag_rules_t *rules)
{
  if (rules == NULL)
    return;
  g_hash_table_destroy(rules->by_id);
  g_ptr_array_free(rules->in_order, TRUE);
  g_free(rules);
}

guint
ipsecdiag_rules_count(const ipsecdiag_rules_t *rules)
{
  return rules != NULL ? rules->in_order->len : 0;
}

const ipsecdiag_rule_t *
ipsecdiag_rules_nth(const ipsecdiag_rules_t *rules, guint index)
{
  if (rules == NULL || index >= rules->in_order->len)
    return NULL;
  return g_ptr_array_index(rules->in_order, index);
}

const ipsecdiag_rule_t *
ipsecdiag_rules_lookup(const ipsecdiag_rules_t *rules, const char *id)
{
  if (rules == NULL || id == NULL)
    return NULL;
  return g_hash_table_lookup(rules->by_id, id);
}

const char *
ipsecdiag_severity_name(ipsecdiag_severity_t severity)
{
  if ((guint)severity < G_N_ELEMENTS(severity_names))
    return severity_names[severity];
  return "unknown";
}

const char *
ipsecdiag_group_name(ipsecdiag_group_t group)
{
  if ((guint)group < G_N_ELEMENTS(group_names))
    return group_names[group];
  return "unknown";
}

/* ---- parsing helpers ---- */

static gboolean
is_blank(char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static void
trim(const char **start, const char **end)
{
  while (*start < *end && is_blank(**start))
    (*start)++;
  while (*end > *start && is_blank((*end)[-1]))
    (*end)--;
}

static gboolean
is_valid_id(const char *id, gsize len)
{
  if (len == 0)
    return FALSE;
  for (gsize i = 0; i < len; i++) {
    char c = id[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
      return FALSE;
  }
  return TRUE;
}

static int
key_from_name(const char *name, gsize len)
{
  for (int key = 0; key < KEY_COUNT; key++) {
    if (strlen(key_names[key]) == len && memcmp(key_names[key], name, len) == 0)
      return key;
  }
  return -1;
}

/* Severity and group values: "error", "error   # comment". */
static char *
enum_value_text(const char *value)
{
  const char *start = value;
  const char *end = value + strlen(value);
  for (const char *p = start; p < end; p++) {
    if (*p == '#' && p > start && is_blank(p[-1])) {
      end = p;
      break;
    }
  }
  trim(&start, &end);
  return g_strndup(start, end - start);
}

static gboolean
parse_severity(const char *text, ipsecdiag_severity_t *severity)
{
  for (guint i = 0; i < G_N_ELEMENTS(severity_names); i++) {
    if (g_ascii_strcasecmp(text, severity_names[i]) == 0) {
      *severity = (ipsecdiag_severity_t)i;
      return TRUE;
    }
  }
  if (g_ascii_strcasecmp(text, "warning") == 0) {
    *severity = IPSECDIAG_SEV_WARN;
    return TRUE;
  }
  return FALSE;
}

static gboolean
parse_group(const char *text, ipsecdiag_group_t *group)
{
  for (guint i = 0; i < G_N_ELEMENTS(group_names); i++) {
    if (g_ascii_strcasecmp(text, group_names[i]) == 0) {
      *group = (ipsecdiag_group_t)i;
      return TRUE;
    }
  }
  return FALSE;
}

/* ---- the group being read ---- */

static void
pending_clear(pending_rule_t *pending)
{
  g_free(pending->id);
  for (int key = 0; key < KEY_COUNT; key++)
    g_free(pending->text[key]);
  memset(pending, 0, sizeof *pending);
}

static void
replace_text(char **field, char **value)
{
  g_free(*field);
  *field = *value;
  *value = NULL;
}

static void
pending_commit(parse_ctx_t *ctx)
{
  pending_rule_t *pending = &ctx->pending;
  if (!pending->active || pending->skip_body) {
    pending_clear(pending);
    return;
  }

  if (pending->target == NULL && !pending->unreadable_line) {
    /* New rule: report every missing required key, then skip if any. */
    static const rule_key_t required[] = { KEY_SEVERITY, KEY_GROUP, KEY_SUMMARY };
    for (guint i = 0; i < G_N_ELEMENTS(required); i++) {
      if (pending->key_line[required[i]] == 0) {
        report(ctx, pending->header_line, "rule '%s' lacks the required key '%s'",
               pending->id, key_names[required[i]]);
        pending->broken = TRUE;
      }
    }
  }
  if (pending->broken) {
    pending_clear(pending);
    return;
  }

  ipsecdiag_rule_t *rule = pending->target;
  if (rule == NULL) {
    rule = g_new0(ipsecdiag_rule_t, 1);
    rule->id = pending->id;
    pending->id = NULL;
    g_ptr_array_add(ctx->rules->in_order, rule);
    g_hash_table_insert(ctx->rules->by_id, rule->id, rule);
  } else {
    gboolean any_key = FALSE;
    for (int key = 0; key < KEY_COUNT; key++)
      any_key = any_key || pending->key_line[key] != 0;
    if (!any_key) {
      pending_clear(pending);
      return;
    }
  }

  if (pending->key_line[KEY_SEVERITY] != 0)
    rule->severity = pending->severity;
  if (pending->key_line[KEY_GROUP] != 0)
    rule->group = pending->group;
  if (pending->key_line[KEY_SUMMARY] != 0)
    replace_text(&rule->summary, &pending->text[KEY_SUMMARY]);
  if (pending->key_line[KEY_CAUSE] != 0)
    replace_text(&rule->cause, &pending->text[KEY_CAUSE]);
  if (pending->key_line[KEY_REMEDY] != 0)
    replace_text(&rule->remedy, &pending->text[KEY_REMEDY]);
  if (pending->key_line[KEY_REFERENCES] != 0)
    replace_text(&rule->references, &pending->text[KEY_REFERENCES]);
  g_free(rule->file);
  rule->file = g_strdup(ctx->name);
  rule->line = pending->header_line;
  ctx->changed++;
  pending_clear(pending);
}

/* A line starting with '['. line_ok is FALSE when the line itself was
 * already reported (too long, NUL, bad UTF-8): the group is then skipped. */
static void
handle_header(parse_ctx_t *ctx, int line_no, const char *start, const char *end,
              gboolean line_ok)
{
  pending_commit(ctx);
  pending_rule_t *pending = &ctx->pending;
  pending->active = TRUE;
  pending->header_line = line_no;
  if (!line_ok) {
    pending->skip_body = TRUE;
    return;
  }
  if (end - start < 2 || end[-1] != ']') {
    report(ctx, line_no, "group header lacks the closing ']'");
    pending->skip_body = TRUE;
    return;
  }
  const char *id = start + 1;
  gsize id_len = (gsize)(end - 1 - id);
  if (!is_valid_id(id, id_len)) {
    char *quoted = quote_user_text(id, id_len);
    report(ctx, line_no, "bad rule id '%s' (ids are [a-z0-9_]+)", quoted);
    g_free(quoted);
    pending->skip_body = TRUE;
    return;
  }
  pending->id = g_strndup(id, id_len);

  ipsecdiag_rule_t *existing = g_hash_table_lookup(ctx->rules->by_id, pending->id);
  if (ctx->allow_new) {
    if (existing != NULL) {
      report(ctx, line_no, "duplicate rule '%s' (first defined at %s:%d)",
             pending->id, existing->file, existing->line);
      pending->skip_body = TRUE;
    } else if (ctx->rules->in_order->len >= MAX_RULES) {
      report(ctx, line_no, "too many rules (the limit is %d); '%s' skipped",
             MAX_RULES, pending->id);
      pending->skip_body = TRUE;
    }
  } else if (existing == NULL) {
    report(ctx, line_no, "unknown rule '%s' (an override can only change an existing rule)",
           pending->id);
    pending->skip_body = TRUE;
  } else {
    pending->target = existing;
  }
}

/* A "key = value" logical line (continuations already joined). */
static void
handle_key_value(parse_ctx_t *ctx, int line_no, const char *start, const char *end)
{
  pending_rule_t *pending = &ctx->pending;
  if (!pending->active) {
    report(ctx, line_no, "text outside a rule group (rules start with a [rule_id] line)");
    return;
  }
  if (pending->skip_body)
    return;

  const char *equals = memchr(start, '=', (gsize)(end - start));
  if (equals == NULL) {
    report(ctx, line_no, "expected 'key = value'");
    pending->broken = TRUE;
    return;
  }
  const char *key_start = start, *key_end = equals;
  const char *value_start = equals + 1, *value_end = end;
  trim(&key_start, &key_end);
  trim(&value_start, &value_end);
  if (key_start == key_end) {
    report(ctx, line_no, "missing key name before '='");
    pending->broken = TRUE;
    return;
  }
  int key = key_from_name(key_start, (gsize)(key_end - key_start));
  if (key < 0) {
    char *quoted = quote_user_text(key_start, (gsize)(key_end - key_start));
    report(ctx, line_no, "unknown key '%s' (expected severity, group, summary, cause, "
           "remedy or references)", quoted);
    g_free(quoted);
    pending->broken = TRUE;
    return;
  }
  if (pending->key_line[key] != 0) {
    report(ctx, line_no, "duplicate key '%s' (first set on line %d)", key_names[key],
           pending->key_line[key]);
    pending->broken = TRUE;
    return;
  }
  pending->key_line[key] = line_no;

  char *value = g_strndup(value_start, (gsize)(value_end - value_start));
  switch ((rule_key_t)key) {
  case KEY_SEVERITY:
  case KEY_GROUP: {
    char *name = enum_value_text(value);
    gboolean ok = key == KEY_SEVERITY ? parse_severity(name, &pending->severity)
                                      : parse_group(name, &pending->group);
    if (!ok) {
      char *quoted = quote_user_text(name, strlen(name));
      if (key == KEY_SEVERITY)
        report(ctx, line_no, "unknown severity '%s' (expected chat, note, warn or error)",
               quoted);
      else
        report(ctx, line_no, "unknown group '%s' (expected sequence, response-code, "
               "protocol, malformed, security, comments or deprecated)", quoted);
      g_free(quoted);
      pending->broken = TRUE;
    }
    g_free(name);
    g_free(value);
    break;
  }
  case KEY_SUMMARY:
    if (*value == '\0') {
      report(ctx, line_no, "empty summary");
      pending->broken = TRUE;
    }
    pending->text[key] = value;
    break;
  case KEY_CAUSE:
  case KEY_REMEDY:
  case KEY_REFERENCES:
    pending->text[key] = value;
    break;
  case KEY_COUNT:
    g_assert_not_reached();
  }
}

/* Splits data into physical lines, one call per line. */
typedef struct {
  const char *pos;
  const char *end;
  int line_no;
} line_reader_t;

static gboolean
next_line(line_reader_t *reader, const char **start, const char **end)
{
  if (reader->pos >= reader->end)
    return FALSE;
  const char *newline = memchr(reader->pos, '\n', (gsize)(reader->end - reader->pos));
  const char *line_end = newline != NULL ? newline : reader->end;
  *start = reader->pos;
  *end = line_end;
  if (*end > *start && (*end)[-1] == '\r')
    (*end)--;
  reader->pos = newline != NULL ? newline + 1 : reader->end;
  reader->line_no++;
  return TRUE;
}

/* Length, NUL and UTF-8 checks of one physical line; reports the first
 * problem found. */
static gboolean
check_line(parse_ctx_t *ctx, int line_no, const char *start, const char *end)
{
  gsize len = (gsize)(end - start);
  if (len > MAX_LINE_BYTES) {
    report(ctx, line_no, "line too long (%" G_GSIZE_FORMAT " bytes; the limit is %d)",
           len, MAX_LINE_BYTES);
    return FALSE;
  }
  if (memchr(start, '\0', len) != NULL) {
    report(ctx, line_no, "NUL byte");
    return FALSE;
  }
  if (!g_utf8_validate(start, (gssize)len, NULL)) {
    report(ctx, line_no, "invalid UTF-8");
    return FALSE;
  }
  return TRUE;
}

/* Drops a trailing backslash (and the blanks before it) from a trimmed piece;
 * TRUE if there was one. */
static gboolean
strip_continuation(const char *start, const char **end)
{
  if (*end == start || (*end)[-1] != '\\')
    return FALSE;
  (*end)--;
  while (*end > start && is_blank((*end)[-1]))
    (*end)--;
  return TRUE;
}

/* After a line that could not be read (already reported). */
static void
mark_current_unreadable(parse_ctx_t *ctx)
{
  if (ctx->pending.active) {
    ctx->pending.broken = TRUE;
    ctx->pending.unreadable_line = TRUE;
  }
}

guint
ipsecdiag_rules_load_data(ipsecdiag_rules_t *rules, const char *name, const char *data,
                          gsize len, gboolean allow_new, GPtrArray *errors)
{
  g_return_val_if_fail(rules != NULL, 0);
  parse_ctx_t ctx = {
    .rules = rules,
    .name = name != NULL ? name : "(data)",
    .allow_new = allow_new,
    .errors = errors,
  };
  if (len > MAX_FILE_BYTES) {
    report(&ctx, 0, "file too large (%" G_GSIZE_FORMAT " bytes; the limit is %d)", len,
           MAX_FILE_BYTES);
    return 0;
  }
  if (data == NULL) {
    data = "";
    len = 0;
  }
  /* Editors on some systems start UTF-8 files with a byte order mark. */
  if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
    data += 3;
    len -= 3;
  }

  line_reader_t reader = { .pos = data, .end = data + len, .line_no = 0 };
  const char *start, *end;
  GString *logical = g_string_new(NULL);
  while (next_line(&reader, &start, &end)) {
    int line_no = reader.line_no;
    gboolean line_ok = check_line(&ctx, line_no, start, end);
    const char *first = start, *last = end;
    trim(&first, &last);
    if (first < last && *first == '[') {
      handle_header(&ctx, line_no, first, last, line_ok);
      continue;
    }
    if (!line_ok) {
      mark_current_unreadable(&ctx);
      continue;
    }
    if (first == last || *first == '#' || *first == ';')
      continue;

    /* key = value, possibly continued by a trailing backslash. */
    gboolean continued = strip_continuation(first, &last);
    g_string_truncate(logical, 0);
    g_string_append_len(logical, first, last - first);
    gboolean pieces_ok = TRUE;
    while (continued && next_line(&reader, &start, &end)) {
      gboolean piece_ok = check_line(&ctx, reader.line_no, start, end);
      trim(&start, &end);
      continued = strip_continuation(start, &end);
      if (!piece_ok) {
        pieces_ok = FALSE;
        continue;
      }
      if (start < end && logical->len > 0)
        g_string_append_c(logical, ' ');
      g_string_append_len(logical, start, end - start);
    }
    if (!pieces_ok) {
      mark_current_unreadable(&ctx);
      continue;
    }
    handle_key_value(&ctx, line_no, logical->str, logical->str + logical->len);
  }
  pending_commit(&ctx);
  g_string_free(logical, TRUE);
  return ctx.changed;
}

/* Reads at most MAX_FILE_BYTES + 1 bytes so that a huge file is rejected
 * without being read whole. */
guint
ipsecdiag_rules_load_file(ipsecdiag_rules_t *rules, const char *path, gboolean allow_new,
                          GPtrArray *errors)
{
  g_return_val_if_fail(rules != NULL && path != NULL, 0);
  FILE *file = g_fopen(path, "rb");
  if (file == NULL) {
    int saved_errno = errno;
    if (errors != NULL)
      g_ptr_array_add(errors, g_strdup_printf("%s:0: cannot read: %s", path,
                                              g_strerror(saved_errno)));
    return 0;
  }
  char *data = g_malloc(MAX_FILE_BYTES + 1);
  gsize len = fread(data, 1, MAX_FILE_BYTES + 1, file);
  int saved_errno = errno;
  gboolean failed = ferror(file) != 0;
  fclose(file);
  guint changed = 0;
  if (failed) {
    if (errors != NULL)
      g_ptr_array_add(errors, g_strdup_printf("%s:0: cannot read: %s", path,
                                              g_strerror(saved_errno)));
  } else {
    changed = ipsecdiag_rules_load_data(rules, path, data, len, allow_new, errors);
  }
  g_free(data);
  return changed;
}

static gint
compare_names(gconstpointer a, gconstpointer b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

guint
ipsecdiag_rules_load_dir(ipsecdiag_rules_t *rules, const char *dir, gboolean allow_new,
                         gboolean optional, GPtrArray *errors)
{
  g_return_val_if_fail(rules != NULL && dir != NULL, 0);
  GError *error = NULL;
  GDir *handle = g_dir_open(dir, 0, &error);
  if (handle == NULL) {
    gboolean missing = g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
    if (!(optional && missing) && errors != NULL)
      g_ptr_array_add(errors, g_strdup_printf("%s:0: cannot open directory: %s", dir,
                                              error->message));
    g_error_free(error);
    return 0;
  }

  GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
  const char *entry;
  while ((entry = g_dir_read_name(handle)) != NULL) {
    /* Hidden names are editor droppings such as Emacs' ".#x.rules" locks. */
    if (entry[0] != '.' && g_str_has_suffix(entry, ".rules"))
      g_ptr_array_add(names, g_strdup(entry));
  }
  g_dir_close(handle);
  /* Byte order, not the locale's: the load order must not depend on it. */
  g_ptr_array_sort(names, compare_names);

  guint changed = 0;
  for (guint i = 0; i < names->len; i++) {
    char *path = g_build_filename(dir, (const char *)g_ptr_array_index(names, i), NULL);
    changed += ipsecdiag_rules_load_file(rules, path, allow_new, errors);
    g_free(path);
  }
  g_ptr_array_free(names, TRUE);
  return changed;
}

/* ---- rendering ---- */

static gboolean
is_placeholder_char(char c)
{
  return g_ascii_isalnum(c) || c == '_';
}

static const char *
lookup_value(const char *name, gsize len, const char *const *keys,
             const char *const *values, guint n)
{
  if (keys == NULL || values == NULL)
    return NULL;
  for (guint i = 0; i < n && keys[i] != NULL; i++) {
    if (strncmp(keys[i], name, len) == 0 && keys[i][len] == '\0')
      return values[i];
  }
  return NULL;
}

char *
ipsecdiag_rule_render(const char *template_text, const char *const *keys,
                      const char *const *values, guint n)
{
  if (template_text == NULL)
    return g_strdup("");
  GString *out = g_string_sized_new(strlen(template_text) + 32);
  const char *p = template_text;
  while (*p != '\0') {
    if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
      g_string_append_c(out, p[0]);
      p += 2;
      continue;
    }
    if (p[0] == '{') {
      const char *name = p + 1;
      const char *name_end = name;
      while (is_placeholder_char(*name_end))
        name_end++;
      if (name_end > name && *name_end == '}') {
        const char *value = lookup_value(name, (gsize)(name_end - name), keys, values, n);
        if (value != NULL)
          g_string_append(out, value);
        else
          g_string_append_len(out, p, name_end + 1 - p);
        p = name_end + 1;
        continue;
      }
    }
    /* Ordinary text, or a brace that starts no placeholder. */
    g_string_append_c(out, *p);
    p++;
  }
  return g_string_free(out, FALSE);
}
