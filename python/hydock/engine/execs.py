"""Exec: extra processes in a running container, configured like its first one (docker exec)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import msgspec

from hydock.api_types import ExecConfig
from hydock.engine.containers import CGROUP_PARENT, ContainerService, Started, merge_env, process_env
from hydock.errors import Conflict, NotFound
from hydock.runtime import native, shim_control
from hydock.runtime.shim_control import ShimControl
from hydock.runtime.spec import Process, Spec, User
from hydock.runtime.users import resolve_user
from hydock.store.atomic import write_atomic

_spec_decoder = msgspec.json.Decoder(Spec)


class ExecService:
    def __init__(self, containers: ContainerService) -> None:
        self.containers = containers

    def _exec_dir(self, container_id: str) -> Path:
        return self.containers.dir / container_id / "execs"

    def start(
        self, container_id: str, config: ExecConfig, *, stdout_fd: int | None = None, stderr_fd: int | None = None
    ) -> tuple[str, Started]:
        """Starts the process; returns the exec ID and its handle (status pipe for the exit).

        With `config.tty` the process gets a terminal, with `config.attach_stdin` a stdin; either makes it reachable
        through `control`."""
        record = self.containers.inspect(container_id)
        if not record.state.running:
            raise Conflict(f"Container {record.id} is not running")
        if not config.cmd:
            raise NotFound("No exec command specified")
        bundle = self.containers.dir / record.id
        spec = _spec_decoder.decode((bundle / "config.json").read_bytes())
        rootfs = Path(spec.root.path)
        user = resolve_user(rootfs, config.user) if config.user else None
        process = Process(
            args=list(config.cmd),
            cwd=config.working_dir or spec.process.cwd,
            user=User(user.uid, user.gid, user.additional_gids or None) if user else spec.process.user,
            # As Docker: TERM=xterm comes with the exec's own tty, not the container's.
            env=merge_env(
                process_env(
                    msgspec.structs.replace(record.config, tty=config.tty),
                    self.containers.networking.link_environment(record, self.containers.inspect),
                ),
                list(config.env or []),
            ),
            terminal=config.tty,
            capabilities=spec.process.capabilities,
            no_new_privileges=spec.process.no_new_privileges,
        )
        exec_id = secrets.token_hex(32)
        exec_dir = self._exec_dir(record.id)
        exec_dir.mkdir(exist_ok=True)
        process_file = exec_dir / f"{exec_id}.json"
        write_atomic(process_file, msgspec.json.encode(process), durable=False)
        try:
            started = native.start_exec(
                shim_dir=self.containers.store.root / "bin",
                bundle=bundle,
                target_pid=record.state.pid,
                cgroup=f"{CGROUP_PARENT}/{record.id}",
                process_file=process_file,
                exit_file=exec_dir / f"{exec_id}.exit",
                stdout_fd=stdout_fd,
                stderr_fd=stderr_fd,
                control=self._control_path(record.id, exec_id) if config.tty or config.attach_stdin else None,
                open_stdin=config.attach_stdin,
            )
        except BaseException:
            # Nobody learns the ID of an exec that did not start, so nobody else would remove its file (a failing
            # healthcheck would add one per probe).
            self.forget(record.id, exec_id)
            raise
        return exec_id, Started(record.id, record.name, started.pid, started.status_fd, started.shim_pid)

    def _control_path(self, container_id: str, exec_id: str) -> Path:
        return self._exec_dir(container_id) / f"{exec_id}.sock"

    def control(self, container_id: str, exec_id: str) -> ShimControl:
        """A connection to the running exec's shim, for its stdin and terminal size; Conflict once it has ended."""
        try:
            return ShimControl(shim_control.connect(self._control_path(container_id, exec_id)))
        except (FileNotFoundError, ConnectionRefusedError):
            raise Conflict(f"Exec {exec_id} is not running") from None

    def exit_status(self, container_id: str, exec_id: str) -> native.ExitStatus | None:
        return native.load_exit_file(self._exec_dir(container_id) / f"{exec_id}.exit")

    def forget(self, container_id: str, exec_id: str) -> None:
        for suffix in (".json", ".exit"):
            try:
                os.unlink(self._exec_dir(container_id) / f"{exec_id}{suffix}")
            except FileNotFoundError:
                pass
