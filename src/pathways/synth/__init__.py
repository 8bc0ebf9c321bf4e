"""Synthetic data at small, region and national scale (`pathways synth`). No models.

Everything made here is invented and labelled so: organisations are `is_synthetic`,
services have `provenance_source="synthetic"`, referrals and unmet needs are
`is_synthetic`, and every area, organisation and user it adds has a slug or username
starting `syn-`. See docs/performance.md.
"""
