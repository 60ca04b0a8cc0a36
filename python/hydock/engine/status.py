"""How Docker words a container's state in listings: "Up 5 seconds (healthy)", "Exited (0) 2 minutes ago"."""

from __future__ import annotations

from hydock.engine.health import health_label
from hydock.engine.records import ContainerState, Health
from hydock.timeutil import human_duration, parse_rfc3339


def status_text(state: ContainerState, now: float) -> str:
    if state.running:
        up = f"Up {human_duration(now - parse_rfc3339(state.started_at))}"
        if state.paused:
            return up + " (Paused)"
        return f"{up} ({health_label(state.health)})" if isinstance(state.health, Health) else up
    if state.status == "created":
        return "Created"
    return f"Exited ({state.exit_code}) {human_duration(now - parse_rfc3339(state.finished_at))} ago"
