/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the keys file reader: loads the input as a keys file
 * (twice, into one store, so merging lines about the same IKE SA runs too),
 * then checks what the store holds against the reader's bounds and looks up
 * every entry it enumerates, masks every secret, and resolves the input's
 * first line as an algorithm name.
 *
 * Seed corpus (corpus/fuzz_keys_file/): one file per entry kind of the
 * ipsecdiag format, Wireshark's own key tables from test-captures/
 * wireshark-testsuite (GPL-2.0-or-later, Wireshark 4.0.17 test suite), a
 * converter output from a lab log, and broken lines for the error paths.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <glib.h>

#include "ipsecdiag/keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* g_assert can be compiled out; these checks must never be. */
#define FUZZ_CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

static void
check_secret(const ipsecdiag_secret_t *secret)
{
  char masked[40];
  FUZZ_CHECK(secret->len <= IPSECDIAG_KEY_MAX);
  FUZZ_CHECK((secret->len == 0) == (secret->data == NULL));
  ipsecdiag_secret_mask(secret->data, secret->len, masked, sizeof(masked));
  FUZZ_CHECK(strlen(masked) < sizeof(masked));
  /* the mask never holds more than two bytes of the secret */
  FUZZ_CHECK(strlen(masked) <= 24);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  ipsecdiag_keys_t *keys = ipsecdiag_keys_new();
  GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
  guint loaded = ipsecdiag_keys_load_data(keys, "fuzz.keys", (const char *)data, size, errors);
  loaded += ipsecdiag_keys_load_data(keys, "fuzz.keys", (const char *)data, size, errors);

  FUZZ_CHECK(errors->len <= 2 * (IPSECDIAG_KEYS_MAX_ERRORS + 1));
  for (guint i = 0; i < errors->len; i++)
    FUZZ_CHECK(g_str_has_prefix(g_ptr_array_index(errors, i), "fuzz.keys"));
  guint stored = ipsecdiag_keys_psk_count(keys) + ipsecdiag_keys_ike1_count(keys) +
                 ipsecdiag_keys_ike2_count(keys) + ipsecdiag_keys_esp_count(keys);
  FUZZ_CHECK(loaded <= IPSECDIAG_KEYS_MAX_ENTRIES);
  /* a dh line without a version makes one entry in each IKE table */
  FUZZ_CHECK(stored <= 2 * loaded);

  for (guint i = 0; i < ipsecdiag_keys_psk_count(keys); i++) {
    const ipsecdiag_psk_entry_t *e = ipsecdiag_keys_psk(keys, i);
    FUZZ_CHECK(e && e->label && e->source && e->psk.len > 0);
    check_secret(&e->psk);
  }
  for (guint i = 0; i < ipsecdiag_keys_ike1_count(keys); i++) {
    const ipsecdiag_ike1_keys_t *e = ipsecdiag_keys_ike1_nth(keys, i);
    FUZZ_CHECK(e && e->source);
    FUZZ_CHECK(ipsecdiag_keys_ike1(keys, e->cookie_i) == e);
    check_secret(&e->dh_secret);
    check_secret(&e->skeyid);
    check_secret(&e->skeyid_d);
    check_secret(&e->skeyid_a);
    check_secret(&e->skeyid_e);
    check_secret(&e->enc_key);
  }
  for (guint i = 0; i < ipsecdiag_keys_ike2_count(keys); i++) {
    const ipsecdiag_ike2_keys_t *e = ipsecdiag_keys_ike2_nth(keys, i);
    FUZZ_CHECK(e && e->source);
    const ipsecdiag_ike2_keys_t *found = ipsecdiag_keys_ike2(keys, e->spi_i, e->has_spi_r ? e->spi_r : NULL);
    FUZZ_CHECK(found != NULL && memcmp(found->spi_i, e->spi_i, IKE_SPI_LEN) == 0);
    check_secret(&e->dh_secret);
    check_secret(&e->sk_d);
    check_secret(&e->sk_ai);
    check_secret(&e->sk_ar);
    check_secret(&e->sk_ei);
    check_secret(&e->sk_er);
    check_secret(&e->sk_pi);
    check_secret(&e->sk_pr);
  }
  for (guint i = 0; i < ipsecdiag_keys_esp_count(keys); i++) {
    const ipsecdiag_esp_keys_t *e = ipsecdiag_keys_esp(keys, i);
    FUZZ_CHECK(e && e->src && e->dst && e->source);
    check_secret(&e->enc_key);
    check_secret(&e->auth_key);
  }

  /* the first line as an algorithm name */
  char *name = g_strndup((const char *)data, MIN(size, 128));
  char *newline = strchr(name, '\n');
  if (newline)
    *newline = '\0';
  guint16 id, bits, icv;
  ipsecdiag_keys_encr_from_name(name, &id, &bits, &icv);
  ipsecdiag_keys_integ_from_name(name, &id, &icv);
  g_free(name);

  g_ptr_array_free(errors, TRUE);
  ipsecdiag_keys_free(keys);
  return 0;
}
