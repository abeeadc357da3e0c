"""scikit-learn's bundled digits and a small ReLU MLP trained on them (pure numpy).

The dataset is ``sklearn.datasets.load_digits``: 1,797 images of 8 × 8 pixels with grey levels
0–16, bundled with scikit-learn (no download). :func:`digits_split` scales the pixels to
``[0, 1]`` (``/16``) and splits them once, stratified by class, with a fixed seed
(:data:`SPLIT_SEED`) and test fraction (:data:`TEST_FRACTION`): every study and test sees the
same 1,347 training and 450 test images.

:func:`train_mlp` trains a ``64-H-10`` network (ReLU hidden layer, softmax output) with
full-batch Adam on the cross-entropy plus an L2 penalty, from weights drawn with a seeded
generator (He initialisation): the same seed gives the same weights bit for bit.
:class:`Mlp` holds the weights as ``(inputs, outputs)`` matrices, the orientation of a
crossbar (rows = word lines = inputs, columns = outputs), and the biases, which the chip
adds digitally after the ADC.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

#: Seed and test fraction of the one fixed, stratified split.
SPLIT_SEED = 0
TEST_FRACTION = 0.25
#: Grey levels of the bundled digits: 0 … 16.
PIXEL_MAX = 16.0
CLASSES = 10


@dataclass(frozen=True, eq=False)
class DigitsSplit:
    """Pixels in ``[0, 1]`` (``(images, 64)``, row-major 8 × 8) and labels ``0 … 9``."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


@functools.lru_cache(maxsize=1)
def digits_split() -> DigitsSplit:
    """The fixed stratified split of the bundled digits (cached; arrays read-only)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    x = data.data.astype(float) / PIXEL_MAX
    x_train, x_test, y_train, y_test = train_test_split(
        x, data.target.astype(np.int64), test_size=TEST_FRACTION, stratify=data.target, random_state=SPLIT_SEED)
    for array in (x_train, x_test, y_train, y_test):
        array.flags.writeable = False
    return DigitsSplit(x_train, y_train, x_test, y_test)


@dataclass(frozen=True, eq=False)
class Mlp:
    """A two-layer perceptron: ``w1`` ``(64, H)``, ``b1`` ``(H,)``, ``w2`` ``(H, 10)``, ``b2`` ``(10,)``."""

    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray

    @property
    def weights(self) -> tuple[np.ndarray, np.ndarray]:
        return self.w1, self.w2

    @property
    def biases(self) -> tuple[np.ndarray, np.ndarray]:
        return self.b1, self.b2

    def hidden(self, x: np.ndarray) -> np.ndarray:
        """ReLU activations ``(images, H)`` of inputs ``x`` ``(images, 64)``."""
        return np.maximum(x @ self.w1 + self.b1, 0.0)

    def logits(self, x: np.ndarray) -> np.ndarray:
        return self.hidden(x) @ self.w2 + self.b2

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.argmax(self.logits(x), axis=1)

    def with_weights(self, w1: np.ndarray, w2: np.ndarray) -> "Mlp":
        return Mlp(np.asarray(w1, dtype=float), self.b1, np.asarray(w2, dtype=float), self.b2)


def accuracy(predicted: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of ``predicted`` equal to ``labels``."""
    return float(np.mean(np.asarray(predicted) == np.asarray(labels)))


def confusion_matrix(predicted: np.ndarray, labels: np.ndarray, classes: int = CLASSES) -> np.ndarray:
    """``(classes, classes)`` counts: row = true class, column = predicted class."""
    matrix = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(labels), np.asarray(predicted)), 1)
    return matrix


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def train_mlp(x: np.ndarray, y: np.ndarray, *, hidden: int = 32, epochs: int = 300, learning_rate: float = 0.01,
              l2: float = 1e-3, seed: int = 0) -> Mlp:
    """Train a ``64-hidden-10`` ReLU MLP on ``x`` ``(images, 64)``, ``y`` ``(images,)`` with
    ``epochs`` full-batch Adam steps (β = 0.9, 0.999) of the mean cross-entropy + ``l2``·Σw²."""
    rng = np.random.default_rng(seed)
    inputs = x.shape[1]
    params = [rng.normal(0, np.sqrt(2 / inputs), (inputs, hidden)), np.zeros(hidden),
              rng.normal(0, np.sqrt(2 / hidden), (hidden, CLASSES)), np.zeros(CLASSES)]
    first = [np.zeros_like(p) for p in params]
    second = [np.zeros_like(p) for p in params]
    onehot = np.eye(CLASSES)[y]
    n = len(x)
    for step in range(1, epochs + 1):
        w1, b1, w2, b2 = params
        pre = x @ w1 + b1
        h = np.maximum(pre, 0.0)
        delta2 = (softmax(h @ w2 + b2) - onehot) / n
        delta1 = (delta2 @ w2.T) * (pre > 0)
        grads = [x.T @ delta1 + 2 * l2 * w1, delta1.sum(0), h.T @ delta2 + 2 * l2 * w2, delta2.sum(0)]
        for k, g in enumerate(grads):
            first[k] = 0.9 * first[k] + 0.1 * g
            second[k] = 0.999 * second[k] + 0.001 * g * g
            m_hat, v_hat = first[k] / (1 - 0.9**step), second[k] / (1 - 0.999**step)
            params[k] = params[k] - learning_rate * m_hat / (np.sqrt(v_hat) + 1e-8)
    return Mlp(*params)


@functools.lru_cache(maxsize=4)
def reference_mlp(hidden: int = 32, seed: int = 0) -> Mlp:
    """:func:`train_mlp` on the training half of :func:`digits_split` (cached per ``(hidden, seed)``)."""
    split = digits_split()
    return train_mlp(split.x_train, split.y_train, hidden=hidden, seed=seed)
