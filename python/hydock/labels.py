"""Docker's `label` filters, the same for containers, images, networks, volumes and events."""

from __future__ import annotations

from collections.abc import Iterable


def label_matches(labels: dict[str, str], wanted: str) -> bool:
    """Docker's label filter: `key` (present) or `key=value`."""
    key, sep, value = wanted.partition("=")
    return key in labels and (not sep or labels[key] == value)


def all_labels_match(labels: dict[str, str], wanted: Iterable[str]) -> bool:
    return all(label_matches(labels, item) for item in wanted)


def any_label_matches(labels: dict[str, str], wanted: Iterable[str]) -> bool:
    return any(label_matches(labels, item) for item in wanted)
