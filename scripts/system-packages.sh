#!/usr/bin/env bash
# Checks the system packages of system-packages.txt and installs the missing ones.
#   scripts/system-packages.sh run    what `make run` / `make dev` need (no browser)
#   scripts/system-packages.sh test   everything `make test` needs (adds poppler-utils, Liberation, chromium)
# As root it installs them with apt-get (one update, no recommends, quiet; full log in var/log/); as another
# user it prints the exact command to run and stops. KC_SKIP_SYSTEM_PACKAGES=1 skips the check (non-Debian
# machines that provide the same libraries and fonts another way).
set -euo pipefail
when=${1:-}
case "$when" in run|test) ;; *) echo "usage: $0 run|test" >&2; exit 2 ;; esac
[ "${KC_SKIP_SYSTEM_PACKAGES:-0}" = 1 ] && exit 0

root=$(cd "$(dirname "$0")/.." && pwd)
wanted=()
while read -r pkg scope _; do
  case "$pkg" in ''|'#'*) continue ;; esac
  if [ "$scope" = run ] || [ "$when" = test ]; then wanted+=("$pkg"); fi
done < "$root/system-packages.txt"

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  echo "系统软件包：这台机器不是 Debian/Ubuntu（没有 dpkg-query/apt-get）。请自行安装相应的软件：" >&2
  echo "  ${wanted[*]}" >&2
  echo "装好后用 KC_SKIP_SYSTEM_PACKAGES=1 跳过这项检查。" >&2
  exit 1
fi

missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "缺少系统软件包：${missing[*]}" >&2
  echo "请运行下面的命令安装，然后重新执行 make $when：" >&2
  echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

echo "安装系统软件包：${missing[*]}…"
mkdir -p "$root/var/log"
log="$root/var/log/system-packages.log"
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } </dev/null >"$log" 2>&1; then
  echo "安装系统软件包失败。完整记录：$log" >&2
  tail -n 20 "$log" >&2
  exit 1
fi
