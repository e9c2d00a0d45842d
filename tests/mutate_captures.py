#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Error injection: every test capture, mutated and truncated, through tshark
with the plugin (best built with -DIPSECDIAG_SANITIZE=ON and run with --preload
of the AddressSanitizer runtime).

For each capture under test-captures/ (converted to classic pcap by editcap):
  mutate-S   every byte of every frame changed with probability --rate (0.02,
             like editcap -E 0.02: a random byte, a flipped bit, 0x00 or 0xff),
             from a random generator seeded with S (--seeds, reproducible);
  snap-N     frames cut to N bytes (like editcap -s N), for each --snaplens;
  cut        the file cut in the middle of a record.
Each variant is read with `tshark -n -r FILE -V -z ipsecdiag,tunnels`, in one
pass and with -2. A run fails on a signal (crash), on any sanitizer report, or
on a non-zero exit that tshark without the plugin (--disable-protocol
ipsecdiag) does not share. Failing variants are kept in --keep (default
./mutate-failures) to reproduce.

Usage:
  mutate_captures.py --plugin PATH [--rules DIR] [--preload LIB] [--seeds 1,2,3]
                     [--rate 0.02] [--snaplens 42,90,200] [--modes 1pass,2pass]
                     [--keep DIR] [SCENARIO ...]
Short run (CI): --seeds 1 --snaplens 90 --modes 2pass. Longer run: --seeds 1-20.
"""
import argparse
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_captures  # noqa: E402


def read_records(path):
    """(header bytes, [(record header fields, data)]) of a classic pcap file."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return None
    endian = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    records, offset = [], 24
    while offset + 16 <= len(data):
        sec, frac, caplen, origlen = struct.unpack(endian + "IIII", data[offset:offset + 16])
        offset += 16
        records.append(([sec, frac, caplen, origlen], bytearray(data[offset:offset + caplen])))
        offset += caplen
    return data[:24], endian, records


def write_records(path, header, endian, records):
    with open(path, "wb") as f:
        f.write(header)
        for (sec, frac, _, origlen), frame in records:
            f.write(struct.pack(endian + "IIII", sec, frac, len(frame), max(origlen, len(frame))))
            f.write(bytes(frame))
    os.chmod(path, 0o644)


def mutate(frame, rng, rate):
    out = bytearray(frame)
    for i in range(len(out)):
        if rng.random() < rate:
            op = rng.random()
            if op < 0.5:
                out[i] = rng.randrange(256)
            elif op < 0.8:
                out[i] ^= 1 << rng.randrange(8)
            else:
                out[i] = rng.choice((0x00, 0xff))
    return out


def variants(pcap, work, seeds, rate, snaplens):
    """(name, path) of the mutated and truncated copies of a pcap."""
    parsed = read_records(pcap)
    if not parsed:
        return
    header, endian, records = parsed
    base = os.path.join(work, os.path.basename(pcap))
    for seed in seeds:
        rng = random.Random(seed)
        path = "%s.mutate-%d.pcap" % (base, seed)
        write_records(path, header, endian, [(h, mutate(frame, rng, rate)) for h, frame in records])
        yield "mutate-%d" % seed, path
    for snaplen in snaplens:
        path = "%s.snap-%d.pcap" % (base, snaplen)
        write_records(path, header, endian, [(h, frame[:snaplen]) for h, frame in records])
        yield "snap-%d" % snaplen, path
    with open(pcap, "rb") as f:
        data = f.read()
    path = base + ".cut.pcap"
    with open(path, "wb") as f:
        f.write(data[:24 + (len(data) - 24) // 2 + 7])
    os.chmod(path, 0o644)
    yield "cut", path


def parse_seeds(text):
    seeds = []
    for part in text.split(","):
        if "-" in part:
            low, high = part.split("-")
            seeds.extend(range(int(low), int(high) + 1))
        elif part:
            seeds.append(int(part))
    return seeds


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--plugin", required=True)
    parser.add_argument("--rules")
    parser.add_argument("--tshark", default="tshark")
    parser.add_argument("--preload", help="LD_PRELOAD for tshark (sanitizer runtime)")
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--rate", type=float, default=0.02)
    parser.add_argument("--snaplens", default="42,90,200")
    parser.add_argument("--modes", default="1pass,2pass")
    parser.add_argument("--keep", default=os.path.join(os.getcwd(), "mutate-failures"))
    parser.add_argument("scenario", nargs="*")
    args = parser.parse_args()
    args.installed = False
    seeds = parse_seeds(args.seeds)
    snaplens = [int(n) for n in args.snaplens.split(",") if n]
    modes = [m for m in args.modes.split(",") if m]

    tshark = run_captures.Tshark(args)
    work = tempfile.mkdtemp(prefix="ipsecdiag-mutate-", dir=tshark.tmp)
    os.chmod(work, 0o755)
    failures, runs = [], 0

    def run(path, mode, disable=False):
        cmd = tshark.prefix + ["env", "HOME=" + tshark.tmp] + tshark.preload + [
            tshark.tshark, "-n", "-r", path, "-V", "-z", "ipsecdiag,tunnels"]
        if mode == "2pass":
            cmd.append("-2")
        if disable:
            cmd += ["--disable-protocol", "ipsecdiag"]
        return subprocess.run(cmd, env=tshark.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              universal_newlines=True, errors="replace", cwd=tshark.tmp)

    try:
        tshark.check_plugin_loaded()
        for name, path, captures in run_captures.scenarios(args.scenario):
            for capture in captures:
                pcap = os.path.join(work, "%s-%s.pcap" % (name, capture.split(".")[0]))
                converted = subprocess.run(["editcap", "-F", "pcap", os.path.join(path, capture), pcap],
                                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                if converted.returncode != 0:
                    print("%s/%s: skipped (editcap -F pcap failed)" % (name, capture))
                    continue
                for variant, variant_path in variants(pcap, work, seeds, args.rate, snaplens):
                    for mode in modes:
                        runs += 1
                        result = run(variant_path, mode)
                        problem = None
                        if result.returncode < 0 or result.returncode >= 128:
                            problem = "killed by signal / crashed (status %d)" % result.returncode
                        elif run_captures.sanitizer_report(result.stderr):
                            problem = "sanitizer report"
                        elif result.returncode != 0 and run(variant_path, mode, disable=True).returncode == 0:
                            problem = "exit status %d only with the plugin" % result.returncode
                        label = "%s/%s %s [%s]" % (name, capture, variant, mode)
                        if problem:
                            os.makedirs(args.keep, exist_ok=True)
                            kept = os.path.join(args.keep, os.path.basename(variant_path))
                            shutil.copy(variant_path, kept)
                            failures.append("%s: %s (kept as %s)\n%s" % (label, problem, kept,
                                                                           result.stderr[-3000:]))
                            print("%-70s FAIL" % label, flush=True)
                        else:
                            print("%-70s ok" % label, flush=True)
                os.remove(pcap)
    finally:
        tshark.cleanup()
    for failure in failures:
        print("FAIL " + failure)
    print("%d mutated runs, %d failures" % (runs, len(failures)))
    return 1 if failures or runs == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
