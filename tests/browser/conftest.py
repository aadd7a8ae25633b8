"""A Streamlit server on 127.0.0.1 with the demo data, and Debian's Chromium for Playwright."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = PROJECT_DIR / "artifacts" / "screenshots"
# Without the networking flags Chromium keeps trying to reach Google's hosts, which
# this offline machine refuses.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def pytest_collection_modifyitems(items):
    for item in items:
        item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not found; install Debian's chromium package to run the browser tests")
    return {"executable_path": CHROMIUM, "headless": True, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args():
    return {"viewport": {"width": 1400, "height": 1000}}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    """Start ``streamlit run viz_app.py`` on the demo data and return its base URL."""
    port = _free_port()
    environment = {name: value for name, value in os.environ.items() if not name.startswith("FASHIONVIZ_")}
    environment["FASHIONVIZ_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    environment["FASHIONVIZ_REVIEWS_DIR"] = str(tmp_path_factory.mktemp("reviews"))
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "viz_app.py", "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false"],
        cwd=PROJECT_DIR, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url + "_stcore/health", timeout=2) as reply:  # noqa: S310 (loopback)
                if reply.read() == b"ok":
                    break
        except OSError:
            time.sleep(0.5)
    else:
        server.terminate()
        pytest.fail("streamlit did not answer its health check within 60 s")
    yield url
    server.terminate()
    server.wait(timeout=10)
