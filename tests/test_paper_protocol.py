"""The paper's protocol on a user's identity folder (`mi_figures --profile paper --data-root PATH --weights FILE`), run
end to end on CPU on a tiny slice of Labeled Faces in the Wild (a generated folder where LFW is absent): 64 px RGB,
torchvision's ResNet-18 target from a supplied backbone, ResNet-50 evaluation model, a 64-px prior, one epoch each."""
import json
import os
from pathlib import Path

import torch
import torchvision
from PIL import Image

from mi_nonrobust.faces import shared_data_dirs
from mi_nonrobust.figures import repo_root
from mi_nonrobust.runner import main

PRIVATE, CROWD = 3, 4  # people with 10 photos each (the private ones), people with 2 to 4 photos (the crowd)


def _lfw_folder() -> Path | None:
    "LFW's deep-funneled folder, where it is on this machine."
    dirs = [Path(os.environ['MI_NONROBUST_DATA'])] if os.environ.get('MI_NONROBUST_DATA') else []
    return next((d / 'lfw_deepfunneled' for d in [*dirs, *shared_data_dirs()] if (d / 'lfw_deepfunneled').is_dir()),
                None)


def _identity_slice(root: Path) -> str:
    "A few people as root/<person>/<photo>: LFW's photos (linked) where LFW is present, generated faces otherwise."
    lfw = _lfw_folder()
    if lfw is None:
        for n, photos in enumerate([10] * PRIVATE + [2, 3, 4, 2]):
            (root / f'person{n}').mkdir()
            for k in range(photos):
                Image.new('RGB', (80, 80), (20 * n, 9 * k, 120)).save(root / f'person{n}' / f'{k}.jpg')
        return 'generated'
    people = sorted(d for d in lfw.iterdir() if d.is_dir())
    counts = {d: len(list(d.glob('*.jpg'))) for d in people}
    chosen = [d for d in people if counts[d] >= 10][:PRIVATE] + [d for d in people if 2 <= counts[d] <= 4][:CROWD]
    for d in chosen:
        (root / d.name).mkdir()
        for photo in sorted(d.glob('*.jpg'))[:10]: (root / d.name / photo.name).symlink_to(photo)
    return 'lfw'


def test_paper_protocol_runs_on_an_identity_folder(tmp_path, monkeypatch):
    (tmp_path / 'faces').mkdir()
    source = _identity_slice(tmp_path / 'faces')
    backbone = tmp_path / 'resnet18_backbone.pt'  # stands in for torchvision's ImageNet weights
    torch.save(torchvision.models.resnet18(num_classes=1000).state_dict(), backbone)
    monkeypatch.chdir(tmp_path)  # the results go to ./figures-<folder name>, never to the committed figures/
    committed = sorted((repo_root() / 'figures').glob('fig2f_lfw*'))
    tiny = dict(identities=PRIVATE, seeds=[0, 1], targets=['standard', 'AT-AT'], target_epochs=1, eval_epochs=1,
                prior_epochs=1, attack_steps=2, attack_steps_more=[], n_per_class=1, n_robust=6, holdout_reference=1,
                holdout_permutations=20, device='cpu', cache_dir=str(tmp_path / 'cache'))
    argv = ['--profile', 'paper', '--data-root', str(tmp_path / 'faces'), '--only', 'fig2f_lfw', '--weights',
            str(backbone), '--quiet', *[a for k, v in tiny.items() for a in ('-p', f'{k}={json.dumps(v)}')]]
    assert main(argv) == 0, source
    out = tmp_path / 'figures-faces'
    entry = json.loads((out / 'manifest.json').read_text())['fig2f_lfw']
    p = entry['parameters']
    # the paper's protocol, as the manifest records it: the user's folder, 64 px colour, torchvision architectures,
    # the paper's schedule, the backbone, bf16 for the measuring models (float32 on this CPU)
    assert (p['dataset'], p['data_root'], p['image_size'], p['channels']) == \
        ('image_folder', str((tmp_path / 'faces').resolve()), 64, 3)
    assert (p['target_arch'], p['eval_arch'], p['target_weights']) == ('tv_resnet18', 'tv_resnet50', str(backbone))
    assert (p['target_batch_size'], p['target_milestones'], p['hflip'], p['precision'], p['crowd_max_photos']) == \
        (128, [75, 90], True, 'bf16', 0)
    sidecar = json.loads((out / 'fig2f_lfw.json').read_text())
    rows = {r['label']: r for r in sidecar['table']}
    assert {'standard', 'AT-AT'} <= set(rows), sorted(rows)
    assert all(0 <= float(rows[t]['clean_acc'].split()[0]) <= 1 for t in ('standard', 'AT-AT'))  # 'mean [lo, hi]'
    assert entry['description'].startswith("a user's identity folder")
    assert sorted((repo_root() / 'figures').glob('fig2f_lfw*')) == committed  # the committed figures untouched
