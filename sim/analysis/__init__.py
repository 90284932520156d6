"""Analysis of runs and batches: summary, sensitivity, validation, calibration, discovery."""

__all__: list[str] = []
