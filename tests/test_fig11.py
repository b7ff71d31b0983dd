"""The randomised AT-AT trial end to end under papermill, on a tiny problem (digits at 28 px, four targets: two per arm,
each treated one at two AT-AT settings; CPU)."""
import json
import math

import numpy as np
import pytest

from mi_nonrobust.figures import run_figure
from mi_nonrobust.regression import assign_treatment

TREATMENTS = ['AT-AT', 'AT-AT strong']
TINY = dict(dataset='digits', image_size=28, private_classes=[0, 1, 2, 3, 4], prior='disjoint_classes',
            trial_seeds=[0, 1, 2, 3], assignment_seed=0, reference_seeds=[0], n_private_per_class=20, n_eval=300,
            target_epochs=2, eval_epochs=2, prior_epochs=1, prior_width=8, prior_images=300, attack_steps=10,
            n_per_class=2, robust_eps=[0.1], n_robust=50, holdout_reference=10, holdout_permutations=100, device='cpu',
            workers=1)


def test_fig11_writes_assignment_arms_and_effects(tmp_path):
    entry = run_figure('fig11_causal', parameters={**TINY, 'cache_dir': str(tmp_path / 'cache')}, out_dir=tmp_path,
                       show_table=False)
    sidecar = json.loads((tmp_path / 'fig11_causal.json').read_text())
    assert set(entry['outputs']) == {'fig11_causal.png', 'fig11_causal.json'}
    numbers = sidecar['numbers']
    # the assignment is the library's complete randomisation with the recorded seed: half of the targets treated
    expected = assign_treatment(4, seed=0)
    assert numbers['assignment'] == {str(s): bool(t) for s, t in zip(TINY['trial_seeds'], expected)}
    treated_seeds = sorted(int(s) for s, t in numbers['assignment'].items() if t)
    assert len(treated_seeds) == 2
    # each target trained only in its arm: control seeds as standard, treated seeds at every AT-AT setting
    per_target = numbers['per_target']
    arms = {}
    for r in per_target:
        if r['label'] in ('control (w = 0)', *TREATMENTS): arms.setdefault(r['label'], []).append(r['seed'])
    assert sorted(arms['control (w = 0)']) == sorted(set(TINY['trial_seeds']) - set(treated_seeds))
    assert all(sorted(arms[t]) == treated_seeds for t in TREATMENTS)
    assert all(r['defenses'] == ('none' if r['label'] == 'control (w = 0)' else 'atat') for r in per_target if r['label'] in arms)
    rows = {r['label']: r for r in numbers['summary']}
    assert list(rows) == ['control (w = 0)', *TREATMENTS, 'prior samples', 'real: unseen private']
    for label in ['control (w = 0)', *TREATMENTS]:
        assert rows[label]['clean_acc_n'] == 2 and 0 <= rows[label]['acc1'] <= 1 and 0 < rows[label]['clean_acc'] <= 1

    # one Beta estimate per treatment and outcome, and the logistic one on acc@1's reconstruction counts
    effects = numbers['effects']
    assert [(e['treatment'], e['leakage'], e['model']) for e in effects] == [
        (t, leak, m) for t in TREATMENTS for leak, m in (('acc1', 'beta'), ('acc1', 'logit'), ('holdout_feat', 'beta'))]
    assert numbers['trials_per_target'] == 2 * 5
    for e in effects:
        assert e['n_treated'] == 2 and e['n_control'] == 2
        assert e['effect'] == pytest.approx(e['mean_treated'] - e['mean_control'], abs=1e-6)
        assert e['odds_ratio'] > 0 and (math.isnan(e['or_lo']) or e['or_lo'] <= e['odds_ratio'] <= e['or_hi'])
    logit = [e for e in effects if e['model'] == 'logit']
    assert all(math.isfinite(e['z']) and 0 <= e['p'] <= 1 for e in logit)
    assert numbers['paper'] == {'acc1_control': 0.84, 'acc1_treated': 0.065, 'odds_ratio': pytest.approx(1 / 77, abs=1e-6)}
    assert len(numbers['statements']) == len(effects) and numbers['markdown'].count('\n') == len(effects) + 1
    # statements rest on the trial's randomisation test, adjusted over the figure's treatment-outcome pairs
    assert all(0 < e['p_randomisation'] <= 1 and e['randomisation'].startswith('exact over') for e in effects)
    assert all(e['resolved'] == (e['p_adjusted'] < 0.05) and e['p_adjusted'] >= e['p_randomisation'] - 1e-12
               for e in effects)


def test_fig11_refuses_unknown_treatments(tmp_path):
    with pytest.raises(Exception, match="treatments must name distinct AT-AT settings of: AT-AT, AT-AT strong"):
        run_figure('fig11_causal', parameters={**TINY, 'treatments': ['AT'], 'cache_dir': str(tmp_path / 'c')},
                   out_dir=tmp_path, show_table=False)
