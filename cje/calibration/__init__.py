"""Judge -> oracle calibration, oracle slices, folds and weight calibration."""
