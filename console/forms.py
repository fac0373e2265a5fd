"""A step's form, made from the step's own model: one field per field of the body (nested ones
as `provider.organisation`), and the submitted form turned back into that model, with each
error tied to its field. What the API validates is what the form validates: the same model."""

from __future__ import annotations

import types
import typing
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ValidationError
from starlette.datastructures import FormData

from api.problems import Code, Problem
from workflows.model.calendar import HELSINKI
from workflows.model.requests import Step

LONG_TEXT = {"reason", "client_view", "note", "handover_note", "goal"}
# A list of records (a plan's goals) or of dates is entered in rows: how many, and what one row
# is called. Enough for the usual case; a longer list is entered over the API.
ROWS = {"goals": (5, "Goal"), "review_on": (3, "Review date")}
# Fields chosen from a list by name in the reader's language, not typed as codes: a country
# (ISO 3166-1 alpha-3), a language, or languages (ISO 639; three rows in the form, more over
# the API), an agency of the directory, the case's own measures, what an exit leaves open, an
# office lead or a caseworker of the staff directory.
CHOSEN = {"nationality": "country", "interpreter_language": "language",
          "languages": "languages", "agency_id": "agency", "measure_ids": "measures",
          "implemented": "open_items", "decision_maker_id": "lead", "caseworker_id": "caseworker"}
# A decision's two answers as its radio buttons send them; neither chosen: not decided.
YES_NO = {"yes": True, "no": False}
# Pydantic's error types in the person's words (translated by the catalogues); a rule of the
# case's own (a date that makes no sense, say) keeps its message.
MESSAGES = {
    "missing": "Required.", "string_too_short": "Required.", "too_short": "Choose at least one.",
    "string_too_long": "Too long.", "too_long": "Too many.", "enum": "Choose from the list.",
    "literal_error": "Choose from the list.",
    "string_pattern_mismatch": "Not in the expected form.",
    "date_from_datetime_parsing": "Not a date.", "date_parsing": "Not a date.",
    "date_type": "Not a date.", "int_parsing": "Not a whole number.",
    "datetime_from_date_parsing": "Not a date and time.", "datetime_parsing": "Not a date "
    "and time.", "datetime_type": "Not a date and time.", "timezone_aware": "Not a date and "
    "time.",
    "greater_than_equal": "Too small.", "less_than_equal": "Too large.",
}


@dataclass
class Field:
    name: str  # dotted: `provider.organisation`
    label: str  # English; the template translates it
    kind: str  # text | textarea | date | datetime | number | checkbox | yesno | select | choices
    # | list | country | language | languages | agency | measures | open_items | lead
    # | caseworker
    required: bool
    options: list[Enum] = field(default_factory=list)
    hint: str | None = None
    row: int | None = None  # the row (1, 2, …) of a list of records entered in rows
    number: int | None = None  # the row of a list of values (a date), shown with its label
    legend: str | None = None  # the legend of its group, when not its model's name
    limit: int | None = None  # the most characters its model takes, shown and enforced

    @property
    def id(self) -> str:
        return "f-" + self.name.replace(".", "-")


def groups(fields: list[Field]) -> list[tuple[str | None, list[Field]]]:
    """Fields in runs: those of a nested model together, under its name as a legend (each row
    of a list entered in rows a run of its own)."""
    runs: list[tuple[str | None, list[Field]]] = []
    for f in fields:
        legend = f.legend or (humanize(f.name.split(".")[0]) if "." in f.name else None)
        if runs and runs[-1][0] == legend and runs[-1][1][-1].row == f.row:
            runs[-1][1].append(f)
        else:
            runs.append((legend, [f]))
    return runs


def humanize(name: str) -> str:
    words = name.rsplit(".", 1)[-1].replace("_ids", "s").replace("_id", "")
    words = words.replace("_", " ")
    return words[:1].upper() + words[1:]


def _limit(info: Any) -> int | None:
    """The longest text a field takes: its own constraint, or its type's inside an Optional."""
    found = list(info.metadata)
    for arg in typing.get_args(info.annotation):
        found += typing.get_args(arg)[1:] if typing.get_origin(arg) is typing.Annotated else []
    return next((m.max_length for m in found if getattr(m, "max_length", None)), None)


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """The type inside Optional/Annotated, and whether None is allowed."""
    optional = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            optional = optional or len(args) < len(typing.get_args(annotation))
            annotation = args[0]
        else:
            return annotation, optional


def fields_of(model: type[BaseModel], prefix: str = "", skip: frozenset[str] = frozenset(),
              ) -> list[Field]:
    found: list[Field] = []
    for name, info in model.model_fields.items():
        if name in skip:
            continue
        dotted = f"{prefix}{name}"
        kind, optional = _unwrap(info.annotation)
        required = info.is_required() and not optional
        hint = info.description
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            found += fields_of(kind, f"{dotted}.")
        elif typing.get_origin(kind) is list and name in ROWS:
            found += _rows(typing.get_args(kind)[0], dotted, *ROWS[name], required)
        elif typing.get_origin(kind) is list:
            inner, _ = _unwrap(typing.get_args(kind)[0])
            if isinstance(inner, type) and issubclass(inner, Enum):
                found.append(Field(dotted, humanize(dotted), "choices", required, list(inner),
                                   hint))
            else:
                found.append(Field(dotted, humanize(dotted), CHOSEN.get(name, "list"), required,
                                   hint=hint))
        elif isinstance(kind, type) and issubclass(kind, Enum):
            found.append(Field(dotted, humanize(dotted), "select", required, list(kind), hint))
        else:
            what, needed = _scalar(kind, name, required, optional)
            what = CHOSEN.get(name, what)
            found.append(Field(dotted, humanize(dotted), what, needed, hint=hint,
                               limit=_limit(info) if what in ("text", "textarea") else None))
    return found


def _scalar(kind: Any, name: str, required: bool, optional: bool) -> tuple[str, bool]:
    """A single value's input, and whether it is required."""
    if kind is bool:  # a decision is a yes or no chosen, never made by omission; an option
        return ("yesno", True) if required else ("checkbox", not optional)  # unticked: default
    if kind is date:
        return "date", required
    if kind in (datetime, AwareDatetime):
        return "datetime", required
    if kind is int:
        return "number", required
    return ("textarea" if name in LONG_TEXT else "text"), required


def _rows(item: Any, dotted: str, count: int, one: str, required: bool) -> list[Field]:
    """A list entered in rows: a record's fields in a group per row (`goals.1.goal`, under
    "Goal 1"), or a date per row (`review_on.1`, "Review date 1"); the first row required when
    the list is; rows left empty are not part of the list."""
    inner, _ = _unwrap(item)
    found: list[Field] = []
    for row in range(1, count + 1):
        prefix = f"{dotted}.{row}"
        first = required and row == 1
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            for f in fields_of(inner, f"{prefix}."):
                f.row, f.legend, f.required = row, one, f.required and first
                found.append(f)
        else:
            found.append(Field(prefix, one, "date", first, number=row, legend=f"{one}s"))
    return found


def values_of(fields: list[Field], form: FormData) -> dict[str, Any]:
    """What the person entered, by field name (for the model, and to show the form again)."""
    values: dict[str, Any] = {}
    for f in fields:
        if f.kind == "checkbox":
            if form.get(f.name) == "on" or f.required:
                values[f.name] = form.get(f.name) == "on"
        elif f.kind == "yesno":
            if (chosen := YES_NO.get(str(form.get(f.name)))) is not None:
                values[f.name] = chosen
        elif f.kind in ("choices", "measures", "open_items"):
            values[f.name] = [v for v in form.getlist(f.name) if isinstance(v, str)]
        elif f.kind == "languages":  # one per row, rows left empty left out
            values[f.name] = [v.strip() for v in form.getlist(f.name)
                              if isinstance(v, str) and v.strip()]
        else:
            raw = form.get(f.name)
            text = raw.strip() if isinstance(raw, str) else ""
            if f.kind == "list":
                values[f.name] = [part.strip() for part in text.split(",") if part.strip()]
            elif text and f.kind == "datetime":
                values[f.name] = _helsinki(text)
            elif text:
                values[f.name] = text
    return values


def _helsinki(text: str) -> str:
    """A browser's local date and time (datetime-local) as the instant it is in Helsinki, where
    the console's users work; left as it was when it is not one, for the model to refuse."""
    try:
        local = datetime.fromisoformat(text)
    except ValueError:
        return text
    return (local if local.tzinfo else local.replace(tzinfo=HELSINKI)).isoformat()


def _listed(value: Any) -> Any:
    """Rows back into lists: `{"1": {...}, "3": {...}}` becomes `[{...}, {...}]`, empty rows
    left out."""
    if not isinstance(value, dict):
        return value
    value = {k: _listed(v) for k, v in value.items()}
    if value and all(k.isdigit() for k in value):
        return [value[k] for k in _filled(value)]
    return value


def _filled(rows: dict[str, Any]) -> list[str]:
    """The keys of a list's rows as they were entered, in order, leaving out rows left empty."""
    return [k for k, v in sorted(rows.items(), key=lambda kv: int(kv[0]))
            if v and (not isinstance(v, dict) or any(v.values()))]


def parse(model: type[BaseModel], fields: list[Field], values: dict[str, Any],
          **fixed: Any) -> tuple[BaseModel | None, dict[str, str]]:
    """The model from the form, or the errors by field name (never echoing what was entered)."""
    nested: dict[str, Any] = dict(fixed)
    for f in fields:
        if f.name not in values:
            continue
        *parents, leaf = f.name.split(".")
        target = nested
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = values[f.name]
    try:
        return model.model_validate(_listed(nested)), {}
    except ValidationError as err:
        errors: dict[str, str] = {}
        names = {f.name for f in fields}
        for e in err.errors():
            where = _field_of(e["loc"], nested, names)
            message = MESSAGES.get(e["type"]) or str(e["msg"]).removeprefix("Value error, ")
            errors.setdefault(where or "__all__", message)
        return None, errors


def _field_of(loc: tuple[Any, ...], nested: dict[str, Any], names: set[str]) -> str:
    """The form field an error is about: a list's index back to the row it was entered in; an
    error of a whole list at its first row."""
    parts: list[str] = []
    node: Any = nested
    for p in loc:
        if isinstance(p, int) and isinstance(node, dict):
            rows = _filled(node)
            key = rows[p] if p < len(rows) else str(p + 1)
        elif isinstance(p, int):
            continue  # a list entered in one field (comma-separated): the field itself
        else:
            key = str(p)
        parts.append(key)
        node = node.get(key) if isinstance(node, dict) else None
    where = ".".join(parts)
    if where not in names:  # a whole list: its first row's first field
        where = next((n for n in sorted(names) if n.startswith(f"{where}.1")), where)
    return where


def reason_in(form: FormData) -> str:
    """The reason a form gives for its step (1 to 4000 characters, else 422)."""
    raw = form.get("reason")
    reason = raw.strip() if isinstance(raw, str) else ""
    try:
        return Step(reason=reason).reason
    except ValidationError:
        raise Problem(Code.INVALID_REQUEST, "say why (a reason of 1 to 4000 characters)",
                      errors=[{"field": "reason", "message": "required"}]) from None


def version_in(form: FormData) -> int:
    """The case version the form was drawn from: the If-Match of its step."""
    raw = form.get("version")
    if not isinstance(raw, str) or not (raw.isascii() and raw.isdecimal()) or len(raw) > 12:
        raise Problem(Code.INVALID_REQUEST, "the form lost the case's version: reload the page")
    return int(raw)


def key_in(form: FormData) -> str:
    """The form's idempotency key: made when the form was drawn, so a double submit is one."""
    raw = form.get("key")
    try:
        return str(uuid.UUID(raw)) if isinstance(raw, str) else str(uuid.uuid4())
    except ValueError:
        return str(uuid.uuid4())

