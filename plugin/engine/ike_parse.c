/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag: defensive parser for IKEv1 (RFC 2408/2409/3947) and IKEv2
 * (RFC 7296, RFC 7383) messages. It walks the generic payload chain, checks
 * every length against its enclosing structure, and decodes the payloads the
 * diagnosis needs into the fixed-capacity ike_message_t. It never allocates,
 * never recurses and never reads past the buffer or the declared message
 * length; on a malformed message it records the first problem and keeps what
 * was decoded before (and, where the structure still allows it, after) it.
 */
#include "ipsecdiag/ike_parse.h"

#include <stddef.h>
#include <string.h>

/* IKEv1 proposal protocol for phase 1 (RFC 2407 4.4.1: PROTO_ISAKMP). */
#define IKE_PROTO_ISAKMP 1
/* SA attribute format bit: set = TV (2-byte value in place of the length). */
#define IKE_ATTR_FORMAT_TV 0x8000
/* IKEv2 transform attribute: Key Length (RFC 7296 3.3.5). */
#define IKEV2_ATTR_KEY_LENGTH 14
/* IKEv2 traffic selector types (RFC 7296 3.13.1) and their lengths. */
#define IKEV2_TS_IPV4_ADDR_RANGE 7
#define IKEV2_TS_IPV6_ADDR_RANGE 8
#define IKEV2_TS_IPV4_LEN 16
#define IKEV2_TS_IPV6_LEN 40
/* IKEv1 fragment payload flag: this is the last fragment. */
#define IKEV1_FRAG_FLAG_LAST 0x01

/* IKEv1 phase 1 attribute types (RFC 2409 Appendix A). */
enum {
  P1_ATTR_ENCR = 1, P1_ATTR_HASH = 2, P1_ATTR_AUTH_METHOD = 3, P1_ATTR_GROUP = 4,
  P1_ATTR_LIFE_TYPE = 11, P1_ATTR_LIFE_DURATION = 12, P1_ATTR_KEY_LENGTH = 14,
};
/* IPsec DOI (phase 2) attribute types (RFC 2407 4.5). */
enum {
  P2_ATTR_LIFE_TYPE = 1, P2_ATTR_LIFE_DURATION = 2, P2_ATTR_GROUP = 3,
  P2_ATTR_ENCAP_MODE = 4, P2_ATTR_AUTH_ALG = 5, P2_ATTR_KEY_LENGTH = 6,
};
/* Life types shared by both phases. */
enum { LIFE_TYPE_SECONDS = 1, LIFE_TYPE_KILOBYTES = 2 };

/* Which attribute registry a transform's attributes belong to. */
typedef enum {
  ATTRS_IKEV1_PHASE1,
  ATTRS_IKEV1_PHASE2,
  ATTRS_IKEV2,
} attr_registry_t;

/* The state of one parse: the message start (offsets are relative to it),
 * the end of the part we may read, and "first of each kind" markers that
 * have no counterpart in ike_message_t. */
typedef struct {
  const guint8 *base;
  gsize end;
  ike_message_t *msg;
  gboolean seen_sa, seen_tsi, seen_tsr;
} parse_ctx_t;

static guint16 get_u16(const guint8 *p)
{
  return (guint16)(((guint)p[0] << 8) | p[1]);
}

static guint32 get_u32(const guint8 *p)
{
  return ((guint32)p[0] << 24) | ((guint32)p[1] << 16) | ((guint32)p[2] << 8) | p[3];
}

static guint16 clamp_u16(guint32 v)
{
  return v > G_MAXUINT16 ? G_MAXUINT16 : (guint16)v;
}

/* Keep the first real problem; a real problem replaces an earlier "cap hit"
 * because it says more about the message than a truncated result does. */
static void note_problem(ike_message_t *msg, ike_parse_status_t status, gsize offset)
{
  if (msg->status == IKE_PARSE_OK ||
      (msg->status == IKE_PARSE_TOO_MANY && status != IKE_PARSE_TOO_MANY)) {
    msg->status = status;
    msg->error_offset = (guint32)offset;
  }
}

/* ---------- SA payload: proposals, transforms, attributes ---------- */

/* Big-endian value of a TLV attribute. Values wider than 32 bits (an 8-byte
 * life duration) saturate; longer fields are not numbers we use. */
static gboolean tlv_attribute_value(const guint8 *p, guint16 len, guint32 *value)
{
  guint64 v = 0;
  guint16 i;

  if (len == 0 || len > 8)
    return FALSE;
  for (i = 0; i < len; i++)
    v = (v << 8) | p[i];
  *value = v > G_MAXUINT32 ? G_MAXUINT32 : (guint32)v;
  return TRUE;
}

static void apply_life_duration(ike_transform_t *t, guint8 life_type, guint32 value)
{
  /* A duration only means something after the life type it qualifies. */
  if (life_type == LIFE_TYPE_SECONDS)
    t->life_seconds = value;
  else if (life_type == LIFE_TYPE_KILOBYTES)
    t->life_kbytes = value;
}

static void apply_attribute(ike_transform_t *t, attr_registry_t registry, guint16 attr,
                            guint32 value, guint8 *life_type)
{
  switch (registry) {
  case ATTRS_IKEV1_PHASE1:
    switch (attr) {
    case P1_ATTR_ENCR: t->encr = clamp_u16(value); break;
    case P1_ATTR_HASH: t->hash = clamp_u16(value); break;
    case P1_ATTR_AUTH_METHOD: t->auth_method = clamp_u16(value); break;
    case P1_ATTR_GROUP: t->dh_group = clamp_u16(value); break;
    case P1_ATTR_LIFE_TYPE: *life_type = (guint8)MIN(value, G_MAXUINT8); break;
    case P1_ATTR_LIFE_DURATION: apply_life_duration(t, *life_type, value); break;
    case P1_ATTR_KEY_LENGTH: t->key_len = clamp_u16(value); break;
    default: break;
    }
    break;
  case ATTRS_IKEV1_PHASE2:
    switch (attr) {
    case P2_ATTR_LIFE_TYPE: *life_type = (guint8)MIN(value, G_MAXUINT8); break;
    case P2_ATTR_LIFE_DURATION: apply_life_duration(t, *life_type, value); break;
    case P2_ATTR_GROUP: t->dh_group = clamp_u16(value); break;
    case P2_ATTR_ENCAP_MODE: t->encap_mode = clamp_u16(value); break;
    case P2_ATTR_AUTH_ALG: t->auth_alg = clamp_u16(value); break;
    case P2_ATTR_KEY_LENGTH: t->key_len = clamp_u16(value); break;
    default: break;
    }
    break;
  case ATTRS_IKEV2:
    if (attr == IKEV2_ATTR_KEY_LENGTH)
      t->key_len = clamp_u16(value);
    break;
  }
}

/* Attributes fill [off, end) of a transform. */
static void parse_attributes(parse_ctx_t *ctx, ike_transform_t *t, attr_registry_t registry,
                             gsize off, gsize end)
{
  guint8 life_type = 0;

  while (off < end) {
    const guint8 *p = ctx->base + off;
    guint16 type_field, len_or_value, attr;
    guint32 value = 0;
    gboolean has_value;
    gsize step;

    if (end - off < 4) {
      note_problem(ctx->msg, IKE_PARSE_BAD_SA, off);
      return;
    }
    type_field = get_u16(p);
    len_or_value = get_u16(p + 2);
    attr = type_field & (guint16)~IKE_ATTR_FORMAT_TV;
    if (type_field & IKE_ATTR_FORMAT_TV) {
      value = len_or_value;
      has_value = TRUE;
      step = 4;
    } else {
      if (len_or_value > end - off - 4) {
        note_problem(ctx->msg, IKE_PARSE_BAD_SA, off);
        return;
      }
      has_value = tlv_attribute_value(p + 4, len_or_value, &value);
      step = 4 + (gsize)len_or_value;
    }
    if (t->n_attrs < G_MAXUINT8)
      t->n_attrs++;
    if (has_value)
      apply_attribute(t, registry, attr, value, &life_type);
    off += step;
  }
}

/* Transform payloads fill [off, end) of a proposal, chained by their
 * next-payload byte (3 = more, 0 = last). */
static void parse_transforms(parse_ctx_t *ctx, ike_proposal_t *prop, gsize off, gsize end)
{
  gboolean v2 = ctx->msg->major_version == 2;
  attr_registry_t registry = v2 ? ATTRS_IKEV2
                           : prop->protocol_id == IKE_PROTO_ISAKMP ? ATTRS_IKEV1_PHASE1
                           : ATTRS_IKEV1_PHASE2;
  guint position = 0;
  guint8 next;

  do {
    const guint8 *p = ctx->base + off;
    guint16 tlen;

    if (off >= end || end - off < 8) {
      note_problem(ctx->msg, IKE_PARSE_BAD_SA, off);
      return;
    }
    next = p[0];
    tlen = get_u16(p + 2);
    if (tlen < 8 || tlen > end - off) {
      note_problem(ctx->msg, IKE_PARSE_BAD_SA, off);
      return;
    }
    position++;
    if (prop->n_transforms >= IKE_MAX_TRANSFORMS) {
      note_problem(ctx->msg, IKE_PARSE_TOO_MANY, off);
    } else {
      ike_transform_t *t = &prop->transforms[prop->n_transforms++];
      memset(t, 0, sizeof *t);
      if (v2) {
        t->number = (guint8)MIN(position, G_MAXUINT8);
        t->type = p[4];
        t->id = get_u16(p + 6);
      } else {
        t->number = p[4];
        t->id = p[5];
      }
      parse_attributes(ctx, t, registry, off + 8, off + tlen);
    }
    off += tlen;
  } while (next != 0);
}

/* Proposal payloads fill [off, end) of an SA payload body (after the IKEv1
 * DOI and situation), chained by their next-payload byte (2 = more, 0 = last). */
static void parse_proposals(parse_ctx_t *ctx, gsize off, gsize end)
{
  ike_message_t *msg = ctx->msg;
  guint8 next;

  do {
    const guint8 *p = ctx->base + off;
    guint16 plen;
    guint8 spi_size;

    if (off >= end || end - off < 8) {
      note_problem(msg, IKE_PARSE_BAD_SA, off);
      return;
    }
    next = p[0];
    plen = get_u16(p + 2);
    if (plen < 8 || plen > end - off) {
      note_problem(msg, IKE_PARSE_BAD_SA, off);
      return;
    }
    spi_size = p[6];
    if ((gsize)8 + spi_size > plen) {
      note_problem(msg, IKE_PARSE_BAD_SA, off + 6);
    } else if (msg->n_proposals >= IKE_MAX_PROPOSALS) {
      note_problem(msg, IKE_PARSE_TOO_MANY, off);
    } else {
      ike_proposal_t *prop = &msg->proposals[msg->n_proposals++];
      memset(prop, 0, offsetof(ike_proposal_t, transforms));
      prop->number = p[4];
      prop->protocol_id = p[5];
      prop->spi_size = spi_size;
      memcpy(prop->spi, p + 8, MIN(spi_size, IKE_SPI_LEN));
      /* An empty proposal (no transform bytes) is legal only with 0 transforms. */
      if ((gsize)8 + spi_size < plen || p[7] != 0)
        parse_transforms(ctx, prop, off + 8 + spi_size, off + plen);
    }
    off += plen;
  } while (next != 0);
}

static void parse_sa(parse_ctx_t *ctx, gsize body, gsize body_len)
{
  ike_message_t *msg = ctx->msg;

  if (ctx->seen_sa)
    return;
  ctx->seen_sa = TRUE;
  if (msg->major_version == 1) {
    if (body_len < 8) {
      note_problem(msg, IKE_PARSE_BAD_SA, body);
      return;
    }
    msg->sa_doi_ok = get_u32(ctx->base + body) == 1;
    msg->sa_situation = get_u32(ctx->base + body + 4);
    body += 8;
    body_len -= 8;
  }
  parse_proposals(ctx, body, body + body_len);
}

/* ---------- other payloads ---------- */

static void parse_ke(parse_ctx_t *ctx, gsize body, gsize body_len)
{
  ike_message_t *msg = ctx->msg;
  const guint8 *p = ctx->base + body;

  if (msg->has_ke)
    return;
  if (msg->major_version == 2) {
    if (body_len < 4) {
      note_problem(msg, IKE_PARSE_BAD_PAYLOAD, body);
      return;
    }
    msg->ke_group = get_u16(p);
    p += 4;
    body_len -= 4;
  }
  msg->has_ke = TRUE;
  msg->ke_len = (guint16)body_len;
  msg->ke_data = body_len ? p : NULL;
}

static void parse_nonce(parse_ctx_t *ctx, gsize body, gsize body_len)
{
  ike_message_t *msg = ctx->msg;

  if (msg->has_nonce)
    return;
  msg->has_nonce = TRUE;
  msg->nonce_len = (guint16)body_len;
  msg->nonce = body_len ? ctx->base + body : NULL;
}

static void parse_id(parse_ctx_t *ctx, guint8 payload_type, gsize body, gsize body_len)
{
  ike_message_t *msg = ctx->msg;
  const guint8 *p = ctx->base + body;

  if (body_len < 4) {
    note_problem(msg, IKE_PARSE_BAD_PAYLOAD, body);
    return;
  }
  if (msg->n_ids >= G_N_ELEMENTS(msg->ids)) {
    note_problem(msg, IKE_PARSE_TOO_MANY, body);
    return;
  }
  msg->ids[msg->n_ids].payload_type = payload_type;
  msg->ids[msg->n_ids].id_type = p[0];
  if (msg->major_version == 1) {
    msg->ids[msg->n_ids].protocol_id = p[1];
    msg->ids[msg->n_ids].port = get_u16(p + 2);
  }
  msg->ids[msg->n_ids].data_len = (guint16)(body_len - 4);
  msg->ids[msg->n_ids].data = body_len > 4 ? p + 4 : NULL;
  msg->n_ids++;
}

static void parse_hash(parse_ctx_t *ctx, gsize body, gsize body_len)
{
  ike_message_t *msg = ctx->msg;

  if (msg->has_hash)
    return;
  msg->has_hash = TRUE;
  msg->hash_len = (guint16)body_len;
  msg->hash = body_len ? ctx->base + body : NULL;
}

static void parse_auth(parse_ctx_t *ctx, gsize body, gsize body_len)
{
  ike_message_t *msg = ctx->msg;
  const guint8 *p = ctx->base + body;

  if (msg->has_auth)
    return;
  if (body_len < 4) {
    note_problem(msg, IKE_PARSE_BAD_PAYLOAD, body);
    return;
  }
  msg->has_auth = TRUE;
  msg->auth_method = p[0];
  msg->auth_len = (guint16)(body_len - 4);
  msg->auth = body_len > 4 ? p + 4 : NULL;
}

static void parse_notify(parse_ctx_t *ctx, gsize body, gsize body_len)
{
  ike_message_t *msg = ctx->msg;
  const guint8 *p = ctx->base + body;
  gsize fixed = msg->major_version == 1 ? 8 : 4; /* IKEv1 starts with a 4-byte DOI */
  ike_notify_t *n;

  if (body_len < fixed) {
    note_problem(msg, IKE_PARSE_BAD_PAYLOAD, body);
    return;
  }
  if (msg->n_notifies >= IKE_MAX_NOTIFIES) {
    note_problem(msg, IKE_PARSE_TOO_MANY, body);
    return;
  }
  n = &msg->notifies[msg->n_notifies++];
  p += fixed - 4;
  n->protocol_id = p[0];
  n->spi_size = p[1];
  n->type = get_u16(p + 2);
  if (fixed + n->spi_size > body_len) {
    /* Keep the type: a malformed error notify is still the peer's verdict. */
    note_problem(msg, IKE_PARSE_BAD_PAYLOAD, body + fixed - 3);
    return;
  }
  n->spi = n->spi_size ? p + 4 : NULL;
  n->data_len = (guint16)(body_len - fixed - n->spi_size);
  n->data = n->data_len ? p + 4 + n->spi_size : NULL;
}

static void parse_delete(parse_ctx_t *ctx, gsize body, gsize body_len)
{
  ike_message_t *msg = ctx->msg;
  const guint8 *p = ctx->base + body;
  gsize fixed = msg->major_version == 1 ? 8 : 4;
  gsize room, storable;

  if (msg->has_delete)
    return;
  if (body_len < fixed) {
    note_problem(msg, IKE_PARSE_BAD_PAYLOAD, body);
    return;
  }
  p += fixed - 4;
  msg->has_delete = TRUE;
  msg->delete_protocol_id = p[0];
  msg->delete_spi_size = p[1];
  msg->delete_n_spis = get_u16(p + 2);
  room = body_len - fixed;
  storable = msg->delete_n_spis;
  if (msg->delete_spi_size && (gsize)msg->delete_n_spis * msg->delete_spi_size > room) {
    note_problem(msg, IKE_PARSE_BAD_PAYLOAD, body + fixed - 2);
    storable = room / msg->delete_spi_size;
  }
  if (storable > IKE_MAX_DELETE_SPIS) {
    note_problem(msg, IKE_PARSE_TOO_MANY, body + fixed);
    storable = IKE_MAX_DELETE_SPIS;
  }
  msg->delete_n_stored = (guint8)storable;
  msg->delete_spis = storable && msg->delete_spi_size ? p + 4 : NULL;
}

static void parse_ts(parse_ctx_t *ctx, gboolean initiator, gsize body, gsize body_len)
{
  ike_message_t *msg = ctx->msg;
  ike_ts_t *list = initiator ? msg->tsi : msg->tsr;
  guint8 *count = initiator ? &msg->n_tsi : &msg->n_tsr;
  gboolean *seen = initiator ? &ctx->seen_tsi : &ctx->seen_tsr;
  gsize off, end = body + body_len;
  guint declared, i;

  if (*seen)
    return;
  *seen = TRUE;
  if (body_len < 4) {
    note_problem(msg, IKE_PARSE_BAD_PAYLOAD, body);
    return;
  }
  declared = ctx->base[body];
  off = body + 4;
  for (i = 0; i < declared; i++) {
    const guint8 *p = ctx->base + off;
    guint16 sel_len;
    guint8 addr_len;

    if (end - off < 8) {
      note_problem(msg, IKE_PARSE_BAD_PAYLOAD, off);
      return;
    }
    sel_len = get_u16(p + 2);
    if (sel_len < 8 || sel_len > end - off) {
      note_problem(msg, IKE_PARSE_BAD_PAYLOAD, off);
      return;
    }
    addr_len = p[0] == IKEV2_TS_IPV4_ADDR_RANGE ? 4 : p[0] == IKEV2_TS_IPV6_ADDR_RANGE ? 16 : 0;
    if (addr_len && sel_len != 8 + 2 * addr_len) {
      note_problem(msg, IKE_PARSE_BAD_PAYLOAD, off + 2);
    } else if (addr_len) {
      /* Other selector types (Fibre Channel, security labels) are skipped. */
      if (*count >= IKE_MAX_TS) {
        note_problem(msg, IKE_PARSE_TOO_MANY, off);
      } else {
        ike_ts_t *ts = &list[(*count)++];
        ts->ts_type = p[0];
        ts->ip_proto = p[1];
        ts->start_port = get_u16(p + 4);
        ts->end_port = get_u16(p + 6);
        ts->addr_len = addr_len;
        memcpy(ts->start_addr, p + 8, addr_len);
        memcpy(ts->end_addr, p + 8 + addr_len, addr_len);
      }
    }
    off += sel_len;
  }
}

static void parse_vendor_id(parse_ctx_t *ctx, gsize body, gsize body_len)
{
  ike_message_t *msg = ctx->msg;

  if (msg->n_vendor_ids >= IKE_MAX_VENDOR_IDS) {
    note_problem(msg, IKE_PARSE_TOO_MANY, body);
    return;
  }
  msg->vendor_ids[msg->n_vendor_ids].data = body_len ? ctx->base + body : NULL;
  msg->vendor_ids[msg->n_vendor_ids].len = (guint16)body_len;
  msg->n_vendor_ids++;
}

static void parse_natd(parse_ctx_t *ctx, gsize body, gsize body_len)
{
  ike_message_t *msg = ctx->msg;

  if (msg->n_natd >= IKE_MAX_NATD) {
    note_problem(msg, IKE_PARSE_TOO_MANY, body);
    return;
  }
  msg->natd[msg->n_natd].data = body_len ? ctx->base + body : NULL;
  msg->natd[msg->n_natd].len = (guint16)body_len;
  msg->n_natd++;
}

/* IKEv2 SK (RFC 7296 3.14) and SKF (RFC 7383 2.5). */
static void parse_encrypted_v2(parse_ctx_t *ctx, guint8 payload_type, guint8 inner_next,
                               gsize body, gsize body_len)
{
  ike_message_t *msg = ctx->msg;

  msg->encrypted = TRUE;
  msg->sk_next_payload = inner_next;
  if (payload_type == IKEV2_PL_SKF) {
    if (body_len < 4) {
      note_problem(msg, IKE_PARSE_BAD_PAYLOAD, body);
      return;
    }
    msg->is_fragment = TRUE;
    msg->frag_number = get_u16(ctx->base + body);
    msg->frag_total = get_u16(ctx->base + body + 2);
    msg->encrypted_len = (guint32)(body_len - 4);
  } else {
    msg->encrypted_len = (guint32)body_len;
  }
}

/* IKEv1 fragment payload as sent by Cisco and strongSwan: 2-byte fragment
 * id, 1-byte number, 1-byte flags (1 = last). The total is known only from
 * the last fragment. */
static void parse_fragment_v1(parse_ctx_t *ctx, gsize body, gsize body_len)
{
  ike_message_t *msg = ctx->msg;
  const guint8 *p = ctx->base + body;

  if (body_len < 4) {
    note_problem(msg, IKE_PARSE_BAD_PAYLOAD, body);
    return;
  }
  msg->is_fragment = TRUE;
  msg->frag_number = p[2];
  if (p[3] & IKEV1_FRAG_FLAG_LAST)
    msg->frag_total = p[2];
}

static void parse_payload_v1(parse_ctx_t *ctx, guint8 type, gsize body, gsize body_len)
{
  ike_message_t *msg = ctx->msg;

  switch (type) {
  case IKEV1_PL_SA: parse_sa(ctx, body, body_len); break;
  case IKEV1_PL_KE: parse_ke(ctx, body, body_len); break;
  case IKEV1_PL_ID: parse_id(ctx, type, body, body_len); break;
  case IKEV1_PL_CERT: msg->has_cert = TRUE; break;
  case IKEV1_PL_CERTREQ: msg->has_certreq = TRUE; break;
  case IKEV1_PL_HASH: parse_hash(ctx, body, body_len); break;
  case IKEV1_PL_NONCE: parse_nonce(ctx, body, body_len); break;
  case IKEV1_PL_NOTIFY: parse_notify(ctx, body, body_len); break;
  case IKEV1_PL_DELETE: parse_delete(ctx, body, body_len); break;
  case IKEV1_PL_VID: parse_vendor_id(ctx, body, body_len); break;
  case IKEV1_PL_ATTR: msg->has_cp = TRUE; break; /* Mode Config attributes */
  case IKEV1_PL_NAT_D:
  case IKEV1_PL_NAT_D_DRAFT: parse_natd(ctx, body, body_len); break;
  case IKEV1_PL_FRAG: parse_fragment_v1(ctx, body, body_len); break;
  default: break;
  }
}

static void parse_payload_v2(parse_ctx_t *ctx, guint8 type, gsize body, gsize body_len)
{
  ike_message_t *msg = ctx->msg;

  switch (type) {
  case IKEV2_PL_SA: parse_sa(ctx, body, body_len); break;
  case IKEV2_PL_KE: parse_ke(ctx, body, body_len); break;
  case IKEV2_PL_IDI:
  case IKEV2_PL_IDR: parse_id(ctx, type, body, body_len); break;
  case IKEV2_PL_CERT: msg->has_cert = TRUE; break;
  case IKEV2_PL_CERTREQ: msg->has_certreq = TRUE; break;
  case IKEV2_PL_AUTH: parse_auth(ctx, body, body_len); break;
  case IKEV2_PL_NONCE: parse_nonce(ctx, body, body_len); break;
  case IKEV2_PL_NOTIFY: parse_notify(ctx, body, body_len); break;
  case IKEV2_PL_DELETE: parse_delete(ctx, body, body_len); break;
  case IKEV2_PL_VID: parse_vendor_id(ctx, body, body_len); break;
  case IKEV2_PL_TSI: parse_ts(ctx, TRUE, body, body_len); break;
  case IKEV2_PL_TSR: parse_ts(ctx, FALSE, body, body_len); break;
  case IKEV2_PL_CP: msg->has_cp = TRUE; break;
  case IKEV2_PL_EAP: msg->has_eap = TRUE; break;
  default: break;
  }
}

/* Walk the generic payload chain from the header's next-payload field. */
static void parse_payload_chain(parse_ctx_t *ctx)
{
  ike_message_t *msg = ctx->msg;
  gboolean v2 = msg->major_version == 2;
  guint8 type = msg->next_payload;
  gsize off = IKE_HEADER_LEN;

  /* Each payload is at least 4 bytes, so this ends within end/4 rounds. */
  while (type != 0) {
    const guint8 *p = ctx->base + off;
    guint8 next;
    guint16 plen;

    if (off >= ctx->end || ctx->end - off < 4) {
      note_problem(msg, IKE_PARSE_BAD_PAYLOAD, off);
      return;
    }
    next = p[0];
    plen = get_u16(p + 2);
    if (plen < 4 || plen > ctx->end - off) {
      note_problem(msg, IKE_PARSE_BAD_PAYLOAD, off + 2);
      return;
    }
    if (msg->n_payloads < IKE_MAX_PAYLOADS) {
      ike_payload_ref_t *ref = &msg->payloads[msg->n_payloads++];
      ref->type = type;
      ref->flags = p[1];
      ref->length = plen;
      ref->offset = (guint32)off;
    } else {
      note_problem(msg, IKE_PARSE_TOO_MANY, off);
    }
    if (v2 && (type == IKEV2_PL_SK || type == IKEV2_PL_SKF)) {
      /* Its next-payload names the first payload inside; nothing follows. */
      parse_encrypted_v2(ctx, type, next, off + 4, plen - 4u);
      return;
    }
    if (v2)
      parse_payload_v2(ctx, type, off + 4, plen - 4u);
    else
      parse_payload_v1(ctx, type, off + 4, plen - 4u);
    off += plen;
    type = next;
  }
}

gboolean ike_parse_header(const guint8 *data, gsize len, ike_message_t *msg)
{
  if (msg == NULL)
    return FALSE;
  /* Everything but the proposals, which are 16 of the 18 KiB and are cleared
   * one by one as they are filled (this runs for every IKE frame). */
  memset(msg, 0, offsetof(ike_message_t, proposals));
  memset((guint8 *)msg + offsetof(ike_message_t, proposals) + sizeof msg->proposals, 0,
         sizeof *msg - offsetof(ike_message_t, proposals) - sizeof msg->proposals);
  if (data == NULL || len < IKE_HEADER_LEN) {
    note_problem(msg, IKE_PARSE_TOO_SHORT, data == NULL ? 0 : len);
    return FALSE;
  }
  memcpy(msg->spi_i, data, IKE_SPI_LEN);
  memcpy(msg->spi_r, data + 8, IKE_SPI_LEN);
  msg->next_payload = data[16];
  msg->major_version = data[17] >> 4;
  msg->minor_version = data[17] & 0x0f;
  msg->exchange_type = data[18];
  msg->flags = data[19];
  msg->message_id = get_u32(data + 20);
  msg->length = get_u32(data + 24);
  if (msg->major_version != 1 && msg->major_version != 2) {
    note_problem(msg, IKE_PARSE_BAD_VERSION, 17);
    return FALSE;
  }
  if (msg->length < IKE_HEADER_LEN) {
    note_problem(msg, IKE_PARSE_BAD_LENGTH, 24);
    return FALSE;
  }
  return TRUE;
}

ike_parse_status_t ike_parse_message(const guint8 *data, gsize len, ike_message_t *msg)
{
  parse_ctx_t ctx;

  if (msg == NULL)
    return IKE_PARSE_TOO_SHORT;
  if (!ike_parse_header(data, len, msg))
    return msg->status;

  memset(&ctx, 0, sizeof ctx);
  ctx.base = data;
  ctx.msg = msg;
  /* Trailing bytes past the declared length are not part of the message. */
  ctx.end = msg->length;
  if (ctx.end > len) {
    note_problem(msg, IKE_PARSE_BAD_LENGTH, len);
    ctx.end = len;
  }

  if (msg->major_version == 1 && (msg->flags & IKEV1_FLAG_ENCRYPTION)) {
    /* Everything after the header is ciphertext; the header's next-payload
     * still names the first payload inside (usually HASH). */
    msg->encrypted = TRUE;
    msg->encrypted_len = (guint32)(ctx.end - IKE_HEADER_LEN);
    msg->sk_next_payload = msg->next_payload;
    return msg->status;
  }

  parse_payload_chain(&ctx);
  return msg->status;
}

gboolean ike_message_payload_body(const ike_message_t *msg, const guint8 *data, gsize len, guint8 type,
                                  const guint8 **body, gsize *body_len)
{
  for (guint i = 0; i < msg->n_payloads; i++) {
    const ike_payload_ref_t *ref = &msg->payloads[i];
    if (ref->type == type && ref->length >= 4 && (gsize)ref->offset + ref->length <= len) {
      *body = data + ref->offset + 4;
      *body_len = ref->length - 4u;
      return TRUE;
    }
  }
  return FALSE;
}

const char *ike_parse_status_name(ike_parse_status_t status)
{
  switch (status) {
  case IKE_PARSE_OK: return "ok";
  case IKE_PARSE_TOO_SHORT: return "shorter than the IKE header";
  case IKE_PARSE_BAD_VERSION: return "unknown major version";
  case IKE_PARSE_BAD_LENGTH: return "header length disagrees with the data";
  case IKE_PARSE_BAD_PAYLOAD: return "malformed payload";
  case IKE_PARSE_BAD_SA: return "malformed SA proposal";
  case IKE_PARSE_TOO_MANY: return "too many items (result truncated)";
  }
  return "unknown";
}

const ike_notify_t *ike_message_find_notify(const ike_message_t *msg, guint16 type)
{
  guint i;

  if (msg == NULL)
    return NULL;
  for (i = 0; i < msg->n_notifies && i < IKE_MAX_NOTIFIES; i++)
    if (msg->notifies[i].type == type)
      return &msg->notifies[i];
  return NULL;
}
