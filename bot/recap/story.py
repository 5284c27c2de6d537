"""The week's story, pure: entries in, facts out, then the facts told in words.

``week_facts`` buckets a week's entries (and routines checks) by the person's own local date and
works out what the recap can honestly say: the days they came, small wins by kind, the balance
of connected and out-of-sync moments, what recurred on connected days, the feeling most named
in hard moments, the rung of the gentle social ladder they practised, and (only with enough
days of data) a pattern between routines and connection. ``recap_text`` turns those facts into
the message. No I/O here, so every rule is tested with fixed entries.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from random import Random
from zoneinfo import ZoneInfo

from bot import formatting
from bot.content.library import SOCIAL_LADDER, HelpResources, Library
from bot.formatting import escape
from bot.recap.labels import REFLECT_QUESTIONS, is_crisis_flagged, reflect_answers, shown_kind
from bot.recap.phrases import RecapPhrases
from storage.models import (
    ROUTINE_PARTS,
    Entry,
    EntryKind,
    RoutineAnswer,
    RoutineCheck,
)

CONNECTED = "connected"
OUT_OF_SYNC = "out_of_sync"

# A week with nothing kept is a quiet week: a short, warm recap with no counts, so nothing in it
# can read as a tally of what did not happen. A week with anything kept, even on one day (every
# newcomer's first week), gets its story and its picture.
# Something "recurs" on connected days when it shows up on at least this many of them; the
# feeling named in hard moments is the one that "came up most" only when it came up at least
# this often (one entry is not a pattern); a rung of the social ladder is steady enough to
# suggest the next one up when it was practised on at least this many days.
MIN_RECURRENCE = 2
# A routines pattern is mentioned only with at least this many days that have both a routines
# answer and time with people, and only when the two groups differ this clearly.
MIN_DAYS_FOR_ROUTINE_PATTERN = 4
MIN_ROUTINE_DIFFERENCE = 0.5


@dataclass(frozen=True, slots=True)
class DayFacts:
    """One local day of the week."""

    day: date
    wins: int = 0
    setbacks: int = 0
    reflections: int = 0  # daily-question answers and looks back at time with someone
    connected: int = 0
    out_of_sync: int = 0
    ratings: tuple[int, ...] = ()  # "how connected did it feel", 1 to 5
    routines: RoutineCheck | None = None

    @property
    def entries(self) -> int:
        return self.wins + self.setbacks + self.reflections

    @property
    def showed_up(self) -> bool:
        return self.entries > 0 or self.routines is not None

    @property
    def rating(self) -> float | None:
        """The day's mean connection rating, or None when nothing was rated."""
        return sum(self.ratings) / len(self.ratings) if self.ratings else None


@dataclass(frozen=True, slots=True)
class KeptWords:
    """Something the person wrote and chose to keep, at their local time."""

    at: datetime
    kind: EntryKind  # as the person reads it (labels.shown_kind), not as stored
    text: str  # empty for a look back at time with someone kept without a note
    # A look back's /reflect answers, (question, answer) in the order asked.
    answers: tuple[tuple[str, str], ...] = ()
    prompt_id: str | None = None  # the daily question a reply answered


@dataclass(frozen=True, slots=True)
class RoutinePattern:
    """More connected time on days a routine part went this way."""

    part: str
    answer: RoutineAnswer  # OKAY or NOT_GREAT: the days with more connected time
    days: int  # days with both an answer for the part and time with people


@dataclass(frozen=True, slots=True)
class WeekFacts:
    monday: date
    days: tuple[DayFacts, ...]  # Monday to Sunday
    wins_by_kind: tuple[tuple[str, int], ...]  # win kind id, count; most first
    feelings: tuple[tuple[str, int], ...]  # feeling id, count; most first
    connected_answers: tuple[str, ...]  # reflect questions answered "yes" again and again
    connected_wins: tuple[tuple[str, int], ...]  # win kinds recurring on connected days
    practised_rung: int | None  # highest rung of the social ladder practised, if any
    routine_pattern: RoutinePattern | None
    words: tuple[KeptWords, ...]
    # Entries whose words read as a crisis (also counted among the hard moments): the recap then
    # acknowledges them and repeats the person's help line instead of offering a reframe.
    crisis_moments: int = 0
    # On how many days the highest rung practised was practised.
    practised_rung_days: int = 0

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def days_showed_up(self) -> int:
        return sum(1 for d in self.days if d.showed_up)

    @property
    def wins(self) -> int:
        return sum(d.wins for d in self.days)

    @property
    def setbacks(self) -> int:
        return sum(d.setbacks for d in self.days)

    @property
    def reflections(self) -> int:
        return sum(d.reflections for d in self.days)

    @property
    def connected(self) -> int:
        return sum(d.connected for d in self.days)

    @property
    def out_of_sync(self) -> int:
        return sum(d.out_of_sync for d in self.days)

    @property
    def entries(self) -> int:
        return sum(d.entries for d in self.days)

    @property
    def is_quiet(self) -> bool:
        """Nothing kept this week (a routines check alone keeps no words or moments)."""
        return self.entries == 0

    @property
    def only_crisis(self) -> bool:
        """The week held words that read as a crisis (or the person is in the day after one,
        see compose_weekly_recap) and nothing else was kept."""
        return self.crisis_moments > 0 and self.crisis_moments >= self.entries

    @property
    def is_hard(self) -> bool:
        """More out of sync than connected, or hard moments with nothing lighter beside them."""
        return self.out_of_sync > self.connected or (
            self.setbacks > 0 and self.wins == 0 and self.connected == 0
        )

    @property
    def most_named_feeling(self) -> str | None:
        """The feeling named in hard moments; on a tie, the first in the library's order."""
        return self.feelings[0][0] if self.feelings else None

    @property
    def feeling_came_up_most(self) -> bool:
        """Whether one feeling honestly "came up most": named more than once, and more often
        than any other. One entry, or a tie, is no pattern."""
        if len(self.feelings) < 2:
            return False
        (_, top), (_, second) = self.feelings[0], self.feelings[1]
        return top >= MIN_RECURRENCE and top > second


def win_kind_of(entry: Entry, known: Iterable[str]) -> str:
    """The kind of a small win: /win keeps its id as the entry's tag; unknown means "other"."""
    ids = set(known)
    for tag in entry.tags:
        if tag in ids:
            return tag
    kind = entry.extra.get("kind")
    return kind if isinstance(kind, str) and kind in ids else "other"


def _ranked(counts: Counter[str], order: Sequence[str]) -> tuple[tuple[str, int], ...]:
    """Most first; ties in the content library's order, so the text is stable."""
    position = {key: index for index, key in enumerate(order)}
    return tuple(
        sorted(counts.items(), key=lambda kv: (-kv[1], position.get(kv[0], len(order)), kv[0]))
    )


def _ladder_rung(entry: Entry, win_kind: str | None) -> int | None:
    """The rung of the social ladder an entry shows practice of, if any.

    Reaching out to someone is the first rung; looking back on time with someone means at
    least a one-to-one. An entry may also name a rung itself (a tag or ``extra["social_step"]``
    holding a ladder id), which then counts as that rung.
    """
    named = [SOCIAL_LADDER.index(t) for t in entry.tags if t in SOCIAL_LADDER]
    step = entry.extra.get("social_step")
    if isinstance(step, str) and step in SOCIAL_LADDER:
        named.append(SOCIAL_LADDER.index(step))
    if named:
        return max(named)
    if entry.kind is EntryKind.SOCIAL:
        return SOCIAL_LADDER.index("one_to_one")
    if win_kind == "reached_out":
        return SOCIAL_LADDER.index("message_trusted")
    return None


def _routine_pattern(days: Sequence[DayFacts]) -> RoutinePattern | None:
    """The clearest honest link between a routine part and connected time, if there is one."""
    best: tuple[float, RoutinePattern] | None = None
    for part in ROUTINE_PARTS:
        groups: dict[RoutineAnswer, list[bool]] = {
            RoutineAnswer.OKAY: [],
            RoutineAnswer.NOT_GREAT: [],
        }
        for day in days:
            answer = day.routines.answer(part) if day.routines else None
            if answer in groups and (day.connected or day.out_of_sync):
                groups[answer].append(day.connected > 0)  # type: ignore[index]
        okay, not_great = groups[RoutineAnswer.OKAY], groups[RoutineAnswer.NOT_GREAT]
        both = len(okay) + len(not_great)
        if both < MIN_DAYS_FOR_ROUTINE_PATTERN or not okay or not not_great:
            continue
        difference = sum(okay) / len(okay) - sum(not_great) / len(not_great)
        if abs(difference) < MIN_ROUTINE_DIFFERENCE:
            continue
        answer = RoutineAnswer.OKAY if difference > 0 else RoutineAnswer.NOT_GREAT
        if best is None or abs(difference) > best[0]:
            best = (abs(difference), RoutinePattern(part, answer, both))
    return best[1] if best else None


def week_facts(
    entries: Iterable[Entry],
    routines: Iterable[RoutineCheck],
    zone: ZoneInfo,
    monday: date,
    library: Library,
) -> WeekFacts:
    """What the week held, by the person's local dates (Monday ``monday`` to Sunday).

    Entries outside the week (by local date) are left out, so a caller may pass a wider range.
    """
    win_ids = [w.id for w in library.win_kinds]
    week = [monday + timedelta(days=i) for i in range(7)]
    index = {day: i for i, day in enumerate(week)}
    counts = [
        {"wins": 0, "setbacks": 0, "reflections": 0, "connected": 0, "out_of_sync": 0} for _ in week
    ]
    ratings: list[list[int]] = [[] for _ in week]
    wins_by_kind: Counter[str] = Counter()
    feelings: Counter[str] = Counter()
    win_kinds_by_day: list[Counter[str]] = [Counter() for _ in week]
    answers_connected: Counter[str] = Counter()
    answers_out_of_sync: Counter[str] = Counter()
    feeling_ids = {f.id for f in library.feelings}
    rung: int | None = None
    rung_days: dict[int, set[int]] = {}
    words: list[KeptWords] = []
    crisis_moments = 0

    for entry in entries:
        local = entry.created_at.astimezone(zone)
        i = index.get(local.date())
        if i is None:
            continue
        day = counts[i]
        # Words that read as a crisis are a hard moment, whatever flow they were typed in: never
        # a win to count, a connected moment, a rating of connection, or a step up the ladder.
        flagged = is_crisis_flagged(entry)
        kind = shown_kind(entry)
        if flagged:
            crisis_moments += 1
        win_kind: str | None = None
        if kind is EntryKind.WIN:
            day["wins"] += 1
            win_kind = win_kind_of(entry, win_ids)
            wins_by_kind[win_kind] += 1
            win_kinds_by_day[i][win_kind] += 1
        elif kind is EntryKind.SETBACK:
            day["setbacks"] += 1
            # /setback keeps the feeling picked as the entry's tag.
            feelings.update(t for t in entry.tags if t in feeling_ids)
        else:
            day["reflections"] += 1
        if kind in (EntryKind.SOCIAL, EntryKind.REFLECTION):
            said_yes = {
                t.split(":", 1)[0]
                for t in entry.tags
                if t.endswith(":yes") and t.split(":", 1)[0] in REFLECT_QUESTIONS
            }
            if CONNECTED in entry.tags:
                day["connected"] += 1
                answers_connected.update(said_yes)
            elif OUT_OF_SYNC in entry.tags:
                day["out_of_sync"] += 1
                answers_out_of_sync.update(said_yes)
        if entry.rating is not None and 1 <= entry.rating <= 5 and not flagged:
            ratings[i].append(entry.rating)
        entry_rung = None if flagged else _ladder_rung(entry, win_kind)
        if entry_rung is not None:
            rung = entry_rung if rung is None else max(rung, entry_rung)
            rung_days.setdefault(entry_rung, set()).add(i)
        text = (entry.text or "").strip()
        answers = reflect_answers(entry)
        if text or answers:
            words.append(KeptWords(local, kind, text, answers, entry.prompt_id))

    checks = {c.local_date: c for c in routines if c.local_date in index}
    days = tuple(
        DayFacts(
            day=week[i],
            ratings=tuple(ratings[i]),
            routines=checks.get(week[i]),
            **counts[i],
        )
        for i in range(7)
    )

    connected_days = [i for i in range(7) if days[i].connected]
    other_days = [i for i in range(7) if not days[i].connected and days[i].entries]
    on_connected: Counter[str] = Counter()
    for i in connected_days:
        on_connected.update(win_kinds_by_day[i].keys())
    recurring_wins: Counter[str] = Counter()
    for kind, day_count in on_connected.items():
        elsewhere = sum(1 for i in other_days if win_kinds_by_day[i][kind])
        # "Did differently": recurring on connected days, and more usual there than elsewhere.
        if day_count >= MIN_RECURRENCE and (
            day_count / len(connected_days) > elsewhere / max(len(other_days), 1)
        ):
            recurring_wins[kind] = sum(win_kinds_by_day[i][kind] for i in connected_days)

    connected_total = sum(d.connected for d in days)
    out_total = sum(d.out_of_sync for d in days)
    recurring_answers = tuple(
        q
        for q in REFLECT_QUESTIONS
        if answers_connected[q] >= MIN_RECURRENCE
        and answers_connected[q] / connected_total > answers_out_of_sync[q] / max(out_total, 1)
    )

    return WeekFacts(
        monday=monday,
        days=days,
        wins_by_kind=_ranked(wins_by_kind, win_ids),
        feelings=_ranked(feelings, [f.id for f in library.feelings]),
        connected_answers=recurring_answers,
        connected_wins=_ranked(recurring_wins, win_ids),
        practised_rung=rung,
        routine_pattern=_routine_pattern(days),
        words=tuple(sorted(words, key=lambda w: w.at)),
        crisis_moments=crisis_moments,
        practised_rung_days=len(rung_days.get(rung, ())) if rung is not None else 0,
    )


def suggested_rung(facts: WeekFacts) -> int:
    """The next small step on the social ladder, matched to where the person is.

    Nothing practised yet: the first rung. A rung practised on one day only (someone just
    starting) or in a hard week: the same rung again, since the invitation is to repeat
    something familiar, never to climb while it is new or while it hurts. A rung practised on
    several days of a week that was not hard: one rung up.
    """
    top = len(SOCIAL_LADDER) - 1
    if facts.practised_rung is None:
        return 0
    if facts.is_hard or facts.practised_rung_days < MIN_RECURRENCE:
        return facts.practised_rung
    return min(facts.practised_rung + 1, top)


def show_date(day: date, locale: str) -> str:
    """As every date a person reads is shown (bot.formatting.show_date), in their locale."""
    return formatting.show_date(day, locale)


def win_label(library: Library, kind: str) -> str:
    try:
        return library.win_kind(kind).label
    except KeyError:
        return library.win_kind("other").label


def feelings_named(facts: WeekFacts, library: Library, p: RecapPhrases) -> str:
    """The feelings named in the week's hard moments: "came up most" only for a real pattern."""

    def shown(feeling: str) -> str:
        return p("recap.feeling", feeling=escape(library.feeling(feeling).label.lower()))

    if facts.feeling_came_up_most:
        return p("recap.setbacks_feeling", feeling=shown(facts.feelings[0][0]))
    if len(facts.feelings) == 1:
        return p("recap.setbacks_feeling_named", feeling=shown(facts.feelings[0][0]))
    return p("recap.setbacks_feelings_named", feelings=p.join(shown(f) for f, _ in facts.feelings))


def crisis_blocks(phrases: RecapPhrases, help_here: HelpResources) -> list[str]:
    """For a week that held words that read as a crisis: a quiet acknowledgement, then the
    person's first help line and emergency number, short enough to read in a hard moment."""
    line = help_here.lines[0]
    return [
        phrases("recap.crisis_heard"),
        phrases(
            "recap.crisis_help",
            name=line.name,
            contact=line.contact,
            emergency=help_here.emergency,
        ),
    ]


def recap_text(
    facts: WeekFacts,
    library: Library,
    phrases: RecapPhrases,
    rng: Random,
    *,
    locale: str,
    country: str | None = None,
) -> str:
    """The recap message (Telegram HTML) for a week's facts, its dates in ``locale``;
    ``country`` picks the help line repeated after a week that held words that read as a
    crisis."""
    p = phrases
    title = p(
        "recap.title", first=show_date(facts.monday, locale), last=show_date(facts.sunday, locale)
    )
    blocks: list[str] = [title]

    if facts.only_crisis:
        # Not a story of the week, no reframe (they say "try again"), and no nudge towards the
        # next win: what they wrote is acknowledged, and help is right there.
        blocks += crisis_blocks(p, library.help_for(country))
        return "\n\n".join(blocks)

    if facts.is_quiet:
        blocks.append(p("recap.quiet"))
        if facts.days_showed_up:
            blocks.append(p("recap.quiet_kept"))
        blocks.append(p("recap.quiet_closing"))
        return "\n\n".join(blocks)

    if facts.days_showed_up == 1:
        # One day (a first week, often): name the day, never the six others.
        [day] = [d.day for d in facts.days if d.showed_up]
        name = p.items("caption.day_names")[day.weekday()]
        blocks.append(p("recap.showed_up_one_day", day=name))
    else:
        blocks.append(p("recap.showed_up", days=p.count(facts.days_showed_up, "day")))

    if facts.wins_by_kind:
        lines = [p("recap.wins_heading")]
        lines += [
            p("recap.win_line", label=escape(win_label(library, kind)), times=p.times(n))
            for kind, n in facts.wins_by_kind
        ]
        blocks.append("\n".join(lines))

    if facts.reflections:
        blocks.append(p("recap.reflections", times=p.times(facts.reflections)))

    if facts.connected or facts.out_of_sync:
        lines = [p("recap.people_heading")]
        if facts.connected and facts.out_of_sync:
            lines.append(
                p(
                    "recap.balance_both",
                    connected=p.number(facts.connected),
                    out_of_sync=p.number(facts.out_of_sync),
                )
            )
        elif facts.connected:
            lines.append(p("recap.balance_connected", moments=p.count(facts.connected, "moment")))
        else:
            lines.append(
                p("recap.balance_out_of_sync", moments=p.count(facts.out_of_sync, "moment"))
            )
        if facts.connected_answers:
            answers = p.join(p(f"connected_answer.{q}") for q in facts.connected_answers)
            lines.append(p("recap.connected_answers", answers=answers))
        if facts.connected_wins:
            wins = p.join(
                f"{p(f'win_did.{kind}')} {p.times(n)}" for kind, n in facts.connected_wins
            )
            lines.append(p("recap.connected_wins", wins=wins))
        if facts.routine_pattern:
            pattern = facts.routine_pattern
            lines.append(
                f"{p(f'routine_pattern.{pattern.part}_{pattern.answer}')} {p('recap.routine_hint')}"
            )
        blocks.append("\n".join(lines))

    if facts.setbacks:
        lines = [
            p("recap.setbacks_heading"),
            p("recap.setbacks_one")
            if facts.setbacks == 1
            else p("recap.setbacks", hard_moments=p.count(facts.setbacks, "hard_moment")),
        ]
        feeling = facts.most_named_feeling
        if feeling:
            lines[-1] += " " + feelings_named(facts, library, p)
        if not facts.crisis_moments:
            reframe = library.reframe_for(feeling, rng)
            lines.append(f"\n{p('recap.reframe_intro')}\n{reframe.message}")
        blocks.append("\n".join(lines))

    if facts.crisis_moments:
        # The help line closes the recap: no suggestion for next week, whose invitations
        # ("when you feel ready") ask for a step while it hurts.
        blocks += crisis_blocks(p, library.help_for(country))
        return "\n\n".join(blocks)

    rung_id = SOCIAL_LADDER[suggested_rung(facts)]
    step = next(s for s in library.social_steps if s.id == rung_id)
    blocks.append(f"{p('recap.suggestion_heading')}\n{step.suggestion}")
    return "\n\n".join(blocks)
