"""Writes for the front door, one module per stage: intake, status, triage, matching,
routing. Each service is atomic, enforces its rules, audits, and notifies on commit."""
