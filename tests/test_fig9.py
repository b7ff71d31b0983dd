"""TL-DMI's layer analysis end to end under papermill, on a tiny problem (digits at 28 px, two seeds, CPU)."""
import json
import math

import pytest

from mi_nonrobust.figures import run_figure

from figure_checks import check_target_rows

FROZEN = [0, 2, 4]
LABELS = ['standard', *[f'TL-DMI k{k}' for k in FROZEN]]
TINY = dict(dataset='digits', image_size=28, private_classes=[0, 1, 2, 3, 4], seeds=[0, 1], frozen=FROZEN,
            n_private_per_class=20, n_eval=300, target_epochs=2, tldmi_pretrain_epochs=1, eval_epochs=2, prior_epochs=1,
            prior_width=8, prior_images=300, attack_steps=10, n_per_class=2, robust_eps=[0.1], n_robust=50,
            holdout_reference=10, holdout_permutations=100, fisher_samples=40, device='cpu', workers=1)
# the cnn's parameters per stage and of its head on 5 classes (256 features)
STAGE_PARAMS = [352, 18560, 73984, 295168]
HEAD_PARAMS = 256 * 5 + 5


def test_fig9_writes_curve_fisher_parameters_and_reading(tmp_path):
    entry = run_figure('fig9_tl_dmi', parameters={**TINY, 'cache_dir': str(tmp_path / 'cache')}, out_dir=tmp_path,
                       show_table=False)
    sidecar = json.loads((tmp_path / 'fig9_tl_dmi.json').read_text())
    assert set(entry['outputs']) == {'fig9_tl_dmi.png', 'fig9_tl_dmi.json'}
    assert entry['parameters']['frozen'] == FROZEN and entry['parameters']['tldmi_pretrain_epochs'] == 1
    numbers = sidecar['numbers']
    assert numbers['n_stages'] == 4
    rows = {r['label']: r for r in numbers['summary']}
    # the targets in order of depth, then the no-leakage references of the idealised protocol
    assert list(rows) == [*LABELS, 'surrogate', 'prior samples', 'real: unseen private', 'real: attacker public']
    assert [r['label'] for r in sidecar['table']] == list(rows)
    check_target_rows(rows, LABELS)
    assert all(rows[label]['knn_feat'] >= 0 for label in LABELS)
    assert math.isnan(rows['surrogate']['params_trained'])  # parameters and Fisher are taken of the targets only

    # parameters trained: the stages after the k frozen ones, and the head; k0 and standard train every parameter
    total = sum(STAGE_PARAMS) + HEAD_PARAMS
    for k in FROZEN:
        r = rows[f'TL-DMI k{k}']
        assert r['frozen'] == k and r['fine_tuned'] == 4 - k
        assert r['params_trained'] == sum(STAGE_PARAMS[k:]) + HEAD_PARAMS and r['params_total'] == total
    assert rows['standard']['params_trained'] == total and rows['TL-DMI k4']['params_trained'] == HEAD_PARAMS

    # Fisher information per stage and head, non-negative, for every seed's target; frozen stages flagged
    fisher = numbers['fisher']
    assert numbers['fisher_groups'] == ['stage_1', 'stage_2', 'stage_3', 'stage_4', 'head']
    assert len(fisher) == len(LABELS) * 2 * 5 and all(f['fisher'] >= 0 for f in fisher)
    assert {(f['label'], f['group']) for f in fisher if f['frozen']} == \
        {(f'TL-DMI k{k}', f'stage_{j}') for k in FROZEN for j in range(1, k + 1)}
    for label, st in numbers['fisher_stages'].items():
        assert all(lo <= m <= hi for lo, m, hi in zip(st['min'], st['mean'], st['max']))

    # paired differences from standard and from k0 (freezing alone), and from the references
    paired = {(p['label'], p['baseline'], p['metric']) for p in numbers['paired']}
    for k in FROZEN:
        for metric in ('clean_acc', 'acc1', 'holdout_feat', 'holdout_pixel'):
            assert (f'TL-DMI k{k}', 'standard', metric) in paired
            if k: assert (f'TL-DMI k{k}', 'TL-DMI k0', metric) in paired
    assert ('TL-DMI k4', 'prior samples', 'acc1') in paired and ('standard', 'surrogate', 'holdout_feat') in paired
    assert all(math.isfinite(p['diff']) for p in numbers['paired'])
    # one sentence per comparison, then one per slope over the curve
    assert len(numbers['statements']) == len(numbers['paired']) + len(numbers['slopes'])
    assert [s['metric'] for s in numbers['slopes']] == ['clean_acc', 'acc1', 'holdout_pixel', 'holdout_feat']
    assert all(s['n'] == 2 and s['lo'] <= s['diff'] <= s['hi'] for s in numbers['slopes'])
    # the slopes are tested like the paired differences, in the same Benjamini-Hochberg family
    family = len(numbers['paired']) + len(numbers['slopes'])
    assert all(s['adjustment'] == f'bh over {family}' and s['resolved'] == (s['p_adjusted'] < 0.05)
               for s in [*numbers['slopes'], *numbers['paired']])
    # a curve flat in every seed (acc@1 at chance after 10 steps, say) has slope 0, not a trend of floating-point noise
    assert all(not s['resolved'] for s in numbers['slopes'] if s['diff'] == s['lo'] == s['hi'] == 0)
    reading = {r['label']: r for r in numbers['reading']}
    assert list(reading) == LABELS[1:] and reading['TL-DMI k0']['freezing_protects'] is None
    assert isinstance(reading['TL-DMI k4']['freezing_protects'], bool)
    assert set(numbers['calibrated_spaces']) == {'pixel', 'feat'}
    # the README table: a header, a rule and one line per target and reference
    assert numbers['markdown'].count('\n') == 1 + len(rows) and '| TL-DMI k4' in numbers['markdown']
    assert numbers['pretrain_config']['epochs'] == 1
    assert numbers['targets']['TL-DMI k2'] == [['tldmi', {'frozen_stages': 2}]]
    assert len(numbers['per_seed']) == 2 * (len(LABELS) + 4) and all('seconds' not in r for r in numbers['per_seed'])


def test_fig9_refuses_depths_beyond_the_stages(tmp_path):
    with pytest.raises(Exception, match="frozen must list distinct numbers of frozen stages from 0 to 4"):
        run_figure('fig9_tl_dmi', parameters={**TINY, 'frozen': [5], 'cache_dir': str(tmp_path / 'c')},
                   out_dir=tmp_path, show_table=False)
