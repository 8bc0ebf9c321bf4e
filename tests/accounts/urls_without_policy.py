"""A URL configuration with a view that names no policy, for the deny-by-default test."""

from django.http import HttpResponse
from django.urls import path


def forgot_policy(request):
    return HttpResponse("should never be served")


urlpatterns = [path("open/", forgot_policy)]


def refused(request, exception=None):
    return HttpResponse("refused", status=403)


handler403 = refused
