"""Debian's chromium, headless, driven over the DevTools protocol: a page stays open while the test
changes what it shows, so a test sees what a person watching it would (a board that changes
without a reload), reads its text and keeps a screenshot."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import websocket

from cloudmart_lab.paths import cache_dir

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1000",
    "--remote-debugging-port=0",
    "--remote-allow-origins=*",
)
STARTUP_SECONDS = 30


def artifacts() -> Path:
    """Where CI keeps what a run produced (screenshots): outside the checkout, kept between runs."""
    folder = cache_dir() / "artifacts"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Browser:
    def __init__(self) -> None:
        chromium = shutil.which("chromium")
        assert chromium, "Debian's chromium is not installed (make host installs it)"
        self._profile = tempfile.TemporaryDirectory(prefix="chromium-")
        self._process = subprocess.Popen(
            [chromium, *FLAGS, f"--user-data-dir={self._profile.name}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port = self._port()
        targets = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10).read())
        page = next(t for t in targets if t["type"] == "page")
        self._socket = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30)
        self._next_id = 0

    def _port(self) -> int:
        active = Path(self._profile.name) / "DevToolsActivePort"
        deadline = time.monotonic() + STARTUP_SECONDS
        while not active.exists() or not active.read_text().strip():
            assert self._process.poll() is None, f"chromium ended at once (exit {self._process.returncode})"
            assert time.monotonic() < deadline, f"chromium opened no DevTools port within {STARTUP_SECONDS}s"
            time.sleep(0.1)
        return int(active.read_text().split()[0])

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        self._socket.send(json.dumps({"id": self._next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self._socket.recv())
            if message.get("id") == self._next_id:
                assert "error" not in message, f"{method}: {message['error']}"
                return dict(message.get("result", {}))

    def open(self, url: str) -> None:
        self.call("Page.navigate", url=url)
        deadline = time.monotonic() + 30
        while self.evaluate("document.readyState") != "complete":
            assert time.monotonic() < deadline, f"{url} did not load within 30s"
            time.sleep(0.1)

    def evaluate(self, expression: str) -> Any:
        return self.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")

    def text(self, selector: str = "body") -> str:
        return str(self.evaluate(f"document.querySelector({json.dumps(selector)})?.innerText ?? ''"))

    def screenshot(self, name: str) -> Path:
        path = artifacts() / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.png"
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"]))
        return path

    def close(self) -> None:
        self._socket.close()
        self._process.terminate()
        self._process.wait(timeout=30)
        self._profile.cleanup()
