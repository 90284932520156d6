"""``softpower app --servers N``: N app server processes behind one address.

Solara renders every page of one server in one Python process, whose Python runs one thread at
a time, so one server uses one CPU core however many students it serves. Solara cannot spread one
port over several workers (a page's websocket must reach the process that holds its state), so
the command starts N ordinary servers, each on a port of its own (port+1 … port+N), and on the
port students are given a small front door that answers each page request with a redirect
(HTTP 307) to the servers in turn. The browser then talks to that server only: the page, its
assets and its websocket stay in one process for the page's whole life.

Only servers that accept connections are sent students (the front door answers "starting, this
page reloads itself" until the first one does). A server that exits is dropped from the turn with
one line on stderr; when none is left the front door stops too (exit code 1). SIGINT, SIGTERM
and SIGHUP stop the front door and every server's process group; on Linux a server also gets
SIGTERM if the front door is killed outright (``prctl(PR_SET_PDEATHSIG)``).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType

__all__ = [
    "STARTING_PAGE",
    "FrontDoor",
    "max_servers",
    "port_range",
    "redirect_location",
    "run_servers",
]

#: The page the front door shows while no server accepts connections yet.
STARTING_PAGE = (
    "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
    "<meta http-equiv='refresh' content='2'><title>softpower: starting</title></head>"
    "<body><p>The app is starting; this page reloads itself in a moment.</p></body></html>"
)

#: A host name or IPv4 address as a ``Host`` header may carry it (IPv6 literals are bracketed).
_HOST_NAME = re.compile(r"^[A-Za-z0-9._-]{1,253}$")
_HOST_IPV6 = re.compile(r"^\[[0-9A-Fa-f:.%a-zA-Z]{2,60}\]$")


def max_servers() -> int:
    """Return the most servers ``--servers`` accepts: twice this machine's CPUs."""
    return 2 * (os.cpu_count() or 1)


def port_range(ports: Sequence[int]) -> str:
    """Return ``8766-8769`` for consecutive ports, else the ports separated by commas."""
    ordered = list(ports)
    if len(ordered) > 1 and ordered == list(range(ordered[0], ordered[0] + len(ordered))):
        return f"{ordered[0]}-{ordered[-1]}"
    return ", ".join(str(p) for p in ordered)


def _host_name(header: str | None) -> str | None:
    """Return the host part of a ``Host`` header (without its port), or None if it is unusable."""
    if not header:
        return None
    header = header.strip()
    if header.startswith("["):
        host = header[: header.find("]") + 1]
        return host if _HOST_IPV6.match(host) else None
    host = header.rsplit(":", 1)[0] if ":" in header else header
    return host if _HOST_NAME.match(host) else None


def redirect_location(host_header: str | None, fallback_host: str, port: int, path: str) -> str:
    """Return where the front door sends a request: same host name, the server's port, same path.

    Args:
        host_header: The request's ``Host`` header (the name the browser used), if any.
        fallback_host: The address the request arrived on, used when the header is missing or
            not a plain host name.
        port: The chosen server's port.
        path: The request target, path and query string (``/?scenario=us_aid_cuts&seed=5``).

    Returns:
        ``http://HOST:PORT/PATH?QUERY``.

    Example:
        >>> redirect_location("school.lan:8765", "10.0.0.2", 8766, "/?seed=5")
        'http://school.lan:8766/?seed=5'

    """
    host = _host_name(host_header)
    if host is None:
        host = f"[{fallback_host}]" if ":" in fallback_host else fallback_host
    if not path.startswith("/"):
        path = "/"
    return f"http://{host}:{port}{path}"


class _Handler(BaseHTTPRequestHandler):
    """Answers GET and HEAD with a redirect to the next server (or the starting page)."""

    server: _DoorServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        """Redirect to the next server, or say the app is starting."""
        self._answer(body=True)

    def do_HEAD(self) -> None:  # noqa: N802 - http.server's name
        """As GET, without the body."""
        self._answer(body=False)

    def _answer(self, *, body: bool) -> None:
        port = self.server.door.next_port()
        if port is None:
            data = STARTING_PAGE.encode()
            self.send_response(HTTPStatus.SERVICE_UNAVAILABLE)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Retry-After", "2")
        else:
            where = redirect_location(
                self.headers.get("Host"), self.connection.getsockname()[0], port, self.path
            )
            data = b""
            self.send_response(HTTPStatus.TEMPORARY_REDIRECT)
            self.send_header("Location", where)
        self.send_header("Cache-Control", "no-store")  # every visit takes the next turn
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if body:
            self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - http.server's name
        """Print nothing: a class's worth of redirects is no news."""


class _DoorServer(ThreadingHTTPServer):
    """The HTTP server, holding its `FrontDoor`."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], door: FrontDoor) -> None:
        self.door = door
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)


class FrontDoor:
    """The front door: listens on ``host:port`` and sends each page request to the next server.

    Args:
        host: Interface to listen on.
        port: TCP port; 0 picks a free one (`port` then holds it).
        ports: The servers' ports, in the order of the turn.

    Raises:
        OSError: The port cannot be listened on.

    """

    def __init__(self, host: str, port: int, ports: Sequence[int]) -> None:
        self.ports = list(ports)
        self._lock = threading.Lock()
        self._ready: set[int] = set()
        self._gone: set[int] = set()
        self._turn = 0
        self._http = _DoorServer((host, port), self)
        self.host = host
        self.port: int = self._http.server_address[1]
        self._thread: threading.Thread | None = None

    def mark_ready(self, port: int) -> None:
        """Start sending students to the server on ``port``."""
        with self._lock:
            self._ready.add(port)

    def mark_gone(self, port: int) -> None:
        """Stop sending students to the server on ``port`` (it exited)."""
        with self._lock:
            self._gone.add(port)

    def live_ports(self) -> list[int]:
        """Return the ports students are sent to now, in the order of the turn."""
        with self._lock:
            return [p for p in self.ports if p in self._ready and p not in self._gone]

    def next_port(self) -> int | None:
        """Return the next live server's port in turn, or None while none is live."""
        with self._lock:
            for _ in range(len(self.ports)):
                port = self.ports[self._turn % len(self.ports)]
                self._turn += 1
                if port in self._ready and port not in self._gone:
                    return port
            return None

    def start(self) -> FrontDoor:
        """Serve in a background thread."""
        self._thread = threading.Thread(
            target=self._http.serve_forever, name="softpower-front-door", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the port."""
        if self._thread is not None:
            self._http.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._http.server_close()


def _accepts(host: str, port: int) -> bool:
    """Whether something accepts TCP connections on ``host:port`` (0.0.0.0 is tried as loopback)."""
    target = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    try:
        with socket.create_connection((target, port), timeout=0.5):
            return True
    except OSError:
        return False


def _stop_processes(processes: Sequence[subprocess.Popen[bytes]], grace: float = 10.0) -> None:
    """SIGTERM each process group, wait up to ``grace`` seconds in all, then SIGKILL the rest."""
    for process in processes:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
    for process in processes:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)  # the group's stragglers too
        process.wait()


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Ask Linux to SIGTERM this process when its parent, the front door, dies however it dies
    (``prctl(PR_SET_PDEATHSIG)``; kept across exec).
    """
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG


class _Stop(Exception):
    """Raised in the main thread by SIGINT, SIGTERM or SIGHUP."""


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop(signum)


def run_servers(
    host: str,
    port: int,
    ports: Sequence[int],
    commands: Sequence[Sequence[str]],
    env: Mapping[str, str],
    *,
    poll: float = 0.25,
) -> int:
    """Start the servers and the front door; return when stopped (Ctrl-C) or every server exited.

    Args:
        host: Interface of the front door and the servers.
        port: The front door's port (0: a free one).
        ports: Each server's port.
        commands: Each server's command line (`sim.viz.server.server_command`).
        env: The servers' environment (`sim.viz.server.server_env`).
        poll: Seconds between looks at the servers.

    Returns:
        The exit code: 0 when stopped by a signal, 1 when every server exited.

    Raises:
        OSError: The front door's port cannot be listened on.

    """
    door = FrontDoor(host, port, ports)
    processes: list[subprocess.Popen[bytes]] = []
    # SIGINT too: a shell's background job starts with SIGINT ignored, and Python then never
    # turns it into KeyboardInterrupt.
    stops = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {s: signal.signal(s, _raise_stop) for s in stops}
    code = 0
    try:
        for command in commands:
            processes.append(
                subprocess.Popen(
                    list(command),
                    env=dict(env),
                    start_new_session=True,  # its own group: stopped with its children
                    preexec_fn=_die_with_parent if sys.platform == "linux" else None,
                )
            )
        door.start()
        print(
            f"softpower app: {len(ports)} servers on ports {port_range(ports)}; students open "
            f"http://{host}:{door.port}/  (Ctrl-C stops them all)",
            flush=True,
        )
        running = dict(zip(ports, processes, strict=True))
        waiting = set(ports)
        while running:
            for server_port, process in list(running.items()):
                if process.poll() is not None:
                    door.mark_gone(server_port)
                    del running[server_port]
                    waiting.discard(server_port)
                    left = len(running)
                    print(
                        f"softpower app: the server on port {server_port} exited with "
                        f"{process.returncode}; {left} left"
                        + (", new students go to them" if left else ", stopping"),
                        file=sys.stderr,
                        flush=True,
                    )
                elif server_port in waiting and _accepts(host, server_port):
                    door.mark_ready(server_port)
                    waiting.discard(server_port)
            time.sleep(poll)
        code = 1
    except (KeyboardInterrupt, _Stop):
        print("softpower app: stopping the front door and the servers", flush=True)
    finally:
        for signum in stops:  # a second Ctrl-C must not cut the stopping short
            signal.signal(signum, signal.SIG_IGN)
        door.stop()
        _stop_processes(processes)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return code
