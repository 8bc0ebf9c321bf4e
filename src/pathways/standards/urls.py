from django.urls import path

from . import views

app_name = "standards"

urlpatterns = [
    path("", views.index, name="index"),
    path("frameworks/<slug:slug>/", views.framework_detail, name="framework"),
    path(
        "frameworks/<slug:slug>/<str:version>/",
        views.framework_detail,
        name="framework-edition",
    ),
    path("assessments/", views.assessment_list, name="assessment-list"),
    path("assessments/overdue/", views.overdue_list, name="overdue"),
    path("assessments/<uuid:assessment_id>/", views.assessment_detail, name="assessment"),
    path(
        "assessments/<uuid:assessment_id>/items/<int:rating_id>/",
        views.rating_edit,
        name="rating-edit",
    ),
    path(
        "assessments/<uuid:assessment_id>/items/<int:rating_id>/review/",
        views.rating_review,
        name="rating-review",
    ),
    path("assessments/<uuid:assessment_id>/submit/", views.assessment_submit, name="submit"),
    path("assessments/<uuid:assessment_id>/send-back/", views.assessment_return, name="return"),
    path("assessments/<uuid:assessment_id>/finalise/", views.assessment_finalise, name="finalise"),
    path(
        "assessments/<uuid:assessment_id>/export.<str:fmt>",
        views.assessment_export,
        name="export",
    ),
    path("attachments/<uuid:attachment_id>/", views.attachment_download, name="attachment"),
    path(
        "attachments/<uuid:attachment_id>/delete/",
        views.attachment_delete,
        name="attachment-delete",
    ),
    path("services/<uuid:service_id>/", views.service_assessments, name="service"),
    path("services/<uuid:service_id>/start/", views.assessment_start, name="start"),
    path("risk-tiers/", views.tier_definition_list, name="tier-list"),
    path("risk-tiers/<slug:area_slug>/", views.tier_definition_detail, name="tier-detail"),
    path("risk-tiers/<slug:area_slug>/edit/", views.tier_definition_edit, name="tier-edit"),
]
