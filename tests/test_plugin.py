#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Checks of the plugin as Wireshark users meet it, beyond the capture suite:
it is listed as a plugin and a protocol, its preference turns it off, the
rules catalog reports a broken file by name and line and still loads the
rest, a user rules directory overrides a rule's text and severity, and the
per-user install option puts plugin and rules where Wireshark and the
plugin find them.

Usage: test_plugin.py --plugin PATH --rules DIR [--source DIR --build-args ...]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_captures  # noqa: E402

ROOT = run_captures.ROOT
CAPTURE = os.path.join(ROOT, "test-captures", "wireshark-testsuite", "ikev1-certs.pcap")
failures = []


def check(condition, what, detail=""):
    print("%-70s %s" % (what, "ok" if condition else "FAIL"))
    if not condition:
        failures.append("%s\n%s" % (what, detail))


def tshark_output(tshark, args, capture=CAPTURE):
    cmd = tshark.prefix + ["env", "HOME=" + tshark.tmp, tshark.tshark] + args
    if capture:
        cmd += ["-r", tshark.readable(capture)]
    result = subprocess.run(cmd, env=tshark.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True, cwd=tshark.tmp)
    return result.stdout, result.stderr


def write_user_rules(tshark, name, text):
    directory = os.path.join(tshark.tmp, "user-rules")
    os.makedirs(directory, exist_ok=True)
    os.chmod(directory, 0o755)
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)
    tshark.env["IPSECDIAG_USER_RULES_DIR"] = directory
    return path


def test_registration(tshark):
    out, _ = tshark_output(tshark, ["-G", "plugins"], None)
    check("ipsecdiag.so" in out, "tshark -G plugins lists ipsecdiag", out)
    out, _ = tshark_output(tshark, ["-G", "protocols"], None)
    check("\tipsecdiag\t" in out or "\tipsecdiag\n" in out, "ipsecdiag is a registered protocol", out[-500:])
    out, _ = tshark_output(tshark, ["-G", "fields"], None)
    for field in ("ipsecdiag.tunnel", "ipsecdiag.msg", "ipsecdiag.role", "ipsecdiag.retransmission_of",
                  "ipsecdiag.state", "ipsecdiag.finding"):
        check("\t%s\t" % field in out, "field %s is registered" % field)
    out, _ = tshark_output(tshark, ["-G", "defaultprefs"], None)
    check("ipsecdiag.enable: TRUE" in out, "preference ipsecdiag.enable exists, on by default", out[-300:])
    out, err = tshark_output(tshark, ["-z", "help"], None)
    check("ipsecdiag,tunnels" in out + err, "-z ipsecdiag,tunnels is offered", (out + err)[-300:])
    check("ipsecdiag,esp" in out + err, "-z ipsecdiag,esp is offered", (out + err)[-300:])


def test_enable_switches(tshark):
    out, _ = tshark_output(tshark, ["-Y", "ipsecdiag", "-T", "fields", "-e", "frame.number"])
    check(len(out.split()) == 10, "enabled: every IKE frame of ikev1-certs.pcap is annotated", out)
    out, _ = tshark_output(tshark, ["-o", "ipsecdiag.enable:FALSE", "-Y", "ipsecdiag", "-T", "fields",
                                    "-e", "frame.number"])
    check(out.strip() == "", "preference off: nothing annotated", out)
    out, _ = tshark_output(tshark, ["--disable-protocol", "ipsecdiag", "-Y", "ipsecdiag", "-T", "fields",
                                    "-e", "frame.number"])
    check(out.strip() == "", "protocol disabled: nothing annotated", out)
    # The handle has no protocol (libwireshark counts no ipsecdiag layer):
    # the plugin numbers its fields layer 1 itself.
    out, _ = tshark_output(tshark, ["-Y", "ipsecdiag.state#1", "-T", "fields", "-e", "frame.number"])
    check(len(out.split()) == 10, "layer operator: ipsecdiag.state#1 matches every annotated frame", out)
    out, _ = tshark_output(tshark, ["-Y", "ipsecdiag.state#2", "-T", "fields", "-e", "frame.number"])
    check(out.strip() == "", "layer operator: ipsecdiag.state#2 matches none", out)


def test_user_rules(tshark):
    path = write_user_rules(tshark, "local.rules", "\n".join([
        "# local wording for our NOC",
        "[answered_after_retransmission]",
        "severity = warn",
        "summary = SLOW: {message} needed {count} sends",
        "",
        "[no_such_rule]",
        "summary = x",
        "",
        "[first_msg_unanswered]",
        "severity = loud",
        "",
    ]))
    out, err = tshark_output(tshark, ["-Y", "ipsecdiag.finding", "-T", "fields", "-e", "ipsecdiag.finding.summary",
                                      "-e", "ipsecdiag.finding.severity"])
    check("SLOW: QI1 needed 2 sends\twarn" in out, "user rules override a rule's summary and severity", out + err)
    check("%s:6:" % path in err and "no_such_rule" in err, "unknown rule in user file: message with file:line", err)
    check("%s:10:" % path in err and "loud" in err, "bad severity in user file: message with file:line", err)
    out, _ = tshark_output(tshark, ["-Y", "ipsecdiag.rule.answered_after_retransmission", "-T", "fields",
                                    "-e", "frame.number"])
    check(out.split() == ["9"], "expert field ipsecdiag.rule.answered_after_retransmission selects frame 9", out)
    tshark.env["IPSECDIAG_USER_RULES_DIR"] = os.path.join(tshark.tmp, "no-user-rules")


def test_broken_catalog(tshark):
    rules = tshark.env["IPSECDIAG_RULES_DIR"]
    broken = os.path.join(rules, "zz-broken.rules")
    with open(broken, "w") as f:
        f.write("[broken_rule]\nseverity = error\ngroup = sequence\nthis line is not a key\n")
    os.chmod(broken, 0o644)
    out, err = tshark_output(tshark, ["-Y", "ipsecdiag.finding", "-T", "fields", "-e", "ipsecdiag.finding.summary"])
    os.unlink(broken)
    check("%s:4:" % broken in err, "broken catalog file: message names file and line", err)
    check("QI1 was answered only after 2 transmissions" in out, "the rest of the catalog still loads", out + err)


def test_keys_file(tshark):
    """The keys_file preference: Wireshark's own table decrypts, a bad line is named with file:line."""
    out, _ = tshark_output(tshark, ["-G", "defaultprefs"], None)
    check("ipsecdiag.keys_file:" in out, "preference ipsecdiag.keys_file exists", out[-300:])
    suite = os.path.join(os.path.dirname(CAPTURE))
    path = os.path.join(tshark.tmp, "test.keys")
    with open(os.path.join(suite, "ikev2_decryption_table")) as f:
        table = f.read()
    with open(path, "w") as f:
        f.write(table + "psk\n")                  # the last line is broken on purpose
    os.chmod(path, 0o644)
    lines = table.count("\n") + 1
    capture = os.path.join(suite, "ikev2-decrypt-aes256gcm16.pcap")
    out, err = tshark_output(tshark, ["-o", "ipsecdiag.keys_file:" + path, "-Y", "ipsecdiag.decryption",
                                      "-T", "fields", "-e", "frame.number", "-e", "ipsecdiag.decryption"], capture)
    check(out.split() == ["3", "decrypted", "4", "decrypted", "5", "decrypted", "6", "decrypted"],
          "keys file: every encrypted message of ikev2-decrypt-aes256gcm16 decrypted", out + err)
    check("%s:%d:" % (path, lines) in err, "keys file: the broken line is reported with file:line", err[-500:])


def test_weak_psk_check(tshark):
    """The weak_psk_check preference: on by default, finds cisco123 in Aggressive Mode, off silences it."""
    out, _ = tshark_output(tshark, ["-G", "defaultprefs"], None)
    check("ipsecdiag.weak_psk_check: TRUE" in out, "preference ipsecdiag.weak_psk_check exists, on by default",
          out[-300:])
    capture = os.path.join(run_captures.CAPTURES, "aggressive-weak-psk-ikev1", "initiator.pcap")
    out, err = tshark_output(tshark, ["-Y", "ipsecdiag.rule.weak_psk_found", "-T", "fields", "-e", "frame.number"],
                             capture)
    check(out.split() == ["2"], "weak PSK cisco123 found in AR1 without a keys file", out + err)
    out, err = tshark_output(tshark, ["-o", "ipsecdiag.weak_psk_check:FALSE", "-Y", "ipsecdiag.rule.weak_psk_found",
                                      "-T", "fields", "-e", "frame.number"], capture)
    check(out.strip() == "", "weak_psk_check off: no weak_psk_found", out + err)


def test_user_install(args):
    """-DIPSECDIAG_USER_INSTALL=ON installs into ~/.local, where an unprivileged tshark finds it."""
    if not args.source:
        return
    home = tempfile.mkdtemp(prefix="ipsecdiag-home-")
    os.chmod(home, 0o755)
    build = os.path.join(home, "build")
    env = dict(os.environ, HOME=home)
    for cmd in (["cmake", "-S", args.source, "-B", build, "-DIPSECDIAG_USER_INSTALL=ON", "-DBUILD_TESTING=OFF"],
                ["cmake", "--build", build, "-j2"], ["cmake", "--install", build]):
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    plugin = os.path.join(home, ".local/lib/wireshark/plugins/4.0/epan/ipsecdiag.so")
    rules = os.path.join(home, ".local/share/ipsecdiag/rules/reachability.rules")
    check(os.path.exists(plugin), "user install: plugin in ~/.local/lib/wireshark/plugins/4.0/epan")
    check(os.path.exists(rules), "user install: rules in ~/.local/share/ipsecdiag/rules")
    capture = os.path.join(home, "c.pcap")
    shutil.copy(CAPTURE, capture)
    for dirpath, dirnames, filenames in os.walk(home):
        for name in dirnames + filenames:
            os.chmod(os.path.join(dirpath, name), 0o755)
    prefix = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"] if os.geteuid() == 0 else []
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith(("WIRESHARK", "IPSECDIAG"))}
    result = subprocess.run(prefix + ["env", "HOME=" + home, "tshark", "-r", capture, "-Y", "ipsecdiag.finding",
                                      "-T", "fields", "-e", "ipsecdiag.finding.summary"],
                            env=clean_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True, cwd=home)
    check("QI1 was answered only after 2 transmissions" in result.stdout,
          "user install: tshark loads the plugin and its rules", result.stdout + result.stderr)
    shutil.rmtree(home, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--plugin", required=True)
    parser.add_argument("--rules", required=True)
    parser.add_argument("--source", help="source tree, to test the per-user install")
    parser.add_argument("--tshark", default="tshark")
    args = parser.parse_args()
    tshark = run_captures.Tshark(argparse.Namespace(plugin=args.plugin, rules=args.rules, installed=False, preload=None,
                                                    tshark=args.tshark))
    try:
        test_registration(tshark)
        test_enable_switches(tshark)
        test_user_rules(tshark)
        test_broken_catalog(tshark)
        test_keys_file(tshark)
        test_weak_psk_check(tshark)
        test_user_install(args)
    finally:
        tshark.cleanup()
    for failure in failures:
        print("FAIL " + failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
