"""The figure runner end to end: papermill, sidecar, manifest, parameter checks (tiny parameters, CPU)."""
import json

import pytest

from mi_nonrobust.figures import FIGURES, main, run_figure

TINY = dict(n_private_per_class=20, target_epochs=1, eval_epochs=1, device='cpu')


def test_fig0_runs_under_papermill_and_records_the_manifest(tmp_path, capsys):
    entry = run_figure('fig0_targets', parameters={**TINY, 'cache_dir': str(tmp_path / 'cache')}, out_dir=tmp_path)
    sidecar = json.loads((tmp_path / 'fig0_targets.json').read_text())
    manifest = json.loads((tmp_path / 'manifest.json').read_text())
    assert set(entry['outputs']) == {'fig0_targets.png', 'fig0_targets.json'}
    assert manifest['fig0_targets'] == entry
    assert entry['parameters']['target_epochs'] == 1 and entry['profile'] == 'quick'
    assert entry['parameters']['dataset'] == 'fashion_mnist' and entry['parameters']['private_classes'] == [0, 1, 2, 3, 4]  # defaults too
    assert [row['model'] for row in sidecar['table']] == ['target', 'evaluation']
    assert all(0.2 < row['test_acc'] <= 1 for row in sidecar['table'])  # 5 classes: chance is 0.2
    assert 'test_acc' in capsys.readouterr().out  # the runner prints the table


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
