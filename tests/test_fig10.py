"""The robust-accuracy regression figure end to end under papermill, on a tiny problem (digits at 28 px, two seeds,
four targets: 8 regression rows, more than the 3-4 coefficients of any fit; CPU)."""
import json
import math
import shutil

import pytest

from mi_nonrobust.figures import run_figure
from mi_nonrobust.audit import default_audit_model_path, load_audit_model, predict_leakage

TARGETS = ['standard', 'AT-AT', 'MID', 'NegLS']
# the attacker's prior on the other five classes: no surrogate and no public reference, so fewer rows to score
TINY = dict(dataset='digits', image_size=28, private_classes=[0, 1, 2, 3, 4], prior='disjoint_classes', seeds=[0, 1],
            targets=TARGETS, n_private_per_class=20, n_eval=300, target_epochs=2, eval_epochs=2, prior_epochs=1,
            prior_width=8, prior_images=300, attack_steps=10, n_per_class=2, robust_eps=[0.1], n_robust=50,
            holdout_reference=10, holdout_permutations=100, apgd_eps=[0.0025, 0.031], apgd_steps=5, n_apgd=30,
            robust_predictor='robust_acc@0.1', audit_predictors=['clean_acc', 'robust_acc@0.1'],
            install_audit_model=False, device='cpu', workers=1)
ROBUST = ['robust_acc@0.1', 'apgd_acc@0.0025', 'apgd_acc@0.031']


def test_fig10_writes_regressions_lodo_and_audit_model(tmp_path):
    installed = default_audit_model_path()
    before = installed.read_bytes() if installed.exists() else None
    entry = run_figure('fig10_robust_leakage', parameters={**TINY, 'cache_dir': str(tmp_path / 'cache')},
                       out_dir=tmp_path, show_table=False)
    sidecar = json.loads((tmp_path / 'fig10_robust_leakage.json').read_text())
    assert set(entry['outputs']) == {'fig10_robust_leakage.png', 'fig10_robust_leakage.json',
                                     'fig10_robust_leakage_audit_model.json'}
    numbers = sidecar['numbers']
    rows = {r['label']: r for r in numbers['summary']}
    assert list(rows) == [*TARGETS, 'prior samples', 'real: unseen private']
    assert [r['family'] for r in sidecar['table']][:4] == ['none', 'adversarial', 'dependency', 'gradient_suppression']
    # every trained target (seed) has APGD accuracies, in [0, 1] and never above its clean accuracy on the same subset's
    # distribution by more than sampling allows (robust = correct before and after the attack)
    per_seed = [r for r in numbers['per_seed'] if r['label'] in TARGETS]
    assert len(per_seed) == 8
    for r in per_seed:
        for c in ROBUST: assert 0 <= r[c] <= 1
        assert r['apgd_acc@0.031'] <= r['apgd_acc@0.0025'] + 1e-9  # a larger ball: no more robust samples (same seed)
    assert all(r['apgd_acc@0.031'] is None or math.isnan(r['apgd_acc@0.031'])
               for r in numbers['per_seed'] if r['label'] not in TARGETS)

    # one OLS fit per leakage and robust column, alone and with clean accuracy, and clean accuracy alone
    fits = numbers['fits']
    assert len(fits) == 2 * (2 * len(ROBUST) + 1) and {f['leakage'] for f in fits} == {'acc1', 'holdout_feat'}
    for f in fits:  # R² is undefined (NaN) only for a leakage without variance (tiny attacks may score chance everywhere)
        assert f['n'] == 8 and f['mae'] >= 0
        assert (0 <= f['r2'] <= 1) if len({r[f['leakage']] for r in per_seed}) > 1 else math.isnan(f['r2'])
    assert all(f['clean_lo'] <= f['clean_coef'] <= f['clean_hi'] for f in fits if f['with_clean'])
    assert {c['term'] for c in numbers['main_fits']['acc1']['beta']['coefficients']} == {'const', 'robust_acc@0.1', 'precision'}
    # per-family fits: two rows per family are too few for a line, said in words; residuals of every family
    assert all('error' in f and 'needs more targets' in f['error'] for f in numbers['family_fits'])
    assert {r['family'] for r in numbers['family_residuals']} == {'none', 'adversarial', 'dependency', 'gradient_suppression'}
    # a family's residual is tested over its per-seed means: the replicates are the independent units
    assert all(r['n_seeds'] == 2 and r['n'] >= 2 for r in numbers['family_residuals'])
    # every sentence rests on a test of one Benjamini-Hochberg family: slopes, clean coefficients, family residuals
    tests = numbers['tests']
    assert {t['test'] for t in tests} == {'slope', 'clean adds', 'family residual'}
    finite = [t for t in tests if math.isfinite(t['p'])]  # a leakage without variance has no test (NaN p)
    assert finite and all(t['adjustment'] == f'bh over {len(finite)}' for t in tests)
    assert all(t['p_adjusted'] >= t['p'] for t in finite)
    assert all(t['resolved'] == (t['p_adjusted'] < 0.05) for t in tests)  # NaN is never resolved
    off = {(r['leakage'], r['family']): r['off_line'] for r in numbers['family_residuals']}
    assert all(off[t['leakage'], t['term']] == t['resolved'] for t in tests if t['test'] == 'family residual')

    # leave-one-defense-out: every target predicted by a fit on the other defenses
    lodo = numbers['lodo']
    assert len(lodo) == 8 and all(math.isfinite(r['predicted']) and 0 <= r['measured'] <= 1 for r in lodo)
    assert {r['defenses'] for r in lodo} == {'none', 'atat', 'mid', 'negls'}
    assert numbers['lodo_mae'] == pytest.approx(sum(abs(r['predicted'] - r['measured']) for r in lodo) / 8, abs=1e-5)

    # the audit regression: written beside the figure, not into the package in a test, and usable by predict_leakage
    audit = load_audit_model(tmp_path / 'fig10_robust_leakage_audit_model.json')
    assert audit['predictors'] == ['clean_acc', 'robust_acc@0.1'] and audit['n'] == 8
    assert audit['fitted_on']['dataset'] == ['digits'] and audit['fitted_on']['target_arch'] == ['cnn']
    assert audit['fitted_on']['image_size'] == ['28'] and audit['joint']['max_distance'] > 0
    assert 'digits' in audit['fitted_on']['description'] and audit['measures']['robust_acc@0.1']['eps'] == 0.1
    lo, hi = audit['range']['robust_acc@0.1']
    pred = predict_leakage(audit, {'clean_acc': audit['range']['clean_acc'][0], 'robust_acc@0.1': lo}, extrapolation='ignore')
    assert 0 <= pred['lo'] <= pred['predicted'] <= pred['hi'] <= 1
    assert numbers['audit_model_installed'] is None
    assert (installed.read_bytes() if installed.exists() else None) == before

    assert any('clean accuracy' in s for s in numbers['statements'])
    assert set(numbers['markdown']) == {'fits', 'coefficients', 'families'}
    assert numbers['markdown']['fits'].count('\n') == len(fits) + 1

    # APGD again on two worker processes, from the cached targets with the APGD results removed: the same numbers
    shutil.rmtree(tmp_path / 'cache' / 'apgd_accuracy')
    again = tmp_path / 'again'
    run_figure('fig10_robust_leakage', parameters={**TINY, 'workers': 2, 'cache_dir': str(tmp_path / 'cache')},
               out_dir=again, show_table=False)
    assert (tmp_path / 'cache' / 'apgd_accuracy').is_dir()  # recomputed, by the workers
    redo = {(r['label'], r['seed']): r for r in json.loads((again / 'fig10_robust_leakage.json').read_text())['numbers']['per_seed']}
    for r in per_seed:
        for c in ROBUST[1:]: assert redo[(r['label'], r['seed'])][c] == r[c]


def test_fig10_refuses_unknown_targets_and_predictors(tmp_path):
    with pytest.raises(Exception, match="valid targets: standard, AT, AT 0.05"):
        run_figure('fig10_robust_leakage', parameters={**TINY, 'targets': ['standard', 'ATAT'],
                                                       'cache_dir': str(tmp_path / 'c')}, out_dir=tmp_path, show_table=False)
    with pytest.raises(Exception, match="robust_predictor 'robust_acc@8/255' is not measured here"):
        run_figure('fig10_robust_leakage', parameters={**TINY, 'robust_predictor': 'robust_acc@8/255',
                                                       'cache_dir': str(tmp_path / 'c')}, out_dir=tmp_path, show_table=False)
