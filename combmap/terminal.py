"""The one filter between untrusted text and a terminal, a Markdown page or a DOT label.

Case titles, barrier texts, exclusion reasons and overlay labels come from other people. On a
terminal, a control character can do more than look odd: ESC starts sequences that clear the
screen, set the window title, write the clipboard (OSC 52) or hide a link (OSC 8); CR and
backspace overwrite what was printed; bidirectional overrides (U+202E) reorder what a reader
sees. Every string that reaches a terminal goes through `clean` (one line) or `clean_block`
(several lines); rich tables take `cell` and rich markup takes `markup`, which both clean first.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.text import Text

#: Characters that never belong in rendered text: C0 and C1 controls (terminal escape
#: sequences, CR, backspace), DEL, the line and paragraph separators, and the bidirectional
#: marks, embeddings, overrides and isolates, which could reorder what a reader sees.
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_UNSAFE_IN_BLOCK = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def clean(text: object) -> str:
    """Untrusted text on one line: unsafe characters become spaces, runs of space one space."""
    return " ".join(UNSAFE.sub(" ", str(text)).split())


def clean_block(text: str) -> str:
    """Untrusted text of several lines: newlines and tabs kept, every other unsafe character removed."""
    return _UNSAFE_IN_BLOCK.sub("", text.replace("\r\n", "\n"))


def markup(text: object) -> str:
    """Untrusted text for a rich markup string: cleaned, then escaped so `[bold]` stays literal."""
    from rich.markup import escape

    return escape(clean(text))


def cell(text: object, style: str = "") -> Text:
    """Untrusted text for a rich table cell or line: cleaned and never parsed as markup."""
    from rich.text import Text

    return Text(clean(text), style=style)
