/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag: the catalog of diagnoses, loaded from the rules/ directory (files named *.rules) at start-up.
 *
 * The C code detects named conditions (rule ids); the texts a user reads
 * (severity, summary, cause, remedy, references) are data. A rules file uses
 * the GLib key-file syntax, one group per rule:
 *
 *   # comment
 *   [first_msg_unanswered]
 *   severity = error                 # chat | note | warn | error
 *   group = sequence                 # Wireshark expert group, see below
 *   summary = {message} to {peer} sent {count} times over {span} s, never answered
 *   cause = ...
 *   remedy = ...
 *   references = RFC 7296 2.1; strongSwan retransmission settings
 *
 * Placeholders are {name}; names are letters, digits and '_'. The loader
 * parses line by line so that every error names its file and line; a broken
 * rule is skipped and the rest still loads.
 */
#ifndef IPSECDIAG_RULES_H
#define IPSECDIAG_RULES_H

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  IPSECDIAG_SEV_CHAT = 0,
  IPSECDIAG_SEV_NOTE,
  IPSECDIAG_SEV_WARN,
  IPSECDIAG_SEV_ERROR,
} ipsecdiag_severity_t;

/* Expert groups, mapped to Wireshark's PI_* groups by the glue layer. */
typedef enum {
  IPSECDIAG_GROUP_SEQUENCE = 0,  /* "sequence" */
  IPSECDIAG_GROUP_RESPONSE_CODE, /* "response-code" */
  IPSECDIAG_GROUP_PROTOCOL,      /* "protocol" */
  IPSECDIAG_GROUP_MALFORMED,     /* "malformed" */
  IPSECDIAG_GROUP_SECURITY,      /* "security" */
  IPSECDIAG_GROUP_COMMENTS,      /* "comments" */
  IPSECDIAG_GROUP_DEPRECATED,    /* "deprecated" */
} ipsecdiag_group_t;

typedef struct {
  char *id;                      /* [a-z0-9_]+, unique */
  ipsecdiag_severity_t severity;
  ipsecdiag_group_t group;
  char *summary;                 /* template with {placeholders} */
  char *cause;
  char *remedy;
  char *references;              /* free text, ';'-separated */
  char *file;                    /* where it was (last) defined */
  int line;                      /* line of its [id] header */
} ipsecdiag_rule_t;

typedef struct ipsecdiag_rules ipsecdiag_rules_t;

ipsecdiag_rules_t *ipsecdiag_rules_new(void);
void ipsecdiag_rules_free(ipsecdiag_rules_t *rules);

/* Load one file. With allow_new FALSE (user overrides), a group naming an
 * unknown rule is an error and a group may set any subset of the keys;
 * with allow_new TRUE a new rule needs severity, group and summary.
 * Each problem is appended to errors (if not NULL) as a newly allocated
 * "FILE:LINE: message" string. Returns the number of rules added or changed. */
guint ipsecdiag_rules_load_file(ipsecdiag_rules_t *rules, const char *path,
                                gboolean allow_new, GPtrArray *errors);

/* Same, from a buffer (for tests and fuzzing); name is used in messages. */
guint ipsecdiag_rules_load_data(ipsecdiag_rules_t *rules, const char *name,
                                const char *data, gsize len, gboolean allow_new,
                                GPtrArray *errors);

/* Load every "*.rules" file of a directory in name order. A missing
 * directory is not an error when optional is TRUE. */
guint ipsecdiag_rules_load_dir(ipsecdiag_rules_t *rules, const char *dir,
                               gboolean allow_new, gboolean optional, GPtrArray *errors);

guint ipsecdiag_rules_count(const ipsecdiag_rules_t *rules);
/* In order of first definition. */
const ipsecdiag_rule_t *ipsecdiag_rules_nth(const ipsecdiag_rules_t *rules, guint index);
const ipsecdiag_rule_t *ipsecdiag_rules_lookup(const ipsecdiag_rules_t *rules, const char *id);

const char *ipsecdiag_severity_name(ipsecdiag_severity_t severity);
const char *ipsecdiag_group_name(ipsecdiag_group_t group);

/* Expand {name} placeholders from NULL-terminated alternating key/value
 * arrays (keys[i], values[i], n entries). An unknown placeholder is kept as
 * written, so a typo in a user's override is visible rather than silent.
 * Returns a newly allocated string. */
char *ipsecdiag_rule_render(const char *template_text, const char *const *keys,
                            const char *const *values, guint n);

G_END_DECLS

#endif
