"""DPO whose per-pair loss is multiplied by the pair's weight from a dataset column (PersoDPO).

PersoDPO weights each pair's loss by sigmoid(q_chosen - q_rejected). The authors' weighting hook is
never called by TRL, so their "PersoDPO" trained as plain DPO. Where TRL 1.16 really computes the
loss: `DPOTrainer.compute_loss` calls `_compute_loss(model, inputs, return_outputs)`, which runs the
policy and the reference on the batch ([chosen rows; rejected rows]), computes each pair's loss
(`per_sequence_loss`) and reduces it at once with `.mean()`, in the same function. No hook sits
between the per-pair losses and their mean, so this trainer overrides `_compute_loss` and asks the
parent for each pair's loss on a batch of that one pair:

    loss = (1 / n) * sum_i  w_i * L_i,      L_i = DPOTrainer._compute_loss(pair i alone)

So each L_i is TRL's own loss, unchanged; a weight 0 removes pair i from the gradient, doubling w_i
doubles its contribution, and weights all 1 give TRL's batch loss (the mean of its per-pair losses).
The sum is divided by the number of pairs, not by the sum of weights: dividing by the weights would
make them relative within a batch, and doubling every weight would change nothing. The price is one
forward per pair instead of one per batch; on a CPU (mini scale) that costs about nothing, on a GPU
it gives up batching within a step (not measured yet).

Only loss_type "sigmoid" (the paper's DPO) is accepted: it depends on its own pair alone, so one
pair's loss alone equals its share of the batch loss. Batch-coupled losses (aot sorts the batch,
bco_pair keeps running means, sft averages tokens over the batch) would not.

The weight travels as the column WEIGHT of the training (and evaluation) dataset: the trainer adds
it to the columns the Trainer keeps and to the batches its collator builds. Every example must have
one, a finite number >= 0. Evaluation loss is weighted the same way.
"""
from __future__ import annotations

import math

import torch
from trl import DPOTrainer

WEIGHT = "weight"
SUPPORTED_LOSS_TYPES = ("sigmoid",)


class WeightedPreferenceCollator:
    """TRL's preference collator plus a float tensor of the examples' weights (batch key WEIGHT)."""

    def __init__(self, collator):
        self.collator = collator

    def __call__(self, examples: list[dict]) -> dict:
        weights = []
        for i, example in enumerate(examples):
            if WEIGHT not in example:
                raise ValueError(f"example {i} of the batch has no {WEIGHT!r} column; every example of a "
                                 "WeightedDPOTrainer dataset needs one")
            value = example[WEIGHT]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise ValueError(f"example {i}: weight must be a finite number >= 0, got {value!r}")
            weights.append(float(value))
        batch = self.collator([{k: v for k, v in e.items() if k != WEIGHT} for e in examples])
        batch[WEIGHT] = torch.tensor(weights, dtype=torch.float32)
        return batch


def _one_pair(inputs: dict, i: int, n: int) -> dict:
    """The batch of pair i alone: rows i and n + i of the [chosen; rejected] tensors, row i of the
    per-pair ones (precomputed reference log-probs)."""
    pair = {}
    for key, value in inputs.items():
        if not isinstance(value, torch.Tensor):
            raise TypeError(f"batch key {key!r} is not a tensor; WeightedDPOTrainer takes text batches only")
        if value.shape[0] == 2 * n:
            pair[key] = value[[i, n + i]]
        elif value.shape[0] == n:
            pair[key] = value[i:i + 1]
        else:
            raise ValueError(f"batch key {key!r} has {value.shape[0]} rows for {n} pairs")
    return pair


class WeightedDPOTrainer(DPOTrainer):
    """A DPOTrainer whose loss is (1/n) sum_i w_i L_i, w_i the dataset's WEIGHT column."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if list(self.loss_types) != list(SUPPORTED_LOSS_TYPES):
            raise ValueError(f"WeightedDPOTrainer supports loss_type {list(SUPPORTED_LOSS_TYPES)}, "
                             f"got {self.loss_types}")
        # The collator is read when the dataloaders are built (train() / evaluate()), after this.
        self.data_collator = WeightedPreferenceCollator(self.data_collator)

    def _set_signature_columns_if_needed(self):
        # The Trainer drops dataset columns outside this list before collating; keep the weight.
        super()._set_signature_columns_if_needed()
        if WEIGHT not in self._signature_columns:
            self._signature_columns = [*self._signature_columns, WEIGHT]

    def _compute_loss(self, model, inputs, return_outputs):
        if WEIGHT not in inputs:
            raise ValueError(f"the batch has no {WEIGHT!r}: build it with WeightedPreferenceCollator")
        weights = inputs[WEIGHT]
        batch = {k: v for k, v in inputs.items() if k != WEIGHT}
        n = len(weights)
        per_pair = [super(WeightedDPOTrainer, self)._compute_loss(model, _one_pair(batch, i, n), False)
                    for i in range(n)]
        weights = weights.to(per_pair[0].device, per_pair[0].dtype)
        loss = (torch.stack(per_pair) * weights).sum() / n
        mode = "train" if self.model.training else "eval"
        self._metrics[mode]["weight"].append(weights.mean().item())
        if not return_outputs:
            return loss
        with torch.no_grad():  # as the parent does: the logits of a plain forward, for compute_metrics
            outputs = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
        return loss, outputs
