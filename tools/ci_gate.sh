#!/usr/bin/env bash
# The CI gate: notebooks clean, library and README in sync with the notebooks, notebook tests, pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH" OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" MPLBACKEND=Agg

snapshot() { find "$@" -type f \( -name '*.ipynb' -o -name '*.py' -o -name '*.toml' \) -not -path '*/.ipynb_checkpoints/*' \
               -not -path '*/__pycache__/*' 2>/dev/null | sort | xargs sha256sum; }

before=$(snapshot nbs); nbdev_clean
[ "$before" = "$(snapshot nbs)" ] || { echo "FAIL: notebooks were not clean; run nbdev_clean and commit"; git status --short nbs; exit 1; }

before=$(snapshot mi_nonrobust pyproject.toml); nbdev_export
[ "$before" = "$(snapshot mi_nonrobust pyproject.toml)" ] || {
  echo "FAIL: mi_nonrobust/ was out of sync with the notebooks; run nbdev_export and commit"; git status --short mi_nonrobust; exit 1; }

python tools/render_readme.py --check
python -c "import importlib, pkgutil, mi_nonrobust as m; [importlib.import_module('mi_nonrobust.' + x.name) for x in pkgutil.iter_modules(m.__path__)]"

echo "nbdev_test:"
timeout 1200 nbdev_test --n_workers 2 --timing
python -m pytest -q tests

# the reproduction check: a committed figure rebuilt from an empty cache must match its JSON (numbers within their
# replicate intervals, every verdict unchanged); every difference is printed
echo "reproduction check:"
timeout 1800 mi_figures --check fig2e_digits --quiet
