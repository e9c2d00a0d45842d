/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag: decryption context of one IKE SA (see ike_decrypt.h).
 */
#include <string.h>

#include "ipsecdiag/ike_crypto.h"
#include "ipsecdiag/ike_decrypt.h"

typedef struct {
  guint8 *data;
  gsize len;
} buf_t;

static void buf_set(buf_t *b, const guint8 *data, gsize len)
{
  if (b->data) {
    ike_crypto_wipe(b->data, b->len);
    g_free(b->data);
  }
  b->data = len ? g_memdup2(data, len) : NULL;
  b->len = len;
}

static void buf_clear(buf_t *b)
{
  buf_set(b, NULL, 0);
}

static void buf_from_secret(buf_t *b, const ipsecdiag_secret_t *s)
{
  if (s && s->len && s->len <= IPSECDIAG_KEY_MAX && s->data)
    buf_set(b, s->data, s->len);
}

typedef struct {
  char label[64];
  gint psk_index;                /* -1: keys supplied directly */
  ike1_keys_t keys;
  ike1_iv_state_t iv;
} v1_candidate_t;

typedef struct {
  char label[64];
  buf_t secret;
} psk_t;

/* One IKEv2 message being reassembled from its fragments (RFC 7383). */
typedef struct {
  gboolean active;
  gboolean done;                 /* reassembled: later copies of its fragments are ignored */
  guint32 message_id;
  guint16 total;
  guint16 received;
  guint8 first_payload;          /* SKF next payload of fragment 1 */
  gsize bytes;                   /* decrypted bytes kept */
  guint8 *parts[IKE_DECRYPT_MAX_FRAGMENTS];
  gsize part_len[IKE_DECRYPT_MAX_FRAGMENTS];
} frag_set_t;

struct ike_decrypt_sa {
  guint8 version;
  /* Supplied. */
  buf_t dh;
  buf_t skeyid, skeyid_d, skeyid_a, skeyid_e, enc_key;
  buf_t sk_d, sk_ai, sk_ar, sk_ei, sk_er, sk_pi, sk_pr;
  guint16 encr_id, encr_key_bits, integ_id, integ_icv_len;
  guint n_psks;
  psk_t psks[IKE_DECRYPT_MAX_PSKS];
  /* Seen in the clear. */
  guint8 spi_i[IKE_SPI_LEN], spi_r[IKE_SPI_LEN];
  gboolean have_suite;
  ike1_suite_t suite1;
  ike2_suite_t suite2;
  buf_t sa_i_b, ke_i, ke_r, nonce_i, nonce_r, id_i_b, id_r_b;
  buf_t init_req, init_resp;
  /* Derived. */
  gboolean keys_built;
  guint n_candidates;
  v1_candidate_t *candidates;    /* room for n_psks + 1, allocated when keys are built */
  gint last_good[2];             /* candidate that last decrypted each side, -1 none */
  gboolean v2_ready;
  ike2_keys_t k2;
  char no_keys_reason[96];
  ike_psk_check_t psk[2];
  gboolean psk_changed;
  char suite_desc[64];
  /* IKEv2 fragments: [from initiator][response]. */
  frag_set_t frags[2][2];
  /* Quick Mode nonces per message ID, for HASH(2) and HASH(3). */
  guint next_qm;
  struct {
    guint32 message_id;
    buf_t ni, nr;
  } qm[4];
};

/* The parse of a decrypted message: large, so only while it is needed. */
static ike_message_t *parse_plain(const guint8 *plain, gsize len)
{
  ike_message_t *pm = g_new(ike_message_t, 1);
  ike_parse_message(plain, len, pm);
  return pm;
}

const char *ike_decrypt_status_name(ike_decrypt_status_t status)
{
  switch (status) {
  case IKE_DEC_NOT_ENCRYPTED: return "not encrypted";
  case IKE_DEC_OK: return "decrypted";
  case IKE_DEC_NO_KEYS: return "no keys";
  case IKE_DEC_WRONG_KEY: return "key does not decrypt it";
  case IKE_DEC_INTEGRITY_FAILED: return "integrity check failed";
  case IKE_DEC_UNSUPPORTED: return "not supported";
  case IKE_DEC_FRAGMENT: return "fragment decrypted (message not complete yet)";
  default: return "unknown";
  }
}

void ike_decrypt_result_clear(ike_decrypt_result_t *result)
{
  if (result->plain) {
    ike_crypto_wipe(result->plain, result->plain_len);
    g_free(result->plain);
  }
  memset(result, 0, sizeof *result);
}

ike_decrypt_sa_t *ike_decrypt_sa_new(guint8 version)
{
  ike_decrypt_sa_t *sa = g_new0(ike_decrypt_sa_t, 1);
  sa->version = version;
  sa->last_good[0] = sa->last_good[1] = -1;
  return sa;
}

static void clear_supplied(ike_decrypt_sa_t *sa)
{
  buf_t *bufs[] = {&sa->dh, &sa->skeyid, &sa->skeyid_d, &sa->skeyid_a, &sa->skeyid_e, &sa->enc_key,
                   &sa->sk_d, &sa->sk_ai, &sa->sk_ar, &sa->sk_ei, &sa->sk_er, &sa->sk_pi, &sa->sk_pr};
  for (gsize i = 0; i < G_N_ELEMENTS(bufs); i++)
    buf_clear(bufs[i]);
  for (guint i = 0; i < sa->n_psks; i++)
    buf_clear(&sa->psks[i].secret);
  sa->n_psks = 0;
}

static void frag_set_clear(frag_set_t *set)
{
  for (guint i = 0; i < IKE_DECRYPT_MAX_FRAGMENTS; i++) {
    if (set->parts[i]) {
      ike_crypto_wipe(set->parts[i], set->part_len[i]);
      g_free(set->parts[i]);
    }
  }
  memset(set, 0, sizeof *set);
}

void ike_decrypt_sa_free(ike_decrypt_sa_t *sa)
{
  if (!sa)
    return;
  for (guint d = 0; d < 2; d++)
    for (guint r = 0; r < 2; r++)
      frag_set_clear(&sa->frags[d][r]);
  clear_supplied(sa);
  buf_t *seen[] = {&sa->sa_i_b, &sa->ke_i, &sa->ke_r, &sa->nonce_i, &sa->nonce_r, &sa->id_i_b,
                   &sa->id_r_b, &sa->init_req, &sa->init_resp};
  for (gsize i = 0; i < G_N_ELEMENTS(seen); i++)
    buf_clear(seen[i]);
  if (sa->candidates) {
    ike_crypto_wipe(sa->candidates, (sa->n_psks + 1) * sizeof *sa->candidates);
    g_free(sa->candidates);
  }
  ike_crypto_wipe(&sa->k2, sizeof sa->k2);
  for (guint i = 0; i < G_N_ELEMENTS(sa->qm); i++) {
    buf_clear(&sa->qm[i].ni);
    buf_clear(&sa->qm[i].nr);
  }
  g_free(sa);
}

void ike_decrypt_sa_set_keys(ike_decrypt_sa_t *sa, const ipsecdiag_ike1_keys_t *ike1,
                             const ipsecdiag_ike2_keys_t *ike2,
                             const ipsecdiag_psk_entry_t *const *psks, guint n_psks)
{
  if (sa->candidates) {
    ike_crypto_wipe(sa->candidates, (sa->n_psks + 1) * sizeof *sa->candidates);
    g_free(sa->candidates);
    sa->candidates = NULL;
  }
  clear_supplied(sa);
  if (ike1) {
    buf_from_secret(&sa->dh, &ike1->dh_secret);
    buf_from_secret(&sa->skeyid, &ike1->skeyid);
    buf_from_secret(&sa->skeyid_d, &ike1->skeyid_d);
    buf_from_secret(&sa->skeyid_a, &ike1->skeyid_a);
    buf_from_secret(&sa->skeyid_e, &ike1->skeyid_e);
    buf_from_secret(&sa->enc_key, &ike1->enc_key);
  }
  if (ike2) {
    buf_from_secret(&sa->dh, &ike2->dh_secret);
    buf_from_secret(&sa->sk_d, &ike2->sk_d);
    buf_from_secret(&sa->sk_ai, &ike2->sk_ai);
    buf_from_secret(&sa->sk_ar, &ike2->sk_ar);
    buf_from_secret(&sa->sk_ei, &ike2->sk_ei);
    buf_from_secret(&sa->sk_er, &ike2->sk_er);
    buf_from_secret(&sa->sk_pi, &ike2->sk_pi);
    buf_from_secret(&sa->sk_pr, &ike2->sk_pr);
    sa->encr_id = ike2->encr_id;
    sa->encr_key_bits = ike2->encr_key_bits;
    sa->integ_id = ike2->integ_id;
    sa->integ_icv_len = ike2->integ_icv_len;
  }
  for (guint i = 0; i < n_psks && sa->n_psks < IKE_DECRYPT_MAX_PSKS; i++) {
    if (!psks[i] || !psks[i]->psk.len || !psks[i]->psk.data || psks[i]->psk.len > IPSECDIAG_KEY_MAX)
      continue;
    psk_t *p = &sa->psks[sa->n_psks++];
    g_strlcpy(p->label, psks[i]->label ? psks[i]->label : "unnamed", sizeof p->label);
    buf_set(&p->secret, psks[i]->psk.data, psks[i]->psk.len);
  }
  /* Keys are (re)built at the next encrypted message. */
  sa->keys_built = FALSE;
  sa->v2_ready = FALSE;
  sa->n_candidates = 0;
  sa->last_good[0] = sa->last_good[1] = -1;
}

gboolean ike_decrypt_sa_has_keys(const ike_decrypt_sa_t *sa)
{
  return sa->dh.len || sa->enc_key.len || sa->skeyid_e.len || sa->skeyid.len || sa->sk_ei.len ||
         sa->n_psks;
}

const ike_psk_check_t *ike_decrypt_sa_psk_check(const ike_decrypt_sa_t *sa, guint side)
{
  return &sa->psk[side ? 1 : 0];
}

gboolean ike_decrypt_sa_psk_changed(const ike_decrypt_sa_t *sa)
{
  return sa->psk_changed;
}

const char *ike_decrypt_sa_suite(const ike_decrypt_sa_t *sa)
{
  return sa->suite_desc;
}

static void set_psk_check(ike_decrypt_sa_t *sa, guint side, ike_psk_verdict_t verdict,
                          const char *label, const char *how, guint32 frame)
{
  ike_psk_check_t *c = &sa->psk[side ? 1 : 0];
  /* A match is final; "no match" may still become a match (another message). */
  if (c->verdict == IKE_PSK_MATCH)
    return;
  if (c->verdict == verdict && verdict == IKE_PSK_NO_MATCH)
    return;
  c->verdict = verdict;
  g_strlcpy(c->label, label ? label : "", sizeof c->label);
  c->how = how;
  c->frame = frame;
  sa->psk_changed = TRUE;
}

/* ------------------------------------------------------------------ IKEv1 */

static void v1_record_cleartext(ike_decrypt_sa_t *sa, const guint8 *data, gsize len,
                                const ike_message_t *msg, gboolean from_initiator)
{
  const guint8 *body;
  gsize body_len;

  if (msg->message_id != 0)
    return;
  memcpy(sa->spi_i, msg->spi_i, IKE_SPI_LEN);
  if (!from_initiator)
    memcpy(sa->spi_r, msg->spi_r, IKE_SPI_LEN);
  if (msg->n_proposals > 0 && msg->proposals[0].n_transforms > 0) {
    if (from_initiator) {
      if (ike_message_payload_body(msg, data, len, IKEV1_PL_SA, &body, &body_len))
        buf_set(&sa->sa_i_b, body, body_len);
    } else {
      const ike_transform_t *t = &msg->proposals[0].transforms[0];
      sa->suite1.encr = t->encr;
      sa->suite1.key_bits = t->key_len;
      sa->suite1.hash = t->hash;
      sa->have_suite = TRUE;
      ike1_suite_describe(&sa->suite1, sa->suite_desc, sizeof sa->suite_desc);
    }
  }
  if (msg->has_ke && msg->ke_data)
    buf_set(from_initiator ? &sa->ke_i : &sa->ke_r, msg->ke_data, msg->ke_len);
  if (msg->has_nonce && msg->nonce)
    buf_set(from_initiator ? &sa->nonce_i : &sa->nonce_r, msg->nonce, msg->nonce_len);
  if (ike_message_payload_body(msg, data, len, IKEV1_PL_ID, &body, &body_len))
    buf_set(from_initiator ? &sa->id_i_b : &sa->id_r_b, body, body_len);
}

static void v1_build_keys(ike_decrypt_sa_t *sa)
{
  if (sa->keys_built)
    return;
  sa->n_candidates = 0;
  if (!sa->have_suite) {
    g_strlcpy(sa->no_keys_reason, "the phase 1 SA (MR1/AR1) was not captured", sizeof sa->no_keys_reason);
    return;
  }
  if (!ike1_cipher_key_len(&sa->suite1) || !ike_hash_len(ike1_hash_from_attr(sa->suite1.hash))) {
    g_snprintf(sa->no_keys_reason, sizeof sa->no_keys_reason, "the phase 1 suite (%s) is not supported",
               sa->suite_desc);
    return;
  }
  if (!sa->ke_i.len || !sa->ke_r.len) {
    g_strlcpy(sa->no_keys_reason, "the KE payloads of phase 1 were not captured", sizeof sa->no_keys_reason);
    return;
  }
  sa->keys_built = TRUE;
  g_strlcpy(sa->no_keys_reason, "no supplied key applies to this IKE SA", sizeof sa->no_keys_reason);
  if (!sa->candidates)
    sa->candidates = g_new0(v1_candidate_t, sa->n_psks + 1);

  /* Keys given directly first, then one candidate per PSK. */
  v1_candidate_t *c = &sa->candidates[0];
  memset(c, 0, sizeof *c);
  ike1_keys_init(&c->keys, &sa->suite1);
  c->psk_index = -1;
  g_strlcpy(c->label, "supplied keys", sizeof c->label);
  gboolean direct = FALSE;
  if (sa->enc_key.len) {
    direct = ike1_set_enc_key(&c->keys, sa->enc_key.data, sa->enc_key.len);
  } else if (sa->skeyid_e.len == c->keys.prf_len) {
    memcpy(c->keys.skeyid_e, sa->skeyid_e.data, c->keys.prf_len);
    c->keys.has_skeyid_e = TRUE;
    direct = ike1_enc_key_from_skeyid_e(&c->keys);
  } else if (sa->skeyid.len == c->keys.prf_len && sa->dh.len) {
    memcpy(c->keys.skeyid, sa->skeyid.data, c->keys.prf_len);
    c->keys.has_skeyid = TRUE;
    direct = ike1_derive_from_skeyid(&c->keys, sa->dh.data, sa->dh.len, sa->spi_i, sa->spi_r);
  }
  if (direct && sa->skeyid_a.len == c->keys.prf_len && !c->keys.has_skeyid_a) {
    memcpy(c->keys.skeyid_a, sa->skeyid_a.data, c->keys.prf_len);
    c->keys.has_skeyid_a = TRUE;
  }
  /* SKEYID_d given (Wireshark's table has only the cipher key): KEYMAT. */
  if (direct && sa->skeyid_d.len == c->keys.prf_len && !c->keys.has_skeyid_d) {
    memcpy(c->keys.skeyid_d, sa->skeyid_d.data, c->keys.prf_len);
    c->keys.has_skeyid_d = TRUE;
  }
  if (direct && ike1_iv_state_init(&c->iv, &sa->suite1, sa->ke_i.data, sa->ke_i.len, sa->ke_r.data, sa->ke_r.len))
    sa->n_candidates++;

  if (sa->dh.len && sa->nonce_i.len && sa->nonce_r.len) {
    for (guint i = 0; i < sa->n_psks; i++) {
      c = &sa->candidates[sa->n_candidates];
      memset(c, 0, sizeof *c);
      c->psk_index = (gint)i;
      g_strlcpy(c->label, sa->psks[i].label, sizeof c->label);
      if (ike1_keys_init(&c->keys, &sa->suite1) &&
          ike1_skeyid_psk(&c->keys, sa->psks[i].secret.data, sa->psks[i].secret.len,
                          sa->nonce_i.data, sa->nonce_i.len, sa->nonce_r.data, sa->nonce_r.len) &&
          ike1_derive_from_skeyid(&c->keys, sa->dh.data, sa->dh.len, sa->spi_i, sa->spi_r) &&
          ike1_iv_state_init(&c->iv, &sa->suite1, sa->ke_i.data, sa->ke_i.len, sa->ke_r.data, sa->ke_r.len))
        sa->n_candidates++;
    }
  } else if (sa->n_psks && !sa->n_candidates) {
    g_strlcpy(sa->no_keys_reason,
              "PSKs alone do not decrypt IKEv1 (the DH secret or SKEYID_e/the encryption key is needed)",
              sizeof sa->no_keys_reason);
  }
}

/* HASH_I (side 0) or HASH_R (side 1) against every PSK. */
static void v1_check_phase1_hash(ike_decrypt_sa_t *sa, guint side, const guint8 *hash, gsize hash_len,
                                 const guint8 *id_b, gsize id_len, guint32 frame)
{
  if (!sa->n_psks || !sa->have_suite || !sa->sa_i_b.len || !sa->ke_i.len || !sa->ke_r.len ||
      !sa->nonce_i.len || !sa->nonce_r.len || !id_len)
    return;
  for (guint i = 0; i < sa->n_psks; i++) {
    ike1_keys_t k;
    guint8 expected[IKE_CRYPTO_MAX_HASH];
    if (!ike1_keys_init(&k, &sa->suite1) || k.prf_len != hash_len ||
        !ike1_skeyid_psk(&k, sa->psks[i].secret.data, sa->psks[i].secret.len,
                         sa->nonce_i.data, sa->nonce_i.len, sa->nonce_r.data, sa->nonce_r.len) ||
        !ike1_phase1_hash(&k, side == 1, sa->ke_i.data, sa->ke_i.len, sa->ke_r.data, sa->ke_r.len,
                          sa->spi_i, sa->spi_r, sa->sa_i_b.data, sa->sa_i_b.len, id_b, id_len, expected))
      continue;
    ike_crypto_wipe(&k, sizeof k);
    if (memcmp(expected, hash, hash_len) == 0) {
      set_psk_check(sa, side, IKE_PSK_MATCH, sa->psks[i].label, side ? "HASH_R" : "HASH_I", frame);
      return;
    }
  }
  set_psk_check(sa, side, IKE_PSK_NO_MATCH, NULL, side ? "HASH_R" : "HASH_I", frame);
}

/* Quick Mode: keeps the nonces of each message ID and checks HASH(2)
 * (QR1: prf(SKEYID_a, M-ID | Ni_b | rest)) and HASH(3) (QI2: prf(SKEYID_a,
 * 0 | M-ID | Ni_b | Nr_b)). TRUE when the message's HASH verified. */
static gboolean v1_quick_mode_hash(ike_decrypt_sa_t *sa, const ike1_keys_t *keys, const ike_message_t *pm,
                                   const guint8 *plain, gsize plain_len, gboolean from_initiator)
{
  if (pm->exchange_type != IKEV1_EXCH_QUICK || !keys->has_skeyid_a)
    return FALSE;
  gint slot = -1;
  for (guint i = 0; i < G_N_ELEMENTS(sa->qm); i++)
    if (sa->qm[i].message_id == pm->message_id && (sa->qm[i].ni.len || sa->qm[i].nr.len))
      slot = (gint)i;
  if (slot < 0 && pm->has_nonce && from_initiator) {
    slot = (gint)sa->next_qm;
    sa->next_qm = (sa->next_qm + 1) % G_N_ELEMENTS(sa->qm);
    buf_clear(&sa->qm[slot].nr);
    sa->qm[slot].message_id = pm->message_id;
  }
  if (slot < 0)
    return FALSE;
  if (pm->has_nonce && pm->nonce)
    buf_set(from_initiator ? &sa->qm[slot].ni : &sa->qm[slot].nr, pm->nonce, pm->nonce_len);
  if (!pm->has_hash || !pm->hash || pm->hash_len != keys->prf_len || !sa->qm[slot].ni.len)
    return FALSE;
  guint8 expected[IKE_CRYPTO_MAX_HASH];
  if (!from_initiator) {
    /* rest: the payloads after HASH, up to the end of the chain. */
    gsize rest_start = 0, chain_end = 0;
    for (guint i = 0; i < pm->n_payloads; i++) {
      const ike_payload_ref_t *ref = &pm->payloads[i];
      if (ref->type == IKEV1_PL_HASH && !rest_start)
        rest_start = ref->offset + ref->length;
      chain_end = MAX(chain_end, (gsize)ref->offset + ref->length);
    }
    if (!rest_start || chain_end > plain_len || rest_start > chain_end)
      return FALSE;
    return ike1_exchange_hash(keys, pm->message_id, sa->qm[slot].ni.data, sa->qm[slot].ni.len,
                              plain + rest_start, chain_end - rest_start, expected) &&
           memcmp(expected, pm->hash, pm->hash_len) == 0;
  }
  if (pm->has_nonce || !sa->qm[slot].nr.len)
    return FALSE;                      /* QI1 is checked by the decryption (HASH(1)) */
  guint8 zero = 0;
  guint8 mid[4] = {(guint8)(pm->message_id >> 24), (guint8)(pm->message_id >> 16),
                   (guint8)(pm->message_id >> 8), (guint8)pm->message_id};
  ike_chunk_t parts[4] = {{&zero, 1}, {mid, 4}, {sa->qm[slot].ni.data, sa->qm[slot].ni.len},
                          {sa->qm[slot].nr.data, sa->qm[slot].nr.len}};
  return ike_prf(ike1_hash_from_attr(keys->suite.hash), keys->skeyid_a, keys->prf_len, parts, 4, expected) &&
         memcmp(expected, pm->hash, pm->hash_len) == 0;
}

static void v1_feed(ike_decrypt_sa_t *sa, const guint8 *data, gsize len, const ike_message_t *msg,
                    gboolean from_initiator, guint32 frame, ike_decrypt_result_t *result)
{
  guint side = from_initiator ? 0 : 1;

  if (!msg->encrypted) {
    v1_record_cleartext(sa, data, len, msg, from_initiator);
    /* Aggressive Mode: HASH_R in AR1 (and HASH_I in a cleartext AI2) is
     * checked with the PSK alone. */
    if (msg->message_id == 0 && msg->has_hash && msg->hash) {
      buf_t *id = from_initiator ? &sa->id_i_b : &sa->id_r_b;
      v1_check_phase1_hash(sa, side, msg->hash, msg->hash_len, id->data, id->len, frame);
    }
    return;
  }
  if (!sa->keys_built)
    v1_build_keys(sa);
  if (sa->n_candidates == 0) {
    result->status = IKE_DEC_NO_KEYS;
    g_strlcpy(result->detail, sa->no_keys_reason, sizeof result->detail);
    return;
  }

  /* The candidate that decrypted this side before goes first. */
  guint order[IKE_DECRYPT_MAX_PSKS + 1], n = 0;
  if (sa->last_good[side] >= 0)
    order[n++] = (guint)sa->last_good[side];
  for (guint i = 0; i < sa->n_candidates; i++)
    if ((gint)i != sa->last_good[side])
      order[n++] = i;

  ike1_plain_quality_t best_quality = IKE1_PLAIN_NONE;
  gint fallback = -1;
  ike1_iv_state_t fallback_saved;
  for (guint k = 0; k < n; k++) {
    v1_candidate_t *c = &sa->candidates[order[k]];
    ike1_iv_state_t saved = c->iv;
    guint8 *plain = NULL;
    gsize plain_len = 0;
    ike1_plain_quality_t q = ike1_decrypt_message(&c->keys, &c->iv, data, len, &plain, &plain_len);
    if (q == IKE1_PLAIN_NONE)
      continue;
    /* A merely plausible decryption while other key sets remain could be
     * chance when a HASH could have been checked: keep it as a fallback and
     * look for a verified one. */
    if (q == IKE1_PLAIN_PLAUSIBLE && c->keys.has_skeyid_a && msg->message_id != 0 && k + 1 < n) {
      if (fallback < 0) {
        fallback = (gint)order[k];
        fallback_saved = saved;
        result->plain = plain;
        result->plain_len = plain_len;
        result->key_label = c->label;
        best_quality = q;
        sa->last_good[side] = fallback;
      } else {
        g_free(plain);
        c->iv = saved;
      }
      continue;
    }
    if (fallback >= 0) {
      sa->candidates[fallback].iv = fallback_saved;
      g_free(result->plain);
      result->plain = NULL;
    }
    result->plain = plain;
    result->plain_len = plain_len;
    result->key_label = c->label;
    best_quality = q;
    sa->last_good[side] = (gint)order[k];
    break;
  }
  if (best_quality == IKE1_PLAIN_NONE) {
    result->status = IKE_DEC_WRONG_KEY;
    g_snprintf(result->detail, sizeof result->detail, "none of %u key set%s (%s) decrypts it",
               sa->n_candidates, sa->n_candidates == 1 ? "" : "s", sa->suite_desc);
    /* Main Mode MI3/MR3, or an Informational, that no key derived from a
     * supplied PSK decrypts (both IV chains tried): that side's PSK is none
     * of the supplied ones. Keys given directly prove nothing about PSKs. */
    gboolean informational = msg->exchange_type == IKEV1_EXCH_INFORMATIONAL;
    if ((msg->message_id == 0 || informational) && sa->n_psks && sa->dh.len) {
      guint psk_candidates = 0;
      for (guint i = 0; i < sa->n_candidates; i++)
        if (sa->candidates[i].psk_index >= 0)
          psk_candidates++;
      if (psk_candidates == sa->n_psks)
        set_psk_check(sa, side, IKE_PSK_NO_MATCH, NULL,
                      informational ? "decryption of its Informational" : "decryption of its phase 1 message", frame);
    }
    return;
  }
  result->status = IKE_DEC_OK;
  ike_message_t *pm = parse_plain(result->plain, result->plain_len);
  /* Called for every message: it records the Quick Mode nonces. */
  gboolean qm_verified = v1_quick_mode_hash(sa, &sa->candidates[sa->last_good[side]].keys, pm, result->plain,
                                            result->plain_len, from_initiator);
  result->verified = best_quality == IKE1_PLAIN_VERIFIED || qm_verified;
  g_snprintf(result->detail, sizeof result->detail, "decrypted with %s (%s)%s", result->key_label,
             sa->suite_desc, result->verified ? ", HASH verified" : "");

  /* What the decrypted message proves about the PSKs. */
  if (msg->message_id == 0 && pm->has_hash && pm->hash) {
    const guint8 *id_b;
    gsize id_len;
    if (ike_message_payload_body(pm, result->plain, result->plain_len, IKEV1_PL_ID, &id_b, &id_len)) {
      buf_set(from_initiator ? &sa->id_i_b : &sa->id_r_b, id_b, id_len);
      v1_check_phase1_hash(sa, side, pm->hash, pm->hash_len, id_b, id_len, frame);
    } else {
      buf_t *id = from_initiator ? &sa->id_i_b : &sa->id_r_b;
      v1_check_phase1_hash(sa, side, pm->hash, pm->hash_len, id->data, id->len, frame);
    }
  }
  g_free(pm);
  v1_candidate_t *used = &sa->candidates[sa->last_good[side]];
  if (used->psk_index >= 0 && sa->psk[side].verdict != IKE_PSK_MATCH &&
      (result->verified || msg->message_id == 0))
    set_psk_check(sa, side, IKE_PSK_MATCH, used->label,
                  msg->message_id == 0 ? "decryption of its phase 1 message"
                                       : "decryption of its message (HASH verified)", frame);
}

/* ------------------------------------------------------------------ IKEv2 */

static void v2_record_cleartext(ike_decrypt_sa_t *sa, const guint8 *data, gsize len,
                                const ike_message_t *msg, gboolean from_initiator)
{
  if (msg->exchange_type != IKEV2_EXCH_IKE_SA_INIT)
    return;
  gboolean response = (msg->flags & IKEV2_FLAG_RESPONSE) != 0;
  if (!response) {
    if (len > IKE_DECRYPT_MAX_SAVED_MESSAGE)
      return;
    memcpy(sa->spi_i, msg->spi_i, IKE_SPI_LEN);
    buf_set(&sa->init_req, data, len);
    if (msg->has_ke && msg->ke_data)
      buf_set(&sa->ke_i, msg->ke_data, msg->ke_len);
    if (msg->has_nonce && msg->nonce)
      buf_set(&sa->nonce_i, msg->nonce, msg->nonce_len);
    return;
  }
  /* A response without SA (INVALID_KE_PAYLOAD, COOKIE) leads to a retry. */
  if (msg->n_proposals == 0 || len > IKE_DECRYPT_MAX_SAVED_MESSAGE)
    return;
  memcpy(sa->spi_r, msg->spi_r, IKE_SPI_LEN);
  buf_set(&sa->init_resp, data, len);
  if (msg->has_nonce && msg->nonce)
    buf_set(&sa->nonce_r, msg->nonce, msg->nonce_len);
  if (msg->has_ke && msg->ke_data)
    buf_set(&sa->ke_r, msg->ke_data, msg->ke_len);
  const ike_proposal_t *p = &msg->proposals[0];
  memset(&sa->suite2, 0, sizeof sa->suite2);
  for (guint i = 0; i < p->n_transforms; i++) {
    const ike_transform_t *t = &p->transforms[i];
    switch (t->type) {
    case 1: sa->suite2.encr = t->id; sa->suite2.key_bits = t->key_len; break;
    case 2: sa->suite2.prf = t->id; break;
    case 3: sa->suite2.integ = t->id; break;
    default: break;
    }
  }
  if (sa->suite2.encr == IKE2_ENCR_3DES)
    sa->suite2.key_bits = 192;
  sa->have_suite = TRUE;
  sa->v2_ready = FALSE;
  sa->keys_built = FALSE;
}

static void v2_build_keys(ike_decrypt_sa_t *sa)
{
  ike2_suite_t suite = sa->suite2;

  if (sa->keys_built)
    return;
  sa->keys_built = TRUE;
  sa->v2_ready = FALSE;
  /* The keys file may name the algorithms (Wireshark's table does). */
  if (sa->encr_id) {
    suite.encr = sa->encr_id;
    suite.key_bits = sa->encr_key_bits;
    if (suite.encr == IKE2_ENCR_3DES)
      suite.key_bits = 192;
    suite.integ = sa->integ_id;
    if (suite.integ == IKE2_INTEG_UNCHECKED)
      suite.unchecked_icv_len = sa->integ_icv_len;
  }
  /* An IKE SA created by a rekey has no IKE_SA_INIT: without the PRF, SK_d
   * (whose length is the PRF's output) tells the usual HMAC PRFs apart. */
  if (!suite.prf && sa->sk_d.len) {
    switch (sa->sk_d.len) {
    case 16: suite.prf = 1; break;      /* PRF_HMAC_MD5 */
    case 20: suite.prf = 2; break;      /* PRF_HMAC_SHA1 */
    case 32: suite.prf = 5; break;      /* PRF_HMAC_SHA2_256 */
    case 48: suite.prf = 6; break;
    case 64: suite.prf = 7; break;
    default: break;
    }
  }
  ike2_suite_describe(&suite, sa->suite_desc, sizeof sa->suite_desc);
  if (sa->sk_ei.len && sa->sk_er.len) {
    if (!ike2_set_keys(&sa->k2, &suite, sa->sk_ei.data, sa->sk_ei.len, sa->sk_er.data, sa->sk_er.len,
                       sa->sk_ai.data, sa->sk_ai.len, sa->sk_ar.data, sa->sk_ar.len)) {
      g_snprintf(sa->no_keys_reason, sizeof sa->no_keys_reason,
                 "the supplied SK_e/SK_a lengths do not fit %s", sa->suite_desc);
      return;
    }
    gsize plen = ike_hash_len(ike2_prf_hash(suite.prf));
    if (plen && sa->sk_pi.len == plen && sa->sk_pr.len == plen) {
      memcpy(sa->k2.sk_pi, sa->sk_pi.data, plen);
      memcpy(sa->k2.sk_pr, sa->sk_pr.data, plen);
      sa->k2.has_sk_p = TRUE;
      sa->k2.prf_len = plen;
    }
    if (plen && sa->sk_d.len == plen) {
      memcpy(sa->k2.sk_d, sa->sk_d.data, plen);
      sa->k2.has_sk_d = TRUE;
    }
    sa->v2_ready = TRUE;
    return;
  }
  if (!sa->dh.len) {
    g_strlcpy(sa->no_keys_reason, "neither SK_e keys nor the DH secret were supplied", sizeof sa->no_keys_reason);
    return;
  }
  if (!sa->have_suite || !sa->nonce_i.len || !sa->nonce_r.len) {
    g_strlcpy(sa->no_keys_reason, "the IKE_SA_INIT exchange was not captured", sizeof sa->no_keys_reason);
    return;
  }
  if (!ike2_prf_hash(suite.prf)) {
    g_strlcpy(sa->no_keys_reason, "the negotiated PRF is not supported", sizeof sa->no_keys_reason);
    return;
  }
  if (!ike2_derive(&sa->k2, &suite, sa->dh.data, sa->dh.len, sa->nonce_i.data, sa->nonce_i.len,
                   sa->nonce_r.data, sa->nonce_r.len, sa->spi_i, sa->spi_r)) {
    g_snprintf(sa->no_keys_reason, sizeof sa->no_keys_reason, "%s is not supported", sa->suite_desc);
    return;
  }
  sa->v2_ready = TRUE;
}

static void v2_check_auth(ike_decrypt_sa_t *sa, gboolean from_initiator, const ike_message_t *pm,
                          const guint8 *plain, gsize plain_len, guint32 frame)
{
  guint side = from_initiator ? 0 : 1;
  const guint8 *id_b;
  gsize id_len;
  buf_t *init = from_initiator ? &sa->init_req : &sa->init_resp;
  buf_t *peer_nonce = from_initiator ? &sa->nonce_r : &sa->nonce_i;

  /* Method 2: shared key message integrity code. */
  if (!pm->has_auth || pm->auth_method != 2 || !pm->auth || !sa->n_psks || !sa->k2.has_sk_p ||
      !init->len || !peer_nonce->len)
    return;
  if (!ike_message_payload_body(pm, plain, plain_len, from_initiator ? IKEV2_PL_IDI : IKEV2_PL_IDR, &id_b, &id_len))
    return;
  for (guint i = 0; i < sa->n_psks; i++) {
    guint8 expected[IKE_CRYPTO_MAX_HASH];
    if (!ike2_psk_auth(&sa->k2, from_initiator, sa->psks[i].secret.data, sa->psks[i].secret.len,
                       init->data, init->len, peer_nonce->data, peer_nonce->len, id_b, id_len, expected))
      return;
    if (pm->auth_len == sa->k2.prf_len && memcmp(expected, pm->auth, pm->auth_len) == 0) {
      set_psk_check(sa, side, IKE_PSK_MATCH, sa->psks[i].label, "AUTH", frame);
      return;
    }
  }
  set_psk_check(sa, side, IKE_PSK_NO_MATCH, NULL, "AUTH", frame);
}

/* The inner payload chain of a decrypted SK payload (or of reassembled
 * fragments) into the result: rebuilt message, checks, AUTH. Takes inner. */
static void v2_finish(ike_decrypt_sa_t *sa, const guint8 *data, const ike_message_t *msg, gboolean from_initiator,
                      guint32 frame, guint8 *inner, gsize inner_len, guint8 first, guint fragments,
                      ike_decrypt_result_t *result)
{
  result->plain = ike2_rebuild_message(data, inner, inner_len, first, &result->plain_len);
  ike_crypto_wipe(inner, inner_len);
  g_free(inner);
  if (!result->plain) {
    result->status = IKE_DEC_UNSUPPORTED;
    return;
  }
  /* The ICV covers the ciphertext, not SK_e: a wrong SK_e passes the check
   * and yields garbage, which must not be shown as payloads. */
  ike_message_t *pm = parse_plain(result->plain, result->plain_len);
  /* More selectors or notifies than the parser keeps is still a valid chain. */
  if ((pm->status != IKE_PARSE_OK && pm->status != IKE_PARSE_TOO_MANY) || (first != 0 && pm->n_payloads == 0)) {
    g_free(pm);
    ike_crypto_wipe(result->plain, result->plain_len);
    g_free(result->plain);
    result->plain = NULL;
    result->plain_len = 0;
    result->status = IKE_DEC_WRONG_KEY;
    g_snprintf(result->detail, sizeof result->detail,
               "the decrypted data is no valid payload chain: the encryption key (SK_e) is wrong (%s)",
               sa->suite_desc);
    return;
  }
  result->status = IKE_DEC_OK;
  gboolean checked = ike2_encr_is_aead(sa->k2.suite.encr) ||
                     (sa->k2.suite.integ != IKE2_INTEG_NONE && sa->k2.suite.integ != IKE2_INTEG_UNCHECKED);
  result->verified = checked;
  result->key_label = "supplied keys";
  char reassembled[48] = "";
  if (fragments)
    g_snprintf(reassembled, sizeof reassembled, ", reassembled from %u fragments", fragments);
  g_snprintf(result->detail, sizeof result->detail, "decrypted (%s)%s%s", sa->suite_desc,
             checked ? ", integrity verified" : ", integrity not checked", reassembled);
  if (msg->exchange_type == IKEV2_EXCH_IKE_AUTH)
    v2_check_auth(sa, from_initiator, pm, result->plain, result->plain_len, frame);
  g_free(pm);
}

/* Maps a failed ike2_decrypt() to the result. */
static void v2_failure(const ike_decrypt_sa_t *sa, ike2_decrypt_status_t st, ike_decrypt_result_t *result)
{
  switch (st) {
  case IKE2_DECRYPT_INTEGRITY_FAILED:
    result->status = IKE_DEC_INTEGRITY_FAILED;
    g_snprintf(result->detail, sizeof result->detail, "%s: the supplied keys do not match this IKE SA (%s)",
               ike2_decrypt_status_name(st), sa->suite_desc);
    return;
  case IKE2_DECRYPT_BAD_PADDING:
    result->status = IKE_DEC_WRONG_KEY;
    g_snprintf(result->detail, sizeof result->detail, "%s (%s)", ike2_decrypt_status_name(st), sa->suite_desc);
    return;
  case IKE2_DECRYPT_UNSUPPORTED:
    result->status = IKE_DEC_UNSUPPORTED;
    g_snprintf(result->detail, sizeof result->detail, "%s is not supported", sa->suite_desc);
    return;
  default:
    result->status = IKE_DEC_UNSUPPORTED;
    g_strlcpy(result->detail, ike2_decrypt_status_name(st), sizeof result->detail);
    return;
  }
}

/* One decrypted fragment (its part of the inner chain, taken) into the set
 * of its message. Returns the whole inner chain when this fragment
 * completed the message (*inner_len, *first, *fragments set), else NULL
 * with result->status and detail saying what happened to the fragment. */
static guint8 *v2_reassemble(ike_decrypt_sa_t *sa, const ike_message_t *msg, gboolean from_initiator,
                             guint8 *part, gsize part_len, guint8 next, gsize *inner_len, guint8 *first,
                             guint *fragments, ike_decrypt_result_t *result)
{
  frag_set_t *set = &sa->frags[from_initiator ? 1 : 0][(msg->flags & IKEV2_FLAG_RESPONSE) ? 1 : 0];
  guint16 number = msg->frag_number, total = msg->frag_total;
  gboolean keep = FALSE;

  result->status = IKE_DEC_FRAGMENT;
  if (set->active && msg->message_id < set->message_id) {
    g_snprintf(result->detail, sizeof result->detail,
               "fragment %u/%u of an older message than the one being reassembled (ignored)", number, total);
    ike_crypto_wipe(part, part_len);
    g_free(part);
    return NULL;
  }
  /* A newer message of this direction ends an unfinished older one. */
  if (!set->active || set->message_id != msg->message_id) {
    frag_set_clear(set);
    set->active = TRUE;
    set->message_id = msg->message_id;
    set->total = total;
  }
  if (set->done) {
    g_snprintf(result->detail, sizeof result->detail,
               "fragment %u/%u of a message already reassembled (ignored)", number, total);
  } else if (total < set->total) {
    /* RFC 7383 2.6.1: fragments of an older, coarser fragmentation. */
    g_snprintf(result->detail, sizeof result->detail,
               "fragment %u/%u ignored: fragments of %u were received for this message", number, total,
               set->total);
  } else {
    if (total > set->total) {
      /* The sender fragmented again (smaller MTU): start over. */
      guint32 id = set->message_id;
      frag_set_clear(set);
      set->active = TRUE;
      set->message_id = id;
      set->total = total;
    }
    if (set->parts[number - 1]) {
      g_snprintf(result->detail, sizeof result->detail, "fragment %u/%u received again (ignored)", number, total);
    } else if (set->bytes + part_len > IKE_DECRYPT_MAX_REASSEMBLED) {
      frag_set_clear(set);
      result->status = IKE_DEC_UNSUPPORTED;
      g_snprintf(result->detail, sizeof result->detail,
                 "fragment %u/%u: the message would exceed %u bytes, not reassembled", number, total,
                 IKE_DECRYPT_MAX_REASSEMBLED);
    } else {
      keep = TRUE;
      set->parts[number - 1] = part;
      set->part_len[number - 1] = part_len;
      set->bytes += part_len;
      set->received++;
      if (number == 1)
        set->first_payload = next;
      g_snprintf(result->detail, sizeof result->detail, "fragment %u/%u decrypted (%u of %u so far)", number,
                 total, set->received, total);
    }
  }
  if (!keep) {
    ike_crypto_wipe(part, part_len);
    g_free(part);
  }
  if (!keep || set->received < set->total)
    return NULL;

  guint8 *inner = g_malloc(set->bytes ? set->bytes : 1);
  gsize off = 0;
  for (guint i = 0; i < set->total; i++) {
    memcpy(inner + off, set->parts[i], set->part_len[i]);
    off += set->part_len[i];
  }
  *inner_len = off;
  *first = set->first_payload;
  *fragments = set->total;
  guint32 id = set->message_id;
  frag_set_clear(set);
  set->active = TRUE;
  set->done = TRUE;
  set->message_id = id;
  return inner;
}

static void v2_feed(ike_decrypt_sa_t *sa, const guint8 *data, gsize len, const ike_message_t *msg,
                    gboolean from_initiator, guint32 frame, ike_decrypt_result_t *result)
{
  if (!msg->encrypted) {
    v2_record_cleartext(sa, data, len, msg, from_initiator);
    return;
  }
  if (msg->is_fragment && (msg->frag_number == 0 || msg->frag_total == 0 || msg->frag_number > msg->frag_total
                           || msg->frag_total > IKE_DECRYPT_MAX_FRAGMENTS)) {
    result->status = IKE_DEC_UNSUPPORTED;
    g_snprintf(result->detail, sizeof result->detail,
               "fragment %u of %u: impossible numbering or more than %u fragments, not reassembled",
               msg->frag_number, msg->frag_total, IKE_DECRYPT_MAX_FRAGMENTS);
    return;
  }
  if (!sa->keys_built)
    v2_build_keys(sa);
  if (!sa->v2_ready) {
    result->status = IKE_DEC_NO_KEYS;
    g_strlcpy(result->detail, sa->no_keys_reason, sizeof result->detail);
    return;
  }
  guint8 *inner = NULL;
  gsize inner_len = 0;
  guint8 first = 0;
  ike2_decrypt_status_t st = ike2_decrypt(&sa->k2, from_initiator, data, len, &inner, &inner_len, &first);
  if (st != IKE2_DECRYPT_OK) {
    v2_failure(sa, st, result);
    return;
  }
  guint fragments = 0;
  if (msg->is_fragment) {
    inner = v2_reassemble(sa, msg, from_initiator, inner, inner_len, first, &inner_len, &first, &fragments, result);
    if (!inner)
      return;
  }
  v2_finish(sa, data, msg, from_initiator, frame, inner, inner_len, first, fragments, result);
}

void ike_decrypt_sa_feed(ike_decrypt_sa_t *sa, const guint8 *data, gsize len, const ike_message_t *msg,
                         gboolean from_initiator, guint32 frame, ike_decrypt_result_t *result)
{
  memset(result, 0, sizeof *result);
  sa->psk_changed = FALSE;
  if (!data || !msg || len < IKE_HEADER_LEN)
    return;
  if (len > msg->length)
    len = msg->length;
  if (sa->version == 1)
    v1_feed(sa, data, len, msg, from_initiator, frame, result);
  else
    v2_feed(sa, data, len, msg, from_initiator, frame, result);
}

gboolean ike_decrypt_sa_keymat(const ike_decrypt_sa_t *sa, guint side, const guint8 *g_new, gsize g_new_len,
                               guint8 protocol, guint32 spi, const guint8 *ni, gsize ni_len,
                               const guint8 *nr, gsize nr_len, guint8 *out, gsize out_len,
                               const char **reason)
{
  const char *dummy;
  if (!reason)
    reason = &dummy;
  *reason = NULL;
  if (!out || !out_len) {
    *reason = "nothing to derive";
    return FALSE;
  }
  if (sa->version == 2) {
    if (!ni) {
      ni = sa->nonce_i.data;
      ni_len = sa->nonce_i.len;
      nr = sa->nonce_r.data;
      nr_len = sa->nonce_r.len;
    }
    if (!sa->v2_ready || !sa->k2.has_sk_d) {
      *reason = "SK_d is not known (give sk_d or the DH secret)";
      return FALSE;
    }
    if (!ni || !ni_len || !nr || !nr_len) {
      *reason = "the nonces were not captured";
      return FALSE;
    }
    if (!ike2_keymat(&sa->k2, g_new, g_new_len, ni, ni_len, nr, nr_len, out, out_len)) {
      *reason = "KEYMAT could not be computed";
      return FALSE;
    }
    return TRUE;
  }
  gint used = sa->last_good[side ? 1 : 0];
  if (used < 0)
    used = sa->last_good[side ? 0 : 1];
  if (used < 0 || (guint)used >= sa->n_candidates) {
    *reason = "no key set decrypted this IKE SA";
    return FALSE;
  }
  const ike1_keys_t *keys = &sa->candidates[used].keys;
  if (!keys->has_skeyid_d) {
    *reason = "SKEYID_d is not known (give skeyid_d, SKEYID or the DH secret)";
    return FALSE;
  }
  if (!ni || !ni_len || !nr || !nr_len) {
    *reason = "the Quick Mode nonces were not read";
    return FALSE;
  }
  if (!ike1_keymat(keys, g_new, g_new_len, protocol, spi, ni, ni_len, nr, nr_len, out, out_len)) {
    *reason = "KEYMAT could not be computed";
    return FALSE;
  }
  return TRUE;
}
