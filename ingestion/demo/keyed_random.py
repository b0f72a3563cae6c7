"""Counter-based random numbers: every draw is a pure function of (seed, tenant, stream, keys).

Why not a sequential generator: the simulator must give the same record for day D whatever the last
simulated day is (the incremental contract), and the counterfactual world (an intervention switched off)
must reuse exactly the same draws for everything the intervention does not touch. Hashing the key of each
draw with splitmix64 gives both: order k of day d gets the same uniforms in every run that reaches day d,
whether or not other orders exist around it.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from scipy import special

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_TWO_POW_MINUS_53 = 2.0**-53

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _mix64(values: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """splitmix64 finaliser on an array (uint64 array arithmetic wraps silently, as intended)."""
    z = values + _GOLDEN
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


_MASK = (1 << 64) - 1
_GOLDEN_INT, _MIX1_INT, _MIX2_INT = int(_GOLDEN), int(_MIX1), int(_MIX2)


def _mix64_int(z: int) -> int:
    """The same finaliser on a Python int: one draw without numpy's per-call overhead."""
    z = (z + _GOLDEN_INT) & _MASK
    z = ((z ^ (z >> 30)) * _MIX1_INT) & _MASK
    z = ((z ^ (z >> 27)) * _MIX2_INT) & _MASK
    return z ^ (z >> 31)


@lru_cache(maxsize=4096)
def stable_hash64(text: str) -> int:
    """A 64-bit hash of a string that is the same in every process (unlike `hash`)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


class KeyedRandom:
    """Uniform and derived draws keyed by (seed, tenant, stream, *keys)."""

    def __init__(self, seed: int, tenant_slug: str) -> None:
        self.seed = seed
        self.tenant_slug = tenant_slug
        self._base = stable_hash64(f"{seed}:{tenant_slug}")

    def _hash(self, stream: str, keys: tuple[npt.ArrayLike, ...]) -> npt.NDArray[np.uint64]:
        start = np.uint64(self._base ^ stable_hash64(stream))
        arrays = [np.asarray(k).astype(np.int64).astype(np.uint64) for k in keys]
        shape = np.broadcast_shapes(*(a.shape for a in arrays)) if arrays else ()
        h = _mix64(np.full(shape if shape else (1,), start, dtype=np.uint64))
        for a in arrays:
            h = _mix64(h ^ (a if a.shape == h.shape else np.broadcast_to(a, h.shape)))
        return h

    def uniform(self, stream: str, *keys: npt.ArrayLike) -> FloatArray:
        """Uniforms in the open interval (0, 1), one per broadcast key."""
        scalars = [k for k in keys if isinstance(k, int | np.integer)]
        if len(scalars) == len(keys):
            return np.array([self.u(stream, *(int(k) for k in scalars))])
        h = self._hash(stream, keys)
        return ((h >> _S11).astype(np.float64) + 0.5) * _TWO_POW_MINUS_53

    def u(self, stream: str, *keys: int) -> float:
        """One uniform for integer keys; bit-identical to `uniform` with the same keys."""
        h = _mix64_int(self._base ^ stable_hash64(stream))
        for k in keys:
            h = _mix64_int(h ^ (k & _MASK))
        return ((h >> 11) + 0.5) * _TWO_POW_MINUS_53

    def normal(self, stream: str, *keys: npt.ArrayLike) -> FloatArray:
        return np.asarray(special.ndtri(self.uniform(stream, *keys)), dtype=np.float64)

    def integers(self, stream: str, low: int, high: int, *keys: npt.ArrayLike) -> IntArray:
        """Integers in [low, high)."""
        u = self.uniform(stream, *keys)
        return (low + np.floor(u * (high - low))).astype(np.int64)

    def scalar(self, stream: str, *keys: int) -> float:
        return self.u(stream, *keys)


def poisson_from_uniform(u: FloatArray, mean: FloatArray) -> IntArray:
    """Poisson draws by inverse CDF, so a larger mean with the same uniform never gives fewer events.

    That monotone coupling is what makes the counterfactual comparison tight: with an intervention that
    raises demand, the world keeps every order of the counterfactual and adds some.
    """
    from scipy import stats

    mean = np.asarray(mean, dtype=np.float64)
    out = np.zeros(mean.shape, dtype=np.int64)
    positive = mean > 0
    if positive.any():
        out[positive] = stats.poisson.ppf(u[positive], mean[positive]).astype(np.int64)
    return out


def categorical_from_uniform(u: FloatArray, probabilities: FloatArray) -> IntArray:
    """Index drawn from a probability vector by inverse CDF."""
    cdf = np.cumsum(probabilities)
    cdf /= cdf[-1]
    return np.minimum(np.searchsorted(cdf, u, side="right"), len(cdf) - 1).astype(np.int64)
