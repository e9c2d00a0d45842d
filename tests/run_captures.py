#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Capture-suite runner for ipsecdiag.

Every folder under test-captures/ holding captures (*.pcap, *.pcapng, *.gz)
is a scenario. For each capture and each mode (one pass, two passes) the
runner asks tshark with the plugin for
  1. the plugin's fields on every annotated frame,
  2. the frames each rule's expert field selects (ipsecdiag.rule.<id>),
  3. the tunnels and ESP SA statistics tables (-z ipsecdiag,tunnels -z ipsecdiag,esp),
and compares that with test-captures/<scenario>/expected/<capture>.<mode>.txt.

Beyond the golden files, three checks cannot be regenerated away:
  - scenarios named healthy-* must show no warning or error finding, nor
    scenarios with a no-warnings file in the modes it lists;
  - test-captures/<scenario>/must-find lists, per capture, rule ids that must
    appear ("initiator.pcap: first_msg_unanswered"; a "(2pass)" suffix on the
    capture name restricts the line to the two-pass run);
  - in two passes, the fields of every frame read without a display filter
    (so that the first pass builds no tree and has no tap: plain ESP is
    counted on the plugin's late path) must equal item 1's (immediate path).

A scenario folder holding a file named "keys" (docs/keys.md) is run with
-o ipsecdiag.keys_file:<that file>, so its encrypted messages are decrypted.
A scenario folder holding a file named "tshark-options" (one option per
line, "#" comments, e.g. "-o esp.enable_encryption_decode:TRUE") passes those
options to every tshark run of the scenario; its expected files then also
list, for every ESP frame, the protocols Wireshark found in it (frame.protocols:
"...:esp:ip:icmp" once the ESP payload was decrypted) and the ESP keys
ipsecdiag derived for it (ipsecdiag.esp_keys, masked), and for every IKE
message the decryption result and the payload types (the encrypted outer ones,
then those Wireshark read in the decrypted message: 42 is a Delete).

Usage:
  run_captures.py [--plugin PATH] [--rules DIR] [--installed] [--regenerate]
                  [--tshark tshark] [--preload LIB] [--jobs N] [SCENARIO ...]
--plugin/--rules use a freshly built plugin (staged in a temporary plugin dir;
when run as root tshark is run as 'nobody', since tshark ignores
WIRESHARK_PLUGIN_DIR for root). --installed uses the plugin installed in the
system plugin dir instead.
--preload LIB runs tshark with LD_PRELOAD=LIB: the AddressSanitizer runtime for
a plugin built with -DIPSECDIAG_SANITIZE=ON (ASAN_OPTIONS and UBSAN_OPTIONS are
passed on from the environment); any sanitizer report fails the run.
--jobs N runs N captures at once (default: the number of CPUs); the report
is printed in scenario order whatever the order they finish in.
"""
import argparse
import concurrent.futures
import difflib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import xml.etree.ElementTree as ElementTree

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CAPTURES = os.path.join(ROOT, "test-captures")
CAPTURE_SUFFIXES = (".pcap", ".pcapng", ".pcap.gz", ".pcapng.gz")
MODES = ("1pass", "2pass")
FIELDS = [
    "frame.number", "ipsecdiag.tunnel", "ipsecdiag.role", "ipsecdiag.msg",
    "ipsecdiag.response_to", "ipsecdiag.response_in", "ipsecdiag.retransmission_of",
    "ipsecdiag.retransmission.number", "ipsecdiag.state", "ipsecdiag.capture_side",
    "ipsecdiag.nat", "ipsecdiag.esp.spi", "ipsecdiag.finding", "ipsecdiag.finding.final",
    "ipsecdiag.finding.summary",
]


def sanitizer_report(stderr):
    """True if AddressSanitizer or UBSan reported something."""
    return "ERROR: AddressSanitizer" in stderr or "runtime error:" in stderr or "ERROR: LeakSanitizer" in stderr


class Tshark:
    """Runs tshark with the plugin under test."""

    def __init__(self, args):
        self.tshark = shutil.which(args.tshark) or args.tshark
        self.tmp = tempfile.mkdtemp(prefix="ipsecdiag-tests-")
        os.chmod(self.tmp, 0o755)
        self.env = dict(os.environ, HOME=self.tmp, LC_ALL="C", TZ="UTC")
        self.env.pop("WIRESHARK_CONFIG_DIR", None)
        self.prefix = []
        self.preload = ["LD_PRELOAD=" + args.preload] if args.preload else []
        if args.preload:
            # Extcap helpers would inherit the sanitizer runtime (androiddump then hangs).
            self.env["WIRESHARK_EXTCAP_DIR"] = os.path.join(self.tmp, "no-extcap")
        if not args.installed:
            if not args.plugin:
                sys.exit("run_captures.py: give --plugin (built plugin) or --installed")
            stage = os.path.join(self.tmp, "plugins", "4.0", "epan")
            os.makedirs(stage)
            shutil.copy(args.plugin, os.path.join(stage, "ipsecdiag.so"))
            rules = os.path.join(self.tmp, "rules")
            shutil.copytree(args.rules or os.path.join(ROOT, "rules"), rules)
            self.env["WIRESHARK_PLUGIN_DIR"] = os.path.join(self.tmp, "plugins")
            self.env["IPSECDIAG_RULES_DIR"] = rules
            if os.geteuid() == 0:
                # tshark ignores WIRESHARK_PLUGIN_DIR when privileged.
                self.prefix = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
        self.env["IPSECDIAG_USER_RULES_DIR"] = os.path.join(self.tmp, "no-user-rules")
        for dirpath, dirnames, filenames in os.walk(self.tmp):
            for name in dirnames + filenames:
                os.chmod(os.path.join(dirpath, name), 0o755)
        self.capture_copies = {}
        self.copies_lock = threading.Lock()

    def readable(self, capture):
        """Captures are copied where 'nobody' can read them."""
        if not self.prefix:
            return capture
        with self.copies_lock:
            if capture not in self.capture_copies:
                copy = os.path.join(self.tmp, "cap-%d-%s" % (len(self.capture_copies), os.path.basename(capture)))
                shutil.copy(capture, copy)
                os.chmod(copy, 0o644)
                self.capture_copies[capture] = copy
            return self.capture_copies[capture]

    def run(self, capture, mode, extra, keys_file=None, options=()):
        cmd = self.prefix + ["env", "HOME=" + self.tmp] + self.preload + [self.tshark, "-n", "-r",
                                                                          self.readable(capture)]
        if keys_file:
            cmd += ["-o", "ipsecdiag.keys_file:" + self.readable(keys_file)]
        cmd += list(options)
        if mode == "2pass":
            cmd.append("-2")
        cmd += extra
        result = subprocess.run(cmd, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                universal_newlines=True, cwd=self.tmp)
        if result.returncode != 0 or sanitizer_report(result.stderr):
            raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd), result.returncode, result.stderr))
        return result.stdout

    def check_plugin_loaded(self):
        out = subprocess.run(self.prefix + ["env", "HOME=" + self.tmp] + self.preload + [self.tshark, "-G", "plugins"],
                             env=self.env, stdout=subprocess.PIPE, universal_newlines=True, cwd=self.tmp).stdout
        if "ipsecdiag" not in out:
            sys.exit("run_captures.py: tshark did not load the ipsecdiag plugin:\n" + out)

    def cleanup(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


def annotated_findings(tshark, capture, mode, keys_file, options):
    """[(frame, severities, rule ids, expert rule ids)] of the frames with findings.

    One PDML run of the frame number and the plugin's tree gives what a
    filter per rule (ipsecdiag.rule.<id>) would select, and the severities."""
    pdml = tshark.run(capture, mode, ["-Y", "ipsecdiag.finding", "-T", "pdml", "-J", "frame ipsecdiag"],
                      keys_file, options)
    frames = []
    for packet in ElementTree.fromstring(pdml).iter("packet"):
        number, severities, rules, experts = None, [], [], set()
        for field in packet.iter("field"):
            name = field.get("name", "")
            if name == "frame.number":
                number = field.get("show")
            elif name == "ipsecdiag.finding.severity":
                severities.append(field.get("show"))
            elif name == "ipsecdiag.finding":
                rules.append(field.get("show"))
            elif name.startswith("ipsecdiag.rule."):
                experts.add(name[len("ipsecdiag.rule."):])
        frames.append((number, severities, rules, experts))
    return frames


def plugin_output(tshark, capture, mode, keys_file, options):
    """The text compared with the expected file, the rule ids found, and the
    frames with a warning or error."""
    # tshark takes one character as aggregator; texts may hold any, rule ids no comma.
    field_args = (["-T", "fields", "-E", "header=y", "-E", "occurrence=a", "-E", "aggregator=|"]
                  + sum((["-e", f] for f in FIELDS), []))
    fields = tshark.run(capture, mode, ["-Y", "ipsecdiag"] + field_args, keys_file, options)
    late_differs = ""
    if mode == "2pass":
        late = late_path_fields(tshark.run(capture, mode, field_args, keys_file, options),
                                set(line.split("\t", 1)[0] for line in fields.splitlines()[1:]))
        if late != fields:
            late_differs = "".join(difflib.unified_diff(fields.splitlines(True), late.splitlines(True),
                                                        "immediate path (-Y ipsecdiag)",
                                                        "late path (no filter)"))
    findings = annotated_findings(tshark, capture, mode, keys_file, options)
    rules = set(rule for _, _, frame_rules, _ in findings for rule in frame_rules if rule)
    expert = []
    for rule in sorted(rules):
        frames = [number for number, _, _, experts in findings if rule in experts]
        expert.append("ipsecdiag.rule.%s: frames %s" % (rule, " ".join(frames)))
    tap = tshark.run(capture, mode, ["-q", "-z", "ipsecdiag,tunnels", "-z", "ipsecdiag,esp"], keys_file, options)
    parts = [
        "# fields of annotated frames\n", fields,
        "# expert fields\n", "\n".join(expert) + ("\n" if expert else ""),
        "# tunnels and esp taps\n", tap,
    ]
    if options:
        # What the scenario's options change in other dissectors: ESP decrypted or not.
        esp = tshark.run(capture, mode, ["-Y", "esp || ipsecdiag.esp_keys || ipsecdiag.esp_keys.problem"
                                               " || ipsecdiag.decryption",
                                         "-T", "fields", "-E", "header=y",
                                         "-E", "occurrence=a", "-E", "aggregator=|", "-e", "frame.number",
                                         "-e", "frame.protocols", "-e", "ipsecdiag.decryption",
                                         "-e", "isakmp.typepayload", "-e", "ipsecdiag.esp_keys",
                                         "-e", "ipsecdiag.esp_keys.problem"], keys_file, options)
        parts += ["# with the scenario's tshark-options: ESP frames, decrypted IKE messages (outer and inner "
                  "payload types) and derived ESP keys\n", esp]
    text = "".join(parts)
    bad = "\n".join("%s\t%s" % (number, ",".join(frame_rules))
                    for number, severities, frame_rules, _ in findings
                    if "warn" in severities or "error" in severities)
    return text, rules, bad, late_differs


def late_path_fields(unfiltered, annotated_frames):
    """The rows of an unfiltered fields run that -Y ipsecdiag would keep: the
    annotated frames' and any other with a value from the plugin."""
    lines = unfiltered.splitlines(True)
    kept = [line for line in lines[1:]
            if line.split("\t", 1)[0] in annotated_frames or any(line.rstrip("\n").split("\t")[1:])]
    return "".join(lines[:1] + kept)


def must_find(scenario_dir):
    """{(capture, mode): set(rule ids)} from the scenario's must-find file."""
    wanted = {}
    path = os.path.join(scenario_dir, "must-find")
    if not os.path.exists(path):
        return wanted
    with open(path) as f:
        for number, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            if ":" not in line:
                sys.exit("%s:%d: expected 'capture: rule ...'" % (path, number))
            capture, rules = line.split(":", 1)
            capture = capture.strip()
            modes = MODES
            if capture.endswith("(2pass)"):
                capture, modes = capture[:-len("(2pass)")].strip(), ("2pass",)
            for mode in modes:
                wanted.setdefault((capture, mode), set()).update(rules.split())
    return wanted


def no_warning_modes(scenario_dir):
    """Modes listed in the scenario's no-warnings file (all modes if it lists none)."""
    path = os.path.join(scenario_dir, "no-warnings")
    if not os.path.exists(path):
        return ()
    with open(path) as f:
        modes = [line.split("#", 1)[0].strip() for line in f]
    modes = [m for m in modes if m]
    return tuple(modes) or MODES


def tshark_options(scenario_dir):
    """Options from the scenario's tshark-options file (one per line), [] without one."""
    path = os.path.join(scenario_dir, "tshark-options")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        options = [line.split("#", 1)[0].strip() for line in f]
    result = []
    for option in options:
        if option:
            result += option.split(None, 1)
    return result


def scenarios(selected):
    found = []
    for name in sorted(os.listdir(CAPTURES)):
        path = os.path.join(CAPTURES, name)
        if not os.path.isdir(path) or (selected and name not in selected):
            continue
        captures = sorted(f for f in os.listdir(path) if f.endswith(CAPTURE_SUFFIXES))
        if captures:
            found.append((name, path, captures))
    return found


def check_capture(tshark, args, job):
    """Runs one capture in one mode; returns (status line, failures)."""
    name, path, capture, mode, wanted, keys_file, options = job
    label = "%s/%s [%s]" % (name, capture, mode)
    failures = []
    actual, rules_found, bad, late_differs = plugin_output(tshark, os.path.join(path, capture), mode, keys_file,
                                                         options)
    if late_differs:
        failures.append("%s: the late path's fields differ from the immediate path's\n%s" % (label, late_differs))
    expected_path = os.path.join(path, "expected", "%s.%s.txt" % (capture, mode))
    if args.regenerate:
        os.makedirs(os.path.dirname(expected_path), exist_ok=True)
        with open(expected_path, "w") as f:
            f.write(actual)
    elif not os.path.exists(expected_path):
        failures.append("%s: no expected file %s (run with --regenerate)" % (label, expected_path))
    else:
        with open(expected_path) as f:
            expected = f.read()
        if expected != actual:
            diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                                expected_path, "actual"))
            failures.append("%s: output differs\n%s" % (label, diff))
    if (name.startswith("healthy") or mode in no_warning_modes(path)) and bad:
        failures.append("%s: healthy capture has warnings/errors:\n%s" % (label, bad))
    for rule in sorted(wanted.get((capture, mode), ())):
        if rule not in rules_found:
            failures.append("%s: expected finding %s is missing" % (label, rule))
    return "%-60s %s" % (label, "regenerated" if args.regenerate else "checked"), failures


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--plugin")
    parser.add_argument("--rules")
    parser.add_argument("--installed", action="store_true")
    parser.add_argument("--regenerate", action="store_true", help="rewrite the expected files")
    parser.add_argument("--tshark", default="tshark")
    parser.add_argument("--preload", help="LD_PRELOAD for tshark (sanitizer runtime)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="captures run at once")
    parser.add_argument("scenario", nargs="*")
    args = parser.parse_args()

    tshark = Tshark(args)
    failures = []
    jobs = []
    for name, path, captures in scenarios(args.scenario):
        wanted = must_find(path)
        keys_file = os.path.join(path, "keys")
        keys_file = keys_file if os.path.isfile(keys_file) else None
        options = tshark_options(path)
        for capture in captures:
            for mode in MODES:
                jobs.append((name, path, capture, mode, wanted, keys_file, options))
    try:
        tshark.check_plugin_loaded()
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            # map() yields in submission order: the report does not depend on timing.
            for status, job_failures in pool.map(lambda job: check_capture(tshark, args, job), jobs):
                failures += job_failures
                print(status, flush=True)
    finally:
        tshark.cleanup()
    for failure in failures:
        print("FAIL " + failure)
    print("%d capture runs, %d failures" % (len(jobs), len(failures)))
    if not jobs:
        print("FAIL no captures found")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
