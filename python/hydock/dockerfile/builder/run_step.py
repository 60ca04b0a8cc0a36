"""RUN: the command (here-documents handled as BuildKit handles them) run in a container of our runtime on the
stage's layers, its output passed on as it comes, its changes committed as the step's layer."""

from __future__ import annotations

import codecs
import os
import secrets
import select
import shutil
from pathlib import Path
from typing import NamedTuple

from hydock.api_storage import MountSpec, TmpfsOptions
from hydock.dockerfile import nodes
from hydock.dockerfile.builder.config_steps import shell_of
from hydock.dockerfile.builder.mount_stubs import CONTAINER_MOUNT_POINTS, MountPoint, make_stubs
from hydock.dockerfile.builder.rootfs import MountedRoot, lower_dirs
from hydock.dockerfile.builder.run_step_mounts import PreparedMounts, RunMount
from hydock.dockerfile.builder.state import BuildState
from hydock.dockerfile.builder.step_context import StepContext
from hydock.dockerfile.source_lines import parse_heredoc_word
from hydock.dockerfile.stage_walk import Step
from hydock.engine.commit import CommittedLayer, commit_layer
from hydock.engine.containers import ContainerBase
from hydock.engine.output_pipes import start_with_output_pipes
from hydock.engine.records import RunOptions
from hydock.errors import BuildError, Conflict
from hydock.store.records import ImageConfig

PIPES_DIR = "/dev/pipes"
_POLL_SECONDS = 0.5


class Command(NamedTuple):
    argv: list[str]
    script: tuple[str, str] | None = None
    """(name, content) of a here-document run as a file (it starts with `#!`), mounted in /dev/pipes."""


def run_command(config: ImageConfig, run: nodes.Run) -> Command:
    """The command RUN runs: a lone here-document's body (or, with a `#!` line, the file it makes) or the line
    with its here-documents appended, through the stage's SHELL; exec form as written."""
    args = list(run.command.args)
    if run.command.exec_form:
        return Command(args)
    script = None
    if run.heredocs:
        opened = parse_heredoc_word(args[0]) if len(args) == 1 else None
        first = run.heredocs[0]
        if opened is not None and first.content.startswith("#!"):
            script = (first.name, first.text())
            args = [f"{PIPES_DIR}/{first.name}"]
        elif opened is not None:
            args = [first.text()]
        else:
            args = ["".join([args[0], *(f"\n{heredoc.content}{heredoc.name}" for heredoc in run.heredocs)])]
    return Command([*shell_of(config), *args], script)


def run_history(config: ImageConfig, command: Command, step: Step) -> str:
    """Docker's history line for a RUN: the command, after `|N K=V...` for the build args it saw (those no ENV
    overrides)."""
    env_keys = {item.partition("=")[0] for item in config.config.env or []}
    args = sorted(arg for arg in step.args if arg.partition("=")[0] not in env_keys)
    prefix = [f"|{len(args)}", *args] if args else []
    return " ".join([*prefix, *command.argv])


def execute_run(step: Step, state: BuildState, ctx: StepContext) -> CommittedLayer | None:
    """Runs the step's command on `state`; its changes as a layer (None if it changed nothing)."""
    run = step.instruction
    assert isinstance(run, nodes.Run)
    config = state.config.config
    command = run_command(state.config, run)
    workdir = config.working_dir or "/"
    stubs = ctx.scratch / f"stubs-{secrets.token_hex(6)}"
    stubs.mkdir()
    mounts = PreparedMounts(run, ctx, workdir)
    try:
        extra = list(mounts.mounts)
        if command.script is not None:
            extra.append(_script_mount(ctx, command.script))
        points = [MountPoint(path, directory) for path, directory in CONTAINER_MOUNT_POINTS]
        points += [MountPoint(workdir, True)]
        points += [MountPoint(m.target, m.kind == "tmpfs" or os.path.isdir(m.source)) for m in extra]
        with MountedRoot(ctx.store, state) as view:
            has_stubs = make_stubs(view.path, points, stubs)
        lowers = ([stubs] if has_stubs else []) + lower_dirs(ctx.store, state)
        base = ContainerBase(state.image_id, state.image_id, config, lowers)
        network = ctx.network if run.network == "default" else run.network
        options = RunOptions(
            env=[*step.env, *mounts.env],
            entrypoint=[],
            network=network,
            privileged=run.security == "insecure",
            mounts=_engine_mounts(extra),
        )
        record = ctx.containers.create_from(base, command.argv, options)
        try:
            ctx.running_in(record.id[:12])
            exit_code = _run_streaming(ctx, record.id)
            if ctx.cancelled.is_set():
                raise BuildError("the build was cancelled")
            if exit_code != 0:
                raise BuildError(
                    f"The command '{' '.join(command.argv)}' returned a non-zero code: {exit_code}", exit_code
                )
            upper = record.graph_driver.data["UpperDir"]
            return commit_layer(ctx.store, Path(upper), state.top_chain, mtime=ctx.epoch)
        finally:
            # As Docker's classic builder: the step's anonymous volumes (of VOLUMEs above it) go with it.
            ctx.containers.remove(record.id, force=True, volumes=True)
    finally:
        mounts.close()
        shutil.rmtree(stubs, ignore_errors=True)


def _script_mount(ctx: StepContext, script: tuple[str, str]) -> RunMount:
    name, content = script
    path = ctx.scratch / f"pipe-{secrets.token_hex(6)}"
    path.write_text(content)
    path.chmod(0o755)
    return RunMount("bind", str(path), f"{PIPES_DIR}/{name}", True)


def _engine_mounts(mounts: list[RunMount]) -> list[MountSpec]:
    """The prepared mounts as the container's HostConfig.Mounts (Docker's mount.Mount)."""
    return [
        MountSpec(
            type=m.kind,
            target=m.target,
            source=m.source,
            read_only=m.read_only,
            tmpfs_options=TmpfsOptions(size_bytes=m.size) if m.kind == "tmpfs" and m.size else None,
        )
        for m in mounts
    ]


def _run_streaming(ctx: StepContext, container_id: str) -> int:
    """Starts the container, passes its output on as it comes; its exit status. A cancelled build kills it."""
    piped = start_with_output_pipes(lambda out, err: ctx.containers.start(container_id, stdout_fd=out, stderr_fd=err))
    if piped is None:
        raise BuildError(f"build container {container_id[:12]} was already running")
    started, *fds = piped
    decoders = {fd: codecs.getincrementaldecoder("utf-8")(errors="replace") for fd in fds}
    open_fds = set(fds)
    killed = False
    while open_fds:
        ready, _, _ = select.select(list(open_fds), [], [], _POLL_SECONDS)
        if ctx.cancelled.is_set() and not killed:
            killed = True
            try:
                ctx.containers.kill(container_id)
            except Conflict:
                pass  # it has just exited
        for fd in ready:
            data = os.read(fd, 65536)
            text = decoders[fd].decode(data, final=not data)
            if text:
                ctx.output(text)
            if not data:
                open_fds.discard(fd)
                os.close(fd)
    return ctx.containers.wait_started(started).exit_code
