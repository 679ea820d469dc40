"""PersoPilot's active-learning loop: the confidence rule on hand-computed cases, the classifier,
retraining with its history, the analyst's queue, and the learning curve against random sampling."""
from pathlib import Path

import numpy as np
import pytest

from papers.persopilot import active
from papers.persopilot.store import Store, parse_users_csv

ROOT = Path(__file__).resolve().parents[1]
CLASSES = ("indoor", "outdoor")


def mini_users():
    path = ROOT / "data/persopilot/users.csv"
    return parse_users_csv(path.read_bytes(), str(path), CLASSES)


def test_confidence_by_hand():
    assert active.confidence(0.9, 0.1) == pytest.approx(0.8)
    assert active.confidence(0.5, 0.5) == 0.0
    assert active.confidence(3, 1) == pytest.approx(0.5)  # |a-d|/(a+d) holds for unnormalised scores too
    assert active.confidence(0, 0) == 0.0
    for bad in (-0.1, float("nan"), "0.5", True):
        with pytest.raises(TypeError):
            active.confidence(bad, 0.5)


def test_the_065_rule_selects_exactly_the_hand_computed_items():
    probabilities = [(0.9, 0.1),   # 0: 0.8, confident
                     (0.6, 0.4),   # 1: 0.2 -> analyst
                     (0.8, 0.2),   # 2: 0.6 -> analyst
                     (33, 7),      # 3: exactly 0.65: confident (the rule is "below 0.65")
                     (0.5, 0.5),   # 4: 0.0 -> analyst, first
                     (0.2, 0.8),   # 5: 0.6 -> analyst, after 2 (ties by position)
                     (0.05, 0.95)]  # 6: 0.9, confident
    assert active.to_analyst(probabilities) == [4, 1, 2, 5]
    assert active.to_analyst(probabilities, threshold=0.1) == [4]
    assert active.THRESHOLD == 0.65


def test_classifier_needs_both_classes_and_orders_its_columns():
    model = active.PersonaClassifier(CLASSES)
    with pytest.raises(ValueError, match="both classes"):
        model.fit(["I read.", "I knit."], ["indoor", "indoor"])
    with pytest.raises(TypeError):
        model.fit("I read.", ["indoor"])
    model.fit(["I read novels at home.", "I hike in the mountains."], ["indoor", "outdoor"])
    proba = model.proba(["I hike in the mountains."])
    assert proba.shape == (1, 2) and np.isclose(proba.sum(), 1) and proba[0, 1] > proba[0, 0]
    assert model.predict(["I read novels."]) == ["indoor"]


def test_retrain_keeps_history_and_the_queue_follows_the_classifier(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    users = mini_users()
    store.import_users(users)
    cold = active.analyst_queue(store, CLASSES, limit=3)
    assert [q["user_id"] for q in cold] == ["u001", "u002", "u003"] and cold[0]["predicted"] is None
    gold = {u["user_id"]: u["gold"] for u in users}
    store.add_label("u001", "indoor", "accept" if gold["u001"] == "indoor" else "decline", CLASSES)
    assert active.retrain(store, CLASSES) is None and store.history() == []  # one class only
    first_indoor = next(u for u in users if u["gold"] == "indoor" and u["user_id"] != "u001")["user_id"]
    first_outdoor = next(u for u in users if u["gold"] == "outdoor" and u["user_id"] != "u001")["user_id"]
    for uid in (first_indoor, first_outdoor):
        store.add_label(uid, "indoor", "accept" if gold[uid] == "indoor" else "decline", CLASSES)
    version = active.retrain(store, CLASSES)
    (h,) = store.history()
    assert version == 1 and h["labels_used"] == 3 and h["evaluated_on"] == len(users) - 3
    assert 0 <= h["accuracy"] <= 1
    model, v = active.current_classifier(store, CLASSES)
    held = [u for u in users if u["user_id"] not in (first_indoor, first_outdoor, "u001")]
    predicted = model.predict([u["persona"] for u in held])
    assert h["accuracy"] == pytest.approx(np.mean([p == u["gold"] for p, u in zip(predicted, held)]))
    queue = active.analyst_queue(store, CLASSES, limit=100)
    assert queue and all(q["confidence"] < 0.65 and q["version"] == 1 for q in queue)
    assert [q["confidence"] for q in queue] == sorted(q["confidence"] for q in queue)
    labelled = {x["user_id"] for x in store.labels()}
    assert not labelled & {q["user_id"] for q in queue}


def test_learning_curve_is_seeded_and_shares_its_start_and_test_split():
    users = mini_users()
    texts, labels = [u["persona"] for u in users], [u["gold"] for u in users]
    a = active.learning_curve(texts, labels, CLASSES, "uncertainty", 3, budget=10)
    assert a == active.learning_curve(texts, labels, CLASSES, "uncertainty", 3, budget=10)
    b = active.learning_curve(texts, labels, CLASSES, "random", 3, budget=10)
    assert [r["labels"] for r in a] == [2, 4, 6, 8, 10] == [r["labels"] for r in b]
    assert a[0]["accuracy"] == b[0]["accuracy"]  # the same two first labels, the same test split
    assert a[0]["pool"] - a[-1]["pool"] == 8
    with pytest.raises(ValueError):
        active.learning_curve(texts, labels, CLASSES, "greedy", 3, budget=10)


def test_uncertainty_sampling_beats_random_on_the_mini_users():
    """The borderline users (one outdoor hobby of three) are where labels teach most: averaged over
    five seeds, the area under the curve up to 30 labels is larger for uncertainty sampling."""
    users = mini_users()
    texts, labels = [u["persona"] for u in users], [u["gold"] for u in users]
    area = {}
    for strategy in active.STRATEGIES:
        curves = [active.learning_curve(texts, labels, CLASSES, strategy, seed, budget=30) for seed in range(5)]
        area[strategy] = np.mean([r["accuracy"] for curve in curves for r in curve])
    assert area["uncertainty"] > area["random"] + 0.02, area


def test_active_learning_table_by_hand():
    import pandas as pd

    from papers.persopilot.results import table_active_learning

    curve = pd.DataFrame([
        {"strategy": s, "seed": seed, "labels": n, "accuracy": acc, "under_threshold": under, "pool": 0, "accepted": 0,
         "most_frequent": 0.55 + 0.1 * seed, "chance": 0.5}
        for s, seed, n, acc, under in [("uncertainty", 0, 2, 0.5, 10), ("uncertainty", 1, 2, 0.7, 12),
                                       ("random", 0, 2, 0.5, 10), ("random", 1, 2, 0.7, 12),
                                       ("uncertainty", 0, 4, 0.9, 4), ("uncertainty", 1, 4, 0.8, 6),
                                       ("random", 0, 4, 0.6, 9), ("random", 1, 4, 0.7, 11)]])
    table = table_active_learning(curve)
    assert table["labels"].tolist() == [2, 4] and table["seeds"].tolist() == [2, 2]
    assert table["uncertainty"].tolist() == pytest.approx([0.6, 0.85])
    assert table["random"].tolist() == pytest.approx([0.6, 0.65])
    assert table["difference"].tolist() == pytest.approx([0.0, 0.2])
    assert table["under_threshold"].tolist() == pytest.approx([11, 5])
    assert table["uncertainty_sd"].iloc[1] == pytest.approx(np.std([0.9, 0.8], ddof=1))
    assert table["most_frequent"].tolist() == pytest.approx([0.6, 0.6]) and (table["chance"] == 0.5).all()
