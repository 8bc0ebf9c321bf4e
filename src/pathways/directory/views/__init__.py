"""Directory pages, one module per area of work: `manage` (curation) and `imports` (import/export)."""
