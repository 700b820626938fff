"""Showing untrusted text: names and values read from a file, made safe for a terminal.

A model file is written by anyone, and its strings (layer and model names, metadata, compile
config, weight names) end up in ``summary()``, ``profond info``, progress lines and error
messages. Printed raw, a name can clear the screen or set the window title (``ESC`` sequences),
fake a table row (a newline), hide text (a right-to-left override), make ``print`` raise
``UnicodeEncodeError`` (a lone surrogate, which JSON's ``"\\ud800"`` yields), or print megabytes
(a 1 MB name). These helpers answer it, at the bottom of the house so every floor can use them:

- ``printable(text, limit)``: the text with each such character shown as a visible escape, as
  Python writes it in a literal (``\\x1b``, ``\\n``, ``\\u202e``, ``\\ud800``), cut to at most
  ``limit`` characters with a final ``…``;
- ``quote(value, limit)``: the same between quotes, for error messages (``Unknown class
  'Dense\\x1b[2J'``); a value that is not a string is shown by its ``repr``, bounded too;
- ``quote_name(name)``: a layer or model name in Keras's double quotes (``layer "dense"``);
- ``unknown_name(kind, name, choices)``: the message for a name that is not one of ``choices``,
  with the closest valid names (``Unknown optimizer: 'adamm'. Did you mean 'adam'?``).

A backslash in the text is shown as is, so ``\\x1b`` typed in a name and an escaped ESC look
the same: what matters here is that nothing reaches the terminal as a control character.

>>> printable("dense\\x1b]0;owned\\x07")
'dense\\\\x1b]0;owned\\\\x07'
>>> printable("x" * 100, limit=10)
'xxxxxxxxx…'
>>> quote("a\\nTotal params: 0")
"'a\\\\nTotal params: 0'"
"""

import difflib
import unicodedata

NAME_LIMIT = 80
"""The widest a name is shown in a table cell (``summary()``, ``profond info``)."""
MESSAGE_LIMIT = 200
"""The widest a quoted value is shown inside an error message."""

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Unicode categories a terminal may act on rather than draw: Cc control characters (C0, DEL, C1,
# so also ESC and CSI), Cf format characters (bidirectional overrides, zero-width characters),
# Cs surrogates (not encodable in UTF-8), Zl/Zp line and paragraph separators.
_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def _escape(char):
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _hidden(char):
    if char.isascii():
        return char < " " or char == "\x7f"
    return unicodedata.category(char) in _HIDDEN


def printable(text, limit=None):
    """``text`` (a ``str``, or anything ``str()`` accepts) safe to print: control, format and
    surrogate characters shown as escapes, then at most ``limit`` characters (the last one ``…``
    when something was cut). ``limit=None`` keeps the whole text."""
    text = text if isinstance(text, str) else str(text)
    if limit is not None:
        limit = max(int(limit), 1)
        # NOTE: cut before escaping, so a 1 MB name costs ``limit`` steps, not a million.
        text = text[: limit + 1]
    if text.isascii() and text.isprintable():  # the common case: nothing to escape
        shown = text
    else:
        shown = "".join(_escape(c) if _hidden(c) else c for c in text)
    if limit is not None and len(shown) > limit:
        shown = shown[: limit - 1] + "…"
    return shown


def quote(value, limit=MESSAGE_LIMIT, mark="'"):
    """``value`` for an error message: a string between ``mark`` quotes (``'`` by default,
    ``"`` in Keras's ``layer "dense"`` messages), made ``printable`` and bounded by ``limit``;
    anything else by its bounded, printable ``repr``."""
    if isinstance(value, str):
        return mark + printable(value, limit) + mark
    try:
        text = repr(value)
    except Exception:  # a broken __repr__ must not hide the error being reported
        text = f"<{type(value).__name__} object>"
    return printable(text, limit)


def quote_name(name):
    """A layer or model name inside a Keras-style message, between double quotes: ``Input 0 of
    layer "dense" is incompatible …``; escaped and bounded by ``NAME_LIMIT``."""
    return quote(name, NAME_LIMIT, mark='"')


__all__ = ["MESSAGE_LIMIT", "NAME_LIMIT", "printable", "quote", "quote_name"]


def unknown_name(kind, name, choices):
    """``Unknown {kind}: 'name'. Did you mean 'x'? Expected one of: …``: what a beginner needs
    after a typo (the closest valid names, by ``difflib``'s similarity, case ignored).

    >>> unknown_name("optimizer", "adamm", ["sgd", "adam", "rmsprop"])
    "Unknown optimizer: 'adamm'. Did you mean 'adam'? Expected one of: adam, rmsprop, sgd."
    """
    choices = sorted(set(choices))
    message = f"Unknown {kind}: {quote(name)}."
    if isinstance(name, str):
        lowered = {c.lower(): c for c in choices}
        close = difflib.get_close_matches(name.lower()[:MESSAGE_LIMIT], lowered, n=2, cutoff=0.6)
        if close:
            message += " Did you mean " + " or ".join(repr(lowered[c]) for c in close) + "?"
    return message + f" Expected one of: {', '.join(choices)}."
