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
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "..", "psk-mismatch-ikev1", "responder.pcap")
OUTPUT = os.path.join(HERE, "responder-resends-mr2.pcap")
MR2_BACKOFF = (0.5, 1.5, 3.5)        # seconds after the first MR2: 0.5, 1, 2 s intervals


def read_pcap(path):
    with open(path, "rb") as f:
        header = f.read(24)
        if struct.unpack("<I", header[:4])[0] != 0xA1B2C3D4:
            sys.exit("expected a little-endian classic pcap: %s" % path)
        records = []
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                break
            sec, usec, incl, _ = struct.unpack("<IIII", rec)
            records.append((sec + usec / 1e6, f.read(incl)))
    return header, records


def exchange_type(frame):
    udp_payload = frame[42:]
    ike = udp_payload[4:] if udp_payload[:4] == b"\0\0\0\0" else udp_payload
    return ike[18]


def main():
    header, records = read_pcap(SOURCE)
    if len(records) != 12:
        sys.exit("expected the 12-frame psk-mismatch-ikev1 responder capture")
    kept = [r for r in records if exchange_type(r[1]) != 5]   # no Informationals
    mr2_time, mr2 = kept[3]
    kept += [(mr2_time + delay, mr2) for delay in MR2_BACKOFF]
    kept.sort(key=lambda r: r[0])
    with open(OUTPUT, "wb") as f:
        f.write(header)
        for t, data in kept:
            usec = int(round(t * 1e6))
            f.write(struct.pack("<IIII", usec // 1000000, usec % 1000000, len(data), len(data)))
            f.write(data)
    print("wrote", OUTPUT)


if __name__ == "__main__":
    main()
