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
 * number from lowest to highest was seen) and is not written. An in-order
 * packet then reads and writes only the first four fields, which share the
 * SA's first cache line (see esp_sa_t). */
typedef struct {
  guint64 highest;               /* of the current run */
  guint64 unique;                /* packets of the current run that were new */
  guint8 started;
  guint8 window_implicit;
  guint32 first_sequence;
  guint64 lowest;                /* of the current run */
  guint64 window[IPSECDIAG_ESP_SEQ_WINDOW / 64];
  guint64 expected_before, unique_before;   /* of earlier runs (before restarts) */
  guint32 gaps, largest_gap;
  guint64 duplicates, late, reordered;
  guint32 restarts;
  guint32 first_gap_frame, first_duplicate_frame, first_restart_frame;
  guint32 restart_from;          /* highest sequence before the first restart */
  guint32 restart_to;            /* the sequence number it went back to */
} esp_sequence_t;

/* esp_sa_t.flags: what an ESP packet checks once per SA, and the sender
 * state that lets it leave its tunnel's record alone (engine_esp_health.c). */
enum {
  ESP_SA_UDP = 1 << 0,           /* its first packet was in UDP */
  ESP_SA_NATT_NOTED = 1 << 1,    /* a packet on UDP 4500 marked the tunnel's NAT-T use */
  ESP_SA_NAT_CHECKED = 1 << 2,   /* the first UDP packet was judged (UDP without NAT) */
  ESP_SA_NATIVE_SEEN = 1 << 3,   /* a native packet was noted (native despite NAT) */
  ESP_SA_LAST_SENDER = 1 << 4,   /* it sent its side's last packet on UDP 4500: see esp_side_t */
  ESP_SA_SIDE_UP = 1 << 5,       /* its side's IKE SA was up (states only rise) */
  ESP_SA_LINKED = 1 << 6,        /* it belongs to a tunnel (final once created) */
  ESP_SA_NATIVE_CLEAN = 1 << 7,  /* native, and its tunnel does not expect NAT-T (engine_esp_natt_now_expected) */
};

struct engine_esp_health;

#endif
