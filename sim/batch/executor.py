"""Local parallelism shared by the batch runner and calibration: a fork process pool and a limit on
BLAS threads.

A run's matrix products are small, so BLAS worker threads only compete with the other processes
(on two cores a run costs several times more CPU with OpenBLAS's default threads): parallelism
comes from processes, each with one BLAS thread. Both limits go through threadpoolctl, which finds
every BLAS loaded in the process (numpy's and scipy's OpenBLAS alike).
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

__all__ = [
    "blas_limit",
    "default_workers",
    "die_with_parent",
    "fork_pool",
    "keep_freed_memory",
    "limit_blas",
]

#: Environment variables by which a user chooses BLAS threads; when one is set it is respected.
_BLAS_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _user_chose_threads() -> bool:
    return any(os.environ.get(name) for name in _BLAS_ENV)


def limit_blas(threads: int = 1) -> None:
    """Limit every BLAS in this process to ``threads`` threads for the rest of its life.

    For worker processes (a pool's initializer). Left alone when the user set
    ``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS`` or ``MKL_NUM_THREADS``.
    """
    if _user_chose_threads():
        return
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=threads, user_api="blas")


@contextmanager
def blas_limit(threads: int = 1) -> Iterator[None]:
    """Run a block (or, as a decorator, a function) with BLAS limited to ``threads`` threads,
    then restore the previous limits. Left alone when the user chose the threads (see
    `limit_blas`).

    Example:
        >>> from sim.batch.executor import blas_limit
        >>> with blas_limit(1):
        ...     pass
    """
    if _user_chose_threads():
        yield
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=threads, user_api="blas"):
        yield


def die_with_parent() -> None:
    """Ask Linux to kill this (worker) process when its parent dies: no orphan keeps running
    after the driver is killed. A no-op elsewhere.
    """
    if not sys.platform.startswith("linux"):  # pragma: no cover - not Linux
        return
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:  # pragma: no cover - no glibc
        pass


#: glibc's mallopt parameters (malloc.h): M_TRIM_THRESHOLD and M_MMAP_THRESHOLD.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
#: Arrays up to this size come from the heap, and freed heap memory up to this size is kept.
_KEEP_BYTES = 256 * 2**20


def keep_freed_memory() -> bool:
    """Let this process reuse the memory of freed arrays instead of returning it to the system.

    A step of the 196-nation world allocates and frees arrays of a few MB (perception, the social
    mix, the pull). By default glibc hands such blocks back to the kernel when freed and the next
    allocation faults its pages in again, zeroed, which costs a run in a worker 15-18 % of its
    CPU time. For the long-lived processes of a batch (workers, or the batch's own process when
    serial): their memory then stays at the peak of one run, which it reaches anyway. Returns
    whether the setting took (glibc on Linux only; elsewhere nothing changes).
    """
    if not sys.platform.startswith("linux"):  # pragma: no cover - not Linux
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(
            libc.mallopt(_M_MMAP_THRESHOLD, _KEEP_BYTES)
            and libc.mallopt(_M_TRIM_THRESHOLD, _KEEP_BYTES)
        )
    except (OSError, AttributeError):  # pragma: no cover - no glibc
        return False


def default_workers() -> int:
    """Return the number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def fork_pool(
    workers: int,
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
) -> ProcessPoolExecutor:
    """Return a fork `ProcessPoolExecutor` whose workers are already started.

    Forking copies this process's memory, so workers inherit what the caller loaded before (the
    world, the scenarios) instead of unpickling it. Every worker first dies with its parent
    (`die_with_parent`) and limits BLAS to one thread (`limit_blas`), then runs ``initializer``.

    The workers fork now, before the caller starts threads of its own (a progress bar). The
    only other threads at that point are native ones (OpenBLAS's and Arrow's idle pools, which
    register at-fork handlers; an allocator's background thread), never Python threads holding
    locks the children would need, so Python's warning about forking a multi-threaded process
    does not apply and is silenced here.

    Args:
        workers: Worker processes.
        initializer: Called once in each worker after the common set-up.
        initargs: Its arguments.

    Returns:
        The started pool; shut it down with ``pool.shutdown(wait=True, cancel_futures=True)``.
    """
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_initialise_worker,
        initargs=(initializer, initargs),
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "This process .* is multi-threaded", DeprecationWarning)
        # A fork-context pool starts all its workers at the first submit.
        pool.submit(int).result()
    return pool


def _initialise_worker(initializer: Callable[..., None] | None, initargs: tuple[Any, ...]) -> None:
    die_with_parent()
    limit_blas(1)
    if initializer is not None:
        initializer(*initargs)
