/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag engine: failures inferred without keys from the size and order
 * of encrypted messages. An IKEv2 IKE_AUTH response that holds no more than a
 * notify means authentication was rejected; one that holds IDr and AUTH but
 * is much smaller than the request lacks the Child SA; an IKEv1 MI3 or QI1
 * answered by an encrypted Informational instead of MR3 / QR1, or an
 * Aggressive Mode AR1 answered by one instead of AI2, is a rejection. Supplying keys turns these into certainties.
 */
#include <string.h>

#include "engine_private.h"
#include "ipsecdiag/ike_names.h"

/* An SK payload holding one notify: IV + 8-byte notify + padding + ICV. */
#define NOTIFY_ONLY_MAX_ENCRYPTED 96
/* A response without SA/TSi/TSr is well under the request that carried them. */
#define CHILDLESS_RATIO 0.75
/* A DH public value of MODP-2048 alone is 256 bytes: QI1 beyond this carries KE. */
#define QI1_WITH_KE_MIN_ENCRYPTED 300

static const ipsecdiag_message_t *request_of(const ipsecdiag_tunnel_t *tunnel, const ipsecdiag_message_t *response)
{
  for (guint i = 0; i < tunnel->n_messages; i++) {
    const ipsecdiag_message_t *m = &tunnel->messages[i];
    if (m->is_request && m->sender_role != response->sender_role && m->message_id == response->message_id
        && m->exchange_type == response->exchange_type && m->first_frame < response->first_frame)
      return m;
  }
  return NULL;
}

/* The IKEv1 request an encrypted Informational from its peer answers. */
static const ipsecdiag_message_t *v1_rejected_request(const ipsecdiag_tunnel_t *tunnel,
                                                      const ipsecdiag_message_t *info)
{
  for (guint i = 0; i < tunnel->n_messages; i++) {
    const ipsecdiag_message_t *m = &tunnel->messages[i];
    if (m->is_request && m->sender_role != info->sender_role && m->answer_frame == info->first_frame
        && !m->answer_is_response && (strcmp(m->name, "MI3") == 0 || strcmp(m->name, "QI1") == 0))
      return m;
  }
  return NULL;
}

/* IKEv1 Aggressive Mode: AR1 (with the responder's HASH_R) answered by an
 * encrypted Informational from the initiator instead of AI2. The initiator
 * could not verify HASH_R (strongSwan sends AUTHENTICATION_FAILED this way):
 * the PSKs differ, or the responder's identity is not the one expected. */
static const ipsecdiag_message_t *v1_rejected_ar1(const ipsecdiag_tunnel_t *tunnel,
                                                  const ipsecdiag_message_t *info)
{
  if (info->sender_role != IPSECDIAG_ROLE_INITIATOR || tunnel->mode != IKEV1_EXCH_AGGRESSIVE)
    return NULL;
  const ipsecdiag_message_t *ar1 = NULL;
  for (guint i = 0; i < tunnel->n_messages; i++) {
    const ipsecdiag_message_t *m = &tunnel->messages[i];
    if (m->first_frame >= info->first_frame)
      continue;
    if (strcmp(m->name, "AI2") == 0)
      return NULL;                   /* the initiator accepted AR1 */
    if (strcmp(m->name, "AR1") == 0)
      ar1 = m;
  }
  return ar1;
}

static gboolean child_sa_followed(const ipsecdiag_engine_t *engine, const ipsecdiag_tunnel_t *tunnel,
                                  const ipsecdiag_message_t *after)
{
  if (engine_esp_seen(engine, tunnel->id))
    return TRUE;
  for (guint i = 0; i < tunnel->n_messages; i++) {
    const ipsecdiag_message_t *m = &tunnel->messages[i];
    if (m->first_frame > after->first_frame && m->is_response
        && (m->exchange_type == IKEV2_EXCH_CREATE_CHILD_SA || strcmp(m->name, "QR1") == 0))
      return TRUE;
  }
  return FALSE;
}

const char *engine_inferred_rule(const ipsecdiag_engine_t *engine, const ipsecdiag_tunnel_t *tunnel,
                                 const ipsecdiag_message_t *message)
{
  /* Decrypted with supplied keys: its payloads say what happened. */
  if (message->decrypted)
    return NULL;
  if (tunnel->version == 2 && message->is_response && message->encrypted_len
      && (message->exchange_type == IKEV2_EXCH_IKE_AUTH || message->exchange_type == IKEV2_EXCH_CREATE_CHILD_SA)) {
    const ipsecdiag_message_t *request = request_of(tunnel, message);
    if (!request || !request->encrypted_len || child_sa_followed(engine, tunnel, message))
      return NULL;
    double ratio = (double)message->encrypted_len / request->encrypted_len;
    if (message->encrypted_len <= NOTIFY_ONLY_MAX_ENCRYPTED)
      return message->exchange_type == IKEV2_EXCH_IKE_AUTH ? "ike_auth_rejected_inferred"
                                                           : "child_sa_rejected_inferred";
    if (ratio < CHILDLESS_RATIO && message->exchange_type == IKEV2_EXCH_IKE_AUTH)
      return "child_sa_rejected_inferred";
    return NULL;
  }
  if (tunnel->version == 1 && message->exchange_type == IKEV1_EXCH_INFORMATIONAL && message->encrypted_len) {
    if (v1_rejected_ar1(tunnel, message))
      return ipsecdiag_state_rank(tunnel->state) < ipsecdiag_state_rank(IPSECDIAG_ST_P1_DONE)
          ? "ikev1_aggressive_auth_rejected_inferred" : NULL;
    const ipsecdiag_message_t *request = v1_rejected_request(tunnel, message);
    if (!request)
      return NULL;
    if (strcmp(request->name, "MI3") == 0)
      return ipsecdiag_state_rank(tunnel->state) < ipsecdiag_state_rank(IPSECDIAG_ST_P1_DONE)
          ? "ikev1_auth_rejected_inferred" : NULL;
    return child_sa_followed(engine, tunnel, message) ? NULL : "ikev1_phase2_rejected_inferred";
  }
  return NULL;
}

void engine_check_inferred(ipsecdiag_engine_t *engine, ipsecdiag_tunnel_t *tunnel, ipsecdiag_message_t *message,
                           ipsecdiag_frame_t *frame)
{
  const char *rule = engine_inferred_rule(engine, tunnel, message);
  if (!rule)
    return;
  char buf[64];
  const ipsecdiag_message_t *request = tunnel->version == 2 ? request_of(tunnel, message)
                                     : strcmp(rule, "ikev1_aggressive_auth_rejected_inferred") == 0
                                         ? v1_rejected_ar1(tunnel, message)
                                         : v1_rejected_request(tunnel, message);
  const ipsecdiag_endpoint_t *sender = message->sender_role == IPSECDIAG_ROLE_RESPONDER ? &tunnel->responder
                                                                                       : &tunnel->initiator;
  ipsecdiag_finding_t *f = finding_new(rule, frame->frame, tunnel->id, FALSE);
  f->message_index = (gint)(message - tunnel->messages);
  finding_set(f, "message", "%s", message->name);
  finding_set(f, "request", "%s", request ? request->name : "request");
  finding_set(f, "sender", "%s", ipsecdiag_addr_to_str(&sender->addr, buf, sizeof buf));
  finding_set(f, "size", "%u", message->encrypted_len);
  finding_set(f, "request_size", "%u", request ? request->encrypted_len : 0);
  finding_set(f, "side", "%s", ipsecdiag_capture_side_name(tunnel->capture_side));
  finding_set(f, "responder_impl", "%s", tunnel->implementation[1] ? tunnel->implementation[1]
                                                                   : "implementation not identified");
  finding_set(f, "initiator_impl", "%s", tunnel->implementation[0] ? tunnel->implementation[0]
                                                                   : "implementation not identified");
  if (strcmp(rule, "ikev1_phase2_rejected_inferred") == 0 && request)
    finding_set(f, "pfs_guess", "%s", request->encrypted_len >= QI1_WITH_KE_MIN_ENCRYPTED
                ? "QI1 is large enough to carry a DH public value: the initiator asks for PFS"
                : "QI1 is too small for a DH public value: the initiator does not use PFS");
  engine_attach_finding(engine, frame, f);
}
