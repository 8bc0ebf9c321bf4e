#!/usr/bin/env bash
# Build front-end assets from the pinned npm packages into src/pathways/static/ (not committed).
set -euo pipefail
cd "$(dirname "$0")/.."
out=src/pathways/static
rm -rf "$out/vendor" "$out/build"
mkdir -p "$out/vendor/govuk-frontend" "$out/vendor/htmx" "$out/vendor/axe-core" "$out/build"
cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js "$out/vendor/govuk-frontend/"
cp -R node_modules/govuk-frontend/dist/govuk/assets "$out/vendor/govuk-frontend/assets"
cp node_modules/htmx.org/dist/htmx.min.js "$out/vendor/htmx/"
cp node_modules/axe-core/axe.min.js "$out/vendor/axe-core/"
node node_modules/sass/sass.js --load-path=node_modules --style=compressed --no-source-map \
  --quiet-deps src/pathways/frontend/app.scss "$out/build/app.css"
echo "assets built into $out"
