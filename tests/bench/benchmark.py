#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Benchmark: tshark with the ipsecdiag plugin against plain tshark.

Generates (tests/bench/gencap.py, fixed seed) a mixed capture (about 1% IKE/ESP)
and an IPsec-heavy capture (>= 10,000 IKE SAs, bulk ESP), then runs on each, in
one pass and in two passes (-2):
  none      tshark with a plugin dir that does not hold the plugin (the baseline)
  disabled  the plugin loaded but --disable-protocol ipsecdiag
  plugin    the plugin loaded and enabled
and measures wall and CPU time (median and minimum of --runs, the runs of
the configurations alternating), peak RSS (/usr/bin/time) and
instruction counts (perf stat if the machine has hardware counters, else
callgrind on --slices slices of --slice packets spread over the file, or one
slice at its start or middle; the one-packet start-up cost is subtracted so
the ratio is per packet; the weak-PSK check, which has a budget per capture,
is counted once per file, from the first slice). Instruction counts are the figure of
merit: wall times on a shared 2-core machine are noisy.

Targets checked: mixed <= 1.03x and IPsec-heavy <= 1.15x of the baseline
(instructions per packet; CPU time when instructions are not counted), and memory that grows with IKE SAs, not with ESP
packets: the same 1,000 tunnels with 10x the ESP packets must not add to the
plugin's extra RSS beyond noise.

Where perf record works (a software clock suffices), one more plugin run per
file and pass count is sampled with call chains, and the share of samples
with the plugin's code on the stack is printed: the plugin's own time, read
off a single run, so that a host whose speed changes from run to run does
not blur it (it leaves out the plugin's indirect cost on tshark's caches).

Usage (as root tshark is run as 'nobody', the plugin staged in a temporary dir):
  tests/bench/benchmark.py --plugin BUILD/stage/4.0/epan/ipsecdiag.so [--quick]
      [--packets 1000000] [--tunnels 10000] [--runs 3] [--slice 20000] [--workdir DIR]
Exit status 1 if a target is missed.
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gencap  # noqa: E402

ROOT = gencap.ROOT
CONFIGS = ("none", "disabled", "plugin")


class Runner:
    def __init__(self, args, workdir):
        self.args = args
        self.workdir = workdir
        self.prefix = []
        if os.geteuid() == 0:
            # tshark ignores WIRESHARK_PLUGIN_DIR when privileged.
            self.prefix = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
        self.home = os.path.join(workdir, "home")
        self.dirs = {"none": os.path.join(workdir, "plugins-none"), "plugin": os.path.join(workdir, "plugins")}
        os.makedirs(os.path.join(self.dirs["none"], "4.0", "epan"), exist_ok=True)
        os.makedirs(os.path.join(self.dirs["plugin"], "4.0", "epan"), exist_ok=True)
        os.makedirs(self.home, exist_ok=True)
        shutil.copy(args.plugin, os.path.join(self.dirs["plugin"], "4.0", "epan", "ipsecdiag.so"))
        self.rules = os.path.join(workdir, "rules")
        if not os.path.isdir(self.rules):
            shutil.copytree(args.rules, self.rules)
        for dirpath, dirnames, filenames in os.walk(workdir):
            for name in dirnames + filenames:
                os.chmod(os.path.join(dirpath, name), 0o755)
        os.chmod(workdir, 0o755)
        self.seed_shim = build_seed_shim(workdir)
        self.perf = self.perf_works()
        self.sampling = self.sampling_works()

    def command(self, config, capture, passes, wrapper=(), pad=0, seed=1):
        plugin_dir = self.dirs["none" if config == "none" else "plugin"]
        # pad: bytes of an unused variable, which move the stack; seed:
        # tshark's hash seeds (see measure and build_seed_shim).
        seeded = ["LD_PRELOAD=" + self.seed_shim, "IPSECDIAG_BENCH_SEED=%d" % seed] if self.seed_shim else []
        cmd = self.prefix + ["env", "HOME=" + self.home, "LC_ALL=C", "WIRESHARK_PLUGIN_DIR=" + plugin_dir,
                             "IPSECDIAG_RULES_DIR=" + self.rules, "IPSECDIAG_BENCH_PAD=" + "x" * pad] + seeded
        cmd += list(wrapper)
        cmd += [self.args.tshark, "-n", "-r", capture]
        if passes == 2:
            cmd.append("-2")
        if config == "disabled":
            cmd += ["--disable-protocol", "ipsecdiag"]
        return cmd

    def run_timed(self, config, capture, passes, pad=0, seed=1):
        """(wall seconds, CPU seconds (user + system), peak RSS in KiB)."""
        out = os.path.join(self.workdir, "time.out")
        cmd = ["/usr/bin/time", "-f", "%e %U %S %M", "-o", out] + self.command(config, capture, passes, pad=pad,
                                                                                 seed=seed)
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, cwd=self.workdir)
        with open(out) as f:
            wall, user, system, rss = f.read().split()[-4:]
        return float(wall), float(user) + float(system), int(rss)

    def perf_works(self):
        try:
            result = subprocess.run(["perf", "stat", "-x,", "-e", "instructions:u", "true"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
        except OSError:
            return False
        return result.returncode == 0 and "<not supported>" not in result.stderr \
            and "<not counted>" not in result.stderr

    def sampling_works(self):
        """perf record with a software clock and DWARF call chains (no hardware counters needed)."""
        if not self.args.sample:
            return False
        perf_dir = os.path.join(self.workdir, "perf")
        os.makedirs(perf_dir, exist_ok=True)
        os.chmod(perf_dir, 0o777)   # written by tshark's user ('nobody' under root)
        data = os.path.join(perf_dir, "probe.data")
        try:
            result = subprocess.run(self.prefix + ["perf", "record", "-q", "-e", "cpu-clock", "--call-graph",
                                                   "dwarf", "-o", data, "true"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except OSError:
            return False
        return result.returncode == 0 and os.path.exists(data)

    def plugin_share(self, capture, passes):
        """Samples of one plugin run (cpu-clock, DWARF call chains): total, and those with
        ipsecdiag.so anywhere in the stack, split by where the plugin was entered
        (per packet, end of capture and clean-up, start-up and the rest)."""
        data = os.path.join(self.workdir, "perf", "share.data")
        wrapper = ["perf", "record", "-q", "-e", "cpu-clock", "-F", "999", "--call-graph", "dwarf,8192",
                   "-o", data]
        subprocess.run(self.command("plugin", capture, passes, wrapper), stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=True, cwd=self.workdir)
        script = subprocess.run(["perf", "script", "-f", "-i", data, "-F", "ip,sym,dso"], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, universal_newlines=True, check=True).stdout
        os.unlink(data)
        counts = {"total": 0, "plugin": 0, "packets": 0, "cleanup": 0, "other": 0}
        for sample in re.split(r"\n\s*\n", script):
            if not sample.strip():
                continue
            counts["total"] += 1
            frames = [line for line in sample.splitlines() if "ipsecdiag.so" in line]
            if not frames:
                continue
            counts["plugin"] += 1
            outermost = frames[-1]   # perf prints the leaf first
            if "dissect_ipsecdiag" in outermost:
                counts["packets"] += 1
            elif "cleanup" in outermost or "finalize" in outermost:
                counts["cleanup"] += 1
            else:
                counts["other"] += 1
        return counts

    def instructions(self, config, capture, passes, options=()):
        if self.perf:
            wrapper = ["perf", "stat", "-x,", "-e", "instructions:u"]
            result = subprocess.run(self.command(config, capture, passes, wrapper) + list(options),
                                    stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE, universal_newlines=True, cwd=self.workdir, check=True)
            for line in result.stderr.splitlines():
                if "instructions" in line:
                    return int(line.split(",")[0])
            raise RuntimeError("perf printed no instruction count:\n" + result.stderr)
        wrapper = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
        result = subprocess.run(self.command(config, capture, passes, wrapper) + list(options),
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, universal_newlines=True, cwd=self.workdir, check=True)
        match = re.search(r"Collected : (\d+)", result.stderr)
        if not match:
            raise RuntimeError("callgrind printed no count:\n" + result.stderr[-2000:])
        return int(match.group(1))


SEED_SHIM = r"""
/* g_random_int() from IPSECDIAG_BENCH_SEED: tshark's hash tables (wmem_map
 * seeds its hashes with it) are laid out alike in the runs compared. */
#include <glib.h>
#include <stdlib.h>
guint32 g_random_int(void)
{
  static GRand *rand;
  if (!rand) {
    const char *seed = getenv("IPSECDIAG_BENCH_SEED");
    rand = g_rand_new_with_seed(seed ? (guint32)strtoul(seed, NULL, 10) : 1);
  }
  return g_rand_int(rand);
}
"""


def build_seed_shim(workdir):
    """A preload library that fixes tshark's random hash seeds, or None.

    wmem_map (tshark's conversation, address and ESP tables) seeds its hash
    from g_random_int() in every run: two runs of plain tshark on the same
    100 000 IPsec-heavy packets differed by 12% in the lookups' instructions
    and by half in their L1 data-cache misses (cachegrind). With the seed left
    random, two runs differ by that much before the plugin does anything;
    with one seed per round, every configuration of the round sees the same
    tables."""
    source = os.path.join(workdir, "seed_shim.c")
    library = os.path.join(workdir, "seed_shim.so")
    with open(source, "w") as f:
        f.write(SEED_SHIM)
    try:
        flags = subprocess.run(["pkg-config", "--cflags", "--libs", "glib-2.0"], stdout=subprocess.PIPE,
                               universal_newlines=True, check=True).stdout.split()
        subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", library, source] + flags, check=True)
    except (OSError, subprocess.CalledProcessError):
        print("benchmark.py: cannot build the hash-seed shim; runs keep tshark's random seeds", file=sys.stderr)
        return None
    os.chmod(library, 0o755)
    return library


def packet_count(capture):
    out = subprocess.run(["capinfos", "-c", "-M", "-T", "-r", capture], stdout=subprocess.PIPE,
                         universal_newlines=True, check=True).stdout
    return int(out.split()[-1])


def slice_capture(capture, packets, out, first=1):
    subprocess.run(["editcap", "-F", "pcap", "-r", capture, out, "%d-%d" % (first, first + packets - 1)],
                   check=True, stdout=subprocess.DEVNULL)
    os.chmod(out, 0o644)
    return out


STARTUP_INSTRUCTIONS = {}


def startup_instructions(runner, config, capture, passes):
    """Instructions of a one-packet run (start-up and end), the same for every capture."""
    if (config, passes) not in STARTUP_INSTRUCTIONS:
        first = slice_capture(capture, 1, capture + ".first.pcap")
        STARTUP_INSTRUCTIONS[(config, passes)] = runner.instructions(config, first, passes)
    return STARTUP_INSTRUCTIONS[(config, passes)]


def measure(runner, name, capture, args, report):
    """Wall time, RSS and instructions of every config and pass count on capture."""
    results = {}
    slices = []
    if args.slice:
        total_packets = packet_count(capture)
        if args.slice_at == "start":
            firsts = [1]
        elif args.slice_at == "middle":
            firsts = [max(1, total_packets // 2 - args.slice // 2)]
        else:
            # Equally spaced slices sample the whole file: its IKE-dense start
            # and its ESP-dense rest in their proportions.
            step = max(args.slice, total_packets // args.slices)
            firsts = [1 + i * step for i in range(args.slices) if i * step + args.slice <= total_packets] or [1]
        slices = [slice_capture(capture, args.slice, "%s.slice%d.pcap" % (capture, i), first)
                  for i, first in enumerate(firsts)]
    for passes in (1, 2):
        # Runs alternate between the configurations, so that a change in the
        # machine's load (other guests on a shared host) hits them alike.
        timed = {config: ([], [], 0) for config in args.configs}
        for run in range(args.runs):
            # Each round moves the stack by a different amount (the size of
            # the environment), the same for every configuration: where
            # tshark's stack and data fall in the caches changes its speed
            # by itself (cachegrind, plain tshark: 14% more data-cache
            # misses with 3,000 more bytes of environment), and one fixed
            # layout could favour or penalise a configuration throughout.
            # The round's hash seed for tshark is the same for every
            # configuration too (build_seed_shim).
            pad = (run * 1237) % 4001
            for config in args.configs:
                wall, cpu, peak = runner.run_timed(config, capture, passes, pad, seed=run + 1)
                walls, cpus, rss = timed[config]
                walls.append(wall)
                cpus.append(cpu)
                timed[config] = (walls, cpus, max(rss, peak))
        for config in args.configs:
            walls, cpus, rss = timed[config]
            # The minimum CPU time is the least disturbed run: interference only adds time.
            entry = {"wall": statistics.median(walls), "walls": walls, "cpu": statistics.median(cpus),
                     "cpus": cpus, "cpu_min": min(cpus), "rss": rss}
            if slices and config in args.count_configs:
                base = startup_instructions(runner, config, capture, passes)
                # The weak-PSK check has a budget per capture (64 hashes), so
                # each slice would pay what the whole file pays once: slices
                # are counted without it, and its cost in the first slice
                # (which holds the file's first exchanges, where the budget
                # is spent) is added once for the whole file.
                off = ["-o", "ipsecdiag.weak_psk_check:FALSE"] if config == "plugin" else []
                counts = [runner.instructions(config, part, passes, off) for part in slices]
                total = sum(counts)
                weak = runner.instructions(config, slices[0], passes) - counts[0] if off else 0
                entry["instr"] = total
                entry["instr_startup"] = base
                entry["instr_weak_psk"] = weak
                entry["instr_per_packet"] = ((total - len(slices) * base) / max(1, len(slices) * (args.slice - 1))
                                             + weak / max(1, total_packets))
            if config == "plugin" and runner.sampling:
                entry["samples"] = runner.plugin_share(capture, passes)
            results[(passes, config)] = entry
            report("  %-8s %d pass%s: wall %6.2f s (runs %s)  CPU %6.2f s (min %.2f)  peak RSS %7.1f MiB%s" % (
                config, passes, "" if passes == 1 else "es", entry["wall"],
                " ".join("%.2f" % w for w in walls), entry["cpu"], entry["cpu_min"], rss / 1024.0,
                "  instr %.3e (%.0f/packet after start-up%s)" % (
                    entry["instr"], entry["instr_per_packet"],
                    ", weak-PSK check %.3e once per file" % entry["instr_weak_psk"] if entry["instr_weak_psk"] else "")
                if "instr" in entry else ""))
    return results


def ratios(results, passes, against, report, label, target):
    plugin, base = results[(passes, "plugin")], results[(passes, against)]
    wall = plugin["wall"] / base["wall"]
    cpu = plugin["cpu"] / base["cpu"]
    cpu_min = plugin["cpu_min"] / base["cpu_min"]
    # Runs alternate, so each plugin run has a baseline run just before it
    # under much the same load: the median of those pairs' ratios follows
    # slow changes in the machine's load better than a ratio of medians.
    cpu_pairs = statistics.median(p / b for p, b in zip(plugin["cpus"], base["cpus"]) if b > 0)
    rss = plugin["rss"] / base["rss"]
    text = ("  %s, %d pass%s, plugin / %s: wall %.3fx, CPU %.3fx (minimum CPU %.3fx, paired runs %.3fx), "
            "peak RSS %.3fx (+%.1f MiB)") % (
        label, passes, "" if passes == 1 else "es", against, wall, cpu, cpu_min, cpu_pairs, rss,
        (plugin["rss"] - base["rss"]) / 1024.0)
    ok = True
    if "instr_per_packet" not in base and target is not None:
        ok = cpu <= target
        text += "  target (CPU) <= %.2fx: %s" % (target, "ok" if ok else "MISSED")
    if "instr_per_packet" in plugin and "instr_per_packet" in base:
        instr = plugin["instr_per_packet"] / base["instr_per_packet"]
        total = plugin["instr"] / base["instr"]
        text += ", instructions %.3fx per packet (%.3fx with start-up)" % (instr, total)
        if target is not None:
            ok = instr <= target
            text += "  target <= %.2fx: %s" % (target, "ok" if ok else "MISSED")
    report(text)
    samples = plugin.get("samples")
    if samples and against == "none" and samples["total"]:
        share = samples["plugin"] / samples["total"]
        # The plugin's own time, read off the same run: a host that slows the
        # whole run slows both parts alike. Not counted: what the plugin's
        # memory use costs tshark's own code (caches), which only the timed
        # runs above can show.
        report("  %s, %d pass%s, time in the plugin's code (sampled, one run): %.1f%% of %d samples "
               "(per packet %.1f%%, end of capture and clean-up %.1f%%, start-up and the rest %.1f%%): %.3fx" % (
                   label, passes, "" if passes == 1 else "es", 100 * share, samples["total"],
                   100.0 * samples["packets"] / samples["total"], 100.0 * samples["cleanup"] / samples["total"],
                   100.0 * samples["other"] / samples["total"], 1 / (1 - share) if share < 1 else float("inf")))
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--plugin", required=True, help="built ipsecdiag.so")
    parser.add_argument("--rules", default=os.path.join(ROOT, "rules"))
    parser.add_argument("--tshark", default="tshark")
    parser.add_argument("--packets", type=int, default=1000000, help="packets per capture")
    parser.add_argument("--tunnels", type=int, default=10000, help="IKE SAs in the IPsec-heavy capture")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per configuration (median)")
    parser.add_argument("--slice", type=int, default=20000,
                        help="packets counted with callgrind (0: no instruction counts)")
    parser.add_argument("--slice-at", choices=["start", "middle", "spread"], default="spread",
                        help="counted slice from the start (every tunnel's IKE, IKE-dense), the middle "
                             "(ESP-dense, SAs set up before the slice), or --slices slices spread evenly "
                             "over the file (an estimate of the whole file)")
    parser.add_argument("--slices", type=int, default=10, help="slices counted with --slice-at spread")
    parser.add_argument("--configs", default="none,disabled,plugin",
                        help="configurations timed (comma-separated; none and plugin are needed)")
    parser.add_argument("--count-configs", default="none,plugin",
                        help="configurations counted with callgrind (comma-separated; none,disabled,plugin)")
    parser.add_argument("--memory-tunnels", type=int, default=1000, help="tunnels of the ESP scaling check")
    parser.add_argument("--memory-esp", type=int, default=50, help="ESP packets per tunnel (then 10x)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 20,000 packets, 1 run, 5,000-packet slice")
    parser.add_argument("--workdir", help="keep the captures here (default: a temporary dir)")
    parser.add_argument("--output", help="also write the report to this file")
    parser.add_argument("--no-sample", dest="sample", action="store_false",
                        help="skip the sampled run (perf record) that measures the time spent in the plugin's code")
    args = parser.parse_args()
    if args.quick:
        args.packets, args.tunnels, args.runs, args.slice = 20000, 1000, 1, 5000
        args.memory_tunnels, args.memory_esp = 200, 20
    args.slice = min(args.slice, args.packets)
    args.count_configs = args.count_configs.split(",")
    args.configs = args.configs.split(",")

    workdir = args.workdir or tempfile.mkdtemp(prefix="ipsecdiag-bench-")
    os.makedirs(workdir, exist_ok=True)
    lines = []

    def report(line):
        print(line, flush=True)
        lines.append(line)

    runner = Runner(args, workdir)
    report("ipsecdiag benchmark: %d packets per capture, median of %d runs; instructions: %s" % (
        args.packets, args.runs, "perf stat" if runner.perf else
        ("callgrind on %s" % ("%d slices of %d packets spread over each file" % (args.slices, args.slice)
                               if args.slice_at == "spread" else "%d packets at the %s of each file" % (
                                   args.slice, args.slice_at)) if args.slice else "not measured")))
    ok = True
    captures = [
        ("mixed", "mixed", dict(packets=args.packets), 1.03),
        ("ipsec-heavy", "ipsec", dict(packets=args.packets, tunnels=args.tunnels), 1.15),
    ]
    for label, kind, params, target in captures:
        path = os.path.join(workdir, "%s-%d.pcap" % (label, args.packets))
        if not os.path.exists(path):
            written, tunnels, ike = gencap.generate(kind, path, seed=1, **params)
            os.chmod(path, 0o644)
        else:
            written, tunnels, ike = None, params.get("tunnels", args.packets // 5000), None
        report("%s: %s (%s tunnels%s)" % (label, path, tunnels, ", %d packets, %d IKE" % (written, ike)
                                         if ike is not None else ""))
        results = measure(runner, label, path, args, report)
        for passes in (1, 2):
            ok &= ratios(results, passes, "none", report, label, target)
            if "disabled" in args.configs:
                ratios(results, passes, "disabled", report, label, None)

    # Memory must follow tunnels, not ESP packets: same tunnels, 10x the ESP.
    report("memory: %d tunnels with %d and %d ESP packets each" % (
        args.memory_tunnels, args.memory_esp, 10 * args.memory_esp))
    extra = {}
    for factor in (1, 10):
        path = os.path.join(workdir, "esp-x%d.pcap" % factor)
        if not os.path.exists(path):
            gencap.generate("ipsec", path, packets=0, tunnels=args.memory_tunnels,
                            esp_per_tunnel=args.memory_esp * factor, seed=2)
            os.chmod(path, 0o644)
        for passes in (1, 2):
            rss = {}
            for config in ("none", "plugin"):
                rss[config] = max(runner.run_timed(config, path, passes)[2] for _ in range(max(1, args.runs)))
            extra[(factor, passes)] = rss["plugin"] - rss["none"]
            report("  ESP x%-2d %d pass%s: peak RSS none %.1f MiB, plugin %.1f MiB, plugin adds %.1f MiB" % (
                factor, passes, "" if passes == 1 else "es", rss["none"] / 1024.0, rss["plugin"] / 1024.0,
                extra[(factor, passes)] / 1024.0))
    for passes in (1, 2):
        grown = extra[(10, passes)] - extra[(1, passes)]
        # Allocator noise: a few MiB either way.
        fine = grown <= max(4096, 0.25 * extra[(1, passes)])
        ok &= fine
        report("  %d pass%s: 10x the ESP packets changes the plugin's extra memory by %+.1f MiB: %s" % (
            passes, "" if passes == 1 else "es", grown / 1024.0, "ok" if fine else "MISSED"))
    report("result: %s" % ("all targets met" if ok else "TARGET MISSED"))
    if args.output:
        with open(args.output, "w") as f:
            f.write("\n".join(lines) + "\n")
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
