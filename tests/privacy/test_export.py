"""/export: one calm line, then everything stored about the person as a JSON and a CSV file."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, time, timedelta

from bot.app import KindlingApplication
from sandbox.emulator import BotApiEmulator, SentMessage
from storage.models import (
    CRISIS_TAG,
    DeliveryKind,
    DeliveryStatus,
    EntryKind,
    NewEntry,
    RoutineAnswer,
)

AT = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # 10:00 in Berlin

TRICKY = 'Said "no", kindly, then\nlistened; €5 café 🌱'
FORMULA = "=SUM(A1:A9)"


async def berlin_person(bot: KindlingApplication, chat_id: int) -> None:
    repo = bot.services.repo
    await repo.ensure_person(chat_id, AT - timedelta(days=30))
    await repo.update_person(
        chat_id,
        time_zone="Europe/Berlin",
        country="DE",
        prompt_time=time(20, 0),
        onboarded=True,
        trusted_name="Mira",
    )


async def receive_export(person_messages: list[SentMessage]) -> tuple[dict, list[list[str]], bytes]:
    json_doc, csv_doc = person_messages
    assert json_doc.kind == csv_doc.kind == "document"
    assert json_doc.file_name is not None and json_doc.file_name.endswith(".json")
    assert csv_doc.file_name is not None and csv_doc.file_name.endswith(".csv")
    assert json_doc.file_bytes is not None and csv_doc.file_bytes is not None
    data = json.loads(json_doc.file_bytes.decode("utf-8"))
    rows = list(csv.reader(io.StringIO(csv_doc.file_bytes.decode("utf-8-sig"), newline="")))
    return data, rows, csv_doc.file_bytes


async def test_export_sends_settings_and_every_entry_in_two_files(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    repo = bot.services.repo
    await berlin_person(bot, 3001)
    await repo.add_entry(
        NewEntry(3001, EntryKind.WIN, AT, text=TRICKY, tags=["listened"], extra={"who": "Jo"})
    )
    await repo.add_entry(NewEntry(3001, EntryKind.SETBACK, AT + timedelta(hours=1), text=FORMULA))
    await repo.add_entry(NewEntry(3001, EntryKind.REFLECTION, AT + timedelta(days=1), rating=4))
    assert await repo.claim_delivery(3001, DeliveryKind.PROMPT, "2026-11-25", AT, "p1")
    await repo.finish_delivery(3001, DeliveryKind.PROMPT, "2026-11-25", DeliveryStatus.SENT, AT)
    await repo.record_routine_answer(3001, date(2026, 11, 25), "sleep", RoutineAnswer.OKAY, AT)
    # Someone else's entry never appears in this export.
    await repo.ensure_person(3002, AT)
    await repo.add_entry(NewEntry(3002, EntryKind.WIN, AT, text="not Alex's"))

    alex = emulator.person(3001, "Alex")
    await alex.send("/export")
    intro = await alex.expect("everything you've kept")
    assert intro.kind == "text" and "\n" not in intro.text
    data, rows, raw_csv = await receive_export(
        [await alex.next_message(), await alex.next_message()]
    )
    assert await alex.wait_until_quiet() == []  # nothing on top (no "unknown command")

    assert alex.messages[-1].file_name == "kindling-export-2026-11-25.csv"
    assert data["schema_version"] == 1
    assert data["time_zone"] == "Europe/Berlin"
    assert data["exported_at"] == {
        "utc": "2026-11-25T09:00:00Z",
        "local": "2026-11-25T10:00:00+01:00",
    }
    person = data["person"]
    assert person["chat_id"] == 3001 and person["prompt_time"] == "20:00"
    assert person["trusted_name"] == "Mira" and person["country"] == "DE"
    assert person["first_seen"]["local"] == "2026-10-26T10:00:00+01:00"
    assert person["next_recap_at"] is None or "utc" in person["next_recap_at"]

    assert data["entry_count"] == 3 and len(data["entries"]) == 3
    first, second, third = data["entries"]
    assert (first["kind"], first["text"], first["tags"]) == ("win", TRICKY, ["listened"])
    assert first["extra"] == {"who": "Jo"}
    assert first["created_at"] == {
        "utc": "2026-11-25T09:00:00Z",
        "local": "2026-11-25T10:00:00+01:00",
    }
    assert second["text"] == FORMULA
    assert (third["kind"], third["rating"], third["text"]) == ("reflection", 4, None)
    assert [n["kind"] for n in data["nudges"]] == ["prompt"]
    assert data["nudges"][0]["sent_at"]["local"] == "2026-11-25T10:00:00+01:00"
    [check] = data["routine_checks"]
    assert check["local_date"] == "2026-11-25"
    assert (check["sleep"], check["meals"], check["movement"]) == ("okay", None, None)
    assert "not Alex's" not in json.dumps(data)

    # The CSV: UTF-8 with a byte order mark, a header, one row per entry, quoted properly.
    assert raw_csv.startswith(b"\xef\xbb\xbf")
    assert rows[0][:5] == ["id", "kind", "created_local", "created_utc", "text"]
    assert len(rows) == 4
    assert rows[1][2:5] == ["2026-11-25T10:00:00+01:00", "2026-11-25T09:00:00Z", TRICKY]
    assert b'"Said ""no"", kindly, then\nlistened' in raw_csv
    assert rows[2][4] == "'" + FORMULA  # shown as text by a spreadsheet, not run
    assert rows[3][6] == "4"


async def test_export_of_thousands_of_entries(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    repo = bot.services.repo
    await berlin_person(bot, 3003)
    total = 3000
    for n in range(total):
        await repo.add_entry(
            NewEntry(3003, EntryKind.WIN, AT + timedelta(minutes=n), text=f"moment {n}")
        )
    sam = emulator.person(3003, "Sam")
    await sam.send("/export")
    await sam.expect("everything you've kept")
    data, rows, _ = await receive_export([await sam.next_message(), await sam.next_message()])
    assert data["entry_count"] == total
    assert [e["text"] for e in data["entries"]] == [f"moment {n}" for n in range(total)]
    assert len({e["id"] for e in data["entries"]}) == total
    assert len(rows) == total + 1 and rows[-1][4] == f"moment {total - 1}"


async def test_export_keeps_the_raw_kind_and_the_crisis_tag(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    """/journal and the recap call it a hard moment; the export keeps what was stored: the flow
    it was typed in and the tag that says why it reads differently."""
    await berlin_person(bot, 3007)
    await bot.services.repo.add_entry(
        NewEntry(3007, EntryKind.WIN, AT, text="I can't go on", tags=[CRISIS_TAG])
    )
    bo = emulator.person(3007, "Bo")
    await bo.send("/export")
    await bo.expect("everything you've kept")
    data, rows, _ = await receive_export([await bo.next_message(), await bo.next_message()])
    [kept] = data["entries"]
    assert (kept["kind"], kept["tags"], kept["text"]) == ("win", [CRISIS_TAG], "I can't go on")
    assert (rows[1][1], rows[1][5]) == ("win", CRISIS_TAG)


async def test_export_with_nothing_stored_says_so_and_sends_no_file(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    kim = emulator.person(3004, "Kim")
    await kim.send("/export")
    await kim.expect("nothing stored")
    assert await kim.wait_until_quiet() == []
    assert [m for m in emulator.sent(3004) if m.kind == "document"] == []
    assert await bot.services.repo.get_person(3004) is None  # asking created nothing


async def test_export_in_the_middle_of_a_flow_ends_it_and_exports(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    lee = emulator.person(3005, "Lee")
    await lee.send("/start")
    await lee.expect("Kindling")
    await lee.expect("where are you")
    await lee.send("/export")
    await lee.expect("everything you've kept")
    data, rows, _ = await receive_export([await lee.next_message(), await lee.next_message()])
    assert data["person"]["onboarded"] is False and data["entries"] == [] and len(rows) == 1
    assert data["time_zone"] is None
    assert data["exported_at"]["local"] == "2026-11-25T09:00:00+00:00"
    await lee.send("Lisbon")  # onboarding ended quietly: no zone change
    await lee.wait_until_quiet()
    person = await bot.services.repo.get_person(3005)
    assert person is not None and person.time_zone is None


async def test_a_failed_upload_gets_an_apology_and_the_next_export_works(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await berlin_person(bot, 3006)
    await bot.services.repo.add_entry(NewEntry(3006, EntryKind.WIN, AT, text="kept"))
    ada = emulator.person(3006, "Ada")
    emulator.faults.fail_next("sendDocument", status=400, description="Bad Request: file error")
    await ada.send("/export")
    await ada.expect("everything you've kept")
    await ada.expect("something went wrong on my side")
    await ada.wait_until_quiet()
    await ada.send("/export")
    await ada.expect("everything you've kept")
    data, _, _ = await receive_export([await ada.next_message(), await ada.next_message()])
    assert [e["text"] for e in data["entries"]] == ["kept"]
