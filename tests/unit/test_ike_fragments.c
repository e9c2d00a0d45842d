/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of IKEv2 fragment (RFC 7383 SKF) decryption and reassembly
 * (ike_crypto.c, ike_decrypt.c): fragments are built here with libgcrypt
 * (AES-CBC-256, HMAC-SHA2-256-128 over the whole fragment message, computed
 * with GLib's HMAC) and fed to a decryption context with the keys given
 * directly: in order, out of order, duplicated, with one missing, with a
 * tampered ICV, with lying Total Fragments, from both directions and
 * several message IDs, beyond the byte cap, and truncated.
 */
#include <string.h>

#include <gcrypt.h>
#include <glib.h>

#include "ipsecdiag/ike_crypto.h"
#include "ipsecdiag/ike_decrypt.h"
#include "ipsecdiag/ike_parse.h"

static guint8 sk_ei[32], sk_er[32], sk_ai[32], sk_ar[32];

static ipsecdiag_secret_t secret(guint8 *data, gsize len)
{
  ipsecdiag_secret_t s = {len, data};
  return s;
}

static ike_decrypt_sa_t *new_sa(void)
{
  for (guint i = 0; i < 32; i++) {
    sk_ei[i] = (guint8)(i + 1);
    sk_er[i] = (guint8)(i * 3 + 7);
    sk_ai[i] = (guint8)(0x40 + i);
    sk_ar[i] = (guint8)(0x90 ^ i);
  }
  ipsecdiag_ike2_keys_t k2;
  memset(&k2, 0, sizeof k2);
  k2.encr_id = IKE2_ENCR_AES_CBC;
  k2.encr_key_bits = 256;
  k2.integ_id = IKE2_INTEG_HMAC_SHA2_256_128;
  k2.sk_ei = secret(sk_ei, 32);
  k2.sk_er = secret(sk_er, 32);
  k2.sk_ai = secret(sk_ai, 32);
  k2.sk_ar = secret(sk_ar, 32);
  ike_decrypt_sa_t *sa = ike_decrypt_sa_new(2);
  ike_decrypt_sa_set_keys(sa, NULL, &k2, NULL, 0);
  g_assert_true(ike_decrypt_sa_has_keys(sa));
  return sa;
}

static void put16(GByteArray *b, guint v)
{
  guint8 x[2] = {(guint8)(v >> 8), (guint8)v};
  g_byte_array_append(b, x, 2);
}

static void put32(GByteArray *b, guint32 v)
{
  guint8 x[4] = {(guint8)(v >> 24), (guint8)(v >> 16), (guint8)(v >> 8), (guint8)v};
  g_byte_array_append(b, x, 4);
}

/* The inner payload chain of an IKE_AUTH request: IDi, N(INITIAL_CONTACT),
 * IDr, and a notify with filler data to make it worth fragmenting. */
static GByteArray *inner_chain(void)
{
  GByteArray *b = g_byte_array_new();
  static const char id_i[] = "site-a.example", id_r[] = "site-b.example";
  guint8 hdr_id[4] = {2, 0, 0, 0};
  g_byte_array_append(b, (const guint8 *)"\x29\x00", 2);              /* IDi, next N */
  put16(b, 4 + 4 + sizeof id_i - 1);
  g_byte_array_append(b, hdr_id, 4);
  g_byte_array_append(b, (const guint8 *)id_i, sizeof id_i - 1);
  g_byte_array_append(b, (const guint8 *)"\x24\x00", 2);              /* N, next IDr */
  put16(b, 8);
  g_byte_array_append(b, (const guint8 *)"\x00\x00", 2);
  put16(b, 16384);
  g_byte_array_append(b, (const guint8 *)"\x29\x00", 2);              /* IDr, next N */
  put16(b, 4 + 4 + sizeof id_r - 1);
  g_byte_array_append(b, hdr_id, 4);
  g_byte_array_append(b, (const guint8 *)id_r, sizeof id_r - 1);
  g_byte_array_append(b, (const guint8 *)"\x00\x00", 2);              /* N (status), last */
  put16(b, 8 + 600);
  g_byte_array_append(b, (const guint8 *)"\x00\x00", 2);
  put16(b, 40000);
  for (guint i = 0; i < 600; i++) {
    guint8 v = (guint8)(i * 13);
    g_byte_array_append(b, &v, 1);
  }
  return b;
}

#define FIRST_INNER 35          /* IDi */

/* One SKF fragment message carrying part of the inner chain. */
static GByteArray *skf_message(gboolean from_initiator, gboolean response, guint32 message_id, guint16 number,
                               guint16 total, guint8 next, const guint8 *part, gsize part_len)
{
  gsize padded = (part_len + 1 + 15) / 16 * 16;
  guint8 *plain = g_malloc0(padded), *ct = g_malloc(padded), iv[16];
  memcpy(plain, part, part_len);
  plain[padded - 1] = (guint8)(padded - part_len - 1);
  for (guint i = 0; i < 16; i++)
    iv[i] = (guint8)(number * 31 + i);
  gcry_cipher_hd_t hd;
  g_assert_cmpint(gcry_cipher_open(&hd, GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_CBC, 0), ==, 0);
  g_assert_cmpint(gcry_cipher_setkey(hd, from_initiator ? sk_ei : sk_er, 32), ==, 0);
  g_assert_cmpint(gcry_cipher_setiv(hd, iv, 16), ==, 0);
  g_assert_cmpint(gcry_cipher_encrypt(hd, ct, padded, plain, padded), ==, 0);
  gcry_cipher_close(hd);

  GByteArray *m = g_byte_array_new();
  static const guint8 spi_i[8] = {1, 2, 3, 4, 5, 6, 7, 8}, spi_r[8] = {9, 10, 11, 12, 13, 14, 15, 16};
  g_byte_array_append(m, spi_i, 8);
  g_byte_array_append(m, spi_r, 8);
  guint8 h[4] = {53, 0x20, IKEV2_EXCH_IKE_AUTH,
                 (guint8)((from_initiator ? IKEV2_FLAG_INITIATOR : 0) | (response ? IKEV2_FLAG_RESPONSE : 0))};
  g_byte_array_append(m, h, 4);
  put32(m, message_id);
  gsize total_len = 28 + 8 + 16 + padded + 16;
  put32(m, (guint32)total_len);
  guint8 g[2] = {next, 0};
  g_byte_array_append(m, g, 2);
  put16(m, (guint)(8 + 16 + padded + 16));
  put16(m, number);
  put16(m, total);
  g_byte_array_append(m, iv, 16);
  g_byte_array_append(m, ct, (guint)padded);
  guint8 mac[32];
  gsize mac_len = sizeof mac;
  GHmac *hmac = g_hmac_new(G_CHECKSUM_SHA256, from_initiator ? sk_ai : sk_ar, 32);
  g_hmac_update(hmac, m->data, (gssize)m->len);
  g_hmac_get_digest(hmac, mac, &mac_len);
  g_hmac_unref(hmac);
  g_byte_array_append(m, mac, 16);
  g_assert_cmpuint(m->len, ==, total_len);
  g_free(plain);
  g_free(ct);
  return m;
}

/* The chain split into total fragments (the last takes the rest). */
static GByteArray **split(const GByteArray *chain, guint total, gboolean from_initiator, gboolean response,
                          guint32 message_id)
{
  GByteArray **frags = g_new0(GByteArray *, total);
  gsize piece = chain->len / total, off = 0;
  for (guint i = 0; i < total; i++) {
    gsize len = i + 1 == total ? chain->len - off : piece;
    frags[i] = skf_message(from_initiator, response, message_id, (guint16)(i + 1), (guint16)total,
                           i == 0 ? FIRST_INNER : 0, chain->data + off, len);
    off += len;
  }
  return frags;
}

static void free_frags(GByteArray **frags, guint n)
{
  for (guint i = 0; i < n; i++)
    g_byte_array_free(frags[i], TRUE);
  g_free(frags);
}

static ike_message_t msg;

static ike_decrypt_status_t feed(ike_decrypt_sa_t *sa, const GByteArray *m, gboolean from_initiator,
                                 ike_decrypt_result_t *res)
{
  guint8 *copy = g_memdup2(m->data, m->len);      /* exact size: a sanitizer sees over-reads */
  ike_parse_message(copy, m->len, &msg);
  g_assert_true(msg.is_fragment);
  ike_decrypt_sa_feed(sa, copy, m->len, &msg, from_initiator, 1, res);
  g_free(copy);
  return res->status;
}

/* The reassembled message: the header of the last fragment with the first
 * inner payload, then exactly the inner chain; it parses. */
static void check_reassembled(const ike_decrypt_result_t *res, const GByteArray *chain)
{
  g_assert_cmpint(res->status, ==, IKE_DEC_OK);
  g_assert_true(res->verified);
  g_assert_cmpuint(res->plain_len, ==, 28 + chain->len);
  g_assert_cmpuint(res->plain[16], ==, FIRST_INNER);
  g_assert_cmpmem(res->plain + 28, chain->len, chain->data, chain->len);
  g_assert_nonnull(strstr(res->detail, "reassembled from"));
  ike_message_t *pm = g_new(ike_message_t, 1);
  g_assert_cmpint(ike_parse_message(res->plain, res->plain_len, pm), ==, IKE_PARSE_OK);
  g_assert_cmpuint(pm->n_ids, ==, 2);
  g_assert_true(ike_message_find_notify(pm, 16384) != NULL);
  g_free(pm);
}

static void run_order(const guint *order, guint n_order, guint total, gint complete_at)
{
  ike_decrypt_sa_t *sa = new_sa();
  GByteArray *chain = inner_chain();
  GByteArray **frags = split(chain, total, TRUE, FALSE, 1);
  for (guint k = 0; k < n_order; k++) {
    ike_decrypt_result_t res;
    ike_decrypt_status_t st = feed(sa, frags[order[k]], TRUE, &res);
    if ((gint)k == complete_at)
      check_reassembled(&res, chain);
    else
      g_assert_cmpint(st, ==, IKE_DEC_FRAGMENT);
    ike_decrypt_result_clear(&res);
  }
  free_frags(frags, total);
  g_byte_array_free(chain, TRUE);
  ike_decrypt_sa_free(sa);
}

static void test_in_order(void)
{
  static const guint order[] = {0, 1, 2};
  run_order(order, 3, 3, 2);
  static const guint one[] = {0};
  run_order(one, 1, 1, 0);                 /* a single fragment of 1 */
}

static void test_out_of_order(void)
{
  static const guint order[] = {2, 0, 1};
  run_order(order, 3, 3, 2);
  static const guint order5[] = {4, 3, 1, 0, 2};
  run_order(order5, 5, 5, 4);
}

static void test_duplicates(void)
{
  /* 1, 1 again, 2, 3 (complete), 2 again after completion: ignored. */
  static const guint order[] = {0, 0, 1, 2, 1};
  run_order(order, 5, 3, 3);
}

static void test_missing(void)
{
  static const guint order[] = {0, 2, 3};
  run_order(order, 3, 4, -1);              /* fragment 2 of 4 never comes */
}

static void test_tampered(void)
{
  ike_decrypt_sa_t *sa = new_sa();
  GByteArray *chain = inner_chain();
  GByteArray **frags = split(chain, 3, TRUE, FALSE, 1);
  ike_decrypt_result_t res;
  frags[1]->data[60] ^= 0x01;              /* ciphertext of fragment 2 */
  g_assert_cmpint(feed(sa, frags[0], TRUE, &res), ==, IKE_DEC_FRAGMENT);
  ike_decrypt_result_clear(&res);
  g_assert_cmpint(feed(sa, frags[1], TRUE, &res), ==, IKE_DEC_INTEGRITY_FAILED);
  ike_decrypt_result_clear(&res);
  g_assert_cmpint(feed(sa, frags[2], TRUE, &res), ==, IKE_DEC_FRAGMENT);
  ike_decrypt_result_clear(&res);
  /* The wrong direction's keys: the ICV does not match either. */
  GByteArray *resp = skf_message(FALSE, TRUE, 1, 1, 1, FIRST_INNER, chain->data, 64);
  g_assert_cmpint(feed(sa, resp, TRUE, &res), ==, IKE_DEC_INTEGRITY_FAILED);
  ike_decrypt_result_clear(&res);
  g_byte_array_free(resp, TRUE);
  free_frags(frags, 3);
  g_byte_array_free(chain, TRUE);
  ike_decrypt_sa_free(sa);
}

static void test_lying_total(void)
{
  ike_decrypt_sa_t *sa = new_sa();
  GByteArray *chain = inner_chain();
  ike_decrypt_result_t res;
  /* Impossible numbering and a total beyond the cap are refused at once. */
  static const guint16 bad[][2] = {{0, 3}, {4, 3}, {1, 0}, {1, IKE_DECRYPT_MAX_FRAGMENTS + 1}, {1, 65535}};
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
    GByteArray *m = skf_message(TRUE, FALSE, 1, bad[i][0], bad[i][1], FIRST_INNER, chain->data, 32);
    g_assert_cmpint(feed(sa, m, TRUE, &res), ==, IKE_DEC_UNSUPPORTED);
    ike_decrypt_result_clear(&res);
    g_byte_array_free(m, TRUE);
  }
  /* Fragments of 3, then one claiming 2: ignored (RFC 7383 2.6.1). */
  GByteArray **three = split(chain, 3, TRUE, FALSE, 2);
  GByteArray *of_two = skf_message(TRUE, FALSE, 2, 2, 2, 0, chain->data, 100);
  g_assert_cmpint(feed(sa, three[0], TRUE, &res), ==, IKE_DEC_FRAGMENT);
  ike_decrypt_result_clear(&res);
  g_assert_cmpint(feed(sa, of_two, TRUE, &res), ==, IKE_DEC_FRAGMENT);
  g_assert_nonnull(strstr(res.detail, "ignored"));
  ike_decrypt_result_clear(&res);
  g_assert_cmpint(feed(sa, three[1], TRUE, &res), ==, IKE_DEC_FRAGMENT);
  ike_decrypt_result_clear(&res);
  /* Then fragments of 4 (the sender fragmented again): start over. */
  GByteArray **four = split(chain, 4, TRUE, FALSE, 2);
  for (guint i = 0; i < 4; i++) {
    ike_decrypt_status_t st = feed(sa, four[i], TRUE, &res);
    if (i < 3)
      g_assert_cmpint(st, ==, IKE_DEC_FRAGMENT);
    else
      check_reassembled(&res, chain);
    ike_decrypt_result_clear(&res);
  }
  /* The old fragment 3 of 3 now belongs to a finished message. */
  g_assert_cmpint(feed(sa, three[2], TRUE, &res), ==, IKE_DEC_FRAGMENT);
  ike_decrypt_result_clear(&res);
  free_frags(three, 3);
  free_frags(four, 4);
  g_byte_array_free(of_two, TRUE);
  g_byte_array_free(chain, TRUE);
  ike_decrypt_sa_free(sa);
}

/* Requests and responses, and the two directions, reassemble apart; a new
 * message ID drops an unfinished older message. */
static void test_directions_and_message_ids(void)
{
  ike_decrypt_sa_t *sa = new_sa();
  GByteArray *chain = inner_chain();
  GByteArray **req = split(chain, 2, TRUE, FALSE, 1), **resp = split(chain, 2, FALSE, TRUE, 1);
  GByteArray **old = split(chain, 2, TRUE, FALSE, 5), **newer = split(chain, 2, TRUE, FALSE, 6);
  ike_decrypt_result_t res;
  g_assert_cmpint(feed(sa, req[0], TRUE, &res), ==, IKE_DEC_FRAGMENT);
  ike_decrypt_result_clear(&res);
  g_assert_cmpint(feed(sa, resp[0], FALSE, &res), ==, IKE_DEC_FRAGMENT);
  ike_decrypt_result_clear(&res);
  feed(sa, req[1], TRUE, &res);
  check_reassembled(&res, chain);
  ike_decrypt_result_clear(&res);
  feed(sa, resp[1], FALSE, &res);
  check_reassembled(&res, chain);
  ike_decrypt_result_clear(&res);
  g_assert_cmpint(feed(sa, old[0], TRUE, &res), ==, IKE_DEC_FRAGMENT);
  ike_decrypt_result_clear(&res);
  g_assert_cmpint(feed(sa, newer[0], TRUE, &res), ==, IKE_DEC_FRAGMENT);
  ike_decrypt_result_clear(&res);
  g_assert_cmpint(feed(sa, old[1], TRUE, &res), ==, IKE_DEC_FRAGMENT);   /* older message: ignored */
  g_assert_nonnull(strstr(res.detail, "older"));
  ike_decrypt_result_clear(&res);
  feed(sa, newer[1], TRUE, &res);
  check_reassembled(&res, chain);
  ike_decrypt_result_clear(&res);
  free_frags(req, 2);
  free_frags(resp, 2);
  free_frags(old, 2);
  free_frags(newer, 2);
  g_byte_array_free(chain, TRUE);
  ike_decrypt_sa_free(sa);
}

/* More decrypted bytes than IKE_DECRYPT_MAX_REASSEMBLED: refused, nothing kept. */
static void test_byte_cap(void)
{
  ike_decrypt_sa_t *sa = new_sa();
  guint total = IKE_DECRYPT_MAX_FRAGMENTS;
  gsize piece = IKE_DECRYPT_MAX_REASSEMBLED / (total - 1) + 1;
  guint8 *filler = g_malloc0(piece);
  gboolean refused = FALSE;
  for (guint i = 1; i <= total && !refused; i++) {
    GByteArray *m = skf_message(TRUE, FALSE, 1, (guint16)i, (guint16)total, i == 1 ? FIRST_INNER : 0, filler, piece);
    ike_decrypt_result_t res;
    ike_decrypt_status_t st = feed(sa, m, TRUE, &res);
    g_assert_cmpint(st, !=, IKE_DEC_OK);
    if (st == IKE_DEC_UNSUPPORTED) {
      refused = TRUE;
      g_assert_nonnull(strstr(res.detail, "exceed"));
      g_assert_cmpuint((gsize)i * piece, >, IKE_DECRYPT_MAX_REASSEMBLED);
    }
    ike_decrypt_result_clear(&res);
    g_byte_array_free(m, TRUE);
  }
  g_assert_true(refused);
  g_free(filler);
  ike_decrypt_sa_free(sa);
}

/* Truncated fragments and lying SKF lengths: no crash, nothing decrypted. */
static void test_truncated(void)
{
  ike_decrypt_sa_t *sa = new_sa();
  GByteArray *chain = inner_chain();
  GByteArray *m = skf_message(TRUE, FALSE, 1, 1, 1, FIRST_INNER, chain->data, chain->len);
  for (gsize cut = 28; cut < m->len; cut += 29) {
    guint8 *copy = g_memdup2(m->data, cut);
    copy[24] = (guint8)(cut >> 24); copy[25] = (guint8)(cut >> 16);   /* header length follows the cut */
    copy[26] = (guint8)(cut >> 8); copy[27] = (guint8)cut;
    ike_parse_message(copy, cut, &msg);
    ike_decrypt_result_t res;
    ike_decrypt_sa_feed(sa, copy, cut, &msg, TRUE, 1, &res);
    g_assert_cmpint(res.status, !=, IKE_DEC_OK);
    ike_decrypt_result_clear(&res);
    g_free(copy);
  }
  g_byte_array_free(m, TRUE);
  g_byte_array_free(chain, TRUE);
  ike_decrypt_sa_free(sa);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  gcry_check_version(NULL);
  g_test_add_func("/ike_fragments/in_order", test_in_order);
  g_test_add_func("/ike_fragments/out_of_order", test_out_of_order);
  g_test_add_func("/ike_fragments/duplicates", test_duplicates);
  g_test_add_func("/ike_fragments/missing", test_missing);
  g_test_add_func("/ike_fragments/tampered", test_tampered);
  g_test_add_func("/ike_fragments/lying_total", test_lying_total);
  g_test_add_func("/ike_fragments/directions_and_message_ids", test_directions_and_message_ids);
  g_test_add_func("/ike_fragments/byte_cap", test_byte_cap);
  g_test_add_func("/ike_fragments/truncated", test_truncated);
  return g_test_run();
}
