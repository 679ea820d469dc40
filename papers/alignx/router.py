"""MoCaE's router: gates over the three axis experts from prompt features, and its calibration.

What the paper publishes (abstract; released README's hyper-parameters): stage 2 "calibrates
expert routing using fractal and natural geometry", with latent k = 256, calibration weights
lambda1 = 0.6 and lambda2 = 0.4, softmax temperature 1, clustering granularity eps = 0.05, AdamW
(lr 2e-5, batch 64, weight decay 0.01), 3 epochs. It publishes no formula. The released code
(github.com/gskgautam/AlignX, calibrated_embedding.py) adds two untrained residual MLPs ("natural",
"fractal") to a router's features and uses neither the lambdas nor eps, so it settles nothing.
pluralign's reading, each piece stated so that it can be replaced:

1. Latent space. A prompt's feature vector x (a sentence embedding, or the backbone's hidden
   state) is mapped to z = normalise(x P), P a fixed seeded Gaussian projection to k = 256
   dimensions (distances are kept up to a small distortion, Johnson-Lindenstrauss), z on the unit
   sphere. Not learned: the router's only parameters are below.
2. Router (the uncalibrated baseline is this alone): gates g(x) = softmax((z W + b) / T), W in
   R^{k x 3}, trained with cross-entropy on the axis each training prompt comes from, by AdamW
   (decoupled weight decay on W and b, betas 0.9/0.999, eps 1e-8, W and b start at zero) in
   seeded mini-batches.
3. Natural geometry (lambda1): the class posterior that the axes' centroids in the latent space
   imply, q_nat(a | x) = softmax_a(-||z - mu_a||^2 / tau), mu_a the mean latent vector of axis a's
   training prompts; tau is fitted once by maximum leave-one-out likelihood of the training labels
   (a grid over 10^-4..10^2), and a training prompt's own centroid leaves it out.
4. Fractal geometry (lambda2): the axis mixture of a prompt's neighbourhoods at dyadic scales, the
   self-similar multi-scale reading of "clustering granularity eps": at scale j the 2^j eps share of
   the reference prompts nearest to z (j = 0, 1, ... while 2^j eps < 1: 5%, 10%, 20%, 40%, 80% for eps
   = 0.05), each scale's axis shares with one pseudo-count spread by the axis priors, averaged over
   scales. A prompt inside a pure cluster at every scale keeps a confident target; one whose
   neighbourhoods mix axes, at any scale, gets a softer one. Scales are shares, not radii: in 256
   dimensions distances concentrate, and balls of radius 0.05-0.8 around a sentence embedding are
   empty, which would make the term a constant. The reference set is the training prompts, or a
   seeded stratified sample of `reference_size` of them at paper scale (the shares need no more).
5. Calibration. The router is trained on L = CE(y, g) + lambda1 CE(q_nat, g) + lambda2 CE(q_frac, g),
   whose minimiser over g is the soft target t = (y + lambda1 q_nat + lambda2 q_frac) / (1 + lambda1
   + lambda2): geometry-aware label smoothing, strongest where the latent geometry says axes mix.
   Each term is switchable (`natural`, `fractal`) for the ablations; both off is the uncalibrated
   softmax router.

The alternative reading of "natural geometry" as the Fisher-Rao (information) geometry of the
simplex was not taken: the issue and the hyper-parameters (a latent k, a clustering eps) point at
geometry in feature space.

Also here: top-k gating (the LoRA-MoE baseline), expected calibration error and the data of a
reliability diagram. Labels are expert indices 0..n-1 (AXES order); features a 2-D float array.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

N_EXPERTS = 3


@dataclass(frozen=True)
class RouterSettings:
    latent_dim: int = 256          # released: latent k = 256
    lambda_natural: float = 0.6    # released: lambda1
    lambda_fractal: float = 0.4    # released: lambda2
    temperature: float = 1.0       # released: softmax temperature 1
    eps: float = 0.05              # released: clustering granularity
    learning_rate: float = 2e-5    # released: AdamW lr
    batch_size: int = 64           # released
    weight_decay: float = 0.01     # released
    epochs: int = 3                # released
    natural: bool = True           # ablation switches
    fractal: bool = True
    reference_size: int = 4096     # pluralign's: neighbours are counted among at most this many prompts
    seed: int = 0

    def __post_init__(self):
        for name in ("latent_dim", "batch_size", "epochs", "reference_size", "seed"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"RouterSettings.{name} must be an int, got {type(value).__name__}")
        for name in ("lambda_natural", "lambda_fractal", "temperature", "eps", "learning_rate", "weight_decay"):
            if not isinstance(getattr(self, name), (int, float)) or isinstance(getattr(self, name), bool):
                raise TypeError(f"RouterSettings.{name} must be a number")
        if not 0 < self.eps < 1 or self.temperature <= 0 or min(self.latent_dim, self.batch_size, self.epochs) < 1:
            raise ValueError(f"RouterSettings out of range: {self}")


# ---------------------------------------------------------------- inputs and small pieces

def _features(x, name: str = "features") -> np.ndarray:
    array = np.asarray(x)
    if array.dtype.kind not in "fiu" or array.ndim != 2:
        raise TypeError(f"{name} must be a 2-D array of numbers, got {array.dtype} with shape {array.shape}")
    return array.astype(float)


def _labels(y, n: int, n_classes: int) -> np.ndarray:
    array = np.asarray(y)
    if array.dtype.kind not in "iu" or array.shape != (n,):
        raise TypeError(f"labels must be {n} integers (expert indices), got {array.dtype} with shape {array.shape}")
    if len(array) and (array.min() < 0 or array.max() >= n_classes):
        raise ValueError(f"labels must lie in 0..{n_classes - 1}")
    return array


def _probabilities(p) -> np.ndarray:
    array = _features(p, "probabilities")
    if (array < 0).any() or not np.allclose(array.sum(axis=1), 1.0, atol=1e-6):
        raise ValueError("each row of probabilities must be non-negative and sum to 1")
    return array


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    scaled = np.asarray(logits, dtype=float) / temperature
    scaled = scaled - scaled.max(axis=1, keepdims=True)
    e = np.exp(scaled)
    return e / e.sum(axis=1, keepdims=True)


def one_hot(y: np.ndarray, n_classes: int) -> np.ndarray:
    return np.eye(n_classes)[y]


def latent_projection(input_dim: int, latent_dim: int, seed: int) -> np.ndarray:
    """P in R^{input_dim x latent_dim}, entries N(0, 1 / latent_dim), from the seed."""
    return np.random.default_rng(seed).normal(0.0, latent_dim ** -0.5, size=(input_dim, latent_dim))


def to_latent(features, projection: np.ndarray) -> np.ndarray:
    z = _features(features) @ projection
    norms = np.linalg.norm(z, axis=1, keepdims=True)
    return z / np.where(norms > 0, norms, 1.0)


# ---------------------------------------------------------------- the two geometry terms

TAU_GRID = np.logspace(-4, 2, 121)


@dataclass(frozen=True)
class Geometry:
    """What the two calibration terms know of the training prompts' latent vectors."""

    centroids: np.ndarray       # (n_classes, k)
    counts: np.ndarray          # training prompts per class
    tau: float                  # the natural term's fitted temperature
    reference: np.ndarray       # latent vectors the fractal term counts neighbours among
    reference_labels: np.ndarray
    reference_index: np.ndarray  # each reference prompt's row in the training set
    prior: np.ndarray           # class shares of the training set
    eps: float

    def natural(self, z: np.ndarray, own: np.ndarray | None = None) -> np.ndarray:
        """q_nat for latent vectors z; `own`: their labels when z are the training prompts, whose
        own centroid then leaves them out."""
        return softmax(-centroid_sq_distances(z, self.centroids, self.counts, own) / self.tau)

    def scales(self, n_reference: int) -> list[int]:
        """Neighbourhood sizes: the 2^j eps shares of the reference set, at least one prompt each and
        at most all but one (so a training prompt's own row, sorted last, is never counted)."""
        sizes, share = [], self.eps
        while share < 1:
            sizes.append(min(max(1, int(round(share * n_reference))), max(1, n_reference - 1)))
            share *= 2
        return sizes

    def fractal(self, z: np.ndarray, training_rows: np.ndarray | None = None) -> np.ndarray:
        """q_frac for latent vectors z; `training_rows`: their rows in the training set when z are
        training prompts, so that a prompt is never its own neighbour (its distance is set to
        infinity, so it sorts last, beyond every scale)."""
        n_classes = len(self.prior)
        self_ref = np.full(len(z), -1)
        if training_rows is not None:
            where = {int(row): i for i, row in enumerate(self.reference_index)}
            self_ref = np.array([where.get(int(r), -1) for r in training_rows])
        sizes = self.scales(len(self.reference))
        out = np.empty((len(z), n_classes))
        for start in range(0, len(z), 1024):  # bounded memory at paper scale
            block = slice(start, start + 1024)
            d = np.sqrt(np.maximum(0.0, 2.0 - 2.0 * z[block] @ self.reference.T))
            rows = np.flatnonzero(self_ref[block] >= 0)
            d[rows, self_ref[block][rows]] = np.inf
            nearest = self.reference_labels[np.argsort(d, axis=1, kind="stable")]
            shares = []
            for size in sizes:
                counts = np.stack([(nearest[:, :size] == c).sum(axis=1) for c in range(n_classes)], axis=1)
                shares.append((counts + self.prior) / (size + 1.0))
            out[block] = np.mean(shares, axis=0)
        return out


def centroid_sq_distances(z: np.ndarray, centroids: np.ndarray, counts: np.ndarray,
                          own: np.ndarray | None = None) -> np.ndarray:
    """||z - mu_a||^2 for every row and axis; with `own` (the rows' labels, the rows being training
    prompts) a row's own centroid is the one without it."""
    d = ((z[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2)
    if own is not None:
        n_c = counts[own].astype(float)
        # ||z - (n mu - z) / (n - 1)||^2 = (n / (n - 1))^2 ||z - mu||^2; fit_geometry ensures n >= 2
        rows = np.arange(len(z))
        d[rows, own] = d[rows, own] * (n_c / (n_c - 1)) ** 2
    return d


def fit_natural_temperature(sq_distances: np.ndarray, y: np.ndarray) -> float:
    """The tau of TAU_GRID that maximises the likelihood of the labels under softmax(-d / tau)."""
    best, best_ll = float(TAU_GRID[0]), -np.inf
    for tau in TAU_GRID:
        logits = -sq_distances / tau
        log_p = logits - logits.max(axis=1, keepdims=True)
        log_p = log_p - np.log(np.exp(log_p).sum(axis=1, keepdims=True))
        ll = log_p[np.arange(len(y)), y].sum()
        if ll > best_ll:
            best, best_ll = float(tau), ll
    return best


def fit_geometry(z: np.ndarray, y: np.ndarray, eps: float, reference_size: int, seed: int,
                 n_classes: int = N_EXPERTS) -> Geometry:
    """Centroids, tau and the reference set of the training prompts' latent vectors z."""
    counts = np.bincount(y, minlength=n_classes)
    if (counts < 2).any():
        raise ValueError(f"every axis needs at least two training prompts, got counts {counts.tolist()}")
    centroids = np.stack([z[y == c].mean(axis=0) for c in range(n_classes)])
    reference_index = np.arange(len(z))
    if len(z) > reference_size:  # a stratified seeded sample keeps every axis's share
        rng = np.random.default_rng(seed)
        reference_index = np.sort(np.concatenate([
            rng.choice(np.flatnonzero(y == c), max(1, round(reference_size * counts[c] / len(z))), replace=False)
            for c in range(n_classes)]))
    tau = fit_natural_temperature(centroid_sq_distances(z, centroids, counts, own=y), y)
    return Geometry(centroids, counts, tau, z[reference_index], y[reference_index], reference_index,
                    counts / counts.sum(), eps)


def soft_targets(y: np.ndarray, n_classes: int, q_natural: np.ndarray | None, lambda_natural: float,
                 q_fractal: np.ndarray | None, lambda_fractal: float) -> np.ndarray:
    """t = (onehot(y) + l1 q_nat + l2 q_frac) / (1 + l1 + l2), a term left out when its q is None."""
    target, weight = one_hot(y, n_classes), 1.0
    for q, lam in ((q_natural, lambda_natural), (q_fractal, lambda_fractal)):
        if q is not None:
            target, weight = target + lam * q, weight + lam
    return target / weight


# ---------------------------------------------------------------- the router and its training

@dataclass(frozen=True)
class Router:
    projection: np.ndarray   # (input_dim, k), fixed
    weights: np.ndarray      # (k, n_experts)
    bias: np.ndarray         # (n_experts,)
    temperature: float

    def logits(self, features) -> np.ndarray:
        return to_latent(features, self.projection) @ self.weights + self.bias

    def gates(self, features) -> np.ndarray:
        """Each prompt's weights over the experts (rows sum to 1)."""
        return softmax(self.logits(features), self.temperature)


def train_linear(z: np.ndarray, targets: np.ndarray, s: RouterSettings) -> tuple[np.ndarray, np.ndarray]:
    """(W, b) minimising the mean cross-entropy of softmax((z W + b) / T) against soft targets, by
    AdamW in shuffled mini-batches (seeded), as torch.optim.AdamW does it."""
    n, k = z.shape
    params = [np.zeros((k, targets.shape[1])), np.zeros(targets.shape[1])]
    moments = [[np.zeros_like(p), np.zeros_like(p)] for p in params]
    beta1, beta2, adam_eps = 0.9, 0.999, 1e-8
    rng, step = np.random.default_rng(s.seed), 0
    for _ in range(s.epochs):
        order = rng.permutation(n)
        for start in range(0, n, s.batch_size):
            batch = order[start:start + s.batch_size]
            g = softmax(z[batch] @ params[0] + params[1], s.temperature)
            d_logits = (g - targets[batch]) / (s.temperature * len(batch))
            grads = [z[batch].T @ d_logits, d_logits.sum(axis=0)]
            step += 1
            for p, grad, (m, v) in zip(params, grads, moments):
                p *= 1.0 - s.learning_rate * s.weight_decay
                m[...] = beta1 * m + (1 - beta1) * grad
                v[...] = beta2 * v + (1 - beta2) * grad ** 2
                m_hat, v_hat = m / (1 - beta1 ** step), v / (1 - beta2 ** step)
                p -= s.learning_rate * m_hat / (np.sqrt(v_hat) + adam_eps)
    return params[0], params[1]


def fit_router(features, labels, settings: RouterSettings, n_experts: int = N_EXPERTS) -> Router:
    """Train the MoCaE router on training prompts' features and their axes (expert indices), with
    the geometry terms that `settings` switches on (both off: the uncalibrated softmax router)."""
    if not isinstance(settings, RouterSettings):
        raise TypeError(f"settings must be RouterSettings, got {type(settings).__name__}")
    x = _features(features)
    y = _labels(labels, len(x), n_experts)
    projection = latent_projection(x.shape[1], settings.latent_dim, settings.seed)
    z = to_latent(x, projection)
    q_nat = q_frac = None
    if settings.natural or settings.fractal:
        geometry = fit_geometry(z, y, settings.eps, settings.reference_size, settings.seed, n_experts)
        q_nat = geometry.natural(z, own=y) if settings.natural else None
        q_frac = geometry.fractal(z, training_rows=np.arange(len(z))) if settings.fractal else None
    targets = soft_targets(y, n_experts, q_nat, settings.lambda_natural, q_frac, settings.lambda_fractal)
    weights, bias = train_linear(z, targets, settings)
    return Router(projection, weights, bias, float(settings.temperature))


# ---------------------------------------------------------------- gating and calibration measures

def top_k_gates(gates, k: int) -> np.ndarray:
    """The LoRA-MoE baseline's gating: keep each row's k largest gates (a tie goes to the lower
    expert index), zero the rest, renormalise to sum 1."""
    g = _probabilities(gates)
    if not isinstance(k, int) or isinstance(k, bool):
        raise TypeError(f"k must be an int, got {type(k).__name__}")
    if not 1 <= k <= g.shape[1]:
        raise ValueError(f"k must be in 1..{g.shape[1]}, got {k}")
    keep = np.argsort(-g, axis=1, kind="stable")[:, :k]
    out = np.zeros_like(g)
    rows = np.arange(len(g))[:, None]
    out[rows, keep] = g[rows, keep]
    total = out.sum(axis=1, keepdims=True)
    # a row whose k largest gates are all zero cannot happen: they sum to at least k / n > 0
    return out / total


def reliability(probabilities, labels, n_bins: int = 10) -> list[dict]:
    """The data of a reliability diagram: per equal-width confidence bin (lower, upper], with 0 in
    the first, of the top gate: count, mean confidence, accuracy (nan in an empty bin)."""
    p = _probabilities(probabilities)
    y = _labels(labels, len(p), p.shape[1])
    if not isinstance(n_bins, int) or isinstance(n_bins, bool) or n_bins < 1:
        raise TypeError(f"n_bins must be a positive int, got {n_bins!r}")
    confidence, correct = p.max(axis=1), (p.argmax(axis=1) == y).astype(float)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.searchsorted(edges[1:-1], confidence, side="left")
    bins = []
    for b in range(n_bins):
        inside = which == b
        count = int(inside.sum())
        bins.append({"lower": float(edges[b]), "upper": float(edges[b + 1]), "count": count,
                     "confidence": float(confidence[inside].mean()) if count else float("nan"),
                     "accuracy": float(correct[inside].mean()) if count else float("nan")})
    return bins


def expected_calibration_error(probabilities, labels, n_bins: int = 10) -> float:
    """ECE = sum over bins of (count / N) |accuracy - confidence|, top-gate confidence, equal-width bins."""
    bins = reliability(probabilities, labels, n_bins)
    n = sum(b["count"] for b in bins)
    if n == 0:
        return float("nan")
    return sum(b["count"] / n * abs(b["accuracy"] - b["confidence"]) for b in bins if b["count"])
