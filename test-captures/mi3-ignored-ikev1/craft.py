#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Build responder-resends-mr2.pcap from psk-mismatch-ikev1/responder.pcap.

strongSwan, as IKEv1 responder, answers an MI3 it cannot decrypt with an
encrypted Informational (see ../psk-mismatch-ikev1). Other responders
(libreswan, Cisco IOS) drop such an MI3 and keep retransmitting MR2 until
they give up. No such peer runs here, so this keeps the real packets of the
strongSwan PSK-mismatch capture taken on the responder's link (MI1, MR1, MI2,
MR2, MI3 and the initiator's three MI3 retransmissions with their real
times), drops the responder's Informationals, and re-sends the real MR2 with
a doubling backoff from 0.5 s (libreswan's default retransmission timer)
after the first MR2. Packet bytes are untouched; only timestamps and order
change. Deterministic."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lab"))
from pcap_craft import read_pcap, write_pcap  # noqa: E402

SOURCE = os.path.join(HERE, "..", "psk-mismatch-ikev1", "responder.pcap")
OUTPUT = os.path.join(HERE, "responder-resends-mr2.pcap")
MR2_BACKOFF = (0.5, 1.5, 3.5)        # seconds after the first MR2: 0.5, 1, 2 s intervals


def exchange_type(frame):
    udp_payload = frame[42:]
    ike = udp_payload[4:] if udp_payload[:4] == b"\0\0\0\0" else udp_payload
    return ike[18]


def main():
    header, records = read_pcap(SOURCE)
    if len(records) != 12:
        sys.exit("expected the 12-frame psk-mismatch-ikev1 responder capture")
    timed = [(sec + usec / 1e6, data) for sec, usec, data in records]
    kept = [r for r in timed if exchange_type(r[1]) != 5]     # no Informationals
    mr2_time, mr2 = kept[3]
    kept += [(mr2_time + delay, mr2) for delay in MR2_BACKOFF]
    kept.sort(key=lambda r: r[0])
    out = []
    for t, data in kept:
        usec = int(round(t * 1e6))
        out.append([usec // 1000000, usec % 1000000, data])
    write_pcap(OUTPUT, header, out)


if __name__ == "__main__":
    main()
