"""The dependency figure end to end under papermill, on a tiny problem (digits at 28 px, two seeds, four targets, CPU)."""
import json
import math

import pytest

from mi_nonrobust.figures import run_figure

from figure_checks import check_target_rows

TARGETS = ['standard', 'BiDO-HSIC', 'BiDO**', 'TL-DMI k2']
TINY = dict(dataset='digits', image_size=28, private_classes=[0, 1, 2, 3, 4], seeds=[0, 1], targets=TARGETS,
            n_private_per_class=20, n_eval=300, target_epochs=2, tldmi_pretrain_epochs=1, eval_epochs=2, prior_epochs=1,
            prior_width=8, prior_images=300, attack_steps=10, n_per_class=2, robust_eps=[0.1], n_robust=50,
            holdout_reference=10, holdout_permutations=100, hsic_batch_size=32, fisher_samples=40, device='cpu', workers=1)


def test_fig3_writes_dependency_leakage_and_reading(tmp_path):
    entry = run_figure('fig3_dependency', parameters={**TINY, 'cache_dir': str(tmp_path / 'cache')}, out_dir=tmp_path,
                       show_table=False)
    sidecar = json.loads((tmp_path / 'fig3_dependency.json').read_text())
    assert set(entry['outputs']) == {'fig3_dependency.png', 'fig3_dependency.json'}
    assert entry['parameters']['targets'] == TARGETS and entry['parameters']['hsic_batch_size'] == 32
    numbers = sidecar['numbers']
    rows = {r['label']: r for r in numbers['summary']}
    # the targets in the figure's order, then the no-leakage references of the idealised protocol
    assert list(rows) == [*TARGETS, 'surrogate', 'prior samples', 'real: unseen private', 'real: attacker public']
    assert [r['label'] for r in sidecar['table']] == list(rows)
    check_target_rows(rows, TARGETS)
    for label in TARGETS:
        assert rows[label]['knn_feat'] >= 0 and rows[label]['hsic_x_mean'] > 0 and rows[label]['hsic_y_mean'] > 0
    assert math.isnan(rows['surrogate']['hsic_x_mean'])  # dependency is measured on the targets only

    # per-layer HSIC: one value per stage of the cnn (4) for each target, every seed's rows kept
    assert set(numbers['hsic_layers']) == set(TARGETS)
    for label, layers in numbers['hsic_layers'].items():
        for m in ('hsic_x', 'hsic_y'):
            assert len(layers[m]['mean']) == 4 and all(v > 0 and math.isfinite(v) for v in layers[m]['mean'])
            assert all(lo <= v <= hi for lo, v, hi in zip(layers[m]['lo'], layers[m]['mean'], layers[m]['hi']))
    assert len(numbers['dependency']) == len(TARGETS) * 2 * 4
    # the normalised HSIC is tr(R_a R_b) of two operators with eigenvalues in [0, 1): below the rank of either, so
    # HSIC(X; Z) < the batch size (32) and HSIC(Y; Z) < the rank of the centred label kernel (5 classes: 4)
    assert all(0 < d['hsic_x'] < 32 and 0 < d['hsic_y'] < 4 for d in numbers['dependency'])

    # Fisher information per stage and head, non-negative, for every seed's target
    fisher = numbers['fisher']
    assert {f['group'] for f in fisher} == {'stage_1', 'stage_2', 'stage_3', 'stage_4', 'head'}
    assert len(fisher) == len(TARGETS) * 2 * 5 and all(f['fisher'] >= 0 for f in fisher)

    paired = {(p['label'], p['baseline'], p['metric']) for p in numbers['paired']}
    for label in TARGETS[1:]:
        for metric in ('acc1', 'holdout_feat', 'hsic_x_mean', 'hsic_y_mean', 'clean_acc'):
            assert (label, 'standard', metric) in paired
    assert ('BiDO**', 'BiDO-HSIC', 'hsic_x_mean') in paired and ('standard', 'surrogate', 'holdout_feat') in paired
    assert all(math.isfinite(p['diff']) for p in numbers['paired'])
    assert len(numbers['statements']) == len(numbers['paired'])
    assert [r['label'] for r in numbers['reading']] == [*TARGETS[1:], 'BiDO** vs BiDO-HSIC']
    assert set(numbers['calibrated_spaces']) == {'pixel', 'feat'}
    # TL-DMI's pretraining configuration is written out as its fields
    assert numbers['targets']['TL-DMI k2'][0][1]['pretrain_config']['epochs'] == 1
    assert len(numbers['per_seed']) == 2 * (len(TARGETS) + 4) and all('seconds' not in r for r in numbers['per_seed'])


def test_fig3_refuses_unknown_targets(tmp_path):
    with pytest.raises(Exception, match="unknown target 'MiD'; valid targets: standard, AT, AT 0.05"):
        run_figure('fig3_dependency', parameters={**TINY, 'targets': ['standard', 'MiD'], 'cache_dir': str(tmp_path / 'c')},
                   out_dir=tmp_path, show_table=False)
