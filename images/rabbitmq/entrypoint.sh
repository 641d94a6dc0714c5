#!/bin/bash
# Configure RabbitMQ from the environment, then run it in the foreground.
#   RABBITMQ_USER / RABBITMQ_PASSWORD  the application's account (the guest account is not used)
#   RABBITMQ_ERLANG_COOKIE             shared by the nodes of a cluster
#   RABBITMQ_CLUSTER_PEERS             space-separated node names (rabbit@host) to form a cluster with
set -o errexit -o nounset -o pipefail
: "${RABBITMQ_USER:?set RABBITMQ_USER}" "${RABBITMQ_PASSWORD:?set RABBITMQ_PASSWORD}" "${RABBITMQ_ERLANG_COOKIE:?set RABBITMQ_ERLANG_COOKIE}"

umask 077
rm -f "$HOME/.erlang.cookie"  # a cookie from an earlier start is read-only
printf "%s" "$RABBITMQ_ERLANG_COOKIE" > "$HOME/.erlang.cookie"
{
  echo "loopback_users = none"
  echo "default_user = $RABBITMQ_USER"
  echo "default_pass = $RABBITMQ_PASSWORD"
  echo "listeners.tcp.default = 5672"
  echo "prometheus.tcp.port = 15692"
  echo "log.console = true"
  echo "log.console.formatter = json"
  echo "log.file = false"
  if [[ -n "${RABBITMQ_CLUSTER_PEERS:-}" ]]; then
    echo "cluster_formation.peer_discovery_backend = classic_config"
    i=1
    for peer in $RABBITMQ_CLUSTER_PEERS; do echo "cluster_formation.classic_config.nodes.$i = $peer"; i=$((i + 1)); done
  fi
} > /etc/rabbitmq/rabbitmq.conf
echo "[rabbitmq_prometheus]." > /etc/rabbitmq/enabled_plugins
# Debian's /usr/sbin wrapper sends the output to files; the real script keeps it on stdout.
exec /usr/lib/rabbitmq/bin/rabbitmq-server
