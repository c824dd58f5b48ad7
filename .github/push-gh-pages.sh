#!/usr/bin/env bash
# Push the current commit to gh-pages, on top of whatever other previews were pushed meanwhile
# (used by .github/workflows/preview.yml). Each commit touches only its own pr-preview/<number>/,
# so a rebase onto the newer branch cannot conflict with another pull request's.
set -euo pipefail
for attempt in 1 2 3 4 5; do
  if git push --quiet origin HEAD:refs/heads/gh-pages; then
    exit 0
  fi
  echo "gh-pages moved on (attempt $attempt); rebasing on it"
  git fetch --quiet --no-tags origin +refs/heads/gh-pages:refs/remotes/origin/gh-pages
  git rebase --quiet origin/gh-pages
  sleep "$attempt"
done
echo "could not push to gh-pages after 5 attempts" >&2
exit 1
