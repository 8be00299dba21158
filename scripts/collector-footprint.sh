#!/bin/sh
# Measures the collector bundle on a real GPU node: CPU time (utime + stime from
# /proc, the collector's own and, apart, that of its helper shell and the GPU tool
# it runs) and resident memory, while it polls every second and sends to a
# stand-in receiver on loopback. It runs the bundle as the image does
# (node --max-semi-space-size=1). Needs only node and the bundle:
#
#   npm run build:collector        # on a machine with the repository
#   sh scripts/collector-footprint.sh dist/collector/gpu-roi-collector.mjs [SECONDS] [SOURCE]
#
# SOURCE is a --source value (default nvidia-smi). Prints one line of figures.
set -eu
BUNDLE=${1:?usage: collector-footprint.sh BUNDLE [SECONDS] [SOURCE]}
SECONDS_MEASURED=${2:-60}
SOURCE=${3:-nvidia-smi}
WORK=$(mktemp -d)
COLLECTOR=; RECEIVER=
trap 'kill $COLLECTOR $RECEIVER 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT

# A receiver that acknowledges every batch, so the collector's cost is measured, not a server's.
node -e '
const http = require("node:http");
const server = http.createServer((request, response) => {
  request.resume();
  request.on("end", () => response.writeHead(200, { "content-type": "application/json" }).end("{\"batchId\":\"\",\"duplicate\":false}"));
});
server.listen(0, "127.0.0.1", () => require("node:fs").writeFileSync(process.argv[1], String(server.address().port)));
' "$WORK/port" &
RECEIVER=$!
while [ ! -s "$WORK/port" ]; do sleep 0.1; done

GPU_ROI_SERVER="http://127.0.0.1:$(cat "$WORK/port")" GPU_ROI_TOKEN=footprint \
  node --max-semi-space-size=1 "$BUNDLE" run --source "$SOURCE" --interval 1s --metrics-port 0 --spool "$WORK/spool" --hostname footprint-node 2>"$WORK/log" &
COLLECTOR=$!

ticks() { # utime+stime of $1, and of its live children with what they waited for
  own=$(awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat")
  kids=0
  for child in $(cat "/proc/$1/task/$1/children" 2>/dev/null); do
    kids=$((kids + $(awk '{ sub(/.*\) /, ""); print $12 + $13 + $14 + $15 }' "/proc/$child/stat" 2>/dev/null || echo 0)))
  done
  echo "$own $kids"
}

sleep 5
set -- $(ticks "$COLLECTOR"); OWN0=$1; KIDS0=$2
sleep "$SECONDS_MEASURED"
set -- $(ticks "$COLLECTOR"); OWN1=$1; KIDS1=$2
HZ=$(getconf CLK_TCK)
RSS=$(awk '/^VmRSS/ { print $2 }' "/proc/$COLLECTOR/status")
HWM=$(awk '/^VmHWM/ { print $2 }' "/proc/$COLLECTOR/status")
FAILED=$(grep -c "poll: .* failed" "$WORK/log" || true)
awk -v own=$((OWN1 - OWN0)) -v kids=$((KIDS1 - KIDS0)) -v hz="$HZ" -v s="$SECONDS_MEASURED" -v rss="$RSS" -v hwm="$HWM" -v src="$SOURCE" -v failed="$FAILED" 'BEGIN {
  printf "source %s, %d s of 1 s polls: collector CPU %.0f ms (%.2f %% of one core, %.2f ms per poll); helper shell + tool %.0f ms; RSS %.1f MiB, peak %.1f MiB; failed polls %d\n",
    src, s, own * 1000 / hz, own * 100 / hz / s, own * 1000 / hz / s, kids * 1000 / hz, rss / 1024, hwm / 1024, failed
}'
if [ "$FAILED" -gt 0 ]; then tail -5 "$WORK/log" >&2; fi
