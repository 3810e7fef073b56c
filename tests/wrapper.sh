#!/bin/sh
# tests/wrapper.sh - run one test program, under valgrind when it is
# installed and the build has no sanitizers (collectd's testwrapper.sh).
# SW_NO_VALGRIND=1 turns valgrind off for a quick run.
if [ -n "$VALGRIND" ] && [ -z "$SW_SANITIZERS" ] && [ -z "$SW_NO_VALGRIND" ]; then
    exec "$VALGRIND" --quiet --error-exitcode=1 --leak-check=full \
        --errors-for-leak-kinds=definite,indirect --track-fds=no \
        "$@"
fi
exec "$@"
