"""The memorisation figure (claim 2) end to end under papermill, on a tiny problem (digits at 28 px, two seeds, CPU)."""
import json
import math

from mi_nonrobust.figures import run_figure
from mi_nonrobust.specs import REPLICATE_NOTES

TINY = dict(dataset='digits', image_size=28, private_classes=[0, 1, 2, 3, 4], seeds=[0, 1], n_private_per_class=8,
            n_eval=300, target_epochs=3, target_batch_size=8, eval_epochs=1, prior_epochs=1, prior_width=8,
            prior_images=300, attack_steps=10, n_per_class=2, holdout_permutations=100, device='cpu')


def test_fig5_writes_figures_sidecar_and_manifest(tmp_path):
    entry = run_figure('fig5_memorisation', parameters={**TINY, 'cache_dir': str(tmp_path / 'cache')},
                       out_dir=tmp_path, show_table=False)
    assert set(entry['outputs']) == {'fig5_memorisation.png', 'fig5_memorisation_grid_permuted.png',
                                     'fig5_memorisation_grid_twin.png', 'fig5_memorisation.json'}
    sidecar = json.loads((tmp_path / 'fig5_memorisation.json').read_text())
    numbers = sidecar['numbers']
    assert entry['parameters']['attack_steps'] == 10 and entry['parameters']['permutation_seed'] == 42
    # every image set scored against each model's training set
    groups = {(r['label'], r['source']) for r in numbers['summary']}
    assert groups == {(m, s) for m in ('permuted labels', 'true-label twin')
                      for s in ('GMI', 'prior samples', 'real unseen')}
    for r in numbers['summary']:
        for m in ('holdout_pixel', 'holdout_feat', 'acc1'):
            assert 0 <= r[m] <= 1 and r[f'{m}_lo'] <= r[m] <= r[f'{m}_hi']
        assert r['knn_pixel'] > 0 and r['knn_feat'] >= 0 and r['knn_pixel_matched_unseen'] > 0
    acc = {r['label']: r for r in numbers['accuracy']}
    assert acc['true-label twin']['test_acc'] > 0.3  # digits are easy; the twin generalises
    assert math.isnan(acc['true-label twin']['train_acc_true_labels'])  # defined for the permuted model only
    assert 0 < numbers['label_kept_fraction'] < 0.6 and isinstance(numbers['memorised'], bool)
    # per seed: 2 models x 3 image sets + one accuracy row per model
    assert len(numbers['per_seed']) == 2 * (2 * 3 + 2) and {r['seed'] for r in numbers['per_seed']} == {0, 1}
    sources = {p['source'] for p in numbers['paired']}
    assert {'GMI', 'prior samples', 'real unseen', 'GMI vs prior samples', 'GMI vs real unseen',
            'GMI - prior samples'} <= sources
    assert len(numbers['statements']) == len(numbers['paired'])
    assert all(math.isfinite(p['diff']) for p in numbers['paired'])
    assert set(numbers['calibrated_spaces']) == {'pixel', 'feat'}
    # every seed a full replicate by default: its own split, permutation, prior, evaluation model and judge
    assert numbers['fixed'].startswith(REPLICATE_NOTES['full']) and 'permutation too' in numbers['fixed']
