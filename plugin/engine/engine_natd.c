/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag engine: NAT detection. Recomputes the NAT-D hashes (IKEv1,
 * RFC 3947: HASH(CKY-I | CKY-R | IP | port) with the negotiated hash; IKEv2,
 * RFC 7296 2.23: SHA-1(SPIi | SPIr | IP | port)) from the addresses and ports
 * in the capture. A hash that does not match what the capture shows means an
 * address was translated between the sender and the capture point or between
 * the capture point and the receiver, which tells which peer sits behind a
 * NAT and on which side of it the capture was taken.
 */
#include <string.h>
#include <gcrypt.h>

#include "engine_private.h"

/* RFC 3947 and the common drafts' vendor IDs. */
static const guint8 natt_vendor_ids[][16] = {
  {0x4a, 0x13, 0x1c, 0x81, 0x07, 0x03, 0x58, 0x45, 0x5c, 0x57, 0x28, 0xf2, 0x0e, 0x95, 0x45, 0x2f},
  {0x90, 0xcb, 0x80, 0x91, 0x3e, 0xbb, 0x69, 0x6e, 0x08, 0x63, 0x81, 0xb5, 0xec, 0x42, 0x7b, 0x1f},
  {0xcd, 0x60, 0x46, 0x43, 0x35, 0xdf, 0x21, 0xf8, 0x7c, 0xfd, 0xb2, 0xfc, 0x68, 0xb6, 0xa4, 0x48},
  {0x7d, 0x94, 0x19, 0xa6, 0x53, 0x10, 0xca, 0x6f, 0x2c, 0x17, 0x9d, 0x92, 0x15, 0x52, 0x9d, 0x56},
  {0x4d, 0x1e, 0x0e, 0x13, 0x6d, 0xea, 0xfa, 0x34, 0xc4, 0xf3, 0xea, 0x9f, 0x02, 0xec, 0x72, 0x85},
};

gboolean engine_is_natt_vendor_id(const guint8 *data, gsize len)
{
  if (len != 16)
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS(natt_vendor_ids); i++)
    if (memcmp(data, natt_vendor_ids[i], 16) == 0)
      return TRUE;
  return FALSE;
}

static int hash_algo_for_length(gsize len)
{
  switch (len) {
  case 16: return GCRY_MD_MD5;
  case 20: return GCRY_MD_SHA1;
  case 32: return GCRY_MD_SHA256;
  case 48: return GCRY_MD_SHA384;
  case 64: return GCRY_MD_SHA512;
  default: return 0;
  }
}

static gboolean natd_matches(const ike_message_t *msg, const guint8 *expected, gsize expected_len,
                             const ipsecdiag_endpoint_t *ep)
{
  int algo = hash_algo_for_length(expected_len);
  if (!algo || !ep->addr.family)
    return FALSE;
  guint8 input[IKE_SPI_LEN * 2 + 16 + 2];
  gsize addr_len = ep->addr.family == 6 ? 16 : 4;
  memcpy(input, msg->spi_i, IKE_SPI_LEN);
  memcpy(input + IKE_SPI_LEN, msg->spi_r, IKE_SPI_LEN);
  memcpy(input + 2 * IKE_SPI_LEN, ep->addr.bytes, addr_len);
  input[2 * IKE_SPI_LEN + addr_len] = (guint8)(ep->port >> 8);
  input[2 * IKE_SPI_LEN + addr_len + 1] = (guint8)ep->port;
  guint8 digest[64];
  gcry_md_hash_buffer(algo, digest, input, 2 * IKE_SPI_LEN + addr_len + 2);
  return memcmp(digest, expected, expected_len) == 0;
}

/* 1 matched, 0 present but none matched, -1 absent. */
typedef struct {
  int src;
  int dst;
} natd_verdict_t;

static natd_verdict_t check_v1(const ike_message_t *msg, const ipsecdiag_packet_t *pkt)
{
  natd_verdict_t v = {-1, -1};
  if (msg->n_natd == 0)
    return v;
  /* The first NAT-D hashes the receiver's address, the others the sender's. */
  v.dst = natd_matches(msg, msg->natd[0].data, msg->natd[0].len, &pkt->dst);
  for (guint i = 1; i < msg->n_natd; i++) {
    if (v.src < 1)
      v.src = natd_matches(msg, msg->natd[i].data, msg->natd[i].len, &pkt->src);
  }
  return v;
}

static natd_verdict_t check_v2(const ike_message_t *msg, const ipsecdiag_packet_t *pkt)
{
  natd_verdict_t v = {-1, -1};
  for (guint i = 0; i < msg->n_notifies; i++) {
    const ike_notify_t *n = &msg->notifies[i];
    if (n->type == IKEV2_N_NAT_DETECTION_SOURCE_IP && v.src < 1)
      v.src = n->data_len == 20 && natd_matches(msg, n->data, n->data_len, &pkt->src);
    else if (n->type == IKEV2_N_NAT_DETECTION_DESTINATION_IP && v.dst < 1)
      v.dst = n->data_len == 20 && natd_matches(msg, n->data, n->data_len, &pkt->dst);
  }
  return v;
}

static void derive_nat(ipsecdiag_tunnel_t *tunnel)
{
  guint8 r = tunnel->natd_results;
  /* The initiator's address is checked by its own source hash and the responder's destination hash. */
  if (r & (IPSECDIAG_NATD_I_SRC_BAD | IPSECDIAG_NATD_R_DST_BAD))
    tunnel->nat_initiator = 1;
  else if ((r & IPSECDIAG_NATD_I_SRC_OK) && (r & IPSECDIAG_NATD_R_DST_OK))
    tunnel->nat_initiator = 0;
  if (r & (IPSECDIAG_NATD_R_SRC_BAD | IPSECDIAG_NATD_I_DST_BAD))
    tunnel->nat_responder = 1;
  else if ((r & IPSECDIAG_NATD_R_SRC_OK) && (r & IPSECDIAG_NATD_I_DST_OK))
    tunnel->nat_responder = 0;
  /* The responder saw the initiator elsewhere than the capture does: captured inside its NAT. */
  if (r & IPSECDIAG_NATD_R_DST_BAD)
    tunnel->capture_inside_initiator_nat = 1;
  else if (r & IPSECDIAG_NATD_I_SRC_BAD)
    tunnel->capture_inside_initiator_nat = 0;
}

void engine_check_nat_detection(ipsecdiag_tunnel_t *tunnel, const ike_message_t *msg,
                                const ipsecdiag_packet_t *pkt, ipsecdiag_role_t sender)
{
  guint8 sender_bit = sender == IPSECDIAG_ROLE_INITIATOR ? 1 : sender == IPSECDIAG_ROLE_RESPONDER ? 2 : 0;
  for (guint i = 0; i < msg->n_vendor_ids; i++)
    if (engine_is_natt_vendor_id(msg->vendor_ids[i].data, msg->vendor_ids[i].len)) {
      tunnel->natt_offered = TRUE;
      tunnel->natt_offered_by |= sender_bit;
    }
  if (sender == IPSECDIAG_ROLE_UNKNOWN)
    return;
  natd_verdict_t v = msg->major_version == 2 ? check_v2(msg, pkt) : check_v1(msg, pkt);
  if (v.src < 0 && v.dst < 0)
    return;
  tunnel->natt_offered = TRUE;
  tunnel->natt_offered_by |= sender_bit;
  gboolean from_i = sender == IPSECDIAG_ROLE_INITIATOR;
  if (v.src == 0 && pkt->ttl && engine_initial_ttl(pkt->ttl) == pkt->ttl) {
    /* Captured where it was sent: nothing translated it yet, the hash is deliberately wrong. */
    tunnel->natd_forced |= from_i ? 1 : 2;
    v.src = -1;
  }
  if (v.src >= 0)
    tunnel->natd_results |= from_i ? (v.src ? IPSECDIAG_NATD_I_SRC_OK : IPSECDIAG_NATD_I_SRC_BAD)
                                   : (v.src ? IPSECDIAG_NATD_R_SRC_OK : IPSECDIAG_NATD_R_SRC_BAD);
  if (v.dst >= 0)
    tunnel->natd_results |= from_i ? (v.dst ? IPSECDIAG_NATD_I_DST_OK : IPSECDIAG_NATD_I_DST_BAD)
                                   : (v.dst ? IPSECDIAG_NATD_R_DST_OK : IPSECDIAG_NATD_R_DST_BAD);
  derive_nat(tunnel);
}

/* Evidence of a NAT that does not rely on NAT-D: IKE daemons send from UDP
 * 500, so another source port on an IKE message to port 500 was rewritten by
 * a NAPT between the sender and the capture point. */
static gboolean port_translated(const ipsecdiag_packet_t *pkt)
{
  return pkt->dst.port == 500 && pkt->src.port != 500 && pkt->src.port != 4500 && pkt->src.port != 0;
}

void engine_check_natt_support(ipsecdiag_engine_t *engine, ipsecdiag_tunnel_t *tunnel, ipsecdiag_frame_t *frame,
                               const ipsecdiag_packet_t *pkt, ipsecdiag_role_t sender, gboolean first_response)
{
  if (sender == IPSECDIAG_ROLE_INITIATOR && port_translated(pkt))
    tunnel->nat_port_translated = TRUE;
  /* Judged once, on the responder's first answer: both offers are known by then. */
  if (!first_response || tunnel->natt_missing_noted || tunnel->natt_offered_by == 3)
    return;
  gboolean natd_nat = tunnel->nat_initiator == 1 || tunnel->nat_responder == 1;
  if (!natd_nat && !tunnel->nat_port_translated)
    return;
  tunnel->natt_missing_noted = TRUE;
  ipsecdiag_finding_t *f = finding_new("nat_without_natt", frame->frame, tunnel->id, FALSE);
  char buf[64];
  finding_set(f, "initiator", "%s", ipsecdiag_addr_to_str(&tunnel->initiator.addr, buf, sizeof buf));
  finding_set(f, "responder", "%s", ipsecdiag_addr_to_str(&tunnel->responder.addr, buf, sizeof buf));
  const char *missing = tunnel->natt_offered_by == 1 ? "the responder"
                      : tunnel->natt_offered_by == 2 ? "the initiator" : "neither peer";
  finding_set(f, "missing", "%s", missing);
  finding_set(f, "without", "%s", tunnel->natt_offered_by == 0 ? "neither peer offers NAT-T"
                                  : tunnel->natt_offered_by == 1 ? "the responder does not offer NAT-T"
                                                                 : "the initiator does not offer NAT-T");
  finding_set(f, "evidence", "%s", natd_nat ? "the initiator's NAT-D hashes do not match the addresses in the capture"
                                            : "the initiator's IKE source port was rewritten from 500");
  finding_set(f, "nat", "%s", tunnel->nat_responder == 1 && tunnel->nat_initiator != 1 ? "the responder" : "the initiator");
  finding_set(f, "responder_impl", "%s", tunnel->implementation[1] ? tunnel->implementation[1] : "unidentified");
  finding_set(f, "initiator_impl", "%s", tunnel->implementation[0] ? tunnel->implementation[0] : "unidentified");
  engine_attach_finding(engine, frame, f);
}
