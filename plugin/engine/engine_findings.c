/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag engine: findings. Decides which named condition (rule id) a
 * tunnel's messages show, both while frames are fed (immediate findings) and
 * at the end of the capture (final findings, attached by finalize to the
 * frame they concern). The texts live in rules/; here only ids and
 * parameters.
 */
#include <stdarg.h>
#include <string.h>

#include "engine_private.h"
#include "ipsecdiag/ike_names.h"

ipsecdiag_finding_t *finding_new(const char *rule_id, guint32 frame, guint32 tunnel, gboolean final)
{
  ipsecdiag_finding_t *finding = g_new0(ipsecdiag_finding_t, 1);
  finding->rule_id = rule_id;
  finding->frame = frame;
  finding->tunnel = tunnel;
  finding->final = final;
  finding->message_index = -1;
  return finding;
}

void finding_set(ipsecdiag_finding_t *finding, const char *key, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  /* Most values are one string: a copy costs far less than printf. */
  char *value;
  if (strcmp(fmt, "%s") == 0) {
    const char *text = va_arg(ap, const char *);
    value = g_strdup(text ? text : "(null)");   /* as glib's printf writes NULL */
  } else {
    value = g_strdup_vprintf(fmt, ap);
  }
  va_end(ap);
  for (guint i = 0; i < finding->n_params; i++) {
    if (strcmp(finding->keys[i], key) == 0) {
      g_free(finding->values[i]);
      finding->values[i] = value;
      return;
    }
  }
  /* Room for 8 parameters, then doubled: a finding has a handful. */
  guint n = finding->n_params;
  if (n == 0 || (n >= 8 && (n & (n - 1)) == 0)) {
    guint room = n == 0 ? 8 : n * 2;
    finding->keys = g_renew(char *, finding->keys, room);
    finding->values = g_renew(char *, finding->values, room);
  }
  finding->keys[finding->n_params] = (char *)key;
  finding->values[finding->n_params] = value;
  finding->n_params++;
}

const char *ipsecdiag_finding_param(const ipsecdiag_finding_t *finding, const char *key)
{
  for (guint i = 0; i < finding->n_params; i++)
    if (strcmp(finding->keys[i], key) == 0)
      return finding->values[i];
  return NULL;
}

void ipsecdiag_finding_free(gpointer data)
{
  ipsecdiag_finding_t *finding = data;
  if (!finding)
    return;
  for (guint i = 0; i < finding->n_params; i++)
    g_free(finding->values[i]);
  g_free(finding->values);
  g_free(finding->keys);
  g_free(finding);
}

void engine_attach_finding(ipsecdiag_engine_t *engine, ipsecdiag_frame_t *frame, ipsecdiag_finding_t *finding)
{
  if (!frame->findings)
    frame->findings = g_ptr_array_new_with_free_func(ipsecdiag_finding_free);
  g_ptr_array_add(frame->findings, finding);
  ipsecdiag_tunnel_t *tunnel = engine_tunnel_get(engine, finding->tunnel);
  if (tunnel && tunnel->findings->len < IPSECDIAG_MAX_FINDINGS_PER_TUNNEL)
    g_ptr_array_add(tunnel->findings, finding);
}

void engine_add_global_finding(ipsecdiag_engine_t *engine, ipsecdiag_finding_t *finding)
{
  g_ptr_array_add(engine->global_findings, finding);
}

void engine_note_cap(ipsecdiag_engine_t *engine, gboolean *noted, const char *rule_id, guint32 frame, guint cap)
{
  if (*noted)
    return;
  ipsecdiag_finding_t *f = finding_new(rule_id, frame, 0, FALSE);
  finding_set(f, "count", "%u", cap);
  engine_add_global_finding(engine, f);
  *noted = TRUE;
}

void engine_note_cap_on_frame(ipsecdiag_engine_t *engine, gboolean *noted, const char *rule_id,
                              ipsecdiag_frame_t *frame, guint cap)
{
  if (*noted)
    return;
  engine_note_cap(engine, noted, rule_id, frame->frame, cap);
  ipsecdiag_finding_t *f = finding_new(rule_id, frame->frame, 0, FALSE);
  finding_set(f, "count", "%u", cap);
  engine_attach_finding(engine, frame, f);
}

gboolean engine_message_is_first(const ipsecdiag_message_t *message)
{
  return message->exchange_type == IKEV2_EXCH_IKE_SA_INIT ? !message->is_response
       : strcmp(message->name, "MI1") == 0 || strcmp(message->name, "AI1") == 0;
}

static gboolean message_is_phase2_request(const ipsecdiag_message_t *message)
{
  return message->is_request && (message->exchange_type == IKEV1_EXCH_QUICK
                                 || message->exchange_type == IKEV2_EXCH_CREATE_CHILD_SA);
}

/* The message an IKEv1 responder waits for after sending this one. */
static const char *v1_next_initiator_message(const char *name)
{
  if (strcmp(name, "MR1") == 0) return "MI2";
  if (strcmp(name, "MR2") == 0) return "MI3";
  if (strcmp(name, "AR1") == 0) return "AI2";
  if (strcmp(name, "QR1") == 0) return "QI2";
  return NULL;
}

/* Whether the peer of role sent anything, on the NAT-T port or on UDP 500. */
static gboolean peer_sent(const ipsecdiag_tunnel_t *tunnel, guint8 role, gboolean on_natt_port)
{
  for (guint i = 0; i < tunnel->n_messages; i++)
    if (tunnel->messages[i].sender_role != role && tunnel->messages[i].on_natt_port == on_natt_port)
      return TRUE;
  return FALSE;
}

static gboolean role_sent_after(const ipsecdiag_tunnel_t *tunnel, guint8 role, guint32 frame)
{
  for (guint i = 0; i < tunnel->n_messages; i++)
    if (tunnel->messages[i].sender_role == role && tunnel->messages[i].first_frame > frame)
      return TRUE;
  return FALSE;
}

/* Which condition an unanswered, retransmitted request shows. */
static const char *classify_unanswered_request(const ipsecdiag_tunnel_t *tunnel,
                                               const ipsecdiag_message_t *message)
{
  const char *lifecycle = engine_lifecycle_unanswered_rule(tunnel, message);
  if (lifecycle)
    return lifecycle;                /* IP-fragmented, or a liveness check */
  if (engine_message_is_first(message)) {
    if (tunnel->icmp_frame)
      return NULL;                   /* the ICMP error already says why */
    if (tunnel->other_version_answered)
      return "ike_version_ignored";
    return tunnel->capture_side == IPSECDIAG_SIDE_RESPONDER ? "responder_silent" : "first_msg_unanswered";
  }
  /* UDP 500 worked, nothing ever came back on 4500: the switch is what broke. */
  if (message->on_natt_port && peer_sent(tunnel, message->sender_role, FALSE)
      && !peer_sent(tunnel, message->sender_role, TRUE))
    return "natt_4500_blocked";
  if (message_is_phase2_request(message))
    return "phase2_unanswered";
  return "request_unanswered";
}

/* An IKEv1 responder re-sending its last message: the initiator's next one never came. */
static const char *classify_waiting_responder(const ipsecdiag_tunnel_t *tunnel,
                                              const ipsecdiag_message_t *message)
{
  if (tunnel->version != 1 || message->sender_role != IPSECDIAG_ROLE_RESPONDER || message->is_request)
    return NULL;
  const char *next = v1_next_initiator_message(message->name);
  if (!next || role_sent_after(tunnel, IPSECDIAG_ROLE_INITIATOR, message->first_frame))
    return NULL;                     /* the initiator did answer: other findings cover it */
  if (strcmp(next, "MI3") == 0 && ipsecdiag_natt_expected(tunnel))
    return "natt_4500_blocked_responder";
  return "responder_retransmits_unanswered";
}

static const ipsecdiag_message_t *find_by_name(const ipsecdiag_tunnel_t *tunnel, const char *name);

/* Seconds between MI3 and a later MR2 retransmission that proves the
 * responder had MI3 and still re-sent MR2 (not merely crossing packets). */
#define MR2_AFTER_MI3_MARGIN 0.5

/* IKEv1 Main Mode: MI3 reached the responder but it keeps re-sending MR2, as
 * if MI3 never came. Many responders (libreswan, Cisco) silently drop an MI3
 * they cannot decrypt: the keys differ, so the PSKs differ. On UDP 4500 seen
 * from the initiator's side this looks the same as 4500 being blocked, so it
 * is claimed only where MI3 visibly arrived or travelled on UDP 500. */
static gboolean mi3_ignored(const ipsecdiag_tunnel_t *tunnel)
{
  if (tunnel->version != 1 || ipsecdiag_state_rank(tunnel->state) >= ipsecdiag_state_rank(IPSECDIAG_ST_P1_DONE))
    return FALSE;
  const ipsecdiag_message_t *mr2 = find_by_name(tunnel, "MR2"), *mi3 = find_by_name(tunnel, "MI3");
  if (!mr2 || !mi3 || mr2->sends < 2 || mr2->last_time < mi3->first_time + MR2_AFTER_MI3_MARGIN
      || mi3->answer_frame)
    return FALSE;
  return !mi3->on_natt_port || tunnel->capture_side == IPSECDIAG_SIDE_RESPONDER;
}

/* The rule a message shows now, given everything fed so far. */
static const char *current_message_rule(const ipsecdiag_tunnel_t *tunnel, const ipsecdiag_message_t *message)
{
  /* Told once, on the responder's MR2: its retransmissions are the evidence. */
  if ((strcmp(message->name, "MR2") == 0 || strcmp(message->name, "MI3") == 0) && mi3_ignored(tunnel))
    return strcmp(message->name, "MR2") == 0 ? "ikev1_mi3_ignored" : NULL;
  if (message->is_request && !message->answer_frame)
    return classify_unanswered_request(tunnel, message);
  return classify_waiting_responder(tunnel, message);
}

static const ipsecdiag_endpoint_t *peer_endpoint(const ipsecdiag_tunnel_t *tunnel, gboolean responder,
                                                 gboolean on_natt_port)
{
  const ipsecdiag_endpoint_t *natt = responder ? &tunnel->responder_natt : &tunnel->initiator_natt;
  if (on_natt_port && natt->port)
    return natt;
  return responder ? &tunnel->responder : &tunnel->initiator;
}

static const ipsecdiag_endpoint_t *message_destination(const ipsecdiag_tunnel_t *tunnel,
                                                       const ipsecdiag_message_t *message)
{
  return peer_endpoint(tunnel, message->sender_role != IPSECDIAG_ROLE_RESPONDER, message->on_natt_port);
}

static const ipsecdiag_endpoint_t *message_source(const ipsecdiag_tunnel_t *tunnel,
                                                  const ipsecdiag_message_t *message)
{
  return peer_endpoint(tunnel, message->sender_role == IPSECDIAG_ROLE_RESPONDER, message->on_natt_port);
}

void engine_set_message_params(const ipsecdiag_engine_t *engine, const ipsecdiag_tunnel_t *tunnel,
                               const ipsecdiag_message_t *message, ipsecdiag_finding_t *finding)
{
  char buf[64];
  const ipsecdiag_endpoint_t *dst = message_destination(tunnel, message);
  const ipsecdiag_endpoint_t *src = message_source(tunnel, message);
  finding_set(finding, "message", "%s", message->name);
  finding_set(finding, "sender", "%s", ipsecdiag_addr_to_str(&src->addr, buf, sizeof buf));
  finding_set(finding, "sender_port", "%u", src->port);
  finding_set(finding, "peer", "%s", ipsecdiag_addr_to_str(&dst->addr, buf, sizeof buf));
  finding_set(finding, "port", "%u", dst->port);
  finding_set(finding, "count", "%u", message->sends);
  finding_set(finding, "span", "%.1f", message->last_time - message->first_time);
  char *backoff = engine_format_backoff(message);
  finding_set(finding, "backoff", "%s", backoff);
  g_free(backoff);
  finding_set(finding, "side", "%s", ipsecdiag_capture_side_name(tunnel->capture_side));
  guint8 ttl = message->sender_role == IPSECDIAG_ROLE_RESPONDER ? tunnel->responder_ttl : tunnel->initiator_ttl;
  finding_set(finding, "hops", "%u", ttl ? (guint)(engine_initial_ttl(ttl) - ttl) : 0u);
  finding_set(finding, "first_frame", "%u", message->first_frame);
  finding_set(finding, "initiator_impl", "%s", tunnel->implementation[0] ? tunnel->implementation[0] : "unidentified");
  finding_set(finding, "responder_impl", "%s", tunnel->implementation[1] ? tunnel->implementation[1] : "unidentified");
  finding_set(finding, "idle", "%.1f", engine->last_time - message->last_time);
}

static void set_version_fallback_params(const ipsecdiag_engine_t *engine, const ipsecdiag_tunnel_t *ignored,
                                        ipsecdiag_finding_t *finding)
{
  const ipsecdiag_tunnel_t *working = engine_tunnel_get(engine, ignored->other_version_answered);
  finding_set(finding, "version", "IKEv%u", ignored->version);
  finding_set(finding, "other_version", "IKEv%u", working ? working->version : 3u - ignored->version);
  finding_set(finding, "other_tunnel", "%u", working ? working->id : 0u);
  finding_set(finding, "other_frame", "%u", working ? working->first_frame : 0u);
}

static ipsecdiag_finding_t *message_finding(const ipsecdiag_engine_t *engine, const char *rule,
                                            const ipsecdiag_tunnel_t *tunnel,
                                            const ipsecdiag_message_t *message, guint32 frame,
                                            gboolean final)
{
  ipsecdiag_finding_t *finding = finding_new(rule, frame, tunnel->id, final);
  finding->message_index = (gint)(message - tunnel->messages);
  engine_set_message_params(engine, tunnel, message, finding);
  if (strcmp(rule, "ike_version_ignored") == 0)
    set_version_fallback_params(engine, tunnel, finding);
  const char *next = v1_next_initiator_message(message->name);
  if (strcmp(rule, "ikev1_mi3_ignored") == 0) {
    const ipsecdiag_message_t *mi3 = find_by_name(tunnel, "MI3"), *mr2 = find_by_name(tunnel, "MR2");
    finding_set(finding, "mi3_count", "%u", mi3 ? mi3->sends : 0u);
    finding_set(finding, "mr2_count", "%u", mr2 ? mr2->sends : 0u);
    finding_set(finding, "mi3_frame", "%u", mi3 ? mi3->first_frame : 0u);
  }
  if (strcmp(rule, "natt_4500_blocked_responder") == 0 || strcmp(rule, "responder_retransmits_unanswered") == 0)
    finding_set(finding, "waiting_for", "%s", next ? next : "IKE_AUTH request");
  engine_lifecycle_message_params(engine, tunnel, message, finding);
  return finding;
}

/* Implementations back off differently: strongSwan multiplies the timeout by
 * retransmit_base (1.8 by default), libreswan doubles from 0.5 s, others
 * keep a constant interval. Only a guess when no vendor ID names the peer. */
static char *backoff_fingerprint(const ipsecdiag_message_t *message)
{
  if (message->n_times < 4)
    return NULL;
  double first = ipsecdiag_message_send_time(message, 1) - ipsecdiag_message_send_time(message, 0);
  double ratio_sum = 0;
  guint n = 0;
  for (guint i = 2; i < message->n_times; i++) {
    double previous = ipsecdiag_message_send_time(message, i - 1) - ipsecdiag_message_send_time(message, i - 2);
    if (previous <= 0.05)
      return NULL;
    ratio_sum += (ipsecdiag_message_send_time(message, i) - ipsecdiag_message_send_time(message, i - 1)) / previous;
    n++;
  }
  double ratio = ratio_sum / n;
  if (ratio > 1.7 && ratio < 1.9)
    return g_strdup_printf("strongSwan-like (backoff x1.8 from %.1f s)", first);
  if (ratio > 1.9 && ratio < 2.1)
    return g_strdup_printf("%s (backoff x2 from %.1f s)", first < 0.75 ? "libreswan-like" : "doubling", first);
  if (ratio > 0.9 && ratio < 1.1)
    return g_strdup_printf("constant %.1f s retransmissions", first);
  return NULL;
}

void engine_check_retransmission(ipsecdiag_engine_t *engine, ipsecdiag_tunnel_t *tunnel,
                                 ipsecdiag_message_t *message, ipsecdiag_frame_t *frame)
{
  int side = message->sender_role == IPSECDIAG_ROLE_INITIATOR ? 0
           : message->sender_role == IPSECDIAG_ROLE_RESPONDER ? 1 : -1;
  if (side >= 0 && !tunnel->implementation[side])
    tunnel->implementation[side] = backoff_fingerprint(message);
  if (message->sends - 1 != IPSECDIAG_RETRANSMIT_THRESHOLD)
    return;
  const char *rule = current_message_rule(tunnel, message);
  if (rule)
    engine_attach_finding(engine, frame, message_finding(engine, rule, tunnel, message, frame->frame, FALSE));
}

void engine_check_answer(ipsecdiag_engine_t *engine, ipsecdiag_tunnel_t *tunnel,
                         const ipsecdiag_message_t *request, ipsecdiag_frame_t *frame)
{
  if (request->sends < 2)
    return;
  ipsecdiag_finding_t *finding = finding_new("answered_after_retransmission", frame->frame, tunnel->id, FALSE);
  finding_set(finding, "message", "%s", request->name);
  finding_set(finding, "count", "%u", request->sends);
  finding_set(finding, "delay", "%.1f", request->answer_time - request->first_time);
  finding_set(finding, "response", "%s", frame->message ? frame->message : "message");
  finding_set(finding, "first_frame", "%u", request->first_frame);
  engine_attach_finding(engine, frame, finding);
}

static const ipsecdiag_message_t *find_by_name(const ipsecdiag_tunnel_t *tunnel, const char *name)
{
  for (guint i = 0; i < tunnel->n_messages; i++)
    if (strcmp(tunnel->messages[i].name, name) == 0)
      return &tunnel->messages[i];
  return NULL;
}

/* The responder answered once and the initiator's next message never came:
 * IKEv2 IKE_SA_INIT done without IKE_AUTH, IKEv1 MR2 without MI3, AR1
 * without AI2. Returns the responder's last message and what it waits for. */
static const ipsecdiag_message_t *stalled_responder_message(const ipsecdiag_tunnel_t *tunnel,
                                                            const char **waiting_for)
{
  const char *name, *next;
  if (tunnel->version == 2 && tunnel->state == IPSECDIAG_ST_INIT_RESP) {
    name = "IKE_SA_INIT response";
    next = "IKE_AUTH request";
  } else if (tunnel->version == 1 && tunnel->state == IPSECDIAG_ST_MR2) {
    name = "MR2";
    next = "MI3";
  } else if (tunnel->version == 1 && tunnel->state == IPSECDIAG_ST_AR1) {
    name = "AR1";
    next = "AI2";
  } else {
    return NULL;
  }
  const ipsecdiag_message_t *message = find_by_name(tunnel, name);
  if (!message || find_by_name(tunnel, next))
    return NULL;
  if (tunnel->version == 1 && message->sends >= 2)
    return NULL;                     /* a retransmitting responder: classify_waiting_responder */
  *waiting_for = next;
  return message;
}

/* abandoned: a new IKE SA replaced it, or the capture went on long enough. */
static const char *classify_stalled(const ipsecdiag_tunnel_t *tunnel, gboolean abandoned)
{
  gboolean natt = ipsecdiag_natt_expected(tunnel);
  if (abandoned)
    return natt ? "natt_4500_blocked_responder" : "half_open_sa";
  return natt ? "capture_ends_before_auth_natt" : "capture_ends_before_auth";
}

static ipsecdiag_finding_t *stalled_finding(const ipsecdiag_engine_t *engine, const ipsecdiag_tunnel_t *tunnel,
                                            gboolean abandoned, guint32 frame, gboolean final)
{
  const char *waiting_for;
  const ipsecdiag_message_t *message = stalled_responder_message(tunnel, &waiting_for);
  if (!message || engine_lifecycle_fragments_lost(engine, tunnel))
    return NULL;                     /* none, or the next message was lost in IP fragments */
  ipsecdiag_finding_t *finding = message_finding(engine, classify_stalled(tunnel, abandoned), tunnel, message,
                                                 frame ? frame : message->first_frame, final);
  finding_set(finding, "waiting_for", "%s", waiting_for);
  finding_set(finding, "tunnel", "%u", tunnel->id);
  finding->message_index = -1;       /* judged on the tunnel, not re-checked per message */
  return finding;
}

void engine_check_version_fallback(ipsecdiag_engine_t *engine, ipsecdiag_tunnel_t *tunnel,
                                   ipsecdiag_frame_t *frame)
{
  ipsecdiag_tunnel_t *t = engine_tunnel_get(engine, tunnel->supersedes);
  for (int steps = 0; t && steps < 16; steps++, t = engine_tunnel_get(engine, t->supersedes)) {
    if (t->version == tunnel->version || t->other_version_answered || t->n_messages == 0)
      continue;
    const ipsecdiag_message_t *first = &t->messages[0];
    if (!engine_message_is_first(first) || first->answer_frame || t->icmp_frame)
      continue;
    t->other_version_answered = tunnel->id;
    ipsecdiag_finding_t *finding = message_finding(engine, "ike_version_ignored", t, first, frame->frame, FALSE);
    finding->message_index = -1;     /* about the other tunnel's message: not re-checked on this one */
    engine_attach_finding(engine, frame, finding);
  }
}

void engine_check_new_tunnel(ipsecdiag_engine_t *engine, ipsecdiag_tunnel_t *tunnel, ipsecdiag_frame_t *frame)
{
  /* A new IKE SA between the same peers proves the previous stalled one was abandoned. */
  ipsecdiag_tunnel_t *previous = engine_tunnel_get(engine, tunnel->supersedes);
  if (!previous)
    return;
  ipsecdiag_finding_t *finding = stalled_finding(engine, previous, TRUE, frame->frame, FALSE);
  if (finding)
    engine_attach_finding(engine, frame, finding);
}

void ipsecdiag_engine_evaluate_tunnel(const ipsecdiag_engine_t *engine, guint32 id, GPtrArray *out)
{
  const ipsecdiag_tunnel_t *tunnel = engine_tunnel_get(engine, id);
  if (!tunnel)
    return;
  for (guint i = 0; i < tunnel->n_messages; i++) {
    const ipsecdiag_message_t *message = &tunnel->messages[i];
    if (message->sends < 2)
      continue;
    const char *rule = current_message_rule(tunnel, message);
    if (rule)
      g_ptr_array_add(out, message_finding(engine, rule, tunnel, message, message->first_frame, TRUE));
  }
  gboolean abandoned = tunnel->superseded_by
      || engine->last_time - tunnel->last_time >= IPSECDIAG_ABANDON_SECONDS;
  ipsecdiag_finding_t *finding = stalled_finding(engine, tunnel, abandoned, 0, TRUE);
  if (finding)
    g_ptr_array_add(out, finding);
  /* INVALID_KE_PAYLOAD is harmless when the retry with the wanted group works. */
  if (tunnel->invalid_ke_frame
      && ipsecdiag_state_rank(tunnel->state) < ipsecdiag_state_rank(IPSECDIAG_ST_INIT_RESP)) {
    char buf[64];
    finding = finding_new("invalid_ke_retry_failed", tunnel->invalid_ke_frame, tunnel->id, TRUE);
    finding_set(finding, "wanted_group", "%s", ike_dh_group_name(tunnel->ke_group_wanted));
    finding_set(finding, "offered_group", "%s", ike_dh_group_name(tunnel->ke_group_offered));
    finding_set(finding, "peer", "%s", ipsecdiag_addr_to_str(&tunnel->responder.addr, buf, sizeof buf));
    g_ptr_array_add(out, finding);
  }
  engine_esp_evaluate_tunnel(engine, tunnel, out);
  engine_lifecycle_evaluate(engine, tunnel, out);
}

static void detach_final_findings(ipsecdiag_engine_t *engine)
{
  for (guint i = 0; i < engine->final_findings->len; i++) {
    ipsecdiag_finding_t *finding = g_ptr_array_index(engine->final_findings, i);
    ipsecdiag_tunnel_t *tunnel = engine_tunnel_get(engine, finding->tunnel);
    if (tunnel)
      g_ptr_array_remove(tunnel->findings, finding);
    ipsecdiag_frame_t *frame = engine_frame_lookup(engine, finding->frame);
    if (frame && frame->findings)
      g_ptr_array_remove(frame->findings, finding);   /* frees it */
  }
  g_ptr_array_set_size(engine->final_findings, 0);
}

/* Immediate findings about a message say what was true when they were
 * raised; drop those the rest of the capture disproved. */
static void retract_disproved_findings(ipsecdiag_engine_t *engine)
{
  for (guint id = 1; id <= engine->tunnels->len; id++) {
    ipsecdiag_tunnel_t *tunnel = engine_tunnel_get(engine, id);
    for (guint i = tunnel->findings->len; i-- > 0;) {
      ipsecdiag_finding_t *finding = g_ptr_array_index(tunnel->findings, i);
      if (finding->final || finding->message_index < 0 || (guint)finding->message_index >= tunnel->n_messages
          || strcmp(finding->rule_id, "answered_after_retransmission") == 0)
        continue;
      const ipsecdiag_message_t *message = &tunnel->messages[finding->message_index];
      const char *rule = current_message_rule(tunnel, message);
      const char *inferred = engine_inferred_rule(engine, tunnel, message);
      if ((rule && strcmp(rule, finding->rule_id) == 0) || (inferred && strcmp(inferred, finding->rule_id) == 0))
        continue;
      g_ptr_array_remove_index(tunnel->findings, i);
      ipsecdiag_frame_t *frame = engine_frame_lookup(engine, finding->frame);
      if (frame && frame->findings)
        g_ptr_array_remove(frame->findings, finding);   /* frees it */
    }
  }
}

void ipsecdiag_engine_finalize(ipsecdiag_engine_t *engine)
{
  engine_settle(engine);
  if (engine->finalized_at == engine->feed_count)
    return;
  detach_final_findings(engine);
  retract_disproved_findings(engine);
  engine_refresh_proposal_differences(engine);
  GPtrArray *found = g_ptr_array_new();
  for (guint id = 0; id <= engine->tunnels->len; id++) {
    g_ptr_array_set_size(found, 0);
    if (id == 0)
      engine_esp_evaluate_unlinked(engine, found);   /* ESP SAs of no tunnel */
    else
      ipsecdiag_engine_evaluate_tunnel(engine, id, found);
    for (guint i = 0; i < found->len; i++) {
      ipsecdiag_finding_t *finding = g_ptr_array_index(found, i);
      ipsecdiag_frame_t *frame = engine_frame_lookup(engine, finding->frame);
      if (!frame)
        frame = engine_esp_finding_frame(engine, finding);   /* ESP frames are stored only when shown */
      if (!frame) {
        ipsecdiag_finding_free(finding);
        continue;
      }
      engine_attach_finding(engine, frame, finding);
      g_ptr_array_add(engine->final_findings, finding);
    }
  }
  g_ptr_array_free(found, TRUE);
  engine->finalized_at = engine->feed_count;
}

gboolean ipsecdiag_engine_is_finalized(const ipsecdiag_engine_t *engine)
{
  return engine->finalized_at == engine->feed_count;
}
