#!/bin/sh
# Installs the browser the status page test drives (Debian packages chromium and chromium-driver).
# Idempotent: does nothing when both binaries are already there. The test starts its own
# headless browser against a server on loopback; nothing reaches outside the machine.
set -eu
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends chromium chromium-driver
test -x /usr/bin/chromium
test -x /usr/bin/chromedriver
