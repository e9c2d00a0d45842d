/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag engine: a map from a 64-bit key to a 32-bit id: IKE initiator
 * SPI to IKE SA id, frame number to the index of its record, the digest of
 * two peers' addresses to their newest IKE SA. Every IKE message looks the
 * first two up, every new ESP SA the third. A GHashTable keeps hashes, keys
 * and values in three arrays (and a 64-bit key in an allocation of its
 * own), so that a lookup touches three or four places in memory; here key
 * and id share one 16-byte slot.
 *
 * Frame numbers come in increasing order, and a frame's record is looked up
 * soon after it is made. A frame map (id_map_new_for_frames) keeps frames
 * of one 4096-frame window in consecutive slots, so that making and finding
 * records walks a few pages in order instead of one random cache line and
 * page per frame; the windows themselves are spread by a hash.
 */
#include "engine_private.h"

#define ID_MAP_MIN_SLOTS 256u

typedef struct {
  guint64 key;
  guint32 id;                    /* 0: empty (ids start at 1) */
} id_slot_t;

struct id_map {
  id_slot_t *slots;
  guint mask;                    /* slots - 1, a power of two */
  guint count;
  gboolean by_window;            /* frame numbers: see above */
};

#define FRAME_WINDOW_BITS 12

/* All 64 bits count: SPIs may differ only in a few bytes. */
static guint32 mix(guint64 k)
{
  k = (k ^ (k >> 33)) * 0xff51afd7ed558ccdull;
  k = (k ^ (k >> 33)) * 0xc4ceb9fe1a85ec53ull;
  return (guint32)(k ^ (k >> 33));
}

/* A frame map keeps the low bits of the frame number (its place in its
 * window) and moves the window by a hash of the rest. */
static guint32 key_hash(const id_map_t *map, guint64 k)
{
  if (map->by_window)
    return (guint32)k ^ (mix(k >> FRAME_WINDOW_BITS) << FRAME_WINDOW_BITS);
  return mix(k);
}

id_map_t *id_map_new(void)
{
  id_map_t *map = g_new0(id_map_t, 1);
  map->slots = g_new0(id_slot_t, ID_MAP_MIN_SLOTS);
  map->mask = ID_MAP_MIN_SLOTS - 1;
  return map;
}

id_map_t *id_map_new_for_frames(void)
{
  id_map_t *map = id_map_new();
  map->by_window = TRUE;
  return map;
}

void id_map_free(id_map_t *map)
{
  if (!map)
    return;
  g_free(map->slots);
  g_free(map);
}

guint32 id_map_lookup(const id_map_t *map, guint64 key)
{
  /* Linear probing; at most half full, so this ends at an empty slot. */
  for (guint i = key_hash(map, key) & map->mask;; i = (i + 1) & map->mask) {
    const id_slot_t *slot = &map->slots[i];
    if (!slot->id)
      return 0;
    if (slot->key == key)
      return slot->id;
  }
}

static id_slot_t *find_slot(const id_map_t *map, id_slot_t *slots, guint mask, guint64 key)
{
  guint i = key_hash(map, key) & mask;
  while (slots[i].id && slots[i].key != key)
    i = (i + 1) & mask;
  return &slots[i];
}

void id_map_set(id_map_t *map, guint64 key, guint32 id)
{
  g_return_if_fail(id != 0);
  id_slot_t *slot = find_slot(map, map->slots, map->mask, key);
  if (slot->id) {
    slot->id = id;               /* the newest SA with the key */
    return;
  }
  if ((map->count + 1) * 2 > map->mask + 1) {
    guint new_mask = map->mask * 2 + 1;
    id_slot_t *slots = g_new0(id_slot_t, (gsize)new_mask + 1);
    for (guint i = 0; i <= map->mask; i++)
      if (map->slots[i].id)
        *find_slot(map, slots, new_mask, map->slots[i].key) = map->slots[i];
    g_free(map->slots);
    map->slots = slots;
    map->mask = new_mask;
    slot = find_slot(map, map->slots, map->mask, key);
  }
  slot->key = key;
  slot->id = id;
  map->count++;
}
