"""Docker's event stream: a bounded history for `since`, and live fan-out to /events subscribers."""

from __future__ import annotations

import asyncio
import collections
import time

import msgspec

from hydock.wire import docker_name

HISTORY = 1024


class Actor(msgspec.Struct, rename=docker_name):
    i_d: str
    attributes: dict[str, str]


class Event(msgspec.Struct, rename=docker_name):
    type: str
    action: str
    actor: Actor
    scope: str
    # Docker spells these two in lower camel case, unlike the rest of the event.
    time: int = msgspec.field(name="time")
    time_nano: int = msgspec.field(name="timeNano")
    # Pre-1.22 fields the docker CLI still reads for containers.
    status: str = msgspec.field(default="", name="status")
    id: str = msgspec.field(default="", name="id")
    from_: str = msgspec.field(default="", name="from")


class EventBus:
    def __init__(self) -> None:
        self._history: collections.deque[Event] = collections.deque(maxlen=HISTORY)
        self._subscribers: set[asyncio.Queue[Event]] = set()

    def emit(self, kind: str, action: str, actor_id: str, attributes: dict[str, str]) -> None:
        now = time.time_ns()
        event = Event(kind, action, Actor(actor_id, attributes), "local", now // 1_000_000_000, now)
        if kind == "container":
            event.status, event.id, event.from_ = action, actor_id, attributes.get("image", "")
        self._history.append(event)
        for queue in self._subscribers:
            queue.put_nowait(event)

    def since(self, since_ns: int) -> list[Event]:
        return [e for e in self._history if e.time_nano >= since_ns]

    def subscribe(self) -> asyncio.Queue[Event]:
        queue: asyncio.Queue[Event] = asyncio.Queue()
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Event]) -> None:
        self._subscribers.discard(queue)
