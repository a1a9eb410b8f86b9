#!/usr/bin/env bash
# Start dockerd if nothing answers yet, and wait until it does.
set -euo pipefail
if docker info >/dev/null 2>&1; then exit 0; fi
if ! command -v dockerd >/dev/null; then
  echo "dockerd is not installed (apt-get install docker.io)" >&2
  exit 1
fi
log=${DOCKERD_LOG:-/var/log/dockerd.log}
echo "==> starting dockerd (log: $log)"
# setsid: the daemon must outlive the shell that started it.
setsid dockerd >"$log" 2>&1 </dev/null &
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then exit 0; fi
  sleep 1
done
echo "dockerd did not answer within 60 s; last lines of $log:" >&2
tail -n 20 "$log" >&2
exit 1
