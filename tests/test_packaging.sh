#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Packaging test: builds the Debian package of a built build directory with
# `cpack -G DEB` and checks its files, its control fields and the plugin's
# exported entry points.
#
# Usage: test_packaging.sh BUILD_DIR [SOURCE_DIR [PLUGIN_DIR RULES_DIR]]
#   SOURCE_DIR defaults to the one recorded in BUILD_DIR/CMakeCache.txt;
#   PLUGIN_DIR and RULES_DIR are the absolute install directories (ctest
#   passes the configured ones). CPACK and CMAKE may name the tools.
# Exits 77 (skipped) when dpkg-deb is not installed.
set -eu

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [SOURCE_DIR [PLUGIN_DIR RULES_DIR]]" >&2; exit 2; }
build_dir=$(cd "$1" && pwd)
cache="$build_dir/CMakeCache.txt"
[ -f "$cache" ] || fail "$build_dir is not a configured build directory"

if ! command -v dpkg-deb >/dev/null 2>&1; then
  echo "SKIP: dpkg-deb is not installed"
  exit 77
fi
command -v nm >/dev/null 2>&1 || fail "nm (binutils) is not installed"
cpack=${CPACK:-cpack}
cmake=${CMAKE:-cmake}

cache_value() {
  sed -n "s/^$1:[A-Z]*=//p" "$cache" | head -n 1
}
version=$(cache_value CMAKE_PROJECT_VERSION)
prefix=$(cache_value CMAKE_INSTALL_PREFIX)
source_dir=${2:-$(cache_value ipsecdiag_SOURCE_DIR)}
plugin_dir=${3:-}
rules_dir=${4:-$prefix/share/ipsecdiag/rules}
arch=$(dpkg --print-architecture)
[ -n "$version" ] || fail "no project version in $cache"
[ "$prefix" = /usr ] || echo "NOTE: CMAKE_INSTALL_PREFIX is $prefix; packages should use /usr"

scratch=$(mktemp -d "${TMPDIR:-/tmp}/ipsecdiag-packaging.XXXXXX")
trap 'rm -rf "$scratch"' EXIT INT TERM

# Build the package outside the build directory so parallel runs do not meet.
"$cpack" -G DEB --config "$build_dir/CPackConfig.cmake" -B "$scratch/out" \
  >"$scratch/cpack.log" 2>&1 || { cat "$scratch/cpack.log" >&2; fail "cpack -G DEB failed"; }
deb="$scratch/out/ipsecdiag_${version}_${arch}.deb"
[ -f "$deb" ] || { ls -l "$scratch/out" >&2; fail "no package named $(basename "$deb")"; }

# Files: the package holds exactly what `cmake --install` installs.
dpkg-deb -c "$deb" >"$scratch/listing" || fail "dpkg-deb -c failed"
awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }' "$scratch/listing" | sort >"$scratch/deb-files"
DESTDIR="$scratch/install" "$cmake" --install "$build_dir" >/dev/null \
  || fail "cmake --install failed"
(cd "$scratch/install" && find . ! -type d | sed 's/^\.//' | sort) >"$scratch/install-files"
if ! cmp -s "$scratch/deb-files" "$scratch/install-files"; then
  diff "$scratch/install-files" "$scratch/deb-files" >&2 || true
  fail "package contents differ from cmake --install (< install, > package)"
fi

root="$scratch/root"
mkdir "$root"
dpkg -x "$deb" "$root" || fail "dpkg -x failed"

if [ -n "$plugin_dir" ]; then
  plugin="$root$plugin_dir/ipsecdiag.so"
else
  plugin=$(find "$root" -path '*/wireshark/plugins/4.0/epan/ipsecdiag.so' | head -n 1)
fi
[ -n "$plugin" ] && [ -f "$plugin" ] || fail "plugin ipsecdiag.so missing from the package"
echo "ok plugin: ${plugin#"$root"}"

rules_count=0
for rules_file in "$source_dir"/rules/*.rules; do
  [ -e "$rules_file" ] || continue
  packaged="$root$rules_dir/$(basename "$rules_file")"
  [ -f "$packaged" ] || fail "rules file ${packaged#"$root"} missing from the package"
  cmp -s "$rules_file" "$packaged" || fail "${packaged#"$root"} differs from $rules_file"
  rules_count=$((rules_count + 1))
done
[ -d "$root$rules_dir" ] || fail "rules directory $rules_dir missing from the package"
echo "ok rules: $rules_count file(s) in $rules_dir"

# Control fields.
field() {
  dpkg-deb -f "$deb" "$1"
}
[ "$(field Package)" = ipsecdiag ] || fail "Package is '$(field Package)'"
[ "$(field Version)" = "$version" ] || fail "Version is '$(field Version)', not $version"
[ "$(field Architecture)" = "$arch" ] || fail "Architecture is '$(field Architecture)'"
[ "$(field Section)" = net ] || fail "Section is '$(field Section)'"
[ "$(field Maintainer)" = "ipsecdiag developers" ] || fail "Maintainer is '$(field Maintainer)'"
depends=$(field Depends)
for needed in 'libwireshark16 (>= 4.0)' 'libwireshark16 (<< 4.1)' libglib2.0-0; do
  case "$depends" in
    *"$needed"*) ;;
    *) fail "Depends lacks '$needed': $depends" ;;
  esac
done
echo "ok control: ipsecdiag $version $arch; Depends: $depends"

# Entry points Wireshark looks up when it loads a plugin.
nm -D --defined-only "$plugin" >"$scratch/symbols" || fail "nm -D failed"
for symbol in plugin_register plugin_version plugin_want_major plugin_want_minor; do
  grep -q " $symbol\$" "$scratch/symbols" || fail "the plugin does not export $symbol"
done
echo "ok symbols: plugin_register plugin_version plugin_want_major plugin_want_minor"
echo "PASS: $(basename "$deb")"
