"""The test matrix: every supported Python, Django and database.

``nox`` runs all of it (``nox -l`` lists the sessions); pick with ``-s``, for
instance ``nox -s "tests(python='3.12', django='5.2', db='mariadb')"``, or
filter with ``-k``: ``nox -k "mariadb and 4.2"``. The database servers are
the throwaway ones the test command starts (``tests.pgcluster``,
``tests.mariadbcluster``); PostgreSQL, MariaDB with ``libmariadb-dev`` and
``pkg-config``, and Chromium come from the system (``scripts/test.sh``
installs them). Arguments after ``--`` go to pytest.
"""

from __future__ import annotations

import glob
import os

import nox

# pyenv's shims answer only for the versions it is told to use: put every
# installed version's own directory on the PATH, where nox looks.
_pyenv = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
os.environ["PATH"] = os.pathsep.join(
    [*sorted(glob.glob(f"{_pyenv}/versions/3.*/bin")), os.environ.get("PATH", "")]
)
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True

DJANGO = {"4.2": "Django>=4.2,<5", "5.2": "Django>=5.2,<6", "6": "Django>=6,<7"}
#: The Pythons each Django release supports, among the project's 3.10 to 3.13.
PYTHONS = {
    "4.2": ["3.10", "3.11", "3.12"],
    "5.2": ["3.10", "3.11", "3.12", "3.13"],
    "6": ["3.12", "3.13"],
}
SERVER = {
    "sqlite": [],
    "postgres": ["python", "-m", "tests.pgcluster", "--databases", "graft,graft_other", "--"],
    "mariadb": ["python", "-m", "tests.mariadbcluster", "--databases", "graft,graft_other", "--"],
}

COMBINATIONS = [
    (python, django, db) for django in DJANGO for python in PYTHONS[django] for db in SERVER
]


@nox.session
@nox.parametrize(("python", "django", "db"), COMBINATIONS)
def tests(session: nox.Session, django: str, db: str) -> None:
    extras = "dev,mariadb" if db == "mariadb" else "dev"
    # The task workers' backend (django-tasks-db) needs Django 5.2+, and the backport before 6.0.
    workers = {"4.2": [], "5.2": ["django-tasks-db[compat]>=0.13"]}.get(django, [".[tasks]"])
    session.install("-e", f".[{extras}]", DJANGO[django], *workers)
    session.run(*SERVER[db], "python", "-m", "pytest", *session.posargs, env={"GRAFT_TEST_DB": db})
