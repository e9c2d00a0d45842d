/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag engine: what the encrypted messages say, with keys the engineer
 * supplied (keys file). Each IKE SA gets a decryption context (ike_decrypt.h)
 * that sees every new message; decrypted messages are parsed and handed to
 * the same checks as cleartext ones (so an encrypted AUTHENTICATION_FAILED
 * raises its notify rule), and this file adds what only decryption shows:
 * which supplied PSK each side used, identities, traffic selectors, PFS and
 * Child SA SPIs, and keys that do not decrypt.
 */
#include <string.h>

#include "engine_private.h"
#include "ipsecdiag/ike_decrypt.h"
#include "ipsecdiag/ike_names.h"
#include "ipsecdiag/esp.h"
#include "ipsecdiag/esp_keys.h"
#include "ipsecdiag/ike_crypto.h"

#define MAX_SELECTOR_TEXT 160

typedef struct {
  ike_decrypt_sa_t *sa;
  gboolean specific_keys;        /* an ike1/ike2 entry for this SA was found */
  gboolean failure_noted[2];     /* per sender side */
  gboolean insufficient_noted;
  ike_psk_verdict_t noted_verdict[2];
  gboolean mismatch_noted;
  /* The last Child SA request, to compare its response with. */
  guint32 request_message_id;
  guint8 request_exchange;
  gboolean request_pfs;
  guint16 request_group;
  char *request_proposal;
  char *request_ts_i, *request_ts_r;
  guint32 request_spi;           /* SPI the Child SA initiator receives on, 0 none */
  guint32 request_rekeys_spi;    /* REKEY_SA: the Child SA it replaces, 0 none */
  guint8 *request_nonce;         /* Ni of a CREATE_CHILD_SA request / QI1 (KEYMAT), NULL none */
  gsize request_nonce_len;
  gboolean request_ke;           /* the request carried a KE payload (PFS) */
  char *expected_id_r;           /* IKEv2 IDr the initiator asked for */
  gboolean auth_hint_noted;
} decrypt_state_t;

static void state_free(gpointer data)
{
  decrypt_state_t *st = data;
  ike_decrypt_sa_free(st->sa);
  g_free(st->request_proposal);
  g_free(st->request_ts_i);
  g_free(st->request_ts_r);
  g_free(st->expected_id_r);
  g_free(st->request_nonce);
  g_free(st);
}

void ipsecdiag_engine_set_keys(ipsecdiag_engine_t *engine, const ipsecdiag_keys_t *keys)
{
  engine_settle(engine);
  engine->keys = keys;
  /* Contexts hold copies of the old keys: start over for new SAs. */
  if (engine->decrypt_sas)
    g_hash_table_remove_all(engine->decrypt_sas);
}

void engine_decrypt_free(ipsecdiag_engine_t *engine)
{
  if (engine->decrypt_sas)
    g_hash_table_destroy(engine->decrypt_sas);
  engine->decrypt_sas = NULL;
  g_free(engine->decrypt_scratch);
  engine->decrypt_scratch = NULL;
  engine_esp_keys_free(engine);
}

/* ---- texts ---- */

static char *addr_text(const guint8 *bytes, guint8 family)
{
  ipsecdiag_addr_t a;
  char buf[64];
  memset(&a, 0, sizeof a);
  a.family = family;
  memcpy(a.bytes, bytes, family == 6 ? 16 : 4);
  return g_strdup(ipsecdiag_addr_to_str(&a, buf, sizeof buf));
}

/* Prefix length when start..end is exactly a CIDR block, else -1: from the
 * first bit where they differ on, start has only zeros and end only ones. */
static int cidr_prefix(const guint8 *start, const guint8 *end, guint len)
{
  int prefix = -1;
  for (guint bit = 0; bit < len * 8; bit++) {
    guint8 mask = (guint8)(0x80u >> (bit % 8));
    gboolean s = (start[bit / 8] & mask) != 0, e = (end[bit / 8] & mask) != 0;
    if (prefix < 0) {
      if (s == e)
        continue;
      prefix = (int)bit;
    }
    if (s || !e)
      return -1;
  }
  return prefix < 0 ? (int)(len * 8) : prefix;
}

static char *range_text(const guint8 *start, const guint8 *end, guint8 family, guint8 proto,
                        guint16 port_lo, guint16 port_hi)
{
  guint len = family == 6 ? 16 : 4;
  int prefix = cidr_prefix(start, end, len);
  char *a = addr_text(start, family), *out;
  if (prefix >= 0) {
    out = g_strdup_printf("%s/%d", a, prefix);
  } else {
    char *b = addr_text(end, family);
    out = g_strdup_printf("%s-%s", a, b);
    g_free(b);
  }
  g_free(a);
  if (proto || !(port_lo == 0 && port_hi == 0xffff)) {
    char *full;
    if (port_lo == port_hi)
      full = g_strdup_printf("%s proto %u port %u", out, proto, port_lo);
    else if (port_lo == 0 && port_hi == 0xffff)
      full = g_strdup_printf("%s proto %u", out, proto);
    else
      full = g_strdup_printf("%s proto %u ports %u-%u", out, proto, port_lo, port_hi);
    g_free(out);
    out = full;
  }
  return out;
}

static char *ts_list_text(const ike_ts_t *ts, guint n)
{
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < n; i++) {
    char *t = range_text(ts[i].start_addr, ts[i].end_addr, ts[i].addr_len == 16 ? 6 : 4, ts[i].ip_proto,
                         ts[i].start_port, ts[i].end_port);
    if (s->len)
      g_string_append(s, ", ");
    g_string_append(s, t);
    g_free(t);
    if (s->len > MAX_SELECTOR_TEXT)
      break;
  }
  if (!s->len)
    g_string_append(s, "(none)");
  return g_string_free(s, FALSE);
}

/* IKEv1 Quick Mode identity (a traffic selector). */
static char *v1_selector_text(guint8 id_type, const guint8 *d, guint16 len, guint8 proto, guint16 port)
{
  guint8 end[16];
  switch (id_type) {
  case 1: if (len == 4) return range_text(d, d, 4, proto, port ? port : 0, port ? port : 0xffff); break;
  case 5: if (len == 16) return range_text(d, d, 6, proto, port ? port : 0, port ? port : 0xffff); break;
  case 4:   /* IPV4_ADDR_SUBNET: address, mask */
    if (len == 8) {
      for (int i = 0; i < 4; i++)
        end[i] = (guint8)(d[i] | ~d[4 + i]);
      return range_text(d, end, 4, proto, port ? port : 0, port ? port : 0xffff);
    }
    break;
  case 6:
    if (len == 32) {
      for (int i = 0; i < 16; i++)
        end[i] = (guint8)(d[i] | ~d[16 + i]);
      return range_text(d, end, 6, proto, port ? port : 0, port ? port : 0xffff);
    }
    break;
  case 7: if (len == 8) return range_text(d, d + 4, 4, proto, port ? port : 0, port ? port : 0xffff); break;
  case 8: if (len == 32) return range_text(d, d + 16, 6, proto, port ? port : 0, port ? port : 0xffff); break;
  default: break;
  }
  return g_strdup_printf("%s (%u bytes)", ike_id_type_name(id_type), len);
}

static char *identity_text(guint8 id_type, const guint8 *data, guint16 len)
{
  if (id_type == 2 || id_type == 3) {
    GString *s = g_string_new(NULL);
    for (guint16 i = 0; i < len && i < 128; i++)
      g_string_append_c(s, data[i] >= 0x20 && data[i] < 0x7f ? (char)data[i] : '?');
    return g_string_free(s, FALSE);
  }
  if ((id_type == 1 && len == 4) || (id_type == 5 && len == 16))
    return addr_text(data, id_type == 1 ? 4 : 6);
  return g_strdup_printf("%s (%u bytes)", ike_id_type_name(id_type), len);
}

static const char *role_text(ipsecdiag_role_t role)
{
  return ipsecdiag_role_name(role);
}

static ipsecdiag_finding_t *new_finding(const char *rule, const ipsecdiag_tunnel_t *tunnel,
                                        const ipsecdiag_frame_t *frame, const ipsecdiag_packet_t *pkt,
                                        ipsecdiag_role_t role)
{
  char buf[64];
  ipsecdiag_finding_t *f = finding_new(rule, frame->frame, tunnel->id, FALSE);
  finding_set(f, "message", "%s", frame->message ? frame->message : "message");
  finding_set(f, "sender", "%s", ipsecdiag_addr_to_str(&pkt->src.addr, buf, sizeof buf));
  finding_set(f, "sender_role", "%s", role_text(role));
  finding_set(f, "peer", "%s", ipsecdiag_addr_to_str(&pkt->dst.addr, buf, sizeof buf));
  return f;
}

/* ---- keys for one IKE SA ---- */

static gboolean psk_applies(const ipsecdiag_psk_entry_t *e, const ipsecdiag_tunnel_t *tunnel)
{
  if (!e->peer_addr || !*e->peer_addr || strcmp(e->peer_addr, "*") == 0)
    return TRUE;
  const ipsecdiag_endpoint_t *eps[] = {&tunnel->initiator, &tunnel->responder, &tunnel->initiator_natt,
                                       &tunnel->responder_natt};
  char buf[64];
  for (gsize i = 0; i < G_N_ELEMENTS(eps); i++)
    if (eps[i]->addr.family && strcmp(ipsecdiag_addr_to_str(&eps[i]->addr, buf, sizeof buf), e->peer_addr) == 0)
      return TRUE;
  return FALSE;
}

static void supply_keys(const ipsecdiag_engine_t *engine, decrypt_state_t *st, const ipsecdiag_tunnel_t *tunnel)
{
  const ipsecdiag_keys_t *keys = engine->keys;
  const ipsecdiag_psk_entry_t *psks[IKE_DECRYPT_MAX_PSKS];
  guint n = 0;
  for (guint i = 0; i < ipsecdiag_keys_psk_count(keys) && n < IKE_DECRYPT_MAX_PSKS; i++) {
    const ipsecdiag_psk_entry_t *e = ipsecdiag_keys_psk(keys, i);
    if (e && psk_applies(e, tunnel))
      psks[n++] = e;
  }
  const ipsecdiag_ike1_keys_t *k1 = NULL;
  const ipsecdiag_ike2_keys_t *k2 = NULL;
  if (tunnel->version == 1)
    k1 = ipsecdiag_keys_ike1(keys, tunnel->spi_i);
  else
    k2 = ipsecdiag_keys_ike2(keys, tunnel->spi_i, tunnel->spi_r);
  st->specific_keys = k1 || k2;
  ike_decrypt_sa_set_keys(st->sa, k1, k2, psks, n);
}

static decrypt_state_t *state_for(ipsecdiag_engine_t *engine, ipsecdiag_tunnel_t *tunnel, ipsecdiag_frame_t *frame)
{
  if (!engine->decrypt_sas)
    engine->decrypt_sas = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, state_free);
  decrypt_state_t *st = g_hash_table_lookup(engine->decrypt_sas, GUINT_TO_POINTER(tunnel->id));
  if (st)
    return st;
  if (g_hash_table_size(engine->decrypt_sas) >= IPSECDIAG_MAX_DECRYPT_SAS) {
    engine_note_cap(engine, &engine->decrypt_cap_noted, "decrypt_sa_cap_reached", frame->frame,
                    IPSECDIAG_MAX_DECRYPT_SAS);
    return NULL;
  }
  st = g_new0(decrypt_state_t, 1);
  st->sa = ike_decrypt_sa_new(tunnel->version);
  supply_keys(engine, st, tunnel);
  g_hash_table_insert(engine->decrypt_sas, GUINT_TO_POINTER(tunnel->id), st);
  return st;
}

/* ---- PSK verdicts ---- */

static void psk_side_text(GString *s, const char *side, const ike_psk_check_t *c)
{
  switch (c->verdict) {
  case IKE_PSK_MATCH: g_string_append_printf(s, "%s: matches entry '%s' (%s)", side, c->label, c->how); break;
  case IKE_PSK_NO_MATCH: g_string_append_printf(s, "%s: matches none of the supplied PSKs (%s)", side, c->how); break;
  default: g_string_append_printf(s, "%s: not checked (its proof is not in the capture or could not be read)", side); break;
  }
}

static void check_psk_verdicts(ipsecdiag_engine_t *engine, ipsecdiag_tunnel_t *tunnel, decrypt_state_t *st,
                               ipsecdiag_frame_t *frame, const ipsecdiag_packet_t *pkt, ipsecdiag_role_t role)
{
  const ike_psk_check_t *ci = ike_decrypt_sa_psk_check(st->sa, 0), *cr = ike_decrypt_sa_psk_check(st->sa, 1);
  GString *text = g_string_new(NULL);
  psk_side_text(text, "initiator", ci);
  g_string_append(text, "; ");
  psk_side_text(text, "responder", cr);
  g_free(tunnel->psk_verdict);
  tunnel->psk_verdict = g_string_free(text, FALSE);

  for (guint side = 0; side < 2; side++) {
    const ike_psk_check_t *c = side ? cr : ci;
    if (c->verdict == IKE_PSK_UNKNOWN || c->verdict == st->noted_verdict[side])
      continue;
    st->noted_verdict[side] = c->verdict;
    ipsecdiag_finding_t *f = new_finding(c->verdict == IKE_PSK_MATCH ? "psk_verified" : "psk_unmatched",
                                         tunnel, frame, pkt, role);
    finding_set(f, "side", "%s", side ? "responder" : "initiator");
    finding_set(f, "entry", "%s", c->label);
    finding_set(f, "how", "%s", c->how ? c->how : "");
    finding_set(f, "verdict", "%s", tunnel->psk_verdict);
    engine_attach_finding(engine, frame, f);
  }
  gboolean differ = (ci->verdict == IKE_PSK_MATCH && cr->verdict == IKE_PSK_MATCH && strcmp(ci->label, cr->label) != 0)
                    || (ci->verdict == IKE_PSK_MATCH && cr->verdict == IKE_PSK_NO_MATCH)
                    || (ci->verdict == IKE_PSK_NO_MATCH && cr->verdict == IKE_PSK_MATCH);
  if (differ && !st->mismatch_noted) {
    st->mismatch_noted = TRUE;
    ipsecdiag_finding_t *f = new_finding("psk_mismatch_confirmed", tunnel, frame, pkt, role);
    finding_set(f, "verdict", "%s", tunnel->psk_verdict);
    engine_attach_finding(engine, frame, f);
  }
}

/* ---- Child SAs, selectors, identities ---- */

static void describe_child(const ike_message_t *pm, char **proposal, gboolean *pfs, guint16 *group,
                           char **spi, char **ts_i, char **ts_r)
{
  char buf[256];
  *proposal = pm->n_proposals ? g_strdup(ike_proposal_describe(pm, 0, 0, buf, sizeof buf)) : g_strdup("(no SA)");
  *pfs = pm->has_ke;
  *group = pm->has_ke ? pm->ke_group : 0;
  if (pm->major_version == 1 && pm->n_proposals && pm->proposals[0].n_transforms)
    *group = pm->proposals[0].transforms[0].dh_group;
  if (pm->n_proposals && pm->proposals[0].spi_size == 4) {
    const guint8 *s = pm->proposals[0].spi;
    *spi = g_strdup_printf("0x%02x%02x%02x%02x", s[0], s[1], s[2], s[3]);
  } else {
    *spi = g_strdup("(none)");
  }
  if (pm->major_version == 2) {
    *ts_i = ts_list_text(pm->tsi, pm->n_tsi);
    *ts_r = ts_list_text(pm->tsr, pm->n_tsr);
  } else if (pm->n_ids >= 2) {
    *ts_i = v1_selector_text(pm->ids[0].id_type, pm->ids[0].data, pm->ids[0].data_len, pm->ids[0].protocol_id,
                             pm->ids[0].port);
    *ts_r = v1_selector_text(pm->ids[1].id_type, pm->ids[1].data, pm->ids[1].data_len, pm->ids[1].protocol_id,
                             pm->ids[1].port);
  } else {
    /* IKEv1 Quick Mode without IDs: the peers' own addresses. */
    *ts_i = g_strdup("(not sent: the peer addresses)");
    *ts_r = g_strdup("(not sent: the peer addresses)");
  }
}

static char *pfs_text(gboolean pfs, guint16 group)
{
  if (!pfs)
    return g_strdup(group ? "no KE payload although the SA names a PFS group" : "no PFS (no KE payload)");
  return g_strdup_printf("PFS with %s (KE payload present)", group ? ike_dh_group_name(group) : "a DH group");
}

static gboolean is_child_exchange(const ike_message_t *pm)
{
  if (pm->major_version == 1)
    return pm->exchange_type == IKEV1_EXCH_QUICK;
  return (pm->exchange_type == IKEV2_EXCH_IKE_AUTH && (pm->n_tsi || pm->n_proposals)) ||
         pm->exchange_type == IKEV2_EXCH_CREATE_CHILD_SA;
}

static void append_child(ipsecdiag_tunnel_t *tunnel, const char *text)
{
  if (tunnel->child_sas && strlen(tunnel->child_sas) > 1024)
    return;
  char *joined = tunnel->child_sas ? g_strconcat(tunnel->child_sas, " | ", text, NULL) : g_strdup(text);
  g_free(tunnel->child_sas);
  tunnel->child_sas = joined;
}

static guint32 spi_value(const guint8 *s)
{
  return (guint32)s[0] << 24 | (guint32)s[1] << 16 | (guint32)s[2] << 8 | s[3];
}

static guint32 first_proposal_spi(const ike_message_t *pm)
{
  if (pm->n_proposals && pm->proposals[0].spi_size == 4)
    return spi_value(pm->proposals[0].spi);
  return 0;
}

static guint32 rekey_sa_spi(const ike_message_t *pm)
{
  for (guint i = 0; i < pm->n_notifies; i++)
    if (pm->major_version == 2 && pm->notifies[i].type == IKEV2_N_REKEY_SA && pm->notifies[i].spi_size == 4
        && pm->notifies[i].spi)
      return spi_value(pm->notifies[i].spi);
  return 0;
}

/* What a decrypted Informational carried: the lifecycle analysis then knows
 * instead of guessing, and Deleted Child SAs stop being expected to carry ESP. */
static void note_informational(ipsecdiag_engine_t *engine, const ipsecdiag_tunnel_t *tunnel,
                               const ike_message_t *pm, const ipsecdiag_frame_t *frame,
                               const ipsecdiag_packet_t *pkt)
{
  if (pm->exchange_type != IKEV1_EXCH_INFORMATIONAL && pm->exchange_type != IKEV2_EXCH_INFORMATIONAL)
    return;
  ipsecdiag_informational_t content = IPSECDIAG_INFO_OTHER;
  if (pm->has_delete) {
    content = pm->delete_protocol_id == 1 ? IPSECDIAG_INFO_DELETE_IKE : IPSECDIAG_INFO_DELETE_CHILD;
    for (guint i = 0; pm->delete_spi_size == 4 && i < pm->delete_n_stored; i++)
      ipsecdiag_engine_note_child_sa_deleted(engine, pkt, tunnel->id, spi_value(pm->delete_spis + 4 * i));
  } else if (pm->major_version == 2 && pm->n_payloads == 0) {
    content = IPSECDIAG_INFO_EMPTY;
  } else {
    for (guint i = 0; i < pm->n_notifies; i++)
      if (pm->major_version == 1 && (pm->notifies[i].type == 36136 || pm->notifies[i].type == 36137))
        content = IPSECDIAG_INFO_DPD;   /* R-U-THERE, R-U-THERE-ACK (RFC 3706) */
  }
  ipsecdiag_engine_set_informational(engine, frame->frame, content);
}

/* ---- ESP keys from KEYMAT ---- */

/* The ESP transforms a Child SA response chose, as IANA IKEv2 IDs (the IPsec
 * DOI ESP transform IDs of IKEv1 are the same numbers; its authentication
 * algorithm attribute is mapped). FALSE when not ESP or not supported. */
static gboolean chosen_esp_suite(const ike_message_t *pm, ike2_suite_t *suite, const char **why)
{
  memset(suite, 0, sizeof *suite);
  if (!pm->n_proposals || pm->proposals[0].protocol_id != 3 || !pm->proposals[0].n_transforms) {
    *why = "the Child SA is not ESP";
    return FALSE;
  }
  const ike_proposal_t *p = &pm->proposals[0];
  if (pm->major_version == 2) {
    gboolean has_encr = FALSE;
    for (guint i = 0; i < p->n_transforms; i++) {
      const ike_transform_t *t = &p->transforms[i];
      if (t->type == 1 && !has_encr) {
        suite->encr = t->id;
        suite->key_bits = t->key_len;
        has_encr = TRUE;
      } else if (t->type == 3 && !suite->integ) {
        suite->integ = t->id;
      }
    }
  } else {
    const ike_transform_t *t = &p->transforms[0];
    suite->encr = t->id;
    suite->key_bits = t->key_len;
    switch (t->auth_alg) {       /* RFC 2407 4.5, RFC 4868 */
    case 0: suite->integ = IKE2_INTEG_NONE; break;
    case 1: suite->integ = IKE2_INTEG_HMAC_MD5_96; break;
    case 2: suite->integ = IKE2_INTEG_HMAC_SHA1_96; break;
    case 5: suite->integ = IKE2_INTEG_HMAC_SHA2_256_128; break;
    case 6: suite->integ = IKE2_INTEG_HMAC_SHA2_384_192; break;
    case 7: suite->integ = IKE2_INTEG_HMAC_SHA2_512_256; break;
    default: *why = "its authentication algorithm is not supported"; return FALSE;
    }
    /* IKEv1 AES without a key length attribute is AES-128. */
    if (!suite->key_bits && suite->encr != IKE2_ENCR_3DES && suite->encr != IKE2_ENCR_NULL
        && suite->encr != IKE2_ENCR_CHACHA20_POLY1305)
      suite->key_bits = 128;
  }
  if (suite->encr == IKE2_ENCR_3DES)
    suite->key_bits = 192;
  if (suite->encr == IKE2_ENCR_CHACHA20_POLY1305)
    suite->key_bits = 256;
  if (ike2_encr_is_aead(suite->encr))
    suite->integ = IKE2_INTEG_NONE;
  gboolean encr_ok = suite->encr == IKE2_ENCR_NULL || ike2_encr_key_len(suite) > 0;
  gboolean integ_ok = suite->integ == IKE2_INTEG_NONE || ike2_integ_key_len(suite) > 0;
  if (!encr_ok || !integ_ok || (suite->encr == IKE2_ENCR_NULL && suite->integ == IKE2_INTEG_NONE)) {
    *why = "its ESP transforms are not supported for key derivation";
    return FALSE;
  }
  return TRUE;
}

static void esp_derived_fill(ipsecdiag_esp_derived_t *d, const ipsecdiag_tunnel_t *tunnel, guint32 frame,
                             const ike2_suite_t *suite, const guint8 *keymat, gsize enc_len, gsize integ_len)
{
  d->tunnel = tunnel->id;
  d->frame = frame;
  d->ike_version = tunnel->version;
  memcpy(d->ike_spi_i, tunnel->spi_i, IKE_SPI_LEN);
  memcpy(d->ike_spi_r, tunnel->spi_r, IKE_SPI_LEN);
  d->encr_id = suite->encr;
  d->encr_key_bits = suite->encr == IKE2_ENCR_NULL ? 0 : suite->key_bits;
  d->integ_id = suite->integ;
  d->enc_key_len = (guint16)enc_len;
  d->auth_key_len = (guint16)integ_len;
  memcpy(d->enc_key, keymat, enc_len);
  memcpy(d->auth_key, keymat + enc_len, integ_len);
}

/* A Child SA response was read: derive the keys of both ESP SAs. The
 * exchange initiator (who sent the request) is the "initiator" of KEYMAT,
 * which for a CREATE_CHILD_SA may be the IKE SA's responder. ESP towards the
 * exchange responder carries the responder's SPI (the one in the response). */
static void derive_child_esp(ipsecdiag_engine_t *engine, const ipsecdiag_tunnel_t *tunnel, decrypt_state_t *st,
                             const ike_message_t *pm, ipsecdiag_frame_t *frame, const ipsecdiag_packet_t *pkt,
                             ipsecdiag_role_t role, guint32 request_spi, guint32 response_spi)
{
  ike2_suite_t suite;
  const char *why = NULL;
  if (pm->n_proposals && pm->proposals[0].protocol_id == 1)
    return;                            /* an IKE SA rekey: no ESP */
  if (!chosen_esp_suite(pm, &suite, &why)) {
    engine_esp_keys_problem(engine, frame->frame, why);
    return;
  }
  gboolean pfs = st->request_ke && pm->has_ke;
  const ipsecdiag_child_dh_t *child_dh = NULL;
  if (pfs) {
    /* KEYMAT includes the Child SA's own DH secret (g^ir new, g(qm)^xy):
     * a child-dh entry names the exchange by the IKE SA's SPIs, its message
     * ID and who sent the request (the peer that did not send this response). */
    ipsecdiag_child_dh_by_t requester = role == IPSECDIAG_ROLE_RESPONDER ? IPSECDIAG_CHILD_DH_BY_INITIATOR
                                                                         : IPSECDIAG_CHILD_DH_BY_RESPONDER;
    child_dh = ipsecdiag_keys_child_dh(engine->keys, pm->spi_i, pm->spi_r, pm->message_id, requester);
    if (!child_dh || !child_dh->dh_secret.len) {
      engine_esp_keys_problem(engine, frame->frame,
                              "the Child SA uses PFS and its DH secret is not in the keys file "
                              "(child-dh line for this exchange)");
      return;
    }
  }
  const guint8 *g_new = child_dh ? child_dh->dh_secret.data : NULL;
  gsize g_new_len = child_dh ? child_dh->dh_secret.len : 0;
  const guint8 *ni = NULL, *nr = NULL;
  gsize ni_len = 0, nr_len = 0;
  if (!(pm->major_version == 2 && pm->exchange_type == IKEV2_EXCH_IKE_AUTH)) {
    if (!st->request_nonce || !pm->has_nonce || !pm->nonce) {
      engine_esp_keys_problem(engine, frame->frame, "the nonces of the exchange were not read");
      return;
    }
    ni = st->request_nonce;
    ni_len = st->request_nonce_len;
    nr = pm->nonce;
    nr_len = pm->nonce_len;
  }
  gsize enc_len = ike2_encr_key_len(&suite), integ_len = ike2_integ_key_len(&suite);
  gsize dir_len = enc_len + integ_len;
  if (!dir_len || dir_len > IPSECDIAG_ESP_KEY_MAX) {
    engine_esp_keys_problem(engine, frame->frame, "its ESP transforms are not supported for key derivation");
    return;
  }
  guint8 keymat[2 * IPSECDIAG_ESP_KEY_MAX];
  guint side = role == IPSECDIAG_ROLE_INITIATOR ? 0 : 1;
  gboolean ok;
  if (pm->major_version == 2) {
    /* Initiator to responder first: SK_ei | SK_ai | SK_er | SK_ar of ESP. */
    ok = ike_decrypt_sa_keymat(st->sa, side, g_new, g_new_len, 3, 0, ni, ni_len, nr, nr_len, keymat,
                               2 * dir_len, &why);
  } else {
    /* One KEYMAT per SPI: the receiver's SPI names the direction. */
    ok = ike_decrypt_sa_keymat(st->sa, side, g_new, g_new_len, 3, response_spi, ni, ni_len, nr, nr_len, keymat,
                               dir_len, &why)
         && ike_decrypt_sa_keymat(st->sa, side, g_new, g_new_len, 3, request_spi, ni, ni_len, nr, nr_len,
                                  keymat + dir_len, dir_len, &why);
  }
  if (!ok) {
    engine_esp_keys_problem(engine, frame->frame, why ? why : "KEYMAT could not be computed");
    ike_crypto_wipe(keymat, sizeof keymat);
    return;
  }
  /* The response's sender is the exchange responder; its role in the IKE SA
   * gives the directions relative to the tunnel. */
  gboolean exchange_initiator_is_ike_initiator = role == IPSECDIAG_ROLE_RESPONDER;
  ipsecdiag_esp_derived_t d;
  memset(&d, 0, sizeof d);
  d.pfs = pfs;
  esp_derived_fill(&d, tunnel, frame->frame, &suite, keymat, enc_len, integ_len);
  d.spi = response_spi;
  d.src = pkt->dst.addr;
  d.dst = pkt->src.addr;
  d.direction = exchange_initiator_is_ike_initiator ? IPSECDIAG_ESP_DIR_I2R : IPSECDIAG_ESP_DIR_R2I;
  engine_esp_keys_add(engine, &d, frame);
  esp_derived_fill(&d, tunnel, frame->frame, &suite, keymat + dir_len, enc_len, integ_len);
  d.spi = request_spi;
  d.src = pkt->src.addr;
  d.dst = pkt->dst.addr;
  d.direction = exchange_initiator_is_ike_initiator ? IPSECDIAG_ESP_DIR_R2I : IPSECDIAG_ESP_DIR_I2R;
  engine_esp_keys_add(engine, &d, frame);
  ike_crypto_wipe(&d, sizeof d);
  ike_crypto_wipe(keymat, sizeof keymat);
}

static void check_child(ipsecdiag_engine_t *engine, ipsecdiag_tunnel_t *tunnel, decrypt_state_t *st,
                        const ike_message_t *pm, ipsecdiag_frame_t *frame, const ipsecdiag_packet_t *pkt,
                        ipsecdiag_role_t role)
{
  gboolean from_initiator = role == IPSECDIAG_ROLE_INITIATOR;
  gboolean is_request = pm->major_version == 2 ? !(pm->flags & IKEV2_FLAG_RESPONSE) : from_initiator;
  gboolean has_child = pm->n_proposals > 0;

  /* QI2 (only HASH(3)) and notify-only responses carry no Child SA. */
  if (has_child) {
    char *proposal, *spi, *ts_i, *ts_r;
    gboolean pfs;
    guint16 group;
    describe_child(pm, &proposal, &pfs, &group, &spi, &ts_i, &ts_r);
    char *pfs_desc = pfs_text(pfs, group);
    ipsecdiag_finding_t *f = new_finding("child_sa_decrypted", tunnel, frame, pkt, role);
    finding_set(f, "proposal", "%s", proposal);
    finding_set(f, "pfs", "%s", pfs_desc);
    finding_set(f, "spi", "%s", spi);
    finding_set(f, "ts_i", "%s", ts_i);
    finding_set(f, "ts_r", "%s", ts_r);
    engine_attach_finding(engine, frame, f);

    if (is_request) {
      st->request_spi = first_proposal_spi(pm);
      st->request_rekeys_spi = rekey_sa_spi(pm);
      g_free(st->request_nonce);
      st->request_nonce = pm->has_nonce && pm->nonce ? g_memdup2(pm->nonce, pm->nonce_len) : NULL;
      st->request_nonce_len = st->request_nonce ? pm->nonce_len : 0;
      st->request_ke = pm->has_ke;
      st->request_message_id = pm->message_id;
      st->request_exchange = pm->exchange_type;
      st->request_pfs = pfs;
      st->request_group = group;
      g_free(st->request_proposal);
      g_free(st->request_ts_i);
      g_free(st->request_ts_r);
      st->request_proposal = g_strdup(proposal);
      st->request_ts_i = g_strdup(ts_i);
      st->request_ts_r = g_strdup(ts_r);
    } else if (st->request_proposal && st->request_message_id == pm->message_id) {
      char *text = g_strdup_printf("%s: %s, %s, SPI %s (responder), TSi %s, TSr %s", frame->message, proposal,
                                   pfs_desc, spi, ts_i, ts_r);
      append_child(tunnel, text);
      g_free(text);
      /* ESP is then linked to this Child SA by SPI (engine_esp_health.c). */
      guint32 response_spi = first_proposal_spi(pm);
      if (st->request_spi && response_spi) {
        ipsecdiag_engine_note_child_sa(engine, pkt, tunnel->id, st->request_spi, response_spi,
                                       st->request_rekeys_spi);
        derive_child_esp(engine, tunnel, st, pm, frame, pkt, role, st->request_spi, response_spi);
      }
      /* The responder may narrow the selectors: the tunnel then carries
       * less than the initiator asked for, and comes up only one way. */
      if (strcmp(st->request_ts_i, ts_i) != 0 || strcmp(st->request_ts_r, ts_r) != 0) {
        ipsecdiag_finding_t *n = new_finding("traffic_selectors_narrowed", tunnel, frame, pkt, role);
        finding_set(n, "proposed_ts_i", "%s", st->request_ts_i);
        finding_set(n, "proposed_ts_r", "%s", st->request_ts_r);
        finding_set(n, "ts_i", "%s", ts_i);
        finding_set(n, "ts_r", "%s", ts_r);
        engine_attach_finding(engine, frame, n);
      }
      if (st->request_pfs != pfs && pm->exchange_type != IKEV2_EXCH_IKE_AUTH) {
        char *req = pfs_text(st->request_pfs, st->request_group);
        ipsecdiag_finding_t *n = new_finding("pfs_mismatch_decrypted", tunnel, frame, pkt, role);
        finding_set(n, "request_pfs", "%s", req);
        finding_set(n, "response_pfs", "%s", pfs_desc);
        engine_attach_finding(engine, frame, n);
        g_free(req);
      }
    }
    g_free(pfs_desc);
    g_free(proposal);
    g_free(spi);
    g_free(ts_i);
    g_free(ts_r);
  }

  /* A rejected Child SA request: say what was asked for. */
  if (is_request || !st->request_proposal)
    return;
  for (guint i = 0; i < pm->n_notifies; i++) {
    guint16 type = pm->notifies[i].type;
    const char *rule = NULL;
    if (type == IKE_N_TS_UNACCEPTABLE || type == IKE_N_INVALID_ID_INFORMATION || type == IKE_N_SINGLE_PAIR_REQUIRED
        || type == IKE_N_INVALID_SELECTORS)
      rule = "traffic_selectors_rejected";
    else if (type == IKE_N_NO_PROPOSAL_CHOSEN || type == IKE_N_INVALID_KE_PAYLOAD)
      rule = "child_proposal_rejected";
    if (!rule)
      continue;
    ipsecdiag_finding_t *f = new_finding(rule, tunnel, frame, pkt, role);
    char *req_pfs = pfs_text(st->request_pfs, st->request_group);
    finding_set(f, "notify", "%s", ike_notify_name_for_version(pm->major_version, type));
    finding_set(f, "proposed_ts_i", "%s", st->request_ts_i);
    finding_set(f, "proposed_ts_r", "%s", st->request_ts_r);
    finding_set(f, "proposal", "%s", st->request_proposal);
    finding_set(f, "pfs", "%s", req_pfs);
    g_free(req_pfs);
    engine_attach_finding(engine, frame, f);
    break;
  }
}

static void check_identities(ipsecdiag_engine_t *engine, ipsecdiag_tunnel_t *tunnel, decrypt_state_t *st,
                             const ike_message_t *pm, ipsecdiag_frame_t *frame, const ipsecdiag_packet_t *pkt,
                             ipsecdiag_role_t role)
{
  /* IKEv1 phase 1 (MI3/MR3, AI2) and IKEv2 IKE_AUTH carry identities;
   * Quick Mode IDs are selectors. */
  if (pm->n_ids == 0 || pm->exchange_type == IKEV1_EXCH_QUICK)
    return;
  if (pm->major_version == 2 && pm->exchange_type != IKEV2_EXCH_IKE_AUTH)
    return;
  for (guint i = 0; i < pm->n_ids && i < 2; i++) {
    char *id = identity_text(pm->ids[i].id_type, pm->ids[i].data, pm->ids[i].data_len);
    gboolean own = pm->major_version == 1 || (role == IPSECDIAG_ROLE_INITIATOR) == (pm->ids[i].payload_type == IKEV2_PL_IDI);
    char **slot = (role == IPSECDIAG_ROLE_INITIATOR) == own ? &tunnel->id_i : &tunnel->id_r;
    if (own && !*slot)
      *slot = g_strdup(id);
    if (!own && !st->expected_id_r)
      st->expected_id_r = g_strdup(id);
    ipsecdiag_finding_t *f = new_finding(own ? "identity_decrypted" : "expected_identity_decrypted",
                                         tunnel, frame, pkt, role);
    finding_set(f, "id", "%s", id);
    finding_set(f, "id_type", "%s", ike_id_type_name(pm->ids[i].id_type));
    engine_attach_finding(engine, frame, f);
    g_free(id);
  }
}

/* IKEv2: the responder refuses an AUTH that is correct for a supplied PSK.
 * Either it holds another PSK for this peer, or it looked the connection
 * (and so the PSK) up by another identity. */
static void check_auth_refused(ipsecdiag_engine_t *engine, ipsecdiag_tunnel_t *tunnel, decrypt_state_t *st,
                               const ike_message_t *pm, ipsecdiag_frame_t *frame, const ipsecdiag_packet_t *pkt,
                               ipsecdiag_role_t role)
{
  const ike_psk_check_t *ci = ike_decrypt_sa_psk_check(st->sa, 0);
  if (st->auth_hint_noted || pm->major_version != 2 || pm->exchange_type != IKEV2_EXCH_IKE_AUTH
      || !(pm->flags & IKEV2_FLAG_RESPONSE) || !ike_message_find_notify(pm, IKE_N_AUTHENTICATION_FAILED)
      || ci->verdict != IKE_PSK_MATCH)
    return;
  st->auth_hint_noted = TRUE;
  ipsecdiag_finding_t *f = new_finding("auth_refused_psk_correct", tunnel, frame, pkt, role);
  finding_set(f, "entry", "%s", ci->label);
  finding_set(f, "id_i", "%s", tunnel->id_i ? tunnel->id_i : "(not seen)");
  finding_set(f, "expected_id_r", "%s", st->expected_id_r ? st->expected_id_r : "(none requested)");
  engine_attach_finding(engine, frame, f);
}

/* ---- entry point ---- */

void engine_decrypt_message(ipsecdiag_engine_t *engine, ipsecdiag_tunnel_t *tunnel, ipsecdiag_message_t *message,
                            ipsecdiag_frame_t *frame, const ipsecdiag_packet_t *pkt, ipsecdiag_role_t role,
                            const guint8 *data, gsize len, const ike_message_t *msg)
{
  /* Retransmissions repeat what their original said. */
  if (!message || role == IPSECDIAG_ROLE_UNKNOWN)
    return;
  decrypt_state_t *st = state_for(engine, tunnel, frame);
  if (!st)
    return;
  /* IKEv2 keys are filed by SPI pair: look again once SPIr is known,
   * before the first encrypted message (IKEv1 IV chains must not restart). */
  if (tunnel->version == 2 && !msg->encrypted && msg->exchange_type == IKEV2_EXCH_IKE_SA_INIT
      && (msg->flags & IKEV2_FLAG_RESPONSE))
    supply_keys(engine, st, tunnel);
  if (!ike_decrypt_sa_has_keys(st->sa))
    return;

  ike_decrypt_result_t res;
  ike_decrypt_sa_feed(st->sa, data, len, msg, role == IPSECDIAG_ROLE_INITIATOR, frame->frame, &res);
  frame->decrypt_status = (guint8)res.status;
  guint side = role == IPSECDIAG_ROLE_INITIATOR ? 0 : 1;

  switch (res.status) {
  case IKE_DEC_OK: {
    tunnel->decrypted_messages++;
    message->decrypted = TRUE;
    frame->decrypted = res.plain;
    frame->decrypted_len = (guint32)res.plain_len;
    res.plain = NULL;
    if (!engine->decrypt_scratch)
      engine->decrypt_scratch = g_new(ike_message_t, 1);
    ike_message_t *pm = engine->decrypt_scratch;
    ike_parse_message(frame->decrypted, frame->decrypted_len, pm);
    /* The same checks as for cleartext: notifies raise their rules. */
    char *child_offer = NULL;
    if (st->request_proposal && role == IPSECDIAG_ROLE_RESPONDER) {
      char *pfs = pfs_text(st->request_pfs, st->request_group);
      child_offer = g_strdup_printf("%s, %s (decrypted request)", st->request_proposal, pfs);
      g_free(pfs);
    }
    engine->decrypted_child_offer = child_offer;
    engine_check_negotiation(engine, tunnel, pm, frame, pkt, role);
    engine->decrypted_child_offer = NULL;
    g_free(child_offer);
    check_identities(engine, tunnel, st, pm, frame, pkt, role);
    if (is_child_exchange(pm) || pm->exchange_type == IKEV2_EXCH_IKE_AUTH
        || pm->exchange_type == IKEV1_EXCH_INFORMATIONAL || pm->exchange_type == IKEV2_EXCH_INFORMATIONAL)
      check_child(engine, tunnel, st, pm, frame, pkt, role);
    check_auth_refused(engine, tunnel, st, pm, frame, pkt, role);
    note_informational(engine, tunnel, pm, frame, pkt);
    break;
  }
  case IKE_DEC_WRONG_KEY:
  case IKE_DEC_INTEGRITY_FAILED:
  case IKE_DEC_UNSUPPORTED:
    tunnel->undecrypted_messages++;
    if (!st->failure_noted[side]) {
      st->failure_noted[side] = TRUE;
      const char *rule = res.status == IKE_DEC_INTEGRITY_FAILED ? "decryption_integrity_failed"
                       : res.status == IKE_DEC_UNSUPPORTED ? "decryption_unsupported" : "decryption_failed";
      ipsecdiag_finding_t *f = new_finding(rule, tunnel, frame, pkt, role);
      finding_set(f, "detail", "%s", res.detail);
      finding_set(f, "suite", "%s", *ike_decrypt_sa_suite(st->sa) ? ike_decrypt_sa_suite(st->sa) : "(unknown)");
      engine_attach_finding(engine, frame, f);
    }
    break;
  case IKE_DEC_NO_KEYS:
    tunnel->undecrypted_messages++;
    if (!st->insufficient_noted) {
      st->insufficient_noted = TRUE;
      ipsecdiag_finding_t *f = new_finding("decryption_keys_insufficient", tunnel, frame, pkt, role);
      finding_set(f, "detail", "%s", res.detail);
      engine_attach_finding(engine, frame, f);
    }
    break;
  default:
    break;
  }
  ike_decrypt_result_clear(&res);
  if (ike_decrypt_sa_psk_changed(st->sa))
    check_psk_verdicts(engine, tunnel, st, frame, pkt, role);
}
