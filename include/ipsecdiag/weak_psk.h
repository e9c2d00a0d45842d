/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipsecdiag: the built-in list of common weak pre-shared keys and the offline
 * check of an IKEv1 Aggressive Mode HASH_R / HASH_I against it
 * (engine_weak_psk.c; the engine calls it, see
 * ipsecdiag_engine_set_weak_psk_check()). Plain C + glib + libgcrypt.
 */
#ifndef IPSECDIAG_WEAK_PSK_H
#define IPSECDIAG_WEAK_PSK_H

#include <glib.h>
#include "ipsecdiag/ike_parse.h"

G_BEGIN_DECLS

guint ipsecdiag_weak_psk_count(void);
/* Entry index of the list, NULL past the end. */
const char *ipsecdiag_weak_psk_entry(guint index);

/* Index of the list entry whose HASH_R (responder TRUE) or HASH_I matches
 * hash, -1 when none (or the inputs are unusable). hash_attr is the IKEv1
 * phase 1 hash attribute (1 MD5, 2 SHA1, 4/5/6 SHA2); sa_i is the
 * initiator's SA payload body, id the sender's ID payload body, ke_* and
 * n_* the KE and nonce data. */
gint ipsecdiag_weak_psk_search(guint16 hash_attr, gboolean responder,
                               const guint8 *ke_i, gsize ke_i_len, const guint8 *ke_r, gsize ke_r_len,
                               const guint8 *n_i, gsize n_i_len, const guint8 *n_r, gsize n_r_len,
                               const guint8 cky_i[IKE_SPI_LEN], const guint8 cky_r[IKE_SPI_LEN],
                               const guint8 *sa_i, gsize sa_i_len, const guint8 *id, gsize id_len,
                               const guint8 *hash, gsize hash_len);

/* "c…3 (8 characters)": first and last character and the length, never the
 * whole PSK (only the length for PSKs of 1 or 2 characters). Returns buf. */
char *ipsecdiag_weak_psk_mask(const char *psk, char *buf, gsize buf_len);

G_END_DECLS

#endif
