/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag: ESP SA keys derived from the IKE exchange. When a decrypting
 * engine reads a Child SA's negotiation (IKEv2 IKE_AUTH or CREATE_CHILD_SA
 * response, IKEv1 QR1) and knows SK_d / SKEYID_d, the nonces and (with PFS)
 * the Child SA's DH secret, it derives KEYMAT (RFC 7296 2.17, RFC 2409 5.5)
 * for both directions and splits it into the encryption key (with the salt
 * of AES-GCM/CTR/CCM and ChaCha20-Poly1305) and the integrity key of the
 * negotiated transforms. The glue hands these SAs to Wireshark's ESP
 * dissector; the tree shows them masked (ipsecdiag_esp_derived_describe).
 *
 * Plain C + glib: no epan headers.
 */
#ifndef IPSECDIAG_ESP_KEYS_H
#define IPSECDIAG_ESP_KEYS_H

#include <glib.h>
#include "ipsecdiag/engine.h"

G_BEGIN_DECLS

/* ESP SAs with derived keys kept per engine (two per Child SA). */
#define IPSECDIAG_MAX_DERIVED_ESP_SAS 65536
#define IPSECDIAG_ESP_KEY_MAX 64       /* cipher key plus salt, or integrity key */

/* One ESP SA (one direction) with derived keys. */
typedef struct {
  guint32 tunnel;                /* the IKE SA it was derived from */
  guint32 frame;                 /* the message that completed the Child SA (QR1, response) */
  guint32 spi;                   /* the SPI the ESP packets carry (the receiver's) */
  ipsecdiag_addr_t src, dst;     /* outer addresses of its ESP packets, as the IKE messages had them */
  guint8 direction;              /* ipsecdiag_esp_direction_t: relative to the IKE SA's roles */
  guint8 ike_version;
  gboolean pfs;                  /* KEYMAT included the Child SA's DH secret */
  guint8 ike_spi_i[IKE_SPI_LEN], ike_spi_r[IKE_SPI_LEN];
  guint16 encr_id, encr_key_bits;  /* IANA ESP / IKEv2 transform type 1 (12 AES-CBC, 20 AES-GCM-16 ...) */
  guint16 integ_id;              /* IANA transform type 3, 0 none (AEAD) */
  guint16 enc_key_len, auth_key_len;
  guint8 enc_key[IPSECDIAG_ESP_KEY_MAX];   /* with the salt for GCM/CTR/CCM/ChaCha20 */
  guint8 auth_key[IPSECDIAG_ESP_KEY_MAX];
} ipsecdiag_esp_derived_t;

/* Derived SAs in the order they were derived (capture order, first pass):
 * a caller that hands them on remembers how many it has seen. */
guint ipsecdiag_engine_esp_derived_count(const ipsecdiag_engine_t *engine);
const ipsecdiag_esp_derived_t *ipsecdiag_engine_esp_derived(const ipsecdiag_engine_t *engine, guint index);
/* The latest derived SA of spi towards dst, -1 none. */
gint ipsecdiag_engine_esp_derived_find(const ipsecdiag_engine_t *engine, guint32 spi, const ipsecdiag_addr_t *dst);
/* Why no ESP keys were derived for the Child SA completed in frame (PFS
 * secret missing, SK_d unknown, transform not supported ...), NULL when they
 * were or the frame completed none. */
const char *ipsecdiag_engine_esp_keymat_problem(const ipsecdiag_engine_t *engine, guint32 frame);

/* "ESP SA 0xc0ffee01 192.0.2.1 -> 198.51.100.2 (initiator to responder):
 * AES-CBC-256/HMAC-SHA2-256-128, encryption key 3f…e1 (32 bytes), integrity
 * key 07…9a (32 bytes), derived from IKE SA 84acb980…/d4745123… (tunnel 1)":
 * keys masked with ipsecdiag_secret_mask. Writes into buf and returns it. */
char *ipsecdiag_esp_derived_describe(const ipsecdiag_esp_derived_t *sa, char *buf, gsize len);
/* "AES-CBC-256/HMAC-SHA2-256-128", "AES-GCM-16-128". */
char *ipsecdiag_esp_derived_suite(const ipsecdiag_esp_derived_t *sa, char *buf, gsize len);

G_END_DECLS

#endif
