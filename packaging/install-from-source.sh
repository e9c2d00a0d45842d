#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Fresh Debian 12 machine -> ipsecdiag installed and shown on a bundled capture.
# Installs the build, test and lab dependencies (apt), builds the plugin,
# installs it into Wireshark's system plugin dir with its rules, and runs it.
# Run as root (or through sudo) from the source tree.
set -eu
cd "$(dirname "$0")/.."
SRC=$(pwd)
BUILD=${IPSECDIAG_BUILD_DIR:-$SRC/build}

if [ "$(id -u)" -ne 0 ]; then
  echo "install-from-source.sh: run as root (sudo), it installs packages and the plugin" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
# Build: compiler, CMake, Wireshark 4.0 development files, glib, libgcrypt.
# Tests: tshark, python3, clang (sanitizers, libFuzzer), dpkg-dev (package test).
# Lab (recording new captures): strongSwan, iproute2, iptables, tcpdump.
apt-get install -y --no-install-recommends \
  build-essential cmake pkg-config file \
  libglib2.0-dev libgcrypt20-dev libwireshark-dev wireshark-dev tshark \
  python3 clang libclang-rt-14-dev llvm dpkg-dev util-linux \
  strongswan-charon strongswan-swanctl libstrongswan-standard-plugins libcharon-extra-plugins \
  iproute2 iptables tcpdump iputils-ping

cmake -S "$SRC" -B "$BUILD" -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$BUILD" -j"$(nproc)"
cmake --install "$BUILD"

echo
echo "== tshark -G plugins =="
tshark -G plugins | grep ipsecdiag
DEMO=test-captures/udp4500-blocked-ikev1/initiator.pcap
echo
echo "== tshark -r $DEMO -Y ipsecdiag.finding -O ipsecdiag =="
tshark -n -r "$DEMO" -Y ipsecdiag.finding -O ipsecdiag
echo
echo "== tshark -2 -q -z ipsecdiag,tunnels =="
tshark -n -2 -r "$DEMO" -q -z ipsecdiag,tunnels
