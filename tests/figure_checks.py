"""Checks shared by the figure tests: what every target row of a leakage figure's summary must satisfy."""


def check_target_rows(rows: dict, labels) -> None:
    "Accuracies in [0, 1] and both train-vs-holdout shares in [0, 1] inside their CIs, for each row in `labels`."
    for label in labels:
        r = rows[label]
        assert 0 < r['clean_acc'] <= 1 and 0 <= r['acc1'] <= 1, (label, r['clean_acc'], r['acc1'])
        for space in ('pixel', 'feat'):
            share, lo, hi = r[f'holdout_{space}'], r[f'holdout_{space}_lo'], r[f'holdout_{space}_hi']
            assert 0 <= share <= 1 and lo <= share <= hi, (label, space, lo, share, hi)
