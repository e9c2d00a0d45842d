/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag: the analysis engine. It is fed IKE messages, ESP packets and
 * ICMP errors in capture order, tracks IKE SAs ("tunnels") across the switch
 * from UDP 500 to 4500 and across NAT, matches requests with responses,
 * detects retransmissions, and raises named findings (rule ids with
 * parameters). It knows nothing of Wireshark: the glue layer renders the
 * findings with the texts of the rules catalog.
 *
 * Findings come in two kinds. "Immediate" findings are raised while a frame
 * is fed and depend only on what came before it, so a single pass shows them.
 * "Final" findings need the end of the capture (a request that is never
 * answered); ipsecdiag_engine_finalize() attaches them to the frames they
 * concern, and a second pass shows them there too. Finalize also retracts
 * immediate findings the rest of the capture disproved (a request that was
 * "not answered after 3 tries" but answered later).
 */
#ifndef IPSECDIAG_ENGINE_H
#define IPSECDIAG_ENGINE_H

#include <glib.h>
#include "ipsecdiag/ike_parse.h"
#include "ipsecdiag/keys.h"

G_BEGIN_DECLS

/* Bounds that keep memory proportional to tunnels, not packets. */
#define IPSECDIAG_MAX_TUNNELS 200000
#define IPSECDIAG_MAX_MESSAGES_PER_TUNNEL 64   /* distinct messages (retransmissions are counted, not stored) */
#define IPSECDIAG_MAX_SENDS_TIMED 16           /* transmission times kept per message, for the backoff */
#define IPSECDIAG_MAX_ESP_SAS 400000
#define IPSECDIAG_MAX_FINDINGS_PER_TUNNEL 32
#define IPSECDIAG_RETRANSMIT_THRESHOLD 2       /* retransmissions before "unanswered" is raised in one pass */
#define IPSECDIAG_MAX_DECRYPT_SAS 20000        /* IKE SAs with a decryption context (only with keys) */

typedef struct {
  guint8 family;                 /* 4, 6, or 0 when unknown */
  guint8 bytes[16];
} ipsecdiag_addr_t;

typedef struct {
  ipsecdiag_addr_t addr;
  guint16 port;
} ipsecdiag_endpoint_t;

/* What the glue knows of the packet carrying the data. */
typedef struct {
  guint32 frame;                 /* frame number, increasing on the first pass */
  double time;                   /* absolute time in seconds */
  ipsecdiag_endpoint_t src, dst; /* outer IP addresses and UDP ports (0 for native ESP) */
  guint8 ttl;                    /* IPv4 TTL or IPv6 hop limit of the outer header, 0 unknown */
  gboolean non_esp_marker;       /* IKE after the 4-byte zero marker (UDP 4500) */
} ipsecdiag_packet_t;

typedef enum {
  IPSECDIAG_ROLE_UNKNOWN = 0,
  IPSECDIAG_ROLE_INITIATOR,
  IPSECDIAG_ROLE_RESPONDER,
} ipsecdiag_role_t;

typedef enum {
  IPSECDIAG_FRAME_IKE = 1,
  IPSECDIAG_FRAME_ESP,
  IPSECDIAG_FRAME_ICMP,
  IPSECDIAG_FRAME_NAT_KEEPALIVE,
} ipsecdiag_frame_kind_t;

/* Where the capture appears to have been taken, from TTLs and NAT-D. */
typedef enum {
  IPSECDIAG_SIDE_UNKNOWN = 0,
  IPSECDIAG_SIDE_INITIATOR,      /* on or next to the initiator */
  IPSECDIAG_SIDE_RESPONDER,      /* on or next to the responder */
  IPSECDIAG_SIDE_PATH,           /* routers on both sides of the capture point */
} ipsecdiag_capture_side_t;

/* Progress of an IKE SA, ordered by ipsecdiag_state_rank(). */
typedef enum {
  IPSECDIAG_ST_NONE = 0,
  IPSECDIAG_ST_MI1, IPSECDIAG_ST_MR1, IPSECDIAG_ST_MI2, IPSECDIAG_ST_MR2, IPSECDIAG_ST_MI3,
  IPSECDIAG_ST_AI1, IPSECDIAG_ST_AR1,
  IPSECDIAG_ST_INIT_REQ, IPSECDIAG_ST_INIT_RESP, IPSECDIAG_ST_AUTH_REQ,
  IPSECDIAG_ST_P1_DONE,          /* MR3, AI2, or IKE_AUTH answered */
  IPSECDIAG_ST_P2_REQ,           /* QI1 or CREATE_CHILD_SA request */
  IPSECDIAG_ST_P2_RESP,          /* QR1 or CREATE_CHILD_SA response */
  IPSECDIAG_ST_P2_DONE,          /* QI2 */
  IPSECDIAG_ST_ESP,              /* ESP seen for the tunnel */
} ipsecdiag_state_t;

/* A named condition with its parameters, rendered by the glue. */
typedef struct {
  const char *rule_id;           /* static string, e.g. "first_msg_unanswered" */
  guint32 frame;                 /* the frame it is shown on */
  guint32 tunnel;                /* 0 when not tied to a tunnel */
  gboolean final;                /* needed the end of the capture */
  gint message_index;            /* the tunnel message it is about, -1 none */
  guint n_params;
  char **keys;                   /* n_params names (static strings) */
  char **values;                 /* n_params values (owned) */
} ipsecdiag_finding_t;

/* What the engine concluded about one frame. */
typedef struct {
  guint32 frame;
  guint8 kind;                   /* ipsecdiag_frame_kind_t */
  guint8 sender_role;            /* ipsecdiag_role_t */
  guint8 state;                  /* tunnel state after this frame */
  guint8 parse_status;           /* ike_parse_status_t */
  guint32 tunnel;                /* 1-based, 0 when none */
  const char *message;           /* "MR2", "IKE_AUTH request", "QI1", ... (a static string: the glue caches by pointer) */
  guint8 exchange_type;
  guint32 message_id;
  guint32 request_frame;         /* for a response: the first transmission of its request */
  guint32 response_frame;        /* for a request: its first response (set when it arrives) */
  guint32 retransmission_of;     /* first transmission of the same message, 0 if original */
  guint16 retransmission_number; /* 1 for the first retransmission ... */
  double retransmission_delay;   /* seconds since the previous transmission */
  guint32 esp_spi;
  guint32 esp_sequence;
  GPtrArray *findings;           /* ipsecdiag_finding_t*, immediate then final ones; may be NULL */
  /* Decryption (only with keys, see ipsecdiag_engine_set_keys()). */
  guint8 decrypt_status;         /* ike_decrypt_status_t: 0 not encrypted or not tried */
  guint32 decrypted_len;
  guint8 *decrypted;             /* the message rebuilt in the clear (header + payloads), engine-owned */
} ipsecdiag_frame_t;

/* A transmitted IKE message (retransmissions counted, not stored). */
typedef struct {
  guint8 exchange_type;
  guint8 sender_role;
  guint8 n_times;                /* send times kept: ipsecdiag_message_send_time() */
  guint8 ip_fragments;           /* IP fragments its first transmission came in, 0 not fragmented */
  gboolean is_response;          /* IKEv2 R flag; IKEv1: MRx/ARx/QR1 */
  gboolean is_request;           /* expects an answer */
  gboolean on_natt_port;         /* sent on UDP 4500 */
  guint32 message_id;
  guint32 length;
  guint32 encrypted_len;         /* IKEv1 encrypted body / IKEv2 SK payload, 0 if in the clear */
  guint64 digest;                /* of the bytes, for retransmission detection */
  const char *name;
  guint32 first_frame, last_frame;
  double first_time, last_time;
  /* Send times after the first (n_times - 1 of them), allocated at the first
   * retransmission: most messages are sent once, and a tunnel keeps up to
   * IPSECDIAG_MAX_MESSAGES_PER_TUNNEL messages. */
  double *resend_times;
  guint16 sends;                 /* 1 + retransmissions */
  guint16 sends_before_answer;
  gboolean answer_is_response;   /* the answer is the matching response */
  guint32 answer_frame;          /* first new message of the peer after it (0 = none) */
  double answer_time;
  gboolean decrypted;            /* its payloads were read with supplied keys */
} ipsecdiag_message_t;

/* The time of the message's send number k (0 = first), k < n_times. */
static inline double ipsecdiag_message_send_time(const ipsecdiag_message_t *message, guint k)
{
  return k == 0 ? message->first_time : message->resend_times[k - 1];
}

#define IPSECDIAG_NATD_I_SRC_OK 0x01
#define IPSECDIAG_NATD_I_SRC_BAD 0x02
#define IPSECDIAG_NATD_I_DST_OK 0x04
#define IPSECDIAG_NATD_I_DST_BAD 0x08
#define IPSECDIAG_NATD_R_SRC_OK 0x10
#define IPSECDIAG_NATD_R_SRC_BAD 0x20
#define IPSECDIAG_NATD_R_DST_OK 0x40
#define IPSECDIAG_NATD_R_DST_BAD 0x80

typedef struct {
  guint32 id;                    /* 1-based */
  guint8 version;                /* 1 or 2 */
  guint8 mode;                   /* exchange type that opened it: Main, Aggressive, IKE_SA_INIT, or the first seen */
  /* What ESP handling reads (once per ESP SA): together at the start. */
  guint8 state;                  /* highest ipsecdiag_state_t reached (by rank) */
  gint8 nat_initiator;           /* -1 unknown, 0 no NAT, 1 NAT in front of the initiator */
  gint8 nat_responder;           /* same for the responder */
  guint8 natd_forced;            /* bit 0 initiator, bit 1 responder: its own NAT-D source hash is
                                    wrong although captured at the sender (initial TTL), so no
                                    NAT could have changed it: it fakes NAT-D to force UDP
                                    encapsulation (strongSwan encap=yes, kernel-libipsec) */
  gboolean natt_used;            /* IKE or ESP seen on UDP 4500 */
  guint8 spi_i[IKE_SPI_LEN], spi_r[IKE_SPI_LEN];
  ipsecdiag_endpoint_t initiator, responder;             /* as first seen */
  ipsecdiag_endpoint_t initiator_natt, responder_natt;   /* on UDP 4500, port 0 if not seen */
  gboolean natt_offered;         /* NAT-D or NAT-T vendor ID or NAT_DETECTION notifies */
  guint8 natt_offered_by;        /* bit 0 the initiator, bit 1 the responder offered NAT-T */
  gboolean natt_missing_noted;
  gboolean nat_port_translated;  /* the initiator's IKE source port was not 500/4500 */
  guint8 capture_side;           /* ipsecdiag_capture_side_t */
  gint8 capture_inside_initiator_nat; /* NAT-D: 1 capture between initiator and its NAT, 0 outside, -1 unknown */
  guint8 natd_results;           /* IPSECDIAG_NATD_* bits: which NAT-D hashes matched what the capture shows */
  gboolean roles_guessed;        /* IKEv1 SA first seen after its first message */
  guint8 initiator_ttl, responder_ttl;  /* last seen, 0 none */
  guint32 first_frame, last_frame;
  double first_time, last_time;
  guint32 n_packets;             /* IKE packets */
  guint32 n_retransmissions;
  guint32 n_esp_spis;
  guint n_messages;
  guint messages_allocated;      /* grows by doubling up to IPSECDIAG_MAX_MESSAGES_PER_TUNNEL */
  ipsecdiag_message_t *messages; /* allocated on demand: most IKE SAs have a handful */
  gboolean messages_capped;
  guint32 icmp_frame;            /* an ICMP error quoting this tunnel's IKE, 0 none */
  guint32 superseded_by;         /* a later tunnel between the same two peers */
  guint32 supersedes;            /* the earlier tunnel between the same two peers */
  guint32 other_version_answered; /* its first request went unanswered while a later IKE SA
                                    of the other IKE version between the same peers was answered */
  GPtrArray *findings;           /* every finding of the tunnel (immediate and final), not owned */
  /* What the cleartext negotiation shows (NULL when not seen). */
  char *offered_suites;          /* the initiator's first SA, proposals joined by " | " */
  char *chosen_suite;            /* the responder's SA */
  char *implementation[2];       /* [0] initiator, [1] responder: from vendor IDs */
  char *vendor_ids[2];           /* all named vendor IDs per side, joined by ", " */
  char *id_i, *id_r;             /* identities seen in the clear (Aggressive Mode) */
  guint16 ke_group_offered;      /* DH group of the initiator's latest KE (IKEv2), 0 unknown */
  guint16 ke_group_wanted;       /* from INVALID_KE_PAYLOAD, 0 none */
  guint32 invalid_ke_frame;      /* frame of the INVALID_KE_PAYLOAD, 0 none */
  gboolean crypto_checked;       /* the chosen suite was judged once */
  gboolean aggressive_psk_noted;
  guint32 p1_life_seconds;       /* IKEv1: the chosen (or offered) phase 1 lifetime, 0 unknown */
  gboolean lifetimes_noted;
  gboolean ike_fragmentation_seen; /* an RFC 7383 SKF or IKEv1 fragment payload was seen (noted once) */
  /* What decryption with supplied keys showed (NULL / 0 without keys). */
  char *psk_verdict;             /* "initiator: matches entry 'site-a'; responder: ..." */
  char *child_sas;               /* Child SAs negotiated: proposal, PFS, SPIs, selectors */
  guint32 decrypted_messages, undecrypted_messages;
} ipsecdiag_tunnel_t;

typedef struct ipsecdiag_engine ipsecdiag_engine_t;

ipsecdiag_engine_t *ipsecdiag_engine_new(void);
void ipsecdiag_engine_free(ipsecdiag_engine_t *engine);

/* Keys to decrypt IKE and verify PSKs with (not owned: the store must live
 * as long as the engine or until replaced; NULL none). Set before feeding. */
void ipsecdiag_engine_set_keys(ipsecdiag_engine_t *engine, const ipsecdiag_keys_t *keys);

/* Try a short built-in list of common weak PSKs against IKEv1 Aggressive
 * Mode HASH_R / HASH_I (rule weak_psk_found); on by default. */
void ipsecdiag_engine_set_weak_psk_check(ipsecdiag_engine_t *engine, gboolean enabled);

/* Feed one IKE message (data starts at the IKE header, after any non-ESP
 * marker). A 1-byte 0xff payload on UDP 4500 is a NAT keepalive. Returns the
 * frame record (owned by the engine), never NULL. */
const ipsecdiag_frame_t *ipsecdiag_engine_feed_ike(ipsecdiag_engine_t *engine,
                                                   const ipsecdiag_packet_t *pkt,
                                                   const guint8 *data, gsize len);

/* Feed one ESP packet. Returns a frame record only if the frame carries a
 * finding (ESP frames are counted per SPI, not stored); NULL otherwise. */
const ipsecdiag_frame_t *ipsecdiag_engine_feed_esp(ipsecdiag_engine_t *engine,
                                                   const ipsecdiag_packet_t *pkt,
                                                   guint32 spi, guint32 sequence,
                                                   guint32 esp_length);

/* The same, for a caller that does not need the result now (no tree, no
 * tap): the packet is counted one or two ESP packets later, and meanwhile
 * its SA's state is fetched from memory (with thousands of tunnels it is
 * not in the cache). The result is the same as ipsecdiag_engine_feed_esp's.
 * Every other feed, finalize and the setters count pending packets first;
 * queries (const functions) see them only after ipsecdiag_engine_flush. */
void ipsecdiag_engine_feed_esp_later(ipsecdiag_engine_t *engine, const ipsecdiag_packet_t *pkt,
                                     guint32 spi, guint32 sequence, guint32 esp_length);
/* Counts the ESP packets fed with ipsecdiag_engine_feed_esp_later so far. */
void ipsecdiag_engine_flush(ipsecdiag_engine_t *engine);

/* Feed an ICMP or ICMPv6 error: icmp_family is 4 or 6, quoted points at the
 * quoted IP header. Returns NULL if the quoted packet is not IKE. */
const ipsecdiag_frame_t *ipsecdiag_engine_feed_icmp(ipsecdiag_engine_t *engine,
                                                    const ipsecdiag_packet_t *pkt,
                                                    guint8 icmp_family, guint8 type, guint8 code,
                                                    const guint8 *quoted, gsize quoted_len);

/* The stored record of a frame, or NULL. */
const ipsecdiag_frame_t *ipsecdiag_engine_frame(const ipsecdiag_engine_t *engine, guint32 frame);

/* The tunnel an ESP SPI (towards dst) was linked to; 0 if none. */
guint32 ipsecdiag_engine_esp_tunnel(const ipsecdiag_engine_t *engine, guint32 spi,
                                    const ipsecdiag_addr_t *dst);

/* Attach end-of-capture findings. Idempotent; cheap when nothing was fed
 * since the last call. */
void ipsecdiag_engine_finalize(ipsecdiag_engine_t *engine);
gboolean ipsecdiag_engine_is_finalized(const ipsecdiag_engine_t *engine);

guint ipsecdiag_engine_tunnel_count(const ipsecdiag_engine_t *engine);
const ipsecdiag_tunnel_t *ipsecdiag_engine_tunnel(const ipsecdiag_engine_t *engine, guint32 id);

/* The findings the end of the capture would give a tunnel if it ended now
 * (what finalize attaches), appended to out as newly allocated findings
 * (free with ipsecdiag_finding_free). */
void ipsecdiag_engine_evaluate_tunnel(const ipsecdiag_engine_t *engine, guint32 id, GPtrArray *out);

/* Findings not tied to a frame's own message (e.g. caps hit); may be empty. */
const GPtrArray *ipsecdiag_engine_global_findings(const ipsecdiag_engine_t *engine);

void ipsecdiag_finding_free(gpointer finding);
const char *ipsecdiag_finding_param(const ipsecdiag_finding_t *finding, const char *key);

/* IP fragments of IKE or ESP datagrams: one call per fragment, before the
 * reassembled message (if any) is fed for the same frame. ip_id is the IPv4
 * identification (16 bits) or the IPv6 Fragment header's (32 bits); offset is
 * in bytes, payload the fragment's data after the IP header (IPv6: after the
 * Fragment header). Returns the frame record when the frame carries a first
 * fragment of an IKE message, else NULL (or the existing record). */
const ipsecdiag_frame_t *ipsecdiag_engine_feed_ip_fragment(ipsecdiag_engine_t *engine,
                                                           const ipsecdiag_packet_t *pkt,
                                                           guint32 ip_id, guint8 protocol,
                                                           guint32 offset, gboolean more_fragments,
                                                           const guint8 *payload, gsize len);

/* An IPv6 packet's Fragment header (RFC 8200 section 4.5), found after at
 * most 8 hop-by-hop, routing and destination options headers. */
typedef struct {
  guint32 identification;
  guint32 offset;                /* in bytes */
  gboolean more_fragments;       /* M flag */
  guint8 protocol;               /* the Fragment header's next header */
  gsize payload;                 /* offset of the fragment's data from the IPv6 header */
  gsize payload_len;             /* its length per the payload length field, bounded by len */
} ipsecdiag_ipv6_fragment_t;

/* Read the Fragment header of the IPv6 packet at packet[0..len). FALSE when
 * it is not IPv6, has no Fragment header within the first 8 extension
 * headers, or a header does not fit in len. */
gboolean ipsecdiag_ipv6_fragment(const guint8 *packet, gsize len, ipsecdiag_ipv6_fragment_t *out);

/* What an encrypted Informational exchange carried, when decryption knows it.
 * Without it the engine infers it from order, timing and size. */
typedef enum {
  IPSECDIAG_INFO_UNKNOWN = 0,
  IPSECDIAG_INFO_EMPTY,          /* IKEv2 liveness check */
  IPSECDIAG_INFO_DPD,            /* IKEv1 R-U-THERE or R-U-THERE-ACK */
  IPSECDIAG_INFO_DELETE_IKE,     /* Delete of the IKE SA */
  IPSECDIAG_INFO_DELETE_CHILD,   /* Delete of Child / IPsec SAs */
  IPSECDIAG_INFO_OTHER,          /* other notifies, configuration */
} ipsecdiag_informational_t;

/* Tell the engine what the Informational first sent in frame carried. */
void ipsecdiag_engine_set_informational(ipsecdiag_engine_t *engine, guint32 frame,
                                        ipsecdiag_informational_t content);

/* A tunnel's life as the capture shows it (for the tunnels table). */
typedef struct {
  gboolean established;          /* IKE SA up in the capture (or first seen mid-life) */
  gboolean established_mid_life; /* first seen after it was established (e.g. a rekeyed successor) */
  double established_time;       /* absolute time */
  guint32 established_frame;
  double capture_start;          /* the first IKE time fed, to make times relative */
  guint child_rekeys;            /* Child SA rekeys seen in this IKE SA */
  guint ike_rekeys;              /* this IKE SA rekeyed / renewed (0 or 1) */
  guint deletes;                 /* Informationals read as Deletes */
  guint liveness_checks;         /* answered IKEv2 INFORMATIONAL requests that are neither Deletes nor after rekeys */
  guint8 deleted_by;             /* ipsecdiag_role_t of the final Delete, 0 none */
  double lifetime;               /* establishment to its end, -1 when still up or unknown */
  const char *end;               /* "deleted", "rekeyed", "renewed", "peer silent", "replaced", NULL still up */
} ipsecdiag_lifecycle_t;

void ipsecdiag_engine_lifecycle(const ipsecdiag_engine_t *engine, guint32 id, ipsecdiag_lifecycle_t *out);

/* Labels. */
const char *ipsecdiag_role_name(guint8 role);                /* "initiator", "responder", "unknown" */
const char *ipsecdiag_state_name(guint8 state);              /* "phase 1: MR2", "phase 2 done", "ESP flowing" */
int ipsecdiag_state_rank(guint8 state);
const char *ipsecdiag_capture_side_name(guint8 side);        /* "initiator side", ... */
char *ipsecdiag_addr_to_str(const ipsecdiag_addr_t *addr, char *buf, gsize len); /* buf >= 46 */
char *ipsecdiag_endpoint_to_str(const ipsecdiag_endpoint_t *ep, char *buf, gsize len); /* buf >= 56 */
gboolean ipsecdiag_addr_equal(const ipsecdiag_addr_t *a, const ipsecdiag_addr_t *b);
/* What the NAT-D hashes say, e.g. "initiator behind NAT; responder forces UDP
 * encapsulation" or "no NAT". */
char *ipsecdiag_nat_describe(const ipsecdiag_tunnel_t *tunnel, char *buf, gsize len);
/* The peers detected NAT (or one forces it): they move to UDP 4500. */
gboolean ipsecdiag_natt_expected(const ipsecdiag_tunnel_t *tunnel);

G_END_DECLS

#endif
