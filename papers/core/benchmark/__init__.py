"""The misalignment-detection benchmark of papers 1 and 2: items, detectors, evaluation, scores."""
