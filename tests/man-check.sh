#!/bin/sh
# tests/man-check.sh - the man pages render without a single warning.
#
# Runs groff on man/streamwatch.1 and man/streamwatch.conf.5 with every
# warning on (-ww), at the default line length and at those of a narrow
# and a wide terminal, and fails on any output: an undefined macro, a
# line that cannot be broken or adjusted, a bad escape.  The key list of
# streamwatch.conf(5) is checked against the config loader by
# test_manpage_keys in tests/unit/test_conf.c.
#
# Without groff the test cannot run and exits 77, which automake reports
# as SKIP; scripts/deps installs it (groff-base) for `scripts/test`.
set -u

top=${srcdir:-.}
if ! command -v groff >/dev/null 2>&1; then
    echo "man-check: groff is not installed (apt-get install groff-base)" >&2
    exit 77
fi

rc=0
for page in "$top/man/streamwatch.1" "$top/man/streamwatch.conf.5"; do
    if [ ! -r "$page" ]; then
        echo "man-check: $page: cannot read it" >&2
        rc=1
        continue
    fi
    # "" is groff's default line length (78 columns for -Tutf8).
    for ll in "" 70n 100n; do
        if [ -n "$ll" ]; then
            out=$(groff -man -ww -z -Tutf8 -rLL="$ll" "$page" 2>&1)
        else
            out=$(groff -man -ww -z -Tutf8 "$page" 2>&1)
        fi
        status=$?
        if [ "$status" -ne 0 ] || [ -n "$out" ]; then
            echo "man-check: $page${ll:+ (line length $ll)}: exit $status" >&2
            [ -n "$out" ] && printf '%s\n' "$out" >&2
            rc=1
        fi
    done
done
[ "$rc" -eq 0 ] && echo "man-check: both pages render without warnings"
exit "$rc"
