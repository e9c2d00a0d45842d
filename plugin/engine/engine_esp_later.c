/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag engine: ESP packets counted late. With thousands of tunnels an
 * ESP packet's SA is not in the cache, and finding it costs two trips to
 * memory in a row (the table's slot, then the SA). When nobody needs the
 * packet's result at once (tshark without a tree or tap), the packet is
 * held: its slot is prefetched when it is fed, its SA when the next ESP
 * packet is fed, and it is counted when the one after that is fed, by then
 * from the cache. tshark's work on the packets in between hides the memory
 * latency. Counting is the same code in the same order, only later.
 */
#include "engine_private.h"

static esp_later_t *later_at(ipsecdiag_engine_t *engine, guint position)
{
  return &engine->esp_later[(engine->esp_later_first + position) % ESP_LATER_DEPTH];
}

/* Counts the oldest held packet. */
static IPSECDIAG_HOT void complete_first(ipsecdiag_engine_t *engine)
{
  esp_later_t later = *later_at(engine, 0);
  engine->esp_later_first = (engine->esp_later_first + 1) % ESP_LATER_DEPTH;
  engine->esp_later_count--;
  engine_feed_esp_now(engine, &later.pkt, later.spi, later.sequence, later.length);
}

void engine_esp_later_complete(ipsecdiag_engine_t *engine)
{
  while (engine->esp_later_count)
    complete_first(engine);
}

void ipsecdiag_engine_flush(ipsecdiag_engine_t *engine)
{
  engine_settle(engine);
}

IPSECDIAG_HOT void ipsecdiag_engine_feed_esp_later(ipsecdiag_engine_t *engine, const ipsecdiag_packet_t *pkt,
                                     guint32 spi, guint32 sequence, guint32 esp_length)
{
  if (engine->esp_later_count == ESP_LATER_DEPTH)
    complete_first(engine);
  /* Only the newest held packet has not had its SA requested: its slot was
   * requested one packet ago. (After the completion above, which may have
   * added an SA it uses.) */
  if (engine->esp_later_count) {
    const esp_later_t *newest = later_at(engine, engine->esp_later_count - 1);
    esp_sa_key_t newest_key = {.spi = newest->spi, .dst = newest->pkt.dst.addr};
    esp_sa_table_prefetch_sa(engine->esp_sas, newest->hash, &newest_key);
  }
  esp_later_t *later = later_at(engine, engine->esp_later_count);
  later->pkt = *pkt;
  later->spi = spi;
  later->sequence = sequence;
  later->length = esp_length;
  esp_sa_key_t key = {.spi = spi, .dst = pkt->dst.addr};
  later->hash = esp_sa_key_hash(&key);
  engine->esp_later_count++;
  esp_sa_table_prefetch_slot(engine->esp_sas, later->hash);
}
