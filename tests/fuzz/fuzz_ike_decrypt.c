/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for IKE decryption (ike_decrypt.c, ike_crypto.c): the
 * input is a sequence of IKE messages fed in order to one decryption context
 * with fixed keys (a DH secret, two PSKs, and for IKEv2 also direct SK_*
 * keys when flags bit 2 is set), as an attacker-controlled capture would.
 * Every decrypted message must parse into a cleartext message of the length
 * returned; PSK verdicts must stay consistent.
 *
 * Input: 1 byte header (bit 0: IKEv2; bit 1: direct SK keys (IKEv2) or an
 * encryption key (IKEv1) instead of the DH secret; bits 2-3: AEAD suite for
 * the direct IKEv2 keys), then records: 1 byte flags (bit 0: sent by the
 * initiator), 2 bytes big-endian length (cut to what is left), the message.
 *
 * Seeds (corpus/fuzz_ike_decrypt/): lab captures of the project
 * (test-captures/, GPL-2.0-or-later) as records, and skf-fragments-ikev2
 * (tests/fuzz/make_fragment_seed.py): IKEv2 SKF fragments encrypted with the
 * direct keys below, which decrypt and reassemble.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <glib.h>

#include "ipsecdiag/ike_decrypt.h"
#include "ipsecdiag/ike_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)
#define MAX_RECORDS 128

static ike_message_t msg, plain_msg;

static guint8 dh[256], key32[36], key32b[36], integ[64];

static ipsecdiag_secret_t secret(guint8 *bytes, gsize len)
{
  ipsecdiag_secret_t s = {len, bytes};
  return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  guint8 header = data[0];
  guint8 version = (header & 1) ? 2 : 1;
  for (guint i = 0; i < sizeof dh; i++)
    dh[i] = (guint8)(i * 7 + 1);
  for (guint i = 0; i < sizeof key32; i++) {
    key32[i] = (guint8)(i + 3);
    key32b[i] = (guint8)(i * 5);
  }
  for (guint i = 0; i < sizeof integ; i++)
    integ[i] = (guint8)(i ^ 0x5a);

  ipsecdiag_ike1_keys_t k1;
  ipsecdiag_ike2_keys_t k2;
  memset(&k1, 0, sizeof k1);
  memset(&k2, 0, sizeof k2);
  ipsecdiag_psk_entry_t pa, pb;
  memset(&pa, 0, sizeof pa);
  memset(&pb, 0, sizeof pb);
  pa.label = (char *)"site-a";
  pa.psk = secret((guint8 *)"ipsecdiag-lab-psk-DO-NOT-USE", 28);
  pb.label = (char *)"site-b";
  pb.psk = secret((guint8 *)"ipsecdiag-lab-psk-WRONG-DO-NOT-USE", 34);
  const ipsecdiag_psk_entry_t *psks[] = {&pa, &pb};

  if (header & 2) {
    k1.enc_key = secret(key32, 32);
    static const guint16 aead[] = {12, 18, 16, 28};   /* AES-CBC, AES-GCM-8, AES-CCM-16, ChaCha20-Poly1305 */
    k2.encr_id = aead[(header >> 2) & 3];
    k2.encr_key_bits = 256;
    k2.integ_id = k2.encr_id == 12 ? 12 : 0;
    gsize enc_len = k2.encr_id == 12 ? 32 : k2.encr_id == 16 ? 35 : 36;
    k2.sk_ei = secret(key32, enc_len);
    k2.sk_er = secret(key32b, enc_len);
    if (k2.integ_id) {
      k2.sk_ai = secret(integ, 32);
      k2.sk_ar = secret(integ + 32, 32);
    }
    k2.sk_pi = secret(integ, 32);
    k2.sk_pr = secret(integ + 16, 32);
  } else {
    k1.dh_secret = secret(dh, sizeof dh);
    k2.dh_secret = secret(dh, sizeof dh);
  }

  ike_decrypt_sa_t *sa = ike_decrypt_sa_new(version);
  ike_decrypt_sa_set_keys(sa, &k1, &k2, psks, 2);
  FUZZ_CHECK(ike_decrypt_sa_has_keys(sa));

  size_t off = 1;
  guint records = 0;
  while (off + 3 <= size && records++ < MAX_RECORDS) {
    guint8 flags = data[off];
    size_t len = ((size_t)data[off + 1] << 8) | data[off + 2];
    off += 3;
    if (len > size - off)
      len = size - off;
    /* An exact-size heap copy: a sanitizer sees any read past the end. */
    guint8 *copy = g_malloc(len ? len : 1);
    if (len)
      memcpy(copy, data + off, len);
    off += len;
    ike_parse_status_t st = ike_parse_message(copy, len, &msg);
    if (st == IKE_PARSE_OK || st == IKE_PARSE_TOO_MANY) {
      ike_decrypt_result_t res;
      ike_decrypt_sa_feed(sa, copy, len, &msg, (flags & 1) != 0, records, &res);
      if (res.status == IKE_DEC_OK) {
        FUZZ_CHECK(res.plain != NULL && res.plain_len >= IKE_HEADER_LEN);
        ike_parse_message(res.plain, res.plain_len, &plain_msg);
        FUZZ_CHECK(!(plain_msg.major_version == 1 && (plain_msg.flags & 1)));
      } else {
        FUZZ_CHECK(res.plain == NULL);
      }
      ike_decrypt_result_clear(&res);
    }
    g_free(copy);
    for (guint side = 0; side < 2; side++) {
      const ike_psk_check_t *c = ike_decrypt_sa_psk_check(sa, side);
      FUZZ_CHECK(c->verdict != IKE_PSK_MATCH || !strcmp(c->label, "site-a") || !strcmp(c->label, "site-b"));
    }
  }
  ike_decrypt_sa_free(sa);
  return 0;
}
