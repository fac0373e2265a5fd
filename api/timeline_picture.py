"""A case's life as an SVG: phases, deadlines (met, met late, missed, open), notifications and
the criminal process on one time axis, with a legend. A label is drawn only where it fits (every
mark also names itself in a tooltip), and the picture describes itself in words for those who
cannot see it. Only ids, kinds and dates: no personal data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from xml.sax.saxutils import escape

from workflows.model.state import CaseState
from workflows.model.vocabulary import (
    DeadlineStatus,
    NotificationStatus,
    Phase,
)
from workflows.rules.lifecycle import PHASE_AFTER

WIDTH, LEFT, RIGHT, LANE = 1000, 150, 20, 46
PHASE_COLOUR = {Phase.REFERRED: "#c6dbef", Phase.ADMITTED: "#9ecae1",
                Phase.ASSISTANCE: "#6baed6", Phase.MUNICIPALITY: "#4292c6",
                Phase.NOT_ADMITTED: "#bdbdbd", Phase.EXITED: "#969696"}
NOTIFICATION_COLOUR = {NotificationStatus.ACKNOWLEDGED: "#238b45",
                       NotificationStatus.DELIVERED: "#2171b5",
                       NotificationStatus.PENDING: "#fd8d3c", NotificationStatus.FAILED: "#cb181d",
                       NotificationStatus.WITHHELD: "#969696"}
LANES = ("Phase", "Deadlines", "Notifications", "Criminal process")
DEADLINE_OUTCOMES = {"met": "#238b45", "met late": "#fd8d3c", "missed": "#cb181d",
                     "cancelled": "#bdbdbd", "open": "#6baed6"}
CRIMINAL_COLOUR = "#6a51a3"
CHAR_WIDTH = 6.2  # of a 10-12 px sans-serif label, generously: labels that would touch are left out
LEGEND = 46
# Every phrase the picture shows, in English: a reader's language translates each (`Words`).
TITLE = "Case {case}: timeline"
PHASE_FROM = "{phase} from {day}"
DEADLINE_DUE = "{deadline} due {day}: {outcome}"
NOTICE_TO = "{purpose} to {agency}: {status}"
STAGE_ON = "{stage} on {day}"
DEADLINE_KEY, NOTICE_KEY, CRIMINAL_KEY = "deadline {outcome}", "notification {status}", \
    "criminal process"
DESCRIBED = ("Phases so far: {phases}. {deadlines} deadlines, {missed} of them missed; "
             "{notifications} notifications; criminal process: {stage}.")
NONE = "none"
PHRASES = (*LANES, *DEADLINE_OUTCOMES, TITLE, PHASE_FROM, DEADLINE_DUE, NOTICE_TO, STAGE_ON,
           DEADLINE_KEY, NOTICE_KEY, CRIMINAL_KEY, DESCRIBED, NONE)


@dataclass(frozen=True)
class Words:
    """How the picture speaks: English phrases translated (`say`), a code by its name
    (`name`), a day and a notification's purpose as the reader writes them. By default, as the
    API draws it: English, with codes."""

    say: Callable[[str], str] = str
    name: Callable[[Enum], str] = str
    day: Callable[[date], str] = date.isoformat
    purpose: Callable[[str], str] = str


def _t(words: Words, phrase: str, **values: object) -> str:
    """A phrase in the reader's words, its values in place, escaped for the SVG."""
    return escape(words.say(phrase).format(**values))


def render(state: CaseState, now: datetime, words: Words = Words()) -> str:
    start = state.referred_at
    instants = [now, *(d.due_at for d in state.deadlines)]
    end = max(min(max(instants), now + timedelta(days=400)), start + timedelta(days=7))
    span = (end - start).total_seconds()

    def x(at: datetime | date) -> float:
        if not isinstance(at, datetime):
            at = datetime.combine(at, time(12), tzinfo=UTC)
        return LEFT + (WIDTH - LEFT - RIGHT) * max(0.0, min(1.0, (at - start).total_seconds()
                                                             / span))

    top = 40
    lane_y = {name: top + i * LANE for i, name in enumerate(LANES)}
    height = top + len(LANES) * LANE + 40 + LEGEND
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
           f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12" '
           f'role="img" aria-labelledby="t d">',
           f'<title id="t">{_t(words, TITLE, case=state.case_id)}</title>',
           f'<desc id="d">{escape(describe(state, words))}</desc>',
           f'<text x="{LEFT}" y="20" font-size="14" font-weight="bold">'
           f'{escape(state.case_id)} · {escape(words.name(state.phase))}</text>']
    for name, y in lane_y.items():
        out.append(f'<text x="10" y="{y + LANE / 2 + 4}">{escape(words.say(name))}</text>')
        out.append(f'<line x1="{LEFT}" y1="{y + LANE}" x2="{WIDTH - RIGHT}" y2="{y + LANE}" '
                   'stroke="#eee"/>')

    # Phases: a band from each phase change to the next (or to now).
    changes = [(s.at, PHASE_AFTER[s.action]) for s in state.steps if s.action in PHASE_AFTER]
    ends = [at for at, _ in changes[1:]] + [changes[-1][0] if state.phase.closed else now]
    y = lane_y["Phase"] + 8
    labels = []  # drawn over all the bands; each only inside its own band, so none overlap
    for (at, phase), until in zip(changes, ends, strict=True):
        x0, x1 = x(at), max(x(until), x(at) + 3)
        out.append(f'<rect x="{x0:.1f}" y="{y}" width="{x1 - x0:.1f}" height="{LANE - 16}" '
                   f'fill="{PHASE_COLOUR[phase]}"><title>'
                   f'{_t(words, PHASE_FROM, phase=words.name(phase), day=words.day(at.date()))}'
                   '</title></rect>')
        if len(words.name(phase)) * CHAR_WIDTH + 6 <= x1 - x0:
            labels.append(f'<text x="{x0 + 3:.1f}" y="{y + 19}" font-size="10">'
                          f'{escape(words.name(phase))}</text>')
    out += labels

    # Deadlines: a line from the start of the period to its due time, a dot for the outcome.
    y = lane_y["Deadlines"] + LANE / 2
    for d in state.deadlines:
        late = any(e.what == "overdue" for e in d.events)
        outcome = {DeadlineStatus.MET: "met late" if late else "met",
                   DeadlineStatus.OVERDUE: "missed",
                   DeadlineStatus.CANCELLED: "cancelled"}.get(d.status, "open")
        colour = DEADLINE_OUTCOMES[outcome]
        out.append(f'<line x1="{x(d.begins_on):.1f}" y1="{y}" x2="{x(d.due_at):.1f}" y2="{y}" '
                   f'stroke="{colour}" stroke-width="2" opacity="0.5"/>')
        due = _t(words, DEADLINE_DUE, deadline=words.name(d.kind), day=words.day(d.due_on),
                 outcome=words.say(outcome))
        out.append(f'<circle cx="{x(d.due_at):.1f}" cy="{y}" r="5" fill="{colour}"><title>'
                   f'{due}</title></circle>')

    y = lane_y["Notifications"] + LANE / 2
    for n in state.notifications:
        kind = n.selector.agency_type
        told = _t(words, NOTICE_TO, purpose=words.purpose(n.purpose),
                  agency=n.agency_id or (words.name(kind) if kind else ""),
                  status=words.name(n.status))
        out.append(f'<rect x="{x(n.created_at) - 2:.1f}" y="{y - 8}" width="4" height="16" '
                   f'fill="{NOTIFICATION_COLOUR[n.status]}"><title>'
                   f'{told}</title></rect>')

    y = lane_y["Criminal process"] + LANE / 2
    for record in state.criminal_process.history:
        stage = _t(words, STAGE_ON, stage=words.name(record.stage), day=words.day(record.on))
        out.append(f'<path d="M{x(record.on):.1f},{y - 6} l6,6 l-6,6 l-6,-6 z" '
                   f'fill="{CRIMINAL_COLOUR}">'
                   f'<title>{stage}</title></path>')

    # The time axis: about six dated ticks.
    axis = top + len(LANES) * LANE + 10
    out.append(f'<line x1="{LEFT}" y1="{axis}" x2="{WIDTH - RIGHT}" y2="{axis}" stroke="#333"/>')
    for i in range(7):  # the first label starts at its tick, the last ends at it: none is cut
        at = start + (end - start) * i / 6
        anchor = "start" if i == 0 else "end" if i == 6 else "middle"
        out.append(f'<line x1="{x(at):.1f}" y1="{axis}" x2="{x(at):.1f}" y2="{axis + 5}" '
                   f'stroke="#333"/><text x="{x(at):.1f}" y="{axis + 18}" text-anchor="{anchor}" '
                   f'font-size="10">{escape(words.day(at.date()))}</text>')
    out += legend(axis + 40, words)
    out.append("</svg>")
    return "\n".join(out)


def legend(y: float, words: Words) -> list[str]:
    """What each colour and mark means, in two rows under the axis."""
    rows = [[("circle", colour, _t(words, DEADLINE_KEY, outcome=words.say(name)))
             for name, colour in DEADLINE_OUTCOMES.items()],
            [*(("rect", NOTIFICATION_COLOUR[s], _t(words, NOTICE_KEY, status=words.name(s)))
               for s in (NotificationStatus.DELIVERED, NotificationStatus.ACKNOWLEDGED,
                         NotificationStatus.PENDING, NotificationStatus.FAILED)),
             ("path", CRIMINAL_COLOUR, escape(words.say(CRIMINAL_KEY)))]]
    out = ['<g font-size="10">']
    for row, keys in enumerate(rows):
        at, base = float(LEFT), y + row * 20
        for shape, colour, name in keys:
            out.append({
                "circle": f'<circle cx="{at + 5}" cy="{base - 4}" r="5" fill="{colour}"/>',
                "rect": f'<rect x="{at + 3}" y="{base - 12}" width="4" height="14" '
                        f'fill="{colour}"/>',
                "path": f'<path d="M{at + 5},{base - 10} l6,6 l-6,6 l-6,-6 z" '
                        f'fill="{colour}"/>'}[shape])
            out.append(f'<text x="{at + 14}" y="{base}">{name}</text>')
            at += 14 + len(name) * CHAR_WIDTH + 16
    return [*out, "</g>"]


def describe(state: CaseState, words: Words = Words()) -> str:
    """The picture in words."""
    phases = [words.name(PHASE_AFTER[s.action]) for s in state.steps if s.action in PHASE_AFTER]
    overdue = sum(d.status is DeadlineStatus.OVERDUE for d in state.deadlines)
    return words.say(DESCRIBED).format(
        phases=", ".join(phases) or words.say(NONE), deadlines=len(state.deadlines),
        missed=overdue, notifications=len(state.notifications),
        stage=words.name(state.criminal_process.stage))
