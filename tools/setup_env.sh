#!/usr/bin/env bash
# Make the environment: the Debian Fashion-MNIST package when possible, then .venv with the pinned packages.
# Idempotent: reinstalls only when requirements.txt, setup.py or settings.ini changed.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${MI_NONROBUST_DATA:-}" ] && [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian package dataset-fashion-mnist"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >/dev/null
  else
    echo "note: Fashion-MNIST not found. Get it with 'sudo apt-get install dataset-fashion-mnist', or set" \
         "MI_NONROBUST_DATA to a folder holding its four IDX .gz files, or allow torchvision's download." >&2
  fi
fi

# the browser test drives Debian's chromium through Playwright (no browser download)
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian package chromium (for the browser test of the explorer)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "note: chromium not found; the browser test of the explorer will be skipped ('sudo apt-get install chromium')." >&2
  fi
fi

stamp=.venv/.requirements.sha256
want=$(cat requirements.txt setup.py settings.ini | sha256sum | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "creating .venv with the pinned packages of requirements.txt (a few minutes the first time)"
  python3 -m venv .venv
  .venv/bin/python -m pip install -q -r requirements.txt
  .venv/bin/python -m pip install -q --no-deps --no-build-isolation -e .
  echo "$want" > "$stamp"
fi
