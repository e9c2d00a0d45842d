#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Seed for fuzz_ike_decrypt: IKEv2 IKE_AUTH request and response sent as
RFC 7383 Encrypted Fragments (SKF), encrypted with the fixed direct keys of
fuzz_ike_decrypt.c (header bit 1, AES-CBC-256 with HMAC-SHA2-256-128), so the
fuzzer starts from fragments that decrypt and reassemble: the request in
order (3 fragments), the response out of order with a duplicate (2), then an
unfragmented SK INFORMATIONAL.

Writes corpus/fuzz_ike_decrypt/skf-fragments-ikev2. Deterministic (fixed IVs).
Needs python3-cryptography.
"""
import hashlib
import hmac
import os
import struct
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

HERE = os.path.dirname(os.path.abspath(__file__))

# The keys of fuzz_ike_decrypt.c.
KEY32 = bytes((i + 3) & 0xff for i in range(36))[:32]
KEY32B = bytes((i * 5) & 0xff for i in range(36))[:32]
INTEG = bytes((i ^ 0x5A) & 0xff for i in range(64))
SPI_I, SPI_R = bytes(range(1, 9)), bytes(range(9, 17))


def payload(next_type, body):
    return struct.pack("!BBH", next_type, 0, 4 + len(body)) + body


def inner_request():
    idi = payload(41, bytes([2, 0, 0, 0]) + b"site-a.example")
    n_ic = payload(36, struct.pack("!BBH", 0, 0, 16384))
    idr = payload(39, bytes([2, 0, 0, 0]) + b"site-b.example")
    auth = payload(0, bytes([2, 0, 0, 0]) + bytes(32))
    return idi + n_ic + idr + auth, 35


def inner_response():
    idr = payload(39, bytes([2, 0, 0, 0]) + b"site-b.example")
    auth = payload(41, bytes([2, 0, 0, 0]) + bytes(range(32)))
    n = payload(0, struct.pack("!BBH", 0, 0, 16394) + bytes(200))
    return idr + auth + n, 36


def encrypted(from_initiator, response, exchange, message_id, sk_type, next_type, frag, part, iv_seed):
    key = KEY32 if from_initiator else KEY32B
    ikey = INTEG[:32] if from_initiator else INTEG[32:64]
    pad = (16 - (len(part) + 1) % 16) % 16
    plain = part + bytes(pad) + bytes([pad])
    iv = bytes((iv_seed * 31 + i) & 0xff for i in range(16))
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    ct = enc.update(plain) + enc.finalize()
    extra = struct.pack("!HH", *frag) if sk_type == 53 else b""
    body = extra + iv + ct + bytes(16)
    flags = (0x08 if from_initiator else 0) | (0x20 if response else 0)
    total = 28 + 4 + len(body)
    msg = bytearray(SPI_I + SPI_R + bytes([sk_type, 0x20, exchange, flags]) + struct.pack("!II", message_id, total)
                    + struct.pack("!BBH", next_type, 0, 4 + len(body)) + body)
    mac = hmac.new(ikey, bytes(msg[:-16]), hashlib.sha256).digest()[:16]
    msg[-16:] = mac
    return bytes(msg)


def fragments(from_initiator, response, message_id, chain, first, n):
    size = (len(chain) + n - 1) // n
    parts = [chain[i:i + size] for i in range(0, len(chain), size)]
    return [encrypted(from_initiator, response, 35, message_id, 53, first if k == 0 else 0, (k + 1, len(parts)), p,
                      k + 10 * message_id + (0 if from_initiator else 5))
            for k, p in enumerate(parts)]


def record(from_initiator, message):
    return struct.pack("!BH", 1 if from_initiator else 0, len(message)) + message


def main():
    req, first_req = inner_request()
    resp, first_resp = inner_response()
    rq = fragments(True, False, 1, req, first_req, 3)
    rs = fragments(False, True, 1, resp, first_resp, 2)
    info = encrypted(True, False, 37, 2, 46, 0, None, b"", 99)
    records = [record(True, m) for m in rq] + [record(False, rs[1]), record(False, rs[1]), record(False, rs[0])]
    records.append(record(True, info))
    out = os.path.join(HERE, "corpus", "fuzz_ike_decrypt", "skf-fragments-ikev2")
    with open(out, "wb") as f:
        f.write(bytes([0x03]) + b"".join(records))
    print("wrote", out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
