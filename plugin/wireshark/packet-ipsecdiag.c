/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag: the post-dissector. It takes the IKE bytes, ESP SPIs and ICMP
 * errors that Wireshark's own dissectors found in a frame, feeds them to the
 * analysis engine on the first pass, and on every pass renders what the
 * engine stored for the frame as an "IPsec diagnosis" subtree with expert
 * infos. End-of-capture findings are attached when the second pass starts.
 */
#define WS_BUILD_DLL
#include <wireshark.h>
#include <epan/packet.h>
#include <epan/prefs.h>
#include <epan/proto.h>
#include <epan/tap.h>
#include <epan/to_str.h>
#include <wiretap/wtap.h>
#include <wsutil/filesystem.h>
#include <wsutil/pint.h>

#include "ipsecdiag-glue.h"
#include "ipsecdiag/esp.h"
#include "ipsecdiag/esp_keys.h"
#include "ipsecdiag/hot_path.h"
#include "ipsecdiag/ike_decrypt.h"
#include "ipsecdiag/keys.h"

static int proto_ipsecdiag = -1;
static protocol_t *ipsecdiag_protocol;   /* for the enabled check in dissect_ipsecdiag */
static dissector_handle_t ipsecdiag_handle;
static gboolean pref_enabled = TRUE;
static gboolean pref_weak_psk_check = TRUE;
static const char *pref_keys_file = "";

/* The keys store of the keys file preference (NULL when none), what was
 * loaded from which file, and the problems found in it. */
static ipsecdiag_keys_t *keys_store;
static char *keys_loaded_path;
static guint keys_loaded_entries;
static GPtrArray *keys_errors;
static dissector_handle_t isakmp_handle;

/* Wireshark's ESP dissector takes SAs from other dissectors through this
 * function, exported by libwireshark but declared in a header (packet-ipsec.h)
 * that is not installed. It keeps at most 16 such SAs until the capture file
 * is closed (its cleanup routine frees them), so each SA is handed over once
 * per file. */
WS_DLL_PUBLIC void esp_sa_record_add_from_dissector(guint8 protocol, const gchar *srcIP, const char *dstIP,
                                                    gchar *spi, guint8 encryption_algo, const gchar *encryption_key,
                                                    guint8 authentication_algo, const gchar *authentication_key);
#define ESP_HANDOFF_MAX 16
static GHashTable *esp_handed;    /* "spi/src/dst" already given to the ESP dissector */
/* What became of each ESP SA the engine derived (index as in
 * ipsecdiag_engine_esp_derived), shown in the tree. */
typedef enum {
  ESP_HANDOFF_DONE = 1,
  ESP_HANDOFF_ALREADY,             /* the same SPI and addresses were given before (keys file) */
  ESP_HANDOFF_CAP,                 /* ESP_HANDOFF_MAX reached */
  ESP_HANDOFF_UNSUPPORTED,         /* algorithm not known to Wireshark's ESP dissector */
} esp_handoff_t;
static GByteArray *derived_handoff;   /* esp_handoff_t per derived SA */

static int hf_tunnel = -1;
static int hf_version = -1;
static int hf_initiator = -1;
static int hf_responder = -1;
static int hf_role = -1;
static int hf_message = -1;
static int hf_message_id = -1;
static int hf_response_in = -1;
static int hf_response_to = -1;
static int hf_retransmission_of = -1;
static int hf_retransmission_number = -1;
static int hf_retransmission_delay = -1;
static int hf_state = -1;
static int hf_capture_side = -1;
static int hf_nat = -1;
static int hf_offered = -1;
static int hf_chosen = -1;
static int hf_impl_initiator = -1;
static int hf_impl_responder = -1;
static int hf_vendor_ids = -1;
static int hf_id_i = -1;
static int hf_id_r = -1;
static int hf_esp_spi = -1;
static int hf_esp_direction = -1;
static int hf_parse_status = -1;
static int hf_finding = -1;
static int hf_finding_summary = -1;
static int hf_finding_severity = -1;
static int hf_finding_cause = -1;
static int hf_finding_remedy = -1;
static int hf_finding_references = -1;
static int hf_finding_final = -1;
static int hf_keys_file = -1;
static int hf_keys_problem = -1;
static int hf_psk_verdict = -1;
static int hf_child_sas = -1;
static int hf_decryption = -1;
static int hf_decrypted_counts = -1;
static int hf_esp_keys = -1;
static int hf_esp_keys_problem = -1;
static expert_field ei_keys_problem = EI_INIT;
static expert_field ei_esp_handoff_cap = EI_INIT;

static gint ett_ipsecdiag = -1;
static gint ett_finding = -1;
static gint ett_long_text = -1;
static gint ett_decrypted = -1;
static gint ett_keys = -1;

/* Protocols whose presence in a frame makes it worth reading (ids from
 * pinfo->layers; -1 when this Wireshark lacks one). */
static int proto_isakmp_id = -1;
static int proto_esp_id = -1;
static int proto_icmp_id = -1;
static int proto_icmpv6_id = -1;
static int proto_data_id = -1;
static int proto_udpencap_id = -1;

static ipsecdiag_engine_t *engine;

static void hand_derived_esp_sas(void);
static void add_esp_keys(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo, const ipsecdiag_frame_t *frame,
                         guint32 esp_spi, const ipsecdiag_addr_t *esp_dst);

ipsecdiag_engine_t *ipsecdiag_current_engine(void)
{
  /* The taps read the engine: ESP fed late must be counted by then. */
  if (engine)
    ipsecdiag_engine_flush(engine);
  return engine;
}

static void to_engine_addr(const address *in, ipsecdiag_addr_t *out)
{
  memset(out, 0, sizeof *out);
  if (in->type == AT_IPv4 && in->len == 4) {
    out->family = 4;
    memcpy(out->bytes, in->data, 4);
  } else if (in->type == AT_IPv6 && in->len == 16) {
    out->family = 6;
    memcpy(out->bytes, in->data, 16);
  }
}

/*
 * The frame is read from its bytes, not from other dissectors' fields: a
 * post-dissector that wants fields makes tshark and Wireshark build a protocol
 * tree for every frame of the capture, which costs about a quarter more time
 * on ordinary traffic. Which frames matter is known from pinfo->layers (the
 * protocols Wireshark found); the headers are then parsed here, bounded by
 * what was captured.
 */

/* Bits of frame_layers(). */
#define LAYER_ISAKMP 0x1
#define LAYER_ESP 0x2
#define LAYER_ICMP 0x4
#define LAYER_ICMPV6 0x8
#define LAYER_DATA 0x10   /* undissected payload: among others, an IP fragment not yet reassembled */
#define LAYER_UDPENCAP 0x20 /* UDP 4500: alone (no isakmp or esp after it), a NAT keepalive */

/* Every frame walks its layers, so a 64-bit filter of the low bits of the
 * protocol ids frame_layers looks for (held in one register) rejects almost
 * every layer without a memory access; a table by id would cost a cache
 * line per layer, since protocol ids are spread over the field registry. */
static guint64 layer_id_filter;

static void set_layer_filter(void)
{
  const int ids[] = {proto_isakmp_id, proto_esp_id, proto_icmp_id, proto_icmpv6_id, proto_data_id, proto_udpencap_id};
  layer_id_filter = 0;
  for (guint i = 0; i < G_N_ELEMENTS(ids); i++)
    if (ids[i] >= 0)
      layer_id_filter |= G_GUINT64_CONSTANT(1) << (ids[i] & 63);
}

static IPSECDIAG_HOT guint layer_bit(int id)
{
  if (id == proto_isakmp_id)
    return LAYER_ISAKMP;
  if (id == proto_esp_id)
    return LAYER_ESP;
  if (id == proto_icmp_id)
    return LAYER_ICMP;
  if (id == proto_icmpv6_id)
    return LAYER_ICMPV6;
  if (id == proto_data_id)
    return LAYER_DATA;
  if (id == proto_udpencap_id)
    return LAYER_UDPENCAP;
  return 0;
}

static IPSECDIAG_HOT guint frame_layers(packet_info *pinfo)
{
  guint found = 0;
  guint64 filter = layer_id_filter;
  for (wmem_list_frame_t *layer = wmem_list_head(pinfo->layers); layer; layer = wmem_list_frame_next(layer)) {
    int id = GPOINTER_TO_INT(wmem_list_frame_data(layer));
    if ((filter >> (id & 63)) & 1)
      found |= layer_bit(id);
  }
  return found;
}

/* An IPv4 or IPv6 header as far as the diagnosis needs it. */
typedef struct {
  guint8 family;                 /* 4 or 6 */
  guint8 ttl;                    /* TTL or hop limit */
  guint8 next;                   /* upper-layer protocol, after IPv6 extension headers */
  gboolean fragment;             /* part of a fragmented datagram */
  gint offset;                   /* of the IP header in the frame */
  gboolean outermost;            /* known to follow the link header (esp_outer_header) */
  gint payload;                  /* offset of the upper-layer header */
  gint payload_len;              /* its length per the IP header, bounded by what was captured */
  ipsecdiag_addr_t src, dst;
} ip_header_t;

/* An IP header at offset p of the captured bytes (one pointer for the whole
 * header walk: this runs on every IPsec frame). */
static IPSECDIAG_HOT gboolean parse_ip_bytes(const guint8 *bytes, gint captured, gint p, ip_header_t *ip)
{
  if (p < 0 || p + 20 > captured)
    return FALSE;
  const guint8 *h = bytes + p;
  guint8 version = h[0] >> 4;
  gint end;
  memset(ip, 0, sizeof *ip);
  ip->offset = p;
  if (version == 4) {
    gint header_len = (h[0] & 0x0f) * 4;
    gint total_len = pntoh16(h + 2);
    if (header_len < 20 || p + header_len > captured || (total_len && total_len < header_len))
      return FALSE;
    ip->family = 4;
    ip->fragment = (pntoh16(h + 6) & 0x3fff) != 0;   /* MF or an offset */
    ip->ttl = h[8];
    ip->next = h[9];
    memcpy(ip->src.bytes, h + 12, 4);
    memcpy(ip->dst.bytes, h + 16, 4);
    ip->payload = p + header_len;
    end = total_len ? p + total_len : captured;   /* 0: segmentation offload */
  } else if (version == 6) {
    if (p + 40 > captured)
      return FALSE;
    ip->family = 6;
    ip->next = h[6];
    ip->ttl = h[7];
    memcpy(ip->src.bytes, h + 8, 16);
    memcpy(ip->dst.bytes, h + 24, 16);
    ip->payload = p + 40;
    end = ip->payload + pntoh16(h + 4);
    /* Hop-by-hop, routing, destination options and fragment headers, a few at most. */
    for (int i = 0; i < 8 && ip->payload + 8 <= captured; i++) {
      guint8 next = bytes[ip->payload];
      if (ip->next == 44) {
        ip->fragment = TRUE;
        ip->payload += 8;
      } else if (ip->next == 0 || ip->next == 43 || ip->next == 60) {
        ip->payload += (bytes[ip->payload + 1] + 1) * 8;
      } else {
        break;
      }
      ip->next = next;
    }
  } else {
    return FALSE;
  }
  ip->src.family = ip->dst.family = ip->family;
  ip->payload_len = MIN(end, captured) - ip->payload;
  if (ip->payload_len < 0)
    ip->payload_len = 0;
  return TRUE;
}

static gboolean parse_ip(tvbuff_t *tvb, gint p, ip_header_t *ip)
{
  gint captured = (gint)tvb_captured_length(tvb);
  if (p < 0 || p + 20 > captured)
    return FALSE;
  return parse_ip_bytes(tvb_get_ptr(tvb, 0, captured), captured, p, ip);
}

/* Where the link layer ends for the usual encapsulations, -1 for others. */
static IPSECDIAG_HOT gint link_header_len(tvbuff_t *tvb, packet_info *pinfo)
{
  if (!pinfo->rec || pinfo->rec->rec_type != REC_TYPE_PACKET)
    return -1;
  switch (pinfo->rec->rec_header.packet_header.pkt_encap) {
  case WTAP_ENCAP_ETHERNET: {
    gint p = 12;
    /* 802.1Q / 802.1ad tags, a few at most */
    for (int i = 0; i < 4 && tvb_bytes_exist(tvb, p, 2); i++) {
      guint16 type = tvb_get_ntohs(tvb, p);
      if (type != 0x8100 && type != 0x88a8 && type != 0x9100)
        break;
      p += 4;
    }
    return p + 2;
  }
  case WTAP_ENCAP_RAW_IP:
  case WTAP_ENCAP_RAW_IP4:
  case WTAP_ENCAP_RAW_IP6:
    return 0;
  case WTAP_ENCAP_NULL:
  case WTAP_ENCAP_LOOP:
    return 4;
  case WTAP_ENCAP_SLL:
    return 16;
  case WTAP_ENCAP_SLL2:
    return 20;
  default:
    return -1;
  }
}

static gboolean ipv4_checksum_ok(tvbuff_t *tvb, gint p)
{
  gint len = (tvb_get_guint8(tvb, p) & 0x0f) * 4;
  guint32 sum = 0;
  for (gint i = 0; i < len; i += 2)
    sum += tvb_get_ntohs(tvb, p + i);
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return sum == 0xffff;
}

/* The first (outermost) IP header of the frame. */
static gboolean outer_ip(tvbuff_t *tvb, packet_info *pinfo, ip_header_t *ip)
{
  gint start = link_header_len(tvb, pinfo);
  if (start >= 0)
    return parse_ip(tvb, start, ip);
  /* Unknown link layer: the first header that looks like IP (an IPv4 one must add up). */
  for (gint p = 0; p <= 128; p++)
    if (parse_ip(tvb, p, ip) && (ip->family == 6 || ipv4_checksum_ok(tvb, p)))
      return TRUE;
  return FALSE;
}

/* The IP header with the addresses Wireshark reports for the frame: the one
 * the transport layer belongs to, after any encapsulating headers. */
static gboolean reported_ip(tvbuff_t *tvb, packet_info *pinfo, ip_header_t *ip)
{
  ipsecdiag_addr_t src, dst;
  to_engine_addr(&pinfo->net_src, &src);
  to_engine_addr(&pinfo->net_dst, &dst);
  if (!src.family)
    return FALSE;
  gint start = MAX(0, link_header_len(tvb, pinfo));
  for (gint p = start; p <= start + 128; p++)
    if (parse_ip(tvb, p, ip) && ipsecdiag_addr_equal(&ip->src, &src) && ipsecdiag_addr_equal(&ip->dst, &dst))
      return TRUE;
  return FALSE;
}

/* The tvb and offset of the IP payload: the frame, or the reassembled
 * datagram when the header is a fragment's. */
static tvbuff_t *ip_payload(tvbuff_t *tvb, packet_info *pinfo, const ip_header_t *ip, gint *offset, gint *len)
{
  if (!ip->fragment) {
    *offset = ip->payload;
    *len = ip->payload_len;
    return tvb;
  }
  tvbuff_t *reassembled = get_data_source_tvb_by_name(pinfo, ip->family == 4 ? "Reassembled IPv4"
                                                                           : "Reassembled IPv6");
  if (!reassembled)
    return NULL;
  *offset = 0;
  *len = (gint)tvb_captured_length(reassembled);
  return reassembled;
}

static IPSECDIAG_HOT void packet_meta(packet_info *pinfo, tvbuff_t *tvb, const ip_header_t *ip,
                                      ipsecdiag_packet_t *pkt)
{
  memset(pkt, 0, sizeof *pkt);
  pkt->frame = pinfo->num;
  pkt->time = nstime_to_sec(&pinfo->abs_ts);
  pkt->src.addr = ip->src;
  pkt->dst.addr = ip->dst;
  if (pinfo->ptype == PT_UDP || pinfo->ptype == PT_TCP) {
    pkt->src.port = (guint16)pinfo->srcport;
    pkt->dst.port = (guint16)pinfo->destport;
  }
  /* The outermost header's TTL; most frames have only the one already parsed. */
  ip_header_t outer;
  if (ip->outermost || ip->offset == link_header_len(tvb, pinfo))
    pkt->ttl = ip->ttl;
  else
    pkt->ttl = outer_ip(tvb, pinfo, &outer) ? outer.ttl : ip->ttl;
}

/* The IKE message of a frame the isakmp dissector took: the UDP payload,
 * after the non-ESP marker on port 4500 (a lone 0xff is a NAT keepalive). */
static const guint8 *ike_bytes(tvbuff_t *tvb, packet_info *pinfo, const ip_header_t *ip, gint *len)
{
  gint udp, available;
  if (pinfo->ptype != PT_UDP || ip->next != 17)
    return NULL;                        /* IKE over TCP (RFC 8229) is not read */
  tvbuff_t *data = ip_payload(tvb, pinfo, ip, &udp, &available);
  if (!data || available < 8 || tvb_get_ntohs(data, udp) != pinfo->srcport
      || tvb_get_ntohs(data, udp + 2) != pinfo->destport)
    return NULL;
  gint udp_len = tvb_get_ntohs(data, udp + 4);
  *len = (udp_len >= 8 && udp_len <= available ? udp_len : available) - 8;
  gint start = udp + 8;
  if (pinfo->srcport == 4500 || pinfo->destport == 4500) {
    if (!(*len == 1 && tvb_get_guint8(data, start) == 0xff)) {
      if (*len < 4 || tvb_get_ntohl(data, start) != 0)
        return NULL;
      start += 4;
      *len -= 4;
    }
  }
  if (*len <= 0)
    return NULL;
  return tvb_get_ptr(data, start, *len);
}

/* The IP header carrying ESP: the reported one, else the outer one (a
 * decrypted or NULL-encrypted payload may have its own IP header reported). */
static gboolean esp_ip(tvbuff_t *tvb, packet_info *pinfo, ip_header_t *ip)
{
  if (reported_ip(tvb, pinfo, ip) && (ip->next == 50 || ip->next == 17))
    return TRUE;
  return outer_ip(tvb, pinfo, ip) && (ip->next == 50 || ip->next == 17);
}

/* SPI, sequence and the length from the SPI on, of the ESP header at esp
 * (available: bytes the IP header says follow). */
static IPSECDIAG_HOT gboolean esp_fields(tvbuff_t *data, gint esp, gint available, guint32 *spi,
                                         guint32 *sequence, guint32 *length)
{
  if (available < 8 || !tvb_bytes_exist(data, esp, 8))
    return FALSE;
  *spi = tvb_get_ntohl(data, esp);
  *sequence = tvb_get_ntohl(data, esp + 4);
  gint reported = tvb_reported_length_remaining(data, esp);
  *length = reported > 0 ? (guint32)reported : 0;
  return *spi != 0;                     /* 0 is the non-ESP marker: IKE */
}

/* An ESP header (native or in UDP, RFC 3948): SPI, sequence and the length
 * from the SPI on. */
static gboolean esp_header(tvbuff_t *tvb, packet_info *pinfo, ip_header_t *ip, guint32 *spi, guint32 *sequence,
                           guint32 *length)
{
  if (!esp_ip(tvb, pinfo, ip))
    return FALSE;
  gint esp, available;
  tvbuff_t *data = ip_payload(tvb, pinfo, ip, &esp, &available);
  if (!data)
    return FALSE;
  if (ip->next == 17) {
    esp += 8;
    available -= 8;
  } else if (ip->next != 50) {
    return FALSE;
  }
  return esp_fields(data, esp, available, spi, sequence, length);
}

/* The usual ESP frame, read from the outermost header in one go: native
 * ESP, or ESP in UDP 4500, in an unfragmented IPv4 or IPv6 header right
 * after the link layer. The outer header is the right one also when
 * Wireshark decrypted the ESP (pinfo then reports the inner packet's
 * addresses). Other frames (fragments, tunnels in tunnels, other UDP ports)
 * take esp_header's search. */
static IPSECDIAG_HOT gboolean esp_outer_header(tvbuff_t *tvb, packet_info *pinfo, ip_header_t *ip, guint32 *spi,
                                               guint32 *sequence, guint32 *length, guint16 *src_port,
                                               guint16 *dst_port)
{
  gint link = link_header_len(tvb, pinfo);
  gint captured = (gint)tvb_captured_length(tvb);
  if (link < 0 || link + 28 > captured)
    return FALSE;
  const guint8 *bytes = tvb_get_ptr(tvb, 0, captured);
  if (!parse_ip_bytes(bytes, captured, link, ip) || ip->fragment)
    return FALSE;
  ip->outermost = TRUE;
  gint esp = ip->payload, available = ip->payload_len;
  *src_port = *dst_port = 0;
  if (ip->next == 17) {
    if (available < 8)
      return FALSE;
    *src_port = pntoh16(bytes + esp);
    *dst_port = pntoh16(bytes + esp + 2);
    if (*src_port != 4500 && *dst_port != 4500)
      return FALSE;
    esp += 8;
    available -= 8;
  } else if (ip->next != 50) {
    return FALSE;
  }
  return esp_fields(tvb, esp, available, spi, sequence, length);
}

/* Whether ESP is the frame's last layer (this post-dissector adds none of
 * its own: its handle has no protocol). */
static IPSECDIAG_HOT gboolean last_layer_is_esp(packet_info *pinfo)
{
  wmem_list_frame_t *last = wmem_list_tail(pinfo->layers);
  return last && GPOINTER_TO_INT(wmem_list_frame_data(last)) == proto_esp_id;
}

/* The commonest frame of a busy capture, on the path where nothing reads
 * its result now (first pass, no tree, no tap): ESP alone (the last layer
 * before this post-dissector) right after Ethernet and an unfragmented
 * IPv4 header without options, native or in UDP 4500. One short routine
 * over the frame's bytes gives the engine what esp_outer_header and
 * packet_meta would: less code, so fewer instruction-cache misses on every
 * such frame. FALSE: not such a frame, nothing done, the general path takes
 * it. (The capture suite compares, frame by frame, what this path and the
 * immediate one give.) */
static IPSECDIAG_HOT gboolean feed_plain_esp_later(tvbuff_t *tvb, packet_info *pinfo)
{
  if (!pinfo->rec || pinfo->rec->rec_type != REC_TYPE_PACKET
      || pinfo->rec->rec_header.packet_header.pkt_encap != WTAP_ENCAP_ETHERNET)
    return FALSE;
  gint captured = (gint)tvb_captured_length(tvb);
  if (captured < 14 + 20 + 8)
    return FALSE;
  const guint8 *bytes = tvb_get_ptr(tvb, 0, captured);
  const guint8 *ip = bytes + 14;
  /* IPv4 (0x0800, not a VLAN tag), version 4 and 20 header bytes, no MF nor offset. */
  if (bytes[12] != 0x08 || bytes[13] != 0x00 || ip[0] != 0x45 || (pntoh16(ip + 6) & 0x3fff))
    return FALSE;
  gint total_len = pntoh16(ip + 2);
  if (total_len && total_len < 20)
    return FALSE;
  gint end = total_len ? MIN(14 + total_len, captured) : captured;   /* 0: segmentation offload */
  gint esp = 14 + 20;
  guint16 src_port = 0, dst_port = 0;
  if (ip[9] == 17) {
    if (end - esp < 8)
      return FALSE;
    src_port = pntoh16(bytes + esp);
    dst_port = pntoh16(bytes + esp + 2);
    if (src_port != 4500 && dst_port != 4500)
      return FALSE;
    esp += 8;
  } else if (ip[9] != 50) {
    return FALSE;
  }
  if (end - esp < 8)
    return FALSE;
  guint32 spi = pntoh32(bytes + esp);
  if (!spi)
    return FALSE;                       /* the non-ESP marker: IKE */
  gint reported = (gint)tvb_reported_length(tvb) - esp;
  ipsecdiag_packet_t pkt;
  memset(&pkt, 0, sizeof pkt);
  pkt.frame = pinfo->num;
  pkt.time = (double)pinfo->abs_ts.secs + (double)pinfo->abs_ts.nsecs / 1000000000;   /* nstime_to_sec */
  pkt.src.addr.family = pkt.dst.addr.family = 4;
  memcpy(pkt.src.addr.bytes, ip + 12, 4);
  memcpy(pkt.dst.addr.bytes, ip + 16, 4);
  pkt.src.port = src_port;
  pkt.dst.port = dst_port;
  pkt.ttl = ip[8];
  ipsecdiag_engine_feed_esp_later(engine, &pkt, spi, pntoh32(bytes + esp + 4),
                                  reported > 0 ? (guint32)reported : 0);
  return TRUE;
}

/* An IPv4 fragment or an IPv6 packet with a Fragment header (outer
 * header): the engine tracks which IKE / ESP datagrams never reassemble. */
static const ipsecdiag_frame_t *feed_ip_fragment(tvbuff_t *tvb, packet_info *pinfo)
{
  ip_header_t ip;
  if (!outer_ip(tvb, pinfo, &ip) || !ip.fragment)
    return NULL;
  guint32 ip_id, offset;
  gboolean more;
  guint8 protocol;
  const guint8 *payload = NULL;
  gsize payload_len = 0;
  if (ip.family == 4) {
    guint16 flags_offset = tvb_get_ntohs(tvb, ip.offset + 6);
    more = (flags_offset & 0x2000) != 0;
    offset = (flags_offset & 0x1fffu) * 8u;
    ip_id = tvb_get_ntohs(tvb, ip.offset + 4);
    protocol = ip.next;
    if (ip.payload_len > 0) {
      payload = tvb_get_ptr(tvb, ip.payload, ip.payload_len);
      payload_len = (gsize)ip.payload_len;
    }
  } else {
    /* The engine walks the extension headers to the Fragment header, bounded by what was captured. */
    gint captured = tvb_captured_length_remaining(tvb, ip.offset);
    ipsecdiag_ipv6_fragment_t frag;
    if (captured <= 0 || !ipsecdiag_ipv6_fragment(tvb_get_ptr(tvb, ip.offset, captured), (gsize)captured, &frag))
      return NULL;
    more = frag.more_fragments;
    offset = frag.offset;
    ip_id = frag.identification;
    protocol = frag.protocol;
    if (frag.payload_len > 0) {
      payload = tvb_get_ptr(tvb, ip.offset + (gint)frag.payload, (gint)frag.payload_len);
      payload_len = frag.payload_len;
    }
  }
  ipsecdiag_packet_t pkt;
  packet_meta(pinfo, tvb, &ip, &pkt);
  /* ports are unknown for later fragments */
  pkt.src.port = pkt.dst.port = 0;
  return ipsecdiag_engine_feed_ip_fragment(engine, &pkt, ip_id, protocol, offset, more, payload, payload_len);
}

/* The frames other than plain ESP (IKE, ICMP errors, fragments, ESP that
 * needs esp_header's search): out of line, so that the ESP path stays short. */
static IPSECDIAG_NOINLINE const ipsecdiag_frame_t *feed_other_frame(tvbuff_t *tvb, packet_info *pinfo, guint layers,
                                                                    guint32 *esp_spi, guint32 *esp_sequence,
                                                                    ip_header_t *esp_ip_header)
{
  ipsecdiag_packet_t pkt;
  ip_header_t ip;

  if (layers & (LAYER_ICMP | LAYER_ICMPV6)) {
    /* The ICMP header's addresses are the outer header's: the quoted packet's
     * dissection rewrote pinfo's. */
    guint8 family = (layers & LAYER_ICMP) ? 4 : 6;
    gboolean outer = outer_ip(tvb, pinfo, &ip);
    /* ICMP inside decrypted ESP (esp.enable_encryption_decode): the frame is ESP. */
    gboolean inside_esp = (layers & LAYER_ESP) && outer && (ip.next == 50 || ip.next == 17);
    if (inside_esp)
      layers &= ~(guint)(LAYER_ICMP | LAYER_ICMPV6);
    else if (!outer || ip.family != family || ip.fragment || ip.next != (family == 4 ? 1 : 58)
             || ip.payload_len < 8)
      return NULL;
  }
  if (layers & (LAYER_ICMP | LAYER_ICMPV6)) {
    guint8 family = (layers & LAYER_ICMP) ? 4 : 6;
    const guint8 *data = tvb_get_ptr(tvb, ip.payload, ip.payload_len);
    /* Only errors quote a packet: ICMP 3, 4, 5, 11, 12; ICMPv6 1 to 4. */
    gboolean error = family == 4 ? (data[0] == 3 || data[0] == 4 || data[0] == 5 || data[0] == 11 || data[0] == 12)
                                 : (data[0] >= 1 && data[0] <= 4);
    if (!error)
      return NULL;
    packet_meta(pinfo, tvb, &ip, &pkt);
    pkt.src.port = pkt.dst.port = 0;
    return ipsecdiag_engine_feed_icmp(engine, &pkt, family, data[0], data[1], data + 8,
                                      (gsize)ip.payload_len - 8);
  }
  /* IP fragments of IKE / ESP: the first ones show as data, the one that
   * completes the datagram as the reassembled protocol. */
  gboolean maybe_fragment = (layers & LAYER_DATA)
      || ((layers & (LAYER_ISAKMP | LAYER_ESP)) && (get_data_source_tvb_by_name(pinfo, "Reassembled IPv4")
                                                    || get_data_source_tvb_by_name(pinfo, "Reassembled IPv6")));
  const ipsecdiag_frame_t *fragment = maybe_fragment ? feed_ip_fragment(tvb, pinfo) : NULL;
  /* A NAT keepalive (one 0xff byte) shows as udpencap only; ike_bytes reads it. */
  gboolean keepalive = (layers & LAYER_UDPENCAP) && !(layers & (LAYER_ISAKMP | LAYER_ESP));
  if ((layers & LAYER_ISAKMP) || keepalive) {
    gint len;
    const guint8 *data = reported_ip(tvb, pinfo, &ip) ? ike_bytes(tvb, pinfo, &ip, &len) : NULL;
    if (!data)
      return fragment;
    packet_meta(pinfo, tvb, &ip, &pkt);
    pkt.non_esp_marker = pkt.src.port == 4500 || pkt.dst.port == 4500;
    return ipsecdiag_engine_feed_ike(engine, &pkt, data, (gsize)len);
  }
  if (layers & LAYER_ESP) {
    guint32 esp_len;
    if (!esp_header(tvb, pinfo, &ip, esp_spi, esp_sequence, &esp_len))
      return fragment;
    *esp_ip_header = ip;
    packet_meta(pinfo, tvb, &ip, &pkt);
    /* Ports from the UDP header itself: with ESP decrypted, pinfo holds the inner packet's. */
    pkt.src.port = pkt.dst.port = 0;
    gint udp, available;
    tvbuff_t *data = ip.next == 17 ? ip_payload(tvb, pinfo, &ip, &udp, &available) : NULL;
    if (data && available >= 8) {
      pkt.src.port = tvb_get_ntohs(data, udp);
      pkt.dst.port = tvb_get_ntohs(data, udp + 2);
    }
    const ipsecdiag_frame_t *esp = ipsecdiag_engine_feed_esp(engine, &pkt, *esp_spi, *esp_sequence, esp_len);
    return esp ? esp : fragment;
  }
  return fragment;
}

/* Feed the frame's IKE, ESP or ICMP error; returns the stored record or NULL.
 * Without result_needed, plain ESP may be counted later (NULL then). */
static IPSECDIAG_HOT const ipsecdiag_frame_t *feed_frame(tvbuff_t *tvb, packet_info *pinfo, guint layers,
                                                         gboolean result_needed, guint32 *esp_spi,
                                                         guint32 *esp_sequence, ip_header_t *esp_ip_header)
{
  ipsecdiag_packet_t pkt;
  ip_header_t ip;

  if ((layers & ~(guint)LAYER_UDPENCAP) == LAYER_ESP) {
    /* Most IPsec frames: ESP alone, its outer header unfragmented. */
    guint32 esp_len;
    guint16 src_port, dst_port;
    if (esp_outer_header(tvb, pinfo, &ip, esp_spi, esp_sequence, &esp_len, &src_port, &dst_port)) {
      *esp_ip_header = ip;
      packet_meta(pinfo, tvb, &ip, &pkt);
      /* Ports from the UDP header itself: with ESP decrypted, pinfo holds the inner packet's. */
      pkt.src.port = src_port;
      pkt.dst.port = dst_port;
      if (!result_needed) {
        ipsecdiag_engine_feed_esp_later(engine, &pkt, *esp_spi, *esp_sequence, esp_len);
        return NULL;
      }
      return ipsecdiag_engine_feed_esp(engine, &pkt, *esp_spi, *esp_sequence, esp_len);
    }
  }
  return feed_other_frame(tvb, pinfo, layers, esp_spi, esp_sequence, esp_ip_header);
}

/* Tree labels are cut at 240 characters; long texts are also given
 * sentence by sentence beneath their (complete, filterable) field. */
static void add_long_text(proto_tree *tree, int hf, tvbuff_t *tvb, const char *text)
{
  proto_item *item = proto_tree_add_string(tree, hf, tvb, 0, 0, text);
  proto_item_set_generated(item);
  if (strlen(text) < 200)
    return;
  proto_tree *sentences = proto_item_add_subtree(item, ett_long_text);
  const char *start = text;
  while (*start) {
    const char *end = strstr(start, ". ");
    gsize len = end ? (gsize)(end - start) + 1 : strlen(start);
    proto_item_set_generated(proto_tree_add_subtree_format(sentences, tvb, 0, 0, ett_long_text, NULL, "%.*s", (int)len, start));
    start += len;
    while (*start == ' ')
      start++;
  }
}

static void add_finding(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo,
                        const ipsecdiag_finding_t *finding)
{
  const ipsecdiag_rule_t *rule = ipsecdiag_rules_lookup(ipsecdiag_rules(), finding->rule_id);
  char *summary = ipsecdiag_render_summary(pinfo->pool, finding);
  proto_item *item = proto_tree_add_string_format_value(tree, hf_finding, tvb, 0, 0, finding->rule_id,
                                                        "%s (%s)", summary, finding->rule_id);
  proto_item_set_generated(item);
  proto_tree *sub = proto_item_add_subtree(item, ett_finding);
  proto_item_set_generated(proto_tree_add_string(sub, hf_finding_summary, tvb, 0, 0, summary));
  if (rule) {
    proto_item_set_generated(proto_tree_add_string(sub, hf_finding_severity, tvb, 0, 0,
                                                   ipsecdiag_severity_name(rule->severity)));
    /* Cause and remedy name the peers and ports too: render them like the summary. */
    const char *const *keys = (const char *const *)finding->keys;
    const char *const *values = (const char *const *)finding->values;
    if (rule->cause) {
      char *cause = ipsecdiag_rule_render(rule->cause, keys, values, finding->n_params);
      add_long_text(sub, hf_finding_cause, tvb, cause);
      g_free(cause);
    }
    if (rule->remedy) {
      char *remedy = ipsecdiag_rule_render(rule->remedy, keys, values, finding->n_params);
      add_long_text(sub, hf_finding_remedy, tvb, remedy);
      g_free(remedy);
    }
    if (rule->references)
      proto_item_set_generated(proto_tree_add_string(sub, hf_finding_references, tvb, 0, 0, rule->references));
  }
  proto_item_set_generated(proto_tree_add_boolean(sub, hf_finding_final, tvb, 0, 0, finding->final));
  ipsecdiag_expert_add(pinfo, item, finding, summary);
}

static void add_tunnel_fields(proto_tree *tree, tvbuff_t *tvb, const ipsecdiag_tunnel_t *tunnel)
{
  char buf[64];
  proto_item_set_generated(proto_tree_add_uint(tree, hf_tunnel, tvb, 0, 0, tunnel->id));
  proto_item_set_generated(proto_tree_add_uint(tree, hf_version, tvb, 0, 0, tunnel->version));
  proto_item_set_generated(proto_tree_add_string(tree, hf_initiator, tvb, 0, 0,
      ipsecdiag_endpoint_to_str(&tunnel->initiator, buf, sizeof buf)));
  proto_item_set_generated(proto_tree_add_string(tree, hf_responder, tvb, 0, 0,
      ipsecdiag_endpoint_to_str(&tunnel->responder, buf, sizeof buf)));
  const struct { int hf; const char *value; } optional[] = {
    {hf_offered, tunnel->offered_suites}, {hf_chosen, tunnel->chosen_suite},
    {hf_impl_initiator, tunnel->implementation[0]}, {hf_impl_responder, tunnel->implementation[1]},
    {hf_vendor_ids, tunnel->vendor_ids[0]}, {hf_vendor_ids, tunnel->vendor_ids[1]},
    {hf_id_i, tunnel->id_i}, {hf_id_r, tunnel->id_r},
  };
  for (guint i = 0; i < G_N_ELEMENTS(optional); i++)
    if (optional[i].value)
      proto_item_set_generated(proto_tree_add_string(tree, optional[i].hf, tvb, 0, 0, optional[i].value));
  if (tunnel->psk_verdict)
    proto_item_set_generated(proto_tree_add_string(tree, hf_psk_verdict, tvb, 0, 0, tunnel->psk_verdict));
  if (tunnel->child_sas)
    proto_item_set_generated(proto_tree_add_string(tree, hf_child_sas, tvb, 0, 0, tunnel->child_sas));
  if (tunnel->decrypted_messages || tunnel->undecrypted_messages)
    proto_item_set_generated(proto_tree_add_string_format_value(tree, hf_decrypted_counts, tvb, 0, 0, "",
        "%u decrypted, %u not", tunnel->decrypted_messages, tunnel->undecrypted_messages));
}

/* The keys file's state, on the first frame of each tunnel: a broken line
 * must be seen, not only logged. Secrets never appear here. */
static void add_keys_file_status(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo)
{
  if (!keys_loaded_path)
    return;
  proto_item *item = proto_tree_add_string_format_value(tree, hf_keys_file, tvb, 0, 0, keys_loaded_path,
      "%s (%u entries, %u problems)", keys_loaded_path, keys_loaded_entries, keys_errors ? keys_errors->len : 0);
  proto_item_set_generated(item);
  if (!keys_errors || !keys_errors->len)
    return;
  proto_tree *sub = proto_item_add_subtree(item, ett_keys);
  for (guint i = 0; i < keys_errors->len; i++)
    proto_item_set_generated(proto_tree_add_string(sub, hf_keys_problem, tvb, 0, 0,
                                                   g_ptr_array_index(keys_errors, i)));
  expert_add_info_format(pinfo, item, &ei_keys_problem, "Keys file %s: %u lines not loaded, first: %s",
                         keys_loaded_path, keys_errors->len, (const char *)g_ptr_array_index(keys_errors, 0));
}

/* The decrypted message as a new data source, dissected by Wireshark's own
 * IKE dissector under the ipsecdiag subtree. */
static void add_decrypted(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo, const ipsecdiag_frame_t *frame)
{
  proto_item *status = proto_tree_add_string(tree, hf_decryption, tvb, 0, 0,
                                             ike_decrypt_status_name((ike_decrypt_status_t)frame->decrypt_status));
  proto_item_set_generated(status);
  if (!frame->decrypted || !frame->decrypted_len)
    return;
  tvbuff_t *plain = tvb_new_child_real_data(tvb, frame->decrypted, frame->decrypted_len, frame->decrypted_len);
  add_new_data_source(pinfo, plain, "Decrypted IKE");
  proto_tree *sub = proto_item_add_subtree(status, ett_decrypted);
  if (isakmp_handle) {
    /* Keep the Info column as the outer message set it. */
    gboolean writable = col_get_writable(pinfo->cinfo, -1);
    col_set_writable(pinfo->cinfo, -1, FALSE);
    call_dissector_only(isakmp_handle, plain, pinfo, sub, NULL);
    col_set_writable(pinfo->cinfo, -1, writable);
  } else {
    proto_tree_add_bytes_format(sub, hf_decryption, plain, 0, -1, NULL, "Decrypted IKE message (%u bytes)",
                                frame->decrypted_len);
  }
}

/* Cold: plain tshark runs without a tree, and in the GUI it runs once per shown packet. */
static IPSECDIAG_COLD void render_tree(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,
                                       const ipsecdiag_frame_t *frame, guint32 esp_tunnel, guint32 esp_spi,
                                       const ip_header_t *esp_ip_header)
{
  const ipsecdiag_tunnel_t *tunnel = ipsecdiag_engine_tunnel(engine, frame ? frame->tunnel : esp_tunnel);
  proto_item *root = proto_tree_add_item(tree, proto_ipsecdiag, tvb, 0, 0, ENC_NA);
  proto_item_set_generated(root);
  proto_tree *sub = proto_item_add_subtree(root, ett_ipsecdiag);
  if (tunnel)
    proto_item_append_text(root, ": tunnel %u", tunnel->id);
  if (frame && frame->message) {
    proto_item_append_text(root, ", %s", frame->message);
    if (frame->sender_role)
      proto_item_append_text(root, " (%s)", ipsecdiag_role_name(frame->sender_role));
  }
  if (tunnel)
    add_tunnel_fields(sub, tvb, tunnel);
  if (tunnel && tunnel->first_frame == pinfo->num)
    add_keys_file_status(sub, tvb, pinfo);

  if (frame && frame->kind != IPSECDIAG_FRAME_ESP) {
    if (frame->sender_role)
      proto_item_set_generated(proto_tree_add_string(sub, hf_role, tvb, 0, 0, ipsecdiag_role_name(frame->sender_role)));
    if (frame->message)
      proto_item_set_generated(proto_tree_add_string(sub, hf_message, tvb, 0, 0, frame->message));
    if (frame->kind == IPSECDIAG_FRAME_IKE)
      proto_item_set_generated(proto_tree_add_uint(sub, hf_message_id, tvb, 0, 0, frame->message_id));
    if (frame->parse_status)
      proto_item_set_generated(proto_tree_add_string(sub, hf_parse_status, tvb, 0, 0,
                                                     ike_parse_status_name(frame->parse_status)));
    if (frame->response_frame)
      proto_item_set_generated(proto_tree_add_uint(sub, hf_response_in, tvb, 0, 0, frame->response_frame));
    if (frame->request_frame)
      proto_item_set_generated(proto_tree_add_uint(sub, hf_response_to, tvb, 0, 0, frame->request_frame));
    if (frame->retransmission_of) {
      proto_item_set_generated(proto_tree_add_uint(sub, hf_retransmission_of, tvb, 0, 0, frame->retransmission_of));
      proto_item_set_generated(proto_tree_add_uint(sub, hf_retransmission_number, tvb, 0, 0,
                                                   frame->retransmission_number));
      nstime_t delay;
      nstime_set_zero(&delay);
      delay.secs = (time_t)frame->retransmission_delay;
      delay.nsecs = (int)((frame->retransmission_delay - (double)delay.secs) * 1e9);
      proto_item_set_generated(proto_tree_add_time(sub, hf_retransmission_delay, tvb, 0, 0, &delay));
      proto_item_append_text(root, ", retransmission #%u of frame %u", frame->retransmission_number,
                             frame->retransmission_of);
    }
    proto_item_set_generated(proto_tree_add_string(sub, hf_state, tvb, 0, 0, ipsecdiag_state_name(frame->state)));
    if (frame->decrypt_status) {
      add_decrypted(sub, tvb, pinfo, frame);
      pinfo->curr_proto_layer_num = 1;  /* the decrypted message's dissection moved it */
      add_esp_keys(sub, tvb, pinfo, frame, 0, NULL);
    }
  }
  if (esp_spi || (frame && frame->kind == IPSECDIAG_FRAME_ESP)) {
    proto_item_set_generated(proto_tree_add_uint(sub, hf_esp_spi, tvb, 0, 0, esp_spi));
    if (tunnel) {
      ipsecdiag_endpoint_t src = {.port = 0};
      src.addr = esp_ip_header->src;
      gboolean from_initiator = ipsecdiag_addr_equal(&src.addr, &tunnel->initiator.addr)
                                || ipsecdiag_addr_equal(&src.addr, &tunnel->initiator_natt.addr);
      proto_item_set_generated(proto_tree_add_string(sub, hf_esp_direction, tvb, 0, 0,
          from_initiator ? "initiator to responder" : "responder to initiator"));
    }
    add_esp_keys(sub, tvb, pinfo, NULL, esp_spi, &esp_ip_header->dst);
  }
  if (tunnel) {
    proto_item_set_generated(proto_tree_add_string(sub, hf_capture_side, tvb, 0, 0,
                                                   ipsecdiag_capture_side_name(tunnel->capture_side)));
    char nat[160];
    proto_item_set_generated(proto_tree_add_string(sub, hf_nat, tvb, 0, 0,
                                                   ipsecdiag_nat_describe(tunnel, nat, sizeof nat)));
  }
  if (frame && frame->findings) {
    for (guint i = 0; i < frame->findings->len; i++)
      add_finding(sub, tvb, pinfo, g_ptr_array_index(frame->findings, i));
  }
}

/* The fields are layer 1 of ipsecdiag for the display filter layer
 * operator ("ipsecdiag.finding#1"): libwireshark counts layers only for
 * handles with a protocol, and this one has none. */
static IPSECDIAG_COLD void render(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,
                                  const ipsecdiag_frame_t *frame, guint32 esp_tunnel, guint32 esp_spi,
                                  const ip_header_t *esp_ip_header)
{
  guint8 saved_layer = pinfo->curr_proto_layer_num;
  pinfo->curr_proto_layer_num = 1;
  render_tree(tvb, pinfo, tree, frame, esp_tunnel, esp_spi, esp_ip_header);
  pinfo->curr_proto_layer_num = saved_layer;
}

/* " [MI1]" for the Info column, made once per message name: the engine's
 * names are static strings, so the pointer is the key. One append costs a
 * third of three appends, and a printf more than both. */
static GHashTable *info_suffixes;

static const char *info_suffix(const char *message)
{
  if (!info_suffixes)
    info_suffixes = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
  char *suffix = g_hash_table_lookup(info_suffixes, message);
  if (!suffix) {
    suffix = g_strconcat(" [", message, "]", NULL);
    g_hash_table_insert(info_suffixes, (gpointer)message, suffix);
  }
  return suffix;
}

static IPSECDIAG_HOT int dissect_ipsecdiag(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
  /* The handle has no protocol (see proto_register_ipsecdiag): the
   * protocol's Enabled Protocols switch and the name that errors are
   * reported under are seen to here. libwireshark restores the name. */
  if (!pref_enabled || !engine || !proto_is_protocol_enabled(ipsecdiag_protocol))
    return 0;
  pinfo->current_proto = "ipsecdiag";
  guint32 esp_spi = 0, esp_sequence = 0;
  ip_header_t esp_ip_header;             /* the IP header carrying ESP: its addresses, not pinfo's (which
                                            are the inner packet's once Wireshark decrypted ESP) */
  memset(&esp_ip_header, 0, sizeof esp_ip_header);
  const ipsecdiag_frame_t *frame;
  gboolean tapping;
  if (!PINFO_FD_VISITED(pinfo)) {
    if (!tree && last_layer_is_esp(pinfo) && !have_tap_listener(ipsecdiag_tap_id())
        && feed_plain_esp_later(tvb, pinfo))
      return 0;
    guint layers = frame_layers(pinfo);
    if (!layers)
      return 0;                         /* most frames: no IKE, ESP or ICMP */
    tapping = have_tap_listener(ipsecdiag_tap_id());
    /* Without a tree or tap nothing reads a plain ESP frame's result now. */
    frame = feed_frame(tvb, pinfo, layers, tree || tapping, &esp_spi, &esp_sequence, &esp_ip_header);
    /* A Child SA read with keys may have given ESP keys: hand them over
     * before the ESP packets that use them are dissected. */
    if (frame && frame->kind == IPSECDIAG_FRAME_IKE && frame->decrypt_status)
      hand_derived_esp_sas();
  } else {
    tapping = have_tap_listener(ipsecdiag_tap_id());
    /* The first pass is over: findings that needed the whole capture are now certain. */
    ipsecdiag_engine_finalize(engine);
    frame = ipsecdiag_engine_frame(engine, pinfo->num);
    guint32 esp_length;
    guint16 src_port, dst_port;
    if ((!frame || frame->kind == IPSECDIAG_FRAME_ESP) && (frame_layers(pinfo) & LAYER_ESP)
        && !esp_outer_header(tvb, pinfo, &esp_ip_header, &esp_spi, &esp_sequence, &esp_length, &src_port,
                             &dst_port))
      esp_header(tvb, pinfo, &esp_ip_header, &esp_spi, &esp_sequence, &esp_length);
  }
  if (frame && frame->kind == IPSECDIAG_FRAME_ESP)
    esp_spi = frame->esp_spi;           /* an ESP frame with findings has a record */
  if (esp_spi && !esp_ip_header.family) {
    to_engine_addr(&pinfo->net_src, &esp_ip_header.src);
    to_engine_addr(&pinfo->net_dst, &esp_ip_header.dst);
  }
  /* Most ESP frames: no record, no tree, no tap. Their tunnel is then not needed. */
  guint32 esp_tunnel = 0;
  if (!frame && esp_spi && (tree || tapping))
    esp_tunnel = ipsecdiag_engine_esp_tunnel(engine, esp_spi, &esp_ip_header.dst);
  if (!frame && !esp_spi)
    return 0;
  if (tree)
    render(tvb, pinfo, tree, frame, esp_tunnel, esp_spi, &esp_ip_header);
  /* The packet list is redrawn without a tree: the column needs no tree. */
  if (frame && frame->message && frame->kind == IPSECDIAG_FRAME_IKE)
    col_append_str(pinfo->cinfo, COL_INFO, info_suffix(frame->message));
  guint32 tunnel = frame ? frame->tunnel : esp_tunnel;
  if ((tunnel || esp_spi) && tapping) {
    ipsecdiag_tap_record_t *record = wmem_new0(pinfo->pool, ipsecdiag_tap_record_t);
    record->tunnel = tunnel;
    record->esp_spi = esp_spi;
    if (esp_spi)
      record->esp_dst = esp_ip_header.dst;
    else
      to_engine_addr(&pinfo->net_dst, &record->esp_dst);
    tap_queue_packet(ipsecdiag_tap_id(), pinfo, record);
  }
  return 0;
}

static int resolve_protocol(const char *name)
{
  int id = proto_get_id_by_filter_name(name);
  if (id < 0)
    ws_warning("ipsecdiag: protocol %s is not known to this Wireshark", name);
  return id;
}

/* IANA ESP transform IDs (as the keys store resolves them) to the values
 * of Wireshark's ESP dissector (esp_encryption_type_vals, esp_authentication_type_vals); -1 unsupported. */
static int wireshark_esp_encr(guint16 encr_id)
{
  switch (encr_id) {
  case 11: return 0;                          /* NULL */
  case 3: return 1;                           /* 3DES-CBC */
  case 12: return 2;                          /* AES-CBC */
  case 13: return 3;                          /* AES-CTR */
  case 2: return 4;                           /* DES-CBC */
  case 7: return 5;                           /* Blowfish-CBC */
  case IPSECDIAG_ENCR_TWOFISH_CBC: return 6;
  case 6: return 7;                           /* CAST5-CBC */
  case 18: return 9;                          /* AES-GCM-8 */
  case 19: return 10;                         /* AES-GCM-12 */
  case 20: return 11;                         /* AES-GCM-16 */
  default: return -1;
  }
}

static int wireshark_esp_integ(guint16 integ_id, guint16 integ_icv_len)
{
  switch (integ_id) {
  case 0: return 0;
  case 2: return 1;                           /* HMAC-SHA1-96 */
  case IPSECDIAG_INTEG_HMAC_SHA2_256_96: return 2;
  case 12: return 3;                          /* HMAC-SHA2-256-128 */
  case 13: return 4;
  case 14: return 5;
  case 1: return 6;                           /* HMAC-MD5-96 */
  case IPSECDIAG_INTEG_HMAC_RIPEMD160_96: return 7;
  case IPSECDIAG_INTEG_UNCHECKED:
    switch (integ_icv_len) {
    case 8: return 8;
    case 12: return 9;
    case 16: return 10;
    case 24: return 11;
    case 32: return 12;
    default: return -1;
    }
  default: return -1;
  }
}

static char *hex_key(const guint8 *data, gsize len)
{
  GString *s = g_string_new("0x");
  for (gsize i = 0; i < len; i++)
    g_string_append_printf(s, "%02x", data[i]);
  return g_string_free(s, FALSE);
}

static void wipe_free(char *text)
{
  if (!text)
    return;
  memset(text, 0, strlen(text));
  g_free(text);
}

/* Gives one SA to Wireshark's ESP dissector (it decrypts when its preference
 * esp.enable_encryption_decode is on), once per SPI and addresses, at most
 * ESP_HANDOFF_MAX per capture file. */
static esp_handoff_t hand_esp_sa(const char *origin, guint32 spi_value, const char *src, const char *dst,
                                 guint16 encr_id, const guint8 *enc_key, gsize enc_len,
                                 guint16 integ_id, guint16 integ_icv_len, const guint8 *auth_key, gsize auth_len)
{
  int encr = wireshark_esp_encr(encr_id), integ = wireshark_esp_integ(integ_id, integ_icv_len);
  if (encr < 0 || integ < 0) {
    ws_warning("ipsecdiag: %s: ESP SA 0x%08x: algorithm not known to Wireshark's ESP dissector", origin, spi_value);
    return ESP_HANDOFF_UNSUPPORTED;
  }
  if (!esp_handed)
    esp_handed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  char *id = g_strdup_printf("%08x/%s/%s", spi_value, src, dst);
  if (g_hash_table_contains(esp_handed, id)) {
    g_free(id);
    return ESP_HANDOFF_ALREADY;
  }
  if (g_hash_table_size(esp_handed) >= ESP_HANDOFF_MAX) {
    ws_warning("ipsecdiag: %s: ESP SA 0x%08x not given to the ESP dissector: it takes at most %d",
               origin, spi_value, ESP_HANDOFF_MAX);
    g_free(id);
    return ESP_HANDOFF_CAP;
  }
  g_hash_table_add(esp_handed, id);
  char spi[16];
  g_snprintf(spi, sizeof spi, "0x%08x", spi_value);
  char *enc = hex_key(enc_key, enc_len), *auth = hex_key(auth_key, auth_len);
  gboolean v6 = strchr(src, ':') || strchr(dst, ':');
  esp_sa_record_add_from_dissector(v6 ? 2 : 1, src, dst, spi, (guint8)encr, enc, (guint8)integ, auth);
  wipe_free(enc);
  wipe_free(auth);
  return ESP_HANDOFF_DONE;
}

/* ESP SAs of the keys file. */
static void hand_esp_sas_to_wireshark(void)
{
  if (!keys_store)
    return;
  for (guint i = 0; i < ipsecdiag_keys_esp_count(keys_store); i++) {
    const ipsecdiag_esp_keys_t *e = ipsecdiag_keys_esp(keys_store, i);
    if (!e)
      continue;
    hand_esp_sa(e->source ? e->source : "keys file", e->spi, e->src ? e->src : "*", e->dst ? e->dst : "*",
                e->encr_id, e->enc_key.data, e->enc_key.len, e->integ_id, e->integ_icv_len,
                e->auth_key.data, e->auth_key.len);
  }
}

/* ESP SAs the engine derived since the last call (first pass, in capture
 * order: before the ESP packets that use them are dissected). */
static void hand_derived_esp_sas(void)
{
  guint count = ipsecdiag_engine_esp_derived_count(engine);
  if (!derived_handoff)
    derived_handoff = g_byte_array_new();
  while (derived_handoff->len < count) {
    const ipsecdiag_esp_derived_t *d = ipsecdiag_engine_esp_derived(engine, derived_handoff->len);
    char src[64], dst[64], origin[48];
    ipsecdiag_addr_to_str(&d->src, src, sizeof src);
    ipsecdiag_addr_to_str(&d->dst, dst, sizeof dst);
    g_snprintf(origin, sizeof origin, "frame %u (derived)", d->frame);
    guint8 status = (guint8)hand_esp_sa(origin, d->spi, src, dst, d->encr_id, d->enc_key, d->enc_key_len,
                                        d->integ_id, 0, d->auth_key, d->auth_key_len);
    g_byte_array_append(derived_handoff, &status, 1);
  }
}

static const char *handoff_text(guint index)
{
  if (!derived_handoff || index >= derived_handoff->len)
    return "not given to Wireshark's ESP dissector";
  switch (derived_handoff->data[index]) {
  case ESP_HANDOFF_DONE: return "given to Wireshark's ESP dissector";
  case ESP_HANDOFF_ALREADY: return "the same SA was given to Wireshark's ESP dissector before (keys file)";
  case ESP_HANDOFF_CAP: return "NOT given to Wireshark's ESP dissector: it takes at most 16 SAs";
  default: return "NOT given to Wireshark's ESP dissector: it does not know the algorithm";
  }
}

/* On the message that completed a Child SA: the ESP SAs derived from it, or
 * why none were. On an ESP frame: where its keys came from. Keys masked. */
static void add_esp_keys(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo, const ipsecdiag_frame_t *frame,
                         guint32 esp_spi, const ipsecdiag_addr_t *esp_dst)
{
  char text[512];
  if (frame && frame->kind == IPSECDIAG_FRAME_IKE) {
    const char *problem = ipsecdiag_engine_esp_keymat_problem(engine, frame->frame);
    if (problem)
      proto_item_set_generated(proto_tree_add_string(tree, hf_esp_keys_problem, tvb, 0, 0, problem));
    guint count = ipsecdiag_engine_esp_derived_count(engine);
    for (guint i = 0; i < count; i++) {
      const ipsecdiag_esp_derived_t *d = ipsecdiag_engine_esp_derived(engine, i);
      if (d->frame != frame->frame)
        continue;
      ipsecdiag_esp_derived_describe(d, text, sizeof text);
      proto_item *item = proto_tree_add_string_format_value(tree, hf_esp_keys, tvb, 0, 0, text, "%s; %s", text,
                                                            handoff_text(i));
      proto_item_set_generated(item);
      if (derived_handoff && i < derived_handoff->len && derived_handoff->data[i] == ESP_HANDOFF_CAP)
        expert_add_info_format(pinfo, item, &ei_esp_handoff_cap,
                               "ESP SA 0x%08x not given to Wireshark's ESP dissector: it takes at most %d SAs",
                               d->spi, ESP_HANDOFF_MAX);
    }
    return;
  }
  if (!esp_spi || !esp_dst)
    return;
  gint index = ipsecdiag_engine_esp_derived_find(engine, esp_spi, esp_dst);
  const ipsecdiag_esp_derived_t *d = index >= 0 ? ipsecdiag_engine_esp_derived(engine, (guint)index) : NULL;
  if (!d)
    return;
  ipsecdiag_esp_derived_describe(d, text, sizeof text);
  proto_item_set_generated(proto_tree_add_string_format_value(tree, hf_esp_keys, tvb, 0, 0, text,
      "%s, in frame %u; %s", text, d->frame, handoff_text((guint)index)));
}

/* (Re)loads the keys file named by the preference; problems are logged
 * with file and line and shown on the first frame of each tunnel. The engine
 * is given the new store before the old one is freed. */
static void load_keys_file(void)
{
  const char *path = pref_keys_file && *pref_keys_file ? pref_keys_file : NULL;
  /* Read again each time (file opened, preferences applied): the file may
   * have been edited under the same name. */
  if (!path && !keys_store)
    return;
  ipsecdiag_keys_t *old = keys_store;
  keys_store = NULL;
  if (keys_errors)
    g_ptr_array_free(keys_errors, TRUE);
  keys_errors = NULL;
  g_free(keys_loaded_path);
  keys_loaded_path = NULL;
  keys_loaded_entries = 0;
  if (path) {
    keys_store = ipsecdiag_keys_new();
    keys_errors = g_ptr_array_new_with_free_func(g_free);
    keys_loaded_entries = ipsecdiag_keys_load_file(keys_store, path, keys_errors);
    keys_loaded_path = g_strdup(path);
    for (guint i = 0; i < keys_errors->len; i++)
      ws_warning("ipsecdiag: keys file %s", (const char *)g_ptr_array_index(keys_errors, i));
    hand_esp_sas_to_wireshark();
  }
  if (engine)
    ipsecdiag_engine_set_keys(engine, keys_store);
  ipsecdiag_keys_free(old);
}

static void apply_prefs(void)
{
  load_keys_file();
  if (engine)
    ipsecdiag_engine_set_weak_psk_check(engine, pref_weak_psk_check);
}

static void ipsecdiag_init(void)
{
  engine = ipsecdiag_engine_new();
  load_keys_file();
  ipsecdiag_engine_set_keys(engine, keys_store);
  ipsecdiag_engine_set_weak_psk_check(engine, pref_weak_psk_check);
  isakmp_handle = find_dissector("isakmp");
  proto_isakmp_id = resolve_protocol("isakmp");
  proto_esp_id = resolve_protocol("esp");
  proto_icmp_id = resolve_protocol("icmp");
  proto_icmpv6_id = resolve_protocol("icmpv6");
  proto_data_id = resolve_protocol("data");
  proto_udpencap_id = resolve_protocol("udpencap");
  set_layer_filter();
}

static void ipsecdiag_cleanup(void)
{
  ipsecdiag_engine_free(engine);
  engine = NULL;
  /* The ESP dissector frees the SAs it was given when the file closes. */
  if (esp_handed)
    g_hash_table_destroy(esp_handed);
  esp_handed = NULL;
  if (derived_handoff)
    g_byte_array_free(derived_handoff, TRUE);
  derived_handoff = NULL;
  if (info_suffixes)
    g_hash_table_destroy(info_suffixes);
  info_suffixes = NULL;
}

void proto_register_ipsecdiag(void)
{
  static hf_register_info hf[] = {
    {&hf_tunnel, {"Tunnel", "ipsecdiag.tunnel", FT_UINT32, BASE_DEC, NULL, 0x0,
                  "IKE SA number in this capture", HFILL}},
    {&hf_version, {"IKE version", "ipsecdiag.version", FT_UINT8, BASE_DEC, NULL, 0x0, NULL, HFILL}},
    {&hf_initiator, {"Initiator", "ipsecdiag.initiator", FT_STRING, BASE_NONE, NULL, 0x0,
                     "Initiator address and port as first seen", HFILL}},
    {&hf_responder, {"Responder", "ipsecdiag.responder", FT_STRING, BASE_NONE, NULL, 0x0,
                     "Responder address and port as first seen", HFILL}},
    {&hf_role, {"Sender role", "ipsecdiag.role", FT_STRING, BASE_NONE, NULL, 0x0,
                "Whether the IKE initiator or responder sent this frame", HFILL}},
    {&hf_message, {"Message", "ipsecdiag.msg", FT_STRING, BASE_NONE, NULL, 0x0,
                   "Message name (MI1..MR3, AI1, QI1, IKE_AUTH request, ...)", HFILL}},
    {&hf_message_id, {"Message ID", "ipsecdiag.msgid", FT_UINT32, BASE_HEX, NULL, 0x0, NULL, HFILL}},
    {&hf_response_in, {"Answered in", "ipsecdiag.response_in", FT_FRAMENUM, BASE_NONE,
                       FRAMENUM_TYPE(FT_FRAMENUM_RESPONSE), 0x0, NULL, HFILL}},
    {&hf_response_to, {"Answers", "ipsecdiag.response_to", FT_FRAMENUM, BASE_NONE,
                       FRAMENUM_TYPE(FT_FRAMENUM_REQUEST), 0x0, NULL, HFILL}},
    {&hf_retransmission_of, {"Retransmission of", "ipsecdiag.retransmission_of", FT_FRAMENUM, BASE_NONE,
                             FRAMENUM_TYPE(FT_FRAMENUM_DUP_ACK), 0x0, NULL, HFILL}},
    {&hf_retransmission_number, {"Retransmission number", "ipsecdiag.retransmission.number", FT_UINT16,
                                 BASE_DEC, NULL, 0x0, NULL, HFILL}},
    {&hf_retransmission_delay, {"Since previous transmission", "ipsecdiag.retransmission.delay",
                                FT_RELATIVE_TIME, BASE_NONE, NULL, 0x0, NULL, HFILL}},
    {&hf_state, {"State reached", "ipsecdiag.state", FT_STRING, BASE_NONE, NULL, 0x0,
                 "Furthest point of the negotiation reached so far", HFILL}},
    {&hf_capture_side, {"Capture side", "ipsecdiag.capture_side", FT_STRING, BASE_NONE, NULL, 0x0,
                        "Where the capture appears to be taken (TTLs, NAT-D)", HFILL}},
    {&hf_nat, {"NAT", "ipsecdiag.nat", FT_STRING, BASE_NONE, NULL, 0x0, NULL, HFILL}},
    {&hf_offered, {"Offered (initiator)", "ipsecdiag.offered", FT_STRING, BASE_NONE, NULL, 0x0,
                   "The initiator's IKE proposals, readable", HFILL}},
    {&hf_chosen, {"Chosen (responder)", "ipsecdiag.chosen", FT_STRING, BASE_NONE, NULL, 0x0,
                  "The IKE suite the responder chose", HFILL}},
    {&hf_impl_initiator, {"Initiator implementation", "ipsecdiag.implementation.initiator", FT_STRING, BASE_NONE,
                          NULL, 0x0, "From vendor IDs", HFILL}},
    {&hf_impl_responder, {"Responder implementation", "ipsecdiag.implementation.responder", FT_STRING, BASE_NONE,
                          NULL, 0x0, "From vendor IDs", HFILL}},
    {&hf_vendor_ids, {"Vendor IDs", "ipsecdiag.vendor_ids", FT_STRING, BASE_NONE, NULL, 0x0,
                      "Named vendor IDs of one peer", HFILL}},
    {&hf_id_i, {"Initiator ID", "ipsecdiag.id_i", FT_STRING, BASE_NONE, NULL, 0x0,
                "Seen in the clear (Aggressive Mode) or decrypted with the keys file", HFILL}},
    {&hf_id_r, {"Responder ID", "ipsecdiag.id_r", FT_STRING, BASE_NONE, NULL, 0x0,
                "Seen in the clear (Aggressive Mode) or decrypted with the keys file", HFILL}},
    {&hf_esp_spi, {"ESP SPI", "ipsecdiag.esp.spi", FT_UINT32, BASE_HEX, NULL, 0x0, NULL, HFILL}},
    {&hf_esp_direction, {"ESP direction", "ipsecdiag.esp.direction", FT_STRING, BASE_NONE, NULL, 0x0,
                         NULL, HFILL}},
    {&hf_parse_status, {"Parse error", "ipsecdiag.parse_error", FT_STRING, BASE_NONE, NULL, 0x0, NULL, HFILL}},
    {&hf_finding, {"Finding", "ipsecdiag.finding", FT_STRING, BASE_NONE, NULL, 0x0,
                   "Rule id of a diagnosis", HFILL}},
    {&hf_finding_summary, {"Summary", "ipsecdiag.finding.summary", FT_STRING, BASE_NONE, NULL, 0x0, NULL, HFILL}},
    {&hf_finding_severity, {"Severity", "ipsecdiag.finding.severity", FT_STRING, BASE_NONE, NULL, 0x0, NULL, HFILL}},
    {&hf_finding_cause, {"Likely cause", "ipsecdiag.finding.cause", FT_STRING, BASE_NONE, NULL, 0x0, NULL, HFILL}},
    {&hf_finding_remedy, {"What to change", "ipsecdiag.finding.remedy", FT_STRING, BASE_NONE, NULL, 0x0, NULL, HFILL}},
    {&hf_finding_references, {"References", "ipsecdiag.finding.references", FT_STRING, BASE_NONE, NULL, 0x0,
                              NULL, HFILL}},
    {&hf_finding_final, {"Needed the whole capture", "ipsecdiag.finding.final", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
                         "Shown on this earlier frame once the end of the capture made it certain", HFILL}},
    {&hf_keys_file, {"Keys file", "ipsecdiag.keys_file", FT_STRING, BASE_NONE, NULL, 0x0,
                     "The keys file of the preference ipsecdiag.keys_file", HFILL}},
    {&hf_keys_problem, {"Line not loaded", "ipsecdiag.keys_file.problem", FT_STRING, BASE_NONE, NULL, 0x0,
                        "file:line: what is wrong with it", HFILL}},
    {&hf_psk_verdict, {"PSK check", "ipsecdiag.psk", FT_STRING, BASE_NONE, NULL, 0x0,
                       "Which keys-file PSK each side used (from HASH_I/HASH_R, AUTH or decryption)", HFILL}},
    {&hf_child_sas, {"Child SAs (decrypted)", "ipsecdiag.child_sas", FT_STRING, BASE_NONE, NULL, 0x0,
                     "Child SAs read from decrypted messages: proposal, PFS, SPI, traffic selectors", HFILL}},
    {&hf_decryption, {"Decryption", "ipsecdiag.decryption", FT_STRING, BASE_NONE, NULL, 0x0,
                      "Result of decrypting this message with the keys file", HFILL}},
    {&hf_decrypted_counts, {"Messages decrypted", "ipsecdiag.decrypted", FT_STRING, BASE_NONE, NULL, 0x0,
                            NULL, HFILL}},
    {&hf_esp_keys, {"ESP keys (derived)", "ipsecdiag.esp_keys", FT_STRING, BASE_NONE, NULL, 0x0,
                    "An ESP SA whose keys were derived from the IKE exchange (KEYMAT), keys masked, "
                    "and whether it was given to Wireshark's ESP dissector", HFILL}},
    {&hf_esp_keys_problem, {"ESP keys not derived", "ipsecdiag.esp_keys.problem", FT_STRING, BASE_NONE, NULL,
                            0x0, "Why the keys of this Child SA could not be derived", HFILL}},
  };
  static gint *ett[] = {&ett_ipsecdiag, &ett_finding, &ett_long_text, &ett_decrypted, &ett_keys};
  static ei_register_info ei[] = {
    {&ei_keys_problem, {"ipsecdiag.keys_file.error", PI_MALFORMED, PI_WARN,
                        "A line of the keys file was not loaded", EXPFILL}},
    {&ei_esp_handoff_cap, {"ipsecdiag.esp_keys.cap", PI_DECRYPTION, PI_WARN,
                           "Wireshark's ESP dissector takes at most 16 SAs from other dissectors", EXPFILL}},
  };

  proto_ipsecdiag = proto_register_protocol("IPsec diagnosis", "ipsecdiag", "ipsecdiag");
  proto_register_field_array(proto_ipsecdiag, hf, array_length(hf));
  proto_register_subtree_array(ett, array_length(ett));
  ipsecdiag_expert_register(proto_ipsecdiag);

  expert_module_t *expert = expert_register_protocol(proto_ipsecdiag);
  expert_register_field_array(expert, ei, array_length(ei));

  module_t *module = prefs_register_protocol(proto_ipsecdiag, apply_prefs);
  prefs_register_bool_preference(module, "enable", "Diagnose IPsec (IKE, ESP) traffic",
                                 "Run the ipsecdiag post-dissector on every frame", &pref_enabled);
  prefs_register_filename_preference(module, "keys_file", "Keys file (PSKs, DH secrets, IKE keys)",
      "File with pre-shared keys, DH shared secrets and IKE keys used to decrypt IKE and verify PSKs "
      "(ipsecdiag keys format, or Wireshark's ikev1/ikev2_decryption_table files). See docs/keys.md.",
      &pref_keys_file, FALSE);
  prefs_register_bool_preference(module, "weak_psk_check", "Check Aggressive Mode hashes for weak PSKs",
      "Try a short built-in list of common weak pre-shared keys against IKEv1 Aggressive Mode "
      "HASH_R / HASH_I (no keys file needed); a hit is reported as weak_psk_found",
      &pref_weak_psk_check);

  ipsecdiag_protocol = find_protocol_by_id(proto_ipsecdiag);
  /* A handle with a protocol makes libwireshark add the protocol to every
   * frame's layers before the call, and remove it again after it since
   * this post-dissector returns 0: a list append, a map insert and two map
   * lookups on every frame, more than the plugin itself spends on most. */
  ipsecdiag_handle = create_dissector_handle_with_name_and_description(dissect_ipsecdiag, -1, NULL, "ipsecdiag");
  register_postdissector(ipsecdiag_handle);
  register_init_routine(ipsecdiag_init);
  register_cleanup_routine(ipsecdiag_cleanup);
  ipsecdiag_tap_register();
}

void proto_reg_handoff_ipsecdiag(void)
{
}
