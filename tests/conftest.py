from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType

from tests.testapp.world import World, build_world


@pytest.fixture
def world(db: None) -> World:
    ContentType.objects.clear_cache()
    return build_world(size=1)
