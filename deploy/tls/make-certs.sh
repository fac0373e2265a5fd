#!/usr/bin/env bash
# Who may talk to Temporal, as files: the certificates of its mutual TLS and the tokens its
# authorizer reads (deploy/compose.yaml mounts them; on Kubernetes they go into the secret store
# the ExternalSecrets of deploy/kubernetes read, one entry per file).
#
#   deploy/tls/make-certs.sh [OUT]          OUT: deploy/tls/out (git ignores it)
#
# Two certificate authorities, and one token-signing key:
#   server CA  signs the frontend's certificate (what clients check they reach) and the
#              internode certificate of Temporal's own services (history, matching, worker,
#              internal frontend), which is server and client at once.
#   client CA  signs exactly four client certificates: casework-api, casework-worker,
#              casework-setup (the release's one-off jobs) and temporal-ui. The frontend
#              requires a client certificate (requireClientAuth) and trusts this CA only, so
#              nothing else completes a TLS handshake with it. Operators' admin tools get no
#              certificate in production.
#   token key  signs each identity's JWT (RS256), which Temporal's default authorizer reads:
#              casework-api and casework-worker write in the namespace (`<ns>:write`),
#              casework-setup administers it (`<ns>:admin`: the namespace's retention, the search
#              attributes); nobody else holds a token of ours. People reach Temporal only
#              through the Web UI, with their own OpenID Connect token, whose `permissions`
#              the identity provider keeps read-only: Temporal refuses them any write,
#              terminating and resetting a case included (the UI's buttons are off as well).
# Temporal's built-in authorizer reads roles from tokens, never from certificates' names: the
# certificate decides who may connect at all, the token what a connection may do.
#
# What it writes (keys never leave OUT; never commit them):
#   ca/                       the CAs' and the token key's private keys: keep them offline
#   temporal/                 the server's: frontend.pem/.key, internode.pem/.key,
#                             server-ca.pem, client-ca.pem
#   api/ worker/ setup/ ui/   a client's: cert.pem, key.pem, ca.pem (the server CA);
#                             api, worker, setup also temporal.env (CASEWORK_TEMPORAL_API_KEY)
#   keys/jwks.json            the token key's public half, served to Temporal's frontend
#
# Run again to renew: the CAs and the token key are kept (nothing else needs to change), every
# certificate and token is issued anew. Delete OUT/ca to start over with new authorities.
#
# Settings (environment): DAYS the certificates' and tokens' lifetime (397); CA_DAYS the CAs'
# (3650); NAMESPACE the Temporal namespace (default); FRONTEND_NAMES the DNS names of the
# frontend's certificate (compose's and Kubernetes'); INTERNODE_NAME (temporal-internode).
set -euo pipefail

out=${1:-"$(cd "$(dirname "$0")" && pwd)/out"}
days=${DAYS:-397}
ca_days=${CA_DAYS:-3650}
namespace=${NAMESPACE:-default}
k8s=temporal-frontend.temporal  # the chart's frontend Service (release and namespace temporal)
frontend_names=${FRONTEND_NAMES:-"temporal temporal-frontend $k8s $k8s.svc $k8s.svc.cluster.local"}
internode_name=${INTERNODE_NAME:-temporal-internode}

umask 077
mkdir -p "$out/ca"
chmod 700 "$out" "$out/ca"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }

key() {  # a new P-256 private key (PKCS#8) at $1
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
}

ca() {  # a self-signed CA named $2, at $out/ca/$1.pem (kept if present)
  local name=$1 cn=$2
  [[ -s "$out/ca/$name.key" && -s "$out/ca/$name.pem" ]] && return
  key "$out/ca/$name.key"
  openssl req -new -key "$out/ca/$name.key" -subj "/O=casework/CN=$cn" -out "$work/$name.csr"
  printf '%s\n' "basicConstraints=critical,CA:TRUE,pathlen:0" \
    "keyUsage=critical,keyCertSign,cRLSign" "subjectKeyIdentifier=hash" > "$work/$name.ext"
  openssl x509 -req -in "$work/$name.csr" -signkey "$out/ca/$name.key" -days "$ca_days" \
    -set_serial "0x$(openssl rand -hex 16)" -extfile "$work/$name.ext" \
    -out "$out/ca/$name.pem" 2>/dev/null
}

leaf() {  # leaf DIR NAME CA USAGE DNS...: DIR/NAME.pem and .key, signed by CA, named the first DNS
  local dir=$1 name=$2 ca=$3 usage=$4; shift 4
  local cn=$1 sans; sans=$(printf 'DNS:%s,' "$@"); sans=${sans%,}
  key "$dir/$name.key"
  openssl req -new -key "$dir/$name.key" -subj "/O=casework/CN=$cn" -out "$work/$name.csr"
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=$usage" "subjectAltName=$sans" "subjectKeyIdentifier=hash" \
    "authorityKeyIdentifier=keyid" > "$work/$name.ext"
  openssl x509 -req -in "$work/$name.csr" -CA "$out/ca/$ca.pem" -CAkey "$out/ca/$ca.key" \
    -days "$days" -set_serial "0x$(openssl rand -hex 16)" -extfile "$work/$name.ext" \
    -out "$dir/$name.pem" 2>/dev/null
}

ca server-ca "casework Temporal server CA"
ca client-ca "casework Temporal client CA"
if [[ ! -s "$out/ca/token-signing.key" ]]; then
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$out/ca/token-signing.key" \
    2>/dev/null
fi

# The server: its two certificates and the two CAs it checks against.
mkdir -p "$out/temporal"
# shellcheck disable=SC2086  # the names are words
leaf "$out/temporal" frontend server-ca serverAuth $frontend_names
leaf "$out/temporal" internode server-ca serverAuth,clientAuth "$internode_name"
cp "$out/ca/server-ca.pem" "$out/ca/client-ca.pem" "$out/temporal/"

# The token key's public half, as the JWKS Temporal's frontend fetches.
signing="$out/ca/token-signing.key"
kid=$(openssl pkey -in "$signing" -pubout -outform DER | openssl dgst -sha256 -binary | b64url \
      | cut -c1-16)
modulus=$(openssl rsa -in "$signing" -noout -modulus 2>/dev/null | cut -d= -f2)
n=$(printf '%b' "$(sed 's/../\\x&/g' <<<"$modulus")" | b64url)
mkdir -p "$out/keys"
printf '{"keys":[{"kty":"RSA","use":"sig","alg":"RS256","kid":"%s","n":"%s","e":"AQAB"}]}\n' \
  "$kid" "$n" > "$out/keys/jwks.json"

token() {  # an RS256 JWT for subject $1 with the permissions $2 (a JSON list)
  local now header payload signature
  now=$(date +%s)
  header=$(printf '{"alg":"RS256","typ":"JWT","kid":"%s"}' "$kid" | b64url)
  payload=$(printf '{"iss":"casework-temporal","sub":"%s","aud":"temporal",' "$1"
            printf '"iat":%d,"nbf":%d,"exp":%d,' "$now" "$((now - 60))" "$((now + days * 86400))"
            printf '"permissions":%s}' "$2")
  payload=$(printf '%s' "$payload" | b64url)
  signature=$(printf '%s.%s' "$header" "$payload" \
              | openssl dgst -sha256 -sign "$signing" -binary | b64url)
  printf '%s.%s.%s' "$header" "$payload" "$signature"
}

# The clients: a certificate each, the CA to check the frontend by, and (but the UI, whose
# people bring their own) a token.
for who in api worker setup ui; do
  mkdir -p "$out/$who"
  name=$([[ $who == ui ]] && echo temporal-ui || echo "casework-$who")
  leaf "$out/$who" cert client-ca clientAuth "$name"
  mv "$out/$who/cert.key" "$out/$who/key.pem"
  cp "$out/ca/server-ca.pem" "$out/$who/ca.pem"
  case $who in
    api | worker) role=write ;;
    setup) role=admin ;;
    *) continue ;;
  esac
  printf 'CASEWORK_TEMPORAL_API_KEY=%s\n' "$(token "$name" "[\"$namespace:$role\"]")" \
    > "$out/$who/temporal.env"
done

# The containers run as users of their own (Temporal 1000, the UI, casework 10001): what each
# mounts is readable inside it, while OUT itself (0700) keeps other users of this host out.
chmod 755 "$out/temporal" "$out/api" "$out/worker" "$out/setup" "$out/ui" "$out/keys"
find "$out/temporal" "$out/api" "$out/worker" "$out/setup" "$out/ui" "$out/keys" -type f \
  -exec chmod 644 {} +
echo "certificates and tokens for Temporal in $out (valid $days days; CAs in $out/ca: keep offline)"
