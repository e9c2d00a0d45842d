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
SOURCE = os.path.join(HERE, "..", "healthy-nat-ikev2", "responder.pcap")
OUTPUT = os.path.join(HERE, "responder-no-natt.pcap")
NAT_DETECTION = (16388, 16389)
NOTIFY = 41


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


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
            records.append([sec, usec, f.read(incl)])
    return header, records


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


def rebuild(frame, payload):
    ip = bytearray(frame[14:34])
    udp = bytearray(frame[34:42])
    struct.pack_into("!H", udp, 4, 8 + len(payload))
    struct.pack_into("!H", udp, 6, 0)
    pseudo = bytes(ip[12:20]) + struct.pack("!BBH", 0, 17, 8 + len(payload))
    struct.pack_into("!H", udp, 6, checksum(pseudo + bytes(udp) + payload) or 0xFFFF)
    struct.pack_into("!H", ip, 2, 28 + len(payload))
    struct.pack_into("!H", ip, 10, 0)
    struct.pack_into("!H", ip, 10, checksum(bytes(ip)))
    return frame[:14] + bytes(ip) + bytes(udp) + payload


def main():
    header, records = read_pcap(SOURCE)
    records = records[:2]
    records[1][2] = rebuild(records[1][2], strip_nat_detection(records[1][2][42:]))
    with open(OUTPUT, "wb") as f:
        f.write(header)
        for sec, usec, data in records:
            f.write(struct.pack("<IIII", sec, usec, len(data), len(data)))
            f.write(data)
    print("wrote", OUTPUT)


if __name__ == "__main__":
    main()
