#!/bin/sh
# The cases' namespace, with a retention that fits them: a closed case's history stays in
# Temporal a year (its appeal period and the auditors' first look), and the worker's archiver
# has copied it into the read model long before. Safe to run again.
set -eu
: "${TEMPORAL_ADDRESS:?}" "${NAMESPACE:?}" "${RETENTION:?}"
until temporal operator cluster health --address "$TEMPORAL_ADDRESS"; do sleep 2; done
if temporal operator namespace describe --address "$TEMPORAL_ADDRESS" -n "$NAMESPACE" >/dev/null 2>&1; then
  temporal operator namespace update --address "$TEMPORAL_ADDRESS" -n "$NAMESPACE" --retention "$RETENTION"
else
  temporal operator namespace create --address "$TEMPORAL_ADDRESS" -n "$NAMESPACE" --retention "$RETENTION"
fi
