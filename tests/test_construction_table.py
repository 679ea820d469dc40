"""The per-domain construction table on a hand-made run."""
import pandas as pd

from papers.core.construct.table import table_candidate_outcomes, table_construction
from papers.core.taxonomy import Domain, Taxonomy

TAX = Taxonomy((Domain("safety", "theft", "Theft", "Theft", 1), Domain("value", "honesty", "Honesty", "Honesty", 1)))


def test_counts_follow_each_prompt_through_the_steps():
    # p1 theft+honesty, p2 theft, p3 honesty (removed as a duplicate), x1 theft (expansion, kept)
    classified = pd.DataFrame([(pid, "safety" if d == "theft" else "value", d, p, p >= .5)
                               for pid, d, p in [("p1", "theft", .9), ("p1", "honesty", .7), ("p2", "theft", .6),
                                                 ("p2", "honesty", .1), ("p3", "theft", .2), ("p3", "honesty", .8),
                                                 ("x1", "theft", .95), ("x1", "honesty", .0)]],
                              columns=["prompt_id", "dimension", "domain", "probability", "kept"])
    attempts = pd.DataFrame({"prompt_id": ["x1", "x2"], "domain": ["theft", "honesty"],
                             "status": ["kept", "rejected"]})
    candidates = pd.DataFrame([
        ("p1", "aligned", 0, True, ""), ("p1", "misaligned", 0, False, "judge: P(yes) = 0.20 < 0.5"),
        ("p1", "misaligned", 1, True, ""),
        ("p2", "aligned", 0, False, "format: empty response"), ("p2", "aligned", 1, False, "length: 1 words"),
        ("p2", "aligned", 2, False, "judge: no"), ("p2", "misaligned", 0, True, ""),
        ("x1", "aligned", 0, True, ""), ("x1", "misaligned", 0, True, "")],
        columns=["prompt_id", "kind", "round", "passed", "reason"])
    table = table_construction(TAX, ["p1", "p2", "p3"], classified, attempts, ["p3"], candidates, 0.5)
    rows = table.set_index("Domain")
    assert rows.loc["Theft"].tolist()[1:] == [2, 3, 0, 3, 1, 1, 5]
    assert rows.loc["Honesty"].tolist()[1:] == [2, 2, 1, 1, 0, 1, 2]
    assert rows.loc["Total (a prompt counts once per domain)", "Kept after resampling"] == 7
    reasons = table_candidate_outcomes(candidates)
    got = {(r.Round, r.Kind, r.Outcome): r.Candidates for r in reasons.itertuples()}
    assert got[(0, "aligned", "accepted")] == 2 and got[(0, "aligned", "format")] == 1
    assert got[(0, "misaligned", "judge")] == 1 and got[(2, "aligned", "judge")] == 1
