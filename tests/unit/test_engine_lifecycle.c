/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag: unit tests of engine_lifecycle.c: IP fragments of IKE messages
 * (never reassembled, or reassembled and still unanswered), RFC 7383
 * fragmentation, liveness failures (IKEv2 INFORMATIONAL, IKEv1 DPD), rekeys
 * and their intervals, rekey collisions, deletes, flapping, the decrypted
 * content hook and the per-tunnel lifecycle summary. Messages are built here
 * (headers, encrypted bodies of chosen sizes) and fed in capture order; every
 * finding is checked against the rules catalog.
 */
#include <glib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "ipsecdiag/engine.h"
#include "ipsecdiag/ike_parse.h"
#include "ipsecdiag/rules.h"

static ipsecdiag_rules_t *catalog;

/* ---------- message builders ---------- */

static void put8(GByteArray *b, guint v) { guint8 x = (guint8)v; g_byte_array_append(b, &x, 1); }
static void put16(GByteArray *b, guint v) { put8(b, v >> 8); put8(b, v); }
static void put32(GByteArray *b, guint32 v) { put16(b, v >> 16); put16(b, v & 0xffff); }
static void putfill(GByteArray *b, guint8 value, gsize n) { while (n--) put8(b, value); }
static void patch16(GByteArray *b, gsize at, guint v) { b->data[at] = (guint8)(v >> 8); b->data[at + 1] = (guint8)v; }
static void patch32(GByteArray *b, gsize at, guint32 v) { patch16(b, at, v >> 16); patch16(b, at + 2, v & 0xffff); }

static void put_spi(GByteArray *b, guint64 spi)
{
  for (int shift = 56; shift >= 0; shift -= 8)
    put8(b, (guint)(spi >> shift) & 0xff);
}

static GByteArray *header(guint8 version, guint64 spi_i, guint64 spi_r, guint8 exchange, guint8 flags,
                          guint32 message_id, guint8 next_payload)
{
  GByteArray *b = g_byte_array_new();
  put_spi(b, spi_i);
  put_spi(b, spi_r);
  put8(b, next_payload);
  put8(b, (guint)version << 4);
  put8(b, exchange);
  put8(b, flags);
  put32(b, message_id);
  put32(b, 0);
  return b;
}

static GByteArray *finish(GByteArray *b)
{
  patch32(b, 24, b->len);
  return b;
}

/* A generic payload (header + fill) as the last in the chain. */
static void payload(GByteArray *b, guint8 next, guint8 fill, gsize body)
{
  put8(b, next);
  put8(b, 0);
  put16(b, (guint)(4 + body));
  putfill(b, fill, body);
}

/* IKEv2 IKE_SA_INIT (a nonce is enough for the engine). */
static GByteArray *v2_init(guint64 spi_i, guint64 spi_r, gboolean response)
{
  GByteArray *b = header(2, spi_i, response ? spi_r : 0, IKEV2_EXCH_IKE_SA_INIT,
                         response ? IKEV2_FLAG_RESPONSE : IKEV2_FLAG_INITIATOR, 0, IKEV2_PL_NONCE);
  payload(b, 0, response ? 0x22 : 0x11, 32);
  return finish(b);
}

/* IKEv2 encrypted message with an SK payload of sk_len bytes. */
static GByteArray *v2_sk(guint64 spi_i, guint64 spi_r, guint8 exchange, gboolean from_original_initiator,
                         gboolean response, guint32 message_id, gsize sk_len, guint8 fill)
{
  guint8 flags = (from_original_initiator ? IKEV2_FLAG_INITIATOR : 0) | (response ? IKEV2_FLAG_RESPONSE : 0);
  GByteArray *b = header(2, spi_i, spi_r, exchange, flags, message_id, IKEV2_PL_SK);
  payload(b, 0, fill, sk_len);
  b->data[28] = IKEV2_PL_IDI;          /* first inner payload */
  return finish(b);
}

/* IKEv2 RFC 7383 fragment: SKF with fragment number and total. */
static GByteArray *v2_skf(guint64 spi_i, guint64 spi_r, guint32 message_id, guint number, guint total)
{
  GByteArray *b = header(2, spi_i, spi_r, IKEV2_EXCH_IKE_AUTH, IKEV2_FLAG_INITIATOR, message_id, IKEV2_PL_SKF);
  put8(b, number == 1 ? IKEV2_PL_IDI : 0);
  put8(b, 0);
  put16(b, 4 + 4 + 200);
  put16(b, number);
  put16(b, total);
  putfill(b, (guint8)number, 200);
  return finish(b);
}

/* IKEv1 Main Mode MI1..MR3 by position (1..6). */
static GByteArray *v1_main(guint64 spi_i, guint64 spi_r, int n)
{
  if (n >= 5) {
    GByteArray *b = header(1, spi_i, spi_r, IKEV1_EXCH_MAIN, IKEV1_FLAG_ENCRYPTION, 0, IKEV1_PL_ID);
    putfill(b, (guint8)(0xe0 + n), 76);
    return finish(b);
  }
  GByteArray *b = header(1, spi_i, n == 1 ? 0 : spi_r, IKEV1_EXCH_MAIN, 0, 0, n <= 2 ? IKEV1_PL_SA : IKEV1_PL_KE);
  if (n <= 2) {
    gsize at = b->len;
    put8(b, 0); put8(b, 0); put16(b, 0);
    put32(b, 1); put32(b, 1);                           /* DOI IPsec, situation */
    gsize prop = b->len;
    put8(b, 0); put8(b, 0); put16(b, 0);
    put8(b, 1); put8(b, 1); put8(b, 0); put8(b, 1);     /* #1 ISAKMP, 1 transform */
    gsize tr = b->len;
    put8(b, 0); put8(b, 0); put16(b, 0);
    put8(b, 1); put8(b, 1); put16(b, 0);
    put16(b, 0x8001); put16(b, 7);
    put16(b, 0x800e); put16(b, 128);
    put16(b, 0x8002); put16(b, 4);
    put16(b, 0x8003); put16(b, 1);
    put16(b, 0x8004); put16(b, 14);
    patch16(b, tr + 2, (guint)(b->len - tr));
    patch16(b, prop + 2, (guint)(b->len - prop));
    patch16(b, at + 2, (guint)(b->len - at));
  } else {
    payload(b, IKEV1_PL_NONCE, 0x11, 256);
    payload(b, 0, 0x33, 32);
  }
  return finish(b);
}

/* IKEv1 encrypted Quick Mode or Informational. */
static GByteArray *v1_encrypted(guint64 spi_i, guint64 spi_r, guint8 exchange, guint32 message_id, guint8 fill,
                                gsize len)
{
  GByteArray *b = header(1, spi_i, spi_r, exchange, IKEV1_FLAG_ENCRYPTION, message_id, IKEV1_PL_HASH);
  putfill(b, fill, len);
  return finish(b);
}

/* ---------- feeding ---------- */

typedef struct {
  ipsecdiag_engine_t *engine;
  guint32 frame;
  ipsecdiag_endpoint_t i, r;           /* UDP 4500 endpoints */
  ipsecdiag_endpoint_t i500, r500;
} sc_t;

static ipsecdiag_endpoint_t ep(const char *addr, guint16 port)
{
  ipsecdiag_endpoint_t e;
  memset(&e, 0, sizeof e);
  e.addr.family = 4;
  g_assert_cmpint(inet_pton(AF_INET, addr, e.addr.bytes), ==, 1);
  e.port = port;
  return e;
}

static sc_t sc_new(void)
{
  sc_t s;
  memset(&s, 0, sizeof s);
  s.engine = ipsecdiag_engine_new();
  s.i = ep("192.0.2.10", 4500);
  s.r = ep("198.51.100.20", 4500);
  s.i500 = ep("192.0.2.10", 500);
  s.r500 = ep("198.51.100.20", 500);
  return s;
}

static ipsecdiag_packet_t packet(sc_t *s, double time, gboolean from_i, gboolean natt, guint32 frame)
{
  ipsecdiag_packet_t pkt;
  memset(&pkt, 0, sizeof pkt);
  pkt.frame = frame;
  pkt.time = time;
  pkt.src = natt ? (from_i ? s->i : s->r) : (from_i ? s->i500 : s->r500);
  pkt.dst = natt ? (from_i ? s->r : s->i) : (from_i ? s->r500 : s->i500);
  pkt.ttl = from_i ? 64 : 60;
  pkt.non_esp_marker = natt;
  return pkt;
}

/* Feed and free a message (frame number: the next one). */
static const ipsecdiag_frame_t *send_msg(sc_t *s, double time, gboolean from_i, GByteArray *m)
{
  gboolean natt = m->data[18] != IKEV2_EXCH_IKE_SA_INIT && !(m->data[18] == IKEV1_EXCH_MAIN && !(m->data[19] & 1));
  ipsecdiag_packet_t pkt = packet(s, time, from_i, natt, ++s->frame);
  const ipsecdiag_frame_t *frame = ipsecdiag_engine_feed_ike(s->engine, &pkt, m->data, m->len);
  g_assert_nonnull(frame);
  return frame;
}

static const ipsecdiag_frame_t *send_keep(sc_t *s, double time, gboolean from_i, GByteArray *m)
{
  GByteArray *copy = g_byte_array_new();
  g_byte_array_append(copy, m->data, m->len);
  const ipsecdiag_frame_t *frame = send_msg(s, time, from_i, copy);
  g_byte_array_unref(copy);
  return frame;
}

static const ipsecdiag_frame_t *send_free(sc_t *s, double time, gboolean from_i, GByteArray *m)
{
  const ipsecdiag_frame_t *frame = send_msg(s, time, from_i, m);
  g_byte_array_unref(m);
  return frame;
}

#define FROM_I TRUE
#define FROM_R FALSE

/* IKEv2 IKE_SA_INIT + IKE_AUTH from t. */
static void v2_establish(sc_t *s, double t, guint64 spi_i, guint64 spi_r)
{
  send_free(s, t, FROM_I, v2_init(spi_i, spi_r, FALSE));
  send_free(s, t + 0.1, FROM_R, v2_init(spi_i, spi_r, TRUE));
  send_free(s, t + 0.2, FROM_I, v2_sk(spi_i, spi_r, IKEV2_EXCH_IKE_AUTH, TRUE, FALSE, 1, 300, 0x31));
  send_free(s, t + 0.3, FROM_R, v2_sk(spi_i, spi_r, IKEV2_EXCH_IKE_AUTH, FALSE, TRUE, 1, 250, 0x32));
}

/* A request and its response; from_i: the sender is the original initiator. */
static guint32 v2_exchange(sc_t *s, double t, guint64 spi_i, guint64 spi_r, guint8 exchange, gboolean from_i,
                           guint32 message_id, gsize len)
{
  guint32 first = send_free(s, t, from_i, v2_sk(spi_i, spi_r, exchange, from_i, FALSE, message_id, len, 0x40))->frame;
  send_free(s, t + 0.01, !from_i, v2_sk(spi_i, spi_r, exchange, !from_i, TRUE, message_id, len, 0x41));
  return first;
}

static void v1_establish(sc_t *s, double t, guint64 spi_i, guint64 spi_r)
{
  for (int n = 1; n <= 6; n++)
    send_free(s, t + 0.1 * n, n % 2 == 1, v1_main(spi_i, spi_r, n));
  send_free(s, t + 0.7, FROM_I, v1_encrypted(spi_i, spi_r, IKEV1_EXCH_QUICK, 1, 0x51, 140));
  send_free(s, t + 0.8, FROM_R, v1_encrypted(spi_i, spi_r, IKEV1_EXCH_QUICK, 1, 0x52, 140));
  send_free(s, t + 0.9, FROM_I, v1_encrypted(spi_i, spi_r, IKEV1_EXCH_QUICK, 1, 0x53, 60));
}

/* ---------- findings ---------- */

static const ipsecdiag_finding_t *finding_on(const sc_t *s, guint32 frame, const char *rule)
{
  const ipsecdiag_frame_t *record = ipsecdiag_engine_frame(s->engine, frame);
  for (guint i = 0; record && record->findings && i < record->findings->len; i++) {
    const ipsecdiag_finding_t *f = g_ptr_array_index(record->findings, i);
    if (strcmp(f->rule_id, rule) == 0)
      return f;
  }
  return NULL;
}

static guint findings_total(const sc_t *s, const char *rule)
{
  guint n = 0;
  for (guint32 frame = 0; frame <= s->frame; frame++) {
    const ipsecdiag_frame_t *record = ipsecdiag_engine_frame(s->engine, frame);
    for (guint i = 0; record && record->findings && i < record->findings->len; i++)
      if (strcmp(((const ipsecdiag_finding_t *)g_ptr_array_index(record->findings, i))->rule_id, rule) == 0)
        n++;
  }
  return n;
}

#define assert_param(finding, key, value) \
  g_assert_cmpstr(ipsecdiag_finding_param((finding), (key)), ==, (value))

static void assert_param_contains(const ipsecdiag_finding_t *f, const char *key, const char *part)
{
  const char *value = ipsecdiag_finding_param(f, key);
  g_assert_nonnull(value);
  if (!strstr(value, part))
    g_test_message("%s = \"%s\" lacks \"%s\"", key, value, part);
  g_assert_nonnull(strstr(value, part));
}

/* Every finding names a catalog rule and fills every placeholder of its summary, cause and remedy. */
static void check_all(const sc_t *s)
{
  GRegex *re = g_regex_new("\\{([A-Za-z0-9_]+)\\}", 0, 0, NULL);
  for (guint32 frame = 0; frame <= s->frame; frame++) {
    const ipsecdiag_frame_t *record = ipsecdiag_engine_frame(s->engine, frame);
    for (guint i = 0; record && record->findings && i < record->findings->len; i++) {
      const ipsecdiag_finding_t *f = g_ptr_array_index(record->findings, i);
      const ipsecdiag_rule_t *rule = ipsecdiag_rules_lookup(catalog, f->rule_id);
      if (!rule)
        g_test_message("rule %s missing from rules/", f->rule_id);
      g_assert_nonnull(rule);
      const char *texts[] = {rule->summary, rule->cause, rule->remedy};
      for (guint t = 0; t < G_N_ELEMENTS(texts); t++) {
        GMatchInfo *match;
        g_regex_match(re, texts[t] ? texts[t] : "", 0, &match);
        while (g_match_info_matches(match)) {
          char *name = g_match_info_fetch(match, 1);
          if (!ipsecdiag_finding_param(f, name))
            g_test_message("finding %s lacks {%s}", f->rule_id, name);
          g_assert_nonnull(ipsecdiag_finding_param(f, name));
          g_free(name);
          g_match_info_next(match, NULL);
        }
        g_match_info_free(match);
      }
    }
  }
  g_regex_unref(re);
}

static void sc_finish(sc_t *s)
{
  check_all(s);
  ipsecdiag_engine_free(s->engine);
  s->engine = NULL;
}

/* ---------- rekeys ---------- */

static void test_v2_rekeys(void)
{
  sc_t s = sc_new();
  const guint64 i1 = 0x1111111111111111ull, r1 = 0x2222222222222222ull;
  const guint64 i2 = 0x3333333333333333ull, r2 = 0x4444444444444444ull;
  v2_establish(&s, 0.0, i1, r1);
  /* Child SA rekeys every 10 s, each followed by the delete of the old one. */
  guint32 first_rekey = v2_exchange(&s, 10.3, i1, r1, IKEV2_EXCH_CREATE_CHILD_SA, TRUE, 2, 180);
  v2_exchange(&s, 10.32, i1, r1, IKEV2_EXCH_INFORMATIONAL, TRUE, 3, 60);
  v2_exchange(&s, 20.3, i1, r1, IKEV2_EXCH_CREATE_CHILD_SA, TRUE, 4, 180);
  v2_exchange(&s, 20.32, i1, r1, IKEV2_EXCH_INFORMATIONAL, TRUE, 5, 60);
  /* The IKE SA rekey: larger (KE, IKE proposal), then the old IKE SA's delete. */
  guint32 ike_rekey = v2_exchange(&s, 25.3, i1, r1, IKEV2_EXCH_CREATE_CHILD_SA, TRUE, 6, 420);
  v2_exchange(&s, 25.32, i1, r1, IKEV2_EXCH_INFORMATIONAL, TRUE, 7, 60);
  /* The new IKE SA (new SPIs) goes on rekeying the Child SA. */
  v2_exchange(&s, 30.3, i2, r2, IKEV2_EXCH_CREATE_CHILD_SA, TRUE, 0, 180);
  v2_exchange(&s, 30.32, i2, r2, IKEV2_EXCH_INFORMATIONAL, TRUE, 1, 60);
  ipsecdiag_engine_finalize(s.engine);

  g_assert_cmpuint(ipsecdiag_engine_tunnel_count(s.engine), ==, 2);
  const ipsecdiag_finding_t *f = finding_on(&s, first_rekey, "child_sa_rekeyed");
  g_assert_nonnull(f);
  assert_param(f, "count", "3");
  assert_param(f, "intervals", "10.0, 10.0, 10.0 s");
  assert_param(f, "by", "the initiator (192.0.2.10)");
  g_assert_nonnull(finding_on(&s, first_rekey, "rekey_one_side_regular"));
  assert_param(finding_on(&s, first_rekey, "rekey_one_side_regular"), "interval", "10.0");
  f = finding_on(&s, ike_rekey, "ike_sa_rekeyed");
  g_assert_nonnull(f);
  assert_param(f, "after", "25.0");
  g_assert_cmpuint(findings_total(&s, "ike_sa_deleted"), ==, 0);
  g_assert_cmpuint(findings_total(&s, "rekey_collision"), ==, 0);
  g_assert_cmpuint(findings_total(&s, "ike_sa_flapping"), ==, 0);
  g_assert_cmpuint(findings_total(&s, "liveness_check_unanswered"), ==, 0);

  ipsecdiag_lifecycle_t life;
  ipsecdiag_engine_lifecycle(s.engine, 1, &life);
  g_assert_true(life.established);
  g_assert_false(life.established_mid_life);
  g_assert_cmpuint(life.child_rekeys, ==, 2);
  g_assert_cmpuint(life.ike_rekeys, ==, 1);
  g_assert_cmpuint(life.deletes, ==, 3);
  g_assert_cmpstr(life.end, ==, "rekeyed");
  g_assert_cmpfloat_with_epsilon(life.lifetime, 25.0, 0.01);
  ipsecdiag_engine_lifecycle(s.engine, 2, &life);
  g_assert_true(life.established_mid_life);
  g_assert_cmpuint(life.child_rekeys, ==, 1);
  g_assert_null(life.end);
  g_assert_cmpfloat(life.lifetime, <, 0);
  sc_finish(&s);
}

/* Two rekeys only: a note, but no claim about lifetimes yet. */
static void test_v2_few_rekeys_no_lifetime_claim(void)
{
  sc_t s = sc_new();
  const guint64 i1 = 0x5151515151515151ull, r1 = 0x5252525252525252ull;
  v2_establish(&s, 0.0, i1, r1);
  v2_exchange(&s, 3600.3, i1, r1, IKEV2_EXCH_CREATE_CHILD_SA, FALSE, 2, 180);
  v2_exchange(&s, 3600.32, i1, r1, IKEV2_EXCH_INFORMATIONAL, FALSE, 3, 60);
  v2_exchange(&s, 7000.3, i1, r1, IKEV2_EXCH_CREATE_CHILD_SA, TRUE, 4, 180);
  v2_exchange(&s, 7000.32, i1, r1, IKEV2_EXCH_INFORMATIONAL, TRUE, 5, 60);
  ipsecdiag_engine_finalize(s.engine);
  g_assert_cmpuint(findings_total(&s, "child_sa_rekeyed"), ==, 1);
  g_assert_cmpuint(findings_total(&s, "rekey_one_side_regular"), ==, 0);
  const ipsecdiag_finding_t *f = finding_on(&s, 5, "child_sa_rekeyed");
  g_assert_nonnull(f);
  assert_param(f, "by", "both peers");
  assert_param(f, "intervals", "3600.0, 3400.0 s");
  /* a Child SA request that no delete follows is a new Child SA, not a rekey */
  g_assert_cmpuint(findings_total(&s, "ike_sa_deleted"), ==, 0);
  sc_finish(&s);
}

static void test_v2_rekey_collision(void)
{
  sc_t s = sc_new();
  const guint64 i1 = 0x6161616161616161ull, r1 = 0x6262626262626262ull;
  v2_establish(&s, 0.0, i1, r1);
  guint32 a = send_free(&s, 100.0, FROM_I, v2_sk(i1, r1, IKEV2_EXCH_CREATE_CHILD_SA, TRUE, FALSE, 2, 180, 1))->frame;
  guint32 b = send_free(&s, 100.05, FROM_R, v2_sk(i1, r1, IKEV2_EXCH_CREATE_CHILD_SA, FALSE, FALSE, 0, 180, 2))->frame;
  send_free(&s, 100.1, FROM_R, v2_sk(i1, r1, IKEV2_EXCH_CREATE_CHILD_SA, FALSE, TRUE, 2, 180, 3));
  send_free(&s, 100.1, FROM_I, v2_sk(i1, r1, IKEV2_EXCH_CREATE_CHILD_SA, TRUE, TRUE, 0, 180, 4));
  ipsecdiag_engine_finalize(s.engine);
  const ipsecdiag_finding_t *f = finding_on(&s, b, "rekey_collision");
  g_assert_nonnull(f);
  assert_param(f, "first", "the initiator (192.0.2.10)");
  assert_param(f, "second", "the responder (198.51.100.20)");
  assert_param(f, "gap", "0.050");
  g_assert_cmpuint(strtoul(ipsecdiag_finding_param(f, "first_frame"), NULL, 10), ==, a);
  g_assert_cmpuint(findings_total(&s, "rekey_collision"), ==, 1);
  sc_finish(&s);

  /* Rekeys from both sides minutes apart are no collision. */
  s = sc_new();
  v2_establish(&s, 0.0, i1, r1);
  v2_exchange(&s, 100.0, i1, r1, IKEV2_EXCH_CREATE_CHILD_SA, TRUE, 2, 180);
  send_free(&s, 200.0, FROM_R, v2_sk(i1, r1, IKEV2_EXCH_CREATE_CHILD_SA, FALSE, FALSE, 0, 180, 2));
  ipsecdiag_engine_finalize(s.engine);
  g_assert_cmpuint(findings_total(&s, "rekey_collision"), ==, 0);
  sc_finish(&s);
}

static void test_v1_quick_mode_rekeys_and_delete(void)
{
  sc_t s = sc_new();
  const guint64 i1 = 0x7171717171717171ull, r1 = 0x7272727272727272ull;
  v1_establish(&s, 0.0, i1, r1);
  guint32 first = 0;
  for (int n = 1; n <= 3; n++) {
    double t = 10.0 * n;
    guint32 f = send_free(&s, t, FROM_I, v1_encrypted(i1, r1, IKEV1_EXCH_QUICK, 0x100 + n, 0x60, 140))->frame;
    if (!first)
      first = f;
    send_free(&s, t + 0.01, FROM_R, v1_encrypted(i1, r1, IKEV1_EXCH_QUICK, 0x100 + n, 0x61, 140));
    send_free(&s, t + 0.02, FROM_I, v1_encrypted(i1, r1, IKEV1_EXCH_QUICK, 0x100 + n, 0x62, 60));
    send_free(&s, t + 0.03, FROM_I, v1_encrypted(i1, r1, IKEV1_EXCH_INFORMATIONAL, 0x200 + n, 0x63, 76));
  }
  /* The initiator takes the tunnel down: two Deletes in a burst. */
  guint32 del = send_free(&s, 45.0, FROM_I, v1_encrypted(i1, r1, IKEV1_EXCH_INFORMATIONAL, 0x301, 0x64, 76))->frame;
  send_free(&s, 45.01, FROM_I, v1_encrypted(i1, r1, IKEV1_EXCH_INFORMATIONAL, 0x302, 0x65, 76));
  ipsecdiag_engine_finalize(s.engine);
  const ipsecdiag_finding_t *f = finding_on(&s, first, "child_sa_rekeyed");
  g_assert_nonnull(f);
  assert_param(f, "count", "3");
  assert_param(f, "intervals", "9.4, 10.0, 10.0 s");
  g_assert_nonnull(finding_on(&s, first, "rekey_one_side_regular"));
  f = finding_on(&s, del, "ike_sa_deleted");
  g_assert_nonnull(f);
  assert_param(f, "by", "the initiator (192.0.2.10)");
  assert_param_contains(f, "lifetime", "44.4 s after it was established");
  assert_param_contains(f, "then", "no new IKE SA");
  g_assert_cmpuint(findings_total(&s, "ikev1_dpd_unanswered"), ==, 0);
  ipsecdiag_lifecycle_t life;
  ipsecdiag_engine_lifecycle(s.engine, 1, &life);
  g_assert_cmpuint(life.child_rekeys, ==, 3);
  g_assert_cmpuint(life.deletes, ==, 4);
  g_assert_cmpuint(life.deleted_by, ==, IPSECDIAG_ROLE_INITIATOR);
  g_assert_cmpstr(life.end, ==, "deleted");
  sc_finish(&s);
}

/* IKEv1: an Informational that answers QI1 is a rejection notify, not a Delete. */
static void test_v1_rejection_is_no_delete(void)
{
  sc_t s = sc_new();
  const guint64 i1 = 0x7373737373737373ull, r1 = 0x7474747474747474ull;
  for (int n = 1; n <= 6; n++)
    send_free(&s, 0.1 * n, n % 2 == 1, v1_main(i1, r1, n));
  send_free(&s, 0.7, FROM_I, v1_encrypted(i1, r1, IKEV1_EXCH_QUICK, 1, 0x51, 140));
  guint32 info = send_free(&s, 0.8, FROM_R, v1_encrypted(i1, r1, IKEV1_EXCH_INFORMATIONAL, 0x99, 0x52, 76))->frame;
  ipsecdiag_engine_finalize(s.engine);
  g_assert_nonnull(finding_on(&s, info, "ikev1_phase2_rejected_inferred"));
  g_assert_cmpuint(findings_total(&s, "ike_sa_deleted"), ==, 0);
  sc_finish(&s);
}

/* IKEv1: a new Main Mode while the old ISAKMP SA lives on renews it. */
static void test_v1_phase1_renewal(void)
{
  sc_t s = sc_new();
  const guint64 i1 = 0x8181818181818181ull, r1 = 0x8282828282828282ull;
  const guint64 i2 = 0x8383838383838383ull, r2 = 0x8484848484848484ull;
  v1_establish(&s, 0.0, i1, r1);
  v1_establish(&s, 300.0, i2, r2);
  send_free(&s, 301.5, FROM_I, v1_encrypted(i1, r1, IKEV1_EXCH_INFORMATIONAL, 0x401, 0x66, 76));
  ipsecdiag_engine_finalize(s.engine);
  const ipsecdiag_finding_t *f = finding_on(&s, 10, "ike_sa_rekeyed");
  g_assert_nonnull(f);
  assert_param(f, "after", "299.5");
  g_assert_cmpuint(findings_total(&s, "ike_sa_deleted"), ==, 0);
  g_assert_cmpuint(findings_total(&s, "ike_sa_flapping"), ==, 0);
  ipsecdiag_lifecycle_t life;
  ipsecdiag_engine_lifecycle(s.engine, 1, &life);
  g_assert_cmpstr(life.end, ==, "renewed");
  sc_finish(&s);
}

/* ---------- liveness ---------- */

static void test_v2_liveness_unanswered(void)
{
  sc_t s = sc_new();
  const guint64 i1 = 0x9191919191919191ull, r1 = 0x9292929292929292ull;
  v2_establish(&s, 0.0, i1, r1);
  GByteArray *check = v2_sk(i1, r1, IKEV2_EXCH_INFORMATIONAL, TRUE, FALSE, 2, 52, 0x70);
  guint32 first = send_keep(&s, 30.0, FROM_I, check)->frame;
  send_keep(&s, 31.0, FROM_I, check);
  const ipsecdiag_frame_t *third = send_keep(&s, 32.8, FROM_I, check);
  /* immediate, on the second retransmission */
  const ipsecdiag_finding_t *f = finding_on(&s, third->frame, "liveness_check_unanswered");
  g_assert_nonnull(f);
  g_assert_false(f->final);
  send_keep(&s, 36.0, FROM_I, check);
  g_byte_array_unref(check);
  /* the initiator gives up and starts again: unanswered too */
  send_free(&s, 42.0, FROM_I, v2_init(0xa1a1a1a1a1a1a1a1ull, 0, FALSE));
  ipsecdiag_engine_finalize(s.engine);
  f = finding_on(&s, first, "liveness_check_unanswered");
  g_assert_nonnull(f);
  g_assert_true(f->final);
  assert_param(f, "count", "4");
  assert_param(f, "message", "INFORMATIONAL request");
  assert_param_contains(f, "what", "small encrypted INFORMATIONAL");
  assert_param(f, "last_heard", "29.7 s before the first check");
  assert_param_contains(f, "then", "12.0 s after the first check a new IKE SA (tunnel 2, IKE_SA_INIT)");
  assert_param_contains(f, "then", "not answered either");
  g_assert_cmpuint(findings_total(&s, "request_unanswered"), ==, 0);
  g_assert_cmpuint(findings_total(&s, "ike_sa_deleted"), ==, 0);
  ipsecdiag_lifecycle_t life;
  ipsecdiag_engine_lifecycle(s.engine, 1, &life);
  g_assert_cmpstr(life.end, ==, "peer silent");
  sc_finish(&s);
}

/* Answered liveness checks are healthy and no Delete. */
static void test_v2_liveness_answered(void)
{
  sc_t s = sc_new();
  const guint64 i1 = 0x9393939393939393ull, r1 = 0x9494949494949494ull;
  v2_establish(&s, 0.0, i1, r1);
  for (guint n = 0; n < 3; n++)
    v2_exchange(&s, 30.0 * (n + 1), i1, r1, IKEV2_EXCH_INFORMATIONAL, TRUE, 2 + n, 52);
  ipsecdiag_engine_finalize(s.engine);
  g_assert_cmpuint(findings_total(&s, "ike_sa_deleted"), ==, 0);
  g_assert_cmpuint(findings_total(&s, "liveness_check_unanswered"), ==, 0);
  ipsecdiag_lifecycle_t life;
  ipsecdiag_engine_lifecycle(s.engine, 1, &life);
  g_assert_cmpuint(life.liveness_checks, ==, 3);
  g_assert_cmpuint(life.deletes, ==, 0);
  sc_finish(&s);
}

static void test_v1_dpd(void)
{
  sc_t s = sc_new();
  const guint64 i1 = 0xb1b1b1b1b1b1b1b1ull, r1 = 0xb2b2b2b2b2b2b2b2ull;
  v1_establish(&s, 0.0, i1, r1);
  /* answered DPD: R-U-THERE and ACK */
  send_free(&s, 10.0, FROM_I, v1_encrypted(i1, r1, IKEV1_EXCH_INFORMATIONAL, 0x501, 0x71, 76));
  send_free(&s, 10.01, FROM_R, v1_encrypted(i1, r1, IKEV1_EXCH_INFORMATIONAL, 0x502, 0x72, 76));
  /* then no answer: three R-U-THERE 5 s apart, and the initiator starts over */
  guint32 first = send_free(&s, 20.0, FROM_I, v1_encrypted(i1, r1, IKEV1_EXCH_INFORMATIONAL, 0x503, 0x73, 76))->frame;
  send_free(&s, 25.0, FROM_I, v1_encrypted(i1, r1, IKEV1_EXCH_INFORMATIONAL, 0x504, 0x74, 76));
  send_free(&s, 30.0, FROM_I, v1_encrypted(i1, r1, IKEV1_EXCH_INFORMATIONAL, 0x505, 0x75, 76));
  send_free(&s, 35.0, FROM_I, v1_main(0xb3b3b3b3b3b3b3b3ull, 0, 1));
  ipsecdiag_engine_finalize(s.engine);
  const ipsecdiag_finding_t *f = finding_on(&s, first, "ikev1_dpd_unanswered");
  g_assert_nonnull(f);
  assert_param(f, "count", "3");
  assert_param(f, "interval", "5.0");
  assert_param(f, "span", "10.0");
  assert_param(f, "last_heard", "10.0 s before the first check");
  assert_param(f, "peer", "198.51.100.20");
  assert_param_contains(f, "then", "15.0 s after the first check a new IKE SA (tunnel 2, Main Mode)");
  g_assert_cmpuint(findings_total(&s, "ikev1_dpd_unanswered"), ==, 1);
  g_assert_cmpuint(findings_total(&s, "ike_sa_deleted"), ==, 0);
  sc_finish(&s);

  /* Only answered DPD: nothing to say. */
  s = sc_new();
  v1_establish(&s, 0.0, i1, r1);
  for (guint n = 0; n < 3; n++) {
    send_free(&s, 10.0 * (n + 1), FROM_I, v1_encrypted(i1, r1, IKEV1_EXCH_INFORMATIONAL, 0x600 + n, 0x71, 76));
    send_free(&s, 10.0 * (n + 1) + 0.01, FROM_R, v1_encrypted(i1, r1, IKEV1_EXCH_INFORMATIONAL, 0x700 + n, 0x72, 76));
  }
  ipsecdiag_engine_finalize(s.engine);
  g_assert_cmpuint(findings_total(&s, "ikev1_dpd_unanswered"), ==, 0);
  g_assert_cmpuint(findings_total(&s, "ike_sa_deleted"), ==, 0);
  sc_finish(&s);
}

/* ---------- deletes and flapping ---------- */

static void run_flaps(sc_t *s, guint rounds, double period, guint32 *deletes, guint32 *last_up)
{
  for (guint n = 0; n < rounds; n++) {
    guint64 spi_i = 0xc100000000000000ull + n, spi_r = 0xc200000000000000ull + n;
    double t = period * n;
    v2_establish(s, t, spi_i, spi_r);
    *last_up = s->frame;
    if (n + 1 < rounds)
      deletes[n] = v2_exchange(s, t + 2.0, spi_i, spi_r, IKEV2_EXCH_INFORMATIONAL, n % 2 == 0, 2, 52);
  }
}

static void test_v2_flapping(void)
{
  sc_t s = sc_new();
  guint32 deletes[4], last_up = 0;
  run_flaps(&s, 5, 5.0, deletes, &last_up);
  ipsecdiag_engine_finalize(s.engine);
  for (guint n = 0; n < 4; n++) {
    const ipsecdiag_finding_t *f = finding_on(&s, deletes[n], "ike_sa_deleted");
    g_assert_nonnull(f);
    assert_param(f, "by", n % 2 == 0 ? "the initiator (192.0.2.10)" : "the responder (198.51.100.20)");
    assert_param_contains(f, "then", "starts 3.0 s later");
  }
  const ipsecdiag_finding_t *f = finding_on(&s, last_up, "ike_sa_flapping");
  g_assert_nonnull(f);
  assert_param(f, "count", "5");
  assert_param(f, "span", "20.0");
  assert_param(f, "interval", "5.0");
  assert_param(f, "ends", "2 deleted by the initiator, 2 by the responder, 0 by an unknown side, 0 ended without a Delete");
  g_assert_cmpuint(findings_total(&s, "ike_sa_flapping"), ==, 1);
  sc_finish(&s);

  /* The same, once an hour: deletes, no flapping. */
  s = sc_new();
  run_flaps(&s, 3, 3600.0, deletes, &last_up);
  ipsecdiag_engine_finalize(s.engine);
  g_assert_cmpuint(findings_total(&s, "ike_sa_flapping"), ==, 0);
  g_assert_cmpuint(findings_total(&s, "ike_sa_deleted"), ==, 2);
  sc_finish(&s);

  /* Two establishments are not yet flapping. */
  s = sc_new();
  run_flaps(&s, 2, 5.0, deletes, &last_up);
  ipsecdiag_engine_finalize(s.engine);
  g_assert_cmpuint(findings_total(&s, "ike_sa_flapping"), ==, 0);
  sc_finish(&s);
}

/* Decrypted content replaces the inference. */
static void test_decrypted_content(void)
{
  sc_t s = sc_new();
  const guint64 i1 = 0xd1d1d1d1d1d1d1d1ull, r1 = 0xd2d2d2d2d2d2d2d2ull;
  v2_establish(&s, 0.0, i1, r1);
  guint32 info = v2_exchange(&s, 50.0, i1, r1, IKEV2_EXCH_INFORMATIONAL, FALSE, 0, 52);
  ipsecdiag_engine_finalize(s.engine);
  g_assert_nonnull(finding_on(&s, info, "ike_sa_deleted"));
  ipsecdiag_engine_set_informational(s.engine, info, IPSECDIAG_INFO_EMPTY);
  g_assert_false(ipsecdiag_engine_is_finalized(s.engine));
  ipsecdiag_engine_finalize(s.engine);
  g_assert_null(finding_on(&s, info, "ike_sa_deleted"));
  ipsecdiag_engine_set_informational(s.engine, info, IPSECDIAG_INFO_DELETE_IKE);
  ipsecdiag_engine_finalize(s.engine);
  g_assert_nonnull(finding_on(&s, info, "ike_sa_deleted"));
  assert_param(finding_on(&s, info, "ike_sa_deleted"), "by", "the responder (198.51.100.20)");
  sc_finish(&s);
}

/* ---------- fragmentation ---------- */

/* UDP 4500 datagram payload: UDP header, non-ESP marker, IKE message. */
static GByteArray *udp_natt(const GByteArray *ike)
{
  GByteArray *b = g_byte_array_new();
  put16(b, 4500);
  put16(b, 4500);
  put16(b, 8 + 4 + ike->len);
  put16(b, 0);
  put32(b, 0);
  g_byte_array_append(b, ike->data, ike->len);
  return b;
}

/* Feed one IP fragment of datagram (bytes from..to) in its own frame. */
static const ipsecdiag_frame_t *fragment(sc_t *s, double time, guint16 ip_id, const GByteArray *datagram,
                                         guint from, guint to, guint32 frame)
{
  ipsecdiag_packet_t pkt = packet(s, time, FROM_I, TRUE, frame);
  pkt.src.port = pkt.dst.port = 0;
  return ipsecdiag_engine_feed_ip_fragment(s->engine, &pkt, ip_id, 17, from, to < datagram->len,
                                           datagram->data + from, to - from);
}

static void test_fragments_never_reassembled(void)
{
  sc_t s = sc_new();
  const guint64 i1 = 0xe1e1e1e1e1e1e1e1ull, r1 = 0xe2e2e2e2e2e2e2e2ull;
  send_free(&s, 0.0, FROM_I, v2_init(i1, r1, FALSE));
  send_free(&s, 0.1, FROM_R, v2_init(i1, r1, TRUE));
  GByteArray *auth = v2_sk(i1, r1, IKEV2_EXCH_IKE_AUTH, TRUE, FALSE, 1, 2800, 0x31);
  GByteArray *datagram = udp_natt(auth);
  guint32 head = 0;
  const double times[] = {0.2, 1.2, 3.0, 6.2};
  for (guint n = 0; n < G_N_ELEMENTS(times); n++) {
    /* only the first fragment of each transmission arrives */
    const ipsecdiag_frame_t *frame = fragment(&s, times[n], (guint16)(0x100 + n), datagram, 0, 1480, ++s.frame);
    g_assert_nonnull(frame);
    g_assert_cmpstr(frame->message, ==, "IKE_AUTH request");
    g_assert_cmpuint(frame->tunnel, ==, 1);
    g_assert_cmpuint(frame->sender_role, ==, IPSECDIAG_ROLE_INITIATOR);
    if (!head)
      head = frame->frame;
  }
  /* a duplicate fragment (captured twice) changes nothing and gets no record */
  g_assert_null(fragment(&s, 6.3, 0x103, datagram, 0, 1480, ++s.frame));
  ipsecdiag_engine_finalize(s.engine);
  const ipsecdiag_finding_t *f = finding_on(&s, head, "ike_fragments_missing");
  g_assert_nonnull(f);
  assert_param(f, "message", "IKE_AUTH request");
  assert_param(f, "count", "4");
  assert_param(f, "received", "1");
  assert_param(f, "span", "6.0");
  g_assert_cmpuint(strtoul(ipsecdiag_finding_param(f, "size"), NULL, 10), ==, auth->len);
  /* the fragments explain the stall: no "capture ends before IKE_AUTH" or half-open SA */
  g_assert_cmpuint(findings_total(&s, "capture_ends_before_auth"), ==, 0);
  g_assert_cmpuint(findings_total(&s, "half_open_sa"), ==, 0);
  g_assert_cmpuint(findings_total(&s, "ike_fragments_missing"), ==, 1);
  g_byte_array_unref(datagram);
  g_byte_array_unref(auth);
  sc_finish(&s);
}

static void test_fragmented_unanswered(void)
{
  sc_t s = sc_new();
  const guint64 i1 = 0xf1f1f1f1f1f1f1f1ull, r1 = 0xf2f2f2f2f2f2f2f2ull;
  send_free(&s, 0.0, FROM_I, v2_init(i1, r1, FALSE));
  send_free(&s, 0.1, FROM_R, v2_init(i1, r1, TRUE));
  GByteArray *auth = v2_sk(i1, r1, IKEV2_EXCH_IKE_AUTH, TRUE, FALSE, 1, 2800, 0x31);
  GByteArray *datagram = udp_natt(auth);
  const double times[] = {0.2, 1.2, 3.0, 6.2};
  guint32 first = 0;
  for (guint n = 0; n < G_N_ELEMENTS(times); n++) {
    fragment(&s, times[n], (guint16)(0x200 + n), datagram, 0, 1480, ++s.frame);
    /* the last fragment completes the datagram; the reassembled message is fed in its frame */
    guint32 last = ++s.frame;
    g_assert_null(fragment(&s, times[n], (guint16)(0x200 + n), datagram, 1480, datagram->len, last));
    ipsecdiag_packet_t pkt = packet(&s, times[n], FROM_I, TRUE, last);
    const ipsecdiag_frame_t *frame = ipsecdiag_engine_feed_ike(s.engine, &pkt, auth->data, auth->len);
    g_assert_cmpstr(frame->message, ==, "IKE_AUTH request");
    if (!first)
      first = last;
  }
  const ipsecdiag_tunnel_t *tunnel = ipsecdiag_engine_tunnel(s.engine, 1);
  g_assert_cmpuint(tunnel->messages[2].ip_fragments, ==, 2);
  g_assert_cmpuint(tunnel->messages[2].sends, ==, 4);
  ipsecdiag_engine_finalize(s.engine);
  const ipsecdiag_finding_t *f = finding_on(&s, first, "ike_fragmented_unanswered");
  g_assert_nonnull(f);
  assert_param(f, "fragments", "2");
  assert_param(f, "count", "4");
  g_assert_cmpuint(findings_total(&s, "natt_4500_blocked"), ==, 0);
  g_assert_cmpuint(findings_total(&s, "ike_fragments_missing"), ==, 0);
  g_byte_array_unref(datagram);
  g_byte_array_unref(auth);
  sc_finish(&s);
}

static void test_ike_fragmentation_note(void)
{
  sc_t s = sc_new();
  const guint64 i1 = 0x1212121212121212ull, r1 = 0x3434343434343434ull;
  send_free(&s, 0.0, FROM_I, v2_init(i1, r1, FALSE));
  send_free(&s, 0.1, FROM_R, v2_init(i1, r1, TRUE));
  const ipsecdiag_frame_t *frame = send_free(&s, 0.2, FROM_I, v2_skf(i1, r1, 1, 1, 3));
  const ipsecdiag_finding_t *f = finding_on(&s, frame->frame, "ike_fragmentation_used");
  g_assert_nonnull(f);
  assert_param(f, "fragments", "3");
  send_free(&s, 0.2, FROM_I, v2_skf(i1, r1, 1, 2, 3));
  send_free(&s, 0.2, FROM_I, v2_skf(i1, r1, 1, 3, 3));
  g_assert_cmpuint(findings_total(&s, "ike_fragmentation_used"), ==, 1);
  sc_finish(&s);
}

/* UDP 4500 datagram payload carrying ESP: UDP header, SPI, sequence, body. */
static GByteArray *udp_esp(guint32 spi, guint32 sequence, gsize body)
{
  GByteArray *b = g_byte_array_new();
  put16(b, 4500);
  put16(b, 4500);
  put16(b, (guint)(8 + 8 + body));
  put16(b, 0);
  put32(b, spi);
  put32(b, sequence);
  putfill(b, 0x5a, body);
  return b;
}

/* One fragment of an ESP datagram, from the initiator or the responder. */
static const ipsecdiag_frame_t *esp_fragment(sc_t *s, double time, gboolean from_i, guint32 ip_id,
                                             const GByteArray *datagram, guint from, guint to)
{
  ipsecdiag_packet_t pkt = packet(s, time, from_i, TRUE, ++s->frame);
  pkt.src.port = pkt.dst.port = 0;
  return ipsecdiag_engine_feed_ip_fragment(s->engine, &pkt, ip_id, 17, from, to < datagram->len,
                                           datagram->data + from, to - from);
}

/* Large ESP split in two IP fragments, all arriving: a note with the count, no warning. */
static void test_esp_fragmented_complete(void)
{
  sc_t s = sc_new();
  const guint64 i1 = 0x5151515151515151ull, r1 = 0x5252525252525252ull;
  const guint32 spi_ir = 0xc0ffee01, spi_ri = 0xc0ffee02;
  v2_establish(&s, 0.0, i1, r1);
  ipsecdiag_packet_t pkt = packet(&s, 1.0, FROM_I, TRUE, ++s.frame);
  ipsecdiag_engine_feed_esp(s.engine, &pkt, spi_ir, 1, 120);
  guint32 first_complete = 0;
  for (guint32 n = 0; n < 3; n++) {
    GByteArray *datagram = udp_esp(spi_ir, 2 + n, 1320);
    g_assert_null(esp_fragment(&s, 2.0 + n, FROM_I, 0x7000 + n, datagram, 0, 1256));
    /* the last fragment completes it; the glue then feeds the reassembled ESP */
    g_assert_null(esp_fragment(&s, 2.0 + n, FROM_I, 0x7000 + n, datagram, 1256, datagram->len));
    pkt = packet(&s, 2.0 + n, FROM_I, TRUE, s.frame);
    ipsecdiag_engine_feed_esp(s.engine, &pkt, spi_ir, 2 + n, 1320);
    if (!first_complete)
      first_complete = s.frame;
    g_byte_array_unref(datagram);
  }
  /* the responder's first ESP is a large one: its SPI is unknown until the reassembled packet is fed */
  GByteArray *reply = udp_esp(spi_ri, 1, 1320);
  esp_fragment(&s, 6.0, FROM_R, 0x8000, reply, 0, 1256);
  esp_fragment(&s, 6.0, FROM_R, 0x8000, reply, 1256, reply->len);
  pkt = packet(&s, 6.0, FROM_R, TRUE, s.frame);
  ipsecdiag_engine_feed_esp(s.engine, &pkt, spi_ri, 1, 1320);
  g_byte_array_unref(reply);
  ipsecdiag_engine_finalize(s.engine);
  g_assert_cmpuint(findings_total(&s, "esp_fragmented"), ==, 1);
  g_assert_cmpuint(findings_total(&s, "esp_fragments_missing"), ==, 0);
  /* on the frame that completed the first fragmented ESP packet, which gets a record for it */
  const ipsecdiag_finding_t *f = finding_on(&s, first_complete, "esp_fragmented");
  g_assert_nonnull(f);
  g_assert_cmpuint(ipsecdiag_engine_frame(s.engine, first_complete)->kind, ==, IPSECDIAG_FRAME_ESP);
  assert_param(f, "complete", "4");
  assert_param(f, "incomplete", "0");
  assert_param(f, "tunnel", "1");
  sc_finish(&s);
}

/* Only the first fragment of the responder's large ESP arrives: a warning naming the direction. */
static void test_esp_fragments_missing(void)
{
  sc_t s = sc_new();
  const guint64 i1 = 0x6161616161616161ull, r1 = 0x6262626262626262ull;
  const guint32 spi_ir = 0xd00d0001, spi_ri = 0xd00d0002;
  v2_establish(&s, 0.0, i1, r1);
  ipsecdiag_packet_t pkt = packet(&s, 1.0, FROM_I, TRUE, ++s.frame);
  ipsecdiag_engine_feed_esp(s.engine, &pkt, spi_ir, 1, 120);
  /* one complete large packet from the initiator */
  GByteArray *out = udp_esp(spi_ir, 2, 1320);
  esp_fragment(&s, 1.5, FROM_I, 0x100, out, 0, 1256);
  esp_fragment(&s, 1.5, FROM_I, 0x100, out, 1256, out->len);
  g_byte_array_unref(out);
  /* the responder's SPI is learnt only from a small packet after its first large one */
  guint32 first_head = 0;
  for (guint32 n = 0; n < 4; n++) {
    GByteArray *in = udp_esp(spi_ri, 1 + n, 1320);
    g_assert_null(esp_fragment(&s, 2.0 + n, FROM_R, 0x9000 + n, in, 0, 1256));
    if (!first_head)
      first_head = s.frame;
    g_byte_array_unref(in);
    if (n == 0) {
      pkt = packet(&s, 2.5, FROM_R, TRUE, ++s.frame);
      ipsecdiag_engine_feed_esp(s.engine, &pkt, spi_ri, 10, 120);
    }
  }
  ipsecdiag_engine_finalize(s.engine);
  g_assert_cmpuint(findings_total(&s, "esp_fragmented"), ==, 0);
  const ipsecdiag_finding_t *f = finding_on(&s, first_head, "esp_fragments_missing");
  g_assert_nonnull(f);
  assert_param(f, "complete", "1");
  assert_param(f, "incomplete", "4");
  assert_param(f, "direction", "ESP from 198.51.100.20 to 192.0.2.10");
  g_assert_cmpuint(findings_total(&s, "esp_fragments_missing"), ==, 1);
  /* ESP fragments are not IKE: no IKE fragment finding */
  g_assert_cmpuint(findings_total(&s, "ike_fragments_missing"), ==, 0);
  sc_finish(&s);
}

/* An IPv6 header (40 bytes) with the given next header and payload length. */
static GByteArray *ipv6_header(guint8 next, guint payload_len)
{
  GByteArray *b = g_byte_array_new();
  put32(b, 0x60000000);
  put16(b, payload_len);
  put8(b, next);
  put8(b, 64);
  putfill(b, 0x20, 16);
  putfill(b, 0x30, 16);
  return b;
}

static void put_fragment_header(GByteArray *b, guint8 next, guint32 offset, gboolean more, guint32 id)
{
  put8(b, next);
  put8(b, 0);
  put16(b, (guint)(offset / 8) << 3 | (more ? 1 : 0));
  put32(b, id);
}

static void test_ipv6_fragment_header(void)
{
  ipsecdiag_ipv6_fragment_t frag;
  /* hop-by-hop (8 bytes), destination options (16 bytes), then the Fragment header */
  GByteArray *b = ipv6_header(0, 8 + 16 + 8 + 100);
  put8(b, 60); put8(b, 0); putfill(b, 1, 6);
  put8(b, 44); put8(b, 1); putfill(b, 1, 14);
  put_fragment_header(b, 17, 1448, TRUE, 0xdeadbeef);
  putfill(b, 0x77, 100);
  g_assert_true(ipsecdiag_ipv6_fragment(b->data, b->len, &frag));
  g_assert_cmpuint(frag.identification, ==, 0xdeadbeef);
  g_assert_cmpuint(frag.offset, ==, 1448);
  g_assert_true(frag.more_fragments);
  g_assert_cmpuint(frag.protocol, ==, 17);
  g_assert_cmpuint(frag.payload, ==, 40 + 8 + 16 + 8);
  g_assert_cmpuint(frag.payload_len, ==, 100);
  /* the payload length bounds the data (trailing bytes, e.g. Ethernet padding, are not payload) */
  putfill(b, 0, 6);
  g_assert_true(ipsecdiag_ipv6_fragment(b->data, b->len, &frag));
  g_assert_cmpuint(frag.payload_len, ==, 100);
  /* truncated inside the Fragment header, inside an extension header, before the fixed header ends */
  g_assert_false(ipsecdiag_ipv6_fragment(b->data, 40 + 8 + 16 + 4, &frag));
  g_assert_false(ipsecdiag_ipv6_fragment(b->data, 40 + 8 + 10, &frag));
  g_assert_false(ipsecdiag_ipv6_fragment(b->data, 39, &frag));
  g_assert_false(ipsecdiag_ipv6_fragment(NULL, 0, &frag));
  /* IPv4 is not IPv6 */
  b->data[0] = 0x45;
  g_assert_false(ipsecdiag_ipv6_fragment(b->data, b->len, &frag));
  g_byte_array_unref(b);

  /* last fragment (M clear), the Fragment header first */
  b = ipv6_header(44, 8 + 40);
  put_fragment_header(b, 50, 2896, FALSE, 7);
  putfill(b, 0x11, 40);
  g_assert_true(ipsecdiag_ipv6_fragment(b->data, b->len, &frag));
  g_assert_false(frag.more_fragments);
  g_assert_cmpuint(frag.offset, ==, 2896);
  g_assert_cmpuint(frag.protocol, ==, 50);
  g_byte_array_unref(b);

  /* not fragmented: UDP right after the header */
  b = ipv6_header(17, 8);
  putfill(b, 0, 8);
  g_assert_false(ipsecdiag_ipv6_fragment(b->data, b->len, &frag));
  g_byte_array_unref(b);

  /* an extension header claiming more than is there */
  b = ipv6_header(60, 16);
  put8(b, 44); put8(b, 200); putfill(b, 0, 14);
  g_assert_false(ipsecdiag_ipv6_fragment(b->data, b->len, &frag));
  g_byte_array_unref(b);

  /* nine destination options headers before the Fragment header: more than are walked */
  b = ipv6_header(60, 9 * 8 + 8 + 8);
  for (int i = 0; i < 9; i++) {
    put8(b, i == 8 ? 44 : 60); put8(b, 0); putfill(b, 1, 6);
  }
  put_fragment_header(b, 17, 0, TRUE, 1);
  putfill(b, 0, 8);
  g_assert_false(ipsecdiag_ipv6_fragment(b->data, b->len, &frag));
  g_byte_array_unref(b);
}

/* IPv6 fragments of an IKE_AUTH request that never reassembles: the 32-bit
 * identification keeps datagrams apart that share the low 16 bits. */
static void test_ipv6_fragments_never_reassembled(void)
{
  sc_t s = sc_new();
  s.i.addr.family = s.r.addr.family = s.i500.addr.family = s.r500.addr.family = 6;
  g_assert_cmpint(inet_pton(AF_INET6, "2001:db8:a::2", s.i.addr.bytes), ==, 1);
  g_assert_cmpint(inet_pton(AF_INET6, "2001:db8:b::2", s.r.addr.bytes), ==, 1);
  s.i500.addr = s.i.addr;
  s.r500.addr = s.r.addr;
  const guint64 i1 = 0x7171717171717171ull, r1 = 0x7272727272727272ull;
  send_free(&s, 0.0, FROM_I, v2_init(i1, r1, FALSE));
  send_free(&s, 0.1, FROM_R, v2_init(i1, r1, TRUE));
  GByteArray *auth = v2_sk(i1, r1, IKEV2_EXCH_IKE_AUTH, TRUE, FALSE, 1, 2800, 0x31);
  GByteArray *datagram = udp_natt(auth);
  /* each transmission as the IPv6 packet the glue sees: Fragment header, then data */
  const double times[] = {0.2, 1.2, 3.0};
  guint32 head = 0;
  for (guint n = 0; n < G_N_ELEMENTS(times); n++) {
    GByteArray *ip6 = ipv6_header(44, 8 + 1448);
    put_fragment_header(ip6, 17, 0, TRUE, 0x10000u * (n + 1) + 0x42);
    g_byte_array_append(ip6, datagram->data, 1448);
    ipsecdiag_ipv6_fragment_t frag;
    g_assert_true(ipsecdiag_ipv6_fragment(ip6->data, ip6->len, &frag));
    ipsecdiag_packet_t pkt = packet(&s, times[n], FROM_I, TRUE, ++s.frame);
    pkt.src.port = pkt.dst.port = 0;
    const ipsecdiag_frame_t *frame = ipsecdiag_engine_feed_ip_fragment(
        s.engine, &pkt, frag.identification, frag.protocol, frag.offset, frag.more_fragments,
        ip6->data + frag.payload, frag.payload_len);
    g_assert_nonnull(frame);
    g_assert_cmpstr(frame->message, ==, "IKE_AUTH request");
    if (!head)
      head = frame->frame;
    g_byte_array_unref(ip6);
  }
  ipsecdiag_engine_finalize(s.engine);
  const ipsecdiag_finding_t *f = finding_on(&s, head, "ike_fragments_missing");
  g_assert_nonnull(f);
  assert_param(f, "count", "3");
  assert_param(f, "sender", "2001:db8:a::2");
  g_byte_array_unref(datagram);
  g_byte_array_unref(auth);
  sc_finish(&s);
}

/* IKEv1 fragment payload (132): fragment id, number, flags (1 = last), data. */
static GByteArray *v1_fragment(guint64 spi_i, guint64 spi_r, guint8 exchange, guint number, gboolean last)
{
  GByteArray *b = header(1, spi_i, spi_r, exchange, 0, 0, IKEV1_PL_FRAG);
  put8(b, 0);
  put8(b, 0);
  put16(b, 4 + 4 + 120);
  put16(b, 1);
  put8(b, number);
  put8(b, last ? 0x01 : 0);             /* flag: last fragment */
  putfill(b, (guint8)(0x90 + number), 120);
  return finish(b);
}

/* Fragmentation vendor ID (Cisco / strongSwan). */
static void v1_fragmentation_vid(GByteArray *b)
{
  static const guint8 vid[16] = {0x40, 0x48, 0xb7, 0xd5, 0x6e, 0xbc, 0xe8, 0x85,
                                 0x25, 0xe7, 0xde, 0x7f, 0x00, 0xd6, 0xc2, 0xd3};
  /* appended as the last payload: the previous last payload points to it */
  gsize at = IKE_HEADER_LEN, last = 16;          /* offset of the next-payload byte to patch */
  while (at + 4 <= b->len) {
    last = at;
    at += (gsize)b->data[at + 2] << 8 | b->data[at + 3];
  }
  b->data[last] = IKEV1_PL_VID;
  put8(b, 0);
  put8(b, 0);
  put16(b, 4 + sizeof vid);
  g_byte_array_append(b, vid, sizeof vid);
  finish(b);
}

static void test_ikev1_fragmentation_note(void)
{
  sc_t s = sc_new();
  const guint64 i1 = 0x8181818181818181ull, r1 = 0x8282828282828282ull;
  GByteArray *mi1 = v1_main(i1, r1, 1);
  v1_fragmentation_vid(mi1);
  send_free(&s, 0.0, FROM_I, mi1);
  GByteArray *mr1 = v1_main(i1, r1, 2);
  v1_fragmentation_vid(mr1);
  send_free(&s, 0.1, FROM_R, mr1);
  const ipsecdiag_tunnel_t *tunnel = ipsecdiag_engine_tunnel(s.engine, 1);
  g_assert_nonnull(strstr(tunnel->vendor_ids[0], "Cisco Fragmentation"));
  /* MI2 in three IKE fragments: the note comes with the last (the count is known then) */
  const ipsecdiag_frame_t *f1 = send_free(&s, 0.2, FROM_I, v1_fragment(i1, r1, IKEV1_EXCH_MAIN, 1, FALSE));
  g_assert_null(finding_on(&s, f1->frame, "ikev1_fragmentation_used"));
  send_free(&s, 0.2, FROM_I, v1_fragment(i1, r1, IKEV1_EXCH_MAIN, 2, FALSE));
  const ipsecdiag_frame_t *f3 = send_free(&s, 0.2, FROM_I, v1_fragment(i1, r1, IKEV1_EXCH_MAIN, 3, TRUE));
  const ipsecdiag_finding_t *f = finding_on(&s, f3->frame, "ikev1_fragmentation_used");
  g_assert_nonnull(f);
  assert_param(f, "fragments", "3");
  assert_param(f, "announced", "both peers");
  /* once per IKE SA; the IKEv2 note never */
  send_free(&s, 0.3, FROM_R, v1_fragment(i1, r1, IKEV1_EXCH_MAIN, 1, FALSE));
  send_free(&s, 0.3, FROM_R, v1_fragment(i1, r1, IKEV1_EXCH_MAIN, 2, TRUE));
  g_assert_cmpuint(findings_total(&s, "ikev1_fragmentation_used"), ==, 1);
  g_assert_cmpuint(findings_total(&s, "ike_fragmentation_used"), ==, 0);
  sc_finish(&s);
}

/* A peer that fragments without having announced it. */
static void test_ikev1_fragmentation_unannounced(void)
{
  sc_t s = sc_new();
  const guint64 i1 = 0x9191919191919191ull, r1 = 0x9292929292929292ull;
  send_free(&s, 0.0, FROM_I, v1_main(i1, r1, 1));
  GByteArray *mr1 = v1_main(i1, r1, 2);
  v1_fragmentation_vid(mr1);
  send_free(&s, 0.1, FROM_R, mr1);
  const ipsecdiag_frame_t *last = send_free(&s, 0.2, FROM_I, v1_fragment(i1, r1, IKEV1_EXCH_MAIN, 1, TRUE));
  const ipsecdiag_finding_t *f = finding_on(&s, last->frame, "ikev1_fragmentation_used");
  g_assert_nonnull(f);
  assert_param(f, "fragments", "1");
  assert_param(f, "announced", "the responder only");
  sc_finish(&s);
}

/* Odd fragments are ignored or bounded, never trusted. */
static void test_fragment_bounds(void)
{
  sc_t s = sc_new();
  static const guint8 junk[16] = {1, 2, 3};
  ipsecdiag_packet_t pkt = packet(&s, 1.0, FROM_I, TRUE, ++s.frame);
  /* not a fragment, unaligned offset, out of range: ignored */
  g_assert_null(ipsecdiag_engine_feed_ip_fragment(s.engine, &pkt, 1, 17, 0, FALSE, junk, sizeof junk));
  g_assert_null(ipsecdiag_engine_feed_ip_fragment(s.engine, &pkt, 1, 17, 13, TRUE, junk, sizeof junk));
  g_assert_null(ipsecdiag_engine_feed_ip_fragment(s.engine, &pkt, 1, 17, 70000, TRUE, junk, sizeof junk));
  /* a first fragment too short for UDP + IKE headers, and an empty one: tracked, not IKE */
  g_assert_null(ipsecdiag_engine_feed_ip_fragment(s.engine, &pkt, 2, 17, 0, TRUE, junk, sizeof junk));
  g_assert_null(ipsecdiag_engine_feed_ip_fragment(s.engine, &pkt, 3, 17, 0, TRUE, NULL, 0));
  /* the table is bounded: one note when full */
  for (guint n = 0; n < 4200; n++) {
    pkt.frame = ++s.frame;
    ipsecdiag_engine_feed_ip_fragment(s.engine, &pkt, (guint16)(100 + n), 50, 8, TRUE, junk, sizeof junk);
  }
  const GPtrArray *global = ipsecdiag_engine_global_findings(s.engine);
  guint notes = 0;
  for (guint i = 0; i < global->len; i++)
    if (strcmp(((const ipsecdiag_finding_t *)g_ptr_array_index(global, i))->rule_id, "ip_fragment_cap_reached") == 0)
      notes++;
  g_assert_cmpuint(notes, ==, 1);
  ipsecdiag_engine_finalize(s.engine);
  sc_finish(&s);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  catalog = ipsecdiag_rules_new();
  GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
  ipsecdiag_rules_load_dir(catalog, IPSECDIAG_SOURCE_DIR "/rules", TRUE, FALSE, errors);
  g_assert_cmpuint(errors->len, ==, 0);

  g_test_add_func("/lifecycle/ikev2/rekeys", test_v2_rekeys);
  g_test_add_func("/lifecycle/ikev2/few-rekeys", test_v2_few_rekeys_no_lifetime_claim);
  g_test_add_func("/lifecycle/ikev2/rekey-collision", test_v2_rekey_collision);
  g_test_add_func("/lifecycle/ikev1/quick-mode-rekeys-and-delete", test_v1_quick_mode_rekeys_and_delete);
  g_test_add_func("/lifecycle/ikev1/phase1-renewal", test_v1_phase1_renewal);
  g_test_add_func("/lifecycle/ikev1/rejection-is-no-delete", test_v1_rejection_is_no_delete);
  g_test_add_func("/lifecycle/ikev2/liveness-unanswered", test_v2_liveness_unanswered);
  g_test_add_func("/lifecycle/ikev2/liveness-answered", test_v2_liveness_answered);
  g_test_add_func("/lifecycle/ikev1/dpd", test_v1_dpd);
  g_test_add_func("/lifecycle/ikev2/flapping", test_v2_flapping);
  g_test_add_func("/lifecycle/decrypted-content", test_decrypted_content);
  g_test_add_func("/lifecycle/fragments/never-reassembled", test_fragments_never_reassembled);
  g_test_add_func("/lifecycle/fragments/reassembled-unanswered", test_fragmented_unanswered);
  g_test_add_func("/lifecycle/fragments/ike-fragmentation", test_ike_fragmentation_note);
  g_test_add_func("/lifecycle/fragments/bounds", test_fragment_bounds);
  g_test_add_func("/lifecycle/fragments/esp-complete", test_esp_fragmented_complete);
  g_test_add_func("/lifecycle/fragments/esp-missing", test_esp_fragments_missing);
  g_test_add_func("/lifecycle/fragments/ipv6-header", test_ipv6_fragment_header);
  g_test_add_func("/lifecycle/fragments/ipv6-never-reassembled", test_ipv6_fragments_never_reassembled);
  g_test_add_func("/lifecycle/fragments/ikev1-fragmentation", test_ikev1_fragmentation_note);
  g_test_add_func("/lifecycle/fragments/ikev1-fragmentation-unannounced", test_ikev1_fragmentation_unannounced);
  int rc = g_test_run();
  g_ptr_array_free(errors, TRUE);
  ipsecdiag_rules_free(catalog);
  return rc;
}
