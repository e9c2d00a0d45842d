/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ESP keys derived from KEYMAT (include/ipsecdiag/esp_keys.h): the lab's
 * healthy IKEv1 and IKEv2 exchanges are fed to an engine that holds only the
 * DH secret and the PSK; the ESP keys it derives for both directions must be
 * the ones charon logged ("encryption initiator key" ... at chd = 4), with the
 * SPIs and addresses of the ESP packets. IKEv1 Quick Mode nonces are
 * encrypted, so the IKEv1 case also proves ike1_keymat on decrypted data.
 * rekey-pfs-ikev2 adds Child SAs rekeyed with PFS: with the keys file's
 * child-dh lines (charon's "DH secret" of each CREATE_CHILD_SA) their keys
 * are the ones charon logged too; healthy-pfs-ikev1 the same for a Quick Mode
 * with PFS.
 */
#include <arpa/inet.h>
#include <glib.h>
#include <string.h>

#include "ipsecdiag/engine.h"
#include "ipsecdiag/esp.h"
#include "ipsecdiag/esp_keys.h"
#include "ipsecdiag/ike_crypto.h"
#include "ipsecdiag/ike_parse.h"
#include "ipsecdiag/keys.h"
#include "ike_crypto_fixtures.h"

static const char lab_psk[] = "ipsecdiag-lab-psk-DO-NOT-USE";

static guint8 *unhex(const char *hex, gsize *len)
{
  gsize n = strlen(hex) / 2;
  guint8 *out = g_malloc(n ? n : 1);
  for (gsize i = 0; i < n; i++)
    out[i] = (guint8)(g_ascii_xdigit_value(hex[2 * i]) << 4 | g_ascii_xdigit_value(hex[2 * i + 1]));
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

/* The nth (0-based) value charon logged under name for a scenario side. */
static const char *log_value_nth(const char *scenario, const char *side, const char *name, guint nth)
{
  for (const fx_log_t *l = fx_logs; l->scenario; l++)
    if (!strcmp(l->scenario, scenario) && !strcmp(l->side, side) && !strcmp(l->name, name) && nth-- == 0)
      return l->hex;
  return NULL;
}

static const char *log_value(const char *scenario, const char *side, const char *name)
{
  return log_value_nth(scenario, side, name, 0);
}

static void set_addr(ipsecdiag_endpoint_t *ep, const char *text, guint16 port)
{
  memset(ep, 0, sizeof *ep);
  ep->addr.family = 4;
  g_assert_cmpint(inet_pton(AF_INET, text, ep->addr.bytes), ==, 1);
  ep->port = port;
}

/* Feeds every IKE message of a lab scenario's initiator capture to engine. */
static void feed_capture(ipsecdiag_engine_t *engine, const char *scenario)
{
  for (const fx_packet_t *p = fx_packets; p->capture; p++) {
    if (strcmp(p->capture, scenario) != 0)
      continue;
    ipsecdiag_packet_t pkt;
    memset(&pkt, 0, sizeof pkt);
    pkt.frame = p->frame;
    pkt.time = p->time;
    set_addr(&pkt.src, p->src, (guint16)p->sport);
    set_addr(&pkt.dst, p->dst, (guint16)p->dport);
    pkt.non_esp_marker = p->sport == 4500 || p->dport == 4500;
    gsize len;
    guint8 *data = unhex(p->hex, &len);
    ipsecdiag_engine_feed_ike(engine, &pkt, data, len);
    g_free(data);
  }
}

/* Feeds every IKE message of a lab scenario (initiator capture) to an engine
 * whose keys file holds only the DH secret and the PSK. */
static ipsecdiag_engine_t *run_scenario(const char *scenario, ipsecdiag_keys_t **keys_out,
                                        ipsecdiag_endpoint_t *initiator, ipsecdiag_endpoint_t *responder)
{
  ipsecdiag_keys_t *keys = ipsecdiag_keys_new();
  const fx_packet_t *first = NULL;
  for (const fx_packet_t *p = fx_packets; p->capture && !first; p++)
    if (!strcmp(p->capture, scenario))
      first = p;
  g_assert_nonnull(first);
  char *spi_i = g_strndup(first->hex, 16);
  const char *dh = log_value(scenario, "initiator", "shared Diffie Hellman secret");
  g_assert_nonnull(dh);
  char *text = g_strdup_printf("dh spi_i=%s %s\npsk \"%s\" name=lab\n", spi_i, dh, lab_psk);
  GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
  g_assert_cmpuint(ipsecdiag_keys_load_data(keys, "test", text, strlen(text), errors), ==, 2);
  g_assert_cmpuint(errors->len, ==, 0);
  g_ptr_array_free(errors, TRUE);
  g_free(text);
  g_free(spi_i);

  ipsecdiag_engine_t *engine = ipsecdiag_engine_new();
  ipsecdiag_engine_set_keys(engine, keys);
  set_addr(initiator, first->src, (guint16)first->sport);
  set_addr(responder, first->dst, (guint16)first->dport);
  feed_capture(engine, scenario);
  *keys_out = keys;
  return engine;
}

static void assert_key(const guint8 *key, gsize len, const char *scenario, const char *side, const char *name)
{
  const char *expected = log_value(scenario, side, name);
  g_assert_nonnull(expected);
  char *got = tohex(key, len);
  g_assert_cmpstr(got, ==, expected);
  g_free(got);
}

/* Both ESP SAs of the first Child SA, against both peers' logs. */
static void check_first_child(const char *scenario, guint8 version)
{
  ipsecdiag_keys_t *keys;
  ipsecdiag_endpoint_t initiator, responder;
  ipsecdiag_engine_t *engine = run_scenario(scenario, &keys, &initiator, &responder);
  g_assert_cmpuint(ipsecdiag_engine_esp_derived_count(engine), ==, 2);
  gboolean seen[2] = {FALSE, FALSE};
  for (guint i = 0; i < 2; i++) {
    const ipsecdiag_esp_derived_t *d = ipsecdiag_engine_esp_derived(engine, i);
    g_assert_nonnull(d);
    g_assert_cmpuint(d->ike_version, ==, version);
    g_assert_cmpuint(d->tunnel, ==, 1);
    g_assert_false(d->pfs);
    /* Lab ESP suite: AES-CBC-256 with HMAC-SHA2-256-128. */
    g_assert_cmpuint(d->encr_id, ==, IKE2_ENCR_AES_CBC);
    g_assert_cmpuint(d->encr_key_bits, ==, 256);
    g_assert_cmpuint(d->integ_id, ==, IKE2_INTEG_HMAC_SHA2_256_128);
    g_assert_cmpuint(d->enc_key_len, ==, 32);
    g_assert_cmpuint(d->auth_key_len, ==, 32);
    g_assert_true(d->direction == IPSECDIAG_ESP_DIR_I2R || d->direction == IPSECDIAG_ESP_DIR_R2I);
    gboolean i2r = d->direction == IPSECDIAG_ESP_DIR_I2R;
    g_assert_false(seen[i2r]);
    seen[i2r] = TRUE;
    g_assert_true(ipsecdiag_addr_equal(&d->src, i2r ? &initiator.addr : &responder.addr));
    g_assert_true(ipsecdiag_addr_equal(&d->dst, i2r ? &responder.addr : &initiator.addr));
    /* charon names the keys after the exchange's roles, on both peers alike. */
    for (guint side = 0; side < 2; side++) {
      const char *who = side ? "responder" : "initiator";
      assert_key(d->enc_key, d->enc_key_len, scenario, who,
                 i2r ? "encryption initiator key" : "encryption responder key");
      assert_key(d->auth_key, d->auth_key_len, scenario, who,
                 i2r ? "integrity initiator key" : "integrity responder key");
    }
    g_assert_cmpint(ipsecdiag_engine_esp_derived_find(engine, d->spi, &d->dst), ==, (gint)i);
    g_assert_null(ipsecdiag_engine_esp_keymat_problem(engine, d->frame));
    /* The description masks the keys. */
    char text[512];
    ipsecdiag_esp_derived_describe(d, text, sizeof text);
    char *full = tohex(d->enc_key, d->enc_key_len);
    char *half = g_strndup(full, 8);
    g_assert_null(strstr(text, half));
    g_assert_nonnull(strstr(text, "AES-CBC-256/HMAC-SHA2-256-128"));
    g_assert_nonnull(strstr(text, "derived from IKE SA"));
    g_assert_nonnull(strstr(text, "(32 bytes)"));
    g_free(half);
    g_free(full);
  }
  g_assert_true(seen[0] && seen[1]);
  /* The two SPIs differ: one per receiver. */
  g_assert_cmpuint(ipsecdiag_engine_esp_derived(engine, 0)->spi, !=, ipsecdiag_engine_esp_derived(engine, 1)->spi);
  g_assert_null(ipsecdiag_engine_esp_derived(engine, 2));
  ipsecdiag_engine_free(engine);
  ipsecdiag_keys_free(keys);
}

static void test_ikev1_quick_mode_keymat(void)
{
  check_first_child("healthy-ikev1", 1);
}

static void test_ikev2_ike_auth_keymat(void)
{
  check_first_child("healthy-ikev2", 2);
}

/* Without a key set that decrypts, nothing is derived; the PSK alone does not
 * decrypt IKEv1. */
static void test_no_keys_no_esp(void)
{
  ipsecdiag_engine_t *engine = ipsecdiag_engine_new();
  ipsecdiag_keys_t *keys = ipsecdiag_keys_new();
  char text[128];
  g_snprintf(text, sizeof text, "psk \"%s\"\n", lab_psk);
  ipsecdiag_keys_load_data(keys, "test", text, strlen(text), NULL);
  ipsecdiag_engine_set_keys(engine, keys);
  feed_capture(engine, "healthy-ikev1");
  g_assert_cmpuint(ipsecdiag_engine_esp_derived_count(engine), ==, 0);
  g_assert_null(ipsecdiag_engine_esp_derived(engine, 0));
  ipsecdiag_engine_free(engine);
  ipsecdiag_keys_free(keys);
}

/* ike1_keymat with a known SKEYID_d: the expansion K1 | K2 with
 * K2 = prf(SKEYID_d, K1 | protocol | SPI | Ni_b | Nr_b). */
static void test_ike1_keymat_expansion(void)
{
  const ike1_suite_t suite = {7, 256, 2};     /* SHA-1: 20-byte blocks, 64 bytes need 4 */
  ike1_keys_t k;
  g_assert_true(ike1_keys_init(&k, &suite));
  for (int i = 0; i < 20; i++)
    k.skeyid_d[i] = (guint8)(0xa0 + i);
  k.has_skeyid_d = TRUE;
  guint8 ni[16], nr[16], out[64];
  memset(ni, 0x11, sizeof ni);
  memset(nr, 0x22, sizeof nr);
  g_assert_true(ike1_keymat(&k, NULL, 0, 3, 0x01020304, ni, sizeof ni, nr, sizeof nr, out, sizeof out));
  guint8 proto = 3, spi[4] = {1, 2, 3, 4}, k1[20], k2[20];
  ike_chunk_t first[4] = {{&proto, 1}, {spi, 4}, {ni, 16}, {nr, 16}};
  g_assert_true(ike_prf(IKE_HASH_SHA1, k.skeyid_d, 20, first, 4, k1));
  ike_chunk_t second[5] = {{k1, 20}, {&proto, 1}, {spi, 4}, {ni, 16}, {nr, 16}};
  g_assert_true(ike_prf(IKE_HASH_SHA1, k.skeyid_d, 20, second, 5, k2));
  g_assert_true(memcmp(out, k1, 20) == 0);
  g_assert_true(memcmp(out + 20, k2, 20) == 0);
  /* The other direction's SPI gives other keys. */
  guint8 other[64];
  g_assert_true(ike1_keymat(&k, NULL, 0, 3, 0x01020305, ni, sizeof ni, nr, sizeof nr, other, sizeof other));
  g_assert_true(memcmp(out, other, sizeof out) != 0);
  /* Without SKEYID_d nothing. */
  k.has_skeyid_d = FALSE;
  g_assert_false(ike1_keymat(&k, NULL, 0, 3, 1, ni, sizeof ni, nr, sizeof nr, out, sizeof out));
}

/* Feeds the initiator capture of scenario to an engine with keys_text. */
static ipsecdiag_engine_t *feed_with_keys(const char *scenario, const char *keys_text, ipsecdiag_keys_t **keys_out)
{
  ipsecdiag_keys_t *keys = ipsecdiag_keys_new();
  GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
  ipsecdiag_keys_load_data(keys, "test", keys_text, strlen(keys_text), errors);
  g_assert_cmpuint(errors->len, ==, 0);
  g_ptr_array_free(errors, TRUE);
  ipsecdiag_engine_t *engine = ipsecdiag_engine_new();
  ipsecdiag_engine_set_keys(engine, keys);
  feed_capture(engine, scenario);
  *keys_out = keys;
  return engine;
}

#define PFS_SCENARIO "rekey-pfs-ikev2"

/* Keys text for rekey-pfs-ikev2: the IKE SA's DH secret and PSK, plus (when
 * by is not NULL) a child-dh line per CREATE_CHILD_SA request of the capture,
 * named by its message ID, with the nth "DH secret" of the initiator's log. */
static char *pfs_keys_text(const char *by, guint *n_exchanges)
{
  const fx_packet_t *first = NULL;
  GString *text = g_string_new(NULL);
  guint n = 0;
  for (const fx_packet_t *p = fx_packets; p->capture; p++) {
    if (strcmp(p->capture, PFS_SCENARIO) != 0)
      continue;
    if (!first) {
      first = p;
      g_string_append_printf(text, "dh spi_i=%.16s %s\npsk \"%s\"\n", p->hex,
                             log_value(PFS_SCENARIO, "initiator", "shared Diffie Hellman secret"), lab_psk);
      continue;
    }
    gsize len;
    guint8 *data = unhex(p->hex, &len);
    g_assert_cmpuint(len, >=, 28);
    /* IKE header: exchange type at 18, flags at 19 (0x20 response), message ID at 20 */
    if (data[18] == IKEV2_EXCH_CREATE_CHILD_SA && !(data[19] & 0x20)) {
      guint32 message_id = (guint32)data[20] << 24 | (guint32)data[21] << 16 | (guint32)data[22] << 8 | data[23];
      const char *dh = log_value_nth(PFS_SCENARIO, "initiator", "DH secret", n);
      g_assert_nonnull(dh);
      if (by)
        g_string_append_printf(text, "child-dh spi_i=%.16s spi_r=%.16s msgid=%u by=%s %s\n", p->hex, p->hex + 16,
                               message_id, by, dh);
      n++;
    }
    g_free(data);
  }
  g_assert_nonnull(first);
  *n_exchanges = n;
  return g_string_free(text, FALSE);
}

/* Every Child SA of rekey-pfs-ikev2 (IKE_AUTH without PFS, two CREATE_CHILD_SA
 * rekeys with KE): the derived keys are charon's, on both peers' logs. */
static void test_ikev2_create_child_sa_pfs_keymat(void)
{
  guint n_exchanges;
  char *text = pfs_keys_text("i", &n_exchanges);
  g_assert_cmpuint(n_exchanges, ==, 2);
  ipsecdiag_keys_t *keys;
  ipsecdiag_engine_t *engine = feed_with_keys(PFS_SCENARIO, text, &keys);
  g_free(text);
  g_assert_cmpuint(ipsecdiag_keys_child_dh_count(keys), ==, 2);
  guint count = ipsecdiag_engine_esp_derived_count(engine);
  g_assert_cmpuint(count, ==, 2 * (1 + n_exchanges));
  for (guint i = 0; i < count; i++) {
    const ipsecdiag_esp_derived_t *d = ipsecdiag_engine_esp_derived(engine, i);
    guint child = i / 2;
    /* the first Child SA (IKE_AUTH) has no PFS, the rekeys have */
    g_assert_cmpint(d->pfs, ==, child > 0);
    g_assert_null(ipsecdiag_engine_esp_keymat_problem(engine, d->frame));
    gboolean i2r = d->direction == IPSECDIAG_ESP_DIR_I2R;
    /* the initiator requested every exchange: charon's initiator keys are I2R */
    for (guint side = 0; side < 2; side++) {
      const char *who = side ? "responder" : "initiator";
      const char *enc = log_value_nth(PFS_SCENARIO, who, i2r ? "encryption initiator key" : "encryption responder key",
                                      child);
      const char *auth = log_value_nth(PFS_SCENARIO, who, i2r ? "integrity initiator key" : "integrity responder key",
                                       child);
      g_assert_nonnull(enc);
      g_assert_nonnull(auth);
      char *got_enc = tohex(d->enc_key, d->enc_key_len), *got_auth = tohex(d->auth_key, d->auth_key_len);
      g_assert_cmpstr(got_enc, ==, enc);
      g_assert_cmpstr(got_auth, ==, auth);
      g_free(got_enc);
      g_free(got_auth);
    }
    if (child > 0) {
      char desc[512];
      g_assert_nonnull(strstr(ipsecdiag_esp_derived_describe(d, desc, sizeof desc), "(PFS)"));
    }
  }
  ipsecdiag_engine_free(engine);
  ipsecdiag_keys_free(keys);
}

/* Without the child-dh lines, or with lines naming the other requester, the
 * PFS Child SAs get no keys and say why; the first Child SA still does. */
static void test_ikev2_pfs_without_child_dh(void)
{
  const char *variants[] = { NULL, "r" };
  for (guint v = 0; v < G_N_ELEMENTS(variants); v++) {
    guint n_exchanges;
    char *text = pfs_keys_text(variants[v], &n_exchanges);
    ipsecdiag_keys_t *keys;
    ipsecdiag_engine_t *engine = feed_with_keys(PFS_SCENARIO, text, &keys);
    g_free(text);
    g_assert_cmpuint(ipsecdiag_engine_esp_derived_count(engine), ==, 2);
    g_assert_false(ipsecdiag_engine_esp_derived(engine, 0)->pfs);
    guint problems = 0;
    for (const fx_packet_t *p = fx_packets; p->capture; p++) {
      if (strcmp(p->capture, PFS_SCENARIO) != 0)
        continue;
      const char *problem = ipsecdiag_engine_esp_keymat_problem(engine, p->frame);
      if (problem) {
        g_assert_nonnull(strstr(problem, "uses PFS"));
        problems++;
      }
    }
    g_assert_cmpuint(problems, ==, n_exchanges);
    ipsecdiag_engine_free(engine);
    ipsecdiag_keys_free(keys);
  }
}

/* healthy-pfs-ikev1: the first Quick Mode already uses PFS (KE in QI1/QR1).
 * With a child-dh line naming it by cookies and message ID, both ESP SAs have
 * the keys charon logged; without, none and the PFS problem. */
static void test_ikev1_quick_mode_pfs_keymat(void)
{
  const char *scenario = "healthy-pfs-ikev1";
  const fx_packet_t *first = NULL;
  guint32 qm_message_id = 0;
  for (const fx_packet_t *p = fx_packets; p->capture; p++) {
    if (strcmp(p->capture, scenario) != 0)
      continue;
    if (!first)
      first = p;
    gsize len;
    guint8 *data = unhex(p->hex, &len);
    g_assert_cmpuint(len, >=, 28);
    if (data[18] == 32 && !qm_message_id)        /* Quick Mode: its message ID is in the clear */
      qm_message_id = (guint32)data[20] << 24 | (guint32)data[21] << 16 | (guint32)data[22] << 8 | data[23];
    g_free(data);
  }
  g_assert_nonnull(first);
  g_assert_cmpuint(qm_message_id, !=, 0);
  const char *dh = log_value(scenario, "initiator", "shared Diffie Hellman secret");
  const char *qm_dh = log_value(scenario, "initiator", "DH secret");
  g_assert_nonnull(dh);
  g_assert_nonnull(qm_dh);
  /* the responder cookie from MR1 */
  const fx_packet_t *second = first + 1;
  g_assert_cmpstr(second->capture, ==, scenario);
  for (guint with_child_dh = 0; with_child_dh < 2; with_child_dh++) {
    char *text = g_strdup_printf("dh spi_i=%.16s %s\npsk \"%s\"\n%s%.16s%s%.16s msgid=%u %s\n", first->hex, dh,
                                 lab_psk, with_child_dh ? "child-dh cookie_i=" : "# ", second->hex,
                                 " cookie_r=", second->hex + 16, qm_message_id, qm_dh);
    ipsecdiag_keys_t *keys;
    ipsecdiag_engine_t *engine = feed_with_keys(scenario, text, &keys);
    g_free(text);
    if (!with_child_dh) {
      g_assert_cmpuint(ipsecdiag_engine_esp_derived_count(engine), ==, 0);
      guint problems = 0;
      for (const fx_packet_t *p = fx_packets; p->capture; p++) {
        const char *problem = strcmp(p->capture, scenario) ? NULL : ipsecdiag_engine_esp_keymat_problem(engine, p->frame);
        if (problem) {
          g_assert_nonnull(strstr(problem, "uses PFS"));
          problems++;
        }
      }
      g_assert_cmpuint(problems, ==, 1);
    } else {
      g_assert_cmpuint(ipsecdiag_engine_esp_derived_count(engine), ==, 2);
      for (guint i = 0; i < 2; i++) {
        const ipsecdiag_esp_derived_t *d = ipsecdiag_engine_esp_derived(engine, i);
        g_assert_true(d->pfs);
        g_assert_cmpuint(d->ike_version, ==, 1);
        gboolean i2r = d->direction == IPSECDIAG_ESP_DIR_I2R;
        for (guint side = 0; side < 2; side++) {
          const char *who = side ? "responder" : "initiator";
          assert_key(d->enc_key, d->enc_key_len, scenario, who,
                     i2r ? "encryption initiator key" : "encryption responder key");
          assert_key(d->auth_key, d->auth_key_len, scenario, who,
                     i2r ? "integrity initiator key" : "integrity responder key");
        }
      }
    }
    ipsecdiag_engine_free(engine);
    ipsecdiag_keys_free(keys);
  }
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  ike_crypto_init();
  g_test_add_func("/esp_keys/ikev1_quick_mode", test_ikev1_quick_mode_keymat);
  g_test_add_func("/esp_keys/ikev2_ike_auth", test_ikev2_ike_auth_keymat);
  g_test_add_func("/esp_keys/no_keys", test_no_keys_no_esp);
  g_test_add_func("/esp_keys/ike1_keymat_expansion", test_ike1_keymat_expansion);
  g_test_add_func("/esp_keys/ikev2_create_child_sa_pfs", test_ikev2_create_child_sa_pfs_keymat);
  g_test_add_func("/esp_keys/ikev2_pfs_without_child_dh", test_ikev2_pfs_without_child_dh);
  g_test_add_func("/esp_keys/ikev1_quick_mode_pfs", test_ikev1_quick_mode_pfs_keymat);
  return g_test_run();
}
