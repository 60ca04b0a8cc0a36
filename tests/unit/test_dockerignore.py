"""`.dockerignore` semantics, checked against what dockerd 20.10's builder copied for the same context."""

from __future__ import annotations

from pathlib import Path

import pytest

from hydock.dockerfile.dockerignore import IgnoreMatcher, load_matcher, read_patterns

IGNORE = "# comment\n\n*.log\n**/*.md\n!README.md\n/node_modules\nsrc/*_test.go\nvendor\n!vendor/lib/l.go\na/b\n" \
         "!a/b/c/three.md\n.hidden\n  docs/x  \n"  # fmt: skip
FILES = ["a/one.txt", "a/b/two.txt", "a/b/c/three.md", "docs/readme.md", "docs/x/y.md", "node_modules/pkg/index.js",
         "src/main.go", "src/main_test.go", "src/keep/k.txt", "vendor/lib/l.go", "top.log", "README.md",
         "sp ace.txt", ".hidden", "Dockerfile", ".dockerignore"]  # fmt: skip
# What `COPY . /ctx` put in the image when dockerd built this context (DOCKER_BUILDKIT=0, Docker 20.10).
KEPT_BY_DOCKER = {".dockerignore", "Dockerfile", "README.md", "a/b/c/three.md", "a/one.txt", "sp ace.txt",
                  "src/keep/k.txt", "src/main.go", "vendor/lib/l.go"}  # fmt: skip


def test_a_context_filters_as_docker_filtered_it() -> None:
    matcher = IgnoreMatcher(read_patterns(IGNORE))
    assert {f for f in FILES if not matcher.excluded(f)} == KEPT_BY_DOCKER


def test_patterns_are_normalised() -> None:
    assert read_patterns("\ufeff/abs\n  spaced  \n!/neg\n./x/../y\n#c\n") == ["abs", "spaced", "!neg", "y"]


@pytest.mark.parametrize(
    ("pattern", "path", "excluded"),
    [
        ("*", "a", True), ("*", "a/b", True),  # a directory match excludes what is inside
        ("*.go", "x/a.go", False), ("**/*.go", "x/y/a.go", True), ("**/*.go", "a.go", True),
        ("a?c", "abc", True), ("a?c", "a/c", False), ("[a-c]x", "bx", True), ("[^a]x", "ax", False),
        ("dir/**", "dir/a/b", True), ("dir/**", "dirx", False), ("a.b", "axb", False), ("x\\*y", "x*y", True),
        ("**", "anything/at/all", True),
    ],
)  # fmt: skip
def test_single_patterns(pattern: str, path: str, excluded: bool) -> None:
    assert IgnoreMatcher(read_patterns(pattern)).excluded(path) is excluded


def test_walks_descend_into_excluded_directories_only_when_an_exception_may_reach_inside() -> None:
    matcher = IgnoreMatcher(read_patterns("vendor\n!vendor/keep\nbuild\n"))
    assert matcher.may_include_below("vendor") and not matcher.may_include_below("build")


def test_a_dockerfile_specific_ignore_file_wins(tmp_path: Path) -> None:
    (tmp_path / ".dockerignore").write_text("*.txt\n")
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "Dockerfile").write_text("FROM scratch\n")
    assert load_matcher(tmp_path, tmp_path / "build" / "Dockerfile").excluded("a.txt")
    (tmp_path / "build" / "Dockerfile.dockerignore").write_text("*.md\n")
    specific = load_matcher(tmp_path, tmp_path / "build" / "Dockerfile")
    assert specific.excluded("a.md") and not specific.excluded("a.txt")
