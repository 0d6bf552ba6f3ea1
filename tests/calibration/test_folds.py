import subprocess
import sys

import numpy as np
import pytest

from cje.calibration.folds import (
    MIN_ORACLE_LABELS,
    calibration_folds_for,
    folds_from_hash,
    hash_folds,
    stable_hash,
)
from cje.errors import InsufficientLabelsError

IDS = np.array([f"arena_{i}" for i in range(2000)], dtype=object)


def test_folds_do_not_depend_on_row_order_or_other_rows():
    folds = hash_folds(IDS, 5)
    shuffled = np.random.default_rng(0).permutation(IDS.size)
    assert np.array_equal(hash_folds(IDS[shuffled], 5), folds[shuffled])
    assert np.array_equal(hash_folds(IDS[:10], 5), folds[:10])


def test_folds_are_the_same_in_another_process():
    """Python's hash() is salted per process; ours must not be."""
    code = ("import numpy as np; from cje.calibration.folds import hash_folds; "
            "print(list(hash_folds(np.array(['a', 'b', 'arena_7'], dtype=object), 5)))")
    outputs = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env={"PYTHONHASHSEED": seed}, check=True).stdout
        for seed in ("1", "2")
    }
    assert len(outputs) == 1
    here = [int(f) for f in hash_folds(np.array(["a", "b", "arena_7"], dtype=object), 5)]
    assert outputs.pop().strip().replace("np.int64(", "").replace(")", "") == str(here)


def test_folds_are_balanced_and_streams_independent():
    hashes = stable_hash(np.array([f"id{i}" for i in range(50_000)], dtype=object))
    for stream in (0, 1):
        counts = np.bincount(folds_from_hash(hashes, 5, stream=stream), minlength=5)
        assert counts.min() > 9_500 and counts.max() < 10_500
    hashes = stable_hash(IDS)
    a, b = folds_from_hash(hashes, 5), folds_from_hash(hashes, 5, stream=1)
    table = np.histogram2d(a, b, bins=5)[0]
    assert table.min() > 50  # every combination occurs: the two partitions are unrelated


@pytest.mark.parametrize("n_labels,expected", [(10, 2), (19, 2), (20, 3), (49, 3), (50, 5), (5000, 5)])
def test_fold_count_adapts_to_label_count(n_labels, expected):
    assert calibration_folds_for(n_labels) == expected


def test_too_few_labels_is_a_clear_error():
    with pytest.raises(InsufficientLabelsError, match=str(MIN_ORACLE_LABELS)):
        calibration_folds_for(MIN_ORACLE_LABELS - 1)
