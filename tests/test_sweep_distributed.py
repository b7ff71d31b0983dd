"Sweeps through worker processes: a Dask LocalCluster gives the rows of the in-process sweep, and killed workers are survived."
import multiprocessing
import os
import shutil
import signal
import threading
import time
from dataclasses import replace

import pandas as pd
import pytest
import torch

pytest.importorskip('distributed')

from mi_nonrobust.core import ArtifactCache
from mi_nonrobust.experiments import ExperimentSpec, sweep
from mi_nonrobust.train import TrainConfig

# pixel-space inversion (no GAN prior) on a few digits: the cheapest complete experiment
SPEC = ExperimentSpec(dataset='digits', image_size=28, n_private_per_class=30, n_eval=150, prior='none', attack='pixel',
                      target=TrainConfig(epochs=2, batch_size=32, show_progress=False),
                      eval=TrainConfig(epochs=2, batch_size=32, show_progress=False), attack_kwargs={'steps': 10},
                      n_per_class=2, n_robust=30, holdout_reference=5, holdout_permutations=50, device='cpu')
SPECS = [replace(SPEC, seed=s) for s in (0, 1)]


def _rows(table):  # everything but the wall time
    return table.drop(columns='seconds').reset_index(drop=True)


@pytest.fixture(scope='module')
def serial(tmp_path_factory):
    torch.set_num_threads(1)  # the workers run one thread each: the same arithmetic
    return sweep(SPECS, cache=ArtifactCache(tmp_path_factory.mktemp('serial')), show_progress=False)


@pytest.fixture(scope='module')
def client():
    from distributed import Client, LocalCluster
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as c:
        yield c


@pytest.fixture(scope='module')
def cluster_cache(tmp_path_factory):
    return ArtifactCache(tmp_path_factory.mktemp('cluster'))


def test_local_cluster_gives_the_rows_of_the_default_executor(serial, client, cluster_cache):
    got = sweep(SPECS, cache=cluster_cache, executor=client.get_executor(), show_progress=False)
    pd.testing.assert_frame_equal(_rows(got), _rows(serial))
    # a second run is answered from the client's cache: it recomputes nothing and sends nothing
    before = {p: p.stat().st_mtime_ns for p in cluster_cache.root.rglob('*.pt')}
    pd.testing.assert_frame_equal(sweep(SPECS, cache=cluster_cache, executor=client.get_executor(), show_progress=False), got)
    assert {p: p.stat().st_mtime_ns for p in cluster_cache.root.rglob('*.pt')} == before


def _resumable_copy(cache, into):
    "A copy of a finished cache without rows, reconstructions and target metrics: jobs that redo the attack and metrics."
    shutil.copytree(cache.root, into)
    for kind in ('experiment_row', 'reconstructions', 'target_metrics'):
        shutil.rmtree(into / kind)
    return ArtifactCache(into)


def _kill_first_busy(busy, pid_of, killed):
    "SIGKILL the first worker that is running a job, a moment after it started."
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = busy()
        if found:
            time.sleep(0.5)
            os.kill(pid_of(found), signal.SIGKILL)
            killed.append(found)
            return
        time.sleep(0.05)


def test_a_dask_worker_killed_mid_sweep_is_survived(serial, client, cluster_cache, tmp_path):
    if not (cluster_cache.root / 'experiment_row').exists(): pytest.skip('needs the cluster test first')
    cache = _resumable_copy(cluster_cache, tmp_path / 'c')
    pids, killed = client.run(os.getpid), []
    busy = lambda: next((w for w, tasks in client.processing().items() if tasks), None)
    killer = threading.Thread(target=_kill_first_busy, args=(busy, pids.get, killed))
    killer.start()
    got = sweep(SPECS, cache=cache, executor=client.get_executor(), transfer='shared', show_progress=False)
    killer.join()
    assert killed, 'no worker was killed'
    pd.testing.assert_frame_equal(_rows(got), _rows(serial))


def test_a_local_pool_worker_killed_mid_sweep_is_survived(serial, cluster_cache, tmp_path, capsys):
    if not (cluster_cache.root / 'experiment_row').exists(): pytest.skip('needs the cluster test first')
    cache = _resumable_copy(cluster_cache, tmp_path / 'c')
    killed = []
    children = lambda: next((p for p in multiprocessing.active_children() if p.name.startswith('SpawnProcess')), None)
    killer = threading.Thread(target=_kill_first_busy, args=(children, lambda p: p.pid, killed))
    killer.start()
    got = sweep(SPECS, cache=cache, workers=2, transfer='shared', show_progress=True)
    killer.join()
    assert killed, 'no worker was killed'
    assert 'restarting it' in capsys.readouterr().out
    pd.testing.assert_frame_equal(_rows(got), _rows(serial))
