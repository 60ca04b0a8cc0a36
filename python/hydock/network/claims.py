"""Which roots' networks are in use on this host, and reclaiming what roots nobody uses any more left behind.

A process that puts a root's bridges or rules into the kernel (the root's daemon, or an in-process Engine) first
takes a shared flock on /run/hydock/networks/<tag> (the root's `rules.root_tag`; the file names the root) and keeps
it for as long as it keeps them up; the last one to let go takes them down (`NetworkClaim.released`). A process
killed before it could (kill -9, a crash) leaves them with nobody holding their claim: the next hydock of any root
that is about to choose an address pool or make a bridge reclaims them (`reclaim_stale`), doing what their owner's
stop would have done: the rules removed, the bridges nothing is plugged into deleted (those of containers still
running stay, as a daemon's stop keeps them). A root whose daemon holds its lock is left alone, claimed or not.

/run is a tmpfs: claims go with a reboot, as the bridges and rules they stand for do.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hydock.errors import NetworkError
from hydock.network import iptables, links, nftables
from hydock.network.rules import TAG, root_tag
from hydock.store import DEFAULT_ROOT

CLAIMS = Path("/run/hydock/networks")
DAEMON_LOCK = "hydockd.lock"
log = logging.getLogger("hydock.network")


def _locked(path: Path, operation: int) -> int | None:
    """An fd of `path` holding the flock `operation`; None when that is non-blocking and someone else holds it.

    A file that its last holder removed while we waited is opened anew: a lock on it would guard nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, operation)
            opened, current = os.fstat(fd), os.stat(path)
        except BlockingIOError:
            os.close(fd)
            return None
        except FileNotFoundError:
            os.close(fd)
            continue
        except BaseException:
            os.close(fd)
            raise
        if (opened.st_dev, opened.st_ino) == (current.st_dev, current.st_ino):
            return fd
        os.close(fd)


class NetworkClaim:
    """This process's hold on one root's networks, shared by every engine of that root in the process: each one that
    uses them is a holder, and the process lets go when the last holder does (or all at once, at a daemon's stop or
    the process's exit)."""

    def __init__(self, tag: str, root: str) -> None:
        self.path = CLAIMS / tag
        self.root = root
        self._fd: int | None = None
        self._pid = 0
        self._holders: weakref.WeakSet[object] = weakref.WeakSet()
        self._mutex = threading.Lock()

    @property
    def held(self) -> bool:
        """Whether this process holds it (a forked child shares its parent's lock, but it is not the child's)."""
        return self._fd is not None and self._pid == os.getpid()

    def held_by(self, holder: object) -> bool:
        return self.held and holder in self._holders

    def take(self, holder: object) -> None:
        with self._mutex:
            self._holders.add(holder)
            if self.held:
                return
            fd = _locked(self.path, fcntl.LOCK_SH)
            assert fd is not None  # a blocking request returns with the lock
            os.ftruncate(fd, 0)
            os.pwrite(fd, self.root.encode(), 0)
            self._fd, self._pid = fd, os.getpid()

    @contextmanager
    def released(self, holder: object | None = None) -> Iterator[bool]:
        """Lets go of `holder` (of every holder in this process when None). Once this process holds nothing, yields
        True, holding the claim alone, when no other process uses the root's networks either (the caller takes them
        down then, and the claim goes with them); else yields False."""
        with self._mutex:
            if holder is None:
                self._holders.clear()
            else:
                self._holders.discard(holder)
            if self.held and self._holders:
                yield False
                return
            if self.held:
                assert self._fd is not None
                os.close(self._fd)
            self._fd = None
            fd = _locked(self.path, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if fd is None:
                yield False
                return
            try:
                yield True
                self.path.unlink(missing_ok=True)
            finally:
                os.close(fd)


_claims: dict[str, NetworkClaim] = {}
_claims_mutex = threading.Lock()


def claim_of(tag: str, root: str) -> NetworkClaim:
    with _claims_mutex:
        return _claims.setdefault(tag, NetworkClaim(tag, root))


def held_flocks(proc_locks: str) -> set[str]:
    """The files ("major:minor:inode", hex device numbers) on which /proc/locks shows a flock held (not awaited)."""
    return {fields[5] for line in proc_locks.splitlines() if len(fields := line.split()) > 5 and fields[1] == "FLOCK"}


def current_flocks() -> set[str]:
    with open("/proc/locks") as proc_locks:
        return held_flocks(proc_locks.read())


def flock_held(path: Path, flocks: set[str]) -> bool:
    """Whether someone holds a flock on `path`, by `flocks` (of `current_flocks`): read, not tried, because trying a
    lock ourselves could make its owner, starting or letting go at that moment, give up."""
    try:
        info = os.stat(path)
    except OSError:
        return False
    return f"{os.major(info.st_dev):02x}:{os.minor(info.st_dev):02x}:{info.st_ino}" in flocks


def daemon_alive(root: str, flocks: set[str]) -> bool:
    """Whether a hydockd holds the root's lock."""
    return flock_held(Path(root) / DAEMON_LOCK, flocks)


class _Leftovers:
    """What every hydock root has in the kernel now, by tag."""

    def __init__(self) -> None:
        self.bridges = links.hydock_bridges()
        self.tables = nftables.tables_present() if shutil.which("nft") else set()
        self.accepting, self.chains = iptables.tags_present()
        self.roots = {root_tag(b.root, DEFAULT_ROOT): b.root for b in self.bridges}

    def idle_bridges(self, tag: str) -> list[str]:
        return [b.name for b in self.bridges if not b.ports and root_tag(b.root, DEFAULT_ROOT) == tag]

    def tags(self) -> set[str]:
        """Tags with something that a reclaim would remove."""
        idle = {root_tag(b.root, DEFAULT_ROOT) for b in self.bridges if not b.ports}
        return idle | self.tables | self.accepting | self.chains

    def take_down(self, tag: str) -> None:
        if tag in self.tables:
            nftables.NftFirewall(tag).remove()  # its accept rules in iptables' FORWARD as well
        elif tag in self.accepting:
            iptables.remove_forwarding(tag)
        if tag in self.chains:
            iptables.IptablesFirewall(tag).remove()
        for name in self.idle_bridges(tag):
            links.delete_link(name)


def reclaim_stale(own_tag: str) -> list[str]:
    """Takes down what roots that nobody uses any more left in the kernel; the tags reclaimed. Never the caller's own
    root, whose rules it replaces whole and whose bridges it takes over anyway."""
    leftovers = _Leftovers()
    claimed = {path.name for path in CLAIMS.iterdir()} if CLAIMS.is_dir() else set()
    candidates = sorted(tag for tag in (leftovers.tags() | claimed) - {own_tag} if TAG.fullmatch(tag))
    if not candidates:
        return []
    flocks = current_flocks()
    reclaimed = []
    for tag in candidates:
        fd = _locked(CLAIMS / tag, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if fd is None:
            continue  # in use
        try:
            # Rules whose root is known neither from a bridge nor from a claim are an older hydock's: nothing can
            # use them any more, since every user now holds a claim.
            root = leftovers.roots.get(tag) or os.pread(fd, 4096, 0).decode()
            if not (root and daemon_alive(root, flocks)):
                leftovers.take_down(tag)
                reclaimed.append(tag)
                log.info("reclaimed the bridges and rules of %s, which nothing uses any more", root or tag)
            (CLAIMS / tag).unlink(missing_ok=True)
        except NetworkError as exc:
            log.warning("reclaiming the networks of %s: %s", tag, exc)
        finally:
            os.close(fd)
    return reclaimed
