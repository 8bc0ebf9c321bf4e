from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "pathways.evidence"
    label = "evidence"
    verbose_name = "Evidence library"
    default_auto_field = "django.db.models.BigAutoField"
