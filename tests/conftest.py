from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType

from tests.testapp import models as m
from tests.testapp.world import World, build_tenant, build_world


@pytest.fixture
def world(db: None) -> World:
    ContentType.objects.clear_cache()
    return build_world(size=1)


@pytest.fixture
def small_and_big(world: World) -> tuple[m.Organisation, m.Organisation]:
    """Two tenants of the same shape: ~70 rows, and ~100 times that."""
    big = m.Organisation.objects.create(name="Big")
    build_tenant(big, world, size=100)
    return world.org, big
