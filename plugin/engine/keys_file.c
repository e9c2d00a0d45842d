/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag: the keys file reader and key store (docs/keys.md).
 *
 * Each line is recognised by its shape: a keyword line of the ipsecdiag
 * format (psk, dh, ike1, ike2, esp) or a row of one of Wireshark's UAT tables
 * (ikev1_decryption_table, ikev2_decryption_table, esp_sa), so Wireshark's
 * files load as they are and may even be concatenated with our lines. A bad
 * line is reported as "file:line: message" and skipped. Secrets are wiped
 * before their memory is freed and never appear in a message.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "ipsecdiag/keys.h"

struct ipsecdiag_keys {
  GPtrArray *psks;   /* ipsecdiag_psk_entry_t* */
  GPtrArray *ike1;   /* ipsecdiag_ike1_keys_t* */
  GPtrArray *ike2;   /* ipsecdiag_ike2_keys_t* */
  GPtrArray *esp;    /* ipsecdiag_esp_keys_t* */
  GPtrArray *child_dh; /* ipsecdiag_child_dh_t* */
  guint entries;     /* lines accepted, bounded by IPSECDIAG_KEYS_MAX_ENTRIES */
};

/* ---- secrets ---- */

static void
wipe(void *data, gsize len)
{
  /* volatile so the compiler cannot drop the stores before free() */
  volatile guint8 *p = data;
  while (len-- > 0)
    *p++ = 0;
}

static void
secret_clear(ipsecdiag_secret_t *secret)
{
  if (secret->data) {
    wipe(secret->data, secret->len);
    g_free(secret->data);
  }
  secret->data = NULL;
  secret->len = 0;
}

static gboolean
secret_equal(const ipsecdiag_secret_t *a, const ipsecdiag_secret_t *b)
{
  return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

char *
ipsecdiag_secret_mask(const guint8 *data, gsize len, char *buf, gsize buf_len)
{
  if (!buf || buf_len == 0)
    return buf;
  if (!data || len == 0)
    g_snprintf(buf, buf_len, "(empty)");
  else if (len >= 16)
    g_snprintf(buf, buf_len, "%02x\xe2\x80\xa6%02x (%" G_GSIZE_FORMAT " bytes)", data[0],
               data[len - 1], len);
  else
    g_snprintf(buf, buf_len, "\xe2\x80\xa6 (%" G_GSIZE_FORMAT " bytes)", len);
  return buf;
}

/* ---- store ---- */

static void
psk_free(gpointer p)
{
  ipsecdiag_psk_entry_t *e = p;
  secret_clear(&e->psk);
  g_free(e->label);
  g_free(e->source);
  g_free(e->peer_addr);
  g_free(e->peer_id);
  g_free(e);
}

static void
ike1_free(gpointer p)
{
  ipsecdiag_ike1_keys_t *e = p;
  secret_clear(&e->dh_secret);
  secret_clear(&e->skeyid);
  secret_clear(&e->skeyid_d);
  secret_clear(&e->skeyid_a);
  secret_clear(&e->skeyid_e);
  secret_clear(&e->enc_key);
  g_free(e->source);
  g_free(e);
}

static void
ike2_free(gpointer p)
{
  ipsecdiag_ike2_keys_t *e = p;
  secret_clear(&e->dh_secret);
  secret_clear(&e->sk_d);
  secret_clear(&e->sk_ai);
  secret_clear(&e->sk_ar);
  secret_clear(&e->sk_ei);
  secret_clear(&e->sk_er);
  secret_clear(&e->sk_pi);
  secret_clear(&e->sk_pr);
  g_free(e->source);
  g_free(e);
}

static void
esp_free(gpointer p)
{
  ipsecdiag_esp_keys_t *e = p;
  secret_clear(&e->enc_key);
  secret_clear(&e->auth_key);
  g_free(e->src);
  g_free(e->dst);
  g_free(e->encr);
  g_free(e->integ);
  g_free(e->source);
  g_free(e);
}

static void
child_dh_free(gpointer p)
{
  ipsecdiag_child_dh_t *e = p;
  secret_clear(&e->dh_secret);
  g_free(e->source);
  g_free(e);
}

ipsecdiag_keys_t *
ipsecdiag_keys_new(void)
{
  ipsecdiag_keys_t *keys = g_new0(ipsecdiag_keys_t, 1);
  keys->psks = g_ptr_array_new_with_free_func(psk_free);
  keys->ike1 = g_ptr_array_new_with_free_func(ike1_free);
  keys->ike2 = g_ptr_array_new_with_free_func(ike2_free);
  keys->esp = g_ptr_array_new_with_free_func(esp_free);
  keys->child_dh = g_ptr_array_new_with_free_func(child_dh_free);
  return keys;
}

void
ipsecdiag_keys_free(ipsecdiag_keys_t *keys)
{
  if (!keys)
    return;
  g_ptr_array_free(keys->psks, TRUE);
  g_ptr_array_free(keys->ike1, TRUE);
  g_ptr_array_free(keys->ike2, TRUE);
  g_ptr_array_free(keys->esp, TRUE);
  g_ptr_array_free(keys->child_dh, TRUE);
  g_free(keys);
}

guint
ipsecdiag_keys_psk_count(const ipsecdiag_keys_t *keys)
{
  return keys ? keys->psks->len : 0;
}

const ipsecdiag_psk_entry_t *
ipsecdiag_keys_psk(const ipsecdiag_keys_t *keys, guint index)
{
  return keys && index < keys->psks->len ? g_ptr_array_index(keys->psks, index) : NULL;
}

guint
ipsecdiag_keys_esp_count(const ipsecdiag_keys_t *keys)
{
  return keys ? keys->esp->len : 0;
}

const ipsecdiag_esp_keys_t *
ipsecdiag_keys_esp(const ipsecdiag_keys_t *keys, guint index)
{
  return keys && index < keys->esp->len ? g_ptr_array_index(keys->esp, index) : NULL;
}

guint
ipsecdiag_keys_ike1_count(const ipsecdiag_keys_t *keys)
{
  return keys ? keys->ike1->len : 0;
}

const ipsecdiag_ike1_keys_t *
ipsecdiag_keys_ike1_nth(const ipsecdiag_keys_t *keys, guint index)
{
  return keys && index < keys->ike1->len ? g_ptr_array_index(keys->ike1, index) : NULL;
}

guint
ipsecdiag_keys_ike2_count(const ipsecdiag_keys_t *keys)
{
  return keys ? keys->ike2->len : 0;
}

const ipsecdiag_ike2_keys_t *
ipsecdiag_keys_ike2_nth(const ipsecdiag_keys_t *keys, guint index)
{
  return keys && index < keys->ike2->len ? g_ptr_array_index(keys->ike2, index) : NULL;
}

guint
ipsecdiag_keys_child_dh_count(const ipsecdiag_keys_t *keys)
{
  return keys ? keys->child_dh->len : 0;
}

const ipsecdiag_child_dh_t *
ipsecdiag_keys_child_dh_nth(const ipsecdiag_keys_t *keys, guint index)
{
  return keys && index < keys->child_dh->len ? g_ptr_array_index(keys->child_dh, index) : NULL;
}

const ipsecdiag_child_dh_t *
ipsecdiag_keys_child_dh(const ipsecdiag_keys_t *keys, const guint8 spi_i[IKE_SPI_LEN],
                        const guint8 spi_r[IKE_SPI_LEN], guint32 message_id, ipsecdiag_child_dh_by_t requester)
{
  if (!keys || !spi_i || !spi_r)
    return NULL;
  const ipsecdiag_child_dh_t *any = NULL;
  for (guint i = 0; i < keys->child_dh->len; i++) {
    const ipsecdiag_child_dh_t *e = g_ptr_array_index(keys->child_dh, i);
    if (e->message_id != message_id || memcmp(e->spi_i, spi_i, IKE_SPI_LEN) != 0 ||
        memcmp(e->spi_r, spi_r, IKE_SPI_LEN) != 0)
      continue;
    if (e->by == IPSECDIAG_CHILD_DH_BY_ANY) {
      if (!any)
        any = e;
    } else if (requester == IPSECDIAG_CHILD_DH_BY_ANY || e->by == requester) {
      return e;
    }
  }
  return any;
}

const ipsecdiag_ike1_keys_t *
ipsecdiag_keys_ike1(const ipsecdiag_keys_t *keys, const guint8 cookie_i[IKE_SPI_LEN])
{
  if (!keys || !cookie_i)
    return NULL;
  for (guint i = 0; i < keys->ike1->len; i++) {
    const ipsecdiag_ike1_keys_t *e = g_ptr_array_index(keys->ike1, i);
    if (memcmp(e->cookie_i, cookie_i, IKE_SPI_LEN) == 0)
      return e;
  }
  return NULL;
}

static gboolean
spi_is_zero(const guint8 spi[IKE_SPI_LEN])
{
  for (guint i = 0; i < IKE_SPI_LEN; i++)
    if (spi[i])
      return FALSE;
  return TRUE;
}

const ipsecdiag_ike2_keys_t *
ipsecdiag_keys_ike2(const ipsecdiag_keys_t *keys, const guint8 spi_i[IKE_SPI_LEN],
                    const guint8 spi_r[IKE_SPI_LEN])
{
  if (!keys || !spi_i)
    return NULL;
  gboolean any_r = !spi_r || spi_is_zero(spi_r);
  const ipsecdiag_ike2_keys_t *wildcard = NULL;
  for (guint i = 0; i < keys->ike2->len; i++) {
    const ipsecdiag_ike2_keys_t *e = g_ptr_array_index(keys->ike2, i);
    if (memcmp(e->spi_i, spi_i, IKE_SPI_LEN) != 0)
      continue;
    if (any_r)
      return e;
    if (e->has_spi_r && memcmp(e->spi_r, spi_r, IKE_SPI_LEN) == 0)
      return e;
    if (!e->has_spi_r && !wildcard)
      wildcard = e;
  }
  return wildcard;
}

/* ---- algorithm names ---- */

/* Upper case, '-', ' ', '/' as '_', without a trailing " [RFC...]" and
 * without the IANA prefixes ENCR_, AUTH_, ESP_. */
static char *
normalize_alg_name(const char *name)
{
  GString *out = g_string_new(NULL);
  for (const char *p = name; *p && *p != '[' && out->len < 80; p++) {
    char c = g_ascii_toupper(*p);
    if (c == '-' || c == ' ' || c == '/' || c == '_') {
      if (out->len > 0 && out->str[out->len - 1] != '_')
        g_string_append_c(out, '_');
    } else {
      g_string_append_c(out, c);
    }
  }
  while (out->len > 0 && out->str[out->len - 1] == '_')
    g_string_truncate(out, out->len - 1);
  static const char *const prefixes[] = { "ENCR_", "AUTH_", "ESP_" };
  for (guint i = 0; i < G_N_ELEMENTS(prefixes); i++) {
    if (g_str_has_prefix(out->str, prefixes[i])) {
      g_string_erase(out, 0, (gssize)strlen(prefixes[i]));
      break;
    }
  }
  return g_string_free(out, FALSE);
}

/* IANA IKEv2 transform type 1 IDs (also ESP's). */
enum {
  ENCR_DES = 2, ENCR_3DES = 3, ENCR_CAST = 6, ENCR_BLOWFISH = 7, ENCR_NULL = 11,
  ENCR_AES_CBC = 12, ENCR_AES_CTR = 13, ENCR_AES_CCM_8 = 14, ENCR_AES_CCM_12 = 15,
  ENCR_AES_CCM_16 = 16, ENCR_AES_GCM_8 = 18, ENCR_AES_GCM_12 = 19, ENCR_AES_GCM_16 = 20,
  ENCR_CHACHA20_POLY1305 = 28,
};

/* AES in any spelling: AES_CBC_256, AES256, AES_CTR_128, AES_GCM_16_128,
 * AES_GCM_128_WITH_16_OCTET_ICV, AES128GCM16, AES_GCM_WITH_8_OCTET_ICV ... */
static gboolean
encr_aes_from_name(const char *n, guint16 *id, guint16 *key_bits, guint16 *icv_len)
{
  gboolean gcm = strstr(n, "GCM") != NULL, ccm = strstr(n, "CCM") != NULL;
  gboolean ctr = strstr(n, "CTR") != NULL, cbc = strstr(n, "CBC") != NULL;
  if (gcm + ccm + ctr + cbc > 1)
    return FALSE;
  guint bits = 0, icv = 0, numbers = 0;
  for (const char *p = n + 3; *p;) {
    if (!g_ascii_isdigit(*p)) {
      /* only the mode, separators and the words of Wireshark's names */
      if (g_str_has_prefix(p, "GCM") || g_str_has_prefix(p, "CCM") ||
          g_str_has_prefix(p, "CTR") || g_str_has_prefix(p, "CBC") ||
          g_str_has_prefix(p, "ICV"))
        p += 3;
      else if (g_str_has_prefix(p, "WITH"))
        p += 4;
      else if (g_str_has_prefix(p, "OCTET"))
        p += 5;
      else if (*p == '_')
        p++;
      else
        return FALSE;
      continue;
    }
    guint value = 0;
    while (g_ascii_isdigit(*p) && value < 100000)
      value = value * 10 + (guint)(*p++ - '0');
    if (++numbers > 2)
      return FALSE;
    if (!bits && (value == 128 || value == 192 || value == 256))
      bits = value;
    else if (!icv && (gcm || ccm) && (value == 8 || value == 12 || value == 16))
      icv = value;
    else if (!icv && (gcm || ccm) && (value == 64 || value == 96 || value == 128))
      icv = value / 8;
    else
      return FALSE;
  }
  if ((gcm || ccm) && icv == 0)
    icv = 16;   /* RFC 4106's deprecated unqualified AES-GCM: 16 octets */
  if (gcm)
    *id = icv == 8 ? ENCR_AES_GCM_8 : icv == 12 ? ENCR_AES_GCM_12 : ENCR_AES_GCM_16;
  else if (ccm)
    *id = icv == 8 ? ENCR_AES_CCM_8 : icv == 12 ? ENCR_AES_CCM_12 : ENCR_AES_CCM_16;
  else if (ctr)
    *id = ENCR_AES_CTR;
  else
    *id = ENCR_AES_CBC;
  *key_bits = (guint16)bits;
  *icv_len = (guint16)icv;
  return TRUE;
}

gboolean
ipsecdiag_keys_encr_from_name(const char *name, guint16 *id, guint16 *key_bits, guint16 *icv_len)
{
  static const struct {
    const char *name;
    guint16 id, bits, icv;
  } fixed[] = {
    { "NULL", ENCR_NULL, 0, 0 },
    { "3DES", ENCR_3DES, 192, 0 },
    { "3DES_CBC", ENCR_3DES, 192, 0 },
    { "TRIPLEDES_CBC", ENCR_3DES, 192, 0 },
    { "DES", ENCR_DES, 64, 0 },
    { "DES_CBC", ENCR_DES, 64, 0 },
    { "CAST", ENCR_CAST, 0, 0 },
    { "CAST128", ENCR_CAST, 128, 0 },
    { "CAST5_CBC", ENCR_CAST, 0, 0 },
    { "BLOWFISH", ENCR_BLOWFISH, 0, 0 },
    { "BLOWFISH_CBC", ENCR_BLOWFISH, 0, 0 },
    { "TWOFISH_CBC", IPSECDIAG_ENCR_TWOFISH_CBC, 0, 0 },
    { "CHACHA20_POLY1305", ENCR_CHACHA20_POLY1305, 256, 16 },
    { "CHACHA20POLY1305", ENCR_CHACHA20_POLY1305, 256, 16 },
    { "CHACHA20_WITH_POLY1305", ENCR_CHACHA20_POLY1305, 256, 16 },
  };
  guint16 dummy_id, dummy_bits, dummy_icv;
  if (!id)
    id = &dummy_id;
  if (!key_bits)
    key_bits = &dummy_bits;
  if (!icv_len)
    icv_len = &dummy_icv;
  if (!name)
    return FALSE;
  char *n = normalize_alg_name(name);
  gboolean found = FALSE;
  for (guint i = 0; i < G_N_ELEMENTS(fixed) && !found; i++) {
    if (strcmp(n, fixed[i].name) == 0) {
      *id = fixed[i].id;
      *key_bits = fixed[i].bits;
      *icv_len = fixed[i].icv;
      found = TRUE;
    }
  }
  if (!found && g_str_has_prefix(n, "AES"))
    found = encr_aes_from_name(n, id, key_bits, icv_len);
  g_free(n);
  return found;
}

gboolean
ipsecdiag_keys_integ_from_name(const char *name, guint16 *id, guint16 *icv_len)
{
  /* compared without underscores: HMAC_SHA2_256_128 == HMACSHA2256128 */
  static const struct {
    const char *name;
    guint16 id, icv;
  } names[] = {
    { "NONE", 0, 0 }, { "NULL", 0, 0 },
    { "HMACMD596", 1, 12 }, { "MD5", 1, 12 }, { "MD596", 1, 12 },
    { "HMACSHA196", 2, 12 }, { "SHA1", 2, 12 }, { "SHA", 2, 12 }, { "SHA196", 2, 12 },
    { "AESXCBC96", 5, 12 }, { "AESXCBC", 5, 12 }, { "AESXCBCMAC96", 5, 12 },
    { "HMACMD5128", 6, 16 }, { "MD5128", 6, 16 },
    { "HMACSHA1160", 7, 20 }, { "SHA1160", 7, 20 },
    { "AESCMAC96", 8, 12 }, { "AESCMAC", 8, 12 },
    { "HMACSHA2256128", 12, 16 }, { "HMACSHA256128", 12, 16 }, { "SHA256", 12, 16 },
    { "SHA2256", 12, 16 }, { "SHA256128", 12, 16 }, { "SHA2256128", 12, 16 },
    { "HMACSHA2384192", 13, 24 }, { "HMACSHA384192", 13, 24 }, { "SHA384", 13, 24 },
    { "SHA2384", 13, 24 }, { "SHA384192", 13, 24 }, { "SHA2384192", 13, 24 },
    { "HMACSHA2512256", 14, 32 }, { "HMACSHA512256", 14, 32 }, { "SHA512", 14, 32 },
    { "SHA2512", 14, 32 }, { "SHA512256", 14, 32 }, { "SHA2512256", 14, 32 },
    { "HMACSHA225696", IPSECDIAG_INTEG_HMAC_SHA2_256_96, 12 },
    { "HMACSHA25696", IPSECDIAG_INTEG_HMAC_SHA2_256_96, 12 },
    { "SHA25696", IPSECDIAG_INTEG_HMAC_SHA2_256_96, 12 },
    { "MACRIPEMD16096", IPSECDIAG_INTEG_HMAC_RIPEMD160_96, 12 },
    { "HMACRIPEMD16096", IPSECDIAG_INTEG_HMAC_RIPEMD160_96, 12 },
  };
  guint16 dummy_id, dummy_icv;
  if (!id)
    id = &dummy_id;
  if (!icv_len)
    icv_len = &dummy_icv;
  if (!name)
    return FALSE;
  char *n = normalize_alg_name(name);
  gboolean found = FALSE;
  /* Wireshark's "ANY 96-bits of Authentication [No Checking]" */
  if (g_str_has_prefix(n, "ANY_")) {
    guint bits = (guint)g_ascii_strtoull(n + 4, NULL, 10);
    if (bits == 64 || bits == 96 || bits == 128 || bits == 160 || bits == 192 || bits == 256) {
      *id = IPSECDIAG_INTEG_UNCHECKED;
      *icv_len = (guint16)(bits / 8);
      found = TRUE;
    }
  } else {
    GString *compact = g_string_new(NULL);
    for (const char *p = n; *p; p++)
      if (*p != '_')
        g_string_append_c(compact, *p);
    for (guint i = 0; i < G_N_ELEMENTS(names) && !found; i++) {
      if (strcmp(compact->str, names[i].name) == 0) {
        *id = names[i].id;
        *icv_len = names[i].icv;
        found = TRUE;
      }
    }
    g_string_free(compact, TRUE);
  }
  g_free(n);
  return found;
}

/* Key bytes of an integrity algorithm (0: any). */
static gsize
integ_key_len(guint16 id)
{
  switch (id) {
  case 1: case 6: return 16;          /* HMAC-MD5 */
  case 2: case 7: return 20;          /* HMAC-SHA1 */
  case 5: case 8: return 16;          /* AES-XCBC, AES-CMAC */
  case 12: case IPSECDIAG_INTEG_HMAC_SHA2_256_96: return 32;
  case 13: return 48;
  case 14: return 64;
  case IPSECDIAG_INTEG_HMAC_RIPEMD160_96: return 20;
  default: return 0;
  }
}

/* Bytes of salt after the cipher key in SK_e (RFC 5930, 5282, 7634). */
static gsize
encr_salt_len(guint16 id)
{
  switch (id) {
  case ENCR_AES_CTR: case ENCR_AES_GCM_8: case ENCR_AES_GCM_12: case ENCR_AES_GCM_16:
  case ENCR_CHACHA20_POLY1305:
    return 4;
  case ENCR_AES_CCM_8: case ENCR_AES_CCM_12: case ENCR_AES_CCM_16:
    return 3;
  default:
    return 0;
  }
}

static gboolean
encr_is_aes(guint16 id)
{
  return id == ENCR_AES_CBC || id == ENCR_AES_CTR || (id >= ENCR_AES_CCM_8 && id <= ENCR_AES_CCM_16) ||
         (id >= ENCR_AES_GCM_8 && id <= ENCR_AES_GCM_16);
}

/* ---- a line's context and messages ---- */

typedef struct {
  ipsecdiag_keys_t *keys;
  const char *name;
  guint line_no;
  GPtrArray *errors;
  guint errors_added;      /* in this load, bounded */
  guint errors_dropped;
} load_ctx_t;

static void G_GNUC_PRINTF(2, 3)
report(load_ctx_t *ctx, const char *format, ...)
{
  if (ctx->errors_added >= IPSECDIAG_KEYS_MAX_ERRORS) {
    ctx->errors_dropped++;
    return;
  }
  ctx->errors_added++;
  if (!ctx->errors)
    return;
  va_list args;
  va_start(args, format);
  char *message = g_strdup_vprintf(format, args);
  va_end(args);
  g_ptr_array_add(ctx->errors, g_strdup_printf("%s:%u: %s", ctx->name, ctx->line_no, message));
  g_free(message);
}

static char *
source_here(const load_ctx_t *ctx)
{
  return g_strdup_printf("%s:%u", ctx->name, ctx->line_no);
}

/* ---- values ---- */

/* Hex with an optional 0x and optional ':' between bytes into a new secret.
 * Returns NULL (and sets *why) when malformed. */
static gboolean
parse_hex(const char *text, ipsecdiag_secret_t *out, const char **why)
{
  const char *p = text;
  if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
    p += 2;
  guint8 buf[IPSECDIAG_KEY_MAX];
  gsize len = 0;
  int high = -1;
  for (; *p; p++) {
    if (*p == ':') {
      if (high >= 0) {
        *why = "a ':' splits a byte";
        wipe(buf, len);
        return FALSE;
      }
      continue;
    }
    int v = g_ascii_xdigit_value(*p);
    if (v < 0) {
      *why = "not hex";
      wipe(buf, len);
      return FALSE;
    }
    if (high < 0) {
      high = v;
      continue;
    }
    if (len >= sizeof(buf)) {
      *why = "longer than " G_STRINGIFY(IPSECDIAG_KEY_MAX) " bytes";
      wipe(buf, len);
      return FALSE;
    }
    buf[len++] = (guint8)(high << 4 | v);
    high = -1;
  }
  if (high >= 0) {
    *why = "odd number of hex digits";
    wipe(buf, len);
    return FALSE;
  }
  if (len == 0) {
    *why = "empty";
    return FALSE;
  }
  out->data = g_memdup2(buf, len);
  out->len = len;
  wipe(buf, len);
  return TRUE;
}

/* Exactly IKE_SPI_LEN bytes of hex (SPI or cookie). */
static gboolean
parse_spi8(load_ctx_t *ctx, const char *field, const char *text, guint8 out[IKE_SPI_LEN])
{
  ipsecdiag_secret_t value = { 0, NULL };
  const char *why = NULL;
  if (!parse_hex(text, &value, &why)) {
    report(ctx, "%s: %s (expected %d bytes of hex)", field, why, IKE_SPI_LEN);
    return FALSE;
  }
  gboolean ok = value.len == IKE_SPI_LEN;
  if (ok)
    memcpy(out, value.data, IKE_SPI_LEN);
  else
    report(ctx, "%s: %" G_GSIZE_FORMAT " bytes, expected %d", field, value.len, IKE_SPI_LEN);
  secret_clear(&value);
  return ok;
}

/* A 32-bit ESP SPI in hex, with or without 0x. */
static gboolean
parse_esp_spi(load_ctx_t *ctx, const char *text, guint32 *spi)
{
  const char *p = text;
  if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
    p += 2;
  gsize digits = strlen(p);
  if (digits == 0 || digits > 8) {
    report(ctx, "spi: expected 1 to 8 hex digits");
    return FALSE;
  }
  guint32 value = 0;
  for (; *p; p++) {
    int v = g_ascii_xdigit_value(*p);
    if (v < 0) {
      report(ctx, "spi: not hex");
      return FALSE;
    }
    value = value << 4 | (guint32)v;
  }
  *spi = value;
  return TRUE;
}

/* An IPv4 or IPv6 address in canonical text, or "*" / empty / "any" for any.
 * *out is NULL for any. With lenient (Wireshark's esp_sa), other text made
 * of address characters (wildcards like 10.0.0.*) is kept as written. */
static gboolean
parse_address(load_ctx_t *ctx, const char *field, const char *text, gboolean lenient, char **out)
{
  *out = NULL;
  if (!*text || strcmp(text, "*") == 0 || g_ascii_strcasecmp(text, "any") == 0)
    return TRUE;
  guint8 addr[16];
  char canonical[INET6_ADDRSTRLEN];
  if (inet_pton(AF_INET, text, addr) == 1 &&
      inet_ntop(AF_INET, addr, canonical, sizeof(canonical))) {
    *out = g_strdup(canonical);
    return TRUE;
  }
  if (inet_pton(AF_INET6, text, addr) == 1 &&
      inet_ntop(AF_INET6, addr, canonical, sizeof(canonical))) {
    *out = g_strdup(canonical);
    return TRUE;
  }
  if (lenient && strlen(text) <= 64 && strspn(text, "0123456789abcdefABCDEF.:*/") == strlen(text)) {
    *out = g_strdup(text);
    return TRUE;
  }
  report(ctx, "%s: '%.64s' is not an IPv4 or IPv6 address", field, text);
  return FALSE;
}

/* ---- the ipsecdiag format: tokens ---- */

typedef struct {
  char *key;         /* NULL for a positional value */
  char *value;       /* unescaped */
  gsize value_len;   /* quoted text may hold NUL bytes */
  gboolean quoted;
} token_t;

#define MAX_TOKENS 24

static void
tokens_clear(token_t *tokens, guint count)
{
  for (guint i = 0; i < count; i++) {
    g_free(tokens[i].key);
    if (tokens[i].value) {
      wipe(tokens[i].value, tokens[i].value_len);
      g_free(tokens[i].value);
    }
  }
}

/* Reads a quoted string at *p (on the opening quote) into out. */
static gboolean
read_quoted(load_ctx_t *ctx, const char **p, GString *out)
{
  const char *s = *p + 1;
  while (*s && *s != '"') {
    if (*s != '\\') {
      g_string_append_c(out, *s++);
      continue;
    }
    s++;
    switch (*s) {
    case '"': case '\\': g_string_append_c(out, *s); s++; break;
    case 'n': g_string_append_c(out, '\n'); s++; break;
    case 't': g_string_append_c(out, '\t'); s++; break;
    case 'x': {
      int hi = g_ascii_xdigit_value(s[1]), lo = hi >= 0 ? g_ascii_xdigit_value(s[2]) : -1;
      if (hi < 0 || lo < 0) {
        report(ctx, "bad \\x escape in a quoted string (two hex digits expected)");
        return FALSE;
      }
      g_string_append_c(out, (char)(hi << 4 | lo));
      s += 3;
      break;
    }
    default:
      report(ctx, "unknown escape in a quoted string (use \\\" \\\\ \\n \\t \\xHH)");
      return FALSE;
    }
  }
  if (*s != '"') {
    report(ctx, "quoted string not closed");
    return FALSE;
  }
  *p = s + 1;
  return TRUE;
}

/* Splits a keyword line after its keyword. '#' outside quotes starts a comment. */
static gboolean
tokenize(load_ctx_t *ctx, const char *p, token_t *tokens, guint *count)
{
  *count = 0;
  for (;;) {
    while (*p == ' ' || *p == '\t')
      p++;
    if (!*p || *p == '#')
      return TRUE;
    if (*count >= MAX_TOKENS) {
      report(ctx, "more than %d fields", MAX_TOKENS);
      return FALSE;
    }
    token_t *t = &tokens[*count];
    memset(t, 0, sizeof(*t));
    if (*p != '"') {
      const char *start = p;
      while (*p && *p != ' ' && *p != '\t' && *p != '=' && *p != '"')
        p++;
      if (*p == '=') {
        t->key = g_ascii_strdown(start, p - start);
        p++;
      } else {
        p = start;
      }
    }
    GString *value = g_string_new(NULL);
    if (*p == '"') {
      t->quoted = TRUE;
      if (!read_quoted(ctx, &p, value)) {
        wipe(value->str, value->len);
        g_string_free(value, TRUE);
        (*count)++;
        return FALSE;
      }
      if (*p && *p != ' ' && *p != '\t' && *p != '#') {
        report(ctx, "text right after a closing quote");
        wipe(value->str, value->len);
        g_string_free(value, TRUE);
        (*count)++;
        return FALSE;
      }
    } else {
      while (*p && *p != ' ' && *p != '\t' && *p != '"')
        g_string_append_c(value, *p++);
      if (*p == '"') {
        report(ctx, "a quote inside a value (quote the whole value)");
        wipe(value->str, value->len);
        g_string_free(value, TRUE);
        (*count)++;
        return FALSE;
      }
    }
    if (t->key && !*t->key) {
      report(ctx, "'=' without a field name");
      wipe(value->str, value->len);
      g_string_free(value, TRUE);
      (*count)++;
      return FALSE;
    }
    t->value_len = value->len;
    t->value = g_string_free(value, FALSE);
    (*count)++;
  }
}

/* Canonical field name for the aliases the format accepts. */
static const char *
canonical_field(const char *key)
{
  static const char *const aliases[][2] = {
    { "icookie", "cookie_i" }, { "rcookie", "cookie_r" },
    { "ispi", "spi_i" }, { "rspi", "spi_r" },
    { "label", "name" }, { "peer_id", "id" }, { "peer_addr", "peer" },
    { "enc", "enc_key" }, { "ekey", "enc_key" }, { "akey", "auth_key" },
    { "g_xy", "dh" }, { "g_ir", "dh" }, { "dh_secret", "dh" }, { "key", "secret" },
    { "auth", "integ" }, { "encryption", "encr" }, { "integrity", "integ" },
    { "message_id", "msgid" }, { "mid", "msgid" },
  };
  for (guint i = 0; i < G_N_ELEMENTS(aliases); i++)
    if (strcmp(key, aliases[i][0]) == 0)
      return aliases[i][1];
  return key;
}

/* A secret field: bare hex, or (text_allowed) a quoted string taken as is. */
static gboolean
token_secret(load_ctx_t *ctx, const token_t *t, const char *field, gboolean text_allowed,
             ipsecdiag_secret_t *out)
{
  if (t->quoted) {
    if (!text_allowed) {
      report(ctx, "%s must be hex, not a quoted string", field);
      return FALSE;
    }
    if (t->value_len == 0) {
      report(ctx, "%s is empty", field);
      return FALSE;
    }
    if (t->value_len > IPSECDIAG_KEY_MAX) {
      report(ctx, "%s longer than %d bytes", field, IPSECDIAG_KEY_MAX);
      return FALSE;
    }
    out->data = g_memdup2(t->value, t->value_len);
    out->len = t->value_len;
    return TRUE;
  }
  const char *why = NULL;
  if (!parse_hex(t->value, out, &why)) {
    if (text_allowed)
      report(ctx, "%s: %s (put a text PSK in double quotes)", field, why);
    else
      report(ctx, "%s: %s", field, why);
    return FALSE;
  }
  return TRUE;
}

/* ---- adding entries (merging lines about the same IKE SA) ---- */

static gboolean
room_for_entry(load_ctx_t *ctx)
{
  if (ctx->keys->entries < IPSECDIAG_KEYS_MAX_ENTRIES)
    return TRUE;
  report(ctx, "more than %d entries; line skipped", IPSECDIAG_KEYS_MAX_ENTRIES);
  return FALSE;
}

/* Moves the value of src into dst unless dst already holds a different one
 * (then reports, keeps the first). */
static void
merge_secret(load_ctx_t *ctx, const char *field, const char *first_source,
             ipsecdiag_secret_t *dst, ipsecdiag_secret_t *src)
{
  if (!src->data)
    return;
  if (!dst->data) {
    *dst = *src;
    src->data = NULL;
    src->len = 0;
    return;
  }
  if (!secret_equal(dst, src))
    report(ctx, "%s differs from the one given at %s for the same IKE SA; the first is kept",
           field, first_source);
  secret_clear(src);
}

static void
merge_ike1(load_ctx_t *ctx, ipsecdiag_ike1_keys_t *in)
{
  ipsecdiag_ike1_keys_t *e = NULL;
  for (guint i = 0; i < ctx->keys->ike1->len && !e; i++) {
    ipsecdiag_ike1_keys_t *candidate = g_ptr_array_index(ctx->keys->ike1, i);
    if (memcmp(candidate->cookie_i, in->cookie_i, IKE_SPI_LEN) == 0)
      e = candidate;
  }
  if (!e) {
    g_ptr_array_add(ctx->keys->ike1, in);
    return;
  }
  if (in->has_cookie_r && !e->has_cookie_r) {
    e->has_cookie_r = TRUE;
    memcpy(e->cookie_r, in->cookie_r, IKE_SPI_LEN);
  }
  merge_secret(ctx, "dh", e->source, &e->dh_secret, &in->dh_secret);
  merge_secret(ctx, "skeyid", e->source, &e->skeyid, &in->skeyid);
  merge_secret(ctx, "skeyid_d", e->source, &e->skeyid_d, &in->skeyid_d);
  merge_secret(ctx, "skeyid_a", e->source, &e->skeyid_a, &in->skeyid_a);
  merge_secret(ctx, "skeyid_e", e->source, &e->skeyid_e, &in->skeyid_e);
  merge_secret(ctx, "enc_key", e->source, &e->enc_key, &in->enc_key);
  ike1_free(in);
}

static void
merge_ike2(load_ctx_t *ctx, ipsecdiag_ike2_keys_t *in)
{
  ipsecdiag_ike2_keys_t *e = NULL;
  for (guint i = 0; i < ctx->keys->ike2->len && !e; i++) {
    ipsecdiag_ike2_keys_t *candidate = g_ptr_array_index(ctx->keys->ike2, i);
    if (memcmp(candidate->spi_i, in->spi_i, IKE_SPI_LEN) != 0)
      continue;
    if (!candidate->has_spi_r || !in->has_spi_r ||
        memcmp(candidate->spi_r, in->spi_r, IKE_SPI_LEN) == 0)
      e = candidate;
  }
  if (!e) {
    g_ptr_array_add(ctx->keys->ike2, in);
    return;
  }
  if (in->has_spi_r && !e->has_spi_r) {
    e->has_spi_r = TRUE;
    memcpy(e->spi_r, in->spi_r, IKE_SPI_LEN);
  }
  merge_secret(ctx, "dh", e->source, &e->dh_secret, &in->dh_secret);
  merge_secret(ctx, "sk_d", e->source, &e->sk_d, &in->sk_d);
  merge_secret(ctx, "sk_ai", e->source, &e->sk_ai, &in->sk_ai);
  merge_secret(ctx, "sk_ar", e->source, &e->sk_ar, &in->sk_ar);
  merge_secret(ctx, "sk_ei", e->source, &e->sk_ei, &in->sk_ei);
  merge_secret(ctx, "sk_er", e->source, &e->sk_er, &in->sk_er);
  merge_secret(ctx, "sk_pi", e->source, &e->sk_pi, &in->sk_pi);
  merge_secret(ctx, "sk_pr", e->source, &e->sk_pr, &in->sk_pr);
  if (in->encr_id) {
    if (!e->encr_id) {
      e->encr_id = in->encr_id;
      e->encr_key_bits = in->encr_key_bits;
      e->encr_icv_len = in->encr_icv_len;
    } else if (e->encr_id != in->encr_id || e->encr_key_bits != in->encr_key_bits) {
      report(ctx, "encr differs from the one given at %s for the same IKE SA; the first is kept",
             e->source);
    }
  }
  if (in->integ_id || in->integ_icv_len) {
    if (!e->integ_id && !e->integ_icv_len) {
      e->integ_id = in->integ_id;
      e->integ_icv_len = in->integ_icv_len;
    } else if (e->integ_id != in->integ_id) {
      report(ctx, "integ differs from the one given at %s for the same IKE SA; the first is kept",
             e->source);
    }
  }
  ike2_free(in);
}

/* Checks SK_e / SK_a lengths against the algorithms when both are known and
 * fills the key length of an AES given without one. */
static gboolean
check_ike2_lengths(load_ctx_t *ctx, ipsecdiag_ike2_keys_t *e)
{
  const ipsecdiag_secret_t *sk_e = e->sk_ei.data ? &e->sk_ei : e->sk_er.data ? &e->sk_er : NULL;
  if (e->sk_ei.data && e->sk_er.data && e->sk_ei.len != e->sk_er.len) {
    report(ctx, "SK_ei is %" G_GSIZE_FORMAT " bytes but SK_er %" G_GSIZE_FORMAT, e->sk_ei.len,
           e->sk_er.len);
    return FALSE;
  }
  if (e->sk_ai.data && e->sk_ar.data && e->sk_ai.len != e->sk_ar.len) {
    report(ctx, "SK_ai is %" G_GSIZE_FORMAT " bytes but SK_ar %" G_GSIZE_FORMAT, e->sk_ai.len,
           e->sk_ar.len);
    return FALSE;
  }
  if (sk_e && e->encr_id) {
    gsize salt = encr_salt_len(e->encr_id);
    if (encr_is_aes(e->encr_id) && e->encr_key_bits == 0) {
      gsize key = sk_e->len >= salt ? sk_e->len - salt : 0;
      if (key == 16 || key == 24 || key == 32)
        e->encr_key_bits = (guint16)(key * 8);
    }
    gsize expected = e->encr_id == ENCR_NULL ? 0 : e->encr_key_bits / 8 + salt;
    if ((e->encr_key_bits || e->encr_id == ENCR_NULL) && sk_e->len != expected) {
      report(ctx, "SK_e is %" G_GSIZE_FORMAT " bytes, the cipher needs %" G_GSIZE_FORMAT,
             sk_e->len, expected);
      return FALSE;
    }
  }
  const ipsecdiag_secret_t *sk_a = e->sk_ai.data ? &e->sk_ai : e->sk_ar.data ? &e->sk_ar : NULL;
  gsize integ_len = integ_key_len(e->integ_id);
  if (sk_a && integ_len && sk_a->len != integ_len) {
    report(ctx, "SK_a is %" G_GSIZE_FORMAT " bytes, the integrity algorithm needs %" G_GSIZE_FORMAT,
           sk_a->len, integ_len);
    return FALSE;
  }
  return TRUE;
}

/* ---- keyword lines ---- */

typedef enum { KIND_PSK, KIND_DH, KIND_IKE1, KIND_IKE2, KIND_ESP, KIND_CHILD_DH } line_kind_t;

/* Fields each kind accepts (canonical names); "secret" is the positional value. */
static gboolean
field_allowed(line_kind_t kind, const char *field)
{
  static const char *const psk[] = { "secret", "name", "peer", "id", NULL };
  static const char *const dh[] = { "secret", "spi_i", "spi_r", "cookie_i", "cookie_r", "version", NULL };
  static const char *const ike1[] = { "cookie_i", "cookie_r", "spi_i", "spi_r", "dh", "skeyid",
                                      "skeyid_d", "skeyid_a", "skeyid_e", "enc_key", NULL };
  static const char *const ike2[] = { "spi_i", "spi_r", "dh", "sk_d", "sk_ai", "sk_ar", "sk_ei",
                                      "sk_er", "sk_pi", "sk_pr", "encr", "integ", NULL };
  static const char *const esp[] = { "spi", "src", "dst", "encr", "enc_key", "integ", "auth_key", NULL };
  static const char *const child_dh[] = { "secret", "spi_i", "spi_r", "cookie_i", "cookie_r", "msgid", "by",
                                          "dh", NULL };
  const char *const *list = kind == KIND_PSK ? psk : kind == KIND_DH ? dh : kind == KIND_IKE1 ? ike1
                            : kind == KIND_IKE2 ? ike2 : kind == KIND_CHILD_DH ? child_dh : esp;
  for (guint i = 0; list[i]; i++)
    if (strcmp(list[i], field) == 0)
      return TRUE;
  return FALSE;
}

static const token_t *
find_field(const token_t *tokens, guint count, const char *field)
{
  for (guint i = 0; i < count; i++)
    if (tokens[i].key && strcmp(tokens[i].key, field) == 0)
      return &tokens[i];
  return NULL;
}

/* Replaces aliases, takes the positional value as "secret", rejects unknown
 * and repeated fields. */
static gboolean
check_fields(load_ctx_t *ctx, line_kind_t kind, const char *keyword, token_t *tokens, guint count)
{
  for (guint i = 0; i < count; i++) {
    token_t *t = &tokens[i];
    if (!t->key) {
      if (kind != KIND_PSK && kind != KIND_DH && kind != KIND_CHILD_DH) {
        report(ctx, "%s: value without a field name (write field=value)", keyword);
        return FALSE;
      }
      t->key = g_strdup("secret");
    } else {
      const char *canonical = canonical_field(t->key);
      if (canonical != t->key) {
        char *replaced = g_strdup(canonical);
        g_free(t->key);
        t->key = replaced;
      }
    }
    if (!field_allowed(kind, t->key)) {
      report(ctx, "%s: unknown field '%.32s'", keyword, t->key);
      return FALSE;
    }
    for (guint j = 0; j < i; j++) {
      if (strcmp(tokens[j].key, t->key) == 0) {
        report(ctx, "%s: %s given twice", keyword, t->key);
        return FALSE;
      }
    }
  }
  return TRUE;
}

static gboolean
short_text(load_ctx_t *ctx, const token_t *t, const char *field, gsize max)
{
  if (t->value_len == 0 || t->value_len > max || memchr(t->value, '\0', t->value_len)) {
    report(ctx, "%s: empty, longer than %" G_GSIZE_FORMAT " characters or holds a NUL", field, max);
    return FALSE;
  }
  return TRUE;
}

static gboolean
line_psk(load_ctx_t *ctx, const token_t *tokens, guint count)
{
  const token_t *secret = find_field(tokens, count, "secret");
  if (!secret) {
    report(ctx, "psk: no secret (write psk \"text\" or psk 0xHEX)");
    return FALSE;
  }
  ipsecdiag_psk_entry_t *e = g_new0(ipsecdiag_psk_entry_t, 1);
  gboolean ok = token_secret(ctx, secret, "psk", TRUE, &e->psk);
  const token_t *t;
  if (ok && (t = find_field(tokens, count, "name")) != NULL && (ok = short_text(ctx, t, "name", 64)))
    e->label = g_strdup(t->value);
  if (ok && (t = find_field(tokens, count, "id")) != NULL && (ok = short_text(ctx, t, "id", 256)))
    e->peer_id = g_strdup(t->value);
  if (ok && (t = find_field(tokens, count, "peer")) != NULL)
    ok = parse_address(ctx, "peer", t->value, FALSE, &e->peer_addr);
  if (!ok) {
    psk_free(e);
    return FALSE;
  }
  if (!e->label)
    e->label = g_strdup_printf("line %u", ctx->line_no);
  e->source = source_here(ctx);
  g_ptr_array_add(ctx->keys->psks, e);
  return TRUE;
}

/* spi_i/cookie_i and spi_r/cookie_r of a dh, ike1 or ike2 line. */
static gboolean
sa_spis(load_ctx_t *ctx, const char *keyword, const token_t *tokens, guint count,
        guint8 spi_i[IKE_SPI_LEN], gboolean *has_r, guint8 spi_r[IKE_SPI_LEN])
{
  const token_t *i_tok = find_field(tokens, count, "spi_i");
  const token_t *c_tok = find_field(tokens, count, "cookie_i");
  const token_t *r_tok = find_field(tokens, count, "spi_r");
  const token_t *cr_tok = find_field(tokens, count, "cookie_r");
  if ((i_tok && c_tok) || (r_tok && cr_tok)) {
    report(ctx, "%s: give spi_i/spi_r or cookie_i/cookie_r, not both", keyword);
    return FALSE;
  }
  if (!i_tok)
    i_tok = c_tok;
  if (!r_tok)
    r_tok = cr_tok;
  if (!i_tok) {
    report(ctx, "%s: the initiator SPI (spi_i= or cookie_i=) is missing", keyword);
    return FALSE;
  }
  if (!parse_spi8(ctx, i_tok->key, i_tok->value, spi_i))
    return FALSE;
  *has_r = FALSE;
  if (r_tok) {
    if (!parse_spi8(ctx, r_tok->key, r_tok->value, spi_r))
      return FALSE;
    *has_r = TRUE;
  }
  return TRUE;
}

/* One optional hex secret field into out. */
static gboolean
opt_secret(load_ctx_t *ctx, const token_t *tokens, guint count, const char *field,
           ipsecdiag_secret_t *out, guint *found)
{
  const token_t *t = find_field(tokens, count, field);
  if (!t)
    return TRUE;
  if (!token_secret(ctx, t, field, FALSE, out))
    return FALSE;
  (*found)++;
  return TRUE;
}

static gboolean
line_dh(load_ctx_t *ctx, const token_t *tokens, guint count)
{
  guint8 spi_i[IKE_SPI_LEN], spi_r[IKE_SPI_LEN];
  gboolean has_r;
  if (!sa_spis(ctx, "dh", tokens, count, spi_i, &has_r, spi_r))
    return FALSE;
  const token_t *secret = find_field(tokens, count, "secret");
  if (!secret) {
    report(ctx, "dh: no secret");
    return FALSE;
  }
  const token_t *version = find_field(tokens, count, "version");
  gboolean v1 = TRUE, v2 = TRUE;
  if (version) {
    if (strcmp(version->value, "1") == 0)
      v2 = FALSE;
    else if (strcmp(version->value, "2") == 0)
      v1 = FALSE;
    else {
      report(ctx, "dh: version must be 1 or 2");
      return FALSE;
    }
  }
  ipsecdiag_secret_t value = { 0, NULL };
  if (!token_secret(ctx, secret, "dh", FALSE, &value))
    return FALSE;
  /* Without a version the secret serves either table: an SPI never is both. */
  if (v1) {
    ipsecdiag_ike1_keys_t *e = g_new0(ipsecdiag_ike1_keys_t, 1);
    memcpy(e->cookie_i, spi_i, IKE_SPI_LEN);
    e->has_cookie_r = has_r;
    memcpy(e->cookie_r, spi_r, IKE_SPI_LEN);
    e->dh_secret.data = g_memdup2(value.data, value.len);
    e->dh_secret.len = value.len;
    e->source = source_here(ctx);
    merge_ike1(ctx, e);
  }
  if (v2) {
    ipsecdiag_ike2_keys_t *e = g_new0(ipsecdiag_ike2_keys_t, 1);
    memcpy(e->spi_i, spi_i, IKE_SPI_LEN);
    e->has_spi_r = has_r;
    memcpy(e->spi_r, spi_r, IKE_SPI_LEN);
    e->dh_secret.data = g_memdup2(value.data, value.len);
    e->dh_secret.len = value.len;
    e->source = source_here(ctx);
    merge_ike2(ctx, e);
  }
  secret_clear(&value);
  return TRUE;
}

static gboolean
line_ike1(load_ctx_t *ctx, const token_t *tokens, guint count)
{
  ipsecdiag_ike1_keys_t *e = g_new0(ipsecdiag_ike1_keys_t, 1);
  guint found = 0;
  gboolean ok = sa_spis(ctx, "ike1", tokens, count, e->cookie_i, &e->has_cookie_r, e->cookie_r) &&
                opt_secret(ctx, tokens, count, "dh", &e->dh_secret, &found) &&
                opt_secret(ctx, tokens, count, "skeyid", &e->skeyid, &found) &&
                opt_secret(ctx, tokens, count, "skeyid_d", &e->skeyid_d, &found) &&
                opt_secret(ctx, tokens, count, "skeyid_a", &e->skeyid_a, &found) &&
                opt_secret(ctx, tokens, count, "skeyid_e", &e->skeyid_e, &found) &&
                opt_secret(ctx, tokens, count, "enc_key", &e->enc_key, &found);
  if (ok && found == 0) {
    report(ctx, "ike1: no key (dh=, skeyid=, skeyid_d=, skeyid_a=, skeyid_e= or enc_key=)");
    ok = FALSE;
  }
  if (!ok) {
    ike1_free(e);
    return FALSE;
  }
  e->source = source_here(ctx);
  merge_ike1(ctx, e);
  return TRUE;
}

static gboolean
ike2_algorithms(load_ctx_t *ctx, ipsecdiag_ike2_keys_t *e, const char *encr, const char *integ)
{
  if (encr && *encr &&
      !ipsecdiag_keys_encr_from_name(encr, &e->encr_id, &e->encr_key_bits, &e->encr_icv_len)) {
    report(ctx, "unknown encryption algorithm '%.64s'", encr);
    return FALSE;
  }
  if (integ && *integ && !ipsecdiag_keys_integ_from_name(integ, &e->integ_id, &e->integ_icv_len)) {
    report(ctx, "unknown integrity algorithm '%.64s'", integ);
    return FALSE;
  }
  if (e->encr_icv_len && e->integ_id) {
    report(ctx, "an AEAD cipher takes no integrity algorithm (use NONE)");
    return FALSE;
  }
  return TRUE;
}

static gboolean
line_ike2(load_ctx_t *ctx, const token_t *tokens, guint count)
{
  ipsecdiag_ike2_keys_t *e = g_new0(ipsecdiag_ike2_keys_t, 1);
  guint found = 0;
  const token_t *encr = find_field(tokens, count, "encr");
  const token_t *integ = find_field(tokens, count, "integ");
  gboolean ok = sa_spis(ctx, "ike2", tokens, count, e->spi_i, &e->has_spi_r, e->spi_r) &&
                opt_secret(ctx, tokens, count, "dh", &e->dh_secret, &found) &&
                opt_secret(ctx, tokens, count, "sk_d", &e->sk_d, &found) &&
                opt_secret(ctx, tokens, count, "sk_ai", &e->sk_ai, &found) &&
                opt_secret(ctx, tokens, count, "sk_ar", &e->sk_ar, &found) &&
                opt_secret(ctx, tokens, count, "sk_ei", &e->sk_ei, &found) &&
                opt_secret(ctx, tokens, count, "sk_er", &e->sk_er, &found) &&
                opt_secret(ctx, tokens, count, "sk_pi", &e->sk_pi, &found) &&
                opt_secret(ctx, tokens, count, "sk_pr", &e->sk_pr, &found) &&
                ike2_algorithms(ctx, e, encr ? encr->value : NULL, integ ? integ->value : NULL);
  if (ok && found == 0) {
    report(ctx, "ike2: no key (dh=, sk_d=, sk_ei=, sk_er=, sk_ai=, sk_ar=, sk_pi= or sk_pr=)");
    ok = FALSE;
  }
  ok = ok && check_ike2_lengths(ctx, e);
  if (!ok) {
    ike2_free(e);
    return FALSE;
  }
  e->source = source_here(ctx);
  merge_ike2(ctx, e);
  return TRUE;
}

static gboolean
esp_algorithms(load_ctx_t *ctx, ipsecdiag_esp_keys_t *e)
{
  if (e->encr &&
      !ipsecdiag_keys_encr_from_name(e->encr, &e->encr_id, &e->encr_key_bits, &e->encr_icv_len)) {
    report(ctx, "unknown encryption algorithm '%.64s'", e->encr);
    return FALSE;
  }
  if (e->integ && !ipsecdiag_keys_integ_from_name(e->integ, &e->integ_id, &e->integ_icv_len)) {
    report(ctx, "unknown integrity algorithm '%.64s'", e->integ);
    return FALSE;
  }
  if (encr_is_aes(e->encr_id) && e->encr_key_bits == 0 && e->enc_key.data) {
    gsize salt = encr_salt_len(e->encr_id);
    gsize key = e->enc_key.len >= salt ? e->enc_key.len - salt : 0;
    if (key == 16 || key == 24 || key == 32)
      e->encr_key_bits = (guint16)(key * 8);
  }
  if (!e->enc_key.data && e->encr_id && e->encr_id != ENCR_NULL) {
    report(ctx, "esp: encr without enc_key");
    return FALSE;
  }
  return TRUE;
}

static gboolean
line_esp(load_ctx_t *ctx, const token_t *tokens, guint count)
{
  const token_t *spi = find_field(tokens, count, "spi");
  if (!spi) {
    report(ctx, "esp: spi= is missing");
    return FALSE;
  }
  ipsecdiag_esp_keys_t *e = g_new0(ipsecdiag_esp_keys_t, 1);
  guint found = 0;
  const token_t *t;
  gboolean ok = parse_esp_spi(ctx, spi->value, &e->spi);
  if (ok && (t = find_field(tokens, count, "src")) != NULL)
    ok = parse_address(ctx, "src", t->value, FALSE, &e->src);
  if (ok && (t = find_field(tokens, count, "dst")) != NULL)
    ok = parse_address(ctx, "dst", t->value, FALSE, &e->dst);
  if (ok && (t = find_field(tokens, count, "encr")) != NULL && (ok = short_text(ctx, t, "encr", 64)))
    e->encr = g_strdup(t->value);
  if (ok && (t = find_field(tokens, count, "integ")) != NULL && (ok = short_text(ctx, t, "integ", 64)))
    e->integ = g_strdup(t->value);
  ok = ok && opt_secret(ctx, tokens, count, "enc_key", &e->enc_key, &found) &&
       opt_secret(ctx, tokens, count, "auth_key", &e->auth_key, &found) && esp_algorithms(ctx, e);
  if (ok && found == 0 && !(e->encr_id == ENCR_NULL)) {
    report(ctx, "esp: no key (enc_key= or auth_key=)");
    ok = FALSE;
  }
  if (!ok) {
    esp_free(e);
    return FALSE;
  }
  if (!e->src)
    e->src = g_strdup("*");
  if (!e->dst)
    e->dst = g_strdup("*");
  e->source = source_here(ctx);
  g_ptr_array_add(ctx->keys->esp, e);
  return TRUE;
}

/* A message ID: decimal as charon logs it ("CREATE_CHILD_SA request 2",
 * "QUICK_MODE request 2745812474"), or 0x and up to 8 hex digits. */
static gboolean
parse_message_id(load_ctx_t *ctx, const char *text, guint32 *out)
{
  guint64 value = 0;
  const char *p = text;
  gboolean hex = p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
  if (hex)
    p += 2;
  gsize digits = strlen(p);
  if (digits == 0 || digits > (hex ? 8 : 10)) {
    report(ctx, "msgid: expected a decimal number or 0x and 1 to 8 hex digits");
    return FALSE;
  }
  for (; *p; p++) {
    int v = hex ? g_ascii_xdigit_value(*p) : g_ascii_digit_value(*p);
    if (v < 0) {
      report(ctx, "msgid: not a %s number", hex ? "hex" : "decimal");
      return FALSE;
    }
    value = value * (hex ? 16 : 10) + (guint64)v;
  }
  if (value > G_MAXUINT32) {
    report(ctx, "msgid: larger than 32 bits");
    return FALSE;
  }
  *out = (guint32)value;
  return TRUE;
}

static gboolean
line_child_dh(load_ctx_t *ctx, const token_t *tokens, guint count)
{
  ipsecdiag_child_dh_t *e = g_new0(ipsecdiag_child_dh_t, 1);
  gboolean has_r = FALSE;
  const token_t *msgid = find_field(tokens, count, "msgid");
  const token_t *by = find_field(tokens, count, "by");
  const token_t *secret = find_field(tokens, count, "secret");
  const token_t *dh = find_field(tokens, count, "dh");
  gboolean ok = sa_spis(ctx, "child-dh", tokens, count, e->spi_i, &has_r, e->spi_r);
  if (ok && secret && dh) {
    report(ctx, "child-dh: give the secret once (bare or as dh=)");
    ok = FALSE;
  }
  if (!secret)
    secret = dh;
  if (ok && !has_r) {
    /* a Child SA exchange always has both SPIs: without it a match would be a guess */
    report(ctx, "child-dh: the responder SPI (spi_r= or cookie_r=) is missing");
    ok = FALSE;
  }
  if (ok && !msgid) {
    report(ctx, "child-dh: msgid= (the message ID of the exchange) is missing");
    ok = FALSE;
  }
  ok = ok && parse_message_id(ctx, msgid->value, &e->message_id);
  if (ok && by) {
    if (g_ascii_strcasecmp(by->value, "i") == 0 || g_ascii_strcasecmp(by->value, "initiator") == 0)
      e->by = IPSECDIAG_CHILD_DH_BY_INITIATOR;
    else if (g_ascii_strcasecmp(by->value, "r") == 0 || g_ascii_strcasecmp(by->value, "responder") == 0)
      e->by = IPSECDIAG_CHILD_DH_BY_RESPONDER;
    else {
      report(ctx, "child-dh: by must be i (initiator) or r (responder)");
      ok = FALSE;
    }
  }
  if (ok && !secret) {
    report(ctx, "child-dh: no secret");
    ok = FALSE;
  }
  ok = ok && token_secret(ctx, secret, "child-dh", FALSE, &e->dh_secret);
  if (!ok) {
    child_dh_free(e);
    return FALSE;
  }
  for (guint i = 0; i < ctx->keys->child_dh->len; i++) {
    const ipsecdiag_child_dh_t *old = g_ptr_array_index(ctx->keys->child_dh, i);
    if (old->message_id == e->message_id && old->by == e->by && memcmp(old->spi_i, e->spi_i, IKE_SPI_LEN) == 0 &&
        memcmp(old->spi_r, e->spi_r, IKE_SPI_LEN) == 0) {
      if (!secret_equal(&old->dh_secret, &e->dh_secret))
        report(ctx, "child-dh differs from the one given at %s for the same exchange; the first is kept",
               old->source);
      child_dh_free(e);
      return TRUE;
    }
  }
  e->source = source_here(ctx);
  g_ptr_array_add(ctx->keys->child_dh, e);
  return TRUE;
}

static gboolean
keyword_line(load_ctx_t *ctx, line_kind_t kind, const char *keyword, const char *rest)
{
  token_t tokens[MAX_TOKENS];
  guint count = 0;
  gboolean ok = tokenize(ctx, rest, tokens, &count) && check_fields(ctx, kind, keyword, tokens, count);
  if (ok) {
    switch (kind) {
    case KIND_PSK: ok = line_psk(ctx, tokens, count); break;
    case KIND_DH: ok = line_dh(ctx, tokens, count); break;
    case KIND_IKE1: ok = line_ike1(ctx, tokens, count); break;
    case KIND_IKE2: ok = line_ike2(ctx, tokens, count); break;
    case KIND_ESP: ok = line_esp(ctx, tokens, count); break;
    case KIND_CHILD_DH: ok = line_child_dh(ctx, tokens, count); break;
    }
  }
  tokens_clear(tokens, count);
  return ok;
}

/* ---- Wireshark UAT rows ---- */

#define UAT_MAX_FIELDS 8

/* Splits a UAT CSV row: fields separated by ',', optionally in double quotes
 * with \" \\ \xHH escapes (Wireshark's uat_load). */
static gboolean
uat_split(load_ctx_t *ctx, const char *p, GString **fields, guint *count)
{
  *count = 0;
  for (;;) {
    if (*count >= UAT_MAX_FIELDS) {
      report(ctx, "a Wireshark table row with more than %d fields", UAT_MAX_FIELDS);
      return FALSE;
    }
    GString *field = g_string_new(NULL);
    fields[(*count)++] = field;
    while (*p == ' ' || *p == '\t')
      p++;
    if (*p == '"') {
      if (!read_quoted(ctx, &p, field))
        return FALSE;
    } else {
      while (*p && *p != ',' && *p != '"')
        g_string_append_c(field, *p++);
      if (*p == '"') {
        report(ctx, "a quote inside an unquoted field of a Wireshark table row");
        return FALSE;
      }
      while (field->len > 0 && (field->str[field->len - 1] == ' ' || field->str[field->len - 1] == '\t'))
        g_string_truncate(field, field->len - 1);
    }
    while (*p == ' ' || *p == '\t')
      p++;
    if (!*p)
      return TRUE;
    if (*p != ',') {
      report(ctx, "text after a quoted field of a Wireshark table row");
      return FALSE;
    }
    p++;
  }
}

/* A hex buffer field of a UAT row; empty allowed (nothing stored). */
static gboolean
uat_hex(load_ctx_t *ctx, const char *table, const char *field, const GString *text,
        ipsecdiag_secret_t *out)
{
  if (text->len == 0)
    return TRUE;
  const char *why = NULL;
  if (!parse_hex(text->str, out, &why)) {
    report(ctx, "%s: %s: %s", table, field, why);
    return FALSE;
  }
  return TRUE;
}

static gboolean
uat_ikev1(load_ctx_t *ctx, GString **f)
{
  ipsecdiag_ike1_keys_t *e = g_new0(ipsecdiag_ike1_keys_t, 1);
  gboolean ok = parse_spi8(ctx, "ikev1_decryption_table: initiator's cookie", f[0]->str, e->cookie_i) &&
                uat_hex(ctx, "ikev1_decryption_table", "encryption key", f[1], &e->enc_key);
  if (ok && !e->enc_key.data) {
    report(ctx, "ikev1_decryption_table: no encryption key");
    ok = FALSE;
  }
  if (!ok) {
    ike1_free(e);
    return FALSE;
  }
  e->source = source_here(ctx);
  merge_ike1(ctx, e);
  return TRUE;
}

static gboolean
uat_ikev2(load_ctx_t *ctx, GString **f)
{
  static const char table[] = "ikev2_decryption_table";
  ipsecdiag_ike2_keys_t *e = g_new0(ipsecdiag_ike2_keys_t, 1);
  e->has_spi_r = TRUE;
  gboolean ok = parse_spi8(ctx, "ikev2_decryption_table: initiator's SPI", f[0]->str, e->spi_i) &&
                parse_spi8(ctx, "ikev2_decryption_table: responder's SPI", f[1]->str, e->spi_r) &&
                uat_hex(ctx, table, "SK_ei", f[2], &e->sk_ei) &&
                uat_hex(ctx, table, "SK_er", f[3], &e->sk_er) &&
                uat_hex(ctx, table, "SK_ai", f[5], &e->sk_ai) &&
                uat_hex(ctx, table, "SK_ar", f[6], &e->sk_ar) &&
                ike2_algorithms(ctx, e, f[4]->str, f[7]->str) && check_ike2_lengths(ctx, e);
  if (!ok) {
    ike2_free(e);
    return FALSE;
  }
  e->source = source_here(ctx);
  merge_ike2(ctx, e);
  return TRUE;
}

/* esp_sa keys: "0x..." is hex, anything else the text itself (as Wireshark). */
static gboolean
uat_esp_key(load_ctx_t *ctx, const char *field, const GString *text, ipsecdiag_secret_t *out)
{
  if (text->len == 0)
    return TRUE;
  if (text->str[0] == '0' && (text->str[1] == 'x' || text->str[1] == 'X'))
    return uat_hex(ctx, "esp_sa", field, text, out);
  if (text->len > IPSECDIAG_KEY_MAX) {
    report(ctx, "esp_sa: %s longer than %d bytes", field, IPSECDIAG_KEY_MAX);
    return FALSE;
  }
  out->data = g_memdup2(text->str, text->len);
  out->len = text->len;
  return TRUE;
}

static gboolean
uat_esp_sa(load_ctx_t *ctx, GString **f)
{
  ipsecdiag_esp_keys_t *e = g_new0(ipsecdiag_esp_keys_t, 1);
  gboolean ok = parse_address(ctx, "esp_sa: source", f[1]->str, TRUE, &e->src) &&
                parse_address(ctx, "esp_sa: destination", f[2]->str, TRUE, &e->dst);
  if (ok && (f[3]->len == 0 || strcmp(f[3]->str, "*") == 0)) {
    report(ctx, "esp_sa: an SPI is needed (the wildcard '*' is not supported)");
    ok = FALSE;
  }
  ok = ok && parse_esp_spi(ctx, f[3]->str, &e->spi);
  if (ok && f[4]->len)
    e->encr = g_strndup(f[4]->str, 64);
  if (ok && f[6]->len)
    e->integ = g_strndup(f[6]->str, 64);
  ok = ok && uat_esp_key(ctx, "encryption key", f[5], &e->enc_key) &&
       uat_esp_key(ctx, "authentication key", f[7], &e->auth_key) && esp_algorithms(ctx, e);
  if (!ok) {
    esp_free(e);
    return FALSE;
  }
  if (!e->src)
    e->src = g_strdup("*");
  if (!e->dst)
    e->dst = g_strdup("*");
  e->source = source_here(ctx);
  g_ptr_array_add(ctx->keys->esp, e);
  return TRUE;
}

static gboolean
uat_row(load_ctx_t *ctx, const char *line)
{
  GString *fields[UAT_MAX_FIELDS];
  guint count = 0;
  gboolean ok = uat_split(ctx, line, fields, &count);
  if (ok) {
    if (count == 2) {
      ok = uat_ikev1(ctx, fields);
    } else if (count == 8 && (g_ascii_strcasecmp(fields[0]->str, "IPv4") == 0 ||
                              g_ascii_strcasecmp(fields[0]->str, "IPv6") == 0 ||
                              g_ascii_strcasecmp(fields[0]->str, "Any") == 0)) {
      ok = uat_esp_sa(ctx, fields);
    } else if (count == 8) {
      ok = uat_ikev2(ctx, fields);
    } else {
      report(ctx, "a Wireshark table row has 2 fields (ikev1_decryption_table) or 8 "
             "(ikev2_decryption_table, esp_sa), this one %u", count);
      ok = FALSE;
    }
  }
  for (guint i = 0; i < count; i++) {
    wipe(fields[i]->str, fields[i]->len);
    g_string_free(fields[i], TRUE);
  }
  return ok;
}

/* ---- lines and files ---- */

static gboolean
load_line(load_ctx_t *ctx, const char *line)
{
  while (*line == ' ' || *line == '\t')
    line++;
  if (!*line || *line == '#')
    return FALSE;   /* nothing to load, nothing wrong */
  static const struct {
    const char *word;
    line_kind_t kind;
  } keywords[] = {
    { "psk", KIND_PSK }, { "dh", KIND_DH }, { "ike1", KIND_IKE1 }, { "ike2", KIND_IKE2 },
    { "esp", KIND_ESP }, { "child-dh", KIND_CHILD_DH },
  };
  gsize word_len = strcspn(line, " \t,");
  for (guint i = 0; i < G_N_ELEMENTS(keywords); i++) {
    if (word_len == strlen(keywords[i].word) &&
        g_ascii_strncasecmp(line, keywords[i].word, word_len) == 0 && line[word_len] != ',') {
      if (!room_for_entry(ctx))
        return FALSE;
      if (!keyword_line(ctx, keywords[i].kind, keywords[i].word, line + word_len))
        return FALSE;
      ctx->keys->entries++;
      return TRUE;
    }
  }
  if (strchr(line, ',')) {
    if (!room_for_entry(ctx))
      return FALSE;
    if (!uat_row(ctx, line))
      return FALSE;
    ctx->keys->entries++;
    return TRUE;
  }
  report(ctx, "unknown entry '%.*s': expected psk, dh, ike1, ike2, esp, child-dh or a Wireshark table row",
         (int)MIN(word_len, 32), line);
  return FALSE;
}

guint
ipsecdiag_keys_load_data(ipsecdiag_keys_t *keys, const char *name, const char *data, gsize len,
                         GPtrArray *errors)
{
  if (!keys || (!data && len))
    return 0;
  load_ctx_t ctx = { keys, name ? name : "keys", 0, errors, 0, 0 };
  guint loaded = 0;
  gsize pos = 0;
  /* A UTF-8 byte order mark (Windows editors) is not part of the first line. */
  if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
    pos = 3;
  while (pos < len) {
    ctx.line_no++;
    const char *start = data + pos;
    const char *nl = memchr(start, '\n', len - pos);
    gsize line_len = nl ? (gsize)(nl - start) : len - pos;
    pos += line_len + (nl ? 1 : 0);
    if (line_len > 0 && start[line_len - 1] == '\r')
      line_len--;
    if (line_len > IPSECDIAG_KEYS_MAX_LINE) {
      report(&ctx, "line longer than %d characters", IPSECDIAG_KEYS_MAX_LINE);
      continue;
    }
    if (memchr(start, '\0', line_len)) {
      report(&ctx, "NUL byte in the line (write binary secrets in hex)");
      continue;
    }
    char *line = g_strndup(start, line_len);
    if (load_line(&ctx, line))
      loaded++;
    wipe(line, line_len);
    g_free(line);
  }
  if (ctx.errors_dropped && errors)
    g_ptr_array_add(errors, g_strdup_printf("%s: %u more problems not listed", ctx.name,
                                            ctx.errors_dropped));
  return loaded;
}

guint
ipsecdiag_keys_load_file(ipsecdiag_keys_t *keys, const char *path, GPtrArray *errors)
{
  if (!keys || !path)
    return 0;
  GStatBuf st;
  if (g_stat(path, &st) != 0) {
    if (errors)
      g_ptr_array_add(errors, g_strdup_printf("%s: %s", path, g_strerror(errno)));
    return 0;
  }
  if (!S_ISREG(st.st_mode) || st.st_size > IPSECDIAG_KEYS_MAX_FILE) {
    if (errors)
      g_ptr_array_add(errors, g_strdup_printf("%s: not a regular file of at most %d bytes", path,
                                              IPSECDIAG_KEYS_MAX_FILE));
    return 0;
  }
  char *contents = NULL;
  gsize len = 0;
  GError *error = NULL;
  if (!g_file_get_contents(path, &contents, &len, &error)) {
    if (errors)
      g_ptr_array_add(errors, g_strdup_printf("%s: %s", path, error->message));
    g_error_free(error);
    return 0;
  }
  guint loaded = 0;
  if (len > IPSECDIAG_KEYS_MAX_FILE) {   /* grew since the stat */
    if (errors)
      g_ptr_array_add(errors, g_strdup_printf("%s: not a regular file of at most %d bytes", path,
                                              IPSECDIAG_KEYS_MAX_FILE));
  } else {
    loaded = ipsecdiag_keys_load_data(keys, path, contents, len, errors);
  }
  wipe(contents, len);
  g_free(contents);
  return loaded;
}
