#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# ipsecdiag capture lab: records the project's test captures from real
# strongSwan (charon 5.9.x) peers running in network namespaces.
#
#   lab.sh list                      list the scenarios
#   lab.sh record SCENARIO...        record the named scenarios
#   lab.sh record all                record every scenario
#   lab.sh verify [SCENARIO...]      check recorded captures against their
#                                    expected signatures (default: all)
#   lab.sh clean                     tear down namespaces, processes, temp dir
#
# Topology (see README.md next to this file):
#
#   isd-a (initiator, site A)       isd-r (router)            isd-b (responder, site B)
#   lan0 10.1.0.1/24                                           lan0 10.2.0.1/24
#   eth0 192.168.10.2/24 --- r-a 192.168.10.1 | r-b 198.51.100.1 --- eth0 198.51.100.2/24
#
# Needs root, iproute2, iptables, tcpdump, tshark, strongswan-charon,
# strongswan-swanctl, libstrongswan-standard-plugins, libcharon-extra-plugins
# (kernel-libipsec) and /dev/net/tun. Kernel ESP (XFRM) is not needed.

set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CAPTURES_DIR=${ISD_CAPTURES_DIR:-$(dirname "$LAB_DIR")}
WORK=${ISD_LAB_WORK:-/tmp/ipsecdiag-lab}
CHARON=${ISD_CHARON:-/usr/lib/ipsec/charon}
SWANCTL=${ISD_SWANCTL:-swanctl}

NS_A=isd-a
NS_R=isd-r
NS_B=isd-b
ALL_NS="$NS_A $NS_R $NS_B"

A_WAN=192.168.10.2
R_IN=192.168.10.1
R_OUT=198.51.100.1
B_WAN=198.51.100.2
A_LAN=10.1.0.1
A_NET=10.1.0.0/24
B_LAN=10.2.0.1
B_NET=10.2.0.0/24
# second subnet pair, used by scenarios with a second CHILD_SA
A_LAN2=10.1.1.1
A_NET2=10.1.1.0/24
B_LAN2=10.2.1.1
B_NET2=10.2.1.0/24

A_ID=site-a.ipsecdiag.test
B_ID=site-b.ipsecdiag.test
# Test-only pre-shared key. Never use it anywhere real.
LAB_PSK=ipsecdiag-lab-psk-DO-NOT-USE

CAPTURE_FILTER='udp or esp or icmp or icmp6'

log() { printf '[lab] %s\n' "$*" >&2; }
die() { printf '[lab] ERROR: %s\n' "$*" >&2; exit 1; }

# --------------------------------------------------------------------------
# Scenario registry. Each scenario is a function scn_<name with - as _> that
# sets the knobs below (after scenario_defaults) and may override the hooks
# hook_router, hook_responder_fw and hook_run. The order here is the order
# of `lab.sh list` and `lab.sh record all`.
# --------------------------------------------------------------------------
SCENARIOS=()
declare -A SCN_SUMMARY=()
register() { SCENARIOS+=("$1"); SCN_SUMMARY[$1]=$2; }

scenario_defaults() {
	IKE_VERSION=2
	IKE_PROPOSALS=aes256-sha256-modp2048
	ESP_PROPOSALS=aes256-sha256
	# swanctl "encap" (yes|no); empty: not written (default no). Note that
	# kernel-libipsec requires UDP-encapsulated ESP, so charon forces
	# encapsulation anyway (fake NAT_DETECTION_SOURCE_IP / NAT-D hash, switch
	# to UDP 4500) whatever this says.
	ENCAP=""
	INITIATOR_PSK=$LAB_PSK
	RESPONDER_PSK=$LAB_PSK
	RETRANSMIT_TIMEOUT=1.0
	RETRANSMIT_BASE=1.8
	RETRANSMIT_TRIES=3
	RESPONDER_DAEMON=yes       # no: no charon in isd-b
	NAT=no                     # yes: MASQUERADE site A on the router
	SIDES="initiator responder"
	SECOND_CHILD=no            # yes: configure child "net2" (10.1.1.0/24 <-> 10.2.1.0/24)
	TAIL=2                     # seconds captured after the run hook returns
	EXTRA_CHARON_CONF=""       # appended inside charon { } of both peers
	EXTRA_CONN_CONF=""         # appended inside connections.lab { } of both peers
	EXTRA_CHILD_CONF=""        # appended inside each child { } of both peers
	# Per-side overrides, for configuration mismatches; empty: the common
	# knob above (or the mirrored default) applies to that side.
	#   <SIDE>_IKE_VERSION, <SIDE>_IKE_PROPOSALS, <SIDE>_ESP_PROPOSALS
	#   <SIDE>_EXTRA_CHARON_CONF, <SIDE>_EXTRA_CONN_CONF, <SIDE>_EXTRA_CHILD_CONF
	#     (appended after the common ones)
	#   <SIDE>_REMOTE_ADDRS (responder default %any, so it cannot initiate),
	#   <SIDE>_REMOTE_ID, <SIDE>_LOCAL_TS, <SIDE>_REMOTE_TS
	local side knob
	for side in INITIATOR RESPONDER; do
		for knob in IKE_VERSION IKE_PROPOSALS ESP_PROPOSALS EXTRA_CHARON_CONF \
			EXTRA_CONN_CONF EXTRA_CHILD_CONF REMOTE_ADDRS REMOTE_ID LOCAL_TS REMOTE_TS; do
			printf -v "${side}_$knob" '%s' ""
		done
	done
	README_WHAT="(no description)"
	# expected capture signatures (see capture_signature), checked by
	# "lab.sh verify" and after each recording; empty: not checked
	EXPECT_initiator=""
	EXPECT_responder=""
	hook_router() { :; }
	hook_responder_fw() { :; }
	hook_run() { run_healthy; }
}

# ---- healthy ---------------------------------------------------------------
register healthy-ikev1 "IKEv1 Main Mode PSK + Quick Mode, ESP-in-UDP both ways"
scn_healthy_ikev1() {
	IKE_VERSION=1
	EXPECT_initiator='>500:2 <500:2 >500:2 <500:2 >4500:2 <4500:2 >4500:32 <4500:32 >4500:32 | esp >6 <6'
	EXPECT_responder='>500:2 <500:2 >500:2 <500:2 >4500:2 <4500:2 >4500:32 <4500:32 >4500:32 | esp >6 <6'
	README_WHAT="A complete, healthy IKEv1 negotiation: Main Mode with PSK authentication
(MI1/MR1 SA + vendor IDs, MI2/MR2 KE + nonce + NAT-D on UDP 500, then MI3/MR3
encrypted ID + HASH on UDP 4500), then Quick Mode (QI1, QR1, QI2) on UDP 4500. After that, 3 pings from 10.1.0.1 to 10.2.0.1 and 3 pings
from 10.2.0.1 to 10.1.0.1 travel as UDP-encapsulated ESP (port 4500 both ends), so
ESP flows in both directions.

Expected diagnosis: healthy, no problem found (phase 1 and phase 2 up, ESP both ways).

The switch to UDP 4500 happens although there is no NAT: it is forced by
kernel-libipsec (see \"Lab artifacts\" below)."
}

register identical-lifetimes-ikev1 "IKEv1 with IKE and IPsec SA lifetimes equal (both 1 h): rekeys coincide"
scn_identical_lifetimes_ikev1() {
	IKE_VERSION=1
	# The IKE SA's rekey_time equals the child's default (1 h): strongSwan
	# proposes rekey_time + 10% for both, 3960 s in phase 1 and phase 2.
	EXTRA_CONN_CONF="rekey_time = 1h"
	EXPECT_initiator='>500:2 <500:2 >500:2 <500:2 >4500:2 <4500:2 >4500:32 <4500:32 >4500:32 | esp >6 <6'
	EXPECT_responder='>500:2 <500:2 >500:2 <500:2 >4500:2 <4500:2 >4500:32 <4500:32 >4500:32 | esp >6 <6'
	README_WHAT="A healthy IKEv1 tunnel (as healthy-ikev1) whose IKE SA is configured with
rekey_time = 1h, the same as the Child SA's default: strongSwan proposes a
lifetime of 3960 s (rekey time + 10%) in Main Mode (MI1, in the clear) and in
Quick Mode (QI1, encrypted). Both SAs would expire and rekey at the same moment.

The phase 2 lifetime is only visible after decryption: see
identical-lifetimes-ikev1-decrypted, which runs this capture with the keys from
the charon logs.

Expected diagnosis: without keys, a healthy tunnel; with keys, a note that the
phase 1 and phase 2 lifetimes are identical (stability advice)."
}

register healthy-ikev2 "IKEv2 IKE_SA_INIT + IKE_AUTH, ESP-in-UDP both ways"
scn_healthy_ikev2() {
	IKE_VERSION=2
	EXPECT_initiator='>500:34 <500:34 >4500:35 <4500:35 | esp >6 <6'
	EXPECT_responder='>500:34 <500:34 >4500:35 <4500:35 | esp >6 <6'
	README_WHAT="A complete, healthy IKEv2 negotiation: IKE_SA_INIT request/response on UDP 500
(with NAT-D notifies), IKE_AUTH request/response on UDP 4500 (PSK, one CHILD_SA
10.1.0.0/24 <-> 10.2.0.0/24). After that, 3 pings from 10.1.0.1 to 10.2.0.1 and
3 pings from 10.2.0.1 to 10.1.0.1 travel as UDP-encapsulated ESP on port 4500, so
ESP flows in both directions.

Expected diagnosis: healthy, no problem found (IKE SA and CHILD SA up, ESP both ways).

The switch to UDP 4500 happens although there is no NAT: it is forced by
kernel-libipsec (see \"Lab artifacts\" below)."
}

register healthy-nat-ikev2 "IKEv2 with site A behind the router's NAT, natural NAT-T to 4500"
scn_healthy_nat_ikev2() {
	IKE_VERSION=2
	EXPECT_initiator='>500:34 <500:34 >4500:35 <4500:35 | esp >6 <6'
	EXPECT_responder='>500:34 <500:34 >4500:35 <4500:35 | esp >6 <6'
	NAT=yes
	README_WHAT="A healthy IKEv2 negotiation with the initiator behind a NAT: the router
masquerades 192.168.10.2 to its outside address 198.51.100.1. IKE_SA_INIT on UDP 500
carries NAT_DETECTION_SOURCE_IP/DESTINATION_IP notifies. The responder's
NAT_DETECTION_DESTINATION_IP hash (computed over 198.51.100.1:500) does not match the
initiator's own address, so the initiator genuinely detects that it is behind a NAT
(\"local host is behind NAT, sending keep alives\" in its log) and moves to UDP 4500
for IKE_AUTH. Then 3 pings each way travel as UDP-encapsulated ESP on port 4500.

The initiator side shows 192.168.10.2 talking to 198.51.100.2; the responder side
shows the translated address 198.51.100.1 (the router may also translate the
source port, here it keeps 500/4500 because nothing else uses them).

Expected diagnosis: healthy, NAT detected (initiator behind NAT), NAT-T in use,
ESP in UDP both ways."
}

register healthy-nat-ikev1 "IKEv1 with site A behind the router's NAT, natural NAT-T to 4500"
scn_healthy_nat_ikev1() {
	IKE_VERSION=1
	EXPECT_initiator='>500:2 <500:2 >500:2 <500:2 >4500:2 <4500:2 >4500:32 <4500:32 >4500:32 | esp >6 <6'
	EXPECT_responder='>500:2 <500:2 >500:2 <500:2 >4500:2 <4500:2 >4500:32 <4500:32 >4500:32 | esp >6 <6'
	NAT=yes
	README_WHAT="A healthy IKEv1 negotiation with the initiator behind a NAT: the router
masquerades 192.168.10.2 to 198.51.100.1. Main Mode MI1/MR1 (with NAT-T vendor IDs)
and MI2/MR2 (with NAT-D payloads whose hashes reveal the NAT) on UDP 500, then MI3/MR3
and Quick Mode on UDP 4500 (genuine NAT detection on the initiator: \"local host is behind NAT\"). Then 3 pings
each way travel as UDP-encapsulated ESP on port 4500.

Expected diagnosis: healthy, NAT detected (initiator behind NAT), NAT-T in use,
ESP in UDP both ways."
}

# ---- ESP health ----------------------------------------------------------------
# ESP in UDP 4500 that is not IKE: the 4 bytes after the UDP header are not the
# zero non-ESP marker (NAT keepalives, 1 byte, are too short to match).
ESP_IN_UDP_MATCH=(-p udp --dport 4500 -m u32 --u32 "0>>22&0x3C@8=1:0xffffffff")

register healthy-esp-traffic-ikev2 "IKEv2, 20 pings each way at the same time: ESP both ways, no loss"
scn_healthy_esp_traffic_ikev2() {
	IKE_VERSION=2
	EXPECT_initiator='>500:34 <500:34 >4500:35 <4500:35 | esp >40 <40'
	EXPECT_responder='>500:34 <500:34 >4500:35 <4500:35 | esp >40 <40'
	hook_run() {
		initiate net 30 || die "tunnel did not come up, see $WORK/initiator/charon.log"
		nap 0.5
		bgw ain ping -I "$A_LAN" -c 20 -i 0.1 -W 2 "$B_LAN" >"$WORK/ping-a.out" 2>&1 &
		local a=$!
		bgw bin ping -I "$B_LAN" -c 20 -i 0.1 -W 2 "$A_LAN" >"$WORK/ping-b.out" 2>&1 ||
			die "ping $B_LAN -> $A_LAN through the tunnel failed: $(cat "$WORK/ping-b.out")"
		wait "$a" || die "ping $A_LAN -> $B_LAN through the tunnel failed: $(cat "$WORK/ping-a.out")"
	}
	README_WHAT="A healthy IKEv2 tunnel (IKE_SA_INIT on UDP 500, IKE_AUTH on UDP 4500, forced by
kernel-libipsec) carrying traffic in both directions at the same time: 20 pings
from 10.1.0.1 to 10.2.0.1 and 20 pings from 10.2.0.1 to 10.1.0.1, 0.1 s apart, so
each Child SA SPI carries 40 ESP-in-UDP packets with sequence numbers 1 to 40.

Expected diagnosis: healthy. ESP flows both ways on one SPI per direction, the
sequence numbers have no gap, duplicate or restart (the per-SPI table,
tshark -z ipsecdiag,esp, shows 0 lost for both SPIs)."
}

register esp-one-way-ikev2 "IKEv2 up, router drops ESP from the responder: ESP only from the initiator"
scn_esp_one_way_ikev2() {
	IKE_VERSION=2
	EXPECT_initiator='>500:34 <500:34 >4500:35 <4500:35 | esp >3 <0'
	EXPECT_responder='>500:34 <500:34 >4500:35 <4500:35 | esp >3 <6'
	hook_router() { rin iptables -A FORWARD -i r-b "${ESP_IN_UDP_MATCH[@]}" -j DROP; }
	hook_run() {
		initiate net 30 || die "tunnel did not come up, see $WORK/initiator/charon.log"
		nap 0.5
		# both pings fail: every ESP packet from site B is dropped on the way to site A
		bgw ain ping -I "$A_LAN" -c 3 -i 0.5 -W 1 "$B_LAN" >"$WORK/ping-a.out" 2>&1 || true
		bgw bin ping -I "$B_LAN" -c 3 -i 0.5 -W 1 "$A_LAN" >"$WORK/ping-b.out" 2>&1 || true
	}
	README_WHAT="IKEv2 comes up normally (IKE_SA_INIT on UDP 500, IKE_AUTH on UDP 4500, forced by
kernel-libipsec): IKE passes both ways. The router then drops, in its FORWARD chain
on the interface towards site B (r-b), every UDP 4500 packet that is not IKE
(iptables u32: the 4 bytes after the UDP header are not the zero non-ESP marker),
so ESP from the responder never reaches the initiator, while ESP from the
initiator passes.

10.1.0.1 pings 10.2.0.1 three times: the requests travel as ESP from the initiator
and arrive; the replies are dropped on the router. 10.2.0.1 then pings 10.1.0.1
three times: the requests are dropped on the router. Both pings fail.

Initiator side: 3 ESP packets out, none back (a one-way tunnel seen from the
side where ESP goes missing). Responder side: 3 ESP packets in, 6 out (3 replies,
3 requests): from here ESP looks bidirectional, the loss happens behind this
capture point, so this side alone cannot show it.

Expected diagnosis, initiator side: ESP only from the initiator to the responder,
none from the responder reaches the initiator's side (dropped on the path or not
sent by the responder; a capture on the responder side tells which)."
}

register esp-loss-ikev2 "IKEv2 up, router drops every 10th ESP packet each way: sequence gaps with a loss rate"
scn_esp_loss_ikev2() {
	IKE_VERSION=2
	EXPECT_initiator='>500:34 <500:34 >4500:35 <4500:35 | esp >100 <81'
	EXPECT_responder='>500:34 <500:34 >4500:35 <4500:35 | esp >90 <90'
	# netem is not available in every lab kernel: iptables' statistic match
	# drops exactly every 10th ESP packet per direction instead.
	hook_router() {
		rin iptables -A FORWARD -i r-a "${ESP_IN_UDP_MATCH[@]}" -m statistic --mode nth --every 10 --packet 9 -j DROP
		rin iptables -A FORWARD -i r-b "${ESP_IN_UDP_MATCH[@]}" -m statistic --mode nth --every 10 --packet 9 -j DROP
	}
	hook_run() {
		initiate net 30 || die "tunnel did not come up, see $WORK/initiator/charon.log"
		nap 0.5
		bgw ain ping -I "$A_LAN" -c 100 -i 0.05 -W 1 "$B_LAN" >"$WORK/ping-a.out" 2>&1 || true
	}
	README_WHAT="IKEv2 comes up normally (IKE_SA_INIT on UDP 500, IKE_AUTH on UDP 4500, forced by
kernel-libipsec). The router drops every 10th ESP-in-UDP packet in each direction
(iptables statistic match, nth mode, one counter per direction; IKE is not
matched), as a lossy path would: a deterministic stand-in for tc netem loss,
which this lab's kernel may lack.

10.1.0.1 sends 100 pings to 10.2.0.1, 0.05 s apart. Of the 100 ESP packets the
initiator sends (sequence numbers 1..100), 10 are dropped (10, 20, ... 100); the
responder answers the 90 that arrive, and of its 90 ESP replies 9 are dropped.

Initiator side: 100 ESP packets out with no gap, 81 back with 9 sequence numbers
missing. Responder side: 90 ESP packets in with 10 missing sequence numbers, 90
out with no gap. In both directions the last packet (sequence number 90 of the
replies, 100 of the requests) is one of the dropped ones: no later number shows
that hole, so a capture can count 8 of 89 and 9 of 99 missing.

Expected diagnosis: ESP loss with a rate on the SPI that crosses the router
towards the capture (initiator side: responder to initiator, 8 of 89, 9.0 %;
responder side: initiator to responder, 9 of 99, 9.1 %), none on the SPI that
leaves the capture point."
}

# ---- UDP 500 blocked ---------------------------------------------------------
register udp500-blocked-ikev1 "router drops UDP 500: IKEv1 MI1 retransmitted, never answered"
scn_udp500_blocked_ikev1() {
	IKE_VERSION=1
	EXPECT_initiator='>500:2*4 | esp >0 <0'
	SIDES=initiator
	hook_router() { rin iptables -A FORWARD -p udp --dport 500 -j DROP; }
	hook_run() { run_initiate; }
	README_WHAT="The router drops every UDP packet to port 500 in its FORWARD chain. The initiator
sends the first Main Mode message (MI1, exchange type Identity Protection (2)) to
198.51.100.2:500, retransmits it 3 times (1.0 s, 1.8 s, 3.2 s backoff) and gives up
about 11.9 s after the first attempt. Nothing ever comes back.

Only the initiator side is recorded: the responder never receives anything, so its
capture would be empty.

Expected diagnosis: no response to the first IKE message on UDP 500: the peer is
unreachable or UDP 500 is filtered on the path (or the responder is not running/not
listening). No ICMP error is seen, so a silent drop is most likely."
}

register udp500-blocked-ikev2 "router drops UDP 500: IKE_SA_INIT retransmitted, never answered"
scn_udp500_blocked_ikev2() {
	IKE_VERSION=2
	EXPECT_initiator='>500:34*4 | esp >0 <0'
	SIDES=initiator
	hook_router() { rin iptables -A FORWARD -p udp --dport 500 -j DROP; }
	hook_run() { run_initiate; }
	README_WHAT="The router drops every UDP packet to port 500 in its FORWARD chain. The initiator
sends the IKE_SA_INIT request (exchange type 34, message ID 0) to 198.51.100.2:500,
retransmits it 3 times (1.0 s, 1.8 s, 3.2 s backoff) and gives up about 11.9 s after
the first attempt. Nothing ever comes back.

Only the initiator side is recorded: the responder never receives anything, so its
capture would be empty.

Expected diagnosis: no response to IKE_SA_INIT on UDP 500: the peer is unreachable or
UDP 500 is filtered on the path (or the responder is not running/not listening).
No ICMP error is seen, so a silent drop is most likely."
}

# ---- slow answer -------------------------------------------------------------
register answered-after-retransmit-ikev2 "router drops UDP 500 for the first 2 s: IKE_SA_INIT answered after retransmissions"
scn_answered_after_retransmit_ikev2() {
	IKE_VERSION=2
	EXPECT_initiator='>500:34*3 <500:34 >4500:35 <4500:35 | esp >6 <6'
	EXPECT_responder='>500:34 <500:34 >4500:35 <4500:35 | esp >6 <6'
	hook_router() { rin iptables -A FORWARD -p udp --dport 500 -j DROP; }
	# lift the drop 2 s after the start: the third IKE_SA_INIT (t = 2.8 s) gets through
	hook_run() {
		local lift
		( sleep 2; rin iptables -D FORWARD -p udp --dport 500 -j DROP ) &
		lift=$!
		run_healthy
		wait "$lift"
	}
	README_WHAT="The router drops UDP 500 for the first 2 seconds of the negotiation (a
transient outage, a firewall rule being reloaded, an overloaded path), then lets
it through. The initiator's IKE_SA_INIT request is sent at 0, 1.0 and 2.8 s; the
first two are lost, the third reaches the responder and is answered. The rest of
the negotiation (IKE_AUTH on UDP 4500) and ESP both ways are normal.

Initiator side: IKE_SA_INIT request 3 times, then the response 2.8 s after the
first try. Responder side: a normal, healthy exchange (the lost copies never
arrived).

Expected diagnosis: a note on the response, the request needed 3 transmissions
and was answered 2.8 s after it was first sent; no warning or error otherwise."
}

# ---- UDP 4500 blocked ----------------------------------------------------------
register udp4500-blocked-ikev1 "NAT + router drops UDP 4500: IKEv1 MI3 retransmitted, never answered"
scn_udp4500_blocked_ikev1() {
	IKE_VERSION=1
	EXPECT_initiator='>500:2 <500:2 >500:2 <500:2 >4500:2*4 | esp >0 <0'
	EXPECT_responder='>500:2 <500:2 >500:2 <500:2 | esp >0 <0'
	NAT=yes
	hook_router() { rin iptables -A FORWARD -p udp --dport 4500 -j DROP; }
	hook_run() { run_initiate; }
	TAIL=4
	README_WHAT="The router masquerades site A (192.168.10.2 -> 198.51.100.1) and drops every UDP
packet to port 4500 in its FORWARD chain. Main Mode MI1/MR1 and MI2/MR2 succeed on
UDP 500; the NAT-D payloads reveal the NAT, so the initiator switches to UDP 4500 for
MI3 (encrypted ID + HASH, behind the 4-byte non-ESP marker). MI3 is dropped by the
router: the initiator sends it 4 times (first + 3 retransmissions, 0, 1.0, 2.8 and
6.0 s after the first MI3) and gives up about 11.9 s after the first MI3 (\"giving up after 3 retransmits\", the IKE SA
was never established, keyingtries = 1, so no new attempt). The capture ends 4 s later.
Phase 2 is never reached and no ESP appears.

Initiator side: MI1..MR2 on UDP 500, then MI3 on UDP 4500 four times, never answered.
Responder side: MI1..MR2 on UDP 500 from the NAT address 198.51.100.1, then nothing:
no packet on UDP 4500 ever arrives.

Note: strongSwan 5.9.8, as IKEv1 responder, does NOT retransmit MR2 on its own while
waiting for MI3 (it only resends a response when it receives a retransmitted
request; other implementations may retransmit MR2). Its half-open IKE SA is dropped
after charon's half-open timeout (30 s, outside the capture).

Expected diagnosis: UDP 4500 is dropped on the path after the NAT-T switch: the
exchange on UDP 500 works, but MI3 on UDP 4500 is retransmitted and never answered,
and the responder never receives anything on UDP 4500."
}

register udp4500-blocked-retry-ikev1 "NAT + router drops UDP 4500, IKEv1 initiator retries (keyingtries = 2)"
scn_udp4500_blocked_retry_ikev1() {
	IKE_VERSION=1
	NAT=yes
	EXTRA_CONN_CONF="keyingtries = 2"
	EXPECT_initiator='>500:2 <500:2 >500:2 <500:2 >4500:2*4 >500:2 <500:2 >500:2 <500:2 >4500:2*4 | esp >0 <0'
	EXPECT_responder='>500:2 <500:2 >500:2 <500:2 >500:2 <500:2 >500:2 <500:2 | esp >0 <0'
	hook_router() { rin iptables -A FORWARD -p udp --dport 4500 -j DROP; }
	hook_run() { run_initiate; }
	TAIL=4
	README_WHAT="As udp4500-blocked-ikev1 (router NAT, UDP 4500 dropped), but the initiator is
configured with keyingtries = 2, as most gateways retry: after giving up on the
first IKE SA (MI3 sent 4 times on UDP 4500, never answered) it immediately starts a
second Main Mode with new cookies. The capture ends 4 s after the first give-up,
inside the second attempt.

On the responder side this is the typical picture of a blocked UDP 4500: MI1..MR2
of the first IKE SA from the NAT address, nothing on UDP 4500, then a new MI1 from
the same peer. The new IKE SA proves the first one was abandoned after MR2, so a
single pass over the capture can already say that MI3 never arrived.

Expected diagnosis: UDP 4500 blocked after the NAT-T switch; on the responder side
shown on the new MI1 (one pass) and on MR2 of the first IKE SA (two passes)."
}

register udp4500-blocked-retry-ikev2 "NAT + router drops UDP 4500, IKEv2 initiator retries (keyingtries = 2)"
scn_udp4500_blocked_retry_ikev2() {
	IKE_VERSION=2
	NAT=yes
	EXTRA_CONN_CONF="keyingtries = 2"
	EXPECT_initiator='>500:34 <500:34 >4500:35*4 >500:34 <500:34 >4500:35*3 | esp >0 <0'
	EXPECT_responder='>500:34 <500:34 >500:34 <500:34 | esp >0 <0'
	hook_router() { rin iptables -A FORWARD -p udp --dport 4500 -j DROP; }
	hook_run() { run_initiate; }
	TAIL=4
	README_WHAT="As udp4500-blocked-ikev2 (router NAT, UDP 4500 dropped), but the initiator is
configured with keyingtries = 2: after giving up on the first IKE SA (IKE_AUTH sent 4
times on UDP 4500, never answered) it immediately starts a second IKE_SA_INIT with a
new SPI. The capture ends 4 s after the first give-up, inside the second attempt.

On the responder side: IKE_SA_INIT of the first IKE SA answered with NAT detected,
no IKE_AUTH ever arrives, then a new IKE_SA_INIT from the same peer: the first IKE SA
was abandoned because IKE_AUTH on UDP 4500 never got through.

Expected diagnosis: UDP 4500 blocked after the NAT-T switch; on the responder side
shown on the new IKE_SA_INIT request (one pass) and on the first IKE_SA_INIT
response (two passes)."
}

register udp4500-blocked-ikev2 "NAT + router drops UDP 4500: IKE_AUTH retransmitted, never answered"
scn_udp4500_blocked_ikev2() {
	IKE_VERSION=2
	EXPECT_initiator='>500:34 <500:34 >4500:35*4 | esp >0 <0'
	EXPECT_responder='>500:34 <500:34 | esp >0 <0'
	NAT=yes
	hook_router() { rin iptables -A FORWARD -p udp --dport 4500 -j DROP; }
	hook_run() { run_initiate; }
	TAIL=4
	README_WHAT="The router masquerades site A (192.168.10.2 -> 198.51.100.1) and drops every UDP
packet to port 4500 in its FORWARD chain. IKE_SA_INIT succeeds on UDP 500 and its
NAT_DETECTION notifies reveal the NAT, so the initiator switches to UDP 4500 for
IKE_AUTH (message ID 1). The router drops it: the initiator sends it 4 times (first +
3 retransmissions), then gives up. The responder (IKEv2 responders never retransmit)
only sees IKE_SA_INIT and then nothing; its half-open IKE SA later times out
(after 30 s, outside the capture).

Expected diagnosis: UDP 4500 is dropped on the path after the NAT-T switch:
IKE_SA_INIT on UDP 500 completes, but IKE_AUTH on UDP 4500 is retransmitted and never
answered; the responder never receives IKE_AUTH."
}

# ---- no daemon -----------------------------------------------------------------
register no-daemon-ikev2 "no charon on the responder: IKE_SA_INIT answered by ICMP port unreachable"
scn_no_daemon_ikev2() {
	IKE_VERSION=2
	EXPECT_initiator='>500:34 <icmp:3/3 >500:34 <icmp:3/3 >500:34 <icmp:3/3 >500:34 <icmp:3/3 | esp >0 <0'
	EXPECT_responder='>500:34 <icmp:3/3 >500:34 <icmp:3/3 >500:34 <icmp:3/3 >500:34 <icmp:3/3 | esp >0 <0'
	RESPONDER_DAEMON=no
	hook_run() { run_initiate; }
	README_WHAT="No IKE daemon runs on the responder host (198.51.100.2). Each IKE_SA_INIT request
to UDP 500 is answered by the responder's kernel with ICMP destination unreachable,
port unreachable (type 3, code 3), quoting the IKE packet. The initiator ignores the
ICMP errors, retransmits 3 times and gives up after about 11.9 s.

Expected diagnosis: the responder host is reachable but nothing listens on UDP 500
(IKE daemon not running, or bound elsewhere): ICMP port unreachable for each
IKE_SA_INIT."
}

register no-daemon-ikev1 "no charon on the responder: IKEv1 MI1 answered by ICMP port unreachable"
scn_no_daemon_ikev1() {
	IKE_VERSION=1
	EXPECT_initiator='>500:2 <icmp:3/3 >500:2 <icmp:3/3 >500:2 <icmp:3/3 >500:2 <icmp:3/3 | esp >0 <0'
	EXPECT_responder='>500:2 <icmp:3/3 >500:2 <icmp:3/3 >500:2 <icmp:3/3 >500:2 <icmp:3/3 | esp >0 <0'
	RESPONDER_DAEMON=no
	hook_run() { run_initiate; }
	README_WHAT="No IKE daemon runs on the responder host (198.51.100.2). Each Main Mode MI1 to
UDP 500 is answered by the responder's kernel with ICMP destination unreachable,
port unreachable (type 3, code 3), quoting the IKE packet. The initiator ignores the
ICMP errors, retransmits 3 times and gives up after about 11.9 s.

Expected diagnosis: the responder host is reachable but nothing listens on UDP 500
(IKE daemon not running, or bound elsewhere): ICMP port unreachable for each MI1."
}

# ---- responder firewall drops UDP 500 ------------------------------------------
responder_drop_500() { bin iptables -A INPUT -p udp --dport 500 -j DROP; }

register responder-silent-ikev2 "responder's own INPUT chain drops UDP 500: IKE_SA_INIT arrives, never answered"
scn_responder_silent_ikev2() {
	IKE_VERSION=2
	EXPECT_initiator='>500:34*4 | esp >0 <0'
	EXPECT_responder='>500:34*4 | esp >0 <0'
	hook_responder_fw() { responder_drop_500; }
	hook_run() { run_initiate; }
	README_WHAT="The responder host runs charon, but its own firewall (INPUT chain of isd-b) drops
incoming UDP 500. The capture point is in front of the host firewall, like a tap or a
tcpdump on a real gateway: the responder-side capture shows the IKE_SA_INIT request
arriving 4 times (first + 3 retransmissions) and nothing sent back; the initiator-side
capture shows the same 4 requests leaving and no answer. The initiator gives up after
about 11.9 s. The responder's charon log shows nothing about it (the packets never
reach the daemon).

Expected diagnosis: IKE_SA_INIT reaches the responder but is never answered: the
responder's host firewall drops UDP 500 (or the daemon does not listen on that
address / ignores it). Since the requests do arrive, the path is fine."
}

register responder-silent-ikev1 "responder's own INPUT chain drops UDP 500: IKEv1 MI1 arrives, never answered"
scn_responder_silent_ikev1() {
	IKE_VERSION=1
	EXPECT_initiator='>500:2*4 | esp >0 <0'
	EXPECT_responder='>500:2*4 | esp >0 <0'
	hook_responder_fw() { responder_drop_500; }
	hook_run() { run_initiate; }
	README_WHAT="The responder host runs charon, but its own firewall (INPUT chain of isd-b) drops
incoming UDP 500. The capture point is in front of the host firewall: the
responder-side capture shows Main Mode MI1 arriving 4 times (first + 3
retransmissions) and nothing sent back; the initiator-side capture shows the same
4 MI1 leaving and no answer. The initiator gives up after about 11.9 s.

Expected diagnosis: MI1 reaches the responder but is never answered: the responder's
host firewall drops UDP 500 (or the daemon does not listen on that address / ignores
it). Since the requests do arrive, the path is fine."
}

# ---- exchange-type specific drops on the responder host ------------------------
# Drop IKE messages of one exchange type arriving at the responder host, on
# UDP 500 (exchange type = byte 18 of the ISAKMP header = UDP payload byte 18)
# and on UDP 4500 (behind the 4-byte zero non-ESP marker: payload byte 22, and
# the marker must be 0 so ESP-in-UDP is never matched).
# u32: "0>>22&0x3C@" jumps over the IP header to the UDP header; +8 is the
# UDP payload.
responder_drop_exchange() {
	local type=$1
	bin iptables -A INPUT -p udp --dport 500 -m u32 \
		--u32 "0>>22&0x3C@26>>24=$type" -j DROP
	bin iptables -A INPUT -p udp --dport 4500 -m u32 \
		--u32 "0>>22&0x3C@8=0 && 0>>22&0x3C@30>>24=$type" -j DROP
}

register quickmode-unanswered-ikev1 "phase 1 up, responder INPUT drops Quick Mode: QI1 retransmitted"
scn_quickmode_unanswered_ikev1() {
	IKE_VERSION=1
	EXPECT_initiator='>500:2 <500:2 >500:2 <500:2 >4500:2 <4500:2 >4500:32*4 >500:2 <500:2 >500:2 <500:2 >4500:2 <4500:2 >4500:32*2 | esp >0 <0'
	EXPECT_responder='>500:2 <500:2 >500:2 <500:2 >4500:2 <4500:2 >4500:32*4 >500:2 <500:2 >500:2 <500:2 >4500:2 <4500:2 >4500:32*2 | esp >0 <0'
	hook_responder_fw() { responder_drop_exchange 32; }
	hook_run() { run_initiate; }
	# give-up at ~11.9 s, new QI1 at ~11.95 s, retransmissions at +1.0 and
	# +2.8 s: stop in between (after the first retransmission)
	TAIL=2
	README_WHAT="Main Mode completes (MI1..MR2 on UDP 500, MI3/MR3 on UDP 4500; there is no NAT,
the switch is forced by kernel-libipsec, see \"Lab artifacts\"). The responder host's
INPUT chain then drops every IKE message whose exchange type is Quick Mode (32),
matched with iptables u32 on the ISAKMP header behind the non-ESP marker. The
initiator's first Quick Mode message (QI1) is sent 4 times (first + 3
retransmissions, t = 0, 1.0, 2.8, 6.0 s after the first QI1) and never answered; the
responder capture (taken in front of the host firewall) shows all 4 arriving and no
QR1. No ESP appears.

About 11.9 s after the first QI1 the initiator gives up (\"giving up after 3
retransmits\") and destroys the IKE SA without sending a delete. Because the Quick
Mode is still pending, strongSwan immediately re-establishes: a new Main Mode (new
initiator cookie) completes again and the new QI1 is sent and again unanswered; the
capture stops 2 s after the give-up, in the middle of that second attempt (which
would loop the same way).

Expected diagnosis: phase 1 is up, but Quick Mode is never answered: QI1 reaches the
responder and is retransmitted unanswered (the responder silently discards it, here
a host firewall). After the give-up the initiator re-runs Main Mode and Quick Mode
fails the same way."
}

register createchild-unanswered-ikev2 "IKE SA up, responder INPUT drops CREATE_CHILD_SA: request retransmitted"
scn_createchild_unanswered_ikev2() {
	IKE_VERSION=2
	EXPECT_initiator='>500:34 <500:34 >4500:35 <4500:35 >4500:36*4 >500:34 <500:34 >4500:35 <4500:35 | esp >0 <0'
	EXPECT_responder='>500:34 <500:34 >4500:35 <4500:35 >4500:36*4 >500:34 <500:34 >4500:35 <4500:35 | esp >0 <0'
	SECOND_CHILD=yes
	hook_responder_fw() { responder_drop_exchange 36; }
	hook_run() {
		initiate net 30 || true
		initiate net2 60 || true
	}
	TAIL=3
	README_WHAT="IKE_SA_INIT (UDP 500) and IKE_AUTH (UDP 4500: no NAT, forced by kernel-libipsec) establish
the IKE SA and the first CHILD_SA (10.1.0.0/24 <-> 10.2.0.0/24). The initiator then
starts a second CHILD_SA (10.1.1.0/24 <-> 10.2.1.0/24) with a CREATE_CHILD_SA request
(exchange type 36, message ID 2). The responder host's INPUT chain drops every IKE
message with exchange type 36 (iptables u32 on the IKE header behind the non-ESP
marker), so the request is sent 4 times (first + 3 retransmissions) and never
answered. After the last retransmission the initiator gives up and destroys the IKE
SA (and the first CHILD_SA with it), without sending a DELETE. Because the second
CHILD_SA is still pending, strongSwan immediately re-establishes: a new IKE_SA_INIT
(new SPIs) and IKE_AUTH, which this time carries the pending second CHILD_SA (net2,
10.1.1.0/24 <-> 10.2.1.0/24) and succeeds, since IKE_AUTH is not filtered. The
first CHILD_SA (net) is not re-created. No ESP appears (no traffic is sent).

Expected diagnosis: the IKE SA is up, but the CREATE_CHILD_SA request reaches the
responder and is never answered (dropped or ignored on the responder host); the
initiator then tears the IKE SA down and re-establishes it from scratch."
}

# ---- configuration mismatches ---------------------------------------------------
# The peers are configured differently with the per-side knobs
# (INITIATOR_* / RESPONDER_*, see scenario_defaults).
register proposal-mismatch-ikev1 "IKEv1 IKE proposals differ: MI1 answered by an unencrypted NO_PROPOSAL_CHOSEN"
scn_proposal_mismatch_ikev1() {
	IKE_VERSION=1
	INITIATOR_IKE_PROPOSALS=aes128-sha1-modp2048
	RESPONDER_IKE_PROPOSALS=aes256-sha256-modp3072
	EXPECT_initiator='>500:2 <500:5 | esp >0 <0'
	EXPECT_responder='>500:2 <500:5 | esp >0 <0'
	hook_run() { run_initiate; }
	README_WHAT="The initiator offers a single IKE (phase 1) proposal AES-CBC-128 / SHA-1 /
MODP-2048 (PSK) in Main Mode MI1; the responder is configured with
aes256-sha256-modp3072 only. The responder answers MI1 at once with an
unencrypted Informational exchange (exchange type 5, encryption flag clear,
non-zero message ID, responder cookie filled in) carrying a NO_PROPOSAL_CHOSEN
notify (type 14, protocol ISAKMP, SPI size 16: both cookies as SPI; ISAKMP
length 56). The initiator logs \"received NO_PROPOSAL_CHOSEN error notify\"
and gives up at once: no retransmission, no new attempt (keyingtries = 1).
Both captures are identical: 2 frames.

The responder's log names both sides' proposals (\"no acceptable
ENCRYPTION_ALGORITHM found\", \"received proposals: IKE:AES_CBC_128/HMAC_SHA1_96/
PRF_HMAC_SHA1/MODP_2048\", \"configured proposals: IKE:AES_CBC_256/
HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_3072\"); on the wire only the
initiator's offer is visible (in MI1).

Config difference: initiator proposals = aes128-sha1-modp2048, responder
proposals = aes256-sha256-modp3072.

Expected diagnosis: phase 1 proposal mismatch: the responder accepted none of the
initiator's IKE proposals (encryption, hash, DH group, authentication method or
lifetime differ); compare the offer in MI1 with the responder's configuration.
Note that strongSwan sends an almost identical unencrypted NO_PROPOSAL_CHOSEN when
it has no IKE config at all for this peer or IKE version (see
version-mismatch-v1-to-v2; there the notify has SPI size 0)."
}

register proposal-mismatch-ikev2 "IKEv2 IKE proposals differ: IKE_SA_INIT answered by NO_PROPOSAL_CHOSEN"
scn_proposal_mismatch_ikev2() {
	IKE_VERSION=2
	INITIATOR_IKE_PROPOSALS=aes128-sha1-modp2048
	RESPONDER_IKE_PROPOSALS=aes256-sha256-modp3072
	EXPECT_initiator='>500:34 <500:34 | esp >0 <0'
	EXPECT_responder='>500:34 <500:34 | esp >0 <0'
	hook_run() { run_initiate; }
	README_WHAT="The initiator's IKE_SA_INIT request carries a single IKE proposal AES-CBC-128 /
HMAC-SHA1-96 / PRF-HMAC-SHA1 / MODP-2048 (and a MODP-2048 KE payload); the
responder is configured with aes256-sha256-modp3072 only. The responder answers
with an IKE_SA_INIT response (message ID 0, responder SPI left zero) that holds
nothing but a NO_PROPOSAL_CHOSEN notify (type 14), unencrypted like every
IKE_SA_INIT. The initiator logs \"received NO_PROPOSAL_CHOSEN notify error\" and
gives up at once (keyingtries = 1). Both captures are identical: 2 frames.

The responder's log: \"no acceptable ENCRYPTION_ALGORITHM found\", \"received
proposals: IKE:AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_2048\", \"configured
proposals: IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_3072\".

Config difference: initiator proposals = aes128-sha1-modp2048, responder
proposals = aes256-sha256-modp3072.

Expected diagnosis: IKE proposal mismatch: the responder accepted none of the
initiator's IKE_SA_INIT proposals; compare the offer (visible in the request)
with the responder's configuration (encryption, integrity, PRF, DH group)."
}

register proposal-mismatch-both-ways-ikev2 "IKEv2 IKE proposals differ, each peer initiates once: both offers refused"
scn_proposal_mismatch_both_ways_ikev2() {
	IKE_VERSION=2
	INITIATOR_IKE_PROPOSALS=aes128-sha1-modp2048
	RESPONDER_IKE_PROPOSALS=aes256-sha256-modp3072
	# site B may initiate too
	RESPONDER_REMOTE_ADDRS=$A_WAN
	EXPECT_initiator='>500:34 <500:34*2 >500:34 | esp >0 <0'
	EXPECT_responder='>500:34 <500:34*2 >500:34 | esp >0 <0'
	hook_run() {
		if initiate net 30; then die "tunnel unexpectedly came up (A -> B)"; fi
		nap 1
		if initiate_r net 30; then die "tunnel unexpectedly came up (B -> A)"; fi
	}
	README_WHAT="The same mismatching IKE proposals as proposal-mismatch-ikev2 (site A:
aes128-sha1-modp2048, site B: aes256-sha256-modp3072), but both peers can
initiate (site B's config has remote_addrs = $A_WAN instead of %any) and each
does so once:

1. site A (192.168.10.2) sends IKE_SA_INIT with its offer AES-CBC-128 /
   HMAC-SHA1-96 / PRF-HMAC-SHA1 / MODP-2048; site B answers NO_PROPOSAL_CHOSEN
   (notify 14, responder SPI zero);
2. about 1.1 s later (the lab waits 1 s) site B (198.51.100.2) initiates a new IKE SA (new initiator
   SPI, initiator flag set by B) with its offer AES-CBC-256 / HMAC-SHA2-256-128 /
   PRF-HMAC-SHA2-256 / MODP-3072 (KE payload of 384 bytes); site A answers
   NO_PROPOSAL_CHOSEN.

So each capture holds both peers' complete offers, and neither intersects the
other. Both captures are identical: 4 frames. In the signature \`>\` is always
site A to site B and \`<\` site B to site A, whoever initiates.

Config difference: site A proposals = aes128-sha1-modp2048, site B proposals =
aes256-sha256-modp3072.

Expected diagnosis: IKE proposal mismatch in both directions: each peer refuses
the other's proposals. Since both offers are on the wire, the tool can name the
difference exactly: encryption AES-CBC-128 vs AES-CBC-256, integrity HMAC-SHA1-96
vs HMAC-SHA2-256-128, PRF HMAC-SHA1 vs HMAC-SHA2-256, DH group MODP-2048 (14) vs
MODP-3072 (15)."
}

register dh-retry-ikev2 "IKEv2 KE guess ECP-256 refused with INVALID_KE_PAYLOAD (MODP-2048), retry succeeds"
scn_dh_retry_ikev2() {
	IKE_VERSION=2
	INITIATOR_IKE_PROPOSALS=aes256-sha256-ecp256-modp2048
	RESPONDER_IKE_PROPOSALS=aes256-sha256-modp2048
	EXPECT_initiator='>500:34 <500:34 >500:34 <500:34 >4500:35 <4500:35 | esp >6 <6'
	EXPECT_responder='>500:34 <500:34 >500:34 <500:34 >4500:35 <4500:35 | esp >6 <6'
	README_WHAT="The initiator proposes AES-CBC-256 / HMAC-SHA2-256-128 / PRF-HMAC-SHA2-256 with
two DH groups, ECP-256 (19) first and MODP-2048 (14), and so sends its first
IKE_SA_INIT with a KE payload for its first choice, ECP-256. The responder only
accepts MODP-2048: the proposal itself matches, but not the KE guess, so it
answers with an IKE_SA_INIT response that holds only an INVALID_KE_PAYLOAD
notify (type 17, notification data 0x000e = group 14; responder SPI zero).
The initiator (\"peer didn't accept DH group ECP_256, it requested MODP_2048\")
at once repeats IKE_SA_INIT with the same initiator SPI and a MODP-2048 KE
payload; this time the responder accepts, IKE_AUTH follows on UDP 4500 and the
tunnel comes up. Then 3 pings each way as UDP-encapsulated ESP.

Both captures are identical: IKE_SA_INIT request (KE group 19), response
INVALID_KE_PAYLOAD, IKE_SA_INIT request (KE group 14), response, IKE_AUTH
request/response, 12 ESP packets (18 frames).

Config difference: initiator proposals = aes256-sha256-ecp256-modp2048, responder
proposals = aes256-sha256-modp2048.

Expected diagnosis: healthy; a note that the first IKE_SA_INIT was refused with
INVALID_KE_PAYLOAD (the responder wants group 14, MODP-2048) and the initiator
retried with that group, costing one round trip. Not an error: this is the normal
IKEv2 DH group negotiation. (Putting the group the responder prefers first in the
initiator's proposal avoids the extra round trip.)"
}

register version-mismatch "initiator IKEv2, responder configured for IKEv1 only: NO_PROPOSAL_CHOSEN"
scn_version_mismatch() {
	INITIATOR_IKE_VERSION=2
	RESPONDER_IKE_VERSION=1
	EXPECT_initiator='>500:34 <500:34 | esp >0 <0'
	EXPECT_responder='>500:34 <500:34 | esp >0 <0'
	hook_run() { run_initiate; }
	README_WHAT="The initiator is configured for IKEv2 (version = 2), the responder's only
connection for IKEv1 (version = 1); proposals, PSK and identities are the same.
strongSwan's charon speaks both versions, so the IKEv2 IKE_SA_INIT request is
processed, but no IKEv2 config exists for this peer (\"no IKE config found for
198.51.100.2...192.168.10.2, sending NO_PROPOSAL_CHOSEN\" in the responder's log).
The responder answers with an IKE_SA_INIT response holding only a
NO_PROPOSAL_CHOSEN notify (type 14). The initiator gives up at once.
Both captures are identical: 2 frames.

On the wire this looks almost exactly like proposal-mismatch-ikev2. One visible
difference: here the response carries a non-zero responder SPI (strongSwan's
\"no IKE config\" path creates the IKE SA before answering), while a real
proposal mismatch is answered with responder SPI zero.

A real IKEv1-only implementation would behave differently (ignore the IKEv2
request, or answer INVALID_MAJOR_VERSION); strongSwan does not.

Config difference: initiator version = 2, responder version = 1.

Expected diagnosis: the responder refused IKE_SA_INIT with NO_PROPOSAL_CHOSEN:
no acceptable proposal, or no matching connection at all on the responder for
this peer / IKE version (here: the responder is configured for IKEv1 only)."
}

register version-ignored-ikev2 "IKEv2 silently dropped, IKEv1 between the same peers answered: the responder ignores IKEv2"
scn_version_ignored_ikev2() {
	INITIATOR_IKE_VERSION=2
	RESPONDER_IKE_VERSION=1
	EXPECT_initiator='>500:34*4 >500:2 <500:2 >500:2 <500:2 >4500:2 <4500:2 >4500:32 <4500:32 >4500:32 | esp >6 <6'
	EXPECT_responder='>500:2 <500:2 >500:2 <500:2 >4500:2 <4500:2 >4500:32 <4500:32 >4500:32 | esp >6 <6'
	# An IKEv1-only responder (or an IKE-inspecting firewall) that drops IKEv2
	# without a word: the router drops UDP 500 whose IKE header says version 2.0
	# (byte 17 of the IKE header = 0x20; u32 reads 4 bytes ending there).
	hook_router() {
		rin iptables -A FORWARD -p udp --dport 500 -m u32 --u32 "0>>22&0x3C@22&0xFF=0x20" -j DROP
	}
	hook_run() {
		if initiate net 30; then die "IKEv2 unexpectedly came up"; fi
		# the engineer falls back to IKEv1 on the initiator
		sed 's/^\(\t*version = \)2$/\11/' "$WORK/initiator/swanctl.conf" >"$WORK/initiator/swanctl-v1.conf"
		vici --load-conns --file "$WORK/initiator/swanctl-v1.conf" >>"$WORK/initiator/swanctl-load.out" 2>&1 ||
			die "could not load the IKEv1 connection"
		nap 1
		run_healthy
	}
	README_WHAT="The initiator is configured for IKEv2, the responder's only connection for
IKEv1. To show how an IKEv1-only gateway that silently drops IKEv2 looks on the
wire (strongSwan itself answers NO_PROPOSAL_CHOSEN, see version-mismatch), the
router drops every UDP 500 packet whose IKE header carries version 2.0 (iptables
u32 match on the version byte). The IKEv2 IKE_SA_INIT request is sent 4 times
(strongSwan backoff 1.0 / 1.8 / 3.2 s) and never answered; the initiator gives up.
The engineer then switches the initiator to IKEv1 (version = 1, loaded with
swanctl --load-conns; the recorded swanctl-initiator.conf is the IKEv2 one) and
initiates again: Main Mode and Quick Mode succeed, ESP flows both ways.

The responder's capture shows only the IKEv1 tunnel: the IKEv2 requests were
dropped before they reached its link.

Config difference: initiator version = 2 (then 1), responder version = 1.

Expected diagnosis: on the initiator's capture, the responder ignores IKEv2:
the same peer answers IKEv1 at once, so the path works and the unanswered
IKE_SA_INIT is a version problem, not a reachability one (shown on the IKEv1
answer in one pass, on the IKEv2 request in two passes)."
}

register version-mismatch-v1-to-v2 "initiator IKEv1, responder configured for IKEv2 only: unencrypted NO_PROPOSAL_CHOSEN"
scn_version_mismatch_v1_to_v2() {
	INITIATOR_IKE_VERSION=1
	RESPONDER_IKE_VERSION=2
	EXPECT_initiator='>500:2 <500:5 | esp >0 <0'
	EXPECT_responder='>500:2 <500:5 | esp >0 <0'
	hook_run() { run_initiate; }
	README_WHAT="The initiator is configured for IKEv1 (version = 1), the responder's only
connection for IKEv2 (version = 2); proposals, PSK and identities are the same.
The responder processes the IKEv1 Main Mode MI1, finds no IKEv1 config for this
peer (\"no IKE config found for 198.51.100.2...192.168.10.2, sending
NO_PROPOSAL_CHOSEN\") and answers with an unencrypted IKEv1 Informational
(exchange type 5) holding a NO_PROPOSAL_CHOSEN notify (type 14). The initiator
gives up at once. Both captures are identical: 2 frames.

On the wire this is almost the same as proposal-mismatch-ikev1 (same exchange,
same notify type, responder cookie set in both). One visible difference: here
the notify has SPI size 0 (ISAKMP length 40), while strongSwan's answer to a
real proposal mismatch carries both cookies as a 16-byte SPI (length 56). Only
the responder's log tells the cause for sure.

Config difference: initiator version = 1, responder version = 2.

Expected diagnosis: the responder refused Main Mode with NO_PROPOSAL_CHOSEN: no
acceptable phase 1 proposal, or no matching connection at all on the responder
for this peer / IKE version (here: the responder is configured for IKEv2 only)."
}

register aggressive-refused-ikev1 "IKEv1 Aggressive Mode PSK refused by the responder: AUTHENTICATION_FAILED"
scn_aggressive_refused_ikev1() {
	IKE_VERSION=1
	INITIATOR_EXTRA_CONN_CONF="aggressive = yes"
	EXPECT_initiator='>500:4 <500:5 | esp >0 <0'
	EXPECT_responder='>500:4 <500:5 | esp >0 <0'
	hook_run() { run_initiate; }
	README_WHAT="The initiator is configured for IKEv1 Aggressive Mode (aggressive = yes) with
PSK authentication; the responder uses Main Mode (aggressive = no, the default)
and strongSwan's default security policy, which refuses Aggressive Mode with
PSK as a responder (charon.i_dont_care_about_security_and_use_aggressive_mode_psk
is not set). The initiator sends AI1 (exchange type 4: SA, KE, nonce and its
identity site-a.ipsecdiag.test in the clear, plus vendor IDs); the responder
answers at once with an unencrypted Informational (exchange type 5, responder
cookie set) holding an AUTHENTICATION_FAILED notify (type 24, protocol ISAKMP,
SPI size 16 = both cookies): \"Aggressive Mode
PSK disabled for security reasons\" in its log. The initiator logs \"received
AUTHENTICATION_FAILED error notify\" and gives up. Both captures are identical:
2 frames.

Checked as well: with the security option set on the responder but its
connection still aggressive = no, the wire is the same (AI1, unencrypted
AUTHENTICATION_FAILED); the log then says \"found 1 matching config, but none
allows pre-shared key authentication using Aggressive Mode\".

Config difference: initiator aggressive = yes, responder aggressive = no.

Expected diagnosis: the responder refuses Aggressive Mode (with PSK): the
initiator uses Aggressive Mode while the responder expects Main Mode (or forbids
Aggressive Mode PSK). The AUTHENTICATION_FAILED comes before any authentication
data could be checked, so it is not a wrong PSK. Aggressive Mode also exposes
the initiator's identity in the clear."
}

register aggressive-psk-ikev1 "IKEv1 Aggressive Mode PSK (allowed on both peers) + Quick Mode, ESP both ways"
scn_aggressive_psk_ikev1() {
	IKE_VERSION=1
	EXTRA_CONN_CONF="		aggressive = yes"
	EXTRA_CHARON_CONF="	i_dont_care_about_security_and_use_aggressive_mode_psk = yes"
	EXPECT_initiator='>500:4 <500:4 >4500:4 >4500:32 <4500:32 >4500:32 | esp >6 <6'
	EXPECT_responder='>500:4 <500:4 >4500:4 >4500:32 <4500:32 >4500:32 | esp >6 <6'
	README_WHAT="A working IKEv1 tunnel negotiated in Aggressive Mode with PSK: both peers have
aggressive = yes and charon.i_dont_care_about_security_and_use_aggressive_mode_psk
= yes (without it a strongSwan responder refuses, see aggressive-refused-ikev1).
Aggressive Mode takes three messages instead of six: AI1 (SA, KE, nonce, the
initiator's identity site-a.ipsecdiag.test in the clear, vendor IDs) and AR1 (SA,
KE, nonce, the responder's identity site-b.ipsecdiag.test in the clear, NAT-D,
and its HASH_R, unencrypted) on UDP 500; the initiator then switches to UDP 4500
(NAT-T forced by kernel-libipsec) for AI2 (encrypted HASH_I), which is not
answered. Quick Mode QI1/QR1/QI2 follows right away on UDP 4500, then 3 pings
each way as UDP-encapsulated ESP. Both captures: 18 frames.

Because AR1 carries the responder's HASH_R in the clear, together with both
nonces, KE values and IDs, a passive observer can run an offline dictionary
attack on the PSK: that is why strongSwan disables Aggressive Mode PSK by default.

Expected diagnosis: healthy (phase 1 and phase 2 up, ESP both ways), with a
warning that Aggressive Mode with PSK is used: the identities travel in the clear
and the PSK is exposed to offline cracking."
}

register aggressive-psk-mismatch-ikev1 "IKEv1 Aggressive Mode, pre-shared keys differ: the initiator cannot verify HASH_R"
scn_aggressive_psk_mismatch_ikev1() {
	IKE_VERSION=1
	EXTRA_CONN_CONF="		aggressive = yes"
	EXTRA_CHARON_CONF="	i_dont_care_about_security_and_use_aggressive_mode_psk = yes"
	RESPONDER_PSK=ipsecdiag-lab-psk-WRONG-DO-NOT-USE
	# The initiator gives up at once; keep capturing while the responder
	# retransmits AR1 and gives up itself.
	TAIL=14
	EXPECT_initiator='>500:4 <500:4 >500:5 <500:4*3 | esp >0 <0'
	EXPECT_responder='>500:4 <500:4 >500:5 <500:4*3 | esp >0 <0'
	hook_run() { run_initiate; }
	README_WHAT="IKEv1 Aggressive Mode with PSK (allowed on both peers, as in aggressive-psk-ikev1),
but the two peers hold different pre-shared keys. The initiator sends AI1 (SA, KE,
nonce, its identity in the clear); the responder, which cannot check anything
yet, answers with AR1 carrying its HASH_R computed with its own PSK, in the
clear. The initiator computes HASH_R with its PSK (\"calculated HASH does not
match HASH payload\") and gives up on this IKE SA without AI2: it sends an
Informational on UDP 500 with HASH and N(AUTHENTICATION_FAILED) (its log:
\"INFORMATIONAL_V1 request [ HASH N(AUTH_FAILED) ]\"), encrypted with keys
derived from its own PSK, which the responder cannot use (\"queueing
INFORMATIONAL_V1 request as tasks still active\"). The responder, still waiting
for AI2, re-sends AR1 at 1.0, 2.8 and 6.0 s. Both captures are identical: 6
frames (capture kept running 14 s after the initiator gave up).

Config difference: PSK \`$INITIATOR_PSK\` on the initiator,
\`$RESPONDER_PSK\` on the responder.

Expected diagnosis: without keys, Aggressive Mode that stops after AR1 (no AI2)
while AR1 carried HASH_R: the initiator rejected the responder's HASH_R, most
likely a PSK mismatch (or an identity the initiator did not expect). With
candidate PSKs in a keys file, HASH_R is checked offline and names the PSK the
responder used; the initiator's PSK stays unproven from hashes alone (it never
sent HASH_I; its Informational needs the DH secret to decrypt)."
}

register aggressive-weak-psk-ikev1 "IKEv1 Aggressive Mode with a dictionary PSK (cisco123): crackable from the capture"
scn_aggressive_weak_psk_ikev1() {
	IKE_VERSION=1
	EXTRA_CONN_CONF="		aggressive = yes"
	EXTRA_CHARON_CONF="	i_dont_care_about_security_and_use_aggressive_mode_psk = yes"
	INITIATOR_PSK=cisco123
	RESPONDER_PSK=cisco123
	EXPECT_initiator='>500:4 <500:4 >4500:4 >4500:32 <4500:32 >4500:32 | esp >6 <6'
	EXPECT_responder='>500:4 <500:4 >4500:4 >4500:32 <4500:32 >4500:32 | esp >6 <6'
	README_WHAT="A working IKEv1 tunnel in Aggressive Mode with PSK (as aggressive-psk-ikev1), but
both peers use the pre-shared key \`cisco123\`, one of the most common weak PSKs
(a deliberately weak lab secret). AR1 carries the responder's HASH_R in the
clear with both nonces, KE values and identities, so anyone holding the capture
can test candidate PSKs offline (ike-scan's psk-crack, CVE-2002-1623); cisco123
is found from a short dictionary in well under a second.

Expected diagnosis: healthy tunnel, with the Aggressive Mode PSK warning and,
without any keys file, a security finding that HASH_R matches a PSK from the
built-in list of common weak PSKs (named masked)."
}

register psk-mismatch-ikev1 "IKEv1 pre-shared keys differ: MI3 answered by encrypted PAYLOAD_MALFORMED on UDP 500"
scn_psk_mismatch_ikev1() {
	IKE_VERSION=1
	RESPONDER_PSK=ipsecdiag-lab-psk-WRONG-DO-NOT-USE
	EXPECT_initiator='>500:2 <500:2 >500:2 <500:2 >4500:2 <500:5 >4500:2 <500:5 >4500:2 <500:5 >4500:2 <500:5 | esp >0 <0'
	EXPECT_responder='>500:2 <500:2 >500:2 <500:2 >4500:2 <500:5 >4500:2 <500:5 >4500:2 <500:5 >4500:2 <500:5 | esp >0 <0'
	hook_run() { run_initiate; }
	README_WHAT="The two peers have different pre-shared keys. With PSK authentication the IKEv1
keys (SKEYID and the encryption key derived from it) depend on the PSK, so the
two peers derive different encryption keys. MI1/MR1 and MI2/MR2 work normally
on UDP 500; the initiator then sends MI3 (encrypted ID + HASH) on UDP 4500. The
responder cannot decrypt it (\"invalid ID_V1 payload length, decryption
failed?\", \"message parsing failed\") and answers with an Informational
exchange encrypted under its own (different) key, holding HASH and a
PAYLOAD_MALFORMED notify (type 16). Surprise: this Informational is sent from
UDP 500 to the initiator's UDP 500, although MI3 came in on 4500 (the
responder's IKE SA had not switched ports yet, since MI3 was never accepted).
The initiator cannot decrypt that Informational either (\"ignore malformed
INFORMATIONAL request\"), retransmits MI3 3 times (t = 1.0, 2.8, 6.0 s), each
answered the same way with a new message ID, and gives up about 11.9 s after
the first MI3 (\"giving up after 3 retransmits\"). No MR3, no Quick Mode.
Both captures are identical: 12 frames.

The notify type is only visible after decryption with the responder's key.
MI3 decrypts in tshark with the initiator's \"encryption key Ka\" (its log) and
the initiator cookie. The Informationals do not decrypt in tshark even with the
responder's Ka: tshark derives their IV from its own phase 1 IV chain (which
went through MI3), while the responder, which never accepted MI3, used its
initial phase 1 IV. Decrypting by hand (AES-256-CBC, the responder's Ka, the IV
from its log line \"next IV for MID <message ID>\") gives HASH + N(16), checked
for all four.

Config difference: PSK \`$INITIATOR_PSK\` on the initiator,
\`$RESPONDER_PSK\` on the responder.

Expected diagnosis: pre-shared key mismatch (most likely): Main Mode reaches MI3,
and the responder answers the encrypted MI3 with an encrypted Informational (here
PAYLOAD_MALFORMED; other implementations send INVALID_HASH_INFORMATION or
nothing) instead of MR3, over and over: the peers cannot decrypt each other's
messages, which in Main Mode with PSK means the keys differ."
}

register psk-mismatch-ikev2 "IKEv2 pre-shared keys differ: IKE_AUTH answered by AUTHENTICATION_FAILED"
scn_psk_mismatch_ikev2() {
	IKE_VERSION=2
	RESPONDER_PSK=ipsecdiag-lab-psk-WRONG-DO-NOT-USE
	EXPECT_initiator='>500:34 <500:34 >4500:35 <4500:35 | esp >0 <0'
	EXPECT_responder='>500:34 <500:34 >4500:35 <4500:35 | esp >0 <0'
	hook_run() { run_initiate; }
	README_WHAT="The two peers have different pre-shared keys. IKE_SA_INIT on UDP 500 succeeds
(in IKEv2 the SK_* keys do not depend on the PSK), IKE_AUTH moves to UDP 4500.
The responder decrypts the IKE_AUTH request fine, but the AUTH payload does not
verify (\"tried 1 shared key for 'site-b.ipsecdiag.test' -
'site-a.ipsecdiag.test', but MAC mismatched\") and it answers with an IKE_AUTH
response holding only an AUTHENTICATION_FAILED notify (type 24), inside the
encrypted SK payload (so the notify type is only visible after decryption). The
initiator logs \"received AUTHENTICATION_FAILED notify error\" and gives up; no
retransmission, no CHILD_SA. Both captures are identical: 4 frames.

Both charon logs hold the IKE keys (SK_ei/SK_er/SK_ai/SK_ar, identical on both
sides) to decrypt IKE_AUTH.

Config difference: PSK \`$INITIATOR_PSK\` on the initiator,
\`$RESPONDER_PSK\` on the responder.

Expected diagnosis: authentication failed in IKE_AUTH: the responder refused the
initiator's authentication (with PSK: the pre-shared keys differ; it can also be
an identity for which no connection matches, see id-mismatch-ikev2, which looks
the same on the wire). The small, encrypted IKE_AUTH response right after the
request is the typical AUTHENTICATION_FAILED answer."
}

register id-mismatch-ikev2 "IKEv2 responder expects another remote identity: AUTHENTICATION_FAILED"
scn_id_mismatch_ikev2() {
	IKE_VERSION=2
	RESPONDER_REMOTE_ID=site-x.ipsecdiag.test
	EXPECT_initiator='>500:34 <500:34 >4500:35 <4500:35 | esp >0 <0'
	EXPECT_responder='>500:34 <500:34 >4500:35 <4500:35 | esp >0 <0'
	hook_run() { run_initiate; }
	README_WHAT="The initiator identifies itself as site-a.ipsecdiag.test (IDi), but the
responder's connection expects remote id site-x.ipsecdiag.test. IKE_SA_INIT
succeeds, IKE_AUTH moves to UDP 4500. The responder looks for a connection
matching 198.51.100.2[site-b.ipsecdiag.test]...192.168.10.2[site-a.ipsecdiag.test]
(\"no matching peer config found\") and answers with an IKE_AUTH response holding
only an AUTHENTICATION_FAILED notify (type 24) in the encrypted SK payload. The
initiator gives up. Both captures are identical: 4 frames.

On the wire this is identical to psk-mismatch-ikev2 (same sizes, same sequence):
the identities are encrypted in IKEv2, so only decryption (keys in both charon
logs) shows IDi = site-a.ipsecdiag.test, and only the responder's configuration
or log tells that it expected another identity.

Config difference: responder remote id = site-x.ipsecdiag.test, initiator local
id = site-a.ipsecdiag.test.

Expected diagnosis: authentication failed in IKE_AUTH: the responder refused the
initiator (no connection matches the initiator's identity, or the PSK differs;
both give the same AUTHENTICATION_FAILED). Check the identities (IDi/IDr) and
the PSK on both sides."
}

register ts-mismatch-ikev2 "IKEv2 IKE SA up, traffic selectors do not match: TS_UNACCEPTABLE in IKE_AUTH"
scn_ts_mismatch_ikev2() {
	IKE_VERSION=2
	RESPONDER_REMOTE_TS=10.9.0.0/24
	EXPECT_initiator='>500:34 <500:34 >4500:35 <4500:35 | esp >0 <0'
	EXPECT_responder='>500:34 <500:34 >4500:35 <4500:35 | esp >0 <0'
	hook_run() { run_initiate; }
	README_WHAT="The initiator proposes the CHILD_SA 10.1.0.0/24 <-> 10.2.0.0/24 (TSi/TSr in
IKE_AUTH); the responder's child is configured for 10.2.0.0/24 <-> 10.9.0.0/24
(remote_ts = 10.9.0.0/24). IKE_SA_INIT and authentication succeed: the IKE SA is
established on both sides. The responder finds no child config for the proposed
selectors (\"traffic selectors 10.2.0.0/24 === 10.1.0.0/24 unacceptable\",
\"failed to establish CHILD_SA, keeping IKE_SA\") and its IKE_AUTH response carries
IDr, AUTH, MOBIKE notifies and a TS_UNACCEPTABLE notify (type 38), but no SA/TSi/TSr:
all inside the encrypted SK payload. The initiator logs \"received TS_UNACCEPTABLE
notify, no CHILD_SA built\" and keeps the IKE SA without a CHILD_SA; no ESP.
Both captures are identical: 4 frames. (The IKE SA is deleted only when the lab
stops charon, after the capture.)

Config difference: responder remote_ts = 10.9.0.0/24, initiator local_ts =
10.1.0.0/24.

Expected diagnosis: IKE SA established, but the CHILD_SA was refused with
TS_UNACCEPTABLE: the traffic selectors (local/remote subnets) do not match
between the peers. The notify is encrypted: without keys, a larger IKE_AUTH
response that is not followed by any ESP is the hint; with the keys (both charon
logs) the notify is visible."
}

register ts-mismatch-ikev1 "IKEv1 Main Mode up, Quick Mode IDs do not match: encrypted INVALID_ID_INFORMATION"
scn_ts_mismatch_ikev1() {
	IKE_VERSION=1
	RESPONDER_REMOTE_TS=10.9.0.0/24
	EXPECT_initiator='>500:2 <500:2 >500:2 <500:2 >4500:2 <4500:2 >4500:32 <4500:5 | esp >0 <0'
	EXPECT_responder='>500:2 <500:2 >500:2 <500:2 >4500:2 <4500:2 >4500:32 <4500:5 | esp >0 <0'
	hook_run() { run_initiate; }
	README_WHAT="Main Mode completes (MI1..MR2 on UDP 500, MI3/MR3 on UDP 4500). The initiator's
Quick Mode QI1 proposes 10.1.0.0/24 <-> 10.2.0.0/24 (IDci/IDcr); the responder's
child is configured for 10.2.0.0/24 <-> 10.9.0.0/24 (remote_ts = 10.9.0.0/24).
The responder (\"no matching CHILD_SA config found for 10.1.0.0/24 ===
10.2.0.0/24\") answers QI1 with an encrypted Informational exchange (exchange type
5, new message ID, encryption flag set) holding HASH and an
INVALID_ID_INFORMATION notify (type 18); there is no QR1. The initiator logs
\"received INVALID_ID_INFORMATION error notify\"; the ISAKMP SA stays up, no ESP.
Both captures are identical: 8 frames.

The notify type is only visible after decryption (IKE keys in both charon logs:
SKEYID_e / \"encryption key Ka\" with the initiator cookie).

Config difference: responder remote_ts = 10.9.0.0/24, initiator local_ts =
10.1.0.0/24.

Expected diagnosis: phase 1 up, phase 2 refused: Quick Mode QI1 was answered by an
encrypted Informational instead of QR1. With the keys: INVALID_ID_INFORMATION,
the proxy IDs (local/remote subnets) do not match between the peers."
}

register esp-proposal-mismatch-ikev1 "IKEv1 Main Mode up, ESP proposals differ: encrypted NO_PROPOSAL_CHOSEN for QI1"
scn_esp_proposal_mismatch_ikev1() {
	IKE_VERSION=1
	INITIATOR_ESP_PROPOSALS=aes128-sha1
	RESPONDER_ESP_PROPOSALS=aes256-sha256
	EXPECT_initiator='>500:2 <500:2 >500:2 <500:2 >4500:2 <4500:2 >4500:32 <4500:5 | esp >0 <0'
	EXPECT_responder='>500:2 <500:2 >500:2 <500:2 >4500:2 <4500:2 >4500:32 <4500:5 | esp >0 <0'
	hook_run() { run_initiate; }
	README_WHAT="Main Mode completes (phase 1 proposals are the same). The initiator's Quick Mode
QI1 offers ESP AES-CBC-128 / HMAC-SHA1-96; the responder only accepts ESP
AES-CBC-256 / HMAC-SHA2-256-128 (\"no acceptable ENCRYPTION_ALGORITHM found\",
\"no matching proposal found, sending NO_PROPOSAL_CHOSEN\"). It answers QI1 with
an encrypted Informational exchange (type 5) holding HASH and a
NO_PROPOSAL_CHOSEN notify (type 14); no QR1. The initiator logs \"received
NO_PROPOSAL_CHOSEN error notify\"; the ISAKMP SA stays up, no ESP. Both captures
are identical: 8 frames.

The Quick Mode proposal and the notify are encrypted: decryption needs the IKE
keys from the charon logs.

Config difference: initiator esp_proposals = aes128-sha1, responder esp_proposals
= aes256-sha256.

Expected diagnosis: phase 1 up, phase 2 refused: Quick Mode QI1 was answered by an
encrypted Informational instead of QR1. With the keys: NO_PROPOSAL_CHOSEN, the
phase 2 (ESP) proposals do not match (AES-CBC-128/SHA-1 offered)."
}

register pfs-mismatch-ikev1 "IKEv1 Quick Mode with PFS (MODP-2048), responder without PFS: encrypted NO_PROPOSAL_CHOSEN"
scn_pfs_mismatch_ikev1() {
	IKE_VERSION=1
	INITIATOR_ESP_PROPOSALS=aes256-sha256-modp2048
	RESPONDER_ESP_PROPOSALS=aes256-sha256
	EXPECT_initiator='>500:2 <500:2 >500:2 <500:2 >4500:2 <4500:2 >4500:32 <4500:5 | esp >0 <0'
	EXPECT_responder='>500:2 <500:2 >500:2 <500:2 >4500:2 <4500:2 >4500:32 <4500:5 | esp >0 <0'
	hook_run() { run_initiate; }
	README_WHAT="Main Mode completes. The initiator requires PFS: its Quick Mode QI1 offers ESP
AES-CBC-256 / HMAC-SHA2-256-128 with group MODP-2048 and carries a KE payload
(HASH SA No KE ID ID); the responder's ESP proposal has no DH group
(\"no acceptable KEY_EXCHANGE_METHOD found\", received
ESP:AES_CBC_256/HMAC_SHA2_256_128/MODP_2048/NO_EXT_SEQ, configured
ESP:AES_CBC_256/HMAC_SHA2_256_128/NO_EXT_SEQ). It answers with an encrypted
Informational exchange (type 5) holding HASH and a NO_PROPOSAL_CHOSEN notify
(type 14); no QR1. The ISAKMP SA stays up, no ESP. Both captures are identical:
8 frames; on the wire it is the same as esp-proposal-mismatch-ikev1, except
that QI1 is larger (it carries the 256-byte KE payload).

Config difference: initiator esp_proposals = aes256-sha256-modp2048 (PFS),
responder esp_proposals = aes256-sha256 (no PFS).

Expected diagnosis: phase 1 up, phase 2 refused: QI1 answered by an encrypted
Informational instead of QR1. With the keys: NO_PROPOSAL_CHOSEN for a QI1 that
requests PFS (KE payload, group MODP-2048 in the proposal): the phase 2 proposals
differ, possibly only in PFS (check the PFS / DH group setting on both sides)."
}

register pfs-mismatch-ikev2 "IKEv2 second CHILD_SA with PFS (MODP-2048), responder without PFS: NO_PROPOSAL_CHOSEN"
scn_pfs_mismatch_ikev2() {
	IKE_VERSION=2
	SECOND_CHILD=yes
	INITIATOR_ESP_PROPOSALS=aes256-sha256-modp2048
	RESPONDER_ESP_PROPOSALS=aes256-sha256
	EXPECT_initiator='>500:34 <500:34 >4500:35 <4500:35 >4500:36 <4500:36 | esp >0 <0'
	EXPECT_responder='>500:34 <500:34 >4500:35 <4500:35 >4500:36 <4500:36 | esp >0 <0'
	hook_run() {
		initiate net 30 || die "first CHILD_SA did not come up, see $WORK/initiator/charon.log"
		if initiate net2 30; then die "second CHILD_SA unexpectedly came up"; fi
	}
	README_WHAT="The initiator requires PFS (esp_proposals = aes256-sha256-modp2048), the
responder has none (aes256-sha256). The first CHILD_SA (net, 10.1.0.0/24 <->
10.2.0.0/24) is negotiated inside IKE_AUTH, where IKEv2 never does a DH exchange
and the DH group is ignored, so it comes up fine: the mismatch does not show yet.
The initiator then requests a second CHILD_SA (net2, 10.1.1.0/24 <-> 10.2.1.0/24)
with CREATE_CHILD_SA (exchange type 36, message ID 2: SA with MODP-2048, nonce,
KE, TSi, TSr); the responder finds no acceptable proposal (\"no acceptable
KEY_EXCHANGE_METHOD found\", received ESP:AES_CBC_256/HMAC_SHA2_256_128/MODP_2048,
configured ESP:AES_CBC_256/HMAC_SHA2_256_128) and answers with a CREATE_CHILD_SA
response holding only a NO_PROPOSAL_CHOSEN notify (type 14), encrypted. Both keep
the IKE SA and the first CHILD_SA; no traffic is sent, so no ESP. Both captures
are identical: 6 frames.

The same would happen at the first CHILD_SA rekey (CREATE_CHILD_SA with KE),
typically hours after the tunnel came up.

Config difference: initiator esp_proposals = aes256-sha256-modp2048 (PFS),
responder esp_proposals = aes256-sha256 (no PFS).

Expected diagnosis: IKE SA and first CHILD_SA up, but the CREATE_CHILD_SA for
another CHILD_SA is refused (with the keys: NO_PROPOSAL_CHOSEN). Since the first
CHILD_SA with the same ESP settings was accepted, a PFS (DH group) mismatch is the
likely cause: IKE_AUTH ignores the DH group, CREATE_CHILD_SA does not."
}

register weak-crypto-ikev1 "IKEv1 healthy tunnel with weak crypto (3DES, MD5, MODP-1024) and 5 min lifetimes"
scn_weak_crypto_ikev1() {
	IKE_VERSION=1
	IKE_PROPOSALS=3des-md5-modp1024
	ESP_PROPOSALS=3des-md5
	EXTRA_CONN_CONF="		rekey_time = 5m"
	EXTRA_CHILD_CONF="rekey_time = 5m"
	EXPECT_initiator='>500:2 <500:2 >500:2 <500:2 >4500:2 <4500:2 >4500:32 <4500:32 >4500:32 | esp >6 <6'
	EXPECT_responder='>500:2 <500:2 >500:2 <500:2 >4500:2 <4500:2 >4500:32 <4500:32 >4500:32 | esp >6 <6'
	README_WHAT="A working IKEv1 tunnel, like healthy-ikev1, but with weak, deprecated
algorithms accepted by strongSwan 5.9.8 without any extra option: phase 1
3DES-CBC / MD5 (HMAC-MD5 PRF) / DH group 2 (MODP-1024), PSK; phase 2 ESP
3DES-CBC / HMAC-MD5-96, no PFS. Both peers have the same short lifetimes:
rekey_time = 5m for the IKE SA and the CHILD_SA; strongSwan proposes a life
duration of 330 s (rekey time + 10 % over time) for both, visible in MI1/MR1
(Life-Type seconds, Life-Duration 330) and, encrypted, in QI1/QR1
(SA-Life-Duration 330). Main Mode + Quick Mode, then 3 pings each way as
UDP-encapsulated ESP. Both captures: 21 frames. The capture ends long before any
rekeying.

Expected diagnosis: healthy (phase 1 and phase 2 up, ESP both ways), with
warnings about weak cryptography: 3DES (64-bit block cipher), MD5 (hash and
PRF), MODP-1024 (DH group 2, too small), and a note on the short 330 s
lifetimes (frequent rekeying / reauthentication)."
}

# ---- tunnel lifecycle: rekeys, liveness, flapping, fragmentation ---------------
# ping PEER_LAN from site A every second for N seconds (keeps ESP flowing;
# failures are expected when the scenario breaks the path)
ping_a_for() { bgw ain ping -I "$A_LAN" -c "$1" -i 1 -W 1 "$B_LAN" >"$WORK/ping-a-long.out" 2>&1 || true; }

register rekey-ikev2 "IKEv2 CHILD_SA rekeyed every 10 s and IKE SA every 25 s by the initiator"
scn_rekey_ikev2() {
	IKE_VERSION=2
	EXPECT_initiator='>500:34 <500:34 >4500:35 <4500:35 >4500:36 <4500:36 >4500:37 <4500:37 >4500:36 <4500:36 >4500:37 <4500:37 >4500:36 <4500:36 >4500:37 <4500:37 >4500:36 <4500:36 >4500:37 <4500:37 >4500:36 <4500:36 >4500:37 <4500:37 | esp >44 <44'
	EXPECT_responder='>500:34 <500:34 >4500:35 <4500:35 >4500:36 <4500:36 >4500:37 <4500:37 >4500:36 <4500:36 >4500:37 <4500:37 >4500:36 <4500:36 >4500:37 <4500:37 >4500:36 <4500:36 >4500:37 <4500:37 >4500:36 <4500:36 >4500:37 <4500:37 | esp >44 <44'
	# rand_time 0: rekeys exactly at rekey_time. The responder's lifetimes
	# are long, so the initiator always rekeys first.
	INITIATOR_EXTRA_CONN_CONF="rekey_time = 25s
over_time = 5s
rand_time = 0s"
	INITIATOR_EXTRA_CHILD_CONF="rekey_time = 10s
life_time = 15s
rand_time = 0s"
	RESPONDER_EXTRA_CONN_CONF="rekey_time = 10m"
	RESPONDER_EXTRA_CHILD_CONF="rekey_time = 10m"
	hook_run() { run_healthy; ping_a_for 38; }
	TAIL=1
	README_WHAT="A healthy IKEv2 tunnel with short lifetimes on the initiator only: CHILD_SA
rekey_time = 10s (life_time 15s), IKE SA rekey_time = 25s, rand_time = 0; the
responder keeps 10 minutes. After IKE_SA_INIT / IKE_AUTH and pings both ways,
site A pings site B once a second for about 38 s while the initiator rekeys:
every 10 s a CREATE_CHILD_SA exchange (new CHILD_SA) followed by an INFORMATIONAL
exchange (DELETE of the old CHILD_SA), and at 25 s a CREATE_CHILD_SA that rekeys
the IKE SA itself (new IKE SPIs, so the following exchanges belong to a new IKE
SA that starts mid-life) followed by an INFORMATIONAL deleting the old IKE SA.

Expected diagnosis: healthy; notes on the rekeys (CHILD_SA every ~10 s and the IKE
SA at ~25 s, all started by the initiator: it has the shorter lifetime), the old
IKE SA deleted by the initiator after its rekey. No warning."
}

register rekey-ikev1 "IKEv1 Quick Mode rekeyed every 10 s by the initiator, ISAKMP SA re-established at 25 s"
scn_rekey_ikev1() {
	IKE_VERSION=1
	EXPECT_initiator='>500:2 <500:2 >500:2 <500:2 >4500:2 <4500:2 >4500:32 <4500:32 >4500:32*2 <4500:32 >4500:32 >4500:5 >4500:32 <4500:32 >4500:32 >4500:2 <4500:2 >4500:2 <4500:2 >4500:2 <4500:2 >4500:5*2 >4500:32 <4500:32 >4500:32 >4500:5 >4500:32 <4500:32 >4500:32 | esp >44 <44'
	EXPECT_responder='>500:2 <500:2 >500:2 <500:2 >4500:2 <4500:2 >4500:32 <4500:32 >4500:32*2 <4500:32 >4500:32 >4500:5 >4500:32 <4500:32 >4500:32 >4500:2 <4500:2 >4500:2 <4500:2 >4500:2 <4500:2 >4500:5*2 >4500:32 <4500:32 >4500:32 >4500:5 >4500:32 <4500:32 >4500:32 | esp >44 <44'
	INITIATOR_EXTRA_CONN_CONF="rekey_time = 25s
over_time = 5s
rand_time = 0s"
	INITIATOR_EXTRA_CHILD_CONF="rekey_time = 10s
life_time = 15s
rand_time = 0s"
	RESPONDER_EXTRA_CONN_CONF="rekey_time = 10m"
	RESPONDER_EXTRA_CHILD_CONF="rekey_time = 10m"
	hook_run() { run_healthy; ping_a_for 38; }
	TAIL=1
	README_WHAT="A healthy IKEv1 tunnel with short lifetimes on the initiator only: CHILD_SA
(IPsec SA) rekey_time = 10s, ISAKMP SA rekey_time = 25s, rand_time = 0; the
responder keeps 10 minutes. After Main Mode, Quick Mode and pings both ways,
site A pings site B once a second for about 38 s. Every 10 s the initiator runs a
new Quick Mode (new message ID, same ISAKMP SA); the old IPsec SA is deleted with
an encrypted Informational about 5 s later, when it expires (life_time 15s).
At about 25 s it re-establishes phase 1: a new Main Mode (new cookies, on UDP 4500)
between the same peers while the old ISAKMP SA still exists, then deletes the old
ISAKMP SA with an encrypted Informational; the Quick Mode rekeys go on under the
new ISAKMP SA (at about 30 and 40 s).

Expected diagnosis: healthy; notes on the Quick Mode rekeys (~10 s intervals,
started by the initiator), the phase 1 renewal and the deletes. No warning."
}

register rekey-pfs-ikev2 "IKEv2 CHILD_SA with PFS (modp2048 in the ESP proposal) rekeyed every 8 s: CREATE_CHILD_SA with KE"
scn_rekey_pfs_ikev2() {
	IKE_VERSION=2
	EXPECT_initiator='>500:34 <500:34 >4500:35 <4500:35 >4500:36 <4500:36 >4500:37 <4500:37 >4500:36 <4500:36 >4500:37 <4500:37 | esp >26 <26'
	EXPECT_responder='>500:34 <500:34 >4500:35 <4500:35 >4500:36 <4500:36 >4500:37 <4500:37 >4500:36 <4500:36 >4500:37 <4500:37 | esp >26 <26'
	# a DH group in the ESP proposal: every CREATE_CHILD_SA rekey carries a
	# KE payload and the new Child SA's KEYMAT includes its own DH secret
	ESP_PROPOSALS=aes256-sha256-modp2048
	INITIATOR_EXTRA_CHILD_CONF="rekey_time = 8s
life_time = 12s
rand_time = 0s"
	RESPONDER_EXTRA_CONN_CONF="rekey_time = 10m"
	RESPONDER_EXTRA_CHILD_CONF="rekey_time = 10m"
	hook_run() { run_healthy; ping_a_for 20; }
	TAIL=1
	README_WHAT="A healthy IKEv2 tunnel whose ESP proposal includes a DH group on both sides
(aes256-sha256-modp2048), so the Child SA uses PFS. The initiator's CHILD_SA
rekey_time is 8 s (life_time 12s, rand_time 0); the responder keeps 10 minutes and
the IKE SA is not rekeyed. After IKE_SA_INIT / IKE_AUTH (the first Child SA is
keyed from SK_d without DH, as RFC 7296 1.2 says) and pings both ways, site A pings
site B once a second for about 20 s while the initiator rekeys the Child SA every
8 s: each CREATE_CHILD_SA carries a KE payload (MODP-2048) and Nonces, so the new
Child SA's KEYMAT = prf+(SK_d, g^ir (new) | Ni | Nr) (RFC 7296 2.17), followed by
an INFORMATIONAL deleting the old Child SA.

Expected diagnosis: healthy; notes on the CHILD_SA rekeys started by the
initiator. No warning."
}

register healthy-pfs-ikev1 "IKEv1 Main Mode + Quick Mode with PFS (modp2048 in the ESP proposal): KE in QI1/QR1"
scn_healthy_pfs_ikev1() {
	IKE_VERSION=1
	EXPECT_initiator='>500:2 <500:2 >500:2 <500:2 >4500:2 <4500:2 >4500:32 <4500:32 >4500:32 | esp >6 <6'
	EXPECT_responder='>500:2 <500:2 >500:2 <500:2 >4500:2 <4500:2 >4500:32 <4500:32 >4500:32 | esp >6 <6'
	# a DH group in the ESP proposal: Quick Mode carries KE payloads and the
	# IPsec SA's KEYMAT includes g(qm)^xy (RFC 2409 5.5)
	ESP_PROPOSALS=aes256-sha256-modp2048
	README_WHAT="A healthy IKEv1 tunnel whose ESP proposal includes a DH group on both sides
(aes256-sha256-modp2048): Main Mode with PSK, then a Quick Mode with PFS (QI1 and
QR1 carry KE payloads, MODP-2048, besides SA, nonce and IDs), so the IPsec SA's
KEYMAT = prf(SKEYID_d, g(qm)^xy | protocol | SPI | Ni_b | Nr_b) (RFC 2409 5.5).
After that, 3 pings each way through the tunnel (ESP-in-UDP on 4500).

Expected diagnosis: healthy, no problem found."
}

register rekey-collision-ikev2 "IKEv2, both peers rekey the CHILD_SA at the same moment (equal lifetimes, no jitter)"
scn_rekey_collision_ikev2() {
	IKE_VERSION=2
	EXPECT_initiator='>500:34 <500:34 >4500:35 <4500:35 <4500:36 >4500:36 <4500:36 >4500:36 >4500:37 <4500:37*2 >4500:37 | esp >19 <19'
	EXPECT_responder='>500:34 <500:34 >4500:35 <4500:35 <4500:36 >4500:36 <4500:36 >4500:36 >4500:37 <4500:37*2 >4500:37 | esp >19 <19'
	EXTRA_CHILD_CONF="rekey_time = 10s
life_time = 15s
rand_time = 0s"
	hook_run() { run_healthy; ping_a_for 13; }
	TAIL=1
	README_WHAT="A healthy IKEv2 tunnel whose CHILD_SA has the same short lifetime on both peers
(rekey_time = 10s, life_time = 15s) and no randomisation (rand_time = 0). About
10 s after IKE_AUTH both peers start a CREATE_CHILD_SA exchange to rekey the same
CHILD_SA within milliseconds of each other: a rekey collision (RFC 7296 section
2.8.1). Both exchanges complete, the redundant SA is deleted (INFORMATIONAL
exchanges), and ESP keeps flowing (site A pings site B once a second).

Expected diagnosis: healthy; a note on the rekey collision (equal lifetimes without
jitter) and on the Child SA rekeys."
}

register dpd-dead-peer-ikev2 "IKEv2 tunnel up, then the router drops everything: DPD unanswered, SA torn down, re-initiated"
scn_dpd_dead_peer_ikev2() {
	IKE_VERSION=2
	EXPECT_initiator='>500:34 <500:34 >4500:35 <4500:35 >4500:37*4 >500:34*4 | esp >6 <6'
	EXPECT_responder='>500:34 <500:34 >4500:35 <4500:35 <4500:37*4 | esp >6 <6'
	EXTRA_CONN_CONF="		dpd_delay = 3s"
	INITIATOR_EXTRA_CHILD_CONF="dpd_action = restart"
	hook_run() {
		run_healthy
		log "router: dropping all UDP between the peers"
		rin iptables -I FORWARD -p udp -j DROP
		nap 21
	}
	TAIL=1
	README_WHAT="A healthy IKEv2 tunnel (IKE_SA_INIT, IKE_AUTH, pings both ways) with dpd_delay = 3s on
both peers (dpd_action = restart on the initiator). Right after the pings the
router starts dropping every UDP packet between the peers (path broken; both
daemons keep running). With no traffic for 3 s, each peer sends a liveness check
(an empty encrypted INFORMATIONAL request) and retransmits it (1.0, 1.8, 3.2,
5.8 s backoff); after about 12 s each gives up and deletes the IKE SA locally
(nothing is sent). The initiator then re-initiates (dpd_action = restart): new
IKE_SA_INIT requests, also unanswered. The capture ends about 21 s after the drop.

Expected diagnosis: liveness check (DPD) unanswered, retransmitted, then the IKE SA
is torn down and re-initiated: peer dead or path broken, with timings (last
packet from the peer, first check, give-up); the new IKE_SA_INIT is unanswered too."
}

register dpd-dead-peer-ikev1 "IKEv1 tunnel up, then the router drops everything: DPD R-U-THERE unanswered, SA torn down"
scn_dpd_dead_peer_ikev1() {
	IKE_VERSION=1
	EXPECT_initiator='>500:2 <500:2 >500:2 <500:2 >4500:2 <4500:2 >4500:32 <4500:32 >4500:32 >4500:5*3 >500:2*4 | esp >6 <6'
	EXPECT_responder='>500:2 <500:2 >500:2 <500:2 >4500:2 <4500:2 >4500:32 <4500:32 >4500:32 <4500:5*3 | esp >6 <6'
	EXTRA_CONN_CONF="		dpd_delay = 3s
		dpd_timeout = 12s"
	INITIATOR_EXTRA_CHILD_CONF="dpd_action = restart"
	hook_run() {
		run_healthy
		log "router: dropping all UDP between the peers"
		rin iptables -I FORWARD -p udp -j DROP
		nap 22
	}
	TAIL=1
	README_WHAT="A healthy IKEv1 tunnel (Main Mode, Quick Mode, pings both ways) with dpd_delay = 3s
and dpd_timeout = 12s on both peers (dpd_action = restart on the initiator). Right
after the pings the router drops every UDP packet between the peers. Each peer
sends DPD R-U-THERE notifies (encrypted Informational exchanges, each with a new
message ID and sequence number) every few seconds and never gets an
R-U-THERE-ACK; after the DPD timeout it deletes the ISAKMP SA locally and the
initiator re-initiates with a new Main Mode (MI1), unanswered too.

Expected diagnosis: IKEv1 DPD unanswered (encrypted Informationals from one side
without any answer), then the SA torn down and re-initiated: peer dead or path
broken, with timings."
}

register flapping-ikev2 "IKEv2 tunnel deleted and re-created 4 times in a row (from both sides)"
scn_flapping_ikev2() {
	IKE_VERSION=2
	EXPECT_initiator='>500:34 <500:34 >4500:35 <4500:35 >4500:37 <4500:37 >500:34 <500:34 >4500:35 <4500:35 <4500:37 >4500:37 >500:34 <500:34 >4500:35 <4500:35 >4500:37 <4500:37 >500:34 <500:34 >4500:35 <4500:35 <4500:37 >4500:37 >500:34 <500:34 >4500:35 <4500:35 | esp >8 <8'
	EXPECT_responder='>500:34 <500:34 >4500:35 <4500:35 >4500:37 <4500:37 >500:34 <500:34 >4500:35 <4500:35 <4500:37 >4500:37 >500:34 <500:34 >4500:35 <4500:35 >4500:37 <4500:37 >500:34 <500:34 >4500:35 <4500:35 <4500:37 >4500:37 >500:34 <500:34 >4500:35 <4500:35 | esp >8 <8'
	hook_run() {
		local round
		for round in 1 2 3 4; do
			initiate net 30 || die "tunnel did not come up (round $round)"
			bgw ain ping -I "$A_LAN" -c 2 -i 0.5 -W 1 "$B_LAN" >/dev/null 2>&1 || true
			nap 1
			if [ $((round % 2)) = 1 ]; then
				vici --terminate --ike lab --timeout 10 >/dev/null 2>&1 || true
			else
				vici_r --terminate --ike lab --timeout 10 >/dev/null 2>&1 || true
			fi
			nap 1
		done
		initiate net 30 || die "tunnel did not come up (last round)"
	}
	README_WHAT="The same IKEv2 tunnel is established, used (2 pings), deleted and re-established
4 times in about 20 s: after each establishment the IKE SA is terminated
(swanctl --terminate --ike), alternately by the initiator (rounds 1 and 3) and by
the responder (rounds 2 and 4), with an INFORMATIONAL DELETE exchange, and the
initiator brings it up again with a new IKE_SA_INIT. A fifth establishment stays up.

Expected diagnosis: flapping: the IKE SA between the same two peers is re-created
5 times within a minute (far more often than every 10 minutes), each time after a
DELETE; notes on who deleted each IKE SA."
}

# IKE_AUTH carrying 161 traffic selectors from site A (~3 kB): larger than
# the 1500-byte MTU, so the sending host fragments it at the IP layer. Only
# one side lists them (the responder accepts 10.0.0.0/8), which keeps the
# number of policies (local x remote selectors) small.
many_ts() {
	local i list
	list=$A_NET
	for i in $(seq 0 159); do list="$list,10.100.$i.0/24"; done
	printf '%s' "$list"
}

large_ike_auth() {
	# 161 routes, policies and selectors: keep their per-subnet kernel and
	# config lines out of the logs (IKE keys are still logged)
	EXTRA_CHARON_CONF="	filelog {
		lab {
			knl = 1
			cfg = 1
		}
	}"
	INITIATOR_LOCAL_TS=$(many_ts)
	RESPONDER_REMOTE_TS=10.0.0.0/8
	# kernel-libipsec routes each policy with a source address from the local
	# selector: give site A an address in each of its extra subnets
	hook_responder_fw() {
		local i
		for i in $(seq 0 159); do ain ip addr add "10.100.$i.1/24" dev lan0; done
	}
}

register fragments-dropped-ikev2 "IKE_AUTH too large for the MTU, IP fragments dropped on the router: retransmitted, never answered"
scn_fragments_dropped_ikev2() {
	IKE_VERSION=2
	EXPECT_initiator='>500:34 <500:34 >4500:35*4 | esp >0 <0'
	EXPECT_responder='>500:34 <500:34 | esp >0 <0'
	large_ike_auth
	EXTRA_CONN_CONF="		fragmentation = no"
	# -f: second and later fragments of a datagram
	hook_router() { rin iptables -A FORWARD -f -j DROP; }
	hook_run() { run_initiate; }
	README_WHAT="IKE_SA_INIT succeeds (small messages). The IKE_AUTH request carries 161 traffic
selectors for site A (TSi), about 3 kB, more than the 1500-byte MTU; IKE fragmentation
(RFC 7383) is disabled (fragmentation = no), so the initiator's kernel splits the
UDP datagram into IP fragments. The router drops every non-first IP fragment
(iptables -f), as some firewalls and broken paths do: the initiator side shows
each IKE_AUTH transmission as 3 IP fragments, the responder side only the
first fragment of each, which never reassembles. The request is retransmitted
(1.0, 1.8, 3.2 s) and never answered; the initiator gives up after about 12 s.

Expected diagnosis: the IKE_AUTH request is fragmented at the IP layer and its
fragments never all arrive, on every retransmission: an MTU / fragment filtering
problem: enable IKE fragmentation or lower the MTU."
}

register ike-fragmentation-ikev2 "same large IKE_AUTH and fragment-dropping router, but RFC 7383 IKE fragmentation on: works"
scn_ike_fragmentation_ikev2() {
	IKE_VERSION=2
	EXPECT_initiator='>500:34 <500:34 >4500:35*3 <4500:35*3 | esp >6 <6'
	EXPECT_responder='>500:34 <500:34 >4500:35*3 <4500:35*3 | esp >6 <6'
	large_ike_auth
	EXTRA_CONN_CONF="		fragmentation = yes"
	hook_router() { rin iptables -A FORWARD -f -j DROP; }
	README_WHAT="The same setup as fragments-dropped-ikev2 (IKE_AUTH of about 3 kB, the router
drops non-first IP fragments) but with IKE fragmentation enabled on both peers
(fragmentation = yes; strongSwan's default fragment_size 1280): both announce
IKEV2_FRAGMENTATION_SUPPORTED in IKE_SA_INIT and the IKE_AUTH messages travel as
several IKE messages carrying Encrypted Fragment (SKF, payload type 53) payloads,
each small enough to avoid IP fragmentation. The tunnel comes up; pings both ways.

Expected diagnosis: healthy; a note that IKEv2 fragmentation (RFC 7383) is in use."
}

# ---- tunnel health: ESP fragments, IKEv1 fragmentation, keepalives, stale SPI ----
# set the MTU of every lab link (both peers' eth0, both router ports)
lab_links_mtu() {
	ip -n "$NS_A" link set eth0 mtu "$1"
	ip -n "$NS_B" link set eth0 mtu "$1"
	rin ip link set r-a mtu "$1"
	rin ip link set r-b mtu "$1"
}

# after the small pings of run_healthy (both ESP SPIs known), N pings of
# 1250 bytes each way: 1278-byte inner packets fit kernel-libipsec's 1400-byte
# TUN MTU, but the ESP-in-UDP datagram (about 1348 bytes) does not fit the
# 1280-byte links, so the sender's kernel fragments it
ping_large_both_ways() {
	bgw ain ping -I "$A_LAN" -c "$1" -i 0.3 -s 1250 -W 2 "$B_LAN" >"$WORK/ping-a-large.out" 2>&1 || true
	bgw bin ping -I "$B_LAN" -c "$1" -i 0.3 -s 1250 -W 2 "$A_LAN" >"$WORK/ping-b-large.out" 2>&1 || true
}

# the pings of run_healthy (3 each way) on a tunnel already up
run_healthy_pings() {
	bgw ain ping -I "$A_LAN" -c 3 -i 0.5 -W 2 "$B_LAN" >"$WORK/ping-a2.out" 2>&1 ||
		die "ping $A_LAN -> $B_LAN through the tunnel failed: $(cat "$WORK/ping-a2.out")"
	bgw bin ping -I "$B_LAN" -c 3 -i 0.5 -W 2 "$A_LAN" >"$WORK/ping-b2.out" 2>&1 ||
		die "ping $B_LAN -> $A_LAN through the tunnel failed: $(cat "$WORK/ping-b2.out")"
}

register esp-fragmented-ikev2 "IKEv2, 1280-byte MTU on every link, large pings: ESP-in-UDP IP-fragmented, all fragments arrive"
scn_esp_fragmented_ikev2() {
	IKE_VERSION=2
	EXPECT_initiator='>500:34 <500:34 >4500:35 <4500:35 | esp >16 <16'
	EXPECT_responder='>500:34 <500:34 >4500:35 <4500:35 | esp >16 <16'
	hook_router() { lab_links_mtu 1280; }
	hook_run() {
		run_healthy
		ping_large_both_ways 5
		grep -q ' 0% packet loss' "$WORK/ping-a-large.out" ||
			die "large pings $A_LAN -> $B_LAN failed: $(cat "$WORK/ping-a-large.out")"
		grep -q ' 0% packet loss' "$WORK/ping-b-large.out" ||
			die "large pings $B_LAN -> $A_LAN failed: $(cat "$WORK/ping-b-large.out")"
	}
	README_WHAT="A healthy IKEv2 tunnel (IKE_SA_INIT on UDP 500, IKE_AUTH on UDP 4500, forced by
kernel-libipsec) over links whose MTU is 1280 bytes (both peers' eth0 and both
router ports; set with ip link set ... mtu 1280). After 3 small pings each way,
site A sends 5 pings of 1250 data bytes to site B and site B 5 to site A (0.3 s
apart). The inner packets (1278 bytes) fit kernel-libipsec's 1400-byte TUN
device, but each ESP-in-UDP datagram (about 1348 bytes with ESP, UDP and IP
headers) does not fit the 1280-byte link, so the sending host's kernel splits it
into two IP fragments. Every fragment arrives and all pings are answered: 10
large ESP packets per direction, each in 2 fragments.

Expected diagnosis: healthy tunnel, with a note that its ESP packets are
IP-fragmented (all reassembled): advice to lower the tunnel MTU / clamp the MSS
so ESP is not fragmented."
}

register esp-fragments-dropped-ikev2 "IKEv2, 1280-byte MTU, large pings, router drops non-first IP fragments: fragmented ESP never reassembles"
scn_esp_fragments_dropped_ikev2() {
	IKE_VERSION=2
	# each side sees its own 5 large ESP packets complete, the peer's never
	EXPECT_initiator='>500:34 <500:34 >4500:35 <4500:35 | esp >11 <6'
	EXPECT_responder='>500:34 <500:34 >4500:35 <4500:35 | esp >6 <11'
	hook_router() {
		lab_links_mtu 1280
		# -f: second and later fragments of a datagram
		rin iptables -A FORWARD -f -j DROP
	}
	hook_run() {
		run_healthy
		ping_large_both_ways 5
		! grep -q ' 0% packet loss' "$WORK/ping-a-large.out" ||
			die "large pings $A_LAN -> $B_LAN unexpectedly passed"
	}
	README_WHAT="The setup of esp-fragmented-ikev2 (1280-byte MTU on every link, so each
large ESP-in-UDP datagram is split into two IP fragments by the sending host),
but the router drops every non-first IP fragment (iptables -A FORWARD -f -j DROP),
as some firewalls and NAT devices do. The tunnel comes up and the 3 small pings
each way pass. Then site A sends 5 pings of 1250 bytes to site B and site B 5 to
site A: on each side's capture its own large ESP packets leave as 2 fragments,
and from the peer only the first fragment of each arrives, which never
reassembles. All 10 large pings fail.

Expected diagnosis: ESP packets of the tunnel are IP-fragmented and some (here
5 per capture) never reassemble: traffic is lost to fragment filtering; lower
the tunnel MTU / clamp the MSS, let ICMP fragmentation-needed through for path
MTU discovery."
}

register ike-fragmentation-ikev1 "IKEv1 with strongSwan's IKEv1 fragmentation (payload 132) and fragment_size 300: Main and Quick Mode in IKE fragments"
scn_ike_fragmentation_ikev1() {
	IKE_VERSION=1
	# strongswan.conf fragment_size: the largest IP datagram of an IKE
	# fragment; 300 makes even PSK Main Mode (MI2/MR2 with KE and nonce,
	# about 380 bytes) and Quick Mode messages travel in IKE fragments
	EXPECT_initiator='>500:2 <500:2 >500:2*2 <500:2*2 >4500:2 <4500:2 >4500:32 <4500:32 >4500:32 | esp >6 <6'
	EXPECT_responder='>500:2 <500:2 >500:2*2 <500:2*2 >4500:2 <4500:2 >4500:32 <4500:32 >4500:32 | esp >6 <6'
	EXTRA_CHARON_CONF="	fragment_size = 300"
	EXTRA_CONN_CONF="		fragmentation = yes"
	# non-first IP fragments dropped, as in ike-fragmentation-ikev2: IKE
	# fragments keep every datagram small, so nothing depends on them
	hook_router() { rin iptables -A FORWARD -f -j DROP; }
	README_WHAT="A healthy IKEv1 tunnel (Main Mode PSK, Quick Mode, NAT-T switch to UDP 4500
forced by kernel-libipsec) with IKE fragmentation enabled on both peers
(swanctl fragmentation = yes): both send the FRAGMENTATION vendor ID
(4048b7d56ebce88525e7de7f00d6c2d3, Cisco's proprietary IKEv1 fragmentation that
strongSwan implements) in MI1/MR1. strongswan.conf sets charon.fragment_size =
300 (the largest IP datagram of an IKE fragment), so every later message larger
than that is split into IKE messages carrying IKE Fragment payloads (payload
type 132: fragment ID, number, last-fragment flag), each small enough to avoid
IP fragmentation. Here that is MI2 and MR2 (KE, nonce and NAT-D payloads, about
380 bytes), each sent as 2 fragments on UDP 500; the encrypted MI3/MR3 and Quick
Mode messages are smaller and travel whole. The router drops non-first IP
fragments (as in ike-fragmentation-ikev2), which does not matter here. Pings
both ways pass.

Expected diagnosis: healthy; a note that IKEv1 fragmentation (vendor payload 132)
is in use."
}

register nat-keepalive-missing-ikev2 "IKEv2 behind NAT, NAT keepalives disabled on the NATed initiator, tunnel idle for 45 s"
scn_nat_keepalive_missing_ikev2() {
	IKE_VERSION=2
	NAT=yes
	EXPECT_initiator='>500:34 <500:34 >4500:35 <4500:35 | esp >12 <12'
	EXPECT_responder='>500:34 <500:34 >4500:35 <4500:35 | esp >12 <12'
	INITIATOR_EXTRA_CHARON_CONF="keep_alive = 0"
	# the pings after the idle time show in the capture that 45 s passed
	hook_run() { run_healthy; nap 45; run_healthy_pings; }
	README_WHAT="The healthy-nat-ikev2 setup (the router masquerades site A's 192.168.10.2 to
198.51.100.1; NAT-D shows the initiator behind the NAT, IKE and ESP move to UDP
4500), but the initiator's strongswan.conf sets charon.keep_alive = 0, so it
sends no NAT-T keepalives (RFC 3948 one-byte 0xff packets, strongSwan's default
every 20 s). After 3 pings each way the tunnel stays idle for 45 s: nothing at
all is sent on UDP 4500 (a router with a short UDP timeout would drop the NAT
mapping and cut the tunnel from the responder's side; this lab's router keeps
it). Then 3 pings each way again, which also show in the capture that the 45 s
passed (a capture file has no record of the time after its last packet).

Expected diagnosis: NAT keepalives missing: the peer behind the NAT sent nothing
on UDP 4500 for about 45 s (more than twice the usual 20 s keepalive interval)."
}

register nat-keepalives-ikev2 "IKEv2 behind NAT, tunnel idle for 45 s: the NATed initiator sends NAT keepalives every 20 s"
scn_nat_keepalives_ikev2() {
	IKE_VERSION=2
	NAT=yes
	EXPECT_initiator='>500:34 <500:34 >4500:35 <4500:35 | esp >6 <6'
	EXPECT_responder='>500:34 <500:34 >4500:35 <4500:35 | esp >6 <6'
	hook_run() { run_healthy; nap 45; }
	README_WHAT="The healthy-nat-ikev2 setup (the router masquerades site A; NAT-D shows the
initiator behind the NAT; IKE and ESP on UDP 4500) with strongSwan's default
keepalives: after 3 pings each way the tunnel stays idle for 45 s and the
initiator sends a NAT-T keepalive (RFC 3948, one byte 0xff on UDP 4500) every
20 s to keep the NAT mapping open. The counterpart of nat-keepalive-missing-ikev2.

Expected diagnosis: healthy, NAT detected; a note that the initiator sends NAT
keepalives (about every 20 s); no missing-keepalive warning."
}

register stale-spi-restart-ikev2 "IKEv2, responder's charon killed (kill -9) and restarted while site A pings; the initiator then opens a second IKE SA"
scn_stale_spi_restart_ikev2() {
	IKE_VERSION=2
	EXPECT_initiator='>500:34 <500:34 >4500:35 <4500:35 <icmp:3/3 >500:34 <500:34 >4500:35 <4500:35 | esp >31 <25'
	EXPECT_responder='>500:34 <500:34 >4500:35 <4500:35 <icmp:3/3 >500:34 <500:34 >4500:35 <4500:35 | esp >31 <25'
	# a new initiate creates a new IKE SA instead of a Child SA in the old one
	INITIATOR_EXTRA_CHARON_CONF="reuse_ikesa = no"
	hook_run() {
		run_healthy
		bgw ain ping -I "$A_LAN" -c 25 -i 1 -W 1 "$B_LAN" >"$WORK/ping-a-long.out" 2>&1 &
		local pinger=$!
		nap 3
		log "killing the responder's charon (kill -9) and starting it again"
		kill -KILL "$(cat "$WORK/responder/charon.pid")"
		wait "$(cat "$WORK/responder/charon.pid")" 2>/dev/null || true
		# keep the first run's log (keys) in the same file
		sed -i 's/append = no/append = yes/' "$WORK/responder/strongswan.conf"
		rm -f "$WORK/responder/charon.vici"
		start_charon responder
		nap 5
		log "initiator: a second IKE SA to the restarted responder"
		initiate net 30 || die "second IKE SA did not come up, see $WORK/initiator/charon.log"
		wait "$pinger" || true
	}
	README_WHAT="A healthy IKEv2 tunnel (pings both ways), then site A pings site B once a second
for 25 s. 3 s into it the responder's charon is killed (kill -9: no Delete is
sent) and started again with the same configuration: it has lost every SA, so
the ESP the initiator keeps sending on its old Child SA is discarded (the
initiator has no DPD configured and does not notice). 5 s later the initiator
initiates again; with strongswan.conf charon.reuse_ikesa = no this creates a
second IKE SA (IKE_SA_INIT, IKE_AUTH) with the restarted responder instead of a
CREATE_CHILD_SA in the dead one, while the old IKE SA and its Child SA stay on
the initiator.

What the capture does not show: a stale SA. The initiator moves all its
traffic to the new Child SA at once (frames after the second IKE_AUTH use the
new SPIs only), so ESP on the old SPI stops; esp-stale-spi-ikev2 derives a
stale-SA capture from this one (craft.py).

Expected diagnosis: ICMP port unreachable from the responder while its charon
was down (the initiator's ESP hit a closed UDP 4500); a second tunnel between
the same peers; no stale SPI."
}

# ---- IPv6 between the peers ------------------------------------------------
# The topology is IPv4 with IPv6 disabled; these scenarios enable IPv6 on the
# WAN links in hook_router (addresses without DAD) and point the generated
# swanctl.conf at the IPv6 addresses before initiating. The inner traffic
# selectors stay IPv4.
A_WAN6=2001:db8:a::2
R_IN6=2001:db8:a::1
R_OUT6=2001:db8:b::1
B_WAN6=2001:db8:b::2

lab_ipv6_links() {
	local ns
	for ns in $ALL_NS; do
		sysctl_ns "$ns" net.ipv6.conf.all.router_solicitations=0
		sysctl_ns "$ns" net.ipv6.conf.default.router_solicitations=0
		sysctl_ns "$ns" net.ipv6.conf.all.disable_ipv6=0
		sysctl_ns "$ns" net.ipv6.conf.default.disable_ipv6=0
	done
	sysctl_ns "$NS_A" net.ipv6.conf.eth0.disable_ipv6=0
	sysctl_ns "$NS_B" net.ipv6.conf.eth0.disable_ipv6=0
	sysctl_ns "$NS_R" net.ipv6.conf.r-a.disable_ipv6=0
	sysctl_ns "$NS_R" net.ipv6.conf.r-b.disable_ipv6=0
	sysctl_ns "$NS_R" net.ipv6.conf.all.forwarding=1
	ip -n "$NS_A" addr add "$A_WAN6/64" dev eth0 nodad
	ip -n "$NS_R" addr add "$R_IN6/64" dev r-a nodad
	ip -n "$NS_R" addr add "$R_OUT6/64" dev r-b nodad
	ip -n "$NS_B" addr add "$B_WAN6/64" dev eth0 nodad
	ip -n "$NS_A" -6 route add default via "$R_IN6"
	ip -n "$NS_B" -6 route add default via "$R_OUT6"
	ain ping -6 -q -c 1 -W 2 "$B_WAN6" >/dev/null || die "topology: $A_WAN6 cannot reach $B_WAN6"
}

# point both peers' connection at the IPv6 addresses and reload it
lab_swanctl_ipv6() {
	sed -i -e "s/local_addrs = .*/local_addrs = $A_WAN6/" -e "s/remote_addrs = .*/remote_addrs = $B_WAN6/" \
		"$WORK/initiator/swanctl.conf"
	sed -i -e "s/local_addrs = .*/local_addrs = $B_WAN6/" "$WORK/responder/swanctl.conf"
	local role
	for role in initiator responder; do
		"$SWANCTL" --load-all --noprompt --file "$WORK/$role/swanctl.conf" \
			--uri "unix://$WORK/$role/charon.vici" >>"$WORK/$role/swanctl-load.out" 2>&1 ||
			die "swanctl --load-all ($role, IPv6) failed: $(cat "$WORK/$role/swanctl-load.out")"
	done
}

register fragments-dropped-ipv6-ikev2 "IKEv2 over IPv6, IKE_AUTH too large for the MTU, non-first IPv6 fragments dropped on the router: never answered"
scn_fragments_dropped_ipv6_ikev2() {
	IKE_VERSION=2
	large_ike_auth
	EXTRA_CONN_CONF="		fragmentation = no"
	hook_router() {
		lab_ipv6_links
		# first fragments pass, every other packet with a Fragment header is dropped
		rin ip6tables -A FORWARD -m frag --fragfirst -j ACCEPT
		rin ip6tables -A FORWARD -m frag -j DROP
	}
	hook_run() { lab_swanctl_ipv6; run_initiate; }
	README_WHAT="The fragments-dropped-ikev2 scenario over IPv6: the peers talk IKE between
2001:db8:a::2 (initiator, site A) and 2001:db8:b::2 (responder, site B) through
the router (2001:db8:a::1 / 2001:db8:b::1; IPv6 enabled on the WAN links for this
scenario, addresses added without duplicate address detection; the traffic
selectors stay IPv4). IKE_SA_INIT succeeds (small messages). The IKE_AUTH request
carries 161 traffic selectors for site A (about 3 kB), more than the 1500-byte
MTU; IKE fragmentation (RFC 7383) is disabled (fragmentation = no), so the
initiator's kernel sends the UDP datagram as IPv6 fragments (Fragment extension
header). The router accepts first fragments and drops every other packet with a
Fragment header (ip6tables -A FORWARD -m frag --fragfirst -j ACCEPT; ip6tables -A
FORWARD -m frag -j DROP; the IPv6 rules are not listed by the lab's firewall
summary). The initiator side shows each IKE_AUTH transmission as 3 fragments,
the responder side only the first of each, which never reassembles. The request
is retransmitted (1.0, 1.8, 3.2 s) and never answered.

The packet listing below is made from IPv4 fields, so it shows no addresses for
these IPv6 packets (ports and IKE messages are right); the capture signature
check (lab.sh verify) is not set for this scenario for the same reason.
Neighbor discovery (ICMPv6) also appears in the captures.

Expected diagnosis: the IKE_AUTH request is fragmented at the IP layer (IPv6
Fragment headers) and its fragments never all arrive, on every retransmission:
an MTU / fragment filtering problem: enable IKE fragmentation or lower the MTU."
}

# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------
ain() { ip netns exec "$NS_A" "$@"; }
rin() { ip netns exec "$NS_R" "$@"; }
bin() { ip netns exec "$NS_B" "$@"; }

need_root() { [ "$(id -u)" = 0 ] || die "must run as root"; }

check_requirements() {
	need_root
	local c
	for c in ip iptables tcpdump tshark unshare ping "$SWANCTL"; do
		command -v "$c" >/dev/null || die "missing command: $c"
	done
	[ -x "$CHARON" ] || die "missing $CHARON (strongswan-charon)"
	[ -c /dev/net/tun ] || die "missing /dev/net/tun (needed by kernel-libipsec)"
	local p
	for p in kernel-libipsec vici socket-default kernel-netlink openssl; do
		[ -e "/usr/lib/ipsec/plugins/libstrongswan-$p.so" ] ||
			die "missing charon plugin $p"
	done
}

# Kill every process still running inside our namespaces (they are all
# started by this script), then delete the namespaces.
teardown() {
	local ns pid pids
	for ns in $ALL_NS; do
		ip netns list 2>/dev/null | grep -qw "^$ns" || continue
		pids=$(ip netns pids "$ns" 2>/dev/null || true)
		for pid in $pids; do kill -INT "$pid" 2>/dev/null || true; done
	done
	for ns in $ALL_NS; do
		ip netns list 2>/dev/null | grep -qw "^$ns" || continue
		local i
		for i in $(seq 1 30); do
			pids=$(ip netns pids "$ns" 2>/dev/null || true)
			[ -z "$pids" ] && break
			sleep 0.1
		done
		for pid in $pids; do kill -KILL "$pid" 2>/dev/null || true; done
		ip netns del "$ns" 2>/dev/null || true
	done
}

cmd_clean() {
	need_root
	exec 9>/run/lock/ipsecdiag-lab.lock
	flock 9
	teardown
	rm -rf "$WORK"
	log "clean: namespaces $ALL_NS removed, $WORK removed"
}

sysctl_ns() { ip netns exec "$1" sysctl -qw "$2" >/dev/null; }

setup_topology() {
	local ns
	for ns in $ALL_NS; do
		ip netns add "$ns"
		# no IPv6 on the lab links: keeps router solicitations / MLD out of
		# the captures
		sysctl_ns "$ns" net.ipv6.conf.all.disable_ipv6=1
		sysctl_ns "$ns" net.ipv6.conf.default.disable_ipv6=1
		sysctl_ns "$ns" net.ipv4.conf.all.rp_filter=0
		sysctl_ns "$ns" net.ipv4.conf.default.rp_filter=0
		ip -n "$ns" link set lo up
	done
	ip -n "$NS_A" link add eth0 type veth peer name r-a netns "$NS_R"
	ip -n "$NS_B" link add eth0 type veth peer name r-b netns "$NS_R"
	# The kernel has no dummy driver, so each site's LAN is one end of a
	# veth pair whose other end stays unaddressed in the same namespace.
	ip -n "$NS_A" link add lan0 type veth peer name lan0-peer
	ip -n "$NS_B" link add lan0 type veth peer name lan0-peer

	ip -n "$NS_A" addr add "$A_WAN/24" dev eth0
	ip -n "$NS_A" addr add "$A_LAN/24" dev lan0
	ip -n "$NS_A" addr add "$A_LAN2/24" dev lan0
	ip -n "$NS_R" addr add "$R_IN/24" dev r-a
	ip -n "$NS_R" addr add "$R_OUT/24" dev r-b
	ip -n "$NS_B" addr add "$B_WAN/24" dev eth0
	ip -n "$NS_B" addr add "$B_LAN/24" dev lan0
	ip -n "$NS_B" addr add "$B_LAN2/24" dev lan0
	local l
	for l in eth0 lan0 lan0-peer; do
		ip -n "$NS_A" link set "$l" up
		ip -n "$NS_B" link set "$l" up
	done
	ip -n "$NS_R" link set r-a up
	ip -n "$NS_R" link set r-b up
	ip -n "$NS_A" route add default via "$R_IN"
	ip -n "$NS_B" route add default via "$R_OUT"
	sysctl_ns "$NS_R" net.ipv4.ip_forward=1
	if [ "$NAT" = yes ]; then
		rin iptables -t nat -A POSTROUTING -o r-b -s "$A_WAN" -j MASQUERADE
	fi
	# sanity: plain reachability A -> B (not captured)
	ain ping -q -c 1 -W 2 "$B_WAN" >/dev/null || die "topology: $A_WAN cannot reach $B_WAN"
	# the ping above created conntrack entries on the router; flush them so
	# the scenario starts from a clean state (no stale ICMP mappings)
	rin sh -c 'command -v conntrack >/dev/null && conntrack -F' >/dev/null 2>&1 || true
}

# write strongswan.conf for one peer: $1 = role (initiator|responder)
write_strongswan_conf() {
	local role=$1 dir=$WORK/$1
	cat >"$dir/strongswan.conf" <<EOF
# SPDX-License-Identifier: GPL-2.0-or-later
# generated by test-captures/lab/lab.sh for scenario $SCENARIO ($role)
charon {
	load_modular = no
	# kernel-libipsec (userland ESP, carried in UDP 4500) must come before
	# kernel-netlink so it provides the IPsec backend; kernel-netlink
	# provides routes/addresses.
	load = random nonce openssl aes sha1 sha2 md5 hmac gmp kdf pem pkcs1 x509 pubkey kernel-libipsec kernel-netlink socket-default vici
	# short retransmissions to keep the scenarios short (defaults: 4.0/1.8/5)
	retransmit_timeout = $RETRANSMIT_TIMEOUT
	retransmit_base = $RETRANSMIT_BASE
	retransmit_tries = $RETRANSMIT_TRIES
	plugins {
		vici {
			socket = unix://$dir/charon.vici
		}
	}
	syslog {
		daemon {
			default = -1
		}
	}
	filelog {
		lab {
			path = $dir/charon.log
			time_format = %Y-%m-%d %H:%M:%S
			time_add_ms = yes
			ike_name = yes
			append = no
			flush_line = yes
			default = 2
			# ike = 4 logs the DH secret and the derived IKE keys,
			# chd = 4 the derived ESP keys (lab PSKs only!)
			ike = 4
			chd = 4
			# keep the per-field encoder trace and job/thread noise out
			enc = 1
			job = 1
			mgr = 1
		}
	}
EOF
	[ -z "$EXTRA_CHARON_CONF" ] || printf '%s\n' "$EXTRA_CHARON_CONF" >>"$dir/strongswan.conf"
	indent 1 "$(side_knob "$role" EXTRA_CHARON_CONF "")" >>"$dir/strongswan.conf"
	echo "}" >>"$dir/strongswan.conf"
}

# side_knob ROLE KNOB: the per-side override <ROLE>_<KNOB> if set, else $2 default
side_knob() {
	local v=${1^^}_$2
	if [ -n "${!v}" ]; then printf '%s' "${!v}"; else printf '%s' "$3"; fi
}

# print lines indented by $1 tabs (for the per-side extra knobs)
indent() { [ -z "$2" ] || printf '%s\n' "$2" | sed "s/^/$(printf '\t%.0s' $(seq 1 "$1"))/"; }

# write swanctl.conf for one peer: $1 = role
write_swanctl_conf() {
	local role=$1 dir=$WORK/$1
	local local_addr remote_addr local_id remote_id lnet rnet lnet2 rnet2 psk
	local side_conn side_child
	if [ "$role" = initiator ]; then
		local_addr=$A_WAN remote_addr=$B_WAN local_id=$A_ID remote_id=$B_ID
		lnet=$A_NET rnet=$B_NET lnet2=$A_NET2 rnet2=$B_NET2 psk=$INITIATOR_PSK
	else
		# the responder accepts any peer address (site A may be NATed)
		local_addr=$B_WAN remote_addr=%any local_id=$B_ID remote_id=$A_ID
		lnet=$B_NET rnet=$A_NET lnet2=$B_NET2 rnet2=$A_NET2 psk=$RESPONDER_PSK
	fi
	remote_addr=$(side_knob "$role" REMOTE_ADDRS "$remote_addr")
	remote_id=$(side_knob "$role" REMOTE_ID "$remote_id")
	lnet=$(side_knob "$role" LOCAL_TS "$lnet")
	rnet=$(side_knob "$role" REMOTE_TS "$rnet")
	side_conn=$(side_knob "$role" EXTRA_CONN_CONF "")
	side_child=$(side_knob "$role" EXTRA_CHILD_CONF "")
	local version proposals esp
	version=$(side_knob "$role" IKE_VERSION "$IKE_VERSION")
	proposals=$(side_knob "$role" IKE_PROPOSALS "$IKE_PROPOSALS")
	esp=$(side_knob "$role" ESP_PROPOSALS "$ESP_PROPOSALS")
	{
		cat <<EOF
# SPDX-License-Identifier: GPL-2.0-or-later
# generated by test-captures/lab/lab.sh for scenario $SCENARIO ($role)
connections {
	lab {
		version = $version
		local_addrs = $local_addr
		remote_addrs = $remote_addr
		proposals = $proposals
EOF
		[ -z "$ENCAP" ] || printf '\t\tencap = %s\n' "$ENCAP"
		[ -z "$EXTRA_CONN_CONF" ] || printf '%s\n' "$EXTRA_CONN_CONF"
		indent 2 "$side_conn"
		cat <<EOF
		local {
			auth = psk
			id = $local_id
		}
		remote {
			auth = psk
			id = $remote_id
		}
		children {
			net {
				local_ts = $lnet
				remote_ts = $rnet
				esp_proposals = $esp
EOF
		indent 4 "$EXTRA_CHILD_CONF"
		indent 4 "$side_child"
		echo "			}"
		if [ "$SECOND_CHILD" = yes ]; then
			cat <<EOF
			net2 {
				local_ts = $lnet2
				remote_ts = $rnet2
				esp_proposals = $esp
EOF
			indent 4 "$EXTRA_CHILD_CONF"
			indent 4 "$side_child"
			echo "			}"
		fi
		cat <<EOF
		}
	}
}
secrets {
	ike-lab {
		id-a = $A_ID
		id-b = $B_ID
		secret = "$psk"
	}
}
EOF
	} >"$dir/swanctl.conf"
}

save_firewall() {
	local ns t rules
	: >"$WORK/firewall.txt"
	for ns in $ALL_NS; do
		for t in filter nat; do
			rules=$(ip netns exec "$ns" iptables -t "$t" -S | grep '^-A' || true)
			[ -n "$rules" ] || continue
			printf '%s\n' "$rules" | sed "s/^/$ns ($t): iptables /" >>"$WORK/firewall.txt"
		done
	done
	[ -s "$WORK/firewall.txt" ] || echo "(no rules)" >"$WORK/firewall.txt"
}

ns_of() { [ "$1" = initiator ] && echo "$NS_A" || echo "$NS_B"; }

start_charon() {
	local role=$1 dir=$WORK/$1 ns
	ns=$(ns_of "$role")
	# private /run per charon (pid file), vici socket in the work dir
	STRONGSWAN_CONF=$dir/strongswan.conf ip netns exec "$ns" \
		unshare -m --propagation private \
		sh -c 'mount -t tmpfs tmpfs /run && exec "$0"' "$CHARON" \
		>"$dir/charon.stdout" 2>&1 &
	echo $! >"$dir/charon.pid"
	local i
	for i in $(seq 1 100); do
		[ -S "$dir/charon.vici" ] && break
		sleep 0.1
	done
	[ -S "$dir/charon.vici" ] || die "charon ($role) did not start, see $dir/charon.stdout"
	"$SWANCTL" --load-all --noprompt --file "$dir/swanctl.conf" \
		--uri "unix://$dir/charon.vici" >"$dir/swanctl-load.out" 2>&1 ||
		die "swanctl --load-all ($role) failed: $(cat "$dir/swanctl-load.out")"
}

stop_charon() {
	local role=$1 dir=$WORK/$1 pid
	[ -f "$dir/charon.pid" ] || return 0
	pid=$(cat "$dir/charon.pid")
	kill -TERM "$pid" 2>/dev/null || true
	local i
	for i in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	rm -f "$dir/charon.pid"
}

start_capture() {
	local role=$1 dir=$WORK/$1 ns
	ns=$(ns_of "$role")
	ip netns exec "$ns" tcpdump -i eth0 -n -s 0 -U -Z root -w "$dir/capture.pcap" \
		"$CAPTURE_FILTER" >"$dir/tcpdump.out" 2>&1 &
	echo $! >"$dir/tcpdump.pid"
	local i
	for i in $(seq 1 100); do
		grep -q 'listening on' "$dir/tcpdump.out" 2>/dev/null && return 0
		sleep 0.1
	done
	die "tcpdump ($role) did not start: $(cat "$dir/tcpdump.out")"
}

stop_capture() {
	local role=$1 dir=$WORK/$1 pid
	[ -f "$dir/tcpdump.pid" ] || return 0
	pid=$(cat "$dir/tcpdump.pid")
	kill -INT "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	rm -f "$dir/tcpdump.pid"
}

# Run a command in the background and wait for it, so that a signal to the
# script interrupts the wait at once and the EXIT trap tears everything down.
bgw() { "$@" & wait $!; }
nap() { bgw sleep "$1"; }

# swanctl against the initiator's charon (run inside isd-a, so teardown's
# "kill everything in our namespaces" also catches it)
vici() { bgw ain "$SWANCTL" "$@" --uri "unix://$WORK/initiator/charon.vici"; }

# the same against the responder's charon (inside isd-b), for scenarios in
# which the responder initiates too (it then needs RESPONDER_REMOTE_ADDRS)
vici_r() { bgw bin "$SWANCTL" "$@" --uri "unix://$WORK/responder/charon.vici"; }

# initiate CHILD [TIMEOUT]: blocks until the CHILD_SA is up or failed
initiate() {
	local child=$1 timeout=${2:-60} rc=0
	log "initiating child $child"
	vici --initiate --child "$child" --timeout "$timeout" \
		>>"$WORK/initiator/swanctl-initiate.out" 2>&1 || rc=$?
	return $rc
}

# initiate_r CHILD [TIMEOUT]: the responder's charon initiates (towards site A)
initiate_r() {
	local child=$1 timeout=${2:-60} rc=0
	log "initiating child $child from the responder"
	vici_r --initiate --child "$child" --timeout "$timeout" \
		>>"$WORK/responder/swanctl-initiate.out" 2>&1 || rc=$?
	return $rc
}

# default run hook for healthy scenarios: bring the tunnel up, ping both ways
run_healthy() {
	initiate net 30 || die "tunnel did not come up, see $WORK/initiator/charon.log"
	nap 0.5
	bgw ain ping -I "$A_LAN" -c 3 -i 0.5 -W 2 "$B_LAN" >"$WORK/ping-a.out" 2>&1 ||
		die "ping $A_LAN -> $B_LAN through the tunnel failed: $(cat "$WORK/ping-a.out")"
	bgw bin ping -I "$B_LAN" -c 3 -i 0.5 -W 2 "$A_LAN" >"$WORK/ping-b.out" 2>&1 ||
		die "ping $B_LAN -> $A_LAN through the tunnel failed: $(cat "$WORK/ping-b.out")"
}

# default run hook for failure scenarios: initiate and wait for the give-up
run_initiate() {
	if initiate net 60; then
		die "tunnel unexpectedly came up"
	fi
}

record_one() {
	local name=$1 fn
	fn=scn_${name//-/_}
	declare -F "$fn" >/dev/null || die "unknown scenario: $name (see: lab.sh list)"
	SCENARIO=$name
	scenario_defaults
	"$fn"
	log "=== $name: ${SCN_SUMMARY[$name]}"

	teardown
	rm -rf "$WORK"
	mkdir -p "$WORK/initiator" "$WORK/responder"
	setup_topology
	hook_router
	hook_responder_fw
	save_firewall

	local role roles=initiator
	[ "$RESPONDER_DAEMON" = yes ] && roles="initiator responder"
	for role in initiator responder; do
		write_strongswan_conf "$role"
		write_swanctl_conf "$role"
	done
	for role in $roles; do start_charon "$role"; done
	for role in $SIDES; do start_capture "$role"; done
	sleep 0.5

	hook_run
	nap "$TAIL"

	for role in $SIDES; do stop_capture "$role"; done
	for role in $roles; do stop_charon "$role"; done

	# Replace only what the lab generates: the folder may also hold files
	# maintained elsewhere (expected/ golden files, must-find).
	local out=$CAPTURES_DIR/$name
	mkdir -p "$out"
	rm -f "$out/initiator.pcap" "$out/responder.pcap" "$out/charon-initiator.log" \
		"$out/charon-responder.log" "$out/swanctl-initiator.conf" \
		"$out/swanctl-responder.conf" "$out/README.md"
	for role in $SIDES; do
		cp "$WORK/$role/capture.pcap" "$out/$role.pcap"
	done
	for role in $SIDES; do
		[ -f "$WORK/$role/charon.log" ] || continue
		cp "$WORK/$role/charon.log" "$out/charon-$role.log"
	done
	for role in initiator responder; do
		cp "$WORK/$role/swanctl.conf" "$out/swanctl-$role.conf"
	done
	write_readme "$out"
	teardown
	log "=== $name recorded in $out"
	summarize "$out"
	verify_one "$name" || die "$name: the recording does not match its expected signature"
}

# one line per IKE/ESP/ICMP packet, used for the README and for checking
tshark_summary() {
	tshark -r "$1" -Y 'isakmp or esp or icmp' -T fields -E separator=/t \
		-E occurrence=f -e frame.number -e frame.time_relative -e ip.src \
		-e udp.srcport -e ip.dst -e udp.dstport -e frame.len \
		-e _ws.col.Protocol -e _ws.col.Info 2>/dev/null |
		awk -F'\t' '{
			src = $3; dst = $5
			if ($8 != "ICMP") { src = src ":" $4; dst = dst ":" $6 }
			printf "%4d %7.3f  %-20s -> %-20s %5d  %-6s %s\n",
				$1, $2, src, dst, $7, $8, $9
		}'
}

# Structural signature of a capture: one token per IKE / ICMP packet,
# ">" = initiator to responder, "<" = responder to initiator, the responder's
# UDP port and the ISAKMP exchange type (2 Main Mode, 32 Quick Mode,
# 5 Informational, 34 IKE_SA_INIT, 35 IKE_AUTH, 36 CREATE_CHILD_SA,
# 37 INFORMATIONAL) or icmp:TYPE/CODE; runs of identical tokens are collapsed
# to TOKEN*N; ESP packets are only counted per direction.
capture_signature() {
	tshark -r "$1" -Y 'isakmp or esp or icmp' -T fields -E separator=/t \
		-E occurrence=f -e ip.src -e udp.srcport -e udp.dstport \
		-e _ws.col.Protocol -e isakmp.exchangetype -e icmp.type -e icmp.code \
		2>/dev/null |
		awk -F'\t' -v b="$B_WAN" '
		function flush() { if (n) { out = out (out == "" ? "" : " ") prev (n > 1 ? "*" n : "") }; n = 0 }
		{
			dir = ($1 == b) ? "<" : ">"
			if ($4 == "ESP") { esp[dir]++; next }
			if ($4 == "ICMP") tok = dir "icmp:" $6 "/" $7
			else tok = dir ((dir == ">") ? $3 : $2) ":" $5
			if (tok == prev) { n++; next }
			flush(); prev = tok; n = 1
		}
		END { flush(); printf "%s | esp >%d <%d\n", out, esp[">"], esp["<"] }'
}

# verify_one SCENARIO: compare the recorded captures with EXPECT_<side>
verify_one() {
	local name=$1 fn role sig want rc=0
	fn=scn_${name//-/_}
	scenario_defaults
	"$fn"
	for role in $SIDES; do
		local f=$CAPTURES_DIR/$name/$role.pcap
		if [ ! -f "$f" ]; then
			log "verify $name: missing $role.pcap"
			rc=1
			continue
		fi
		sig=$(capture_signature "$f")
		want=EXPECT_$role
		want=${!want}
		if [ -z "$want" ]; then
			log "verify $name/$role.pcap: $sig (no expectation)"
		elif [ "$sig" = "$want" ]; then
			log "verify $name/$role.pcap: OK ($sig)"
		else
			log "verify $name/$role.pcap: MISMATCH"
			log "  got:      $sig"
			log "  expected: $want"
			rc=1
		fi
	done
	return $rc
}

cmd_verify() {
	local names=("$@") s rc=0
	if [ $# -eq 0 ] || [ "$1" = all ]; then names=("${SCENARIOS[@]}"); fi
	for s in "${names[@]}"; do
		declare -F "scn_${s//-/_}" >/dev/null || die "unknown scenario: $s"
		verify_one "$s" || rc=1
	done
	return $rc
}

summarize() {
	local out=$1 f
	for f in "$out"/*.pcap; do
		log "--- $(basename "$f"): $(tshark -r "$f" 2>/dev/null | wc -l) frames"
		tshark -r "$f" 2>/dev/null | sed 's/^/[lab]   /' >&2
	done
}

write_readme() {
	local out=$1 role f
	{
		cat <<EOF
<!-- SPDX-License-Identifier: GPL-2.0-or-later -->
# $SCENARIO

${SCN_SUMMARY[$SCENARIO]^}.

## What the capture shows

$README_WHAT

## Files

EOF
		for role in $SIDES; do
			echo "- \`$role.pcap\`: captured on the $role's own link ($( [ "$role" = initiator ] && echo "isd-a eth0, $A_WAN" || echo "isd-b eth0, $B_WAN")), full snaplen, filter \`$CAPTURE_FILTER\`."
		done
		for role in $SIDES; do
			[ -f "$out/charon-$role.log" ] || continue
			echo "- \`charon-$role.log\`: charon filelog of the $role (default level 2, ike = 4, chd = 4, enc/job/mgr = 1; so it contains the DH shared secret and the derived IKE and ESP keys: ground truth for decryption tests)."
		done
		if [ "$RESPONDER_DAEMON" != yes ]; then
			echo "- no responder log: no charon runs on the responder in this scenario."
		elif [ ! -f "$out/charon-responder.log" ]; then
			echo "- no responder capture or log: the responder (charon running) never receives anything in this scenario."
		fi
		echo "- \`swanctl-initiator.conf\`, \`swanctl-responder.conf\`: the generated swanctl configurations (the responder one is not loaded when no responder daemon runs)."
		echo
		echo "The captures and logs are generated by the lab and licensed GPL-2.0-or-later like the rest of the project (binary and log files cannot carry an SPDX header)."
		cat <<EOF

## Packets

Generated from the capture with \`tshark -Y 'isakmp or esp or icmp'\` (frame number,
time in seconds since the first frame, source -> destination, frame length, protocol,
tshark's summary):

EOF
		for role in $SIDES; do
			echo "### $role.pcap"
			echo
			echo '```'
			tshark_summary "$out/$role.pcap"
			echo '```'
			echo
			echo "Structure, checked by \`lab.sh verify\` (\`>\` initiator to responder, \`<\` back, responder's UDP port : ISAKMP exchange type, \`*N\` = N times in a row, ESP counted per direction):"
			echo
			echo '```'
			capture_signature "$out/$role.pcap"
			echo '```'
			echo
		done
		cat <<EOF
## Lab artifacts

- kernel-libipsec (userland ESP, used because this lab has no kernel ESP/XFRM)
  can only carry UDP-encapsulated ESP. strongSwan therefore forces UDP
  encapsulation exactly as with \`encap = yes\`: each peer sends a deliberately
  wrong NAT_DETECTION_SOURCE_IP hash (IKEv2) / NAT-D hash of its own address
  (IKEv1), so each peer believes the *other* one is behind a NAT ("remote host is
  behind NAT" in both logs), IKE moves to UDP 4500 after the first exchange and
  ESP travels in UDP 4500 even without any NAT. The destination hashes are genuine:
  only a real NAT (the \`healthy-nat-*\` and \`udp4500-blocked-*\` scenarios) makes
  the initiator log "local host is behind NAT".
- Retransmission timers are shortened (see below).

## Topology and addresses

\`\`\`
$(topology_diagram)
\`\`\`

- IKE: UDP 500 and 4500 on both peers; ESP is UDP-encapsulated on 4500 (kernel-libipsec).
- Tunnel: $A_NET <-> $B_NET$( [ "$SECOND_CHILD" = yes ] && echo ", second child $A_NET2 <-> $B_NET2" ).
- Identities: \`$A_ID\` (initiator), \`$B_ID\` (responder), PSK authentication.
- PSK: $( [ "$RESPONDER_PSK" != "$INITIATOR_PSK" ] && echo "\`$INITIATOR_PSK\` on the initiator, \`$RESPONDER_PSK\` on the responder" || echo "\`$INITIATOR_PSK\` on both sides") (test-only key, see the secrets section below).
- NAT: $( [ "$NAT" = yes ] && echo "yes, the router masquerades $A_WAN to $R_OUT (iptables -t nat POSTROUTING -o r-b -j MASQUERADE)" || echo "none, the router only forwards" ).
EOF
		echo "- Firewall/NAT rules in effect (\`iptables -S\`, \`iptables -t nat -S\`):"
		echo
		echo '```'
		cat "$WORK/firewall.txt"
		echo '```'
		cat <<EOF

## How it was made

\`\`\`
sudo test-captures/lab/lab.sh record $SCENARIO
\`\`\`

strongSwan $(strongswan_version) (Debian 12 packages), charon started directly with the
kernel-libipsec plugin (userland ESP over UDP 4500; no kernel XFRM), configured
with swanctl over vici, started by \`swanctl --initiate --child net\` on the
initiator.

Retransmission settings (strongswan.conf, both peers), shortened to keep the
capture short: \`retransmit_timeout = $RETRANSMIT_TIMEOUT\`, \`retransmit_base = $RETRANSMIT_BASE\`,
\`retransmit_tries = $RETRANSMIT_TRIES\` (strongSwan defaults: 4.0 / 1.8 / 5). A request is
sent at t = 0 and retransmitted after 1.0 s, 1.8 s and 3.24 s more (t = 1.0, 2.8,
6.04 s); charon gives up 5.83 s after the last retransmission (t = 11.87 s).

EOF
		if sides_differ >/dev/null; then
			cat <<EOF
The two peers are configured differently in this scenario (per-side knobs:
$(sides_differ)). Relevant swanctl.conf excerpts:

Initiator:

\`\`\`
$(sed -n '/^connections/,$p' "$out/swanctl-initiator.conf")
\`\`\`

Responder:

\`\`\`
$(sed -n '/^connections/,$p' "$out/swanctl-responder.conf")
\`\`\`
EOF
			local f
			for f in initiator responder; do
				[ -n "$(side_knob "$f" EXTRA_CHARON_CONF "")" ] || continue
				printf '\nExtra strongswan.conf lines in charon { } of the %s:\n\n```\n%s\n```\n' \
					"$f" "$(side_knob "$f" EXTRA_CHARON_CONF "")"
			done
		else
			cat <<EOF
Relevant swanctl.conf excerpt (initiator; the responder mirrors it with
\`remote_addrs = %any\`):

\`\`\`
$(sed -n '/^connections/,$p' "$out/swanctl-initiator.conf")
\`\`\`
EOF
		fi
		if [ -n "$EXTRA_CHARON_CONF" ]; then
			printf '\nExtra strongswan.conf lines in charon { } of both peers:\n\n```\n%s\n```\n' \
				"$EXTRA_CHARON_CONF"
		fi
	} >"$out/README.md"
}

# sides_differ: prints the per-side knobs set (and PSK if they differ),
# false if both peers mirror each other
sides_differ() {
	local side knob v list=""
	for side in INITIATOR RESPONDER; do
		for knob in IKE_VERSION IKE_PROPOSALS ESP_PROPOSALS EXTRA_CHARON_CONF \
			EXTRA_CONN_CONF EXTRA_CHILD_CONF REMOTE_ADDRS REMOTE_ID LOCAL_TS REMOTE_TS; do
			v=${side}_$knob
			[ -z "${!v}" ] || list="$list${list:+, }$v"
		done
	done
	[ "$INITIATOR_PSK" = "$RESPONDER_PSK" ] || list="$list${list:+, }INITIATOR_PSK/RESPONDER_PSK"
	[ -n "$list" ] || return 1
	printf '%s' "$list"
}

topology_diagram() {
	local l3
	l3=$(printf ' eth0 %s/24 ------ r-a %s | r-b %s ------ ' "$A_WAN" "$R_IN" "$R_OUT")
	local c1 c2
	c1=$(printf ' eth0 %s/24 ------ ' "$A_WAN"); c1=${#c1}
	c2=${#l3}
	printf "%-${c1}s%-$((c2 - c1))s%s\n" ' isd-a (initiator, site A)' 'isd-r (router)' 'isd-b (responder, site B)'
	printf "%-${c2}s%s\n" " lan0 $A_LAN/24" "lan0 $B_LAN/24"
	printf '%seth0 %s/24\n' "$l3" "$B_WAN"
}

strongswan_version() {
	dpkg-query -W -f='${Version}' strongswan-charon 2>/dev/null || echo 5.9.x
}

cmd_list() {
	local s
	for s in "${SCENARIOS[@]}"; do
		printf '%-34s %s\n' "$s" "${SCN_SUMMARY[$s]}"
	done
}

cmd_record() {
	[ $# -gt 0 ] || die "usage: lab.sh record SCENARIO... | all"
	check_requirements
	local names=("$@") s
	if [ "$1" = all ]; then names=("${SCENARIOS[@]}"); fi
	for s in "${names[@]}"; do
		declare -F "scn_${s//-/_}" >/dev/null || die "unknown scenario: $s"
	done
	# One lab at a time: the namespaces and addresses are fixed, so a second
	# recording (another checkout, another shell) waits for this one.
	exec 9>/run/lock/ipsecdiag-lab.lock
	flock 9
	trap 'rc=$?; trap - EXIT INT TERM; teardown; exit $rc' EXIT
	trap 'exit 130' INT TERM
	for s in "${names[@]}"; do
		record_one "$s"
	done
}

case "${1:-}" in
list) cmd_list ;;
record) shift; cmd_record "$@" ;;
verify) shift; cmd_verify "$@" ;;
clean) cmd_clean ;;
*)
	echo "usage: $0 list | record SCENARIO... | record all | verify [SCENARIO...] | clean" >&2
	exit 2
	;;
esac
