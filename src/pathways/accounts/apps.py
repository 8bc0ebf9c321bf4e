from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "pathways.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .idle import start_idle_clock
        from .mfa import mark_pending_at_login

        # Every login starts the idle clock, and notes that a person with an authenticator
        # owes a code, whichever path logged in: Pathways' sign-in page, the Django admin's
        # login form, or a test's force_login. Session bookkeeping only, like Django's own
        # last_login update; no domain logic.
        user_logged_in.connect(start_idle_clock, dispatch_uid="pathways-start-idle-clock")
        user_logged_in.connect(mark_pending_at_login, dispatch_uid="pathways-mfa-pending")
