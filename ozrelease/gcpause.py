"""Pausing Python's cyclic garbage collector around allocation-heavy work.

Loading 40,000 releases or planning 2,000 components builds hundreds of thousands of small
objects and frees few: the collector would scan the growing heap again and again, for a
third of the run time, and find nothing to collect. Reference counting still frees
everything as usual.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
