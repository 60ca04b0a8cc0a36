"""Container operations: create, start, wait, stop, kill, pause, rename, update, remove, prune, list, inspect, logs,
stats, top."""

from __future__ import annotations

import os
import secrets
import select
import shutil
import signal as signal_module
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path

import msgspec

from hydock.engine.container_mounts import ContainerMounts, MountsAsked, PlannedMount, volume_users
from hydock.engine.container_networking import ContainerNetworking
from hydock.engine.health import check_healthcheck, merge_healthcheck, probe_command, starting_health
from hydock.engine.images import ImageService
from hydock.engine.log_config import NO_LOG, checked_log_config, log_rotation
from hydock.engine.log_reader import LogCursor, decode_entries
from hydock.engine.names import NameRegistry
from hydock.engine.output_pipes import start_with_output_pipes
from hydock.engine.process_table import PS_TITLES, ps_row
from hydock.engine.records import (
    ContainerConfig,
    ContainerRecord,
    ContainerState,
    GraphDriver,
    Health,
    HostConfig,
    RestartPolicy,
    RunOptions,
)
from hydock.engine.volumes import VolumeService
from hydock.errors import Conflict, ContainerNotFound, InvalidArgument, NotImplementedYet
from hydock.network.container_links import parse_link
from hydock.runtime import native, shim_control
from hydock.runtime.build_spec import CPU_PERIOD_US, SpecInputs, build_spec
from hydock.runtime.defaults import DEFAULT_PATH
from hydock.runtime.etc_files import write_etc_files
from hydock.runtime.processes import is_alive
from hydock.runtime.shim_control import ShimControl
from hydock.runtime.users import resolve_user
from hydock.store import Store
from hydock.store.atomic import write_atomic
from hydock.store.file_lock import exclusive_lock
from hydock.store.records import ContainerConfig as ImageContainerConfig
from hydock.timeutil import ZERO_TIME, now_rfc3339

_record_decoder = msgspec.json.Decoder(ContainerRecord)
_state_decoder = msgspec.json.Decoder(ContainerState)
_HEX = set("0123456789abcdef")
CGROUP_PARENT = "hydock"
CONTROL_SOCKET = "control.sock"


class ContainerBase(msgspec.Struct, frozen=True):
    """What a container is created on: its image's name and ID, the image's config and its layers (top first)."""

    image: str
    image_id: str
    config: ImageContainerConfig
    lowers: list[Path]


class Started(msgspec.Struct):
    """A container just started; `status_fd` will carry its exit status (see runtime.native)."""

    id: str
    name: str
    pid: int
    status_fd: int
    shim_pid: int
    network_mode: str = "bridge"


def parse_signal(name: str | int) -> int:
    if isinstance(name, int) or str(name).isdigit():
        return int(name)
    text = str(name).upper()
    text = text if text.startswith("SIG") else f"SIG{text}"
    try:
        return int(signal_module.Signals[text])
    except KeyError:
        raise InvalidArgument(f"Invalid signal: {name}") from None


RESTART_POLICIES = ("no", "always", "unless-stopped", "on-failure")


def parse_restart_policy(text: str) -> RestartPolicy:
    """Docker's --restart syntax: no, always, unless-stopped, on-failure[:max-retries]."""
    name, sep, count = (text or "no").partition(":")
    if name not in RESTART_POLICIES or (sep and name != "on-failure"):
        raise InvalidArgument(f"invalid restart policy '{text}'")
    if sep and not count.isdigit():
        raise InvalidArgument(f"maximum retry count must be an integer: {count!r}")
    return RestartPolicy(name, int(count) if count else 0)


def process_env(config: ContainerConfig, link_env: Sequence[str] = ()) -> list[str]:
    """The first process's environment in Docker's order: PATH, HOSTNAME, TERM=xterm with a tty, the variables of
    its links, then the container's own (which win over the others)."""
    env = list(config.env)
    path = [env.pop(0)] if env and env[0].startswith("PATH=") else []
    own = {variable.partition("=")[0] for variable in env}
    term = ["TERM=xterm"] if config.tty and "TERM" not in own else []
    linked = [variable for variable in link_env if variable.partition("=")[0] not in own]
    return [*path, f"HOSTNAME={config.hostname}", *term, *linked, *env]


def merge_env(image_env: list[str], extra: list[str]) -> list[str]:
    env: dict[str, str] = {}
    for item in [*image_env, *extra]:
        key, sep, value = item.partition("=")
        if sep:
            env[key] = value
        elif key in os.environ:
            env[key] = os.environ[key]
    return [f"{k}={v}" for k, v in env.items()]


def _renamed_links(
    links: list[str] | None, *, linked: tuple[str, str] | None = None, linking: tuple[str, str] | None = None
) -> list[str] | None:
    """HostConfig.Links (`/web:/client/www`) after a rename (old, new) of the `linked` container or the `linking`
    one."""
    if not links:
        return links
    renamed = []
    for link in links:
        target, _, name = link.partition(":")
        if linked is not None and target == f"/{linked[0]}":
            target = f"/{linked[1]}"
        if linking is not None and name.startswith(f"/{linking[0]}/"):
            name = f"/{linking[1]}/{name.removeprefix(f'/{linking[0]}/')}"
        renamed.append(f"{target}:{name}")
    return renamed


def _await_process_end(pid: int, timeout: float | None) -> bool:
    """Sleeps until `pid` exits or `timeout` passes; False at once if there is no such process."""
    try:
        pidfd = os.pidfd_open(pid)
    except OSError:
        return False
    try:
        select.select([pidfd], [], [], timeout)
    finally:
        os.close(pidfd)
    return True


class ContainerService:
    def __init__(self, store: Store, images: ImageService) -> None:
        self.store = store
        self.images = images
        self.dir = store.root / "containers"
        self.names = NameRegistry(self.dir)
        self.volumes = VolumeService(store, users=lambda: volume_users(self.list_records(all=True)))
        self.mounts = ContainerMounts(self.volumes, store.layers)
        self.networking = ContainerNetworking(store.root)

    # --- lookup -----------------------------------------------------------------------------

    def _path(self, container_id: str) -> Path:
        return self.dir / container_id

    def resolve(self, name: str) -> str:
        """Full ID for an ID, a name, or a unique ID prefix (Docker's order)."""
        if len(name) == 64 and (self.dir / name / "container.json").exists():
            return name
        owner = self.names.lookup(name)
        if owner is not None and (self.dir / owner).exists():
            return owner
        if name and set(name) <= _HEX:
            matches = [p.name for p in self.dir.iterdir() if p.name.startswith(name) and len(p.name) == 64]
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                raise Conflict(f"Multiple IDs found with provided prefix: {name}")
        raise ContainerNotFound(f"No such container: {name}")

    def _read_record(self, container_id: str) -> ContainerRecord:
        path = self._path(container_id)
        try:
            record = _record_decoder.decode((path / "container.json").read_bytes())
        except FileNotFoundError:
            raise ContainerNotFound(f"No such container: {container_id}") from None
        record.state = self._current_state(path)
        record.network_settings = self.networking.settings(path, running=record.state.running)
        return record

    def _current_state(self, path: Path) -> ContainerState:
        """The engine's record (state.json) overlaid with what the shim wrote, and which processes live.

        The shim writes shim.json once the container runs and exit.json when it has gone, so the
        truth survives whoever started the container.
        """
        try:
            state = _state_decoder.decode((path / "state.json").read_bytes())
        except FileNotFoundError:
            return ContainerState()
        shim = native.load_shim_file(path / "shim.json")
        if shim is None:
            return state
        state.pid, state.shim_pid, state.pid_start, state.shim_start = (
            shim.pid,
            shim.shim_pid,
            shim.pid_start,
            shim.shim_start,
        )
        state.started_at, state.error = shim.started_at, ""
        exited = native.load_exit_file(path / "exit.json")
        if exited is None and (is_alive(shim.shim_pid, shim.shim_start) or is_alive(shim.pid, shim.pid_start)):
            state.status, state.running = ("paused" if state.paused else "running"), True
            return state
        if exited is None:
            # The shim writes the exit file before it exits: look again in case it just did.
            exited = native.load_exit_file(path / "exit.json")
        if exited is None:
            # Neither the shim's record nor a live process: it died unobserved (e.g. a reboot).
            exited = native.ExitStatus(255, False, state.started_at)
            state.error = "container exited while its supervisor was not running"
        state.status, state.running, state.pid, state.paused = "exited", False, 0, False
        state.exit_code, state.oom_killed, state.finished_at = exited.exit_code, exited.oom_killed, exited.finished_at
        return state

    def inspect(self, name: str) -> ContainerRecord:
        return self._read_record(self.resolve(name))

    def list_records(self, *, all: bool = False) -> list[ContainerRecord]:
        records = []
        for path in self.dir.iterdir():
            if len(path.name) != 64:
                continue
            try:
                record = self._read_record(path.name)
            except ContainerNotFound:
                continue
            if all or record.state.running:
                records.append(record)
        records.sort(key=lambda r: r.created, reverse=True)
        return records

    def _locked(self, container_id: str) -> AbstractContextManager[None]:
        return exclusive_lock(self._path(container_id) / ".lock")

    def exclusive(self, container_id: str) -> AbstractContextManager[None]:
        """The container's lock, for other services' work that no start may race (`cp` on a stopped container)."""
        return self._locked(container_id)

    def _write_state(self, container_id: str, state: ContainerState) -> None:
        write_atomic(self._path(container_id) / "state.json", msgspec.json.encode(state), durable=False)

    # --- create and start ---------------------------------------------------------------------

    def create(
        self, image: str, command: list[str] | None = None, options: RunOptions | None = None
    ) -> ContainerRecord:
        image_id = self.images.resolve(image)
        base = ContainerBase(image, image_id, self.images.config(image_id).config, self.images.lower_dirs(image_id))
        return self.create_from(base, command, options)

    def create_from(
        self, base: ContainerBase, command: list[str] | None = None, options: RunOptions | None = None
    ) -> ContainerRecord:
        """A container on `base`: an image, or (for a build step) layers no image is made of yet."""
        options = options or RunOptions()
        asked = MountsAsked(
            binds=options.binds,
            mounts=options.mounts,
            tmpfs=options.tmpfs,
            volumes_from=options.volumes_from,
            image_volumes=[*(base.config.volumes or {}), *options.volumes],
        )
        if not asked.uses_volumes():
            return self._create(base, command, options, asked)
        # No volume may go between being found (or made) here and being recorded as used.
        with self.volumes.lock():
            return self._create(base, command, options, asked)

    def _create(
        self, base: ContainerBase, command: list[str] | None, options: RunOptions, asked: MountsAsked
    ) -> ContainerRecord:
        image, image_id, image_config = base.image, base.image_id, base.config
        if options.entrypoint is not None:
            entrypoint, cmd = [e for e in options.entrypoint if e], list(command or [])
        else:
            entrypoint = list(image_config.entrypoint or [])
            cmd = list(command) if command else list(image_config.cmd or [])
        args = entrypoint + cmd
        if not args:
            raise InvalidArgument("No command specified")
        restart_policy = parse_restart_policy(options.restart)
        if options.auto_remove and restart_policy.name != "no":
            raise InvalidArgument("can't create 'AutoRemove' container with restart policy")
        network_mode, network_settings = self.networking.configure(options, self.resolve)
        links = self.networking.legacy_links(network_mode, options.links, self.inspect)
        log_config = checked_log_config(options.log_config)
        if options.healthcheck is not None:
            check_healthcheck(options.healthcheck)
        healthcheck = merge_healthcheck(options.healthcheck, image_config.healthcheck)
        env = merge_env(image_config.env or [], options.env)
        if not any(e.startswith("PATH=") for e in env):
            env.insert(0, f"PATH={DEFAULT_PATH}")

        container_id = secrets.token_hex(32)
        name = self.names.reserve(options.name, container_id)
        path = self._path(container_id)
        planned: list[PlannedMount] = []
        try:
            for sub in ("upper", "work", "merged"):
                (path / sub).mkdir(parents=True)
            planned = self.mounts.plan(container_id, asked, self.inspect, auto_remove=options.auto_remove)
            host_network = network_mode == "host"
            hostname = options.hostname or self.networking.default_hostname(network_mode, container_id)
            extra_hosts = self.networking.extra_hosts(options.extra_hosts)
            write_etc_files(path, hostname=hostname, host_network=host_network, extra_hosts=extra_hosts)
            lowers = base.lowers
            record = ContainerRecord(
                id=container_id,
                created=now_rfc3339(),
                path=args[0],
                args=args[1:],
                image=image_id,
                name=f"/{name}",
                config=ContainerConfig(
                    hostname=hostname,
                    user=options.user if options.user is not None else image_config.user,
                    env=env,
                    cmd=cmd or None,
                    healthcheck=healthcheck or msgspec.UNSET,
                    image=image,
                    working_dir=options.workdir or image_config.working_dir or "",
                    entrypoint=entrypoint or None,
                    labels={**(image_config.labels or {}), **options.labels},
                    stop_signal=image_config.stop_signal,
                    **msgspec.structs.asdict(options.interactive),
                    exposed_ports={
                        **(image_config.exposed_ports or {}),
                        **options.exposed_ports,
                        **dict.fromkeys(options.port_bindings, {}),
                    }
                    or None,
                    volumes={destination: {} for destination in asked.image_volumes} or None,
                    shell=options.shell or msgspec.UNSET,
                ),
                host_config=HostConfig(
                    network_mode=network_mode,
                    port_bindings=options.port_bindings,
                    publish_all_ports=options.publish_all,
                    dns=options.dns,
                    dns_options=options.dns_options,
                    dns_search=options.dns_search,
                    extra_hosts=options.extra_hosts or None,
                    links=[f"{linked}:/{name}/{alias}" for linked, alias in links] or None,
                    restart_policy=restart_policy,
                    log_config=log_config,
                    auto_remove=options.auto_remove,
                    privileged=options.privileged,
                    readonly_rootfs=options.read_only,
                    init=options.init or None,
                    cap_add=options.cap_add or None,
                    cap_drop=options.cap_drop or None,
                    security_opt=["no-new-privileges"] if options.no_new_privileges else None,
                    memory=options.memory,
                    nano_cpus=options.nano_cpus,
                    cpu_shares=options.cpu_shares,
                    pids_limit=options.pids_limit,
                    binds=options.binds or None,
                    mounts=options.mounts or None,
                    tmpfs=options.tmpfs or None,
                    volumes_from=options.volumes_from or None,
                ),
                graph_driver=GraphDriver(
                    "overlay2",
                    {
                        "LowerDir": ":".join(str(p) for p in lowers),
                        "UpperDir": str(path / "upper"),
                        "WorkDir": str(path / "work"),
                        "MergedDir": str(path / "merged"),
                    },
                ),
                mounts=[planned_mount.point for planned_mount in planned],
                resolv_conf_path=str(path / "resolv.conf"),
                hostname_path=str(path / "hostname"),
                hosts_path=str(path / "hosts"),
                log_path="" if log_config.type == NO_LOG else str(path / f"{container_id}-json.log"),
            )
            self.mounts.populate(record, planned)
            write_atomic(path / "container.json", msgspec.json.encode(record), durable=False)
            self.networking.save_configured(path, network_settings)
            self._write_state(container_id, ContainerState())
        except BaseException:
            self.names.release(name)
            shutil.rmtree(path, ignore_errors=True)
            self.mounts.discard(planned)
            raise
        return record

    def start(self, name: str, *, stdout_fd: int | None = None, stderr_fd: int | None = None) -> Started | None:
        """Start a created or exited container; None if it was already running (Docker's 304)."""
        container_id = self.resolve(name)
        with self._locked(container_id):
            record = self._read_record(container_id)
            if record.state.running:
                return None
            return self._start_locked(record, stdout_fd, stderr_fd)

    def _start_locked(self, record: ContainerRecord, stdout_fd: int | None, stderr_fd: int | None) -> Started:
        path = self._path(record.id)
        merged = path / "merged"
        for stale in ("shim.json", "exit.json"):
            (path / stale).unlink(missing_ok=True)
        lowers = [Path(p) for p in record.graph_driver.data["LowerDir"].split(":")]
        native.mount_rootfs(lowers, path / "upper", path / "work", merged)
        stored = self._stored_state(record.id)
        if record.state.has_been_manually_stopped or stored.paused:
            self._write_state(record.id, ContainerState(health=stored.health))
        try:
            started = self._launch(record, path, merged, stdout_fd, stderr_fd)
        except BaseException as exc:
            native.unmount(merged)
            self.networking.release(record.id, record.host_config.network_mode)
            exit_code = getattr(exc, "exit_code", 125)
            self._write_state(record.id, ContainerState(status="created", exit_code=exit_code, error=str(exc)))
            raise
        if probe_command(record.config.healthcheck, None) is not None:
            # Each start begins the check again; the daemon's monitor probes from here (the in-process Engine never).
            state = self._stored_state(record.id)
            state.health = starting_health(state.health or None)
            self._write_state(record.id, state)
        self.networking.started(record.id, record.host_config.network_mode)
        return Started(
            record.id, record.name, started.pid, started.status_fd, started.shim_pid, record.host_config.network_mode
        )

    def _launch(self, record: ContainerRecord, path: Path, merged: Path, stdout_fd: int | None, stderr_fd: int | None):
        config, host = record.config, record.host_config
        cwd = config.working_dir or "/"
        workdir = merged / cwd.lstrip("/")
        if not workdir.is_dir():
            workdir.mkdir(parents=True, exist_ok=True)
        user = resolve_user(merged, config.user)
        attachment = self.networking.attach(record, path, self.running_pid, self.inspect)
        if attachment.bridge_address and record.state.started_at != ZERO_TIME:
            # Only a container started before can be linked to by running ones: they need it running to start.
            self.networking.update_linking_hosts(record.name, attachment.bridge_address, self.list_records())
        inputs = SpecInputs(
            args=[record.path, *record.args],
            env=process_env(config, attachment.link_env),
            terminal=config.tty,
            cwd=cwd,
            user=user,
            hostname=config.hostname,
            rootfs=str(merged),
            container_dir=path,
            cgroup=f"{CGROUP_PARENT}/{record.id}",
            network=host.network_mode,
            network_namespace=attachment.namespace,
            read_only=host.readonly_rootfs,
            privileged=host.privileged,
            cap_add=host.cap_add or [],
            cap_drop=host.cap_drop or [],
            no_new_privileges="no-new-privileges" in (host.security_opt or []),
            memory=host.memory,
            nano_cpus=host.nano_cpus,
            cpu_shares=host.cpu_shares,
            pids_limit=host.pids_limit,
            mounts=self.mounts.spec_mounts(record),
        )
        write_atomic(path / "config.json", msgspec.json.encode(build_spec(inputs)), durable=False)
        rotation = log_rotation(host.log_config)
        return native.start_shim(
            shim_dir=self.store.root / "bin",
            bundle=path,
            container_id=record.id,
            cgroup=inputs.cgroup,
            log=Path(record.log_path) if record.log_path else None,
            log_max_size=rotation.max_size,
            log_max_files=rotation.max_files,
            exit_file=path / "exit.json",
            rootfs=merged,
            init=bool(host.init),
            auto_remove=host.auto_remove,
            stdout_fd=stdout_fd,
            stderr_fd=stderr_fd,
            control=path / CONTROL_SOCKET if config.tty or config.open_stdin else None,
            open_stdin=config.open_stdin,
        )

    # --- waiting and signalling -----------------------------------------------------------------

    def wait(self, name: str, timeout: float | None = None) -> ContainerState:
        """Block until the container is not running; its final state. Waits forever by default."""
        container_id = self.resolve(name)
        path = self._path(container_id)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            state = self._current_state(path)
            if not state.running:
                return state
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return state
            self._wait_process(state, remaining)

    @staticmethod
    def _wait_process(state: ContainerState, timeout: float | None) -> None:
        """Sleep until the shim (or, without one, the container) exits, or `timeout` passes."""
        if not _await_process_end(state.shim_pid or state.pid, 0.5 if timeout is None else min(timeout, 0.5)):
            time.sleep(0.01)

    def wait_started(self, started: Started) -> native.ExitStatus:
        """The exit of a container this process started, read from its shim's status pipe."""
        exited = native.read_exit(started.status_fd)
        # The exit line is the shim's last act; let it be gone too before reporting the exit.
        _await_process_end(started.shim_pid, timeout=5)
        if exited is None:
            state = self.wait(started.id)
            exited = native.ExitStatus(state.exit_code, state.oom_killed, state.finished_at)
        self.networking.release(started.id, started.network_mode)
        if not self._path(started.id).exists():
            self.names.release(started.name)
            self.remove_orphan_volumes()
        return exited

    def run_to_completion(self, name: str) -> tuple[native.ExitStatus, bytes, bytes]:
        """Starts the container, collects its stdout and stderr through pipes, returns them with the exit.

        For a container with auto-remove, the shim has removed it by the time this returns.
        """
        piped = start_with_output_pipes(lambda out, err: self.start(name, stdout_fd=out, stderr_fd=err))
        if piped is None:
            raise Conflict(f"Container {name} is already running")
        started, out_read, err_read = piped
        chunks: dict[int, list[bytes]] = {out_read: [], err_read: []}
        open_fds = set(chunks)
        while open_fds:
            ready, _, _ = select.select(list(open_fds), [], [])
            for fd in ready:
                data = os.read(fd, 65536)
                if data:
                    chunks[fd].append(data)
                else:
                    open_fds.discard(fd)
                    os.close(fd)
        exited = self.wait_started(started)
        return exited, b"".join(chunks[out_read]), b"".join(chunks[err_read])

    def _mark_manually_stopped(self, container_id: str) -> None:
        """Restart policies leave alone a container its user stopped (Docker's HasBeenManuallyStopped)."""
        with self._locked(container_id):
            path = self._path(container_id)
            try:
                state = _state_decoder.decode((path / "state.json").read_bytes())
            except FileNotFoundError:
                return
            state.has_been_manually_stopped = True
            self._write_state(container_id, state)

    def note_restart(self, container_id: str) -> int:
        """Counts one more restart by policy (RestartCount); returns the new count."""
        with self._locked(container_id):
            path = self._path(container_id) / "container.json"
            record = _record_decoder.decode(path.read_bytes())
            record.restart_count += 1
            write_atomic(path, msgspec.json.encode(record), durable=False)
            return record.restart_count

    def kill(self, name: str, signal: str | int = "KILL") -> None:
        signum = parse_signal(signal)
        container_id = self.resolve(name)
        state = self._current_state(self._path(container_id))
        if not state.running:
            raise Conflict(f"Container {container_id} is not running")
        if signum in (signal_module.SIGKILL, signal_module.SIGTERM):
            self._mark_manually_stopped(container_id)
        try:
            os.kill(state.pid, signum)
        except ProcessLookupError:
            pass
        if state.paused:
            self._thaw(container_id)

    def stop(self, name: str, timeout: int | None = None) -> None:
        container_id = self.resolve(name)
        # Marked even when not running: a restart pending under a policy must not happen now.
        self._mark_manually_stopped(container_id)
        record = self._read_record(container_id)
        if not record.state.running:
            return
        wait = 10 if timeout is None else timeout
        try:
            os.kill(record.state.pid, parse_signal(record.config.stop_signal or "SIGTERM"))
        except ProcessLookupError:
            pass
        if record.state.paused:
            self._thaw(container_id)
        if wait >= 0 and not self.wait(container_id, timeout=wait).running:
            return
        if self._current_state(self._path(container_id)).running:
            try:
                os.kill(record.state.pid, signal_module.SIGKILL)
            except ProcessLookupError:
                pass
        self.wait(container_id)

    # --- removal ----------------------------------------------------------------------------

    def remove(self, name: str, *, force: bool = False, volumes: bool = False) -> None:
        """Docker's rm; `volumes` (-v) removes its anonymous volumes too, those no other container uses."""
        container_id = self.resolve(name)
        record = self._read_record(container_id)
        if record.state.running:
            if not force:
                raise Conflict(
                    f"You cannot remove a running container {container_id}. "
                    "Stop the container before attempting removal or force remove"
                )
            self.kill(container_id, "KILL")
            self.wait(container_id)
        path = self._path(container_id)
        # A shim that recorded the exit has unmounted the rootfs and removed the cgroup itself;
        # clean up only after one that died, or a start that failed half way.
        self._wait_shim_gone(record.state)
        if not (path / "exit.json").exists():
            merged = path / "merged"
            if os.path.ismount(merged):
                native.unmount(merged)
            native.destroy_cgroup(f"{CGROUP_PARENT}/{container_id}")
        self.names.release(record.name)
        self.networking.release(container_id, record.host_config.network_mode)
        doomed = self.dir / f".rm-{container_id}"
        try:
            os.rename(path, doomed)
        except FileNotFoundError:
            self.remove_orphan_volumes()
            return  # an auto-removed container's shim got there first
        shutil.rmtree(doomed)
        if volumes:
            self.volumes.remove_unused(self.mounts.anonymous_volumes(record))

    def remove_orphan_volumes(self) -> list[str]:
        """Removes the anonymous volumes of auto-removed containers once they have gone (their shim removes them
        without the engine): what `run --rm` promises. The names removed."""
        return self.volumes.remove_orphans(lambda container_id: self._path(container_id).exists())

    @staticmethod
    def _wait_shim_gone(state: ContainerState, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while is_alive(state.shim_pid, state.shim_start) and time.monotonic() < deadline:
            ContainerService._wait_process(state, deadline - time.monotonic())

    # --- output -------------------------------------------------------------------------------

    def logs(
        self,
        name: str,
        *,
        stdout: bool = True,
        stderr: bool = True,
        follow: bool = False,
        tail: int | None = None,
        timestamps: bool = False,
    ) -> Iterator[tuple[str, bytes]]:
        """(stream, data) pairs from the json-file log and its rotated files, oldest first; `tail` counts across
        them. With `follow`, until the container stops; with `timestamps`, each line starts with its time."""
        container_id = self.resolve(name)
        path = self._path(container_id)
        wanted = {"stdout"} if stdout else set()
        if stderr:
            wanted.add("stderr")
        cursor = self.open_log(container_id)
        if cursor is None:
            return
        with cursor:
            lines = cursor.read_lines()
            if tail is not None and tail >= 0:
                lines = lines[-tail:] if tail else []
            yield from decode_entries(lines, wanted, timestamps=timestamps)
            while follow:
                lines = cursor.read_lines()
                if lines:
                    yield from decode_entries(lines, wanted, timestamps=timestamps)
                    continue
                state = self._current_state(path)
                if not state.running:
                    yield from decode_entries(cursor.read_lines(), wanted, timestamps=timestamps)
                    return
                self._wait_process(state, 0.05)

    def open_log(self, name: str, *, at_end: bool = False) -> LogCursor | None:
        """A cursor on the container's log, at its first line or after its last; None before it has one. Raises
        Docker's 501 for a container that keeps no log (`--log-driver none`)."""
        record = self.inspect(name)
        if not record.log_path:
            raise NotImplementedYet("configured logging driver does not support reading")
        log = Path(record.log_path)
        return LogCursor.at_end(log) if at_end else LogCursor.at_start(log)

    def control(self, name: str) -> ShimControl | None:
        """A connection to the running container's shim for its stdin and terminal size; None when it has neither
        (started without -i or -t). Raises Conflict when it is not running."""
        record = self.inspect(name)
        if not record.state.running:
            raise Conflict(f"Container {record.id} is not running")
        if not (record.config.tty or record.config.open_stdin):
            return None
        try:
            return ShimControl(shim_control.connect(self._path(record.id) / CONTROL_SOCKET))
        except (FileNotFoundError, ConnectionRefusedError):
            raise Conflict(f"Container {record.id} is not running") from None

    def resize(self, name: str, height: int, width: int) -> None:
        """Sets the window size of the container's terminal; nothing to do for one without (Docker's 200)."""
        control = self.control(name)
        if control is not None:
            with control:
                control.resize(height, width)

    def stats(self, name: str) -> dict:
        container_id = self.resolve(name)
        record = self._read_record(container_id)
        if not record.state.running:
            return {}
        return native.cgroup_stats(f"{CGROUP_PARENT}/{container_id}")

    # --- pause, rename, update, top, prune ------------------------------------------------------

    def _cgroup(self, container_id: str) -> str:
        return f"{CGROUP_PARENT}/{container_id}"

    def release_network(self, container_id: str) -> None:
        """After an exit: what the container held on its networks goes back, unless it runs again meanwhile."""
        try:
            with self._locked(container_id):
                if self._current_state(self._path(container_id)).running:
                    return
                self.networking.release_exited(container_id)
        except FileNotFoundError:
            self.networking.release_exited(container_id)  # removed meanwhile, by rm or by its shim

    def running_pid(self, container_id: str) -> int:
        """The pid of the container's first process while it runs, else 0."""
        state = self._current_state(self._path(container_id))
        return state.pid if state.running else 0

    def _stored_state(self, container_id: str) -> ContainerState:
        """state.json alone, as the engine last wrote it."""
        try:
            return _state_decoder.decode((self._path(container_id) / "state.json").read_bytes())
        except FileNotFoundError:
            return ContainerState()

    def update_health(
        self, container_id: str, change: Callable[[Health | None], Health | None]
    ) -> tuple[Health | None, Health | None]:
        """Replaces State.Health with `change(health)`, under the container's lock; the health before and after.
        Nothing happens (both None) once the container is gone."""
        try:
            with self._locked(container_id):
                state = self._stored_state(container_id)
                before = state.health or None
                after = change(before)
                state.health = after or msgspec.UNSET
                self._write_state(container_id, state)
        except FileNotFoundError:
            return None, None
        return before, after

    def _set_paused(self, container_id: str, paused: bool) -> None:
        state = self._stored_state(container_id)
        state.paused = paused
        self._write_state(container_id, state)

    def _thaw(self, container_id: str) -> None:
        """Lets a paused container run again (so a signal just sent reaches it) and records it unpaused."""
        with self._locked(container_id):
            native.thaw_cgroup(self._cgroup(container_id))
            self._set_paused(container_id, False)

    def pause(self, name: str) -> ContainerRecord:
        """Freezes every process of a running container (Docker's pause); the record as it was."""
        container_id = self.resolve(name)
        with self._locked(container_id):
            record = self._read_record(container_id)
            if not record.state.running:
                raise Conflict(f"Container {container_id} is not running")
            if record.state.paused:
                raise Conflict(f"Container {container_id} is already paused")
            native.freeze_cgroup(self._cgroup(container_id))
            self._set_paused(container_id, True)
        return record

    def unpause(self, name: str) -> ContainerRecord:
        container_id = self.resolve(name)
        with self._locked(container_id):
            record = self._read_record(container_id)
            if not record.state.paused:
                raise Conflict(f"Container {container_id} is not paused")
            native.thaw_cgroup(self._cgroup(container_id))
            self._set_paused(container_id, False)
        return record

    def rename(self, name: str, new_name: str) -> ContainerRecord:
        """Gives a container a new name (reserved before the old one is released); the renamed record."""
        if not name or not new_name:
            raise InvalidArgument("Neither old nor new names may be empty")
        container_id = self.resolve(name)
        with self._locked(container_id):
            path = self._path(container_id) / "container.json"
            record = _record_decoder.decode(path.read_bytes())
            old_name = record.name.lstrip("/")
            if new_name.lstrip("/") == old_name:
                raise InvalidArgument("Renaming a container with the same name as its current name")
            reserved = self.names.reserve(new_name, container_id)
            record.name = f"/{reserved}"
            record.host_config.links = _renamed_links(record.host_config.links, linking=(old_name, reserved))
            try:
                write_atomic(path, msgspec.json.encode(record), durable=False)
            except BaseException:
                self.names.release(reserved)
                raise
            self.names.release(old_name)
        self._follow_rename(container_id, old_name, reserved)
        return self._read_record(container_id)

    def _follow_rename(self, renamed_id: str, old_name: str, new_name: str) -> None:
        """Links to a renamed container follow it, as dockerd's link index does: HostConfig.Links of the containers
        linking to it name it anew, and their next start finds it by that name."""
        for other in self.list_records(all=True):
            if other.id == renamed_id or not any(
                parse_link(link)[0] == old_name for link in other.host_config.links or []
            ):
                continue
            with self._locked(other.id):
                path = self._path(other.id) / "container.json"
                try:
                    record = _record_decoder.decode(path.read_bytes())
                except FileNotFoundError:
                    continue  # removed meanwhile
                record.host_config.links = _renamed_links(record.host_config.links, linked=(old_name, new_name))
                write_atomic(path, msgspec.json.encode(record), durable=False)

    def update(
        self,
        name: str,
        *,
        memory: int | None = None,
        memory_swap: int | None = None,
        nano_cpus: int | None = None,
        cpu_shares: int | None = None,
        cpu_quota: int | None = None,
        cpu_period: int | None = None,
        pids_limit: int | None = None,
        restart_policy: RestartPolicy | None = None,
    ) -> ContainerRecord:
        """Docker's update: new limits go to the running cgroup and into HostConfig; None (or 0) keeps a setting."""
        if memory and 0 < memory < _MIN_MEMORY:
            raise InvalidArgument("Minimum memory limit allowed is 6MB")
        if nano_cpus and (cpu_quota or cpu_period):
            raise InvalidArgument("Conflicting options: Nano CPUs and CPU Period cannot both be set")
        container_id = self.resolve(name)
        with self._locked(container_id):
            path = self._path(container_id) / "container.json"
            record = _record_decoder.decode(path.read_bytes())
            host = record.host_config
            if restart_policy is not None and restart_policy.name not in ("", "no") and host.auto_remove:
                raise InvalidArgument(
                    "Restart policy cannot be updated because AutoRemove is enabled for the container"
                )
            if nano_cpus:
                cpu_period, cpu_quota = CPU_PERIOD_US, nano_cpus * CPU_PERIOD_US // 1_000_000_000
            if self._current_state(self._path(container_id)).running:
                native.update_cgroup(
                    self._cgroup(container_id),
                    memory=memory or None,
                    memory_swap=memory_swap or None,
                    cpu_shares=cpu_shares or None,
                    cpu_quota=cpu_quota or None,
                    cpu_period=cpu_period or None,
                    pids_limit=pids_limit or None,
                )
            if memory:
                host.memory = memory
            if memory_swap:
                host.memory_swap = memory_swap
            if nano_cpus:
                host.nano_cpus, host.cpu_quota, host.cpu_period = nano_cpus, 0, 0
            elif cpu_quota or cpu_period:
                host.nano_cpus = 0
                host.cpu_quota = cpu_quota or host.cpu_quota
                host.cpu_period = cpu_period or host.cpu_period
            if cpu_shares:
                host.cpu_shares = cpu_shares
            if pids_limit:
                host.pids_limit = pids_limit
            if restart_policy is not None and restart_policy.name:
                host.restart_policy = restart_policy
            write_atomic(path, msgspec.json.encode(record), durable=False)
        return self._read_record(container_id)

    def top(self, name: str) -> tuple[list[str], list[list[str]]]:
        """`ps -ef`'s titles and rows for the processes of a running container, read from /proc."""
        container_id = self.resolve(name)
        if not self._current_state(self._path(container_id)).running:
            raise Conflict(f"Container {container_id} is not running")
        rows = []
        for pid in native.cgroup_processes(self._cgroup(container_id)):
            row = ps_row(pid)
            if row is not None:
                rows.append(row)
        return list(PS_TITLES), rows

    def upper_dir(self, container_id: str) -> Path:
        """The overlay upper dir: what the container changed of its image."""
        return self._path(container_id) / "upper"

    def size_rw(self, container_id: str) -> int:
        """The bytes of the container's writable layer."""
        return tree_size(self.upper_dir(container_id))

    def prune(self) -> tuple[list[str], int]:
        """Removes every container that is not running; their IDs and the bytes their writable layers held."""
        deleted, reclaimed = [], 0
        for record in self.list_records(all=True):
            if record.state.running:
                continue
            size = self.size_rw(record.id)
            try:
                self.remove(record.id)
            except (ContainerNotFound, Conflict):
                continue  # removed, or started, meanwhile
            deleted.append(record.id)
            reclaimed += size
        return deleted, reclaimed


_MIN_MEMORY = 6 * 1024 * 1024


def tree_size(root: Path) -> int:
    total = 0
    for directory, _, files in os.walk(root):
        for file in files:
            try:
                total += os.lstat(os.path.join(directory, file)).st_size
            except OSError:
                pass
    return total
