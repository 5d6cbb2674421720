#!/usr/bin/env bash
# The shared-state tests (tests/test_redis.py) start Debian's redis-server on a free port of
# 127.0.0.1; install it when it is missing and we may (root). Without it those tests are skipped.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's redis-server for the shared-state tests..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  # Only the binary is wanted: the tests start their own server; the packaged service stays off.
  if command -v systemctl >/dev/null 2>&1; then systemctl disable --now redis-server >/dev/null 2>&1 || true; fi
  if command -v service >/dev/null 2>&1; then service redis-server stop >/dev/null 2>&1 || true; fi
else
  echo "redis-server is not installed and cannot be installed here: the Redis tests will be skipped" >&2
fi
