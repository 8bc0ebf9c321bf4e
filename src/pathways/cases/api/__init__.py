"""Case work REST API (/api/v1/): perpetrator cases (`cases`), victim-survivor support cases
(`support`), risk events and alerts (`risk`), sessions (`sessions`). Routes in
`pathways.cases.api_urls`. Thin: parse, call a selector or service, render."""
