/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag engine: the table of ESP SAs by SPI and receiver. Every ESP
 * packet looks its SA up here, and with thousands of tunnels the lookup is a
 * cache miss to main memory. GHashTable keeps hashes, keys and values in
 * three arrays (three misses, plus the SA); this open-addressing table keeps
 * the key next to the SA pointer, four slots to a cache line, so a lookup
 * costs the slot and the SA's first line, where the packet's fields are.
 * An IPv4 key is matched in the slot alone; an IPv6 one is folded into the
 * slot's address word and then compared with the SA's own key.
 */
#include <string.h>

#include "engine_private.h"

#define ESP_SA_TABLE_MIN_SLOTS 1024u

/* The fields an in-order packet touches are the SA's first cache line. */
G_STATIC_ASSERT(G_STRUCT_OFFSET(esp_sa_t, seq) + G_STRUCT_OFFSET(esp_sequence_t, window_implicit) < 64);
G_STATIC_ASSERT(G_STRUCT_OFFSET(esp_sa_t, last_time) + sizeof(double) <= 64);

/* 16 bytes. */
typedef struct {
  guintptr sa;                   /* esp_sa_t* with the address family in its low bits (the SA is
                                    64-byte aligned); 0 empty (SAs are never removed) */
  guint32 spi;
  guint32 dst_word;              /* esp_sa_dst_word */
} esp_sa_slot_t;

struct esp_sa_table {
  esp_sa_slot_t *slots;
  guint mask;                    /* slots - 1, a power of two */
  guint count;
};

#define SLOT_FAMILY_MASK ((guintptr)7)

static esp_sa_t *slot_sa(const esp_sa_slot_t *slot)
{
  return (esp_sa_t *)(slot->sa & ~SLOT_FAMILY_MASK);
}

/* The IPv4 address itself; a fold of an IPv6 one. */
static guint32 esp_sa_dst_word(const ipsecdiag_addr_t *dst)
{
  guint32 w[4];
  memcpy(w, dst->bytes, sizeof w);
  return dst->family == 6 ? w[0] ^ w[1] ^ w[2] ^ w[3] : w[0];
}

/* Whether the slot holds this key; for IPv6 the SA's key decides. */
static inline gboolean slot_matches(const esp_sa_slot_t *slot, const esp_sa_key_t *key, guint32 dst_word)
{
  if (slot->spi != key->spi || slot->dst_word != dst_word || (slot->sa & SLOT_FAMILY_MASK) != key->dst.family)
    return FALSE;
  if (key->dst.family != 6)
    return TRUE;
  return memcmp(slot_sa(slot)->key.dst.bytes, key->dst.bytes, 16) == 0;
}

/* A few multiplications over the SPI and the address words (only the 4
 * bytes an IPv4 address has, as slot_matches compares). */
IPSECDIAG_HOT guint32 esp_sa_key_hash(const esp_sa_key_t *k)
{
  guint32 w[4];
  memcpy(w, k->dst.bytes, sizeof w);
  guint64 h = ((guint64)k->spi << 32 | w[0]) * 0x9e3779b97f4a7c15ull;
  if (k->dst.family == 6)
    h ^= ((guint64)w[1] << 32 | w[2]) * 0xc2b2ae3d27d4eb4full + w[3];
  h = (h ^ (h >> 29)) * 0xbf58476d1ce4e5b9ull;
  return (guint32)(h ^ (h >> 32)) ^ k->dst.family;
}

static esp_sa_slot_t *slots_new(gsize n)
{
  return hot_block_alloc0(n * sizeof(esp_sa_slot_t));
}

esp_sa_table_t *esp_sa_table_new(void)
{
  esp_sa_table_t *table = g_new0(esp_sa_table_t, 1);
  table->slots = slots_new(ESP_SA_TABLE_MIN_SLOTS);
  table->mask = ESP_SA_TABLE_MIN_SLOTS - 1;
  return table;
}

void esp_sa_table_free(esp_sa_table_t *table)
{
  if (!table)
    return;
  g_aligned_free(table->slots);
  g_free(table);
}

guint esp_sa_table_size(const esp_sa_table_t *table)
{
  return table->count;
}

IPSECDIAG_HOT esp_sa_t *esp_sa_table_lookup(const esp_sa_table_t *table, const esp_sa_key_t *key)
{
  guint32 dst_word = esp_sa_dst_word(&key->dst);
  /* Linear probing; the table is at most half full, so this ends at an empty slot. */
  for (guint i = esp_sa_key_hash(key) & table->mask;; i = (i + 1) & table->mask) {
    const esp_sa_slot_t *slot = &table->slots[i];
    if (!slot->sa)
      return NULL;
    if (slot_matches(slot, key, dst_word))
      return slot_sa(slot);
  }
}

IPSECDIAG_HOT void esp_sa_table_prefetch_slot(const esp_sa_table_t *table, guint32 hash)
{
  __builtin_prefetch(&table->slots[hash & table->mask]);
}

IPSECDIAG_HOT void esp_sa_table_prefetch_sa(const esp_sa_table_t *table, guint32 hash, const esp_sa_key_t *key)
{
  /* Only the slots are read: an IPv6 key's first slot with the same SPI and
   * folded address is almost always its SA (a wrong guess costs a wasted
   * prefetch, not a result). */
  guint32 dst_word = esp_sa_dst_word(&key->dst);
  for (guint i = hash & table->mask;; i = (i + 1) & table->mask) {
    const esp_sa_slot_t *slot = &table->slots[i];
    if (!slot->sa)
      return;
    if (slot->spi == key->spi && slot->dst_word == dst_word) {
      __builtin_prefetch(slot_sa(slot), 1);
      return;
    }
  }
}

static void place(esp_sa_slot_t *slots, guint mask, esp_sa_t *sa)
{
  guint i = esp_sa_key_hash(&sa->key) & mask;
  while (slots[i].sa)
    i = (i + 1) & mask;
  slots[i] = (esp_sa_slot_t){.sa = (guintptr)sa | sa->key.dst.family, .spi = sa->key.spi,
                             .dst_word = esp_sa_dst_word(&sa->key.dst)};
}

/* Takes ownership of sa (64-byte aligned); its key must not be in the table yet. */
void esp_sa_table_insert(esp_sa_table_t *table, esp_sa_t *sa)
{
  g_assert(((guintptr)sa & SLOT_FAMILY_MASK) == 0 && sa->key.dst.family <= SLOT_FAMILY_MASK);
  if ((table->count + 1) * 2 > table->mask + 1) {
    guint new_mask = table->mask * 2 + 1;
    esp_sa_slot_t *slots = slots_new((gsize)new_mask + 1);
    for (guint i = 0; i <= table->mask; i++)
      if (table->slots[i].sa)
        place(slots, new_mask, slot_sa(&table->slots[i]));
    g_aligned_free(table->slots);
    table->slots = slots;
    table->mask = new_mask;
  }
  place(table->slots, table->mask, sa);
  table->count++;
}
