"""Analysis of runs and batches: summary, sensitivity, validation, calibration, discovery,
attribution, the network (graphs and measures) and the spread of each event.
"""

__all__: list[str] = []
