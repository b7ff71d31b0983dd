"""The CALoR figure end to end under papermill, on a tiny problem (digits at 28 px, two seeds, rank 2 with and without
tanh under the soft-target term, CPU)."""
import json
import math

import pytest

from mi_nonrobust.figures import run_figure

from figure_checks import check_target_rows

TINY = dict(dataset='digits', image_size=28, private_classes=[0, 1, 2, 3, 4], seeds=[0, 1], ranks=[2],
            tanh_options=[True, False], confidence_terms=['smooth'],
            n_private_per_class=20, n_eval=300, target_epochs=2, eval_epochs=2, prior_epochs=1, prior_width=8,
            prior_images=300, attack_steps=10, n_per_class=2, n_gradient=4, robust_eps=[0.1], n_robust=50,
            holdout_reference=10, holdout_permutations=100, device='cpu', workers=1)
CELLS = ['r2 tanh +smooth', 'r2 linear +smooth']


def test_fig8_writes_grid_gradients_and_reading(tmp_path):
    entry = run_figure('fig8_calor', parameters={**TINY, 'cache_dir': str(tmp_path / 'cache')}, out_dir=tmp_path,
                       show_table=False)
    assert set(entry['outputs']) == {'fig8_calor.png', 'fig8_calor.json'}
    assert entry['parameters']['ranks'] == [2] and entry['parameters']['tau'] == 0.7
    numbers = json.loads((tmp_path / 'fig8_calor.json').read_text())['numbers']
    rows = {r['label']: r for r in numbers['summary']}
    # the standard target, the 1 x 2 x 1 grid, then the no-leakage references of the idealised protocol
    assert list(rows) == ['standard', *CELLS, 'surrogate', 'prior samples', 'real: unseen private', 'real: attacker public']
    assert numbers['cells']['r2 tanh +smooth'] == {'rank': 2, 'tanh': True, 'confidence': 'smooth'}
    for label in ['standard', *CELLS]:
        r = rows[label]
        assert 0 < r['clean_acc'] <= 1 and 0 <= r['acc1'] <= 1 and 0 < r['train_confidence'] <= 1
        assert r['grad_start'] > 0 and r['grad_end'] >= 0
        assert r['grad_start_lo'] <= r['grad_start'] <= r['grad_start_hi']
    check_target_rows(rows, ['standard', *CELLS])
    # sign codes only for tanh heads: between 1 and 2^r = 4 codes of 5 classes, and the chance count 4(1 - (3/4)^5)
    r = rows['r2 tanh +smooth']
    assert 1 <= r['distinct_codes'] <= 4 and 0 <= r['saturated'] <= 1
    assert r['chance_codes'] == pytest.approx(4 * (1 - 0.75 ** 5))
    assert math.isnan(rows['r2 linear +smooth']['distinct_codes']) and math.isnan(rows['standard']['distinct_codes'])
    assert math.isnan(rows['surrogate']['grad_start'])  # gradients are measured on the targets only
    # one head row per target and seed; GMI's trajectory recorded for each
    assert len(numbers['heads']) == 2 * 3 and {h['seed'] for h in numbers['heads']} == {0, 1}
    assert {t['label'] for t in numbers['trajectories']} == {'standard', *CELLS}
    # paired differences from standard, and factor contrasts that differ in one factor only
    paired = {(p['label'], p['baseline'], p['metric']) for p in numbers['paired']}
    for label in CELLS:
        for metric in ('acc1', 'holdout_feat', 'clean_acc', 'log10_grad_start'):
            assert (label, 'standard', metric) in paired
    assert ('r2 tanh +smooth', 'surrogate', 'acc1') in paired
    # one factor varies here (tanh): one contrast, between cells that differ in it only
    assert numbers['contrasts'] == [['tanh', 'r2 tanh +smooth', 'r2 linear +smooth']]
    assert {(e['label'], e['baseline'], e['factor']) for e in numbers['effects']} == {('r2 tanh +smooth', 'r2 linear +smooth', 'tanh')}
    assert all(math.isfinite(p['diff']) for p in numbers['paired'] + numbers['effects'])
    assert len(numbers['statements']) == len(numbers['paired']) + len(numbers['effects'])
    assert [r['label'] for r in numbers['reading']] == CELLS
    assert [r['factor'] for r in numbers['factor_reading']] == ['tanh']
    assert numbers['markdown'].startswith('| target |') and numbers['markdown'].count('\n') == 1 + 3 + 4
    assert 'reconstruction' in numbers['confidence_term']
    assert set(numbers['calibrated_spaces']) == {'pixel', 'feat'}
    assert len(numbers['per_seed']) == 2 * (3 + 4) and all('seconds' not in r for r in numbers['per_seed'])


def test_fig8_refuses_unknown_confidence_terms(tmp_path):
    with pytest.raises(Exception, match="unknown confidence terms .'focal'.; valid: none, smooth, hinge"):
        run_figure('fig8_calor', parameters={**TINY, 'confidence_terms': ['focal'], 'cache_dir': str(tmp_path / 'c')},
                   out_dir=tmp_path, show_table=False)
