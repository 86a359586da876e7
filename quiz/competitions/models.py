"""Tables of competitions (CONTRACT §6): teams and their members, rounds, entries, scores, tie-breaks.

A competition has teams (a team: a name, a unit, members in seat order) and rounds, at most
one per stage (prelim → semifinal → final). A round ranks the teams entered in it
(``RoundTeam``; the first round by stage takes every team of the competition). Scores come from
the round's exam, its live game, or ``RoundScore`` rows entered by an organiser (which win).
``RoundTiebreak`` keeps the result of each tie-break played, never edited: the newest that
covers a tied group orders it. Advancing and awarding prizes are stored on the round so that
doing either again changes nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

STAGES = ("prelim", "semifinal", "final")
STAGE_NAMES = {"prelim": "初赛", "semifinal": "复赛", "final": "决赛"}
FORMAT_NAMES = {"exam": "线上测试", "live": "现场竞赛"}


def stage_index(stage: str) -> int:
    return STAGES.index(stage) if stage in STAGES else len(STAGES)


class Competition(SQLModel, table=True):
    __tablename__ = "competition"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_ms: int = 0


class Team(SQLModel, table=True):
    __tablename__ = "team"
    __table_args__ = (UniqueConstraint("competition_id", "name", name="uq_team_competition_name"),)

    id: int | None = Field(default=None, primary_key=True)
    competition_id: int = Field(foreign_key="competition.id", index=True)
    name: str = Field(max_length=100)
    unit: str = Field(default="", max_length=200)
    created_ms: int = 0


class TeamMember(SQLModel, table=True):
    """A player of a team; ``seat`` (1, 2, 3 …) is the order used by ``required`` segments."""

    __tablename__ = "team_member"
    __table_args__ = (
        UniqueConstraint("competition_id", "user_id", name="uq_team_member_one_team"),
        UniqueConstraint("team_id", "seat", name="uq_team_member_seat"),
    )

    id: int | None = Field(default=None, primary_key=True)
    competition_id: int = Field(foreign_key="competition.id", index=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    seat: int = 1


class Round(SQLModel, table=True):
    """One stage of a competition, played as an online test (``exam``) or a live game (``live``)."""

    __tablename__ = "competition_round"
    __table_args__ = (UniqueConstraint("competition_id", "stage", name="uq_round_competition_stage"),)

    id: int | None = Field(default=None, primary_key=True)
    competition_id: int = Field(foreign_key="competition.id", index=True)
    name: str = Field(max_length=100)
    stage: str = Field(max_length=16)
    format: str = Field(default="exam", max_length=16)
    exam_id: int | None = None  # no foreign key: the exams area is optional
    live_id: int | None = None  # the live game bound to this round (set by the live layer)
    team_score: str = Field(default="sum", max_length=16)
    advance: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    prizes: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_ms: int = 0
    # Set once by "advance": who went on, and to which round.
    advanced_ms: int | None = None
    advanced_team_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    next_round_id: int | None = None
    # Set once by "award prizes": [{"team_id", "prize"}].
    awarded_ms: int | None = None
    awards: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class RoundTeam(SQLModel, table=True):
    """A team entered in a round (by advancement, or by an organiser)."""

    __tablename__ = "round_team"

    round_id: int = Field(foreign_key="competition_round.id", primary_key=True)
    team_id: int = Field(foreign_key="team.id", primary_key=True, index=True)
    source: str = Field(default="advance", max_length=16)
    entered_ms: int = 0


class RoundScore(SQLModel, table=True):
    """A team's score entered by an organiser (an offline round, or a correction); wins over computed ones."""

    __tablename__ = "round_score"

    round_id: int = Field(foreign_key="competition_round.id", primary_key=True)
    team_id: int = Field(foreign_key="team.id", primary_key=True)
    score: float = 0
    time_ms: int = 0
    updated_by: int | None = Field(default=None, foreign_key="user.id")
    updated_ms: int = 0


class RoundTiebreak(SQLModel, table=True):
    """The result of a tie-break: ``places`` lists groups of team ids, best first; a group of
    several teams still shares its place. Appended, never edited: the newest covering a tie wins."""

    __tablename__ = "round_tiebreak"

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="competition_round.id", index=True)
    places: list[list[int]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    source: str = Field(default="manual", max_length=16)
    note: str = Field(default="", max_length=200)
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_ms: int = 0


class RoundGroup(SQLModel, table=True):
    """A group of a round (分组赛): its teams, in the order they were set or dealt, and its live game.

    ``seeding`` says how the groups were made (``manual``, ``snake``, ``random``); a random draw
    keeps its ``seed`` so anyone can deal it again and check it.
    """

    __tablename__ = "round_group"
    __table_args__ = (UniqueConstraint("round_id", "name", name="uq_round_group_name"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="competition_round.id", index=True)
    name: str = Field(max_length=50)
    position: int = 0
    team_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    seeding: str = Field(default="manual", max_length=16)
    seed: int | None = None
    live_id: int | None = None  # the group's live game
    created_ms: int = 0


class TeamMemberPast(SQLModel, table=True):
    """A player who left a team (a substitute took the seat): kept so that the rounds played
    before still show who played them, and the export lists every player a team used."""

    __tablename__ = "team_member_past"

    id: int | None = Field(default=None, primary_key=True)
    competition_id: int = Field(foreign_key="competition.id", index=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    seat: int = 1
    removed_ms: int = 0
