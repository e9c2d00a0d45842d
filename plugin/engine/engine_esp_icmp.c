/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag engine: ESP packets (counted per SPI and linked to the IKE SA
 * between the same peers, without a record per packet) and ICMP errors that
 * quote an IKE packet (parsed from the quoted IP/UDP headers).
 */
#include <string.h>

#include "engine_private.h"
#include "ipsecdiag/ike_names.h"

const ipsecdiag_frame_t *ipsecdiag_engine_feed_esp(ipsecdiag_engine_t *engine,
                                                   const ipsecdiag_packet_t *pkt,
                                                   guint32 spi, guint32 sequence,
                                                   guint32 esp_length)
{
  engine_settle(engine);
  return engine_feed_esp_now(engine, pkt, spi, sequence, esp_length);
}

/* An SPI not seen before: a new SA, or, past the cap, NULL (and the note's
 * frame in *capped, the first time). */
static IPSECDIAG_COLD esp_sa_t *esp_sa_first_packet(ipsecdiag_engine_t *engine, const ipsecdiag_packet_t *pkt,
                                                    const esp_sa_key_t *key, guint32 sequence,
                                                    ipsecdiag_frame_t **capped)
{
  if (esp_sa_table_size(engine->esp_sas) >= IPSECDIAG_MAX_ESP_SAS) {
    if (engine->esp_cap_noted)
      return NULL;
    /* The frame that hit the cap carries the note, so it is seen. */
    ipsecdiag_frame_t *frame = engine_frame_new(engine, pkt->frame, IPSECDIAG_FRAME_ESP);
    frame->esp_spi = key->spi;
    frame->esp_sequence = sequence;
    engine_note_cap_on_frame(engine, &engine->esp_cap_noted, "esp_sa_cap_reached", frame, IPSECDIAG_MAX_ESP_SAS);
    *capped = frame;
    return NULL;
  }
  esp_sa_t *sa = hot_arena_alloc0(engine->hot, sizeof(esp_sa_t));   /* hot fields first: a cache line apart */
  sa->key = *key;
  sa->src = pkt->src;
  sa->first_frame = pkt->frame;
  sa->direction = 2;
  ipsecdiag_tunnel_t *tunnel = engine_tunnel_by_peers(engine, &pkt->src.addr, &pkt->dst.addr);
  if (tunnel) {
    int dir = engine_tunnel_direction(tunnel, &pkt->src);
    sa->tunnel = tunnel->id;
    sa->direction = dir < 0 ? 2 : (guint8)dir;
    tunnel->n_esp_spis++;
  }
  esp_sa_table_insert(engine->esp_sas, sa);
  engine_esp_sa_created(engine, sa, pkt);
  /* Tunnel states only rise (by rank): the SA's first packet raises it for all later ones. */
  ipsecdiag_tunnel_t *linked = engine_tunnel_get(engine, sa->tunnel);
  if (linked && ipsecdiag_state_rank(IPSECDIAG_ST_ESP) > ipsecdiag_state_rank(linked->state))
    linked->state = IPSECDIAG_ST_ESP;
  return sa;
}

IPSECDIAG_HOT const ipsecdiag_frame_t *engine_feed_esp_now(ipsecdiag_engine_t *engine, const ipsecdiag_packet_t *pkt,
                                                           guint32 spi, guint32 sequence, guint32 esp_length)
{
  /* ESP moves time and tunnel states on: the final findings must be redone. */
  engine->feed_count++;
  if (pkt->time > engine->last_time)
    engine->last_time = pkt->time;
  esp_sa_key_t key = {.spi = spi, .dst = pkt->dst.addr};
  esp_sa_t *sa = esp_sa_table_lookup(engine->esp_sas, &key);
  if (G_UNLIKELY(!sa)) {
    ipsecdiag_frame_t *capped = NULL;
    sa = esp_sa_first_packet(engine, pkt, &key, sequence, &capped);
    if (!sa)
      return capped;
  }
  return engine_esp_packet(engine, sa, pkt, sequence, esp_length);
}

guint32 ipsecdiag_engine_esp_tunnel(const ipsecdiag_engine_t *engine, guint32 spi,
                                    const ipsecdiag_addr_t *dst)
{
  esp_sa_key_t key = {.spi = spi, .dst = *dst};
  const esp_sa_t *sa = esp_sa_table_lookup(engine->esp_sas, &key);
  return sa ? sa->tunnel : 0;
}

/* The quoted datagram: IP header, then UDP header, then (part of) IKE. */
typedef struct {
  ipsecdiag_endpoint_t src, dst;
  const guint8 *payload;
  gsize payload_len;
} quoted_udp_t;

static gboolean parse_quoted_udp(guint8 family, const guint8 *data, gsize len, quoted_udp_t *out)
{
  gsize offset;
  memset(out, 0, sizeof *out);
  if (family == 4) {
    if (len < 20 || (data[0] >> 4) != 4)
      return FALSE;
    gsize ihl = (gsize)(data[0] & 0x0f) * 4;
    if (ihl < 20 || len < ihl + 8 || data[9] != 17)
      return FALSE;
    out->src.addr.family = out->dst.addr.family = 4;
    memcpy(out->src.addr.bytes, data + 12, 4);
    memcpy(out->dst.addr.bytes, data + 16, 4);
    offset = ihl;
  } else {
    /* Extension headers before UDP are rare for IKE; only UDP directly is followed. */
    if (len < 40 + 8 || (data[0] >> 4) != 6 || data[6] != 17)
      return FALSE;
    out->src.addr.family = out->dst.addr.family = 6;
    memcpy(out->src.addr.bytes, data + 8, 16);
    memcpy(out->dst.addr.bytes, data + 24, 16);
    offset = 40;
  }
  out->src.port = (guint16)(data[offset] << 8 | data[offset + 1]);
  out->dst.port = (guint16)(data[offset + 2] << 8 | data[offset + 3]);
  out->payload = data + offset + 8;
  out->payload_len = len - offset - 8;
  return TRUE;
}

typedef struct {
  const char *rule;
  const char *text;
} icmp_meaning_t;

static icmp_meaning_t icmp_meaning(guint8 family, guint8 type, guint8 code)
{
  if (family == 4 && type == 3) {
    switch (code) {
    case 3: return (icmp_meaning_t){"icmp_port_unreachable", "port unreachable"};
    case 0: return (icmp_meaning_t){"icmp_host_unreachable", "network unreachable"};
    case 1: return (icmp_meaning_t){"icmp_host_unreachable", "host unreachable"};
    case 6: return (icmp_meaning_t){"icmp_host_unreachable", "destination network unknown"};
    case 7: return (icmp_meaning_t){"icmp_host_unreachable", "destination host unknown"};
    case 9: return (icmp_meaning_t){"icmp_admin_prohibited", "network administratively prohibited"};
    case 10: return (icmp_meaning_t){"icmp_admin_prohibited", "host administratively prohibited"};
    case 13: return (icmp_meaning_t){"icmp_admin_prohibited", "communication administratively prohibited"};
    case 4: return (icmp_meaning_t){"icmp_other", "fragmentation needed"};
    default: return (icmp_meaning_t){"icmp_other", "destination unreachable"};
    }
  }
  if (family == 4 && type == 11)
    return (icmp_meaning_t){"icmp_other", "time exceeded"};
  if (family == 6 && type == 1) {
    switch (code) {
    case 4: return (icmp_meaning_t){"icmp_port_unreachable", "port unreachable"};
    case 0: return (icmp_meaning_t){"icmp_host_unreachable", "no route to destination"};
    case 3: return (icmp_meaning_t){"icmp_host_unreachable", "address unreachable"};
    case 1: return (icmp_meaning_t){"icmp_admin_prohibited", "administratively prohibited"};
    case 5: case 6: return (icmp_meaning_t){"icmp_admin_prohibited", "rejected by policy"};
    default: return (icmp_meaning_t){"icmp_other", "destination unreachable"};
    }
  }
  if (family == 6 && type == 2)
    return (icmp_meaning_t){"icmp_other", "packet too big"};
  if (family == 6 && type == 3)
    return (icmp_meaning_t){"icmp_other", "time exceeded"};
  return (icmp_meaning_t){"icmp_other", "error"};
}

/* The latest message of the tunnel with this exchange and message ID. */
static const ipsecdiag_message_t *quoted_message(const ipsecdiag_tunnel_t *tunnel, guint8 exchange,
                                                 guint32 message_id)
{
  for (guint i = tunnel->n_messages; i-- > 0;)
    if (tunnel->messages[i].exchange_type == exchange && tunnel->messages[i].message_id == message_id)
      return &tunnel->messages[i];
  return NULL;
}

const ipsecdiag_frame_t *ipsecdiag_engine_feed_icmp(ipsecdiag_engine_t *engine,
                                                    const ipsecdiag_packet_t *pkt,
                                                    guint8 icmp_family, guint8 type, guint8 code,
                                                    const guint8 *quoted, gsize quoted_len)
{
  engine_settle(engine);
  quoted_udp_t udp;
  if (!parse_quoted_udp(icmp_family, quoted, quoted_len, &udp))
    return NULL;
  gboolean natt = udp.dst.port == 4500 || udp.src.port == 4500;
  if (udp.dst.port != 500 && !natt && udp.src.port != 500)
    return NULL;
  ipsecdiag_frame_t *frame = engine_frame_lookup(engine, pkt->frame);
  if (frame)
    return frame;
  engine->feed_count++;
  if (pkt->time > engine->last_time)
    engine->last_time = pkt->time;

  const guint8 *ike = udp.payload;
  gsize ike_len = udp.payload_len;
  if (natt && ike_len >= 4 && memcmp(ike, "\0\0\0\0", 4) == 0) {
    ike += 4;
    ike_len -= 4;
  }
  frame = engine_frame_new(engine, pkt->frame, IPSECDIAG_FRAME_ICMP);
  ipsecdiag_tunnel_t *tunnel = NULL;
  ike_message_t *msg = &engine->scratch;
  const ipsecdiag_message_t *message = NULL;
  if (ike_parse_header(ike, ike_len, msg)) {
    tunnel = engine_tunnel_by_spi(engine, msg->spi_i);
    if (tunnel)
      message = quoted_message(tunnel, msg->exchange_type, msg->message_id);
    frame->exchange_type = msg->exchange_type;
    frame->message_id = msg->message_id;
  }
  if (!tunnel)
    tunnel = engine_tunnel_by_peers(engine, &udp.src.addr, &udp.dst.addr);

  icmp_meaning_t meaning = icmp_meaning(icmp_family, type, code);
  char buf[64];
  frame->message = "ICMP error quoting IKE";
  ipsecdiag_finding_t *finding = finding_new(meaning.rule, pkt->frame, tunnel ? tunnel->id : 0, FALSE);
  finding_set(finding, "reporter", "%s", ipsecdiag_addr_to_str(&pkt->src.addr, buf, sizeof buf));
  finding_set(finding, "peer", "%s", ipsecdiag_addr_to_str(&udp.dst.addr, buf, sizeof buf));
  finding_set(finding, "port", "%u", udp.dst.port);
  finding_set(finding, "icmp", "%s (%s type %u, code %u)", meaning.text, icmp_family == 4 ? "ICMP" : "ICMPv6",
              type, code);
  finding_set(finding, "message", "%s", message ? message->name
              : ike_len >= IKE_HEADER_LEN ? ike_exchange_name(msg->exchange_type) : "IKE message");
  finding_set(finding, "reporter_role", "%s",
              ipsecdiag_addr_equal(&pkt->src.addr, &udp.dst.addr) ? "the peer itself" : "a router on the path");
  if (tunnel) {
    frame->tunnel = tunnel->id;
    frame->state = tunnel->state;
    frame->request_frame = message ? message->last_frame : 0;
    if (!tunnel->icmp_frame)
      tunnel->icmp_frame = pkt->frame;
  }
  engine_attach_finding(engine, frame, finding);
  return frame;
}
