#!/usr/bin/env bash
# One-time, idempotent set-up on Debian 12: system packages by name, blst from its npm package
# (integrity pinned in scripts/blst.lock), nothing else. Re-running when all is present takes < 1 s.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cache="$here/.cache"

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libsodium-dev librocksdb-dev libasio-dev libssl-dev libcpp-httplib-dev
  nlohmann-json3-dev libcli11-dev libspdlog-dev libtomlplusplus-dev librust-blake3-dev
  libgtest-dev libgmock-dev libbenchmark-dev clang libclang-rt-14-dev libjemalloc-dev
  openssl
  ccache  # compiler cache: a fresh clone's build reuses earlier ones (the Makefile sets CCACHE_BASEDIR)
  chromium  # headless, for the gateway dashboard's end-to-end test (tests/process/wallet_dashboard_test.cpp)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm fetches blst; the machine may already carry its own Node.js outside Debian's packages.
command -v npm >/dev/null 2>&1 || missing+=(npm)
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# blst: fetched as the npm package named in the design brief, verified, built with its own build.sh.
# shellcheck source=/dev/null
. "$here/scripts/blst.lock"
blst_dir="$cache/blst-$BLST_VERSION"
if [ ! -f "$blst_dir/libblst.a" ]; then
  echo "setup: building blst $BLST_VERSION"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "$BLST_PACKAGE@$BLST_VERSION" >/dev/null 2>&1)
  tgz=$(ls "$tmp"/*.tgz)
  got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
  if [ "$got" != "$BLST_INTEGRITY" ]; then
    echo "setup: blst package integrity mismatch: got $got, want $BLST_INTEGRITY" >&2
    exit 1
  fi
  tar -xzf "$tgz" -C "$tmp"
  # __BLST_PORTABLE__ selects ADX code paths at run time, so the cache works on any x86-64 host.
  (cd "$tmp/package/blst" && ./build.sh -D__BLST_PORTABLE__ >/dev/null)
  rm -rf "$blst_dir" && mkdir -p "$blst_dir/include"
  cp "$tmp/package/blst/libblst.a" "$blst_dir/"
  cp "$tmp/package/blst/bindings/blst.h" "$tmp/package/blst/bindings/blst_aux.h" \
     "$tmp/package/blst/bindings/blst.hpp" "$blst_dir/include/"
fi

# BLAKE3 is compiled by CMake straight from Debian's C sources; check they are where we expect.
blake3_c=$(dpkg -L librust-blake3-dev | grep '/c/blake3\.c$' | head -n1)
[ -n "$blake3_c" ] || { echo "setup: librust-blake3-dev has no c/blake3.c" >&2; exit 1; }
mkdir -p "$cache"
echo "$(dirname "$blake3_c")" > "$cache/blake3-src-dir"
