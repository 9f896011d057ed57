#!/bin/sh
# Starts a data node of `docker compose --profile scale` (redis-master or redis-replica). The
# sentinels are asked first who is master now: after a failover the old master must come back as a
# replica of the new one, not as a second master. On the first start no sentinel is up yet, and
# redis-master starts as master, redis-replica as its replica. Each node announces its service
# name, so the sentinels and the gateways find it after a restart with a new address.
# With REDIS_PASSWORD, the node requires it and replicates with it.
set -eu
master=""
for s in sentinel-1 sentinel-2 sentinel-3; do
  master=$(timeout 2 redis-cli -h "$s" -p 26379 ${REDIS_SENTINEL_PASSWORD:+-a "$REDIS_SENTINEL_PASSWORD"} \
    --no-auth-warning SENTINEL get-master-addr-by-name ussd 2>/dev/null | head -n 1) || master=""
  [ -n "$master" ] && break
done
[ -n "$master" ] || master=redis-master
set -- --appendonly yes --replica-announce-ip "${NODE_HOST}"
if [ "$master" != "${NODE_HOST}" ]; then set -- "$@" --replicaof "$master" 6379; fi
if [ -n "${REDIS_PASSWORD:-}" ]; then set -- "$@" --requirepass "${REDIS_PASSWORD}" --masterauth "${REDIS_PASSWORD}"; fi
exec redis-server "$@"
