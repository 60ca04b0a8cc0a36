"""Builds through the engine: the config Docker would write, .dockerignore, the cache hitting and missing exactly
where it should, reproducible digests, secrets that never reach a layer."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hydock import Engine
from tests.integration.build_support import build, layer_members, make_builder, run, write_files
from tests.unit.test_dockerignore import FILES, IGNORE, KEPT_BY_DOCKER


@pytest.fixture
def context(tmp_path: Path) -> Path:
    """A context directory of its own (the test's store root is in tmp_path too)."""
    path = tmp_path / "context"
    path.mkdir()
    return path


PARENT = """\
ARG BASE=busybox
FROM ${BASE}
ONBUILD COPY <<EOF /onbuild.txt
triggered in the child
EOF
ONBUILD RUN echo "child ran its trigger" > /trigger.txt
LABEL role=parent
"""

CHILD = """\
ARG BASE
ARG GREETING=hello
FROM $BASE AS child
ARG GREETING FLAVOR=vanilla
ENV APP_HOME=/srv/app GREETING=${GREETING}
WORKDIR $APP_HOME
RUN <<EOF
echo "$GREETING from a heredoc" > greeting.txt
EOF
RUN cat <<EOT > /srv/app/two.txt && chown app:app /srv/app/two.txt
first line
second line
EOT
COPY <<EOF notes/readme.txt
notes for $APP_HOME
EOF
EXPOSE 8080 9000-9001/udp
VOLUME /data
HEALTHCHECK --interval=5s --timeout=2s --retries=3 CMD wget -q -O- localhost:8080 || exit 1
STOPSIGNAL SIGQUIT
USER app
ENTRYPOINT ["sh", "-c"]
CMD ["cat greeting.txt"]
"""


def test_heredocs_args_onbuild_healthcheck_user(engine: Engine, image: str, context: Path) -> None:
    (context / "parent").mkdir()
    build(engine, context / "parent", PARENT, tags=["parent:1"])
    (context / "child").mkdir()
    built = build(engine, context / "child", CHILD, tags=["child:1"], build_args={"BASE": "parent:1"})
    assert "# Executing 2 build triggers" in built.output

    config = engine.image_service.config(built.image_id)
    container = config.config
    assert container.user == "app"
    assert container.working_dir == "/srv/app"
    assert container.env == ["APP_HOME=/srv/app", "GREETING=hello"]
    assert container.entrypoint == ["sh", "-c"] and container.cmd == ["cat greeting.txt"]
    assert container.exposed_ports == {"8080/tcp": {}, "9000/udp": {}, "9001/udp": {}}
    assert container.volumes == {"/data": {}}
    assert container.stop_signal == "SIGQUIT"
    assert container.labels == {"role": "parent"}
    assert container.on_build is None, "triggers are not inherited by grandchildren"
    health = container.healthcheck
    assert health is not None
    assert health.test == ["CMD-SHELL", "wget -q -O- localhost:8080 || exit 1"]
    assert (health.interval, health.timeout, health.retries) == (5_000_000_000, 2_000_000_000, 3)
    parent = engine.image_service.config(engine.image_service.resolve("parent:1")).config
    assert parent.on_build is not None and len(parent.on_build) == 2 and parent.on_build[1].startswith("RUN echo")

    created_by = [entry.created_by for entry in config.history]
    assert "/bin/sh -c #(nop)  ENV APP_HOME=/srv/app GREETING=hello" in created_by
    assert '/bin/sh -c #(nop)  HEALTHCHECK &{["CMD-SHELL" "wget -q -O- localhost:8080 || exit 1"] "5s" "2s" "0s" "0s" \'\\x03\'}' in created_by  # fmt: skip
    assert '/bin/sh -c #(nop)  ENTRYPOINT ["sh" "-c"]' in created_by
    # Build args reach RUN's history line unless an ENV of the same name hides them, as in Docker's.
    assert '|1 FLAVOR=vanilla /bin/sh -c echo "$GREETING from a heredoc" > greeting.txt\n' in created_by

    out = run(
        engine, "child:1", "id -un; cat greeting.txt two.txt notes/readme.txt /onbuild.txt /trigger.txt; ls -l two.txt"
    )
    lines = out.splitlines()
    assert lines[:7] == ["app", "hello from a heredoc", "first line", "second line", "notes for /srv/app",
                         "triggered in the child", "child ran its trigger"]  # fmt: skip
    assert " app " in lines[7]


def test_entrypoint_resets_an_inherited_cmd(engine: Engine, image: str, context: Path) -> None:
    build(engine, context, 'FROM busybox\nCMD ["inherited"]\n', tags=["base-cmd:1"])
    built = build(engine, context, 'FROM base-cmd:1\nENTRYPOINT ["echo"]\n')
    assert engine.image_service.config(built.image_id).config.cmd is None
    built = build(engine, context, 'FROM busybox\nCMD ["kept"]\nENTRYPOINT ["echo"]\n')
    assert engine.image_service.config(built.image_id).config.cmd == ["kept"]


def test_dockerignore_exclusions_and_exceptions(engine: Engine, image: str, context: Path) -> None:
    write_files(context, {**{name: name for name in FILES}, ".dockerignore": IGNORE})
    built = build(engine, context, "FROM busybox\nCOPY . /ctx\n")
    listed = run(engine, built.image_id, "cd /ctx && find . -type f | sort").splitlines()
    assert {path.removeprefix("./") for path in listed} == KEPT_BY_DOCKER


CACHED_DOCKERFILE = """\
FROM busybox
ENV STAGE=one
COPY config.txt /etc/app/
RUN cat /etc/app/config.txt > /config.copy
COPY src/ /app/src/
RUN ls /app/src > /listing
CMD ["sh"]
"""


def test_cache_hits_and_misses_where_expected(engine: Engine, image: str, context: Path) -> None:
    (context / "src").mkdir()
    (context / "config.txt").write_text("v1\n")
    for name in ("a.c", "b.c"):
        (context / "src" / name).write_text(f"/* {name} */\n")
    first = build(engine, context, CACHED_DOCKERFILE)
    assert first.run_steps() == [2, 3, 4, 5, 6, 7]

    again = build(engine, context, CACHED_DOCKERFILE)
    assert again.cached_steps() == [2, 3, 4, 5, 6, 7]
    assert "Running in" not in again.output, "a fully cached build starts no container"
    assert again.image_id == first.image_id

    os.utime(context / "config.txt", (1, 1))  # a new mtime alone changes nothing
    assert build(engine, context, CACHED_DOCKERFILE).image_id == first.image_id

    (context / "src" / "b.c").write_text("/* changed */\n")
    changed = build(engine, context, CACHED_DOCKERFILE)
    assert changed.cached_steps() == [2, 3, 4]
    assert changed.run_steps() == [5, 6, 7]

    moved = "# a comment\n" + CACHED_DOCKERFILE.replace("ENV STAGE=one\n", "ENV STAGE=one\n\n\n")
    assert build(engine, context, moved).run_steps() == [], "where an instruction sits is not part of its key"
    assert build(engine, context, CACHED_DOCKERFILE, no_cache=True).cached_steps() == []


def test_source_date_epoch_gives_the_same_digest_on_two_roots(
    engine: Engine, image: str, tmp_path: Path, root: Path
) -> None:
    context = tmp_path / "context"
    (context / "files").mkdir(parents=True)
    (context / "files" / "data.txt").write_text("reproducible\n")
    dockerfile = "FROM busybox\nCOPY files/ /files/\nRUN echo built > /built.txt && mkdir -p /var/cache/x\nENV A=1\n"
    args = {"SOURCE_DATE_EPOCH": "1700000000"}
    first = build(engine, context, dockerfile, build_args=args)

    other = Engine(tmp_path / "other-root")
    try:
        archive = tmp_path / "busybox.tar"
        with open(archive, "wb") as out:
            for chunk in engine.image_service.save(["busybox"]):
                out.write(chunk)
        other.image_service.load(archive)
        second = build(other, context, None, build_args=args)
        assert second.image_id == first.image_id
        assert layer_members(other, second.image_id) == layer_members(engine, first.image_id)
        config = engine.image_service.config(first.image_id)
        assert config.created == "2023-11-14T22:13:20Z"
        assert {entry.created for entry in config.history[1:]} == {"2023-11-14T22:13:20Z"}
    finally:
        for record in other.container_service.list_records(all=True):
            other.container_service.remove(record.id, force=True)


def test_a_failing_run_reports_its_status_and_leaves_nothing(engine: Engine, image: str, context: Path) -> None:
    from hydock.errors import BuildError

    with pytest.raises(BuildError) as failed:
        build(engine, context, "FROM busybox\nRUN echo output; exit 7\n")
    assert failed.value.code == 7
    assert str(failed.value) == "The command '/bin/sh -c echo output; exit 7' returned a non-zero code: 7"
    assert engine.container_service.list_records(all=True) == []
    assert list((engine.root / "builder" / "tmp").iterdir()) in ([], [engine.root / "builder" / "tmp" / "empty"])


def test_builder_prune(engine: Engine, image: str, context: Path) -> None:
    dockerfile = (
        "FROM busybox AS tools\nRUN echo tool > /tool && echo x > /x\nFROM busybox\nCOPY --from=tools /tool /tool\n"
    )
    build(engine, context, dockerfile, tags=["pruned:1"])
    cache = make_builder(engine).cache
    deleted, reclaimed = cache.prune(engine.image_service, everything=False)
    assert deleted and reclaimed > 0, "the tools stage's layer is held by no image"
    assert build(engine, context, dockerfile).cached_steps() == [4], "the final stage's steps stay cached"
    deleted, _ = cache.prune(engine.image_service, everything=True)
    assert deleted
    assert build(engine, context, dockerfile).cached_steps() == []
    assert run(engine, "pruned:1", "cat /tool") == "tool\n"
