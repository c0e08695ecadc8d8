"""Measure the current tree against an earlier commit in the same run, on the same machine.

`--baseline REV` in `pages.py`, `export.py` and `load.py` uses these helpers:

- `checkout(REV)` makes a `git worktree` of REV in a temporary folder (sharing this tree's
  virtualenv and `node_modules`) and removes it at the end;
- `database_urls(folder)` gives each tree its own scratch database: two SQLite files, or on
  PostgreSQL the database in DATABASE_URL for the current tree and a second one, created
  beside it, for the baseline;
- `tree_environment(tree, url)` is the environment a child process needs to run the code of
  that tree (`BENCH_TREE`, read by the benchmark scripts in place of their own folder).

Figures are paired: the two trees are measured alternately, round after round, and each
round's ratio (current ÷ baseline) is kept; the median of those ratios is reported, so a
burst of load from elsewhere on the machine touches both sides of a pair alike.
"""

import os
import shutil
import statistics
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent.parent
GIT = shutil.which("git") or "git"


def tree_root() -> Path:
    """Return the tree whose code this process runs: BENCH_TREE, else this one."""
    return Path(os.environ.get("BENCH_TREE") or HERE)


@contextmanager
def checkout(revision: str) -> Iterator[Path]:
    """Yield a worktree of `revision` in a temporary folder; remove it afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="bench-baseline-"))
    tree = folder / "tree"
    subprocess.run(  # noqa: S603 - git with our own arguments
        [GIT, "-C", str(HERE), "worktree", "add", "--detach", "--quiet", str(tree), revision],
        check=True,
    )
    try:
        if (HERE / "node_modules").exists():
            (tree / "node_modules").symlink_to(HERE / "node_modules")
        yield tree
    finally:
        subprocess.run(  # noqa: S603
            [GIT, "-C", str(HERE), "worktree", "remove", "--force", str(tree)], check=False
        )
        shutil.rmtree(folder, ignore_errors=True)


def revision_name(revision: str) -> str:
    done = subprocess.run(  # noqa: S603
        [GIT, "-C", str(HERE), "rev-parse", "--short", revision],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def database_urls(folder: str) -> tuple[str, str]:
    """Return (current, baseline) database URLs: scratch SQLite files, or two PostgreSQL
    databases when DATABASE_URL names a PostgreSQL one (the second is created if needed).

    BENCH_DATABASE_URLS="CURRENT,BASELINE" names two databases seeded before instead (for
    example two copies of one already holding the sizes measured, when both trees have the
    same migrations): seeding 10,000 learners twice takes a while on a busy machine.
    """
    given = os.environ.get("BENCH_DATABASE_URLS")
    if given:
        current, baseline = given.split(",")
        return current, baseline
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return f"sqlite:///{folder}/current.sqlite3", f"sqlite:///{folder}/baseline.sqlite3"
    import dj_database_url
    import psycopg

    parts = urlsplit(url)
    config = dj_database_url.parse(url)
    name = config["NAME"] + "_baseline"
    admin = psycopg.connect(
        host=config["HOST"] or None,
        port=config["PORT"] or None,
        user=config["USER"] or None,
        password=config["PASSWORD"] or None,
        dbname=config["NAME"],
        autocommit=True,
    )
    with admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{name}"')
    return url, urlunsplit(parts._replace(path="/" + name))


def tree_environment(tree: Path, database_url: str) -> dict[str, str]:
    return {**os.environ, "BENCH_TREE": str(tree), "DATABASE_URL": database_url}


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} ({os.cpu_count()} cores)"


def paired(current: list[float], baseline: list[float]) -> tuple[float, float, float]:
    """Return the medians of both sides and the median of the per-round ratios."""
    ratios = [c / b for c, b in zip(current, baseline, strict=True) if b]
    return (
        statistics.median(current),
        statistics.median(baseline),
        statistics.median(ratios) if ratios else float("nan"),
    )
