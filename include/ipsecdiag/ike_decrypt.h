/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag: decryption context of one IKE SA. It is fed every message of
 * the SA in capture order; it keeps what the cleartext exchanges show that
 * decryption and PSK verification need (chosen suite, KE data, nonces,
 * IKEv1 SAi_b and IDs, IKEv2 IKE_SA_INIT messages; bounded), derives keys
 * from what was supplied (PSKs, DH secret, SKEYID*, encryption key, SK_*),
 * decrypts encrypted messages into cleartext messages that ike_parse reads,
 * and checks which supplied PSK each side used.
 *
 * Plain C + glib + libgcrypt; the key structures come from keys.h but no
 * function of the keys store is called, so the context can be tested with
 * keys filled in by hand.
 */
#ifndef IPSECDIAG_IKE_DECRYPT_H
#define IPSECDIAG_IKE_DECRYPT_H

#include <glib.h>
#include "ipsecdiag/ike_parse.h"
#include "ipsecdiag/keys.h"

G_BEGIN_DECLS

#define IKE_DECRYPT_MAX_PSKS 16          /* PSK candidates tried per IKE SA */
#define IKE_DECRYPT_MAX_SAVED_MESSAGE 16384 /* IKE_SA_INIT bytes kept for AUTH */
/* IKEv2 fragments (RFC 7383): one message being reassembled per direction and
 * request/response, each of at most this many fragments and decrypted bytes. */
#define IKE_DECRYPT_MAX_FRAGMENTS 64
#define IKE_DECRYPT_MAX_REASSEMBLED 65536

typedef enum {
  IKE_DEC_NOT_ENCRYPTED = 0,     /* nothing to do (cleartext message recorded) */
  IKE_DEC_OK,                    /* decrypted: see plain */
  IKE_DEC_NO_KEYS,               /* no supplied key applies, or the exchange that
                                    makes keys usable was not captured */
  IKE_DEC_WRONG_KEY,             /* keys were tried and none decrypts it */
  IKE_DEC_INTEGRITY_FAILED,      /* IKEv2: the ICV / AEAD tag does not match */
  IKE_DEC_UNSUPPORTED,           /* algorithm not supported (AES-XCBC PRF ...), or a
                                    fragment that cannot be reassembled */
  IKE_DEC_FRAGMENT,              /* IKEv2 fragment decrypted and kept: the message is
                                    given (IKE_DEC_OK) with its last missing fragment */
} ike_decrypt_status_t;

const char *ike_decrypt_status_name(ike_decrypt_status_t status);

typedef struct {
  ike_decrypt_status_t status;
  guint8 *plain;                 /* rebuilt cleartext message (owned by the result) */
  gsize plain_len;
  gboolean verified;             /* IKEv2 integrity checked, or IKEv1 HASH checked */
  const char *key_label;         /* which key decrypted it: a PSK label or "supplied keys" */
  char detail[160];              /* why it failed, or how it decrypted */
} ike_decrypt_result_t;

void ike_decrypt_result_clear(ike_decrypt_result_t *result);

/* PSK verification of one side. */
typedef enum {
  IKE_PSK_UNKNOWN = 0,           /* not checked (material missing) */
  IKE_PSK_MATCH,                 /* matches a supplied entry (label) */
  IKE_PSK_NO_MATCH,              /* checked against every supplied PSK, none matches */
} ike_psk_verdict_t;

typedef struct {
  ike_psk_verdict_t verdict;
  char label[64];                /* the matching entry */
  const char *how;               /* "HASH_R", "HASH_I", "AUTH", "decryption of MI3" ... */
  guint32 frame;                 /* the frame it was decided on (set by the caller's frame) */
} ike_psk_check_t;

typedef struct ike_decrypt_sa ike_decrypt_sa_t;

ike_decrypt_sa_t *ike_decrypt_sa_new(guint8 version);
void ike_decrypt_sa_free(ike_decrypt_sa_t *sa);

/* Supplies key material (copied; any argument may be NULL). May be called
 * again when better keys are found (e.g. once SPIr is known). */
void ike_decrypt_sa_set_keys(ike_decrypt_sa_t *sa, const ipsecdiag_ike1_keys_t *ike1,
                             const ipsecdiag_ike2_keys_t *ike2,
                             const ipsecdiag_psk_entry_t *const *psks, guint n_psks);
gboolean ike_decrypt_sa_has_keys(const ike_decrypt_sa_t *sa);

/* Feeds one whole message (from the IKE header; msg is its parse). The
 * caller sets frame for the PSK checks. Cleartext messages are recorded;
 * encrypted ones are decrypted when possible. */
void ike_decrypt_sa_feed(ike_decrypt_sa_t *sa, const guint8 *data, gsize len, const ike_message_t *msg,
                         gboolean from_initiator, guint32 frame, ike_decrypt_result_t *result);

/* PSK verification so far: side 0 initiator, 1 responder. */
const ike_psk_check_t *ike_decrypt_sa_psk_check(const ike_decrypt_sa_t *sa, guint side);
/* Set when a check changed with the last feed (cleared by the next feed). */
gboolean ike_decrypt_sa_psk_changed(const ike_decrypt_sa_t *sa);
/* KEYMAT of a Child SA of this IKE SA, with the keys that decrypt its
 * messages (RFC 7296 2.17, RFC 2409 5.5). IKEv2: prf+(SK_d, [g_new |] Ni |
 * Nr), where ni/nr NULL means the nonces of IKE_SA_INIT (the Child SA of
 * IKE_AUTH); protocol and spi are not used. IKEv1: prf(SKEYID_d, [g_new |]
 * protocol | spi | Ni_b | Nr_b) expanded, with the key set that last
 * decrypted a message of side (0 initiator, 1 responder), else the other's.
 * g_new is the Child SA's own DH secret (PFS), NULL without. FALSE with
 * *reason set when SK_d / SKEYID_d or the nonces are not known. */
gboolean ike_decrypt_sa_keymat(const ike_decrypt_sa_t *sa, guint side, const guint8 *g_new, gsize g_new_len,
                               guint8 protocol, guint32 spi, const guint8 *ni, gsize ni_len,
                               const guint8 *nr, gsize nr_len, guint8 *out, gsize out_len,
                               const char **reason);
/* "AES-CBC-256/SHA2-256", what the keys were used with ("" before). */
const char *ike_decrypt_sa_suite(const ike_decrypt_sa_t *sa);

G_END_DECLS

#endif
