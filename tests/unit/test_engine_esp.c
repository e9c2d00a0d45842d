/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag: unit tests of ESP health (engine_esp_health.c): the per-SPI
 * sequence window (loss with a rate, reordering, duplicates, restarts, late
 * packets, extended sequence number wrap), missing and one-way ESP read
 * against the capture side, stale SPIs after a new IKE SA or a registered
 * Delete, SPIs no registered Child SA negotiated, native ESP despite NAT-T,
 * UDP encapsulation without NAT, NAT keepalives seen or missing, the
 * per-SPI and per-tunnel queries of include/ipsecdiag/esp.h, and the bounds.
 *
 * Every finding is checked against the rules catalog (rules/ *.rules): its
 * rule id must exist and every {placeholder} of its summary must be one of
 * its parameters.
 */
#include <arpa/inet.h>
#include <gcrypt.h>
#include <glib.h>
#include <string.h>
#include <sys/socket.h>

#include "ipsecdiag/engine.h"
#include "ipsecdiag/esp.h"
#include "ipsecdiag/ike_parse.h"
#include "ipsecdiag/rules.h"

static ipsecdiag_rules_t *catalog;

/* ---------- IKEv2 messages (only what the tracking reads) ---------- */

static void put8(GByteArray *b, guint v)
{
  guint8 x = (guint8)v;
  g_byte_array_append(b, &x, 1);
}

static void put16(GByteArray *b, guint v)
{
  put8(b, v >> 8);
  put8(b, v);
}

static void put32(GByteArray *b, guint32 v)
{
  put16(b, v >> 16);
  put16(b, v & 0xffff);
}

static void patch16(GByteArray *b, gsize at, guint v)
{
  b->data[at] = (guint8)(v >> 8);
  b->data[at + 1] = (guint8)v;
}

static ipsecdiag_endpoint_t ep(const char *addr, guint16 port)
{
  ipsecdiag_endpoint_t e;
  memset(&e, 0, sizeof e);
  e.addr.family = 4;
  g_assert_cmpint(inet_pton(AF_INET, addr, e.addr.bytes), ==, 1);
  e.port = port;
  return e;
}

typedef struct {
  guint8 spi_i[IKE_SPI_LEN], spi_r[IKE_SPI_LEN];
  ipsecdiag_endpoint_t i, r, i4500, r4500;   /* as captured */
  ipsecdiag_endpoint_t i_natd_src;           /* what the initiator hashes as its own address */
  ipsecdiag_endpoint_t i_seen_by_r;          /* the initiator's address as the responder sees (and hashes) it */
  ipsecdiag_endpoint_t r_natd_src;           /* what the responder hashes as its own address */
  guint8 ttl_i, ttl_r;
} peers_t;

/* No NAT, capture next to the initiator (its packets keep TTL 64). */
static peers_t peers_new(guint8 tag)
{
  peers_t p;
  memset(&p, 0, sizeof p);
  memset(p.spi_i, tag, IKE_SPI_LEN);
  memset(p.spi_r, tag + 1, IKE_SPI_LEN);
  p.i = ep("192.0.2.10", 500);
  p.r = ep("198.51.100.20", 500);
  p.i4500 = ep("192.0.2.10", 4500);
  p.r4500 = ep("198.51.100.20", 4500);
  p.i_natd_src = p.i;
  p.i_seen_by_r = p.i;
  p.r_natd_src = p.r;
  p.ttl_i = 64;
  p.ttl_r = 57;
  return p;
}

/* The initiator behind a NAT: it hashes its private address (the capture sees the NAT's). */
static void peers_nat_initiator(peers_t *p)
{
  p->i_natd_src = ep("10.0.0.5", 500);
  p->ttl_i = 63;
}

/* The initiator fakes its NAT-D source hash to force UDP encapsulation (the
 * lab's kernel-libipsec, strongSwan encap=yes); captured at the initiator. */
static void peers_forced_encap(peers_t *p)
{
  p->i_natd_src = ep("192.0.2.99", 500);
}

typedef struct {
  GByteArray *b;
  gsize last;
} msg_t;

static msg_t msg_begin(const peers_t *p, gboolean with_spi_r, guint8 exchange, guint8 flags, guint32 message_id)
{
  msg_t m = {g_byte_array_new(), 0};
  static const guint8 zero[IKE_SPI_LEN];
  g_byte_array_append(m.b, p->spi_i, IKE_SPI_LEN);
  g_byte_array_append(m.b, with_spi_r ? p->spi_r : zero, IKE_SPI_LEN);
  put8(m.b, 0);
  put8(m.b, 0x20);
  put8(m.b, exchange);
  put8(m.b, flags);
  put32(m.b, message_id);
  put32(m.b, 0);
  return m;
}

static gsize payload_begin(msg_t *m, guint8 type)
{
  m->b->data[m->last ? m->last : 16] = type;
  m->last = m->b->len;
  put32(m->b, 0);
  return m->last;
}

static void payload_end(msg_t *m, gsize at)
{
  patch16(m->b, at + 2, (guint)(m->b->len - at));
}

static void add_natd(msg_t *m, guint16 type, const ipsecdiag_endpoint_t *e)
{
  guint8 input[2 * IKE_SPI_LEN + 4 + 2], hash[20];
  memcpy(input, m->b->data, 2 * IKE_SPI_LEN);
  memcpy(input + 2 * IKE_SPI_LEN, e->addr.bytes, 4);
  input[2 * IKE_SPI_LEN + 4] = (guint8)(e->port >> 8);
  input[2 * IKE_SPI_LEN + 5] = (guint8)e->port;
  gcry_md_hash_buffer(GCRY_MD_SHA1, hash, input, sizeof input);
  gsize at = payload_begin(m, IKEV2_PL_NOTIFY);
  put8(m->b, 0);
  put8(m->b, 0);
  put16(m->b, type);
  g_byte_array_append(m->b, hash, sizeof hash);
  payload_end(m, at);
}

static GByteArray *msg_end(msg_t *m)
{
  guint32 len = m->b->len;
  m->b->data[24] = (guint8)(len >> 24);
  m->b->data[25] = (guint8)(len >> 16);
  m->b->data[26] = (guint8)(len >> 8);
  m->b->data[27] = (guint8)len;
  return m->b;
}

static GByteArray *ike_sa_init(const peers_t *p, gboolean response)
{
  msg_t m = msg_begin(p, response, IKEV2_EXCH_IKE_SA_INIT,
                      response ? IKEV2_FLAG_RESPONSE : IKEV2_FLAG_INITIATOR, 0);
  gsize at = payload_begin(&m, IKEV2_PL_NONCE);
  for (int n = 0; n < 32; n++)
    put8(m.b, response ? 0x44 : 0x33);
  payload_end(&m, at);
  add_natd(&m, IKEV2_N_NAT_DETECTION_SOURCE_IP, response ? &p->r_natd_src : &p->i_natd_src);
  add_natd(&m, IKEV2_N_NAT_DETECTION_DESTINATION_IP, response ? &p->i_seen_by_r : &p->r);
  return msg_end(&m);
}

/* An encrypted message: same size both ways, so no failure is inferred. */
static GByteArray *sk(const peers_t *p, guint8 exchange, gboolean from_i, gboolean response, guint32 id, guint8 fill)
{
  msg_t m = msg_begin(p, TRUE, exchange, (from_i ? IKEV2_FLAG_INITIATOR : 0) | (response ? IKEV2_FLAG_RESPONSE : 0),
                      id);
  gsize at = payload_begin(&m, IKEV2_PL_SK);
  m.b->data[at] = exchange == IKEV2_EXCH_IKE_AUTH ? IKEV2_PL_IDI : IKEV2_PL_SA;
  for (int n = 0; n < 200; n++)
    put8(m.b, fill);
  payload_end(&m, at);
  return msg_end(&m);
}

/* ---------- a scenario ---------- */

typedef struct {
  ipsecdiag_engine_t *engine;
  guint32 frame;
} sc_t;

static sc_t sc_new(void)
{
  sc_t s = {ipsecdiag_engine_new(), 0};
  return s;
}

static ipsecdiag_packet_t packet(sc_t *s, double time, const ipsecdiag_endpoint_t *src,
                                 const ipsecdiag_endpoint_t *dst, guint8 ttl)
{
  ipsecdiag_packet_t pkt;
  memset(&pkt, 0, sizeof pkt);
  pkt.frame = ++s->frame;
  pkt.time = time;
  pkt.src = *src;
  pkt.dst = *dst;
  pkt.ttl = ttl;
  pkt.non_esp_marker = src->port == 4500 || dst->port == 4500;
  return pkt;
}

static const ipsecdiag_frame_t *send_ike(sc_t *s, double time, const peers_t *p, gboolean from_i, gboolean natt,
                                         GByteArray *m)
{
  const ipsecdiag_endpoint_t *src = from_i ? (natt ? &p->i4500 : &p->i) : (natt ? &p->r4500 : &p->r);
  const ipsecdiag_endpoint_t *dst = from_i ? (natt ? &p->r4500 : &p->r) : (natt ? &p->i4500 : &p->i);
  ipsecdiag_packet_t pkt = packet(s, time, src, dst, from_i ? p->ttl_i : p->ttl_r);
  const ipsecdiag_frame_t *frame = ipsecdiag_engine_feed_ike(s->engine, &pkt, m->data, m->len);
  g_byte_array_unref(m);
  g_assert_nonnull(frame);
  return frame;
}

/* IKE_SA_INIT on 500, IKE_AUTH on 4500: IKE SA and first Child SA up at t0 + 0.3. */
static guint32 tunnel_up(sc_t *s, double t0, const peers_t *p)
{
  send_ike(s, t0, p, TRUE, FALSE, ike_sa_init(p, FALSE));
  send_ike(s, t0 + 0.1, p, FALSE, FALSE, ike_sa_init(p, TRUE));
  send_ike(s, t0 + 0.2, p, TRUE, TRUE, sk(p, IKEV2_EXCH_IKE_AUTH, TRUE, FALSE, 1, 0xa1));
  return send_ike(s, t0 + 0.3, p, FALSE, TRUE, sk(p, IKEV2_EXCH_IKE_AUTH, FALSE, TRUE, 1, 0xa2))->frame;
}

static const ipsecdiag_frame_t *esp(sc_t *s, double time, const ipsecdiag_endpoint_t *src,
                                    const ipsecdiag_endpoint_t *dst, guint32 spi, guint32 sequence)
{
  ipsecdiag_packet_t pkt = packet(s, time, src, dst, 64);
  pkt.non_esp_marker = FALSE;
  const ipsecdiag_frame_t *frame = ipsecdiag_engine_feed_esp(s->engine, &pkt, spi, sequence, 120);
  /* A record only for a frame that carries a finding: no memory per packet. */
  g_assert_true(frame == ipsecdiag_engine_frame(s->engine, pkt.frame));
  if (frame) {
    g_assert_cmpuint(frame->kind, ==, IPSECDIAG_FRAME_ESP);
    g_assert_cmpuint(frame->esp_spi, ==, spi);
    g_assert_true(frame->findings && frame->findings->len);
  }
  return frame;
}

/* ESP without IKE: between two fixed hosts, UDP 4500. */
static const ipsecdiag_endpoint_t *host_a(void)
{
  static ipsecdiag_endpoint_t a;
  a = ep("203.0.113.1", 4500);
  return &a;
}

static const ipsecdiag_endpoint_t *host_b(void)
{
  static ipsecdiag_endpoint_t b;
  b = ep("203.0.113.2", 4500);
  return &b;
}

static void check_finding(const ipsecdiag_finding_t *f)
{
  const ipsecdiag_rule_t *rule = ipsecdiag_rules_lookup(catalog, f->rule_id);
  if (!rule)
    g_test_message("rule id %s is not in rules/*.rules", f->rule_id);
  g_assert_nonnull(rule);
  char *text = ipsecdiag_rule_render(rule->summary, (const char *const *)f->keys,
                                     (const char *const *)f->values, f->n_params);
  if (strchr(text, '{'))
    g_test_message("%s: summary placeholder without a parameter: %s", f->rule_id, text);
  g_assert_null(strchr(text, '{'));
  g_free(text);
}

/* Count (and check) the findings of a rule on every stored frame and in the globals. */
static guint count_rule(const sc_t *s, const char *rule)
{
  guint n = 0;
  for (guint32 i = 1; i <= s->frame; i++) {
    const ipsecdiag_frame_t *frame = ipsecdiag_engine_frame(s->engine, i);
    for (guint j = 0; frame && frame->findings && j < frame->findings->len; j++) {
      const ipsecdiag_finding_t *f = g_ptr_array_index(frame->findings, j);
      check_finding(f);
      g_assert_cmpuint(f->frame, ==, i);
      if (strcmp(f->rule_id, rule) == 0)
        n++;
    }
  }
  const GPtrArray *global = ipsecdiag_engine_global_findings(s->engine);
  for (guint j = 0; j < global->len; j++) {
    const ipsecdiag_finding_t *f = g_ptr_array_index(global, j);
    check_finding(f);
    if (strcmp(f->rule_id, rule) == 0)
      n++;
  }
  return n;
}

/* The only finding of a rule, after finalize. */
static const ipsecdiag_finding_t *the_finding(const sc_t *s, const char *rule)
{
  const ipsecdiag_finding_t *found = NULL;
  for (guint32 i = 1; i <= s->frame; i++) {
    const ipsecdiag_frame_t *frame = ipsecdiag_engine_frame(s->engine, i);
    for (guint j = 0; frame && frame->findings && j < frame->findings->len; j++) {
      const ipsecdiag_finding_t *f = g_ptr_array_index(frame->findings, j);
      if (strcmp(f->rule_id, rule) == 0) {
        g_assert_null(found);
        found = f;
      }
    }
  }
  if (!found)
    g_test_message("no %s finding", rule);
  g_assert_nonnull(found);
  check_finding(found);
  return found;
}

/* Rules of this file's scope (rules/esp.rules) among all findings. */
static guint esp_findings(const sc_t *s)
{
  static const char *const rules[] = {
    "esp_missing", "esp_one_way", "esp_stale_spi", "esp_spi_not_negotiated", "esp_loss", "esp_loss_minor",
    "esp_duplicates", "esp_sequence_restart", "esp_native_despite_nat", "esp_udp_without_nat",
    "nat_keepalive_missing", "nat_keepalives_seen", "child_sa_cap_reached",
  };
  guint n = 0;
  for (guint i = 0; i < G_N_ELEMENTS(rules); i++)
    n += count_rule(s, rules[i]);
  return n;
}

#define assert_param(finding, key, value) \
  g_assert_cmpstr(ipsecdiag_finding_param((finding), (key)), ==, (value))

static void sc_finish(sc_t *s)
{
  /* What the tunnels table would show before finalize is valid too. */
  GPtrArray *out = g_ptr_array_new_with_free_func(ipsecdiag_finding_free);
  for (guint32 id = 1; id <= ipsecdiag_engine_tunnel_count(s->engine); id++)
    ipsecdiag_engine_evaluate_tunnel(s->engine, id, out);
  for (guint i = 0; i < ipsecdiag_engine_esp_sa_count(s->engine); i++)
    ipsecdiag_engine_evaluate_esp_sa(s->engine, i, out);
  for (guint i = 0; i < out->len; i++)
    check_finding(g_ptr_array_index(out, i));
  g_ptr_array_free(out, TRUE);
  ipsecdiag_engine_free(s->engine);
  s->engine = NULL;
}

static ipsecdiag_esp_sa_info_t sa_info(const sc_t *s, guint index)
{
  ipsecdiag_esp_sa_info_t info;
  g_assert_true(ipsecdiag_engine_esp_sa_info(s->engine, index, &info));
  return info;
}

/* ---------- sequence analysis ---------- */

static void test_loss_rate(void)
{
  sc_t s = sc_new();
  guint32 first_gap = 0;
  /* 1..100 with 10 numbers missing in 3 gaps: 20..24, 50..53, 90. */
  for (guint32 n = 1; n <= 100; n++) {
    if ((n >= 20 && n <= 24) || (n >= 50 && n <= 53) || n == 90)
      continue;
    esp(&s, n * 0.01, host_a(), host_b(), 0x11111111, n);
    if (n == 25)
      first_gap = s.frame;
  }
  ipsecdiag_esp_sa_info_t info = sa_info(&s, 0);
  g_assert_cmpuint(info.packets, ==, 90);
  g_assert_cmpuint(info.expected, ==, 100);
  g_assert_cmpuint(info.lost, ==, 10);
  g_assert_cmpuint(info.gaps, ==, 3);
  g_assert_cmpuint(info.largest_gap, ==, 5);
  g_assert_cmpuint(info.first_gap_frame, ==, first_gap);
  g_assert_cmpuint(info.duplicates, ==, 0);
  g_assert_cmpuint(info.tunnel, ==, 0);
  g_assert_cmpuint(info.direction, ==, IPSECDIAG_ESP_DIR_UNKNOWN);
  g_assert_true(info.udp_encapsulated);
  g_assert_cmpstr(ipsecdiag_esp_encapsulation_name(&info), ==, "UDP 4500");
  g_assert_cmpuint(info.first_sequence, ==, 1);
  g_assert_cmpuint(info.last_sequence, ==, 100);
  g_assert_cmpuint(info.bytes, ==, 90 * 120);

  ipsecdiag_engine_finalize(s.engine);
  const ipsecdiag_finding_t *f = the_finding(&s, "esp_loss");
  g_assert_cmpuint(f->frame, ==, first_gap);
  g_assert_true(f->final);
  assert_param(f, "spi", "0x11111111");
  assert_param(f, "lost", "10");
  assert_param(f, "expected", "100");
  assert_param(f, "rate", "10.0");
  assert_param(f, "gaps", "3");
  assert_param(f, "largest_gap", "5");
  assert_param(f, "sender", "203.0.113.1");
  assert_param(f, "receiver", "203.0.113.2");
  /* The frame got a record for the finding; its neighbours did not. */
  const ipsecdiag_frame_t *frame = ipsecdiag_engine_frame(s.engine, first_gap);
  g_assert_cmpuint(frame->kind, ==, IPSECDIAG_FRAME_ESP);
  g_assert_cmpuint(frame->esp_spi, ==, 0x11111111);
  g_assert_null(ipsecdiag_engine_frame(s.engine, first_gap + 1));
  g_assert_cmpuint(esp_findings(&s), ==, 1);
  sc_finish(&s);
}

static void test_loss_minor(void)
{
  sc_t s = sc_new();
  for (guint32 n = 1; n <= 1000; n++)
    if (n != 500)
      esp(&s, n * 0.01, host_a(), host_b(), 0x22222222, n);
  ipsecdiag_engine_finalize(s.engine);
  const ipsecdiag_finding_t *f = the_finding(&s, "esp_loss_minor");
  assert_param(f, "lost", "1");
  assert_param(f, "rate", "0.1");
  g_assert_cmpuint(count_rule(&s, "esp_loss"), ==, 0);
  sc_finish(&s);
}

static void test_reordering_is_not_loss(void)
{
  sc_t s = sc_new();
  static const guint32 order[] = {1, 2, 4, 3, 5, 8, 6, 7, 9, 10};
  for (guint i = 0; i < G_N_ELEMENTS(order); i++)
    esp(&s, i * 0.01, host_a(), host_b(), 0x33333333, order[i]);
  ipsecdiag_esp_sa_info_t info = sa_info(&s, 0);
  g_assert_cmpuint(info.lost, ==, 0);
  g_assert_cmpuint(info.reordered, ==, 3);
  g_assert_cmpuint(info.gaps, ==, 2);     /* tentative at the time, filled later */
  ipsecdiag_engine_finalize(s.engine);
  g_assert_cmpuint(esp_findings(&s), ==, 0);
  sc_finish(&s);
}

static void test_duplicates(void)
{
  sc_t s = sc_new();
  static const guint32 order[] = {1, 2, 3, 3, 4, 2, 5};
  guint32 first_dup = 0;
  for (guint i = 0; i < G_N_ELEMENTS(order); i++) {
    esp(&s, i * 0.01, host_a(), host_b(), 0x44444444, order[i]);
    if (i == 3)
      first_dup = s.frame;
  }
  ipsecdiag_esp_sa_info_t info = sa_info(&s, 0);
  g_assert_cmpuint(info.duplicates, ==, 2);
  g_assert_cmpuint(info.lost, ==, 0);
  g_assert_cmpuint(info.first_duplicate_frame, ==, first_dup);
  ipsecdiag_engine_finalize(s.engine);
  const ipsecdiag_finding_t *f = the_finding(&s, "esp_duplicates");
  g_assert_cmpuint(f->frame, ==, first_dup);
  assert_param(f, "duplicates", "2");
  g_assert_cmpuint(esp_findings(&s), ==, 1);
  sc_finish(&s);
}

static void test_restart(void)
{
  sc_t s = sc_new();
  for (guint32 n = 1; n <= 2000; n++)
    esp(&s, n * 0.001, host_a(), host_b(), 0x55555555, n);
  /* Immediate: the frame that goes back carries the finding on the first pass. */
  const ipsecdiag_frame_t *frame = esp(&s, 3.0, host_a(), host_b(), 0x55555555, 1);
  g_assert_nonnull(frame);
  g_assert_cmpuint(frame->findings->len, ==, 1);
  const ipsecdiag_finding_t *f = g_ptr_array_index(frame->findings, 0);
  g_assert_cmpstr(f->rule_id, ==, "esp_sequence_restart");
  g_assert_false(f->final);
  assert_param(f, "from", "2000");
  assert_param(f, "to", "1");
  for (guint32 n = 2; n <= 100; n++)
    esp(&s, 3.0 + n * 0.001, host_a(), host_b(), 0x55555555, n);
  ipsecdiag_esp_sa_info_t info = sa_info(&s, 0);
  g_assert_cmpuint(info.restarts, ==, 1);
  g_assert_cmpuint(info.first_restart_frame, ==, frame->frame);
  g_assert_cmpuint(info.expected, ==, 2100);
  g_assert_cmpuint(info.lost, ==, 0);
  g_assert_cmpuint(info.duplicates, ==, 0);  /* the restarted numbers are not replays */
  ipsecdiag_engine_finalize(s.engine);
  g_assert_cmpuint(count_rule(&s, "esp_sequence_restart"), ==, 1);
  g_assert_cmpuint(esp_findings(&s), ==, 1);
  /* The per-SPI table's view: the immediate finding again, by index. */
  g_assert_cmpint(ipsecdiag_engine_esp_sa_index(s.engine, 0x55555555, &host_b()->addr), ==, 0);
  g_assert_cmpint(ipsecdiag_engine_esp_sa_index(s.engine, 0x55555555, &host_a()->addr), ==, -1);
  GPtrArray *out = g_ptr_array_new_with_free_func(ipsecdiag_finding_free);
  ipsecdiag_engine_evaluate_esp_sa(s.engine, 0, out);
  g_assert_cmpuint(out->len, ==, 1);
  f = g_ptr_array_index(out, 0);
  g_assert_cmpstr(f->rule_id, ==, "esp_sequence_restart");
  g_assert_cmpuint(f->frame, ==, info.first_restart_frame);
  assert_param(f, "from", "2000");
  assert_param(f, "to", "1");
  g_ptr_array_free(out, TRUE);
  sc_finish(&s);
}

static void test_late_beyond_window(void)
{
  sc_t s = sc_new();
  guint32 total = 3 * IPSECDIAG_ESP_SEQ_WINDOW;
  for (guint32 n = 1; n <= total; n++)
    if (n < 100 || n > 104)
      esp(&s, n * 0.001, host_a(), host_b(), 0x66666666, n);
  /* 100..104 arrive after the window moved on: late, not lost, not a restart. */
  for (guint32 n = 100; n <= 104; n++)
    g_assert_null(esp(&s, 5.0, host_a(), host_b(), 0x66666666, n));
  ipsecdiag_esp_sa_info_t info = sa_info(&s, 0);
  g_assert_cmpuint(info.late, ==, 5);
  g_assert_cmpuint(info.lost, ==, 0);
  g_assert_cmpuint(info.restarts, ==, 0);
  ipsecdiag_engine_finalize(s.engine);
  g_assert_cmpuint(esp_findings(&s), ==, 0);
  sc_finish(&s);
}

/* In-order runs keep the window implicit; the first other packet writes it
 * out. Its edges must match what the bitmap would have held all along. */
static void test_window_after_in_order_run(void)
{
  sc_t s = sc_new();
  guint32 w = IPSECDIAG_ESP_SEQ_WINDOW;
  for (guint32 n = 1; n <= 2 * w; n++)
    esp(&s, n * 0.001, host_a(), host_b(), 0x12121212, n);
  esp(&s, 2.0, host_a(), host_b(), 0x12121212, w + 1);       /* the window's oldest number: seen */
  esp(&s, 2.0, host_a(), host_b(), 0x12121212, w);           /* just beyond it: late */
  esp(&s, 2.0, host_a(), host_b(), 0x12121212, 2 * w + 2);   /* 2w + 1 skipped */
  esp(&s, 2.0, host_a(), host_b(), 0x12121212, 2 * w + 1);   /* fills it */
  esp(&s, 2.0, host_a(), host_b(), 0x12121212, 2 * w + 1);   /* again: a replay */
  ipsecdiag_esp_sa_info_t info = sa_info(&s, 0);
  g_assert_cmpuint(info.duplicates, ==, 2);
  g_assert_cmpuint(info.late, ==, 1);
  g_assert_cmpuint(info.reordered, ==, 1);
  g_assert_cmpuint(info.gaps, ==, 1);
  g_assert_cmpuint(info.expected, ==, 2 * w + 2);

  /* A short run that started at 100: 99 is inside the window, unseen. */
  for (guint32 n = 100; n <= 150; n++)
    esp(&s, 3.0, host_a(), host_b(), 0x34343434, n);
  esp(&s, 3.1, host_a(), host_b(), 0x34343434, 99);
  esp(&s, 3.1, host_a(), host_b(), 0x34343434, 99);
  esp(&s, 3.1, host_a(), host_b(), 0x34343434, 120);
  esp(&s, 3.1, host_a(), host_b(), 0x34343434, 151);
  esp(&s, 3.1, host_a(), host_b(), 0x34343434, 151);
  info = sa_info(&s, 1);
  g_assert_cmpuint(info.reordered, ==, 1);
  g_assert_cmpuint(info.duplicates, ==, 3);
  g_assert_cmpuint(info.gaps, ==, 0);
  g_assert_cmpuint(info.expected, ==, 53);
  g_assert_cmpuint(info.lost, ==, 0);

  /* A restart makes the new run's window implicit again. */
  for (guint32 n = 1; n <= 10; n++)
    esp(&s, 4.0, host_a(), host_b(), 0x12121212, n);
  esp(&s, 4.1, host_a(), host_b(), 0x12121212, 5);
  info = sa_info(&s, 0);
  g_assert_cmpuint(info.restarts, ==, 1);
  g_assert_cmpuint(info.duplicates, ==, 3);
  g_assert_cmpuint(info.expected, ==, 2 * w + 2 + 10);
  sc_finish(&s);
}

static void test_esn_wrap(void)
{
  sc_t s = sc_new();
  for (guint32 n = 0xfffffff0u; n != 0; n++)
    esp(&s, 0.0, host_a(), host_b(), 0x77777777, n);
  /* Extended sequence numbers: the low 32 bits wrap (0 itself cannot be told from "no number"). */
  for (guint32 n = 1; n <= 16; n++)
    g_assert_null(esp(&s, 1.0, host_a(), host_b(), 0x77777777, n));
  ipsecdiag_esp_sa_info_t info = sa_info(&s, 0);
  g_assert_cmpuint(info.restarts, ==, 0);
  g_assert_cmpuint(info.late, ==, 0);
  g_assert_cmpuint(info.expected, ==, 33);
  g_assert_cmpuint(info.lost, ==, 1);
  sc_finish(&s);
}

static void test_huge_jump_bounded(void)
{
  sc_t s = sc_new();
  esp(&s, 0.0, host_a(), host_b(), 0x88888888, 1);
  esp(&s, 0.1, host_a(), host_b(), 0x88888888, 3000000000u);
  esp(&s, 0.2, host_a(), host_b(), 0x88888888, 3000000001u);
  ipsecdiag_esp_sa_info_t info = sa_info(&s, 0);
  g_assert_cmpuint(info.lost, ==, 3000000000u - 2);
  g_assert_cmpuint(info.largest_gap, ==, 3000000000u - 2);
  /* Random sequence numbers (encrypted garbage, fuzzing): counted, no crash, bounded. */
  GRand *rand = g_rand_new_with_seed(7);
  for (guint i = 0; i < 20000; i++)
    esp(&s, 1.0, host_a(), host_b(), 0x99999999, g_rand_int(rand));
  g_rand_free(rand);
  ipsecdiag_engine_finalize(s.engine);
  esp_findings(&s);
  sc_finish(&s);
}

/* ---------- tunnels: missing, one-way, healthy ---------- */

static void test_healthy_both_ways(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x10);
  peers_forced_encap(&p);
  tunnel_up(&s, 0.0, &p);
  for (guint32 n = 1; n <= 5; n++) {
    esp(&s, 1.0 + n, &p.i4500, &p.r4500, 0xc0000001, n);
    esp(&s, 1.1 + n, &p.r4500, &p.i4500, 0xc0000002, n);
  }
  ipsecdiag_engine_finalize(s.engine);
  g_assert_cmpuint(esp_findings(&s), ==, 0);
  ipsecdiag_esp_tunnel_totals_t totals;
  ipsecdiag_engine_esp_tunnel_totals(s.engine, 1, &totals);
  g_assert_cmpuint(totals.packets[0], ==, 5);
  g_assert_cmpuint(totals.packets[1], ==, 5);
  g_assert_cmpuint(totals.bytes[0], ==, 600);
  g_assert_cmpuint(totals.lost[0] + totals.lost[1], ==, 0);
  g_assert_cmpuint(totals.spis[0], ==, 1);
  g_assert_cmpuint(totals.spis[1], ==, 1);
  ipsecdiag_esp_sa_info_t info = sa_info(&s, 1);
  g_assert_cmpuint(info.tunnel, ==, 1);
  g_assert_cmpuint(info.direction, ==, IPSECDIAG_ESP_DIR_R2I);
  g_assert_cmpstr(ipsecdiag_esp_direction_name(info.direction), ==, "responder to initiator");
  sc_finish(&s);
}

static void test_missing(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x20);
  guint32 up = tunnel_up(&s, 0.0, &p);
  /* Something else keeps the capture going for 10 s. */
  esp(&s, 10.3, host_a(), host_b(), 0x12345678, 1);
  ipsecdiag_engine_finalize(s.engine);
  const ipsecdiag_finding_t *f = the_finding(&s, "esp_missing");
  g_assert_cmpuint(f->frame, ==, up);
  g_assert_cmpuint(f->tunnel, ==, 1);
  assert_param(f, "observed", "10.0");
  assert_param(f, "side", "initiator side");
  assert_param(f, "encapsulation_hint", "UDP 4500 (ESP in UDP)");
  g_assert_cmpuint(esp_findings(&s), ==, 1);
  sc_finish(&s);

  /* Capture ends one second after the Child SA: too early to say. */
  s = sc_new();
  tunnel_up(&s, 0.0, &p);
  esp(&s, 1.3, host_a(), host_b(), 0x12345678, 1);
  ipsecdiag_engine_finalize(s.engine);
  g_assert_cmpuint(esp_findings(&s), ==, 0);
  sc_finish(&s);
}

static void test_missing_not_when_child_rejected(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x28);
  send_ike(&s, 0.0, &p, TRUE, FALSE, ike_sa_init(&p, FALSE));
  send_ike(&s, 0.1, &p, FALSE, FALSE, ike_sa_init(&p, TRUE));
  send_ike(&s, 0.2, &p, TRUE, TRUE, sk(&p, IKEV2_EXCH_IKE_AUTH, TRUE, FALSE, 1, 0xa1));
  /* A response that holds no more than a notify: authentication refused, no Child SA. */
  msg_t m = msg_begin(&p, TRUE, IKEV2_EXCH_IKE_AUTH, IKEV2_FLAG_RESPONSE, 1);
  gsize at = payload_begin(&m, IKEV2_PL_SK);
  m.b->data[at] = IKEV2_PL_NOTIFY;
  for (int n = 0; n < 60; n++)
    put8(m.b, 0xee);
  payload_end(&m, at);
  send_ike(&s, 0.3, &p, FALSE, TRUE, msg_end(&m));
  esp(&s, 20.0, host_a(), host_b(), 0x12345678, 1);
  ipsecdiag_engine_finalize(s.engine);
  g_assert_cmpuint(count_rule(&s, "esp_missing"), ==, 0);
  sc_finish(&s);
}

static void test_missing_ikev1_quick_mode(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x2c);
  /* Quick Mode of an IKEv1 SA that began before the capture: QI1, QR1, QI2. */
  for (int n = 0; n < 3; n++) {
    msg_t m = {g_byte_array_new(), 0};
    g_byte_array_append(m.b, p.spi_i, IKE_SPI_LEN);
    g_byte_array_append(m.b, p.spi_r, IKE_SPI_LEN);
    put8(m.b, IKEV1_PL_HASH);
    put8(m.b, 0x10);
    put8(m.b, IKEV1_EXCH_QUICK);
    put8(m.b, IKEV1_FLAG_ENCRYPTION);
    put32(m.b, 0x01020304);
    put32(m.b, 0);
    for (int k = 0; k < 140; k++)
      put8(m.b, (guint)(0x50 + n));
    send_ike(&s, n * 0.1, &p, n != 1, TRUE, msg_end(&m));
  }
  esp(&s, 30.0, host_a(), host_b(), 0x12345678, 1);
  ipsecdiag_engine_finalize(s.engine);
  const ipsecdiag_finding_t *f = the_finding(&s, "esp_missing");
  g_assert_cmpuint(f->frame, ==, 3);
  g_assert_nonnull(strstr(ipsecdiag_finding_param(f, "message"), "QI2"));
  sc_finish(&s);
}

static void test_one_way_at_initiator(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x30);
  peers_forced_encap(&p);
  tunnel_up(&s, 0.0, &p);
  guint32 first = 0;
  for (guint32 n = 1; n <= 6; n++) {
    esp(&s, 1.0 + n * 0.5, &p.i4500, &p.r4500, 0xc0000011, n);
    if (n == 1)
      first = s.frame;
  }
  ipsecdiag_engine_finalize(s.engine);
  const ipsecdiag_finding_t *f = the_finding(&s, "esp_one_way");
  g_assert_cmpuint(f->frame, ==, first);
  assert_param(f, "present", "initiator to responder");
  assert_param(f, "missing", "responder to initiator");
  assert_param(f, "count", "6");
  assert_param(f, "sender", "192.0.2.10");
  assert_param(f, "peer", "198.51.100.20");
  assert_param(f, "side", "initiator side");
  /* The capture sits at the receiver of the missing direction. */
  g_assert_nonnull(strstr(ipsecdiag_finding_param(f, "reading"), "does not arrive here"));
  const ipsecdiag_frame_t *frame = ipsecdiag_engine_frame(s.engine, first);
  g_assert_cmpuint(frame->esp_spi, ==, 0xc0000011);
  g_assert_cmpuint(frame->tunnel, ==, 1);
  g_assert_cmpuint(esp_findings(&s), ==, 1);
  sc_finish(&s);
}

static void test_one_way_sender_side(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x38);
  peers_forced_encap(&p);
  tunnel_up(&s, 0.0, &p);
  /* Only the responder's ESP, captured next to the initiator: the initiator sends none. */
  for (guint32 n = 1; n <= 4; n++)
    esp(&s, 1.0 + n, &p.r4500, &p.i4500, 0xc0000021, n);
  ipsecdiag_engine_finalize(s.engine);
  const ipsecdiag_finding_t *f = the_finding(&s, "esp_one_way");
  assert_param(f, "missing", "initiator to responder");
  assert_param(f, "peer", "192.0.2.10");
  g_assert_nonnull(strstr(ipsecdiag_finding_param(f, "reading"), "receives ESP but sends none"));
  sc_finish(&s);

  /* Two packets are not enough to call it one-way. */
  s = sc_new();
  tunnel_up(&s, 0.0, &p);
  esp(&s, 1.0, &p.r4500, &p.i4500, 0xc0000021, 1);
  esp(&s, 5.0, &p.r4500, &p.i4500, 0xc0000021, 2);
  ipsecdiag_engine_finalize(s.engine);
  g_assert_cmpuint(esp_findings(&s), ==, 0);
  sc_finish(&s);
}

/* ---------- NAT-T vs native ESP, keepalives ---------- */

static void test_native_despite_nat(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x40);
  peers_nat_initiator(&p);
  tunnel_up(&s, 0.0, &p);
  ipsecdiag_endpoint_t i = p.i, r = p.r;
  i.port = r.port = 0;
  const ipsecdiag_frame_t *frame = esp(&s, 1.0, &i, &r, 0xc0000031, 1);
  g_assert_nonnull(frame);
  const ipsecdiag_finding_t *f = g_ptr_array_index(frame->findings, 0);
  g_assert_cmpstr(f->rule_id, ==, "esp_native_despite_nat");
  assert_param(f, "encapsulation", "native (IP protocol 50)");
  g_assert_nonnull(strstr(ipsecdiag_finding_param(f, "nat"), "initiator"));
  /* Once per SA. */
  g_assert_null(esp(&s, 1.1, &i, &r, 0xc0000031, 2));
  g_assert_nonnull(esp(&s, 1.2, &r, &i, 0xc0000032, 1));
  ipsecdiag_engine_finalize(s.engine);
  g_assert_cmpuint(count_rule(&s, "esp_native_despite_nat"), ==, 2);
  g_assert_cmpuint(count_rule(&s, "esp_udp_without_nat"), ==, 0);
  sc_finish(&s);
}

/* Native ESP while the tunnel saw no NAT is fine; once a later NAT
 * detection of the same IKE SA shows one, the next native packet is noted. */
static void test_native_after_nat_detected_later(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x44);
  tunnel_up(&s, 0.0, &p);
  ipsecdiag_endpoint_t i = p.i, r = p.r;
  i.port = r.port = 0;
  for (guint32 n = 1; n <= 5; n++)
    g_assert_null(esp(&s, 1.0 + n * 0.1, &i, &r, 0xc0000035, n));
  /* The initiator starts over with the same SPI from behind a NAT (its hash now differs). */
  peers_nat_initiator(&p);
  send_ike(&s, 2.0, &p, TRUE, FALSE, ike_sa_init(&p, FALSE));
  g_assert_cmpint(ipsecdiag_engine_tunnel(s.engine, 1)->nat_initiator, ==, 1);
  const ipsecdiag_frame_t *frame = esp(&s, 2.5, &i, &r, 0xc0000035, 6);
  g_assert_nonnull(frame);
  g_assert_cmpstr(((const ipsecdiag_finding_t *)g_ptr_array_index(frame->findings, 0))->rule_id, ==,
                  "esp_native_despite_nat");
  g_assert_null(esp(&s, 2.6, &i, &r, 0xc0000035, 7));
  ipsecdiag_engine_finalize(s.engine);
  g_assert_cmpuint(count_rule(&s, "esp_native_despite_nat"), ==, 1);
  sc_finish(&s);
}

static void test_udp_without_nat(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x48);
  tunnel_up(&s, 0.0, &p);
  const ipsecdiag_frame_t *frame = esp(&s, 1.0, &p.i4500, &p.r4500, 0xc0000041, 1);
  g_assert_nonnull(frame);
  const ipsecdiag_finding_t *f = g_ptr_array_index(frame->findings, 0);
  g_assert_cmpstr(f->rule_id, ==, "esp_udp_without_nat");
  assert_param(f, "port", "4500");
  assert_param(f, "nat", "no NAT");
  /* Once per tunnel. */
  g_assert_null(esp(&s, 1.1, &p.r4500, &p.i4500, 0xc0000042, 1));
  g_assert_null(esp(&s, 1.2, &p.i4500, &p.r4500, 0xc0000041, 2));
  ipsecdiag_engine_finalize(s.engine);
  g_assert_cmpuint(esp_findings(&s), ==, 1);
  sc_finish(&s);
}

static const ipsecdiag_frame_t *keepalive(sc_t *s, double time, const peers_t *p)
{
  static const guint8 byte = 0xff;
  ipsecdiag_packet_t pkt = packet(s, time, &p->i4500, &p->r4500, p->ttl_i);
  return ipsecdiag_engine_feed_ike(s->engine, &pkt, &byte, 1);
}

static void test_keepalives(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x50);
  peers_nat_initiator(&p);
  tunnel_up(&s, 0.0, &p);
  esp(&s, 1.0, &p.i4500, &p.r4500, 0xc0000051, 1);
  esp(&s, 1.1, &p.r4500, &p.i4500, 0xc0000052, 1);
  guint32 first = keepalive(&s, 21.1, &p)->frame;
  keepalive(&s, 41.1, &p);
  keepalive(&s, 61.1, &p);
  ipsecdiag_engine_finalize(s.engine);
  const ipsecdiag_finding_t *f = the_finding(&s, "nat_keepalives_seen");
  g_assert_cmpuint(f->frame, ==, first);
  assert_param(f, "count", "3");
  assert_param(f, "interval", "20.0");
  assert_param(f, "sender", "192.0.2.10 (initiator)");
  g_assert_cmpuint(count_rule(&s, "nat_keepalive_missing"), ==, 0);
  sc_finish(&s);
}

static void test_keepalive_missing(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x58);
  peers_nat_initiator(&p);
  tunnel_up(&s, 0.0, &p);
  esp(&s, 1.0, &p.i4500, &p.r4500, 0xc0000061, 1);
  guint32 last_from_natted = s.frame;
  /* Only the peer outside the NAT sends for 90 s. */
  for (guint32 n = 1; n <= 9; n++)
    esp(&s, 1.0 + n * 10, &p.r4500, &p.i4500, 0xc0000062, n);
  ipsecdiag_engine_finalize(s.engine);
  const ipsecdiag_finding_t *f = the_finding(&s, "nat_keepalive_missing");
  g_assert_cmpuint(f->frame, ==, last_from_natted);
  assert_param(f, "natted", "192.0.2.10 (initiator)");
  assert_param(f, "silence", "90");
  assert_param(f, "spi", "0xc0000061");
  g_assert_cmpuint(ipsecdiag_engine_frame(s.engine, last_from_natted)->kind, ==, IPSECDIAG_FRAME_ESP);
  sc_finish(&s);

  /* No NAT proven (the lab's forced encapsulation): nothing to keep open. */
  s = sc_new();
  p = peers_new(0x5c);
  peers_forced_encap(&p);
  tunnel_up(&s, 0.0, &p);
  esp(&s, 1.0, &p.i4500, &p.r4500, 0xc0000061, 1);
  for (guint32 n = 1; n <= 9; n++)
    esp(&s, 1.0 + n * 10, &p.r4500, &p.i4500, 0xc0000062, n);
  ipsecdiag_engine_finalize(s.engine);
  g_assert_cmpuint(count_rule(&s, "nat_keepalive_missing"), ==, 0);
  sc_finish(&s);

  /* Forced encapsulation and a real NAT (the lab's NAT scenarios, captured at
   * the initiator): the responder's destination hash proves the NAT. */
  s = sc_new();
  p = peers_new(0x5e);
  peers_forced_encap(&p);
  p.i_seen_by_r = ep("203.0.113.1", 500);
  tunnel_up(&s, 0.0, &p);
  esp(&s, 1.0, &p.i4500, &p.r4500, 0xc0000061, 1);
  guint32 last_before_idle = s.frame;
  esp(&s, 1.1, &p.r4500, &p.i4500, 0xc0000062, 1);
  /* 45 s idle, then traffic again */
  esp(&s, 46.0, &p.i4500, &p.r4500, 0xc0000061, 2);
  esp(&s, 46.1, &p.r4500, &p.i4500, 0xc0000062, 2);
  ipsecdiag_engine_finalize(s.engine);
  f = the_finding(&s, "nat_keepalive_missing");
  g_assert_cmpuint(f->frame, ==, last_before_idle);
  assert_param(f, "natted", "192.0.2.10 (initiator)");
  assert_param(f, "silence", "45");
  g_assert_cmpuint(count_rule(&s, "nat_keepalive_missing"), ==, 1);
  sc_finish(&s);

  /* The responder's own source hash is wrong (forced encapsulation, or a
   * NAT with a static forwarding), captured at the initiator: not proof
   * enough for the responder, which is silent as long as the initiator. */
  s = sc_new();
  p = peers_new(0x5f);
  p.r_natd_src = ep("198.51.100.99", 500);
  tunnel_up(&s, 0.0, &p);
  g_assert_cmpint(ipsecdiag_engine_tunnel(s.engine, 1)->nat_responder, ==, 1);
  esp(&s, 1.0, &p.i4500, &p.r4500, 0xc0000061, 1);
  esp(&s, 1.1, &p.r4500, &p.i4500, 0xc0000062, 1);
  esp(&s, 60.0, &p.i4500, &p.r4500, 0xc0000061, 2);
  esp(&s, 60.1, &p.r4500, &p.i4500, 0xc0000062, 2);
  ipsecdiag_engine_finalize(s.engine);
  g_assert_cmpuint(count_rule(&s, "nat_keepalive_missing"), ==, 0);
  sc_finish(&s);
}

/* The natted side's longest silence against a plain model of it, over
 * random mixes of: ESP on UDP 4500 from three SAs of that side (an SA leaves
 * the side's record alone while it is the last sender), the same SAs'
 * native ESP (which is no sending on UDP 4500, but moves the SA's own
 * times), IKE on UDP 4500 and the other side's ESP. One gap is long. */
static void test_keepalive_silence_model(void)
{
  const ipsecdiag_endpoint_t i_native = ep("192.0.2.10", 0), r_native = ep("198.51.100.20", 0);
  for (guint32 seed = 1; seed <= 300; seed++) {
    GRand *rand = g_rand_new_with_seed(seed);
    sc_t s = sc_new();
    peers_t p = peers_new(0x70);
    peers_nat_initiator(&p);
    tunnel_up(&s, 0.0, &p);
    /* The model: the initiator's sends on UDP 4500 (IKE_AUTH at 0.2, frame 3). */
    double last_sent = 0.2, longest = 0;
    guint32 last_frame = 3, from_frame = 0;
    guint32 last_spi = 0, from_spi = 0;
    guint32 sequence[3] = {0, 0, 0}, responder_sequence = 0, message_id = 2;
    double t = 1.0;
    guint32 long_gap_at = (guint32)g_rand_int_range(rand, 3, 40);
    for (guint32 n = 0; n < 40; n++) {
      t += g_rand_double_range(rand, 0.05, 3.0);
      if (n == long_gap_at)
        t += g_rand_double_range(rand, 41.0, 90.0);
      guint k = (guint)g_rand_int_range(rand, 0, 3);
      guint32 spi = 0xc0000071 + k;
      int kind = g_rand_int_range(rand, 0, 100);
      gboolean sent = FALSE;
      if (kind < 55) {
        esp(&s, t, &p.i4500, &p.r4500, spi, ++sequence[k]);
        sent = TRUE;
      } else if (kind < 70) {
        esp(&s, t, &i_native, &r_native, spi, ++sequence[k]);
      } else if (kind < 78) {
        send_ike(&s, t, &p, TRUE, TRUE, sk(&p, IKEV2_EXCH_INFORMATIONAL, TRUE, FALSE, message_id, 0xc1));
        send_ike(&s, t + 0.01, &p, FALSE, TRUE, sk(&p, IKEV2_EXCH_INFORMATIONAL, FALSE, TRUE, message_id, 0xc2));
        message_id++;
        t += 0.01;
        sent = TRUE;
        spi = 0;
        /* the request's frame is the one before the response's */
      } else {
        esp(&s, t, &p.r4500, &p.i4500, 0xc00000f0, ++responder_sequence);
      }
      if (sent) {
        double at = spi ? t : t - 0.01;
        guint32 frame = spi ? s.frame : s.frame - 1;
        if (at - last_sent > longest) {
          longest = at - last_sent;
          from_frame = last_frame;
          from_spi = last_spi;
        }
        last_sent = at;
        last_frame = frame;
        last_spi = spi;
      }
    }
    if (t - last_sent > longest) {                  /* silent to the end of the capture */
      longest = t - last_sent;
      from_frame = last_frame;
      from_spi = last_spi;
    }
    ipsecdiag_engine_finalize(s.engine);
    const ipsecdiag_finding_t *f = the_finding(&s, "nat_keepalive_missing");
    char text[32];
    g_snprintf(text, sizeof text, "%.0f", longest);
    assert_param(f, "silence", text);
    g_assert_cmpuint(f->frame, ==, from_frame);
    g_snprintf(text, sizeof text, "0x%08x", from_spi);
    assert_param(f, "spi", from_spi ? text : NULL);
    sc_finish(&s);
    g_rand_free(rand);
  }
}

/* ---------- stale and never negotiated SPIs ---------- */

static void test_stale_after_new_ike_sa(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x60);
  tunnel_up(&s, 0.0, &p);
  esp(&s, 1.0, &p.i4500, &p.r4500, 0xc0000071, 1);
  esp(&s, 1.1, &p.r4500, &p.i4500, 0xc0000072, 1);
  /* The responder restarted: a new IKE SA between the same peers at t = 20. */
  peers_t q = p;
  memset(q.spi_i, 0x66, IKE_SPI_LEN);
  memset(q.spi_r, 0x67, IKE_SPI_LEN);
  guint32 up = tunnel_up(&s, 20.0, &q);
  esp(&s, 21.0, &q.i4500, &q.r4500, 0xc0000081, 1);
  esp(&s, 21.1, &q.r4500, &q.i4500, 0xc0000082, 1);
  /* The initiator keeps sending on its old SA until t = 40. */
  for (guint32 n = 2; n <= 5; n++)
    esp(&s, 20.0 + n * 5, &p.i4500, &p.r4500, 0xc0000071, n);
  guint32 last = s.frame;
  ipsecdiag_engine_finalize(s.engine);
  const ipsecdiag_finding_t *f = the_finding(&s, "esp_stale_spi");
  g_assert_cmpuint(f->frame, ==, last);
  g_assert_cmpuint(f->tunnel, ==, 1);
  assert_param(f, "spi", "0xc0000071");
  assert_param(f, "after", "24.7");
  char *reason = g_strdup_printf("a new IKE SA between the same peers replaced the one it belongs to (frame %u)", up);
  assert_param(f, "reason", reason);
  g_free(reason);
  g_assert_cmpuint(ipsecdiag_engine_esp_tunnel(s.engine, 0xc0000081, &p.r.addr), ==, 2);
  sc_finish(&s);

  /* Make-before-break: the old SA stops within the grace period. */
  s = sc_new();
  tunnel_up(&s, 0.0, &p);
  esp(&s, 1.0, &p.i4500, &p.r4500, 0xc0000071, 1);
  tunnel_up(&s, 20.0, &q);
  esp(&s, 21.0, &p.i4500, &p.r4500, 0xc0000071, 2);
  esp(&s, 21.5, &q.i4500, &q.r4500, 0xc0000081, 1);
  esp(&s, 60.0, &q.i4500, &q.r4500, 0xc0000081, 2);
  ipsecdiag_engine_finalize(s.engine);
  g_assert_cmpuint(count_rule(&s, "esp_stale_spi"), ==, 0);
  sc_finish(&s);
}

static void test_child_sa_registry(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x70);
  guint32 up = tunnel_up(&s, 0.0, &p);
  /* A decrypting engine read the Child SA from IKE_AUTH: initiator's inbound SPI, responder's. */
  ipsecdiag_packet_t at = {.frame = up, .time = 0.3};
  ipsecdiag_engine_note_child_sa(s.engine, &at, 1, 0xaaaa0001, 0xbbbb0001, 0);
  esp(&s, 1.0, &p.i4500, &p.r4500, 0xbbbb0001, 1);
  esp(&s, 1.1, &p.r4500, &p.i4500, 0xaaaa0001, 1);
  ipsecdiag_esp_sa_info_t info = sa_info(&s, 1);
  g_assert_cmpuint(info.negotiated_frame, ==, up);
  g_assert_cmpuint(info.direction, ==, IPSECDIAG_ESP_DIR_R2I);
  /* An SPI the tunnel never negotiated. */
  guint32 foreign = 0;
  for (guint32 n = 1; n <= 3; n++) {
    esp(&s, 2.0 + n, &p.r4500, &p.i4500, 0xdead0001, 100 + n);
    if (n == 1)
      foreign = s.frame;
  }
  /* A Delete for the Child SA at t = 10; the responder keeps sending on it. */
  ipsecdiag_packet_t del = packet(&s, 10.0, &p.i4500, &p.r4500, 64);
  ipsecdiag_engine_note_child_sa_deleted(s.engine, &del, 1, 0xbbbb0001);
  esp(&s, 15.0, &p.r4500, &p.i4500, 0xaaaa0001, 2);
  esp(&s, 15.1, &p.i4500, &p.r4500, 0xbbbb0001, 2);
  ipsecdiag_engine_finalize(s.engine);
  const ipsecdiag_finding_t *f = the_finding(&s, "esp_spi_not_negotiated");
  g_assert_cmpuint(f->frame, ==, foreign);
  assert_param(f, "spi", "0xdead0001");
  assert_param(f, "children", "1");
  g_assert_cmpuint(count_rule(&s, "esp_stale_spi"), ==, 2);
  info = sa_info(&s, 0);
  g_assert_cmpuint(info.deleted_frame, ==, del.frame);
  sc_finish(&s);
}

static void test_child_sa_rekey(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x78);
  guint32 up = tunnel_up(&s, 0.0, &p);
  ipsecdiag_packet_t at = {.frame = up, .time = 0.3};
  ipsecdiag_engine_note_child_sa(s.engine, &at, 1, 0xaaaa0002, 0xbbbb0002, 0);
  esp(&s, 1.0, &p.i4500, &p.r4500, 0xbbbb0002, 1);
  /* Rekeyed at t = 10: the initiator sends on the old SA until t = 30. */
  ipsecdiag_packet_t rekey = packet(&s, 10.0, &p.r4500, &p.i4500, 57);
  ipsecdiag_engine_note_child_sa(s.engine, &rekey, 1, 0xaaaa0003, 0xbbbb0003, 0xbbbb0002);
  esp(&s, 10.5, &p.r4500, &p.i4500, 0xaaaa0003, 1);
  esp(&s, 30.0, &p.i4500, &p.r4500, 0xbbbb0002, 2);
  ipsecdiag_engine_finalize(s.engine);
  const ipsecdiag_finding_t *f = the_finding(&s, "esp_stale_spi");
  g_assert_nonnull(strstr(ipsecdiag_finding_param(f, "reason"), "rekeyed"));
  assert_param(f, "after", "20.0");
  g_assert_cmpuint(count_rule(&s, "esp_spi_not_negotiated"), ==, 0);
  sc_finish(&s);
}

/* An IKEv1 message of an SA that began before the capture: encrypted unless body is given. */
static GByteArray *v1_message(const peers_t *p, guint8 exchange, guint32 message_id, guint8 fill)
{
  msg_t m = {g_byte_array_new(), 0};
  g_byte_array_append(m.b, p->spi_i, IKE_SPI_LEN);
  g_byte_array_append(m.b, p->spi_r, IKE_SPI_LEN);
  put8(m.b, IKEV1_PL_HASH);
  put8(m.b, 0x10);
  put8(m.b, exchange);
  put8(m.b, IKEV1_FLAG_ENCRYPTION);
  put32(m.b, message_id);
  put32(m.b, 0);
  for (int k = 0; k < 140; k++)
    put8(m.b, fill);
  return msg_end(&m);
}

/* IKEv1 Informational in the clear: INVALID_SPI for an ESP SPI (in the notify's SPI field). */
static GByteArray *v1_invalid_spi(const peers_t *p, guint32 spi)
{
  msg_t m = {g_byte_array_new(), 0};
  g_byte_array_append(m.b, p->spi_i, IKE_SPI_LEN);
  g_byte_array_append(m.b, p->spi_r, IKE_SPI_LEN);
  put8(m.b, 0);
  put8(m.b, 0x10);
  put8(m.b, IKEV1_EXCH_INFORMATIONAL);
  put8(m.b, 0);
  put32(m.b, 0x0a0b0c0d);
  put32(m.b, 0);
  gsize at = payload_begin(&m, IKEV1_PL_NOTIFY);
  put32(m.b, 1);                 /* DOI IPsec */
  put8(m.b, 3);                  /* protocol ESP */
  put8(m.b, 4);                  /* SPI size */
  put16(m.b, IKE_N_INVALID_SPI);
  put32(m.b, spi);
  payload_end(&m, at);
  return msg_end(&m);
}

static void test_invalid_spi(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x7c);
  /* Quick Mode of an IKEv1 SA begun before the capture, then ESP from the initiator. */
  send_ike(&s, 0.0, &p, TRUE, TRUE, v1_message(&p, IKEV1_EXCH_QUICK, 0x01020304, 0x50));
  send_ike(&s, 0.1, &p, FALSE, TRUE, v1_message(&p, IKEV1_EXCH_QUICK, 0x01020304, 0x51));
  send_ike(&s, 0.2, &p, TRUE, TRUE, v1_message(&p, IKEV1_EXCH_QUICK, 0x01020304, 0x52));
  for (guint32 n = 1; n <= 3; n++)
    esp(&s, 1.0 + n, &p.i4500, &p.r4500, 0xcafe0001, n);
  /* The responder restarted: it answers INVALID_SPI, the initiator keeps sending. */
  guint32 notify = send_ike(&s, 5.0, &p, FALSE, TRUE, v1_invalid_spi(&p, 0xcafe0001))->frame;
  g_assert_cmpuint(count_rule(&s, "notify_invalid_spi"), ==, 1);
  /* An INVALID_SPI from the initiator does not concern ESP towards the responder. */
  send_ike(&s, 5.1, &p, TRUE, TRUE, v1_invalid_spi(&p, 0xcafe0003));
  for (guint32 n = 4; n <= 8; n++) {
    esp(&s, 2.0 + n, &p.i4500, &p.r4500, 0xcafe0001, n);
    esp(&s, 2.0 + n, &p.i4500, &p.r4500, 0xcafe0003, n);
  }
  for (guint32 n = 1; n <= 8; n++)
    esp(&s, 2.0 + n, &p.r4500, &p.i4500, 0xcafe0002, n);
  ipsecdiag_engine_finalize(s.engine);
  const ipsecdiag_finding_t *f = the_finding(&s, "esp_stale_spi");
  assert_param(f, "spi", "0xcafe0001");
  char *reason = g_strdup_printf("its receiver answered INVALID_SPI (frame %u)", notify);
  assert_param(f, "reason", reason);
  g_free(reason);
  assert_param(f, "after", "5.0");
  sc_finish(&s);
}

/* ---------- bounds and robustness ---------- */

static void test_child_sa_cap(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x80);
  guint32 up = tunnel_up(&s, 0.0, &p);
  ipsecdiag_packet_t at = {.frame = up, .time = 0.3};
  for (guint32 n = 0; n < IPSECDIAG_MAX_CHILD_SAS + 5; n++)
    ipsecdiag_engine_note_child_sa(s.engine, &at, 1, 2 * n + 1, 2 * n + 2, 0);
  g_assert_cmpuint(count_rule(&s, "child_sa_cap_reached"), ==, 1);
  /* Unknown tunnels and empty SPIs are ignored. */
  ipsecdiag_engine_note_child_sa(s.engine, &at, 99, 1, 2, 0);
  ipsecdiag_engine_note_child_sa_deleted(s.engine, &at, 99, 1);
  sc_finish(&s);
}

static void test_queries_out_of_range(void)
{
  sc_t s = sc_new();
  ipsecdiag_esp_sa_info_t info;
  g_assert_cmpuint(ipsecdiag_engine_esp_sa_count(s.engine), ==, 0);
  g_assert_false(ipsecdiag_engine_esp_sa_info(s.engine, 0, &info));
  ipsecdiag_esp_tunnel_totals_t totals;
  ipsecdiag_engine_esp_tunnel_totals(s.engine, 3, &totals);
  g_assert_cmpuint(totals.packets[0], ==, 0);
  GPtrArray *out = g_ptr_array_new_with_free_func(ipsecdiag_finding_free);
  ipsecdiag_engine_evaluate_esp_sa(s.engine, 5, out);
  g_assert_cmpuint(out->len, ==, 0);
  g_ptr_array_free(out, TRUE);
  /* Finalize without any ESP or tunnel. */
  ipsecdiag_engine_finalize(s.engine);
  g_assert_cmpstr(ipsecdiag_esp_direction_name(9), ==, "unknown");
  sc_finish(&s);
}

static void test_refinalize_after_more_esp(void)
{
  sc_t s = sc_new();
  for (guint32 n = 1; n <= 10; n++)
    if (n != 5)
      esp(&s, n, host_a(), host_b(), 0x10101010, n);
  ipsecdiag_engine_finalize(s.engine);
  g_assert_cmpuint(count_rule(&s, "esp_loss"), ==, 1);
  /* The missing packet arrives late (a live capture goes on): the loss is retracted. */
  esp(&s, 11, host_a(), host_b(), 0x10101010, 5);
  g_assert_false(ipsecdiag_engine_is_finalized(s.engine));
  ipsecdiag_engine_finalize(s.engine);
  g_assert_cmpuint(count_rule(&s, "esp_loss"), ==, 0);
  sc_finish(&s);
}

/* ---------- ESP fed late ---------- */

static void esp_fed(sc_t *s, gboolean later, double time, const ipsecdiag_endpoint_t *src,
                    const ipsecdiag_endpoint_t *dst, guint32 spi, guint32 sequence)
{
  ipsecdiag_packet_t pkt = packet(s, time, src, dst, 64);
  pkt.non_esp_marker = FALSE;
  guint32 length = 100 + sequence % 7;
  if (later)
    ipsecdiag_engine_feed_esp_later(s->engine, &pkt, spi, sequence, length);
  else
    ipsecdiag_engine_feed_esp(s->engine, &pkt, spi, sequence, length);
}

static void digest_finding(GString *out, const ipsecdiag_finding_t *f)
{
  g_string_append_printf(out, "  %s frame %u tunnel %u%s:", f->rule_id, f->frame, f->tunnel, f->final ? " final" : "");
  for (guint i = 0; i < f->n_params; i++)
    g_string_append_printf(out, " %s=%s", f->keys[i], f->values[i]);
  g_string_append_c(out, '\n');
}

/* Everything the engine concluded, as text: the stored frames and their
 * findings, the global findings, every ESP SA and the tunnels' ESP totals. */
static char *engine_digest(const sc_t *s)
{
  GString *out = g_string_new(NULL);
  for (guint32 i = 1; i <= s->frame; i++) {
    const ipsecdiag_frame_t *frame = ipsecdiag_engine_frame(s->engine, i);
    if (!frame)
      continue;
    g_string_append_printf(out, "frame %u kind %u tunnel %u spi %08x sequence %u state %u\n", i, frame->kind,
                           frame->tunnel, frame->esp_spi, frame->esp_sequence, frame->state);
    for (guint j = 0; frame->findings && j < frame->findings->len; j++)
      digest_finding(out, g_ptr_array_index(frame->findings, j));
  }
  const GPtrArray *global = ipsecdiag_engine_global_findings(s->engine);
  for (guint j = 0; j < global->len; j++)
    digest_finding(out, g_ptr_array_index(global, j));
  for (guint i = 0; i < ipsecdiag_engine_esp_sa_count(s->engine); i++) {
    ipsecdiag_esp_sa_info_t a = sa_info(s, i);
    g_string_append_printf(out, "sa %08x tunnel %u dir %u udp %d packets %" G_GUINT64_FORMAT " bytes %" G_GUINT64_FORMAT
                           " frames %u-%u times %.3f-%.3f seq %u-%u expected %" G_GUINT64_FORMAT " lost %" G_GUINT64_FORMAT
                           " gaps %u largest %u dup %" G_GUINT64_FORMAT " late %" G_GUINT64_FORMAT " reordered %" G_GUINT64_FORMAT
                           " restarts %u firsts %u/%u/%u\n",
                           a.spi, a.tunnel, a.direction, a.udp_encapsulated, a.packets, a.bytes, a.first_frame,
                           a.last_frame, a.first_time, a.last_time, a.first_sequence, a.last_sequence, a.expected, a.lost,
                           a.gaps, a.largest_gap, a.duplicates, a.late, a.reordered, a.restarts, a.first_gap_frame,
                           a.first_duplicate_frame, a.first_restart_frame);
  }
  for (guint32 id = 1; id <= ipsecdiag_engine_tunnel_count(s->engine); id++) {
    ipsecdiag_esp_tunnel_totals_t t;
    ipsecdiag_engine_esp_tunnel_totals(s->engine, id, &t);
    g_string_append_printf(out, "tunnel %u state %u esp %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " spis %u/%u\n", id,
                           ipsecdiag_engine_tunnel(s->engine, id)->state, t.packets[0], t.packets[1], t.spis[0],
                           t.spis[1]);
  }
  return g_string_free(out, FALSE);
}

/* Two tunnels and ESP without IKE, interleaved: loss, a duplicate,
 * reordering, a restart, native ESP despite a NAT, a keepalive, IKE in the
 * middle, and a sender silent for 50 s. */
static void mixed_esp_traffic(sc_t *s, gboolean later)
{
  peers_t p = peers_new(0x70);
  peers_nat_initiator(&p);
  peers_t q = peers_new(0x74);
  peers_forced_encap(&q);
  q.i_seen_by_r = ep("203.0.113.1", 500);
  q.i = ep("192.0.2.30", 500);
  q.i4500 = ep("192.0.2.30", 4500);
  q.i_natd_src = ep("192.0.2.99", 500);
  tunnel_up(s, 0.0, &p);
  tunnel_up(s, 0.5, &q);
  ipsecdiag_endpoint_t native_i = p.i, native_r = p.r;
  native_i.port = native_r.port = 0;
  for (guint32 n = 1; n <= 300; n++) {
    double t = 1.0 + n * 0.25;
    guint32 sp = 600 + n;                /* a window's length above the restart's numbers */
    if (n >= 50 && n <= 52)
      sp = 0;                            /* lost */
    else if (n == 120)
      sp = 600 + 121;                    /* reordered with the next */
    else if (n == 121)
      sp = 600 + 120;
    else if (n >= 200)
      sp = n - 199;                      /* restart */
    if (sp)
      esp_fed(s, later, t, &p.i4500, &p.r4500, 0xc1000001, sp);
    if (n == 80)
      esp_fed(s, later, t, &p.i4500, &p.r4500, 0xc1000001, 600 + 79);   /* duplicate */
    esp_fed(s, later, t + 0.01, &p.r4500, &p.i4500, 0xc1000002, n);
    if (n % 3 == 0 && (n < 100 || n > 300))
      esp_fed(s, later, t + 0.02, &q.i4500, &q.r4500, 0xc2000001, n / 3);
    if (n % 3 == 0 && (n < 100 || n > 300))
      esp_fed(s, later, t + 0.03, &q.r4500, &q.i4500, 0xc2000002, n / 3);
    if (n % 5 == 0)
      esp_fed(s, later, t + 0.04, host_a(), host_b(), 0x0000abcd, n / 5 + (n > 150 ? 2 : 0));
    if (n == 40)
      keepalive(s, t + 0.05, &p);
    if (n == 60)
      send_ike(s, t + 0.06, &p, TRUE, TRUE, sk(&p, IKEV2_EXCH_INFORMATIONAL, TRUE, FALSE, 2, 0xb1));
    if (n == 61)
      send_ike(s, t + 0.06, &p, FALSE, TRUE, sk(&p, IKEV2_EXCH_INFORMATIONAL, FALSE, TRUE, 2, 0xb2));
    if (n == 250 || n == 251)
      esp_fed(s, later, t + 0.07, &native_i, &native_r, 0xc1000003, n - 249);
  }
  /* q's initiator was silent from about 25 s to 76 s; then both send again. */
  for (guint32 n = 1; n <= 4; n++) {
    esp_fed(s, later, 80.0 + n, &q.i4500, &q.r4500, 0xc2000001, 40 + n);
    esp_fed(s, later, 80.0 + n, &q.r4500, &q.i4500, 0xc2000002, 40 + n);
  }
  /* IKE from q's initiator while its ESP before is still held: counted in
   * order, that ESP is followed by 48 s of silence, not 90. */
  esp_fed(s, later, 100.0, &q.i4500, &q.r4500, 0xc2000001, 45);
  send_ike(s, 148.0, &q, TRUE, TRUE, sk(&q, IKEV2_EXCH_INFORMATIONAL, TRUE, FALSE, 2, 0xb3));
  esp_fed(s, later, 190.0, &q.i4500, &q.r4500, 0xc2000001, 46);
  esp_fed(s, later, 190.1, &q.r4500, &q.i4500, 0xc2000002, 45);
}

static void test_fed_later_same_result(void)
{
  sc_t now = sc_new(), later = sc_new();
  mixed_esp_traffic(&now, FALSE);
  mixed_esp_traffic(&later, TRUE);
  ipsecdiag_engine_finalize(now.engine);
  ipsecdiag_engine_finalize(later.engine);
  char *expected = engine_digest(&now), *got = engine_digest(&later);
  g_assert_cmpstr(got, ==, expected);
  /* The scenario shows what it is meant to. */
  static const char *const rules[] = {"esp_loss", "esp_duplicates", "esp_sequence_restart",
                                      "esp_native_despite_nat", "nat_keepalive_missing"};
  for (guint i = 0; i < G_N_ELEMENTS(rules); i++) {
    if (!count_rule(&later, rules[i]))
      g_test_message("no %s finding", rules[i]);
    g_assert_cmpuint(count_rule(&later, rules[i]), >=, 1);
  }
  g_assert_cmpuint(ipsecdiag_engine_esp_sa_count(later.engine), ==, 6);
  g_free(expected);
  g_free(got);
  sc_finish(&now);
  sc_finish(&later);
}

/* Queries see ESP fed late once something counted it; feeds and finalize do that first. */
static void test_fed_later_counted_before_next_feed(void)
{
  sc_t s = sc_new();
  esp_fed(&s, TRUE, 1.0, host_a(), host_b(), 0x0000abcd, 1);
  esp_fed(&s, TRUE, 1.1, host_a(), host_b(), 0x0000abcd, 2);
  g_assert_cmpuint(ipsecdiag_engine_esp_sa_count(s.engine), ==, 0);   /* both held */
  esp_fed(&s, TRUE, 1.2, host_a(), host_b(), 0x0000abcd, 4);
  g_assert_cmpuint(ipsecdiag_engine_esp_sa_count(s.engine), ==, 1);   /* the first counted */
  g_assert_cmpuint(sa_info(&s, 0).packets, ==, 1);
  ipsecdiag_engine_flush(s.engine);
  g_assert_cmpuint(sa_info(&s, 0).packets, ==, 3);
  g_assert_cmpuint(sa_info(&s, 0).lost, ==, 1);
  ipsecdiag_engine_flush(s.engine);                                    /* nothing held: no change */
  g_assert_cmpuint(sa_info(&s, 0).packets, ==, 3);

  /* A feed of another kind counts what is held first, in order. */
  esp_fed(&s, TRUE, 2.0, host_a(), host_b(), 0x0000abcd, 5);
  esp_fed(&s, FALSE, 2.1, host_a(), host_b(), 0x0000abcd, 5);         /* a duplicate of the held one */
  g_assert_cmpuint(sa_info(&s, 0).packets, ==, 5);
  g_assert_cmpuint(sa_info(&s, 0).duplicates, ==, 1);
  g_assert_cmpuint(sa_info(&s, 0).first_duplicate_frame, ==, s.frame);
  esp_fed(&s, TRUE, 3.0, host_a(), host_b(), 0x0000abcd, 6);
  ipsecdiag_engine_finalize(s.engine);
  g_assert_cmpuint(sa_info(&s, 0).packets, ==, 6);
  g_assert_cmpuint(sa_info(&s, 0).last_frame, ==, s.frame);
  /* Freed with packets held: nothing leaks (the sanitizer build checks). */
  esp_fed(&s, TRUE, 4.0, host_a(), host_b(), 0x0000abcd, 7);
  sc_finish(&s);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  gcry_check_version(NULL);
  gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
  catalog = ipsecdiag_rules_new();
  GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
  ipsecdiag_rules_load_dir(catalog, IPSECDIAG_SOURCE_DIR "/rules", TRUE, FALSE, errors);
  for (guint i = 0; i < errors->len; i++)
    g_printerr("%s\n", (char *)g_ptr_array_index(errors, i));
  g_assert_cmpuint(errors->len, ==, 0);

  g_test_add_func("/esp/sequence/loss-rate", test_loss_rate);
  g_test_add_func("/esp/sequence/loss-minor", test_loss_minor);
  g_test_add_func("/esp/sequence/reordering", test_reordering_is_not_loss);
  g_test_add_func("/esp/sequence/duplicates", test_duplicates);
  g_test_add_func("/esp/sequence/window_after_in_order_run", test_window_after_in_order_run);
  g_test_add_func("/esp/sequence/restart", test_restart);
  g_test_add_func("/esp/sequence/late", test_late_beyond_window);
  g_test_add_func("/esp/sequence/esn-wrap", test_esn_wrap);
  g_test_add_func("/esp/sequence/huge-jump", test_huge_jump_bounded);
  g_test_add_func("/esp/later/same-result", test_fed_later_same_result);
  g_test_add_func("/esp/later/counted-before-next-feed", test_fed_later_counted_before_next_feed);
  g_test_add_func("/esp/tunnel/healthy", test_healthy_both_ways);
  g_test_add_func("/esp/tunnel/missing", test_missing);
  g_test_add_func("/esp/tunnel/missing-child-rejected", test_missing_not_when_child_rejected);
  g_test_add_func("/esp/tunnel/missing-ikev1", test_missing_ikev1_quick_mode);
  g_test_add_func("/esp/tunnel/one-way", test_one_way_at_initiator);
  g_test_add_func("/esp/tunnel/one-way-sender-side", test_one_way_sender_side);
  g_test_add_func("/esp/nat/native-despite-nat", test_native_despite_nat);
  g_test_add_func("/esp/nat/native-after-nat-detected-later", test_native_after_nat_detected_later);
  g_test_add_func("/esp/nat/udp-without-nat", test_udp_without_nat);
  g_test_add_func("/esp/nat/keepalives", test_keepalives);
  g_test_add_func("/esp/nat/keepalive-missing", test_keepalive_missing);
  g_test_add_func("/esp/nat/keepalive-silence-model", test_keepalive_silence_model);
  g_test_add_func("/esp/stale/new-ike-sa", test_stale_after_new_ike_sa);
  g_test_add_func("/esp/child-sa/registry", test_child_sa_registry);
  g_test_add_func("/esp/child-sa/rekey", test_child_sa_rekey);
  g_test_add_func("/esp/stale/invalid-spi", test_invalid_spi);
  g_test_add_func("/esp/caps/child-sas", test_child_sa_cap);
  g_test_add_func("/esp/queries/out-of-range", test_queries_out_of_range);
  g_test_add_func("/esp/finalize/again", test_refinalize_after_more_esp);
  int rc = g_test_run();
  ipsecdiag_rules_free(catalog);
  g_ptr_array_free(errors, TRUE);
  return rc;
}
