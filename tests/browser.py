"""Headless Chromium for the tests, driven by Playwright: Debian's /usr/bin/chromium (launched through
`executable_path`, so nothing is downloaded) with every host but the local test server unreachable.
Real key presses (trusted events move an <input type=range>), JavaScript evaluation and screenshots."""
from __future__ import annotations

import io
import shutil

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
