"""The attack-matrix figure end to end under papermill, on a tiny problem (digits at 28 px, two seeds, two targets,
three attacks of which one trains a prior from the target, CPU)."""
import json
import math

import pytest

from mi_nonrobust.adaptive import ATAT_EPS
from mi_nonrobust.figures import run_figure

ATTACKS = ['eot_gmi', 'lomma_gmi']  # the adaptive EOT-GMI; LOMMA distils surrogates from every target
# the AT-AT target comes from the defense registry (`defenses`), as any other defense would
TINY = dict(dataset='digits', image_size=28, private_classes=[0, 1, 2, 3, 4], seeds=[0, 1], targets=['standard'],
            defenses=[['atat', {'eps': 2 / 255, 'steps': 1}]], attacks=ATTACKS,
            attack_kwargs={'eot_gmi': {'steps': 8, 'restarts': 1, 'eot_samples': 2}, 'lomma_gmi': {'steps': 8, 'restarts': 1}}, n_private_per_class=40, n_eval=300,
            target_epochs=2, eval_epochs=1, prior_epochs=1, prior_width=8, prior_images=300, n_per_class=2,
            robust_eps=[0.1], n_robust=30, holdout_reference=10, holdout_permutations=100, device='cpu')


def test_fig4_writes_matrix_sidecar_and_manifest(tmp_path):
    entry = run_figure('fig4_attacks', parameters={**TINY, 'cache_dir': str(tmp_path / 'cache')}, out_dir=tmp_path,
                       show_table=False)
    sidecar = json.loads((tmp_path / 'fig4_attacks.json').read_text())
    assert set(entry['outputs']) == {'fig4_attacks.png', 'fig4_attacks.json'}
    assert entry['parameters']['attacks'] == ATTACKS
    numbers = sidecar['numbers']
    targets = ['standard', 'atat (eps=0.00784314, steps=1)']  # the registry defense listed in `defenses`
    assert [t for t, _ in numbers['targets']] == targets  # in the figure's order
    cells = {(r['label'], r['attack']): r for r in numbers['summary']}
    # every target under every attack, then the no-leakage references
    assert list(cells)[:len(targets) * len(ATTACKS)] == [(t, a) for t in targets for a in ATTACKS]
    assert {l for l, _ in list(cells)[len(targets) * len(ATTACKS):]} == {'prior samples', 'real: unseen private',
                                                                          'real: attacker public'}
    for r in cells.values():
        assert 0 <= r['acc1'] <= 1 and r['acc1_lo'] <= r['acc1'] <= r['acc1_hi']
        assert 0 <= r['holdout_feat'] <= 1 and r['holdout_feat_lo'] <= r['holdout_feat'] <= r['holdout_feat_hi']
        assert r['acc1_n'] == 2 and r['converged_share'] in (0.0, 0.5, 1.0)
    for t in targets: assert 0.2 < cells[(t, ATTACKS[0])]['clean_acc'] <= 1
    assert [r['label'] for r in sidecar['table']] == [r['label'] for r in numbers['summary']]
    # per attack and seed: each target, then the prior samples; the references once per seed
    assert len(numbers['per_seed']) == 2 * (len(targets) * len(ATTACKS) + 1 + 2)
    assert all('seconds' not in r for r in numbers['per_seed'])
    # the adaptive attacker knows the AT-AT target's radius; the standard target meets the default one
    assert numbers['eot_noise_eps'] == {targets[1]: pytest.approx(2 / 255, abs=1e-6)}
    assert numbers['hyperparameters']['eot_gmi']['standard']['noise_eps'] == ATAT_EPS
    assert numbers['hyperparameters']['lomma_gmi']['standard']['steps'] == 8
    paired = {(p['label'], p['attack'], p['metric']) for p in numbers['paired']}
    assert {(t, a, 'acc1') for t in targets[1:] for a in ATTACKS} <= paired
    assert all(math.isfinite(p['diff']) for p in numbers['paired'])
    assert len(numbers['statements']) == len(numbers['paired'])
    # the adaptive-attacker question for the AT-AT target, a sentence per metric
    assert {(v['target'], v['metric']) for v in numbers['adaptive']} == {(t, m) for t in targets[1:]
                                                                        for m in ('acc1', 'holdout_feat')}
    assert all(v['adaptive'] == (v['attack'] == 'eot_gmi') for v in numbers['adaptive'])
    assert len(numbers['answers']) == 2 and all('eot_gmi' in a for a in numbers['answers'])
    assert numbers['markdown']['acc1'].count('\n') == 1 + len(targets)
    assert set(numbers['calibrated_spaces']) == {'pixel', 'feat'}


def test_fig4_refuses_unknown_attacks(tmp_path):
    with pytest.raises(Exception, match="unknown inversion 'kedmii'; valid inversions: eot_gmi, gmi"):
        run_figure('fig4_attacks', parameters={**TINY, 'attacks': ['gmi', 'kedmii'], 'cache_dir': str(tmp_path / 'c')},
                   out_dir=tmp_path, show_table=False)
