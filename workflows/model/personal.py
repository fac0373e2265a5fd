"""What each field of a case holds, as data protection sees it: marked once, on the field
(`Annotated[str, ABOUT]`), and read from there by everything that must know.

The marking decides what the log mask hides (`infra.logs.Mask`, given `state.LOGGED` when
logging is configured), which fields no list and no operations view may carry, and what
shredding must leave unreadable; `tests/workflows/model/test_personal.py` fails while a field
of the case's state has no class.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from enum import StrEnum
from typing import Any

from pydantic import BaseModel


class Personal(StrEnum):
    NO = "no"  # the case's own record: ids, codes, states, counts, the dates of its steps
    IDENTIFYING = "identifying"  # who the client is: names, birth date, nationality, languages
    ABOUT = "about"  # the client's life and situation: free text, needs, safety, where they live
    OTHERS = "others"  # someone else's: a support-network member's contact, a goal's responsible


NO, IDENTIFYING, ABOUT, OTHERS = Personal


def _models(annotation: Any) -> Iterator[type[BaseModel]]:
    """The models a field's type holds (itself, or in a list, a union, an Optional)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    elif typing.get_origin(annotation) is not typing.Literal:
        for arg in typing.get_args(annotation):
            yield from _models(arg)


def classes(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, Personal | None]]:
    """Every field of the model as a path (`person.surname`, `steps[].reason`) with its class;
    a field holding models is classed by theirs. None: a field not marked."""
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        nested = list(_models(info.annotation))
        marked = [m for m in info.metadata if isinstance(m, Personal)]
        if nested and not marked:
            listed = typing.get_origin(info.annotation) is list
            for inner in nested:
                yield from classes(inner, f"{path}{'[]' if listed else ''}.")
        else:
            yield path, marked[0] if marked else None


def personal(model: type[BaseModel]) -> set[str]:
    """The paths of the model's personal fields."""
    return {path for path, kind in classes(model) if kind not in (NO, None)}


def values(instance: BaseModel, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """The personal values an instance holds, with their paths: what no list, log or read
    model may show in clear."""
    for name, info in type(instance).model_fields.items():
        value, path = getattr(instance, name), f"{prefix}{name}"
        marked = [m for m in info.metadata if isinstance(m, Personal)]
        if marked:
            if marked[0] is not NO and value not in (None, "", [], {}):
                yield path, value
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, BaseModel):
                yield from values(item, f"{path}{'[]' if isinstance(value, list) else ''}.")


def keys(*models: type[BaseModel]) -> frozenset[str]:
    """The names a personal field goes by in these models: what a log line must never show."""
    found = {path.rsplit(".", 1)[-1].removesuffix("[]") for m in models for path in personal(m)}
    # A model made of personal fields alone is personal under its own name too (`person`).
    for model in models:
        for name, info in model.model_fields.items():
            inner = list(_models(info.annotation))
            if inner and all(personal(m) == {p for p, _ in classes(m)} for m in inner):
                found.add(name)
    return frozenset(found)
