"""Every exception hydock raises, in one hierarchy; the CLI maps them to exit codes in one place."""


class HydockError(Exception):
    """Base of all hydock errors. `exit_code` is what the CLI exits with, as Docker would."""

    exit_code = 1


class NotFound(HydockError):
    """A named image, container or layer does not exist."""


class ImageNotFound(NotFound):
    pass


class ContainerNotFound(NotFound):
    pass


class VolumeNotFound(NotFound):
    pass


class NetworkNotFound(NotFound):
    pass


class Conflict(HydockError):
    """The operation clashes with the current state (name in use, container running...)."""


class InvalidArgument(HydockError):
    """A malformed reference, flag value or option: the caller's input is wrong."""

    exit_code = 125


class InvalidReference(InvalidArgument):
    pass


class LocalError(HydockError):
    """A failure on the client's own side (a local path, a flag's value), which the CLI shows without the daemon's
    prefix, as the docker CLI shows its own errors."""


class FlagError(LocalError):
    """A flag's value the CLI refuses before it asks the daemon anything; docker exits 125 for these."""

    exit_code = 125


class Forbidden(HydockError):
    """An operation never allowed on this object (e.g. removing a pre-defined network): Docker's 403."""


class NotImplementedYet(HydockError):
    """A Docker feature hydock does not offer yet; said plainly rather than half done."""


class StoreError(HydockError):
    """The on-disk store is corrupt or cannot be written."""


class DigestMismatch(StoreError):
    pass


class ArchiveError(HydockError):
    """An image archive given to load is malformed, cut short, or does not match its own digests."""


class LayerError(HydockError):
    """A layer tar could not be applied or produced. `step` names where it failed."""

    def __init__(self, message: str, step: str = "") -> None:
        super().__init__(message)
        self.step = step


class MountError(HydockError):
    def __init__(self, message: str, step: str = "") -> None:
        super().__init__(message)
        self.step = step


class CgroupError(HydockError):
    def __init__(self, message: str, step: str = "") -> None:
        super().__init__(message)
        self.step = step


class NetworkError(HydockError):
    """Wiring a network failed in the kernel (namespace, link, address, route, firewall). `step` names where."""

    def __init__(self, message: str, step: str = "") -> None:
        super().__init__(message)
        self.step = step


class ContainerStartError(HydockError):
    """The container's process could not be started; exit code 127 (not found) or 126 (not executable) like Docker."""

    exit_code = 125

    def __init__(self, message: str, step: str = "", exit_code: int = 125) -> None:
        super().__init__(message)
        self.step = step
        self.exit_code = exit_code


class ContainerError(HydockError):
    """A container run in the foreground exited non-zero (docker-py's ContainerError)."""

    def __init__(self, container: object, exit_status: int, command: list[str], image: str, stderr: bytes) -> None:
        super().__init__(
            f"Command '{' '.join(command)}' in image '{image}' returned non-zero exit status {exit_status}: "
            f"{stderr.decode(errors='replace').strip()}"
        )
        self.container = container
        self.exit_status = exit_status
        self.command = command
        self.image = image
        self.stderr = stderr


class BuildError(HydockError):
    """A build step failed; `code` is what Docker's errorDetail carries (a RUN command's exit status)."""

    def __init__(self, message: str, code: int = 0) -> None:
        super().__init__(message)
        self.code = code


class DockerfileError(InvalidArgument):
    """A Dockerfile that cannot be parsed or evaluated; `line`, `end_line`, `column` are 1-based, 0 when unknown."""

    exit_code = 1

    def __init__(self, message: str, *, file: str = "Dockerfile", line: int = 0, end_line: int = 0, column: int = 0):
        super().__init__(f"{file}:{line}: {message}" if line else f"{file}: {message}")
        self.message = message
        self.file = file
        self.line = line
        self.end_line = max(end_line, line)
        self.column = column
