from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_openapi_schema_generates_without_warnings(tmp_path):
    out = StringIO()
    target = tmp_path / "schema.yaml"
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(target), stdout=out, stderr=out
    )
    schema = target.read_text()
    assert "/api/v1/services/" in schema
    assert "/api/v1/auth/token/" in schema
