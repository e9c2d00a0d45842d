/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag: IKE key derivation and decryption (libgcrypt). Plain C + glib:
 * no epan headers.
 *
 * IKEv1 (RFC 2409): SKEYID for pre-shared keys, SKEYID_d/a/e, the
 * encryption key expansion of appendix B, the phase 1 IV and the IVs of
 * later exchanges (hash of the last phase 1 CBC block and the message ID),
 * CBC decryption with DES, 3DES and AES, HASH_I/HASH_R and the HASH(1)/(2)
 * of Quick Mode and Informational exchanges, and KEYMAT.
 * IKEv2 (RFC 7296): SKEYSEED and prf+, SK payload decryption with AES-CBC,
 * AES-CTR, AES-GCM, AES-CCM, ChaCha20-Poly1305 and 3DES with the integrity
 * check, the AUTH value for pre-shared keys, and KEYMAT for Child SAs.
 *
 * All functions check every length and return FALSE (or 0) when an input
 * is too short, an algorithm is not supported, or libgcrypt fails. Keys are
 * held in fixed buffers; callers wipe what they no longer need with
 * ike_crypto_wipe().
 */
#ifndef IPSECDIAG_IKE_CRYPTO_H
#define IPSECDIAG_IKE_CRYPTO_H

#include <glib.h>

G_BEGIN_DECLS

#define IKE_CRYPTO_MAX_HASH 64     /* SHA-512 */
#define IKE_CRYPTO_MAX_KEY 64      /* cipher key plus salt / integrity key */
#define IKE_CRYPTO_MAX_BLOCK 16

/* Hash functions behind the PRFs (HMAC) and the IKEv1 IVs. */
typedef enum {
  IKE_HASH_NONE = 0,
  IKE_HASH_MD5,
  IKE_HASH_SHA1,
  IKE_HASH_SHA256,
  IKE_HASH_SHA384,
  IKE_HASH_SHA512,
} ike_hash_t;

gsize ike_hash_len(ike_hash_t hash);
const char *ike_hash_name(ike_hash_t hash);
/* IKEv1 phase 1 hash attribute (1 MD5, 2 SHA, 4 SHA2-256, 5 SHA2-384, 6 SHA2-512). */
ike_hash_t ike1_hash_from_attr(guint16 attr);
/* IKEv2 PRF transform ID (1 HMAC_MD5, 2 HMAC_SHA1, 5/6/7 HMAC_SHA2_256/384/512);
 * AES-XCBC and AES-CMAC PRFs are not supported (IKE_HASH_NONE). */
ike_hash_t ike2_prf_hash(guint16 prf_id);

/* A piece of input, for functions that hash a concatenation. */
typedef struct {
  const guint8 *data;
  gsize len;
} ike_chunk_t;

/* prf(key, parts...) = HMAC-hash; out receives ike_hash_len(hash) bytes. */
gboolean ike_prf(ike_hash_t hash, const guint8 *key, gsize key_len,
                 const ike_chunk_t *parts, guint n_parts, guint8 *out);
/* Plain hash of a concatenation (IKEv1 IVs). */
gboolean ike_hash(ike_hash_t hash, const ike_chunk_t *parts, guint n_parts, guint8 *out);
/* prf+ (RFC 7296 2.13): out_len bytes of T1 | T2 | ... with Tn = prf(K, Tn-1 | S | n). */
gboolean ike_prf_plus(ike_hash_t hash, const guint8 *key, gsize key_len,
                      const guint8 *seed, gsize seed_len, guint8 *out, gsize out_len);

void ike_crypto_wipe(void *data, gsize len);
/* Initialises libgcrypt once (safe to call often). */
void ike_crypto_init(void);

/* ------------------------------------------------------------------ IKEv1 */

/* The phase 1 suite as negotiated (SA attributes). */
typedef struct {
  guint16 encr;                   /* attribute 1: 1 DES-CBC, 5 3DES-CBC, 7 AES-CBC */
  guint16 key_bits;               /* attribute 14 (AES: 128, 192, 256; 0 = 128) */
  guint16 hash;                   /* attribute 2 */
} ike1_suite_t;

gsize ike1_cipher_key_len(const ike1_suite_t *suite);   /* 0: unsupported */
gsize ike1_cipher_block_len(const ike1_suite_t *suite); /* 0: unsupported */
/* "AES-CBC-256/SHA2-256" (static buffer not used: writes into buf). */
char *ike1_suite_describe(const ike1_suite_t *suite, char *buf, gsize len);

typedef struct {
  ike1_suite_t suite;
  gsize prf_len;                  /* ike_hash_len(suite.hash) */
  gboolean has_skeyid, has_skeyid_d, has_skeyid_a, has_skeyid_e;
  guint8 skeyid[IKE_CRYPTO_MAX_HASH];
  guint8 skeyid_d[IKE_CRYPTO_MAX_HASH];
  guint8 skeyid_a[IKE_CRYPTO_MAX_HASH];
  guint8 skeyid_e[IKE_CRYPTO_MAX_HASH];
  gsize enc_key_len;              /* 0: no key yet */
  guint8 enc_key[IKE_CRYPTO_MAX_KEY];
} ike1_keys_t;

/* Starts keys for a suite (everything else empty). FALSE if unsupported. */
gboolean ike1_keys_init(ike1_keys_t *keys, const ike1_suite_t *suite);
/* SKEYID = prf(PSK, Ni_b | Nr_b) (pre-shared key authentication). */
gboolean ike1_skeyid_psk(ike1_keys_t *keys, const guint8 *psk, gsize psk_len,
                         const guint8 *ni_b, gsize ni_len, const guint8 *nr_b, gsize nr_len);
/* SKEYID_d/a/e from SKEYID and g^xy, then the encryption key. */
gboolean ike1_derive_from_skeyid(ike1_keys_t *keys, const guint8 *g_xy, gsize g_xy_len,
                                 const guint8 cky_i[8], const guint8 cky_r[8]);
/* The encryption key from SKEYID_e (RFC 2409 appendix B expansion when
 * SKEYID_e is shorter than the key). */
gboolean ike1_enc_key_from_skeyid_e(ike1_keys_t *keys);
/* Use a given encryption key (Wireshark's ikev1_decryption_table); a longer
 * key is cut to the cipher's length, a shorter one is refused. */
gboolean ike1_set_enc_key(ike1_keys_t *keys, const guint8 *key, gsize key_len);

/* Phase 1 IV = hash(g^xi | g^xr) cut to the block size. */
gboolean ike1_phase1_iv(const ike1_suite_t *suite, const guint8 *g_xi, gsize g_xi_len,
                        const guint8 *g_xr, gsize g_xr_len, guint8 iv[IKE_CRYPTO_MAX_BLOCK]);
/* IV of the first message of a later exchange = hash(last phase 1 CBC block
 * | M-ID) cut to the block size. */
gboolean ike1_exchange_iv(const ike1_suite_t *suite, const guint8 last_phase1_block[IKE_CRYPTO_MAX_BLOCK],
                          guint32 message_id, guint8 iv[IKE_CRYPTO_MAX_BLOCK]);
/* CBC-decrypts len bytes (a multiple of the block size) with iv; out has len
 * bytes. next_iv (may be NULL) receives the last ciphertext block, which is
 * the IV of the next message in the same exchange. */
gboolean ike1_decrypt(const ike1_keys_t *keys, const guint8 iv[IKE_CRYPTO_MAX_BLOCK],
                      const guint8 *in, gsize len, guint8 *out, guint8 next_iv[IKE_CRYPTO_MAX_BLOCK]);

/* Phase 1 HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b);
 * HASH_R: the same with g^xr | g^xi | CKY-R | CKY-I and IDir_b. sa_i_b and
 * id_b are payload bodies without the generic header. */
gboolean ike1_phase1_hash(const ike1_keys_t *keys, gboolean responder,
                          const guint8 *g_xi, gsize g_xi_len, const guint8 *g_xr, gsize g_xr_len,
                          const guint8 cky_i[8], const guint8 cky_r[8],
                          const guint8 *sa_i_b, gsize sa_len, const guint8 *id_b, gsize id_len,
                          guint8 *out);
/* HASH(1)/HASH(2)/HASH(3) of Quick Mode and Informational exchanges:
 * prf(SKEYID_a, M-ID | prefix | rest), where rest is the message after the
 * HASH payload (payloads with their headers) and prefix is empty, Ni_b
 * (HASH(2)) or 0 | Ni_b | Nr_b style input prepared by the caller. */
gboolean ike1_exchange_hash(const ike1_keys_t *keys, guint32 message_id,
                            const guint8 *prefix, gsize prefix_len,
                            const guint8 *rest, gsize rest_len, guint8 *out);
/* KEYMAT = prf(SKEYID_d, [g^xy |] protocol | SPI | Ni_b | Nr_b) expanded
 * (K1 | K2 ... with Kn = prf(SKEYID_d, Kn-1 | same input)) to out_len. */
gboolean ike1_keymat(const ike1_keys_t *keys, const guint8 *g_xy, gsize g_xy_len,
                     guint8 protocol, guint32 spi, const guint8 *ni_b, gsize ni_len,
                     const guint8 *nr_b, gsize nr_len, guint8 *out, gsize out_len);

/* ------------------------------------------------------------------ IKEv2 */

/* IKEv2 transform IDs (RFC 7296, RFC 5282, RFC 5930, RFC 7634). */
enum {
  IKE2_ENCR_3DES = 3, IKE2_ENCR_NULL = 11, IKE2_ENCR_AES_CBC = 12, IKE2_ENCR_AES_CTR = 13,
  IKE2_ENCR_AES_CCM_8 = 14, IKE2_ENCR_AES_CCM_12 = 15, IKE2_ENCR_AES_CCM_16 = 16,
  IKE2_ENCR_AES_GCM_8 = 18, IKE2_ENCR_AES_GCM_12 = 19, IKE2_ENCR_AES_GCM_16 = 20,
  IKE2_ENCR_CHACHA20_POLY1305 = 28,
};
enum {
  IKE2_INTEG_NONE = 0, IKE2_INTEG_HMAC_MD5_96 = 1, IKE2_INTEG_HMAC_SHA1_96 = 2,
  IKE2_INTEG_HMAC_MD5_128 = 6, IKE2_INTEG_HMAC_SHA1_160 = 7,
  IKE2_INTEG_HMAC_SHA2_256_128 = 12, IKE2_INTEG_HMAC_SHA2_384_192 = 13,
  IKE2_INTEG_HMAC_SHA2_512_256 = 14,
  /* Not IANA values (the same as keys.h): an ICV of suite.unchecked_icv_len
   * bytes (12 when 0) that is not checked (Wireshark's "ANY 96-bits of
   * Authentication [No Checking]"), and the pre-RFC 4868 SHA-256 cut to 96 bits. */
  IKE2_INTEG_UNCHECKED = 0xff00,
  IKE2_INTEG_HMAC_SHA2_256_96 = 0xff01,
};

typedef struct {
  guint16 encr;                   /* IKE2_ENCR_* */
  guint16 key_bits;               /* AES: 128/192/256; 3DES: 192 */
  guint16 integ;                  /* IKE2_INTEG_* (unused with AEAD ciphers) */
  guint16 prf;                    /* PRF transform ID (for SKEYSEED, prf+ and AUTH) */
  guint16 unchecked_icv_len;      /* with IKE2_INTEG_UNCHECKED: ICV bytes (0 = 12) */
} ike2_suite_t;

gboolean ike2_encr_is_aead(guint16 encr);
gsize ike2_encr_key_len(const ike2_suite_t *suite);   /* cipher key plus salt; 0 unsupported */
gsize ike2_encr_iv_len(const ike2_suite_t *suite);
gsize ike2_icv_len(const ike2_suite_t *suite);        /* ICV length (AEAD tag or integrity) */
gsize ike2_integ_key_len(const ike2_suite_t *suite);  /* 0 for AEAD */
char *ike2_suite_describe(const ike2_suite_t *suite, char *buf, gsize len);
/* "AES-CBC", "AES-GCM-16"...: the IKEv2 encryption transforms decryption
 * knows (IKE2_ENCR_*), NULL for others. */
const char *ike2_encr_name(guint16 encr);
/* "HMAC-SHA2-256-128"...: the HMAC integrity transforms (IKE2_INTEG_*), NULL
 * for none and others. */
const char *ike2_integ_name(guint16 integ);

typedef struct {
  ike2_suite_t suite;
  gsize prf_len, enc_len, integ_len;
  guint8 sk_d[IKE_CRYPTO_MAX_HASH];
  guint8 sk_ai[IKE_CRYPTO_MAX_KEY], sk_ar[IKE_CRYPTO_MAX_KEY];
  guint8 sk_ei[IKE_CRYPTO_MAX_KEY], sk_er[IKE_CRYPTO_MAX_KEY];
  guint8 sk_pi[IKE_CRYPTO_MAX_HASH], sk_pr[IKE_CRYPTO_MAX_HASH];
  gboolean has_sk_d, has_sk_p;    /* sk_e/sk_a are always set once keys are usable */
} ike2_keys_t;

/* SKEYSEED = prf(Ni | Nr, g^ir); SK_* = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr). */
gboolean ike2_derive(ike2_keys_t *keys, const ike2_suite_t *suite,
                     const guint8 *g_ir, gsize g_ir_len,
                     const guint8 *ni, gsize ni_len, const guint8 *nr, gsize nr_len,
                     const guint8 spi_i[8], const guint8 spi_r[8]);
/* Keys given directly (SK_e and SK_a of each direction; SK_d / SK_p may be
 * NULL). Lengths must match the suite. */
gboolean ike2_set_keys(ike2_keys_t *keys, const ike2_suite_t *suite,
                       const guint8 *sk_ei, gsize sk_ei_len, const guint8 *sk_er, gsize sk_er_len,
                       const guint8 *sk_ai, gsize sk_ai_len, const guint8 *sk_ar, gsize sk_ar_len);

typedef enum {
  IKE2_DECRYPT_OK = 0,
  IKE2_DECRYPT_NOT_ENCRYPTED,     /* no SK or SKF payload */
  IKE2_DECRYPT_TRUNCATED,         /* lengths do not add up */
  IKE2_DECRYPT_UNSUPPORTED,       /* algorithm not supported */
  IKE2_DECRYPT_INTEGRITY_FAILED,  /* ICV or AEAD tag does not match: wrong key or damaged */
  IKE2_DECRYPT_BAD_PADDING,       /* decrypted, but the padding length is impossible */
  IKE2_DECRYPT_CRYPTO_ERROR,
} ike2_decrypt_status_t;

const char *ike2_decrypt_status_name(ike2_decrypt_status_t status);

/* Decrypts the SK payload of one whole IKEv2 message (from the IKE header,
 * message length as in the header; data must hold it), or the Encrypted
 * Fragment (SKF, RFC 7383) of one fragment message: then *plain is that
 * fragment's part of the inner payload chain and *first_payload the SKF
 * next-payload field (the inner first payload in fragment 1, 0 in others).
 * from_initiator picks SK_ei/SK_ai or SK_er/SK_ar. On success *plain is the
 * inner payload chain (padding removed, newly allocated, free with g_free)
 * and *first_payload the SK payload's next-payload field. With
 * IKE2_INTEG_UNCHECKED the ICV is skipped. */
ike2_decrypt_status_t ike2_decrypt(const ike2_keys_t *keys, gboolean from_initiator,
                                   const guint8 *data, gsize len,
                                   guint8 **plain, gsize *plain_len, guint8 *first_payload);

/* AUTH for a pre-shared key: prf(prf(PSK, "Key Pad for IKEv2"),
 * <message> | <peer nonce> | prf(SK_p, ID')), where message is the sender's
 * IKE_SA_INIT message, the nonce is the peer's nonce data, and ID' is the
 * sender's ID payload body (without the generic header). */
gboolean ike2_psk_auth(const ike2_keys_t *keys, gboolean initiator,
                       const guint8 *psk, gsize psk_len,
                       const guint8 *init_message, gsize init_len,
                       const guint8 *peer_nonce, gsize peer_nonce_len,
                       const guint8 *id_body, gsize id_len, guint8 *out);
/* KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr). */
gboolean ike2_keymat(const ike2_keys_t *keys, const guint8 *g_ir, gsize g_ir_len,
                     const guint8 *ni, gsize ni_len, const guint8 *nr, gsize nr_len,
                     guint8 *out, gsize out_len);

/* IV tracking of one IKEv1 SA under one set of keys. Phase 1 messages chain
 * from hash(g^xi | g^xr); every later exchange (message ID) starts from
 * hash(last phase 1 block | M-ID) and chains on its own. */
#define IKE1_MAX_EXCHANGE_IVS 16
typedef struct {
  gboolean ready;                 /* phase 1 IV known */
  guint8 p1_initial[IKE_CRYPTO_MAX_BLOCK];
  guint8 p1_next[IKE_CRYPTO_MAX_BLOCK];   /* IV of the next phase 1 message */
  guint8 p1_prev[IKE_CRYPTO_MAX_BLOCK];   /* IV the last one used (its retransmissions) */
  guint n_exchanges, next_slot;
  struct {
    guint32 message_id;
    guint8 next_iv[IKE_CRYPTO_MAX_BLOCK];
    guint8 prev_iv[IKE_CRYPTO_MAX_BLOCK];
  } exchanges[IKE1_MAX_EXCHANGE_IVS];
} ike1_iv_state_t;

typedef enum {
  IKE1_PLAIN_NONE = 0,            /* did not decrypt to a valid payload chain */
  IKE1_PLAIN_PLAUSIBLE,           /* payload chain and padding consistent */
  IKE1_PLAIN_VERIFIED,            /* and HASH(1) checked with SKEYID_a */
} ike1_plain_quality_t;

gboolean ike1_iv_state_init(ike1_iv_state_t *state, const ike1_suite_t *suite,
                            const guint8 *g_xi, gsize g_xi_len, const guint8 *g_xr, gsize g_xr_len);
/* Decrypts one encrypted IKEv1 message (from its header; length as in the
 * header). Tries the IV the chain gives, then the IV a peer would use that
 * never accepted the last phase 1 message. On success returns the quality,
 * *plain a rebuilt cleartext message (header with the E flag cleared and
 * the length adjusted, then the decrypted payloads; g_free it) that
 * ike_parse_message() reads, and advances the state. */
ike1_plain_quality_t ike1_decrypt_message(const ike1_keys_t *keys, ike1_iv_state_t *state,
                                          const guint8 *data, gsize len,
                                          guint8 **plain, gsize *plain_len);
/* Same for IKEv2: a cleartext message rebuilt from the header and the
 * decrypted inner payloads (header next-payload set to the first inner one). */
guint8 *ike2_rebuild_message(const guint8 *data, const guint8 *inner, gsize inner_len,
                             guint8 first_payload, gsize *out_len);

G_END_DECLS

#endif
