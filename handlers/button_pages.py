"""Pieces the button pages (/journal, notes in /journal, /offered) share: the message a button
sits on replaced in place, and the two buttons asked before deleting or taking something back."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest


async def replace_message(update: Update, text: str, keyboard: InlineKeyboardMarkup | None) -> None:
    """Show ``text`` in the message whose button was pressed."""
    query = update.callback_query
    assert query is not None
    try:
        await query.edit_message_text(text, reply_markup=keyboard)
    except BadRequest as exc:
        # Pressing the page already shown changes nothing, and Telegram says so; that is fine.
        if "not modified" not in exc.message.lower():
            raise


def yes_or_keep(yes: str, yes_data: str, keep: str, keep_data: str) -> InlineKeyboardMarkup:
    """Do it, or keep it: one row, the doing first."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(yes, callback_data=yes_data),
                InlineKeyboardButton(keep, callback_data=keep_data),
            ]
        ]
    )
