#!/usr/bin/env bash
# The browser tests drive Debian's Chromium (and screenshots need a Chinese font); install them
# when they are missing and we may (root).
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "noto sans cjk"; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's chromium and fonts-noto-cjk for the browser tests..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
else
  echo "chromium is not installed and cannot be installed here: the browser tests will be skipped" >&2
fi
