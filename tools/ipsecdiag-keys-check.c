/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag-keys-check: loads keys files with the plugin's own reader and
 * lists what it understood, secrets masked, and every problem as
 * "file:line: message". Exit status 0 when all lines loaded, 1 when a line
 * was rejected, 2 on usage errors. Used by tests/test_keys_converter.py to
 * check the converter's output, and handy before pointing Wireshark at a file.
 */
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "ipsecdiag/keys.h"

static void
print_spi(const char *name, const guint8 spi[IKE_SPI_LEN])
{
  printf(" %s=", name);
  for (guint i = 0; i < IKE_SPI_LEN; i++)
    printf("%02x", spi[i]);
}

static void
print_secret(const char *name, const ipsecdiag_secret_t *secret)
{
  char masked[64];
  if (secret->len == 0)
    return;
  printf(" %s=%s", name, ipsecdiag_secret_mask(secret->data, secret->len, masked, sizeof(masked)));
}

int
main(int argc, char **argv)
{
  if (argc < 2 || strcmp(argv[1], "--help") == 0) {
    fprintf(stderr, "usage: %s KEYS_FILE...\n", argv[0]);
    return 2;
  }
  ipsecdiag_keys_t *keys = ipsecdiag_keys_new();
  GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
  guint loaded = 0;
  for (int i = 1; i < argc; i++)
    loaded += ipsecdiag_keys_load_file(keys, argv[i], errors);

  for (guint i = 0; i < ipsecdiag_keys_psk_count(keys); i++) {
    const ipsecdiag_psk_entry_t *e = ipsecdiag_keys_psk(keys, i);
    printf("psk label=%s", e->label);
    print_secret("psk", &e->psk);
    printf(" peer=%s id=%s source=%s\n", e->peer_addr ? e->peer_addr : "*",
           e->peer_id ? e->peer_id : "*", e->source);
  }
  for (guint i = 0; i < ipsecdiag_keys_ike1_count(keys); i++) {
    const ipsecdiag_ike1_keys_t *e = ipsecdiag_keys_ike1_nth(keys, i);
    printf("ike1");
    print_spi("cookie_i", e->cookie_i);
    if (e->has_cookie_r)
      print_spi("cookie_r", e->cookie_r);
    print_secret("dh", &e->dh_secret);
    print_secret("skeyid", &e->skeyid);
    print_secret("skeyid_d", &e->skeyid_d);
    print_secret("skeyid_a", &e->skeyid_a);
    print_secret("skeyid_e", &e->skeyid_e);
    print_secret("enc_key", &e->enc_key);
    printf(" source=%s\n", e->source);
  }
  for (guint i = 0; i < ipsecdiag_keys_ike2_count(keys); i++) {
    const ipsecdiag_ike2_keys_t *e = ipsecdiag_keys_ike2_nth(keys, i);
    printf("ike2");
    print_spi("spi_i", e->spi_i);
    if (e->has_spi_r)
      print_spi("spi_r", e->spi_r);
    printf(" encr=%u/%u integ=%u", e->encr_id, e->encr_key_bits, e->integ_id);
    print_secret("dh", &e->dh_secret);
    print_secret("sk_d", &e->sk_d);
    print_secret("sk_ai", &e->sk_ai);
    print_secret("sk_ar", &e->sk_ar);
    print_secret("sk_ei", &e->sk_ei);
    print_secret("sk_er", &e->sk_er);
    print_secret("sk_pi", &e->sk_pi);
    print_secret("sk_pr", &e->sk_pr);
    printf(" source=%s\n", e->source);
  }
  for (guint i = 0; i < ipsecdiag_keys_esp_count(keys); i++) {
    const ipsecdiag_esp_keys_t *e = ipsecdiag_keys_esp(keys, i);
    printf("esp spi=0x%08x src=%s dst=%s encr=%u/%u integ=%u", e->spi, e->src, e->dst, e->encr_id,
           e->encr_key_bits, e->integ_id);
    print_secret("enc_key", &e->enc_key);
    print_secret("auth_key", &e->auth_key);
    printf(" source=%s\n", e->source);
  }
  for (guint i = 0; i < ipsecdiag_keys_child_dh_count(keys); i++) {
    const ipsecdiag_child_dh_t *e = ipsecdiag_keys_child_dh_nth(keys, i);
    printf("child-dh");
    print_spi("spi_i", e->spi_i);
    print_spi("spi_r", e->spi_r);
    printf(" msgid=%u by=%s", e->message_id,
           e->by == IPSECDIAG_CHILD_DH_BY_INITIATOR ? "i" : e->by == IPSECDIAG_CHILD_DH_BY_RESPONDER ? "r" : "any");
    print_secret("dh", &e->dh_secret);
    printf(" source=%s\n", e->source);
  }
  for (guint i = 0; i < errors->len; i++)
    fprintf(stderr, "%s\n", (const char *)g_ptr_array_index(errors, i));
  printf("loaded %u lines: %u psk, %u ike1, %u ike2, %u esp, %u child-dh; %u problems\n", loaded,
         ipsecdiag_keys_psk_count(keys), ipsecdiag_keys_ike1_count(keys),
         ipsecdiag_keys_ike2_count(keys), ipsecdiag_keys_esp_count(keys),
         ipsecdiag_keys_child_dh_count(keys), errors->len);
  int status = errors->len ? 1 : 0;
  g_ptr_array_free(errors, TRUE);
  ipsecdiag_keys_free(keys);
  return status;
}
