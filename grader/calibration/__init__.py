"""Calibration: from the pipeline's raw output to grades on a human scale (features, estimators, the
feature table, fitting and cross-validation, the calibration file, applying it, and the `calibrate` run)."""
