"""Regenerate the initial Alembic migration from the models (only until the first release).

    .venv/bin/python tools/regen_initial_migration.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine

ROOT = Path(__file__).resolve().parents[1]
VERSIONS = ROOT / "quiz" / "migrations" / "versions"


def main() -> None:
    for old in VERSIONS.glob("0001_*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/empty.db"
        config = Config()
        config.set_main_option("script_location", str(ROOT / "quiz" / "migrations"))
        config.set_main_option("sqlalchemy.url", url)
        engine = create_engine(url)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.revision(config, message="initial schema", autogenerate=True, rev_id="0001")
    print("written:", *VERSIONS.glob("0001_*.py"))


if __name__ == "__main__":
    main()
