#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Reproducible large captures for the ipsecdiag benchmark.

IPsec traffic is replayed from the lab captures (test-captures/*/initiator.pcap):
every replayed IKE SA ("tunnel") gets its own pair of addresses, its own IKE
SPIs (cookies) and ESP SPIs, so that the plugin sees distinct tunnels; ESP is
repeated (with increasing sequence numbers) to make bulk traffic. Background
traffic (TCP, DNS, other UDP, ICMP echo) is synthesized. Everything comes from
a seeded random generator, so the same arguments give the same file.

Kinds:
  mixed   N packets, about 1% IKE/ESP (tunnels = N / 5000)
  ipsec   N packets, --tunnels IKE SAs (default N / 100), the rest bulk ESP
Usage: gencap.py KIND OUT.pcap [--packets N] [--tunnels T] [--esp-per-tunnel E] [--seed S]
"""
import argparse
import glob
import heapq
import os
import random
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ETH_HEADER = b"\x02\x00\x00\x00\x00\x01" + b"\x02\x00\x00\x00\x00\x02" + b"\x08\x00"


def read_pcap(path):
    """[(time, bytes)] of a classic pcap file with Ethernet frames."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic == b"\xd4\xc3\xb2\xa1":
        endian, scale = "<", 1e-6
    elif magic == b"\xa1\xb2\xc3\xd4":
        endian, scale = ">", 1e-6
    elif magic == b"\x4d\x3c\xb2\xa1":
        endian, scale = "<", 1e-9
    elif magic == b"\xa1\xb2\x3c\x4d":
        endian, scale = ">", 1e-9
    else:
        return []
    if struct.unpack(endian + "I", data[20:24])[0] != 1:      # Ethernet only
        return []
    packets, offset = [], 24
    while offset + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack(endian + "IIII", data[offset:offset + 16])
        offset += 16
        packets.append((sec + frac * scale, data[offset:offset + caplen]))
        offset += caplen
    return packets


def ip_checksum(header):
    if len(header) % 2:
        header += b"\0"
    total = sum(struct.unpack("!%dH" % (len(header) // 2), header))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return (~total) & 0xffff


class Template:
    """One lab capture, split into its IKE part and its ESP packets."""

    def __init__(self, path):
        self.name = os.path.relpath(path, ROOT)
        self.ike = []        # (relative time, frame)
        self.esp = []        # frames
        self.addresses = []  # distinct IPv4 addresses, in order of appearance
        packets = read_pcap(path)
        if not packets:
            return
        t0 = packets[0][0]
        for time, frame in packets:
            if len(frame) < 34 or frame[12:14] != b"\x08\x00" or frame[14] >> 4 != 4:
                continue     # IPv4 over Ethernet only
            for address in (frame[26:30], frame[30:34]):
                if address not in self.addresses:
                    self.addresses.append(address)
            if self.esp_offset(frame) is not None:
                self.esp.append(frame)
            else:
                self.ike.append((time - t0, frame))

    @staticmethod
    def udp_payload(frame):
        """Offset of the UDP payload of an unfragmented (or first-fragment) IPv4 frame, or None."""
        ihl = (frame[14] & 0x0f) * 4
        if frame[23] != 17 or struct.unpack("!H", frame[20:22])[0] & 0x1fff:
            return None
        return 14 + ihl + 8 if len(frame) >= 14 + ihl + 8 else None

    @classmethod
    def esp_offset(cls, frame):
        ihl = (frame[14] & 0x0f) * 4
        if frame[23] == 50 and not struct.unpack("!H", frame[20:22])[0] & 0x1fff:
            return 14 + ihl
        udp = cls.udp_payload(frame)
        if udp is not None and 4500 in struct.unpack("!HH", frame[14 + ihl:14 + ihl + 4]) \
                and len(frame) >= udp + 8 and frame[udp:udp + 4] != b"\0\0\0\0" and len(frame) - udp > 1:
            return udp
        return None

    @classmethod
    def ike_offset(cls, frame):
        udp = cls.udp_payload(frame)
        if udp is None:
            return None
        ihl = (frame[14] & 0x0f) * 4
        ports = struct.unpack("!HH", frame[14 + ihl:14 + ihl + 4])
        if 4500 in ports:
            if frame[udp:udp + 4] != b"\0\0\0\0":
                return None
            udp += 4
        elif 500 not in ports:
            return None
        return udp if len(frame) >= udp + 28 else None


class Rewriter:
    """Maps one template's addresses, IKE SPIs and ESP SPIs to a tunnel's own."""

    def __init__(self, template, index, rng):
        self.addresses = {a: bytes([10 + j, (index >> 16) & 0xff, (index >> 8) & 0xff, index & 0xff])
                          for j, a in enumerate(template.addresses)}
        self.cookie_mask = rng.getrandbits(64).to_bytes(8, "big")
        self.spi_mask = rng.getrandbits(32) | 1
        self.esp_sequence = {}

    def frame(self, frame):
        b = bytearray(frame)
        b[26:30] = self.addresses.get(bytes(b[26:30]), b[26:30])
        b[30:34] = self.addresses.get(bytes(b[30:34]), b[30:34])
        ihl = (b[14] & 0x0f) * 4
        b[24:26] = b"\0\0"
        b[24:26] = struct.pack("!H", ip_checksum(bytes(b[14:14 + ihl])))
        if b[23] == 17 and len(b) >= 14 + ihl + 8 and not struct.unpack("!H", b[20:22])[0] & 0x1fff:
            b[14 + ihl + 6:14 + ihl + 8] = b"\0\0"      # no UDP checksum
        ike = Template.ike_offset(frame)
        if ike is not None:
            for start in (ike, ike + 8):                # SPIi, SPIr (zero stays zero)
                if any(b[start:start + 8]):
                    b[start:start + 8] = bytes(x ^ y for x, y in zip(b[start:start + 8], self.cookie_mask))
        return b

    def esp(self, frame):
        b = self.frame(frame)
        offset = Template.esp_offset(frame)
        spi = struct.unpack("!I", b[offset:offset + 4])[0] ^ self.spi_mask
        sequence = self.esp_sequence.get(spi, 0) + 1
        self.esp_sequence[spi] = sequence
        b[offset:offset + 8] = struct.pack("!II", spi or 1, sequence)
        return b


def load_templates():
    templates = []
    for path in sorted(glob.glob(os.path.join(ROOT, "test-captures", "*", "initiator.pcap"))):
        template = Template(path)
        if template.ike:
            templates.append(template)
    if not templates:
        sys.exit("gencap.py: no lab captures under test-captures/*/initiator.pcap")
    return templates


def tunnel_stream(template, index, start, n_esp, esp_gap, rng):
    """(time, frame) of one replayed tunnel: its IKE exchange, then n_esp ESP packets."""
    rewriter = Rewriter(template, index, rng)
    last = start
    for offset, frame in template.ike:
        last = start + offset
        yield last, rewriter.frame(frame)
    if template.esp:
        for i in range(n_esp):
            yield last + 0.5 + i * esp_gap, rewriter.esp(template.esp[i % len(template.esp)])


def ipv4(src, dst, proto, payload, ident):
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident & 0xffff, 0x4000, 64, proto, 0,
                         src, dst)
    header = header[:10] + struct.pack("!H", ip_checksum(header)) + header[12:]
    return ETH_HEADER + header + payload


def dns_name(name):
    return b"".join(bytes([len(label)]) + label.encode() for label in name.split(".")) + b"\0"


class Background:
    """Ordinary traffic: TCP flows, DNS queries and answers, other UDP, ICMP echo."""

    WORDS = ["mail", "www", "api", "cdn", "login", "files", "intranet", "db", "backup", "git"]
    DOMAINS = ["example.com", "example.org", "corp.example", "test.example.net"]

    def __init__(self, rng):
        self.rng = rng
        self.ident = 0
        self.flows = []
        for i in range(512):
            client = bytes([192, 168, rng.randrange(1, 255), rng.randrange(1, 255)])
            server = bytes([203, 0, 113, rng.randrange(1, 255)])
            self.flows.append([client, server, rng.randrange(1024, 65535), rng.choice([80, 443, 8080, 22]),
                               rng.getrandbits(32), rng.getrandbits(32)])

    def tcp(self):
        rng = self.rng
        flow = rng.choice(self.flows)
        client, server, cport, sport, cseq, sseq = flow
        to_server = rng.random() < 0.4
        length = rng.choice([0, 0, 64, 512, 1200, 1448])
        payload = rng.getrandbits(8 * length).to_bytes(length, "big") if length else b""
        if to_server:
            segment = struct.pack("!HHIIBBHHH", cport, sport, cseq, sseq, 0x50, 0x18, 65535, 0, 0) + payload
            flow[4] = (cseq + length) & 0xffffffff
            return ipv4(client, server, 6, segment, self.next_ident())
        segment = struct.pack("!HHIIBBHHH", sport, cport, sseq, cseq, 0x50, 0x18, 65535, 0, 0) + payload
        flow[5] = (sseq + length) & 0xffffffff
        return ipv4(server, client, 6, segment, self.next_ident())

    def dns(self):
        rng = self.rng
        client = bytes([192, 168, 1, rng.randrange(2, 250)])
        resolver = bytes([192, 168, 1, 1])
        name = dns_name(rng.choice(self.WORDS) + ".%d." % rng.randrange(100) + rng.choice(self.DOMAINS))
        query_id = rng.getrandbits(16)
        port = rng.randrange(1024, 65535)
        if rng.random() < 0.5:
            message = struct.pack("!HHHHHH", query_id, 0x0100, 1, 0, 0, 0) + name + struct.pack("!HH", 1, 1)
            udp = struct.pack("!HHHH", port, 53, 8 + len(message), 0) + message
            return ipv4(client, resolver, 17, udp, self.next_ident())
        answer = struct.pack("!HHHIH4s", 0xc00c, 1, 1, 300, 4, bytes([203, 0, 113, rng.randrange(1, 255)]))
        message = struct.pack("!HHHHHH", query_id, 0x8180, 1, 1, 0, 0) + name + struct.pack("!HH", 1, 1) + answer
        udp = struct.pack("!HHHH", 53, port, 8 + len(message), 0) + message
        return ipv4(resolver, client, 17, udp, self.next_ident())

    def udp(self):
        rng = self.rng
        length = rng.choice([32, 160, 800])
        payload = rng.getrandbits(8 * length).to_bytes(length, "big")
        udp = struct.pack("!HHHH", rng.randrange(20000, 30000), 5004, 8 + length, 0) + payload
        return ipv4(bytes([192, 168, 2, rng.randrange(2, 250)]), bytes([203, 0, 113, 77]), 17, udp,
                    self.next_ident())

    def icmp(self):
        rng = self.rng
        body = struct.pack("!BBHHH", 8, 0, 0, rng.getrandbits(16), rng.getrandbits(16)) + bytes(56)
        checksum = ip_checksum(body)
        body = body[:2] + struct.pack("!H", checksum) + body[4:]
        return ipv4(bytes([192, 168, 3, rng.randrange(2, 250)]), bytes([203, 0, 113, 9]), 1, body,
                    self.next_ident())

    def next_ident(self):
        self.ident += 1
        return self.ident

    def packet(self):
        r = self.rng.random()
        if r < 0.60:
            return self.tcp()
        if r < 0.85:
            return self.dns()
        if r < 0.95:
            return self.udp()
        return self.icmp()


def background_stream(count, start, gap, rng):
    background = Background(rng)
    for i in range(count):
        yield start + i * gap, background.packet()


def write_pcap(path, packets, epoch=1700000000.0):
    count = 0
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
        for time, frame in packets:
            t = epoch + time
            sec = int(t)
            usec = int(round((t - sec) * 1e6))
            if usec >= 1000000:
                sec, usec = sec + 1, usec - 1000000
            f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
            f.write(frame)
            count += 1
    return count


def generate(kind, out, packets, tunnels=None, esp_per_tunnel=None, seed=1):
    """Writes the capture; returns (packets written, tunnels, IKE packets)."""
    rng = random.Random(seed)
    templates = load_templates()
    with_esp = [t for t in templates if t.esp]
    if kind == "mixed":
        ipsec_packets = packets // 100
        tunnels = tunnels or max(1, packets // 5000)
    elif kind == "ipsec":
        ipsec_packets = packets
        tunnels = tunnels or max(1, packets // 100)
    else:
        raise ValueError(kind)
    chosen = [templates[i % len(templates)] if i % 2 else with_esp[(i // 2) % len(with_esp)]
              for i in range(tunnels)]
    ike_packets = sum(len(t.ike) for t in chosen)
    esp_tunnels = sum(1 for t in chosen if t.esp)
    if esp_per_tunnel is None:
        esp_per_tunnel = max(0, (ipsec_packets - ike_packets) // max(1, esp_tunnels))
    duration = 600.0
    streams = []
    for i, template in enumerate(chosen):
        start = duration * i / tunnels
        gap = (duration - start) / max(1, esp_per_tunnel) if esp_per_tunnel else 1.0
        streams.append(tunnel_stream(template, i + 1, start, esp_per_tunnel, min(gap, 1.0), rng))
    total_ipsec = ike_packets + esp_tunnels * esp_per_tunnel
    if kind == "mixed":
        n_background = max(0, packets - total_ipsec)
        streams.append(background_stream(n_background, 0.0, duration / max(1, n_background), random.Random(seed + 1)))
    written = write_pcap(out, heapq.merge(*streams, key=lambda p: p[0]))
    return written, tunnels, ike_packets


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=["mixed", "ipsec"])
    parser.add_argument("out")
    parser.add_argument("--packets", type=int, default=1000000)
    parser.add_argument("--tunnels", type=int)
    parser.add_argument("--esp-per-tunnel", type=int)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    written, tunnels, ike = generate(args.kind, args.out, args.packets, args.tunnels, args.esp_per_tunnel, args.seed)
    print("%s: %d packets, %d tunnels, %d IKE packets" % (args.out, written, tunnels, ike))


if __name__ == "__main__":
    main()
