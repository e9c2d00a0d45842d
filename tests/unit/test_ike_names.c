/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag: unit tests of the IKE name tables and of the proposal
 * description (ike_names.c): registry values against the IANA names, the
 * version-specific notify names and error ranges, DH group strengths, and
 * ike_proposal_describe() for both versions, including every buffer size
 * from 1 byte up (always NUL-terminated, never a byte past the buffer).
 */
#include <glib.h>
#include <string.h>

#include "ipsecdiag/ike_names.h"
#include "ipsecdiag/ike_parse.h"

static ike_message_t msg;

static void test_exchange_names(void)
{
  g_assert_cmpstr(ike_exchange_name(IKEV1_EXCH_BASE), ==, "Base");
  g_assert_cmpstr(ike_exchange_name(IKEV1_EXCH_MAIN), ==, "Main Mode");
  g_assert_cmpstr(ike_exchange_name(IKEV1_EXCH_AUTH_ONLY), ==, "Authentication Only");
  g_assert_cmpstr(ike_exchange_name(IKEV1_EXCH_AGGRESSIVE), ==, "Aggressive Mode");
  g_assert_cmpstr(ike_exchange_name(IKEV1_EXCH_INFORMATIONAL), ==, "Informational");
  g_assert_cmpstr(ike_exchange_name(IKEV1_EXCH_TRANSACTION), ==, "Transaction");
  g_assert_cmpstr(ike_exchange_name(IKEV1_EXCH_QUICK), ==, "Quick Mode");
  g_assert_cmpstr(ike_exchange_name(IKEV1_EXCH_NEW_GROUP), ==, "New Group Mode");
  g_assert_cmpstr(ike_exchange_name(IKEV2_EXCH_IKE_SA_INIT), ==, "IKE_SA_INIT");
  g_assert_cmpstr(ike_exchange_name(IKEV2_EXCH_IKE_AUTH), ==, "IKE_AUTH");
  g_assert_cmpstr(ike_exchange_name(IKEV2_EXCH_CREATE_CHILD_SA), ==, "CREATE_CHILD_SA");
  g_assert_cmpstr(ike_exchange_name(IKEV2_EXCH_INFORMATIONAL), ==, "INFORMATIONAL");
  g_assert_cmpstr(ike_exchange_name(38), ==, "IKE_SESSION_RESUME");
  g_assert_cmpstr(ike_exchange_name(43), ==, "IKE_INTERMEDIATE");
  g_assert_cmpstr(ike_exchange_name(0), ==, "unknown");
  g_assert_cmpstr(ike_exchange_name(200), ==, "unknown");
}

static void test_payload_names(void)
{
  g_assert_cmpstr(ike_payload_name(0), ==, "NONE");
  g_assert_cmpstr(ike_payload_name(IKEV1_PL_SA), ==, "SA");
  g_assert_cmpstr(ike_payload_name(IKEV1_PL_HASH), ==, "HASH");
  g_assert_cmpstr(ike_payload_name(IKEV1_PL_VID), ==, "Vendor ID");
  g_assert_cmpstr(ike_payload_name(IKEV1_PL_NAT_D), ==, "NAT-D");
  g_assert_cmpstr(ike_payload_name(IKEV1_PL_NAT_D_DRAFT), ==, "NAT-D (draft)");
  g_assert_cmpstr(ike_payload_name(IKEV1_PL_FRAG), ==, "Fragment");
  g_assert_cmpstr(ike_payload_name(IKEV2_PL_SA), ==, "SA");
  g_assert_cmpstr(ike_payload_name(IKEV2_PL_KE), ==, "KE");
  g_assert_cmpstr(ike_payload_name(IKEV2_PL_IDI), ==, "IDi");
  g_assert_cmpstr(ike_payload_name(IKEV2_PL_TSR), ==, "TSr");
  g_assert_cmpstr(ike_payload_name(IKEV2_PL_SK), ==, "SK");
  g_assert_cmpstr(ike_payload_name(IKEV2_PL_SKF), ==, "SKF");
  g_assert_cmpstr(ike_payload_name(99), ==, "unknown");
}

static void test_notify_names(void)
{
  /* Every type the parser header names has a name. */
  static const guint16 named[] = {
    IKE_N_INVALID_PAYLOAD_TYPE, IKE_N_DOI_NOT_SUPPORTED, IKE_N_INVALID_COOKIE_OR_IKE_SPI,
    IKE_N_INVALID_MAJOR_VERSION, IKE_N_INVALID_SYNTAX, IKE_N_INVALID_MESSAGE_ID,
    IKE_N_INVALID_SPI, IKE_N_NO_PROPOSAL_CHOSEN, IKE_N_PAYLOAD_MALFORMED,
    IKE_N_INVALID_KE_PAYLOAD, IKE_N_INVALID_ID_INFORMATION, IKE_N_AUTHENTICATION_FAILED,
    IKE_N_SINGLE_PAIR_REQUIRED, IKE_N_NO_ADDITIONAL_SAS, IKE_N_INTERNAL_ADDRESS_FAILURE,
    IKE_N_FAILED_CP_REQUIRED, IKE_N_TS_UNACCEPTABLE, IKE_N_INVALID_SELECTORS,
    IKE_N_TEMPORARY_FAILURE, IKE_N_CHILD_SA_NOT_FOUND, IKEV1_N_R_U_THERE,
    IKEV1_N_R_U_THERE_ACK, IKEV2_N_INITIAL_CONTACT, IKEV2_N_NAT_DETECTION_SOURCE_IP,
    IKEV2_N_NAT_DETECTION_DESTINATION_IP, IKEV2_N_COOKIE, IKEV2_N_USE_TRANSPORT_MODE,
    IKEV2_N_REKEY_SA, IKEV2_N_FRAGMENTATION_SUPPORTED,
  };
  gsize i;

  for (i = 0; i < G_N_ELEMENTS(named); i++)
    g_assert_cmpstr(ike_notify_name(named[i]), !=, "unknown");

  g_assert_cmpstr(ike_notify_name(14), ==, "NO_PROPOSAL_CHOSEN");
  g_assert_cmpstr(ike_notify_name(24), ==, "AUTHENTICATION_FAILED");
  g_assert_cmpstr(ike_notify_name(38), ==, "TS_UNACCEPTABLE");
  g_assert_cmpstr(ike_notify_name(43), ==, "TEMPORARY_FAILURE");
  g_assert_cmpstr(ike_notify_name(16), ==, "PAYLOAD_MALFORMED");
  g_assert_cmpstr(ike_notify_name(18), ==, "INVALID_ID_INFORMATION");
  g_assert_cmpstr(ike_notify_name(16390), ==, "COOKIE");
  g_assert_cmpstr(ike_notify_name(16430), ==, "IKEV2_FRAGMENTATION_SUPPORTED");
  g_assert_cmpstr(ike_notify_name(16438), ==, "INTERMEDIATE_EXCHANGE_SUPPORTED");
  g_assert_cmpstr(ike_notify_name(24576), ==, "RESPONDER_LIFETIME");
  g_assert_cmpstr(ike_notify_name(24577), ==, "REPLAY_STATUS");
  g_assert_cmpstr(ike_notify_name(24578), ==, "INITIAL_CONTACT");
  g_assert_cmpstr(ike_notify_name(36136), ==, "R_U_THERE");
  g_assert_cmpstr(ike_notify_name(36137), ==, "R_U_THERE_ACK");
  g_assert_cmpstr(ike_notify_name(0), ==, "unknown");
  g_assert_cmpstr(ike_notify_name(60000), ==, "unknown");

  /* Numbers the two versions name differently. */
  g_assert_cmpstr(ike_notify_name(1), ==, "UNSUPPORTED_CRITICAL_PAYLOAD");
  g_assert_cmpstr(ike_notify_name_for_version(1, 1), ==, "INVALID_PAYLOAD_TYPE");
  g_assert_cmpstr(ike_notify_name_for_version(2, 1), ==, "UNSUPPORTED_CRITICAL_PAYLOAD");
  g_assert_cmpstr(ike_notify_name_for_version(1, 4), ==, "INVALID_COOKIE");
  g_assert_cmpstr(ike_notify_name_for_version(2, 4), ==, "INVALID_IKE_SPI");
  g_assert_cmpstr(ike_notify_name_for_version(1, 7), ==, "INVALID_EXCHANGE_TYPE");
  g_assert_cmpstr(ike_notify_name_for_version(2, 7), ==, "INVALID_SYNTAX");
  g_assert_cmpstr(ike_notify_name_for_version(1, 17), ==, "INVALID_KEY_INFORMATION");
  g_assert_cmpstr(ike_notify_name_for_version(2, 17), ==, "INVALID_KE_PAYLOAD");
  g_assert_cmpstr(ike_notify_name_for_version(1, 16384), ==, "CONNECTED");
  g_assert_cmpstr(ike_notify_name_for_version(2, 16384), ==, "INITIAL_CONTACT");
  g_assert_cmpstr(ike_notify_name_for_version(1, 30), ==, "UNEQUAL_PAYLOAD_LENGTHS");
  g_assert_cmpstr(ike_notify_name_for_version(2, 30), ==, "unknown");
  g_assert_cmpstr(ike_notify_name_for_version(2, 24578), ==, "unknown");
}

static void test_notify_is_error(void)
{
  g_assert_true(ike_notify_is_error(2, 14));
  g_assert_true(ike_notify_is_error(2, 16383));
  g_assert_false(ike_notify_is_error(2, 16384));
  g_assert_false(ike_notify_is_error(2, 16390));
  g_assert_true(ike_notify_is_error(1, 14));
  g_assert_true(ike_notify_is_error(1, 8191));
  g_assert_false(ike_notify_is_error(1, 8192));
  g_assert_false(ike_notify_is_error(1, 24578));
  g_assert_false(ike_notify_is_error(1, 36136));
  g_assert_false(ike_notify_is_error(1, 0));
  g_assert_false(ike_notify_is_error(2, 0));
}

static void test_id_type_names(void)
{
  g_assert_cmpstr(ike_id_type_name(1), ==, "IPV4_ADDR");
  g_assert_cmpstr(ike_id_type_name(2), ==, "FQDN");
  g_assert_cmpstr(ike_id_type_name(3), ==, "USER_FQDN");
  g_assert_cmpstr(ike_id_type_name(4), ==, "IPV4_ADDR_SUBNET");
  g_assert_cmpstr(ike_id_type_name(5), ==, "IPV6_ADDR");
  g_assert_cmpstr(ike_id_type_name(9), ==, "DER_ASN1_DN");
  g_assert_cmpstr(ike_id_type_name(11), ==, "KEY_ID");
  g_assert_cmpstr(ike_id_type_name(0), ==, "unknown");
}

static void test_ikev1_attribute_names(void)
{
  static const char *const encr[] = {
    "unknown", "DES-CBC", "IDEA-CBC", "Blowfish-CBC", "RC5-R16-B64-CBC", "3DES-CBC",
    "CAST-CBC", "AES-CBC", "Camellia-CBC", "unknown",
  };
  static const char *const hash[] = {
    "unknown", "MD5", "SHA1", "Tiger", "SHA2-256", "SHA2-384", "SHA2-512", "unknown",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS(encr); i++)
    g_assert_cmpstr(ikev1_encr_name((guint16)i), ==, encr[i]);
  for (i = 0; i < G_N_ELEMENTS(hash); i++)
    g_assert_cmpstr(ikev1_hash_name((guint16)i), ==, hash[i]);

  g_assert_cmpstr(ikev1_auth_method_name(1), ==, "PSK");
  g_assert_cmpstr(ikev1_auth_method_name(2), ==, "DSS-SIG");
  g_assert_cmpstr(ikev1_auth_method_name(3), ==, "RSA-SIG");
  g_assert_cmpstr(ikev1_auth_method_name(4), ==, "RSA-ENC");
  g_assert_cmpstr(ikev1_auth_method_name(5), ==, "RSA-ENC-REV");
  g_assert_cmpstr(ikev1_auth_method_name(9), ==, "ECDSA-SHA256");
  g_assert_cmpstr(ikev1_auth_method_name(11), ==, "ECDSA-SHA512");
  g_assert_cmpstr(ikev1_auth_method_name(64221), ==, "HYBRID-INIT-RSA");
  g_assert_cmpstr(ikev1_auth_method_name(64222), ==, "HYBRID-RESP-RSA");
  g_assert_cmpstr(ikev1_auth_method_name(65001), ==, "XAUTH-INIT-PSK");
  g_assert_cmpstr(ikev1_auth_method_name(65002), ==, "XAUTH-RESP-PSK");
  g_assert_cmpstr(ikev1_auth_method_name(65005), ==, "XAUTH-INIT-RSA");
  g_assert_cmpstr(ikev1_auth_method_name(65010), ==, "XAUTH-RESP-RSA-ENC-REV");
  g_assert_cmpstr(ikev1_auth_method_name(65011), ==, "unknown");

  g_assert_cmpstr(ikev1_esp_transform_name(3), ==, "ESP_3DES");
  g_assert_cmpstr(ikev1_esp_transform_name(11), ==, "ESP_NULL");
  g_assert_cmpstr(ikev1_esp_transform_name(12), ==, "ESP_AES");
  g_assert_cmpstr(ikev1_esp_transform_name(20), ==, "ESP_AES-GCM_16");
  g_assert_cmpstr(ikev1_esp_transform_name(17), ==, "unknown");

  g_assert_cmpstr(ikev1_p2_auth_alg_name(1), ==, "HMAC-MD5");
  g_assert_cmpstr(ikev1_p2_auth_alg_name(2), ==, "HMAC-SHA1");
  g_assert_cmpstr(ikev1_p2_auth_alg_name(5), ==, "HMAC-SHA2-256");
  g_assert_cmpstr(ikev1_p2_auth_alg_name(7), ==, "HMAC-SHA2-512");
  g_assert_cmpstr(ikev1_p2_auth_alg_name(0), ==, "unknown");
}

static void test_ikev2_transform_names(void)
{
  g_assert_cmpstr(ikev2_transform_type_name(1), ==, "ENCR");
  g_assert_cmpstr(ikev2_transform_type_name(2), ==, "PRF");
  g_assert_cmpstr(ikev2_transform_type_name(3), ==, "INTEG");
  g_assert_cmpstr(ikev2_transform_type_name(4), ==, "DH");
  g_assert_cmpstr(ikev2_transform_type_name(5), ==, "ESN");
  g_assert_cmpstr(ikev2_transform_type_name(6), ==, "ADDKE1");
  g_assert_cmpstr(ikev2_transform_type_name(0), ==, "unknown");

  g_assert_cmpstr(ikev2_transform_id_name(1, 3), ==, "3DES-CBC");
  g_assert_cmpstr(ikev2_transform_id_name(1, 12), ==, "AES-CBC");
  g_assert_cmpstr(ikev2_transform_id_name(1, 13), ==, "AES-CTR");
  g_assert_cmpstr(ikev2_transform_id_name(1, 16), ==, "AES-CCM-16");
  g_assert_cmpstr(ikev2_transform_id_name(1, 20), ==, "AES-GCM-16");
  g_assert_cmpstr(ikev2_transform_id_name(1, 28), ==, "ChaCha20-Poly1305");
  g_assert_cmpstr(ikev2_transform_id_name(1, 17), ==, "unknown");
  g_assert_cmpstr(ikev2_transform_id_name(2, 2), ==, "PRF-HMAC-SHA1");
  g_assert_cmpstr(ikev2_transform_id_name(2, 5), ==, "PRF-HMAC-SHA2-256");
  g_assert_cmpstr(ikev2_transform_id_name(2, 8), ==, "PRF-AES128-CMAC");
  g_assert_cmpstr(ikev2_transform_id_name(3, 0), ==, "NONE");
  g_assert_cmpstr(ikev2_transform_id_name(3, 2), ==, "HMAC-SHA1-96");
  g_assert_cmpstr(ikev2_transform_id_name(3, 7), ==, "HMAC-SHA1-160");
  g_assert_cmpstr(ikev2_transform_id_name(3, 12), ==, "HMAC-SHA2-256-128");
  g_assert_cmpstr(ikev2_transform_id_name(3, 14), ==, "HMAC-SHA2-512-256");
  g_assert_cmpstr(ikev2_transform_id_name(4, 14), ==, "MODP-2048");
  g_assert_cmpstr(ikev2_transform_id_name(4, 19), ==, "ECP-256");
  g_assert_cmpstr(ikev2_transform_id_name(6, 36), ==, "ML-KEM-768");
  g_assert_cmpstr(ikev2_transform_id_name(5, 0), ==, "NO-ESN");
  g_assert_cmpstr(ikev2_transform_id_name(5, 1), ==, "ESN");
  g_assert_cmpstr(ikev2_transform_id_name(13, 1), ==, "unknown");
}

static void test_dh_groups(void)
{
  static const struct {
    guint16 group;
    const char *name;
    guint bits;
  } cases[] = {
    { 1, "MODP-768", 768 }, { 2, "MODP-1024", 1024 }, { 5, "MODP-1536", 1536 },
    { 14, "MODP-2048", 2048 }, { 15, "MODP-3072", 3072 }, { 16, "MODP-4096", 4096 },
    { 17, "MODP-6144", 6144 }, { 18, "MODP-8192", 8192 },
    { 19, "ECP-256", 3072 }, { 20, "ECP-384", 7680 }, { 21, "ECP-521", 15360 },
    { 22, "MODP-1024-160", 1024 }, { 23, "MODP-2048-224", 2048 },
    { 24, "MODP-2048-256", 2048 }, { 25, "ECP-192", 1024 }, { 26, "ECP-224", 2048 },
    { 27, "ECP-224-BP", 2048 }, { 28, "ECP-256-BP", 3072 }, { 29, "ECP-384-BP", 7680 },
    { 30, "ECP-512-BP", 15360 }, { 31, "Curve25519", 3072 }, { 32, "Curve448", 7680 },
    { 6, "unknown", 0 }, { 1000, "unknown", 0 },
  };
  gsize i;

  for (i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_assert_cmpstr(ike_dh_group_name(cases[i].group), ==, cases[i].name);
    g_assert_cmpuint(ike_dh_group_bits(cases[i].group), ==, cases[i].bits);
  }
}

/* No lookup ever returns NULL or an empty string. */
static void test_names_total(void)
{
  guint v;

  for (v = 0; v <= G_MAXUINT16; v++) {
    const char *names[] = {
      ike_notify_name((guint16)v), ike_notify_name_for_version(1, (guint16)v),
      ike_notify_name_for_version(2, (guint16)v), ikev1_encr_name((guint16)v),
      ikev1_hash_name((guint16)v), ikev1_auth_method_name((guint16)v),
      ikev1_esp_transform_name((guint16)v), ikev1_p2_auth_alg_name((guint16)v),
      ike_dh_group_name((guint16)v), ikev2_transform_id_name((guint8)(v & 0xff), (guint16)v),
      ike_exchange_name((guint8)v), ike_payload_name((guint8)v), ike_id_type_name((guint8)v),
      ikev2_transform_type_name((guint8)v),
    };
    gsize i;

    for (i = 0; i < G_N_ELEMENTS(names); i++) {
      g_assert_nonnull(names[i]);
      g_assert_cmpuint(strlen(names[i]), >, 0);
    }
  }
}

/* ---------- ike_proposal_describe ---------- */

static ike_transform_t *add_transform(ike_proposal_t *p)
{
  ike_transform_t *t = &p->transforms[p->n_transforms++];

  memset(t, 0, sizeof *t);
  t->number = p->n_transforms;
  return t;
}

static ike_transform_t *add_v2_transform(ike_proposal_t *p, guint8 type, guint16 id,
                                          guint16 key_len)
{
  ike_transform_t *t = add_transform(p);

  t->type = type;
  t->id = id;
  t->key_len = key_len;
  return t;
}

static void setup_v1_phase1(void)
{
  ike_proposal_t *p;
  ike_transform_t *t;

  memset(&msg, 0, sizeof msg);
  msg.major_version = 1;
  msg.n_proposals = 1;
  p = &msg.proposals[0];
  p->protocol_id = 1;
  t = add_transform(p);
  t->id = 1;
  t->encr = 7;
  t->key_len = 256;
  t->hash = 4;
  t->dh_group = 14;
  t->auth_method = 1;
  t->life_seconds = 28800;
  t = add_transform(p);
  t->id = 1;
  t->encr = 5;
  t->hash = 2;
  t->dh_group = 2;
  t->auth_method = 65001;
}

static void setup_v1_phase2(void)
{
  ike_proposal_t *p;
  ike_transform_t *t;

  memset(&msg, 0, sizeof msg);
  msg.major_version = 1;
  msg.n_proposals = 2;
  p = &msg.proposals[0];
  p->protocol_id = 3;
  p->spi_size = 4;
  t = add_transform(p);
  t->id = 12;
  t->key_len = 128;
  t->auth_alg = 2;
  t->dh_group = 14;
  t->encap_mode = 1;
  t->life_seconds = 3600;
  t = add_transform(p);
  t->id = 20;
  t->key_len = 256;
  p = &msg.proposals[1];
  p->protocol_id = 2;
  t = add_transform(p);
  t->id = 3;
  t->auth_alg = 2;
  t->life_kbytes = 4608000;
}

static void setup_v2(void)
{
  ike_proposal_t *p;

  memset(&msg, 0, sizeof msg);
  msg.major_version = 2;
  msg.n_proposals = 3;
  p = &msg.proposals[0];
  p->protocol_id = 1;
  add_v2_transform(p, 1, 12, 256);
  add_v2_transform(p, 3, 12, 0);
  add_v2_transform(p, 2, 5, 0);
  add_v2_transform(p, 4, 14, 0);
  p = &msg.proposals[1];
  p->protocol_id = 1;
  add_v2_transform(p, 4, 19, 0);      /* order on the wire does not matter */
  add_v2_transform(p, 1, 12, 128);
  add_v2_transform(p, 1, 12, 256);
  add_v2_transform(p, 2, 5, 0);
  add_v2_transform(p, 2, 2, 0);
  add_v2_transform(p, 3, 12, 0);
  add_v2_transform(p, 4, 31, 0);
  add_v2_transform(p, 1, 99, 0);      /* unknown ENCR */
  p = &msg.proposals[2];
  p->protocol_id = 3;
  p->spi_size = 4;
  add_v2_transform(p, 1, 12, 128);
  add_v2_transform(p, 3, 2, 0);
  add_v2_transform(p, 5, 0, 0);
  add_v2_transform(p, 5, 1, 0);
}

static const char *describe(guint proposal, guint transform)
{
  static char text[512];

  return ike_proposal_describe(&msg, proposal, transform, text, sizeof text);
}

static void test_describe_v1(void)
{
  setup_v1_phase1();
  g_assert_cmpstr(describe(0, 0), ==, "AES-CBC-256/SHA2-256/MODP-2048/PSK/28800s");
  g_assert_cmpstr(describe(0, 1), ==, "3DES-CBC/SHA1/MODP-1024/XAUTH-INIT-PSK");
  g_assert_cmpstr(describe(0, 2), ==, "");
  g_assert_cmpstr(describe(1, 0), ==, "");
  msg.proposals[0].transforms[1].encr = 200;
  msg.proposals[0].transforms[1].dh_group = 6;
  g_assert_cmpstr(describe(0, 1), ==, "encr#200/SHA1/group#6/XAUTH-INIT-PSK");
  memset(&msg.proposals[0].transforms[1], 0, sizeof(ike_transform_t));
  g_assert_cmpstr(describe(0, 1), ==, "");

  setup_v1_phase2();
  g_assert_cmpstr(describe(0, 0), ==, "ESP: AES-CBC-128/HMAC-SHA1/PFS MODP-2048/3600s");
  g_assert_cmpstr(describe(0, 1), ==, "ESP: AES-GCM-16-256");
  g_assert_cmpstr(describe(1, 0), ==, "AH: AH_SHA/HMAC-SHA1/4608000KB");
  msg.proposals[1].protocol_id = 4;
  msg.proposals[1].transforms[0].id = 2;
  g_assert_cmpstr(describe(1, 0), ==, "IPCOMP: DEFLATE/HMAC-SHA1/4608000KB");
}

static void test_describe_v2(void)
{
  setup_v2();
  g_assert_cmpstr(describe(0, 0), ==, "AES-CBC-256/HMAC-SHA2-256-128/PRF-HMAC-SHA2-256/MODP-2048");
  g_assert_cmpstr(describe(0, 9), ==, describe(0, 0));
  g_assert_cmpstr(describe(1, 0), ==,
      "AES-CBC-128|AES-CBC-256|ENCR#99/HMAC-SHA2-256-128/PRF-HMAC-SHA2-256|PRF-HMAC-SHA1/"
      "ECP-256|Curve25519");
  g_assert_cmpstr(describe(2, 0), ==, "ESP: AES-CBC-128/HMAC-SHA1-96/NO-ESN|ESN");
  g_assert_cmpstr(describe(3, 0), ==, "");
}

static void test_describe_bad_arguments(void)
{
  char buf[8] = "xxxxxxx";

  setup_v2();
  g_assert_true(ike_proposal_describe(&msg, 0, 0, NULL, 10) == NULL);
  g_assert_true(ike_proposal_describe(&msg, 0, 0, buf, 0) == buf);
  g_assert_cmpstr(buf, ==, "xxxxxxx");
  g_assert_true(ike_proposal_describe(NULL, 0, 0, buf, sizeof buf) == buf);
  g_assert_cmpstr(buf, ==, "");
  /* A count beyond the array (a corrupted struct) is not followed. */
  msg.n_proposals = IKE_MAX_PROPOSALS + 5;
  g_assert_cmpstr(describe(IKE_MAX_PROPOSALS + 1, 0), ==, "");
  msg.n_proposals = 1;
  msg.proposals[0].n_transforms = 255;
  g_assert_cmpuint(strlen(describe(0, 0)), >, 0);
}

/* Every buffer size from 1 to past the full length: a NUL-terminated prefix,
 * and not one byte written past the buffer. */
static void check_all_buffer_sizes(guint proposal, guint transform)
{
  char full[512];
  gsize full_len, size;

  ike_proposal_describe(&msg, proposal, transform, full, sizeof full);
  full_len = strlen(full);
  g_assert_cmpuint(full_len, >, 0);
  for (size = 1; size <= full_len + 4; size++) {
    char *buf = g_malloc(size + 16);
    gsize i;

    memset(buf, '#', size + 16);
    g_assert_true(ike_proposal_describe(&msg, proposal, transform, buf, size) == buf);
    g_assert_cmpuint(strlen(buf), ==, MIN(full_len, size - 1));
    g_assert_true(strncmp(buf, full, strlen(buf)) == 0);
    for (i = size; i < size + 16; i++)
      g_assert_cmpint(buf[i], ==, '#');
    g_free(buf);
  }
}

static void test_describe_buffer_sizes(void)
{
  setup_v1_phase1();
  check_all_buffer_sizes(0, 0);
  check_all_buffer_sizes(0, 1);
  setup_v1_phase2();
  check_all_buffer_sizes(0, 0);
  check_all_buffer_sizes(1, 0);
  setup_v2();
  check_all_buffer_sizes(0, 0);
  check_all_buffer_sizes(1, 0);
  check_all_buffer_sizes(2, 0);
}

/* The longest possible IKEv2 description: 32 transforms of unknown types
 * and ids still fit a bounded buffer safely. */
static void test_describe_long(void)
{
  ike_proposal_t *p;
  char small[64];
  guint i;

  memset(&msg, 0, sizeof msg);
  msg.major_version = 2;
  msg.n_proposals = 1;
  p = &msg.proposals[0];
  p->protocol_id = 200;
  for (i = 0; i < IKE_MAX_TRANSFORMS; i++)
    add_v2_transform(p, (guint8)(1 + i % 12), 60000, 65535);
  ike_proposal_describe(&msg, 0, 0, small, sizeof small);
  g_assert_cmpuint(strlen(small), ==, sizeof small - 1);
  g_assert_true(g_str_has_prefix(small, "proto: ENCR#60000-65535|"));
  check_all_buffer_sizes(0, 0);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/ike_names/exchange", test_exchange_names);
  g_test_add_func("/ike_names/payload", test_payload_names);
  g_test_add_func("/ike_names/notify", test_notify_names);
  g_test_add_func("/ike_names/notify_is_error", test_notify_is_error);
  g_test_add_func("/ike_names/id_type", test_id_type_names);
  g_test_add_func("/ike_names/ikev1_attributes", test_ikev1_attribute_names);
  g_test_add_func("/ike_names/ikev2_transforms", test_ikev2_transform_names);
  g_test_add_func("/ike_names/dh_groups", test_dh_groups);
  g_test_add_func("/ike_names/total", test_names_total);
  g_test_add_func("/ike_names/describe/v1", test_describe_v1);
  g_test_add_func("/ike_names/describe/v2", test_describe_v2);
  g_test_add_func("/ike_names/describe/bad_arguments", test_describe_bad_arguments);
  g_test_add_func("/ike_names/describe/buffer_sizes", test_describe_buffer_sizes);
  g_test_add_func("/ike_names/describe/long", test_describe_long);
  return g_test_run();
}
