"""``softpower app --servers N`` (issue 24, finding 14): the front door sends each page to the
servers in turn, keeping host name, path and query; every process stops with it.

Real processes throughout. The fast tests run the front door (`sim.viz.frontdoor.run_servers`)
in a process of its own over stdlib HTTP servers, which start in a moment; the slow test runs
``softpower app --servers 2`` itself, two Solara servers, over plain HTTP and in Chromium.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from sim.cli import cli
from sim.viz.frontdoor import max_servers, port_range, redirect_location
from sim.viz.server import AppServer, free_port, server_env

QUERY = "/?scenario=us_aid_cuts&seed=5&world=core60"

#: A front door over stdlib HTTP servers: ``python -c FRONT_DOOR PORT SERVER_PORT...``.
FRONT_DOOR = """
import os, sys
from sim.viz.frontdoor import run_servers
port, *ports = (int(p) for p in sys.argv[1:])
commands = [[sys.executable, "-m", "http.server", str(p), "--bind", "127.0.0.1"] for p in ports]
sys.exit(run_servers("127.0.0.1", port, ports, commands, dict(os.environ), poll=0.05))
"""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the 307 reaches the caller as an HTTPError


_OPENER = urllib.request.build_opener(_NoRedirect)


def location(url: str, host: str | None = None) -> str | None:
    """The front door's ``Location`` for a GET of ``url`` (None while it says "starting")."""
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        _OPENER.open(request, timeout=5)
    except urllib.error.HTTPError as answer:
        if answer.code == 503:
            return None
        assert answer.code == 307, answer.code
        return answer.headers["Location"]
    raise AssertionError("the front door answered without a redirect")


def status(url: str) -> int:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status


def children(pid: int) -> list[int]:
    """The PIDs whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` is a process that has not ended (a zombie has ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"not within {seconds} s: {what}")


def turns(door: str, ports: list[int], seconds: float) -> None:
    """Wait until the front door has sent a request to every one of ``ports``."""
    seen: set[int] = set()

    def all_seen() -> bool:
        try:
            where = location(door + "/")
        except urllib.error.URLError:  # not listening yet
            return False
        if where is not None:
            seen.add(int(re.search(r":(\d+)/", where).group(1)))
        return seen == set(ports)

    wait_for(all_seen, seconds, f"redirects to every server {ports}")


@pytest.fixture
def front_door(tmp_path):
    """(process, door port, server ports): the front door over two stdlib servers, stopped."""
    port = free_port()
    ports = [free_port(), free_port()]
    while len(set(ports)) < 2 or port in ports:
        ports = [free_port(), free_port()]
    process = subprocess.Popen(
        [sys.executable, "-c", FRONT_DOOR, str(port), *map(str, ports)],
        cwd=tmp_path,
        env=server_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    servers: list[int] = []
    try:
        turns(f"http://127.0.0.1:{port}", ports, 30)
        servers = children(process.pid)
        yield process, port, ports
    finally:
        if process.poll() is None:
            process.terminate()
        process.communicate(timeout=30)
        for pid in servers:  # none should be left; never leave one running
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


# ---------------------------------------------------------------- the command line


def softpower(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), prog_name="softpower")


@pytest.mark.parametrize("servers", ["0", "-1", str(max_servers() + 1)])
def test_bad_servers_give_one_line_and_exit_2(servers):
    result = softpower("app", "--servers", servers)
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"softpower: error: --servers: {servers} servers refused; ")
    assert f"expected 1 to {max_servers()}" in lines[0]


def test_ports_past_65535_give_one_line_and_exit_2():
    result = softpower("app", "--servers", "2", "--port", "65535")
    assert result.exit_code == 2
    assert result.stderr == (
        "softpower: error: --port: ports 65535-65536 go past 65535; "
        "expected a port up to 65534 with --servers 2\n"
    )


def test_help_names_servers():
    assert "--servers" in softpower("app", "--help").output


# ---------------------------------------------------------------- the front door


def test_location_keeps_the_host_name_path_and_query():
    assert redirect_location("school.lan:8765", "10.0.0.2", 8766, QUERY) == (
        "http://school.lan:8766" + QUERY
    )
    assert redirect_location("[::1]:8765", "::1", 8767, "/x") == "http://[::1]:8767/x"
    assert redirect_location("192.168.1.5", "192.168.1.5", 8766, "/") == "http://192.168.1.5:8766/"
    # no Host header, or one that is not a host name: the address the request came on
    assert redirect_location(None, "10.0.0.2", 8766, "/") == "http://10.0.0.2:8766/"
    assert redirect_location("evil.com/x@y", "10.0.0.2", 8766, "/") == "http://10.0.0.2:8766/"
    assert redirect_location("h", "fe80::1", 8766, "http://h/") == "http://h:8766/"
    assert port_range([8766, 8767, 8768]) == "8766-8768"
    assert port_range([9000, 8000]) == "9000, 8000"


def test_front_door_sends_requests_to_the_servers_in_turn(front_door):
    process, port, ports = front_door
    door = f"http://127.0.0.1:{port}"
    first = location(door + QUERY, host=f"localhost:{port}")
    assert first in {f"http://localhost:{p}{QUERY}" for p in ports}
    order = ports if first.startswith(f"http://localhost:{ports[0]}/") else ports[::-1]
    got = [location(door + QUERY, host=f"localhost:{port}") for _ in range(4)]
    assert got == [f"http://localhost:{p}{QUERY}" for p in order[1:] + order + order[:1]]
    for where in {*got}:
        assert status(where.replace("localhost", "127.0.0.1")) == 200


def test_a_server_that_exits_leaves_the_turn_and_none_left_stops_the_door(front_door):
    process, port, ports = front_door
    door = f"http://127.0.0.1:{port}"
    by_port = {}
    for pid in children(process.pid):
        command = Path(f"/proc/{pid}/cmdline").read_text().split("\0")
        by_port[int(command[command.index("http.server") + 1])] = pid
    os.kill(by_port[ports[0]], signal.SIGKILL)
    left = {f"http://127.0.0.1:{ports[1]}/"}
    wait_for(lambda: {location(door + "/") for _ in range(2)} == left, 10, "one server left")
    assert {location(door + "/") for _ in range(4)} == left
    os.kill(by_port[ports[1]], signal.SIGKILL)
    assert process.wait(timeout=30) == 1
    err = process.stderr.read()
    assert f"the server on port {ports[0]} exited with -9; 1 left, new students go to them" in err
    assert f"the server on port {ports[1]} exited with -9; 0 left, stopping" in err


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_the_door_and_every_server(front_door, signum):
    process, port, _ = front_door
    servers = children(process.pid)
    assert len(servers) == 2 and all(map(alive, servers))
    os.kill(process.pid, signum)
    assert process.wait(timeout=30) == 0
    assert not any(map(alive, servers))
    out = process.stdout.read()
    assert out.startswith(f"softpower app: 2 servers on ports {port_range(_)}; students open ")
    assert "stopping the front door and the servers" in out
    with pytest.raises(urllib.error.URLError):
        status(f"http://127.0.0.1:{port}/")


# ---------------------------------------------------------------- softpower app --servers 2


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_softpower_app_with_two_servers_end_to_end():
    """Two Solara servers behind the front door: redirects in turn with path and query, both
    answer 200, two browser pages land on the two servers and both step; stopping the command
    stops every process."""
    with AppServer(timeout=180, servers=2) as app:
        door = app.url.rstrip("/")
        ports = [app.port + 1, app.port + 2]
        turns(door, ports, 180)
        first = location(door + QUERY)
        assert first in {f"http://127.0.0.1:{p}{QUERY}" for p in ports}
        second = location(door + QUERY)
        assert {first, second} == {f"http://127.0.0.1:{p}{QUERY}" for p in ports}
        assert location(door + QUERY) == first
        assert status(first) == 200 and status(second) == 200

        from sim.viz.browser import ChromiumMissing, chromium_path, launch_chromium

        try:
            chromium_path()
        except ChromiumMissing as missing:
            pytest.fail(str(missing), pytrace=False)
        from playwright.sync_api import expect, sync_playwright

        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            try:
                landed = set()
                for _ in range(2):
                    page = browser.new_context().new_page()
                    page.goto(app.url + QUERY[1:], timeout=120_000)
                    page.get_by_role("button", name="Step").first.click(timeout=120_000)
                    expect(page.locator(".softpower-quarter").first).to_contain_text(
                        "step 1 of 40", timeout=60_000
                    )
                    assert page.url.endswith(QUERY)
                    landed.add(int(re.search(r":(\d+)/", page.url).group(1)))
                assert landed == set(ports)
            finally:
                browser.close()

        everyone = [app.process.pid, *children(app.process.pid)]
        assert len(everyone) == 3  # the front door and its two servers
        everyone += [kid for pid in everyone[1:] for kid in children(pid)]
    assert not any(map(alive, everyone))


def test_a_front_door_killed_outright_leaves_no_server(front_door):
    process, _, _ = front_door
    servers = children(process.pid)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    wait_for(lambda: not any(map(alive, servers)), 15, "the servers end with their parent")
