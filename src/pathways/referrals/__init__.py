"""One Front Door: intake, risk policy, triage, matching, unmet need and routing."""
