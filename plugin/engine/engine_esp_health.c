/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag engine: ESP health. Per ESP SA a fixed-size sequence window
 * (no allocation per packet) yields loss with a rate, duplicates and
 * sequence restarts; per tunnel the ESP of each direction tells missing or
 * one-way ESP, read against where the capture sits; ESP of an IKEv2 SA that
 * a new IKE SA between the same peers replaced is stale; native ESP where
 * the peers negotiated UDP encapsulation, encapsulation without NAT, and
 * NAT keepalives seen or missing.
 *
 * Without IKE keys the Child SA SPIs are encrypted, so ESP is linked to an
 * IKE SA by its endpoints. A decrypting engine can register the Child SAs it
 * reads (ipsecdiag_engine_note_child_sa); ESP is then linked by SPI and the
 * checks name never negotiated and deleted SPIs.
 */
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "engine_private.h"
#include "ipsecdiag/ike_names.h"

/* ESP seen less than this after the Child SA came up says nothing yet. */
#define ESP_MIN_OBSERVE_SECONDS 2.0
/* One direction needs this many packets before the other one's absence counts. */
#define ONE_WAY_MIN_PACKETS 3
/* Make-before-break reauthentication and rekeys overlap old and new SAs briefly. */
#define STALE_GRACE_SECONDS 5.0
#define DELETED_GRACE_SECONDS 2.0
/* Twice strongSwan's and RFC 3948's 20 s keepalive interval. */
#define NAT_SILENCE_SECONDS 40.0
/* Loss rates from this percentage on are a warning, below a note. */
#define LOSS_WARN_PERCENT 1.0

typedef struct {
  guint32 tunnel;
  guint32 spi_i, spi_r;          /* the initiator's inbound SPI, the responder's */
  guint32 frame;
  double time;
  guint32 deleted_frame;
  double deleted_time;
  guint32 rekeyed_frame;         /* a later Child SA replaced this one */
  double rekeyed_time;
} child_sa_t;

/* Per tunnel and sender ("side", as the ESP direction): when it last sent
 * on UDP 4500 and its longest silence, for NAT keepalives. With thousands of
 * tunnels this line is a cache miss away, so an ESP packet leaves it alone
 * while its SA is the side's last sender (ESP_SA_LAST_SENDER): last_sent and
 * last_sent_frame are then the SA's last_time and last_frame (side_last_sent),
 * and only a silence longer than the SA's silence_floor needs this line.
 * Any other packet of the side first settles the line (side_settle). */
typedef struct {
  double last_sent;              /* on UDP 4500: IKE, ESP, keepalives */
  double longest_silence;
  esp_sa_t *last_sent_sa;        /* when the last packet was ESP */
  const esp_sa_t *esp_first_sa;  /* NULL until ESP was seen that way */
  guint32 last_sent_frame;
  gboolean sent;
  gboolean up;                   /* the IKE SA was up (states only rise: checked until true) */
} __attribute__((aligned(64))) esp_side_t;

/* Per tunnel: ESP per direction, NAT keepalives and silences per sender. */
typedef struct {
  esp_side_t side[2];            /* first: allocated aligned to a cache line */
  guint32 esp_first_frame[2];
  double esp_first_time[2];
  GArray *sa_indexes;            /* guint32 indexes of its ESP SAs */
  guint32 keepalives[2];
  guint32 first_keepalive_frame[2];
  double first_keepalive_time[2], last_keepalive_time[2];
  guint32 silence_from_frame[2];
  const esp_sa_t *silence_from_sa[2];
  guint32 children;              /* Child SAs registered by a decrypting engine */
  guint32 first_child_frame;     /* ... the earliest of them */
  double first_child_time;
  gboolean udp_without_nat_noted;
} tunnel_esp_t;

/* An INVALID_SPI notify naming an ESP SPI. */
typedef struct {
  ipsecdiag_addr_t sender;       /* the peer without the SA: the ESP's receiver */
  guint32 frame;
  double time;
} invalid_spi_t;

/* INVALID_SPI reports kept (the first per SPI); more are only shown as notifies. */
#define MAX_INVALID_SPI_REPORTS 4096

struct engine_esp_health {
  GPtrArray *sas;                /* esp_sa_t*, not owned (engine->esp_sas owns), first-seen order */
  GPtrArray *children;           /* child_sa_t*, owned */
  GHashTable *child_by_spi;      /* guint32 SPI -> child_sa_t* (the latest with that SPI) */
  GPtrArray *tunnels;            /* tunnel_esp_t* by tunnel id (ids are dense), NULL none yet */
  GHashTable *invalid_spi;       /* guint32 SPI -> invalid_spi_t* */
  gboolean child_cap_noted;
};

static void tunnel_esp_free(gpointer data)
{
  tunnel_esp_t *t = data;
  if (t && t->sa_indexes)
    g_array_free(t->sa_indexes, TRUE);
  /* The record itself is in the engine's hot arena. */
}

static struct engine_esp_health *health_get(ipsecdiag_engine_t *engine)
{
  if (!engine->esp_health) {
    struct engine_esp_health *h = g_new0(struct engine_esp_health, 1);
    h->sas = g_ptr_array_new();
    h->children = g_ptr_array_new_with_free_func(g_free);
    h->child_by_spi = g_hash_table_new(g_direct_hash, g_direct_equal);
    h->tunnels = g_ptr_array_new_with_free_func(tunnel_esp_free);
    h->invalid_spi = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    engine->esp_health = h;
  }
  return engine->esp_health;
}

void engine_esp_health_free(struct engine_esp_health *health)
{
  if (!health)
    return;
  g_ptr_array_free(health->sas, TRUE);
  g_hash_table_destroy(health->child_by_spi);
  g_ptr_array_free(health->children, TRUE);
  g_ptr_array_free(health->tunnels, TRUE);
  g_hash_table_destroy(health->invalid_spi);
  g_free(health);
}

static tunnel_esp_t *tunnel_esp(ipsecdiag_engine_t *engine, guint32 tunnel)
{
  struct engine_esp_health *h = health_get(engine);
  if (tunnel >= h->tunnels->len)   /* ids are bounded by IPSECDIAG_MAX_TUNNELS */
    g_ptr_array_set_size(h->tunnels, (guint)MAX((gsize)tunnel + 1, (gsize)h->tunnels->len * 2));
  tunnel_esp_t *t = g_ptr_array_index(h->tunnels, tunnel);
  if (!t) {
    t = hot_arena_alloc0(engine->hot, sizeof(tunnel_esp_t));
    g_ptr_array_index(h->tunnels, tunnel) = t;
  }
  return t;
}

static const tunnel_esp_t *tunnel_esp_const(const ipsecdiag_engine_t *engine, guint32 tunnel)
{
  if (!engine->esp_health || tunnel >= engine->esp_health->tunnels->len)
    return NULL;
  return g_ptr_array_index(engine->esp_health->tunnels, tunnel);
}

gboolean engine_esp_seen(const ipsecdiag_engine_t *engine, guint32 tunnel)
{
  ipsecdiag_esp_tunnel_totals_t totals;
  ipsecdiag_engine_esp_tunnel_totals(engine, tunnel, &totals);
  return totals.packets[0] || totals.packets[1];
}

static const esp_sa_t *sa_at(const ipsecdiag_engine_t *engine, guint index)
{
  if (!engine->esp_health || index >= engine->esp_health->sas->len)
    return NULL;
  return g_ptr_array_index(engine->esp_health->sas, index);
}

/* ---------- names ---------- */

const char *ipsecdiag_esp_direction_name(guint8 direction)
{
  switch (direction) {
  case IPSECDIAG_ESP_DIR_I2R: return "initiator to responder";
  case IPSECDIAG_ESP_DIR_R2I: return "responder to initiator";
  default: return "unknown";
  }
}

const char *ipsecdiag_esp_encapsulation_name(const ipsecdiag_esp_sa_info_t *info)
{
  if (!info->udp_encapsulated)
    return "native (IP protocol 50)";
  return info->src.port == 4500 || info->dst.port == 4500 ? "UDP 4500" : "UDP (other port)";
}

/* ---------- sequence window ---------- */

typedef enum {
  SEQ_NEW,
  SEQ_DUPLICATE,
  SEQ_LATE,
  SEQ_RESTART,
} seq_event_t;

static gboolean window_test(const esp_sequence_t *q, guint64 seq)
{
  guint bit = (guint)(seq % IPSECDIAG_ESP_SEQ_WINDOW);
  return (q->window[bit / 64] >> (bit % 64)) & 1;
}

static void window_set(esp_sequence_t *q, guint64 seq)
{
  guint bit = (guint)(seq % IPSECDIAG_ESP_SEQ_WINDOW);
  q->window[bit / 64] |= G_GUINT64_CONSTANT(1) << (bit % 64);
}

static void window_clear(esp_sequence_t *q, guint64 seq)
{
  guint bit = (guint)(seq % IPSECDIAG_ESP_SEQ_WINDOW);
  q->window[bit / 64] &= ~(G_GUINT64_CONSTANT(1) << (bit % 64));
}

static void run_start(esp_sequence_t *q, guint64 seq)
{
  q->highest = q->lowest = seq;
  q->unique = 1;
  q->window_implicit = TRUE;
}

/* Writes out the implicit bitmap: the window's numbers from lowest to highest. */
static void window_materialize(esp_sequence_t *q)
{
  memset(q->window, 0, sizeof q->window);
  guint64 from = q->highest - q->lowest >= IPSECDIAG_ESP_SEQ_WINDOW ? q->highest - (IPSECDIAG_ESP_SEQ_WINDOW - 1)
                                                                     : q->lowest;
  for (guint64 s = from; s <= q->highest; s++)
    window_set(q, s);
  q->window_implicit = FALSE;
}

static IPSECDIAG_NOINLINE seq_event_t sequence_update_slow(esp_sequence_t *q, guint32 seq32, guint32 frame)
{
  if (!q->started) {
    q->started = TRUE;
    q->first_sequence = seq32;
    run_start(q, seq32);
    return SEQ_NEW;
  }
  guint32 high32 = (guint32)q->highest;
  guint64 epoch = q->highest - high32;
  guint64 seq;
  if (seq32 > high32)
    seq = epoch + seq32;
  else if (high32 > 0xffffffffu - 4096 && seq32 < 4096)
    seq = epoch + G_GUINT64_CONSTANT(0x100000000) + seq32;   /* extended sequence numbers wrap */
  else
    seq = epoch + seq32;

  if (q->window_implicit) {
    if (seq == q->highest + 1) {
      q->highest = seq;
      q->unique++;
      return SEQ_NEW;
    }
    window_materialize(q);
  }
  if (seq > q->highest) {
    guint64 jump = seq - q->highest;
    if (jump > 1) {
      q->gaps++;
      if (jump - 1 > q->largest_gap)
        q->largest_gap = (guint32)MIN(jump - 1, (guint64)G_MAXUINT32);
      if (!q->first_gap_frame)
        q->first_gap_frame = frame;
    }
    if (jump >= IPSECDIAG_ESP_SEQ_WINDOW)
      memset(q->window, 0, sizeof q->window);
    else
      for (guint64 s = q->highest + 1; s < seq; s++)
        window_clear(q, s);
    q->highest = seq;
    window_set(q, seq);
    q->unique++;
    return SEQ_NEW;
  }
  guint64 back = q->highest - seq;
  if (back < IPSECDIAG_ESP_SEQ_WINDOW) {
    if (window_test(q, seq)) {
      q->duplicates++;
      if (!q->first_duplicate_frame)
        q->first_duplicate_frame = frame;
      return SEQ_DUPLICATE;
    }
    window_set(q, seq);
    q->unique++;
    q->reordered++;
    if (seq < q->lowest)
      q->lowest = seq;
    return SEQ_NEW;
  }
  if (seq32 <= IPSECDIAG_ESP_RESTART_LOW) {
    q->expected_before += q->highest - q->lowest + 1;
    q->unique_before += q->unique;
    if (!q->restarts) {
      q->restart_from = high32;
      q->restart_to = seq32;
    }
    q->restarts++;
    if (!q->first_restart_frame)
      q->first_restart_frame = frame;
    run_start(q, seq32);
    return SEQ_RESTART;
  }
  /* Older than the window: most likely a very late packet that fills a gap. */
  q->late++;
  q->unique++;
  if (seq < q->lowest)
    q->lowest = seq;
  return SEQ_LATE;
}

static guint64 sequence_expected(const esp_sequence_t *q)
{
  return q->started ? q->expected_before + (q->highest - q->lowest + 1) : 0;
}

static guint64 sequence_lost(const esp_sequence_t *q)
{
  guint64 expected = sequence_expected(q), unique = q->unique_before + q->unique;
  return expected > unique ? expected - unique : 0;
}

/* ---------- Child SAs from a decrypting engine ---------- */

static const child_sa_t *child_by_spi(const ipsecdiag_engine_t *engine, guint32 spi)
{
  if (!engine->esp_health)
    return NULL;
  return g_hash_table_lookup(engine->esp_health->child_by_spi, GUINT_TO_POINTER(spi));
}

void ipsecdiag_engine_note_child_sa(ipsecdiag_engine_t *engine, const ipsecdiag_packet_t *pkt,
                                    guint32 tunnel, guint32 spi_i, guint32 spi_r, guint32 rekeys_spi)
{
  engine_settle(engine);
  struct engine_esp_health *h = health_get(engine);
  if (!engine_tunnel_get(engine, tunnel) || (!spi_i && !spi_r))
    return;
  engine->feed_count++;                  /* the final findings must be redone */
  if (h->children->len >= IPSECDIAG_MAX_CHILD_SAS) {
    engine_note_cap(engine, &h->child_cap_noted, "child_sa_cap_reached", pkt->frame, IPSECDIAG_MAX_CHILD_SAS);
    return;
  }
  child_sa_t *child = g_new0(child_sa_t, 1);
  child->tunnel = tunnel;
  child->spi_i = spi_i;
  child->spi_r = spi_r;
  child->frame = pkt->frame;
  child->time = pkt->time;
  g_ptr_array_add(h->children, child);
  if (rekeys_spi) {
    child_sa_t *old = g_hash_table_lookup(h->child_by_spi, GUINT_TO_POINTER(rekeys_spi));
    if (old && !old->rekeyed_frame) {
      old->rekeyed_frame = pkt->frame;
      old->rekeyed_time = pkt->time;
    }
  }
  if (spi_i)
    g_hash_table_replace(h->child_by_spi, GUINT_TO_POINTER(spi_i), child);
  if (spi_r)
    g_hash_table_replace(h->child_by_spi, GUINT_TO_POINTER(spi_r), child);
  tunnel_esp_t *t = tunnel_esp(engine, tunnel);
  if (!t->children++ || pkt->frame < t->first_child_frame) {
    t->first_child_frame = pkt->frame;
    t->first_child_time = pkt->time;
  }
}

void ipsecdiag_engine_note_child_sa_deleted(ipsecdiag_engine_t *engine, const ipsecdiag_packet_t *pkt,
                                            guint32 tunnel, guint32 spi)
{
  engine_settle(engine);
  struct engine_esp_health *h = health_get(engine);
  child_sa_t *child = g_hash_table_lookup(h->child_by_spi, GUINT_TO_POINTER(spi));
  if (!child || child->tunnel != tunnel || child->deleted_frame)
    return;
  engine->feed_count++;
  child->deleted_frame = pkt->frame;
  child->deleted_time = pkt->time;
}

void engine_esp_note_invalid_spi(ipsecdiag_engine_t *engine, const ipsecdiag_packet_t *pkt, const ike_notify_t *notify)
{
  /* IKEv1 carries the SPI in the notify's SPI field, IKEv2 in its data. */
  const guint8 *spi_bytes = notify->spi_size == 4 && notify->spi ? notify->spi
                          : notify->data_len == 4 && notify->data ? notify->data : NULL;
  if (!spi_bytes)
    return;
  guint32 spi = (guint32)spi_bytes[0] << 24 | (guint32)spi_bytes[1] << 16 | (guint32)spi_bytes[2] << 8 | spi_bytes[3];
  struct engine_esp_health *h = health_get(engine);
  if (!spi || g_hash_table_contains(h->invalid_spi, GUINT_TO_POINTER(spi))
      || g_hash_table_size(h->invalid_spi) >= MAX_INVALID_SPI_REPORTS)
    return;
  invalid_spi_t *report = g_new0(invalid_spi_t, 1);
  report->sender = pkt->src.addr;
  report->frame = pkt->frame;
  report->time = pkt->time;
  g_hash_table_insert(h->invalid_spi, GUINT_TO_POINTER(spi), report);
}

/* ---------- feeding ---------- */

static int side_of(const ipsecdiag_tunnel_t *tunnel, const ipsecdiag_endpoint_t *src)
{
  int dir = engine_tunnel_direction(tunnel, src);
  return dir < 0 ? -1 : dir;
}

/* The side's last packet as its record would hold it (see esp_side_t). */
static void side_last_sent(const esp_side_t *s, double *time, guint32 *frame)
{
  const esp_sa_t *sa = s->last_sent_sa;
  gboolean held = sa && (sa->flags & ESP_SA_LAST_SENDER);
  *time = held ? sa->last_time : s->last_sent;
  *frame = held ? sa->last_frame : s->last_sent_frame;
}

/* Before a packet of the side other than its last sender's next one in UDP 4500. */
static void side_settle(esp_side_t *s)
{
  esp_sa_t *sa = s->last_sent_sa;
  if (!sa || !(sa->flags & ESP_SA_LAST_SENDER))
    return;
  s->last_sent = sa->last_time;
  s->last_sent_frame = sa->last_frame;
  sa->flags &= (guint16)~(ESP_SA_LAST_SENDER | ESP_SA_SIDE_UP);
}

/* The largest float not above a silence: a floor that never hides a longer one. */
static float silence_floor(double silence)
{
  float floor = (float)silence;
  if ((double)floor > silence && floor > 0) {
    guint32 bits;
    memcpy(&bits, &floor, sizeof bits);
    bits--;                               /* the next float down (positive floats order as integers) */
    memcpy(&floor, &bits, sizeof floor);
  }
  return floor;
}

static void note_silence(tunnel_esp_t *t, int side, double silence, guint32 from_frame, const esp_sa_t *from_sa)
{
  esp_side_t *s = &t->side[side];
  if (silence > s->longest_silence) {
    s->longest_silence = silence;
    t->silence_from_frame[side] = from_frame;
    t->silence_from_sa[side] = from_sa;
  }
}

/* A sender's packet on UDP 4500 (sa NULL: IKE or a keepalive): the longest
 * time it stayed silent while the IKE SA was up. */
static void note_sent(const ipsecdiag_engine_t *engine, tunnel_esp_t *t, guint32 tunnel_id, int side,
                      const ipsecdiag_packet_t *pkt, esp_sa_t *sa)
{
  if (side < 0 || !(pkt->src.port == 4500 || pkt->dst.port == 4500))
    return;
  esp_side_t *s = &t->side[side];
  side_settle(s);
  if (s->sent && !s->up) {
    const ipsecdiag_tunnel_t *tunnel = engine_tunnel_get(engine, tunnel_id);
    s->up = tunnel && ipsecdiag_state_rank(tunnel->state) >= ipsecdiag_state_rank(IPSECDIAG_ST_P1_DONE);
  }
  if (s->sent && s->up)
    note_silence(t, side, pkt->time - s->last_sent, s->last_sent_frame, s->last_sent_sa);
  s->sent = TRUE;
  s->last_sent = pkt->time;
  s->last_sent_frame = pkt->frame;
  s->last_sent_sa = sa;
  if (sa) {
    /* The SA carries the side from here until another packet of the side. */
    sa->flags |= ESP_SA_LAST_SENDER | (s->up ? ESP_SA_SIDE_UP : 0);
    sa->silence_floor = silence_floor(s->longest_silence);
  }
}

void engine_esp_note_tunnel_packet(ipsecdiag_engine_t *engine, const ipsecdiag_tunnel_t *tunnel,
                                   const ipsecdiag_packet_t *pkt, gboolean keepalive)
{
  if (!keepalive && pkt->src.port != 4500 && pkt->dst.port != 4500)
    return;                              /* only UDP 4500 keeps a NAT-T mapping open */
  tunnel_esp_t *t = tunnel_esp(engine, tunnel->id);
  int side = side_of(tunnel, &pkt->src);
  note_sent(engine, t, tunnel->id, side, pkt, NULL);
  if (!keepalive || side < 0)
    return;
  if (!t->keepalives[side]++) {
    t->first_keepalive_frame[side] = pkt->frame;
    t->first_keepalive_time[side] = pkt->time;
  }
  t->last_keepalive_time[side] = pkt->time;
}

static void set_sa_params(const ipsecdiag_engine_t *engine, const esp_sa_t *sa, ipsecdiag_finding_t *f);

static ipsecdiag_finding_t *restart_finding(const ipsecdiag_engine_t *engine, const esp_sa_t *sa, gboolean final)
{
  const esp_sequence_t *q = &sa->seq;
  ipsecdiag_finding_t *f = finding_new("esp_sequence_restart", q->first_restart_frame, sa->tunnel, final);
  set_sa_params(engine, sa, f);
  finding_set(f, "from", "%u", q->restart_from);
  finding_set(f, "to", "%u", q->restart_to);
  return f;
}

static ipsecdiag_finding_t *native_finding(const ipsecdiag_engine_t *engine, const esp_sa_t *sa,
                                           const ipsecdiag_tunnel_t *tunnel, gboolean final)
{
  char nat[160];
  ipsecdiag_finding_t *f = finding_new("esp_native_despite_nat", sa->native_frame, tunnel->id, final);
  set_sa_params(engine, sa, f);
  finding_set(f, "nat", "%s", ipsecdiag_nat_describe(tunnel, nat, sizeof nat));
  return f;
}

static ipsecdiag_frame_t *esp_frame(ipsecdiag_engine_t *engine, const esp_sa_t *sa, guint32 number,
                                    guint32 sequence)
{
  ipsecdiag_frame_t *frame = (ipsecdiag_frame_t *)ipsecdiag_engine_frame(engine, number);
  if (frame)
    return frame;
  frame = engine_frame_new(engine, number, IPSECDIAG_FRAME_ESP);
  frame->tunnel = sa->tunnel;
  frame->esp_spi = sa->key.spi;
  frame->esp_sequence = sequence;
  frame->sender_role = sa->direction == IPSECDIAG_ESP_DIR_I2R ? IPSECDIAG_ROLE_INITIATOR
                     : sa->direction == IPSECDIAG_ESP_DIR_R2I ? IPSECDIAG_ROLE_RESPONDER : IPSECDIAG_ROLE_UNKNOWN;
  const ipsecdiag_tunnel_t *tunnel = engine_tunnel_get(engine, sa->tunnel);
  frame->state = tunnel ? tunnel->state : IPSECDIAG_ST_NONE;
  return frame;
}

void engine_esp_sa_created(ipsecdiag_engine_t *engine, esp_sa_t *sa, const ipsecdiag_packet_t *pkt)
{
  struct engine_esp_health *h = health_get(engine);
  sa->index = h->sas->len;
  sa->first_time = pkt->time;             /* last_time: engine_esp_packet, on this packet too */
  if (pkt->src.port != 0 || pkt->dst.port != 0)
    sa->flags |= ESP_SA_UDP;
  sa->dst_port = pkt->dst.port;
  g_ptr_array_add(h->sas, sa);

  /* A registered Child SA with this SPI links it exactly (endpoints only guess). */
  const child_sa_t *child = child_by_spi(engine, sa->key.spi);
  ipsecdiag_tunnel_t *tunnel = child ? engine_tunnel_get(engine, child->tunnel) : NULL;
  if (tunnel && sa->tunnel != tunnel->id) {
    ipsecdiag_tunnel_t *guessed = engine_tunnel_get(engine, sa->tunnel);
    if (guessed && guessed->n_esp_spis)
      guessed->n_esp_spis--;
    sa->tunnel = tunnel->id;
    tunnel->n_esp_spis++;
  }
  if (tunnel && child) {
    /* ESP to the initiator carries the initiator's inbound SPI. */
    sa->direction = sa->key.spi == child->spi_i ? IPSECDIAG_ESP_DIR_R2I : IPSECDIAG_ESP_DIR_I2R;
  }
  if (sa->tunnel) {
    sa->flags |= ESP_SA_LINKED;
    tunnel_esp_t *t = tunnel_esp(engine, sa->tunnel);
    if (!t->sa_indexes)
      t->sa_indexes = g_array_new(FALSE, FALSE, sizeof(guint32));
    g_array_append_val(t->sa_indexes, sa->index);
    /* The tunnel and direction are final now: the side's first ESP is known from its first SA. */
    if (sa->direction < 2 && !t->side[sa->direction].esp_first_sa) {
      t->esp_first_frame[sa->direction] = pkt->frame;
      t->esp_first_time[sa->direction] = pkt->time;
      t->side[sa->direction].esp_first_sa = sa;
    }
  }
}

/* The next sequence number of an SA without gaps or reordering so far:
 * most packets. The rest, and the first, take sequence_update_slow. */
static inline seq_event_t sequence_update(esp_sequence_t *q, guint32 seq32, guint32 frame)
{
  guint32 high32 = (guint32)q->highest;
  if (G_LIKELY(q->started && q->window_implicit && high32 != G_MAXUINT32 && seq32 == high32 + 1)) {
    q->highest++;
    q->unique++;
    return SEQ_NEW;
  }
  return sequence_update_slow(q, seq32, frame);
}

/* Native ESP where NAT-T is expected: noted on the SA's first such packet. */
static IPSECDIAG_COLD ipsecdiag_frame_t *check_native_esp(ipsecdiag_engine_t *engine, esp_sa_t *sa,
                                                          const ipsecdiag_packet_t *pkt, guint32 sequence)
{
  const ipsecdiag_tunnel_t *tunnel = engine_tunnel_get(engine, sa->tunnel);
  if (!tunnel || !ipsecdiag_natt_expected(tunnel)) {
    sa->flags |= ESP_SA_NATIVE_CLEAN;    /* until the tunnel expects NAT-T: not per packet */
    return NULL;
  }
  sa->native_frame = pkt->frame;
  sa->flags |= ESP_SA_NATIVE_SEEN;
  ipsecdiag_frame_t *frame = esp_frame(engine, sa, pkt->frame, sequence);
  engine_attach_finding(engine, frame, native_finding(engine, sa, tunnel, FALSE));
  return frame;
}

void engine_esp_natt_now_expected(ipsecdiag_engine_t *engine, guint32 tunnel)
{
  const tunnel_esp_t *t = tunnel_esp_const(engine, tunnel);   /* non-NULL: the health record exists */
  for (guint i = 0; t && t->sa_indexes && i < t->sa_indexes->len; i++) {
    esp_sa_t *sa = g_ptr_array_index(engine->esp_health->sas, g_array_index(t->sa_indexes, guint32, i));
    if (sa->tunnel == tunnel)
      sa->flags &= (guint16)~ESP_SA_NATIVE_CLEAN;
  }
}

/* UDP encapsulation without a NAT: judged on each SA's first UDP packet. */
static IPSECDIAG_COLD ipsecdiag_frame_t *check_udp_without_nat(ipsecdiag_engine_t *engine, esp_sa_t *sa,
                                                               tunnel_esp_t *t, const ipsecdiag_packet_t *pkt,
                                                               guint32 sequence)
{
  sa->flags |= ESP_SA_NAT_CHECKED;
  const ipsecdiag_tunnel_t *tunnel = engine_tunnel_get(engine, sa->tunnel);
  if (!tunnel || tunnel->nat_initiator != 0 || tunnel->nat_responder != 0 || tunnel->natd_forced
      || t->udp_without_nat_noted)
    return NULL;
  char nat[160];
  t->udp_without_nat_noted = TRUE;
  ipsecdiag_frame_t *frame = esp_frame(engine, sa, pkt->frame, sequence);
  ipsecdiag_finding_t *f = finding_new("esp_udp_without_nat", pkt->frame, tunnel->id, FALSE);
  set_sa_params(engine, sa, f);
  finding_set(f, "port", "%u", pkt->dst.port == 4500 || pkt->src.port == 4500 ? 4500u : pkt->dst.port);
  finding_set(f, "nat", "%s", ipsecdiag_nat_describe(tunnel, nat, sizeof nat));
  engine_attach_finding(engine, frame, f);
  return frame;
}

static IPSECDIAG_COLD ipsecdiag_frame_t *note_restart(ipsecdiag_engine_t *engine, const esp_sa_t *sa,
                                                      guint32 number, guint32 sequence)
{
  ipsecdiag_frame_t *frame = esp_frame(engine, sa, number, sequence);
  engine_attach_finding(engine, frame, restart_finding(engine, sa, FALSE));
  return frame;
}

/* The side's record, for a packet of an SA that does not hold it (or a longer silence). */
static IPSECDIAG_COLD void note_sent_by_sa(ipsecdiag_engine_t *engine, esp_sa_t *sa, const ipsecdiag_packet_t *pkt)
{
  note_sent(engine, tunnel_esp(engine, sa->tunnel), sa->tunnel, sa->direction, pkt, sa);
}

static IPSECDIAG_COLD void note_longer_silence(ipsecdiag_engine_t *engine, esp_sa_t *sa, double silence)
{
  tunnel_esp_t *t = tunnel_esp(engine, sa->tunnel);
  note_silence(t, sa->direction, silence, sa->last_frame, sa);
  sa->silence_floor = silence_floor(t->side[sa->direction].longest_silence);
}

/* Every packet of an SA, its first included. The fields read and written
 * on the way to sequence_update are in the SA's first cache line. */
IPSECDIAG_HOT ipsecdiag_frame_t *engine_esp_packet(ipsecdiag_engine_t *engine, esp_sa_t *sa,
                                                   const ipsecdiag_packet_t *pkt, guint32 sequence,
                                                   guint32 esp_length)
{
  ipsecdiag_frame_t *frame = NULL;
  gboolean udp = pkt->src.port != 0 || pkt->dst.port != 0;
  gboolean natt = pkt->src.port == 4500 || pkt->dst.port == 4500;
  guint16 flags = sa->flags;
  if (G_UNLIKELY(natt && !(flags & ESP_SA_NATT_NOTED))) {
    sa->flags |= ESP_SA_NATT_NOTED;
    ipsecdiag_tunnel_t *tunnel = engine_tunnel_get(engine, sa->tunnel);
    if (tunnel)
      tunnel->natt_used = TRUE;
  }

  /* The sender's side (before last_time and last_frame move on: they may be the side's). */
  if (sa->direction < 2) {
    const guint16 holds = ESP_SA_LAST_SENDER | ESP_SA_SIDE_UP;
    if (G_LIKELY(natt && (flags & holds) == holds)) {
      double silence = pkt->time - sa->last_time;
      if (G_UNLIKELY(silence > (double)sa->silence_floor))
        note_longer_silence(engine, sa, silence);
    } else if (natt) {
      note_sent_by_sa(engine, sa, pkt);
    } else if (flags & ESP_SA_LAST_SENDER) {
      side_settle(&tunnel_esp(engine, sa->tunnel)->side[sa->direction]);   /* its last times are about to move */
    }
  }
  sa->packets++;
  sa->bytes += esp_length;
  sa->last_frame = pkt->frame;
  sa->last_sequence = sequence;
  sa->last_time = pkt->time;

  if (G_UNLIKELY(!udp && (flags & (ESP_SA_NATIVE_SEEN | ESP_SA_NATIVE_CLEAN | ESP_SA_LINKED)) == ESP_SA_LINKED)) {
    ipsecdiag_frame_t *noted = check_native_esp(engine, sa, pkt, sequence);
    if (noted)
      frame = noted;
  }
  if (G_UNLIKELY(udp && (flags & (ESP_SA_NAT_CHECKED | ESP_SA_LINKED)) == ESP_SA_LINKED)) {
    ipsecdiag_frame_t *noted = check_udp_without_nat(engine, sa, tunnel_esp(engine, sa->tunnel), pkt, sequence);
    if (noted)
      frame = noted;
  }

  /* Sequence number 0 is never sent: the field was not available. */
  if (sequence == 0)
    return frame;
  seq_event_t event = sequence_update(&sa->seq, sequence, pkt->frame);
  if (G_UNLIKELY(event == SEQ_RESTART && sa->seq.restarts == 1))
    frame = note_restart(engine, sa, pkt->frame, sequence);
  return frame;
}

/* ---------- findings ---------- */

static const char *capture_side(const ipsecdiag_engine_t *engine, guint32 tunnel)
{
  const ipsecdiag_tunnel_t *t = engine_tunnel_get(engine, tunnel);
  return ipsecdiag_capture_side_name(t ? t->capture_side : IPSECDIAG_SIDE_UNKNOWN);
}

/* The ESP SA a finding's frame belongs to, so finalize can make the frame's record. */
static void set_frame_sa(ipsecdiag_finding_t *f, const esp_sa_t *sa)
{
  char buf[64];
  if (!sa)
    return;
  finding_set(f, "spi", "0x%08x", sa->key.spi);
  finding_set(f, "receiver", "%s", ipsecdiag_addr_to_str(&sa->key.dst, buf, sizeof buf));
}

static void set_sa_params(const ipsecdiag_engine_t *engine, const esp_sa_t *sa, ipsecdiag_finding_t *f)
{
  char buf[64];
  finding_set(f, "spi", "0x%08x", sa->key.spi);
  finding_set(f, "direction", "%s", ipsecdiag_esp_direction_name(sa->direction));
  finding_set(f, "sender", "%s", ipsecdiag_addr_to_str(&sa->src.addr, buf, sizeof buf));
  finding_set(f, "receiver", "%s", ipsecdiag_addr_to_str(&sa->key.dst, buf, sizeof buf));
  finding_set(f, "encapsulation", "%s", !(sa->flags & ESP_SA_UDP) ? "native (IP protocol 50)"
              : sa->src.port == 4500 || sa->dst_port == 4500 ? "UDP 4500" : "UDP (other port)");
  finding_set(f, "packets", "%" G_GUINT64_FORMAT, sa->packets);
  finding_set(f, "side", "%s", capture_side(engine, sa->tunnel));
  finding_set(f, "tunnel", "%u", sa->tunnel);
}

/* Where the capture sits relative to a direction's sender: 1 at the sender,
 * -1 at the receiver, 0 in the path or unknown. */
static int capture_at_sender(const ipsecdiag_tunnel_t *tunnel, guint8 direction)
{
  if (!tunnel || direction > 1)
    return 0;
  if (tunnel->capture_side == IPSECDIAG_SIDE_INITIATOR)
    return direction == IPSECDIAG_ESP_DIR_I2R ? 1 : -1;
  if (tunnel->capture_side == IPSECDIAG_SIDE_RESPONDER)
    return direction == IPSECDIAG_ESP_DIR_R2I ? 1 : -1;
  return 0;
}

static ipsecdiag_finding_t *sa_finding(const ipsecdiag_engine_t *engine, const char *rule, const esp_sa_t *sa,
                                       guint32 frame)
{
  ipsecdiag_finding_t *f = finding_new(rule, frame, sa->tunnel, TRUE);
  set_sa_params(engine, sa, f);
  return f;
}

static void loss_finding(const ipsecdiag_engine_t *engine, const esp_sa_t *sa, GPtrArray *out)
{
  const esp_sequence_t *q = &sa->seq;
  guint64 lost = sequence_lost(q), expected = sequence_expected(q);
  if (!lost || !expected || !q->first_gap_frame)
    return;
  double rate = 100.0 * (double)lost / (double)expected;
  ipsecdiag_finding_t *f = sa_finding(engine, rate >= LOSS_WARN_PERCENT ? "esp_loss" : "esp_loss_minor", sa,
                                      q->first_gap_frame);
  finding_set(f, "lost", "%" G_GUINT64_FORMAT, lost);
  finding_set(f, "expected", "%" G_GUINT64_FORMAT, expected);
  finding_set(f, "rate", "%.1f", rate);
  finding_set(f, "gaps", "%u", q->gaps);
  finding_set(f, "largest_gap", "%u", q->largest_gap);
  char buf[64];
  const char *sender = ipsecdiag_addr_to_str(&sa->src.addr, buf, sizeof buf);
  int at_sender = capture_at_sender(engine_tunnel_get(engine, sa->tunnel), sa->direction);
  if (at_sender > 0)
    finding_set(f, "reading", "the capture is next to the sender %s, so the numbers were never put on the wire "
                "here: the capture itself dropped them (see its drop counter) or %s lost them between numbering "
                "and sending.", sender, sender);
  else if (at_sender < 0)
    finding_set(f, "reading", "the capture is next to the receiver, so these packets were lost between %s and "
                "the receiver's link.", sender);
  else
    finding_set(f, "reading", "these packets were lost between %s and the capture point.", sender);
  g_ptr_array_add(out, f);
}

/* The Child SA of a tunnel that replaced it (IKEv2: a new IKE SA between the
 * same peers takes the Child SAs with it): when it came up. */
static gboolean replacement_up(const ipsecdiag_engine_t *engine, const ipsecdiag_tunnel_t *tunnel,
                               guint32 *frame, double *time)
{
  const ipsecdiag_tunnel_t *next = engine_tunnel_get(engine, tunnel->superseded_by);
  if (!next || tunnel->version != 2 || next->version != 2)
    return FALSE;
  for (guint i = 0; i < next->n_messages; i++) {
    const ipsecdiag_message_t *m = &next->messages[i];
    if (m->exchange_type == IKEV2_EXCH_IKE_AUTH && m->is_response && !engine_inferred_rule(engine, next, m)) {
      *frame = m->first_frame;
      *time = m->first_time;
      return TRUE;
    }
  }
  return FALSE;
}

static void stale_finding(const ipsecdiag_engine_t *engine, const esp_sa_t *sa, GPtrArray *out)
{
  const child_sa_t *child = child_by_spi(engine, sa->key.spi);
  if (child && child->tunnel != sa->tunnel)
    child = NULL;
  const ipsecdiag_tunnel_t *tunnel = engine_tunnel_get(engine, sa->tunnel);
  double since = 0, grace = 0;
  guint32 reason_frame = 0;
  const char *reason = NULL;
  const invalid_spi_t *report = engine->esp_health
      ? g_hash_table_lookup(engine->esp_health->invalid_spi, GUINT_TO_POINTER(sa->key.spi)) : NULL;
  if (report && !ipsecdiag_addr_equal(&report->sender, &sa->key.dst))
    report = NULL;                       /* only the SA's receiver can say it lacks the SA */
  if (child && child->deleted_frame) {
    since = child->deleted_time;
    grace = DELETED_GRACE_SECONDS;
    reason_frame = child->deleted_frame;
    reason = "its Child SA was deleted";
  } else if (report) {
    since = report->time;
    grace = DELETED_GRACE_SECONDS;
    reason_frame = report->frame;
    reason = "its receiver answered INVALID_SPI";
  } else if (child && child->rekeyed_frame) {
    since = child->rekeyed_time;
    grace = STALE_GRACE_SECONDS;
    reason_frame = child->rekeyed_frame;
    reason = "its Child SA was rekeyed";
  } else if (tunnel && replacement_up(engine, tunnel, &reason_frame, &since)) {
    grace = STALE_GRACE_SECONDS;
    reason = "a new IKE SA between the same peers replaced the one it belongs to";
  }
  if (!reason || sa->last_time <= since + grace)
    return;
  ipsecdiag_finding_t *f = sa_finding(engine, "esp_stale_spi", sa, sa->last_frame);
  finding_set(f, "reason", "%s (frame %u)", reason, reason_frame);
  finding_set(f, "after", "%.1f", sa->last_time - since);
  finding_set(f, "grace", "%.0f", grace);
  g_ptr_array_add(out, f);
}

static void not_negotiated_finding(const ipsecdiag_engine_t *engine, const esp_sa_t *sa, GPtrArray *out)
{
  const ipsecdiag_tunnel_t *tunnel = engine_tunnel_get(engine, sa->tunnel);
  const tunnel_esp_t *t = tunnel ? tunnel_esp_const(engine, tunnel->id) : NULL;
  if (!t || !t->children)
    return;
  const child_sa_t *child = child_by_spi(engine, sa->key.spi);
  if (child)
    return;
  /* The tunnel was negotiated in the capture, before this SPI's first packet. */
  gboolean opened = tunnel->mode == IKEV2_EXCH_IKE_SA_INIT || tunnel->mode == IKEV1_EXCH_MAIN
                 || tunnel->mode == IKEV1_EXCH_AGGRESSIVE;
  if (!opened || tunnel->first_frame > sa->first_frame)
    return;
  ipsecdiag_finding_t *f = sa_finding(engine, "esp_spi_not_negotiated", sa, sa->first_frame);
  finding_set(f, "children", "%u", t->children);
  g_ptr_array_add(out, f);
}

static void sa_findings(const ipsecdiag_engine_t *engine, const esp_sa_t *sa, GPtrArray *out)
{
  loss_finding(engine, sa, out);
  const esp_sequence_t *q = &sa->seq;
  if (q->duplicates) {
    ipsecdiag_finding_t *f = sa_finding(engine, "esp_duplicates", sa, q->first_duplicate_frame);
    finding_set(f, "duplicates", "%" G_GUINT64_FORMAT, q->duplicates);
    finding_set(f, "first_frame", "%u", q->first_duplicate_frame);
    g_ptr_array_add(out, f);
  }
  stale_finding(engine, sa, out);
  not_negotiated_finding(engine, sa, out);
}

/* The frame that completed the tunnel's first Child SA, 0 none. */
static guint32 child_established(const ipsecdiag_engine_t *engine, const ipsecdiag_tunnel_t *tunnel,
                                 double *time, const char **name)
{
  guint32 frame = 0;
  for (guint i = 0; i < tunnel->n_messages && !frame; i++) {
    const ipsecdiag_message_t *m = &tunnel->messages[i];
    gboolean completes = tunnel->version == 2
        ? m->is_response && (m->exchange_type == IKEV2_EXCH_IKE_AUTH || m->exchange_type == IKEV2_EXCH_CREATE_CHILD_SA)
        : strcmp(m->name, "QI2") == 0;
    if (completes && !engine_inferred_rule(engine, tunnel, m)) {
      frame = m->first_frame;
      *time = m->first_time;
      *name = m->name;
    }
  }
  const tunnel_esp_t *t = tunnel_esp_const(engine, tunnel->id);
  if (t && t->children && (!frame || t->first_child_frame < frame)) {
    frame = t->first_child_frame;
    *time = t->first_child_time;
    *name = "Child SA negotiated";
  }
  return frame;
}

static void set_one_way_reading(ipsecdiag_finding_t *f, const ipsecdiag_tunnel_t *tunnel, guint8 missing,
                                const char *peer)
{
  int at_sender = capture_at_sender(tunnel, missing);
  if (at_sender > 0)
    finding_set(f, "reading", "The capture is next to %s, which receives ESP but sends none: its traffic back "
                "does not enter the tunnel.", peer);
  else if (at_sender < 0)
    finding_set(f, "reading", "The capture is next to the receiving peer: ESP from %s does not arrive here. "
                "Either it is dropped on the path, or %s never sends it.", peer, peer);
  else
    finding_set(f, "reading", "No ESP from %s passes the capture point: it is dropped before it, or never "
                "sent.", peer);
}

static void tunnel_esp_findings(const ipsecdiag_engine_t *engine, const ipsecdiag_tunnel_t *tunnel,
                                const tunnel_esp_t *t, GPtrArray *out)
{
  char buf[64], nat[160];
  const ipsecdiag_endpoint_t *ends[2] = {&tunnel->initiator, &tunnel->responder};
  ipsecdiag_esp_tunnel_totals_t totals;
  ipsecdiag_engine_esp_tunnel_totals(engine, tunnel->id, &totals);
  const guint64 *packets = totals.packets;
  if (!packets[0] && !packets[1]) {
    double up = 0;
    const char *name = NULL;
    guint32 frame = child_established(engine, tunnel, &up, &name);
    double observed = engine->last_time - up;
    if (!frame || observed < ESP_MIN_OBSERVE_SECONDS || tunnel->n_esp_spis)
      return;
    ipsecdiag_finding_t *f = finding_new("esp_missing", frame, tunnel->id, TRUE);
    finding_set(f, "tunnel", "%u", tunnel->id);
    finding_set(f, "message", "%s, frame %u", name, frame);
    finding_set(f, "observed", "%.1f", observed);
    finding_set(f, "side", "%s", ipsecdiag_capture_side_name(tunnel->capture_side));
    finding_set(f, "nat", "%s", ipsecdiag_nat_describe(tunnel, nat, sizeof nat));
    finding_set(f, "encapsulation_hint", "%s", ipsecdiag_natt_expected(tunnel) || tunnel->natt_used
                ? "UDP 4500 (ESP in UDP)" : "IP protocol 50 (ESP)");
    g_ptr_array_add(out, f);
    return;
  }
  for (guint8 present = 0; present < 2; present++) {
    guint8 missing = 1 - present;
    if (packets[missing] || packets[present] < ONE_WAY_MIN_PACKETS
        || engine->last_time - t->esp_first_time[present] < ESP_MIN_OBSERVE_SECONDS / 2)
      continue;
    ipsecdiag_finding_t *f = finding_new("esp_one_way", t->esp_first_frame[present], tunnel->id, TRUE);
    char peer[64];
    ipsecdiag_addr_to_str(&ends[missing]->addr, peer, sizeof peer);
    finding_set(f, "tunnel", "%u", tunnel->id);
    finding_set(f, "present", "%s", ipsecdiag_esp_direction_name(present));
    finding_set(f, "missing", "%s", ipsecdiag_esp_direction_name(missing));
    finding_set(f, "count", "%" G_GUINT64_FORMAT, packets[present]);
    finding_set(f, "sender", "%s", ipsecdiag_addr_to_str(&ends[present]->addr, buf, sizeof buf));
    finding_set(f, "peer", "%s", peer);
    finding_set(f, "side", "%s", ipsecdiag_capture_side_name(tunnel->capture_side));
    finding_set(f, "encapsulation", "%s", tunnel->natt_used ? "UDP 4500 (ESP in UDP)" : "IP protocol 50 (ESP)");
    finding_set(f, "first_frame", "%u", t->esp_first_frame[present]);
    set_frame_sa(f, t->side[present].esp_first_sa);
    set_one_way_reading(f, tunnel, missing, peer);
    g_ptr_array_add(out, f);
  }
}

static void keepalive_findings(const ipsecdiag_engine_t *engine, const ipsecdiag_tunnel_t *tunnel,
                               const tunnel_esp_t *t, GPtrArray *out)
{
  char buf[64];
  const ipsecdiag_endpoint_t *ends[2] = {&tunnel->initiator, &tunnel->responder};
  for (int side = 0; side < 2; side++) {
    if (!t->keepalives[side])
      continue;
    ipsecdiag_finding_t *f = finding_new("nat_keepalives_seen", t->first_keepalive_frame[side], tunnel->id, TRUE);
    finding_set(f, "tunnel", "%u", tunnel->id);
    finding_set(f, "sender", "%s (%s)", ipsecdiag_addr_to_str(&ends[side]->addr, buf, sizeof buf),
                ipsecdiag_role_name(side == 0 ? IPSECDIAG_ROLE_INITIATOR : IPSECDIAG_ROLE_RESPONDER));
    finding_set(f, "count", "%u", t->keepalives[side]);
    if (t->keepalives[side] > 1)
      finding_set(f, "interval", "%.1f", (t->last_keepalive_time[side] - t->first_keepalive_time[side])
                  / (t->keepalives[side] - 1));
    else
      finding_set(f, "interval", "(one only)");
    g_ptr_array_add(out, f);
  }
  /* A peer NAT-D puts behind a NAT: not one caught faking its own hash to
   * force encapsulation, unless the other peer's destination hash (of the
   * address it sees) proves the NAT all the same. A responder needs that
   * proof in any case: its own bad source hash, captured away from it, reads
   * the same as forced encapsulation (strongSwan encap=yes, kernel-libipsec),
   * and a responder behind a NAT is only reachable through a static
   * forwarding of UDP 500 / 4500, which does not expire. */
  for (int side = 0; side < 2; side++) {
    gboolean behind = side == 0 ? tunnel->nat_initiator == 1 && (!(tunnel->natd_forced & 1)
                                                                 || (tunnel->natd_results & IPSECDIAG_NATD_R_DST_BAD))
                                : tunnel->nat_responder == 1 && (tunnel->natd_results & IPSECDIAG_NATD_I_DST_BAD);
    if (!behind || t->keepalives[side] || !t->side[side].sent)
      continue;
    double silence = t->side[side].longest_silence;
    guint32 from = t->silence_from_frame[side];
    const esp_sa_t *from_sa = t->silence_from_sa[side];
    double last_sent;
    guint32 last_sent_frame;
    side_last_sent(&t->side[side], &last_sent, &last_sent_frame);
    double trailing = engine->last_time - last_sent;
    if (!tunnel->superseded_by && trailing > silence
        && ipsecdiag_state_rank(tunnel->state) >= ipsecdiag_state_rank(IPSECDIAG_ST_P1_DONE)) {
      silence = trailing;
      from = last_sent_frame;
      from_sa = t->side[side].last_sent_sa;
    }
    if (silence < NAT_SILENCE_SECONDS || !from)
      continue;
    ipsecdiag_finding_t *f = finding_new("nat_keepalive_missing", from, tunnel->id, TRUE);
    finding_set(f, "tunnel", "%u", tunnel->id);
    finding_set(f, "natted", "%s (%s)", ipsecdiag_addr_to_str(&ends[side]->addr, buf, sizeof buf),
                ipsecdiag_role_name(side == 0 ? IPSECDIAG_ROLE_INITIATOR : IPSECDIAG_ROLE_RESPONDER));
    finding_set(f, "peer", "%s", ipsecdiag_addr_to_str(&ends[1 - side]->addr, buf, sizeof buf));
    finding_set(f, "silence", "%.0f", silence);
    finding_set(f, "from_frame", "%u", from);
    set_frame_sa(f, from_sa);
    g_ptr_array_add(out, f);
  }
}

void engine_esp_evaluate_tunnel(const ipsecdiag_engine_t *engine, const ipsecdiag_tunnel_t *tunnel, GPtrArray *out)
{
  const tunnel_esp_t *t = tunnel_esp_const(engine, tunnel->id);
  tunnel_esp_findings(engine, tunnel, t, out);
  if (!t)
    return;
  keepalive_findings(engine, tunnel, t, out);
  for (guint i = 0; t->sa_indexes && i < t->sa_indexes->len; i++) {
    const esp_sa_t *sa = sa_at(engine, g_array_index(t->sa_indexes, guint32, i));
    if (sa && sa->tunnel == tunnel->id)
      sa_findings(engine, sa, out);
  }
}

void engine_esp_evaluate_unlinked(const ipsecdiag_engine_t *engine, GPtrArray *out)
{
  if (!engine->esp_health)
    return;
  for (guint i = 0; i < engine->esp_health->sas->len; i++) {
    const esp_sa_t *sa = g_ptr_array_index(engine->esp_health->sas, i);
    if (!sa->tunnel)
      sa_findings(engine, sa, out);
  }
}

ipsecdiag_frame_t *engine_esp_finding_frame(ipsecdiag_engine_t *engine, const ipsecdiag_finding_t *finding)
{
  const char *spi_text = ipsecdiag_finding_param(finding, "spi");
  const char *receiver = ipsecdiag_finding_param(finding, "receiver");
  if (!spi_text || !receiver)
    return NULL;
  /* The SA is the one of this SPI towards the receiver the finding names (a hash lookup). */
  esp_sa_key_t key;
  memset(&key, 0, sizeof key);
  key.spi = (guint32)strtoul(spi_text, NULL, 16);
  if (inet_pton(AF_INET, receiver, key.dst.bytes) == 1)
    key.dst.family = 4;
  else if (inet_pton(AF_INET6, receiver, key.dst.bytes) == 1)
    key.dst.family = 6;
  else
    return NULL;
  const esp_sa_t *sa = esp_sa_table_lookup(engine->esp_sas, &key);
  return sa ? esp_frame(engine, sa, finding->frame, 0) : NULL;
}

/* ---------- public queries ---------- */

guint ipsecdiag_engine_esp_sa_count(const ipsecdiag_engine_t *engine)
{
  return engine->esp_health ? engine->esp_health->sas->len : 0;
}

gboolean ipsecdiag_engine_esp_sa_info(const ipsecdiag_engine_t *engine, guint index, ipsecdiag_esp_sa_info_t *out)
{
  const esp_sa_t *sa = sa_at(engine, index);
  memset(out, 0, sizeof *out);
  if (!sa)
    return FALSE;
  const esp_sequence_t *q = &sa->seq;
  out->spi = sa->key.spi;
  out->src = sa->src;
  out->dst.addr = sa->key.dst;
  out->dst.port = sa->dst_port;
  out->udp_encapsulated = (sa->flags & ESP_SA_UDP) != 0;
  out->tunnel = sa->tunnel;
  out->direction = sa->direction;
  out->packets = sa->packets;
  out->bytes = sa->bytes;
  out->first_frame = sa->first_frame;
  out->last_frame = sa->last_frame;
  out->first_time = sa->first_time;
  out->last_time = sa->last_time;
  out->first_sequence = q->first_sequence;
  out->last_sequence = sa->last_sequence;
  out->expected = sequence_expected(q);
  out->lost = sequence_lost(q);
  out->gaps = q->gaps;
  out->largest_gap = q->largest_gap;
  out->duplicates = q->duplicates;
  out->late = q->late;
  out->reordered = q->reordered;
  out->restarts = q->restarts;
  out->first_gap_frame = q->first_gap_frame;
  out->first_duplicate_frame = q->first_duplicate_frame;
  out->first_restart_frame = q->first_restart_frame;
  const child_sa_t *child = child_by_spi(engine, sa->key.spi);
  if (child && child->tunnel == sa->tunnel) {
    out->negotiated_frame = child->frame;
    out->deleted_frame = child->deleted_frame;
    out->rekeyed_frame = child->rekeyed_frame;
  }
  return TRUE;
}

gint ipsecdiag_engine_esp_sa_index(const ipsecdiag_engine_t *engine, guint32 spi, const ipsecdiag_addr_t *dst)
{
  esp_sa_key_t key = {.spi = spi, .dst = *dst};
  const esp_sa_t *sa = esp_sa_table_lookup(engine->esp_sas, &key);
  return sa ? (gint)sa->index : -1;
}

void ipsecdiag_engine_evaluate_esp_sa(const ipsecdiag_engine_t *engine, guint index, GPtrArray *out)
{
  const esp_sa_t *sa = sa_at(engine, index);
  if (!sa)
    return;
  const ipsecdiag_tunnel_t *tunnel = engine_tunnel_get(engine, sa->tunnel);
  if (sa->native_frame && tunnel)
    g_ptr_array_add(out, native_finding(engine, sa, tunnel, FALSE));
  if (sa->seq.restarts)
    g_ptr_array_add(out, restart_finding(engine, sa, FALSE));
  sa_findings(engine, sa, out);
}

void ipsecdiag_engine_esp_tunnel_totals(const ipsecdiag_engine_t *engine, guint32 tunnel,
                                        ipsecdiag_esp_tunnel_totals_t *out)
{
  memset(out, 0, sizeof *out);
  const tunnel_esp_t *t = tunnel_esp_const(engine, tunnel);
  for (guint i = 0; t && t->sa_indexes && i < t->sa_indexes->len; i++) {
    const esp_sa_t *sa = sa_at(engine, g_array_index(t->sa_indexes, guint32, i));
    if (!sa || sa->tunnel != tunnel || sa->direction > 1)
      continue;
    guint d = sa->direction;
    out->packets[d] += sa->packets;
    out->bytes[d] += sa->bytes;
    out->expected[d] += sequence_expected(&sa->seq);
    out->lost[d] += sequence_lost(&sa->seq);
    out->duplicates[d] += sa->seq.duplicates;
    out->spis[d]++;
  }
}
