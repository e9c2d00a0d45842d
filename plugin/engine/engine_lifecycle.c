/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag engine: the life of an IKE SA after it is up, read without keys.
 *
 * - IP fragments: IKE (and ESP) datagrams split at the IP layer are tracked
 *   per (source, destination, IP ID, protocol); the first fragment's UDP and
 *   IKE headers say which IKE message it was. A message whose fragments never
 *   all arrive, on every retransmission, is an MTU / fragment filtering
 *   problem; RFC 7383 fragmentation (SKF payloads) is noted when used.
 * - Liveness: an IKEv2 INFORMATIONAL request retransmitted without an answer
 *   (an empty one is a liveness check), IKEv1 encrypted Informationals from
 *   one side with nothing from the peer (DPD R-U-THERE without ACK), and
 *   what followed (teardown, re-initiation).
 * - Lifecycle: Child SA rekeys (CREATE_CHILD_SA / new Quick Modes followed by
 *   a delete from the same side), IKE SA rekeys (IKEv2: a successor IKE SA
 *   that starts mid-life; IKEv1: a new Main Mode while the old SA lives on),
 *   deletes (the INFORMATIONAL that ends an SA), rekey collisions, one side
 *   always rekeying at a regular interval (lifetimes differ), and flapping
 *   (IKE SAs between the same peers deleted and re-created again and again).
 *
 * Informational content is inferred from order, timing and size. When keys
 * are available, the decrypted payloads (Delete, R-U-THERE, empty) can be
 * handed in with ipsecdiag_engine_set_informational(), which replaces the
 * inference for that message.
 */
#include <string.h>

#include "engine_private.h"
#include "ipsecdiag/ike_names.h"

/* Seconds after a rekey in which the same side's INFORMATIONAL is the delete of the old SA. */
#define REKEY_DELETE_WINDOW 10.0
/* Two CREATE_CHILD_SA / Quick Modes from both sides this close: a collision. */
#define COLLISION_WINDOW 3.0
/* Re-established more often than this (seconds, mean interval): flapping. */
#define FLAPPING_INTERVAL 600.0
#define FLAPPING_MIN_ESTABLISHMENTS 3
/* Rekeys by one side at intervals this regular (fraction of the mean) hint at its shorter lifetime. */
#define REGULAR_INTERVAL_TOLERANCE 0.1
#define LIFETIME_EVIDENCE_MIN_REKEYS 3
/* An IKEv1 Informational answered by the peer within this time is a DPD exchange. */
#define V1_DPD_ANSWER_WINDOW 2.0
/* Tracked IP datagrams with fragments still missing. */
#define MAX_FRAG_DATAGRAMS 4096
#define MAX_FRAGS_PER_DATAGRAM 64
#define MAX_CHAIN 64                   /* IKE SAs followed through rekeys */
#define MAX_EVENTS 64                  /* rekeys listed per chain */
/* An SK payload with no more than a notify or a Delete: IV + a few bytes + padding + ICV. */
#define EMPTY_INFORMATIONAL_MAX 96

typedef struct {
  ipsecdiag_addr_t src, dst;
  guint32 ip_id;                       /* IPv4: 16 bits; IPv6 Fragment header: 32 */
  guint8 protocol;
} frag_key_t;

typedef struct {
  frag_key_t key;
  guint32 first_frame, head_frame, last_frame;
  double first_time;
  guint32 total_len;                   /* payload bytes, known once the last fragment arrived */
  guint32 received;                    /* payload bytes of distinct fragments */
  guint16 n_fragments;
  guint16 offsets[MAX_FRAGS_PER_DATAGRAM]; /* in 8-byte units, to ignore duplicates */
  /* From the first fragment. */
  guint16 src_port, dst_port;
  gboolean is_ike, is_esp;
  guint8 spi_i[IKE_SPI_LEN];
  guint8 exchange, ike_flags, ike_version;
  guint32 message_id, ike_length;
  guint32 esp_spi;
  guint32 tunnel;
} frag_datagram_t;

/* Per tunnel: its ESP datagrams that arrived in IP fragments and reassembled. */
typedef struct {
  guint32 count;
  guint32 first_frame;                 /* the frame that completed the first of them */
  guint32 first_spi;
  ipsecdiag_addr_t first_dst;
} esp_fragmented_t;

struct engine_lifecycle {
  GHashTable *datagrams;               /* frag_key_t* -> frag_datagram_t* (incomplete) */
  GPtrArray *incomplete;               /* frag_datagram_t* still incomplete, owned by datagrams */
  gboolean cap_noted;
  guint32 completed_frame;             /* frame whose fragment completed a datagram */
  guint16 completed_fragments;         /* how many fragments it had */
  GHashTable *informational;           /* first frame -> ipsecdiag_informational_t, from decryption */
  GHashTable *esp_fragmented;          /* tunnel id -> esp_fragmented_t (reassembled ESP datagrams) */
  /* An ESP datagram completed on an SPI not seen before: its reassembled
   * packet, fed next for the same frame, makes the SA; linked then. */
  gboolean pending_esp;
  guint32 pending_esp_frame, pending_esp_spi;
  ipsecdiag_addr_t pending_esp_dst;
  double first_time;                   /* earliest IKE or fragment time fed */
  gboolean have_first_time;
};

/* ---------- setup ---------- */

static guint frag_key_hash(gconstpointer key)
{
  const frag_key_t *k = key;
  guint h = k->ip_id * 2654435761u ^ k->protocol;
  for (guint i = 0; i < 16; i++)
    h = (h ^ k->src.bytes[i] ^ (guint)(k->dst.bytes[i] << 8)) * 16777619u;
  return h;
}

static gboolean frag_key_equal(gconstpointer a, gconstpointer b)
{
  const frag_key_t *x = a, *y = b;
  return x->ip_id == y->ip_id && x->protocol == y->protocol && ipsecdiag_addr_equal(&x->src, &y->src)
      && ipsecdiag_addr_equal(&x->dst, &y->dst);
}

engine_lifecycle_t *engine_lifecycle_new(void)
{
  engine_lifecycle_t *life = g_new0(engine_lifecycle_t, 1);
  life->datagrams = g_hash_table_new_full(frag_key_hash, frag_key_equal, NULL, g_free);
  life->incomplete = g_ptr_array_new();
  life->informational = g_hash_table_new(g_direct_hash, g_direct_equal);
  life->esp_fragmented = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
  return life;
}

void engine_lifecycle_free(engine_lifecycle_t *life)
{
  if (!life)
    return;
  g_ptr_array_free(life->incomplete, TRUE);
  g_hash_table_destroy(life->datagrams);
  g_hash_table_destroy(life->informational);
  g_hash_table_destroy(life->esp_fragmented);
  g_free(life);
}

static void note_time(engine_lifecycle_t *life, double time)
{
  if (!life->have_first_time || time < life->first_time) {
    life->first_time = time;
    life->have_first_time = TRUE;
  }
}

/* ---------- IP fragments ---------- */

static guint16 get16(const guint8 *p) { return (guint16)(p[0] << 8 | p[1]); }
static guint32 get32(const guint8 *p) { return (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 | p[3]; }

/* What the first fragment carries: UDP 500/4500 IKE (behind the non-ESP
 * marker on 4500), ESP in UDP, or native ESP. */
static void read_head(frag_datagram_t *d, const guint8 *payload, gsize len)
{
  if (d->key.protocol == 50 && len >= 4) {
    d->is_esp = TRUE;
    d->esp_spi = get32(payload);
    return;
  }
  if (d->key.protocol != 17 || len < 8)
    return;
  d->src_port = get16(payload);
  d->dst_port = get16(payload + 2);
  gboolean ike_port = d->src_port == 500 || d->dst_port == 500;
  gboolean natt_port = d->src_port == 4500 || d->dst_port == 4500;
  const guint8 *p = payload + 8;
  gsize left = len - 8;
  if (natt_port && left >= 4 && get32(p) != 0) {
    d->is_esp = TRUE;
    d->esp_spi = get32(p);
    return;
  }
  if (natt_port && left >= 4) {
    p += 4;
    left -= 4;
  } else if (!ike_port) {
    return;
  }
  if (left < IKE_HEADER_LEN)
    return;
  guint8 version = p[17] >> 4;
  if (version != 1 && version != 2)
    return;
  d->is_ike = TRUE;
  memcpy(d->spi_i, p, IKE_SPI_LEN);
  d->ike_version = version;
  d->exchange = p[18];
  d->ike_flags = p[19];
  d->message_id = get32(p + 20);
  d->ike_length = get32(p + 24);
}

static guint32 tunnel_of_spi(const ipsecdiag_engine_t *engine, const guint8 spi_i[IKE_SPI_LEN], guint8 version)
{
  const ipsecdiag_tunnel_t *tunnel = engine_tunnel_by_spi(engine, spi_i);
  return tunnel && tunnel->version == version ? tunnel->id : 0;
}

/* "IKE_AUTH request" for a datagram's IKE header. */
static const char *datagram_message_name(const frag_datagram_t *d)
{
  if (d->ike_version == 2) {
    gboolean response = (d->ike_flags & IKEV2_FLAG_RESPONSE) != 0;
    switch (d->exchange) {
    case IKEV2_EXCH_IKE_SA_INIT: return response ? "IKE_SA_INIT response" : "IKE_SA_INIT request";
    case IKEV2_EXCH_IKE_AUTH: return response ? "IKE_AUTH response" : "IKE_AUTH request";
    case IKEV2_EXCH_CREATE_CHILD_SA: return response ? "CREATE_CHILD_SA response" : "CREATE_CHILD_SA request";
    case IKEV2_EXCH_INFORMATIONAL: return response ? "INFORMATIONAL response" : "INFORMATIONAL request";
    default: return response ? "IKEv2 response" : "IKEv2 request";
    }
  }
  return ike_exchange_name(d->exchange);
}

static void count_fragmented_esp(engine_lifecycle_t *life, guint32 tunnel, guint32 frame, guint32 spi,
                                 const ipsecdiag_addr_t *dst)
{
  /* One entry per tunnel (tunnels are capped), not per datagram. */
  esp_fragmented_t *seen = g_hash_table_lookup(life->esp_fragmented, GUINT_TO_POINTER(tunnel));
  if (!seen) {
    seen = g_new0(esp_fragmented_t, 1);
    seen->first_frame = frame;
    seen->first_spi = spi;
    seen->first_dst = *dst;
    g_hash_table_insert(life->esp_fragmented, GUINT_TO_POINTER(tunnel), seen);
  }
  if (seen->count < G_MAXUINT32)
    seen->count++;
}

static void link_pending_esp(const ipsecdiag_engine_t *engine)
{
  engine_lifecycle_t *life = engine->lifecycle;
  if (!life->pending_esp)
    return;
  life->pending_esp = FALSE;
  guint32 tunnel = ipsecdiag_engine_esp_tunnel(engine, life->pending_esp_spi, &life->pending_esp_dst);
  if (tunnel)
    count_fragmented_esp(life, tunnel, life->pending_esp_frame, life->pending_esp_spi, &life->pending_esp_dst);
}

static gboolean datagram_complete(const frag_datagram_t *d)
{
  return d->head_frame && d->total_len && d->received >= d->total_len;
}

/* IPv6 extension headers that may precede the Fragment header (RFC 8200 4.1). */
#define IPV6_HOP_BY_HOP 0
#define IPV6_ROUTING 43
#define IPV6_FRAGMENT 44
#define IPV6_DEST_OPTIONS 60
#define IPV6_MAX_EXTENSION_HEADERS 8

gboolean ipsecdiag_ipv6_fragment(const guint8 *packet, gsize len, ipsecdiag_ipv6_fragment_t *out)
{
  if (!packet || !out || len < 40 || packet[0] >> 4 != 6)
    return FALSE;
  memset(out, 0, sizeof *out);
  /* The payload length bounds the headers too (0 is a jumbogram: use what was captured). */
  gsize payload_len = get16(packet + 4);
  gsize end = payload_len && 40 + payload_len < len ? 40 + payload_len : len;
  guint8 next = packet[6];
  gsize at = 40;
  for (guint i = 0; i < IPV6_MAX_EXTENSION_HEADERS; i++) {
    if (end - at < 8)
      return FALSE;
    if (next == IPV6_FRAGMENT) {
      guint16 offset_flags = get16(packet + at + 2);
      out->protocol = packet[at];
      out->offset = (guint32)(offset_flags >> 3) * 8u;
      out->more_fragments = (offset_flags & 1) != 0;
      out->identification = get32(packet + at + 4);
      out->payload = at + 8;
      out->payload_len = end - out->payload;
      return TRUE;
    }
    if (next != IPV6_HOP_BY_HOP && next != IPV6_ROUTING && next != IPV6_DEST_OPTIONS)
      return FALSE;                      /* the upper layer: not a fragment */
    gsize header_len = ((gsize)packet[at + 1] + 1) * 8;
    if (header_len > end - at)
      return FALSE;
    next = packet[at];
    at += header_len;
  }
  return FALSE;
}

const ipsecdiag_frame_t *ipsecdiag_engine_feed_ip_fragment(ipsecdiag_engine_t *engine,
                                                           const ipsecdiag_packet_t *pkt,
                                                           guint32 ip_id, guint8 protocol,
                                                           guint32 offset, gboolean more_fragments,
                                                           const guint8 *payload, gsize len)
{
  engine_settle(engine);
  engine_lifecycle_t *life = engine->lifecycle;
  if (offset == 0 && !more_fragments)
    return NULL;                         /* not a fragment */
  if (offset > 65535 || len > 65535 || offset % 8 != 0)
    return NULL;
  link_pending_esp(engine);
  note_time(life, pkt->time);
  frag_key_t key = {.src = pkt->src.addr, .dst = pkt->dst.addr, .ip_id = ip_id, .protocol = protocol};
  frag_datagram_t *d = g_hash_table_lookup(life->datagrams, &key);
  if (!d) {
    if (life->incomplete->len >= MAX_FRAG_DATAGRAMS) {
      engine_note_cap(engine, &life->cap_noted, "ip_fragment_cap_reached", pkt->frame, MAX_FRAG_DATAGRAMS);
      return NULL;
    }
    d = g_new0(frag_datagram_t, 1);
    d->key = key;
    d->first_frame = pkt->frame;
    d->first_time = pkt->time;
    g_hash_table_insert(life->datagrams, &d->key, d);
    g_ptr_array_add(life->incomplete, d);
  }
  guint16 unit = (guint16)(offset / 8);
  for (guint i = 0; i < d->n_fragments; i++)
    if (d->offsets[i] == unit)
      return ipsecdiag_engine_frame(engine, pkt->frame);   /* a duplicate */
  if (d->n_fragments < MAX_FRAGS_PER_DATAGRAM)
    d->offsets[d->n_fragments] = unit;
  d->n_fragments++;
  d->received += (guint32)len;
  d->last_frame = pkt->frame;
  if (!more_fragments)
    d->total_len = offset + (guint32)len;

  ipsecdiag_frame_t *frame = engine_frame_lookup(engine, pkt->frame);
  if (offset == 0) {
    d->head_frame = pkt->frame;
    read_head(d, payload, len);
    if (d->is_ike)
      d->tunnel = tunnel_of_spi(engine, d->spi_i, d->ike_version);
    else if (d->is_esp)
      d->tunnel = ipsecdiag_engine_esp_tunnel(engine, d->esp_spi, &pkt->dst.addr);
    /* A record for the head fragment, so findings about the message can be
     * shown on it; not when it completes the datagram (arriving last): the
     * reassembled message is fed for this frame next. */
    if (!frame && d->is_ike && !datagram_complete(d)) {
      frame = engine_frame_new(engine, pkt->frame, IPSECDIAG_FRAME_IKE);
      frame->tunnel = d->tunnel;
      frame->exchange_type = d->exchange;
      frame->message_id = d->message_id;
      frame->message = datagram_message_name(d);
      ipsecdiag_tunnel_t *tunnel = engine_tunnel_get(engine, d->tunnel);
      if (tunnel) {
        int dir = engine_tunnel_direction(tunnel, &pkt->src);
        frame->sender_role = dir == 0 ? IPSECDIAG_ROLE_INITIATOR
                           : dir == 1 ? IPSECDIAG_ROLE_RESPONDER : IPSECDIAG_ROLE_UNKNOWN;
        frame->state = tunnel->state;
      }
    }
  }
  if (datagram_complete(d)) {
    /* The reassembled message is fed next (same frame): it learns its fragment count. */
    life->completed_frame = pkt->frame;
    life->completed_fragments = d->n_fragments;
    if (d->is_esp && d->tunnel) {
      count_fragmented_esp(life, d->tunnel, pkt->frame, d->esp_spi, &d->key.dst);
    } else if (d->is_esp) {
      life->pending_esp = TRUE;
      life->pending_esp_frame = pkt->frame;
      life->pending_esp_spi = d->esp_spi;
      life->pending_esp_dst = d->key.dst;
    }
    g_ptr_array_remove_fast(life->incomplete, d);
    g_hash_table_remove(life->datagrams, &d->key);       /* frees it */
  }
  return frame;
}

/* ---------- per message ---------- */

/* Which peers sent the IKEv1 fragmentation vendor ID (named as in engine_vendor_ids.c). */
static const char *fragmentation_announcers(const ipsecdiag_tunnel_t *tunnel, char *buf, gsize len)
{
  gboolean by[2];
  for (int side = 0; side < 2; side++)
    by[side] = tunnel->vendor_ids[side] && strstr(tunnel->vendor_ids[side], "Cisco Fragmentation") != NULL;
  g_snprintf(buf, len, "%s", by[0] && by[1] ? "both peers" : by[0] ? "the initiator only"
                            : by[1] ? "the responder only" : "neither peer in this capture");
  return buf;
}

void engine_lifecycle_on_message(ipsecdiag_engine_t *engine, ipsecdiag_tunnel_t *tunnel,
                                 ipsecdiag_message_t *message, const ike_message_t *msg,
                                 ipsecdiag_frame_t *frame, const ipsecdiag_packet_t *pkt)
{
  engine_lifecycle_t *life = engine->lifecycle;
  note_time(life, pkt->time);
  if (message && life->completed_frame == pkt->frame && message->first_frame == pkt->frame)
    message->ip_fragments = (guint8)MIN(life->completed_fragments, 255);
  /* RFC 7383: the first SKF payload of an IKE SA is worth a note. */
  if (msg->is_fragment && msg->major_version == 2 && !tunnel->ike_fragmentation_seen) {
    tunnel->ike_fragmentation_seen = TRUE;
    ipsecdiag_finding_t *f = finding_new("ike_fragmentation_used", frame->frame, tunnel->id, FALSE);
    finding_set(f, "message", "%s", frame->message ? frame->message : "IKE message");
    finding_set(f, "fragments", "%u", msg->frag_total);
    engine_attach_finding(engine, frame, f);
  }
  /* IKEv1 (Cisco / strongSwan payload 132): the count is known from the
   * fragment flagged last, so the note goes on that one. */
  if (msg->is_fragment && msg->major_version == 1 && msg->frag_total && !tunnel->ike_fragmentation_seen) {
    tunnel->ike_fragmentation_seen = TRUE;
    ipsecdiag_finding_t *f = finding_new("ikev1_fragmentation_used", frame->frame, tunnel->id, FALSE);
    finding_set(f, "message", "%s", frame->message ? frame->message : "IKE message");
    finding_set(f, "fragments", "%u", msg->frag_total);
    char who[96];
    finding_set(f, "announced", "%s", fragmentation_announcers(tunnel, who, sizeof who));
    engine_attach_finding(engine, frame, f);
  }
}

/* ---------- decrypted content (from a later decryption stage) ---------- */

void ipsecdiag_engine_set_informational(ipsecdiag_engine_t *engine, guint32 frame,
                                        ipsecdiag_informational_t content)
{
  engine_settle(engine);
  g_hash_table_replace(engine->lifecycle->informational, GUINT_TO_POINTER(frame), GUINT_TO_POINTER(content));
  engine->finalized_at = G_MAXUINT64;    /* the conclusions may change */
}

static ipsecdiag_informational_t known_content(const ipsecdiag_engine_t *engine, const ipsecdiag_message_t *m)
{
  return (ipsecdiag_informational_t)GPOINTER_TO_UINT(
      g_hash_table_lookup(engine->lifecycle->informational, GUINT_TO_POINTER(m->first_frame)));
}

/* ---------- message helpers ---------- */

static const ipsecdiag_addr_t *sender_addr(const ipsecdiag_tunnel_t *tunnel, const ipsecdiag_message_t *m)
{
  return m->sender_role == IPSECDIAG_ROLE_RESPONDER ? &tunnel->responder.addr : &tunnel->initiator.addr;
}

static char *who(const ipsecdiag_tunnel_t *tunnel, const ipsecdiag_message_t *m, char *buf, gsize len)
{
  char addr[64];
  g_snprintf(buf, len, "the %s (%s)", ipsecdiag_role_name(m->sender_role),
             ipsecdiag_addr_to_str(sender_addr(tunnel, m), addr, sizeof addr));
  return buf;
}

static gboolean is_informational(const ipsecdiag_message_t *m)
{
  return m->exchange_type == IKEV2_EXCH_INFORMATIONAL || m->exchange_type == IKEV1_EXCH_INFORMATIONAL;
}

static gboolean is_v2_info_request(const ipsecdiag_tunnel_t *t, const ipsecdiag_message_t *m)
{
  return t->version == 2 && m->exchange_type == IKEV2_EXCH_INFORMATIONAL && m->is_request;
}

static const char *mode_label(guint8 mode)
{
  switch (mode) {
  case IKEV1_EXCH_MAIN: return "Main Mode";
  case IKEV1_EXCH_AGGRESSIVE: return "Aggressive Mode";
  case IKEV2_EXCH_IKE_SA_INIT: return "IKE_SA_INIT";
  default: return "first seen mid-life";
  }
}

/* A Child SA creation: IKEv2 CREATE_CHILD_SA request, IKEv1 QI1. */
static gboolean is_child_request(const ipsecdiag_tunnel_t *t, const ipsecdiag_message_t *m)
{
  if (t->version == 2)
    return m->exchange_type == IKEV2_EXCH_CREATE_CHILD_SA && m->is_request;
  return m->exchange_type == IKEV1_EXCH_QUICK && m->is_request;
}

static gboolean mode_is_start(guint8 mode)
{
  return mode == IKEV2_EXCH_IKE_SA_INIT || mode == IKEV1_EXCH_MAIN || mode == IKEV1_EXCH_AGGRESSIVE;
}

/* When the IKE SA came up: IKE_AUTH response, MR3, AI2; a SA first seen
 * mid-life counts from its first message. Returns the message or NULL. */
static const ipsecdiag_message_t *established_message(const ipsecdiag_tunnel_t *t)
{
  if (t->n_messages == 0)
    return NULL;
  if (!mode_is_start(t->mode))
    return &t->messages[0];
  for (guint i = 0; i < t->n_messages; i++) {
    const ipsecdiag_message_t *m = &t->messages[i];
    if ((t->version == 2 && m->exchange_type == IKEV2_EXCH_IKE_AUTH && m->is_response)
        || strcmp(m->name, "MR3") == 0 || strcmp(m->name, "AI2") == 0)
      return m;
  }
  return NULL;
}

/* Nothing of the SA follows m but its own response (IKEv2) or more
 * Informationals of the same sender in the same burst (IKEv1 Deletes). */
static gboolean nothing_after(const ipsecdiag_tunnel_t *t, const ipsecdiag_message_t *m)
{
  for (guint i = (guint)(m - t->messages) + 1; i < t->n_messages; i++) {
    const ipsecdiag_message_t *o = &t->messages[i];
    if (t->version == 2 && o->is_response && o->exchange_type == m->exchange_type && o->message_id == m->message_id)
      continue;
    if (t->version == 1 && is_informational(o) && o->sender_role == m->sender_role
        && o->first_time - m->first_time <= V1_DPD_ANSWER_WINDOW)
      continue;
    return FALSE;
  }
  return TRUE;
}

/* ---------- chains of IKE SAs ---------- */

typedef enum {
  LINK_NONE = 0,
  LINK_REKEYED,        /* IKEv2 successor first seen mid-life: the SA was rekeyed */
  LINK_RENEWED,        /* new SA started while the old one lived on (make-before-break) */
  LINK_FAILED,         /* the old one ended with unanswered requests */
  LINK_DELETED,        /* the old one ended with an INFORMATIONAL (Delete), then the new one started */
  LINK_REPLACED,       /* the old one went quiet, then the new one started */
} link_kind_t;

static gboolean tunnel_established(const ipsecdiag_tunnel_t *t)
{
  return established_message(t) != NULL;
}

static gboolean ended_unanswered(const ipsecdiag_tunnel_t *t)
{
  for (guint i = t->n_messages; i-- > 0;) {
    const ipsecdiag_message_t *m = &t->messages[i];
    if (m->is_request && !m->answer_frame && m->sends >= 2)
      return TRUE;
    if (m->is_request)
      return FALSE;
  }
  return FALSE;
}

/* How tunnel `from` led to its successor `to` (same peers). */
static link_kind_t link_kind(const ipsecdiag_tunnel_t *from, const ipsecdiag_tunnel_t *to)
{
  if (!to || to->supersedes != from->id || !tunnel_established(from) || to->version != from->version)
    return LINK_NONE;
  if (from->version == 2 && !mode_is_start(to->mode))
    return LINK_REKEYED;
  if (!mode_is_start(to->mode))
    return LINK_NONE;
  if (from->last_time > to->first_time)
    return LINK_RENEWED;
  if (ended_unanswered(from))
    return LINK_FAILED;
  const ipsecdiag_message_t *last = from->n_messages ? &from->messages[from->n_messages - 1] : NULL;
  if (last && is_informational(last))
    return LINK_DELETED;
  return LINK_REPLACED;
}

/* IKEv1: the first Quick Mode of a new ISAKMP SA creates its IPsec SA,
 * unless that ISAKMP SA renewed an earlier one (whose IPsec SAs it rekeys);
 * every later Quick Mode replaces one. */
static gboolean v1_quick_mode_rekeys(const ipsecdiag_engine_t *engine, const ipsecdiag_tunnel_t *t,
                                     const ipsecdiag_message_t *m)
{
  if (!mode_is_start(t->mode))
    return TRUE;
  for (const ipsecdiag_message_t *o = t->messages; o < m; o++)
    if (is_child_request(t, o))
      return TRUE;
  const ipsecdiag_tunnel_t *previous = engine_tunnel_get(engine, t->supersedes);
  return previous && link_kind(previous, t) == LINK_RENEWED;
}

/* The Child SA request this informational follows as the delete of a rekeyed SA. */
static const ipsecdiag_message_t *rekey_before(const ipsecdiag_engine_t *engine, const ipsecdiag_tunnel_t *t,
                                               const ipsecdiag_message_t *info)
{
  const ipsecdiag_message_t *best = NULL;
  for (guint i = 0; i < t->n_messages; i++) {
    const ipsecdiag_message_t *m = &t->messages[i];
    if (is_child_request(t, m) && m->sender_role == info->sender_role && m->first_time <= info->first_time
        && info->first_time - m->first_time <= REKEY_DELETE_WINDOW
        && (t->version == 2 || v1_quick_mode_rekeys(engine, t, m)))
      best = m;
  }
  return best;
}

/* ---------- unanswered requests ---------- */

const char *engine_lifecycle_unanswered_rule(const ipsecdiag_tunnel_t *tunnel, const ipsecdiag_message_t *message)
{
  if (message->ip_fragments > 1)
    return "ike_fragmented_unanswered";
  if (is_v2_info_request(tunnel, message) && message->encrypted_len)
    return "liveness_check_unanswered";
  return NULL;
}

/* What followed a dead peer: the SA's end and any new IKE SA between the same peers. */
static char *aftermath(const ipsecdiag_engine_t *engine, const ipsecdiag_tunnel_t *tunnel, double since)
{
  const ipsecdiag_tunnel_t *next = engine_tunnel_get(engine, tunnel->superseded_by);
  if (next && next->first_time >= since) {
    const char *answered = ipsecdiag_state_rank(next->state) >= ipsecdiag_state_rank(IPSECDIAG_ST_P1_DONE)
        ? "it came up" : next->n_packets > 1 && next->state != IPSECDIAG_ST_INIT_REQ && next->state != IPSECDIAG_ST_MI1
        ? "it did not complete" : "it was not answered either";
    return g_strdup_printf("%.1f s after the first check a new IKE SA (tunnel %u, %s) was started between the "
                           "same peers: the old one was torn down and re-initiated; %s",
                           next->first_time - since, next->id, mode_label(next->mode), answered);
  }
  return g_strdup_printf("nothing more of this IKE SA and no new one in the %.1f s until the capture ends: the SA "
                         "was torn down without a Delete reaching the peer", engine->last_time - since);
}

/* When the peer of role was last heard in this IKE SA before time; -1 never. */
static double last_heard(const ipsecdiag_tunnel_t *t, guint8 role, double before)
{
  double last = -1;
  for (guint i = 0; i < t->n_messages; i++) {
    const ipsecdiag_message_t *m = &t->messages[i];
    if (m->sender_role != role && m->sender_role != IPSECDIAG_ROLE_UNKNOWN) {
      for (guint k = 0; k < m->n_times; k++) {
        double sent = ipsecdiag_message_send_time(m, k);
        if (sent < before && sent > last)
          last = sent;
      }
    }
  }
  return last;
}

void engine_lifecycle_message_params(const ipsecdiag_engine_t *engine, const ipsecdiag_tunnel_t *tunnel,
                                     const ipsecdiag_message_t *message, ipsecdiag_finding_t *finding)
{
  if (strcmp(finding->rule_id, "ike_fragmented_unanswered") == 0) {
    finding_set(finding, "fragments", "%u", message->ip_fragments);
    finding_set(finding, "size", "%u", message->length);
    return;
  }
  if (strcmp(finding->rule_id, "liveness_check_unanswered") != 0)
    return;
  ipsecdiag_informational_t content = known_content(engine, message);
  finding_set(finding, "what", "%s",
              content == IPSECDIAG_INFO_EMPTY ? "an empty INFORMATIONAL request (liveness check)"
              : content == IPSECDIAG_INFO_DELETE_IKE || content == IPSECDIAG_INFO_DELETE_CHILD
              ? "an INFORMATIONAL request carrying a Delete"
              : message->encrypted_len <= EMPTY_INFORMATIONAL_MAX
              ? "a small encrypted INFORMATIONAL request (an empty liveness check, or a Delete)"
              : "an encrypted INFORMATIONAL request");
  double heard = last_heard(tunnel, message->sender_role, message->first_time);
  if (heard >= 0)
    finding_set(finding, "last_heard", "%.1f s before the first check", message->first_time - heard);
  else
    finding_set(finding, "last_heard", "never in this capture");
  char *after = aftermath(engine, tunnel, message->first_time);
  finding_set(finding, "then", "%s", after);
  g_free(after);
}

/* ---------- per-tunnel lifecycle summary ---------- */

typedef struct {
  double time;
  guint32 frame;
  char by[80];                          /* "the initiator (192.168.10.2)" */
  ipsecdiag_addr_t by_addr;
  gboolean ike;                         /* IKE SA rekey, else Child SA */
} rekey_event_t;

/* The last Informational of the SA when nothing else of it follows: a
 * Delete, unless decrypted content says otherwise or it is one of a run of
 * same-sized ones (periodic liveness checks) or an unanswered run (DPD). */
static const ipsecdiag_message_t *last_informational(const ipsecdiag_engine_t *engine, const ipsecdiag_tunnel_t *t)
{
  for (guint i = t->n_messages; i-- > 0;) {
    const ipsecdiag_message_t *m = &t->messages[i];
    gboolean request_like = t->version == 2 ? is_v2_info_request(t, m)
                                           : is_informational(m) && m->encrypted_len;
    if (!request_like)
      continue;
    if (!nothing_after(t, m))
      return NULL;
    ipsecdiag_informational_t content = known_content(engine, m);
    if (content == IPSECDIAG_INFO_DELETE_IKE)
      return m;
    if (content != IPSECDIAG_INFO_UNKNOWN)
      return NULL;
    if (i == 0 && !mode_is_start(t->mode))
      return NULL;                      /* all the capture shows of an SA: a liveness check as likely */
    if (t->version == 2) {
      if (m->sends >= 2 && !m->answer_frame)
        return NULL;                    /* unanswered: the liveness finding covers it */
      for (guint k = 0; k < i; k++) {
        const ipsecdiag_message_t *o = &t->messages[k];
        if (is_v2_info_request(t, o) && o->sender_role == m->sender_role && o->length == m->length
            && !rekey_before(engine, t, o))
          return NULL;                  /* same size as earlier checks: another liveness check */
      }
      return m;
    }
    /* IKEv1: the peer's answer to a pending request (a rejection notify, see engine_inferred.c) */
    for (guint k = 0; k < i; k++) {
      const ipsecdiag_message_t *o = &t->messages[k];
      if (o->is_request && o->sender_role != m->sender_role && o->answer_frame == m->first_frame
          && !o->answer_is_response)
        return NULL;
    }
    /* ... answered by the peer right before (a DPD ACK), or a run spread over time (DPD). */
    if (i > 0) {
      const ipsecdiag_message_t *previous = &t->messages[i - 1];
      if (is_informational(previous) && previous->sender_role != m->sender_role
          && m->first_time - previous->first_time <= V1_DPD_ANSWER_WINDOW)
        return NULL;
    }
    /* The burst of Deletes, and what came before it. */
    guint first = i;
    while (first > 0) {
      const ipsecdiag_message_t *o = &t->messages[first - 1];
      if (o->sender_role != m->sender_role || !is_informational(o)
          || t->messages[first].first_time - o->first_time > V1_DPD_ANSWER_WINDOW)
        break;
      first--;
    }
    if (first > 0) {
      const ipsecdiag_message_t *before = &t->messages[first - 1];
      if (before->sender_role == m->sender_role && is_informational(before) && !rekey_before(engine, t, before))
        return NULL;                    /* an unanswered run spread over time: DPD */
    }
    return &t->messages[first];
  }
  return NULL;
}

/* The Delete that ends the SA, not the delete of an SA just rekeyed. */
static const ipsecdiag_message_t *final_delete(const ipsecdiag_engine_t *engine, const ipsecdiag_tunnel_t *t)
{
  const ipsecdiag_message_t *m = last_informational(engine, t);
  if (m && known_content(engine, m) != IPSECDIAG_INFO_DELETE_IKE && rekey_before(engine, t, m))
    return NULL;
  return m;
}

/* Child SA requests of t that rekeyed (followed by a delete from the same side) and the IKE rekey. */
static void collect_rekeys(const ipsecdiag_engine_t *engine, const ipsecdiag_tunnel_t *t, GArray *events,
                           guint *deletes)
{
  const ipsecdiag_tunnel_t *next = engine_tunnel_get(engine, t->superseded_by);
  link_kind_t link = next ? link_kind(t, next) : LINK_NONE;
  const ipsecdiag_message_t *ike_rekey = NULL;
  if (t->version == 2) {
    /* The last CREATE_CHILD_SA before a mid-life successor (or before the SA's final Delete,
     * when it is clearly larger than the Child SA rekeys: it carries KE and an IKE proposal). */
    const ipsecdiag_message_t *last = NULL;
    guint32 child_len = 0;
    for (guint i = 0; i < t->n_messages; i++) {
      const ipsecdiag_message_t *m = &t->messages[i];
      if (!is_child_request(t, m))
        continue;
      if (last && last->length != m->length)
        child_len = last->length;
      last = m;
    }
    const ipsecdiag_message_t *del = last_informational(engine, t);
    if (last && link == LINK_REKEYED && next->first_time >= last->first_time)
      ike_rekey = last;
    else if (last && del && del->sender_role == last->sender_role && del->first_time >= last->first_time
             && del->first_time - last->first_time <= REKEY_DELETE_WINDOW && child_len
             && last->length >= child_len + 128)
      ike_rekey = last;
  }
  for (guint i = 0; i < t->n_messages; i++) {
    const ipsecdiag_message_t *m = &t->messages[i];
    if (is_informational(m) && (m->is_request || (t->version == 1 && m->encrypted_len))
        && rekey_before(engine, t, m))
      (*deletes)++;
    if (!is_child_request(t, m))
      continue;
    gboolean rekey = m == ike_rekey;
    if (!rekey) {
      /* a delete from the same side shortly after: the old Child SA goes */
      gboolean delete_follows = FALSE;
      for (guint k = i + 1; k < t->n_messages && !delete_follows; k++) {
        const ipsecdiag_message_t *o = &t->messages[k];
        if (is_child_request(t, o))
          break;                      /* the delete would belong to that one */
        if (is_informational(o) && o->sender_role == m->sender_role
            && o->first_time - m->first_time <= REKEY_DELETE_WINDOW && (o->is_request || t->version == 1))
          delete_follows = TRUE;
      }
      /* IKEv1 deletes old IPsec SAs when they expire, long after: order tells */
      rekey = t->version == 1 ? v1_quick_mode_rekeys(engine, t, m) : delete_follows;
      if (!rekey)
        continue;
    }
    rekey_event_t e;
    memset(&e, 0, sizeof e);
    e.time = m->first_time;
    e.frame = m->first_frame;
    e.ike = m == ike_rekey;
    e.by_addr = *sender_addr(t, m);
    who(t, m, e.by, sizeof e.by);
    if (events->len < MAX_EVENTS)
      g_array_append_val(events, e);
  }
  if (t->version == 1 && link == LINK_RENEWED && events->len < MAX_EVENTS) {
    rekey_event_t e;
    memset(&e, 0, sizeof e);
    e.time = next->first_time;
    e.frame = next->first_frame;
    e.ike = TRUE;
    e.by_addr = next->initiator.addr;
    char addr[64];
    g_snprintf(e.by, sizeof e.by, "the initiator (%s)", ipsecdiag_addr_to_str(&next->initiator.addr, addr, sizeof addr));
    g_array_append_val(events, e);
  }
}

static const ipsecdiag_message_t *v1_dpd_run(const ipsecdiag_engine_t *engine, const ipsecdiag_tunnel_t *t,
                                             guint *count);

void ipsecdiag_engine_lifecycle(const ipsecdiag_engine_t *engine, guint32 id, ipsecdiag_lifecycle_t *out)
{
  memset(out, 0, sizeof *out);
  out->lifetime = -1;
  const ipsecdiag_tunnel_t *t = engine_tunnel_get(engine, id);
  if (!t)
    return;
  const ipsecdiag_message_t *up = established_message(t);
  if (up) {
    out->established = TRUE;
    out->established_mid_life = !mode_is_start(t->mode);
    out->established_time = up->first_time;
    out->established_frame = up->first_frame;
  }
  out->capture_start = engine->lifecycle->have_first_time ? engine->lifecycle->first_time : t->first_time;
  GArray *events = g_array_new(FALSE, FALSE, sizeof(rekey_event_t));
  collect_rekeys(engine, t, events, &out->deletes);
  for (guint i = 0; i < events->len; i++) {
    if (g_array_index(events, rekey_event_t, i).ike)
      out->ike_rekeys++;
    else
      out->child_rekeys++;
  }
  g_array_free(events, TRUE);
  const ipsecdiag_message_t *del = final_delete(engine, t);
  for (guint i = 0; i < t->n_messages; i++) {
    const ipsecdiag_message_t *m = &t->messages[i];
    if (is_v2_info_request(t, m) && m->answer_frame && !rekey_before(engine, t, m) && m != del)
      out->liveness_checks++;
  }
  const ipsecdiag_tunnel_t *next = engine_tunnel_get(engine, t->superseded_by);
  link_kind_t link = next ? link_kind(t, next) : LINK_NONE;
  if (del) {
    out->deletes++;
    out->deleted_by = del->sender_role;
  }
  double end = -1;
  guint dpd_count;
  if (link == LINK_REKEYED || link == LINK_RENEWED)
    out->end = link == LINK_REKEYED ? "rekeyed" : "renewed";
  else if (out->ike_rekeys && t->version == 2)
    out->end = "rekeyed";
  else if (del)
    out->end = "deleted";
  else if (up && (ended_unanswered(t) || v1_dpd_run(engine, t, &dpd_count)))
    out->end = "peer silent";
  else if (up && next && link != LINK_NONE)
    out->end = "replaced";
  if (out->end && up) {
    end = del ? del->first_time : link == LINK_REKEYED || link == LINK_RENEWED ? next->first_time : t->last_time;
    if (link == LINK_REKEYED) {
      /* the rekeying CREATE_CHILD_SA, not the successor's first use */
      for (guint i = t->n_messages; i-- > 0;)
        if (is_child_request(t, &t->messages[i])) {
          end = t->messages[i].first_time;
          break;
        }
    }
    if (!out->established_mid_life)
      out->lifetime = end - up->first_time;
  }
}

/* ---------- final findings ---------- */

static void set_common(ipsecdiag_finding_t *f, const ipsecdiag_tunnel_t *t)
{
  char a[64], b[64];
  finding_set(f, "initiator", "%s", ipsecdiag_addr_to_str(&t->initiator.addr, a, sizeof a));
  finding_set(f, "responder", "%s", ipsecdiag_addr_to_str(&t->responder.addr, b, sizeof b));
  finding_set(f, "side", "%s", ipsecdiag_capture_side_name(t->capture_side));
  finding_set(f, "tunnel", "%u", t->id);
}

static gboolean chain_head(const ipsecdiag_engine_t *engine, const ipsecdiag_tunnel_t *t)
{
  const ipsecdiag_tunnel_t *previous = engine_tunnel_get(engine, t->supersedes);
  link_kind_t link = previous ? link_kind(previous, t) : LINK_NONE;
  return link != LINK_REKEYED && link != LINK_RENEWED;
}

static char *join_intervals(const double *values, guint n)
{
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < n && i < 12; i++)
    g_string_append_printf(s, "%s%.1f", i ? ", " : "", values[i]);
  if (n > 12)
    g_string_append(s, ", ...");
  g_string_append(s, " s");
  return g_string_free(s, FALSE);
}

/* Rekeys along an IKEv2 rekey chain (or one IKEv1 SA): a note, collisions, one-sided regular rekeys. */
static void evaluate_rekeys(const ipsecdiag_engine_t *engine, const ipsecdiag_tunnel_t *t, GPtrArray *out)
{
  if (!chain_head(engine, t) || !tunnel_established(t))
    return;
  GArray *events = g_array_new(FALSE, FALSE, sizeof(rekey_event_t));
  guint deletes = 0, chain_len = 0;
  const ipsecdiag_tunnel_t *c = t;
  double start = established_message(t)->first_time;
  while (c && chain_len++ < MAX_CHAIN) {
    collect_rekeys(engine, c, events, &deletes);
    /* IKEv2 rekeys and IKEv1 renewals carry the Child SAs on */
    const ipsecdiag_tunnel_t *next = engine_tunnel_get(engine, c->superseded_by);
    link_kind_t link = next ? link_kind(c, next) : LINK_NONE;
    if (link != LINK_REKEYED && link != LINK_RENEWED)
      break;
    c = next;
  }
  guint n_child = 0, n_ike = 0;
  double child_times[MAX_EVENTS + 1], intervals[MAX_EVENTS];
  const rekey_event_t *first_child = NULL, *first_ike = NULL;
  gboolean one_side = TRUE;
  child_times[0] = start;
  for (guint i = 0; i < events->len; i++) {
    const rekey_event_t *e = &g_array_index(events, rekey_event_t, i);
    if (e->ike) {
      if (!first_ike)
        first_ike = e;
      n_ike++;
      continue;
    }
    if (first_child && !ipsecdiag_addr_equal(&first_child->by_addr, &e->by_addr))
      one_side = FALSE;
    if (!first_child)
      first_child = e;
    child_times[++n_child] = e->time;
  }
  for (guint i = 0; i < n_child; i++)
    intervals[i] = child_times[i + 1] - child_times[i];
  if (n_child) {
    ipsecdiag_finding_t *f = finding_new("child_sa_rekeyed", first_child->frame, t->id, TRUE);
    set_common(f, t);
    char *list = join_intervals(intervals, n_child);
    finding_set(f, "count", "%u", n_child);
    finding_set(f, "intervals", "%s", list);
    finding_set(f, "by", "%s", one_side ? first_child->by : "both peers");
    g_free(list);
    g_ptr_array_add(out, f);
  }
  if (n_ike) {
    ipsecdiag_finding_t *f = finding_new("ike_sa_rekeyed", first_ike->frame, t->id, TRUE);
    set_common(f, t);
    finding_set(f, "count", "%u", n_ike);
    finding_set(f, "after", "%.1f", first_ike->time - start);
    finding_set(f, "by", "%s", first_ike->by);
    finding_set(f, "how", "%s", t->version == 2
                ? "a CREATE_CHILD_SA exchange that creates a new IKE SA (new SPIs, the old SA deleted after it)"
                : "a new Main Mode between the same peers while the old ISAKMP SA still existed (it was deleted after)");
    g_ptr_array_add(out, f);
  }
  /* One side always rekeys, at a regular interval: its lifetime is the shorter one. */
  if (n_child >= LIFETIME_EVIDENCE_MIN_REKEYS && one_side) {
    double min = intervals[0], max = intervals[0], sum = 0;
    for (guint i = 0; i < n_child; i++) {
      min = MIN(min, intervals[i]);
      max = MAX(max, intervals[i]);
      sum += intervals[i];
    }
    double mean = sum / n_child;
    if (max - min <= MAX(1.0, REGULAR_INTERVAL_TOLERANCE * mean)) {
      ipsecdiag_finding_t *f = finding_new("rekey_one_side_regular", first_child->frame, t->id, TRUE);
      set_common(f, t);
      finding_set(f, "by", "%s", first_child->by);
      finding_set(f, "interval", "%.1f", mean);
      finding_set(f, "count", "%u", n_child);
      g_ptr_array_add(out, f);
    }
  }
  g_array_free(events, TRUE);
}

/* Both peers started a Child SA exchange at the same moment. */
static void evaluate_collisions(const ipsecdiag_tunnel_t *t, GPtrArray *out)
{
  for (guint i = 0; i < t->n_messages; i++) {
    const ipsecdiag_message_t *a = &t->messages[i];
    if (!is_child_request(t, a))
      continue;
    for (guint k = i + 1; k < t->n_messages; k++) {
      const ipsecdiag_message_t *b = &t->messages[k];
      if (!is_child_request(t, b) || b->sender_role == a->sender_role || b->first_time - a->first_time > COLLISION_WINDOW)
        continue;
      if (a->answer_frame && a->answer_frame < b->first_frame && a->answer_is_response)
        continue;                       /* a was already done: just two rekeys in a row */
      ipsecdiag_finding_t *f = finding_new("rekey_collision", b->first_frame, t->id, TRUE);
      set_common(f, t);
      char x[80], y[80];
      finding_set(f, "first", "%s", who(t, a, x, sizeof x));
      finding_set(f, "second", "%s", who(t, b, y, sizeof y));
      finding_set(f, "gap", "%.3f", b->first_time - a->first_time);
      finding_set(f, "exchange", "%s", t->version == 2 ? "CREATE_CHILD_SA" : "Quick Mode");
      finding_set(f, "first_frame", "%u", a->first_frame);
      g_ptr_array_add(out, f);
      return;                           /* one per IKE SA is enough */
    }
  }
}

static void evaluate_delete(const ipsecdiag_engine_t *engine, const ipsecdiag_tunnel_t *t, GPtrArray *out)
{
  const ipsecdiag_message_t *del = final_delete(engine, t);
  const ipsecdiag_message_t *up = established_message(t);
  if (!del || !up)
    return;
  const ipsecdiag_tunnel_t *next = engine_tunnel_get(engine, t->superseded_by);
  link_kind_t link = next ? link_kind(t, next) : LINK_NONE;
  if (link == LINK_REKEYED || link == LINK_RENEWED)
    return;                             /* the rekey note says it */
  /* An IKEv2 SA whose last CREATE_CHILD_SA just rekeyed it (successor unseen): part of the rekey. */
  if (t->version == 2) {
    GArray *events = g_array_new(FALSE, FALSE, sizeof(rekey_event_t));
    guint deletes = 0;
    collect_rekeys(engine, t, events, &deletes);
    gboolean ike = FALSE;
    for (guint i = 0; i < events->len; i++)
      ike |= g_array_index(events, rekey_event_t, i).ike;
    g_array_free(events, TRUE);
    if (ike)
      return;
  }
  ipsecdiag_finding_t *f = finding_new("ike_sa_deleted", del->first_frame, t->id, TRUE);
  set_common(f, t);
  char by[80];
  finding_set(f, "by", "%s", who(t, del, by, sizeof by));
  finding_set(f, "message", "%s", del->name);
  if (mode_is_start(t->mode))
    finding_set(f, "lifetime", "%.1f s after it was established", del->first_time - up->first_time);
  else
    finding_set(f, "lifetime", "%.1f s after it was first seen (established before the capture)",
                del->first_time - up->first_time);
  if (next && link == LINK_DELETED)
    finding_set(f, "then", "a new IKE SA between the same peers (tunnel %u) starts %.1f s later",
                next->id, next->first_time - del->first_time);
  else
    finding_set(f, "then", "no new IKE SA between these peers follows in the capture");
  g_ptr_array_add(out, f);
}

/* IKEv1: the run of encrypted Informationals from one side that ends the SA
 * with nothing from the peer after them (DPD R-U-THERE without ACK). */
static const ipsecdiag_message_t *v1_dpd_run(const ipsecdiag_engine_t *engine, const ipsecdiag_tunnel_t *t,
                                             guint *count)
{
  if (t->version != 1 || !tunnel_established(t) || t->n_messages == 0)
    return NULL;
  const ipsecdiag_message_t *last = &t->messages[t->n_messages - 1];
  if (!is_informational(last) || !last->encrypted_len)
    return NULL;
  const ipsecdiag_message_t *first = last;
  *count = 0;
  for (guint k = t->n_messages; k-- > 0;) {
    const ipsecdiag_message_t *o = &t->messages[k];
    if (o->sender_role != last->sender_role || !is_informational(o) || rekey_before(engine, t, o))
      break;
    if (known_content(engine, o) == IPSECDIAG_INFO_DELETE_IKE || known_content(engine, o) == IPSECDIAG_INFO_DELETE_CHILD)
      continue;
    first = o;
    (*count)++;
  }
  if (*count < 2 || last->first_time - first->first_time <= V1_DPD_ANSWER_WINDOW)
    return NULL;                        /* a burst of Deletes, not a liveness run */
  return first;
}

static void evaluate_v1_dpd(const ipsecdiag_engine_t *engine, const ipsecdiag_tunnel_t *t, GPtrArray *out)
{
  guint count;
  const ipsecdiag_message_t *first = v1_dpd_run(engine, t, &count);
  if (!first)
    return;
  const ipsecdiag_message_t *last = &t->messages[t->n_messages - 1];
  ipsecdiag_finding_t *f = finding_new("ikev1_dpd_unanswered", first->first_frame, t->id, TRUE);
  set_common(f, t);
  char by[80], peer[64];
  finding_set(f, "by", "%s", who(t, first, by, sizeof by));
  const ipsecdiag_addr_t *peer_addr = first->sender_role == IPSECDIAG_ROLE_RESPONDER ? &t->initiator.addr
                                                                                    : &t->responder.addr;
  finding_set(f, "peer", "%s", ipsecdiag_addr_to_str(peer_addr, peer, sizeof peer));
  finding_set(f, "count", "%u", count);
  finding_set(f, "span", "%.1f", last->first_time - first->first_time);
  finding_set(f, "interval", "%.1f", count > 1 ? (last->first_time - first->first_time) / (count - 1) : 0.0);
  double heard = last_heard(t, first->sender_role, first->first_time);
  if (heard >= 0)
    finding_set(f, "last_heard", "%.1f s before the first check", first->first_time - heard);
  else
    finding_set(f, "last_heard", "never in this capture");
  char *after = aftermath(engine, t, first->first_time);
  finding_set(f, "then", "%s", after);
  g_free(after);
  g_ptr_array_add(out, f);
}

/* The last SA of t's IKEv2 rekey chain, and the first. */
static const ipsecdiag_tunnel_t *chain_tail(const ipsecdiag_engine_t *engine, const ipsecdiag_tunnel_t *t)
{
  for (guint steps = 0; steps < MAX_CHAIN; steps++) {
    const ipsecdiag_tunnel_t *next = engine_tunnel_get(engine, t->superseded_by);
    if (!next || link_kind(t, next) != LINK_REKEYED)
      break;
    t = next;
  }
  return t;
}

static const ipsecdiag_tunnel_t *chain_start(const ipsecdiag_engine_t *engine, const ipsecdiag_tunnel_t *t)
{
  for (guint steps = 0; steps < MAX_CHAIN; steps++) {
    const ipsecdiag_tunnel_t *previous = engine_tunnel_get(engine, t->supersedes);
    if (!previous || link_kind(previous, t) != LINK_REKEYED)
      break;
    t = previous;
  }
  return t;
}

static gboolean is_reestablishment(link_kind_t link)
{
  return link == LINK_DELETED || link == LINK_FAILED || link == LINK_REPLACED;
}

/* The IKE SAs between these peers re-established again and again (break-before-make). */
static void evaluate_flapping(const ipsecdiag_engine_t *engine, const ipsecdiag_tunnel_t *t, GPtrArray *out)
{
  if (!tunnel_established(t) || !mode_is_start(t->mode))
    return;
  /* Only the last re-establishment of a run reports. */
  const ipsecdiag_tunnel_t *tail = chain_tail(engine, t);
  for (const ipsecdiag_tunnel_t *next = engine_tunnel_get(engine, tail->superseded_by); next;
       next = engine_tunnel_get(engine, next->superseded_by)) {
    if (tunnel_established(next)) {
      if (is_reestablishment(link_kind(tail, next)))
        return;
      break;
    }
    if (next->id - tail->id > MAX_CHAIN)
      break;
  }
  guint establishments = 1, deleted[3] = {0, 0, 0}, failed = 0;
  double last_up = established_message(t)->first_time, first_up = last_up;
  const ipsecdiag_tunnel_t *c = t;
  for (guint steps = 0; steps < MAX_CHAIN; steps++) {
    const ipsecdiag_tunnel_t *previous = engine_tunnel_get(engine, c->supersedes);
    if (!previous)
      break;
    if (!tunnel_established(previous)) {
      c = previous;                     /* a failed attempt in between */
      continue;
    }
    link_kind_t link = link_kind(previous, c);
    if (!is_reestablishment(link))
      break;
    if (link == LINK_DELETED) {
      const ipsecdiag_message_t *del = final_delete(engine, previous);
      deleted[del && del->sender_role <= 2 ? del->sender_role : 0]++;
    } else {
      failed++;
    }
    c = chain_start(engine, previous);
    if (!tunnel_established(c))
      break;
    establishments++;
    first_up = established_message(c)->first_time;
  }
  if (establishments < FLAPPING_MIN_ESTABLISHMENTS)
    return;
  double span = last_up - first_up;
  double mean = span / (establishments - 1);
  if (mean >= FLAPPING_INTERVAL)
    return;
  const ipsecdiag_message_t *up = established_message(t);
  ipsecdiag_finding_t *f = finding_new("ike_sa_flapping", up->first_frame, t->id, TRUE);
  set_common(f, t);
  finding_set(f, "count", "%u", establishments);
  finding_set(f, "span", "%.1f", span);
  finding_set(f, "interval", "%.1f", mean);
  finding_set(f, "ends", "%u deleted by the initiator, %u by the responder, %u by an unknown side, %u ended without a Delete",
              deleted[IPSECDIAG_ROLE_INITIATOR], deleted[IPSECDIAG_ROLE_RESPONDER], deleted[0], failed);
  g_ptr_array_add(out, f);
}

/* IKE messages whose IP fragments never all arrived, grouped per message (retransmissions together). */
static void evaluate_fragments(const ipsecdiag_engine_t *engine, const ipsecdiag_tunnel_t *t, GPtrArray *out)
{
  engine_lifecycle_t *life = engine->lifecycle;
  GPtrArray *done = g_ptr_array_new();
  for (guint i = 0; i < life->incomplete->len; i++) {
    const frag_datagram_t *d = g_ptr_array_index(life->incomplete, i);
    if (!d->is_ike || d->tunnel != t->id || !d->head_frame || g_ptr_array_find(done, d, NULL))
      continue;
    guint sends = 0, max_frags = 0;
    double last_time = d->first_time;
    for (guint k = i; k < life->incomplete->len; k++) {
      const frag_datagram_t *o = g_ptr_array_index(life->incomplete, k);
      if (!o->is_ike || o->tunnel != d->tunnel || !o->head_frame || o->exchange != d->exchange
          || o->message_id != d->message_id || o->ike_length != d->ike_length
          || !ipsecdiag_addr_equal(&o->key.src, &d->key.src))
        continue;
      g_ptr_array_add(done, (gpointer)o);
      sends++;
      max_frags = MAX(max_frags, o->n_fragments);
      last_time = MAX(last_time, o->first_time);
    }
    ipsecdiag_finding_t *f = finding_new("ike_fragments_missing", d->head_frame, t->id, TRUE);
    set_common(f, t);
    char src[64], dst[64];
    finding_set(f, "message", "%s", datagram_message_name(d));
    finding_set(f, "size", "%u", d->ike_length);
    finding_set(f, "sender", "%s", ipsecdiag_addr_to_str(&d->key.src, src, sizeof src));
    finding_set(f, "peer", "%s", ipsecdiag_addr_to_str(&d->key.dst, dst, sizeof dst));
    finding_set(f, "count", "%u", sends);
    finding_set(f, "received", "%u", max_frags);
    finding_set(f, "span", "%.1f", last_time - d->first_time);
    g_ptr_array_add(out, f);
  }
  g_ptr_array_free(done, TRUE);
  link_pending_esp(engine);
  const esp_fragmented_t *esp = g_hash_table_lookup(life->esp_fragmented, GUINT_TO_POINTER(t->id));
  guint esp_incomplete = 0;
  const frag_datagram_t *esp_head = NULL;
  gboolean directions[2] = {FALSE, FALSE};
  for (guint i = 0; i < life->incomplete->len; i++) {
    const frag_datagram_t *d = g_ptr_array_index(life->incomplete, i);
    if (!d->is_esp)
      continue;
    /* The SPI may have been learnt after its head fragment (from a later, complete packet). */
    guint32 tunnel = d->tunnel ? d->tunnel : ipsecdiag_engine_esp_tunnel(engine, d->esp_spi, &d->key.dst);
    if (tunnel != t->id)
      continue;
    esp_incomplete++;
    if (!esp_head)
      esp_head = d;
    directions[ipsecdiag_addr_equal(&d->key.src, &t->initiator.addr) ? 0 : 1] = TRUE;
  }
  if (!esp && !esp_incomplete)
    return;
  /* Fragments that never all arrived are lost traffic, a warning; all reassembled, a note. */
  /* On the first datagram that never completed, else the first reassembled one. */
  guint32 frame = esp_head ? esp_head->head_frame : esp->first_frame;
  guint32 spi = esp_head ? esp_head->esp_spi : esp->first_spi;
  const ipsecdiag_addr_t *receiver = esp_head ? &esp_head->key.dst : &esp->first_dst;
  ipsecdiag_finding_t *f = finding_new(esp_incomplete ? "esp_fragments_missing" : "esp_fragmented", frame, t->id, TRUE);
  set_common(f, t);
  /* ESP frames have no record yet: finalize makes one from the SA these name. */
  char receiver_text[64];
  finding_set(f, "spi", "0x%08x", spi);
  finding_set(f, "receiver", "%s", ipsecdiag_addr_to_str(receiver, receiver_text, sizeof receiver_text));
  finding_set(f, "complete", "%u", esp ? esp->count : 0);
  finding_set(f, "incomplete", "%u", esp_incomplete);
  if (esp_incomplete) {
    char a[64], b[64];
    ipsecdiag_addr_to_str(&t->initiator.addr, a, sizeof a);
    ipsecdiag_addr_to_str(&t->responder.addr, b, sizeof b);
    if (directions[0] && directions[1])
      finding_set(f, "direction", "both directions (from %s and from %s)", a, b);
    else
      finding_set(f, "direction", "ESP from %s to %s", directions[0] ? a : b, directions[0] ? b : a);
  }
  g_ptr_array_add(out, f);
}

gboolean engine_lifecycle_fragments_lost(const ipsecdiag_engine_t *engine, const ipsecdiag_tunnel_t *tunnel)
{
  engine_lifecycle_t *life = engine->lifecycle;
  for (guint i = 0; i < life->incomplete->len; i++) {
    const frag_datagram_t *d = g_ptr_array_index(life->incomplete, i);
    if (d->is_ike && d->tunnel == tunnel->id)
      return TRUE;
  }
  return FALSE;
}

void engine_lifecycle_evaluate(const ipsecdiag_engine_t *engine, const ipsecdiag_tunnel_t *tunnel, GPtrArray *out)
{
  evaluate_fragments(engine, tunnel, out);
  evaluate_rekeys(engine, tunnel, out);
  evaluate_collisions(tunnel, out);
  evaluate_delete(engine, tunnel, out);
  evaluate_v1_dpd(engine, tunnel, out);
  evaluate_flapping(engine, tunnel, out);
}
