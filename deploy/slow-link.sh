#!/usr/bin/env bash
# A phone's steady-state sync over a 2G link, end to end: 40 kbit/s each way and 600 ms round
# trips (deploy/slow_link.py between the phone and the server), straight to hosync over plain
# HTTP, and through nginx set up as deploy/nginx.conf with TLS 1.3, on a new TLS session and on
# a resumed one.
#
#   deploy/slow-link.sh target/release/hosync [RUNS]
#
# Needs nginx, openssl, curl and python3. Leaves nothing behind.
set -euo pipefail

bin=$(realpath "${1:?usage: slow-link.sh HOSYNC_BINARY [RUNS]}")
runs=${2:-5}
here=$(dirname "$(realpath "$0")")
work=$(mktemp -d)
host_ip=127.0.0.1
db="sqlite://$work/district.db?mode=rwc"

cleanup() {
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  [ -n "${server:-}" ] && kill "$server" 2>/dev/null || true
  [ -n "${capture:-}" ] && kill "$capture" 2>/dev/null || true
  for link in "${links[@]}"; do kill "$link" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# The links: each direction delayed 300 ms and limited to 40 kbit/s, in front of hosync (port
# 28180) and of nginx (28443).
links=()
python3 "$here/slow_link.py" 28180 18180 & links+=($!)
python3 "$here/slow_link.py" 28443 18443 & links+=($!)

# A small district, served on the host's side of the link.
"$bin" seed --scale 0.02 --months 2 --database-url "$db" > /dev/null 2>&1
"$bin" serve --database-url "$db" --bind "$host_ip:18180" --trust-forwarded-for \
  > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 50); do curl -sf "http://$host_ip:18180/readyz" > /dev/null && break; sleep 0.2; done

# A phone enrolled and bootstrapped (on the host, off the slow link), then one note written.
member=$(python3 - "$work/district.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(db.execute("SELECT member_id FROM assignment_view ORDER BY household_id LIMIT 1").fetchone()[0])
PY
)
code=$("$bin" enrol "$member" --database-url "$db" | sed -n 's/^Enrolment code for [^:]*: //p')
household=$(python3 - "$work/district.db" "$member" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(db.execute("SELECT household_id FROM assignment_view WHERE member_id = ? LIMIT 1", (sys.argv[2],)).fetchone()[0])
PY
)
phone=(--state "$work/phone.bin")
"$bin" phone "${phone[@]}" --server "http://$host_ip:18180" --code "$code" sync > /dev/null
"$bin" phone "${phone[@]}" note "$household" "Gia đình khỏe, con đi học đều." > /dev/null

# The phone's sync request, as sent: caught by a listener that keeps its body, then sent
# again over each path (the server answers it the same each time: the note is stored once).
python3 - "$work/sync.bin" <<'PY' &
import http.server, sys
class Keep(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        open(sys.argv[1], "wb").write(body)
        self.send_response(503); self.end_headers()
    def log_message(self, *a): pass
keeper = http.server.HTTPServer(("127.0.0.1", 18099), Keep)
keeper.timeout = 60
keeper.handle_request()  # the probe above
keeper.handle_request()
PY
capture=$!
for _ in $(seq 50); do
  python3 -c 'import socket; socket.create_connection(("127.0.0.1", 18099)).close()' 2> /dev/null && break
  sleep 0.2
done
"$bin" phone "${phone[@]}" --server http://127.0.0.1:18099 sync > /dev/null 2>&1 || true
wait "$capture" || true
capture=
"$bin" phone "${phone[@]}" --server "http://$host_ip:18180" sync > /dev/null

# nginx as deploy/nginx.conf sets it up, on the host's side, with an ECDSA certificate.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj /CN=hosync.test -addext subjectAltName=DNS:hosync.test \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2> /dev/null
python3 - "$here/nginx.conf" "$work" "$host_ip" <<'PY'
import re, sys
conf, work, ip = sys.argv[1:]
text = open(conf).read()
# The second server block is the TLS one; the first only redirects port 80.
tls = text[text.index("server {", text.index("server {") + 1):]
tls = tls.replace("listen 443 ssl;", f"listen {ip}:18443 ssl;")
tls = re.sub(r"\n\s*listen \[::\]:443 ssl;", "", tls)
# nginx before 1.25.1 names HTTP/2 on the listen line.
tls = tls.replace("    http2 on;\n", "").replace(f"listen {ip}:18443 ssl;", f"listen {ip}:18443 ssl http2;")
tls = tls.replace("/etc/letsencrypt/live/hosync.example.vn/fullchain.pem", f"{work}/cert.pem")
tls = tls.replace("/etc/letsencrypt/live/hosync.example.vn/privkey.pem", f"{work}/key.pem")
tls = tls.replace("proxy_pass http://127.0.0.1:8080;", f"proxy_pass http://{ip}:18180;")
main = f"""pid {work}/nginx.pid;
error_log {work}/nginx-error.log;
events {{}}
http {{
    log_format resumed '$request $status reused=$ssl_session_reused';
    access_log {work}/access.log resumed;
    client_body_temp_path {work}/body;
    proxy_temp_path {work}/proxy;
    {tls}
}}
"""
open(f"{work}/nginx-main.conf", "w").write(main)
PY
nginx -c "$work/nginx-main.conf" -p "$work"

timing='%{time_connect} %{time_appconnect} %{time_total} %{size_upload} %{size_download}\n'
send=(--silent --output /dev/null --data-binary "@$work/sync.bin"
  -H 'content-type: application/vnd.hosync.sync')
tls=(--cacert "$work/cert.pem" --resolve "hosync.test:28443:$host_ip" --tlsv1.3)
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

plain=() fresh=() resumed=()
for _ in $(seq "$runs"); do
  plain+=("$(curl "${send[@]}" -w "$timing" "http://$host_ip:28180/api/v1/sync")")
  fresh+=("$(curl "${send[@]}" "${tls[@]}" -w "$timing" "https://hosync.test:28443/api/v1/sync")")
  # Two syncs in one curl, over HTTP/1.1 so that the first's `Connection: close` ends its
  # connection: the second opens a new one and resumes the first's TLS session, as a phone
  # returning within the day does (its last connection long closed).
  resumed+=("$(curl "${send[@]}" "${tls[@]}" --http1.1 -H 'Connection: close' -w "$timing" \
    "https://hosync.test:28443/api/v1/sync" --next "${send[@]}" "${tls[@]}" --http1.1 \
    -w "$timing" "https://hosync.test:28443/api/v1/sync" | tail -n 1)")
done

report() {
  local name=$1; shift
  local rows=("$@")
  local total tls up down
  total=$(printf '%s\n' "${rows[@]}" | awk '{print $3}' | median)
  tls=$(printf '%s\n' "${rows[@]}" | awk '{print $2}' | median)
  up=$(printf '%s\n' "${rows[@]}" | awk '{print $4}' | median)
  down=$(printf '%s\n' "${rows[@]}" | awk '{print $5}' | median)
  printf '| %s | %.2f s | %.2f s | %d B up, %d B down |\n' "$name" "$total" "$tls" "$up" "$down"
}
echo "A steady-state sync of one note over 2G (40 kbit/s, 600 ms round trips), median of $runs:"
echo
echo "| path | end to end | TLS done after | request body, answer body |"
echo "| --- | --- | --- | --- |"
report "plain HTTP, straight to hosync" "${plain[@]}"
report "HTTPS through nginx, new TLS session" "${fresh[@]}"
report "HTTPS through nginx, resumed TLS session" "${resumed[@]}"
echo
echo "nginx saw: $(grep -c 'reused=r' "$work/access.log") of $(grep -c 'POST' "$work/access.log") TLS requests on resumed sessions"
