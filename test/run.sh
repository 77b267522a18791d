#!/usr/bin/env bash
# `npm test` and `npm run test:bench`: Node's test runner over the test files given, as one suite run with a temp
# directory of its own (TMPDIR), and test/zz-suite-hygiene.ts as its last file: that one waits for the others to end, then
# fails the run if any process the suite started is still alive or anything is left in the run's temp directory.
# EDGEMIRROR_SUITE_RUN marks every process of this run (it is inherited): two suites side by side tell theirs apart.
set -uo pipefail
cd "$(dirname "$0")/.."
[ "$#" -gt 0 ] || { echo "usage: test/run.sh FILE..." >&2; exit 2; }
# The harness runs the compiled CLI (dist/): build it once here, so the files running side by side find it current
# (test/harness/build.ts would otherwise build it in each of them).
npm run --silent build || exit 1
base_tmp="${TMPDIR:-/tmp}"
run_dir=$(mktemp -d "$base_tmp/edgemirror-suite.XXXXXX")
export EDGEMIRROR_SUITE_RUN="$run_dir"
export TMPDIR="$run_dir"
# tsx keeps its compile cache in $TMPDIR/tsx-<uid>: share the usual one rather than compile every file afresh.
tsx_cache="tsx-$(id -u)"
mkdir -p "$base_tmp/$tsx_cache" && ln -s "$base_tmp/$tsx_cache" "$run_dir/$tsx_cache"
# The runner starts files in the order given, two at a time: the files that start daemons and swarms (the longest, up
# to a minute each) go first, so the short ones fill in at the end instead of one long file running alone on one core.
ordered=()
for file in "$@"; do case "$file" in test/e2e/*|test/chaos/*|test/swarm/*) ordered+=("$file") ;; esac; done
for file in "$@"; do case "$file" in test/e2e/*|test/chaos/*|test/swarm/*) ;; *) ordered+=("$file") ;; esac; done
# 6 minutes a file: a file that runs as long as the whole suite's budget is a bug to fix, not a limit to raise.
node --import tsx --import ./node/polyfill.ts --test --test-concurrency="${EDGEMIRROR_TEST_CONCURRENCY:-2}" \
  --test-timeout=360000 "${ordered[@]}" test/zz-suite-hygiene.ts
status=$?
if [ "$status" -eq 0 ]; then rm -rf "$run_dir"; else echo "test/run.sh: exit $status; this run's temp directory is kept: $run_dir" >&2; fi
exit "$status"
