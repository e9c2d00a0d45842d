/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag engine: the table of ESP SAs by SPI and receiver. Every ESP
 * packet looks its SA up here, and with thousands of tunnels the lookup is a
 * cache miss to main memory. GHashTable keeps hashes, keys and values in
 * three arrays (three misses, plus the SA); this open-addressing table keeps
 * the SPI next to the SA pointer, so a lookup usually costs the slot and the
 * SA, whose key shares a cache line with the fields the packet updates.
 *
 * A slot also holds a hint: the address of the other record the packet will
 * update (its sender's line in the tunnel's ESP record). Fetching it from the
 * slot, together with the SA, makes the packet wait for two cache misses in a
 * row instead of three (slot, then SA, then the address the SA holds).
 */
#include <string.h>

#include "engine_private.h"

#define ESP_SA_TABLE_MIN_SLOTS 1024u

/* 32 bytes: two slots to a cache line. */
typedef struct {
  esp_sa_t *sa;                  /* NULL: empty (SAs are never removed) */
  const void *hint;              /* esp_sa_table_set_hint; NULL none */
  guint32 spi;
  guint32 hash;
  guint64 unused;
} esp_sa_slot_t;

struct esp_sa_table {
  esp_sa_slot_t *slots;
  guint mask;                    /* slots - 1, a power of two */
  guint count;
};

/* A few multiplications over the SPI and the address words (only the 4
 * bytes an IPv4 address has, as esp_sa_key_equal compares). */
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

static gboolean esp_sa_key_equal(const esp_sa_key_t *x, const esp_sa_key_t *y)
{
  return x->spi == y->spi && x->dst.family == y->dst.family
         && memcmp(x->dst.bytes, y->dst.bytes, x->dst.family == 6 ? 16 : 4) == 0;
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
  guint32 hash = esp_sa_key_hash(key);
  /* Linear probing; the table is at most half full, so this ends at an empty slot. */
  for (guint i = hash & table->mask;; i = (i + 1) & table->mask) {
    const esp_sa_slot_t *slot = &table->slots[i];
    if (!slot->sa)
      return NULL;
    if (slot->hash == hash && slot->spi == key->spi) {
      /* The packet will update the SA's second cache line and the hinted
       * record: fetch them while the key is compared. */
      __builtin_prefetch((const char *)slot->sa + 64, 1);
      if (slot->hint)
        __builtin_prefetch(slot->hint, 1);
      if (esp_sa_key_equal(&slot->sa->key, key))
        return slot->sa;
    }
  }
}

IPSECDIAG_HOT void esp_sa_table_prefetch_slot(const esp_sa_table_t *table, guint32 hash)
{
  __builtin_prefetch(&table->slots[hash & table->mask]);
}

IPSECDIAG_HOT void esp_sa_table_prefetch_sa(const esp_sa_table_t *table, guint32 hash, guint32 spi)
{
  /* Only the slots are read: the first whose hash and SPI match is almost
   * always the SA (a wrong guess costs a wasted prefetch, not a result). */
  for (guint i = hash & table->mask;; i = (i + 1) & table->mask) {
    const esp_sa_slot_t *slot = &table->slots[i];
    if (!slot->sa)
      return;
    if (slot->hash == hash && slot->spi == spi) {
      __builtin_prefetch(slot->sa, 1);
      __builtin_prefetch((const char *)slot->sa + 64, 1);
      if (slot->hint)
        __builtin_prefetch(slot->hint, 1);
      return;
    }
  }
}

static void place(esp_sa_slot_t *slots, guint mask, esp_sa_t *sa, const void *hint, guint32 hash)
{
  guint i = hash & mask;
  while (slots[i].sa)
    i = (i + 1) & mask;
  slots[i] = (esp_sa_slot_t){.sa = sa, .hint = hint, .spi = sa->key.spi, .hash = hash};
}

/* Takes ownership of sa; its key must not be in the table yet. */
void esp_sa_table_insert(esp_sa_table_t *table, esp_sa_t *sa)
{
  if ((table->count + 1) * 2 > table->mask + 1) {
    guint new_mask = table->mask * 2 + 1;
    esp_sa_slot_t *slots = slots_new((gsize)new_mask + 1);
    for (guint i = 0; i <= table->mask; i++)
      if (table->slots[i].sa)
        place(slots, new_mask, table->slots[i].sa, table->slots[i].hint, table->slots[i].hash);
    g_aligned_free(table->slots);
    table->slots = slots;
    table->mask = new_mask;
  }
  place(table->slots, table->mask, sa, NULL, esp_sa_key_hash(&sa->key));
  table->count++;
}

/* Sets what a lookup of sa prefetches besides the SA (NULL: nothing). sa
 * must be in the table. */
void esp_sa_table_set_hint(esp_sa_table_t *table, const esp_sa_t *sa, const void *hint)
{
  guint32 hash = esp_sa_key_hash(&sa->key);
  for (guint i = hash & table->mask;; i = (i + 1) & table->mask) {
    esp_sa_slot_t *slot = &table->slots[i];
    g_assert(slot->sa);
    if (slot->sa == sa) {
      slot->hint = hint;
      return;
    }
  }
}
