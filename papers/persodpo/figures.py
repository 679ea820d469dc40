"""PersoDPO's figures; each function is named after its file (figure_<stem>.{pdf,png}) and returns it."""
from __future__ import annotations

import pandas as pd

from papers.core.report.figures import new_figure


def figure_failures_and_length(candidates: pd.DataFrame, policies: pd.DataFrame, scale: str):
    """Failure ratio and mean words per reply: per generator of the candidates, per model on the test
    turns. (Response time is a timing, not a result: results/benchmarks/persodpo/, README.)"""
    fig, axes = new_figure(8.0, 3.0, ncols=2)
    for ax, column, label in ((axes[0], "failure_ratio", "failure ratio (no valid JSON)"),
                              (axes[1], "words", "words per reply")):
        names = [f"cand: {g}" for g in candidates["generator"]] + [f"test: {m}" for m in policies["model"]]
        values = list(candidates[column]) + list(policies[column])
        colours = ["C0"] * len(candidates) + ["C1"] * len(policies)
        ax.barh(range(len(names)), values, color=colours)
        ax.set_yticks(range(len(names)), names, fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel(label, fontsize=8)
    fig.suptitle(f"PersoDPO: failures and length of replies ({scale} scale)", fontsize=9)
    fig.tight_layout()
    return fig


def _per_step(summaries: list[dict], keys: tuple[str, str], titles: tuple[str, str], scale: str, what: str):
    fig, axes = new_figure(8.0, 3.0, ncols=2)
    for i, summary in enumerate(summaries):
        history = summary["log_history"]
        steps = [entry["step"] for entry in history]
        for ax, key in zip(axes, keys):
            ax.plot(steps, [entry.get(key, float("nan")) for entry in history], marker="o", color=f"C{i}",
                    label=summary["policy"])
    for ax, title in zip(axes, titles):
        ax.set_xlabel("step", fontsize=8)
        ax.set_title(title, fontsize=9)
    axes[0].legend(fontsize=7, frameon=False)
    fig.suptitle(f"PersoDPO: {what} per DPO step ({scale} scale)", fontsize=9)
    fig.tight_layout()
    return fig


def figure_training(summaries: list[dict], scale: str):
    """Training loss (weighted for PersoDPO) and gradient norm per step, per policy."""
    return _per_step(summaries, ("loss", "grad_norm"), ("loss", "gradient norm"), scale, "loss and gradient norm")


def figure_rewards(summaries: list[dict], scale: str):
    """DPO reward margin (chosen minus rejected) and reward accuracy per step, per policy."""
    return _per_step(summaries, ("rewards/margins", "rewards/accuracies"), ("reward margin", "reward accuracy"),
                     scale, "reward margin and accuracy")
