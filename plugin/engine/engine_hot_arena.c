/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag engine: memory for the records every ESP packet touches (ESP SAs,
 * the tunnels' ESP records). With thousands of SAs, one allocation each
 * spreads them over as many 4 KiB pages, and each packet then also pays for
 * a page-table walk (the TLB holds far fewer pages than a big capture's SAs
 * use, and tshark's own data competes for it). Here they are packed into
 * blocks that grow to 2 MiB, 2 MiB aligned, and the kernel is asked to back
 * those with huge pages (MADV_HUGEPAGE; a no-op where not supported). Small
 * captures keep small blocks.
 *
 * The engine keeps a second arena for the records an IKE message touches
 * (frame records, IKE SAs and their message lists): allocated one by one
 * from the heap, they would be scattered among tshark's own per-packet
 * allocations, and each IKE message would then touch more pages.
 *
 * Records are freed together with the arena. Under AddressSanitizer every
 * record is a separate allocation instead, so that an overrun is still
 * caught at the record's end.
 */
#include <string.h>
#ifdef __linux__
#include <sys/mman.h>
#endif

#include "engine_private.h"

#if defined(__SANITIZE_ADDRESS__)
#define HOT_ARENA_SEPARATE 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HOT_ARENA_SEPARATE 1
#endif
#endif

#define HOT_ARENA_FIRST_BLOCK (16u * 1024u)
#define HOT_ARENA_HUGE_PAGE (2u * 1024u * 1024u)
#define HOT_ARENA_ALIGN 64u

struct hot_arena {
  GPtrArray *blocks;             /* g_aligned_alloc'd blocks, or records under ASan */
  guint8 *next, *end;            /* free space in the newest block */
  gsize block_size;              /* of the newest block */
  gsize allocated;               /* bytes in blocks (for the memory note in tests) */
};

hot_arena_t *hot_arena_new(void)
{
  hot_arena_t *arena = g_new0(hot_arena_t, 1);
  arena->blocks = g_ptr_array_new_with_free_func(g_aligned_free);
  return arena;
}

void hot_arena_free(hot_arena_t *arena)
{
  if (!arena)
    return;
  g_ptr_array_free(arena->blocks, TRUE);
  g_free(arena);
}

gsize hot_arena_allocated(const hot_arena_t *arena)
{
  return arena->allocated;
}

#ifndef HOT_ARENA_SEPARATE
/* size bytes, 64-byte aligned; from 1 MiB on, rounded up to whole 2 MiB
 * pages, aligned to them and advised as huge (a huge page needs the whole
 * aligned 2 MiB in the allocation). Freed with g_aligned_free. */
static void *block_alloc(gsize *size)
{
  if (*size < HOT_ARENA_HUGE_PAGE / 2)
    return g_aligned_alloc(1, *size, HOT_ARENA_ALIGN);
  *size = (*size + HOT_ARENA_HUGE_PAGE - 1) & ~(gsize)(HOT_ARENA_HUGE_PAGE - 1);
  void *block = g_aligned_alloc(1, *size, HOT_ARENA_HUGE_PAGE);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  (void)madvise(block, *size, MADV_HUGEPAGE);   /* advice only: a refusal changes nothing else */
#endif
  return block;
}

static void new_block(hot_arena_t *arena, gsize need)
{
  gsize size = arena->block_size ? MIN(arena->block_size * 2, (gsize)HOT_ARENA_HUGE_PAGE) : HOT_ARENA_FIRST_BLOCK;
  while (size < need)
    size *= 2;
  guint8 *block = block_alloc(&size);
  g_ptr_array_add(arena->blocks, block);
  arena->next = block;
  arena->end = block + size;
  arena->block_size = size;
  arena->allocated += size;
}
#endif

void *hot_block_alloc0(gsize size)
{
#ifdef HOT_ARENA_SEPARATE
  return g_aligned_alloc0(1, size, HOT_ARENA_ALIGN);
#else
  gsize rounded = size;
  void *block = block_alloc(&rounded);
  memset(block, 0, size);
  return block;
#endif
}

static void *arena_alloc0(hot_arena_t *arena, gsize size, gsize align)
{
#ifdef HOT_ARENA_SEPARATE
  void *record = g_aligned_alloc0(1, size, align);
  g_ptr_array_add(arena->blocks, record);
  arena->allocated += size;
  return record;
#else
  guint8 *start = (guint8 *)(((guintptr)arena->next + align - 1) & ~(guintptr)(align - 1));
  if (!arena->next || start > arena->end || (gsize)(arena->end - start) < size) {
    new_block(arena, size);
    start = arena->next;           /* blocks are 64-byte aligned */
  }
  arena->next = start + size;
  memset(start, 0, size);
  return start;
#endif
}

/* Zeroed, 64-byte aligned (records are laid out by cache line). */
void *hot_arena_alloc0(hot_arena_t *arena, gsize size)
{
  return arena_alloc0(arena, size, HOT_ARENA_ALIGN);
}

/* Zeroed, 16-byte aligned: records packed next to each other. */
void *hot_arena_alloc0_packed(hot_arena_t *arena, gsize size)
{
  return arena_alloc0(arena, size, 16);
}
