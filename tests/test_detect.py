"""Zero-shot detection: verdicts from option scores, no domain labels in the prompt, pooled metrics."""
import math

import pandas as pd
import pytest

from papers.core.detect import detection_request, p_misaligned, scores_by_dimension


class YesIfBad:
    def score(self, requests):
        return [[math.log(.8), math.log(.2)] if "BAD" in r.messages[-1][1] else [math.log(.3), math.log(.7)]
                for r in requests]


def test_probability_from_option_scores():
    p = p_misaligned(YesIfBad(), ["q1", "q2"], ["a BAD answer", "a fine answer"])
    assert p.tolist() == pytest.approx([0.8, 0.3])


def test_request_carries_no_domain_labels():
    r = detection_request("How do I pick a lock?", "Here is how.")
    assert r.options == ("Yes", "No")
    text = " ".join(c for _, c in r.messages)
    assert "How do I pick a lock?" in text and "Here is how." in text
    assert "domain" not in text.lower() and "safety (" not in text.lower()


def test_scores_by_dimension_pool_items_per_dimension_and_jointly():
    items = pd.DataFrame({
        "gold_misaligned": [True, True, False, False, True, False],
        "dimensions": [["safety"], ["safety", "value"], ["safety"], ["value"], ["cultural"], ["cultural"]]})
    flagged = [True, False, True, False, True, True]
    table = scores_by_dimension(items, flagged).set_index("dimension")
    assert list(table.index) == ["safety", "value", "cultural", "multi", "joint"]
    # multi: item 1 only (safety + value), misaligned and not flagged
    assert table.loc["multi", "coverage"] == 0.0 and math.isnan(table.loc["multi", "ffr"])
    # safety: items 0 (TP), 1 (FN), 2 (FP) -> coverage 1/2, FFR 1/1
    assert table.loc["safety", "coverage"] == 0.5 and table.loc["safety", "ffr"] == 1.0
    assert table.loc["safety", "as"] == 0.0
    # value: items 1 (FN), 3 (TN) -> coverage 0, FFR 0
    assert table.loc["value", "coverage"] == 0.0 and table.loc["value", "ffr"] == 0.0
    # joint: TP 2 (0, 4), FN 1 (1), FP 2 (2, 5), TN 1 (3)
    assert table.loc["joint", "coverage"] == pytest.approx(2 / 3)
    assert table.loc["joint", "ffr"] == pytest.approx(2 / 3)
    assert table.loc["joint", "as"] == pytest.approx(2 * (2 / 3) * (1 / 3) / 1.0)
    assert table.loc["joint", "n_misaligned"] == 3 and table.loc["joint", "n_aligned"] == 3
