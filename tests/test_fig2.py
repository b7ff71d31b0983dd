"""The headline figure end to end under papermill, on a tiny problem (digits at 28 px, two seeds, two targets, CPU)."""
import json
import math

import pytest

from mi_nonrobust.figures import run_figure

TINY = dict(dataset='digits', image_size=28, private_classes=[0, 1, 2, 3, 4], seeds=[0, 1], targets=['standard', 'AT-AT'],
            n_private_per_class=40, n_eval=300, target_epochs=2, eval_epochs=2, prior_epochs=1, prior_width=8,
            prior_images=300, attack_steps=10, attack_steps_more=[20], n_per_class=2, n_robust=50, holdout_reference=10,
            holdout_permutations=100, device='cpu')


def test_fig2_writes_figure_sidecar_and_manifest(tmp_path):
    entry = run_figure('fig2_headline', parameters={**TINY, 'variance_seeds': [0, 1], 'cache_dir': str(tmp_path / 'cache')},
                       out_dir=tmp_path, show_table=False)
    sidecar = json.loads((tmp_path / 'fig2_headline.json').read_text())
    assert set(entry['outputs']) == {'fig2_headline.png', 'fig2_headline.json'}
    assert entry['parameters']['targets'] == ['standard', 'AT-AT'] and entry['parameters']['attack_steps'] == 10
    assert [r['label'] for r in sidecar['table']] == [r['label'] for r in sidecar['numbers']['summary']]
    rows = {r['label']: r for r in sidecar['numbers']['summary']}
    # the targets, then every no-leakage reference of the idealised protocol
    assert list(rows) == ['standard', 'AT-AT', 'surrogate', 'prior samples', 'real: unseen private',
                          'real: attacker public']
    for label in ('standard', 'AT-AT', 'surrogate'):
        r = rows[label]
        assert 0.2 < r['clean_acc'] <= 1 and r['clean_acc_lo'] <= r['clean_acc'] <= r['clean_acc_hi']
    for r in rows.values():
        assert 0 <= r['acc1'] <= 1 and r['knn_feat'] >= 0 and 0 <= r['holdout_pixel'] <= 1
        assert r['holdout_feat_lo'] <= r['holdout_feat'] <= r['holdout_feat_hi']
        assert 'acc5' not in r  # 5 classes: Acc@5 would be 1 by construction
        assert {'prdc_precision', 'prdc_recall', 'prdc_density', 'prdc_coverage'} <= set(r)  # beside KNN
    numbers = sidecar['numbers']
    assert len(numbers['per_seed']) == 2 * 6 and {r['seed'] for r in numbers['per_seed']} == {0, 1}
    assert all('seconds' not in r for r in numbers['per_seed'])  # run-to-run timings stay out of committed files
    # the ladder: every attack that had not converged at 10 steps was rerun with 20
    gmi = [r for r in numbers['per_seed'] if r['attack'] == 'gmi']
    assert all(r['attack_steps_first'] == 10 and r['attack_steps'] in (10, 20) for r in gmi)
    assert all(r['converged'] for r in gmi if r['attack_steps'] == 10)
    assert entry['parameters']['attack_steps_more'] == [20]
    paired = {(p['label'], p['baseline'], p['metric']) for p in numbers['paired']}
    assert ('AT-AT', 'standard', 'knn_feat') in paired and ('standard', 'surrogate', 'holdout_feat') in paired
    assert len(numbers['statements']) == len(numbers['paired'])
    # one family per figure: every comparison carries both tests and the adjusted p that decides it
    family = len(numbers['paired'])
    assert all(p['adjustment'] == f'bh over {family}' for p in numbers['paired'])
    assert all(p['resolved'] == (p['p_adjusted'] < 0.05) and p['p_adjusted'] >= p['p_exact'] >= 0.5
               for p in numbers['paired'])  # two seeds: the exact test's floor is 2 / 2^2
    assert set(numbers['calibrated_spaces']) == {'pixel', 'feat'}
    assert {c['reference'] for c in numbers['calibration']} == {'prior samples', 'real: unseen private',
                                                                'real: attacker public'}
    assert all(math.isfinite(p['diff']) for p in numbers['paired'])
    # the variance split: every target and compared metric, both variances over the two seeds, a share in [0, 1]
    split = numbers['variance_split']
    assert {(r['label'], r['metric']) for r in split} >= {('standard', 'acc1'), ('AT-AT', 'holdout_feat')}
    assert all(r['n_full'] == 2 and r['n_target_only'] == 2 for r in split)
    for r in split:
        if math.isfinite(r['measuring_share']):
            assert 0 <= r['measuring_share_lo'] <= r['measuring_share'] <= r['measuring_share_hi'] <= 1


def test_fig2_refuses_unknown_targets(tmp_path):
    with pytest.raises(Exception, match="unknown target 'MiD'; valid targets: standard, AT, AT 0.05, AT robust, AT-AT"):
        run_figure('fig2_headline', parameters={**TINY, 'targets': ['standard', 'MiD'], 'cache_dir': str(tmp_path / 'c')},
                   out_dir=tmp_path, show_table=False)
