"""Drive headless Chromium over the DevTools protocol on a pipe (--remote-debugging-pipe): JSON
messages ending in NUL on file descriptors 3 (to Chromium) and 4 (from it). Standard library only,
so tests can press real keys (trusted events move an <input type=range>), evaluate JavaScript and
take screenshots without a websocket client."""
from __future__ import annotations

import base64
import fcntl
import io
import json
import os
import select
import subprocess
import tempfile
import time

import numpy as np
from PIL import Image

KEY_CODES = {"ArrowRight": 39, "ArrowLeft": 37, "ArrowUp": 38, "ArrowDown": 40, "Home": 36, "End": 35,
             "PageUp": 33, "PageDown": 34, "Tab": 9}


class Browser:
    def __init__(self, chromium: str, flags: list[str], width: int = 820, height: int = 900, timeout: float = 60):
        self.timeout = timeout
        self.profile = tempfile.TemporaryDirectory(prefix="chromium-profile-")
        to_r, self._to_w = os.pipe()
        self._from_r, from_w = os.pipe()

        def child_fds():                     # Chromium expects the pipe exactly on fds 3 and 4
            a = fcntl.fcntl(to_r, fcntl.F_DUPFD, 10)
            b = fcntl.fcntl(from_w, fcntl.F_DUPFD, 10)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen([chromium, *flags, "--remote-debugging-pipe", f"--user-data-dir={self.profile.name}",
                                      "about:blank"], close_fds=False, preexec_fn=child_fds,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        os.close(to_r)
        os.close(from_w)
        self._buf, self._id, self.session = b"", 0, None
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
        self.call("Page.enable")

    def call(self, method: str, **params) -> dict:
        self._id += 1
        msg = dict(id=self._id, method=method, params=params)
        if self.session and not method.startswith(("Target.", "Browser.")):
            msg["sessionId"] = self.session
        os.write(self._to_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            while b"\0" not in self._buf:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([self._from_r], [], [], left)[0]:
                    raise TimeoutError(f"no answer from Chromium to {method}")
                chunk = os.read(self._from_r, 1 << 20)
                if not chunk:
                    raise RuntimeError(f"Chromium closed the pipe: {self.proc.stderr.read()[-2000:]!r}")
                self._buf += chunk
            raw, self._buf = self._buf.split(b"\0", 1)
            answer = json.loads(raw)
            if answer.get("id") == self._id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer["result"]

    def eval(self, expression: str):
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression[:80]}...: {r['exceptionDetails']}")
        return r["result"].get("value")

    def goto(self, url: str, ready: str = "document.readyState === 'complete'", wait: float = 30) -> None:
        self.call("Page.navigate", url=url)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                if self.eval(f"!!({ready})"):
                    return
            except RuntimeError:
                pass                          # the page is still being replaced
            time.sleep(0.1)
        raise TimeoutError(f"{url} not ready ({ready}) within {wait} s")

    def press(self, key: str, times: int = 1) -> None:
        """Real key presses (trusted events) sent to the focused element."""
        code = KEY_CODES[key]
        for _ in range(times):
            for kind in ("rawKeyDown", "keyUp"):
                self.call("Input.dispatchKeyEvent", type=kind, key=key, code=key, windowsVirtualKeyCode=code,
                          nativeVirtualKeyCode=code)

    def screenshot(self) -> np.ndarray:
        data = base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"])
        with Image.open(io.BytesIO(data)) as im:
            return np.asarray(im.convert("RGB"))

    def close(self) -> None:
        try:
            self.call("Browser.close")
            self.proc.wait(10)
        except Exception:
            self.proc.kill()
            self.proc.wait(10)
        finally:
            os.close(self._to_w)
            os.close(self._from_r)
            self.proc.stderr.close()
            self.profile.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
