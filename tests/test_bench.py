"""The benchmark command line prints its numbers (tiny run; speed itself is measured by `make bench`, not asserted)."""
from mi_nonrobust import bench


def test_bench_train_reports_both_loops(capsys, monkeypatch):
    monkeypatch.setitem(bench.BENCHMARKS, 'train', lambda device: bench.bench_train(n_images=256, repeats=1, device=device))
    assert bench.main(['train', '--device', 'cpu']) == 0
    out = capsys.readouterr().out
    for key in ('engine_images_per_s', 'hand_images_per_s', 'engine_overhead', 'peak_memory_mb'):
        assert key in out
