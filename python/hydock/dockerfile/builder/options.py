"""What a build is asked for: the flags of `docker build`, as the Engine API's POST /build carries them."""

from __future__ import annotations

import msgspec

from hydock.api_types import BuildOutput

DEFAULT_DOCKERFILE = "Dockerfile"


class BuildOptions(msgspec.Struct, kw_only=True):
    dockerfile: str = ""
    """Its path in the context; "" means `Dockerfile` (or `dockerfile`)."""
    tags: list[str] = []
    build_args: dict[str, str] = {}
    target: str = ""
    no_cache: bool = False
    pull: bool = False
    labels: dict[str, str] = {}
    platform: str = ""
    network: str = ""
    """RUN's network when the instruction does not choose: "" or "default" (the default bridge), "host" or
    "none"."""
    quiet: bool = False
    step_events: bool = False
    """Also report each step as a BuildStep (hydock's live view)."""
    secrets: dict[str, bytes] = {}
    outputs: list[BuildOutput] = []


def source_date_epoch(options: BuildOptions) -> int | None:
    """SOURCE_DATE_EPOCH, as a build arg (what buildx sends for the variable): fixes history and config times
    and caps layer entries' times, so that the same inputs give the same image."""
    value = options.build_args.get("SOURCE_DATE_EPOCH", "")
    return int(value) if value.isdigit() else None
