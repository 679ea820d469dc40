"""What the metrics accept as labels and verdicts, checked once: anything else is an error, never a guess.

A verdict or gold label is a boolean (Python, NumPy, a pandas bool column) or the integer 0 or 1.
Strings ("yes" would count as True), floats (a probability of 0.5 would count as flagged, nan as
True), None and missing values stop the metric with an error that names the argument, the position
and the value.
"""
from __future__ import annotations

import numpy as np


def booleans(values, name: str) -> np.ndarray:
    """`values` as a bool array of the same shape, or a TypeError / ValueError naming `name`."""
    array = np.asarray(values)
    if array.dtype == bool:
        return array
    if array.size == 0:  # an empty list has no type to check (NumPy calls it float)
        return np.zeros(array.shape, dtype=bool)
    if array.dtype.kind in "iu":
        wrong = np.flatnonzero((array.ravel() != 0) & (array.ravel() != 1))
        if len(wrong):
            raise ValueError(f"{name}: position {wrong[0]} is {array.ravel()[wrong[0]].item()!r}; expected a "
                             "boolean, or 0 or 1")
        return array.astype(bool)
    # The values as given: NumPy would turn [1, "1"] into strings and [True, 0.5] into floats.
    for i, v in enumerate(np.asarray(values, dtype=object).ravel()):
        if isinstance(v, np.generic):
            v = v.item()
        if isinstance(v, bool):
            continue
        if isinstance(v, int):
            if v in (0, 1):
                continue
            raise ValueError(f"{name}: position {i} is {v!r}; expected a boolean, or 0 or 1")
        raise TypeError(f"{name}: position {i} is {v!r} ({type(v).__name__}); expected a boolean, or 0 or 1")
    return array.astype(bool)
