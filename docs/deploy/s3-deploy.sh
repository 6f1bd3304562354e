#!/usr/bin/env bash
# Build and publish to an S3 bucket (website hosting or behind CloudFront).
#   BUCKET=s3://my-archive docs/deploy/s3-deploy.sh
# Optional: DISTRIBUTION=E123ABC to invalidate CloudFront afterwards.
# `aws s3 sync` compares size and mtime: archivegen keeps both for files whose
# bytes did not change, so only changed pages are uploaded.
set -euo pipefail

: "${BUCKET:?set BUCKET, e.g. BUCKET=s3://my-archive}"

archivegen check
archivegen build

# Pages, feeds and search index: short cache so new articles show up quickly.
aws s3 sync site/ "$BUCKET" --exclude ".archivegen-site" --exclude "static/*" \
  --cache-control "public, max-age=300"
# Theme assets change only with archivegen upgrades.
aws s3 sync site/static/ "$BUCKET/static/" --cache-control "public, max-age=86400"
# Remove the files of deleted articles last.
aws s3 sync site/ "$BUCKET" --delete --exclude ".archivegen-site" --size-only

if [ -n "${DISTRIBUTION:-}" ]; then
  aws cloudfront create-invalidation --distribution-id "$DISTRIBUTION" --paths "/*"
fi
