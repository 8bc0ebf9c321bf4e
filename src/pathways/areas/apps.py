from django.apps import AppConfig


class AreasConfig(AppConfig):
    name = "pathways.areas"
    label = "areas"
    default_auto_field = "django.db.models.BigAutoField"
