/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag: unit tests of the analysis engine's conversation tracking
 * (engine.c, engine_findings.c, engine_esp_icmp.c, engine_natd.c,
 * engine_labels.c). IKEv1 and IKEv2 messages are built here (header and
 * payload chain, with NAT-D hashes computed by libgcrypt as the peers would)
 * and fed in capture order; the tests check message names, roles, request /
 * response links, retransmissions, states, NAT detection, ESP and ICMP
 * linking, and every finding the engine raises, immediately or at finalize.
 *
 * Every finding any test produces is checked against the rules catalog
 * (rules/ *.rules): its rule id must exist and every {placeholder} of the
 * rule's summary must be one of its parameters.
 *
 * Scope: the conversation diagnoses, i.e. the rules of
 * rules/reachability.rules. Where a test expects "no findings" it means none
 * of those; what the negotiation checks say about the (deliberately plain)
 * proposals built here, such as SHA-1 integrity or IKEv1 in use, is left to
 * their own tests, though those findings are checked against the catalog
 * too.
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

/* Loaded once in main() from the source tree's rules/. */
static ipsecdiag_rules_t *catalog;
/* The conversation diagnoses (rules/reachability.rules) these tests are about. */
static ipsecdiag_rules_t *conversation_rules;
static GPtrArray *catalog_errors;
/* Rule ids of every finding checked so far (static strings of the engine). */
static GHashTable *rules_seen;

/* Messages built by a test; freed when the test's scenario ends. */
static GPtrArray *pool;

static const guint8 zero_spi[IKE_SPI_LEN];

/* RFC 3947 NAT-T vendor ID (MD5("RFC 3947")). */
static const guint8 vid_rfc3947[16] = {
  0x4a, 0x13, 0x1c, 0x81, 0x07, 0x03, 0x58, 0x45, 0x5c, 0x57, 0x28, 0xf2, 0x0e, 0x95, 0x45, 0x2f,
};

/* ---------- byte helpers ---------- */

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

static void putn(GByteArray *b, const void *data, gsize n)
{
  g_byte_array_append(b, data, (guint)n);
}

static void putfill(GByteArray *b, guint8 value, gsize n)
{
  while (n--)
    put8(b, value);
}

static void patch16(GByteArray *b, gsize at, guint v)
{
  b->data[at] = (guint8)(v >> 8);
  b->data[at + 1] = (guint8)v;
}

static void patch32(GByteArray *b, gsize at, guint32 v)
{
  patch16(b, at, v >> 16);
  patch16(b, at + 2, v & 0xffff);
}

static void spi_set(guint8 spi[IKE_SPI_LEN], guint64 value)
{
  for (int i = IKE_SPI_LEN - 1; i >= 0; i--, value >>= 8)
    spi[i] = (guint8)value;
}

static ipsecdiag_endpoint_t ep(const char *addr, guint16 port)
{
  ipsecdiag_endpoint_t e;
  memset(&e, 0, sizeof e);
  if (strchr(addr, ':')) {
    e.addr.family = 6;
    g_assert_cmpint(inet_pton(AF_INET6, addr, e.addr.bytes), ==, 1);
  } else {
    e.addr.family = 4;
    g_assert_cmpint(inet_pton(AF_INET, addr, e.addr.bytes), ==, 1);
  }
  e.port = port;
  return e;
}

static const char *addr_str(const ipsecdiag_addr_t *addr)
{
  static char buf[64];
  return ipsecdiag_addr_to_str(addr, buf, sizeof buf);
}

/* ---------- IKE message builder ---------- */

typedef struct {
  GByteArray *b;
  gsize last;                    /* offset of the last payload's generic header, 0 none */
} ike_t;

static ike_t ike_begin(guint8 version, const guint8 *spi_i, const guint8 *spi_r, guint8 exchange,
                       guint8 flags, guint32 message_id)
{
  ike_t m = {g_byte_array_new(), 0};
  putn(m.b, spi_i, IKE_SPI_LEN);
  putn(m.b, spi_r ? spi_r : zero_spi, IKE_SPI_LEN);
  put8(m.b, 0);                  /* next payload, set by the first payload */
  put8(m.b, (guint)version << 4);
  put8(m.b, exchange);
  put8(m.b, flags);
  put32(m.b, message_id);
  put32(m.b, 0);                 /* length, set by ike_end */
  return m;
}

static gsize pl_begin(ike_t *m, guint8 type)
{
  m->b->data[m->last ? m->last : 16] = type;
  m->last = m->b->len;
  put8(m->b, 0);
  put8(m->b, 0);
  put16(m->b, 0);
  return m->last;
}

static void pl_end(ike_t *m, gsize at)
{
  patch16(m->b, at + 2, (guint)(m->b->len - at));
}

static GByteArray *ike_end(ike_t *m)
{
  patch32(m->b, 24, m->b->len);
  g_ptr_array_add(pool, m->b);
  return m->b;
}

static gboolean ike_v2(const ike_t *m)
{
  return (m->b->data[17] >> 4) == 2;
}

static void add_raw(ike_t *m, guint8 type, guint8 fill, gsize n)
{
  gsize at = pl_begin(m, type);
  putfill(m->b, fill, n);
  pl_end(m, at);
}

static void add_sa(ike_t *m)
{
  gsize at = pl_begin(m, ike_v2(m) ? IKEV2_PL_SA : IKEV1_PL_SA);
  GByteArray *b = m->b;
  if (!ike_v2(m)) {
    put32(b, 1);                 /* DOI: IPsec */
    put32(b, 1);                 /* situation: identity only */
    gsize prop = b->len;
    put8(b, 0); put8(b, 0); put16(b, 0);
    put8(b, 1); put8(b, 1); put8(b, 0); put8(b, 1);   /* #1 ISAKMP, no SPI, 1 transform */
    gsize tr = b->len;
    put8(b, 0); put8(b, 0); put16(b, 0);
    put8(b, 1); put8(b, 1); put16(b, 0);              /* #1 KEY_IKE */
    put16(b, 0x8001); put16(b, 7);                    /* AES-CBC */
    put16(b, 0x800e); put16(b, 128);
    put16(b, 0x8002); put16(b, 2);                    /* SHA1 */
    put16(b, 0x8003); put16(b, 1);                    /* PSK */
    put16(b, 0x8004); put16(b, 14);                   /* group 14 */
    put16(b, 0x800b); put16(b, 1);                    /* life type seconds */
    put16(b, 0x000c); put16(b, 4); put32(b, 28800);   /* life duration (TLV) */
    patch16(b, tr + 2, (guint)(b->len - tr));
    patch16(b, prop + 2, (guint)(b->len - prop));
  } else {
    static const guint8 transforms[][3] = {{1, 12, 1}, {2, 2, 0}, {3, 2, 0}, {4, 14, 0}};
    gsize prop = b->len;
    put8(b, 0); put8(b, 0); put16(b, 0);
    put8(b, 1); put8(b, 1); put8(b, 0); put8(b, G_N_ELEMENTS(transforms));
    for (guint i = 0; i < G_N_ELEMENTS(transforms); i++) {
      put8(b, i + 1 < G_N_ELEMENTS(transforms) ? 3 : 0);
      put8(b, 0);
      put16(b, transforms[i][2] ? 12 : 8);
      put8(b, transforms[i][0]);
      put8(b, 0);
      put16(b, transforms[i][1]);
      if (transforms[i][2]) {
        put16(b, 0x800e);
        put16(b, 256);
      }
    }
    patch16(b, prop + 2, (guint)(b->len - prop));
  }
  pl_end(m, at);
}

static void add_ke(ike_t *m, guint8 fill)
{
  gsize at = pl_begin(m, ike_v2(m) ? IKEV2_PL_KE : IKEV1_PL_KE);
  if (ike_v2(m)) {
    put16(m->b, 14);
    put16(m->b, 0);
  }
  putfill(m->b, fill, 256);
  pl_end(m, at);
}

static void add_nonce(ike_t *m, guint8 fill)
{
  add_raw(m, ike_v2(m) ? IKEV2_PL_NONCE : IKEV1_PL_NONCE, fill, 32);
}

static void add_vid(ike_t *m, const guint8 *vid, gsize len)
{
  gsize at = pl_begin(m, ike_v2(m) ? IKEV2_PL_VID : IKEV1_PL_VID);
  putn(m->b, vid, len);
  pl_end(m, at);
}

static void add_id_v1(ike_t *m, const ipsecdiag_endpoint_t *e)
{
  gsize at = pl_begin(m, IKEV1_PL_ID);
  put8(m->b, e->addr.family == 6 ? 5 : 1);
  put8(m->b, 17);
  put16(m->b, 500);
  putn(m->b, e->addr.bytes, e->addr.family == 6 ? 16 : 4);
  pl_end(m, at);
}

static void add_notify(ike_t *m, guint16 type, const guint8 *data, gsize len)
{
  gsize at = pl_begin(m, ike_v2(m) ? IKEV2_PL_NOTIFY : IKEV1_PL_NOTIFY);
  if (!ike_v2(m))
    put32(m->b, 1);              /* DOI */
  put8(m->b, ike_v2(m) ? 0 : 1); /* protocol */
  put8(m->b, 0);                 /* SPI size */
  put16(m->b, type);
  if (len)
    putn(m->b, data, len);
  pl_end(m, at);
}

/* NAT-D hash as RFC 3947 (IKEv1, SHA-1 negotiated) and RFC 7296 2.23 define
 * it: HASH(SPIi | SPIr | IP | port), with the SPIs of this message's header. */
static void natd_hash(const ike_t *m, const ipsecdiag_endpoint_t *e, guint8 out[20])
{
  guint8 input[IKE_SPI_LEN * 2 + 16 + 2];
  gsize addr_len = e->addr.family == 6 ? 16 : 4;
  memcpy(input, m->b->data, 2 * IKE_SPI_LEN);
  memcpy(input + 2 * IKE_SPI_LEN, e->addr.bytes, addr_len);
  input[2 * IKE_SPI_LEN + addr_len] = (guint8)(e->port >> 8);
  input[2 * IKE_SPI_LEN + addr_len + 1] = (guint8)e->port;
  gcry_md_hash_buffer(GCRY_MD_SHA1, out, input, 2 * IKE_SPI_LEN + addr_len + 2);
}

/* IKEv1 NAT-D payload (type 20). */
static void add_natd_v1(ike_t *m, const ipsecdiag_endpoint_t *e)
{
  guint8 hash[20];
  natd_hash(m, e, hash);
  gsize at = pl_begin(m, IKEV1_PL_NAT_D);
  putn(m->b, hash, sizeof hash);
  pl_end(m, at);
}

/* IKEv2 NAT_DETECTION_SOURCE_IP / _DESTINATION_IP notify. */
static void add_natd_v2(ike_t *m, guint16 type, const ipsecdiag_endpoint_t *e)
{
  guint8 hash[20];
  natd_hash(m, e, hash);
  add_notify(m, type, hash, sizeof hash);
}

/* IKEv2 SK payload: the next-payload field names the first inner payload. */
static void add_sk(ike_t *m, guint8 inner, guint8 fill, gsize len)
{
  gsize at = pl_begin(m, IKEV2_PL_SK);
  m->b->data[at] = inner;
  putfill(m->b, fill, len);
  pl_end(m, at);
}

/* IKEv1 encrypted body: everything after the header is ciphertext; the
 * header's next payload names the first payload inside (HASH). */
static GByteArray *v1_encrypted(const guint8 *spi_i, const guint8 *spi_r, guint8 exchange,
                                guint32 message_id, guint8 fill, gsize len)
{
  ike_t m = ike_begin(1, spi_i, spi_r, exchange, IKEV1_FLAG_ENCRYPTION, message_id);
  m.b->data[16] = IKEV1_PL_HASH;
  putfill(m.b, fill, len);
  return ike_end(&m);
}

/* ---------- the two peers of a conversation ---------- */

typedef struct {
  guint8 spi_i[IKE_SPI_LEN], spi_r[IKE_SPI_LEN];
  ipsecdiag_endpoint_t i, r;             /* as the capture shows them on UDP 500 */
  ipsecdiag_endpoint_t i4500, r4500;     /* and on UDP 4500 */
  ipsecdiag_endpoint_t i_natd_src;       /* what the initiator hashes as its own address */
  ipsecdiag_endpoint_t i_natd_dst;       /* ... as the responder's */
  ipsecdiag_endpoint_t r_natd_src;       /* what the responder hashes as its own address */
  ipsecdiag_endpoint_t r_natd_dst;       /* ... as the initiator's */
  guint8 ttl_i, ttl_r;                   /* TTL of each peer's packets as captured */
} peers_t;

static void peers_set_endpoints(peers_t *p, const char *i, const char *r)
{
  p->i = ep(i, 500);
  p->r = ep(r, 500);
  p->i4500 = ep(i, 4500);
  p->r4500 = ep(r, 4500);
  p->i_natd_src = p->r_natd_dst = p->i;
  p->i_natd_dst = p->r_natd_src = p->r;
}

/* No NAT, capture next to the initiator (its packets keep TTL 64). */
static peers_t peers_new(guint64 spi_i, guint64 spi_r)
{
  peers_t p;
  memset(&p, 0, sizeof p);
  spi_set(p.spi_i, spi_i);
  spi_set(p.spi_r, spi_r);
  peers_set_endpoints(&p, "192.0.2.10", "198.51.100.20");
  p.ttl_i = 64;
  p.ttl_r = 57;
  return p;
}

/* The initiator sits behind a NAT: it hashes its private address; the
 * capture (outside the NAT) and the responder see the NAT's, and its packets
 * crossed the NAT router (TTL 63). */
static void peers_nat_initiator(peers_t *p)
{
  p->i_natd_src = ep("10.0.0.5", 500);
  if (p->ttl_i == 64)
    p->ttl_i = 63;
}

/* Capture next to the responder: the initiator's packets crossed routers. */
static void peers_responder_side(peers_t *p)
{
  p->ttl_i = 52;
  p->ttl_r = 64;
}

/* IKEv1 Main Mode, by position 1..6 (MI1 MR1 MI2 MR2 MI3 MR3). */
static GByteArray *mm(const peers_t *p, int n)
{
  gboolean from_i = n % 2 == 1;
  if (n >= 5)
    return v1_encrypted(p->spi_i, p->spi_r, IKEV1_EXCH_MAIN, 0, (guint8)(0xe0 + n), 76);
  ike_t m = ike_begin(1, p->spi_i, n == 1 ? NULL : p->spi_r, IKEV1_EXCH_MAIN, 0, 0);
  if (n <= 2) {
    add_sa(&m);
    add_vid(&m, vid_rfc3947, sizeof vid_rfc3947);
  } else {
    add_ke(&m, from_i ? 0x11 : 0x22);
    add_nonce(&m, from_i ? 0x33 : 0x44);
    /* The first NAT-D hashes the receiver's address, the next the sender's. */
    add_natd_v1(&m, from_i ? &p->i_natd_dst : &p->r_natd_dst);
    add_natd_v1(&m, from_i ? &p->i_natd_src : &p->r_natd_src);
  }
  return ike_end(&m);
}

/* IKEv1 Quick Mode message (encrypted); tag tells QI1/QR1/QI2 apart. */
static GByteArray *qm(const peers_t *p, guint32 message_id, guint8 tag)
{
  return v1_encrypted(p->spi_i, p->spi_r, IKEV1_EXCH_QUICK, message_id, tag, 140);
}

/* IKEv1 Aggressive Mode, by position 1..3 (AI1 AR1 AI2). */
static GByteArray *am(const peers_t *p, int n)
{
  ike_t m = ike_begin(1, p->spi_i, n == 1 ? NULL : p->spi_r, IKEV1_EXCH_AGGRESSIVE, 0, 0);
  if (n <= 2) {
    add_sa(&m);
    add_ke(&m, n == 1 ? 0x11 : 0x21);
    add_nonce(&m, n == 1 ? 0x12 : 0x22);
    add_id_v1(&m, n == 1 ? &p->i : &p->r);
  }
  if (n >= 2)
    add_raw(&m, IKEV1_PL_HASH, (guint8)(0x20 + n), 20);
  return ike_end(&m);
}

static GByteArray *v2_init(const peers_t *p, gboolean response)
{
  ike_t m = ike_begin(2, p->spi_i, response ? p->spi_r : NULL, IKEV2_EXCH_IKE_SA_INIT,
                      response ? IKEV2_FLAG_RESPONSE : IKEV2_FLAG_INITIATOR, 0);
  add_sa(&m);
  add_ke(&m, response ? 0x22 : 0x11);
  add_nonce(&m, response ? 0x44 : 0x33);
  add_natd_v2(&m, IKEV2_N_NAT_DETECTION_SOURCE_IP, response ? &p->r_natd_src : &p->i_natd_src);
  add_natd_v2(&m, IKEV2_N_NAT_DETECTION_DESTINATION_IP, response ? &p->r_natd_dst : &p->i_natd_dst);
  return ike_end(&m);
}

/* An encrypted IKEv2 message (IKE_AUTH, CREATE_CHILD_SA, INFORMATIONAL). */
static GByteArray *v2_sk(const peers_t *p, guint8 exchange, gboolean from_initiator, gboolean response,
                         guint32 message_id, guint8 fill)
{
  guint8 flags = (from_initiator ? IKEV2_FLAG_INITIATOR : 0) | (response ? IKEV2_FLAG_RESPONSE : 0);
  ike_t m = ike_begin(2, p->spi_i, p->spi_r, exchange, flags, message_id);
  add_sk(&m, exchange == IKEV2_EXCH_IKE_AUTH ? IKEV2_PL_IDI : IKEV2_PL_SA, fill, 96);
  return ike_end(&m);
}

/* ---------- scenario: one engine fed in capture order ---------- */

typedef struct {
  ipsecdiag_engine_t *engine;
  guint32 frame;                 /* last frame number used */
} sc_t;

static sc_t sc_new(void)
{
  sc_t s = {ipsecdiag_engine_new(), 0};
  return s;
}

/* An exact-size heap copy, so that a sanitizer build sees any over-read
 * (1 byte allocated for empty data, none of it copied). */
static guint8 *copy_exact(const guint8 *data, gsize len)
{
  guint8 *copy = g_malloc(len ? len : 1);
  if (len)
    memcpy(copy, data, len);
  return copy;
}

static const ipsecdiag_frame_t *feed_raw(sc_t *s, double time, const ipsecdiag_endpoint_t *src,
                                         const ipsecdiag_endpoint_t *dst, guint8 ttl,
                                         const guint8 *data, gsize len)
{
  ipsecdiag_packet_t pkt;
  memset(&pkt, 0, sizeof pkt);
  pkt.frame = ++s->frame;
  pkt.time = time;
  pkt.src = *src;
  pkt.dst = *dst;
  pkt.ttl = ttl;
  pkt.non_esp_marker = src->port == 4500 || dst->port == 4500;
  guint8 *copy = copy_exact(data, len);
  const ipsecdiag_frame_t *frame = ipsecdiag_engine_feed_ike(s->engine, &pkt, copy, len);
  g_free(copy);
  g_assert_nonnull(frame);
  g_assert_cmpuint(frame->frame, ==, pkt.frame);
  g_assert_true(frame == ipsecdiag_engine_frame(s->engine, pkt.frame));
  return frame;
}

/* Send a message between the peers: from the initiator or the responder,
 * on UDP 500 or (after the NAT-T switch) on UDP 4500. */
static const ipsecdiag_frame_t *send_msg(sc_t *s, double time, const peers_t *p, gboolean from_i,
                                         gboolean natt, const GByteArray *m)
{
  const ipsecdiag_endpoint_t *i = natt ? &p->i4500 : &p->i, *r = natt ? &p->r4500 : &p->r;
  return feed_raw(s, time, from_i ? i : r, from_i ? r : i, from_i ? p->ttl_i : p->ttl_r, m->data, m->len);
}

#define FROM_I TRUE
#define FROM_R FALSE
#define P500 FALSE
#define P4500 TRUE

static void feed_esp(sc_t *s, double time, const ipsecdiag_endpoint_t *src, const ipsecdiag_endpoint_t *dst,
                     guint32 spi, guint32 sequence, guint32 length)
{
  ipsecdiag_packet_t pkt;
  memset(&pkt, 0, sizeof pkt);
  pkt.frame = ++s->frame;
  pkt.time = time;
  pkt.src = *src;
  pkt.dst = *dst;
  pkt.ttl = 64;
  /* A record only for a packet that carries a finding (ESP health, tests/unit/test_engine_esp.c). */
  const ipsecdiag_frame_t *frame = ipsecdiag_engine_feed_esp(s->engine, &pkt, spi, sequence, length);
  g_assert_true(frame == ipsecdiag_engine_frame(s->engine, pkt.frame));
  if (frame)
    g_assert_true(frame->findings && frame->findings->len > 0);
}

/* ---------- findings ---------- */

/* rule NULL: any conversation finding (see the scope above). */
static gboolean finding_matches(const ipsecdiag_finding_t *f, const char *rule)
{
  if (rule)
    return strcmp(f->rule_id, rule) == 0;
  return ipsecdiag_rules_lookup(conversation_rules, f->rule_id) != NULL;
}

static const ipsecdiag_finding_t *finding_on(const ipsecdiag_frame_t *frame, const char *rule)
{
  for (guint i = 0; frame && frame->findings && i < frame->findings->len; i++) {
    const ipsecdiag_finding_t *f = g_ptr_array_index(frame->findings, i);
    if (finding_matches(f, rule))
      return f;
  }
  return NULL;
}

static guint findings_on(const ipsecdiag_frame_t *frame, const char *rule)
{
  guint n = 0;
  for (guint i = 0; frame && frame->findings && i < frame->findings->len; i++) {
    if (finding_matches(g_ptr_array_index(frame->findings, i), rule))
      n++;
  }
  return n;
}

/* The tunnel's conversation findings. */
static guint tunnel_findings(const ipsecdiag_tunnel_t *tunnel)
{
  guint n = 0;
  for (guint i = 0; i < tunnel->findings->len; i++)
    if (finding_matches(g_ptr_array_index(tunnel->findings, i), NULL))
      n++;
  return n;
}

/* Over every frame of the scenario. */
static guint findings_total(const sc_t *s, const char *rule)
{
  guint n = 0;
  for (guint32 i = 0; i <= s->frame; i++)
    n += findings_on(ipsecdiag_engine_frame(s->engine, i), rule);
  return n;
}

static const ipsecdiag_frame_t *fr(const sc_t *s, guint32 number)
{
  const ipsecdiag_frame_t *frame = ipsecdiag_engine_frame(s->engine, number);
  g_assert_nonnull(frame);
  return frame;
}

static const ipsecdiag_tunnel_t *tun(const sc_t *s, guint32 id)
{
  const ipsecdiag_tunnel_t *tunnel = ipsecdiag_engine_tunnel(s->engine, id);
  g_assert_nonnull(tunnel);
  g_assert_cmpuint(tunnel->id, ==, id);
  return tunnel;
}

#define assert_param(finding, key, value) \
  g_assert_cmpstr(ipsecdiag_finding_param((finding), (key)), ==, (value))

/* The rule exists and its summary's placeholders are all parameters. */
static void check_finding(const ipsecdiag_finding_t *f)
{
  g_assert_nonnull(f);
  g_assert_nonnull(f->rule_id);
  const ipsecdiag_rule_t *rule = ipsecdiag_rules_lookup(catalog, f->rule_id);
  if (!rule)
    g_test_message("rule id %s is not in rules/*.rules", f->rule_id);
  g_assert_nonnull(rule);
  for (guint i = 0; i < f->n_params; i++) {
    g_assert_nonnull(f->keys[i]);
    g_assert_nonnull(f->values[i]);
  }
  GRegex *re = g_regex_new("\\{([A-Za-z0-9_]+)\\}", 0, 0, NULL);
  GMatchInfo *match;
  g_regex_match(re, rule->summary, 0, &match);
  while (g_match_info_matches(match)) {
    char *name = g_match_info_fetch(match, 1);
    if (!ipsecdiag_finding_param(f, name))
      g_test_message("finding %s lacks parameter {%s} of its summary", f->rule_id, name);
    g_assert_nonnull(ipsecdiag_finding_param(f, name));
    g_free(name);
    g_match_info_next(match, NULL);
  }
  g_match_info_free(match);
  g_regex_unref(re);
  char *text = ipsecdiag_rule_render(rule->summary, (const char *const *)f->keys,
                                     (const char *const *)f->values, f->n_params);
  g_assert_null(strchr(text, '{'));
  g_free(text);
  g_hash_table_add(rules_seen, (gpointer)f->rule_id);
}

/* Check every finding of the scenario and of every tunnel, then free it. */
static void sc_finish(sc_t *s)
{
  for (guint32 i = 0; i <= s->frame + 1; i++) {
    const ipsecdiag_frame_t *frame = ipsecdiag_engine_frame(s->engine, i);
    for (guint j = 0; frame && frame->findings && j < frame->findings->len; j++) {
      const ipsecdiag_finding_t *f = g_ptr_array_index(frame->findings, j);
      check_finding(f);
      g_assert_cmpuint(f->frame, ==, i);
    }
  }
  const GPtrArray *global = ipsecdiag_engine_global_findings(s->engine);
  for (guint j = 0; j < global->len; j++)
    check_finding(g_ptr_array_index(global, j));
  GPtrArray *out = g_ptr_array_new_with_free_func(ipsecdiag_finding_free);
  guint n = ipsecdiag_engine_tunnel_count(s->engine);
  for (guint32 id = 1; id <= n; id++) {
    const ipsecdiag_tunnel_t *tunnel = tun(s, id);
    for (guint j = 0; j < tunnel->findings->len; j++) {
      const ipsecdiag_finding_t *f = g_ptr_array_index(tunnel->findings, j);
      check_finding(f);
      g_assert_cmpuint(f->tunnel, ==, id);
    }
    ipsecdiag_engine_evaluate_tunnel(s->engine, id, out);
  }
  for (guint j = 0; j < out->len; j++)
    check_finding(g_ptr_array_index(out, j));
  g_ptr_array_free(out, TRUE);
  ipsecdiag_engine_free(s->engine);
  s->engine = NULL;
  g_ptr_array_set_size(pool, 0);
}

/* ---------- IKEv1 ---------- */

static void test_v1_main_mode_healthy(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x1111111111111111ull, 0x2222222222222222ull);
  static const char *const names[] = {"MI1", "MR1", "MI2", "MR2", "MI3", "MR3"};
  static const guint8 states[] = {IPSECDIAG_ST_MI1, IPSECDIAG_ST_MR1, IPSECDIAG_ST_MI2,
                                  IPSECDIAG_ST_MR2, IPSECDIAG_ST_MI3, IPSECDIAG_ST_P1_DONE};
  static const char *const state_names[] = {"phase 1: MI1", "phase 1: MR1", "phase 1: MI2",
                                            "phase 1: MR2", "phase 1: MI3", "IKE SA up"};

  for (int n = 1; n <= 6; n++) {
    const ipsecdiag_frame_t *f = send_msg(&s, 0.1 * n, &p, n % 2 == 1, P500, mm(&p, n));
    g_assert_cmpuint(f->kind, ==, IPSECDIAG_FRAME_IKE);
    g_assert_cmpuint(f->parse_status, ==, IKE_PARSE_OK);
    g_assert_cmpuint(f->tunnel, ==, 1);
    g_assert_cmpstr(f->message, ==, names[n - 1]);
    g_assert_cmpuint(f->sender_role, ==, n % 2 ? IPSECDIAG_ROLE_INITIATOR : IPSECDIAG_ROLE_RESPONDER);
    g_assert_cmpuint(f->state, ==, states[n - 1]);
    g_assert_cmpstr(ipsecdiag_state_name(f->state), ==, state_names[n - 1]);
    g_assert_cmpuint(f->exchange_type, ==, IKEV1_EXCH_MAIN);
    g_assert_cmpuint(f->retransmission_of, ==, 0);
    g_assert_null(finding_on(f, NULL));
  }
  /* Quick Mode with a message ID of its own. */
  const ipsecdiag_frame_t *qi1 = send_msg(&s, 1.0, &p, FROM_I, P500, qm(&p, 0x5eed0001, 1));
  const ipsecdiag_frame_t *qr1 = send_msg(&s, 1.1, &p, FROM_R, P500, qm(&p, 0x5eed0001, 2));
  const ipsecdiag_frame_t *qi2 = send_msg(&s, 1.2, &p, FROM_I, P500, qm(&p, 0x5eed0001, 3));
  g_assert_cmpstr(qi1->message, ==, "QI1");
  g_assert_cmpstr(qr1->message, ==, "QR1");
  g_assert_cmpstr(qi2->message, ==, "QI2");
  g_assert_cmpuint(qi1->sender_role, ==, IPSECDIAG_ROLE_INITIATOR);
  g_assert_cmpuint(qr1->sender_role, ==, IPSECDIAG_ROLE_RESPONDER);
  g_assert_cmpuint(qi2->sender_role, ==, IPSECDIAG_ROLE_INITIATOR);
  g_assert_cmpuint(qi1->message_id, ==, 0x5eed0001);
  g_assert_cmpstr(ipsecdiag_state_name(qi1->state), ==, "Child SA requested");
  g_assert_cmpstr(ipsecdiag_state_name(qr1->state), ==, "Child SA answered");
  g_assert_cmpstr(ipsecdiag_state_name(qi2->state), ==, "Child SA up");
  g_assert_cmpuint(qi2->state, ==, IPSECDIAG_ST_P2_DONE);

  /* Responses link to their requests, and requests to their responses. */
  for (guint32 n = 1; n <= 5; n += 2) {
    g_assert_cmpuint(fr(&s, n)->response_frame, ==, n + 1);
    g_assert_cmpuint(fr(&s, n)->request_frame, ==, 0);
    g_assert_cmpuint(fr(&s, n + 1)->request_frame, ==, n);
    g_assert_cmpuint(fr(&s, n + 1)->response_frame, ==, 0);
  }
  g_assert_cmpuint(qi1->response_frame, ==, 8);
  g_assert_cmpuint(qr1->request_frame, ==, 7);
  g_assert_cmpuint(qi2->request_frame, ==, 0);
  g_assert_cmpuint(qi2->response_frame, ==, 0);

  const ipsecdiag_tunnel_t *t = tun(&s, 1);
  g_assert_cmpuint(ipsecdiag_engine_tunnel_count(s.engine), ==, 1);
  g_assert_cmpuint(t->version, ==, 1);
  g_assert_cmpuint(t->mode, ==, IKEV1_EXCH_MAIN);
  g_assert_cmpmem(t->spi_i, IKE_SPI_LEN, p.spi_i, IKE_SPI_LEN);
  g_assert_cmpmem(t->spi_r, IKE_SPI_LEN, p.spi_r, IKE_SPI_LEN);
  g_assert_true(ipsecdiag_addr_equal(&t->initiator.addr, &p.i.addr));
  g_assert_cmpuint(t->initiator.port, ==, 500);
  g_assert_true(ipsecdiag_addr_equal(&t->responder.addr, &p.r.addr));
  g_assert_false(t->roles_guessed);
  g_assert_false(t->natt_used);
  g_assert_true(t->natt_offered);
  g_assert_cmpint(t->nat_initiator, ==, 0);
  g_assert_cmpint(t->nat_responder, ==, 0);
  g_assert_cmpuint(t->capture_side, ==, IPSECDIAG_SIDE_INITIATOR);
  g_assert_cmpuint(t->state, ==, IPSECDIAG_ST_P2_DONE);
  g_assert_cmpuint(t->n_packets, ==, 9);
  g_assert_cmpuint(t->n_messages, ==, 9);
  g_assert_cmpuint(t->n_retransmissions, ==, 0);
  g_assert_cmpuint(t->first_frame, ==, 1);
  g_assert_cmpuint(t->last_frame, ==, 9);
  g_assert_cmpuint(t->initiator_ttl, ==, 64);
  g_assert_cmpuint(t->responder_ttl, ==, 57);

  g_assert_false(ipsecdiag_engine_is_finalized(s.engine));
  ipsecdiag_engine_finalize(s.engine);
  g_assert_true(ipsecdiag_engine_is_finalized(s.engine));
  g_assert_cmpuint(findings_total(&s, NULL), ==, 0);
  g_assert_cmpuint(tunnel_findings(t), ==, 0);
  g_assert_cmpuint(ipsecdiag_engine_global_findings(s.engine)->len, ==, 0);
  GPtrArray *out = g_ptr_array_new_with_free_func(ipsecdiag_finding_free);
  ipsecdiag_engine_evaluate_tunnel(s.engine, 1, out);
  ipsecdiag_engine_evaluate_tunnel(s.engine, 2, out);   /* no such tunnel */
  ipsecdiag_engine_evaluate_tunnel(s.engine, 0, out);
  g_assert_cmpuint(out->len, ==, 0);
  g_ptr_array_free(out, TRUE);
  sc_finish(&s);
}

static void test_v1_aggressive_mode(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0xa1a1a1a1a1a1a1a1ull, 0xb2b2b2b2b2b2b2b2ull);
  const ipsecdiag_frame_t *f1 = send_msg(&s, 0.0, &p, FROM_I, P500, am(&p, 1));
  const ipsecdiag_frame_t *f2 = send_msg(&s, 0.1, &p, FROM_R, P500, am(&p, 2));
  const ipsecdiag_frame_t *f3 = send_msg(&s, 0.2, &p, FROM_I, P500, am(&p, 3));
  g_assert_cmpstr(f1->message, ==, "AI1");
  g_assert_cmpstr(f2->message, ==, "AR1");
  g_assert_cmpstr(f3->message, ==, "AI2");
  g_assert_cmpuint(f1->response_frame, ==, 2);
  g_assert_cmpuint(f2->request_frame, ==, 1);
  g_assert_cmpuint(f1->state, ==, IPSECDIAG_ST_AI1);
  g_assert_cmpuint(f2->state, ==, IPSECDIAG_ST_AR1);
  g_assert_cmpuint(f3->state, ==, IPSECDIAG_ST_P1_DONE);
  g_assert_cmpstr(ipsecdiag_state_name(f2->state), ==, "phase 1: AR1");
  g_assert_cmpuint(tun(&s, 1)->mode, ==, IKEV1_EXCH_AGGRESSIVE);
  ipsecdiag_engine_finalize(s.engine);
  g_assert_cmpuint(findings_total(&s, NULL), ==, 0);
  sc_finish(&s);
}

/* A capture that starts after MI1: both cookies are set in the first
 * message seen, so the roles are guessed (the sender is taken as initiator). */
static void test_v1_roles_guessed(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x0101010101010101ull, 0x0202020202020202ull);
  const ipsecdiag_frame_t *f = send_msg(&s, 0.0, &p, FROM_I, P500, mm(&p, 3));
  g_assert_cmpstr(f->message, ==, "MI2");
  g_assert_cmpuint(f->sender_role, ==, IPSECDIAG_ROLE_INITIATOR);
  g_assert_true(tun(&s, 1)->roles_guessed);
  f = send_msg(&s, 0.1, &p, FROM_R, P500, mm(&p, 4));
  g_assert_cmpstr(f->message, ==, "MR2");
  g_assert_cmpuint(f->request_frame, ==, 1);
  sc_finish(&s);
}

/* ---------- IKEv2 ---------- */

static void test_v2_exchanges(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x3333333333333333ull, 0x4444444444444444ull);

  const ipsecdiag_frame_t *f1 = send_msg(&s, 0.0, &p, FROM_I, P500, v2_init(&p, FALSE));
  const ipsecdiag_frame_t *f2 = send_msg(&s, 0.1, &p, FROM_R, P500, v2_init(&p, TRUE));
  const ipsecdiag_frame_t *f3 = send_msg(&s, 0.2, &p, FROM_I, P500, v2_sk(&p, IKEV2_EXCH_IKE_AUTH, TRUE, FALSE, 1, 0x51));
  const ipsecdiag_frame_t *f4 = send_msg(&s, 0.3, &p, FROM_R, P500, v2_sk(&p, IKEV2_EXCH_IKE_AUTH, FALSE, TRUE, 1, 0x52));
  const ipsecdiag_frame_t *f5 = send_msg(&s, 5.0, &p, FROM_I, P500, v2_sk(&p, IKEV2_EXCH_CREATE_CHILD_SA, TRUE, FALSE, 2, 0x53));
  /* A second request before the first is answered (window size > 1). */
  const ipsecdiag_frame_t *f6 = send_msg(&s, 5.1, &p, FROM_I, P500, v2_sk(&p, IKEV2_EXCH_INFORMATIONAL, TRUE, FALSE, 3, 0x54));
  const ipsecdiag_frame_t *f7 = send_msg(&s, 5.2, &p, FROM_R, P500, v2_sk(&p, IKEV2_EXCH_CREATE_CHILD_SA, FALSE, TRUE, 2, 0x55));
  const ipsecdiag_frame_t *f8 = send_msg(&s, 5.3, &p, FROM_R, P500, v2_sk(&p, IKEV2_EXCH_INFORMATIONAL, FALSE, TRUE, 3, 0x56));
  /* The responder's own request (its message IDs count from 0) and the initiator's answer. */
  const ipsecdiag_frame_t *f9 = send_msg(&s, 9.0, &p, FROM_R, P500, v2_sk(&p, IKEV2_EXCH_INFORMATIONAL, FALSE, FALSE, 0, 0x57));
  const ipsecdiag_frame_t *f10 = send_msg(&s, 9.1, &p, FROM_I, P500, v2_sk(&p, IKEV2_EXCH_INFORMATIONAL, TRUE, TRUE, 0, 0x58));

  g_assert_cmpstr(f1->message, ==, "IKE_SA_INIT request");
  g_assert_cmpstr(f2->message, ==, "IKE_SA_INIT response");
  g_assert_cmpstr(f3->message, ==, "IKE_AUTH request");
  g_assert_cmpstr(f4->message, ==, "IKE_AUTH response");
  g_assert_cmpstr(f5->message, ==, "CREATE_CHILD_SA request");
  g_assert_cmpstr(f6->message, ==, "INFORMATIONAL request");
  g_assert_cmpstr(f7->message, ==, "CREATE_CHILD_SA response");
  g_assert_cmpstr(f8->message, ==, "INFORMATIONAL response");
  g_assert_cmpstr(f9->message, ==, "INFORMATIONAL request");
  g_assert_cmpstr(f10->message, ==, "INFORMATIONAL response");

  const ipsecdiag_frame_t *by_i[] = {f1, f3, f5, f6, f10};
  const ipsecdiag_frame_t *by_r[] = {f2, f4, f7, f8, f9};
  for (guint i = 0; i < G_N_ELEMENTS(by_i); i++) {
    g_assert_cmpuint(by_i[i]->sender_role, ==, IPSECDIAG_ROLE_INITIATOR);
    g_assert_cmpuint(by_r[i]->sender_role, ==, IPSECDIAG_ROLE_RESPONDER);
  }
  /* Linked by message ID and exchange, not by order. */
  g_assert_cmpuint(f1->response_frame, ==, 2);
  g_assert_cmpuint(f2->request_frame, ==, 1);
  g_assert_cmpuint(f3->response_frame, ==, 4);
  g_assert_cmpuint(f4->request_frame, ==, 3);
  g_assert_cmpuint(f5->response_frame, ==, 7);
  g_assert_cmpuint(f7->request_frame, ==, 5);
  g_assert_cmpuint(f6->response_frame, ==, 8);
  g_assert_cmpuint(f8->request_frame, ==, 6);
  g_assert_cmpuint(f9->response_frame, ==, 10);
  g_assert_cmpuint(f10->request_frame, ==, 9);
  g_assert_cmpuint(f9->request_frame, ==, 0);
  g_assert_cmpuint(f5->message_id, ==, 2);
  g_assert_cmpuint(f6->exchange_type, ==, IKEV2_EXCH_INFORMATIONAL);

  g_assert_cmpuint(f1->state, ==, IPSECDIAG_ST_INIT_REQ);
  g_assert_cmpuint(f2->state, ==, IPSECDIAG_ST_INIT_RESP);
  g_assert_cmpuint(f3->state, ==, IPSECDIAG_ST_AUTH_REQ);
  g_assert_cmpuint(f4->state, ==, IPSECDIAG_ST_P1_DONE);
  g_assert_cmpuint(f5->state, ==, IPSECDIAG_ST_P2_REQ);
  g_assert_cmpuint(f7->state, ==, IPSECDIAG_ST_P2_RESP);
  g_assert_cmpuint(f10->state, ==, IPSECDIAG_ST_P2_RESP);   /* INFORMATIONAL does not move it */
  g_assert_cmpstr(ipsecdiag_state_name(f1->state), ==, "IKE_SA_INIT request");
  g_assert_cmpstr(ipsecdiag_state_name(f2->state), ==, "IKE_SA_INIT done");
  g_assert_cmpstr(ipsecdiag_state_name(f4->state), ==, "IKE SA up");

  const ipsecdiag_tunnel_t *t = tun(&s, 1);
  g_assert_cmpuint(ipsecdiag_engine_tunnel_count(s.engine), ==, 1);
  g_assert_cmpuint(t->version, ==, 2);
  g_assert_cmpuint(t->mode, ==, IKEV2_EXCH_IKE_SA_INIT);
  g_assert_cmpmem(t->spi_r, IKE_SPI_LEN, p.spi_r, IKE_SPI_LEN);
  g_assert_true(ipsecdiag_addr_equal(&t->initiator.addr, &p.i.addr));
  g_assert_cmpint(t->nat_initiator, ==, 0);
  g_assert_cmpint(t->nat_responder, ==, 0);
  ipsecdiag_engine_finalize(s.engine);
  g_assert_cmpuint(findings_total(&s, NULL), ==, 0);
  sc_finish(&s);
}

/* The first message seen is the responder's (capture started late): the
 * IKEv2 flags still tell the roles. */
static void test_v2_roles_from_flags(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x3434343434343434ull, 0x4545454545454545ull);
  const ipsecdiag_frame_t *f = send_msg(&s, 0.0, &p, FROM_R, P500, v2_init(&p, TRUE));
  g_assert_cmpuint(f->sender_role, ==, IPSECDIAG_ROLE_RESPONDER);
  const ipsecdiag_tunnel_t *t = tun(&s, 1);
  g_assert_true(ipsecdiag_addr_equal(&t->initiator.addr, &p.i.addr));
  g_assert_true(ipsecdiag_addr_equal(&t->responder.addr, &p.r.addr));
  g_assert_cmpuint(f->request_frame, ==, 0);
  sc_finish(&s);
}

/* The same initiator SPI reused by the other IKE version is another SA. */
static void test_spi_reused_by_other_version(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x5656565656565656ull, 0x6767676767676767ull);
  const ipsecdiag_frame_t *f1 = send_msg(&s, 0.0, &p, FROM_I, P500, mm(&p, 1));
  const ipsecdiag_frame_t *f2 = send_msg(&s, 0.1, &p, FROM_I, P500, v2_init(&p, FALSE));
  g_assert_cmpuint(f1->tunnel, ==, 1);
  g_assert_cmpuint(f2->tunnel, ==, 2);
  g_assert_cmpuint(tun(&s, 2)->version, ==, 2);
  g_assert_cmpuint(tun(&s, 2)->supersedes, ==, 1);
  g_assert_cmpuint(tun(&s, 1)->superseded_by, ==, 2);
  sc_finish(&s);
}

/* ---------- retransmissions ---------- */

static void test_retransmission_identical(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x5555555555555555ull, 0x6666666666666666ull);
  GByteArray *req = v2_init(&p, FALSE);
  GByteArray *resp = v2_init(&p, TRUE);

  const ipsecdiag_frame_t *f1 = send_msg(&s, 10.0, &p, FROM_I, P500, req);
  const ipsecdiag_frame_t *f2 = send_msg(&s, 10.5, &p, FROM_I, P500, req);
  g_assert_cmpuint(f1->retransmission_of, ==, 0);
  g_assert_cmpuint(f2->retransmission_of, ==, 1);
  g_assert_cmpuint(f2->retransmission_number, ==, 1);
  g_assert_cmpfloat_with_epsilon(f2->retransmission_delay, 0.5, 1e-9);
  g_assert_cmpstr(f2->message, ==, "IKE_SA_INIT request");
  g_assert_cmpuint(f2->sender_role, ==, IPSECDIAG_ROLE_INITIATOR);
  g_assert_cmpuint(f2->tunnel, ==, 1);
  g_assert_cmpuint(f2->state, ==, IPSECDIAG_ST_INIT_REQ);
  g_assert_null(finding_on(f2, NULL));

  const ipsecdiag_frame_t *f3 = send_msg(&s, 11.0, &p, FROM_R, P500, resp);
  g_assert_cmpuint(f3->retransmission_of, ==, 0);
  g_assert_cmpuint(f3->request_frame, ==, 1);     /* the first transmission */
  g_assert_cmpuint(f1->response_frame, ==, 3);
  g_assert_cmpuint(f2->response_frame, ==, 0);

  /* The responder answers the same request again (identical bytes). */
  const ipsecdiag_frame_t *f4 = send_msg(&s, 12.5, &p, FROM_R, P500, resp);
  g_assert_cmpuint(f4->retransmission_of, ==, 3);
  g_assert_cmpuint(f4->retransmission_number, ==, 1);
  g_assert_cmpfloat_with_epsilon(f4->retransmission_delay, 1.5, 1e-9);
  g_assert_cmpuint(f4->request_frame, ==, 0);
  g_assert_cmpstr(f4->message, ==, "IKE_SA_INIT response");
  g_assert_cmpuint(f4->sender_role, ==, IPSECDIAG_ROLE_RESPONDER);

  /* Numbers count up and the delay is from the previous transmission. */
  const ipsecdiag_frame_t *f5 = send_msg(&s, 14.5, &p, FROM_R, P500, resp);
  g_assert_cmpuint(f5->retransmission_of, ==, 3);
  g_assert_cmpuint(f5->retransmission_number, ==, 2);
  g_assert_cmpfloat_with_epsilon(f5->retransmission_delay, 2.0, 1e-9);

  const ipsecdiag_tunnel_t *t = tun(&s, 1);
  g_assert_cmpuint(t->n_packets, ==, 5);
  g_assert_cmpuint(t->n_messages, ==, 2);
  g_assert_cmpuint(t->n_retransmissions, ==, 3);
  g_assert_cmpuint(t->messages[0].sends, ==, 2);
  g_assert_cmpuint(t->messages[1].sends, ==, 3);
  g_assert_cmpuint(t->messages[1].first_frame, ==, 3);
  g_assert_cmpuint(t->messages[1].last_frame, ==, 5);

  /* IKEv1 too: same cookies, exchange, message ID, role and bytes. */
  peers_t q = peers_new(0x5757575757575757ull, 0x6868686868686868ull);
  peers_set_endpoints(&q, "192.0.2.57", "198.51.100.57");
  const ipsecdiag_frame_t *g1 = send_msg(&s, 20.0, &q, FROM_I, P500, mm(&q, 1));
  const ipsecdiag_frame_t *g2 = send_msg(&s, 22.0, &q, FROM_I, P500, mm(&q, 1));
  g_assert_cmpuint(g2->retransmission_of, ==, g1->frame);
  g_assert_cmpuint(g2->retransmission_number, ==, 1);
  g_assert_cmpstr(g2->message, ==, "MI1");
  g_assert_cmpuint(g2->tunnel, ==, 2);
  sc_finish(&s);
}

static void test_retransmission_different_bytes(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x7777777777777777ull, 0x8888888888888888ull);
  GByteArray *first = v2_init(&p, FALSE);
  /* Same SPI, exchange and message ID, other bytes (here: with a COOKIE). */
  ike_t again = ike_begin(2, p.spi_i, NULL, IKEV2_EXCH_IKE_SA_INIT, IKEV2_FLAG_INITIATOR, 0);
  static const guint8 cookie[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  add_notify(&again, IKEV2_N_COOKIE, cookie, sizeof cookie);
  add_sa(&again);
  add_ke(&again, 0x11);
  add_nonce(&again, 0x33);

  const ipsecdiag_frame_t *f1 = send_msg(&s, 0.0, &p, FROM_I, P500, first);
  const ipsecdiag_frame_t *f2 = send_msg(&s, 0.2, &p, FROM_I, P500, ike_end(&again));
  g_assert_cmpuint(f2->retransmission_of, ==, 0);
  g_assert_cmpuint(f2->retransmission_number, ==, 0);
  g_assert_cmpstr(f2->message, ==, "IKE_SA_INIT request");
  g_assert_cmpuint(f2->tunnel, ==, f1->tunnel);
  const ipsecdiag_frame_t *f3 = send_msg(&s, 0.3, &p, FROM_R, P500, v2_init(&p, TRUE));
  g_assert_cmpuint(f3->request_frame, ==, 2);      /* the latest request of that ID */
  g_assert_cmpuint(f2->response_frame, ==, 3);
  g_assert_cmpuint(f1->response_frame, ==, 0);

  const ipsecdiag_tunnel_t *t = tun(&s, 1);
  g_assert_cmpuint(t->n_messages, ==, 3);
  g_assert_cmpuint(t->n_retransmissions, ==, 0);
  /* Nothing about the requests; the capture just ends before IKE_AUTH. */
  ipsecdiag_engine_finalize(s.engine);
  g_assert_cmpuint(findings_total(&s, NULL), ==, 1);
  const ipsecdiag_finding_t *x = finding_on(f3, "capture_ends_before_auth");
  g_assert_nonnull(x);
  g_assert_true(x->final);
  assert_param(x, "message", "IKE_SA_INIT response");
  assert_param(x, "waiting_for", "IKE_AUTH request");
  assert_param(x, "idle", "0.0");
  sc_finish(&s);
}

/* ---------- unanswered requests ---------- */

static void test_first_msg_unanswered(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x9999999999999999ull, 0);
  GByteArray *mi1 = mm(&p, 1);
  static const double times[] = {0.0, 1.0, 3.0, 7.0};

  for (guint n = 0; n < G_N_ELEMENTS(times); n++) {
    const ipsecdiag_frame_t *f = send_msg(&s, times[n], &p, FROM_I, P500, mi1);
    if (n == 2) {
      /* The third transmission: raised in the first pass. */
      g_assert_cmpuint(findings_on(f, NULL), ==, 1);
      const ipsecdiag_finding_t *x = finding_on(f, "first_msg_unanswered");
      g_assert_nonnull(x);
      g_assert_false(x->final);
      g_assert_cmpuint(x->tunnel, ==, 1);
      g_assert_cmpuint(x->frame, ==, 3);
      assert_param(x, "message", "MI1");
      assert_param(x, "peer", "198.51.100.20");
      assert_param(x, "port", "500");
      assert_param(x, "count", "3");
      assert_param(x, "span", "3.0");
      assert_param(x, "backoff", "1.0, 2.0 s");
      assert_param(x, "side", "initiator side");
      assert_param(x, "first_frame", "1");
    } else {
      g_assert_cmpuint(findings_on(f, NULL), ==, 0);
    }
  }
  g_assert_cmpuint(findings_total(&s, NULL), ==, 1);

  ipsecdiag_engine_finalize(s.engine);
  const ipsecdiag_finding_t *x = finding_on(fr(&s, 1), "first_msg_unanswered");
  g_assert_nonnull(x);
  g_assert_true(x->final);
  g_assert_cmpuint(x->frame, ==, 1);
  g_assert_cmpuint(x->tunnel, ==, 1);
  assert_param(x, "message", "MI1");
  assert_param(x, "peer", "198.51.100.20");
  assert_param(x, "port", "500");
  assert_param(x, "count", "4");
  assert_param(x, "span", "7.0");
  assert_param(x, "backoff", "1.0, 2.0, 4.0 s");
  assert_param(x, "side", "initiator side");
  assert_param(x, "hops", "0");
  g_assert_cmpuint(findings_total(&s, NULL), ==, 2);
  g_assert_cmpuint(tunnel_findings(tun(&s, 1)), ==, 2);
  g_assert_cmpuint(tun(&s, 1)->state, ==, IPSECDIAG_ST_MI1);

  /* IKEv2: the same for IKE_SA_INIT. */
  peers_t q = peers_new(0x9898989898989898ull, 0);
  GByteArray *init = v2_init(&q, FALSE);
  send_msg(&s, 20.0, &q, FROM_I, P500, init);
  send_msg(&s, 21.0, &q, FROM_I, P500, init);
  const ipsecdiag_frame_t *f = send_msg(&s, 23.0, &q, FROM_I, P500, init);
  x = finding_on(f, "first_msg_unanswered");
  g_assert_nonnull(x);
  assert_param(x, "message", "IKE_SA_INIT request");
  assert_param(x, "count", "3");
  sc_finish(&s);
}

/* Captured at the responder: MI3 arrives on UDP 4500, the responder keeps
 * re-sending MR2 and the initiator MI3. From the initiator's side the same
 * exchange on 4500 stays "4500 blocked"; on UDP 500 it is the PSK. */
static void test_v1_mi3_ignored(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x3131313131313131ull, 0x4141414141414141ull);
  peers_responder_side(&p);
  for (int n = 1; n <= 4; n++)
    send_msg(&s, n * 0.01, &p, n % 2 == 1, P500, mm(&p, n));
  GByteArray *mi3 = mm(&p, 5), *mr2 = mm(&p, 4);
  send_msg(&s, 0.05, &p, FROM_I, P4500, mi3);
  send_msg(&s, 1.0, &p, FROM_I, P4500, mi3);
  const ipsecdiag_frame_t *f = send_msg(&s, 2.0, &p, FROM_R, P500, mr2);
  g_assert_null(finding_on(f, "ikev1_mi3_ignored"));
  send_msg(&s, 2.8, &p, FROM_I, P4500, mi3);
  f = send_msg(&s, 4.0, &p, FROM_R, P500, mr2);
  const ipsecdiag_finding_t *x = finding_on(f, "ikev1_mi3_ignored");
  g_assert_nonnull(x);
  assert_param(x, "message", "MR2");
  assert_param(x, "mr2_count", "3");
  assert_param(x, "mi3_count", "3");
  assert_param(x, "mi3_frame", "5");
  ipsecdiag_engine_finalize(s.engine);
  g_assert_nonnull(finding_on(fr(&s, 4), "ikev1_mi3_ignored"));
  g_assert_cmpuint(findings_total(&s, "request_unanswered"), ==, 0);
  g_assert_cmpuint(findings_total(&s, "natt_4500_blocked"), ==, 0);
  sc_finish(&s);

  /* The same on the initiator's side: MI3 on 4500 may never have arrived. */
  s = sc_new();
  p = peers_new(0x3232323232323232ull, 0x4242424242424242ull);
  mi3 = mm(&p, 5);                   /* the pool was emptied by sc_finish */
  mr2 = mm(&p, 4);
  for (int n = 1; n <= 4; n++)
    send_msg(&s, n * 0.01, &p, n % 2 == 1, P500, mm(&p, n));
  send_msg(&s, 0.05, &p, FROM_I, P4500, mi3);
  send_msg(&s, 1.0, &p, FROM_I, P4500, mi3);
  send_msg(&s, 2.0, &p, FROM_R, P500, mr2);
  send_msg(&s, 2.8, &p, FROM_I, P4500, mi3);
  send_msg(&s, 4.0, &p, FROM_R, P500, mr2);
  ipsecdiag_engine_finalize(s.engine);
  g_assert_cmpuint(findings_total(&s, "ikev1_mi3_ignored"), ==, 0);
  g_assert_cmpuint(findings_total(&s, "natt_4500_blocked"), >=, 1);
  sc_finish(&s);
}

/* Each peer initiates once and is refused: the first NO_PROPOSAL_CHOSEN can
 * only compare with the other offer at the end of the capture. */
static void test_no_proposal_differences_refreshed(void)
{
  sc_t s = sc_new();
  peers_t a = peers_new(0x0a0a0a0a0a0a0a0aull, 0);
  send_msg(&s, 0.0, &a, FROM_I, P500, v2_init(&a, FALSE));
  ike_t m = ike_begin(2, a.spi_i, NULL, IKEV2_EXCH_IKE_SA_INIT, IKEV2_FLAG_RESPONSE, 0);
  add_notify(&m, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
  const ipsecdiag_frame_t *f = send_msg(&s, 0.1, &a, FROM_R, P500, ike_end(&m));
  const ipsecdiag_finding_t *first = finding_on(f, "notify_no_proposal_chosen");
  g_assert_nonnull(first);
  g_assert_true(g_str_has_prefix(ipsecdiag_finding_param(first, "differences"), "only this initiator's offer"));

  peers_t b = peers_new(0x0b0b0b0b0b0b0b0bull, 0);
  peers_set_endpoints(&b, "198.51.100.20", "192.0.2.10");
  send_msg(&s, 2.0, &b, FROM_I, P500, v2_init(&b, FALSE));
  ike_t n = ike_begin(2, b.spi_i, NULL, IKEV2_EXCH_IKE_SA_INIT, IKEV2_FLAG_RESPONSE, 0);
  add_notify(&n, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
  f = send_msg(&s, 2.1, &b, FROM_R, P500, ike_end(&n));
  const ipsecdiag_finding_t *second = finding_on(f, "notify_no_proposal_chosen");
  g_assert_true(g_str_has_prefix(ipsecdiag_finding_param(second, "differences"), "against the other peer's own offer"));

  ipsecdiag_engine_finalize(s.engine);
  first = finding_on(fr(&s, 2), "notify_no_proposal_chosen");
  g_assert_true(g_str_has_prefix(ipsecdiag_finding_param(first, "differences"), "against the other peer's own offer"));
  sc_finish(&s);
}

/* NAT between the peers, one of them without NAT-T: IKEv2 from the NAT-D
 * hashes; IKEv1 from a rewritten IKE source port (no NAT-D without NAT-T). */
static void test_nat_without_natt(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x2323232323232323ull, 0x4545454545454545ull);
  peers_nat_initiator(&p);
  send_msg(&s, 0.0, &p, FROM_I, P500, v2_init(&p, FALSE));
  ike_t m = ike_begin(2, p.spi_i, p.spi_r, IKEV2_EXCH_IKE_SA_INIT, IKEV2_FLAG_RESPONSE, 0);
  add_sa(&m);
  add_ke(&m, 0x22);
  add_nonce(&m, 0x44);
  const ipsecdiag_frame_t *f = send_msg(&s, 0.1, &p, FROM_R, P500, ike_end(&m));
  const ipsecdiag_finding_t *x = finding_on(f, "nat_without_natt");
  g_assert_nonnull(x);
  assert_param(x, "missing", "the responder");
  assert_param(x, "nat", "the initiator");
  g_assert_cmpuint(tun(&s, 1)->natt_offered_by, ==, 1);

  /* IKEv1: MI1 from a rewritten source port with the NAT-T vendor ID, MR1 without. */
  peers_t q = peers_new(0x6767676767676767ull, 0x8989898989898989ull);
  q.i = ep("192.0.2.10", 41234);
  send_msg(&s, 5.0, &q, FROM_I, P500, mm(&q, 1));
  ike_t mr1 = ike_begin(1, q.spi_i, q.spi_r, IKEV1_EXCH_MAIN, 0, 0);
  add_sa(&mr1);
  f = send_msg(&s, 5.1, &q, FROM_R, P500, ike_end(&mr1));
  x = finding_on(f, "nat_without_natt");
  g_assert_nonnull(x);
  assert_param(x, "missing", "the responder");
  assert_param(x, "evidence", "the initiator's IKE source port was rewritten from 500");

  /* Both offer NAT-T behind a NAT: the normal case, nothing to say. */
  peers_t r = peers_new(0x1357135713571357ull, 0x2468246824682468ull);
  peers_set_endpoints(&r, "203.0.113.7", "203.0.113.8");
  peers_nat_initiator(&r);
  send_msg(&s, 9.0, &r, FROM_I, P500, v2_init(&r, FALSE));
  f = send_msg(&s, 9.1, &r, FROM_R, P500, v2_init(&r, TRUE));
  g_assert_null(finding_on(f, "nat_without_natt"));
  g_assert_cmpint(tun(&s, 3)->nat_initiator, ==, 1);
  sc_finish(&s);
}

/* An IKEv1-only responder answers IKE_SA_INIT with an IKEv1 Informational
 * (INVALID_MAJOR_VERSION) that copies the initiator SPI: one IKE SA, the
 * request answered, the mismatch named. */
static void test_version_mismatch_answer(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x5151515151515151ull, 0x6161616161616161ull);
  GByteArray *init = v2_init(&p, FALSE);
  send_msg(&s, 0.0, &p, FROM_I, P500, init);
  ike_t m = ike_begin(1, p.spi_i, p.spi_r, IKEV1_EXCH_INFORMATIONAL, 0, 0);
  add_notify(&m, IKE_N_INVALID_MAJOR_VERSION, NULL, 0);
  const ipsecdiag_frame_t *f = send_msg(&s, 0.1, &p, FROM_R, P500, ike_end(&m));
  g_assert_cmpuint(f->tunnel, ==, 1);
  g_assert_cmpstr(f->message, ==, "IKEv1 answer");
  g_assert_cmpuint(f->sender_role, ==, IPSECDIAG_ROLE_RESPONDER);
  const ipsecdiag_finding_t *x = finding_on(f, "ike_version_mismatch");
  g_assert_nonnull(x);
  assert_param(x, "request_version", "IKEv2");
  assert_param(x, "answer_version", "IKEv1");
  assert_param(x, "notify", "INVALID_MAJOR_VERSION");
  assert_param(x, "sender", "198.51.100.20");
  g_assert_cmpuint(ipsecdiag_engine_tunnel_count(s.engine), ==, 1);
  ipsecdiag_engine_finalize(s.engine);
  g_assert_cmpuint(findings_total(&s, "first_msg_unanswered"), ==, 0);
  g_assert_cmpuint(findings_total(&s, "ike_version_mismatch"), ==, 1);

  /* The same SPI in the other version from the initiator's side is a new SA, not an answer. */
  peers_t q = peers_new(0x7171717171717171ull, 0);
  send_msg(&s, 10.0, &q, FROM_I, P500, v2_init(&q, FALSE));
  ike_t mi1 = ike_begin(1, q.spi_i, NULL, IKEV1_EXCH_MAIN, 0, 0);
  add_sa(&mi1);
  f = send_msg(&s, 10.5, &q, FROM_I, P500, ike_end(&mi1));
  g_assert_cmpuint(f->tunnel, ==, 3);
  g_assert_null(finding_on(f, "ike_version_mismatch"));
  sc_finish(&s);
}

/* IKEv2 gets no answer at all, then IKEv1 between the same peers does: the
 * responder ignores IKEv2. Shown on the IKEv1 answer in one pass; in two, the
 * IKEv2 request's "unanswered" becomes "version ignored". */
static void test_version_ignored(void)
{
  sc_t s = sc_new();
  peers_t v2 = peers_new(0x1212121212121212ull, 0);
  GByteArray *init = v2_init(&v2, FALSE);
  static const double times[] = {0.0, 1.0, 2.8, 6.0};
  for (guint n = 0; n < G_N_ELEMENTS(times); n++)
    send_msg(&s, times[n], &v2, FROM_I, P500, init);
  g_assert_cmpuint(findings_total(&s, "first_msg_unanswered"), ==, 1);

  peers_t v1 = peers_new(0x3434343434343434ull, 0x5656565656565656ull);
  send_msg(&s, 20.0, &v1, FROM_I, P500, mm(&v1, 1));
  const ipsecdiag_frame_t *f = send_msg(&s, 20.1, &v1, FROM_R, P500, mm(&v1, 2));
  const ipsecdiag_finding_t *x = finding_on(f, "ike_version_ignored");
  g_assert_nonnull(x);
  g_assert_false(x->final);
  g_assert_cmpuint(x->tunnel, ==, 1);
  assert_param(x, "version", "IKEv2");
  assert_param(x, "other_version", "IKEv1");
  assert_param(x, "other_tunnel", "2");
  assert_param(x, "count", "4");
  assert_param(x, "message", "IKE_SA_INIT request");
  g_assert_cmpuint(tun(&s, 1)->other_version_answered, ==, 2);

  ipsecdiag_engine_finalize(s.engine);
  g_assert_cmpuint(findings_total(&s, "first_msg_unanswered"), ==, 0);
  x = finding_on(fr(&s, 1), "ike_version_ignored");
  g_assert_nonnull(x);
  g_assert_true(x->final);
  assert_param(x, "other_frame", "5");

  /* The same version answered later is no version problem. */
  peers_t a = peers_new(0x7878787878787878ull, 0);
  peers_set_endpoints(&a, "203.0.113.1", "203.0.113.2");
  for (guint n = 0; n < 3; n++)
    send_msg(&s, 40.0 + n, &a, FROM_I, P500, v2_init(&a, FALSE));
  peers_t b = peers_new(0x9a9a9a9a9a9a9a9aull, 0xbcbcbcbcbcbcbcbcull);
  peers_set_endpoints(&b, "203.0.113.1", "203.0.113.2");
  send_msg(&s, 50.0, &b, FROM_I, P500, v2_init(&b, FALSE));
  f = send_msg(&s, 50.1, &b, FROM_R, P500, v2_init(&b, TRUE));
  g_assert_null(finding_on(f, "ike_version_ignored"));
  ipsecdiag_engine_finalize(s.engine);
  g_assert_nonnull(finding_on(fr(&s, 7), "first_msg_unanswered"));
  sc_finish(&s);
}

/* One retransmission raises nothing in the first pass; the end of the
 * capture still shows the request was never answered. A single unanswered
 * transmission is no finding at all. */
static void test_first_msg_unanswered_final_only(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x9797979797979797ull, 0);
  peers_t q = peers_new(0x9696969696969696ull, 0);
  peers_set_endpoints(&q, "192.0.2.11", "198.51.100.21");
  send_msg(&s, 0.0, &p, FROM_I, P500, mm(&p, 1));
  send_msg(&s, 2.0, &p, FROM_I, P500, mm(&p, 1));
  send_msg(&s, 3.0, &q, FROM_I, P500, mm(&q, 1));
  g_assert_cmpuint(findings_total(&s, NULL), ==, 0);
  ipsecdiag_engine_finalize(s.engine);
  g_assert_cmpuint(findings_total(&s, NULL), ==, 1);
  const ipsecdiag_finding_t *x = finding_on(fr(&s, 1), "first_msg_unanswered");
  g_assert_nonnull(x);
  g_assert_true(x->final);
  assert_param(x, "count", "2");
  assert_param(x, "backoff", "2.0 s");
  assert_param(x, "idle", "1.0");
  g_assert_null(finding_on(fr(&s, 3), NULL));
  sc_finish(&s);
}

static void test_responder_silent(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0xabababababababab, 0);
  p.ttl_i = 63;                  /* one router between the initiator and the capture */
  GByteArray *mi1 = mm(&p, 1);
  send_msg(&s, 0.0, &p, FROM_I, P500, mi1);
  const ipsecdiag_frame_t *f = send_msg(&s, 1.0, &p, FROM_I, P500, mi1);
  g_assert_null(finding_on(f, NULL));
  f = send_msg(&s, 3.0, &p, FROM_I, P500, mi1);
  g_assert_cmpuint(tun(&s, 1)->capture_side, ==, IPSECDIAG_SIDE_RESPONDER);
  g_assert_null(finding_on(f, "first_msg_unanswered"));
  const ipsecdiag_finding_t *x = finding_on(f, "responder_silent");
  g_assert_nonnull(x);
  g_assert_false(x->final);
  assert_param(x, "message", "MI1");
  assert_param(x, "count", "3");
  assert_param(x, "span", "3.0");
  assert_param(x, "hops", "1");
  assert_param(x, "side", "responder side");
  /* "{message} from {sender}:{sender_port} arrived"; peer is where it went. */
  assert_param(x, "sender", "192.0.2.10");
  assert_param(x, "sender_port", "500");
  assert_param(x, "peer", "198.51.100.20");
  assert_param(x, "port", "500");

  ipsecdiag_engine_finalize(s.engine);
  x = finding_on(fr(&s, 1), "responder_silent");
  g_assert_nonnull(x);
  g_assert_true(x->final);
  g_assert_cmpuint(findings_total(&s, "first_msg_unanswered"), ==, 0);
  sc_finish(&s);
}

/* MI2 (not the first message) unanswered on UDP 500: a plain unanswered request. */
static void test_request_unanswered(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0xacacacacacacacacull, 0xbdbdbdbdbdbdbdbdull);
  send_msg(&s, 0.0, &p, FROM_I, P500, mm(&p, 1));
  send_msg(&s, 0.1, &p, FROM_R, P500, mm(&p, 2));
  GByteArray *mi2 = mm(&p, 3);
  send_msg(&s, 0.2, &p, FROM_I, P500, mi2);
  send_msg(&s, 1.2, &p, FROM_I, P500, mi2);
  const ipsecdiag_frame_t *f = send_msg(&s, 3.2, &p, FROM_I, P500, mi2);
  g_assert_cmpuint(findings_on(f, NULL), ==, 1);
  const ipsecdiag_finding_t *x = finding_on(f, "request_unanswered");
  g_assert_nonnull(x);
  assert_param(x, "message", "MI2");
  assert_param(x, "peer", "198.51.100.20");
  assert_param(x, "port", "500");
  assert_param(x, "first_frame", "3");
  ipsecdiag_engine_finalize(s.engine);
  g_assert_nonnull(finding_on(fr(&s, 3), "request_unanswered"));
  g_assert_true(finding_on(fr(&s, 3), "request_unanswered")->final);
  sc_finish(&s);
}

static void test_answered_after_retransmission(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0xcdcdcdcdcdcdcdcdull, 0xefefefefefefefefull);
  GByteArray *mi1 = mm(&p, 1);
  send_msg(&s, 0.0, &p, FROM_I, P500, mi1);
  send_msg(&s, 1.0, &p, FROM_I, P500, mi1);
  const ipsecdiag_frame_t *f = send_msg(&s, 1.5, &p, FROM_R, P500, mm(&p, 2));
  g_assert_cmpuint(f->request_frame, ==, 1);
  g_assert_cmpuint(findings_on(f, NULL), ==, 1);
  const ipsecdiag_finding_t *x = finding_on(f, "answered_after_retransmission");
  g_assert_nonnull(x);
  g_assert_false(x->final);
  g_assert_cmpuint(x->tunnel, ==, 1);
  assert_param(x, "message", "MI1");
  assert_param(x, "count", "2");
  assert_param(x, "delay", "1.5");
  assert_param(x, "response", "MR1");
  assert_param(x, "first_frame", "1");
  /* Answered once sent: no note. */
  for (int n = 3; n <= 6; n++) {
    f = send_msg(&s, 1.5 + 0.1 * n, &p, n % 2 == 1, P500, mm(&p, n));
    g_assert_null(finding_on(f, NULL));
  }

  /* IKEv2. */
  peers_t q = peers_new(0xcececececececeull, 0xdfdfdfdfdfdfdfdfull);
  peers_set_endpoints(&q, "192.0.2.11", "198.51.100.21");
  GByteArray *init = v2_init(&q, FALSE);
  send_msg(&s, 10.0, &q, FROM_I, P500, init);
  send_msg(&s, 10.5, &q, FROM_I, P500, init);
  send_msg(&s, 11.5, &q, FROM_I, P500, init);
  f = send_msg(&s, 12.0, &q, FROM_R, P500, v2_init(&q, TRUE));
  x = finding_on(f, "answered_after_retransmission");
  g_assert_nonnull(x);
  assert_param(x, "message", "IKE_SA_INIT request");
  assert_param(x, "count", "3");
  assert_param(x, "delay", "2.0");
  assert_param(x, "response", "IKE_SA_INIT response");
  send_msg(&s, 12.1, &q, FROM_I, P500, v2_sk(&q, IKEV2_EXCH_IKE_AUTH, TRUE, FALSE, 1, 1));
  send_msg(&s, 12.2, &q, FROM_R, P500, v2_sk(&q, IKEV2_EXCH_IKE_AUTH, FALSE, TRUE, 1, 2));

  /* The third transmission raised "unanswered" in the first pass; the
   * answer disproved it, so finalize retracts it and adds nothing. */
  g_assert_cmpuint(findings_total(&s, "first_msg_unanswered"), ==, 1);
  ipsecdiag_engine_finalize(s.engine);
  g_assert_cmpuint(findings_total(&s, "answered_after_retransmission"), ==, 2);
  g_assert_cmpuint(findings_total(&s, "first_msg_unanswered"), ==, 0);
  g_assert_cmpuint(findings_total(&s, NULL), ==, 2);
  GPtrArray *out = g_ptr_array_new_with_free_func(ipsecdiag_finding_free);
  ipsecdiag_engine_evaluate_tunnel(s.engine, 1, out);
  ipsecdiag_engine_evaluate_tunnel(s.engine, 2, out);
  g_assert_cmpuint(out->len, ==, 0);
  g_ptr_array_free(out, TRUE);
  sc_finish(&s);
}

/* ---------- NAT-T: UDP 4500 blocked ---------- */

static void test_natt_4500_blocked_v1(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x1212121212121212ull, 0x3434343434343434ull);
  peers_nat_initiator(&p);
  for (int n = 1; n <= 4; n++)
    send_msg(&s, 0.1 * n, &p, n % 2 == 1, P500, mm(&p, n));
  g_assert_cmpint(tun(&s, 1)->nat_initiator, ==, 1);
  GByteArray *mi3 = mm(&p, 5);
  const ipsecdiag_frame_t *f5 = send_msg(&s, 1.0, &p, FROM_I, P4500, mi3);
  g_assert_cmpstr(f5->message, ==, "MI3");
  g_assert_cmpuint(f5->sender_role, ==, IPSECDIAG_ROLE_INITIATOR);
  g_assert_cmpuint(f5->state, ==, IPSECDIAG_ST_MI3);
  g_assert_cmpuint(f5->tunnel, ==, 1);
  const ipsecdiag_frame_t *f6 = send_msg(&s, 2.0, &p, FROM_I, P4500, mi3);
  g_assert_cmpuint(f6->retransmission_of, ==, 5);
  g_assert_null(finding_on(f6, NULL));
  const ipsecdiag_frame_t *f7 = send_msg(&s, 4.0, &p, FROM_I, P4500, mi3);
  g_assert_cmpuint(findings_on(f7, NULL), ==, 1);
  const ipsecdiag_finding_t *x = finding_on(f7, "natt_4500_blocked");
  g_assert_nonnull(x);
  g_assert_false(x->final);
  assert_param(x, "message", "MI3");
  assert_param(x, "peer", "198.51.100.20");
  assert_param(x, "port", "4500");
  assert_param(x, "count", "3");
  assert_param(x, "span", "3.0");

  const ipsecdiag_tunnel_t *t = tun(&s, 1);
  g_assert_true(t->natt_used);
  g_assert_cmpuint(t->initiator_natt.port, ==, 4500);
  g_assert_cmpuint(t->responder_natt.port, ==, 4500);
  g_assert_true(ipsecdiag_addr_equal(&t->responder_natt.addr, &p.r.addr));
  g_assert_cmpuint(t->initiator.port, ==, 500);

  ipsecdiag_engine_finalize(s.engine);
  x = finding_on(fr(&s, 5), "natt_4500_blocked");
  g_assert_nonnull(x);
  g_assert_true(x->final);
  assert_param(x, "port", "4500");
  g_assert_cmpuint(findings_total(&s, NULL), ==, 2);
  sc_finish(&s);
}

static void test_natt_4500_blocked_v2(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x1313131313131313ull, 0x3535353535353535ull);
  peers_nat_initiator(&p);
  send_msg(&s, 0.0, &p, FROM_I, P500, v2_init(&p, FALSE));
  send_msg(&s, 0.1, &p, FROM_R, P500, v2_init(&p, TRUE));
  g_assert_cmpint(tun(&s, 1)->nat_initiator, ==, 1);
  GByteArray *auth = v2_sk(&p, IKEV2_EXCH_IKE_AUTH, TRUE, FALSE, 1, 0x61);
  send_msg(&s, 0.2, &p, FROM_I, P4500, auth);
  send_msg(&s, 2.2, &p, FROM_I, P4500, auth);
  const ipsecdiag_frame_t *f = send_msg(&s, 6.2, &p, FROM_I, P4500, auth);
  const ipsecdiag_finding_t *x = finding_on(f, "natt_4500_blocked");
  g_assert_nonnull(x);
  assert_param(x, "message", "IKE_AUTH request");
  assert_param(x, "peer", "198.51.100.20");
  assert_param(x, "port", "4500");
  assert_param(x, "count", "3");
  assert_param(x, "backoff", "2.0, 4.0 s");
  ipsecdiag_engine_finalize(s.engine);
  g_assert_true(finding_on(fr(&s, 3), "natt_4500_blocked")->final);
  /* The responder answered IKE_SA_INIT: no half-open verdict for this side's capture. */
  g_assert_cmpuint(findings_total(&s, NULL), ==, 2);
  sc_finish(&s);
}

/* UDP 4500 works (the peer answered on it); a later request on 4500 that
 * goes unanswered is a phase 2 / plain unanswered request, not "4500 blocked". */
static void test_natt_working_later_unanswered(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x1414141414141414ull, 0x3636363636363636ull);
  peers_nat_initiator(&p);
  send_msg(&s, 0.0, &p, FROM_I, P500, v2_init(&p, FALSE));
  send_msg(&s, 0.1, &p, FROM_R, P500, v2_init(&p, TRUE));
  send_msg(&s, 0.2, &p, FROM_I, P4500, v2_sk(&p, IKEV2_EXCH_IKE_AUTH, TRUE, FALSE, 1, 0x61));
  send_msg(&s, 0.3, &p, FROM_R, P4500, v2_sk(&p, IKEV2_EXCH_IKE_AUTH, FALSE, TRUE, 1, 0x62));
  GByteArray *child = v2_sk(&p, IKEV2_EXCH_CREATE_CHILD_SA, TRUE, FALSE, 2, 0x63);
  send_msg(&s, 100.0, &p, FROM_I, P4500, child);
  send_msg(&s, 101.0, &p, FROM_I, P4500, child);
  const ipsecdiag_frame_t *f = send_msg(&s, 103.0, &p, FROM_I, P4500, child);
  g_assert_null(finding_on(f, "natt_4500_blocked"));
  const ipsecdiag_finding_t *x = finding_on(f, "phase2_unanswered");
  g_assert_nonnull(x);
  assert_param(x, "message", "CREATE_CHILD_SA request");
  assert_param(x, "port", "4500");
  GByteArray *dpd = v2_sk(&p, IKEV2_EXCH_INFORMATIONAL, TRUE, FALSE, 3, 0x64);
  send_msg(&s, 200.0, &p, FROM_I, P4500, dpd);
  send_msg(&s, 201.0, &p, FROM_I, P4500, dpd);
  f = send_msg(&s, 203.0, &p, FROM_I, P4500, dpd);
  g_assert_null(finding_on(f, "natt_4500_blocked"));
  /* an unanswered INFORMATIONAL request is a liveness failure (engine_lifecycle.c) */
  x = finding_on(f, "liveness_check_unanswered");
  g_assert_nonnull(x);
  assert_param(x, "message", "INFORMATIONAL request");

  /* IKEv1: Main Mode finished on 4500, then Quick Mode on 4500 unanswered. */
  peers_t q = peers_new(0x1515151515151515ull, 0x3737373737373737ull);
  peers_set_endpoints(&q, "192.0.2.30", "198.51.100.40");
  peers_nat_initiator(&q);
  for (int n = 1; n <= 6; n++)
    send_msg(&s, 300.0 + 0.1 * n, &q, n % 2 == 1, n >= 5, mm(&q, n));
  GByteArray *qi1 = qm(&q, 0x77, 1);
  send_msg(&s, 301.0, &q, FROM_I, P4500, qi1);
  send_msg(&s, 302.0, &q, FROM_I, P4500, qi1);
  f = send_msg(&s, 304.0, &q, FROM_I, P4500, qi1);
  g_assert_null(finding_on(f, "natt_4500_blocked"));
  g_assert_nonnull(finding_on(f, "phase2_unanswered"));
  ipsecdiag_engine_finalize(s.engine);
  g_assert_cmpuint(findings_total(&s, "natt_4500_blocked"), ==, 0);
  sc_finish(&s);
}

/* Responder-side capture: MR2 re-sent, MI3 (on 4500) never arrives. */
static void test_natt_4500_blocked_responder_v1(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x1616161616161616ull, 0x3838383838383838ull);
  peers_nat_initiator(&p);
  peers_responder_side(&p);
  for (int n = 1; n <= 3; n++)
    send_msg(&s, 0.1 * n, &p, n % 2 == 1, P500, mm(&p, n));
  GByteArray *mr2 = mm(&p, 4);
  static const double times[] = {0.4, 1.4, 3.4, 7.4};
  for (guint n = 0; n < G_N_ELEMENTS(times); n++) {
    const ipsecdiag_frame_t *f = send_msg(&s, times[n], &p, FROM_R, P500, mr2);
    g_assert_cmpstr(f->message, ==, "MR2");
    if (n != 2) {
      g_assert_null(finding_on(f, NULL));
      continue;
    }
    g_assert_cmpuint(findings_on(f, NULL), ==, 1);
    const ipsecdiag_finding_t *x = finding_on(f, "natt_4500_blocked_responder");
    g_assert_nonnull(x);
    g_assert_false(x->final);
    assert_param(x, "message", "MR2");
    assert_param(x, "waiting_for", "MI3");
    assert_param(x, "peer", "192.0.2.10");
    assert_param(x, "count", "3");
    assert_param(x, "span", "3.0");
    assert_param(x, "idle", "0.0");
    assert_param(x, "side", "responder side");
  }
  const ipsecdiag_tunnel_t *t = tun(&s, 1);
  g_assert_cmpint(t->nat_initiator, ==, 1);
  g_assert_cmpint(t->capture_inside_initiator_nat, ==, 0);
  g_assert_cmpuint(t->capture_side, ==, IPSECDIAG_SIDE_RESPONDER);
  ipsecdiag_engine_finalize(s.engine);
  const ipsecdiag_finding_t *x = finding_on(fr(&s, 4), "natt_4500_blocked_responder");
  g_assert_nonnull(x);
  g_assert_true(x->final);
  assert_param(x, "count", "4");
  g_assert_cmpuint(findings_total(&s, NULL), ==, 2);
  sc_finish(&s);
}

static void test_responder_retransmits_unanswered(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x1717171717171717ull, 0x3939393939393939ull);
  peers_responder_side(&p);
  for (int n = 1; n <= 3; n++)
    send_msg(&s, 0.1 * n, &p, n % 2 == 1, P500, mm(&p, n));
  GByteArray *mr2 = mm(&p, 4);
  send_msg(&s, 0.4, &p, FROM_R, P500, mr2);
  send_msg(&s, 1.4, &p, FROM_R, P500, mr2);
  const ipsecdiag_frame_t *f = send_msg(&s, 3.4, &p, FROM_R, P500, mr2);
  g_assert_cmpint(tun(&s, 1)->nat_initiator, ==, 0);
  g_assert_null(finding_on(f, "natt_4500_blocked_responder"));
  const ipsecdiag_finding_t *x = finding_on(f, "responder_retransmits_unanswered");
  g_assert_nonnull(x);
  assert_param(x, "message", "MR2");
  assert_param(x, "waiting_for", "MI3");
  assert_param(x, "peer", "192.0.2.10");

  /* MR1 re-sent, MI2 never came. */
  peers_t q = peers_new(0x1818181818181818ull, 0x4040404040404040ull);
  peers_set_endpoints(&q, "192.0.2.50", "198.51.100.60");
  peers_responder_side(&q);
  send_msg(&s, 10.0, &q, FROM_I, P500, mm(&q, 1));
  GByteArray *mr1 = mm(&q, 2);
  send_msg(&s, 10.1, &q, FROM_R, P500, mr1);
  send_msg(&s, 11.1, &q, FROM_R, P500, mr1);
  f = send_msg(&s, 13.1, &q, FROM_R, P500, mr1);
  x = finding_on(f, "responder_retransmits_unanswered");
  g_assert_nonnull(x);
  assert_param(x, "message", "MR1");
  assert_param(x, "waiting_for", "MI2");

  /* The initiator did send its next message: nothing to say. */
  peers_t r = peers_new(0x1919191919191919ull, 0x4141414141414141ull);
  peers_set_endpoints(&r, "192.0.2.70", "198.51.100.80");
  send_msg(&s, 20.0, &r, FROM_I, P500, mm(&r, 1));
  GByteArray *mr1b = mm(&r, 2);
  send_msg(&s, 20.1, &r, FROM_R, P500, mr1b);
  send_msg(&s, 20.2, &r, FROM_I, P500, mm(&r, 3));
  send_msg(&s, 21.1, &r, FROM_R, P500, mr1b);
  f = send_msg(&s, 23.1, &r, FROM_R, P500, mr1b);
  g_assert_null(finding_on(f, NULL));
  ipsecdiag_engine_finalize(s.engine);
  g_assert_cmpuint(findings_total(&s, "responder_retransmits_unanswered"), ==, 4);
  sc_finish(&s);
}

/* ---------- IKEv2 half-open SAs ---------- */

static void half_open_scenario(gboolean nat, const char *rule)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x2121212121212121ull, 0x4242424242424242ull);
  if (nat)
    peers_nat_initiator(&p);
  peers_responder_side(&p);
  send_msg(&s, 0.0, &p, FROM_I, P500, v2_init(&p, FALSE));
  const ipsecdiag_frame_t *f2 = send_msg(&s, 0.01, &p, FROM_R, P500, v2_init(&p, TRUE));
  g_assert_cmpuint(f2->state, ==, IPSECDIAG_ST_INIT_RESP);
  g_assert_cmpint(tun(&s, 1)->nat_initiator, ==, nat ? 1 : 0);
  g_assert_null(finding_on(f2, NULL));

  /* The same initiator starts over with a new SPI. */
  peers_t again = p;
  spi_set(again.spi_i, 0x2323232323232323ull);
  const ipsecdiag_frame_t *f3 = send_msg(&s, 30.01, &again, FROM_I, P500, v2_init(&again, FALSE));
  g_assert_cmpuint(f3->tunnel, ==, 2);
  g_assert_cmpuint(tun(&s, 2)->supersedes, ==, 1);
  g_assert_cmpuint(tun(&s, 1)->superseded_by, ==, 2);
  g_assert_cmpuint(findings_on(f3, NULL), ==, 1);
  const ipsecdiag_finding_t *x = finding_on(f3, rule);
  g_assert_nonnull(x);
  g_assert_false(x->final);
  g_assert_cmpuint(x->tunnel, ==, 1);            /* about the abandoned SA */
  g_assert_cmpuint(x->frame, ==, 3);
  assert_param(x, "tunnel", "1");
  assert_param(x, "message", "IKE_SA_INIT response");
  assert_param(x, "waiting_for", "IKE_AUTH request");
  assert_param(x, "peer", "192.0.2.10");
  assert_param(x, "idle", "30.0");
  g_assert_cmpuint(tunnel_findings(tun(&s, 1)), ==, 1);
  g_assert_cmpuint(tunnel_findings(tun(&s, 2)), ==, 0);

  ipsecdiag_engine_finalize(s.engine);
  x = finding_on(f2, rule);
  g_assert_nonnull(x);
  g_assert_true(x->final);
  g_assert_cmpuint(x->tunnel, ==, 1);
  g_assert_cmpuint(findings_total(&s, NULL), ==, 2);
  sc_finish(&s);
}

static void test_half_open_nat(void)
{
  half_open_scenario(TRUE, "natt_4500_blocked_responder");
}

static void test_half_open_no_nat(void)
{
  half_open_scenario(FALSE, "half_open_sa");
}

/* No new SA: at the end of the capture IKE_AUTH is simply missing; once the
 * capture goes on for 10 s or more without it, the SA was abandoned. */
static void test_half_open_by_time(void)
{
  for (int nat = 0; nat <= 1; nat++) {
    sc_t s = sc_new();
    peers_t p = peers_new(0x2424242424242424ull, 0x4343434343434343ull);
    if (nat)
      peers_nat_initiator(&p);
    peers_responder_side(&p);
    peers_t other = peers_new(0x2525252525252525ull, 0);
    peers_set_endpoints(&other, "192.0.2.99", "198.51.100.99");
    const char *early = nat ? "capture_ends_before_auth_natt" : "capture_ends_before_auth";
    const char *rule = nat ? "natt_4500_blocked_responder" : "half_open_sa";

    send_msg(&s, 100.0, &p, FROM_I, P500, v2_init(&p, FALSE));
    send_msg(&s, 100.5, &p, FROM_R, P500, v2_init(&p, TRUE));
    g_assert_cmpint(ipsecdiag_natt_expected(tun(&s, 1)), ==, nat);
    ipsecdiag_engine_finalize(s.engine);
    g_assert_cmpuint(findings_total(&s, NULL), ==, 1);
    const ipsecdiag_finding_t *x = finding_on(fr(&s, 2), early);
    g_assert_nonnull(x);
    g_assert_true(x->final);
    g_assert_cmpuint(x->tunnel, ==, 1);
    assert_param(x, "idle", "0.0");
    assert_param(x, "message", "IKE_SA_INIT response");
    assert_param(x, "waiting_for", "IKE_AUTH request");
    assert_param(x, "peer", "192.0.2.10");

    /* Unrelated traffic 9.9 s later: not yet abandoned. */
    send_msg(&s, 110.4, &other, FROM_I, P500, mm(&other, 1));
    ipsecdiag_engine_finalize(s.engine);
    g_assert_cmpuint(findings_total(&s, NULL), ==, 1);
    x = finding_on(fr(&s, 2), early);
    g_assert_nonnull(x);
    assert_param(x, "idle", "9.9");
    GPtrArray *out = g_ptr_array_new_with_free_func(ipsecdiag_finding_free);
    ipsecdiag_engine_evaluate_tunnel(s.engine, 1, out);
    g_assert_cmpuint(out->len, ==, 1);
    g_assert_cmpstr(((const ipsecdiag_finding_t *)g_ptr_array_index(out, 0))->rule_id, ==, early);
    g_ptr_array_set_size(out, 0);

    /* An ESP packet of other peers 12 s later: the IKE SA was abandoned. */
    ipsecdiag_endpoint_t a = ep("203.0.113.1", 0), b = ep("203.0.113.2", 0);
    feed_esp(&s, 112.5, &a, &b, 0xdeadbeef, 1, 120);
    g_assert_false(ipsecdiag_engine_is_finalized(s.engine));
    ipsecdiag_engine_evaluate_tunnel(s.engine, 1, out);
    g_assert_cmpuint(out->len, ==, 1);
    const ipsecdiag_finding_t *e = g_ptr_array_index(out, 0);
    g_assert_cmpstr(e->rule_id, ==, rule);
    g_assert_true(e->final);
    g_assert_cmpuint(e->frame, ==, 2);
    check_finding(e);
    g_ptr_array_free(out, TRUE);

    ipsecdiag_engine_finalize(s.engine);
    g_assert_true(ipsecdiag_engine_is_finalized(s.engine));
    g_assert_null(finding_on(fr(&s, 2), early));
    x = finding_on(fr(&s, 2), rule);
    g_assert_nonnull(x);
    g_assert_true(x->final);
    assert_param(x, "idle", "12.0");
    assert_param(x, "tunnel", "1");
    assert_param(x, "peer", "192.0.2.10");
    assert_param(x, "waiting_for", "IKE_AUTH request");
    g_assert_cmpuint(findings_total(&s, NULL), ==, 1);
    g_assert_cmpuint(tunnel_findings(tun(&s, 1)), ==, 1);
    sc_finish(&s);
  }
}

/* IKEv1 responders that answered once and never heard again: MR2 without
 * MI3 (a new Main Mode from the same initiator proves it gave up), AR1
 * without AI2 (the capture ends). */
static void test_stalled_v1(void)
{
  for (int nat = 0; nat <= 1; nat++) {
    sc_t s = sc_new();
    peers_t p = peers_new(0x2a2a2a2a2a2a2a2aull, 0x4b4b4b4b4b4b4b4bull);
    if (nat)
      peers_nat_initiator(&p);
    peers_responder_side(&p);
    for (int n = 1; n <= 4; n++)
      send_msg(&s, 0.1 * n, &p, n % 2 == 1, P500, mm(&p, n));
    g_assert_cmpuint(tun(&s, 1)->state, ==, IPSECDIAG_ST_MR2);
    peers_t again = p;
    spi_set(again.spi_i, 0x2b2b2b2b2b2b2b2bull);
    const ipsecdiag_frame_t *f = send_msg(&s, 20.4, &again, FROM_I, P500, mm(&again, 1));
    g_assert_cmpuint(f->tunnel, ==, 2);
    g_assert_cmpuint(findings_on(f, NULL), ==, 1);
    const ipsecdiag_finding_t *x = finding_on(f, nat ? "natt_4500_blocked_responder" : "half_open_sa");
    g_assert_nonnull(x);
    g_assert_false(x->final);
    g_assert_cmpuint(x->tunnel, ==, 1);
    assert_param(x, "message", "MR2");
    assert_param(x, "waiting_for", "MI3");
    assert_param(x, "tunnel", "1");
    assert_param(x, "count", "1");
    assert_param(x, "idle", "20.0");
    ipsecdiag_engine_finalize(s.engine);
    x = finding_on(fr(&s, 4), nat ? "natt_4500_blocked_responder" : "half_open_sa");
    g_assert_nonnull(x);
    g_assert_true(x->final);
    g_assert_cmpuint(findings_total(&s, NULL), ==, 2);
    sc_finish(&s);
  }

  sc_t s = sc_new();
  peers_t p = peers_new(0x2c2c2c2c2c2c2c2cull, 0x4d4d4d4d4d4d4d4dull);
  peers_responder_side(&p);
  send_msg(&s, 0.0, &p, FROM_I, P500, am(&p, 1));
  const ipsecdiag_frame_t *f = send_msg(&s, 0.1, &p, FROM_R, P500, am(&p, 2));
  g_assert_cmpstr(f->message, ==, "AR1");
  ipsecdiag_engine_finalize(s.engine);
  const ipsecdiag_finding_t *x = finding_on(f, "capture_ends_before_auth");
  g_assert_nonnull(x);
  assert_param(x, "message", "AR1");
  assert_param(x, "waiting_for", "AI2");
  assert_param(x, "peer", "192.0.2.10");
  g_assert_cmpuint(findings_total(&s, NULL), ==, 1);
  sc_finish(&s);
}

/* IKE_AUTH did arrive: never half-open. */
static void test_not_half_open(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x2626262626262626ull, 0x4444444444444444ull);
  peers_responder_side(&p);
  send_msg(&s, 0.0, &p, FROM_I, P500, v2_init(&p, FALSE));
  send_msg(&s, 0.1, &p, FROM_R, P500, v2_init(&p, TRUE));
  send_msg(&s, 0.2, &p, FROM_I, P500, v2_sk(&p, IKEV2_EXCH_IKE_AUTH, TRUE, FALSE, 1, 1));
  send_msg(&s, 0.3, &p, FROM_R, P500, v2_sk(&p, IKEV2_EXCH_IKE_AUTH, FALSE, TRUE, 1, 2));
  peers_t again = p;
  spi_set(again.spi_i, 0x2727272727272727ull);
  const ipsecdiag_frame_t *f = send_msg(&s, 60.0, &again, FROM_I, P500, v2_init(&again, FALSE));
  g_assert_null(finding_on(f, NULL));
  ipsecdiag_engine_finalize(s.engine);
  g_assert_cmpuint(findings_total(&s, NULL), ==, 0);
  sc_finish(&s);
}

/* ---------- phase 2 ---------- */

static void test_phase2_unanswered(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x2828282828282828ull, 0x4545454545454545ull);
  for (int n = 1; n <= 6; n++)
    send_msg(&s, 0.1 * n, &p, n % 2 == 1, P500, mm(&p, n));
  GByteArray *qi1 = qm(&p, 0x1234, 1);
  const ipsecdiag_frame_t *f = send_msg(&s, 1.0, &p, FROM_I, P500, qi1);
  g_assert_cmpstr(f->message, ==, "QI1");
  send_msg(&s, 11.0, &p, FROM_I, P500, qi1);
  f = send_msg(&s, 21.0, &p, FROM_I, P500, qi1);
  g_assert_cmpuint(findings_on(f, NULL), ==, 1);
  const ipsecdiag_finding_t *x = finding_on(f, "phase2_unanswered");
  g_assert_nonnull(x);
  assert_param(x, "message", "QI1");
  assert_param(x, "peer", "198.51.100.20");
  assert_param(x, "port", "500");
  assert_param(x, "count", "3");
  assert_param(x, "span", "20.0");
  assert_param(x, "backoff", "10.0, 10.0 s");
  ipsecdiag_engine_finalize(s.engine);
  x = finding_on(fr(&s, 7), "phase2_unanswered");
  g_assert_nonnull(x);
  g_assert_true(x->final);

  /* IKEv2 CREATE_CHILD_SA on UDP 500. */
  peers_t q = peers_new(0x2929292929292929ull, 0x4646464646464646ull);
  peers_set_endpoints(&q, "2001:db8::10", "2001:db8:1::20");
  send_msg(&s, 50.0, &q, FROM_I, P500, v2_init(&q, FALSE));
  send_msg(&s, 50.1, &q, FROM_R, P500, v2_init(&q, TRUE));
  send_msg(&s, 50.2, &q, FROM_I, P500, v2_sk(&q, IKEV2_EXCH_IKE_AUTH, TRUE, FALSE, 1, 1));
  send_msg(&s, 50.3, &q, FROM_R, P500, v2_sk(&q, IKEV2_EXCH_IKE_AUTH, FALSE, TRUE, 1, 2));
  GByteArray *child = v2_sk(&q, IKEV2_EXCH_CREATE_CHILD_SA, TRUE, FALSE, 2, 3);
  guint32 first = send_msg(&s, 60.0, &q, FROM_I, P500, child)->frame;
  send_msg(&s, 62.0, &q, FROM_I, P500, child);
  f = send_msg(&s, 66.0, &q, FROM_I, P500, child);
  x = finding_on(f, "phase2_unanswered");
  g_assert_nonnull(x);
  assert_param(x, "message", "CREATE_CHILD_SA request");
  assert_param(x, "peer", "2001:db8:1::20");
  assert_param(x, "port", "500");
  ipsecdiag_engine_finalize(s.engine);
  g_assert_nonnull(finding_on(fr(&s, first), "phase2_unanswered"));
  g_assert_cmpuint(findings_total(&s, NULL), ==, 4);
  sc_finish(&s);
}

/* ---------- ICMP errors ---------- */

/* An IPv4 or IPv6 header and a UDP header around quoted IKE bytes. */
static GByteArray *quote_udp(const ipsecdiag_endpoint_t *src, const ipsecdiag_endpoint_t *dst,
                             const guint8 *payload, gsize len, gboolean marker)
{
  GByteArray *b = g_byte_array_new();
  gsize udp_len = 8 + len + (marker ? 4 : 0);
  if (src->addr.family == 4) {
    put8(b, 0x45); put8(b, 0); put16(b, (guint)(20 + udp_len));
    put16(b, 0x1234); put16(b, 0);
    put8(b, 63); put8(b, 17); put16(b, 0);
    putn(b, src->addr.bytes, 4);
    putn(b, dst->addr.bytes, 4);
  } else {
    put32(b, 0x60000000); put16(b, (guint)udp_len); put8(b, 17); put8(b, 63);
    putn(b, src->addr.bytes, 16);
    putn(b, dst->addr.bytes, 16);
  }
  put16(b, src->port); put16(b, dst->port); put16(b, (guint)udp_len); put16(b, 0);
  if (marker)
    put32(b, 0);
  if (len)
    putn(b, payload, len);
  g_ptr_array_add(pool, b);
  return b;
}

static const ipsecdiag_frame_t *feed_icmp(sc_t *s, double time, const ipsecdiag_endpoint_t *reporter,
                                          const ipsecdiag_endpoint_t *to, guint8 family, guint8 type,
                                          guint8 code, const GByteArray *quoted)
{
  ipsecdiag_packet_t pkt;
  memset(&pkt, 0, sizeof pkt);
  pkt.frame = ++s->frame;
  pkt.time = time;
  pkt.src = *reporter;
  pkt.dst = *to;
  pkt.src.port = pkt.dst.port = 0;
  pkt.ttl = 60;
  guint8 *copy = copy_exact(quoted->data, quoted->len);
  const ipsecdiag_frame_t *frame = ipsecdiag_engine_feed_icmp(s->engine, &pkt, family, type, code,
                                                              copy, quoted->len);
  g_free(copy);
  return frame;
}

static void test_icmp_port_unreachable(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x3131313131313131ull, 0);
  GByteArray *mi1 = mm(&p, 1);
  send_msg(&s, 0.0, &p, FROM_I, P500, mi1);
  const ipsecdiag_frame_t *f = feed_icmp(&s, 0.05, &p.r, &p.i, 4, 3, 3,
                                         quote_udp(&p.i, &p.r, mi1->data, mi1->len, FALSE));
  g_assert_nonnull(f);
  g_assert_cmpuint(f->frame, ==, 2);
  g_assert_true(f == ipsecdiag_engine_frame(s.engine, 2));
  g_assert_cmpuint(f->kind, ==, IPSECDIAG_FRAME_ICMP);
  g_assert_cmpuint(f->tunnel, ==, 1);
  g_assert_cmpuint(f->request_frame, ==, 1);
  g_assert_cmpuint(f->exchange_type, ==, IKEV1_EXCH_MAIN);
  g_assert_cmpstr(f->message, ==, "ICMP error quoting IKE");
  g_assert_cmpuint(findings_on(f, NULL), ==, 1);
  const ipsecdiag_finding_t *x = finding_on(f, "icmp_port_unreachable");
  g_assert_nonnull(x);
  g_assert_false(x->final);
  g_assert_cmpuint(x->tunnel, ==, 1);
  assert_param(x, "reporter", "198.51.100.20");
  assert_param(x, "reporter_role", "the peer itself");
  assert_param(x, "peer", "198.51.100.20");
  assert_param(x, "port", "500");
  assert_param(x, "message", "MI1");
  assert_param(x, "icmp", "port unreachable (ICMP type 3, code 3)");
  g_assert_cmpuint(tun(&s, 1)->icmp_frame, ==, 2);

  /* The initiator keeps retrying: the ICMP error already says why. */
  send_msg(&s, 1.0, &p, FROM_I, P500, mi1);
  f = send_msg(&s, 3.0, &p, FROM_I, P500, mi1);
  g_assert_null(finding_on(f, NULL));
  /* A second ICMP error quotes the latest transmission. */
  f = feed_icmp(&s, 3.01, &p.r, &p.i, 4, 3, 3, quote_udp(&p.i, &p.r, mi1->data, mi1->len, FALSE));
  g_assert_cmpuint(f->request_frame, ==, 4);
  g_assert_cmpuint(tun(&s, 1)->icmp_frame, ==, 2);
  send_msg(&s, 7.0, &p, FROM_I, P500, mi1);
  ipsecdiag_engine_finalize(s.engine);
  g_assert_cmpuint(findings_total(&s, "first_msg_unanswered"), ==, 0);
  g_assert_cmpuint(findings_total(&s, "responder_silent"), ==, 0);
  g_assert_cmpuint(findings_total(&s, NULL), ==, 2);
  sc_finish(&s);
}

static void test_icmp_codes(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x3232323232323232ull, 0);
  ipsecdiag_endpoint_t router = ep("203.0.113.254", 0);
  GByteArray *init = v2_init(&p, FALSE);
  send_msg(&s, 0.0, &p, FROM_I, P500, init);
  GByteArray *quoted = quote_udp(&p.i, &p.r, init->data, init->len, FALSE);
  static const struct {
    guint8 type, code;
    const char *rule, *icmp;
  } cases[] = {
    {3, 1, "icmp_host_unreachable", "host unreachable (ICMP type 3, code 1)"},
    {3, 0, "icmp_host_unreachable", "network unreachable (ICMP type 3, code 0)"},
    {3, 13, "icmp_admin_prohibited", "communication administratively prohibited (ICMP type 3, code 13)"},
    {3, 10, "icmp_admin_prohibited", "host administratively prohibited (ICMP type 3, code 10)"},
    {3, 4, "icmp_other", "fragmentation needed (ICMP type 3, code 4)"},
    {11, 0, "icmp_other", "time exceeded (ICMP type 11, code 0)"},
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    const ipsecdiag_frame_t *f = feed_icmp(&s, 0.1 * (i + 1), &router, &p.i, 4, cases[i].type,
                                           cases[i].code, quoted);
    g_assert_nonnull(f);
    g_assert_cmpuint(f->tunnel, ==, 1);
    g_assert_cmpuint(findings_on(f, NULL), ==, 1);
    const ipsecdiag_finding_t *x = finding_on(f, cases[i].rule);
    g_assert_nonnull(x);
    assert_param(x, "icmp", cases[i].icmp);
    assert_param(x, "reporter", "203.0.113.254");
    assert_param(x, "reporter_role", "a router on the path");
    assert_param(x, "peer", "198.51.100.20");
    assert_param(x, "message", "IKE_SA_INIT request");
  }
  sc_finish(&s);
}

static void test_icmpv6(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x3333333333333334ull, 0);
  peers_set_endpoints(&p, "2001:db8::10", "2001:db8:1::20");
  GByteArray *init = v2_init(&p, FALSE);
  send_msg(&s, 0.0, &p, FROM_I, P500, init);
  GByteArray *quoted = quote_udp(&p.i, &p.r, init->data, init->len, FALSE);
  const ipsecdiag_frame_t *f = feed_icmp(&s, 0.1, &p.r, &p.i, 6, 1, 4, quoted);
  g_assert_nonnull(f);
  g_assert_cmpuint(f->tunnel, ==, 1);
  g_assert_cmpuint(f->request_frame, ==, 1);
  const ipsecdiag_finding_t *x = finding_on(f, "icmp_port_unreachable");
  g_assert_nonnull(x);
  assert_param(x, "peer", "2001:db8:1::20");
  assert_param(x, "reporter", "2001:db8:1::20");
  assert_param(x, "icmp", "port unreachable (ICMPv6 type 1, code 4)");
  assert_param(x, "message", "IKE_SA_INIT request");

  ipsecdiag_endpoint_t router = ep("2001:db8:ffff::1", 0);
  f = feed_icmp(&s, 0.2, &router, &p.i, 6, 1, 1, quoted);
  g_assert_nonnull(finding_on(f, "icmp_admin_prohibited"));
  f = feed_icmp(&s, 0.3, &router, &p.i, 6, 1, 3, quoted);
  g_assert_nonnull(finding_on(f, "icmp_host_unreachable"));
  f = feed_icmp(&s, 0.4, &router, &p.i, 6, 2, 0, quoted);
  x = finding_on(f, "icmp_other");
  g_assert_nonnull(x);
  assert_param(x, "icmp", "packet too big (ICMPv6 type 2, code 0)");
  g_assert_cmpuint(tun(&s, 1)->icmp_frame, ==, 2);
  /* An IPv4 quote given as ICMPv6 is not parsed. */
  peers_t q = peers_new(0x3535353535353536ull, 0);
  GByteArray *v4 = quote_udp(&q.i, &q.r, init->data, init->len, FALSE);
  g_assert_null(feed_icmp(&s, 0.5, &router, &p.i, 6, 1, 4, v4));
  sc_finish(&s);
}

static void test_icmp_not_ike(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x3434343434343435ull, 0);
  GByteArray *mi1 = mm(&p, 1);
  send_msg(&s, 0.0, &p, FROM_I, P500, mi1);
  ipsecdiag_endpoint_t dns_src = ep("192.0.2.10", 40000), dns_dst = ep("198.51.100.20", 53);
  g_assert_null(feed_icmp(&s, 0.1, &p.r, &p.i, 4, 3, 3, quote_udp(&dns_src, &dns_dst, mi1->data, 40, FALSE)));
  g_assert_null(ipsecdiag_engine_frame(s.engine, s.frame));
  /* Not UDP. */
  GByteArray *tcp = quote_udp(&p.i, &p.r, mi1->data, mi1->len, FALSE);
  tcp->data[9] = 6;
  g_assert_null(feed_icmp(&s, 0.2, &p.r, &p.i, 4, 3, 3, tcp));
  /* Shorter than IP + UDP headers, or not IPv4 at all. */
  GByteArray *cut = g_byte_array_new();
  g_ptr_array_add(pool, cut);
  putn(cut, tcp->data, 24);
  g_assert_null(feed_icmp(&s, 0.3, &p.r, &p.i, 4, 3, 3, cut));
  g_byte_array_set_size(cut, 0);
  g_assert_null(feed_icmp(&s, 0.4, &p.r, &p.i, 4, 3, 3, cut));
  GByteArray *v6 = quote_udp(&p.i, &p.r, mi1->data, mi1->len, FALSE);
  v6->data[0] = 0x65;
  g_assert_null(feed_icmp(&s, 0.5, &p.r, &p.i, 4, 3, 3, v6));
  /* An IHL that points past the data. */
  GByteArray *ihl = quote_udp(&p.i, &p.r, NULL, 0, FALSE);
  ihl->data[0] = 0x4f;
  g_assert_null(feed_icmp(&s, 0.6, &p.r, &p.i, 4, 3, 3, ihl));
  g_assert_null(finding_on(fr(&s, 1), NULL));
  g_assert_cmpuint(tun(&s, 1)->icmp_frame, ==, 0);
  sc_finish(&s);
}

static void test_icmp_short_quote(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x3636363636363637ull, 0);
  GByteArray *mi1 = mm(&p, 1);
  send_msg(&s, 0.0, &p, FROM_I, P500, mi1);
  /* RFC 792 minimum: IP header + 8 bytes (the UDP header) + here 8 bytes of IKE. */
  const ipsecdiag_frame_t *f = feed_icmp(&s, 0.1, &p.r, &p.i, 4, 3, 3,
                                         quote_udp(&p.i, &p.r, mi1->data, 8, FALSE));
  g_assert_nonnull(f);
  g_assert_cmpuint(f->tunnel, ==, 1);             /* linked by the peers' addresses */
  g_assert_cmpuint(f->request_frame, ==, 0);
  const ipsecdiag_finding_t *x = finding_on(f, "icmp_port_unreachable");
  g_assert_nonnull(x);
  assert_param(x, "message", "IKE message");
  assert_param(x, "peer", "198.51.100.20");
  g_assert_cmpuint(tun(&s, 1)->icmp_frame, ==, 2);

  /* No UDP payload at all, unknown peers: an error without a tunnel. */
  ipsecdiag_endpoint_t a = ep("192.0.2.200", 500), b = ep("198.51.100.200", 500);
  f = feed_icmp(&s, 0.2, &b, &a, 4, 3, 3, quote_udp(&a, &b, NULL, 0, FALSE));
  g_assert_nonnull(f);
  g_assert_cmpuint(f->tunnel, ==, 0);
  x = finding_on(f, "icmp_port_unreachable");
  g_assert_nonnull(x);
  g_assert_cmpuint(x->tunnel, ==, 0);
  assert_param(x, "message", "IKE message");

  /* UDP 4500 with the non-ESP marker: the IKE header after it is found. */
  peers_t q = peers_new(0x3737373737373738ull, 0x4747474747474747ull);
  peers_set_endpoints(&q, "192.0.2.33", "198.51.100.33");
  for (int n = 1; n <= 4; n++)
    send_msg(&s, 1.0 + 0.1 * n, &q, n % 2 == 1, P500, mm(&q, n));
  GByteArray *mi3 = mm(&q, 5);
  guint32 mi3_frame = send_msg(&s, 2.0, &q, FROM_I, P4500, mi3)->frame;
  f = feed_icmp(&s, 2.1, &q.r, &q.i, 4, 3, 13, quote_udp(&q.i4500, &q.r4500, mi3->data, mi3->len, TRUE));
  g_assert_nonnull(f);
  g_assert_cmpuint(f->tunnel, ==, 2);
  g_assert_cmpuint(f->request_frame, ==, mi3_frame);
  x = finding_on(f, "icmp_admin_prohibited");
  g_assert_nonnull(x);
  assert_param(x, "message", "MI3");
  assert_param(x, "port", "4500");
  sc_finish(&s);
}

/* ---------- NAT detection ---------- */

static void test_natd_no_nat(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x4141414141414142ull, 0x5151515151515151ull);
  for (int n = 1; n <= 4; n++)
    send_msg(&s, 0.1 * n, &p, n % 2 == 1, P500, mm(&p, n));
  const ipsecdiag_tunnel_t *t = tun(&s, 1);
  g_assert_cmpuint(t->natd_results, ==, IPSECDIAG_NATD_I_SRC_OK | IPSECDIAG_NATD_I_DST_OK
                                        | IPSECDIAG_NATD_R_SRC_OK | IPSECDIAG_NATD_R_DST_OK);
  g_assert_cmpint(t->nat_initiator, ==, 0);
  g_assert_cmpint(t->nat_responder, ==, 0);
  g_assert_true(t->natt_offered);
  g_assert_false(ipsecdiag_natt_expected(t));
  char buf[128];
  g_assert_cmpstr(ipsecdiag_nat_describe(t, buf, sizeof buf), ==, "no NAT");

  peers_t q = peers_new(0x4242424242424243ull, 0x5252525252525252ull);
  peers_set_endpoints(&q, "2001:db8::1", "2001:db8::2");
  send_msg(&s, 1.0, &q, FROM_I, P500, v2_init(&q, FALSE));
  t = tun(&s, 2);
  g_assert_cmpuint(t->natd_results, ==, IPSECDIAG_NATD_I_SRC_OK | IPSECDIAG_NATD_I_DST_OK);
  g_assert_cmpint(t->nat_initiator, ==, -1);     /* one side's hashes do not tell yet */
  send_msg(&s, 1.1, &q, FROM_R, P500, v2_init(&q, TRUE));
  g_assert_cmpuint(t->natd_results, ==, IPSECDIAG_NATD_I_SRC_OK | IPSECDIAG_NATD_I_DST_OK
                                        | IPSECDIAG_NATD_R_SRC_OK | IPSECDIAG_NATD_R_DST_OK);
  g_assert_cmpint(t->nat_initiator, ==, 0);
  g_assert_cmpint(t->nat_responder, ==, 0);

  /* No NAT-D at all: unknown. */
  peers_t r = peers_new(0x4343434343434344ull, 0x5353535353535353ull);
  peers_set_endpoints(&r, "192.0.2.77", "198.51.100.77");
  ike_t plain = ike_begin(2, r.spi_i, NULL, IKEV2_EXCH_IKE_SA_INIT, IKEV2_FLAG_INITIATOR, 0);
  add_sa(&plain);
  add_ke(&plain, 1);
  add_nonce(&plain, 2);
  send_msg(&s, 2.0, &r, FROM_I, P500, ike_end(&plain));
  t = tun(&s, 3);
  g_assert_cmpuint(t->natd_results, ==, 0);
  g_assert_cmpint(t->nat_initiator, ==, -1);
  g_assert_cmpint(t->nat_responder, ==, -1);
  g_assert_false(t->natt_offered);
  g_assert_cmpstr(ipsecdiag_nat_describe(t, buf, sizeof buf), ==, "NAT-T not offered");
  sc_finish(&s);
}

/* The capture shows the initiator's private address; the responder saw the
 * NAT's public one and hashed that as the initiator's address. */
static void test_natd_capture_inside_initiator_nat(void)
{
  for (int version = 1; version <= 2; version++) {
    sc_t s = sc_new();
    peers_t p = peers_new(0x4444444444444445ull, 0x5454545454545454ull);
    peers_set_endpoints(&p, "10.0.0.5", "198.51.100.20");
    p.r_natd_dst = ep("203.0.113.7", 500);
    p.ttl_i = 64;
    p.ttl_r = 50;
    if (version == 1) {
      for (int n = 1; n <= 4; n++)
        send_msg(&s, 0.1 * n, &p, n % 2 == 1, P500, mm(&p, n));
    } else {
      send_msg(&s, 0.0, &p, FROM_I, P500, v2_init(&p, FALSE));
      send_msg(&s, 0.1, &p, FROM_R, P500, v2_init(&p, TRUE));
    }
    const ipsecdiag_tunnel_t *t = tun(&s, 1);
    g_assert_true(t->natd_results & IPSECDIAG_NATD_R_DST_BAD);
    g_assert_true(t->natd_results & IPSECDIAG_NATD_I_SRC_OK);
    g_assert_cmpint(t->nat_initiator, ==, 1);
    g_assert_cmpint(t->nat_responder, ==, 0);
    g_assert_cmpint(t->capture_inside_initiator_nat, ==, 1);
    g_assert_cmpuint(t->capture_side, ==, IPSECDIAG_SIDE_INITIATOR);
    char buf[128];
    g_assert_cmpstr(ipsecdiag_nat_describe(t, buf, sizeof buf), ==, "initiator behind NAT");
    sc_finish(&s);
  }
}

/* The initiator hashed its private address; the capture shows the NAT's,
 * after the NAT router (TTL 63). */
static void test_natd_capture_outside(void)
{
  for (int version = 1; version <= 2; version++) {
    sc_t s = sc_new();
    peers_t p = peers_new(0x4545454545454546ull, 0x5555555555555556ull);
    peers_set_endpoints(&p, "203.0.113.7", "198.51.100.20");
    peers_nat_initiator(&p);
    p.ttl_r = 0;
    if (version == 1) {
      for (int n = 1; n <= 3; n++)
        send_msg(&s, 0.1 * n, &p, n % 2 == 1, P500, mm(&p, n));
    } else {
      send_msg(&s, 0.0, &p, FROM_I, P500, v2_init(&p, FALSE));
    }
    const ipsecdiag_tunnel_t *t = tun(&s, 1);
    g_assert_true(t->natd_results & IPSECDIAG_NATD_I_SRC_BAD);
    g_assert_true(t->natd_results & IPSECDIAG_NATD_I_DST_OK);
    g_assert_cmpuint(t->natd_forced, ==, 0);
    g_assert_cmpint(t->nat_initiator, ==, 1);
    g_assert_cmpint(t->capture_inside_initiator_nat, ==, 0);
    g_assert_cmpuint(t->capture_side, !=, IPSECDIAG_SIDE_INITIATOR);
    g_assert_true(ipsecdiag_natt_expected(t));
    char buf[128];
    /* Its own hash alone cannot prove a NAT (it could be faked on purpose). */
    g_assert_cmpstr(ipsecdiag_nat_describe(t, buf, sizeof buf), ==,
                    "initiator behind NAT or forcing encapsulation");
    sc_finish(&s);
  }
}

/* A peer whose own source hash is wrong although the capture was taken next
 * to it (initial TTL): nothing translated it, it fakes NAT-D on purpose. */
static void test_natd_forced_encapsulation(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x4848484848484849ull, 0x5858585858585859ull);
  p.i_natd_src = ep("0.0.0.0", 0);
  p.ttl_i = 64;
  send_msg(&s, 0.0, &p, FROM_I, P500, v2_init(&p, FALSE));
  send_msg(&s, 0.1, &p, FROM_R, P500, v2_init(&p, TRUE));
  const ipsecdiag_tunnel_t *t = tun(&s, 1);
  g_assert_cmpuint(t->natd_forced, ==, 1);
  g_assert_false(t->natd_results & IPSECDIAG_NATD_I_SRC_BAD);
  g_assert_cmpint(t->nat_initiator, !=, 1);
  g_assert_true(ipsecdiag_natt_expected(t));
  char buf[128];
  g_assert_cmpstr(ipsecdiag_nat_describe(t, buf, sizeof buf), ==, "initiator forces UDP encapsulation");
  sc_finish(&s);
}

/* The responder sits behind a NAT (port forward): the initiator hashed the
 * public address it sent to, the capture (inside) shows the private one. */
static void test_natd_responder_nat(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x4646464646464647ull, 0x5656565656565657ull);
  peers_set_endpoints(&p, "192.0.2.10", "10.1.1.1");
  p.i_natd_dst = ep("198.51.100.20", 500);
  send_msg(&s, 0.0, &p, FROM_I, P500, v2_init(&p, FALSE));
  send_msg(&s, 0.1, &p, FROM_R, P500, v2_init(&p, TRUE));
  const ipsecdiag_tunnel_t *t = tun(&s, 1);
  g_assert_true(t->natd_results & IPSECDIAG_NATD_I_DST_BAD);
  g_assert_cmpint(t->nat_responder, ==, 1);
  g_assert_cmpint(t->nat_initiator, ==, 0);
  char buf[128];
  g_assert_cmpstr(ipsecdiag_nat_describe(t, buf, sizeof buf), ==, "responder behind NAT");
  sc_finish(&s);
}

/* ---------- ESP ---------- */

static void test_esp(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x6161616161616161ull, 0x7171717171717171ull);
  send_msg(&s, 0.0, &p, FROM_I, P500, v2_init(&p, FALSE));
  send_msg(&s, 0.1, &p, FROM_R, P500, v2_init(&p, TRUE));
  send_msg(&s, 0.2, &p, FROM_I, P500, v2_sk(&p, IKEV2_EXCH_IKE_AUTH, TRUE, FALSE, 1, 1));
  send_msg(&s, 0.3, &p, FROM_R, P500, v2_sk(&p, IKEV2_EXCH_IKE_AUTH, FALSE, TRUE, 1, 2));
  ipsecdiag_endpoint_t i = p.i, r = p.r;
  i.port = r.port = 0;           /* native ESP */
  for (guint n = 1; n <= 3; n++)
    feed_esp(&s, 1.0 + n, &i, &r, 0xc0000001, n, 100);
  for (guint n = 1; n <= 2; n++)
    feed_esp(&s, 1.5 + n, &r, &i, 0xc0000002, n, 200);
  const ipsecdiag_tunnel_t *t = tun(&s, 1);
  ipsecdiag_esp_tunnel_totals_t totals;
  ipsecdiag_engine_esp_tunnel_totals(s.engine, 1, &totals);
  g_assert_cmpuint(totals.packets[0], ==, 3);
  g_assert_cmpuint(totals.packets[1], ==, 2);
  g_assert_cmpuint(totals.bytes[0], ==, 300);
  g_assert_cmpuint(totals.bytes[1], ==, 400);
  g_assert_cmpuint(t->n_esp_spis, ==, 2);
  g_assert_cmpuint(t->state, ==, IPSECDIAG_ST_ESP);
  g_assert_cmpstr(ipsecdiag_state_name(t->state), ==, "ESP seen");
  g_assert_false(t->natt_used);
  g_assert_cmpuint(ipsecdiag_engine_esp_tunnel(s.engine, 0xc0000001, &r.addr), ==, 1);
  g_assert_cmpuint(ipsecdiag_engine_esp_tunnel(s.engine, 0xc0000002, &i.addr), ==, 1);
  g_assert_cmpuint(ipsecdiag_engine_esp_tunnel(s.engine, 0xc0000001, &i.addr), ==, 0);
  g_assert_cmpuint(ipsecdiag_engine_esp_tunnel(s.engine, 0xc0000003, &r.addr), ==, 0);

  /* ESP between hosts without an IKE SA: counted, linked to nothing. */
  ipsecdiag_endpoint_t a = ep("203.0.113.1", 0), b = ep("203.0.113.2", 0);
  feed_esp(&s, 5.0, &a, &b, 0xc0000001, 1, 80);
  g_assert_cmpuint(ipsecdiag_engine_esp_tunnel(s.engine, 0xc0000001, &b.addr), ==, 0);
  ipsecdiag_engine_esp_tunnel_totals(s.engine, 1, &totals);
  g_assert_cmpuint(totals.packets[0], ==, 3);

  /* ESP in UDP 4500 marks NAT-T as used. */
  peers_t q = peers_new(0x6262626262626262ull, 0x7272727272727272ull);
  peers_set_endpoints(&q, "192.0.2.60", "198.51.100.60");
  send_msg(&s, 6.0, &q, FROM_I, P500, v2_init(&q, FALSE));
  send_msg(&s, 6.1, &q, FROM_R, P500, v2_init(&q, TRUE));
  feed_esp(&s, 7.0, &q.i4500, &q.r4500, 0xc1000001, 1, 100);
  const ipsecdiag_tunnel_t *u = tun(&s, 2);
  g_assert_true(u->natt_used);
  ipsecdiag_engine_esp_tunnel_totals(s.engine, 2, &totals);
  g_assert_cmpuint(totals.packets[0], ==, 1);
  g_assert_cmpuint(u->state, ==, IPSECDIAG_ST_ESP);
  g_assert_cmpuint(ipsecdiag_engine_esp_tunnel(s.engine, 0xc1000001, &q.r.addr), ==, 2);

  ipsecdiag_engine_finalize(s.engine);
  g_assert_cmpuint(findings_total(&s, NULL), ==, 0);
  sc_finish(&s);
}

static void test_nat_keepalive(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x6363636363636363ull, 0x7373737373737373ull);
  static const guint8 keepalive = 0xff;
  const ipsecdiag_frame_t *f = feed_raw(&s, 0.0, &p.i4500, &p.r4500, 64, &keepalive, 1);
  g_assert_cmpuint(f->kind, ==, IPSECDIAG_FRAME_NAT_KEEPALIVE);
  g_assert_cmpuint(f->tunnel, ==, 0);
  send_msg(&s, 1.0, &p, FROM_I, P500, v2_init(&p, FALSE));
  send_msg(&s, 1.1, &p, FROM_R, P500, v2_init(&p, TRUE));
  f = feed_raw(&s, 20.0, &p.r4500, &p.i4500, 64, &keepalive, 1);
  g_assert_cmpuint(f->kind, ==, IPSECDIAG_FRAME_NAT_KEEPALIVE);
  g_assert_cmpstr(f->message, ==, "NAT keepalive");
  g_assert_cmpuint(f->tunnel, ==, 1);
  g_assert_cmpuint(f->sender_role, ==, IPSECDIAG_ROLE_RESPONDER);
  g_assert_cmpuint(f->state, ==, IPSECDIAG_ST_INIT_RESP);
  g_assert_null(finding_on(f, NULL));
  g_assert_cmpuint(tun(&s, 1)->n_packets, ==, 2);
  sc_finish(&s);
}

/* ---------- robustness ---------- */

static void test_malformed(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0x8181818181818181ull, 0x9191919191919191ull);
  GByteArray *mi1 = mm(&p, 1);

  const ipsecdiag_frame_t *f = feed_raw(&s, 0.0, &p.i, &p.r, 64, mi1->data, 10);
  g_assert_cmpuint(f->parse_status, ==, IKE_PARSE_TOO_SHORT);
  g_assert_cmpuint(f->tunnel, ==, 0);
  const ipsecdiag_finding_t *x = finding_on(f, "ike_malformed");
  g_assert_nonnull(x);
  g_assert_cmpuint(x->tunnel, ==, 0);
  assert_param(x, "error", "shorter than the IKE header");
  assert_param(x, "length", "10");

  f = feed_raw(&s, 0.1, &p.i, &p.r, 64, mi1->data, 0);
  g_assert_nonnull(finding_on(f, "ike_malformed"));
  g_assert_cmpuint(f->tunnel, ==, 0);

  GByteArray *bad_version = g_byte_array_new();
  g_ptr_array_add(pool, bad_version);
  putn(bad_version, mi1->data, mi1->len);
  bad_version->data[17] = 0x30;
  f = feed_raw(&s, 0.2, &p.i, &p.r, 64, bad_version->data, bad_version->len);
  g_assert_cmpuint(f->parse_status, ==, IKE_PARSE_BAD_VERSION);
  x = finding_on(f, "ike_malformed");
  g_assert_nonnull(x);
  assert_param(x, "error", "unknown major version");
  assert_param(x, "offset", "17");
  g_assert_cmpuint(ipsecdiag_engine_tunnel_count(s.engine), ==, 0);

  /* Cut short: the header is usable, so the SA is tracked. */
  f = feed_raw(&s, 0.3, &p.i, &p.r, 64, mi1->data, 40);
  g_assert_cmpuint(f->parse_status, ==, IKE_PARSE_BAD_LENGTH);
  x = finding_on(f, "ike_malformed");
  g_assert_nonnull(x);
  assert_param(x, "error", "header length disagrees with the data");
  assert_param(x, "length", "40");
  g_assert_cmpuint(f->tunnel, ==, 1);
  g_assert_cmpuint(x->tunnel, ==, 0);
  g_assert_nonnull(f->message);

  /* A payload length below 4. */
  GByteArray *bad_payload = g_byte_array_new();
  g_ptr_array_add(pool, bad_payload);
  putn(bad_payload, mi1->data, mi1->len);
  patch16(bad_payload, IKE_HEADER_LEN + 2, 2);
  f = feed_raw(&s, 0.4, &p.i, &p.r, 64, bad_payload->data, bad_payload->len);
  g_assert_cmpuint(f->parse_status, ==, IKE_PARSE_BAD_PAYLOAD);
  g_assert_nonnull(finding_on(f, "ike_malformed"));

  /* A broken proposal inside the SA payload. */
  GByteArray *bad_sa = g_byte_array_new();
  g_ptr_array_add(pool, bad_sa);
  putn(bad_sa, mi1->data, mi1->len);
  patch16(bad_sa, IKE_HEADER_LEN + 4 + 8 + 2, 5);
  f = feed_raw(&s, 0.5, &p.i, &p.r, 64, bad_sa->data, bad_sa->len);
  g_assert_cmpuint(f->parse_status, ==, IKE_PARSE_BAD_SA);
  x = finding_on(f, "ike_malformed");
  g_assert_nonnull(x);
  assert_param(x, "error", "malformed SA proposal");

  /* Header length field below 28. */
  GByteArray *short_len = g_byte_array_new();
  g_ptr_array_add(pool, short_len);
  putn(short_len, mi1->data, mi1->len);
  patch32(short_len, 24, 20);
  f = feed_raw(&s, 0.6, &p.i, &p.r, 64, short_len->data, short_len->len);
  g_assert_cmpuint(f->parse_status, ==, IKE_PARSE_BAD_LENGTH);
  g_assert_nonnull(finding_on(f, "ike_malformed"));

  /* Trailing bytes after the declared length are not an error. */
  GByteArray *trailing = g_byte_array_new();
  g_ptr_array_add(pool, trailing);
  putn(trailing, mi1->data, mi1->len);
  putfill(trailing, 0, 3);
  f = feed_raw(&s, 0.7, &p.i, &p.r, 64, trailing->data, trailing->len);
  g_assert_cmpuint(f->parse_status, ==, IKE_PARSE_OK);
  g_assert_null(finding_on(f, NULL));
  ipsecdiag_engine_finalize(s.engine);
  sc_finish(&s);
}

/* Every prefix and many corruptions of real conversations, fed to one
 * engine: no crash, no over-read (sanitizer builds), and consistent records. */
static void test_garbage(void)
{
  sc_t s = sc_new();
  GRand *rand = g_rand_new_with_seed(20240601);
  peers_t p = peers_new(0xa1a2a3a4a5a6a7a8ull, 0xb1b2b3b4b5b6b7b8ull);
  peers_nat_initiator(&p);
  GPtrArray *msgs = g_ptr_array_new();
  for (int n = 1; n <= 6; n++)
    g_ptr_array_add(msgs, mm(&p, n));
  g_ptr_array_add(msgs, qm(&p, 9, 1));
  g_ptr_array_add(msgs, v2_init(&p, FALSE));
  g_ptr_array_add(msgs, v2_init(&p, TRUE));
  g_ptr_array_add(msgs, v2_sk(&p, IKEV2_EXCH_IKE_AUTH, TRUE, FALSE, 1, 7));
  g_ptr_array_add(msgs, v2_sk(&p, IKEV2_EXCH_CREATE_CHILD_SA, FALSE, TRUE, 2, 8));
  double time = 0;

  for (guint m = 0; m < msgs->len; m++) {
    const GByteArray *msg = g_ptr_array_index(msgs, m);
    for (gsize len = 0; len <= msg->len; len++) {
      gboolean from_i = g_rand_boolean(rand);
      gboolean natt = g_rand_int_range(rand, 0, 4) == 0;
      const ipsecdiag_endpoint_t *i = natt ? &p.i4500 : &p.i, *r = natt ? &p.r4500 : &p.r;
      feed_raw(&s, time += 0.25, from_i ? i : r, from_i ? r : i, (guint8)g_rand_int(rand), msg->data, len);
    }
    for (guint k = 0; k < 400; k++) {
      guint8 *copy = g_memdup2(msg->data, msg->len);
      guint flips = (guint)g_rand_int_range(rand, 1, 4);
      for (guint j = 0; j < flips; j++)
        copy[g_rand_int_range(rand, 0, (gint32)msg->len)] = (guint8)g_rand_int(rand);
      gboolean from_i = g_rand_boolean(rand);
      feed_raw(&s, time += 0.75, from_i ? &p.i : &p.r, from_i ? &p.r : &p.i, 64, copy, msg->len);
      if (k % 50 == 0) {
        ipsecdiag_endpoint_t router = ep("203.0.113.9", 0);
        GByteArray *quoted = quote_udp(&p.i, &p.r, copy, (gsize)g_rand_int_range(rand, 0, (gint32)msg->len),
                                       g_rand_boolean(rand));
        feed_icmp(&s, time, &router, &p.i, 4, 3, (guint8)g_rand_int_range(rand, 0, 16), quoted);
        feed_esp(&s, time, &p.i, &p.r, g_rand_int(rand), k, 64);
      }
      g_free(copy);
    }
    if (m % 3 == 0)
      ipsecdiag_engine_finalize(s.engine);
  }
  /* Pure noise. */
  for (guint k = 0; k < 2000; k++) {
    gsize len = (gsize)g_rand_int_range(rand, 0, 200);
    guint8 *noise = g_malloc(len + 1);
    for (gsize j = 0; j < len; j++)
      noise[j] = (guint8)g_rand_int(rand);
    if (len > 17 && g_rand_boolean(rand))
      noise[17] = g_rand_boolean(rand) ? 0x10 : 0x20;
    feed_raw(&s, time += 0.01, &p.i, &p.r, 0, noise, len);
    g_free(noise);
  }
  ipsecdiag_engine_finalize(s.engine);
  ipsecdiag_engine_finalize(s.engine);

  guint n_tunnels = ipsecdiag_engine_tunnel_count(s.engine);
  g_assert_cmpuint(n_tunnels, >=, 1);
  for (guint32 n = 1; n <= s.frame; n++) {
    const ipsecdiag_frame_t *f = ipsecdiag_engine_frame(s.engine, n);
    if (!f)
      continue;
    g_assert_cmpuint(f->tunnel, <=, n_tunnels);
    g_assert_cmpuint(f->request_frame, <, n);
    g_assert_cmpuint(f->retransmission_of, <, n);
    g_assert_true(f->response_frame == 0 || f->response_frame > n);
    g_assert_nonnull(ipsecdiag_state_name(f->state));
  }
  for (guint32 id = 1; id <= n_tunnels; id++) {
    const ipsecdiag_tunnel_t *t = tun(&s, id);
    g_assert_cmpuint(t->n_messages, <=, IPSECDIAG_MAX_MESSAGES_PER_TUNNEL);
    g_assert_cmpuint(t->findings->len, <=, IPSECDIAG_MAX_FINDINGS_PER_TUNNEL);
  }
  g_ptr_array_free(msgs, TRUE);
  g_rand_free(rand);
  sc_finish(&s);
}

/* A redissection feeds a frame again: the stored record is returned as is. */
static void test_same_frame_twice(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0xc1c1c1c1c1c1c1c1ull, 0xd1d1d1d1d1d1d1d1ull);
  GByteArray *mi1 = mm(&p, 1);
  const ipsecdiag_frame_t *f = send_msg(&s, 0.0, &p, FROM_I, P500, mi1);
  ipsecdiag_packet_t pkt;
  memset(&pkt, 0, sizeof pkt);
  pkt.frame = 1;
  pkt.time = 0.0;
  pkt.src = p.i;
  pkt.dst = p.r;
  g_assert_true(ipsecdiag_engine_feed_ike(s.engine, &pkt, mi1->data, mi1->len) == f);
  /* Even with other data. */
  GByteArray *mr1 = mm(&p, 2);
  g_assert_true(ipsecdiag_engine_feed_ike(s.engine, &pkt, mr1->data, mr1->len) == f);
  const ipsecdiag_tunnel_t *t = tun(&s, 1);
  g_assert_cmpuint(t->n_packets, ==, 1);
  g_assert_cmpuint(t->n_messages, ==, 1);
  g_assert_cmpuint(t->n_retransmissions, ==, 0);
  g_assert_cmpuint(f->retransmission_of, ==, 0);
  g_assert_cmpstr(f->message, ==, "MI1");

  /* An ICMP error fed again too, and an ICMP on an IKE frame's number. */
  const ipsecdiag_frame_t *icmp = feed_icmp(&s, 0.1, &p.r, &p.i, 4, 3, 3,
                                            quote_udp(&p.i, &p.r, mi1->data, mi1->len, FALSE));
  g_assert_nonnull(icmp);
  s.frame--;
  g_assert_true(feed_icmp(&s, 0.1, &p.r, &p.i, 4, 3, 3,
                          quote_udp(&p.i, &p.r, mi1->data, mi1->len, FALSE)) == icmp);
  g_assert_cmpuint(findings_on(icmp, NULL), ==, 1);
  s.frame = 0;
  g_assert_true(feed_icmp(&s, 0.1, &p.r, &p.i, 4, 3, 3,
                          quote_udp(&p.i, &p.r, mi1->data, mi1->len, FALSE)) == f);
  g_assert_null(finding_on(f, NULL));
  s.frame = 2;
  ipsecdiag_engine_finalize(s.engine);
  g_assert_true(ipsecdiag_engine_is_finalized(s.engine));
  /* Refeeding a known frame is not new data. */
  g_assert_true(ipsecdiag_engine_feed_ike(s.engine, &pkt, mi1->data, mi1->len) == f);
  g_assert_true(ipsecdiag_engine_is_finalized(s.engine));
  sc_finish(&s);
}

static void test_finalize_idempotent(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0xe1e1e1e1e1e1e1e1ull, 0);
  GByteArray *mi1 = mm(&p, 1);
  send_msg(&s, 0.0, &p, FROM_I, P500, mi1);
  send_msg(&s, 1.0, &p, FROM_I, P500, mi1);
  send_msg(&s, 3.0, &p, FROM_I, P500, mi1);
  ipsecdiag_engine_finalize(s.engine);
  guint total = findings_total(&s, NULL);
  guint on_tunnel = tunnel_findings(tun(&s, 1));
  g_assert_cmpuint(total, ==, 2);
  for (int k = 0; k < 3; k++) {
    ipsecdiag_engine_finalize(s.engine);
    g_assert_true(ipsecdiag_engine_is_finalized(s.engine));
    g_assert_cmpuint(findings_total(&s, NULL), ==, total);
    g_assert_cmpuint(tunnel_findings(tun(&s, 1)), ==, on_tunnel);
    g_assert_cmpuint(findings_on(fr(&s, 1), "first_msg_unanswered"), ==, 1);
  }
  sc_finish(&s);
}

static void test_refinalize(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(0xe2e2e2e2e2e2e2e2ull, 0xf2f2f2f2f2f2f2f2ull);
  GByteArray *mi1 = mm(&p, 1);
  send_msg(&s, 0.0, &p, FROM_I, P500, mi1);
  send_msg(&s, 1.0, &p, FROM_I, P500, mi1);
  send_msg(&s, 3.0, &p, FROM_I, P500, mi1);
  ipsecdiag_engine_finalize(s.engine);
  const ipsecdiag_finding_t *x = finding_on(fr(&s, 1), "first_msg_unanswered");
  g_assert_nonnull(x);
  assert_param(x, "count", "3");

  /* More frames: the final findings are replaced, not added to. */
  send_msg(&s, 7.0, &p, FROM_I, P500, mi1);
  g_assert_false(ipsecdiag_engine_is_finalized(s.engine));
  ipsecdiag_engine_finalize(s.engine);
  g_assert_cmpuint(findings_on(fr(&s, 1), NULL), ==, 1);
  x = finding_on(fr(&s, 1), "first_msg_unanswered");
  g_assert_nonnull(x);
  g_assert_true(x->final);
  assert_param(x, "count", "4");
  assert_param(x, "span", "7.0");
  g_assert_cmpuint(findings_total(&s, NULL), ==, 2);
  g_assert_cmpuint(tunnel_findings(tun(&s, 1)), ==, 2);

  /* The answer finally comes: the final finding goes, and the immediate
   * one of the first pass, now disproved, is retracted; the note stays. */
  const ipsecdiag_frame_t *f = send_msg(&s, 7.5, &p, FROM_R, P500, mm(&p, 2));
  g_assert_nonnull(finding_on(f, "answered_after_retransmission"));
  g_assert_nonnull(finding_on(fr(&s, 3), "first_msg_unanswered"));
  ipsecdiag_engine_finalize(s.engine);
  g_assert_null(finding_on(fr(&s, 1), NULL));
  g_assert_null(finding_on(fr(&s, 3), NULL));
  g_assert_nonnull(finding_on(f, "answered_after_retransmission"));
  g_assert_cmpuint(findings_total(&s, NULL), ==, 1);
  g_assert_cmpuint(tunnel_findings(tun(&s, 1)), ==, 1);
  sc_finish(&s);
}

static void test_tunnel_cap(void)
{
  sc_t s = sc_new();
  peers_t p = peers_new(1, 0);
  GByteArray *init = v2_init(&p, FALSE);
  ipsecdiag_packet_t pkt;
  memset(&pkt, 0, sizeof pkt);
  pkt.src = p.i;
  pkt.dst = p.r;
  pkt.ttl = 64;
  /* Distinct initiator SPIs; the NAT-D hashes no longer match, which is fine. */
  for (guint32 n = 1; n <= IPSECDIAG_MAX_TUNNELS + 10; n++) {
    patch32(init, 4, n);
    pkt.frame = n;
    pkt.time = n * 0.001;
    const ipsecdiag_frame_t *f = ipsecdiag_engine_feed_ike(s.engine, &pkt, init->data, init->len);
    if (n <= IPSECDIAG_MAX_TUNNELS) {
      g_assert_cmpuint(f->tunnel, ==, n);
    } else {
      g_assert_cmpuint(f->tunnel, ==, 0);
      g_assert_nonnull(f->message);
    }
  }
  s.frame = IPSECDIAG_MAX_TUNNELS + 10;
  g_assert_cmpuint(ipsecdiag_engine_tunnel_count(s.engine), ==, IPSECDIAG_MAX_TUNNELS);
  const GPtrArray *global = ipsecdiag_engine_global_findings(s.engine);
  g_assert_cmpuint(global->len, ==, 1);
  const ipsecdiag_finding_t *x = g_ptr_array_index(global, 0);
  g_assert_cmpstr(x->rule_id, ==, "tunnel_cap_reached");
  g_assert_cmpuint(x->frame, ==, IPSECDIAG_MAX_TUNNELS + 1);
  g_assert_cmpuint(x->tunnel, ==, 0);
  char count[16];
  g_snprintf(count, sizeof count, "%u", (guint)IPSECDIAG_MAX_TUNNELS);
  assert_param(x, "count", count);
  /* Known SAs are still tracked. */
  patch32(init, 4, 7);
  pkt.frame = s.frame = s.frame + 1;
  const ipsecdiag_frame_t *f = ipsecdiag_engine_feed_ike(s.engine, &pkt, init->data, init->len);
  g_assert_cmpuint(f->tunnel, ==, 7);
  g_assert_cmpuint(f->retransmission_of, ==, 7);
  ipsecdiag_engine_finalize(s.engine);
  g_assert_cmpuint(global->len, ==, 1);
  sc_finish(&s);
}

static void test_esp_cap(void)
{
  sc_t s = sc_new();
  ipsecdiag_endpoint_t a = ep("203.0.113.1", 0), b = ep("203.0.113.2", 0);
  for (guint32 n = 1; n <= IPSECDIAG_MAX_ESP_SAS; n++)
    feed_esp(&s, n * 1e-4, &a, &b, n, 1, 100);
  /* The frame that hits the cap carries the note; later ones get no record. */
  for (guint32 n = IPSECDIAG_MAX_ESP_SAS + 1; n <= IPSECDIAG_MAX_ESP_SAS + 3; n++) {
    ipsecdiag_packet_t pkt = {.frame = ++s.frame, .time = n * 1e-4, .src = a, .dst = b, .ttl = 64};
    const ipsecdiag_frame_t *f = ipsecdiag_engine_feed_esp(s.engine, &pkt, n, 1, 100);
    if (n == IPSECDIAG_MAX_ESP_SAS + 1) {
      g_assert_nonnull(f);
      g_assert_nonnull(finding_on(f, "esp_sa_cap_reached"));
    } else {
      g_assert_null(f);
    }
  }
  const GPtrArray *global = ipsecdiag_engine_global_findings(s.engine);
  g_assert_cmpuint(global->len, ==, 1);
  const ipsecdiag_finding_t *x = g_ptr_array_index(global, 0);
  g_assert_cmpstr(x->rule_id, ==, "esp_sa_cap_reached");
  g_assert_cmpuint(x->frame, ==, IPSECDIAG_MAX_ESP_SAS + 1);
  sc_finish(&s);
}

/* ---------- labels ---------- */

static void test_labels(void)
{
  g_assert_cmpstr(ipsecdiag_role_name(IPSECDIAG_ROLE_INITIATOR), ==, "initiator");
  g_assert_cmpstr(ipsecdiag_role_name(IPSECDIAG_ROLE_RESPONDER), ==, "responder");
  g_assert_cmpstr(ipsecdiag_role_name(IPSECDIAG_ROLE_UNKNOWN), ==, "unknown");
  g_assert_cmpstr(ipsecdiag_role_name(99), ==, "unknown");
  g_assert_cmpstr(ipsecdiag_state_name(IPSECDIAG_ST_NONE), ==, "none");
  g_assert_cmpstr(ipsecdiag_state_name(IPSECDIAG_ST_AR1), ==, "phase 1: AR1");
  g_assert_cmpstr(ipsecdiag_state_name(200), ==, "unknown");
  for (guint8 st = IPSECDIAG_ST_MI1; st <= IPSECDIAG_ST_ESP; st++) {
    g_assert_cmpint(ipsecdiag_state_rank(st), >, 0);
    g_assert_cmpstr(ipsecdiag_state_name(st), !=, "unknown");
  }
  g_assert_cmpint(ipsecdiag_state_rank(IPSECDIAG_ST_NONE), ==, 0);
  g_assert_cmpint(ipsecdiag_state_rank(IPSECDIAG_ST_MI1), <, ipsecdiag_state_rank(IPSECDIAG_ST_MR1));
  g_assert_cmpint(ipsecdiag_state_rank(IPSECDIAG_ST_MI3), <, ipsecdiag_state_rank(IPSECDIAG_ST_P1_DONE));
  g_assert_cmpint(ipsecdiag_state_rank(IPSECDIAG_ST_INIT_RESP), <, ipsecdiag_state_rank(IPSECDIAG_ST_AUTH_REQ));
  g_assert_cmpint(ipsecdiag_state_rank(IPSECDIAG_ST_P2_DONE), <, ipsecdiag_state_rank(IPSECDIAG_ST_ESP));
  g_assert_cmpstr(ipsecdiag_capture_side_name(IPSECDIAG_SIDE_PATH), ==, "in the path");
  g_assert_cmpstr(ipsecdiag_capture_side_name(IPSECDIAG_SIDE_UNKNOWN), ==, "unknown side");

  char buf[64];
  ipsecdiag_endpoint_t v4 = ep("192.0.2.1", 4500), v6 = ep("2001:db8::1", 500);
  g_assert_cmpstr(ipsecdiag_endpoint_to_str(&v4, buf, sizeof buf), ==, "192.0.2.1:4500");
  g_assert_cmpstr(ipsecdiag_endpoint_to_str(&v6, buf, sizeof buf), ==, "[2001:db8::1]:500");
  ipsecdiag_addr_t none;
  memset(&none, 0, sizeof none);
  g_assert_cmpstr(addr_str(&none), ==, "?");
  g_assert_cmpstr(addr_str(&v6.addr), ==, "2001:db8::1");
  g_assert_false(ipsecdiag_addr_equal(&v4.addr, &v6.addr));
  ipsecdiag_endpoint_t v4b = ep("192.0.2.1", 500);
  g_assert_true(ipsecdiag_addr_equal(&v4.addr, &v4b.addr));
  char tiny[4];
  ipsecdiag_addr_to_str(&v4.addr, tiny, sizeof tiny);
  g_assert_cmpuint(strlen(tiny), <, sizeof tiny);
}

/* ---------- the rules catalog ---------- */

static void test_catalog_loads(void)
{
  for (guint i = 0; i < catalog_errors->len; i++)
    g_test_message("%s", (const char *)g_ptr_array_index(catalog_errors, i));
  g_assert_cmpuint(catalog_errors->len, ==, 0);
  g_assert_cmpuint(ipsecdiag_rules_count(catalog), >, 0);
  g_assert_nonnull(ipsecdiag_rules_lookup(conversation_rules, "first_msg_unanswered"));
}

/* Every rule id in the engine's sources (as a finding_new, tunnel_finding or
 * engine_note_cap argument, a classifier's return value or an ICMP meaning)
 * is in the catalog. */
static void test_engine_rule_ids_in_catalog(void)
{
  static const char *const known[] = {
    "first_msg_unanswered", "responder_silent", "natt_4500_blocked", "natt_4500_blocked_responder",
    "responder_retransmits_unanswered", "phase2_unanswered", "request_unanswered",
    "answered_after_retransmission", "half_open_sa", "icmp_port_unreachable",
    "icmp_host_unreachable", "icmp_admin_prohibited", "icmp_other", "ike_malformed",
    "tunnel_cap_reached", "esp_sa_cap_reached", "capture_ends_before_auth",
    "capture_ends_before_auth_natt",
  };
  GHashTable *found = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  GRegex *re = g_regex_new("(?:finding_new\\(|tunnel_finding\\(|_noted, |return |[{?:] ?|strcmp\\(rule, )"
                           "\"([a-z][a-z0-9]*(?:_[a-z0-9]+)+)\"",
                           0, 0, NULL);
  char *dir = g_build_filename(IPSECDIAG_SOURCE_DIR, "plugin", "engine", NULL);
  GDir *d = g_dir_open(dir, 0, NULL);
  g_assert_nonnull(d);
  const char *name;
  while ((name = g_dir_read_name(d))) {
    if (!g_str_has_prefix(name, "engine") || !g_str_has_suffix(name, ".c"))
      continue;
    char *path = g_build_filename(dir, name, NULL), *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    GMatchInfo *match;
    g_regex_match(re, text, 0, &match);
    while (g_match_info_matches(match)) {
      g_hash_table_add(found, g_match_info_fetch(match, 1));
      g_match_info_next(match, NULL);
    }
    g_match_info_free(match);
    g_free(text);
    g_free(path);
  }
  g_dir_close(d);
  g_free(dir);
  g_regex_unref(re);

  for (guint i = 0; i < G_N_ELEMENTS(known); i++) {
    if (!g_hash_table_contains(found, known[i]))
      g_test_message("%s not found in the engine sources", known[i]);
    g_assert_true(g_hash_table_contains(found, known[i]));
  }
  GHashTableIter it;
  gpointer key;
  g_hash_table_iter_init(&it, found);
  while (g_hash_table_iter_next(&it, &key, NULL)) {
    if (!ipsecdiag_rules_lookup(catalog, key))
      g_test_message("engine rule id %s is not in rules/*.rules", (const char *)key);
    g_assert_nonnull(ipsecdiag_rules_lookup(catalog, key));
  }
  g_hash_table_destroy(found);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  gcry_check_version(NULL);
  gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
  pool = g_ptr_array_new_with_free_func((GDestroyNotify)g_byte_array_unref);
  rules_seen = g_hash_table_new(g_str_hash, g_str_equal);
  catalog = ipsecdiag_rules_new();
  catalog_errors = g_ptr_array_new_with_free_func(g_free);
  ipsecdiag_rules_load_dir(catalog, IPSECDIAG_SOURCE_DIR "/rules", TRUE, FALSE, catalog_errors);
  conversation_rules = ipsecdiag_rules_new();
  ipsecdiag_rules_load_file(conversation_rules, IPSECDIAG_SOURCE_DIR "/rules/reachability.rules", TRUE,
                            catalog_errors);

  g_test_add_func("/engine/rules/catalog-loads", test_catalog_loads);
  g_test_add_func("/engine/rules/engine-ids-in-catalog", test_engine_rule_ids_in_catalog);
  g_test_add_func("/engine/ikev1/main-mode-healthy", test_v1_main_mode_healthy);
  g_test_add_func("/engine/ikev1/aggressive-mode", test_v1_aggressive_mode);
  g_test_add_func("/engine/ikev1/roles-guessed", test_v1_roles_guessed);
  g_test_add_func("/engine/ikev2/exchanges", test_v2_exchanges);
  g_test_add_func("/engine/ikev2/roles-from-flags", test_v2_roles_from_flags);
  g_test_add_func("/engine/spi-reused-by-other-version", test_spi_reused_by_other_version);
  g_test_add_func("/engine/retransmission/identical", test_retransmission_identical);
  g_test_add_func("/engine/retransmission/different-bytes", test_retransmission_different_bytes);
  g_test_add_func("/engine/unanswered/first-msg", test_first_msg_unanswered);
  g_test_add_func("/engine/unanswered/first-msg-final-only", test_first_msg_unanswered_final_only);
  g_test_add_func("/engine/unanswered/responder-silent", test_responder_silent);
  g_test_add_func("/engine/unanswered/request", test_request_unanswered);
  g_test_add_func("/engine/unanswered/answered-after-retransmission", test_answered_after_retransmission);
  g_test_add_func("/engine/natt/4500-blocked-v1", test_natt_4500_blocked_v1);
  g_test_add_func("/engine/natt/4500-blocked-v2", test_natt_4500_blocked_v2);
  g_test_add_func("/engine/natt/4500-working-later-unanswered", test_natt_working_later_unanswered);
  g_test_add_func("/engine/natt/4500-blocked-responder-v1", test_natt_4500_blocked_responder_v1);
  g_test_add_func("/engine/natt/responder-retransmits-unanswered", test_responder_retransmits_unanswered);
  g_test_add_func("/engine/half-open/nat", test_half_open_nat);
  g_test_add_func("/engine/half-open/no-nat", test_half_open_no_nat);
  g_test_add_func("/engine/half-open/by-time", test_half_open_by_time);
  g_test_add_func("/engine/half-open/not-half-open", test_not_half_open);
  g_test_add_func("/engine/half-open/stalled-v1", test_stalled_v1);
  g_test_add_func("/engine/phase2/unanswered", test_phase2_unanswered);
  g_test_add_func("/engine/icmp/port-unreachable", test_icmp_port_unreachable);
  g_test_add_func("/engine/icmp/codes", test_icmp_codes);
  g_test_add_func("/engine/icmp/v6", test_icmpv6);
  g_test_add_func("/engine/icmp/not-ike", test_icmp_not_ike);
  g_test_add_func("/engine/icmp/short-quote", test_icmp_short_quote);
  g_test_add_func("/engine/natd/no-nat", test_natd_no_nat);
  g_test_add_func("/engine/natd/capture-inside-initiator-nat", test_natd_capture_inside_initiator_nat);
  g_test_add_func("/engine/natd/capture-outside", test_natd_capture_outside);
  g_test_add_func("/engine/natd/responder-nat", test_natd_responder_nat);
  g_test_add_func("/engine/natd/forced-encapsulation", test_natd_forced_encapsulation);
  g_test_add_func("/engine/esp/counted", test_esp);
  g_test_add_func("/engine/nat-keepalive", test_nat_keepalive);
  g_test_add_func("/engine/robustness/malformed", test_malformed);
  g_test_add_func("/engine/robustness/garbage", test_garbage);
  g_test_add_func("/engine/robustness/same-frame-twice", test_same_frame_twice);
  g_test_add_func("/engine/finalize/idempotent", test_finalize_idempotent);
  g_test_add_func("/engine/finalize/refinalize", test_refinalize);
  g_test_add_func("/engine/caps/tunnels", test_tunnel_cap);
  g_test_add_func("/engine/caps/esp-sas", test_esp_cap);
  g_test_add_func("/engine/labels", test_labels);
  g_test_add_func("/engine/version/mismatch-answer", test_version_mismatch_answer);
  g_test_add_func("/engine/version/ignored", test_version_ignored);
  g_test_add_func("/engine/nat/without-natt", test_nat_without_natt);
  g_test_add_func("/engine/v1/mi3-ignored", test_v1_mi3_ignored);
  g_test_add_func("/engine/negotiation/no-proposal-refreshed", test_no_proposal_differences_refreshed);

  int rc = g_test_run();

  /* With the whole suite run, every rule id of the catalog should have been produced. */
  if (g_test_verbose()) {
    for (guint i = 0; i < ipsecdiag_rules_count(catalog); i++) {
      const ipsecdiag_rule_t *rule = ipsecdiag_rules_nth(catalog, i);
      if (!g_hash_table_contains(rules_seen, rule->id))
        g_test_message("rule %s was not produced by any test", rule->id);
    }
  }
  g_hash_table_destroy(rules_seen);
  g_ptr_array_free(catalog_errors, TRUE);
  ipsecdiag_rules_free(conversation_rules);
  ipsecdiag_rules_free(catalog);
  g_ptr_array_free(pool, TRUE);
  return rc;
}
