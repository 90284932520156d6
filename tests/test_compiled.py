"""The compiled loops (`sim.model.compiled`) give the same bits as NumPy and scipy alone."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from collections.abc import Iterator

import numpy as np
import pytest
from scipy import sparse

from sim.model import compiled, dynamics
from sim.model.model import SoftPowerModel


@pytest.fixture
def needs_numba() -> None:
    """numba is a dependency (pyproject.toml): a test of the compiled loops fails without it,
    with the install instruction, instead of skipping."""
    if not compiled.installed():
        pytest.fail("numba is not installed: run `make venv` (uv sync --frozen --extra dev)")


@pytest.fixture
def switch() -> Iterator[None]:
    """Restore the compiled loops' setting after a test switches it."""
    before = compiled.available()
    yield
    compiled.enable(before)


def _steps(state, inputs, params, count: int) -> dynamics.State:
    for _ in range(count):
        state = dynamics.step(state, inputs, params)
    return state


def _assert_same_bits(got: np.ndarray, want: np.ndarray) -> None:
    assert got.dtype == want.dtype and got.shape == want.shape
    assert np.array_equal(got.view(np.int64), want.view(np.int64))


@pytest.mark.usefixtures("needs_numba")
@pytest.mark.parametrize(
    ("seed", "n", "per_observer_theta", "cuts"),
    [(0, 7, True, None), (1, 9, False, None), (2, 8, True, 0), (3, 9, False, 1), (4, 11, True, 3)],
)
def test_compiled_step_is_bit_identical_to_numpy(
    make_problem, switch, seed, n, per_observer_theta, cuts
):
    """Random problems with a sparse W: the whole message (many cuts), none, or a few cut
    channels (the message in parts), one or per-observer stubbornness, chained steps.
    """
    rng = np.random.default_rng(seed)
    state, inputs, params = make_problem(rng, n, per_observer_theta=per_observer_theta)
    inputs = dataclasses.replace(inputs, ties=sparse.csr_array(inputs.ties))
    if cuts is not None:
        cut = np.zeros_like(inputs.cut)
        cut.flat[rng.choice(cut.size, size=cuts, replace=False)] = rng.uniform(0.2, 1.0, cuts)
        inputs = dataclasses.replace(inputs, cut=cut)
    compiled.enable(True)
    fast = _steps(state, inputs, params, 3)
    compiled.enable(False)
    plain = _steps(state, inputs, params, 3)
    _assert_same_bits(fast.perception, plain.perception)
    _assert_same_bits(fast.credibility, plain.credibility)


@pytest.mark.usefixtures("needs_numba")
def test_compiled_spin_up_and_run_are_bit_identical(bundled_world, switch):
    """A model run (spin-up, events, decisions, kernel) on core60, with and without."""

    def run(on: bool) -> SoftPowerModel:
        compiled.enable(on)
        from sim.model import model as model_module

        model_module._SPIN_UP_CACHE.clear()
        model_module._SPIN_UP_DIGESTS.clear()
        return SoftPowerModel(world=bundled_world, rng=5, steps=6).run()

    fast, plain = run(True), run(False)
    _assert_same_bits(fast.perception, plain.perception)
    _assert_same_bits(fast.credibility, plain.credibility)
    _assert_same_bits(fast.recorder.score, plain.recorder.score)


def test_the_compiled_loop_leaves_what_it_cannot_reproduce_to_numpy(make_problem, switch):
    """A dense W (BLAS sums in another order), float32 arrays, or the loops switched off: the
    compiled `mix` declines and the kernel computes with NumPy.
    """
    state, inputs, params = make_problem(np.random.default_rng(7), 6)
    p = state.perception
    parts = dynamics._message_parts(state.credibility, inputs, params)
    pull = dynamics.pull(inputs.capacity, inputs.exposure, params)
    kept = dynamics.anchored(inputs.anchor, params)
    keep = dynamics._keep(params.stubbornness, len(p))
    out = np.empty_like(p)
    csr = sparse.csr_array(inputs.ties)
    compiled.enable(True)
    assert compiled.mix(p, pull, parts.common, parts.columns, inputs.ties, keep, kept, out) is None
    as32 = [a.astype(np.float32) for a in (p, pull, parts.common, kept, out)]
    assert compiled.mix(as32[0], as32[1], as32[2], (), csr, keep, as32[3], as32[4]) is None
    compiled.enable(False)
    assert not compiled.available()
    assert compiled.mix(p, pull, parts.common, parts.columns, csr, keep, kept, out) is None


@pytest.mark.usefixtures("needs_numba")
@pytest.mark.parametrize("seed", range(6))
def test_compiled_pull_is_bit_identical_to_numpy(switch, seed):
    """The signal share and the pull on random arrays (zeros included), with and without
    receptivity: the sum over actors in the same order as ``np.einsum``.
    """
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 40))
    capacity = rng.uniform(0.0, 2.0, (n, 4)) * (rng.random((n, 4)) < 0.8)
    exposure = rng.uniform(0.0, 1.0, (n, 3, n, 4)) * (rng.random((n, 3, n, 4)) < 0.85)
    saturation, receptivity = rng.uniform(0.01, 2.0, 4), rng.uniform(0.0, 1.0, (3, 4))
    for nu in (receptivity, None):
        compiled.enable(True)
        fast = dynamics.signal_share(capacity, exposure, saturation, nu)
        into = dynamics.signal_share(capacity, exposure, saturation, nu, np.empty_like(exposure))
        compiled.enable(False)
        plain = dynamics.signal_share(capacity, exposure, saturation, nu)
        _assert_same_bits(fast, plain)
        _assert_same_bits(into, plain)


def test_numba_is_imported_only_when_a_kernel_runs():
    """``softpower --help`` or a refused file does not pay numba's import (about 0.5 s)."""
    code = "import sys, sim, sim.cli, sim.model.dynamics; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
