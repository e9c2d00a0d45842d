/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the analysis engine's conversation tracking: the input
 * is a sequence of records (IKE messages, ESP packets, ICMP errors) fed to one
 * engine in order, with increasing frame numbers and times; then the engine is
 * finalized (twice: the second call must change nothing), every tunnel is
 * evaluated, every frame record is looked up and checked, and the engine is
 * freed.
 *
 * Record: 1 byte kind, 1 byte flags, 2 bytes big-endian data length (cut to
 * what is left), data.
 *   kind bits 0-2: 0 IKE message; 1 ESP packet (data: SPI, sequence, both
 *                  big-endian, zero-padded); 2 ICMP error (data: type, code,
 *                  mode, then the quoted bytes: with mode bit 0 the quoted IP
 *                  packet as is, otherwise the quoted IKE message, wrapped
 *                  here in an IP and UDP header of the record's endpoints;
 *                  mode bit 1: reported by a router, not by the peer);
 *                  3 IKE message fed again under the previous frame number
 *                  (a redissection); 4 set the addresses of the record's
 *                  peer pair (data: 2 IPv4 or 2 IPv6 addresses; consumes no
 *                  frame number); 5-7 IKE message
 *   kind bits 3-4: time step before the record: 1 ms, 0.5 s, 2 s, 11 s
 *   kind bit 5:    on an ESP record: fed with ipsecdiag_engine_feed_esp_later
 *                  (counted when a later record is fed)
 *   kind bit 7:    finalize before the record
 *   flags bit 0:   IKE after a non-ESP marker (non_esp_marker); on an ESP
 *                  record: first register a Child SA of the newest tunnel
 *                  with SPIs (SPI, sequence) as a decrypting engine would,
 *                  or with data byte 8 odd, a Delete of the SPI
 *   flags bit 1:   UDP 4500 instead of 500
 *   flags bit 2:   sent by the pair's second endpoint
 *   flags bit 3:   IPv6 (the pair's IPv6 addresses, ICMPv6)
 *   flags bits 4-5: peer pair 0..3
 *   flags bit 6:   no TTL (0)
 *   flags bit 7:   TTL decremented (63 instead of 64)
 *
 * Seed corpus (corpus/fuzz_engine_feed/): real-* seeds are conversations
 * from the project's strongSwan lab captures (test-captures/) and Wireshark
 * 4.0 test suite captures (GPL-2.0-or-later) converted to records with their
 * real addresses; hand-* seeds are built exchanges reaching the diagnoses
 * (retransmissions, UDP 4500 blocked, ICMP errors, half-open SAs).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <gcrypt.h>
#include <glib.h>

#include "ipsecdiag/engine.h"
#include "ipsecdiag/esp.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* g_assert can be compiled out; these checks must never be. */
#define FUZZ_CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

#define MAX_RECORDS 512

enum { REC_IKE = 0, REC_ESP, REC_ICMP, REC_IKE_AGAIN, REC_ADDRESSES };

typedef struct {
  ipsecdiag_addr_t a4, b4, a6, b6;
} pair_t;

static void set_addr(ipsecdiag_addr_t *addr, guint8 family, const guint8 *bytes)
{
  memset(addr, 0, sizeof *addr);
  addr->family = family;
  memcpy(addr->bytes, bytes, family == 6 ? 16 : 4);
}

static void default_pairs(pair_t pairs[4])
{
  for (guint8 i = 0; i < 4; i++) {
    const guint8 a4[4] = {192, 0, 2, (guint8)(10 + i)}, b4[4] = {198, 51, 100, (guint8)(20 + i)};
    guint8 a6[16] = {0x20, 0x01, 0x0d, 0xb8}, b6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1};
    a6[15] = (guint8)(0x10 + i);
    b6[15] = (guint8)(0x20 + i);
    set_addr(&pairs[i].a4, 4, a4);
    set_addr(&pairs[i].b4, 4, b4);
    set_addr(&pairs[i].a6, 6, a6);
    set_addr(&pairs[i].b6, 6, b6);
  }
}

/* An exact-size heap copy, so that any over-read is caught (1 byte allocated
 * for empty data, none of it copied). */
static guint8 *copy_exact(const guint8 *data, gsize len)
{
  guint8 *copy = g_malloc(len ? len : 1);
  if (len)
    memcpy(copy, data, len);
  return copy;
}

static guint32 get_be32(const guint8 *data, gsize len, gsize at)
{
  guint32 v = 0;
  for (gsize i = at; i < at + 4; i++)
    v = v << 8 | (i < len ? data[i] : 0);
  return v;
}

/* The quoted datagram of an ICMP error: IP header, UDP header, [marker,] IKE. */
static gsize build_quote(guint8 *out, gsize room, const ipsecdiag_packet_t *pkt, gboolean marker,
                         const guint8 *ike, gsize ike_len)
{
  gsize ip_len = pkt->src.addr.family == 6 ? 40 : 20;
  gsize udp_len = 8 + (marker ? 4 : 0) + ike_len;
  if (ip_len + udp_len > room)
    return 0;
  memset(out, 0, ip_len + udp_len);
  if (ip_len == 20) {
    out[0] = 0x45;
    out[2] = (guint8)((20 + udp_len) >> 8);
    out[3] = (guint8)(20 + udp_len);
    out[8] = 64;
    out[9] = 17;
    memcpy(out + 12, pkt->src.addr.bytes, 4);
    memcpy(out + 16, pkt->dst.addr.bytes, 4);
  } else {
    out[0] = 0x60;
    out[4] = (guint8)(udp_len >> 8);
    out[5] = (guint8)udp_len;
    out[6] = 17;
    out[7] = 64;
    memcpy(out + 8, pkt->src.addr.bytes, 16);
    memcpy(out + 24, pkt->dst.addr.bytes, 16);
  }
  guint8 *udp = out + ip_len;
  udp[0] = (guint8)(pkt->src.port >> 8);
  udp[1] = (guint8)pkt->src.port;
  udp[2] = (guint8)(pkt->dst.port >> 8);
  udp[3] = (guint8)pkt->dst.port;
  udp[4] = (guint8)(udp_len >> 8);
  udp[5] = (guint8)udp_len;
  if (ike_len)
    memcpy(udp + 8 + (marker ? 4 : 0), ike, ike_len);
  return ip_len + udp_len;
}

static void check_finding(const ipsecdiag_finding_t *f, guint32 frame, guint n_tunnels)
{
  FUZZ_CHECK(f != NULL && f->rule_id != NULL && f->rule_id[0] != '\0');
  FUZZ_CHECK(frame == G_MAXUINT32 || f->frame == frame);
  FUZZ_CHECK(f->tunnel <= n_tunnels);
  for (guint i = 0; i < f->n_params; i++) {
    FUZZ_CHECK(f->keys[i] != NULL && f->values[i] != NULL);
    FUZZ_CHECK(ipsecdiag_finding_param(f, f->keys[i]) != NULL);
  }
}

static guint count_findings(const ipsecdiag_engine_t *engine, guint32 last_frame)
{
  guint n = 0;
  for (guint32 i = 0; i <= last_frame; i++) {
    const ipsecdiag_frame_t *frame = ipsecdiag_engine_frame(engine, i);
    if (frame && frame->findings)
      n += frame->findings->len;
  }
  return n;
}

static void check_engine(ipsecdiag_engine_t *engine, guint32 last_frame)
{
  guint n_tunnels = ipsecdiag_engine_tunnel_count(engine);
  volatile size_t sink = 0;
  char buf[128];

  for (guint32 i = 0; i <= last_frame + 1; i++) {
    const ipsecdiag_frame_t *frame = ipsecdiag_engine_frame(engine, i);
    if (!frame)
      continue;
    FUZZ_CHECK(frame->frame == i);
    FUZZ_CHECK(frame->kind >= IPSECDIAG_FRAME_IKE && frame->kind <= IPSECDIAG_FRAME_NAT_KEEPALIVE);
    FUZZ_CHECK(frame->tunnel <= n_tunnels);
    FUZZ_CHECK(frame->request_frame < i || frame->request_frame == 0);
    FUZZ_CHECK(frame->retransmission_of < i || frame->retransmission_of == 0);
    FUZZ_CHECK(frame->response_frame == 0 || frame->response_frame > i);
    if (frame->message)
      sink += strlen(frame->message);
    sink += strlen(ipsecdiag_state_name(frame->state)) + strlen(ipsecdiag_role_name(frame->sender_role));
    for (guint j = 0; frame->findings && j < frame->findings->len; j++)
      check_finding(g_ptr_array_index(frame->findings, j), i, n_tunnels);
  }

  GPtrArray *out = g_ptr_array_new_with_free_func(ipsecdiag_finding_free);
  for (guint32 id = 0; id <= n_tunnels + 1; id++) {
    const ipsecdiag_tunnel_t *tunnel = ipsecdiag_engine_tunnel(engine, id);
    g_ptr_array_set_size(out, 0);
    ipsecdiag_engine_evaluate_tunnel(engine, id, out);
    if (!tunnel) {
      FUZZ_CHECK(id == 0 || id > n_tunnels);
      FUZZ_CHECK(out->len == 0);
      continue;
    }
    FUZZ_CHECK(tunnel->id == id);
    FUZZ_CHECK(tunnel->version == 1 || tunnel->version == 2);
    FUZZ_CHECK(tunnel->n_messages <= IPSECDIAG_MAX_MESSAGES_PER_TUNNEL);
    FUZZ_CHECK(tunnel->findings->len <= IPSECDIAG_MAX_FINDINGS_PER_TUNNEL);
    FUZZ_CHECK(tunnel->first_frame <= tunnel->last_frame || tunnel->last_frame == 0);
    for (guint i = 0; i < tunnel->n_messages; i++) {
      const ipsecdiag_message_t *m = &tunnel->messages[i];
      FUZZ_CHECK(m->name != NULL && m->sends >= 1 && m->n_times <= IPSECDIAG_MAX_SENDS_TIMED);
      FUZZ_CHECK(m->first_frame <= m->last_frame);
    }
    for (guint j = 0; j < tunnel->findings->len; j++) {
      const ipsecdiag_finding_t *f = g_ptr_array_index(tunnel->findings, j);
      check_finding(f, G_MAXUINT32, n_tunnels);
      FUZZ_CHECK(f->tunnel == id);
      /* A tunnel's findings are owned by the frame they are shown on. */
      const ipsecdiag_frame_t *frame = ipsecdiag_engine_frame(engine, f->frame);
      FUZZ_CHECK(frame != NULL && frame->findings != NULL);
      gboolean found = FALSE;
      for (guint k = 0; k < frame->findings->len; k++)
        found |= g_ptr_array_index(frame->findings, k) == f;
      FUZZ_CHECK(found);
    }
    for (guint j = 0; j < out->len; j++) {
      const ipsecdiag_finding_t *f = g_ptr_array_index(out, j);
      check_finding(f, G_MAXUINT32, n_tunnels);
      FUZZ_CHECK(f->final && f->tunnel == id);
    }
    sink += strlen(ipsecdiag_state_name(tunnel->state));
    sink += strlen(ipsecdiag_capture_side_name(tunnel->capture_side));
    sink += strlen(ipsecdiag_endpoint_to_str(&tunnel->initiator, buf, sizeof buf));
    sink += strlen(ipsecdiag_endpoint_to_str(&tunnel->responder_natt, buf, sizeof buf));
    sink += strlen(ipsecdiag_nat_describe(tunnel, buf, sizeof buf));
    sink += ipsecdiag_natt_expected(tunnel);
  }
  g_ptr_array_free(out, TRUE);

  const GPtrArray *global = ipsecdiag_engine_global_findings(engine);
  for (guint j = 0; j < global->len; j++)
    check_finding(g_ptr_array_index(global, j), G_MAXUINT32, n_tunnels);

  /* ESP health: every SA's counts are consistent, its findings valid. */
  out = g_ptr_array_new_with_free_func(ipsecdiag_finding_free);
  guint n_sas = ipsecdiag_engine_esp_sa_count(engine);
  FUZZ_CHECK(n_sas <= IPSECDIAG_MAX_ESP_SAS);
  for (guint i = 0; i <= n_sas; i++) {
    ipsecdiag_esp_sa_info_t info;
    gboolean known = ipsecdiag_engine_esp_sa_info(engine, i, &info);
    FUZZ_CHECK(known == (i < n_sas));
    g_ptr_array_set_size(out, 0);
    ipsecdiag_engine_evaluate_esp_sa(engine, i, out);
    if (!known) {
      FUZZ_CHECK(out->len == 0);
      continue;
    }
    FUZZ_CHECK(info.packets >= 1 && info.tunnel <= n_tunnels && info.direction <= 2);
    FUZZ_CHECK(info.lost <= info.expected && info.first_frame <= info.last_frame);
    FUZZ_CHECK(ipsecdiag_engine_esp_sa_index(engine, info.spi, &info.dst.addr) == (gint)i);
    for (guint j = 0; j < out->len; j++)
      check_finding(g_ptr_array_index(out, j), G_MAXUINT32, n_tunnels);
    sink += strlen(ipsecdiag_esp_encapsulation_name(&info)) + strlen(ipsecdiag_esp_direction_name(info.direction));
  }
  for (guint32 id = 0; id <= n_tunnels; id++) {
    ipsecdiag_esp_tunnel_totals_t totals;
    ipsecdiag_engine_esp_tunnel_totals(engine, id, &totals);
    FUZZ_CHECK(totals.lost[0] <= totals.expected[0] && totals.lost[1] <= totals.expected[1]);
  }
  g_ptr_array_free(out, TRUE);
  (void)sink;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  gcry_check_version(NULL);
  gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const double steps[4] = {0.001, 0.5, 2.0, 11.0};
  static guint8 quote[70000];
  ipsecdiag_engine_t *engine = ipsecdiag_engine_new();
  pair_t pairs[4];
  guint32 frame_number = 0;
  double time = 1000.0;
  gsize off = 0;

  default_pairs(pairs);
  for (guint records = 0; records < MAX_RECORDS && size - off >= 4; records++) {
    guint8 kind = data[off], flags = data[off + 1];
    gsize len = (gsize)data[off + 2] << 8 | data[off + 3];
    off += 4;
    if (len > size - off)
      len = size - off;
    const guint8 *body = data + off;
    off += len;

    guint type = kind & 7;
    pair_t *pair = &pairs[(flags >> 4) & 3];
    gboolean v6 = (flags & 8) != 0;
    if (type == REC_ADDRESSES) {
      if (len == 8) {
        set_addr(&pair->a4, 4, body);
        set_addr(&pair->b4, 4, body + 4);
      } else if (len == 32) {
        set_addr(&pair->a6, 6, body);
        set_addr(&pair->b6, 6, body + 16);
      }
      continue;
    }
    if (kind & 0x80)
      ipsecdiag_engine_finalize(engine);
    time += steps[(kind >> 3) & 3];

    ipsecdiag_packet_t pkt;
    memset(&pkt, 0, sizeof pkt);
    if (type == REC_IKE_AGAIN && frame_number > 0)
      pkt.frame = frame_number;          /* a redissection: the stored record comes back */
    else
      pkt.frame = ++frame_number;
    pkt.time = time;
    const ipsecdiag_addr_t *a = v6 ? &pair->a6 : &pair->a4, *b = v6 ? &pair->b6 : &pair->b4;
    gboolean from_b = (flags & 4) != 0;
    pkt.src.addr = from_b ? *b : *a;
    pkt.dst.addr = from_b ? *a : *b;
    pkt.src.port = pkt.dst.port = (flags & 2) ? 4500 : 500;
    pkt.non_esp_marker = (flags & 1) != 0;
    pkt.ttl = (flags & 0x40) ? 0 : (flags & 0x80) ? 63 : 64;

    const ipsecdiag_frame_t *frame = NULL;
    if (type == REC_ESP) {
      if (!(flags & 2))
        pkt.src.port = pkt.dst.port = 0;   /* native ESP */
      if (flags & 1) {
        guint32 tunnel = ipsecdiag_engine_tunnel_count(engine);
        if (len > 8 && (body[8] & 1))
          ipsecdiag_engine_note_child_sa_deleted(engine, &pkt, tunnel, get_be32(body, len, 0));
        else
          ipsecdiag_engine_note_child_sa(engine, &pkt, tunnel, get_be32(body, len, 0), get_be32(body, len, 4),
                                         len > 12 ? get_be32(body, len, 9) : 0);
      }
      if (kind & 0x20)
        ipsecdiag_engine_feed_esp_later(engine, &pkt, get_be32(body, len, 0), get_be32(body, len, 4),
                                        (guint32)len);
      else
        frame = ipsecdiag_engine_feed_esp(engine, &pkt, get_be32(body, len, 0), get_be32(body, len, 4),
                                          (guint32)len);
    } else if (type == REC_ICMP) {
      guint8 icmp_type = len > 0 ? body[0] : 3, code = len > 1 ? body[1] : 3, mode = len > 2 ? body[2] : 0;
      const guint8 *quoted = len > 3 ? body + 3 : body + len;
      gsize quoted_len = len > 3 ? len - 3 : 0;
      ipsecdiag_packet_t icmp = pkt;
      icmp.src.port = icmp.dst.port = 0;
      if (!(mode & 1)) {
        quoted_len = build_quote(quote, sizeof quote, &pkt, pkt.non_esp_marker, quoted, quoted_len);
        quoted = quote;
      }
      /* The error goes back to the sender of the quoted packet. */
      icmp.src.addr = pkt.dst.addr;
      icmp.dst.addr = pkt.src.addr;
      if (mode & 2)
        icmp.src.addr.bytes[icmp.src.addr.family == 6 ? 15 : 3] ^= 0xfe;
      guint8 *copy = copy_exact(quoted, quoted_len);
      frame = ipsecdiag_engine_feed_icmp(engine, &icmp, v6 ? 6 : 4, icmp_type, code, copy, quoted_len);
      g_free(copy);
    } else {
      guint8 *copy = copy_exact(body, len);
      frame = ipsecdiag_engine_feed_ike(engine, &pkt, copy, len);
      g_free(copy);
      FUZZ_CHECK(frame != NULL);
    }
    if (frame) {
      FUZZ_CHECK(frame->frame == pkt.frame);
      FUZZ_CHECK(frame == ipsecdiag_engine_frame(engine, pkt.frame));
    }
  }

  ipsecdiag_engine_finalize(engine);
  FUZZ_CHECK(ipsecdiag_engine_is_finalized(engine));
  guint findings = count_findings(engine, frame_number);
  ipsecdiag_engine_finalize(engine);   /* idempotent */
  FUZZ_CHECK(count_findings(engine, frame_number) == findings);
  check_engine(engine, frame_number);
  ipsecdiag_engine_free(engine);
  return 0;
}
