"""The system checks: one test per check id, and the row limit they guard."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from django_graft import LimitExceeded, clone, delete, export, import_archive
from django_graft.checks import CHECK_IDS, check_relations, check_settings
from django_graft.policy.rules import Policy
from tests.testapp.world import World


def ids(messages: list[Any]) -> list[str]:
    return [message.id for message in messages]


def test_no_settings_no_errors() -> None:
    assert check_settings() == []


@pytest.mark.parametrize(
    ("graft", "check_id", "text"),
    [
        ([("POLICY", None)], "graft.E001", "settings.GRAFT must be a dict, not list."),
        ({"BATCHSIZE": 10}, "graft.E002", "settings.GRAFT has an unknown key 'BATCHSIZE'."),
        (
            {"POLICY": "nowhere.policy"},
            "graft.E003",
            "GRAFT['POLICY'] Cannot import policy 'nowhere.policy'",
        ),
        ({"BATCH_SIZE": 0}, "graft.E004", "GRAFT['BATCH_SIZE'] must be a positive integer"),
        ({"CHUNK_SIZE": "many"}, "graft.E005", "GRAFT['CHUNK_SIZE'] must be a positive integer"),
        ({"STORAGE": "archives"}, "graft.E006", "GRAFT['STORAGE'] names 'archives', which is not"),
        ({"STORAGE_OPTIONS": {"s3": 1}}, "graft.E007", "GRAFT['STORAGE_OPTIONS'] must map"),
        ({"PROGRESS": "yes"}, "graft.E008", "GRAFT['PROGRESS'] must be True or False"),
        ({"MAX_ROWS": -1}, "graft.E009", "GRAFT['MAX_ROWS'] must be a positive integer"),
        ({"ADMIN_ACTIONS": 1}, "graft.E011", "GRAFT['ADMIN_ACTIONS'] must be True or False"),
        ({"MAX_UPLOAD_BYTES": 0}, "graft.E012", "GRAFT['MAX_UPLOAD_BYTES'] must be a positive"),
        ({"BACKGROUND_ROWS": "10"}, "graft.E013", "GRAFT['BACKGROUND_ROWS'] must be a positive"),
        ({"PROGRESS_CACHE": "nowhere"}, "graft.E033", "GRAFT['PROGRESS_CACHE'] names 'nowhere'"),
        ({"MAX_ARCHIVE_BYTES": 0}, "graft.E014", "GRAFT['MAX_ARCHIVE_BYTES'] must be a positive"),
        ({"MAX_LINE_BYTES": None}, "graft.E015", "GRAFT['MAX_LINE_BYTES'] must be a positive"),
        ({"MAX_DEPTH": 1.5}, "graft.E016", "GRAFT['MAX_DEPTH'] must be a positive integer"),
        ({"INSTALLATION_ID": ""}, "graft.E050", "GRAFT['INSTALLATION_ID'] must be None or a"),
    ],
)
def test_each_bad_setting_has_its_check(graft: Any, check_id: str, text: str) -> None:
    with override_settings(GRAFT=graft):
        errors = check_settings()
    assert ids(errors) == [check_id]
    assert errors[0].msg.startswith(text), errors[0].msg
    assert errors[0].hint


def test_unknown_key_suggests_the_close_one() -> None:
    with override_settings(GRAFT={"BATCHSIZE": 10}):
        (error,) = check_settings()
    assert str(error.hint).startswith("Did you mean 'BATCH_SIZE'? The keys are: POLICY, ")


def test_contenttypes_must_be_installed(settings: Any) -> None:
    from django.apps import apps

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(apps, "is_installed", lambda name: name != "django.contrib.contenttypes")
        assert ids(check_settings()) == ["graft.E010"]


def test_every_check_id_is_listed() -> None:
    assert sorted(CHECK_IDS) == [
        *(f"graft.E{n:03}" for n in range(1, 18)),
        "graft.E025",
        *(f"graft.E{n:03}" for n in range(30, 34)),
        *(f"graft.E{n:03}" for n in range(40, 43)),
        "graft.E050",
        "graft.W001",
        "graft.W030",
        "graft.W031",
    ]


def test_unclassified_relations_warn_until_the_policy_decides(settings: Any) -> None:
    from django.apps import apps

    testapp = [apps.get_app_config("testapp")]
    warnings = check_relations(app_configs=testapp)
    assert set(ids(warnings)) == {"graft.W001"}
    labels = {w.msg.split(":")[0] for w in warnings}
    assert "testapp.project.audits" in labels and "testapp.person.leads" in labels
    assert "testapp.project.tasks" not in labels  # CASCADE: owned, no guess
    decided = Policy(edges=dict.fromkeys(labels, "skip"))
    settings.GRAFT = {"POLICY": decided}
    assert check_relations(app_configs=testapp) == []


@pytest.mark.django_db(databases=["default", "other"])
def test_checks_run_before_commands() -> None:
    from django.core.management.base import SystemCheckError

    with override_settings(GRAFT={"CHUNK_SIZE": 0}), pytest.raises(SystemCheckError) as info:
        call_command("check")
    assert "(graft.E005) GRAFT['CHUNK_SIZE'] must be a positive integer, not 0." in str(info.value)


@pytest.mark.django_db(databases=["default", "other"])
def test_max_rows_refuses_every_writing_operation(world: World, settings: Any) -> None:
    archive = io.BytesIO()
    export(world.org, archive)
    settings.GRAFT = {"MAX_ROWS": 5}
    for operation in (
        lambda: export(world.org, io.BytesIO()),
        lambda: clone(world.org),
        lambda: delete(world.org),
        lambda: import_archive(io.BytesIO(archive.getvalue()), using="other"),
    ):
        with pytest.raises(LimitExceeded, match=r"more than GRAFT\['MAX_ROWS'\] = 5 allows"):
            operation()
    assert delete(world.org, dry_run=True).dry_run  # a preview is not limited


@pytest.mark.django_db(databases=["default", "other"])  # Django's own checks ask the databases
def test_unclassified_relations_are_left_to_the_deploy_checks() -> None:
    """Leaving them out is the documented default: no warning on every command."""
    out, err = io.StringIO(), io.StringIO()
    call_command("check", stdout=out, stderr=err)
    assert "graft.W001" not in out.getvalue() + err.getvalue()
    out, err = io.StringIO(), io.StringIO()
    # Other deploy checks may find errors in the test settings: only the listing counts.
    call_command("check", "--deploy", "--fail-level", "CRITICAL", stdout=out, stderr=err)
    assert "graft.W001" in err.getvalue()


def test_graft_inspect_check_lists_them_with_their_fix() -> None:
    out = io.StringIO()
    call_command("graft_inspect", "--check", stdout=out)
    text = out.getvalue()
    assert "graft.W001 testapp.project.audits: rows of testapp.audit" in text
    assert "HINT: Decide in the policy: edges={'testapp.project.audits': 'own'}" in text
    count = text.count("graft.W001 ")
    assert text.rstrip().endswith(
        f"{count} relation(s) left to the default rule: their rows stay out of every tree. "
        "Name them in the policy to make that a decision."
    )


def test_graft_inspect_without_a_target_says_what_it_takes() -> None:
    with pytest.raises(CommandError, match="or ask for --check"):
        call_command("graft_inspect", stdout=io.StringIO())
