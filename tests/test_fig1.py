"""Figure 1 (Ilyas et al. feature datasets) end to end under papermill, with tiny parameters on the CPU."""
import json

from mi_nonrobust.figures import read_sidecar, run_figure

TINY = dict(n_train=100, n_test=200, n_robust_test=50, epochs=1, at_epochs=1, at_steps=1, invert_steps=2,
            targeted_steps=2, eval_steps=2, n_show=3, device='cpu')
TRAIN_SETS = ['D', 'D_R', 'D_NR', 'D_rand', 'D_det', 'D (adv. trained)']


def test_fig1_runs_under_papermill_and_writes_its_sidecar(tmp_path):
    entry = run_figure('fig1_features', parameters={**TINY, 'cache_dir': str(tmp_path / 'cache')}, out_dir=tmp_path,
                       show_table=False)
    sidecar = json.loads((tmp_path / 'fig1_features.json').read_text())
    assert set(entry['outputs']) == {'fig1_features.png', 'fig1_features.json'}
    assert json.loads((tmp_path / 'manifest.json').read_text())['fig1_features'] == entry
    assert entry['parameters']['n_train'] == 100 and entry['parameters']['targeted_eps'] == 2.0  # given and default
    table = {row['train_set']: row for row in sidecar['table']}
    assert list(table) == TRAIN_SETS
    for row in table.values():
        assert 0 <= row['robust_acc'] <= row['test_acc'] + 0.2 and 0 <= row['test_acc'] <= 1
        assert 0 <= row['pred_next_class'] <= 1
    assert table['D_R']['paper_cifar10_acc'] == 0.84 and table['D_det']['paper_cifar10_robust_acc'] == 0.0
    assert table['D']['paper_cifar10_acc'] is None
    numbers = sidecar['numbers']
    reports = numbers['construction_reports']
    assert set(reports) == {'robust', 'non_robust', 'rand', 'det'}
    assert reports['robust']['final_distance'] < reports['robust']['start_distance']  # even 2 steps get closer
    trace = numbers['inversion_convergence']['robust']
    assert len(trace['distance']) == TINY['invert_steps'] + 1 and trace['distance'][-1] < trace['distance'][0]
    assert isinstance(table['D_R']['converged'], bool) and table['D_rand']['converged'] is None
    assert 0 <= reports['rand']['target_success'] <= 1 and reports['det']['label_changed'] == 1.0
    assert reports['rand']['perturbation_l2'] <= 2.0 + 1e-3  # within the default radius
    assert numbers['sample_labels']['D_det'] == [(y + 1) % 10 for y in numbers['sample_labels']['D']]
    assert 'seconds' not in numbers  # run-to-run timings stay out of the committed sidecar
    assert read_sidecar(tmp_path, 'fig1_features')['numbers']['seconds']['total'] > 0  # they are in the run record
