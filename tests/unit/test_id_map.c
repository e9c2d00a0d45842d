/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag: the engine's map from an initiator SPI to its IKE SA id, and
 * from a frame number to its record (plugin/engine/engine_id_map.c). Both
 * kinds are checked against a GHashTable over many keys: growth, keys that
 * differ in one byte only, key 0, replacing an id; the frame map also with
 * increasing frame numbers and frames at the same place of many windows.
 */
#include <glib.h>

#include "../../plugin/engine/engine_private.h"

static void check_against_hash_table(id_map_t *map)
{
  GHashTable *reference = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
  GRand *rand = g_rand_new_with_seed(7);
  for (guint32 id = 1; id <= 100000; id++) {
    guint64 key;
    switch (id % 4) {
    case 0: key = ((guint64)g_rand_int(rand) << 32) | g_rand_int(rand); break;
    case 1: key = (guint64)(id % 251) << 56; break;        /* only the top byte differs */
    case 2: key = id / 2; break;                           /* small keys, 0 included */
    default: key = ((guint64)g_rand_int_range(rand, 0, 5000)) << 24; break;   /* repeats: replaced */
    }
    id_map_set(map, key, id);
    guint64 *k = g_new(guint64, 1);
    *k = key;
    g_hash_table_replace(reference, k, GUINT_TO_POINTER(id));
    if (id % 997 == 0)
      g_assert_cmpuint(id_map_lookup(map, key), ==, id);
  }
  GHashTableIter iter;
  gpointer k, v;
  g_hash_table_iter_init(&iter, reference);
  while (g_hash_table_iter_next(&iter, &k, &v))
    g_assert_cmpuint(id_map_lookup(map, *(guint64 *)k), ==, GPOINTER_TO_UINT(v));
  /* Keys never set. */
  for (guint i = 0; i < 10000; i++) {
    guint64 key = ((guint64)g_rand_int(rand) << 32) | g_rand_int(rand) | 1;
    if (!g_hash_table_contains(reference, &key))
      g_assert_cmpuint(id_map_lookup(map, key), ==, 0);
  }
  g_rand_free(rand);
  g_hash_table_destroy(reference);
  id_map_free(map);
  id_map_free(NULL);
}

static void test_against_hash_table(void)
{
  check_against_hash_table(id_map_new());
}

static void test_frames_against_hash_table(void)
{
  check_against_hash_table(id_map_new_for_frames());
}

/* As the engine uses it: increasing frame numbers with gaps, some records
 * replaced, and frames 4096 apart (the same place in their windows). */
static void test_frame_numbers(void)
{
  id_map_t *map = id_map_new_for_frames();
  GArray *frames = g_array_new(FALSE, FALSE, sizeof(guint32));
  GArray *ids = g_array_new(FALSE, FALSE, sizeof(guint32));
  GRand *rand = g_rand_new_with_seed(11);
  guint32 frame = 0;
  for (guint32 id = 1; id <= 50000; id++) {
    frame += id % 3 == 0 ? 4096 : (guint32)g_rand_int_range(rand, 1, 20);
    guint32 expected = id;
    id_map_set(map, frame, id);
    g_assert_cmpuint(id_map_lookup(map, frame), ==, id);
    if (id % 101 == 0) {
      expected = id + 100000;    /* a new record for the same frame */
      id_map_set(map, frame, expected);
    }
    g_array_append_val(frames, frame);
    g_array_append_val(ids, expected);
  }
  for (guint i = 0; i < frames->len; i++) {
    guint32 f = g_array_index(frames, guint32, i);
    g_assert_cmpuint(id_map_lookup(map, f), ==, g_array_index(ids, guint32, i));
    if (i + 1 < frames->len && g_array_index(frames, guint32, i + 1) > f + 1)
      g_assert_cmpuint(id_map_lookup(map, f + 1), ==, 0);
  }
  g_assert_cmpuint(id_map_lookup(map, (guint64)frame + 4096), ==, 0);
  g_rand_free(rand);
  g_array_free(frames, TRUE);
  g_array_free(ids, TRUE);
  id_map_free(map);
}

static void test_empty_and_zero_key(void)
{
  id_map_t *map = id_map_new();
  g_assert_cmpuint(id_map_lookup(map, 0), ==, 0);
  id_map_set(map, 0, 3);          /* an all-zero initiator SPI is still a key */
  g_assert_cmpuint(id_map_lookup(map, 0), ==, 3);
  id_map_set(map, 0, 9);
  g_assert_cmpuint(id_map_lookup(map, 0), ==, 9);
  g_assert_cmpuint(id_map_lookup(map, 1), ==, 0);
  id_map_free(map);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/id-map/against-hash-table", test_against_hash_table);
  g_test_add_func("/id-map/frames-against-hash-table", test_frames_against_hash_table);
  g_test_add_func("/id-map/frame-numbers", test_frame_numbers);
  g_test_add_func("/id-map/empty-and-zero-key", test_empty_and_zero_key);
  return g_test_run();
}
