"""The figure runner end to end: papermill, sidecar, manifest, page, parameter checks (tiny parameters, CPU)."""
import json
import subprocess
import sys

import pytest

from mi_nonrobust import figures, runner
from mi_nonrobust.figures import FIGURES
from mi_nonrobust.pages import render_page
from mi_nonrobust.runner import main, run_figure
from mi_nonrobust.sidecars import read_sidecar, run_record_path

TINY = dict(n_private_per_class=20, target_epochs=1, eval_epochs=1, device='cpu')
COMMITTED = ('fig0_targets.json', 'fig0_targets.png', 'manifest.json')  # committed files a rerun keeps byte for byte


def _keys(obj):
    if isinstance(obj, dict): return set(obj) | {k for v in obj.values() for k in _keys(v)}
    if isinstance(obj, list): return {k for v in obj for k in _keys(v)}
    return set()


def test_fig0_runs_under_papermill_and_records_the_manifest(tmp_path, capfd, monkeypatch):
    # the code fingerprint hashes the package's files, which a concurrent nbdev_export may rewrite between the two runs
    assert runner.code_version(figures.repo_root() / FIGURES['fig0_targets'].notebook) != ''
    monkeypatch.setattr(runner, 'code_version', lambda notebook: 'pinned')
    params = {**TINY, 'cache_dir': str(tmp_path / 'cache')}
    entry = run_figure('fig0_targets', parameters=params, out_dir=tmp_path, cold=True)  # from a new, empty cache
    sidecar = json.loads((tmp_path / 'fig0_targets.json').read_text())
    manifest = json.loads((tmp_path / 'manifest.json').read_text())
    assert set(entry['outputs']) == {'fig0_targets.png', 'fig0_targets.json'}
    assert manifest['fig0_targets'] == entry
    assert entry['parameters']['target_epochs'] == 1 and entry['profile'] == 'quick' and entry['threads'] == 1
    # the defaults are recorded too
    effective = entry['parameters']
    assert effective['dataset'] == 'fashion_mnist' and effective['private_classes'] == [0, 1, 2, 3, 4]
    assert [row['model'] for row in sidecar['table']] == ['target', 'evaluation']
    assert all(0.2 < row['test_acc'] <= 1 for row in sidecar['table'])  # 5 classes: chance is 0.2
    captured = capfd.readouterr()
    assert 'test_acc' in captured.out and 'train_s' in captured.out  # the runner prints the table, timings included
    assert 'without encryption' not in captured.err, captured.err  # the kernel runs on IPC sockets, not TCP
    # the cold build's cost is recorded with it, and the temporary cache is not
    assert entry['cold'] is True and entry['parameters']['cache_dir'] == ''
    assert entry['cold_run']['wall_s'] > 0 and entry['cold_run']['processor'] and entry['cold_run']['cores'] >= 1
    # other run-to-run values stay out of the committed files, in the run record under _runs/ (gitignored)
    kept = {k: v for k, v in manifest['fig0_targets'].items() if k != 'cold_run'}
    timing_keys = {k for k in _keys(sidecar) | _keys(kept) if k == 'seconds' or k.endswith(('_seconds', '_s'))}
    assert not timing_keys and 'git_commit' not in entry, timing_keys
    record = json.loads(run_record_path(tmp_path, 'fig0_targets').read_text())
    assert record['git_commit'] and record['timings']['table']['0']['train_s'] > 0
    assert record['wall_s'] > 0 and record['max_rss_mb'] > 0  # the cost of the run, in its ignored run record
    assert read_sidecar(tmp_path, 'fig0_targets')['table'][0]['train_s'] > 0
    page = (tmp_path / 'fig0_targets.md').read_text()  # the runner wrote the results page
    assert page.splitlines()[2] == '# fig0_targets: target and evaluation classifiers'
    assert '![fig0_targets.png](fig0_targets.png)' in page and '| target | cnn |' in page
    assert '- built from an empty cache: wall time' in page  # the committed cold build; nothing from _runs/
    # an identical rerun (models now from the cache) rewrites the committed files byte for byte
    # (through the console script, which streams the notebook's own output while it runs)
    before = {name: (tmp_path / name).read_bytes() for name in COMMITTED}
    monkeypatch.setenv('MI_NONROBUST_CACHE', str(tmp_path / 'cache'))  # the default cache, recorded as ''
    assert main(['--only', 'fig0_targets', '--out-dir', str(tmp_path),
                 *[a for k, v in TINY.items() for a in ('-p', f'{k}={json.dumps(v)}')]]) == 0
    assert {name: (tmp_path / name).read_bytes() for name in COMMITTED} == before  # the cold record kept too
    assert "'arch': 'cnn'" in capfd.readouterr().out  # the notebook's last cell (a list of dicts), streamed


def test_bad_figure_requests_are_refused_before_running(tmp_path):
    with pytest.raises(ValueError, match='valid figures: fig0_targets'):
        run_figure('fig_nope', out_dir=tmp_path)
    with pytest.raises(ValueError, match="must be of type int"):
        run_figure('fig0_targets', parameters={'target_epochs': 'three'}, out_dir=tmp_path)
    with pytest.raises(ValueError, match="has no parameter 'epochs'"):
        run_figure('fig0_targets', parameters={'epochs': 1}, out_dir=tmp_path)
    with pytest.raises(ValueError, match='valid profiles: paper, quick'):
        run_figure('fig0_targets', profile='huge', out_dir=tmp_path)
    assert not (tmp_path / 'manifest.json').exists()


def test_console_script_lists_figures(capsys):
    assert main(['--list']) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in FIGURES) and 'target_epochs: int' in out


def test_console_script_reports_a_bad_figure_in_one_line(tmp_path):
    script = 'import sys; from mi_nonrobust.runner import main; sys.exit(main())'
    done = subprocess.run([sys.executable, '-c', script, '--only', 'nosuchfig', '--out-dir', str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == ''
    assert 'Traceback' not in done.stderr, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("mi_figures: error: unknown figure 'nosuchfig'; valid figures:")
    assert not (tmp_path / 'manifest.json').exists()


def test_workers_and_scheduler_reach_the_templates_that_take_them(monkeypatch, capsys):
    calls = {}
    monkeypatch.setattr(runner, 'run_figure', lambda name, **kw: calls.setdefault(name, kw['parameters']))
    assert runner.main(['--only', 'fig0_targets', 'fig2_headline', '--workers', '2',
                        '--scheduler', 'tcp://10.0.0.5:8786']) == 0
    assert calls == {'fig0_targets': {}, 'fig2_headline': {'workers': 2, 'scheduler': 'tcp://10.0.0.5:8786'}}
    assert 'fig0_targets: its template has no scheduler or workers parameter' in capsys.readouterr().out
    with pytest.raises(SystemExit) as stop:
        runner.main(['--only', 'fig2_headline', '--workers', '0'])
    assert stop.value.code == 2 and calls.keys() == {'fig0_targets', 'fig2_headline'}


def test_threads_reach_every_figure(monkeypatch):
    calls = {}
    monkeypatch.setattr(runner, 'run_figure', lambda name, **kw: calls.setdefault(name, kw['threads']))
    assert runner.main(['--only', 'fig0_targets']) == 0 and calls == {'fig0_targets': 1}  # one thread unless asked
    assert runner.main(['--only', 'fig2_headline', '--threads', '4']) == 0 and calls['fig2_headline'] == 4
    with pytest.raises(SystemExit) as stop:
        runner.main(['--only', 'fig5_memorisation', '--threads', '0'])
    assert stop.value.code == 2 and 'fig5_memorisation' not in calls


def test_moved_names_are_still_importable_from_figures():
    # the templates import these from `figures`; they live in `sidecars` and `runner` now
    from mi_nonrobust.figures import build_fixed_stages, save_figure, write_sidecar  # noqa: F401
    assert figures.run_figure is runner.run_figure and figures.main is runner.main
    with pytest.raises(AttributeError, match='no_such_name'):
        figures.no_such_name


def test_committed_pages_are_what_the_json_gives():
    # every committed figure has its page, and it is what `mi_figures --pages` writes from the committed JSON
    committed = figures.repo_root() / 'figures'
    for name in json.loads((committed / 'manifest.json').read_text()):
        assert (committed / f'{name}.md').read_text() == render_page(committed, name), \
            f'figures/{name}.md is stale (its JSON or template changed): run `mi_figures --pages`'


def test_readme_tables_are_what_the_json_gives():
    # the README's at-a-glance table, page index and the paper protocol's step costs are outputs of nbs/index.ipynb
    # computed from committed JSON: the stored outputs (rendered into README.md) must be what that JSON gives now
    import ast
    nb = json.loads((figures.repo_root() / 'nbs' / 'index.ipynb').read_text())
    cells = [c for c in nb['cells'] if c['cell_type'] == 'code' and any('text/markdown' in o.get('data', {})
                                                                          for o in c.get('outputs', []))]
    assert len(cells) == 3, 'expected the at-a-glance cell, the page index cell and the protocol costs cell'
    namespace = {}
    for cell in cells:
        tree = ast.parse(''.join(cell['source']))
        last = ast.Expression(tree.body.pop().value)
        exec(compile(tree, 'index.ipynb', 'exec'), namespace)
        shown = eval(compile(last, 'index.ipynb', 'eval'), namespace)
        stored = next(''.join(o['data']['text/markdown']) for o in cell['outputs']
                      if 'text/markdown' in o.get('data', {}))
        assert shown.data == stored, \
            'the README is stale: run nbs/index.ipynb, save it, then `python tools/render_readme.py`'
