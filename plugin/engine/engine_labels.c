/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag engine: labels and small helpers (roles, states, capture side
 * from TTLs, address formatting, retransmission backoff text).
 */
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "engine_private.h"

const char *ipsecdiag_role_name(guint8 role)
{
  switch (role) {
  case IPSECDIAG_ROLE_INITIATOR: return "initiator";
  case IPSECDIAG_ROLE_RESPONDER: return "responder";
  default: return "unknown";
  }
}

const char *ipsecdiag_state_name(guint8 state)
{
  switch (state) {
  case IPSECDIAG_ST_NONE: return "none";
  case IPSECDIAG_ST_MI1: return "phase 1: MI1";
  case IPSECDIAG_ST_MR1: return "phase 1: MR1";
  case IPSECDIAG_ST_MI2: return "phase 1: MI2";
  case IPSECDIAG_ST_MR2: return "phase 1: MR2";
  case IPSECDIAG_ST_MI3: return "phase 1: MI3";
  case IPSECDIAG_ST_AI1: return "phase 1: AI1";
  case IPSECDIAG_ST_AR1: return "phase 1: AR1";
  case IPSECDIAG_ST_INIT_REQ: return "IKE_SA_INIT request";
  case IPSECDIAG_ST_INIT_RESP: return "IKE_SA_INIT done";
  case IPSECDIAG_ST_AUTH_REQ: return "IKE_AUTH request";
  case IPSECDIAG_ST_P1_DONE: return "IKE SA up";
  case IPSECDIAG_ST_P2_REQ: return "Child SA requested";
  case IPSECDIAG_ST_P2_RESP: return "Child SA answered";
  case IPSECDIAG_ST_P2_DONE: return "Child SA up";
  case IPSECDIAG_ST_ESP: return "ESP seen";
  default: return "unknown";
  }
}

int ipsecdiag_state_rank(guint8 state)
{
  switch (state) {
  case IPSECDIAG_ST_MI1: case IPSECDIAG_ST_AI1: case IPSECDIAG_ST_INIT_REQ: return 1;
  case IPSECDIAG_ST_MR1: return 2;
  case IPSECDIAG_ST_MI2: return 3;
  case IPSECDIAG_ST_MR2: case IPSECDIAG_ST_AR1: case IPSECDIAG_ST_INIT_RESP: return 4;
  case IPSECDIAG_ST_MI3: case IPSECDIAG_ST_AUTH_REQ: return 5;
  case IPSECDIAG_ST_P1_DONE: return 10;
  case IPSECDIAG_ST_P2_REQ: return 11;
  case IPSECDIAG_ST_P2_RESP: return 12;
  case IPSECDIAG_ST_P2_DONE: return 13;
  case IPSECDIAG_ST_ESP: return 20;
  default: return 0;
  }
}

const char *ipsecdiag_capture_side_name(guint8 side)
{
  switch (side) {
  case IPSECDIAG_SIDE_INITIATOR: return "initiator side";
  case IPSECDIAG_SIDE_RESPONDER: return "responder side";
  case IPSECDIAG_SIDE_PATH: return "in the path";
  default: return "unknown side";
  }
}

guint8 engine_initial_ttl(guint8 ttl)
{
  return ttl <= 32 ? 32 : ttl <= 64 ? 64 : ttl <= 128 ? 128 : 255;
}

static gboolean ttl_is_initial(guint8 ttl)
{
  return ttl && engine_initial_ttl(ttl) == ttl;
}

/* Packets still carrying their sender's initial TTL were captured next to
 * that sender; decremented ones crossed routers first. NAT-D evidence, when
 * the hashes tell, overrides the TTL guess. */
void engine_update_capture_side(ipsecdiag_tunnel_t *tunnel)
{
  if (tunnel->capture_inside_initiator_nat == 1) {
    tunnel->capture_side = IPSECDIAG_SIDE_INITIATOR;
    return;
  }
  guint8 i = tunnel->initiator_ttl, r = tunnel->responder_ttl;
  gboolean i_local = ttl_is_initial(i), r_local = ttl_is_initial(r);
  if (i && r) {
    tunnel->capture_side = i_local && !r_local ? IPSECDIAG_SIDE_INITIATOR
                         : r_local && !i_local ? IPSECDIAG_SIDE_RESPONDER
                         : !i_local && !r_local ? IPSECDIAG_SIDE_PATH : IPSECDIAG_SIDE_UNKNOWN;
  } else if (i) {
    tunnel->capture_side = i_local ? IPSECDIAG_SIDE_INITIATOR : IPSECDIAG_SIDE_RESPONDER;
  } else if (r) {
    tunnel->capture_side = r_local ? IPSECDIAG_SIDE_RESPONDER : IPSECDIAG_SIDE_INITIATOR;
  }
  if (tunnel->capture_inside_initiator_nat == 0 && tunnel->capture_side == IPSECDIAG_SIDE_INITIATOR)
    tunnel->capture_side = IPSECDIAG_SIDE_PATH;
}

char *engine_format_backoff(const ipsecdiag_message_t *message)
{
  if (message->n_times < 2)
    return g_strdup("none");
  GString *s = g_string_new(NULL);
  for (guint i = 1; i < message->n_times; i++)
    g_string_append_printf(s, "%s%.1f", i > 1 ? ", " : "",
                           ipsecdiag_message_send_time(message, i) - ipsecdiag_message_send_time(message, i - 1));
  g_string_append(s, " s");
  if (message->sends > message->n_times)
    g_string_append(s, ", ...");
  return g_string_free(s, FALSE);
}

gboolean ipsecdiag_addr_equal(const ipsecdiag_addr_t *a, const ipsecdiag_addr_t *b)
{
  if (a->family != b->family)
    return FALSE;
  return memcmp(a->bytes, b->bytes, a->family == 6 ? 16 : 4) == 0;
}

char *ipsecdiag_addr_to_str(const ipsecdiag_addr_t *addr, char *buf, gsize len)
{
  if (len == 0)
    return buf;
  buf[0] = '\0';
  if (addr->family == 4 || addr->family == 6) {
    char tmp[INET6_ADDRSTRLEN];
    if (inet_ntop(addr->family == 4 ? AF_INET : AF_INET6, addr->bytes, tmp, sizeof tmp))
      g_strlcpy(buf, tmp, len);
  } else {
    g_strlcpy(buf, "?", len);
  }
  return buf;
}

char *ipsecdiag_endpoint_to_str(const ipsecdiag_endpoint_t *ep, char *buf, gsize len)
{
  char addr[INET6_ADDRSTRLEN];
  ipsecdiag_addr_to_str(&ep->addr, addr, sizeof addr);
  if (ep->addr.family == 6)
    g_snprintf(buf, len, "[%s]:%u", addr, ep->port);
  else
    g_snprintf(buf, len, "%s:%u", addr, ep->port);
  return buf;
}

gboolean ipsecdiag_natt_expected(const ipsecdiag_tunnel_t *tunnel)
{
  return tunnel->natd_forced != 0 || tunnel->nat_initiator == 1 || tunnel->nat_responder == 1;
}

/* A peer's own source hash can be wrong because of a NAT or on purpose
 * (forced encapsulation); the other peer's destination hash cannot be faked,
 * so a mismatch there proves the translation. */
static void describe_peer(GString *s, const char *peer, gboolean proven, gboolean own_hash_wrong,
                          gboolean forced)
{
  const char *sep = s->len ? "; " : "";
  if (proven)
    g_string_append_printf(s, "%s%s behind NAT", sep, peer);
  else if (own_hash_wrong)
    g_string_append_printf(s, "%s%s behind NAT or forcing encapsulation", sep, peer);
  sep = s->len ? "; " : "";
  if (forced)
    g_string_append_printf(s, "%s%s forces UDP encapsulation", sep, peer);
}

char *ipsecdiag_nat_describe(const ipsecdiag_tunnel_t *tunnel, char *buf, gsize len)
{
  guint8 r = tunnel->natd_results;
  GString *s = g_string_new(NULL);
  describe_peer(s, "initiator", (r & IPSECDIAG_NATD_R_DST_BAD) != 0, (r & IPSECDIAG_NATD_I_SRC_BAD) != 0,
                (tunnel->natd_forced & 1) != 0);
  describe_peer(s, "responder", (r & IPSECDIAG_NATD_I_DST_BAD) != 0, (r & IPSECDIAG_NATD_R_SRC_BAD) != 0,
                (tunnel->natd_forced & 2) != 0);
  if (!s->len) {
    if (tunnel->nat_initiator == 0 && tunnel->nat_responder == 0)
      g_string_append(s, "no NAT");
    else if (r)
      g_string_append(s, "no NAT seen so far");
    else
      g_string_append(s, tunnel->natt_offered ? "NAT-T offered, NAT unknown" : "NAT-T not offered");
  }
  g_strlcpy(buf, s->str, len);
  g_string_free(s, TRUE);
  return buf;
}
