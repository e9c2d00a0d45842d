/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag: unit tests of the IKE message parser (ike_parse.c). Real
 * cleartext messages from Wireshark's test captures check the decoded values
 * against what Wireshark's dissector shows; hand-built messages cover every
 * payload kind of both versions, encryption, fragments, and every way a
 * length can lie; every truncation and many single-byte corruptions of each
 * message are parsed as exact-size heap copies so that a sanitizer build
 * catches any read past the end.
 */
#include <glib.h>
#include <string.h>

#include "ipsecdiag/ike_names.h"
#include "ipsecdiag/ike_parse.h"

/* The parse result is large; one static instance serves every test. */
static ike_message_t msg;

/* ---------- helpers ---------- */

static GBytes *bytes_from_hex(const char *hex)
{
  gsize n = strlen(hex) / 2, i;
  guint8 *out = g_malloc(n ? n : 1);

  g_assert_cmpuint(strlen(hex) % 2, ==, 0);
  for (i = 0; i < n; i++) {
    int hi = g_ascii_xdigit_value(hex[2 * i]);
    int lo = g_ascii_xdigit_value(hex[2 * i + 1]);
    g_assert_true(hi >= 0 && lo >= 0);
    out[i] = (guint8)(hi << 4 | lo);
  }
  return g_bytes_new_take(out, n);
}

static gboolean bytes_equal_hex(const guint8 *data, gsize len, const char *hex)
{
  GBytes *expected = bytes_from_hex(hex);
  gsize n;
  const guint8 *e = g_bytes_get_data(expected, &n);
  gboolean same = data != NULL && n == len && memcmp(data, e, n) == 0;

  g_bytes_unref(expected);
  return same;
}

/* Parse an exact-size heap copy, so that any over-read is a sanitizer error. */
static ike_parse_status_t parse_copy(const guint8 *data, gsize len)
{
  guint8 *copy = g_memdup2(data, len ? len : 1);
  ike_parse_status_t status = ike_parse_message(len ? copy : NULL, len, &msg);
  char text[256];
  guint p, t;

  /* Exercise the consumers too: pointers into the copy must stay in it. */
  for (p = 0; p < msg.n_proposals; p++)
    for (t = 0; t < MAX(msg.proposals[p].n_transforms, 1u); t++)
      ike_proposal_describe(&msg, p, t, text, sizeof text);
  for (p = 0; p < msg.n_notifies; p++)
    if (msg.notifies[p].data_len)
      g_assert_true(msg.notifies[p].data >= copy &&
                    msg.notifies[p].data + msg.notifies[p].data_len <= copy + len);
  g_free(copy);
  return status;
}

static ike_parse_status_t parse_bytes(GBytes *bytes)
{
  gsize len;
  const guint8 *data = g_bytes_get_data(bytes, &len);

  return ike_parse_message(data, len, &msg);
}

static const char *describe(guint proposal, guint transform)
{
  static char text[256];

  return ike_proposal_describe(&msg, proposal, transform, text, sizeof text);
}

/* Builder for hand-made messages. Payloads, proposals and transforms share
 * the generic 4-byte header, so one begin/end pair builds all of them. */
typedef struct {
  GByteArray *b;
} builder_t;

static void put_u8(builder_t *m, guint v)
{
  guint8 b = (guint8)v;
  g_byte_array_append(m->b, &b, 1);
}

static void put_u16(builder_t *m, guint v)
{
  put_u8(m, v >> 8);
  put_u8(m, v);
}

static void put_u32(builder_t *m, guint32 v)
{
  put_u16(m, v >> 16);
  put_u16(m, v & 0xffff);
}

static void put_bytes(builder_t *m, const void *data, gsize len)
{
  g_byte_array_append(m->b, data, (guint)len);
}

static void put_fill(builder_t *m, guint8 value, gsize len)
{
  while (len--)
    put_u8(m, value);
}

static void patch_u16(builder_t *m, gsize at, guint v)
{
  m->b->data[at] = (guint8)(v >> 8);
  m->b->data[at + 1] = (guint8)v;
}

static builder_t builder_new(guint8 next, guint8 version, guint8 exchange, guint8 flags,
                             guint32 message_id)
{
  builder_t m = { g_byte_array_new() };
  static const guint8 spi_i[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
  static const guint8 spi_r[8] = { 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18 };

  put_bytes(&m, spi_i, 8);
  put_bytes(&m, spi_r, 8);
  put_u8(&m, next);
  put_u8(&m, version);
  put_u8(&m, exchange);
  put_u8(&m, flags);
  put_u32(&m, message_id);
  put_u32(&m, 0); /* length, set by builder_finish */
  return m;
}

static gsize begin(builder_t *m, guint8 next)
{
  gsize at = m->b->len;

  put_u8(m, next);
  put_u8(m, 0);
  put_u16(m, 0);
  return at;
}

static void end(builder_t *m, gsize at)
{
  patch_u16(m, at + 2, (guint)(m->b->len - at));
}

static GBytes *builder_finish(builder_t *m)
{
  guint32 len = m->b->len;

  m->b->data[24] = (guint8)(len >> 24);
  m->b->data[25] = (guint8)(len >> 16);
  m->b->data[26] = (guint8)(len >> 8);
  m->b->data[27] = (guint8)len;
  return g_byte_array_free_to_bytes(m->b);
}

/* IKEv1 TV attribute and TLV attribute. */
static void attr_tv(builder_t *m, guint type, guint value)
{
  put_u16(m, 0x8000 | type);
  put_u16(m, value);
}

static void attr_tlv(builder_t *m, guint type, const guint8 *value, guint len)
{
  put_u16(m, type);
  put_u16(m, len);
  put_bytes(m, value, len);
}

/* IKEv2 transform with an optional key length. */
static void v2_transform(builder_t *m, gboolean last, guint type, guint id, guint key_len)
{
  gsize t = begin(m, last ? 0 : 3);
  put_u8(m, type);
  put_u8(m, 0);
  put_u16(m, id);
  if (key_len)
    attr_tv(m, 14, key_len);
  end(m, t);
}

/* Every prefix of a message shorter than its declared length must give a
 * non-OK status without reading outside the prefix. */
static void check_all_truncations(GBytes *bytes)
{
  gsize len, cut;
  const guint8 *data = g_bytes_get_data(bytes, &len);

  for (cut = 0; cut < len; cut++) {
    ike_parse_status_t status = parse_copy(data, cut);
    g_assert_cmpint(status, !=, IKE_PARSE_OK);
    if (cut < IKE_HEADER_LEN)
      g_assert_cmpint(status, ==, IKE_PARSE_TOO_SHORT);
    g_assert_cmpuint(msg.n_payloads, <=, IKE_MAX_PAYLOADS);
  }
}

/* Single-byte corruptions: only memory safety and the caps are checked. */
static void check_corruptions(GBytes *bytes)
{
  static const guint8 values[] = { 0x00, 0x01, 0x03, 0x04, 0x7f, 0x80, 0xff };
  gsize len, i, v;
  const guint8 *data = g_bytes_get_data(bytes, &len);
  guint8 *copy = g_memdup2(data, len);

  for (i = 0; i < len; i++) {
    for (v = 0; v < G_N_ELEMENTS(values); v++) {
      guint8 saved = copy[i];
      copy[i] = values[v];
      parse_copy(copy, len);
      g_assert_cmpuint(msg.n_payloads, <=, IKE_MAX_PAYLOADS);
      g_assert_cmpuint(msg.n_proposals, <=, IKE_MAX_PROPOSALS);
      g_assert_cmpuint(msg.n_notifies, <=, IKE_MAX_NOTIFIES);
      copy[i] = saved;
    }
  }
  g_free(copy);
}

static void check_robustness(GBytes *bytes)
{
  check_all_truncations(bytes);
  check_corruptions(bytes);
}

/* ---------- real messages ----------
 * The cleartext messages below are from Wireshark 4.0.17 test suite
 * (test/captures), GPL-2.0-or-later; the expected values are those that
 * Wireshark 4.0.17's ISAKMP dissector shows for them. */

/* ikev1-certs.pcap frame 1: Main Mode message 1, SA + 2 Vendor IDs. */
static const char ikev1_certs_1[] =
  "fafaeb49382a763c00000000000000000110020000000000000000740d00003400000001"
  "0000000100000028000100010000002000010000800b0001800c70808001000580020001"
  "80030003800400020d0000104f4568794c6441436563666100000014afcad71368a1f1c9"
  "6b8696fc77570100";

/* ikev1-certs.pcap frame 4: Main Mode message 4, KE + Nonce + CERTREQ. */
static const char ikev1_certs_4[] =
  "fafaeb49382a763c36e65ad2f66f440304100200000000000000010b0a000084b9a8e696"
  "cbc66a1ddbf3c900109ea68e88d5291583120eada2377c959603f169270344240e89b0db"
  "012364d14063224caa9359f95d83399eb9d53c00e9a81085e02388aba1a10b4ca25d93b0"
  "32032db095e29f6b37caf9da1e41377c82c8e0f6f2a01f103003c2d96fc069c0db5038fe"
  "62f2cea65c0b0025a6645481eb7b8d910700001406e6ec68bdb93088f25e3d7101ee4dd7"
  "0000005704305031123010060a0992268993f22c64011916026174311d301b060a099226"
  "8993f22c640119160d6765626c657267617373653935311b301906035504031312536368"
  "656e646c5a6572746966696b617465";

/* ikev1-bug-12610.pcapng frame 1: Main Mode message 1 offering 12 XAUTH
 * transforms, 8 Vendor IDs. */
static const char ikev1_12610_1[] =
  "ab3e0f1f8bc3be8e00000000000000000110020000000000000002640d0001ac00000001"
  "00000001000001a00101000c0300002401010000800b0001800c708080010007800e0100"
  "8003fde980020004800400020300002402010000800b0001800c708080010007800e0100"
  "8003fde980020002800400020300002403010000800b0001800c708080010007800e0100"
  "8003fde980020001800400020300002404010000800b0001800c708080010007800e0080"
  "8003fde980020004800400020300002405010000800b0001800c708080010007800e0080"
  "8003fde980020002800400020300002406010000800b0001800c708080010007800e0080"
  "8003fde980020001800400020300002007010000800b0001800c7080800100058003fde9"
  "80020004800400020300002008010000800b0001800c7080800100058003fde980020002"
  "800400020300002009010000800b0001800c7080800100058003fde98002000180040002"
  "030000200a010000800b0001800c7080800100018003fde9800200048004000203000020"
  "0b010000800b0001800c7080800100018003fde98002000280040002000000200c010000"
  "800b0001800c7080800100018003fde980020001800400020d0000144a131c8107035845"
  "5c5728f20e95452f0d000014cd60464335df21f87cfdb2fc68b6a4480d00001490cb8091"
  "3ebb696e086381b5ec427b1f0d0000144485152d18b6bbcd0be8a8469579ddcc0d00000c"
  "09002689dfd6b7120d00001412f5f28c457168a9702d9fe274cc01000d0000184048b7d5"
  "6ebce88525e7de7f00d6c2d38000000000000014afcad71368a1f1c96b8696fc77570100";

/* ikev1-bug-12610.pcapng frame 3: Main Mode message 3, KE + Nonce + 2 NAT-D. */
static const char ikev1_12610_3[] =
  "ab3e0f1f8bc3be8e3411e716366643fd0410020000000000000000fc0a0000843d27eb1a"
  "cd7c562233c8889f2e539287b7b944b29ab6dd2ac8cf78ec1fb62f3bda48caadbc8137ab"
  "03a5b398c74dba0f9fc19835339f5fa7bd2f6aed79fd82cc71f4cb67e74df5d7f0d26d8f"
  "02d83dd56a224fcf123b372a19bddbc30d93b3d798476dd3604be43217d278081a34e798"
  "6a6aa718a3d50691d1752ffe0740432314000014ab72677407f7950d2a1f68e9f4d128c0"
  "14000024327ddf5cbb8844aa24c749d03fafc34ec6a01ad32cd42a21220df1fa23ffe233"
  "00000024f65664362c78f8dc4ef3777a4e8e62a24a8bcdb8f6fd31afef21b12b7f658af1";

/* ikev1-bug-12610.pcapng frame 8: encrypted Informational. */
static const char ikev1_12610_8[] =
  "ab3e0f1f8bc3be8e3411e716366643fd0810050183e1ee0b0000007c27afb5a0d2c3917b"
  "2c0e8fbc57247dc8fd80b493ee7fee603f6c5bff8c00710b0eac9b10f7a9f36c7c44f303"
  "2fbbc44dc4f031cd768ccf4d944f3e3f3ab70956b782423e16ec743134f1ed2171ad2e99"
  "eb1c6850a45ad69523b252ca647b7216";

/* ikev1-bug-12620.pcapng frame 1: Aggressive Mode message 1, SA + KE +
 * Nonce + ID + 8 Vendor IDs. */
static const char ikev1_12620_1[] =
  "29f6006212625def000000000000000001100400000000000000031a040001ac00000001"
  "00000001000001a00101000c0300002401010000800b0001800c708080010007800e0100"
  "8003fde980020004800400020300002402010000800b0001800c708080010007800e0100"
  "8003fde980020002800400020300002403010000800b0001800c708080010007800e0100"
  "8003fde980020001800400020300002404010000800b0001800c708080010007800e0080"
  "8003fde980020004800400020300002405010000800b0001800c708080010007800e0080"
  "8003fde980020002800400020300002406010000800b0001800c708080010007800e0080"
  "8003fde980020001800400020300002007010000800b0001800c7080800100058003fde9"
  "80020004800400020300002008010000800b0001800c7080800100058003fde980020002"
  "800400020300002009010000800b0001800c7080800100058003fde98002000180040002"
  "030000200a010000800b0001800c7080800100018003fde9800200048004000203000020"
  "0b010000800b0001800c7080800100018003fde98002000280040002000000200c010000"
  "800b0001800c7080800100018003fde980020001800400020a0000840773522f1a0eaef3"
  "2b1057b01c31dc5c14cc65c552a1594395872881e9855288abe400e960de889f219f94c8"
  "6debca06060cc409f2784c2474839a50fa1a1d5514bb36979823c7da6daf4d6a184c19ab"
  "8ffc0208f392ba6cf21497e98a5336fda32d5eccab85273ba93440e809a3e818fb0bba23"
  "2de1d0db1468c5ade5418c5705000014c1aed7ee2dac401fbf3b1009e620b2ea0d00001e"
  "030000006d7061407461626c65742e6c6f63616c646f6d61696e0d0000184048b7d56ebc"
  "e88525e7de7f00d6c2d3800000000d0000144a131c81070358455c5728f20e95452f0d00"
  "0014cd60464335df21f87cfdb2fc68b6a4480d00001490cb80913ebb696e086381b5ec42"
  "7b1f0d0000144485152d18b6bbcd0be8a8469579ddcc0d00000c09002689dfd6b7120d00"
  "001412f5f28c457168a9702d9fe274cc010000000014afcad71368a1f1c96b8696fc7757"
  "0100";

/* ikev2-decrypt-aes256cbc.pcapng frames 1-3: IKE_SA_INIT request and
 * response, IKE_AUTH request (SK). */
static const char ikev2_aes256cbc_1[] =
  "191ccd371a7a1f7b0000000000000000212022080000000000000100220000300000002c"
  "010100040300000c0100000c800e0100030000080300000c030000080200000500000008"
  "040000132800004800130000fa587e064136e63231e47bbe63c32db39198e636415ff519"
  "dacb1250642f8a2c7abfc109cd9e15ba66d76d44fffc6830f4f7acb7f8e71b6003e84b34"
  "42a078fe29000024e981fa1da0c4c0a8862b43cbd77ba66893935e26a425e760b26722cb"
  "054de3bf2900001c00004004ddb16820c3cf03bfa7ffc5714b389b38ce03b79f2900001c"
  "00004005c6ff2adea36eaff1db825fc7f9cbfb811511e9de000000100000402f00010002"
  "00030004";
static const char ikev2_aes256cbc_2[] =
  "191ccd371a7a1f7bbc123d15e4af593f2120222000000000000000f8220000300000002c"
  "010100040300000c0100000c800e0100030000080300000c030000080200000500000008"
  "040000132800004800130000a0628a50143823c4fa860aaf99d3694ddb1f2e87b501bb92"
  "0a02b3c34e470e3dc581cf872d2dc9bac8da3493826d2b41cfff06a718171cbb038e9464"
  "693db39e290000247c514f204f9e6c22d3f583ff5edb1bd2cb784086eaba84ac15d2eade"
  "e7509c122900001c000040049d2c0088cf72c41cc0ee7630f107d2dc4d2550892900001c"
  "000040056b69c3f5328a028615568f7e43ab815f5a943a0d0000000800004014";
static const char ikev2_aes256cbc_3[] =
  "191ccd371a7a1f7bbc123d15e4af593f2e2023080000000100000100230000e4d47a70e2"
  "deb655917bd122a6b665bd1d72bf8d75491060346af931fe67000b787d5b458231984ea6"
  "59bf6c422f32e3ba6c317a41ea34910f9e9b53e80adb6555b915a7d9962cc20fdca3f3a2"
  "4d510787e46e28dbac676ce6726a86b8bc272972a965866fe819b77179a27363e28b78ba"
  "25f3cafbc6302e0e1a38e3768604ce763482c2ebb3fcb87f0ce8889eba82af21bc924460"
  "d83ba1435cbd0e2a29ba144d62c80fae9fc5fcc937e9754d8d208d42f0a75e38858f4aa1"
  "8fa6b79e523d2308fa239f0d879815d536a2117eb023c8c246a5a78c2edcf6775b4857ab"
  "f46902ad";

/* ikev2-decrypt-aes256gcm16.pcap frame 5: INFORMATIONAL request from the
 * original responder (SK, 65 bytes). */
static const char ikev2_aes256gcm16_5[] =
  "0158b8fb90b7623d13514610cea161602e20250000000000000000412a00002584d4f502"
  "cfb09a1a60d7c8efe7d5f46ac22c24c6aa94249bbd0f90b9ed1a9c9b09";

/* ikev2-decrypt-3des-sha1_160.pcap frame 1: IKE_SA_INIT request, MODP-2048. */
static const char ikev2_3des_1[] =
  "19ab98963486359f00000000000000002120220800000000000001ac2200002c00000028"
  "01010004030000080100000303000008030000070300000802000005000000080400000e"
  "28000108000e000085a4935f28693ee5a677944c69e8cea7444a8aaf1509ed5ac6b4c3e0"
  "2836495ddd0cbd20c3c540bacf208a69e80392c3ad470cdccfa004ab9abc9c0598c1aa2b"
  "a72a8740146f1810fed5fef3c80feca1bca8cfff59d8004869dffa93926fbda98408cc38"
  "8f1ffeeb34918bc68eecd2357dbf2123eb47b44ca1b90253ae2c1283f6a2c12ad4c071d5"
  "c2751e5df05ab16025d1f3c7f5425e88b4f8c49e00ed3c9312c317493f2b3b6189b531a4"
  "fae8f1b6f4a7fdd731338eb89db205814b80618841b75efec3aa9f7adf88cace7b985d3f"
  "114ce53549bcfd1de08529c8ab55586b3bc25ec1cc55a314a5b1c8ff6dcb2467a39e0a7b"
  "af913b30c587e524e7eec5aa290000246e26bdb029ee18b3d80368ce98448d8d68ae045c"
  "48a302be23ade798fca377ff2900001c00004004ba789dc4eab622f281d57d40254d54ed"
  "155267db0000001c0000400528be9987a6c0e0b876ac0c4c83f1eca8f7f3ae88";

static const char *const real_messages[] = {
  ikev1_certs_1, ikev1_certs_4, ikev1_12610_1, ikev1_12610_3, ikev1_12610_8,
  ikev1_12620_1, ikev2_aes256cbc_1, ikev2_aes256cbc_2, ikev2_aes256cbc_3,
  ikev2_aes256gcm16_5, ikev2_3des_1,
};

static void test_real_v1_main_mode_1(void)
{
  GBytes *b = bytes_from_hex(ikev1_certs_1);
  const ike_transform_t *t;

  g_assert_cmpint(parse_bytes(b), ==, IKE_PARSE_OK);
  g_assert_true(bytes_equal_hex(msg.spi_i, 8, "fafaeb49382a763c"));
  g_assert_true(bytes_equal_hex(msg.spi_r, 8, "0000000000000000"));
  g_assert_cmpuint(msg.major_version, ==, 1);
  g_assert_cmpuint(msg.minor_version, ==, 0);
  g_assert_cmpuint(msg.exchange_type, ==, IKEV1_EXCH_MAIN);
  g_assert_cmpuint(msg.flags, ==, 0);
  g_assert_cmpuint(msg.message_id, ==, 0);
  g_assert_cmpuint(msg.length, ==, 116);
  g_assert_false(msg.encrypted);
  g_assert_false(ike_is_v2(&msg));

  g_assert_cmpuint(msg.n_payloads, ==, 3);
  g_assert_cmpuint(msg.payloads[0].type, ==, IKEV1_PL_SA);
  g_assert_cmpuint(msg.payloads[0].length, ==, 52);
  g_assert_cmpuint(msg.payloads[0].offset, ==, 28);
  g_assert_cmpuint(msg.payloads[1].type, ==, IKEV1_PL_VID);
  g_assert_cmpuint(msg.payloads[1].length, ==, 16);
  g_assert_cmpuint(msg.payloads[2].length, ==, 20);

  g_assert_true(msg.sa_doi_ok);
  g_assert_cmpuint(msg.sa_situation, ==, 1);
  g_assert_cmpuint(msg.n_proposals, ==, 1);
  g_assert_cmpuint(msg.proposals[0].number, ==, 0);
  g_assert_cmpuint(msg.proposals[0].protocol_id, ==, 1);
  g_assert_cmpuint(msg.proposals[0].spi_size, ==, 0);
  g_assert_cmpuint(msg.proposals[0].n_transforms, ==, 1);
  t = &msg.proposals[0].transforms[0];
  g_assert_cmpuint(t->number, ==, 0);
  g_assert_cmpuint(t->id, ==, 1); /* KEY_IKE */
  g_assert_cmpuint(t->encr, ==, 5);
  g_assert_cmpuint(t->hash, ==, 1);
  g_assert_cmpuint(t->auth_method, ==, 3);
  g_assert_cmpuint(t->dh_group, ==, 2);
  g_assert_cmpuint(t->life_seconds, ==, 28800);
  g_assert_cmpuint(t->life_kbytes, ==, 0);
  g_assert_cmpuint(t->key_len, ==, 0);
  g_assert_cmpuint(t->n_attrs, ==, 6);
  g_assert_cmpstr(describe(0, 0), ==, "3DES-CBC/MD5/MODP-1024/RSA-SIG/28800s");

  g_assert_cmpuint(msg.n_vendor_ids, ==, 2);
  g_assert_true(bytes_equal_hex(msg.vendor_ids[0].data, msg.vendor_ids[0].len,
                                "4f4568794c64414365636661"));
  g_assert_true(bytes_equal_hex(msg.vendor_ids[1].data, msg.vendor_ids[1].len,
                                "afcad71368a1f1c96b8696fc77570100"));
  g_assert_false(msg.has_ke);
  g_assert_cmpuint(msg.n_notifies, ==, 0);
  g_bytes_unref(b);
}

static void test_real_v1_main_mode_4(void)
{
  GBytes *b = bytes_from_hex(ikev1_certs_4);

  g_assert_cmpint(parse_bytes(b), ==, IKE_PARSE_OK);
  g_assert_true(bytes_equal_hex(msg.spi_r, 8, "36e65ad2f66f4403"));
  g_assert_cmpuint(msg.length, ==, 267);
  g_assert_cmpuint(msg.n_payloads, ==, 3);
  g_assert_true(msg.has_ke);
  g_assert_cmpuint(msg.ke_group, ==, 0);
  g_assert_cmpuint(msg.ke_len, ==, 128);
  g_assert_cmpuint(msg.ke_data[0], ==, 0xb9);
  g_assert_true(msg.has_nonce);
  g_assert_true(bytes_equal_hex(msg.nonce, msg.nonce_len, "06e6ec68bdb93088f25e3d7101ee4dd7"));
  g_assert_true(msg.has_certreq);
  g_assert_false(msg.has_cert);
  g_assert_cmpuint(msg.payloads[2].type, ==, IKEV1_PL_CERTREQ);
  g_assert_cmpuint(msg.payloads[2].length, ==, 87);
  g_bytes_unref(b);
}

static void test_real_v1_many_transforms(void)
{
  GBytes *b = bytes_from_hex(ikev1_12610_1);
  const ike_proposal_t *p;
  static const guint16 encr[12] = { 7, 7, 7, 7, 7, 7, 5, 5, 5, 1, 1, 1 };
  static const guint16 hash[12] = { 4, 2, 1, 4, 2, 1, 4, 2, 1, 4, 2, 1 };
  static const guint16 key_len[12] = { 256, 256, 256, 128, 128, 128, 0, 0, 0, 0, 0, 0 };
  guint i;

  g_assert_cmpint(parse_bytes(b), ==, IKE_PARSE_OK);
  g_assert_true(bytes_equal_hex(msg.spi_i, 8, "ab3e0f1f8bc3be8e"));
  g_assert_cmpuint(msg.length, ==, 612);
  g_assert_cmpuint(msg.n_proposals, ==, 1);
  p = &msg.proposals[0];
  g_assert_cmpuint(p->number, ==, 1);
  g_assert_cmpuint(p->n_transforms, ==, 12);
  for (i = 0; i < 12; i++) {
    const ike_transform_t *t = &p->transforms[i];
    g_assert_cmpuint(t->number, ==, i + 1);
    g_assert_cmpuint(t->id, ==, 1);
    g_assert_cmpuint(t->encr, ==, encr[i]);
    g_assert_cmpuint(t->hash, ==, hash[i]);
    g_assert_cmpuint(t->key_len, ==, key_len[i]);
    g_assert_cmpuint(t->auth_method, ==, 65001);
    g_assert_cmpuint(t->dh_group, ==, 2);
    g_assert_cmpuint(t->life_seconds, ==, 28800);
  }
  g_assert_cmpstr(describe(0, 0), ==, "AES-CBC-256/SHA2-256/MODP-1024/XAUTH-INIT-PSK/28800s");
  g_assert_cmpstr(describe(0, 7), ==, "3DES-CBC/SHA1/MODP-1024/XAUTH-INIT-PSK/28800s");
  g_assert_cmpstr(describe(0, 11), ==, "DES-CBC/MD5/MODP-1024/XAUTH-INIT-PSK/28800s");
  g_assert_cmpstr(describe(0, 12), ==, "");
  g_assert_cmpuint(msg.n_vendor_ids, ==, 8);
  g_assert_true(bytes_equal_hex(msg.vendor_ids[0].data, msg.vendor_ids[0].len,
                                "4a131c81070358455c5728f20e95452f"));
  g_assert_true(bytes_equal_hex(msg.vendor_ids[4].data, msg.vendor_ids[4].len,
                                "09002689dfd6b712"));
  g_bytes_unref(b);
}

static void test_real_v1_natd(void)
{
  GBytes *b = bytes_from_hex(ikev1_12610_3);

  g_assert_cmpint(parse_bytes(b), ==, IKE_PARSE_OK);
  g_assert_true(bytes_equal_hex(msg.spi_r, 8, "3411e716366643fd"));
  g_assert_cmpuint(msg.n_payloads, ==, 4);
  g_assert_cmpuint(msg.ke_len, ==, 128);
  g_assert_true(bytes_equal_hex(msg.nonce, msg.nonce_len, "ab72677407f7950d2a1f68e9f4d128c0"));
  g_assert_cmpuint(msg.n_natd, ==, 2);
  g_assert_true(bytes_equal_hex(msg.natd[0].data, msg.natd[0].len,
      "327ddf5cbb8844aa24c749d03fafc34ec6a01ad32cd42a21220df1fa23ffe233"));
  g_assert_true(bytes_equal_hex(msg.natd[1].data, msg.natd[1].len,
      "f65664362c78f8dc4ef3777a4e8e62a24a8bcdb8f6fd31afef21b12b7f658af1"));
  g_bytes_unref(b);
}

static void test_real_v1_encrypted(void)
{
  GBytes *b = bytes_from_hex(ikev1_12610_8);

  g_assert_cmpint(parse_bytes(b), ==, IKE_PARSE_OK);
  g_assert_cmpuint(msg.exchange_type, ==, IKEV1_EXCH_INFORMATIONAL);
  g_assert_cmpuint(msg.flags, ==, IKEV1_FLAG_ENCRYPTION);
  g_assert_cmpuint(msg.message_id, ==, 0x83e1ee0b);
  g_assert_cmpuint(msg.length, ==, 124);
  g_assert_true(msg.encrypted);
  g_assert_cmpuint(msg.encrypted_len, ==, 96);
  g_assert_cmpuint(msg.sk_next_payload, ==, IKEV1_PL_HASH);
  g_assert_cmpuint(msg.n_payloads, ==, 0);
  g_assert_false(msg.has_hash);
  g_bytes_unref(b);
}

static void test_real_v1_aggressive(void)
{
  GBytes *b = bytes_from_hex(ikev1_12620_1);

  g_assert_cmpint(parse_bytes(b), ==, IKE_PARSE_OK);
  g_assert_true(bytes_equal_hex(msg.spi_i, 8, "29f6006212625def"));
  g_assert_cmpuint(msg.exchange_type, ==, IKEV1_EXCH_AGGRESSIVE);
  g_assert_cmpuint(msg.length, ==, 794);
  g_assert_cmpuint(msg.n_proposals, ==, 1);
  g_assert_cmpuint(msg.proposals[0].n_transforms, ==, 12);
  g_assert_true(msg.has_ke);
  g_assert_cmpuint(msg.ke_len, ==, 128);
  g_assert_cmpuint(msg.nonce_len, ==, 16);
  g_assert_cmpuint(msg.n_ids, ==, 1);
  g_assert_cmpuint(msg.ids[0].payload_type, ==, IKEV1_PL_ID);
  g_assert_cmpuint(msg.ids[0].id_type, ==, 3);
  g_assert_cmpuint(msg.ids[0].protocol_id, ==, 0);
  g_assert_cmpuint(msg.ids[0].port, ==, 0);
  g_assert_cmpuint(msg.ids[0].data_len, ==, 22);
  g_assert_true(memcmp(msg.ids[0].data, "mpa@tablet.localdomain", 22) == 0);
  g_assert_cmpuint(msg.n_vendor_ids, ==, 8);
  g_assert_true(bytes_equal_hex(msg.vendor_ids[0].data, msg.vendor_ids[0].len,
                                "4048b7d56ebce88525e7de7f00d6c2d380000000"));
  g_assert_true(bytes_equal_hex(msg.vendor_ids[7].data, msg.vendor_ids[7].len,
                                "afcad71368a1f1c96b8696fc77570100"));
  g_bytes_unref(b);
}

static void test_real_v2_sa_init(void)
{
  GBytes *b = bytes_from_hex(ikev2_aes256cbc_1);
  const ike_proposal_t *p;

  g_assert_cmpint(parse_bytes(b), ==, IKE_PARSE_OK);
  g_assert_true(bytes_equal_hex(msg.spi_i, 8, "191ccd371a7a1f7b"));
  g_assert_true(bytes_equal_hex(msg.spi_r, 8, "0000000000000000"));
  g_assert_true(ike_is_v2(&msg));
  g_assert_false(ike_is_response(&msg));
  g_assert_cmpuint(msg.exchange_type, ==, IKEV2_EXCH_IKE_SA_INIT);
  g_assert_cmpuint(msg.flags, ==, IKEV2_FLAG_INITIATOR);
  g_assert_cmpuint(msg.length, ==, 256);
  g_assert_cmpuint(msg.n_payloads, ==, 6);
  g_assert_cmpuint(msg.n_proposals, ==, 1);
  p = &msg.proposals[0];
  g_assert_cmpuint(p->number, ==, 1);
  g_assert_cmpuint(p->protocol_id, ==, 1);
  g_assert_cmpuint(p->spi_size, ==, 0);
  g_assert_cmpuint(p->n_transforms, ==, 4);
  g_assert_cmpuint(p->transforms[0].type, ==, 1);
  g_assert_cmpuint(p->transforms[0].id, ==, 12);
  g_assert_cmpuint(p->transforms[0].key_len, ==, 256);
  g_assert_cmpuint(p->transforms[0].n_attrs, ==, 1);
  g_assert_cmpuint(p->transforms[1].type, ==, 3);
  g_assert_cmpuint(p->transforms[1].id, ==, 12);
  g_assert_cmpuint(p->transforms[2].type, ==, 2);
  g_assert_cmpuint(p->transforms[2].id, ==, 5);
  g_assert_cmpuint(p->transforms[3].type, ==, 4);
  g_assert_cmpuint(p->transforms[3].id, ==, 19);
  g_assert_cmpuint(p->transforms[3].number, ==, 4);
  g_assert_cmpstr(describe(0, 0), ==, "AES-CBC-256/HMAC-SHA2-256-128/PRF-HMAC-SHA2-256/ECP-256");

  g_assert_true(msg.has_ke);
  g_assert_cmpuint(msg.ke_group, ==, 19);
  g_assert_cmpuint(msg.ke_len, ==, 64);
  g_assert_cmpuint(msg.ke_data[0], ==, 0xfa);
  g_assert_true(bytes_equal_hex(msg.nonce, msg.nonce_len,
      "e981fa1da0c4c0a8862b43cbd77ba66893935e26a425e760b26722cb054de3bf"));
  g_assert_cmpuint(msg.n_notifies, ==, 3);
  g_assert_cmpuint(msg.notifies[0].type, ==, IKEV2_N_NAT_DETECTION_SOURCE_IP);
  g_assert_cmpuint(msg.notifies[0].protocol_id, ==, 0);
  g_assert_null(msg.notifies[0].spi);
  g_assert_true(bytes_equal_hex(msg.notifies[0].data, msg.notifies[0].data_len,
                                "ddb16820c3cf03bfa7ffc5714b389b38ce03b79f"));
  g_assert_cmpuint(msg.notifies[1].type, ==, IKEV2_N_NAT_DETECTION_DESTINATION_IP);
  g_assert_cmpuint(msg.notifies[2].type, ==, 16431);
  g_assert_true(bytes_equal_hex(msg.notifies[2].data, msg.notifies[2].data_len,
                                "0001000200030004"));
  g_assert_true(ike_message_find_notify(&msg, 16431) == &msg.notifies[2]);
  g_assert_null(ike_message_find_notify(&msg, IKEV2_N_COOKIE));
  g_bytes_unref(b);
}

static void test_real_v2_sa_init_response(void)
{
  GBytes *b = bytes_from_hex(ikev2_aes256cbc_2);
  const ike_notify_t *n;

  g_assert_cmpint(parse_bytes(b), ==, IKE_PARSE_OK);
  g_assert_true(bytes_equal_hex(msg.spi_r, 8, "bc123d15e4af593f"));
  g_assert_true(ike_is_response(&msg));
  g_assert_cmpuint(msg.flags, ==, IKEV2_FLAG_RESPONSE);
  g_assert_cmpuint(msg.length, ==, 248);
  g_assert_cmpstr(describe(0, 0), ==, "AES-CBC-256/HMAC-SHA2-256-128/PRF-HMAC-SHA2-256/ECP-256");
  g_assert_cmpuint(msg.ke_group, ==, 19);
  n = ike_message_find_notify(&msg, 16404); /* MULTIPLE_AUTH_SUPPORTED */
  g_assert_nonnull(n);
  g_assert_cmpuint(n->data_len, ==, 0);
  g_assert_null(n->data);
  g_bytes_unref(b);
}

static void test_real_v2_sk(void)
{
  GBytes *b = bytes_from_hex(ikev2_aes256cbc_3);

  g_assert_cmpint(parse_bytes(b), ==, IKE_PARSE_OK);
  g_assert_cmpuint(msg.exchange_type, ==, IKEV2_EXCH_IKE_AUTH);
  g_assert_cmpuint(msg.message_id, ==, 1);
  g_assert_true(msg.encrypted);
  g_assert_cmpuint(msg.sk_next_payload, ==, IKEV2_PL_IDI);
  g_assert_cmpuint(msg.encrypted_len, ==, 224);
  g_assert_false(msg.is_fragment);
  g_assert_cmpuint(msg.n_payloads, ==, 1);
  g_assert_cmpuint(msg.payloads[0].type, ==, IKEV2_PL_SK);
  g_assert_cmpuint(msg.payloads[0].length, ==, 228);
  g_bytes_unref(b);

  b = bytes_from_hex(ikev2_aes256gcm16_5);
  g_assert_cmpint(parse_bytes(b), ==, IKE_PARSE_OK);
  g_assert_true(bytes_equal_hex(msg.spi_i, 8, "0158b8fb90b7623d"));
  g_assert_true(bytes_equal_hex(msg.spi_r, 8, "13514610cea16160"));
  g_assert_cmpuint(msg.exchange_type, ==, IKEV2_EXCH_INFORMATIONAL);
  g_assert_cmpuint(msg.flags, ==, 0);
  g_assert_false(ike_is_response(&msg));
  g_assert_cmpuint(msg.length, ==, 65);
  g_assert_true(msg.encrypted);
  g_assert_cmpuint(msg.encrypted_len, ==, 65 - 28 - 4);
  g_bytes_unref(b);
}

static void test_real_v2_modp(void)
{
  GBytes *b = bytes_from_hex(ikev2_3des_1);

  g_assert_cmpint(parse_bytes(b), ==, IKE_PARSE_OK);
  g_assert_true(bytes_equal_hex(msg.spi_i, 8, "19ab98963486359f"));
  g_assert_cmpuint(msg.length, ==, 428);
  g_assert_cmpstr(describe(0, 0), ==, "3DES-CBC/HMAC-SHA1-160/PRF-HMAC-SHA2-256/MODP-2048");
  g_assert_cmpuint(msg.ke_group, ==, 14);
  g_assert_cmpuint(msg.ke_len, ==, 256);
  g_assert_cmpuint(msg.n_notifies, ==, 2);
  g_bytes_unref(b);
}

static void test_real_robustness(void)
{
  gsize i;

  for (i = 0; i < G_N_ELEMENTS(real_messages); i++) {
    GBytes *b = bytes_from_hex(real_messages[i]);
    check_robustness(b);
    g_bytes_unref(b);
  }
}

/* ---------- hand-built IKEv1 ---------- */

/* Quick Mode message 1 in the clear (as after decryption): HASH, SA (ESP),
 * Nonce, KE, IDci, IDcr. */
static GBytes *build_v1_quick_mode(void)
{
  builder_t m = builder_new(IKEV1_PL_HASH, 0x10, IKEV1_EXCH_QUICK, 0, 0x01020304);
  static const guint8 life_3600[4] = { 0, 0, 0x0e, 0x10 };
  static const guint8 life_8_bytes[8] = { 0, 0, 0, 0, 0, 0x46, 0x50, 0x00 };
  static const guint8 oversized[12] = { 0 };
  gsize pl, prop, tr;

  pl = begin(&m, IKEV1_PL_SA);
  put_fill(&m, 0xaa, 20);
  end(&m, pl);

  pl = begin(&m, IKEV1_PL_NONCE);
  put_u32(&m, 1); /* DOI */
  put_u32(&m, 1); /* situation */
  prop = begin(&m, 0);
  put_u8(&m, 1);  /* proposal number */
  put_u8(&m, 3);  /* ESP */
  put_u8(&m, 4);  /* SPI size */
  put_u8(&m, 2);  /* transforms */
  put_u32(&m, 0xc0ffee01);
  tr = begin(&m, 3);
  put_u8(&m, 1);  /* transform number */
  put_u8(&m, 12); /* ESP_AES */
  put_u16(&m, 0);
  attr_tv(&m, 1, 1);              /* life type seconds */
  attr_tlv(&m, 2, life_3600, 4);  /* life duration, 4-byte TLV */
  attr_tv(&m, 1, 2);              /* life type kilobytes */
  attr_tlv(&m, 2, life_8_bytes, 8); /* 8-byte duration, fits in 32 bits */
  attr_tv(&m, 3, 14);             /* PFS group */
  attr_tv(&m, 4, 1);              /* tunnel */
  attr_tv(&m, 5, 2);              /* HMAC-SHA1 */
  attr_tv(&m, 6, 128);            /* key length */
  attr_tlv(&m, 9, oversized, 12); /* skipped */
  end(&m, tr);
  tr = begin(&m, 0);
  put_u8(&m, 2);
  put_u8(&m, 3);  /* ESP_3DES */
  put_u16(&m, 0);
  attr_tv(&m, 5, 1);
  end(&m, tr);
  end(&m, prop);
  end(&m, pl);

  pl = begin(&m, IKEV1_PL_KE);
  put_fill(&m, 0x4e, 16);
  end(&m, pl);

  pl = begin(&m, IKEV1_PL_ID);
  put_fill(&m, 0x6b, 128);
  end(&m, pl);

  pl = begin(&m, IKEV1_PL_ID);
  put_u8(&m, 4);    /* IPV4_ADDR_SUBNET */
  put_u8(&m, 17);   /* UDP */
  put_u16(&m, 500);
  put_u32(&m, 0x0a000000);
  put_u32(&m, 0xffffff00);
  end(&m, pl);

  pl = begin(&m, 0);
  put_u8(&m, 1);    /* IPV4_ADDR */
  put_u8(&m, 0);
  put_u16(&m, 0);
  put_u32(&m, 0xc0a80101);
  end(&m, pl);
  return builder_finish(&m);
}

static void test_v1_quick_mode(void)
{
  GBytes *b = build_v1_quick_mode();
  const ike_proposal_t *p;
  const ike_transform_t *t;

  g_assert_cmpint(parse_bytes(b), ==, IKE_PARSE_OK);
  g_assert_cmpuint(msg.exchange_type, ==, IKEV1_EXCH_QUICK);
  g_assert_cmpuint(msg.message_id, ==, 0x01020304);
  g_assert_cmpuint(msg.n_payloads, ==, 6);
  g_assert_true(msg.has_hash);
  g_assert_cmpuint(msg.hash_len, ==, 20);
  g_assert_cmpuint(msg.hash[0], ==, 0xaa);
  g_assert_true(msg.sa_doi_ok);
  g_assert_cmpuint(msg.n_proposals, ==, 1);
  p = &msg.proposals[0];
  g_assert_cmpuint(p->protocol_id, ==, 3);
  g_assert_cmpuint(p->spi_size, ==, 4);
  g_assert_cmpuint(p->spi[0], ==, 0xc0);
  g_assert_cmpuint(p->spi[3], ==, 0x01);
  g_assert_cmpuint(p->n_transforms, ==, 2);
  t = &p->transforms[0];
  g_assert_cmpuint(t->id, ==, 12);
  g_assert_cmpuint(t->life_seconds, ==, 3600);
  g_assert_cmpuint(t->life_kbytes, ==, 4608000);
  g_assert_cmpuint(t->dh_group, ==, 14);
  g_assert_cmpuint(t->encap_mode, ==, 1);
  g_assert_cmpuint(t->auth_alg, ==, 2);
  g_assert_cmpuint(t->key_len, ==, 128);
  g_assert_cmpuint(t->n_attrs, ==, 9);
  /* Phase 2 attribute numbers must not leak into the phase 1 fields. */
  g_assert_cmpuint(t->encr, ==, 0);
  g_assert_cmpuint(t->hash, ==, 0);
  g_assert_cmpuint(t->auth_method, ==, 0);
  g_assert_cmpstr(describe(0, 0), ==, "ESP: AES-CBC-128/HMAC-SHA1/PFS MODP-2048/3600s/4608000KB");
  g_assert_cmpstr(describe(0, 1), ==, "ESP: 3DES-CBC/HMAC-MD5");
  g_assert_cmpuint(msg.nonce_len, ==, 16);
  g_assert_cmpuint(msg.ke_len, ==, 128);
  g_assert_cmpuint(msg.n_ids, ==, 2);
  g_assert_cmpuint(msg.ids[0].id_type, ==, 4);
  g_assert_cmpuint(msg.ids[0].protocol_id, ==, 17);
  g_assert_cmpuint(msg.ids[0].port, ==, 500);
  g_assert_true(bytes_equal_hex(msg.ids[0].data, msg.ids[0].data_len, "0a000000ffffff00"));
  g_assert_cmpuint(msg.ids[1].id_type, ==, 1);
  g_assert_true(bytes_equal_hex(msg.ids[1].data, msg.ids[1].data_len, "c0a80101"));
  check_robustness(b);
  g_bytes_unref(b);
}

/* Main Mode SA with 4-byte and 8-byte life durations, both life types. */
static void test_v1_phase1_lifetimes(void)
{
  builder_t m = builder_new(IKEV1_PL_SA, 0x10, IKEV1_EXCH_MAIN, 0, 0);
  static const guint8 life_86400[4] = { 0, 0x01, 0x51, 0x80 };
  static const guint8 life_huge[8] = { 0x01, 0, 0, 0, 0, 0, 0, 0 };
  gsize pl, prop, tr;
  GBytes *b;
  const ike_transform_t *t;

  pl = begin(&m, 0);
  put_u32(&m, 1);
  put_u32(&m, 1);
  prop = begin(&m, 0);
  put_u8(&m, 1);
  put_u8(&m, 1);
  put_u8(&m, 0);
  put_u8(&m, 2);
  tr = begin(&m, 3);
  put_u8(&m, 1);
  put_u8(&m, 1);
  put_u16(&m, 0);
  attr_tv(&m, 1, 7);
  attr_tv(&m, 14, 256);
  attr_tv(&m, 2, 4);
  attr_tv(&m, 4, 14);
  attr_tv(&m, 3, 1);
  attr_tv(&m, 11, 1);
  attr_tlv(&m, 12, life_86400, 4);
  attr_tv(&m, 11, 2);
  attr_tlv(&m, 12, life_huge, 8);  /* saturates */
  end(&m, tr);
  tr = begin(&m, 0);
  put_u8(&m, 2);
  put_u8(&m, 1);
  put_u16(&m, 0);
  attr_tv(&m, 12, 600);  /* duration without a life type: ignored */
  attr_tv(&m, 1, 99);
  attr_tv(&m, 2, 77);
  attr_tv(&m, 3, 65005);
  attr_tv(&m, 4, 31);
  end(&m, tr);
  end(&m, prop);
  end(&m, pl);
  b = builder_finish(&m);

  g_assert_cmpint(parse_bytes(b), ==, IKE_PARSE_OK);
  t = &msg.proposals[0].transforms[0];
  g_assert_cmpuint(t->encr, ==, 7);
  g_assert_cmpuint(t->key_len, ==, 256);
  g_assert_cmpuint(t->hash, ==, 4);
  g_assert_cmpuint(t->dh_group, ==, 14);
  g_assert_cmpuint(t->auth_method, ==, 1);
  g_assert_cmpuint(t->life_seconds, ==, 86400);
  g_assert_cmpuint(t->life_kbytes, ==, G_MAXUINT32);
  g_assert_cmpstr(describe(0, 0), ==,
                  "AES-CBC-256/SHA2-256/MODP-2048/PSK/86400s/4294967295KB");
  t = &msg.proposals[0].transforms[1];
  g_assert_cmpuint(t->life_seconds, ==, 0);
  g_assert_cmpstr(describe(0, 1), ==, "encr#99/hash#77/Curve25519/XAUTH-INIT-RSA");
  check_robustness(b);
  g_bytes_unref(b);
}

/* Cleartext Informational as sent before phase 1 completes. begin(m, next)
 * opens a payload and names the type of the one after it. */
static GBytes *build_v1_informational(void)
{
  builder_t m = builder_new(IKEV1_PL_NOTIFY, 0x10, IKEV1_EXCH_INFORMATIONAL, 0, 0x55);
  gsize pl;

  pl = begin(&m, IKEV1_PL_DELETE);   /* Notify NO_PROPOSAL_CHOSEN, cookies as SPI */
  put_u32(&m, 1);       /* DOI */
  put_u8(&m, 1);        /* protocol ISAKMP */
  put_u8(&m, 16);       /* SPI size */
  put_u16(&m, IKE_N_NO_PROPOSAL_CHOSEN);
  put_fill(&m, 0x01, 16);
  put_bytes(&m, "why", 3);
  end(&m, pl);

  pl = begin(&m, IKEV1_PL_NOTIFY);   /* Delete of three ESP SAs */
  put_u32(&m, 1);
  put_u8(&m, 3);
  put_u8(&m, 4);
  put_u16(&m, 3);
  put_u32(&m, 0x11111111);
  put_u32(&m, 0x22222222);
  put_u32(&m, 0x33333333);
  end(&m, pl);

  pl = begin(&m, IKEV1_PL_VID);      /* Notify R-U-THERE */
  put_u32(&m, 1);
  put_u8(&m, 1);
  put_u8(&m, 16);
  put_u16(&m, IKEV1_N_R_U_THERE);
  put_fill(&m, 0x02, 16);
  put_u32(&m, 0x0000abcd); /* sequence number */
  end(&m, pl);

  pl = begin(&m, IKEV1_PL_NAT_D_DRAFT); /* Vendor ID */
  put_fill(&m, 0x76, 16);
  end(&m, pl);

  pl = begin(&m, IKEV1_PL_CERT);     /* NAT-D (draft number 130) */
  put_fill(&m, 0x4d, 20);
  end(&m, pl);

  pl = begin(&m, IKEV1_PL_ATTR);     /* CERT */
  put_u8(&m, 4);
  put_fill(&m, 0x30, 10);
  end(&m, pl);

  pl = begin(&m, IKEV1_PL_SIG);      /* Attributes (Mode Config request) */
  put_u8(&m, 1);
  put_u8(&m, 0);
  put_u16(&m, 7);
  attr_tv(&m, 16520, 0);
  end(&m, pl);

  pl = begin(&m, 0);                 /* SIG */
  put_fill(&m, 0x51, 32);
  end(&m, pl);
  return builder_finish(&m);
}

static void test_v1_informational(void)
{
  GBytes *b = build_v1_informational();
  const ike_notify_t *n;

  g_assert_cmpint(parse_bytes(b), ==, IKE_PARSE_OK);
  g_assert_cmpuint(msg.n_payloads, ==, 8);
  g_assert_cmpuint(msg.n_notifies, ==, 2);
  n = ike_message_find_notify(&msg, IKE_N_NO_PROPOSAL_CHOSEN);
  g_assert_true(n == &msg.notifies[0]);
  g_assert_cmpuint(n->protocol_id, ==, 1);
  g_assert_cmpuint(n->spi_size, ==, 16);
  g_assert_nonnull(n->spi);
  g_assert_cmpuint(n->spi[15], ==, 0x01);
  g_assert_cmpuint(n->data_len, ==, 3);
  g_assert_true(memcmp(n->data, "why", 3) == 0);
  g_assert_true(ike_notify_is_error(1, n->type));
  n = ike_message_find_notify(&msg, IKEV1_N_R_U_THERE);
  g_assert_nonnull(n);
  g_assert_true(bytes_equal_hex(n->data, n->data_len, "0000abcd"));
  g_assert_false(ike_notify_is_error(1, n->type));

  g_assert_true(msg.has_delete);
  g_assert_cmpuint(msg.delete_protocol_id, ==, 3);
  g_assert_cmpuint(msg.delete_spi_size, ==, 4);
  g_assert_cmpuint(msg.delete_n_spis, ==, 3);
  g_assert_cmpuint(msg.delete_n_stored, ==, 3);
  g_assert_true(bytes_equal_hex(msg.delete_spis, 12, "111111112222222233333333"));

  g_assert_cmpuint(msg.n_natd, ==, 1);
  g_assert_cmpuint(msg.natd[0].len, ==, 20);
  g_assert_true(msg.has_cert);
  g_assert_true(msg.has_cp);
  g_assert_cmpuint(msg.n_vendor_ids, ==, 1);
  g_assert_cmpuint(msg.vendor_ids[0].len, ==, 16);
  g_assert_cmpuint(msg.payloads[7].type, ==, IKEV1_PL_SIG);
  g_assert_cmpuint(msg.payloads[7].length, ==, 36);
  check_robustness(b);
  g_bytes_unref(b);
}

static GBytes *build_v1_fragment(guint8 number, gboolean last)
{
  builder_t m = builder_new(IKEV1_PL_FRAG, 0x10, IKEV1_EXCH_MAIN, 0, 0);
  gsize pl = begin(&m, 0);

  put_u16(&m, 0x0001);  /* fragment id */
  put_u8(&m, number);
  put_u8(&m, last ? 1 : 0);
  put_fill(&m, 0xf0, 100);
  end(&m, pl);
  return builder_finish(&m);
}

static void test_v1_fragment(void)
{
  GBytes *b = build_v1_fragment(2, FALSE);

  g_assert_cmpint(parse_bytes(b), ==, IKE_PARSE_OK);
  g_assert_true(msg.is_fragment);
  g_assert_cmpuint(msg.frag_number, ==, 2);
  g_assert_cmpuint(msg.frag_total, ==, 0);
  g_assert_false(msg.encrypted);
  check_robustness(b);
  g_bytes_unref(b);

  b = build_v1_fragment(3, TRUE);
  g_assert_cmpint(parse_bytes(b), ==, IKE_PARSE_OK);
  g_assert_cmpuint(msg.frag_number, ==, 3);
  g_assert_cmpuint(msg.frag_total, ==, 3);
  g_bytes_unref(b);
}

/* ---------- hand-built IKEv2 ---------- */

/* IKE_SA_INIT request with two IKE proposals offering alternatives. */
static GBytes *build_v2_sa_init_alternatives(void)
{
  builder_t m = builder_new(IKEV2_PL_SA, 0x20, IKEV2_EXCH_IKE_SA_INIT, IKEV2_FLAG_INITIATOR, 0);
  gsize pl, prop;

  pl = begin(&m, IKEV2_PL_KE);
  prop = begin(&m, 2);
  put_u8(&m, 1);
  put_u8(&m, 1);
  put_u8(&m, 0);
  put_u8(&m, 7);
  v2_transform(&m, FALSE, 1, 12, 128);
  v2_transform(&m, FALSE, 1, 12, 256);
  v2_transform(&m, FALSE, 3, 12, 0);
  v2_transform(&m, FALSE, 3, 2, 0);
  v2_transform(&m, FALSE, 2, 5, 0);
  v2_transform(&m, FALSE, 4, 19, 0);
  v2_transform(&m, TRUE, 4, 14, 0);
  end(&m, prop);
  prop = begin(&m, 0);
  put_u8(&m, 2);
  put_u8(&m, 1);
  put_u8(&m, 0);
  put_u8(&m, 4);
  v2_transform(&m, FALSE, 1, 20, 256);
  v2_transform(&m, FALSE, 2, 7, 0);
  v2_transform(&m, FALSE, 4, 31, 0);
  v2_transform(&m, TRUE, 6, 36, 0);
  end(&m, prop);
  end(&m, pl);

  pl = begin(&m, IKEV2_PL_NONCE);
  put_u16(&m, 31);
  put_u16(&m, 0);
  put_fill(&m, 0x31, 32);
  end(&m, pl);

  pl = begin(&m, IKEV2_PL_NOTIFY);
  put_fill(&m, 0x4e, 32);
  end(&m, pl);

  pl = begin(&m, 0);
  put_u8(&m, 0);
  put_u8(&m, 0);
  put_u16(&m, IKEV2_N_FRAGMENTATION_SUPPORTED);
  end(&m, pl);
  return builder_finish(&m);
}

static void test_v2_alternatives(void)
{
  GBytes *b = build_v2_sa_init_alternatives();

  g_assert_cmpint(parse_bytes(b), ==, IKE_PARSE_OK);
  g_assert_cmpuint(msg.n_proposals, ==, 2);
  g_assert_cmpuint(msg.proposals[0].n_transforms, ==, 7);
  g_assert_cmpuint(msg.proposals[0].transforms[1].key_len, ==, 256);
  g_assert_cmpstr(describe(0, 0), ==,
      "AES-CBC-128|AES-CBC-256/HMAC-SHA2-256-128|HMAC-SHA1-96/PRF-HMAC-SHA2-256/ECP-256|MODP-2048");
  /* The transform index is ignored for IKEv2. */
  g_assert_cmpstr(describe(0, 5), ==, describe(0, 0));
  g_assert_cmpstr(describe(1, 0), ==,
                  "AES-GCM-16-256/PRF-HMAC-SHA2-512/Curve25519/ADDKE1:ML-KEM-768");
  g_assert_cmpstr(describe(2, 0), ==, "");
  g_assert_cmpuint(msg.ke_group, ==, 31);
  g_assert_cmpuint(msg.ke_len, ==, 32);
  g_assert_cmpuint(msg.nonce_len, ==, 32);
  g_assert_nonnull(ike_message_find_notify(&msg, IKEV2_N_FRAGMENTATION_SUPPORTED));
  check_robustness(b);
  g_bytes_unref(b);
}

/* IKE_AUTH request as it looks after decryption (cleartext payloads).
 * begin(m, next) opens a payload and names the type of the one after it. */
static GBytes *build_v2_ike_auth_cleartext(void)
{
  builder_t m = builder_new(IKEV2_PL_IDI, 0x20, IKEV2_EXCH_IKE_AUTH, IKEV2_FLAG_INITIATOR, 1);
  gsize pl, prop, ts;

  pl = begin(&m, IKEV2_PL_CERT);        /* IDi */
  put_u8(&m, 2);  /* FQDN */
  put_fill(&m, 0, 3);
  put_bytes(&m, "vpn.example.org", 15);
  end(&m, pl);

  pl = begin(&m, IKEV2_PL_CERTREQ);     /* CERT */
  put_u8(&m, 4);
  put_fill(&m, 0x30, 40);
  end(&m, pl);

  pl = begin(&m, IKEV2_PL_IDR);         /* CERTREQ */
  put_u8(&m, 4);
  put_fill(&m, 0x77, 20);
  end(&m, pl);

  pl = begin(&m, IKEV2_PL_AUTH);        /* IDr */
  put_u8(&m, 1);  /* IPV4_ADDR */
  put_fill(&m, 0, 3);
  put_u32(&m, 0xc0000201);
  end(&m, pl);

  pl = begin(&m, IKEV2_PL_CP);          /* AUTH */
  put_u8(&m, 2);  /* shared key */
  put_fill(&m, 0, 3);
  put_fill(&m, 0xab, 32);
  end(&m, pl);

  pl = begin(&m, IKEV2_PL_SA);          /* CP */
  put_u8(&m, 1);  /* CFG_REQUEST */
  put_fill(&m, 0, 3);
  put_u16(&m, 1); /* INTERNAL_IP4_ADDRESS */
  put_u16(&m, 0);
  end(&m, pl);

  pl = begin(&m, IKEV2_PL_TSI);         /* SA */
  prop = begin(&m, 0);
  put_u8(&m, 1);
  put_u8(&m, 3);  /* ESP */
  put_u8(&m, 4);
  put_u8(&m, 2);
  put_u32(&m, 0xcafe0001);
  v2_transform(&m, FALSE, 1, 20, 256);
  v2_transform(&m, TRUE, 5, 0, 0);
  end(&m, prop);
  end(&m, pl);

  pl = begin(&m, IKEV2_PL_TSR);         /* TSi */
  put_u8(&m, 2);  /* two selectors */
  put_fill(&m, 0, 3);
  ts = m.b->len;
  put_u8(&m, 7);
  put_u8(&m, 0);
  put_u16(&m, 16);
  put_u16(&m, 0);
  put_u16(&m, 65535);
  put_u32(&m, 0x0a000001);
  put_u32(&m, 0x0a0000ff);
  g_assert_cmpuint(m.b->len - ts, ==, 16);
  put_u8(&m, 8);
  put_u8(&m, 6);
  put_u16(&m, 40);
  put_u16(&m, 443);
  put_u16(&m, 443);
  put_fill(&m, 0x20, 16);
  put_fill(&m, 0x21, 16);
  end(&m, pl);

  pl = begin(&m, IKEV2_PL_NOTIFY);      /* TSr */
  put_u8(&m, 1);
  put_fill(&m, 0, 3);
  put_u8(&m, 7);
  put_u8(&m, 17);
  put_u16(&m, 16);
  put_u16(&m, 500);
  put_u16(&m, 500);
  put_u32(&m, 0xc0a80000);
  put_u32(&m, 0xc0a8ffff);
  end(&m, pl);

  pl = begin(&m, IKEV2_PL_DELETE);      /* Notify REKEY_SA */
  put_u8(&m, 3);  /* ESP */
  put_u8(&m, 4);
  put_u16(&m, IKEV2_N_REKEY_SA);
  put_u32(&m, 0xdeadbeef);
  end(&m, pl);

  pl = begin(&m, IKEV2_PL_EAP);         /* Delete */
  put_u8(&m, 3);
  put_u8(&m, 4);
  put_u16(&m, 2);
  put_u32(&m, 0x01010101);
  put_u32(&m, 0x02020202);
  end(&m, pl);

  pl = begin(&m, IKEV2_PL_VID);         /* EAP */
  put_u8(&m, 2);  /* EAP response */
  put_u8(&m, 1);
  put_u16(&m, 5);
  put_u8(&m, 1);
  end(&m, pl);

  pl = begin(&m, 0);                    /* Vendor ID */
  put_bytes(&m, "strongSwan", 10);
  end(&m, pl);
  return builder_finish(&m);
}

static void test_v2_ike_auth_cleartext(void)
{
  GBytes *b = build_v2_ike_auth_cleartext();
  const ike_notify_t *n;

  g_assert_cmpint(parse_bytes(b), ==, IKE_PARSE_OK);
  g_assert_cmpuint(msg.n_payloads, ==, 13);
  g_assert_false(msg.encrypted);
  g_assert_cmpuint(msg.n_ids, ==, 2);
  g_assert_cmpuint(msg.ids[0].payload_type, ==, IKEV2_PL_IDI);
  g_assert_cmpuint(msg.ids[0].id_type, ==, 2);
  g_assert_cmpuint(msg.ids[0].data_len, ==, 15);
  g_assert_true(memcmp(msg.ids[0].data, "vpn.example.org", 15) == 0);
  g_assert_cmpuint(msg.ids[1].payload_type, ==, IKEV2_PL_IDR);
  g_assert_cmpuint(msg.ids[1].id_type, ==, 1);
  g_assert_true(bytes_equal_hex(msg.ids[1].data, msg.ids[1].data_len, "c0000201"));
  g_assert_true(msg.has_cert);
  g_assert_true(msg.has_certreq);
  g_assert_true(msg.has_auth);
  g_assert_cmpuint(msg.auth_method, ==, 2);
  g_assert_cmpuint(msg.auth_len, ==, 32);
  g_assert_true(msg.has_cp);
  g_assert_true(msg.has_eap);

  g_assert_cmpuint(msg.n_proposals, ==, 1);
  g_assert_cmpuint(msg.proposals[0].protocol_id, ==, 3);
  g_assert_cmpuint(msg.proposals[0].spi_size, ==, 4);
  g_assert_true(bytes_equal_hex(msg.proposals[0].spi, 4, "cafe0001"));
  g_assert_cmpstr(describe(0, 0), ==, "ESP: AES-GCM-16-256/NO-ESN");

  g_assert_cmpuint(msg.n_tsi, ==, 2);
  g_assert_cmpuint(msg.tsi[0].ts_type, ==, 7);
  g_assert_cmpuint(msg.tsi[0].addr_len, ==, 4);
  g_assert_cmpuint(msg.tsi[0].end_port, ==, 65535);
  g_assert_true(bytes_equal_hex(msg.tsi[0].start_addr, 4, "0a000001"));
  g_assert_true(bytes_equal_hex(msg.tsi[0].end_addr, 4, "0a0000ff"));
  g_assert_cmpuint(msg.tsi[1].ts_type, ==, 8);
  g_assert_cmpuint(msg.tsi[1].ip_proto, ==, 6);
  g_assert_cmpuint(msg.tsi[1].start_port, ==, 443);
  g_assert_cmpuint(msg.tsi[1].addr_len, ==, 16);
  g_assert_cmpuint(msg.tsi[1].end_addr[15], ==, 0x21);
  g_assert_cmpuint(msg.n_tsr, ==, 1);
  g_assert_cmpuint(msg.tsr[0].ip_proto, ==, 17);
  g_assert_true(bytes_equal_hex(msg.tsr[0].end_addr, 4, "c0a8ffff"));

  n = ike_message_find_notify(&msg, IKEV2_N_REKEY_SA);
  g_assert_nonnull(n);
  g_assert_cmpuint(n->protocol_id, ==, 3);
  g_assert_true(bytes_equal_hex(n->spi, n->spi_size, "deadbeef"));
  g_assert_null(n->data);

  g_assert_true(msg.has_delete);
  g_assert_cmpuint(msg.delete_protocol_id, ==, 3);
  g_assert_cmpuint(msg.delete_n_stored, ==, 2);
  g_assert_true(bytes_equal_hex(msg.delete_spis, 8, "0101010102020202"));
  g_assert_cmpuint(msg.n_vendor_ids, ==, 1);
  g_assert_cmpuint(msg.vendor_ids[0].len, ==, 10);
  check_robustness(b);
  g_bytes_unref(b);
}

static GBytes *build_v2_skf(guint16 number, guint16 total, guint8 inner_next)
{
  builder_t m = builder_new(IKEV2_PL_SKF, 0x20, IKEV2_EXCH_IKE_AUTH, IKEV2_FLAG_RESPONSE, 1);
  gsize pl = begin(&m, inner_next);

  put_u16(&m, number);
  put_u16(&m, total);
  put_fill(&m, 0xe5, 64);
  end(&m, pl);
  return builder_finish(&m);
}

static void test_v2_skf(void)
{
  GBytes *b = build_v2_skf(1, 3, IKEV2_PL_IDR);

  g_assert_cmpint(parse_bytes(b), ==, IKE_PARSE_OK);
  g_assert_true(msg.encrypted);
  g_assert_true(msg.is_fragment);
  g_assert_cmpuint(msg.frag_number, ==, 1);
  g_assert_cmpuint(msg.frag_total, ==, 3);
  g_assert_cmpuint(msg.sk_next_payload, ==, IKEV2_PL_IDR);
  g_assert_cmpuint(msg.encrypted_len, ==, 64);
  g_assert_cmpuint(msg.n_payloads, ==, 1);
  g_assert_cmpuint(msg.payloads[0].type, ==, IKEV2_PL_SKF);
  check_robustness(b);
  g_bytes_unref(b);

  b = build_v2_skf(3, 3, 0);
  g_assert_cmpint(parse_bytes(b), ==, IKE_PARSE_OK);
  g_assert_cmpuint(msg.frag_number, ==, 3);
  g_assert_cmpuint(msg.sk_next_payload, ==, 0);
  g_bytes_unref(b);
}

/* Cleartext payloads before SK are kept; bytes after SK are not walked. */
static void test_v2_sk_after_cleartext(void)
{
  builder_t m = builder_new(IKEV2_PL_NOTIFY, 0x20, IKEV2_EXCH_INFORMATIONAL, 0, 9);
  gsize pl;
  GBytes *b;

  pl = begin(&m, IKEV2_PL_SK);
  put_u8(&m, 0);
  put_u8(&m, 0);
  put_u16(&m, IKEV2_N_COOKIE);
  put_fill(&m, 0xcc, 8);
  end(&m, pl);
  pl = begin(&m, IKEV2_PL_DELETE);
  put_fill(&m, 0x99, 40);
  end(&m, pl);
  put_fill(&m, 0x00, 3); /* junk the chain walk must not look at */
  b = builder_finish(&m);

  g_assert_cmpint(parse_bytes(b), ==, IKE_PARSE_OK);
  g_assert_cmpuint(msg.n_payloads, ==, 2);
  g_assert_cmpuint(msg.n_notifies, ==, 1);
  g_assert_true(msg.encrypted);
  g_assert_cmpuint(msg.sk_next_payload, ==, IKEV2_PL_DELETE);
  g_assert_cmpuint(msg.encrypted_len, ==, 40);
  g_assert_false(msg.has_delete);
  g_bytes_unref(b);
}

/* ---------- header and length handling ---------- */

static void test_header_errors(void)
{
  GBytes *b = bytes_from_hex(ikev2_aes256cbc_1);
  gsize len;
  const guint8 *data = g_bytes_get_data(b, &len);
  guint8 *copy = g_memdup2(data, len);

  g_assert_cmpint(ike_parse_message(data, 27, &msg), ==, IKE_PARSE_TOO_SHORT);
  g_assert_cmpint(ike_parse_message(NULL, 0, &msg), ==, IKE_PARSE_TOO_SHORT);
  g_assert_cmpint(ike_parse_message(data, len, NULL), !=, IKE_PARSE_OK);

  copy[17] = 0x30; /* major version 3 */
  g_assert_cmpint(ike_parse_message(copy, len, &msg), ==, IKE_PARSE_BAD_VERSION);
  g_assert_cmpuint(msg.error_offset, ==, 17);
  g_assert_cmpuint(msg.major_version, ==, 3);
  g_assert_true(bytes_equal_hex(msg.spi_i, 8, "191ccd371a7a1f7b")); /* header still filled */
  g_assert_cmpuint(msg.n_payloads, ==, 0);
  copy[17] = 0x20;

  copy[24] = copy[25] = copy[26] = 0;
  copy[27] = 27; /* declared length below the header size */
  g_assert_cmpint(ike_parse_message(copy, len, &msg), ==, IKE_PARSE_BAD_LENGTH);
  g_assert_cmpuint(msg.error_offset, ==, 24);
  g_free(copy);
  g_bytes_unref(b);
}

static void test_header_length_vs_buffer(void)
{
  GBytes *b = bytes_from_hex(ikev2_aes256cbc_1);
  gsize len;
  const guint8 *data = g_bytes_get_data(b, &len);
  guint8 *longer = g_malloc0(len + 50);

  /* Cut inside the third payload (Nonce at 28+48+72): first two survive. */
  g_assert_cmpint(ike_parse_message(data, 28 + 48 + 72 + 10, &msg), ==, IKE_PARSE_BAD_LENGTH);
  g_assert_cmpuint(msg.error_offset, ==, 28 + 48 + 72 + 10);
  g_assert_cmpuint(msg.n_payloads, ==, 2);
  g_assert_cmpuint(msg.n_proposals, ==, 1);
  g_assert_cmpuint(msg.ke_group, ==, 19);
  g_assert_false(msg.has_nonce);

  /* Trailing bytes after the declared length are ignored. */
  memcpy(longer, data, len);
  memset(longer + len, 0xff, 50);
  g_assert_cmpint(ike_parse_message(longer, len + 50, &msg), ==, IKE_PARSE_OK);
  g_assert_cmpuint(msg.n_payloads, ==, 6);
  g_free(longer);

  /* ike_parse_header on an ICMP-quoted prefix. */
  g_assert_true(ike_parse_header(data, 36, &msg));
  g_assert_cmpuint(msg.exchange_type, ==, IKEV2_EXCH_IKE_SA_INIT);
  g_assert_cmpuint(msg.length, ==, 256);
  g_assert_cmpint(msg.status, ==, IKE_PARSE_OK);
  g_assert_false(ike_parse_header(data, 20, &msg));
  g_assert_cmpint(msg.status, ==, IKE_PARSE_TOO_SHORT);
  g_bytes_unref(b);
}

static void test_v1_encrypted_truncated(void)
{
  GBytes *b = bytes_from_hex(ikev1_12610_8);
  gsize len;
  const guint8 *data = g_bytes_get_data(b, &len);

  g_assert_cmpint(ike_parse_message(data, 60, &msg), ==, IKE_PARSE_BAD_LENGTH);
  g_assert_true(msg.encrypted);
  g_assert_cmpuint(msg.encrypted_len, ==, 32);
  g_bytes_unref(b);
}

/* A payload whose length field is n, followed by enough bytes to not be a
 * truncation. */
static GBytes *build_with_payload_length(guint8 version, guint8 type, guint length)
{
  builder_t m = builder_new(version == 2 ? IKEV2_PL_NONCE : IKEV1_PL_NONCE,
                            version == 2 ? 0x20 : 0x10, version == 2 ? 34 : 2, 0, 0);
  gsize pl = begin(&m, type);

  put_fill(&m, 0x11, 8);
  end(&m, pl);
  put_u8(&m, 0);
  put_u8(&m, 0);
  put_u16(&m, length);
  put_fill(&m, 0, 12);
  return builder_finish(&m);
}

static void test_lying_payload_lengths(void)
{
  static const guint lengths[] = { 0, 1, 2, 3, 17, 1000, 0xffff };
  static const guint8 types[2] = { IKEV1_PL_VID, IKEV2_PL_VID };
  gsize i, v;

  for (v = 0; v < 2; v++) {
    for (i = 0; i < G_N_ELEMENTS(lengths); i++) {
      GBytes *b = build_with_payload_length(v ? 2 : 1, types[v], lengths[i]);
      g_assert_cmpint(parse_bytes(b), ==, IKE_PARSE_BAD_PAYLOAD);
      g_assert_cmpuint(msg.error_offset, ==, 28 + 12 + 2);
      /* The payload before the bad one is kept. */
      g_assert_cmpuint(msg.n_payloads, ==, 1);
      g_assert_true(msg.has_nonce);
      g_assert_cmpuint(msg.nonce_len, ==, 8);
      g_assert_cmpuint(msg.n_vendor_ids, ==, 0);
      check_corruptions(b);
      g_bytes_unref(b);
    }
  }
}

/* The last payload promises another one, but the message ends. */
static void test_chain_runs_past_end(void)
{
  builder_t m = builder_new(IKEV2_PL_NONCE, 0x20, 34, 0, 0);
  gsize pl = begin(&m, IKEV2_PL_VID);
  GBytes *b;

  put_fill(&m, 0x11, 16);
  end(&m, pl);
  b = builder_finish(&m);
  g_assert_cmpint(parse_bytes(b), ==, IKE_PARSE_BAD_PAYLOAD);
  g_assert_cmpuint(msg.error_offset, ==, 48);
  g_assert_true(msg.has_nonce);
  g_bytes_unref(b);
}

/* SA payload with one broken element; returns the message. kind selects it. */
enum {
  BAD_ATTR_HUGE_TLV, BAD_ATTR_SHORT, BAD_TRANSFORM_LEN, BAD_TRANSFORM_MORE,
  BAD_PROPOSAL_LEN, BAD_PROPOSAL_SPI, BAD_PROPOSAL_MORE, BAD_SA_SHORT, BAD_SA_KINDS
};

static GBytes *build_bad_sa(int kind, guint8 version)
{
  gboolean v2 = version == 2;
  builder_t m = builder_new(v2 ? IKEV2_PL_SA : IKEV1_PL_SA, v2 ? 0x20 : 0x10, v2 ? 34 : 2, 0, 0);
  gsize pl, prop, tr;

  pl = begin(&m, v2 ? IKEV2_PL_NONCE : IKEV1_PL_NONCE);
  if (!v2) {
    if (kind == BAD_SA_SHORT) {
      put_u32(&m, 1);
      end(&m, pl);
      goto nonce;
    }
    put_u32(&m, 1);
    put_u32(&m, 1);
  }
  prop = begin(&m, kind == BAD_PROPOSAL_MORE ? 2 : 0);
  put_u8(&m, 1);
  put_u8(&m, 1);
  put_u8(&m, kind == BAD_PROPOSAL_SPI ? 200 : 0);
  put_u8(&m, 1);
  tr = begin(&m, kind == BAD_TRANSFORM_MORE ? 3 : 0);
  put_u8(&m, 1);
  put_u8(&m, 1);
  put_u16(&m, 0);
  put_u16(&m, 0x8001);
  put_u16(&m, 7);
  if (kind == BAD_ATTR_HUGE_TLV) {
    put_u16(&m, 0x000c);
    put_u16(&m, 0xffff);
    put_u32(&m, 0);
  } else if (kind == BAD_ATTR_SHORT) {
    put_u16(&m, 0x800e);
  }
  end(&m, tr);
  if (kind == BAD_TRANSFORM_LEN)
    patch_u16(&m, tr + 2, 7);
  end(&m, prop);
  if (kind == BAD_PROPOSAL_LEN)
    patch_u16(&m, prop + 2, 0x1000);
  end(&m, pl);
nonce:
  pl = begin(&m, 0);
  put_fill(&m, 0x22, 16);
  end(&m, pl);
  return builder_finish(&m);
}

static void test_bad_sa_structures(void)
{
  int kind, v;

  for (v = 1; v <= 2; v++) {
    for (kind = 0; kind < BAD_SA_KINDS; kind++) {
      GBytes *b;

      if (kind == BAD_SA_SHORT && v == 2)
        continue;
      b = build_bad_sa(kind, (guint8)v);
      g_assert_cmpint(parse_bytes(b), ==, IKE_PARSE_BAD_SA);
      g_assert_cmpuint(msg.error_offset, >=, 28 + 4);
      /* The payload chain itself is intact: the Nonce after the SA is there. */
      g_assert_cmpuint(msg.n_payloads, ==, 2);
      g_assert_true(msg.has_nonce);
      g_assert_cmpuint(msg.nonce_len, ==, 16);
      if (kind == BAD_ATTR_HUGE_TLV || kind == BAD_ATTR_SHORT) {
        /* The attribute before the broken one was decoded. */
        g_assert_cmpuint(msg.n_proposals, ==, 1);
        g_assert_cmpuint(msg.proposals[0].n_transforms, ==, 1);
        if (v == 1)
          g_assert_cmpuint(msg.proposals[0].transforms[0].encr, ==, 7);
      }
      check_corruptions(b);
      g_bytes_unref(b);
    }
  }
}

static void test_bad_inner_fields(void)
{
  builder_t m = builder_new(IKEV2_PL_NOTIFY, 0x20, 37, IKEV2_FLAG_RESPONSE, 2);
  gsize pl;
  GBytes *b;

  /* Notify whose SPI size runs past the payload: the type is still kept. */
  pl = begin(&m, IKEV2_PL_DELETE);
  put_u8(&m, 3);
  put_u8(&m, 200);
  put_u16(&m, IKE_N_CHILD_SA_NOT_FOUND);
  put_u32(&m, 1);
  end(&m, pl);
  /* Delete declaring more SPIs than present. */
  pl = begin(&m, IKEV2_PL_TSI);
  put_u8(&m, 3);
  put_u8(&m, 4);
  put_u16(&m, 5);
  put_u32(&m, 0xaaaaaaaa);
  put_u32(&m, 0xbbbbbbbb);
  end(&m, pl);
  /* TS whose selector length is too long, then one of a wrong size. */
  pl = begin(&m, IKEV2_PL_TSR);
  put_u8(&m, 1);
  put_fill(&m, 0, 3);
  put_u8(&m, 7);
  put_u8(&m, 0);
  put_u16(&m, 200);
  put_fill(&m, 0, 12);
  end(&m, pl);
  pl = begin(&m, IKEV2_PL_KE);
  put_u8(&m, 3);
  put_fill(&m, 0, 3);
  put_u8(&m, 7);
  put_u8(&m, 0);
  put_u16(&m, 12);
  put_fill(&m, 0, 8);
  end(&m, pl);
  /* KE too short for its group field. */
  pl = begin(&m, IKEV2_PL_AUTH);
  put_u16(&m, 14);
  end(&m, pl);
  pl = begin(&m, IKEV2_PL_IDI);
  put_u8(&m, 2);
  end(&m, pl);
  pl = begin(&m, IKEV2_PL_SKF);
  put_u16(&m, 1);
  end(&m, pl);
  pl = begin(&m, 0);
  put_u16(&m, 1);
  end(&m, pl);
  b = builder_finish(&m);

  g_assert_cmpint(parse_bytes(b), ==, IKE_PARSE_BAD_PAYLOAD);
  g_assert_cmpuint(msg.error_offset, ==, 28 + 4 + 1); /* the notify's SPI size */
  g_assert_cmpuint(msg.n_payloads, ==, 8);
  g_assert_nonnull(ike_message_find_notify(&msg, IKE_N_CHILD_SA_NOT_FOUND));
  g_assert_null(msg.notifies[0].spi);
  g_assert_true(msg.has_delete);
  g_assert_cmpuint(msg.delete_n_spis, ==, 5);
  g_assert_cmpuint(msg.delete_n_stored, ==, 2);
  g_assert_cmpuint(msg.n_tsi, ==, 0);
  g_assert_cmpuint(msg.n_tsr, ==, 0);
  g_assert_false(msg.has_ke);
  g_assert_false(msg.has_auth);
  g_assert_cmpuint(msg.n_ids, ==, 0);
  g_assert_true(msg.encrypted);
  g_assert_false(msg.is_fragment);
  check_corruptions(b);
  g_bytes_unref(b);
}

/* ---------- caps ---------- */

static void test_deep_chain_cap(void)
{
  builder_t m = builder_new(IKEV2_PL_NOTIFY, 0x20, 37, 0, 0);
  GBytes *b;
  guint i;

  for (i = 0; i < 100; i++) {
    gsize pl = begin(&m, i + 1 < 100 ? IKEV2_PL_NOTIFY : 0);
    put_u8(&m, 0);
    put_u8(&m, 0);
    put_u16(&m, 16384 + i);
    end(&m, pl);
  }
  b = builder_finish(&m);
  g_assert_cmpint(parse_bytes(b), ==, IKE_PARSE_TOO_MANY);
  g_assert_cmpuint(msg.n_payloads, ==, IKE_MAX_PAYLOADS);
  g_assert_cmpuint(msg.n_notifies, ==, IKE_MAX_NOTIFIES);
  g_assert_cmpuint(msg.notifies[IKE_MAX_NOTIFIES - 1].type, ==, 16384 + IKE_MAX_NOTIFIES - 1);
  g_assert_cmpuint(msg.error_offset, ==, 28 + 8 * IKE_MAX_NOTIFIES + 4);
  g_bytes_unref(b);

  /* 4-byte empty payloads: the cap, then a real error later wins. */
  m = builder_new(IKEV1_PL_VID, 0x10, 2, 0, 0);
  for (i = 0; i < 200; i++)
    end(&m, begin(&m, IKEV1_PL_VID));
  patch_u16(&m, m.b->len - 2, 3);
  b = builder_finish(&m);
  g_assert_cmpint(parse_bytes(b), ==, IKE_PARSE_BAD_PAYLOAD);
  g_assert_cmpuint(msg.n_payloads, ==, IKE_MAX_PAYLOADS);
  g_assert_cmpuint(msg.n_vendor_ids, ==, IKE_MAX_VENDOR_IDS);
  g_assert_cmpuint(msg.error_offset, ==, 28 + 4 * 199 + 2);
  g_bytes_unref(b);
}

static void test_sa_caps(void)
{
  builder_t m = builder_new(IKEV2_PL_SA, 0x20, 34, 0, 0);
  gsize pl = begin(&m, 0);
  GBytes *b;
  guint i, j;

  for (i = 0; i < 20; i++) {
    gsize prop = begin(&m, i + 1 < 20 ? 2 : 0);
    put_u8(&m, i + 1);
    put_u8(&m, 1);
    put_u8(&m, 0);
    put_u8(&m, 40);
    for (j = 0; j < 40; j++)
      v2_transform(&m, j + 1 == 40, 1, 12, 128 + j);
    end(&m, prop);
  }
  end(&m, pl);
  b = builder_finish(&m);
  g_assert_cmpint(parse_bytes(b), ==, IKE_PARSE_TOO_MANY);
  g_assert_cmpuint(msg.n_proposals, ==, IKE_MAX_PROPOSALS);
  for (i = 0; i < IKE_MAX_PROPOSALS; i++) {
    g_assert_cmpuint(msg.proposals[i].number, ==, i + 1);
    g_assert_cmpuint(msg.proposals[i].n_transforms, ==, IKE_MAX_TRANSFORMS);
    g_assert_cmpuint(msg.proposals[i].transforms[IKE_MAX_TRANSFORMS - 1].key_len, ==,
                     128 + IKE_MAX_TRANSFORMS - 1);
  }
  g_bytes_unref(b);
}

static void test_ts_and_delete_caps(void)
{
  builder_t m = builder_new(IKEV2_PL_TSI, 0x20, 36, 0, 3);
  gsize pl = begin(&m, IKEV2_PL_DELETE);
  GBytes *b;
  guint i;

  put_u8(&m, 10);
  put_fill(&m, 0, 3);
  for (i = 0; i < 10; i++) {
    put_u8(&m, 7);
    put_u8(&m, 0);
    put_u16(&m, 16);
    put_u16(&m, 0);
    put_u16(&m, 65535);
    put_u32(&m, i);
    put_u32(&m, i);
  }
  end(&m, pl);
  pl = begin(&m, 0);
  put_u8(&m, 3);
  put_u8(&m, 4);
  put_u16(&m, 20);
  for (i = 0; i < 20; i++)
    put_u32(&m, i);
  end(&m, pl);
  b = builder_finish(&m);
  g_assert_cmpint(parse_bytes(b), ==, IKE_PARSE_TOO_MANY);
  g_assert_cmpuint(msg.n_tsi, ==, IKE_MAX_TS);
  g_assert_cmpuint(msg.tsi[IKE_MAX_TS - 1].start_addr[3], ==, IKE_MAX_TS - 1);
  g_assert_cmpuint(msg.delete_n_spis, ==, 20);
  g_assert_cmpuint(msg.delete_n_stored, ==, IKE_MAX_DELETE_SPIS);
  g_bytes_unref(b);
}

/* Only the first payload of each single kind is decoded; repeated ones
 * (a second KE, a third ID) must not overwrite it. */
static void test_first_of_each_kind(void)
{
  static const guint8 v1_types[] = {
    IKEV1_PL_KE, IKEV1_PL_NONCE, IKEV1_PL_HASH, IKEV1_PL_DELETE, IKEV1_PL_ID,
  };
  builder_t m = builder_new(IKEV1_PL_KE, 0x10, IKEV1_EXCH_QUICK, 0, 7);
  GBytes *b;
  gsize i, round;

  for (round = 0; round < 3; round++) {
    for (i = 0; i < G_N_ELEMENTS(v1_types); i++) {
      gboolean last = round == 2 && i + 1 == G_N_ELEMENTS(v1_types);
      guint8 next = last ? IKEV1_PL_NAT_D : v1_types[(i + 1) % G_N_ELEMENTS(v1_types)];
      gsize pl = begin(&m, next);
      put_u32(&m, 1);                         /* DOI / ID header */
      put_u8(&m, 3);
      put_u8(&m, 4);
      put_u16(&m, 1);
      put_u32(&m, 0x10000000 + (guint32)round); /* one SPI, or ID data */
      end(&m, pl);
    }
  }
  for (i = 0; i < IKE_MAX_NATD + 2; i++) {
    gsize pl = begin(&m, i + 1 < IKE_MAX_NATD + 2 ? IKEV1_PL_NAT_D : 0);
    put_u32(&m, (guint32)i);
    end(&m, pl);
  }
  b = builder_finish(&m);
  g_assert_cmpint(parse_bytes(b), ==, IKE_PARSE_TOO_MANY);
  g_assert_cmpuint(msg.n_payloads, ==, 15 + IKE_MAX_NATD + 2);
  g_assert_true(bytes_equal_hex(msg.ke_data, msg.ke_len, "0000000103040001" "10000000"));
  g_assert_true(bytes_equal_hex(msg.nonce, msg.nonce_len, "0000000103040001" "10000000"));
  g_assert_true(bytes_equal_hex(msg.hash, msg.hash_len, "0000000103040001" "10000000"));
  g_assert_true(bytes_equal_hex(msg.delete_spis, 4, "10000000"));
  g_assert_cmpuint(msg.n_ids, ==, 2);
  g_assert_true(bytes_equal_hex(msg.ids[1].data, msg.ids[1].data_len, "0304000110000001"));
  g_assert_cmpuint(msg.n_natd, ==, IKE_MAX_NATD);
  g_assert_true(bytes_equal_hex(msg.natd[IKE_MAX_NATD - 1].data, 4, "00000007"));
  check_all_truncations(b);
  g_bytes_unref(b);
}

static void test_first_of_each_kind_v2(void)
{
  builder_t m = builder_new(IKEV2_PL_AUTH, 0x20, IKEV2_EXCH_IKE_AUTH, 0, 1);
  GBytes *b;
  gsize pl;
  guint i;

  for (i = 0; i < 2; i++) {
    pl = begin(&m, IKEV2_PL_TSI);             /* AUTH */
    put_u8(&m, 1 + i);
    put_fill(&m, 0, 3);
    put_u8(&m, 0xa0 + i);
    end(&m, pl);
    pl = begin(&m, i ? 0 : IKEV2_PL_AUTH);    /* TSi */
    put_u8(&m, 1);
    put_fill(&m, 0, 3);
    put_u8(&m, 7);
    put_u8(&m, i);
    put_u16(&m, 16);
    put_u16(&m, 0);
    put_u16(&m, 65535);
    put_u32(&m, 0);
    put_u32(&m, 0xffffffff);
    end(&m, pl);
  }
  b = builder_finish(&m);
  g_assert_cmpint(parse_bytes(b), ==, IKE_PARSE_OK);
  g_assert_cmpuint(msg.auth_method, ==, 1);
  g_assert_cmpuint(msg.auth[0], ==, 0xa0);
  g_assert_cmpuint(msg.n_tsi, ==, 1);
  g_assert_cmpuint(msg.tsi[0].ip_proto, ==, 0);
  g_bytes_unref(b);
  g_assert_false(ike_parse_header(NULL, 40, &msg));
  g_assert_false(ike_parse_header((const guint8 *)"x", 1, NULL));
}

static void test_status_names(void)
{
  int s;

  for (s = IKE_PARSE_OK; s <= IKE_PARSE_TOO_MANY; s++) {
    const char *name = ike_parse_status_name((ike_parse_status_t)s);
    g_assert_nonnull(name);
    g_assert_cmpstr(name, !=, "unknown");
  }
  g_assert_cmpstr(ike_parse_status_name((ike_parse_status_t)99), ==, "unknown");
  g_assert_null(ike_message_find_notify(NULL, 1));
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/ike_parse/real/v1_main_mode_1", test_real_v1_main_mode_1);
  g_test_add_func("/ike_parse/real/v1_main_mode_4", test_real_v1_main_mode_4);
  g_test_add_func("/ike_parse/real/v1_many_transforms", test_real_v1_many_transforms);
  g_test_add_func("/ike_parse/real/v1_natd", test_real_v1_natd);
  g_test_add_func("/ike_parse/real/v1_encrypted", test_real_v1_encrypted);
  g_test_add_func("/ike_parse/real/v1_aggressive", test_real_v1_aggressive);
  g_test_add_func("/ike_parse/real/v2_sa_init", test_real_v2_sa_init);
  g_test_add_func("/ike_parse/real/v2_sa_init_response", test_real_v2_sa_init_response);
  g_test_add_func("/ike_parse/real/v2_sk", test_real_v2_sk);
  g_test_add_func("/ike_parse/real/v2_modp", test_real_v2_modp);
  g_test_add_func("/ike_parse/real/robustness", test_real_robustness);
  g_test_add_func("/ike_parse/v1/quick_mode", test_v1_quick_mode);
  g_test_add_func("/ike_parse/v1/phase1_lifetimes", test_v1_phase1_lifetimes);
  g_test_add_func("/ike_parse/v1/informational", test_v1_informational);
  g_test_add_func("/ike_parse/v1/fragment", test_v1_fragment);
  g_test_add_func("/ike_parse/v1/encrypted_truncated", test_v1_encrypted_truncated);
  g_test_add_func("/ike_parse/v2/alternatives", test_v2_alternatives);
  g_test_add_func("/ike_parse/v2/ike_auth_cleartext", test_v2_ike_auth_cleartext);
  g_test_add_func("/ike_parse/v2/skf", test_v2_skf);
  g_test_add_func("/ike_parse/v2/sk_after_cleartext", test_v2_sk_after_cleartext);
  g_test_add_func("/ike_parse/header/errors", test_header_errors);
  g_test_add_func("/ike_parse/header/length_vs_buffer", test_header_length_vs_buffer);
  g_test_add_func("/ike_parse/lies/payload_lengths", test_lying_payload_lengths);
  g_test_add_func("/ike_parse/lies/chain_past_end", test_chain_runs_past_end);
  g_test_add_func("/ike_parse/lies/sa_structures", test_bad_sa_structures);
  g_test_add_func("/ike_parse/lies/inner_fields", test_bad_inner_fields);
  g_test_add_func("/ike_parse/caps/deep_chain", test_deep_chain_cap);
  g_test_add_func("/ike_parse/caps/sa", test_sa_caps);
  g_test_add_func("/ike_parse/caps/ts_and_delete", test_ts_and_delete_caps);
  g_test_add_func("/ike_parse/first_of_each_kind/v1", test_first_of_each_kind);
  g_test_add_func("/ike_parse/first_of_each_kind/v2", test_first_of_each_kind_v2);
  g_test_add_func("/ike_parse/status_names", test_status_names);
  return g_test_run();
}
