#!/bin/sh
# Scanners plugged in before the install get the new permissions without a replug.
if command -v udevadm >/dev/null 2>&1; then
  udevadm control --reload-rules || true
  udevadm trigger --subsystem-match=hidraw --subsystem-match=tty || true
fi
