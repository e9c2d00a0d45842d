/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag engine: the vendor ID table (engine_vendor_ids.c) and the peer
 * fingerprint built from it and from retransmission timing.
 */
#ifndef IPSECDIAG_ENGINE_VENDOR_H
#define IPSECDIAG_ENGINE_VENDOR_H

typedef struct {
  unsigned len;              /* bytes to compare: a prefix of the payload */
  const char *bytes;
  const char *family;        /* implementation family, NULL for capability VIDs */
  const char *name;          /* as Wireshark names it */
} engine_vendor_id_t;

extern const engine_vendor_id_t engine_vendor_ids[];
extern const unsigned engine_vendor_id_count;

#endif
