#!/usr/bin/env bash
# Build command for Cloudflare Pages' Git integration:
#   Dashboard → Workers & Pages → your project → Settings → Build:
#     Build command:           bash docs/deploy/cloudflare-pages-build.sh
#     Build output directory:  site
#     Environment variable:    PYTHON_VERSION = 3.12
# Set base_url in archive.yaml to your production domain (CF_PAGES_URL is
# the per-deployment preview address, not the canonical one).
# Cloudflare Pages allows 20,000 files per deployment on the free plan:
# the script stops before uploading a site that would be refused.
set -euo pipefail

# archivegen is not on PyPI: "." installs it from this repository (the archivegen
# project with its sample archive); an archive made with `archivegen init` sets
# ARCHIVEGEN to e.g. "archivegen @ git+https://github.com/OWNER/archivegen@v0.1.0"
python -m pip install --quiet "${ARCHIVEGEN:-.}"
archivegen check
archivegen build

files=$(find site -type f | wc -l)
limit=${CF_PAGES_FILE_LIMIT:-20000}
echo "site/ holds $files files (limit $limit)"
if [ "$files" -gt "$limit" ]; then
  echo "too many files for Cloudflare Pages; see docs/deploy.md, 'Staying under file limits'" >&2
  exit 1
fi
