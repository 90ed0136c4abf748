"""The simulator's local control CLI (installed as `ccsim-ctl`).

    ccsim-ctl [--state-dir DIR] fault hang|refuse|slow SECONDS|garbage|notready|clear
    ccsim-ctl [--state-dir DIR] version 3.1|3.3
    ccsim-ctl [--state-dir DIR] network on|off
    ccsim-ctl [--state-dir DIR] state [--json]

`fault`, `version` and `network` write the control files and wait (up to --wait seconds, default
5) until the running server reports the change in state.json, so that a fault is in effect when
the command returns. `fault` needs a running server (a start clears faults anyway); `version`
and `network` do not (they persist). `network off` stops the CC's iptables cycle (no flush, no
save, no restore on EnableService); `network on` resumes it. `state` prints the internal state
(e.g. ENABLED, SHUTDOWNCC) or, with --json, the whole state.json. Exit status 0 on success, 1
on failure, 2 on bad usage; errors are one line on stderr.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, NoReturn, TextIO

from .faults import FaultSpecError, parse_fault
from .statedir import DEFAULT_STATE_DIR, NETWORK_SWITCH, StateDir, StateDirError, server_alive
from .states import VERSIONS

PROG = "ccsim-ctl"


class CtlError(Exception):
    """A failure to report as one line, exit status 1."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{PROG}: {message} (see {PROG} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Control the simulated Eucalyptus CC.")
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR)
    parser.add_argument("--wait", type=float, default=5.0, metavar="SECONDS",
                        help="how long to wait for the server to apply a change (0: do not wait)")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    fault = commands.add_parser("fault", help="inject a fault, or clear it")
    fault.add_argument("fault", nargs="+", metavar="FAULT",
                       help="hang | refuse | slow SECONDS | garbage | notready | clear")
    version = commands.add_parser("version", help="choose the CC version to simulate")
    version.add_argument("version", choices=VERSIONS)
    network = commands.add_parser("network", help="turn the CC's iptables cycle on or off")
    network.add_argument("switch", choices=tuple(NETWORK_SWITCH))
    state = commands.add_parser("state", help="print the CC's current state")
    state.add_argument("--json", action="store_true", help="print the whole state.json")
    return parser


def main(argv: list[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    args = _parser().parse_args(argv)
    state_dir = StateDir(args.state_dir)
    try:
        if args.command == "fault":
            _fault(state_dir, " ".join(args.fault), args.wait)
        elif args.command == "version":
            _version(state_dir, args.version, args.wait)
        elif args.command == "network":
            _network(state_dir, args.switch, args.wait)
        else:
            _state(state_dir, args.json, out)
    except (CtlError, StateDirError, FaultSpecError) as exc:
        print(f"{PROG}: {exc}", file=err)
        return 1
    return 0


def _fault(state_dir: StateDir, text: str, wait: float) -> None:
    fault = parse_fault(text)
    if not server_alive(state_dir.read_state()):
        raise CtlError(f"the simulator is not running (no live server in {state_dir.path})")
    state_dir.write_fault(fault)
    expected = None if fault is None else str(fault)
    _await(state_dir, "fault", expected, wait)


def _version(state_dir: StateDir, version: str, wait: float) -> None:
    state_dir.write_version(version)
    if server_alive(state_dir.read_state()):
        _await(state_dir, "version", version, wait)


def _network(state_dir: StateDir, switch: str, wait: float) -> None:
    state_dir.write_network(NETWORK_SWITCH[switch])
    if server_alive(state_dir.read_state()):
        _await(state_dir, "network", switch, wait)


def _state(state_dir: StateDir, as_json: bool, out: TextIO) -> None:
    state = state_dir.read_state()
    if not server_alive(state):
        raise CtlError(f"the simulator is not running (no live server in {state_dir.path})")
    assert state is not None
    print(json.dumps(state, indent=2, sort_keys=True) if as_json else state["state"], file=out)


def _await(state_dir: StateDir, key: str, expected: Any, wait: float) -> None:
    deadline = time.monotonic() + wait
    while True:
        state = state_dir.read_state() or {}
        if state.get(key) == expected:
            return
        if time.monotonic() >= deadline:
            if wait > 0:
                raise CtlError(f"the simulator did not apply {key} {expected or 'clear'} within {wait:g} s")
            return
        time.sleep(0.02)


if __name__ == "__main__":
    sys.exit(main())
