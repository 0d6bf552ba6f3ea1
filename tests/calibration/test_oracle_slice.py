import numpy as np

from cje.calibration.oracle_slice import select_oracle_slice

IDS = np.array([f"p{i}" for i in range(1000)], dtype=object)
AVAILABLE = np.arange(1000) % 2 == 0  # 500 labels available


def test_keeps_the_requested_share_of_available_labels_only():
    mask = select_oracle_slice(IDS, AVAILABLE, 0.1, seed=42)
    assert mask.sum() == 50
    assert not (mask & ~AVAILABLE).any()


def test_same_seed_same_mask_regardless_of_row_order():
    mask = select_oracle_slice(IDS, AVAILABLE, 0.25, seed=42)
    order = np.random.default_rng(3).permutation(1000)
    again = select_oracle_slice(IDS[order], AVAILABLE[order], 0.25, seed=42)
    assert np.array_equal(again, mask[order])
    assert not np.array_equal(select_oracle_slice(IDS, AVAILABLE, 0.25, seed=43), mask)


def test_smaller_coverage_keeps_a_subset():
    small = select_oracle_slice(IDS, AVAILABLE, 0.05, seed=9)
    large = select_oracle_slice(IDS, AVAILABLE, 0.5, seed=9)
    assert not (small & ~large).any()


def test_full_coverage_keeps_every_available_label():
    assert np.array_equal(select_oracle_slice(IDS, AVAILABLE, 1.0, seed=1), AVAILABLE)
