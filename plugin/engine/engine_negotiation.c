/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag engine: what the cleartext parts of a negotiation say, without
 * any key: offered and chosen suites, error and status notifies
 * (NO_PROPOSAL_CHOSEN with the attributes that differ when both peers'
 * offers are in the capture, INVALID_KE_PAYLOAD), Aggressive Mode PSK,
 * weak crypto in the chosen suite, and vendor IDs.
 */
#include <string.h>

#include "engine_private.h"
#include "engine_vendor.h"
#include "ipsecdiag/ike_names.h"

#define MAX_DESCRIBED_PROPOSALS 8
#define SHORT_LIFETIME_SECONDS 600

/* One proposal's algorithms, normalised across versions (0 = absent). */
typedef struct {
  guint8 version;
  guint16 encr, key_len, integ, prf, dh, auth;
  guint32 life_seconds;
} suite_t;

static suite_t suite_of(const ike_message_t *msg, guint proposal, guint transform)
{
  suite_t s;
  memset(&s, 0, sizeof s);
  s.version = msg->major_version;
  if (proposal >= msg->n_proposals)
    return s;
  const ike_proposal_t *p = &msg->proposals[proposal];
  if (msg->major_version == 1) {
    if (transform >= p->n_transforms)
      return s;
    const ike_transform_t *t = &p->transforms[transform];
    s.encr = t->encr;
    s.key_len = t->key_len;
    s.integ = s.prf = t->hash;
    s.dh = t->dh_group;
    s.auth = t->auth_method;
    s.life_seconds = t->life_seconds;
    return s;
  }
  for (guint i = p->n_transforms; i-- > 0;) {   /* the first of each type wins */
    const ike_transform_t *t = &p->transforms[i];
    switch (t->type) {
    case 1: s.encr = t->id; s.key_len = t->key_len; break;
    case 2: s.prf = t->id; break;
    case 3: s.integ = t->id; break;
    case 4: s.dh = t->id; break;
    default: break;
    }
  }
  return s;
}

static char *encr_text(const suite_t *s)
{
  const char *name = s->version == 1 ? ikev1_encr_name(s->encr) : ikev2_transform_id_name(1, s->encr);
  return s->key_len ? g_strdup_printf("%s-%u", name, s->key_len) : g_strdup(name);
}

static const char *integ_text(const suite_t *s)
{
  return s->version == 1 ? ikev1_hash_name(s->integ) : ikev2_transform_id_name(3, s->integ);
}

/* "encryption AES-CBC-128 vs AES-CBC-256; DH group MODP-2048 vs MODP-3072" (a's first) */
static char *suite_differences(const suite_t *a, const suite_t *b)
{
  GString *out = g_string_new(NULL);
  char *ea = encr_text(a), *eb = encr_text(b);
  if (a->encr != b->encr || a->key_len != b->key_len)
    g_string_append_printf(out, "encryption %s vs %s; ", ea, eb);
  g_free(ea);
  g_free(eb);
  if (a->integ != b->integ)
    g_string_append_printf(out, "%s %s vs %s; ", a->version == 1 ? "hash" : "integrity", integ_text(a), integ_text(b));
  if (a->version == 2 && a->prf != b->prf)
    g_string_append_printf(out, "PRF %s vs %s; ", ikev2_transform_id_name(2, a->prf), ikev2_transform_id_name(2, b->prf));
  if (a->dh != b->dh)
    g_string_append_printf(out, "DH group %s vs %s; ", ike_dh_group_name(a->dh), ike_dh_group_name(b->dh));
  if (a->version == 1 && a->auth != b->auth)
    g_string_append_printf(out, "authentication %s vs %s; ", ikev1_auth_method_name(a->auth),
                           ikev1_auth_method_name(b->auth));
  if (a->version == 1 && a->life_seconds != b->life_seconds)
    g_string_append_printf(out, "lifetime %u s vs %u s; ", a->life_seconds, b->life_seconds);
  if (out->len >= 2)
    g_string_truncate(out, out->len - 2);
  return g_string_free(out, FALSE);
}

/* Every proposal (IKEv1: every transform) of the message, readable. */
static char *describe_offer(const ike_message_t *msg)
{
  GString *out = g_string_new(NULL);
  char buf[256];
  guint shown = 0, total = 0;
  for (guint p = 0; p < msg->n_proposals; p++) {
    guint n = msg->major_version == 1 ? msg->proposals[p].n_transforms : 1;
    for (guint t = 0; t < n; t++, total++) {
      if (shown >= MAX_DESCRIBED_PROPOSALS)
        continue;
      ike_proposal_describe(msg, p, t, buf, sizeof buf);
      g_string_append_printf(out, "%s%s", shown ? " | " : "", buf);
      shown++;
    }
  }
  if (total > shown)
    g_string_append_printf(out, " | ... (%u more)", total - shown);
  return g_string_free(out, FALSE);
}

/* Identities as an engineer types them in a config: FQDN, e-mail, address. */
static char *id_text(guint8 id_type, const guint8 *data, guint16 len)
{
  char buf[64];
  switch (id_type) {
  case 1:
    if (len == 4) {
      ipsecdiag_addr_t a = {.family = 4};
      memcpy(a.bytes, data, 4);
      return g_strdup(ipsecdiag_addr_to_str(&a, buf, sizeof buf));
    }
    break;
  case 5:
    if (len == 16) {
      ipsecdiag_addr_t a = {.family = 6};
      memcpy(a.bytes, data, 16);
      return g_strdup(ipsecdiag_addr_to_str(&a, buf, sizeof buf));
    }
    break;
  case 2:
  case 3: {
    GString *s = g_string_new(NULL);
    for (guint16 i = 0; i < len && i < 128; i++)
      g_string_append_c(s, data[i] >= 0x20 && data[i] < 0x7f ? (char)data[i] : '?');
    return g_string_free(s, FALSE);
  }
  default:
    break;
  }
  return g_strdup_printf("%s (%u bytes)", ike_id_type_name(id_type), len);
}

/* A message of the first exchange (Main/Aggressive Mode in the clear,
 * IKE_SA_INIT) sent by the initiator (request) or the responder. */
static gboolean is_first_exchange(const ike_message_t *msg, ipsecdiag_role_t role, gboolean from_responder)
{
  if (role != (from_responder ? IPSECDIAG_ROLE_RESPONDER : IPSECDIAG_ROLE_INITIATOR))
    return FALSE;
  if (msg->major_version == 2)
    return msg->exchange_type == IKEV2_EXCH_IKE_SA_INIT && !(msg->flags & IKEV2_FLAG_RESPONSE) == !from_responder;
  return (msg->exchange_type == IKEV1_EXCH_MAIN || msg->exchange_type == IKEV1_EXCH_AGGRESSIVE) && !msg->encrypted;
}

static gboolean is_first_exchange_request(const ike_message_t *msg, ipsecdiag_role_t role)
{
  return is_first_exchange(msg, role, FALSE);
}

static gboolean is_first_exchange_response(const ike_message_t *msg, ipsecdiag_role_t role)
{
  return is_first_exchange(msg, role, TRUE);
}

/* ---- suites and crypto policy ---- */

static ipsecdiag_finding_t *tunnel_finding(const char *rule, const ipsecdiag_tunnel_t *tunnel, guint32 frame)
{
  char buf[64];
  ipsecdiag_finding_t *f = finding_new(rule, frame, tunnel->id, FALSE);
  finding_set(f, "initiator", "%s", ipsecdiag_addr_to_str(&tunnel->initiator.addr, buf, sizeof buf));
  finding_set(f, "responder", "%s", ipsecdiag_addr_to_str(&tunnel->responder.addr, buf, sizeof buf));
  finding_set(f, "version", "IKEv%u", tunnel->version);
  return f;
}

static gboolean weak_encryption(const suite_t *s)
{
  if (s->version == 1)
    return s->encr >= 1 && s->encr <= 6;             /* DES, IDEA, Blowfish, RC5, 3DES, CAST */
  return s->encr == 1 || s->encr == 2 || s->encr == 3 || s->encr == 4 || s->encr == 5 || s->encr == 6
      || s->encr == 7 || s->encr == 9 || s->encr == 11;  /* DES-IV64 .. 3DES, CAST, BLOWFISH, DES-IV32, NULL */
}

static gboolean weak_integrity(const suite_t *s, const char **what)
{
  if (s->version == 1) {
    *what = ikev1_hash_name(s->integ);
    return s->integ == 1 || s->integ == 2;           /* MD5, SHA1 */
  }
  if (s->integ == 1 || s->integ == 2 || s->integ == 4 || s->integ == 6 || s->integ == 7) {
    *what = ikev2_transform_id_name(3, s->integ);    /* HMAC-MD5, HMAC-SHA1, AES-XCBC-96, KPDK, DES-MAC */
    return TRUE;
  }
  if (s->prf == 1 || s->prf == 2) {
    *what = ikev2_transform_id_name(2, s->prf);      /* PRF-HMAC-MD5, PRF-HMAC-SHA1 */
    return TRUE;
  }
  return FALSE;
}

static void check_crypto_policy(ipsecdiag_engine_t *engine, ipsecdiag_tunnel_t *tunnel, ipsecdiag_frame_t *frame,
                                const suite_t *s)
{
  if (tunnel->crypto_checked)
    return;
  tunnel->crypto_checked = TRUE;
  if (weak_encryption(s)) {
    ipsecdiag_finding_t *f = tunnel_finding("weak_encryption", tunnel, frame->frame);
    char *e = encr_text(s);
    finding_set(f, "algorithm", "%s", e);
    g_free(e);
    engine_attach_finding(engine, frame, f);
  }
  const char *integ;
  if (weak_integrity(s, &integ)) {
    ipsecdiag_finding_t *f = tunnel_finding("weak_integrity", tunnel, frame->frame);
    finding_set(f, "algorithm", "%s", integ);
    engine_attach_finding(engine, frame, f);
  }
  guint bits = ike_dh_group_bits(s->dh);
  if (s->dh && bits && bits < 2048) {
    ipsecdiag_finding_t *f = tunnel_finding("weak_dh_group", tunnel, frame->frame);
    finding_set(f, "group", "%s", ike_dh_group_name(s->dh));
    finding_set(f, "bits", "%u", bits);
    engine_attach_finding(engine, frame, f);
  }
  if (s->key_len >= 256 && bits && bits <= 1024) {
    ipsecdiag_finding_t *f = tunnel_finding("dh_weaker_than_cipher", tunnel, frame->frame);
    char *e = encr_text(s);
    finding_set(f, "algorithm", "%s", e);
    g_free(e);
    finding_set(f, "group", "%s", ike_dh_group_name(s->dh));
    engine_attach_finding(engine, frame, f);
  }
  if (s->version == 1) {
    engine_attach_finding(engine, frame, tunnel_finding("ikev1_in_use", tunnel, frame->frame));
    if (s->life_seconds && s->life_seconds < SHORT_LIFETIME_SECONDS) {
      ipsecdiag_finding_t *f = tunnel_finding("short_lifetime", tunnel, frame->frame);
      finding_set(f, "lifetime", "%u", s->life_seconds);
      finding_set(f, "phase", "phase 1");
      engine_attach_finding(engine, frame, f);
    }
  }
}

static const suite_t *first_offer(const ipsecdiag_engine_t *engine, guint32 tunnel_id)
{
  return g_hash_table_lookup(engine->first_offers, GUINT_TO_POINTER(tunnel_id));
}

static void record_suites(ipsecdiag_engine_t *engine, ipsecdiag_tunnel_t *tunnel, const ike_message_t *msg,
                          ipsecdiag_frame_t *frame, ipsecdiag_role_t role)
{
  if (msg->n_proposals == 0)
    return;
  if (is_first_exchange_request(msg, role)) {
    g_free(tunnel->offered_suites);
    tunnel->offered_suites = describe_offer(msg);
    suite_t *s = g_new(suite_t, 1);
    *s = suite_of(msg, 0, 0);
    g_hash_table_replace(engine->first_offers, GUINT_TO_POINTER(tunnel->id), s);
  } else if (is_first_exchange_response(msg, role)) {
    char buf[256];
    g_free(tunnel->chosen_suite);
    tunnel->chosen_suite = g_strdup(ike_proposal_describe(msg, 0, 0, buf, sizeof buf));
    suite_t chosen = suite_of(msg, 0, 0);
    if (msg->major_version == 1 && chosen.life_seconds)
      tunnel->p1_life_seconds = chosen.life_seconds;
    check_crypto_policy(engine, tunnel, frame, &chosen);
  }
}

/* ---- notifies ---- */

/* notify_<name>: lower case, [a-z0-9_] only. Interned: findings keep a pointer. */
static const char *notify_rule_id(guint8 version, guint16 type)
{
  const char *name = ike_notify_name_for_version(version, type);
  if (strcmp(name, "unknown") == 0)
    return "notify_error_other";
  GString *id = g_string_new("notify_");
  for (const char *c = name; *c; c++) {
    char ch = g_ascii_tolower(*c);
    if (!g_ascii_isalnum(ch))
      ch = '_';
    if (ch == '_' && id->str[id->len - 1] == '_')
      continue;
    g_string_append_c(id, ch);
  }
  while (id->str[id->len - 1] == '_')
    g_string_truncate(id, id->len - 1);
  const char *interned = g_intern_string(id->str);
  g_string_free(id, TRUE);
  return interned;
}

/* The same peers' other IKE SAs with roles reversed: their first offer. */
static const suite_t *other_side_offer(const ipsecdiag_engine_t *engine, const ipsecdiag_tunnel_t *tunnel)
{
  const ipsecdiag_tunnel_t *t = engine_tunnel_by_peers(engine, &tunnel->initiator.addr, &tunnel->responder.addr);
  for (int steps = 0; t && steps < 16; steps++, t = engine_tunnel_get(engine, t->supersedes)) {
    if (ipsecdiag_addr_equal(&t->initiator.addr, &tunnel->responder.addr) && first_offer(engine, t->id))
      return first_offer(engine, t->id);
  }
  return NULL;
}

#define ONLY_ONE_OFFER "only this initiator's offer is in the capture"

static void set_proposal_differences(const ipsecdiag_engine_t *engine, const ipsecdiag_tunnel_t *tunnel,
                                     ipsecdiag_finding_t *f)
{
  const suite_t *mine = first_offer(engine, tunnel->id);
  const suite_t *theirs = other_side_offer(engine, tunnel);
  if (mine && theirs) {
    char *diff = suite_differences(mine, theirs);
    finding_set(f, "differences", "against the other peer's own offer in this capture, %s",
                *diff ? diff : "the first proposals are identical: compare the full lists");
    g_free(diff);
  } else {
    finding_set(f, "differences", "%s", ONLY_ONE_OFFER ": compare it with the responder's configuration");
  }
}

static void add_notify_finding(ipsecdiag_engine_t *engine, ipsecdiag_tunnel_t *tunnel, const ike_message_t *msg,
                               const ike_notify_t *n, ipsecdiag_frame_t *frame, const ipsecdiag_packet_t *pkt,
                               ipsecdiag_role_t role, const char *rule)
{
  char buf[64];
  ipsecdiag_finding_t *f = finding_new(rule, frame->frame, tunnel->id, FALSE);
  const char *name = ike_notify_name_for_version(msg->major_version, n->type);
  finding_set(f, "message", "%s", frame->message ? frame->message : ike_exchange_name(msg->exchange_type));
  finding_set(f, "sender", "%s", ipsecdiag_addr_to_str(&pkt->src.addr, buf, sizeof buf));
  finding_set(f, "sender_role", "%s", ipsecdiag_role_name(role));
  const char *impl = role == IPSECDIAG_ROLE_INITIATOR ? tunnel->implementation[0]
                   : role == IPSECDIAG_ROLE_RESPONDER ? tunnel->implementation[1] : NULL;
  finding_set(f, "sender_impl", "%s", impl ? impl : "implementation not identified");
  finding_set(f, "peer", "%s", ipsecdiag_addr_to_str(&pkt->dst.addr, buf, sizeof buf));
  if (strcmp(name, "unknown") == 0)
    finding_set(f, "notify", "%s notify %u", ike_notify_is_error(msg->major_version, n->type) ? "error" : "status",
                n->type);
  else
    finding_set(f, "notify", "%s", name);
  finding_set(f, "number", "%u", n->type);
  finding_set(f, "exchange", "%s", ike_exchange_name(msg->exchange_type));
  gboolean phase2 = msg->exchange_type == IKEV1_EXCH_QUICK || msg->exchange_type == IKEV2_EXCH_CREATE_CHILD_SA
                    || (msg->major_version == 1 && n->protocol_id >= 2);
  finding_set(f, "phase", "%s", phase2 ? "phase 2" : "phase 1");
  finding_set(f, "data_len", "%u", n->data_len);

  if (n->type == IKE_N_INVALID_KE_PAYLOAD && msg->major_version == 2) {
    guint16 wanted = n->data_len >= 2 ? (guint16)(n->data[0] << 8 | n->data[1]) : 0;
    tunnel->ke_group_wanted = wanted;
    tunnel->invalid_ke_frame = frame->frame;
    finding_set(f, "wanted_group", "%s", ike_dh_group_name(wanted));
    finding_set(f, "offered_group", "%s", tunnel->ke_group_offered ? ike_dh_group_name(tunnel->ke_group_offered)
                                                                   : "(not seen)");
  }
  if (n->type == IKE_N_NO_PROPOSAL_CHOSEN && phase2 && engine->decrypted_child_offer) {
    /* Read from the decrypted request: the IKE offer is not what was refused. */
    finding_set(f, "offered", "%s", engine->decrypted_child_offer);
    finding_set(f, "differences", "%s", "compare the ESP proposals and the PFS group with the responder's Child SA configuration");
  } else if (n->type == IKE_N_NO_PROPOSAL_CHOSEN) {
    finding_set(f, "offered", "%s", tunnel->offered_suites ? tunnel->offered_suites : "(the offer is not in the capture)");
    set_proposal_differences(engine, tunnel, f);
  }
  engine_attach_finding(engine, frame, f);
}

void engine_refresh_proposal_differences(ipsecdiag_engine_t *engine)
{
  /* The other peer's own offer may come later in the capture (it initiates
   * after being refused): the end of the capture can name the difference. */
  for (guint id = 1; id <= engine->tunnels->len; id++) {
    ipsecdiag_tunnel_t *tunnel = engine_tunnel_get(engine, id);
    for (guint i = 0; i < tunnel->findings->len; i++) {
      ipsecdiag_finding_t *f = g_ptr_array_index(tunnel->findings, i);
      const char *diff = ipsecdiag_finding_param(f, "differences");
      if (strcmp(f->rule_id, "notify_no_proposal_chosen") == 0 && diff && g_str_has_prefix(diff, ONLY_ONE_OFFER))
        set_proposal_differences(engine, tunnel, f);
    }
  }
}

static void check_notifies(ipsecdiag_engine_t *engine, ipsecdiag_tunnel_t *tunnel, const ike_message_t *msg,
                           ipsecdiag_frame_t *frame, const ipsecdiag_packet_t *pkt, ipsecdiag_role_t role)
{
  for (guint i = 0; i < msg->n_notifies; i++) {
    const ike_notify_t *n = &msg->notifies[i];
    const char *rule = NULL;
    if (ike_notify_is_error(msg->major_version, n->type))
      rule = notify_rule_id(msg->major_version, n->type);
    else if (msg->major_version == 2 && n->type == IKEV2_N_COOKIE)
      rule = "notify_cookie";
    else if (msg->major_version == 2 && n->type == 16407)
      rule = "notify_redirect";
    else if (msg->major_version == 1 && n->type == 24576)
      rule = "notify_responder_lifetime";
    if (rule)
      add_notify_finding(engine, tunnel, msg, n, frame, pkt, role, rule);
    if (n->type == IKE_N_INVALID_SPI)
      engine_esp_note_invalid_spi(engine, pkt, n);   /* ESP still sent on that SPI: a stale SA */
    /* An error right after AI1: the responder does not do Aggressive Mode (for this peer). */
    if (rule && tunnel->mode == IKEV1_EXCH_AGGRESSIVE && role == IPSECDIAG_ROLE_RESPONDER
        && tunnel->state == IPSECDIAG_ST_AI1 && ike_notify_is_error(1, n->type))
      add_notify_finding(engine, tunnel, msg, n, frame, pkt, role, "aggressive_mode_refused");
  }
}

/* ---- Aggressive Mode, identities, vendor IDs ---- */

static void record_ids(ipsecdiag_tunnel_t *tunnel, const ike_message_t *msg, ipsecdiag_role_t role)
{
  if (msg->encrypted || msg->n_ids == 0 || msg->exchange_type == IKEV1_EXCH_QUICK)
    return;
  char **slot = role == IPSECDIAG_ROLE_INITIATOR ? &tunnel->id_i : &tunnel->id_r;
  if (role == IPSECDIAG_ROLE_UNKNOWN || *slot)
    return;
  *slot = id_text(msg->ids[0].id_type, msg->ids[0].data, msg->ids[0].data_len);
}

static gboolean offers_psk(const ike_message_t *msg)
{
  for (guint p = 0; p < msg->n_proposals; p++)
    for (guint t = 0; t < msg->proposals[p].n_transforms; t++) {
      guint16 auth = msg->proposals[p].transforms[t].auth_method;
      if (auth == 1 || auth == 65001 || auth == 65002)   /* PSK, XAUTHInitPreShared, XAUTHRespPreShared */
        return TRUE;
    }
  return FALSE;
}

static void check_aggressive_psk(ipsecdiag_engine_t *engine, ipsecdiag_tunnel_t *tunnel, const ike_message_t *msg,
                                 ipsecdiag_frame_t *frame, ipsecdiag_role_t role)
{
  /* AR1 carries HASH_R, computed from the PSK: whoever captures it can try PSKs offline. */
  if (tunnel->aggressive_psk_noted || msg->exchange_type != IKEV1_EXCH_AGGRESSIVE || role != IPSECDIAG_ROLE_RESPONDER
      || msg->encrypted || !msg->has_hash || !offers_psk(msg))
    return;
  tunnel->aggressive_psk_noted = TRUE;
  ipsecdiag_finding_t *f = tunnel_finding("aggressive_mode_psk", tunnel, frame->frame);
  finding_set(f, "id_i", "%s", tunnel->id_i ? tunnel->id_i : "(not seen)");
  finding_set(f, "id_r", "%s", tunnel->id_r ? tunnel->id_r : "(not seen)");
  engine_attach_finding(engine, frame, f);
}

static void append_unique(char **list, const char *item)
{
  if (*list && strstr(*list, item))
    return;
  char *joined = *list ? g_strconcat(*list, ", ", item, NULL) : g_strdup(item);
  g_free(*list);
  *list = joined;
}

static void record_vendor_ids(ipsecdiag_tunnel_t *tunnel, const ike_message_t *msg, ipsecdiag_role_t role)
{
  if (role == IPSECDIAG_ROLE_UNKNOWN)
    return;
  int side = role == IPSECDIAG_ROLE_INITIATOR ? 0 : 1;
  for (guint i = 0; i < msg->n_vendor_ids; i++) {
    const guint8 *data = msg->vendor_ids[i].data;
    guint16 len = msg->vendor_ids[i].len;
    const char *family = NULL, *name = NULL;
    for (unsigned v = 0; v < engine_vendor_id_count; v++) {
      if (len >= engine_vendor_ids[v].len && memcmp(data, engine_vendor_ids[v].bytes, engine_vendor_ids[v].len) == 0) {
        family = engine_vendor_ids[v].family;
        name = engine_vendor_ids[v].name;
        break;
      }
    }
    /* libreswan and Openswan send "OE" followed by a hash of their version. */
    if (!name && len == 12 && data[0] == 'O' && data[1] == 'E') {
      family = "libreswan/Openswan";
      name = "libreswan/Openswan (OE)";
    }
    if (!name)
      continue;
    append_unique(&tunnel->vendor_ids[side], name);
    if (family && !tunnel->implementation[side])
      tunnel->implementation[side] = g_strdup(family);
  }
}

/* Phase 1 and phase 2 expiring together make both rekeys coincide, a known
 * source of drops with some implementations. Phase 2 lifetimes travel
 * encrypted (Quick Mode): only seen with keys. */
static void check_lifetimes(ipsecdiag_engine_t *engine, ipsecdiag_tunnel_t *tunnel, const ike_message_t *msg,
                            ipsecdiag_frame_t *frame, ipsecdiag_role_t role)
{
  if (msg->major_version != 1 || msg->exchange_type != IKEV1_EXCH_QUICK || msg->encrypted
      || role != IPSECDIAG_ROLE_RESPONDER || tunnel->lifetimes_noted || !tunnel->p1_life_seconds
      || msg->n_proposals == 0 || msg->proposals[0].n_transforms == 0)
    return;
  guint32 p2 = msg->proposals[0].transforms[0].life_seconds;
  if (p2 != tunnel->p1_life_seconds)
    return;
  tunnel->lifetimes_noted = TRUE;
  ipsecdiag_finding_t *f = tunnel_finding("identical_lifetimes", tunnel, frame->frame);
  finding_set(f, "lifetime", "%u", p2);
  engine_attach_finding(engine, frame, f);
}

void engine_check_negotiation(ipsecdiag_engine_t *engine, ipsecdiag_tunnel_t *tunnel, const ike_message_t *msg,
                              ipsecdiag_frame_t *frame, const ipsecdiag_packet_t *pkt, ipsecdiag_role_t role)
{
  if (msg->major_version == 2 && msg->has_ke && is_first_exchange_request(msg, role))
    tunnel->ke_group_offered = msg->ke_group;
  record_vendor_ids(tunnel, msg, role);
  record_ids(tunnel, msg, role);
  record_suites(engine, tunnel, msg, frame, role);
  check_notifies(engine, tunnel, msg, frame, pkt, role);
  check_aggressive_psk(engine, tunnel, msg, frame, role);
  check_lifetimes(engine, tunnel, msg, frame, role);
}
