"""The rules every interface text (``ui*.toml``) follows, checked once at load.

The same rules as the content library's (valid Telegram HTML, none of the banned phrases, within
Telegram's limits) plus those the interface texts keep: calm words with no exclamation marks and
no emoji, placeholders only as plain ``{name}``, and short plain labels on buttons and toasts.
A key's last part names what it is: ``..._button`` is a button label, ``..._toast`` the short
note shown when a button is pressed.
"""

from __future__ import annotations

import string

from bot.content.library import (
    ALLOWED_TAGS,
    LABEL_MAX_CHARS,
    MESSAGE_MAX_UTF16,
    banned_phrase,
    html_problem,
    is_emoji,
    utf16_length,
)

# Interface texts may also quote a person's own words back to them.
UI_ALLOWED_TAGS = ALLOWED_TAGS | {"blockquote"}
# answerCallbackQuery shows at most this many characters.
TOAST_MAX_CHARS = 200


def placeholders(text: str) -> set[str]:
    """The names of the ``{name}`` placeholders in `text` (one with no `placeholder_problem`)."""
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def placeholder_problem(text: str) -> str | None:
    """Why `text` is not a template the code can fill with ``str.format(name=...)``, or None."""
    try:
        fields = [
            (field, spec, conversion)
            for _, field, spec, conversion in string.Formatter().parse(text)
            if field is not None
        ]
    except ValueError as exc:
        return f"a brace that is not a placeholder ({exc}); write a literal one as {{{{ or }}}}"
    for field, spec, conversion in fields:
        if not field.isidentifier() or spec or conversion:
            return f"placeholder {{{field}}} needs to be a plain name, like {{name}}"
    return None


def ui_text_problem(key: str, text: str) -> str | None:
    """The first rule `text` (the interface text named `key`) breaks, or None."""
    length = utf16_length(text)
    if length > MESSAGE_MAX_UTF16:
        return f"text is {length} characters, over Telegram's {MESSAGE_MAX_UTF16}"
    problem = html_problem(text, UI_ALLOWED_TAGS)
    if problem:
        return f"not valid Telegram HTML: {problem}"
    problem = placeholder_problem(text)
    if problem:
        return problem
    phrase = banned_phrase(text)
    if phrase:
        return f'uses the banned phrase "{phrase}" (see the style guide)'
    if "!" in text:
        return "no exclamation marks in interface texts"
    if any(is_emoji(char) for char in text):
        return "no emoji in interface texts"
    if key.endswith(("_button", "_toast")) and any(char in text for char in "<>&"):
        return "button labels and toasts are plain text: no <, > or & (write 'and')"
    if key.endswith("_button") and len(text) > LABEL_MAX_CHARS:
        return f"button label is {len(text)} characters, over {LABEL_MAX_CHARS}"
    if key.endswith("_toast") and len(text) > TOAST_MAX_CHARS:
        return f"toast is {len(text)} characters, over {TOAST_MAX_CHARS}"
    return None
