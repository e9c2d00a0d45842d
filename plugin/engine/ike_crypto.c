/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag: IKE key derivation and decryption with libgcrypt (see
 * ike_crypto.h). RFC 2409 (IKEv1), RFC 7296 (IKEv2), RFC 5282 (AEAD in
 * IKEv2), RFC 5930 (AES-CTR in IKEv2), RFC 7634 (ChaCha20-Poly1305).
 */
#include <string.h>
#include <gcrypt.h>

#include "ipsecdiag/ike_crypto.h"

#define IKE_HEADER_BYTES 28
#define IKEV2_PAYLOAD_SK 46
#define IKEV2_PAYLOAD_SKF 53      /* RFC 7383 Encrypted Fragment */

static gsize gcrypt_init_done;

void ike_crypto_init(void)
{
  if (g_once_init_enter(&gcrypt_init_done)) {
    /* Wireshark initialises libgcrypt itself; unit tests and fuzzers do not. */
    if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
      gcry_check_version(NULL);
      gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
      gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
    }
    g_once_init_leave(&gcrypt_init_done, 1);
  }
}

void ike_crypto_wipe(void *data, gsize len)
{
  volatile guint8 *p = data;
  while (len--)
    *p++ = 0;
}

/* ------------------------------------------------------------------ hashes */

static int gcry_md_algo(ike_hash_t hash)
{
  switch (hash) {
  case IKE_HASH_MD5: return GCRY_MD_MD5;
  case IKE_HASH_SHA1: return GCRY_MD_SHA1;
  case IKE_HASH_SHA256: return GCRY_MD_SHA256;
  case IKE_HASH_SHA384: return GCRY_MD_SHA384;
  case IKE_HASH_SHA512: return GCRY_MD_SHA512;
  default: return 0;
  }
}

gsize ike_hash_len(ike_hash_t hash)
{
  switch (hash) {
  case IKE_HASH_MD5: return 16;
  case IKE_HASH_SHA1: return 20;
  case IKE_HASH_SHA256: return 32;
  case IKE_HASH_SHA384: return 48;
  case IKE_HASH_SHA512: return 64;
  default: return 0;
  }
}

const char *ike_hash_name(ike_hash_t hash)
{
  switch (hash) {
  case IKE_HASH_MD5: return "MD5";
  case IKE_HASH_SHA1: return "SHA1";
  case IKE_HASH_SHA256: return "SHA2-256";
  case IKE_HASH_SHA384: return "SHA2-384";
  case IKE_HASH_SHA512: return "SHA2-512";
  default: return "unsupported hash";
  }
}

ike_hash_t ike1_hash_from_attr(guint16 attr)
{
  switch (attr) {
  case 1: return IKE_HASH_MD5;
  case 2: return IKE_HASH_SHA1;
  case 4: return IKE_HASH_SHA256;
  case 5: return IKE_HASH_SHA384;
  case 6: return IKE_HASH_SHA512;
  default: return IKE_HASH_NONE;
  }
}

ike_hash_t ike2_prf_hash(guint16 prf_id)
{
  switch (prf_id) {
  case 1: return IKE_HASH_MD5;
  case 2: return IKE_HASH_SHA1;
  case 5: return IKE_HASH_SHA256;
  case 6: return IKE_HASH_SHA384;
  case 7: return IKE_HASH_SHA512;
  default: return IKE_HASH_NONE;
  }
}

static gsize hash_block_len(ike_hash_t hash)
{
  return hash == IKE_HASH_SHA384 || hash == IKE_HASH_SHA512 ? 128 : 64;
}

#define MD_MAX_PARTS 15

/* One hash over the parts without a libgcrypt handle (gcry_md_hash_buffers
 * takes the digest's one-shot path; opening a handle costs more than hashing
 * a few hundred bytes, and the weak-PSK check hashes thousands of times). */
static gboolean md_hash_parts(int algo, const guint8 *prefix, gsize prefix_len,
                              const ike_chunk_t *parts, guint n_parts, guint8 *out)
{
  gcry_buffer_t iov[MD_MAX_PARTS + 1];
  int n = 0;
  memset(iov, 0, sizeof iov);
  if (prefix_len) {
    iov[n].data = (void *)prefix;
    iov[n++].len = prefix_len;
  }
  for (guint i = 0; i < n_parts; i++) {
    if (!parts[i].len)
      continue;
    iov[n].data = (void *)parts[i].data;
    iov[n++].len = parts[i].len;
  }
  return gcry_md_hash_buffers(algo, 0, out, iov, n) == 0;
}

/* HMAC when key is given (an empty key is allowed), else the plain hash.
 * HMAC (RFC 2104) = H(K ^ opad | H(K ^ ipad | message)). */
static gboolean md_digest(ike_hash_t hash, gboolean hmac, const guint8 *key, gsize key_len,
                          const ike_chunk_t *parts, guint n_parts, guint8 *out)
{
  int algo = gcry_md_algo(hash);
  gsize digest_len = ike_hash_len(hash), block_len = hash_block_len(hash);

  if (!algo || out == NULL || (key == NULL && key_len > 0) || n_parts > MD_MAX_PARTS)
    return FALSE;
  ike_crypto_init();
  if (!hmac)
    return md_hash_parts(algo, NULL, 0, parts, n_parts, out);
  guint8 pad[128], inner[IKE_CRYPTO_MAX_HASH];
  memset(pad, 0, sizeof pad);
  if (key_len > block_len) {
    ike_chunk_t whole = {key, key_len};
    if (!md_hash_parts(algo, NULL, 0, &whole, 1, pad))
      return FALSE;
  } else if (key_len) {
    memcpy(pad, key, key_len);
  }
  for (gsize i = 0; i < block_len; i++)
    pad[i] ^= 0x36;
  gboolean ok = md_hash_parts(algo, pad, block_len, parts, n_parts, inner);
  for (gsize i = 0; i < block_len; i++)
    pad[i] ^= 0x36 ^ 0x5c;
  ike_chunk_t inner_part = {inner, digest_len};
  ok = ok && md_hash_parts(algo, pad, block_len, &inner_part, 1, out);
  ike_crypto_wipe(pad, sizeof pad);
  ike_crypto_wipe(inner, sizeof inner);
  return ok;
}

gboolean ike_prf(ike_hash_t hash, const guint8 *key, gsize key_len,
                 const ike_chunk_t *parts, guint n_parts, guint8 *out)
{
  return md_digest(hash, TRUE, key, key_len, parts, n_parts, out);
}

gboolean ike_hash(ike_hash_t hash, const ike_chunk_t *parts, guint n_parts, guint8 *out)
{
  return md_digest(hash, FALSE, NULL, 0, parts, n_parts, out);
}

gboolean ike_prf_plus(ike_hash_t hash, const guint8 *key, gsize key_len,
                      const guint8 *seed, gsize seed_len, guint8 *out, gsize out_len)
{
  gsize hlen = ike_hash_len(hash);
  guint8 t[IKE_CRYPTO_MAX_HASH];
  gsize t_len = 0, done = 0;
  guint8 counter = 1;

  if (hlen == 0 || out == NULL)
    return FALSE;
  /* prf+ is defined for at most 255 rounds. */
  if (out_len > hlen * 255)
    return FALSE;
  while (done < out_len) {
    ike_chunk_t parts[3] = {{t, t_len}, {seed, seed_len}, {&counter, 1}};
    if (!ike_prf(hash, key, key_len, parts, 3, t))
      return FALSE;
    t_len = hlen;
    gsize n = MIN(hlen, out_len - done);
    memcpy(out + done, t, n);
    done += n;
    counter++;
  }
  ike_crypto_wipe(t, sizeof t);
  return TRUE;
}

/* ------------------------------------------------------------------ IKEv1 */

gsize ike1_cipher_key_len(const ike1_suite_t *suite)
{
  switch (suite->encr) {
  case 1: return 8;
  case 5: return 24;
  case 7:
    if (suite->key_bits == 0)
      return 16;
    if (suite->key_bits == 128 || suite->key_bits == 192 || suite->key_bits == 256)
      return suite->key_bits / 8;
    return 0;
  default: return 0;
  }
}

gsize ike1_cipher_block_len(const ike1_suite_t *suite)
{
  switch (suite->encr) {
  case 1: case 5: return 8;
  case 7: return 16;
  default: return 0;
  }
}

static int ike1_gcry_cipher(const ike1_suite_t *suite)
{
  switch (suite->encr) {
  case 1: return GCRY_CIPHER_DES;
  case 5: return GCRY_CIPHER_3DES;
  case 7:
    switch (ike1_cipher_key_len(suite)) {
    case 16: return GCRY_CIPHER_AES128;
    case 24: return GCRY_CIPHER_AES192;
    case 32: return GCRY_CIPHER_AES256;
    default: return 0;
    }
  default: return 0;
  }
}

char *ike1_suite_describe(const ike1_suite_t *suite, char *buf, gsize len)
{
  const char *cipher;
  switch (suite->encr) {
  case 1: cipher = "DES-CBC"; break;
  case 5: cipher = "3DES-CBC"; break;
  case 7: cipher = "AES-CBC"; break;
  default: cipher = "unsupported cipher"; break;
  }
  if (suite->encr == 7)
    g_snprintf(buf, len, "%s-%u/%s", cipher, (guint)ike1_cipher_key_len(suite) * 8,
               ike_hash_name(ike1_hash_from_attr(suite->hash)));
  else
    g_snprintf(buf, len, "%s/%s", cipher, ike_hash_name(ike1_hash_from_attr(suite->hash)));
  return buf;
}

gboolean ike1_keys_init(ike1_keys_t *keys, const ike1_suite_t *suite)
{
  memset(keys, 0, sizeof *keys);
  keys->suite = *suite;
  keys->prf_len = ike_hash_len(ike1_hash_from_attr(suite->hash));
  return keys->prf_len > 0 && ike1_cipher_key_len(suite) > 0;
}

static ike_hash_t ike1_prf_hash(const ike1_keys_t *keys)
{
  return ike1_hash_from_attr(keys->suite.hash);
}

gboolean ike1_skeyid_psk(ike1_keys_t *keys, const guint8 *psk, gsize psk_len,
                         const guint8 *ni_b, gsize ni_len, const guint8 *nr_b, gsize nr_len)
{
  ike_chunk_t parts[2] = {{ni_b, ni_len}, {nr_b, nr_len}};
  if (keys->prf_len == 0 || ni_b == NULL || nr_b == NULL || ni_len == 0 || nr_len == 0)
    return FALSE;
  keys->has_skeyid = ike_prf(ike1_prf_hash(keys), psk, psk_len, parts, 2, keys->skeyid);
  return keys->has_skeyid;
}

gboolean ike1_derive_from_skeyid(ike1_keys_t *keys, const guint8 *g_xy, gsize g_xy_len,
                                 const guint8 cky_i[8], const guint8 cky_r[8])
{
  ike_hash_t hash = ike1_prf_hash(keys);
  gsize plen = keys->prf_len;
  guint8 n;

  if (!keys->has_skeyid || g_xy == NULL || g_xy_len == 0)
    return FALSE;
  n = 0;
  ike_chunk_t d[4] = {{g_xy, g_xy_len}, {cky_i, 8}, {cky_r, 8}, {&n, 1}};
  if (!ike_prf(hash, keys->skeyid, plen, d, 4, keys->skeyid_d))
    return FALSE;
  keys->has_skeyid_d = TRUE;
  n = 1;
  ike_chunk_t a[5] = {{keys->skeyid_d, plen}, {g_xy, g_xy_len}, {cky_i, 8}, {cky_r, 8}, {&n, 1}};
  if (!ike_prf(hash, keys->skeyid, plen, a, 5, keys->skeyid_a))
    return FALSE;
  keys->has_skeyid_a = TRUE;
  n = 2;
  ike_chunk_t e[5] = {{keys->skeyid_a, plen}, {g_xy, g_xy_len}, {cky_i, 8}, {cky_r, 8}, {&n, 1}};
  if (!ike_prf(hash, keys->skeyid, plen, e, 5, keys->skeyid_e))
    return FALSE;
  keys->has_skeyid_e = TRUE;
  return ike1_enc_key_from_skeyid_e(keys);
}

gboolean ike1_enc_key_from_skeyid_e(ike1_keys_t *keys)
{
  gsize need = ike1_cipher_key_len(&keys->suite);
  gsize plen = keys->prf_len;

  if (!keys->has_skeyid_e || need == 0 || plen == 0)
    return FALSE;
  if (plen >= need) {
    memcpy(keys->enc_key, keys->skeyid_e, need);
  } else {
    /* RFC 2409 appendix B: Ka = K1 | K2 | ..., K1 = prf(SKEYID_e, 0),
     * Kn = prf(SKEYID_e, Kn-1). */
    guint8 block[IKE_CRYPTO_MAX_HASH];
    guint8 zero = 0;
    gsize done = 0;
    ike_chunk_t first = {&zero, 1};
    if (!ike_prf(ike1_prf_hash(keys), keys->skeyid_e, plen, &first, 1, block))
      return FALSE;
    while (TRUE) {
      gsize n = MIN(plen, need - done);
      memcpy(keys->enc_key + done, block, n);
      done += n;
      if (done >= need)
        break;
      ike_chunk_t next = {block, plen};
      if (!ike_prf(ike1_prf_hash(keys), keys->skeyid_e, plen, &next, 1, block))
        return FALSE;
    }
    ike_crypto_wipe(block, sizeof block);
  }
  keys->enc_key_len = need;
  return TRUE;
}

gboolean ike1_set_enc_key(ike1_keys_t *keys, const guint8 *key, gsize key_len)
{
  gsize need = ike1_cipher_key_len(&keys->suite);
  if (need == 0 || key == NULL || key_len < need)
    return FALSE;
  memcpy(keys->enc_key, key, need);
  keys->enc_key_len = need;
  return TRUE;
}

gboolean ike1_phase1_iv(const ike1_suite_t *suite, const guint8 *g_xi, gsize g_xi_len,
                        const guint8 *g_xr, gsize g_xr_len, guint8 iv[IKE_CRYPTO_MAX_BLOCK])
{
  ike_hash_t hash = ike1_hash_from_attr(suite->hash);
  gsize block = ike1_cipher_block_len(suite);
  guint8 digest[IKE_CRYPTO_MAX_HASH];
  ike_chunk_t parts[2] = {{g_xi, g_xi_len}, {g_xr, g_xr_len}};

  if (block == 0 || ike_hash_len(hash) < block || !g_xi_len || !g_xr_len)
    return FALSE;
  if (!ike_hash(hash, parts, 2, digest))
    return FALSE;
  memset(iv, 0, IKE_CRYPTO_MAX_BLOCK);
  memcpy(iv, digest, block);
  return TRUE;
}

gboolean ike1_exchange_iv(const ike1_suite_t *suite, const guint8 last_phase1_block[IKE_CRYPTO_MAX_BLOCK],
                          guint32 message_id, guint8 iv[IKE_CRYPTO_MAX_BLOCK])
{
  ike_hash_t hash = ike1_hash_from_attr(suite->hash);
  gsize block = ike1_cipher_block_len(suite);
  guint8 digest[IKE_CRYPTO_MAX_HASH];
  guint8 mid[4] = {(guint8)(message_id >> 24), (guint8)(message_id >> 16),
                   (guint8)(message_id >> 8), (guint8)message_id};
  ike_chunk_t parts[2] = {{last_phase1_block, block}, {mid, 4}};

  if (block == 0 || ike_hash_len(hash) < block)
    return FALSE;
  if (!ike_hash(hash, parts, 2, digest))
    return FALSE;
  memset(iv, 0, IKE_CRYPTO_MAX_BLOCK);
  memcpy(iv, digest, block);
  return TRUE;
}

gboolean ike1_decrypt(const ike1_keys_t *keys, const guint8 iv[IKE_CRYPTO_MAX_BLOCK],
                      const guint8 *in, gsize len, guint8 *out, guint8 next_iv[IKE_CRYPTO_MAX_BLOCK])
{
  int algo = ike1_gcry_cipher(&keys->suite);
  gsize block = ike1_cipher_block_len(&keys->suite);
  gcry_cipher_hd_t hd;
  gboolean ok;

  if (!algo || keys->enc_key_len == 0 || len == 0 || len % block != 0 || in == NULL || out == NULL)
    return FALSE;
  ike_crypto_init();
  if (gcry_cipher_open(&hd, algo, GCRY_CIPHER_MODE_CBC, 0) != 0)
    return FALSE;
  ok = gcry_cipher_setkey(hd, keys->enc_key, keys->enc_key_len) == 0 &&
       gcry_cipher_setiv(hd, iv, block) == 0;
  if (ok) {
    /* in may equal out: keep the last ciphertext block first. */
    guint8 last[IKE_CRYPTO_MAX_BLOCK] = {0};
    memcpy(last, in + len - block, block);
    ok = gcry_cipher_decrypt(hd, out, len, in, len) == 0;
    if (ok && next_iv)
      memcpy(next_iv, last, IKE_CRYPTO_MAX_BLOCK);
  }
  gcry_cipher_close(hd);
  return ok;
}

gboolean ike1_phase1_hash(const ike1_keys_t *keys, gboolean responder,
                          const guint8 *g_xi, gsize g_xi_len, const guint8 *g_xr, gsize g_xr_len,
                          const guint8 cky_i[8], const guint8 cky_r[8],
                          const guint8 *sa_i_b, gsize sa_len, const guint8 *id_b, gsize id_len,
                          guint8 *out)
{
  if (!keys->has_skeyid || !g_xi_len || !g_xr_len || !sa_len || !id_len)
    return FALSE;
  ike_chunk_t parts[6] = {
    {responder ? g_xr : g_xi, responder ? g_xr_len : g_xi_len},
    {responder ? g_xi : g_xr, responder ? g_xi_len : g_xr_len},
    {responder ? cky_r : cky_i, 8},
    {responder ? cky_i : cky_r, 8},
    {sa_i_b, sa_len},
    {id_b, id_len},
  };
  return ike_prf(ike1_prf_hash(keys), keys->skeyid, keys->prf_len, parts, 6, out);
}

gboolean ike1_exchange_hash(const ike1_keys_t *keys, guint32 message_id,
                            const guint8 *prefix, gsize prefix_len,
                            const guint8 *rest, gsize rest_len, guint8 *out)
{
  guint8 mid[4] = {(guint8)(message_id >> 24), (guint8)(message_id >> 16),
                   (guint8)(message_id >> 8), (guint8)message_id};
  ike_chunk_t parts[3] = {{mid, 4}, {prefix, prefix_len}, {rest, rest_len}};
  if (!keys->has_skeyid_a)
    return FALSE;
  return ike_prf(ike1_prf_hash(keys), keys->skeyid_a, keys->prf_len, parts, 3, out);
}

gboolean ike1_keymat(const ike1_keys_t *keys, const guint8 *g_xy, gsize g_xy_len,
                     guint8 protocol, guint32 spi, const guint8 *ni_b, gsize ni_len,
                     const guint8 *nr_b, gsize nr_len, guint8 *out, gsize out_len)
{
  guint8 spi_bytes[4] = {(guint8)(spi >> 24), (guint8)(spi >> 16), (guint8)(spi >> 8), (guint8)spi};
  guint8 block[IKE_CRYPTO_MAX_HASH];
  gsize plen = keys->prf_len, done = 0, prev_len = 0;

  if (!keys->has_skeyid_d || out == NULL || out_len > plen * 255)
    return FALSE;
  while (done < out_len) {
    ike_chunk_t parts[6] = {{block, prev_len}, {g_xy, g_xy ? g_xy_len : 0}, {&protocol, 1},
                            {spi_bytes, 4}, {ni_b, ni_len}, {nr_b, nr_len}};
    if (!ike_prf(ike1_prf_hash(keys), keys->skeyid_d, plen, parts, 6, block))
      return FALSE;
    prev_len = plen;
    gsize n = MIN(plen, out_len - done);
    memcpy(out + done, block, n);
    done += n;
  }
  ike_crypto_wipe(block, sizeof block);
  return TRUE;
}

/* ------------------------------------------------------------------ IKEv2 */

gboolean ike2_encr_is_aead(guint16 encr)
{
  return (encr >= IKE2_ENCR_AES_CCM_8 && encr <= IKE2_ENCR_AES_CCM_16) ||
         (encr >= IKE2_ENCR_AES_GCM_8 && encr <= IKE2_ENCR_AES_GCM_16) ||
         encr == IKE2_ENCR_CHACHA20_POLY1305;
}

static gsize aes_key_bytes(guint16 key_bits)
{
  if (key_bits == 128 || key_bits == 192 || key_bits == 256)
    return key_bits / 8;
  return 0;
}

/* Salt (nonce) bytes at the end of SK_e. */
static gsize encr_salt_len(guint16 encr)
{
  switch (encr) {
  case IKE2_ENCR_AES_CTR: return 4;
  case IKE2_ENCR_AES_GCM_8: case IKE2_ENCR_AES_GCM_12: case IKE2_ENCR_AES_GCM_16: return 4;
  case IKE2_ENCR_AES_CCM_8: case IKE2_ENCR_AES_CCM_12: case IKE2_ENCR_AES_CCM_16: return 3;
  case IKE2_ENCR_CHACHA20_POLY1305: return 4;
  default: return 0;
  }
}

gsize ike2_encr_key_len(const ike2_suite_t *suite)
{
  switch (suite->encr) {
  case IKE2_ENCR_3DES: return 24;
  case IKE2_ENCR_NULL: return 0;
  case IKE2_ENCR_CHACHA20_POLY1305: return 32 + 4;
  case IKE2_ENCR_AES_CBC:
  case IKE2_ENCR_AES_CTR:
  case IKE2_ENCR_AES_CCM_8: case IKE2_ENCR_AES_CCM_12: case IKE2_ENCR_AES_CCM_16:
  case IKE2_ENCR_AES_GCM_8: case IKE2_ENCR_AES_GCM_12: case IKE2_ENCR_AES_GCM_16: {
    gsize k = aes_key_bytes(suite->key_bits);
    return k ? k + encr_salt_len(suite->encr) : 0;
  }
  default: return 0;
  }
}

gsize ike2_encr_iv_len(const ike2_suite_t *suite)
{
  switch (suite->encr) {
  case IKE2_ENCR_3DES: return 8;
  case IKE2_ENCR_AES_CBC: return 16;
  case IKE2_ENCR_NULL: return 0;
  default: return 8;  /* CTR, CCM, GCM, ChaCha20-Poly1305 */
  }
}

static gsize integ_icv_len(guint16 integ)
{
  switch (integ) {
  case IKE2_INTEG_HMAC_MD5_96: case IKE2_INTEG_HMAC_SHA1_96: return 12;
  case IKE2_INTEG_HMAC_MD5_128: return 16;
  case IKE2_INTEG_HMAC_SHA1_160: return 20;
  case IKE2_INTEG_HMAC_SHA2_256_128: return 16;
  case IKE2_INTEG_HMAC_SHA2_384_192: return 24;
  case IKE2_INTEG_HMAC_SHA2_512_256: return 32;
  case IKE2_INTEG_HMAC_SHA2_256_96: return 12;
  case IKE2_INTEG_UNCHECKED: return 12;
  default: return 0;
  }
}

static ike_hash_t integ_hash(guint16 integ)
{
  switch (integ) {
  case IKE2_INTEG_HMAC_MD5_96: case IKE2_INTEG_HMAC_MD5_128: return IKE_HASH_MD5;
  case IKE2_INTEG_HMAC_SHA1_96: case IKE2_INTEG_HMAC_SHA1_160: return IKE_HASH_SHA1;
  case IKE2_INTEG_HMAC_SHA2_256_128: case IKE2_INTEG_HMAC_SHA2_256_96: return IKE_HASH_SHA256;
  case IKE2_INTEG_HMAC_SHA2_384_192: return IKE_HASH_SHA384;
  case IKE2_INTEG_HMAC_SHA2_512_256: return IKE_HASH_SHA512;
  default: return IKE_HASH_NONE;
  }
}

gsize ike2_icv_len(const ike2_suite_t *suite)
{
  switch (suite->encr) {
  case IKE2_ENCR_AES_CCM_8: case IKE2_ENCR_AES_GCM_8: return 8;
  case IKE2_ENCR_AES_CCM_12: case IKE2_ENCR_AES_GCM_12: return 12;
  case IKE2_ENCR_AES_CCM_16: case IKE2_ENCR_AES_GCM_16: case IKE2_ENCR_CHACHA20_POLY1305: return 16;
  default:
    if (suite->integ == IKE2_INTEG_UNCHECKED && suite->unchecked_icv_len)
      return suite->unchecked_icv_len;
    return integ_icv_len(suite->integ);
  }
}

gsize ike2_integ_key_len(const ike2_suite_t *suite)
{
  if (ike2_encr_is_aead(suite->encr))
    return 0;
  if (suite->integ == IKE2_INTEG_UNCHECKED)
    return 0;
  return ike_hash_len(integ_hash(suite->integ));
}

const char *ike2_encr_name(guint16 encr)
{
  switch (encr) {
  case IKE2_ENCR_3DES: return "3DES-CBC";
  case IKE2_ENCR_NULL: return "NULL";
  case IKE2_ENCR_AES_CBC: return "AES-CBC";
  case IKE2_ENCR_AES_CTR: return "AES-CTR";
  case IKE2_ENCR_AES_CCM_8: return "AES-CCM-8";
  case IKE2_ENCR_AES_CCM_12: return "AES-CCM-12";
  case IKE2_ENCR_AES_CCM_16: return "AES-CCM-16";
  case IKE2_ENCR_AES_GCM_8: return "AES-GCM-8";
  case IKE2_ENCR_AES_GCM_12: return "AES-GCM-12";
  case IKE2_ENCR_AES_GCM_16: return "AES-GCM-16";
  case IKE2_ENCR_CHACHA20_POLY1305: return "CHACHA20-POLY1305";
  default: return NULL;
  }
}

static const char *encr_or_unsupported(guint16 encr)
{
  const char *name = ike2_encr_name(encr);
  return name ? name : "unsupported cipher";
}

const char *ike2_integ_name(guint16 integ)
{
  switch (integ) {
  case IKE2_INTEG_HMAC_MD5_96: return "HMAC-MD5-96";
  case IKE2_INTEG_HMAC_SHA1_96: return "HMAC-SHA1-96";
  case IKE2_INTEG_HMAC_MD5_128: return "HMAC-MD5-128";
  case IKE2_INTEG_HMAC_SHA1_160: return "HMAC-SHA1-160";
  case IKE2_INTEG_HMAC_SHA2_256_128: return "HMAC-SHA2-256-128";
  case IKE2_INTEG_HMAC_SHA2_384_192: return "HMAC-SHA2-384-192";
  case IKE2_INTEG_HMAC_SHA2_512_256: return "HMAC-SHA2-512-256";
  case IKE2_INTEG_HMAC_SHA2_256_96: return "HMAC-SHA2-256-96";
  default: return NULL;
  }
}

static const char *integ_name(guint16 integ)
{
  if (integ == IKE2_INTEG_NONE)
    return "no integrity";
  if (integ == IKE2_INTEG_UNCHECKED)
    return "ICV not checked";
  const char *name = ike2_integ_name(integ);
  return name ? name : "unsupported integrity";
}

char *ike2_suite_describe(const ike2_suite_t *suite, char *buf, gsize len)
{
  char cipher[32];
  if (suite->encr == IKE2_ENCR_3DES || suite->encr == IKE2_ENCR_NULL ||
      suite->encr == IKE2_ENCR_CHACHA20_POLY1305)
    g_strlcpy(cipher, encr_or_unsupported(suite->encr), sizeof cipher);
  else
    g_snprintf(cipher, sizeof cipher, "%s/%u", encr_or_unsupported(suite->encr), suite->key_bits);
  if (ike2_encr_is_aead(suite->encr))
    g_snprintf(buf, len, "%s", cipher);
  else
    g_snprintf(buf, len, "%s with %s", cipher, integ_name(suite->integ));
  return buf;
}

static gboolean ike2_suite_usable(const ike2_suite_t *suite)
{
  if (suite->encr != IKE2_ENCR_NULL && ike2_encr_key_len(suite) == 0)
    return FALSE;
  if (!ike2_encr_is_aead(suite->encr) && suite->integ != IKE2_INTEG_NONE && integ_icv_len(suite->integ) == 0)
    return FALSE;
  return TRUE;
}

gboolean ike2_derive(ike2_keys_t *keys, const ike2_suite_t *suite,
                     const guint8 *g_ir, gsize g_ir_len,
                     const guint8 *ni, gsize ni_len, const guint8 *nr, gsize nr_len,
                     const guint8 spi_i[8], const guint8 spi_r[8])
{
  ike_hash_t prf = ike2_prf_hash(suite->prf);
  gsize plen = ike_hash_len(prf);
  guint8 skeyseed[IKE_CRYPTO_MAX_HASH];
  guint8 *nonces, *seed, *stream;
  gsize stream_len;
  gboolean ok = FALSE;

  memset(keys, 0, sizeof *keys);
  if (plen == 0 || !ike2_suite_usable(suite) || !g_ir || !g_ir_len || !ni || !ni_len || !nr || !nr_len)
    return FALSE;
  if (ni_len > 512 || nr_len > 512)
    return FALSE;
  keys->suite = *suite;
  keys->prf_len = plen;
  keys->enc_len = ike2_encr_key_len(suite);
  keys->integ_len = ike2_integ_key_len(suite);

  nonces = g_malloc(ni_len + nr_len);
  memcpy(nonces, ni, ni_len);
  memcpy(nonces + ni_len, nr, nr_len);
  ike_chunk_t dh = {g_ir, g_ir_len};
  if (!ike_prf(prf, nonces, ni_len + nr_len, &dh, 1, skeyseed))
    goto out_nonces;

  seed = g_malloc(ni_len + nr_len + 16);
  memcpy(seed, nonces, ni_len + nr_len);
  memcpy(seed + ni_len + nr_len, spi_i, 8);
  memcpy(seed + ni_len + nr_len + 8, spi_r, 8);
  stream_len = 3 * plen + 2 * keys->integ_len + 2 * keys->enc_len;
  stream = g_malloc(stream_len);
  if (ike_prf_plus(prf, skeyseed, plen, seed, ni_len + nr_len + 16, stream, stream_len)) {
    const guint8 *p = stream;
    memcpy(keys->sk_d, p, plen); p += plen;
    memcpy(keys->sk_ai, p, keys->integ_len); p += keys->integ_len;
    memcpy(keys->sk_ar, p, keys->integ_len); p += keys->integ_len;
    memcpy(keys->sk_ei, p, keys->enc_len); p += keys->enc_len;
    memcpy(keys->sk_er, p, keys->enc_len); p += keys->enc_len;
    memcpy(keys->sk_pi, p, plen); p += plen;
    memcpy(keys->sk_pr, p, plen);
    keys->has_sk_d = keys->has_sk_p = TRUE;
    ok = TRUE;
  }
  ike_crypto_wipe(stream, stream_len);
  g_free(stream);
  g_free(seed);
out_nonces:
  g_free(nonces);
  ike_crypto_wipe(skeyseed, sizeof skeyseed);
  return ok;
}

gboolean ike2_set_keys(ike2_keys_t *keys, const ike2_suite_t *suite,
                       const guint8 *sk_ei, gsize sk_ei_len, const guint8 *sk_er, gsize sk_er_len,
                       const guint8 *sk_ai, gsize sk_ai_len, const guint8 *sk_ar, gsize sk_ar_len)
{
  memset(keys, 0, sizeof *keys);
  if (!ike2_suite_usable(suite))
    return FALSE;
  keys->suite = *suite;
  keys->prf_len = ike_hash_len(ike2_prf_hash(suite->prf));
  keys->enc_len = ike2_encr_key_len(suite);
  keys->integ_len = ike2_integ_key_len(suite);
  if (sk_ei_len != keys->enc_len || sk_er_len != keys->enc_len)
    return FALSE;
  if (keys->integ_len && (sk_ai_len != keys->integ_len || sk_ar_len != keys->integ_len))
    return FALSE;
  if (keys->enc_len) {
    memcpy(keys->sk_ei, sk_ei, keys->enc_len);
    memcpy(keys->sk_er, sk_er, keys->enc_len);
  }
  if (keys->integ_len) {
    memcpy(keys->sk_ai, sk_ai, keys->integ_len);
    memcpy(keys->sk_ar, sk_ar, keys->integ_len);
  }
  return TRUE;
}

const char *ike2_decrypt_status_name(ike2_decrypt_status_t status)
{
  switch (status) {
  case IKE2_DECRYPT_OK: return "decrypted";
  case IKE2_DECRYPT_NOT_ENCRYPTED: return "no SK payload";
  case IKE2_DECRYPT_TRUNCATED: return "encrypted payload truncated";
  case IKE2_DECRYPT_UNSUPPORTED: return "algorithm not supported";
  case IKE2_DECRYPT_INTEGRITY_FAILED: return "integrity check failed";
  case IKE2_DECRYPT_BAD_PADDING: return "padding invalid after decryption";
  case IKE2_DECRYPT_CRYPTO_ERROR: return "decryption error";
  default: return "unknown";
  }
}

static int aes_algo(gsize key_len)
{
  switch (key_len) {
  case 16: return GCRY_CIPHER_AES128;
  case 24: return GCRY_CIPHER_AES192;
  case 32: return GCRY_CIPHER_AES256;
  default: return 0;
  }
}

/* Finds the SK payload: offset of its generic header, or 0. */
/* Offset of the SK or SKF payload (its type in *type), 0 when none. */
static gsize find_sk_payload(const guint8 *data, gsize len, guint8 *first_payload, guint8 *sk_type)
{
  guint8 type = data[16];
  gsize off = IKE_HEADER_BYTES;
  guint rounds = 0;
  while (type != 0 && rounds++ < 64) {
    if (off > len || len - off < 4)
      return 0;
    guint16 plen = (guint16)((data[off + 2] << 8) | data[off + 3]);
    if (plen < 4 || plen > len - off)
      return 0;
    if (type == IKEV2_PAYLOAD_SK || type == IKEV2_PAYLOAD_SKF) {
      *first_payload = data[off];
      *sk_type = type;
      return off;
    }
    type = data[off];
    off += plen;
  }
  return 0;
}

ike2_decrypt_status_t ike2_decrypt(const ike2_keys_t *keys, gboolean from_initiator,
                                   const guint8 *data, gsize len,
                                   guint8 **plain, gsize *plain_len, guint8 *first_payload)
{
  const ike2_suite_t *suite = &keys->suite;
  const guint8 *ek = from_initiator ? keys->sk_ei : keys->sk_er;
  const guint8 *ak = from_initiator ? keys->sk_ai : keys->sk_ar;
  gsize iv_len = ike2_encr_iv_len(suite), icv_len = ike2_icv_len(suite);
  gsize salt_len = encr_salt_len(suite->encr);
  gsize msg_len, sk_off, sk_len, ct_len;
  const guint8 *iv, *ct, *icv;
  guint8 next = 0, sk_type = 0;
  gsize sk_header;
  gboolean aead = ike2_encr_is_aead(suite->encr);
  ike2_decrypt_status_t status = IKE2_DECRYPT_CRYPTO_ERROR;

  *plain = NULL;
  *plain_len = 0;
  if (data == NULL || len < IKE_HEADER_BYTES)
    return IKE2_DECRYPT_TRUNCATED;
  msg_len = ((gsize)data[24] << 24) | ((gsize)data[25] << 16) | ((gsize)data[26] << 8) | data[27];
  if (msg_len > len || msg_len < IKE_HEADER_BYTES)
    return IKE2_DECRYPT_TRUNCATED;
  len = msg_len;
  sk_off = find_sk_payload(data, len, &next, &sk_type);
  if (sk_off == 0)
    return IKE2_DECRYPT_NOT_ENCRYPTED;
  /* SKF (RFC 7383 2.5): Fragment Number and Total Fragments precede the IV
   * and belong to the authenticated, unencrypted part. */
  sk_header = sk_type == IKEV2_PAYLOAD_SKF ? 8 : 4;
  sk_len = (gsize)((data[sk_off + 2] << 8) | data[sk_off + 3]);
  if (!ike2_suite_usable(suite))
    return IKE2_DECRYPT_UNSUPPORTED;
  if (sk_len < sk_header + iv_len + icv_len + 1)
    return IKE2_DECRYPT_TRUNCATED;
  /* The ICV ends the SK payload, which must end the message. */
  if (sk_off + sk_len != len)
    return IKE2_DECRYPT_TRUNCATED;
  iv = data + sk_off + sk_header;
  ct = iv + iv_len;
  ct_len = sk_len - sk_header - iv_len - icv_len;
  icv = ct + ct_len;

  ike_crypto_init();

  /* Integrity first (encrypt-then-MAC): over the message up to the ICV. */
  if (!aead && suite->integ != IKE2_INTEG_NONE && suite->integ != IKE2_INTEG_UNCHECKED) {
    guint8 mac[IKE_CRYPTO_MAX_HASH];
    ike_chunk_t whole = {data, len - icv_len};
    if (!ike_prf(integ_hash(suite->integ), ak, keys->integ_len, &whole, 1, mac))
      return IKE2_DECRYPT_CRYPTO_ERROR;
    if (memcmp(mac, icv, icv_len) != 0)
      return IKE2_DECRYPT_INTEGRITY_FAILED;
  }

  guint8 *out = g_malloc(ct_len ? ct_len : 1);
  gcry_cipher_hd_t hd = NULL;
  int algo, mode;
  gsize key_len = keys->enc_len - salt_len;
  guint8 nonce[16];

  switch (suite->encr) {
  case IKE2_ENCR_NULL:
    memcpy(out, ct, ct_len);
    status = IKE2_DECRYPT_OK;
    goto padding;
  case IKE2_ENCR_3DES: algo = GCRY_CIPHER_3DES; mode = GCRY_CIPHER_MODE_CBC; break;
  case IKE2_ENCR_AES_CBC: algo = aes_algo(key_len); mode = GCRY_CIPHER_MODE_CBC; break;
  case IKE2_ENCR_AES_CTR: algo = aes_algo(key_len); mode = GCRY_CIPHER_MODE_CTR; break;
  case IKE2_ENCR_AES_CCM_8: case IKE2_ENCR_AES_CCM_12: case IKE2_ENCR_AES_CCM_16:
    algo = aes_algo(key_len); mode = GCRY_CIPHER_MODE_CCM; break;
  case IKE2_ENCR_AES_GCM_8: case IKE2_ENCR_AES_GCM_12: case IKE2_ENCR_AES_GCM_16:
    algo = aes_algo(key_len); mode = GCRY_CIPHER_MODE_GCM; break;
  case IKE2_ENCR_CHACHA20_POLY1305: algo = GCRY_CIPHER_CHACHA20; mode = GCRY_CIPHER_MODE_POLY1305; break;
  default: algo = 0; mode = 0; break;
  }
  if (!algo) {
    status = IKE2_DECRYPT_UNSUPPORTED;
    goto fail;
  }
  if (mode == GCRY_CIPHER_MODE_CBC && ct_len % (suite->encr == IKE2_ENCR_3DES ? 8 : 16) != 0) {
    status = IKE2_DECRYPT_TRUNCATED;
    goto fail;
  }
  if (gcry_cipher_open(&hd, algo, mode, 0) != 0 || gcry_cipher_setkey(hd, ek, key_len) != 0)
    goto fail;
  memcpy(nonce, ek + key_len, salt_len);
  memcpy(nonce + salt_len, iv, iv_len);
  if (mode == GCRY_CIPHER_MODE_CBC) {
    if (gcry_cipher_setiv(hd, iv, iv_len) != 0)
      goto fail;
  } else if (mode == GCRY_CIPHER_MODE_CTR) {
    /* RFC 5930: nonce | IV | 32-bit block counter starting at 1. */
    nonce[12] = 0; nonce[13] = 0; nonce[14] = 0; nonce[15] = 1;
    if (gcry_cipher_setctr(hd, nonce, 16) != 0)
      goto fail;
  } else {
    /* AEAD: the associated data is the IKE header up to the SK payload's
     * generic header inclusive (RFC 5282 5.1); for SKF with the fragment
     * number and total (RFC 7383 2.5). */
    gsize aad_len = sk_off + sk_header;
    if (gcry_cipher_setiv(hd, nonce, salt_len + iv_len) != 0)
      goto fail;
    if (mode == GCRY_CIPHER_MODE_CCM) {
      guint64 params[3] = {ct_len, aad_len, icv_len};
      if (gcry_cipher_ctl(hd, GCRYCTL_SET_CCM_LENGTHS, params, sizeof params) != 0)
        goto fail;
    }
    if (gcry_cipher_authenticate(hd, data, aad_len) != 0)
      goto fail;
  }
  if (mode != GCRY_CIPHER_MODE_CBC && mode != GCRY_CIPHER_MODE_CTR)
    gcry_cipher_final(hd);
  if (gcry_cipher_decrypt(hd, out, ct_len, ct, ct_len) != 0)
    goto fail;
  if (aead && gcry_cipher_checktag(hd, icv, icv_len) != 0) {
    status = IKE2_DECRYPT_INTEGRITY_FAILED;
    goto fail;
  }
  gcry_cipher_close(hd);
  hd = NULL;

padding:
  {
    /* Payloads | padding | pad length (1 byte). */
    gsize pad = ct_len ? out[ct_len - 1] : 0;
    if (ct_len == 0 || pad + 1 > ct_len) {
      status = IKE2_DECRYPT_BAD_PADDING;
      goto fail;
    }
    *plain = out;
    *plain_len = ct_len - pad - 1;
    *first_payload = next;
    return IKE2_DECRYPT_OK;
  }

fail:
  if (hd)
    gcry_cipher_close(hd);
  ike_crypto_wipe(out, ct_len ? ct_len : 1);
  g_free(out);
  return status;
}

gboolean ike2_psk_auth(const ike2_keys_t *keys, gboolean initiator,
                       const guint8 *psk, gsize psk_len,
                       const guint8 *init_message, gsize init_len,
                       const guint8 *peer_nonce, gsize peer_nonce_len,
                       const guint8 *id_body, gsize id_len, guint8 *out)
{
  static const char key_pad[] = "Key Pad for IKEv2";
  ike_hash_t prf = ike2_prf_hash(keys->suite.prf);
  guint8 id_mac[IKE_CRYPTO_MAX_HASH], padded_key[IKE_CRYPTO_MAX_HASH];
  gsize plen = ike_hash_len(prf);

  if (!keys->has_sk_p || plen == 0 || !init_len || !peer_nonce_len || !id_len)
    return FALSE;
  ike_chunk_t id_part = {id_body, id_len};
  if (!ike_prf(prf, initiator ? keys->sk_pi : keys->sk_pr, plen, &id_part, 1, id_mac))
    return FALSE;
  ike_chunk_t pad_part = {(const guint8 *)key_pad, sizeof key_pad - 1};
  if (!ike_prf(prf, psk, psk_len, &pad_part, 1, padded_key))
    return FALSE;
  ike_chunk_t octets[3] = {{init_message, init_len}, {peer_nonce, peer_nonce_len}, {id_mac, plen}};
  gboolean ok = ike_prf(prf, padded_key, plen, octets, 3, out);
  ike_crypto_wipe(padded_key, sizeof padded_key);
  return ok;
}

gboolean ike2_keymat(const ike2_keys_t *keys, const guint8 *g_ir, gsize g_ir_len,
                     const guint8 *ni, gsize ni_len, const guint8 *nr, gsize nr_len,
                     guint8 *out, gsize out_len)
{
  ike_hash_t prf = ike2_prf_hash(keys->suite.prf);
  gsize seed_len = (g_ir ? g_ir_len : 0) + ni_len + nr_len;
  gboolean ok;

  if (!keys->has_sk_d || !ni_len || !nr_len || seed_len > 4096)
    return FALSE;
  guint8 *seed = g_malloc(seed_len);
  gsize off = 0;
  if (g_ir && g_ir_len) {
    memcpy(seed, g_ir, g_ir_len);
    off = g_ir_len;
  }
  memcpy(seed + off, ni, ni_len);
  memcpy(seed + off + ni_len, nr, nr_len);
  ok = ike_prf_plus(prf, keys->sk_d, keys->prf_len, seed, seed_len, out, out_len);
  ike_crypto_wipe(seed, seed_len);
  g_free(seed);
  return ok;
}

/* ---------------------------------------------- IKEv1 message decryption */

gboolean ike1_iv_state_init(ike1_iv_state_t *state, const ike1_suite_t *suite,
                            const guint8 *g_xi, gsize g_xi_len, const guint8 *g_xr, gsize g_xr_len)
{
  memset(state, 0, sizeof *state);
  if (!ike1_phase1_iv(suite, g_xi, g_xi_len, g_xr, g_xr_len, state->p1_initial))
    return FALSE;
  memcpy(state->p1_next, state->p1_initial, IKE_CRYPTO_MAX_BLOCK);
  state->ready = TRUE;
  return TRUE;
}

static gint exchange_slot(const ike1_iv_state_t *state, guint32 message_id)
{
  for (guint i = 0; i < state->n_exchanges; i++)
    if (state->exchanges[i].message_id == message_id)
      return (gint)i;
  return -1;
}

static void remember_exchange_iv(ike1_iv_state_t *state, guint32 message_id, const guint8 *used_iv,
                                 const guint8 *next_iv)
{
  gint slot = exchange_slot(state, message_id);
  if (slot < 0) {
    if (state->n_exchanges < IKE1_MAX_EXCHANGE_IVS) {
      slot = (gint)state->n_exchanges++;
    } else {
      slot = (gint)state->next_slot;
      state->next_slot = (state->next_slot + 1) % IKE1_MAX_EXCHANGE_IVS;
    }
    state->exchanges[slot].message_id = message_id;
  }
  memcpy(state->exchanges[slot].next_iv, next_iv, IKE_CRYPTO_MAX_BLOCK);
  memcpy(state->exchanges[slot].prev_iv, used_iv, IKE_CRYPTO_MAX_BLOCK);
}

static guint16 get16(const guint8 *p) { return (guint16)((p[0] << 8) | p[1]); }

/* Walks the decrypted payload chain: TRUE when every generic header is
 * consistent, the chain ends inside the plaintext and what follows is short
 * enough to be padding. hash_body and rest locate the first HASH payload's body
 * and the payloads after it. */
static gboolean ike1_chain_plausible(guint8 first, const guint8 *plain, gsize len, gsize block,
                                     const guint8 **hash_body, gsize *hash_len,
                                     const guint8 **rest, gsize *rest_len, gsize *chain_len)
{
  guint8 type = first;
  gsize off = 0;
  guint n = 0;
  *hash_body = NULL;
  while (type != 0) {
    /* IKEv1 payload types: 1..21, private use 128..255 (NAT-D drafts, fragments). */
    if (!((type >= 1 && type <= 21) || type >= 128))
      return FALSE;
    if (off > len || len - off < 4 || n++ > 64)
      return FALSE;
    guint16 plen = get16(plain + off + 2);
    if (plen < 4 || plen > len - off || plain[off + 1] != 0)
      return FALSE;
    if (type == 8 && *hash_body == NULL) {
      *hash_body = plain + off + 4;
      *hash_len = plen - 4u;
      *rest = plain + off + plen;
    }
    type = plain[off];
    off += plen;
  }
  if (n == 0)
    return FALSE;
  if (*hash_body)
    *rest_len = off - (gsize)(*rest - plain);
  *chain_len = off;
  /* Padding: RFC 2409 pads to the block size; some implementations add a
   * little more, none a lot. */
  return len - off <= MAX(block, 255);
}

ike1_plain_quality_t ike1_decrypt_message(const ike1_keys_t *keys, ike1_iv_state_t *state,
                                          const guint8 *data, gsize len,
                                          guint8 **plain, gsize *plain_len)
{
  gsize block = ike1_cipher_block_len(&keys->suite);
  guint8 candidates[2][IKE_CRYPTO_MAX_BLOCK];
  guint n_candidates = 0;
  gsize msg_len, body_len;
  guint32 message_id;
  gint slot;

  *plain = NULL;
  *plain_len = 0;
  if (!state->ready || keys->enc_key_len == 0 || block == 0 || data == NULL || len < IKE_HEADER_BYTES)
    return IKE1_PLAIN_NONE;
  msg_len = ((gsize)data[24] << 24) | ((gsize)data[25] << 16) | ((gsize)data[26] << 8) | data[27];
  if (msg_len > len || msg_len <= IKE_HEADER_BYTES)
    return IKE1_PLAIN_NONE;
  body_len = msg_len - IKE_HEADER_BYTES;
  /* Some implementations send a body that is not a whole number of blocks
   * (trailing bytes); decrypt the whole blocks. */
  body_len -= body_len % block;
  if (body_len == 0)
    return IKE1_PLAIN_NONE;
  message_id = ((guint32)data[20] << 24) | ((guint32)data[21] << 16) | ((guint32)data[22] << 8) | data[23];

  /* A retransmission ends with the block that became the next IV: it was
   * encrypted with the IV before, and does not move the chain. */
  guint8 last_block[IKE_CRYPTO_MAX_BLOCK] = {0};
  gboolean retransmission = FALSE;
  memcpy(last_block, data + IKE_HEADER_BYTES + body_len - block, block);
  if (message_id == 0) {
    retransmission = memcmp(last_block, state->p1_next, IKE_CRYPTO_MAX_BLOCK) == 0;
    memcpy(candidates[n_candidates++], retransmission ? state->p1_prev : state->p1_next, IKE_CRYPTO_MAX_BLOCK);
  } else if ((slot = exchange_slot(state, message_id)) >= 0) {
    retransmission = memcmp(last_block, state->exchanges[slot].next_iv, IKE_CRYPTO_MAX_BLOCK) == 0;
    memcpy(candidates[n_candidates++],
           retransmission ? state->exchanges[slot].prev_iv : state->exchanges[slot].next_iv, IKE_CRYPTO_MAX_BLOCK);
  } else {
    if (ike1_exchange_iv(&keys->suite, state->p1_next, message_id, candidates[n_candidates]))
      n_candidates++;
    /* A peer that rejected the last phase 1 message (wrong key) still bases
     * its Informational on the initial phase 1 IV. */
    if (memcmp(state->p1_next, state->p1_initial, IKE_CRYPTO_MAX_BLOCK) != 0 &&
        ike1_exchange_iv(&keys->suite, state->p1_initial, message_id, candidates[n_candidates]))
      n_candidates++;
  }

  guint8 *out = g_malloc(IKE_HEADER_BYTES + body_len);
  for (guint c = 0; c < n_candidates; c++) {
    guint8 next_iv[IKE_CRYPTO_MAX_BLOCK];
    const guint8 *hash_body, *rest = NULL;
    gsize hash_len = 0, rest_len = 0, chain_len = 0;
    ike1_plain_quality_t quality = IKE1_PLAIN_PLAUSIBLE;

    if (!ike1_decrypt(keys, candidates[c], data + IKE_HEADER_BYTES, body_len, out + IKE_HEADER_BYTES, next_iv))
      break;
    if (!ike1_chain_plausible(data[16], out + IKE_HEADER_BYTES, body_len, block,
                              &hash_body, &hash_len, &rest, &rest_len, &chain_len))
      continue;
    if (message_id != 0 && hash_body && keys->has_skeyid_a && hash_len == keys->prf_len) {
      guint8 expected[IKE_CRYPTO_MAX_HASH];
      if (ike1_exchange_hash(keys, message_id, NULL, 0, rest, rest_len, expected) &&
          memcmp(expected, hash_body, hash_len) == 0)
        quality = IKE1_PLAIN_VERIFIED;
    }
    if (retransmission) {
      /* the chain stays where it is */
    } else if (message_id == 0) {
      memcpy(state->p1_prev, candidates[c], IKE_CRYPTO_MAX_BLOCK);
      memcpy(state->p1_next, next_iv, IKE_CRYPTO_MAX_BLOCK);
    } else {
      remember_exchange_iv(state, message_id, candidates[c], next_iv);
    }
    memcpy(out, data, IKE_HEADER_BYTES);
    out[19] &= (guint8)~0x01;     /* E flag: the payloads are in the clear now */
    gsize total = IKE_HEADER_BYTES + body_len;
    out[24] = (guint8)(total >> 24); out[25] = (guint8)(total >> 16);
    out[26] = (guint8)(total >> 8); out[27] = (guint8)total;
    *plain = out;
    *plain_len = total;
    return quality;
  }
  ike_crypto_wipe(out, IKE_HEADER_BYTES + body_len);
  g_free(out);
  return IKE1_PLAIN_NONE;
}

guint8 *ike2_rebuild_message(const guint8 *data, const guint8 *inner, gsize inner_len,
                             guint8 first_payload, gsize *out_len)
{
  gsize total = IKE_HEADER_BYTES + inner_len;
  guint8 *out;
  if (data == NULL || total > G_MAXUINT32)
    return NULL;
  out = g_malloc(total);
  memcpy(out, data, IKE_HEADER_BYTES);
  if (inner_len)
    memcpy(out + IKE_HEADER_BYTES, inner, inner_len);
  out[16] = first_payload;
  out[24] = (guint8)(total >> 24); out[25] = (guint8)(total >> 16);
  out[26] = (guint8)(total >> 8); out[27] = (guint8)total;
  *out_len = total;
  return out;
}
