"""Text from commits, manifests and config shown inert: no terminal control sequence survives.

A commit subject can hold an OSC sequence that retitles the terminal or writes the clipboard
(OSC 52), a screen clear, a carriage return that hides what came before it on the line, or a
bidi override that shows `evil` as `live`. `inert()` replaces every character that a terminal
or a text viewer acts on instead of showing with a visible escape, `\\u001b`, so the text reads
as written and nothing runs. Sequences need no parsing: without its ESC (or C1 introducer) and
its BEL terminator, what is left of a sequence is plain printable text.

The escape is spelled `\\uXXXX` on purpose: inside a JSON string that is the same string
again, so JSON shown on a terminal stays valid and means what it meant.
"""

from __future__ import annotations

import re

# Kept: tab and newline. Replaced: the other C0 controls (carriage return included), DEL,
# the C1 controls (U+0080-U+009F: CSI, OSC, DCS, NEL ...), the Unicode line and paragraph
# separators, and the bidi embeddings, overrides, isolates and marks that reorder text.
_REPLACED = (
    [c for c in range(0x20) if c not in (0x09, 0x0A)]
    + list(range(0x7F, 0xA0))
    + [0x061C, 0x200E, 0x200F, 0x2028, 0x2029]
    + list(range(0x202A, 0x202F))
    + list(range(0x2066, 0x206A))
)
# One character class: a scan of a long text without any costs about 3 ms per MB
# (str.translate would copy every text, some 100 ms per MB).
_CONTROL = re.compile("[" + "".join(re.escape(chr(c)) for c in _REPLACED) + "]")


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def inert(text: str) -> str:
    """`text` with every control character replaced by its visible `\\uXXXX` escape (tab and
    newline kept); text without any is returned as it is."""
    if _CONTROL.search(text) is None:
        return text
    return _CONTROL.sub(_escape, text)


def one_line(text: str) -> str:
    """`text` on one line: line breaks too become visible escapes (error messages: one line
    per problem, whatever a file name or value holds)."""
    return inert(text).replace("\n", "\\n").replace("\t", " ")


def is_control(character: str) -> bool:
    """Whether a terminal acts on `character` instead of showing it (tab and newline too
    count here: callers that keep them check for them first)."""
    return character in "\t\n" or _CONTROL.fullmatch(character) is not None
