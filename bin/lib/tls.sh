# shellcheck shell=bash
# The local services' TLS material: a CA of this checkout's own and one server certificate it
# signed (localhost, 127.0.0.1), used by PostgreSQL and by the broker's SASL_SSL listener, so a
# client that trusts .ragstream/tls/ca.pem can verify both (sslmode=verify-full, Kafka's default
# hostname check). Made with openssl; the broker's keystore and the clients' truststore are PKCS12
# (keytool). Sourced by bin/ragstream after common.sh; nothing here leaves .ragstream/.

TLS_CA="$TLS_DIR/ca.pem"
TLS_CERT="$TLS_DIR/server.pem"
TLS_KEY="$TLS_DIR/server.key"
TLS_KEYSTORE="$TLS_DIR/kafka.keystore.p12"
TLS_TRUSTSTORE="$TLS_DIR/truststore.p12"
TLS_STORE_PASSWORD="$TLS_DIR/store.password"   # the keystore's and the truststore's
TLS_DAYS=825                                    # what browsers and most clients still accept

# Makes the material unless a server certificate valid for another 30 days is there.
tls_ensure() {
  if [[ -s "$TLS_KEYSTORE" && -s "$TLS_TRUSTSTORE" ]] \
    && openssl x509 -checkend $((30 * 86400)) -noout -in "$TLS_CERT" >/dev/null 2>&1; then
    return
  fi
  command -v openssl >/dev/null || die "openssl is missing: run bin/ragstream setup"
  command -v keytool >/dev/null || die "keytool (from the JDK) is missing"
  say "tls: making a local CA and a certificate for localhost/127.0.0.1 in ${TLS_DIR#"$RAGSTREAM_ROOT"/}"
  rm -rf "$TLS_DIR"
  mkdir -p "$TLS_DIR"
  chmod 700 "$TLS_DIR"
  (
    cd "$TLS_DIR"
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days "$TLS_DAYS" \
      -subj "/CN=ragstream local CA $(hostname)" \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=localhost 2>/dev/null
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem \
      -days "$TLS_DAYS" -extfile server.ext 2>/dev/null
    openssl rand -hex 24 >store.password
    openssl pkcs12 -export -in server.pem -inkey server.key -certfile ca.pem -name broker \
      -out kafka.keystore.p12 -passout file:store.password
    keytool -importcert -noprompt -alias ragstream-local-ca -file ca.pem -storetype PKCS12 \
      -keystore truststore.p12 -storepass:file store.password >/dev/null 2>&1
    rm -f server.csr server.ext ca.srl
    chmod 644 ca.pem   # the CA certificate is public; keys and passwords stay 600
  )
}
