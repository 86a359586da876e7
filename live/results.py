"""What a game leaves to keep: every player's answer to every question, points, score, time and rank.

The engine holds only the current question's answers (a question's table is freed when the next one is
put up: 10,000 of them a question). The results are read from the log instead: it is replayed into a fresh
engine, and each question's answers are taken just before the engine lets go of them. Points per player
and question come from the ledger, so corrections and reversals count as they did on the board.
"""

from __future__ import annotations

from typing import Any

from live.engine import Game, GameConfig
from live.messages import command_from_dict
from live.scoring import rank_players


def game_results(title: str, config: dict[str, Any], commands: list[tuple[int, dict[str, Any]]]) -> dict[str, Any]:
    """``{"questions": [...], "players": [...], "teams": [...]}`` of a game, from its configuration and log."""
    game = Game(GameConfig.from_dict(config))
    asked: dict[int, dict[str, Any]] = {}  # question number in the game -> its row
    answers: dict[int, dict[int, tuple[list[Any], bool | None]]] = {}

    def keep(run: Any) -> None:
        if run is None:
            return
        number = len(asked) + 1 if id(run) not in seen else seen[id(run)]
        seen[id(run)] = number
        q = run.question
        asked[number] = {"number": number, "question_id": q.id, "segment": run.segment.config.title or run.segment.config.kind,
                         "stem": q.stem, "answer": q.answer}
        answers[number] = {pid: (rec.value, rec.correct) for pid, rec in run.answers.items()}

    seen: dict[int, int] = {}
    for now_ms, data in commands:
        before = game.current
        game.handle(command_from_dict(data), now_ms)
        if before is not None and game.current is not before:
            keep(before)
    keep(game.current)

    points: dict[tuple[int, int], float] = {}
    for entry in game.ledger:
        if entry.player_id is not None and entry.question_id is not None:
            key = (entry.player_id, entry.question_id)
            points[key] = points.get(key, 0) + entry.delta
    teams = {team.id: team.config.name for team in game.teams.values()}
    players = []
    for place, tied, player in rank_players(game.players.values()):
        row_answers = []
        for number, question in asked.items():
            value, correct = answers[number].get(player.id, (None, None))
            row_answers.append({"answer": value, "correct": correct,
                                "points": points.get((player.id, question["question_id"]), 0)})
        players.append({"rank": place, "tied": tied, "player_id": player.id, "name": player.name,
                        "team_id": player.team_id, "team": teams.get(player.team_id or 0, ""), "score": player.score,
                        "time_ms": player.time_ms, "answered": sum(1 for a in row_answers if a["answer"] is not None),
                        "answers": row_answers})
    board = game.final_board()
    return {"title": title, "questions": list(asked.values()), "players": players,
            "teams": board["teams"]}
