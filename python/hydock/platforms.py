"""This machine's platform as OCI and Go name it, without importing anything heavy (the CLI needs it too)."""

from __future__ import annotations

import platform

_GOARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "ppc64le": "ppc64le", "s390x": "s390x"}


def host_architecture() -> str:
    machine = platform.machine()
    return _GOARCH.get(machine, machine)
