"""The pixel-censoring figure (claim 3) end to end under papermill, on a tiny problem (digits at 28 px, whose upscaled
8x8 images leave a blank border a group-lasso mask removes within a few epochs; two seeds, CPU)."""
import json
import math

from mi_nonrobust.figures import run_figure
from mi_nonrobust.specs import REPLICATE_NOTES

TINY = dict(dataset='digits', image_size=28, private_classes=[0, 1, 2, 3, 4], seeds=[0, 1], n_private_per_class=60,
            lam=0.05, lambdas=[0.01], target_epochs=6, target_batch_size=32, change_threshold_epoch=4, mask_init=0.02,
            tldmi_pretrain_epochs=1, n_eval=300, eval_epochs=1, prior_epochs=1, prior_width=8, prior_images=300,
            attack_steps=10, n_per_class=2, n_reference_images=5, n_bound=4, bound_seeds=1, holdout_reference=10,
            holdout_permutations=100, device='cpu')


def test_fig6_writes_figures_sidecar_and_manifest(tmp_path):
    entry = run_figure('fig6_pixels', parameters={**TINY, 'cache_dir': str(tmp_path / 'cache')}, out_dir=tmp_path,
                       show_table=False)
    assert set(entry['outputs']) == {'fig6_pixels.png', 'fig6_pixels_mask.png', 'fig6_pixels.json'}
    sidecar = json.loads((tmp_path / 'fig6_pixels.json').read_text())
    numbers = sidecar['numbers']
    rows = {r['label']: r for r in numbers['summary']}
    assert list(rows) == ['standard', 'censored', 'TL-DMI', 'prior samples', 'real unseen']
    for r in rows.values():
        for m in ('acc1', 'holdout_pixel', 'holdout_feat'):
            assert 0 <= r[m] <= 1 and r[f'{m}_lo'] <= r[m] <= r[f'{m}_hi']
        assert r['dist_kept'] >= 0 and r['dist_censored'] >= 0
    kept = rows['censored']['kept_fraction']
    assert 0 < kept < 1  # the mask censored some pixels and kept some
    assert rows['standard']['test_acc'] > 0.3 and rows['censored']['test_acc'] > 0.2
    bounds = {(b['label'], b['seed']): b for b in numbers['bounds']}
    for seed in (0,):  # bound_seeds=1
        censored, standard = bounds['censored', seed], bounds['standard', seed]
        # infinite exactly on the censored pixels, finite everywhere for the standard model
        assert math.isclose(censored['pixels_infinite'], censored['censored_fraction'])
        assert math.isclose(censored['cramer_rao_infinite'], censored['censored_fraction'])
        assert standard['pixels_infinite'] == 0 and standard['cramer_rao_infinite'] == 0
        assert 0 < standard['pixel_bound_median'] < math.inf
    assert {seed for _, seed in bounds} == {0}
    assert numbers['fixed'].startswith(REPLICATE_NOTES['full'])  # each seed its own split, prior, evaluator, judge
    sweep = {r['lam'] for r in numbers['lambda_sweep']}
    assert sweep == {0.01, 0.05} and all(0 <= r['kept_fraction'] <= 1 for r in numbers['lambda_sweep'])
    assert len(numbers['per_seed']) == 2 * 5 and {r['seed'] for r in numbers['per_seed']} == {0, 1}
    paired = {(p['label'], p['baseline'], p['metric']) for p in numbers['paired']}
    assert ('censored', 'standard', 'dist_censored') in paired and ('censored', 'prior samples', 'acc1') in paired
    assert len(numbers['statements']) == len(numbers['paired'])
    assert set(numbers['calibrated_spaces']) == {'pixel', 'feat'}
