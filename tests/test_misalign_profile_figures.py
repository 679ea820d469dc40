"""MisAlign-Profile's AS-by-type figure: a semantic type without a score is marked missing, not a bar at 0."""
import numpy as np
import pandas as pd

from papers.misalign_profile import figures


def test_a_missing_type_is_marked_not_drawn_at_zero():
    # model m has no relation-type items; model z has all three, one of them a real AS of 0
    table = pd.DataFrame({"detector": ["m", "m", "z", "z", "z"], "dimension": "joint",
                          "semantic_type": ["object", "attribute", "object", "attribute", "relation"],
                          "as_mean": [0.5, 0.6, 0.0, 0.4, 0.3], "as_std": [0.1, np.nan, 0.0, 0.1, 0.1]})
    ax = figures.figure_as_by_type(table, ["m", "z"], "test").axes[0]
    heights = sorted(round(p.get_height(), 3) for p in ax.patches)
    assert heights == [0.0, 0.3, 0.4, 0.5, 0.6]  # five bars: z's real 0 drawn, m's missing relation not
    assert [t.get_text() for t in ax.texts] == [figures.MISSING]
    assert any(figures.MISSING in t.get_text() for t in ax.get_legend().get_texts())
