/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of the keys file reader (plugin/engine/keys_file.c): every entry
 * kind of the ipsecdiag format, Wireshark's own key tables from its test
 * suite, every error message with its "file:line: ", bounds, merging of lines
 * about one IKE SA, algorithm names and secret masking.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "ipsecdiag/keys.h"

#define NAME "t.keys"

static GPtrArray *
new_errors(void)
{
  return g_ptr_array_new_with_free_func(g_free);
}

/* Asserts that errors holds exactly the given messages (NULL-terminated). */
static void G_GNUC_NULL_TERMINATED
assert_errors(const GPtrArray *errors, ...)
{
  va_list args;
  va_start(args, errors);
  guint i = 0;
  const char *expected;
  while ((expected = va_arg(args, const char *)) != NULL) {
    if (i >= errors->len)
      g_error("missing error #%u: %s", i, expected);
    g_assert_cmpstr(g_ptr_array_index(errors, i), ==, expected);
    i++;
  }
  va_end(args);
  if (i < errors->len)
    g_error("unexpected error: %s", (const char *)g_ptr_array_index(errors, i));
}

static guint
load_text(ipsecdiag_keys_t *keys, const char *text, GPtrArray *errors)
{
  return ipsecdiag_keys_load_data(keys, NAME, text, strlen(text), errors);
}

static void
assert_secret_hex(const ipsecdiag_secret_t *secret, const char *hex)
{
  GString *got = g_string_new(NULL);
  for (gsize i = 0; i < secret->len; i++)
    g_string_append_printf(got, "%02x", secret->data[i]);
  g_assert_cmpstr(got->str, ==, hex);
  g_string_free(got, TRUE);
}

static void
assert_secret_text(const ipsecdiag_secret_t *secret, const char *text)
{
  g_assert_cmpuint(secret->len, ==, strlen(text));
  g_assert_true(memcmp(secret->data, text, secret->len) == 0);
}

static void
spi_from_hex(const char *hex, guint8 out[IKE_SPI_LEN])
{
  for (guint i = 0; i < IKE_SPI_LEN; i++)
    out[i] = (guint8)(g_ascii_xdigit_value(hex[2 * i]) << 4 | g_ascii_xdigit_value(hex[2 * i + 1]));
}

/* Loads text that must fail on its only line with exactly this message. */
static void
assert_one_error(const char *text, const char *message)
{
  ipsecdiag_keys_t *keys = ipsecdiag_keys_new();
  GPtrArray *errors = new_errors();
  g_assert_cmpuint(load_text(keys, text, errors), ==, 0);
  assert_errors(errors, message, NULL);
  g_assert_cmpuint(ipsecdiag_keys_psk_count(keys), ==, 0);
  g_assert_cmpuint(ipsecdiag_keys_ike1_count(keys), ==, 0);
  g_assert_cmpuint(ipsecdiag_keys_ike2_count(keys), ==, 0);
  g_assert_cmpuint(ipsecdiag_keys_esp_count(keys), ==, 0);
  g_ptr_array_free(errors, TRUE);
  ipsecdiag_keys_free(keys);
}

/* ---- entry kinds ---- */

static void
test_psk(void)
{
  ipsecdiag_keys_t *keys = ipsecdiag_keys_new();
  GPtrArray *errors = new_errors();
  const char *text =
    "# PSKs\n"
    "psk \"correct horse\" name=site-a peer=192.0.2.1 id=@site-a.example\n"
    "psk 0x73:65:63:72:65:74   # hex with colons, any peer\n"
    "  psk 736563726574 peer=2001:DB8::0001 id=\"CN=site b, O=Example\"\n"
    "PSK secret=\"a \\\"quoted\\\" \\\\ #not a comment\\x21\" label=quoted\n"
    "psk \"x\" peer=* id=any-id\n";
  g_assert_cmpuint(load_text(keys, text, errors), ==, 5);
  assert_errors(errors, NULL);
  g_assert_cmpuint(ipsecdiag_keys_psk_count(keys), ==, 5);

  const ipsecdiag_psk_entry_t *e = ipsecdiag_keys_psk(keys, 0);
  g_assert_cmpstr(e->label, ==, "site-a");
  g_assert_cmpstr(e->source, ==, NAME ":2");
  g_assert_cmpstr(e->peer_addr, ==, "192.0.2.1");
  g_assert_cmpstr(e->peer_id, ==, "@site-a.example");
  assert_secret_text(&e->psk, "correct horse");

  e = ipsecdiag_keys_psk(keys, 1);
  g_assert_cmpstr(e->label, ==, "line 3");
  g_assert_null(e->peer_addr);
  g_assert_null(e->peer_id);
  assert_secret_text(&e->psk, "secret");

  e = ipsecdiag_keys_psk(keys, 2);
  g_assert_cmpstr(e->peer_addr, ==, "2001:db8::1");   /* canonical */
  g_assert_cmpstr(e->peer_id, ==, "CN=site b, O=Example");
  assert_secret_text(&e->psk, "secret");

  e = ipsecdiag_keys_psk(keys, 3);
  g_assert_cmpstr(e->label, ==, "quoted");
  assert_secret_text(&e->psk, "a \"quoted\" \\ #not a comment!");

  e = ipsecdiag_keys_psk(keys, 4);
  g_assert_null(e->peer_addr);
  g_assert_cmpstr(e->peer_id, ==, "any-id");
  g_assert_null(ipsecdiag_keys_psk(keys, 5));

  g_ptr_array_free(errors, TRUE);
  ipsecdiag_keys_free(keys);
}

static void
test_ike1(void)
{
  ipsecdiag_keys_t *keys = ipsecdiag_keys_new();
  GPtrArray *errors = new_errors();
  const char *text =
    "ike1 cookie_i=0x1122334455667788 cookie_r=99aabbccddeeff00 skeyid=0102 skeyid_d=0304 "
    "skeyid_a=0506 skeyid_e=0708 enc_key=090a\n"
    "ike1 icookie=a1a2a3a4a5a6a7a8 dh=ff:ee:dd\n"
    "dh cookie_i=a1a2a3a4a5a6a7a8 version=1 ffeedd   # the same again: merged, no conflict\n"
    "ike1 cookie_i=a1a2a3a4a5a6a7a8 rcookie=b1b2b3b4b5b6b7b8 skeyid_e=44   # completes it\n";
  g_assert_cmpuint(load_text(keys, text, errors), ==, 4);
  assert_errors(errors, NULL);
  g_assert_cmpuint(ipsecdiag_keys_ike1_count(keys), ==, 2);
  g_assert_cmpuint(ipsecdiag_keys_ike2_count(keys), ==, 0);

  guint8 cookie[IKE_SPI_LEN];
  spi_from_hex("1122334455667788", cookie);
  const ipsecdiag_ike1_keys_t *e = ipsecdiag_keys_ike1(keys, cookie);
  g_assert_nonnull(e);
  g_assert_true(e->has_cookie_r);
  g_assert_cmpuint(e->cookie_r[0], ==, 0x99);
  assert_secret_hex(&e->skeyid, "0102");
  assert_secret_hex(&e->skeyid_d, "0304");
  assert_secret_hex(&e->skeyid_a, "0506");
  assert_secret_hex(&e->skeyid_e, "0708");
  assert_secret_hex(&e->enc_key, "090a");
  g_assert_cmpuint(e->dh_secret.len, ==, 0);
  g_assert_cmpstr(e->source, ==, NAME ":1");

  spi_from_hex("a1a2a3a4a5a6a7a8", cookie);
  e = ipsecdiag_keys_ike1(keys, cookie);
  g_assert_nonnull(e);
  assert_secret_hex(&e->dh_secret, "ffeedd");
  assert_secret_hex(&e->skeyid_e, "44");
  g_assert_true(e->has_cookie_r);
  g_assert_cmpuint(e->cookie_r[7], ==, 0xb8);
  g_assert_true(ipsecdiag_keys_ike1_nth(keys, 1) == e);

  spi_from_hex("0000000000000001", cookie);
  g_assert_null(ipsecdiag_keys_ike1(keys, cookie));
  g_ptr_array_free(errors, TRUE);
  ipsecdiag_keys_free(keys);
}

static void
test_ike2(void)
{
  ipsecdiag_keys_t *keys = ipsecdiag_keys_new();
  GPtrArray *errors = new_errors();
  const char *text =
    "ike2 spi_i=0102030405060708 spi_r=1112131415161718 encr=aes-cbc-128 integ=HMAC_SHA2_256_128\n"
    "     sk_d=00 sk_ei=000102030405060708090a0b0c0d0e0f sk_er=0x101112131415161718191a1b1c1d1e1f\n"
    "ike2 spi_i=0102030405060708 spi_r=1112131415161718 encr=AES_CBC_128 integ=sha256 "
    "sk_d=d0 sk_ai=" "00000000000000000000000000000000000000000000000000000000000000a1"
    " sk_ar=" "00000000000000000000000000000000000000000000000000000000000000a2"
    " sk_pi=c1 sk_pr=c2\n"
    "ike2 ispi=2122232425262728 encr=AES_GCM_16_256 integ=none "
    "sk_ei=" "0000000000000000000000000000000000000000000000000000000000000000aabbccdd" "\n"
    "dh spi_i=2122232425262728 version=2 0x4242\n"
    "dh spi_i=3132333435363738 spi_r=4142434445464748 0x5353\n";
  /* line 2 is not a continuation: it is an unknown entry */
  g_assert_cmpuint(load_text(keys, text, errors), ==, 4);
  assert_errors(errors,
                NAME ":1: ike2: no key (dh=, sk_d=, sk_ei=, sk_er=, sk_ai=, sk_ar=, sk_pi= or sk_pr=)",
                NAME ":2: unknown entry 'sk_d=00': expected psk, dh, ike1, ike2, esp, child-dh or a Wireshark table row",
                NULL);
  g_ptr_array_free(errors, TRUE);
  ipsecdiag_keys_free(keys);

  /* the same without the broken first two lines */
  keys = ipsecdiag_keys_new();
  errors = new_errors();
  const char *good = strchr(strchr(text, '\n') + 1, '\n') + 1;
  g_assert_cmpuint(load_text(keys, good, errors), ==, 4);
  assert_errors(errors, NULL);
  g_assert_cmpuint(ipsecdiag_keys_ike2_count(keys), ==, 3);
  /* the dh line without version also made an IKEv1 entry */
  g_assert_cmpuint(ipsecdiag_keys_ike1_count(keys), ==, 1);

  guint8 spi_i[IKE_SPI_LEN], spi_r[IKE_SPI_LEN], zero[IKE_SPI_LEN] = { 0 };
  spi_from_hex("0102030405060708", spi_i);
  spi_from_hex("1112131415161718", spi_r);
  const ipsecdiag_ike2_keys_t *e = ipsecdiag_keys_ike2(keys, spi_i, spi_r);
  g_assert_nonnull(e);
  g_assert_true(e->has_spi_r);
  g_assert_cmpuint(e->encr_id, ==, 12);
  g_assert_cmpuint(e->encr_key_bits, ==, 128);
  g_assert_cmpuint(e->integ_id, ==, 12);
  g_assert_cmpuint(e->integ_icv_len, ==, 16);
  assert_secret_hex(&e->sk_d, "d0");
  assert_secret_hex(&e->sk_pi, "c1");
  assert_secret_hex(&e->sk_pr, "c2");
  g_assert_cmpuint(e->sk_ai.len, ==, 32);
  g_assert_cmpuint(e->sk_ar.data[31], ==, 0xa2);
  g_assert_true(ipsecdiag_keys_ike2(keys, spi_i, NULL) == e);
  g_assert_true(ipsecdiag_keys_ike2(keys, spi_i, zero) == e);
  spi_r[0] ^= 1;
  g_assert_null(ipsecdiag_keys_ike2(keys, spi_i, spi_r));   /* given spi_r must match */

  /* spi_i only: any spi_r matches; the dh line merged into it */
  spi_from_hex("2122232425262728", spi_i);
  e = ipsecdiag_keys_ike2(keys, spi_i, spi_r);
  g_assert_nonnull(e);
  g_assert_false(e->has_spi_r);
  g_assert_cmpuint(e->encr_id, ==, 20);
  g_assert_cmpuint(e->encr_key_bits, ==, 256);
  g_assert_cmpuint(e->encr_icv_len, ==, 16);
  g_assert_cmpuint(e->integ_id, ==, 0);
  g_assert_cmpuint(e->sk_ei.len, ==, 36);
  assert_secret_hex(&e->dh_secret, "4242");
  g_assert_cmpstr(e->source, ==, NAME ":2");

  spi_from_hex("3132333435363738", spi_i);
  spi_from_hex("4142434445464748", spi_r);
  e = ipsecdiag_keys_ike2(keys, spi_i, spi_r);
  g_assert_nonnull(e);
  assert_secret_hex(&e->dh_secret, "5353");
  const ipsecdiag_ike1_keys_t *v1 = ipsecdiag_keys_ike1(keys, spi_i);
  g_assert_nonnull(v1);
  assert_secret_hex(&v1->dh_secret, "5353");
  g_assert_true(v1->has_cookie_r);
  g_ptr_array_free(errors, TRUE);
  ipsecdiag_keys_free(keys);
}

static void
test_ike2_exact_before_wildcard(void)
{
  ipsecdiag_keys_t *keys = ipsecdiag_keys_new();
  GPtrArray *errors = new_errors();
  /* the wildcard line comes first; a second SA with the same spi_i and an
   * explicit spi_r conflicts with nothing, it merges into the wildcard */
  const char *text =
    "ike2 spi_i=0102030405060708 sk_d=01\n"
    "ike2 spi_i=0102030405060708 spi_r=0000000000000009 sk_ei=02\n";
  g_assert_cmpuint(load_text(keys, text, errors), ==, 2);
  assert_errors(errors, NULL);
  g_assert_cmpuint(ipsecdiag_keys_ike2_count(keys), ==, 1);
  const ipsecdiag_ike2_keys_t *e = ipsecdiag_keys_ike2_nth(keys, 0);
  g_assert_true(e->has_spi_r);
  assert_secret_hex(&e->sk_d, "01");
  assert_secret_hex(&e->sk_ei, "02");
  g_assert_null(ipsecdiag_keys_ike2_nth(keys, 1));
  g_ptr_array_free(errors, TRUE);
  ipsecdiag_keys_free(keys);
}

/* Algorithms and keys arriving on later lines about the same SA; key
 * lengths of ciphers given without one; escapes; the GCM without ICV size. */
static void
test_merge_fills_in(void)
{
  ipsecdiag_keys_t *keys = ipsecdiag_keys_new();
  GPtrArray *errors = new_errors();
  const char *text =
    "ike2 spi_i=0102030405060708 sk_d=01\n"
    "ike2 spi_i=0102030405060708 encr=aes-ctr integ=sha2_384 sk_ei=" "000102030405060708090a0b0c0d0e0f10111213\n"
    "dh spi_i=0102030405060708 spi_r=1112131415161718 version=2 77\n"
    "esp spi=9 encr=\"AES-GCM [RFC4106]\" enc_key=000102030405060708090a0b0c0d0e0f1011121314151617deadbeef\n"
    "psk \"tab\\there\\nnewline\"\n";
  g_assert_cmpuint(load_text(keys, text, errors), ==, 5);
  assert_errors(errors, NULL);
  g_assert_cmpuint(ipsecdiag_keys_ike2_count(keys), ==, 1);
  const ipsecdiag_ike2_keys_t *e = ipsecdiag_keys_ike2_nth(keys, 0);
  g_assert_true(e->has_spi_r);
  g_assert_cmpuint(e->spi_r[7], ==, 0x18);
  g_assert_cmpuint(e->encr_id, ==, 13);
  g_assert_cmpuint(e->encr_key_bits, ==, 128);   /* 20 bytes: key and 4-byte salt */
  g_assert_cmpuint(e->integ_id, ==, 13);
  g_assert_cmpuint(e->integ_icv_len, ==, 24);
  assert_secret_hex(&e->sk_d, "01");
  assert_secret_hex(&e->dh_secret, "77");
  g_assert_cmpstr(e->source, ==, NAME ":1");
  const ipsecdiag_esp_keys_t *esp = ipsecdiag_keys_esp(keys, 0);
  g_assert_cmpuint(esp->encr_id, ==, 20);
  g_assert_cmpuint(esp->encr_icv_len, ==, 16);
  g_assert_cmpuint(esp->encr_key_bits, ==, 192);
  assert_secret_text(&ipsecdiag_keys_psk(keys, 0)->psk, "tab\there\nnewline");
  g_ptr_array_free(errors, TRUE);
  ipsecdiag_keys_free(keys);
}

static void
test_merge_conflict(void)
{
  ipsecdiag_keys_t *keys = ipsecdiag_keys_new();
  GPtrArray *errors = new_errors();
  const char *text =
    "ike2 spi_i=0102030405060708 spi_r=1112131415161718 sk_d=01 encr=aes128 integ=sha1\n"
    "ike2 spi_i=0102030405060708 spi_r=1112131415161718 sk_d=02 encr=aes256 integ=sha256\n"
    "ike1 cookie_i=0102030405060708 skeyid=01\n"
    "ike1 cookie_i=0102030405060708 skeyid=02\n";
  g_assert_cmpuint(load_text(keys, text, errors), ==, 4);
  assert_errors(errors,
                NAME ":2: sk_d differs from the one given at " NAME ":1 for the same IKE SA; the first is kept",
                NAME ":2: encr differs from the one given at " NAME ":1 for the same IKE SA; the first is kept",
                NAME ":2: integ differs from the one given at " NAME ":1 for the same IKE SA; the first is kept",
                NAME ":4: skeyid differs from the one given at " NAME ":3 for the same IKE SA; the first is kept",
                NULL);
  const ipsecdiag_ike2_keys_t *e = ipsecdiag_keys_ike2_nth(keys, 0);
  assert_secret_hex(&e->sk_d, "01");
  g_assert_cmpuint(e->encr_key_bits, ==, 128);
  g_assert_cmpuint(e->integ_id, ==, 2);
  assert_secret_hex(&ipsecdiag_keys_ike1_nth(keys, 0)->skeyid, "01");
  g_ptr_array_free(errors, TRUE);
  ipsecdiag_keys_free(keys);
}

static void
test_esp(void)
{
  ipsecdiag_keys_t *keys = ipsecdiag_keys_new();
  GPtrArray *errors = new_errors();
  const char *text =
    "esp spi=0xc254fe64 src=10.0.0.1 dst=10.0.0.2 encr=aes-cbc enc_key=00112233445566778899aabbccddeeff "
    "integ=hmac-sha1-96 auth_key=0x0011223344556677889900112233445566778899\n"
    "esp spi=1 encr=aes128gcm16 enc_key=00112233445566778899aabbccddeeff01020304\n"
    "esp spi=2 encr=null auth_key=aa integ=sha256\n"
    "esp spi=3 encr=null\n";
  g_assert_cmpuint(load_text(keys, text, errors), ==, 4);
  assert_errors(errors, NULL);
  g_assert_cmpuint(ipsecdiag_keys_esp_count(keys), ==, 4);
  const ipsecdiag_esp_keys_t *e = ipsecdiag_keys_esp(keys, 0);
  g_assert_cmphex(e->spi, ==, 0xc254fe64);
  g_assert_cmpstr(e->src, ==, "10.0.0.1");
  g_assert_cmpstr(e->dst, ==, "10.0.0.2");
  g_assert_cmpstr(e->encr, ==, "aes-cbc");
  g_assert_cmpuint(e->encr_id, ==, 12);
  g_assert_cmpuint(e->encr_key_bits, ==, 128);   /* from the key length */
  g_assert_cmpstr(e->integ, ==, "hmac-sha1-96");
  g_assert_cmpuint(e->integ_id, ==, 2);
  g_assert_cmpuint(e->integ_icv_len, ==, 12);
  g_assert_cmpuint(e->auth_key.len, ==, 20);
  e = ipsecdiag_keys_esp(keys, 1);
  g_assert_cmphex(e->spi, ==, 1);
  g_assert_cmpstr(e->src, ==, "*");
  g_assert_cmpstr(e->dst, ==, "*");
  g_assert_cmpuint(e->encr_id, ==, 20);
  g_assert_cmpuint(e->encr_key_bits, ==, 128);
  g_assert_null(e->integ);
  e = ipsecdiag_keys_esp(keys, 3);
  g_assert_cmpuint(e->encr_id, ==, 11);
  g_assert_cmpuint(e->enc_key.len, ==, 0);
  g_assert_null(ipsecdiag_keys_esp(keys, 4));
  g_ptr_array_free(errors, TRUE);
  ipsecdiag_keys_free(keys);
}

/* ---- Wireshark tables ---- */

static ipsecdiag_keys_t *
load_testsuite_file(const char *file, guint expected_entries)
{
  char *path = g_build_filename(IPSECDIAG_SOURCE_DIR, "test-captures", "wireshark-testsuite", file, NULL);
  ipsecdiag_keys_t *keys = ipsecdiag_keys_new();
  GPtrArray *errors = new_errors();
  g_assert_cmpuint(ipsecdiag_keys_load_file(keys, path, errors), ==, expected_entries);
  assert_errors(errors, NULL);
  g_ptr_array_free(errors, TRUE);
  g_free(path);
  return keys;
}

static void
test_wireshark_ikev1_table(void)
{
  ipsecdiag_keys_t *keys = load_testsuite_file("ikev1_decryption_table", 3);
  g_assert_cmpuint(ipsecdiag_keys_ike1_count(keys), ==, 3);
  guint8 cookie[IKE_SPI_LEN];
  spi_from_hex("ab3e0f1f8bc3be8e", cookie);
  const ipsecdiag_ike1_keys_t *e = ipsecdiag_keys_ike1(keys, cookie);
  g_assert_nonnull(e);
  assert_secret_hex(&e->enc_key, "928392441e00ece5e8af3bc545416e86afa1291e7c013271514738b70ef25d22");
  g_assert_false(e->has_cookie_r);
  g_assert_true(g_str_has_suffix(e->source, "ikev1_decryption_table:2"));
  ipsecdiag_keys_free(keys);
}

static void
test_wireshark_ikev2_table(void)
{
  ipsecdiag_keys_t *keys = load_testsuite_file("ikev2_decryption_table", 9);
  g_assert_cmpuint(ipsecdiag_keys_ike2_count(keys), ==, 9);
  static const struct {
    const char *spi_i, *spi_r;
    guint16 encr_id, bits, icv, integ_id, integ_icv;
    gsize sk_e_len, sk_a_len;
  } expected[] = {
    { "1234567890123456", "0987654321098765", 11, 0, 0, 0, 0, 0, 0 },
    { "19ab98963486359f", "78f13157ccd3b3d8", 3, 192, 0, 7, 20, 24, 20 },
    { "ea684d21597afd36", "d9fe2ab22dac23ac", 15, 128, 12, 0, 0, 19, 0 },
    { "a2926ae833c6f138", "5464c57d0dc5e272", 13, 128, 0, IPSECDIAG_INTEG_UNCHECKED, 12, 20, 0 },
    { "81f24c0acd8fa55c", "192383172724c706", 13, 192, 0, 14, 32, 28, 64 },
    { "191ccd371a7a1f7b", "bc123d15e4af593f", 12, 256, 0, 12, 16, 32, 32 },
    { "cd7ae76304b277e2", "74f6080ed799d463", 16, 256, 16, 0, 0, 35, 0 },
    { "5d48bfeeb7d574da", "bbb73016c0503640", 18, 256, 8, 0, 0, 36, 0 },
    { "0158b8fb90b7623d", "13514610cea16160", 20, 256, 16, 0, 0, 36, 0 },
  };
  for (guint i = 0; i < G_N_ELEMENTS(expected); i++) {
    guint8 spi_i[IKE_SPI_LEN], spi_r[IKE_SPI_LEN];
    spi_from_hex(expected[i].spi_i, spi_i);
    spi_from_hex(expected[i].spi_r, spi_r);
    const ipsecdiag_ike2_keys_t *e = ipsecdiag_keys_ike2(keys, spi_i, spi_r);
    g_assert_nonnull(e);
    g_assert_cmpuint(e->encr_id, ==, expected[i].encr_id);
    g_assert_cmpuint(e->encr_key_bits, ==, expected[i].bits);
    g_assert_cmpuint(e->encr_icv_len, ==, expected[i].icv);
    g_assert_cmpuint(e->integ_id, ==, expected[i].integ_id);
    g_assert_cmpuint(e->integ_icv_len, ==, expected[i].integ_icv);
    g_assert_cmpuint(e->sk_ei.len, ==, expected[i].sk_e_len);
    g_assert_cmpuint(e->sk_er.len, ==, expected[i].sk_e_len);
    g_assert_cmpuint(e->sk_ai.len, ==, expected[i].sk_a_len);
    g_assert_cmpuint(e->sk_ar.len, ==, expected[i].sk_a_len);
  }
  guint8 spi_i[IKE_SPI_LEN], spi_r[IKE_SPI_LEN];
  spi_from_hex("191ccd371a7a1f7b", spi_i);
  spi_from_hex("bc123d15e4af593f", spi_r);
  const ipsecdiag_ike2_keys_t *e = ipsecdiag_keys_ike2(keys, spi_i, spi_r);
  assert_secret_hex(&e->sk_ei, "9096ddd2933620e8f48122c53a3f562cb0222c1cf97ce41fcc874ea2582a89ac");
  assert_secret_hex(&e->sk_ar, "30c4ead18c93024b58a86c1e3db60f550221801026853170b4cb0248d3a95329");
  ipsecdiag_keys_free(keys);
}

static void
test_wireshark_esp_sa(void)
{
  ipsecdiag_keys_t *keys = load_testsuite_file("esp_sa", 2);
  g_assert_cmpuint(ipsecdiag_keys_esp_count(keys), ==, 2);
  const ipsecdiag_esp_keys_t *e = ipsecdiag_keys_esp(keys, 0);
  g_assert_cmphex(e->spi, ==, 0x070883c2);
  g_assert_cmpstr(e->src, ==, "192.168.0.1");
  g_assert_cmpstr(e->dst, ==, "192.168.0.100");
  g_assert_cmpstr(e->encr, ==, "AES-CBC [RFC3602]");
  g_assert_cmpuint(e->encr_id, ==, 12);
  g_assert_cmpuint(e->encr_key_bits, ==, 128);
  g_assert_cmpuint(e->integ_id, ==, 2);
  assert_secret_hex(&e->enc_key, "5de1a4c2c72662c9fda7a7c78cd25623");
  assert_secret_hex(&e->auth_key, "51c9213c18232f8f26c70c4dee6e0e6d56e31e8a");
  ipsecdiag_keys_free(keys);
}

static void
test_wireshark_rows_mixed(void)
{
  /* Wireshark's generated header comment, quoted buffers, a text esp key, CRLF,
   * a BOM, wildcard addresses, and a row of each table in one file */
  const char *text =
    "\xef\xbb\xbf# This file is automatically generated, DO NOT MODIFY.\r\n"
    "\"0011223344556677\",\"0a0b\"\r\n"
    "0011223344556678 , 0a0b0c\r\n"
    "\"IPv6\",\"*\",\"2001:db8::*\",\"0x00000100\",\"TripleDES-CBC [RFC2451]\",\"abcdefghijklmnopqrstuvwx\","
    "\"ANY 96 bit authentication [no checking]\",\"\"\r\n"
    "0102030405060708,0807060504030201,,,\"NULL [RFC2410]\",,,\"NONE [RFC4306]\"\r\n"
    "psk \"and ours\"\r\n";
  ipsecdiag_keys_t *keys = ipsecdiag_keys_new();
  GPtrArray *errors = new_errors();
  g_assert_cmpuint(load_text(keys, text, errors), ==, 5);
  assert_errors(errors, NULL);
  g_assert_cmpuint(ipsecdiag_keys_ike1_count(keys), ==, 2);
  g_assert_cmpuint(ipsecdiag_keys_ike2_count(keys), ==, 1);
  g_assert_cmpuint(ipsecdiag_keys_psk_count(keys), ==, 1);
  const ipsecdiag_esp_keys_t *e = ipsecdiag_keys_esp(keys, 0);
  g_assert_cmpstr(e->src, ==, "*");
  g_assert_cmpstr(e->dst, ==, "2001:db8::*");
  g_assert_cmphex(e->spi, ==, 0x100);
  g_assert_cmpuint(e->encr_id, ==, 3);
  assert_secret_text(&e->enc_key, "abcdefghijklmnopqrstuvwx");
  g_assert_cmpuint(e->integ_id, ==, IPSECDIAG_INTEG_UNCHECKED);
  g_assert_cmpuint(e->integ_icv_len, ==, 12);
  assert_secret_text(&ipsecdiag_keys_psk(keys, 0)->psk, "and ours");
  g_assert_cmpstr(ipsecdiag_keys_psk(keys, 0)->source, ==, NAME ":6");
  g_ptr_array_free(errors, TRUE);
  ipsecdiag_keys_free(keys);
}

/* ---- algorithm names ---- */

static void
test_algorithm_names(void)
{
  static const struct {
    const char *name;
    guint16 id, bits, icv;
  } encr[] = {
    { "AES-CBC-256 [RFC3602]", 12, 256, 0 }, { "aes256", 12, 256, 0 }, { "AES_CBC_128", 12, 128, 0 },
    { "ENCR_AES_CBC", 12, 0, 0 }, { "aes192ctr", 13, 192, 0 }, { "AES-CTR [RFC3686]", 13, 0, 0 },
    { "AES_GCM_16_128", 20, 128, 16 }, { "aes256gcm8", 18, 256, 8 }, { "aes128gcm96", 19, 128, 12 },
    { "AES-GCM-192 with 12 octet ICV [RFC5282]", 19, 192, 12 },
    { "AES-GCM with 8 octet ICV [RFC4106]", 18, 0, 8 }, { "AES-CCM-128 with 16 octet ICV [RFC5282]", 16, 128, 16 },
    { "aes128ccm8", 14, 128, 8 }, { "3des", 3, 192, 0 }, { "TripleDES-CBC [RFC2451]", 3, 192, 0 },
    { "ENCR_3DES", 3, 192, 0 }, { "DES-CBC [RFC2405]", 2, 64, 0 }, { "NULL", 11, 0, 0 },
    { "chacha20poly1305", 28, 256, 16 }, { "TWOFISH-CBC", IPSECDIAG_ENCR_TWOFISH_CBC, 0, 0 },
    { "CAST5-CBC [RFC2144]", 6, 0, 0 }, { "BLOWFISH-CBC [RFC2451]", 7, 0, 0 },
  };
  for (guint i = 0; i < G_N_ELEMENTS(encr); i++) {
    guint16 id = 0, bits = 0, icv = 0;
    if (!ipsecdiag_keys_encr_from_name(encr[i].name, &id, &bits, &icv))
      g_error("encr name not known: %s", encr[i].name);
    g_assert_cmpuint(id, ==, encr[i].id);
    g_assert_cmpuint(bits, ==, encr[i].bits);
    g_assert_cmpuint(icv, ==, encr[i].icv);
  }
  static const char *const bad_encr[] = { "aes512", "aes-cbc-gcm", "rc4", "", "aes128_128_128",
                                          "aes128x", "aesgcm7" };
  for (guint i = 0; i < G_N_ELEMENTS(bad_encr); i++)
    g_assert_false(ipsecdiag_keys_encr_from_name(bad_encr[i], NULL, NULL, NULL));
  g_assert_false(ipsecdiag_keys_encr_from_name(NULL, NULL, NULL, NULL));

  static const struct {
    const char *name;
    guint16 id, icv;
  } integ[] = {
    { "HMAC_SHA1_96 [RFC2404]", 2, 12 }, { "sha1", 2, 12 }, { "HMAC-SHA-1-96 [RFC2404]", 2, 12 },
    { "HMAC_SHA2_256_128", 12, 16 }, { "AUTH_HMAC_SHA2_256_128", 12, 16 }, { "sha256", 12, 16 },
    { "HMAC-SHA-256-128 [RFC4868]", 12, 16 }, { "HMAC_SHA2_384_192 [RFC4868]", 13, 24 },
    { "sha512", 14, 32 }, { "HMAC_MD5_96 [RFC2403]", 1, 12 }, { "HMAC_MD5_128 [RFC4595]", 6, 16 },
    { "HMAC_SHA1_160 [RFC4595]", 7, 20 }, { "aesxcbc", 5, 12 }, { "NONE [RFC4306]", 0, 0 },
    { "HMAC_SHA2_256_96 [draft-ietf-ipsec-ciph-sha-256-00]", IPSECDIAG_INTEG_HMAC_SHA2_256_96, 12 },
    { "MAC-RIPEMD-160-96 [RFC2857]", IPSECDIAG_INTEG_HMAC_RIPEMD160_96, 12 },
    { "ANY 64-bits of Authentication [No Checking]", IPSECDIAG_INTEG_UNCHECKED, 8 },
    { "ANY 256 bit authentication [no checking]", IPSECDIAG_INTEG_UNCHECKED, 32 },
  };
  for (guint i = 0; i < G_N_ELEMENTS(integ); i++) {
    guint16 id = 99, icv = 99;
    if (!ipsecdiag_keys_integ_from_name(integ[i].name, &id, &icv))
      g_error("integ name not known: %s", integ[i].name);
    g_assert_cmpuint(id, ==, integ[i].id);
    g_assert_cmpuint(icv, ==, integ[i].icv);
  }
  g_assert_false(ipsecdiag_keys_integ_from_name("sha3", NULL, NULL));
  g_assert_false(ipsecdiag_keys_integ_from_name("ANY 100 bits", NULL, NULL));
  g_assert_false(ipsecdiag_keys_integ_from_name(NULL, NULL, NULL));
}

/* ---- errors: every message ---- */

static void
test_errors_values(void)
{
  assert_one_error("psk secret", NAME ":1: psk: not hex (put a text PSK in double quotes)");
  assert_one_error("psk 0x", NAME ":1: psk: empty (put a text PSK in double quotes)");
  assert_one_error("psk 123", NAME ":1: psk: odd number of hex digits (put a text PSK in double quotes)");
  assert_one_error("psk 1:234", NAME ":1: psk: a ':' splits a byte (put a text PSK in double quotes)");
  assert_one_error("psk \"\"", NAME ":1: psk is empty");
  assert_one_error("psk name=x", NAME ":1: psk: no secret (write psk \"text\" or psk 0xHEX)");
  assert_one_error("psk \"a\" peer=example.com",
                   NAME ":1: peer: 'example.com' is not an IPv4 or IPv6 address");
  assert_one_error("psk \"a\" name=\"\"",
                   NAME ":1: name: empty, longer than 64 characters or holds a NUL");
  assert_one_error("psk \"a\" id=\"x\\x00y\"",
                   NAME ":1: id: empty, longer than 256 characters or holds a NUL");
  assert_one_error("psk \"a\" colour=blue", NAME ":1: psk: unknown field 'colour'");
  assert_one_error("psk \"a\" name=x label=y", NAME ":1: psk: name given twice");
  assert_one_error("psk \"a\" \"b\"", NAME ":1: psk: secret given twice");
  assert_one_error("psk \"abc", NAME ":1: quoted string not closed");
  assert_one_error("psk \"a\\qb\"", NAME ":1: unknown escape in a quoted string (use \\\" \\\\ \\n \\t \\xHH)");
  assert_one_error("psk \"a\\x4\"", NAME ":1: bad \\x escape in a quoted string (two hex digits expected)");
  assert_one_error("psk \"a\"b", NAME ":1: text right after a closing quote");
  assert_one_error("psk ab\"cd\"", NAME ":1: a quote inside a value (quote the whole value)");
  assert_one_error("psk =ab", NAME ":1: '=' without a field name");
  assert_one_error("ike2 spi_i=0102030405060708 0011",
                   NAME ":1: ike2: value without a field name (write field=value)");
  assert_one_error("ike1 skeyid=01",
                   NAME ":1: ike1: the initiator SPI (spi_i= or cookie_i=) is missing");
  assert_one_error("ike1 cookie_i=01020304 skeyid=01", NAME ":1: cookie_i: 4 bytes, expected 8");
  assert_one_error("ike1 cookie_i=0102030405060708 cookie_r=xx skeyid=01",
                   NAME ":1: cookie_r: not hex (expected 8 bytes of hex)");
  assert_one_error("ike1 cookie_i=0102030405060708 spi_i=0102030405060708 skeyid=01",
                   NAME ":1: ike1: give spi_i/spi_r or cookie_i/cookie_r, not both");
  assert_one_error("ike1 cookie_i=0102030405060708",
                   NAME ":1: ike1: no key (dh=, skeyid=, skeyid_d=, skeyid_a=, skeyid_e= or enc_key=)");
  assert_one_error("ike1 cookie_i=0102030405060708 skeyid=\"text\"",
                   NAME ":1: skeyid must be hex, not a quoted string");
  assert_one_error("ike1 cookie_i=0102030405060708 sk_d=01", NAME ":1: ike1: unknown field 'sk_d'");
  assert_one_error("dh spi_i=0102030405060708", NAME ":1: dh: no secret");
  assert_one_error("dh spi_i=0102030405060708 version=3 01", NAME ":1: dh: version must be 1 or 2");
  assert_one_error("dh spi_i=0102030405060708 zz", NAME ":1: dh: not hex");
  assert_one_error("ike2 spi_i=0102030405060708 encr=rc4 sk_d=01",
                   NAME ":1: unknown encryption algorithm 'rc4'");
  assert_one_error("ike2 spi_i=0102030405060708 integ=sha3 sk_d=01",
                   NAME ":1: unknown integrity algorithm 'sha3'");
  assert_one_error("ike2 spi_i=0102030405060708 encr=aes128gcm16 integ=sha1 sk_d=01",
                   NAME ":1: an AEAD cipher takes no integrity algorithm (use NONE)");
  assert_one_error("ike2 spi_i=0102030405060708 encr=aes256 sk_ei=0011",
                   NAME ":1: SK_e is 2 bytes, the cipher needs 32");
  assert_one_error("ike2 spi_i=0102030405060708 encr=aes-ctr-128 sk_er=00112233445566778899aabbccddeeff",
                   NAME ":1: SK_e is 16 bytes, the cipher needs 20");
  assert_one_error("ike2 spi_i=0102030405060708 sk_ei=0011 sk_er=001122",
                   NAME ":1: SK_ei is 2 bytes but SK_er 3");
  assert_one_error("ike2 spi_i=0102030405060708 sk_ai=0011 sk_ar=001122",
                   NAME ":1: SK_ai is 2 bytes but SK_ar 3");
  assert_one_error("ike2 spi_i=0102030405060708 integ=sha1 sk_ai=0011",
                   NAME ":1: SK_a is 2 bytes, the integrity algorithm needs 20");
  assert_one_error("esp encr=null", NAME ":1: esp: spi= is missing");
  assert_one_error("esp spi=123456789 encr=null", NAME ":1: spi: expected 1 to 8 hex digits");
  assert_one_error("esp spi=0xg encr=null", NAME ":1: spi: not hex");
  assert_one_error("esp spi=1 src=10.0.0.300 encr=null",
                   NAME ":1: src: '10.0.0.300' is not an IPv4 or IPv6 address");
  assert_one_error("esp spi=1 dst=a::b::c encr=null",
                   NAME ":1: dst: 'a::b::c' is not an IPv4 or IPv6 address");
  assert_one_error("esp spi=1 encr=aes-cbc", NAME ":1: esp: encr without enc_key");
  assert_one_error("esp spi=1 integ=sha1", NAME ":1: esp: no key (enc_key= or auth_key=)");
  assert_one_error("esp spi=1 encr=rot13 enc_key=01", NAME ":1: unknown encryption algorithm 'rot13'");
  assert_one_error("esp spi=1 integ=crc32 auth_key=01", NAME ":1: unknown integrity algorithm 'crc32'");
  assert_one_error("esp spi=1 encr=\"\" enc_key=01",
                   NAME ":1: encr: empty, longer than 64 characters or holds a NUL");
  assert_one_error("vpn 1 2 3",
                   NAME ":1: unknown entry 'vpn': expected psk, dh, ike1, ike2, esp, child-dh or a Wireshark table row");

  /* a secret of exactly IPSECDIAG_KEY_MAX bytes loads, one more does not */
  GString *line = g_string_new("psk ");
  for (guint i = 0; i < IPSECDIAG_KEY_MAX; i++)
    g_string_append(line, "ab");
  ipsecdiag_keys_t *keys = ipsecdiag_keys_new();
  GPtrArray *errors = new_errors();
  g_assert_cmpuint(load_text(keys, line->str, errors), ==, 1);
  assert_errors(errors, NULL);
  g_assert_cmpuint(ipsecdiag_keys_psk(keys, 0)->psk.len, ==, IPSECDIAG_KEY_MAX);
  g_ptr_array_free(errors, TRUE);
  ipsecdiag_keys_free(keys);
  g_string_append(line, "ab");
  assert_one_error(line->str, NAME ":1: psk: longer than 1024 bytes (put a text PSK in double quotes)");
  g_string_assign(line, "psk \"");
  for (guint i = 0; i <= IPSECDIAG_KEY_MAX; i++)
    g_string_append_c(line, 'x');
  g_string_append_c(line, '"');
  assert_one_error(line->str, NAME ":1: psk longer than 1024 bytes");
  g_string_free(line, TRUE);

  GString *many = g_string_new("psk");
  for (guint i = 0; i < 25; i++)
    g_string_append(many, " name=x");
  assert_one_error(many->str, NAME ":1: more than 24 fields");
  g_string_free(many, TRUE);
}

static void
test_errors_wireshark_rows(void)
{
  assert_one_error("0011223344556677,0a,0b",
                   NAME ":1: a Wireshark table row has 2 fields (ikev1_decryption_table) or 8 "
                   "(ikev2_decryption_table, esp_sa), this one 3");
  assert_one_error("1,2,3,4,5,6,7,8,9",
                   NAME ":1: a Wireshark table row with more than 8 fields");
  assert_one_error("00112233,0a",
                   NAME ":1: ikev1_decryption_table: initiator's cookie: 4 bytes, expected 8");
  assert_one_error("0011223344556677,", NAME ":1: ikev1_decryption_table: no encryption key");
  assert_one_error("0011223344556677,0xzz", NAME ":1: ikev1_decryption_table: encryption key: not hex");
  assert_one_error("\"0011223344556677\"x,0a", NAME ":1: text after a quoted field of a Wireshark table row");
  assert_one_error("00112233\"44556677\",0a",
                   NAME ":1: a quote inside an unquoted field of a Wireshark table row");
  assert_one_error("0011223344556677,\"0a",
                   NAME ":1: quoted string not closed");
  assert_one_error("0102030405060708,08070605040302,,,\"NULL [RFC2410]\",,,\"NONE [RFC4306]\"",
                   NAME ":1: ikev2_decryption_table: responder's SPI: 7 bytes, expected 8");
  assert_one_error("0102030405060708,0807060504030201,00,00,\"Serpent\",,,\"NONE [RFC4306]\"",
                   NAME ":1: unknown encryption algorithm 'Serpent'");
  assert_one_error("0102030405060708,0807060504030201,0011,0011,\"3DES [RFC2451]\",,,\"NONE [RFC4306]\"",
                   NAME ":1: SK_e is 2 bytes, the cipher needs 24");
  assert_one_error("0102030405060708,0807060504030201,,,\"NULL [RFC2410]\",,,\"HMAC_SHA1_42\"",
                   NAME ":1: unknown integrity algorithm 'HMAC_SHA1_42'");
  assert_one_error("0102030405060708,0807060504030201,1x,,\"NULL [RFC2410]\",,,\"NONE [RFC4306]\"",
                   NAME ":1: ikev2_decryption_table: SK_ei: not hex");
  assert_one_error("\"IPv4\",\"10.0.0.1\",\"10.0.0.2\",\"*\",\"NULL\",\"\",\"NULL\",\"\"",
                   NAME ":1: esp_sa: an SPI is needed (the wildcard '*' is not supported)");
  assert_one_error("\"IPv4\",\"10.0.0.1\",\"10.0.0.2\",\"0x1\",\"AES-CBC [RFC3602]\",\"\",\"NULL\",\"\"",
                   NAME ":1: esp: encr without enc_key");
  assert_one_error("\"IPv4\",\"host\",\"10.0.0.2\",\"0x1\",\"NULL\",\"\",\"NULL\",\"\"",
                   NAME ":1: esp_sa: source: 'host' is not an IPv4 or IPv6 address");
  assert_one_error("\"IPv4\",\"10.0.0.1\",\"10.0.0.2\",\"0x1\",\"NULL\",\"0xq\",\"NULL\",\"\"",
                   NAME ":1: esp_sa: encryption key: not hex");
  GString *row = g_string_new("\"IPv4\",\"10.0.0.1\",\"10.0.0.2\",\"0x1\",\"NULL\",\"");
  for (guint i = 0; i <= IPSECDIAG_KEY_MAX; i++)
    g_string_append_c(row, 'k');
  g_string_append(row, "\",\"NULL\",\"\"");
  assert_one_error(row->str, NAME ":1: esp_sa: encryption key longer than 1024 bytes");
  g_string_free(row, TRUE);
}

static void
test_errors_lines_and_bounds(void)
{
  /* a bad line is skipped, the lines around it load */
  ipsecdiag_keys_t *keys = ipsecdiag_keys_new();
  GPtrArray *errors = new_errors();
  const char *text = "psk \"one\"\n\npsk wrong\n  # comment\npsk \"two\"\n";
  g_assert_cmpuint(load_text(keys, text, errors), ==, 2);
  assert_errors(errors, NAME ":3: psk: not hex (put a text PSK in double quotes)", NULL);
  g_assert_cmpstr(ipsecdiag_keys_psk(keys, 1)->source, ==, NAME ":5");
  g_ptr_array_free(errors, TRUE);
  ipsecdiag_keys_free(keys);

  /* too long a line, a NUL byte */
  GString *data = g_string_new("psk \"");
  for (guint i = 0; i < IPSECDIAG_KEYS_MAX_LINE; i++)
    g_string_append_c(data, 'x');
  g_string_append(data, "\"\npsk \"ok\"\npsk \"a");
  g_string_append_len(data, "\0", 1);
  g_string_append(data, "b\"\n");
  keys = ipsecdiag_keys_new();
  errors = new_errors();
  g_assert_cmpuint(ipsecdiag_keys_load_data(keys, NAME, data->str, data->len, errors), ==, 1);
  assert_errors(errors, NAME ":1: line longer than 8192 characters",
                NAME ":3: NUL byte in the line (write binary secrets in hex)", NULL);
  g_string_free(data, TRUE);
  g_ptr_array_free(errors, TRUE);
  ipsecdiag_keys_free(keys);

  /* entry cap: the line after the cap is reported; the store keeps the cap */
  data = g_string_new(NULL);
  for (guint i = 0; i <= IPSECDIAG_KEYS_MAX_ENTRIES; i++)
    g_string_append_printf(data, "esp spi=%x encr=null\n", i);
  g_string_append(data, "0011223344556677,0a\n");   /* a table row past the cap too */
  keys = ipsecdiag_keys_new();
  errors = new_errors();
  g_assert_cmpuint(ipsecdiag_keys_load_data(keys, NAME, data->str, data->len, errors), ==,
                   IPSECDIAG_KEYS_MAX_ENTRIES);
  assert_errors(errors, NAME ":4097: more than 4096 entries; line skipped",
                NAME ":4098: more than 4096 entries; line skipped", NULL);
  g_assert_cmpuint(ipsecdiag_keys_esp_count(keys), ==, IPSECDIAG_KEYS_MAX_ENTRIES);
  g_string_free(data, TRUE);
  g_ptr_array_free(errors, TRUE);
  ipsecdiag_keys_free(keys);

  /* error cap: 100 messages, then one summary */
  data = g_string_new(NULL);
  for (guint i = 0; i < 150; i++)
    g_string_append(data, "nonsense\n");
  keys = ipsecdiag_keys_new();
  errors = new_errors();
  g_assert_cmpuint(ipsecdiag_keys_load_data(keys, NAME, data->str, data->len, errors), ==, 0);
  g_assert_cmpuint(errors->len, ==, IPSECDIAG_KEYS_MAX_ERRORS + 1);
  g_assert_cmpstr(g_ptr_array_index(errors, IPSECDIAG_KEYS_MAX_ERRORS), ==,
                  NAME ": 50 more problems not listed");
  g_string_free(data, TRUE);
  g_ptr_array_free(errors, TRUE);
  ipsecdiag_keys_free(keys);

  /* errors may be NULL; empty data loads nothing */
  keys = ipsecdiag_keys_new();
  g_assert_cmpuint(load_text(keys, "psk wrong\npsk \"ok\"", NULL), ==, 1);
  g_assert_cmpuint(ipsecdiag_keys_load_data(keys, NAME, "", 0, NULL), ==, 0);
  g_assert_cmpuint(ipsecdiag_keys_load_data(keys, NAME, NULL, 0, NULL), ==, 0);
  ipsecdiag_keys_free(keys);
  ipsecdiag_keys_free(NULL);
  g_assert_cmpuint(ipsecdiag_keys_psk_count(NULL), ==, 0);
  g_assert_null(ipsecdiag_keys_psk(NULL, 0));
}

static void
test_load_file(void)
{
  char *dir = g_dir_make_tmp("test_keys-XXXXXX", NULL);
  g_assert_nonnull(dir);
  char *path = g_build_filename(dir, "my.keys", NULL);
  g_assert_true(g_file_set_contents(path, "psk \"file\"\nbad line\n", -1, NULL));
  ipsecdiag_keys_t *keys = ipsecdiag_keys_new();
  GPtrArray *errors = new_errors();
  g_assert_cmpuint(ipsecdiag_keys_load_file(keys, path, errors), ==, 1);
  g_assert_cmpuint(errors->len, ==, 1);
  char *expected = g_strdup_printf("%s:2: unknown entry 'bad': expected psk, dh, ike1, ike2, "
                                   "esp, child-dh or a Wireshark table row", path);
  g_assert_cmpstr(g_ptr_array_index(errors, 0), ==, expected);
  g_free(expected);
  g_ptr_array_set_size(errors, 0);

  char *missing = g_build_filename(dir, "missing.keys", NULL);
  g_assert_cmpuint(ipsecdiag_keys_load_file(keys, missing, errors), ==, 0);
  g_assert_cmpuint(errors->len, ==, 1);
  g_assert_true(g_str_has_prefix(g_ptr_array_index(errors, 0), missing));
  g_ptr_array_set_size(errors, 0);

  g_assert_cmpuint(ipsecdiag_keys_load_file(keys, dir, errors), ==, 0);
  expected = g_strdup_printf("%s: not a regular file of at most %d bytes", dir, IPSECDIAG_KEYS_MAX_FILE);
  assert_errors(errors, expected, NULL);
  g_free(expected);

  /* one byte over the file bound: refused before reading */
  g_ptr_array_set_size(errors, 0);
  char *big = g_build_filename(dir, "big.keys", NULL);
  FILE *stream = fopen(big, "wb");
  g_assert_nonnull(stream);
  g_assert_cmpint(fseek(stream, IPSECDIAG_KEYS_MAX_FILE, SEEK_SET), ==, 0);
  g_assert_cmpint(fputc('\n', stream), !=, EOF);
  g_assert_cmpint(fclose(stream), ==, 0);
  g_assert_cmpuint(ipsecdiag_keys_load_file(keys, big, errors), ==, 0);
  expected = g_strdup_printf("%s: not a regular file of at most %d bytes", big, IPSECDIAG_KEYS_MAX_FILE);
  assert_errors(errors, expected, NULL);
  g_free(expected);
  g_unlink(big);
  g_free(big);

  g_unlink(path);
  g_rmdir(dir);
  g_free(missing);
  g_free(path);
  g_free(dir);
  g_ptr_array_free(errors, TRUE);
  ipsecdiag_keys_free(keys);
}

/* ---- masking ---- */

static void
test_mask(void)
{
  char buf[40];
  guint8 key[32];
  for (guint i = 0; i < sizeof(key); i++)
    key[i] = (guint8)(0x3f + i);
  g_assert_cmpstr(ipsecdiag_secret_mask(key, sizeof(key), buf, sizeof(buf)), ==,
                  "3f\xe2\x80\xa6" "5e (32 bytes)");
  g_assert_cmpstr(ipsecdiag_secret_mask(key, 16, buf, sizeof(buf)), ==, "3f\xe2\x80\xa6" "4e (16 bytes)");
  /* short secrets (typical PSKs): no byte at all */
  g_assert_cmpstr(ipsecdiag_secret_mask(key, 15, buf, sizeof(buf)), ==, "\xe2\x80\xa6 (15 bytes)");
  g_assert_cmpstr(ipsecdiag_secret_mask(key, 1, buf, sizeof(buf)), ==, "\xe2\x80\xa6 (1 bytes)");
  g_assert_cmpstr(ipsecdiag_secret_mask(key, 0, buf, sizeof(buf)), ==, "(empty)");
  g_assert_cmpstr(ipsecdiag_secret_mask(NULL, 5, buf, sizeof(buf)), ==, "(empty)");
  /* the largest secret still fits the documented 40 bytes */
  guint8 big[IPSECDIAG_KEY_MAX] = { 0 };
  g_assert_cmpstr(ipsecdiag_secret_mask(big, sizeof(big), buf, sizeof(buf)), ==,
                  "00\xe2\x80\xa6" "00 (1024 bytes)");
  /* a small buffer truncates, never overflows */
  char tiny[4];
  ipsecdiag_secret_mask(key, sizeof(key), tiny, sizeof(tiny));
  g_assert_cmpuint(strlen(tiny), ==, 3);

  /* no error message ever holds a secret: a psk line with a bad option */
  ipsecdiag_keys_t *keys = ipsecdiag_keys_new();
  GPtrArray *errors = new_errors();
  load_text(keys, "psk \"TopSecretValue\" peer=nowhere\nike1 cookie_i=0102030405060708 "
            "skeyid=c0ffee00c0ffee skeyid=c0ffee00c0ffee\n"
            "ike2 spi_i=0102030405060708 encr=aes256 sk_ei=c0ffee00c0ffee\n", errors);
  g_assert_cmpuint(errors->len, ==, 3);
  for (guint i = 0; i < errors->len; i++) {
    const char *message = g_ptr_array_index(errors, i);
    g_assert_null(strstr(message, "TopSecret"));
    g_assert_null(strstr(message, "c0ffee"));
  }
  g_ptr_array_free(errors, TRUE);
  ipsecdiag_keys_free(keys);
}

/* child-dh: the DH secret of one Child SA exchange with PFS, by SPIs,
 * message ID (decimal or 0x hex) and requester role; lookups prefer the
 * entry naming the requester, then one without by=. */
static void
test_child_dh(void)
{
  ipsecdiag_keys_t *keys = ipsecdiag_keys_new();
  GPtrArray *errors = new_errors();
  const char *text =
    "child-dh spi_i=e6da065e704791bb spi_r=8487cecf59d1d2cc msgid=2 by=i dh=3191:75e2\n"
    "CHILD-DH cookie_i=0x1111111111111111 cookie_r=2222222222222222 message_id=0xa3a8f1fa 0a0b0c0d\n"
    "child-dh spi_i=e6da065e704791bb spi_r=8487cecf59d1d2cc msgid=2 by=responder 5555\n"
    "child-dh spi_i=e6da065e704791bb spi_r=8487cecf59d1d2cc msgid=7 6666\n"
    "# the same exchange again with the same value: merged silently\n"
    "child-dh spi_i=e6da065e704791bb spi_r=8487cecf59d1d2cc msgid=2 by=i 319175e2\n";
  g_assert_cmpuint(load_text(keys, text, errors), ==, 5);
  assert_errors(errors, NULL);
  g_assert_cmpuint(ipsecdiag_keys_child_dh_count(keys), ==, 4);
  g_assert_null(ipsecdiag_keys_child_dh_nth(keys, 4));

  const guint8 spi_i[8] = {0xe6, 0xda, 0x06, 0x5e, 0x70, 0x47, 0x91, 0xbb};
  const guint8 spi_r[8] = {0x84, 0x87, 0xce, 0xcf, 0x59, 0xd1, 0xd2, 0xcc};
  const ipsecdiag_child_dh_t *e = ipsecdiag_keys_child_dh(keys, spi_i, spi_r, 2, IPSECDIAG_CHILD_DH_BY_INITIATOR);
  g_assert_nonnull(e);
  g_assert_cmpuint(e->message_id, ==, 2);
  g_assert_cmpuint(e->by, ==, IPSECDIAG_CHILD_DH_BY_INITIATOR);
  assert_secret_hex(&e->dh_secret, "319175e2");
  g_assert_cmpstr(e->source, ==, NAME ":1");
  e = ipsecdiag_keys_child_dh(keys, spi_i, spi_r, 2, IPSECDIAG_CHILD_DH_BY_RESPONDER);
  g_assert_nonnull(e);
  assert_secret_hex(&e->dh_secret, "5555");
  /* without by= the entry serves either requester */
  e = ipsecdiag_keys_child_dh(keys, spi_i, spi_r, 7, IPSECDIAG_CHILD_DH_BY_RESPONDER);
  g_assert_nonnull(e);
  assert_secret_hex(&e->dh_secret, "6666");
  g_assert_cmpuint(e->by, ==, IPSECDIAG_CHILD_DH_BY_ANY);
  /* another message ID or responder SPI: nothing */
  g_assert_null(ipsecdiag_keys_child_dh(keys, spi_i, spi_r, 3, IPSECDIAG_CHILD_DH_BY_INITIATOR));
  g_assert_null(ipsecdiag_keys_child_dh(keys, spi_i, spi_i, 2, IPSECDIAG_CHILD_DH_BY_INITIATOR));
  g_assert_null(ipsecdiag_keys_child_dh(NULL, spi_i, spi_r, 2, IPSECDIAG_CHILD_DH_BY_INITIATOR));
  /* IKEv1: cookies and a hex Quick Mode message ID */
  const guint8 c_i[8] = {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11};
  const guint8 c_r[8] = {0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22};
  e = ipsecdiag_keys_child_dh(keys, c_i, c_r, 0xa3a8f1fau, IPSECDIAG_CHILD_DH_BY_ANY);
  g_assert_nonnull(e);
  assert_secret_hex(&e->dh_secret, "0a0b0c0d");
  g_ptr_array_free(errors, TRUE);
  ipsecdiag_keys_free(keys);
}

static void
test_child_dh_errors(void)
{
  ipsecdiag_keys_t *keys = ipsecdiag_keys_new();
  GPtrArray *errors = new_errors();
  const char *text =
    "child-dh spi_i=e6da065e704791bb msgid=2 0102\n"
    "child-dh spi_i=e6da065e704791bb spi_r=8487cecf59d1d2cc 0102\n"
    "child-dh spi_i=e6da065e704791bb spi_r=8487cecf59d1d2cc msgid=4294967296 0102\n"
    "child-dh spi_i=e6da065e704791bb spi_r=8487cecf59d1d2cc msgid=0x123456789 0102\n"
    "child-dh spi_i=e6da065e704791bb spi_r=8487cecf59d1d2cc msgid=2x 0102\n"
    "child-dh spi_i=e6da065e704791bb spi_r=8487cecf59d1d2cc msgid=2 by=both 0102\n"
    "child-dh spi_i=e6da065e704791bb spi_r=8487cecf59d1d2cc msgid=2\n"
    "child-dh spi_i=e6da065e704791bb spi_r=8487cecf59d1d2cc msgid=2 dh=0102 0102\n"
    "child-dh spi_i=e6da065e704791bb spi_r=8487cecf59d1d2cc msgid=2 \"text\"\n"
    "child-dh spi_i=e6da065e704791bb spi_r=8487cecf59d1d2cc msgid=2 sk_d=0102\n"
    "child-dh spi_i=e6da065e704791bb spi_r=8487cecf59d1d2cc msgid=4294967295 by=r 0a\n"
    "child-dh spi_i=e6da065e704791bb spi_r=8487cecf59d1d2cc msgid=4294967295 by=r 0b\n";
  g_assert_cmpuint(load_text(keys, text, errors), ==, 2);
  assert_errors(errors,
                NAME ":1: child-dh: the responder SPI (spi_r= or cookie_r=) is missing",
                NAME ":2: child-dh: msgid= (the message ID of the exchange) is missing",
                NAME ":3: msgid: larger than 32 bits",
                NAME ":4: msgid: expected a decimal number or 0x and 1 to 8 hex digits",
                NAME ":5: msgid: not a decimal number",
                NAME ":6: child-dh: by must be i (initiator) or r (responder)",
                NAME ":7: child-dh: no secret",
                NAME ":8: child-dh: give the secret once (bare or as dh=)",
                NAME ":9: child-dh must be hex, not a quoted string",
                NAME ":10: child-dh: unknown field 'sk_d'",
                NAME ":12: child-dh differs from the one given at " NAME ":11 for the same exchange; the first is kept",
                NULL);
  g_assert_cmpuint(ipsecdiag_keys_child_dh_count(keys), ==, 1);
  assert_secret_hex(&ipsecdiag_keys_child_dh_nth(keys, 0)->dh_secret, "0a");
  g_assert_cmpuint(ipsecdiag_keys_child_dh_nth(keys, 0)->message_id, ==, G_MAXUINT32);
  g_ptr_array_free(errors, TRUE);
  ipsecdiag_keys_free(keys);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/keys/psk", test_psk);
  g_test_add_func("/keys/ike1", test_ike1);
  g_test_add_func("/keys/ike2", test_ike2);
  g_test_add_func("/keys/ike2-wildcard-merge", test_ike2_exact_before_wildcard);
  g_test_add_func("/keys/merge-conflict", test_merge_conflict);
  g_test_add_func("/keys/merge-fills-in", test_merge_fills_in);
  g_test_add_func("/keys/esp", test_esp);
  g_test_add_func("/keys/child-dh", test_child_dh);
  g_test_add_func("/keys/errors/child-dh", test_child_dh_errors);
  g_test_add_func("/keys/wireshark/ikev1", test_wireshark_ikev1_table);
  g_test_add_func("/keys/wireshark/ikev2", test_wireshark_ikev2_table);
  g_test_add_func("/keys/wireshark/esp_sa", test_wireshark_esp_sa);
  g_test_add_func("/keys/wireshark/mixed", test_wireshark_rows_mixed);
  g_test_add_func("/keys/algorithm-names", test_algorithm_names);
  g_test_add_func("/keys/errors/values", test_errors_values);
  g_test_add_func("/keys/errors/wireshark-rows", test_errors_wireshark_rows);
  g_test_add_func("/keys/errors/lines-and-bounds", test_errors_lines_and_bounds);
  g_test_add_func("/keys/load-file", test_load_file);
  g_test_add_func("/keys/mask", test_mask);
  return g_test_run();
}
