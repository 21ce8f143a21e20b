"""Headless Chromium for the tests, driven by Playwright: Debian's /usr/bin/chromium (launched through
`executable_path`, so nothing is downloaded) with every host but the local test server unreachable.
Real key presses (trusted events move an <input type=range>), JavaScript evaluation and screenshots;
and that local server (StaticServer)."""
from __future__ import annotations

import functools
import http.server
import io
import shutil
import threading
from pathlib import Path

import numpy as np
from PIL import Image

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# nothing but the local test server is reachable: proves the pages work offline
OFFLINE_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--mute-audio",
                 "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"]


class Browser:
    def __init__(self, width: int = 820, height: int = 900, timeout: float = 60):
        from playwright.sync_api import sync_playwright

        assert CHROMIUM, "chromium is not installed (make system-deps installs Debian's chromium)"
        self._pw = sync_playwright().start()
        try:
            self._browser = self._pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=OFFLINE_FLAGS)
            self.page = self._browser.new_page(viewport=dict(width=width, height=height))
        except Exception:
            self._pw.stop()
            raise
        self.page.set_default_timeout(timeout * 1000)

    def goto(self, url: str, ready: str = "document.readyState === 'complete'", wait: float = 30) -> None:
        self.page.goto(url)
        self.page.wait_for_function(f"() => !!({ready})", timeout=wait * 1000)

    def eval(self, expression: str):
        return self.page.evaluate(expression)

    def press(self, key: str, times: int = 1) -> None:
        """Real key presses (trusted events) sent to the focused element."""
        for _ in range(times):
            self.page.keyboard.press(key)

    def screenshot(self) -> np.ndarray:
        with Image.open(io.BytesIO(self.page.screenshot())) as im:
            return np.asarray(im.convert("RGB"))

    def close(self) -> None:
        try:
            self._browser.close()
        finally:
            self._pw.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class StaticServer:
    """http.server on a free port serving `directory` (a context manager; `url` is its address)."""

    def __init__(self, directory: Path):
        handler = functools.partial(_RangeHandler, directory=str(directory))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with byte ranges (HTTP 206), as every web host serves video: without them a
    browser cannot seek a <video> (http.server alone answers every request with the whole file)."""

    def log_message(self, *a):
        pass

    def send_head(self):
        rng = self.headers.get("Range", "")
        path = Path(self.translate_path(self.path))
        if not rng.startswith("bytes=") or not path.is_file():
            return super().send_head()
        size = path.stat().st_size
        a, _, b = rng[len("bytes="):].partition("-")
        start, end = (int(a), min(int(b) if b else size - 1, size - 1)) if a else (size - int(b), size - 1)
        f = open(path, "rb")
        f.seek(start)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        self._left = end - start + 1
        return f

    def copyfile(self, source, outputfile):
        left = getattr(self, "_left", None)
        if left is None:
            return super().copyfile(source, outputfile)
        while left > 0:
            chunk = source.read(min(left, 1 << 16))
            if not chunk:
                break
            outputfile.write(chunk)
            left -= len(chunk)
