"""Multi-tenant meeting management: the object graphs django-graft works on."""
