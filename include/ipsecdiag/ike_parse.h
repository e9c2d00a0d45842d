/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag: defensive parser for IKEv1 (RFC 2408/2409) and IKEv2 (RFC 7296)
 * messages. Plain C + glib; no Wireshark headers.
 *
 * The parser never allocates: the caller provides an ike_message_t (it is
 * large, keep it static or on the heap in hot paths) and the parser fills in
 * fixed-capacity arrays. Byte pointers in the result point into the input
 * buffer and are valid only as long as it is. Every length is checked; a
 * malformed message yields a status other than IKE_PARSE_OK together with the
 * offset of the problem, and whatever could be parsed before it.
 */
#ifndef IPSECDIAG_IKE_PARSE_H
#define IPSECDIAG_IKE_PARSE_H

#include <glib.h>

G_BEGIN_DECLS

#define IKE_HEADER_LEN 28
#define IKE_SPI_LEN 8

/* Caps that bound the parse result (and so the memory of one message). */
#define IKE_MAX_PAYLOADS 48
#define IKE_MAX_PROPOSALS 16
#define IKE_MAX_TRANSFORMS 32  /* per proposal */
#define IKE_MAX_NOTIFIES 16
#define IKE_MAX_VENDOR_IDS 16
#define IKE_MAX_NATD 8
#define IKE_MAX_TS 8           /* per TSi / TSr payload */
#define IKE_MAX_DELETE_SPIS 16

typedef enum {
  IKE_PARSE_OK = 0,
  IKE_PARSE_TOO_SHORT,        /* fewer than 28 bytes */
  IKE_PARSE_BAD_VERSION,      /* major version neither 1 nor 2 */
  IKE_PARSE_BAD_LENGTH,       /* header length disagrees with the data */
  IKE_PARSE_BAD_PAYLOAD,      /* a payload length is < 4 or runs past the end */
  IKE_PARSE_BAD_SA,           /* proposal/transform/attribute structure broken */
  IKE_PARSE_TOO_MANY,         /* a cap above was hit (result truncated, still usable) */
} ike_parse_status_t;

/* IKEv1 exchange types (RFC 2408 3.1, RFC 2409) and IKEv2 (RFC 7296 3.1). */
enum {
  IKEV1_EXCH_BASE = 1,
  IKEV1_EXCH_MAIN = 2,        /* Identity Protection */
  IKEV1_EXCH_AUTH_ONLY = 3,
  IKEV1_EXCH_AGGRESSIVE = 4,
  IKEV1_EXCH_INFORMATIONAL = 5,
  IKEV1_EXCH_TRANSACTION = 6, /* Mode Config */
  IKEV1_EXCH_QUICK = 32,
  IKEV1_EXCH_NEW_GROUP = 33,
  IKEV2_EXCH_IKE_SA_INIT = 34,
  IKEV2_EXCH_IKE_AUTH = 35,
  IKEV2_EXCH_CREATE_CHILD_SA = 36,
  IKEV2_EXCH_INFORMATIONAL = 37,
};

/* Header flags. */
#define IKEV1_FLAG_ENCRYPTION 0x01
#define IKEV1_FLAG_COMMIT 0x02
#define IKEV1_FLAG_AUTH_ONLY 0x04
#define IKEV2_FLAG_INITIATOR 0x08
#define IKEV2_FLAG_VERSION 0x10
#define IKEV2_FLAG_RESPONSE 0x20

/* Payload type numbers (IKEv1 RFC 2408 3.1 + RFC 3947; IKEv2 RFC 7296 3.2). */
enum {
  IKEV1_PL_SA = 1, IKEV1_PL_PROPOSAL = 2, IKEV1_PL_TRANSFORM = 3, IKEV1_PL_KE = 4,
  IKEV1_PL_ID = 5, IKEV1_PL_CERT = 6, IKEV1_PL_CERTREQ = 7, IKEV1_PL_HASH = 8,
  IKEV1_PL_SIG = 9, IKEV1_PL_NONCE = 10, IKEV1_PL_NOTIFY = 11, IKEV1_PL_DELETE = 12,
  IKEV1_PL_VID = 13, IKEV1_PL_ATTR = 14, IKEV1_PL_SAK = 15, IKEV1_PL_SAT = 16,
  IKEV1_PL_FRAG = 132,        /* Cisco/strongSwan IKE fragmentation */
  IKEV1_PL_NAT_D = 20, IKEV1_PL_NAT_OA = 21,
  IKEV1_PL_NAT_D_DRAFT = 130, IKEV1_PL_NAT_OA_DRAFT = 131,
  IKEV2_PL_SA = 33, IKEV2_PL_KE = 34, IKEV2_PL_IDI = 35, IKEV2_PL_IDR = 36,
  IKEV2_PL_CERT = 37, IKEV2_PL_CERTREQ = 38, IKEV2_PL_AUTH = 39, IKEV2_PL_NONCE = 40,
  IKEV2_PL_NOTIFY = 41, IKEV2_PL_DELETE = 42, IKEV2_PL_VID = 43, IKEV2_PL_TSI = 44,
  IKEV2_PL_TSR = 45, IKEV2_PL_SK = 46, IKEV2_PL_CP = 47, IKEV2_PL_EAP = 48,
  IKEV2_PL_SKF = 53,          /* encrypted fragment, RFC 7383 */
};

/* Selected notify types used by the engine (full name table in ike_names.h). */
enum {
  IKE_N_INVALID_PAYLOAD_TYPE = 1, IKE_N_DOI_NOT_SUPPORTED = 2,
  IKE_N_INVALID_COOKIE_OR_IKE_SPI = 4, IKE_N_INVALID_MAJOR_VERSION = 5,
  IKE_N_INVALID_SYNTAX = 7, IKE_N_INVALID_MESSAGE_ID = 9, IKE_N_INVALID_SPI = 11,
  IKE_N_NO_PROPOSAL_CHOSEN = 14, IKE_N_PAYLOAD_MALFORMED = 16,
  IKE_N_INVALID_KE_PAYLOAD = 17, IKE_N_INVALID_ID_INFORMATION = 18,
  IKE_N_AUTHENTICATION_FAILED = 24, IKE_N_SINGLE_PAIR_REQUIRED = 34,
  IKE_N_NO_ADDITIONAL_SAS = 35, IKE_N_INTERNAL_ADDRESS_FAILURE = 36,
  IKE_N_FAILED_CP_REQUIRED = 37, IKE_N_TS_UNACCEPTABLE = 38,
  IKE_N_INVALID_SELECTORS = 39, IKE_N_TEMPORARY_FAILURE = 43,
  IKE_N_CHILD_SA_NOT_FOUND = 44,
  IKEV1_N_R_U_THERE = 36136, IKEV1_N_R_U_THERE_ACK = 36137,
  IKEV2_N_INITIAL_CONTACT = 16384, IKEV2_N_NAT_DETECTION_SOURCE_IP = 16388,
  IKEV2_N_NAT_DETECTION_DESTINATION_IP = 16389, IKEV2_N_COOKIE = 16390,
  IKEV2_N_USE_TRANSPORT_MODE = 16391, IKEV2_N_REKEY_SA = 16393,
  IKEV2_N_FRAGMENTATION_SUPPORTED = 16430,
};

/* One SA transform, normalised across versions. Zero means "absent". */
typedef struct {
  guint8 number;       /* IKEv1 transform number; IKEv2: index in proposal */
  guint8 type;         /* IKEv2 transform type (1 ENCR, 2 PRF, 3 INTEG, 4 DH, 5 ESN);
                          IKEv1: 0 */
  guint16 id;          /* IKEv2 transform ID; IKEv1 transform ID (KEY_IKE = 1, ESP_AES...) */
  /* Decoded attributes (IKEv1 SA attributes; IKEv2 key length attribute). */
  guint16 encr;        /* IKEv1 phase 1 encryption algorithm (attr 1) */
  guint16 key_len;     /* bits (IKEv1 attr 14, IKEv2 attr 14) */
  guint16 hash;        /* IKEv1 phase 1 hash (attr 2) */
  guint16 auth_method; /* IKEv1 phase 1 auth method (attr 3) */
  guint16 dh_group;    /* IKEv1 attr 4 (phase 1) or attr 3 (phase 2, PFS group) */
  guint16 auth_alg;    /* IKEv1 phase 2 authentication algorithm (attr 5) */
  guint16 encap_mode;  /* IKEv1 phase 2 encapsulation mode (attr 4) */
  guint32 life_seconds;
  guint32 life_kbytes;
  guint8 n_attrs;      /* attributes seen (decoded or not) */
} ike_transform_t;

typedef struct {
  guint8 number;
  guint8 protocol_id;  /* 1 ISAKMP/IKE, 2 AH, 3 ESP */
  guint8 spi_size;
  guint8 spi[IKE_SPI_LEN]; /* first min(spi_size, 8) bytes */
  guint8 n_transforms;
  ike_transform_t transforms[IKE_MAX_TRANSFORMS];
} ike_proposal_t;

typedef struct {
  guint8 protocol_id;
  guint8 spi_size;
  guint16 type;
  const guint8 *spi;   /* spi_size bytes, NULL if none */
  const guint8 *data;  /* notification data */
  guint16 data_len;
} ike_notify_t;

typedef struct {
  guint8 ts_type;      /* 7 IPv4 range, 8 IPv6 range */
  guint8 ip_proto;
  guint16 start_port, end_port;
  guint8 start_addr[16], end_addr[16];
  guint8 addr_len;     /* 4 or 16 */
} ike_ts_t;

typedef struct {
  guint8 type;         /* payload type number */
  guint8 flags;        /* IKEv2 critical bit etc. (byte 1 of the generic header) */
  guint16 length;      /* whole payload including its 4-byte generic header */
  guint32 offset;      /* from the start of the IKE header */
} ike_payload_ref_t;

typedef struct {
  /* Header. */
  guint8 spi_i[IKE_SPI_LEN];
  guint8 spi_r[IKE_SPI_LEN];
  guint8 next_payload;
  guint8 major_version, minor_version;
  guint8 exchange_type;
  guint8 flags;
  guint32 message_id;
  guint32 length;      /* from the header */

  /* Payload chain in order (for an encrypted message: the cleartext part up to
     and including the SK/SKF payload, or nothing for an IKEv1 E-flag body). */
  guint n_payloads;
  ike_payload_ref_t payloads[IKE_MAX_PAYLOADS];

  /* Decoded payloads (first of each kind, unless noted). */
  gboolean encrypted;          /* IKEv1 E flag, or IKEv2 SK/SKF present */
  guint32 encrypted_len;       /* IKEv1 body after header, or SK payload body length */
  guint8 sk_next_payload;      /* IKEv2: first payload inside SK/SKF */
  guint16 frag_number, frag_total; /* IKEv2 SKF, or IKEv1 fragment payload */
  gboolean is_fragment;

  guint8 sa_doi_ok;            /* IKEv1: DOI was IPsec (1) */
  guint32 sa_situation;
  guint n_proposals;
  ike_proposal_t proposals[IKE_MAX_PROPOSALS];

  gboolean has_ke;
  guint16 ke_group;            /* IKEv2 KE DH group (IKEv1 KE has no group: 0) */
  guint16 ke_len;              /* key exchange data length */
  const guint8 *ke_data;

  gboolean has_nonce;
  guint16 nonce_len;
  const guint8 *nonce;

  guint8 n_ids;                /* IKEv1 ID (up to 2 in Quick Mode), IKEv2 IDi/IDr */
  struct {
    guint8 payload_type;
    guint8 id_type;            /* 1 IPv4, 2 FQDN, 3 USER_FQDN, 5 IPv6, 9 DER_DN, 11 KEY_ID ... */
    guint8 protocol_id;        /* IKEv1 only */
    guint16 port;              /* IKEv1 only */
    const guint8 *data;
    guint16 data_len;
  } ids[2];

  gboolean has_hash;           /* IKEv1 HASH */
  guint16 hash_len;
  const guint8 *hash;

  gboolean has_auth;           /* IKEv2 AUTH */
  guint8 auth_method;
  guint16 auth_len;
  const guint8 *auth;

  guint n_notifies;
  ike_notify_t notifies[IKE_MAX_NOTIFIES];

  guint n_vendor_ids;
  struct { const guint8 *data; guint16 len; } vendor_ids[IKE_MAX_VENDOR_IDS];

  guint n_natd;                /* IKEv1 NAT-D payloads (20 or 130), in order */
  struct { const guint8 *data; guint16 len; } natd[IKE_MAX_NATD];

  gboolean has_delete;
  guint8 delete_protocol_id;
  guint8 delete_spi_size;
  guint16 delete_n_spis;       /* as declared */
  guint8 delete_n_stored;      /* min(declared, IKE_MAX_DELETE_SPIS) */
  const guint8 *delete_spis;   /* delete_n_stored * delete_spi_size bytes */

  guint8 n_tsi, n_tsr;         /* IKEv2 traffic selectors */
  ike_ts_t tsi[IKE_MAX_TS];
  ike_ts_t tsr[IKE_MAX_TS];

  gboolean has_cert, has_certreq, has_cp, has_eap;

  /* Result. */
  ike_parse_status_t status;
  guint32 error_offset;        /* where the problem was found */
} ike_message_t;

/* Parse one IKE message (starting at the IKE header; for UDP 4500 the caller
 * strips the 4-byte non-ESP marker). Returns msg->status. */
ike_parse_status_t ike_parse_message(const guint8 *data, gsize len, ike_message_t *msg);

/* Parse only the fixed header (for ICMP-quoted packets, which may be cut).
 * Returns TRUE if at least the 28-byte header was present and plausible. */
gboolean ike_parse_header(const guint8 *data, gsize len, ike_message_t *msg);

const char *ike_parse_status_name(ike_parse_status_t status);

/* Body (without the 4-byte generic header) of the first payload of a type in
 * the message msg was parsed from (data, len); FALSE if there is none. */
gboolean ike_message_payload_body(const ike_message_t *msg, const guint8 *data, gsize len, guint8 type,
                                  const guint8 **body, gsize *body_len);

/* Find the first notify of a type; NULL if absent. */
const ike_notify_t *ike_message_find_notify(const ike_message_t *msg, guint16 type);

static inline gboolean ike_is_v2(const ike_message_t *msg) { return msg->major_version == 2; }
static inline gboolean ike_is_response(const ike_message_t *msg)
{ return msg->major_version == 2 && (msg->flags & IKEV2_FLAG_RESPONSE); }

G_END_DECLS

#endif
