"""Serving the app: the ``softpower app`` command and a managed server for scripts and tests.

The server is ``solara run sim.viz.app`` in production mode, offline (front-end assets from the
``solara-assets`` package, no telemetry, no version check) and with one BLAS thread: the model's
small matrix products only lose time to thread hand-offs, badly so on a busy machine.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO

from sim.errors import SoftPowerError
from sim.viz.library import SCENARIOS_ENV, WORLD_ENV

__all__ = [
    "APP_MODULE",
    "PACKAGE_ROOT",
    "AppServer",
    "free_port",
    "serve",
    "server_command",
    "server_env",
]

#: The module ``solara run`` serves.
APP_MODULE = "sim.viz.app"


def server_command(host: str = "127.0.0.1", port: int = 8765) -> list[str]:
    """Return the command line that serves the app (``python -m solara run ...``)."""
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        APP_MODULE,
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-open",
        "--no-check-version",
    ]


#: The folder that holds the ``sim`` package this process imported (a checkout, a worktree or
#: site-packages).
PACKAGE_ROOT = Path(__file__).resolve().parents[2]


def server_env(scenarios: str | Path | None = None, world: str | None = None) -> dict[str, str]:
    """Return the environment of the server: offline, one BLAS thread, optional scenario folder
    and the world the app opens with.

    The server imports the ``sim`` package this process imported (`PACKAGE_ROOT` first on
    ``PYTHONPATH``): a git worktree that borrows another checkout's editable install would
    otherwise serve, and its browser tests test, the other checkout's app.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(PACKAGE_ROOT), *(p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p)]
    )
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "false"
    env["SOLARA_THEME_SHOW_BANNER"] = "False"  # the badge would cover the events list
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(name, "1")
    if scenarios is not None:
        env[SCENARIOS_ENV] = str(Path(scenarios).resolve())
    if world is not None:
        env[WORLD_ENV] = world
    return env


def _check_port(host: str, port: int) -> None:
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        raise SoftPowerError(
            f"cannot listen on {host}:{port} ({exc.strerror})",
            key="--port" if exc.errno == 98 else "--host",
            expected="a free port on a local interface",
            suggestion="try another --port, or --port 0 for any free port",
        ) from None


def serve(
    host: str = "127.0.0.1",
    port: int = 8765,
    scenarios: str | Path | None = None,
    world: str | None = None,
    servers: int = 1,
) -> None:
    """Serve the app until interrupted (one server: replaces the current process on POSIX).

    Args:
        host: Interface to listen on; the loopback by default (``0.0.0.0`` exposes the app).
        port: TCP port; 0 picks a free one (the server prints it).
        scenarios: Folder of scenario files to offer instead of the bundled ``scenarios/``.
        world: Bundled world the app opens with (``un193``, ``core60``; default: the project's,
            ``un193``, `sim.world.bundled.DEFAULT_WORLD`). The app's World input switches at
            Reset.
        servers: Server processes (1 to `sim.viz.frontdoor.max_servers`). Above 1 they listen
            on ports port+1 … port+N and a front door on ``port`` sends each new page to them in
            turn (`sim.viz.frontdoor`); with ``port`` 0 every port is a free one.

    Raises:
        SoftPowerError: A port is taken, ``servers`` is out of range, the scenario folder holds
            no scenario file, or the world is unknown.

    """
    from sim.viz.frontdoor import max_servers
    from sim.world.bundled import world_name

    most = max_servers()
    if not 1 <= servers <= most:
        raise SoftPowerError(
            f"{servers} servers refused",
            key="--servers",
            expected=f"1 to {most} (twice this machine's {most // 2} CPUs)",
            suggestion="about one server per CPU core",
        )
    if port and port + servers - 1 > 65535:
        raise SoftPowerError(
            f"ports {port}-{port + servers - 1} go past 65535",
            key="--port",
            expected=f"a port up to {65535 - servers + 1} with --servers {servers}",
        )

    if world is not None:
        world = world_name(world, key="--world")
    if scenarios is not None and not any(Path(scenarios).glob("*.yaml")):
        raise SoftPowerError(
            "no scenario files in this folder",
            file=str(scenarios),
            key="--scenarios",
            expected="a folder of *.yaml scenario files",
            suggestion="leave out --scenarios to use the bundled scenarios",
        )
    env = server_env(scenarios, world)
    if servers > 1:
        raise SystemExit(_serve_many(host, port, servers, env))
    if port:
        _check_port(host, port)
    command = server_command(host, port)
    print(f"softpower app: serving on http://{host}:{port or '<free port>'}/  (Ctrl-C stops)")
    sys.stdout.flush()
    if os.name == "posix":
        os.execve(sys.executable, command, env)
    raise SystemExit(subprocess.call(command, env=env))  # pragma: no cover - not POSIX


def _serve_many(host: str, port: int, servers: int, env: dict[str, str]) -> int:
    """Serve the app from ``servers`` processes behind a front door on ``port``; return the exit
    code (`sim.viz.frontdoor.run_servers`).
    """
    from sim.viz.frontdoor import run_servers

    if port:
        ports = list(range(port + 1, port + servers + 1))
        for each in (port, *ports):
            _check_port(host, each)
    else:
        ports = []
        while len(ports) < servers:
            candidate = free_port(host)
            if candidate not in ports:
                ports.append(candidate)
    commands = [server_command(host, each) for each in ports]
    return run_servers(host, port, ports, commands, env)


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that was free a moment ago on ``host``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class AppServer:
    """``softpower app`` in a subprocess: started, waited for, and stopped with its children.

    Args:
        port: TCP port (default: a free one).
        host: Interface (default: the loopback).
        timeout: Seconds to wait for the first page.
        scenarios: Folder of scenario files (default: the bundled ones).
        world: Bundled world the app opens with (default: the project's, ``un193``).
        servers: Server processes behind a front door on ``port`` (``--servers``); above 1 the
            servers take the ports port+1 … port+N and `url` is the front door's.

    Example:
        >>> with AppServer() as server:  # doctest: +SKIP
        ...     print(server.url)

    """

    def __init__(
        self,
        port: int | None = None,
        host: str = "127.0.0.1",
        timeout: float = 90.0,
        scenarios: str | Path | None = None,
        world: str | None = None,
        servers: int = 1,
    ) -> None:
        self.host = host
        self.world = world
        self.servers = servers
        self.port = port or free_port(host)
        self.timeout = timeout
        self.scenarios = scenarios
        self.url = f"http://{host}:{self.port}/"
        self.process: subprocess.Popen | None = None
        self.log: IO[str] | None = None
        self.seconds_to_answer: float | None = None

    def command(self) -> list[str]:
        """Return ``softpower app --host H --port P`` (the console script next to Python)."""
        script = Path(sys.executable).with_name("softpower")
        head = [str(script)] if script.exists() else [sys.executable, "-m", "sim.cli"]
        tail = ["app", "--host", self.host, "--port", str(self.port)]
        if self.scenarios is not None:
            tail += ["--scenarios", str(self.scenarios)]
        if self.world is not None:
            tail += ["--world", self.world]
        if self.servers != 1:
            tail += ["--servers", str(self.servers)]
        return head + tail

    def start(self) -> AppServer:
        """Start the server and wait until its page answers with HTTP 200.

        Raises:
            RuntimeError: The server exited or did not answer within ``timeout`` seconds.

        """
        began = time.perf_counter()
        # A file, not a pipe: nobody reads a pipe while the server runs, and a full one blocks it.
        self.log = tempfile.TemporaryFile(mode="w+", prefix="softpower-app-")  # noqa: SIM115
        self.process = subprocess.Popen(
            self.command(),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=server_env(),
            start_new_session=True,  # its own process group: stop() ends it and its children
        )
        deadline = began + self.timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                self.process = None
                raise RuntimeError(f"the app server exited with {code}:\n{self.output()}")
            try:
                with urllib.request.urlopen(self.url, timeout=5) as response:
                    if response.status == 200:
                        self.seconds_to_answer = time.perf_counter() - began
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.25)
        output = self.output()
        self.stop()
        raise RuntimeError(
            f"the app server did not answer at {self.url} in {self.timeout:.0f} s:\n{output}"
        )

    def output(self) -> str:
        """Return what the server printed so far."""
        if self.log is None:
            return ""
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def stop(self) -> None:
        """Stop the server's process group: SIGTERM, then SIGKILL after 10 s (25 s for a front
        door, which stops its servers first).
        """
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10 if self.servers == 1 else 25)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        except ProcessLookupError:
            pass

    def close(self) -> None:
        """Stop the server and drop its log."""
        self.stop()
        if self.log is not None:
            self.log.close()
            self.log = None

    def __enter__(self) -> AppServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()
