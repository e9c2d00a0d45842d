/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of the weak-PSK check of IKEv1 Aggressive Mode hashes
 * (engine_weak_psk.c): the search against hashes computed here with GLib's
 * own HMAC (an independent implementation), the real AR1 of the lab capture
 * with PSK cisco123 (hit) and of the one with the lab PSK (miss), the
 * preference switch, the per-capture cap, and truncated or lying messages.
 */
#include <string.h>

#include <gcrypt.h>
#include <glib.h>

#include "ipsecdiag/engine.h"
#include "ipsecdiag/weak_psk.h"
#include "weak_psk_fixtures.h"

/* ---------- the search, against GLib's HMAC ---------- */

static void ghmac(GChecksumType type, const guint8 *key, gsize key_len, const guint8 *const *parts,
                  const gsize *lens, guint n, guint8 *out, gsize *out_len)
{
  GHmac *h = g_hmac_new(type, key, key_len);
  for (guint i = 0; i < n; i++)
    g_hmac_update(h, parts[i], (gssize)lens[i]);
  g_hmac_get_digest(h, out, out_len);
  g_hmac_unref(h);
}

typedef struct {
  guint8 ke_i[128], ke_r[128], n_i[32], n_r[24], cky_i[8], cky_r[8], sa_i[52], id_i[24], id_r[24];
} inputs_t;

static void inputs_fill(inputs_t *in)
{
  guint8 *fields[] = {in->ke_i, in->ke_r, in->n_i, in->n_r, in->cky_i, in->cky_r, in->sa_i, in->id_i, in->id_r};
  gsize sizes[] = {sizeof in->ke_i, sizeof in->ke_r, sizeof in->n_i, sizeof in->n_r, 8, 8, sizeof in->sa_i,
                   sizeof in->id_i, sizeof in->id_r};
  for (guint f = 0; f < G_N_ELEMENTS(fields); f++)
    for (gsize i = 0; i < sizes[f]; i++)
      fields[f][i] = (guint8)(f * 37 + i * 11 + 5);
}

/* HASH_R (responder) or HASH_I of a PSK, the RFC 2409 way. */
static gsize reference_hash(GChecksumType type, const char *psk, const inputs_t *in, gboolean responder, guint8 *out)
{
  guint8 skeyid[64];
  gsize skeyid_len = sizeof skeyid, out_len = 64;
  const guint8 *np[] = {in->n_i, in->n_r};
  gsize nl[] = {sizeof in->n_i, sizeof in->n_r};
  ghmac(type, (const guint8 *)psk, strlen(psk), np, nl, 2, skeyid, &skeyid_len);
  const guint8 *hp[6] = {responder ? in->ke_r : in->ke_i, responder ? in->ke_i : in->ke_r,
                         responder ? in->cky_r : in->cky_i, responder ? in->cky_i : in->cky_r, in->sa_i,
                         responder ? in->id_r : in->id_i};
  gsize hl[6] = {sizeof in->ke_r, sizeof in->ke_i, 8, 8, sizeof in->sa_i, sizeof in->id_r};
  ghmac(type, skeyid, skeyid_len, hp, hl, 6, out, &out_len);
  return out_len;
}

static gint search(guint16 attr, gboolean responder, const inputs_t *in, const guint8 *hash, gsize hash_len)
{
  return ipsecdiag_weak_psk_search(attr, responder, in->ke_i, sizeof in->ke_i, in->ke_r, sizeof in->ke_r,
                                   in->n_i, sizeof in->n_i, in->n_r, sizeof in->n_r, in->cky_i, in->cky_r,
                                   in->sa_i, sizeof in->sa_i, responder ? in->id_r : in->id_i,
                                   responder ? sizeof in->id_r : sizeof in->id_i, hash, hash_len);
}

static gint list_index(const char *psk)
{
  for (guint i = 0; i < ipsecdiag_weak_psk_count(); i++)
    if (strcmp(ipsecdiag_weak_psk_entry(i), psk) == 0)
      return (gint)i;
  return -1;
}

static void test_search_hit_and_miss(void)
{
  inputs_t in;
  guint8 hash[64];
  inputs_fill(&in);
  g_assert_cmpuint(ipsecdiag_weak_psk_count(), >=, 100);
  g_assert_cmpuint(ipsecdiag_weak_psk_count(), <=, 300);
  g_assert_null(ipsecdiag_weak_psk_entry(ipsecdiag_weak_psk_count()));
  g_assert_cmpint(list_index("cisco123"), >=, 0);
  g_assert_cmpint(list_index("changeme"), >=, 0);

  /* Each hash: SHA1 (attr 2), SHA2-256 (4), SHA2-512 (6), MD5 (1). */
  static const struct { guint16 attr; GChecksumType type; const char *psk; } cases[] = {
    {2, G_CHECKSUM_SHA1, "cisco123"}, {4, G_CHECKSUM_SHA256, "vpn"}, {6, G_CHECKSUM_SHA512, "changeme"},
    {1, G_CHECKSUM_MD5, "12345678"}, {5, G_CHECKSUM_SHA384, "secret"},
  };
  for (guint c = 0; c < G_N_ELEMENTS(cases); c++) {
    for (int responder = 0; responder <= 1; responder++) {
      gsize len = reference_hash(cases[c].type, cases[c].psk, &in, responder, hash);
      g_assert_cmpint(search(cases[c].attr, responder, &in, hash, len), ==, list_index(cases[c].psk));
      /* The other hash of the same exchange is not it. */
      g_assert_cmpint(search(cases[c].attr, !responder, &in, hash, len), ==, -1);
      /* One bit off: no hit. */
      hash[len - 1] ^= 1;
      g_assert_cmpint(search(cases[c].attr, responder, &in, hash, len), ==, -1);
    }
  }
  /* A strong PSK is not found. */
  gsize len = reference_hash(G_CHECKSUM_SHA256, "ipsecdiag-lab-psk-DO-NOT-USE", &in, TRUE, hash);
  g_assert_cmpint(search(4, TRUE, &in, hash, len), ==, -1);
  /* Unusable input: wrong hash length, unknown hash, empty parts. */
  len = reference_hash(G_CHECKSUM_SHA256, "cisco", &in, TRUE, hash);
  g_assert_cmpint(search(4, TRUE, &in, hash, len), ==, list_index("cisco"));
  g_assert_cmpint(search(4, TRUE, &in, hash, len - 1), ==, -1);
  g_assert_cmpint(search(2, TRUE, &in, hash, len), ==, -1);
  g_assert_cmpint(search(0, TRUE, &in, hash, len), ==, -1);
  g_assert_cmpint(search(99, TRUE, &in, hash, len), ==, -1);
  g_assert_cmpint(ipsecdiag_weak_psk_search(4, TRUE, in.ke_i, 0, in.ke_r, sizeof in.ke_r, in.n_i, sizeof in.n_i,
                                            in.n_r, sizeof in.n_r, in.cky_i, in.cky_r, in.sa_i, sizeof in.sa_i,
                                            in.id_r, sizeof in.id_r, hash, len), ==, -1);
}

static void test_mask(void)
{
  char buf[64];
  g_assert_cmpstr(ipsecdiag_weak_psk_mask("cisco123", buf, sizeof buf), ==, "c\u20263 (8 characters)");
  g_assert_cmpstr(ipsecdiag_weak_psk_mask("vpn", buf, sizeof buf), ==, "v\u2026n (3 characters)");
  g_assert_cmpstr(ipsecdiag_weak_psk_mask("ab", buf, sizeof buf), ==, "(2 characters)");
  g_assert_cmpstr(ipsecdiag_weak_psk_mask("1", buf, sizeof buf), ==, "(1 character)");
  g_assert_null(strstr(ipsecdiag_weak_psk_mask("cisco123", buf, sizeof buf), "isco12"));
}

/* ---------- the engine on the lab's AI1 / AR1 ---------- */

static guint32 frame_no;

static const ipsecdiag_frame_t *feed(ipsecdiag_engine_t *engine, gboolean from_initiator, double time,
                                     const guint8 *data, gsize len)
{
  ipsecdiag_packet_t pkt;
  memset(&pkt, 0, sizeof pkt);
  pkt.frame = ++frame_no;
  pkt.time = time;
  ipsecdiag_endpoint_t i = {{4, {192, 168, 10, 2}}, 500}, r = {{4, {198, 51, 100, 2}}, 500};
  pkt.src = from_initiator ? i : r;
  pkt.dst = from_initiator ? r : i;
  pkt.ttl = 64;
  guint8 *copy = g_memdup2(data, len ? len : 1);   /* exact size: a sanitizer sees over-reads */
  const ipsecdiag_frame_t *frame = ipsecdiag_engine_feed_ike(engine, &pkt, copy, len);
  g_free(copy);
  return frame;
}

static guint count_rule(const ipsecdiag_frame_t *frame, const char *rule, const ipsecdiag_finding_t **last)
{
  guint n = 0;
  for (guint i = 0; frame && frame->findings && i < frame->findings->len; i++) {
    const ipsecdiag_finding_t *f = g_ptr_array_index(frame->findings, i);
    if (strcmp(f->rule_id, rule) == 0) {
      n++;
      if (last)
        *last = f;
    }
  }
  return n;
}

static void test_engine_lab_capture_hit(void)
{
  ipsecdiag_engine_t *engine = ipsecdiag_engine_new();
  frame_no = 0;
  const ipsecdiag_frame_t *f1 = feed(engine, TRUE, 0.0, weak_ai1, sizeof weak_ai1);
  const ipsecdiag_frame_t *f2 = feed(engine, FALSE, 0.01, weak_ar1, sizeof weak_ar1);
  g_assert_cmpuint(count_rule(f1, "weak_psk_found", NULL), ==, 0);
  const ipsecdiag_finding_t *hit = NULL;
  g_assert_cmpuint(count_rule(f2, "weak_psk_found", &hit), ==, 1);
  g_assert_cmpstr(ipsecdiag_finding_param(hit, "side"), ==, "responder");
  g_assert_cmpstr(ipsecdiag_finding_param(hit, "how"), ==, "HASH_R");
  g_assert_cmpstr(ipsecdiag_finding_param(hit, "psk"), ==, "c\u20263 (8 characters)");
  g_assert_cmpstr(ipsecdiag_finding_param(hit, "message"), ==, "AR1");
  /* A retransmitted AR1 is not checked again. */
  const ipsecdiag_frame_t *f3 = feed(engine, FALSE, 1.0, weak_ar1, sizeof weak_ar1);
  g_assert_cmpuint(count_rule(f3, "weak_psk_found", NULL), ==, 0);
  ipsecdiag_engine_free(engine);
}

static void test_engine_lab_capture_miss_and_off(void)
{
  ipsecdiag_engine_t *engine = ipsecdiag_engine_new();
  frame_no = 0;
  feed(engine, TRUE, 0.0, lab_ai1, sizeof lab_ai1);
  const ipsecdiag_frame_t *f2 = feed(engine, FALSE, 0.01, lab_ar1, sizeof lab_ar1);
  g_assert_cmpuint(count_rule(f2, "weak_psk_found", NULL), ==, 0);
  g_assert_cmpuint(count_rule(f2, "aggressive_mode_psk", NULL), ==, 1);
  ipsecdiag_engine_free(engine);

  engine = ipsecdiag_engine_new();
  ipsecdiag_engine_set_weak_psk_check(engine, FALSE);
  frame_no = 0;
  feed(engine, TRUE, 0.0, weak_ai1, sizeof weak_ai1);
  f2 = feed(engine, FALSE, 0.01, weak_ar1, sizeof weak_ar1);
  g_assert_cmpuint(count_rule(f2, "weak_psk_found", NULL), ==, 0);
  ipsecdiag_engine_set_weak_psk_check(engine, TRUE);
  ipsecdiag_engine_free(engine);

  /* AR1 without its AI1 (capture started late): nothing to compute with. */
  engine = ipsecdiag_engine_new();
  frame_no = 0;
  f2 = feed(engine, FALSE, 0.01, weak_ar1, sizeof weak_ar1);
  g_assert_cmpuint(count_rule(f2, "weak_psk_found", NULL), ==, 0);
  ipsecdiag_engine_free(engine);
}

/* Many Aggressive Mode exchanges: the hashes tried per capture are capped,
 * and the note says so once. Each exchange gets its own cookie, so HASH_R
 * no longer matches (the cookies are hashed) but is still tried. */
static void test_engine_cap(void)
{
  ipsecdiag_engine_t *engine = ipsecdiag_engine_new();
  frame_no = 0;
  guint8 *ai1 = g_memdup2(weak_ai1, sizeof weak_ai1), *ar1 = g_memdup2(weak_ar1, sizeof weak_ar1);
  guint capped = 0, found = 0;
  for (guint n = 0; n < 80; n++) {
    ai1[0] = ar1[0] = (guint8)n;
    ai1[1] = ar1[1] = 0xa5;
    feed(engine, TRUE, n * 0.1, ai1, sizeof weak_ai1);
    const ipsecdiag_frame_t *f = feed(engine, FALSE, n * 0.1 + 0.01, ar1, sizeof weak_ar1);
    capped += count_rule(f, "weak_psk_check_capped", NULL);
    found += count_rule(f, "weak_psk_found", NULL);
  }
  g_assert_cmpuint(capped, ==, 1);
  g_assert_cmpuint(found, ==, 0);
  g_free(ai1);
  g_free(ar1);
  ipsecdiag_engine_free(engine);
}

/* Truncated and corrupted AI1 / AR1 (lying lengths, cut payloads): no crash,
 * no hit from garbage. */
static void test_engine_damaged(void)
{
  for (gsize cut = 28; cut < sizeof weak_ar1; cut += 37) {
    ipsecdiag_engine_t *engine = ipsecdiag_engine_new();
    frame_no = 0;
    feed(engine, TRUE, 0.0, weak_ai1, MIN(cut, sizeof weak_ai1));
    feed(engine, FALSE, 0.01, weak_ar1, cut);
    ipsecdiag_engine_finalize(engine);
    ipsecdiag_engine_free(engine);
  }
  GRand *rand = g_rand_new_with_seed(7);
  for (guint round = 0; round < 200; round++) {
    guint8 *ai1 = g_memdup2(weak_ai1, sizeof weak_ai1), *ar1 = g_memdup2(weak_ar1, sizeof weak_ar1);
    for (guint k = 0; k < 4; k++) {
      ai1[g_rand_int_range(rand, 16, sizeof weak_ai1)] = (guint8)g_rand_int(rand);
      ar1[g_rand_int_range(rand, 16, sizeof weak_ar1)] = (guint8)g_rand_int(rand);
    }
    ipsecdiag_engine_t *engine = ipsecdiag_engine_new();
    frame_no = 0;
    feed(engine, TRUE, 0.0, ai1, sizeof weak_ai1);
    feed(engine, FALSE, 0.01, ar1, sizeof weak_ar1);
    ipsecdiag_engine_free(engine);
    g_free(ai1);
    g_free(ar1);
  }
  g_rand_free(rand);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  gcry_check_version(NULL);
  g_test_add_func("/weak_psk/search", test_search_hit_and_miss);
  g_test_add_func("/weak_psk/mask", test_mask);
  g_test_add_func("/weak_psk/engine_hit", test_engine_lab_capture_hit);
  g_test_add_func("/weak_psk/engine_miss_and_off", test_engine_lab_capture_miss_and_off);
  g_test_add_func("/weak_psk/engine_cap", test_engine_cap);
  g_test_add_func("/weak_psk/engine_damaged", test_engine_damaged);
  return g_test_run();
}
