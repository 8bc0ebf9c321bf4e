from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "pathways.core"
    label = "core"
