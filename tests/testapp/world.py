"""Build the zoo's data: one tenant tree of a chosen size among shared rows."""

from __future__ import annotations

import datetime
import decimal
import uuid
from dataclasses import dataclass, field
from typing import Any

import django
from django.contrib.contenttypes.models import ContentType

from . import models as m
from .catalogues import build_catalogues


@dataclass
class World:
    org: m.Organisation
    other_org: m.Organisation
    people: list[m.Person]
    tags: list[m.Tag]
    projects: list[m.Project] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


def sample_values(index: int = 0) -> dict[str, Any]:
    """Values at the edges of what each type holds."""
    return {
        "char": f"naïve café ✓ {index}",
        "text": 'line one\nline two\t"quoted" \\ back',
        "integer": -(2**31) + index,
        "big": 2**62 + index,
        "small": -32768,
        "positive_big": 2**63 - 1,
        "floating": 1.0 / 3.0,
        # 15 significant digits: what SQLite keeps exactly.
        "decimal": decimal.Decimal("-1234567.12345678"),
        "flag": True,
        "maybe": None,
        "day": datetime.date(1999, 12, 31),
        "moment": datetime.datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=datetime.timezone.utc),
        "clock": datetime.time(13, 14, 15, 161718),
        "span": datetime.timedelta(days=1, hours=2, minutes=3, seconds=4, microseconds=5),
        "ident": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "data": {"nested": [1, 2.5, None, True, "ü"], "empty": {}},
        "blob": b"\x00\x01\xfe\xff binary",
        "email": "ada@example.com",
        "address": "2001:db8::1",
        "attachment": "samples/report.pdf",
    }


def build_tenant(org: m.Organisation, world: World, size: int) -> list[m.Project]:
    """Give ``org`` a tree whose row count grows linearly with ``size``."""
    people, tags = world.people, world.tags
    projects: list[m.Project] = m.Project.objects.bulk_create(
        m.Project(organisation=org, name=f"{org.name}-p{i}", lead=people[i % 3])
        for i in range(2 * size)
    )
    m.Membership.objects.bulk_create(
        m.Membership(project=p, person=people[(i + k) % len(people)], role="member")
        for i, p in enumerate(projects)
        for k in range(2)
    )
    through = m.Project.tags.through
    through.objects.bulk_create(
        through(project_id=p.pk, tag_id=tags[(i + k) % len(tags)].pk)
        for i, p in enumerate(projects)
        for k in range(2)
    )
    milestones = m.Milestone.objects.bulk_create(
        m.Milestone(project=p, title=f"ms{k}", due=datetime.date(2025, 1, k + 1))
        for p in projects
        for k in range(2)
    )
    for p, ms in zip(projects, milestones[::2], strict=True):
        p.current_milestone = ms
    m.Project.objects.bulk_update(projects, ["current_milestone"])
    tops = m.Task.objects.bulk_create(
        m.Task(project=p, title=f"t{k}", assignee=people[k % len(people)])
        for p in projects
        for k in range(3)
    )
    subs = m.Task.objects.bulk_create(
        m.Task(project=t.project, parent=t, title=f"{t.title}.{k}", blocked_by=tops[i - 1])
        for i, t in enumerate(tops)
        for k in range(2)
    )
    if django.VERSION >= (5, 2):
        m.TaskTag.objects.bulk_create(
            m.TaskTag(task=t, tag=tags[i % len(tags)], weight=i) for i, t in enumerate(subs)
        )
    documents = m.Document.objects.bulk_create(
        m.Document(project=p, file=f"docs/{p.pk}.txt", payload=b"\x00doc", data={"p": p.pk})
        for p in projects
    )
    m.Sample.objects.bulk_create(
        m.Sample(project=p, **sample_values(i)) for i, p in enumerate(projects)
    )
    ct = ContentType.objects.get_for_model
    m.Note.objects.bulk_create(
        [
            m.Note(content_type=ct(m.Organisation), object_id=str(org.pk), text="org note"),
            *(m.Note(content_type=ct(m.Project), object_id=str(p.pk), text="p") for p in projects),
            *(
                m.Note(content_type=ct(m.Document), object_id=str(d.pk), text="d")
                for d in documents
            ),
        ]
    )
    for i in range(size):
        m.Place.objects.create(organisation=org, name=f"place{i}")
        m.Restaurant.objects.create(organisation=org, name=f"resto{i}", serves_pizza=True)
        m.ItalianRestaurant.objects.create(organisation=org, name=f"ital{i}", chef=people[0])
    return projects


def build_world(size: int = 1) -> World:
    """Two tenants sharing people and tags, plus rows pointing in from outside."""
    fr = m.Country.objects.create(code="fr", name="France")
    m.Country.objects.create(code="de", name="Germany")
    people = [m.Person.objects.create(username=f"person{i}", country=fr) for i in range(6)]
    for person in people[:3]:
        m.Profile.objects.create(person=person, bio=f"about {person.username}")
    tags = [m.Tag.objects.create(name=name) for name in ("red", "green", "blue", "gold")]
    world = World(
        org=m.Organisation.objects.create(name="Acme"),
        other_org=m.Organisation.objects.create(name="Globex"),
        people=people,
        tags=tags,
    )
    world.projects = build_tenant(world.org, world, size)
    other_projects = build_tenant(world.other_org, world, 1)
    # Rows outside both trees that point into the first one.
    m.Audit.objects.create(project=world.projects[0], task=world.projects[0].tasks.first())
    m.Contract.objects.create(project=other_projects[0])
    m.Bookmark.objects.create(owner=people[4], target=world.projects[0])
    m.Bookmark.objects.create(owner=people[5], target=world.other_org)
    m.Shipment.objects.create(country=fr, recipient=people[1])
    if django.VERSION >= (6, 1):
        shelf = m.Shelf.objects.create(name="shelf")
        books = [m.Book.objects.create(shelf=shelf, title=f"book{i}") for i in range(3)]
        m.Loan.objects.create(book=books[0])
        world.extra.update(shelf=shelf, book=books[0])
    bottom = m.Bottom.objects.create(left_value=1, right_value=2, bottom_value=3)
    left = m.Left.objects.create(left_value=9)
    chicken = _chicken_and_egg()
    world.extra.update(bottom=bottom, left=left, chicken=chicken, fr=fr)
    world.extra["catalogue roots"] = build_catalogues()
    return world


def _chicken_and_egg() -> m.Chicken:
    """Write a cycle with no nullable edge.

    PostgreSQL and SQLite check the keys at commit; MariaDB checks each row at
    once, so its checks are off while the two rows are written.
    """
    from django.core.management.color import no_style
    from django.db import connection, transaction

    with transaction.atomic(), connection.constraint_checks_disabled():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        chicken_pk = (
            m.Chicken.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        ) + 1
        egg_pk = (m.Egg.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
        m.Chicken.objects.bulk_create([m.Chicken(pk=chicken_pk, egg_id=egg_pk, name="hen")])
        m.Egg.objects.bulk_create([m.Egg(pk=egg_pk, chicken_id=chicken_pk)])
        # Keys given by hand leave PostgreSQL's sequences behind: move them on, as
        # loaddata does, so the next rows the database numbers do not collide.
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [m.Chicken, m.Egg]):
                cursor.execute(sql)
    chicken: m.Chicken = m.Chicken.objects.get(pk=chicken_pk)
    return chicken
