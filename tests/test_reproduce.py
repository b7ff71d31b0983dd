"""The reproduction check end to end: a tiny figure checked against itself, then against a tampered committed copy."""
import json

from mi_nonrobust.runner import check_figure, main, run_figure

TINY = dict(dataset='digits', image_size=28, private_classes=[0, 1, 2, 3, 4], seeds=[0, 1], targets=['standard', 'AT-AT'],
            n_private_per_class=40, n_eval=300, target_epochs=2, eval_epochs=2, prior_epochs=1, prior_width=8,
            prior_images=300, attack_steps=10, attack_steps_more=[20], n_per_class=2, n_robust=50, holdout_reference=10,
            holdout_permutations=100, device='cpu')


def test_check_finds_nothing_in_a_rebuild_and_everything_in_a_tampered_copy(tmp_path, capsys):
    committed, cache = tmp_path / 'figures', tmp_path / 'cache'
    run_figure('fig2_headline', parameters={**TINY, 'cache_dir': str(cache)}, out_dir=committed, show_table=False)
    assert check_figure('fig2_headline', figures_dir=committed, cache_dir=cache) == []
    path = committed / 'fig2_headline.json'
    sidecar = json.loads(path.read_text())
    row = sidecar['numbers']['summary'][0]
    row['clean_acc'] = row['clean_acc_hi'] + 1.0  # a committed number far outside its interval
    flipped = sidecar['numbers']['paired'][0]
    flipped['resolved'] = not flipped['resolved']
    path.write_text(json.dumps(sidecar))
    found = check_figure('fig2_headline', figures_dir=committed, cache_dir=cache)
    assert sorted(d.kind for d in found) == ['number', 'verdict']
    assert any(d.where == 'summary[standard].clean_acc' for d in found)
    # the command line: the same differences, printed, and status 1
    assert main(['--check', 'fig2_headline', '--out-dir', str(committed), '--cache-dir', str(cache), '--quiet']) == 1
    out = capsys.readouterr().out
    assert 'fig2_headline: 2 difference(s) from the committed JSON' in out and 'summary[standard].clean_acc' in out
