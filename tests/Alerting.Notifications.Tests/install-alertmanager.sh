#!/bin/sh
# Installs the Alertmanager binary the notification tests start (Debian package prometheus-alertmanager)
# and the Prometheus binary the server's remote_write interop test starts (Debian package prometheus).
# Idempotent: does nothing when the binary is already there. The package's own service is not used;
# the tests start their own instance on a free loopback port.
set -eu
if [ -x /usr/bin/prometheus-alertmanager ] && [ -x /usr/bin/prometheus ]; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends prometheus-alertmanager prometheus
test -x /usr/bin/prometheus-alertmanager
test -x /usr/bin/prometheus
