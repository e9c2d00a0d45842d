/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag: the engine's hot arena (plugin/engine/engine_hot_arena.c), which
 * packs ESP SAs and the tunnels' ESP records into blocks growing to 2 MiB
 * huge pages. Records must be zeroed, 64-byte aligned and never overlap,
 * across block boundaries and in the huge blocks; a big table from
 * hot_block_alloc0 must be zeroed and aligned too. Packed records (the
 * records arena of frame records and IKE SAs) are 16-byte aligned and may
 * follow 64-byte aligned ones in the same arena. The engine's own bounds
 * test (400 000 SAs) runs through the same code; this one checks every byte.
 */
#include <glib.h>
#include <string.h>

#include "../../plugin/engine/engine_private.h"

/* As engine_hot_arena.c decides. */
#if defined(__SANITIZE_ADDRESS__)
static const gboolean separate_allocations = TRUE;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
static const gboolean separate_allocations = TRUE;
#else
static const gboolean separate_allocations = FALSE;
#endif
#else
static const gboolean separate_allocations = FALSE;
#endif

static void fill(guint8 *record, gsize size, guint32 tag)
{
  for (gsize i = 0; i < size; i++)
    record[i] = (guint8)(tag * 131 + i);
}

static gboolean holds(const guint8 *record, gsize size, guint32 tag)
{
  for (gsize i = 0; i < size; i++)
    if (record[i] != (guint8)(tag * 131 + i))
      return FALSE;
  return TRUE;
}

/* n records of the given sizes in turn; every aligned_every-th one (1: all)
 * from hot_arena_alloc0 (64-byte aligned), the others packed (16 bytes).
 * Each must be zeroed and aligned, and none may overlap another: each is
 * filled with its own pattern and all are checked at the end (an overlap
 * with a later record would have been zeroed or overwritten). */
static void check_records(const gsize *sizes, guint n_sizes, guint n, guint aligned_every)
{
  hot_arena_t *arena = hot_arena_new();
  guint8 **records = g_new(guint8 *, n);
  gsize total = 0;
  for (guint i = 0; i < n; i++) {
    gsize size = sizes[i % n_sizes];
    gboolean aligned = i % aligned_every == aligned_every - 1;
    records[i] = aligned ? hot_arena_alloc0(arena, size) : hot_arena_alloc0_packed(arena, size);
    g_assert_nonnull(records[i]);
    g_assert_cmpuint(GPOINTER_TO_SIZE(records[i]) % (aligned ? 64 : 16), ==, 0);
    for (gsize b = 0; b < size; b++)
      g_assert_cmpuint(records[i][b], ==, 0);
    fill(records[i], size, i);
    total += size;
  }
  for (guint i = 0; i < n; i++)
    g_assert_true(holds(records[i], sizes[i % n_sizes], i));
  g_assert_cmpuint(hot_arena_allocated(arena), >=, total);
  /* Alignment padding and the last block's free space, not more than
   * twice what was asked (plus the first block). */
  g_assert_cmpuint(hot_arena_allocated(arena), <=, 2 * (total + 64 * n) + 16 * 1024);
  /* Consecutive packed records are adjacent (not spread like the heap),
   * except under AddressSanitizer, where each is its own allocation. */
  if (aligned_every > 2 && !separate_allocations)
    g_assert_cmpuint(GPOINTER_TO_SIZE(records[1]) - GPOINTER_TO_SIZE(records[0]), ==,
                     (sizes[0] + 15) / 16 * 16);
  g_free(records);
  hot_arena_free(arena);
}

static void test_records_zeroed_aligned_disjoint(void)
{
  /* Sizes like the ESP records (an SA is 312 bytes), and odd ones; enough
   * records to fill blocks from 16 KiB up to several 2 MiB blocks. */
  const gsize sizes[] = {312, 1, 64, 65, 200, 4000};
  check_records(sizes, G_N_ELEMENTS(sizes), 30000, 1);
}

static void test_packed_records(void)
{
  /* A frame record is 88 bytes, an IKE SA 352, a message list 896 and up;
   * every fifth one cache-line aligned: both kinds share the blocks. */
  const gsize sizes[] = {88, 352, 896, 1, 17, 7168, 88, 3000};
  check_records(sizes, G_N_ELEMENTS(sizes), 40000, 5);
}

static void test_big_record_gets_its_own_block(void)
{
  hot_arena_t *arena = hot_arena_new();
  guint8 *small = hot_arena_alloc0(arena, 100);
  fill(small, 100, 7);
  gsize big_size = 3u * 1024 * 1024;   /* larger than any block the arena would pick */
  guint8 *big = hot_arena_alloc0(arena, big_size);
  g_assert_cmpuint(GPOINTER_TO_SIZE(big) % 64, ==, 0);
  for (gsize b = 0; b < big_size; b += 4093)
    g_assert_cmpuint(big[b], ==, 0);
  fill(big, big_size, 9);
  g_assert_true(holds(small, 100, 7));
  g_assert_true(holds(big, big_size, 9));
  hot_arena_free(arena);
  hot_arena_free(NULL);   /* like g_free */
}

static void test_hot_block(void)
{
  const gsize sizes[] = {32 * 1024, 1024 * 1024, 3 * 1024 * 1024 + 32};
  for (guint i = 0; i < G_N_ELEMENTS(sizes); i++) {
    guint8 *block = hot_block_alloc0(sizes[i]);
    g_assert_cmpuint(GPOINTER_TO_SIZE(block) % 64, ==, 0);
    for (gsize b = 0; b < sizes[i]; b++)
      if (block[b])
        g_assert_cmpuint(block[b], ==, 0);
    fill(block, sizes[i], i);
    g_assert_true(holds(block, sizes[i], i));
    g_aligned_free(block);
  }
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/hot-arena/records", test_records_zeroed_aligned_disjoint);
  g_test_add_func("/hot-arena/packed", test_packed_records);
  g_test_add_func("/hot-arena/big-record", test_big_record_gets_its_own_block);
  g_test_add_func("/hot-arena/block", test_hot_block);
  return g_test_run();
}
