from django.apps import AppConfig


class StandardsConfig(AppConfig):
    name = "pathways.standards"
    label = "standards"
    verbose_name = "Standards"
    default_auto_field = "django.db.models.BigAutoField"
