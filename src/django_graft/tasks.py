"""The dotted path of the background task as queued by earlier versions.

A task backend finds a queued task by the path it was enqueued under:
``django_graft.tasks.graft_operation`` must keep naming it for jobs queued
before the task moved to :mod:`django_graft.admin.task`. Imported only by a
backend, on Django 6.0+ (``django.tasks`` does not exist before).
"""

from django_graft.admin.task import graft_operation

__all__ = ["graft_operation"]
