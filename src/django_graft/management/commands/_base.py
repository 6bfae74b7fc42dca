"""What every graft_* command shares: root and policy options, error mapping."""

from __future__ import annotations

import contextlib
import sys
from argparse import ArgumentParser
from contextlib import AbstractContextManager
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

from django_graft.conf import graft_settings
from django_graft.exceptions import GraftError
from django_graft.operations import audit
from django_graft.policy.loading import default_policy, load_policy
from django_graft.policy.rules import Policy
from django_graft.render import progress
from django_graft.render.redact import redact
from django_graft.storage.failures import summary

#: What every archive argument accepts, for the commands' help.
LOCATIONS = (
    "a path, '-', an fsspec URL (s3://, gs://, az://, memory://...) or storage://ALIAS/name; "
    ".gz, .bz2, .xz and .zst names are compressed"
)
#: The same, where the archive must be read back ('-' cannot be).
SEEKABLE_LOCATIONS = LOCATIONS.replace("a path, '-', ", "a path, ")


class GraftCommand(BaseCommand):
    """Turn every ``GraftError`` into a ``CommandError``: a message, no traceback."""

    #: What an interruption (Ctrl-C) leaves, said after "Interrupted: ". Every
    #: operation writes in one transaction, or to a file it publishes whole.
    interrupted = "nothing was written."
    #: Whether the command runs from ``manage.py`` (an interruption then ends
    #: the process) rather than from ``call_command()``.
    from_command_line = False

    def run_from_argv(self, argv: list[str]) -> None:
        self.from_command_line = True
        super().run_from_argv(argv)

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.add_argument(
            "--no-progress",
            action="store_true",
            help="Never draw a progress bar (one is drawn on standard error when it is a "
            "terminal, unless GRAFT['PROGRESS'] is False).",
        )
        return parser

    def execute(self, *args: Any, **options: Any) -> str | None:
        watched = progress.watching(
            options.get("stderr") or sys.stderr,
            verbosity=int(options.get("verbosity", 1)),
            enabled=graft_settings.PROGRESS and not options.get("no_progress"),
        )
        try:
            with watched:
                return super().execute(*args, **options)
        except GraftError as exc:
            if options.get("traceback"):
                raise
            raise CommandError(exc.message) from exc
        except KeyboardInterrupt:
            if options.get("traceback"):
                raise
            message = f"Interrupted: {self.interrupted}"
            if self.from_command_line:
                # One line, and the exit status of a process ended by SIGINT.
                self.stderr.write(message)
                raise SystemExit(130) from None
            raise CommandError(message, returncode=130) from None
        except DatabaseError as exc:
            # Not one of ours: typically a database that cannot be reached.
            if options.get("traceback"):
                raise
            database = options.get("database") or DEFAULT_DB_ALIAS
            raise CommandError(
                redact(
                    f"The database '{database}' failed: {summary(exc).strip()}\nCheck its "
                    "entry in DATABASES and that its server is running."
                )
            ) from exc

    def recorded(
        self, operation: str, options: dict[str, Any], roots: list[str] | None = None
    ) -> AbstractContextManager[audit.Entry]:
        """The audit log entry of the operation run inside; none for a dry run."""
        if options.get("dry_run"):
            return contextlib.nullcontext(audit.Entry())
        return audit.recorded(
            operation,
            via="command",
            database=options["database"],
            roots=roots or [],
            username=audit.system_user(),
        )

    def warn(self, warnings: list[str], verbosity: int) -> None:
        """Print an operation's warnings on standard error, unless at verbosity 0."""
        if verbosity >= 1:
            for warning in warnings:
                self.stderr.write(f"warning: {warning}")

    def add_roots_argument(self, parser: ArgumentParser, *, verb: str) -> None:
        parser.add_argument(
            "roots", nargs="+", metavar="app.Model:PK[,PK...]", help=f"Objects to {verb}."
        )

    def add_database_argument(self, parser: ArgumentParser, *, purpose: str = "read from") -> None:
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            help=f"Database alias to {purpose} (default: %(default)s).",
        )

    def add_policy_argument(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--policy",
            metavar="DOTTED.PATH",
            help="Policy to use: a Policy instance or a function returning one "
            "(default: GRAFT['POLICY'], else the built-in defaults).",
        )

    def add_policy_arguments(self, parser: ArgumentParser) -> None:
        """``--policy`` and the options that extend it on the command line."""
        self.add_policy_argument(parser)
        parser.add_argument(
            "--reference",
            action="append",
            default=[],
            metavar="app.Model",
            help="Treat this model as a reference: pointed at by natural key, never "
            "copied. Repeatable.",
        )
        parser.add_argument(
            "--skip",
            action="append",
            default=[],
            metavar="app.Model.field",
            help="Do not follow this relation. Repeatable.",
        )

    def policy_from(self, options: dict[str, Any]) -> Policy:
        policy = load_policy(options["policy"]) if options.get("policy") else default_policy()
        if options.get("reference") or options.get("skip"):
            policy = policy.extend(
                edges=dict.fromkeys(options.get("skip", []), "skip"),
                reference=options.get("reference", []),
            )
        return policy

    def check_database(self, alias: str) -> str:
        if alias not in connections:
            known = ", ".join(sorted(connections))
            raise CommandError(f"Unknown database '{alias}': the databases are {known}.")
        return alias
