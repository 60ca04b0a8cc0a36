"""Engine calls block on disk and processes: they run in a thread pool, never on the event loop."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

# Container starts and removals are mostly waiting on the kernel; more threads than cores is right.
_EXECUTOR = ThreadPoolExecutor(max_workers=32, thread_name_prefix="hydockd-engine")


async def run_blocking(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_EXECUTOR, functools.partial(func, *args, **kwargs))
