#!/bin/sh
# The cases' namespace, with a retention that fits them: a closed case's history stays in
# Temporal a year (its appeal period and the auditors' first look), and the worker's archiver
# has copied it into the read model long before. Safe to run again.
# As the setup identity (deploy/tls/make-certs.sh): its client certificate (the temporal CLI's
# TEMPORAL_TLS_* variables) and its token, which administers the namespace and nothing else.
set -eu
: "${TEMPORAL_ADDRESS:?}" "${NAMESPACE:?}" "${RETENTION:?}"
: "${TEMPORAL_TLS_CLIENT_CERT_PATH:?}" "${TEMPORAL_TLS_CLIENT_KEY_PATH:?}"
TEMPORAL_API_KEY=${TEMPORAL_API_KEY:-${CASEWORK_TEMPORAL_API_KEY:?set the setup identity token}}
export TEMPORAL_API_KEY
until temporal operator cluster health --address "$TEMPORAL_ADDRESS"; do sleep 2; done
if temporal operator namespace describe --address "$TEMPORAL_ADDRESS" -n "$NAMESPACE" >/dev/null 2>&1; then
  temporal operator namespace update --address "$TEMPORAL_ADDRESS" -n "$NAMESPACE" --retention "$RETENTION"
else
  temporal operator namespace create --address "$TEMPORAL_ADDRESS" -n "$NAMESPACE" --retention "$RETENTION"
fi
