/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the IKE message parser: parses the input as an IKE
 * message, then again with the first 4 bytes skipped (as after a UDP 4500
 * non-ESP marker), checks that the result stays inside its caps and that
 * every pointer it holds stays inside the input, and renders every proposal
 * and a few names of what was found.
 *
 * Seed corpus (corpus/fuzz_ike_parse/): the real-* files are cleartext IKE
 * messages from Wireshark 4.0.17 test suite (test/captures),
 * GPL-2.0-or-later; the hand-* files are built to reach the payload kinds
 * those captures lack (Quick Mode, Notify/Delete, fragments, TS, SKF).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <glib.h>

#include "ipsecdiag/ike_names.h"
#include "ipsecdiag/ike_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* g_assert can be compiled out; these checks must never be. */
#define FUZZ_CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

static void check_span(const guint8 *p, gsize n, const guint8 *data, gsize size)
{
  if (p == NULL)
    return;
  FUZZ_CHECK(p >= data && n <= size && p - data <= (ptrdiff_t)(size - n));
}

static void check_message(const ike_message_t *msg, const guint8 *data, gsize size)
{
  gsize limit = MIN(size, (gsize)msg->length);
  guint i;

  FUZZ_CHECK(msg->n_payloads <= IKE_MAX_PAYLOADS);
  FUZZ_CHECK(msg->n_proposals <= IKE_MAX_PROPOSALS);
  FUZZ_CHECK(msg->n_notifies <= IKE_MAX_NOTIFIES);
  FUZZ_CHECK(msg->n_vendor_ids <= IKE_MAX_VENDOR_IDS);
  FUZZ_CHECK(msg->n_natd <= IKE_MAX_NATD);
  FUZZ_CHECK(msg->n_tsi <= IKE_MAX_TS && msg->n_tsr <= IKE_MAX_TS);
  FUZZ_CHECK(msg->n_ids <= G_N_ELEMENTS(msg->ids));
  FUZZ_CHECK(msg->delete_n_stored <= IKE_MAX_DELETE_SPIS);
  FUZZ_CHECK(msg->status == IKE_PARSE_OK || msg->error_offset <= size);
  for (i = 0; i < msg->n_payloads; i++)
    FUZZ_CHECK(msg->payloads[i].length >= 4 &&
               (gsize)msg->payloads[i].offset + msg->payloads[i].length <= limit);
  for (i = 0; i < msg->n_proposals; i++)
    FUZZ_CHECK(msg->proposals[i].n_transforms <= IKE_MAX_TRANSFORMS);
  for (i = 0; i < msg->n_notifies; i++) {
    check_span(msg->notifies[i].spi, msg->notifies[i].spi_size, data, limit);
    check_span(msg->notifies[i].data, msg->notifies[i].data_len, data, limit);
  }
  for (i = 0; i < msg->n_vendor_ids; i++)
    check_span(msg->vendor_ids[i].data, msg->vendor_ids[i].len, data, limit);
  for (i = 0; i < msg->n_natd; i++)
    check_span(msg->natd[i].data, msg->natd[i].len, data, limit);
  for (i = 0; i < msg->n_ids; i++)
    check_span(msg->ids[i].data, msg->ids[i].data_len, data, limit);
  check_span(msg->ke_data, msg->ke_len, data, limit);
  check_span(msg->nonce, msg->nonce_len, data, limit);
  check_span(msg->hash, msg->hash_len, data, limit);
  check_span(msg->auth, msg->auth_len, data, limit);
  check_span(msg->delete_spis, (gsize)msg->delete_n_stored * msg->delete_spi_size, data, limit);
}

static void render_message(const ike_message_t *msg)
{
  char text[160];
  char tiny[5];
  volatile size_t sink = 0;
  guint p, t, i;

  for (p = 0; p < msg->n_proposals; p++) {
    guint n = ike_is_v2(msg) ? 1 : MAX(msg->proposals[p].n_transforms, 1u);
    for (t = 0; t < n; t++) {
      ike_proposal_describe(msg, p, t, text, sizeof text);
      FUZZ_CHECK(strlen(text) < sizeof text);
      ike_proposal_describe(msg, p, t, tiny, sizeof tiny);
      FUZZ_CHECK(strlen(tiny) < sizeof tiny);
    }
  }
  for (i = 0; i < msg->n_notifies; i++) {
    sink += strlen(ike_notify_name(msg->notifies[i].type));
    sink += strlen(ike_notify_name_for_version(msg->major_version, msg->notifies[i].type));
    sink += ike_notify_is_error(msg->major_version, msg->notifies[i].type);
  }
  for (i = 0; i < msg->n_payloads; i++)
    sink += strlen(ike_payload_name(msg->payloads[i].type));
  sink += strlen(ike_exchange_name(msg->exchange_type));
  sink += strlen(ike_dh_group_name(msg->ke_group)) + ike_dh_group_bits(msg->ke_group);
  sink += strlen(ike_parse_status_name(msg->status));
  (void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  /* Static: the result is too large to put on the stack each run. */
  static ike_message_t msg;

  ike_parse_message(data, size, &msg);
  check_message(&msg, data, size);
  render_message(&msg);
  (void)ike_message_find_notify(&msg, IKE_N_NO_PROPOSAL_CHOSEN);

  if (size > 4) {
    ike_parse_message(data + 4, size - 4, &msg);
    check_message(&msg, data + 4, size - 4);
    render_message(&msg);
  }

  ike_parse_header(data, size, &msg);
  return 0;
}
