#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Build initiator-stale-spi.pcap from stale-spi-restart-ikev2/initiator.pcap.

In the real recording the responder's charon is killed and restarted, the
initiator's ESP on its old Child SA goes unanswered, and the initiator then
opens a second IKE SA and moves all its traffic to the new Child SA at once.
A peer that keeps part of its traffic on the old SA (the stale SA the task
asks for) cannot be recorded with strongSwan, so this adds to the real
capture, after each ESP packet the initiator sends on its new SA, a copy of
its last ESP packet on the old SPI with the next sequence number (5 ms later,
a new IP ID, checksums recomputed, frames kept in time order). Everything else is the real capture.
Deterministic."""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lab"))
from pcap_craft import read_pcap, replace_udp_payload, write_pcap  # noqa: E402

SOURCE = os.path.join(HERE, "..", "stale-spi-restart-ikev2", "initiator.pcap")
OUTPUT = os.path.join(HERE, "initiator-stale-spi.pcap")
INITIATOR = bytes([192, 168, 10, 2])
ESP_OFFSET = 42                      # Ethernet 14 + IPv4 20 + UDP 8


def esp_spi(frame):
    """The SPI of an ESP-in-UDP frame from the initiator, None for others."""
    if len(frame) < ESP_OFFSET + 8 or frame[23] != 17 or frame[26:30] != INITIATOR:
        return None
    if struct.unpack("!HH", frame[34:38]) != (4500, 4500):
        return None
    spi = struct.unpack("!I", frame[ESP_OFFSET:ESP_OFFSET + 4])[0]
    return spi or None               # 0: the non-ESP marker (IKE)


def main():
    header, records = read_pcap(SOURCE)
    spis = []
    for _, _, frame in records:
        spi = esp_spi(frame)
        if spi is not None and spi not in spis:
            spis.append(spi)
    old_spi, new_spi = spis[0], spis[1]
    last_old = [r for r in records if esp_spi(r[2]) == old_spi][-1][2]
    sequence = struct.unpack("!I", last_old[ESP_OFFSET + 4:ESP_OFFSET + 8])[0]
    ip_id = struct.unpack("!H", last_old[18:20])[0]
    out = []
    for sec, usec, frame in records:
        out.append([sec, usec, frame])
        if esp_spi(frame) != new_spi:
            continue
        sequence += 1
        ip_id = (ip_id + 1) & 0xFFFF
        stale = bytearray(last_old)
        struct.pack_into("!H", stale, 18, ip_id)
        struct.pack_into("!I", stale, ESP_OFFSET + 4, sequence)
        usec += 5000
        if usec >= 1000000:
            sec, usec = sec + 1, usec - 1000000
        out.append([sec, usec, replace_udp_payload(bytes(stale), bytes(stale[ESP_OFFSET:]))])
    out.sort(key=lambda record: (record[0], record[1]))   # stable: capture order kept otherwise
    write_pcap(OUTPUT, header, out)


if __name__ == "__main__":
    main()
