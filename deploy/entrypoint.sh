#!/bin/sh
# Start one dailypapers process in a container: `web`, `worker`, or any subcommand.
# The schema is migrated first; PostgreSQL's advisory lock lets replicas start together.
set -eu

wait_for_database() {
    # A fresh compose stack starts the database and the site together: retry for a minute.
    attempts=0
    until dailypapers migrate >/dev/null 2>&1; do
        attempts=$((attempts + 1))
        if [ "$attempts" -ge 30 ]; then
            dailypapers migrate  # once more, to show why it fails
            exit 1
        fi
        sleep 2
    done
}

command="${1:-web}"
case "$command" in
    web)
        shift || true
        wait_for_database
        exec dailypapers serve --host "${DAILYPAPERS_HOST:-0.0.0.0}" --port "${DAILYPAPERS_PORT:-8000}" "$@"
        ;;
    worker)
        shift || true
        wait_for_database
        exec dailypapers worker "$@"
        ;;
    *)
        exec dailypapers "$@"
        ;;
esac
