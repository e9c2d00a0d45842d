/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag engine internals: ESP health (engine_esp_health.c). Per-SPI
 * sequence state of fixed size, Child SAs a decrypting engine registered,
 * NAT keepalives and idle periods per tunnel. Not part of the public API.
 */
#ifndef IPSECDIAG_ENGINE_ESP_HEALTH_H
#define IPSECDIAG_ENGINE_ESP_HEALTH_H

#include "ipsecdiag/esp.h"

/* Sequence state of one ESP SA: a bitmap of the IPSECDIAG_ESP_SEQ_WINDOW
 * numbers up to the highest seen (bit = seq % window), so memory does not
 * grow with packets. 64-bit numbers count 32-bit wraps (ESN).
 * While a run has had only in-order packets the bitmap is implicit (every
 * number from lowest to highest was seen) and is not written: in-order
 * packets then touch one cache line less. */
typedef struct {
  guint8 started;
  guint8 window_implicit;
  guint32 first_sequence;
  guint64 highest, lowest;       /* of the current run */
  guint64 unique;                /* packets of the current run that were new */
  guint64 window[IPSECDIAG_ESP_SEQ_WINDOW / 64];
  guint64 expected_before, unique_before;   /* of earlier runs (before restarts) */
  guint32 gaps, largest_gap;
  guint64 duplicates, late, reordered;
  guint32 restarts;
  guint32 first_gap_frame, first_duplicate_frame, first_restart_frame;
  guint32 restart_from;          /* highest sequence before the first restart */
  guint32 restart_to;            /* the sequence number it went back to */
} esp_sequence_t;

/* Per ESP SA. The fields every packet touches come first (see esp_sa_t). */
typedef struct {
  double last_time;
  gboolean udp_encapsulated;
  gboolean mixed_encapsulation;  /* both native and in UDP */
  guint32 native_frame;          /* first native packet, 0 none */
  gboolean natt_noted;           /* a packet on UDP 4500 marked the tunnel's NAT-T use */
  gboolean nat_checked;          /* the first UDP packet was judged (UDP without NAT) */
  guint32 tunnel_esp_id;         /* the tunnel tunnel_esp belongs to (the SA may be relinked) */
  void *tunnel_esp;              /* the tunnel's ESP record (engine_esp_health.c), cached */
  esp_sequence_t seq;
  guint32 index;                 /* position in the engine's list of ESP SAs */
  double first_time;
  guint32 first_sequence_frame;
  guint16 dst_port;              /* UDP destination port, 0 native */
} esp_health_sa_t;

struct engine_esp_health;

#endif
