#!/usr/bin/env bash
# Build and publish to any web server over SSH.
#   DEST=user@host:/var/www/archive/ docs/deploy/rsync-deploy.sh
# archivegen rewrites only files whose bytes changed (unchanged files keep
# their mtime), so --checksum is unnecessary and rsync sends only what changed;
# --delete removes the pages of deleted articles.
set -euo pipefail

: "${DEST:?set DEST, e.g. DEST=user@host:/var/www/archive/}"

archivegen check
archivegen build

# Upload new and changed files first, delete stale ones last, so readers never
# follow a link to a page that is not there yet.
rsync --archive --compress --human-readable --itemize-changes --exclude=.archivegen-site site/ "$DEST"
rsync --archive --delete --human-readable --exclude=.archivegen-site site/ "$DEST"
