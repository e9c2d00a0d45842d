/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag: the keys file. Secrets the engineer supplies so that encrypted
 * IKE can be read and PSKs verified: PSKs (optionally scoped to a peer
 * address or ID), DH shared secrets per IKE SA, IKEv1 derived keys per
 * cookie, IKEv2 SK_* per SPI pair, ESP keys per SPI. Wireshark's own
 * ikev1_decryption_table and ikev2_decryption_table files load as they are.
 *
 * Plain C + glib: no epan headers. A bad line is reported with file and line
 * and skipped; the rest loads. Secrets are never rendered in full: use
 * ipsecdiag_secret_mask() for anything shown to a user.
 */
#ifndef IPSECDIAG_KEYS_H
#define IPSECDIAG_KEYS_H

#include <glib.h>
#include "ipsecdiag/ike_parse.h"

G_BEGIN_DECLS

#define IPSECDIAG_KEY_MAX 512      /* bytes: the largest secret accepted (a MODP-8192 DH secret is 1024 hex digits) */

typedef struct {
  gsize len;
  guint8 *data;                    /* owned by the key store */
} ipsecdiag_secret_t;

typedef struct {
  char *label;                     /* name=..., or "line N" when none */
  char *source;                    /* "file:line" */
  ipsecdiag_secret_t psk;
  char *peer_addr;                 /* NULL: any peer */
  char *peer_id;                   /* NULL: any ID */
} ipsecdiag_psk_entry_t;

/* IKEv1 keys of one IKE SA (by initiator cookie). Any field may be empty
 * (len 0); the crypto code derives what it can from what is present. */
typedef struct {
  guint8 cookie_i[IKE_SPI_LEN];
  gboolean has_cookie_r;
  guint8 cookie_r[IKE_SPI_LEN];
  ipsecdiag_secret_t dh_secret;    /* g^xy */
  ipsecdiag_secret_t skeyid, skeyid_d, skeyid_a, skeyid_e;
  ipsecdiag_secret_t enc_key;      /* the cipher key itself (Wireshark's ikev1_decryption_table) */
  char *source;
} ipsecdiag_ike1_keys_t;

/* IKEv2 keys of one IKE SA (by SPI pair). Algorithms are IANA transform IDs,
 * 0 when not given (then taken from the negotiation in the capture). */
typedef struct {
  guint8 spi_i[IKE_SPI_LEN], spi_r[IKE_SPI_LEN];
  ipsecdiag_secret_t dh_secret;    /* g^ir */
  ipsecdiag_secret_t sk_d, sk_ai, sk_ar, sk_ei, sk_er, sk_pi, sk_pr;
  guint16 encr_id, encr_key_bits;  /* IKEv2 transform type 1 ID and key length */
  guint16 integ_id;                /* IKEv2 transform type 3 ID */
  char *source;
} ipsecdiag_ike2_keys_t;

/* ESP SA keys (by SPI and destination). */
typedef struct {
  guint32 spi;
  char *src, *dst;                 /* addresses as written, "*" any */
  char *encr;                      /* Wireshark esp_sa names or IANA-ish names as written */
  ipsecdiag_secret_t enc_key;
  char *integ;
  ipsecdiag_secret_t auth_key;
  char *source;
} ipsecdiag_esp_keys_t;

typedef struct ipsecdiag_keys ipsecdiag_keys_t;

ipsecdiag_keys_t *ipsecdiag_keys_new(void);
void ipsecdiag_keys_free(ipsecdiag_keys_t *keys);

/* Load a keys file (format detected per file: ipsecdiag keys file, or
 * Wireshark's ikev1/ikev2 decryption table). Problems are appended to errors
 * as "file:line: message" strings (owned by the array). Returns the number of
 * entries loaded. */
guint ipsecdiag_keys_load_file(ipsecdiag_keys_t *keys, const char *path, GPtrArray *errors);
/* The same from memory; name is used in messages. */
guint ipsecdiag_keys_load_data(ipsecdiag_keys_t *keys, const char *name, const char *data,
                               gsize len, GPtrArray *errors);

/* Lookups: NULL when absent. */
guint ipsecdiag_keys_psk_count(const ipsecdiag_keys_t *keys);
const ipsecdiag_psk_entry_t *ipsecdiag_keys_psk(const ipsecdiag_keys_t *keys, guint index);
const ipsecdiag_ike1_keys_t *ipsecdiag_keys_ike1(const ipsecdiag_keys_t *keys,
                                                 const guint8 cookie_i[IKE_SPI_LEN]);
const ipsecdiag_ike2_keys_t *ipsecdiag_keys_ike2(const ipsecdiag_keys_t *keys,
                                                 const guint8 spi_i[IKE_SPI_LEN],
                                                 const guint8 spi_r[IKE_SPI_LEN]);
guint ipsecdiag_keys_esp_count(const ipsecdiag_keys_t *keys);
const ipsecdiag_esp_keys_t *ipsecdiag_keys_esp(const ipsecdiag_keys_t *keys, guint index);

/* "3f9a…e1 (32 bytes)": first and last byte in hex at most; never the whole secret.
 * Writes into buf (>= 40 bytes) and returns it. */
char *ipsecdiag_secret_mask(const guint8 *data, gsize len, char *buf, gsize buf_len);

G_END_DECLS

#endif
