/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag engine: weak pre-shared keys in IKEv1 Aggressive Mode. AR1
 * carries HASH_R in the clear together with everything else it is computed
 * from (nonces, KE values, cookies, the initiator's SA and the responder's
 * ID), so anyone holding the capture can test candidate PSKs offline
 * (CVE-2002-1623; ike-scan's psk-crack does exactly this). The engine tries
 * a short built-in list of common weak PSKs against HASH_R (and HASH_I of a
 * cleartext AI2) without any keys file; a hit is a security finding.
 *
 *   SKEYID = prf(PSK, Ni_b | Nr_b)
 *   HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b)
 *   HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b)
 *
 * Cost is bounded: two HMACs per candidate, at most
 * WEAK_PSK_MAX_HASHES hashes tried per capture, at most
 * WEAK_PSK_MAX_PENDING exchanges remembered between AI1 and AR1/AI2.
 */
#include <string.h>

#include "engine_private.h"
#include "ipsecdiag/ike_crypto.h"
#include "ipsecdiag/weak_psk.h"

#define WEAK_PSK_MAX_HASHES 64        /* HASH_R / HASH_I values tried per capture */
#define WEAK_PSK_MAX_PENDING 64       /* Aggressive Mode exchanges remembered at once */
#define WEAK_PSK_MAX_BODY 2048        /* bytes of an SA / KE / nonce / ID body kept */

/* Common weak PSKs. The idea and most entries come from the lists that come
 * with IKE PSK crackers and audits (ike-scan's psk-crack dictionary usage,
 * vendor default and example keys: "cisco123", "vpn", the Juniper/Fortinet/
 * SonicWall documentation examples) and from the most common passwords of
 * public password-leak top lists (123456, password, qwerty ...). Keep it
 * short: every entry costs two HMACs per exchange. */
static const char *const weak_psks[] = {
  /* vendor defaults, documentation examples, VPN words */
  "cisco", "cisco123", "Cisco123", "cisco1", "cisco12345", "Cisco", "CISCO", "cisco!",
  "vpn", "vpn123", "vpn1234", "vpn12345", "VPN", "vpnvpn", "myvpn", "vpnpass", "vpnkey",
  "vpnsecret", "ipsec", "ipsec123", "IPSEC", "ipsecvpn", "isakmp", "ike", "ikev1",
  "psk", "psk123", "presharedkey", "preshared", "pre-shared-key", "sharedkey", "sharedsecret",
  "shared", "key", "key123", "mykey", "secretkey", "secret", "secret123", "Secret", "mysecret",
  "topsecret", "testkey", "testpsk", "test", "test123", "test1234", "testing", "testvpn",
  "juniper", "juniper123", "netscreen", "fortinet", "fortigate", "fortinet123", "sonicwall",
  "paloalto", "checkpoint", "watchguard", "mikrotik", "openswan", "strongswan", "libreswan",
  "racoon", "draytek", "zyxel", "netgear", "linksys", "tplink", "ubnt", "pfsense", "sophos",
  "meraki", "asa", "firewall", "router", "gateway", "tunnel", "tunnel123", "site2site",
  "sitetosite", "remote", "remote123", "office", "office123", "company", "company123",
  "default", "changeme", "changeit", "change", "temp", "temp123", "guest", "guest123",
  "admin", "admin123", "administrator", "root", "toor", "manager", "support", "service",
  "network", "internet", "private", "public", "security", "welcome", "welcome1",
  "welcome123", "letmein", "access", "master", "login", "pass", "pass123", "passwd",
  "password", "password1", "password123", "Password", "Password1", "P@ssw0rd", "p@ssw0rd",
  "passw0rd", "Passw0rd", "abc123", "abcd1234", "qwerty", "qwerty123", "qwertyuiop", "asdf",
  "asdfgh", "asdfghjkl", "zxcvbn", "1q2w3e4r", "1qaz2wsx", "iloveyou", "monkey", "dragon",
  "sunshine", "princess", "football", "baseball", "superman", "trustno1", "shadow",
  "michael", "hello", "hello123", "abc", "aaaa", "aaaaaa", "aaaaaaaa", "xxxx", "xxxxxxxx",
  "0", "1", "00000000", "11111111", "12345678", "123456789", "1234567890", "123456",
  "1234567", "12345", "1234", "123", "111111", "000000", "654321", "87654321", "121212",
  "123123", "112233", "666666", "888888", "99999999", "demo", "example", "sample", "foobar",
  "foo", "bar", "letmein123", "summer", "winter", "spring", "autumn", "qazwsx", "zaq12wsx",
  "starwars", "whatever", "nopassword", "none", "null", "blank", "psk-key", "mypsk", "thekey",
  "thisisakey", "sharedkey123", "VpnPassword", "vpnpassword", "ipsecpsk", "ipsec-psk",
};

typedef struct {
  guint8 *data;
  gsize len;
} body_t;

/* One Aggressive Mode exchange between AI1 and AR1 (and AI2). */
typedef struct {
  guint8 cky_i[IKE_SPI_LEN], cky_r[IKE_SPI_LEN];
  body_t sa_i, ke_i, ke_r, n_i, n_r, id_i, id_r;
  guint16 hash_attr;             /* chosen phase 1 hash (AR1's SA) */
  gboolean have_r;
  gboolean checked[2];           /* HASH_I (0) / HASH_R (1) tried */
  gint hit[2];                   /* index into weak_psks, -1 none */
} weak_exchange_t;

struct engine_weak_psk {
  gboolean disabled;
  GHashTable *pending;           /* tunnel id -> weak_exchange_t* */
  guint hashes_tried;
  gboolean cap_noted;
};

static void body_set(body_t *b, const guint8 *data, gsize len)
{
  g_free(b->data);
  b->data = NULL;
  b->len = 0;
  if (data && len && len <= WEAK_PSK_MAX_BODY) {
    b->data = g_memdup2(data, len);
    b->len = len;
  }
}

static void exchange_free(gpointer p)
{
  weak_exchange_t *x = p;
  body_t *bodies[] = {&x->sa_i, &x->ke_i, &x->ke_r, &x->n_i, &x->n_r, &x->id_i, &x->id_r};
  for (gsize i = 0; i < G_N_ELEMENTS(bodies); i++)
    g_free(bodies[i]->data);
  g_free(x);
}

static struct engine_weak_psk *state_of(ipsecdiag_engine_t *engine)
{
  if (!engine->weak_psk) {
    engine->weak_psk = g_new0(struct engine_weak_psk, 1);
    engine->weak_psk->pending = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, exchange_free);
  }
  return engine->weak_psk;
}

void engine_weak_psk_free(ipsecdiag_engine_t *engine)
{
  if (!engine->weak_psk)
    return;
  g_hash_table_destroy(engine->weak_psk->pending);
  g_free(engine->weak_psk);
  engine->weak_psk = NULL;
}

void ipsecdiag_engine_set_weak_psk_check(ipsecdiag_engine_t *engine, gboolean enabled)
{
  engine_settle(engine);
  state_of(engine)->disabled = !enabled;
}

guint ipsecdiag_weak_psk_count(void)
{
  return G_N_ELEMENTS(weak_psks);
}

/* "c…3 (8 characters)": never the whole secret. */
char *ipsecdiag_weak_psk_mask(const char *psk, char *buf, gsize buf_len)
{
  gsize len = strlen(psk);
  if (len <= 2)
    g_snprintf(buf, buf_len, "(%" G_GSIZE_FORMAT " character%s)", len, len == 1 ? "" : "s");
  else
    g_snprintf(buf, buf_len, "%c\u2026%c (%" G_GSIZE_FORMAT " characters)", psk[0], psk[len - 1], len);
  return buf;
}

gint ipsecdiag_weak_psk_search(guint16 hash_attr, gboolean responder,
                               const guint8 *ke_i, gsize ke_i_len, const guint8 *ke_r, gsize ke_r_len,
                               const guint8 *n_i, gsize n_i_len, const guint8 *n_r, gsize n_r_len,
                               const guint8 cky_i[IKE_SPI_LEN], const guint8 cky_r[IKE_SPI_LEN],
                               const guint8 *sa_i, gsize sa_i_len, const guint8 *id, gsize id_len,
                               const guint8 *hash, gsize hash_len)
{
  ike_hash_t h = ike1_hash_from_attr(hash_attr);
  gsize prf_len = ike_hash_len(h);
  if (!prf_len || hash_len != prf_len || !ke_i_len || !ke_r_len || !n_i_len || !n_r_len || !sa_i_len || !id_len)
    return -1;
  /* The cipher plays no part in SKEYID or HASH_I/R: only the PRF is set
   * (ike1_keys_init would also insist on a supported cipher). */
  ike1_keys_t keys;
  memset(&keys, 0, sizeof keys);
  keys.suite.hash = hash_attr;
  keys.prf_len = prf_len;
  gint found = -1;
  for (guint i = 0; i < G_N_ELEMENTS(weak_psks) && found < 0; i++) {
    guint8 expected[IKE_CRYPTO_MAX_HASH];
    const char *psk = weak_psks[i];
    if (ike1_skeyid_psk(&keys, (const guint8 *)psk, strlen(psk), n_i, n_i_len, n_r, n_r_len) &&
        ike1_phase1_hash(&keys, responder, ke_i, ke_i_len, ke_r, ke_r_len, cky_i, cky_r, sa_i, sa_i_len,
                         id, id_len, expected) &&
        memcmp(expected, hash, hash_len) == 0)
      found = (gint)i;
  }
  ike_crypto_wipe(&keys, sizeof keys);
  return found;
}

const char *ipsecdiag_weak_psk_entry(guint index)
{
  return index < G_N_ELEMENTS(weak_psks) ? weak_psks[index] : NULL;
}

/* One more hash may be tried (the per-capture cap); notes the cap once. */
static gboolean may_try(ipsecdiag_engine_t *engine, struct engine_weak_psk *st, ipsecdiag_frame_t *frame)
{
  if (st->hashes_tried < WEAK_PSK_MAX_HASHES) {
    st->hashes_tried++;
    return TRUE;
  }
  engine_note_cap_on_frame(engine, &st->cap_noted, "weak_psk_check_capped", frame, WEAK_PSK_MAX_HASHES);
  return FALSE;
}

static void try_side(ipsecdiag_engine_t *engine, struct engine_weak_psk *st, weak_exchange_t *x,
                     ipsecdiag_tunnel_t *tunnel, ipsecdiag_frame_t *frame, const ipsecdiag_packet_t *pkt,
                     guint side, const guint8 *hash, gsize hash_len)
{
  if (x->checked[side] || !x->have_r)
    return;
  const body_t *id = side ? &x->id_r : &x->id_i;
  if (!x->sa_i.len || !x->ke_i.len || !x->ke_r.len || !x->n_i.len || !x->n_r.len || !id->len
      || !ike_hash_len(ike1_hash_from_attr(x->hash_attr)) || hash_len != ike_hash_len(ike1_hash_from_attr(x->hash_attr)))
    return;
  if (!may_try(engine, st, frame))
    return;
  x->checked[side] = TRUE;
  x->hit[side] = ipsecdiag_weak_psk_search(x->hash_attr, side == 1, x->ke_i.data, x->ke_i.len, x->ke_r.data,
                                           x->ke_r.len, x->n_i.data, x->n_i.len, x->n_r.data, x->n_r.len,
                                           x->cky_i, x->cky_r, x->sa_i.data, x->sa_i.len, id->data, id->len,
                                           hash, hash_len);
  if (x->hit[side] < 0)
    return;
  /* Both sides with the same PSK: one finding says it. */
  if (x->hit[1 - side] == x->hit[side])
    return;
  char buf[64], masked[64];
  const char *psk = weak_psks[x->hit[side]];
  ipsecdiag_finding_t *f = finding_new("weak_psk_found", frame->frame, tunnel->id, FALSE);
  finding_set(f, "message", "%s", frame->message ? frame->message : "message");
  finding_set(f, "side", "%s", side ? "responder" : "initiator");
  finding_set(f, "sender", "%s", ipsecdiag_addr_to_str(&pkt->src.addr, buf, sizeof buf));
  finding_set(f, "how", "%s", side ? "HASH_R" : "HASH_I");
  finding_set(f, "psk", "%s", ipsecdiag_weak_psk_mask(psk, masked, sizeof masked));
  finding_set(f, "list_size", "%u", (guint)G_N_ELEMENTS(weak_psks));
  engine_attach_finding(engine, frame, f);
}

/* Exchanges whose HASH_R was tried make room first (only a cleartext AI2
 * would still be checked). */
static gboolean hash_r_done(gpointer key, gpointer value, gpointer user_data)
{
  (void)key;
  (void)user_data;
  return ((const weak_exchange_t *)value)->checked[1];
}

void engine_check_weak_psk(ipsecdiag_engine_t *engine, ipsecdiag_tunnel_t *tunnel, ipsecdiag_frame_t *frame,
                           const ipsecdiag_packet_t *pkt, ipsecdiag_role_t role,
                           const guint8 *data, gsize len, const ike_message_t *msg)
{
  if ((engine->weak_psk && engine->weak_psk->disabled) || tunnel->version != 1 || msg->major_version != 1)
    return;
  if (msg->exchange_type != IKEV1_EXCH_AGGRESSIVE || msg->message_id != 0 || msg->encrypted
      || role == IPSECDIAG_ROLE_UNKNOWN) {
    /* An encrypted AI2, Quick Mode, an Informational: nothing more to try. */
    if (engine->weak_psk)
      g_hash_table_remove(engine->weak_psk->pending, GUINT_TO_POINTER(tunnel->id));
    return;
  }
  if (len > msg->length)
    len = msg->length;
  struct engine_weak_psk *st = state_of(engine);
  weak_exchange_t *x = g_hash_table_lookup(st->pending, GUINT_TO_POINTER(tunnel->id));
  const guint8 *body;
  gsize body_len;

  /* The budget spent: nothing more will be tried, so nothing is kept (the
   * note goes on the first AR1 that brings a hash). */
  if (st->hashes_tried >= WEAK_PSK_MAX_HASHES) {
    if (x)
      g_hash_table_remove(st->pending, GUINT_TO_POINTER(tunnel->id));
    if (role == IPSECDIAG_ROLE_RESPONDER && msg->has_hash && msg->hash)
      engine_note_cap_on_frame(engine, &st->cap_noted, "weak_psk_check_capped", frame, WEAK_PSK_MAX_HASHES);
    return;
  }
  if (role == IPSECDIAG_ROLE_INITIATOR && !msg->has_hash) {
    /* AI1: the initiator's half. A new AI1 of the same SA starts over. */
    if (!x) {
      if (g_hash_table_size(st->pending) >= WEAK_PSK_MAX_PENDING)
        g_hash_table_foreach_remove(st->pending, hash_r_done, NULL);
      if (g_hash_table_size(st->pending) >= WEAK_PSK_MAX_PENDING) {
        engine_note_cap_on_frame(engine, &st->cap_noted, "weak_psk_check_capped", frame, WEAK_PSK_MAX_PENDING);
        return;
      }
      x = g_new0(weak_exchange_t, 1);
      x->hit[0] = x->hit[1] = -1;
      g_hash_table_insert(st->pending, GUINT_TO_POINTER(tunnel->id), x);
    }
    memcpy(x->cky_i, msg->spi_i, IKE_SPI_LEN);
    if (ike_message_payload_body(msg, data, len, IKEV1_PL_SA, &body, &body_len))
      body_set(&x->sa_i, body, body_len);
    body_set(&x->ke_i, msg->has_ke ? msg->ke_data : NULL, msg->has_ke ? msg->ke_len : 0);
    body_set(&x->n_i, msg->has_nonce ? msg->nonce : NULL, msg->has_nonce ? msg->nonce_len : 0);
    if (ike_message_payload_body(msg, data, len, IKEV1_PL_ID, &body, &body_len))
      body_set(&x->id_i, body, body_len);
    return;
  }
  if (!x || !msg->has_hash || !msg->hash)
    return;
  if (role == IPSECDIAG_ROLE_RESPONDER) {
    /* AR1: the responder's half and HASH_R. */
    memcpy(x->cky_r, msg->spi_r, IKE_SPI_LEN);
    if (msg->n_proposals > 0 && msg->proposals[0].n_transforms > 0)
      x->hash_attr = msg->proposals[0].transforms[0].hash;
    body_set(&x->ke_r, msg->has_ke ? msg->ke_data : NULL, msg->has_ke ? msg->ke_len : 0);
    body_set(&x->n_r, msg->has_nonce ? msg->nonce : NULL, msg->has_nonce ? msg->nonce_len : 0);
    if (ike_message_payload_body(msg, data, len, IKEV1_PL_ID, &body, &body_len))
      body_set(&x->id_r, body, body_len);
    x->have_r = TRUE;
    try_side(engine, st, x, tunnel, frame, pkt, 1, msg->hash, msg->hash_len);
    return;
  }
  /* A cleartext AI2 (most implementations encrypt it): HASH_I. */
  try_side(engine, st, x, tunnel, frame, pkt, 0, msg->hash, msg->hash_len);
  g_hash_table_remove(st->pending, GUINT_TO_POINTER(tunnel->id));
}
