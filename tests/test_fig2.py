"""The headline figure end to end under papermill, on a tiny problem (digits at 28 px, one seed, two targets, CPU)."""
import json
import math

import pytest

from mi_nonrobust.figures import run_figure

TINY = dict(dataset='digits', image_size=28, seeds=[0], targets=['standard', 'AT-AT'], n_private_per_class=60, n_eval=300,
            target_epochs=2, eval_epochs=2, prior_epochs=1, prior_width=8, prior_images=300, attack_steps=10, n_per_class=2,
            n_robust=50, device='cpu')


def test_fig2_writes_figure_sidecar_and_manifest(tmp_path):
    entry = run_figure('fig2_headline', parameters={**TINY, 'cache_dir': str(tmp_path / 'cache')}, out_dir=tmp_path,
                       show_table=False)
    sidecar = json.loads((tmp_path / 'fig2_headline.json').read_text())
    assert set(entry['outputs']) == {'fig2_headline.png', 'fig2_headline.json'}
    assert entry['parameters']['targets'] == ['standard', 'AT-AT'] and entry['parameters']['attack_steps'] == 10
    rows = sidecar['table']
    # one row per (target, attacker); every number a probability or a finite distance
    assert {(r['label'], r['prior'], r['attack']) for r in rows} == {
        (t, p, a) for t in ('standard', 'AT-AT') for p, a in (('disjoint_samples', 'gmi'), ('disjoint_classes', 'gmi'),
                                                              ('none', 'pixel'))}
    for r in rows:
        assert 0.2 < r['clean_acc'] <= 1 and 0 <= r['acc1'] <= 1 and 0 <= r['acc5'] <= 1
        assert r['knn_feat'] >= 0 and r['knn_pixel'] > 0 and math.isfinite(r['fid'])
    per_class = sidecar['numbers']['per_class']
    assert len(per_class) == 6 and all(len(r['per_class']) == 5 for r in per_class)


def test_fig2_refuses_unknown_targets(tmp_path):
    with pytest.raises(Exception, match='valid targets: standard, AT, AT-AT, AT-AT strong'):
        run_figure('fig2_headline', parameters={**TINY, 'targets': ['MID'], 'cache_dir': str(tmp_path / 'c')},
                   out_dir=tmp_path, show_table=False)
