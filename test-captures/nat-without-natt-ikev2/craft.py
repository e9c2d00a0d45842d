#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Build responder-no-natt.pcap from healthy-nat-ikev2/responder.pcap.

strongSwan always offers NAT traversal, so no lab peer here answers without
it. This keeps the first two frames of a real capture taken on the
responder's link behind a NAT (the IKEv2 IKE_SA_INIT request of the NATed
initiator and the responder's answer) and removes the two NAT_DETECTION
notifies (16388, 16389) from the answer, as a responder without NAT-T support
(RFC 7296 2.23 makes them optional) would send it. The IKE payload chain,
IKE, UDP and IP lengths and the checksums are rewritten. Deterministic."""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lab"))
from pcap_craft import read_pcap, replace_udp_payload, write_pcap  # noqa: E402

SOURCE = os.path.join(HERE, "..", "healthy-nat-ikev2", "responder.pcap")
OUTPUT = os.path.join(HERE, "responder-no-natt.pcap")
NAT_DETECTION = (16388, 16389)
NOTIFY = 41


def strip_nat_detection(ike):
    """The IKEv2 message without its NAT_DETECTION notifies."""
    kept = []                      # (type, body) of the payloads kept
    next_type = ike[16]
    offset = 28
    while next_type != 0:
        following, _, length = struct.unpack("!BBH", ike[offset:offset + 4])
        body = ike[offset + 4:offset + length]
        is_natd = next_type == NOTIFY and struct.unpack("!H", body[2:4])[0] in NAT_DETECTION
        if not is_natd:
            kept.append((next_type, body))
        next_type = following
        offset += length
    out = bytearray(ike[:28])
    out[16] = kept[0][0] if kept else 0
    for i, (ptype, body) in enumerate(kept):
        following = kept[i + 1][0] if i + 1 < len(kept) else 0
        out += struct.pack("!BBH", following, 0, 4 + len(body)) + body
    struct.pack_into("!I", out, 24, len(out))
    return bytes(out)



def main():
    header, records = read_pcap(SOURCE)
    records = records[:2]
    records[1][2] = replace_udp_payload(records[1][2], strip_nat_detection(records[1][2][42:]))
    write_pcap(OUTPUT, header, records)


if __name__ == "__main__":
    main()
