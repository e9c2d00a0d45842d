/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag: names for IKE numbers, from the IANA registries "Internet Key
 * Exchange (IKE) Attributes", "ISAKMP/IPsec DOI" (RFC 2407/2408/2409) and
 * "IKEv2 Parameters" (RFC 7296 and later), spelled the way the RFCs and the
 * daemons' logs spell them, plus ike_proposal_describe(), which renders one
 * offered or chosen suite as a single readable line. Every lookup returns a
 * static string; unknown values give "unknown".
 */
#include "ipsecdiag/ike_names.h"

#include <stdio.h>
#include <string.h>

typedef struct {
  guint32 value;
  const char *name;
} name_entry_t;

/* One object, so that "was it found" is a pointer comparison. */
static const char UNKNOWN_NAME[] = "unknown";

static const char *lookup_name(const name_entry_t *table, gsize n, guint32 value)
{
  gsize i;

  for (i = 0; i < n; i++)
    if (table[i].value == value)
      return table[i].name;
  return UNKNOWN_NAME;
}

#define LOOKUP(table, value) lookup_name((table), G_N_ELEMENTS(table), (value))

/* ---------- exchanges and payloads ---------- */

static const name_entry_t exchange_names[] = {
  { 1, "Base" },
  { 2, "Main Mode" },
  { 3, "Authentication Only" },
  { 4, "Aggressive Mode" },
  { 5, "Informational" },
  { 6, "Transaction" },                /* Mode Config */
  { 32, "Quick Mode" },
  { 33, "New Group Mode" },
  { 34, "IKE_SA_INIT" },
  { 35, "IKE_AUTH" },
  { 36, "CREATE_CHILD_SA" },
  { 37, "INFORMATIONAL" },
  { 38, "IKE_SESSION_RESUME" },        /* RFC 5723 */
  { 39, "GSA_AUTH" },                  /* G-IKEv2 */
  { 40, "GSA_REGISTRATION" },
  { 41, "GSA_REKEY" },
  { 43, "IKE_INTERMEDIATE" },          /* RFC 9242 */
  { 44, "IKE_FOLLOWUP_KE" },           /* RFC 9370 */
};

const char *ike_exchange_name(guint8 exchange_type)
{
  return LOOKUP(exchange_names, exchange_type);
}

static const name_entry_t payload_names[] = {
  { 0, "NONE" },
  /* IKEv1 (RFC 2408 3.1, RFC 3947, GDOI RFC 6407) */
  { 1, "SA" }, { 2, "Proposal" }, { 3, "Transform" }, { 4, "KE" }, { 5, "ID" },
  { 6, "CERT" }, { 7, "CERTREQ" }, { 8, "HASH" }, { 9, "SIG" }, { 10, "Nonce" },
  { 11, "Notify" }, { 12, "Delete" }, { 13, "Vendor ID" }, { 14, "Attributes" },
  { 15, "SAK" }, { 16, "SAT" }, { 17, "KD" }, { 18, "SEQ" }, { 19, "POP" },
  { 20, "NAT-D" }, { 21, "NAT-OA" },
  { 130, "NAT-D (draft)" }, { 131, "NAT-OA (draft)" }, { 132, "Fragment" },
  /* IKEv2 (RFC 7296 3.2, RFC 7383, G-IKEv2) */
  { 33, "SA" }, { 34, "KE" }, { 35, "IDi" }, { 36, "IDr" }, { 37, "CERT" },
  { 38, "CERTREQ" }, { 39, "AUTH" }, { 40, "Nonce" }, { 41, "Notify" },
  { 42, "Delete" }, { 43, "Vendor ID" }, { 44, "TSi" }, { 45, "TSr" }, { 46, "SK" },
  { 47, "CP" }, { 48, "EAP" }, { 49, "GSPM" }, { 50, "IDg" }, { 51, "GSA" },
  { 52, "KD" }, { 53, "SKF" }, { 54, "PS" },
};

const char *ike_payload_name(guint8 payload_type)
{
  return LOOKUP(payload_names, payload_type);
}

/* ---------- notify types ---------- */

/* IKEv2 (IANA "IKEv2 Notify Message Types"). */
static const name_entry_t notify_v2_names[] = {
  { 1, "UNSUPPORTED_CRITICAL_PAYLOAD" },
  { 4, "INVALID_IKE_SPI" },
  { 5, "INVALID_MAJOR_VERSION" },
  { 7, "INVALID_SYNTAX" },
  { 9, "INVALID_MESSAGE_ID" },
  { 11, "INVALID_SPI" },
  { 14, "NO_PROPOSAL_CHOSEN" },
  { 17, "INVALID_KE_PAYLOAD" },
  { 24, "AUTHENTICATION_FAILED" },
  { 34, "SINGLE_PAIR_REQUIRED" },
  { 35, "NO_ADDITIONAL_SAS" },
  { 36, "INTERNAL_ADDRESS_FAILURE" },
  { 37, "FAILED_CP_REQUIRED" },
  { 38, "TS_UNACCEPTABLE" },
  { 39, "INVALID_SELECTORS" },
  { 40, "UNACCEPTABLE_ADDRESSES" },
  { 41, "UNEXPECTED_NAT_DETECTED" },
  { 42, "USE_ASSIGNED_HoA" },
  { 43, "TEMPORARY_FAILURE" },
  { 44, "CHILD_SA_NOT_FOUND" },
  { 45, "INVALID_GROUP_ID" },
  { 46, "AUTHORIZATION_FAILED" },
  { 47, "STATE_NOT_FOUND" },
  { 48, "TS_MAX_QUEUE" },
  { 16384, "INITIAL_CONTACT" },
  { 16385, "SET_WINDOW_SIZE" },
  { 16386, "ADDITIONAL_TS_POSSIBLE" },
  { 16387, "IPCOMP_SUPPORTED" },
  { 16388, "NAT_DETECTION_SOURCE_IP" },
  { 16389, "NAT_DETECTION_DESTINATION_IP" },
  { 16390, "COOKIE" },
  { 16391, "USE_TRANSPORT_MODE" },
  { 16392, "HTTP_CERT_LOOKUP_SUPPORTED" },
  { 16393, "REKEY_SA" },
  { 16394, "ESP_TFC_PADDING_NOT_SUPPORTED" },
  { 16395, "NON_FIRST_FRAGMENTS_ALSO" },
  { 16396, "MOBIKE_SUPPORTED" },
  { 16397, "ADDITIONAL_IP4_ADDRESS" },
  { 16398, "ADDITIONAL_IP6_ADDRESS" },
  { 16399, "NO_ADDITIONAL_ADDRESSES" },
  { 16400, "UPDATE_SA_ADDRESSES" },
  { 16401, "COOKIE2" },
  { 16402, "NO_NATS_ALLOWED" },
  { 16403, "AUTH_LIFETIME" },
  { 16404, "MULTIPLE_AUTH_SUPPORTED" },
  { 16405, "ANOTHER_AUTH_FOLLOWS" },
  { 16406, "REDIRECT_SUPPORTED" },
  { 16407, "REDIRECT" },
  { 16408, "REDIRECTED_FROM" },
  { 16409, "TICKET_LT_OPAQUE" },
  { 16410, "TICKET_REQUEST" },
  { 16411, "TICKET_ACK" },
  { 16412, "TICKET_NACK" },
  { 16413, "TICKET_OPAQUE" },
  { 16414, "LINK_ID" },
  { 16415, "USE_WESP_MODE" },
  { 16416, "ROHC_SUPPORTED" },
  { 16417, "EAP_ONLY_AUTHENTICATION" },
  { 16418, "CHILDLESS_IKEV2_SUPPORTED" },
  { 16419, "QUICK_CRASH_DETECTION" },
  { 16420, "IKEV2_MESSAGE_ID_SYNC_SUPPORTED" },
  { 16421, "IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED" },
  { 16422, "IKEV2_MESSAGE_ID_SYNC" },
  { 16423, "IPSEC_REPLAY_COUNTER_SYNC" },
  { 16424, "SECURE_PASSWORD_METHODS" },
  { 16425, "PSK_PERSIST" },
  { 16426, "PSK_CONFIRM" },
  { 16427, "ERX_SUPPORTED" },
  { 16428, "IFOM_CAPABILITY" },
  { 16429, "SENDER_REQUEST_ID" },
  { 16430, "IKEV2_FRAGMENTATION_SUPPORTED" },
  { 16431, "SIGNATURE_HASH_ALGORITHMS" },
  { 16432, "CLONE_IKE_SA_SUPPORTED" },
  { 16433, "CLONE_IKE_SA" },
  { 16434, "PUZZLE" },
  { 16435, "USE_PPK" },
  { 16436, "PPK_IDENTITY" },
  { 16437, "NO_PPK_AUTH" },
  { 16438, "INTERMEDIATE_EXCHANGE_SUPPORTED" },
  { 16439, "IP4_ALLOWED" },
  { 16440, "IP6_ALLOWED" },
  { 16441, "ADDITIONAL_KEY_EXCHANGE" },
  { 16442, "USE_AGGFRAG" },
  { 16443, "SUPPORTED_AUTH_METHODS" },
  { 16444, "SA_RESOURCE_INFO" },
  { 16445, "USE_PPK_INT" },
  { 16446, "PPK_IDENTITY_KEY" },
};

/* IKEv1 (RFC 2408 3.14.1, IPsec DOI RFC 2407 4.6.3, DPD RFC 3706). */
static const name_entry_t notify_v1_names[] = {
  { 1, "INVALID_PAYLOAD_TYPE" },
  { 2, "DOI_NOT_SUPPORTED" },
  { 3, "SITUATION_NOT_SUPPORTED" },
  { 4, "INVALID_COOKIE" },
  { 5, "INVALID_MAJOR_VERSION" },
  { 6, "INVALID_MINOR_VERSION" },
  { 7, "INVALID_EXCHANGE_TYPE" },
  { 8, "INVALID_FLAGS" },
  { 9, "INVALID_MESSAGE_ID" },
  { 10, "INVALID_PROTOCOL_ID" },
  { 11, "INVALID_SPI" },
  { 12, "INVALID_TRANSFORM_ID" },
  { 13, "ATTRIBUTES_NOT_SUPPORTED" },
  { 14, "NO_PROPOSAL_CHOSEN" },
  { 15, "BAD_PROPOSAL_SYNTAX" },
  { 16, "PAYLOAD_MALFORMED" },
  { 17, "INVALID_KEY_INFORMATION" },
  { 18, "INVALID_ID_INFORMATION" },
  { 19, "INVALID_CERT_ENCODING" },
  { 20, "INVALID_CERTIFICATE" },
  { 21, "CERT_TYPE_UNSUPPORTED" },
  { 22, "INVALID_CERT_AUTHORITY" },
  { 23, "INVALID_HASH_INFORMATION" },
  { 24, "AUTHENTICATION_FAILED" },
  { 25, "INVALID_SIGNATURE" },
  { 26, "ADDRESS_NOTIFICATION" },
  { 27, "NOTIFY_SA_LIFETIME" },
  { 28, "CERTIFICATE_UNAVAILABLE" },
  { 29, "UNSUPPORTED_EXCHANGE_TYPE" },
  { 30, "UNEQUAL_PAYLOAD_LENGTHS" },
  { 16384, "CONNECTED" },
  { 24576, "RESPONDER_LIFETIME" },
  { 24577, "REPLAY_STATUS" },
  { 24578, "INITIAL_CONTACT" },
  { 36136, "R_U_THERE" },
  { 36137, "R_U_THERE_ACK" },
};

const char *ike_notify_name_for_version(guint8 major_version, guint16 notify_type)
{
  if (major_version == 1)
    return LOOKUP(notify_v1_names, notify_type);
  return LOOKUP(notify_v2_names, notify_type);
}

/* Without a version, IKEv2 wins where both registries name a number (1, 4, 7,
 * 17, 16384); the IKEv1-only numbers keep their IKEv1 names. */
const char *ike_notify_name(guint16 notify_type)
{
  const char *name = LOOKUP(notify_v2_names, notify_type);

  if (name == UNKNOWN_NAME)
    name = LOOKUP(notify_v1_names, notify_type);
  return name;
}

gboolean ike_notify_is_error(guint8 major_version, guint16 notify_type)
{
  if (notify_type == 0)
    return FALSE;
  /* RFC 7296 3.10.1: 0-16383 are errors. RFC 2408 3.14.1: 1-8191 are the
   * defined errors (8192-16383 private use). */
  return major_version == 1 ? notify_type < 8192 : notify_type < 16384;
}

/* ---------- identities ---------- */

static const name_entry_t id_type_names[] = {
  { 1, "IPV4_ADDR" },
  { 2, "FQDN" },
  { 3, "USER_FQDN" },              /* IKEv2: ID_RFC822_ADDR */
  { 4, "IPV4_ADDR_SUBNET" },
  { 5, "IPV6_ADDR" },
  { 6, "IPV6_ADDR_SUBNET" },
  { 7, "IPV4_ADDR_RANGE" },
  { 8, "IPV6_ADDR_RANGE" },
  { 9, "DER_ASN1_DN" },
  { 10, "DER_ASN1_GN" },
  { 11, "KEY_ID" },
  { 12, "FC_NAME" },               /* IKEv1: ID_LIST (RFC 3554) */
  { 13, "NULL" },                  /* RFC 7619 */
};

const char *ike_id_type_name(guint8 id_type)
{
  return LOOKUP(id_type_names, id_type);
}

/* ---------- IKEv1 attribute values ---------- */

static const name_entry_t ikev1_encr_names[] = {
  { 1, "DES-CBC" }, { 2, "IDEA-CBC" }, { 3, "Blowfish-CBC" }, { 4, "RC5-R16-B64-CBC" },
  { 5, "3DES-CBC" }, { 6, "CAST-CBC" }, { 7, "AES-CBC" }, { 8, "Camellia-CBC" },
};

const char *ikev1_encr_name(guint16 v)
{
  return LOOKUP(ikev1_encr_names, v);
}

static const name_entry_t ikev1_hash_names[] = {
  { 1, "MD5" }, { 2, "SHA1" }, { 3, "Tiger" },
  { 4, "SHA2-256" }, { 5, "SHA2-384" }, { 6, "SHA2-512" },
};

const char *ikev1_hash_name(guint16 v)
{
  return LOOKUP(ikev1_hash_names, v);
}

static const name_entry_t ikev1_auth_method_names[] = {
  { 1, "PSK" },
  { 2, "DSS-SIG" },
  { 3, "RSA-SIG" },
  { 4, "RSA-ENC" },
  { 5, "RSA-ENC-REV" },
  { 6, "ElGamal-ENC" },
  { 7, "ElGamal-ENC-REV" },
  { 8, "ECDSA-SIG" },
  { 9, "ECDSA-SHA256" },           /* RFC 4754, P-256 */
  { 10, "ECDSA-SHA384" },          /* P-384 */
  { 11, "ECDSA-SHA512" },          /* P-521 */
  { 64221, "HYBRID-INIT-RSA" },    /* draft-ietf-ipsec-isakmp-hybrid-auth */
  { 64222, "HYBRID-RESP-RSA" },
  { 64223, "HYBRID-INIT-DSS" },
  { 64224, "HYBRID-RESP-DSS" },
  { 65001, "XAUTH-INIT-PSK" },     /* draft-beaulieu-ike-xauth */
  { 65002, "XAUTH-RESP-PSK" },
  { 65003, "XAUTH-INIT-DSS" },
  { 65004, "XAUTH-RESP-DSS" },
  { 65005, "XAUTH-INIT-RSA" },
  { 65006, "XAUTH-RESP-RSA" },
  { 65007, "XAUTH-INIT-RSA-ENC" },
  { 65008, "XAUTH-RESP-RSA-ENC" },
  { 65009, "XAUTH-INIT-RSA-ENC-REV" },
  { 65010, "XAUTH-RESP-RSA-ENC-REV" },
};

const char *ikev1_auth_method_name(guint16 v)
{
  return LOOKUP(ikev1_auth_method_names, v);
}

/* IPsec DOI ESP transform IDs (RFC 2407 4.4.4 and IANA). */
static const name_entry_t ikev1_esp_names[] = {
  { 1, "ESP_DES_IV64" }, { 2, "ESP_DES" }, { 3, "ESP_3DES" }, { 4, "ESP_RC5" },
  { 5, "ESP_IDEA" }, { 6, "ESP_CAST" }, { 7, "ESP_BLOWFISH" }, { 8, "ESP_3IDEA" },
  { 9, "ESP_DES_IV32" }, { 10, "ESP_RC4" }, { 11, "ESP_NULL" }, { 12, "ESP_AES" },
  { 13, "ESP_AES-CTR" }, { 14, "ESP_AES-CCM_8" }, { 15, "ESP_AES-CCM_12" },
  { 16, "ESP_AES-CCM_16" }, { 18, "ESP_AES-GCM_8" }, { 19, "ESP_AES-GCM_12" },
  { 20, "ESP_AES-GCM_16" }, { 21, "ESP_SEED_CBC" }, { 22, "ESP_CAMELLIA" },
  { 23, "ESP_NULL_AUTH_AES-GMAC" },
};

const char *ikev1_esp_transform_name(guint16 v)
{
  return LOOKUP(ikev1_esp_names, v);
}

/* The same ESP transform IDs as cipher names, for describe(). */
static const name_entry_t ikev1_esp_cipher_names[] = {
  { 1, "DES-IV64" }, { 2, "DES-CBC" }, { 3, "3DES-CBC" }, { 4, "RC5" }, { 5, "IDEA" },
  { 6, "CAST" }, { 7, "Blowfish" }, { 8, "3IDEA" }, { 9, "DES-IV32" }, { 10, "RC4" },
  { 11, "NULL" }, { 12, "AES-CBC" }, { 13, "AES-CTR" }, { 14, "AES-CCM-8" },
  { 15, "AES-CCM-12" }, { 16, "AES-CCM-16" }, { 18, "AES-GCM-8" }, { 19, "AES-GCM-12" },
  { 20, "AES-GCM-16" }, { 21, "SEED-CBC" }, { 22, "Camellia-CBC" },
  { 23, "NULL-AES-GMAC" },
};

/* IPsec DOI AH transform IDs (RFC 2407 4.4.3). */
static const name_entry_t ikev1_ah_names[] = {
  { 2, "AH_MD5" }, { 3, "AH_SHA" }, { 4, "AH_DES" }, { 5, "AH_SHA2-256" },
  { 6, "AH_SHA2-384" }, { 7, "AH_SHA2-512" }, { 8, "AH_RIPEMD" },
  { 9, "AH_AES-XCBC-MAC" }, { 10, "AH_RSA" }, { 11, "AH_AES-128-GMAC" },
  { 12, "AH_AES-192-GMAC" }, { 13, "AH_AES-256-GMAC" },
};

/* IPsec DOI IPCOMP transform IDs (RFC 2407 4.4.5). */
static const name_entry_t ikev1_ipcomp_names[] = {
  { 1, "OUI" }, { 2, "DEFLATE" }, { 3, "LZS" }, { 4, "LZJH" },
};

/* IPsec DOI Authentication Algorithm attribute (RFC 2407 4.5 and IANA). */
static const name_entry_t ikev1_p2_auth_names[] = {
  { 1, "HMAC-MD5" }, { 2, "HMAC-SHA1" }, { 3, "DES-MAC" }, { 4, "KPDK" },
  { 5, "HMAC-SHA2-256" }, { 6, "HMAC-SHA2-384" }, { 7, "HMAC-SHA2-512" },
  { 8, "HMAC-RIPEMD" }, { 9, "AES-XCBC-MAC" }, { 10, "SIG-RSA" },
  { 11, "AES-128-GMAC" }, { 12, "AES-192-GMAC" }, { 13, "AES-256-GMAC" },
};

const char *ikev1_p2_auth_alg_name(guint16 v)
{
  return LOOKUP(ikev1_p2_auth_names, v);
}

/* ---------- IKEv2 transforms ---------- */

static const name_entry_t ikev2_transform_type_names[] = {
  { 1, "ENCR" }, { 2, "PRF" }, { 3, "INTEG" }, { 4, "DH" }, { 5, "ESN" },
  /* RFC 9370 additional key exchanges */
  { 6, "ADDKE1" }, { 7, "ADDKE2" }, { 8, "ADDKE3" }, { 9, "ADDKE4" },
  { 10, "ADDKE5" }, { 11, "ADDKE6" }, { 12, "ADDKE7" },
};

const char *ikev2_transform_type_name(guint8 type)
{
  return LOOKUP(ikev2_transform_type_names, type);
}

static const name_entry_t ikev2_encr_names[] = {
  { 1, "DES-IV64" }, { 2, "DES-CBC" }, { 3, "3DES-CBC" }, { 4, "RC5" }, { 5, "IDEA" },
  { 6, "CAST" }, { 7, "Blowfish" }, { 8, "3IDEA" }, { 9, "DES-IV32" }, { 11, "NULL" },
  { 12, "AES-CBC" }, { 13, "AES-CTR" }, { 14, "AES-CCM-8" }, { 15, "AES-CCM-12" },
  { 16, "AES-CCM-16" }, { 18, "AES-GCM-8" }, { 19, "AES-GCM-12" }, { 20, "AES-GCM-16" },
  { 21, "NULL-AES-GMAC" }, { 23, "Camellia-CBC" }, { 24, "Camellia-CTR" },
  { 25, "Camellia-CCM-8" }, { 26, "Camellia-CCM-12" }, { 27, "Camellia-CCM-16" },
  { 28, "ChaCha20-Poly1305" }, { 29, "AES-CCM-8-IIV" }, { 30, "AES-GCM-16-IIV" },
  { 31, "ChaCha20-Poly1305-IIV" }, { 32, "Kuznyechik-MGM-KTREE" },
  { 33, "Magma-MGM-KTREE" }, { 34, "Kuznyechik-MGM-MAC-KTREE" },
  { 35, "Magma-MGM-MAC-KTREE" },
};

static const name_entry_t ikev2_prf_names[] = {
  { 1, "PRF-HMAC-MD5" }, { 2, "PRF-HMAC-SHA1" }, { 3, "PRF-HMAC-TIGER" },
  { 4, "PRF-AES128-XCBC" }, { 5, "PRF-HMAC-SHA2-256" }, { 6, "PRF-HMAC-SHA2-384" },
  { 7, "PRF-HMAC-SHA2-512" }, { 8, "PRF-AES128-CMAC" }, { 9, "PRF-HMAC-STREEBOG-512" },
};

static const name_entry_t ikev2_integ_names[] = {
  { 0, "NONE" }, { 1, "HMAC-MD5-96" }, { 2, "HMAC-SHA1-96" }, { 3, "DES-MAC" },
  { 4, "KPDK-MD5" }, { 5, "AES-XCBC-96" }, { 6, "HMAC-MD5-128" }, { 7, "HMAC-SHA1-160" },
  { 8, "AES-CMAC-96" }, { 9, "AES-128-GMAC" }, { 10, "AES-192-GMAC" },
  { 11, "AES-256-GMAC" }, { 12, "HMAC-SHA2-256-128" }, { 13, "HMAC-SHA2-384-192" },
  { 14, "HMAC-SHA2-512-256" },
};

static const name_entry_t ikev2_esn_names[] = {
  { 0, "NO-ESN" }, { 1, "ESN" },
};

const char *ikev2_transform_id_name(guint8 type, guint16 id)
{
  switch (type) {
  case 1: return LOOKUP(ikev2_encr_names, id);
  case 2: return LOOKUP(ikev2_prf_names, id);
  case 3: return LOOKUP(ikev2_integ_names, id);
  case 5: return LOOKUP(ikev2_esn_names, id);
  default:
    if (type == 4 || (type >= 6 && type <= 12))
      return ike_dh_group_name(id);
    return UNKNOWN_NAME;
  }
}

/* ---------- Diffie-Hellman groups ---------- */

/* bits: the strength class as the modulus size of an equally strong MODP
 * group (NIST SP 800-57 Part 1 table 2): 80-bit security -> 1024, 112 ->
 * 2048, 128 -> 3072, 192 -> 7680, 256 -> 15360. MODP groups give their own
 * modulus size; a MODP group with a small subgroup counts by its modulus. */
typedef struct {
  guint16 group;
  const char *name;
  guint bits;
} dh_group_entry_t;

static const dh_group_entry_t dh_groups[] = {
  { 0, "NONE", 0 },
  { 1, "MODP-768", 768 },
  { 2, "MODP-1024", 1024 },
  { 3, "EC2N-155", 768 },          /* Oakley group 3, about 77-bit security */
  { 4, "EC2N-185", 1024 },         /* Oakley group 4, about 92-bit security */
  { 5, "MODP-1536", 1536 },
  { 14, "MODP-2048", 2048 },
  { 15, "MODP-3072", 3072 },
  { 16, "MODP-4096", 4096 },
  { 17, "MODP-6144", 6144 },
  { 18, "MODP-8192", 8192 },
  { 19, "ECP-256", 3072 },
  { 20, "ECP-384", 7680 },
  { 21, "ECP-521", 15360 },
  { 22, "MODP-1024-160", 1024 },   /* RFC 5114 */
  { 23, "MODP-2048-224", 2048 },
  { 24, "MODP-2048-256", 2048 },
  { 25, "ECP-192", 1024 },
  { 26, "ECP-224", 2048 },
  { 27, "ECP-224-BP", 2048 },      /* brainpoolP224r1, RFC 6954 */
  { 28, "ECP-256-BP", 3072 },
  { 29, "ECP-384-BP", 7680 },
  { 30, "ECP-512-BP", 15360 },
  { 31, "Curve25519", 3072 },      /* RFC 8031 */
  { 32, "Curve448", 7680 },
  { 33, "GOST3410-2012-256", 3072 }, /* RFC 9385 */
  { 34, "GOST3410-2012-512", 15360 },
  { 35, "ML-KEM-512", 3072 },      /* NIST category 1, 3, 5 */
  { 36, "ML-KEM-768", 7680 },
  { 37, "ML-KEM-1024", 15360 },
};

static const dh_group_entry_t *find_dh_group(guint16 group)
{
  gsize i;

  for (i = 0; i < G_N_ELEMENTS(dh_groups); i++)
    if (dh_groups[i].group == group)
      return &dh_groups[i];
  return NULL;
}

const char *ike_dh_group_name(guint16 group)
{
  const dh_group_entry_t *entry = find_dh_group(group);

  return entry ? entry->name : UNKNOWN_NAME;
}

guint ike_dh_group_bits(guint16 group)
{
  const dh_group_entry_t *entry = find_dh_group(group);

  return entry ? entry->bits : 0;
}

/* ---------- proposal description ---------- */

/* Bounded string builder: appends what fits, always keeps a NUL. */
typedef struct {
  char *buf;
  gsize size;
  gsize len;
} text_out_t;

static void out_append(text_out_t *out, const char *s)
{
  gsize n = strlen(s);

  if (out->len + 1 >= out->size)
    return;
  if (n > out->size - 1 - out->len)
    n = out->size - 1 - out->len;
  memcpy(out->buf + out->len, s, n);
  out->len += n;
  out->buf[out->len] = '\0';
}

static void out_append_uint(text_out_t *out, guint32 v)
{
  char digits[16];

  snprintf(digits, sizeof digits, "%u", (unsigned)v);
  out_append(out, digits);
}

/* A known name, or "<kind>#<number>" for a number without one. */
static void out_append_name(text_out_t *out, const char *name, const char *kind, guint32 v)
{
  if (name != UNKNOWN_NAME) {
    out_append(out, name);
  } else {
    out_append(out, kind);
    out_append(out, "#");
    out_append_uint(out, v);
  }
}

/* Separator between the parts of a suite: nothing before the first. */
static void out_separate(text_out_t *out, gboolean *first)
{
  if (!*first)
    out_append(out, "/");
  *first = FALSE;
}

static void out_append_lifetimes(text_out_t *out, const ike_transform_t *t, gboolean *first)
{
  if (t->life_seconds) {
    out_separate(out, first);
    out_append_uint(out, t->life_seconds);
    out_append(out, "s");
  }
  if (t->life_kbytes) {
    out_separate(out, first);
    out_append_uint(out, t->life_kbytes);
    out_append(out, "KB");
  }
}

static const char *protocol_label(guint8 protocol_id)
{
  switch (protocol_id) {
  case 1: return "IKE";
  case 2: return "AH";
  case 3: return "ESP";
  case 4: return "IPCOMP";
  default: return "proto";
  }
}

/* "AES-CBC-256/SHA2-256/MODP-2048/PSK/28800s" */
static void describe_v1_phase1(text_out_t *out, const ike_transform_t *t)
{
  gboolean first = TRUE;

  if (t->encr) {
    out_separate(out, &first);
    out_append_name(out, ikev1_encr_name(t->encr), "encr", t->encr);
    if (t->key_len) {
      out_append(out, "-");
      out_append_uint(out, t->key_len);
    }
  }
  if (t->hash) {
    out_separate(out, &first);
    out_append_name(out, ikev1_hash_name(t->hash), "hash", t->hash);
  }
  if (t->dh_group) {
    out_separate(out, &first);
    out_append_name(out, ike_dh_group_name(t->dh_group), "group", t->dh_group);
  }
  if (t->auth_method) {
    out_separate(out, &first);
    out_append_name(out, ikev1_auth_method_name(t->auth_method), "auth", t->auth_method);
  }
  out_append_lifetimes(out, t, &first);
}

/* "ESP: AES-CBC-128/HMAC-SHA1/PFS MODP-2048/3600s" */
static void describe_v1_phase2(text_out_t *out, guint8 protocol_id, const ike_transform_t *t)
{
  gboolean first = TRUE;

  out_append(out, protocol_label(protocol_id));
  out_append(out, ": ");
  out_separate(out, &first);
  switch (protocol_id) {
  case 2:
    out_append_name(out, LOOKUP(ikev1_ah_names, t->id), "ah", t->id);
    break;
  case 3:
    out_append_name(out, LOOKUP(ikev1_esp_cipher_names, t->id), "esp", t->id);
    if (t->key_len) {
      out_append(out, "-");
      out_append_uint(out, t->key_len);
    }
    break;
  case 4:
    out_append_name(out, LOOKUP(ikev1_ipcomp_names, t->id), "ipcomp", t->id);
    break;
  default:
    out_append(out, "transform#");
    out_append_uint(out, t->id);
    break;
  }
  if (t->auth_alg) {
    out_separate(out, &first);
    out_append_name(out, ikev1_p2_auth_alg_name(t->auth_alg), "auth", t->auth_alg);
  }
  if (t->dh_group) {
    out_separate(out, &first);
    out_append(out, "PFS ");
    out_append_name(out, ike_dh_group_name(t->dh_group), "group", t->dh_group);
  }
  out_append_lifetimes(out, t, &first);
}

/* All transforms of one type, "|"-joined, as one part of the suite. */
static void describe_v2_type(text_out_t *out, const ike_proposal_t *prop, guint8 type,
                             gboolean *first)
{
  gboolean any = FALSE;
  guint i;

  for (i = 0; i < prop->n_transforms && i < IKE_MAX_TRANSFORMS; i++) {
    const ike_transform_t *t = &prop->transforms[i];

    if (t->type != type)
      continue;
    if (!any) {
      out_separate(out, first);
      if (type >= 6) {
        out_append(out, ikev2_transform_type_name(type));
        out_append(out, ":");
      }
    } else {
      out_append(out, "|");
    }
    any = TRUE;
    out_append_name(out, ikev2_transform_id_name(type, t->id),
                    type <= 12 ? ikev2_transform_type_name(type) : "type", t->id);
    if (type == 1 && t->key_len) {
      out_append(out, "-");
      out_append_uint(out, t->key_len);
    }
  }
}

/* "AES-CBC-256/HMAC-SHA2-256-128/PRF-HMAC-SHA2-256/MODP-2048"; child SA
 * proposals are prefixed "ESP: " / "AH: " and end with their ESN choice. */
static void describe_v2(text_out_t *out, const ike_proposal_t *prop)
{
  static const guint8 order[] = { 1, 3, 2, 4, 6, 7, 8, 9, 10, 11, 12, 5 };
  gboolean first = TRUE;
  gsize i;

  if (prop->protocol_id != 1) {
    out_append(out, protocol_label(prop->protocol_id));
    out_append(out, ": ");
  }
  for (i = 0; i < G_N_ELEMENTS(order); i++)
    describe_v2_type(out, prop, order[i], &first);
}

char *ike_proposal_describe(const ike_message_t *msg, guint proposal_index,
                            guint transform_index, char *buf, gsize buf_len)
{
  text_out_t out = { buf, buf_len, 0 };
  const ike_proposal_t *prop;

  if (buf == NULL || buf_len == 0)
    return buf;
  buf[0] = '\0';
  if (msg == NULL || proposal_index >= msg->n_proposals || proposal_index >= IKE_MAX_PROPOSALS)
    return buf;
  prop = &msg->proposals[proposal_index];
  if (msg->major_version == 2) {
    describe_v2(&out, prop);
  } else {
    if (transform_index >= prop->n_transforms || transform_index >= IKE_MAX_TRANSFORMS)
      return buf;
    if (prop->protocol_id == 1)
      describe_v1_phase1(&out, &prop->transforms[transform_index]);
    else
      describe_v1_phase2(&out, prop->protocol_id, &prop->transforms[transform_index]);
  }
  return buf;
}
