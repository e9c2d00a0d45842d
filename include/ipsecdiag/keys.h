/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag: the keys file. Secrets the engineer supplies so that encrypted
 * IKE can be read and PSKs verified: PSKs (optionally scoped to a peer
 * address or ID), DH shared secrets per IKE SA, IKEv1 derived keys per
 * cookie, IKEv2 SK_* per SPI pair, ESP keys per SPI, the DH secrets of
 * Child SAs negotiated with PFS per exchange. Wireshark's own
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

#define IPSECDIAG_KEY_MAX 1024     /* bytes: the largest secret accepted (a MODP-8192 DH secret: 2048 hex digits) */
#define IPSECDIAG_KEYS_MAX_ENTRIES 4096   /* entries per store; later lines are reported and skipped */
#define IPSECDIAG_KEYS_MAX_LINE 8192      /* characters per line */
#define IPSECDIAG_KEYS_MAX_FILE (4 * 1024 * 1024) /* bytes per file */
#define IPSECDIAG_KEYS_MAX_ERRORS 100     /* messages per load; one summary line after that */

/* Algorithm IDs without an IANA number (Wireshark table names): private values. */
#define IPSECDIAG_INTEG_UNCHECKED 0xff00         /* "ANY n-bits [No Checking]": ICV of integ_icv_len bytes, not verified */
#define IPSECDIAG_INTEG_HMAC_SHA2_256_96 0xff01  /* pre-RFC 4868 draft: SHA-256 truncated to 96 bits */
#define IPSECDIAG_INTEG_HMAC_RIPEMD160_96 0xff02 /* RFC 2857 (ESP only) */
#define IPSECDIAG_ENCR_TWOFISH_CBC 0xff10        /* Wireshark esp_sa "TWOFISH-CBC" */

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
 * 0 when not given (then taken from the negotiation in the capture).
 * SK_ei/SK_er hold the whole key material of the cipher: for AES-CTR and
 * AES-GCM the key followed by the 4-byte salt, for AES-CCM by the 3-byte
 * salt (RFC 5930, RFC 5282), as Wireshark's table and charon's log have them. */
typedef struct {
  guint8 spi_i[IKE_SPI_LEN], spi_r[IKE_SPI_LEN];
  ipsecdiag_secret_t dh_secret;    /* g^ir */
  ipsecdiag_secret_t sk_d, sk_ai, sk_ar, sk_ei, sk_er, sk_pi, sk_pr;
  guint16 encr_id, encr_key_bits;  /* IKEv2 transform type 1 ID and key length */
  guint16 integ_id;                /* IKEv2 transform type 3 ID */
  /* Added to the draft: */
  gboolean has_spi_r;              /* FALSE: the entry matches any responder SPI */
  guint16 integ_icv_len;           /* bytes of the truncated ICV when integ_id is known, else 0 */
  guint16 encr_icv_len;            /* AEAD (GCM/CCM/ChaCha20-Poly1305) ICV bytes, else 0 */
  char *source;
} ipsecdiag_ike2_keys_t;

/* ESP SA keys (by SPI and destination). */
typedef struct {
  guint32 spi;
  char *src, *dst;                 /* addresses (canonical text when an address), "*" any */
  char *encr;                      /* Wireshark esp_sa names or IANA-ish names as written */
  ipsecdiag_secret_t enc_key;
  char *integ;
  ipsecdiag_secret_t auth_key;
  char *source;
  /* Added to the draft: the names above resolved (0 when not given or unknown). */
  guint16 encr_id, encr_key_bits, encr_icv_len;  /* IANA transform type 1 (ESP uses the IKEv2 IDs) */
  guint16 integ_id, integ_icv_len;               /* IANA transform type 3 */
} ipsecdiag_esp_keys_t;

/* Who sent the request of a Child SA exchange, by IKE SA role. */
typedef enum {
  IPSECDIAG_CHILD_DH_BY_ANY = 0,   /* not given: either */
  IPSECDIAG_CHILD_DH_BY_INITIATOR, /* the IKE SA's original initiator (IKEv2 I flag set) */
  IPSECDIAG_CHILD_DH_BY_RESPONDER,
} ipsecdiag_child_dh_by_t;

/* The DH shared secret (g^ir new, g(qm)^xy) of one Child SA negotiated with
 * PFS: the KE payloads of an IKEv2 CREATE_CHILD_SA or IKEv1 Quick Mode.
 * Keyed by the IKE SA's SPIs (cookies) and the exchange's message ID; IKEv2
 * counts message IDs per requester, so `by` says whose request it was
 * (IKEv1 Quick Mode message IDs are random and unique per ISAKMP SA). */
typedef struct {
  guint8 spi_i[IKE_SPI_LEN], spi_r[IKE_SPI_LEN];
  guint32 message_id;
  guint8 by;                       /* ipsecdiag_child_dh_by_t */
  ipsecdiag_secret_t dh_secret;
  char *source;
} ipsecdiag_child_dh_t;

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

/* Lookups: NULL when absent. ipsecdiag_keys_ike2 prefers the entry with
 * exactly this SPI pair, then one given with spi_i only; spi_r may be NULL or
 * all zero (IKE_SA_INIT request) to match on spi_i alone. */
guint ipsecdiag_keys_psk_count(const ipsecdiag_keys_t *keys);
const ipsecdiag_psk_entry_t *ipsecdiag_keys_psk(const ipsecdiag_keys_t *keys, guint index);
const ipsecdiag_ike1_keys_t *ipsecdiag_keys_ike1(const ipsecdiag_keys_t *keys,
                                                 const guint8 cookie_i[IKE_SPI_LEN]);
const ipsecdiag_ike2_keys_t *ipsecdiag_keys_ike2(const ipsecdiag_keys_t *keys,
                                                 const guint8 spi_i[IKE_SPI_LEN],
                                                 const guint8 spi_r[IKE_SPI_LEN]);
guint ipsecdiag_keys_esp_count(const ipsecdiag_keys_t *keys);
const ipsecdiag_esp_keys_t *ipsecdiag_keys_esp(const ipsecdiag_keys_t *keys, guint index);

/* Added to the draft: enumerate the IKE entries (index < count). */
guint ipsecdiag_keys_ike1_count(const ipsecdiag_keys_t *keys);
const ipsecdiag_ike1_keys_t *ipsecdiag_keys_ike1_nth(const ipsecdiag_keys_t *keys, guint index);
guint ipsecdiag_keys_ike2_count(const ipsecdiag_keys_t *keys);
const ipsecdiag_ike2_keys_t *ipsecdiag_keys_ike2_nth(const ipsecdiag_keys_t *keys, guint index);

/* Child SA DH secrets (child-dh lines). The lookup prefers an entry whose
 * `by` names the requester's role, then one without `by`; NULL none. */
guint ipsecdiag_keys_child_dh_count(const ipsecdiag_keys_t *keys);
const ipsecdiag_child_dh_t *ipsecdiag_keys_child_dh_nth(const ipsecdiag_keys_t *keys, guint index);
const ipsecdiag_child_dh_t *ipsecdiag_keys_child_dh(const ipsecdiag_keys_t *keys,
                                                    const guint8 spi_i[IKE_SPI_LEN],
                                                    const guint8 spi_r[IKE_SPI_LEN], guint32 message_id,
                                                    ipsecdiag_child_dh_by_t requester);

/* Added to the draft: algorithm names as the keys file, Wireshark's tables,
 * strongSwan or IANA spell them ("AES-CBC-256 [RFC3602]", "aes256",
 * "AES_GCM_16_128", "ENCR_AES_CBC", "HMAC_SHA2_256_128", "sha1") to IANA
 * transform IDs. FALSE when unknown. */
gboolean ipsecdiag_keys_encr_from_name(const char *name, guint16 *id, guint16 *key_bits,
                                       guint16 *icv_len);
gboolean ipsecdiag_keys_integ_from_name(const char *name, guint16 *id, guint16 *icv_len);

/* "3f…e1 (32 bytes)": the first and last byte in hex for secrets of 16 bytes
 * or more, only the length for shorter ones; never the whole secret.
 * Writes into buf (>= 40 bytes) and returns it. */
char *ipsecdiag_secret_mask(const guint8 *data, gsize len, char *buf, gsize buf_len);

G_END_DECLS

#endif
