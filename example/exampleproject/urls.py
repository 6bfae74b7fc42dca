"""URL configuration: the admin, plus uploaded media while DEBUG is on."""

from __future__ import annotations

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import URLPattern, URLResolver, path

urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", admin.site.urls),
]

# static() is a no-op unless DEBUG is on; it lets the admin link to the
# seeded meeting minutes without a separate file server.
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
