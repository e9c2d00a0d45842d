/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag: ESP health per SPI. The engine counts every ESP SA (SPI and
 * destination) without a record per packet: packets, bytes, times, and a
 * fixed-size sequence window that yields loss (with a rate), duplicates or
 * replays, late packets and sequence restarts. This header gives that state
 * to the glue (the `-z ipsecdiag,esp` table) and lets a decrypting engine say
 * which Child SAs the IKE messages negotiated and deleted, so the checks can
 * name a stale or never negotiated SPI instead of guessing from endpoints.
 */
#ifndef IPSECDIAG_ESP_H
#define IPSECDIAG_ESP_H

#include <glib.h>
#include "ipsecdiag/engine.h"

G_BEGIN_DECLS

/* Sequence numbers tracked below the highest one seen, per SPI (bits). */
#define IPSECDIAG_ESP_SEQ_WINDOW 512
/* A sequence number this low after one further back than the window: the
 * sender started the SA's counter again. */
#define IPSECDIAG_ESP_RESTART_LOW 64
/* Child SAs a decrypting engine may register (a table of its own). */
#define IPSECDIAG_MAX_CHILD_SAS 400000

typedef enum {
  IPSECDIAG_ESP_DIR_I2R = 0,     /* IKE initiator to responder */
  IPSECDIAG_ESP_DIR_R2I = 1,
  IPSECDIAG_ESP_DIR_UNKNOWN = 2, /* no IKE SA between the addresses */
} ipsecdiag_esp_direction_t;

/* One ESP SA as the capture shows it (a copy; strings none). */
typedef struct {
  guint32 spi;
  ipsecdiag_endpoint_t src, dst; /* outer addresses; ports 0 for native ESP */
  gboolean udp_encapsulated;     /* ESP in UDP (RFC 3948) */
  guint32 tunnel;                /* 0: no IKE SA between the addresses */
  guint8 direction;              /* ipsecdiag_esp_direction_t */
  guint64 packets, bytes;
  guint32 first_frame, last_frame;
  double first_time, last_time;
  guint32 first_sequence, last_sequence;
  guint64 expected;              /* sequence numbers from the lowest to the highest seen, per run */
  guint64 lost;                  /* expected but never seen */
  guint32 gaps;                  /* forward jumps of more than one */
  guint32 largest_gap;           /* sequence numbers skipped by the largest jump */
  guint64 duplicates;            /* a sequence number seen again (replay or duplication) */
  guint64 late;                  /* older than the window: neither counted lost nor duplicate */
  guint64 reordered;             /* arrived after a higher number, inside the window */
  guint32 restarts;              /* the counter started again on the same SPI */
  guint32 first_gap_frame, first_duplicate_frame, first_restart_frame;
  /* From a decrypting engine (ipsecdiag_engine_note_child_sa), 0 unknown. */
  guint32 negotiated_frame;
  guint32 deleted_frame;
  guint32 rekeyed_frame;         /* a later Child SA replaced this one */
} ipsecdiag_esp_sa_info_t;

/* ESP SAs in the order their first packet was seen. */
guint ipsecdiag_engine_esp_sa_count(const ipsecdiag_engine_t *engine);
gboolean ipsecdiag_engine_esp_sa_info(const ipsecdiag_engine_t *engine, guint index,
                                      ipsecdiag_esp_sa_info_t *out);

/* The index of the ESP SA of spi towards dst, -1 none. */
gint ipsecdiag_engine_esp_sa_index(const ipsecdiag_engine_t *engine, guint32 spi, const ipsecdiag_addr_t *dst);

/* Every finding about this ESP SA as if the capture ended now (immediate
 * ones such as a sequence restart again, and what finalize attaches),
 * appended to out as newly allocated findings. Tunnel-wide ESP findings
 * (one-way, missing) are the tunnel's: ipsecdiag_engine_evaluate_tunnel. */
void ipsecdiag_engine_evaluate_esp_sa(const ipsecdiag_engine_t *engine, guint index, GPtrArray *out);

/* ESP totals of a tunnel (both directions), for the tunnels table. */
typedef struct {
  guint64 packets[2], bytes[2];  /* [0] initiator to responder, [1] back */
  guint64 expected[2], lost[2];
  guint64 duplicates[2];
  guint32 spis[2];
} ipsecdiag_esp_tunnel_totals_t;
void ipsecdiag_engine_esp_tunnel_totals(const ipsecdiag_engine_t *engine, guint32 tunnel,
                                        ipsecdiag_esp_tunnel_totals_t *out);

/* A decrypting engine registers a Child SA it read from the IKE messages of
 * tunnel: spi_i is the SPI the initiator receives on (ESP from the responder
 * carries it), spi_r the one the responder receives on. rekeys_spi, when not
 * 0, is either SPI of the Child SA this one replaces (REKEY_SA). pkt gives
 * the frame and time of the message that completed the negotiation. The
 * checks then link ESP by SPI, not by endpoints, and can tell a stale or
 * never negotiated SPI. Call in capture order, on the first pass. */
void ipsecdiag_engine_note_child_sa(ipsecdiag_engine_t *engine, const ipsecdiag_packet_t *pkt,
                                    guint32 tunnel, guint32 spi_i, guint32 spi_r, guint32 rekeys_spi);
/* A Delete (or the IKE SA's end) for the Child SA that has spi as either SPI. */
void ipsecdiag_engine_note_child_sa_deleted(ipsecdiag_engine_t *engine, const ipsecdiag_packet_t *pkt,
                                            guint32 tunnel, guint32 spi);

/* "UDP 4500", "native (IP protocol 50)". */
const char *ipsecdiag_esp_encapsulation_name(const ipsecdiag_esp_sa_info_t *info);
/* "initiator to responder", "responder to initiator", "unknown". */
const char *ipsecdiag_esp_direction_name(guint8 direction);

G_END_DECLS

#endif
