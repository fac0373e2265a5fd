"""An anonymous consultation, as recorded: choices only (`store.consultations` keeps them,
numbered in a series of their own)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StrictBool, field_validator

from workflows.model.vocabulary import (
    Advice,
    AgencyType,
    Exploitation,
    Model,
    Office,
    Situation,
    choices,
)


class Consultation(Model):
    """An anonymous consultation, by phone as a rule: who asked and about what, what was
    advised. Nothing of the person it was about: no name, no date, no words of the caller's,
    only choices, so that nothing recorded could point to anyone."""

    office: Office
    asked_by: AgencyType = Field(description="Who asked: an authority or organisation by its "
                                 "type, `self` for the person themself, `other` for a private "
                                 "person.")
    situation: Situation
    exploitation_forms: Annotated[list[Exploitation], choices(len(Exploitation))] = []
    advice: Annotated[list[Advice], Field(min_length=1), choices(len(Advice))]
    # Strict: a new record of our own, with no recorded payloads to decode (a 0 is no answer).
    referral_recommended: StrictBool
    minutes: int = Field(ge=1, le=600, description="How long the consultation took.")

    @field_validator("exploitation_forms", "advice")
    @classmethod
    def _each_once(cls, chosen: list[Any]) -> list[Any]:
        if len(set(chosen)) != len(chosen):
            raise ValueError("each choice at most once")
        return chosen
