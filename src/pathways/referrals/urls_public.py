"""The public self-referral, mounted at /self-referral/."""

from .views import public

app_name = "self_referral"
urlpatterns = public.urlpatterns
