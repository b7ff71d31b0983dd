"""The privacy-utility front end to end under papermill, on a tiny problem (digits at 28 px, two seeds, four targets;
CPU), and the catalogue it shares with the regression figure (the same experiments, so one sweep serves both)."""
import json
from pathlib import Path

import pytest

from figure_checks import check_target_rows
from mi_nonrobust.figures import FIGURES, repo_root, run_figure

TARGETS = ['standard', 'AT-AT', 'MID', 'NegLS']
TINY = dict(dataset='digits', image_size=28, private_classes=[0, 1, 2, 3, 4], prior='disjoint_classes', seeds=[0, 1],
            targets=TARGETS, n_private_per_class=20, n_eval=300, target_epochs=2, eval_epochs=2, prior_epochs=1,
            prior_width=8, prior_images=300, attack_steps=10, n_per_class=2, robust_eps=[0.1], n_robust=50,
            holdout_reference=10, holdout_permutations=100, device='cpu', workers=1)


def _cell(figure, starts):
    nb = json.loads((repo_root() / FIGURES[figure].notebook).read_text())
    return [''.join(c['source']) for c in nb['cells'] if ''.join(c['source']).startswith(starts)]


def test_fig12_shares_fig10s_catalogue():
    # both take their targets from the package's catalogue (`targets.TARGETS`) with the same TL-DMI pretraining: the same
    # ExperimentSpecs, hence the same cache keys in both figures
    for starts in ("# the catalogue's TL-DMI targets", '**The catalogue of targets**'):
        assert len(_cell('fig12_front', starts)) == 1 and _cell('fig12_front', starts) == _cell('fig10_robust_leakage', starts)
    for figure in ('fig10_robust_leakage', 'fig12_front'):
        source = json.loads((repo_root() / FIGURES[figure].notebook).read_text())
        code = '\n'.join(''.join(c['source']) for c in source['cells'] if c['cell_type'] == 'code')
        assert 'from mi_nonrobust.targets import TARGETS' in code and 'CATALOGUE' not in code


def test_fig12_writes_front_paired_and_reading(tmp_path):
    entry = run_figure('fig12_front', parameters={**TINY, 'cache_dir': str(tmp_path / 'cache')}, out_dir=tmp_path,
                       show_table=False)
    sidecar = json.loads((tmp_path / 'fig12_front.json').read_text())
    assert set(entry['outputs']) == {'fig12_front.png', 'fig12_front.json'}
    assert entry['parameters']['match_clean_acc'] == 0.0
    numbers = sidecar['numbers']
    assert numbers['comparison'] == 'equal epochs'
    rows = {r['label']: r for r in numbers['summary']}
    assert list(rows) == [*TARGETS, 'prior samples', 'real: unseen private']
    check_target_rows(rows, TARGETS)
    assert all(rows[label]['clean_acc_n'] == 2 for label in TARGETS)
    assert [rows[l]['family'] for l in TARGETS] == ['none', 'adversarial', 'dependency', 'gradient_suppression']
    # the front: at least one target, and no target on it is beaten in both clean accuracy and leakage by another
    for metric in ('acc1', 'holdout_feat'):
        front = numbers['fronts'][metric]
        assert set(front) == set(TARGETS) and any(front.values())
        for a in (l for l, on in front.items() if on):
            assert not any(rows[b]['clean_acc'] > rows[a]['clean_acc'] and rows[b][metric] < rows[a][metric] for b in TARGETS)
    # paired differences from standard (every other target) and from AT-AT (the paper's comparison)
    paired = {(p['label'], p['baseline'], p['metric']) for p in numbers['paired']}
    for label in TARGETS[1:]:
        assert (label, 'standard', 'acc1') in paired and (label, 'standard', 'clean_acc') in paired
    for label in ('standard', 'MID', 'NegLS'): assert (label, 'AT-AT', 'acc1') in paired
    assert len(numbers['statements']) == len(numbers['paired'])
    assert [r['label'] for r in numbers['reading']] == TARGETS[1:]
    assert numbers['markdown'].count('\n') == len(rows) + 1
    assert numbers['targets']['MID'] == {'arch': 'cnn', 'defenses': [['mid', {}]]}


def test_fig12_matched_accuracy_stops_each_target_at_the_level(tmp_path):
    # digits learn fast: the targets reach 0.7 within 4 epochs, and stop there
    params = {**TINY, 'targets': ['standard', 'MID', 'NegLS'], 'target_epochs': 4, 'match_clean_acc': 0.7,
              'cache_dir': str(tmp_path / 'cache')}
    run_figure('fig12_front', parameters=params, out_dir=tmp_path, show_table=False)
    numbers = json.loads((tmp_path / 'fig12_front.json').read_text())['numbers']
    assert numbers['comparison'] == 'matched monitored accuracy 0.7'
    kept = {r['label'] for r in numbers['matched']}
    assert 'standard' in kept and kept | {r['label'] for r in numbers['not_reached']} == {'standard', 'MID', 'NegLS'}
    for r in numbers['matched']:  # stopped at an epoch where the monitored accuracy had reached the level
        assert 1 <= r['epochs'] <= 4 and r['monitored_acc'] >= 0.7
    assert min(r['epochs'] for r in numbers['matched']) < 4  # stopped at the level, before the last epoch
    assert all('never reached 0.700' in r['reason'] for r in numbers['not_reached'])
    # the summary has exactly the kept targets, each over both seeds, then the references
    rows = {r['label']: r for r in numbers['summary']}
    assert [l for l in rows if l in {'standard', 'MID', 'NegLS'}] == [l for l in ('standard', 'MID', 'NegLS') if l in kept]
    check_target_rows(rows, kept)
    assert all(rows[l]['clean_acc_n'] == 2 for l in kept)


def test_fig12_refuses_a_level_outside_0_1_and_one_standard_never_reaches(tmp_path):
    with pytest.raises(Exception, match=r"match_clean_acc must be 0 \(equal epochs\) or lie in \(0, 1\]"):
        run_figure('fig12_front', parameters={**TINY, 'match_clean_acc': 1.5, 'cache_dir': str(tmp_path / 'c')},
                   out_dir=tmp_path, show_table=False)
    with pytest.raises(Exception, match="the standard target does not reach monitored accuracy 1.0"):
        run_figure('fig12_front', parameters={**TINY, 'target_epochs': 1, 'match_clean_acc': 1.0,
                                              'cache_dir': str(tmp_path / 'c')}, out_dir=tmp_path, show_table=False)
