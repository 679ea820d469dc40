"""Loading DICES: the released CSVs (paper scale) or JUDGE-BENCH's JSON export (the mini sample).

Both give two frames:
- conversations: item_id, conversation (the turns before the last reply, then that reply as a
  "LAMDA:" turn), human_unsafe (the share of "Yes" among the crowd's Yes/No answers), human_majority
  ("Yes", "No", or "tie": a tie has no majority, and the metrics that need a human label leave it
  out), n_ratings, harm_type, safety_gold (expert label; "" when unknown);
- ratings: one row per human answer: item_id, rater_id, the four demographic fields, unsafe (1.0 for
  "Yes", 0.0 for "No", nan for "Unsure").

Demographic categories are checked against the known set (KNOWN): a value the framings do not
spell the same way would otherwise give an empty group and no error. The five race categories are
named short in DICES's README ("White, Black, Latine, Asian, Multiracial") and long in the released
CSVs, as TensorFlow Datasets' DICES builder lists them ("Black/African American", ...); RACE_LONG
maps the long forms one-to-one onto the README's names the framings use.

"Yes" means unsafe (DICES's Q_overall). The JSON export keeps each conversation's answers but not who
gave them: rater_id and the demographic fields are then <NA>. Any bad row stops the load with an
InputError naming file, row and field; a field of the wrong JSON type (an id that is a list, a
number where text is expected, `majority_human: 1`) is refused, never turned into a string.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from papers.core.io import InputError, read_csv_records, read_text

DEMOGRAPHICS = ("rater_gender", "rater_race", "rater_age", "rater_education")
CSV_COLUMNS = ["rater_id", *DEMOGRAPHICS, "item_id", "context", "response", "Q_overall"]
ANSWERS = {"Yes": 1.0, "No": 0.0, "Unsure": float("nan")}
# The released CSVs' long race names (TFDS's DICES builder, tensorflow_datasets/datasets/dices) ->
# the README's five category names, which the framings use.
RACE_LONG = {"Asian/Asian subcontinent": "Asian", "Black/African American": "Black",
             "LatinX, Latino, Hispanic or Spanish Origin": "Latine"}
# Every category a released CSV may hold (DICES README; TFDS's builder adds the "Other" and gender
# self-descriptions of its class lists); a category outside a framing axis stays a human group
# without a framed counterpart, never a silent empty group.
KNOWN = {"rater_gender": ("Man", "Woman", "Nonbinary", "Self-describe (below)"),
         "rater_race": ("White", "Black", "Latine", "Asian", "Multiracial", "Other"),
         "rater_age": ("gen z", "millenial", "gen x+"),
         "rater_education": ("College degree or higher", "High school or below", "Other")}


def load_dices(path: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(conversations, ratings) from a DICES CSV or a JUDGE-BENCH JSON export."""
    path = Path(path)
    if path.suffix == ".csv":
        conversations, ratings = _from_csv(path)
    elif path.suffix == ".json":
        conversations, ratings = _from_judge_bench(path)
    else:
        raise InputError(path, "unknown DICES format; expected the released .csv or JUDGE-BENCH's .json")
    summary = _with_human_summary(conversations, ratings)
    if "export_majority" in summary:
        _check_export_majority(path, summary)
        summary = summary.drop(columns="export_majority")
    return summary, ratings


def conversation_text(context: str, response: str) -> str:
    return f"{context.strip()}\nLAMDA: {response.strip()}"


def _answer(path, value, row, line, field) -> float:
    if not isinstance(value, str) or value not in ANSWERS:
        raise InputError(path, f"{value!r} is not one of {', '.join(ANSWERS)}", row, line, field)
    return ANSWERS[value]


def _category(path, value: str, row, line, field) -> str:
    """A demographic value as the framings spell it; anything outside KNOWN stops the load."""
    value = RACE_LONG.get(value, value) if field == "rater_race" else value
    if value not in KNOWN[field]:
        long = f" (or the long forms {', '.join(RACE_LONG)})" if field == "rater_race" else ""
        raise InputError(path, f"{value!r} is not a known category; expected one of "
                         f"{', '.join(KNOWN[field])}{long}", row, line, field)
    return value


def _from_csv(path: Path):
    records = read_csv_records(path, CSV_COLUMNS)
    items: dict[str, dict] = {}
    rows = []
    for r in records:
        where = (r["_row"], r["_line"])
        for field in ("rater_id", "item_id", *DEMOGRAPHICS):
            if not r[field].strip():
                raise InputError(path, "empty", *where, field)
        item = {"item_id": r["item_id"].strip(), "conversation": conversation_text(r["context"], r["response"]),
                "harm_type": r.get("harm_type", "") or "", "safety_gold": r.get("safety_gold", "") or ""}
        seen = items.setdefault(item["item_id"], item)
        if seen["conversation"] != item["conversation"]:
            raise InputError(path, f"conversation {item['item_id']} has a different context or response "
                             "than in its first row", *where, "context")
        rows.append({"item_id": item["item_id"], "rater_id": r["rater_id"].strip(),
                     **{f: _category(path, r[f].strip(), *where, f) for f in DEMOGRAPHICS},
                     "unsafe": _answer(path, r["Q_overall"].strip(), *where, "Q_overall")})
    ratings = pd.DataFrame(rows)
    repeated = ratings.duplicated(["item_id", "rater_id"])
    if repeated.any():
        r = records[int(np.flatnonzero(repeated)[0])]
        raise InputError(path, f"rater {r['rater_id']} rates conversation {r['item_id']} twice",
                         r["_row"], r["_line"], "rater_id")
    return pd.DataFrame(list(items.values())), ratings


def _from_judge_bench(path: Path):
    try:
        export = json.loads(read_text(path))
    except json.JSONDecodeError as err:
        raise InputError(path, f"malformed JSON ({err.msg})", line=err.lineno) from None
    instances = export.get("instances") if isinstance(export, dict) else None
    if not isinstance(instances, list):
        raise InputError(path, "not a JUDGE-BENCH export with an 'instances' list", field="instances")
    if not instances:
        raise InputError(path, "no conversations: the 'instances' list is empty", field="instances")
    items, rows = [], []
    for n, inst in enumerate(instances, start=1):
        item_id, conversation, answers, majority = _instance(path, n, inst)
        values = [_answer(path, a, n, None, "individual_human_scores") for a in answers]
        if not values:
            raise InputError(path, "no human answers", row=n, field="individual_human_scores")
        items.append({"item_id": item_id, "conversation": conversation, "harm_type": "", "safety_gold": "",
                      "export_majority": majority})
        rows += [{"item_id": item_id, "rater_id": pd.NA, **{f: pd.NA for f in DEMOGRAPHICS}, "unsafe": v}
                 for v in values]
    conversations = pd.DataFrame(items)
    if conversations["item_id"].duplicated().any():
        dup = conversations["item_id"][conversations["item_id"].duplicated()].iloc[0]
        row = int(np.flatnonzero(conversations["item_id"].duplicated())[0]) + 1
        raise InputError(path, f"conversation id {dup} appears twice", row=row, field="id")
    return conversations, pd.DataFrame(rows)


def _instance(path: Path, n: int, inst) -> tuple[str, str, list, str]:
    """(item id, conversation text, the crowd's answers, majority_human) of the export's instance
    number `n`, each of the type the export uses; anything else names the row and the field."""
    def need(parent, key: str, kinds, field: str):
        if not isinstance(parent, dict) or key not in parent:
            raise InputError(path, "missing field", row=n, field=field)
        value = parent[key]
        if not isinstance(value, kinds) or isinstance(value, bool):
            raise InputError(path, f"expected {_KIND_NAMES[kinds]}, found {type(value).__name__} {value!r}",
                             row=n, field=field)
        return value

    if not isinstance(inst, dict):
        raise InputError(path, f"an instance must be an object, found {type(inst).__name__}", row=n,
                         field="instances")
    item_id = need(inst, "id", (int, str), "id")
    if isinstance(item_id, str) and not item_id.strip():
        raise InputError(path, "empty", row=n, field="id")
    text = need(inst, "instance", dict, "instance")
    prompt = need(text, "user_prompt", str, "instance.user_prompt")
    response = need(text, "response", str, "instance.response")
    safety = need(need(inst, "annotations", dict, "annotations"), "safety", dict, "annotations.safety")
    answers = need(safety, "individual_human_scores", list, "individual_human_scores")
    majority = need(safety, "majority_human", str, "majority_human")
    if majority not in ("Yes", "No"):
        raise InputError(path, f"{majority!r} is not one of Yes, No", row=n, field="majority_human")
    return str(item_id).strip(), conversation_text(prompt, response), answers, majority


_KIND_NAMES = {(int, str): "an integer or a string", dict: "an object", str: "a string", list: "a list"}


def _check_export_majority(path: Path, summary: pd.DataFrame) -> None:
    """The export's majority_human must follow its own answers; it breaks ties either way (DICES-350
    conversation 94 "Yes", 204 "No"), so ties are not checked."""
    wrong = summary[(summary["human_majority"] != summary["export_majority"]) & (summary["human_majority"] != "tie")]
    if not wrong.empty:
        row = int(wrong.index[0]) + 1  # conversations keep the export's order
        raise InputError(path, f"majority_human of conversation {wrong['item_id'].iloc[0]} disagrees with its "
                         "individual_human_scores", row=row, field="majority_human")


def _with_human_summary(conversations: pd.DataFrame, ratings: pd.DataFrame) -> pd.DataFrame:
    answered = ratings.dropna(subset=["unsafe"]).groupby("item_id")["unsafe"]
    share = answered.mean()
    out = conversations.copy()
    out["human_unsafe"] = out["item_id"].map(share).astype(float)
    out["human_majority"] = np.select([out["human_unsafe"] > 0.5, out["human_unsafe"] < 0.5], ["Yes", "No"], "tie")
    out["n_ratings"] = out["item_id"].map(ratings.groupby("item_id").size()).astype(int)
    return out


def group_majorities(ratings: pd.DataFrame, axis: str) -> pd.DataFrame:
    """Per conversation and demographic group of `axis` (e.g. rater_gender): the group's share of
    unsafe answers and its majority ("Yes", "No" or "tie"). Empty when the ratings carry no
    demographics."""
    known = ratings.dropna(subset=["unsafe", axis])
    share = known.groupby(["item_id", axis])["unsafe"].mean().rename("unsafe_share").reset_index()
    share["majority"] = np.select([share["unsafe_share"] > 0.5, share["unsafe_share"] < 0.5], ["Yes", "No"], "tie")
    return share.rename(columns={axis: "group"})
