/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag engine: IKE SA tracking. Each IKE message is tied to its IKE SA
 * by initiator SPI (stable across the UDP 500 -> 4500 switch and NAT), named
 * in the troubleshooting guides' vocabulary (MI1 ... QI2, IKE_AUTH request),
 * matched with its request or response, and recognised as a retransmission
 * when the same bytes come again.
 */
#include <string.h>

#include "engine_private.h"
#include "ipsecdiag/ike_names.h"

/* Frame records and IKE SAs live in the engine's records arena: only what
 * they point to is freed one by one. */
static void frame_clear(gpointer data)
{
  ipsecdiag_frame_t *frame = data;
  if (frame->findings)
    g_ptr_array_free(frame->findings, TRUE);
  g_free(frame->decrypted);
}

static void tunnel_clear(gpointer data)
{
  ipsecdiag_tunnel_t *tunnel = data;
  if (tunnel->findings)
    g_ptr_array_free(tunnel->findings, TRUE);
  g_free(tunnel->offered_suites);
  g_free(tunnel->chosen_suite);
  for (int side = 0; side < 2; side++) {
    g_free(tunnel->implementation[side]);
    g_free(tunnel->vendor_ids[side]);
  }
  g_free(tunnel->id_i);
  g_free(tunnel->id_r);
  g_free(tunnel->psk_verdict);
  g_free(tunnel->child_sas);
  for (guint i = 0; i < tunnel->n_messages; i++)
    g_free(tunnel->messages[i].resend_times);
}

ipsecdiag_engine_t *ipsecdiag_engine_new(void)
{
  ipsecdiag_engine_t *engine = g_new0(ipsecdiag_engine_t, 1);
  engine->tunnels = g_ptr_array_new_with_free_func(tunnel_clear);
  engine->tunnel_by_spi = id_map_new();
  engine->tunnel_by_peers = id_map_new();
  engine->frames = g_ptr_array_new();
  engine->frame_index = id_map_new_for_frames();
  engine->esp_sas = esp_sa_table_new();
  engine->hot = hot_arena_new();
  engine->records = hot_arena_new();
  engine->global_findings = g_ptr_array_new_with_free_func(ipsecdiag_finding_free);
  engine->first_offers = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
  engine->final_findings = g_ptr_array_new();
  engine->finalized_at = G_MAXUINT64;
  engine->lifecycle = engine_lifecycle_new();
  return engine;
}

void ipsecdiag_engine_free(ipsecdiag_engine_t *engine)
{
  if (!engine)
    return;
  engine_decrypt_free(engine);
  engine_weak_psk_free(engine);
  g_ptr_array_free(engine->final_findings, TRUE);
  for (guint i = 0; i < engine->frames->len; i++)
    frame_clear(g_ptr_array_index(engine->frames, i));   /* the records own the findings */
  g_ptr_array_free(engine->frames, TRUE);
  id_map_free(engine->frame_index);
  g_free(engine->frame_bitmap);
  g_ptr_array_free(engine->tunnels, TRUE);
  id_map_free(engine->tunnel_by_spi);
  id_map_free(engine->tunnel_by_peers);
  esp_sa_table_free(engine->esp_sas);
  g_ptr_array_free(engine->global_findings, TRUE);
  g_hash_table_destroy(engine->first_offers);
  engine_esp_health_free(engine->esp_health);
  hot_arena_free(engine->hot);     /* after the tables that point into it */
  hot_arena_free(engine->records);
  engine_lifecycle_free(engine->lifecycle);
  g_free(engine);
}

/* 2^26 frames: an 8 MiB bitmap at most. */
#define IPSECDIAG_FRAME_BITMAP_MAX (1u << 26)

static void frame_bitmap_set(ipsecdiag_engine_t *engine, guint32 frame_number)
{
  if (frame_number >= IPSECDIAG_FRAME_BITMAP_MAX)
    return;
  if (frame_number >= engine->frame_bitmap_bits) {
    guint32 bits = MAX(engine->frame_bitmap_bits, 1u << 16);
    while (bits <= frame_number)
      bits *= 2;
    engine->frame_bitmap = g_realloc(engine->frame_bitmap, bits / 8);
    memset(engine->frame_bitmap + engine->frame_bitmap_bits / 8, 0, (bits - engine->frame_bitmap_bits) / 8);
    engine->frame_bitmap_bits = bits;
  }
  engine->frame_bitmap[frame_number / 8] |= (guint8)(1u << (frame_number % 8));
}

/* The frame record's index in frames + 1, 0 none. The bitmap answers for
 * most frames without a record (every new one among them) without a map
 * lookup. */
static guint32 frame_index_of(const ipsecdiag_engine_t *engine, guint32 frame)
{
  if (frame < IPSECDIAG_FRAME_BITMAP_MAX
      && (frame >= engine->frame_bitmap_bits || !(engine->frame_bitmap[frame / 8] & (1u << (frame % 8)))))
    return 0;
  return id_map_lookup(engine->frame_index, frame);
}

ipsecdiag_frame_t *engine_frame_new(ipsecdiag_engine_t *engine, guint32 frame_number, guint8 kind)
{
  ipsecdiag_frame_t *frame = hot_arena_alloc0_packed(engine->records, sizeof *frame);
  frame->frame = frame_number;
  frame->kind = kind;
  guint32 index = frame_index_of(engine, frame_number);
  if (index) {                          /* a new record for the frame replaces the old one */
    frame_clear(g_ptr_array_index(engine->frames, index - 1));
    g_ptr_array_index(engine->frames, index - 1) = frame;
  } else {
    g_ptr_array_add(engine->frames, frame);
    id_map_set(engine->frame_index, frame_number, engine->frames->len);
  }
  frame_bitmap_set(engine, frame_number);
  return frame;
}

ipsecdiag_frame_t *engine_frame_lookup(const ipsecdiag_engine_t *engine, guint32 frame)
{
  guint32 index = frame_index_of(engine, frame);
  return index ? g_ptr_array_index(engine->frames, index - 1) : NULL;
}

const ipsecdiag_frame_t *ipsecdiag_engine_frame(const ipsecdiag_engine_t *engine, guint32 frame)
{
  return engine_frame_lookup(engine, frame);
}

ipsecdiag_tunnel_t *engine_tunnel_get(const ipsecdiag_engine_t *engine, guint32 id)
{
  if (id == 0 || id > engine->tunnels->len)
    return NULL;
  return g_ptr_array_index(engine->tunnels, id - 1);
}

const ipsecdiag_tunnel_t *ipsecdiag_engine_tunnel(const ipsecdiag_engine_t *engine, guint32 id)
{
  return engine_tunnel_get(engine, id);
}

guint ipsecdiag_engine_tunnel_count(const ipsecdiag_engine_t *engine)
{
  return engine->tunnels->len;
}

const GPtrArray *ipsecdiag_engine_global_findings(const ipsecdiag_engine_t *engine)
{
  return engine->global_findings;
}

/* The two peer addresses, in a canonical order so that either direction finds
 * the same entry; bytes past an IPv4 address are zero. Binary, not text: a
 * new ESP SPI looks its peers up, and formatting two addresses cost more than
 * the rest of the ESP path. */
typedef struct {
  guint8 family[2];
  guint8 bytes[2][16];
} peers_key_t;

static void peers_key_fill(peers_key_t *key, const ipsecdiag_addr_t *a, const ipsecdiag_addr_t *b)
{
  memset(key, 0, sizeof *key);
  const ipsecdiag_addr_t *first = a, *second = b;
  int order = (int)a->family - (int)b->family;
  if (!order)
    order = memcmp(a->bytes, b->bytes, a->family == 6 ? 16 : 4);
  if (order > 0) {
    first = b;
    second = a;
  }
  key->family[0] = first->family;
  key->family[1] = second->family;
  memcpy(key->bytes[0], first->bytes, first->family == 6 ? 16 : 4);
  memcpy(key->bytes[1], second->bytes, second->family == 6 ? 16 : 4);
}

/* The map's key: a 64-bit digest of the pair. The tunnel found is checked
 * against both addresses, so that two pairs with one digest (which only a
 * crafted capture would have) cannot mix up their tunnels. */
static guint64 peers_digest(const ipsecdiag_addr_t *a, const ipsecdiag_addr_t *b)
{
  peers_key_t key;
  peers_key_fill(&key, a, b);
  return engine_message_digest((const guint8 *)&key, sizeof key);
}

static gboolean tunnel_has_peers(const ipsecdiag_tunnel_t *tunnel, const ipsecdiag_addr_t *a,
                                 const ipsecdiag_addr_t *b)
{
  const ipsecdiag_addr_t *i = &tunnel->initiator.addr, *r = &tunnel->responder.addr;
  return (ipsecdiag_addr_equal(i, a) && ipsecdiag_addr_equal(r, b))
         || (ipsecdiag_addr_equal(i, b) && ipsecdiag_addr_equal(r, a));
}

static ipsecdiag_tunnel_t *tunnel_by_peers_digest(const ipsecdiag_engine_t *engine, guint64 digest,
                                                  const ipsecdiag_addr_t *a, const ipsecdiag_addr_t *b)
{
  ipsecdiag_tunnel_t *tunnel = engine_tunnel_get(engine, id_map_lookup(engine->tunnel_by_peers, digest));
  return tunnel && tunnel_has_peers(tunnel, a, b) ? tunnel : NULL;
}

ipsecdiag_tunnel_t *engine_tunnel_by_peers(const ipsecdiag_engine_t *engine,
                                           const ipsecdiag_addr_t *a, const ipsecdiag_addr_t *b)
{
  return tunnel_by_peers_digest(engine, peers_digest(a, b), a, b);
}

static gboolean endpoint_equal(const ipsecdiag_endpoint_t *a, const ipsecdiag_endpoint_t *b)
{
  return a->port == b->port && ipsecdiag_addr_equal(&a->addr, &b->addr);
}

/* 0 when src is the initiator, 1 the responder, -1 unknown. */
int engine_tunnel_direction(const ipsecdiag_tunnel_t *tunnel, const ipsecdiag_endpoint_t *src)
{
  if (endpoint_equal(src, &tunnel->initiator) || endpoint_equal(src, &tunnel->initiator_natt))
    return 0;
  if (endpoint_equal(src, &tunnel->responder) || endpoint_equal(src, &tunnel->responder_natt))
    return 1;
  /* Ports change across NAT-T and NAT; the address alone still tells. */
  if (ipsecdiag_addr_equal(&src->addr, &tunnel->initiator.addr)
      && !ipsecdiag_addr_equal(&src->addr, &tunnel->responder.addr))
    return 0;
  if (ipsecdiag_addr_equal(&src->addr, &tunnel->responder.addr)
      && !ipsecdiag_addr_equal(&src->addr, &tunnel->initiator.addr))
    return 1;
  return -1;
}

static guint64 spi_key(const guint8 spi[IKE_SPI_LEN])
{
  guint64 key;
  memcpy(&key, spi, sizeof key);
  return key;
}

static guint64 digest_round(guint64 lane, const guint8 *bytes)
{
  guint64 word;
  memcpy(&word, bytes, sizeof word);
  lane += word * 0xc2b2ae3d27d4eb4full;
  lane = lane << 31 | lane >> 33;
  return lane * 0x9e3779b97f4a7c15ull;
}

/* A 64-bit digest of bytes: of an IKE message, to tell a resent message
 * from a new one (with the length, role, exchange and message ID), and of
 * two peers' addresses. Every IKE packet is hashed whole: four independent
 * lanes of 8 bytes (xxHash64's round) cost a small part of a byte-at-a-time
 * hash, whose multiply chain stalls on each byte. Digests stay in memory
 * (never shown or saved), so the function may change between versions. */
IPSECDIAG_HOT guint64 engine_message_digest(const guint8 *data, gsize len)
{
  guint64 lanes[4] = {0x60ea27eeadc0b5d6ull, 0xc2b2ae3d27d4eb4full, 0x165667b19e3779f9ull, 0x61c8864e7a143579ull};
  gsize i = 0;
  for (; i + 32 <= len; i += 32)
    for (guint lane = 0; lane < 4; lane++)
      lanes[lane] = digest_round(lanes[lane], data + i + 8 * lane);
  guint64 h = (guint64)len;
  for (guint lane = 0; lane < 4; lane++)
    h = (h ^ digest_round(0, (const guint8 *)&lanes[lane])) * 0x9e3779b97f4a7c15ull + 0x85ebca77c2b2ae63ull;
  for (; i + 8 <= len; i += 8)
    h = (h ^ digest_round(0, data + i)) * 0x9e3779b97f4a7c15ull + 0x85ebca77c2b2ae63ull;
  for (; i < len; i++)
    h = (h ^ (data[i] * 0x27d4eb2f165667c5ull)) * 0x9e3779b97f4a7c15ull;
  /* Final mix: every input bit reaches every output bit. */
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 29;
  h *= 0xc4ceb9fe1a85ec53ull;
  return h ^ (h >> 32);
}

static ipsecdiag_tunnel_t *tunnel_create(ipsecdiag_engine_t *engine, const ike_message_t *msg,
                                         const ipsecdiag_packet_t *pkt)
{
  if (engine->tunnels->len >= IPSECDIAG_MAX_TUNNELS)
    return NULL;                        /* the caller notes the cap on the frame */
  ipsecdiag_tunnel_t *tunnel = hot_arena_alloc0_packed(engine->records, sizeof *tunnel);
  g_ptr_array_add(engine->tunnels, tunnel);
  tunnel->id = engine->tunnels->len;
  tunnel->version = msg->major_version;
  tunnel->mode = msg->exchange_type;
  memcpy(tunnel->spi_i, msg->spi_i, IKE_SPI_LEN);
  memcpy(tunnel->spi_r, msg->spi_r, IKE_SPI_LEN);
  tunnel->nat_initiator = tunnel->nat_responder = -1;
  tunnel->capture_inside_initiator_nat = -1;
  tunnel->first_frame = pkt->frame;
  tunnel->first_time = pkt->time;
  tunnel->findings = g_ptr_array_new();

  /* Who sent the first message we see? */
  gboolean from_initiator;
  if (msg->major_version == 2) {
    from_initiator = (msg->flags & IKEV2_FLAG_INITIATOR) != 0;
  } else {
    static const guint8 zero[IKE_SPI_LEN];
    from_initiator = memcmp(msg->spi_r, zero, IKE_SPI_LEN) == 0;
    /* Both cookies set: the SA began before the capture; assume the sender initiated. */
    tunnel->roles_guessed = !from_initiator;
    from_initiator = TRUE;
  }
  tunnel->initiator = from_initiator ? pkt->src : pkt->dst;
  tunnel->responder = from_initiator ? pkt->dst : pkt->src;

  id_map_set(engine->tunnel_by_spi, spi_key(msg->spi_i), tunnel->id);

  guint64 peers = peers_digest(&pkt->src.addr, &pkt->dst.addr);
  ipsecdiag_tunnel_t *previous = tunnel_by_peers_digest(engine, peers, &pkt->src.addr, &pkt->dst.addr);
  if (previous) {
    previous->superseded_by = tunnel->id;
    tunnel->supersedes = previous->id;
  }
  id_map_set(engine->tunnel_by_peers, peers, tunnel->id);
  return tunnel;
}

ipsecdiag_tunnel_t *engine_tunnel_by_spi(const ipsecdiag_engine_t *engine, const guint8 spi_i[IKE_SPI_LEN])
{
  return engine_tunnel_get(engine, id_map_lookup(engine->tunnel_by_spi, spi_key(spi_i)));
}

static void link_answer(ipsecdiag_engine_t *engine, ipsecdiag_tunnel_t *tunnel,
                        ipsecdiag_message_t *request, ipsecdiag_frame_t *frame, double time,
                        gboolean is_matching_response);

static gboolean endpoints_reversed(const ipsecdiag_tunnel_t *tunnel, const ipsecdiag_packet_t *pkt)
{
  return ipsecdiag_addr_equal(&pkt->src.addr, &tunnel->responder.addr)
      && ipsecdiag_addr_equal(&pkt->dst.addr, &tunnel->initiator.addr);
}

/* A responder that does not speak the initiator's IKE version may answer the
 * first request in its own version (IKEv1 INVALID_MAJOR_VERSION to an IKEv2
 * IKE_SA_INIT, RFC 2408 5.1 / RFC 7296 2.5), copying the initiator SPI. That
 * answer belongs to the initiator's IKE SA, not to a new one. */
static gboolean answer_in_other_version(ipsecdiag_engine_t *engine, ipsecdiag_tunnel_t *tunnel,
                                        const ike_message_t *msg,
                                        const ipsecdiag_packet_t *pkt, ipsecdiag_frame_t *frame)
{
  if (!tunnel || tunnel->version == msg->major_version || tunnel->n_messages == 0
      || !endpoints_reversed(tunnel, pkt))
    return FALSE;
  ipsecdiag_message_t *request = &tunnel->messages[0];
  if (!engine_message_is_first(request) || request->answer_frame)
    return FALSE;
  frame->tunnel = tunnel->id;
  frame->sender_role = IPSECDIAG_ROLE_RESPONDER;
  frame->message = msg->major_version == 1 ? "IKEv1 answer" : "IKEv2 answer";
  frame->state = tunnel->state;
  tunnel->last_frame = pkt->frame;
  tunnel->last_time = pkt->time;
  tunnel->n_packets++;
  link_answer(engine, tunnel, request, frame, pkt->time, TRUE);

  char buf[64];
  ipsecdiag_finding_t *f = finding_new("ike_version_mismatch", pkt->frame, tunnel->id, FALSE);
  finding_set(f, "message", "%s", request->name);
  finding_set(f, "request_version", "IKEv%u", tunnel->version);
  finding_set(f, "answer_version", "IKEv%u", msg->major_version);
  finding_set(f, "exchange", "%s", ike_exchange_name(msg->exchange_type));
  finding_set(f, "sender", "%s", ipsecdiag_addr_to_str(&pkt->src.addr, buf, sizeof buf));
  finding_set(f, "peer", "%s", ipsecdiag_addr_to_str(&pkt->dst.addr, buf, sizeof buf));
  GString *notifies = g_string_new(NULL);
  for (guint i = 0; i < msg->n_notifies; i++)
    g_string_append_printf(notifies, "%s%s", i ? ", " : "",
                           ike_notify_name_for_version(msg->major_version, msg->notifies[i].type));
  finding_set(f, "notify", "%s", notifies->len ? notifies->str : "no notify");
  g_string_free(notifies, TRUE);
  finding_set(f, "responder_impl", "%s", tunnel->implementation[1] ? tunnel->implementation[1] : "unidentified");
  engine_attach_finding(engine, frame, f);
  return TRUE;
}

static ipsecdiag_role_t sender_role(const ipsecdiag_tunnel_t *tunnel, const ike_message_t *msg,
                                    const ipsecdiag_packet_t *pkt)
{
  if (msg->major_version == 2)
    return (msg->flags & IKEV2_FLAG_INITIATOR) ? IPSECDIAG_ROLE_INITIATOR : IPSECDIAG_ROLE_RESPONDER;
  int dir = engine_tunnel_direction(tunnel, &pkt->src);
  if (dir < 0) {
    int reverse = engine_tunnel_direction(tunnel, &pkt->dst);
    dir = reverse < 0 ? -1 : 1 - reverse;
  }
  return dir == 0 ? IPSECDIAG_ROLE_INITIATOR
       : dir == 1 ? IPSECDIAG_ROLE_RESPONDER : IPSECDIAG_ROLE_UNKNOWN;
}

static gboolean has_payload(const ike_message_t *msg, guint8 type)
{
  for (guint i = 0; i < msg->n_payloads; i++)
    if (msg->payloads[i].type == type)
      return TRUE;
  return FALSE;
}

static guint count_messages(const ipsecdiag_tunnel_t *tunnel, guint8 exchange, guint32 message_id,
                            guint8 role)
{
  guint n = 0;
  for (guint i = 0; i < tunnel->n_messages; i++) {
    const ipsecdiag_message_t *m = &tunnel->messages[i];
    if (m->exchange_type == exchange && m->message_id == message_id && m->sender_role == role)
      n++;
  }
  return n;
}

static const ipsecdiag_message_t *first_message_of_flow(const ipsecdiag_tunnel_t *tunnel,
                                                        guint8 exchange, guint32 message_id)
{
  for (guint i = 0; i < tunnel->n_messages; i++)
    if (tunnel->messages[i].exchange_type == exchange && tunnel->messages[i].message_id == message_id)
      return &tunnel->messages[i];
  return NULL;
}

/* Name a new IKEv1 message and say whether it expects an answer / is one. */
static const char *name_v1(const ipsecdiag_tunnel_t *tunnel, const ike_message_t *msg,
                           ipsecdiag_role_t role, gboolean *is_request, gboolean *is_response,
                           guint8 *state)
{
  gboolean from_i = role == IPSECDIAG_ROLE_INITIATOR;
  *is_request = *is_response = FALSE;
  *state = IPSECDIAG_ST_NONE;
  switch (msg->exchange_type) {
  case IKEV1_EXCH_MAIN:
    if (!msg->encrypted && has_payload(msg, IKEV1_PL_SA)) {
      *is_request = from_i; *is_response = !from_i;
      *state = from_i ? IPSECDIAG_ST_MI1 : IPSECDIAG_ST_MR1;
      return from_i ? "MI1" : "MR1";
    }
    if (!msg->encrypted && has_payload(msg, IKEV1_PL_KE)) {
      *is_request = from_i; *is_response = !from_i;
      *state = from_i ? IPSECDIAG_ST_MI2 : IPSECDIAG_ST_MR2;
      return from_i ? "MI2" : "MR2";
    }
    if (msg->encrypted) {
      *is_request = from_i; *is_response = !from_i;
      *state = from_i ? IPSECDIAG_ST_MI3 : IPSECDIAG_ST_P1_DONE;
      return from_i ? "MI3" : "MR3";
    }
    return from_i ? "Main Mode (initiator)" : "Main Mode (responder)";
  case IKEV1_EXCH_AGGRESSIVE:
    if (!msg->encrypted && has_payload(msg, IKEV1_PL_SA)) {
      *is_request = from_i; *is_response = !from_i;
      *state = from_i ? IPSECDIAG_ST_AI1 : IPSECDIAG_ST_AR1;
      return from_i ? "AI1" : "AR1";
    }
    if (from_i) {
      *state = IPSECDIAG_ST_P1_DONE;
      return "AI2";
    }
    return "Aggressive Mode (responder)";
  case IKEV1_EXCH_QUICK: {
    /* Either peer may start a Quick Mode; its first sender is the QM initiator. */
    const ipsecdiag_message_t *first = first_message_of_flow(tunnel, msg->exchange_type, msg->message_id);
    gboolean from_qm_i = first == NULL || first->sender_role == role;
    guint previous = count_messages(tunnel, msg->exchange_type, msg->message_id, role);
    if (from_qm_i && previous == 0) {
      *is_request = TRUE;
      *state = IPSECDIAG_ST_P2_REQ;
      return "QI1";
    }
    if (!from_qm_i && previous == 0) {
      *is_response = TRUE;
      *state = IPSECDIAG_ST_P2_RESP;
      return "QR1";
    }
    if (from_qm_i && previous == 1) {
      *state = IPSECDIAG_ST_P2_DONE;
      return "QI2";
    }
    return "Quick Mode";
  }
  case IKEV1_EXCH_INFORMATIONAL:
    return msg->encrypted ? "Informational (encrypted)" : "Informational";
  case IKEV1_EXCH_TRANSACTION:
    return "Mode Config";
  default:
    return ike_exchange_name(msg->exchange_type);
  }
}

static const char *name_v2(const ike_message_t *msg, gboolean *is_request, gboolean *is_response,
                           guint8 *state)
{
  /* One table indexed [response][exchange]: gcc's object-size check misreads
   * an index into "response ? responses : requests". */
  static const char *const names[2][4] = {
    {"IKE_SA_INIT request", "IKE_AUTH request", "CREATE_CHILD_SA request", "INFORMATIONAL request"},
    {"IKE_SA_INIT response", "IKE_AUTH response", "CREATE_CHILD_SA response", "INFORMATIONAL response"},
  };
  gboolean response = (msg->flags & IKEV2_FLAG_RESPONSE) != 0;
  *is_response = response;
  *is_request = !response;
  *state = IPSECDIAG_ST_NONE;
  gboolean error = FALSE;
  for (guint i = 0; i < msg->n_notifies; i++)
    if (ike_notify_is_error(2, msg->notifies[i].type))
      error = TRUE;
  switch (msg->exchange_type) {
  case IKEV2_EXCH_IKE_SA_INIT:
    *state = response ? (error ? IPSECDIAG_ST_NONE : IPSECDIAG_ST_INIT_RESP) : IPSECDIAG_ST_INIT_REQ;
    break;
  case IKEV2_EXCH_IKE_AUTH:
    *state = response ? IPSECDIAG_ST_P1_DONE : IPSECDIAG_ST_AUTH_REQ;
    break;
  case IKEV2_EXCH_CREATE_CHILD_SA:
    *state = response ? IPSECDIAG_ST_P2_RESP : IPSECDIAG_ST_P2_REQ;
    break;
  default:
    break;
  }
  if (msg->exchange_type >= IKEV2_EXCH_IKE_SA_INIT && msg->exchange_type <= IKEV2_EXCH_INFORMATIONAL)
    return names[response ? 1 : 0][msg->exchange_type - IKEV2_EXCH_IKE_SA_INIT];
  return response ? "IKEv2 response" : "IKEv2 request";
}

static void raise_state(ipsecdiag_tunnel_t *tunnel, guint8 state)
{
  if (ipsecdiag_state_rank(state) > ipsecdiag_state_rank(tunnel->state))
    tunnel->state = state;
}

static ipsecdiag_message_t *find_retransmitted(ipsecdiag_tunnel_t *tunnel, const ike_message_t *msg,
                                               ipsecdiag_role_t role, guint64 digest, gsize len)
{
  for (guint i = tunnel->n_messages; i-- > 0;) {
    ipsecdiag_message_t *m = &tunnel->messages[i];
    if (m->digest == digest && m->length == len && m->sender_role == role
        && m->exchange_type == msg->exchange_type && m->message_id == msg->message_id)
      return m;
  }
  return NULL;
}

/* The first send's time is first_time; later ones go to resend_times. */
static void note_send_time(ipsecdiag_message_t *message, double time)
{
  if (message->n_times == 0) {
    message->n_times = 1;
    return;
  }
  if (message->n_times >= IPSECDIAG_MAX_SENDS_TIMED)
    return;
  if (!message->resend_times)
    message->resend_times = g_new(double, IPSECDIAG_MAX_SENDS_TIMED - 1);
  message->resend_times[message->n_times++ - 1] = time;
}

/* IKEv2: the request this response answers. */
static ipsecdiag_message_t *find_request_v2(ipsecdiag_tunnel_t *tunnel, const ike_message_t *msg,
                                            ipsecdiag_role_t responder_role)
{
  for (guint i = tunnel->n_messages; i-- > 0;) {
    ipsecdiag_message_t *m = &tunnel->messages[i];
    if (m->is_request && m->sender_role != responder_role && m->message_id == msg->message_id
        && m->exchange_type == msg->exchange_type)
      return m;
  }
  return NULL;
}

static void link_answer(ipsecdiag_engine_t *engine, ipsecdiag_tunnel_t *tunnel,
                        ipsecdiag_message_t *request, ipsecdiag_frame_t *frame, double time,
                        gboolean is_matching_response)
{
  if (request->answer_frame)
    return;
  request->answer_frame = frame->frame;
  request->answer_time = time;
  request->answer_is_response = is_matching_response;
  request->sends_before_answer = request->sends;
  if (is_matching_response) {
    frame->request_frame = request->first_frame;
    ipsecdiag_frame_t *request_frame = engine_frame_lookup(engine, request->first_frame);
    if (request_frame && !request_frame->response_frame)
      request_frame->response_frame = frame->frame;
  }
  engine_check_answer(engine, tunnel, request, frame);
  if (engine_message_is_first(request))
    engine_check_version_fallback(engine, tunnel, frame);
}

/* IKEv1 has no response flag: any new message of the peer answers the
 * pending requests; the matching one (MR1 for MI1, QR1 for QI1) is linked. */
static void answer_pending_v1(ipsecdiag_engine_t *engine, ipsecdiag_tunnel_t *tunnel,
                              const ike_message_t *msg, ipsecdiag_role_t role, gboolean is_response,
                              ipsecdiag_frame_t *frame, double time)
{
  ipsecdiag_message_t *matching = NULL;
  if (is_response) {
    for (guint i = tunnel->n_messages; i-- > 0;) {
      ipsecdiag_message_t *m = &tunnel->messages[i];
      if (m->is_request && m->sender_role != role && m->exchange_type == msg->exchange_type
          && (msg->exchange_type != IKEV1_EXCH_QUICK || m->message_id == msg->message_id)) {
        matching = m;
        break;
      }
    }
  }
  for (guint i = 0; i < tunnel->n_messages; i++) {
    ipsecdiag_message_t *m = &tunnel->messages[i];
    if (m->is_request && m->sender_role != role && !m->answer_frame)
      link_answer(engine, tunnel, m, frame, time, m == matching);
  }
  if (matching && !frame->request_frame)
    frame->request_frame = matching->first_frame;
}

const ipsecdiag_frame_t *ipsecdiag_engine_feed_ike(ipsecdiag_engine_t *engine,
                                                   const ipsecdiag_packet_t *pkt,
                                                   const guint8 *data, gsize len)
{
  engine_settle(engine);
  ipsecdiag_frame_t *frame = engine_frame_lookup(engine, pkt->frame);
  if (frame)
    return frame;                       /* fed already (e.g. a redissection) */
  engine->feed_count++;
  if (pkt->time > engine->last_time)
    engine->last_time = pkt->time;

  if (len == 1 && data[0] == 0xff) {   /* RFC 3948 NAT keepalive */
    frame = engine_frame_new(engine, pkt->frame, IPSECDIAG_FRAME_NAT_KEEPALIVE);
    frame->message = "NAT keepalive";
    ipsecdiag_tunnel_t *tunnel = engine_tunnel_by_peers(engine, &pkt->src.addr, &pkt->dst.addr);
    if (tunnel) {
      int dir = engine_tunnel_direction(tunnel, &pkt->src);
      frame->tunnel = tunnel->id;
      frame->sender_role = dir == 0 ? IPSECDIAG_ROLE_INITIATOR
                         : dir == 1 ? IPSECDIAG_ROLE_RESPONDER : IPSECDIAG_ROLE_UNKNOWN;
      frame->state = tunnel->state;
      engine_esp_note_tunnel_packet(engine, tunnel, pkt, TRUE);
    }
    return frame;
  }

  frame = engine_frame_new(engine, pkt->frame, IPSECDIAG_FRAME_IKE);
  ike_message_t *msg = &engine->scratch;
  ike_parse_status_t status = ike_parse_message(data, len, msg);
  frame->parse_status = status;
  if (status != IKE_PARSE_OK && status != IKE_PARSE_TOO_MANY) {
    ipsecdiag_finding_t *f = finding_new("ike_malformed", pkt->frame, 0, FALSE);
    finding_set(f, "error", "%s", ike_parse_status_name(status));
    finding_set(f, "offset", "%u", msg->error_offset);
    finding_set(f, "length", "%" G_GSIZE_FORMAT, len);
    engine_attach_finding(engine, frame, f);
    if (status == IKE_PARSE_TOO_SHORT || status == IKE_PARSE_BAD_VERSION)
      return frame;                     /* no usable header */
  }
  frame->exchange_type = msg->exchange_type;
  frame->message_id = msg->message_id;

  ipsecdiag_tunnel_t *tunnel = engine_tunnel_by_spi(engine, msg->spi_i);
  if (answer_in_other_version(engine, tunnel, msg, pkt, frame))
    return frame;
  if (tunnel && tunnel->version != msg->major_version)
    tunnel = NULL;          /* same SPI reused by the other IKE version: a new SA */
  gboolean new_tunnel = FALSE;
  if (!tunnel) {
    tunnel = tunnel_create(engine, msg, pkt);
    if (!tunnel) {
      engine_note_cap_on_frame(engine, &engine->tunnel_cap_noted, "tunnel_cap_reached", frame,
                               IPSECDIAG_MAX_TUNNELS);
      frame->message = ike_exchange_name(msg->exchange_type);
      return frame;
    }
    new_tunnel = TRUE;
  }
  static const guint8 zero[IKE_SPI_LEN];
  if (memcmp(tunnel->spi_r, zero, IKE_SPI_LEN) == 0 && memcmp(msg->spi_r, zero, IKE_SPI_LEN) != 0)
    memcpy(tunnel->spi_r, msg->spi_r, IKE_SPI_LEN);

  frame->tunnel = tunnel->id;
  tunnel->last_frame = pkt->frame;
  tunnel->last_time = pkt->time;
  tunnel->n_packets++;
  engine_esp_note_tunnel_packet(engine, tunnel, pkt, FALSE);

  ipsecdiag_role_t role = sender_role(tunnel, msg, pkt);
  frame->sender_role = role;

  gboolean natt_port = pkt->non_esp_marker || pkt->src.port == 4500 || pkt->dst.port == 4500;
  if (natt_port) {
    tunnel->natt_used = TRUE;
    if (role == IPSECDIAG_ROLE_INITIATOR) {
      if (!tunnel->initiator_natt.port) tunnel->initiator_natt = pkt->src;
      if (!tunnel->responder_natt.port) tunnel->responder_natt = pkt->dst;
    } else if (role == IPSECDIAG_ROLE_RESPONDER) {
      if (!tunnel->responder_natt.port) tunnel->responder_natt = pkt->src;
      if (!tunnel->initiator_natt.port) tunnel->initiator_natt = pkt->dst;
    }
  }
  if (pkt->ttl) {
    if (role == IPSECDIAG_ROLE_INITIATOR)
      tunnel->initiator_ttl = pkt->ttl;
    else if (role == IPSECDIAG_ROLE_RESPONDER)
      tunnel->responder_ttl = pkt->ttl;
  }
  gboolean natt_was_expected = ipsecdiag_natt_expected(tunnel);
  engine_check_nat_detection(tunnel, msg, pkt, role);
  if (!natt_was_expected && ipsecdiag_natt_expected(tunnel))
    engine_esp_natt_now_expected(engine, tunnel->id);
  engine_update_capture_side(tunnel);

  guint64 digest = engine_message_digest(data, len);
  ipsecdiag_message_t *message = find_retransmitted(tunnel, msg, role, digest, len);
  if (message) {
    double previous = message->last_time;
    if (message->sends < G_MAXUINT16)
      message->sends++;                 /* endless retransmissions saturate, never wrap */
    message->last_frame = pkt->frame;
    message->last_time = pkt->time;
    note_send_time(message, pkt->time);
    tunnel->n_retransmissions++;
    frame->message = message->name;
    frame->retransmission_of = message->first_frame;
    frame->retransmission_number = message->sends - 1;
    frame->retransmission_delay = pkt->time - previous;
    frame->request_frame = 0;
    frame->state = tunnel->state;
    engine_check_retransmission(engine, tunnel, message, frame);
    return frame;
  }

  gboolean is_request, is_response;
  guint8 state;
  const char *name = msg->major_version == 2
      ? name_v2(msg, &is_request, &is_response, &state)
      : name_v1(tunnel, msg, role, &is_request, &is_response, &state);
  frame->message = name;

  /* Answers are linked before the new message is stored. */
  if (msg->major_version == 2) {
    if (is_response) {
      ipsecdiag_message_t *request = find_request_v2(tunnel, msg, role);
      if (request)
        link_answer(engine, tunnel, request, frame, pkt->time, TRUE);
    }
  } else if (role != IPSECDIAG_ROLE_UNKNOWN) {
    answer_pending_v1(engine, tunnel, msg, role, is_response, frame, pkt->time);
  }

  if (tunnel->n_messages < IPSECDIAG_MAX_MESSAGES_PER_TUNNEL) {
    if (tunnel->n_messages == tunnel->messages_allocated) {
      /* 8 first: an IKE SA set up and deleted takes 4 to 8 messages. The
       * list moves to a twice larger one in the records arena; the old one
       * stays there unused (at most the size of the new one). */
      guint allocated = MIN(MAX(8u, tunnel->messages_allocated * 2), IPSECDIAG_MAX_MESSAGES_PER_TUNNEL);
      ipsecdiag_message_t *messages = hot_arena_alloc0_packed(engine->records, allocated * sizeof *messages);
      if (tunnel->n_messages)
        memcpy(messages, tunnel->messages, tunnel->n_messages * sizeof *messages);
      tunnel->messages = messages;
      tunnel->messages_allocated = allocated;
    }
    message = &tunnel->messages[tunnel->n_messages++];
    memset(message, 0, sizeof *message);
    message->exchange_type = msg->exchange_type;
    message->sender_role = role;
    message->is_request = is_request;
    message->is_response = is_response;
    message->on_natt_port = natt_port;
    message->message_id = msg->message_id;
    message->length = (guint32)len;
    message->encrypted_len = msg->encrypted ? msg->encrypted_len : 0;
    message->digest = digest;
    message->name = name;
    message->first_frame = message->last_frame = pkt->frame;
    message->first_time = message->last_time = pkt->time;
    message->sends = 1;
    note_send_time(message, pkt->time);
  } else {
    tunnel->messages_capped = TRUE;
  }
  raise_state(tunnel, state);
  frame->state = tunnel->state;
  if (new_tunnel)
    engine_check_new_tunnel(engine, tunnel, frame);
  engine_check_negotiation(engine, tunnel, msg, frame, pkt, role);
  engine_check_natt_support(engine, tunnel, frame, pkt, role,
                            is_response && (state == IPSECDIAG_ST_MR1 || state == IPSECDIAG_ST_AR1
                                            || state == IPSECDIAG_ST_INIT_RESP));
  if (message && message->first_frame == pkt->frame)
    engine_check_weak_psk(engine, tunnel, frame, pkt, role, data, len, msg);
  if (engine->keys)
    engine_decrypt_message(engine, tunnel, message && message->first_frame == pkt->frame ? message : NULL,
                           frame, pkt, role, data, len, msg);
  if (message && message->first_frame == pkt->frame && !message->decrypted)
    engine_check_inferred(engine, tunnel, message, frame);
  engine_lifecycle_on_message(engine, tunnel, message && message->first_frame == pkt->frame ? message : NULL,
                              msg, frame, pkt);
  return frame;
}
