"""Deterministic demo and benchmark data for the ``tenants`` app.

Everything is written with a handful of bulk INSERTs per model, so even a
100,000-row organisation takes seconds, not minutes. The same ``rng_seed`` on an
empty (or reset) database produces the same rows, primary keys included.

* :func:`seed` wipes the tenants tables and builds several organisations.
* :func:`seed_tree` adds one organisation of roughly ``rows`` rows, reusing
  the shared users and tags; benchmarks use it to get a tree of known size.
* :func:`clear` empties the tenants tables (shared users are kept).
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.management.color import no_style
from django.db import connections, models, transaction
from django.db.models.fields.files import FileField
from django.utils.text import slugify

from django_graft.db.gcpause import cyclic_gc_paused

from .models import (
    AgendaItem,
    Comment,
    Meeting,
    Membership,
    Motion,
    Organisation,
    Participant,
    Proposal,
    Tag,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from django.core.files.storage import Storage

__all__ = ["DEMO_PASSWORD", "SeedError", "clear", "seed", "seed_tree"]

M = TypeVar("M", bound=models.Model)

#: Password of every generated ``userNN`` account.
DEMO_PASSWORD = "demo"

# Rows per INSERT statement. Backends with a bind-parameter limit (SQLite)
# get smaller batches from bulk_create automatically; this caps the size of
# a single statement on the others.
BATCH_SIZE = 1000

# A fixed "now" keeps the data identical from one run to the next.
EPOCH = dt.datetime(2024, 1, 8, 9, 0, tzinfo=dt.timezone.utc)

# Shape of a meeting. seed_tree() derives its meeting count from these, so
# keep _expected_rows_per_meeting() in step when changing them.
TAGS_PER_MEETING = (1, 3)
PARTICIPANTS_PER_MEETING = (3, 6)
PROPOSALS_PER_ITEM = (0, 3)
MOTION_SHARE = 1 / 3
COMMENTS_PER_MEETING = (0, 3)
COMMENTS_PER_PROPOSAL = (0, 1)
COMMENTS_PER_ORGANISATION = 3
SUB_ITEM_SHARE = 0.4
MAX_ITEM_DEPTH = 2
TREE_ITEMS_PER_MEETING = 8
TREE_MIN_USERS = 10

TAG_NAMES = (
    "budget",
    "urgent",
    "hr",
    "finance",
    "legal",
    "safety",
    "maintenance",
    "events",
    "membership",
    "it",
    "strategy",
    "compliance",
)

ORGANISATION_NAMES = (
    "Riverside Housing Cooperative",
    "Northwind Rowing Club",
    "Greenfield Parish Council",
    "Harbour Lights Theatre Company",
    "Oakridge School Governors",
    "Southbank Food Bank",
    "Millbrook Allotment Society",
    "Eastgate Business Network",
)

FIRST_NAMES = (
    "Alice", "Bilal", "Chloe", "Dmitri", "Elena", "Farid", "Grace", "Hiro",
    "Ines", "Jonas", "Kemi", "Lucas", "Maya", "Nils", "Olga", "Priya",
    "Quentin", "Rosa", "Sven", "Tara", "Umar", "Vera", "Wen", "Yusuf",
)  # fmt: skip

LAST_NAMES = (
    "Andersen", "Bauer", "Costa", "Dubois", "Evans", "Fischer", "Garcia",
    "Hughes", "Ivanova", "Jensen", "Kowalski", "Lopez", "Murphy", "Novak",
    "Okafor", "Petrov", "Rossi", "Schmidt", "Tanaka", "Weber",
)  # fmt: skip

MEETING_KINDS = (
    "Board meeting",
    "Finance committee",
    "General assembly",
    "Safety review",
    "Planning session",
    "Members' forum",
    "Budget workshop",
    "Steering group",
)

LOCATIONS = ("Main hall", "Room 2.14", "Library annex", "Online", "Community centre", "")

AGENDA_TITLES = (
    "Apologies and attendance",
    "Minutes of the previous meeting",
    "Matters arising",
    "Treasurer's report",
    "Annual budget",
    "Building maintenance",
    "Health and safety",
    "Membership applications",
    "Events calendar",
    "IT and communications",
    "Policy review",
    "Any other business",
)

SUB_ITEM_TITLES = (
    "Quotes received",
    "Timeline",
    "Working group update",
    "Risk assessment",
    "Questions from members",
    "Next steps",
)

PROPOSAL_TEXTS = (
    "Approve the revised budget as circulated.",
    "Appoint a working group to report back next quarter.",
    "Accept the lowest of the three quotes received.",
    "Defer the decision until the legal review is complete.",
    "Increase the annual subscription by five percent.",
    "Adopt the updated safeguarding policy.",
    "Move the meetings to the first Tuesday of the month.",
    "Publish the accounts on the members' website.",
)

BODY_TEXTS = (
    "Papers were circulated a week in advance.",
    "See the attached report for details.",
    "Carried over from the previous meeting.",
    "Discussion limited to ten minutes.",
    "",
)

COMMENT_TEXTS = (
    "Agreed, let's go ahead.",
    "Could we see the figures first?",
    "I will not be able to attend, please note my apologies.",
    "This needs input from the treasurer.",
    "Thanks for preparing this.",
    "Can we revisit this next month?",
    "Minor typo in the second paragraph.",
)


class SeedError(RuntimeError):
    """The database is not in a state the seeder can work with."""


@dataclass
class _MotionPlan:
    proposal: Proposal
    motion: Motion


@dataclass
class _CommentPlan:
    comment: Comment
    # Comments point at the concrete class of their target, so a comment on
    # a motion is stored with the Motion content type, as GenericForeignKey
    # assignment would do.
    target_model: type[models.Model]
    target: models.Model


@dataclass
class _Member:
    user: Any
    role: str


@dataclass
class _Plan:
    """Unsaved instances, grouped by the order they must be inserted in."""

    organisations: list[Organisation] = field(default_factory=list)
    memberships: list[Membership] = field(default_factory=list)
    meetings: list[Meeting] = field(default_factory=list)
    meeting_tags: list[tuple[Meeting, Tag]] = field(default_factory=list)
    participants: list[Participant] = field(default_factory=list)
    items_by_depth: list[list[AgendaItem]] = field(
        default_factory=lambda: [[] for _ in range(MAX_ITEM_DEPTH + 1)]
    )
    proposals: list[Proposal] = field(default_factory=list)
    motions: list[_MotionPlan] = field(default_factory=list)
    comments: list[_CommentPlan] = field(default_factory=list)
    # Text of the minutes file for meetings that get one.
    minutes: list[tuple[Meeting, str]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        through = cast(type[models.Model], Meeting.tags.through)
        return {
            Organisation._meta.label: len(self.organisations),
            Membership._meta.label: len(self.memberships),
            Meeting._meta.label: len(self.meetings),
            through._meta.label: len(self.meeting_tags),
            Participant._meta.label: len(self.participants),
            AgendaItem._meta.label: sum(len(level) for level in self.items_by_depth),
            # Every motion is also a Proposal row.
            Proposal._meta.label: len(self.proposals),
            Motion._meta.label: len(self.motions),
            Comment._meta.label: len(self.comments),
        }


def _user_model() -> type[Any]:
    return get_user_model()


def _tenants_tables() -> list[str]:
    config = apps.get_app_config("tenants")
    return [m._meta.db_table for m in config.get_models(include_auto_created=True)]


def _minutes_storage() -> Storage:
    minutes = Meeting._meta.get_field("minutes")
    assert isinstance(minutes, FileField)
    return minutes.storage


def clear(*, using: str = "default") -> None:
    """Empty every tenants table, restart their id sequences, drop minutes files.

    Users are kept: they are shared, and other apps (the admin log, sessions)
    may point at them.
    """
    storage = _minutes_storage()
    names = (
        Meeting._default_manager.using(using).exclude(minutes="").values_list("minutes", flat=True)
    )
    for name in names:
        storage.delete(name)
    # The same statements as ``manage.py flush`` (TRUNCATE on PostgreSQL,
    # DELETE on SQLite): going through the ORM would load every row into the
    # deletion collector, which is slow for large seeded trees. Restarting
    # the sequences makes primary keys reproducible between runs.
    ops = connections[using].ops
    ops.execute_sql_flush(ops.sql_flush(no_style(), _tenants_tables(), reset_sequences=True))


def _bulk(model: type[M], objs: list[M], using: str) -> None:
    if not objs:
        return
    model._default_manager.using(using).bulk_create(objs, batch_size=BATCH_SIZE)
    if objs[0].pk is None:
        raise SeedError(
            f"The {connections[using].vendor} backend did not return primary keys from "
            "bulk_create(); seeding needs SQLite >= 3.35, PostgreSQL, or MariaDB >= 10.5."
        )


def _insert_child_rows(model: type[M], objs: Sequence[M], using: str) -> None:
    """INSERT only the child-table rows of multi-table-inheritance instances.

    ``bulk_create()`` refuses multi-table inheritance, and ``save()`` would
    cost one INSERT per row. The parent rows already exist (they were
    bulk-created as plain Proposals), so the child table just needs its own
    columns, including the parent link. ``_insert()`` is the manager hook
    that ``Model.save()`` and ``bulk_create()`` themselves use for a single
    table, and its signature is the same on Django 4.2 through 6.x.
    """
    if not objs:
        return
    fields = list(model._meta.local_concrete_fields)
    ops = connections[using].ops
    size = max(1, min(BATCH_SIZE, ops.bulk_batch_size(fields, list(objs))))
    manager = cast(Any, model._base_manager.using(using))
    for start in range(0, len(objs), size):
        manager._insert(list(objs[start : start + size]), fields=fields, using=using)


def _ensure_users(count: int, using: str) -> list[Any]:
    """Return users ``user01`` .. ``userNN``, creating the missing ones."""
    user_model = _user_model()
    names = [f"user{i:02d}" for i in range(1, count + 1)]
    manager = user_model._default_manager.db_manager(using)
    existing = {u.get_username(): u for u in manager.filter(username__in=names)}
    missing = [name for name in names if name not in existing]
    if missing:
        # Hashing is deliberately slow; one hash shared by all demo accounts.
        password = make_password(DEMO_PASSWORD)
        new_users = []
        for name in missing:
            number = int(name[4:])
            first = FIRST_NAMES[(number - 1) % len(FIRST_NAMES)]
            last = LAST_NAMES[(number * 7) % len(LAST_NAMES)]
            new_users.append(
                user_model(
                    username=name,
                    email=f"{first.lower()}.{last.lower()}{number}@example.org",
                    first_name=first,
                    last_name=last,
                    password=password,
                    date_joined=EPOCH - dt.timedelta(days=500 - number),
                )
            )
        manager.bulk_create(new_users, batch_size=BATCH_SIZE)
        existing.update((u.get_username(), u) for u in manager.filter(username__in=missing))
    return [existing[name] for name in names]


def _ensure_tags(using: str) -> list[Tag]:
    manager = Tag.objects.db_manager(using)
    existing = set(manager.filter(name__in=TAG_NAMES).values_list("name", flat=True))
    manager.bulk_create([Tag(name=name) for name in TAG_NAMES if name not in existing])
    return list(manager.order_by("name"))


def _organisation_settings(rng: random.Random) -> dict[str, Any]:
    return {
        "locale": rng.choice(["en-GB", "fr-FR", "de-DE", "nl-NL"]),
        "timezone": rng.choice(["Europe/London", "Europe/Paris", "Europe/Berlin"]),
        "quorum": rng.choice([0.25, 0.33, 0.5]),
        "features": {"votes": True, "minutes": rng.random() < 0.8},
        "retention_days": rng.choice([365, 730, 1825]),
    }


def _comment(
    plan: _Plan,
    rng: random.Random,
    members: Sequence[_Member],
    target_model: type[models.Model],
    target: models.Model,
    after: dt.datetime,
) -> None:
    # A few comments lost their author (account deleted, SET_NULL).
    author = None if rng.random() < 0.05 else rng.choice(members).user.pk
    comment = Comment(
        author_id=author,
        body=rng.choice(COMMENT_TEXTS),
        created_at=after + dt.timedelta(hours=rng.randint(1, 72), minutes=rng.randint(0, 59)),
    )
    plan.comments.append(_CommentPlan(comment, target_model, target))


def _plan_organisation(
    plan: _Plan,
    rng: random.Random,
    organisation: Organisation,
    members: Sequence[_Member],
    tags: Sequence[Tag],
    meetings: int,
    items_per_meeting: int,
    with_minutes: bool,
) -> None:
    plan.organisations.append(organisation)
    for member in members:
        plan.memberships.append(
            Membership(
                organisation=organisation,
                user_id=member.user.pk,
                role=member.role,
                joined_at=organisation.created_at + dt.timedelta(days=rng.randint(0, 60)),
            )
        )
    staff = [m for m in members if m.role != Membership.Role.GUEST] or list(members)
    for _ in range(COMMENTS_PER_ORGANISATION):
        _comment(plan, rng, members, Organisation, organisation, organisation.created_at)

    # Weekly meetings, or spread over a year for large benchmark trees; the
    # first 70% lie in the past and have votes and minutes.
    spacing = dt.timedelta(days=7) if meetings <= 52 else dt.timedelta(days=365) / meetings
    first = organisation.created_at + dt.timedelta(days=90)
    for number in range(meetings):
        held = number < meetings * 0.7
        starts_at = (first + spacing * number).replace(
            hour=rng.choice([9, 10, 14, 18]), minute=rng.choice([0, 30]), second=0, microsecond=0
        )
        meeting = Meeting(
            organisation=organisation,
            title=f"{rng.choice(MEETING_KINDS)} {starts_at:%d %b %Y}",
            starts_at=starts_at,
            duration=(
                None
                if rng.random() < 0.15
                else dt.timedelta(minutes=rng.choice([30, 45, 60, 90, 120]))
            ),
            location=rng.choice(LOCATIONS),
            budget=Decimal(rng.randrange(0, 25_000_000, 50)).scaleb(-2),
            reference=uuid.UUID(int=rng.getrandbits(128), version=4),
            created_by_id=rng.choice(staff).user.pk,
        )
        plan.meetings.append(meeting)
        if tags:
            low, high = TAGS_PER_MEETING
            for tag in rng.sample(
                list(tags), rng.randint(min(low, len(tags)), min(high, len(tags)))
            ):
                plan.meeting_tags.append((meeting, tag))

        low, high = PARTICIPANTS_PER_MEETING
        attending = rng.sample(
            list(members), rng.randint(min(low, len(members)), min(high, len(members)))
        )
        for position, member in enumerate(attending):
            role = (
                Participant.Role.CHAIR
                if position == 0
                else Participant.Role.SECRETARY
                if position == 1
                else Participant.Role.ATTENDEE
            )
            plan.participants.append(
                Participant(meeting=meeting, user_id=member.user.pk, role=role)
            )
        speakers = [m for m in attending if m.role != Membership.Role.GUEST] or list(attending)

        if with_minutes and held:
            text = (
                f"Minutes of {meeting.title}\n"
                f"Present: {', '.join(m.user.get_username() for m in attending)}\n"
            )
            plan.minutes.append((meeting, text))

        for _ in range(rng.randint(*COMMENTS_PER_MEETING)):
            _comment(plan, rng, members, Meeting, meeting, starts_at - dt.timedelta(days=3))

        _plan_items(plan, rng, meeting, items_per_meeting, speakers, members, held)


def _plan_items(
    plan: _Plan,
    rng: random.Random,
    meeting: Meeting,
    count: int,
    speakers: Sequence[_Member],
    members: Sequence[_Member],
    held: bool,
) -> None:
    items: list[tuple[AgendaItem, int]] = []
    # Positions are numbered within each parent (top level keyed by None).
    next_position: dict[int | None, int] = {}
    for index in range(count):
        candidates = [entry for entry in items if entry[1] < MAX_ITEM_DEPTH]
        parent: AgendaItem | None = None
        depth = 0
        if candidates and rng.random() < SUB_ITEM_SHARE:
            parent, parent_depth = rng.choice(candidates)
            depth = parent_depth + 1
        key = None if parent is None else id(parent)
        position = next_position.get(key, 0) + 1
        next_position[key] = position
        title = (
            AGENDA_TITLES[index % len(AGENDA_TITLES)]
            if parent is None
            else rng.choice(SUB_ITEM_TITLES)
        )
        item = AgendaItem(
            meeting=meeting,
            parent=parent,
            position=position,
            title=title,
            body=rng.choice(BODY_TEXTS),
        )
        items.append((item, depth))
        plan.items_by_depth[depth].append(item)
        _plan_proposals(plan, rng, meeting, item, speakers, members, held)


def _plan_proposals(
    plan: _Plan,
    rng: random.Random,
    meeting: Meeting,
    item: AgendaItem,
    speakers: Sequence[_Member],
    members: Sequence[_Member],
    held: bool,
) -> None:
    assert meeting.starts_at is not None
    for _ in range(rng.randint(*PROPOSALS_PER_ITEM)):
        author = rng.choice(speakers)
        attachment = (
            b"%PDF-1.7\n" + rng.randbytes(rng.randint(64, 512)) if rng.random() < 0.15 else None
        )
        created_at = meeting.starts_at - dt.timedelta(
            days=rng.randint(1, 14), minutes=rng.randint(0, 600)
        )
        proposal = Proposal(
            item=item,
            author_id=author.user.pk,
            text=rng.choice(PROPOSAL_TEXTS),
            created_at=created_at,
            attachment=attachment,
        )
        plan.proposals.append(proposal)
        target_model: type[models.Model] = Proposal
        if rng.random() < MOTION_SHARE:
            others = [m for m in speakers if m is not author]
            seconder = rng.choice(others).user.pk if others and rng.random() < 0.8 else None
            motion = Motion(seconded_by_id=seconder)
            if held:
                votes = len(members)
                motion.votes_for = rng.randint(0, votes)
                motion.votes_against = rng.randint(0, votes - motion.votes_for)
                motion.outcome = (
                    Motion.Outcome.WITHDRAWN
                    if rng.random() < 0.1
                    else Motion.Outcome.CARRIED
                    if motion.votes_for > motion.votes_against
                    else Motion.Outcome.DEFEATED
                )
            plan.motions.append(_MotionPlan(proposal, motion))
            target_model = Motion
        for _ in range(rng.randint(*COMMENTS_PER_PROPOSAL)):
            _comment(plan, rng, members, target_model, proposal, created_at)


def _write_minutes(plan: _Plan) -> None:
    storage = _minutes_storage()
    for meeting, text in plan.minutes:
        organisation = meeting.organisation
        name = f"minutes/{organisation.slug}/{meeting.reference}.txt"
        # Anything already there is left over from a database that was
        # dropped without clear(); replace it so the stored name stays stable.
        if storage.exists(name):
            storage.delete(name)
        meeting.minutes.name = storage.save(name, ContentFile(text.encode()))


def _flush(plan: _Plan, using: str) -> None:
    """Insert a plan in dependency order, a few bulk INSERTs per model."""
    _bulk(Organisation, plan.organisations, using)
    # bulk_create() copies the primary keys of related instances that were
    # assigned while still unsaved and have been inserted since, so children
    # can point at the objects inserted just before them. Already-saved
    # users are assigned by id instead, which is noticeably cheaper.
    _bulk(Membership, plan.memberships, using)
    _write_minutes(plan)
    _bulk(Meeting, plan.meetings, using)
    through = cast(type[models.Model], Meeting.tags.through)
    _bulk(
        through,
        [through(meeting_id=meeting.pk, tag_id=tag.pk) for meeting, tag in plan.meeting_tags],
        using,
    )
    _bulk(Participant, plan.participants, using)
    # Parents before children: each level needs the ids of the one above.
    for level in plan.items_by_depth:
        _bulk(AgendaItem, level, using)
    # Motions are Proposals too: their parent rows go in with the plain
    # proposals, then only the motion columns are added.
    _bulk(Proposal, plan.proposals, using)
    for motion_plan in plan.motions:
        # Setting pk also sets proposal_ptr_id, the child table's key.
        motion_plan.motion.pk = motion_plan.proposal.pk
    _insert_child_rows(Motion, [m.motion for m in plan.motions], using)
    content_types = ContentType.objects.db_manager(using)
    comments = []
    for comment_plan in plan.comments:
        comment = comment_plan.comment
        comment.content_type_id = content_types.get_for_model(comment_plan.target_model).pk
        comment.object_id = comment_plan.target.pk
        comments.append(comment)
    _bulk(Comment, comments, using)


def _assign_memberships(
    rng: random.Random, users: Sequence[Any], organisations: int
) -> list[list[_Member]]:
    """Give every user a home organisation plus up to two more."""
    per_org: list[list[Any]] = [[] for _ in range(organisations)]
    for index, user in enumerate(users):
        home = index % organisations
        others = [o for o in range(organisations) if o != home]
        extra = min(len(others), rng.choice([0, 0, 1, 2]))
        for org_index in sorted([home, *rng.sample(others, extra)]):
            per_org[org_index].append(user)
    result = []
    for users_of_org in per_org:
        users_of_org.sort(key=lambda u: u.pk)
        members = []
        for position, user in enumerate(users_of_org):
            if position == 0:
                role = Membership.Role.ADMIN
            elif rng.random() < 0.15:
                role = Membership.Role.GUEST
            else:
                role = Membership.Role.MEMBER
            members.append(_Member(user, role))
        result.append(members)
    return result


def _organisation_name(index: int) -> str:
    base = ORGANISATION_NAMES[index % len(ORGANISATION_NAMES)]
    cycle = index // len(ORGANISATION_NAMES)
    return base if cycle == 0 else f"{base} {cycle + 1}"


def _check_counts(**values: int) -> None:
    for name, value in values.items():
        if value < 0:
            raise ValueError(f"{name} must not be negative (got {value})")


def seed(
    *,
    organisations: int = 3,
    meetings_per_org: int = 4,
    items_per_meeting: int = 5,
    using: str = "default",
    rng_seed: int = 7,
    reset: bool = True,
) -> dict[str, int]:
    """Build demo organisations and return the number of rows per model label.

    With ``reset`` (the default) the tenants tables are emptied first; without
    it, a database that already holds organisations raises :class:`SeedError`.
    Users ``user01``.. are shared between organisations, created if missing
    and never deleted; their count is reported under the user model's label.
    """
    _check_counts(
        organisations=organisations,
        meetings_per_org=meetings_per_org,
        items_per_meeting=items_per_meeting,
    )
    rng = random.Random(rng_seed)
    with cyclic_gc_paused(), transaction.atomic(using=using):
        if reset:
            clear(using=using)
        elif Organisation._default_manager.using(using).exists():
            raise SeedError(
                "The database already contains organisations; call seed(reset=True) "
                "to replace them."
            )
        users = _ensure_users(6 + organisations * 4, using) if organisations else []
        tags = _ensure_tags(using)
        plan = _Plan()
        for index, members in enumerate(_assign_memberships(rng, users, organisations)):
            name = _organisation_name(index)
            organisation = Organisation(
                name=name,
                slug=slugify(name),
                created_at=EPOCH - dt.timedelta(days=400 - 30 * index),
                settings=_organisation_settings(rng),
            )
            _plan_organisation(
                plan,
                rng,
                organisation,
                members,
                tags,
                meetings_per_org,
                items_per_meeting,
                with_minutes=True,
            )
        _flush(plan, using)
    counts = {_user_model()._meta.label: len(users), Tag._meta.label: len(tags)}
    counts.update(plan.counts())
    return counts


def _expected_rows_per_meeting(items: int, tags: int, members: int) -> float:
    """Average number of rows one planned meeting turns into."""

    def mean(bounds: tuple[int, int], cap: int | None = None) -> float:
        low, high = bounds
        if cap is not None:
            low, high = min(low, cap), min(high, cap)
        return (low + high) / 2

    proposals = items * mean(PROPOSALS_PER_ITEM)
    return (
        1
        + mean(TAGS_PER_MEETING, tags)
        + mean(PARTICIPANTS_PER_MEETING, members)
        + mean(COMMENTS_PER_MEETING)
        + items
        + proposals * (1 + MOTION_SHARE)
        + proposals * mean(COMMENTS_PER_PROPOSAL)
    )


def seed_tree(*, rows: int, using: str = "default", rng_seed: int = 11) -> int:
    """Add one organisation whose own tree holds about ``rows`` rows.

    Counted rows are the organisation and everything that belongs to it:
    memberships, meetings, meeting-tag links, participants, agenda items,
    proposals, motion rows and comments. Shared users and tags are reused
    (and created when the database has none yet). Returns the new
    organisation's primary key.
    """
    _check_counts(rows=rows)
    with cyclic_gc_paused(), transaction.atomic(using=using):
        user_model = _user_model()
        pool = user_model._default_manager.db_manager(using).filter(username__regex=r"^user[0-9]+$")
        users = _ensure_users(max(TREE_MIN_USERS, pool.count()), using)
        tags = _ensure_tags(using)

        existing = Organisation._default_manager.using(using)
        number = existing.filter(slug__startswith="benchmark-").count() + 1
        while existing.filter(slug=f"benchmark-{number}").exists():
            number += 1
        # Seeding per tree keeps each tree reproducible while giving every
        # tree its own unique meeting references.
        rng = random.Random(f"{rng_seed}:{number}")
        organisation = Organisation(
            name=f"Benchmark organisation {number}",
            slug=f"benchmark-{number}",
            created_at=EPOCH,
            settings=_organisation_settings(rng),
        )
        members = [
            _Member(user, Membership.Role.ADMIN if index == 0 else Membership.Role.MEMBER)
            for index, user in enumerate(users)
        ]
        fixed = 1 + len(members) + COMMENTS_PER_ORGANISATION
        per_meeting = _expected_rows_per_meeting(TREE_ITEMS_PER_MEETING, len(tags), len(members))
        meetings = max(1, round((rows - fixed) / per_meeting))

        plan = _Plan()
        _plan_organisation(
            plan,
            rng,
            organisation,
            members,
            tags,
            meetings,
            TREE_ITEMS_PER_MEETING,
            with_minutes=False,
        )
        _flush(plan, using)
    assert organisation.pk is not None
    return int(organisation.pk)
