#!/usr/bin/env bash
# Builds the tutorial as written against the installed SDK and runs it against a broker:
# worker, `zmesh call`, and the Java client. Used by .ci/run; needs `mvn install` of zmesh first.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
port=${GREETER_PORT:-$((20000 + RANDOM % 20000))}
url="tcp://127.0.0.1:$port"
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

mvn -B -q -f "$here/pom.xml" package dependency:build-classpath -Dmdep.outputFile="$work/cp"
cp="$here/target/classes:$(cat "$work/cp")"

"$root/bin/zmesh" broker --bind "$url" > "$work/broker.log" 2>&1 &
pids+=($!)
java -cp "$cp" com.example.greeter.GreeterWorker "$url" > "$work/worker.log" 2>&1 &
pids+=($!)

for _ in $(seq 1 100); do
  if "$root/bin/zmesh" ls greeter --broker "$url" 2>/dev/null | grep -q greeter; then break; fi
  sleep 0.2
done
reply=$("$root/bin/zmesh" call greeter greeter.Greet '{"name":"ann"}' --broker "$url")
echo "zmesh call: $reply"
echo "$reply" | grep -q '"text": "hello ann"'
client=$(java -cp "$cp" com.example.greeter.GreetClient "$url")
echo "client: $client"
echo "$client" | grep -q "hello ann"
echo "$client" | grep -q "hello bob"
echo "$client" | grep -q "refused: INVALID_ARGUMENT: name is empty"
grep -q "registered" "$work/worker.log" || { cat "$work/worker.log"; exit 1; }
echo "greeter tutorial: ok"
