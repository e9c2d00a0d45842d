/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag: names for IKE numbers (exchange, payload, notify, algorithms),
 * in the vocabulary of the RFCs and of the daemons' logs. Every function
 * returns a static string, never NULL: unknown values give "unknown".
 */
#ifndef IPSECDIAG_IKE_NAMES_H
#define IPSECDIAG_IKE_NAMES_H

#include <glib.h>
#include "ipsecdiag/ike_parse.h"

G_BEGIN_DECLS

const char *ike_exchange_name(guint8 exchange_type);     /* "Main Mode", "IKE_SA_INIT" */
const char *ike_payload_name(guint8 payload_type);       /* "SA", "KE", "SK", "NAT-D" */
const char *ike_notify_name(guint16 notify_type);        /* "NO_PROPOSAL_CHOSEN" */
/* The same for one version: IKEv1 and IKEv2 name some numbers differently
 * (1, 4, 7, 17, 16384); ike_notify_name() prefers IKEv2 for those. */
const char *ike_notify_name_for_version(guint8 major_version, guint16 notify_type);
gboolean ike_notify_is_error(guint8 major_version, guint16 notify_type);
const char *ike_id_type_name(guint8 id_type);            /* "IPV4_ADDR", "FQDN" */

/* IKEv1 phase 1 attribute values. */
const char *ikev1_encr_name(guint16 v);                  /* "AES-CBC", "3DES-CBC" */
const char *ikev1_hash_name(guint16 v);                  /* "MD5", "SHA1", "SHA2-256" */
const char *ikev1_auth_method_name(guint16 v);           /* "PSK", "RSA-SIG", "XAUTH-INIT-PSK" */
/* IKEv1 phase 2 (IPsec DOI). */
const char *ikev1_esp_transform_name(guint16 v);         /* "ESP_AES", "ESP_3DES" */
const char *ikev1_p2_auth_alg_name(guint16 v);           /* "HMAC-SHA1", "HMAC-SHA2-256" */
/* IKEv2 transforms: type 1..5. */
const char *ikev2_transform_type_name(guint8 type);      /* "ENCR", "PRF", "INTEG", "DH", "ESN" */
const char *ikev2_transform_id_name(guint8 type, guint16 id);
/* Both versions share the DH group registry. */
const char *ike_dh_group_name(guint16 group);            /* "MODP-2048", "ECP-256", "Curve25519" */
guint ike_dh_group_bits(guint16 group);                  /* strength class: 768, 1024, 2048 ...; 0 unknown */

/* Readable suite of one proposal, e.g.
 *   IKEv1 phase 1 transform: "AES-CBC-256/SHA2-256/MODP-2048/PSK/28800s"
 *   IKEv2 proposal:          "AES-CBC-256/HMAC-SHA2-256-128/PRF-HMAC-SHA2-256/MODP-2048"
 * Written into buf (always NUL-terminated); returns buf. For IKEv1 the
 * transform index selects the transform; for IKEv2 it is ignored. */
char *ike_proposal_describe(const ike_message_t *msg, guint proposal_index,
                            guint transform_index, char *buf, gsize buf_len);

G_END_DECLS

#endif
