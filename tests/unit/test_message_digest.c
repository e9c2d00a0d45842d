/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag: the digest by which the engine tells a resent IKE message from
 * a new one (engine_message_digest in plugin/engine/engine.c). Equal bytes
 * give equal digests; a one-bit change anywhere, a different length, or
 * random messages of one length give different ones.
 */
#include <glib.h>
#include <string.h>

#include "../../plugin/engine/engine_private.h"

static void test_equal_bytes(void)
{
  guint8 a[300], b[300];
  for (guint i = 0; i < sizeof a; i++)
    a[i] = b[i] = (guint8)(i * 7 + 3);
  for (gsize len = 0; len <= sizeof a; len++)
    g_assert_cmphex(engine_message_digest(a, len), ==, engine_message_digest(b, len));
  g_assert_cmphex(engine_message_digest(NULL, 0), ==, engine_message_digest(a, 0));
}

/* Every length up to five stripes of 32 bytes, every bit of every byte:
 * the lanes, the 8-byte tail and the byte tail all count. */
static void test_one_bit_changes(void)
{
  guint8 data[160];
  for (guint i = 0; i < sizeof data; i++)
    data[i] = (guint8)(i * 13);
  for (gsize len = 1; len <= sizeof data; len++) {
    guint64 original = engine_message_digest(data, len);
    for (gsize byte = 0; byte < len; byte++)
      for (guint bit = 0; bit < 8; bit++) {
        data[byte] ^= (guint8)(1u << bit);
        g_assert_cmphex(engine_message_digest(data, len), !=, original);
        data[byte] ^= (guint8)(1u << bit);
      }
  }
}

/* Zeros of different lengths, and the same bytes cut short. */
static void test_lengths(void)
{
  guint8 zeros[256];
  memset(zeros, 0, sizeof zeros);
  GHashTable *seen = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
  for (gsize len = 0; len <= sizeof zeros; len++) {
    guint64 *digest = g_new(guint64, 1);
    *digest = engine_message_digest(zeros, len);
    g_assert_false(g_hash_table_contains(seen, digest));
    g_hash_table_add(seen, digest);
  }
  g_hash_table_destroy(seen);
}

static void test_random_messages(void)
{
  GRand *rand = g_rand_new_with_seed(5);
  GHashTable *seen = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
  guint8 data[72];                      /* an IKE header and a little more */
  for (guint n = 0; n < 100000; n++) {
    for (guint i = 0; i < sizeof data; i++)
      data[i] = (guint8)g_rand_int_range(rand, 0, 4);   /* few values: near messages */
    guint64 *digest = g_new(guint64, 1);
    *digest = engine_message_digest(data, sizeof data);
    if (!g_hash_table_contains(seen, digest))
      g_hash_table_add(seen, digest);
    else
      g_free(digest);
  }
  /* 4^72 possible messages: a repeat here would be a collision, not chance. */
  g_assert_cmpuint(g_hash_table_size(seen), ==, 100000);
  g_hash_table_destroy(seen);
  g_rand_free(rand);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/message-digest/equal-bytes", test_equal_bytes);
  g_test_add_func("/message-digest/one-bit-changes", test_one_bit_changes);
  g_test_add_func("/message-digest/lengths", test_lengths);
  g_test_add_func("/message-digest/random-messages", test_random_messages);
  return g_test_run();
}
