#!/usr/bin/env bash
# Installs Prometheus with promtool and Alertmanager with amtool, from Debian's packages, for the
# collector tests (test/collector/promtool.test.ts) and the e2e alert test (a real Prometheus),
# which fail under CI=true when the tools are missing. Idempotent: does nothing when all three are
# already on PATH. Needs root (or sudo) and apt.
set -euo pipefail

if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 && command -v amtool >/dev/null 2>&1; then
  echo "install-prometheus: prometheus, promtool and amtool already installed"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-prometheus: apt-get not found; install promtool and amtool yourself (or set PROMTOOL/AMTOOL)." >&2
  exit 2
fi

sudo_cmd=()
if [[ "$(id -u)" -ne 0 ]]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "install-prometheus: not root and no sudo; cannot install packages." >&2
    exit 2
  fi
  sudo_cmd=(sudo)
fi

export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends prometheus prometheus-alertmanager >/dev/null

promtool --version 2>&1 | head -n 1
amtool --version 2>&1 | head -n 1
