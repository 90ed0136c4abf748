"""Reading eucalyptus.conf the way Eucalyptus' get_conf_var() does (util/misc.c).

A line matches when, after leading blanks, it starts with the name, then optional blanks and
`=`; the value is either "quoted" (up to the closing quote, which must be on the same line) or
the word after `=` (up to a blank or `#`). The first matching line wins. A commented-out line
(`#CC_PORT=...`) does not match, because it starts with `#`.
"""
from __future__ import annotations

from pathlib import Path

_C_SPACE = " \t\n\v\f\r"     # C's isspace() in the "C" locale


class ConfError(Exception):
    """The file cannot be read, or a quoted value is never closed (get_conf_var returns -1)."""


def get_conf_var(path: str | Path, name: str) -> str | None:
    """The value of `name` in the file, None when no line sets it; ConfError as above."""
    try:
        text = Path(path).read_bytes().decode("latin-1")
    except OSError as exc:
        raise ConfError(f"{path}: {exc.strerror or exc}") from None
    for index, line in enumerate(text.split("\n")):     # fgets() lines: only \n ends one
        rest = line.lstrip(_C_SPACE)
        if not rest.startswith(name):
            continue
        rest = rest[len(name):].lstrip(_C_SPACE)
        if not rest.startswith("="):
            continue
        rest = rest[1:].lstrip(_C_SPACE)
        if rest.startswith('"'):
            # fgets() reads one line: a quote left open on it is an error.
            closing = rest.find('"', 1)
            if closing < 0:
                raise ConfError(f"{path}: unterminated quote on line {index + 1}")
            return rest[1:closing]
        end = next((i for i, char in enumerate(rest) if char in _C_SPACE or char == "#"), len(rest))
        return rest[:end]
    return None
