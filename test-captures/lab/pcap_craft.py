#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Helpers for the few scenarios whose capture is derived from a real lab
capture (craft.py in their folders): read and write classic little-endian
pcap files, and replace the UDP payload of an Ethernet/IPv4/UDP frame with
lengths and checksums recomputed."""
import struct
import sys


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def read_pcap(path):
    """The file header and a list of [seconds, microseconds, frame bytes]."""
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


def write_pcap(path, header, records):
    with open(path, "wb") as f:
        f.write(header)
        for sec, usec, data in records:
            f.write(struct.pack("<IIII", sec, usec, len(data), len(data)))
            f.write(data)
    print("wrote", path)


def replace_udp_payload(frame, payload):
    """An Ethernet + IPv4 (no options) + UDP frame with a new UDP payload."""
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
