from django.urls import path

from . import services, views, views_mfa

app_name = "accounts"

urlpatterns = [
    path("sign-in/", views.sign_in, name="sign-in"),
    path("sign-out/", views.sign_out, name="sign-out"),
    path("session/", views.session_status, name="session"),
    path("mfa/", views_mfa.account, name="mfa"),
    path("mfa/verify/", views_mfa.verify, name="mfa-verify"),
    path(
        "mfa/recovery-code/",
        views_mfa.verify,
        {"method": services.MFA_RECOVERY_CODE},
        name="mfa-recovery-code",
    ),
    path("mfa/set-up/", views_mfa.set_up, name="mfa-set-up"),
    path("mfa/recovery-codes/", views_mfa.recovery_codes_new, name="mfa-recovery-codes"),
]
