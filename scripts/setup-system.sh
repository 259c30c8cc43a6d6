#!/usr/bin/env bash
# Installs the system packages the tests drive for real (Debian): chromium for the web UI's browser
# tests, PostgreSQL 15 for the REST store's tracking server, Java 17 for Spark's spark_udf, openssl
# for the TLS tests' certificates.
# Idempotent: does nothing when they are there. Run by .ci/run and by the tests' global setup.
set -euo pipefail
missing=()
command -v chromium >/dev/null || missing+=(chromium)
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=(postgresql-15)
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
# openssl makes the TLS tests' certificate authority.
command -v openssl >/dev/null || missing+=(openssl)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "setup-system: missing ${missing[*]}; install them (Debian: apt-get install -y ${missing[*]})" >&2
  exit 1
fi
echo "setup-system: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# One install at a time (parallel test runs call this script too).
exec 9>/tmp/mlruns-setup-system.lock
flock 9
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
