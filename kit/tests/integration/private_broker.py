"""A Kafka broker of the fault tests' own (deploy/kafka/kafka.sh on other ports): stopped, frozen, restarted.

The shared broker of the machine must never be stopped; these tests start a second one in a temporary
directory, reusing the jars of the shared one (``KAFKA_LIBS_DIR``, by default the checkout's cache).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
KAFKA_SH = ROOT / "deploy" / "kafka" / "kafka.sh"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivateBroker:
    """One KRaft broker+controller this test session owns."""

    def __init__(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="kit-private-kafka-"))
        self.port = _free_port()
        inherited = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP_SERVERS"}
        self.env = {
            **inherited,
            "KAFKA_HOME_DIR": str(self.home),
            "KAFKA_PORT": str(self.port),
            "KAFKA_CONTROLLER_PORT": str(_free_port()),
            "KAFKA_LIBS_DIR": os.environ.get(
                "KAFKA_LIBS_DIR", str(ROOT / ".local" / "kafka" / "libs")
            ),
        }
        self.bootstrap_servers = f"127.0.0.1:{self.port}"

    def _run(self, *args: str) -> None:
        subprocess.run(
            ["bash", str(KAFKA_SH), *args],
            env=self.env,
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self) -> None:
        """Start the broker and wait until it answers."""
        self._run("start")

    def stop(self) -> None:
        """Stop the broker (SIGKILL: the outage is abrupt)."""
        self._run("kill9")

    @property
    def pid(self) -> int:
        """The broker's process id."""
        return int((self.home / "kafka.pid").read_text().strip())

    def freeze(self) -> None:
        """Make the broker stop answering while its connections stay open (SIGSTOP)."""
        os.kill(self.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        """Let a frozen broker answer again (SIGCONT)."""
        os.kill(self.pid, signal.SIGCONT)
