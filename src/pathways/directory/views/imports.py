"""Import and export pages: upload a file, watch the job, download the directory.

Importing (and the template) is for directory curators (commissioners and administrators);
exporting is also open to analysts. The work itself is in `directory.imports`,
`directory.exports` and `directory.tasks`.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_http_methods

from pathways.accounts.access import policy_required
from pathways.accounts.policies import Policy, can_curate_directory, can_export_directory

from .. import exports, imports, tasks
from ..forms_imports import ImportUploadForm
from ..models import ImportFormat, ImportStatus

DIRECTORY_IMPORT = Policy(
    "directory_import",
    can_curate_directory,
    "Commissioners and administrators import services into the directory.",
)
DIRECTORY_EXPORT = Policy(
    "directory_export",
    can_export_directory,
    "Commissioners, analysts and administrators export the directory.",
)

ERRORS_PER_PAGE = 50


def _attachment(export: exports.ExportFile) -> HttpResponse | StreamingHttpResponse:
    if isinstance(export.content, bytes):
        response: HttpResponse | StreamingHttpResponse = HttpResponse(
            export.content, content_type=export.content_type
        )
    else:
        response = StreamingHttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


@policy_required(DIRECTORY_IMPORT)
@require_http_methods(["GET", "POST"])
def import_start(request):
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = imports.import_job_create(
            actor=request.user,
            filename=form.filename,
            fmt=form.import_format,
            content=form.content,
            provenance_source=form.cleaned_data["provenance_source"],
            provenance_detail=form.cleaned_data["provenance_detail"],
            request=request,
        )
        tasks.import_job_enqueue(job)
        return redirect("directory:import-job", job_id=job.pk)
    return render(
        request,
        "directory/imports/start.html",
        {
            "form": form,
            "jobs": imports.import_job_list_for_user(user=request.user),
            "columns": imports.COLUMNS,
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@policy_required(DIRECTORY_IMPORT)
@require_GET
def import_template(request):
    fmt = request.GET.get("format", ImportFormat.CSV)
    if fmt not in exports.TEMPLATE_FORMATS:
        raise Http404("No such template format")
    return _attachment(exports.import_template(actor=request.user, fmt=fmt))


def _job_context(request, job):
    page = None
    if job.status == ImportStatus.FAILED and job.errors:
        page = Paginator(job.errors, ERRORS_PER_PAGE).get_page(request.GET.get("page"))
    total = job.total_rows or 0
    percent = int(job.processed_rows * 100 / total) if total else 0
    return {
        "job": job,
        "errors_page": page,
        "percent": min(percent, 100),
        "running": job.status in {ImportStatus.QUEUED, ImportStatus.RUNNING},
        "row_label": "Service" if job.format == ImportFormat.ORUK_JSON else "Row",
        "unchanged_count": max(total - job.created_count - job.updated_count, 0),
    }


@policy_required(DIRECTORY_IMPORT)
@require_GET
def import_job(request, job_id):
    job = imports.import_job_get_for_user(user=request.user, job_id=job_id)
    return render(request, "directory/imports/job.html", _job_context(request, job))


@policy_required(DIRECTORY_IMPORT)
@require_GET
def import_job_progress(request, job_id):
    """The status panel alone, for htmx to poll; without htmx, the whole page."""
    job = imports.import_job_get_for_user(user=request.user, job_id=job_id)
    if not getattr(request, "htmx", False):
        return redirect("directory:import-job", job_id=job.pk)
    context = _job_context(request, job)
    response = render(request, "directory/imports/_job_status.html", context)
    if not context["running"]:
        # Finished: reload the whole page, which shows the results and any errors.
        response["HX-Refresh"] = "true"
    return response


@policy_required(DIRECTORY_EXPORT)
@require_GET
def export_page(request):
    return render(
        request,
        "directory/imports/export.html",
        {"service_count": exports.export_queryset().count(), "formats": exports.EXPORT_FORMATS},
    )


@policy_required(DIRECTORY_EXPORT)
@require_GET
def export_download(request):
    fmt = request.GET.get("format", "")
    if fmt not in exports.EXPORT_FORMATS:
        raise Http404("No such export format")
    return _attachment(exports.directory_export(actor=request.user, fmt=fmt, request=request))


urlpatterns = [
    path("import/", import_start, name="import"),
    path("import/template/", import_template, name="import-template"),
    path("import/<uuid:job_id>/", import_job, name="import-job"),
    path("import/<uuid:job_id>/progress/", import_job_progress, name="import-job-progress"),
    path("export/", export_page, name="export"),
    path("export/download/", export_download, name="export-download"),
]
