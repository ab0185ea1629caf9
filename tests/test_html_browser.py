"""The HTML report opened in a real browser: headless Chromium loads it from disk through the DevTools protocol
(``--remote-debugging-pipe``), and the test checks that it loads with no console error, no exception and no
network request, that the charts are there, and saves a screenshot.

Chromium is the Debian ``chromium`` package (.ci/browser.sh installs it where apt is available); without it the
test skips and says so. ``python -m tests.test_html_browser REPORT.html SHOT.png`` takes a screenshot by hand.
"""

from __future__ import annotations

import base64
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lossdoc.cli import app

from .conftest import EXAMPLES

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "chrome")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-extensions", "--remote-debugging-pipe",
]
TIMEOUT_S = 60.0


def chromium() -> str | None:
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


class Pipe:
    """The DevTools protocol over Chromium's fds 3 (commands in) and 4 (replies and events out), NUL-framed."""

    def __init__(self, binary: str, profile: str) -> None:
        to_child_r, self.to_child = os.pipe()
        self.from_child, from_child_w = os.pipe()

        def fds() -> None:  # the child's fd 3 reads our commands, its fd 4 writes to us
            a, b = os.dup(to_child_r), os.dup(from_child_w)
            hi_a, hi_b = os.dup2(a, 100), os.dup2(b, 101)
            os.dup2(hi_a, 3)
            os.dup2(hi_b, 4)

        self.proc = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={profile}", "--window-size=1100,1400", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=fds, pass_fds=(3, 4), close_fds=True,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self.buf = b""
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        self.next_id += 1
        msg: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.to_child, json.dumps(msg).encode() + b"\0")
        want = self.next_id
        while True:
            reply = self.read()
            if reply.get("id") == want:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def read(self, timeout: float = TIMEOUT_S) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.from_child], [], [], max(left, 0))
            if not ready:
                raise TimeoutError("no reply from chromium")
            chunk = os.read(self.from_child, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self.buf += chunk
        raw, self.buf = self.buf.split(b"\0", 1)
        return json.loads(raw)

    def wait_for(self, method: str, timeout: float = TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == method for e in self.events):
            self.events.append(self.read(max(deadline - time.monotonic(), 0.1)))

    def drain(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                self.events.append(self.read(max(end - time.monotonic(), 0.05)))
            except TimeoutError:
                return

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        os.close(self.to_child)
        os.close(self.from_child)


def open_in_browser(html: Path, screenshot: Path) -> dict[str, Any]:
    """Load html in headless Chromium; return its problems and facts, and write a full-page screenshot."""
    binary = chromium()
    assert binary, "no chromium"
    with tempfile.TemporaryDirectory(prefix="lossdoc-chromium-") as profile:
        pipe = Pipe(binary, profile)
        try:
            target = pipe.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = pipe.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Page", "Runtime", "Log", "Network"):
                pipe.send(f"{domain}.enable", session=session)
            pipe.send("Page.navigate", {"url": html.resolve().as_uri()}, session=session)
            pipe.wait_for("Page.loadEventFired")
            pipe.drain(0.5)
            facts = pipe.send("Runtime.evaluate", {"expression": (
                "JSON.stringify({svgs: document.querySelectorAll('svg').length, "
                "polylines: document.querySelectorAll('polyline').length, "
                "links: Array.from(document.querySelectorAll('a[href^=\"#f\"]')).map(a => a.getAttribute('href')),"
                "targets: Array.from(document.querySelectorAll('.fspan')).map(r => '#' + r.id),"
                "width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight})"
            ), "returnByValue": True}, session=session)["result"]["value"]
            facts = json.loads(facts)
            facts["hover"] = pipe.send("Runtime.evaluate", {"expression": (
                "(function(){var s=document.getElementById('chart-loss'); if(!s) return '';"
                "var r=s.getBoundingClientRect();"
                "s.dispatchEvent(new MouseEvent('mousemove',{clientX:r.left+r.width/2,clientY:r.top+r.height/2}));"
                "return s.querySelector('.hover').textContent;})()"
            ), "returnByValue": True}, session=session)["result"].get("value", "")
            shot = pipe.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True},
                             session=session)
            screenshot.write_bytes(base64.b64decode(shot["data"]))
        finally:
            pipe.close()
    events = pipe.events
    facts["console_errors"] = [
        e["params"] for e in events
        if (e.get("method") == "Runtime.consoleAPICalled" and e["params"].get("type") in ("error", "assert"))
        or (e.get("method") == "Log.entryAdded" and e["params"]["entry"].get("level") == "error")
        or e.get("method") == "Runtime.exceptionThrown"
    ]
    facts["requests"] = [
        e["params"]["request"]["url"] for e in events
        if e.get("method") == "Network.requestWillBeSent"
        and not e["params"]["request"]["url"].startswith(("file:", "data:", "about:"))
    ]
    facts["file_requests"] = [
        e["params"]["request"]["url"] for e in events
        if e.get("method") == "Network.requestWillBeSent" and e["params"]["request"]["url"].startswith("file:")
    ]
    return facts


needs_chromium = pytest.mark.skipif(
    chromium() is None,
    reason="no chromium on PATH: the HTML report is not opened in a browser here (.ci/browser.sh installs "
    "Debian's chromium where apt is available)",
)


@needs_chromium
def test_html_report_loads_in_chromium_with_no_error_and_no_network(tmp_path: Path) -> None:
    html = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["analyze", str(EXAMPLES / "llmc-stdout-spikes.log"), "--html", str(html)])
    assert result.exit_code == 0, result.output
    shot = tmp_path / "report-screenshot.png"
    facts = open_in_browser(html, shot)
    assert facts["console_errors"] == []
    assert facts["requests"] == []  # nothing fetched from a network ...
    assert facts["file_requests"] == [html.resolve().as_uri()]  # ... nor from disk, beyond the report itself
    assert facts["svgs"] >= 3 and facts["polylines"] >= 3  # loss, LR, grad norm (the log has them) ...
    assert facts["links"] and set(facts["links"]) <= set(facts["targets"])  # every finding link has its chart span
    assert facts["width"] <= 1100  # no horizontal scrolling at 1100 px
    assert re.fullmatch(r"step [\d,]+   \d\.\d{3}", facts["hover"]), facts["hover"]  # the readout under the cursor
    assert shot.stat().st_size > 20_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


if __name__ == "__main__":  # python -m tests.test_html_browser REPORT.html SHOT.png
    print(json.dumps(open_in_browser(Path(sys.argv[1]), Path(sys.argv[2])), indent=1)[:2000])
