"""Settings for the benchmark server: Pathways' own, plus a bare JSON view for the floor.

Production URLs do not change: only this module points at `bench.urls`. DEBUG is off, as in
production, so Django keeps no query log and serves no debug pages.
"""

from pathways.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
# The benchmark's users are signed in by a session cookie the suite makes itself, without a
# second factor; MFA is checked per request by one lookup of the session's device, which
# this leaves out (docs/performance.md says so).
MFA_REQUIRED = False
