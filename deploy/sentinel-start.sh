#!/bin/sh
# Starts one sentinel of `docker compose --profile scale`. Its config lives in its own volume
# (/data), written from deploy/sentinel.conf on the first start only: later starts keep what it
# learned. SENTINEL_HOST (its service name) is what it announces to its peers.
set -eu
conf=/data/sentinel.conf
if [ ! -f "$conf" ]; then
  cp /deploy/sentinel.conf "$conf"
  echo "sentinel announce-ip ${SENTINEL_HOST}" >>"$conf"
  if [ -n "${REDIS_PASSWORD:-}" ]; then echo "sentinel auth-pass ussd ${REDIS_PASSWORD}" >>"$conf"; fi
  if [ -n "${REDIS_SENTINEL_PASSWORD:-}" ]; then echo "requirepass ${REDIS_SENTINEL_PASSWORD}" >>"$conf"; fi
fi
exec redis-sentinel "$conf"
