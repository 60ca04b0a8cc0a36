"""A real terminal for tests of interactive commands: a tmux server of the test's own, keys sent to it, its screen
read back."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

WAIT = 20.0
PROMPT = "$ "


class TmuxTerminal:
    """One window running bash with a plain prompt; `width` x `height` until resized."""

    def __init__(self, socket: Path, width: int, height: int, env: dict[str, str]) -> None:
        self.socket = socket
        shell = f"env PS1='{PROMPT}' HISTFILE=/dev/null bash --norc --noprofile"
        self._tmux("new-session", "-d", "-x", str(width), "-y", str(height), shell, env=env)

    def _tmux(self, *args: str, env: dict[str, str] | None = None) -> str:
        result = subprocess.run(
            ["tmux", "-S", str(self.socket), *args], capture_output=True, text=True, env=env, timeout=30
        )
        assert result.returncode == 0, f"tmux {args}: {result.stderr}"
        return result.stdout

    def run(self, command: str) -> None:
        """Types `command` and Enter."""
        self._tmux("send-keys", "-l", command)
        self._tmux("send-keys", "Enter")

    def keys(self, *keys: str) -> None:
        """Presses keys by tmux's names (C-p, C-c, Enter...)."""
        self._tmux("send-keys", *keys)

    def screen(self) -> str:
        return "\n".join(line.rstrip() for line in self._tmux("capture-pane", "-p").splitlines()).strip("\n")

    def wait_for(self, pattern: str, *, count: int = 1, timeout: float = WAIT) -> str:
        """The screen once the regular expression `pattern` matches on it (`count` times)."""
        return self.wait_until(lambda screen: len(re.findall(pattern, screen, re.MULTILINE)) >= count, repr(pattern))

    def wait_until(self, predicate: Callable[[str], bool], what: str, *, timeout: float = WAIT) -> str:
        """The screen once `predicate` holds for it; fails the test after `timeout`, showing the screen."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if predicate(screen):
                return screen
            if time.monotonic() > deadline:
                pytest.fail(f"waited in vain for {what} on the terminal:\n{screen}")
            time.sleep(0.1)

    def exit_status(self) -> int:
        """The status of the last command, asked of the shell once it is back at its prompt. Clears the screen."""
        self.wait_until(lambda screen: screen.endswith(PROMPT.strip()), "the shell's prompt")
        self.clear()
        self.run("echo status=$?")
        return int(re.findall(r"^status=(\d+)$", self.wait_for(r"^status=\d+$"), re.MULTILINE)[-1])

    def wait_for_window(self, rows: int, columns: int) -> None:
        """Resizes the terminal, then asks `stty size` of the shell running in it until that shell sees the new
        size: the size travels to a container's pty beside the typed keys, not in line with them."""
        self.resize(columns, rows)
        for attempt in range(20):
            self.run(f"stty size; echo attempt-{attempt}")
            lines = self.wait_for(rf"^attempt-{attempt}$").splitlines()
            if lines[lines.index(f"attempt-{attempt}") - 1] == f"{rows} {columns}":
                return
        pytest.fail(f"the window never became {rows}x{columns}:\n{self.screen()}")

    def clear(self) -> None:
        self.keys("C-l")
        self._tmux("clear-history")

    def resize(self, width: int, height: int) -> None:
        self._tmux("resize-window", "-x", str(width), "-y", str(height))

    def close(self) -> None:
        # The server's end hangs up every process still on the terminal (an attached CLI, say).
        subprocess.run(["tmux", "-S", str(self.socket), "kill-server"], capture_output=True, timeout=30)


@contextmanager
def tmux_terminal(directory: Path, *, width: int = 100, height: int = 30) -> Iterator[TmuxTerminal]:
    if shutil.which("tmux") is None:
        pytest.fail("tmux is required for terminal tests (tools/install.sh installs it)")
    terminal = TmuxTerminal(directory / "tmux.sock", width, height, dict(os.environ))
    try:
        yield terminal
    finally:
        terminal.close()
