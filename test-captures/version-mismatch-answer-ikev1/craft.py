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
sys.path.insert(0, os.path.join(HERE, "..", "lab"))
from pcap_craft import read_pcap, replace_udp_payload, write_pcap  # noqa: E402

SOURCE = os.path.join(HERE, "..", "version-mismatch", "initiator.pcap")
OUTPUT = os.path.join(HERE, "responder-answers-ikev1.pcap")


def ikev1_invalid_major_version(spi_i):
    notify = struct.pack("!BBHIBBH", 0, 0, 12, 1, 1, 0, 5)   # next, reserved, length, DOI, proto, SPI size, type
    length = 28 + len(notify)
    header = spi_i + b"\0" * 8 + struct.pack("!BBBBII", 11, 0x10, 5, 0, 0, length)
    return header + notify


def main():
    header, records = read_pcap(SOURCE)
    if len(records) != 2:
        sys.exit("expected the 2-frame version-mismatch capture")
    spi_i = records[0][2][42:50]
    records[1][2] = replace_udp_payload(records[1][2], ikev1_invalid_major_version(spi_i))
    write_pcap(OUTPUT, header, records)


if __name__ == "__main__":
    main()
