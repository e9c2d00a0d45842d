/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the engine's tunnel lifecycle (engine_lifecycle.c):
 * IKE messages interleaved with IP fragments (their bytes also read as an
 * IPv6 packet for its Fragment header) and decrypted-content hints,
 * fed to one engine in order; then the engine is finalized twice, every
 * tunnel is evaluated and summarised (ipsecdiag_engine_lifecycle), every frame
 * record is looked up, and the engine is freed.
 *
 * Record: 1 byte kind, 1 byte flags, 2 bytes big-endian data length (cut to
 * what is left), data.
 *   kind bits 0-1: 0 IKE message; 1 IP fragment (data: IP ID (2), protocol
 *                  (1), offset in 8-byte units (2, 13 bits used), then the
 *                  fragment payload); 2 decrypted content of an earlier
 *                  frame (data: frame back-reference (1), content (1));
 *                  3 IKE message in the frame of the previous fragment
 *                  (the reassembled message)
 *   kind bits 3-4: time step before the record: 1 ms, 0.5 s, 5 s, 700 s
 *   kind bit 7:    finalize before the record
 *   flags bit 0:   more fragments (IP MF)
 *   flags bit 1:   UDP 4500 instead of 500
 *   flags bit 2:   sent by the pair's second endpoint
 *   flags bits 4-5: peer pair 0..3
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <glib.h>

#include "ipsecdiag/engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)
#define MAX_RECORDS 512

static guint8 *copy_exact(const guint8 *data, gsize len)
{
  guint8 *copy = g_malloc(len ? len : 1);
  if (len)
    memcpy(copy, data, len);
  return copy;
}

static void endpoint(ipsecdiag_endpoint_t *ep, guint pair, gboolean second, guint16 port)
{
  memset(ep, 0, sizeof *ep);
  ep->addr.family = 4;
  ep->addr.bytes[0] = second ? 198 : 192;
  ep->addr.bytes[1] = second ? 51 : 0;
  ep->addr.bytes[2] = second ? 100 : 2;
  ep->addr.bytes[3] = (guint8)(10 + pair);
  ep->port = port;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  ipsecdiag_engine_t *engine = ipsecdiag_engine_new();
  guint32 frame = 0, last_fragment_frame = 0;
  double time = 1000.0;
  size_t at = 0;
  for (guint records = 0; records < MAX_RECORDS && at + 4 <= size; records++) {
    guint8 kind = data[at], flags = data[at + 1];
    size_t len = (size_t)data[at + 2] << 8 | data[at + 3];
    at += 4;
    if (len > size - at)
      len = size - at;
    const guint8 *body = data + at;
    at += len;
    static const double steps[] = {0.001, 0.5, 5.0, 700.0};
    time += steps[(kind >> 3) & 3];
    if (kind & 0x80)
      ipsecdiag_engine_finalize(engine);
    guint pair = (flags >> 4) & 3;
    gboolean second = (flags & 4) != 0;
    guint16 port = (flags & 2) ? 4500 : 500;
    ipsecdiag_packet_t pkt;
    memset(&pkt, 0, sizeof pkt);
    pkt.time = time;
    pkt.ttl = 64;
    endpoint(&pkt.src, pair, second, port);
    endpoint(&pkt.dst, pair, !second, port);
    pkt.non_esp_marker = port == 4500;
    switch (kind & 3) {
    case 0:
    case 3: {
      pkt.frame = (kind & 3) == 3 && last_fragment_frame ? last_fragment_frame : ++frame;
      guint8 *copy = copy_exact(body, len);
      const ipsecdiag_frame_t *record = ipsecdiag_engine_feed_ike(engine, &pkt, copy, len);
      FUZZ_CHECK(record != NULL && record->frame == pkt.frame);
      g_free(copy);
      break;
    }
    case 1: {
      if (len < 5)
        break;
      pkt.frame = last_fragment_frame = ++frame;
      pkt.src.port = pkt.dst.port = 0;
      guint16 ip_id = (guint16)(body[0] << 8 | body[1]);
      guint32 offset = (guint32)((body[3] << 8 | body[4]) & 0x1fff) * 8u;
      guint8 *copy = copy_exact(body + 5, len - 5);
      /* The same bytes read as an IPv6 packet: whatever is found lies within them. */
      ipsecdiag_ipv6_fragment_t v6;
      if (ipsecdiag_ipv6_fragment(copy, len - 5, &v6))
        FUZZ_CHECK(v6.payload <= len - 5 && v6.payload_len <= len - 5 - v6.payload && v6.offset % 8 == 0);
      const ipsecdiag_frame_t *record = ipsecdiag_engine_feed_ip_fragment(engine, &pkt, ip_id, body[2], offset,
                                                                          (flags & 1) != 0, copy, len - 5);
      FUZZ_CHECK(record == NULL || record->frame == pkt.frame);
      g_free(copy);
      break;
    }
    case 2:
      if (len >= 2 && frame)
        ipsecdiag_engine_set_informational(engine, frame - MIN(body[0], frame - 1),
                                           (ipsecdiag_informational_t)(body[1] % 6));
      break;
    }
  }
  ipsecdiag_engine_finalize(engine);
  FUZZ_CHECK(ipsecdiag_engine_is_finalized(engine));
  ipsecdiag_engine_finalize(engine);
  GPtrArray *out = g_ptr_array_new_with_free_func(ipsecdiag_finding_free);
  for (guint32 id = 1; id <= ipsecdiag_engine_tunnel_count(engine); id++) {
    ipsecdiag_engine_evaluate_tunnel(engine, id, out);
    ipsecdiag_lifecycle_t life;
    ipsecdiag_engine_lifecycle(engine, id, &life);
    FUZZ_CHECK(life.ike_rekeys <= 64 && (life.lifetime < 0 || life.established));
  }
  for (guint i = 0; i < out->len; i++) {
    const ipsecdiag_finding_t *f = g_ptr_array_index(out, i);
    FUZZ_CHECK(f->rule_id != NULL);
    for (guint k = 0; k < f->n_params; k++)
      FUZZ_CHECK(f->keys[k] != NULL && f->values[k] != NULL);
  }
  g_ptr_array_free(out, TRUE);
  for (guint32 n = 0; n <= frame + 1; n++) {
    const ipsecdiag_frame_t *record = ipsecdiag_engine_frame(engine, n);
    for (guint i = 0; record && record->findings && i < record->findings->len; i++)
      FUZZ_CHECK(((const ipsecdiag_finding_t *)g_ptr_array_index(record->findings, i))->frame == n);
  }
  ipsecdiag_engine_free(engine);
  return 0;
}
