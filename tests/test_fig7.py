"""The BiDO+ figure end to end under papermill, on a tiny problem (digits at 28 px, two seeds, three targets, CPU)."""
import json
import math

import pytest

from mi_nonrobust.figures import run_figure

from figure_checks import check_target_rows

TARGETS = ['standard', 'BiDO-HSIC', 'BiDO-HSIC+']
# digits' outlier source is Fashion-MNIST: 'fashion_mnist' is its held-out images, MNIST a second source (digits like
# the private ones, so not out-of-distribution in meaning: the test checks the mechanics, not the detection)
# the attacker's prior on the other five classes: no surrogate and no public reference, so fewer rows to score
TINY = dict(dataset='digits', image_size=28, private_classes=[0, 1, 2, 3, 4], prior='disjoint_classes', seeds=[0, 1],
            targets=TARGETS, n_private_per_class=20, n_eval=300, target_epochs=2, eval_epochs=2, prior_epochs=1,
            prior_width=8, prior_images=300, attack_steps=10, n_per_class=2, robust_eps=[0.1], n_robust=50,
            holdout_reference=10, holdout_permutations=100, n_outliers=300, ood_sets=['fashion_mnist', 'mnist'],
            n_ood=200, n_id=0, device='cpu', workers=1)
SETS = ['fashion_mnist (held out)', 'mnist']


def test_fig7_writes_ood_leakage_and_claim(tmp_path):
    entry = run_figure('fig7_bido_plus', parameters={**TINY, 'cache_dir': str(tmp_path / 'cache')}, out_dir=tmp_path,
                       show_table=False)
    sidecar = json.loads((tmp_path / 'fig7_bido_plus.json').read_text())
    assert set(entry['outputs']) == {'fig7_bido_plus.png', 'fig7_bido_plus.json'}
    assert entry['parameters']['targets'] == TARGETS and entry['parameters']['energy_margins'] == [-11.0, -4.0]
    numbers = sidecar['numbers']
    rows = {r['label']: r for r in numbers['summary']}
    # the targets in the figure's order, then the no-leakage references of this protocol
    assert list(rows) == [*TARGETS, 'prior samples', 'real: unseen private']
    assert [r['label'] for r in sidecar['table']] == list(rows)
    check_target_rows(rows, TARGETS)
    for label in TARGETS:
        r = rows[label]
        assert r['knn_feat'] >= 0
        for m in ('auroc', 'fpr95'):
            for score in ('msp', 'energy'):
                for o in SETS:
                    col = f'{m}_{score}@{o}'
                    assert 0 <= r[col] <= 1 and r[f'{col}_lo'] <= r[col] <= r[f'{col}_hi'] and r[f'{col}_n'] == 2
    assert math.isnan(rows['prior samples']['auroc_msp@mnist'])  # OOD detection is measured on the targets only

    # the outliers are 300 Fashion-MNIST images, the OOD sets 200 images each that no model trained on
    assert numbers['outliers'] == {'source': 'fashion_mnist', 'images': 300, 'held_out': 70000 - 300}
    assert numbers['ood_sets'] == {'fashion_mnist (held out)': {'source': 'fashion_mnist', 'images': 200},
                                   'mnist': {'source': 'mnist', 'images': 200}}
    assert numbers['targets']['BiDO-HSIC+'][0][1]['outlier_data'].startswith('300 fashion_mnist images')
    assert numbers['targets']['BiDO-HSIC+'][0][1]['m_in'] == -11.0 and 'outlier_data' not in dict(numbers['targets']['BiDO-HSIC'][0][1])
    # one OOD row per target, seed, OOD set and score; its numbers in range, the ID side the whole private test set
    ood = numbers['ood']
    assert len(ood) == len(TARGETS) * 2 * 2 * 2 and {o['ood'] for o in ood} == set(SETS)
    assert all(0 <= o['auroc'] <= 1 and 0 <= o['fpr95'] <= 1 and o['n_ood'] == 200 and o['n_id'] == numbers['id_images'] for o in ood)
    # energy quantiles of every image set, ordered, for every target and seed
    energies = numbers['energies']
    assert {e['set'] for e in energies} == {'private train', 'private test', 'training outliers', *SETS}
    assert len(energies) == len(TARGETS) * 2 * 5
    assert all(e['q05'] <= e['q25'] <= e['q50'] <= e['q75'] <= e['q95'] for e in energies)
    assert set(numbers['margins']) == {'m_in', 'm_out', 'standard_median_private_train_energy',
                                       'standard_p95_training_outlier_energy'}

    # paired differences from standard and of the BiDO+ variants from BiDO-HSIC, beside the seed's claim in points
    paired = {(p['label'], p['baseline'], p['metric']) for p in numbers['paired']}
    for label in TARGETS[1:]:
        for metric in ('acc1', 'holdout_feat', 'clean_acc', 'auroc_energy@mnist', 'fpr95_msp@fashion_mnist (held out)'):
            assert (label, 'standard', metric) in paired
    assert ('BiDO-HSIC+', 'BiDO-HSIC', 'fpr95_energy@mnist') in paired and ('standard', 'prior samples', 'holdout_feat') in paired
    assert all(math.isfinite(p['diff']) and p['lo'] <= p['diff'] <= p['hi'] for p in numbers['paired'])
    assert len(numbers['statements']) == len(numbers['paired'])
    assert numbers['seed_claim_points'] == {'fpr95': -55.02, 'auroc': 9.52}
    claims = numbers['claims']
    assert len(claims) == len(SETS) * 2 * 2  # one BiDO+ variant x sets x scores x metrics
    for c in claims:
        assert c['lo_points'] <= c['diff_points'] <= c['hi_points'] and -100 <= c['diff_points'] <= 100
        assert c['contains_claim'] == (c['lo_points'] <= c['seed_claim_points'] <= c['hi_points'])
    assert [r['label'] for r in numbers['reading']] == ['BiDO-HSIC+', 'BiDO-HSIC']
    assert set(numbers['markdown']) == {'leakage', 'ood', 'claim'}
    assert numbers['markdown']['claim'].count('\n') == 2 + len(SETS) * 2 - 1
    assert set(numbers['calibrated_spaces']) == {'pixel', 'feat'}
    assert len(numbers['per_seed']) == 2 * (len(TARGETS) + 2) and all('seconds' not in r for r in numbers['per_seed'])


def test_fig7_refuses_unknown_targets_and_overlapping_ood_sets(tmp_path):
    with pytest.raises(Exception, match="unknown target 'MiD'; valid targets: standard, AT, AT 0.05"):
        run_figure('fig7_bido_plus', parameters={**TINY, 'targets': ['standard', 'BiDO-HSIC', 'MiD'],
                                                 'ood_sets': ['fashion_mnist'], 'cache_dir': str(tmp_path / 'c')},
                   out_dir=tmp_path, show_table=False)
    with pytest.raises(Exception, match="share .* images with the private data"):  # the private source is no OOD set
        run_figure('fig7_bido_plus', parameters={**TINY, 'ood_sets': ['digits'], 'n_ood': 0,
                                                 'cache_dir': str(tmp_path / 'c')}, out_dir=tmp_path, show_table=False)
