"""
localstripe, a stateful fake Stripe server (a pip package), run for the tests.

Started once per test session on a free port, from scratch, in its own process. Its
store is kept in memory only: localstripe writes the whole store to a fixed file in
/tmp after every change, which grows slower with every object and would be shared by
two runs on one machine.
"""

import socket
import subprocess
import sys
import time
from dataclasses import dataclass

import requests  # Stripe's client depends on it

RUN = """
import sys
from localstripe import resources
resources.Store.dump_to_disk = lambda self: None
from localstripe.server import start
sys.argv = ["localstripe", "--port", sys.argv[1], "--from-scratch"]
start()
"""

# What the tests configure the portal with: test-mode keys localstripe accepts.
SECRET_KEY = "sk_test_localstripe"
PUBLISHABLE_KEY = "pk_test_localstripe"
WEBHOOK_SECRET = "whsec_localstripe"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LocalStripe:
    process: subprocess.Popen
    url: str

    @property
    def js_url(self) -> str:
        return f"{self.url}/js.stripe.com/v3/"

    @classmethod
    def start(cls, *, timeout: float = 20.0) -> "LocalStripe":
        port = _free_port()
        process = subprocess.Popen(
            [sys.executable, "-c", RUN, str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        server = cls(process, f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"localstripe exited with code {process.returncode}")
            try:
                requests.get(server.js_url, timeout=1).raise_for_status()
                return server
            except requests.RequestException:
                time.sleep(0.1)
        server.stop()
        raise RuntimeError(f"localstripe did not answer on port {port} in {timeout} s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def register_webhook(self, url: str, *, secret: str = WEBHOOK_SECRET) -> None:
        """Make localstripe POST its events, signed with ``secret``, to ``url``."""
        answer = requests.post(
            f"{self.url}/_config/webhooks/portal", data={"url": url, "secret": secret}, timeout=5
        )
        answer.raise_for_status()
