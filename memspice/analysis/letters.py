"""The 3×3 letters of Prezioso et al. (Nature 521:61, 2015) and the perceptron's arithmetic.

Pure numpy, no simulator: the patterns (z, v, n and their one-pixel-flipped variants), their
encoding as ±1 inputs plus a bias input, tanh outputs, and the batch Manhattan rule
Δw_ij = Δw0·sgn(Σ_n δ_j^(n) x_i^(n)) with δ_j = (t_j − f_j)·(1 − f_j²).
"""

from __future__ import annotations

import numpy as np

#: The three letters on 3×3 pixels, 1 = black (rendered as in Prezioso's figure 1).
LETTERS: dict[str, np.ndarray] = {
    "z": np.array([[1, 1, 1], [0, 1, 0], [1, 1, 1]]),
    "v": np.array([[1, 0, 1], [1, 0, 1], [0, 1, 0]]),
    "n": np.array([[0, 1, 0], [1, 0, 1], [1, 0, 1]]),
}
CLASSES: tuple[str, ...] = tuple(LETTERS)


def patterns() -> tuple[np.ndarray, np.ndarray]:
    """``(pixels, labels)``: the 3 letters and their 27 one-pixel-flipped variants, ``pixels``
    ``(30, 9)`` of 0/1, ``labels`` ``(30,)`` class indices (letter, then its variants in pixel order)."""
    images, labels = [], []
    for label, letter in enumerate(LETTERS.values()):
        flat = letter.ravel()
        images.append(flat.copy())
        labels.append(label)
        for pixel in range(flat.size):
            flipped = flat.copy()
            flipped[pixel] ^= 1
            images.append(flipped)
            labels.append(label)
    return np.array(images), np.array(labels)


def encode(pixels: np.ndarray) -> np.ndarray:
    """``(n, 10)`` inputs in ±1: black +1, white −1, then a bias input of the sign that pulls the
    sum of the pattern's inputs toward 0 (−1 for a mostly black pattern, +1 otherwise), so the
    output currents of random weights start near 0."""
    x = np.where(np.asarray(pixels) > 0, 1.0, -1.0)
    bias = np.where(x.sum(axis=1) > 0, -1.0, 1.0)
    return np.column_stack([x, bias])


def targets(labels: np.ndarray, classes: int = len(CLASSES)) -> np.ndarray:
    """``(n, classes)`` targets: +1 for the pattern's class, −1 for the others."""
    t = -np.ones((len(labels), classes))
    t[np.arange(len(labels)), labels] = 1.0
    return t


def manhattan_signs(x: np.ndarray, outputs: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """``(inputs, classes)`` signs of the batch delta rule Σ_n δ_j x_i, δ = (t − f)(1 − f²):
    +1 to raise weight (i, j) by one step, −1 to lower it, 0 to keep it."""
    delta = (wanted - outputs) * (1.0 - outputs**2)
    return np.sign(x.T @ delta).astype(int)


def misclassified(outputs: np.ndarray, labels: np.ndarray) -> int:
    """Patterns whose largest output is not their class."""
    return int(np.count_nonzero(np.argmax(outputs, axis=1) != labels))
