#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Build responder-native-esp.pcap from healthy-nat-ikev2/responder.pcap.

The lab's peers use kernel-libipsec, which always carries ESP in UDP 4500
(kernel XFRM, which could send native ESP, is not available). This takes the
real capture of a NATed IKEv2 tunnel on the responder's link and turns every
ESP-in-UDP packet (UDP 4500 whose first 4 bytes are not the zero non-ESP
marker) into native ESP: the UDP header is removed, the IP protocol becomes
50, the IP total length shrinks by 8 and the IP header checksum is
recomputed. The ESP bytes (SPI, sequence number, ciphertext) are unchanged,
as are the IKE messages (NAT-D shows the initiator behind the NAT, IKE moves
to UDP 4500). Deterministic."""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lab"))
from pcap_craft import checksum, read_pcap, write_pcap  # noqa: E402

SOURCE = os.path.join(HERE, "..", "healthy-nat-ikev2", "responder.pcap")
OUTPUT = os.path.join(HERE, "responder-native-esp.pcap")


def to_native_esp(frame):
    """The frame with its ESP-in-UDP turned into native ESP, or unchanged."""
    if len(frame) < 50 or frame[12:14] != b"\x08\x00" or frame[14] != 0x45 or frame[23] != 17:
        return frame
    sport, dport = struct.unpack("!HH", frame[34:38])
    if 4500 not in (sport, dport) or frame[42:46] == b"\0\0\0\0" or len(frame) - 42 < 8:
        return frame                 # IKE behind the non-ESP marker, or a NAT keepalive
    ip = bytearray(frame[14:34])
    total = struct.unpack("!H", ip[2:4])[0]
    struct.pack_into("!H", ip, 2, total - 8)
    ip[9] = 50
    struct.pack_into("!H", ip, 10, 0)
    struct.pack_into("!H", ip, 10, checksum(bytes(ip)))
    return frame[:14] + bytes(ip) + frame[42:]


def main():
    header, records = read_pcap(SOURCE)
    write_pcap(OUTPUT, header, [[sec, usec, to_native_esp(frame)] for sec, usec, frame in records])


if __name__ == "__main__":
    main()
