/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Code layout of the per-ESP-packet path. tshark's own dissection of a
 * packet runs through far more code than the 32 KiB instruction cache
 * holds, so the plugin's code is cold again at every packet: each cache line
 * of it that a packet runs costs a miss (cachegrind: about 70 per frame on
 * the IPsec-heavy benchmark file). The functions every ESP packet runs are
 * marked hot (kept together, in .text.hot) and what an ESP packet rarely
 * does (its SA's first packet, findings) is moved out of line and marked
 * cold, so that the common path spans few lines.
 */
#ifndef IPSECDIAG_HOT_PATH_H
#define IPSECDIAG_HOT_PATH_H

#if defined(__GNUC__) || defined(__clang__)
#define IPSECDIAG_HOT __attribute__((hot))
#define IPSECDIAG_COLD __attribute__((cold, noinline))
#define IPSECDIAG_NOINLINE __attribute__((noinline))
#else
#define IPSECDIAG_HOT
#define IPSECDIAG_COLD
#define IPSECDIAG_NOINLINE
#endif

#endif
