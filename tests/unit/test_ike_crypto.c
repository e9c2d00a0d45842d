/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag: unit tests of IKE key derivation and decryption (ike_crypto.c,
 * ike_decrypt.c).
 *
 * - Wireshark's test-suite captures decrypt with their key tables, and the
 *   decrypted HASH / AUTH values equal what Wireshark's own test suite
 *   asserts (test/suite_decryption.py) and what tshark 4.0 decrypts for
 *   every other frame.
 * - The lab captures' keys derived from the PSK, nonces and the DH secret
 *   equal what the strongSwan charon logs print (SKEYID*, Ka, the initial
 *   IV, SK_*, AUTH), and PSK verification names the PSK each side used.
 *
 * The fixtures (messages and expected values) are extracted by
 * gen_ike_crypto_fixtures.py into ike_crypto_fixtures.h.
 */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "ipsecdiag/engine.h"
#include "ipsecdiag/ike_crypto.h"
#include "ipsecdiag/ike_decrypt.h"
#include "ipsecdiag/keys.h"
#include "ipsecdiag/ike_parse.h"
#include "ike_crypto_fixtures.h"

static ike_message_t msg, plain_msg;

static const char lab_psk[] = "ipsecdiag-lab-psk-DO-NOT-USE";
static const char lab_psk_wrong[] = "ipsecdiag-lab-psk-WRONG-DO-NOT-USE";

/* ---------- helpers ---------- */

static guint8 *unhex(const char *hex, gsize *len)
{
  gsize n = strlen(hex) / 2;
  guint8 *out = g_malloc(n ? n : 1);
  g_assert_cmpuint(strlen(hex) % 2, ==, 0);
  for (gsize i = 0; i < n; i++) {
    int hi = g_ascii_xdigit_value(hex[2 * i]);
    int lo = g_ascii_xdigit_value(hex[2 * i + 1]);
    g_assert_true(hi >= 0 && lo >= 0);
    out[i] = (guint8)(hi << 4 | lo);
  }
  *len = n;
  return out;
}

static char *tohex(const guint8 *data, gsize len)
{
  GString *s = g_string_sized_new(len * 2 + 1);
  for (gsize i = 0; i < len; i++)
    g_string_append_printf(s, "%02x", data[i]);
  return g_string_free(s, FALSE);
}

static void assert_hex(const guint8 *data, gsize len, const char *expected)
{
  char *got = tohex(data, len);
  g_assert_cmpstr(got, ==, expected);
  g_free(got);
}

/* The n-th (0-based) value a charon log printed under a name; NULL if absent. */
static const char *log_value(const char *scenario, const char *side, const char *name, guint nth)
{
  for (const fx_log_t *l = fx_logs; l->scenario; l++)
    if (!strcmp(l->scenario, scenario) && !strcmp(l->side, side) && !strcmp(l->name, name) && nth-- == 0)
      return l->hex;
  return NULL;
}

static const char *tshark_value(const char *capture, guint frame, const char *field)
{
  for (const fx_tshark_t *t = fx_tshark; t->capture; t++)
    if (!strcmp(t->capture, capture) && t->frame == frame && !strcmp(t->field, field))
      return t->hex;
  return NULL;
}

static ipsecdiag_secret_t secret_hex(const char *hex)
{
  ipsecdiag_secret_t s;
  s.data = unhex(hex, &s.len);
  return s;
}

static ipsecdiag_secret_t secret_str(const char *str)
{
  ipsecdiag_secret_t s;
  s.len = strlen(str);
  s.data = (guint8 *)g_strdup(str);
  return s;
}

static void secret_free(ipsecdiag_secret_t *s)
{
  g_free(s->data);
  s->data = NULL;
  s->len = 0;
}

/* What one capture run through a decryption context gave. */
typedef struct {
  guint n_messages, n_encrypted, n_decrypted, n_verified;
  guint n_failed;
  guint notify_types[8];
  guint n_notifies;
  GPtrArray *hashes;             /* "frame:hex" of decrypted HASH / AUTH payloads */
} run_t;

static void run_free(run_t *r)
{
  g_ptr_array_free(r->hashes, TRUE);
}

/* Feeds every message of a capture; the initiator is the source of the
 * first message. Checks each decrypted HASH/AUTH against tshark's value
 * when tshark decrypted that frame. */
static run_t run_capture(const char *capture, ike_decrypt_sa_t *sa, gboolean compare_tshark)
{
  run_t r;
  const char *initiator = NULL;
  memset(&r, 0, sizeof r);
  r.hashes = g_ptr_array_new_with_free_func(g_free);
  for (const fx_packet_t *p = fx_packets; p->capture; p++) {
    if (strcmp(p->capture, capture) != 0)
      continue;
    gsize len;
    guint8 *data = unhex(p->hex, &len);
    if (!initiator)
      initiator = p->src;
    g_assert_cmpint(ike_parse_message(data, len, &msg), ==, IKE_PARSE_OK);
    gboolean from_initiator = msg.major_version == 2 ? (msg.flags & IKEV2_FLAG_INITIATOR) != 0
                                                     : strcmp(p->src, initiator) == 0;
    ike_decrypt_result_t res;
    ike_decrypt_sa_feed(sa, data, len, &msg, from_initiator, p->frame, &res);
    r.n_messages++;
    if (msg.encrypted)
      r.n_encrypted++;
    if (res.status == IKE_DEC_OK) {
      r.n_decrypted++;
      if (res.verified)
        r.n_verified++;
      g_assert_cmpint(ike_parse_message(res.plain, res.plain_len, &plain_msg), ==, IKE_PARSE_OK);
      g_assert_false(plain_msg.encrypted);
      for (guint i = 0; i < plain_msg.n_notifies && r.n_notifies < G_N_ELEMENTS(r.notify_types); i++)
        r.notify_types[r.n_notifies++] = plain_msg.notifies[i].type;
      const guint8 *value = plain_msg.has_hash ? plain_msg.hash : plain_msg.has_auth ? plain_msg.auth : NULL;
      gsize value_len = plain_msg.has_hash ? plain_msg.hash_len : plain_msg.auth_len;
      if (value) {
        char *hex = tohex(value, value_len);
        const char *expected = tshark_value(capture, p->frame,
                                            plain_msg.has_hash ? "isakmp.hash" : "isakmp.auth.data");
        if (compare_tshark && expected)
          g_assert_cmpstr(hex, ==, expected);
        g_ptr_array_add(r.hashes, g_strdup_printf("%u:%s", p->frame, hex));
        g_free(hex);
      }
    } else if (msg.encrypted) {
      r.n_failed++;
    }
    ike_decrypt_result_clear(&res);
    g_free(data);
  }
  g_assert_cmpuint(r.n_messages, >, 0);
  return r;
}

static guint run_count_notify(const run_t *r, guint type)
{
  guint n = 0;
  for (guint i = 0; i < r->n_notifies; i++)
    if (r->notify_types[i] == type)
      n++;
  return n;
}

static gboolean run_has_hash(const run_t *r, const char *hex)
{
  for (guint i = 0; i < r->hashes->len; i++) {
    const char *v = strchr(g_ptr_array_index(r->hashes, i), ':') + 1;
    if (!strcmp(v, hex))
      return TRUE;
  }
  return FALSE;
}

/* ---------- primitives against published vectors ---------- */

static void test_prf_rfc4231(void)
{
  /* RFC 4231 test case 2: HMAC-SHA-256 with key "Jefe". */
  const char *data = "what do ya want for nothing?";
  ike_chunk_t part = {(const guint8 *)data, strlen(data)};
  guint8 out[64];
  g_assert_true(ike_prf(IKE_HASH_SHA256, (const guint8 *)"Jefe", 4, &part, 1, out));
  assert_hex(out, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  /* prf+ with one round is prf(K, S | 0x01). */
  guint8 plus[40], manual[32];
  guint8 one = 1;
  ike_chunk_t parts[2] = {{(const guint8 *)data, strlen(data)}, {&one, 1}};
  g_assert_true(ike_prf_plus(IKE_HASH_SHA256, (const guint8 *)"Jefe", 4, (const guint8 *)data, strlen(data),
                             plus, sizeof plus));
  g_assert_true(ike_prf(IKE_HASH_SHA256, (const guint8 *)"Jefe", 4, parts, 2, manual));
  g_assert_true(memcmp(plus, manual, 32) == 0);
  /* Unsupported hash and oversized prf+ are refused. */
  g_assert_false(ike_prf(IKE_HASH_NONE, (const guint8 *)"k", 1, &part, 1, out));
  g_assert_false(ike_prf_plus(IKE_HASH_MD5, (const guint8 *)"k", 1, NULL, 0, plus, 16 * 256));
}

/* prf against GLib's HMAC for every hash, with keys shorter than, equal to
 * and longer than the hash's block (64 or 128 bytes), the empty key, and a
 * message split into parts (some empty). Also the plain hash. */
static void test_prf_against_glib(void)
{
  const struct { ike_hash_t hash; GChecksumType glib; } hashes[] = {
    {IKE_HASH_MD5, G_CHECKSUM_MD5}, {IKE_HASH_SHA1, G_CHECKSUM_SHA1}, {IKE_HASH_SHA256, G_CHECKSUM_SHA256},
    {IKE_HASH_SHA384, G_CHECKSUM_SHA384}, {IKE_HASH_SHA512, G_CHECKSUM_SHA512},
  };
  const gsize key_lens[] = {0, 1, 20, 63, 64, 65, 127, 128, 129, 300};
  guint8 key[300], message[700];
  for (gsize i = 0; i < sizeof key; i++)
    key[i] = (guint8)(i * 7 + 3);
  for (gsize i = 0; i < sizeof message; i++)
    message[i] = (guint8)(i * 13 + 1);
  for (gsize h = 0; h < G_N_ELEMENTS(hashes); h++) {
    gsize len = ike_hash_len(hashes[h].hash);
    for (gsize k = 0; k < G_N_ELEMENTS(key_lens); k++) {
      ike_chunk_t parts[5] = {{message, 100}, {message + 100, 0}, {message + 100, 1}, {message + 101, 500},
                              {message + 601, 99}};
      guint8 ours[64], glibs[64];
      gsize glib_len = sizeof glibs;
      g_assert_true(ike_prf(hashes[h].hash, key_lens[k] ? key : NULL, key_lens[k], parts, 5, ours));
      GHmac *hmac = g_hmac_new(hashes[h].glib, key, key_lens[k]);
      g_hmac_update(hmac, message, sizeof message);
      g_hmac_get_digest(hmac, glibs, &glib_len);
      g_hmac_unref(hmac);
      g_assert_cmpuint(glib_len, ==, len);
      g_assert_true(memcmp(ours, glibs, len) == 0);
    }
    ike_chunk_t whole = {message, sizeof message};
    guint8 ours[64];
    g_assert_true(ike_hash(hashes[h].hash, &whole, 1, ours));
    gchar *glib_hex = g_compute_checksum_for_data(hashes[h].glib, message, sizeof message);
    GString *our_hex = g_string_new(NULL);
    for (gsize i = 0; i < len; i++)
      g_string_append_printf(our_hex, "%02x", ours[i]);
    g_assert_cmpstr(our_hex->str, ==, glib_hex);
    g_string_free(our_hex, TRUE);
    g_free(glib_hex);
  }
  /* A key pointer is required for a non-empty key; more than 15 parts are refused. */
  guint8 out[64];
  ike_chunk_t many[16];
  for (gsize i = 0; i < G_N_ELEMENTS(many); i++)
    many[i] = (ike_chunk_t){message, 1};
  g_assert_false(ike_prf(IKE_HASH_SHA1, NULL, 4, many, 1, out));
  g_assert_false(ike_prf(IKE_HASH_SHA1, key, 4, many, 16, out));
  g_assert_true(ike_prf(IKE_HASH_SHA1, key, 4, many, 15, out));
}

/* ---------- Wireshark test suite: IKEv1 ---------- */

static void wireshark_ikev1(const char *capture, const char *cookie_hex, const char *key_hex,
                            const char *asserted_hash)
{
  ipsecdiag_ike1_keys_t k;
  gsize n;
  memset(&k, 0, sizeof k);
  guint8 *cookie = unhex(cookie_hex, &n);
  memcpy(k.cookie_i, cookie, 8);
  g_free(cookie);
  k.enc_key = secret_hex(key_hex);

  ike_decrypt_sa_t *sa = ike_decrypt_sa_new(1);
  ike_decrypt_sa_set_keys(sa, &k, NULL, NULL, 0);
  run_t r = run_capture(capture, sa, TRUE);
  g_assert_cmpuint(r.n_encrypted, >, 0);
  g_assert_cmpuint(r.n_decrypted, ==, r.n_encrypted);
  g_assert_cmpuint(r.n_failed, ==, 0);
  /* Every frame tshark decrypted we decrypted to the same HASH. */
  guint tshark_frames = 0;
  for (const fx_tshark_t *t = fx_tshark; t->capture; t++)
    if (!strcmp(t->capture, capture))
      tshark_frames++;
  g_assert_cmpuint(r.hashes->len, >=, tshark_frames - (tshark_frames > r.n_encrypted ? tshark_frames - r.n_encrypted : 0));
  /* The value Wireshark's test suite asserts (a prefix: isakmp.hash output). */
  gboolean found = FALSE;
  for (guint i = 0; i < r.hashes->len; i++)
    if (strstr(g_ptr_array_index(r.hashes, i), asserted_hash))
      found = TRUE;
  g_assert_true(found);
  run_free(&r);
  ike_decrypt_sa_free(sa);
  secret_free(&k.enc_key);
}

static void test_ws_ikev1_12610(void)
{
  /* Main Mode, AES-256, Mode Config and Quick Mode: per-M-ID IV chains. */
  wireshark_ikev1("ikev1-bug-12610.pcapng.gz", "ab3e0f1f8bc3be8e",
                  "928392441e00ece5e8af3bc545416e86afa1291e7c013271514738b70ef25d22",
                  "b52521f774967402c9f6cee95fd17e5b");
}

static void test_ws_ikev1_12620(void)
{
  /* Aggressive Mode with a cleartext AI2: later IVs from the phase 1 IV. */
  wireshark_ikev1("ikev1-bug-12620.pcapng.gz", "29f6006212625def",
                  "c26a81baec6070d289f0b4f13c2fb182e3d5406d11c29ebc2fc179502541325b",
                  "40043b640f4373250d5ac3a1fb63153c");
}

/* ---------- Wireshark test suite: IKEv2 ---------- */

static void wireshark_ikev2(const char *capture, const char *spi_i, const char *spi_r,
                            const char *sk_ei, const char *sk_er, guint16 encr, guint16 key_bits,
                            const char *sk_ai, const char *sk_ar, guint16 integ, const char *asserted_auth)
{
  ipsecdiag_ike2_keys_t k;
  gsize n;
  memset(&k, 0, sizeof k);
  guint8 *b = unhex(spi_i, &n);
  memcpy(k.spi_i, b, 8);
  g_free(b);
  b = unhex(spi_r, &n);
  memcpy(k.spi_r, b, 8);
  g_free(b);
  k.sk_ei = secret_hex(sk_ei);
  k.sk_er = secret_hex(sk_er);
  if (sk_ai) {
    k.sk_ai = secret_hex(sk_ai);
    k.sk_ar = secret_hex(sk_ar);
  }
  k.encr_id = encr;
  k.encr_key_bits = key_bits;
  k.integ_id = integ;

  ike_decrypt_sa_t *sa = ike_decrypt_sa_new(2);
  ike_decrypt_sa_set_keys(sa, NULL, &k, NULL, 0);
  run_t r = run_capture(capture, sa, TRUE);
  g_assert_cmpuint(r.n_encrypted, >=, 2);
  g_assert_cmpuint(r.n_decrypted, ==, r.n_encrypted);
  g_assert_cmpuint(r.n_verified, ==, integ == IKE2_INTEG_UNCHECKED ? 0 : r.n_encrypted);
  g_assert_true(run_has_hash(&r, asserted_auth));
  run_free(&r);

  /* One flipped bit in SK_ei: the initiator's message fails its check (or,
   * without a check, does not decrypt into a valid payload chain). */
  k.sk_ei.data[0] ^= 0x80;   /* not a DES parity bit */
  ike_decrypt_sa_set_keys(sa, NULL, &k, NULL, 0);
  r = run_capture(capture, sa, FALSE);
  g_assert_cmpuint(r.n_decrypted, <, r.n_encrypted);
  run_free(&r);

  ike_decrypt_sa_free(sa);
  secret_free(&k.sk_ei);
  secret_free(&k.sk_er);
  secret_free(&k.sk_ai);
  secret_free(&k.sk_ar);
}

static void test_ws_ikev2_3des_sha1_160(void)
{
  wireshark_ikev2("ikev2-decrypt-3des-sha1_160.pcap", "19ab98963486359f", "78f13157ccd3b3d8",
                  "2e0e194070fc658c2bfbfdbf8b956be4b2eaa33d02a43cca",
                  "219f3080e631774b8d5836d3a675b099b1e271c9bdcf6e15", IKE2_ENCR_3DES, 192,
                  "c96f5bad08aebbff60509c7495f11c183818b916", "e742ac415cdfdd709c9de92769a169e0a5224f79",
                  IKE2_INTEG_HMAC_SHA1_160, "02f7a0d5f1fdc8ea81039818c65bb9bd09af9b8917319b887ff9ba3046c344c7");
}

static void test_ws_ikev2_aes128ccm12(void)
{
  wireshark_ikev2("ikev2-decrypt-aes128ccm12.pcap", "ea684d21597afd36", "d9fe2ab22dac23ac",
                  "be83fe15f6a9976941870830fe26c014b863b3", "79e0f4476861a76e64329e787b1c4ff38d732f",
                  IKE2_ENCR_AES_CCM_12, 128, NULL, NULL, IKE2_INTEG_NONE,
                  "c2104394299e1ffe7908ea720ad5d13717a0d454e4fa0a2128ea689411f479c4");
}

static void test_ws_ikev2_aes128ccm12_as_ctr(void)
{
  /* AES-CCM read as AES-CTR (the CCM counter blocks) with the ICV unchecked. */
  wireshark_ikev2("ikev2-decrypt-aes128ccm12-2.pcap", "a2926ae833c6f138", "5464c57d0dc5e272",
                  "5daf82e6fd7e57d5fbf76cd5af73fd46035db0bc", "68848f4a7602b20c7d033cc998b0c097032ac38a",
                  IKE2_ENCR_AES_CTR, 128, NULL, NULL, IKE2_INTEG_UNCHECKED,
                  "aaa281c87b4a19046c57271d557488ca413b57228cb951f5fa9640992a0285b9");
}

static void test_ws_ikev2_aes192ctr_sha512(void)
{
  wireshark_ikev2("ikev2-decrypt-aes192ctr.pcap", "81f24c0acd8fa55c", "192383172724c706",
                  "aaa06839eaf0959d486eeecda7a48b23080963b5fd7217928e8fbf58",
                  "92dc96ec87076caa84e26b3621c7c469427e2e4bcc1b962362a3dde3", IKE2_ENCR_AES_CTR, 192,
                  "65777be31ee2137f31cf23fa0ee834dfede11cc0adc9a84541026642c09df2bf96056a2036e97a67ce7d3c5b6f37e17e8fe64f4ef23e14f5997fb7671df3adaf",
                  "42abd4709f1b94fd8c2270c74aae3fbe61c0b9c109c55f3e3b9ed7e480bc75c3985c15234caa623c8ca0606c303921d7cfd44861df1e798370b2ee95fe712e52",
                  IKE2_INTEG_HMAC_SHA2_512_256, "3ec23dcf9348485638407c754547aeb3085290082c49f583fdbae59263a20b4a");
}

static void test_ws_ikev2_aes256cbc_sha256(void)
{
  wireshark_ikev2("ikev2-decrypt-aes256cbc.pcapng", "191ccd371a7a1f7b", "bc123d15e4af593f",
                  "9096ddd2933620e8f48122c53a3f562cb0222c1cf97ce41fcc874ea2582a89ac",
                  "6718c6b2bbef2f234eac4c13832f885d87b574afd2af0111161e99b5dc61b4d4", IKE2_ENCR_AES_CBC, 256,
                  "12d532c3e83c757906af548dfe1ccf223ca5507af77898454e2d55c8ace57a17",
                  "30c4ead18c93024b58a86c1e3db60f550221801026853170b4cb0248d3a95329",
                  IKE2_INTEG_HMAC_SHA2_256_128, "e1a8d550064201a7ec024a85758d0673c61c5c510ac13bcd225d6327f50da3d3");
}

static void test_ws_ikev2_aes256ccm16(void)
{
  wireshark_ikev2("ikev2-decrypt-aes256ccm16.pcapng", "cd7ae76304b277e2", "74f6080ed799d463",
                  "daa0a85a81e6adda7b8c568f1c4cfaa6e9f9edb242e9895f012caaa642eacf4d004903",
                  "e02281ba4bb8ed20321faff956b95ce7f841b3039984dad4ed4625e77743fce4a04f32",
                  IKE2_ENCR_AES_CCM_16, 256, NULL, NULL, IKE2_INTEG_NONE,
                  "fa2e74bdc01e30fb0b3ddc9723c9449095969da51f69e560209d2c2b7940210a");
}

static void test_ws_ikev2_aes256gcm16(void)
{
  wireshark_ikev2("ikev2-decrypt-aes256gcm16.pcap", "0158b8fb90b7623d", "13514610cea16160",
                  "647075bf167447a1c8683e8dbe4794b4cfe73799cc6bec34905441159ce13705c8dfb3a9",
                  "15c9eae6f94631d63068bf44bb69999abc07b3d15e915fd8f0ed99ad481efd75deb02a5e",
                  IKE2_ENCR_AES_GCM_16, 256, NULL, NULL, IKE2_INTEG_NONE,
                  "9ab71f14ab553cad873a1aa70b99df155dee77cdcf3694b3b7527acbb9712ded");
}

static void test_ws_ikev2_aes256gcm8(void)
{
  wireshark_ikev2("ikev2-decrypt-aes256gcm8.pcap", "5d48bfeeb7d574da", "bbb73016c0503640",
                  "91b817d036d97db3ace64475cd8d1cbeab186295020211a9cf0c16cec10b92b453ecd24e",
                  "d04516586721974d970627d85f7d031433b6558c0ec6faecf9217e5445e17e7eeee6bc68",
                  IKE2_ENCR_AES_GCM_8, 256, NULL, NULL, IKE2_INTEG_NONE,
                  "4a66d822d0afbc22ad9a92a2cf4287c920ad8ac3b069a4a7e75fe0a5d499f914");
}

/* ---------- lab captures against the charon logs ---------- */

/* The first two messages' KE and nonce data of a lab capture (IKEv1 MI2/MR2
 * or AI1/AR1; IKEv2 IKE_SA_INIT). */
typedef struct {
  guint8 *ke_i, *ke_r, *n_i, *n_r;
  gsize ke_i_len, ke_r_len, n_i_len, n_r_len;
  guint8 spi_i[8], spi_r[8];
  guint8 *init_req, *init_resp;
  gsize init_req_len, init_resp_len;
} lab_exchange_t;

static void lab_exchange_get(const char *scenario, lab_exchange_t *x)
{
  const char *initiator = NULL;
  memset(x, 0, sizeof *x);
  for (const fx_packet_t *p = fx_packets; p->capture; p++) {
    if (strcmp(p->capture, scenario) != 0)
      continue;
    gsize len;
    guint8 *data = unhex(p->hex, &len);
    if (!initiator)
      initiator = p->src;
    gboolean from_i = strcmp(p->src, initiator) == 0;
    ike_parse_message(data, len, &msg);
    if (msg.has_ke && msg.has_nonce && !msg.encrypted) {
      if (from_i && !x->ke_i) {
        x->ke_i = g_memdup2(msg.ke_data, msg.ke_len); x->ke_i_len = msg.ke_len;
        x->n_i = g_memdup2(msg.nonce, msg.nonce_len); x->n_i_len = msg.nonce_len;
        x->init_req = g_memdup2(data, len); x->init_req_len = len;
      } else if (!from_i && !x->ke_r) {
        x->ke_r = g_memdup2(msg.ke_data, msg.ke_len); x->ke_r_len = msg.ke_len;
        x->n_r = g_memdup2(msg.nonce, msg.nonce_len); x->n_r_len = msg.nonce_len;
        x->init_resp = g_memdup2(data, len); x->init_resp_len = len;
        memcpy(x->spi_i, msg.spi_i, 8);
        memcpy(x->spi_r, msg.spi_r, 8);
      }
    }
    g_free(data);
  }
  g_assert_nonnull(x->ke_i);
  g_assert_nonnull(x->ke_r);
}

static void lab_exchange_free(lab_exchange_t *x)
{
  g_free(x->ke_i); g_free(x->ke_r); g_free(x->n_i); g_free(x->n_r);
  g_free(x->init_req); g_free(x->init_resp);
}

static void test_lab_ikev1_derivation(void)
{
  /* Lab suite: AES-CBC-256, SHA2-256 (hash attribute 4), MODP-2048. */
  const ike1_suite_t suite = {7, 256, 4};
  const char *scenarios[] = {"healthy-ikev1", "psk-mismatch-ikev1", "aggressive-psk-ikev1"};
  for (gsize s = 0; s < G_N_ELEMENTS(scenarios); s++) {
    lab_exchange_t x;
    lab_exchange_get(scenarios[s], &x);
    for (int side = 0; side < 2; side++) {
      const char *who = side ? "responder" : "initiator";
      const char *psk = (s == 1 && side == 1) ? lab_psk_wrong : lab_psk;
      ike1_keys_t k;
      gsize dh_len;
      const char *dh_hex = log_value(scenarios[s], who, "shared Diffie Hellman secret", 0);
      g_assert_nonnull(dh_hex);
      guint8 *dh = unhex(dh_hex, &dh_len);
      g_assert_true(ike1_keys_init(&k, &suite));
      g_assert_true(ike1_skeyid_psk(&k, (const guint8 *)psk, strlen(psk), x.n_i, x.n_i_len, x.n_r, x.n_r_len));
      assert_hex(k.skeyid, 32, log_value(scenarios[s], who, "SKEYID", 0));
      g_assert_true(ike1_derive_from_skeyid(&k, dh, dh_len, x.spi_i, x.spi_r));
      assert_hex(k.skeyid_d, 32, log_value(scenarios[s], who, "SKEYID_d", 0));
      assert_hex(k.skeyid_a, 32, log_value(scenarios[s], who, "SKEYID_a", 0));
      assert_hex(k.skeyid_e, 32, log_value(scenarios[s], who, "SKEYID_e", 0));
      assert_hex(k.enc_key, k.enc_key_len, log_value(scenarios[s], who, "encryption key Ka", 0));
      guint8 iv[16];
      g_assert_true(ike1_phase1_iv(&suite, x.ke_i, x.ke_i_len, x.ke_r, x.ke_r_len, iv));
      assert_hex(iv, 16, log_value(scenarios[s], who, "initial IV", 0));
      g_free(dh);
    }
    lab_exchange_free(&x);
  }
}

static void test_lab_ikev1_key_expansion(void)
{
  /* 3DES with SHA-1: SKEYID_e (20 bytes) is shorter than the key (24), so
   * Ka = K1 | K2 cut, K1 = prf(SKEYID_e, 0), K2 = prf(SKEYID_e, K1). */
  const ike1_suite_t suite = {5, 0, 2};
  ike1_keys_t k;
  g_assert_true(ike1_keys_init(&k, &suite));
  for (int i = 0; i < 20; i++)
    k.skeyid_e[i] = (guint8)i;
  k.has_skeyid_e = TRUE;
  g_assert_true(ike1_enc_key_from_skeyid_e(&k));
  g_assert_cmpuint(k.enc_key_len, ==, 24);
  guint8 zero = 0, k1[20], k2[20];
  ike_chunk_t c0 = {&zero, 1};
  g_assert_true(ike_prf(IKE_HASH_SHA1, k.skeyid_e, 20, &c0, 1, k1));
  ike_chunk_t c1 = {k1, 20};
  g_assert_true(ike_prf(IKE_HASH_SHA1, k.skeyid_e, 20, &c1, 1, k2));
  g_assert_true(memcmp(k.enc_key, k1, 20) == 0);
  g_assert_true(memcmp(k.enc_key + 20, k2, 4) == 0);
  /* A given key shorter than the cipher needs is refused. */
  g_assert_false(ike1_set_enc_key(&k, k1, 16));
}

static void test_lab_ikev2_derivation(void)
{
  const char *scenarios[] = {"healthy-ikev2", "psk-mismatch-ikev2"};
  /* Lab suite: AES-CBC-256, HMAC-SHA2-256-128, PRF-HMAC-SHA2-256. */
  const ike2_suite_t suite = {IKE2_ENCR_AES_CBC, 256, IKE2_INTEG_HMAC_SHA2_256_128, 5, 0};
  for (gsize s = 0; s < G_N_ELEMENTS(scenarios); s++) {
    lab_exchange_t x;
    lab_exchange_get(scenarios[s], &x);
    gsize dh_len;
    guint8 *dh = unhex(log_value(scenarios[s], "initiator", "shared Diffie Hellman secret", 0), &dh_len);
    ike2_keys_t k;
    g_assert_true(ike2_derive(&k, &suite, dh, dh_len, x.n_i, x.n_i_len, x.n_r, x.n_r_len, x.spi_i, x.spi_r));
    for (int side = 0; side < 2; side++) {
      const char *who = side ? "responder" : "initiator";
      assert_hex(k.sk_d, 32, log_value(scenarios[s], who, "Sk_d secret", 0));
      assert_hex(k.sk_ai, 32, log_value(scenarios[s], who, "Sk_ai secret", 0));
      assert_hex(k.sk_ar, 32, log_value(scenarios[s], who, "Sk_ar secret", 0));
      assert_hex(k.sk_ei, 32, log_value(scenarios[s], who, "Sk_ei secret", 0));
      assert_hex(k.sk_er, 32, log_value(scenarios[s], who, "Sk_er secret", 0));
      assert_hex(k.sk_pi, 32, log_value(scenarios[s], who, "Sk_pi secret", 0));
      assert_hex(k.sk_pr, 32, log_value(scenarios[s], who, "Sk_pr secret", 0));
    }
    g_free(dh);
    lab_exchange_free(&x);
  }
}

static void test_lab_ikev2_keymat(void)
{
  /* First Child SA: KEYMAT = prf+(SK_d, Ni | Nr) = SK_ei | SK_ai | SK_er | SK_ar
   * of ESP (AES-CBC-256, HMAC-SHA2-256-128: 32 + 32 bytes each way). */
  const ike2_suite_t suite = {IKE2_ENCR_AES_CBC, 256, IKE2_INTEG_HMAC_SHA2_256_128, 5, 0};
  lab_exchange_t x;
  lab_exchange_get("healthy-ikev2", &x);
  gsize dh_len;
  guint8 *dh = unhex(log_value("healthy-ikev2", "initiator", "shared Diffie Hellman secret", 0), &dh_len);
  ike2_keys_t k;
  g_assert_true(ike2_derive(&k, &suite, dh, dh_len, x.n_i, x.n_i_len, x.n_r, x.n_r_len, x.spi_i, x.spi_r));
  guint8 keymat[128];
  g_assert_true(ike2_keymat(&k, NULL, 0, x.n_i, x.n_i_len, x.n_r, x.n_r_len, keymat, sizeof keymat));
  assert_hex(keymat, 32, log_value("healthy-ikev2", "initiator", "encryption initiator key", 0));
  assert_hex(keymat + 32, 32, log_value("healthy-ikev2", "initiator", "integrity initiator key", 0));
  assert_hex(keymat + 64, 32, log_value("healthy-ikev2", "initiator", "encryption responder key", 0));
  assert_hex(keymat + 96, 32, log_value("healthy-ikev2", "initiator", "integrity responder key", 0));
  g_free(dh);
  lab_exchange_free(&x);
}

static void psk_entry(ipsecdiag_psk_entry_t *e, const char *label, const char *psk)
{
  memset(e, 0, sizeof *e);
  e->label = (char *)label;
  e->psk = secret_str(psk);
}

/* Runs a lab IKEv1 capture with the DH secret of the initiator's log (or
 * none) and the given PSKs. */
static run_t lab_v1_run(const char *scenario, gboolean with_dh, const ipsecdiag_psk_entry_t *const *psks,
                        guint n_psks, ike_decrypt_sa_t **sa_out)
{
  ipsecdiag_ike1_keys_t k;
  memset(&k, 0, sizeof k);
  if (with_dh)
    k.dh_secret = secret_hex(log_value(scenario, "initiator", "shared Diffie Hellman secret", 0));
  ike_decrypt_sa_t *sa = ike_decrypt_sa_new(1);
  ike_decrypt_sa_set_keys(sa, &k, NULL, psks, n_psks);
  secret_free(&k.dh_secret);
  run_t r = run_capture(scenario, sa, FALSE);
  *sa_out = sa;
  return r;
}

static void test_lab_ikev1_healthy(void)
{
  ipsecdiag_psk_entry_t right, wrong;
  psk_entry(&wrong, "old-key", lab_psk_wrong);
  psk_entry(&right, "site-a", lab_psk);
  const ipsecdiag_psk_entry_t *psks[] = {&wrong, &right};
  ike_decrypt_sa_t *sa;
  run_t r = lab_v1_run("healthy-ikev1", TRUE, psks, 2, &sa);
  g_assert_cmpuint(r.n_encrypted, >=, 5);     /* MI3, MR3, QI1, QR1, QI2 */
  g_assert_cmpuint(r.n_decrypted, ==, r.n_encrypted);
  g_assert_cmpuint(r.n_verified, ==, 3);      /* HASH(1), HASH(2), HASH(3) of QI1, QR1, QI2 */
  for (guint side = 0; side < 2; side++) {
    const ike_psk_check_t *c = ike_decrypt_sa_psk_check(sa, side);
    g_assert_cmpint(c->verdict, ==, IKE_PSK_MATCH);
    g_assert_cmpstr(c->label, ==, "site-a");
  }
  /* HASH_I and HASH_R equal what charon logged. */
  g_assert_true(run_has_hash(&r, log_value("healthy-ikev1", "initiator", "Hash(1)", 0)) ||
                log_value("healthy-ikev1", "initiator", "Hash(1)", 0) == NULL);
  run_free(&r);
  ike_decrypt_sa_free(sa);

  /* PSKs without the DH secret: Main Mode stays encrypted, said plainly. */
  r = lab_v1_run("healthy-ikev1", FALSE, psks, 2, &sa);
  g_assert_cmpuint(r.n_decrypted, ==, 0);
  run_free(&r);
  ike_decrypt_sa_free(sa);
  secret_free(&right.psk);
  secret_free(&wrong.psk);
}

static void test_lab_ikev1_psk_mismatch(void)
{
  ipsecdiag_psk_entry_t a, b;
  psk_entry(&a, "site-a", lab_psk);
  psk_entry(&b, "site-b", lab_psk_wrong);
  const ipsecdiag_psk_entry_t *psks[] = {&a, &b};
  ike_decrypt_sa_t *sa;
  run_t r = lab_v1_run("psk-mismatch-ikev1", TRUE, psks, 2, &sa);
  /* MI3 (and its retransmissions) with the initiator's key, the responder's
   * four Informationals with its own. */
  g_assert_cmpuint(r.n_decrypted, ==, r.n_encrypted);
  /* MI3 carries INITIAL-CONTACT; each of the four Informationals PAYLOAD_MALFORMED. */
  g_assert_cmpuint(run_count_notify(&r, IKE_N_PAYLOAD_MALFORMED), ==, 4);
  const ike_psk_check_t *ci = ike_decrypt_sa_psk_check(sa, 0), *cr = ike_decrypt_sa_psk_check(sa, 1);
  g_assert_cmpint(ci->verdict, ==, IKE_PSK_MATCH);
  g_assert_cmpstr(ci->label, ==, "site-a");
  g_assert_cmpint(cr->verdict, ==, IKE_PSK_MATCH);
  g_assert_cmpstr(cr->label, ==, "site-b");
  run_free(&r);
  ike_decrypt_sa_free(sa);

  /* Only the initiator's PSK supplied: the responder's messages do not
   * decrypt, and that is reported, not guessed. */
  const ipsecdiag_psk_entry_t *only_a[] = {&a};
  r = lab_v1_run("psk-mismatch-ikev1", TRUE, only_a, 1, &sa);
  g_assert_cmpuint(r.n_failed, ==, 4);
  g_assert_cmpuint(run_count_notify(&r, IKE_N_PAYLOAD_MALFORMED), ==, 0);
  g_assert_cmpint(ike_decrypt_sa_psk_check(sa, 0)->verdict, ==, IKE_PSK_MATCH);
  g_assert_cmpint(ike_decrypt_sa_psk_check(sa, 1)->verdict, ==, IKE_PSK_NO_MATCH);
  g_assert_cmpstr(ike_decrypt_sa_psk_check(sa, 1)->how, ==, "decryption of its Informational");
  run_free(&r);
  ike_decrypt_sa_free(sa);

  /* Only the responder's: MI3 decrypts with none, so the initiator's PSK is
   * none of the supplied ones. */
  const ipsecdiag_psk_entry_t *only_b[] = {&b};
  r = lab_v1_run("psk-mismatch-ikev1", TRUE, only_b, 1, &sa);
  g_assert_cmpint(ike_decrypt_sa_psk_check(sa, 0)->verdict, ==, IKE_PSK_NO_MATCH);
  g_assert_cmpint(ike_decrypt_sa_psk_check(sa, 1)->verdict, ==, IKE_PSK_MATCH);
  run_free(&r);
  ike_decrypt_sa_free(sa);
  secret_free(&a.psk);
  secret_free(&b.psk);
}

static void test_lab_ikev1_aggressive_psk_only(void)
{
  ipsecdiag_psk_entry_t right, wrong;
  psk_entry(&right, "site-a", lab_psk);
  psk_entry(&wrong, "guess", lab_psk_wrong);
  const ipsecdiag_psk_entry_t *both[] = {&wrong, &right};
  ike_decrypt_sa_t *sa;
  /* No DH secret: HASH_R in AR1 is checked with the PSK alone. */
  run_t r = lab_v1_run("aggressive-psk-ikev1", FALSE, both, 2, &sa);
  const ike_psk_check_t *cr = ike_decrypt_sa_psk_check(sa, 1);
  g_assert_cmpint(cr->verdict, ==, IKE_PSK_MATCH);
  g_assert_cmpstr(cr->label, ==, "site-a");
  g_assert_cmpstr(cr->how, ==, "HASH_R");
  run_free(&r);
  ike_decrypt_sa_free(sa);

  const ipsecdiag_psk_entry_t *only_wrong[] = {&wrong};
  r = lab_v1_run("aggressive-psk-ikev1", FALSE, only_wrong, 1, &sa);
  g_assert_cmpint(ike_decrypt_sa_psk_check(sa, 1)->verdict, ==, IKE_PSK_NO_MATCH);
  run_free(&r);
  ike_decrypt_sa_free(sa);

  /* With the DH secret AI2 decrypts too and HASH_I names the initiator's PSK. */
  r = lab_v1_run("aggressive-psk-ikev1", TRUE, both, 2, &sa);
  g_assert_cmpuint(r.n_decrypted, ==, r.n_encrypted);
  g_assert_cmpint(ike_decrypt_sa_psk_check(sa, 0)->verdict, ==, IKE_PSK_MATCH);
  g_assert_cmpstr(ike_decrypt_sa_psk_check(sa, 0)->label, ==, "site-a");
  run_free(&r);
  ike_decrypt_sa_free(sa);
  secret_free(&right.psk);
  secret_free(&wrong.psk);
}

static run_t lab_v2_run(const char *scenario, gboolean with_dh, const ipsecdiag_psk_entry_t *const *psks,
                        guint n_psks, ike_decrypt_sa_t **sa_out)
{
  ipsecdiag_ike2_keys_t k;
  memset(&k, 0, sizeof k);
  if (with_dh)
    k.dh_secret = secret_hex(log_value(scenario, "initiator", "shared Diffie Hellman secret", 0));
  ike_decrypt_sa_t *sa = ike_decrypt_sa_new(2);
  ike_decrypt_sa_set_keys(sa, NULL, &k, psks, n_psks);
  secret_free(&k.dh_secret);
  run_t r = run_capture(scenario, sa, FALSE);
  *sa_out = sa;
  return r;
}

static void test_lab_ikev2_healthy(void)
{
  ipsecdiag_psk_entry_t right, wrong;
  psk_entry(&wrong, "old-key", lab_psk_wrong);
  psk_entry(&right, "site-a", lab_psk);
  const ipsecdiag_psk_entry_t *psks[] = {&wrong, &right};
  ike_decrypt_sa_t *sa;
  run_t r = lab_v2_run("healthy-ikev2", TRUE, psks, 2, &sa);
  g_assert_cmpuint(r.n_encrypted, >=, 2);
  g_assert_cmpuint(r.n_decrypted, ==, r.n_encrypted);
  g_assert_cmpuint(r.n_verified, ==, r.n_encrypted);
  /* The AUTH values are the ones charon computed. */
  g_assert_true(run_has_hash(&r, log_value("healthy-ikev2", "initiator", "AUTH = prf(prf(secret, keypad), octets)", 0)));
  g_assert_true(run_has_hash(&r, log_value("healthy-ikev2", "responder", "AUTH = prf(prf(secret, keypad), octets)", 0)));
  for (guint side = 0; side < 2; side++) {
    g_assert_cmpint(ike_decrypt_sa_psk_check(sa, side)->verdict, ==, IKE_PSK_MATCH);
    g_assert_cmpstr(ike_decrypt_sa_psk_check(sa, side)->label, ==, "site-a");
    g_assert_cmpstr(ike_decrypt_sa_psk_check(sa, side)->how, ==, "AUTH");
  }
  run_free(&r);
  ike_decrypt_sa_free(sa);
  secret_free(&right.psk);
  secret_free(&wrong.psk);
}

static void test_lab_ikev2_psk_mismatch(void)
{
  ipsecdiag_psk_entry_t a, b;
  psk_entry(&a, "site-a", lab_psk);
  psk_entry(&b, "site-b", lab_psk_wrong);
  const ipsecdiag_psk_entry_t *psks[] = {&b, &a};
  ike_decrypt_sa_t *sa;
  run_t r = lab_v2_run("psk-mismatch-ikev2", TRUE, psks, 2, &sa);
  g_assert_cmpuint(r.n_decrypted, ==, 2);
  g_assert_cmpuint(r.n_notifies, >=, 1);
  g_assert_cmpuint(run_count_notify(&r, IKE_N_AUTHENTICATION_FAILED), ==, 1);
  g_assert_cmpint(ike_decrypt_sa_psk_check(sa, 0)->verdict, ==, IKE_PSK_MATCH);
  g_assert_cmpstr(ike_decrypt_sa_psk_check(sa, 0)->label, ==, "site-a");
  /* The responder sent no AUTH: nothing to check. */
  g_assert_cmpint(ike_decrypt_sa_psk_check(sa, 1)->verdict, ==, IKE_PSK_UNKNOWN);
  run_free(&r);
  ike_decrypt_sa_free(sa);

  const ipsecdiag_psk_entry_t *only_b[] = {&b};
  r = lab_v2_run("psk-mismatch-ikev2", TRUE, only_b, 1, &sa);
  g_assert_cmpint(ike_decrypt_sa_psk_check(sa, 0)->verdict, ==, IKE_PSK_NO_MATCH);
  run_free(&r);
  ike_decrypt_sa_free(sa);

  /* Without any key: said so, nothing decrypted. */
  r = lab_v2_run("psk-mismatch-ikev2", FALSE, only_b, 1, &sa);
  g_assert_cmpuint(r.n_decrypted, ==, 0);
  run_free(&r);
  ike_decrypt_sa_free(sa);
  secret_free(&a.psk);
  secret_free(&b.psk);
}

/* ---------- the engine with a keys store ---------- */

static void parse_ipv4(const char *text, ipsecdiag_addr_t *addr)
{
  guint a, b, c, d;
  memset(addr, 0, sizeof *addr);
  g_assert_cmpint(sscanf(text, "%u.%u.%u.%u", &a, &b, &c, &d), ==, 4);
  addr->family = 4;
  addr->bytes[0] = (guint8)a; addr->bytes[1] = (guint8)b; addr->bytes[2] = (guint8)c; addr->bytes[3] = (guint8)d;
}

/* Feeds a lab capture's IKE messages to an engine (with keys or none). */
static ipsecdiag_engine_t *engine_run(const char *scenario, const ipsecdiag_keys_t *keys)
{
  ipsecdiag_engine_t *engine = ipsecdiag_engine_new();
  ipsecdiag_engine_set_keys(engine, keys);
  for (const fx_packet_t *p = fx_packets; p->capture; p++) {
    if (strcmp(p->capture, scenario) != 0)
      continue;
    ipsecdiag_packet_t pkt;
    memset(&pkt, 0, sizeof pkt);
    pkt.frame = p->frame;
    pkt.time = p->time;
    parse_ipv4(p->src, &pkt.src.addr);
    parse_ipv4(p->dst, &pkt.dst.addr);
    pkt.src.port = (guint16)p->sport;
    pkt.dst.port = (guint16)p->dport;
    pkt.non_esp_marker = p->sport == 4500 || p->dport == 4500;
    gsize len;
    guint8 *data = unhex(p->hex, &len);
    ipsecdiag_engine_feed_ike(engine, &pkt, data, len);
    g_free(data);
  }
  ipsecdiag_engine_finalize(engine);
  return engine;
}

static gboolean frame_has(const ipsecdiag_engine_t *engine, guint32 number, const char *rule)
{
  const ipsecdiag_frame_t *frame = ipsecdiag_engine_frame(engine, number);
  if (!frame || !frame->findings)
    return FALSE;
  for (guint i = 0; i < frame->findings->len; i++)
    if (!strcmp(((const ipsecdiag_finding_t *)g_ptr_array_index(frame->findings, i))->rule_id, rule))
      return TRUE;
  return FALSE;
}

static gboolean any_frame_has(const ipsecdiag_engine_t *engine, const char *rule)
{
  for (guint32 n = 1; n < 64; n++)
    if (frame_has(engine, n, rule))
      return TRUE;
  return FALSE;
}

static ipsecdiag_keys_t *keys_from_text(const char *text)
{
  ipsecdiag_keys_t *keys = ipsecdiag_keys_new();
  GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
  g_assert_cmpuint(ipsecdiag_keys_load_data(keys, "test", text, strlen(text), errors), >, 0);
  for (guint i = 0; i < errors->len; i++)
    g_printerr("%s\n", (const char *)g_ptr_array_index(errors, i));
  g_assert_cmpuint(errors->len, ==, 0);
  g_ptr_array_free(errors, TRUE);
  return keys;
}

static void test_engine_ikev1_psk_mismatch(void)
{
  /* Without keys: the size-and-order inference. */
  ipsecdiag_engine_t *engine = engine_run("psk-mismatch-ikev1", NULL);
  g_assert_true(any_frame_has(engine, "ikev1_auth_rejected_inferred"));
  g_assert_false(any_frame_has(engine, "notify_payload_malformed"));
  ipsecdiag_engine_free(engine);

  /* With the DH secret and both PSKs: the exact notify and who holds which PSK. */
  char *text = g_strdup_printf("dh cookie_i=0e90ab57509d2527 version=1 0x%s\n"
                               "psk \"%s\" name=site-a\npsk \"%s\" name=site-b\n",
                               log_value("psk-mismatch-ikev1", "initiator", "shared Diffie Hellman secret", 0),
                               lab_psk, lab_psk_wrong);
  ipsecdiag_keys_t *keys = keys_from_text(text);
  engine = engine_run("psk-mismatch-ikev1", keys);
  g_assert_true(any_frame_has(engine, "notify_payload_malformed"));
  g_assert_true(any_frame_has(engine, "psk_mismatch_confirmed"));
  g_assert_false(any_frame_has(engine, "ikev1_auth_rejected_inferred"));
  const ipsecdiag_tunnel_t *tunnel = ipsecdiag_engine_tunnel(engine, 1);
  g_assert_nonnull(tunnel->psk_verdict);
  g_assert_nonnull(strstr(tunnel->psk_verdict, "initiator: matches entry 'site-a'"));
  g_assert_nonnull(strstr(tunnel->psk_verdict, "responder: matches entry 'site-b'"));
  g_assert_cmpuint(tunnel->decrypted_messages, >=, 5);
  /* The decrypted Informational is kept for the tree, in the clear. */
  const ipsecdiag_frame_t *frame = ipsecdiag_engine_frame(engine, 6);
  g_assert_nonnull(frame->decrypted);
  g_assert_cmpint(ike_parse_message(frame->decrypted, frame->decrypted_len, &msg), ==, IKE_PARSE_OK);
  g_assert_nonnull(ike_message_find_notify(&msg, IKE_N_PAYLOAD_MALFORMED));
  ipsecdiag_engine_free(engine);
  ipsecdiag_keys_free(keys);
  g_free(text);

  /* A wrong DH secret: nothing decrypts, said once per side, the inference stays. */
  keys = keys_from_text("dh cookie_i=0e90ab57509d2527 version=1 0x0102030405060708\n"
                        "psk \"ipsecdiag-lab-psk-DO-NOT-USE\" name=site-a\n");
  engine = engine_run("psk-mismatch-ikev1", keys);
  g_assert_true(any_frame_has(engine, "decryption_failed"));
  g_assert_true(any_frame_has(engine, "ikev1_auth_rejected_inferred"));
  g_assert_false(any_frame_has(engine, "notify_payload_malformed"));
  ipsecdiag_engine_free(engine);
  ipsecdiag_keys_free(keys);
}

static void test_engine_ikev2_ts_mismatch(void)
{
  lab_exchange_t x;
  lab_exchange_get("ts-mismatch-ikev2", &x);
  char *spi_i = tohex(x.spi_i, 8);
  char *text = g_strdup_printf("dh spi_i=%s version=2 0x%s\npsk \"%s\" name=lab\n", spi_i,
                               log_value("ts-mismatch-ikev2", "initiator", "shared Diffie Hellman secret", 0) ?
                               log_value("ts-mismatch-ikev2", "initiator", "shared Diffie Hellman secret", 0) : "00",
                               lab_psk);
  ipsecdiag_keys_t *keys = keys_from_text(text);
  ipsecdiag_engine_t *engine = engine_run("ts-mismatch-ikev2", keys);
  g_assert_true(any_frame_has(engine, "notify_ts_unacceptable"));
  g_assert_true(any_frame_has(engine, "traffic_selectors_rejected"));
  g_assert_true(any_frame_has(engine, "psk_verified"));
  g_assert_false(any_frame_has(engine, "child_sa_rejected_inferred"));
  g_assert_false(any_frame_has(engine, "psk_mismatch_confirmed"));
  ipsecdiag_engine_free(engine);
  ipsecdiag_keys_free(keys);
  g_free(text);
  g_free(spi_i);
  lab_exchange_free(&x);
}

/* ---------- robustness ---------- */

static void test_truncated_messages(void)
{
  /* Every truncation of an encrypted IKEv2 message is refused cleanly. */
  ipsecdiag_ike2_keys_t k;
  memset(&k, 0, sizeof k);
  k.sk_ei = secret_hex("9096ddd2933620e8f48122c53a3f562cb0222c1cf97ce41fcc874ea2582a89ac");
  k.sk_er = secret_hex("6718c6b2bbef2f234eac4c13832f885d87b574afd2af0111161e99b5dc61b4d4");
  k.sk_ai = secret_hex("12d532c3e83c757906af548dfe1ccf223ca5507af77898454e2d55c8ace57a17");
  k.sk_ar = secret_hex("30c4ead18c93024b58a86c1e3db60f550221801026853170b4cb0248d3a95329");
  k.encr_id = IKE2_ENCR_AES_CBC;
  k.encr_key_bits = 256;
  k.integ_id = IKE2_INTEG_HMAC_SHA2_256_128;
  ike_decrypt_sa_t *sa = ike_decrypt_sa_new(2);
  ike_decrypt_sa_set_keys(sa, NULL, &k, NULL, 0);
  guint tested = 0;
  for (const fx_packet_t *p = fx_packets; p->capture; p++) {
    if (strcmp(p->capture, "ikev2-decrypt-aes256cbc.pcapng") != 0)
      continue;
    gsize len;
    guint8 *data = unhex(p->hex, &len);
    ike_parse_message(data, len, &msg);
    if (!msg.encrypted) {
      g_free(data);
      continue;
    }
    for (gsize cut = 0; cut < len; cut++) {
      guint8 *copy = g_memdup2(data, cut ? cut : 1);
      guint8 *plain = NULL;
      gsize plain_len = 0;
      guint8 first;
      ike2_keys_t keys;
      const ike2_suite_t suite = {IKE2_ENCR_AES_CBC, 256, IKE2_INTEG_HMAC_SHA2_256_128, 5, 0};
      g_assert_true(ike2_set_keys(&keys, &suite, k.sk_ei.data, 32, k.sk_er.data, 32, k.sk_ai.data, 32,
                                  k.sk_ar.data, 32));
      g_assert_cmpint(ike2_decrypt(&keys, TRUE, copy, cut, &plain, &plain_len, &first), !=, IKE2_DECRYPT_OK);
      g_assert_null(plain);
      g_free(copy);
      tested++;
    }
    g_free(data);
  }
  g_assert_cmpuint(tested, >, 100);
  ike_decrypt_sa_free(sa);
  secret_free(&k.sk_ei);
  secret_free(&k.sk_er);
  secret_free(&k.sk_ai);
  secret_free(&k.sk_ar);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/ike_crypto/prf_rfc4231", test_prf_rfc4231);
  g_test_add_func("/ike_crypto/prf_against_glib", test_prf_against_glib);
  g_test_add_func("/ike_crypto/wireshark/ikev1_12610", test_ws_ikev1_12610);
  g_test_add_func("/ike_crypto/wireshark/ikev1_12620", test_ws_ikev1_12620);
  g_test_add_func("/ike_crypto/wireshark/ikev2_3des_sha1_160", test_ws_ikev2_3des_sha1_160);
  g_test_add_func("/ike_crypto/wireshark/ikev2_aes128ccm12", test_ws_ikev2_aes128ccm12);
  g_test_add_func("/ike_crypto/wireshark/ikev2_aes128ccm12_as_ctr", test_ws_ikev2_aes128ccm12_as_ctr);
  g_test_add_func("/ike_crypto/wireshark/ikev2_aes192ctr_sha512", test_ws_ikev2_aes192ctr_sha512);
  g_test_add_func("/ike_crypto/wireshark/ikev2_aes256cbc_sha256", test_ws_ikev2_aes256cbc_sha256);
  g_test_add_func("/ike_crypto/wireshark/ikev2_aes256ccm16", test_ws_ikev2_aes256ccm16);
  g_test_add_func("/ike_crypto/wireshark/ikev2_aes256gcm16", test_ws_ikev2_aes256gcm16);
  g_test_add_func("/ike_crypto/wireshark/ikev2_aes256gcm8", test_ws_ikev2_aes256gcm8);
  g_test_add_func("/ike_crypto/lab/ikev1_derivation", test_lab_ikev1_derivation);
  g_test_add_func("/ike_crypto/lab/ikev1_key_expansion", test_lab_ikev1_key_expansion);
  g_test_add_func("/ike_crypto/lab/ikev2_derivation", test_lab_ikev2_derivation);
  g_test_add_func("/ike_crypto/lab/ikev2_keymat", test_lab_ikev2_keymat);
  g_test_add_func("/ike_crypto/lab/ikev1_healthy", test_lab_ikev1_healthy);
  g_test_add_func("/ike_crypto/lab/ikev1_psk_mismatch", test_lab_ikev1_psk_mismatch);
  g_test_add_func("/ike_crypto/lab/ikev1_aggressive_psk_only", test_lab_ikev1_aggressive_psk_only);
  g_test_add_func("/ike_crypto/lab/ikev2_healthy", test_lab_ikev2_healthy);
  g_test_add_func("/ike_crypto/lab/ikev2_psk_mismatch", test_lab_ikev2_psk_mismatch);
  g_test_add_func("/ike_crypto/engine/ikev1_psk_mismatch", test_engine_ikev1_psk_mismatch);
  g_test_add_func("/ike_crypto/engine/ikev2_ts_mismatch", test_engine_ikev2_ts_mismatch);
  g_test_add_func("/ike_crypto/robustness/truncated", test_truncated_messages);
  return g_test_run();
}
