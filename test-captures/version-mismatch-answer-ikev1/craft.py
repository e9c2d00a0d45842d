#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Build responder-answers-ikev1.pcap from version-mismatch/initiator.pcap.

strongSwan answers an IKE version it has no connection for with
NO_PROPOSAL_CHOSEN in the request's own version, so no lab peer here shows
what an IKEv1-only gateway sends. This keeps the real IKEv2 IKE_SA_INIT
request (frame 1) and replaces the response (frame 2) by what RFC 2408
section 5.1 prescribes for a higher major version: an unencrypted ISAKMP
Informational (exchange 5, version 1.0) with the initiator cookie copied from
the request, a zero responder cookie and one Notification payload
INVALID-MAJOR-VERSION (type 5, DOI IPsec, protocol ISAKMP, no SPI).
IP and UDP lengths and checksums are recomputed. Deterministic: running it
again writes the same bytes."""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "..", "version-mismatch", "initiator.pcap")
OUTPUT = os.path.join(HERE, "responder-answers-ikev1.pcap")


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
        magic = struct.unpack("<I", header[:4])[0]
        if magic != 0xA1B2C3D4:
            sys.exit("expected a little-endian classic pcap: %s" % path)
        records = []
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                break
            sec, usec, incl, orig = struct.unpack("<IIII", rec)
            records.append([sec, usec, f.read(incl)])
    return header, records


def ikev1_invalid_major_version(spi_i):
    notify = struct.pack("!BBHIBBH", 0, 0, 12, 1, 1, 0, 5)   # next, reserved, length, DOI, proto, SPI size, type
    length = 28 + len(notify)
    header = spi_i + b"\0" * 8 + struct.pack("!BBBBII", 11, 0x10, 5, 0, 0, length)
    return header + notify


def rebuild(frame, payload):
    link = frame[:14]                       # Ethernet
    ip = bytearray(frame[14:34])            # IPv4 without options (lab captures)
    udp = bytearray(frame[34:42])
    struct.pack_into("!H", udp, 4, 8 + len(payload))
    struct.pack_into("!H", udp, 6, 0)
    pseudo = bytes(ip[12:20]) + struct.pack("!BBH", 0, 17, 8 + len(payload))
    struct.pack_into("!H", udp, 6, checksum(pseudo + bytes(udp) + payload) or 0xFFFF)
    struct.pack_into("!H", ip, 2, 20 + 8 + len(payload))
    struct.pack_into("!H", ip, 10, 0)
    struct.pack_into("!H", ip, 10, checksum(bytes(ip)))
    return link + bytes(ip) + bytes(udp) + payload


def main():
    header, records = read_pcap(SOURCE)
    if len(records) != 2:
        sys.exit("expected the 2-frame version-mismatch capture")
    request = records[0][2]
    spi_i = request[42:50]
    records[1][2] = rebuild(records[1][2], ikev1_invalid_major_version(spi_i))
    with open(OUTPUT, "wb") as f:
        f.write(header)
        for sec, usec, data in records:
            f.write(struct.pack("<IIII", sec, usec, len(data), len(data)))
            f.write(data)
    print("wrote", OUTPUT)


if __name__ == "__main__":
    main()
