"""Compiled loops for the kernel's hottest passes, bit-identical to the NumPy and scipy path.

One perception update (`sim.model.dynamics._mix`) is a sparse social mix (scipy's
``csr_matvecs``) followed by five elementwise passes over (observer, audience, actor, channel)
arrays: at 196 nations every pass reads and writes 3.7 MB. `mix` does the same in one pass per
observer with numba, its row of the social mix kept in cache, and gives the same bits: the
social mix sums the same products in the same order as ``csr_matvecs`` (row by row, each row's
ties in their stored order, every column by ``y += a·x`` from zero), and the elementwise
arithmetic is the same IEEE operations in the same order, one by one (numba compiles without
fast-math, so nothing is reassociated or fused into a multiply-add). `pull` computes the pull
ν·u (`sim.model.dynamics.signal_share`, recomputed every quarter since donors move aid) in one
pass per (observer, audience) instead of four over the whole array. The tests compare both paths
bit for bit.

numba is optional: without it (or with ``SOFTPOWER_COMPILED=0`` in the environment, or after
``enable(False)``) `available` is False and the kernel uses NumPy and scipy alone, with the same
results. numba is imported, and the loops compiled or loaded, at the first call of `mix` or
`pull` in a process, not when the package is imported: commands that run no model (``--help``,
a refused file) do not pay its import (about 0.5 s, more on a busy machine). The first call in
an installation compiles the loops (a few seconds) and caches them on disk beside this file (or
in numba's cache folder where that is not writable); later processes load them.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
from typing import Any

import numpy as np

__all__ = ["available", "enable", "installed", "mix", "pull"]


def installed() -> bool:
    """Return whether numba is installed (without importing it)."""
    return importlib.util.find_spec("numba") is not None


_enabled = installed() and os.environ.get("SOFTPOWER_COMPILED", "1") != "0"


def available() -> bool:
    """Return whether the compiled loops are installed and enabled."""
    return _enabled


def enable(on: bool = True) -> bool:
    """Use the compiled loops (``on``, where numba is installed) or NumPy and scipy alone.

    Returns:
        Whether the compiled loops are now in use.
    """
    global _enabled
    _enabled = bool(on) and installed()
    return _enabled


def _mix_rows(
    indptr: np.ndarray,
    indices: np.ndarray,
    data: np.ndarray,
    p: np.ndarray,
    pull: np.ndarray,
    common: np.ndarray,
    anchored: np.ndarray,
    keep: np.ndarray,
    cut_offset: np.ndarray,
    cut_values: np.ndarray,
    out: np.ndarray,
) -> None:  # pragma: no cover - compiled by numba (its Python body runs only without it)
    """The loop of `mix` over observers, on 2-D (observer, audience·actor·channel) views."""
    n, length = p.shape
    n_common, width = common.shape[1], common.shape[2]
    social = np.empty(length)
    for i in range(n):
        for q in range(length):
            social[q] = 0.0
        for jj in range(indptr[i], indptr[i + 1]):
            j = indices[jj]
            a = data[jj]
            for q in range(length):
                social[q] += a * p[j, q]
        keep_i = keep[i]
        for s in range(length // width):
            row = s if n_common > 1 else 0
            base = s * width
            for r in range(width):
                q = base + r
                mixed = social[q]
                new = (common[i, row, r] - mixed) * pull[i, q] + mixed
                out[i, q] = new * keep_i + anchored[i, q]
        for c in range(cut_offset.shape[0]):
            for s in range(length // width):
                q = s * width + cut_offset[c]
                mixed = social[q]
                new = (cut_values[c, i, s] - mixed) * pull[i, q] + mixed
                out[i, q] = new * keep_i + anchored[i, q]


def _pull_rows(
    capacity: np.ndarray,
    exposure: np.ndarray,
    saturation: np.ndarray,
    receptivity: np.ndarray,
    out: np.ndarray,
) -> None:  # pragma: no cover - compiled by numba (its Python body runs only without it)
    """The loop of `pull` over (observer, audience)."""
    n, n_audience, n_actor, n_channel = exposure.shape
    total = np.empty(n_channel)
    for i in range(n):
        for s in range(n_audience):
            for d in range(n_channel):
                total[d] = 0.0
            for k in range(n_actor):
                for d in range(n_channel):
                    signal = capacity[k, d] * exposure[i, s, k, d]
                    out[i, s, k, d] = signal
                    total[d] += signal
            for d in range(n_channel):
                total[d] = receptivity[s, d] / (total[d] + saturation[d])
            for k in range(n_actor):
                for d in range(n_channel):
                    out[i, s, k, d] *= total[d]


@functools.cache
def _loops() -> tuple[Any, Any]:
    """Import numba and compile (or load from its cache) the two loops, once per process."""
    numba = importlib.import_module("numba")
    jit = numba.njit(cache=True, nogil=True)
    return jit(_mix_rows), jit(_pull_rows)


def mix(
    p: np.ndarray,
    pull: np.ndarray,
    common: np.ndarray,
    columns: tuple[tuple[int, int, np.ndarray], ...],
    ties: Any,
    keep: np.ndarray | float,
    anchored: np.ndarray,
    out: np.ndarray,
) -> np.ndarray | None:
    """Return ``θ·p0 + (1 − θ)·[(1 − ν·u)·W·p + ν·u·m]`` in ``out``, or None where the compiled
    loop does not apply (then the caller computes it with NumPy and scipy).

    It applies when the loops are `available`, every array is float64 and C-contiguous, and
    ``ties`` is a scipy CSR array (a dense W is multiplied by BLAS, whose order of sums differs).

    Args:
        p: (observer, audience, actor, channel) perception.
        pull: ν·u, the same shape.
        common: (observer, 1 or audience, actor, channel) the message (`dynamics._Message`).
        columns: (actor, channel, (observer, audience) message) of each cut channel.
        ties: (observer, observer) the social mix W.
        keep: 1 − θ, a float or (observer, 1, 1, 1).
        anchored: θ·p0, the shape of ``p``.
        out: Where to write, the shape of ``p``.
    """
    if not _enabled or getattr(ties, "format", None) != "csr":
        return None
    arrays = (p, pull, common, anchored, out, ties.data)
    if any(a.dtype != np.float64 or not a.flags.c_contiguous for a in arrays):
        return None
    n, n_audience, n_actor, n_channel = p.shape
    if anchored.shape != p.shape or pull.shape != p.shape or out.shape != p.shape:
        return None
    keep_each = np.broadcast_to(np.asarray(keep, dtype=np.float64).reshape(-1), (n,))
    width = n_actor * n_channel
    cut_offset = np.array([k * n_channel + d for k, d, _ in columns], dtype=np.int64)
    cut_values = (
        np.stack([column for _, _, column in columns]) if columns else np.zeros((0, n, n_audience))
    )
    _loops()[0](
        ties.indptr,
        ties.indices,
        ties.data,
        p.reshape(n, -1),
        pull.reshape(n, -1),
        common.reshape(n, common.shape[1], width),
        anchored.reshape(n, -1),
        np.ascontiguousarray(keep_each),
        cut_offset,
        np.ascontiguousarray(cut_values, dtype=np.float64),
        out.reshape(n, -1),
    )
    return out


def pull(
    capacity: np.ndarray,
    exposure: np.ndarray,
    saturation: np.ndarray,
    receptivity: np.ndarray | None,
    out: np.ndarray | None,
) -> np.ndarray | None:
    """Return `sim.model.dynamics.signal_share` (with ``receptivity``: the pull ν·u) in one pass
    per (observer, audience), or None where the compiled loop does not apply (then the caller
    computes it with NumPy).

    The same bits: each signal capacity·exposure is the same product; its sum over actors starts
    from zero and adds actor after actor, as ``np.einsum("iskd->isd")`` does (its loop over the
    reduced actor axis, a strided one, is sequential: tests compare both on random arrays and on
    the bundled worlds); then the same division and product. Without ``receptivity`` the factor
    is 1/total, the same as ones/total.

    It applies when the loops are `available` and every array is float64 and C-contiguous.
    """
    if not _enabled:
        return None
    n_audience, n_channel = exposure.shape[1], exposure.shape[3]
    nu = np.ones((n_audience, n_channel)) if receptivity is None else receptivity
    if out is None:
        out = np.empty_like(exposure)
    arrays = (capacity, exposure, saturation, nu, out)
    if any(a.dtype != np.float64 or not a.flags.c_contiguous for a in arrays):
        return None
    if out.shape != exposure.shape or nu.shape != (n_audience, n_channel):
        return None
    _loops()[1](capacity, exposure, saturation, nu, out)
    return out
