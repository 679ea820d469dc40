"""Every method's answers to the test prompts on one backbone, in one process with every adapter loaded.

    python -m papers.alignx.answers --help

Methods (what each answer is generated with; greedy decoding, the same max_new_tokens for all):
  base          the backbone without adapters, bare prompt (the trivial baseline)
  sft           the multi-objective SFT adapter, bare prompt
  softmax       the uncalibrated softmax router's top expert, prompt injected with that expert's axis
  alignx        MoCaE: the calibrated router's top expert, injected
  no_natural    ablation: the router without the natural term, its top expert, injected
  no_fractal    ablation: the router without the fractal term, its top expert, injected
  no_injection  ablation: the calibrated router's top expert trained and queried without injection
Routing is hard (the top gate's expert answers alone): pluralign's reading of "route to the
calibrated expert" (README). Two methods that route a prompt to the same expert ask the same
request, which the call cache answers once.
Output (Parquet): backbone, method, prompt_id, axis, expert, adapter, answer.
"""
from __future__ import annotations

import pandas as pd

from papers.core.llm.types import GenerateRequest, Sampling

from .data import AXES
from .inject import expert_chat
from .routing import GATES

ROUTED = {"softmax": "softmax", "alignx": "alignx", "no_natural": "no_natural", "no_fractal": "no_fractal",
          "no_injection": "alignx"}  # method: the router it follows
METHODS = ("base", "sft", *ROUTED)
COLUMNS = ["method", "prompt_id", "axis", "expert", "adapter", "request"]


def method_requests(test: pd.DataFrame, gates: pd.DataFrame, template: str, sampling: Sampling) -> pd.DataFrame:
    """COLUMNS: one GenerateRequest per (method, test prompt); `expert` is the routed axis ("" for base
    and sft)."""
    if not isinstance(test, pd.DataFrame) or not isinstance(gates, pd.DataFrame):
        raise TypeError("method_requests takes the test prompts and the router gates as DataFrames")
    top = {(r.router, r.prompt_id): AXES[int(r.top)]
           for r in gates.assign(top=gates[GATES].to_numpy().argmax(axis=1)).itertuples(index=False)}
    rows = []
    for pid, axis, prompt in zip(test["prompt_id"], test["axis"], test["prompt"]):
        bare = expert_chat(prompt, axis, "none")
        rows.append(("base", pid, axis, "", "", GenerateRequest(bare, sampling)))
        rows.append(("sft", pid, axis, "", "sft", GenerateRequest(bare, sampling, adapter="sft")))
        for method, router in ROUTED.items():
            if (router, pid) not in top:
                raise ValueError(f"router {router!r} has no gates for test prompt {pid}")
            expert = top[(router, pid)]
            if method == "no_injection":
                chat, adapter = bare, f"{expert}_plain"
            else:
                chat, adapter = expert_chat(prompt, expert, template), expert
            rows.append((method, pid, axis, expert, adapter, GenerateRequest(chat, sampling, adapter=adapter)))
    return pd.DataFrame(rows, columns=COLUMNS)


def answer_all(model, requests: pd.DataFrame) -> list[str]:
    """The answers in the frame's order; asked grouped by adapter, so batches do not mix adapters."""
    order = sorted(range(len(requests)), key=lambda i: (requests["adapter"].iat[i], i))
    answers = model.generate([requests["request"].iat[i] for i in order])
    out = [""] * len(requests)
    for i, answer in zip(order, answers):
        out[i] = answer.strip()
    return out


def main(argv=None) -> None:
    import json
    from pathlib import Path

    from papers.core.cli import open_model, parser, setup_logging
    from papers.core.io import UserError, write_parquet

    from .experts import ADAPTERS

    p = parser(__doc__)
    p.add_argument("--axes", required=True)
    p.add_argument("--gates", required=True)
    p.add_argument("--backbone", required=True, help="the backbone's registry name (a column of the output)")
    p.add_argument("--base", required=True, metavar="JSON", help="the backbone's registry entry")
    p.add_argument("--adapters", nargs="+", required=True, help=f"the adapter directories, named {ADAPTERS}")
    p.add_argument("--template", required=True)
    p.add_argument("--max-new-tokens", type=int, required=True)
    p.add_argument("--cache", required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    adapters = {Path(d).name: d for d in a.adapters}
    if sorted(adapters) != sorted(ADAPTERS):
        raise UserError(f"--adapters must name one directory per adapter {', '.join(ADAPTERS)}")
    log = setup_logging()
    table = pd.read_parquet(a.axes)
    test = table[table["split"] == "test"]
    requests = method_requests(test, pd.read_parquet(a.gates), a.template, Sampling(max_new_tokens=a.max_new_tokens))
    entry = json.dumps({**json.loads(a.base), "adapters": adapters})
    model = open_model(entry, a.cache, a.threads, desc=f"{a.backbone} answers")
    answers = requests.drop(columns="request").assign(answer=answer_all(model, requests))
    write_parquet(a.out, answers.assign(backbone=a.backbone)[["backbone", *answers.columns]])
    log.info("%d answers (%d methods x %d test prompts), %d model calls", len(answers), len(METHODS), len(test),
             model.calls)


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)
