"""What the CC does to the host's iptables as its state changes (Eucalyptus vnetwork.c, handlers.c).

A CC that is not ENABLED cleans its network state about once a second: it flushes the `filter`
and `nat` tables (`-F` only, as the real one does: user-defined chains stay, empty), sets the
FORWARD policy to ACCEPT and reloads `iptables-preload` (vnetLoadIPTables). The ENABLED CC keeps
its tables and saves them (vnetSaveIPTables: `iptables-save > iptables-state`); when
EnableService enables it, it restores them wholesale: `iptables-restore < iptables-preload`, then
`iptables-restore < iptables-state`, each only if the file exists. Both files live in
`$EUCALYPTUS/var/run/eucalyptus/net` (EUCALYPTUS defaults to `/`).

`LiveCC` calls `on_tick` once a second from the self-check thread, and `on_enabled` from the
request thread of an EnableService that moved the CC into ENABLED, before it answers; it never
runs both at once. Every command runs with a time limit and the xtables lock wait
(`--wait=SECONDS`, the long form of -w; iptables-save has none); one step (a tick's cycle, or a
restore) takes at most `timeout` seconds in all. A failure is logged once per distinct error and
once when the command works again; it never raises.
"""
from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from .states import State

Log = Callable[[str], None]

NET_SUBDIR = "var/run/eucalyptus/net"       # under $EUCALYPTUS
PRELOAD = "iptables-preload"
SAVED = "iptables-state"
COMMAND_TIMEOUT = 5.0       # seconds for one step: every command of a tick's cycle, or a restore
LOCK_WAIT = 3               # --wait=N: how long iptables waits for the xtables lock (< the timeout)


class NetworkHook(Protocol):
    def on_tick(self, state: State) -> None:
        """The self-check thread, once a second, with the state after the check."""

    def on_enabled(self) -> None:
        """A request thread, after EnableService moved the CC into ENABLED, before the answer."""


class NoNetworkEffects:
    """A hook that leaves the host's network alone."""

    def on_tick(self, state: State) -> None:
        return None

    def on_enabled(self) -> None:
        return None


def net_dir(eucalyptus: str | Path) -> Path:
    """Where the CC keeps iptables-preload and iptables-state: $EUCALYPTUS/var/run/eucalyptus/net."""
    return Path(eucalyptus) / NET_SUBDIR


@dataclass(frozen=True)
class IptablesTools:
    """The three programs the cycle runs (paths or bare names)."""
    iptables: str
    iptables_save: str
    iptables_restore: str

    @classmethod
    def in_dir(cls, directory: str | Path) -> IptablesTools:
        """The programs named iptables, iptables-save and iptables-restore in `directory`."""
        base = Path(directory)
        return cls(str(base / "iptables"), str(base / "iptables-save"), str(base / "iptables-restore"))

    @classmethod
    def from_path(cls) -> IptablesTools:
        """The host's programs, found on PATH (a missing one fails when run, and is logged)."""
        return cls(*(shutil.which(name) or name for name in ("iptables", "iptables-save", "iptables-restore")))


class IptablesCycle:
    """The NetworkHook that runs the CC's iptables commands."""

    def __init__(self, tools: IptablesTools, directory: Path, log: Log, timeout: float = COMMAND_TIMEOUT,
                 lock_wait: int | None = LOCK_WAIT, clock: Callable[[], float] = time.monotonic) -> None:
        self._tools, self._dir, self._log = tools, directory, log
        self._timeout, self._clock = timeout, clock
        self._wait = [] if lock_wait is None else [f"--wait={lock_wait}"]
        self._failing: dict[str, str] = {}    # command -> the error last logged for it
        self._mode = ""                        # "clean" or "save": logged when it changes

    @property
    def preload(self) -> Path:
        return self._dir / PRELOAD

    @property
    def saved(self) -> Path:
        return self._dir / SAVED

    def on_tick(self, state: State) -> None:
        deadline = self._clock() + self._timeout
        try:
            if state is State.ENABLED:
                self._announce("save", f"ENABLED: saving the tables to {self.saved} every second")
                self._save(deadline)
            else:
                self._announce("clean", "not ENABLED: flushing filter and nat every second, "
                                        f"FORWARD ACCEPT, reloading {self.preload}")
                self._clean(deadline)
        except Exception as exc:                   # a bug here must not stop the CC
            self._failed("the tick's network step", repr(exc))

    def on_enabled(self) -> None:
        deadline = self._clock() + self._timeout
        try:
            restored = [path.name for path in (self.preload, self.saved) if self._restore(path, deadline)]
        except Exception as exc:                   # the answer must still go out
            self._failed("the restore on EnableService", repr(exc))
            return
        self._log(f"network: EnableService: restored {', '.join(restored) or 'nothing (no file)'}")

    def _clean(self, deadline: float) -> None:
        iptables = self._tools.iptables
        for args in (["-t", "filter", "-F"], ["-t", "nat", "-F"], ["-t", "filter", "-P", "FORWARD", "ACCEPT"]):
            self._run([iptables, *self._wait, *args], deadline)
        self._restore(self.preload, deadline)

    def _restore(self, path: Path, deadline: float) -> bool:
        """`iptables-restore < path` if the file exists; whether it ran and succeeded."""
        try:
            source = open(path, "rb")       # closed by the `with` below
        except FileNotFoundError:
            return False
        except OSError as exc:
            self._failed(f"read {path}", exc.strerror or str(exc))
            return False
        with source:
            return self._run([self._tools.iptables_restore, *self._wait], deadline, stdin=source,
                             shown=f"iptables-restore < {path}")

    def _save(self, deadline: float) -> None:
        """`iptables-save > iptables-state`, atomically (a failed save keeps the previous file)."""
        shown = f"iptables-save > {self.saved}"
        try:
            self._dir.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(prefix=f".{SAVED}.", dir=self._dir)   # mode 0600
        except OSError as exc:
            self._failed(shown, exc.strerror or str(exc))
            return
        try:
            with os.fdopen(fd, "wb") as out:
                ok = self._run([self._tools.iptables_save], deadline, stdout=out, shown=shown)
                if ok:
                    out.flush()
                    os.fsync(out.fileno())
            if ok:
                os.chmod(temporary, 0o600)
                os.replace(temporary, self.saved)
                return
        except OSError as exc:
            self._failed(shown, exc.strerror or str(exc))
        try:
            os.unlink(temporary)
        except OSError:
            pass

    def _run(self, argv: list[str], deadline: float, stdin: IO[bytes] | None = None,
             stdout: IO[bytes] | None = None, shown: str | None = None) -> bool:
        shown = shown or shlex.join([Path(argv[0]).name, *(a for a in argv[1:] if not a.startswith("--wait"))])
        left = min(self._timeout, deadline - self._clock())
        if left <= 0:
            self._failed(shown, f"skipped: the step's {self._timeout:g} s were up")
            return False
        try:
            done = subprocess.run(argv, stdin=stdin if stdin is not None else subprocess.DEVNULL,
                                  stdout=stdout if stdout is not None else subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, timeout=left, check=False)
        except subprocess.TimeoutExpired:
            self._failed(shown, f"timed out: the step's {self._timeout:g} s were up")
            return False
        except OSError as exc:
            self._failed(shown, f"cannot run {argv[0]}: {exc.strerror or exc}")
            return False
        if done.returncode != 0:
            detail = "; ".join(line.strip() for line in done.stderr.decode(errors="replace").splitlines()
                               if line.strip())
            self._failed(shown, f"exit status {done.returncode}" + (f": {detail[:300]}" if detail else ""))
            return False
        if self._failing.pop(shown, None) is not None:
            self._log(f"network: `{shown}` works again")
        return True

    def _failed(self, shown: str, error: str) -> None:
        if self._failing.get(shown) != error:      # once per distinct error, not every second
            self._log(f"network: `{shown}` failed: {error}")
            self._failing[shown] = error

    def _announce(self, mode: str, message: str) -> None:
        if mode != self._mode:
            self._log(f"network: {message}")
            self._mode = mode
