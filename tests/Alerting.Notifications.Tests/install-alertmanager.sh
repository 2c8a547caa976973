#!/bin/sh
# Installs the Alertmanager binary the notification tests start (Debian package prometheus-alertmanager)
# the Prometheus binary the server's remote_write interop test starts (Debian package prometheus),
# and the SMTP server the email receiver's tests start (Debian package python3-aiosmtpd).
# Idempotent: does nothing when the binary is already there. The package's own service is not used;
# the tests start their own instance on a free loopback port.
set -eu
if [ -x /usr/bin/prometheus-alertmanager ] && [ -x /usr/bin/prometheus ] && /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends prometheus-alertmanager prometheus python3-aiosmtpd
test -x /usr/bin/prometheus-alertmanager
test -x /usr/bin/prometheus
/usr/bin/python3 -c 'import aiosmtpd'
