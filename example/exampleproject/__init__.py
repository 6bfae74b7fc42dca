"""Django project used to demonstrate and benchmark django-graft."""
