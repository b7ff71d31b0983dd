"""The explorer as a user sees it: JupyterLab in Debian's chromium, driven by Playwright (skipped without them).

A tiny experiment (scikit-learn's digits, one-epoch models) is computed first into a temporary cache, which the
JupyterLab kernel reads through $MI_NONROBUST_CACHE; the test opens a notebook that shows the explorer, runs it,
changes the defense control and checks that the reconstructions and the numbers on the page change (and that the
target control names the catalogue's target the controls now make). The screenshot of
the explorer goes to figures/explorer.png (the README's).
"""
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = shutil.which('chromium') or ('/usr/bin/chromium' if Path('/usr/bin/chromium').exists() else None)
if CHROMIUM is None:
    pytest.skip("the browser test needs Debian's chromium ('sudo apt-get install chromium'; `make env` installs it "
                "when run as root)", allow_module_level=True)
sync_api = pytest.importorskip('playwright.sync_api', reason="the browser test needs Playwright ('pip install playwright'; "
                                                             "no browser download: it drives the system chromium)")

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOT = ROOT / 'figures' / 'explorer.png'
NOTEBOOK_CELL = """import torch
torch.set_num_threads(1)
from mi_nonrobust.widgets import explore, tiny_bases
panel = explore(tiny_bases())  # the cache is $MI_NONROBUST_CACHE, filled by the test
panel"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _notebook(path: Path) -> None:
    cell = {'cell_type': 'code', 'execution_count': None, 'id': 'explorer', 'metadata': {}, 'outputs': [],
            'source': NOTEBOOK_CELL}
    nb = {'cells': [cell], 'metadata': {'kernelspec': {'display_name': 'Python 3', 'language': 'python',
                                                       'name': 'python3'}}, 'nbformat': 4, 'nbformat_minor': 5}
    path.write_text(json.dumps(nb))


def _precompute(cache_dir: Path) -> list:
    "Compute the two settings the browser will show (standard and AT-AT) into the cache the kernel reads."
    import torch
    torch.set_num_threads(1)
    from mi_nonrobust.core import ArtifactCache
    from mi_nonrobust.widgets import Explorer, tiny_bases
    explorer = Explorer(tiny_bases(), cache=ArtifactCache(cache_dir))
    standard = explorer.default_setting()
    settings = [standard, type(standard)(**{**standard.__dict__, 'defense': 'atat'})]
    for setting in settings:
        explorer.compute(setting)
        assert explorer.status(setting).state == 'cached'
    return settings


def _start_lab(folder: Path, cache_dir: Path):
    port, token = _free_port(), secrets.token_hex(16)
    settings = folder / '.lab-settings' / '@jupyterlab' / 'apputils-extension'
    settings.mkdir(parents=True)
    (settings / 'notification.jupyterlab-settings').write_text(json.dumps({'fetchNews': 'false'}))
    env = {**os.environ, 'MI_NONROBUST_CACHE': str(cache_dir), 'OMP_NUM_THREADS': '1',
           'JUPYTERLAB_SETTINGS_DIR': str(folder / '.lab-settings'),
           'JUPYTERLAB_WORKSPACES_DIR': str(folder / '.lab-workspaces'), 'JUPYTER_RUNTIME_DIR': str(folder / '.runtime')}
    cmd = [sys.executable, '-m', 'jupyterlab', '--no-browser', '--ServerApp.ip=127.0.0.1', f'--ServerApp.port={port}',
           '--ServerApp.port_retries=0', f'--IdentityProvider.token={token}', f'--ServerApp.root_dir={folder}',
           '--ServerApp.terminals_enabled=False', '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate']
    if hasattr(os, 'geteuid') and os.geteuid() == 0: cmd.append('--allow-root')  # containers and CI run as root
    log = open(folder / 'jupyterlab.log', 'w')
    proc = subprocess.Popen(cmd, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f'http://127.0.0.1:{port}'
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"JupyterLab exited: {(folder / 'jupyterlab.log').read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f'{url}/api/status?token={token}', timeout=2) as r:
                if r.status == 200: return proc, url, token
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    raise RuntimeError(f"JupyterLab did not answer within 90 s: {(folder / 'jupyterlab.log').read_text()[-2000:]}")


def _stop(proc) -> None:
    proc.terminate()
    try: proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill(); proc.wait(10)


def _summary(page) -> list:
    "The numbers table of the explorer as rows of cell texts."
    return page.eval_on_selector_all('.mi-numbers table.mi-summary tr',
                                     'rows => rows.map(r => Array.from(r.cells).map(c => c.innerText))')


def test_explorer_in_jupyterlab(tmp_path):
    start = time.perf_counter()
    cache_dir = tmp_path / 'cache'
    _precompute(cache_dir)
    computed = time.perf_counter() - start
    _notebook(tmp_path / 'explorer.ipynb')
    proc, url, token = _start_lab(tmp_path, cache_dir)
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM,
                                        args=['--no-sandbox'] if hasattr(os, 'geteuid') and os.geteuid() == 0 else [])
            page = browser.new_page(viewport={'width': 1500, 'height': 1400})
            page.goto(f'{url}/lab/tree/explorer.ipynb?token={token}')
            page.wait_for_selector('.jp-Notebook .jp-CodeCell .cm-content', timeout=90_000)
            page.wait_for_selector('.jp-StatusBar-TextItem:has-text("| Idle")', timeout=90_000)  # kernel ready
            page.click('.jp-Notebook .jp-CodeCell .cm-content')
            page.keyboard.press('Shift+Enter')  # run the cell, as a user would
            page.wait_for_selector('.mi-explorer .mi-numbers table.mi-summary', timeout=120_000)
            page.wait_for_selector('.mi-explorer img.mi-recon[src]', timeout=30_000)
            before_rows, before_image = _summary(page), page.locator('.mi-explorer img.mi-recon').screenshot()
            assert 'none, gmi, seed 0' in page.inner_text('.mi-numbers')
            assert before_rows[0][:2] == ['metric', 'this target'] and len(before_rows) > 8

            page.select_option('.mi-explorer .mi-defense select', 'atat')  # the user picks AT-AT
            page.wait_for_function("document.querySelector('.mi-numbers') && "
                                   "document.querySelector('.mi-numbers').innerText.includes('atat weight=0.08')",
                                   timeout=60_000)
            for _ in range(20):  # the new image was sent before the numbers; give the browser a moment to paint it
                after_image = page.locator('.mi-explorer img.mi-recon').screenshot()
                if after_image != before_image: break
                page.wait_for_timeout(250)
            after_rows = _summary(page)
            assert 'In the cache' in page.inner_text('.mi-explorer .mi-status')  # shown from the cache: no training
            assert page.input_value('.mi-explorer .mi-strength input') == '0.08'  # AT-AT's weight, set by the handler
            assert page.input_value('.mi-explorer .mi-target select') == 'AT-AT'  # the catalogue's target it makes
            assert after_image != before_image  # other reconstructions on the page
            assert [r[0] for r in after_rows] == [r[0] for r in before_rows]
            changed = [b[0] for b, a in zip(before_rows[1:], after_rows[1:]) if b[1] != a[1]]
            assert changed, "no number of the target changed"  # e.g. attack accuracy, KNN distance, holdout share
            SCREENSHOT.parent.mkdir(exist_ok=True)
            page.locator('.mi-explorer').screenshot(path=str(SCREENSHOT))
            browser.close()
    finally:
        _stop(proc)
    total = time.perf_counter() - start
    print(f"precompute {computed:.0f} s, whole test {total:.0f} s; numbers that changed: {changed}")
