#!/usr/bin/env bash
# One line per step for a newcomer: `scripts/step.sh <message> <log name> <command...>` prints the message,
# runs the command with its whole output in var/log/<log name>.log, and on failure shows the log's tail.
set -uo pipefail
message=$1 name=$2
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$root/var/log"
log="$root/var/log/$name.log"
echo "$message"
"$@" </dev/null >"$log" 2>&1
status=$?
if [ "$status" -ne 0 ]; then
  echo "失败：$message 完整记录：$log" >&2
  tail -n 30 "$log" >&2
  exit "$status"
fi
