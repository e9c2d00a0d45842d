#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Seed corpus for the fuzz targets, from the test captures' IKE messages.

  corpus/fuzz_ike_parse/cap-*    one IKE message per distinct shape (version,
                                 exchange, request/response, cleartext payload
                                 chain) found in test-captures/
  corpus/fuzz_engine_feed/cap-*  one conversation per capture (the initiator's
                                 of a lab scenario), in the record
                                 format of fuzz_engine_feed.c (addresses record,
                                 then IKE and ESP records with time steps and
                                 directions as captured), cut to 4096 bytes

Captures are converted to classic pcap by editcap; Ethernet, IPv4/IPv6, UDP 500
and 4500 (after the non-ESP marker) and native ESP are read. Seeds are
deterministic: running the script again rewrites the same files.

Usage: tests/fuzz/make_corpus.py [--max-message 2048] [--max-feed 4096]
"""
import argparse
import glob
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CAPTURES = os.path.join(ROOT, "test-captures")


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return []
    endian = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    scale = 1e-9 if data[:4] in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d") else 1e-6
    if struct.unpack(endian + "I", data[20:24])[0] != 1:
        return []
    packets, offset = [], 24
    while offset + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack(endian + "IIII", data[offset:offset + 16])
        offset += 16
        packets.append((sec + frac * scale, data[offset:offset + caplen]))
        offset += caplen
    return packets


def parse(frame):
    """('ike'|'esp', src, dst, port, data) of an Ethernet frame, or None."""
    if len(frame) < 14 or frame[12:14] not in (b"\x08\x00", b"\x86\xdd"):
        return None
    p = 14
    if frame[12:14] == b"\x08\x00":
        if len(frame) < p + 20:
            return None
        ihl = (frame[p] & 0x0f) * 4
        if struct.unpack("!H", frame[p + 6:p + 8])[0] & 0x3fff:
            return None                       # fragments are skipped
        proto, src, dst, payload = frame[p + 9], frame[p + 12:p + 16], frame[p + 16:p + 20], p + ihl
    else:
        if len(frame) < p + 40:
            return None
        proto, src, dst, payload = frame[p + 6], frame[p + 8:p + 24], frame[p + 24:p + 40], p + 40
    if proto == 50 and len(frame) >= payload + 8:
        return "esp", src, dst, 0, frame[payload:payload + 8]
    if proto != 17 or len(frame) < payload + 8:
        return None
    sport, dport, ulen = struct.unpack("!HHH", frame[payload:payload + 6])
    body = frame[payload + 8:payload + max(8, ulen)]
    if 4500 in (sport, dport):
        if len(body) >= 8 and body[:4] != b"\0\0\0\0":
            return "esp", src, dst, 4500, body[:8]
        if len(body) < 4 + 28:
            return None
        return "ike", src, dst, 4500, body[4:]
    if 500 in (sport, dport) and len(body) >= 28:
        return "ike", src, dst, 500, body
    return None


def shape(message):
    """What makes an IKE message different for the parser."""
    version, exchange, flags = message[17] >> 4, message[18], message[19]
    chain, next_payload, offset = [], message[16], 28
    while next_payload and offset + 4 <= len(message) and len(chain) < 64:
        chain.append(next_payload)
        if next_payload in (46, 53) or (version == 1 and flags & 1):
            break                             # encrypted from here on
        length = struct.unpack("!H", message[offset + 2:offset + 4])[0]
        if length < 4:
            break
        next_payload, offset = message[offset], offset + length
    return version, exchange, flags & 0x20, tuple(chain)


def time_step(gap):
    steps = [0.001, 0.5, 2.0, 11.0]
    return min(range(4), key=lambda i: abs(steps[i] - gap))


def feed_seed(packets, limit):
    records, a, b, last, esp_records = [], None, None, None, 0
    for time, (kind, src, dst, port, data) in packets:
        if a is None:
            if len(src) != 4:
                return None                   # the address record is written for IPv4 pairs
            a, b = src, dst
            records.append(struct.pack("!BBH", 4, 0, 8) + a + b)
        step = time_step(time - last) if last is not None else 0
        last = time
        flags = (4 if src == b else 0) | (2 if port == 4500 else 0)
        if kind == "ike":
            flags |= 1 if port == 4500 else 0
            record = struct.pack("!BBH", step << 3, flags, len(data)) + data
        else:
            # Runs of ESP records alternate between fed now and fed later (kind bit 5).
            esp_records += 1
            later = 0x20 if esp_records % 4 >= 2 else 0
            record = struct.pack("!BBH", 1 | later | step << 3, flags, len(data)) + data
        if sum(map(len, records)) + len(record) > limit:
            break
        records.append(record)
    return b"".join(records) if len(records) > 1 else None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-message", type=int, default=2048)
    parser.add_argument("--max-feed", type=int, default=4096)
    args = parser.parse_args()
    parse_dir = os.path.join(HERE, "corpus", "fuzz_ike_parse")
    feed_dir = os.path.join(HERE, "corpus", "fuzz_engine_feed")
    for directory in (parse_dir, feed_dir):
        for old in glob.glob(os.path.join(directory, "cap-*")):
            os.remove(old)
    shapes = set()
    written = [0, 0]
    with tempfile.TemporaryDirectory() as tmp:
        for capture in sorted(glob.glob(os.path.join(CAPTURES, "*", "*.pcap*"))):
            scenario = os.path.basename(os.path.dirname(capture))
            stem = os.path.basename(capture).split(".")[0]
            pcap = os.path.join(tmp, "c.pcap")
            if subprocess.run(["editcap", "-F", "pcap", capture, pcap], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL).returncode != 0:
                continue
            packets = [(t, p) for t, p in ((t, parse(f)) for t, f in read_pcap(pcap)) if p]
            for n, (_, (kind, _, _, _, data)) in enumerate(packets):
                if kind != "ike" or len(data) > args.max_message:
                    continue
                key = shape(data)
                if key in shapes:
                    continue
                shapes.add(key)
                with open(os.path.join(parse_dir, "cap-%s-%s-%d" % (scenario, stem, n + 1)), "wb") as f:
                    f.write(data)
                written[0] += 1
            # The responder's capture of a lab scenario is the same conversation seen from the other end.
            if stem == "responder" and os.path.exists(os.path.join(os.path.dirname(capture), "initiator.pcap")):
                continue
            seed = feed_seed(packets, args.max_feed)
            if seed:
                with open(os.path.join(feed_dir, "cap-%s-%s" % (scenario, stem)), "wb") as f:
                    f.write(seed)
                written[1] += 1
    print("%d parser seeds, %d engine feed seeds" % tuple(written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
