from django.apps import AppConfig


class MappingConfig(AppConfig):
    name = "pathways.mapping"
    label = "mapping"
    verbose_name = "Mapping"
    default_auto_field = "django.db.models.BigAutoField"
