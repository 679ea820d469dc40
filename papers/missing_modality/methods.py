"""The five meme classifiers of paper 9, on precomputed image and text features (features.py).

    model = make_method("shared_space", settings).fit(image, text, labels, seed=0)
    probabilities = model.predict_proba(image, text, text_missing=mask)

Every method is a small torch network trained full-batch with Adam for a fixed number of epochs,
seeded (the same seed gives the same predictions). What each does when a meme's text is missing
(README, "Reproduction notes"):

- text_only     an MLP on the text vector; a missing text is the stand-in vector (masking.py), so
                it predicts from its bias alone, much as a detector fed an empty OCR string does.
- image_only    an MLP on the image vector; missing text changes nothing.
- early_fusion  an MLP on the concatenated vectors; a missing text is the stand-in vector.
- late_fusion   the mean of the text-only and image-only classifiers' probabilities (each trained
                alone, with the same seed); a missing text leaves the image classifier alone.
- shared_space  the paper's method (as far as the abstract says it): image and text are projected
                independently (an MLP each) into one k-dimensional space, the projections of the
                modalities present are averaged, and one head classifies the average. Training
                drops each meme's text with probability `text_dropout` (and, where the text is kept,
                its image with `image_dropout`) every epoch, so the head learns to classify an image
                projection alone; an alignment term, `align_weight` times the mean squared distance
                between a meme's image projection and its text projection (held fixed, no gradient),
                pulls the image toward where its text would have put it. At test time a missing
                text is left out of the average: no stand-in.

Only the shared-space model sees missing text during training; the baselines are trained on
complete memes.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .masking import STAND_INS, stand_in_vector, with_stand_in

METHODS = ("text_only", "image_only", "early_fusion", "late_fusion", "shared_space")


@dataclass(frozen=True)
class Settings:
    """Training settings shared by every method (config `missing_modality.train`)."""
    hidden: int = 64               # width of every hidden layer
    shared_dim: int = 32           # k, the shared space of the shared-space model
    epochs: int = 200              # full-batch steps
    learning_rate: float = 0.01
    weight_decay: float = 1e-4
    text_stand_in: str = "zero"    # what text_only and early_fusion see for a missing text (masking.py)
    text_dropout: float = 0.5      # shared_space: share of memes whose text is dropped each epoch
    image_dropout: float = 0.0     # shared_space: share of the rest whose image is dropped
    align_weight: float = 0.1      # shared_space: weight of the image-to-text alignment term (README)

    def __post_init__(self):
        if self.text_stand_in not in STAND_INS:
            raise ValueError(f"text_stand_in must be one of {STAND_INS}, got {self.text_stand_in!r}")
        if not (0.0 <= self.text_dropout <= 1.0 and 0.0 <= self.image_dropout < 1.0):
            raise ValueError("text_dropout must be in [0, 1] and image_dropout in [0, 1)")


def _features(image, text, labels=None) -> None:
    for name, value in (("image", image), ("text", text)):
        if not isinstance(value, np.ndarray) or value.ndim != 2:
            raise TypeError(f"{name} features must be a 2-d numpy array (memes x dimensions)")
    if len(image) != len(text):
        raise ValueError(f"{len(image)} image rows but {len(text)} text rows")
    if labels is not None:
        if not isinstance(labels, np.ndarray) or labels.dtype.kind not in "iu":
            raise TypeError("labels must be a numpy array of integer class ids")
        if labels.shape != (len(image),):
            raise ValueError(f"{len(image)} memes but labels of shape {labels.shape}")


def _mask(mask, n: int, name: str) -> np.ndarray:
    if mask is None:
        return np.zeros(n, dtype=bool)
    if not isinstance(mask, np.ndarray) or mask.dtype != bool or mask.shape != (n,):
        raise TypeError(f"{name} must be a boolean numpy array of {n} rows")
    return mask


def _mlp(d_in: int, hidden: int, d_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(d_in, hidden), nn.ReLU(), nn.Linear(hidden, d_out))


def _tensor(array: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))


def _fit(network: nn.Module, loss, settings: Settings) -> None:
    """Full-batch Adam for settings.epochs steps; `loss(epoch)` gives the step's loss."""
    optimiser = torch.optim.Adam(network.parameters(), lr=settings.learning_rate,
                                 weight_decay=settings.weight_decay)
    network.train()
    for epoch in range(settings.epochs):
        optimiser.zero_grad()
        loss(epoch).backward()
        optimiser.step()
    network.eval()


def _softmax(logits: torch.Tensor) -> np.ndarray:
    return torch.softmax(logits, dim=1).numpy().astype(np.float64)


class FeatureMLP:
    """An MLP on the vectors of the modalities it reads: ("text",) is text_only, ("image",)
    image_only, ("image", "text") early_fusion. A missing text is the stand-in vector; a missing
    image (only the tests remove images) is the zero vector."""

    def __init__(self, reads: tuple[str, ...], settings: Settings):
        if not reads or not set(reads) <= {"image", "text"}:
            raise ValueError(f"reads must name 'image' and/or 'text', got {reads!r}")
        self.reads, self.settings = tuple(reads), settings

    def _inputs(self, image, text, text_missing, image_missing) -> torch.Tensor:
        _features(image, text)
        text = with_stand_in(text, _mask(text_missing, len(text), "text_missing"), self.stand_in)
        image = np.where(_mask(image_missing, len(image), "image_missing")[:, None], 0.0, image)
        return _tensor(np.hstack([{"image": image, "text": text}[m] for m in self.reads]))

    def fit(self, image, text, labels, seed: int) -> "FeatureMLP":
        _features(image, text, labels)
        torch.manual_seed(seed)
        self.stand_in = stand_in_vector(text, self.settings.text_stand_in)
        x, y = self._inputs(image, text, None, None), torch.from_numpy(labels.astype(np.int64))
        self.network = _mlp(x.shape[1], self.settings.hidden, int(labels.max()) + 1)
        _fit(self.network, lambda _: nn.functional.cross_entropy(self.network(x), y), self.settings)
        return self

    def predict_proba(self, image, text, text_missing=None, image_missing=None) -> np.ndarray:
        with torch.no_grad():
            return _softmax(self.network(self._inputs(image, text, text_missing, image_missing)))


class LateFusion:
    """The mean of the text-only and image-only classifiers' probabilities over the modalities
    present: with the text missing, the image classifier alone."""

    def __init__(self, settings: Settings):
        self.text, self.image = FeatureMLP(("text",), settings), FeatureMLP(("image",), settings)

    def fit(self, image, text, labels, seed: int) -> "LateFusion":
        self.text.fit(image, text, labels, seed)
        self.image.fit(image, text, labels, seed)
        return self

    def predict_proba(self, image, text, text_missing=None, image_missing=None) -> np.ndarray:
        _features(image, text)
        has_text = ~_mask(text_missing, len(text), "text_missing")
        has_image = ~_mask(image_missing, len(image), "image_missing")
        p_text, p_image = self.text.predict_proba(image, text), self.image.predict_proba(image, text)
        present = has_text.astype(float) + has_image.astype(float)
        if (present == 0).any():
            raise ValueError("a meme with neither text nor image cannot be classified")
        return (has_text[:, None] * p_text + has_image[:, None] * p_image) / present[:, None]


class SharedSpaceNetwork(nn.Module):
    """Two projections into one space and a head on the mean of the projections present."""

    def __init__(self, d_image: int, d_text: int, settings: Settings, classes: int):
        super().__init__()
        self.image = _mlp(d_image, settings.hidden, settings.shared_dim)
        self.text = _mlp(d_text, settings.hidden, settings.shared_dim)
        self.head = _mlp(settings.shared_dim, settings.hidden, classes)

    def forward(self, image, text, has_image, has_text):
        z_image, z_text = self.image(image), self.text(text)
        weights = torch.stack([has_image, has_text], dim=1).float()
        fused = (weights[:, :1] * z_image + weights[:, 1:] * z_text) / weights.sum(dim=1, keepdim=True)
        return self.head(fused), z_image, z_text


class SharedSpace:
    """The paper's method: either modality alone can stand in for the pair (module docstring)."""

    def __init__(self, settings: Settings):
        self.settings = settings

    def fit(self, image, text, labels, seed: int) -> "SharedSpace":
        _features(image, text, labels)
        s = self.settings
        torch.manual_seed(seed)
        x_image, x_text = _tensor(image), _tensor(text)
        y = torch.from_numpy(labels.astype(np.int64))
        self.network = SharedSpaceNetwork(image.shape[1], text.shape[1], s, int(labels.max()) + 1)
        dropout = torch.Generator().manual_seed(seed)  # its own stream: the masks do not move the init
        n = len(labels)

        def loss(_):
            drop_text = torch.rand(n, generator=dropout) < s.text_dropout
            drop_image = ~drop_text & (torch.rand(n, generator=dropout) < s.image_dropout)  # never both
            logits, z_image, z_text = self.network(x_image, x_text, ~drop_image, ~drop_text)
            align = ((z_image - z_text.detach()) ** 2).sum(dim=1).mean()
            return nn.functional.cross_entropy(logits, y) + s.align_weight * align

        _fit(self.network, loss, s)
        return self

    def predict_proba(self, image, text, text_missing=None, image_missing=None) -> np.ndarray:
        _features(image, text)
        has_text = torch.from_numpy(~_mask(text_missing, len(text), "text_missing"))
        has_image = torch.from_numpy(~_mask(image_missing, len(image), "image_missing"))
        if not (has_text | has_image).all():
            raise ValueError("a meme with neither text nor image cannot be classified")
        with torch.no_grad():
            return _softmax(self.network(_tensor(image), _tensor(text), has_image, has_text)[0])


def make_method(name: str, settings: Settings):
    """A fresh, untrained method by name (METHODS)."""
    if not isinstance(settings, Settings):
        raise TypeError(f"settings must be a Settings, got {type(settings).__name__}")
    makers = {"text_only": lambda: FeatureMLP(("text",), settings),
              "image_only": lambda: FeatureMLP(("image",), settings),
              "early_fusion": lambda: FeatureMLP(("image", "text"), settings),
              "late_fusion": lambda: LateFusion(settings),
              "shared_space": lambda: SharedSpace(settings)}
    if name not in makers:
        raise ValueError(f"unknown method {name!r}; expected one of {METHODS}")
    return makers[name]()
