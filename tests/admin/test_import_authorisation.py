"""Who may import what from the admin: every row authorised, judged on decoded values.

A clerk is a staff user with every permission on the user model (and view
on groups and permissions): enough to add and change accounts, not to make
one staff or superuser, nor to overwrite one, nor to hand out groups and
permissions. Each spelling of the user model and of "true", in each format
the page takes, is judged on what the field decodes; every refusal leaves
every table as it was.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from django_graft import Policy, delete, export
from django_graft.admin import background
from django_graft.admin.authorise import AdminAuthoriser
from django_graft.checks import check_settings
from django_graft.exceptions import PermissionRefused
from django_graft.importer.intent import ImportIntent
from tests.archive.signatures import signature_of, with_trailer
from tests.snapshots import every_table
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db

PAGE = "/admin/django_graft/graftlog/import/"
CLERK_PERMISSIONS = [
    "add_user",
    "change_user",
    "view_user",
    "delete_user",
    "view_group",
    "view_permission",
]
CREATE_STAFF = "superuser status, to create staff or superuser accounts: auth.user 900"


@pytest.fixture(autouse=True)
def storage(archive_storage: Path, settings: Any) -> Path:
    # Archives built here are unsigned: with ADMIN_IMPORT_REQUIRE_SIGNED on they, and
    # fixtures, would need a superuser before any rule tested here is reached.
    settings.GRAFT = {**settings.GRAFT, "ADMIN_IMPORT_REQUIRE_SIGNED": False}
    return archive_storage


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def staff(username: str, *codenames: str) -> User:
    user: User = User.objects.create_user(username, is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


@pytest.fixture
def clerk(db: None) -> User:
    return staff("clerk", *CLERK_PERMISSIONS)


@pytest.fixture
def boss(db: None) -> User:
    user: User = User.objects.create_superuser("boss")
    return user


def upload(client: Client, data: bytes, name: str, **options: str) -> str:
    form = {"step": "upload", "pks": "keep", "on_conflict": "fail", **options}
    response = client.post(PAGE, {**form, "archive": SimpleUploadedFile(name, data)})
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def confirm(client: Client, review: str, **options: str) -> Any:
    """Confirm the import the ``review`` page offered, as a POST would, allowed or not."""
    (name,) = set(re.findall(r'name="name" value="(graft/uploads/[^"]+)"', review))
    form = {"step": "confirm", "pks": "keep", "on_conflict": "fail", **options}
    return client.post(PAGE, {**form, "name": name})


def lacking(page: str) -> list[str]:
    found = re.search(r'<ul id="graft-lacking">(.*?)</ul>', page, re.S)
    return re.findall(r"<li>(.*?)</li>", found.group(1), re.S) if found else []


def error(page: str) -> str:
    found = re.search(r'<p class="errornote" id="graft-error">(.*?)</p>', page, re.S)
    return found.group(1) if found else ""


def sealed(header: dict[str, Any], items: list[dict[str, Any]]) -> bytes:
    """An archive of ``items`` with a trailer that verifies: what a hand-made one looks like."""
    body = b"".join(json.dumps(item).encode() + b"\n" for item in [header, *items])
    counts: dict[str, dict[str, int]] = {"model": {}, "ref": {}, "link": {}}
    for item in items:
        kind = next(k for k in counts if k in item)
        counts[kind][item[kind]] = counts[kind].get(item[kind], 0) + 1
    trailer = {
        "end": True,
        "counts": counts["model"],
        "references": counts["ref"],
        "links": counts["link"],
        "sha256": hashlib.sha256(body).hexdigest(),
    }
    return body + json.dumps(trailer).encode() + b"\n"


# -- one staff account, in every format and spelling ------------------------


def as_json(label: str, value: Any) -> tuple[str, bytes]:
    record = {"model": label, "pk": 900, "fields": {"username": "mallory", "is_staff": value}}
    return "users.json", json.dumps([record]).encode()


def as_jsonl(label: str, value: Any) -> tuple[str, bytes]:
    record = {"model": label, "pk": 900, "fields": {"username": "mallory", "is_staff": value}}
    return "users.jsonl", json.dumps(record).encode() + b"\n"


def as_yaml(label: str, value: str) -> tuple[str, bytes]:
    text = f"- model: {label}\n  pk: 900\n  fields:\n    username: mallory\n    is_staff: {value}\n"
    return "users.yaml", text.encode()


def as_xml(label: str, value: str) -> tuple[str, bytes]:
    text = (
        '<?xml version="1.0" encoding="utf-8"?>\n<django-objects version="1.0">'
        f'<object model="{label}" pk="900">'
        '<field name="username" type="CharField">mallory</field>'
        f'<field name="is_staff" type="BooleanField">{value}</field>'
        "</object></django-objects>\n"
    )
    return "users.xml", text.encode()


def as_archive(label: str, value: Any) -> tuple[str, bytes]:
    """An exported account, its label and flag spelt anew (the trailer made to match)."""
    mallory = User.objects.create_user("mallory", pk=900)
    buffer = io.BytesIO()
    export(mallory, buffer)
    mallory.delete()
    header, *items, _ = (json.loads(line) for line in buffer.getvalue().splitlines())
    for item in items:
        if item.get("model") == "auth.user":
            item["model"] = label
            item["fields"]["is_staff"] = value
    return "mallory.jsonl.gz", gzip.compress(sealed(header, items))


SPELLINGS: list[tuple[Callable[[str, Any], tuple[str, bytes]], str, Any]] = [
    (as_archive, "auth.user", True),
    (as_archive, "AUTH.USER", True),
    (as_archive, "auth.accountproxy", True),
    (as_json, "auth.user", True),
    (as_json, "auth.user", 1),
    (as_json, "auth.user", "t"),
    (as_json, "auth.user", "1"),
    (as_json, "auth.user", "True"),
    (as_json, "Auth.User", True),
    (as_json, "Auth.AccountProxy", "t"),
    (as_jsonl, "auth.user", True),
    (as_jsonl, "AUTH.USER", "1"),
    (as_jsonl, "auth.accountproxy", 1),
    (as_yaml, "auth.user", "true"),
    (as_yaml, "auth.user", "yes"),
    (as_yaml, "auth.user", "on"),
    (as_yaml, "auth.user", "1"),
    (as_yaml, "auth.user", "'t'"),
    (as_yaml, "AUTH.user", "True"),
    (as_yaml, "auth.accountproxy", "yes"),
    (as_xml, "auth.user", "True"),
    (as_xml, "auth.user", "1"),
    (as_xml, "auth.user", "t"),
    (as_xml, "AUTH.USER", "True"),
    (as_xml, "auth.accountproxy", "True"),
]


@pytest.mark.parametrize(
    ("spell", "label", "value"),
    SPELLINGS,
    ids=[f"{spell.__name__[3:]}-{label}-{value!r}" for spell, label, value in SPELLINGS],
)
def test_only_a_superuser_imports_a_staff_account(
    clerk: User, boss: User, spell: Callable[[str, Any], tuple[str, bytes]], label: str, value: Any
) -> None:
    name, data = spell(label, value)
    as_clerk, as_boss = login(clerk), login(boss)
    before = every_table()
    review = upload(as_clerk, data, name)
    assert lacking(review) == [CREATE_STAFF], error(review)
    assert 'id="graft-confirm"' not in review
    assert confirm(as_clerk, review).status_code == 403
    assert every_table() == before

    review = upload(as_boss, data, name)
    assert 'id="graft-confirm"' in review, error(review)
    assert 'id="graft-done"' in confirm(as_boss, review).content.decode()
    assert User.objects.filter(pk=900, username="mallory", is_staff=True).exists()


@pytest.mark.parametrize(
    ("spell", "value", "reason"),
    [
        (as_json, "yes", r"“yes” value must be either True or False"),
        (as_json, "on", r"“on” value must be either True or False"),
        (as_json, 2, r"“2” value must be either True or False"),
        (as_xml, "yes", r"“yes” value must be either True or False"),
    ],
)
def test_spellings_the_field_does_not_take_are_refused_to_everyone(
    clerk: User, boss: User, spell: Callable[[str, Any], tuple[str, bytes]], value: Any, reason: str
) -> None:
    name, data = spell("auth.user", value)
    clients = [login(clerk), login(boss)]
    before = every_table()
    for client in clients:
        review = upload(client, data, name)
        assert re.search(reason, error(review)), error(review)
        assert 'id="graft-confirm"' not in review
    assert every_table() == before


def make_staff(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        row["is_staff"] = True


@pytest.mark.parametrize(
    "policy",
    [
        Policy(set_fields={"auth.User.is_staff": True}),
        Policy(set_fields={"auth.User.is_superuser": lambda row: True}),
        Policy(hooks={"auth.User": {"pre_save": make_staff}}),
    ],
    ids=["set_fields", "set_fields-function", "pre_save"],
)
def test_the_policy_that_makes_an_account_staff_is_judged(
    clerk: User, boss: User, settings: Any, policy: Policy
) -> None:
    settings.GRAFT = {**settings.GRAFT, "POLICY": policy}
    name, data = as_json("auth.user", False)
    as_clerk, as_boss = login(clerk), login(boss)
    before = every_table()
    review = upload(as_clerk, data, name)
    assert lacking(review) == [CREATE_STAFF]
    assert confirm(as_clerk, review).status_code == 403
    assert every_table() == before
    review = upload(as_boss, data, name)
    assert 'id="graft-confirm"' in review
    confirm(as_boss, review)
    account = User.objects.get(pk=900)
    assert account.is_staff or account.is_superuser


def test_a_plain_account_needs_only_add(clerk: User) -> None:
    name, data = as_json("auth.user", "0")
    as_clerk = login(clerk)
    review = upload(as_clerk, data, name)
    assert lacking(review) == [] and 'id="graft-confirm"' in review, error(review)
    confirm(as_clerk, review)
    assert User.objects.filter(pk=900, is_staff=False).exists()


def test_overwriting_an_account_needs_a_superuser(clerk: User, boss: User) -> None:
    User.objects.create_user("victim", pk=900)
    name, data = as_json("auth.user", False)
    as_clerk = login(clerk)
    before = every_table()
    review = upload(as_clerk, data, name, on_conflict="update")
    assert lacking(review) == ["superuser status, to overwrite existing accounts: auth.user 900"]
    assert confirm(as_clerk, review, on_conflict="update").status_code == 403
    assert every_table() == before


def test_groups_and_memberships_need_a_superuser(boss: User) -> None:
    clerk = staff("clerk", *CLERK_PERMISSIONS, "add_group", "change_group")
    group = Group.objects.create(name="staff")
    grants = {
        "group": [{"model": "auth.group", "pk": group.pk + 1, "fields": {"name": "admins"}}],
        "membership": [
            {"model": "auth.user_groups", "pk": 70, "fields": {"user": clerk.pk, "group": group.pk}}
        ],
        "group permission": [
            {
                "model": "auth.group_permissions",
                "pk": 70,
                "fields": {"group": group.pk, "permission": Permission.objects.first().pk},
            }
        ],
    }
    as_clerk = login(clerk)
    before = every_table()
    for what, objects in grants.items():
        review = upload(as_clerk, json.dumps(objects).encode(), "grant.json")
        label = objects[0]["model"]
        assert lacking(review) == [
            f"superuser status, to write 1 row(s) of {label}, which grant groups or permissions"
        ], (what, error(review), lacking(review))
        assert confirm(as_clerk, review).status_code == 403
    assert every_table() == before


def test_a_fixture_listing_groups_writes_memberships(clerk: User) -> None:
    Group.objects.create(pk=1, name="staff")
    record = {"model": "auth.user", "pk": 900, "fields": {"username": "mallory", "groups": [1]}}
    as_clerk = login(clerk)
    before = every_table()
    review = upload(as_clerk, json.dumps([record]).encode(), "users.json")
    assert lacking(review) == [
        "superuser status, to write 1 row(s) of auth.user_groups, which grant groups or permissions"
    ]
    assert every_table() == before


# -- link records -------------------------------------------------------------


def deleted_org(world: World) -> bytes:
    buffer = io.BytesIO()
    delete(world.org, archive=buffer)
    return buffer.getvalue()


def test_link_records_need_change_on_the_rows_they_change(world: World, boss: User) -> None:
    audit = m.Audit.objects.get()
    data = deleted_org(world)
    almost = staff("almost")
    almost.user_permissions.add(*Permission.objects.exclude(codename="change_audit"))
    as_nobody, as_almost, as_boss = login(staff("nobody")), login(almost), login(boss)
    before = every_table()
    review = upload(as_nobody, data, "org.jsonl")
    assert "testapp.view_audit" in lacking(review) and 'id="graft-report"' not in review
    assert confirm(as_nobody, review).status_code == 403
    review = upload(as_almost, data, "org.jsonl")
    assert lacking(review) == ["testapp.change_audit"]
    assert confirm(as_almost, review).status_code == 403
    assert every_table() == before
    review = upload(as_boss, data, "org.jsonl")
    assert 'id="graft-confirm"' in review
    confirm(as_boss, review)
    audit.refresh_from_db()
    assert audit.project_id == world.projects[0].pk


def test_a_clerk_with_the_apps_permissions_imports_a_tree(world: World) -> None:
    """Content types are looked up by every archive: no permission is asked for them."""
    clerk = staff("clerk")
    clerk.user_permissions.add(*Permission.objects.filter(content_type__app_label="testapp"))
    data = deleted_org(world)
    as_clerk = login(clerk)
    review = upload(as_clerk, data, "org.jsonl")
    assert (error(review), lacking(review)) == ("", [])
    assert 'id="graft-done"' in confirm(as_clerk, review).content.decode()
    assert m.Organisation.objects.filter(pk=world.org.pk).exists()


def test_link_records_cannot_change_accounts(world: World) -> None:
    """A link record re-pointing a row of a membership table: only a superuser may."""
    clerk = staff("clerk", *[p.codename for p in Permission.objects.all()])
    admins = Group.objects.create(name="admins")
    clerk.groups.add(Group.objects.create(name="clerks"))
    membership = User.groups.through.objects.get()
    group_archive = io.BytesIO()
    export(admins, group_archive)
    group_header, group_record, *_ = (
        json.loads(line) for line in group_archive.getvalue().splitlines()
    )
    header, *items, _ = (json.loads(line) for line in deleted_org(world).splitlines())
    header["models"].update(group_header["models"])
    items += [
        {**group_record, "role": "need"},
        {
            "link": "auth.user_groups",
            "pk": membership.pk,
            "fields": {"group": admins.pk},
            "after": {"group": membership.group_id},
        },
    ]
    # Signed as this installation would: an unsigned one is refused for that first.
    data = with_trailer(
        sealed(header, items), lambda t: t.update(signature=signature_of(t["sha256"]))
    )
    as_clerk = login(clerk)
    before = every_table()
    review = upload(as_clerk, data, "org.jsonl")
    # Refused here, if the link record is not refused first for what it is.
    if not error(review).startswith("Line "):
        assert lacking(review) == [
            f"superuser status, to change through link records: auth.user_groups {membership.pk}"
        ], error(review)
    assert 'id="graft-confirm"' not in review
    assert confirm(as_clerk, review).status_code in (200, 403)
    assert every_table() == before


def test_the_authoriser_judges_link_records_on_accounts(clerk: User, boss: User) -> None:
    intent = ImportIntent(
        "default", models={}, relinked={User: {5, 6}, User.groups.through: {7}, m.Audit: {8}}
    )
    assert AdminAuthoriser(clerk).lacking(intent) == [
        "superuser status, to change through link records: auth.user 5, auth.user 6",
        "superuser status, to change through link records: auth.user_groups 7",
        "testapp.change_audit",
    ]
    assert AdminAuthoriser(boss).lacking(intent) == []
    with pytest.raises(PermissionRefused) as refused:
        AdminAuthoriser(clerk)(intent)
    assert refused.value.message == (
        "You may not import this archive; you lack: superuser status, to change through "
        "link records: auth.user 5, auth.user 6; superuser status, to change through link "
        "records: auth.user_groups 7; testapp.change_audit. Nothing was written."
    )


# -- no oracle ------------------------------------------------------------------


def the_answer(page: str) -> tuple[str, list[str], bool]:
    return error(page), lacking(page), 'id="graft-report"' in page


def test_no_oracle_for_models_the_user_cannot_view(world: World) -> None:
    """The answer for a row of a model the user cannot see does not depend on the row."""
    clerk = staff("clerk", "add_tag", "add_project")
    clerk.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="testapp", codename__startswith="view_"
        ).exclude(codename="view_tag")
    )
    as_clerk = login(clerk)
    before = every_table()
    answers = []
    for key in (world.tags[0].pk, 99999):  # a row that exists, one that does not
        for objects in (
            [{"model": "testapp.tag", "pk": key, "fields": {"name": "red"}}],
            [{"model": "testapp.project", "pk": 99999, "fields": {"name": "x", "tags": [key]}}],
        ):
            page = upload(as_clerk, json.dumps(objects).encode(), "t.json")
            answers.append(the_answer(page))
    refused = (
        "The archive names models you may not view, or points at rows of them: {}. "
        "Nothing was read from the database and nothing was written. Ask for the view "
        "permission on each, or for someone who has it to import the archive."
    )
    tag = (refused.format("testapp.tag"), ["testapp.view_tag"], False)
    # The project's tags are rows of its many-to-many table: change on the project.
    project = (
        refused.format("testapp.project_tags, testapp.tag"),
        ["testapp.change_project", "testapp.view_tag"],
        False,
    )
    assert answers == [tag, project, tag, project]
    assert every_table() == before


# -- the size limit, the check, the background job ------------------------------


def test_archives_over_admin_max_rows_are_refused_before_planning(
    world: World, boss: User, settings: Any
) -> None:
    buffer = io.BytesIO()
    export(world.org, buffer)
    records = len(buffer.getvalue().splitlines()) - 2
    settings.GRAFT = {**settings.GRAFT, "ADMIN_MAX_ROWS": records - 1}
    as_boss = login(boss)
    before = every_table()
    review = upload(as_boss, buffer.getvalue(), "org.jsonl")
    assert error(review) == (
        f"The archive holds {records} records, more than GRAFT['ADMIN_MAX_ROWS'] = "
        f"{records - 1} allows on the admin's import page. Nothing was done. Import it with "
        "manage.py graft_import, or raise the limit."
    )
    assert 'id="graft-report"' not in review
    assert every_table() == before
    settings.GRAFT = {**settings.GRAFT, "ADMIN_MAX_ROWS": records}
    assert "ADMIN_MAX_ROWS" not in upload(as_boss, buffer.getvalue(), "org2.jsonl")


def test_admin_max_rows_is_checked(settings: Any) -> None:
    settings.GRAFT = {"ADMIN_MAX_ROWS": 0}
    (found,) = check_settings()
    assert found.id == "graft.E025"
    assert found.msg.startswith("GRAFT['ADMIN_MAX_ROWS'] must be a positive integer")


def test_the_background_job_checks_again(clerk: User, storage: Path) -> None:
    name, data = as_json("auth.user", True)
    (storage / "graft").mkdir()
    (storage / "graft" / name).write_bytes(data)
    before = every_table()
    job: background.Job = {
        "operation": "import",
        "label": "",
        "pks": [],
        "database": "default",
        "user": clerk.pk,
        "options": {
            "location": f"storage://archives/graft/{name}",
            "pks": "keep",
            "on_conflict": "fail",
        },
    }
    result = background.run(job)
    assert (result["outcome"], result["message"]) == ("refused", CREATE_STAFF)
    assert every_table() == before


# -- records of what happened, and what names permissions ----------------------


def test_the_audit_log_is_never_written_from_the_admin(boss: User) -> None:
    """Its own admin page is read-only; an import must not rewrite history either."""
    from django_graft.models import GraftLog

    entry = GraftLog.objects.create(operation="delete", message="deleted org 1", user=boss)
    record = {
        "model": "django_graft.graftlog",
        "pk": entry.pk,
        "fields": {"operation": "delete", "message": "nothing happened", "via": "admin"},
    }
    before = list(GraftLog.objects.values_list())
    as_boss = login(boss)
    review = upload(as_boss, json.dumps([record]).encode(), "log.json", on_conflict="update")
    assert lacking(review) == [
        "an archive without rows of django_graft.graftlog: a record of what happened, which "
        "no import from the admin writes, whoever runs it (manage.py graft_import does)"
    ]
    assert confirm(as_boss, review, on_conflict="update").status_code == 403
    assert list(GraftLog.objects.values_list()) == before


def test_content_types_need_a_superuser(world: World) -> None:
    """Renaming a content type renames every permission on its model."""
    from django.contrib.contenttypes.models import ContentType

    tag = ContentType.objects.get_for_model(m.Tag)
    clerk = staff("clerk", *CLERK_PERMISSIONS, "change_contenttype", "view_contenttype")
    record = {
        "model": "contenttypes.contenttype",
        "pk": tag.pk,
        "fields": {"app_label": "auth", "model": "tag"},
    }
    as_clerk = login(clerk)
    before = every_table()
    review = upload(as_clerk, json.dumps([record]).encode(), "ct.json", on_conflict="update")
    assert lacking(review) == [
        "superuser status, to write 1 row(s) of contenttypes.contenttype, which name every "
        "permission"
    ]
    assert confirm(as_clerk, review, on_conflict="update").status_code == 403
    assert every_table() == before
