/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag: the engine's bounds (docs/design.md "Bounds") under hostile
 * input: millions of distinct ESP SPIs, more IKE SAs (cookies) than the table
 * keeps, more distinct messages than a tunnel keeps, endless retransmissions
 * (the send counter must saturate, not wrap), lying length fields and deep
 * payload chains. Each cap must hold, and where the docs promise a note the
 * frame that hit the cap must carry it, once.
 */
#include <glib.h>
#include <string.h>

#include "ipsecdiag/engine.h"
#include "ipsecdiag/esp.h"
#include "ipsecdiag/ike_parse.h"
#include "../../plugin/engine/engine_private.h"

static ipsecdiag_packet_t packet(guint32 frame, double time, guint32 src, guint32 dst, guint16 port)
{
  ipsecdiag_packet_t pkt;
  memset(&pkt, 0, sizeof pkt);
  pkt.frame = frame;
  pkt.time = time;
  pkt.src.addr.family = pkt.dst.addr.family = 4;
  for (int i = 0; i < 4; i++) {
    pkt.src.addr.bytes[i] = (guint8)(src >> (24 - 8 * i));
    pkt.dst.addr.bytes[i] = (guint8)(dst >> (24 - 8 * i));
  }
  pkt.src.port = pkt.dst.port = port;
  return pkt;
}

/* An IKE header (28 bytes) followed by body_len bytes of payloads. */
static void ike_header(guint8 *out, guint64 spi_i, guint8 version, guint8 exchange, guint8 flags,
                       guint32 message_id, guint8 first_payload, guint32 length)
{
  memset(out, 0, IKE_HEADER_LEN);
  for (int i = 0; i < 8; i++)
    out[i] = (guint8)(spi_i >> (56 - 8 * i));
  out[16] = first_payload;
  out[17] = (guint8)(version << 4);
  out[18] = exchange;
  out[19] = flags;
  out[20] = (guint8)(message_id >> 24);
  out[21] = (guint8)(message_id >> 16);
  out[22] = (guint8)(message_id >> 8);
  out[23] = (guint8)message_id;
  out[24] = (guint8)(length >> 24);
  out[25] = (guint8)(length >> 16);
  out[26] = (guint8)(length >> 8);
  out[27] = (guint8)length;
}

static guint count_rule(const GPtrArray *findings, const char *rule)
{
  guint n = 0;
  for (guint i = 0; findings && i < findings->len; i++)
    if (strcmp(((const ipsecdiag_finding_t *)g_ptr_array_index(findings, i))->rule_id, rule) == 0)
      n++;
  return n;
}

/* Over a million distinct SPIs: the table stops at its cap, the frame that
 * hit it says so once, and later SPIs are neither stored nor noted again. */
static void test_millions_of_esp_spis(void)
{
  ipsecdiag_engine_t *engine = ipsecdiag_engine_new();
  const guint32 total = 1000000 + IPSECDIAG_MAX_ESP_SAS / 2;
  guint32 noted_on = 0, frames_returned = 0;
  for (guint32 i = 1; i <= total; i++) {
    ipsecdiag_packet_t pkt = packet(i, i * 1e-4, 0x0a000001, 0x0b000001, 0);
    const ipsecdiag_frame_t *frame = ipsecdiag_engine_feed_esp(engine, &pkt, i, 1, 100);
    if (frame) {
      frames_returned++;
      g_assert_cmpuint(count_rule(frame->findings, "esp_sa_cap_reached"), ==, 1);
      g_assert_cmpuint(frame->esp_spi, ==, i);
      noted_on = i;
    }
  }
  g_assert_cmpuint(frames_returned, ==, 1);
  g_assert_cmpuint(noted_on, ==, IPSECDIAG_MAX_ESP_SAS + 1);
  g_assert_nonnull(ipsecdiag_engine_frame(engine, noted_on));
  g_assert_cmpuint(count_rule(ipsecdiag_engine_global_findings(engine), "esp_sa_cap_reached"), ==, 1);
  /* SPIs under the cap are still linked and counted; those above it are not. */
  ipsecdiag_addr_t dst = packet(0, 0, 0, 0x0b000001, 0).dst.addr;
  g_assert_cmpuint(ipsecdiag_engine_esp_tunnel(engine, 1, &dst), ==, 0);
  ipsecdiag_engine_finalize(engine);
  ipsecdiag_engine_free(engine);
}

/* The table's slot holds an IPv6 receiver only as a fold of its words:
 * receivers with the same fold, and an IPv6 receiver whose fold is an IPv4
 * one, stay distinct SAs with their own counts through the engine. (Their
 * lookups rarely meet each other's slots here: the keys built to, below.) */
static void test_esp_sa_table_folded_keys(void)
{
  ipsecdiag_engine_t *engine = ipsecdiag_engine_new();
  ipsecdiag_packet_t v4 = packet(1, 0.001, 0x0a000001, 0x0b000001, 0);
  ipsecdiag_packet_t a = v4, b = v4, c = v4;
  a.src.addr.family = a.dst.addr.family = 6;
  b.src.addr.family = b.dst.addr.family = 6;
  c.src.addr.family = c.dst.addr.family = 6;
  static const guint8 words[2][4] = {{0x20, 0x01, 0x0d, 0xb8}, {0x00, 0x00, 0x00, 0x07}};
  memcpy(a.dst.addr.bytes, words[0], 4);
  memcpy(a.dst.addr.bytes + 12, words[1], 4);
  memcpy(b.dst.addr.bytes, words[1], 4);     /* the same words swapped: the same fold */
  memcpy(b.dst.addr.bytes + 12, words[0], 4);
  memset(c.dst.addr.bytes + 4, 0, 12);       /* the IPv4 receiver's word, the rest zero: its fold */
  const ipsecdiag_packet_t *pkts[4] = {&v4, &a, &b, &c};
  for (guint32 n = 0; n < 4; n++)
    for (guint32 k = 0; k <= n; k++) {
      ipsecdiag_packet_t pkt = *pkts[n];
      pkt.frame = n * 10 + k + 1;
      ipsecdiag_engine_feed_esp(engine, &pkt, 0x5000, k + 1, 100);
    }
  g_assert_cmpuint(ipsecdiag_engine_esp_sa_count(engine), ==, 4);
  for (guint32 n = 0; n < 4; n++) {
    gint index = ipsecdiag_engine_esp_sa_index(engine, 0x5000, &pkts[n]->dst.addr);
    g_assert_cmpint(index, ==, (gint)n);
    ipsecdiag_esp_sa_info_t info;
    g_assert_true(ipsecdiag_engine_esp_sa_info(engine, (guint)index, &info));
    g_assert_cmpuint(info.packets, ==, n + 1);
    g_assert_cmpint(memcmp(info.dst.addr.bytes, pkts[n]->dst.addr.bytes, 16), ==, 0);
  }
  ipsecdiag_engine_free(engine);
}

static esp_sa_t *table_sa(const ipsecdiag_addr_t *dst)
{
  esp_sa_t *sa = g_aligned_alloc0(1, sizeof *sa, 64);
  sa->key.spi = 0x6000;
  sa->key.dst = *dst;
  return sa;
}

/* A key with the same fold as `first` (equal changes to two of its words)
 * whose lookup starts at the same slot, so that it meets first's slot. */
static ipsecdiag_addr_t same_fold_same_slot(const ipsecdiag_addr_t *first, guint8 family)
{
  esp_sa_key_t a = {.spi = 0x6000, .dst = *first};
  for (guint32 d = 1;; d++) {
    esp_sa_key_t b = a;
    b.dst.family = family;
    guint32 w[4];
    memcpy(w, b.dst.bytes, sizeof w);
    w[1] ^= d;
    w[2] ^= d;
    memcpy(b.dst.bytes, w, sizeof w);
    if (((esp_sa_key_hash(&a) ^ esp_sa_key_hash(&b)) & 1023) == 0 && memcmp(&a.dst, &b.dst, sizeof a.dst) != 0)
      return b.dst;
  }
}

/* The table (1 024 slots to begin with) on keys built to collide: an IPv6
 * receiver with another's fold starting at its slot, and an IPv6 receiver
 * whose fold is an IPv4 receiver's address, starting at its slot. */
static void test_esp_sa_table_colliding_folds(void)
{
  esp_sa_table_t *table = esp_sa_table_new();
  ipsecdiag_addr_t v6 = {.family = 6, .bytes = {0x20, 0x01, 0x0d, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 9}};
  ipsecdiag_addr_t v4 = {.family = 4, .bytes = {192, 0, 2, 1}};
  /* The IPv4 receiver comes last: its lookup then meets the IPv6 one with its fold first. */
  ipsecdiag_addr_t keys[4] = {v6, same_fold_same_slot(&v6, 6), same_fold_same_slot(&v4, 6), v4};
  esp_sa_t *sas[4];
  for (guint i = 0; i < 4; i++) {
    esp_sa_key_t key = {.spi = 0x6000, .dst = keys[i]};
    g_assert_null(esp_sa_table_lookup(table, &key));
    sas[i] = table_sa(&keys[i]);
    esp_sa_table_insert(table, sas[i]);
  }
  for (guint i = 0; i < 4; i++) {
    esp_sa_key_t key = {.spi = 0x6000, .dst = keys[i]};
    g_assert_true(esp_sa_table_lookup(table, &key) == sas[i]);
  }
  esp_sa_table_free(table);
  for (guint i = 0; i < 4; i++)
    g_aligned_free(sas[i]);
}

/* The ESP SA table (open addressing, grown by doubling): the same SPI
 * towards many receivers, IPv4 and IPv6 receivers whose first four bytes are
 * equal, and SPIs that differ only in high bits are all distinct SAs, each
 * found again with its own count after the table grew many times. */
static void test_esp_sa_table_keys(void)
{
  ipsecdiag_engine_t *engine = ipsecdiag_engine_new();
  const guint32 receivers = 300, spis = 40;
  guint32 frame = 0;
  for (int round = 1; round <= 2; round++) {
    for (guint32 r = 0; r < receivers; r++) {
      for (guint32 k = 0; k < spis; k++) {
        guint32 spi = 0x1000u + (k << 24);   /* same low bits */
        frame++;
        ipsecdiag_packet_t v4 = packet(frame, frame * 1e-3, 0x0a000001, 0x0b000000 + r, 0);
        ipsecdiag_packet_t v6 = v4;
        v6.src.addr.family = v6.dst.addr.family = 6;
        v6.dst.addr.bytes[15] = 1;           /* first four bytes as the IPv4 receiver's */
        ipsecdiag_engine_feed_esp(engine, &v4, spi, (guint32)round, 100);
        v6.frame = ++frame;
        ipsecdiag_engine_feed_esp(engine, &v6, spi, (guint32)round, 60);
      }
    }
  }
  g_assert_cmpuint(ipsecdiag_engine_esp_sa_count(engine), ==, receivers * spis * 2);
  for (guint32 r = 0; r < receivers; r += 7) {
    for (guint32 k = 0; k < spis; k += 3) {
      guint32 spi = 0x1000u + (k << 24);
      ipsecdiag_packet_t v4 = packet(0, 0, 0x0a000001, 0x0b000000 + r, 0);
      ipsecdiag_addr_t v6 = v4.dst.addr;
      v6.family = 6;
      v6.bytes[15] = 1;
      gint i4 = ipsecdiag_engine_esp_sa_index(engine, spi, &v4.dst.addr);
      gint i6 = ipsecdiag_engine_esp_sa_index(engine, spi, &v6);
      g_assert_cmpint(i4, >=, 0);
      g_assert_cmpint(i6, >=, 0);
      g_assert_cmpint(i4, !=, i6);
      ipsecdiag_esp_sa_info_t info4, info6;
      g_assert_true(ipsecdiag_engine_esp_sa_info(engine, (guint)i4, &info4));
      g_assert_true(ipsecdiag_engine_esp_sa_info(engine, (guint)i6, &info6));
      g_assert_cmpuint(info4.spi, ==, spi);
      g_assert_cmpuint(info4.packets, ==, 2);
      g_assert_cmpuint(info4.bytes, ==, 200);
      g_assert_cmpuint(info6.packets, ==, 2);
      g_assert_cmpuint(info6.bytes, ==, 120);
      g_assert_cmpuint(info6.dst.addr.family, ==, 6);
    }
  }
  ipsecdiag_addr_t unknown = packet(0, 0, 0, 0x0c000001, 0).dst.addr;
  g_assert_cmpint(ipsecdiag_engine_esp_sa_index(engine, 0x1000, &unknown), ==, -1);
  ipsecdiag_engine_free(engine);
}

/* Frame records are found by number through a bitmap of the frames that have
 * one (grown on demand, bounded) and the table: frame 0, numbers that make the
 * bitmap grow, numbers beyond its bound, and their neighbours without records. */
static void test_frame_records_by_number(void)
{
  ipsecdiag_engine_t *engine = ipsecdiag_engine_new();
  const guint32 numbers[] = {0, 1, 9, 65535, 65536, 1000003, (1u << 26) - 1, 1u << 26, (1u << 26) + 9,
                             G_MAXUINT32 - 1};
  guint8 msg[IKE_HEADER_LEN];
  for (guint i = 0; i < G_N_ELEMENTS(numbers); i++) {
    ike_header(msg, 0x2000000000000000ull + i, 2, IKEV2_EXCH_IKE_SA_INIT, IKEV2_FLAG_INITIATOR, 0, 0,
               IKE_HEADER_LEN);
    ipsecdiag_packet_t pkt = packet(numbers[i], i * 1e-3, 0x0a000001, 0x0b000001, 500);
    g_assert_nonnull(ipsecdiag_engine_feed_ike(engine, &pkt, msg, sizeof msg));
  }
  for (guint i = 0; i < G_N_ELEMENTS(numbers); i++) {
    const ipsecdiag_frame_t *frame = ipsecdiag_engine_frame(engine, numbers[i]);
    g_assert_nonnull(frame);
    g_assert_cmpuint(frame->frame, ==, numbers[i]);
    if (numbers[i] != 0 && numbers[i] != 1 && numbers[i] != 65536 && numbers[i] != 1u << 26)
      g_assert_null(ipsecdiag_engine_frame(engine, numbers[i] - 1));
    if (numbers[i] != 65535 && numbers[i] != (1u << 26) - 1 && numbers[i] != 0)
      g_assert_null(ipsecdiag_engine_frame(engine, numbers[i] + 1));
  }
  g_assert_null(ipsecdiag_engine_frame(engine, 2));
  g_assert_null(ipsecdiag_engine_frame(engine, 5000000));
  g_assert_null(ipsecdiag_engine_frame(engine, G_MAXUINT32));
  ipsecdiag_engine_free(engine);
}

/* More IKE SAs (distinct cookies, distinct peers) than the table keeps. */
static void test_tunnel_cap(void)
{
  ipsecdiag_engine_t *engine = ipsecdiag_engine_new();
  guint8 msg[IKE_HEADER_LEN];
  const guint32 total = IPSECDIAG_MAX_TUNNELS + 5000;
  guint32 noted_on = 0;
  for (guint32 i = 1; i <= total; i++) {
    ike_header(msg, 0x1000000000000000ull + i, 2, IKEV2_EXCH_IKE_SA_INIT, IKEV2_FLAG_INITIATOR, 0, 0,
               IKE_HEADER_LEN);
    ipsecdiag_packet_t pkt = packet(i, i * 1e-3, 0x0a000000 + i, 0x0b000000 + i, 500);
    const ipsecdiag_frame_t *frame = ipsecdiag_engine_feed_ike(engine, &pkt, msg, sizeof msg);
    g_assert_nonnull(frame);
    if (count_rule(frame->findings, "tunnel_cap_reached")) {
      g_assert_cmpuint(noted_on, ==, 0);
      noted_on = i;
    }
    if (i > IPSECDIAG_MAX_TUNNELS)
      g_assert_cmpuint(frame->tunnel, ==, 0);
  }
  g_assert_cmpuint(ipsecdiag_engine_tunnel_count(engine), ==, IPSECDIAG_MAX_TUNNELS);
  g_assert_cmpuint(noted_on, ==, IPSECDIAG_MAX_TUNNELS + 1);
  g_assert_cmpuint(count_rule(ipsecdiag_engine_global_findings(engine), "tunnel_cap_reached"), ==, 1);
  /* A known SA still gets its answer linked after the cap. */
  guint8 response[IKE_HEADER_LEN];
  ike_header(response, 0x1000000000000000ull + 7, 2, IKEV2_EXCH_IKE_SA_INIT, IKEV2_FLAG_RESPONSE, 0, 0,
             IKE_HEADER_LEN);
  response[15] = 1;                     /* responder SPI */
  ipsecdiag_packet_t pkt = packet(total + 1, total * 1e-3, 0x0b000000 + 7, 0x0a000000 + 7, 500);
  const ipsecdiag_frame_t *frame = ipsecdiag_engine_feed_ike(engine, &pkt, response, sizeof response);
  g_assert_cmpuint(frame->tunnel, ==, 7);
  g_assert_cmpuint(frame->request_frame, ==, 7);
  ipsecdiag_engine_finalize(engine);
  ipsecdiag_engine_free(engine);
}

/* One IKE SA sending thousands of distinct messages keeps only the first
 * IPSECDIAG_MAX_MESSAGES_PER_TUNNEL, yet every frame is still named. */
static void test_messages_per_tunnel(void)
{
  ipsecdiag_engine_t *engine = ipsecdiag_engine_new();
  guint8 msg[IKE_HEADER_LEN];
  for (guint32 i = 1; i <= 10000; i++) {
    ike_header(msg, 0x2000000000000001ull, 2, IKEV2_EXCH_INFORMATIONAL, IKEV2_FLAG_INITIATOR, i, 0,
               IKE_HEADER_LEN);
    ipsecdiag_packet_t pkt = packet(i, i * 0.01, 0x0a000001, 0x0b000001, 4500);
    const ipsecdiag_frame_t *frame = ipsecdiag_engine_feed_ike(engine, &pkt, msg, sizeof msg);
    g_assert_cmpstr(frame->message, ==, "INFORMATIONAL request");
    g_assert_cmpuint(frame->message_id, ==, i);
  }
  const ipsecdiag_tunnel_t *tunnel = ipsecdiag_engine_tunnel(engine, 1);
  g_assert_cmpuint(ipsecdiag_engine_tunnel_count(engine), ==, 1);
  g_assert_cmpuint(tunnel->n_messages, ==, IPSECDIAG_MAX_MESSAGES_PER_TUNNEL);
  g_assert_cmpuint(tunnel->messages_allocated, ==, IPSECDIAG_MAX_MESSAGES_PER_TUNNEL);
  g_assert_true(tunnel->messages_capped);
  g_assert_cmpuint(tunnel->n_packets, ==, 10000);
  ipsecdiag_engine_finalize(engine);
  g_assert_cmpuint(tunnel->findings->len, <=, IPSECDIAG_MAX_FINDINGS_PER_TUNNEL);
  ipsecdiag_engine_free(engine);
}

/* The same request sent 70,000 times: the send counter saturates at 65535
 * instead of wrapping (a wrap would restart the count and raise the
 * "unanswered" finding again), send times stay capped, and the immediate
 * finding is raised once. */
static void test_endless_retransmissions(void)
{
  ipsecdiag_engine_t *engine = ipsecdiag_engine_new();
  guint8 msg[IKE_HEADER_LEN];
  ike_header(msg, 0x3000000000000001ull, 2, IKEV2_EXCH_IKE_SA_INIT, IKEV2_FLAG_INITIATOR, 0, 0, IKE_HEADER_LEN);
  guint immediate = 0;
  guint16 last_number = 0;
  const guint32 total = 70000;
  for (guint32 i = 1; i <= total; i++) {
    ipsecdiag_packet_t pkt = packet(i, i * 1.0, 0x0a000001, 0x0b000001, 500);
    const ipsecdiag_frame_t *frame = ipsecdiag_engine_feed_ike(engine, &pkt, msg, sizeof msg);
    if (i > 1) {
      g_assert_cmpuint(frame->retransmission_of, ==, 1);
      g_assert_cmpuint(frame->retransmission_number, >=, last_number);   /* never wraps */
      last_number = frame->retransmission_number;
    }
    immediate += frame->findings ? frame->findings->len : 0;
  }
  g_assert_cmpuint(last_number, ==, G_MAXUINT16 - 1);
  const ipsecdiag_tunnel_t *tunnel = ipsecdiag_engine_tunnel(engine, 1);
  g_assert_cmpuint(tunnel->n_messages, ==, 1);
  g_assert_cmpuint(tunnel->messages[0].sends, ==, G_MAXUINT16);
  g_assert_cmpuint(tunnel->messages[0].n_times, ==, IPSECDIAG_MAX_SENDS_TIMED);
  /* The first sends' times, one second apart, are the ones kept. */
  for (guint k = 0; k < IPSECDIAG_MAX_SENDS_TIMED; k++)
    g_assert_cmpfloat(ipsecdiag_message_send_time(&tunnel->messages[0], k), ==, 1.0 + k);
  g_assert_cmpuint(tunnel->n_retransmissions, ==, total - 1);
  g_assert_cmpuint(immediate, >=, 1);
  g_assert_cmpuint(immediate, <=, 2);
  ipsecdiag_engine_finalize(engine);
  g_assert_cmpuint(tunnel->findings->len, <=, IPSECDIAG_MAX_FINDINGS_PER_TUNNEL);
  ipsecdiag_engine_free(engine);
}

/* Length fields that lie: the parser reports, the engine notes the frame as
 * malformed, nothing is read past the data (ASan builds check that). */
static void test_lying_lengths(void)
{
  ipsecdiag_engine_t *engine = ipsecdiag_engine_new();
  ike_message_t parsed;
  guint8 buf[IKE_HEADER_LEN + 16];
  struct {
    guint32 header_length;
    guint16 payload_length;
    gsize data_len;
  } cases[] = {
    {0xffffffffu, 8, sizeof buf},        /* header length far past the data */
    {3, 8, sizeof buf},                  /* header length shorter than the header */
    {sizeof buf, 0xffff, sizeof buf},    /* payload length past the end */
    {sizeof buf, 0, sizeof buf},         /* payload length 0: would loop forever */
    {sizeof buf, 3, sizeof buf},         /* payload length under its own header */
    {sizeof buf, 8, IKE_HEADER_LEN + 2}, /* data cut inside a payload header */
    {sizeof buf, 8, 27},                 /* data cut inside the IKE header */
  };
  for (guint c = 0; c < G_N_ELEMENTS(cases); c++) {
    ike_header(buf, 0x4000000000000000ull + c, 2, IKEV2_EXCH_IKE_SA_INIT, IKEV2_FLAG_INITIATOR, 0,
               IKEV2_PL_NONCE, cases[c].header_length);
    memset(buf + IKE_HEADER_LEN, 0, 16);
    buf[IKE_HEADER_LEN + 2] = (guint8)(cases[c].payload_length >> 8);
    buf[IKE_HEADER_LEN + 3] = (guint8)cases[c].payload_length;
    /* An exact-size copy, so any read past the data is an ASan error. */
    guint8 *exact = g_memdup2(buf, cases[c].data_len);
    ike_parse_status_t status = ike_parse_message(exact, cases[c].data_len, &parsed);
    g_assert_cmpint(status, !=, IKE_PARSE_OK);
    g_assert_cmpuint(parsed.error_offset, <=, cases[c].data_len);
    ipsecdiag_packet_t pkt = packet(c + 1, c, 0x0a000001, 0x0b000001, 500);
    const ipsecdiag_frame_t *frame = ipsecdiag_engine_feed_ike(engine, &pkt, exact, cases[c].data_len);
    g_assert_cmpuint(count_rule(frame->findings, "ike_malformed"), ==, 1);
    g_free(exact);
  }
  ipsecdiag_engine_finalize(engine);
  ipsecdiag_engine_free(engine);
}

/* 100,000 chained payloads in one message: the parser keeps the first
 * IKE_MAX_PAYLOADS, reports IKE_PARSE_TOO_MANY, and the message is usable. */
static void test_deep_payload_chain(void)
{
  const guint n = 100000;
  gsize len = IKE_HEADER_LEN + (gsize)n * 4;
  guint8 *msg = g_malloc0(len);
  ike_header(msg, 0x5000000000000001ull, 2, IKEV2_EXCH_IKE_SA_INIT, IKEV2_FLAG_INITIATOR, 0, IKEV2_PL_VID,
             (guint32)len);
  for (guint i = 0; i < n; i++) {
    guint8 *payload = msg + IKE_HEADER_LEN + (gsize)i * 4;
    payload[0] = i + 1 < n ? IKEV2_PL_VID : 0;
    payload[3] = 4;                     /* an empty vendor ID */
  }
  ike_message_t parsed;
  ike_parse_status_t status = ike_parse_message(msg, len, &parsed);
  g_assert_cmpint(status, ==, IKE_PARSE_TOO_MANY);
  g_assert_cmpuint(parsed.n_payloads, ==, IKE_MAX_PAYLOADS);
  g_assert_cmpuint(parsed.n_vendor_ids, <=, IKE_MAX_VENDOR_IDS);

  ipsecdiag_engine_t *engine = ipsecdiag_engine_new();
  ipsecdiag_packet_t pkt = packet(1, 0, 0x0a000001, 0x0b000001, 500);
  const ipsecdiag_frame_t *frame = ipsecdiag_engine_feed_ike(engine, &pkt, msg, len);
  g_assert_cmpuint(frame->tunnel, ==, 1);
  g_assert_cmpstr(frame->message, ==, "IKE_SA_INIT request");
  ipsecdiag_engine_finalize(engine);
  ipsecdiag_engine_free(engine);
  g_free(msg);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/bounds/esp_spis", test_millions_of_esp_spis);
  g_test_add_func("/bounds/esp_sa_table_keys", test_esp_sa_table_keys);
  g_test_add_func("/bounds/esp_sa_table_folded_keys", test_esp_sa_table_folded_keys);
  g_test_add_func("/bounds/esp_sa_table_colliding_folds", test_esp_sa_table_colliding_folds);
  g_test_add_func("/bounds/frame_records_by_number", test_frame_records_by_number);
  g_test_add_func("/bounds/tunnels", test_tunnel_cap);
  g_test_add_func("/bounds/messages_per_tunnel", test_messages_per_tunnel);
  g_test_add_func("/bounds/endless_retransmissions", test_endless_retransmissions);
  g_test_add_func("/bounds/lying_lengths", test_lying_lengths);
  g_test_add_func("/bounds/deep_payload_chain", test_deep_payload_chain);
  return g_test_run();
}
