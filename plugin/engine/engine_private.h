/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag engine internals shared by the engine's files (tracking,
 * findings, ESP/ICMP, NAT-D). Not part of the public API.
 */
#ifndef IPSECDIAG_ENGINE_PRIVATE_H
#define IPSECDIAG_ENGINE_PRIVATE_H

#include "ipsecdiag/esp_keys.h"
#include "ipsecdiag/engine.h"
#include "ipsecdiag/hot_path.h"
#include "engine_esp_health.h"

/* Seconds of capture after a half-open IKE SA before it counts as abandoned. */
#define IPSECDIAG_ABANDON_SECONDS 10.0

typedef struct {
  guint32 spi;
  ipsecdiag_addr_t dst;
} esp_sa_key_t;

/* One ESP SA (SPI and receiver). An ESP packet in order, from an SA whose
 * side is settled, reads and writes only the first cache line: every field
 * it needs is there, the key included only as far as the table's slot
 * holds it (engine_esp_sas.c). The rest is read on an SA's first packet, on
 * exceptions (gaps, reordering, a change of sender) and for the results. */
typedef struct {
  /* first cache line (see the static assertion in engine_esp_sas.c) */
  float silence_floor;           /* at most its side's longest silence: a shorter gap needs no look */
  guint8 direction;              /* 0 initiator to responder, 1 reverse, 2 unknown */
  guint8 unused;
  guint16 flags;                 /* ESP_SA_* (engine_esp_health.h) */
  guint32 last_frame;
  guint32 last_sequence;
  guint64 packets, bytes;
  double last_time;
  esp_sequence_t seq;            /* its first fields complete the line */
  /* the rest */
  esp_sa_key_t key;
  guint32 tunnel;
  guint32 first_frame;
  guint32 native_frame;          /* first native packet, 0 none */
  guint32 index;                 /* position in the engine's list of ESP SAs */
  guint16 dst_port;              /* UDP destination port, 0 native */
  double first_time;
  ipsecdiag_endpoint_t src;
} esp_sa_t;

/* engine_hot_arena.c: records that every ESP packet touches, packed on
 * (huge) pages; freed only with the arena. */
typedef struct hot_arena hot_arena_t;
hot_arena_t *hot_arena_new(void);
void hot_arena_free(hot_arena_t *arena);
void *hot_arena_alloc0(hot_arena_t *arena, gsize size);   /* zeroed, 64-byte aligned */
void *hot_arena_alloc0_packed(hot_arena_t *arena, gsize size);   /* zeroed, 16-byte aligned */
gsize hot_arena_allocated(const hot_arena_t *arena);
/* A table every ESP packet reads (zeroed; huge pages from 1 MiB on). Free with g_aligned_free. */
void *hot_block_alloc0(gsize size);

/* engine_esp_sas.c: ESP SAs by SPI and receiver (allocated from the engine's hot arena). */
typedef struct esp_sa_table esp_sa_table_t;
esp_sa_table_t *esp_sa_table_new(void);
void esp_sa_table_free(esp_sa_table_t *table);
esp_sa_t *esp_sa_table_lookup(const esp_sa_table_t *table, const esp_sa_key_t *key);
void esp_sa_table_insert(esp_sa_table_t *table, esp_sa_t *sa);
guint esp_sa_table_size(const esp_sa_table_t *table);
/* Prefetch hints (no effect on the table's contents), by the key's
 * esp_sa_key_hash: the slot a lookup starts at; the first line of the SA
 * whose slot matches (reads the slots, so best after
 * esp_sa_table_prefetch_slot had time to land). */
guint32 esp_sa_key_hash(const esp_sa_key_t *key);
void esp_sa_table_prefetch_slot(const esp_sa_table_t *table, guint32 hash);
void esp_sa_table_prefetch_sa(const esp_sa_table_t *table, guint32 hash, const esp_sa_key_t *key);

/* engine_esp_later.c: an ESP packet fed with ipsecdiag_engine_feed_esp_later. */
typedef struct {
  ipsecdiag_packet_t pkt;
  guint32 spi, sequence, length;
  guint32 hash;                  /* esp_sa_key_hash of its SA's key, for both prefetches */
} esp_later_t;
/* Packets held: the newest has its slot in flight, the one before its SA. */
#define ESP_LATER_DEPTH 2

typedef struct engine_lifecycle engine_lifecycle_t;   /* engine_lifecycle.c */

/* engine_id_map.c: 64-bit key (the 8 SPI bytes as stored, a frame number, a
 * digest of two addresses) -> id, 0 none. */
typedef struct id_map id_map_t;
id_map_t *id_map_new(void);
id_map_t *id_map_new_for_frames(void);   /* keys mostly increasing, near ones looked up together */
void id_map_free(id_map_t *map);
guint32 id_map_lookup(const id_map_t *map, guint64 key);
void id_map_set(id_map_t *map, guint64 key, guint32 id);   /* id != 0; replaces */

struct ipsecdiag_engine {
  GPtrArray *tunnels;            /* ipsecdiag_tunnel_t*, index id - 1 */
  id_map_t *tunnel_by_spi;       /* initiator SPI -> the newest tunnel id with it (engine_id_map.c) */
  id_map_t *tunnel_by_peers;     /* digest of both addresses (engine.c) -> latest tunnel id */
  GPtrArray *frames;             /* ipsecdiag_frame_t*, in the order made (records arena) */
  id_map_t *frame_index;         /* frame number -> index in frames + 1 */
  /* One bit per frame number below IPSECDIAG_FRAME_BITMAP_MAX: set when the
   * frame has a record, so that the table is looked up only for those (most
   * ESP frames and every frame not yet fed have none). Frames above the
   * bound use the table. */
  guint8 *frame_bitmap;
  guint32 frame_bitmap_bits;
  esp_sa_table_t *esp_sas;       /* engine_esp_sas.c */
  hot_arena_t *hot;              /* ESP SAs and the tunnels' ESP records (engine_hot_arena.c) */
  hot_arena_t *records;          /* frame records, tunnels and their message lists */
  GPtrArray *global_findings;    /* ipsecdiag_finding_t*, owned */
  GHashTable *first_offers;      /* tunnel id -> the initiator's first proposal (engine_negotiation.c) */
  GPtrArray *final_findings;     /* findings attached by the last finalize (not owned) */
  guint64 feed_count;            /* frames fed so far */
  guint64 finalized_at;          /* feed_count at the last finalize, G_MAXUINT64 never */
  double last_time;              /* newest time fed */
  gboolean tunnel_cap_noted, esp_cap_noted;
  ike_message_t scratch;         /* parse result of the message being fed (large) */
  struct engine_esp_health *esp_health;   /* engine_esp_health.c, NULL until ESP or a keepalive */
  engine_lifecycle_t *lifecycle; /* IP fragments, decrypted Informational content */
  /* Decryption (engine_decrypt.c). */
  const ipsecdiag_keys_t *keys;  /* not owned, NULL none */
  GHashTable *decrypt_sas;       /* tunnel id -> engine_decrypt_state_t* */
  ike_message_t *decrypt_scratch; /* parse of a decrypted message (allocated on first use) */
  gboolean decrypt_cap_noted;
  const char *decrypted_child_offer; /* while a decrypted phase 2 answer is checked: the request's
                                        Child SA proposal and PFS, else NULL */
  /* ESP keys derived from KEYMAT (engine_decrypt.c, include/ipsecdiag/esp_keys.h). */
  GPtrArray *esp_derived;        /* ipsecdiag_esp_derived_t*, owned, wiped when freed */
  GHashTable *esp_derived_index; /* "spi/dst" -> index + 1 of the latest */
  GHashTable *esp_keymat_problems; /* frame -> why no keys were derived (owned text) */
  gboolean esp_derived_cap_noted;
  struct engine_weak_psk *weak_psk;  /* engine_weak_psk.c, NULL until Aggressive Mode or a setting */
  /* ESP fed with ipsecdiag_engine_feed_esp_later, not counted yet (engine_esp_later.c). */
  esp_later_t esp_later[ESP_LATER_DEPTH];
  guint esp_later_first, esp_later_count;
};

/* engine_esp_later.c: every entry point that changes the engine calls this
 * first, so that ESP fed late is counted in the order it was fed. */
void engine_esp_later_complete(ipsecdiag_engine_t *engine);
static inline void engine_settle(ipsecdiag_engine_t *engine)
{
  if (engine->esp_later_count)
    engine_esp_later_complete(engine);
}
/* engine_esp_icmp.c: ipsecdiag_engine_feed_esp without settling first. */
const ipsecdiag_frame_t *engine_feed_esp_now(ipsecdiag_engine_t *engine, const ipsecdiag_packet_t *pkt,
                                             guint32 spi, guint32 sequence, guint32 esp_length);

/* engine.c */
ipsecdiag_frame_t *engine_frame_new(ipsecdiag_engine_t *engine, guint32 frame, guint8 kind);
/* The frame's record, NULL none (the bitmap answers for most frames without one). */
ipsecdiag_frame_t *engine_frame_lookup(const ipsecdiag_engine_t *engine, guint32 frame);
ipsecdiag_tunnel_t *engine_tunnel_get(const ipsecdiag_engine_t *engine, guint32 id);
/* The newest IKE SA with this initiator SPI, of either IKE version (NULL none). */
ipsecdiag_tunnel_t *engine_tunnel_by_spi(const ipsecdiag_engine_t *engine, const guint8 spi_i[IKE_SPI_LEN]);
ipsecdiag_tunnel_t *engine_tunnel_by_peers(const ipsecdiag_engine_t *engine,
                                           const ipsecdiag_addr_t *a, const ipsecdiag_addr_t *b);
int engine_tunnel_direction(const ipsecdiag_tunnel_t *tunnel, const ipsecdiag_endpoint_t *src);
/* engine.c: a 64-bit digest of bytes (an IKE message for retransmission
 * detection, two peers' addresses for the peers map). */
guint64 engine_message_digest(const guint8 *data, gsize len);

/* engine_findings.c */
ipsecdiag_finding_t *finding_new(const char *rule_id, guint32 frame, guint32 tunnel, gboolean final);
void finding_set(ipsecdiag_finding_t *finding, const char *key, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
/* Attach to the frame record (which owns it) and to the tunnel. */
void engine_attach_finding(ipsecdiag_engine_t *engine, ipsecdiag_frame_t *frame, ipsecdiag_finding_t *finding);
void engine_add_global_finding(ipsecdiag_engine_t *engine, ipsecdiag_finding_t *finding);
/* Once per engine: a bounded table is full (rule tunnel_cap_reached, esp_sa_cap_reached). */
void engine_note_cap(ipsecdiag_engine_t *engine, gboolean *noted, const char *rule_id, guint32 frame, guint cap);
/* The same, and the note is also attached to the frame that hit the cap (shown there). */
void engine_note_cap_on_frame(ipsecdiag_engine_t *engine, gboolean *noted, const char *rule_id,
                              ipsecdiag_frame_t *frame, guint cap);
/* Immediate checks when a message was retransmitted or answered. */
void engine_check_retransmission(ipsecdiag_engine_t *engine, ipsecdiag_tunnel_t *tunnel,
                                 ipsecdiag_message_t *message, ipsecdiag_frame_t *frame);
void engine_check_answer(ipsecdiag_engine_t *engine, ipsecdiag_tunnel_t *tunnel,
                         const ipsecdiag_message_t *request, ipsecdiag_frame_t *frame);
/* The tunnel's first request was just answered: an earlier IKE SA of the
 * other IKE version between the same peers that got no answer was ignored
 * for its version. */
void engine_check_version_fallback(ipsecdiag_engine_t *engine, ipsecdiag_tunnel_t *tunnel,
                                   ipsecdiag_frame_t *frame);
void engine_check_new_tunnel(ipsecdiag_engine_t *engine, ipsecdiag_tunnel_t *tunnel,
                             ipsecdiag_frame_t *frame);
void engine_set_message_params(const ipsecdiag_engine_t *engine, const ipsecdiag_tunnel_t *tunnel,
                               const ipsecdiag_message_t *message, ipsecdiag_finding_t *finding);
gboolean engine_message_is_first(const ipsecdiag_message_t *message);

/* engine_negotiation.c: what the cleartext parts of a new message say. */
void engine_check_negotiation(ipsecdiag_engine_t *engine, ipsecdiag_tunnel_t *tunnel, const ike_message_t *msg,
                              ipsecdiag_frame_t *frame, const ipsecdiag_packet_t *pkt, ipsecdiag_role_t role);

/* At finalize: NO_PROPOSAL_CHOSEN findings raised before the other peer's own
 * offer appeared get the differing attributes. */
void engine_refresh_proposal_differences(ipsecdiag_engine_t *engine);

/* engine_inferred.c: failures read from the size and order of encrypted messages. */
void engine_check_inferred(ipsecdiag_engine_t *engine, ipsecdiag_tunnel_t *tunnel, ipsecdiag_message_t *message,
                           ipsecdiag_frame_t *frame);
/* The inferred rule a message still shows, given everything fed so far (NULL none). */
const char *engine_inferred_rule(const ipsecdiag_engine_t *engine, const ipsecdiag_tunnel_t *tunnel,
                                 const ipsecdiag_message_t *message);

/* engine_natd.c */
void engine_check_nat_detection(ipsecdiag_tunnel_t *tunnel, const ike_message_t *msg,
                                const ipsecdiag_packet_t *pkt, ipsecdiag_role_t sender);
gboolean engine_is_natt_vendor_id(const guint8 *data, gsize len);
/* A NAT between the peers (NAT-D or a rewritten IKE source port) while a peer
 * does not offer NAT-T: judged on the responder's first answer. */
void engine_check_natt_support(ipsecdiag_engine_t *engine, ipsecdiag_tunnel_t *tunnel, ipsecdiag_frame_t *frame,
                               const ipsecdiag_packet_t *pkt, ipsecdiag_role_t sender, gboolean first_response);

/* engine_esp_health.c: per-SPI sequence analysis, one-way / missing / stale
 * ESP, NAT-T vs native ESP, NAT keepalives. */
void engine_esp_health_free(struct engine_esp_health *health);
/* A new ESP SA (after linking by endpoints) and each of its packets (the
 * first included: counts, times, sequence); may raise immediate findings on
 * a frame record it creates. */
void engine_esp_sa_created(ipsecdiag_engine_t *engine, esp_sa_t *sa, const ipsecdiag_packet_t *pkt);
ipsecdiag_frame_t *engine_esp_packet(ipsecdiag_engine_t *engine, esp_sa_t *sa, const ipsecdiag_packet_t *pkt,
                                     guint32 sequence, guint32 esp_length);
/* The tunnel's NAT detection now expects NAT-T (it did not before): its
 * SAs' native ESP is checked again (esp_native_despite_nat). */
void engine_esp_natt_now_expected(ipsecdiag_engine_t *engine, guint32 tunnel);
/* TRUE when ESP packets of the tunnel were counted (either direction). */
gboolean engine_esp_seen(const ipsecdiag_engine_t *engine, guint32 tunnel);
/* Any IKE packet or NAT keepalive of a tunnel (keepalive: the frame is one). */
void engine_esp_note_tunnel_packet(ipsecdiag_engine_t *engine, const ipsecdiag_tunnel_t *tunnel,
                                   const ipsecdiag_packet_t *pkt, gboolean keepalive);
/* An INVALID_SPI notify: the SPI its sender has no SA for. */
void engine_esp_note_invalid_spi(ipsecdiag_engine_t *engine, const ipsecdiag_packet_t *pkt, const ike_notify_t *notify);
/* End-of-capture ESP findings of a tunnel, and of ESP SAs without a tunnel (tunnel 0). */
void engine_esp_evaluate_tunnel(const ipsecdiag_engine_t *engine, const ipsecdiag_tunnel_t *tunnel,
                                GPtrArray *out);
void engine_esp_evaluate_unlinked(const ipsecdiag_engine_t *engine, GPtrArray *out);
/* The frame record an ESP finding of finalize is shown on, created if needed (NULL: not ESP). */
ipsecdiag_frame_t *engine_esp_finding_frame(ipsecdiag_engine_t *engine, const ipsecdiag_finding_t *finding);

/* engine_lifecycle.c: fragments, liveness, rekeys, deletes, flapping. */
engine_lifecycle_t *engine_lifecycle_new(void);
void engine_lifecycle_free(engine_lifecycle_t *life);
/* After a new message (message NULL when the tunnel's table is full). */
void engine_lifecycle_on_message(ipsecdiag_engine_t *engine, ipsecdiag_tunnel_t *tunnel,
                                 ipsecdiag_message_t *message, const ike_message_t *msg,
                                 ipsecdiag_frame_t *frame, const ipsecdiag_packet_t *pkt);
/* A more specific rule for an unanswered, retransmitted request (NULL none). */
const char *engine_lifecycle_unanswered_rule(const ipsecdiag_tunnel_t *tunnel, const ipsecdiag_message_t *message);
/* The extra parameters of those rules. */
void engine_lifecycle_message_params(const ipsecdiag_engine_t *engine, const ipsecdiag_tunnel_t *tunnel,
                                     const ipsecdiag_message_t *message, ipsecdiag_finding_t *finding);
/* Some IKE message of the tunnel never reassembled: it explains a stalled exchange. */
gboolean engine_lifecycle_fragments_lost(const ipsecdiag_engine_t *engine, const ipsecdiag_tunnel_t *tunnel);
/* End-of-capture findings of the tunnel's life. */
void engine_lifecycle_evaluate(const ipsecdiag_engine_t *engine, const ipsecdiag_tunnel_t *tunnel, GPtrArray *out);

/* engine_decrypt.c: decrypt with supplied keys, verify PSKs, read what the
 * encrypted messages say. Called for every new (not retransmitted) IKE message. */
void engine_decrypt_message(ipsecdiag_engine_t *engine, ipsecdiag_tunnel_t *tunnel, ipsecdiag_message_t *message,
                            ipsecdiag_frame_t *frame, const ipsecdiag_packet_t *pkt, ipsecdiag_role_t role,
                            const guint8 *data, gsize len, const ike_message_t *msg);
void engine_decrypt_free(ipsecdiag_engine_t *engine);

/* engine_esp_keys.c: ESP SAs with keys derived from KEYMAT (esp_keys.h). */
void engine_esp_keys_add(ipsecdiag_engine_t *engine, const ipsecdiag_esp_derived_t *sa, ipsecdiag_frame_t *frame);
void engine_esp_keys_problem(ipsecdiag_engine_t *engine, guint32 frame, const char *text);
void engine_esp_keys_free(ipsecdiag_engine_t *engine);
/* engine_weak_psk.c: common weak PSKs tried against Aggressive Mode HASH_R /
 * HASH_I (no keys needed). Called for every new (not retransmitted) message. */
void engine_check_weak_psk(ipsecdiag_engine_t *engine, ipsecdiag_tunnel_t *tunnel, ipsecdiag_frame_t *frame,
                           const ipsecdiag_packet_t *pkt, ipsecdiag_role_t role,
                           const guint8 *data, gsize len, const ike_message_t *msg);
void engine_weak_psk_free(ipsecdiag_engine_t *engine);

/* engine_labels.c */
guint8 engine_initial_ttl(guint8 ttl);      /* 32, 64, 128 or 255 */
void engine_update_capture_side(ipsecdiag_tunnel_t *tunnel);
char *engine_format_backoff(const ipsecdiag_message_t *message); /* "1.0, 1.8, 3.2 s" */

#endif
