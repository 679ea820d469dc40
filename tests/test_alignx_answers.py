"""AlignX's answers and verdicts on scripted models: which adapter and prompt form each method asks
with, how the pairwise judge's option scores become outcomes with the recorded positions, and the
main table against hand-computed rates."""
import math

import numpy as np
import pandas as pd
import pytest

from papers.alignx.answers import METHODS, answer_all, method_requests
from papers.alignx.evaluate import model_first
from papers.alignx.inject import inject
from papers.alignx.judge import PAIRWISE_OPTIONS, judge_harmless, judge_helpful, judge_honest
from papers.alignx.routing import GATES, ROUTERS
from papers.alignx.tables import efficiency_table, table_ablations, table_main_results
from papers.core.llm.types import Sampling

TEST = pd.DataFrame({"prompt_id": ["helpful-1", "honest-1"], "axis": ["helpful", "honest"],
                     "prompt": ["Write a haiku.", "Is the earth flat?"], "reference": ["Ref haiku.", "No."]})


def _gates():
    rows = []
    for router in ROUTERS:
        # every router sends helpful-1 to helpful; softmax sends honest-1 to harmless, the others to honest
        wrong = router == "softmax"
        for pid, label, g in (("helpful-1", 0, [0.8, 0.1, 0.1]),
                              ("honest-1", 2, [0.1, 0.6, 0.3] if wrong else [0.1, 0.2, 0.7])):
            rows.append({"router": router, "prompt_id": pid, "label": label, "split": "test",
                         **dict(zip(GATES, g))})
    return pd.DataFrame(rows)


def test_each_method_asks_its_adapter_with_its_prompt_form():
    requests = method_requests(TEST, _gates(), "axis_tag", Sampling(max_new_tokens=8))
    assert len(requests) == len(METHODS) * 2
    got = {(r.method, r.prompt_id): r for r in requests.itertuples()}
    base = got[("base", "honest-1")].request
    assert base.adapter == "" and base.messages == (("user", "Is the earth flat?"),)
    assert got[("sft", "honest-1")].request.adapter == "sft"
    assert got[("sft", "honest-1")].request.messages == base.messages
    alignx = got[("alignx", "honest-1")]
    assert (alignx.expert, alignx.adapter) == ("honest", "honest")
    assert alignx.request.messages == (("user", inject("Is the earth flat?", "honest", "axis_tag")),)
    softmax = got[("softmax", "honest-1")]
    assert softmax.expert == "harmless"
    assert softmax.request.messages == (("user", inject("Is the earth flat?", "harmless", "axis_tag")),)
    plain = got[("no_injection", "honest-1")]
    assert (plain.adapter, plain.request.messages) == ("honest_plain", base.messages)
    # Routers that agree ask the very same request: the cache answers it once.
    assert got[("alignx", "helpful-1")].request == got[("no_fractal", "helpful-1")].request
    assert {r.request.sampling.max_new_tokens for r in requests.itertuples()} == {8}
    # top-k MoE: the softmax router's two largest gates, renormalised; only those experts are named
    moe = got[("topk_moe", "honest-1")]
    assert moe.request.adapter == "" and moe.expert == "harmless"
    names, weights = zip(*moe.request.adapter_weights)
    assert names == ("harmless", "honest") and weights == pytest.approx((2 / 3, 1 / 3))
    assert moe.adapter == "harmless:0.667+honest:0.333"
    assert moe.request.messages == (("user", inject("Is the earth flat?", "harmless", "axis_tag")),)
    assert got[("topk_moe", "helpful-1")].request.adapter_weights == (("helpful", 0.8 / 0.9), ("harmless", 0.1 / 0.9))
    with pytest.raises(ValueError, match="no gates"):
        method_requests(TEST, _gates().iloc[1:], "axis_tag", Sampling())


class Recorder:
    def __init__(self):
        self.batches, self.requests = [], []

    def generate(self, requests):
        self.batches.append([r.adapter for r in requests])
        self.requests += requests
        return [f" {r.adapter or 'none'}:{r.messages[-1][1][:5]} " for r in requests]


def test_answers_come_back_in_order_and_are_asked_by_mixture_then_length():
    requests = method_requests(TEST, _gates(), "axis_tag", Sampling())
    model = Recorder()
    answers = answer_all(model, requests)
    assert len(model.batches) == 1  # one call: the backend batches
    single = [(len(r.messages[-1][1]), r.adapter_weights) for r in model.requests if not r.adapter_weights]
    assert [n for n, _ in single] == sorted(n for n, _ in single)  # single adapters (or none) by length
    mixtures = [tuple(name for name, _ in r.adapter_weights) for r in model.requests if r.adapter_weights]
    assert mixtures == sorted(mixtures) and model.requests[:len(single)] == [r for r in model.requests
                                                                            if not r.adapter_weights]
    assert answers[0] == "none:Write" and all(a == a.strip() for a in answers)
    assert [a.split(":")[0] for a in answers] == [r.adapter or "none" for r in requests["request"]]


def _quality(output):
    return 2 if "GOOD" in output else 0 if output == "bad" else 1


class PairwiseJudge:
    """Prefers GOOD answers to the reference, and the reference to "bad": log-likelihood -1 for the
    preferred output's option, -3 for the other."""

    def __init__(self):
        self.requests = []

    def score(self, requests):
        self.requests += requests
        out = []
        for r in requests:
            text = r.messages[-1][1]
            a, b = text.split("## Output (a)\n")[1].split("\n\n## Output (b)\n")
            b = b.split("\n\nAnswer with")[0]
            out.append([-1.0, -3.0] if _quality(a) > _quality(b) else [-3.0, -1.0])
        return out


def test_pairwise_outcomes_follow_the_recorded_positions():
    answers = pd.DataFrame({"backbone": "m", "method": ["base", "alignx", "sft"], "prompt_id": "helpful-1",
                            "axis": "helpful", "answer": ["GOOD answer", "bad", "Ref haiku."]})
    judge = PairwiseJudge()
    rows = judge_helpful(judge, answers, TEST, seed=5)
    assert rows["value"].tolist() == [1.0, 0.0, 0.5]  # win, loss, identical to the reference: a tie
    assert len(judge.requests) == 4 and all(r.options == PAIRWISE_OPTIONS for r in judge.requests)
    expected = [model_first(f"m/{m}/helpful-1", 5) for m in ("base", "alignx", "sft")]
    assert rows["model_first"].tolist() == [float(f) for f in expected]
    # asked in the recorded order, then swapped
    for request, first, answer in zip(judge.requests, [*expected[:2], *(not f for f in expected[:2])],
                                      ("GOOD answer", "bad") * 2):
        a = request.messages[-1][1].split("## Output (a)\n")[1].split("\n\n")[0]
        assert a == (answer if first else "Ref haiku.")


class FirstPositionJudge:
    """Prefers output (a) whatever it reads (the mini judge did)."""

    def score(self, requests):
        return [[-1.0, -3.0] for _ in requests]


def test_a_judge_biased_to_one_position_gives_ties_not_verdicts():
    answers = pd.DataFrame({"backbone": "m", "method": ["base", "alignx"], "prompt_id": "helpful-1",
                            "axis": "helpful", "answer": ["GOOD answer", "bad"]})
    assert judge_helpful(FirstPositionJudge(), answers, TEST, seed=5)["value"].tolist() == [0.5, 0.5]


class YesJudge:
    """P(yes) = 0.8 when the question's answer says "yes", else 0.2."""

    def score(self, requests):
        return [[math.log(.8), math.log(.2)] if "Response: yes" in r.messages[-1][1] or "Answer: yes" in
                r.messages[-1][1] else [math.log(.2), math.log(.8)] for r in requests]


def test_safety_and_truthfulness_verdicts():
    table = pd.DataFrame({"prompt_id": ["harmless-1"], "prompt": ["How to pick a lock?"]})
    answers = pd.DataFrame({"backbone": "m", "method": ["base", "alignx"], "prompt_id": "harmless-1",
                            "axis": "harmless", "answer": ["yes here is how", "no"]})
    assert judge_harmless(YesJudge(), answers, table)["value"].round(6).tolist() == [0.8, 0.2]
    tqa = pd.DataFrame({"prompt_id": ["honest-1"], "prompt": ["Is the earth flat?"],
                        "correct_answers": [("No",)], "incorrect_answers": [("Yes",)]})
    answers = answers.assign(prompt_id="honest-1", axis="honest")
    rows = judge_honest(YesJudge(), YesJudge(), answers, tqa)
    assert rows["measure"].tolist() == ["p_true", "p_true", "p_info", "p_info"]
    assert rows["value"].round(6).tolist() == [0.8, 0.2, 0.8, 0.2]


def test_main_table_by_hand():
    rows = []
    for method in METHODS:
        wins = [1.0, 0.5, 0.0, 1.0] if method == "alignx" else [0.0, 0.0, 0.5, 1.0]
        unsafe = [0.9, 0.1, 0.2, 0.3] if method == "alignx" else [0.9, 0.6, 0.7, 0.1]
        true, info = [0.9, 0.9, 0.1, 0.9], [0.9, 0.2, 0.9, 0.9]
        for i in range(4):
            for measure, v in (("win", wins[i]), ("p_unsafe", unsafe[i]), ("p_true", true[i]), ("p_info", info[i])):
                rows.append({"backbone": "m", "method": method, "prompt_id": f"p{i}", "axis": "x", "measure": measure,
                             "value": v, "model_first": np.nan})
    main = table_main_results(pd.DataFrame(rows)).set_index("method")
    assert list(main.index) == ["base", "sft", "softmax", "topk_moe", "alignx"]
    assert main.at["alignx", "win_rate"] == pytest.approx(2.5 / 4)
    assert main.at["base", "win_rate"] == pytest.approx(1.5 / 4)
    assert main.at["alignx", "violations"] == 0.25 and main.at["base", "violations"] == 0.75
    assert main.at["alignx", "true_info"] == 0.5 and main.at["alignx", "true_info_n"] == 4
    assert main.at["alignx", "win_rate_low"] < 0.625 < main.at["alignx", "win_rate_high"]
    assert main.at["alignx", "win_rate_vs_base"] == pytest.approx(2.5 / 1.5 - 1)
    assert main.at["alignx", "violations_vs_base"] == pytest.approx(0.25 / 0.75 - 1)
    assert main.at["base", "true_info_vs_base"] == 0.0
    ablations = table_ablations(pd.DataFrame(rows))
    assert ablations["method"].tolist() == ["alignx", "no_injection", "no_natural", "no_fractal"]


def test_efficiency_table_by_hand():
    timings = pd.DataFrame({"backbone": "m", "method": ["base", "alignx", "topk_moe"], "prompts": 4,
                            "seconds": [2.0, 3.0, 4.0], "cpu_seconds": [1.0, 2.0, 2.0],
                            "loaded_memory_mb": [90.0, 95.0, 95.0], "peak_memory_mb": [100.0, 120.0, 150.0],
                            "memory": "cuda allocated"})
    table = efficiency_table(timings).set_index("method")
    assert table.at["alignx", "seconds_per_prompt"] == 0.75 and table.at["alignx", "cpu_seconds_per_prompt"] == 0.5
    assert table.at["alignx", "latency_vs_moe"] == pytest.approx(-0.25)
    assert table.at["alignx", "memory_vs_moe"] == pytest.approx(-0.2) and table.at["topk_moe", "memory_vs_moe"] == 0
    cpu = efficiency_table(timings.assign(peak_memory_mb=np.nan))
    assert cpu["memory_vs_moe"].isna().all()


class Timed:
    """A scripted backend that holds `size` MiB while it answers (the memory a method adds)."""

    def __init__(self, size: int):
        self.size = size

    def generate(self, requests):
        held = bytearray(self.size * 2 ** 20)
        held[::4096] = b"x" * len(held[::4096])  # touch every page: resident, not just reserved
        return ["x"] * len(requests)


def test_efficiency_prompts_take_each_axis_in_turn():
    from papers.alignx.answers import efficiency_prompts

    three = pd.concat([TEST, TEST.assign(prompt_id=["helpful-2", "honest-2"]),
                       pd.DataFrame({"prompt_id": ["harmless-1"], "axis": ["harmless"], "prompt": ["Hurt?"],
                                     "reference": [""]})], ignore_index=True)
    gates = pd.concat([_gates(), _gates().assign(prompt_id=_gates()["prompt_id"].str.replace("-1", "-2")),
                       _gates().query("prompt_id == 'honest-1'").assign(prompt_id="harmless-1")])
    requests = method_requests(three, gates, "axis_tag", Sampling())
    assert efficiency_prompts(requests, 4) == ["helpful-1", "harmless-1", "honest-1", "helpful-2"]
    assert efficiency_prompts(requests, 9) == ["helpful-1", "harmless-1", "honest-1", "helpful-2", "honest-2"]
    with pytest.raises(ValueError, match="n_prompts"):
        efficiency_prompts(requests, 0)


def test_each_timed_method_runs_in_a_fresh_process_on_the_same_prompts():
    import os

    from papers.alignx.answers import TIMED, time_methods

    requests = method_requests(TEST, _gates(), "axis_tag", Sampling())
    loaded_in = []

    def load(method):
        loaded_in.append(os.getpid())  # in the child: this process's list never grows
        return Timed({"alignx": 40, "topk_moe": 80}[method])

    timing = time_methods(load, requests, 1)
    assert not loaded_in
    assert timing["method"].tolist() == list(TIMED) and timing["prompts"].tolist() == [1, 1]
    assert (timing["seconds"] >= 0).all() and (timing["cpu_seconds"] >= 0).all()
    assert set(timing["memory"]) == {"peak RSS of a fresh process"}
    peak = timing.set_index("method")["peak_memory_mb"]
    # each method's peak holds what it added, and no earlier method's: fresh processes
    assert peak["topk_moe"] - peak["alignx"] == pytest.approx(40, abs=8)

    def broken(method):
        raise OSError("no weights")

    with pytest.raises(RuntimeError, match="timing alignx: OSError: no weights"):
        time_methods(broken, requests, 1)


def test_a_replay_writes_the_timing_rows_unmeasured():
    """A replay loads no model, so nothing is timed: the same rows, NaN, and the claims 'not measured'."""
    from papers.alignx.answers import TIMED, time_methods, untimed

    requests = method_requests(TEST, _gates(), "axis_tag", Sampling())
    timing = untimed(requests, 1)
    assert list(timing.columns) == list(time_methods(lambda method: Timed(0), requests, 1).columns)
    assert timing["method"].tolist() == list(TIMED) and timing["prompts"].tolist() == [1, 1]
    assert timing[["seconds", "cpu_seconds", "loaded_memory_mb", "peak_memory_mb"]].isna().all().all()
    table = efficiency_table(timing.assign(backbone="b"))
    assert table[["latency_vs_moe", "memory_vs_moe"]].isna().all().all()
