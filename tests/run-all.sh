#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Every ipsecdiag test, as README.md gives it (run after packaging/install-from-source.sh):
#  1. release build: engine unit tests, capture suite (one and two passes,
#     plugin staged from the build tree), Debian package test (ctest);
#  2. the installed plugin: tshark -G plugins lists it, and a cross-section of
#     the capture suite (IPSECDIAG_INSTALLED_SCENARIOS, "all" for every one)
#     passes with the system-installed plugin and rules (the same binary as
#     step 1: this checks the install paths, not the diagnoses again);
#  3. AddressSanitizer + UBSan build (clang) of the engine: unit tests and a
#     short libFuzzer run of every fuzz target;
#  4. the plugin itself built with AddressSanitizer + UBSan (gcc) and loaded
#     into tshark (LD_PRELOAD of the ASan runtime): the whole capture suite
#     (IPSECDIAG_SANITIZE_SCENARIOS narrows it to a list for a quick look),
#     then every capture mutated and truncated (tests/mutate_captures.py,
#     short run: one seed, one snaplen, two passes; docs/fuzzing.md has the
#     longer run).
set -eu
cd "$(dirname "$0")/.."
SRC=$(pwd)
OUT=${IPSECDIAG_TEST_BUILD_DIR:-$SRC/build-tests}
JOBS=$(nproc)

echo "== 1. release build: unit tests, captures, package =="
cmake -S "$SRC" -B "$OUT/release" -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$OUT/release" -j"$JOBS"
ctest --test-dir "$OUT/release" --output-on-failure

echo "== 2. installed plugin =="
if [ "$(id -u)" -eq 0 ]; then
  cmake --install "$OUT/release"
  tshark -G plugins | grep -q ipsecdiag || { echo "installed plugin not loaded by tshark" >&2; exit 1; }
  INSTALLED_SCENARIOS=${IPSECDIAG_INSTALLED_SCENARIOS:-"healthy-ikev1 healthy-nat-ikev2 udp4500-blocked-ikev2
    psk-mismatch-ikev1-decrypted wireshark-testsuite-decrypted esp-loss-ikev2 dpd-dead-peer-ikev1"}
  [ "$INSTALLED_SCENARIOS" = all ] && INSTALLED_SCENARIOS=
  # shellcheck disable=SC2086
  python3 tests/run_captures.py --installed $INSTALLED_SCENARIOS
else
  echo "(skipped: installing into the system plugin dir needs root)"
fi

echo "== 3. sanitizers and fuzzing (engine, clang) =="
cmake -S "$SRC" -B "$OUT/asan" -DCMAKE_C_COMPILER=clang -DIPSECDIAG_BUILD_PLUGIN=OFF \
  -DIPSECDIAG_SANITIZE=ON -DIPSECDIAG_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug
cmake --build "$OUT/asan" -j"$JOBS"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir "$OUT/asan" --output-on-failure
echo "== 4. sanitized plugin in tshark: whole capture suite and mutated captures =="
cmake -S "$SRC" -B "$OUT/asan-plugin" -DCMAKE_C_COMPILER=gcc -DCMAKE_INSTALL_PREFIX=/usr \
  -DIPSECDIAG_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF
cmake --build "$OUT/asan-plugin" -j"$JOBS" --target ipsecdiag
ASAN_RUNTIME=$(gcc -print-file-name=libasan.so)
SANITIZED_PLUGIN="$OUT/asan-plugin/stage/4.0/epan/ipsecdiag.so"
SCENARIOS=${IPSECDIAG_SANITIZE_SCENARIOS:-}
# tshark's own leaks are not the plugin's; any UBSan report is fatal.
# shellcheck disable=SC2086
ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  python3 tests/run_captures.py --plugin "$SANITIZED_PLUGIN" --rules rules --preload "$ASAN_RUNTIME" $SCENARIOS
ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  python3 tests/mutate_captures.py --plugin "$SANITIZED_PLUGIN" --rules rules --preload "$ASAN_RUNTIME" \
  --seeds 1 --snaplens 90 --modes 2pass --keep "$OUT/mutate-failures"
echo "== all tests passed =="
