"""Where the bench tables go. On a terminal rich fits them to its width; piped or logged, rich
would assume 80 columns and squeeze or cut the wide tables, so they are printed plain (no colour,
no terminal codes) at a width that holds every column. The JSON file stays the record."""

from __future__ import annotations

import sys

from rich.console import Console

PIPED_WIDTH = 240


def table_console(file=None) -> Console:
    out = file or sys.stdout
    if out.isatty():
        return Console(file=out)
    return Console(file=out, width=PIPED_WIDTH, color_system=None, force_terminal=False,
                   highlight=False, emoji=False)
