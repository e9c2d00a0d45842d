/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag engine: the ESP SAs whose keys engine_decrypt.c derived from
 * KEYMAT (include/ipsecdiag/esp_keys.h). A bounded list in derivation order,
 * an index by SPI and destination, and the reason per Child SA when no keys
 * could be derived. Keys are wiped when the engine is freed.
 */
#include <string.h>

#include "engine_private.h"
#include "ipsecdiag/esp_keys.h"
#include "ipsecdiag/ike_crypto.h"

static void derived_free(gpointer data)
{
  ike_crypto_wipe(data, sizeof(ipsecdiag_esp_derived_t));
  g_free(data);
}

static char *index_key(guint32 spi, const ipsecdiag_addr_t *dst)
{
  char buf[64];
  return g_strdup_printf("%08x/%s", spi, ipsecdiag_addr_to_str(dst, buf, sizeof buf));
}

void engine_esp_keys_add(ipsecdiag_engine_t *engine, const ipsecdiag_esp_derived_t *sa, ipsecdiag_frame_t *frame)
{
  if (!engine->esp_derived) {
    engine->esp_derived = g_ptr_array_new_with_free_func(derived_free);
    engine->esp_derived_index = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  }
  if (engine->esp_derived->len >= IPSECDIAG_MAX_DERIVED_ESP_SAS) {
    engine_note_cap_on_frame(engine, &engine->esp_derived_cap_noted, "esp_keys_cap_reached", frame,
                             IPSECDIAG_MAX_DERIVED_ESP_SAS);
    return;
  }
  ipsecdiag_esp_derived_t *copy = g_memdup2(sa, sizeof *sa);
  g_ptr_array_add(engine->esp_derived, copy);
  g_hash_table_replace(engine->esp_derived_index, index_key(sa->spi, &sa->dst),
                       GUINT_TO_POINTER(engine->esp_derived->len));
}

void engine_esp_keys_problem(ipsecdiag_engine_t *engine, guint32 frame, const char *text)
{
  if (!engine->esp_keymat_problems)
    engine->esp_keymat_problems = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
  /* One per Child SA response; bounded like the derived SAs. */
  if (g_hash_table_size(engine->esp_keymat_problems) >= IPSECDIAG_MAX_DERIVED_ESP_SAS)
    return;
  g_hash_table_replace(engine->esp_keymat_problems, GUINT_TO_POINTER(frame), g_strdup(text));
}

void engine_esp_keys_free(ipsecdiag_engine_t *engine)
{
  if (engine->esp_derived)
    g_ptr_array_free(engine->esp_derived, TRUE);
  if (engine->esp_derived_index)
    g_hash_table_destroy(engine->esp_derived_index);
  if (engine->esp_keymat_problems)
    g_hash_table_destroy(engine->esp_keymat_problems);
  engine->esp_derived = NULL;
  engine->esp_derived_index = NULL;
  engine->esp_keymat_problems = NULL;
}

guint ipsecdiag_engine_esp_derived_count(const ipsecdiag_engine_t *engine)
{
  return engine && engine->esp_derived ? engine->esp_derived->len : 0;
}

const ipsecdiag_esp_derived_t *ipsecdiag_engine_esp_derived(const ipsecdiag_engine_t *engine, guint index)
{
  if (index >= ipsecdiag_engine_esp_derived_count(engine))
    return NULL;
  return g_ptr_array_index(engine->esp_derived, index);
}

gint ipsecdiag_engine_esp_derived_find(const ipsecdiag_engine_t *engine, guint32 spi, const ipsecdiag_addr_t *dst)
{
  if (!engine || !engine->esp_derived_index || !dst)
    return -1;
  char *key = index_key(spi, dst);
  guint found = GPOINTER_TO_UINT(g_hash_table_lookup(engine->esp_derived_index, key));
  g_free(key);
  return (gint)found - 1;
}

const char *ipsecdiag_engine_esp_keymat_problem(const ipsecdiag_engine_t *engine, guint32 frame)
{
  if (!engine || !engine->esp_keymat_problems)
    return NULL;
  return g_hash_table_lookup(engine->esp_keymat_problems, GUINT_TO_POINTER(frame));
}

static const char *esp_encr_name(guint16 id)
{
  const char *name = ike2_encr_name(id);
  return name ? name : "cipher";
}

static const char *esp_integ_name(guint16 id)
{
  if (id == IKE2_INTEG_NONE)
    return NULL;
  const char *name = ike2_integ_name(id);
  return name ? name : "integrity";
}

char *ipsecdiag_esp_derived_suite(const ipsecdiag_esp_derived_t *sa, char *buf, gsize len)
{
  const char *integ = esp_integ_name(sa->integ_id);
  char bits[16] = "";
  if (sa->encr_key_bits && sa->encr_id != IKE2_ENCR_3DES && sa->encr_id != IKE2_ENCR_CHACHA20_POLY1305)
    g_snprintf(bits, sizeof bits, "-%u", sa->encr_key_bits);
  g_snprintf(buf, len, "%s%s%s%s", esp_encr_name(sa->encr_id), bits, integ ? "/" : "", integ ? integ : "");
  return buf;
}

char *ipsecdiag_esp_derived_describe(const ipsecdiag_esp_derived_t *sa, char *buf, gsize len)
{
  char src[64], dst[64], suite[64], ek[48], ak[48], spi_i[24], spi_r[24];
  ipsecdiag_addr_to_str(&sa->src, src, sizeof src);
  ipsecdiag_addr_to_str(&sa->dst, dst, sizeof dst);
  ipsecdiag_esp_derived_suite(sa, suite, sizeof suite);
  ipsecdiag_secret_mask(sa->enc_key, sa->enc_key_len, ek, sizeof ek);
  for (guint i = 0; i < IKE_SPI_LEN; i++) {
    g_snprintf(spi_i + 2 * i, sizeof spi_i - 2 * i, "%02x", sa->ike_spi_i[i]);
    g_snprintf(spi_r + 2 * i, sizeof spi_r - 2 * i, "%02x", sa->ike_spi_r[i]);
  }
  if (sa->auth_key_len)
    ipsecdiag_secret_mask(sa->auth_key, sa->auth_key_len, ak, sizeof ak);
  g_snprintf(buf, len, "ESP SA 0x%08x %s -> %s (%s): %s, encryption key %s%s%s, derived from IKE SA %s/%s "
             "(tunnel %u)%s", sa->spi, src, dst, ipsecdiag_esp_direction_name(sa->direction), suite, ek,
             sa->auth_key_len ? ", integrity key " : "", sa->auth_key_len ? ak : "", spi_i, spi_r, sa->tunnel,
             sa->pfs ? " with the Child SA's DH secret (PFS)" : "");
  return buf;
}
