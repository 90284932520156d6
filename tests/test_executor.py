"""Tests of the executor shared by the batch runner and calibration (sim.batch.executor)."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from sim.batch.executor import blas_limit, default_workers, fork_pool

#: Set before the pool forks: a worker sees it without pickling.
_INHERITED: dict[str, int] = {}


def _blas_threads() -> list[int]:
    np.ones((2, 2)) @ np.ones((2, 2))  # BLAS is loaded
    return [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]


def _inherited(key: str) -> int:
    return _INHERITED[key]


def _remember(value: int) -> None:
    _INHERITED["initialised"] = value


@pytest.fixture
def no_blas_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)


def test_blas_limit_holds_one_thread_inside_and_restores_after(no_blas_env: None) -> None:
    before = _blas_threads()
    with blas_limit(1):
        assert set(_blas_threads()) <= {1}
    assert _blas_threads() == before


def test_fork_pool_workers_inherit_state_run_the_initializer_and_use_one_blas_thread(
    no_blas_env: None,
) -> None:
    _INHERITED["world"] = 193
    pool = fork_pool(2, _remember, (7,))
    try:
        assert pool.submit(_inherited, "world").result() == 193
        assert pool.submit(_inherited, "initialised").result() == 7
        assert set(pool.submit(_blas_threads).result()) <= {1}
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        _INHERITED.clear()


def test_default_workers_counts_at_least_one_core() -> None:
    assert default_workers() >= 1


def test_keeping_freed_memory_changes_no_result():
    """`keep_freed_memory` only tunes the allocator: a run after it equals one before it."""
    import numpy as np

    from sim.batch.executor import keep_freed_memory
    from sim.model.model import SoftPowerModel
    from sim.world.world import World

    world = World.synthetic(6, np.random.default_rng(1))
    before = SoftPowerModel(world, rng=1, steps=3).run().perception
    assert isinstance(keep_freed_memory(), bool)
    after = SoftPowerModel(world, rng=1, steps=3).run().perception
    np.testing.assert_array_equal(after, before)
