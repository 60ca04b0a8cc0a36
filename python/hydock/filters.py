"""Docker's list filters (`?filters=`): the same matching for containers, networks, volumes and events."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from hydock.errors import InvalidArgument


def label_matches(labels: dict[str, str], wanted: str) -> bool:
    """Docker's label filter: `key` (present) or `key=value`."""
    key, sep, value = wanted.partition("=")
    return key in labels and (not sep or labels[key] == value)


def all_labels_match(labels: dict[str, str], wanted: Iterable[str]) -> bool:
    return all(label_matches(labels, item) for item in wanted)


def any_label_matches(labels: dict[str, str], wanted: Iterable[str]) -> bool:
    return any(label_matches(labels, item) for item in wanted)


def matches_filters(
    wanted: dict[str, list[str]], checks: dict[str, Callable[[str], bool]], labels: dict[str, str]
) -> bool:
    """Docker's matching: one of a key's values is enough, but `label` values must all match (docker-compose asks
    for its project and service labels together). A key without a check is Docker's 'invalid filter'."""
    for key, values in wanted.items():
        if key == "label":
            if not all_labels_match(labels, values):
                return False
            continue
        check = checks.get(key)
        if check is None:
            raise InvalidArgument(f"invalid filter '{key}'")
        if not any(check(v) for v in values):
            return False
    return True
